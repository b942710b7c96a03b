"""Borusyak-Jaravel-Spiess imputation estimator.

Borusyak, K., Jaravel, X. and Spiess, J. (2024). "Revisiting event-study
designs: robust and efficient estimation." Review of Economic Studies 91(6),
3253-3285.

1. Fit ``y_it = a_i + b_t`` on untreated observations (Theorem 1, step 1).
2. Impute ``y_it(0)`` for treated observations; ``tau_it = y_it - a_i - b_t``.
3. Average ``tau_it`` with the target's weights (all treated observations for
   the ATT, those at event time e for the event study).

Every estimate is linear in y, ``sum_it v_it y_it``, with ``v_it = w_it`` on
treated observations and ``v = -Z0 (Z0'Z0)^{-1} Z1' w`` on untreated ones.
Standard errors use the conservative cluster variance of Theorem 3:
``sum_i (sum_t v_it e_it)^2`` with ``e`` the stage-1 residual on untreated
observations and ``tau_it - tau_bar`` on treated ones, ``tau_bar`` the
``v^2``-weighted mean of ``tau`` within cohort x event-time cells.

Pre-trends follow the paper's Section 4.4 test: a regression on untreated
observations only of y on unit and period effects plus leads ``1{t - g = k}``,
k = -1, ..., -K (reported as the event-study coefficients for k < 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.did._fe import bin_rel, fit_untreated_fe, staggered_panel
from smtext.did._prepare import cluster_sum
from smtext.did._results import EventResult, RobustDIDResult, event_table

from ._pyfixest import DEMEANER, pf


def _imputation_se(W1: np.ndarray, fe, tau: np.ndarray, treated: np.ndarray, cells: np.ndarray, clusters):
    """Theorem-3 standard errors for targets with treated-row weights W1 (n x k)."""
    # weights on untreated rows: v0 = -Z0 (Z0'Z0)^{-1} Z1' w1
    Z1 = fe.Z[treated]
    B = fe.solve(np.asarray(Z1.T @ W1[treated]))
    V = np.asarray(-(fe.Z0 @ B))
    V[treated] = W1[treated]
    ses = []
    codes, uniq = pd.factorize(clusters)
    for j in range(W1.shape[1]):
        v = V[:, j]
        eps = fe.resid0.copy()
        # tau_bar per cell, v^2-weighted (BJS eq. 8); rows with v = 0 do not matter
        vt2 = np.where(treated, v**2, 0.0)
        cc, cu = pd.factorize(cells)
        num = np.bincount(cc, weights=vt2 * np.where(treated, tau, 0.0), minlength=len(cu))
        den = np.bincount(cc, weights=vt2, minlength=len(cu))
        with np.errstate(invalid="ignore", divide="ignore"):
            tbar = np.where(den > 0, num / den, 0.0)
        eps[treated] = tau[treated] - tbar[cc[treated]]
        s = cluster_sum(v * eps, codes, len(uniq))
        ses.append(float(np.sqrt(np.sum(s**2))))
    return np.array(ses), V


def did_imputation(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    window: tuple[int, int] | None = None,
    pretrends: int | None = None,
) -> RobustDIDResult:
    """Borusyak-Jaravel-Spiess (2024) imputation DID: ATT and event study.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (need not be balanced).
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period, 0 = never).
    window : (int, int), optional
        Event times beyond the window are averaged into the end bins.
    pretrends : int, optional
        Number of leads in the pre-trend regression (default: as many as the
        panel allows, at most 10 and at most ``-window[0]``; 0 to skip).

    Returns
    -------
    RobustDIDResult
        ``"ATT"`` = mean imputed effect over all treated observations; ``.event``
        holds post-period effects and pre-trend coefficients (relative to
        periods before the leads; ``base_period`` is None). Clustered by unit.
    """
    p = staggered_panel(data, yname, tname, idname, gname, "did_imputation()")
    fe = fit_untreated_fe(p)
    df = p.df
    treated = df["d"].to_numpy() == 1
    tau = df["y"].to_numpy() - fe.fitted
    rel, binned = bin_rel(df["rel"].to_numpy(), window)
    clusters = df["unit"].to_numpy()
    cells = np.where(treated, df["g"].astype(str) + "_" + pd.Series(rel).astype(str), "untreated")

    post_levels = np.sort(np.unique(rel[treated]))
    n1 = treated.sum()
    W1 = np.zeros((len(df), 1 + len(post_levels)))
    W1[treated, 0] = 1.0 / n1
    for j, e in enumerate(post_levels, start=1):
        m = treated & (rel == e)
        W1[m, j] = 1.0 / m.sum()
    est = W1[treated].T @ tau[treated]
    ses, _ = _imputation_se(W1, fe, tau, treated, cells, clusters)

    rows = [
        (int(e), est[j], ses[j], bool(binned[treated & (rel == e)].any()))
        for j, e in enumerate(post_levels, start=1)
    ]
    rows += _pretrend_rows(df, pretrends, window)
    table = pd.DataFrame(rows, columns=["rel_time", "estimate", "std_error", "binned"])
    event = EventResult(
        table=event_table(table["rel_time"], table["estimate"], table["std_error"], table["binned"]),
        nobs=len(df),
        depvar=yname,
        method="BJS imputation",
        base_period=None,
        extra={"pre-periods": "pre-trend test on untreated observations (BJS 2024, sec. 4.4)"},
    )
    return RobustDIDResult.from_estimates(
        pd.Series({"ATT": est[0]}),
        pd.Series({"ATT": ses[0]}),
        nobs=len(df),
        depvar=yname,
        method="BJS imputation",
        fe=(idname, tname),
        vcov_label=f"BJS conservative, cluster: {idname}",
        extra={"estimator": "Borusyak-Jaravel-Spiess imputation"},
        event=event,
    )


def _pretrend_rows(df: pd.DataFrame, pretrends: int | None, window=None):
    """Lead coefficients from the untreated-only regression (BJS Section 4.4)."""
    un = df.loc[df["d"] == 0].copy()
    rel = un["rel"].to_numpy()
    avail = -np.nanmin(rel) if np.isfinite(rel).any() else 0
    # keep at least one pre-period per cohort unrestricted so unit effects stay identified
    k = int(min(10 if pretrends is None else pretrends, max(avail - 1, 0)))
    if window is not None:
        k = min(k, -int(window[0]))  # leads beyond the window stay in the reference
    if k <= 0:
        return []
    names = []
    for lead in range(1, k + 1):
        nm = f"lead{lead}"
        un[nm] = (rel == -lead).astype(float)
        names.append(nm)
    fit = pf.feols(f"y ~ {' + '.join(names)} | unit + time", demeaner=DEMEANER, data=un, vcov={"CRV1": "unit"})
    coef, se = fit.coef(), fit.se()
    return [
        (-lead, float(coef[f"lead{lead}"]), float(se[f"lead{lead}"]), False)
        for lead in range(1, k + 1)
        if f"lead{lead}" in coef.index
    ]
