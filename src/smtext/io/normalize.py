"""Normalisation of a source table: stock codes, report periods, statement types, units, numbers, keys.

Each function takes a column (or a table), returns the normalised values and the counts of
what it changed or dropped, so that :func:`smtext.io.read_panel` can put every step in its
report. Nothing is guessed: a value that fits no rule is reported (and its row dropped
where the row cannot be keyed without it), never coerced into something plausible.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import SMError, warn

__all__ = ["normalize_stkcd", "parse_periods", "select_statement", "unit_factor", "to_number",
           "check_unique", "MONEY_UNITS", "PERCENT_UNITS", "DIMENSIONLESS"]

# --- stock codes -------------------------------------------------------------------------------

_PLAIN = re.compile(r"^(\d{1,6})(?:\.0+)?$")                               # 37, 000037, 37.0
_EXCH = re.compile(r"^(?:(?:SZ|SH|BJ)\.?(\d{6})|(\d{6})\.(?:SZ|SH|BJ|SS|SZE|SHE))$")   # SZ000037, 000037.SZ


def normalize_stkcd(values: pd.Series) -> tuple[pd.Series, dict]:
    """Stock codes to 6-digit strings.

    ``37``, ``37.0``, ``"000037"``, ``" 000037 "``, ``"000037.SZ"``, ``"SZ000037"`` and
    ``"sz000037"`` all become ``"000037"``. Anything else (``"00700.HK"``, ``"abc"``,
    ``1234567``, a missing value) becomes missing and is counted, never guessed.

    Parameters
    ----------
    values : pandas.Series
        Codes as read (numbers or text).

    Returns
    -------
    codes : pandas.Series
        6-digit codes (dtype ``str``; missing where the value was malformed).
    counts : dict
        ``codes_changed`` (values whose text changed), ``codes_invalid`` and up to ten
        ``invalid_code_examples``.
    """
    # each distinct value is read once (a panel repeats every code once per year)
    keys, uniq = pd.factorize(values, use_na_sentinel=True)
    u_codes, u_raw = _codes_of(pd.Series(uniq, dtype=values.dtype if len(uniq) else object))
    take = np.where(keys >= 0, keys, len(uniq))
    codes_all = pd.concat([u_codes, pd.Series([pd.NA], dtype="string")], ignore_index=True)
    out = pd.Series(codes_all.to_numpy()[take], index=values.index, dtype="string")
    bad_u = np.append(u_codes.isna().to_numpy(), True)
    changed_u = np.append((u_codes.notna() & (u_codes != u_raw)).fillna(False).to_numpy(bool), False)
    bad = bad_u[take]
    examples = sorted({str(v) for v in np.asarray(uniq, dtype=object)[u_codes.isna().to_numpy()][:1000]})[:10]
    if (keys < 0).any():
        examples = (examples + ["<missing>"])[:10]
    counts = {"codes_changed": int(changed_u[take].sum()), "codes_invalid": int(bad.sum()),
              "invalid_code_examples": examples}
    return out.astype("str"), counts


def _codes_of(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """6-digit codes of distinct values (missing where malformed), and the values as text."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        f = pd.to_numeric(values, errors="coerce").astype(float)
        ok = f.notna() & (f == np.floor(f)) & (f >= 0) & (f < 1e6)
        out = pd.Series(pd.NA, index=values.index, dtype="string")
        out[ok] = f[ok].astype(np.int64).astype(str).str.zfill(6)
        return out, values.astype("string")
    raw = values.astype("string")
    t = raw.str.strip().str.upper()
    plain = t.str.extract(_PLAIN, expand=False)
    exch = t.str.extract(_EXCH)
    return plain.str.zfill(6).fillna(exch[0]).fillna(exch[1]).astype("string"), raw


# --- report periods ----------------------------------------------------------------------------

# (pattern, how to read it); each yields year and optionally month/day
_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\.0+)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$"),
]
_YEAR_ONLY = re.compile(r"^(?P<y>\d{4})(?:\.0+)?\s*(?:年|年度|年报|年度报告|年年报|A)?$")
_REPORT = re.compile(r"^(?P<y>\d{4})\s*年?\s*(?P<r>中报|半年报|半年度报告|中期报告|一季报|第一季度报告|三季报|第三季度报告)$")
_REPORT_MD = {"中报": (6, 30), "半年报": (6, 30), "半年度报告": (6, 30), "中期报告": (6, 30),
              "一季报": (3, 31), "第一季度报告": (3, 31), "三季报": (9, 30), "第三季度报告": (9, 30)}


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """Report periods as they appear in exports -> year, month and day (see :func:`_periods_of`).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``month``, ``day`` (nullable integers, missing where the value could not
        be read) and ``period`` (``YYYY-MM-DD`` text, or ``None``), aligned to ``values``.
    """
    keys, uniq = pd.factorize(values, use_na_sentinel=True)   # each distinct date is read once
    u = _periods_of(pd.Series(uniq, dtype=values.dtype if len(uniq) else object))
    u = pd.concat([u, pd.DataFrame({"year": pd.array([pd.NA], dtype="Int64"), "month": pd.array([pd.NA], dtype="Int64"),
                                    "day": pd.array([pd.NA], dtype="Int64"), "period": [None]})], ignore_index=True)
    out = u.iloc[np.where(keys >= 0, keys, len(uniq))].reset_index(drop=True)
    out.index = values.index
    return out


def _periods_of(values: pd.Series) -> pd.DataFrame:
    """Report periods as they appear in exports -> year, month and day.

    Reads ``2019-12-31`` (also with ``/`` or ``.``, or a time after it), ``20191231``,
    ``2019年12月31日``, Excel and Stata dates, ``2019``, ``2019.0``, ``2019年``, ``2019年报``,
    ``2019年度``, and Wind's ``2019中报`` / ``2019一季报`` / ``2019三季报``. A bare year means
    the fiscal year (month 12, day 31).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``month``, ``day`` (nullable integers, missing where the value could not
        be read) and ``period`` (``YYYY-MM-DD`` text, or ``None``), aligned to ``values``.
    """
    n = len(values)
    y = np.full(n, -1, np.int64)
    m = np.full(n, -1, np.int64)
    d = np.full(n, -1, np.int64)
    if pd.api.types.is_datetime64_any_dtype(values):
        ok = values.notna().to_numpy()
        y[ok], m[ok], d[ok] = values[ok].dt.year, values[ok].dt.month, values[ok].dt.day
    else:
        if pd.api.types.is_numeric_dtype(values):
            f = pd.to_numeric(values, errors="coerce")
            text = f.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
        else:
            text = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        text = text.astype("string").str.strip()
        todo = np.ones(n, bool)
        for pat in _DATE_PATTERNS:
            g = text[todo].str.extract(pat)
            hit = g["y"].notna().to_numpy()
            idx = np.flatnonzero(todo)[hit]
            y[idx], m[idx], d[idx] = (g.loc[hit, k].astype(int).to_numpy() for k in ("y", "m", "d"))
            todo[idx] = False
        g = text[todo].str.extract(_YEAR_ONLY)
        hit = g["y"].notna().to_numpy()
        idx = np.flatnonzero(todo)[hit]
        y[idx], m[idx], d[idx] = g.loc[hit, "y"].astype(int).to_numpy(), 12, 31
        todo[idx] = False
        g = text[todo].str.extract(_REPORT)
        hit = g["y"].notna().to_numpy()
        idx = np.flatnonzero(todo)[hit]
        y[idx] = g.loc[hit, "y"].astype(int).to_numpy()
        md = [_REPORT_MD[r] for r in g.loc[hit, "r"]]
        m[idx] = [a for a, _ in md]
        d[idx] = [b for _, b in md]
    valid = (y >= 1900) & (y <= 2100) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    out = pd.DataFrame({"year": pd.array(np.where(valid, y, 0), dtype="Int64"),
                        "month": pd.array(np.where(valid, m, 0), dtype="Int64"),
                        "day": pd.array(np.where(valid, d, 0), dtype="Int64")}, index=values.index)
    out.loc[~valid, ["year", "month", "day"]] = pd.NA
    period = pd.Series(None, index=values.index, dtype=object)
    period[valid] = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y[valid], m[valid], d[valid])]
    out["period"] = period
    return out


# --- statement type ----------------------------------------------------------------------------

_CONSOLIDATED = {"A", "合并", "合并报表", "合并报表(调整)", "1", "CONSOLIDATED"}
_PARENT = {"B", "母公司", "母公司报表", "母公司报表(调整)", "2", "PARENT"}


def select_statement(values: pd.Series, statement: str | None) -> tuple[np.ndarray, dict]:
    """Rows to keep for the statement type asked for (CSMAR ``Typrep``: A = 合并, B = 母公司).

    Parameters
    ----------
    values : pandas.Series
        The statement-type column.
    statement : {"consolidated", "parent"} or None
        Which statements to keep. ``None`` keeps all rows, and then raises SM023 when both
        consolidated and parent rows are present (a firm-year would appear twice).

    Returns
    -------
    keep : numpy.ndarray of bool
    counts : dict
        ``statement``, rows kept, ``parent_rows_dropped``, ``consolidated_rows_dropped`` and
        ``other_statement_rows_dropped`` (by value).
    """
    t = values.astype("string").str.strip().str.upper().fillna("")
    is_c = t.isin({s.upper() for s in _CONSOLIDATED}).to_numpy()
    is_p = t.isin({s.upper() for s in _PARENT}).to_numpy()
    other = ~(is_c | is_p)
    others = t[other].value_counts().head(10).to_dict()
    if statement is None:
        if is_c.any() and is_p.any():
            raise SMError("SM023", f"the table holds both consolidated (合并, {int(is_c.sum())} rows) and parent-company "
                                   f"(母公司, {int(is_p.sum())} rows) statements, so each firm-year would appear twice.",
                          "pass statement='consolidated' (the papers' choice) or statement='parent'.")
        keep = np.ones(len(t), bool)
    elif statement == "consolidated":
        keep = is_c
    elif statement == "parent":
        keep = is_p
    else:
        raise SMError("SM023", f"statement={statement!r} is not allowed.", "use 'consolidated', 'parent' or None.")
    counts = {"statement": statement,
              "parent_rows_dropped": int((is_p & ~keep).sum()),
              "consolidated_rows_dropped": int((is_c & ~keep).sum()),
              "other_statement_rows_dropped": {str(k): int(v) for k, v in others.items()} if statement else {}}
    return keep, counts


# --- units -------------------------------------------------------------------------------------

MONEY_UNITS = {"元": 1.0, "人民币元": 1.0, "YUAN": 1.0, "CNY": 1.0, "RMB": 1.0, "千元": 1e3, "万元": 1e4,
               "十万元": 1e5, "百万元": 1e6, "千万元": 1e7, "亿元": 1e8, "十亿元": 1e9,
               "10K_YUAN": 1e4, "THOUSAND_YUAN": 1e3, "MILLION_YUAN": 1e6, "100M_YUAN": 1e8}
PERCENT_UNITS = {"%": 0.01, "百分比": 0.01, "百分比%": 0.01, "PERCENT": 0.01, "‰": 0.001}
DIMENSIONLESS = {"", "没有单位", "无", "无单位", "NONE", "比率", "比例", "倍", "RATIO", "SHARE", "FRACTION"}
_COUNT_UNITS = {"人": 1.0, "个": 1.0, "名": 1.0, "位": 1.0, "家": 1.0, "件": 1.0, "项": 1.0, "次": 1.0,
                "PERSONS": 1.0, "COUNT": 1.0, "万人": 1e4, "千人": 1e3}
_OTHER_UNITS = {"年", "日", "天", "月", "股", "元/股", "YEAR", "DATE", "CODE", "TEXT", "FLAG", "RATING", "级"}


def clean_unit(unit) -> str:
    """Unit text as written in a units row or a header: ``(万元)``, ``单位：万元``, ``人民币 万元`` -> ``万元``."""
    if unit is None or (isinstance(unit, float) and np.isnan(unit)):
        return ""
    u = str(unit).strip().upper()
    u = re.sub(r"^(?:单位[:：]?|UNIT[:：]?)", "", u).strip()
    u = u.strip("()（）[]【】 ")
    u = re.sub(r"^人民币\s*(?=[十百千万亿])", "", u)
    return u.replace(" ", "")


def unit_factor(unit, canonical_unit: str, column: str) -> tuple[float, str | None]:
    """Factor that turns values in ``unit`` into ``canonical_unit``, and a note when a unit was assumed.

    ``yuan`` columns accept 元/千元/万元/百万元/亿元 (and 千元-style variants); ``share``
    columns accept ``%`` (x 0.01) or a fraction; ``persons`` accept 人 or 万人. A missing or
    dimensionless unit ("没有单位") means the values are already in the canonical unit
    (noted). An unknown unit raises SM024: scaling by a guess would change every number.
    """
    u = clean_unit(unit)
    if canonical_unit == "yuan":
        if u in MONEY_UNITS:
            return MONEY_UNITS[u], None
        if u in DIMENSIONLESS:
            return 1.0, f"{column}: no unit given, taken as 元"
    elif canonical_unit in ("share", "ratio"):
        if u in PERCENT_UNITS:
            return PERCENT_UNITS[u], None
        if u in DIMENSIONLESS:
            return 1.0, None
    elif canonical_unit == "persons":
        if u in _COUNT_UNITS:
            return _COUNT_UNITS[u], None
        if u in DIMENSIONLESS:
            return 1.0, None
    else:
        if u in DIMENSIONLESS or u in _OTHER_UNITS or u in _COUNT_UNITS:
            return 1.0, None
    raise SMError("SM024", f"column {column!r} is in unit {unit!r}, which smtext cannot convert to {canonical_unit}.",
                  "convert the column yourself, or give its unit in the column map as one of "
                  "元/千元/万元/百万元/亿元 (money), % (shares) or 人 (persons).")


# --- numbers -----------------------------------------------------------------------------------

_MISSING_TEXT = {"", "-", "--", "—", "NA", "N/A", "NAN", "NULL", "NONE", "#N/A", "."}


def to_number(values: pd.Series) -> tuple[pd.Series, int, list]:
    """Numbers from a column as read; thousands separators removed; missing markers ("--", "NA") kept missing.

    Returns the float Series, the count of non-missing values that are not numbers (set
    missing) and up to five of them.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), 0, []
    t = values.astype("string").str.strip()
    missing = t.isna() | t.str.upper().isin(_MISSING_TEXT)
    num = pd.to_numeric(t.str.replace(",", "", regex=False).where(~missing), errors="coerce")
    bad = num.isna() & ~missing
    return num.astype(float), int(bad.sum()), t[bad].head(5).tolist()


# --- keys --------------------------------------------------------------------------------------

def check_unique(data: pd.DataFrame, keys: list[str], what: str, keep_first: bool = False) -> pd.DataFrame:
    """SM401 listing the repeated keys (up to ten) when ``keys`` do not identify rows.

    Raised as an error; with ``keep_first`` a warning, and the first row of each key is kept
    (returned data; the number dropped is ``len(data) - len(returned)``).
    """
    if not keys:
        return data
    dup = data.duplicated(keys, keep=False)
    if not dup.any():
        return data
    groups = data.loc[dup].groupby(keys, dropna=False).size().sort_values(ascending=False)
    shown = "; ".join(f"{k if isinstance(k, tuple) else (k,)} x{n}" for k, n in groups.head(10).items())
    message = f"{len(groups)} {tuple(keys)} keys repeat in {what} ({int(dup.sum())} rows): {shown}"
    if keep_first:
        later = data.duplicated(keys, keep="first")
        warn("SM401", f"{message}; the first row of each was kept, {int(later.sum())} dropped.",
             "check the dropped rows (a restated report, a B-share line) if the first is not the one you want.")
        return data[~later].reset_index(drop=True)
    raise SMError("SM401", message + ".",
                  "drop or aggregate the repeated rows (a restated report, a B-share line, both statement "
                  "types), or read with statement='consolidated' and annual=True.")


def report_drop(code: str, what: str, n: int, total: int, fix: str | None = None) -> None:
    """Coded warning for rows dropped (the report keeps the counts)."""
    if n:
        warn(code, f"{n:,} of {total:,} rows {what}.", fix, stacklevel=3)
