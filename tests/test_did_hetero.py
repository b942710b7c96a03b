"""Heterogeneity (smtext.did.hetero): split samples, the permutation gap test, interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import smtext.did as did
from smtext.did.simulate import simulate_panel
from smtext.errors import SMError


def _hetero_panel(seed=13):
    d = simulate_panel(n_units=240, effect=0.2, seed=seed)
    # planted heterogeneity: effect 0.2 in non-SOE firms, 0.2 + 1.0 in SOE firms
    d["y"] = d["y"] + 1.0 * d["did"] * d["soe"]
    return d

def test_split_sample_and_fast_permutation_coefficient():
    d = _hetero_panel()
    res = did.split_sample(d, "y", "year", "stkcd", "did", by="soe", controls=("x1",))
    assert set(res.names) == {0, 1}
    gap_se = np.hypot(res[1].se()["did"], res[0].se()["did"])
    assert abs(res[1].coef()["did"] - res[0].coef()["did"] - 1.0) < 3 * gap_se
    pt = did.permutation_diff_test(d, "y", "year", "stkcd", "did", by="soe", controls=("x1",), draws=200, seed=1)
    assert pt.diff == pytest.approx(res[1].coef()["did"] - res[0].coef()["did"], abs=1e-10)
    assert pt.unit == "firm" and pt.p_value < 0.05
    # the fast permuted coefficient equals a TWFE refit under the same permutation
    from smtext.did.hetero import _fast_coef
    sub = d.loc[d.soe == 1]
    assert _fast_coef(sub, "y", "did", ("stkcd", "year"), ("x1",)) == pytest.approx(
        did.twfe(sub, "y", "year", "stkcd", "did", controls=("x1",)).coef()["did"], abs=1e-9)

def test_permutation_no_difference_not_rejected_and_seeded():
    d = simulate_panel(n_units=240, effect=0.4, seed=14)   # same effect in both groups
    a = did.permutation_diff_test(d, "y", "year", "stkcd", "did", by="soe", draws=200, seed=3)
    b = did.permutation_diff_test(d, "y", "year", "stkcd", "did", by="soe", draws=200, seed=3)
    assert a.p_value > 0.05
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.p_value == np.mean(np.abs(a.draws) >= abs(a.diff))

def test_interaction_test_and_median_split():
    d = _hetero_panel()
    r = did.interaction_test(d, "y", "year", "stkcd", "did", moderator="soe", controls=("x1",))
    t = r.tidy().loc["did_x_soe"]
    assert t.ci_low < 1.0 < t.ci_high
    d.loc[0, "x2"] = np.nan
    hi = did.median_split(d, "x2", within="year")
    assert pd.isna(hi.iloc[0])
    yr = d.loc[d.year == 2015, "x2"]
    assert hi[d.year == 2015].sum() == (yr > yr.median()).sum()
    with pytest.raises(SMError, match="SM548"):
        did.permutation_diff_test(d, "y", "year", "stkcd", "did", by="industry", draws=2)
