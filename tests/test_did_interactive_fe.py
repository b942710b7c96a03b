"""Interactive fixed effects (smtext.did.interactive_fe) vs pyfixest (r = 0), a direct concentrated-SSR minimum and Monte Carlo."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from scipy import optimize

from smtext.did.interactive_fe import ife
from smtext.errors import SMError


def _factor_panel(seed, N=150, T=12, beta=1.0):
    rng = np.random.default_rng(seed)
    lam, f = rng.normal(size=(N, 2)), rng.normal(size=(T, 2))
    # units with high loadings on factor 1 are treated: TWFE is confounded by l_i'f_t
    treated = (lam[:, 0] + 0.5 * rng.normal(size=N)) > 0.5
    u, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    common = (lam @ f.T).ravel()
    d = (treated[u] & (t >= T // 2)).astype(float)
    x = rng.normal(size=N * T) + 0.3 * common
    y = beta * d + 0.5 * x + 2 * common + rng.normal(size=N)[u] + rng.normal(size=T)[t] + rng.normal(size=N * T)
    return pd.DataFrame({"id": u, "t": t, "y": y, "d": d, "x": x})


def test_zero_factors_equals_twfe():
    df = _factor_panel(0)
    res = ife(df, "y", "t", "id", "d", controls=["x"], r=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twfe = pf.feols("y ~ d + x | id + t", data=df).coef()
    np.testing.assert_allclose(res.coef().to_numpy(), twfe[["d", "x"]].to_numpy(), atol=1e-8)


def test_factors_chosen_and_effect_recovered_twfe_biased():
    df = _factor_panel(1)
    res = ife(df, "y", "t", "id", "d", controls=["x"])
    assert res.extra["factors"] == 2  # Bai-Ng IC_p2 finds the two planted factors
    assert abs(res.coef()["d"] - 1.0) < 3 * res.se()["d"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twfe = pf.feols("y ~ d + x | id + t", data=df, vcov={"CRV1": "id"})
    assert abs(twfe.coef()["d"] - 1.0) > 5 * twfe.se()["d"]


def test_iteration_reaches_concentrated_least_squares_minimum():
    # Bai (2009) eq. (5): SSR(b) concentrated over factors = sum of the T - r smallest
    # eigenvalues of W(b)'W(b); minimise it directly with Nelder-Mead and compare
    df = _factor_panel(2, N=80, T=10)
    res = ife(df, "y", "t", "id", "d", controls=["x"], r=2)
    w = {c: df.pivot(index="id", columns="t", values=c).to_numpy() for c in ["y", "d", "x"]}
    dm = {c: m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean() for c, m in w.items()}

    def ssr(b):
        W = dm["y"] - b[0] * dm["d"] - b[1] * dm["x"]
        return np.sort(np.linalg.eigvalsh(W.T @ W))[:-2].sum()

    opt = optimize.minimize(ssr, res.coef().to_numpy() + 0.2, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 5000})
    np.testing.assert_allclose(res.coef().to_numpy(), opt.x, atol=1e-5)


def test_se_matches_monte_carlo_spread():
    est, ses = [], []
    for s in range(80):
        r = ife(_factor_panel(100 + s, N=100, T=10), "y", "t", "id", "d", controls=["x"], r=2)
        est.append(r.coef()["d"])
        ses.append(r.se()["d"])
    # MC error of an SD from 80 draws ~8%; tolerance 25%
    assert np.mean(ses) == pytest.approx(np.std(est), rel=0.25)


def test_unbalanced_rejected():
    df = _factor_panel(0).iloc[1:]
    with pytest.raises(SMError) as e:
        ife(df, "y", "t", "id", "d", controls=["x"], r=1)
    assert e.value.code == "SM553"
