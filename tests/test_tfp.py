"""Tests of smtext.indicators.tfp against a known DGP, statsmodels/pyfixest, and statspai (independent peer).

The simulated panel follows the textbook proxy-variable assumptions: productivity is
first-order Markov (AR(1), rho = 0.7), investment and materials are exact monotone
functions of (k, omega), labour responds to omega plus an independent shock, capital
accumulates with random depreciation. True elasticities: labour 0.6, capital 0.3.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.indicators import tfp

BL, BK = 0.6, 0.3


def simulate(n_firms=600, T=10, seed=1, burn=5):
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        om, k = rng.normal(0.67, 0.28), rng.normal(4.5, 0.5)
        for t in range(burn + T):
            om = 0.2 + 0.7 * om + rng.normal(0, 0.2)
            inv = -1 + 0.8 * k + 1.5 * om                  # log investment, invertible in omega
            l = 0.5 * k + 0.8 * om + rng.normal(0, 0.3)
            m = 1 + 0.6 * k + 1.2 * om + rng.normal(0, 0.01)
            y = 1 + BL * l + BK * k + om + rng.normal(0, 0.1)
            if t >= burn:
                rows.append((f, 2000 + t - burn, y, l, k, m, inv, om))
            k = np.log((1 - rng.uniform(0.05, 0.25)) * np.exp(k) + np.exp(inv))
    return pd.DataFrame(rows, columns=["id", "year", "y", "l", "k", "m", "i", "omega"])


@pytest.fixture(scope="module")
def sim():
    return simulate()


KW = dict(y="y", free="l", state="k", idname="id", tname="year")


@pytest.mark.parametrize("method,proxy", [("op", "i"), ("lp", "m"), ("acf", "m")])
def test_proxy_methods_recover_truth_within_bootstrap_se(sim, method, proxy):
    r = tfp.estimate(sim, method, proxy=proxy, bootstrap=30, seed=7, **KW)
    truth = pd.Series({"l": BL, "k": BK})
    # firm-cluster bootstrap SEs here are ~0.005 (l) and ~0.02 (k); 4 SEs is a 1e-4 false-alarm rate
    assert (r.se < 0.05).all()
    assert ((r.coef - truth).abs() < 4 * r.se).all(), (r.coef, r.se)
    # omega is y - b'x per row, so it carries the output noise (sd 0.1) on top of the true
    # omega (sd ~0.28): the ceiling is 0.28 / sqrt(0.28^2 + 0.1^2) = 0.94
    assert np.corrcoef(r.omega, sim["omega"])[0, 1] > 0.9
    assert r.info["rho"] == pytest.approx(0.7, abs=0.05)


def test_ols_labour_biased_upward(sim):
    r = tfp.estimate(sim, "ols", **KW)
    assert r.coef["l"] > BL + 0.2     # labour responds to omega: the transmission bias


def test_ols_matches_statsmodels_cluster(sim):
    import statsmodels.formula.api as smf
    r = tfp.estimate(sim, "ols", **KW)
    m = smf.ols("y ~ l + k", sim).fit(cov_type="cluster", cov_kwds={"groups": sim["id"]})
    np.testing.assert_allclose(r.coef[["l", "k"]], m.params[["l", "k"]], rtol=1e-10)
    np.testing.assert_allclose(r.se[["l", "k"]], m.bse[["l", "k"]], rtol=1e-8)
    # omega includes the constant: y - b_l l - b_k k
    np.testing.assert_allclose(r.omega, sim["y"] - m.params["l"] * sim["l"] - m.params["k"] * sim["k"], atol=1e-9)


def test_fe_matches_pyfixest(sim):
    import pyfixest as pf
    r = tfp.estimate(sim, "fe", time_effects=True, **KW)
    m = pf.feols("y ~ l + k | id + year", data=sim, vcov={"CRV1": "id"})
    np.testing.assert_allclose(r.coef[["l", "k"]], m.coef()[["l", "k"]], rtol=1e-8)
    np.testing.assert_allclose(r.se[["l", "k"]], m.se()[["l", "k"]], rtol=1e-3)


@pytest.mark.parametrize("method,proxy", [("op", "i"), ("lp", "m"), ("acf", "m")])
def test_matches_statspai(sim, method, proxy):
    sp = pytest.importorskip("statspai")
    fn = {"op": sp.olley_pakes, "lp": sp.levinsohn_petrin, "acf": sp.ackerberg_caves_frazer}[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = fn(sim, output="y", free="l", state="k", proxy=proxy, panel_id="id", time="year")
    if method == "acf":
        # the just-identified moments have three roots here: statspai returns the one nearest
        # its stage-1 start (k = -0.41), the default (Stata prodest's OLS start) the one near
        # the truth (k = 0.28); acf_start="stage1" follows statspai's rule and returns its root
        with pytest.warns(SMWarning, match="SM417"):
            b = tfp.estimate(sim, method, proxy=proxy, **KW)
        assert b.coef["l"] == pytest.approx(a.coef["l"], abs=0.005)
        assert b.coef["k"] == pytest.approx(BK, abs=0.05)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # SM417 too (test_tfp_acf_roots.py checks it)
            s1 = tfp.estimate(sim, method, proxy=proxy, acf_start="stage1", **KW)
        assert s1.coef["l"] == pytest.approx(a.coef["l"], abs=1e-6)
        assert s1.coef["k"] == pytest.approx(a.coef["k"], abs=1e-5)
    else:
        b = tfp.estimate(sim, method, proxy=proxy, **KW)
        # same estimator (stage-2 NLS, cubic g): agreement to optimizer tolerance
        assert b.coef["l"] == pytest.approx(a.coef["l"], abs=1e-6)
        assert b.coef["k"] == pytest.approx(a.coef["k"], abs=1e-5)


def test_acf_moments_equal_statspai_at_its_second_root(sim):
    # statspai's ACF estimate on this panel (k = -0.41) is an exact root of our
    # just-identified ACF moments too: started there, our search stays there with a zero
    # criterion, while from the OLS start it finds the root near the truth (k = 0.28)
    sp = pytest.importorskip("statspai")
    from smtext.indicators.tfp import _common, proxy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.ackerberg_caves_frazer(sim, output="y", free="l", state="k", proxy="m", panel_id="id", time="year")
    d = sim.sort_values(["id", "year"])
    firm, year = d["id"].to_numpy(), d["year"].to_numpy()
    p = _common.Panel(d["y"].to_numpy(float), d[["l"]].to_numpy(float), d[["k"]].to_numpy(float),
                      d["m"].to_numpy(float), firm, year, _common.lag_positions(firm, year))
    opts = dict(poly_degree=3, g_degree=3, acf_overid=False, n_starts=1, x0=np.array([a.coef["l"], a.coef["k"]]))
    b, info = proxy.fit_acf(p, opts, np.random.default_rng(0))
    assert b == pytest.approx([a.coef["l"], a.coef["k"]], abs=1e-6) and info["criterion"] < 1e-20
    # the seeded extra starts reach another root too: SM417 (see test_tfp_acf_roots.py)
    with pytest.warns(SMWarning, match="SM417"):
        ours = tfp.estimate(sim, "acf", proxy="m", **KW)
    assert ours.info["criterion"] < 1e-15 and ours.coef["k"] == pytest.approx(BK, abs=0.05)


@pytest.mark.slow
@pytest.mark.reference
@pytest.mark.parametrize("method,proxy", [("op", "log_investment"), ("lp", "log_materials"), ("acf", "log_materials")])
def test_chilean_prodest_data_vs_statspai(reference_dir, method, proxy):
    # The reference folder holds the Chilean data but no published estimate table (its
    # PROVENANCE.md names only the data), so the peer is statspai on the same data
    # (prodest defaults: cubic stage 1 and g).
    sp = pytest.importorskip("statspai")
    ch = pd.read_csv(reference_dir / "prodest_chilean" / "prodest.csv")
    free = ["log_lab1", "log_lab2"]
    fn = {"op": sp.olley_pakes, "lp": sp.levinsohn_petrin, "acf": sp.ackerberg_caves_frazer}[method]
    kw = {"drop_zero_proxy": False} if method == "op" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = fn(ch, output="log_y", free=free, state="log_k", proxy=proxy, panel_id="id", time="year", **kw)
    # defaults on both sides (ACF: just-identified moments, as statspai and prodest)
    b = tfp.estimate(ch, method, y="log_y", free=free, state="log_k", proxy=proxy, idname="id", tname="year")
    # measured differences are below 2e-8 for every coefficient (optimizer tolerance)
    for c in free + ["log_k"]:
        assert b.coef[c] == pytest.approx(a.coef[c], abs=1e-6), c


@pytest.mark.reference
@pytest.mark.parametrize("degree", [2, 4])
@pytest.mark.parametrize("method,proxy", [("op", "log_investment"), ("lp", "log_materials")])
def test_polynomial_degree_is_used_and_matches_statspai(reference_dir, method, proxy, degree):
    # stage-1 polynomial and law of motion g of degree 2 and 4 instead of the default 3
    sp = pytest.importorskip("statspai")
    ch = pd.read_csv(reference_dir / "prodest_chilean" / "prodest.csv")
    free = ["log_lab1", "log_lab2"]
    fn = {"op": sp.olley_pakes, "lp": sp.levinsohn_petrin}[method]
    kw = {"drop_zero_proxy": False} if method == "op" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = fn(ch, output="log_y", free=free, state="log_k", proxy=proxy, panel_id="id", time="year",
               polynomial_degree=degree, productivity_degree=degree, **kw)
    spec = dict(y="log_y", free=free, state="log_k", proxy=proxy, idname="id", tname="year")
    b = tfp.estimate(ch, method, poly_degree=degree, g_degree=degree, **spec)
    cubic = tfp.estimate(ch, method, **spec)
    for c in free + ["log_k"]:
        assert b.coef[c] == pytest.approx(a.coef[c], abs=1e-6), c
    assert abs(b.coef["log_k"] - cubic.coef["log_k"]) > 1e-3     # the degree changes the answer


def test_wooldridge_recovers_truth(sim):
    r = tfp.estimate(sim, "wrdg", proxy="m", **KW)
    # analytic firm-clustered GMM SEs: ~0.005 (l), ~0.017 (k)
    assert (r.se < 0.03).all()
    assert abs(r.coef["l"] - BL) < 4 * r.se["l"]
    assert abs(r.coef["k"] - BK) < 4 * r.se["k"]
    assert r.info["rho"][0] == pytest.approx(0.7, abs=0.05)     # first term of the Markov polynomial


def test_wooldridge_matches_statspai(sim, reference_dir):
    # statspai.wooldridge_prod (default convention: shared h, cubic g, one-step GMM) is
    # an independent implementation of the same estimator; on the Chilean prodest data
    # the two agree to ~1e-9, on the simulated panel to ~3e-6 (solver tolerance)
    sp = pytest.importorskip("statspai")
    ch = pd.read_csv(reference_dir / "prodest_chilean" / "prodest.csv")
    cases = [(sim, dict(y="y", free=["l"], state=["k"], proxy="m"), 1e-5),
             (ch, dict(y="log_y", free=["log_lab1", "log_lab2"], state=["log_k"], proxy="log_materials"), 1e-7)]
    for data, spec, tol in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = sp.wooldridge_prod(data, output=spec["y"], free=spec["free"], state=spec["state"],
                                   proxy=spec["proxy"], panel_id="id", time="year")
        b = tfp.estimate(data, "wrdg", idname="id", tname="year", **spec)
        assert b.nobs == a.n_obs
        for c in spec["free"] + spec["state"]:
            assert b.coef[c] == pytest.approx(float(a.coef[c]), abs=tol), c
            assert b.se[c] == pytest.approx(float(a.std_errors[c]), rel=1e-3), c


def sim_dynamic(n=1500, T=8, seed=3, me=0.1):
    """Blundell-Bond setting: firm effect + AR(1) productivity + output measurement error."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n):
        eta, om, xl, xk = rng.normal(0, 0.5), rng.normal(0, 0.3), rng.normal(0, 1), rng.normal(0, 1)
        for t in range(T + 10):
            om = 0.6 * om + rng.normal(0, 0.2)
            xl, xk = 0.8 * xl + rng.normal(0, 0.5), 0.8 * xk + rng.normal(0, 0.5)
            l, k = 0.5 * eta + 0.5 * om + xl, 0.5 * eta + 0.3 * om + xk
            if t >= 10:
                rows.append((f, 2000 + t - 10, BL * l + BK * k + eta + om + rng.normal(0, me), l, k))
    return pd.DataFrame(rows, columns=["id", "year", "y", "l", "k"])


def test_system_gmm_recovers_truth():
    d = sim_dynamic()
    r = tfp.estimate(d, "gmm", **KW)
    assert abs(r.coef["l"] - BL) < 3 * r.se["l"]
    assert abs(r.coef["k"] - BK) < 3 * r.se["k"]
    # rho is not a reported coefficient; collapsed-instrument GMM puts it at ~0.50 here
    assert r.info["rho"] == pytest.approx(0.6, abs=0.15)


@pytest.mark.parametrize("lags", [(3, 4), (2, 3)])
def test_system_gmm_first_stage_matches_statspai_xtabond(lags):
    # The unrestricted dynamic equation y_t = pi'[l_t, k_t, l_t-1, k_t-1, y_t-1] + eta_i + v_t
    # against statspai.xtabond(method="system", collapse, two-step), which reproduces
    # xtabond2 ``gmm(y l k, lag(a b) collapse)``. The lagged inputs enter statspai as
    # predetermined columns with lags (a-1, b-1), i.e. the same instrument dates. The
    # estimates differ only through the first-step weight (xtabond2's H matrix vs
    # (Z'Z)^-1): measured gap < 0.06 statspai SEs; misdating the instruments by one
    # year moves pi by 0.1-0.2 (> 0.5 SE), so a 0.1 SE tolerance catches it.
    sp = pytest.importorskip("statspai")
    d = sim_dynamic().sort_values(["id", "year"]).reset_index(drop=True)
    d["Ll"], d["Lk"] = d.groupby("id")["l"].shift(), d.groupby("id")["k"].shift()
    r = tfp.estimate(d, "gmm", gmm_lags=lags, **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.xtabond(d, y="y", id="id", time="year", lags=1, gmm_lags=lags, method="system", collapse=True,
                       twostep=True, endogenous=["l", "k"], endogenous_lags=lags, predetermined=["Ll", "Lk"],
                       predetermined_lags=(lags[0] - 1, lags[1] - 1))
    t = a.detail.set_index(a.detail.columns[0])
    names = ["l", "k", "Ll", "Lk", "L1.y"]
    peer = np.array([t.loc[c].iloc[0] for c in names])
    se = np.array([t.loc[c].iloc[1] for c in names])
    assert a.model_info["n_obs_level"] == r.nobs
    np.testing.assert_array_less(np.abs(np.array(r.info["pi"]) - peer), 0.1 * se)


def test_gap_year_is_not_a_lag(sim):
    # removing one interior year of one firm removes two stage-2 rows: that year and the
    # next, whose calendar lag is now missing (a row-based lag would keep the next one)
    base = tfp.estimate(sim, "lp", proxy="m", **KW)
    gap = sim[~((sim["id"] == 3) & (sim["year"] == 2004))]
    r = tfp.estimate(gap, "lp", proxy="m", **KW)
    assert base.nobs - r.nobs == 2


def test_bootstrap_same_for_any_worker_count(sim):
    small = sim[sim["id"] < 150]
    a = tfp.estimate(small, "lp", proxy="m", bootstrap=6, seed=11, n_jobs=1, **KW)
    b = tfp.estimate(small, "lp", proxy="m", bootstrap=6, seed=11, n_jobs=2, **KW)
    pd.testing.assert_frame_equal(a.boot, b.boot)
    c = tfp.estimate(small, "lp", proxy="m", bootstrap=6, seed=12, n_jobs=1, **KW)
    assert not a.boot.equals(c.boot)


def test_gross_output_lp_solves_its_moments(sim):
    # Gross-output LP is not generally identified when materials are a function of
    # (k, omega) (Gandhi, Navarro & Rivers 2020), so this checks the mechanics only:
    # labour comes from stage 1 and is recovered; the stage-2 moments E[xi*(k_t, m_{t-1})]
    # are solved; the proxy's elasticity is reported under its column name.
    d = sim.copy()
    d["q"] = d["y"] + 0.2 * d["m"]
    r = tfp.estimate(d, "lp", y="q", free="l", state="k", proxy="m", idname="id",
                     tname="year", output="gross")
    assert list(r.coef.index) == ["l", "k", "m"]
    assert r.coef["l"] == pytest.approx(BL, abs=0.03)
    assert r.info["criterion"] < 1e-10


def test_by_industry_and_omega_alignment(sim):
    d = sim.copy()
    d["ind"] = np.where(d["id"] % 2 == 0, "C39", "C26")
    d.loc[d["id"] == 999, "ind"] = "tiny"
    r = tfp.estimate(d, "ols", by="ind", **KW)
    assert set(r.coef.index) == {"C26", "C39"}
    sub = d[d["ind"] == "C26"]
    alone = tfp.estimate(sub, "ols", **KW)
    pd.testing.assert_series_equal(r.omega.loc[sub.index], alone.omega, check_names=False)


def test_errors(sim):
    with pytest.raises(SMError, match="SM002"):
        tfp.estimate(sim, "levpet", proxy="m", **KW)
    with pytest.raises(SMError, match="SM411"):
        tfp.estimate(sim, "lp", **KW)
    with pytest.raises(SMError, match="SM001"):
        tfp.estimate(sim, "ols", y="nope", free="l", state="k", idname="id", tname="year")
    dup = pd.concat([sim, sim.head(1)])
    with pytest.raises(SMError, match="SM401"):
        tfp.estimate(dup, "ols", **KW)


def test_missing_inputs_warned_and_omega_missing(sim):
    d = sim.copy()
    d.loc[d.index[:5], "l"] = np.nan
    with pytest.warns(UserWarning, match="SM412"):
        r = tfp.estimate(d, "ols", **KW)
    assert r.omega.iloc[:5].isna().all() and r.omega.iloc[5:].notna().all()
    assert r.info["n_dropped_missing_inputs"] == 5


def simulate_exit(n_firms=800, T=10, seed=5, burn=5):
    """The proxy DGP above plus Olley-Pakes selection: a firm exits for good when its
    productivity falls below a threshold that falls with capital (1.55 - 0.2 k), so
    survivors with low capital have high omega and E[omega | k, survived] slopes down in k."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        om, k = rng.normal(0.67, 0.28), rng.normal(4.5, 0.5)
        for t in range(burn + T):
            om = 0.2 + 0.7 * om + rng.normal(0, 0.2)
            if t >= burn and om < 1.55 - 0.2 * k:
                break
            inv = -1 + 0.8 * k + 1.5 * om
            l = 0.5 * k + 0.8 * om + rng.normal(0, 0.3)
            y = 1 + BL * l + BK * k + om + rng.normal(0, 0.1)
            if t >= burn:
                rows.append((f, 2000 + t - burn, y, l, k, inv))
            k = np.log((1 - rng.uniform(0.05, 0.25)) * np.exp(k) + np.exp(inv))
    return pd.DataFrame(rows, columns=["id", "year", "y", "l", "k", "i"])


def test_op_attrition_corrects_selection_bias(sim):
    d = simulate_exit()
    assert d.groupby("id").size().lt(10).mean() > 0.3      # plenty of exits
    plain = tfp.estimate(d, "op", proxy="i", bootstrap=20, seed=2, **KW)
    corr = tfp.estimate(d, "op", proxy="i", attrition=True, bootstrap=20, seed=2, **KW)
    # selection on omega given k biases b_k down (OP 1996): here 0.244 (se 0.021) without the
    # survival probability, 0.278 (se 0.042) with it; labour comes from stage 1 either way
    assert BK - plain.coef["k"] > 2 * plain.se["k"]
    assert abs(corr.coef["k"] - BK) < 2 * corr.se["k"]
    assert abs(corr.coef["k"] - BK) < abs(plain.coef["k"] - BK)
    assert corr.coef["l"] == pytest.approx(plain.coef["l"], abs=1e-12)
    with pytest.raises(SMError, match="SM415"):   # balanced panel: nobody exits
        tfp.estimate(sim, "op", proxy="i", attrition=True, **KW)
    with pytest.raises(SMError, match="SM002"):
        tfp.estimate(sim, "lp", proxy="m", attrition=True, **KW)
