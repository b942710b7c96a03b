"""Robustness variants the papers print: lagged treatment, count/binary models, dropped years,
competing policies."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from smtext.errors import SMError, require_columns, warn

from ._prepare import Prepared, as_tuple, check_binary, fe_columns
from ._pyfixest import DEMEANER, pf
from ._results import RegResult, tidy_frame
from .regression import FIXEST_SSC, twfe

__all__ = ["competing_policies", "drop_years", "fepois_did", "lag_treatment", "logit_did", "negbin_did"]


def lag_treatment(data: pd.DataFrame, tname: str, idname: str, dname: str, *, lags: Iterable[int] = (1, 2),
                  prefix: str = "L") -> pd.DataFrame:
    """Add calendar lags of the treatment: ``L1_did`` is the firm's value in year t-1.

    A calendar lag is missing when the firm has no row for year t-k (never the
    previous *row*).

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel, one row per (unit, year).
    tname, idname, dname : str
        Year, unit and treatment columns.
    lags : iterable of int
        Lags in years.
    prefix : str
        Prefix of the new column names.

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``f"{prefix}{k}_{dname}"`` (same index).
    """
    require_columns(data, [dname, idname, tname])
    out = data.copy()
    base = data[[idname, tname, dname]]
    if base.duplicated([idname, tname]).any():
        raise SMError("SM513", f"duplicate ({idname}, {tname}) rows; lags are undefined.",
                      "deduplicate the panel first.")
    for k in lags:
        name = f"{prefix}{k}_{dname}"
        shifted = base.assign(**{tname: base[tname] + int(k)}).rename(columns={dname: name})
        out = out.merge(shifted, on=[idname, tname], how="left")
        n_miss = int(out[name].isna().sum())
        if n_miss:
            warn("SM545", f"{name} is missing for {n_miss} rows (no row for year t-{k}); they drop out "
                          "of regressions using it.", stacklevel=2)
    out.index = data.index
    return out


def drop_years(data: pd.DataFrame, tname: str, *, years: Iterable[int]) -> pd.DataFrame:
    """Drop whole years (e.g. 2020, the pandemic year) and report how many rows went (SM546).

    Parameters
    ----------
    data : pandas.DataFrame
    tname : str
        Year column.
    years : iterable of int
        Years to drop.

    Returns
    -------
    pandas.DataFrame
        A copy without those years.
    """
    years = list(years)
    keep = ~data[tname].isin(years)
    warn("SM546", f"dropped {int((~keep).sum())} rows in years {years}.", stacklevel=2)
    return data.loc[keep].copy()


def competing_policies(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
                       policies: Sequence[str], controls: Sequence[str] = (), fe: Sequence[str] = (),
                       cluster=None, **kwargs) -> RegResult:
    """TWFE DID controlling for other policies' treatment dummies (competing-policy check).

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe`.
    policies : sequence of str
        0/1 columns of other programmes (e.g. a broadband-China city dummy);
        they enter as controls and are listed in ``extra["competing policies"]``.
    **kwargs
        Passed to :func:`smtext.did.twfe`.

    Returns
    -------
    RegResult
    """
    policies = list(as_tuple(policies))
    for p in policies:
        check_binary(data[p], p)
    r = twfe(data, yname, tname, idname, dname, controls=(*as_tuple(controls), *policies), fe=fe,
             cluster=cluster, **kwargs)
    extra = dict(r.extra)
    extra["competing policies"] = ", ".join(policies)
    return dataclasses.replace(r, extra=extra)


def fepois_did(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
               controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None) -> RegResult:
    """Poisson pseudo-maximum-likelihood DID with firm and year FE (pyfixest ``fepois``).

    For count outcomes (patent applications). Firms whose outcome is zero in
    every year carry no information with firm FE and are dropped by the
    estimator; the number is reported in ``extra`` and warning SM547.
    Standard errors: clustered (default ``idname``) with the fixest convention.

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe` (``yname`` a non-negative count).

    Returns
    -------
    RegResult
        Method ``"Poisson"``; coefficients are log rate ratios.
    """
    controls = as_tuple(controls)
    check_binary(data[dname], dname)
    specs = (idname, tname, *as_tuple(fe))
    cl = as_tuple(idname if cluster is None else cluster)
    prep = Prepared(data, [yname, dname, *controls, *fe_columns(specs), *cl])
    d = prep.data
    if (d[prep.a(yname)] < 0).any():
        raise SMError("SM547", f"{yname!r} has negative values; Poisson needs a non-negative outcome.")
    for c in fe_columns(specs):
        d[prep.a(c)] = d[prep.a(c)].astype(str)
    rhs = " + ".join(prep.a(v) for v in (dname, *controls))
    fml = f"{prep.a(yname)} ~ {rhs} | " + " + ".join(prep.fe(f) for f in specs)
    m = pf.fepois(fml, demeaner=DEMEANER, data=d, vcov={"CRV1": "+".join(prep.a(c) for c in cl)}, ssc=pf.ssc(**FIXEST_SSC))
    names = prep.back(m._coefnames)
    n_sep = len(d) - int(m._N)
    if n_sep:
        warn("SM547", f"Poisson: {n_sep} rows dropped (fixed-effect groups whose outcome is always 0).",
             stacklevel=2)
    extra = {"dropped (all-zero FE groups)": n_sep} if n_sep else {}
    return RegResult(table=tidy_frame(pd.Series(np.asarray(m.coef()), index=names),
                                      pd.Series(np.asarray(m.se()), index=names), df=float(m._df_t)),
                     nobs=int(m._N), depvar=yname, method="Poisson", fe=specs, controls=controls,
                     vcov_label="cluster: " + " + ".join(cl), extra=extra,
                     vcov=pd.DataFrame(np.asarray(m._vcov), index=names, columns=names),
                     df_t=float(m._df_t), model=m)


def _dummy_glm(data, yname, tname, idname, dname, controls, fe, cluster, family, label):
    controls = as_tuple(controls)
    fe = as_tuple(fe)
    cl = idname if cluster is None else cluster
    prep = Prepared(data, [yname, dname, idname, tname, *controls, *fe_columns(fe), cl])
    d = data.loc[prep.kept_index]
    X = d[[dname, *controls]].astype(float)
    for f in fe:
        key = d[f.split("^")[0]].astype(str)
        for p in f.split("^")[1:]:
            key = key + "_" + d[p].astype(str)
        X = X.join(pd.get_dummies(key, prefix=f, drop_first=True, dtype=float))
    X = sm.add_constant(X, has_constant="add")
    groups = pd.factorize(d[cl])[0]
    model = family(d[yname].astype(float), X)
    with warnings.catch_warnings():
        # statsmodels' own convergence warnings are replaced by the coded one below
        warnings.simplefilter("ignore")
        # Newton with a tight tolerance: statsmodels' default for the negative binomial
        # (BFGS, gtol 1e-5) stops ~1e-5 short of the maximum (R MASS::glm.nb agrees with
        # the Newton optimum to 1e-8); fall back to the default optimiser if Newton fails.
        fit = {"disp": 0, "cov_type": "cluster", "cov_kwds": {"groups": groups}}
        try:
            res = model.fit(method="newton", maxiter=200, tol=1e-10, **fit)
            ok = res.mle_retvals.get("converged", True) and np.all(np.isfinite(res.params))
        except (np.linalg.LinAlgError, ValueError):
            ok = False
        if not ok:
            res = model.fit(maxiter=500, **fit)
    if not res.mle_retvals.get("converged", True) or not np.all(np.isfinite(res.bse)):
        warn("SM549", f"{label}: the likelihood maximisation did not converge or the Hessian is "
                      "singular; estimates are unreliable.",
             "drop dummy sets with many levels (e.g. firm dummies) or rescale the regressors.", stacklevel=3)
    keep = [dname, *controls]
    G = len(np.unique(groups))
    params = res.params.iloc[: model.exog.shape[1]]
    return RegResult(table=tidy_frame(params[keep], res.bse[keep], df=float(G - 1)),
                     nobs=int(res.nobs), depvar=yname, method=label, fe=fe, controls=controls,
                     vcov_label=f"cluster: {cl}",
                     extra={"pseudo R2": float(getattr(res, "prsquared", np.nan))},
                     vcov=res.cov_params().loc[keep, keep], df_t=float(G - 1), model=res)


def logit_did(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
              controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None) -> RegResult:
    """Logit DID for a 0/1 outcome with dummy fixed effects (e.g. ``fe=("year", "industry")``).

    Firm fixed effects are *not* included by default: with short panels a
    logit with firm dummies suffers the incidental-parameter bias, so the
    papers' logit variants use year and industry dummies. Coefficients are
    log-odds; standard errors are clustered by ``cluster`` (default
    ``idname``) with statsmodels' small-sample correction
    ``G/(G-1) (N-1)/(N-K)`` and p-values from t(G-1).

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, cluster
        As in :func:`smtext.did.twfe` (``yname`` 0/1).
    fe : sequence of str
        Fixed effects entered as dummies (only these: none by default).

    Returns
    -------
    RegResult
        Method ``"Logit"``; ``extra["pseudo R2"]``.
    """
    check_binary(data[yname], yname)
    return _dummy_glm(data, yname, tname, idname, dname, controls, fe, cluster, sm.Logit, "Logit")


def negbin_did(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
               controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None) -> RegResult:
    """Negative binomial (NB2) DID for over-dispersed counts, dummy fixed effects.

    As :func:`logit_did` (statsmodels ``NegativeBinomial``, clustered SE);
    include ``idname`` in ``fe`` for firm dummies when the panel is long
    enough.

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`logit_did` (``yname`` a count).

    Returns
    -------
    RegResult
        Method ``"Negative binomial"``; the dispersion ``alpha`` is in ``extra``.
    """
    r = _dummy_glm(data, yname, tname, idname, dname, controls, fe, cluster,
                   lambda y, X: sm.NegativeBinomial(y, X, loglike_method="nb2"), "Negative binomial")
    extra = dict(r.extra)
    extra["alpha"] = float(r.model.params["alpha"])
    return dataclasses.replace(r, extra=extra)
