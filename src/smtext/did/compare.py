"""TWFE next to the heterogeneity-robust estimators, for the robustness table and figure.

:func:`robust_comparison` runs TWFE (pyfixest), did2s, Callaway-Sant'Anna,
BJS imputation and Sun-Abraham on the same panel and returns them as one
:class:`ComparisonResult`: each member is a static ATT (regression-like, for a
table) with its event study in ``.event`` (``tidy()`` with ``rel_time,
estimate, std_error, ci_low, ci_high, binned``, for one figure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.did._fe import bin_rel
from smtext.did._results import (
    EventResult,
    ResultSet,
    RobustDIDResult,
    event_table,
    promote,
)
from smtext.did.cs import callaway_santanna
from smtext.did.imputation import did_imputation
from smtext.did.sun_abraham import sunab
from smtext.did.two_stage import did2s

from ._pyfixest import DEMEANER, pf

__all__ = ["ComparisonResult", "robust_comparison"]


@dataclass(frozen=True, eq=False, repr=False)
class ComparisonResult(ResultSet):
    """Static ATTs of several estimators, each a :class:`RobustDIDResult` with its ``event``.

    As any :class:`ResultSet`: ``list(res)`` for a table, ``res["CS"]`` for one
    estimator; ``events`` maps each name to its event study (for
    :func:`smtext.report.event_study_compare_plot`).
    """

    @property
    def events(self) -> dict[str, EventResult]:
        """Name -> event-study result, in order."""
        return {name: r.event for name, r in self.items()}


def _twfe(data, yname, tname, idname, gname, window):
    df = data[[yname, tname, idname, gname]].dropna().copy()
    df["_d"] = ((df[gname] > 0) & (df[tname] >= df[gname])).astype(int)
    static = pf.feols(f"{yname} ~ _d | {idname} + {tname}", demeaner=DEMEANER, data=df, vcov={"CRV1": idname})
    rel = np.where(df[gname] > 0, df[tname] - df[gname], np.nan)
    rel, binned = bin_rel(rel, window)
    # never-treated units sit in the reference category -1, as in the usual event study
    df["_rel"] = np.where(np.isnan(rel), -1, rel).astype(int)
    ev = pf.feols(f"{yname} ~ i(_rel, ref=-1) | {idname} + {tname}", demeaner=DEMEANER, data=df, vcov={"CRV1": idname})
    t = ev.tidy()
    levels = [int(float(str(k).split("::")[-1])) for k in t.index]
    table = pd.DataFrame({"rel_time": levels, "estimate": t["Estimate"].to_numpy(), "std_error": t["Std. Error"].to_numpy()})
    table = pd.concat([table, pd.DataFrame({"rel_time": [-1], "estimate": [0.0], "std_error": [np.nan]})])
    ends = set(np.unique(rel[binned])) if binned.any() else set()
    table["binned"] = table["rel_time"].isin(ends)
    b, s = static.coef()["_d"], static.se()["_d"]
    event = EventResult(table=event_table(table["rel_time"], table["estimate"], table["std_error"], table["binned"]),
                        nobs=int(ev._N), depvar=yname, method="TWFE", base_period=-1)
    return RobustDIDResult.from_estimates(
        pd.Series({"ATT": b}),
        pd.Series({"ATT": s}),
        nobs=int(static._N),
        depvar=yname,
        method="TWFE",
        fe=(idname, tname),
        vcov_label=f"cluster: {idname}",
        r2=float(static._r2),
        r2_within=float(static._r2_within),
        adj_r2=float(static._adj_r2),
        event=event,
    )


def robust_comparison(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    window: tuple[int, int] | None = None,
    control_group: str = "nevertreated",
) -> ComparisonResult:
    """Static ATTs and event studies from TWFE and four robust estimators.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (balanced for Callaway-Sant'Anna).
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period, 0 = never).
    window : (int, int), optional
        Event window; outside event times are binned (TWFE, did2s, BJS, SA).
    control_group : {"nevertreated", "notyettreated"}
        Comparison units for Callaway-Sant'Anna.

    Returns
    -------
    ComparisonResult
        Members ``"TWFE", "did2s", "CS", "BJS", "SA"`` in this order, each a
        :class:`RobustDIDResult` (term ``"ATT"``; CS is the simple
        aggregation) whose ``event`` is its event study (CS: the dynamic
        aggregation, varying base); ``.events`` collects those.
    """
    twfe = _twfe(data, yname, tname, idname, gname, window)
    d2 = did2s(data, yname, tname, idname, gname, window=window)
    cs = callaway_santanna(data, yname, tname, idname, gname, control_group=control_group)
    bjs = did_imputation(data, yname, tname, idname, gname, window=window)
    sa = sunab(data, yname, tname, idname, gname, window=window)
    cs_static = promote(cs.aggregate("simple").overall, RobustDIDResult, event=cs.aggregate("dynamic").event)
    return ComparisonResult({"TWFE": twfe, "did2s": d2, "CS": cs_static, "BJS": bjs, "SA": sa},
                            title=f"TWFE and heterogeneity-robust staggered DID: {yname}")
