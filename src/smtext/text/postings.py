"""AI positions in recruitment postings: the keyword screen of paper 002's Aijob (Table 8).

Paper 002 counts a firm's AI job postings "以人工智能等关键词筛选": a posting is an AI position
when its title or description holds a term of an AI-job lexicon (shipped: ``ai_jobs``, the
paper's 人工智能 plus the narrow-AI skills of Acemoglu et al. 2022). The screen is the text
engine's own counter (:func:`smtext.text.count.count_text`, leftmost-longest, Latin terms as
whole words), with the negation filter on by default so that 无需人工智能经验 does not make a
welder's posting an AI job.

A postings table has one row per posting: ``stkcd, year, title, description`` (``posting_id``
optional). :func:`screen_postings` flags each posting; :func:`postings_firm_year` counts them
per firm-year (``postings``, ``ai_postings``); Aijob = ln(1 + ai_postings).
"""

from __future__ import annotations

import pandas as pd

from ..errors import SMError, require_columns, warn
from .count import compile_lexicon, count_text, fold
from .lexicon import Lexicon

FIELDS = ("title", "description")


def screen_postings(postings: pd.DataFrame, lexicon: Lexicon | str = "ai_jobs", fields=FIELDS,
                    filters=("negation",)) -> pd.DataFrame:
    """Flag the AI positions of a postings table.

    Parameters
    ----------
    postings : DataFrame
        One row per posting with ``stkcd``, ``year`` and the text ``fields``.
    lexicon : Lexicon or str
        AI-job lexicon (shipped name, path or object).
    fields : sequence of {"title", "description"}
        Text screened; a posting is an AI position when any field holds a kept hit.
    filters : sequence of {"negation", "third_party"}
        Context filters of :func:`smtext.text.count.count_text`.

    Returns
    -------
    DataFrame
        The postings with ``is_ai`` (bool), ``ai_hits`` (kept hits over the fields) and
        ``ai_terms`` (the kept terms, ``;``-joined).

    Raises
    ------
    SMError
        SM001 when a column is missing; SM260 for an unknown field or an empty table; SM261 when
        a posting has neither a title nor a description, or a year that is not a whole number.
    """
    fields = tuple(fields)
    bad = [f for f in fields if f not in FIELDS]
    if not fields or bad:
        raise SMError("SM260", f"postings fields {list(fields)} are not among {list(FIELDS)}.",
                      "screen the title, the description or both.")
    require_columns(postings, ["stkcd", "year", *fields], "postings table")
    if postings.empty:
        raise SMError("SM260", "the postings table has no rows.", "export the recruitment postings again.")
    years = pd.to_numeric(postings["year"], errors="coerce")
    if years.isna().any() or (years != years.round()).any():
        ex = postings.loc[years.isna() | (years != years.round()), "year"].astype(str).head(3).tolist()
        raise SMError("SM261", f"{int((years.isna() | (years != years.round())).sum())} postings have a year that is "
                      f"not a whole number (e.g. {ex}).", "give the posting year (of the release date) as 2019.")
    text = postings[list(fields)].astype("string")
    empty = text.isna().all(axis=1) | text.fillna("").apply(lambda c: c.str.strip().eq("")).all(axis=1)
    if empty.any():
        raise SMError("SM261", f"{int(empty.sum())} postings have no text in {list(fields)} (first rows: "
                      f"{list(postings.index[empty][:3])}).", "drop them from the table, or screen another field.")
    matcher = compile_lexicon(lexicon)
    hits, terms = [], []
    for row in text.itertuples(index=False):
        kept = []
        for value in row:
            # most postings hold no term: the automaton's scan alone settles them
            if isinstance(value, str) and value and matcher.candidates(fold(value)):
                res = count_text(value, matcher, filters=filters, sentences=False)
                kept += [h[2] for h in res.hits if h[5] == "kept"]
        hits.append(len(kept))
        terms.append(";".join(dict.fromkeys(kept)))
    out = postings.copy()
    out["year"] = years.astype("int64")
    out["ai_hits"] = hits
    out["is_ai"] = out["ai_hits"] > 0
    out["ai_terms"] = terms
    return out


def postings_firm_year(screened: pd.DataFrame) -> pd.DataFrame:
    """Postings and AI postings per firm-year (``stkcd, year, postings, ai_postings, ai_posting_share``).

    Parameters
    ----------
    screened : DataFrame
        Output of :func:`screen_postings`.

    Returns
    -------
    DataFrame
        One row per firm-year with at least one posting. A firm-year absent from the table
        posted nothing: a study fills its counts with zero (its share stays missing).
    """
    require_columns(screened, ["stkcd", "year", "is_ai"], "screened postings")
    g = screened.groupby(["stkcd", "year"], as_index=False).agg(postings=("is_ai", "size"),
                                                                 ai_postings=("is_ai", "sum"))
    g["ai_postings"] = g["ai_postings"].astype("int64")
    g["ai_posting_share"] = g["ai_postings"] / g["postings"]
    if int(g["ai_postings"].sum()) == 0:
        warn("SM262", f"no posting of {len(screened):,} is an AI position: the lexicon matched nothing.",
             "check that the title/description columns hold the posting text, and the lexicon's terms.")
    return g


__all__ = ["FIELDS", "postings_firm_year", "screen_postings"]
