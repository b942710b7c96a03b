"""Pure text steps ``str -> str`` (and page-list steps) composed into a pipeline.

Each step does one thing and is safe to run twice. ``normalize_pages`` applies
the default chain used before counting: line endings, full-width ASCII, running
headers/footers, then joining line breaks between CJK characters so that a
keyword wrapped across two lines is counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(rf"[{CJK}]")
_PAGE_NO = re.compile(r"^\s*(?:第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|[-—]?\s*\d{1,4}\s*[-—]?|\d+\s*/\s*\d+)\s*$")


def unify_newlines(text: str) -> str:
    """CRLF and CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fullwidth_to_halfwidth(text: str) -> str:
    """Full-width ASCII (Ａ-Ｚ, ０-９, ／ ...) and the ideographic space -> half-width.

    CJK punctuation (，。；) is left alone: clause boundaries depend on it.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E and ch not in "，；：！？（）":
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def display_width(line: str) -> int:
    """Width of a line in half-width cells: CJK characters and full-width forms count 2."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in line)


def join_cjk_linebreaks(text: str, full_share: float = 0.8) -> str:
    """Remove a line break between two CJK characters when it is a wrap, not a real break.

    A break is a wrap when the line before it is "full": at least ``full_share``
    of the widest line of the text. Headings, short last lines of paragraphs and
    table rows stay on their own lines, so section detection still sees them,
    while a keyword wrapped at the end of a full line (智能\n制造) is joined.

    Parameters
    ----------
    text : str
        One page (or any text with its line breaks).
    full_share : float
        A line at least this share of the widest line's display width is "full";
        ``0`` joins every CJK-CJK break.

    Returns
    -------
    str
    """
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    widest = max(display_width(ln.rstrip()) for ln in lines)
    out = [lines[0]]
    for line in lines[1:]:
        prev = out[-1].rstrip(" \t")
        nxt = line.lstrip(" \t")
        if (prev and nxt and _is_cjk(prev[-1]) and _is_cjk(nxt[0])
                and display_width(prev) >= full_share * widest):
            out[-1] = prev + nxt
        else:
            out.append(line)
    return "\n".join(out)


_HEADING_START = re.compile(r"^\s*第[一二三四五六七八九十百零〇\d]+[节章]")


def join_pages(pages: Sequence[str], full_share: float = 0.8) -> tuple[str, list[int]]:
    """Join page texts into one document text, and return where each page starts.

    Pages are separated by a newline; a keyword wrapped from a full last line of
    one page to the first line of the next (智能 | 制造) is joined, as within a
    page, unless the next page opens with a section heading.

    Parameters
    ----------
    pages : sequence of str
        Normalised page texts.
    full_share : float
        As in :func:`join_cjk_linebreaks`.

    Returns
    -------
    text : str
    starts : list of int
        Offset of each page's first character in ``text``.
    """
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    prev_lines: list[str] = []
    for page in pages:
        if parts:
            last, nxt = (prev_lines[-1].rstrip() if prev_lines else ""), page.lstrip(" \t")
            widest = max((display_width(ln.rstrip()) for ln in prev_lines[-60:]), default=0)
            wrapped = bool(last and nxt and _is_cjk(last[-1]) and _is_cjk(nxt[0])
                           and not _HEADING_START.match(nxt) and display_width(last) >= full_share * widest)
            if wrapped:
                stripped = parts[-1].rstrip()     # glue to the previous page's last character
                length -= len(parts[-1]) - len(stripped)
                parts[-1] = stripped
                page = nxt
            else:
                parts.append("\n")
                length += 1
        starts.append(length)
        parts.append(page)
        length += len(page)
        prev_lines = page.rstrip().split("\n")
    return "".join(parts), starts


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def collapse_spaces(text: str) -> str:
    """Runs of spaces/tabs -> one space; trailing spaces on lines removed."""
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", text))


def repeated_lines(pages: Sequence[str], min_share: float = 0.5, edge: int = 2) -> set[str]:
    """Lines in the first/last ``edge`` lines of a page that repeat on at least ``min_share`` of pages.

    Digits are masked before comparing, so "2019年年度报告 12" and "... 13" count as one.
    """
    if len(pages) < 3:
        return set()
    counts: Counter = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.split("\n") if ln.strip()]
        for ln in set(lines[:edge] + lines[-edge:]):
            counts[re.sub(r"\d+", "#", ln)] += 1
    return {ln for ln, n in counts.items() if n >= max(3, min_share * len(pages))}


def strip_headers_footers(pages: Sequence[str], min_share: float = 0.5, edge: int = 2) -> list[str]:
    """Drop running headers/footers (found by repetition across pages) and bare page numbers.

    Parameters
    ----------
    pages : sequence of str
        Raw page texts.
    min_share : float
        A line (digits masked) is a running header/footer when it is among the
        first/last ``edge`` lines of at least this share of pages (and of 3 pages).
    edge : int
        How many non-blank lines at the top and bottom of a page are looked at.

    Returns
    -------
    list of str
    """
    rep = repeated_lines(pages, min_share, edge)
    out = []
    for page in pages:
        lines = page.split("\n")
        idx = [i for i, ln in enumerate(lines) if ln.strip()]
        drop = set()
        for i in idx[:edge] + idx[-edge:]:
            s = lines[i].strip()
            if re.sub(r"\d+", "#", s) in rep or _PAGE_NO.match(s):
                drop.add(i)
        out.append("\n".join(ln for i, ln in enumerate(lines) if i not in drop))
    return out


_NUMBER = re.compile(r"[-+(（]?\d[\d,，.]*%?[)）]?")


def remove_table_lines(text: str, min_numbers: int = 2, min_share: float = 0.5) -> str:
    """Drop lines that look like table rows: at least ``min_numbers`` numbers that make up
    at least ``min_share`` of the line's non-space characters (optional step).

    Row labels such as ``营业收入（元） 1,234,567.89 1,100,000.00`` go; prose that quotes a
    number (``营业收入增长12.5%``) stays.
    """
    kept = []
    for line in text.split("\n"):
        numbers = _NUMBER.findall(line)
        chars = len("".join(line.split()))
        if len(numbers) >= min_numbers and chars and sum(map(len, numbers)) / chars >= min_share:
            continue
        kept.append(line)
    return "\n".join(kept)


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese with OpenCC's ``t2s`` dictionaries (optional step).

    Raises
    ------
    SMError
        SM003 when the ``opencc`` package is not installed (``pip install smtext[zh]``).
    """
    return _opencc().convert(text)


_CONVERTER = None


def _opencc():
    global _CONVERTER
    if _CONVERTER is None:
        try:
            import opencc
        except ImportError as exc:
            from ..errors import SMError

            raise SMError("SM003", "traditional -> simplified conversion needs the opencc package.",
                          'pip install "opencc>=1.1" (or smtext[zh])') from exc
        _CONVERTER = opencc.OpenCC("t2s")
    return _CONVERTER


PageStep = Callable[[list[str]], list[str]]
TextStep = Callable[[str], str]
DEFAULT_TEXT_STEPS: tuple[TextStep, ...] = (unify_newlines, fullwidth_to_halfwidth, collapse_spaces, join_cjk_linebreaks)


def normalize_text(text: str, steps: Sequence[TextStep] = DEFAULT_TEXT_STEPS) -> str:
    """Apply ``steps`` in order."""
    for step in steps:
        text = step(text)
    return text


def normalize_pages(pages: Sequence[str], strip_running: bool = True,
                    steps: Sequence[TextStep] = DEFAULT_TEXT_STEPS, drop_tables: bool = False,
                    simplified: bool = False) -> list[str]:
    """Normalise every page; running headers/footers are removed first (they need line structure).

    Parameters
    ----------
    pages : sequence of str
    strip_running : bool
        Remove running headers/footers and page numbers found by repetition.
    steps : sequence of callables
        Text steps applied to each page (default: newlines, full width, spaces, CJK wraps).
    drop_tables : bool
        Also drop table-like lines (:func:`remove_table_lines`), before wraps are joined.
    simplified : bool
        Convert traditional to simplified characters (:func:`to_simplified`).
    """
    pages = [unify_newlines(p) for p in pages]
    if strip_running:
        pages = strip_headers_footers(pages)
    if drop_tables:
        pages = [remove_table_lines(p) for p in pages]
    if simplified:
        pages = [to_simplified(p) for p in pages]
    return [normalize_text(p, steps) for p in pages]
