"""A folder of PDFs -> ``documents.parquet`` + ``pages.parquet``: resumable, content-addressed batches.

The one way report text is read: the API behind ``smtext extract``, every study's
extraction stage, the Word2Vec commands and N_ML. One PDF is read by
:mod:`smtext.text.pdf`; this module scans or reads a manifest (:mod:`smtext.text.corpus`),
hashes each file, and runs the extraction in resumable Parquet parts on a local pool or a
Dask cluster (:mod:`smtext.engine`). :func:`iter_document_pages`, :func:`iter_documents`
and :func:`read_documents` read an extraction output back, one document at a time or as a
table; a document's text is its pages joined by :func:`smtext.text.normalize.join_pages`,
the text :attr:`smtext.text.pdf.ExtractedDocument.text` gives.

Error codes
-----------
SM107  no PDF (of the wanted types) under the folder
SM112-SM116  document identity (name, firm table, the report's own pages), see :mod:`smtext.text.corpus`
SM117, SM119  inputs the scan cannot take (undecodable names, unreadable folders, links, FIFOs): in excluded.csv
SM118  a file that cannot be read: a failed document (failures.csv), retried by the next run
SM120  (warning) identical bytes kept under different firm-years
SM121  (warning) a cache file that cannot be read (part, hash cache): redone
SM122  the output folder is in use by another ``smtext extract``
SM213  an extraction output lacks documents.parquet / pages.parquet, has one that is not readable Parquet,
       or its pages are not grouped by document
SM242  an extraction output has no document of the wanted type
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from ..engine import iter_parts, redo_when, run_batches
from ..errors import SMError
from ..manifest import build_manifest, file_hashes, stable_hash, write_manifest
from . import corpus
from .identity import load_firms
from .normalize import join_pages
from .pdf import EXTRACTOR_VERSION, TRANSIENT, extract_record


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
        The manifest columns + ``sha256, status, code, message, n_pages, image_pages, n_chars,
        n_header_lines, n_wraps_joined`` (running header/footer lines removed, wraps joined).
        ``work_dir/pages.parquet`` holds ``path, page, text`` (streamed part by part, so
        memory stays bounded). A part is reused only when the sha256 of each of its files,
        the extractor version, the backend and the options are unchanged, and none of its
        documents failed for a reason that may not recur (SM108 timeout, SM118 unreadable:
        such parts are extracted again). A file that cannot be read has no ``sha256`` and
        status ``unreadable`` (SM118).
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
                        scheduler=scheduler, description="extracting", collect=False, keys=keys,
                        redo=redo_when("code", TRANSIENT.__contains__))
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
                   manifest_csv: str | Path | None = None, batch_size: int = 64, per_firm_year: bool = True,
                   firms=None, identify: bool | str = True, retry_failed: bool = False, force: bool = False) -> str:
    """Scan a folder (or read a CSV manifest), identify, select, extract; the API behind ``smtext extract``.

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
    per_firm_year : bool
        Keep one document per firm-year (annual reports); ``False`` keeps every document
        of ``doc_types`` (analyst reports, government work reports), see
        :func:`smtext.text.corpus.select`.
    firms : DataFrame, path (.parquet / .csv) or FirmTable, optional
        Firm table that resolves cninfo's ``短称：YYYY年年度报告.pdf`` names
        (:func:`smtext.text.identity.load_firms`).
    identify : bool or {"all", "missing"}
        Read each document's first pages to identify it when its name cannot and to
        check what its name says (:func:`smtext.text.corpus.identify_documents`); kept
        in ``out/identity`` by file content, so a re-run reads only new files.
    retry_failed : bool
        Extract (and identify) again every document whose earlier extraction failed, for any
        reason. Without it only failures that may not recur (SM108 timeout, SM118 unreadable)
        are retried; a corrupt or encrypted file keeps its result.
    force : bool
        Drop every cached result in ``out`` (file hashes, identities, parts) and start over.

    Returns
    -------
    str
        A one-paragraph summary with the failure reasons, exclusions and how the
        documents were identified (``manifest.json`` has the counts under ``identity``;
        ``documents.parquet`` and ``excluded.csv`` have ``id_source``, ``id_note`` and ``conflict``).

    Raises
    ------
    SMError
        SM107 when no PDF of ``doc_types`` is found; SM122 when another process is writing ``out``
        (the folder is locked while a run writes it: ``out/.smtext.lock``); SM123 when ``out`` is a
        file; SM712 when a file or subfolder of ``out`` is a symbolic link leading outside it.
    """
    from ..stages import output_folder

    out = Path(out)
    with output_folder(out, "smtext extract"):
        return _extract_folder(folder, out, backend, doc_types, jobs, scheduler, max_pages, timeout, drop_tables,
                               simplified, manifest_csv, batch_size, per_firm_year, firms, identify, retry_failed,
                               force)


def _forget(out: Path, retry_failed: bool, force: bool) -> None:
    """Drop the cached results ``--force`` / ``--retry-failed`` ask to recompute."""
    if force:
        for cache in ("identity", "work"):
            shutil.rmtree(out / cache, ignore_errors=True)
        return
    if retry_failed:
        checks = [("identity/parts", "cover_status", lambda v: v not in ("ok", "")), ("work/*/parts", "code", bool)]
        for where, column, failed in checks:
            redo = redo_when(column, failed)
            for part in sorted(out.glob(f"{where}/part-*.parquet")):
                try:
                    stale = redo(part)
                except Exception:   # noqa: BLE001 - an unreadable part is redone anyway (SM121)
                    stale = True
                if stale:
                    part.unlink()


def _extract_folder(folder, out: Path, backend, doc_types, jobs, scheduler, max_pages, timeout, drop_tables,
                    simplified, manifest_csv, batch_size, per_firm_year, firms, identify, retry_failed, force) -> str:
    _forget(out, retry_failed, force)
    firm_table = load_firms(firms)
    # page identities are keyed by file content: cached beside the output, reused by every re-run
    ident = {"firms": firm_table, "identify": identify, "jobs": jobs, "scheduler": scheduler,
             "backend": backend, "cache": out / "identity"}
    found = (corpus.read_manifest(manifest_csv, folder, **ident) if manifest_csv
             else corpus.scan(folder, **ident))
    if found.empty:
        skipped = corpus.add_skipped(found, found)
        _atomic(out / "excluded.csv", lambda p: skipped.to_csv(p, index=False))
        raise SMError("SM107", f"no PDF files under {folder}" + (f" that can be read ({len(skipped)} skipped: "
                                                                  f"{skipped['reason'].value_counts().to_dict()}, "
                                                                  f"see excluded.csv)" if len(skipped) else "") + ".",
                      "check the folder; files must end in .pdf.")
    # the bytes of every file: copies under two names, or under two firms, are told apart from real filings
    digests = file_hashes(folder, found["path"].tolist(), cache=out / "work" / "sha256.parquet")
    kept, excluded = corpus.select(found.assign(sha256=digests), doc_types, per_firm_year=per_firm_year)
    duplicates = corpus.duplicate_content(kept)
    kept, excluded = kept.drop(columns="sha256"), excluded.drop(columns="sha256")
    excluded = corpus.add_skipped(excluded, found)
    _atomic(out / "excluded.csv", lambda p: excluded.to_csv(p, index=False))
    if kept.empty:
        raise SMError("SM107", f"no {' or '.join(doc_types)} PDF under {folder} ({len(excluded)} other files: "
                               f"{excluded['reason'].value_counts().to_dict()}).",
                      "check --doc-type and the file names (see smtext.text.corpus.parse_filename).")
    options = {"max_pages": max_pages, "timeout": timeout, "drop_tables": drop_tables, "simplified": simplified}
    work = out / "work" / f"{backend}-{_setting(backend, options)[:12]}"
    work.mkdir(parents=True, exist_ok=True)
    documents = extract_documents(folder, kept, work, backend, jobs, scheduler, batch_size=batch_size, **options)
    _atomic(out / "documents.parquet", lambda p: documents.to_parquet(p, index=False))
    os.replace(work / "pages.parquet", out / "pages.parquet")
    failures = documents[documents["status"] != "ok"]
    _atomic(out / "failures.csv", lambda p: failures.to_csv(p, index=False))
    partial = int((documents["image_pages"].fillna("") != "").sum())
    header_lines = int(documents["n_header_lines"].fillna(0).sum())
    wraps = int(documents["n_wraps_joined"].fillna(0).sum())
    manifest = build_manifest(
        "extract", {"folder": str(folder), "backend": backend, "doc_types": list(doc_types), "jobs": jobs,
                    "scheduler": scheduler, "extractor_version": EXTRACTOR_VERSION, "batch_size": batch_size,
                    "per_firm_year": per_firm_year, "identify": identify,
                    "firms": firm_table.source if firm_table is not None else None, **options},
        inputs={"documents_sha256": stable_hash(documents[["path", "sha256"]].values.tolist())},
        extra={"counts": {"found": len(found), "kept": len(kept), "excluded": len(excluded),
                          "failed": len(failures), "with_image_pages": partial,
                          "header_lines_removed": header_lines, "wraps_joined": wraps},
               "duplicate_content": duplicates,
               "failure_reasons": failures["code"].value_counts().to_dict(),
               "excluded_reasons": excluded["reason"].value_counts().to_dict(),
               "identity": corpus.identity_counts(found)})
    _atomic(out / "manifest.json", lambda p: write_manifest(p, manifest))
    reasons = failures["status"].value_counts().to_dict()
    extra = f"; {partial} more have some image-only pages (see image_pages)" if partial else ""
    if duplicates:
        extra += f"; {len(duplicates)} group(s) of identical files under different firm-years (SM120)"
    return (f"{len(kept)} documents extracted ({len(failures)} flagged: {reasons}{extra}); "
            f"{header_lines} running header/footer lines removed, {wraps} wrapped lines joined "
            "(n_header_lines, n_wraps_joined); "
            f"{len(excluded)} excluded (see excluded.csv); {_identity_line(found)}; output in {out}")


def _identity_line(found: pd.DataFrame) -> str:
    """``identified: 10 by name, 3 from the cover; 1 unidentified; 2 conflicts`` for the summary."""
    counts = corpus.identity_counts(found)
    by = counts.get("by_source", {})
    words = {"name": "by name", "firm_table": "by firm table", "cover": "from the cover", "manifest": "by manifest"}
    text = "identified: " + (", ".join(f"{by[k]} {w}" for k, w in words.items() if by.get(k)) or "none")
    if by.get("unidentified"):
        text += f"; {by['unidentified']} unidentified"
    if counts.get("conflicts"):
        text += f"; {counts['conflicts']} name/cover conflicts (see conflict)"
    return text


def iter_document_pages(pages_path: str | Path, batch_rows: int = 20_000) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(path, [page texts in page order])`` from a ``pages.parquet``, one document at a time.

    Parameters
    ----------
    pages_path : str or Path
        ``pages.parquet`` of an extraction output (``path, page, text``).
    batch_rows : int
        Rows read at once (memory is bounded by this and the largest document).

    Raises
    ------
    SMError
        SM213 when a document's pages are not contiguous in the file (the file
        was not written by ``smtext extract``), or the file is not readable Parquet (torn).
    """
    current, rows, seen = None, [], set()
    for batch in _batches(pages_path, batch_rows):
        cols = batch.to_pydict()
        for path, page, text in zip(cols["path"], cols["page"], cols["text"]):
            if path != current:
                if current is not None:
                    yield current, [t for _, t in sorted(rows, key=lambda r: r[0])]
                if path in seen:
                    raise SMError("SM213", f"{pages_path}: the pages of {path} are not contiguous.",
                                  "use the pages.parquet written by `smtext extract`, or sort it by path, page.")
                seen.add(path)
                current, rows = path, []
            rows.append((page, text if isinstance(text, str) else ""))
    if current is not None:
        yield current, [t for _, t in sorted(rows, key=lambda r: r[0])]


def _unreadable(path, exc: Exception) -> SMError:
    return SMError("SM213", f"{path} is not a readable Parquet file ({type(exc).__name__}: {exc}).",
                   "run `smtext extract` into that folder again: it rewrites the file from its cached parts.")


def _batches(pages_path, batch_rows: int):
    """Record batches of ``pages.parquet``; SM213 when the file is torn or not Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(pages_path).iter_batches(batch_size=batch_rows, columns=["path", "page", "text"])
        while True:
            try:
                batch = next(reader)
            except StopIteration:
                return
            yield batch
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(pages_path, exc) from None


def extraction_files(extract_dir: str | Path) -> tuple[Path, Path]:
    """``documents.parquet`` and ``pages.parquet`` of an extraction output (SM213 when one is missing or torn)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs_path, pages_path = Path(extract_dir) / "documents.parquet", Path(extract_dir) / "pages.parquet"
    for p in (docs_path, pages_path):
        if not p.is_file():
            raise SMError("SM213", f"{p} does not exist.", "point EXTRACT_DIR at the --out folder of `smtext extract`.")
        try:
            pq.read_metadata(p)     # the footer: a truncated or overwritten file fails here, cheaply
        except (pa.ArrowException, OSError) as exc:
            raise _unreadable(p, exc) from None
    return docs_path, pages_path


def iter_documents(extract_dir: str | Path, paths: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
    """Stream ``(path, text)`` from an extraction output, one document at a time.

    Parameters
    ----------
    extract_dir : str or Path
        Output folder of :func:`extract_folder` (``smtext extract``).
    paths : iterable of str, optional
        Only these documents (``path`` as in ``documents.parquet``).

    Yields
    ------
    (path, text)
        In the order of ``pages.parquet`` (the order of ``documents.parquet``); documents
        whose extraction failed have no pages and are not yielded. The text is raw: broker
        boilerplate is removed by :func:`read_documents` (its repetition rule compares a
        report with the others, which a one-pass stream cannot).
    """
    wanted = None if paths is None else set(paths)
    for path, pages in iter_document_pages(extraction_files(extract_dir)[1]):
        if wanted is None or path in wanted:
            yield path, join_pages(pages)[0]


def read_documents(extract_dir: str | Path, doc_type: str | None = None, boilerplate: str = "auto") -> pd.DataFrame:
    """An extraction output as a table with one row and the text of every document.

    Parameters
    ----------
    extract_dir : str or Path
        Output folder of :func:`extract_folder` (``smtext extract``).
    doc_type : str, optional
        Keep only documents of this type (``analyst_report``, ``government_report`` ...).
    boilerplate : {"auto", "remove", "keep"}
        Broker boilerplate (disclaimers, analyst certifications, rating definitions, contact
        lines, headers; :mod:`smtext.text.boilerplate`): ``auto`` removes it from analyst
        reports only, ``remove`` from every document read, ``keep`` leaves the raw text.

    Returns
    -------
    DataFrame
        The columns of ``documents.parquet`` (``path, stkcd, year, doc_type, ..., status``)
        and ``text``, in that file's order; ``text`` is missing where the extraction
        failed (``status`` says why), never an empty string. Where boilerplate was removed,
        the per-report counts :data:`smtext.text.boilerplate.COLUMNS` are added (missing on
        the rows not cleaned).

    Raises
    ------
    SMError
        SM213 when the folder is not an extraction output; SM242 when no document has ``doc_type``.
    """
    docs_path, _ = extraction_files(extract_dir)
    docs = pd.read_parquet(docs_path)
    if doc_type is not None:
        docs = docs[docs["doc_type"] == doc_type].reset_index(drop=True)
        if docs.empty:
            raise SMError("SM242", f"no {doc_type} document in {extract_dir}.",
                          "check --doc-type, or extract the folder of those reports first.")
    ok = docs.loc[docs["status"] == "ok", "path"]
    texts = dict(iter_documents(extract_dir, ok))
    return clean_boilerplate(docs.assign(text=[texts.get(p) for p in docs["path"]]), boilerplate)


def clean_boilerplate(docs: pd.DataFrame, boilerplate: str = "auto") -> pd.DataFrame:
    """Remove broker boilerplate from the analyst reports of a documents table (see :func:`read_documents`).

    ``auto`` cleans the rows whose ``doc_type`` is ``analyst_report`` (a table without ``doc_type``
    is left as it is), ``remove`` every row, ``keep`` none. A table already cleaned (it has a
    ``boilerplate_chars`` column) is returned unchanged.
    """
    from .boilerplate import strip_documents

    if boilerplate not in ("auto", "remove", "keep"):
        raise SMError("SM002", f"boilerplate must be auto, remove or keep, got {boilerplate!r}.",
                      "pass one of auto, remove, keep.")
    if boilerplate == "keep" or "boilerplate_chars" in docs:
        return docs
    if boilerplate == "remove":
        return strip_documents(docs)
    if "doc_type" not in docs:
        return docs
    rows = (docs["doc_type"] == "analyst_report").to_numpy()
    if not rows.any():
        return docs
    if rows.all():
        return strip_documents(docs)
    # repetition is judged among the analyst reports only; other rows keep their text and get no counts
    cleaned = strip_documents(docs[rows])
    out = docs.copy()
    for col in cleaned.columns.difference(docs.columns):
        out[col] = cleaned[col].reindex(out.index)
    out.loc[rows, "text"] = cleaned["text"]
    return out


def read_folder(folder: str | Path, out: str | Path, doc_type: str, jobs: int = 2,
                scheduler: str | None = None, boilerplate: str = "auto") -> pd.DataFrame:
    """Every ``doc_type`` PDF under ``folder`` as a table with its text, extracted into ``out`` first.

    :func:`extract_folder` with ``per_firm_year=False`` (analyst reports come several per
    firm-year; government work reports have no stock code), then :func:`read_documents`.
    Re-running into the same ``out`` extracts only new or changed files.

    Parameters
    ----------
    folder : str or Path
        Folder of PDFs (searched recursively).
    out : str or Path
        Extraction output folder (``documents.parquet``, ``pages.parquet``, ``failures.csv`` ...).
    doc_type : str
        Document type to keep (see :func:`smtext.text.corpus.doc_type_of`).
    jobs, scheduler
        Local worker processes, or a Dask scheduler address (same output).
    boilerplate : {"auto", "remove", "keep"}
        As in :func:`read_documents` (analyst reports lose their broker boilerplate by default).

    Returns
    -------
    DataFrame
        As :func:`read_documents`: ``path`` (relative to ``folder``), ``stkcd, year, doc_type, ...,
        status, text`` (and the boilerplate counts where it was removed; they are also written to
        ``out/boilerplate.csv``, with totals in ``out/boilerplate.json``).
    """
    extract_folder(folder, out, doc_types=(doc_type,), jobs=jobs, scheduler=scheduler, per_firm_year=False)
    docs = read_documents(out, doc_type, boilerplate=boilerplate)
    write_boilerplate_report(docs, out)
    return docs


def write_boilerplate_report(docs: pd.DataFrame, out: str | Path, stem: str = "boilerplate") -> Path | None:
    """Write ``out/<stem>.csv`` (per-report counts) and ``out/<stem>.json`` (totals) when boilerplate was removed.

    Returns the CSV's path, or None (and removes a stale report) when ``docs`` has no counts.
    """
    import json

    from . import boilerplate as bp

    out = Path(out)
    csv, js = out / f"{stem}.csv", out / f"{stem}.json"
    if "boilerplate_chars" not in docs:
        for p in (csv, js):
            p.unlink(missing_ok=True)
        return None
    out.mkdir(parents=True, exist_ok=True)
    _atomic(csv, lambda p: bp.report_table(docs[docs["boilerplate_chars"].notna()]).to_csv(
        p, index=False, encoding="utf-8-sig"))
    _atomic(js, lambda p: p.write_text(json.dumps(bp.summary(docs), ensure_ascii=False, indent=1), encoding="utf-8"))
    return csv
