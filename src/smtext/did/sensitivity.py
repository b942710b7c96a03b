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

Confidence sets for ``theta = l' tau_post``:

* SD: the fixed-length CI of Section 4.1 / Armstrong-Kolesar: the affine
  estimator ``l' b_post - w' b_pre`` whose worst-case bias over Delta^SD(M)
  is finite, with half-length ``sd(w) * cv_alpha(bias(w) / sd(w))`` minimised
  over w (``cv_alpha(r)`` = 1-alpha quantile of ``|N(r, 1)|``).
* RM: Delta^RM is a union of polyhedra ``A delta <= 0`` (one per pre-period
  change attaining the max and its sign); for each, the moment-inequality
  test of Andrews-Roth-Pakes with a least-favourable critical value ``c`` =
  1-alpha quantile of ``max_j Z_j / sigma_j``, ``Z ~ N(0, A Sigma A')``,
  inverted exactly: the set is ``{l' tau : A_post tau >= A b - c sigma}`` and
  its ends are two linear programs. The reported set is the hull of the union.
  This LF version is valid but can be wider than HonestDiD's conditional /
  hybrid test, which smtext does not implement.

:func:`honest` takes an event-study result (``did2s(...).event``,
``sunab(...).event``, ``event_study(...)``); :func:`honest_from_estimates`
is the same computation on arrays (coefficients and their covariance), for
event studies from elsewhere and for checks against published numbers.
"""

from __future__ import annotations

import dataclasses
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


def _flci_sd(b, S, num_pre, num_post, lv, M, alpha):
    """Fixed-length CI under Delta^SD(M): returns (lb, ub)."""
    t_pre = np.arange(-num_pre, 0, dtype=float)
    t_post = np.arange(1, num_post + 1, dtype=float)
    # finite bias needs the estimator to remove a linear trend: w't_pre = l't_post
    a_row, rhs = t_pre, float(lv @ t_post)
    w0 = a_row * rhs / (a_row @ a_row)
    N = np.linalg.svd(a_row[None, :])[2][1:].T  # null space of the constraint, num_pre x (num_pre-1)
    P = np.linalg.pinv(_second_diff_matrix(num_pre, num_post))

    def parts(u):
        w = w0 + (N @ u if N.shape[1] else 0.0)
        a = np.concatenate([-w, lv])
        sd = float(np.sqrt(max(a @ S @ a, 1e-300)))
        bias = M * _sd_bias_closed_form(w, lv, num_pre, num_post, P) if M > 0 else 0.0
        return w, a, sd, bias

    def half_length(u):
        _, _, sd, bias = parts(u)
        return sd * _cv_folded(bias / sd, alpha)

    if N.shape[1]:
        # start from the variance-minimising w (exact when M = 0), then polish
        Sa = S[:num_pre, :num_pre]
        Sb = S[:num_pre, num_pre:] @ lv
        # minimise (w0+Nu)' Sa (w0+Nu) - 2 (w0+Nu)' Sb
        u0 = np.linalg.lstsq(N.T @ Sa @ N, N.T @ (Sb - Sa @ w0), rcond=None)[0]
        best = optimize.minimize(half_length, u0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 600})
        u = best.x if best.fun <= half_length(u0) else u0
    else:
        u = np.zeros(0)
    _, a, sd, bias = parts(u)
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


def honest(
    event: EventResult,
    *,
    method: str = "RM",
    grid=None,
    l_vec=None,
    alpha: float = 0.05,
    draws: int = 20000,
    seed: int = 0,
) -> HonestResult:
    """Robust confidence sets of an event study under violations of parallel trends.

    Parameters
    ----------
    event : EventResult
        An event study with reference period -1 and the covariance of its
        coefficients (``did2s(...).event``, ``sunab(...).event``,
        ``event_study(...)``); see :func:`event_inputs`.
    method, grid, l_vec, alpha, draws, seed
        As in :func:`honest_from_estimates`.

    Returns
    -------
    HonestResult
        ``tidy()`` is the sensitivity table, ``confint()`` the robust intervals.
    """
    res = honest_from_estimates(*event_inputs(event), method=method, grid=grid, l_vec=l_vec, alpha=alpha,
                                draws=draws, seed=seed)
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
) -> HonestResult:
    """Robust confidence sets from event-study coefficients and their covariance (arrays).

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients without the reference period: the ``num_pre``
        pre-period coefficients (earliest first) then the ``num_post`` post ones.
    sigma : array-like
        Their covariance matrix.
    num_pre, num_post : int
        Number of pre and post coefficients.
    method : {"RM", "SD"}
        Relative magnitudes (grid of Mbar) or smoothness (grid of M).
    grid : array-like, optional
        Mbar (RM; default 0, 0.25, ..., 2) or M values (SD; default 10 values
        from 0 to twice the largest pre-period standard error).
    l_vec : array-like, optional
        Weights defining ``theta = l' tau_post`` (default: average post effect).
    alpha : float
        1 - coverage.
    draws, seed : int
        Monte Carlo draws and seed for the RM critical values.

    Returns
    -------
    HonestResult
        ``tidy()`` has columns ``method, M, lb, ub``: first the original
        (parallel trends) CI ``l'b_post -/+ z * sd`` with ``M`` NaN, then one
        row per grid value. Empty robust sets are NaN.
    """
    check_option("method", method, ("RM", "SD"))
    b, S, lv = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    z = stats.norm.ppf(1 - alpha / 2)
    theta = float(lv @ b[num_pre:])
    sd = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    rows = [("original", np.nan, theta - z * sd, theta + z * sd)]
    if grid is None:
        if method == "RM":
            grid = np.linspace(0, 2, 9)
        else:
            grid = np.linspace(0, 2 * np.sqrt(np.diag(S)[:num_pre]).max(), 10)
    for M in np.asarray(grid, dtype=float):
        if M < 0:
            raise SMError("SM563", f"grid values must be >= 0; got {M}.")
        if method == "SD":
            lb, ub = _flci_sd(b, S, num_pre, num_post, lv, M, alpha)
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
