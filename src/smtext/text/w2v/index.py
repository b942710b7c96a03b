"""Firm-year text index from a word list: ln(1 + mentions), e.g. paper 002's N_ML.

Counting goes through the project's Aho-Corasick engine
(:func:`smtext.text.count.count_text`, leftmost-longest matching, so a nested term is
not counted twice). Every document of a firm-year is counted and summed.

Missing is not zero: a firm-year with no usable document (no analyst report, or
only reports whose extraction failed) gets ``NA`` for the count and the index
when a ``panel`` of firm-years is given; a firm-year whose reports never use the
words gets 0. Documents dropped (failed extraction, missing keys) are reported
in :attr:`TextIndex.dropped` and with warning SM241.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...engine import iter_chunks, parallel_map
from ...errors import SMError, require_columns, warn
from ...manifest import stable_hash
from .expand import Expansion, words_of


@dataclass(frozen=True)
class TextIndex:
    """Result of :func:`text_index`.

    Attributes
    ----------
    table : DataFrame
        Firm-year rows: ``stkcd, year, n_docs, <name>_count, <name>`` (``<name>`` = ln(1 + count)).
    documents : DataFrame
        Per document: ``path, stkcd, year, count`` and one column per word with hits.
    dropped : dict
        Documents left out, by reason.
    words : list of str
    name : str
    """

    table: pd.DataFrame
    documents: pd.DataFrame = field(repr=False)
    dropped: dict = field(default_factory=dict)
    words: list = field(default_factory=list)
    name: str = "N_ML"

    def tidy(self) -> pd.DataFrame:
        """The firm-year table."""
        return self.table

    def summary(self) -> str:
        t = self.table
        n_obs = int(t[self.name].notna().sum())
        return (f"{self.name}: {len(self.words)} words, {n_obs} firm-years with documents "
                f"({int((t[f'{self.name}_count'] > 0).sum())} with mentions), "
                f"{int(t[self.name].isna().sum())} missing; dropped documents {self.dropped}")


_MATCHERS: dict = {}


def _count_batch(job: tuple[str, tuple[str, ...], tuple[str, ...], list[str]]) -> list[dict]:
    """Worker: per-text term counts with the shared counting engine (matcher built once per process)."""
    from ..count import compile_lexicon, count_text
    from ..lexicon import from_frame

    key, words, filters, texts = job
    if key not in _MATCHERS:
        lex = from_frame(pd.DataFrame({"category": "w2v", "term": list(words)}), name="w2v_index")
        _MATCHERS[key] = compile_lexicon(lex)
    matcher = _MATCHERS[key]
    out = []
    for text in texts:
        res = count_text(text, matcher, filters=filters, sentences=False)
        out.append({str(k): int(v) for k, v in res.term_counts.items()})
    return out


def text_index(docs: pd.DataFrame, words, *, panel: pd.DataFrame | None = None, name: str = "N_ML",
               filters: Sequence[str] = (), text_col: str = "text", idname: str = "stkcd", tname: str = "year",
               jobs: int = 1, scheduler: str | None = None, batch_docs: int = 64) -> TextIndex:
    """Count ``words`` in every document and aggregate to firm-years: ``ln(1 + count)``.

    Parameters
    ----------
    docs : DataFrame
        One row per document with ``path``, ``idname``, ``tname`` and ``text_col``;
        rows whose text is missing (failed extraction) or that lack keys are
        dropped and reported.
    words : Expansion, lexicon DataFrame (``term``/``word`` column) or sequence of str
        Seed and expanded words; for an :class:`Expansion` its kept words.
    panel : DataFrame, optional
        Firm-years (``idname``, ``tname``) the index is wanted for; those without
        documents get ``NA`` (missing, not zero). Without it the table covers the
        firm-years that have documents.
    name : str
        Column name of the index.
    filters : sequence of str
        Context filters of :func:`smtext.text.count.count_text` (paper 002 counts plain
        frequencies: none by default).
    jobs, scheduler
        Local pool or Dask, as in :func:`smtext.engine.parallel_map`.

    Returns
    -------
    TextIndex
    """
    terms = words.words() if isinstance(words, Expansion) else words_of(words)
    if not terms:
        raise SMError("SM240", "the word list for the index is empty.",
                      "check the expansion (threshold, screen) or pass the words explicitly.")
    require_columns(docs, ["path", idname, tname, text_col], "documents")
    d = docs[["path", idname, tname, text_col]].copy()
    no_text = d[text_col].isna()
    no_key = d[idname].isna() | d[tname].isna()
    dropped = {"missing_text": int((no_text & ~no_key).sum()), "missing_keys": int(no_key.sum())}
    if sum(dropped.values()):
        warn("SM241", f"{sum(dropped.values())} document(s) left out of {name}: {dropped}.",
             "failed extractions are in failures.csv; their firm-years are missing unless another document covers them.")
    d = d[~no_text & ~no_key].reset_index(drop=True)
    d[idname] = d[idname].astype(str)
    d[tname] = d[tname].astype(int)
    key = stable_hash({"words": terms, "filters": list(filters)})
    jobs_list = [(key, tuple(terms), tuple(filters), list(chunk))
                 for chunk in iter_chunks(d[text_col].tolist(), batch_docs)]
    results = [r for batch in parallel_map(_count_batch, jobs_list, jobs=jobs, scheduler=scheduler,
                                           description=f"counting {name}", chunksize=1) for r in batch]
    per_term = pd.DataFrame.from_records(results, columns=terms).reindex(columns=terms).fillna(0).astype(int)
    per_term = per_term.loc[:, per_term.sum() > 0] if len(per_term) else per_term
    documents = pd.concat([d[["path", idname, tname]], per_term], axis=1)
    documents.insert(3, "count", per_term.sum(axis=1).astype(int) if len(per_term.columns) else 0)
    fy = (documents.groupby([idname, tname], sort=True)
          .agg(n_docs=("path", "size"), count=("count", "sum")).reset_index())
    if panel is not None:
        require_columns(panel, [idname, tname], "panel")
        keys = panel[[idname, tname]].drop_duplicates().astype({idname: str, tname: int})
        outside = len(fy.merge(keys, on=[idname, tname], how="left", indicator=True).query("_merge == 'left_only'"))
        if outside:
            dropped["outside_panel_firm_years"] = outside
        fy = keys.merge(fy, on=[idname, tname], how="left").sort_values([idname, tname]).reset_index(drop=True)
        fy["n_docs"] = fy["n_docs"].fillna(0).astype(int)
    fy = fy.rename(columns={"count": f"{name}_count"})
    fy[f"{name}_count"] = fy[f"{name}_count"].astype("Int64")
    fy[name] = np.log1p(fy[f"{name}_count"].astype("Float64"))
    return TextIndex(fy, documents, dropped, list(terms), name)
