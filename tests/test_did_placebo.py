"""Placebo batch solver (smtext.did.placebo): equals a naive refit loop; detects planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import smtext.did as did
from smtext.did.placebo import draw_cohorts
from smtext.did.simulate import simulate_panel
from smtext.errors import SMError


@pytest.mark.parametrize("mode", ["random", "firms", "dates"])
def test_batch_equals_naive_refit(mode):
    # Independent: for each of 100 draws rebuild the pseudo DID column from the same seeded
    # cohort draws and refit the full TWFE (pyfixest feols with all FE and controls).
    # Unbalanced panel with an extra industry x year FE so demeaning must iterate.
    d = simulate_panel(n_units=80, years=(2011, 2020), unbalanced=0.1, seed=21)
    ndraw = 100 if mode == "random" else 20
    res = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", controls=("x1", "x2"),
                           fe=("industry^year",), draws=ndraw, mode=mode, seed=7, batch=33)
    codes, _ = pd.factorize(d["stkcd"], sort=True)  # units in sorted-id order, as placebo_test
    unit_cohort = d.groupby(codes)["gname"].first().to_numpy()
    rng = np.random.default_rng(7)
    years = np.unique(d["year"])
    naive = []
    for _ in range(ndraw):
        g = draw_cohorts(unit_cohort, years, mode, rng)[codes]
        e = d.assign(pseudo=((g > 0) & (d["year"].to_numpy() >= g)).astype(int))
        naive.append(did.twfe(e, "y", "year", "stkcd", "pseudo", controls=("x1", "x2"),
                              fe=("industry^year",)).coef()["pseudo"])
    np.testing.assert_allclose(res.draws, naive, rtol=1e-7, atol=1e-9)
    assert res.true_estimate == pytest.approx(
        did.twfe(d, "y", "year", "stkcd", "did", controls=("x1", "x2"), fe=("industry^year",)).coef()["did"])


def test_seed_reproducible_and_batch_invariant():
    d = simulate_panel(n_units=60, seed=4)
    a = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", draws=50, seed=3, batch=7)
    b = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", draws=50, seed=3, batch=50)
    np.testing.assert_allclose(a.draws, b.draws, rtol=1e-9)
    # row order of the input does not change the draws (units are taken in sorted-id order)
    shuffled = d.sample(frac=1.0, random_state=0)
    np.testing.assert_allclose(
        did.placebo_test(shuffled, "y", "year", "stkcd", "gname", dname="did", draws=50, seed=3).draws,
        a.draws, rtol=1e-9)
    c = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", draws=50, seed=4)
    assert not np.allclose(a.draws, c.draws)


def test_planted_effect_rejected_zero_effect_not():
    # planted effect 0.3 in y (simulate_panel seed 8); y0 has none.
    d = simulate_panel(n_units=200, effect=0.3, seed=8)
    r = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", controls=("x1",), draws=500, seed=1)
    assert r.p_value < 0.05 and r.draws.shape == (500,)
    # placebo coefficients are centred on zero (the pseudo-treatment is noise)
    assert abs(np.mean(r.draws)) < 3 * np.std(r.draws) / np.sqrt(500) + 0.01
    r0 = did.placebo_test(d, "y0", "year", "stkcd", "gname", dname="did", controls=("x1",), draws=500, seed=1)
    assert r0.p_value > 0.05
    # p-value is the share of |draws| >= |true|, computed by hand
    assert r.p_value == np.mean(np.abs(r.draws) >= abs(r.true_estimate))


def test_bad_mode():
    d = simulate_panel(n_units=20, seed=4)
    with pytest.raises(SMError, match="SM002"):
        did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", mode="both")
