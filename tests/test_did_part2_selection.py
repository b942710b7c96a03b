"""Heckman two-step and DML vs independent computations (scipy MLE, statsmodels OLS)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize, stats

from smtext.did._part2_sim import simulate_staggered
from smtext.did.dml import demean, dml_plr
from smtext.did.heckman import heckman


@pytest.fixture(scope="module")
def heck_panel():
    df = simulate_staggered(n_units=120, years=(2010, 2017), cohorts=(2013, 2015), random_state=4)
    rng = np.random.default_rng(0)
    df["z"] = rng.normal(size=len(df))
    df["w"] = rng.normal(size=len(df))
    df["ever"] = (df["g"] > 0).astype(int)
    return df


def test_heckman_probit_imr_and_second_stage_by_hand(heck_panel):
    df = heck_panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = heckman(df, "y", "d", "ever", "z", controls=["w"], fe=["stkcd", "year"])
    # probit by direct maximisation of the log-likelihood (scipy), not statsmodels
    X = np.column_stack([np.ones(len(df)), df["w"], df["z"]])
    s = df["ever"].to_numpy()

    def nll(b):
        xb = X @ b
        return -np.sum(s * stats.norm.logcdf(xb) + (1 - s) * stats.norm.logcdf(-xb))

    b = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(res.selection["estimate"].to_numpy(), b, atol=1e-5)
    lam = stats.norm.pdf(X @ b) / stats.norm.cdf(X @ b)
    np.testing.assert_allclose(res.imr.to_numpy(), lam, atol=1e-5)
    # second stage: OLS with unit and year dummies (statsmodels) and the hand IMR
    ols = smf.ols("y ~ d + w + imr + C(stkcd) + C(year)", data=df.assign(imr=lam)).fit()
    for term in ["d", "w", "imr"]:
        assert res.coef()[term] == pytest.approx(ols.params[term], abs=1e-4)
    assert res.extra["z (probit)"] == pytest.approx(b[2], abs=1e-5)


def test_heckman_generalized_residual(heck_panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = heckman(heck_panel, "y", "d", "ever", ["z"], controls=["w"], fe=["stkcd"], imr="generalized")
    xb = np.column_stack([np.ones(len(heck_panel)), heck_panel["w"], heck_panel["z"]]) @ res.selection["estimate"].to_numpy()
    s = heck_panel["ever"].to_numpy()
    gr = s * stats.norm.pdf(xb) / stats.norm.cdf(xb) - (1 - s) * stats.norm.pdf(xb) / stats.norm.sf(xb)
    np.testing.assert_allclose(res.imr.to_numpy(), gr, rtol=1e-10)


def _dml_panel(seed=0, n=200, T=6):
    rng = np.random.default_rng(seed)
    u, t = np.repeat(np.arange(n), T), np.tile(np.arange(T), n)
    x1, x2 = rng.normal(size=n * T), rng.normal(size=n * T)
    a = rng.normal(size=n)[u]
    # treatment and outcome both depend on x2^2 (nonlinear confounding) and on the unit effect
    d = ((x2**2 + 0.5 * x1 + a + rng.normal(size=n * T)) > 1.5).astype(float)
    y = 0.5 * d + 1.5 * x2**2 + x1 + 2 * a + 0.1 * t + rng.normal(size=n * T)
    return pd.DataFrame({"id": u, "t": t, "y": y, "d": d, "x1": x1, "x2": x2})


def test_dml_recovers_effect_and_linear_fe_is_biased():
    df = _dml_panel()
    naive = smf.ols("y ~ d + x1 + x2 + C(id) + C(t)", data=df).fit().params["d"]
    assert abs(naive - 0.5) > 0.3  # misses the x2^2 confounding
    for learner in ("lasso", "ridge", "rf", "svm"):
        r = dml_plr(df, "y", "d", ["x1", "x2"], "id", "t", learner=learner, random_state=1)
        assert abs(r.coef()["d"] - 0.5) < 3 * r.se()["d"], learner


def test_dml_se_equals_statsmodels_cluster_on_residuals_and_is_seeded():
    df = _dml_panel(seed=3, n=120)
    r1 = dml_plr(df, "y", "d", ["x1", "x2"], "id", "t", learner="ridge", random_state=5)
    r2 = dml_plr(df, "y", "d", ["x1", "x2"], "id", "t", learner="ridge", random_state=5)
    assert r1.coef()["d"] == r2.coef()["d"] and r1.se()["d"] == r2.se()["d"]
    # rebuild the cross-fitted residuals independently and run statsmodels OLS with
    # cluster-robust SEs without small-sample correction: same theta and SE
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = df[["x1", "x2"]].assign(x1_sq=df["x1"] ** 2, x2_sq=df["x2"] ** 2)
    dm = demean(pd.concat([df[["y", "d"]], X, df[["id", "t"]]], axis=1), ["y", "d", *X.columns], ["id", "t"])
    feats = np.column_stack([dm[X.columns], X, X.groupby(df["id"]).transform("mean")])
    units = pd.factorize(df["id"])[0]
    fold = np.random.default_rng(5).permutation(np.arange(units.max() + 1) % 5)[units]
    ry, rd = np.empty(len(df)), np.empty(len(df))
    for k in range(5):
        tr, te = fold != k, fold == k
        for target, out in (("y", ry), ("d", rd)):
            m = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(feats[tr], dm[target][tr])
            out[te] = dm[target].to_numpy()[te] - m.predict(feats[te])
    ols = sm.OLS(ry, rd[:, None]).fit(cov_type="cluster", cov_kwds={"groups": units, "use_correction": False})
    assert r1.coef()["d"] == pytest.approx(ols.params[0], rel=1e-10)
    assert r1.se()["d"] == pytest.approx(ols.bse[0], rel=1e-8)
