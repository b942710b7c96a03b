"""Variables papers 002 and 003 use beyond the statements, with planted effects.

* ``firm_extras``: per firm-year the 14 NQPF sub-indicators of paper 002 Table 1, paper 002's
  mechanism outcomes (papers, co-authored papers, smart-investment, internal control, capacity
  utilisation, AI job postings, top inventors), governance controls (largest shareholder, CEO
  duality), the high-tech flag and founding year, and production workers (paper 003's robot
  weights).
* ``city_policies``: city-year dummies of the competing digital policies of paper 002 Table 7
  (AIP, SCP, BC, CDG, NBD; no effect on anything) and a city IPR-protection index.
* ``io_table``: direct input-output coefficients between the world's industries (paper 003
  Table 7).
* ``dvar_target``: the export domestic value-added ratio each exporter-year must show, linear in
  the firm's robot penetration (paper 003); :func:`smtext.demo.context.trade_records` writes
  customs records that reproduce it exactly under the Upward-Wang-Zheng formula.
* ``gross_output``: industrial output on a Cobb-Douglas frontier in capital and labour with noise,
  times a technical efficiency ``exp(-u)``, ``u`` half-normal with a scale that pilots shrink
  (paper 002's Cur by stochastic frontier analysis; the efficiency is written to the truth).
* ``trade_intermediaries``: per industry-year the share of imports that come through trade
  intermediaries (the indirect imports of paper 003 eq. (2)).

Every sub-indicator is ``level_i + trend * t + delta * D_it + noise`` with no clipping, so the
entropy-weight NQPF index (pooled over this table) moves by exactly
``sum_j w_j * sign_j * delta_j / (max_j - min_j)`` when a firm is treated; :func:`nqpf_truth`
computes that number for ``truth.json`` with the entropy weights of this table, by the demo's own
code (:mod:`smtext.demo.truth`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import INDUSTRIES, city_province
from .truth import entropy_weights

# name -> (direction, level mean, level sd across firms, trend per year, noise sd, planted pilot effect)
NQPF_INDICATORS: dict[str, tuple[str, float, float, float, float, float]] = {
    "rd_staff_share": ("+", 0.15, 0.04, 0.002, 0.010, 0.012),
    "rd_pay_share": ("+", 0.12, 0.03, 0.002, 0.010, 0.010),
    "digital_investment": ("+", 2.0, 0.50, 0.050, 0.150, 0.150),
    "pollution_intensity": ("-", 1.0, 0.25, -0.010, 0.060, -0.050),
    "rd_depreciation_share": ("+", 0.05, 0.015, 0.001, 0.005, 0.004),
    "rd_lease_share": ("+", 0.02, 0.006, 0.0005, 0.002, 0.0015),
    "rd_direct_share": ("+", 0.40, 0.08, 0.003, 0.020, 0.020),
    "invention_applications": ("+", 3.0, 0.80, 0.080, 0.250, 0.300),
    "utility_applications": ("+", 4.0, 1.00, 0.050, 0.300, 0.200),
    "production_digital": ("+", 1.5, 0.40, 0.060, 0.120, 0.200),
    "organisation_digital": ("+", 1.2, 0.35, 0.050, 0.120, 0.120),
    "green_production": ("+", 0.8, 0.20, 0.020, 0.060, 0.040),
    "digital_real_fusion": ("+", 0.6, 0.15, 0.015, 0.050, 0.040),
    "data_factor": ("+", 1.0, 0.30, 0.040, 0.100, 0.100),
}

# paper 002 Table 8 mechanism outcomes: name -> (level mean, level sd, trend, noise sd, pilot effect)
MECHANISMS: dict[str, tuple[float, float, float, float, float]] = {
    "papers": (1.0, 0.50, 0.02, 0.20, 0.30),                 # Basic: ln(1 + papers)
    "coop_papers": (0.6, 0.40, 0.02, 0.15, 0.20),            # Per: ln(1 + co-authored papers)
    "smart_investment": (15.0, 1.20, 0.05, 0.30, 0.30),      # Taii: ln(smart-equipment investment)
    "smart_investment_share": (0.02, 0.008, 0.001, 0.004, 0.004),  # Aiil
    "internal_control": (6.4, 0.15, 0.005, 0.05, 0.05),      # Ic: ln(DIB internal-control index)
    "capacity_utilization": (0.75, 0.06, 0.002, 0.02, 0.01),  # Cur
    "ai_jobs": (1.0, 0.60, 0.05, 0.25, 0.30),                # Aijob: ln(1 + AI postings)
    "top_inventors": (1.5, 0.60, 0.03, 0.20, 0.12),          # Inventor: ln(1 + top-20% inventors)
}

POLICIES = {  # competing digital policies (paper 002 Table 7): first year range, share of cities
    "AIP": ((2019, 2021), 0.25),   # 人工智能创新应用先导区
    "SCP": ((2012, 2014), 0.45),   # 智慧城市试点
    "BC": ((2014, 2016), 0.40),    # 宽带中国示范城市
    "CDG": ((2018, 2021), 0.35),   # 数字政府建设
    "NBD": ((2016, 2016), 0.20),   # 国家大数据综合试验区
}

DVAR_LEVEL, DVAR_FIRM_SD, DVAR_TREND, DVAR_NOISE = 0.55, 0.05, 0.003, 0.03


def firm_extras(rng: np.random.Generator, firms: pd.DataFrame, obs: pd.DataFrame, cfg) -> pd.DataFrame:
    """One row per observed firm-year (``obs``) with the variables listed in the module docstring.

    ``obs`` needs ``stkcd, year, employees, treated_post``; ``firms`` the latent traits.
    """
    f = firms.set_index("stkcd")
    n = len(firms)
    idx = {s: i for i, s in enumerate(firms["stkcd"])}
    row = obs["stkcd"].map(idx).to_numpy()
    t = (obs["year"] - cfg.first_year).to_numpy(float)
    d = obs["treated_post"].to_numpy(float)
    nq = f["latent_nqpf"].to_numpy()
    out = pd.DataFrame({"stkcd": obs["stkcd"].to_numpy(), "year": obs["year"].to_numpy()})
    for name, (_, mu, sd, trend, noise, delta) in NQPF_INDICATORS.items():
        level = mu + sd * (0.6 * nq + 0.8 * rng.normal(0, 1, n))
        out[name] = level[row] + trend * t + delta * d + noise * rng.normal(0, 1, len(obs))
    for name, (mu, sd, trend, noise, delta) in MECHANISMS.items():
        level = mu + sd * (0.5 * f["latent_innov"].to_numpy() + 0.8 * rng.normal(0, 1, n))
        out[name] = level[row] + trend * t + delta * d + noise * rng.normal(0, 1, len(obs))
    # governance controls of paper 002 (no policy effect)
    top1 = np.clip(rng.beta(4, 8, n), 0.08, 0.75)
    out["top1_share"] = np.clip(top1[row] + rng.normal(0, 0.01, len(obs)), 0.05, 0.8)
    dual = rng.random(n) < 0.3
    out["ceo_duality"] = (dual[row] ^ (rng.random(len(obs)) < 0.05)).astype(int)
    hightech = (rng.random(n) < np.where(f["factor_intensity"].to_numpy() == "technology", 0.8, 0.3)).astype(int)
    out["high_tech"] = hightech[row]
    founding = f["listing_year"].to_numpy() - rng.integers(3, 21, n)
    out["founding_year"] = founding[row].astype(int)
    # production workers: a firm-specific share, drifting down slowly (paper 003's base-year weight)
    share = np.clip(rng.beta(6, 4, n), 0.2, 0.9)
    pw = share[row] * (1 - 0.004 * t) * obs["employees"].to_numpy(float)
    out["production_workers"] = np.maximum(1, np.round(pw)).astype(int)
    return out


def city_policies(rng: np.random.Generator, cfg) -> pd.DataFrame:
    """City-year competing-policy dummies and an IPR-protection index (no planted effects)."""
    cities = sorted(city_province())
    first = {}
    for name, ((lo, hi), share) in POLICIES.items():
        picked = rng.random(len(cities)) < share
        years = rng.integers(lo, hi + 1, len(cities))
        first[name] = np.where(picked, years, 0)
    ipr = rng.normal(1.0, 0.3, len(cities))
    rows = []
    for i, city in enumerate(cities):
        for year in cfg.years:
            rec = {"city": city, "year": year}
            rec.update({k: int(v[i] > 0 and year >= v[i]) for k, v in first.items()})
            rec["ipr_protection"] = float(ipr[i] + 0.02 * (year - cfg.first_year) + rng.normal(0, 0.05))
            rows.append(rec)
    return pd.DataFrame(rows)


def ipr_cases(rng: np.random.Generator, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Closed IP trial cases and GDP per city-year (paper 002's IPR input), with planted protection.

    A city's protection ``p_ct = exp(0.5 z_c + 0.01 (year - first_year) + N(0, 0.05))``, z_c ~ N(0, 1);
    GDP (亿元) ``exp(7.5 + N(0, 0.6) + 0.07 t)``; cases ~ Poisson(p_ct * GDP_ct / sum_c GDP_ct * 4000 * 1.1^t).

    Returns
    -------
    table : DataFrame
        ``city, year, ipr_cases, gdp`` (the input).
    truth : DataFrame
        ``city, year, protection`` (planted) and ``ipr_rca``: the index of the written counts,
        (cases / year's cases) / (GDP / year's GDP), computed here.
    """
    cities = sorted(city_province())
    z = rng.normal(0, 1, len(cities))
    size = rng.normal(0, 0.6, len(cities))
    rows = []
    for year in cfg.years:
        t = year - cfg.first_year
        gdp = np.exp(7.5 + size + 0.07 * t + rng.normal(0, 0.02, len(cities)))
        prot = np.exp(0.5 * z + 0.01 * t + rng.normal(0, 0.05, len(cities)))
        cases = rng.poisson(prot * gdp / gdp.sum() * 4000 * 1.1 ** t)
        rca = (cases / cases.sum()) / (gdp / gdp.sum())
        rows += list(zip(cities, [year] * len(cities), cases.astype(int), gdp, prot, rca))
    full = pd.DataFrame(rows, columns=["city", "year", "ipr_cases", "gdp", "protection", "ipr_rca"])
    return full[["city", "year", "ipr_cases", "gdp"]], full[["city", "year", "protection", "ipr_rca"]]


def io_table(rng: np.random.Generator) -> pd.DataFrame:
    """Direct requirement coefficients ``supplier -> user`` (columns sum to about 0.55)."""
    codes = sorted(INDUSTRIES)
    k = len(codes)
    A = rng.gamma(0.6, 1.0, (k, k)) * (rng.random((k, k)) < 0.45)
    A[np.arange(k), np.arange(k)] += rng.uniform(1.0, 3.0, k)      # own-industry inputs dominate
    A = A / A.sum(axis=0, keepdims=True) * rng.uniform(0.45, 0.65, k)
    sup, use = np.meshgrid(codes, codes, indexing="ij")
    out = pd.DataFrame({"supplier": sup.ravel(), "user": use.ravel(), "coefficient": A.ravel()})
    return out[out["coefficient"] > 0].reset_index(drop=True)


def dvar_target(rng: np.random.Generator, obs: pd.DataFrame, robot: pd.Series, effect: float, cfg) -> pd.Series:
    """Export DVAR of every exporter-year: ``level_i + trend * t + effect * robot_it + noise``.

    Rows without robot penetration or overseas revenue get NaN (no customs record is written).
    """
    firms = obs["stkcd"].unique()
    level = dict(zip(firms, DVAR_LEVEL + DVAR_FIRM_SD * rng.normal(0, 1, len(firms))))
    t = (obs["year"] - cfg.first_year).to_numpy(float)
    noise = DVAR_NOISE * rng.normal(0, 1, len(obs))
    target = obs["stkcd"].map(level).to_numpy() + DVAR_TREND * t + effect * robot.to_numpy(float) + noise
    ok = (obs["overseas_revenue"].to_numpy() > 0) & np.isfinite(target)
    return pd.Series(np.where(ok, target, np.nan), index=obs.index, name="dvar")


# paper 002 Cur: ln(gross output) = const + capital * ln K + labour * ln L + v - u,
# u = sigma_u * exp(-pilot_scale * D_it) * |z|, z ~ N(0, 1) (a half-normal whose scale pilots shrink)
FRONTIER = {"const": 1.0, "ln_capital": 0.35, "ln_labour": 0.55, "sigma_v": 0.1, "sigma_u": 0.3, "pilot_scale": 0.2}


def gross_output(rng: np.random.Generator, obs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Output on the frontier ``exp(const + b_K ln K + b_L ln L + v)`` times efficiency ``exp(-u)``.

    ``K`` = ``fixed_assets_net``, ``L`` = ``employees``, ``D`` = ``treated_post`` of ``obs``;
    returns (gross output, technical efficiency ``exp(-u)``).
    """
    f = FRONTIER
    n = len(obs)
    frontier = (f["const"] + f["ln_capital"] * np.log(obs["fixed_assets_net"].to_numpy(float))
                + f["ln_labour"] * np.log(obs["employees"].to_numpy(float)) + rng.normal(0, f["sigma_v"], n))
    u = f["sigma_u"] * np.exp(-f["pilot_scale"] * obs["treated_post"].to_numpy(float)) * np.abs(rng.normal(0, 1, n))
    return np.exp(frontier - u), np.exp(-u)


def trade_intermediaries(rng: np.random.Generator, cfg) -> pd.DataFrame:
    """``industry, year, intermediary_share``: a level per industry in [0.05, 0.30] plus small yearly noise."""
    rows = []
    for code in sorted(INDUSTRIES):
        level = float(rng.uniform(0.05, 0.30))
        for year in cfg.years:
            rows.append((code, year, float(np.clip(level + rng.normal(0, 0.01), 0.01, 0.5))))
    return pd.DataFrame(rows, columns=["industry", "year", "intermediary_share"])


def nqpf_truth(extras: pd.DataFrame) -> dict:
    """The NQPF index's planted effect with the entropy weights and ranges of this very table.

    The weights come from :func:`smtext.demo.truth.entropy_weights` (the method's steps written
    out here), pooled over every row, as paper 002 builds its index.
    """
    directions = {k: v[0] for k, v in NQPF_INDICATORS.items()}
    positive = np.array([d == "+" for d in directions.values()])
    w = dict(zip(directions, entropy_weights(extras[list(directions)].to_numpy(), positive)))
    span = {k: float(extras[k].max() - extras[k].min()) for k in directions}
    sign = {k: 1.0 if v == "+" else -1.0 for k, v in directions.items()}
    att = sum(float(w[k]) * sign[k] * NQPF_INDICATORS[k][5] / span[k] for k in directions)
    return {"outcome": "entropy-weight index of the 14 indicators in data/firm_extras.parquet, pooled over the file",
            "rule": "indicator_j += delta_j for treated firms from the selection year",
            "delta": {k: v[5] for k, v in NQPF_INDICATORS.items()},
            "weights": {k: float(w[k]) for k in directions}, "range": span, "att": att}
