"""Event study (smtext.did.event) against hand-made dummies and a planted pre-trend."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

import smtext.did as did
from smtext.did.simulate import simulate_panel


def test_event_study_matches_manual_dummies_and_pretrend():
    d = simulate_panel(n_units=150, effect=0.5, seed=5)
    ev = did.event_study(d, "y", "year", "stkcd", "gname", window=(-3, 3), base=-1)
    tab = ev.tidy()
    assert list(tab.rel_time) == [-3, -2, -1, 0, 1, 2, 3]
    assert list(tab.binned) == [True, False, False, False, False, False, True]
    assert tab.set_index("rel_time").loc[-1, "estimate"] == 0 and ev.base_period == -1
    # independent: statsmodels OLS with hand-made binned dummies and firm/year dummies
    rel = (d.year - d.gname).where(d.gname > 0).clip(-3, 3)
    names = {}
    for k in (-3, -2, 0, 1, 2, 3):
        names[k] = f"e{k + 10}"
        d[names[k]] = (rel == k).astype(float)
    ols = smf.ols("y ~ " + " + ".join(names.values()) + " + C(stkcd) + C(year)", data=d).fit()
    for k, n in names.items():
        assert tab.set_index("rel_time").loc[k, "estimate"] == pytest.approx(ols.params[n], abs=1e-7)
    # planted constant effect: no pre-trend, post effects near 0.5
    assert ev.pretrend_p > 0.05 and ev.pretrend_df[0] == 2
    post = tab[tab.rel_time >= 0]
    assert ((post.ci_low < 0.5) & (post.ci_high > 0.5)).mean() >= 0.75
    # pre-trend F equals the Wald statistic computed by hand from the stored vcov
    reg = ev.regression
    b = reg.coef()[["_ev_m3", "_ev_m2"]].to_numpy()
    V = reg.vcov.loc[["_ev_m3", "_ev_m2"], ["_ev_m3", "_ev_m2"]].to_numpy()
    assert ev.pretrend_f == pytest.approx(b @ np.linalg.inv(V) @ b / 2, rel=1e-10)


def test_event_study_detects_planted_pretrend():
    d = simulate_panel(n_units=200, effect=0.0, seed=6)
    # anticipation: outcome rises 2 and 3 years before adoption
    rel = d.year - d.gname
    d["y"] = d["y"] + np.where((d.gname > 0) & rel.isin([-3, -2]), 0.8, 0.0)
    ev = did.event_study(d, "y", "year", "stkcd", "gname", window=(-4, 3))
    assert ev.pretrend_p < 0.01
