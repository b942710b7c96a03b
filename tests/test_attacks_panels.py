"""Panels that would give a silently wrong number, or a raw traceback, get a coded error or warning:
duplicate firm-years, revenue that is missing, text or infinite, output without a firm key,
text outcomes and treatments, a single firm, years written as ``2019年``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning

runner = CliRunner()


def _panel(n_firms: int = 12, years=range(2010, 2018), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_firms):
        g = 2014 if i < n_firms // 2 else 0
        for t in years:
            d = int(g and t >= g)
            rows.append({"stkcd": f"{600000 + i:06d}", "year": t, "D": d, "x": rng.normal(),
                         "y": 0.5 * d + rng.normal() + 0.1 * i, "industry": "C39" if i % 2 else "C26",
                         "revenue": float(rng.uniform(1e6, 1e7)), "total_assets": float(rng.uniform(1e8, 1e9)),
                         "age": 5 + t - 2010, "sales": float(rng.uniform(1e6, 1e7))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- duplicate firm-years
def test_twfe_refuses_exact_duplicate_firm_years():
    from smtext.did import twfe

    d = _panel()
    with pytest.raises(SMError) as info:
        twfe(pd.concat([d, d.iloc[:3]]), "y", "year", "stkcd", "D")
    assert info.value.code == "SM401" and "stkcd" in str(info.value)


def test_twfe_refuses_conflicting_duplicate_firm_years():
    from smtext.did import twfe

    d = _panel()
    extra = d.iloc[:3].assign(y=lambda f: f["y"] + 10)
    with pytest.raises(SMError) as info:
        twfe(pd.concat([d, extra]), "y", "year", "stkcd", "D")
    assert info.value.code == "SM401"


def test_progressive_and_event_study_refuse_duplicates_too():
    from smtext.did import event_study, twfe_progressive

    d = _panel()
    dup = pd.concat([d, d.iloc[:2]])
    with pytest.raises(SMError) as info:
        twfe_progressive(dup, "y", "year", "stkcd", "D", controls=["x"])
    assert info.value.code == "SM401"
    dup = dup.assign(gname=np.where(dup["stkcd"] < "600006", 2014, 0))
    with pytest.raises(SMError) as info:
        event_study(dup, "y", "year", "stkcd", "gname")
    assert info.value.code == "SM401"


def test_twfe_on_a_clean_panel_still_fits():
    from smtext.did import twfe

    r = twfe(_panel(), "y", "year", "stkcd", "D")
    assert np.isfinite(r.coef()["D"])


def _write(tmp_path, d: pd.DataFrame, name="p.parquet"):
    p = tmp_path / name
    d.to_parquet(p, index=False)
    return p


def test_indicators_sa_refuses_duplicate_keys(tmp_path):
    d = _panel(3)
    p = _write(tmp_path, pd.concat([d, d.iloc[:2]]))
    out = tmp_path / "sa.parquet"
    res = runner.invoke(app, ["indicators", "sa", str(p), "--out", str(out)])
    assert res.exit_code == 2 and "SM401" in res.output, res.output
    assert not out.exists()


# ---------------------------------------------------------------- HHI from unusable revenue
@pytest.mark.parametrize("bad", [np.nan, np.inf, "1,234.00"])
def test_hhi_of_a_cell_without_usable_revenue_is_missing(bad):
    from smtext.indicators.concentration import hhi

    d = pd.DataFrame({"stkcd": ["1", "2", "3", "4"], "industry": ["A", "A", "B", "B"], "year": 2015,
                      "revenue": [bad, bad, 10.0, 30.0]}).astype({"revenue": object})
    with pytest.warns(SMWarning, match="SM430") as rec:
        h = hhi(d)
    assert h.iloc[:2].isna().all()
    assert h.iloc[2:].tolist() == pytest.approx([0.625, 0.625])
    assert any("1 cell" in str(w.message) for w in rec)


def test_hhi_infinite_revenue_is_not_a_share():
    from smtext.indicators.concentration import hhi

    d = pd.DataFrame({"stkcd": ["1", "2", "3"], "industry": "A", "year": 2015, "revenue": [np.inf, 10.0, 30.0]})
    with pytest.warns(SMWarning, match="SM430"):
        h = hhi(d)
    assert h.tolist() == pytest.approx([0.625] * 3)


def test_indicators_hhi_writes_missing_not_zero(tmp_path):
    d = _panel(4)
    d.loc[d["industry"] == "C26", "revenue"] = np.nan
    p = _write(tmp_path, d)
    out = tmp_path / "hhi.parquet"
    res = runner.invoke(app, ["indicators", "hhi", str(p), "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out).merge(d[["stkcd", "year", "industry"]])
    assert got.loc[got["industry"] == "C26", "HHI"].isna().all()
    assert (got.loc[got["industry"] == "C39", "HHI"] > 0).all()


# ---------------------------------------------------------------- outputs need a firm key
@pytest.mark.parametrize("cmd", [["sa"], ["hhi"]])
def test_indicators_without_an_id_column_are_refused(tmp_path, cmd):
    p = _write(tmp_path, _panel(1).drop(columns=["stkcd"]))   # one firm: the years alone are unique
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["indicators", *cmd, str(p), "--out", str(out)])
    assert res.exit_code == 2 and "SM001" in res.output, res.output
    assert not out.exists()


# ---------------------------------------------------------------- coded errors, not tracebacks
def test_twfe_text_outcome_is_a_coded_error():
    from smtext.did import twfe

    d = _panel().assign(y=lambda f: f["y"].round(2).astype(str) + "万")
    with pytest.raises(SMError) as info:
        twfe(d, "y", "year", "stkcd", "D")
    assert info.value.code == "SM573" and "'y'" in str(info.value)


def test_twfe_single_firm_is_a_coded_error():
    from smtext.did import twfe

    d = _panel()
    with pytest.raises(SMError) as info:
        twfe(d[d["stkcd"] == "600000"], "y", "year", "stkcd", "D")
    assert info.value.code in ("SM501", "SM502")
    assert "firm" in str(info.value) or "stkcd" in str(info.value)


def test_twfe_text_treatment_is_reported_as_text_not_collinear():
    from smtext.did import twfe

    d = _panel().assign(D=lambda f: f["D"].astype(str))
    with pytest.raises(SMError) as info:
        twfe(d, "y", "year", "stkcd", "D")
    assert info.value.code == "SM500" and "text" in str(info.value)


@pytest.mark.parametrize("what", ["volatility", "tfp"])
def test_years_with_a_suffix_are_sm402(what):
    from smtext.indicators import tfp
    from smtext.indicators.market import market_volatility

    d = _panel(4).assign(year=lambda f: f["year"].astype(str) + "年")
    with pytest.raises(SMError) as info:
        if what == "volatility":
            market_volatility(d, sales="sales")
        else:
            tfp.estimate(d, "ols", y="revenue", free=["sales"], state=["total_assets"])
    assert info.value.code == "SM402" and "2010年" in str(info.value)


def test_indicator_commands_read_years_with_a_suffix(tmp_path):
    d = _panel(4).assign(year=lambda f: f["year"].astype(str) + "年")
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["indicators", "volatility", str(_write(tmp_path, d)), "--out", str(out),
                              "--sales", "sales"])
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(out)["year"].min() == 2010


def test_check_keys_reports_text_years_as_sm402():
    from smtext.panel import check_keys

    with pytest.raises(SMError) as info:
        check_keys(pd.DataFrame({"stkcd": ["1", "1"], "year": ["2019年", "2020年"]}))
    assert info.value.code == "SM402"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_keys(pd.DataFrame({"stkcd": ["1", "1"], "year": [2019, 2020]}))


def test_indicator_output_table_refuses_repeated_keys():
    from smtext.cli.indicators import _keyed

    d = _panel(2)
    with pytest.raises(SMError) as info:
        _keyed(pd.concat([d, d.iloc[:1]]), "stkcd", "year", SA=np.zeros(len(d) + 1))
    assert info.value.code == "SM401"
    with pytest.raises(SMError) as info:
        _keyed(d.drop(columns=["stkcd"]), "stkcd", "year", SA=np.zeros(len(d)))
    assert info.value.code == "SM001"
