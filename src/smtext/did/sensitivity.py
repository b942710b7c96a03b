"""HonestDiD sensitivity analysis (Rambachan and Roth 2023).

Rambachan, A. and Roth, J. (2023). "A more credible approach to parallel
trends." Review of Economic Studies 90(5), 2555-2591.

Event-study estimates ``betahat`` (pre periods -num_pre..-1, post periods
1..num_post in the paper's notation, reference period 0 excluded) are
``beta = tau + delta`` with ``tau_pre = 0``; the bias ``delta`` is restricted to

* smoothness, Delta^SD(M): ``|(d_{t+1} - d_t) - (d_t - d_{t-1})| <= M`` for
  all t (with ``d_0 = 0``) -- linear trends are allowed, M bounds how much
  the slope may change between consecutive periods;
* relative magnitudes, Delta^RM(Mbar): every post-period change
  ``|d_{t+1} - d_t|`` (t >= 0) is at most Mbar times the largest pre-period
  change ``max_{s<0} |d_{s+1} - d_s|``.

Confidence sets for ``theta = l' tau_post``; the defaults are R HonestDiD's:

* SD (default ``method="SD"``): the optimal fixed-length CI (FLCI) of
  Armstrong-Kolesar / Rambachan-Roth Sec. 4.1: the affine estimator
  ``l' b_post - w' b_pre`` whose worst-case bias over Delta^SD is finite, with
  half-length ``sd(w) * cv_alpha(bias(w) / sd(w))`` minimised over w
  (``cv_alpha(r)`` = 1-alpha quantile of ``|N(r, 1)|``). The half-length is convex
  in w; it is minimised exactly (slack variables for the L1 bias, SLSQP).
  Checked against diff-diff's FLCI (1e-6) and HonestDiD's published Medicaid
  intervals (3e-4, their printed precision).
* RM (default ``method="RM"``): the conditional least-favourable hybrid (C-LF)
  of Andrews-Roth-Pakes, HonestDiD's default for relative magnitudes. Delta^RM is
  a union of polyhedra ``A delta <= 0`` (one per pre-period change attaining the
  max and its sign); each is tested with the ARP conditional test whose first
  stage rejects at the least-favourable critical value of size
  ``kappa = alpha / 10`` (see :class:`_CLFTest`), using only the moments with
  post periods when there are several (as HonestDiD). The statistic, the
  critical value and the conditioning interval come in closed form from the
  vertices of the dual polytope. A theta is in the set when some polyhedron
  accepts it; the set is inverted on a grid and its ends refined by bisection.
  Checked against HonestDiD's published Medicaid intervals (2.3e-4; R reports
  grid points 3.7e-4 apart) and against a linear-programming implementation of
  the same test (identical decisions off the ends).
* RM-LF (``method="RM-LF"``, smtext's RM default before C-LF): for each
  polyhedron the moment-inequality test with a least-favourable critical value
  ``c`` = 1-alpha quantile of ``max_j Z_j / sigma_j``, ``Z ~ N(0, A Sigma A')``,
  inverted exactly: the set is ``{l' tau : A_post tau >= A b - c sigma}`` and its
  ends are two linear programs; the hull of the union is reported. Valid, and
  usually wider than C-LF (by up to ~0.01 on the Medicaid example).

:func:`honest` takes an event-study result (``did2s(...).event``,
``sunab(...).event``, ``event_study(...)``); :func:`honest_from_estimates`
is the same computation on arrays (coefficients and their covariance), for
event studies from elsewhere and for checks against published numbers.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from smtext.did._results import EventResult, Result
from smtext.errors import SMError, check_option

__all__ = ["HonestResult", "honest", "honest_from_estimates", "honest_identified_set", "event_inputs"]


@dataclass(frozen=True, eq=False, repr=False)
class HonestResult(Result):
    """Robust confidence sets for ``theta = l' tau_post`` under a grid of restrictions.

    ``tidy()`` is the sensitivity table: columns ``method, M, lb, ub``, first
    the original (parallel trends) CI with ``M`` NaN, then one row per grid
    value (empty robust sets are NaN). ``confint()`` gives the robust
    intervals indexed by ``M`` (columns ``ci_low, ci_high``) at the level the
    result was computed with; ``coef()`` and ``se()`` are ``theta``'s point
    estimate and standard error (term ``"theta"``, normal reference).

    Attributes
    ----------
    table : pandas.DataFrame
        The sensitivity table.
    theta, theta_se : float
        ``l' b_post`` and its standard error.
    method : {"RM", "SD"}
        Relative magnitudes or smoothness.
    alpha : float
        1 - coverage of every interval.
    num_pre, num_post : int
        Pre and post coefficients used.
    l_vec : numpy.ndarray
        Weights defining ``theta``.
    nobs : int or None
        Observations of the event study (None when built from arrays).
    """

    table: pd.DataFrame
    theta: float
    theta_se: float
    method: str
    alpha: float
    num_pre: int
    num_post: int
    l_vec: np.ndarray
    nobs: int | None = None

    def tidy(self) -> pd.DataFrame:
        """Columns ``method, M, lb, ub``: the original CI, then one row per grid value."""
        return self.table.copy()

    def _estimates(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.theta], "std_error": [self.theta_se]},
                            index=pd.Index(["theta"], name="term"))

    def confint(self, alpha: float | None = None) -> pd.DataFrame:
        """The robust intervals: ``ci_low, ci_high`` indexed by ``M``.

        Parameters
        ----------
        alpha : float, optional
            Must equal the ``alpha`` the result was computed with (the
            default); other levels need a new :func:`honest` run.
        """
        if alpha is not None and alpha != self.alpha:
            raise SMError("SM563", f"these robust intervals have alpha={self.alpha}, not {alpha}.",
                          f"run honest(..., alpha={alpha}) for that level.")
        rob = self.table.loc[self.table["method"] != "original"]
        return pd.DataFrame({"ci_low": rob["lb"].to_numpy(), "ci_high": rob["ub"].to_numpy()},
                            index=pd.Index(rob["M"].to_numpy(), name="M"))

    def summary(self) -> str:
        """theta and the sensitivity table."""
        return (f"HonestDiD ({self.method}, alpha = {self.alpha}): theta = {self.theta:.6g} "
                f"(SE {self.theta_se:.6g}), {self.num_pre} pre / {self.num_post} post periods\n"
                + self.table.to_string(index=False, float_format=lambda x: f"{x:.6g}"))


def _check_inputs(betahat, sigma, num_pre, num_post, l_vec):
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    k = num_pre + num_post
    if b.shape != (k,) or S.shape != (k, k):
        raise SMError(
            "SM563",
            f"betahat has shape {b.shape} and sigma {S.shape}; expected ({k},) and ({k}, {k}) "
            f"for num_pre={num_pre}, num_post={num_post}.",
            "pass the event-study coefficients without the reference period, pre periods first.",
        )
    if num_pre < 1 or num_post < 1:
        raise SMError("SM563", "honest() needs at least one pre and one post period.")
    if not np.allclose(S, S.T) or np.linalg.eigvalsh(S).min() < -1e-10:
        raise SMError("SM563", "sigma is not a symmetric positive semi-definite matrix.")
    lv = np.full(num_post, 1.0 / num_post) if l_vec is None else np.asarray(l_vec, float).ravel()
    if lv.shape != (num_post,):
        raise SMError("SM563", f"l_vec must have length num_post={num_post}.")
    return b, S, lv


def _second_diff_matrix(num_pre: int, num_post: int) -> np.ndarray:
    """Rows: second differences of (d_{-num_pre}, ..., d_{-1}, 0, d_1, ..., d_num_post)."""
    T = num_pre + num_post + 1  # including the reference period 0
    D = np.zeros((T - 2, T))
    for r in range(T - 2):
        D[r, r : r + 3] = [1.0, -2.0, 1.0]
    return np.delete(D, num_pre, axis=1)  # drop the column of d_0 = 0


def _first_diff_rows(num_pre: int, num_post: int):
    """First differences d_{s+1} - d_s as rows over delta (without d_0): pre rows, post rows."""
    T = num_pre + num_post + 1
    D = np.zeros((T - 1, T))
    for r in range(T - 1):
        D[r, r : r + 2] = [-1.0, 1.0]
    D = np.delete(D, num_pre, axis=1)
    return D[:num_pre], D[num_pre:]


def _cv_folded(r: float, alpha: float) -> float:
    """1-alpha quantile of |N(r, 1)|."""
    r = abs(r)
    if r > 8:  # the lower tail is negligible
        return r + stats.norm.ppf(1 - alpha)
    q = stats.norm.ppf(1 - alpha / 2)

    def f(c):
        return special.ndtr(c - r) - special.ndtr(-c - r) - (1 - alpha)

    # the quantile lies between the symmetric one and r + the one-sided one
    return optimize.brentq(f, q, r + q + 1e-9, xtol=1e-12)


def _sd_max_bias(w, lv, num_pre, num_post):
    """max over Delta^SD(1) of l'd_post - w'd_pre (symmetric, so also of |.|)."""
    A = _second_diff_matrix(num_pre, num_post)
    c = -np.concatenate([-w, lv])  # linprog minimises
    A_ub = np.vstack([A, -A])
    b_ub = np.ones(2 * A.shape[0])
    res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * A.shape[1], method="highs")
    if res.status == 3:  # unbounded: w does not remove linear trends
        return np.inf
    return -res.fun


def _sd_bias_closed_form(w, lv, num_pre, num_post, P=None):
    """Same as :func:`_sd_max_bias` in closed form.

    delta = P s + c t, with s the second differences (|s| <= 1), P a particular
    inverse of the second-difference map and t the linear trend the estimator
    removes; so the max of a'delta over the box is ||P'a||_1.
    """
    a = np.concatenate([-w, lv])
    if P is None:
        P = np.linalg.pinv(_second_diff_matrix(num_pre, num_post))
    return float(np.abs(P.T @ a).sum())


def _cv_folded_slope(r: float, c: float) -> float:
    """d cv_alpha(r) / dr at r >= 0, where c = cv_alpha(r) (implicit function theorem)."""
    lo, hi = stats.norm.pdf(c - r), stats.norm.pdf(c + r)
    return float((lo - hi) / (lo + hi))


def _flci_sd(b, S, num_pre, num_post, lv, M, alpha):
    """Optimal fixed-length CI under Delta^SD(M) (Armstrong-Kolesar; Rambachan-Roth Sec. 4.1).

    Affine estimators ``l'b_post - w'b_pre`` with finite worst-case bias remove linear
    trends (``w't_pre = l't_post``); write ``w = w0 + N u``. The half-length
    ``sd(u) * cv_alpha(bias(u) / sd(u))`` is convex in ``u`` (the perspective of the
    convex, increasing ``cv_alpha``, composed with the convex ``sd`` and ``bias``), but
    ``bias = M ||P'a(u)||_1`` is not smooth; with slacks ``s >= |P'a(u)|`` the problem
    is smooth with linear constraints and is solved by SLSQP from the minimum-variance
    ``u`` (exact when M = 0). Returns ``(lb, ub)``.
    """
    t_pre = np.arange(-num_pre, 0, dtype=float)
    t_post = np.arange(1, num_post + 1, dtype=float)
    rhs = float(lv @ t_post)
    w0 = t_pre * rhs / (t_pre @ t_pre)
    N = np.linalg.svd(t_pre[None, :])[2][1:].T  # null space of the trend constraint
    q = N.shape[1]
    P = np.linalg.pinv(_second_diff_matrix(num_pre, num_post))
    a0 = np.concatenate([-w0, lv])
    B = np.vstack([-N, np.zeros((num_post, q))])  # a(u) = a0 + B u
    Pa0, PB = P.T @ a0, P.T @ B

    def a_of(u):
        return a0 + B @ u

    def sd_of(a):
        return float(np.sqrt(max(a @ S @ a, 1e-300)))

    u0 = np.zeros(q)
    if q:
        Sa = S[:num_pre, :num_pre]
        Sb = S[:num_pre, num_pre:] @ lv
        # minimum variance: (w0 + N u)' Sa (w0 + N u) - 2 (w0 + N u)' Sb
        u0 = np.linalg.lstsq(N.T @ Sa @ N, N.T @ (Sb - Sa @ w0), rcond=None)[0]
    u = u0
    if q and M > 0:
        m = PB.shape[0]
        a_start = a_of(u0)
        scale = sd_of(a_start) * _cv_folded(M * np.abs(P.T @ a_start).sum() / sd_of(a_start), alpha)

        def obj(x):
            a = a_of(x[:q])
            sd = sd_of(a)
            r = M * x[q:].sum() / sd
            c = _cv_folded(r, alpha)
            slope = _cv_folded_slope(r, c)
            g_u = (c - r * slope) * (B.T @ (S @ a)) / sd
            g_s = np.full(m, M * slope)
            return sd * c / scale, np.concatenate([g_u, g_s]) / scale

        cons = {"type": "ineq",
                "fun": lambda x: np.concatenate([x[q:] - Pa0 - PB @ x[:q], x[q:] + Pa0 + PB @ x[:q]]),
                "jac": lambda x: np.block([[-PB, np.eye(m)], [PB, np.eye(m)]])}
        x0 = np.concatenate([u0, np.abs(Pa0 + PB @ u0) + 1e-12])
        res = optimize.minimize(obj, x0, jac=True, constraints=[cons], method="SLSQP",
                                options={"ftol": 1e-15, "maxiter": 1000})
        if np.isfinite(res.fun):
            cand = res.x[:q]

            def half(uu):
                a = a_of(uu)
                sd = sd_of(a)
                return sd * _cv_folded(M * np.abs(P.T @ a).sum() / sd, alpha)

            if half(cand) <= half(u0):
                u = cand
    a = a_of(u)
    sd = sd_of(a)
    bias = M * float(np.abs(P.T @ a).sum()) if M > 0 else 0.0
    center = float(a @ b)
    h = sd * _cv_folded(bias / sd, alpha)
    return center - h, center + h


def _rm_polyhedra(num_pre, num_post, Mbar):
    """A matrices (A delta <= 0) whose union is Delta^RM(Mbar)."""
    pre, post = _first_diff_rows(num_pre, num_post)
    out = []
    for s in range(num_pre):
        for sign in (1.0, -1.0):
            top = sign * pre[s]  # the max pre change, with its sign
            rows = []
            for r in range(num_pre):  # top >= |pre_r|
                rows += [pre[r] - top, -pre[r] - top]
            for r in range(post.shape[0]):  # |post_r| <= Mbar * top
                rows += [post[r] - Mbar * top, -post[r] - Mbar * top]
            A = np.array(rows)
            out.append(A[np.abs(A).sum(axis=1) > 0])  # the row top - top = 0 is void
    return out


def _rm_interval(b, S, num_pre, num_post, lv, A, c):
    """Hull of {l'tau : A_post tau >= A b - c * sigma_A} (empty -> None)."""
    sig = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", A, S, A), 0, None))
    Ap = A[:, num_pre:]
    rhs = A @ b - c * sig
    ends = []
    for sgn in (1.0, -1.0):
        res = optimize.linprog(
            sgn * lv, A_ub=-Ap, b_ub=-rhs, bounds=[(None, None)] * num_post, method="highs"
        )
        if res.status == 2:  # infeasible: this polyhedron is rejected everywhere
            return None
        ends.append(sgn * res.fun if res.status == 0 else sgn * -np.inf)
    return ends[0], ends[1]


def _lf_critical_value(A, S, alpha, draws, seed):
    """1-alpha quantile of max_j Z_j / sigma_j with Z ~ N(0, A S A')."""
    V = A @ S @ A.T
    sig = np.sqrt(np.clip(np.diag(V), 0, None))
    keep = sig > 1e-12 * max(sig.max(), 1e-300)  # rows without noise need no critical value
    if not keep.any():
        return 0.0
    V, sig = V[np.ix_(keep, keep)], sig[keep]
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(len(V)), V, size=draws, method="eigh")
    return float(np.quantile((z / sig).max(axis=1), 1 - alpha))


# ---------------------------------------------------------------- conditional / hybrid test (ARP)
_MAX_BASES = 300_000


def _dual_vertices(X: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0 : g'X = 0, g'sig = 1}`` (rows), by enumerating bases.

    The ARP statistic ``eta = min_d max_j (y_j - X_j d) / sig_j`` equals ``max_g g'y``
    over these vertices (LP duality), so with the vertices at hand the statistic, the
    least-favourable critical value and the conditioning interval of the conditional
    test are closed forms. A basis is ``k + 1`` moments (``k`` nuisance parameters).
    """
    m, k = X.shape
    W = np.column_stack([sig, X])  # g'W = e1'
    n_eq = k + 1
    n_bases = special.comb(m, n_eq, exact=True)
    if n_bases > _MAX_BASES:
        raise SMError("SM563", f"the conditional (C-LF) test would enumerate {n_bases} bases "
                      f"({m} moments, {k} nuisance parameters).",
                      "use fewer post periods, or method='RM-LF' (least-favourable critical value).")
    idx = np.array(list(itertools.combinations(range(m), n_eq)))
    WB = np.transpose(W[idx], (0, 2, 1))  # (n_bases, n_eq, n_eq): W_B' g_B = e1
    e1 = np.zeros(n_eq)
    e1[0] = 1.0
    ok = np.abs(np.linalg.det(WB)) > 1e-12 * np.abs(WB).max(axis=(1, 2)) ** n_eq
    gB = np.linalg.solve(WB[ok], np.broadcast_to(e1, (int(ok.sum()), n_eq))[..., None])[..., 0]
    feas = (gB >= -1e-10).all(axis=1)
    G = np.zeros((int(feas.sum()), m))
    rows = idx[ok][feas]
    np.put_along_axis(G, rows, np.clip(gB[feas], 0, None), axis=1)
    if not len(G):  # pragma: no cover - the moment set is always bounded below here
        raise SMError("SM563", "the moment inequalities of the conditional test have no dual vertex.")
    scale = np.abs(G).max()
    return np.unique(np.round(G / scale, 12), axis=0) * scale


def _truncnorm_quantile(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """p-quantile of N(0, 1) truncated to [lo, hi] (vectorised, stable in either tail)."""
    out = np.empty_like(lo, dtype=float)
    right = lo > 0  # both bounds in the upper tail: work with survival functions
    if right.any():
        sl, sh = special.ndtr(-lo[right]), special.ndtr(-hi[right])
        out[right] = -special.ndtri(sl - p * (sl - sh))
    left = ~right
    if left.any():
        fl, fh = special.ndtr(lo[left]), special.ndtr(hi[left])
        out[left] = special.ndtri(fl + p * (fh - fl))
    return np.clip(out, lo, hi)


class _CLFTest:
    """ARP conditional test with the least-favourable hybrid, for one polyhedron ``A delta <= 0``.

    Andrews, Roth and Pakes (2023, "Inference for linear conditional moment
    inequalities", REStud) as used by Rambachan-Roth for Delta^RM: with ``Y = A b``,
    ``Sigma_Y = A S A'``, ``theta = l'tau`` and ``tau_post = theta l/l'l + N d``
    (``d`` the nuisance), H0 is ``E[Y - a theta - X d] <= 0`` for some ``d``. The
    statistic is ``eta = min_d max_j (Y_j - a_j theta - X_j d) / sigma_j``. Stage 1
    rejects when ``eta`` exceeds the least-favourable critical value ``c_LF`` at size
    ``kappa``; otherwise the test conditions on the optimal dual vertex ``g`` and on
    ``Y - Sigma g (g'Sigma g)^-1 g'Y``, under which ``eta`` is normal truncated to
    ``[v_lo, min(v_up, c_LF)]``, and rejects when ``eta / sd(g'Y)`` exceeds
    ``max(0, q)``, ``q`` the ``1 - (alpha - kappa) / (1 - kappa)`` quantile of that
    truncated normal. Only the moments involving post periods are used when there are
    several post periods (HonestDiD's ``postPeriodMomentsOnly``).
    """

    def __init__(self, A, b, S, num_pre, lv, alpha, kappa, draws, seed):
        post = A[:, num_pre:]
        if post.shape[1] > 1:
            A = A[np.abs(post).sum(axis=1) > 0]
            post = A[:, num_pre:]
        self.Y = A @ b
        self.SY = A @ S @ A.T
        sig = np.sqrt(np.clip(np.diag(self.SY), 0, None))
        if (sig <= 1e-12 * max(sig.max(), 1e-300)).any():
            raise SMError("SM563", "a moment of the relative-magnitudes restriction has no sampling variance.",
                          "check sigma (every coefficient needs a positive variance).")
        ll = float(lv @ lv)
        self.a = post @ lv / ll
        Nl = np.linalg.svd(lv[None, :])[2][1:].T
        X = post @ Nl if Nl.shape[1] else np.zeros((len(A), 0))
        self.X = X
        self.G = _dual_vertices(X, sig)
        z = np.random.default_rng(seed).multivariate_normal(np.zeros(len(A)), self.SY, size=draws, method="eigh")
        self.c_lf = float(np.quantile((z @ self.G.T).max(axis=1), 1 - kappa))
        self.p = 1 - (alpha - kappa) / (1 - kappa)

    def accepts(self, thetas: np.ndarray) -> np.ndarray:
        """True where H0: theta = thetas is not rejected."""
        thetas = np.atleast_1d(np.asarray(thetas, float))
        y = self.Y[None, :] - thetas[:, None] * self.a[None, :]  # (n, m)
        vals = y @ self.G.T  # (n, vertices)
        best = vals.argmax(axis=1)
        eta = vals[np.arange(len(thetas)), best]
        g = self.G[best]
        Sg = g @ self.SY
        var = (Sg * g).sum(axis=1)
        sdg = np.sqrt(np.clip(var, 0, None))
        c = Sg / np.where(var > 0, var, 1.0)[:, None]
        Sres = y - c * eta[:, None]
        den = 1.0 - c @ self.G.T  # (n, vertices): g'y >= v'y  <=>  v'S <= (1 - v'c) eta
        num = Sres @ self.G.T
        tol = 1e-10
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = num / den
        vlo = np.where(den > tol, ratio, -np.inf).max(axis=1)
        vup = np.where(den < -tol, ratio, np.inf).min(axis=1)
        reject = eta > self.c_lf
        with np.errstate(divide="ignore", invalid="ignore"):
            zlo, zup, stat = vlo / sdg, np.minimum(vup, self.c_lf) / sdg, eta / sdg
        inside = (zlo <= stat) & (stat <= zup) & (sdg > 1e-10)
        cval = np.zeros_like(stat)
        if inside.any():
            cval[inside] = np.maximum(0.0, _truncnorm_quantile(self.p, zlo[inside], zup[inside]))
        reject |= inside & (stat > cval)
        reject |= (sdg <= 1e-10) & (eta > 0)
        return ~reject


def _clf_interval(b, S, num_pre, num_post, lv, Mbar, alpha, kappa, draws, seed, grid_points):
    """C-LF confidence set under Delta^RM(Mbar): hull of the accepted thetas over all polyhedra.

    Test inversion on a grid (``grid_points`` points over ``theta_hat`` -/+ (20 sd + the
    identified set's half-width)), as HonestDiD does, then each end refined by bisection
    between its last accepted and first rejected grid point to 1e-9 of the grid width.
    Returns ``(lb, ub)`` (NaN, NaN when everything is rejected).
    """
    theta = float(lv @ b[num_pre:])
    sd = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    idlb, idub = honest_identified_set(b, num_pre, num_post, method="RM", M=Mbar, l_vec=lv)
    half = 20 * sd + max(theta - idlb, idub - theta, 0.0)
    tests = [_CLFTest(A, b, S, num_pre, lv, alpha, kappa, draws, seed + k)
             for k, A in enumerate(_rm_polyhedra(num_pre, num_post, Mbar))]

    def accepts(x):
        x = np.atleast_1d(x)
        out = np.zeros(len(x), bool)
        for t in tests:
            out |= t.accepts(x)
        return out

    for _ in range(6):  # widen the grid while the set touches its edge
        grid = np.linspace(theta - half, theta + half, grid_points)
        acc = accepts(grid)
        if not acc.any():
            return np.nan, np.nan
        if not (acc[0] or acc[-1]):
            break
        half *= 4
    else:
        return (-np.inf if acc[0] else float(grid[acc.argmax()]),
                np.inf if acc[-1] else float(grid[len(acc) - 1 - acc[::-1].argmax()]))
    i, j = int(acc.argmax()), len(acc) - 1 - int(acc[::-1].argmax())
    ends = []
    for inside, outside in ((grid[i], grid[i - 1]), (grid[j], grid[j + 1])):
        for _ in range(60):
            if abs(inside - outside) <= 1e-9 * (2 * half):
                break
            mid = 0.5 * (inside + outside)
            if accepts(mid)[0]:
                inside = mid
            else:
                outside = mid
        ends.append(float(inside))
    return ends[0], ends[1]


def honest(
    event: EventResult,
    *,
    method: str = "RM",
    grid=None,
    l_vec=None,
    alpha: float = 0.05,
    draws: int = 20000,
    seed: int = 0,
    kappa: float | None = None,
    grid_points: int = 1000,
) -> HonestResult:
    """Robust confidence sets of an event study under violations of parallel trends.

    Parameters
    ----------
    event : EventResult
        An event study with reference period -1 and the covariance of its
        coefficients (``did2s(...).event``, ``sunab(...).event``,
        ``event_study(...)``); see :func:`event_inputs`.
    method, grid, l_vec, alpha, draws, seed, kappa, grid_points
        As in :func:`honest_from_estimates`.

    Returns
    -------
    HonestResult
        ``tidy()`` is the sensitivity table, ``confint()`` the robust intervals.
    """
    res = honest_from_estimates(*event_inputs(event), method=method, grid=grid, l_vec=l_vec, alpha=alpha,
                                draws=draws, seed=seed, kappa=kappa, grid_points=grid_points)
    return dataclasses.replace(res, nobs=event.nobs)


def honest_from_estimates(
    betahat,
    sigma,
    num_pre: int,
    num_post: int,
    *,
    method: str = "RM",
    grid=None,
    l_vec=None,
    alpha: float = 0.05,
    draws: int = 20000,
    seed: int = 0,
    kappa: float | None = None,
    grid_points: int = 1000,
) -> HonestResult:
    """Robust confidence sets from event-study coefficients and their covariance (arrays).

    The defaults follow R's HonestDiD (``createSensitivityResults_relativeMagnitudes``
    and ``createSensitivityResults``): the conditional least-favourable hybrid (C-LF,
    ``kappa = alpha / 10``) for relative magnitudes and the optimal fixed-length CI
    (FLCI) for smoothness. Checked against the intervals published in HonestDiD's
    README for the Medicaid (ehec) event study (5 pre, 2 post periods, first post
    effect): all RM and SD ends agree to 1e-3 and the SD ends to 5e-5 of the printed,
    rounded values; and against diff-diff's FLCI (``diff_diff.honest_did``) to 1e-6.

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients without the reference period: the ``num_pre``
        pre-period coefficients (earliest first) then the ``num_post`` post ones.
    sigma : array-like
        Their covariance matrix.
    num_pre, num_post : int
        Number of pre and post coefficients.
    method : {"RM", "SD", "RM-LF"}
        ``"RM"``: relative magnitudes (grid of Mbar), C-LF confidence sets (HonestDiD's
        default). ``"SD"``: smoothness (grid of M), optimal FLCI (HonestDiD's
        default). ``"RM-LF"``: relative magnitudes with the least-favourable critical
        value for every polyhedron (valid, usually wider; smtext's default before C-LF).
    grid : array-like, optional
        Mbar (RM; default 0, 0.25, ..., 2) or M values (SD; default 10 values
        from 0 to twice the largest pre-period standard error).
    l_vec : array-like, optional
        Weights defining ``theta = l' tau_post`` (default: average post effect).
    alpha : float
        1 - coverage.
    draws, seed : int
        Monte Carlo draws and seed for the least-favourable critical values (RM and
        RM-LF; HonestDiD uses 1,000 draws, whose noise moves its C-LF ends by ~1e-4 here).
    kappa : float, optional
        Size of the least-favourable first stage of C-LF (default ``alpha / 10``).
    grid_points : int
        Points of the theta grid of the C-LF test inversion (HonestDiD's 1,000); the
        ends are then refined by bisection.

    Returns
    -------
    HonestResult
        ``tidy()`` has columns ``method, M, lb, ub``: first the original
        (parallel trends) CI ``l'b_post -/+ z * sd`` with ``M`` NaN, then one
        row per grid value. Empty robust sets are NaN.
    """
    check_option("method", method, ("RM", "SD", "RM-LF"))
    b, S, lv = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    kappa = alpha / 10 if kappa is None else float(kappa)
    if not 0 < kappa < alpha:
        raise SMError("SM563", f"kappa must lie strictly between 0 and alpha={alpha}; got {kappa}.",
                      "leave kappa unset for HonestDiD's alpha / 10.")
    if int(grid_points) < 10:
        raise SMError("SM563", f"grid_points must be at least 10; got {grid_points}.")
    z = stats.norm.ppf(1 - alpha / 2)
    theta = float(lv @ b[num_pre:])
    sd = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    rows = [("original", np.nan, theta - z * sd, theta + z * sd)]
    if grid is None:
        if method != "SD":
            grid = np.linspace(0, 2, 9)
        else:
            grid = np.linspace(0, 2 * np.sqrt(np.diag(S)[:num_pre]).max(), 10)
    for M in np.asarray(grid, dtype=float):
        if M < 0:
            raise SMError("SM563", f"grid values must be >= 0; got {M}.")
        if method == "SD":
            lb, ub = _flci_sd(b, S, num_pre, num_post, lv, M, alpha)
        elif method == "RM":
            lb, ub = _clf_interval(b, S, num_pre, num_post, lv, M, alpha, kappa, draws, seed, int(grid_points))
        else:
            ints = []
            for k, A in enumerate(_rm_polyhedra(num_pre, num_post, M)):
                c = _lf_critical_value(A, S, alpha, draws, seed + k)
                iv = _rm_interval(b, S, num_pre, num_post, lv, A, c)
                if iv is not None:
                    ints.append(iv)
            lb, ub = (min(i[0] for i in ints), max(i[1] for i in ints)) if ints else (np.nan, np.nan)
        rows.append((method, float(M), lb, ub))
    return HonestResult(table=pd.DataFrame(rows, columns=["method", "M", "lb", "ub"]), theta=theta, theta_se=sd,
                        method=method, alpha=alpha, num_pre=num_pre, num_post=num_post, l_vec=lv)


def honest_identified_set(betahat, num_pre: int, num_post: int, *, method: str, M: float,
                          l_vec=None) -> tuple[float, float]:
    """Identified set for ``l' tau_post`` given the true ``beta`` (no sampling error).

    Parameters
    ----------
    betahat : array-like
        True event-study coefficients, pre periods first (reference excluded).
    num_pre, num_post : int
        Number of pre and post coefficients.
    method : {"RM", "SD"}
        Relative magnitudes or smoothness.
    M : float
        The bound (Mbar for RM).
    l_vec : array-like, optional
        Weights defining ``theta`` (default: average post effect).

    Returns
    -------
    (lb, ub)
        ``l'b_post`` minus the max/min of ``l'delta_post`` over the
        restriction with ``delta_pre = b_pre`` (Rambachan-Roth Lemma 2.1).
    """
    check_option("method", method, ("RM", "SD"))
    b = np.asarray(betahat, float)
    k = num_pre + num_post
    S = np.zeros((k, k))
    lv = np.full(num_post, 1.0 / num_post) if l_vec is None else np.asarray(l_vec, float)
    if method == "RM":
        ints = [
            iv
            for A in _rm_polyhedra(num_pre, num_post, M)
            if (iv := _rm_interval(b, S, num_pre, num_post, lv, A, 0.0)) is not None
        ]
        return min(i[0] for i in ints), max(i[1] for i in ints)
    A = _second_diff_matrix(num_pre, num_post)
    A_ub = np.vstack([A, -A])
    b_ub = np.full(len(A_ub), M)
    bounds = [(v, v) for v in b[:num_pre]] + [(None, None)] * num_post
    c = np.concatenate([np.zeros(num_pre), lv])
    lo = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs").fun
    hi = -optimize.linprog(-c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs").fun
    theta = float(lv @ b[num_pre:])
    return theta - hi, theta - lo


def event_inputs(event: EventResult) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``(betahat, sigma, num_pre, num_post)`` for :func:`honest_from_estimates` from an event study.

    Parameters
    ----------
    event : EventResult
        An event study with reference period -1 whose ``vcov`` holds the
        covariance of the coefficients (``did2s(...).event``,
        ``sunab(...).event``, ``event_study(...)``).

    Returns
    -------
    betahat, sigma, num_pre, num_post
        Coefficients without the reference period (pre periods first) and
        their covariance.
    """
    vc = getattr(event, "vcov", None)
    if vc is None or event.base_period != -1:
        raise SMError(
            "SM563",
            "this event study has no coefficient covariance with reference period -1.",
            "use did2s(...).event, sunab(...).event or event_study(...), or call honest_from_estimates.",
        )
    t = event.tidy().set_index("rel_time")
    rel = [r for r in vc.index if r != -1]
    pre = [r for r in rel if r < -1]
    post = [r for r in rel if r >= 0]
    keep = pre + post
    return (
        t.loc[keep, "estimate"].to_numpy(),
        vc.loc[keep, keep].to_numpy(),
        len(pre),
        len(post),
    )
