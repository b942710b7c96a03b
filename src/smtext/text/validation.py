"""Validation numbers for a keyword index written by ``smtext index count``.

``validate_index(index_dir)`` reads ``firm_year_index.parquet``, ``term_counts.parquet``,
``document_counts.parquet`` and ``manifest.json`` of an index folder and, per lexicon,
computes what a user checks before using a new text measure:

* the share of zero firm-years, overall and by year (warning SM250 when every firm-year is
  zero, SM251 naming the terms that never matched);
* the distribution of ln(1 + count) and of hits per 10,000 characters, and the yearly trend
  (mean, median, share above zero);
* the top firms and the top terms, each term with example sentences (keyword in context)
  taken from the text the counter saw (the extraction folder, re-counted with the index's
  own options, so every example is a hit the index counted);
* term concentration: the share of hits of the top term and the HHI of term shares;
* Pearson and Spearman correlations with reference indices (another lexicon of the index,
  a column, or a CSV/Parquet file with ``stkcd, year, value``);
* likely false positives: hits that are part of a longer name (the term followed by
  部门/局/委员会 ..., inside a company name such as 江苏安靠智能输电工程科技股份有限公司, inside
  《...》, or not aligned with jieba's word boundaries), listed with counts and examples, and
  the lines of an exclusion file (one longer string a line);
* with ``exclusions=``, the hits that fall inside those strings and the index without them.

The result is plain tables and numbers (:class:`IndexValidation`);
:func:`smtext.report.validation.write_validation_report` writes them as HTML, figures and JSON.

Error/warning codes
-------------------
SM250  (warning) every firm-year of a lexicon is zero: the lexicon matched nothing
SM251  (warning) lexicon terms that never matched in any document
SM252  the index folder lacks firm_year_index.parquet / term_counts.parquet / manifest.json, or a lexicon
       asked for is not in it
SM253  a reference index that cannot be used (unknown column, file without stkcd/year or with no single value
       column)
SM254  (warning) a reference with fewer than 3 firm-years in common with the index, or a constant index or
       reference: no correlation
SM255  (warning) no keyword-in-context examples or false-positive screen: the extraction folder or the lexicon
       file is missing, or the lexicon changed since the index was counted
SM256  (warning) hits that look like part of a longer name (likely false positives), with the count
SM257  an exclusion file that cannot be read
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, warn
from .count import read_exclusions

# what follows a term when it is part of an organisation, law or company name (环境保护部门, 环境保护法)
NAME_SUFFIXES = ("股份有限公司", "有限公司", "委员会", "办公室", "管理局", "部门", "研究院", "研究所", "基金会",
                 "协会", "学会", "公司", "集团", "大学", "学院", "中心", "条例", "局", "厅", "署", "法")
# a company name runs on to one of these within a few characters (江苏安靠智能输电工程科技股份有限公司)
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团")
_NAME_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{0,12}?(?:" + "|".join(COMPANY_SUFFIXES) + ")")
_SENT_STOP = "。！？!?；;\n"
_HIST_BINS = 20


@dataclass(frozen=True)
class LexiconValidation:
    """Validation tables of one lexicon of an index.

    Attributes
    ----------
    key : str
        Column prefix of the lexicon in the index.
    summary : dict
        Firm-years, missing, zeros share, hits, terms with hits, top-term share, HHI ...
    by_year : DataFrame
        ``year, n, zeros_share, mean, median, share_positive, mean_ln, mean_per10k``.
    distribution : dict
        Quantiles and histogram bins of ``ln`` (ln(1 + count)) and ``per10k``.
    top_firms : DataFrame
        ``stkcd, firm, years, hits, mean_count, mean_per10k``.
    terms : DataFrame
        Every term of the lexicon: ``term, category, hits, documents, share, removed``
        (hits removed by the context filters), sorted by hits.
    examples : DataFrame
        ``term, rank, path, stkcd, year, left, hit, right``: keyword in context.
    correlations : DataFrame
        ``reference, measure, n, pearson, spearman``.
    false_positives : DataFrame
        ``term, longer, reason, hits, documents, example``.
    exclusions : dict
        Effect of the exclusion list (empty when none was given).
    zero_terms : list of str
        Terms that never matched (not even in a context the filters removed).
    firm_years : DataFrame
        ``stkcd, year, count, ln, per10k`` (and ``count_excluded`` with an exclusion list).
    """

    key: str
    summary: dict
    by_year: pd.DataFrame = field(repr=False)
    distribution: dict = field(repr=False)
    top_firms: pd.DataFrame = field(repr=False)
    terms: pd.DataFrame = field(repr=False)
    examples: pd.DataFrame = field(repr=False)
    correlations: pd.DataFrame = field(repr=False)
    false_positives: pd.DataFrame = field(repr=False)
    exclusions: dict = field(default_factory=dict, repr=False)
    zero_terms: list = field(default_factory=list, repr=False)
    firm_years: pd.DataFrame = field(default=None, repr=False)


@dataclass(frozen=True)
class IndexValidation:
    """What :func:`validate_index` found.

    Attributes
    ----------
    index_dir : Path
    lexicons : dict of {str: LexiconValidation}
    inputs : dict
        Input file -> sha256 (for the run manifest).
    parameters : dict
        The options of the validation (for the run manifest).
    seconds : float
        Time :func:`validate_index` took (recorded in manifest.json only: it varies between runs).
    """

    index_dir: Path
    lexicons: dict
    inputs: dict = field(default_factory=dict, repr=False)
    parameters: dict = field(default_factory=dict, repr=False)
    seconds: float = 0.0

    def exclusion_lines(self) -> list[str]:
        """The longer strings of every likely false positive, one a line, for an exclusion file.

        Names (``name_suffix``) and titles (``book_title``) are active lines; longer words found by
        segmentation are commented out (``# 智能化``), to be switched on by deleting the ``# ``.
        """
        seen: dict = {}
        for lv in self.lexicons.values():
            for row in lv.false_positives.itertuples(index=False):
                seen.setdefault(row.longer, (f"# {lv.key}: {row.term} -> {row.longer}, {row.hits} hit(s), {row.reason}",
                                             row.reason))
        lines = []
        for longer, (comment, reason) in seen.items():
            # a longer dictionary word (智能化 for 智能) is often still the concept: suggested, commented out
            lines += [comment, f"# {longer}" if reason == "segmentation" else longer]
        return lines


# ---------------------------------------------------------------- inputs
def _read_index(index_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict, dict]:
    from ..manifest import file_sha256

    names = ("firm_year_index.parquet", "term_counts.parquet", "document_counts.parquet", "manifest.json")
    missing = [n for n in names if not (index_dir / n).is_file()]
    if missing:
        raise SMError("SM252", f"{index_dir} lacks {missing}: it is not the output of `smtext index count`.",
                      "pass the --out folder of `smtext index count`.")
    fy = pd.read_parquet(index_dir / names[0])
    terms = pd.read_parquet(index_dir / names[1])
    docs = pd.read_parquet(index_dir / names[2])
    manifest = json.loads((index_dir / names[3]).read_text(encoding="utf-8"))
    inputs = {str(index_dir / n): file_sha256(index_dir / n) for n in names}
    return fy, terms, docs, manifest, inputs


def _reference_series(name: str, source, fy: pd.DataFrame, lexicon_keys, measure: str = "ln") -> pd.Series:
    """A reference index as a Series keyed by (stkcd, year) (a lexicon of the index: its ``_<measure>``)."""
    if isinstance(source, pd.Series):
        return source.astype(float)
    if isinstance(source, pd.DataFrame):
        frame, col = source, None
    else:
        text = str(source)
        if text in lexicon_keys and f"{text}_{measure}" in fy:
            return fy.set_index(["stkcd", "year"])[f"{text}_{measure}"].astype(float)
        if text in fy.columns:
            return fy.set_index(["stkcd", "year"])[text].astype(float)
        col = None
        path = Path(text)
        if not path.exists() and ":" in text:
            text, col = text.rsplit(":", 1)
            path = Path(text)
        if not path.is_file():
            raise SMError("SM253", f"reference {name}: {source!r} is neither a lexicon or column of the index nor a "
                                   "file.", "give a lexicon name of the index, a column of firm_year_index.parquet, or "
                                            "a CSV/Parquet file with stkcd, year and one value column (FILE:COLUMN).")
        frame = (pd.read_parquet(path) if path.suffix.lower() == ".parquet"
                 else pd.read_csv(path, dtype={"stkcd": str}, encoding="utf-8-sig"))
    if not {"stkcd", "year"} <= set(frame.columns):
        raise SMError("SM253", f"reference {name} has no stkcd and year columns (it has {list(frame.columns)[:8]}).",
                      "rename the key columns to stkcd and year.")
    if col is None:
        values = [c for c in frame.columns if c not in ("stkcd", "year") and pd.api.types.is_numeric_dtype(frame[c])]
        col = "value" if "value" in frame.columns else (values[0] if len(values) == 1 else None)
        if col is None:
            raise SMError("SM253", f"reference {name} has {len(values)} numeric columns {values[:8]}; which is the index?",
                          "name it: FILE:COLUMN, or keep one value column called value.")
    if col not in frame.columns:
        raise SMError("SM253", f"reference {name} has no column {col!r}.", "check the column name after the colon.")
    frame = frame.assign(stkcd=frame["stkcd"].astype(str).str.strip().str.zfill(6),
                         year=pd.to_numeric(frame["year"], errors="coerce"))
    frame = frame.dropna(subset=["year"]).astype({"year": "int64"})
    return frame.groupby(["stkcd", "year"])[col].mean().astype(float)


# ---------------------------------------------------------------- numbers from the tables
def _hist(values: pd.Series) -> dict:
    v = values.dropna().to_numpy(float)
    if not len(v):
        return {"edges": [], "counts": [], "quantiles": {}}
    counts, edges = np.histogram(v, bins=_HIST_BINS)
    qs = {f"p{int(q * 100)}": float(np.quantile(v, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)}
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
            "quantiles": {**qs, "min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
                          "sd": float(v.std(ddof=1)) if len(v) > 1 else float("nan")}}


def zeros_and_trend(fy: pd.DataFrame, key: str) -> tuple[dict, pd.DataFrame]:
    """Zero share overall and the yearly trend of one lexicon's firm-year count.

    Parameters
    ----------
    fy : DataFrame
        ``firm_year_index.parquet``.
    key : str
        Lexicon prefix.

    Returns
    -------
    overall : dict
        ``firm_years, missing, zeros, zeros_share, positive_share, mean, median``.
    by_year : DataFrame
        ``year, n, zeros_share, mean, median, share_positive, mean_ln, mean_per10k`` (missing firm-years left out).
    """
    c = fy[f"{key}_count"].astype(float)
    ok = fy[c.notna()]
    cnt = ok[f"{key}_count"].astype(float)
    overall = {"firm_years": len(fy), "missing": int(c.isna().sum()), "counted": len(ok),
               "zeros": int((cnt == 0).sum()),
               "zeros_share": float((cnt == 0).mean()) if len(ok) else float("nan"),
               "positive_share": float((cnt > 0).mean()) if len(ok) else float("nan"),
               "mean": float(cnt.mean()) if len(ok) else float("nan"),
               "median": float(cnt.median()) if len(ok) else float("nan")}
    g = ok.assign(_c=cnt).groupby("year", sort=True)
    by_year = pd.DataFrame({
        "n": g["_c"].size(),
        "zeros_share": g["_c"].apply(lambda s: float((s == 0).mean())),
        "mean": g["_c"].mean(), "median": g["_c"].median(),
        "share_positive": g["_c"].apply(lambda s: float((s > 0).mean())),
        "mean_ln": g[f"{key}_ln"].mean(), "mean_per10k": g[f"{key}_per10k"].mean(),
    }).reset_index()
    by_year["n"] = by_year["n"].astype("int64")
    return overall, by_year


def term_table(terms: pd.DataFrame, lexicon_terms: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Hits per term of one lexicon (every lexicon term listed, zeros included).

    ``share`` is the term's share of all kept hits; ``removed`` the hits the context filters dropped.
    """
    t = terms[terms["lexicon"] == key]
    removed_cols = [c for c in t.columns if c.startswith("removed_")]
    agg = t.assign(removed=t[removed_cols].sum(axis=1) if removed_cols else 0, doc=(t["n"] > 0).astype(int))
    table = agg.groupby(["term", "category"], sort=True).agg(hits=("n", "sum"), documents=("doc", "sum"),
                                                              removed=("removed", "sum")).reset_index()
    if lexicon_terms is not None:
        every = lexicon_terms[["term", "category"]]
        table = every.merge(table, on=["term", "category"], how="left")
        table = table.fillna({"hits": 0, "documents": 0, "removed": 0})
    table = table.astype({"hits": "int64", "documents": "int64", "removed": "int64"})
    total = table["hits"].sum()
    table["share"] = table["hits"] / total if total else 0.0
    table = table.sort_values(["hits", "term"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    return table[["term", "category", "hits", "documents", "share", "removed"]]


def concentration(table: pd.DataFrame) -> dict:
    """Share of hits of the top term (and top five) and the Herfindahl index of term shares."""
    s = table.loc[table["hits"] > 0, "share"].sort_values(ascending=False)
    if not len(s):
        return {"terms_with_hits": 0, "top_term": None, "top_term_share": float("nan"),
                "top5_share": float("nan"), "hhi": float("nan")}
    top = table.loc[table["hits"] > 0].iloc[0]["term"]
    return {"terms_with_hits": len(s), "top_term": str(top), "top_term_share": float(s.iloc[0]),
            "top5_share": float(s.iloc[:5].sum()), "hhi": float((s ** 2).sum())}


def correlations(fy: pd.DataFrame, key: str, references: dict, lexicon_keys=(), measure: str = "ln") -> pd.DataFrame:
    """Firm-year Pearson and Spearman correlations of ``<key>_<measure>`` with each reference index.

    Pairs with a missing value on either side are left out; ``n`` is the number of firm-years used.
    A reference sharing fewer than 3 firm-years gives missing correlations (warning SM254).
    """
    target = fy.set_index(["stkcd", "year"])[f"{key}_{measure}"].astype(float)
    rows = []
    for name, source in references.items():
        if name == key or (isinstance(source, str) and source in (key, f"{key}_{measure}")):
            continue            # the index against itself says nothing
        ref = _reference_series(name, source, fy, lexicon_keys, measure)
        both = pd.concat([target.rename("a"), ref.rename("b")], axis=1, join="inner").dropna()
        n = len(both)
        constant = n >= 3 and (both["a"].nunique() == 1 or both["b"].nunique() == 1)
        if n < 3 or constant:
            why = "one side is constant" if constant else f"it shares {n} firm-year(s) with {key}"
            warn("SM254", f"reference {name}: no correlation with {key} ({why}).",
                 "check that stock codes are 6 digits and years match the index, and that neither index is all zero.")
            rows.append({"reference": name, "measure": measure, "n": n, "pearson": float("nan"),
                         "spearman": float("nan")})
            continue
        rows.append({"reference": name, "measure": measure, "n": n, "pearson": float(both["a"].corr(both["b"])),
                     "spearman": float(both["a"].corr(both["b"], method="spearman"))})
    return pd.DataFrame(rows, columns=["reference", "measure", "n", "pearson", "spearman"])


def top_firms(fy: pd.DataFrame, docs: pd.DataFrame, key: str, top: int) -> pd.DataFrame:
    """Firms with the most hits over all their counted years."""
    ok = fy[fy[f"{key}_count"].notna()]
    g = ok.groupby("stkcd", sort=True)
    table = pd.DataFrame({"years": g.size(), "hits": g[f"{key}_count"].sum(), "mean_count": g[f"{key}_count"].mean(),
                          "mean_per10k": g[f"{key}_per10k"].mean()}).reset_index()
    if "firm" in docs.columns:
        names = docs.dropna(subset=["firm"]).sort_values(["stkcd", "year"]).groupby("stkcd")["firm"].last()
        table.insert(1, "firm", table["stkcd"].map(names).fillna(""))
    table = table.sort_values(["hits", "stkcd"], ascending=[False, True], kind="mergesort")
    return table[table["hits"] > 0].head(top).reset_index(drop=True)


# ---------------------------------------------------------------- context of hits
def _sentence_bounds(text: str, start: int, end: int, width: int) -> tuple[int, int]:
    """The sentence around [start, end), clipped to ``width`` characters on each side."""
    lo = max(0, start - width)
    left = text[lo:start]
    cut = max(left.rfind(c) for c in _SENT_STOP)
    lo = lo + cut + 1 if cut >= 0 else lo
    hi = min(len(text), end + width)
    right = text[end:hi]
    stops = [i for i in (right.find(c) for c in _SENT_STOP) if i >= 0]
    hi = end + min(stops) + 1 if stops else hi
    return lo, hi


def classify_hit(text: str, start: int, end: int, tokenizer=None, suffixes=NAME_SUFFIXES) -> tuple[str, str] | None:
    """Whether a hit looks like part of a longer name: ``(longer string, reason)`` or None.

    Reasons, checked in this order: ``name_suffix`` (the term is followed by 部门, 局, 委员会,
    公司, 法 ...), ``company_name`` (a run of at most 12 letters ends in 有限公司 / 集团 after the
    term: 智能 in 江苏安靠智能输电工程科技股份有限公司), ``book_title`` (inside 《...》, a law or document title) and ``segmentation``
    (a jieba token crosses the start or the end of the hit, so the term is inside a longer word).
    """
    after = text[end:end + 6]
    for suf in suffixes:
        if after.startswith(suf):
            return text[start:end] + suf, "name_suffix"
    m = _NAME_RUN.match(text, end)
    if m is not None:
        return text[start:m.end()], "company_name"
    lo = max(0, start - 40)
    opened = text.rfind("《", lo, start)
    if opened >= 0 and text.rfind("》", opened, start) < 0:
        closed = text.find("》", end, end + 40)
        if closed >= 0 and "\n" not in text[opened:closed]:
            return text[opened:closed + 1], "book_title"
    if tokenizer is None:
        return None
    a, b = max(0, start - 12), min(len(text), end + 12)
    lo_tok, hi_tok = start, end
    for _w, s, e in tokenizer.spans(text[a:b]):
        s, e = s + a, e + a
        if s < start < e or s < end < e:
            lo_tok, hi_tok = min(lo_tok, s), max(hi_tok, e)
    if (lo_tok, hi_tok) != (start, end) and not any(c in _SENT_STOP for c in text[lo_tok:hi_tok]):
        return text[lo_tok:hi_tok], "segmentation"
    return None


def _doc_key(path: str) -> int:
    """A stable pseudo-random rank of a report: examples are spread over reports, not the first ones."""
    return int(hashlib.sha1(path.encode("utf-8")).hexdigest()[:15], 16)


class _Findings:
    """What the text scan keeps of the hits of one lexicon, in memory bounded by terms x examples.

    Per term the ``k`` first hits of the lowest-ranked reports and the ``k`` lowest-ranked hits overall
    (example candidates); per likely false positive its counts and lowest-ranked example; per firm-year
    the hits inside exclusion strings.
    """

    def __init__(self, k: int):
        self.k = k
        self.first: dict = {}      # term -> max-heap of (-rank, -start, row) of first hits per report
        self.any: dict = {}        # term -> the same over every hit
        self.fp: dict = {}         # (term, longer, reason) -> [hits, reports, last path, best key, example]
        self.inside: Counter = Counter()   # (stkcd, year, term, string) -> hits

    def _push(self, pool: dict, term: str, key: tuple, row: dict) -> None:
        heap = pool.setdefault(term, [])
        item = (-key[0], -key[1], row)
        if len(heap) < self.k:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)

    def add(self, row: dict, key: tuple, first: bool, longer, reason, inside) -> None:
        term = row["term"]
        if first:
            self._push(self.first, term, key, row)
        self._push(self.any, term, key, row)
        if longer is not None:
            rec = self.fp.setdefault((term, longer, reason), [0, 0, None, None, ""])
            rec[0] += 1
            if rec[2] != row["path"]:
                rec[1], rec[2] = rec[1] + 1, row["path"]
            if rec[3] is None or key < rec[3]:
                rec[3], rec[4] = key, f"{row['left']}【{row['hit']}】{row['right']}"
        if inside is not None:
            self.inside[(row["stkcd"], row["year"], term, inside)] += 1

    def merge(self, other: _Findings) -> None:
        """Add the findings of another set of reports (the result does not depend on the order)."""
        for mine, theirs in ((self.first, other.first), (self.any, other.any)):
            for term, heap in theirs.items():
                for a, b, row in heap:
                    self._push(mine, term, (-a, -b), row)
        for fkey, (hits, docs, last, best, example) in other.fp.items():
            rec = self.fp.setdefault(fkey, [0, 0, None, None, ""])
            rec[0] += hits
            rec[1] += docs            # a report is scanned in one chunk: report counts add up
            if rec[3] is None or best < rec[3]:
                rec[3], rec[4] = best, example
        self.inside.update(other.inside)

    def examples(self, terms: list[str]) -> pd.DataFrame:
        """Up to ``k`` examples per term: distinct reports first (lowest rank), then more hits of them."""
        out = []
        for term in terms:
            firsts = sorted(((-a, -b), r) for a, b, r in self.first.get(term, []))
            chosen = [r for _, r in firsts]
            if len(chosen) < self.k:
                taken = {(r["path"], r["start"]) for r in chosen}
                more = sorted(((-a, -b), r) for a, b, r in self.any.get(term, []))
                chosen += [r for _, r in more if (r["path"], r["start"]) not in taken][: self.k - len(chosen)]
            for rank, r in enumerate(chosen, start=1):
                out.append({"term": term, "rank": rank, **{c: r[c] for c in ("path", "stkcd", "year", "left",
                                                                               "hit", "right")}})
        return pd.DataFrame(out, columns=["term", "rank", "path", "stkcd", "year", "left", "hit", "right"])

    def false_positives(self) -> pd.DataFrame:
        cols = ["term", "longer", "reason", "hits", "documents", "example"]
        rows = [{"term": t, "longer": lg, "reason": rs, "hits": v[0], "documents": v[1], "example": v[4]}
                for (t, lg, rs), v in self.fp.items()]
        table = pd.DataFrame(rows, columns=cols)
        if not len(table):
            return table
        table = table.sort_values(["hits", "term", "longer", "reason"], ascending=[False, True, True, True],
                                  kind="mergesort")
        return table.astype({"hits": "int64", "documents": "int64"}).reset_index(drop=True)

    def excluded(self) -> pd.DataFrame:
        rows = [{"stkcd": a, "year": b, "term": t, "string": x, "n": n} for (a, b, t, x), n in self.inside.items()]
        return pd.DataFrame(rows, columns=["stkcd", "year", "term", "string", "n"])


def _scan_chunk(args: tuple) -> dict:
    """Findings of every lexicon in a chunk of reports (runs in a worker; top level, so picklable)."""
    chunk, keys, lex, options, exclusions, segment, k = args
    from .count import count_text, fold

    # the very text the counter saw (page joins, MD&A cut)
    from .index_job import _prepare

    tok = None
    if segment:
        from .tokenize import TokenizerConfig, get_tokenizer

        # jieba's own dictionary with HMM off: a "longer word" is a dictionary word, never a guess
        tok = get_tokenizer(TokenizerConfig(hmm=False))
    folded_ex = [fold(x) for x in exclusions]
    found = {key: _Findings(k) for key in lex}
    for path, pages in chunk:
        text = _prepare((path, pages, options["scope"]))["text"]
        if text is None:
            continue
        folded = fold(text)
        spans = []
        for x in folded_ex:
            i = folded.find(x)
            while i >= 0:
                spans.append((i, i + len(x), x))
                i = folded.find(x, i + 1)
        stkcd, year = keys[path]
        rank = _doc_key(path)
        for key, lexicon in lex.items():
            res = count_text(text, lexicon, filters=options["filters"], mode=options["mode"],
                             window=options["window"], subject_window=options["subject_window"],
                             tokenizer=options["tokenizer"] or "jieba", sentences=False,
                             exclusions=options.get("exclusions", ()))
            seen: set = set()
            for s, e, term, _cat, _w, status, _cue in res.hits:
                if status != "kept":
                    continue
                lo, hi = _sentence_bounds(text, s, e, 40)
                fp = classify_hit(text, s, e, tok)
                inside = next((x for a, b, x in spans if a <= s and e <= b), None)
                row = {"term": term, "path": path, "stkcd": stkcd, "year": year, "start": s, "left": text[lo:s],
                       "hit": text[s:e], "right": text[e:hi].rstrip("\n")}
                found[key].add(row, (rank, s), term not in seen, fp[0] if fp else None, fp[1] if fp else None,
                               inside)
                seen.add(term)
    return found


def _scan_documents(extract_dir: Path, docs: pd.DataFrame, lex: dict, options: dict, exclusions: list[str],
                    segment: bool, k: int, jobs: int = 1, chunk_docs: int = 64) -> dict:
    """Re-count every lexicon in the counted documents and keep examples, false positives and excluded hits.

    Reports are read in chunks of ``chunk_docs`` (memory bounded by a chunk per worker) and scanned by
    ``jobs`` processes; the findings do not depend on ``jobs`` or the chunk size.

    Returns
    -------
    dict of {lexicon: _Findings}
    """
    from ..engine import parallel_map
    from .extract import extraction_files, iter_document_pages

    _, pages_path = extraction_files(extract_dir)
    keys = {p: (st, int(y)) for p, st, y in docs[["path", "stkcd", "year"]].itertuples(index=False)}
    found = {key: _Findings(k) for key in lex}

    def batches():
        chunk = []
        for path, pages in iter_document_pages(pages_path):
            if path in keys:
                chunk.append((path, pages))
            if len(chunk) >= chunk_docs * max(jobs, 1):
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    for batch in batches():
        parts = [batch[i:i + chunk_docs] for i in range(0, len(batch), chunk_docs)]
        args = [(part, {p: keys[p] for p, _ in part}, lex, options, exclusions, segment, k) for part in parts]
        for result in parallel_map(_scan_chunk, args, jobs=jobs, description="reading hits in context",
                                   chunksize=1):
            for key, f in result.items():
                found[key].merge(f)
    return found


# ---------------------------------------------------------------- entry point
def validate_index(index_dir: str | Path, extract_dir: str | Path | None = None, lexicons=None,
                   references: dict | None = None, exclusions=None, top: int = 20, examples: int = 3,
                   measure: str = "ln", segment: bool = True, jobs: int = 1) -> IndexValidation:
    """Validation numbers of the lexicons of an ``smtext index count`` output.

    Parameters
    ----------
    index_dir : path
        Output folder of ``smtext index count``.
    extract_dir : path, optional
        The ``smtext extract`` folder the index was counted from (default: the one its manifest
        records). Needed for example sentences and the false-positive screen; when it is missing
        those are skipped with warning SM255.
    lexicons : list of str, optional
        Lexicon prefixes to validate (default: every lexicon of the index).
    references : dict of {name: source}, optional
        Reference indices: a lexicon prefix of the same index (its ``_<measure>`` column), a column of
        ``firm_year_index.parquet``, a CSV/Parquet path with ``stkcd, year, value`` (or one numeric
        column; ``PATH:COLUMN`` picks one), or a Series / DataFrame keyed by ``stkcd, year``.
        Default: the other lexicons of the index.
    exclusions : path or list of str, optional
        Longer strings (环境保护部门) whose hits should not count: the report shows how many hits
        fall inside them and the zero share without them.
    top : int
        Rows of the top-firm and top-term tables.
    examples : int
        Example sentences per top term.
    measure : {"ln", "per10k", "count"}
        Firm-year measure correlated with the references.
    segment : bool
        Also flag hits whose ends are not jieba word boundaries (slower on large corpora).
    jobs : int
        Worker processes that re-read the report text (same results for any value).

    Returns
    -------
    IndexValidation

    Raises
    ------
    SMError
        SM252 (not an index folder, unknown lexicon), SM253 (bad reference), SM257 (bad exclusion file).
    """
    from ..manifest import file_sha256
    from .lexicon import load_lexicon

    started = time.perf_counter()
    index_dir = Path(index_dir)
    fy, term_counts, docs, manifest, inputs = _read_index(index_dir)
    params = manifest.get("parameters", {})
    counted = list(params.get("lexicons", {}))
    keys = list(lexicons) if lexicons else counted
    unknown = [k for k in keys if k not in counted or f"{k}_count" not in fy]
    if unknown:
        raise SMError("SM252", f"lexicon(s) {unknown} are not in the index {index_dir} (it has {counted}).",
                      "pass one of the lexicon names the index was counted with.")
    references = dict(references) if references is not None else {k: k for k in counted}
    for source in references.values():
        if not isinstance(source, str | Path):
            continue
        path = Path(source) if Path(source).is_file() else Path(str(source).rsplit(":", 1)[0])
        if path.is_file():
            inputs[str(path)] = file_sha256(path)
    ex_list: list[str] = []
    if exclusions is not None:
        if isinstance(exclusions, str | Path):
            inputs[str(exclusions)] = file_sha256(exclusions) if Path(exclusions).is_file() else ""
            ex_list = list(read_exclusions(exclusions))
        else:
            ex_list = list(dict.fromkeys(str(x).strip() for x in exclusions if str(x).strip()))

    # lexicon files: every term (zeros included) and the text re-count need them
    lex, lex_problem = {}, []
    for k in keys:
        recorded = manifest.get("lexicons", {}).get(k, {})
        try:
            obj = load_lexicon(params["lexicons"][k])
        except SMError as err:
            lex_problem.append(f"{k}: {err.message}")
            continue
        if recorded.get("sha256") and recorded["sha256"] != obj.sha256:
            lex_problem.append(f"{k}: the lexicon file changed since the index was counted")
            continue
        lex[k] = obj

    extract_dir = Path(extract_dir) if extract_dir is not None else (
        Path(params["extract_dir"]) if params.get("extract_dir") else None)
    ok_docs = docs[docs["scope_status"] == "ok"][["path", "stkcd", "year"]]
    hits = None
    if extract_dir is not None and (extract_dir / "pages.parquet").is_file() and lex:
        options = {"scope": params.get("scope", "full"), "filters": tuple(params.get("filters", ("negation",))),
                   "mode": params.get("mode", "leftmost_longest"), "window": params.get("window", 6),
                   "subject_window": params.get("subject_window", 10), "tokenizer": params.get("tokenizer"),
                   "exclusions": tuple(params.get("exclusions", ()))}     # the counter's own exclusions
        hits = _scan_documents(extract_dir, ok_docs, lex, options, ex_list, segment, examples, jobs=jobs)
        inputs[str(extract_dir / "pages.parquet")] = file_sha256(extract_dir / "pages.parquet")
    if hits is None or lex_problem:
        why = "; ".join(lex_problem) or f"the extraction folder {extract_dir} has no pages.parquet"
        warn("SM255", f"no example sentences or false-positive screen for some lexicons ({why}).",
             "pass --extract with the `smtext extract` folder the index was counted from, and keep the lexicon file.")

    out = {}
    for k in keys:
        overall, by_year = zeros_and_trend(fy, k)
        table = term_table(term_counts, lex[k].terms if k in lex else None, k)
        conc = concentration(table)
        # a term whose every hit the context filters removed did match: it is not "never matched"
        zero_terms = table.loc[(table["hits"] == 0) & (table["removed"] == 0), "term"].tolist()
        if overall["counted"] and overall["zeros"] == overall["counted"]:
            warn("SM250", f"every one of the {overall['counted']} counted firm-years of {k} is zero: the lexicon "
                          "matched nothing.", "check the terms against the report text (spelling, traditional vs "
                                              "simplified characters, terms too long), and the --scope of the count.")
        elif zero_terms:
            warn("SM251", f"{len(zero_terms)} of {len(table)} terms of {k} never matched: "
                          f"{zero_terms[:10]}{' ...' if len(zero_terms) > 10 else ''}.",
                 "drop or respell them; see the term table of the validation report.")
        kh = hits[k] if hits is not None and k in lex else _Findings(examples)
        top_terms = table.loc[table["hits"] > 0, "term"].head(top).tolist()
        ex = kh.examples(top_terms)
        fp = kh.false_positives()
        if len(fp):
            n_fp = int(fp["hits"].sum())
            warn("SM256", f"{n_fp} hit(s) of {k} look like part of a longer name ({len(fp)} strings, e.g. "
                          f"{fp['longer'].head(3).tolist()}).",
                 "review them in the validation report; the exclusions.txt it writes lists them.")
        series = fy[["stkcd", "year", f"{k}_count", f"{k}_ln", f"{k}_per10k"]].rename(
            columns={f"{k}_{m}": m for m in ("count", "ln", "per10k")})
        exc: dict = {}
        text_checked = hits is not None and k in lex
        if ex_list and text_checked:
            inside = kh.excluded()
            per_fy = inside.groupby(["stkcd", "year"])["n"].sum().rename("n_excluded")
            series = series.merge(per_fy.reset_index(), on=["stkcd", "year"], how="left")
            series["count_excluded"] = series["count"] - series["n_excluded"].fillna(0)
            series = series.drop(columns="n_excluded")
            left = series["count_excluded"].dropna()
            exc = {"strings": ex_list, "hits_excluded": int(inside["n"].sum()),
                   "by_string": {s: int(n) for s, n in inside.groupby("string")["n"].sum().sort_index().items()},
                   "by_term": {t: int(n) for t, n in inside.groupby("term")["n"].sum().sort_index().items()},
                   "zeros_share_after": float((left == 0).mean()) if len(left) else float("nan")}
        summary = {**overall, "hits": int(table["hits"].sum()), "terms": len(table),
                   "terms_never_matched": len(zero_terms), **conc, "text_checked": text_checked,
                   "likely_false_positive_hits": int(fp["hits"].sum()) if len(fp) else 0}
        out[k] = LexiconValidation(
            key=k, summary=summary, by_year=by_year,
            distribution={"ln": _hist(fy[f"{k}_ln"]), "per10k": _hist(fy[f"{k}_per10k"])},
            top_firms=top_firms(fy, docs, k, top), terms=table, examples=ex,
            correlations=correlations(fy, k, references, counted, measure), false_positives=fp,
            exclusions=exc, zero_terms=zero_terms, firm_years=series)
    parameters = {"index_dir": str(index_dir), "extract_dir": str(extract_dir) if extract_dir else None,
                  "lexicons": keys, "references": {n: str(s) if isinstance(s, str | Path) else type(s).__name__
                                                   for n, s in references.items()},
                  "exclusions": ex_list, "top": top, "examples": examples, "measure": measure, "segment": segment}
    return IndexValidation(index_dir=index_dir, lexicons=out, inputs=inputs, parameters=parameters,
                           seconds=round(time.perf_counter() - started, 2))
