"""The result objects of :mod:`smtext.did`: one base class, three shared shapes.

Every public estimator returns a subclass of :class:`Result`, a frozen dataclass
(a result cannot be edited after the fact) with

* ``tidy()`` -- the result's main table as a DataFrame;
* ``coef()``, ``se()``, ``pvalue()`` -- point estimates, standard errors and
  two-sided p-values as Series indexed by term (NaN where the method reports no
  standard error);
* ``confint(alpha=0.05)`` -- DataFrame ``ci_low, ci_high`` indexed by term;
* ``summary()`` -- plain text (also what ``print`` and ``repr`` show) and
  ``_repr_html_`` for notebooks;
* ``nobs`` -- observations used.

The shared shapes are

* :class:`RegResult` -- regression-like: ``tidy()`` indexed by term with
  ``estimate, std_error, t_value, p_value, ci_low, ci_high`` (95% CI) and the
  attributes :mod:`smtext.report` puts in tables (``nobs``, ``r2``,
  ``r2_within``, ``adj_r2``, ``depvar``, ``fe``, ``controls``, ``vcov_label``,
  ``extra``). ``df_t`` is the degrees of freedom of the t reference
  distribution; ``None`` means the normal (the robust staggered estimators).
* :class:`EventResult` -- an event study: ``tidy()`` has one row per relative
  period with ``rel_time, estimate, std_error, ci_low, ci_high, binned``;
  ``coef()`` and friends are indexed by the relative period.
* :class:`RobustDIDResult` -- a :class:`RegResult` static ATT with its event
  study in ``event`` (did2s, BJS imputation, Sun-Abraham).
* :class:`ResultSet` -- several named results in order (progressive columns,
  sample splits, mediators, the robust-estimator comparison): iterate it for
  the results, index it by name, ``tidy()`` stacks them with a ``model`` column.

The other result classes live beside their estimator (``BaconResult`` in
:mod:`smtext.did.decompose`, ``PlaceboResult`` in :mod:`smtext.did.placebo` ...).
The numbers are computed by the estimators (pyfixest, statsmodels or our own
code); the objects only hold and present them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from smtext.errors import SMError

__all__ = ["Result", "RegResult", "EventResult", "RobustDIDResult", "ResultSet", "tidy_frame", "event_table",
           "promote"]


def _reference(df: float | None):
    """t(df) reference distribution, or the normal when ``df`` is None."""
    return stats.norm if df is None else stats.t(df)


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise SMError("SM002", f"alpha={alpha!r} must lie strictly between 0 and 1.", "for a 95% interval use 0.05.")


def tidy_frame(est, se, df: float | None = None) -> pd.DataFrame:
    """Build a regression ``tidy()`` frame from estimates and standard errors.

    ``df`` is the degrees of freedom of the t distribution used for p-values
    and confidence intervals; ``None`` means the normal distribution.
    """
    est = pd.Series(est, dtype=float)
    se = pd.Series(se, dtype=float).reindex(est.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    dist = _reference(df)
    crit = dist.ppf(0.975)
    out = pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "t_value": t,
            "p_value": 2 * dist.sf(np.abs(t)),
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
        }
    )
    out.index.name = "term"
    return out


def event_table(rel_time, estimate, std_error, binned=False, df: float | None = None) -> pd.DataFrame:
    """An event-study ``tidy()`` frame, sorted by relative period, with 95% CIs.

    ``df`` as in :func:`tidy_frame` (None = normal). ``binned`` marks end bins.
    """
    rel_time = np.asarray(rel_time)
    binned = np.broadcast_to(np.asarray(binned, dtype=bool), rel_time.shape)
    t = pd.DataFrame({"rel_time": rel_time, "estimate": np.asarray(estimate), "std_error": np.asarray(std_error),
                      "binned": binned})
    t = t.sort_values("rel_time").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "rel_time": t["rel_time"].astype(int),
            "estimate": t["estimate"].astype(float),
            "std_error": t["std_error"].astype(float),
        }
    )
    crit = _reference(df).ppf(0.975)
    out["ci_low"] = out["estimate"] - crit * out["std_error"]
    out["ci_high"] = out["estimate"] + crit * out["std_error"]
    out["binned"] = t["binned"].astype(bool)
    return out


def promote(result: Result, cls: type, **changes) -> Result:
    """``result`` as an instance of its subclass ``cls``, with ``changes`` (e.g. an attached event study)."""
    kw = {f.name: getattr(result, f.name) for f in fields(result)}
    kw.update(changes)
    return cls(**kw)


def _fmt(x) -> str:
    return f"{x:.6g}"


@dataclass(frozen=True, eq=False, repr=False)
class Result:
    """Base class of every result of :mod:`smtext.did` (see the module docstring).

    Subclasses are frozen dataclasses with an ``nobs`` attribute; they
    implement :meth:`tidy` and ``_estimates`` (a frame indexed by term with
    ``estimate`` and ``std_error`` and, when the estimator computed them
    itself, ``p_value``), and may override :meth:`summary`.
    """

    def tidy(self) -> pd.DataFrame:
        """The result's main table."""
        raise NotImplementedError

    def _estimates(self) -> pd.DataFrame:
        raise NotImplementedError

    def _df(self) -> float | None:
        """Degrees of freedom of the t reference distribution (None = normal)."""
        return getattr(self, "df_t", None)

    def coef(self) -> pd.Series:
        """Point estimates indexed by term."""
        return self._estimates()["estimate"].astype(float).rename("estimate")

    def se(self) -> pd.Series:
        """Standard errors indexed by term (NaN where the method gives none)."""
        return self._estimates()["std_error"].astype(float).rename("std_error")

    def pvalue(self) -> pd.Series:
        """Two-sided p-values indexed by term (t(df_t) or normal reference)."""
        e = self._estimates()
        if "p_value" in e:
            return e["p_value"].astype(float).rename("p_value")
        est, se = e["estimate"].astype(float), e["std_error"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = est / se
        return pd.Series(2 * _reference(self._df()).sf(np.abs(t)), index=e.index, name="p_value")

    def confint(self, alpha: float = 0.05) -> pd.DataFrame:
        """``1 - alpha`` confidence intervals: columns ``ci_low, ci_high`` indexed by term."""
        _check_alpha(alpha)
        e = self._estimates()
        est, se = e["estimate"].astype(float), e["std_error"].astype(float)
        crit = _reference(self._df()).ppf(1 - alpha / 2)
        return pd.DataFrame({"ci_low": est - crit * se, "ci_high": est + crit * se}, index=e.index)

    def _title(self) -> str:
        parts = [str(getattr(self, "method", "") or type(self).__name__)]
        if getattr(self, "depvar", ""):
            parts.append(f": {self.depvar}")
        if getattr(self, "nobs", None) is not None:
            parts.append(f", N = {self.nobs}")
        return "".join(parts)

    def summary(self) -> str:
        """A plain-text summary (also what ``print`` shows)."""
        return self._title() + "\n" + self.tidy().to_string(float_format=_fmt)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>{self._title()}</b></p>" + self.tidy().to_html(float_format=lambda x: f"{x:.4g}")


@dataclass(frozen=True, eq=False, repr=False)
class RegResult(Result):
    """A regression-like result.

    Attributes
    ----------
    table : pandas.DataFrame
        The ``tidy()`` frame (index ``term``), built by :func:`tidy_frame`.
    nobs : int
        Observations used in the estimation.
    depvar : str
        Outcome name.
    method : str
        Estimator label, e.g. ``"OLS"``, ``"2SLS"``, ``"did2s"``.
    fe, controls : tuple of str
        Fixed effects absorbed (``"industry^year"`` for interacted ones) and
        control variables.
    vcov_label : str
        How standard errors were computed, e.g. ``"cluster: stkcd"``.
    r2, r2_within, adj_r2 : float or None
        Fit statistics when the estimator defines them.
    extra : dict
        Extra table rows (first-stage F, matching scheme, ...).
    vcov : pandas.DataFrame or None
        Variance matrix of the estimates (for Wald tests).
    df_t : float or None
        Degrees of freedom used for p-values and CIs (``None`` = normal).
    model : object
        The underlying fitted model (pyfixest / statsmodels) for users who want
        more; not used by table builders.
    """

    table: pd.DataFrame
    nobs: int
    depvar: str
    method: str = "OLS"
    fe: tuple = ()
    controls: tuple = ()
    vcov_label: str = ""
    r2: float | None = None
    r2_within: float | None = None
    adj_r2: float | None = None
    extra: Any = field(default_factory=dict)
    vcov: pd.DataFrame | None = None
    df_t: float | None = None
    model: Any = None

    def __post_init__(self):
        # a private copy: the caller's dict cannot change the result afterwards (a plain
        # dict, not a read-only proxy, so results stay picklable for the stage cache)
        object.__setattr__(self, "extra", dict(self.extra))

    @classmethod
    def from_estimates(cls, est, se, *, df_t: float | None = None, **attrs) -> RegResult:
        """Build the result from estimates and standard errors by term (``df_t`` None = normal)."""
        return cls(table=tidy_frame(est, se, df=df_t), df_t=df_t, **attrs)

    def tidy(self) -> pd.DataFrame:
        """Estimates, standard errors, t, p and 95% CI, indexed by term."""
        return self.table.copy()

    def _estimates(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        """A plain-text summary (also what ``print`` shows)."""
        lines = [
            f"{self.method}: {self.depvar}    N = {self.nobs}",
            f"fixed effects: {', '.join(self.fe) if self.fe else 'none'}",
            f"standard errors: {self.vcov_label}",
        ]
        for name, val in (("R2", self.r2), ("within R2", self.r2_within), ("adj. R2", self.adj_r2)):
            if val is not None:
                lines.append(f"{name}: {val:.4f}")
        for k, v in self.extra.items():
            if isinstance(v, pd.DataFrame):
                continue  # tables in extra (cohort effects) are attributes, not summary lines
            lines.append(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
        lines.append(self.table.to_string(float_format=_fmt))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.method}</b>: {self.depvar}, N = {self.nobs}, SE: {self.vcov_label}</p>"
        return head + self.table.to_html(float_format=lambda x: f"{x:.4g}")


@dataclass(frozen=True, eq=False, repr=False)
class EventResult(Result):
    """Event-study estimates by time relative to treatment.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``rel_time, estimate, std_error, ci_low, ci_high, binned``, one
        row per relative period in order; the reference period is a row with
        estimate 0 so plots show the normalisation point.
    nobs : int
        Observations used.
    depvar, method : str
        Outcome and estimator labels.
    base_period : int or None
        The omitted reference period (usually -1), or None when each estimate
        has its own base (Callaway-Sant'Anna with a varying base period, the
        BJS pre-trend leads).
    vcov : pandas.DataFrame or None
        Covariance of the estimates indexed by relative period (reference
        period excluded); what :func:`smtext.did.honest` needs.
    df_t : float or None
        Degrees of freedom of the t reference distribution (None = normal).
    pretrend_f, pretrend_p, pretrend_df
        Joint Wald F test that all leads are zero, its p-value and (numerator,
        denominator) degrees of freedom; NaN when the estimator has none.
    regression : RegResult or None
        The underlying regression (dummy names as terms), when there is one.
    extra : dict
        Notes on the estimates.
    """

    table: pd.DataFrame
    nobs: int
    depvar: str
    method: str
    base_period: int | None = -1
    vcov: pd.DataFrame | None = None
    df_t: float | None = None
    pretrend_f: float = math.nan
    pretrend_p: float = math.nan
    pretrend_df: tuple = (0, math.nan)
    regression: RegResult | None = None
    extra: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """``rel_time, estimate, std_error, ci_low, ci_high, binned``, one row per relative period."""
        return self.table.copy()

    def _estimates(self) -> pd.DataFrame:
        return self.table.set_index("rel_time")[["estimate", "std_error"]]

    def summary(self) -> str:
        """Plain-text summary with the pre-trend test when there is one."""
        lines = [f"{self.method} event study: {self.depvar}, N = {self.nobs}, base period {self.base_period}"]
        if not math.isnan(self.pretrend_f):
            lines.append(f"joint pre-trend test F{self.pretrend_df} = {self.pretrend_f:.4f}, "
                         f"p = {self.pretrend_p:.4f}")
        lines.append(self.table.to_string(index=False, float_format=_fmt))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False, repr=False)
class RobustDIDResult(RegResult):
    """A static ATT (term ``"ATT"``, normal reference) plus its event study in ``event``.

    Returned by the heterogeneity-robust staggered estimators (did2s, BJS
    imputation, Sun-Abraham) and as the members of ``robust_comparison``.
    """

    event: EventResult | None = None


@dataclass(frozen=True, eq=False, repr=False)
class ResultSet(Result):
    """Several results under names, in order.

    Iterating gives the results (so ``regression_table(list(res))`` makes one
    column each), ``res[name]`` one of them, ``res.items()`` the (name,
    result) pairs and ``res.names`` the names. ``tidy()`` stacks the members'
    tables with a leading ``model`` column; ``coef()``, ``se()``,
    ``pvalue()`` and ``confint()`` are indexed by (model, term), each member
    with its own reference distribution; ``nobs`` is a Series by model.

    Attributes
    ----------
    results : tuple of (name, Result)
        The members; a mapping is accepted when constructing.
    title : str
        What the set holds (shown by ``summary()``).
    """

    results: tuple
    title: str = ""

    def __post_init__(self):
        pairs = tuple(self.results.items() if isinstance(self.results, Mapping) else self.results)
        object.__setattr__(self, "results", pairs)

    @property
    def names(self) -> list:
        """Member names in order."""
        return [k for k, _ in self.results]

    def items(self) -> list[tuple[Any, Result]]:
        """(name, result) pairs in order."""
        return list(self.results)

    def __iter__(self) -> Iterator[Result]:
        return iter([r for _, r in self.results])

    def __len__(self) -> int:
        return len(self.results)

    def __contains__(self, name) -> bool:
        return name in self.names

    def __getitem__(self, name) -> Result:
        for k, r in self.results:
            if k == name:
                return r
        raise KeyError(f"{name!r} is not in this result set; names: {self.names}")

    @property
    def nobs(self) -> pd.Series:
        """Observations used by each member."""
        return pd.Series([r.nobs for _, r in self.results], index=self.names, name="nobs")

    def tidy(self) -> pd.DataFrame:
        """The members' ``tidy()`` frames stacked, with a leading ``model`` column."""
        frames = []
        for name, r in self.results:
            t = r.tidy()
            if not isinstance(t.index, pd.RangeIndex):
                t = t.reset_index()
            t.insert(0, "model", name)
            frames.append(t)
        return pd.concat(frames, ignore_index=True)

    def _estimates(self) -> pd.DataFrame:
        parts = {name: pd.DataFrame({"estimate": r.coef(), "std_error": r.se(), "p_value": r.pvalue()})
                 for name, r in self.results}
        return pd.concat(parts, names=["model", "term"])

    def confint(self, alpha: float = 0.05) -> pd.DataFrame:
        """Each member's ``confint(alpha)``, indexed by (model, term)."""
        return pd.concat({name: r.confint(alpha) for name, r in self.results}, names=["model", "term"])

    def summary(self) -> str:
        """Each member's summary under its name."""
        head = [self.title] if self.title else []
        return "\n\n".join(head + [f"== {name} ==\n{r.summary()}" for name, r in self.results])

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.title}</b></p>" if self.title else ""
        return head + "".join(f"<h4>{name}</h4>{r._repr_html_()}" for name, r in self.results)
