"""The firm universe: codes, names, listing, industry, location, ownership, latent traits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import INDUSTRIES, PROVINCE_WEIGHTS, PROVINCES
from .names import firm_names, subsidiary_names

# exchange boards: (prefix, share)
_BOARDS = (("000", 0.18), ("002", 0.22), ("300", 0.18), ("600", 0.22), ("601", 0.08), ("603", 0.08), ("688", 0.04))


def _stock_codes(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = rng.choice([b for b, _ in _BOARDS], size=n, p=[s for _, s in _BOARDS])
    codes: set[str] = set()
    out = []
    for pre in prefixes:
        while True:
            code = f"{pre}{int(rng.integers(1, 1000)):03d}"
            if code not in codes:
                break
        codes.add(code)
        out.append(code)
    return out


def make_firms(rng: np.random.Generator, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the listed firms and their subsidiaries.

    Returns
    -------
    firms : DataFrame
        One row per firm: ``stkcd, name, short_name, listing_year, industry, industry_name,
        is_manufacturing, is_financial, province, city, region, soe, factor_intensity,
        exporter`` and the latent traits (columns starting with ``latent_``).
    subsidiaries : DataFrame
        ``stkcd, subsidiary_name``.
    """
    n = cfg.n_firms
    ind_codes = list(INDUSTRIES)
    w = np.array([INDUSTRIES[c][2] for c in ind_codes], float)
    industry = rng.choice(ind_codes, size=n, p=w / w.sum())
    provs = list(PROVINCE_WEIGHTS)
    pw = np.array([PROVINCE_WEIGHTS[p] for p in provs], float)
    province = rng.choice(provs, size=n, p=pw / pw.sum())
    city = [str(rng.choice(PROVINCES[p][1])) for p in province]
    intensity = [INDUSTRIES[c][1] for c in industry]
    names = firm_names(rng, intensity)
    # most firms listed before the sample; some list during it (IPO-year filter matters)
    listing_year = np.where(rng.random(n) < 0.75,
                            rng.integers(1993, cfg.first_year, size=n),
                            rng.integers(cfg.first_year, max(cfg.first_year + 1, cfg.last_year - 2), size=n))
    firms = pd.DataFrame({
        "stkcd": _stock_codes(rng, n),
        "name": [a for a, _ in names],
        "short_name": [b for _, b in names],
        "listing_year": listing_year.astype(int),
        "industry": industry,
        "industry_name": [INDUSTRIES[c][0] for c in industry],
        "is_manufacturing": [int(c.startswith("C")) for c in industry],
        "is_financial": [int(c.startswith("J")) for c in industry],
        "province": province,
        "city": city,
        "region": [PROVINCES[p][0] for p in province],
        "soe": (rng.random(n) < 0.32).astype(int),
        "factor_intensity": intensity,
    })
    firms["exporter"] = ((rng.random(n) < 0.55 + 0.2 * firms["is_manufacturing"]) & (firms["is_financial"] == 0)).astype(int)
    # latent traits: firm size, productivity level, and text propensities
    firms["latent_size"] = rng.normal(0.0, 0.8, n)
    firms["latent_alpha"] = rng.normal(0.0, 0.25, n)       # permanent productivity
    tech = (firms["factor_intensity"] == "technology").to_numpy()
    firms["latent_digital"] = rng.normal(0.0, 0.7, n) + 0.5 * tech
    firms["latent_smart"] = rng.normal(0.0, 0.7, n) + 0.3 * firms["is_manufacturing"]
    firms["latent_ai"] = 0.6 * firms["latent_digital"] + rng.normal(0.0, 0.5, n)
    firms["latent_nqpf"] = rng.normal(0.0, 1.0, n)
    firms["latent_innov"] = rng.normal(0.0, 0.6, n) + 0.4 * tech
    firms = firms.sort_values("stkcd", ignore_index=True)

    rows = []
    for rec in firms.itertuples():
        k = int(rng.integers(1, 4))
        cities = [rec.city] + [str(c) for c in rng.choice(PROVINCES[rec.province][1], size=2)]
        for sub in subsidiary_names(rng, rec.short_name, cities, k):
            rows.append((rec.stkcd, sub))
    subsidiaries = pd.DataFrame(rows, columns=["stkcd", "subsidiary_name"])
    return firms, subsidiaries
