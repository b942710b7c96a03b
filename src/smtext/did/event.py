"""Event study: leads and lags around adoption with binned end points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smtext.errors import SMError, require_columns, warn

from ._prepare import as_tuple, check_firm_years
from ._results import EventResult
from .regression import fit_feols

__all__ = ["event_study", "wald_test"]


def _term(k: int) -> str:
    return f"_ev_m{-k}" if k < 0 else f"_ev_p{k}"


def wald_test(result, terms: Sequence[str]) -> tuple[float, float, tuple[int, float]]:
    """Joint Wald F test that ``terms`` are all zero, using the result's variance.

    F = b' V^-1 b / q with ``q`` restrictions, compared with F(q, df_t) where
    ``df_t`` is the result's residual (or G-1) degrees of freedom, as Stata
    ``test`` after ``reghdfe`` and fixest ``wald()`` do.

    Parameters
    ----------
    result : RegResult
        A result with ``vcov`` (and ``df_t``; None = chi-square/q reference).
    terms : sequence of str
        Terms tested jointly.

    Returns
    -------
    F, p-value, (q, df2)
    """
    b = result.coef().loc[list(terms)].to_numpy()
    V = result.vcov.loc[list(terms), list(terms)].to_numpy()
    q = len(terms)
    F = float(b @ np.linalg.solve(V, b)) / q
    df2 = result.df_t if result.df_t is not None else np.inf
    return F, float(stats.f.sf(F, q, df2)), (q, df2)


def event_study(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str, *,
                window: tuple[int, int] = (-5, 5), base: int = -1, bin_ends: bool = True,
                controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                vcov: str = "cluster", weights: str | None = None) -> EventResult:
    """Dynamic TWFE event study with leads and lags relative to adoption.

    Regresses ``y`` on relative-time dummies ``1[t - g = k]`` for ``k`` in
    ``window`` (omitting ``base``), firm and year FE, extra FE and controls.
    Never-treated units (``gname == 0``) have all dummies zero.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname, tname, idname, gname : str
        Outcome, year, unit and cohort (first treated year, 0 = never) columns.
    window : (int, int)
        First and last relative period, e.g. ``(-5, 5)``.
    base : int
        Omitted reference period (-1 in the papers).
    bin_ends : bool
        When True the end points are bins: ``k <= window[0]`` and
        ``k >= window[1]``, as in the papers ("-5 and before"). When False,
        treated firm-years outside the window are dropped (reported, SM521).
    controls, fe, cluster, vcov, weights
        As in :func:`smtext.did.twfe` (cluster defaults to ``idname``).

    Returns
    -------
    EventResult
        ``tidy()`` has one row per relative period (base row with 0),
        ``pretrend_f``/``pretrend_p`` test all leads jointly, ``vcov`` is the
        covariance of the estimates by relative period (so the result feeds
        :func:`smtext.did.honest`), ``regression`` the underlying fit.
    """
    require_columns(data, [yname, idname, tname, gname])
    check_firm_years(data, idname, tname, "event_study")
    lo, hi = int(window[0]), int(window[1])
    if not lo <= base <= hi or lo >= hi:
        raise SMError("SM520", f"window={window} must contain base={base} and have lo < hi.",
                      "for example window=(-5, 5), base=-1.")
    d = data.copy()
    g = d[gname].fillna(0)
    treated = g > 0
    if not treated.any():
        raise SMError("SM520", f"no treated units: {gname!r} is 0 everywhere.")
    rel = (d[tname] - g).where(treated)
    if bin_ends:
        rel = rel.clip(lower=lo, upper=hi)
    else:
        out = treated & ((rel < lo) | (rel > hi))
        if out.any():
            warn("SM521", f"dropped {int(out.sum())} treated firm-years outside window {window} "
                          "(bin_ends=False).", stacklevel=2)
        d, rel = d.loc[~out], rel.loc[~out]
    periods = [k for k in range(lo, hi + 1) if k != base]
    terms = []
    for k in periods:
        name = _term(k)
        d[name] = (rel == k).astype(float)
        if d[name].sum() > 0:
            terms.append(name)
    if cluster is None:
        cluster = idname
    fes = (idname, tname, *as_tuple(fe))
    reg = fit_feols(d, yname, (*terms, *as_tuple(controls)), fes, cluster=cluster, vcov=vcov,
                    weights=weights, controls=as_tuple(controls), method="OLS event study")
    tid = reg.tidy()
    rows = []
    for k in range(lo, hi + 1):
        binned = bin_ends and k in (lo, hi)
        if k == base:
            rows.append((k, 0.0, 0.0, 0.0, 0.0, binned))
        elif _term(k) in tid.index:
            r = tid.loc[_term(k)]
            rows.append((k, r.estimate, r.std_error, r.ci_low, r.ci_high, binned))
    table = pd.DataFrame(rows, columns=["rel_time", "estimate", "std_error", "ci_low", "ci_high", "binned"])
    leads = [_term(k) for k in periods if k < 0 and _term(k) in tid.index]
    if leads:
        F, p, dfs = wald_test(reg, leads)
    else:
        F, p, dfs = np.nan, np.nan, (0, np.nan)
    est = [k for k in periods if _term(k) in tid.index]
    vcov = reg.vcov.loc[[_term(k) for k in est], [_term(k) for k in est]].set_axis(est, axis=0).set_axis(est, axis=1)
    return EventResult(table=table, nobs=reg.nobs, depvar=yname, method="TWFE", base_period=base, vcov=vcov,
                       df_t=reg.df_t, pretrend_f=F, pretrend_p=p, pretrend_df=dfs, regression=reg)
