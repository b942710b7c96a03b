"""smtext.panel: calendar lags, winsorize, zscore, deflate, filters (hand-computed expectations)."""

import numpy as np
import pandas as pd
import pytest

from smtext import panel
from smtext.errors import SMError


@pytest.fixture
def p():
    # firm A has no 2013 row (a gap year); rows deliberately out of order
    return pd.DataFrame({"stkcd": ["A", "A", "A", "B", "B"], "year": [2014, 2012, 2011, 2012, 2011],
                         "x": [4.0, 2.0, 1.0, 20.0, 10.0]})


def test_lag_is_calendar_not_row(p):
    l1 = panel.lag(p, "x")
    # A2014's previous row is 2012, but its calendar lag (2013) does not exist
    assert np.isnan(l1.iloc[0])
    assert l1.tolist()[1:] == [1.0, pytest.approx(np.nan, nan_ok=True), 10.0, pytest.approx(np.nan, nan_ok=True)]
    assert panel.lead(p, "x").tolist()[2] == 2.0 and np.isnan(panel.lead(p, "x").iloc[1])
    assert panel.lag(p, "x", 2).iloc[0] == 2.0


def test_duplicate_keys_rejected(p):
    with pytest.raises(SMError, match="SM401"):
        panel.lag(pd.concat([p, p.head(1)]), "x")


def test_winsorize_pooled_and_by_year():
    d = pd.DataFrame({"year": [1] * 5 + [2] * 5, "v": [1, 2, 3, 4, 100, 10, 20, 30, 40, 50.0]})
    w = panel.winsorize(d, "v", (0.1, 0.9), by="year")
    # year 1, linear quantiles of [1,2,3,4,100]: q10 = 1 + 0.4*1 = 1.4, q90 = 4 + 0.6*96 = 61.6
    assert w["v"].iloc[:5].tolist() == pytest.approx([1.4, 2, 3, 4, 61.6])
    # Stata _pctile (averaged inverted cdf): n*p = 0.5 -> x(1) = 1 ; n*p = 4.5 -> x(5) = 100
    s = panel.winsorize(d.iloc[:5], "v", (0.1, 0.9), quantile_method="averaged_inverted_cdf")
    assert s["v"].tolist() == [1, 2, 3, 4, 100]
    pooled = panel.winsorize(d, "v", (0.0, 0.9))
    assert pooled["v"].max() == pytest.approx(np.quantile(d["v"], 0.9))


def test_zscore_by_group():
    d = pd.DataFrame({"g": [1, 1, 1, 2, 2], "v": [1.0, 2.0, 3.0, 5.0, 7.0]})
    z = panel.zscore(d, "v", by="g")
    # group 1: mean 2, sd 1 ; group 2: mean 6, sd sqrt(2)
    assert z["v"].tolist() == pytest.approx([-1, 0, 1, -1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_deflate_rebases_and_warns():
    d = pd.DataFrame({"year": [2010, 2011, 2012], "sales": [100.0, 110.0, 121.0]})
    idx = pd.DataFrame({"year": [2010, 2011], "index": [200.0, 220.0]})
    with pytest.warns(UserWarning, match="SM404"):
        r = panel.deflate(d, "sales", idx, base_year=2010)
    assert r["sales"].iloc[0] == 100 and r["sales"].iloc[1] == pytest.approx(100.0)
    assert np.isnan(r["sales"].iloc[2])


def test_filters_report_counts():
    d = pd.DataFrame({"stkcd": list("abcdef"), "year": [2015] * 6,
                      "name": ["*ST华锐", "平安银行", "格力电器", "PT水仙", "ST康美", "美的集团"],
                      "is_st": [0, 0, 0, 0, 0, 0], "industry": ["C39", "J66", "C38", "C26", "C27", "C38"],
                      "listing_year": [2010, 2010, 2015, 2000, 2001, 2013], "tfp": [1, 2, 3, np.nan, 5, np.inf]})
    r = panel.filter_sample(d, st_name="name", ipo_year=True, missing=["tfp"])
    assert r.report["dropped"].tolist() == [3, 1, 1, 1]   # *ST, PT, ST; J66; IPO 2015; tfp inf
    assert r.data.empty
    assert r.n_dropped == 6 and "financial" in r.summary()
