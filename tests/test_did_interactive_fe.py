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


def test_bad_r_and_thin_units():
    df = _factor_panel(0, N=30, T=8)
    with pytest.raises(SMError, match="SM567"):
        ife(df, "y", "t", "id", "d", controls=["x"], r=8)
    thin = df[~((df.id == 3) & (df.t > 1))]           # unit 3 observed twice only: dropped, said and counted
    with pytest.warns(Warning, match="SM585"):
        res = ife(thin, "y", "t", "id", "d", controls=["x"], r=2)
    assert res.extra["units dropped (<= 2 periods)"] == 1 and res.nobs == len(df) - 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ife(df[df.id != 3], "y", "t", "id", "d", controls=["x"], r=2)
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), atol=1e-7)


def _unbalanced_hdfe_panel(seed, N=160, T=12, beta=1.0, share_missing=0.3):
    """Known factors and coefficient, unit + period + industry x period FE, an unbalanced panel."""
    rng = np.random.default_rng(seed)
    lam, f = rng.normal(size=(N, 2)), rng.normal(size=(T, 2))
    ind = rng.integers(0, 4, size=N)
    ind_t = rng.normal(size=(4, T)) * 2
    treated = (lam[:, 0] + 0.5 * rng.normal(size=N)) > 0.5
    u, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    common = (lam @ f.T).ravel()
    d = (treated[u] & (t >= T // 2)).astype(float)
    x = rng.normal(size=N * T) + 0.3 * common
    y = (beta * d + 0.5 * x + 2 * common + rng.normal(size=N)[u] + rng.normal(size=T)[t] + ind_t[ind[u], t]
         + rng.normal(size=N * T))
    df = pd.DataFrame({"id": u, "t": t, "ind": ind[u], "y": y, "d": d, "x": x})
    # firms enter late (listing) or leave early (delisting): a share of the units miss a span of
    # years at either end, as in a listed-firm panel
    late = rng.random(N) < share_missing
    early = rng.random(N) < share_missing / 2
    start = np.where(late, rng.integers(1, 4, size=N), 0)
    end = np.where(early, T - 1 - rng.integers(1, 3, size=N), T - 1)
    keep = (t >= start[u]) & (t <= end[u])
    return df[keep].reset_index(drop=True)


def test_unbalanced_zero_factors_equals_pyfixest_with_extra_fe():
    df = _unbalanced_hdfe_panel(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ife(df, "y", "t", "id", "d", controls=["x"], fe=["ind^t"], r=0)
        ref = pf.feols("y ~ d + x | id + t + ind^t", data=df, vcov={"CRV1": "id"})
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef()[["d", "x"]].to_numpy(), atol=1e-8)
    # Bai's sandwich without factors is the cluster sandwich without small-sample factors
    ratio = res.se()["d"] / ref.se()["d"]
    assert 0.9 < ratio < 1.0           # fixest multiplies by sqrt(G/(G-1) (n-1)/(n-K)) > 1


def test_unbalanced_hdfe_recovers_planted_coefficient():
    df = _unbalanced_hdfe_panel(4)
    with pytest.warns(Warning, match="SM587"):
        res = ife(df, "y", "t", "id", "d", controls=["x"], fe=["ind^t"])
    assert res.extra["factors"] == 2 and res.extra["factors chosen by"].startswith("Bai-Ng IC_p2")
    assert res.extra["missing cells imputed (EM)"] == 160 * 12 - len(df) > 0
    assert "units observed in every period" in res.extra["factors chosen by"]
    # stated tolerance: within 3 SE of the planted 1.0 (and 0.5 for x); measured 1.102 (SE 0.153)
    assert abs(res.coef()["d"] - 1.0) < 3 * res.se()["d"]
    assert abs(res.coef()["x"] - 0.5) < 3 * res.se()["x"]


@pytest.mark.slow   # scipy's finite-difference Levenberg-Marquardt on 100 parameters: about a minute
def test_em_reaches_least_squares_minimum_unbalanced():
    # Independent check of the EM/coordinate-descent solution: minimise the same sum of squared
    # residuals over (b, a_i, g_t, industry x t, loadings, factors) jointly with scipy's
    # Levenberg-Marquardt from several starts on a tiny unbalanced panel; the EM solution
    # must reach the smallest SSR found, with the same coefficients.
    df = _unbalanced_hdfe_panel(5, N=24, T=7, share_missing=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ife(df, "y", "t", "id", "d", controls=["x"], fe=["ind^t"], r=1, tol=1e-12, max_iter=200_000)
    u, t, it = df.id.to_numpy(), df.t.to_numpy(), df.ind.to_numpy() * 7 + df.t.to_numpy()
    X, y = df[["d", "x"]].to_numpy(), df.y.to_numpy()
    N, T, K = 24, 7, 28

    def resid(p):
        b, a, g, h = p[:2], p[2:2 + N], p[2 + N:2 + N + T], p[2 + N + T:2 + N + T + K]
        lam, f = p[2 + N + T + K:2 + 2 * N + T + K], p[2 + 2 * N + T + K:]
        return y - X @ b - a[u] - g[t] - h[it] - lam[u] * f[t]

    rng = np.random.default_rng(0)
    best = None
    for s in range(6):
        p0 = rng.normal(size=2 + 2 * N + 2 * T + K) * (0.5 if s else 0.1)
        sol = optimize.least_squares(resid, p0, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=200_000)
        if best is None or sol.cost < best.cost:
            best = sol
    ssr_ls = 2 * best.cost
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ssr_em = float(np.sum(ife_resid(df, res)))
    assert ssr_em <= ssr_ls * (1 + 1e-6)
    np.testing.assert_allclose(res.coef().to_numpy(), best.x[:2], atol=1e-4)


def ife_resid(df, res):
    """Squared residuals of the fitted IFE model (recomputed from the coefficients by a rank-1 refit)."""
    from smtext.did.interactive_fe import _fit, _Panel

    p = _Panel(df, "y", ["d", "x"], "t", "id", ("id", "t", "ind^t"))
    *_, r, _ = _fit(p, 1, 1e-12, 200_000)
    return r**2


@pytest.mark.slow
def test_unbalanced_hdfe_monte_carlo():
    # 40 unbalanced panels with industry x period FE and two factors (r fixed at 2): the mean
    # estimate is within 0.06 of the planted 1.0 (3 Monte Carlo standard errors: sd 0.13 / sqrt(40))
    # and the mean Bai SE within 25% of the spread (measured: mean 0.991, sd 0.131, mean SE 0.154)
    est, ses = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in range(200, 240):
            r = ife(_unbalanced_hdfe_panel(s), "y", "t", "id", "d", controls=["x"], fe=["ind^t"], r=2)
            est.append(r.coef().to_numpy())
            ses.append(r.se().to_numpy())
    est, ses = np.array(est), np.array(ses)
    assert abs(est[:, 0].mean() - 1.0) < 0.06
    assert abs(est[:, 1].mean() - 0.5) < 0.015
    np.testing.assert_allclose(ses.mean(axis=0), est.std(axis=0), rtol=0.25)


def test_matches_pyinteractivefixedeffects_balanced():
    # Independent: the PyPI package pyinteractivefixedeffects (Bai 2009 iteration, module
    # bai2009) on the two-way demeaned balanced panel, where its PCA of W W' equals Bai's
    # eigen-step. It stops when successive betas agree to numpy's isclose (rtol 1e-5), so the
    # tolerance is 1e-4 (measured gap 1.4e-5). Skipped unless the package is importable
    # (pip install pyinteractivefixedeffects; it needs scikit-learn and patsy).
    bai = pytest.importorskip("bai2009")
    df = _factor_panel(2, N=80, T=10)
    res = ife(df, "y", "t", "id", "d", controls=["x"], r=2, tol=1e-12)
    w = {c: df.pivot(index="id", columns="t", values=c).to_numpy() for c in ["y", "d", "x"]}
    dm = {c: (m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean()).ravel() for c, m in w.items()}
    ids, ts = np.repeat(np.arange(80), 10), np.tile(np.arange(10), 80)
    np.random.seed(0)   # the package starts from np.random draws
    b, _, _ = bai.InteractiveFixedEffects(2).fit(dm["y"][:, None], np.column_stack([dm["d"], dm["x"]]), ids, ts,
                                                 atol=1e-12)
    np.testing.assert_allclose(res.coef().to_numpy(), b.ravel(), atol=1e-4)


def test_a_control_absorbed_by_the_unit_effects_is_omitted_and_said():
    df = _factor_panel(5, N=40, T=8)
    df["const_in_unit"] = (df["id"] % 3).astype(float)     # constant within a unit: unit FE absorb it
    without = ife(df, "y", "t", "id", "d", controls=["x"], r=2)
    with pytest.warns(Warning, match="SM502"):
        res = ife(df, "y", "t", "id", "d", controls=["x", "const_in_unit"], r=2)
    assert res.extra["omitted (no variation after FE)"] == "const_in_unit"
    assert list(res.coef().index) == list(without.coef().index)
    np.testing.assert_allclose(res.coef().to_numpy(), without.coef().to_numpy(), rtol=1e-12)
    df["d_const"] = (df["id"] % 2).astype(float)
    with pytest.raises(SMError, match="SM567"):
        ife(df, "y", "t", "id", "d_const", controls=["x"], r=2)
