"""Two-period, two-group panel DID estimators with influence functions.

Sant'Anna, P. H. C. and Zhao, J. (2020). "Doubly robust difference-in-
differences estimators." Journal of Econometrics 219(1), 101-122. These are
the estimators R ``did::att_gt`` calls for each (g, t) cell on panel data
(``DRDID::reg_did_panel``, ``std_ipw_did_panel``, ``drdid_panel``), written
from the paper's formulas: each returns the ATT and its influence function
(one value per unit, scaled so that ``Var(ATT) = mean(IF**2) / n``).
"""

from __future__ import annotations

import numpy as np

from smtext.errors import SMError


def logit_fit(X: np.ndarray, d: np.ndarray, max_iter: int = 100, tol: float = 1e-10):
    """Logit MLE by Newton-Raphson; returns (fitted probabilities, inverse Hessian * n).

    The inverse of the average information matrix is what the influence
    function of the propensity-score coefficients needs.
    """
    n, k = X.shape
    beta = np.zeros(k)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        w = p * (1 - p)
        info = (X * w[:, None]).T @ X
        step = np.linalg.lstsq(info, X.T @ (d - p), rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    else:
        raise SMError(
            "SM558",
            "the propensity-score logit did not converge (separation between treated and controls?).",
            "use est_method='reg' or fewer covariates.",
        )
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    w = p * (1 - p)
    info = (X * w[:, None]).T @ X
    return np.minimum(p, 1 - 1e-16), np.linalg.inv(info) * n


def _ols_controls(dy, X, d):
    """OLS of dy on X among controls; fitted values for all and its linear representation."""
    ctrl = d == 0
    XtX = X[ctrl].T @ X[ctrl]
    if np.linalg.matrix_rank(XtX) < X.shape[1]:
        raise SMError(
            "SM558",
            "covariates are collinear among the comparison units of a (g, t) cell.",
            "drop redundant covariates.",
        )
    coef = np.linalg.solve(XtX, X[ctrl].T @ dy[ctrl])
    fitted = X @ coef
    n = len(dy)
    w_ols = (1 - d)
    xpx_inv = np.linalg.inv((X * w_ols[:, None]).T @ X / n)
    asy_lin_rep = (w_ols * (dy - fitted))[:, None] * X @ xpx_inv
    return fitted, asy_lin_rep


def did_panel(dy: np.ndarray, d: np.ndarray, X: np.ndarray, method: str):
    """ATT and influence function of a 2x2 panel DID.

    Parameters
    ----------
    dy : ndarray
        Outcome change between the period of interest and the base period.
    d : ndarray
        1 for the treated group, 0 for comparison units.
    X : ndarray
        Covariates with a leading constant column (just the constant without
        covariates; then all methods reduce to the difference in mean changes).
    method : {"reg", "ipw", "dr"}
        Outcome regression, normalised IPW, or (improved-efficiency-free)
        doubly robust, as in ``did::att_gt``.

    Returns
    -------
    att : float
    inf : ndarray
        Influence function, one value per row.
    """
    d = d.astype(float)
    if method == "reg":
        fitted, alr_ols = _ols_controls(dy, X, d)
        w_t = d
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_t * fitted) / np.mean(w_t)
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        inf_c1 = w_t * fitted - w_t * eta_c
        m1 = np.mean(w_t[:, None] * X, axis=0)
        inf_c = (inf_c1 + alr_ols @ m1) / np.mean(w_t)
        return eta_t - eta_c, inf_t - inf_c
    ps, hess = logit_fit(X, d)
    alr_ps = ((d - ps)[:, None] * X) @ hess
    w_t = d
    w_c = ps * (1 - d) / (1 - ps)
    if method == "ipw":
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_c * dy) / np.mean(w_c)
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        inf_c1 = w_c * dy - w_c * eta_c
        m2 = np.mean((w_c * (dy - eta_c))[:, None] * X, axis=0)
        inf_c = (inf_c1 + alr_ps @ m2) / np.mean(w_c)
        return eta_t - eta_c, inf_t - inf_c
    # doubly robust (Sant'Anna-Zhao eq. 3.1 with logit PS and OLS outcome model)
    fitted, alr_ols = _ols_controls(dy, X, d)
    resid = dy - fitted
    eta_t = np.mean(w_t * resid) / np.mean(w_t)
    eta_c = np.mean(w_c * resid) / np.mean(w_c)
    inf_t1 = w_t * resid - w_t * eta_t
    m1 = np.mean(w_t[:, None] * X, axis=0)
    inf_t = (inf_t1 - alr_ols @ m1) / np.mean(w_t)
    inf_c1 = w_c * resid - w_c * eta_c
    m2 = np.mean((w_c * (resid - eta_c))[:, None] * X, axis=0)
    m3 = np.mean(w_c[:, None] * X, axis=0)
    inf_c = (inf_c1 + alr_ps @ m2 - alr_ols @ m3) / np.mean(w_c)
    return eta_t - eta_c, inf_t - inf_c
