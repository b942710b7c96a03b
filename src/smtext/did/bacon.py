"""Goodman-Bacon decomposition of the two-way fixed-effects DID coefficient.

Goodman-Bacon, A. (2021). "Difference-in-differences with variation in
treatment timing." Journal of Econometrics 225(2), 254-277. With a balanced
panel and an absorbing 0/1 treatment, the TWFE coefficient is a weighted average
of every 2x2 DID between timing groups (eq. 10a-10c for the weights):

* treated vs never treated (whole panel);
* earlier vs later treated (window before the later group is treated, later
  group as control);
* later vs earlier treated (window after the earlier group is treated, the
  already-treated earlier group as control -- the "forbidden" comparison).

Units treated from the first period on ("always treated") enter as controls in
``Later vs Always Treated`` comparisons, as in R ``bacondecomp``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.did._part2_panel import (
    check_balanced,
    check_unique,
    cohort_from_dummy,
    prepare,
)
from smtext.errors import SMError

_TYPES = (
    "Earlier vs Later Treated",
    "Later vs Earlier Treated",
    "Later vs Always Treated",
    "Treated vs Untreated",
)


@dataclass(frozen=True)
class BaconResult:
    """Goodman-Bacon decomposition.

    Attributes
    ----------
    comparisons : pandas.DataFrame
        One row per 2x2 comparison: ``treated`` and ``control`` (first treated
        period; 0 = never treated), ``type``, ``estimate``, ``weight``.
    summary : pandas.DataFrame
        Indexed by ``type`` with ``weight`` (sum of weights) and ``avg_est``
        (weight-averaged estimate within the type).
    estimate : float
        Weighted sum of all 2x2 estimates; equals the TWFE coefficient.
    nobs : int
        Rows used.
    """

    comparisons: pd.DataFrame
    summary: pd.DataFrame
    estimate: float
    nobs: int

    def __repr__(self) -> str:
        return (
            f"Goodman-Bacon decomposition (TWFE = {self.estimate:.6f}, N = {self.nobs})\n"
            + self.summary.round(5).to_string()
        )


def bacon(data: pd.DataFrame, yname: str, idname: str, tname: str, dname: str) -> BaconResult:
    """Decompose the TWFE DID coefficient into all 2x2 comparisons.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel.
    yname, idname, tname, dname : str
        Outcome, unit, period and 0/1 absorbing treatment columns.

    Returns
    -------
    BaconResult
        ``.comparisons``, ``.summary`` (by type: ``weight``, ``avg_est``) and
        ``.estimate`` (= TWFE coefficient of ``yname`` on ``dname`` with unit
        and period fixed effects).

    Raises
    ------
    SMError
        SM553 unbalanced panel, SM552 non-absorbing treatment, SM557 non-binary
        treatment, SM555 no treatment variation.
    """
    df = prepare(data, [yname, idname, tname, dname], "panel")
    check_unique(df, idname, tname)
    check_balanced(df, idname, tname, "bacon()")
    df["_g"] = cohort_from_dummy(df, idname, tname, dname)

    periods = np.sort(df[tname].unique())
    T = len(periods)
    # cohort x period mean outcome: with a balanced, unweighted panel every 2x2
    # DID depends on the data only through these means
    ybar = df.pivot_table(index="_g", columns=tname, values=yname, aggfunc="mean")
    ybar = ybar.reindex(columns=periods)
    n_units = df[idname].nunique()
    share = df.groupby("_g")[idname].nunique() / n_units
    cohorts = [g for g in ybar.index if g != 0]
    if not cohorts:
        raise SMError("SM555", f"no unit is ever treated in {dname!r}.", "check the treatment column.")
    # share of periods treated (D-bar in the paper) for each timing group
    dbar = {g: float((periods >= g).mean()) for g in cohorts}
    if len(cohorts) == 1 and 0 not in ybar.index and dbar[cohorts[0]] == 1.0:
        raise SMError("SM555", "every unit is treated in every period.", "add comparison units.")

    def mean_y(g, lo, hi):
        # mean of the cohort's period means over periods lo <= t < hi
        cols = periods[(periods >= lo) & (periods < hi)]
        return float(ybar.loc[g, cols].mean())

    end = periods[-1] + 1
    start = periods[0]
    rows = []
    for k in cohorts:
        dk, nk = dbar[k], share[k]
        if 0 in ybar.index and 0 < dk < 1:
            nu = share[0]
            nku = nk / (nk + nu)
            est = (mean_y(k, k, end) - mean_y(k, start, k)) - (mean_y(0, k, end) - mean_y(0, start, k))
            w = (nk + nu) ** 2 * nku * (1 - nku) * dk * (1 - dk)
            rows.append((k, 0, "Treated vs Untreated", est, w))
        for l in cohorts:
            if l <= k:
                continue
            # k treated earlier than l
            dl, nl = dbar[l], share[l]
            nkl = nk / (nk + nl)
            if dk < 1:  # earlier vs later: window before l is treated
                est = (mean_y(k, k, l) - mean_y(k, start, k)) - (mean_y(l, k, l) - mean_y(l, start, k))
                w = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * ((dk - dl) / (1 - dl)) * ((1 - dk) / (1 - dl))
                rows.append((k, l, "Earlier vs Later Treated", est, w))
            if dl > 0:  # later vs earlier: window after k is treated
                est = (mean_y(l, l, end) - mean_y(l, k, l)) - (mean_y(k, l, end) - mean_y(k, k, l))
                w = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk)
                kind = "Later vs Always Treated" if dk == 1 else "Later vs Earlier Treated"
                rows.append((l, k, kind, est, w))
    comp = pd.DataFrame(rows, columns=["treated", "control", "type", "estimate", "weight"])
    comp = comp.loc[comp["weight"] > 0].reset_index(drop=True)
    if comp.empty or T < 2:
        raise SMError("SM555", "no 2x2 comparison has treatment variation.", "check the treatment column.")
    comp["weight"] = comp["weight"] / comp["weight"].sum()

    by = comp.assign(_we=comp["weight"] * comp["estimate"]).groupby("type")
    summary = pd.DataFrame({"weight": by["weight"].sum(), "avg_est": by["_we"].sum() / by["weight"].sum()})
    summary = summary.reindex([t for t in _TYPES if t in summary.index])
    return BaconResult(
        comparisons=comp,
        summary=summary,
        estimate=float((comp["weight"] * comp["estimate"]).sum()),
        nobs=len(df),
    )
