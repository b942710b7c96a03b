"""Small simulated staggered-adoption panels with a known effect.

Used by the part-1 tests and the benchmark (the demo world is the full-size
synthetic data set; this is the minimal one with nothing but a planted effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_panel(n_firms: int = 300, years: tuple[int, int] = (2011, 2023), effect: float = 0.5,
                   share_treated: float = 0.3, cohorts=(2015, 2016, 2017, 2018),
                   unbalanced: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """A firm-year panel with staggered adoption and a constant treatment effect.

    ``y = a_i + l_t + effect * did + 0.5 x1 - 0.3 x2 + e`` and a zero-effect
    outcome ``y0`` built the same way without the treatment term. Treated firms
    are more likely in high-``a_i`` firms (selection on levels, which the firm
    FE absorbs). ``x1`` is correlated with treatment so omitting it biases the
    estimate. ``unbalanced`` removes that share of firm-years at random.

    Returns
    -------
    pandas.DataFrame with columns stkcd, year, gname, did, y, y0, x1, x2,
    count (Poisson outcome), industry, province, city, soe.
    """
    rng = np.random.default_rng(seed)
    yrs = np.arange(years[0], years[1] + 1)
    T = len(yrs)
    a = rng.normal(size=n_firms)
    p_treat = 1 / (1 + np.exp(-(np.log(share_treated / (1 - share_treated)) + 0.8 * a)))
    treated = rng.random(n_firms) < p_treat
    g = np.where(treated, rng.choice(np.asarray(cohorts), size=n_firms), 0)
    lam = rng.normal(scale=0.5, size=T).cumsum()
    firm = np.repeat(np.arange(n_firms), T)
    year = np.tile(yrs, n_firms)
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
        "industry": np.repeat(rng.integers(0, 8, n_firms), T),
        "province": np.repeat(rng.integers(0, 6, n_firms), T),
        "city": np.repeat(rng.integers(0, 20, n_firms), T),
        "soe": np.repeat((rng.random(n_firms) < 0.4).astype(int), T),
    })
    df["count"] = rng.poisson(np.exp(0.3 * a[firm] + 0.2 * lam[year - yrs[0]] + 0.3 * did))
    if unbalanced > 0:
        df = df.loc[rng.random(len(df)) >= unbalanced].reset_index(drop=True)
    return df
