"""TFP estimators on the demo world against its true production function.

The demo world (``smtext.demo``) draws value added from ``y = b0 + 0.6 l + 0.3 k +
omega + eps`` (``WorldConfig.beta_l/beta_k``). The issue's acceptance check: OP, LP
and ACF put the truth inside their 95% firm-cluster bootstrap intervals; OLS does not
(labour responds to omega, the transmission bias).

Only the statements are needed, so the world is built with
``smtext.demo.world.build_economy`` (no PDFs). Gap years have no statements in the
published world, so their rows are dropped here as well.

The generator was shaped so that the textbook assumptions hold (investment an exact,
strictly increasing function of omega given k, omega first-order Markov, random
depreciation so that capital growth does not reveal omega_{t-1} and give the ACF
moments a second root); an earlier generator broke each of these, and these
tests caught it. Since generator 7 the proxies differ: investment is convex in omega
(OP's control function is not LP's) and the LP/ACF proxy, cash paid for goods, is
materials up to a small timing error (sd 0.02 in logs). Before, investment was
log-linear in (k, materials) and OP and LP gave the same estimates to 1e-4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.demo import WorldConfig
from smtext.demo.world import build_economy
from smtext.indicators import tfp

# ACF has several roots on small samples (150 firms: b_k = -1.4 at seed 4); 600 firms identify it
CFG = WorldConfig(n_firms=600, seed=3)
KW = dict(y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net", idname="stkcd", tname="year")
DRAWS = 30

@pytest.fixture(scope="module")
def demo_panel() -> pd.DataFrame:
    fin = build_economy(CFG)["fin"]
    fin = fin[~fin["gap"]].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # no zero inputs in the demo, but be robust
        return tfp.log_inputs(fin)


def truth() -> pd.Series:
    return pd.Series({"ln_employees": CFG.beta_l, "ln_fixed_assets_net": CFG.beta_k})


def _check_in_ci(method: str, proxy: str, panel: pd.DataFrame):
    r = tfp.estimate(panel, method, proxy=proxy, bootstrap=DRAWS, seed=7, **KW)
    ci = r.conf_int(0.95)
    t = truth()
    assert len(r.boot) >= DRAWS - 2, "too many bootstrap draws failed"
    inside = (ci["lower"] <= t) & (t <= ci["upper"])
    assert inside.all(), f"{method}: truth {t.to_dict()} outside 95% CI\n{ci}\ncoef {r.coef.to_dict()}"
    return r


def test_lp_truth_inside_bootstrap_ci(demo_panel):
    r = _check_in_ci("lp", "ln_cash_paid_goods", demo_panel)
    # the interval must be informative, not just wide enough to hold anything
    width = r.conf_int()["upper"] - r.conf_int()["lower"]
    assert width["ln_employees"] < 0.1 and width["ln_fixed_assets_net"] < 0.5


def test_op_truth_inside_bootstrap_ci(demo_panel):
    _check_in_ci("op", "ln_investment", demo_panel)


def test_acf_truth_inside_bootstrap_ci(demo_panel):
    _check_in_ci("acf", "ln_cash_paid_goods", demo_panel)


def test_ols_is_biased(demo_panel):
    r = tfp.estimate(demo_panel, "ols", **KW)
    ci = r.conf_int()   # firm-clustered analytic SEs
    # labour responds to omega (0.6 loading), so OLS over-states b_l far outside its CI
    assert ci.loc["ln_employees", "lower"] > CFG.beta_l + 0.2
    assert not (ci.loc["ln_fixed_assets_net", "lower"] <= CFG.beta_k <= ci.loc["ln_fixed_assets_net", "upper"])


def test_lp_omega_tracks_true_productivity(demo_panel):
    r = tfp.estimate(demo_panel, "lp", proxy="ln_cash_paid_goods", **KW)
    # omega = y - b'x carries the output noise on top of the true omega, so even the true
    # coefficients cannot beat the correlation of y - 0.6 l - 0.3 k with omega (the ceiling,
    # ~0.90 here); the estimate must come within 0.02 of it
    oracle = demo_panel["ln_value_added"] - CFG.beta_l * demo_panel["ln_employees"] \
        - CFG.beta_k * demo_panel["ln_fixed_assets_net"]
    ceiling = np.corrcoef(oracle, demo_panel["omega"])[0, 1]
    assert np.corrcoef(r.omega, demo_panel["omega"])[0, 1] > ceiling - 0.02


# The default-size world (300 firms, 2011-2023, seed 20241: the one the study specs build)
# and the 600-firm one above. Measured (labour, capital), truth (0.6, 0.3):
#   300 firms: OP (0.6128, 0.2911), LP (0.6220, 0.2874), ACF (0.5983, 0.3030)
#   600 firms: OP (0.5988, 0.3043), LP (0.6102, 0.2967), ACF (0.5758, 0.3227)
# (generator 6 gave OP = LP to 4 digits in both). The imperfect LP proxy biases LP's labour
# elasticity up (given k and the proxy, labour still carries omega): LP - OP labour is
# 0.009 and 0.011. Sampling error in these worlds is ~0.007 (OP/LP labour) to 0.03 (ACF),
# hence the tolerances.
TOL = {"ln_employees": 0.03, "ln_fixed_assets_net": 0.05}
OP_LP_GAP = 0.005


@pytest.fixture(scope="module")
def default_world_panel() -> pd.DataFrame:
    fin = build_economy(WorldConfig())["fin"]
    fin = fin[~fin["gap"]].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tfp.log_inputs(fin)


@pytest.mark.parametrize("world", ["default_world_panel", "demo_panel"])
def test_op_and_lp_differ_and_each_recovers_truth(world, request):
    panel = request.getfixturevalue(world)
    # the generator's proxies: log investment is not a linear function of (log capital, log
    # cash paid for goods), as it was when OP and LP coincided (R^2 = 1 then)
    X = np.column_stack([np.ones(len(panel)), panel["ln_fixed_assets_net"], panel["ln_cash_paid_goods"]])
    resid = panel["ln_investment"] - X @ np.linalg.lstsq(X, panel["ln_investment"], rcond=None)[0]
    assert resid.std() > 0.02
    t = truth()
    est = {}
    for method, proxy in [("op", "ln_investment"), ("lp", "ln_cash_paid_goods"), ("acf", "ln_cash_paid_goods")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # SM417 would list other ACF roots; the check is on the returned one
            est[method] = tfp.estimate(panel, method, proxy=proxy, **KW).coef
        gap = (est[method] - t).abs()
        assert (gap < pd.Series(TOL)).all(), (method, est[method].to_dict())
    # OP and LP now use different information: LP's labour elasticity sits above OP's
    assert est["lp"]["ln_employees"] - est["op"]["ln_employees"] > OP_LP_GAP, (est["op"], est["lp"])
