"""Gardner two-stage DID (smtext.did.two_stage) vs pyfixest.did2s."""

from __future__ import annotations

import warnings

import numpy as np
import pyfixest as pf
import pytest

from smtext.did.simulate import simulate_staggered
from smtext.did.two_stage import did2s


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, seed=1)


def _pf_did2s(df, second_stage):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.did2s(
            df, yname="y", first_stage="~ 0 | stkcd + year", second_stage=second_stage,
            treatment="d", cluster="stkcd",
        ).tidy()


def test_did2s_matches_pyfixest(panel):
    res = did2s(panel, "y", "year", "stkcd", "g")
    # pyfixest.did2s implements Butts & Gardner's GMM variance independently
    # (demeaning by alternating projections, hence 1e-6)
    peer = _pf_did2s(panel, "~ i(d)")
    assert res.coef()["ATT"] == pytest.approx(peer["Estimate"].iloc[0], abs=1e-6)
    assert res.se()["ATT"] == pytest.approx(peer["Std. Error"].iloc[0], rel=1e-5)
    df = panel.assign(rel=np.where(panel["g"] > 0, panel["year"] - panel["g"], -1))
    peer = _pf_did2s(df, "~ i(rel, ref=-1)")
    ours = res.event.tidy().query("rel_time != -1")
    np.testing.assert_allclose(ours["estimate"], peer["Estimate"], atol=1e-6)
    np.testing.assert_allclose(ours["std_error"], peer["Std. Error"], rtol=1e-5)
    assert res.event.base_period == -1
