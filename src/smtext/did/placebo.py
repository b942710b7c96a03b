"""Placebo tests: random pseudo-treatment, solved for all draws in one batch.

The naive placebo refits the whole fixed-effects regression for every draw.
Here the outcome and controls are demeaned by the fixed effects once; each
batch of pseudo-treatment columns is demeaned together (pyfixest's alternating
projections on a matrix) and residualised on the demeaned controls, and by the
Frisch-Waugh-Lovell theorem each placebo coefficient is
``b = D~' y~ / D~' D~`` -- identical to the refit, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.errors import SMError, check_option, require_columns

from ._fe import FEProjector, fe_codes
from ._prepare import Prepared, as_tuple, fe_columns
from ._results import RegResult, Result
from .regression import twfe

__all__ = ["PlaceboResult", "placebo_test", "draw_cohorts"]

MODES = ("random", "firms", "dates")


@dataclass(frozen=True, eq=False, repr=False)
class PlaceboResult(Result):
    """Distribution of placebo DID coefficients.

    ``tidy()`` has one row per draw (``draw, estimate``). ``coef()`` is the
    real treatment's coefficient (term ``dname``), ``se()`` its regression
    standard error and ``pvalue()`` the empirical two-sided p-value of the
    placebo distribution (not the regression's).

    Attributes
    ----------
    draws : numpy.ndarray
        One placebo coefficient per draw (1-D).
    true_estimate : float
        The coefficient of the real treatment (same specification).
    p_value : float
        Two-sided empirical p-value: share of draws with ``|b| >= |true|``.
    p_value_one_sided : float
        Share of draws on the far side of ``true`` (``b >= true`` when true > 0).
    mode, seed, n_draws : as passed
    baseline : RegResult
        The real-treatment regression (for SE and tables).
    nobs : int
        Observations used.
    """

    draws: np.ndarray
    true_estimate: float
    p_value: float
    p_value_one_sided: float
    mode: str
    seed: int | None
    n_draws: int
    baseline: RegResult
    nobs: int
    dname: str

    def tidy(self) -> pd.DataFrame:
        """One row per draw: ``draw`` (1, 2, ...) and the placebo ``estimate``."""
        return pd.DataFrame({"draw": np.arange(1, self.draws.size + 1), "estimate": self.draws})

    def _estimates(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.true_estimate], "std_error": [self.baseline.se()[self.dname]],
                             "p_value": [self.p_value]}, index=pd.Index([self.dname], name="term"))

    def _df(self) -> float | None:
        return self.baseline.df_t

    def summary(self) -> str:
        """Text summary: true estimate, draw quantiles and p-values."""
        q = np.quantile(self.draws, [0.025, 0.5, 0.975])
        return (f"placebo ({self.mode}, {self.n_draws} draws, seed {self.seed}): true = "
                f"{self.true_estimate:.6g}; draws median {q[1]:.4g}, 95% range [{q[0]:.4g}, {q[2]:.4g}]; "
                f"p = {self.p_value:.4g} (two-sided), {self.p_value_one_sided:.4g} (one-sided)")



def draw_cohorts(unit_cohort: np.ndarray, years: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
    """One placebo assignment of cohorts to units (0 = never treated).

    ``random``: as many pseudo-treated units as truly treated, chosen at
    random, each with an adoption year drawn (with replacement) from the real
    cohort distribution. ``firms``: random units receive a permutation of the
    real adoption years (the set of dates is kept, the firms shuffled).
    ``dates``: the truly treated units keep their status and receive adoption
    years drawn uniformly from the sample years after the first.
    """
    real = unit_cohort[unit_cohort > 0]
    n_units = unit_cohort.size
    out = np.zeros(n_units, dtype=np.int64)
    if mode == "dates":
        idx = np.flatnonzero(unit_cohort > 0)
        out[idx] = rng.choice(years[1:], size=idx.size, replace=True)
        return out
    idx = rng.choice(n_units, size=real.size, replace=False)
    out[idx] = rng.choice(real, size=real.size, replace=True) if mode == "random" else rng.permutation(real)
    return out


def placebo_test(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str, *, dname: str,
                 controls: Sequence[str] = (), fe: Sequence[str] = (), draws: int = 1000,
                 mode: str = "random", seed: int | None = 0, batch: int = 250,
                 cluster=None) -> PlaceboResult:
    """Placebo test with random pseudo-treated firms and adoption years.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname, tname, idname, gname : str
        Outcome, year, unit and cohort (first treated year, 0 = never) columns;
        the pseudo-treatments imitate the cohorts.
    dname : str
        The real 0/1 treatment (its coefficient is what the draws are compared with).
    controls, fe : sequence of str
        As in :func:`smtext.did.twfe` (firm and year FE are always included).
    draws : int
        Number of placebo draws (the papers use 500 to 10,000).
    mode : {"random", "firms", "dates"}
        How pseudo-treatment is drawn, see :func:`draw_cohorts`.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same draws
        whatever ``batch`` is.
    batch : int
        Draws solved per matrix operation (memory ~ rows x batch x 8 bytes).
    cluster : optional
        Only used for the baseline regression's standard error.

    Returns
    -------
    PlaceboResult
        ``.draws``, ``.true_estimate`` and the empirical ``.p_value``.
    """
    check_option("mode", mode, MODES)
    if draws < 1:
        raise SMError("SM525", f"draws={draws} must be positive.")
    controls = as_tuple(controls)
    specs = (idname, tname, *as_tuple(fe))
    require_columns(data, [gname])
    prep = Prepared(data, [yname, dname, idname, tname, gname, *controls, *fe_columns(specs)])
    # canonical row and unit order (sorted ids): the draws for a seed do not depend on how
    # the input rows happen to be ordered, and sorted units make demeaning cheaper
    d = data.loc[prep.kept_index].sort_values([idname, tname], kind="stable")
    baseline = twfe(d, yname, tname, idname, dname, controls=controls, fe=as_tuple(fe), cluster=cluster)
    proj = FEProjector(fe_codes(d, specs), d[list(controls)].to_numpy(float) if controls else None)
    y = proj.residualise(d[yname].to_numpy(float))
    unit_codes, units = pd.factorize(d[idname], sort=True)
    t = d[tname].to_numpy()
    unit_cohort = d.groupby(unit_codes)[gname].first().to_numpy().astype(np.int64)
    if not (unit_cohort > 0).any():
        raise SMError("SM525", f"no treated units in {gname!r}; nothing to imitate.")
    years = np.unique(t)
    rng = np.random.default_rng(seed)
    G = np.column_stack([draw_cohorts(unit_cohort, years, mode, rng) for _ in range(draws)])
    out = np.empty(draws)
    for start in range(0, draws, batch):
        Gb = G[unit_codes, start:start + batch]
        D = ((Gb > 0) & (t[:, None] >= Gb)).astype(np.float64)
        Dr = proj.residualise(D)
        den = np.einsum("ij,ij->j", Dr, Dr)
        with np.errstate(divide="ignore", invalid="ignore"):
            # a draw whose pseudo-treatment is absorbed by the FE has no coefficient
            out[start:start + batch] = np.where(den > 1e-12, (Dr.T @ y) / den, np.nan)
    true = float(baseline.coef()[dname])
    ok = out[np.isfinite(out)]
    p2 = float(np.mean(np.abs(ok) >= abs(true)))
    p1 = float(np.mean(ok >= true) if true >= 0 else np.mean(ok <= true))
    return PlaceboResult(draws=out, true_estimate=true, p_value=p2, p_value_one_sided=p1, mode=mode,
                         seed=seed, n_draws=draws, baseline=baseline, nobs=baseline.nobs, dname=dname)
