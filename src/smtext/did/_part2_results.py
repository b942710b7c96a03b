"""Result objects shared by the heterogeneity-robust DID estimators.

Two shapes, as agreed with :mod:`smtext.report`:

* :class:`EstimateResult` -- regression-like: ``tidy()`` indexed by term with
  ``estimate, std_error, t_value, p_value, ci_low, ci_high`` plus the table
  attributes (``nobs``, ``r2``, ``fe``, ``vcov_label``, ``extra`` ...).
* :class:`EventStudyResult` -- ``tidy()`` with ``rel_time, estimate, std_error,
  ci_low, ci_high, binned`` and the attribute ``base_period``.

Inference is normal-approximation (z), as in R ``did``, ``did2s`` and
``didimputation``; the estimators compute their own standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

_Z975 = stats.norm.ppf(0.975)


def _tidy_frame(est: pd.Series, se: pd.Series) -> pd.DataFrame:
    est = est.astype(float)
    se = se.reindex(est.index).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    p = 2 * stats.norm.sf(np.abs(t))
    out = pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "t_value": t,
            "p_value": p,
            "ci_low": est - _Z975 * se,
            "ci_high": est + _Z975 * se,
        }
    )
    out.index.name = "term"
    return out


@dataclass(frozen=True)
class EstimateResult:
    """A regression-like result (the smtext result protocol).

    Attributes
    ----------
    params, bse : pandas.Series
        Estimates and standard errors indexed by term.
    nobs : int
        Observations used.
    depvar : str
        Outcome name.
    method : str
        Estimator label shown in tables (for example ``"did2s"``).
    fe, controls : tuple of str
        Fixed effects and controls, for the table's indicator rows.
    vcov_label : str
        How the standard errors were computed.
    extra : dict
        Extra table rows.
    """

    params: pd.Series
    bse: pd.Series
    nobs: int
    depvar: str
    method: str
    fe: tuple = ()
    controls: tuple = ()
    vcov_label: str = ""
    r2: float | None = None
    r2_within: float | None = None
    adj_r2: float | None = None
    extra: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """Estimates with z-based p-values and 95% confidence intervals."""
        return _tidy_frame(self.params, self.bse)

    def coef(self) -> pd.Series:
        return self.params.copy()

    def se(self) -> pd.Series:
        return self.bse.copy()

    def pvalue(self) -> pd.Series:
        return self.tidy()["p_value"]

    def summary(self) -> str:
        head = f"{self.method}: {self.depvar}, N = {self.nobs}, {self.vcov_label}"
        return head + "\n" + self.tidy().round(5).to_string()

    def _repr_html_(self) -> str:
        return f"<p>{self.method}: {self.depvar}, N = {self.nobs}</p>" + self.tidy().to_html()

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class EventStudyResult:
    """Event-study coefficients by time relative to treatment.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``rel_time, estimate, std_error`` (one row per relative period;
        the reference period, if any, is a row with estimate 0 and NaN SE).
    base_period : int or None
        Reference period (``-1``), or None when each estimate has its own base
        (Callaway-Sant'Anna with a varying base period).
    method, depvar : str
        Labels.
    nobs : int
        Observations used.
    """

    table: pd.DataFrame
    base_period: int | None
    method: str
    depvar: str
    nobs: int
    extra: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """``rel_time, estimate, std_error, ci_low, ci_high, binned`` (95% CI)."""
        t = self.table.sort_values("rel_time").reset_index(drop=True)
        out = pd.DataFrame(
            {
                "rel_time": t["rel_time"].astype(int),
                "estimate": t["estimate"].astype(float),
                "std_error": t["std_error"].astype(float),
            }
        )
        out["ci_low"] = out["estimate"] - _Z975 * out["std_error"]
        out["ci_high"] = out["estimate"] + _Z975 * out["std_error"]
        out["binned"] = t["binned"].astype(bool) if "binned" in t else False
        return out

    def coef(self) -> pd.Series:
        t = self.tidy()
        return pd.Series(t["estimate"].to_numpy(), index=t["rel_time"], name="estimate")

    def se(self) -> pd.Series:
        t = self.tidy()
        return pd.Series(t["std_error"].to_numpy(), index=t["rel_time"], name="std_error")

    def summary(self) -> str:
        return f"{self.method} event study: {self.depvar}\n" + self.tidy().round(5).to_string()

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class RobustDIDResult(EstimateResult):
    """A static ATT (term ``"ATT"``) plus its event study in ``.event``."""

    event: EventStudyResult | None = None
