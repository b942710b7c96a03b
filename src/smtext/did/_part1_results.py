"""Result objects of the part-1 DID estimators (TWFE, IV, PSM-DID, variants ...).

They follow the result protocol shared with :mod:`smtext.report`:

* :class:`RegResult` -- ``tidy()`` indexed by term with ``estimate, std_error,
  t_value, p_value, ci_low, ci_high`` (95% CI), ``coef()``, ``se()``,
  ``pvalue()`` and the table attributes (``nobs``, ``r2``, ``r2_within``,
  ``adj_r2``, ``depvar``, ``fe``, ``controls``, ``vcov_label``, ``extra``).
* :class:`EventResult` -- ``tidy()`` with ``rel_time, estimate, std_error,
  ci_low, ci_high, binned`` and ``base_period``.

The numbers are computed by the estimator (pyfixest, statsmodels or our own
code); the objects only hold and present them. They are frozen dataclasses so a
result cannot be edited after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def tidy_frame(est, se, df: float | None = None) -> pd.DataFrame:
    """Build a protocol ``tidy()`` frame from estimates and standard errors.

    ``df`` is the degrees of freedom of the t distribution used for p-values
    and confidence intervals; ``None`` means the normal distribution.
    """
    est = pd.Series(est, dtype=float)
    se = pd.Series(se, dtype=float).reindex(est.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    dist = stats.norm if df is None else stats.t(df)
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


@dataclass(frozen=True)
class RegResult:
    """A regression-like result (the smtext result protocol).

    Attributes
    ----------
    table : pandas.DataFrame
        The ``tidy()`` frame (index ``term``).
    nobs : int
        Observations used in the estimation.
    depvar : str
        Outcome name.
    method : str
        Estimator label, e.g. ``"OLS"``, ``"2SLS"``, ``"Poisson"``.
    fe, controls : tuple of str
        Fixed effects absorbed (``"industry^year"`` for interacted ones) and
        control variables.
    vcov_label : str
        How standard errors were computed, e.g. ``"cluster: stkcd"``.
    r2, r2_within, adj_r2 : float or None
        Fit statistics when the estimator defines them.
    extra : mapping
        Extra table rows (first-stage F, matching scheme, ...).
    vcov : pandas.DataFrame or None
        Variance matrix of the estimates (for Wald tests).
    df_t : float or None
        Degrees of freedom used for p-values (``None`` = normal).
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
    model: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        # a private copy: the caller's dict cannot change the result afterwards (a plain
        # dict, not a read-only proxy, so results stay picklable for the stage cache)
        object.__setattr__(self, "extra", dict(self.extra))

    def tidy(self) -> pd.DataFrame:
        """Estimates, standard errors, t, p and 95% CI, indexed by term."""
        return self.table.copy()

    def coef(self) -> pd.Series:
        """Point estimates indexed by term."""
        return self.table["estimate"].rename("estimate")

    def se(self) -> pd.Series:
        """Standard errors indexed by term."""
        return self.table["std_error"].rename("std_error")

    def pvalue(self) -> pd.Series:
        """Two-sided p-values indexed by term."""
        return self.table["p_value"].rename("p_value")

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
            lines.append(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
        lines.append(self.table.to_string(float_format=lambda x: f"{x:.6g}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.method}</b>: {self.depvar}, N = {self.nobs}, SE: {self.vcov_label}</p>"
        return head + self.table.to_html(float_format=lambda x: f"{x:.4g}")


@dataclass(frozen=True)
class EventResult:
    """Event-study estimates (the smtext event-study protocol).

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``rel_time, estimate, std_error, ci_low, ci_high, binned``; the
        base period is included as a row with estimate 0 and standard error 0
        so plots show the normalisation point.
    base_period : int
        The omitted relative period (usually -1).
    pretrend_f, pretrend_p : float
        Joint Wald F test that all lead coefficients (rel_time < base... and
        every lead other than the base) are zero, and its p-value.
    pretrend_df : tuple of int
        Numerator and denominator degrees of freedom of that test.
    regression : RegResult
        The underlying regression (dummy names as terms).
    """

    table: pd.DataFrame
    base_period: int
    pretrend_f: float
    pretrend_p: float
    pretrend_df: tuple
    regression: RegResult
    nobs: int = 0
    depvar: str = ""

    def tidy(self) -> pd.DataFrame:
        """One row per relative period (base period included)."""
        return self.table.copy()

    def summary(self) -> str:
        """Plain-text summary with the pre-trend test."""
        return (
            f"Event study: {self.depvar}, N = {self.nobs}, base period {self.base_period}\n"
            f"joint pre-trend test F{self.pretrend_df} = {self.pretrend_f:.4f}, p = {self.pretrend_p:.4f}\n"
            + self.table.to_string(index=False, float_format=lambda x: f"{x:.6g}")
        )

    def __str__(self) -> str:
        return self.summary()
