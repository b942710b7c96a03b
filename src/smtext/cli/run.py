"""``smtext run SPEC``: execute a study spec (a thin layer over :func:`smtext.study.run_study`)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import print_study

app = typer.Typer(help="Replicate a paper: run a study spec (YAML) on a world folder, cached stage by stage.",
                  no_args_is_help=True, context_settings={"allow_interspersed_args": True})


def _help_spec(value: bool) -> None:
    if value:
        from ..study import reference

        typer.echo(reference())
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def run_cmd(
    spec: str = typer.Argument(..., help="Spec YAML file, or a bundled spec name (demo, paper000 ... paper004)."),
    world: Path = typer.Option(None, "--world", "-w", help="World folder in the demo layout, data/ (and reports/); "
                                                          "default demo_world, or none when --data is given."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: study_<name>)."),
    data: Path = typer.Option(None, "--data", "-d", help="Data declaration (YAML): where your inputs are (CSMAR / "
                                                         "CNRDS / Wind exports, pilot list, report folders) and "
                                                         "their column maps; see `--help-spec`, section Data."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes for PDF extraction and counting."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port) for PDF "
                                                            "extraction (same results as the local pool)."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage even when cached."),
    check: bool = typer.Option(False, "--check", help="Only validate the spec (and, with --data or an existing "
                                                      "--world, that every input it needs is there); run nothing."),
    help_spec: bool = typer.Option(False, "--help-spec", callback=_help_spec, is_eager=True,
                                   help="Print the spec format (every key, measure, variable operation, column "
                                        "kind, figure kind and truth check with its options) and exit."),
) -> None:
    """Run SPEC: tables, figures, panel (.dta/.parquet) and report.html in OUT.

    Only the stages whose inputs or options changed since the last run are executed.
    """
    from ..study import load, run_study, study_inputs

    loaded = load(spec)
    if world is None and data is None:
        world = Path("demo_world")
    if check:
        if data is not None or world.is_dir():
            study_inputs(loaded, world, data).check(loaded)
        typer.echo(f"{loaded.source}: ok ({len(loaded.get('tables') or {})} tables, "
                   f"{len(loaded.get('figures') or {})} figures)")
        return
    if out is None:   # the study name is checked to be a plain name; this guards the folder it names
        from ..stages import inside

        out = inside(Path.cwd(), f"study_{loaded.name}")
    print_study(run_study(loaded, world, out, data=data, jobs=jobs,
                          scheduler=scheduler, force=force))
