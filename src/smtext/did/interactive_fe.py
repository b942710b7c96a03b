"""Interactive fixed effects (Bai 2009) with controls and additive fixed effects, as used for DID in paper 004.

Bai, J. (2009). "Panel data models with interactive fixed effects."
Econometrica 77(4), 1229-1279. Number of factors by Bai and Ng (2002)
"Determining the number of factors in approximate factor models."
Econometrica 70(1), 191-221 (criteria IC_p1, IC_p2, IC_p3).

Model ``y_it = x_it' b + (additive FE) + l_i' f_t + e_it``: the additive part
is the unit and period effects (``additive_fe``) plus any further fixed
effects (``fe=["industry^year", "province^year"]``, Bai 2009 Sec. 9 with
high-dimensional FE). The least-squares problem over the observed cells is
solved by block coordinate descent, each step lowering the sum of squared
residuals:

1. given the factor part ``G = L F'``, ``b`` and the additive FE are OLS of
   ``y - G`` on ``x`` with the FE absorbed (exact FWL projection);
2. given ``b`` and the FE, ``G`` is the rank-r principal-component fit of the
   residual matrix ``W``; on an unbalanced panel the missing cells of ``W``
   are filled with the current ``G`` before the fit (the EM algorithm of
   Stock and Watson 2002, App. A, as in Gobillon and Magnac 2016 and the
   ``ife``/EM estimators of gsynth and fect).

On a balanced panel without extra FE this is Bai's iteration on the two-way
demeaned data. Standard errors use Bai's projected regressors (Theorem 3):
``x`` with the additive FE, the unit loadings on ``F`` and the period
coefficients on ``L`` projected out (alternating projections over the
observed cells; ``M_L X_k M_F`` on a balanced panel), in a cluster sandwich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.did._prepare import as_tuple, check_unique, fe_columns, prepare
from smtext.did._results import RegResult
from smtext.errors import SMError, check_option, warn

from ._fe import FEProjector, fe_codes

__all__ = ["ife"]

CRITERIA = ("IC_p1", "IC_p2", "IC_p3")
#: fewest units observed in every period on which the factor number is chosen (unbalanced panels)
MIN_BALANCED_UNITS = 20


def _factors(W: np.ndarray, r: int):
    """Principal-component factors F (T x r, F'F/T = I) and loadings L (N x r) of a full matrix."""
    T = W.shape[1]
    if r == 0:
        return np.zeros((T, 0)), np.zeros((W.shape[0], 0))
    _, vecs = np.linalg.eigh(W.T @ W)
    F = vecs[:, ::-1][:, :r] * np.sqrt(T)
    L = W @ F / T
    return F, L


class _Panel:
    """Observed cells of the N x T grid, the FE projector and the regressors (already projected)."""

    def __init__(self, df, yname, xs, tname, idname, specs):
        self.unit, units = pd.factorize(df[idname], sort=True)
        self.time, times = pd.factorize(df[tname], sort=True)
        self.N, self.T = len(units), len(times)
        self.y = df[yname].to_numpy(float)
        self.X = df[list(xs)].to_numpy(float)
        self.proj = FEProjector(fe_codes(df, specs)) if specs else None
        self.Xr = self.resid(self.X)

    def resid(self, v):
        return v if self.proj is None else self.proj.residualise(v)

    def grid(self, values, fill):
        M = fill.copy()
        M[self.unit, self.time] = values
        return M


def _fit(p: _Panel, r: int, tol: float, max_iter: int):
    """Block coordinate descent / EM for given r; returns beta, F, L, residuals and iterations."""
    XtX_inv = np.linalg.pinv(p.Xr.T @ p.Xr)
    G_full = np.zeros((p.N, p.T))
    beta = XtX_inv @ p.Xr.T @ p.resid(p.y)
    F, L = _factors(np.zeros((p.N, p.T)), r)
    ssr_old = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        g = G_full[p.unit, p.time]
        ry = p.resid(p.y - g)
        beta_new = XtX_inv @ p.Xr.T @ ry
        # W on the observed cells = y - x b - additive FE = M(y - g - x b) + g
        w = ry - p.Xr @ beta_new + g
        if r == 0:
            beta = beta_new
            break
        F, L = _factors(p.grid(w, G_full), r)   # EM: missing cells hold the current fit
        G_full = L @ F.T
        ssr = float(np.sum((w - G_full[p.unit, p.time]) ** 2))
        done = np.max(np.abs(beta_new - beta)) < tol and abs(ssr_old - ssr) <= tol * max(ssr, 1.0)
        beta, ssr_old = beta_new, ssr
        if done:
            break
    else:
        warn("SM566", f"ife(): the iteration did not converge in {max_iter} steps (r={r}).", "raise max_iter.",
             stacklevel=3)
    g = G_full[p.unit, p.time]
    ry = p.resid(p.y - g)
    beta = XtX_inv @ p.Xr.T @ ry          # the coefficients that go with the final factor fit
    return beta, F, L, ry - p.Xr @ beta, it


def _project_out(p: _Panel, F, L, tol=1e-12, max_iter=10_000):
    """Regressors with the additive FE, unit loadings on F and period coefficients on L removed.

    Alternating projections over the observed cells converge to the projection on the
    orthogonal complement of the sum of the three spaces (von Neumann).
    """
    Z = p.Xr.copy()
    if F.shape[1] == 0:
        return Z
    r = F.shape[1]
    Fo, Lo = F[p.time], L[p.unit]                       # n x r, the factor / loading of each cell

    def by_group(Z, R, codes, n_groups):
        # per-group OLS of Z on R (r columns) and its residual, batched
        G = np.zeros((n_groups, r, r))
        np.add.at(G, codes, R[:, :, None] * R[:, None, :])
        B = np.zeros((n_groups, r, Z.shape[1]))
        np.add.at(B, codes, R[:, :, None] * Z[:, None, :])
        coef = np.linalg.pinv(G) @ B                    # n_groups x r x k
        return Z - np.einsum("nr,nrk->nk", R, coef[codes])

    for _ in range(max_iter):
        Z_old = Z
        Z = by_group(Z, Fo, p.unit, p.N)
        Z = by_group(Z, Lo, p.time, p.T)
        Z = p.resid(Z)
        if np.max(np.abs(Z - Z_old)) < tol * max(1.0, np.max(np.abs(Z))):
            break
    return Z


def ife(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    dname: str,
    *,
    controls=(),
    fe=(),
    r="auto",
    r_max: int = 5,
    criterion: str = "IC_p2",
    additive_fe: bool = True,
    cluster: str | None = None,
    tol: float = 1e-9,
    max_iter: int = 20_000,
) -> RegResult:
    """Interactive fixed-effects regression (Bai 2009) with controls and additive fixed effects.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, balanced or not (one row per unit and period).
    yname : str
        Outcome.
    tname, idname : str
        Period and unit columns.
    dname : str
        The DID treatment (first regressor).
    controls : str or sequence of str
        Further regressors.
    fe : sequence of str
        Additive fixed effects besides the unit and period ones, e.g.
        ``["industry^year", "province^year"]``.
    r : int or "auto"
        Number of factors; ``"auto"`` picks 0..r_max by ``criterion`` (the
        choice and every criterion value are in ``extra``; a choice of 0 is
        warned about, SM586).
    r_max : int
        Largest number of factors tried with ``"auto"``.
    criterion : {"IC_p1", "IC_p2", "IC_p3"}
        Bai-Ng (2002) information criterion ``ln V(k) + k g(N, T)`` with
        ``V(k)`` the mean squared residual. On an unbalanced panel it is
        computed on the units observed in every period (at least 20 of them,
        else SM585), where it is valid; the chosen r is then fitted on the
        whole panel.
    additive_fe : bool
        Include unit and period effects.
    cluster : str, optional
        Cluster variable of the sandwich (default: the unit).
    tol, max_iter : float, int
        Convergence of the iteration (coefficient change and relative SSR change).

    Returns
    -------
    RegResult
        Coefficients of ``dname`` and the controls (normal reference);
        ``extra`` has the number of factors, how it was chosen, the criterion
        values, the iterations and the number of missing cells imputed.

    Raises
    ------
    SMError
        SM567 for a treatment without variation after the fixed effects or an
        impossible ``r`` (a control without variation is omitted with warning
        SM502 and named in ``extra``); SM551 for duplicate unit-periods; SM585 for a period
        with no more observed cells than factors, or too few units observed
        in every period to choose ``r``. Units observed in ``r`` periods or
        fewer are dropped with warning SM585 (counted in ``extra``).
    """
    check_option("criterion", criterion, CRITERIA)
    xs = [dname, *as_tuple(controls)]
    cl = cluster or idname
    specs = ((idname, tname) if additive_fe else ()) + tuple(as_tuple(fe))
    df = prepare(data, [yname, *xs, idname, tname, *fe_columns(as_tuple(fe)), cl], "panel")
    check_unique(df, idname, tname)
    df = df.sort_values([idname, tname], kind="stable").reset_index(drop=True)
    p = _Panel(df, yname, xs, tname, idname, specs)
    flat = np.sqrt((p.Xr**2).sum(axis=0)) < 1e-8 * np.sqrt((p.X**2).sum(axis=0)).clip(1e-300)
    if flat[0]:
        raise SMError("SM567", f"{dname!r} has no variation left after removing the fixed effects.",
                      "check the treatment against the fixed effects.")
    omitted = [x for x, f in zip(xs, flat) if f]
    if omitted:
        # as the TWFE routes do: a control absorbed by the fixed effects is omitted, said, and recorded
        warn("SM502", f"ife(): control(s) {omitted} have no variation left after removing the fixed effects "
                      "and are omitted.", stacklevel=2)
        xs = [x for x in xs if x not in omitted]
        p = _Panel(df, yname, xs, tname, idname, specs)
    n = len(df)
    missing = p.N * p.T - n
    if missing:
        warn("SM587", f"ife(): unbalanced panel, {missing} of {p.N * p.T} unit-period cells are missing; the factor "
                      "part is fitted by EM (missing cells imputed by the current factor fit, never used as data).",
             stacklevel=2)

    ic = {}
    how = "fixed by the user"
    if r == "auto":
        # Bai-Ng is derived for a balanced panel; on an unbalanced one the EM fit of the missing
        # cells makes extra factors look cheap, so the criterion is computed on the units
        # observed in every period, and r is then used on the whole panel
        q, where = p, ""
        if missing:
            full = np.flatnonzero(np.bincount(p.unit, minlength=p.N) == p.T)
            if len(full) < MIN_BALANCED_UNITS:
                raise SMError("SM585", f"ife(r='auto'): only {len(full)} units are observed in every period; the "
                                       f"Bai-Ng criterion needs at least {MIN_BALANCED_UNITS} of them.",
                              "fix the number of factors yourself (r=1, 2, ...).")
            q = _Panel(df[np.isin(p.unit, full)], yname, xs, tname, idname, specs)
            where = f" on the {len(full)} units observed in every period"
        k_max = min(int(r_max), q.T - 1)
        nq = q.N * q.T
        C2 = min(q.N, q.T)
        pen = {"IC_p1": (q.N + q.T) / nq * np.log(nq / (q.N + q.T)),
               "IC_p2": (q.N + q.T) / nq * np.log(C2),
               "IC_p3": np.log(C2) / C2}[criterion]
        for k in range(k_max + 1):
            *_, resid, _ = _fit(q, k, tol, max_iter)
            ic[k] = float(np.log(np.mean(resid**2)) + k * pen)
        r = min(ic, key=ic.get)
        how = f"Bai-Ng {criterion} over 0..{k_max}{where}"
        if r == k_max and k_max < q.T - 1:
            warn("SM586", f"ife(): {criterion} chose the largest number of factors tried (r_max={k_max}).",
                 "raise r_max, or fix r yourself.", stacklevel=2)
        if r == 0:
            warn("SM586", f"ife(): {criterion} chose 0 factors; the estimate is the additive-FE regression.",
                 "fix r yourself if you want the interactive part.", stacklevel=2)
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 0 <= int(r) < p.T:
        raise SMError("SM567", f"r={r!r} factors is not possible with {p.T} periods.",
                      "choose a whole number 0 <= r < T, or r='auto'.")
    r = int(r)
    n_thin = 0
    per_unit = np.bincount(p.unit, minlength=p.N)
    if r and per_unit.min() <= r:
        # a unit seen in r periods or fewer has loadings that fit its cells exactly: it carries
        # no information on b, and is dropped (said and recorded)
        thin = per_unit <= r
        n_thin = int(thin.sum())
        warn("SM585", f"ife(): dropped {n_thin} of {p.N} units observed in {r} periods or fewer "
                      f"({int(thin[p.unit].sum())} rows): with r={r} factors their loadings are not identified.",
             stacklevel=2)
        df = df[~thin[p.unit]].reset_index(drop=True)
        p = _Panel(df, yname, xs, tname, idname, specs)
        n = len(df)
        missing = p.N * p.T - n
    per_time = np.bincount(p.time, minlength=p.T)
    if r and per_time.min() <= r:
        raise SMError("SM585", f"ife(): with r={r} factors every period needs more than {r} observed cells; the "
                               f"thinnest period has {per_time.min()}.", "use fewer factors or drop that period.")
    beta, F, L, resid, iters = _fit(p, r, tol, max_iter)

    # Bai (2009) Theorem 3: projected regressors in a cluster sandwich
    Z = _project_out(p, F, L)
    codes = pd.factorize(df[cl])[0]
    S = np.zeros((codes.max() + 1, len(xs)))
    np.add.at(S, codes, Z * resid[:, None])
    Dinv = np.linalg.inv(Z.T @ Z)
    V = Dinv @ (S.T @ S) @ Dinv
    extra = {"factors": r, "factors chosen by": how, "iterations": iters}
    if ic:
        extra[criterion] = "; ".join(f"r={k}: {v:.4f}" for k, v in ic.items())
    if missing:
        extra["missing cells imputed (EM)"] = missing
    if omitted:
        extra["omitted (no variation after FE)"] = ", ".join(omitted)
    if n_thin:
        extra[f"units dropped (<= {r} periods)"] = n_thin
    return RegResult.from_estimates(
        pd.Series(beta, index=xs),
        pd.Series(np.sqrt(np.diag(V)), index=xs),
        nobs=n,
        depvar=yname,
        method="interactive FE (Bai 2009)",
        fe=specs,
        controls=tuple(xs[1:]),
        vcov_label=f"cluster: {cl}",
        extra=extra,
    )
