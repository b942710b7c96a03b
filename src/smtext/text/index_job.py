"""Keyword indices from the output of ``smtext extract`` (the ``smtext index count`` job).

``index_extract(extract_dir, lexicons, out)`` reads ``documents.parquet`` and
``pages.parquet`` written by :func:`smtext.text.extract.extract_folder`
(:func:`smtext.text.extract.iter_document_pages`), joins each
document's pages (:func:`smtext.text.normalize.join_pages`, so a keyword wrapped across
a page break is counted), optionally cuts the MD&A section
(:func:`smtext.text.sections.find_mda_in_pages`), counts the lexicons
(:func:`smtext.text.indices.count_documents`) and writes

``document_counts.parquet``
    One row per document: manifest columns, extraction ``status`` (and its
    ``n_chars_extracted``), ``scope_status``
    (``ok``, the extraction failure, or SM110/SM111 when the MD&A was not found),
    and the counts (missing, never zero, when ``scope_status`` is not ``ok``).
``term_counts.parquet``
    Long table ``path, lexicon, term, category, n, removed_<filter>``.
``firm_year_index.parquet``
    :func:`smtext.text.indices.firm_year_index` keyed by ``stkcd, year``: per lexicon the
    total (``<key>_count, _ln, _per10k, _sent_share``) and per category
    (``<key>__<category>_count, _ln, _per10k``); missing where every document was flagged.
``clean_controls.csv``
    :func:`smtext.text.indices.clean_controls` on the smart-manufacturing lexicon (when counted).
``manifest.json``
    Options, input hashes, lexicon provenance, and what was dropped and why.

Pages are streamed document by document and counted in chunks, so memory is
bounded by the chunk, not the corpus.

Error/warning codes
-------------------
SM213  the extract folder lacks documents.parquet / pages.parquet, has one that is not readable Parquet (torn),
       or pages are not grouped by document
SM214  (warning) documents whose MD&A section was not found: their MD&A counts are missing
SM245  (warning) a lexicon matched nothing in any counted document (all its counts are 0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SMError, check_option, warn
from .count import TOKENIZERS, read_exclusions
from .extract import extraction_files, iter_document_pages
from .indices import (
    FILTERS,
    SCOPES,
    WEIGHTINGS,
    add_tfidf,
    clean_controls,
    count_documents,
    firm_year_index,
)
from .lexicon import load_lexicon

CLEAN_LEXICON = "smart_manufacturing"


@dataclass(frozen=True)
class IndexRun:
    """What :func:`index_extract` wrote.

    Attributes
    ----------
    out : Path
        Output folder.
    documents, terms, firm_years : DataFrame
        Per-document counts, per-term counts, firm-year index.
    clean : DataFrame or None
        Clean-control screening (None when the smart-manufacturing lexicon was not counted).
    dropped : dict
        Documents without counts, by reason (extraction status or SM110/SM111).
    removed : dict
        Hits removed by each context filter, per lexicon: ``{lexicon: {filter: n}}``.
    """

    out: Path
    documents: pd.DataFrame = field(repr=False)
    terms: pd.DataFrame = field(repr=False)
    firm_years: pd.DataFrame = field(repr=False)
    clean: pd.DataFrame | None = field(repr=False, default=None)
    dropped: dict = field(default_factory=dict)
    removed: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One paragraph for the terminal."""
        n = len(self.documents)
        bad = sum(self.dropped.values())
        text = (f"{n} documents counted ({n - bad} with counts, {bad} missing: {self.dropped}); "
                f"{len(self.firm_years)} firm-years")
        if self.clean is not None:
            text += f"; {int(self.clean['clean'].sum())} clean-control firms"
        if any(self.removed.values()):
            text += f"; hits removed by the context filters: {self.removed}"
        return text + f"; output in {self.out}"


def _prepare(args: tuple) -> dict:
    """Join one document's pages and cut its scope (runs in a worker)."""
    path, pages, scope = args
    from .normalize import join_pages

    if scope == "full":
        text, _ = join_pages(pages)
        return {"path": path, "text": text, "scope_status": "ok", "scope_pages": f"1-{len(pages)}"}
    from .sections import find_mda_in_pages

    try:
        sec = find_mda_in_pages(pages)
    except SMError as err:
        # a report without a findable MD&A is missing for the MD&A measure, not zero
        return {"path": path, "text": None, "scope_status": err.code, "scope_pages": ""}
    return {"path": path, "text": sec.text, "scope_status": "ok", "scope_pages": f"{sec.first_page}-{sec.last_page}"}


def _chunks(documents: pd.DataFrame, pages_path: Path, chunk_docs: int):
    """Yield lists of (path, pages) for the documents in ``documents`` (bounded memory)."""
    wanted = set(documents["path"])
    chunk = []
    for path, pages in iter_document_pages(pages_path):
        if path in wanted:
            chunk.append((path, pages))
            if len(chunk) >= chunk_docs:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def index_extract(extract_dir: str | Path, lexicons, out: str | Path, scope: str = "full",
                  filters=("negation",), mode: str = "leftmost_longest", window: int = 6,
                  subject_window: int = 10, weighting: str = "count", years: tuple[int, int] | None = None,
                  clean_lexicon: str | None = CLEAN_LEXICON, jobs: int = 1, scheduler: str | None = None,
                  chunk_docs: int = 512, tokenizer: str = "jieba", categories: bool = True,
                  exclusions=()) -> IndexRun:
    """Count lexicons in the documents of an ``smtext extract`` folder and write the index tables.

    Parameters
    ----------
    extract_dir : path
        Folder with ``documents.parquet`` and ``pages.parquet``.
    lexicons : list of str or dict
        Shipped names or CSV paths (the column prefix is the lexicon name), or
        ``{prefix: name or path}``.
    out : path
        Output folder (created).
    scope : {"full", "mda"}
        Whole report, or the MD&A section only.
    filters : sequence of {"negation", "third_party"}
    mode, window, subject_window, tokenizer
        See :func:`smtext.text.count.count_text` (``tokenizer`` matters only for ``mode="token"``).
    weighting : {"count", "tfidf"}
        ``"tfidf"`` adds ``<key>_tfidf`` and ``<key>_tfidf_ln`` firm-year columns.
    years : (first, last), optional
        Window of the clean-control screening (default: every year).
    clean_lexicon : str or None
        Prefix of the lexicon screened for clean controls; skipped when it was not counted.
    jobs : int
        Worker processes for page joining, section search and counting (same results for any value).
    scheduler : str, optional
        Dask scheduler address; the work runs on that cluster (same results).
    chunk_docs : int
        Documents held in memory at once.
    categories : bool
        Also write per-category firm-year columns (``<key>__<category>_count`` ...).
    exclusions : str, Path or sequence of str
        Longer strings inside which a hit is not counted (an exclusion file as written by
        ``smtext index validate``, or the strings); removed hits are ``<key>_removed_exclusions``.

    Returns
    -------
    IndexRun

    Raises
    ------
    SMError
        SM213 (inputs missing), SM002 (bad option), SM201-SM203 (lexicons).
    """
    from ..engine import parallel_map
    from ..manifest import build_manifest, file_sha256, write_manifest

    check_option("scope", scope, SCOPES)
    check_option("weighting", weighting, WEIGHTINGS)
    check_option("tokenizer", tokenizer, TOKENIZERS)
    filters = tuple(filters or ())
    for f in filters:
        check_option("filters", f, FILTERS)
    extract_dir, out = Path(extract_dir), Path(out)
    docs_path, pages_path = extraction_files(extract_dir)
    inputs = {str(docs_path): file_sha256(docs_path), str(pages_path): file_sha256(pages_path)}
    if isinstance(exclusions, str | Path):
        path, exclusions = exclusions, read_exclusions(exclusions)
        inputs[str(path)] = file_sha256(path)
    exclusions = tuple(exclusions or ())
    if isinstance(lexicons, dict):
        lex = {k: load_lexicon(v) for k, v in lexicons.items()}
    else:
        lex = {load_lexicon(v).name: load_lexicon(v) for v in lexicons}
    if not lex:
        raise SMError("SM002", "no lexicon given.", "pass --lexicon NAME (see `smtext index lexicons`).")
    started = time.perf_counter()
    try:
        documents = pd.read_parquet(docs_path)
    except Exception as exc:    # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise SMError("SM213", f"{docs_path} is not a readable Parquet file ({type(exc).__name__}: {exc}).",
                      "run `smtext extract` into that folder again: it rewrites the file.") from None
    documents["status"] = documents["status"].fillna("missing").astype(str)
    # n_chars below is the length of the counted text (scope); keep extraction's under another name
    documents = documents.rename(columns={"n_chars": "n_chars_extracted"})
    good = documents[documents["status"] == "ok"]

    doc_parts, term_parts, prepared = [], [], []
    for chunk in _chunks(good, pages_path, chunk_docs):
        texts = parallel_map(_prepare, [(p, pages, scope) for p, pages in chunk], jobs=jobs, scheduler=scheduler,
                             description="joining pages")
        frame = pd.DataFrame(texts)
        prepared.append(frame[["path", "scope_status", "scope_pages"]])
        counted = count_documents(frame.assign(status=frame["scope_status"]), lex, text_col="text", id_col="path",
                                  status_col="status", filters=filters, mode=mode, window=window,
                                  subject_window=subject_window, jobs=jobs, scheduler=scheduler,
                                  tokenizer=tokenizer, exclusions=exclusions)
        doc_parts.append(counted.documents.drop(columns=["status", "scope_status", "scope_pages"]))
        term_parts.append(counted.terms)
    scope_info = (pd.concat(prepared, ignore_index=True) if prepared
                  else pd.DataFrame(columns=["path", "scope_status", "scope_pages"]))
    table = documents.merge(scope_info, on="path", how="left", validate="one_to_one")
    # documents without pages (or not ok) keep the extraction status as the reason
    no_text = table["scope_status"].isna()
    table.loc[no_text, "scope_status"] = table.loc[no_text, "status"].where(table.loc[no_text, "status"] != "ok",
                                                                             "no_pages")
    table["scope_pages"] = table["scope_pages"].fillna("")
    removers = (*filters, *(("exclusions",) if exclusions else ()))
    if doc_parts:
        counts = pd.concat(doc_parts, ignore_index=True)
        table = table.merge(counts, on="path", how="left", validate="one_to_one")
    terms = pd.concat(term_parts, ignore_index=True) if term_parts else pd.DataFrame(
        columns=["path", "lexicon", "term", "category", "n"] + [f"removed_{f}" for f in removers])
    # every count column exists (missing when no document could be counted)
    count_cols = [c for c in counts.columns if c != "path"] if doc_parts else \
        [f"{k}_{s}" for k in lex for s in ("count", "raw", "sent")] + ["n_chars", "n_sentences"]
    for c in count_cols:
        if c not in table:
            table[c] = pd.NA
        table[c] = table[c].astype("Float64")
    dropped = table.loc[table["scope_status"] != "ok", "scope_status"].value_counts().sort_index().to_dict()
    # hits each context filter removed (the per-document numbers are the <key>_removed_<filter> columns)
    removed = {k: {f: int(table[f"{k}_removed_{f}"].fillna(0).sum()) if f"{k}_removed_{f}" in table else 0
                   for f in removers} for k in lex}
    # a lexicon that never matches is almost always a format or encoding slip, not a finding
    ok_docs = table["scope_status"] == "ok"
    unmatched = [k for k in lex if ok_docs.any() and f"{k}_raw" in table
                 and float(table.loc[ok_docs, f"{k}_raw"].fillna(0).sum()) == 0]
    if unmatched:
        warn("SM245", f"lexicon(s) {unmatched} matched nothing in {int(ok_docs.sum())} counted document(s): "
                      "every count is 0.",
             "check the terms are written as they appear in the reports (simplified characters, no spaces) "
             "and that the file is the lexicon you meant.")
    n_mda = int(table["scope_status"].isin(["SM110", "SM111"]).sum())
    if n_mda:
        warn("SM214", f"{n_mda} report(s) have no MD&A section that could be found (SM110/SM111); their MD&A "
                      "counts are missing, not zero (see scope_status in document_counts.parquet).",
             "check those reports' headings, or count the full report (--scope full).")

    if weighting == "tfidf":
        from .indices import DocumentCounts

        table = add_tfidf(DocumentCounts(table, terms, {k: v.provenance() for k, v in lex.items()}),
                          id_col="path", status_col="scope_status").documents
    firm_years = firm_year_index(table, count_cols=[f"{k}_count" for k in lex], status_col="scope_status",
                                 weighting=weighting, category_cols="auto" if categories else None)
    clean = None
    if clean_lexicon and clean_lexicon in lex:
        clean = clean_controls(table, terms, count_col=f"{clean_lexicon}_raw", lexicon=clean_lexicon, years=years,
                               id_col="path", status_col="scope_status")

    out.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out / "document_counts.parquet", index=False)
    terms.to_parquet(out / "term_counts.parquet", index=False)
    firm_years.to_parquet(out / "firm_year_index.parquet", index=False)
    if clean is not None:
        clean.assign(years_with_mentions=clean["years_with_mentions"].map(
            lambda ys: " ".join(str(y) for y in ys))).to_csv(out / "clean_controls.csv", index=False)
    params = {"extract_dir": str(extract_dir), "lexicons": {k: v.path or v.name for k, v in lex.items()},
              "scope": scope, "filters": list(filters), "exclusions": list(exclusions), "mode": mode,
              "window": window,
              "subject_window": subject_window, "tokenizer": tokenizer if mode == "token" else None,
              "weighting": weighting, "years": list(years) if years else None,
              "clean_lexicon": clean_lexicon if clean is not None else None, "jobs": jobs, "scheduler": scheduler}
    write_manifest(out / "manifest.json", build_manifest(
        "index count", params, inputs=inputs,
        extra={"lexicons": {k: {**v.provenance(), "meta": v.meta} for k, v in lex.items()},
               "counts": {"documents": len(table), "with_counts": int((table["scope_status"] == "ok").sum()),
                          "missing_by_reason": dropped, "removed_by_filter": removed,
                          "firm_years": len(firm_years), "lexicons_matching_nothing": unmatched,
                          "firm_years_missing": firm_years.attrs.get("dropped", {}),
                          "clean_firms": int(clean["clean"].sum()) if clean is not None else None},
               "outputs": sorted(p.name for p in out.iterdir() if p.name != "manifest.json"),
               "seconds": round(time.perf_counter() - started, 2)}))
    return IndexRun(out=out, documents=table, terms=terms, firm_years=firm_years, clean=clean, dropped=dropped,
                    removed=removed)
