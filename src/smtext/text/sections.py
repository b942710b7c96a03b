"""Numbered sections of a Chinese annual report, and the MD&A among them.

Reports number their top-level parts 第一节 ... 第十三节 (banks: 第一章 ...).
The table of contents lists the same headings with dot leaders and page
numbers; body headings stand on their own line. The MD&A is the section whose
title is one of the variants used over the years (董事会报告 until about 2015,
经营情况讨论与分析 2016-2020, 管理层讨论与分析 from 2021); before 2016 the MD&A
is a part of 董事会报告, which is returned whole, as the literature does.

The accepted MD&A titles come from the shipped lexicon ``section_titles``
(category ``mda``, tried in file order; see :func:`mda_titles`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import SMError

_NUM = "一二三四五六七八九十百零〇"
_HEADING = re.compile(rf"^[ \t]*第[ \t]*(?P<num>[{_NUM}]+|\d+)[ \t]*(?P<kind>[节章])[ \t]*(?P<title>\S[^\n]*?)[ \t]*$", re.M)
# H-share style reports (banks) number parts "7.讨论与分析"; used only when no 第X节 exists
_ARABIC = re.compile(r"^[ \t]*(?P<num>\d{1,2})\.(?!\d)[ \t]*(?P<title>[^\d\s][^\n]{0,30}?)[ \t]*$", re.M)
_TOC_TAIL = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|-{4,})\s*\d*\s*$|\s\d{1,4}\s*$")


@lru_cache(maxsize=1)
def mda_titles() -> tuple[str, ...]:
    """The MD&A title variants of the ``section_titles`` lexicon, most specific first.

    Returns
    -------
    tuple of str
        Rows of category ``mda`` in file order (管理层讨论与分析, ..., 董事会报告, ...).

    Raises
    ------
    SMError
        SM201/SM202 when the lexicon file is missing or malformed.
    """
    from .lexicon import load_lexicon

    terms = load_lexicon("section_titles").terms
    return tuple(terms.loc[terms["category"] == "mda", "term"])


def chinese_numeral(text: str) -> int:
    """Value of a Chinese (一 ... 九十九) or Arabic numeral as used in section numbers."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + digits[ch]
    return value


@dataclass(frozen=True)
class Section:
    """A located section.

    Attributes
    ----------
    number : int
        Section number (第四节 -> 4).
    title : str
        Heading title without the number (``经营情况讨论与分析``).
    text : str
        Section text including its heading line, without trailing white space.
    start, end : int
        Character offsets in the searched text (``text == source[start:end]``).
    first_page, last_page : int or None
        1-based page span when pages were given.
    """

    number: int
    title: str
    text: str
    start: int
    end: int
    first_page: int | None = None
    last_page: int | None = None


def find_sections(text: str) -> list[Section]:
    """Body sections in order; table-of-contents entries are skipped.

    A heading is a line ``第N节 标题`` (or 章) that is not a TOC entry (no dot
    leaders or trailing page number). Numbers must increase; a repeated or
    smaller number (a cross-reference that happens to start a line) is ignored.
    Without any 第N节/章 heading, ``N.标题`` lines (H-share layout) are used.
    The last section runs to the end of the text.

    Parameters
    ----------
    text : str
        Normalised report text (headings on their own lines).

    Returns
    -------
    list of Section
    """
    heads = _headings(text, _HEADING) or _headings(text, _ARABIC)
    # keep an increasing chain of numbers (first occurrence of each)
    chain, last = [], 0
    for num, title, pos in heads:
        if num > last:
            chain.append((num, title, pos))
            last = num
    out = []
    for i, (num, title, pos) in enumerate(chain):
        end = chain[i + 1][2] if i + 1 < len(chain) else len(text)
        start = pos + (len(text[pos:end]) - len(text[pos:end].lstrip()))
        body = text[start:end].rstrip()
        out.append(Section(num, title, body, start, start + len(body)))
    return out


def _headings(text: str, pattern: re.Pattern) -> list[tuple[int, str, int]]:
    heads = []
    for m in pattern.finditer(text):
        title = m.group("title")
        if _TOC_TAIL.search(title):
            continue
        heads.append((chinese_numeral(m.group("num")), title.strip(), m.start()))
    return heads


def find_mda(text: str, titles: Sequence[str] | None = None) -> Section:
    """The MD&A section of an annual report.

    Parameters
    ----------
    text : str
        Normalised report text (headings on their own lines).
    titles : sequence of str, optional
        Accepted MD&A titles, most specific first; default :func:`mda_titles`.

    Returns
    -------
    Section

    Raises
    ------
    SMError
        SM110 when no numbered sections are found, SM111 when none has an MD&A title.
    """
    titles = mda_titles() if titles is None else titles
    sections = find_sections(text)
    if not sections:
        raise SMError("SM110", "no numbered section headings (第X节/第X章) found in the text.",
                      "check that the text keeps line breaks around headings (use smtext.text.pdf).")
    for wanted in titles:
        for sec in sections:
            if sec.title.replace(" ", "").startswith(wanted):
                return sec
    raise SMError("SM111", f"no MD&A section among {[s.title for s in sections]}.",
                  "pass the report's MD&A title with titles=(...).")


def find_mda_in_pages(pages: Sequence[str], titles: Sequence[str] | None = None) -> Section:
    """:func:`find_mda` on a list of page texts, adding the page span of the section.

    Parameters
    ----------
    pages : sequence of str
        Normalised page texts (page ``i`` is ``pages[i - 1]``).
    titles : sequence of str, optional
        As in :func:`find_mda`.

    Returns
    -------
    Section
        With ``first_page`` and ``last_page``: the pages of the heading and of the
        section's last character (blank lines before the next heading do not count).
    """
    from .normalize import join_pages

    text, starts = join_pages(pages)
    sec = find_mda(text, titles)
    first = bisect_right(starts, sec.start)
    last = bisect_right(starts, max(sec.start, sec.end - 1))
    return Section(sec.number, sec.title, sec.text, sec.start, sec.end, first, last)
