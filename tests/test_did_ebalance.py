"""Entropy balancing (smtext.did.ebalance): exact moments, the maxent form, infeasibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import smtext.did as did
from smtext.errors import SMError


def _toy_match_data(n=300, seed=1):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.8 * x1 - 0.5 * x2)))).astype(int)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2})


@pytest.mark.parametrize("moments", [1, 2])
def test_entropy_balance_moments_and_maxent_form(moments):
    d = _toy_match_data(n=500, seed=3)
    eb = did.entropy_balance(d, "t", ["x1", "x2"], moments=moments)
    tr = d.t.to_numpy() == 1
    w = eb.weights.to_numpy()
    X = d[["x1", "x2"]].to_numpy()
    for p in range(1, moments + 1):
        np.testing.assert_allclose(np.average(X[~tr] ** p, axis=0, weights=w[~tr]),
                                   (X[tr] ** p).mean(axis=0), atol=1e-7)
    assert w[~tr].sum() == pytest.approx(tr.sum()) and (w[tr] == 1).all()
    # Hainmueller's solution has log-weights linear in the moment functions: an OLS fit
    # of log w on [1, X, (X^2)] reproduces them exactly.
    Z = np.column_stack([np.ones((~tr).sum())] + [X[~tr] ** p for p in range(1, moments + 1)])
    lw = np.log(w[~tr])
    resid = lw - Z @ np.linalg.lstsq(Z, lw, rcond=None)[0]
    assert np.abs(resid).max() < 1e-8

def test_entropy_balance_infeasible():
    d = pd.DataFrame({"t": [1, 1, 0, 0, 0], "x": [10.0, 11.0, 1.0, 2.0, 3.0]})
    with pytest.raises(SMError, match="SM535"):
        did.entropy_balance(d, "t", ["x"], max_iter=50)
