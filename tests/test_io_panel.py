"""smtext.io.read_panel / read_panels: demo numbers written as CSMAR, CNRDS and Wind exports read back
to the demo tables, and every pitfall gives its coded error or a reported count.

Float tolerance: values written with repr() round-trip exactly (rtol 1e-12 is slack); values
written in 万元 or 千元 and scaled back differ from the demo by float rounding (rtol 1e-12).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from io_exports import (
    csmar_frame,
    demo_tables,
    make_world,
    write_csmar,
    write_wind_wide,
)

from smtext.errors import SMError, SMWarning
from smtext.io import read_panel, read_panels

RTOL = 1e-12
COMBAS = ["total_assets", "total_liabilities", "current_assets", "current_liabilities", "cash", "fixed_assets_net",
          "long_term_debt"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = make_world(tmp_path_factory)
    fin, firms = demo_tables(data)
    return data, fin, firms


def _expect(fin, cols):
    return fin[["stkcd", "year", *cols]].reset_index(drop=True)


def _read(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        return read_panel(*args, **kw)


@pytest.mark.parametrize("name,encoding", [("FS_Combas.csv", "utf-8-sig"), ("FS_Combas.csv", "gbk"),
                                           ("FS_Combas.txt", "utf-8"), ("FS_Combas.xlsx", None)])
def test_csmar_balance_sheet_round_trip(world, tmp_path, name, encoding):
    _, fin, _ = world
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / name, encoding=encoding or "utf-8")
    r = _read(p, "csmar_fs_combas")
    pd.testing.assert_frame_equal(r.data, _expect(fin, COMBAS), check_dtype=False, rtol=RTOL)
    assert r.report["rows_read"] == len(fin) and r.report["layout"] == "csmar"
    assert r.report["columns_missing"] == ["total_equity"]
    assert r.source["sha256"] and r.source["colmap"] == "smtext:io/maps/csmar_fs_combas.yaml"


def test_units_in_wan_yuan_are_scaled_back(world, tmp_path):
    _, fin, _ = world
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "wan.csv", units={c: "万元" for c in COMBAS})
    r = _read(p, "csmar_fs_combas")
    pd.testing.assert_frame_equal(r.data, _expect(fin, COMBAS), check_dtype=False, rtol=RTOL)
    assert r.report["columns_scaled"]["total_assets"] == {"unit": "万元", "factor": 1e4}


def test_file_unit_wins_over_the_map_with_a_warning(world, tmp_path):
    _, fin, _ = world
    p = write_csmar(fin, "csmar_trd_year", tmp_path / "TRD_Year.csv", units={"market_value": "元"})
    with pytest.warns(SMWarning, match="SM024"):
        r = read_panel(p, "csmar_trd_year")
    pd.testing.assert_frame_equal(r.data, _expect(fin, ["market_value"]), check_dtype=False, rtol=RTOL)
    assert r.report["unit_conflicts"] == {"market_value": {"file": "元", "map": "千元"}}


def test_parent_statements_and_half_years_are_dropped_and_counted(world, tmp_path):
    _, fin, _ = world
    _, _, _, rows = csmar_frame(fin, "csmar_fs_combas")
    parent = rows.assign(Typrep="B", A001000000=rows["A001000000"] * 0.7)
    half = rows.iloc[:50].assign(Accper=lambda d: d["Accper"].str.replace("12-31", "06-30"))
    opening = rows.iloc[:20].assign(Accper=lambda d: d["Accper"].str.replace("12-31", "01-01"))
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "all.csv", extra=pd.concat([parent, half, opening]))
    with pytest.warns(SMWarning) as rec:
        r = read_panel(p, "csmar_fs_combas")
    pd.testing.assert_frame_equal(r.data, _expect(fin, COMBAS), check_dtype=False, rtol=RTOL)
    rep = r.report
    assert rep["rows_read"] == 2 * len(fin) + 70
    assert rep["rows_dropped_not_year_end"] == 70 and sum(rep["rows_dropped_by_period"].values()) == 70
    assert all(k.endswith(("06-30", "01-01")) for k in rep["rows_dropped_by_period"])
    assert rep["parent_rows_dropped"] == len(fin)
    assert {str(w.message)[:5] for w in rec} >= {"SM022", "SM023"}
    parent_only = _read(p, "csmar_fs_combas", statement="parent")
    np.testing.assert_allclose(parent_only.data["total_assets"], fin["total_assets"] * 0.7, rtol=RTOL)
    with pytest.raises(SMError, match="SM023"):
        _read(p, "csmar_fs_combas", statement=None)
    quarterly = _read(p, "csmar_fs_combas", annual=False)
    assert quarterly.report["keys"] == ["stkcd", "period"] and len(quarterly.data) == len(fin) + 70


def test_integer_codes_and_text_years(world, tmp_path):
    _, fin, _ = world
    _, _, _, rows = csmar_frame(fin, "csmar_trd_year")
    rows["Stkcd"] = rows["Stkcd"].astype(int)                        # 37, as Excel keeps it
    rows["Trdynt"] = [f"{y}年" for y in rows["Trdynt"]]
    p = tmp_path / "trd.csv"
    head = pd.DataFrame([["证券代码", "交易年份", "年个股总市值"], ["没有单位", "没有单位", "千元"]], columns=rows.columns)
    pd.concat([head, rows.astype(str)]).to_csv(p, index=False, encoding="utf-8-sig")
    r = _read(p, "csmar_trd_year")
    pd.testing.assert_frame_equal(r.data, _expect(fin, ["market_value"]), check_dtype=False, rtol=RTOL)
    assert r.report["codes_changed"] == int((fin["stkcd"].str.lstrip("0").str.len() < 6).sum())


def test_malformed_codes_are_reported_not_guessed(world, tmp_path):
    _, fin, _ = world
    _, _, _, rows = csmar_frame(fin.head(10), "csmar_fs_combas")
    rows.loc[0, "Stkcd"] = "00700.HK"
    rows.loc[1, "Stkcd"] = "ABC"
    p = tmp_path / "codes.csv"
    rows.to_csv(p, index=False)
    with pytest.warns(SMWarning, match="SM020"):
        r = read_panel(p, "csmar_fs_combas")
    assert len(r.data) == 8 and r.report["codes_invalid"] == 2
    assert r.report["invalid_code_examples"] == ["00700.HK", "ABC"]


def test_duplicate_firm_years_are_a_coded_error(world, tmp_path):
    data, fin, _ = world
    raw = pd.read_parquet(data / "financials.parquet")            # the demo plants duplicate firm-years
    assert raw.duplicated(["stkcd", "year"]).any()
    p = write_csmar(raw, "csmar_fs_combas", tmp_path / "dups.csv")
    with pytest.raises(SMError) as e:
        _read(p, "csmar_fs_combas")
    assert e.value.code == "SM401"
    dup = raw[raw.duplicated(["stkcd", "year"])].iloc[0]
    assert f"('{dup['stkcd']}', {dup['year']})" in str(e.value)


def test_missing_mapped_columns(world, tmp_path):
    _, fin, _ = world
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "b.csv")
    mine = tmp_path / "mine.yaml"
    mine.write_text("keys: {stkcd: Stkcd, period: Accper, statement: Typrep}\ncolumns:\n"
                    "  total_assets: {field: A001000000, unit: 元}\n"
                    "  total_equity: {field: A003000000, unit: 元, required: true}\n", encoding="utf-8")
    with pytest.raises(SMError) as e:
        _read(p, mine)
    assert e.value.code == "SM032" and "A003000000" in str(e.value)
    with pytest.raises(SMError, match="SM033"):
        _read(p, "csmar_fs_comins")                               # the wrong table's map
    nokey = tmp_path / "nokey.yaml"
    nokey.write_text("keys: {stkcd: Symbol, period: EndDate}\ncolumns: {total_assets: A001000000}\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM032"):
        _read(p, nokey)
    with pytest.raises(SMError, match="SM010"):
        _read(tmp_path / "missing.csv", "csmar_fs_combas")


def test_statements_split_over_files_merge_to_the_demo_panel(world, tmp_path):
    _, fin, firms = world
    files = [(write_csmar(fin, m, tmp_path / f"{m}.csv"), m) for m in
             ("csmar_fs_combas", "csmar_fs_comins", "csmar_fs_comscfd", "csmar_cg_ybasic", "csmar_trd_year")]
    co = write_csmar(firms.assign(listing_year=firms["listing_year"]), "csmar_trd_co", tmp_path / "TRD_Co.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        r = read_panels([*files[::-1], (co, "csmar_trd_co")])
    cols = COMBAS + ["revenue", "net_profit", "operating_cash_flow", "cash_paid_goods", "wage_bill", "investment",
                     "dividends", "rd_expense", "employees", "market_value"]
    got = r.data
    pd.testing.assert_frame_equal(got[["stkcd", "year", *cols]], _expect(fin, cols), check_dtype=False, rtol=RTOL)
    want_firms = fin[["stkcd"]].merge(firms, on="stkcd", how="left")
    for c in ("name", "short_name", "listing_year", "industry", "industry_name", "province", "city"):
        assert got[c].astype(str).tolist() == want_firms[c].astype(str).tolist(), c
    assert [m["how"] for m in r.report["merge"]] == ["outer"] * 4 + ["left"]
    assert len(r.report["files"]) == 6 and r.report["keys"] == ["stkcd", "year"]


def test_conflicting_values_across_files(world, tmp_path):
    _, fin, _ = world
    a = write_csmar(fin, "csmar_fs_combas", tmp_path / "a.csv")
    b = write_csmar(fin.assign(total_assets=fin["total_assets"] + 1), "csmar_fs_combas", tmp_path / "b.csv")
    with pytest.raises(SMError, match="SM036"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SMWarning)
            read_panels([(a, "csmar_fs_combas"), (b, "csmar_fs_combas")])


def test_cnrds_export_round_trip(world, tmp_path):
    _, fin, _ = world
    p = write_csmar(fin, "cnrds_example", tmp_path / "cnrds.xlsx", header_rows=2)
    r = _read(p, "cnrds_example")
    assert r.report["layout"] == "cnrds"
    cols = ["employees", "employees_master", "employees_bachelor", "rd_expense"]
    pd.testing.assert_frame_equal(r.data, _expect(fin, cols), check_dtype=False, rtol=RTOL)
    assert r.report["unconfirmed_codes_used"] == cols


def test_wind_wide_round_trip_in_wan_yuan(world, tmp_path):
    _, fin, _ = world
    p = write_wind_wide(fin, tmp_path / "wind.xlsx", {"revenue": "营业收入", "total_assets": "资产总计",
                                                      "net_profit": "净利润"})
    r = _read(p, "wind_example")
    assert r.report["layout"] == "wind" and r.report["codes_changed"] == len(r.data)
    got = r.data.dropna(subset=["revenue"]).reset_index(drop=True)      # wide files have every firm x year cell
    pd.testing.assert_frame_equal(got[["stkcd", "year", "revenue", "total_assets", "net_profit"]],
                                  _expect(fin, ["revenue", "total_assets", "net_profit"]), check_dtype=False, rtol=RTOL)
    assert r.report["columns_scaled"]["revenue"]["factor"] == 1e4


def test_firm_table_and_list_without_codes(world, tmp_path):
    data, _, firms = world
    p = tmp_path / "firms.xlsx"
    firms.assign(stkcd=firms["stkcd"].astype(int)).to_excel(p, index=False)    # codes lost their zeros in Excel
    r = _read(p)
    assert r.report["keys"] == ["stkcd"] and r.data["stkcd"].tolist() == firms["stkcd"].tolist()
    pilots = _read(data / "pilot_list.csv", keys=())
    assert pilots.report["keys"] == [] and len(pilots.data) == len(pd.read_csv(data / "pilot_list.csv"))
    assert "申报单位" in pilots.data.columns
    with pytest.raises(SMError, match="SM034"):
        _read(data / "pilot_list.csv", keys=("stkcd", "year"))


def test_unmapped_csmar_file_hints_at_its_map(world, tmp_path):
    _, fin, _ = world
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "FS_Combas.csv")
    with pytest.warns(SMWarning, match="SM035.*csmar_fs_combas"):
        r = read_panel(p)
    assert "A001000000" in r.data.columns and r.report["keys"] == ["stkcd", "year"]


def test_value_recodes_and_date_transforms(world, tmp_path):
    _, fin, firms = world
    eq = pd.DataFrame({"Symbol": ["000001", "000002", "000003"], "EndDate": ["2019-12-31"] * 3,
                       "EquityNature": ["国企", "民营", "国企,外资"], "LargestHolderRate": [30.0, 55.5, 12.0]})
    p = tmp_path / "EN.csv"
    eq.to_csv(p, index=False)
    with pytest.warns(SMWarning, match="SM027"):
        r = read_panel(p, "csmar_en_equitynatureall")
    assert r.data["soe"].tolist()[:2] == [1, 0] and pd.isna(r.data["soe"][2])
    np.testing.assert_allclose(r.data["top1_share"], [0.30, 0.555, 0.12])
    assert r.report["values_not_recoded"] == {"soe": 1} and r.report["units_assumed"] == []
