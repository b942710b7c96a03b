"""Untreated-observation two-way FE model shared by did2s and the imputation estimator.

Both Gardner's two-stage DID and Borusyak-Jaravel-Spiess imputation fit
``y_it = a_i + b_t + e_it`` on untreated observations only and subtract the
fitted ``a_i + b_t`` from every observation. The design is kept as a sparse
matrix so that the variance formulas, which need ``(Z0'Z0)^{-1}``, can use a
sparse LU factorisation instead of dense algebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from smtext.did._part2_panel import (
    check_cohort,
    check_unique,
    drop_always_treated,
    prepare,
)
from smtext.errors import SMError, warn


@dataclass
class StaggeredPanel:
    """A cleaned staggered panel with treatment status and event time."""

    df: pd.DataFrame  # columns: y, unit, time, g, d (0/1), rel (NaN for never treated)
    unit_codes: np.ndarray
    time_codes: np.ndarray
    n_units: int
    n_times: int


def staggered_panel(data, yname, tname, idname, gname, who: str) -> StaggeredPanel:
    """Check and encode a panel with a cohort column (0 = never treated).

    Drops always-treated units (SM556) and treated observations in periods
    without any untreated observation (SM560), both with warnings.
    """
    df = prepare(data, [yname, tname, idname, gname], "panel")
    check_unique(df, idname, tname)
    check_cohort(df, idname, gname)
    df = drop_always_treated(df, tname, gname, idname, who)
    g = df[gname].to_numpy()
    t = df[tname].to_numpy()
    d = ((g > 0) & (t >= g)).astype(int)
    untreated_periods = set(t[d == 0])
    bad = ~np.isin(t, list(untreated_periods))
    if bad.any():
        warn(
            "SM560",
            f"{who}: dropped {int(bad.sum())} treated observations in periods "
            f"{sorted(set(t[bad]))} that have no untreated observation (period effect not identified).",
            "add never-treated units to keep these periods.",
            stacklevel=3,
        )
        df, g, t, d = df.loc[~bad].reset_index(drop=True), g[~bad], t[~bad], d[~bad]
    if d.sum() == 0:
        raise SMError("SM555", f"{who}: no treated observations.", "check the cohort column.")
    out = pd.DataFrame(
        {
            "y": df[yname].to_numpy(float),
            "unit": df[idname].to_numpy(),
            "time": t,
            "g": g,
            "d": d,
            "rel": np.where(g > 0, t - g, np.nan),
        }
    )
    uc, uniq_u = pd.factorize(out["unit"], sort=True)
    tc, uniq_t = pd.factorize(out["time"], sort=True)
    return StaggeredPanel(out, uc, tc, len(uniq_u), len(uniq_t))


def fe_design(p: StaggeredPanel) -> sp.csr_matrix:
    """Sparse [unit dummies | period dummies without the first period]."""
    n = len(p.df)
    rows = np.arange(n)
    units = sp.csr_matrix((np.ones(n), (rows, p.unit_codes)), shape=(n, p.n_units))
    keep = p.time_codes > 0
    times = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], p.time_codes[keep] - 1)), shape=(n, p.n_times - 1)
    )
    return sp.hstack([units, times], format="csr")


@dataclass
class UntreatedFE:
    """FE model fitted on untreated rows: coefficients, factorisation, residuals."""

    Z: sp.csr_matrix  # design, all rows
    Z0: sp.csr_matrix  # design with treated rows zeroed
    lu: object  # sparse LU of Z0'Z0
    fitted: np.ndarray  # a_i + b_t for every row
    resid0: np.ndarray  # y - fitted on untreated rows, 0 on treated rows

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(Z0'Z0)^{-1} rhs."""
        return self.lu.solve(np.asarray(rhs, dtype=float))


def fit_untreated_fe(p: StaggeredPanel) -> UntreatedFE:
    """Fit unit + period effects on untreated observations (d == 0)."""
    Z = fe_design(p)
    untreated = (p.df["d"].to_numpy() == 0).astype(float)
    Z0 = sp.diags(untreated) @ Z
    A = (Z0.T @ Z0).tocsc()
    try:
        lu = splu(A)
    except RuntimeError as exc:  # singular: a unit or period has no untreated row
        raise SMError(
            "SM555",
            "unit or period effects are not identified from untreated observations.",
            "make sure every unit has an untreated period and every period has untreated units.",
        ) from exc
    y = p.df["y"].to_numpy()
    coef = lu.solve(Z0.T @ y)
    fitted = Z @ coef
    resid0 = (y - fitted) * untreated
    return UntreatedFE(Z, Z0.tocsr(), lu, fitted, resid0)


def bin_rel(rel: np.ndarray, window) -> tuple[np.ndarray, np.ndarray]:
    """Bin event times outside ``window=(lo, hi)`` into the end bins; return (rel, binned)."""
    rel = rel.copy()
    binned = np.zeros(len(rel), dtype=bool)
    if window is not None:
        lo, hi = window
        if lo > -1 or hi < 0:
            raise SMError("SM561", f"window={window} must contain -1 and 0.", "use e.g. window=(-5, 5).")
        binned = (rel < lo) | (rel > hi)
        rel = np.clip(rel, lo, hi)
    return rel, binned
