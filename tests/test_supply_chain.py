"""Supply-chain links (paper 002 Table 9 cols. 8-9): top-5 tables -> matched partners -> links -> exposure."""

from __future__ import annotations

import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators.supply_chain import (
    chain_edges,
    match_partners,
    pilot_exposure,
    tidy_top5,
)
from smtext.io import read_panel
from smtext.study import loads, run_study

FIRMS = pd.DataFrame({"stkcd": ["000001", "000002", "000003", "600004"],
                      "name": ["华信科技股份有限公司", "东源材料股份有限公司", "南峰电子股份有限公司", "金晶食品股份有限公司"],
                      "city": ["苏州", "南京", "杭州", "成都"]})
SUBS = pd.DataFrame({"stkcd": ["000003"], "subsidiary_name": ["杭州南峰电子制造有限公司"]})


def _hand_tables():
    cust = pd.DataFrame({"stkcd": ["000001"] * 4 + ["000002"] * 2,
                         "report_year": [2015, 2015, 2015, 2016, 2016, 2016],
                         "rank": [1, 2, 3, 1, 1, 2],
                         "partner_name": ["东源材料有限公司", "客户二", "远大机械有限公司", " 杭州南峰电子制造有限公司 ",
                                          "东源材料股份有限公司", ""]})
    sup = pd.DataFrame({"stkcd": ["600004"], "year": [2017], "partner_name": ["华信科技股份有限公司"]})
    return tidy_top5(cust, "customer"), tidy_top5(sup, "supplier")


def test_links_and_exposure_by_hand():
    with pytest.warns(UserWarning, match="SM040"):   # the blank name of 000002 is dropped and counted
        cust, sup = _hand_tables()
    assert len(cust) == 5 and cust["anonymous"].tolist() == [False, True, False, False, False]
    with pytest.warns(UserWarning, match="SM041") as rec:
        m = match_partners(pd.concat([cust, sup], ignore_index=True), FIRMS, SUBS)
    assert "not_listed: 1" in str(rec[0].message) and "anonymous: 1" in str(rec[0].message)
    # by hand: 东源材料有限公司 -> 000002 (legal form differs); 客户二 anonymous; 远大机械 not listed;
    # the subsidiary -> 000003; 000002 naming itself is dropped; 600004 buys from 华信 (000001)
    assert m.links["partner_stkcd"].tolist() == ["000002", None, None, "000003", None, "000001"]
    assert m.links["partner_status"].tolist() == ["matched", "anonymous", "not_listed", "via_subsidiary", "self",
                                                  "matched"]
    assert set(m.unmatched()["partner_name"]) == {"客户二", "远大机械有限公司", "东源材料股份有限公司"}
    e = chain_edges(m.links)
    assert e[["supplier", "customer", "year"]].values.tolist() == [
        ["000001", "000002", 2015], ["000001", "000003", 2016], ["000001", "600004", 2017]]
    # pilots: 000002 from 2016, 600004 from 2018 -> 000001 supplies both: upstream from 2016;
    # 000001 is a pilot's customer? no; 000003 buys from 000001 (not a pilot): nothing
    panel = pd.DataFrame({"stkcd": ["000001"] * 3 + ["000003"] * 3, "year": [2015, 2016, 2017] * 2})
    ex = pilot_exposure(e, panel, {"000002": 2016, "600004": 2018, "000001": 0})
    assert ex["chain_up"].tolist() == [1, 1, 1, 0, 0, 0]
    assert ex["chain_up_g"].tolist() == [2016, 2016, 2016, 0, 0, 0]
    assert ex["IM_up"].tolist() == [0, 1, 1, 0, 0, 0]
    assert ex["chain_down"].tolist() == [0] * 6 and ex["IM_down"].tolist() == [0] * 6
    # 000001 as a pilot from 2017: 000002, 000003 and 600004 are downstream from 2017
    ex2 = pilot_exposure(e, pd.DataFrame({"stkcd": ["000003", "000003"], "year": [2016, 2017]}), {"000001": 2017})
    assert ex2["chain_down"].tolist() == [1, 1] and ex2["IM_down"].tolist() == [0, 1]


def test_bad_tables_are_coded():
    with pytest.raises(SMError) as e:
        tidy_top5(pd.DataFrame({"stkcd": ["1"], "year": [2019], "partner_name": ["x"]}), "buyer")
    assert e.value.code == "SM042"
    with pytest.raises(SMError) as e:
        tidy_top5(pd.DataFrame({"stkcd": ["1"], "year": ["二〇一九"], "partner_name": ["x"]}), "customer")
    assert e.value.code == "SM042"
    with pytest.raises(SMError) as e:
        tidy_top5(pd.DataFrame({"stkcd": ["1"], "year": [2019]}), "customer")
    assert e.value.code == "SM001"


def test_csmar_map_reads_a_top5_export(tmp_path):
    rows = [["Stkcd", "EndDate", "Rank", "CustomerName", "SalesAmount", "SalesRatio"],
            ["证券代码", "统计截止日期", "排名", "客户名称", "销售额", "销售额占比"],
            ["没有单位", "没有单位", "没有单位", "没有单位", "万元", "%"],
            ["1", "2019-12-31", "1", "东源材料股份有限公司", "100", "12.5"],
            ["1", "2019-12-31", "2", "客户二", "50", "6"]]
    path = tmp_path / "top5.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="gbk")
    r = read_panel(path, "csmar_top5_customers", keys=())
    assert r.data["stkcd"].tolist() == ["000001", "000001"]
    assert r.data["report_year"].tolist() == [2019, 2019]
    assert r.data["partner_amount"].tolist() == [1e6, 5e5] and r.data["partner_share"].tolist() == [0.125, 0.06]
    t = tidy_top5(r.data, "customer")
    assert t["year"].tolist() == [2019, 2019] and t["anonymous"].tolist() == [False, True]


SPEC = """
study: chain_test
title: t
sample: {years: [2011, 2023]}
measures:
  supply_chain: {}
treatment: {design: firm, dname: IM}
variables:
  ever_treated: {indicator: gname}
  y: {log: total_assets}
tables:
  t1:
    title: T
    keep: [IM]
    columns:
      - {y: y, x: IM_down, where: {chain_down: 1, ever_treated: 0}, rename: {IM_down: IM}}
"""


@pytest.mark.slow
def test_demo_links_recover_planted_truth(demo_world, tmp_path):
    world = demo_world(n_firms=40, seed=3, documents=False)
    res = run_study(loads(SPEC, source="chain.yaml"), world, tmp_path / "out")
    stage = next((res.out / "stages").glob("supply_chain*"))
    got = pd.read_parquet(next(stage.rglob("supply_chain.parquet")))
    truth = pd.read_parquet(world / "truth" / "supply_chain_firm_year.parquet")
    treated = pd.read_parquet(world / "truth" / "firm_year.parquet")
    m = got.merge(truth, on=["stkcd", "year"], suffixes=("", "_truth"), validate="one_to_one")
    assert len(m) == len(got)          # every firm-year of the panel
    # the study's pilots come from matching the pilot list; they are the planted ones here
    panel = pd.read_parquet(next((res.out / "stages" / "panel").rglob("panel.parquet")))
    g = panel.groupby("stkcd")["gname"].max()
    assert g[g > 0].to_dict() == treated[treated["gname"] > 0].groupby("stkcd")["gname"].max().to_dict()
    for c in ("chain_up", "chain_down", "chain_up_g", "chain_down_g", "IM_up", "IM_down"):
        assert (m[c] == m[f"{c}_truth"]).all(), c
    assert m["chain_down"].sum() > 0 and m["IM_up"].sum() > 0
    unmatched = pd.read_csv(next(stage.rglob("unmatched_partners.csv")))
    partners = pd.read_csv(world / "truth" / "top5_partners.csv", dtype={"true_stkcd": str})
    assert set(unmatched["partner_name"]) == set(partners.loc[partners["true_stkcd"].isna(), "partner_name"])
    assert (res.out / "tables" / "t1.md").exists()
