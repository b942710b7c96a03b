"""Adapt regression results to one read-only summary that tables can show.

smtext regression results (:class:`smtext.did.RegResult` and its subclasses)
give ``tidy()`` with ``estimate, std_error, t_value, p_value`` and the
attributes ``nobs``, ``r2``, ``r2_within``, ``adj_r2``, ``depvar``, ``fe``,
``controls``, ``vcov_label``, ``extra``; any object that does is read the same
way. Raw pyfixest ``Feols``/``Fepois`` objects and statsmodels results
(for logit or probit columns) are adapted here, so the table code never needs
to know where a column came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from smtext.errors import SMError

INTERCEPT_NAMES = ("Intercept", "const", "_cons", "(Intercept)")


@dataclass(frozen=True)
class ModelSummary:
    """What a regression table needs from one estimated model.

    Parameters
    ----------
    coef, se, tstat, pvalue : pandas.Series
        Indexed by term name, in the model's order.
    nobs : int
        Observations used.
    r2, r2_within, adj_r2, pseudo_r2 : float or None
        Fit statistics; ``None`` when the model has none.
    depvar : str
        Dependent variable.
    fe : tuple of str
        Fixed effects (``("stkcd", "year")``, ``("industry^year",)``).
    controls : tuple of str
        Terms the model reports as controls.
    vcov_label : str
        Standard-error type, e.g. ``"cluster: stkcd"``.
    extra : dict
        Extra table rows (``{"KP rk Wald F": 35.2}``).
    """

    coef: pd.Series
    se: pd.Series
    tstat: pd.Series
    pvalue: pd.Series
    nobs: int
    depvar: str = ""
    r2: float | None = None
    r2_within: float | None = None
    adj_r2: float | None = None
    pseudo_r2: float | None = None
    fe: tuple = ()
    controls: tuple = ()
    vcov_label: str = ""
    extra: dict = field(default_factory=dict)


def _num(x) -> float | None:
    """A float, or None for missing/NaN (pyfixest reports NaN R2 for Poisson)."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _series(values, index) -> pd.Series:
    return pd.Series(list(values), index=[str(i) for i in index], dtype=float)


def _from_pyfixest(m) -> ModelSummary:
    idx = [str(c) for c in m.coef().index]
    fixef = getattr(m, "_fixef", None)
    fe = tuple(s.strip() for s in fixef.split("+")) if fixef and fixef != "0" else ()
    vtype = getattr(m, "_vcov_type", "")
    detail = getattr(m, "_vcov_type_detail", vtype)
    if vtype == "CRV":
        clusters = getattr(m, "_clustervar", None) or []
        vcov_label = f"{detail} cluster: {', '.join(map(str, clusters))}"
    elif vtype == "hetero":
        vcov_label = f"heteroskedasticity-robust ({detail})"
    else:
        vcov_label = str(detail or vtype)
    return ModelSummary(
        coef=_series(m.coef().values, idx), se=_series(m.se().values, idx),
        tstat=_series(m.tstat().values, idx), pvalue=_series(m.pvalue().values, idx),
        nobs=int(m._N), depvar=str(m._depvar), r2=_num(getattr(m, "_r2", None)),
        r2_within=_num(getattr(m, "_r2_within", None)), adj_r2=_num(getattr(m, "_adj_r2", None)),
        pseudo_r2=_num(getattr(m, "_pseudo_r2", None)), fe=fe, vcov_label=vcov_label,
    )


def _from_protocol(r) -> ModelSummary:
    tidy = r.tidy()
    idx = [str(i) for i in tidy.index]
    missing = [c for c in ("estimate", "std_error", "t_value", "p_value") if c not in tidy.columns]
    if missing:
        raise SMError("SM601", f"{type(r).__name__}.tidy() lacks column(s) {missing}.",
                      "return estimate, std_error, t_value, p_value as smtext regression results do.")
    return ModelSummary(
        coef=_series(tidy["estimate"], idx), se=_series(tidy["std_error"], idx),
        tstat=_series(tidy["t_value"], idx), pvalue=_series(tidy["p_value"], idx),
        nobs=int(getattr(r, "nobs")), depvar=str(getattr(r, "depvar", "") or ""),
        r2=_num(getattr(r, "r2", None)), r2_within=_num(getattr(r, "r2_within", None)),
        adj_r2=_num(getattr(r, "adj_r2", None)), pseudo_r2=_num(getattr(r, "pseudo_r2", None)),
        fe=tuple(getattr(r, "fe", ()) or ()), controls=tuple(getattr(r, "controls", ()) or ()),
        vcov_label=str(getattr(r, "vcov_label", "") or ""),
        # a table held in extra (Sun-Abraham's cohort effects) is an attribute, not a table row
        extra={k: v for k, v in (getattr(r, "extra", {}) or {}).items() if not isinstance(v, pd.DataFrame)},
    )


def _from_statsmodels(r) -> ModelSummary:
    idx = [str(i) for i in r.params.index]
    depvar = getattr(getattr(r, "model", None), "endog_names", "") or ""
    rsq = getattr(r, "rsquared", None)
    return ModelSummary(
        coef=_series(r.params.values, idx), se=_series(r.bse.values, idx),
        tstat=_series(r.tvalues.values, idx), pvalue=_series(r.pvalues.values, idx),
        nobs=int(r.nobs), depvar=str(depvar), r2=_num(rsq),
        adj_r2=_num(getattr(r, "rsquared_adj", None)), pseudo_r2=_num(getattr(r, "prsquared", None)),
        vcov_label=str(getattr(r, "cov_type", "")),
    )


def as_model(result) -> ModelSummary:
    """Adapt ``result`` to a :class:`ModelSummary`.

    Parameters
    ----------
    result : object
        An smtext regression result (or any object with that ``tidy()``), a pyfixest ``Feols``/``Fepois``, a
        statsmodels results object, or a :class:`ModelSummary`.

    Raises
    ------
    SMError
        SM601 when the object is none of these.
    """
    if isinstance(result, ModelSummary):
        return result
    module = type(result).__module__ or ""
    if module.startswith("pyfixest") and hasattr(result, "_N"):
        return _from_pyfixest(result)
    if hasattr(result, "tidy") and hasattr(result, "nobs") and not module.startswith("statsmodels"):
        return _from_protocol(result)
    if hasattr(result, "params") and hasattr(result, "bse") and hasattr(result, "pvalues"):
        return _from_statsmodels(result)
    raise SMError("SM601", f"cannot read a regression result from a {type(result).__name__}.",
                  "pass an smtext result, a pyfixest Feols/Fepois or a statsmodels results object.")
