"""Seeded staggered-adoption panel with heterogeneous, dynamic effects.

Used by the tests and the benchmark of the robust DID estimators: the true
effect of every treated firm-year is known, so an estimator's error can be
measured. Effects grow with time since adoption and are larger for early
cohorts, the setting in which TWFE is biased (Goodman-Bacon 2021; Sun and
Abraham 2021).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_staggered(
    n_units: int = 600,
    years: tuple[int, int] = (2008, 2020),
    cohorts: tuple[int, ...] = (2011, 2013, 2015, 2017),
    never_share: float = 0.3,
    base_effect: float = 1.0,
    slope: float = 0.5,
    noise: float = 1.0,
    random_state: int = 0,
) -> pd.DataFrame:
    """Balanced firm-year panel with staggered treatment.

    Parameters
    ----------
    n_units : int
        Firms.
    years : (int, int)
        First and last year (inclusive).
    cohorts : tuple of int
        Adoption years; firms are spread evenly over them after ``never_share``.
    base_effect, slope : float
        Effect in year ``g + e`` for cohort ``g``: ``(base_effect + slope * e) *
        (1 + 0.25 * k)`` with k = 3, 2, 1, 0 from the earliest cohort (early
        adopters gain more).
    noise : float
        Standard deviation of the idiosyncratic error.
    random_state : int
        Seed.

    Returns
    -------
    pandas.DataFrame
        ``stkcd`` (6-digit string), ``year``, ``y``, ``g`` (0 = never),
        ``d`` (0/1), ``x`` (a covariate), ``tau`` (true effect, 0 if untreated).
    """
    rng = np.random.default_rng(random_state)
    yrs = np.arange(years[0], years[1] + 1)
    n_never = int(round(n_units * never_share))
    g_unit = np.concatenate([np.zeros(n_never, int), np.resize(np.array(cohorts), n_units - n_never)])
    g_unit = rng.permutation(g_unit)
    # firm effects correlated with adoption timing (early adopters are larger)
    rank = {g: len(cohorts) - 1 - i for i, g in enumerate(sorted(cohorts))}
    alpha = rng.normal(size=n_units) + np.array([0.5 * rank.get(g, -1) for g in g_unit])
    lam = np.cumsum(rng.normal(0.1, 0.2, size=len(yrs)))
    unit = np.repeat(np.arange(n_units), len(yrs))
    year = np.tile(yrs, n_units)
    g = g_unit[unit]
    d = ((g > 0) & (year >= g)).astype(int)
    e = np.where(d == 1, year - g, 0)
    boost = np.array([1 + 0.25 * rank.get(gg, 0) for gg in g])
    tau = d * (base_effect + slope * e) * boost
    x = rng.normal(size=n_units)[unit]
    y = alpha[unit] + lam[year - yrs[0]] + 0.3 * x + tau + rng.normal(scale=noise, size=len(unit))
    return pd.DataFrame(
        {
            "stkcd": [f"{600000 + u:06d}" for u in unit],
            "year": year,
            "y": y,
            "g": g,
            "d": d,
            "x": x,
            "tau": tau,
        }
    )
