"""Wooldridge (2009) one-step production-function estimator (``tfp.estimate(..., "wrdg")``).

Two equations share the output elasticities ``b`` and the control function
``h(state, proxy) = H'g`` (a polynomial without intercept, so ``h`` is log
productivity up to a constant), with ``x = (free, state)``:

* level:  ``y_t = a0 + x_t'b + h_t + e_t``, instruments ``(1, free_t, H_t)``;
* Markov: ``y_t = c2 + x_t'b + rho_1 h_{t-1} + ... + rho_d h_{t-1}^d + xi_t + e_t``,
  instruments ``(1, state_t, free_{t-1}, H_{t-1})``.

The cross-equation restriction (the same ``g`` in ``h_t`` and ``h_{t-1}``) is what
makes the one-step estimator Wooldridge's rather than two separate stages.
Both equations use the rows whose calendar lags exist. The moments are weighted by
``diag((Z1'Z1)^-1, (Z2'Z2)^-1)`` and solved by Levenberg-Marquardt from Stata
``prodest, method(wrdg)``'s stacked 2SLS (``g(s) = s``) plus seeded perturbations;
the lowest criterion wins. Standard errors are the firm-clustered GMM sandwich
(factor G/(G-1)).

Reference: Wooldridge, J. M. (2009). On estimating firm-level production functions
using proxy variables to control for unobservables. Economics Letters 104(3), 112-114.
"""

from __future__ import annotations

import numpy as np

from ...errors import NotIdentified
from ._common import Panel, poly_basis


def _blocks(p: Panel, degree: int) -> dict:
    """Arrays of the rows usable by both equations (current and lagged inputs finite)."""
    SP = np.column_stack([p.S, p.P])
    ok0 = np.isfinite(SP).all(axis=1)
    H = np.full((len(p.y), 0), np.nan)
    if ok0.any():
        B = poly_basis(SP[ok0], degree)[:, 1:]      # no intercept: a0 and c2 are separate
        H = np.full((len(p.y), B.shape[1]), np.nan)
        H[ok0] = B
    H_lag, F_lag = p.lagged(H), p.lagged(p.F)
    ok = ok0 & np.isfinite(H_lag).all(axis=1) & np.isfinite(F_lag).all(axis=1) & np.isfinite(p.y)
    return {"y": p.y[ok], "F": p.F[ok], "S": p.S[ok], "H": H[ok], "H_lag": H_lag[ok], "F_lag": F_lag[ok],
            "firm": p.firm[ok], "n": int(ok.sum())}


def _half(W: np.ndarray) -> np.ndarray:
    """``C`` with ``C @ C.T == W`` for a symmetric positive semi-definite weight matrix."""
    vals, vecs = np.linalg.eigh((W + W.T) / 2)
    return vecs * np.sqrt(np.clip(vals, 0, None))


class _System:
    """Residuals, Jacobians and moments of the two equations for ``theta = (a0, c2, b, g, rho)``."""

    def __init__(self, blk: dict, d: int):
        n = blk["n"]
        one = np.ones(n)
        self.y, self.X = blk["y"], np.column_stack([blk["F"], blk["S"]])
        self.H, self.Hl = blk["H"], blk["H_lag"]
        self.Z1 = np.column_stack([one, blk["F"], self.H])
        self.Z2 = np.column_stack([one, blk["S"], blk["F_lag"], self.Hl])
        self.W1 = np.linalg.pinv(self.Z1.T @ self.Z1)
        self.W2 = np.linalg.pinv(self.Z2.T @ self.Z2)
        self.C1, self.C2 = _half(self.W1), _half(self.W2)
        self.firm, self.n, self.k, self.nh, self.d = blk["firm"], n, self.X.shape[1], self.H.shape[1], d

    def split(self, th):
        k, nh = self.k, self.nh
        return th[0], th[1], th[2:2 + k], th[2 + k:2 + k + nh], th[2 + k + nh:]

    def resid(self, th):
        a0, c2, b, g, rho = self.split(th)
        s = self.Hl @ g
        xb = self.X @ b
        u1 = self.y - a0 - xb - self.H @ g
        u2 = self.y - c2 - xb - sum(rho[j] * s ** (j + 1) for j in range(self.d))
        return u1, u2, s

    def jac(self, th):
        *_, rho = self.split(th)
        _, _, s = self.resid(th)
        one, zero = np.ones(self.n), np.zeros(self.n)
        J1 = np.column_stack([-one, zero, -self.X, -self.H, np.zeros((self.n, self.d))])
        ds = sum((j + 1) * rho[j] * s ** j for j in range(self.d))
        J2 = np.column_stack([zero, -one, -self.X, -(ds[:, None] * self.Hl),
                              -np.column_stack([s ** (j + 1) for j in range(self.d)])])
        return J1, J2

    def scaled(self, th):
        u1, u2, _ = self.resid(th)
        return np.concatenate([self.C1.T @ (self.Z1.T @ u1), self.C2.T @ (self.Z2.T @ u2)])

    def scaled_jac(self, th):
        J1, J2 = self.jac(th)
        return np.vstack([self.C1.T @ (self.Z1.T @ J1), self.C2.T @ (self.Z2.T @ J2)])

    def vcov(self, th) -> np.ndarray:
        u1, u2, _ = self.resid(th)
        J1, J2 = self.jac(th)
        G = np.vstack([self.Z1.T @ J1, self.Z2.T @ J2])
        q1 = self.Z1.shape[1]
        W = np.zeros((len(G), len(G)))
        W[:q1, :q1], W[q1:, q1:] = self.W1, self.W2
        codes, inv = np.unique(self.firm, return_inverse=True)
        sc = np.zeros((len(codes), len(G)))
        np.add.at(sc, inv, np.column_stack([self.Z1 * u1[:, None], self.Z2 * u2[:, None]]))
        A = np.linalg.pinv(G.T @ W @ G)
        g = len(codes)
        return g / (g - 1) * A @ (G.T @ W @ (sc.T @ sc) @ W @ G) @ A


def _prodest_start(sys_: _System, blk: dict) -> np.ndarray:
    """Stata prodest's stacked 2SLS with a unit-slope Markov term: the starting point."""
    n = blk["n"]
    one, zero = np.ones(n), np.zeros(n)
    X = np.vstack([np.column_stack([one, zero, blk["F"], blk["S"], blk["H"]]),
                   np.column_stack([one, one, blk["F"], blk["S"], blk["H_lag"]])])
    Z = np.vstack([np.column_stack([one, zero, blk["F_lag"], blk["S"], blk["H"]]),
                   np.column_stack([one, one, blk["F_lag"], blk["S"], blk["H_lag"]])])
    y = np.concatenate([blk["y"], blk["y"]])
    Xhat = Z @ np.linalg.lstsq(Z, X, rcond=None)[0]
    c = np.linalg.lstsq(Xhat, y, rcond=None)[0]
    rho = np.zeros(sys_.d)
    rho[0] = 1.0
    return np.concatenate([[c[0], c[0] + c[1]], c[2:], rho])


def fit_wrdg(p: Panel, opts, rng) -> tuple[np.ndarray, dict]:
    """Wooldridge (2009) one-step GMM on a prepared panel (see the module docstring).

    Parameters
    ----------
    p : Panel
        Usable rows with calendar-lag positions.
    opts : dict
        ``poly_degree`` (degree of ``h``), ``g_degree`` (degree of the Markov polynomial),
        ``n_starts``.
    rng : numpy.random.Generator
        Seeds the perturbed starts.

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` and diagnostics (``se``, ``nobs``, ``rho``,
        ``criterion``, ``converged``).
    """
    # scipy on use only: importing the package (e.g. for METHODS) stays light
    from scipy import optimize

    d = int(opts["g_degree"])
    blk = _blocks(p, int(opts["poly_degree"]))
    sys_ = _System(blk, d)
    n_par = 2 + sys_.k + sys_.nh + d
    if blk["n"] < 10 * n_par:
        raise NotIdentified("SM410", f"only {blk['n']} firm-years have the lags Wooldridge's second equation needs.",
                      "use a longer panel or a lower poly_degree.")
    x0 = _prodest_start(sys_, blk)
    starts = [x0]
    for _ in range(max(int(opts["n_starts"]), 1) - 1):
        x = x0.copy()
        x[2:2 + sys_.k] += rng.normal(0, 0.15, sys_.k)
        starts.append(x)
    best = None
    for s in starts:
        r = optimize.least_squares(sys_.scaled, s, jac=sys_.scaled_jac, method="lm", xtol=1e-15, ftol=1e-15,
                                   gtol=1e-15, max_nfev=10000)
        if np.all(np.isfinite(r.x)) and (best is None or r.cost < best.cost):
            best = r
    if best is None:
        raise NotIdentified("SM410", "the Wooldridge GMM did not converge from any start.",
                      "use another method (lp, acf) or a lower poly_degree.")
    _a0, _c2, b, _g, rho = sys_.split(best.x)
    V = sys_.vcov(best.x)[2:2 + sys_.k, 2:2 + sys_.k]
    return b, {"se": np.sqrt(np.diag(V)), "nobs": blk["n"], "rho": [float(r_) for r_ in rho],
               "criterion": float(2 * best.cost), "converged": bool(best.status > 0)}
