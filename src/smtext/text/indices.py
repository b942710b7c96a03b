"""Keyword indices per document and per firm-year, and clean-control screening.

``count_documents`` counts several lexicons in a table of document texts (whole
report or one section, e.g. the MD&A cut by :mod:`smtext.text.sections`), serially,
on a local process pool (``jobs``) or on Dask (``scheduler``) with identical results;
``firm_year_index`` turns per-document counts into the firm-year measures the
papers use: the count, ln(1 + count) (吴非等 2021; papers 000/001), count per
10,000 characters and the share of sentences with a hit, optionally a TF-IDF
weighted count. Documents flagged bad by extraction (encrypted, truncated,
image-only ...) give missing values, never zeros, and the number of such
firm-years is reported. ``clean_controls`` screens firms whose reports never
mention smart manufacturing (paper 002) and lists the evidence.

Error/warning codes
-------------------
SM208  (warning) firm-years left missing because every document was flagged bad
SM209  no count columns found / count table lacks a needed column
SM210  (warning) firms that look clean but have unreadable years (screening incomplete)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns, warn
from .count import FILTERS, MODES, TOKENIZERS, compile_lexicon, count_text
from .lexicon import load_lexicon

SCOPES = ("full", "mda")
WEIGHTINGS = ("count", "tfidf")
_SCOPE_COL = {"full": "text", "mda": "mda_text"}


@dataclass(frozen=True)
class DocumentCounts:
    """Per-document counts of several lexicons.

    Attributes
    ----------
    documents : DataFrame
        One row per input document: its id/key columns, ``status``, ``n_chars``,
        ``n_sentences`` and per lexicon key ``<key>_count, <key>_raw, <key>_sent,
        <key>_removed_<filter>, <key>__<category>`` (missing for bad documents).
    terms : DataFrame
        Long table ``<id>, lexicon, term, category, n, removed_<filter>...`` (terms with hits).
    lexicons : dict
        Provenance of every lexicon used (for the run manifest).
    options : dict
        scope, filters, mode, window.
    """

    documents: pd.DataFrame
    terms: pd.DataFrame = field(repr=False)
    lexicons: dict = field(default_factory=dict, repr=False)
    options: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The per-document table."""
        return self.documents


def _is_ok(frame: pd.DataFrame, status_col: str | None, text_col: str | None = None) -> pd.Series:
    ok = pd.Series(True, index=frame.index)
    if status_col is not None and status_col in frame.columns:
        ok &= frame[status_col].fillna("missing").astype(str).eq("ok")
    if text_col is not None:
        ok &= frame[text_col].map(lambda t: isinstance(t, str))
    return ok


def _count_batch(args: tuple) -> list[tuple[int, dict, list[dict]]]:
    """Count every lexicon in a batch of (position, text); runs in a worker (top level: picklable)."""
    batch, lexicons, options = args
    matchers = {k: compile_lexicon(v) for k, v in lexicons.items()}   # cached per process
    out = []
    for pos, text in batch:
        row: dict = {}
        term_rows = []
        for key, m in matchers.items():
            res = count_text(text, m, **options)
            row.update(res.as_row(key))
            row["n_chars"], row["n_sentences"] = res.n_chars, res.n_sentences
            for rec in res.term_rows():
                term_rows.append({"lexicon": key, **rec})
        out.append((pos, row, term_rows))
    return out


def count_documents(docs: pd.DataFrame, lexicons, scope: str = "full", text_col: str | None = None,
                    id_col: str = "path", status_col: str | None = "status", filters=("negation",),
                    mode: str = "leftmost_longest", window: int = 6, subject_window: int = 10,
                    jobs: int = 1, scheduler: str | None = None, batch_size: int | None = None,
                    tokenizer: str = "jieba", exclusions=()) -> DocumentCounts:
    """Count every lexicon in every document of ``docs``.

    Parameters
    ----------
    docs : DataFrame
        One row per document with an id column, a text column and (optionally) a
        status column from extraction; other columns (``stkcd``, ``year`` ...) are kept.
    lexicons : dict of {key: Lexicon or name} or list of names
        Lexicons to count; the key prefixes the output columns.
    scope : {"full", "mda"}
        Which text is counted; picks ``text_col`` when it is not given
        (``text`` for the whole report, ``mda_text`` for the MD&A section).
    text_col : str, optional
        Column holding the (normalised) text.
    id_col : str
        Document id column (kept in ``terms``).
    status_col : str or None
        Documents whose status is not ``"ok"`` (or whose text is missing) get
        missing counts, never zeros.
    filters, mode, window, subject_window, exclusions
        Passed to :func:`smtext.text.count.count_text` (hits inside an exclusion string are
        removed as ``removed_exclusions``).
    tokenizer : {"jieba", "rjieba"}
        Segmenter of ``mode="token"`` (ignored otherwise); each worker builds its own
        instance with the lexicon terms as user words.
    jobs : int
        Local worker processes (1 = in this process). The result does not depend on it.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); the batches then run on that
        cluster (see :func:`smtext.engine.parallel_map`), with the same result.
    batch_size : int, optional
        Documents per task; default spreads the documents over about four tasks
        per worker (at most 64 documents per task).

    Returns
    -------
    DocumentCounts
    """
    from ..engine import parallel_map

    check_option("scope", scope, SCOPES)
    check_option("mode", mode, MODES)
    check_option("tokenizer", tokenizer, TOKENIZERS)
    for f in filters:
        check_option("filters", f, FILTERS)
    if int(jobs) < 1:
        raise SMError("SM002", f"jobs={jobs} is not allowed; use 1 (serial) or more worker processes.")
    text_col = text_col or _SCOPE_COL[scope]
    require_columns(docs, [id_col, text_col], "document table")
    if isinstance(lexicons, dict):
        lex = {k: load_lexicon(v) for k, v in lexicons.items()}
    else:
        lex = {load_lexicon(v).name: load_lexicon(v) for v in lexicons}
    ok = _is_ok(docs, status_col, text_col)
    good = [(pos, text) for pos, (text, g) in enumerate(zip(docs[text_col], ok)) if g]
    workers = max(int(jobs), 1)
    size = int(batch_size) if batch_size else max(1, min(64, -(-len(good) // (4 * workers))))
    exclusions = tuple(exclusions or ())
    options = {"filters": tuple(filters), "mode": mode, "window": window, "subject_window": subject_window,
               "tokenizer": tokenizer, "exclusions": exclusions}
    # lexicons travel as objects (a user CSV need not exist on a Dask worker); workers compile and cache them
    tasks = [(good[i:i + size], lex, options) for i in range(0, len(good), size)]
    results = parallel_map(_count_batch, tasks, jobs=int(jobs), scheduler=scheduler, description="counting",
                           chunksize=1)
    rows: list[dict] = [{} for _ in range(len(docs))]
    term_rows = []
    ids = docs[id_col].tolist()
    # results come back in task order, so the output does not depend on jobs/scheduler
    for batch in results:
        for pos, row, trows in batch:
            rows[pos] = row
            term_rows.extend({id_col: ids[pos], **rec} for rec in trows)
    counts = pd.DataFrame(rows, index=docs.index)
    out = docs.drop(columns=[c for c in docs.columns if c in (text_col,) or c in counts.columns]).join(counts)
    int_cols = [c for c in counts.columns if c != "n_chars"]
    for c in int_cols + ["n_chars"]:
        if c in out:
            out[c] = out[c].astype("Float64") if out[c].isna().any() else out[c].astype("int64")
    rem_cols = [f"removed_{f}" for f in (*filters, *(("exclusions",) if exclusions else ()))]
    terms = pd.DataFrame(term_rows, columns=[id_col, "lexicon", "term", "category", "n"] + rem_cols)
    terms[["n"] + rem_cols] = terms[["n"] + rem_cols].fillna(0).astype("int64")
    return DocumentCounts(documents=out.reset_index(drop=True), terms=terms,
                          lexicons={k: v.provenance() for k, v in lex.items()},
                          options={"scope": scope, "text_col": text_col, "filters": list(filters),
                                   "exclusions": list(exclusions), "mode": mode,
                                   "tokenizer": tokenizer if mode == "token" else None,
                                   "window": window, "subject_window": subject_window,
                                   "bad_documents": int((~ok).sum())})


def tfidf_scores(terms: pd.DataFrame, documents: pd.Series, lexicon: str | None = None, id_col: str = "path",
                 smooth: bool = True) -> pd.Series:
    """TF-IDF weighted keyword count per document: sum over terms of n(d, t) * idf(t).

    ``idf(t) = ln((1 + N) / (1 + df(t))) + 1`` (smooth, scikit-learn's default) or
    ``ln(N / df(t)) + 1``, where N is the number of documents in ``documents``
    (the good documents of the corpus) and df(t) the number of them that contain t.

    Parameters
    ----------
    terms : DataFrame
        ``DocumentCounts.terms``.
    documents : Series
        Ids of the documents that form the corpus (documents with zero hits included).
    lexicon : str, optional
        Restrict to one lexicon key.

    Returns
    -------
    Series indexed by document id (0 for documents without hits).
    """
    t = terms if lexicon is None else terms[terms["lexicon"] == lexicon]
    t = t[t["n"] > 0]
    ids = pd.Index(pd.unique(documents))
    n_docs = len(ids)
    df = t.groupby("term")[id_col].nunique()
    idf = (np.log((1 + n_docs) / (1 + df)) + 1) if smooth else (np.log(n_docs / df) + 1)
    score = (t["n"] * t["term"].map(idf)).groupby(t[id_col]).sum()
    return score.reindex(ids, fill_value=0.0).astype(float)


def add_tfidf(counts: DocumentCounts, id_col: str = "path", status_col: str | None = "status",
              smooth: bool = True) -> DocumentCounts:
    """Add ``<key>_tfidf`` columns (missing for bad documents) to ``counts.documents``."""
    docs = counts.documents.copy()
    good = docs[f"{next(iter(counts.lexicons))}_count"].notna() if counts.lexicons else pd.Series(False, index=docs.index)
    for key in counts.lexicons:
        s = tfidf_scores(counts.terms, docs.loc[good, id_col], lexicon=key, id_col=id_col, smooth=smooth)
        docs[f"{key}_tfidf"] = docs[id_col].map(s).where(good)
    return DocumentCounts(docs, counts.terms, counts.lexicons, {**counts.options, "tfidf_smooth": smooth})


def firm_year_index(doc_counts: pd.DataFrame, count_cols=None, keys=("stkcd", "year"), status_col: str | None = "status",
                    chars_col: str = "n_chars", sentences_col: str = "n_sentences", per: int = 10_000,
                    weighting: str = "count", category_cols=None, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Firm-year keyword measures from per-document counts.

    For every count column ``<base>_count`` the output has ``<base>_count`` (sum over
    the firm-year's good documents), ``<base>_ln`` = ln(1 + count), ``<base>_per10k``
    = count per ``per`` characters, and when the inputs are there ``<base>_sent_share``
    (share of sentences with a hit, from ``<base>_sent``) and ``<base>_tfidf`` /
    ``<base>_tfidf_ln`` (``weighting="tfidf"``, from :func:`add_tfidf`). Per-category
    counts (``category_cols``) get the count, ln(1 + count) and per-10k columns.

    Parameters
    ----------
    doc_counts : DataFrame
        One row per document (``DocumentCounts.documents`` or any table with the
        key columns, counts, a character count and a status column).
    count_cols : list of str, optional
        Count columns; default every column ending in ``_count``.
    keys : tuple of str
        Firm-year keys.
    status_col : str or None
        A firm-year whose documents are all flagged (status != "ok") or have a
        missing count gets missing measures, not zeros.
    chars_col, sentences_col : str
        Text length and sentence count columns.
    per : int
        Denominator of the density measure (10,000 characters).
    weighting : {"count", "tfidf"}
    category_cols : list of str or "auto", optional
        Per-category count columns (``<key>__<category>`` from :func:`count_documents`);
        each gives ``<col>_count``, ``<col>_ln`` and ``<col>_per10k`` (no sentence
        share or TF-IDF). ``"auto"``: every ``<key>__<category>`` column of the
        lexicons in ``count_cols``. Default: none.
    panel : DataFrame, optional
        Firm-years (``keys`` columns) the index is wanted for: the output has exactly
        these rows; those without any document get ``n_docs`` 0 and missing measures
        (no document is not zero mentions, e.g. a firm-year without analyst reports),
        and documents of firm-years outside the panel are left out.

    Returns
    -------
    DataFrame keyed by ``keys`` (sorted) with ``n_docs``, ``n_bad_docs`` and the measures;
    ``.attrs["dropped"]`` says how many firm-years are missing and why, and how many
    documents lack a key.
    """
    check_option("weighting", weighting, WEIGHTINGS)
    keys = list(keys)
    if count_cols is None:
        count_cols = [c for c in doc_counts.columns if c.endswith("_count") and c not in keys]
    if not count_cols:
        raise SMError("SM209", "no count columns found (expected names ending in _count).",
                      "pass count_cols=[...] or use smtext.text.indices.count_documents.")
    if isinstance(category_cols, str) and category_cols == "auto":
        prefixes = tuple(c[: -len("_count")] + "__" for c in count_cols if c.endswith("_count"))
        category_cols = [c for c in doc_counts.columns if prefixes and c.startswith(prefixes)]
    category_cols = [c for c in (category_cols or []) if c not in count_cols]
    require_columns(doc_counts, keys + list(count_cols) + category_cols + [chars_col], "document counts")
    d = doc_counts.copy()
    good = _is_ok(d, status_col) & d[count_cols].notna().all(axis=1) & d[chars_col].notna()
    d["_good"] = good
    bases = [c[: -len("_count")] if c.endswith("_count") else c for c in count_cols]
    extra = []
    for b in bases:
        for suffix in ("_sent", "_tfidf"):
            if b + suffix in d.columns:
                extra.append(b + suffix)
    value_cols = list(dict.fromkeys(list(count_cols) + category_cols + extra + [chars_col]
                                    + ([sentences_col] if sentences_col in d.columns else [])))
    g = d[good].groupby(keys, sort=True)[value_cols].sum()
    meta = d.groupby(keys, sort=True).agg(n_docs=("_good", "size"), n_good=("_good", "sum"))
    out = meta.join(g, how="left")
    out["n_bad_docs"] = (out["n_docs"] - out["n_good"]).astype(int)
    res = out[["n_docs", "n_bad_docs"]].copy()
    for col, b in zip(count_cols, bases):
        cnt = out[col].astype(float)
        res[f"{b}_count"] = cnt
        res[f"{b}_ln"] = np.log1p(cnt)
        chars = out[chars_col].astype(float)
        res[f"{b}_per10k"] = np.where(chars > 0, cnt / chars.where(chars > 0) * per, np.nan)
        if b + "_sent" in out and sentences_col in out:
            sents = out[sentences_col].astype(float)
            res[f"{b}_sent_share"] = out[b + "_sent"].astype(float) / sents.where(sents > 0)
        if weighting == "tfidf":
            if b + "_tfidf" not in out:
                raise SMError("SM209", f"weighting='tfidf' needs column {b}_tfidf.",
                              "run smtext.text.indices.add_tfidf on the document counts first.")
            res[f"{b}_tfidf"] = out[b + "_tfidf"].astype(float)
            res[f"{b}_tfidf_ln"] = np.log1p(res[f"{b}_tfidf"])
    chars = out[chars_col].astype(float)
    for col in category_cols:
        cnt = out[col].astype(float)
        res[f"{col}_count"] = cnt
        res[f"{col}_ln"] = np.log1p(cnt)
        res[f"{col}_per10k"] = np.where(chars > 0, cnt / chars.where(chars > 0) * per, np.nan)
    res = res.reset_index()
    missing = int((out["n_good"] == 0).sum())
    dropped = {"firm_years_missing_all_documents_bad": missing, "documents_bad": int((~good).sum()),
               "documents_missing_keys": int(d[keys].isna().any(axis=1).sum())}
    if panel is not None:
        require_columns(panel, keys, "panel")
        wanted = panel[keys].drop_duplicates()
        if len(res):
            wanted = wanted.astype(res[keys].dtypes.to_dict())
        merged = wanted.merge(res, on=keys, how="left", indicator=True)
        dropped["firm_years_outside_panel"] = len(res) - int((merged["_merge"] == "both").sum())
        dropped["firm_years_without_documents"] = int((merged["_merge"] == "left_only").sum())
        res = merged.drop(columns="_merge").sort_values(keys).reset_index(drop=True)
        res[["n_docs", "n_bad_docs"]] = res[["n_docs", "n_bad_docs"]].fillna(0).astype(int)
    res.attrs["dropped"] = dropped
    if missing:
        warn("SM208", f"{missing} firm-year(s) have only documents flagged bad (encrypted, truncated, image-only ...); "
                      "their keyword measures are missing, not zero.",
             "re-download or OCR those reports; see the extraction failures table.")
    return res


def clean_controls(doc_counts: pd.DataFrame, terms: pd.DataFrame | None = None, count_col: str = "smart_manufacturing_raw",
                   lexicon: str | None = None, years: tuple[int, int] | None = None, id_col: str = "path",
                   firm_col: str = "stkcd", year_col: str = "year", status_col: str | None = "status") -> pd.DataFrame:
    """Screen firms whose reports never mention smart manufacturing (paper 002's clean controls).

    A firm is ``clean`` when every readable report in the window has zero raw
    mentions (before context filters: a negated mention still mentions the term)
    and no report in the window is unreadable; ``incomplete`` when no mention was
    seen but some reports were flagged bad; ``mentions`` otherwise.

    Parameters
    ----------
    doc_counts : DataFrame
        Per-document counts (``DocumentCounts.documents``).
    terms : DataFrame, optional
        ``DocumentCounts.terms``; gives the evidence (which terms in which years).
    count_col : str
        Raw mention column of the smart-manufacturing lexicon (``<key>_raw``).
    lexicon : str, optional
        Lexicon key in ``terms`` (default: ``count_col`` without ``_raw``).
    years : (first, last), optional
        Sample window (inclusive); default all years.

    Returns
    -------
    DataFrame, one row per firm: ``stkcd, status, clean, n_reports, n_bad_reports,
    years_with_mentions, mentions, evidence`` (e.g. ``2016: 智能制造×2, 工业互联网×1``).
    """
    require_columns(doc_counts, [firm_col, year_col, count_col], "document counts")
    d = doc_counts.copy()
    if years is not None:
        d = d[d[year_col].between(years[0], years[1])]
    good = _is_ok(d, status_col) & d[count_col].notna()
    d["_good"] = good
    d["_n"] = d[count_col].astype(float).fillna(0.0)
    key = lexicon or (count_col[: -len("_raw")] if count_col.endswith("_raw") else count_col)
    evidence: dict = {}
    if terms is not None and len(terms):
        require_columns(terms, [id_col, "lexicon", "term", "n"], "term counts")
        t = terms[terms["lexicon"] == key].copy()
        t["n_all"] = t[[c for c in t.columns if c == "n" or c.startswith("removed_")]].sum(axis=1)
        t = t.merge(d[[id_col, firm_col, year_col]], on=id_col, how="inner")
        t = t[t["n_all"] > 0].sort_values([firm_col, year_col, "term"])
        for firm, g in t.groupby(firm_col):
            parts = []
            for yr, gy in g.groupby(year_col):
                parts.append(f"{int(yr)}: " + ", ".join(f"{r.term}×{int(r.n_all)}" for r in gy.itertuples()))
            evidence[firm] = "; ".join(parts)
    rows = []
    for firm, g in d.groupby(firm_col, sort=True):
        gg = g[g["_good"]]
        mention_years = sorted(int(y) for y in gg.loc[gg["_n"] > 0, year_col].unique())
        n_bad = int((~g["_good"]).sum())
        status = "mentions" if mention_years else ("incomplete" if n_bad else "clean")
        rows.append({firm_col: firm, "status": status, "clean": status == "clean", "n_reports": int(len(g)),
                     "n_bad_reports": n_bad, "years_with_mentions": mention_years,
                     "mentions": int(gg["_n"].sum()), "evidence": evidence.get(firm, "")})
    out = pd.DataFrame(rows, columns=[firm_col, "status", "clean", "n_reports", "n_bad_reports",
                                      "years_with_mentions", "mentions", "evidence"])
    n_inc = int((out["status"] == "incomplete").sum())
    if n_inc:
        warn("SM210", f"{n_inc} firm(s) have no smart-manufacturing mention in their readable reports but some "
                      "reports are flagged bad; they are marked 'incomplete', not clean.",
             "fix the flagged reports, or treat 'incomplete' as clean explicitly if you accept the risk.")
    return out
