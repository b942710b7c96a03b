"""Pooled OLS and within (firm fixed effects) production functions, with firm-cluster SEs.

Both are biased when input choices respond to productivity (the reason for the proxy
estimators); they are the benchmarks Chinese studies report next to OP and LP.
"""

from __future__ import annotations

import numpy as np

from ._common import Panel, demean, ols


def _cluster_vcov(X: np.ndarray, u: np.ndarray, groups: np.ndarray, bread: np.ndarray | None = None) -> np.ndarray:
    """CR1 sandwich: G/(G-1) * (N-1)/(N-K) (Stata's and statsmodels' small-sample factor)."""
    n, k = X.shape
    bread = np.linalg.pinv(X.T @ X) if bread is None else bread
    codes, inv = np.unique(groups, return_inverse=True)
    scores = np.zeros((len(codes), k))
    np.add.at(scores, inv, X * u[:, None])
    g = len(codes)
    adj = g / (g - 1) * (n - 1) / (n - k)
    return adj * bread @ (scores.T @ scores) @ bread


def _year_dummies(year: np.ndarray) -> np.ndarray:
    yrs = np.unique(year)
    return (year[:, None] == yrs[None, 1:]).astype(float)


def fit_ols(p: Panel, opts) -> tuple[np.ndarray, dict]:
    """Pooled OLS with a constant (year dummies with ``opts["time_effects"]``).

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` and ``se`` (firm-clustered), ``nobs``.
    """
    X = np.column_stack([p.F, p.S])
    D = _year_dummies(p.year) if opts["time_effects"] else np.empty((len(p.y), 0))
    Xf = np.column_stack([np.ones(len(p.y)), X, D])
    b = ols(Xf, p.y)
    u = p.y - Xf @ b
    V = _cluster_vcov(Xf, u, p.firm)
    k = X.shape[1]
    return b[1:1 + k], {"se": np.sqrt(np.diag(V))[1:1 + k], "nobs": len(p.y)}


def fit_fe(p: Panel, opts) -> tuple[np.ndarray, dict]:
    """Within estimator (firm means removed; year dummies with ``opts["time_effects"]``).

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` and ``se`` (firm-clustered), ``nobs``.
    """
    codes, inv = np.unique(p.firm, return_inverse=True)
    X = np.column_stack([p.F, p.S])
    k = X.shape[1]
    if opts["time_effects"]:
        X = np.column_stack([X, _year_dummies(p.year)])
    Xd = demean(X, inv, len(codes))
    yd = demean(p.y, inv, len(codes))
    b = ols(Xd, yd)
    u = yd - Xd @ b
    V = _cluster_vcov(Xd, u, p.firm)  # FE nested in clusters: not counted in K (as xtreg/fixest)
    return b[:k], {"se": np.sqrt(np.diag(V))[:k], "nobs": len(p.y)}
