"""TWFE, event study and treatment timing (issue 8) against published and independent numbers."""

from __future__ import annotations

import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import r_has

import smtext.did as did
from smtext.did._part1_sim import simulate_panel
from smtext.errors import SMError, SMWarning

HAS_R = r_has("sandwich")


def _r(script: str) -> list[float]:
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        pytest.skip(f"R failed (package missing?): {res.stderr[-300:]}")
    return [float(x) for x in res.stdout.split()]


@pytest.fixture(scope="module")
def ehec(reference_dir):
    d = pd.read_csv(reference_dir / "did_ehec" / "ehec_data.csv")
    d["postTreated"] = (d["yexp2"].notna() & (d["year"] >= d["yexp2"])).astype(int)
    return d


@pytest.mark.reference
def test_twfe_equals_published_fixest_on_ehec(ehec):
    # EXPECTED.md: fixest feols(dins ~ postTreated | stfips + year, cluster = ~stfips)
    # (Mixtape-Sessions/Advanced-DID Exercise 1): 0.070321, SE 0.007401, t 9.50152,
    # within R2 0.426746, adj. R2 0.93835 -- printed to 6 digits, so tolerance 1e-6 / 5e-6.
    r = did.twfe(ehec, "dins", "postTreated", "stfips", "year")
    assert r.coef()["postTreated"] == pytest.approx(0.070321, abs=1e-6)
    assert r.se()["postTreated"] == pytest.approx(0.007401, abs=1e-6)
    assert r.tidy().loc["postTreated", "t_value"] == pytest.approx(9.50152, abs=5e-5)
    assert r.r2_within == pytest.approx(0.426746, abs=1e-6)
    assert r.adj_r2 == pytest.approx(0.93835, abs=5e-6)
    assert r.nobs == 552 and r.fe == ("stfips", "year") and r.vcov_label == "cluster: stfips"
    # t distribution with G - 1 = 45 df, as fixest
    assert r.df_t == 45


@pytest.mark.reference
@pytest.mark.skipif(not HAS_R, reason="R with sandwich not installed")
def test_twfe_cluster_se_equals_r_lm_sandwich(ehec, reference_dir):
    # Independent: R lm with state and year dummies + sandwich::vcovCL. vcovCL's HC0 meat
    # with cadjust = G/(G-1), times fixest's (N-1)/(N-K) with K = 13 (post + 12 year
    # levels; the 46 state FE are nested in the state clusters and not counted, the year
    # FE then carries the constant). This K reproduces the published 0.007401 above.
    path = reference_dir / "did_ehec" / "ehec_data.csv"
    b, v1, v2, v12 = _r(f"""
        suppressMessages(library(sandwich))
        d <- read.csv("{path}"); d$post <- as.integer(!is.na(d$yexp2) & d$year >= d$yexp2)
        m <- lm(dins ~ post + factor(stfips) + factor(year), data = d)
        f <- function(cl) vcovCL(m, cluster = cl, type = "HC0", cadjust = FALSE)["post", "post"]
        d$sy <- paste(d$stfips, d$year)
        cat(sprintf("%.12e", c(coef(m)["post"], f(~stfips), f(~year), f(~sy))))
    """)
    N, K = 552, 13
    r = did.twfe(ehec, "dins", "postTreated", "stfips", "year")
    assert r.coef()["postTreated"] == pytest.approx(b, abs=1e-10)
    se_one = np.sqrt(v1 * 46 / 45 * (N - 1) / (N - K))
    assert r.se()["postTreated"] == pytest.approx(se_one, rel=1e-8)
    # two-way clustering (state and year): V1 + V2 - V12, all scaled by min(G)/(min(G)-1)
    # (fixest cluster.df = "min"); both FE are nested in a cluster variable, so only
    # post and the constant count: K = 2.
    r2 = did.twfe(ehec, "dins", "postTreated", "stfips", "year", cluster=("stfips", "year"))
    G = 12
    se_two = np.sqrt((v1 + v2 - v12) * G / (G - 1) * (N - 1) / (N - 2))
    assert r2.se()["postTreated"] == pytest.approx(se_two, rel=1e-8)
    assert r2.df_t == G - 1


def test_twfe_extra_fe_matches_statsmodels_dummies():
    # Independent: statsmodels OLS with explicit firm, year and industry-x-year dummies on an
    # unbalanced panel; coefficients agree to solver precision.
    d = simulate_panel(n_firms=60, years=(2011, 2018), unbalanced=0.1, seed=3)
    r = did.twfe(d, "y", "did", "stkcd", "year", controls=("x1", "x2"), fe=("industry^year",))
    ols = smf.ols("y ~ did + x1 + x2 + C(stkcd) + C(year) + C(industry):C(year)", data=d).fit()
    for v in ("did", "x1", "x2"):
        assert r.coef()[v] == pytest.approx(ols.params[v], abs=1e-7)
    assert r.fe == ("stkcd", "year", "industry^year") and r.controls == ("x1", "x2")


def test_twfe_recovers_planted_effect_and_not_a_zero_effect():
    # Planted effect 0.5 in y; none in y0 (simulate_panel, seed 11).
    d = simulate_panel(n_firms=300, effect=0.5, seed=11)
    r = did.twfe(d, "y", "did", "stkcd", "year", controls=("x1", "x2"))
    t = r.tidy().loc["did"]
    assert t.ci_low < 0.5 < t.ci_high and t.p_value < 0.01
    r0 = did.twfe(d, "y0", "did", "stkcd", "year", controls=("x1", "x2"))
    assert r0.pvalue()["did"] > 0.05


def test_twfe_reports_dropped_rows_and_rejects_nonbinary():
    d = simulate_panel(n_firms=40, seed=1)
    d.loc[:4, "x1"] = np.nan
    with pytest.warns(SMWarning, match="SM503"):
        r = did.twfe(d, "y", "did", "stkcd", "year", controls=("x1",))
    assert r.extra["dropped (missing values)"] == 5 and r.nobs == len(d) - 5
    d["did2"] = d["did"] * 2
    with pytest.raises(SMError, match="SM500"):
        did.twfe(d, "y", "did2", "stkcd", "year")
    with pytest.raises(SMError, match="SM002"):
        did.twfe(d, "y", "did", "stkcd", "year", vcov="robust")


def test_progressive_columns_share_sample():
    d = simulate_panel(n_firms=80, seed=2)
    cols = did.twfe_progressive(d, "y", "did", "stkcd", "year", controls=("x1", "x2"),
                                steps=("bare", "controls", "full"))
    assert [c.fe for c in cols] == [(), (), ("stkcd", "year")]
    assert [c.controls for c in cols] == [(), ("x1", "x2"), ("x1", "x2")]
    ols = smf.ols("y ~ did", data=d).fit()  # the bare column is pooled OLS
    assert cols[0].coef()["did"] == pytest.approx(ols.params["did"], abs=1e-10)
    assert len({c.nobs for c in cols}) == 1


def test_event_study_matches_manual_dummies_and_pretrend():
    d = simulate_panel(n_firms=150, effect=0.5, seed=5)
    ev = did.event_study(d, "y", "stkcd", "year", "gname", window=(-3, 3), base=-1)
    tab = ev.tidy()
    assert list(tab.rel_time) == [-3, -2, -1, 0, 1, 2, 3]
    assert list(tab.binned) == [True, False, False, False, False, False, True]
    assert tab.set_index("rel_time").loc[-1, "estimate"] == 0 and ev.base_period == -1
    # independent: statsmodels OLS with hand-made binned dummies and firm/year dummies
    rel = (d.year - d.gname).where(d.gname > 0).clip(-3, 3)
    names = {}
    for k in (-3, -2, 0, 1, 2, 3):
        names[k] = f"e{k + 10}"
        d[names[k]] = (rel == k).astype(float)
    ols = smf.ols("y ~ " + " + ".join(names.values()) + " + C(stkcd) + C(year)", data=d).fit()
    for k, n in names.items():
        assert tab.set_index("rel_time").loc[k, "estimate"] == pytest.approx(ols.params[n], abs=1e-7)
    # planted constant effect: no pre-trend, post effects near 0.5
    assert ev.pretrend_p > 0.05 and ev.pretrend_df[0] == 2
    post = tab[tab.rel_time >= 0]
    assert ((post.ci_low < 0.5) & (post.ci_high > 0.5)).mean() >= 0.75
    # pre-trend F equals the Wald statistic computed by hand from the stored vcov
    reg = ev.regression
    b = reg.coef()[["_ev_m3", "_ev_m2"]].to_numpy()
    V = reg.vcov.loc[["_ev_m3", "_ev_m2"], ["_ev_m3", "_ev_m2"]].to_numpy()
    assert ev.pretrend_f == pytest.approx(b @ np.linalg.inv(V) @ b / 2, rel=1e-10)


def test_event_study_detects_planted_pretrend():
    d = simulate_panel(n_firms=200, effect=0.0, seed=6)
    # anticipation: outcome rises 2 and 3 years before adoption
    rel = d.year - d.gname
    d["y"] = d["y"] + np.where((d.gname > 0) & rel.isin([-3, -2]), 0.8, 0.0)
    ev = did.event_study(d, "y", "stkcd", "year", "gname", window=(-4, 3))
    assert ev.pretrend_p < 0.01


# ---------------------------------------------------------------- timing
def _toy_panel():
    firms = ["000001", "000002", "000003", "000004"]
    rows = [(f, y, c) for f, c in zip(firms, ["A", "A", "B", "C"]) for y in range(2014, 2019)]
    return pd.DataFrame(rows, columns=["stkcd", "year", "city"])


def test_firm_treatment_by_hand():
    panel = _toy_panel()
    pilots = pd.DataFrame({"stkcd": ["000001", "000001", "000003", "999999"],
                           "year": [2017, 2016, 2014, 2016]})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = did.firm_treatment(panel, pilots)
    codes = {str(x.message)[:5] for x in w}
    assert {"SM511", "SM512"} <= codes
    d = res.data.set_index(["stkcd", "year"])
    # 000001 listed twice: first selection (2016) counts
    assert d.loc["000001", "gname"].unique().tolist() == [2016]
    assert d.loc["000001", "did"].tolist() == [0, 0, 1, 1, 1]
    assert d.loc["000001", "rel_time"].tolist() == [-2, -1, 0, 1, 2]
    assert d.loc["000002", "did"].sum() == 0 and d.loc["000002", "gname"].eq(0).all()
    assert d.loc["000002", "rel_time"].isna().all()
    assert res.unmatched_pilots["stkcd"].tolist() == ["999999"]
    assert res.treated_before_sample["stkcd"].tolist() == ["000003"]
    assert res.counts["treated units"] == 2 and res.counts["cohorts"] == {2014: 1, 2016: 1}


def test_firm_treatment_reports_duplicates_and_name_matching():
    panel = _toy_panel()
    panel["name"] = panel["stkcd"].map({"000001": "甲公司", "000002": "乙公司", "000003": "丙", "000004": "丁"})
    panel = pd.concat([panel, panel.iloc[[0]]])
    pilots = pd.DataFrame({"firm": ["乙公司", "戊公司"], "year": [2016, 2017]})
    with pytest.warns(SMWarning, match="SM513"):
        res = did.firm_treatment(panel, pilots, pilot_key="firm", panel_key="name")
    assert len(res.duplicate_keys) == 2
    assert res.unmatched_pilots["firm"].tolist() == ["戊公司"]
    assert res.data.loc[res.data.stkcd == "000002", "gname"].unique().tolist() == [2016]


def test_city_spillover_by_hand():
    panel = _toy_panel()
    # 000001 (city A) announced 2015 -> city A treated from 2016; 000001 itself dropped
    pilots = pd.DataFrame({"stkcd": ["000001"], "year": [2015]})
    with pytest.warns(SMWarning, match="SM514"):
        res = did.city_spillover(panel, pilots)
    d = res.data
    assert "000001" not in set(d.stkcd) and len(res.dropped) == 5
    assert d.loc[d.stkcd == "000002", "policy"].tolist() == [0, 0, 1, 1, 1]
    assert d.loc[d.stkcd == "000003", "policy"].sum() == 0
    assert d.loc[d.stkcd == "000002", "gname"].iloc[0] == 2016


def test_clean_controls():
    panel = _toy_panel()
    panel["gname"] = np.where(panel.stkcd == "000001", 2016, 0)
    panel["sm_mentions"] = np.where((panel.stkcd == "000002") & (panel.year == 2017), 3, 0)
    with pytest.warns(SMWarning, match="SM515"):
        kept, dropped = did.clean_controls(panel, "stkcd", "gname", "sm_mentions")
    assert sorted(kept.stkcd.unique()) == ["000001", "000003", "000004"]
    assert len(dropped) == 5
