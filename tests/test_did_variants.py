"""Robustness variants (smtext.did.variants) against statsmodels, scikit-learn, R and planted effects."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from conftest import r_has
from sklearn.linear_model import LogisticRegression

import smtext.did as did
from smtext.did.simulate import simulate_panel
from smtext.errors import SMWarning


def test_lag_treatment_is_calendar_lag():
    d = pd.DataFrame({"stkcd": ["1"] * 4 + ["2"] * 3, "year": [2014, 2015, 2016, 2018, 2014, 2015, 2016],
                      "did": [0, 1, 1, 1, 0, 0, 1]})
    with pytest.warns(SMWarning, match="SM545"):
        out = did.lag_treatment(d, "year", "stkcd", "did", lags=(1, 2))
    # firm 1 has no 2017 row: L1 of 2018 is missing, L2 of 2018 is the 2016 value (1)
    assert out["L1_did"].isna().tolist()[:4] == [True, False, False, True]
    assert out["L1_did"].tolist()[1:3] == [0, 1]
    assert out.loc[3, "L2_did"] == 1 and out.loc[2, "L2_did"] == 0
    assert out.loc[6, "L1_did"] == 0 and np.isnan(out.loc[4, "L1_did"])


def test_fepois_matches_statsmodels_glm_dummies():
    # Independent: statsmodels GLM Poisson with firm and year dummies; coefficient to 1e-6.
    d = simulate_panel(n_units=60, years=(2011, 2018), seed=4)
    r = did.fepois_did(d, "count", "year", "stkcd", "did", controls=("x2",))
    keep = d.groupby("stkcd")["count"].transform("sum") > 0   # all-zero firms carry no information
    glm = smf.glm("count ~ did + x2 + C(stkcd) + C(year)", data=d[keep], family=sm.families.Poisson()).fit()
    assert r.coef()["did"] == pytest.approx(glm.params["did"], abs=1e-6)
    assert r.method == "Poisson" and r.nobs == int(keep.sum())


def test_logit_matches_sklearn_unpenalised():
    # Independent: scikit-learn LogisticRegression without penalty, same dummies.
    d = simulate_panel(n_units=150, seed=6)
    d["hi"] = (d["y"] > d["y"].median()).astype(int)
    r = did.logit_did(d, "hi", "year", "stkcd", "did", controls=("x1",), fe=("year",))
    X = pd.concat([d[["did", "x1"]], pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    X.columns = X.columns.astype(str)
    sk = LogisticRegression(penalty=None, tol=1e-10, max_iter=10000).fit(X, d["hi"])
    assert r.coef()["did"] == pytest.approx(sk.coef_[0][0], abs=1e-6)   # measured 1e-7
    assert r.fe == ("year",) and r.vcov_label == "cluster: stkcd"


def test_negbin_recovers_planted_effect_and_dispersion():
    # Gamma-Poisson mixture = NB2 with alpha = 0.5; log mean = year effect + 0.3 did,
    # treatment assigned at random (no selection) so year dummies suffice.
    rng = np.random.default_rng(7)
    d = simulate_panel(n_units=400, seed=7)
    g = np.where(rng.random(400) < 0.4, rng.choice([2015, 2016, 2017], 400), 0)[pd.factorize(d.stkcd)[0]]
    d["did"] = ((g > 0) & (d.year >= g)).astype(int)
    mu = np.exp(0.5 + 0.05 * (d.year - 2011) + 0.3 * d["did"])
    d["nb"] = rng.poisson(mu * rng.gamma(shape=2.0, scale=0.5, size=len(d)))   # var = mu + 0.5 mu^2
    r = did.negbin_did(d, "nb", "year", "stkcd", "did", fe=("year",))
    t = r.tidy().loc["did"]
    assert t.ci_low < 0.3 < t.ci_high
    assert r.extra["alpha"] == pytest.approx(0.5, abs=0.1)


@pytest.mark.skipif(not r_has("MASS"), reason="R with MASS not installed")
def test_negbin_matches_r_mass_glm_nb(tmp_path):
    # Independent: R MASS::glm.nb (NB2 by alternating ML for theta = 1 / alpha) with the
    # same year dummies; the likelihood is the same, so the optima agree (measured 1e-9;
    # statsmodels' default BFGS stopped 4e-6 short before negbin_did switched to Newton)
    rng = np.random.default_rng(8)
    d = simulate_panel(n_units=200, seed=8)
    mu = np.exp(0.5 + 0.05 * (d.year - 2011) + 0.3 * d["did"] + 0.2 * d["x1"])
    d["nb"] = rng.poisson(mu * rng.gamma(shape=2.0, scale=0.5, size=len(d)))
    r = did.negbin_did(d, "nb", "year", "stkcd", "did", controls=("x1",), fe=("year",))
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
    d = simulate_panel(n_units=50, seed=2)
    with pytest.warns(SMWarning, match="SM546"):
        e = did.drop_years(d, "year", years=[2020])
    assert 2020 not in set(e.year) and len(e) == len(d) - 50
    d["other"] = ((d.city < 5) & (d.year >= 2016)).astype(int)
    r = did.competing_policies(d, "y", "year", "stkcd", "did", policies=["other"], controls=("x1",))
    assert "other" in r.coef().index and r.extra["competing policies"] == "other"
    assert r.coef()["did"] == pytest.approx(
        did.twfe(d, "y", "year", "stkcd", "did", controls=("x1", "other")).coef()["did"])
