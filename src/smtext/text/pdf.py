"""One PDF -> per-page text, with quality flags instead of silent empty strings.

Backends: ``pdfium`` (pypdfium2, the default: fast, same text as pdfplumber on
the demo corpus) and ``pdfplumber``; :func:`extract_tables` reads ruled tables
with pdfplumber. Problems raise :class:`~smtext.errors.SMError`
with a reason code, or, in batch use (:func:`extract_record`), become a
flagged record that downstream indices turn into missing values, never zeros.

Wraps inside narrow table cells are found from PDFium's character positions
(:mod:`smtext.text.cell_wraps`), so only the ``pdfium`` backend joins them.

Known difference between the backends: PDFium suppresses a text object that
repeats the previous few objects' text at (nearly) the same x position within
about an eighth of the object's width vertically (it treats it as fake-bold
overprinting). A whole body line identical to one a few lines above it on the
same page is therefore read once by ``pdfium`` and twice by ``pdfplumber``.
Real reports almost never repeat a full line that way; overprinted bold titles,
which pdfplumber reads twice, are common. Use ``backend="pdfplumber"`` when a
corpus is known to repeat lines verbatim.

Non-embedded fonts (the demo reports' STSong-Light) are laid out with a substitute
system font. With any CJK font installed the text is the same; with none, PDFium drops
a line holding only a wrapped ``。`` on a few pages, and with the Noto CJK (CFF) fonts
it reads about 4x slower than with a TrueType CJK font. PDFium's default lookup is kept
(see the README, "System CJK fonts and PDF text speed", and benchmarks/bench_fonts.py).

Reason codes
------------
SM101 encrypted     the file needs a password
SM102 corrupt       the file is damaged or truncated
SM103 image_only    no page has a text layer (a scan: run OCR first)
SM104 garbled       text is mostly ``(cid:NN)`` codes or unmapped glyphs
SM105 empty         the document has no pages or no text at all
SM106 not_found     the path does not exist
SM108 timeout       extraction took longer than the per-document limit
SM118 unreadable    the file exists but cannot be read (permissions, I/O error)
"""

from __future__ import annotations

import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SMError, check_option
from .cell_wraps import break_lines, cell_wrap_breaks
from .normalize import join_pages, normalize_document

EXTRACTOR_VERSION = "3"  # 2: running header blocks by page runs, wraps by body width; 3: wraps in table cells
BACKENDS = ("pdfium", "pdfplumber")
REASONS = {"SM101": "encrypted", "SM102": "corrupt", "SM103": "image_only", "SM104": "garbled",
           "SM105": "empty", "SM106": "not_found", "SM108": "timeout", "SM118": "unreadable"}
# failures that may not recur (a busy machine, permissions fixed later): never cached as a document's result
TRANSIENT = ("SM108", "SM118")
_FIX = {
    "SM101": "ask the source for an unprotected copy or remove the password (qpdf --decrypt).",
    "SM102": "download the file again; it is damaged or cut off.",
    "SM103": "run OCR on the file (e.g. ocrmypdf -l chi_sim) or exclude it.",
    "SM104": "the PDF's fonts lack a Unicode map; try the other backend or OCR.",
    "SM105": "check the source file.",
    "SM106": "check the path or the corpus manifest.",
    "SM108": "raise the timeout, or set max_pages, or inspect the file: it may be hostile or huge.",
    "SM118": "give the user running smtext read access (chmod a+r), or copy the file again; it is retried next run.",
}
_CID = re.compile(r"\(cid:\d+\)")
# characters a Chinese or English report is made of: ASCII and Latin-1, Greek, general
# punctuation, letter-like symbols, arrows, maths, box drawing, shapes, CJK symbols and
# punctuation, kana, enclosed CJK, CJK ideographs (ext. A, unified, compatibility), CJK
# compatibility and half/full-width forms. PDFium returns a glyph without a Unicode map
# as its raw code, which lands mostly outside these blocks (e.g. U+1000-U+2000 or the PUA).
_PLAUSIBLE = re.compile("[\t\n\r\x20-\x7e\xa0-\xff\u0370-\u03ff\u2000-\u27bf\u2e80-\u33ff"
                        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


@dataclass(frozen=True)
class ExtractedDocument:
    """Text of one PDF.

    Attributes
    ----------
    path : str
    pages : list of str
        Normalised text per page (page ``i`` is ``pages[i - 1]``).
    raw_pages : list of str
        Text as the backend returned it.
    image_pages : tuple of int
        1-based numbers of pages without a text layer.
    backend : str
    header_lines_removed : int
        Running header/footer and page-number lines normalisation dropped.
    wraps_joined : int
        Line breaks within pages joined as wraps.
    """

    path: str
    pages: list[str]
    raw_pages: list[str] = field(repr=False)
    image_pages: tuple[int, ...] = ()
    backend: str = "pdfium"
    header_lines_removed: int = 0
    wraps_joined: int = 0

    @property
    def text(self) -> str:
        """All pages in one text; a keyword wrapped across a page break is joined (see ``join_pages``)."""
        return join_pages(self.pages)[0]

    @property
    def n_pages(self) -> int:
        return len(self.pages)


def unmapped_chars(text: str) -> tuple[int, int]:
    """Count characters that come from glyphs without a Unicode map.

    Parameters
    ----------
    text : str
        Raw text of a document.

    Returns
    -------
    bad, total : int
        ``(cid:NN)`` codes (pdfplumber) and characters outside the blocks a Chinese
        or English report uses (PDFium's raw glyph codes, U+FFFD, private use), and
        the number of non-space characters.
    """
    cid = _CID.findall(text)
    rest = _CID.sub("", text)
    stripped = "".join(rest.split())
    bad = sum(map(len, cid)) + len(stripped) - len(_PLAUSIBLE.findall(stripped))
    return bad, sum(map(len, cid)) + len(stripped)


def _fail(code: str, path: Path, detail: str = "") -> SMError:
    msg = f"{path.name} is {REASONS[code]}" + (f" ({detail})" if detail else "") + "."
    return SMError(code, msg, _FIX[code])


def _check_readable(path: Path) -> None:
    """SM106 when ``path`` is not a file, SM118 when it cannot be opened (the PDF libraries would say 'corrupt')."""
    if not path.is_file():
        raise _fail("SM106", path)
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise _fail("SM118", path, exc.strerror or type(exc).__name__) from None


def _pdfium_pages(path: Path, max_pages: int | None,
                  cell_breaks: list | None = None) -> tuple[list[str], list[int]]:
    """Text and image-only page numbers; with ``cell_breaks`` (a list), also each page's
    line breaks inside narrow table cells as pairs of lines (:mod:`smtext.text.cell_wraps`)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc)
        if "password" in text.lower():
            raise _fail("SM101", path) from None
        raise _fail("SM102", path, text) from None
    try:
        pages, image_pages = [], []
        n = len(pdf) if max_pages is None else min(len(pdf), max_pages)
        for i in range(n):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            if not text.strip() and any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects()):
                image_pages.append(i + 1)
            pages.append(text)
            if cell_breaks is not None:
                cell_breaks.append(break_lines(text, cell_wrap_breaks(textpage, text)))
            textpage.close()
            page.close()
        return pages, image_pages
    except pdfium.PdfiumError as exc:  # a damaged page after a readable header
        raise _fail("SM102", path, f"page {len(pages) + 1}: {exc}") from None
    finally:
        pdf.close()


@contextmanager
def _plumber_errors(path: Path):
    """Turn pdfminer's many exception types into SM101 (password) or SM102 (damaged)."""
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        yield
    except PDFPasswordIncorrect:
        raise _fail("SM101", path) from None
    except PDFSyntaxError as exc:
        raise _fail("SM102", path, str(exc)) from None
    except (SMError, _Timeout):
        raise
    except Exception as exc:  # pdfminer raises many types on damaged files
        if "password" in repr(exc).lower() or "encrypt" in repr(exc).lower():
            raise _fail("SM101", path) from None
        raise _fail("SM102", path, f"{type(exc).__name__}: {exc}") from None


def _pdfplumber_pages(path: Path, max_pages: int | None) -> tuple[list[str], list[int]]:
    import pdfplumber

    with _plumber_errors(path), pdfplumber.open(str(path)) as pdf:
        pages, image_pages = [], []
        for i, page in enumerate(pdf.pages[:max_pages] if max_pages else pdf.pages):
            text = page.extract_text() or ""
            if not text.strip() and page.images:
                image_pages.append(i + 1)
            pages.append(text)
            page.close()
        return pages, image_pages


@dataclass(frozen=True)
class ExtractedTable:
    """A table found by pdfplumber: its 1-based page and its rows of cell texts (None for empty cells)."""

    page: int
    rows: list[list[str | None]]


def extract_tables(path: str | Path, max_pages: int | None = None, timeout: float | None = None) -> list[ExtractedTable]:
    """Tables of a PDF (ruled grids), read with pdfplumber.

    Parameters
    ----------
    path : str or Path
        The PDF file.
    max_pages : int, optional
        Read at most this many pages.
    timeout : float, optional
        Seconds allowed for this document (SM108 when exceeded).

    Returns
    -------
    list of ExtractedTable
        In page order.

    Raises
    ------
    SMError
        SM101 encrypted, SM102 corrupt, SM106 not found, SM108 timeout.
    """
    import pdfplumber

    path = Path(path)
    _check_readable(path)
    out = []
    try:
        with _deadline(timeout), _plumber_errors(path), pdfplumber.open(str(path)) as pdf:
            for i, page in enumerate(pdf.pages[:max_pages] if max_pages else pdf.pages):
                out += [ExtractedTable(i + 1, rows) for rows in page.extract_tables()]
                page.close()
    except _Timeout:
        raise _fail("SM108", path, f"over {timeout} s") from None
    return out


class _Timeout(Exception):
    pass


@contextmanager
def _deadline(seconds: float | None):
    """Raise _Timeout after ``seconds`` (between Python bytecodes, so between pages).

    Works in the main thread of a process (the CLI, local pool workers); in
    threads (e.g. Dask thread workers) the limit is not enforced.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def extract_pdf(path: str | Path, backend: str = "pdfium", max_pages: int | None = None,
                strip_running: bool = True, timeout: float | None = None, drop_tables: bool = False,
                simplified: bool = False) -> ExtractedDocument:
    """Extract and normalise the text of one PDF.

    Parameters
    ----------
    path : str or Path
        The PDF file.
    backend : {"pdfium", "pdfplumber"}
        Extraction library.
    max_pages : int, optional
        Read at most this many pages (a guard against hostile files).
    timeout : float, optional
        Seconds allowed for this document (SM108 when exceeded).
    drop_tables, simplified : bool
        Optional normalisation: drop table-like lines; traditional -> simplified.
    strip_running : bool
        Remove running headers/footers and page numbers found by repetition.

    Returns
    -------
    ExtractedDocument

    Raises
    ------
    SMError
        SM101 encrypted, SM102 corrupt/truncated, SM103 image-only, SM104 garbled,
        SM105 empty, SM106 not found, SM108 timeout, SM118 unreadable.
    """
    check_option("backend", backend, BACKENDS)
    path = Path(path)
    _check_readable(path)
    cells: list = []   # line breaks inside table cells, by page (pdfium only: it has the character boxes)
    try:
        with _deadline(timeout):
            if backend == "pdfium":
                raw, image_pages = _pdfium_pages(path, max_pages, cells)
            else:
                raw, image_pages = _pdfplumber_pages(path, max_pages)
    except _Timeout:
        raise _fail("SM108", path, f"over {timeout} s") from None
    if not raw:
        raise _fail("SM105", path, "no pages")
    if len(image_pages) == len(raw):
        raise _fail("SM103", path, f"{len(raw)} pages")
    joined = "".join(raw)
    if not joined.strip():
        raise _fail("SM105", path, "no text")
    bad, total = unmapped_chars(joined)
    if bad > 0.3 * total:
        raise _fail("SM104", path, f"{bad} of {total} characters unmapped")
    norm = normalize_document(raw, strip_running=strip_running, drop_tables=drop_tables, simplified=simplified,
                              line_pairs=cells)
    return ExtractedDocument(str(path), norm.pages, raw, tuple(image_pages), backend,
                             norm.running_lines_removed, norm.wraps_joined)


def extract_record(path: str | Path, backend: str = "pdfium", max_pages: int | None = None,
                   timeout: float | None = 120.0, **normalize) -> dict:
    """Batch form of :func:`extract_pdf`: a record that is either ok or flagged with a reason code.

    Parameters
    ----------
    path : str or Path
        The PDF file.
    backend, max_pages, timeout
        As in :func:`extract_pdf` (the timeout defaults to 120 s here).
    **normalize
        ``strip_running``, ``drop_tables``, ``simplified``.

    Returns
    -------
    dict
        ``status`` ("ok" or the reason name), ``code`` (SMxxx or ""), ``message``,
        ``n_pages``, ``image_pages``, ``n_chars``, ``n_header_lines`` (running header/footer and
        page-number lines removed), ``n_wraps_joined`` and ``pages`` (list of str; empty when flagged).
    """
    try:
        doc = extract_pdf(path, backend=backend, max_pages=max_pages, timeout=timeout, **normalize)
    except SMError as err:
        return {"status": REASONS.get(err.code, "error"), "code": err.code, "message": str(err), "n_pages": 0,
                "image_pages": "", "n_chars": 0, "n_header_lines": 0, "n_wraps_joined": 0, "pages": []}
    return {"status": "ok", "code": "", "message": "", "n_pages": doc.n_pages,
            "image_pages": ",".join(map(str, doc.image_pages)), "n_chars": sum(map(len, doc.pages)),
            "n_header_lines": doc.header_lines_removed, "n_wraps_joined": doc.wraps_joined, "pages": doc.pages}
