"""The demo world's planted effects are recovered by the estimators the papers use.

Only the economy is built (``build_economy``: firms, pilots, statements; no PDFs),
at the default size of the main job (300 firms, 2011-2023), so these checks are
about the same data ``make demo`` estimates on. Truth comes from the generator.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.demo import WorldConfig
from smtext.demo.patents import make_patents
from smtext.demo.world import _rng, build_economy
from smtext.did import fepois_did, placebo_test, robust_comparison, twfe
from smtext.indicators import tfp

CFG = WorldConfig()
TFP_KW = dict(y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net", idname="stkcd", tname="year")


def _panel(cfg: WorldConfig) -> pd.DataFrame:
    eco = build_economy(cfg)
    fin = eco["fin"][~eco["fin"]["gap"]].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = tfp.log_inputs(fin)
        d["TFP_LP"] = tfp.estimate(d, "lp", proxy="ln_cash_paid_goods", **TFP_KW).omega
    d["DID"] = d["treated_post"]
    d["cash_ratio"] = d["cash"] / d["total_assets"]
    return d.merge(eco["firms"][["stkcd", "exporter"]], on="stkcd")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel(CFG)


def _att(d: pd.DataFrame) -> float:
    return float(d.loc[d["DID"] == 1, "tfp_effect"].mean())


def test_baseline_ci_covers_planted_tfp_effect(panel):
    res = twfe(panel, "TFP_LP", "year", "stkcd", "DID", cluster="stkcd")
    row = res.tidy().loc["DID"]
    assert row["ci_low"] <= _att(panel) <= row["ci_high"], (row.to_dict(), _att(panel))
    assert row["p_value"] < 0.01


def test_placebo_rejects_the_real_effect_and_not_a_zero_effect(panel):
    real = placebo_test(panel, "TFP_LP", "year", "stkcd", "gname", dname="DID", draws=300, seed=1)
    assert real.p_value < 0.05
    # cash / assets has no planted effect: randomisation inference does not reject it
    zero = placebo_test(panel, "cash_ratio", "year", "stkcd", "gname", dname="DID", draws=300, seed=1)
    assert zero.p_value > 0.05, zero.p_value


def test_city_spillover_of_keytech_patents_is_recovered():
    """Poisson DID of key-technology applications on the planted log-rate spillover (paper 004)."""
    eco = build_economy(CFG)
    firms, fin = eco["firms"], eco["fin"]
    obs = fin[~fin["gap"]].reset_index(drop=True)
    obs = obs.assign(name_on_patent=obs["stkcd"].map(firms.set_index("stkcd")["name"]))
    _, truth = make_patents(_rng(CFG, "patents"), firms, eco["subsidiaries"], obs, obs["spill_post"], CFG)
    d = truth.merge(obs[["stkcd", "year", "spill_post", "gname", "city"]], on=["stkcd", "year"])
    d = d[d["gname"] == 0]                               # pilot firms are dropped in the design
    res = fepois_did(d, "n_keytech", "year", "stkcd", "spill_post", cluster="city")
    row = res.tidy().loc["spill_post"]
    assert row["ci_low"] <= CFG.spillover_keytech_effect <= row["ci_high"], row.to_dict()


def test_robust_estimators_recover_heterogeneous_effects_where_twfe_is_biased():
    """Strongly dynamic effects: TWFE (forbidden comparisons) falls short; CS/did2s/BJS hit the ATT."""
    cfg = WorldConfig(tfp_effect_base=0.02, tfp_effect_slope=0.08, tfp_effect_cap=8, omega_sigma=0.05)
    eco = build_economy(cfg)
    fin = eco["fin"][~eco["fin"]["gap"]]
    counts = fin.groupby("stkcd")["year"].nunique()
    bal = fin[fin["stkcd"].isin(counts.index[counts == len(cfg.years)])].copy()
    static = robust_comparison(bal, "omega", "year", "stkcd", "gname")
    att = float(bal.loc[bal["treated_post"] == 1, "tfp_effect"].mean())
    err = {k: abs(float(r.coef()["ATT"]) - att) for k, r in static.items()}
    for name in ("did2s", "CS", "BJS"):
        se = float(static[name].se()["ATT"])
        assert err[name] < 3 * se + 0.01, (name, err, att)
    assert err["TWFE"] > 2 * max(err["did2s"], err["BJS"]), err
    assert float(static["TWFE"].coef()["ATT"]) < att          # the known downward bias with growing effects


def test_planted_effects_on_other_outcomes(panel):
    """Exports (paper 001) and human capital (paper 000 mechanism) respond as planted."""
    ex = panel[(panel["exporter"] == 1) & (panel["overseas_revenue"] > 0)].copy()
    ex["ln_export_share"] = np.log(ex["overseas_revenue"] / ex["revenue"])
    # log overseas revenue = log revenue + log share: the share carries the planted export effect
    res = twfe(ex, "ln_export_share", "year", "stkcd", "DID", cluster="stkcd")
    lo, hi = res.tidy().loc["DID", ["ci_low", "ci_high"]]
    assert lo <= CFG.export_effect <= hi + 0.05
    panel = panel.assign(humcap=panel["employees_master"] / panel["employees"])
    res = twfe(panel, "humcap", "year", "stkcd", "DID", cluster="stkcd")
    lo, hi = res.tidy().loc["DID", ["ci_low", "ci_high"]]
    assert lo <= CFG.master_share_effect <= hi


def test_coverage_and_size_across_seeds():
    """Over 20 worlds: the baseline CI covers the planted ATT in most, the zero-effect outcome is rarely rejected.

    A single seed is one draw; the rates are what the estimator promises. Binomial(20, 0.05)
    exceeds 3 rejections with probability 1.6%; TWFE under-weights the growing effects a
    little, so coverage is checked at >= 15 of 20 rather than 19.
    """
    covered = rejected = 0
    for seed in range(101, 121):
        d = _panel(WorldConfig(seed=seed))
        row = twfe(d, "TFP_LP", "year", "stkcd", "DID", cluster="stkcd").tidy().loc["DID"]
        covered += bool(row["ci_low"] <= _att(d) <= row["ci_high"])
        rejected += bool(twfe(d, "cash_ratio", "year", "stkcd", "DID", cluster="stkcd").pvalue()["DID"] < 0.05)
    assert covered >= 15, covered
    assert rejected <= 3, rejected
