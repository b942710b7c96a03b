"""Firm-year financial statements from a known production function.

Value added follows ``y = b0 + bl*l + bk*k + omega + eps`` (logs). Productivity
``omega`` is a trend plus an AR(1) shock plus the pilot's planted effect.
Investment, labour and materials respond to ``omega`` (so OLS is biased and the
Olley-Pakes / Levinsohn-Petrin proxies are invertible), which is the textbook
setting the TFP estimators are built for. The two proxies carry different
information, so OP and LP give different estimates: investment is an exact, convex
and strictly increasing function of omega given capital (OP's scalar unobservable);
materials are log-linear in (k, omega), but the LP/ACF proxy, cash paid for goods and
services, differs from them by a small cash-timing error (LP and ACF recover omega up
to it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ESG_GRADES = ["C", "CC", "CCC", "B", "BB", "BBB", "A", "AA", "AAA"]


def firm_years(rng: np.random.Generator, firms: pd.DataFrame, cfg) -> pd.DataFrame:
    """Active firm-years: from listing (or the first sample year) to exit, with rare gap years.

    Returns a frame with ``stkcd, year`` and a ``gap`` column marking the years a
    firm has no report and no statements (so calendar lags must return missing).
    """
    rows = []
    for rec in firms.itertuples():
        start = max(cfg.first_year, int(rec.listing_year))
        end = cfg.last_year
        if rng.random() < 0.05:  # delisting: an unbalanced panel, as in the papers
            end = int(rng.integers(start + 3, cfg.last_year + 1)) if start + 3 <= cfg.last_year else end
        for year in range(start, end + 1):
            rows.append((rec.stkcd, year))
    fy = pd.DataFrame(rows, columns=["stkcd", "year"])
    inner = (fy.groupby("stkcd")["year"].transform("min") < fy["year"]) & (
        fy.groupby("stkcd")["year"].transform("max") > fy["year"])
    fy["gap"] = inner & (rng.random(len(fy)) < 0.01)
    return fy


def productivity(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame, cfg) -> pd.Series:
    """Productivity without the policy: trend + AR(1) shock (index aligned to ``fy``).

    No firm-specific mean: with one, omega is not first-order Markov and the
    Olley-Pakes / Levinsohn-Petrin / ACF moments are biased (capital above truth).
    Firm heterogeneity enters through size and the permanent trait ``latent_alpha``
    (profitability), which selection into the pilot uses.
    """
    omega0 = np.empty(len(fy))
    prev_firm, u = None, 0.0
    for i, (firm, year) in enumerate(zip(fy["stkcd"], fy["year"])):
        if firm != prev_firm:
            u = rng.normal(0.0, cfg.omega_sigma / np.sqrt(1 - cfg.omega_rho ** 2))
            prev_firm = firm
        else:
            u = cfg.omega_rho * u + rng.normal(0.0, cfg.omega_sigma)
        omega0[i] = 0.01 * (year - cfg.first_year) + u
    return pd.Series(omega0, index=fy.index, name="omega0")


def statements(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame, cfg,
               proxy_rng: np.random.Generator) -> pd.DataFrame:
    """Every field the papers' indicators need, for each firm-year in ``fy``.

    ``fy`` must carry ``omega`` (log TFP including the policy effect), ``treated_post``
    (1 from the firm's selection year on) and ``tfp_effect`` (the planted effect).
    Money is in yuan; shares are fractions.

    Capital, labour and output: ``K_t = (1 - d_t) K_{t-1} + I_{t-1}``,
    ``l = 6.6 + 0.45 (k - 20) + 0.6 omega + 0.3 size + N(0, 0.12)``, materials
    ``ln M = 11.4 + 0.4 k + 0.9 omega``, revenue = value added + materials. Proxies, with
    ``a = cfg.investment_convexity``: investment ``ln I = -2.3 + k + (exp(a omega) - 1) / a``
    and cash paid for goods and services ``ln M + e_m``, ``e_m ~ N(0, cfg.materials_proxy_sigma)``
    (payables and inventories put cash paid and materials used apart).
    Depreciation ``d_t = u_t + exp(-2.3) * (exp(g(omega_{t-1})) - exp(omega_{t-1}))``,
    ``u_t ~ U(0.05, 0.15)``, ``g(w) = (exp(a w) - 1) / a``: the convex part of investment
    replaces scrapped capital (``g(w) >= w``, so ``d_t >= u_t``), and capital grows as it
    would if investment were ``exp(-2.3 + k + omega)``. ``proxy_rng`` draws ``e_m`` only,
    from a stream of its own; so ``investment`` and ``cash_paid_goods`` are the only
    columns that depend on the proxies' parameters.
    """
    f = firms.set_index("stkcd")
    size = fy["stkcd"].map(f["latent_size"]).to_numpy()
    tech = fy["stkcd"].map(f["factor_intensity"].eq("technology")).to_numpy().astype(float)
    soe = fy["stkcd"].map(f["soe"]).to_numpy()
    exporter = fy["stkcd"].map(f["exporter"]).to_numpy()
    omega = fy["omega"].to_numpy()
    d = fy["treated_post"].to_numpy()
    n = len(fy)

    # capital accumulates from investment; investment rises with productivity
    k = np.empty(n)
    net = np.empty(n)   # investment net of the extra replacement: exp(-2.3 + k + omega)
    prev = None
    for i, firm in enumerate(fy["stkcd"]):
        if firm != prev:
            k[i] = 20.0 + 0.9 * size[i] + rng.normal(0, 0.3)
            prev = firm
        else:
            # random depreciation: with a fixed rate, k_t - k_{t-1} is almost a function of
            # omega_{t-1} and the ACF moments get a second root (capital elasticity ~ -1)
            k[i] = np.log((1 - rng.uniform(0.05, 0.15)) * np.exp(k[i - 1]) + net[i - 1])
        net[i] = np.exp(-2.3 + k[i] + omega[i])
    # investment is an exact, convex, strictly increasing function of omega given k (the
    # Olley-Pakes scalar unobservable), not log-linear in (k, m) as materials are: OP's
    # control function then differs from LP's. What it adds to ``net`` replaces scrapped
    # capital (the depreciation of the docstring), so capital itself does not move.
    a = cfg.investment_convexity
    inv = np.exp(-2.3 + k + np.expm1(a * omega) / a)
    l = 6.6 + 0.45 * (k - 20.0) + 0.6 * omega + 0.3 * size + rng.normal(0, 0.12, n)
    # materials depend on (k, omega) only: with labour in the demand, LP's labour
    # elasticity would not be identified (Ackerberg, Caves and Frazer 2015)
    m = 11.4 + 0.4 * k + 0.9 * omega
    # the LP/ACF proxy is cash paid for goods, materials up to a cash-timing error: an
    # imperfect proxy (LP and ACF biased by a little), drawn from its own stream so that
    # no other column moves with it
    cash_goods = np.exp(m + proxy_rng.normal(0, cfg.materials_proxy_sigma, n))
    y = cfg.beta_0 + cfg.beta_l * l + cfg.beta_k * k + omega + rng.normal(0, cfg.eps_sigma, n)
    value_added = np.exp(y)
    materials = np.exp(m)
    revenue = value_added + materials
    employees = np.maximum(np.round(np.exp(l)), 20).astype(int)

    firm_draw = lambda lo, hi: fy["stkcd"].map(  # noqa: E731 - per-firm constant
        dict(zip(f.index, rng.uniform(lo, hi, len(f))))).to_numpy()
    fixed_share = np.clip(firm_draw(0.15, 0.45) + rng.normal(0, 0.03, n), 0.05, 0.8)
    fixed_assets = np.exp(k)
    total_assets = fixed_assets / fixed_share
    lev = np.clip(firm_draw(0.25, 0.65) + rng.normal(0, 0.04, n), 0.05, 0.95)
    # profitability follows the permanent productivity level, not this year's omega:
    # the controls of paper 000 (ROA, Cashflow) then are not outcomes of the pilot
    alpha = fy["stkcd"].map(f["latent_alpha"]).to_numpy()
    roa = 0.03 + 0.08 * (alpha - alpha.mean()) + rng.normal(0, 0.02, n)
    net_profit = roa * total_assets
    cash_ratio = np.clip(firm_draw(0.06, 0.20) + rng.normal(0, 0.02, n), 0.01, 0.6)  # no policy effect
    export_share = np.where(exporter == 1, np.clip(firm_draw(0.05, 0.45), 0.01, 0.9), 0.0)
    overseas = revenue * export_share * np.exp(cfg.export_effect * d + rng.normal(0, 0.1, n))
    overseas = np.where(exporter == 1, np.minimum(overseas, 0.95 * revenue), 0.0)
    master_share = np.clip(0.04 + 0.05 * tech + cfg.master_share_effect * d + rng.normal(0, 0.01, n), 0.0, 0.6)
    esg_latent = 4.5 + 0.6 * soe + 0.3 * size + cfg.esg_effect * d + rng.normal(0, 0.9, n)
    esg_idx = np.clip(np.round(esg_latent), 1, 9).astype(int)
    payout = np.where(rng.random(n) < 0.65, rng.uniform(0.1, 0.4, n), 0.0)
    tobin_q = np.exp(rng.normal(0.55, 0.35, n))

    out = pd.DataFrame({
        "stkcd": fy["stkcd"].to_numpy(),
        "year": fy["year"].to_numpy().astype(int),
        "revenue": revenue,
        "value_added": value_added,
        "employees": employees,
        "wage_bill": employees * 85_000.0 * np.exp(rng.normal(0, 0.1, n)),
        "fixed_assets_net": fixed_assets,
        "investment": inv,
        "cash_paid_goods": cash_goods,
        "total_assets": total_assets,
        "total_liabilities": lev * total_assets,
        "long_term_debt": lev * total_assets * rng.uniform(0.1, 0.5, n),
        "cash": cash_ratio * total_assets,
        "current_assets": total_assets * rng.uniform(0.35, 0.6, n),
        "current_liabilities": lev * total_assets * rng.uniform(0.5, 0.85, n),
        "operating_cash_flow": net_profit + total_assets * rng.normal(0.03, 0.02, n),
        "net_profit": net_profit,
        "dividends": np.maximum(net_profit, 0) * payout,
        "rd_expense": revenue * np.clip(0.015 + 0.03 * tech + rng.normal(0, 0.005, n), 0.0, 0.2),
        "overseas_revenue": overseas,
        "top5_customer_share": np.clip(rng.beta(2, 5, n), 0.01, 0.99),
        "top5_supplier_share": np.clip(rng.beta(2, 4, n), 0.01, 0.99),
        "market_value": tobin_q * total_assets,
        "inst_holding": np.clip(rng.beta(2, 3, n), 0, 0.95),
        "employees_master": np.round(employees * master_share).astype(int),
        "employees_bachelor": np.round(employees * np.clip(0.22 + 0.1 * tech + rng.normal(0, 0.03, n), 0, 0.9)).astype(int),
        "esg_rating": [ESG_GRADES[i - 1] for i in esg_idx],
        "is_st": (rng.random(n) < 0.015).astype(int),
    })
    return out


def expense_items(rng: np.random.Generator, fin: pd.DataFrame) -> pd.DataFrame:
    """Income-statement items beyond :func:`statements`, on a stream of their own (index aligned to ``fin``).

    ``admin_expense`` (管理费用) is revenue times a firm-level ratio ``U(0.04, 0.11)`` plus
    ``N(0, 0.01)`` noise, clipped to ``[0.005, 0.5]`` (paper 001's MER = admin_expense / revenue);
    ``operating_cost`` (营业成本) is revenue times a firm-level cost share ``U(0.60, 0.85)`` plus
    ``N(0, 0.03)``, clipped to ``[0.3, 0.98]``; ``total_profit`` (利润总额) is net profit grossed
    up by the firm's income-tax rate, 15% (high-tech relief) or 25% (paper 003's Profitability =
    total_profit / operating_cost). None of them carries a policy effect.
    """
    firms = fin["stkcd"].drop_duplicates().to_numpy()
    n = len(fin)

    def firm_draw(values) -> np.ndarray:
        return fin["stkcd"].map(dict(zip(firms, values))).to_numpy()

    mer = np.clip(firm_draw(rng.uniform(0.04, 0.11, len(firms))) + rng.normal(0, 0.01, n), 0.005, 0.5)
    cost_share = np.clip(firm_draw(rng.uniform(0.60, 0.85, len(firms))) + rng.normal(0, 0.03, n), 0.3, 0.98)
    tax_rate = firm_draw(np.where(rng.random(len(firms)) < 0.4, 0.15, 0.25))
    revenue = fin["revenue"].to_numpy()
    return pd.DataFrame({"admin_expense": revenue * mer, "operating_cost": revenue * cost_share,
                         "total_profit": fin["net_profit"].to_numpy() / (1 - tax_rate)}, index=fin.index)
