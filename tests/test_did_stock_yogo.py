"""Stock-Yogo (2005) critical values (smtext.did.stock_yogo) against the published tables."""

from __future__ import annotations

import numpy as np
import pytest

import smtext.did as did
from smtext.did.simulate import simulate_panel
from smtext.did.stock_yogo import stock_yogo_critical_value, stock_yogo_table
from smtext.errors import SMError, SMWarning


@pytest.mark.parametrize("n,k,table,level,value", [
    # Table 5.2 (maximal IV size), one endogenous regressor, one instrument: what ivreg2 prints
    (1, 1, "size", 0.10, 16.38), (1, 1, "size", 0.15, 8.96), (1, 1, "size", 0.20, 6.66), (1, 1, "size", 0.25, 5.53),
    (1, 2, "size", 0.10, 19.93), (1, 3, "size", 0.15, 12.83), (1, 30, "size", 0.25, 23.65),
    (2, 2, "size", 0.10, 7.03), (2, 2, "size", 0.25, 3.63), (2, 5, "size", 0.15, 11.22),
    # Table 5.1 (maximal relative bias): n = 1, K2 = 3 and n = 2, K2 = 4; n = 3, K2 = 5
    (1, 3, "bias", 0.05, 13.91), (1, 3, "bias", 0.10, 9.08), (1, 3, "bias", 0.20, 6.46), (1, 3, "bias", 0.30, 5.39),
    (2, 4, "bias", 0.05, 11.04), (3, 5, "bias", 0.10, 6.61), (1, 10, "bias", 0.05, 20.74),
])
def test_published_entries(n, k, table, level, value):
    assert stock_yogo_critical_value(n, k, table=table, level=level) == pytest.approx(value, abs=1e-9)


def test_table_shape_and_monotone():
    t = stock_yogo_table()
    # size: n=1 K2=1..30, n=2 K2=2..30; bias: n=1 K2=3..30, n=2 4..30, n=3 5..30; four levels each
    assert len(t) == 4 * (30 + 29) + 4 * (28 + 27 + 26)
    assert not t.duplicated(["table", "n_endog", "n_instruments", "level"]).any()
    for (tab, n, k), g in t.groupby(["table", "n_endog", "n_instruments"]):
        # a stricter level (smaller size or bias) needs a larger F
        assert np.all(np.diff(g.sort_values("level")["critical_value"].to_numpy()) < 0), (tab, n, k)
    size1 = t[(t.table == "size") & (t.n_endog == 1) & (t.level == 0.10)].sort_values("n_instruments")
    assert np.all(np.diff(size1["critical_value"].to_numpy()) > 0)


def test_not_tabulated_and_bad_level():
    assert stock_yogo_critical_value(1, 1, table="bias", level=0.10) is None   # bias needs K2 >= n + 2
    assert stock_yogo_critical_value(4, 6, table="size", level=0.10) is None
    with pytest.raises(SMError, match="SM580"):
        stock_yogo_critical_value(1, 1, table="size", level=0.05)


def test_iv_prints_stock_yogo_after_kp_wald_f():
    d = simulate_panel(n_units=60, seed=3)
    rng = np.random.default_rng(1)
    d["z"] = rng.normal(size=len(d))
    d["x"] = d["z"] + rng.normal(size=len(d))
    d["yy"] = d["x"] + d["y0"] + rng.normal(size=len(d))
    r = did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments="z")
    keys = list(r.extra)
    assert keys[keys.index("KP rk Wald F") + 1] == "Stock-Yogo 15% maximal IV size"
    assert r.extra["Stock-Yogo 15% maximal IV size"] == 8.96
    assert r.weak_id["Stock-Yogo"]["size 0.10"] == 16.38 and r.weak_id["Stock-Yogo"]["bias 0.05"] is None
    assert "Stock-Yogo" not in " ".join(did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments="z",
                                                    stock_yogo=None).extra)
    with pytest.warns(SMWarning, match="SM581"):
        r = did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments="z", stock_yogo=("bias", 0.10))
    assert r.extra["Stock-Yogo 10% maximal IV relative bias"] is None
    with pytest.raises(SMError, match="SM580"):
        did.iv_2sls(d, "yy", "year", "stkcd", "x", instruments="z", stock_yogo=("size", 0.3))
