"""The constant row of a fixed-effects regression, as Stata's ``reghdfe`` prints it (``_cons``).

A regression with absorbed fixed effects has no intercept of its own. ``reghdfe`` adds the
sample means back before its final regression, so its ``_cons`` is ``mean(y) - mean(X) b``
(weighted means under weights) and its standard error comes from the same variance
estimator as the slopes, on the design ``[X_demeaned + mean(X), 1]``. The papers print that
row (常数项 / ``_cons``); :func:`with_constant` adds it to an :mod:`smtext.did` result.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

# intercept names of statsmodels, pyfixest and R (report.models reads the same names when it tabulates)
INTERCEPT_NAMES = ("Intercept", "const", "_cons", "(Intercept)")

CONSTANT = "_cons"


def _meat(a: np.ndarray, u: np.ndarray, w: np.ndarray, kind: str, groups) -> np.ndarray:
    """Unscaled middle of the sandwich for design ``a`` (rows), residuals ``u`` and weights ``w``."""
    if kind == "iid":
        return (a * w[:, None]).T @ a * float(np.sum(w * u**2) / len(u))
    s = a * (w * u)[:, None]          # scores
    if kind == "hetero":
        return s.T @ s
    g = pd.Series(range(len(u))).groupby(np.asarray(groups)).indices   # cluster sums of scores
    sums = np.vstack([s[idx].sum(axis=0) for idx in g.values()])
    return sums.T @ sums


def absorbed_constant(result) -> tuple[float, float] | None:
    """``(_cons, its standard error)`` of a fixed-effects OLS result, or None when it has none to add.

    Parameters
    ----------
    result : smtext.did.RegResult
        An OLS or 2SLS result whose ``model`` is a pyfixest ``Feols`` / ``Feiv`` with fixed
        effects (what :func:`smtext.did.twfe` and :func:`smtext.did.iv_2sls` return). Results
        without absorbed fixed effects (they have their own intercept) and other estimators
        (logit, Poisson, negative binomial) give None.

    Returns
    -------
    (float, float) or None
        ``mean(y) - mean(X) b`` and its standard error from the result's own variance
        estimator (iid, heteroskedasticity-robust or clustered) and small-sample factor,
        applied to the design ``[X_demeaned, 1]`` (for 2SLS, X projected on the instruments).
    """
    m = getattr(result, "model", None)
    if m is None or not getattr(m, "_has_fixef", False) or m._method != "feols":
        return None
    xd = np.asarray(m._X, dtype=float)
    u = np.asarray(m._u_hat, dtype=float).ravel()
    w = np.asarray(m._weights, dtype=float).ravel() if m._has_weights else np.ones(len(u))
    if getattr(m, "_is_iv", False):   # 2SLS: the design is the first-stage projection of X on the instruments
        z = np.asarray(m._Z, dtype=float)
        zw = z * w[:, None]
        xd = z @ np.linalg.solve(zw.T @ z, zw.T @ xd)
    # the estimation rows before demeaning (pyfixest's _X_untransformed is already demeaned)
    xraw = m._data[[str(c) for c in m._coefnames]].to_numpy(dtype=float)
    yraw = m._data[str(m._depvar)].to_numpy(dtype=float)
    xbar = (xraw * w[:, None]).sum(axis=0) / w.sum()
    ybar = float((yraw * w).sum() / w.sum())
    b = np.asarray(m._beta_hat, dtype=float).ravel()
    a = np.column_stack([xd, np.ones(len(u))])
    bread = np.linalg.inv((a * w[:, None]).T @ a)
    kind = {"CRV": "cluster", "hetero": "hetero", "iid": "iid"}.get(m._vcov_type)
    if kind is None:
        return None
    groups = m._data[m._clustervar[0]].to_numpy() if kind == "cluster" else None
    raw = bread @ _meat(a, u, w, kind, groups) @ bread
    k = len(b)
    # the result's own scale (small-sample factor, dof): the slopes' variance over the unscaled sandwich
    model_v = np.asarray(m._vcov, dtype=float)
    factor = float(np.mean(np.diag(model_v) / np.diag(raw)[:k]))
    # _cons = c0 - xbar'b, c0 the coefficient of the 1 in [X_demeaned, 1]
    g = np.concatenate([-xbar, [1.0]])
    var = factor * float(g @ raw @ g)
    return ybar - float(xbar @ b), float(np.sqrt(max(var, 0.0)))


def with_constant(result):
    """The result with a ``_cons`` row: its intercept renamed, or the absorbed constant added.

    Results that have an intercept (``Intercept``, ``const``) get it renamed ``_cons`` so
    that every column's constant sits on one row; fixed-effects OLS results get the
    ``reghdfe`` constant (:func:`absorbed_constant`); others are returned unchanged.
    """
    table = getattr(result, "table", None)
    if table is None or not dataclasses.is_dataclass(result):
        return result
    own = [t for t in table.index if t in INTERCEPT_NAMES]
    if own:
        return dataclasses.replace(result, table=table.rename(index={own[0]: CONSTANT}))
    got = absorbed_constant(result)
    if got is None:
        return result
    from ._results import tidy_frame

    est, se = got
    row = tidy_frame(pd.Series([est], index=[CONSTANT]), pd.Series([se], index=[CONSTANT]), df=result.df_t)
    return dataclasses.replace(result, table=pd.concat([table, row.reindex(columns=table.columns)]))


__all__ = ["CONSTANT", "absorbed_constant", "with_constant"]
