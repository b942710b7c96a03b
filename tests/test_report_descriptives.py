"""Descriptive statistics, correlation and balance tables against independent computations."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from smtext.errors import SMError, SMWarning
from smtext.report.descriptives import (
    balance_statistics,
    balance_table,
    correlation_table,
    describe,
)

GOLDEN = Path(__file__).parent / "golden" / "report"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SMTEXT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing; run with SMTEXT_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(7)
    n = 500
    df = pd.DataFrame({"TFP_LP": rng.normal(8.3, 1.1, n), "ROA": rng.normal(0.04, 0.06, n),
                       "Lev": rng.uniform(0.05, 0.9, n), "soe": rng.integers(0, 2, n)})
    df["Lev"] += 0.3 * df["ROA"]
    df.loc[[3, 17, 99], "ROA"] = np.nan
    return df


def test_describe_hand_computed():
    # x = [1, 2, 3, 4, 100]: mean 22, median 3, sd = sqrt(7610 / 4) (hand computation).
    df = pd.DataFrame({"x": [1.0, 2, 3, 4, 100]})
    v = describe(df, ["x"]).values.iloc[0]
    assert v["N"] == 5 and v["mean"] == 22 and v["p50"] == 3 and v["min"] == 1 and v["max"] == 100
    assert abs(v["sd"] - np.sqrt(7610 / 4)) < 1e-12


def test_describe_matches_pandas_describe(panel):
    """Expected numbers from pandas.DataFrame.describe (ddof=1, linear percentiles); tol 1e-12."""
    t = describe(panel, ["TFP_LP", "ROA", "Lev"], stats=("N", "mean", "sd", "min", "p25", "p50", "p75", "max"))
    ref = panel[["TFP_LP", "ROA", "Lev"]].describe().T
    got = t.values.set_index("variable")
    np.testing.assert_allclose(got["N"], ref["count"], rtol=0)
    for ours, theirs in [("mean", "mean"), ("sd", "std"), ("min", "min"), ("p25", "25%"),
                         ("p50", "50%"), ("p75", "75%"), ("max", "max")]:
        np.testing.assert_allclose(got[ours], ref[theirs], rtol=1e-12)
    rows = {r[0]: r[1:] for r in t.rows()}
    assert rows["ROA"][0] == "497"  # three missing values are left out ...
    assert "ROA: 3" in t.notes[-1]  # ... and the note says so


def test_describe_by_group(panel):
    t = describe(panel, ["TFP_LP"], by="soe", labels={"soe": "国有"})
    ref = panel.groupby("soe")["TFP_LP"].agg(["count", "mean", "std"])
    got = t.values.set_index("group")
    np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(got["sd"], ref["std"], rtol=1e-12)
    assert [r[0] for r in t.rows()] == ["变量名", "国有 = 0", "TFP_LP", "国有 = 1", "TFP_LP"]


def test_describe_golden_paper000_header():
    # Paper 000 Table 2 header: 变量名 样本量 均值 标准差 最小值 中位数 最大值
    df = pd.DataFrame({"DID": [0, 0, 1, 1, 0.0], "ROA": [-0.2, 0.0, 0.1, 0.05, 0.2]})
    t = describe(df, ["DID", "ROA"], title="表2 描述性统计")
    assert t.header[0] == ["变量名", "样本量", "均值", "标准差", "最小值", "中位数", "最大值"]
    check_golden("describe.md", t.to_markdown())


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlation_matches_scipy(panel, method):
    """r and p from scipy.stats.pearsonr / spearmanr on complete cases; tol 1e-10."""
    cols = ["TFP_LP", "ROA", "Lev"]
    with pytest.warns(SMWarning, match="SM605.*3 rows"):
        t = correlation_table(panel, cols, method=method)
    comp = panel[cols].dropna()
    fn = sps.pearsonr if method == "pearson" else sps.spearmanr
    vals = t.values.set_index(["var1", "var2"])
    for a in cols:
        for b in cols:
            if a == b:
                continue
            r, p = fn(comp[a], comp[b])
            assert abs(vals.loc[(a, b), "r"] - r) < 1e-10
            assert abs(vals.loc[(a, b), "p_value"] - p) < 1e-10
    # lower triangle: row 3 col 2 has stars exactly when p < thresholds
    cell = t.sections[0][2][2]
    p = vals.loc[("Lev", "ROA"), "p_value"]
    assert cell.endswith("*" * sum(p < s for s in (0.1, 0.05, 0.01))) and t.sections[0][0][2] == ""


def test_balance_statistics_against_scipy_and_hand_formula():
    """Unmatched t/p = scipy ttest_ind (pooled variance); matched with frequency weights =
    ttest_ind on rows repeated by their weight; %bias by the pstest formula by hand."""
    rng = np.random.default_rng(3)
    n = 300
    d = pd.DataFrame({"treated": np.r_[np.ones(100, int), np.zeros(200, int)],
                      "x": np.r_[rng.normal(1, 1, 100), rng.normal(0.5, 1.5, 200)]})
    d["matched"] = np.r_[np.ones(100, int), (rng.random(200) < 0.4).astype(int)]
    d["w"] = np.where(d["matched"] == 1, rng.integers(1, 4, n), 0)
    d.loc[d.treated == 1, "w"] = 1
    b = balance_statistics(d, "treated", ["x"], matched="matched", weight="w").set_index("sample")
    x1, x0 = d.loc[d.treated == 1, "x"], d.loc[d.treated == 0, "x"]
    t, p = sps.ttest_ind(x1, x0)
    assert abs(b.loc["unmatched", "t"] - t) < 1e-10 and abs(b.loc["unmatched", "p"] - p) < 1e-10
    scale = np.sqrt((x1.var() + x0.var()) / 2)
    assert abs(b.loc["unmatched", "pct_bias"] - 100 * (x1.mean() - x0.mean()) / scale) < 1e-10
    m = d[d.matched == 1]
    rep = m.loc[m.index.repeat(m["w"])]
    t_m, p_m = sps.ttest_ind(rep.loc[rep.treated == 1, "x"], rep.loc[rep.treated == 0, "x"])
    assert abs(b.loc["matched", "t"] - t_m) < 1e-9 and abs(b.loc["matched", "p"] - p_m) < 1e-9
    mc = np.average(m.loc[m.treated == 0, "x"], weights=m.loc[m.treated == 0, "w"])
    assert abs(b.loc["matched", "pct_bias"] - 100 * (x1.mean() - mc) / scale) < 1e-10


def test_balance_table_reproduces_paper000_table4_cells():
    """Published rows of paper 000 Table 4 (ROA, Cashflow; 000_cb844109a6513a7c.txt lines 464-482)."""
    frame = pd.DataFrame({
        "variable": ["ROA", "ROA", "Cashflow", "Cashflow"],
        "sample": ["unmatched", "matched", "unmatched", "matched"],
        "mean_treated": [0.05186, 0.05186, 0.06183, 0.06183],
        "mean_control": [0.03779, 0.04656, 0.04647, 0.05624],
        "pct_bias": [24.5, 9.2, 24.1, 8.8], "t": [5.42, 1.77, 5.58, 1.53],
        "p": [0.000, 0.077, 0.000, 0.127]})

    class PSM:  # the PSM result protocol: .balance
        balance = frame

    t = balance_table(PSM(), digits=5, title="表4 平衡性检验")
    assert t.header[0] == ["协变量", "未匹配U/匹配M", "处理组", "对照组", "%偏差", "t值", "p值"]
    assert t.sections[0][0] == ["ROA", "U", "0.05186", "0.03779", "24.5", "5.42", "0.000"]
    assert t.sections[0][1] == ["", "M", "0.05186", "0.04656", "9.2", "1.77", "0.077"]
    assert t.sections[0][3] == ["", "M", "0.06183", "0.05624", "8.8", "1.53", "0.127"]
    check_golden("balance.md", t.to_markdown())


def test_descriptive_tables_write_xlsx_and_docx(tmp_path, panel):
    openpyxl = pytest.importorskip("openpyxl")
    docx = pytest.importorskip("docx")
    t = describe(panel, ["TFP_LP", "Lev"])
    ws = openpyxl.load_workbook(t.save(tmp_path / "d.xlsx")).active
    assert [c.value for c in ws[1]] == t.header[0]
    assert ws.cell(row=2, column=1).value == "TFP_LP" and ws.cell(row=2, column=2).value == 500
    doc = docx.Document(t.save(tmp_path / "d.docx"))
    assert [c.text for c in doc.tables[0].rows[2].cells] == t.sections[0][1]


def test_errors(panel):
    with pytest.raises(SMError, match="SM001"):
        describe(panel, ["nope"])
    with pytest.raises(SMError, match="SM002"):
        describe(panel, ["ROA"], stats=("N", "var"))
    with pytest.raises(SMError, match="SM001"):
        balance_table(pd.DataFrame({"variable": ["x"]}))


def test_correlation_golden_and_every_format(tmp_path):
    """Lower-triangle correlation table with stars: golden Markdown, and the same cells in
    LaTeX, HTML, Excel and Word (read back)."""
    openpyxl = pytest.importorskip("openpyxl")
    docx = pytest.importorskip("docx")
    x = np.arange(12, dtype=float)
    df = pd.DataFrame({"TFP_LP": x, "ROA": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8.0],
                       "Lev": -x + [0, 1] * 6})
    t = correlation_table(df, ["TFP_LP", "ROA", "Lev"], title="表 相关系数")
    check_golden("correlation.md", t.to_markdown())
    # stars at the boundary: scipy gives p = 0.0999 for (ROA, TFP_LP) and 0.112 for (Lev, ROA)
    assert sps.pearsonr(df["TFP_LP"], df["ROA"])[1] < 0.1 < sps.pearsonr(df["ROA"], df["Lev"])[1]
    assert t.sections[0][1][1] == "0.497*" and t.sections[0][2][2] == "-0.483"
    cells = [c for row in t.sections[0] for c in row[1:] if c]
    tex, html = t.to_latex(), t.to_html()
    for c in cells:
        assert c.replace("-", "$-$") in tex and c in html
    ws = openpyxl.load_workbook(t.save(tmp_path / "c.xlsx")).active
    grid = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    doc = docx.Document(t.save(tmp_path / "c.docx"))
    dgrid = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    for row in t.sections[0]:
        assert row in dgrid and row in grid
