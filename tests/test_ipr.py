"""IP-protection intensity (paper 002 Table 9 cols. 6-7): RCA of IP trial cases over GDP, annual-median split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators.ipr import ipr_rca
from smtext.study import loads, run_study
from smtext.study.variables import derive

TABLE = pd.DataFrame({"city": ["甲", "乙", "丙", "甲", "乙", "丙"], "year": [2019, 2019, 2019, 2020, 2020, 2020],
                      "ipr_cases": [30, 10, 0, 50, 25, 25], "gdp": [100.0, 100.0, 200.0, 1.0, 2.0, 1.0]})


def test_rca_by_hand():
    out = ipr_rca(TABLE)
    # 2019: cases 40, GDP 400 -> 甲 (30/40)/(100/400) = 3, 乙 (10/40)/(1/4) = 1, 丙 0
    # 2020: cases 100, GDP 4 -> 甲 (0.5)/(0.25) = 2, 乙 (0.25)/(0.5) = 0.5, 丙 (0.25)/(0.25) = 1
    np.testing.assert_allclose(out["IPR"], [3.0, 1.0, 0.0, 2.0, 0.5, 1.0], rtol=0, atol=1e-12)
    with pytest.warns(UserWarning, match="SM044"):   # a missing count: left out of the totals
        out = ipr_rca(TABLE.assign(ipr_cases=[30, 10, None, 50, 25, 25]))
    np.testing.assert_allclose(out["IPR"].iloc[:2], [(30 / 40) / 0.5, (10 / 40) / 0.5])
    assert np.isnan(out["IPR"].iat[2])


def test_bad_tables_are_coded():
    for bad in (TABLE.assign(gdp=[100.0, 0, 200, 1, 2, 1]), TABLE.assign(ipr_cases=[-1, 10, 0, 50, 25, 25]),
                pd.concat([TABLE, TABLE.iloc[[0]]])):
        with pytest.raises(SMError) as e:
            ipr_rca(bad)
        assert e.value.code == "SM044"
    with pytest.raises(SMError) as e:
        ipr_rca(TABLE.assign(ipr_cases=[0, 0, 0, 50, 25, 25]))
    assert e.value.code == "SM045" and "2019" in e.value.message


def test_annual_median_split_by_hand():
    d = pd.DataFrame({"year": [2019] * 3 + [2020] * 3, "IPR": [1.0, 2.0, 3.0, 10.0, 20.0, np.nan]})
    annual = derive(d, {"median_group": {"column": "IPR", "by": ["year"]}})
    assert annual.iloc[:5].tolist() == ["低于中位数", "低于中位数", "高于中位数", "低于中位数", "高于中位数"]
    pooled = derive(d, {"median_group": "IPR"})      # the bare form keeps the pooled median (3.0)
    assert pooled.iloc[:5].tolist() == ["低于中位数"] * 3 + ["高于中位数", "高于中位数"]
    assert annual.isna().iat[5] and pooled.isna().iat[5]      # missing stays missing


SPEC = """
study: ipr_test
title: t
sample: {years: [2011, 2023]}
measures:
  ipr: {}
treatment: {design: firm, dname: IM}
variables:
  ipr: {median_group: {column: IPR, by: [year]}}
  y: {log: total_assets}
tables:
  t1: {title: T, keep: [IM], columns: [{kind: split, by: ipr, groups: [高于中位数, 低于中位数], y: y}]}
"""


@pytest.mark.slow
def test_demo_ipr_recovers_planted_index(demo_world, tmp_path):
    world = demo_world(n_firms=40, seed=3, documents=False)
    truth = pd.read_csv(world / "truth" / "ipr_city_year.csv")
    got = ipr_rca(pd.read_parquet(world / "data" / "ipr_cases.parquet"))
    m = got.merge(truth, on=["city", "year"], validate="one_to_one")
    assert len(m) == len(truth)
    np.testing.assert_allclose(m["IPR"], m["ipr_rca"], rtol=1e-12)
    # the index tracks the planted protection (noise: Poisson counts)
    assert np.corrcoef(np.log(m["IPR"].clip(lower=1e-3)), np.log(m["protection"]))[0, 1] > 0.8
    res = run_study(loads(SPEC, source="ipr.yaml"), world, tmp_path / "out")
    d = pd.read_parquet(next((res.out / "stages" / "dataset").rglob("dataset.parquet")))
    firms = pd.read_parquet(world / "data" / "firms.parquet")[["stkcd", "city"]]
    d = d.drop(columns=["city"], errors="ignore").merge(firms, on="stkcd").merge(truth, on=["city", "year"])
    np.testing.assert_allclose(d["IPR"], d["ipr_rca"], rtol=1e-12)
    med = d.groupby("year")["ipr_rca"].transform("median")
    assert (d["ipr"] == np.where(d["ipr_rca"] > med, "高于中位数", "低于中位数")).all()
