"""VIF multicollinearity check (smtext.did.collinearity) against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from smtext.did.collinearity import vif
from smtext.errors import SMError, SMWarning


@pytest.fixture(scope="module")
def regressors():
    rng = np.random.default_rng(11)
    n = 400
    a = rng.normal(size=n)
    b = 0.9 * a + 0.3 * rng.normal(size=n)        # strongly collinear with a
    c = rng.normal(size=n) * 5 + 3
    d = 0.5 * a - 0.2 * c + rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d})


def test_vif_matches_statsmodels(regressors):
    X = sm.add_constant(regressors)
    ref = {c: variance_inflation_factor(X.to_numpy(), j) for j, c in enumerate(X.columns) if c != "const"}
    got = vif(regressors, ["a", "b", "c", "d"])
    for c, v in ref.items():
        assert got.loc[c, "VIF"] == pytest.approx(v, rel=1e-9)
        assert got.loc[c, "1/VIF"] == pytest.approx(1 / v, rel=1e-9)
    assert got.attrs["mean_vif"] == pytest.approx(np.mean(list(ref.values())), rel=1e-9)
    assert list(got["VIF"]) == sorted(got["VIF"], reverse=True)
    assert got.loc["a", "flag"] == (ref["a"] > 10)


def test_vif_hand_two_regressors():
    # with two regressors VIF = 1 / (1 - corr^2) for both
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    d = pd.DataFrame({"x": x, "z": x + rng.normal(size=200)})
    r = np.corrcoef(d.x, d.z)[0, 1]
    got = vif(d, ["x", "z"])
    assert got["VIF"].to_numpy() == pytest.approx([1 / (1 - r**2)] * 2, rel=1e-10)


def test_vif_missing_collinear_and_bad_input(regressors):
    d = regressors.copy()
    d.loc[:4, "c"] = np.nan
    with pytest.warns(SMWarning, match="SM503"):
        got = vif(d, ["a", "c", "d"])
    assert got.attrs["dropped"] == 5 and got.attrs["nobs"] == len(d) - 5
    d["e"] = d["a"] + 2 * d["d"]
    with pytest.warns(SMWarning, match="SM583"):
        got = vif(d.dropna(), ["a", "d", "e"])
    assert np.isinf(got["VIF"]).all()
    d["k"] = 1.0
    with pytest.raises(SMError, match="SM582"):
        vif(d, ["a", "k"])
    with pytest.raises(SMError, match="SM582"):
        vif(d, ["a"])
