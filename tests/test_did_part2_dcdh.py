"""de Chaisemartin-D'Haultfoeuille TWFE weights: hand example and the exact decomposition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.did._part2_sim import simulate_staggered
from smtext.did.dcdh import twfe_weights


def test_three_period_example_by_hand():
    # two units, three periods; unit a treated from t=2, unit b from t=3.
    # residual of D on unit and period FE (balanced): D - Dbar_g - Dbar_t + Dbar
    # a2: 1 - 2/3 - 1/2 + 1/2 = 1/3; a3: 1 - 2/3 - 1 + 1/2 = -1/6; b3: 1 - 1/3 - 1 + 1/2 = 1/6
    # weights = e / sum(e) = (1, -1/2, 1/2): the TWFE coefficient puts a negative
    # weight on the long-run effect of the early unit
    df = pd.DataFrame(
        {"id": list("aaabbb"), "t": [1, 2, 3] * 2, "d": [0, 1, 1, 0, 0, 1], "y": [0.0, 1.0, 3.0, 0.5, 0.2, 2.0]}
    )
    res = twfe_weights(df, "id", "t", "d", yname="y")
    got = res.weights.set_index(["id", "t"])["weight"]
    assert got[("a", 2)] == pytest.approx(1.0, abs=1e-10)
    assert got[("a", 3)] == pytest.approx(-0.5, abs=1e-10)
    assert got[("b", 3)] == pytest.approx(0.5, abs=1e-10)
    assert res.n_negative == 1 and res.sum_negative == pytest.approx(-0.5, abs=1e-10)


def test_weights_reproduce_twfe_coefficient_without_noise():
    # Theorem 1: with y = FE + TE * D exactly, beta_fe = sum of weight * TE over treated cells
    df = simulate_staggered(n_units=200, random_state=5, noise=0.0)
    res = twfe_weights(df, "stkcd", "year", "d", yname="y")
    merged = res.weights.merge(df, on=["stkcd", "year"])
    assert (merged["weight"] * merged["tau"]).sum() == pytest.approx(res.beta_fe, abs=1e-8)
    assert res.weights["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert res.n_negative > 0  # long-run cells of early cohorts get negative weight
    sd_w = np.sqrt(np.mean((res.weights["w"] - 1) ** 2))
    assert res.sigma_fe == pytest.approx(abs(res.beta_fe) / sd_w, rel=1e-12)
