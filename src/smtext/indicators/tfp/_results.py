"""Result objects of :func:`smtext.indicators.tfp.estimate`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class TFPResult:
    """Estimated production function and log TFP.

    Attributes
    ----------
    method : str
        One of :data:`smtext.indicators.tfp.METHODS`.
    coef : pandas.Series
        Output elasticities indexed by the input column names.
    se : pandas.Series
        Standard errors (bootstrap when ``bootstrap > 0``; firm-clustered analytic for
        ols/fe/wrdg/gmm otherwise; missing for op/lp/acf without bootstrap).
    omega : pandas.Series
        Log TFP per input row (index of the input); see the convention in
        :mod:`smtext.indicators.tfp`.
    nobs : int
        Rows used in the final (coefficient-identifying) stage.
    boot : pandas.DataFrame or None
        Bootstrap draws of ``coef`` (one row per draw).
    info : dict
        Diagnostics: criterion, rows dropped and why, starts, persistence ``rho``.
    """

    method: str
    coef: pd.Series
    se: pd.Series
    omega: pd.Series
    nobs: int
    boot: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    @property
    def roots(self) -> pd.DataFrame | None:
        """Just-identified ACF only (the default): every distinct root the starts reached (else None).

        One row per root: the elasticities, ``criterion`` (GMM criterion ``m'Wm``),
        ``rel_criterion`` (over the mean squared innovation), ``n_starts`` (how many starts
        ended there) and ``returned`` (the root in ``coef``: with ``acf_start="ols"`` the
        one reached from the OLS start, with ``"stage1"`` the one nearest the stage-1
        coefficients).
        """
        return self.info.get("roots")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile bootstrap interval when draws exist, else normal ``coef +- z*se``."""
        # scipy on use only: importing the package (e.g. for METHODS) stays light
        from scipy import stats

        a = (1 - level) / 2
        if self.boot is not None and len(self.boot):
            return pd.DataFrame({"lower": self.boot.quantile(a), "upper": self.boot.quantile(1 - a)})
        z = stats.norm.ppf(1 - a)
        return pd.DataFrame({"lower": self.coef - z * self.se, "upper": self.coef + z * self.se})

    def tidy(self) -> pd.DataFrame:
        """One row per input: ``term, estimate, std_error, conf_low, conf_high``."""
        ci = self.conf_int()
        return pd.DataFrame({"term": self.coef.index, "estimate": self.coef.to_numpy(),
                             "std_error": self.se.reindex(self.coef.index).to_numpy(),
                             "conf_low": ci["lower"].to_numpy(), "conf_high": ci["upper"].to_numpy()})

    def summary(self) -> str:
        """Plain-text table of the elasticities."""
        head = f"TFP ({self.method}), N = {self.nobs:,}"
        if self.boot is not None:
            head += f", {len(self.boot)} firm-cluster bootstrap draws"
        return head + "\n" + self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class TFPGroupResult:
    """Results of estimating separately by group (e.g. industry).

    ``coef`` and ``se`` are DataFrames (one row per group), ``omega`` is one Series
    over all input rows, ``results`` maps group -> :class:`TFPResult`, ``skipped`` maps
    groups that could not be estimated to the reason.
    """

    method: str
    coef: pd.DataFrame
    se: pd.DataFrame
    omega: pd.Series
    results: dict
    skipped: dict

    def tidy(self) -> pd.DataFrame:
        """Stacked tidy tables with a ``group`` column."""
        if not self.results:
            return pd.DataFrame(columns=["group", "term", "estimate", "std_error", "conf_low", "conf_high"])
        return pd.concat([r.tidy().assign(group=g) for g, r in self.results.items()], ignore_index=True)

    def summary(self) -> str:
        """Coefficient table by group."""
        return f"TFP ({self.method}) by group\n" + self.coef.to_string(float_format=lambda v: f"{v:.4f}")
