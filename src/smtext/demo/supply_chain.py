"""Top-5 customer and supplier tables, written as CSMAR exports (paper 002 Table 9 cols. 8-9).

Each firm has three listed customers, three listed suppliers and four unlisted partners of each
kind, drawn once. In a firm-year each listed partner is among the top five with probability
0.7, the rest of the five are unlisted; 15% of firm-years disclose only 客户一 ... 客户五 (or
供应商一 ...). A listed partner is named as CSMAR reports it: the full registered name (60%),
the name with another legal form (华信科技有限公司, 20%), or one of its subsidiaries (20%).

The truth is computed here, from the draws (``truth/top5_partners.csv``: every row with the
partner's true stkcd and name form; ``truth/supply_chain_firm_year.parquet``: which firms supply
or buy from a pilot, and from when), never by :mod:`smtext.indicators.supply_chain`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from .names import unlisted_name

N_LISTED, N_UNLISTED, P_APPEAR, P_ANONYMOUS = 3, 4, 0.7, 0.15
ANON = {"customer": [f"客户{c}" for c in "一二三四五"], "supplier": [f"供应商{c}" for c in "一二三四五"]}


def top5_tables(rng: np.random.Generator, firms: pd.DataFrame, subs: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """Every top-5 row: ``stkcd, year, role, rank, partner_name, partner_amount, partner_share,
    true_stkcd, name_form`` (the last two are truth)."""
    codes = firms["stkcd"].to_numpy()
    full = dict(zip(firms["stkcd"], firms["name"]))
    short = dict(zip(firms["stkcd"], firms["short_name"]))
    city = dict(zip(firms["stkcd"], firms["city"]))
    sub_of = subs.groupby("stkcd")["subsidiary_name"].apply(list).to_dict()
    pool = {}
    for s in codes:
        others = codes[codes != s]
        for role in ("customer", "supplier"):
            pool[s, role] = (list(rng.choice(others, size=N_LISTED, replace=False)),
                             [unlisted_name(rng, city[s], int(rng.integers(8))) for _ in range(N_UNLISTED)])
    rows = []
    revenue = dict(zip(zip(obs["stkcd"], obs["year"]), obs["revenue"]))
    for s, year in zip(obs["stkcd"], obs["year"]):
        for role in ("customer", "supplier"):
            shares = np.sort(rng.uniform(0.01, 0.12, 5))[::-1]
            amounts = shares * float(revenue[s, year])
            if rng.random() < P_ANONYMOUS:
                picks = [(n, None, "anonymous") for n in ANON[role]]
            else:
                listed, unlisted = pool[s, role]
                picks = []
                for p in listed:
                    if rng.random() < P_APPEAR:
                        u = rng.random()
                        if u < 0.6 or not sub_of.get(p):
                            picks.append((full[p], p, "full"))
                        elif u < 0.8:
                            picks.append((f"{short[p]}有限公司", p, "legal_variant"))
                        else:
                            names = sub_of[p]
                            picks.append((names[int(rng.integers(len(names)))], p, "subsidiary"))
                picks += [(n, None, "unlisted") for n in dict.fromkeys(unlisted)][:5 - len(picks)]
                picks = [picks[i] for i in rng.permutation(len(picks))]
            for rank, (name, true, form) in enumerate(picks, start=1):
                rows.append((s, int(year), role, rank, name, float(amounts[rank - 1]), float(shares[rank - 1]),
                             true, form))
    return pd.DataFrame(rows, columns=["stkcd", "year", "role", "rank", "partner_name", "partner_amount",
                                       "partner_share", "true_stkcd", "name_form"])


# The export's three header rows (field codes, Chinese names, units) as CSMAR's top-5 tables
# write them, spelled out here rather than read from smtext.io's maps so that the reader is
# checked against an independent statement of the layout.
CSMAR_HEADER = {
    "customer": [("EndDate", "统计截止日期", "没有单位"), ("Rank", "排名", "没有单位"),
                 ("CustomerName", "客户名称", "没有单位"), ("SalesAmount", "销售额", "元"),
                 ("SalesRatio", "销售额占比", "%")],
    "supplier": [("EndDate", "统计截止日期", "没有单位"), ("Rank", "排名", "没有单位"),
                 ("SupplierName", "供应商名称", "没有单位"), ("PurchaseAmount", "采购额", "元"),
                 ("PurchaseRatio", "采购额占比", "%")],
}


def write_csmar(rows: pd.DataFrame, role: str, path: Path) -> None:
    """One role's rows as a CSMAR export (codes, names and units header rows, UTF-8 with BOM)."""
    order = ["report_year", "rank", "partner_name", "partner_amount", "partner_share"]
    header = CSMAR_HEADER[role]
    r = rows[rows["role"] == role]
    values = {"report_year": [f"{y}-12-31" for y in r["year"]], "rank": r["rank"].tolist(),
              "partner_name": r["partner_name"].tolist(), "partner_amount": r["partner_amount"].round(2).tolist(),
              "partner_share": (100 * r["partner_share"]).round(4).tolist()}
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Stkcd"] + [h[0] for h in header])
        w.writerow(["证券代码"] + [h[1] for h in header])
        w.writerow(["没有单位"] + [h[2] for h in header])
        w.writerows(zip(r["stkcd"], *(values[c] for c in order)))


def exposure_truth(rows: pd.DataFrame, gname: dict, obs: pd.DataFrame) -> pd.DataFrame:
    """Which firms supply (upstream) or buy from (downstream) a pilot in some year, and from when.

    Built from the true partner of every named row: a customer row of i naming j is i -> j, a
    supplier row of i naming j is j -> i; anonymised and unlisted rows carry no link.
    """
    up_g: dict = {}    # firm -> earliest selection year of a pilot it supplies
    down_g: dict = {}  # firm -> earliest selection year of a pilot it buys from
    for s, role, true in zip(rows["stkcd"], rows["role"], rows["true_stkcd"]):
        if true is None or (isinstance(true, float) and np.isnan(true)):
            continue
        supplier, customer = (s, true) if role == "customer" else (true, s)
        if gname.get(customer, 0) > 0:
            up_g[supplier] = min(up_g.get(supplier, 9999), gname[customer])
        if gname.get(supplier, 0) > 0:
            down_g[customer] = min(down_g.get(customer, 9999), gname[supplier])
    out = obs[["stkcd", "year"]].reset_index(drop=True).copy()
    for side, first in (("up", up_g), ("down", down_g)):
        g = [first.get(s, 0) for s in out["stkcd"]]
        out[f"chain_{side}"] = [int(v > 0) for v in g]
        out[f"chain_{side}_g"] = g
        out[f"IM_{side}"] = [int(v > 0 and y >= v) for v, y in zip(g, out["year"])]
    return out
