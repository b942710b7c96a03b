"""FC index, ESG score, human-capital share, market volatility, N_TFP: hand-computed checks."""

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators import constraints, controls, market, productivity


def _logit_newton(y, X, iters=50):
    """Independent logit MLE by Newton-Raphson (numpy only) for the FC check."""
    b = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-X @ b))
        H = X.T @ (X * (p * (1 - p))[:, None])
        b = b + np.linalg.solve(H, X.T @ (y - p))
    return b


def test_fc_index_matches_hand_procedure():
    rng = np.random.default_rng(4)
    n = 600
    d = pd.DataFrame({"year": np.repeat([2015, 2016], n // 2), "total_assets": np.exp(rng.normal(21, 1, n)),
                      "age": rng.integers(1, 30, n).astype(float), "leverage": rng.uniform(0.1, 0.8, n),
                      "market_to_book": rng.uniform(0.3, 3, n), "net_working_capital": rng.normal(0.1, 0.1, n),
                      "ebit": rng.normal(0.05, 0.05, n)})
    d["dividends"] = d["total_assets"] * np.clip(rng.normal(0.01, 0.01, n), 0, None)
    r = constraints.fc_index(d)
    fc, coef = r.index, r.coef
    # by hand: year z-scores of ln(TA), age, dividends/TA; terciles of their mean
    parts = pd.DataFrame({"s": np.log(d.total_assets), "a": d.age, "c": d.dividends / d.total_assets})
    z = parts.groupby(d.year).transform(lambda s: (s - s.mean()) / s.std())
    avg = z.mean(axis=1)
    q1 = avg.groupby(d.year).transform(lambda s: s.quantile(1 / 3))
    q2 = avg.groupby(d.year).transform(lambda s: s.quantile(2 / 3))
    y = np.where(avg <= q1, 1.0, np.where(avg >= q2, 0.0, np.nan))
    X = np.column_stack([np.ones(n), np.log(d.total_assets), d.leverage, d.dividends / d.total_assets,
                         d.market_to_book, d.net_working_capital, d.ebit])
    keep = ~np.isnan(y)
    b = _logit_newton(y[keep], X[keep])
    assert list(coef.index) == ["const", "size", "lev", "cashdiv", "mb", "nwc", "ebit"]
    np.testing.assert_allclose(coef.to_numpy(), b, rtol=1e-6)
    np.testing.assert_allclose(fc.to_numpy(), 1 / (1 + np.exp(-X @ b)), rtol=1e-6)
    assert coef["size"] < 0   # larger firms are classified unconstrained
    assert r.nobs == keep.sum() and r.n_constrained == (y == 1).sum()
    np.testing.assert_allclose(r.cutoffs["constrained"].to_numpy(), q1.groupby(d.year).first().to_numpy())
    np.testing.assert_allclose(r.cutoffs["unconstrained"].to_numpy(), q2.groupby(d.year).first().to_numpy())
    assert "constrained" in r.summary()
    with pytest.raises(SMError, match="SM422"):
        constraints.fc_index(d, split=0.7)


def test_esg_score_mapping():
    s = controls.esg_score(pd.Series(["C", "aaa", " BBB ", None, "A"], index=[5, 6, 7, 8, 9]))
    assert s.loc[[5, 6, 7, 9]].tolist() == [1.0, 9.0, 6.0, 7.0] and np.isnan(s.loc[8])
    assert list(controls.ESG_SCALE.values()) == list(range(1, 10))
    with pytest.warns(UserWarning, match="SM460"):
        bad = controls.esg_score(["AA", "A+"])
    assert bad.iloc[0] == 8.0 and np.isnan(bad.iloc[1])


def test_human_capital_share():
    d = pd.DataFrame({"employees_master": [10, 5, 1], "employees_phd": [2, 0, 2], "employees": [100, 0, 2]})
    hc = controls.human_capital_share(d)
    assert hc.iloc[0] == pytest.approx(0.10) and np.isnan(hc.iloc[1])   # 0 employees -> missing
    with pytest.warns(UserWarning, match="SM461"):
        hc2 = controls.human_capital_share(d, postgraduates=["employees_master", "employees_phd"])
    assert hc2.iloc[0] == pytest.approx(0.12) and np.isnan(hc2.iloc[2])   # 3 of 2 employees


def test_market_volatility_windows_and_gap():
    # firm a: 2010-2014 continuous; firm b has no 2012 row (a gap year)
    d = pd.DataFrame({"stkcd": ["a"] * 5 + ["b"] * 4, "year": [2010, 2011, 2012, 2013, 2014, 2010, 2011, 2013, 2014],
                      "revenue": [100, 110, 99, 118.8, 130.68, 50, 60, 70, 77.0]})
    g = {2011: 0.1, 2012: -0.1, 2013: 0.2, 2014: 0.1}   # growth of firm a
    back = market.market_volatility(d, window=2)
    assert back.iloc[2] == pytest.approx(np.std([0.1, -0.1], ddof=1))     # 2012: 2011, 2012
    assert back.iloc[4] == pytest.approx(np.std([g[2013], g[2014]], ddof=1))
    assert np.isnan(back.iloc[1])                                          # 2010 growth missing
    fwd = market.market_volatility(d, window=3, align="forward")
    assert fwd.iloc[1] == pytest.approx(np.std([0.1, -0.1, 0.2], ddof=1))  # 2011: 2011-2013
    cen = market.market_volatility(d, window=3, align="centered")
    assert cen.iloc[3] == pytest.approx(np.std([-0.1, 0.2, 0.1], ddof=1))  # 2013: 2012-2014
    # firm b: 2013's calendar lag (2012) is absent, so any window holding 2013 is missing
    assert back.iloc[7:].isna().all()
    lg = market.market_volatility(d, window=2, growth="log")
    assert lg.iloc[2] == pytest.approx(np.std([np.log(1.1), np.log(0.9)], ddof=1))
    with pytest.raises(SMError, match="SM432"):
        market.market_volatility(d, window=2, align="centered")


def test_n_tfp_level_and_change():
    d = pd.DataFrame({"stkcd": ["a", "b", "c", "a", "b", "c"], "year": [1, 1, 1, 2, 2, 2],
                      "industry": ["X", "X", "Y", "X", "X", "Y"], "tfp_lp": [8.0, 10.0, 5.0, 9.0, 11.0, 6.0]})
    lv = productivity.n_tfp(d)
    assert lv.tolist() == pytest.approx([8 / 9, 10 / 9, 1.0, 9 / 10, 11 / 10, 1.0])
    ch = productivity.n_tfp(d, kind="change")
    ga, gb = 9 / 8, 11 / 10
    assert ch.iloc[3] == pytest.approx(ga / ((ga + gb) / 2)) and ch.iloc[:3].isna().all()
    med = productivity.n_tfp(d.assign(tfp_lp=[8.0, 10.0, 5.0, 9.0, 11.0, 6.0]), reference="median")
    assert med.iloc[0] == pytest.approx(8 / 9)   # median of two = mean
    with pytest.warns(UserWarning, match="SM462"):
        productivity.n_tfp(d.assign(tfp_lp=[-1.0, -2.0, 5.0, 9.0, 11.0, 6.0]))
