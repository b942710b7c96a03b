"""``smtext extract FOLDER``: clean per-page text from a folder of PDFs (over :mod:`smtext.text.extract`)."""

from __future__ import annotations

from pathlib import Path

import typer


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
    firms: Path = typer.Option(None, "--firms", exists=True, dir_okay=False,
                               help="Firm table (.parquet or .csv: stkcd, short_name, name, optional former_names) "
                                    "that resolves cninfo names such as 平安银行：2024年年度报告.pdf."),
    identify: bool = typer.Option(True, "--identify/--no-identify",
                                  help="Read each report's first pages to identify files their names cannot "
                                       "(announcement ids) and to check what the names say."),
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="Extract again every document whose earlier extraction failed (any "
                                           "reason); timeouts (SM108) and unreadable files (SM118) are always retried."),
    force: bool = typer.Option(False, "--force", help="Drop every cached result in OUT and start over."),
) -> None:
    """Extract clean per-page text from a folder of PDFs, with failures.csv and a manifest.

    Each file is identified (stock code, year, type) by its name, by a firm table (--firms)
    for cninfo's 短称：YYYY年年度报告.pdf names, or by its own first pages (cover, company
    profile); documents.parquet records id_source and conflicts, excluded.csv the rest.
    Re-running into the same OUT skips documents already extracted with the same
    file contents (sha256), backend and options; a killed run resumes where it stopped.
    Failures that may not recur (timeouts, unreadable files) are retried by the next run,
    every failure with --retry-failed. One run at a time writes OUT (a second gets SM122).
    """
    from ..text.extract import extract_folder

    summary = extract_folder(folder, out, backend=backend, doc_types=tuple(doc_type), jobs=jobs, scheduler=scheduler,
                             max_pages=max_pages, timeout=timeout, drop_tables=drop_tables, simplified=simplified,
                             manifest_csv=manifest_csv, batch_size=batch_size, firms=firms, identify=identify,
                             retry_failed=retry_failed, force=force)
    typer.echo(summary)
