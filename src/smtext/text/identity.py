"""Who filed a report and for which year: firm tables, short-name matching, and a report's own pages.

cninfo serves reports under names such as ``平安银行：2024年年度报告.pdf`` (short name, no
stock code), ``万  科Ａ：2020年年度报告.pdf`` (full-width letters, padded short names) or just
the announcement id (``1222940000.PDF``). This module supplies what
:mod:`smtext.text.corpus` needs to identify them:

- :class:`FirmTable` / :func:`load_firms`: stock codes with their short names (current and
  former) and full names, matched after :func:`normalize_name` (NFKC: ``Ａ`` -> ``A``,
  ideographic and inner spaces removed). A name shared by two firms is reported as
  ambiguous, never guessed.
- :func:`read_identity`: the identity a report states on its first pages (cover, running
  headers, the company-profile section 公司简介 / 公司基本情况 / 公司信息): stock code
  (股票代码 / 证券代码 / 公司代码, A shares first), short and full names, the report year
  (``2024年年度报告``) and the markers of 摘要, 英文版 (Annual Report), 半年度/季度 reports
  and amended filings (更正后 / 修订版).
- :func:`identify_pdf`: :func:`read_identity` on a PDF's first pages, read with the one
  extractor (:func:`smtext.text.pdf.extract_pdf`), as a record that is either ok or flagged
  with the extractor's reason code.

Error codes
-----------
SM114  a firm table that cannot be used (unreadable file, no rows, stock codes that are not 6 digits)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SMError, require_columns

IDENTITY_VERSION = "1"
ID_SOURCES = ("name", "firm_table", "cover", "manifest")

# ------------------------------------------------------------------------------- names
_SPACE = re.compile(r"\s+")
# trading-status prefixes cninfo puts in front of short names at filing time
# (*ST / ST risk warnings, S not yet share-reformed, XD/XR/DR ex-dividend/rights, N/C new listings)
_MARKER = re.compile(r"^(?:S\*ST|\*ST|SST|ST|XD|XR|DR|N|C|S)(?=.{2,})")
_NAME_SPLIT = re.compile(r"[；;、|,，/]")


def normalize_name(text: str) -> str:
    """A firm name as it is matched: NFKC (``Ａ`` -> ``A``, ``（`` -> ``(``), no spaces, upper case.

    cninfo pads two-character short names with (ideographic) spaces (``万  科Ａ``) and
    writes Latin letters full-width; both forms match ``万科A``.
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text))).upper()


def strip_markers(name: str) -> str:
    """``name`` (normalised) without leading trading-status markers (``*ST``, ``ST``, ``XD``, ``N`` ...)."""
    prev = None
    while prev != name:
        prev, name = name, _MARKER.sub("", name)
    return name


def _codes(value) -> str | None:
    """A stock code as 6 digits (``1`` -> ``000001``, ``SZ000001`` / ``000001.SZ`` -> ``000001``)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{1,6}(?:\.0)?", text):
        return text.split(".")[0].zfill(6)
    m = re.fullmatch(r"(?:S[HZ]|BJ)?(\d{6})(?:\.(?:S[HZ]|BJ))?", text, re.I)
    return m.group(1) if m else None


def name_list(value) -> list[str]:
    """Former names given as a list or as one ``；``-separated string (also used by applicant matching)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in _NAME_SPLIT.split(value) if v.strip()]
    try:
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    except TypeError:
        return [str(value).strip()]


@dataclass(frozen=True)
class NameMatch:
    """What a firm-table lookup found: the stock codes (one when unique) and how it matched."""

    codes: tuple[str, ...]
    how: str = ""       # short_name | former_name | without_markers | full_name

    @property
    def unique(self) -> str | None:
        return self.codes[0] if len(self.codes) == 1 else None


@dataclass(frozen=True)
class FirmTable:
    """Stock codes with their short names (current and former) and full names.

    Build it with :func:`load_firms`. Lookups match normalised names
    (:func:`normalize_name`); a short name is looked up among current and former
    short names first, then without trading-status markers (``*ST``, ``XD`` ...).

    Attributes
    ----------
    short_names : dict
        Stock code -> current short name (as given).
    source : str
        Where the table came from (a path, or ``"DataFrame"``).
    """

    short_names: dict[str, str]
    source: str = "DataFrame"
    _short: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _former: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _bare: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _full: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _known: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.short_names)

    def __contains__(self, code) -> bool:
        return code in self.short_names

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "DataFrame") -> FirmTable:
        """A firm table from columns ``stkcd``, ``short_name``, optional ``name`` and ``former_names``.

        Several rows per stock code (e.g. a firm-year table of short names) are merged:
        every short name a code had is a name it is known by.
        """
        require_columns(frame, ["stkcd", "short_name"], f"firm table {source}")
        if frame.empty:
            raise SMError("SM114", f"the firm table {source} has no rows.",
                          "pass a table with one row per firm (stkcd, short_name, name).")
        codes = [_codes(v) for v in frame["stkcd"]]
        bad = [v for v, c in zip(frame["stkcd"], codes) if c is None]
        if bad:
            raise SMError("SM114", f"{len(bad)} stock codes of the firm table {source} are not 6-digit codes, "
                                   f"e.g. {bad[:3]}.", "write stkcd as 6 digits (000001), or SZ000001 / 000001.SZ.")
        current: dict[str, str] = {}
        short, former, full = defaultdict(set), defaultdict(set), defaultdict(set)
        names = frame["name"] if "name" in frame else [None] * len(frame)
        formers = frame["former_names"] if "former_names" in frame else [None] * len(frame)
        for code, s, n, f in zip(codes, frame["short_name"], names, formers):
            if isinstance(s, str) and s.strip():
                current.setdefault(code, s.strip())
                short[normalize_name(s)].add(code)
            else:
                current.setdefault(code, "")
            if isinstance(n, str) and n.strip():
                full[normalize_name(n)].add(code)
            for old in name_list(f):
                former[normalize_name(old)].add(code)
        known = defaultdict(set)
        for table in (short, former, full):
            for name, cs in table.items():
                for c in cs:
                    known[c].add(name)
        bare = defaultdict(set)
        for table in (short, former):
            for name, cs in table.items():
                bare[strip_markers(name)] |= cs
        freeze = lambda d: {k: tuple(sorted(v)) for k, v in d.items()}  # noqa: E731
        return cls(current, source, freeze(short), freeze(former), freeze(bare), freeze(full), dict(known))

    def lookup_short(self, name: str) -> NameMatch:
        """Stock codes whose current or former short name is ``name`` (then ignoring ``*ST``-type markers)."""
        key = normalize_name(name)
        now, then = self._short.get(key, ()), self._former.get(key, ())
        if now or then:
            codes = tuple(sorted(set(now) | set(then)))
            return NameMatch(codes, "short_name" if set(codes) <= set(now) else "former_name")
        codes = self._bare.get(strip_markers(key), ())
        return NameMatch(codes, "without_markers" if codes else "")

    def lookup_full(self, name: str) -> NameMatch:
        """Stock codes whose full name is ``name``."""
        codes = self._full.get(normalize_name(name), ())
        return NameMatch(codes, "full_name" if codes else "")

    def lookup(self, name: str) -> NameMatch:
        """A short name, else a full name."""
        hit = self.lookup_short(name)
        return hit if hit.codes else self.lookup_full(name)

    def knows_name(self, code: str, name: str) -> bool:
        """Whether ``name`` is one of ``code``'s short, former or full names."""
        key = normalize_name(name)
        names = self._known.get(code, set())
        return key in names or strip_markers(key) in {strip_markers(n) for n in names}


def load_firms(source) -> FirmTable | None:
    """A :class:`FirmTable` from a DataFrame, a ``.parquet`` / ``.csv`` file, or a FirmTable.

    Parameters
    ----------
    source : DataFrame, str, Path, FirmTable or None
        Columns ``stkcd``, ``short_name``, ``name`` (full name, optional) and
        ``former_names`` (optional: a list, or one string separated by ``；``). The demo
        world's ``data/firms.parquet`` is such a table.

    Returns
    -------
    FirmTable or None
        None when ``source`` is None.

    Raises
    ------
    SMError
        SM001 (missing columns), SM106 (no such file), SM114 (unreadable, empty, bad codes).
    """
    if source is None or isinstance(source, FirmTable):
        return source
    if isinstance(source, pd.DataFrame):
        return FirmTable.from_frame(source)
    path = Path(source)
    if not path.is_file():
        raise SMError("SM106", f"the firm table {path} does not exist.", "check the path given as --firms / firms=.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        else:
            raise SMError("SM114", f"the firm table {path.name} is neither .parquet nor .csv.",
                          "save it as Parquet or UTF-8 CSV with columns stkcd, short_name, name.")
    except SMError:
        raise
    except Exception as exc:  # pyarrow and the csv parser raise many types
        raise SMError("SM114", f"the firm table {path} cannot be read ({type(exc).__name__}: {exc}).",
                      "save it as Parquet or UTF-8 CSV with columns stkcd, short_name, name.") from None
    return FirmTable.from_frame(frame, str(path))


# ------------------------------------------------------------------------------- pages
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_GAP = r"\s*"
_CODE_LABEL = re.compile(
    r"(?:A\s*股\s*)?(?:股\s*票|证\s*券|公\s*司)\s*代\s*码|A\s*股\s*代\s*码|stock\s*code", re.I)
# a code label preceded by one of these belongs to another security (B/H shares, bonds, preferreds)
_OTHER_CLASS = re.compile(r"[BHNS]\s*股\s*\)?\s*(?:股\s*票\s*)?$|债\s*券?\s*$|优\s*先\s*股\s*$|转\s*债\s*$|港\s*股\s*$|"
                          r"(?<![A-Za-z])[BH]\s*(?:shares?)?\s*$", re.I)
_SHORT_LABEL = re.compile(r"(?:A\s*股\s*)?(?:股\s*票|证\s*券|公\s*司)\s*简\s*称", re.I)
_FULL_LABEL = re.compile(r"(?:公\s*司\s*的?\s*|法\s*定\s*)?中\s*文\s*名\s*称")
_SIX = re.compile(r"(?<![\d.,])(\d{6})(?![\d.,]?\d)")
# A and B shares of the Shanghai, Shenzhen and Beijing exchanges (postal codes 1xxxxx, 5xxxxx ... fail)
_EXCHANGE = re.compile(r"^(?:00[0-4]|30[0-2]|60[0-5]|68[89]|20[01]|900|4[0-9]{2}|8[0-9]{2}|92[0-9])")
_B_SHARE = re.compile(r"^(?:20[01]|900)")
_VALUE_STOP = re.compile(r"[\s:|,，。;；()（）“”\"'、]")
_NOT_A_NAME = re.compile(r"^(?:[ABHN]股|不适用|无|N/?A|[-—]+)$", re.I)   # share-class cells of profile tables
_LABEL_INSIDE = re.compile(r"(?:A股)?(?:股票|证券|公司)(?:代码|简称)|股票上市|上市交易所|英文|外文|法定代表人")
_FULL_NAME = re.compile(r"([\u4e00-\u9fff()（）A-Za-z0-9]{2,40}?(?:股份有限公司|有限责任公司|有限公司))")
_TITLE = re.compile(r"((?:1\s?9|2\s?0)\s?\d\s?\d)" + _GAP + r"年" + _GAP + r"(半" + _GAP + r"年" + _GAP + r"度|年" + _GAP + r"度|度|"
                    r"第\s*[一二三四1-4]\s*季\s*度|[一二三四1-4]\s*季\s*度)" + _GAP + r"报" + _GAP + r"告"
                    + r"(" + _GAP + r"摘" + _GAP + r"要)?")
_EN_TITLE = re.compile(r"(?:annual\s*report\s*((?:19|20)\d{2})|((?:19|20)\d{2})\s*annual\s*report)", re.I)
_EN_ANY = re.compile(r"annual\s*report", re.I)
_REVISED = re.compile(r"更\s*正\s*后|更\s*新\s*后|修\s*订\s*[版稿后]|更\s*正\s*版|修\s*正\s*版")
_PROFILE = re.compile(r"公\s*司\s*简\s*介|公\s*司\s*基\s*本\s*情\s*况|公\s*司\s*信\s*息|基\s*本\s*情\s*况\s*简\s*介|"
                      r"corporate\s*information|company\s*profile", re.I)
_SUMMARY_NOTE = re.compile(r"本\s*年\s*度\s*报\s*告\s*摘\s*要\s*来\s*自")


@dataclass(frozen=True)
class PageIdentity:
    """The identity a report states on its first pages.

    Attributes
    ----------
    stkcd : str or None
        The best-supported stock code (A shares before B shares; the cover and the
        company-profile pages weigh more than other pages).
    codes : tuple of str
        Every labelled code found, best first.
    year : int or None
        The report year of the title (``2024年年度报告``) on the cover and running headers.
    doc_type : str
        ``annual_report``, ``summary``, ``english``, ``semiannual_report``, ``quarterly_report``
        or ``other`` (no title found).
    revision : int
        1 when a title says 更正后 / 更新后 / 修订版, else 0.
    short_names, full_names : tuple of str
        Short names after 股票简称 / 证券简称, and full company names (公司的中文名称, cover lines).
    evidence : str
        Where the code and year were read (``股票代码 p1, p4; 2019年年度报告 p1``).
    """

    stkcd: str | None = None
    codes: tuple[str, ...] = ()
    year: int | None = None
    doc_type: str = "other"
    revision: int = 0
    short_names: tuple[str, ...] = ()
    full_names: tuple[str, ...] = ()
    evidence: str = ""


def _label_values(text: str, label: re.Pattern, window: int) -> list[tuple[int, str]]:
    """``(position, text after the label)`` for each label occurrence not preceded by another share class."""
    out = []
    for m in label.finditer(text):
        if _OTHER_CLASS.search(text[max(0, m.start() - 8):m.start()]):
            continue
        out.append((m.start(), text[m.end():m.end() + window]))
    return out


def _first_value(after: str) -> str | None:
    """The first word after a label (``：安靠智电`` -> ``安靠智电``; ``股票代码`` glued after it is cut)."""
    after = re.sub(r"^[\s:：|,，'\"\[\]]+", "", after)   # separators, table cells, quotes
    m = re.match(r"[^\s:：|,，。;；()（）“”\"'、]{2,40}", after)
    if not m:
        return None
    value = m.group(0)
    cut = _LABEL_INSIDE.search(value)
    value = value[:cut.start()] if cut else value
    if len(value) < 2 or value.isdigit() or _NOT_A_NAME.match(value):
        return None
    return value


def read_identity(pages: Sequence[str]) -> PageIdentity:
    """The stock code, names, year and document type a report states on its first pages.

    Parameters
    ----------
    pages : sequence of str
        Text of the first pages (cover first), raw or normalised; about 15 pages reach
        the company-profile section (公司简介 / 公司基本情况 / 公司信息) of real reports.

    Returns
    -------
    PageIdentity
        Labels are read with the value on the same line (``股票代码：000001``,
        ``证券代码 000001``) or in the next table cell or line (``股票简称 | 安靠智电 |
        股票代码 | 300617``); codes labelled for B/H shares, bonds or preferred shares are
        skipped, and when several classes are listed the A share wins.
    """
    code_score: Counter = Counter()
    code_first: dict[str, int] = {}
    code_pages: dict[str, list[int]] = defaultdict(list)
    shorts: Counter = Counter()
    fulls: Counter = Counter()
    titles: list[tuple[str, int, int, int]] = []    # kind, year, weight, page
    revised = False
    order = 0
    cjk = latin = 0
    en_titles: Counter = Counter()
    summary_note = False
    for pno, raw in enumerate(pages, start=1):
        text = unicodedata.normalize("NFKC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
        cjk += len(_CJK.findall(text))
        latin += len(_LATIN.findall(text))
        profile = bool(_PROFILE.search(text))
        weight = 3 if pno == 1 else 2 if profile else 1
        for pos, after in _label_values(text, _CODE_LABEL, 48):
            m = _SIX.search(after)
            if not m or not _EXCHANGE.match(m.group(1)):
                continue
            code = m.group(1)
            code_score[code] += weight * (0.5 if _B_SHARE.match(code) else 1.0)
            code_first.setdefault(code, order * 100_000 + pos)
            if pno not in code_pages[code]:
                code_pages[code].append(pno)
        order += 1
        for _, after in _label_values(text, _SHORT_LABEL, 48):
            value = _first_value(after)
            if value:
                shorts[value] += weight
        for _, after in _label_values(text, _FULL_LABEL, 64):
            value = _first_value(after)
            if value:
                m = _FULL_NAME.search(value)
                fulls[m.group(1) if m else value] += weight
        if pno <= 3:   # cover lines and running headers name the company
            for line in text.split("\n")[:12]:
                m = _FULL_NAME.match(line.strip())
                if m:
                    fulls[m.group(1)] += 1
        summary_note = summary_note or bool(_SUMMARY_NOTE.search(text))
        for line in text.split("\n"):
            if len(line.strip()) > 60:   # titles and running headers are short lines; body text is not read
                continue
            for m in _TITLE.finditer(line):
                kind = m.group(2).replace(" ", "")
                kind = ("semiannual_report" if kind.startswith("半") else
                        "quarterly_report" if "季" in kind else "summary" if m.group(3) else "annual_report")
                titles.append((kind, int(re.sub(r"\s", "", m.group(1))), weight, pno))
                if pno <= 2 and _REVISED.search(line[m.end():m.end() + 12]):
                    revised = True
            for m in _EN_TITLE.finditer(line):
                en_titles[int(m.group(1) or m.group(2))] += weight
    codes = sorted(code_score, key=lambda c: (-code_score[c], code_first[c]))
    stkcd = codes[0] if codes else None

    english = latin > 3 * max(cjk, 1) and bool(en_titles or _EN_ANY.search(" ".join(pages[:3])))
    kinds: Counter = Counter()
    for kind, _, w, _ in titles:
        kinds[kind] += w
    if english:
        doc_type = "english"
        year = en_titles.most_common(1)[0][0] if en_titles else None
        year_pages = []
    elif kinds:
        best = max(kinds.values())
        doc_type = next(k for k in ("annual_report", "summary", "semiannual_report", "quarterly_report")
                        if kinds[k] == best)
        if doc_type == "annual_report" and summary_note and kinds["summary"]:
            doc_type = "summary"   # 本年度报告摘要来自年度报告全文: a summary whose headers omit 摘要
        years: Counter = Counter()
        first: dict[int, int] = {}
        for kind, y, w, p in titles:
            if kind == doc_type:
                years[y] += w
                first.setdefault(y, p)
        year = max(years, key=lambda y: (years[y], -first[y]))   # most weight, then the earliest page
        year_pages = sorted({p for k, y, _, p in titles if k == doc_type and y == year})
    else:
        doc_type, year, year_pages = "other", None, []
    evidence = []
    if stkcd:
        evidence.append(f"code {stkcd} p{','.join(map(str, code_pages[stkcd][:4]))}")
    if year is not None:
        evidence.append(f"{year} {doc_type} title" + (f" p{','.join(map(str, year_pages[:4]))}" if year_pages else ""))
    return PageIdentity(stkcd=stkcd, codes=tuple(codes), year=year, doc_type=doc_type, revision=int(revised),
                        short_names=tuple(n for n, _ in shorts.most_common()),
                        full_names=tuple(n for n, _ in fulls.most_common()), evidence="; ".join(evidence))


def identify_pdf(path: str | Path, max_pages: int = 15, first_pages: int = 4, backend: str = "pdfium",
                 timeout: float | None = 30.0) -> dict:
    """:func:`read_identity` on the first pages of a PDF, as a batch record.

    The first ``first_pages`` pages are read; when they do not state both a stock code
    and a report year, the first ``max_pages`` are read (a cover that is an image, a
    profile section on page 9).

    Parameters
    ----------
    path : str or Path
        The PDF.
    max_pages, first_pages : int
        Pages read at most, and in the first pass.
    backend : {"pdfium", "pdfplumber"}
        As in :func:`smtext.text.pdf.extract_pdf`.
    timeout : float, optional
        Seconds allowed (SM108 when exceeded).

    Returns
    -------
    dict
        ``cover_status`` ("ok" or the extractor's reason code SM101-SM108), ``cover_message``,
        ``cover_pages`` (pages read), and the fields of :class:`PageIdentity` prefixed
        ``cover_`` (``cover_codes``, ``cover_short_names`` and ``cover_full_names`` joined by ``,``).
    """
    from .pdf import extract_pdf

    try:
        doc = extract_pdf(path, backend=backend, max_pages=first_pages, timeout=timeout, strip_running=False)
        ident = read_identity(doc.raw_pages)
        if (ident.stkcd is None or ident.year is None) and first_pages < max_pages and doc.n_pages == first_pages:
            doc = extract_pdf(path, backend=backend, max_pages=max_pages, timeout=timeout, strip_running=False)
            ident = read_identity(doc.raw_pages)
    except SMError as err:
        return {**_record(PageIdentity()), "cover_status": err.code, "cover_message": str(err), "cover_pages": 0}
    return {**_record(ident), "cover_status": "ok", "cover_message": "", "cover_pages": doc.n_pages}


def _record(ident: PageIdentity) -> dict:
    return {"cover_stkcd": ident.stkcd, "cover_codes": ",".join(ident.codes), "cover_year": ident.year,
            "cover_doc_type": ident.doc_type, "cover_revision": ident.revision,
            "cover_short_names": ",".join(ident.short_names), "cover_full_names": ",".join(ident.full_names),
            "cover_evidence": ident.evidence}
