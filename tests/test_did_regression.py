"""TWFE (smtext.did.regression) against published and independent numbers."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import r_has

import smtext.did as did
from smtext.did.simulate import simulate_panel
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
    r = did.twfe(ehec, "dins", "year", "stfips", "postTreated")
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
    r = did.twfe(ehec, "dins", "year", "stfips", "postTreated")
    assert r.coef()["postTreated"] == pytest.approx(b, abs=1e-10)
    se_one = np.sqrt(v1 * 46 / 45 * (N - 1) / (N - K))
    assert r.se()["postTreated"] == pytest.approx(se_one, rel=1e-8)
    # two-way clustering (state and year): V1 + V2 - V12, all scaled by min(G)/(min(G)-1)
    # (fixest cluster.df = "min"); both FE are nested in a cluster variable, so only
    # post and the constant count: K = 2.
    r2 = did.twfe(ehec, "dins", "year", "stfips", "postTreated", cluster=("stfips", "year"))
    G = 12
    se_two = np.sqrt((v1 + v2 - v12) * G / (G - 1) * (N - 1) / (N - 2))
    assert r2.se()["postTreated"] == pytest.approx(se_two, rel=1e-8)
    assert r2.df_t == G - 1


def test_twfe_extra_fe_matches_statsmodels_dummies():
    # Independent: statsmodels OLS with explicit firm, year and industry-x-year dummies on an
    # unbalanced panel; coefficients agree to solver precision.
    d = simulate_panel(n_units=60, years=(2011, 2018), unbalanced=0.1, seed=3)
    r = did.twfe(d, "y", "year", "stkcd", "did", controls=("x1", "x2"), fe=("industry^year",))
    ols = smf.ols("y ~ did + x1 + x2 + C(stkcd) + C(year) + C(industry):C(year)", data=d).fit()
    for v in ("did", "x1", "x2"):
        assert r.coef()[v] == pytest.approx(ols.params[v], abs=1e-7)
    assert r.fe == ("stkcd", "year", "industry^year") and r.controls == ("x1", "x2")


def test_twfe_recovers_planted_effect_and_not_a_zero_effect():
    # Planted effect 0.5 in y; none in y0 (simulate_panel, seed 11).
    d = simulate_panel(n_units=300, effect=0.5, seed=11)
    r = did.twfe(d, "y", "year", "stkcd", "did", controls=("x1", "x2"))
    t = r.tidy().loc["did"]
    assert t.ci_low < 0.5 < t.ci_high and t.p_value < 0.01
    r0 = did.twfe(d, "y0", "year", "stkcd", "did", controls=("x1", "x2"))
    assert r0.pvalue()["did"] > 0.05


def test_twfe_reports_dropped_rows_and_rejects_nonbinary():
    d = simulate_panel(n_units=40, seed=1)
    d.loc[:4, "x1"] = np.nan
    with pytest.warns(SMWarning, match="SM503"):
        r = did.twfe(d, "y", "year", "stkcd", "did", controls=("x1",))
    assert r.extra["dropped (missing values)"] == 5 and r.nobs == len(d) - 5
    d["did2"] = d["did"] * 2
    with pytest.raises(SMError, match="SM500"):
        did.twfe(d, "y", "year", "stkcd", "did2")
    with pytest.raises(SMError, match="SM002"):
        did.twfe(d, "y", "year", "stkcd", "did", vcov="robust")


def test_progressive_columns_share_sample():
    d = simulate_panel(n_units=80, seed=2)
    cols = did.twfe_progressive(d, "y", "year", "stkcd", "did", controls=("x1", "x2"),
                                steps=("bare", "controls", "full"))
    assert [c.fe for c in cols] == [(), (), ("stkcd", "year")]
    assert [c.controls for c in cols] == [(), ("x1", "x2"), ("x1", "x2")]
    ols = smf.ols("y ~ did", data=d).fit()  # the bare column is pooled OLS
    assert cols["bare"].coef()["did"] == pytest.approx(ols.params["did"], abs=1e-10)
    assert len({c.nobs for c in cols}) == 1
    assert cols.names == ["bare", "controls", "full"] and set(cols.nobs) == {cols["full"].nobs}
