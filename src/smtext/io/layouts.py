"""How CSMAR, CNRDS and Wind lay out their exports, and how to read each back to one row per record.

**CSMAR** (国泰安) exports (csv, tab-separated ``.txt``, xlsx) have three header rows: the
field codes (``Stkcd, Accper, Typrep, A001000000``), the Chinese field names (证券代码, 会计期间,
报表类型, 资产总计) and the units (没有单位, 元, ...), then data. Newer downloads may have the
codes row only and ship the names in a field-description file (``FS_Combas[DES][csv].txt``),
one field a line: ``A001000000 [资产总计] - 说明``; pass it as ``description=``.

**CNRDS** exports: our reading of the downloads we could see described is a row of English
field codes (e.g. ``Scode``, ``Year``) and a row of Chinese names, then data, with no units
row. A file laid out like that is read as CNRDS; units then come from the column map.

**Wind** (万得) exports: codes with the exchange (``000001.SZ``), often wide, one column per
indicator and report period, the header holding the indicator name and its parameters
(``营业收入\\n[报告期] 2019年报\\n[报表类型] 合并报表\\n[单位] 元``, or just ``2019-12-31``,
``2020年报``), and a footer line ``数据来源：Wind``. Wide files are turned long here: one
row per code and period, one column per indicator, units taken from the ``[单位]`` parameter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import SMError
from .encoding import decode_text
from .normalize import (
    DIMENSIONLESS,
    MONEY_UNITS,
    PERCENT_UNITS,
    clean_unit,
    parse_periods,
)

__all__ = ["detect_layout", "read_description", "wind_long", "KEY_ALIASES"]

LAYOUTS = ("plain", "csmar", "cnrds", "wind")

#: source column names that are keys in the databases' exports (matched ignoring case)
KEY_ALIASES = {
    "stkcd": ("stkcd", "symbol", "scode", "stockcode", "stock_code", "code", "证券代码", "股票代码", "代码"),
    "period": ("accper", "enddate", "reptdt", "trdynt", "year", "period", "sgnyea", "会计期间", "统计截止日期",
               "截止日期", "报告期", "会计年度", "年份", "年度", "日期"),
    "statement": ("typrep", "报表类型"),
}

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_UNIT_WORDS = ({k.upper() for k in MONEY_UNITS} | set(PERCENT_UNITS) | (DIMENSIONLESS - {""})
               | {"人", "股", "个", "年", "日", "天", "月", "次", "家", "元/股", "万股", "%"})
_WIND_CODE = re.compile(r"^\s*\d{6}\.(?:SZ|SH|BJ)\s*$", re.I)


def _share(cells, test) -> float:
    cells = [c for c in cells if c is not None and str(c).strip() != ""]
    return sum(bool(test(str(c).strip())) for c in cells) / len(cells) if cells else 0.0


def _is_unit(text: str) -> bool:
    return clean_unit(text) in _UNIT_WORDS or text.strip() in _UNIT_WORDS


def _datum(v) -> bool:
    """A cell that is data, never a field name: a number, a date, a stock code."""
    if v is None:
        return False
    if not isinstance(v, str):
        return True
    t = v.strip().replace(",", "")
    try:
        float(t)
        return True
    except ValueError:
        return bool(re.match(r"^\d{4}[-/.年]\d{1,2}", t)) or bool(_WIND_CODE.match(t))


def header_rows(header: list, rows: list[list]) -> int:
    """How many rows after the header are field names or units: 2 (CSMAR), 1 (CNRDS) or 0.

    A names row is mostly Chinese and holds no number, date or code (a data row of a
    firm table with Chinese names has its code); a units row is mostly unit words.
    """
    if not header or _share(header, _IDENT.match) < 0.8:
        return 0
    if len(rows) >= 1 and _share(rows[0], _CJK.search) >= 0.6 and not any(_datum(v) for v in rows[0]):
        if len(rows) >= 2 and _share(rows[1], _is_unit) >= 0.6:
            return 2
        return 1
    return 0


def _period_header(text: str):
    """(indicator, period text, unit, statement) of a Wind header cell, or None when it names no period."""
    s = str(text)
    params = {k.strip(): v.strip() for k, v in re.findall(r"\[([^\]]+)\]\s*([^\[\]\r\n]*)", s)}
    first = re.split(r"[\r\n]+", s.strip())[0]
    first = re.sub(r"\[[^\]]+\][^\[\]]*", "", first).strip()
    period = next((params[k] for k in ("报告期", "交易日期", "截止日期", "年度", "日期", "指定日期") if k in params), None)
    name = first
    if period is None:
        m = re.search(r"(\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}|年报|中报|半年报|一季报|三季报|年度|年)?)\s*[)）]?\s*$", first)
        if not m:
            return None
        cand = m.group(1)
        if parse_periods(pd.Series([cand]))["year"].isna().iloc[0]:
            return None
        if re.fullmatch(r"\d{4}", cand) and first.strip() != cand:
            return None  # "指标2019" is too loose to read as a period; only a bare year counts
        period, name = cand, first[: m.start()].rstrip(" (（_-:：")
    return (name.strip() or "value", period, params.get("单位"), params.get("报表类型"))


def detect_layout(header: list, rows: list[list]) -> str:
    """``csmar``, ``cnrds``, ``wind`` or ``plain`` from the header row and the first rows below it."""
    n = header_rows(header, rows)
    if n == 2:
        return "csmar"
    if n == 1:
        return "cnrds"
    periods = [h for h in header if h is not None and _period_header(h) is not None]
    code_cols = [j for j in range(len(header))
                 if _share([r[j] for r in rows if j < len(r)], _WIND_CODE.match) >= 0.6]
    if periods and code_cols:
        return "wind"
    return "plain"


def read_description(path: str | Path, encoding: str | None = None) -> dict[str, dict]:
    """A CSMAR field-description file (``*[DES][csv].txt``) -> {field: {"label", "unit", "definition"}}.

    Reads lines ``CODE [中文名称] - 说明`` (and ``CODE,中文名称[,单位]`` or tab-separated
    lines). A unit is taken from ``单位：万元`` in the definition or ``(元)`` after the name.

    Raises
    ------
    SMError
        SM010 when the file is missing, SM017 when no line describes a field.
    """
    path = Path(path)
    if not path.is_file():
        raise SMError("SM010", f"description file {path} does not exist.", "pass the [DES] file CSMAR shipped.")
    text, _ = decode_text(path.read_bytes(), encoding, str(path))
    out = {}
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        m = re.match(r"^([A-Za-z][\w]*)\s*[\[【]([^\]】]*)[\]】]\s*(?:[-－:：]\s*(.*))?$", line)
        if m:
            code, label, definition = m.group(1), m.group(2).strip(), (m.group(3) or "").strip()
        else:
            parts = [p.strip() for p in re.split(r"[,\t]", line)]
            if len(parts) < 2 or not _IDENT.match(parts[0]) or not _CJK.search(parts[1]):
                continue
            code, label, definition = parts[0], parts[1], ",".join(parts[2:])
        unit = None
        um = re.search(r"单位[:：]\s*([^\s,，;；。)）]+)", definition) or re.search(r"[(（]([^()（）]+)[)）]\s*$", label)
        if um and (clean_unit(um.group(1)) in _UNIT_WORDS):
            unit = um.group(1)
            label = re.sub(r"\s*[(（][^()（）]+[)）]\s*$", "", label) if um.re.pattern.startswith("[(") else label
        out[code] = {"label": label, "unit": unit, "definition": definition}
    if not out:
        raise SMError("SM017", f"{path} describes no field (no line like 'A001000000 [资产总计] - ...').",
                      "pass the [DES] description file of this table, or leave description out.")
    return out


def wind_long(data: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict, list]:
    """A wide Wind export -> long: one row per (code, period), one column per indicator.

    Columns whose header names no period (证券代码, 证券简称, ...) are kept as keys; the
    others are grouped by their period (and statement type, when the headers carry
    ``[报表类型]``). The period goes into column ``报告期`` as written, the statement type into
    ``报表类型``.

    Returns
    -------
    long : pandas.DataFrame
    units : dict
        indicator -> unit from the ``[单位]`` parameter.
    labels : dict
        indicator -> the header it came from (first one).
    notes : list of str
    """
    parsed = {c: _period_header(c) for c in data.columns}
    keys = [c for c, p in parsed.items() if p is None]
    wide = [c for c, p in parsed.items() if p is not None]
    units, labels, notes, parts = {}, {}, [], []
    groups: dict[tuple, dict[str, str]] = {}
    for c in wide:
        name, period, unit, statement = parsed[c]
        g = groups.setdefault((period, statement), {})
        if name in g:
            raise SMError("SM018", f"two columns of the Wind export give {name!r} for {period}: {g[name]!r} and {c!r}.",
                          "export each indicator once per period, or rename one of the columns.")
        g[name] = c
        labels.setdefault(name, str(c))
        if unit:
            if name in units and clean_unit(units[name]) != clean_unit(unit):
                raise SMError("SM018", f"the Wind export gives {name!r} in both {units[name]!r} and {unit!r}.",
                              "export every period of an indicator in one unit.")
            units[name] = unit
    with_statement = any(s is not None for _, s in groups)
    for (period, statement), cols in groups.items():
        part = data[keys + list(cols.values())].rename(columns={v: k for k, v in cols.items()})
        part.insert(len(keys), "报告期", period)
        if with_statement:
            part.insert(len(keys) + 1, "报表类型", statement)
        parts.append(part)
    long = pd.concat(parts, ignore_index=True, sort=False)
    notes.append(f"wide Wind export: {len(wide)} indicator-period columns -> {len(groups)} periods x "
                 f"{len({n for g in groups.values() for n in g})} indicators ({len(long):,} rows)")
    return long, units, labels, notes
