"""Goodman-Bacon decomposition and dCDH weights (smtext.did.decompose) vs published numbers, pyfixest and hand examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from smtext.did.decompose import bacon, twfe_weights
from smtext.did.simulate import simulate_staggered
from smtext.errors import SMError


def _ehec(reference_dir):
    d = pd.read_csv(reference_dir / "did_ehec" / "ehec_data.csv")
    # EXPECTED.md: postTreated = (year >= yexp2), false for never-treated
    d["post"] = ((d["year"] >= d["yexp2"]) & d["yexp2"].notna()).astype(int)
    return d


def test_bacon_matches_published_ehec(reference_dir):
    res = bacon(_ehec(reference_dir), "dins", "year", "stfips", "post")
    # R bacondecomp output published in Mixtape-Sessions/Advanced-DID,
    # Exercise-1 R solution (did_ehec/EXPECTED.md), printed to 5 decimals
    published = pd.DataFrame(
        {
            "weight": [0.14911, 0.05827, 0.79262],
            "avg_est": [0.06983, 0.04486, 0.07228],
        },
        index=["Earlier vs Later Treated", "Later vs Earlier Treated", "Treated vs Untreated"],
    )
    got = res.by_type.loc[published.index]
    # published numbers are rounded to 5 decimals: 0.5e-5 rounding + float noise
    np.testing.assert_allclose(got.to_numpy(), published.to_numpy(), atol=1e-5)
    assert res.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    # fixest coefficient from EXPECTED.md (6 decimals)
    assert res.estimate == pytest.approx(0.070321, abs=1e-6)


def test_bacon_weighted_sum_equals_twfe_on_simulated_panel():
    # independent check: pyfixest TWFE on a panel with always-treated units,
    # three cohorts and never-treated units
    rng = np.random.default_rng(7)
    n, years = 90, np.arange(2010, 2020)
    cohort = rng.choice([0, 2010, 2013, 2015, 2018], size=n)
    df = pd.DataFrame(
        [(i, t, cohort[i]) for i in range(n) for t in years], columns=["id", "year", "g"]
    )
    df["d"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(int)
    df["y"] = rng.normal(size=len(df)) + df["d"] * (1 + 0.3 * (df["year"] - df["g"]).clip(lower=0))
    res = bacon(df, "y", "year", "id", "d")
    twfe = pf.feols("y ~ d | id + year", data=df).coef()["d"]
    assert res.estimate == pytest.approx(twfe, abs=1e-10)
    assert "Later vs Always Treated" in res.by_type.index
    assert res.by_type["weight"].sum() == pytest.approx(1.0, abs=1e-12)


def test_bacon_rejects_unbalanced_panel(reference_dir):
    d = _ehec(reference_dir).iloc[1:]
    with pytest.raises(SMError) as e:
        bacon(d, "dins", "year", "stfips", "post")
    assert e.value.code == "SM553"


def test_bacon_rejects_switching_treatment(reference_dir):
    d = _ehec(reference_dir)
    d.loc[(d["stfips"] == d.loc[d["post"] == 1, "stfips"].iloc[0]) & (d["year"] == 2019), "post"] = 0
    with pytest.raises(SMError) as e:
        bacon(d, "dins", "year", "stfips", "post")
    assert e.value.code == "SM552"


def test_three_period_example_by_hand():
    # two units, three periods; unit a treated from t=2, unit b from t=3.
    # residual of D on unit and period FE (balanced): D - Dbar_g - Dbar_t + Dbar
    # a2: 1 - 2/3 - 1/2 + 1/2 = 1/3; a3: 1 - 2/3 - 1 + 1/2 = -1/6; b3: 1 - 1/3 - 1 + 1/2 = 1/6
    # weights = e / sum(e) = (1, -1/2, 1/2): the TWFE coefficient puts a negative
    # weight on the long-run effect of the early unit
    df = pd.DataFrame(
        {"id": list("aaabbb"), "t": [1, 2, 3] * 2, "d": [0, 1, 1, 0, 0, 1], "y": [0.0, 1.0, 3.0, 0.5, 0.2, 2.0]}
    )
    res = twfe_weights(df, "y", "t", "id", "d")
    got = res.weights.set_index(["id", "t"])["weight"]
    assert got[("a", 2)] == pytest.approx(1.0, abs=1e-10)
    assert got[("a", 3)] == pytest.approx(-0.5, abs=1e-10)
    assert got[("b", 3)] == pytest.approx(0.5, abs=1e-10)
    assert res.n_negative == 1 and res.sum_negative == pytest.approx(-0.5, abs=1e-10)


def test_weights_reproduce_twfe_coefficient_without_noise():
    # Theorem 1: with y = FE + TE * D exactly, beta_fe = sum of weight * TE over treated cells
    df = simulate_staggered(n_units=200, seed=5, noise=0.0)
    res = twfe_weights(df, "y", "year", "stkcd", "d")
    merged = res.weights.merge(df, on=["stkcd", "year"])
    assert (merged["weight"] * merged["tau"]).sum() == pytest.approx(res.beta_fe, abs=1e-8)
    assert res.weights["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert res.n_negative > 0  # long-run cells of early cohorts get negative weight
    sd_w = np.sqrt(np.mean((res.weights["w"] - 1) ** 2))
    assert res.sigma_fe == pytest.approx(abs(res.beta_fe) / sd_w, rel=1e-12)
