"""Render demo documents to real PDF files with reportlab.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (no font file
needed). Pages carry a running header and a page number, sections start on a
new page after a table of contents, paragraphs wrap at the line width so
keywords are split across lines as in real reports, and tables are drawn as
grids. ``invariant=1`` makes the bytes depend only on the content (same seed ->
byte-identical files).

Broken variants are made on purpose: encrypted (a user password), truncated
(bytes cut off), image-only (pages are pictures with no text layer) and
unmapped glyphs (a font without a Unicode map: ``(cid:NN)`` in pdfplumber,
raw glyph codes in PDFium).
"""

from __future__ import annotations

import io

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .text import DocumentSpec, Paragraph, Table

FONT = "STSong-Light"
LATIN = "Helvetica"
SIZE = 10.5
LEADING = 16.0
LEFT, RIGHT, TOP, BOTTOM = 60.0, 535.0, 780.0, 70.0
# "block": page furniture of real cninfo reports. A header block of four lines (the chapter
# title, the page number, the company, the report title), a footer in one of the forms
# reports use, tables wider than the text column and TOC lines whose dots run past it.
LAYOUTS = ("simple", "block")
FOOTERS = ("第 {n} 页", "第 {n} 页 共 {N} 页", "- {n} -", "{n} / {N}", "{n}", "2-{n}")
BLOCK_TOP, WIDE_LEFT, WIDE_RIGHT = 752.0, 30.0, 565.0
_registered = False


def _font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _width(text: str, font: str) -> float:
    return pdfmetrics.stringWidth(text, font, SIZE)


def wrap(text: str, font: str, width: float = RIGHT - LEFT) -> list[str]:
    """Greedy line breaking by character width (CJK text has no spaces to break at)."""
    lines, current, used = [], "", 0.0
    for ch in text:
        w = _width(ch, font)
        if used + w > width and current:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


def _no_break_after(lines: list[str], terms: list[str]) -> set[int]:
    """Indices of lines whose end falls inside a planted term (keep the next line on the same page)."""
    joined = "".join(lines)
    ends, pos = [], 0
    for line in lines:
        pos += len(line)
        ends.append(pos)
    spans = []
    for term in set(terms):
        start = joined.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = joined.find(term, start + 1)
    return {i for i, e in enumerate(ends) for s, t in spans if s < e < t}


class _Layout:
    """A cursor over pages; knows the header text and numbers pages."""

    def __init__(self, c: canvas.Canvas, header: str, font: str, spec: DocumentSpec | None = None,
                 total: int = 0):
        self.c, self.header, self.font = c, header, font
        self.page, self.y = 0, TOP
        self.block = spec is not None and spec.layout == "block"
        self.page_footer = spec.page_footer if spec is not None else "第 {n} 页"
        self.chapter, self.total = "", total
        self.company, _, self.title = header.rpartition(" ")

    def new_page(self, cover: bool = False) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        if self.block:
            self._block_furniture(cover)
            return
        self.y = TOP
        self.c.setFont(self.font, 9)
        self.c.drawString(LEFT, 805, self.header)
        self.c.line(LEFT, 800, RIGHT, 800)
        # "第 N 页": PDFium drops a lone half-width character drawn in a non-embedded
        # CID font (a bare "1"), so the footer is written the way many reports do
        self.c.drawCentredString((LEFT + RIGHT) / 2, 40, f"第 {self.page} 页")
        self.c.setFont(self.font, SIZE)

    def _block_furniture(self, cover: bool) -> None:
        self.y = BLOCK_TOP
        if not cover:   # a cover has no running header or footer
            c = self.c
            c.setFont(self.font, 9)
            if self.chapter:
                c.drawString(LEFT, 812, self.chapter)
            # page numbers in a standard Latin font: PDFium reads a lone digit of it
            c.setFont(LATIN, 9)
            c.drawRightString(RIGHT, 801, str(self.page))
            c.setFont(self.font, 9)
            c.drawString(LEFT, 790, self.company or self.header)
            if self.company:
                c.drawRightString(RIGHT, 779, self.title)
            c.line(LEFT, 774, RIGHT, 774)
            footer = self.page_footer.format(n=self.page, N=self.total or self.page)
            c.setFont(self.font if any(ord(ch) > 0x2E80 for ch in footer) else LATIN, 9)
            c.drawCentredString((LEFT + RIGHT) / 2, 40, footer)
        self.c.setFont(self.font, SIZE)

    def room(self, n_lines: int) -> bool:
        return self.y - n_lines * LEADING >= BOTTOM

    def line(self, text: str, indent: float = 0.0, size: float = SIZE) -> None:
        if not self.room(1):
            self.new_page()
        self.c.setFont(self.font, size)
        self.c.drawString(LEFT + indent, self.y, text)
        self.y -= LEADING


class _FooterLayout(_Layout):
    """Pages of an analyst report: the broker's line at the foot of every page, above the number."""

    def __init__(self, c: canvas.Canvas, header: str, font: str, footer: str):
        super().__init__(c, header, font)
        self.footer = footer

    def new_page(self, cover: bool = False) -> None:
        super().new_page(cover)
        self.c.setFont(self.font, 8)
        self.c.drawCentredString((LEFT + RIGHT) / 2, 54, self.footer)
        self.c.setFont(self.font, SIZE)


def _render_paragraph(lay: _Layout, para: Paragraph) -> None:
    lines = wrap(para.text, lay.font)
    keep = _no_break_after(lines, [m.term for m in para.mentions])
    i = 0
    while i < len(lines):
        # a run of lines glued together because a term spans their boundary
        j = i
        while j in keep and j + 1 < len(lines):
            j += 1
        if not lay.room(j - i + 1):
            lay.new_page()
        for k in range(i, j + 1):
            lay.line(lines[k])
        i = j + 1
    lay.y -= LEADING * 0.4


def _render_table(lay: _Layout, table: Table) -> None:
    n_rows, n_cols = len(table.rows), len(table.rows[0])
    height = n_rows * LEADING + 6
    if not lay.room(n_rows + 1):
        lay.new_page()
    # in the block layout a table of more than four columns runs past the text column
    left, right = (WIDE_LEFT, WIDE_RIGHT) if lay.block and n_cols > 4 else (LEFT, RIGHT)
    col_w = (right - left) / n_cols
    top = lay.y + LEADING - 4
    for r in range(n_rows + 1):
        lay.c.line(left, top - r * LEADING, right, top - r * LEADING)
    for k in range(n_cols + 1):
        lay.c.line(left + k * col_w, top, left + k * col_w, top - n_rows * LEADING)
    lay.c.setFont(lay.font, 9)
    for r, row in enumerate(table.rows):
        for k, cell in enumerate(row):
            lay.c.drawString(left + k * col_w + 4, top - (r + 1) * LEADING + 4, cell)
    lay.y -= height
    lay.c.setFont(lay.font, SIZE)


def _toc_pages(spec: DocumentSpec, pages_of: dict[int, int], lay: _Layout) -> None:
    lay.line("目录", indent=200, size=14)
    lay.y -= LEADING * 0.5
    for idx, section in enumerate(spec.sections):
        title = section.heading
        page = str(pages_of.get(idx, ""))
        # the block layout's dot leaders run to the wide right margin, past the body text
        right = WIDE_RIGHT if lay.block else RIGHT
        dots = "." * max(4, int((right - LEFT - _width(title, lay.font) - 30) / _width(".", lay.font)))
        lay.line(f"{title}{dots}{page}")


def _draw(spec: DocumentSpec, out: io.BytesIO, pages_of: dict[int, int], encrypt: str | None,
          total: int = 0) -> tuple[dict[int, int], int]:
    _font()
    font = LATIN if spec.english else FONT
    c = canvas.Canvas(out, pagesize=A4, invariant=1, encrypt=encrypt)
    c.setTitle(spec.header)
    lay = (_FooterLayout(c, spec.header, font, spec.footer) if spec.footer
           else _Layout(c, spec.header, font, spec, total))
    # cover page
    lay.new_page(cover=True)
    lay.y = 600
    for text in spec.cover:
        lay.line(text, indent=80, size=18)
        lay.y -= 20
    if spec.with_toc:
        lay.new_page()
        _toc_pages(spec, pages_of, lay)
    found = {}
    for idx, section in enumerate(spec.sections):
        lay.chapter = section.heading   # the block layout's header names the chapter
        lay.new_page()
        found[idx] = lay.page
        lay.line(section.heading, size=13)
        lay.y -= LEADING * 0.3
        for block in section.blocks:
            if isinstance(block, Table):
                _render_table(lay, block)
            else:
                _render_paragraph(lay, block)
    c.showPage()
    c.save()
    return found, lay.page


def render_pdf(spec: DocumentSpec, encrypt: str | None = None) -> bytes:
    """PDF bytes for ``spec``; the table of contents shows the real page numbers.

    See :func:`render_pdf_with_pages` for the section start pages as well.

    Parameters
    ----------
    spec : DocumentSpec
        Content to render.
    encrypt : str, optional
        A user password: the file then cannot be opened without it.
    """
    return render_pdf_with_pages(spec, encrypt)[0]


def render_pdf_with_pages(spec: DocumentSpec, encrypt: str | None = None) -> tuple[bytes, dict[str, int]]:
    """PDF bytes and the first page (1-based) of every section, by section key."""
    if spec.layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {spec.layout!r}")
    # first pass finds where sections start (and the page count footers show);
    # second pass writes them into the TOC
    pages_of, total = _draw(spec, io.BytesIO(), {}, None)
    buf = io.BytesIO()
    _draw(spec, buf, pages_of, encrypt, total)
    return buf.getvalue(), {spec.sections[i].key: p for i, p in pages_of.items()}


def truncate(data: bytes, keep: float = 0.6) -> bytes:
    """The first ``keep`` share of the bytes: a download cut off half-way."""
    return data[: int(len(data) * keep)]


def image_only_pdf(rng: np.random.Generator, n_pages: int = 4) -> bytes:
    """A scanned-looking report: every page is a picture, there is no text layer."""
    from PIL import Image, ImageDraw

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for _ in range(n_pages):
        img = Image.new("L", (595, 842), 255)
        draw = ImageDraw.Draw(img)
        y = 80
        while y < 780:  # grey bars where lines of text would be
            x_end = int(rng.integers(300, 540))
            draw.rectangle([60, y, x_end, y + 7], fill=int(rng.integers(60, 120)))
            y += 16
        c.drawImage(ImageReader(img), 0, 0, width=595, height=842)
        c.showPage()
    c.save()
    return buf.getvalue()


def unmapped_font_pdf(rng: np.random.Generator, n_pages: int = 2, n_lines: int = 30) -> bytes:
    """A PDF whose text uses a CID font without a Unicode map (``/ToUnicode``).

    This is what many real reports made by old typesetting software look like:
    the text layer exists but its glyph codes cannot be turned into characters,
    so pdfplumber prints ``(cid:NN)`` and PDFium returns the raw codes.
    Written by hand (reportlab always adds a Unicode map).
    """
    font = (b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SongTi /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] >>")
    cid = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SongTi /CIDSystemInfo "
           b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 >>")
    descriptor = (b"<< /Type /FontDescriptor /FontName /ABCDEF+SongTi /Flags 4 /FontBBox [0 -200 1000 900] "
                  b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>")
    n_fixed = 5  # catalog, pages, font, cid font, descriptor
    page_ids = [n_fixed + 1 + 2 * k for k in range(n_pages)]
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % i for i in page_ids), n_pages),
            font % 4, cid % 5, descriptor]
    for k in range(n_pages):
        lines = [b"BT", b"/F1 12 Tf", b"50 780 Td", b"16 TL"]
        for _ in range(n_lines):
            codes = rng.integers(1000, 8000, size=32)
            lines.append(b"<" + "".join(f"{int(c):04X}" for c in codes).encode() + b"> Tj T*")
        content = b"\n".join(lines + [b"ET"])
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % (page_ids[k] + 1))
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)
