"""Double machine learning (smtext.did.dml): planted effect and the SE against statsmodels on the residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from smtext.did.dml import demean, dml_plr


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
        r = dml_plr(df, "y", "t", "id", "d", controls=["x1", "x2"], learner=learner, seed=1)
        assert abs(r.coef()["d"] - 0.5) < 3 * r.se()["d"], learner


def test_dml_se_equals_statsmodels_cluster_on_residuals_and_is_seeded():
    df = _dml_panel(seed=3, n=120)
    r1 = dml_plr(df, "y", "t", "id", "d", controls=["x1", "x2"], learner="ridge", seed=5)
    r2 = dml_plr(df, "y", "t", "id", "d", controls=["x1", "x2"], learner="ridge", seed=5)
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
