"""Regional IP-protection intensity as paper 002 builds it (Table 9 cols. 6-7).

Paper 002 (s. 5.2.3): "以地区知识产权审判结案数和 GDP 数据，运用显性比较优势指数测算出城市层面知识
产权保护强度，按照年度中位数分为两组". The revealed-comparative-advantage form is

    IPR_ct = (cases_ct / sum_c cases_ct) / (GDP_ct / sum_c GDP_ct)

a city's share of the IP trial cases closed that year over its share of GDP (1 = as many cases
as its economy's size predicts). The sums run over the cities of the table in that year, so the
table should hold every city (the national total), not only the sample's.

The case counts are a published table a user collects (court yearbooks, 中国知识产权年鉴, local
high courts' white papers); smtext does not ship them. Declare them as the ``ipr_cases`` input,
one row per city and year: ``city, year, ipr_cases, gdp`` (GDP in any one unit). The demo world
writes such a table with planted protection levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns, warn


def ipr_rca(table: pd.DataFrame, cases: str = "ipr_cases", gdp: str = "gdp", unit: str = "city",
            time: str = "year") -> pd.DataFrame:
    """IP-protection intensity per region-year, a revealed-comparative-advantage index.

    Parameters
    ----------
    table : DataFrame
        One row per ``unit`` and ``time`` with the closed IP trial cases and GDP.
    cases, gdp, unit, time : str
        Column names.

    Returns
    -------
    DataFrame
        ``unit, time, IPR``. Rows with a missing count or GDP get a missing IPR and are left out
        of the year's totals (SM044 warning with the count).

    Raises
    ------
    SMError
        SM001 for a missing column; SM044 for negative cases, GDP <= 0 or a repeated
        region-year; SM045 for a year in which no case was closed (the index is undefined).
    """
    require_columns(table, [unit, time, cases, gdp], "IPR cases table")
    t = table[[unit, time, cases, gdp]].copy()
    t[cases] = pd.to_numeric(t[cases], errors="coerce")
    t[gdp] = pd.to_numeric(t[gdp], errors="coerce")
    dup = t.duplicated([unit, time])
    if dup.any():
        ex = t.loc[dup, [unit, time]].head(3).values.tolist()
        raise SMError("SM044", f"{int(dup.sum())} {unit}-{time} rows repeat in the IPR cases table (e.g. {ex}).",
                      f"keep one row per {unit} and {time} (sum the courts of a city first).")
    if (t[cases] < 0).any() or (t[gdp] <= 0).any():
        bad = t[(t[cases] < 0) | (t[gdp] <= 0)][[unit, time]].head(3).values.tolist()
        raise SMError("SM044", f"the IPR cases table has negative case counts or GDP <= 0 (e.g. {bad}).",
                      "fix those rows; a city without cases has 0, a city without GDP should be left out.")
    miss = t[cases].isna() | t[gdp].isna()
    if miss.any():
        warn("SM044", f"{int(miss.sum())} {unit}-{time} rows lack the case count or GDP: their IPR is missing and "
                      "they are left out of the year's totals.", "fill them if the source has them.")
    ok = t[~miss]
    tot = ok.groupby(time)[[cases, gdp]].transform("sum")
    zero = sorted(ok.loc[tot[cases].to_numpy() == 0, time].unique().tolist())
    if zero:
        raise SMError("SM045", f"no IP trial case was closed in any {unit} in {zero}: the index is undefined.",
                      "drop those years or check the case counts.")
    share = (ok[cases] / tot[cases]) / (ok[gdp] / tot[gdp])
    t["IPR"] = np.nan
    t.loc[ok.index, "IPR"] = share
    return t[[unit, time, "IPR"]].reset_index(drop=True)


__all__ = ["ipr_rca"]
