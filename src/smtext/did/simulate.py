"""Simulated firm-year panels with a known treatment effect, for tests, examples and benchmarks.

* :func:`simulate_panel` -- staggered adoption with a constant effect, controls,
  a zero-effect outcome, a count outcome and firm attributes (the minimal
  version of the demo world: nothing but a planted effect).
* :func:`simulate_staggered` -- staggered adoption with heterogeneous, dynamic
  effects: the true effect of every treated firm-year is known, so an
  estimator's error can be measured. Effects grow with time since adoption and
  are larger for early cohorts, the setting in which TWFE is biased
  (Goodman-Bacon 2021; Sun and Abraham 2021).

Both are seeded (``seed``): the same arguments give the same panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_panel", "simulate_staggered"]


def simulate_panel(*, n_units: int = 300, years: tuple[int, int] = (2011, 2023), effect: float = 0.5,
                   share_treated: float = 0.3, cohorts=(2015, 2016, 2017, 2018),
                   unbalanced: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """A firm-year panel with staggered adoption and a constant treatment effect.

    ``y = a_i + l_t + effect * did + 0.5 x1 - 0.3 x2 + e`` and a zero-effect
    outcome ``y0`` built the same way without the treatment term. Treated firms
    are more likely in high-``a_i`` firms (selection on levels, which the firm
    FE absorbs). ``x1`` is correlated with treatment so omitting it biases the
    estimate. ``unbalanced`` removes that share of firm-years at random.

    Parameters
    ----------
    n_units : int
        Firms.
    years : (int, int)
        First and last year (inclusive).
    effect : float
        Constant treatment effect on ``y``.
    share_treated : float
        Expected share of firms ever treated.
    cohorts : sequence of int
        Adoption years, drawn uniformly for treated firms.
    unbalanced : float
        Share of firm-years removed at random (0 = balanced).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns stkcd, year, gname, did, y, y0, x1, x2, industry, province,
        city, soe and count (Poisson outcome).
    """
    rng = np.random.default_rng(seed)
    yrs = np.arange(years[0], years[1] + 1)
    T = len(yrs)
    a = rng.normal(size=n_units)
    p_treat = 1 / (1 + np.exp(-(np.log(share_treated / (1 - share_treated)) + 0.8 * a)))
    treated = rng.random(n_units) < p_treat
    g = np.where(treated, rng.choice(np.asarray(cohorts), size=n_units), 0)
    lam = rng.normal(scale=0.5, size=T).cumsum()
    firm = np.repeat(np.arange(n_units), T)
    year = np.tile(yrs, n_units)
    gg = g[firm]
    did = ((gg > 0) & (year >= gg)).astype(int)
    x1 = 0.5 * a[firm] + 0.4 * did + rng.normal(size=firm.size)
    x2 = rng.normal(size=firm.size)
    base = a[firm] + lam[year - yrs[0]] + 0.5 * x1 - 0.3 * x2
    df = pd.DataFrame({
        "stkcd": pd.Series(firm + 600000).astype(str).str.zfill(6),
        "year": year,
        "gname": gg,
        "did": did,
        "y": base + effect * did + rng.normal(size=firm.size),
        "y0": base + rng.normal(size=firm.size),
        "x1": x1,
        "x2": x2,
        "industry": np.repeat(rng.integers(0, 8, n_units), T),
        "province": np.repeat(rng.integers(0, 6, n_units), T),
        "city": np.repeat(rng.integers(0, 20, n_units), T),
        "soe": np.repeat((rng.random(n_units) < 0.4).astype(int), T),
    })
    df["count"] = rng.poisson(np.exp(0.3 * a[firm] + 0.2 * lam[year - yrs[0]] + 0.3 * did))
    if unbalanced > 0:
        df = df.loc[rng.random(len(df)) >= unbalanced].reset_index(drop=True)
    return df

def simulate_staggered(
    *,
    n_units: int = 600,
    years: tuple[int, int] = (2008, 2020),
    cohorts: tuple[int, ...] = (2011, 2013, 2015, 2017),
    never_share: float = 0.3,
    base_effect: float = 1.0,
    slope: float = 0.5,
    noise: float = 1.0,
    seed: int = 0,
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
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        ``stkcd`` (6-digit string), ``year``, ``y``, ``g`` (0 = never),
        ``d`` (0/1), ``x`` (a covariate), ``tau`` (true effect, 0 if untreated).
    """
    rng = np.random.default_rng(seed)
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
