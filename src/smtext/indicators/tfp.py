"""Production-function TFP: OLS, FE, Olley-Pakes, Levinsohn-Petrin, ACF, Wooldridge, system GMM.

Convention (all methods)
------------------------
Inputs are **logs** already (see :func:`log_inputs` to build them from a financial
panel in yuan). The model is ``y = b_f'free + b_s'state [+ b_m*proxy] + omega + eps``.
The returned ``omega`` is **log TFP including the constant and the transitory
shock**, ``omega_it = y_it - b_f'free_it - b_s'state_it [- b_m*proxy_it]``, for every
row of the input with finite ``y``, ``free`` and ``state`` (missing elsewhere). It is
what Stata's ``prodest`` then ``predict, residuals`` returns (``predict, exponential``
gives its exponential; prodest's ``predict, omega`` is a different quantity, phi minus
the fitted inputs, available only after ``fsresidual()``). Do not take the log of it
again: ``levpet``'s ``predict, omega`` returns the *level* exp(omega), which copied
do-files often log a second time.

Methods
-------
``ols``   pooled OLS with a constant (optionally year effects); firm-cluster SEs.
``fe``    within (firm fixed effects) estimator; firm-cluster SEs.
``op``    Olley & Pakes (1996): investment proxy; optional survival-probability
          correction (``attrition=True``).
``lp``    Levinsohn & Petrin (2003): intermediate-input proxy. ``output="value_added"``
          (default) or ``"gross"`` (the proxy is also an input; its coefficient is
          identified in stage 2 with the lagged proxy as instrument, like ``levpet,
          revenue``).
``acf``   Ackerberg, Caves & Frazer (2015): all coefficients in stage 2 with
          instruments (state_t, free_{t-1}).
``wrdg``  Wooldridge (2009) one-step GMM of the level and Markov equations sharing the
          elasticities and the control function ``h``; ``g`` a polynomial of degree
          ``g_degree`` in ``h_{t-1}`` (see :mod:`smtext.indicators.tfp_wrdg`).
``gmm``   Blundell & Bond (2000) system GMM of the dynamic (AR(1)) production
          function with collapsed lag instruments, two-step weights and the
          common-factor restrictions imposed by minimum distance
          (:mod:`smtext.indicators.tfp_gmm`).

Stage 2 of OP/LP minimises the sum of squared productivity innovations (as R/Stata
``prodest``); ACF and gross-output LP solve their moment conditions by GMM. The
nonlinear searches start from the OLS estimates plus ``n_starts - 1`` seeded random
perturbations and keep the lowest criterion. Lags are calendar lags: a gap year
removes the row from the lag-based stage, never borrows an older row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations_with_replacement

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import SMError, check_option, require_columns, warn
from ..panel import check_keys

__all__ = ["METHODS", "TFPGroupResult", "TFPResult", "estimate", "log_inputs", "poly_basis"]

METHODS = ("ols", "fe", "op", "lp", "acf", "wrdg", "gmm")


# ----------------------------------------------------------------- results

@dataclass(frozen=True)
class TFPResult:
    """Estimated production function and log TFP.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    coef : pandas.Series
        Output elasticities indexed by the input column names.
    se : pandas.Series
        Standard errors (bootstrap when ``bootstrap > 0``; firm-clustered analytic for
        ols/fe/wrdg/gmm otherwise; missing for op/lp/acf without bootstrap).
    omega : pandas.Series
        Log TFP per input row (index of the input), see the module convention.
    nobs : int
        Rows used in the final (coefficient-identifying) stage.
    boot : pandas.DataFrame or None
        Bootstrap draws of ``coef`` (one row per draw).
    info : dict
        Diagnostics: criterion, rows dropped and why, starts, persistence ``rho``.
    """

    method: str
    coef: pd.Series
    se: pd.Series
    omega: pd.Series
    nobs: int
    boot: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile bootstrap interval when draws exist, else normal ``coef +- z*se``."""
        a = (1 - level) / 2
        if self.boot is not None and len(self.boot):
            return pd.DataFrame({"lower": self.boot.quantile(a), "upper": self.boot.quantile(1 - a)})
        z = stats.norm.ppf(1 - a)
        return pd.DataFrame({"lower": self.coef - z * self.se, "upper": self.coef + z * self.se})

    def tidy(self) -> pd.DataFrame:
        """One row per input: ``term, estimate, std_error, conf_low, conf_high``."""
        ci = self.conf_int()
        return pd.DataFrame({"term": self.coef.index, "estimate": self.coef.to_numpy(),
                             "std_error": self.se.reindex(self.coef.index).to_numpy(),
                             "conf_low": ci["lower"].to_numpy(), "conf_high": ci["upper"].to_numpy()})

    def summary(self) -> str:
        """Plain-text table of the elasticities."""
        head = f"TFP ({self.method}), N = {self.nobs:,}"
        if self.boot is not None:
            head += f", {len(self.boot)} firm-cluster bootstrap draws"
        return head + "\n" + self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class TFPGroupResult:
    """Results of estimating separately by group (e.g. industry).

    ``coef`` and ``se`` are DataFrames (one row per group), ``omega`` is one Series
    over all input rows, ``results`` maps group -> :class:`TFPResult`, ``skipped`` maps
    groups that could not be estimated to the reason.
    """

    method: str
    coef: pd.DataFrame
    se: pd.DataFrame
    omega: pd.Series
    results: dict
    skipped: dict

    def tidy(self) -> pd.DataFrame:
        """Stacked tidy tables with a ``group`` column."""
        if not self.results:
            return pd.DataFrame(columns=["group", "term", "estimate", "std_error", "conf_low", "conf_high"])
        return pd.concat([r.tidy().assign(group=g) for g, r in self.results.items()], ignore_index=True)

    def summary(self) -> str:
        """Coefficient table by group."""
        return f"TFP ({self.method}) by group\n" + self.coef.to_string(float_format=lambda v: f"{v:.4f}")


# ----------------------------------------------------------------- helpers

def poly_basis(X: np.ndarray, degree: int) -> np.ndarray:
    """All monomials of the columns of ``X`` up to total ``degree``, with a constant first.

    Columns are standardized first; that leaves the spanned space (hence fitted
    values) unchanged and keeps cubic terms well conditioned.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    mu, sd = X.mean(axis=0), X.std(axis=0)
    Z = (X - mu) / np.where(sd > 0, sd, 1.0)
    if Z.shape[1] == 1:   # the stage-2 hot path: plain powers, same columns as below
        out = np.empty((len(Z), degree + 1))
        out[:, 0] = 1.0
        for d in range(1, degree + 1):
            out[:, d] = out[:, d - 1] * Z[:, 0]
        return out
    cols = [np.ones(len(Z))]
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(Z.shape[1]), d):
            cols.append(np.prod(Z[:, list(combo)], axis=1))
    return np.column_stack(cols)


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _resid_on(B: np.ndarray, v: np.ndarray) -> np.ndarray:
    return v - B @ _ols(B, v)


def _fit_on(B: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Fitted values of ``v`` on the columns of ``B`` by the normal equations.

    Used inside the stage-2 searches (thousands of calls): ``B`` is a standardized
    polynomial basis, so ``B'B`` is well conditioned and a Cholesky solve gives the same
    fit as the SVD in :func:`_ols` (to ~1e-12) at a seventh of the cost. Falls back to
    the SVD when ``B'B`` is singular (e.g. a constant regressor in a bootstrap draw).
    """
    A = B.T @ B
    try:
        c = np.linalg.cholesky(A)
        coef = np.linalg.solve(c.T, np.linalg.solve(c, B.T @ v))
        if np.isfinite(coef).all():
            return B @ coef
    except np.linalg.LinAlgError:
        pass
    return B @ _ols(B, v)


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


@dataclass
class _Panel:
    """Numeric arrays of the usable rows; ``lag`` is the row position of t-1 (-1 none)."""

    y: np.ndarray
    F: np.ndarray
    S: np.ndarray
    P: np.ndarray
    firm: np.ndarray
    year: np.ndarray
    lag: np.ndarray

    def take(self, rows: np.ndarray, new_firm: np.ndarray, new_lag: np.ndarray) -> _Panel:
        return _Panel(self.y[rows], self.F[rows], self.S[rows], self.P[rows], new_firm,
                      self.year[rows], new_lag)

    def lagged(self, a: np.ndarray) -> np.ndarray:
        out = np.full(a.shape, np.nan)
        ok = self.lag >= 0
        out[ok] = a[self.lag[ok]]
        return out


def _lag_positions(firm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Position of the same firm's row in ``year - 1`` (calendar lag), -1 if absent."""
    pos = pd.Series(np.arange(len(firm)), index=pd.MultiIndex.from_arrays([firm, year]))
    want = pd.MultiIndex.from_arrays([firm, year - 1])
    return pos.reindex(want).fillna(-1).to_numpy().astype(np.int64)


# ----------------------------------------------------------------- estimators
# Each core returns (coef vector, extra dict); coef order = free + state (+ proxy for gross LP).

def _fit_ols(p: _Panel, opts) -> tuple[np.ndarray, dict]:
    X = np.column_stack([p.F, p.S])
    D = _year_dummies(p.year) if opts["time_effects"] else np.empty((len(p.y), 0))
    Xf = np.column_stack([np.ones(len(p.y)), X, D])
    b = _ols(Xf, p.y)
    u = p.y - Xf @ b
    V = _cluster_vcov(Xf, u, p.firm)
    k = X.shape[1]
    return b[1:1 + k], {"se": np.sqrt(np.diag(V))[1:1 + k], "nobs": len(p.y)}


def _year_dummies(year: np.ndarray) -> np.ndarray:
    yrs = np.unique(year)
    return (year[:, None] == yrs[None, 1:]).astype(float)


def _demean(a: np.ndarray, codes: np.ndarray, ng: int) -> np.ndarray:
    a2 = a if a.ndim == 2 else a[:, None]
    sums = np.zeros((ng, a2.shape[1]))
    np.add.at(sums, codes, a2)
    cnt = np.bincount(codes, minlength=ng)[:, None]
    out = a2 - (sums / cnt)[codes]
    return out if a.ndim == 2 else out[:, 0]


def _fit_fe(p: _Panel, opts) -> tuple[np.ndarray, dict]:
    codes, inv = np.unique(p.firm, return_inverse=True)
    X = np.column_stack([p.F, p.S])
    k = X.shape[1]
    if opts["time_effects"]:
        X = np.column_stack([X, _year_dummies(p.year)])
    Xd = _demean(X, inv, len(codes))
    yd = _demean(p.y, inv, len(codes))
    b = _ols(Xd, yd)
    u = yd - Xd @ b
    V = _cluster_vcov(Xd, u, p.firm)  # FE nested in clusters: not counted in K (as xtreg/fixest)
    return b[:k], {"se": np.sqrt(np.diag(V))[:k], "nobs": len(p.y)}


def _multistart(fun, x0: np.ndarray, n_starts: int, rng: np.random.Generator, scale: float = 0.15):
    """Nelder-Mead from ``x0`` and seeded perturbations; the lowest criterion wins."""
    starts = [x0] + [x0 + rng.normal(0, scale, size=x0.shape) for _ in range(max(n_starts, 1) - 1)]
    best = None
    for s in starts:
        r = optimize.minimize(fun, s, method="Nelder-Mead",
                              options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000 * len(x0),
                                       "maxfev": 8000 * len(x0)})
        if best is None or r.fun < best.fun:
            best = r
    return best


def _survival_prob(p: _Panel, degree: int) -> np.ndarray:
    """OP attrition: P(firm still observed in t | state, proxy in t-1), assigned to row t."""
    last = p.year.max()
    nxt = np.full(len(p.y), -1)
    has_lag = p.lag >= 0
    nxt[p.lag[has_lag]] = np.nonzero(has_lag)[0]
    cand = (p.year < last) & np.isfinite(p.P)
    surv = (nxt >= 0).astype(float)
    if surv[cand].min() == surv[cand].max():
        raise SMError("SM415", "attrition=True but no firm leaves the panel (or every firm does).",
                      "estimate without attrition=True: there is no selection to correct.")
    import statsmodels.api as sm
    B = poly_basis(np.column_stack([p.S[cand], p.P[cand]]), min(degree, 2))
    mod = sm.Probit(surv[cand], B).fit(disp=0, maxiter=200)
    prob = np.full(len(p.y), np.nan)
    prob[cand] = mod.predict(B)
    return p.lagged(prob)


def _fit_oplp(p: _Panel, opts, rng) -> tuple[np.ndarray, dict]:
    gross = opts["gross"]   # OP and LP differ only in the proxy (and OP's attrition term)
    nf, ns = p.F.shape[1], p.S.shape[1]
    s1 = np.isfinite(p.P)
    B1 = poly_basis(np.column_stack([p.S[s1], p.P[s1]]), opts["poly_degree"])
    X1 = np.column_stack([p.F[s1], B1])
    b1 = _ols(X1, p.y[s1])
    bf = b1[:nf]
    phi = np.full(len(p.y), np.nan)
    phi[s1] = B1 @ b1[nf:]
    ystar = p.y - p.F @ bf
    X = np.column_stack([p.S, p.P]) if gross else p.S
    Xl = p.lagged(X)
    phil = p.lagged(phi)
    prob = _survival_prob(p, opts["poly_degree"]) if opts["attrition"] else None
    s2 = np.isfinite(phil) & np.isfinite(Xl).all(axis=1) & np.isfinite(ystar) & np.isfinite(phi)
    if gross:
        s2 &= np.isfinite(p.P)
    if prob is not None:
        s2 &= np.isfinite(prob)
    if s2.sum() < 10 * (X.shape[1] + opts["g_degree"] + 2):
        raise SMError("SM410", f"only {int(s2.sum())} firm-years have the lags stage 2 needs.",
                      "use a longer panel or a simpler method (ols, fe).")
    ys, Xs, Xls, ph, phl = ystar[s2], X[s2], Xl[s2], phi[s2], phil[s2]
    pr = prob[s2] if prob is not None else None
    Z = np.column_stack([p.S[s2], Xl[s2][:, ns:]]) if gross else None   # state_t, proxy_{t-1}
    W = np.linalg.inv(Z.T @ Z / len(ys)) if gross else None

    def xi_of(b):
        w = ph - Xs @ b          # phi = state'b_s [+ b_m*proxy] + omega, so w is omega

        wl = phl - Xls @ b
        G = poly_basis(wl if pr is None else np.column_stack([wl, pr]), opts["g_degree"])
        return ys - Xs @ b - _fit_on(G, w)

    def crit(b):
        xi = xi_of(b)
        if not gross:
            return float(xi @ xi) / len(xi)
        m = Z.T @ xi / len(xi)
        return float(m @ W @ m)

    x0 = _ols(np.column_stack([np.ones(len(ys)), Xs]), ys)[1:]
    if opts.get("x0") is not None:   # bootstrap draws start at the full-sample estimate
        x0 = np.asarray(opts["x0"], float)[nf:]
    best = _multistart(crit, x0, opts["n_starts"], rng)
    b = best.x
    w = ph - Xs @ b
    wl = phl - Xls @ b
    rho = float(np.polyfit(wl, w, 1)[0])
    return np.concatenate([bf, b]), {"nobs": int(s2.sum()), "criterion": float(best.fun),
                                     "converged": bool(best.success), "rho": rho,
                                     "n_stage1": int(s1.sum())}


def _fit_acf(p: _Panel, opts, rng) -> tuple[np.ndarray, dict]:
    nf = p.F.shape[1]
    s1 = np.isfinite(p.P)
    B1 = poly_basis(np.column_stack([p.F[s1], p.S[s1], p.P[s1]]), opts["poly_degree"])
    phi = np.full(len(p.y), np.nan)
    phi[s1] = B1 @ _ols(B1, p.y[s1])
    X = np.column_stack([p.F, p.S])
    Xl = p.lagged(X)
    phil = p.lagged(phi)
    s2 = np.isfinite(phil) & np.isfinite(phi) & np.isfinite(Xl).all(axis=1)
    if s2.sum() < 10 * (X.shape[1] + opts["g_degree"] + 2):
        raise SMError("SM410", f"only {int(s2.sum())} firm-years have the lags ACF's stage 2 needs.",
                      "use a longer panel or a simpler method (ols, fe).")
    Xs, Xls, ph, phl = X[s2], Xl[s2], phi[s2], phil[s2]
    Z = np.column_stack([p.S[s2], Xls[:, :nf]])   # state_t and free_{t-1}
    if opts["acf_overid"]:
        # squares and cross-products of the instruments are valid instruments too; they
        # tell apart the several roots that the just-identified moments often have
        Z = poly_basis(Z, 2)[:, 1:]
    n = len(ph)
    W = np.linalg.inv(Z.T @ Z / n)

    def crit(b):
        w = ph - Xs @ b
        wl = phl - Xls @ b
        G = poly_basis(wl, opts["g_degree"])
        xi = w - _fit_on(G, w)
        m = Z.T @ xi / n
        return float(m @ W @ m)

    x0 = _ols(np.column_stack([np.ones(n), Xs]), p.y[s2])[1:]
    if opts.get("x0") is not None:   # bootstrap draws start at the full-sample estimate
        x0 = np.asarray(opts["x0"], float)
    best = _multistart(crit, x0, opts["n_starts"], rng)
    b = best.x
    rho = float(np.polyfit(phl - Xls @ b, ph - Xs @ b, 1)[0])
    return b, {"nobs": int(n), "criterion": float(best.fun), "converged": bool(best.success),
               "rho": rho, "n_stage1": int(s1.sum())}


def _one_blas_thread():
    """Context that keeps BLAS single-threaded.

    The stage-2 searches make thousands of small BLAS calls (dot products and n x 4
    Gram matrices). A multi-threaded BLAS wakes its threads for each call; on a busy
    machine that costs 1-10 ms per call, 10-100x the work itself (measured: a 20,000-row
    dot product 4 ms with 2 OpenBLAS threads on a loaded 2-core box vs 0.03 ms with 1).
    Parallelism comes from bootstrap workers instead.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _fit(method: str, p: _Panel, opts, rng) -> tuple[np.ndarray, dict]:
    with _one_blas_thread():
        return _fit_any(method, p, opts, rng)


def _fit_any(method: str, p: _Panel, opts, rng) -> tuple[np.ndarray, dict]:
    if method == "ols":
        return _fit_ols(p, opts)
    if method == "fe":
        return _fit_fe(p, opts)
    if method in ("op", "lp"):
        return _fit_oplp(p, dict(opts, method=method), rng)
    if method == "acf":
        return _fit_acf(p, opts, rng)
    if method == "wrdg":
        from .tfp_wrdg import fit_wrdg

        return fit_wrdg(p, opts, rng)
    from .tfp_gmm import fit_gmm

    return fit_gmm(p, opts)


# ----------------------------------------------------------------- bootstrap

def _boot_chunk(method, p: _Panel, opts, seeds, blocks):
    starts, lens, _ = blocks
    out = []
    for ss in seeds:
        rng = np.random.default_rng(ss)
        draw = rng.integers(0, len(starts), len(starts))
        rows = np.concatenate([np.arange(starts[d], starts[d] + lens[d]) for d in draw])
        new_start = np.repeat(np.cumsum(np.concatenate([[0], lens[draw][:-1]])), lens[draw])
        new_firm = np.repeat(np.arange(len(draw)), lens[draw])   # a firm drawn twice is two firms
        old_lag = p.lag[rows]
        new_lag = np.where(old_lag >= 0, old_lag - starts[p.firm_code[rows]] + new_start, -1)
        q = p.take(rows, new_firm, new_lag)
        try:
            b, _ = _fit(method, q, opts, rng)
        except (SMError, np.linalg.LinAlgError, ValueError):
            b = np.full(len(opts["names"]), np.nan)
        out.append(b)
    return out


def _bootstrap(method, p: _Panel, opts, B: int, seed: int, n_jobs: int) -> np.ndarray:
    order = np.lexsort((p.year, p.firm))
    if not np.array_equal(order, np.arange(len(order))):
        raise AssertionError("panel rows must be sorted by firm, year")  # _prepare guarantees it
    _, inv = np.unique(p.firm, return_inverse=True)
    lens = np.bincount(inv)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    p.firm_code = inv
    seeds = np.random.SeedSequence(seed).spawn(B)    # draw b is the same whatever n_jobs is
    chunks = [seeds[i::n_jobs] for i in range(n_jobs)] if n_jobs > 1 else [seeds]
    if n_jobs > 1:
        from joblib import Parallel, delayed
        res = Parallel(n_jobs=n_jobs)(delayed(_boot_chunk)(method, p, opts, c, (starts, lens, None))
                                      for c in chunks)
        draws = [None] * B
        for i, r in enumerate(res):
            for j, b in enumerate(r):
                draws[i + j * n_jobs] = b
    else:
        draws = _boot_chunk(method, p, opts, seeds, (starts, lens, None))
    return np.vstack(draws)


# ----------------------------------------------------------------- public API

def _as_list(x) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def estimate(data: pd.DataFrame, method: str, *, y: str, free, state, proxy: str | None = None,
             idname: str = "stkcd", tname: str = "year", poly_degree: int = 3, g_degree: int = 3,
             output: str = "value_added", attrition: bool = False, time_effects: bool = False,
             gmm_lags: tuple[int, int] = (3, 4), by: str | None = None, bootstrap: int = 0, seed: int = 0,
             n_starts: int = 3, n_jobs: int = 1, min_obs: int = 50, acf_overid: bool = True):
    """Estimate a Cobb-Douglas production function and log TFP.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel with unique (``idname``, ``tname``); inputs in logs.
    method : {"ols", "fe", "op", "lp", "acf", "wrdg", "gmm"}
        Estimator, see the module docstring.
    y : str
        Log output (value added, or revenue with ``output="gross"``).
    free : str or list of str
        Freely chosen inputs (log labour).
    state : str or list of str
        State inputs (log capital).
    proxy : str, optional
        Proxy for productivity: log investment (OP) or log materials (LP, ACF, WRDG).
        Required for op, lp, acf, wrdg.
    idname, tname : str
        Firm and year columns.
    poly_degree : int
        Degree of the stage-1 polynomial (control function); 3 as Stata ``prodest``.
    g_degree : int
        Degree of the productivity law of motion ``g`` in stage 2.
    output : {"value_added", "gross"}
        Only for ``lp``: gross output makes the proxy an input whose elasticity is
        reported under the proxy's column name.
    attrition : bool
        Only for ``op``: add the survival probability to ``g`` (Olley-Pakes selection).
    time_effects : bool
        Year effects for ols/fe (dummies) and gmm (cross-sectional demeaning).
    gmm_lags : (int, int)
        First and last lag of the levels instrumenting the differenced equation in
        system GMM (``xtabond2``'s ``lag(a b)``). The default (3, 4) allows the MA(1)
        error that measurement error in output creates in the dynamic model
        (Blundell & Bond 2000 use t-3); use (2, 3) when output is measured exactly.
    by : str, optional
        Column to estimate separately by (e.g. ``"industry"``); returns a
        :class:`TFPGroupResult`. Groups with fewer than ``min_obs`` usable rows are skipped
        (SM416 warning) and get missing omega.
    bootstrap : int
        Firm-cluster bootstrap draws (0 = none).
    seed : int
        Seeds the multi-start perturbations and the bootstrap; same seed, same output.
    n_starts : int
        Starting points of the nonlinear searches for the point estimate (the OLS estimate
        plus seeded perturbations). Bootstrap draws start once, from the point estimate.
    n_jobs : int
        Worker processes for the bootstrap; results do not depend on it.
    min_obs : int
        Smallest usable sample (per group with ``by``).
    acf_overid : bool
        ACF only: use the quadratic polynomial in (state_t, free_{t-1}) as instruments
        instead of the just-identifying (state_t, free_{t-1}). Just-identified ACF moments
        often have several exact roots (on simulated data we found three, only one near the
        truth) and the answer then depends on the start; the extra valid moments pick the
        right one. ``False`` reproduces ``prodest``'s just-identified ACF.

    Returns
    -------
    TFPResult or TFPGroupResult
        ``.coef`` is a Series indexed by the input column names (free, state, and the
        proxy for gross-output LP); ``.omega`` is log TFP aligned to ``data.index``.

    Raises
    ------
    SMError
        SM001 missing columns, SM002 bad option, SM401 duplicate keys, SM410 too few
        usable rows, SM415 attrition without exits.
    """
    check_option("method", method, METHODS)
    check_option("output", output, ("value_added", "gross"))
    if output == "gross" and method != "lp":
        raise SMError("SM002", f"output='gross' is implemented for method='lp' only, not {method!r}.",
                      "use value added, or method='lp' for gross output.")
    if attrition and method != "op":
        raise SMError("SM002", "attrition=True applies to method='op' only.")
    free, state = _as_list(free), _as_list(state)
    if not free or not state:
        raise SMError("SM411", "a production function needs at least one free and one state input.",
                      "pass free='l' and state='k' (log labour, log capital).")
    if method in ("op", "lp", "acf", "wrdg") and proxy is None:
        raise SMError("SM411", f"method={method!r} needs a proxy column.",
                      "pass proxy= log investment (op) or log materials (lp, acf, wrdg).")
    cols = [y] + free + state + ([proxy] if proxy else []) + ([by] if by else [])
    require_columns(data, [idname, tname] + cols, "production panel")
    check_keys(data, idname, tname)
    if by is not None:
        return _by_group(data, method, by, y=y, free=free, state=state, proxy=proxy, idname=idname,
                         tname=tname, poly_degree=poly_degree, g_degree=g_degree, output=output,
                         attrition=attrition, time_effects=time_effects, gmm_lags=gmm_lags, acf_overid=acf_overid,
                         bootstrap=bootstrap, seed=seed, n_starts=n_starts, n_jobs=n_jobs, min_obs=min_obs)

    d = data.sort_values([idname, tname])
    num = d[[y] + free + state].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(num).all(axis=1)
    n_bad = int((~usable).sum())
    if n_bad:
        warn("SM412", f"{n_bad} of {len(d)} rows have a missing or infinite {[y] + free + state} "
                      "(log of zero?); they get no TFP and are left out of estimation.",
             "check the inputs were positive before taking logs.")
    du = d.loc[usable]
    if len(du) < min_obs:
        raise SMError("SM410", f"only {len(du)} usable firm-years (need {min_obs}).",
                      "use more data or lower min_obs.")
    P = (pd.to_numeric(du[proxy], errors="coerce").to_numpy(dtype=float) if proxy
         else np.full(len(du), np.nan))
    n_badp = int((~np.isfinite(P)).sum()) if proxy else 0
    P = np.where(np.isfinite(P), P, np.nan)
    if n_badp and method in ("op", "lp", "acf", "wrdg"):
        warn("SM413", f"{n_badp} usable rows have a missing or non-finite proxy {proxy!r} "
                      "(zero investment?); they are left out of the proxy stages but still get TFP.",
             None)
    firm = pd.factorize(du[idname])[0]
    year = du[tname].to_numpy().astype(np.int64)
    p = _Panel(du[y].to_numpy(float), du[free].to_numpy(float), du[state].to_numpy(float), P,
               firm, year, _lag_positions(firm, year))
    names = free + state + ([proxy] if output == "gross" else [])
    opts = {"poly_degree": int(poly_degree), "g_degree": int(g_degree), "gross": output == "gross",
            "attrition": bool(attrition), "time_effects": bool(time_effects), "gmm_lags": (int(gmm_lags[0]), int(gmm_lags[1])),
            "n_starts": int(n_starts), "names": names, "acf_overid": bool(acf_overid)}
    rng = np.random.default_rng(seed)
    b, extra = _fit(method, p, opts, rng)
    se = extra.pop("se", np.full(len(names), np.nan))
    boot = None
    if bootstrap:
        # draws start from the full-sample estimate; extra random starts there only re-find
        # the same local minimum (the point estimate already searched globally)
        draws = _bootstrap(method, p, dict(opts, x0=b, n_starts=1), int(bootstrap), seed, max(int(n_jobs), 1))
        n_fail = int(np.isnan(draws).any(axis=1).sum())
        if n_fail:
            warn("SM414", f"{n_fail} of {bootstrap} bootstrap draws failed and are ignored.")
        boot = pd.DataFrame(draws, columns=names).dropna()
        se = boot.std(ddof=1).to_numpy()
    Xall = data[names].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    omega = pd.Series(pd.to_numeric(data[y], errors="coerce").to_numpy(float) - Xall @ b,
                      index=data.index, name=f"tfp_{method}")
    omega[~np.isfinite(omega)] = np.nan
    extra.update({"n_input": len(data), "n_dropped_missing_inputs": n_bad,
                  "n_missing_proxy": n_badp, "seed": seed, "n_starts": n_starts,
                  "poly_degree": poly_degree, "g_degree": g_degree, "output": output})
    nobs = int(extra.pop("nobs"))
    return TFPResult(method, pd.Series(b, index=names, name="coef"), pd.Series(se, index=names, name="se"),
                     omega, nobs, boot, extra)


def _by_group(data, method, by, **kw) -> TFPGroupResult:
    omega = pd.Series(np.nan, index=data.index, name=f"tfp_{method}")
    results, skipped = {}, {}
    for g, sub in data.groupby(by, sort=True, dropna=False):
        try:
            r = estimate(sub, method, by=None, **kw)
        except SMError as e:
            if e.code != "SM410":
                raise
            skipped[g] = str(e)
            continue
        results[g] = r
        omega.loc[sub.index] = r.omega
    if skipped:
        warn("SM416", f"{len(skipped)} group(s) of {by!r} were too small to estimate and get no TFP: "
                      f"{list(skipped)[:10]}.", "pool small industries (e.g. by CSRC section) first.")
    coef = pd.DataFrame({g: r.coef for g, r in results.items()}).T
    se = pd.DataFrame({g: r.se for g, r in results.items()}).T
    coef.index.name = se.index.name = by
    return TFPGroupResult(method, coef, se, omega, results, skipped)


def log_inputs(fin: pd.DataFrame, *, output: str = "value_added", labour: str = "employees",
               capital: str = "fixed_assets_net", materials: str = "cash_paid_goods",
               investment: str = "investment", prefix: str = "ln_") -> pd.DataFrame:
    """Natural logs of the production inputs of a financial panel (money in yuan).

    Non-positive values get missing logs (not -inf), and an SM412 warning counts them.

    Returns
    -------
    pandas.DataFrame
        A copy of ``fin`` with ``ln_<column>`` for each input.
    """
    cols = [output, labour, capital, materials, investment]
    require_columns(fin, cols, "financial panel")
    out = fin.copy()
    for c in cols:
        v = pd.to_numeric(fin[c], errors="coerce").to_numpy(float)
        bad = ~(v > 0)
        if bad.any():
            warn("SM412", f"{int(bad.sum())} rows have a non-positive or missing {c!r}; its log is missing.")
        with np.errstate(divide="ignore", invalid="ignore"):
            out[prefix + c] = np.where(bad, np.nan, np.log(np.where(bad, 1.0, v)))
    return out
