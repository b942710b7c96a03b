"""Pure text steps ``str -> str`` (and page-list steps) composed into a pipeline.

Each step does one thing and is safe to run twice. ``normalize_pages`` applies
the default chain used before counting: line endings, full-width ASCII, running
headers/footers, then joining line breaks between CJK characters so that a
keyword wrapped across two lines is counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(rf"[{CJK}]")
# page-number lines: 23, - 23 -, 第 23 页 共 296 页, 共296页 第23页, 23 / 296, 2-1, iv
_PAGE_NO = re.compile(r"^\s*(?:第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*[，,]?\s*第\s*\d+\s*页"
                      r"|[-—–]?\s*\d{1,4}\s*[-—–]?|\d{1,4}\s*/\s*\d{1,4}|\d{1,2}\s*[-—–]\s*\d{1,4}"
                      r"|[ivxlcIVXLC]{1,7}|(?:Page|page|P)\s*\d{1,4})\s*$")


def unify_newlines(text: str) -> str:
    """CRLF and CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# full-width ASCII -> half-width, but CJK punctuation (，；：！？（）) stays: clause boundaries depend on it
_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in "，；：！？（）"}
_HALF[0x3000] = ord(" ")


def fullwidth_to_halfwidth(text: str) -> str:
    """Full-width ASCII (Ａ-Ｚ, ０-９, ／ ...) and the ideographic space -> half-width.

    CJK punctuation (，。；) is left alone: clause boundaries depend on it.
    """
    return text.translate(_HALF)


_DIGIT = re.compile(r"\d")
_WIDE = re.compile("[\u2e80-\U0010ffff]")


def display_width(line: str) -> int:
    """Width of a line in half-width cells: CJK characters and full-width forms count 2."""
    return len(line) + len(_WIDE.findall(line))


# Characters a wrapped line can end with (the clause goes on) and start with (it is the
# rest of the clause). A line ending in 。！？ may end a paragraph: it is joined only when
# it fills the column (SENTENCE_FULL) and the next line goes on with text.
_OPEN_END = "，、；：（(“‘《〈【「『—,;:-"
_CONT_START = "，。、；：？！）)”’》〉】」』%,.;:]"
_OPENING = "“‘（(《〈【「『"
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_ASCII_RUN_END = re.compile(r"[A-Za-z0-9.,%]+$")
_CLOSE = "）)”’》〉】」』"
_SENTENCE_END = "。！？!?"
# lines that are headings: 第X节/章, 一、, （一）, 1、, 1. / 7.讨论, 1.2 / 1.2.3 numbering, ①
_HEADING_LINE = re.compile(
    r"^\s*(?:第\s*[一二三四五六七八九十百零〇\d]+\s*[节章部篇]"
    r"|[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]"
    r"|\d{1,2}\s*[、．]"
    r"|\d{1,2}\.(?!\d)"
    r"|\d{1,2}(?:\.\d{1,2}){2,3}"
    r"|\d{1,2}\.\d{1,2}\s"
    r"|[①-⑳])")
# 第四节“经营情况讨论与分析”中… is a reference to a section inside a sentence
_CROSS_REF = re.compile(r"^\s*第\s*[一二三四五六七八九十百零〇\d]+\s*[节章部篇]\s*[“\"「『《]")
_LEADER = re.compile(r"[.．·…‥]{4,}|…{2,}|[-_]{6,}")
_NUMBER = re.compile(r"[-+(（]?\d[\d,，.]*%?[)）]?")


def _ink(line: str) -> int:
    """Display width without spaces: PDF text puts a space on each side of a number
    (``每 10 股``) that takes far less room on the page than a character cell."""
    return display_width(line) - line.count(" ") - line.count("\t")


def is_heading(line: str) -> bool:
    """True for a numbered heading line: ``第四节 …``, ``一、``, ``（一）``, ``1、``, ``7.讨论``, ``1.2.3``."""
    return bool(_HEADING_LINE.match(line)) and not _CROSS_REF.match(line)


def is_table_row(line: str) -> bool:
    """True for a line that looks like a table row: space-separated cells, at least two
    and more than half of them numbers, and no 。 (``营业收入（元） 1,234.00 1,100.00 12.5%``).

    Prose has no spaces between Chinese words, though PDF text often puts one on each
    side of a number: in ``拨备覆盖率 250.71%，风险`` or ``新增 5 家分行及 73 家支行``
    the numbers are glued to words on one side, so few cells are numbers alone.
    """
    # cheap exits first: most lines are prose without spaces or digits
    if "。" in line or " " not in line.strip() or not _DIGIT.search(line):
        return False
    cells = line.split()
    numeric = sum(bool(_NUMBER.fullmatch(c)) for c in cells)
    return numeric >= 2 and 2 * numeric > len(cells)


def is_toc_line(line: str) -> bool:
    """True for a table-of-contents line with dot leaders (``第四节 …………… 12``)."""
    return bool(_LEADER.search(line))


def _is_body(line: str) -> bool:
    """A prose line: mostly CJK, not a table row, TOC entry, heading or page number."""
    s = line.strip()
    if not s or is_table_row(s) or is_toc_line(s) or _PAGE_NO.match(s) or is_heading(s):
        return False
    chars = "".join(s.split())
    return len(_CJK_CHAR.findall(chars)) >= 0.5 * len(chars)


def body_width(lines: Sequence[str], q: float = 0.9) -> float:
    """Display width of a full body line: the ``q`` quantile of the widths of prose lines.

    Table rows and TOC leader lines can be wider than the text column and are
    left out; a high quantile rather than the maximum, so that one odd line does
    not set the width. ``0`` when there is no prose line.
    """
    return _quantile([_ink(ln.strip()) for ln in lines if _is_body(ln)], q)


def _quantile(widths: list[int], q: float = 0.9) -> float:
    widths = sorted(widths)
    return float(widths[int(q * (len(widths) - 1))]) if widths else 0.0


def _wraps(prev: str, nxt: str) -> bool:
    """Whether the break between ``prev`` and ``nxt`` can be a wrap (the width test aside)."""
    if not prev or not nxt or is_heading(nxt) or _HEADING_START.match(prev):
        return False
    if is_table_row(prev) or is_table_row(nxt) or is_toc_line(prev) or is_toc_line(nxt):
        return False
    a, b = prev[-1], nxt[0]
    if b in _CONT_START:   # no line of running text starts with ，。）: the clause goes on
        return True
    # a closing bracket goes on unless it closes a sentence (。” ends a paragraph)
    a_open = _is_cjk(a) or a in _OPEN_END or (a in _CLOSE and len(prev) > 1 and prev[-2] not in _SENTENCE_END)
    if a_open and (_is_cjk(b) or b in _OPENING or _ASCII_WORD.match(b)):
        return True   # includes Latin letters or digits after CJK text: 营业收入 | 2,248.62亿元
    if not _ASCII_WORD.match(a) or not _CJK_CHAR.search(prev):
        return False
    if _is_cjk(b):
        return True   # 增长13.71 | 个百分点
    # a number or a Latin name cut inside Chinese text (20 | 19年, GI | L): the cut run of
    # letters/digits follows CJK text directly, with no space that would mark an English word
    head = _ASCII_RUN_END.search(prev)
    return bool(_ASCII_WORD.match(b) and head and head.start() > 0 and not prev[head.start() - 1].isspace()
                and _CJK_CHAR.search(nxt))


SENTENCE_FULL = 0.97
_CLAUSE = re.compile(r"[，。；,;]")


SENTENCE_FULL = 0.97
_CLAUSE = re.compile(r"[，。；,;]")
MIN_FULL_CELLS = 16   # a line of fewer than 8 CJK characters is never a full line
NEIGHBOURS = 4        # lines each side that set a line's local column width


def _join_lines(text: str, width: float, full_share: float,
                body: list[bool] | None = None, ink: list[int] | None = None) -> tuple[str, int]:
    lines = text.split("\n")
    body = body if body is not None else [_is_body(ln) for ln in lines]
    ink = ink if ink is not None else [_ink(ln.strip()) for ln in lines]
    out = [lines[0]]
    joined = 0
    for k in range(1, len(lines)):
        prev = lines[k - 1].strip()   # the physical line before the break, not what it was joined into
        nxt = lines[k].lstrip(" \t")
        # the column a line is set in: its prose neighbours' width (a table cell or a
        # narrower block is narrower than the page), never more than the page's
        near = [ink[j] for j in range(max(0, k - 1 - NEIGHBOURS), min(len(lines), k + NEIGHBOURS))
                if j != k - 1 and body[j]]
        # (a line wider than all its neighbours is not in their column: the page's counts)
        column = min(max(near), width) if len(near) >= 2 and ink[k - 1] <= max(near) + 2 else width
        # a heading runs on only when it fills the page's column (a long one wraps; its
        # neighbours can be short captions); a numbered paragraph (2、技术研发：公司不断加大
        # 研发投入，…) is prose
        need = full_share
        if is_heading(prev):
            column = width
            need = full_share if _CLAUSE.search(prev) else SENTENCE_FULL
        wide = ink[k - 1]
        # a narrow table cell: the line and at least two neighbours are set to the same width
        cell = (4 <= wide < MIN_FULL_CELLS and sum(abs(w - wide) <= 1 for w in near) >= 2
                and not is_heading(prev))
        if column > 0 and prev and (wide >= max(need * column, MIN_FULL_CELLS) or cell) and (
                _wraps(prev, nxt) or (prev[-1] in _SENTENCE_END and wide >= SENTENCE_FULL * column
                                      and _wraps(prev[:-1] + "，", nxt))):
            out[-1] = out[-1].rstrip(" \t") + nxt
            joined += 1
        else:
            out.append(lines[k])
    return "\n".join(out), joined


def join_cjk_linebreaks(text: str, full_share: float = 0.85, width: float | None = None,
                        min_lines: int = 8) -> str:
    """Remove a line break that is a wrap in Chinese text, not a real break.

    A break is a wrap when the line before it is "full" (at least ``full_share``
    of the body-text width, see :func:`body_width`), the line before ends in a
    CJK character or clause punctuation (，、；： ...; never 。！？, which may end a
    paragraph) and the next line goes on with CJK text, closing punctuation, or
    Latin letters and digits (and the reverse: Latin/digits at the end of a
    line of Chinese text followed by Chinese). Headings (第X节/章, 一、, （一）,
    1.2.3 numbering), table rows and TOC leader lines are never joined to a
    neighbour, so section detection still sees them, while a keyword wrapped at
    the end of a full line (智能\\n制造) is joined.

    Parameters
    ----------
    text : str
        One page (or any text with its line breaks).
    full_share : float
        A line at least this share of the body width is "full"; ``0`` joins every
        break that passes the character tests.
    width : float, optional
        Body width of the document (:func:`body_width` of all its lines); the
        page's own body width is used instead when the page has at least
        ``min_lines`` prose lines and is wider.
    min_lines : int
        Prose lines a page needs for its own body width.

    Returns
    -------
    str
    """
    return _join_page(text, full_share, width, min_lines)[0]


def _join_page(text: str, full_share: float = 0.85, width: float | None = None,
               min_lines: int = 8, body: list[bool] | None = None,
               ink: list[int] | None = None) -> tuple[str, int]:
    lines = text.split("\n")
    if len(lines) < 2:
        return text, 0
    body = body if body is not None else [_is_body(ln) for ln in lines]
    ink = ink if ink is not None else [_ink(ln.strip()) for ln in lines]
    own = [w for w, b in zip(ink, body) if b]
    # a page's own column width when it has enough prose and it is wider than the
    # document's (a landscape page); a page of short lines (captions, 不适用) would
    # otherwise make a short line look full
    own_width = _quantile(own) if (len(own) >= min_lines or not width) else 0.0
    page_width = max(own_width, width or 0.0)
    return _join_lines(text, page_width, full_share, body, ink)


_HEADING_START = re.compile(r"^\s*第[一二三四五六七八九十百零〇\d]+[节章]")


def join_pages(pages: Sequence[str], min_cells: int = 24) -> tuple[str, list[int]]:
    """Join page texts into one document text, and return where each page starts.

    Pages are separated by a newline; a clause wrapped from the last line of one
    page to the first line of the next (智能 | 制造) is joined, by the character
    tests of :func:`join_cjk_linebreaks`, unless the next page opens with a
    heading, a table row or a TOC line.

    Parameters
    ----------
    pages : sequence of str
        Normalised page texts.
    min_cells : int
        The last line of a page must be at least this wide (display cells) to run
        on: a short line at a page's foot is a label or a heading. (Its physical
        width is gone once the page's own wraps are joined, so no share of the
        body width is used here.)

    Returns
    -------
    text : str
    starts : list of int
        Offset of each page's first character in ``text``.
    """
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    last = ""
    for page in pages:
        if parts:
            nxt = page.lstrip(" \t\n")
            nxt_line = nxt.split("\n", 1)[0]
            if last and display_width(last) >= min_cells and _wraps(last, nxt_line):
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
        tail = page.rstrip()
        last = tail[tail.rfind("\n") + 1:].strip() if tail else ""
    return "".join(parts), starts


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def collapse_spaces(text: str) -> str:
    """Runs of spaces/tabs -> one space; trailing spaces on lines removed."""
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", text))


def _key(line: str) -> str:
    """A line as compared across pages: no whitespace, digits masked (page 12 == page 13)."""
    return re.sub(r"\d+", "#", "".join(line.split()))


_CAPTION = re.compile(r"^(?:单位|币种|金额单位)\s*[:：]|适用|[:：]$")
# a short title line: no digits, no clause punctuation (重要提示, 合并资产负债表)
_TITLE_LIKE = re.compile(r"^[^\d，。；：,;:、□]{2,20}$")
_PERIOD = re.compile(r"^\d{4}\s*年\s*(?:度|\d{1,2}\s*月\s*\d{1,2}\s*日)?$")   # 2016年度, 2016年12月31日
_CONTINUED = re.compile(r"[（(]续[)）]$")


def _candidate(line: str) -> bool:
    """Could be a running header/footer: short, not a sentence, not a table row or caption.

    Table captions (``单位：元``, ``□适用 √不适用``, ``其他说明：``) stand at the top of many
    pages of a report's tables but are body text.
    """
    s = line.strip()
    return (0 < len(s) <= 60 and s[-1] not in "。；;" and "□" not in s and not is_table_row(s)
            and not _CAPTION.search(s))


def _run_title(key: str) -> bool:
    """A line that may run over part of a report: a heading or a ``…（续）`` title of 4+ characters."""
    return (is_heading(key) or bool(_CONTINUED.search(key))) and len(re.findall(rf"[{CJK}A-Za-z]", key)) >= 4


def running_lines(pages: Sequence[str], edge: int = 6, min_run: int = 3, max_gap: int = 2,
                  global_share: float = 0.3) -> dict[str, list[tuple[int, ...]]]:
    """Running header/footer lines (digits masked, spaces removed) and the runs of pages they head.

    A line is looked at when it is among the first or last ``edge`` non-blank
    lines of a page (the text order of a PDF page does not say which edge is
    the top, so both are). It is running when it is there on at least
    ``global_share`` of the pages (and 3), e.g. the company name or the report
    title, or when it is a title (a heading such as ``第三章 管理层讨论与分析``,
    or ``八、财务报表项目附注（续）``) on ``min_run`` pages in a row (gaps of up to
    ``max_gap`` pages, e.g. a chapter's opening page without header): a chapter
    title repeated within its chapter (2 pages suffice for a numbered heading).
    Any other line runs over part of a report when it is there on
    ``max(8, global_share / 6 * pages)`` pages in a row: the header of the main
    part of a report whose financial statements have headers of their own.

    Returns
    -------
    dict
        Key -> runs of 0-based page numbers (a global line has one run of all its pages).
    """
    where: dict[str, list[int]] = {}
    for no, page in enumerate(pages):
        lines = [ln for ln in page.split("\n") if ln.strip()]
        for ln in set(lines[:edge] + lines[-edge:]):
            if _candidate(ln) and not _PAGE_NO.match(ln.strip()):
                where.setdefault(_key(ln), []).append(no)
    out: dict[str, list[tuple[int, ...]]] = {}
    for key, nos in where.items():
        if len(nos) >= max(3, global_share * len(pages)):
            out[key] = [tuple(nos)]
            continue
        runs, run = [], [nos[0]]
        for a, b in pairwise(nos):
            if b - a <= max_gap + 1:
                run.append(b)
            else:
                runs.append(run)
                run = [b]
        runs.append(run)
        # a chapter title in a header block runs over its chapter, which can be 2 pages long;
        # other lines run over part of a report only over many pages (the main part's header
        # before the statements booklet): a table's rows or captions at the top of a few
        # pages in a row must stay (digits are masked: dates look alike)
        long_run = max(8, global_share / 6 * len(pages))
        title = _run_title(key)
        runs = [tuple(r) for r in runs
                if len(r) >= (2 if is_heading(key) else min_run if title else long_run)]
        if runs:
            out[key] = runs
    return out


def strip_running_lines(pages: Sequence[str], edge: int = 6, min_run: int = 3, max_gap: int = 2,
                        global_share: float = 0.3) -> tuple[list[str], int]:
    """Drop running header/footer blocks and page numbers; also say how many lines went.

    A page's header (or footer) block is the run of non-blank lines from its
    first (last) line inward, up to ``edge`` lines, that are page numbers
    (``23``, ``- 23 -``, ``第 23 页 共 296 页``, ``23 / 296``, ``2-1``) or running
    lines (:func:`running_lines`). A running heading (``第三章 管理层讨论与分析``
    repeated on every page of its chapter) is kept once, on the first page of its
    run, unless it also stands in that page's body: it is the chapter's own
    heading, which section detection needs. A running line (not a heading) that
    opens the page's first remaining line, glued to a table row as PDFium does on
    landscape pages, is cut off it.

    Parameters
    ----------
    pages : sequence of str
        Raw page texts.
    edge, min_run, max_gap, global_share
        As in :func:`running_lines`.

    Returns
    -------
    pages : list of str
    removed : int
        Number of lines dropped.
    """
    running = running_lines(pages, edge, min_run, max_gap, global_share) if len(pages) >= 3 else {}
    on_page: dict[str, set[int]] = {k: {p for run in runs for p in run} for k, runs in running.items()}
    firsts: dict[int, set[str]] = {}
    for key, runs in running.items():
        if is_heading(key):
            for run in runs:
                firsts.setdefault(run[0], set()).add(key)
    # a running line glued to the page's first body line (a landscape table page, where
    # PDFium puts the header, the page number and a table row on one line)
    glued = {k: re.compile(r"^\s*" + r"\s*".join(r"\d+" if c == "#" else re.escape(c) for c in k)
                           + r"(?:\s+\d{1,4}(?=\s))?\s*")
             for k in sorted(running, key=lambda k: (-len(k), k)) if not is_heading(k) and len(k) >= 6}
    out, removed = [], 0
    for no, page in enumerate(pages):
        lines = page.split("\n")
        idx = [i for i, ln in enumerate(lines) if ln.strip()]

        zones: list[list[int]] = []   # the top zone from the top down, the bottom zone from the bottom up
        drop_set: set[int] = set()
        for zone in (idx[:edge], idx[::-1][:edge]):   # on a short page the zones overlap
            zones.append(zone)
            # a page number counts only in the block at the page's edge: after running
            # lines and titles (合并资产负债表, a chapter title), not after body text
            next_to_edge = True
            for i in zone:
                s = lines[i].strip()
                if _candidate(s) and no in on_page.get(_key(s), ()) or _PAGE_NO.match(s) and next_to_edge:
                    drop_set.add(i)
                elif not (is_heading(s) or _TITLE_LIKE.match(s) or _PERIOD.match(s)):
                    next_to_edge = False
        for zone in zones:
            # a chapter title in the header block and the same title as the page's heading
            # (重要提示 / 1 / company / report title / 重要提示): only the innermost copy is the heading
            by_text: dict[str, list[int]] = {}
            for i in zone:
                s = lines[i].strip()
                if _candidate(s) and (is_heading(s) or _TITLE_LIKE.match(s)):
                    by_text.setdefault("".join(s.split()), []).append(i)
            for copies in by_text.values():
                drop_set.update(copies[:-1])
        for key in firsts.get(no, ()):
            if any(_key(lines[i]) == key for i in idx if i not in drop_set):
                continue                        # the heading stands in the body: drop the header copies
            for zone in zones:
                mine = [i for i in zone if i in drop_set and _key(lines[i]) == key]
                if mine:
                    drop_set.discard(mine[-1])  # the innermost copy stays: the chapter's heading
                    break
        first = next((i for i in idx if i not in drop_set), None)
        if first is not None and first in idx[:edge]:
            for key, pattern in glued.items():
                inside = any(run[0] <= no <= run[-1] for run in running[key])
                m = pattern.match(lines[first]) if inside else None
                if m and m.end() < len(lines[first].rstrip()):
                    lines[first] = lines[first][m.end():]
                    removed += 1
                    break
        removed += len(drop_set)
        out.append("\n".join(ln for i, ln in enumerate(lines) if i not in drop_set))
    return out, removed


def strip_headers_footers(pages: Sequence[str], edge: int = 6, min_run: int = 3, max_gap: int = 2,
                          global_share: float = 0.3) -> list[str]:
    """Pages without running headers/footers and page numbers (:func:`strip_running_lines`).

    Parameters
    ----------
    pages : sequence of str
        Raw page texts.
    edge, min_run, max_gap, global_share
        As in :func:`running_lines`.

    Returns
    -------
    list of str
    """
    return strip_running_lines(pages, edge, min_run, max_gap, global_share)[0]


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


@dataclass(frozen=True)
class NormalizedPages:
    """Normalised page texts and what normalisation removed or joined.

    Attributes
    ----------
    pages : list of str
    running_lines_removed : int
        Running header/footer and page-number lines dropped.
    wraps_joined : int
        Line breaks removed as wraps within pages.
    """

    pages: list[str]
    running_lines_removed: int = 0
    wraps_joined: int = 0


def join_line_pairs(page: str, pairs: Sequence[tuple[str, str]], simplified: bool = False) -> tuple[str, int]:
    """Join each pair of adjacent lines ``(before, after)`` of a normalised page; also say how many.

    The pairs are raw lines (e.g. the lines of a table cell, :mod:`smtext.text.cell_wraps`),
    found again after normalisation: a line ending with ``before``'s last characters
    followed by one starting with ``after``'s first (each normalised like the page),
    searched in page order (a pair the wrap rule has joined already is passed over).
    A pair not found (a line dropped as a running header or table row) is left alone.
    """
    if not pairs:
        return page, 0
    lines = page.split("\n")

    def norm(line: str) -> str:
        line = "".join(fullwidth_to_halfwidth(line).split())
        return to_simplified(line) if simplified else line

    flat = ["".join(ln.split()) for ln in lines]
    i, joined = 0, 0
    for before, after in pairs:
        a, b = norm(before)[-PAIR_CHARS:], norm(after)[:PAIR_CHARS]
        if not (a and b):
            continue
        for k in range(i, len(lines)):
            if a + b in flat[k]:       # already joined (by the wrap rule): the pair is here
                i = k
                break
            if k + 1 < len(lines) and flat[k].endswith(a) and flat[k + 1].startswith(b):
                lines[k] = lines[k].rstrip(" \t") + lines.pop(k + 1).lstrip(" \t")
                flat[k] += flat.pop(k + 1)
                i, joined = k, joined + 1
                break
    return "\n".join(lines), joined


PAIR_CHARS = 8   # characters of each line of a pair that find it again


def normalize_document(pages: Sequence[str], strip_running: bool = True,
                       steps: Sequence[TextStep] = DEFAULT_TEXT_STEPS, drop_tables: bool = False,
                       simplified: bool = False,
                       line_pairs: Sequence[Sequence[tuple[str, str]]] | None = None) -> NormalizedPages:
    """:func:`normalize_pages` with the number of header/footer lines removed and of wraps joined.

    Parameters
    ----------
    pages, strip_running, steps, drop_tables, simplified
        As in :func:`normalize_pages`.
    line_pairs : sequence of sequences of (str, str), optional
        Per page, raw lines to join last (:func:`join_line_pairs`): the wraps inside
        table cells that :func:`smtext.text.pdf.extract_pdf` finds from PDFium's
        character positions. Joined after the other steps, which see physical lines.

    Returns
    -------
    NormalizedPages
    """
    pages = [unify_newlines(p) for p in pages]
    removed = 0
    if strip_running:
        pages, removed = strip_running_lines(pages)
    if drop_tables:
        pages = [remove_table_lines(p) for p in pages]
    if simplified:
        pages = [to_simplified(p) for p in pages]
    # wraps are joined against the body width of the whole document (pages with little
    # prose of their own use it), so that step runs after the others, over all pages
    join = join_cjk_linebreaks in steps
    pages = [normalize_text(p, [s for s in steps if s is not join_cjk_linebreaks]) for p in pages]
    joined = 0
    if join:
        # each line is classified once: the document's width and every page's joins use it
        split = [p.split("\n") for p in pages]
        flags = [[_is_body(ln) for ln in ls] for ls in split]
        inks = [[_ink(ln.strip()) for ln in ls] for ls in split]
        width = _quantile([w for fs, ws in zip(flags, inks) for f, w in zip(fs, ws) if f])
        done = [_join_page(p, width=width, body=fs, ink=ws) for p, fs, ws in zip(pages, flags, inks)]
        pages = [p for p, _ in done]
        joined = sum(n for _, n in done)
    if line_pairs:
        done = [join_line_pairs(p, pairs, simplified) for p, pairs in zip(pages, line_pairs)]
        pages = [p for p, _ in done]
        joined += sum(n for _, n in done)
    return NormalizedPages(pages, removed, joined)


def normalize_pages(pages: Sequence[str], strip_running: bool = True,
                    steps: Sequence[TextStep] = DEFAULT_TEXT_STEPS, drop_tables: bool = False,
                    simplified: bool = False) -> list[str]:
    """Normalise every page; running headers/footers are removed first (they need line structure).

    Parameters
    ----------
    pages : sequence of str
    strip_running : bool
        Remove running headers/footers and page numbers (:func:`strip_running_lines`).
    steps : sequence of callables
        Text steps applied to each page (default: newlines, full width, spaces, wraps);
        :func:`join_cjk_linebreaks`, when among them, runs last with the document's body width.
    drop_tables : bool
        Also drop table-like lines (:func:`remove_table_lines`), before wraps are joined.
    simplified : bool
        Convert traditional to simplified characters (:func:`to_simplified`).

    Returns
    -------
    list of str
    """
    return normalize_document(pages, strip_running, steps, drop_tables, simplified).pages
