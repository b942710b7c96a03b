"""Stochastic production frontier by maximum likelihood, and capacity utilisation as technical efficiency.

``ln y_it = x_it'b + v_it - u_it`` with noise ``v ~ N(0, sigma_v^2)`` and inefficiency ``u >= 0``:

* ``distribution="half_normal"``: ``u ~ N+(0, sigma_u^2)`` (Aigner, Lovell & Schmidt 1977);
* ``distribution="truncated_normal"``: ``u ~ N+(mu, sigma_u^2)`` (Stevenson 1980);
* ``panel="bc92"``: ``u_it = exp(-eta (t - T_i)) u_i`` with one ``u_i`` per firm (Battese & Coelli
  1992, time-varying decay; ``T_i`` the firm's last year, as Stata's ``xtfrontier, tvd``);
  ``panel="bc88"``: ``eta = 0``, time-invariant ``u_i`` (Battese & Coelli 1988, Pitt & Lee 1981).

Every variant is one likelihood: the observations of a group (a firm in a panel model, one row
otherwise) share one draw ``u_i``, and ``u_i`` integrates out in closed form because
``u_i | eps_i ~ N+(mu*_i, sigma*_i^2)``. Technical efficiency (capacity utilisation,
observed over frontier output) is reported two ways: ``te_bc = E[exp(-u_it) | eps_i]`` (Battese &
Coelli 1988, the conditional mean of efficiency itself; the default ``efficiency`` column) and
``te_jlms = exp(-E[u_it | eps_i])`` (Jondrow, Lovell, Materov & Schmidt 1982).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import log_ndtr

from ..errors import SMError, check_option, require_columns, warn

__all__ = ["FrontierResult", "stochastic_frontier"]

_LOG2PI = np.log(2 * np.pi)


@dataclass
class FrontierResult:
    """A fitted stochastic frontier.

    Attributes
    ----------
    params : pandas.Series
        Frontier coefficients (``const`` first), ``sigma_v``, ``sigma_u`` and, when estimated,
        ``mu`` and ``eta``.
    se : pandas.Series
        Standard errors from the inverse numerical Hessian of the log-likelihood (delta method for
        ``sigma_v`` and ``sigma_u``, estimated on the log scale).
    loglik : float
    efficiency : pandas.DataFrame
        Per used row (index of the input): ``u_jlms`` (``E[u|eps]``), ``te_jlms``, ``te_bc`` and
        ``efficiency`` (= ``te_bc``).
    n_dropped : int
        Rows left out for missing or infinite values.
    """

    params: pd.Series
    se: pd.Series
    loglik: float
    distribution: str
    panel: str | None
    nobs: int
    n_groups: int
    converged: bool
    efficiency: pd.DataFrame
    n_dropped: int = 0
    info: dict = field(default_factory=dict)


def _unpack(theta: np.ndarray, k: int, truncated: bool, decay: bool):
    beta = theta[:k]
    sv, su = np.exp(theta[k]), np.exp(theta[k + 1])
    j = k + 2
    mu = theta[j] if truncated else 0.0
    eta = theta[j + int(truncated)] if decay else 0.0
    return beta, sv, su, mu, eta


def _posterior(eps, h, g, sv, su, mu):
    """``mu*_i, sigma*_i`` of ``u_i | eps_i`` and the sums the likelihood needs (``g``: group codes)."""
    s_he = np.bincount(g, weights=h * eps)
    s_hh = np.bincount(g, weights=h * h)
    denom = sv ** 2 + su ** 2 * s_hh
    mu_star = (mu * sv ** 2 - su ** 2 * s_he) / denom
    sig_star = su * sv / np.sqrt(denom)
    return mu_star, sig_star, s_hh


def _negloglik(theta, y, X, g, dt, k, truncated, decay):
    beta, sv, su, mu, eta = _unpack(theta, k, truncated, decay)
    eps = y - X @ beta
    h = np.exp(-eta * dt)
    mu_star, sig_star, _ = _posterior(eps, h, g, sv, su, mu)
    n_i = np.bincount(g)
    c = np.bincount(g, weights=eps * eps) / sv ** 2 + mu ** 2 / su ** 2
    ll = (-0.5 * n_i * (_LOG2PI + 2 * np.log(sv)) - np.log(su) - log_ndtr(mu / su) + np.log(sig_star)
          + log_ndtr(mu_star / sig_star) - 0.5 * (c - (mu_star / sig_star) ** 2))
    return -ll.sum()


def stochastic_frontier(data: pd.DataFrame, y: str, x: list[str], *, distribution: str = "half_normal",
                        panel: str | None = None, idname: str = "stkcd", tname: str = "year",
                        start: dict | None = None, maxiter: int = 2000) -> FrontierResult:
    """Fit ``y = const + x'b + v - u`` by maximum likelihood and estimate each row's efficiency.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to fit; ``y`` and ``x`` already in logs for a Cobb-Douglas frontier.
    y : str
        Log output.
    x : list of str
        Log inputs (a constant is added).
    distribution : {"half_normal", "truncated_normal"}
        Distribution of the inefficiency ``u``.
    panel : {None, "bc88", "bc92"}
        Cross-section (every row its own ``u``), time-invariant firm inefficiency, or Battese-Coelli
        (1992) time-varying decay ``exp(-eta (t - T_i))``.
    idname, tname : str
        Firm and year columns (panel models).
    start : dict, optional
        Starting values by parameter name (``const``, the inputs, ``sigma_v``, ``sigma_u``, ``mu``,
        ``eta``); by default OLS with the intercept shifted up by the mean half-normal draw.
    maxiter : int
        Iterations of the BFGS search.

    Returns
    -------
    FrontierResult
        Raises SM483 when the data cannot identify the model; warns SM484 when the search does not
        converge and SM485 when the OLS residuals skew the wrong way (no inefficiency to find).
    """
    check_option("distribution", distribution, ("half_normal", "truncated_normal"))
    check_option("panel", panel, (None, "bc88", "bc92"))
    cols = [y, *x] + ([idname, tname] if panel else [])
    require_columns(data, cols, "frontier data")
    vals = data[[y, *x]].apply(pd.to_numeric, errors="coerce")
    ok = np.isfinite(vals.to_numpy(float)).all(axis=1)
    if panel:
        ok &= data[[idname, tname]].notna().all(axis=1).to_numpy()
    n_dropped = int((~ok).sum())
    if n_dropped:
        warn("SM486", f"{n_dropped} of {len(data)} rows have a missing or infinite {cols} and are left out of the "
                      "frontier (their efficiency is missing).", "fill or drop them; take logs of positive values only.")
    d = data.loc[ok]
    truncated, decay = distribution == "truncated_normal", panel == "bc92"
    X = np.column_stack([np.ones(len(d)), vals.loc[ok].drop(columns=y).to_numpy(float)])
    yv = vals.loc[ok, y].to_numpy(float)
    names = ["const", *x]
    k = X.shape[1]
    if len(d) <= k + 2 + truncated + decay or np.linalg.matrix_rank(X) < k:
        raise SMError("SM483", f"{len(d)} usable rows cannot identify a frontier in {names} "
                               "(too few rows or collinear inputs).", "use more rows or fewer inputs.")
    if panel:
        g_codes, groups = pd.factorize(d[idname], sort=True)
        dt = (d[tname] - d.groupby(idname)[tname].transform("max")).to_numpy(float)
        dup = d.duplicated([idname, tname])
        if dup.any():
            raise SMError("SM401", f"{int(dup.sum())} firm-years repeat in the frontier data.",
                          "keep one row per firm and year.")
    else:
        g_codes, groups = np.arange(len(d)), np.arange(len(d))
        dt = np.zeros(len(d))

    beta_ols, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ beta_ols
    skew = float(np.mean((resid - resid.mean()) ** 3))
    if skew > 0:
        warn("SM485", "the OLS residuals skew to the right: the data show no one-sided inefficiency, so sigma_u "
                      "goes to zero and every efficiency to one.", "check the output and input columns (a cost "
                                                                   "function is not a production frontier).")
    s = resid.std()
    init = {n: b for n, b in zip(names, beta_ols)}
    init["const"] += s * 0.8 * np.sqrt(2 / np.pi)
    init.update(sigma_v=s * 0.6, sigma_u=s * 0.8, mu=0.0, eta=0.0)
    init.update(start or {})
    theta0 = np.r_[[init[n] for n in names], np.log(init["sigma_v"]), np.log(init["sigma_u"])]
    if truncated:
        theta0 = np.r_[theta0, init["mu"]]
    if decay:
        theta0 = np.r_[theta0, init["eta"]]
    args = (yv, X, g_codes, dt, k, truncated, decay)
    res = optimize.minimize(_negloglik, theta0, args=args, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-7})
    if not res.success:   # BFGS stops on precision loss near the optimum; polish with Nelder-Mead from there
        res2 = optimize.minimize(_negloglik, res.x, args=args, method="Nelder-Mead",
                                 options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-10})
        res = res2 if res2.fun <= res.fun else res
    converged = bool(res.success)
    if not converged:
        warn("SM484", f"the frontier's likelihood search did not converge ({res.message}).",
             "try start values, another distribution, or fewer inputs.")
    theta = res.x
    beta, sv, su, mu, eta = _unpack(theta, k, truncated, decay)
    pnames = names + ["sigma_v", "sigma_u"] + (["mu"] if truncated else []) + (["eta"] if decay else [])
    params = pd.Series(np.r_[beta, sv, su, [mu] if truncated else [], [eta] if decay else []], index=pnames)
    se = _standard_errors(theta, args, k, pnames)

    eps = yv - X @ beta
    h = np.exp(-eta * dt)
    mu_star, sig_star, _ = _posterior(eps, h, g_codes, sv, su, mu)
    ms, ss = mu_star[g_codes], sig_star[g_codes]
    z = ms / ss
    mills = np.exp(-0.5 * z ** 2 - 0.5 * _LOG2PI - log_ndtr(z))
    u_hat = h * (ms + ss * mills)
    te_bc = np.exp(-h * ms + 0.5 * (h * ss) ** 2 + log_ndtr(z - h * ss) - log_ndtr(z))
    eff = pd.DataFrame({"u_jlms": u_hat, "te_jlms": np.exp(-u_hat), "te_bc": te_bc, "efficiency": te_bc},
                       index=d.index)
    return FrontierResult(params=params, se=se, loglik=float(-res.fun), distribution=distribution, panel=panel,
                          nobs=len(d), n_groups=len(groups), converged=converged, efficiency=eff,
                          n_dropped=n_dropped, info={"iterations": int(res.nit), "message": str(res.message),
                                                     "ols_residual_third_moment": skew})


def _standard_errors(theta, args, k, pnames) -> pd.Series:
    """Inverse numerical Hessian of the negative log-likelihood; sigmas by the delta method."""
    from statsmodels.tools.numdiff import approx_hess

    try:
        cov = np.linalg.inv(approx_hess(theta, _negloglik, args=args))
    except np.linalg.LinAlgError:
        return pd.Series(np.nan, index=pnames)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    se[k:k + 2] *= np.exp(theta[k:k + 2])   # d exp(a) / da = exp(a)
    return pd.Series(se, index=pnames)
