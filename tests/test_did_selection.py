"""Heckman two-step (smtext.did.selection) vs a scipy probit MLE and statsmodels OLS."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import optimize, stats

from smtext.did.selection import heckman
from smtext.did.simulate import simulate_staggered


@pytest.fixture(scope="module")
def heck_panel():
    df = simulate_staggered(n_units=120, years=(2010, 2017), cohorts=(2013, 2015), seed=4)
    rng = np.random.default_rng(0)
    df["z"] = rng.normal(size=len(df))
    df["w"] = rng.normal(size=len(df))
    df["ever"] = (df["g"] > 0).astype(int)
    return df


def test_heckman_probit_imr_and_second_stage_by_hand(heck_panel):
    df = heck_panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = heckman(df, "y", "year", "stkcd", "d", selection="ever", exclusion="z", controls=["w"])
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
    # the probit as a table column: the same estimates, its own outcome
    probit = res.probit()
    np.testing.assert_array_equal(probit.coef().to_numpy(), res.selection["estimate"].to_numpy())
    assert probit.depvar == "ever" and probit.method == "Probit"


def test_heckman_generalized_residual(heck_panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = heckman(heck_panel, "y", "year", "stkcd", "d", selection="ever", exclusion=["z"], controls=["w"],
                      time_fe=False, imr="generalized")
    xb = np.column_stack([np.ones(len(heck_panel)), heck_panel["w"], heck_panel["z"]]) @ res.selection["estimate"].to_numpy()
    s = heck_panel["ever"].to_numpy()
    gr = s * stats.norm.pdf(xb) / stats.norm.cdf(xb) - (1 - s) * stats.norm.pdf(xb) / stats.norm.sf(xb)
    np.testing.assert_allclose(res.imr.to_numpy(), gr, rtol=1e-10)
