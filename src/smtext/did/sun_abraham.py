"""Sun-Abraham interaction-weighted event study.

Sun, L. and Abraham, S. (2021). "Estimating dynamic treatment effects in event
studies with heterogeneous treatment effects." Journal of Econometrics
225(2), 175-199.

Step 1 regresses y on unit and period effects and the full set of cohort x
event-time indicators (all event times but -1) for treated cohorts, with the
never-treated units as controls (or, without them, the last-treated cohort,
dropping the periods from its adoption on). Each coefficient is a
cohort-specific CATT(g, e). Step 2 averages them across cohorts with the
cohorts' shares of observations at event time e (eq. 13); the overall ATT
averages the post-period CATTs with their observation counts (as fixest's
``aggregate(..., "ATT")``). Standard errors treat the shares as fixed (delta
method on the cluster-robust covariance of step 1), as fixest does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.did._fe import bin_rel, staggered_panel
from smtext.did._results import EventResult, RobustDIDResult, event_table
from smtext.errors import warn

from ._pyfixest import DEMEANER, pf


def _name(g: int, e: int) -> str:
    return f"sa_{int(g)}_{'m' if e < 0 else 'p'}{abs(int(e))}"


def sunab(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    window: tuple[int, int] | None = None,
) -> RobustDIDResult:
    """Sun-Abraham (2021) interaction-weighted estimator.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period, 0 = never).
    window : (int, int), optional
        Event times outside are binned into the end bins.

    Returns
    -------
    RobustDIDResult
        ``"ATT"`` and ``.event`` (reference period -1), clustered by unit.
        ``.extra["cohort_effects"]`` holds the CATT(g, e) table.
    """
    p = staggered_panel(data, yname, tname, idname, gname, "sunab()")
    df = p.df.copy()
    if not (df["g"] == 0).any():
        last = df["g"].max()
        keep = df["time"] < last
        warn(
            "SM562",
            f"sunab(): no never-treated units; the last cohort ({last}) is the control group and "
            f"{int((~keep).sum())} observations from {last} on are dropped.",
        )
        df = df.loc[keep].reset_index(drop=True)
        df.loc[df["g"] == last, ["g", "rel"]] = [0, np.nan]
    rel, binned = bin_rel(df["rel"].to_numpy(), window)
    df["_rel"] = rel
    cells = (
        df.loc[df["g"] > 0]
        .assign(_bin=binned[df["g"].to_numpy() > 0])
        .groupby(["g", "_rel"])
        .agg(n=("y", "size"), binned=("_bin", "any"))
        .reset_index()
    )
    cells = cells.loc[cells["_rel"] != -1].reset_index(drop=True)
    cells["term"] = [_name(g, e) for g, e in zip(cells["g"], cells["_rel"])]
    for g, e, nm in zip(cells["g"], cells["_rel"], cells["term"]):
        df[nm] = ((df["g"] == g) & (df["_rel"] == e)).astype(float)
    fit = pf.feols(f"y ~ {' + '.join(cells['term'])} | unit + time", demeaner=DEMEANER, data=df, vcov={"CRV1": "unit"})
    b = fit.coef()
    Vfull = pd.DataFrame(fit._vcov, index=b.index, columns=b.index)
    cells = cells.loc[cells["term"].isin(b.index)].reset_index(drop=True)
    cells["catt"] = b[cells["term"]].to_numpy()
    cells["se"] = fit.se()[cells["term"]].to_numpy()

    def combine(mask):
        sub = cells.loc[mask]
        w = sub["n"].to_numpy(float) / sub["n"].sum()
        V = Vfull.loc[sub["term"], sub["term"]].to_numpy()
        return float(w @ sub["catt"].to_numpy()), float(np.sqrt(w @ V @ w))

    rows = []
    evs = np.sort(cells["_rel"].unique())
    Wmat = np.zeros((len(evs), len(cells)))  # event-time aggregation weights
    for i, e in enumerate(evs):
        m = (cells["_rel"] == e).to_numpy()
        Wmat[i, m] = cells.loc[m, "n"] / cells.loc[m, "n"].sum()
        est, se = combine(cells["_rel"] == e)
        rows.append((int(e), est, se, bool(cells.loc[cells["_rel"] == e, "binned"].any())))
    Vc = Vfull.loc[cells["term"], cells["term"]].to_numpy()
    vcov = pd.DataFrame(Wmat @ Vc @ Wmat.T, index=evs.astype(int), columns=evs.astype(int))
    rows.append((-1, 0.0, np.nan, False))
    table = pd.DataFrame(rows, columns=["rel_time", "estimate", "std_error", "binned"])
    att, att_se = combine(cells["_rel"] >= 0)
    n = len(df)
    event = EventResult(
        table=event_table(table["rel_time"], table["estimate"], table["std_error"], table["binned"]),
        nobs=n,
        depvar=yname,
        method="Sun-Abraham",
        base_period=-1,
        vcov=vcov,
    )
    return RobustDIDResult.from_estimates(
        pd.Series({"ATT": att}),
        pd.Series({"ATT": att_se}),
        nobs=n,
        depvar=yname,
        method="Sun-Abraham",
        fe=(idname, tname),
        vcov_label=f"cluster: {idname}",
        r2=float(fit._r2) if getattr(fit, "_r2", None) is not None else None,
        extra={
            "estimator": "Sun-Abraham interaction-weighted",
            "cohort_effects": cells.rename(columns={"g": "group", "_rel": "rel_time"})[
                ["group", "rel_time", "catt", "se", "n"]
            ],
        },
        event=event,
    )
