"""Firm-level mediators and controls of paper 000: ESG rating score and human-capital share."""

from __future__ import annotations

import pandas as pd

from ..errors import require_columns, warn

__all__ = ["ESG_SCALE", "esg_score", "human_capital_share"]

#: Huazheng (华证) ESG grades C ... AAA mapped to 1 ... 9, as paper 000 (s. 3.2(4), after
#: 李成明等 2024): "将 C-AAA 九档评级以 1~9 进行赋值".
ESG_SCALE = {"C": 1, "CC": 2, "CCC": 3, "B": 4, "BB": 5, "BBB": 6, "A": 7, "AA": 8, "AAA": 9}


def esg_score(ratings) -> pd.Series:
    """Map Huazheng ESG grades (C, CC, CCC, B, BB, BBB, A, AA, AAA) to 1-9.

    Parameters
    ----------
    ratings : pandas.Series or sequence of str
        Grades; case and surrounding spaces are ignored. Missing values stay missing.

    Returns
    -------
    pandas.Series
        Float scores 1-9 named ``ESG`` (aligned to the input index for a Series).
        Grades outside the scale become missing and raise one SM460 warning that lists them.
    """
    s = ratings if isinstance(ratings, pd.Series) else pd.Series(list(ratings))
    key = s.astype("string").str.strip().str.upper()
    out = key.map(ESG_SCALE).astype(float)
    unknown = key.notna() & out.isna()
    if unknown.any():
        warn("SM460", f"{int(unknown.sum())} ESG grade(s) are not on the C-AAA scale and get no score: "
                      f"{sorted(key[unknown].unique().tolist())[:10]}.",
             "map other agencies' grades to C-AAA first.")
    return out.rename("ESG")


def human_capital_share(data: pd.DataFrame, *, postgraduates="employees_master",
                        employees: str = "employees") -> pd.Series:
    """Share of employees with a master's degree or above (paper 000, after 宋顺林等 2025).

    ``HC = (sum of the postgraduates columns) / employees``.

    Parameters
    ----------
    postgraduates : str or list of str
        Head counts with a master's degree or above; pass ``["employees_master",
        "employees_phd"]`` when doctorates are reported separately.
    employees : str
        Total employees.

    Returns
    -------
    pandas.Series
        ``HC`` in [0, 1]; missing where employees are not positive or a count is missing.
        Shares above 1 (data errors) are set missing with an SM461 warning.
    """
    cols = [postgraduates] if isinstance(postgraduates, str) else list(postgraduates)
    require_columns(data, cols + [employees], "panel")
    num = data[cols].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(cols))
    den = pd.to_numeric(data[employees], errors="coerce")
    hc = num / den.where(den > 0)
    bad = hc > 1
    if bad.any():
        warn("SM461", f"{int(bad.sum())} rows have more postgraduates than employees; their share is missing.",
             "check that the counts are head counts of the same firm-year.")
        hc = hc.where(~bad)
    return hc.astype(float).rename("HC")
