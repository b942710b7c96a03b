"""Stochastic frontier (capacity utilisation, paper 002 Cur) against the stochastic-frontier-analysis
package, against the likelihood and efficiency integrals done numerically, and on simulated frontiers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from smtext.errors import SMError, SMWarning
from smtext.indicators.frontier import _negloglik, stochastic_frontier


def _simulate(seed, n=150, T=6, panel=False, mu=0.0, su=0.4, sv=0.2, eta=0.0):
    rng = np.random.default_rng(seed)
    N = n * T
    firm, year = np.repeat(np.arange(n), T), np.tile(np.arange(2010, 2010 + T), n)
    lk, ll = rng.normal(0, 1, N), rng.normal(0, 1, N)
    draws = stats.truncnorm.rvs(-mu / su, np.inf, loc=mu, scale=su, size=n if panel else N, random_state=rng)
    u = draws[firm] * np.exp(-eta * (year - year.max())) if panel else draws
    y = 1 + 0.4 * lk + 0.5 * ll + rng.normal(0, sv, N) - u
    return pd.DataFrame({"y": y, "lk": lk, "ll": ll, "firm": firm, "year": year, "u": u})


def test_half_normal_cross_section_equals_the_reference():
    sfa = pytest.importorskip("sfa.sf_model")
    ineff = pytest.importorskip("sfa.inefficiency")
    df = _simulate(3)
    X = np.column_stack([np.ones(len(df)), df["lk"], df["ll"]])
    ref = sfa.fit(X, df["y"].to_numpy(), len(df), 1, sfa_opt=2)
    got = stochastic_frontier(df, "y", ["lk", "ll"])
    want = np.r_[ref.theta_ml[:3], np.exp(ref.theta_ml[3:])]       # reference: log sigma_v, log sigma_u
    np.testing.assert_allclose(got.params.to_numpy(), want, rtol=1e-5)
    assert got.loglik == pytest.approx(ref.l_max, abs=1e-6)
    _, te = ineff.jondrow(ref, X, df["y"].to_numpy())                  # exp(-E[u | eps]) (JLMS)
    np.testing.assert_allclose(got.efficiency["te_jlms"], te, atol=1e-5)


def test_time_invariant_panel_equals_the_reference():
    sfa = pytest.importorskip("sfa.sf_model")
    ineff = pytest.importorskip("sfa.inefficiency")
    df = _simulate(4, panel=True)
    X = np.column_stack([np.ones(len(df)), df["lk"], df["ll"]])
    ref = sfa.fit(X, df["y"].to_numpy(), 150, 6, sfa_opt=4)
    got = stochastic_frontier(df, "y", ["lk", "ll"], panel="bc88", idname="firm")
    np.testing.assert_allclose(got.params.to_numpy(), np.r_[ref.theta_ml[:3], np.exp(ref.theta_ml[3:])], rtol=1e-5)
    assert got.loglik == pytest.approx(ref.l_max, abs=1e-6)
    _, te = ineff.jondrow(ref, X, df["y"].to_numpy())                  # per firm: E[exp(-u_i) | eps_i] (BC)
    np.testing.assert_allclose(got.efficiency["te_bc"], np.repeat(te, 6), atol=1e-6)


def _by_quadrature(eps_i, h, sv, su, mu):
    """Density of one group's composed errors and E[exp(-h u) | eps] by integrating u out numerically."""
    root2pi = math.sqrt(2 * math.pi)
    tail = 0.5 * (1 + math.erf(mu / su / math.sqrt(2)))          # P(N(mu, su^2) > 0)

    def joint(u):   # prod_t phi_sv(eps_t + h_t u) * truncated-normal density of u
        dens = math.exp(-0.5 * ((u - mu) / su) ** 2) / (su * root2pi * tail)
        for e, ht in zip(eps_i, h):
            dens *= math.exp(-0.5 * ((e + ht * u) / sv) ** 2) / (sv * root2pi)
        return dens
    dens = integrate.quad(joint, 0, np.inf, epsabs=1e-14, epsrel=1e-12)[0]
    te = [integrate.quad(lambda u, ht=ht: math.exp(-ht * u) * joint(u), 0, np.inf, epsabs=1e-14, epsrel=1e-12)[0]
          / dens for ht in h]
    return np.log(dens), np.array(te)


@pytest.mark.filterwarnings("ignore:SM485")   # 80 rows: the residuals' skew may go either way
@pytest.mark.parametrize("panel", [None, "bc92"])
def test_likelihood_and_efficiency_by_quadrature(panel):
    """Truncated-normal (cross-section) and Battese-Coelli 1992 (decay) likelihoods and E[exp(-u)|eps]."""
    df = _simulate(5, n=20, T=4, panel=bool(panel), mu=0.3, su=0.3, sv=0.15, eta=0.1)
    got = stochastic_frontier(df, "y", ["lk", "ll"], distribution="truncated_normal", panel=panel, idname="firm")
    p = got.params
    X = np.column_stack([np.ones(len(df)), df["lk"], df["ll"]])
    eps = df["y"].to_numpy() - X @ p[["const", "lk", "ll"]].to_numpy()
    groups = df["firm"].to_numpy() if panel else np.arange(len(df))
    eta = p.get("eta", 0.0)
    h = np.exp(-eta * (df["year"] - df["year"].max()).to_numpy()) if panel else np.ones(len(df))
    ll, te = 0.0, np.empty(len(df))
    for g in np.unique(groups):
        rows = groups == g
        lg, te[rows] = _by_quadrature(eps[rows], h[rows], p["sigma_v"], p["sigma_u"], p["mu"])
        ll += lg
    assert got.loglik == pytest.approx(ll, abs=1e-7)
    np.testing.assert_allclose(got.efficiency["te_bc"], te, rtol=1e-7)


def test_nested_models_give_the_same_likelihood():
    """mu = 0 is the half-normal model; eta = 0 is the time-invariant panel."""
    df = _simulate(6, panel=True)
    y, X = df["y"].to_numpy(), np.column_stack([np.ones(len(df)), df["lk"], df["ll"]])
    g, dt = df["firm"].to_numpy(), (df["year"] - 2015).to_numpy(float)
    theta = np.array([1.0, 0.4, 0.5, np.log(0.2), np.log(0.4)])
    cross = np.arange(len(df))
    assert _negloglik(np.r_[theta, 0.0], y, X, cross, dt * 0, 3, True, False) == pytest.approx(
        _negloglik(theta, y, X, cross, dt * 0, 3, False, False), rel=1e-12)
    assert _negloglik(np.r_[theta, 0.0], y, X, g, dt, 3, False, True) == pytest.approx(
        _negloglik(theta, y, X, g, dt, 3, False, False), rel=1e-12)
    # half-normal cross-section by its textbook density 2/s phi(e/s) Phi(-e lambda/s)
    eps = y - X @ theta[:3]
    s, lam = np.hypot(0.2, 0.4), 0.4 / 0.2
    textbook = np.sum(np.log(2 / s) + stats.norm.logpdf(eps / s) + stats.norm.logcdf(-eps * lam / s))
    assert -_negloglik(theta, y, X, cross, dt * 0, 3, False, False) == pytest.approx(textbook, rel=1e-12)


@pytest.mark.parametrize("distribution,panel,truth", [
    ("truncated_normal", None, {"mu": 0.3, "sigma_u": 0.2, "sigma_v": 0.1}),
    ("half_normal", "bc92", {"sigma_u": 0.4, "sigma_v": 0.15, "eta": 0.05}),
])
def test_recovers_a_simulated_frontier(distribution, panel, truth):
    df = _simulate(7, n=400, T=8, panel=bool(panel), mu=truth.get("mu", 0.0), su=truth["sigma_u"],
                   sv=truth["sigma_v"], eta=truth.get("eta", 0.0))
    got = stochastic_frontier(df, "y", ["lk", "ll"], distribution=distribution, panel=panel, idname="firm")
    assert got.converged
    assert got.params["lk"] == pytest.approx(0.4, abs=0.02) and got.params["ll"] == pytest.approx(0.5, abs=0.02)
    for k, v in truth.items():   # within 3 standard errors
        assert abs(got.params[k] - v) < 3 * got.se[k], (k, got.params[k], got.se[k])
    te_true = np.exp(-df["u"])
    assert np.corrcoef(got.efficiency["te_bc"], te_true)[0, 1] > 0.8
    assert abs(got.efficiency["te_bc"].mean() - te_true.mean()) < 0.02


def test_bad_inputs_are_coded():
    df = _simulate(8, n=50, T=1)
    with pytest.raises(SMError) as err:
        stochastic_frontier(df.head(4), "y", ["lk", "ll"])
    assert err.value.code == "SM483"
    with pytest.warns(SMWarning, match="SM486"):
        got = stochastic_frontier(df.assign(lk=df["lk"].where(df.index != 3)), "y", ["lk", "ll"])
    assert got.n_dropped == 1 and 3 not in got.efficiency.index
    big = _simulate(9, n=400, T=1)
    with pytest.warns(SMWarning, match="SM485"):   # output above the frontier: wrong skew
        stochastic_frontier(big.assign(y=big["y"] + 2 * big["u"]), "y", ["lk", "ll"])
    with pytest.raises(SMError) as err:
        stochastic_frontier(df, "y", ["lk"], distribution="gamma")
    assert err.value.code == "SM002"
