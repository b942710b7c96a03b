"""Sun-Abraham (smtext.did.sun_abraham) vs hand 2x2 DIDs and the eq. 13 weights."""

from __future__ import annotations

import pytest

from smtext.did.simulate import simulate_staggered
from smtext.did.sun_abraham import sunab


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, seed=1)


def test_sunab_cohort_effects_equal_hand_did(panel):
    res = sunab(panel, "y", "year", "stkcd", "g")
    cells = res.extra["cohort_effects"].set_index(["group", "rel_time"])
    wide = panel.pivot(index="stkcd", columns="year", values="y")
    g = panel.drop_duplicates("stkcd").set_index("stkcd")["g"]
    # saturated SA regression with never-treated controls = 2x2 DID against base g-1
    for cohort, e in [(2011, 2), (2015, -3), (2017, 3)]:
        dy = wide[cohort + e] - wide[cohort - 1]
        hand = dy[g == cohort].mean() - dy[g == 0].mean()
        assert cells.loc[(cohort, e), "catt"] == pytest.approx(hand, abs=1e-8)
    # event-time estimate = cohort-share weighted CATTs (SA eq. 13)
    c0 = cells.xs(0, level="rel_time")
    hand0 = (c0["catt"] * c0["n"]).sum() / c0["n"].sum()
    assert res.event.tidy().set_index("rel_time").loc[0, "estimate"] == pytest.approx(hand0, abs=1e-12)
