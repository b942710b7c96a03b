"""System GMM (Blundell & Bond 2000) production function for ``tfp.estimate(..., "gmm")``.

The dynamic (common-factor) form of ``y_t = b'x_t + omega_t + eta_i + v_t`` with AR(1)
productivity, ``y_t = b'x_t - rho b'x_{t-1} + rho y_{t-1} + eta_i(1-rho) + e_t``, is estimated
unrestricted by two-step system GMM (differenced equation instrumented by collapsed levels
of ``y, x`` dated ``t-a .. t-b``; levels equation by their differences dated ``t-a+1``,
xtabond2's ``gmm(y x, lag(a b) collapse)``), with firm-clustered weights. The restrictions
``pi = (b, -rho b, rho)`` are then imposed by minimum distance. Lags are calendar lags;
a missing instrument counts as zero, as in xtabond2.
"""

from __future__ import annotations

import numpy as np

from ...errors import NotIdentified
from ._common import Panel, demean


def _linear_gmm(X, y, Z, groups, two_step=True):
    """Linear GMM with (Z'Z)^-1 then firm-clustered optimal weights; returns b, V, u."""
    n = len(y)
    W = np.linalg.pinv(Z.T @ Z / n)

    def solve(W):
        A = X.T @ Z @ W @ Z.T @ X
        return np.linalg.solve(A, X.T @ Z @ W @ Z.T @ y)

    b = solve(W)
    codes, inv = np.unique(groups, return_inverse=True)

    def meat(u):
        sc = np.zeros((len(codes), Z.shape[1]))
        np.add.at(sc, inv, Z * u[:, None])
        return sc.T @ sc / n

    if two_step:
        W = np.linalg.pinv(meat(y - X @ b))
        b = solve(W)
    u = y - X @ b
    G = Z.T @ X / n
    bread = np.linalg.pinv(G.T @ W @ G)
    V = bread @ G.T @ W @ meat(u) @ W @ G @ bread / n
    return b, V, u


def fit_gmm(p: Panel, opts) -> tuple[np.ndarray, dict]:
    """Blundell-Bond system GMM of ``y_t = pi'[x_t, x_{t-1}, y_{t-1}] + eta_i + v_t``, then COMFAC.

    Parameters
    ----------
    p : Panel
        Usable rows with calendar-lag positions.
    opts : dict
        ``time_effects`` (cross-sectional demeaning by year) and ``gmm_lags`` (first and
        last lag of the level instruments of the differenced equation).

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` and diagnostics (``se``, ``nobs``, ``rho``,
        ``comfac_chi2``, the unrestricted ``pi`` = [x_t, x_{t-1}, y_{t-1}], ``n_diff``).
    """
    # scipy on use only: importing the package (e.g. for METHODS) stays light
    from scipy import optimize

    X = np.column_stack([p.F, p.S])
    q = X.shape[1]
    y = p.y.copy()
    if opts["time_effects"]:   # common year shocks removed by cross-sectional demeaning
        codes, inv = np.unique(p.year, return_inverse=True)
        y = demean(y, inv, len(codes))
        X = demean(X, inv, len(codes))
    V = np.column_stack([y, X])                   # variables whose lags instrument
    Vl = p.lagged(V)
    W_lev = np.column_stack([X, Vl[:, 1:], Vl[:, :1]])   # x_t, x_{t-1}, y_{t-1}
    dY = y - p.lagged(y)
    dW = W_lev - p.lagged(W_lev)
    dV = V - Vl
    first, last = opts["gmm_lags"]

    def lag_pos(n):   # calendar lag n of every row (-1 when any year in between is absent)
        cur = np.arange(len(y))
        for _ in range(n):
            cur = np.where(cur >= 0, p.lag[np.maximum(cur, 0)], -1)
        return cur

    def at(a, pos):
        out = np.zeros_like(a)   # a missing instrument counts as 0 (as xtabond2)
        ok = pos >= 0
        out[ok] = a[pos[ok]]
        return np.nan_to_num(out)

    # collapsed instruments: levels dated t-first .. t-last for the differenced equation,
    # the difference dated t-first+1 for the levels equation
    Zd = np.column_stack([at(V, lag_pos(j)) for j in range(first, last + 1)])
    Zl = at(dV, lag_pos(first - 1))
    okd = np.isfinite(dY) & np.isfinite(dW).all(axis=1)
    okl = np.isfinite(W_lev).all(axis=1) & np.isfinite(y)
    nd, nl = int(okd.sum()), int(okl.sum())
    kx = W_lev.shape[1]
    Xs = np.vstack([np.column_stack([dW[okd], np.zeros(nd)]), np.column_stack([W_lev[okl], np.ones(nl)])])
    ys = np.concatenate([dY[okd], y[okl]])
    Zs = np.block([[Zd[okd], np.zeros((nd, Zl.shape[1] + 1))],
                   [np.zeros((nl, Zd.shape[1])), Zl[okl], np.ones((nl, 1))]])
    gs = np.concatenate([p.firm[okd], p.firm[okl]])
    if nd < 10 * (kx + 1):
        raise NotIdentified("SM410", f"only {nd} firm-years have the two lags system GMM needs.",
                      "use a longer panel or another method.")
    pi, Vpi, _ = _linear_gmm(Xs, ys, Zs, gs)
    pi, Vpi = pi[:kx], Vpi[:kx, :kx]
    Winv = np.linalg.pinv(Vpi)

    def h(th):   # pi = [beta, -rho*beta, rho]
        beta, rho = th[:q], th[q]
        return np.concatenate([beta, -rho * beta, [rho]])

    def md(th):
        d = pi - h(th)
        return float(d @ Winv @ d)

    th0 = np.concatenate([pi[:q], [min(max(pi[-1], -0.99), 0.99)]])
    r = optimize.minimize(md, th0, method="BFGS")
    J = optimize.approx_fprime(r.x, h, 1e-6)
    Vth = np.linalg.pinv(J.T @ Winv @ J)
    return r.x[:q], {"se": np.sqrt(np.diag(Vth))[:q], "nobs": nl, "rho": float(r.x[q]),
                     "comfac_chi2": float(r.fun) , "pi": pi.tolist(), "n_diff": nd}
