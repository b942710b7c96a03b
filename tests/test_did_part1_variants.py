"""Variants, heterogeneity and mechanisms (issue 8)."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from conftest import r_has
from scipy import stats
from sklearn.linear_model import LogisticRegression

import smtext.did as did
from smtext.did._part1_sim import simulate_panel
from smtext.errors import SMError, SMWarning


# ------------------------------------------------------------------ variants
def test_lag_treatment_is_calendar_lag():
    d = pd.DataFrame({"stkcd": ["1"] * 4 + ["2"] * 3, "year": [2014, 2015, 2016, 2018, 2014, 2015, 2016],
                      "did": [0, 1, 1, 1, 0, 0, 1]})
    with pytest.warns(SMWarning, match="SM545"):
        out = did.lag_treatment(d, "did", "stkcd", "year", lags=(1, 2))
    # firm 1 has no 2017 row: L1 of 2018 is missing, L2 of 2018 is the 2016 value (1)
    assert out["L1_did"].isna().tolist()[:4] == [True, False, False, True]
    assert out["L1_did"].tolist()[1:3] == [0, 1]
    assert out.loc[3, "L2_did"] == 1 and out.loc[2, "L2_did"] == 0
    assert out.loc[6, "L1_did"] == 0 and np.isnan(out.loc[4, "L1_did"])


def test_fepois_matches_statsmodels_glm_dummies():
    # Independent: statsmodels GLM Poisson with firm and year dummies; coefficient to 1e-6.
    d = simulate_panel(n_firms=60, years=(2011, 2018), seed=4)
    r = did.fepois_did(d, "count", "did", "stkcd", "year", controls=("x2",))
    keep = d.groupby("stkcd")["count"].transform("sum") > 0   # all-zero firms carry no information
    glm = smf.glm("count ~ did + x2 + C(stkcd) + C(year)", data=d[keep], family=sm.families.Poisson()).fit()
    assert r.coef()["did"] == pytest.approx(glm.params["did"], abs=1e-6)
    assert r.method == "Poisson" and r.nobs == int(keep.sum())


def test_logit_matches_sklearn_unpenalised():
    # Independent: scikit-learn LogisticRegression without penalty, same dummies.
    d = simulate_panel(n_firms=150, seed=6)
    d["hi"] = (d["y"] > d["y"].median()).astype(int)
    r = did.logit_did(d, "hi", "did", "stkcd", "year", controls=("x1",), fe=("year",))
    X = pd.concat([d[["did", "x1"]], pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    X.columns = X.columns.astype(str)
    sk = LogisticRegression(penalty=None, tol=1e-10, max_iter=10000).fit(X, d["hi"])
    assert r.coef()["did"] == pytest.approx(sk.coef_[0][0], abs=1e-6)   # measured 1e-7
    assert r.fe == ("year",) and r.vcov_label == "cluster: stkcd"


def test_negbin_recovers_planted_effect_and_dispersion():
    # Gamma-Poisson mixture = NB2 with alpha = 0.5; log mean = year effect + 0.3 did,
    # treatment assigned at random (no selection) so year dummies suffice.
    rng = np.random.default_rng(7)
    d = simulate_panel(n_firms=400, seed=7)
    g = np.where(rng.random(400) < 0.4, rng.choice([2015, 2016, 2017], 400), 0)[pd.factorize(d.stkcd)[0]]
    d["did"] = ((g > 0) & (d.year >= g)).astype(int)
    mu = np.exp(0.5 + 0.05 * (d.year - 2011) + 0.3 * d["did"])
    d["nb"] = rng.poisson(mu * rng.gamma(shape=2.0, scale=0.5, size=len(d)))   # var = mu + 0.5 mu^2
    r = did.negbin_did(d, "nb", "did", "stkcd", "year", fe=("year",))
    t = r.tidy().loc["did"]
    assert t.ci_low < 0.3 < t.ci_high
    assert r.extra["alpha"] == pytest.approx(0.5, abs=0.1)


@pytest.mark.skipif(not r_has("MASS"), reason="R with MASS not installed")
def test_negbin_matches_r_mass_glm_nb(tmp_path):
    # Independent: R MASS::glm.nb (NB2 by alternating ML for theta = 1 / alpha) with the
    # same year dummies; the likelihood is the same, so the optima agree (measured 1e-9;
    # statsmodels' default BFGS stopped 4e-6 short before negbin_did switched to Newton)
    rng = np.random.default_rng(8)
    d = simulate_panel(n_firms=200, seed=8)
    mu = np.exp(0.5 + 0.05 * (d.year - 2011) + 0.3 * d["did"] + 0.2 * d["x1"])
    d["nb"] = rng.poisson(mu * rng.gamma(shape=2.0, scale=0.5, size=len(d)))
    r = did.negbin_did(d, "nb", "did", "stkcd", "year", controls=("x1",), fe=("year",))
    path = tmp_path / "nb.csv"
    d[["nb", "did", "x1", "year"]].to_csv(path, index=False)
    res = subprocess.run(["Rscript", "-e", f"""
        if (!requireNamespace("MASS", quietly = TRUE)) quit(status = 3)
        d <- read.csv("{path}")
        m <- MASS::glm.nb(nb ~ did + x1 + factor(year), data = d, control = glm.control(epsilon = 1e-12, maxit = 100))
        cat(sprintf("%.12e", c(coef(m)[c("did", "x1")], 1 / m$theta)))
    """], capture_output=True, text=True, timeout=120)
    if res.returncode == 3:
        pytest.skip("R package MASS not installed")
    assert res.returncode == 0, res.stderr
    b_did, b_x1, alpha = (float(x) for x in res.stdout.split())
    assert r.coef()["did"] == pytest.approx(b_did, abs=1e-7)
    assert r.coef()["x1"] == pytest.approx(b_x1, abs=1e-7)
    assert r.extra["alpha"] == pytest.approx(alpha, rel=1e-6)


def test_drop_years_and_competing_policies():
    d = simulate_panel(n_firms=50, seed=2)
    with pytest.warns(SMWarning, match="SM546"):
        e = did.drop_years(d, "year", [2020])
    assert 2020 not in set(e.year) and len(e) == len(d) - 50
    d["other"] = ((d.city < 5) & (d.year >= 2016)).astype(int)
    r = did.competing_policies(d, "y", "did", "stkcd", "year", ["other"], controls=("x1",))
    assert "other" in r.coef().index and r.extra["competing policies"] == "other"
    assert r.coef()["did"] == pytest.approx(
        did.twfe(d, "y", "did", "stkcd", "year", controls=("x1", "other")).coef()["did"])


# ------------------------------------------------------------- heterogeneity
def _hetero_panel(seed=13):
    d = simulate_panel(n_firms=240, effect=0.2, seed=seed)
    # planted heterogeneity: effect 0.2 in non-SOE firms, 0.2 + 1.0 in SOE firms
    d["y"] = d["y"] + 1.0 * d["did"] * d["soe"]
    return d


def test_split_sample_and_fast_permutation_coefficient():
    d = _hetero_panel()
    res = did.split_sample(d, "soe", "y", "did", "stkcd", "year", controls=("x1",))
    assert set(res) == {0, 1}
    gap_se = np.hypot(res[1].se()["did"], res[0].se()["did"])
    assert abs(res[1].coef()["did"] - res[0].coef()["did"] - 1.0) < 3 * gap_se
    pt = did.permutation_diff_test(d, "soe", "y", "did", "stkcd", "year", controls=("x1",), draws=200, seed=1)
    assert pt.diff == pytest.approx(res[1].coef()["did"] - res[0].coef()["did"], abs=1e-10)
    assert pt.unit == "firm" and pt.p_value < 0.05
    # the fast permuted coefficient equals a TWFE refit under the same permutation
    from smtext.did.hetero import _fast_coef
    sub = d.loc[d.soe == 1]
    assert _fast_coef(sub, "y", "did", ("stkcd", "year"), ("x1",)) == pytest.approx(
        did.twfe(sub, "y", "did", "stkcd", "year", controls=("x1",)).coef()["did"], abs=1e-9)


def test_permutation_no_difference_not_rejected_and_seeded():
    d = simulate_panel(n_firms=240, effect=0.4, seed=14)   # same effect in both groups
    a = did.permutation_diff_test(d, "soe", "y", "did", "stkcd", "year", draws=200, seed=3)
    b = did.permutation_diff_test(d, "soe", "y", "did", "stkcd", "year", draws=200, seed=3)
    assert a.p_value > 0.05
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.p_value == np.mean(np.abs(a.draws) >= abs(a.diff))


def test_interaction_test_and_median_split():
    d = _hetero_panel()
    r = did.interaction_test(d, "soe", "y", "did", "stkcd", "year", controls=("x1",))
    t = r.tidy().loc["did_x_soe"]
    assert t.ci_low < 1.0 < t.ci_high
    d.loc[0, "x2"] = np.nan
    hi = did.median_split(d, "x2", within="year")
    assert pd.isna(hi.iloc[0])
    yr = d.loc[d.year == 2015, "x2"]
    assert hi[d.year == 2015].sum() == (yr > yr.median()).sum()
    with pytest.raises(SMError, match="SM548"):
        did.permutation_diff_test(d, "industry", "y", "did", "stkcd", "year", draws=2)


# ---------------------------------------------------------------- mechanisms
def _mediation_panel():
    d = simulate_panel(n_firms=300, effect=0.0, seed=15)
    rng = np.random.default_rng(15)
    # D -> M with a = 0.5; M -> Y with b = 0.8; direct effect 0.2
    d["m"] = 0.5 * d["did"] + rng.normal(size=len(d)) + 0.3 * d["x1"]
    d["yy"] = 0.8 * d["m"] + 0.2 * d["did"] + d["y0"]
    return d


def test_mediation_sobel_by_hand():
    d = _mediation_panel()
    med = did.mediation_sobel(d, "yy", "m", "did", "stkcd", "year", controls=("x1",))
    a, sa = med.a_path.coef()["did"], med.a_path.se()["did"]
    b, sb = med.direct.coef()["m"], med.direct.se()["m"]
    # Sobel (1982): se(ab) = sqrt(b^2 se_a^2 + a^2 se_b^2), z = ab / se
    assert med.sobel_se == pytest.approx(np.sqrt(b**2 * sa**2 + a**2 * sb**2), rel=1e-12)
    assert med.sobel_p == pytest.approx(2 * stats.norm.sf(abs(a * b / med.sobel_se)), rel=1e-12)
    assert med.a == pytest.approx(0.5, abs=0.1) and med.b == pytest.approx(0.8, abs=0.05)
    assert med.indirect == pytest.approx(0.4, abs=0.1) and med.sobel_p < 0.01
    # omitted-variable identity for OLS on one sample with the same controls and FE:
    # total c = direct c' + a * b exactly
    assert med.total.coef()["did"] == pytest.approx(med.direct.coef()["did"] + a * b, abs=1e-8)


def test_mechanism_two_step():
    d = _mediation_panel()
    res = did.mechanism_two_step(d, ["m", "x2"], "did", "stkcd", "year", controls=("x1",))
    assert res["m"].pvalue()["did"] < 0.01 and res["x2"].pvalue()["did"] > 0.01
    assert res["m"].depvar == "m"
