"""Gardner two-stage difference-in-differences (did2s).

Gardner, J. (2021). "Two-stage differences in differences." arXiv:2207.05943;
Butts, K. and Gardner, J. (2022). "did2s: Two-Stage Difference-in-
Differences." The R Journal 14(3), 162-173.

Stage 1 fits unit and period effects on untreated observations; stage 2
regresses the residualised outcome on the treatment (static) or on event-time
dummies. Standard errors are the GMM-corrected cluster-robust ones of Butts &
Gardner (eq. 6): the stage-2 score minus the stage-1 estimation error

    psi_c = X2_c' e2_c - (X2' X1) (X10' X10)^{-1} X10_c' e1_c,

    V = (X2'X2)^{-1} (sum_c psi_c psi_c') (X2'X2)^{-1}.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.did._fe import bin_rel, fit_untreated_fe, staggered_panel
from smtext.did._prepare import cluster_sum
from smtext.did._results import EventResult, RobustDIDResult, event_table


def _second_stage(X2: np.ndarray, fe, ytilde: np.ndarray, clusters: np.ndarray):
    """OLS of ytilde on X2 with the Butts-Gardner GMM variance."""
    XtX = X2.T @ X2
    bread = np.linalg.inv(XtX)
    beta = bread @ (X2.T @ ytilde)
    e2 = ytilde - X2 @ beta
    # (X10'X10)^{-1} (X2'X1)'  : p x k
    M = np.asarray((fe.Z.T @ X2))  # X1' X2, p x k
    B = fe.solve(M)
    corr = np.asarray(fe.Z0 @ B) * fe.resid0[:, None]  # per-row stage-1 correction
    psi_rows = X2 * e2[:, None] - corr
    codes, uniq = pd.factorize(clusters)
    psi = cluster_sum(psi_rows, codes, len(uniq))
    meat = psi.T @ psi
    V = bread @ meat @ bread
    return beta, np.sqrt(np.diag(V)), V


def did2s(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    window: tuple[int, int] | None = None,
    cluster: str | None = None,
) -> RobustDIDResult:
    """Gardner (2021) two-stage DID: static ATT and event study.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (need not be balanced).
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period, 0 = never).
    window : (int, int), optional
        Event times below/above are binned into the end bins.
    cluster : str, optional
        Cluster column for the standard errors (default: ``idname``).

    Returns
    -------
    RobustDIDResult
        Term ``"ATT"`` (stage 2 on the treatment dummy) and ``.event`` with
        event-time coefficients relative to ``-1``.
    """
    cl_name = cluster or idname
    p = staggered_panel(data, yname, tname, idname, gname, "did2s()")
    if cluster is not None and cluster != idname:
        clusters = data.set_index([idname, tname]).loc[
            list(zip(p.df["unit"], p.df["time"])), cluster
        ].to_numpy()
    else:
        clusters = p.df["unit"].to_numpy()
    fe = fit_untreated_fe(p)
    ytilde = p.df["y"].to_numpy() - fe.fitted

    # static: ytilde on D (no intercept, as in did2s' second stage ~ i(treat))
    X2 = p.df[["d"]].to_numpy(float)
    b, s, _ = _second_stage(X2, fe, ytilde, clusters)

    rel, binned = bin_rel(p.df["rel"].to_numpy(), window)
    levels = np.sort(np.unique(rel[~np.isnan(rel)]))
    levels = levels[levels != -1]
    X2e = np.column_stack([(rel == e).astype(float) for e in levels])
    be, se_e, Ve = _second_stage(X2e, fe, ytilde, clusters)
    bins = {e: bool(binned[rel == e].any()) for e in levels}
    # the reference period -1 is a row with estimate 0 and no standard error
    event = EventResult(
        table=event_table(np.r_[levels.astype(int), -1], np.r_[be, 0.0], np.r_[se_e, np.nan],
                          [bins[e] for e in levels] + [False]),
        nobs=len(p.df),
        depvar=yname,
        method="did2s",
        base_period=-1,
        vcov=pd.DataFrame(Ve, index=levels.astype(int), columns=levels.astype(int)),
    )
    return RobustDIDResult.from_estimates(
        pd.Series({"ATT": b[0]}),
        pd.Series({"ATT": s[0]}),
        nobs=len(p.df),
        depvar=yname,
        method="did2s",
        fe=(idname, tname),
        vcov_label=f"two-stage GMM, cluster: {cl_name}",
        extra={"estimator": "Gardner two-stage"},
        event=event,
    )
