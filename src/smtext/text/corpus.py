"""Find report files and turn their names into a manifest table.

cninfo-style names carry the stock code, year, firm name and document type::

    000001_2019_平安银行_2019年年度报告.pdf
    2020-01-21__公司全称__300617__安靠智电__2019年__年度报告.pdf
    600000_2019_浦发银行_2019年年度报告（更正后）.pdf
    600000_2019_浦发银行_2019年年度报告摘要.pdf
    600000_2019_浦发银行_2019年年度报告（英文版）.pdf

Common variants are read too: ``-`` or spaces as separators, ``SH600000`` /
``600000.SH`` codes, a code glued to the name (``600000浦发银行2019年年度报告``)
and upper-case ``.PDF``.

Summaries, English versions, semi-annual and quarterly reports, announcements
about a report (更正公告) and cancelled filings (已取消) are excluded by default,
and when an amended filing (更正/修订/更新) exists the latest revision is kept;
every exclusion is reported with a reason.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

_CODE = r"(?:S[HZ]|BJ)?(?P<stkcd>\d{6})(?:\.(?:S[HZ]|BJ))?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_SEP = r"(?:__|[_\- ])"
_AMEND = re.compile(r"更正|修订|修正|补充|更新")
_PATTERNS = [
    # 2020-01-21__公司全称__300617__安靠智电__2019年__年度报告.pdf
    re.compile(rf"^(?P<date>\d{{4}}-\d{{2}}-\d{{2}})__(?P<full>[^_]+)__{_CODE}__(?P<name>[^_]+)__{_YEAR}年?__(?P<title>.+)$", re.I),
    # 000001_2019_平安银行_2019年年度报告.pdf (also with - or a space as separator)
    re.compile(rf"^{_CODE}{_SEP}{_YEAR}{_SEP}(?P<name>[^_\- ]+){_SEP}(?P<title>.+)$", re.I),
    # 000001_平安银行_2019年年度报告.pdf
    re.compile(rf"^{_CODE}{_SEP}(?P<name>[^_\- ]+?){_SEP}?{_YEAR}年?(?P<title>.+)$", re.I),
    # 600000浦发银行2019年年度报告.pdf
    re.compile(rf"^{_CODE}(?P<name>[^\d_\- ]+?){_YEAR}年?(?P<title>.+)$", re.I),
    # 平安银行：2019年年度报告.pdf has no code: left unparsed (the year is still read)
]
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class ParsedName:
    """What a file name says about the document."""

    stkcd: str | None
    year: int | None
    firm: str | None
    doc_type: str
    revision: int


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


def parse_filename(name: str) -> ParsedName:
    """Parse one file name (with or without folders and extension).

    Parameters
    ----------
    name : str
        File name such as ``000001_2019_平安银行_2019年年度报告.pdf``.

    Returns
    -------
    ParsedName
        ``revision`` is 1 for an amended filing (更正/修订/修正/补充), else 0.
        Names without a stock code give ``stkcd=None`` (and the first year found, if any).
    """
    stem = Path(name).stem.replace("（", "(").replace("）", ")").strip()
    for pattern in _PATTERNS:
        m = pattern.match(stem)
        if m:
            title = m.group("title")
            return ParsedName(m.group("stkcd"), int(m.group("year")), m.group("name").strip("_- "),
                              doc_type_of(title), int(bool(_AMEND.search(title))))
    year = _ANY_YEAR.search(stem)
    return ParsedName(None, int(year.group(1)) if year else None, None, doc_type_of(stem),
                      int(bool(_AMEND.search(stem))))


def scan(root: str | Path, pattern: str = "*.pdf") -> pd.DataFrame:
    """Every matching file under ``root`` (recursively) with its parsed name.

    Parameters
    ----------
    root : str or Path
        Folder to search.
    pattern : str
        Glob pattern of the file names, matched case-insensitively (``*.pdf``
        also finds ``.PDF``, as cninfo serves them).

    Returns
    -------
    DataFrame
        ``path`` (relative to ``root``), ``stkcd``, ``year`` (Int64), ``firm``,
        ``doc_type``, ``revision``, ``bytes``, sorted by path.
    """
    root = Path(root)
    rows = []
    for path in sorted(p for p in root.rglob("*") if fnmatch.fnmatch(p.name.lower(), pattern.lower())):
        if path.is_file():
            p = parse_filename(path.name)
            rows.append({"path": str(path.relative_to(root)), "stkcd": p.stkcd, "year": p.year, "firm": p.firm,
                         "doc_type": p.doc_type, "revision": p.revision, "bytes": path.stat().st_size})
    return _frame(rows)


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["path", "stkcd", "year", "firm", "doc_type", "revision", "bytes"])
    return out.astype({"year": "Int64", "revision": "int64", "bytes": "int64"})


def read_manifest(path: str | Path, root: str | Path | None = None) -> pd.DataFrame:
    """A user's CSV manifest in the layout :func:`scan` returns.

    Parameters
    ----------
    path : str or Path
        The CSV. It needs a ``path`` column; ``stkcd``, ``year``, ``firm``,
        ``doc_type`` and ``revision`` are optional and filled from the file name
        where missing.
    root : str or Path, optional
        Folder the paths are relative to (default: the CSV's folder).

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
    given = pd.read_csv(path, dtype={"stkcd": str}, encoding="utf-8-sig")
    require_columns(given, ["path"], f"manifest {path.name}")
    missing = [p for p in given["path"] if not (root / p).is_file()]
    if missing:
        raise SMError("SM106", f"{len(missing)} files of the manifest do not exist under {root}, e.g. {missing[:3]}.",
                      "fix the paths (relative to the manifest's folder or --root).")
    rows = []
    for rec in given.to_dict("records"):
        parsed = parse_filename(rec["path"])
        rows.append({
            "path": rec["path"],
            "stkcd": _given(rec, "stkcd", parsed.stkcd),
            "year": int(_given(rec, "year", parsed.year)) if _given(rec, "year", parsed.year) is not None else None,
            "firm": _given(rec, "firm", parsed.firm),
            "doc_type": _given(rec, "doc_type", parsed.doc_type),
            "revision": int(_given(rec, "revision", parsed.revision)),
            "bytes": (root / rec["path"]).stat().st_size,
        })
    return _frame(rows)


def _given(rec: dict, key: str, default):
    value = rec.get(key)
    return default if value is None or (isinstance(value, float) and pd.isna(value)) else value


def select(manifest: pd.DataFrame, doc_types=("annual_report",),
           per_firm_year: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the documents of the wanted types (by default one per firm-year); report what was excluded and why.

    Parameters
    ----------
    manifest : DataFrame
        Rows of :func:`scan` or :func:`read_manifest`.
    doc_types : sequence of str
        Document types to keep (see :func:`doc_type_of`); summaries, English
        versions, announcements and cancelled filings are excluded by default.
    per_firm_year : bool
        Keep one document per firm-year and type (the latest revision) and exclude
        names without a stock code or year. ``False`` keeps every document of the
        wanted types in manifest order: analyst reports come several per firm-year,
        and government work reports have no stock code.

    Returns
    -------
    kept : DataFrame
        The manifest rows to process (``year`` as int64 when every kept name has one).
    excluded : DataFrame
        The other rows with a ``reason`` column: ``unparsed_name``, ``doc_type:<type>`` or
        ``superseded_by_revision`` (an amended filing, or the later path of two copies, was kept).
    """
    m = manifest.copy()
    m["reason"] = ""
    if per_firm_year:
        m.loc[m["stkcd"].isna() | m["year"].isna(), "reason"] = "unparsed_name"
    wrong = (m["reason"] == "") & ~m["doc_type"].isin(doc_types)
    m.loc[wrong, "reason"] = "doc_type:" + m.loc[wrong, "doc_type"]
    if per_firm_year:
        cand = m[m["reason"] == ""].sort_values(["stkcd", "year", "doc_type", "revision", "path"])
        latest = cand.groupby(["stkcd", "year", "doc_type"]).tail(1).index
        m.loc[cand.index.difference(latest), "reason"] = "superseded_by_revision"
    kept = m[m["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    if kept["year"].notna().all():  # always so for per_firm_year: a parsed stock code comes with a year
        kept["year"] = kept["year"].astype("int64")
    excluded = m[m["reason"] != ""].reset_index(drop=True)
    return kept, excluded
