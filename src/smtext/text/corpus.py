"""Find report files, identify each document (firm and year), and choose one per firm-year.

cninfo-style names carry the stock code, year, firm name and document type::

    000001_2019_平安银行_2019年年度报告.pdf
    2020-01-21__公司全称__300617__安靠智电__2019年__年度报告.pdf
    000001_平安银行_2024年年度报告_1222940000.pdf        (code, short name, title, announcement id)
    600000_2019_浦发银行_2019年年度报告（更正后）.pdf
    600000_2019_浦发银行_2019年年度报告摘要.pdf
    600000_2019_浦发银行_2019年年度报告（英文版）.pdf

Common variants are read too: ``-`` or spaces as separators, ``SH600000`` /
``600000.SH`` codes, a code glued to the name (``600000浦发银行2019年年度报告``)
and upper-case ``.PDF``. Names are NFKC-normalised first (``Ａ`` -> ``A``, ``：`` -> ``:``)
and spaces inside a Chinese name are dropped (cninfo pads ``万  科Ａ``).

cninfo's own download names need more than the name:

- ``平安银行：2024年年度报告.pdf`` (short name, full-width colon, no code) is resolved
  through a firm table (:func:`smtext.text.identity.load_firms`: stock code, short names
  including former names, full name); a short name the table lacks or shares between
  two firms is reported, never guessed (``id_note``);
- ``1222940000.PDF`` (the announcement id only) and unresolved names are identified from
  the report's own first pages (:func:`identify_documents`, ``scan(..., identify=True)``):
  cover, running headers and the company-profile section (股票代码, 股票简称, the year of
  ``2024年年度报告``, and the 摘要 / 英文版 / 更正后 markers). Reading the pages of every
  document also checks the names: a name and cover that disagree on the stock code, year
  or type are kept with the name's identity, a ``conflict`` entry and an SM112 warning.

Each row records where its identity came from (``id_source``: ``name``, ``firm_table``,
``cover``, or ``manifest`` for a user's CSV) and why it is missing (``id_note``).

Summaries, English versions, semi-annual and quarterly reports, announcements
about a report (更正公告) and cancelled filings (已取消) are excluded by default,
and when an amended filing (更正/修订/更新) exists the latest revision is kept;
every exclusion is reported with a reason (:func:`select`).

Error/warning codes
-------------------
SM112  (warning) a name and the report's own pages disagree on the stock code, year or type (``conflict``)
SM113  (warning) documents excluded because neither the name, the firm table nor the pages identify them
SM114  a firm table that cannot be used (see :mod:`smtext.text.identity`)
SM115  (warning) documents identified from their own pages (``id_source == "cover"``): a recorded guess
SM116  (warning) several documents of one firm-year without revision markers: the latest announcement id
       (else the last path) is kept (``superseded_by_later_filing``)
SM117  (warning) files whose names are not UTF-8 (e.g. GBK names from a Windows zip): excluded (``undecodable_name``)
SM119  (warning) inputs the scan cannot take: unreadable folders, symlink loops, dangling links, special files
       named like a PDF (FIFOs, sockets, devices): listed with a reason (``found.attrs["skipped"]``)
SM120  (warning) documents with identical bytes kept under different firm-years (see :func:`duplicate_content`)
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import warn
from .identity import IDENTITY_VERSION, FirmTable, identify_pdf, load_firms

_CODE = r"(?:S[HZ]|BJ)?(?P<stkcd>\d{6})(?:\.(?:S[HZ]|BJ))?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_SEP = r"(?:__|[_\- ])"
_AMEND = re.compile(r"更正|修订|修正|补充|更新")
_PATTERNS = [
    # 2020-01-21__公司全称__300617__安靠智电__2019年__年度报告.pdf
    re.compile(rf"^(?P<date>\d{{4}}-\d{{2}}-\d{{2}})__(?P<full>[^_]+)__{_CODE}__(?P<name>[^_]+)__{_YEAR}年?__(?P<title>.+)$", re.I),
    # 000001_2019_平安银行_2019年年度报告.pdf (also with - or a space as separator)
    re.compile(rf"^{_CODE}{_SEP}{_YEAR}{_SEP}(?P<name>[^_\- ]+){_SEP}(?P<title>.+)$", re.I),
    # 000001_平安银行_2019年年度报告.pdf (and 000001_平安银行_2024年年度报告_1222940000.pdf, id split off first)
    re.compile(rf"^{_CODE}{_SEP}(?P<name>[^_\- ]+?){_SEP}?{_YEAR}年?(?P<title>.+)$", re.I),
    # 600000浦发银行2019年年度报告.pdf
    re.compile(rf"^{_CODE}(?P<name>[^\d_\- ]+?){_YEAR}年?(?P<title>.+)$", re.I),
]
# 平安银行：2019年年度报告.pdf (cninfo's download name): short name, colon (full-width before NFKC), title
_SHORT_FORM = re.compile(r"^(?P<short>[^:_]{1,40}?)\s*:\s*(?P<title>.+)$")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# cninfo announcement ids: 8-12 digits, alone or after the title (an 8-digit date is not one)
_ANN_ID = re.compile(r"(?:(?P<rest>.*?)[_\- ]+)?(?P<ann>\d{8,12})")
_DATE8 = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_INNER_SPACE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}A-Za-z])")
_TYPED = ("annual_report", "summary", "english", "semiannual_report", "quarterly_report")
COLUMNS = ["path", "stkcd", "year", "firm", "doc_type", "revision", "bytes", "ann_id", "id_source", "id_note",
           "conflict"]
SKIPPED_COLUMNS = ["path", "reason", "id_note"]
COVER_COLUMNS = ["cover_status", "cover_stkcd", "cover_year", "cover_doc_type", "cover_evidence"]


@dataclass(frozen=True)
class ParsedName:
    """What a file name says about the document.

    ``source`` is ``"name"`` when the name carries the stock code, ``"firm_table"`` when
    its short name was resolved through a firm table, None when the name does not
    identify the firm; ``note`` says why (``no_code_in_name``, ``no_firm_table: 平安银行``,
    ``unknown_short_name: ...``, ``ambiguous_short_name: 万科A (000002, 000003)``,
    ``announcement_id_only``) or how a short name matched (``former_name: ...``).
    """

    stkcd: str | None
    year: int | None
    firm: str | None
    doc_type: str
    revision: int
    ann_id: str | None = None
    source: str | None = None
    note: str = ""


def doc_type_of(title: str) -> str:
    """Classify a title.

    Returns one of ``annual_report``, ``summary``, ``english``, ``semiannual_report``,
    ``quarterly_report``, ``announcement`` (a notice about a report, e.g. 更正公告),
    ``cancelled`` (已取消), ``analyst_report``, ``government_report`` or ``other``.
    """
    if "已取消" in title:
        return "cancelled"
    if "英文" in title or re.search(r"annual\s*report", title, re.I):
        return "english"
    if re.search(r"研究报告|研报|深度报告|点评|跟踪报告|首次覆盖", title):
        return "analyst_report"
    if re.search(r"公告|提示性|问询|回复|的说明|决议", title):
        return "announcement"
    if "摘要" in title:
        return "summary"
    if "半年" in title:
        return "semiannual_report"
    if re.search(r"季度报|季报", title):
        return "quarterly_report"
    if "政府工作报告" in title:
        return "government_report"
    if "年度报告" in title or "年报" in title:
        return "annual_report"
    return "other"


def _clean_stem(name: str) -> str:
    """A file name's stem as it is parsed: NFKC, brackets half-width, no spaces inside a Chinese name."""
    stem = unicodedata.normalize("NFKC", Path(name).stem).strip()
    return _INNER_SPACE.sub("", stem)


def _split_ann_id(stem: str) -> tuple[str | None, str]:
    """``(announcement id, the rest of the stem)``; the id is None when the stem does not end in one."""
    m = _ANN_ID.fullmatch(stem)
    if not m or (len(m.group("ann")) == 8 and _DATE8.fullmatch(m.group("ann"))):
        return None, stem
    return m.group("ann"), (m.group("rest") or "").strip("_- ")


def _resolve_short(short: str, firms: FirmTable | None) -> tuple[str | None, str | None, str]:
    """``(stkcd, source, note)`` of a short name looked up in the firm table."""
    if firms is None:
        return None, None, f"no_firm_table: {short}"
    hit = firms.lookup(short)
    if hit.unique:
        return hit.unique, "firm_table", "" if hit.how == "short_name" else f"{hit.how}: {short}"
    if hit.codes:
        return None, None, f"ambiguous_short_name: {short} ({', '.join(hit.codes)})"
    return None, None, f"unknown_short_name: {short}"


def parse_filename(name: str, firms: FirmTable | None = None) -> ParsedName:
    """Parse one file name (with or without folders and extension).

    Parameters
    ----------
    name : str
        File name such as ``000001_2019_平安银行_2019年年度报告.pdf``,
        ``平安银行：2019年年度报告.pdf`` or ``1222940000.PDF``.
    firms : FirmTable, DataFrame or path, optional
        Resolves names without a stock code (:func:`smtext.text.identity.load_firms`; pass
        a loaded FirmTable when parsing many names).

    Returns
    -------
    ParsedName
        ``revision`` is 1 for an amended filing (更正/修订/修正/补充/更新), else 0.
        Names without a stock code (and no unique firm-table match) give ``stkcd=None``,
        the first year found, if any, and a ``note`` saying why.
    """
    ann_id, stem = _split_ann_id(_clean_stem(name))
    if not stem:
        return ParsedName(None, None, None, "other", 0, ann_id, None, "announcement_id_only")
    for pattern in _PATTERNS:
        m = pattern.match(stem)
        if m:
            title = m.group("title")
            return ParsedName(m.group("stkcd"), int(m.group("year")), m.group("name").strip("_- "),
                              doc_type_of(title), int(bool(_AMEND.search(title))), ann_id, "name")
    m = _SHORT_FORM.match(stem)
    if m and not m.group("short").isdigit():
        short, title = m.group("short"), m.group("title")
        stkcd, source, note = _resolve_short(short, load_firms(firms))
    else:
        short, title, stkcd, source, note = None, stem, None, None, "no_code_in_name"
    year = _ANY_YEAR.search(title)
    return ParsedName(stkcd, int(year.group(1)) if year else None, short, doc_type_of(title),
                      int(bool(_AMEND.search(title))), ann_id, source, note)


def _name_row(rel: str, parsed: ParsedName, size: int) -> dict:
    return {"path": rel, "stkcd": parsed.stkcd, "year": parsed.year, "firm": parsed.firm,
            "doc_type": parsed.doc_type, "revision": parsed.revision, "bytes": size, "ann_id": parsed.ann_id,
            "id_source": parsed.source if parsed.stkcd and parsed.year else None, "id_note": parsed.note,
            "conflict": ""}


def scan(root: str | Path, pattern: str = "*.pdf", firms=None, identify: bool | str = False, *, jobs: int = 1,
         scheduler: str | None = None, max_pages: int = 15, backend: str = "pdfium",
         cache: str | Path | None = None) -> pd.DataFrame:
    """Every matching file under ``root`` (recursively), identified by its name, a firm table and its pages.

    Parameters
    ----------
    root : str or Path
        Folder to search.
    pattern : str
        Glob pattern of the file names, matched case-insensitively (``*.pdf``
        also finds ``.PDF``, as cninfo serves them).
    firms : DataFrame, path or FirmTable, optional
        Firm table (``stkcd``, ``short_name``, ``name``, optional ``former_names``) that
        resolves cninfo's ``短称：YYYY年年度报告.pdf`` names and the names on covers
        (:func:`smtext.text.identity.load_firms`; the demo world's ``data/firms.parquet`` is one).
    identify : bool or {"all", "missing"}
        Read each document's first pages (:func:`identify_documents`): ``True`` / ``"all"``
        reads every document (filling in what the name lacks and checking what it says),
        ``"missing"`` only those the name leaves unidentified; ``False`` reads none.
    jobs, scheduler
        Local worker processes, or a Dask scheduler address, for reading the pages.
    max_pages, backend
        Pages read at most per document, and the extractor backend.
    cache : str or Path, optional
        Folder where page identities are kept between runs (keyed by each file's sha256).

    Returns
    -------
    DataFrame
        ``path`` (relative to ``root``), ``stkcd``, ``year`` (Int64), ``firm``, ``doc_type``,
        ``revision``, ``bytes``, ``ann_id`` (cninfo announcement id in the name), ``id_source``
        (``name`` / ``firm_table`` / ``cover``; missing when unidentified), ``id_note`` and
        ``conflict``, sorted by path; with ``identify``, also ``cover_status``, ``cover_stkcd``,
        ``cover_year``, ``cover_doc_type`` and ``cover_evidence``. ``attrs["skipped"]`` lists the
        inputs that could not be taken (records of ``path, reason, id_note``, see :func:`walk`).
    """
    root = Path(root)
    table = load_firms(firms)
    files, skipped = walk(root, pattern)
    rows = [_name_row(rel, parse_filename(Path(rel).name, table), size) for rel, size in files]
    found = _frame(rows)
    if identify and not found.empty:
        found = identify_documents(found, root, table, "all" if identify is True else identify, jobs=jobs,
                                   scheduler=scheduler, max_pages=max_pages, backend=backend, cache=cache)
    found.attrs["skipped"] = skipped.to_dict("records")   # records: attrs are compared and deep-copied by pandas
    return found


def _shown(rel: str) -> str:
    """A path with undecodable bytes as a person reading it sees it: each part UTF-8, else GBK, else escaped bytes."""
    parts = []
    for raw in os.fsencode(rel).split(b"/"):
        for encoding in ("utf-8", "gb18030"):
            try:
                parts.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            parts.append(raw.decode("utf-8", "backslashreplace"))
    return "/".join(parts)


def walk(root: str | Path, pattern: str = "*.pdf") -> tuple[list[tuple[str, int]], pd.DataFrame]:
    """Regular files under ``root`` matching ``pattern``, and every input that cannot be taken, with its reason.

    Folders are entered in name order; linked folders are followed once (a link back to a
    folder already entered is a loop). Nothing is skipped silently: an unreadable folder, a
    symlink loop, a dangling link, a FIFO, socket or device named like a PDF, and a file
    whose name is not UTF-8 are each a row of ``skipped``.

    Parameters
    ----------
    root : str or Path
        Folder to search.
    pattern : str
        Glob pattern of the file names, matched case-insensitively.

    Returns
    -------
    files : list of (str, int)
        Relative path and size of each matching regular file, sorted by path.
    skipped : DataFrame
        ``path`` (relative; an undecodable name shown as GBK), ``reason`` (``unreadable_folder``,
        ``symlink_loop``, ``dangling_link``, ``not_a_file``, ``unreadable_file``,
        ``undecodable_name``) and ``id_note`` (the code and what happened).

    Warns
    -----
    SMWarning
        SM117 for undecodable names, SM119 for the other skipped inputs.
    """
    root = Path(root)
    pattern = pattern.lower()
    files, skipped, entered = [], [], set()

    def skip(rel: str, reason: str, code: str, detail: str) -> None:
        skipped.append({"path": _shown(rel), "reason": reason, "id_note": f"{code}: {detail}"})

    def visit(folder: Path, rel: str) -> None:
        try:
            st = folder.stat()
            entered.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skip(rel or ".", "unreadable_folder", "SM119", f"folder cannot be listed ({exc.strerror or exc}); "
                                                           "the PDFs in it, if any, are not read")
            return
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            matches = fnmatch.fnmatch(entry.name.lower(), pattern)
            try:
                st = entry.stat()          # follows links
            except OSError as exc:
                if entry.is_symlink():
                    if matches or exc.errno == errno.ELOOP or _links_to_folder(entry):
                        loop = exc.errno == errno.ELOOP
                        skip(child, "symlink_loop" if loop else "dangling_link", "SM119",
                             "link that loops back on itself" if loop else
                             f"link to {os.readlink(entry.path)!r}, which does not exist")
                elif matches:
                    skip(child, "unreadable_file", "SM119", f"cannot be inspected ({exc.strerror or exc})")
                continue
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in entered:
                    skip(child, "symlink_loop", "SM119", f"link to a folder already searched "
                                                         f"({os.readlink(entry.path)!r}); not searched twice")
                else:
                    visit(Path(entry.path), child)
            elif matches:
                if not stat.S_ISREG(st.st_mode):
                    kind = "FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "device"
                    skip(child, "not_a_file", "SM119", f"a {kind}, not a file")
                elif not _utf8(child):
                    skip(child, "undecodable_name", "SM117", "the file name is not UTF-8 (GBK?); rename it "
                                                             "(convmv -f gbk -t utf-8 -r --notest FOLDER)")
                else:
                    files.append((child, st.st_size))

    visit(root, "")
    files.sort(key=lambda f: Path(f[0]))    # the order Path objects sort in (parts, not characters)
    skipped = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    names = skipped[skipped["reason"] == "undecodable_name"]
    if len(names):
        warn("SM117", f"{len(names)} file(s) have names that are not UTF-8 and are excluded, e.g. "
                      f"{names['path'].iloc[0]} (shown as GBK).",
             "rename them to UTF-8, e.g. convmv -f gbk -t utf-8 -r --notest FOLDER (see excluded.csv).")
    other = skipped[skipped["reason"] != "undecodable_name"]
    if len(other):
        warn("SM119", f"{len(other)} input(s) under {root} cannot be read and are skipped: "
                      f"{other['reason'].value_counts().sort_index().to_dict()}, e.g. {other['path'].iloc[0]}.",
             "fix permissions (chmod -R a+rX), remove broken links, and replace special files by the PDFs "
             "(see excluded.csv).")
    return files, skipped


def add_skipped(excluded: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """``excluded`` followed by the inputs the scan that made ``found`` could not take (``found.attrs["skipped"]``).

    Parameters
    ----------
    excluded : DataFrame
        Excluded rows of :func:`select` (or any manifest rows).
    found : DataFrame
        The :func:`scan` result they come from.

    Returns
    -------
    DataFrame
        The rows of both, with ``reason`` and ``id_note`` filled for the skipped inputs; ``excluded``
        itself when nothing was skipped. Columns are objects when rows were added, so integers stay
        integers beside the blanks (``2019``, not ``2019.0``, in a CSV).
    """
    skipped = found.attrs.get("skipped") or []
    if not skipped:
        return excluded
    columns = list(excluded.columns) + [c for c in SKIPPED_COLUMNS if c not in excluded.columns]
    return pd.DataFrame(excluded.astype(object).to_dict("records") + list(skipped), columns=columns, dtype=object)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _links_to_folder(entry: os.DirEntry) -> bool:
    """Whether a dangling link's target looks like a folder (a link to a missing folder loses its PDFs too)."""
    target = os.readlink(entry.path)
    return target.endswith("/") or not os.path.splitext(target)[1]


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["id_note"] = out["id_note"].fillna("")
    out["conflict"] = out["conflict"].fillna("")
    return out.astype({"year": "Int64", "revision": "int64", "bytes": "int64", "ann_id": "object",
                       "id_source": "object"})


def _identify_one(args: tuple) -> dict:
    root, rel, max_pages, backend = args
    return identify_pdf(Path(root) / rel, max_pages=max_pages, backend=backend)


def _read_pages(root: Path, rels: list[str], jobs: int, scheduler: str | None, max_pages: int, backend: str,
                cache: str | Path | None) -> pd.DataFrame:
    """:func:`smtext.text.identity.identify_pdf` of each file, in order (cached by content when asked)."""
    from ..engine import parallel_map, redo_when, run_batches
    from .pdf import TRANSIENT

    items = [(str(root), rel, max_pages, backend) for rel in rels]
    if cache is None:
        return pd.DataFrame(parallel_map(_identify_one, items, jobs=jobs, scheduler=scheduler,
                                         description="identifying"))
    from ..manifest import file_hashes

    cache = Path(cache)
    hashes = file_hashes(root, rels, cache=cache / "sha256.parquet")
    keys = [f"{h}:{IDENTITY_VERSION}:{max_pages}:{backend}" for h in hashes]
    # a timeout or an unreadable file may not recur: such parts are read again next run
    return run_batches(_identify_one, items, cache / "parts", batch_size=256, jobs=jobs, scheduler=scheduler,
                       description="identifying", keys=keys, redo=redo_when("cover_status", TRANSIENT.__contains__))


def _cover_code(rec: dict, firms: FirmTable | None) -> tuple[str | None, str]:
    """The stock code a report's pages give (``(code, note)``): a labelled code, else its names in the firm table."""
    codes = [c for c in (rec.get("cover_codes") or "").split(",") if c]
    if codes:
        if firms is None:
            return codes[0], ""
        known = [c for c in codes if c in firms]
        return (known[0], "") if known else (codes[0], f"cover_code_not_in_firm_table: {codes[0]}")
    if firms is None:
        return None, "cover_without_code"
    ambiguous = ""
    for field, lookup in (("cover_short_names", firms.lookup_short), ("cover_full_names", firms.lookup_full)):
        for name in [n for n in (rec.get(field) or "").split(",") if n]:
            hit = lookup(name)
            if hit.unique:
                return hit.unique, f"cover_{hit.how}: {name}"
            if hit.codes and not ambiguous:
                ambiguous = f"cover_ambiguous_name: {name} ({', '.join(hit.codes)})"
    return None, ambiguous or "cover_without_code"


def _combine(row: dict, rec: dict, firms: FirmTable | None) -> dict:
    """A manifest row updated with what its pages say (``rec``): filled-in identity, conflicts, notes."""
    out = dict(row)
    notes = [row["id_note"]] if row["id_note"] else []
    identified = pd.notna(row["stkcd"]) and pd.notna(row["year"])
    if rec["cover_status"] != "ok":
        if not identified:
            notes.append(f"cover_unreadable: {rec['cover_status']}")
        out["id_note"] = "; ".join(notes)
        return out
    code, code_note = _cover_code(rec, firms)
    year = rec["cover_year"] if pd.notna(rec["cover_year"]) else None
    year = int(year) if year is not None else None
    ctype = rec["cover_doc_type"]
    conflicts, from_cover = [], False
    all_codes = set((rec.get("cover_codes") or "").split(","))
    if pd.notna(row["stkcd"]) and code and row["stkcd"] != code and row["stkcd"] not in all_codes:
        conflicts.append(f"stkcd: name {row['stkcd']}, cover {code}")
    if pd.notna(row["year"]) and year is not None and int(row["year"]) != year:
        conflicts.append(f"year: name {int(row['year'])}, cover {year}")
    if row["doc_type"] in _TYPED and ctype in _TYPED and row["doc_type"] != ctype:
        conflicts.append(f"doc_type: name {row['doc_type']}, cover {ctype}")
    if row["doc_type"] == "other" and ctype != "other":
        out["doc_type"] = ctype
        notes.append(f"doc_type_from_cover: {ctype}")
    if rec["cover_revision"] and not row["revision"]:
        out["revision"] = 1
        notes.append("revision_from_cover")
    if pd.isna(row["stkcd"]) and code:
        out["stkcd"], from_cover = code, True
    if pd.isna(row["year"]) and year is not None:
        out["year"], from_cover = year, True
    if pd.notna(out["stkcd"]) and pd.notna(out["year"]):
        if from_cover:
            out["id_source"] = "cover"
            notes.append(f"cover: {rec['cover_evidence']}" + (f"; {code_note}" if code_note else ""))
            if firms is not None and out["stkcd"] in firms:
                out["firm"] = firms.short_names[out["stkcd"]] or out["firm"]
            elif pd.isna(out["firm"]) and rec.get("cover_short_names"):
                out["firm"] = rec["cover_short_names"].split(",")[0]
    else:
        notes.append(code_note if pd.isna(out["stkcd"]) else "cover_without_year")
    out["id_note"] = "; ".join(n for n in notes if n)
    out["conflict"] = "; ".join(conflicts)
    return out


def identify_documents(manifest: pd.DataFrame, root: str | Path, firms=None, documents: str = "all", *,
                       jobs: int = 1, scheduler: str | None = None, max_pages: int = 15, backend: str = "pdfium",
                       cache: str | Path | None = None) -> pd.DataFrame:
    """Identify documents from their own first pages; check the identity their names give.

    Parameters
    ----------
    manifest : DataFrame
        Rows of :func:`scan` or :func:`read_manifest`.
    root : str or Path
        Folder the ``path`` column is relative to.
    firms : DataFrame, path or FirmTable, optional
        Resolves the short and full names a report states when it states no code, and
        prefers, among several codes, the one the table knows.
    documents : {"all", "missing"}
        Read every document of the annual-report family (annual reports, summaries, English
        versions, semi-annual and quarterly reports, and files whose name gives no type), or
        only those without a stock code, year or type. Analyst and government reports are not read.
    jobs, scheduler, max_pages, backend, cache
        As in :func:`scan`.

    Returns
    -------
    DataFrame
        ``manifest`` with missing ``stkcd`` / ``year`` / ``doc_type`` / ``revision`` filled
        in from the pages (``id_source = "cover"``, the evidence in ``id_note``), ``conflict``
        where the name and the pages disagree (the name's identity is kept), and the
        ``cover_*`` columns (``cover_status`` is "" for documents not read, else "ok" or the
        extractor's reason code).

    Warns
    -----
    SMWarning
        SM112 for conflicts, SM115 for documents identified from their pages.
    """
    from ..errors import check_option

    check_option("documents", documents, ("all", "missing"))
    table = load_firms(firms)
    m = manifest.reset_index(drop=True).copy()
    for col in ("ann_id", "id_source"):
        if col not in m:
            m[col] = None
    for col in ("id_note", "conflict"):
        m[col] = m[col].fillna("") if col in m else ""
    m["id_source"] = m["id_source"].astype("object")
    # reports of the annual-report family, and files whose name gives no type; analyst reports and
    # government work reports state no filer identity on their covers
    todo = m["doc_type"].isin(_TYPED + ("other",))
    if documents == "missing":
        todo &= m["stkcd"].isna() | m["year"].isna() | (m["doc_type"] == "other")
    todo = m.index[todo]
    recs = _read_pages(Path(root), m.loc[todo, "path"].tolist(), jobs, scheduler, max_pages, backend, cache)
    rows = m.to_dict("records")
    for i, rec in zip(todo, recs.to_dict("records")):
        rows[i] = {**_combine(rows[i], rec, table), **{f"cover_{k}": rec[f"cover_{k}"] for k in
                                                         ("status", "stkcd", "year", "doc_type", "evidence")}}
    out = pd.DataFrame(rows, columns=list(m.columns) + [c for c in COVER_COLUMNS if c not in m.columns])
    out["cover_status"] = out["cover_status"].fillna("")
    out = out.astype({"year": "Int64", "cover_year": "Int64", "revision": "int64"})
    conflicts = out[out["conflict"] != ""]
    if len(conflicts):
        examples = "; ".join(f"{p} ({c})" for p, c in zip(conflicts["path"][:3], conflicts["conflict"][:3]))
        warn("SM112", f"{len(conflicts)} document(s): the file name and the report's own pages disagree, e.g. "
                      f"{examples}. The name's identity is kept.",
             "check those files (conflict column of the manifest / documents.parquet) and rename the misnamed ones.")
    guessed = int((out["id_source"] == "cover").sum() - (m["id_source"] == "cover").sum())
    if guessed > 0:
        warn("SM115", f"{guessed} document(s) were identified from their own first pages (id_source 'cover'; "
                      "the evidence is in id_note).",
             "nothing to do if they are right; name files CODE_YEAR_SHORTNAME_TITLE.pdf to identify them by name.")
    return out


def identity_counts(manifest: pd.DataFrame) -> dict:
    """How the documents of a manifest were identified: counts by ``id_source``, conflicts, unidentified."""
    if "id_source" not in manifest:
        return {}
    source = manifest["id_source"].fillna("unidentified")
    out = {"by_source": {k: int(v) for k, v in source.value_counts().sort_index().items()},
           "conflicts": int((manifest["conflict"].fillna("") != "").sum())}
    if "cover_status" in manifest:
        read = manifest["cover_status"].fillna("")
        out["pages_read"] = int((read != "").sum())
        out["pages_unreadable"] = {k: int(v) for k, v in read[(read != "") & (read != "ok")].value_counts().items()}
    return out


def read_manifest(path: str | Path, root: str | Path | None = None, firms=None, identify: bool | str = False, *,
                  jobs: int = 1, scheduler: str | None = None, max_pages: int = 15, backend: str = "pdfium",
                  cache: str | Path | None = None) -> pd.DataFrame:
    """A user's CSV manifest in the layout :func:`scan` returns.

    Parameters
    ----------
    path : str or Path
        The CSV. It needs a ``path`` column; ``stkcd``, ``year``, ``firm``,
        ``doc_type`` and ``revision`` are optional and filled from the file name
        where missing (a given ``stkcd`` makes ``id_source`` ``"manifest"``).
    root : str or Path, optional
        Folder the paths are relative to (default: the CSV's folder).
    firms, identify, jobs, scheduler, max_pages, backend, cache
        As in :func:`scan`.

    Returns
    -------
    DataFrame
        Same columns as :func:`scan`.

    Raises
    ------
    SMError
        SM001 without a ``path`` column; SM106 when listed files do not exist.
    """
    from ..errors import SMError, require_columns

    path = Path(path)
    root = Path(root) if root is not None else path.parent
    table = load_firms(firms)
    given = pd.read_csv(path, dtype={"stkcd": str}, encoding="utf-8-sig")
    require_columns(given, ["path"], f"manifest {path.name}")
    missing = [p for p in given["path"] if not (root / p).is_file()]
    if missing:
        raise SMError("SM106", f"{len(missing)} files of the manifest do not exist under {root}, e.g. {missing[:3]}.",
                      "fix the paths (relative to the manifest's folder or --root).")
    rows = []
    for rec in given.to_dict("records"):
        parsed = parse_filename(rec["path"], table)
        row = _name_row(rec["path"], parsed, (root / rec["path"]).stat().st_size)
        stkcd = _given(rec, "stkcd", None)
        year = _given(rec, "year", None)
        row.update({
            "stkcd": str(stkcd).zfill(6) if stkcd is not None else parsed.stkcd,
            "year": int(year) if year is not None else parsed.year,
            "firm": _given(rec, "firm", parsed.firm),
            "doc_type": _given(rec, "doc_type", parsed.doc_type),
            "revision": int(_given(rec, "revision", parsed.revision)),
        })
        if row["stkcd"] is None or row["year"] is None:
            row["id_source"] = None
        elif stkcd is not None or (year is not None and parsed.year is None):
            row["id_source"], row["id_note"] = "manifest", ""
        else:
            row["id_source"] = parsed.source
        rows.append(row)
    found = _frame(rows)
    if identify and not found.empty:
        found = identify_documents(found, root, table, "all" if identify is True else identify, jobs=jobs,
                                   scheduler=scheduler, max_pages=max_pages, backend=backend, cache=cache)
    return found


def _given(rec: dict, key: str, default):
    value = rec.get(key)
    return default if value is None or (isinstance(value, float) and pd.isna(value)) else value


def select(manifest: pd.DataFrame, doc_types=("annual_report",),
           per_firm_year: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the documents of the wanted types (by default one per firm-year); report what was excluded and why.

    Parameters
    ----------
    manifest : DataFrame
        Rows of :func:`scan`, :func:`identify_documents` or :func:`read_manifest`.
    doc_types : sequence of str
        Document types to keep (see :func:`doc_type_of`); summaries, English
        versions, announcements and cancelled filings are excluded by default.
    per_firm_year : bool
        Keep one document per firm-year and type and exclude documents without a
        stock code or year. ``False`` keeps every document of the wanted types in
        manifest order: analyst reports come several per firm-year, and government
        work reports have no stock code.

    Returns
    -------
    kept : DataFrame
        The manifest rows to process (``year`` as int64 when every kept name has one).
    excluded : DataFrame
        The other rows with a ``reason`` column:

        - ``unidentified``: no stock code or year from the name, the firm table or the
          pages (``id_note`` says why; ``unparsed_name`` for a manifest without the
          identity columns), unless the type is known and unwanted;
        - ``doc_type:<type>``;
        - ``superseded_by_revision``: an amended filing (更正/修订/更新) of the firm-year was kept;
        - ``superseded_by_later_filing``: same revision, the later cninfo announcement id
          (else the later path) was kept (SM116);
        - ``duplicate_file``: the same bytes as the kept document of the firm-year (a copy
          under another name; needs a ``sha256`` column, as :func:`smtext.text.extract.extract_folder` adds).

    Warns
    -----
    SMWarning
        SM113 for documents excluded as unidentified, SM116 for firm-years chosen by
        announcement id or path.
    """
    m = manifest.copy()
    m["reason"] = ""
    if per_firm_year:
        unknown = m["stkcd"].isna() | m["year"].isna()
        if "id_source" in m:
            # a summary or an English version is excluded for its type even when its firm is unknown
            unwanted = ~m["doc_type"].isin(list(doc_types) + ["other"])
            m.loc[unknown & ~unwanted, "reason"] = "unidentified"
        else:
            m.loc[unknown, "reason"] = "unparsed_name"
    wrong = (m["reason"] == "") & ~m["doc_type"].isin(doc_types)
    m.loc[wrong, "reason"] = "doc_type:" + m.loc[wrong, "doc_type"]
    if per_firm_year:
        cand = m[m["reason"] == ""].assign(
            _ann=pd.to_numeric(m["ann_id"], errors="coerce") if "ann_id" in m else float("nan"))
        cand = cand.sort_values(["stkcd", "year", "doc_type", "revision", "_ann", "path"], na_position="first")
        latest = cand.groupby(["stkcd", "year", "doc_type"]).tail(1)
        kept_rev = cand.merge(latest[["stkcd", "year", "doc_type", "revision"]], on=["stkcd", "year", "doc_type"],
                              how="left", suffixes=("", "_kept"))["revision_kept"].to_numpy()
        cand = cand.assign(_kept_rev=kept_rev)
        if "sha256" in cand:
            cand = cand.assign(_kept_sha=cand.merge(latest[["stkcd", "year", "doc_type", "sha256"]],
                                                    on=["stkcd", "year", "doc_type"], how="left",
                                                    suffixes=("", "_kept"))["sha256_kept"].to_numpy())
            same = cand["sha256"].notna() & (cand["sha256"] == cand["_kept_sha"])
        else:
            same = pd.Series(False, index=cand.index)
        losers = cand.drop(index=latest.index)
        # a copy of the kept file under another name is neither a revision nor a later filing
        m.loc[losers.index, "reason"] = ["duplicate_file" if d else
                                         "superseded_by_revision" if r < k else "superseded_by_later_filing"
                                         for r, k, d in zip(losers["revision"], losers["_kept_rev"],
                                                            same[losers.index])]
        later = losers[(losers["revision"] >= losers["_kept_rev"]) & ~same[losers.index]]
        if len(later):
            warn("SM116", f"{len(later)} document(s) share a firm-year and type with another of the same revision "
                          f"(no 更正/修订 marker), e.g. {later['path'].iloc[0]}; the latest cninfo announcement id "
                          "(else the last path) was kept.",
                 "check those firm-years (reason superseded_by_later_filing in the exclusions); rename amended "
                 "filings with （更正后） to make the choice explicit.")
    kept = m[m["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    if kept["year"].notna().all():  # always so for per_firm_year: an identified document has a year
        kept["year"] = kept["year"].astype("int64")
    excluded = m[m["reason"] != ""].reset_index(drop=True)
    lost = excluded[excluded["reason"] == "unidentified"]
    if len(lost):
        why = Counter(_why(n) for n in lost.get("id_note", pd.Series([""] * len(lost))).fillna(""))
        warn("SM113", f"{len(lost)} document(s) could not be identified (no stock code or year from the name, the "
                      f"firm table or their pages) and are excluded: {dict(why.most_common())}, e.g. "
                      f"{lost['path'].iloc[0]}.",
             "pass a firm table with short and former names (--firms), let smtext read their first pages "
             "(identify), or rename them CODE_YEAR_SHORTNAME_TITLE.pdf; see id_note in excluded.csv.")
    return kept, excluded


def duplicate_content(kept: pd.DataFrame) -> list[list[str]]:
    """Groups of kept documents with identical bytes (``sha256``) under different firm-years, warned as SM120.

    One firm's report filed under another firm's code (or year) is counted twice; which
    copy is right the bytes cannot say, so both are kept and the pairs are reported.

    Parameters
    ----------
    kept : DataFrame
        Kept rows of :func:`select` with ``path``, ``stkcd``, ``year`` and ``sha256``.

    Returns
    -------
    list of list of str
        The paths of each group, in path order (empty when no bytes repeat).
    """
    if "sha256" not in kept or kept.empty:
        return []
    has = kept[kept["sha256"].notna()]
    groups = [sorted(g["path"]) for _, g in has.groupby("sha256", sort=True) if len(g) > 1]
    groups.sort()
    if groups:
        label = dict(zip(kept["path"], kept["stkcd"].astype(str) + " " + kept["year"].astype(str)))
        example = " = ".join(f"{p} ({label[p]})" for p in groups[0])
        warn("SM120", f"{sum(map(len, groups))} kept documents in {len(groups)} group(s) have identical bytes under "
                      f"different firm-years, e.g. {example}; each is counted.",
             "check which firm-year each copy belongs to and delete or rename the wrong one "
             "(manifest.json lists the groups under duplicate_content).")
    return groups


def _why(note: str) -> str:
    """The last step that failed, from an ``id_note`` (``a: x; cover_unreadable: SM101`` -> ``cover_unreadable``)."""
    last = [n for n in note.split("; ") if n][-1:] or ["unknown"]
    return last[0].split(":")[0]
