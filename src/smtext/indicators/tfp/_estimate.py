"""The TFP entry points: :func:`estimate` (method dispatch, by-group loop, bootstrap) and :func:`log_inputs`."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ...errors import NotIdentified, SMError, check_option, require_columns, warn
from ...panel import check_keys
from ._bootstrap import cluster_bootstrap
from ._common import Panel, prepare
from ._results import TFPGroupResult, TFPResult
from .gmm import fit_gmm
from .linear import fit_fe, fit_ols
from .proxy import fit_acf, fit_oplp
from .wooldridge import fit_wrdg

#: Every estimator :func:`estimate` knows (see :mod:`smtext.indicators.tfp`).
METHODS = ("ols", "fe", "op", "lp", "acf", "wrdg", "gmm")

#: The estimators a study spec may list under ``measures: tfp: methods`` and the demo job
#: runs, in the demo's order: LP (the usual headline measure), OP, ACF, then the OLS and FE
#: benchmarks. Wooldridge and system GMM are not offered there (the studies' TFP stage has
#: proxy defaults for op, lp and acf only).
STUDY_METHODS = ("lp", "op", "acf", "ols", "fe")

_PROXY_METHODS = ("op", "lp", "acf", "wrdg")


# ----------------------------------------------------------------- dispatch

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


def _fit(method: str, p: Panel, opts, rng) -> tuple[np.ndarray, dict]:
    with _one_blas_thread():
        return _fit_any(method, p, opts, rng)


def _fit_any(method: str, p: Panel, opts, rng) -> tuple[np.ndarray, dict]:
    # each returns (coef vector, extra dict); coef order = free + state (+ proxy for gross LP)
    if method == "ols":
        return fit_ols(p, opts)
    if method == "fe":
        return fit_fe(p, opts)
    if method in ("op", "lp"):   # they differ in the proxy column only (and OP's attrition)
        return fit_oplp(p, opts, rng)
    if method == "acf":
        return fit_acf(p, opts, rng)
    if method == "wrdg":
        return fit_wrdg(p, opts, rng)
    return fit_gmm(p, opts)


# ----------------------------------------------------------------- public API

def _as_list(x) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def estimate(data: pd.DataFrame, method: str, *, y: str, free, state, proxy: str | None = None,
             idname: str = "stkcd", tname: str = "year", poly_degree: int = 3, g_degree: int = 3,
             output: str = "value_added", attrition: bool = False, time_effects: bool = False,
             gmm_lags: tuple[int, int] = (3, 4), by: str | None = None, bootstrap: int = 0, seed: int = 0,
             n_starts: int = 3, n_jobs: int = 1, min_obs: int = 50, acf_overid: bool = False,
             acf_start: str = "ols"):
    """Estimate a Cobb-Douglas production function and log TFP.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel with unique (``idname``, ``tname``); inputs in logs.
    method : {"ols", "fe", "op", "lp", "acf", "wrdg", "gmm"}
        Estimator, see :mod:`smtext.indicators.tfp` (every name in :data:`METHODS`).
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
        For the just-identified ACF (the default) the starts search for other roots: all
        are in ``result.roots`` (with their criteria), the estimate is picked by the
        ``acf_start`` rule, and SM417 warns when there is more than one.
    n_jobs : int
        Worker processes for the bootstrap; results do not depend on it.
    min_obs : int
        Smallest usable sample (per group with ``by``).
    acf_overid : bool
        ACF only. ``False`` (default): the just-identified moments in (state_t, free_{t-1}),
        as Stata and R ``prodest`` and statspai. ``True``: the quadratic
        polynomial in (state_t, free_{t-1}) as instruments, lowest criterion wins. The
        just-identified moments can have several exact roots (three on the simulated panel
        of the tests, one near the truth) and the answer then depends on the start; the
        extra valid moments usually single out the right one.
    acf_start : {"ols", "stage1"}
        ACF only: the start, and with the just-identified moments the root returned.
        ``"ols"`` (default, Stata ``prodest``): start from the OLS estimates of output on
        the inputs; return the root the search from there reaches (else the root nearest
        them). ``"stage1"`` (statspai): start from the inputs' linear
        coefficients in the raw stage-1 polynomial; return the root nearest them. Both
        return the same estimate when the moments have one root.

    Returns
    -------
    TFPResult or TFPGroupResult
        ``.coef`` is a Series indexed by the input column names (free, state, and the
        proxy for gross-output LP); ``.omega`` is log TFP aligned to ``data.index``.

    Raises
    ------
    SMError
        SM001 missing columns, SM002 bad option, SM401 duplicate keys, SM410 too few
        usable rows, SM415 attrition without exits. Warns SM417 when the just-identified
        ACF moments have several roots among the starts.
    """
    check_option("method", method, METHODS)
    check_option("output", output, ("value_added", "gross"))
    check_option("acf_start", acf_start, ("ols", "stage1"))
    if output == "gross" and method != "lp":
        raise SMError("SM002", f"output='gross' is implemented for method='lp' only, not {method!r}.",
                      "use value added, or method='lp' for gross output.")
    if attrition and method != "op":
        raise SMError("SM002", "attrition=True applies to method='op' only.")
    free, state = _as_list(free), _as_list(state)
    if not free or not state:
        raise SMError("SM411", "a production function needs at least one free and one state input.",
                      "pass free='l' and state='k' (log labour, log capital).")
    if method in _PROXY_METHODS and proxy is None:
        raise SMError("SM411", f"method={method!r} needs a proxy column.",
                      "pass proxy= log investment (op) or log materials (lp, acf, wrdg).")
    cols = [y] + free + state + ([proxy] if proxy else []) + ([by] if by else [])
    require_columns(data, [idname, tname] + cols, "production panel")
    check_keys(data, idname, tname)
    if by is not None:
        return _by_group(data, method, by, y=y, free=free, state=state, proxy=proxy, idname=idname,
                         tname=tname, poly_degree=poly_degree, g_degree=g_degree, output=output,
                         attrition=attrition, time_effects=time_effects, gmm_lags=gmm_lags, acf_overid=acf_overid,
                         acf_start=acf_start, bootstrap=bootstrap, seed=seed, n_starts=n_starts, n_jobs=n_jobs, min_obs=min_obs)

    p, n_bad, n_badp = prepare(data, y=y, free=free, state=state, proxy=proxy, idname=idname, tname=tname,
                               min_obs=min_obs, uses_proxy=method in _PROXY_METHODS)
    names = free + state + ([proxy] if output == "gross" else [])
    opts = {"poly_degree": int(poly_degree), "g_degree": int(g_degree), "gross": output == "gross",
            "attrition": bool(attrition), "time_effects": bool(time_effects), "gmm_lags": (int(gmm_lags[0]), int(gmm_lags[1])),
            "n_starts": int(n_starts), "names": names, "acf_overid": bool(acf_overid),
            "acf_start": acf_start}
    rng = np.random.default_rng(seed)
    b, extra = _fit(method, p, opts, rng)
    se = extra.pop("se", np.full(len(names), np.nan))
    boot = None
    if bootstrap:
        # draws start from the full-sample estimate; extra random starts there only re-find
        # the same local minimum (the point estimate already searched globally)
        draws = cluster_bootstrap(partial(_fit, method), p, dict(opts, x0=b, n_starts=1), int(bootstrap), seed,
                                  max(int(n_jobs), 1))
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
        except NotIdentified as e:   # too few firm-years in this group: report it, estimate the others
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

    Parameters
    ----------
    fin : pandas.DataFrame
        Financial panel with the five columns below.
    output, labour, capital, materials, investment : str
        Value added (or revenue), employees, net fixed assets, materials (cash paid for
        goods and services) and investment columns.
    prefix : str
        Prefix of the new log columns.

    Returns
    -------
    pandas.DataFrame
        A copy of ``fin`` with ``<prefix><column>`` for each input.
    """
    return log_columns(fin, [output, labour, capital, materials, investment], prefix=prefix)


def log_columns(data: pd.DataFrame, columns, *, prefix: str = "ln_", what: str = "financial panel") -> pd.DataFrame:
    """``<prefix><column>`` = natural log of each of ``columns``; non-positive or missing values
    get a missing log (not -inf), counted in an SM412 warning.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : sequence of str
        Level columns (money in yuan, counts).
    prefix : str
        Prefix of the new log columns.
    what : str
        Name of the table in the SM001 message when a column is missing.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the log columns.
    """
    columns = list(columns)
    require_columns(data, columns, what)
    out = data.copy()
    for c in columns:
        v = pd.to_numeric(data[c], errors="coerce").to_numpy(float)
        bad = ~(v > 0)
        if bad.any():
            warn("SM412", f"{int(bad.sum())} rows have a non-positive or missing {c!r}; its log is missing.")
        with np.errstate(divide="ignore", invalid="ignore"):
            out[prefix + c] = np.where(bad, np.nan, np.log(np.where(bad, 1.0, v)))
    return out
