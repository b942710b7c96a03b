"""Financing constraints, concentration, entropy weights and shift-share: hand-computed checks."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators import composite, concentration, constraints, shiftshare


def test_sa_units_and_formula():
    d = pd.DataFrame({"total_assets": [1e9, 5e10], "age": [10, 20]})
    sa = constraints.sa_index(d, unit="yuan")
    s = np.log(1000.0)   # 1e9 yuan = 1000 million
    assert sa.iloc[0] == pytest.approx(-0.737 * s + 0.043 * s ** 2 - 0.040 * 10, rel=1e-12)
    same = constraints.sa_index(d.assign(total_assets=d.total_assets / 1e4), unit="10k_yuan")
    pd.testing.assert_series_equal(sa, same)
    assert constraints.sa_index(d, absolute=True).iloc[0] == pytest.approx(abs(sa.iloc[0]))


def test_ww_formula_with_calendar_growth():
    d = pd.DataFrame({"stkcd": ["a", "a", "b", "b"], "year": [1, 2, 1, 2], "industry": ["C"] * 4,
                      "operating_cash_flow": [1, 2, 3, 4.0], "total_assets": [10, 20, 30, 40.0],
                      "dividends": [0, 1, 0, 0.0], "long_term_debt": [1, 2, 3, 4.0],
                      "revenue": [100, 110, 100, 130.0]})
    ww = constraints.ww_index(d)
    sg_a, sg_b = 0.1, 0.3
    isg = (sg_a + sg_b) / 2
    exp_a = -0.091 * 2 / 20 - 0.062 * 1 + 0.021 * 2 / 20 - 0.044 * np.log(20) + 0.102 * isg - 0.035 * sg_a
    assert ww.iloc[1] == pytest.approx(exp_a, rel=1e-12)
    assert np.isnan(ww.iloc[0])   # no lagged sales in the first year


def test_kz_given_coefficients_and_ordered_logit():
    rng = np.random.default_rng(0)
    n = 400
    d = pd.DataFrame({"stkcd": np.repeat(np.arange(n // 2), 2), "year": np.tile([1, 2], n // 2),
                      "operating_cash_flow": rng.normal(1, 1, n), "dividends": rng.uniform(0, 1, n),
                      "cash": rng.uniform(0, 2, n), "total_assets": rng.uniform(5, 15, n),
                      "leverage": rng.uniform(0.1, 0.9, n), "tobin_q": rng.uniform(0.5, 3, n)})
    coefs = {"cf": 1.0, "div": 2.0, "cash": 3.0, "lev": 4.0, "q": 5.0}
    given = constraints.kz_index(d, coefficients=coefs)
    kz = given.index
    assert given.coef.to_dict() == coefs and given.cutoffs is None and given.nobs == 0
    lta = d["total_assets"].iloc[0]
    r = d.iloc[1]
    assert kz.iloc[1] == pytest.approx((r.operating_cash_flow + 2 * r.dividends + 3 * r.cash) / lta
                                       + 4 * r.leverage + 5 * r.tobin_q)
    r = constraints.kz_index(d)
    kz2, est = r.index, r.coef
    # the score rises with low CF/Div/Cash and high Lev/Q, so the logit signs must follow
    assert est["cf"] < 0 and est["div"] < 0 and est["cash"] < 0 and est["lev"] > 0 and est["q"] > 0
    assert kz2.notna().sum() == n // 2 and r.nobs == n // 2
    assert r.cutoffs.is_monotonic_increasing and r.cutoffs.index[0] == "0|1"
    assert "ordered logit" in r.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.coef = est


def _ordered_logit_mle(y, X):
    """Independent ordered-logit MLE (scipy BFGS): slopes and increasing cut points."""
    from scipy import optimize
    from scipy.special import expit

    cats = np.unique(y)
    yi = np.searchsorted(cats, y)
    k, J = X.shape[1], len(cats)

    def nll(th):
        b, cuts = th[:k], np.cumsum(np.concatenate([th[k:k + 1], np.exp(th[k + 1:])]))
        c = np.concatenate([[-np.inf], cuts, [np.inf]])
        xb = X @ b
        p = expit(c[yi + 1] - xb) - expit(c[yi] - xb)
        return -np.sum(np.log(np.clip(p, 1e-300, None)))

    th0 = np.concatenate([np.zeros(k), [-1.0], np.zeros(J - 2)])
    return optimize.minimize(nll, th0, method="BFGS", options={"gtol": 1e-8}).x[:k]


def test_kz_ordered_logit_equals_hand_procedure():
    """Wei Zhihua et al. (2014): yearly median splits -> score 0-5 -> ordered logit -> fitted index."""
    rng = np.random.default_rng(3)
    n_f = 300
    d = pd.DataFrame({"stkcd": np.repeat(np.arange(n_f), 3), "year": np.tile([2014, 2015, 2016], n_f)})
    n = len(d)
    d = d.assign(operating_cash_flow=rng.normal(1, 1, n), dividends=rng.uniform(0, 1, n), cash=rng.uniform(0, 2, n),
                 total_assets=rng.uniform(5, 15, n), leverage=rng.uniform(0.1, 0.9, n), tobin_q=rng.uniform(0.5, 3, n))
    d = d.drop(index=[4])             # firm 1 lacks 2015 (a gap year): its 2016 has no lagged assets
    r = constraints.kz_index(d)
    kz, coef = r.index, r.coef
    # by hand: scale by the calendar lag of total assets, medians within each year
    lta = d.set_index(["stkcd", "year"])["total_assets"]
    prev = pd.Series([lta.get((f, y - 1), np.nan) for f, y in zip(d.stkcd, d.year)], index=d.index)
    X = pd.DataFrame({"cf": d.operating_cash_flow / prev, "div": d.dividends / prev, "cash": d.cash / prev,
                      "lev": d.leverage, "q": d.tobin_q}).dropna()
    yr = d.loc[X.index, "year"]
    med = X.groupby(yr).transform("median")
    score = ((X.cf < med.cf).astype(int) + (X["div"] < med["div"]).astype(int) + (X.cash < med.cash).astype(int)
             + (X.lev > med.lev).astype(int) + (X.q > med.q).astype(int))
    b = _ordered_logit_mle(score.to_numpy(), X.to_numpy())
    np.testing.assert_allclose([coef[c] for c in X.columns], b, rtol=1e-4)
    np.testing.assert_allclose(kz.loc[X.index].to_numpy(), X.to_numpy() @ b, rtol=1e-4, atol=1e-4)
    assert kz.drop(index=X.index).isna().all() and len(X) == 2 * n_f - 2   # first years and firm 1's 2016
    assert np.isnan(kz.loc[5])


def test_sa_cap_and_unit_warning():
    d = pd.DataFrame({"total_assets": [1e10, 2e12], "age": [40, 10]})
    capped = constraints.sa_index(d, unit="yuan", cap=True)
    s = np.log(4500.0)   # 1e10 yuan = 10,000 million, capped at 4,500 million; age capped at 37
    assert capped.iloc[0] == pytest.approx(-0.737 * s + 0.043 * s ** 2 - 0.040 * 37, rel=1e-12)
    with pytest.warns(UserWarning, match="SM420"):
        constraints.sa_index(d.assign(total_assets=d.total_assets * 1e7), unit="million_yuan")


def test_hhi_by_cell():
    d = pd.DataFrame({"industry": ["A", "A", "A", "B"], "year": 2020, "revenue": [1.0, 1.0, 2.0, 5.0]})
    h = concentration.hhi(d)
    assert h.tolist() == pytest.approx([0.375] * 3 + [1.0])   # .25^2 + .25^2 + .5^2
    # city-industry cells: in city x industry A holds revenues 1 and 2 -> (1/3)^2 + (2/3)^2
    c = concentration.hhi(d.assign(city=["x", "y", "x", "x"]), by=("city", "industry", "year"))
    assert c.tolist() == pytest.approx([5 / 9, 1.0, 5 / 9, 1.0])
    # a missing or negative revenue is left out of the shares (counted in SM430), the row keeps its cell's HHI
    with pytest.warns(UserWarning, match="SM430: 2 rows"):
        m = concentration.hhi(d.assign(revenue=[1.0, np.nan, -2.0, 5.0]))
    assert m.tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    # a firm listed twice in one industry-year would count twice: coded error
    firms = d.assign(stkcd=["a", "b", "b", "c"])
    with pytest.raises(SMError, match="SM401"):
        concentration.hhi(firms)
    assert concentration.hhi(firms, idname=None).tolist() == pytest.approx(h.tolist())


def test_ct_pt_st():
    d = pd.DataFrame({"top5_customer_share": [30.0], "top5_supplier_share": [50.0]})
    r = concentration.supply_chain_concentration(d, percent=True)
    assert r.iloc[0].tolist() == pytest.approx([0.3, 0.5, 0.4])
    with pytest.raises(SMError, match="SM430"):
        concentration.supply_chain_concentration(d)


def test_theil_decomposition():
    x = np.array([1.0, 2.0, 3.0, 6.0])
    g = np.array([0, 0, 1, 1])
    r = concentration.theil(x, g)
    assert isinstance(r, concentration.TheilResult) and "between" in r.summary()
    mu = 3.0
    total = np.mean(x / mu * np.log(x / mu))
    # between: shares 3/12, 9/12; group means 1.5, 4.5
    between = 0.25 * np.log(1.5 / 3) + 0.75 * np.log(4.5 / 3)
    assert r.total == pytest.approx(total)
    assert r.between == pytest.approx(between)
    assert r.between + r.within == pytest.approx(r.total, abs=1e-12)
    # within: T_0 over [1, 2] (mean 1.5), T_1 over [3, 6] (mean 4.5), weighted by income shares
    t0 = (1 / 1.5 * np.log(1 / 1.5) + 2 / 1.5 * np.log(2 / 1.5)) / 2
    t1 = (3 / 4.5 * np.log(3 / 4.5) + 6 / 4.5 * np.log(6 / 4.5)) / 2
    assert r.by_group.tolist() == pytest.approx([t0, t1])
    assert r.within == pytest.approx(0.25 * t0 + 0.75 * t1)
    # a zero contributes 0 * ln 0 = 0 to Theil T (e.g. a DVAR clipped at 0); negatives are rejected
    z = concentration.theil(np.array([0.0, 1.0, 2.0]))
    assert z.total == pytest.approx((1 * np.log(1) + 2 * np.log(2)) / 3)
    assert z.between is None and z.by_group is None
    with pytest.raises(SMError, match="SM431"):
        concentration.theil(np.array([-1.0, 2.0]))
    # a group of zeros has income share 0: between = 1 * ln(2 / 1), within = T of [1, 3]
    zg = concentration.theil(np.array([0.0, 0.0, 1.0, 3.0]), np.array([0, 0, 1, 1]))
    t1 = (0.5 * np.log(0.5) + 1.5 * np.log(1.5)) / 2
    assert (zg.between, zg.within) == (pytest.approx(np.log(2)), pytest.approx(t1))
    assert zg.total == pytest.approx(3 * np.log(3) / 4) and np.isnan(zg.by_group.loc[0])


def test_entropy_weight_hand_computed():
    d = pd.DataFrame({"year": [1, 1, 1], "a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 1.0]})
    r = composite.entropy_weight(d, {"a": "+", "b": "-"}, shift=0.0)
    # a -> z = [0, .5, 1]; b (negative) -> z = [0, 1, 1]
    def ent(z):
        p = z / z.sum()
        p = p[p > 0]
        return -(p * np.log(p)).sum() / np.log(3)
    ea, eb = ent(np.array([0, .5, 1])), ent(np.array([0, 1, 1.0]))
    w = np.array([1 - ea, 1 - eb]) / (2 - ea - eb)
    assert r.weights.loc["pooled"].tolist() == pytest.approx(w.tolist())
    assert r.score.tolist() == pytest.approx([0, 0.5 * w[0] + w[1], 1.0])
    with pytest.raises(SMError, match="SM440"):
        composite.entropy_weight(d.assign(b=1.0), {"a": "+", "b": "+"})


def test_entropy_by_year_equals_separate_pooled_fits():
    d = pd.DataFrame({"year": [1, 1, 1, 2, 2, 2], "a": [1.0, 2.0, 4.0, 0.0, 5.0, 1.0],
                      "b": [2.0, 1.0, 0.5, 3.0, 3.5, 1.0]})
    by_year = composite.entropy_weight(d, {"a": "+", "b": "-"}, pooling="year")
    for y in (1, 2):
        alone = composite.entropy_weight(d[d.year == y], {"a": "+", "b": "-"})
        assert by_year.weights.loc[y].tolist() == pytest.approx(alone.weights.loc["pooled"].tolist())
        assert by_year.score[d.year == y].tolist() == pytest.approx(alone.score.tolist())
    assert not np.allclose(by_year.weights.loc[1], by_year.weights.loc[2])


def test_entropy_base_year_and_missing_indicators():
    d = pd.DataFrame({"year": [1, 1, 2, 2], "a": [0.0, 1.0, 2.0, 0.5], "b": [1.0, 0.0, 1.0, 1.0]})
    r = composite.entropy_weight(d, {"a": "+", "b": "+"}, pooling="base_year", base_year=1, shift=0.0)
    # base-year min/max: a in [0, 1]; year 2 a = 2 normalizes to 2 (outside [0, 1])
    w = r.weights.loc[1].to_numpy()
    assert r.score.iloc[2] == pytest.approx(2 * w[0] + 1 * w[1])
    with pytest.warns(UserWarning, match="SM441"):
        r2 = composite.entropy_weight(d, composite.NQPF_002, allow_missing_indicators=True,
                                      columns={"rd_staff_share": "a", "rd_pay_share": "b"})
    assert r2.used == ["rd_staff_share", "rd_pay_share"] and len(r2.missing) == 12


def test_bartik_and_robot_penetration():
    shares = pd.DataFrame({"stkcd": ["f", "f"], "industry": ["A", "B"], "share": [0.25, 0.75]})
    shocks = pd.DataFrame({"industry": ["A", "B", "A"], "year": [1, 1, 2], "shock": [0.1, 0.2, 0.4]})
    b = shiftshare.bartik(shares, shocks).set_index("year")
    assert b.loc[1, "bartik"] == pytest.approx(0.25 * 0.1 + 0.75 * 0.2)
    assert b.loc[2, "bartik"] == pytest.approx(0.1) and b.loc[2, "n_sectors_missing"] == 1
    firms = pd.DataFrame({"stkcd": ["x", "y", "z"], "industry": ["A", "A", "B"],
                          "production_worker_share": [0.2, 0.4, 0.6]})
    rob = pd.DataFrame({"industry": ["A", "B"], "year": [2010, 2010], "robots": [100.0, 50.0],
                        "employment_base": [1000.0, 100.0]})
    pr = shiftshare.robot_penetration(firms, rob).set_index("stkcd")["robot_penetration"]
    assert pr["x"] == pytest.approx(0.2 / 0.4 * 0.1) and pr["z"] == pytest.approx(0.6 / 0.4 * 0.5)
    # a repeated share, shock, firm or industry-year would count twice: coded error
    with pytest.raises(SMError, match="SM401"):
        shiftshare.bartik(pd.concat([shares, shares.head(1)]), shocks)
    with pytest.raises(SMError, match="SM401"):
        shiftshare.bartik(shares, pd.concat([shocks, shocks.head(1)]))
    with pytest.raises(SMError, match="SM401"):
        shiftshare.robot_penetration(pd.concat([firms, firms.head(1)]), rob)


def test_io_exposure():
    A = np.array([[0.0, 0.2], [0.4, 0.1]])
    g = np.array([1.0, 3.0])
    up = shiftshare.io_exposure(A, g, direction="upstream")
    # industry 0 buys only from 1 -> 3; industry 1 buys .2 from 0 and .1 from 1 -> (0.2*1 + 0.1*3)/0.3
    assert up.tolist() == pytest.approx([3.0, 0.5 / 0.3])
    down = shiftshare.io_exposure(A, g, direction="downstream")
    assert down.tolist() == pytest.approx([3.0, (0.4 * 1 + 0.1 * 3) / 0.5])
    L = np.linalg.inv(np.eye(2) - A) - np.eye(2)
    assert shiftshare.io_exposure(A, g, leontief=True).tolist() == pytest.approx((L / L.sum(0)).T @ g)


def test_dvar_upward_wang_zheng():
    d = pd.DataFrame({"exports": [100.0], "exports_processing": [60.0], "exports_ordinary": [40.0],
                      "imports_processing": [30.0], "imports_ordinary_intermediate": [20.0],
                      "total_sales": [260.0], "inter": [0.2]})
    # 1 - (30 + 20 * 40 / (260 - 60)) / 100 = 1 - 34/100
    assert shiftshare.dvar(d).iloc[0] == pytest.approx(0.66)
    assert shiftshare.dvar(d, intermediary_share="inter").iloc[0] == pytest.approx(1 - 34 / 0.8 / 100)
