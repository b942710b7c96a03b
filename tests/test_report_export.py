"""Data export: Stata .dta with Chinese labels, Excel-friendly CSV, Parquet."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import r_has

from smtext.errors import SMError, SMWarning
from smtext.report.export import export_panel, to_csv_excel, to_parquet, to_stata


@pytest.fixture()
def panel():
    return pd.DataFrame({
        "stkcd": ["000001", "600519", "300617"], "year": [2015, 2016, 2019],
        "TFP_LP": [8.1, np.nan, 7.7], "DID": [True, False, True],
        "name": ["平安银行", "贵州茅台", "安靠智电"], "n_pat": pd.array([3, None, 1], dtype="Int64"),
    })


LABELS = {"TFP_LP": "全要素生产率（LP法）", "DID": "智能制造试点×试点后", "stkcd": "证券代码"}


def test_stata_roundtrip_with_chinese_labels(tmp_path, panel):
    path = to_stata(panel, tmp_path / "p.dta", labels=LABELS, data_label="示例面板")
    raw = path.read_bytes()
    assert raw.startswith(b"<stata_dta><header><release>118</release>")  # format 118 = UTF-8
    assert "全要素生产率（LP法）".encode("utf-8") in raw
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        back = reader.read()
        assert reader.data_label == "示例面板"
    assert labels["TFP_LP"] == LABELS["TFP_LP"] and labels["DID"] == LABELS["DID"]
    assert back["stkcd"].tolist() == ["000001", "600519", "300617"]  # leading zeros kept
    assert back["name"].tolist() == ["平安银行", "贵州茅台", "安靠智电"]
    assert back["DID"].tolist() == [1, 0, 1]
    assert np.isnan(back.loc[1, "TFP_LP"]) and back.loc[0, "TFP_LP"] == 8.1
    assert np.isnan(back.loc[1, "n_pat"]) and back.loc[2, "n_pat"] == 1


def test_stata_long_label_is_cut_with_warning(tmp_path, panel):
    long = "很长的变量标签" * 10  # 70 characters = 210 UTF-8 bytes > 80
    with pytest.warns(SMWarning, match="SM609"):
        path = to_stata(panel, tmp_path / "p.dta", labels={"TFP_LP": long})
    with pd.io.stata.StataReader(path) as reader:
        got = reader.variable_labels()["TFP_LP"]
    assert long.startswith(got) and len(got.encode("utf-8")) <= 80 and len(got) == 26


def test_stata_bad_names_raise(tmp_path, panel):
    with pytest.raises(SMError, match="SM609"):
        to_stata(panel.rename(columns={"TFP_LP": "全要素生产率"}), tmp_path / "p.dta")
    with pytest.raises(SMError, match="SM609"):
        to_stata(panel, tmp_path / "p.dta", labels={"nope": "x"})


def test_csv_has_bom_and_reads_back(tmp_path, panel):
    path = to_csv_excel(panel, tmp_path / "p.csv")
    raw = path.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM: Excel then reads UTF-8, not GBK
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"stkcd": str})
    assert back["name"].tolist() == panel["name"].tolist()
    assert back["stkcd"].tolist() == panel["stkcd"].tolist()


def test_parquet_keeps_dtypes(tmp_path, panel):
    back = pd.read_parquet(to_parquet(panel, tmp_path / "p.parquet"))
    pd.testing.assert_frame_equal(back, panel, check_dtype=False)
    assert str(back["n_pat"].dtype) == "Int64"


def test_export_panel_dispatch(tmp_path, panel):
    assert export_panel(panel, tmp_path / "a.dta", labels=LABELS).exists()
    assert export_panel(panel, tmp_path / "a.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert export_panel(panel, tmp_path / "a.parquet").exists()
    with pytest.raises(SMError, match="SM002"):
        export_panel(panel, tmp_path / "a.xls")


@pytest.mark.skipif(not r_has("haven"), reason="R with haven not installed")
def test_stata_file_reads_in_r_haven(tmp_path, panel):
    """Independent reader: R haven (ReadStat) sees the labels, strings and missing values."""
    path = to_stata(panel, tmp_path / "p.dta", labels=LABELS, data_label="示例面板")
    script = f"""
        if (!requireNamespace("haven", quietly = TRUE)) quit(status = 3)
        d <- haven::read_dta("{path}")
        lab <- function(x) {{ l <- attr(x, "label"); if (is.null(l)) "" else l }}
        for (v in names(d)) cat("L", v, lab(d[[v]]), "\\n", sep = "\\t")
        cat("D", attr(d, "label"), "\\n", sep = "\\t")
        for (v in c("stkcd", "name", "TFP_LP", "DID", "n_pat")) cat("V", v, paste(d[[v]], collapse = "|"), "\\n", sep = "\\t")
    """
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, encoding="utf-8", timeout=120)
    if res.returncode == 3:
        pytest.skip("R package haven not installed")
    assert res.returncode == 0, res.stderr
    lines = [line.split("\t") for line in res.stdout.splitlines()]
    labels = {p[1]: p[2] for p in lines if p[0] == "L"}
    values = {p[1]: p[2].split("|") for p in lines if p[0] == "V"}
    assert labels["TFP_LP"] == LABELS["TFP_LP"] and labels["DID"] == LABELS["DID"]
    assert labels["stkcd"] == LABELS["stkcd"] and labels["name"] == ""
    assert next(p[1] for p in lines if p[0] == "D") == "示例面板"
    assert values["stkcd"] == ["000001", "600519", "300617"]
    assert values["name"] == ["平安银行", "贵州茅台", "安靠智电"]
    assert values["TFP_LP"] == ["8.1", "NA", "7.7"] and values["DID"] == ["1", "0", "1"]
    assert values["n_pat"] == ["3", "NA", "1"]
