"""Fixed-effects machinery shared by the DID estimators.

* :class:`FEProjector` -- exact batch partialling-out of fixed effects and
  controls (Frisch-Waugh-Lovell), used by the placebo batch solver, the
  permutation test and the IV diagnostics.
* :func:`staggered_panel` and :func:`fit_untreated_fe` -- the untreated-
  observation two-way FE model shared by did2s and the imputation estimator:
  both fit ``y_it = a_i + b_t + e_it`` on untreated observations only and
  subtract the fitted ``a_i + b_t`` from every observation. The design is kept
  as a sparse matrix so that the variance formulas, which need
  ``(Z0'Z0)^{-1}``, can use a sparse LU factorisation instead of dense algebra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyfixest.core.demean import demean
from scipy.sparse.linalg import splu

from smtext.did._prepare import check_cohort, check_unique, drop_always_treated, prepare
from smtext.errors import SMError, warn


class FEProjector:
    """Partial fixed effects and controls out of columns, exactly and in batch.

    The first fixed effect (the unit) is removed by exact group demeaning;
    the remaining fixed effects (year, industry x year, ...) have few levels,
    so their dummies are unit-demeaned once and, together with the unit-
    demeaned controls, turned into an orthonormal basis ``Q``. By the
    Frisch-Waugh-Lovell theorem ``M x = W x - Q Q' W x`` (``W`` = unit
    demeaning) is then the exact residual of ``x`` on all fixed effects and
    controls -- no iteration, no tolerance. When the small fixed effects have
    more than ``max_dummies`` levels in total, the alternating-projections
    demeaner of pyfixest is used instead (tolerance ``tol``).

    Parameters
    ----------
    fe_codes : numpy.ndarray
        ``(n, k)`` integer codes of the fixed effects, unit first.
    controls : numpy.ndarray, optional
        ``(n, p)`` controls.
    """

    def __init__(self, fe_codes: np.ndarray, controls: np.ndarray | None = None, tol: float = 1e-10,
                 max_dummies: int = 3000):
        fe_codes = np.asarray(fe_codes, dtype=np.int64).reshape(len(fe_codes), -1)
        self.n = fe_codes.shape[0]
        self.tol = tol
        unit = fe_codes[:, 0]
        self.sorted = bool(np.all(unit[1:] >= unit[:-1]))
        self.order = np.arange(self.n) if self.sorted else np.argsort(unit, kind="stable")
        su = unit[self.order]
        self.starts = np.flatnonzero(np.r_[True, su[1:] != su[:-1]])
        self.counts = np.diff(np.r_[self.starts, self.n])
        rest = fe_codes[:, 1:]
        levels = [int(c.max()) + 1 for c in rest.T]
        self.exact = sum(levels) <= max_dummies
        blocks = []
        if self.exact:
            for c, L in zip(rest.T, levels):
                dm = np.zeros((self.n, L))
                dm[np.arange(self.n), c] = 1.0
                blocks.append(self._unit_demean(dm))
        else:
            self.fe = np.ascontiguousarray(fe_codes, dtype=np.uint64)
        if controls is not None and controls.shape[1]:
            blocks.append(self.demean(np.asarray(controls, dtype=float)) if not self.exact
                          else self._unit_demean(np.asarray(controls, dtype=float)))
        self.Q = None
        if blocks:
            Z = np.hstack(blocks)
            # Orthonormal basis of span(Z) from the eigen-decomposition of the small Gram
            # matrix Z'Z (k x k): Q = Z V diag(1/sqrt(s)). Dummies of each FE sum to a
            # constant, so Z is rank deficient; directions with negligible eigenvalues
            # are dropped. Cheaper than a pivoted QR of the tall Z (which dominated the
            # permutation loop) and accurate to ~1e-10 for the well-scaled columns here.
            scale = np.sqrt((Z**2).sum(axis=0))
            scale[scale == 0] = 1.0
            Zs = Z / scale
            s, V = np.linalg.eigh(Zs.T @ Zs)
            keep = s > 1e-10 * s.max()
            Q = Zs @ (V[:, keep] / np.sqrt(s[keep]))
            # one re-orthogonalisation pass removes the round-off of the Gram route
            s2, V2 = np.linalg.eigh(Q.T @ Q)
            self.Q = np.ascontiguousarray(Q @ (V2 / np.sqrt(s2)))

    def _unit_demean(self, x: np.ndarray) -> np.ndarray:
        X = x.reshape(self.n, -1)
        if self.sorted:
            # rows already grouped by unit: no gather/scatter copies
            means = np.add.reduceat(X, self.starts, axis=0) / self.counts[:, None]
            return X - np.repeat(means, self.counts, axis=0)
        X = X[self.order]
        means = np.add.reduceat(X, self.starts, axis=0) / self.counts[:, None]
        X = X - np.repeat(means, self.counts, axis=0)
        out = np.empty_like(X)
        out[self.order] = X
        return out

    def demean(self, x: np.ndarray) -> np.ndarray:
        """Copy of ``x`` (2-D) with all fixed effects removed (iterative path)."""
        X = np.ascontiguousarray(x.reshape(self.n, -1), dtype=np.float64)
        out, ok = demean(X, self.fe, np.ones(self.n), tol=self.tol, maxiter=100_000)
        if not ok:
            raise SMError("SM526", "demeaning by the fixed effects did not converge.")
        return out

    def residualise(self, x: np.ndarray) -> np.ndarray:
        """Residual of ``x`` (1-D or 2-D) on all fixed effects and controls."""
        one = x.ndim == 1
        X = np.asarray(x, dtype=float).reshape(self.n, -1)
        xd = self._unit_demean(X) if self.exact else self.demean(X)
        if self.Q is not None:
            xd = xd - self.Q @ (self.Q.T @ xd)
        return xd[:, 0] if one else xd


def fe_codes(d: pd.DataFrame, specs: Sequence[str]) -> np.ndarray:
    cols = []
    for s in specs:
        parts = s.split("^")
        key = d[parts[0]].astype(str)
        for p in parts[1:]:
            key = key + "\x1f" + d[p].astype(str)
        cols.append(pd.factorize(key)[0])
    return np.column_stack(cols)

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
