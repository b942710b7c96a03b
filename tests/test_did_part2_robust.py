"""did2s, BJS imputation and Sun-Abraham vs pyfixest, hand computation and a planted effect."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from smtext.did._part2_sim import simulate_staggered
from smtext.did.cs import callaway_santanna
from smtext.did.did2s import did2s
from smtext.did.imputation import did_imputation
from smtext.did.sunab import sunab


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, random_state=1)


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
        df = simulate_staggered(n_units=120, years=(2010, 2018), cohorts=(2013, 2015), random_state=100 + seed)
        r = did_imputation(df, "y", "year", "stkcd", "g", pretrends=0)
        errs.append(r.coef()["ATT"] - df.loc[df["d"] == 1, "tau"].mean())
        ses.append(r.se()["ATT"])
    assert np.mean(ses) == pytest.approx(np.std(errs), rel=0.25)


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


def test_robust_estimators_recover_planted_effect_twfe_does_not():
    df = simulate_staggered(n_units=500, random_state=11)
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
    from smtext.did._part2_compare import robust_comparison

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static, events = robust_comparison(panel, "y", "year", "stkcd", "g", window=(-4, 4))
        twfe = pf.feols("y ~ d | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    assert set(static) == set(events) == {"TWFE", "did2s", "CS", "BJS", "SA"}
    assert static["TWFE"].coef()["ATT"] == pytest.approx(twfe.coef()["d"], abs=1e-10)
    assert static["TWFE"].se()["ATT"] == pytest.approx(twfe.se()["d"], rel=1e-10)
    cols = ["rel_time", "estimate", "std_error", "ci_low", "ci_high", "binned"]
    for name, ev in events.items():
        assert list(ev.tidy().columns) == cols, name
    for name, r in static.items():
        assert list(r.tidy().columns) == ["estimate", "std_error", "t_value", "p_value", "ci_low", "ci_high"]


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
    from smtext.did._part2_compare import robust_comparison
    from smtext.did.dcdh import twfe_weights

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
        static, _ = robust_comparison(bal, "tau", "year", "stkcd", "gname")
        w = twfe_weights(bal, "stkcd", "year", "treated_post", yname="tau")
    for name in ("did2s", "BJS", "CS", "SA"):
        assert static[name].coef()["ATT"] == pytest.approx(att, abs=1e-10), name
    cells = w.weights.merge(bal[["stkcd", "year", "tau"]], on=["stkcd", "year"])
    beta = static["TWFE"].coef()["ATT"]
    assert beta == pytest.approx((cells["weight"] * cells["tau"]).sum(), abs=1e-10)
    assert beta < 0.95 * att          # measured: 0.25595 vs ATT 0.27616
