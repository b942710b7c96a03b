"""smtext.io.read_table: formats, encodings, layouts (CSMAR, CNRDS, Wind), sheets, coded errors."""

from __future__ import annotations

import pandas as pd
import pytest
from io_exports import demo_tables, make_world, write_csmar, write_wind_wide

from smtext.errors import SMError
from smtext.io import read_table
from smtext.io.layouts import read_description


@pytest.fixture(scope="module")
def fin(tmp_path_factory):
    return demo_tables(make_world(tmp_path_factory))[0].head(40)


@pytest.mark.parametrize("name,encoding", [("FS_Combas.csv", "utf-8-sig"), ("FS_Combas.csv", "utf-8"),
                                           ("FS_Combas.csv", "gbk"), ("FS_Combas.txt", "utf-8"),
                                           ("FS_Combas.xlsx", None)])
def test_csmar_three_header_rows_in_every_format(fin, tmp_path, name, encoding):
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / name, encoding=encoding or "utf-8")
    raw = read_table(p)                      # no encoding given: GBK is detected
    assert raw.layout == "csmar"
    assert raw.encoding == (None if name.endswith(".xlsx") else encoding)
    assert list(raw.data.columns[:4]) == ["Stkcd", "Accper", "Typrep", "A001000000"]
    assert raw.labels["A001000000"] == "资产总计" and raw.units["A001000000"] == "元"
    assert raw.units["Stkcd"] == "没有单位"
    assert len(raw.data) == len(fin)
    assert raw.data["Stkcd"].tolist() == fin["stkcd"].tolist()     # codes stay text with leading zeros
    assert pd.api.types.is_float_dtype(raw.data["A001000000"])


def test_gbk_file_with_the_wrong_encoding_is_a_coded_error(fin, tmp_path):
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "gbk.csv", encoding="gbk")
    with pytest.raises(SMError) as e:
        read_table(p, encoding="utf-8")
    assert e.value.code == "SM013" and "not utf-8 text" in str(e.value)
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"a,b\n\xff\xfe\xfa,1\n\x80\x80\x80,2\n")
    with pytest.raises(SMError, match="SM013"):
        read_table(bad)


def test_missing_empty_and_unknown_files(tmp_path):
    with pytest.raises(SMError, match="SM010"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(SMError, match="SM010"):
        read_table(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SMError, match="SM011"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM011"):
        read_table(tmp_path / "blank.csv")
    (tmp_path / "header.csv").write_text("Stkcd,Accper\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM011"):
        read_table(tmp_path / "header.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SMError, match="SM012") as e:
        read_table(tmp_path / "old.xls")
    assert "xlsx" in str(e.value)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(SMError, match="SM014"):
        read_table(tmp_path / "bad.parquet")
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(SMError, match="SM014"):
        read_table(tmp_path / "bad.xlsx")


def test_xlsx_with_the_data_on_a_second_sheet(fin, tmp_path):
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "two.xlsx", sheet="数据", first_sheet_notes=True)
    with pytest.raises(SMError) as e:                       # two filled sheets: no guess
        read_table(p)
    assert e.value.code == "SM015" and "数据" in str(e.value)
    raw = read_table(p, sheet="数据")
    assert raw.layout == "csmar" and len(raw.data) == len(fin)
    assert len(read_table(p, sheet=1).data) == len(fin)
    with pytest.raises(SMError, match="SM015"):
        read_table(p, sheet="Sheet9")
    # an empty first sheet is skipped, and the note says which sheet was read
    from openpyxl import load_workbook

    wb = load_workbook(p)
    wb["说明"].delete_rows(1)
    wb.save(p)
    raw = read_table(p)
    assert len(raw.data) == len(fin) and any("数据" in n for n in raw.notes)


def test_cnrds_two_header_rows(fin, tmp_path):
    p = write_csmar(fin, "csmar_trd_year", tmp_path / "cnrds.csv", header_rows=2)
    raw = read_table(p)
    assert raw.layout == "cnrds" and raw.units == {} and raw.labels["Ysmvttl"] == "年个股总市值"
    assert len(raw.data) == len(fin)


def test_declared_layout_must_match(fin, tmp_path):
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "one_row.csv", header_rows=1)
    assert read_table(p).layout == "plain"
    with pytest.raises(SMError, match="SM016"):
        read_table(p, layout="csmar")
    with pytest.raises(SMError, match="SM016"):
        read_table(p, layout="bloomberg")


def test_csmar_description_file(fin, tmp_path):
    p = write_csmar(fin, "csmar_fs_combas", tmp_path / "FS_Combas.csv", header_rows=1)
    des = tmp_path / "FS_Combas[DES][csv].txt"
    des.write_text("Stkcd [证券代码] - 以交易所公布的证券代码为准\nAccper [会计期间] - 以YYYY-MM-DD表示\n"
                   "A001000000 [资产总计] - 单位：元\nA001101000 [货币资金(元)] - 说明\n", encoding="gbk")
    raw = read_table(p, description=des)
    assert raw.layout == "csmar"
    assert raw.labels["A001000000"] == "资产总计" and raw.units["A001000000"] == "元"
    assert raw.labels["A001101000"] == "货币资金" and raw.units["A001101000"] == "元"
    assert read_description(des)["Accper"]["label"] == "会计期间"
    (tmp_path / "empty_des.txt").write_text("nothing here\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM017"):
        read_table(p, description=tmp_path / "empty_des.txt")


def test_wind_wide_export_becomes_long(fin, tmp_path):
    p = write_wind_wide(fin, tmp_path / "wind.xlsx", {"revenue": "营业收入", "total_assets": "资产总计"})
    raw = read_table(p)
    assert raw.layout == "wind"
    assert {"证券代码", "报告期", "报表类型", "营业收入", "资产总计"} <= set(raw.data.columns)
    assert raw.units == {"营业收入": "万元", "资产总计": "万元"}
    assert len(raw.data) == fin["stkcd"].nunique() * fin["year"].nunique()    # the footer line is gone
    assert any("数据来源" in n for n in raw.notes)


def test_wind_headers_with_bare_periods(tmp_path):
    df = pd.DataFrame({"证券代码": ["000001.SZ", "600000.SH"], "证券简称": ["甲", "乙"],
                       "2019-12-31": [1.0, 2.0], "2020-12-31": [3.0, 4.0]})
    df.to_csv(tmp_path / "w.csv", index=False, encoding="gbk")
    raw = read_table(tmp_path / "w.csv")
    assert raw.layout == "wind" and raw.encoding == "gbk"
    assert sorted(raw.data["value"]) == [1.0, 2.0, 3.0, 4.0]
    assert set(raw.data["报告期"]) == {"2019-12-31", "2020-12-31"}


def test_stata_labels_and_value_labels(tmp_path):
    df = pd.DataFrame({"stkcd": ["000001", "000002"], "year": [2019, 2019], "soe": [1, 0], "ta": [1.5, 2.5]})
    p = tmp_path / "x.dta"
    df.to_stata(p, write_index=False, variable_labels={"ta": "资产总计", "soe": "产权性质"},
                value_labels={"soe": {1: "国企", 0: "民企"}}, version=118)
    raw = read_table(p)
    assert raw.labels == {"ta": "资产总计", "soe": "产权性质"}
    assert raw.data["soe"].astype(str).tolist() == ["国企", "民企"]       # value labels kept
    assert raw.data["stkcd"].tolist() == ["000001", "000002"]
