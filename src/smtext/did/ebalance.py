"""Entropy balancing (Hainmueller 2012): control weights whose moments match the treated.

Hainmueller, J. (2012). "Entropy balancing for causal effects: a multivariate
reweighting method to produce balanced samples in observational studies."
Political Analysis 20(1), 25-46.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.errors import SMError, check_option, require_columns

from ._prepare import as_tuple
from ._results import Result

__all__ = ["EBResult", "entropy_balance"]


@dataclass(frozen=True, eq=False, repr=False)
class EBResult(Result):
    """Entropy-balancing weights.

    ``tidy()`` is the balance table; ``coef()`` the treated-minus-weighted-
    control gap in each covariate's mean after balancing (zero up to ``tol``;
    no standard error).

    Attributes
    ----------
    weights : pandas.Series
        1 for treated rows; balancing weights for controls, summing to the
        number of treated rows.
    lambdas : numpy.ndarray
        Dual coefficients.
    max_moment_diff : float
        Largest absolute difference between treated and weighted control
        moments after balancing (convergence check).
    balance : pandas.DataFrame
        Treated and control means before and after.
    nobs : int
        Rows balanced (complete cases).
    converged : bool
        Whether Newton's method met ``tol``.
    """

    weights: pd.Series
    lambdas: np.ndarray
    max_moment_diff: float
    balance: pd.DataFrame
    nobs: int
    converged: bool = True

    def tidy(self) -> pd.DataFrame:
        """Treated and control means of each covariate before and after balancing."""
        return self.balance.copy()

    def _estimates(self) -> pd.DataFrame:
        b = self.balance.set_index("variable")
        out = pd.DataFrame({"estimate": b["mean_treated"] - b["mean_control_after"], "std_error": np.nan})
        out.index.name = "term"
        return out

    def summary(self) -> str:
        """Convergence and the balance table."""
        return (f"entropy balancing: N = {self.nobs}, largest moment gap {self.max_moment_diff:.2e}\n"
                + self.balance.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


def entropy_balance(data: pd.DataFrame, treat: str, covariates: Sequence[str], *, moments: int = 1,
                    base_weights: str | None = None, tol: float = 1e-8, max_iter: int = 200) -> EBResult:
    """Entropy balancing (Hainmueller 2012): control weights matching treated moments.

    Minimises the Kullback-Leibler divergence of the control weights from the
    base weights subject to the weighted control moments (means, and for
    ``moments >= 2`` the uncentred second moments, ``3`` third) equalling
    the treated sample's. Solved in the dual by Newton's method with a
    line search on standardised moment columns.

    Parameters
    ----------
    data : pandas.DataFrame
    treat : str
        0/1 treatment-group column.
    covariates : sequence of str
    moments : {1, 2, 3}
    base_weights : str, optional
        Base (design) weights of the controls; uniform by default.
    tol : float
        Convergence tolerance on the largest moment difference (in units of
        each moment's standard deviation).

    Returns
    -------
    EBResult
        Raises SM535 when the constraints cannot be met (treated moments
        outside the controls' convex hull).
    """
    check_option("moments", moments, (1, 2, 3))
    covariates = list(as_tuple(covariates))
    require_columns(data, [treat, *covariates] + ([base_weights] if base_weights else []))
    d = data.dropna(subset=[treat, *covariates])
    tr = d[treat].to_numpy() == 1
    X = d[covariates].to_numpy(dtype=float)
    M = np.hstack([X**p for p in range(1, moments + 1)])
    Mt, Mc = M[tr], M[~tr]
    target = Mt.mean(axis=0)
    scale = M.std(axis=0)
    scale[scale == 0] = 1.0
    C = (Mc - target) / scale
    q = d.loc[~tr, base_weights].to_numpy(float) if base_weights else np.ones(len(Mc))
    q = q / q.sum()

    def f(lam):
        z = C @ lam
        zmax = z.max()
        return np.log(q @ np.exp(z - zmax)) + zmax

    def grad_hess(lam):
        z = C @ lam
        w = q * np.exp(z - z.max())
        w /= w.sum()
        g = w @ C
        H = (C * w[:, None]).T @ C - np.outer(g, g)
        return g, H, w

    lam = np.zeros(C.shape[1])
    converged = False
    for _ in range(max_iter):
        g, H, w = grad_hess(lam)
        if np.abs(g).max() < tol:
            converged = True
            break
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        s, f0 = 1.0, f(lam)
        while f(lam + s * step) > f0 + 1e-4 * s * (g @ step) and s > 1e-10:
            s /= 2
        lam = lam + s * step
    g, H, w = grad_hess(lam)
    maxdiff = float(np.abs(g * scale).max())
    if not converged and np.abs(g).max() >= tol:
        raise SMError("SM535", f"entropy balancing did not converge (largest standardised moment gap "
                               f"{np.abs(g).max():.2e}).",
                      "use fewer moments or covariates; the treated moments may lie outside the "
                      "range the controls can reach.")
    weights = pd.Series(1.0, index=d.index, name="eb_weight")
    weights[~tr] = w * tr.sum()
    bal = pd.DataFrame({
        "variable": covariates,
        "mean_treated": X[tr].mean(axis=0),
        "mean_control_before": X[~tr].mean(axis=0),
        "mean_control_after": np.average(X[~tr], axis=0, weights=w),
    })
    return EBResult(weights=weights, lambdas=lam, max_moment_diff=maxdiff, balance=bal, nobs=len(d),
                    converged=converged)
