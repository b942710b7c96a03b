"""TWFE next to the heterogeneity-robust estimators, for the robustness table and figure.

:func:`robust_comparison` runs TWFE (pyfixest), did2s, Callaway-Sant'Anna,
BJS imputation and Sun-Abraham on the same panel and returns the static
results (regression-like, for a table) and the event studies (``tidy()`` with
``rel_time, estimate, std_error, ci_low, ci_high, binned``, for one figure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf

from smtext.did._part2_fe import bin_rel
from smtext.did._part2_results import EstimateResult, EventStudyResult
from smtext.did.cs import callaway_santanna
from smtext.did.did2s import did2s
from smtext.did.imputation import did_imputation
from smtext.did.sunab import sunab


def _twfe(data, yname, tname, idname, gname, window):
    df = data[[yname, tname, idname, gname]].dropna().copy()
    df["_d"] = ((df[gname] > 0) & (df[tname] >= df[gname])).astype(int)
    static = pf.feols(f"{yname} ~ _d | {idname} + {tname}", data=df, vcov={"CRV1": idname})
    rel = np.where(df[gname] > 0, df[tname] - df[gname], np.nan)
    rel, binned = bin_rel(rel, window)
    # never-treated units sit in the reference category -1, as in the usual event study
    df["_rel"] = np.where(np.isnan(rel), -1, rel).astype(int)
    ev = pf.feols(f"{yname} ~ i(_rel, ref=-1) | {idname} + {tname}", data=df, vcov={"CRV1": idname})
    t = ev.tidy()
    levels = [int(float(str(k).split("::")[-1])) for k in t.index]
    table = pd.DataFrame({"rel_time": levels, "estimate": t["Estimate"].to_numpy(), "std_error": t["Std. Error"].to_numpy()})
    table = pd.concat([table, pd.DataFrame({"rel_time": [-1], "estimate": [0.0], "std_error": [np.nan]})])
    ends = set(np.unique(rel[binned])) if binned.any() else set()
    table["binned"] = table["rel_time"].isin(ends)
    b, s = static.coef()["_d"], static.se()["_d"]
    res = EstimateResult(
        params=pd.Series({"ATT": b}),
        bse=pd.Series({"ATT": s}),
        nobs=int(static._N),
        depvar=yname,
        method="TWFE",
        fe=(idname, tname),
        vcov_label=f"cluster: {idname}",
        r2=float(static._r2),
        r2_within=float(static._r2_within),
        adj_r2=float(static._adj_r2),
    )
    event = EventStudyResult(table.sort_values("rel_time", ignore_index=True), -1, "TWFE", yname, int(ev._N))
    return res, event


def robust_comparison(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    window: tuple[int, int] | None = None,
    control_group: str = "nevertreated",
) -> tuple[dict, dict]:
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
    static : dict
        ``{"TWFE", "did2s", "CS", "BJS", "SA"}`` -> regression-like results
        (term ``"ATT"``; CS is the simple aggregation).
    events : dict
        Same keys -> event-study results (CS: dynamic aggregation, varying base).
    """
    twfe_s, twfe_e = _twfe(data, yname, tname, idname, gname, window)
    d2 = did2s(data, yname, tname, idname, gname, window=window)
    cs = callaway_santanna(data, yname, tname, idname, gname, control_group=control_group)
    bjs = did_imputation(data, yname, tname, idname, gname, window=window)
    sa = sunab(data, yname, tname, idname, gname, window=window)
    cs_dyn = cs.aggregate("dynamic")
    static = {"TWFE": twfe_s, "did2s": d2, "CS": cs.aggregate("simple").overall, "BJS": bjs, "SA": sa}
    events = {"TWFE": twfe_e, "did2s": d2.event, "CS": cs_dyn.event, "BJS": bjs.event, "SA": sa.event}
    return static, events
