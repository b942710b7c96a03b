"""Borusyak-Jaravel-Spiess imputation (smtext.did.imputation) vs hand imputation and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from smtext.did.imputation import did_imputation
from smtext.did.simulate import simulate_staggered
from smtext.did.two_stage import did2s


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, seed=1)


def test_imputation_equals_hand_imputation(panel):
    res = did_imputation(panel, "y", "year", "stkcd", "g", pretrends=0)
    # hand: fit FE on untreated rows with pyfixest, impute Y(0), average the gaps
    fit = pf.feols("y ~ 1 | stkcd + year", data=panel.loc[panel["d"] == 0])
    tr = panel.loc[panel["d"] == 1]
    tau = tr["y"].to_numpy() - fit.predict(newdata=tr)
    assert res.coef()["ATT"] == pytest.approx(tau.mean(), abs=1e-6)
    by_e = pd.Series(tau, index=(tr["year"] - tr["g"]).to_numpy()).groupby(level=0).mean()
    ev = res.event.tidy().set_index("rel_time")["estimate"]
    np.testing.assert_allclose(ev.loc[by_e.index], by_e.to_numpy(), atol=1e-6)
    # BJS (2024) and Gardner (2021) coincide in point estimates for this model
    assert did2s(panel, "y", "year", "stkcd", "g").coef()["ATT"] == pytest.approx(res.coef()["ATT"], abs=1e-9)


def test_imputation_se_matches_monte_carlo():
    # BJS Theorem 3 variance vs the Monte Carlo spread of (estimate - realised ATT)
    # over 60 seeded panels; MC error of an SD from 60 draws is ~9%, tolerance 25%
    errs, ses = [], []
    for seed in range(60):
        df = simulate_staggered(n_units=120, years=(2010, 2018), cohorts=(2013, 2015), seed=100 + seed)
        r = did_imputation(df, "y", "year", "stkcd", "g", pretrends=0)
        errs.append(r.coef()["ATT"] - df.loc[df["d"] == 1, "tau"].mean())
        ses.append(r.se()["ATT"])
    assert np.mean(ses) == pytest.approx(np.std(errs), rel=0.25)
