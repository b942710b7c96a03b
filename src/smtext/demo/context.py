"""City, industry and trade data around the firms: controls, instruments, robots, customs, subsidies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import INDUSTRIES, city_province

# government-grant line items as listed in the notes to the statements; the flag says
# whether the item is R&D-related (papers 002 and 004 classify them by keywords)
SUBSIDY_ITEMS = [
    ("高新技术企业研发费用补助", True), ("科技创新专项资金", True), ("技术改造专项补助", True),
    ("专利资助奖励", True), ("重点研发计划项目经费", True), ("稳岗补贴", False),
    ("税收返还", False), ("上市奖励款", False), ("出口信用保险补贴", False), ("节能减排补助", False),
]


def city_year(rng: np.random.Generator, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """City-year controls and time-invariant city instruments.

    Returns
    -------
    panel : DataFrame
        ``city, province, year, gdp_per_capita, internet_users, fiscal_spending, fdi,
        digital_finance_index``.
    instruments : DataFrame
        ``city, ict_employment_2003, terrain_ruggedness``.
    """
    rows, inst = [], []
    for city, prov in city_province().items():
        level = rng.normal(0, 0.4)
        inst.append((city, float(np.exp(rng.normal(8 + level, 0.5))), float(rng.gamma(2.0, 0.8))))
        for year in cfg.years:
            t = year - cfg.first_year
            rows.append((city, prov, year,
                         float(np.exp(10.6 + level + 0.07 * t + rng.normal(0, 0.03))),
                         float(np.exp(5.0 + level + 0.09 * t + rng.normal(0, 0.05))),
                         float(np.exp(6.0 + level + 0.06 * t + rng.normal(0, 0.05))),
                         float(np.exp(3.0 + level + 0.02 * t + rng.normal(0, 0.2))),
                         float(60 + 20 * level + 18 * t + rng.normal(0, 5))))
    panel = pd.DataFrame(rows, columns=["city", "province", "year", "gdp_per_capita", "internet_users",
                                        "fiscal_spending", "fdi", "digital_finance_index"])
    instruments = pd.DataFrame(inst, columns=["city", "ict_employment_2003", "terrain_ruggedness"])
    return panel, instruments


def industry_robots(rng: np.random.Generator, cfg) -> pd.DataFrame:
    """Operational robot stock by industry and year (IFR-style), rising fastest in capital/technology industries."""
    rows = []
    for code, (_, cls, _) in INDUSTRIES.items():
        base = {"labor": 200, "capital": 900, "technology": 1500}[cls] * np.exp(rng.normal(0, 0.3))
        growth = {"labor": 0.12, "capital": 0.18, "technology": 0.22}[cls]
        for year in cfg.years:
            rows.append((code, year, float(base * np.exp(growth * (year - cfg.first_year) + rng.normal(0, 0.05)))))
    return pd.DataFrame(rows, columns=["industry", "year", "robot_stock"])


def trade_records(rng: np.random.Generator, fin: pd.DataFrame, dvar: pd.Series | None = None) -> pd.DataFrame:
    """Customs-style records per exporting firm-year: exports and imports by trade mode (yuan).

    With ``dvar`` (a target export domestic value-added ratio per row of ``fin``), imports are
    set so that the Upward-Wang-Zheng ratio computed from these records and ``revenue`` as total
    sales equals the target exactly: foreign content ``F = 1 - dvar`` splits into processing
    content ``min(0.95, 1.6 F)`` of processing exports and the ordinary content that balances
    ``F * exports``; ordinary intermediate imports cover domestic sales too
    (``M_O = F_o * (revenue - processing exports)``). Capital-goods imports come on top.
    """
    ex = fin[fin["overseas_revenue"] > 0]
    rows = []
    for rec in ex.itertuples():
        proc_share = float(rng.beta(2, 5))
        x = float(rec.overseas_revenue)
        xp, xo = x * proc_share, x * (1 - proc_share)
        target = np.nan if dvar is None else float(dvar.get(rec.Index, np.nan))
        caps = (float(rng.uniform(0.0, 0.05)), float(rng.uniform(0.0, 0.1)))
        if np.isfinite(target) and rec.revenue > xp:
            foreign = 1.0 - target
            fp = min(0.95, 1.6 * foreign)
            fo = (foreign * x - fp * xp) / xo
            if fo < 0:   # processing-heavy exporter: the same content in both modes
                fp = fo = foreign
            inter = {"processing": fp * xp, "ordinary": fo * (rec.revenue - xp)}
        else:
            ratios = {"processing": 0.55 * float(rng.uniform(0.7, 1.3)), "ordinary": 0.12 * float(rng.uniform(0.7, 1.3))}
            inter = {"processing": ratios["processing"] * xp, "ordinary": ratios["ordinary"] * xo}
        for (mode, exports), cap in zip((("processing", xp), ("ordinary", xo)), caps):
            capital = inter[mode] * cap
            rows.append((rec.stkcd, rec.year, mode, exports, inter[mode] + capital, capital))
    return pd.DataFrame(rows, columns=["stkcd", "year", "trade_mode", "exports", "imports",
                                       "imports_capital_goods"])


def subsidies(rng: np.random.Generator, fin: pd.DataFrame) -> pd.DataFrame:
    """Government-grant line items per firm-year with names, amounts and the R&D truth flag."""
    rows = []
    for rec in fin[["stkcd", "year", "revenue"]].itertuples():
        k = int(rng.integers(0, 4))
        for idx in rng.choice(len(SUBSIDY_ITEMS), size=k, replace=False):
            name, is_rd = SUBSIDY_ITEMS[int(idx)]
            rows.append((rec.stkcd, rec.year, name, float(rec.revenue * rng.uniform(0.0005, 0.004)), is_rd))
    return pd.DataFrame(rows, columns=["stkcd", "year", "item", "amount", "truth_is_rd"])
