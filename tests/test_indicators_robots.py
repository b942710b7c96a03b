"""Firm robot exposure and input-output chain exposure from panels, by hand (paper 003)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators.robots import (
    chain_exposure,
    firm_robot_exposure,
    industry_robot_density,
)


@pytest.fixture()
def panel():
    # firm a (industry X) first seen 2010, b (X) first seen 2011, c (Y) 2010; a has a gap year 2011
    return pd.DataFrame({
        "stkcd": ["a", "a", "b", "b", "c", "c"],
        "year": [2010, 2012, 2011, 2012, 2010, 2011],
        "industry": ["X", "X", "X", "X", "Y", "Y"],
        "employees": [100, 120, 300, 310, 200, 200],
        "production_workers": [60, 70, 150, 150, 160, 150],
    })


@pytest.fixture()
def robots():
    return pd.DataFrame({"industry": ["X", "X", "X", "Y", "Y", "Y"], "year": [2010, 2011, 2012] * 2,
                         "robot_stock": [40.0, 80.0, 120.0, 10.0, 20.0, 30.0]})


def test_firm_exposure_by_hand(panel, robots):
    got = firm_robot_exposure(panel, robots, scale=1000)
    # base rows: a 2010 (share .6), b 2011 (.5), c 2010 (.8); median share .6
    # base employment: X = 100 + 300 = 400, Y = 200
    share = {"a": 0.6, "b": 0.5, "c": 0.8}
    base = {"X": 400.0, "Y": 200.0}
    stock = robots.set_index(["industry", "year"])["robot_stock"]
    want = [share[f] / 0.6 * 1000 * stock[(j, t)] / base[j] for f, j, t in
            zip(panel["stkcd"], panel["industry"], panel["year"])]
    assert np.allclose(got.to_numpy(), want)
    assert got.index.equals(panel.index)
    dens = industry_robot_density(panel, robots, scale=1000, workers="production_workers")
    assert got.equals(firm_robot_exposure(panel, robots, scale=1000, density=dens))


def test_common_base_year_and_missing_robot_data(panel, robots):
    got = firm_robot_exposure(panel, robots[robots["year"] < 2012], base_year=2010)
    # only a and c have a 2010 row; b has no base year, and 2012 has no robot data
    assert got[panel["stkcd"] == "b"].isna().all()
    assert got[panel["year"] == 2012].isna().all()
    assert got.iloc[0] == pytest.approx(0.6 / 0.7 * 40 / 100)   # median of (.6, .8) is .7; X base = 100
    with pytest.raises(SMError) as err:
        firm_robot_exposure(panel, robots, base_year=1999)
    assert err.value.code == "SM450"


def test_chain_exposure_by_hand(panel, robots):
    dens = industry_robot_density(panel, robots, workers="production_workers")
    io = pd.DataFrame({"supplier": ["X", "X", "Y", "Y"], "user": ["X", "Y", "X", "Y"],
                       "coefficient": [0.2, 0.3, 0.1, 0.4]})
    out = chain_exposure(io, dens).set_index(["industry", "year"])
    d = dens.set_index(["industry", "year"])["robot_density"]
    for t in (2010, 2011, 2012):
        gx, gy = d[("X", t)], d[("Y", t)]
        # upstream (suppliers): X buys .2 from X and .1 from Y -> input shares 2/3, 1/3
        assert out.loc[("X", t), "For"] == pytest.approx(2 / 3 * gx + 1 / 3 * gy)
        assert out.loc[("Y", t), "For"] == pytest.approx(3 / 7 * gx + 4 / 7 * gy)
        # downstream (buyers): X sells .2 to X and .3 to Y -> output shares .4, .6
        assert out.loc[("X", t), "Back"] == pytest.approx(0.4 * gx + 0.6 * gy)
        assert out.loc[("Y", t), "Back"] == pytest.approx(0.2 * gx + 0.8 * gy)


def test_yearly_weights_by_hand(panel, robots):
    """Paper 003's weights: each year's production-worker share over that year's median share."""
    got = firm_robot_exposure(panel, robots, scale=1000, weights="year")
    # shares per row: a10 .6, a12 70/120, b11 .5, b12 150/310, c10 .8, c11 .75
    # yearly medians: 2010 median(.6, .8) = .7; 2011 median(.5, .75) = .625; 2012 median(70/120, 150/310)
    med12 = (70 / 120 + 150 / 310) / 2
    weight = [0.6 / 0.7, 70 / 120 / med12, 0.5 / 0.625, 150 / 310 / med12, 0.8 / 0.7, 0.75 / 0.625]
    base = {"X": 400.0, "Y": 200.0}      # industry base employment stays that of the base rows
    stock = robots.set_index(["industry", "year"])["robot_stock"]
    want = [w * 1000 * stock[(j, t)] / base[j] for w, j, t in zip(weight, panel["industry"], panel["year"])]
    assert np.allclose(got.to_numpy(), want, rtol=1e-12)
    assert got.index.equals(panel.index)
    # base-year weights stay the default: a's base weight is .6 over the base median .6
    base_pr = firm_robot_exposure(panel, robots, scale=1000)
    assert base_pr.iloc[0] == pytest.approx(1000 * 40 / 400) and not np.isclose(base_pr.iloc[0], got.iloc[0])


def test_yearly_weights_missing_shares(panel, robots):
    p = panel.copy()
    p.loc[p["year"] == 2012, "production_workers"] = 0     # median share of 2012 is zero
    with pytest.raises(SMError) as err:
        firm_robot_exposure(p, robots, weights="year")
    assert err.value.code == "SM480"
    p = panel.copy()
    p.loc[1, "production_workers"] = np.nan                  # one firm-year without workers: missing, not zero
    got = firm_robot_exposure(p, robots, weights="year")
    assert np.isnan(got.iloc[1]) and got.drop(index=1).notna().all()
    with pytest.raises(SMError) as err:
        firm_robot_exposure(panel, robots, weights="annual")
    assert err.value.code == "SM002"
