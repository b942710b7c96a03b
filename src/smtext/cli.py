"""The ``smtext`` command line: a thin layer over the Python API.

Every command writes a run manifest next to its output, prints coded errors
(SMxxx) with their fix instead of a traceback, and shows progress bars only on
an interactive terminal (``--quiet`` turns them off).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from . import __version__
from .commands import register as register_groups
from .demo.config import WorldConfig as _WorldConfig
from .errors import SMError
from .progress import set_quiet

DEFAULT_SEED = _WorldConfig().seed

app = typer.Typer(
    name="smtext",
    help="Measure Chinese firm indicators from annual reports, patents and financial panels, "
         "and estimate policy effects with difference-in-differences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
demo_app = typer.Typer(help="The built-in demo world: generate it, or run the main job on it.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smtext {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars (they are also off when not on a terminal)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """smtext: text measures, firm indicators and DID estimates for Chinese listed firms."""
    set_quiet(quiet)
    _short_warnings()
    import logging

    logging.getLogger("gensim").setLevel(logging.WARNING)  # gensim logs every epoch at INFO


def _short_warnings() -> None:
    """Print coded warnings as one line (``warning SM503: ...``) instead of with source lines."""
    import warnings

    from .errors import SMWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SMWarning):
            print(f"warning {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def _years(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise typer.BadParameter("use FIRST-LAST, for example 2011-2023") from None
    if a > b:
        raise typer.BadParameter("the first year must not be after the last")
    return a, b


def _fail(err: SMError) -> None:
    typer.echo(f"error {err}", err=True)
    raise typer.Exit(code=2)


@demo_app.command("generate")
def demo_generate(
    out: Path = typer.Option(Path("demo_world"), "--out", "-o", help="Folder to write the world into."),
    firms: int = typer.Option(300, "--firms", min=20, help="Number of listed firms (4000 matches the papers)."),
    years: str = typer.Option("2011-2023", "--years", help="Fiscal years FIRST-LAST, inclusive."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Master seed: same seed -> byte-identical world."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes for rendering PDFs."),
    documents: bool = typer.Option(True, "--documents/--no-documents",
                                   help="Render the PDF reports (--no-documents: tables and truth only, much faster)."),
) -> None:
    """Generate the synthetic A-share world: tables, PDF reports, patents and truth.json."""
    from .demo import WorldConfig, generate_world

    first, last = _years(years)
    cfg = WorldConfig(n_firms=firms, first_year=first, last_year=last, seed=seed)
    try:
        truth = generate_world(out, cfg, jobs=jobs, documents=documents)
    except SMError as err:
        _fail(err)
    typer.echo(f"demo world written to {out} (truth: {truth})")


@demo_app.command("run")
def demo_run(
    world: Path = typer.Option(Path("demo_world"), "--world", "-w", help="Demo world folder (generated if missing)."),
    out: Path = typer.Option(Path("demo_out"), "--out", "-o", help="Output folder: report.html, tables, stages."),
    firms: int = typer.Option(300, "--firms", min=20, help="Firms, when the world has to be generated."),
    years: str = typer.Option("2011-2023", "--years", help="Years FIRST-LAST, when the world has to be generated."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed, when the world has to be generated."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Local worker processes."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port) for corpus stages."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage even when cached."),
) -> None:
    """Run the main job on the demo world and write OUT/report.html.

    Stages (each cached; a re-run skips finished work): world, corpus, extract,
    text_index, panel, tfp, did, report.
    """
    from .demo import WorldConfig
    from .pipeline import run_demo

    first, last = _years(years)
    cfg = WorldConfig(n_firms=firms, first_year=first, last_year=last, seed=seed)
    try:
        report = run_demo(world, out, cfg, jobs=jobs, scheduler=scheduler, force=force)
    except SMError as err:
        _fail(err)
    typer.echo(f"report: {report}")


@app.command("extract")
def extract_cmd(
    folder: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder of PDF reports (searched recursively)."),
    out: Path = typer.Option(Path("smtext_extract"), "--out", "-o", help="Output folder."),
    backend: str = typer.Option("pdfium", "--backend", help="pdfium (fast, default) or pdfplumber."),
    doc_type: list[str] = typer.Option(["annual_report"], "--doc-type", help="Document types to keep (repeatable)."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Local worker processes."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port)."),
    max_pages: int = typer.Option(None, "--max-pages", min=1, help="Read at most this many pages per document."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds allowed per document (SM108 when exceeded)."),
    drop_tables: bool = typer.Option(False, "--drop-tables", help="Drop table-like lines from the text."),
    simplified: bool = typer.Option(False, "--simplified", help="Convert traditional to simplified Chinese (needs opencc)."),
    manifest_csv: Path = typer.Option(None, "--manifest", exists=True, dir_okay=False,
                                      help="CSV with a path column (relative to FOLDER) instead of scanning FOLDER."),
    batch_size: int = typer.Option(64, "--batch-size", min=1,
                                   help="Documents per resumable Parquet part (a killed run redoes at most two parts)."),
) -> None:
    """Extract clean per-page text from a folder of PDFs, with failures.csv and a manifest.

    Re-running into the same OUT skips documents already extracted with the same
    file contents (sha256), backend and options; a killed run resumes where it stopped.
    """
    from .pipeline import extract_folder

    try:
        summary = extract_folder(folder, out, backend=backend, doc_types=tuple(doc_type), jobs=jobs, scheduler=scheduler,
                                 max_pages=max_pages, timeout=timeout, drop_tables=drop_tables, simplified=simplified,
                                 manifest_csv=manifest_csv, batch_size=batch_size)
    except SMError as err:
        _fail(err)
    typer.echo(summary)


register_groups(app)


def run() -> None:  # pragma: no cover - console entry for `python -m smtext`
    app(prog_name="smtext")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
