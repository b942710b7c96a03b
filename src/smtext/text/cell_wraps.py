"""Line breaks inside narrow table cells, found from PDFium's character positions.

A table cell a few characters wide wraps its text over several lines
(``预算管理子系统研`` | ``发项目``). The text-only wrap rule of
:func:`smtext.text.normalize.join_cjk_linebreaks` cannot tell such a line from a
short label, so a keyword split over the lines of a cell (``研`` | ``发``) would
not be counted. The page geometry can tell. A break is a cell wrap when

* the line before it is not a full-width body line (those are left to the text
  rule) and ends in a CJK character, and the next line starts with one (or with
  closing punctuation) and is not a numbered heading;
* the next line is set in the same size (a heading is larger than the text
  under it) and starts directly below (its top at most 1.2 line heights under
  the bottom of the line before) at the left edge of the cell the line before
  ends in (the line's start, or the text after its last gap wider than a
  character: PDFium reads cells on one baseline as one line), within a quarter
  of a character, or indented by up to one character (a hanging indent);
* the line before reaches the cell's right edge: the next character would not
  fit before the right end of the widest line that starts at the same left edge
  within ten line heights (the cell's column; numbered headings and full-width
  lines, such as a note under the table, aside);
* and either the two lines are closer than the rows of that column (all the page's lines
  at that left edge): they are in a run of at most six evenly spaced lines with
  a wider gap (a row boundary: a quarter of a line wider, and not two or three
  pitches, which is a row missing from the column) on at least one side;
  in a cell more than ten characters wide (a row label, more often a row of its
  own), they are the only two lines of their run and wider gaps bound it on both
  sides. Rows of one line each, evenly spaced, are never joined; or
* another cell of the row, to the right, is centred between the two lines, or
  stands on the first line's baseline and comes right after the second in the text (a
  row two lines high: ``…技术与装备研`` | ``发`` | ``280,000.00``).

Measured on the 11 real reports of ``tests/real_pdfs`` (about 5,000 breaks joined in
2,161 pages), a hand check of random samples found 1 in 20-30 joins gluing two
separate cells: a short list of one-line labels (at most six) right under a
table, or a label row followed by an indented sub-item. A wrap in a cell of an
unruled table whose continuation lines are indented and whose rows are set as
close as the cell's lines is not found (000027 p.173).

Only pages whose text maps one to one onto PDFium's character list are looked
at (nearly all; the others keep their breaks). The pdfplumber backend has no
such step.
"""

from __future__ import annotations

import ctypes
import re

from .normalize import _CJK_CHAR, _CONT_START, display_width, is_heading

_LINE = re.compile(r"[^\r\n]+")
_NOTE_HEADING = re.compile(r"\d{1,3}、\s")   # 41、 其他应付款: a note's heading, set apart by a space
FULL_LINE = 0.9    # a line at least this share of the page's widest line is body text
WINDOW = 20        # lines either side searched for the cell's column
NEAR = 10          # ... within this many line heights vertically
ALIGN = 0.25       # left edges align within this share of a character
CELL_GAP = 1.0     # a gap wider than this many characters separates two cells on one line
INDENT = 1.1       # ... or the next line is indented by up to one character (a hanging indent)
BELOW = 1.2        # the next line's top at most this many line heights under the line before
MAX_CELL_LINES = 6 # a narrow cell wraps over at most this many lines; a wider one over two
NARROW = 10        # a narrow cell is at most this many characters wide


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, surrounding spaces excluded."""
    out = []
    for m in _LINE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def cell_wrap_breaks(textpage, text: str) -> list[tuple[int, int]]:
    """Where ``text`` breaks a line inside a narrow table cell.

    Parameters
    ----------
    textpage : pypdfium2.PdfTextPage
        The page's text page (character boxes are read from it).
    text : str
        ``textpage.get_text_range()``: lines separated by ``\\r\\n``.

    Returns
    -------
    list of (int, int)
        ``(start, end)`` of each such break in ``text`` (the line end's spaces, the
        line break and the next line's leading spaces), ascending.
    """
    import pypdfium2.raw as pdfium_c

    if len(text) != textpage.count_chars():
        return []
    spans = _spans(text)
    if len(spans) < 2:
        return []
    width = [display_width(text[s:e]) for s, e in spans]
    full = FULL_LINE * max(width)
    cands = [k for k in range(len(spans) - 1)
             if width[k] < full and _CJK_CHAR.match(text[spans[k][1] - 1])
             and (_CJK_CHAR.match(text[spans[k + 1][0]]) or text[spans[k + 1][0]] in _CONT_START)]
    if not cands:
        return []
    rect = pdfium_c.FS_RECTF()

    def box(i: int) -> tuple[float, float, float, float]:
        # the loose box (the font's em box) aligns characters by their origins, not their ink
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect)
        return rect.left, rect.bottom, rect.right, rect.top

    ox, oy = ctypes.c_double(), ctypes.c_double()

    def base(i: int) -> float:
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
        return oy.value

    # first characters' boxes: of every line short enough to be a cell's (its column's
    # lines are looked up by left edge), of the others when asked for
    firsts = _Lazy(lambda k: box(spans[k][0]))
    by_x: dict[int, list[int]] = {}
    for k in range(len(spans)):
        if width[k] < full:
            by_x.setdefault(round(firsts[k][0]), []).append(k)
    cell_end: dict[int, float] = {}

    def end_of_first_cell(k: int) -> float:
        if k not in cell_end:
            s, e = spans[k]
            sp = text.find(" ", s, e)
            cell_end[k] = box((sp if sp > 0 else e) - 1)[2]
        return cell_end[k]

    headings: dict[int, bool] = {}

    def heading(k: int) -> bool:
        if k not in headings:
            headings[k] = is_heading(text[spans[k][0]:spans[k][1]])
        return headings[k]

    out = []
    for k in cands:
        (sa, ea), sb = spans[k], spans[k + 1][0]
        if heading(k + 1) or "□" in text[sa:ea]:   # □ 适用 √ 不适用 is a caption
            continue
        a, b = box(ea - 1), firsts[k + 1]
        h = a[3] - a[1]
        # one cell's lines are set in one size (a heading is larger than the text under it)
        if h <= 0 or abs(b[3] - b[1] - h) > 0.1 * h or not -0.2 * h < a[1] - b[3] < BELOW * h:
            continue
        # the cell the line before ends in starts after the last gap wider than a character
        # (PDFium writes a space there; a space inside a cell, around a number, is narrower)
        left = firsts[k][0]
        i = text.rfind(" ", sa, ea)
        while i > sa:
            j = i
            while text[j - 1] == " ":
                j -= 1
            start = box(i + 1)[0]
            if start - box(j - 1)[2] > CELL_GAP * h:
                left = start
                break
            i = text.rfind(" ", sa, j - 1)
        if not -ALIGN * h <= b[0] - left <= INDENT * h:
            continue
        near = [m for x in (round(left) - 1, round(left), round(left) + 1) for m in by_x.get(x, ())
                if abs(firsts[m][0] - left) <= ALIGN * h]
        column = [m for m in near if abs(m - k) <= WINDOW and m != k and m != k + 1
                  and abs(firsts[m][1] - a[1]) <= NEAR * h and not heading(m)]
        if not column:
            continue
        right = max(end_of_first_cell(m) for m in column)
        if heading(k) and (right - left > NARROW * h or _NOTE_HEADING.match(text, sa)):
            continue   # a numbered heading above a table (22、 在建工程 | 项目列示); in a narrow cell, a label
        if a[2] + (b[2] - b[0]) <= right - ALIGN * h:
            continue
        # the whole page's lines at that left edge (near) say how its rows are spaced
        rows = {firsts[m][1] for m in near}
        lines = MAX_CELL_LINES if right - left <= NARROW * h else 2
        rows = {y for y in rows if abs(y - a[1]) > h / 2 and abs(y - b[1]) > h / 2} | {a[1], b[1]}
        # another cell of the row, to the right, centred between the two lines, or on the first
        # line's baseline but read after the second (PDFium reads the two-line cell, then the row's next)
        # (baselines from the characters' origins: fonts differ in how far their boxes reach down)
        ya, yb = base(ea - 1), base(sb)
        row_mate = any(firsts[m][0] > a[2] and (yb + ALIGN * h < base(spans[m][0]) < ya - ALIGN * h
                                                or m == k + 2 and abs(base(spans[m][0]) - ya) < 0.1 * h)
                       for m in range(max(0, k - 3), min(len(spans), k + 5)) if m not in (k, k + 1))
        if row_mate or _in_one_cell(sorted(rows, reverse=True), a[1], b[1], h, lines, both=lines == 2):
            out.append((ea, sb))
    return out


class _Lazy(dict):
    """``d[k]`` computed by ``make(k)`` the first time it is asked for."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _in_one_cell(ys: list[float], ya: float, yb: float, h: float, max_lines: int, both: bool) -> bool:
    """Whether lines at heights ``ya`` > ``yb`` are in one cell of a column with lines at ``ys`` (descending).

    A cell's lines are evenly spaced and closer than the column's rows: the run of
    lines spaced like ``ya`` and ``yb`` around them holds at most ``max_lines`` lines,
    and a wider gap (a row boundary) bounds it on at least one side (``both``: on
    both); evenly spaced rows of one line each make a longer run, or one with no wider gap.
    """
    pitch = ya - yb
    i = ys.index(ya)
    if ys[i + 1] != yb:
        return False
    top, bottom = i, i + 1
    while top > 0 and ys[top - 1] - ys[top] <= pitch + ALIGN * h:
        top -= 1
    while bottom < len(ys) - 1 and ys[bottom] - ys[bottom + 1] <= pitch + ALIGN * h:
        bottom += 1

    def row_gap(gap: float) -> bool:
        # a gap of two or three pitches is a row of the column missing (indented, or empty), not a boundary
        return not any(abs(gap - n * pitch) <= 0.1 * h for n in (2, 3))

    upper = top > 0 and row_gap(ys[top - 1] - ys[top])
    lower = bottom < len(ys) - 1 and row_gap(ys[bottom] - ys[bottom + 1])
    bounded = (upper and lower) if both else (upper or lower)
    return bounded and bottom - top + 1 <= MAX_CELL_LINES


def break_lines(text: str, breaks: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """The two lines around each break of :func:`cell_wrap_breaks`: ``(line before, line after)``.

    Normalisation (running lines, wraps) works on the page's physical lines, so the
    breaks are joined after it (:func:`smtext.text.normalize.join_line_pairs`), found
    again by these lines.
    """
    out = []
    for start, end in breaks:
        before = text[:start]
        line_before = before[max(before.rfind("\n"), before.rfind("\r")) + 1:]
        out.append((line_before, re.split(r"[\r\n]", text[end:], maxsplit=1)[0]))
    return out
