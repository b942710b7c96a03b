"""Control-function (proxy) estimators: Olley-Pakes, Levinsohn-Petrin and Ackerberg-Caves-Frazer.

Stage 1 regresses output on the free inputs and a polynomial in the state input and the
proxy (investment for OP, materials for LP; for ACF a polynomial in all inputs and the
proxy) to get ``phi``; stage 2 finds the
elasticities whose implied productivity ``omega = phi - b'x`` follows a Markov process
``omega_t = g(omega_{t-1}) + xi_t``, ``g`` a polynomial of degree ``g_degree``.

Stage 2 of OP/LP minimises the sum of squared productivity innovations (as R/Stata
``prodest``); ACF and gross-output LP solve their moment conditions by GMM. The
nonlinear searches start from the OLS estimates plus ``n_starts - 1`` seeded random
perturbations and keep the lowest criterion. ACF solves the just-identified moments by
default, as Stata and R ``prodest`` and statspai do. They can have several exact roots;
every root the starts reach is reported and the estimate is picked by
:func:`_pick_root`'s rule (SM417 warns when the starts reach more than one):

* ``acf_start="ols"`` (default, Stata ``prodest``): the root reached from the OLS
  estimates of output on the inputs (else the root nearest them);
* ``acf_start="stage1"`` (statspai; R ``prodest`` also starts from its stage-1
  coefficients, plus noise): the root nearest the linear coefficients of the inputs in
  the raw stage-1 polynomial.

Where there is one root (the Chilean panel of the prodest packages) both rules return it.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np

from ...errors import NotIdentified, SMError, warn
from ._common import Panel, ols, poly_basis

#: A point solves the just-identified ACF moments when the criterion, relative to the
#: mean squared innovation (the uncentred R^2 of xi on the instruments), is below this:
#: exact roots reach 1e-18 and below, the non-root local minima seen stay above 1e-6.
ACF_ROOT_TOL = 1e-10
#: Roots whose coefficients differ by less than this (max absolute difference) are one.
ACF_ROOT_DISTINCT = 1e-4
#: Spread (standard deviation) of the seeded extra starts of the ACF root search around
#: the OLS start; roots of the cubic moments lie several tenths apart.
ACF_ROOT_SCALE = 0.5


def _fit_on(B: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Fitted values of ``v`` on the columns of ``B`` by the normal equations.

    Used inside the stage-2 searches (thousands of calls): ``B`` is a standardized
    polynomial basis, so ``B'B`` is well conditioned and a Cholesky solve gives the same
    fit as the SVD in :func:`ols` (to ~1e-12) at a seventh of the cost. Falls back to
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
    return B @ ols(B, v)


def _searches(fun, x0: np.ndarray, n_starts: int, rng: np.random.Generator, scale: float = 0.15) -> list:
    """Nelder-Mead from ``x0`` and from ``n_starts - 1`` seeded perturbations, in that order."""
    # scipy on use only: importing the package (e.g. for METHODS) stays light
    from scipy import optimize

    starts = [x0] + [x0 + rng.normal(0, scale, size=x0.shape) for _ in range(max(n_starts, 1) - 1)]
    return [optimize.minimize(fun, s, method="Nelder-Mead",
                              options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000 * len(x0),
                                       "maxfev": 8000 * len(x0)}) for s in starts]


def _multistart(fun, x0: np.ndarray, n_starts: int, rng: np.random.Generator, scale: float = 0.15):
    """Nelder-Mead from ``x0`` and seeded perturbations; the lowest criterion wins."""
    return min(_searches(fun, x0, n_starts, rng, scale), key=lambda r: r.fun)


def _survival_prob(p: Panel, degree: int) -> np.ndarray:
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


def fit_oplp(p: Panel, opts, rng) -> tuple[np.ndarray, dict]:
    """Olley-Pakes or Levinsohn-Petrin on a prepared panel (the proxy is ``p.P``).

    Parameters
    ----------
    p : Panel
        Usable rows with calendar-lag positions.
    opts : dict
        ``poly_degree``, ``g_degree``, ``n_starts``, ``gross`` (gross-output LP: the
        proxy is an input too), ``attrition`` (OP survival correction), optional ``x0``.
    rng : numpy.random.Generator
        Seeds the perturbed starts.

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` (``+ proxy`` for gross output) and diagnostics
        (``nobs``, ``criterion``, ``converged``, ``rho``, ``n_stage1``).
    """
    gross = opts["gross"]   # OP and LP differ only in the proxy (and OP's attrition term)
    nf, ns = p.F.shape[1], p.S.shape[1]
    s1 = np.isfinite(p.P)
    B1 = poly_basis(np.column_stack([p.S[s1], p.P[s1]]), opts["poly_degree"])
    X1 = np.column_stack([p.F[s1], B1])
    b1 = ols(X1, p.y[s1])
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
        raise NotIdentified("SM410", f"only {int(s2.sum())} firm-years have the lags stage 2 needs.",
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

    x0 = ols(np.column_stack([np.ones(len(ys)), Xs]), ys)[1:]
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


def _stage1_linear(p: Panel, s1: np.ndarray, degree: int) -> np.ndarray:
    """Linear coefficients of free and state inputs in the raw stage-1 polynomial (statspai's start).

    The polynomial is in raw (unstandardized) monomials of (free, state, proxy) with a
    constant, fitted by least squares, as statspai's ``ackerberg_caves_frazer``; the
    coefficients of the degree-1 terms of the inputs are its starting values.
    """
    X = np.column_stack([p.F[s1], p.S[s1], p.P[s1]])
    k = p.F.shape[1] + p.S.shape[1]
    cols, lin = [np.ones(len(X))], {}
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(X.shape[1]), d):
            if d == 1:
                lin[combo[0]] = len(cols)
            cols.append(np.prod(X[:, list(combo)], axis=1))
    y = p.y[s1]
    b = np.linalg.lstsq(np.column_stack(cols), y - y.mean(), rcond=None)[0]
    return np.array([b[lin[j]] for j in range(k)])


def fit_acf(p: Panel, opts, rng) -> tuple[np.ndarray, dict]:
    """Ackerberg-Caves-Frazer on a prepared panel: every elasticity in stage 2, by GMM.

    The search starts at ``x0`` plus ``n_starts - 1`` seeded random perturbations;
    ``x0`` is the OLS estimate of output on the inputs over the rows of stage 1 (Stata
    ``prodest``'s ``acf`` option; ``acf_start="ols"``) or the inputs' linear coefficients
    in the raw stage-1 polynomial (statspai; ``acf_start="stage1"``).
    With the quadratic instruments (``acf_overid``) the lowest criterion wins. With the
    just-identified moments (the default) every start that ends on an exact root
    (relative criterion below :data:`ACF_ROOT_TOL`) is a root; distinct roots are listed
    in ``roots`` and :func:`_pick_root` returns the one the reference implementation of
    that start returns; SM417 warns when the starts reach more than one root.

    Parameters
    ----------
    p : Panel
        Usable rows with calendar-lag positions.
    opts : dict
        ``poly_degree``, ``g_degree``, ``n_starts``, ``acf_overid`` (quadratic instruments),
        ``acf_start`` (``"ols"`` or ``"stage1"``), optional ``x0`` (start, e.g. for the
        bootstrap draws) and ``names`` (coefficient names for ``roots``).
    rng : numpy.random.Generator
        Seeds the perturbed starts.

    Returns
    -------
    (numpy.ndarray, dict)
        Elasticities of ``free + state`` and diagnostics (``nobs``, ``criterion``,
        ``converged``, ``rho``, ``n_stage1``, ``start``; just-identified: ``roots``, a
        DataFrame with one row per distinct root: coefficients, ``criterion``,
        ``rel_criterion``, ``n_starts`` reaching it and ``returned``).
    """
    nf = p.F.shape[1]
    s1 = np.isfinite(p.P)
    B1 = poly_basis(np.column_stack([p.F[s1], p.S[s1], p.P[s1]]), opts["poly_degree"])
    phi = np.full(len(p.y), np.nan)
    phi[s1] = B1 @ ols(B1, p.y[s1])
    X = np.column_stack([p.F, p.S])
    Xl = p.lagged(X)
    phil = p.lagged(phi)
    s2 = np.isfinite(phil) & np.isfinite(phi) & np.isfinite(Xl).all(axis=1)
    if s2.sum() < 10 * (X.shape[1] + opts["g_degree"] + 2):
        raise NotIdentified("SM410", f"only {int(s2.sum())} firm-years have the lags ACF's stage 2 needs.",
                      "use a longer panel or a simpler method (ols, fe).")
    Xs, Xls, ph, phl = X[s2], Xl[s2], phi[s2], phil[s2]
    Z = np.column_stack([p.S[s2], Xls[:, :nf]])   # state_t and free_{t-1}
    if opts["acf_overid"]:
        # squares and cross-products of the instruments are valid instruments too; they
        # tell apart the several roots that the just-identified moments often have
        Z = poly_basis(Z, 2)[:, 1:]
    n = len(ph)
    W = np.linalg.inv(Z.T @ Z / n)

    def xi_of(b):
        w = ph - Xs @ b
        G = poly_basis(phl - Xls @ b, opts["g_degree"])
        return w - _fit_on(G, w)

    def crit(b):
        m = Z.T @ xi_of(b) / n
        return float(m @ W @ m)

    def rel_crit(b, c):
        # m'Wm over mean(xi^2): the uncentred R^2 of xi on the instruments, scale-free
        xi = xi_of(b)
        return c / max(float(xi @ xi) / n, np.finfo(float).tiny)

    start = opts.get("acf_start", "ols")
    if start == "stage1":   # statspai: the inputs' terms in the raw stage-1 polynomial
        x0 = _stage1_linear(p, s1, opts["poly_degree"])
    else:                   # Stata prodest: OLS of output on the inputs over the stage-1 rows
        x0 = ols(np.column_stack([np.ones(int(s1.sum())), X[s1]]), p.y[s1])[1:]
    if opts.get("x0") is not None:   # bootstrap draws start at the full-sample estimate
        x0 = np.asarray(opts["x0"], float)
    extra = {"start": x0.copy()}
    if opts["acf_overid"]:
        best = _multistart(crit, x0, opts["n_starts"], rng)
    else:
        runs = _searches(crit, x0, opts["n_starts"], rng, scale=ACF_ROOT_SCALE)
        best, roots = _pick_root(runs, rel_crit, x0, opts.get("names"), nearest=start == "stage1")
        extra["roots"] = roots
        if len(roots) > 1:
            ret = roots[roots["returned"]].iloc[0]
            others = roots[~roots["returned"]]
            names = [c for c in roots.columns if c not in ("criterion", "rel_criterion", "n_starts", "returned")]
            fmt = lambda r: "(" + ", ".join(f"{r[c]:.4f}" for c in names) + ")"
            how = ("nearest the stage-1 coefficients" if start == "stage1" else "reached from the OLS start")
            warn("SM417", f"the just-identified ACF moments have {len(roots)} distinct roots among "
                          f"{len(runs)} starts: returned {fmt(ret)}, {how}; also "
                          f"{'; '.join(fmt(r) for _, r in others.iterrows())}. All are in result.roots.",
                 "prefer the root with economically sensible elasticities, or use acf_overid=True, "
                 "whose extra moments usually single one out.", stacklevel=5)
    b = best.x
    rho = float(np.polyfit(phl - Xls @ b, ph - Xs @ b, 1)[0])
    extra.update({"nobs": int(n), "criterion": float(best.fun), "converged": bool(best.success),
                  "rho": rho, "n_stage1": int(s1.sum())})
    return b, extra


def _pick_root(runs: list, rel_crit, x0: np.ndarray, names, nearest: bool = False) -> tuple:
    """The search to report among ``runs`` (the first started at ``x0``) and the distinct roots.

    A run is a root when its relative criterion is below :data:`ACF_ROOT_TOL`; runs within
    :data:`ACF_ROOT_DISTINCT` of a root already listed join it. The returned run is the
    first one when it is a root (a local search from the start, as Stata ``prodest``),
    else the root nearest ``x0``; with ``nearest`` it is always the root nearest ``x0``
    (Euclidean, as statspai); with no root at all, the lowest criterion.
    """
    import pandas as pd

    k = len(x0)
    names = list(names) if names is not None and len(names) == k else [f"b{j}" for j in range(k)]
    roots: list[list] = []   # [x, crit, rel, hits, run index]
    for i, r in enumerate(runs):
        rel = rel_crit(r.x, float(r.fun))
        if not (np.isfinite(r.fun) and rel < ACF_ROOT_TOL):
            continue
        for rt in roots:
            if np.max(np.abs(rt[0] - r.x)) < ACF_ROOT_DISTINCT:
                rt[3] += 1
                if r.fun < rt[1] and rt[4] != 0:   # keep the OLS-start run as the representative
                    rt[0], rt[1], rt[2], rt[4] = r.x, float(r.fun), rel, i
                break
        else:
            roots.append([r.x, float(r.fun), rel, 1, i])
    if roots:
        first = [] if nearest else [rt for rt in roots if rt[4] == 0]
        pick = first[0] if first else min(roots, key=lambda rt: float(np.linalg.norm(rt[0] - x0)))
        best = runs[pick[4]]
    else:
        pick, best = None, min(runs, key=lambda r: r.fun)
    table = pd.DataFrame([list(rt[0]) + [rt[1], rt[2], rt[3], rt is pick] for rt in roots],
                         columns=names + ["criterion", "rel_criterion", "n_starts", "returned"])
    table["returned"] = table["returned"].astype(bool)
    return best, table
