"""IV-2SLS with fixed effects (smtext.did.iv) cross-checked with linearmodels on demeaned data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

import smtext.did as did
from smtext.did._fe import FEProjector, fe_codes
from smtext.did.simulate import simulate_panel
from smtext.errors import SMError


@pytest.fixture(scope="module")
def ivdata():
    d = simulate_panel(n_units=200, seed=5)
    rng = np.random.default_rng(0)
    d["z1"] = rng.normal(size=len(d))
    d["z2"] = rng.normal(size=len(d))
    u = rng.normal(size=len(d))
    d["x"] = 0.5 * d.z1 + 0.3 * d.z2 + 0.5 * u + rng.normal(size=len(d)) + 0.3 * d.x1
    # true IV coefficient 1.0 (x is correlated with u, so OLS is biased up); firm and year
    # effects from the simulated panel's y0
    d["yy"] = 1.0 * d.x + 0.5 * d.x1 + u + d.y0
    return d


def _linearmodels(d, cov_type):
    # Independent: linearmodels IV2SLS on data with firm and year FE partialled out
    # (exact within transformation; FWL). linearmodels does not know the absorbed FE, so
    # its degrees of freedom are N - L - k_exog where ours (as ivreghdfe) also subtract the
    # counted FE parameters.
    proj = FEProjector(fe_codes(d, ("stkcd", "year")))
    Y = proj.residualise(d[["yy", "x", "z1", "z2", "x1"]].to_numpy(float))
    kw = {"clusters": pd.factorize(d.stkcd)[0]} if cov_type == "clustered" else {}
    return IV2SLS(Y[:, 0], Y[:, [4]], Y[:, [1]], Y[:, 2:4]).fit(cov_type=cov_type, debiased=False, **kw)


@pytest.mark.parametrize("vcov,cov_type,k_fe", [("cluster", "clustered", 13), ("hetero", "robust", 212)])
def test_iv_matches_linearmodels(ivdata, vcov, cov_type, k_fe):
    d = ivdata
    N, G, L = len(d), 200, 2
    r = did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments=["z1", "z2"], controls=("x1",), vcov=vcov)
    lm = _linearmodels(d, cov_type)
    assert r.coef()["x"] == pytest.approx(lm.params["endog"], abs=1e-9)
    assert r.coef()["x1"] == pytest.approx(lm.params["exog"], abs=1e-9)
    # SE: fixest convention = linearmodels (no small-sample factor) x G/(G-1) (N-1)/(N-K);
    # K = 2 regressors + counted FE (cluster: firm FE nested -> 13 year levels;
    # hetero: 200 + 13 - 1 = 212).
    K = 2 + k_fe
    # (fixest treats HC1 as one-observation clusters, hence N/(N-1) in place of G/(G-1))
    factor = (N - 1) / (N - K) * (G / (G - 1) if vcov == "cluster" else N / (N - 1))
    assert r.se()["x"] == pytest.approx(lm.std_errors["endog"] * np.sqrt(factor), rel=1e-8)
    fs = lm.first_stage
    # KP rk LM has no dof adjustment: equal to linearmodels (ivreg2 convention)
    assert r.extra["KP rk LM"] == pytest.approx(fs.kleibergen_paap.stat, rel=1e-8)
    assert r.extra["KP rk LM p"] == pytest.approx(fs.kleibergen_paap.pval, rel=1e-6, abs=1e-300)
    # F statistics: ivreg2 dof (N - L - k_exog - sdofminus) vs linearmodels' (N - L - k_exog)
    dof_ratio = (N - L - 1 - k_fe) / (N - L - 1)
    assert r.extra["CD Wald F"] == pytest.approx(fs.cragg_donald_f * dof_ratio, rel=1e-8)
    assert r.extra["KP rk Wald F"] == pytest.approx(fs.kleibergen_paap_f * dof_ratio, rel=1e-8)
    assert r.method == "2SLS" and r.nobs == N


def test_iv_first_stage_and_recovery(ivdata):
    d = ivdata
    r = did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments=["z1", "z2"], controls=("x1",))
    t = r.tidy().loc["x"]
    assert t.ci_low < 1.0 < t.ci_high
    fs = r.first_stage[0]
    assert fs.coef()["z1"] == pytest.approx(0.5, abs=0.1)
    # first-stage F is the clustered Wald F of the instruments from that regression
    b = fs.coef()[["z1", "z2"]].to_numpy()
    V = fs.vcov.loc[["z1", "z2"], ["z1", "z2"]].to_numpy()
    assert r.extra["first-stage F"] == pytest.approx(b @ np.linalg.solve(V, b) / 2, rel=1e-10)


def test_iv_underidentified(ivdata):
    with pytest.raises(SMError, match="SM540"):
        did.iv_2sls(ivdata, "yy", "year", "stkcd", ["x", "x1"], instruments=["z1"])
