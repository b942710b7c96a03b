"""A folder of PDFs -> ``documents.parquet`` + ``pages.parquet``: resumable, content-addressed batches.

The API behind ``smtext extract`` and every study's extraction stage. One PDF is read by
:mod:`smtext.text.pdf`; this module scans or reads a manifest (:mod:`smtext.text.corpus`),
hashes each file, and runs the extraction in resumable Parquet parts on a local pool or a
Dask cluster (:mod:`smtext.engine`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..engine import iter_parts, run_batches
from ..errors import SMError
from ..manifest import build_manifest, file_hashes, stable_hash, write_manifest
from . import corpus
from .pdf import EXTRACTOR_VERSION, extract_record


def _extract_one(args: tuple) -> dict:
    root, rel, backend, options = args
    rec = extract_record(Path(root) / rel, backend=backend, **options)
    rec["path"] = rel
    return rec


def extract_documents(root: str | Path, manifest: pd.DataFrame, work_dir: str | Path, backend: str = "pdfium",
                      jobs: int = 2, scheduler: str | None = None, batch_size: int = 64, **options) -> pd.DataFrame:
    """Extract every document of ``manifest`` (resumable, content-addressed) into ``work_dir``.

    Parameters
    ----------
    root : str or Path
        Folder the manifest's ``path`` column is relative to.
    manifest : DataFrame
        Rows of :func:`smtext.text.corpus.scan` / :func:`smtext.text.corpus.select`.
    work_dir : str or Path
        Where the parts, the hash cache and ``pages.parquet`` go.
    backend : {"pdfium", "pdfplumber"}
    jobs, scheduler
        Local worker processes, or a Dask scheduler address (same output).
    batch_size : int
        Documents per Parquet part (the unit of resumption).
    **options
        Passed to :func:`smtext.text.pdf.extract_record` (``max_pages``, ``timeout``,
        ``drop_tables``, ``simplified``).

    Returns
    -------
    DataFrame
        The manifest columns + ``sha256, status, code, message, n_pages, image_pages, n_chars``.
        ``work_dir/pages.parquet`` holds ``path, page, text`` (streamed part by part, so
        memory stays bounded). A part is reused only when the sha256 of each of its files,
        the extractor version, the backend and the options are unchanged.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    work_dir = Path(work_dir)
    rels = manifest["path"].tolist()
    hashes = file_hashes(root, rels, cache=work_dir / "sha256.parquet")
    setting = _setting(backend, options)
    items = [(str(root), rel, backend, options) for rel in rels]
    keys = [f"{digest}:{rel}:{setting}" for digest, rel in zip(hashes, rels)]
    parts = run_batches(_extract_one, items, work_dir / "parts", batch_size=batch_size, jobs=jobs,
                        scheduler=scheduler, description="extracting", collect=False, keys=keys)
    schema = pa.schema([("path", pa.string()), ("page", pa.int32()), ("text", pa.string())])
    records = []
    tmp = work_dir / ".pages.parquet.tmp"
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in iter_parts(parts):
            pages = part[["path", "pages"]].explode("pages").dropna(subset=["pages"])
            pages["page"] = pages.groupby("path").cumcount() + 1
            pages = pages.rename(columns={"pages": "text"})[["path", "page", "text"]]
            writer.write_table(pa.Table.from_pandas(pages, schema=schema, preserve_index=False))
            records.append(part.drop(columns="pages"))
    os.replace(tmp, work_dir / "pages.parquet")
    records = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=["path"])
    return manifest.assign(sha256=hashes).merge(records, on="path", how="left", validate="one_to_one")


def _setting(backend: str, options: dict) -> str:
    """Key of everything besides the file itself that changes an extraction."""
    return stable_hash({"extractor": EXTRACTOR_VERSION, "backend": backend, "options": options})


def _atomic(path: Path, write) -> None:
    """``write(tmp)`` then rename onto ``path``: a killed run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def extract_folder(folder: str | Path, out: str | Path, backend: str = "pdfium", doc_types=("annual_report",),
                   jobs: int = 2, scheduler: str | None = None, max_pages: int | None = None,
                   timeout: float | None = 120.0, drop_tables: bool = False, simplified: bool = False,
                   manifest_csv: str | Path | None = None, batch_size: int = 64) -> str:
    """Scan a folder (or read a CSV manifest), select, extract; the API behind ``smtext extract``.

    Parameters
    ----------
    folder : str or Path
        Folder of PDFs (searched recursively).
    out : str or Path
        Output folder: ``documents.parquet`` (one row per document with the manifest
        columns, sha256 and status), ``pages.parquet`` (``path, page, text``),
        ``failures.csv`` (reason codes), ``excluded.csv`` (reasons) and ``manifest.json``.
        Re-running into the same folder skips finished work; a killed run resumes.
    backend, doc_types, jobs, scheduler, max_pages, timeout, drop_tables, simplified
        As in :func:`extract_documents` and :func:`smtext.text.corpus.select`.
    manifest_csv : str or Path, optional
        A CSV manifest (``path`` column relative to ``folder``) instead of scanning.
    batch_size : int
        Documents per resumable part.

    Returns
    -------
    str
        A one-paragraph summary with the failure reasons and exclusions.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    found = corpus.read_manifest(manifest_csv, folder) if manifest_csv else corpus.scan(folder)
    if found.empty:
        raise SMError("SM107", f"no PDF files under {folder}.", "check the folder; files must end in .pdf.")
    kept, excluded = corpus.select(found, doc_types)
    _atomic(out / "excluded.csv", lambda p: excluded.to_csv(p, index=False))
    options = {"max_pages": max_pages, "timeout": timeout, "drop_tables": drop_tables, "simplified": simplified}
    work = out / "work" / f"{backend}-{_setting(backend, options)[:12]}"
    work.mkdir(parents=True, exist_ok=True)
    documents = extract_documents(folder, kept, work, backend, jobs, scheduler, batch_size=batch_size, **options)
    _atomic(out / "documents.parquet", lambda p: documents.to_parquet(p, index=False))
    os.replace(work / "pages.parquet", out / "pages.parquet")
    failures = documents[documents["status"] != "ok"]
    _atomic(out / "failures.csv", lambda p: failures.to_csv(p, index=False))
    partial = int((documents["image_pages"].fillna("") != "").sum())
    manifest = build_manifest(
        "extract", {"folder": str(folder), "backend": backend, "doc_types": list(doc_types), "jobs": jobs,
                    "scheduler": scheduler, "extractor_version": EXTRACTOR_VERSION, "batch_size": batch_size,
                    **options},
        inputs={"documents_sha256": stable_hash(documents[["path", "sha256"]].values.tolist())},
        extra={"counts": {"found": len(found), "kept": len(kept), "excluded": len(excluded),
                          "failed": len(failures), "with_image_pages": partial},
               "failure_reasons": failures["code"].value_counts().to_dict(),
               "excluded_reasons": excluded["reason"].value_counts().to_dict()})
    _atomic(out / "manifest.json", lambda p: write_manifest(p, manifest))
    reasons = failures["status"].value_counts().to_dict()
    extra = f"; {partial} more have some image-only pages (see image_pages)" if partial else ""
    return (f"{len(kept)} documents extracted ({len(failures)} flagged: {reasons}{extra}); "
            f"{len(excluded)} excluded (see excluded.csv); output in {out}")
