"""The bundled paper specs' variable definitions against hand computations on a small demo world.

Each test takes a definition from a bundled spec (``variables:`` of paperNNN.yaml), evaluates it with the
study's own operations on the world's raw tables, and compares it with the formula the paper prints,
written out here in plain pandas / numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.study.spec import read
from smtext.study.variables import derive


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=40, seed=11, documents=False)


@pytest.fixture(scope="module")
def raw(world):
    """Statements joined with the firm table, the firm extras and the city instruments (one row per firm-year)."""
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    extras = pd.read_parquet(world / "data" / "firm_extras.parquet")
    inst = pd.read_parquet(world / "data" / "city_instruments.parquet")
    d = (fin.merge(firms, on="stkcd", how="left").merge(extras, on=["stkcd", "year"], how="left")
         .merge(inst, on="city", how="left"))
    return d.sort_values(["stkcd", "year"]).reset_index(drop=True)


def _variables(paper: str, d: pd.DataFrame, names) -> pd.DataFrame:
    """``d`` with the spec's variables derived in spec order, up to the last of ``names``."""
    ops = read(paper).data["variables"]
    d = d.copy()
    last = max(list(ops).index(n) for n in names)
    for name, op in list(ops.items())[:last + 1]:
        try:
            d[name] = derive(d, op)
        except (KeyError, SMError):   # a variable of a measure the raw tables lack (TFP, text counts)
            continue
    return d


def test_paper001_mer_and_cap_in_the_papers_units(raw):
    d = _variables("paper001", raw, ["CAP", "MER"])
    # 表1: MER = 本年管理费用 / 营业收入; CAP = 总资产 / 员工人数, printed in million yuan (表2 mean 2.086)
    assert np.allclose(d["MER"], raw["admin_expense"] / raw["revenue"], rtol=1e-12)
    assert np.allclose(d["CAP"], raw["total_assets"] / raw["employees"] / 1e6, rtol=1e-12)
    assert 0.04 <= d["MER"].mean() <= 0.11           # the generator's firm ratios are U(0.04, 0.11)
    spec = read("paper001").data
    assert "MER" in spec["controls"]["main"]
    assert "MER" in spec["tables"]["table2_descriptives"]["columns"][0]["variables"]


def test_generator_plants_the_new_statement_items_by_its_own_formulas(raw):
    # total profit = net profit grossed up by a 15% or 25% income-tax rate, one rate per firm
    rate = np.round(1 - raw["net_profit"] / raw["total_profit"], 10)
    assert set(rate.unique()) <= {0.15, 0.25}
    assert rate.groupby(raw["stkcd"]).nunique().max() == 1
    share = raw["operating_cost"] / raw["revenue"]
    assert share.between(0.3, 0.98).all()


def test_paper003_profitability_capintensity_age_and_event(raw):
    d = _variables("paper003", raw, ["Profitability", "CapIntensity", "Age", "Event"])
    # 利润总额 / 生产成本; 固定资产净值 / 员工数 (not logged); 当期年份 - 开业年份 + 1
    assert np.allclose(d["Profitability"], raw["total_profit"] / raw["operating_cost"], rtol=1e-12)
    assert np.allclose(d["CapIntensity"], raw["fixed_assets_net"] / raw["employees"], rtol=1e-12)
    assert (d["Age"] == raw["year"] - raw["founding_year"] + 1).all()
    assert (d["Event"] == (raw["year"] == 2020).astype(int)).all()
    t8 = read("paper003").data["tables"]["table8_gap"]["columns"][4]
    # Table 8 column 5: the industry Theil index regressed at the firm level, with controls
    assert t8["y"] == "Theil" and t8["x"] == "Robot" and t8["controls"] == "main" and "where" not in t8


def test_paper004_ki_and_ownership(raw):
    d = _variables("paper004", raw, ["KI", "Ifdome"])
    assert np.allclose(d["KI"], raw["total_assets"] / raw["revenue"], rtol=1e-12)   # 总资产 / 营业收入
    assert (d["Ifdome"] == raw["soe"]).all()
    spec = read("paper004").data
    assert spec["sample"]["years"] == [2010, 2019]
    for ctrl in spec["controls"].values():
        assert {"KI", "Ifdome"} <= set(ctrl)


def test_paper002_cash_iv1_and_n_tfp(raw):
    d = raw.copy()
    d["TFP_LP"] = np.log(d["value_added"])          # any positive firm-year series stands in for TFP
    d = _variables("paper002", d, ["Cash", "IV1", "N_TFP"])
    assert np.allclose(d["Cash"], d["cash"] / d["total_assets"], rtol=1e-12)
    assert np.allclose(d["IV1"], d["ict_employment_2003"] * (d["year"] - 2011), rtol=1e-12)
    # N_TFP: the firm's TFP growth factor over the mean growth factor of its industry-year
    prev = d[["stkcd", "year", "TFP_LP"]].assign(year=d["year"] + 1).rename(columns={"TFP_LP": "prev"})
    g = d.merge(prev, on=["stkcd", "year"], how="left")
    g["growth"] = g["TFP_LP"] / g["prev"]
    hand = g["growth"] / g.groupby(["industry", "year"])["growth"].transform("mean")
    both = hand.notna()
    assert both.sum() > 50
    assert d["N_TFP"].notna().eq(both).all()
    assert np.allclose(d["N_TFP"][both], hand[both], rtol=1e-12)


def test_paper002_npro_is_an_entropy_index_of_labour_and_tools(raw):
    d = _variables("paper002", raw, ["NPRO"])
    from smtext.indicators.composite import NQPF_002

    ind = read("paper002").data["variables"]["NPRO"]["entropy_index"]["indicators"]
    assert not set(NQPF_002) & set(ind)           # none of NQPF's own 14 indicators
    assert np.allclose(d["edu_share"], (raw["employees_bachelor"] + raw["employees_master"]) / raw["employees"])
    assert np.allclose(d["cost_share"], raw["operating_cost"] / raw["revenue"])
    # entropy weights by hand: min-max normalise (+1e-4), shares, entropy, weights = (1 - e) / sum
    X = d[list(ind)].to_numpy(float)
    ok = ~np.isnan(X).any(axis=1)
    Z = (X[ok] - X[ok].min(0)) / (X[ok].max(0) - X[ok].min(0)) + 1e-4
    P = Z / Z.sum(0)
    e = -(P * np.log(P)).sum(0) / np.log(ok.sum())
    w = (1 - e) / (1 - e).sum()
    assert np.allclose(d["NPRO"].to_numpy()[ok], 10 * Z @ w, rtol=1e-9)
    assert d["NPRO"].isna().to_numpy().tolist() == (~ok).tolist()


def test_paper000_missing_variable_rule(raw):
    d = raw.copy()
    d["ROA"] = d["net_profit"] / d["total_assets"]
    d.loc[d.index % 3 == 0, "ROA"] = np.nan                       # a key variable missing in a third of the rows
    d.loc[d["stkcd"] == d["stkcd"].iloc[0], "ROA"] = np.nan      # and in every year of one firm
    op = {"firm_complete": {"columns": ["ROA", "revenue"], "share": 0.5}}
    got = derive(d, op)
    share = d[["ROA", "revenue"]].notna().all(axis=1).groupby(d["stkcd"]).transform("mean")
    assert (got == (share >= 0.5).astype(int)).all()
    assert got[d["stkcd"] == d["stkcd"].iloc[0]].eq(0).all()
    spec = read("paper000").data
    assert spec["sample"]["where"]["key_complete"] == 1
    psm = spec["tables"]["table5_endogeneity"]["columns"][0]
    assert set(psm["covariates"]) == set(spec["controls"]["main"])   # 表4: the seven controls


def test_patents_every_type_counts_applications_of_all_types(world):
    from smtext.patents import patent_measures

    pat = pd.read_parquet(world / "data" / "patents.parquet")
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
    every = patent_measures(pat, firms, subs, patent_types=("",)).table
    inv = patent_measures(pat, firms, subs).table
    # by hand: applicant names of the firm or its subsidiaries, distinct applications per firm-year
    owner = dict(zip(firms["name"], firms["stkcd"]))
    owner.update(zip(subs["subsidiary_name"], subs["stkcd"]))
    rows = []
    for appno, names, date, kind in zip(pat["appno"], pat["applicants"], pat["app_date"], pat["patent_type"]):
        for s in {owner[n] for n in str(names).split(";") if n in owner}:
            rows.append((s, int(str(date)[:4]), appno, str(kind)))
    hand = pd.DataFrame(rows, columns=["stkcd", "year", "appno", "kind"]).drop_duplicates(["stkcd", "appno"])
    n_all = hand.groupby(["stkcd", "year"]).size()
    got = every.set_index(["stkcd", "year"])["n_invention"]
    assert got[got > 0].sort_index().equals(n_all.sort_index().rename("n_invention").astype(got.dtype))
    assert (every["n_invention"].to_numpy() >= inv["n_invention"].to_numpy()).all()
    assert hand["kind"].ne("发明").any()            # the world has utility models and designs to count


WIDTH_SPEC = """\
study: widths
measures:
  patents: {scheme: sei_ipc_2021}
tables:
  t1:
    columns:
      - kind: describe
        variables: [n_keytech, width1, width2, width3, width4]
"""


def test_patent_widths_stay_missing_where_undefined(world, tmp_path):
    from smtext.patents import patent_measures
    from smtext.study import loads, run_study

    res = run_study(loads(WIDTH_SPEC, "widths.yaml"), world, tmp_path / "out")
    d = pd.read_parquet(next(res.stage_dir("dataset").glob("dataset.parquet")))
    # width3 (dispersion over sub-fields) has no value without a key-technology application
    assert d.loc[d["n_keytech"] == 0, "width3"].isna().all()
    assert d.loc[d["n_keytech"] > 0, "width3"].notna().all()
    # width2 (classes new against the pool three years back) is missing until that pool exists
    pat = pd.read_parquet(world / "data" / "patents.parquet")
    first = int(pd.to_datetime(pat["app_date"]).dt.year.min())
    assert d.loc[d["year"] - 3 < first, "width2"].isna().all()
    assert d.loc[d["year"] - 3 >= first, "width2"].notna().all()
    # counts of firm-years the patent table has are its own; the others are zero applications
    pm = patent_measures(pat, pd.read_parquet(world / "data" / "firms.parquet"),
                         pd.read_parquet(world / "data" / "subsidiaries.parquet")).table
    both = d[["stkcd", "year", "n_keytech"]].merge(pm[["stkcd", "year", "n_keytech"]], on=["stkcd", "year"],
                                                   how="left", suffixes=("", "_pm"))
    assert (both["n_keytech"] == both["n_keytech_pm"].fillna(0)).all()


def test_descriptive_table_prints_rounding_noise_as_zero():
    from smtext.report import describe

    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    d = pd.DataFrame({"z": (x - x.mean()) / x.std(ddof=1), "tiny": rng.uniform(1e-6, 3e-6, 500)})
    assert d["z"].mean() != 0 and abs(d["z"].mean()) < 1e-15     # a z-score's mean is rounding noise
    t = describe(d, ["z", "tiny"])
    z_row, tiny_row = t.sections[0]
    assert z_row[2] == "0.000" and z_row[3] == "1.000"
    assert float(tiny_row[2]) == pytest.approx(d["tiny"].mean(), rel=5e-3)   # small values keep their digits
