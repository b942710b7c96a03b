"""Callaway-Sant'Anna vs published R `did` output on mpdta, hand computation and a peer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.did.cs import callaway_santanna
from smtext.errors import SMError


@pytest.fixture(scope="module")
def mpdta(reference_dir):
    return pd.read_csv(reference_dir / "did_datasets" / "mpdta.csv")


def test_attgt_matches_published_did(mpdta):
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat")
    # R did README / vignette: att_gt(yname="lemp", tname="year", idname="countyreal",
    # gname="first.treat", xformla=~1, data=mpdta) -- ATT(g,t) printed to 4 decimals
    published = [
        -0.0105, -0.0704, -0.1373, -0.1008,
        0.0065, -0.0028, -0.0046, -0.0412,
        0.0305, -0.0027, -0.0311, -0.0261,
    ]
    np.testing.assert_allclose(res.attgt["att"], published, atol=5e-5)
    assert list(res.attgt["group"]) == [2004] * 4 + [2006] * 4 + [2007] * 4


def test_attgt_se_equals_hand_computed_two_sample_variance(mpdta):
    # without covariates every 2x2 estimator is a difference of mean changes, whose
    # influence-function variance is var_t/n_t + var_c/n_c (population variances)
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat")
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.drop_duplicates("countyreal").set_index("countyreal")["first.treat"]
    row = res.attgt.query("group == 2006 and time == 2007").iloc[0]
    dy = wide[2007] - wide[2005]
    t, c = dy[g == 2006], dy[g == 0]
    assert row["att"] == pytest.approx(t.mean() - c.mean(), abs=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(t.var(ddof=0) / len(t) + c.var(ddof=0) / len(c)), rel=1e-10)


def test_dynamic_aggregation_matches_published(mpdta):
    agg = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat").aggregate("dynamic")
    # R did README: aggte(mw.attgt, type="dynamic") -- estimates to 4 decimals
    np.testing.assert_allclose(
        agg.table["estimate"], [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008], atol=5e-5
    )
    assert agg.overall.coef()["ATT"] == pytest.approx(-0.0772, abs=5e-5)
    # the published SE (0.0203) is a multiplier bootstrap with 1,000 draws: allow 10%
    assert agg.overall.se()["ATT"] == pytest.approx(0.0203, rel=0.10)
    es = agg.tidy()
    assert list(es.columns) == ["rel_time", "estimate", "std_error", "ci_low", "ci_high", "binned"]


def test_dynamic_with_covariate_dr_matches_published(mpdta):
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat", covariates=["lpop"])
    agg = res.aggregate("dynamic")
    # R did vignette (extensions): att_gt(..., xformla=~lpop, est_method="dr") then
    # aggte(type="dynamic"); 4 decimals; overall bootstrap SE 0.0195
    np.testing.assert_allclose(
        agg.table["estimate"], [0.0267, -0.0036, -0.0232, -0.0211, -0.0530, -0.1404, -0.1069], atol=5e-5
    )
    assert agg.overall.coef()["ATT"] == pytest.approx(-0.0804, abs=5e-5)
    assert agg.overall.se()["ATT"] == pytest.approx(0.0195, rel=0.10)


def test_simple_and_group_aggregations_by_hand(mpdta):
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat")
    a = res.attgt
    share = mpdta.drop_duplicates("countyreal")["first.treat"].value_counts()
    post = a[a["post"]]
    w = post["group"].map(share)
    # simple: cohort-size weighted mean over post cells (Callaway-Sant'Anna eq. 3.10 / did::aggte)
    simple = (post["att"] * w).sum() / w.sum()
    assert res.aggregate("simple").coef()["ATT"] == pytest.approx(simple, abs=1e-12)
    by_g = post.groupby("group")["att"].mean()
    sh = by_g.index.to_series().map(share).to_numpy()
    overall = (by_g.to_numpy() * sh).sum() / sh.sum()
    grp = res.aggregate("group")
    assert grp.coef()["ATT"] == pytest.approx(overall, abs=1e-12)
    np.testing.assert_allclose(grp.table["estimate"], by_g.to_numpy(), atol=1e-12)
    # README of R did: simple ATT -0.0400, group overall -0.0310 (4 decimals)
    assert simple == pytest.approx(-0.0400, abs=5e-5)
    assert overall == pytest.approx(-0.0310, abs=5e-5)


@pytest.mark.parametrize("est_method,peer_method", [("dr", "dr"), ("ipw", "std_ipw-mle"), ("reg", "reg")])
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_matches_differences_package(mpdta, est_method, peer_method, control_group):
    # independent Python implementation of Callaway-Sant'Anna (package `differences`,
    # test-only dependency); analytic SEs from its influence functions
    differences = pytest.importorskip("differences")
    df = mpdta.set_index(["countyreal", "year"])
    df["cohort"] = df["first.treat"].replace(0, np.nan)
    att = differences.ATTgt(data=df, cohort_column="cohort")
    att.fit(
        formula="lemp ~ lpop",
        est_method=peer_method,
        control_group={"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}[control_group],
        progress_bar=False,
    )
    peer = att.results()
    peer.columns = [c[-1] for c in peer.columns]
    peer = peer.reset_index().set_index(["cohort", "time"])
    ours = callaway_santanna(
        mpdta, "lemp", "year", "countyreal", "first.treat", covariates=["lpop"],
        est_method=est_method, control_group=control_group,
    ).attgt.set_index(["group", "time"])
    assert len(ours) == len(peer) == 12
    # measured agreement on mpdta: ATT to 5e-13, SE to 1.3e-7 relative (the peer's logit
    # propensity score converges to a slightly different tolerance than ours)
    for (g, t), r in peer.iterrows():
        assert ours.loc[(g, t), "att"] == pytest.approx(r["ATT"], abs=1e-9)
        assert ours.loc[(g, t), "se"] == pytest.approx(r["std_error"], rel=1e-6)


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_aggregations_match_differences_package(mpdta, control_group):
    # every aggregation (by-kind table and overall) with analytic SEs against the same
    # independent peer (differences.ATTgt.aggregate, which follows did::aggte); measured
    # agreement 1e-15 on estimates and 1e-8 relative on SEs
    differences = pytest.importorskip("differences")
    df = mpdta.set_index(["countyreal", "year"])
    df["cohort"] = df["first.treat"].replace(0, np.nan)
    att = differences.ATTgt(data=df, cohort_column="cohort")
    att.fit(formula="lemp ~ lpop", est_method="dr", progress_bar=False,
            control_group={"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}[control_group])
    ours = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat", covariates=["lpop"],
                             control_group=control_group)

    def flat(frame):
        frame = frame.copy()
        frame.columns = [c[-1] for c in frame.columns]
        return frame

    simple = flat(att.aggregate("simple")).iloc[0]
    assert ours.aggregate("simple").coef()["ATT"] == pytest.approx(simple["ATT"], abs=1e-9)
    assert ours.aggregate("simple").se()["ATT"] == pytest.approx(simple["std_error"], rel=1e-6)
    for peer_kind, kind in (("event", "dynamic"), ("cohort", "group"), ("time", "calendar")):
        peer = flat(att.aggregate(peer_kind))
        mine = ours.aggregate(kind)
        np.testing.assert_allclose(mine.table["estimate"], peer["ATT"], atol=1e-9)
        np.testing.assert_allclose(mine.table["std_error"], peer["std_error"], rtol=1e-6)
        np.testing.assert_array_equal(mine.table.iloc[:, 0].to_numpy(), peer.index.to_numpy())
        overall = flat(att.aggregate(peer_kind, overall=True)).iloc[0]
        assert mine.coef()["ATT"] == pytest.approx(overall["ATT"], abs=1e-9)
        assert mine.se()["ATT"] == pytest.approx(overall["std_error"], rel=1e-6)


def test_not_yet_treated_uses_later_cohorts(mpdta):
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat", control_group="notyettreated")
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.drop_duplicates("countyreal").set_index("countyreal")["first.treat"]
    # ATT(2004, 2005): controls are never treated and cohorts 2006, 2007 (not treated by 2005)
    dy = wide[2005] - wide[2003]
    hand = dy[g == 2004].mean() - dy[(g == 0) | (g > 2005)].mean()
    got = res.attgt.query("group == 2004 and time == 2005")["att"].iloc[0]
    assert got == pytest.approx(hand, abs=1e-12)


def test_options_and_balance_checked(mpdta):
    with pytest.raises(SMError) as e:
        callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat", est_method="ols")
    assert e.value.code == "SM002"
    with pytest.raises(SMError) as e:
        callaway_santanna(mpdta.iloc[3:], "lemp", "year", "countyreal", "first.treat")
    assert e.value.code == "SM553"
    res = callaway_santanna(mpdta, "lemp", "year", "countyreal", "first.treat")
    with pytest.raises(SMError):
        res.aggregate("eventstudy")
