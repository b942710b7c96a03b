"""TWFE next to the robust staggered estimators (smtext.did.compare): planted effects, windows, the exact bias."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from smtext.did.compare import robust_comparison
from smtext.did.cs import callaway_santanna
from smtext.did.imputation import did_imputation
from smtext.did.simulate import simulate_staggered
from smtext.did.sun_abraham import sunab
from smtext.did.two_stage import did2s


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, seed=1)


def test_robust_estimators_recover_planted_effect_twfe_does_not():
    df = simulate_staggered(n_units=500, seed=11)
    truth = df.loc[df["d"] == 1, "tau"].mean()
    twfe = pf.feols("y ~ d | stkcd + year", data=df, vcov={"CRV1": "stkcd"})
    estimates = {
        "did2s": did2s(df, "y", "year", "stkcd", "g"),
        "bjs": did_imputation(df, "y", "year", "stkcd", "g", pretrends=0),
        "sunab": sunab(df, "y", "year", "stkcd", "g"),
        "cs": callaway_santanna(df, "y", "year", "stkcd", "g").aggregate("simple").overall,
    }
    for name, r in estimates.items():
        # within 3 standard errors of the planted average effect on treated firm-years
        assert abs(r.coef()["ATT"] - truth) < 3 * r.se()["ATT"], name
    # TWFE: known downward bias with growing effects (forbidden comparisons)
    bias = twfe.coef()["d"] - truth
    assert bias < -10 * twfe.se()["d"]
    assert bias < -0.3 * truth


def test_window_bins_and_unbalanced_panel(panel):
    rng = np.random.default_rng(3)
    unb = panel.drop(index=rng.choice(len(panel), size=200, replace=False))
    for fn in (did2s, did_imputation, sunab):
        r = fn(unb, "y", "year", "stkcd", "g", window=(-4, 4))
        es = r.event.tidy()
        assert es["rel_time"].min() >= -4 and es["rel_time"].max() == 4
        assert es.set_index("rel_time").loc[4, "binned"]
        assert not es.set_index("rel_time").loc[0, "binned"]


def test_robust_comparison_feeds_table_and_figure(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static = robust_comparison(panel, "y", "year", "stkcd", "g", window=(-4, 4))
        twfe = pf.feols("y ~ d | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    events = static.events
    assert static.names == list(events) == ["TWFE", "did2s", "CS", "BJS", "SA"]
    assert static["TWFE"].coef()["ATT"] == pytest.approx(twfe.coef()["d"], abs=1e-10)
    assert static["TWFE"].se()["ATT"] == pytest.approx(twfe.se()["d"], rel=1e-10)
    cols = ["rel_time", "estimate", "std_error", "ci_low", "ci_high", "binned"]
    for name, ev in events.items():
        assert list(ev.tidy().columns) == cols, name
    for name, r in static.items():
        assert list(r.tidy().columns) == ["estimate", "std_error", "t_value", "p_value", "ci_low", "ci_high"]
    # the members are the estimators' own results; CS is the simple aggregation with the dynamic event study
    assert static["did2s"].coef()["ATT"] == did2s(panel, "y", "year", "stkcd", "g", window=(-4, 4)).coef()["ATT"]
    cs = callaway_santanna(panel, "y", "year", "stkcd", "g")
    assert static["CS"].coef()["ATT"] == cs.aggregate("simple").coef()["ATT"]
    pd.testing.assert_frame_equal(events["CS"].tidy(), cs.aggregate("dynamic").tidy())


def test_demo_world_twfe_bias_is_exact_without_noise():
    """Demo world with growing planted effects, outcome = the planted effect itself.

    Without noise the estimands are visible exactly: did2s, BJS, CS (simple) and SA
    return the planted ATT (mean effect over treated firm-years) to machine precision,
    while TWFE returns the dCDH-weighted average sum(w * tau) -- its known bias,
    7% below the ATT here. The noisy version of this check is in
    tests/test_demo_estimates.py.
    """
    from smtext.demo import WorldConfig
    from smtext.demo.world import build_economy
    from smtext.did.decompose import twfe_weights

    cfg = WorldConfig(tfp_effect_base=0.02, tfp_effect_slope=0.08, tfp_effect_cap=8, omega_sigma=0.05)
    fin = build_economy(cfg)["fin"]
    fin = fin[~fin["gap"]]
    counts = fin.groupby("stkcd")["year"].nunique()
    bal = fin[fin["stkcd"].isin(counts.index[counts == len(cfg.years)])].copy()
    bal["tau"] = np.where(bal["treated_post"] == 1, bal["tfp_effect"], 0.0)
    att = bal.loc[bal["treated_post"] == 1, "tau"].mean()
    assert bal["tau"].std() > 0 and bal.loc[bal["treated_post"] == 1, "tau"].nunique() > 5  # heterogeneous
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static = robust_comparison(bal, "tau", "year", "stkcd", "gname")
        w = twfe_weights(bal, "tau", "year", "stkcd", "treated_post")
    for name in ("did2s", "BJS", "CS", "SA"):
        assert static[name].coef()["ATT"] == pytest.approx(att, abs=1e-10), name
    cells = w.weights.merge(bal[["stkcd", "year", "tau"]], on=["stkcd", "year"])
    beta = static["TWFE"].coef()["ATT"]
    assert beta == pytest.approx((cells["weight"] * cells["tau"]).sum(), abs=1e-10)
    assert beta < 0.95 * att          # measured: 0.25595 vs ATT 0.27616
