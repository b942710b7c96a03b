"""Paper 000's Tables 2-8 laid out from raw pyfixest models, assembled into the HTML report.

This is the layout the main job's report must show (issue 10, "done when"):
descriptive statistics (Table 2), progressive baseline columns with t values
(Table 3), a PSM balance table (Table 4), PSM-DID / IV first and second stage /
lagged DID with grouped headers and first-stage F (Table 5), robustness with
other outcomes, Poisson and an industry FE row (Table 6), heterogeneity
(Table 7) and mechanism columns (Table 8). The data are synthetic (seeded);
the test checks layout and that cells equal the models' own numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.report import (
    Figure,
    Section,
    balance_statistics,
    balance_table,
    build_report,
    describe,
    event_study_plot,
    regression_table,
)

pf = pytest.importorskip("pyfixest")

CONTROLS = ["ROA", "Lev"]
LABELS = {"tfp": "TFP_LP", "tfp_op": "TFP_OP", "Intercept": "_cons", "stkcd": "id", "year": "year",
          "industry": "industry", "L1_DID": "L.DID", "L2_DID": "L2.DID", "z": "数字普惠金融指数"}
STARS = (0.05, 0.01, 0.001)  # paper 000 uses these thresholds


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(2025)
    n_firm, years = 150, np.arange(2011, 2021)
    firms = pd.DataFrame({"stkcd": [f"{i:06d}" for i in range(1, n_firm + 1)],
                          "industry": rng.integers(1, 6, n_firm), "soe": rng.integers(0, 2, n_firm),
                          "cohort": rng.choice([0, 0, 0, 2015, 2016, 2017, 2018], n_firm),
                          "alpha": rng.normal(8, 0.8, n_firm)})
    df = firms.merge(pd.DataFrame({"year": years}), how="cross")
    df["DID"] = ((df["cohort"] > 0) & (df["year"] >= df["cohort"])).astype(int)
    df["ROA"] = rng.normal(0.04, 0.06, len(df))
    df["Lev"] = rng.uniform(0.05, 0.9, len(df))
    df["z"] = 0.5 * df["DID"] + rng.normal(size=len(df))
    df["tfp"] = df["alpha"] + 0.3 * df["DID"] + 1.2 * df["ROA"] + 0.01 * (df["year"] - 2011) \
        + rng.normal(0, 0.4, len(df))
    df["tfp_op"] = df["tfp"] - 1.8 + rng.normal(0, 0.2, len(df))
    df["Pat"] = rng.poisson(np.exp(0.5 + 0.3 * df["DID"]))
    df = df.sort_values(["stkcd", "year"])
    for k in (1, 2):
        df[f"L{k}_DID"] = df.groupby("stkcd")["DID"].shift(k)
    df["ever"] = (df["cohort"] > 0).astype(int)
    df["matched"] = ((df["ever"] == 1) | (rng.random(len(df)) < 0.5)).astype(int)
    return df


def _fit(fml, data, method="feols", vcov=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = pf.feols if method == "feols" else pf.fepois
        return fn(fml, data, vcov=vcov or {"CRV1": "stkcd"})


@pytest.fixture(scope="module")
def tables(panel):
    ctrl = " + ".join(CONTROLS)
    fe = "stkcd + year"
    t2 = describe(panel, ["tfp", "DID", *CONTROLS], labels=LABELS, title="表2 描述性统计")
    t3 = regression_table(
        [_fit("tfp ~ DID", panel), _fit(f"tfp ~ DID | {fe}", panel), _fit(f"tfp ~ DID + {ctrl} | {fe}", panel)],
        labels=LABELS, stat="t", stars=STARS, show_controls=True, title="表3 基准回归分析")
    t4 = balance_table(balance_statistics(panel, "ever", CONTROLS, matched="matched"), labels=LABELS,
                       title="表4 平衡性检验")
    first = _fit(f"DID ~ z + {ctrl} | {fe}", panel)
    iv = _fit(f"tfp ~ {ctrl} | {fe} | DID ~ z", panel)
    f_first = float(first.tstat()["z"] ** 2)  # one instrument: first-stage F = t^2
    t5 = regression_table(
        [_fit(f"tfp ~ DID + {ctrl} | {fe}", panel[panel["matched"] == 1]), first, iv,
         _fit(f"tfp ~ L1_DID + {ctrl} | {fe}", panel), _fit(f"tfp ~ L2_DID + {ctrl} | {fe}", panel)],
        labels=LABELS, stat="t", stars=STARS, controls=CONTROLS, keep=["DID", "z", "L1_DID", "L2_DID"],
        column_groups=[("PSM-DID", 1), ("工具变量法", 2), ("滞后解释变量", 2)],
        column_titles=["", "第一阶段", "第二阶段", "解释变量滞后一期", "解释变量滞后二期"],
        extra_rows={"第一阶段F值": [None, f_first, None, None, None]}, title="表5 内生性检验")
    t6 = regression_table(
        [_fit(f"tfp_op ~ DID + {ctrl} | {fe}", panel), _fit(f"Pat ~ DID + {ctrl} | {fe}", panel, "fepois"),
         _fit(f"tfp ~ DID + {ctrl} | {fe} + industry", panel)],
        labels=LABELS, stat="t", stars=STARS, controls=CONTROLS,
        column_groups=[("替换被解释变量", 1), ("更换回归模型", 1), ("更换固定效应", 1)],
        column_titles=["TFP_OP", "泊松回归", "TFP_LP"], show_depvar=False, title="表6 稳健性检验")
    subs = [("国有企业", panel["soe"] == 1), ("非国有企业", panel["soe"] == 0)]
    t7 = regression_table([_fit(f"tfp ~ DID + {ctrl} | {fe}", panel[m]) for _, m in subs],
                          labels=LABELS, stat="t", stars=STARS, controls=CONTROLS,
                          column_titles=[n for n, _ in subs], title="表7 异质性检验")
    t8 = regression_table([_fit(f"tfp ~ DID + {ctrl} | {fe}", panel), _fit(f"Pat ~ DID + {ctrl} | {fe}", panel)],
                          labels=LABELS, stat="t", stars=STARS, controls=CONTROLS,
                          column_groups=[("创新水平", 2)], title="表8 中介效应检验")
    return {"t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6, "t7": t7, "t8": t8,
            "first": first, "iv": iv, "f_first": f_first}


def _rows(t):
    return {r[0]: r[1:] for r in t.rows() if r[0]}


def test_table5_layout(tables):
    t5 = tables["t5"]
    grid = t5.rows()
    assert grid[0] == ["", "PSM-DID", "工具变量法", "", "滞后解释变量", ""]
    assert grid[2][1:] == ["", "第一阶段", "第二阶段", "解释变量滞后一期", "解释变量滞后二期"]
    assert grid[3][1:] == ["TFP_LP", "DID", "TFP_LP", "TFP_LP", "TFP_LP"]
    rows = _rows(t5)
    # the instrument only in the first stage, the instrumented DID in PSM and 2SLS columns
    assert rows["数字普惠金融指数"][0] == "" and rows["数字普惠金融指数"][1] != ""
    assert rows["DID"][1] == "" and rows["DID"][2].startswith(f"{tables['iv'].coef()['DID']:.3f}")
    assert rows["L.DID"][3] != "" and rows["L2.DID"][4] != ""
    assert rows["第一阶段F值"] == ["", f"{tables['f_first']:.3f}", "", "", ""]
    assert rows["控制变量"] == ["是"] * 5
    assert rows["id固定效应"] == ["是"] * 5
    assert "*、**、***分别表示在5%、1%、0.1%的水平上显著" in t5.notes[-1]
    assert "括号内为t值" in t5.notes[-1]


def test_table6_industry_fe_and_poisson(tables):
    rows = _rows(tables["t6"])
    assert rows["industry固定效应"] == ["否", "否", "是"]
    assert rows["R²"][1] == ""  # Poisson has no R2
    assert tables["t6"].header[-1][1:] == ["TFP_OP", "泊松回归", "TFP_LP"]


def test_table3_progressive_columns(tables):
    rows = _rows(tables["t3"])
    assert rows["id固定效应"] == ["否", "是", "是"]
    assert rows["ROA"][:2] == ["", ""] and rows["ROA"][2] != ""
    assert "控制变量" not in rows  # paper 000 Table 3 prints the control coefficients instead


def test_html_report_with_tables_2_to_8(tables, tmp_path, panel):
    ev = pd.DataFrame({"rel_time": [-3, -2, 0, 1, 2], "estimate": [0.0, 0.01, 0.2, 0.3, 0.3],
                       "ci_low": [-0.1, -0.1, 0.1, 0.2, 0.2], "ci_high": [0.1, 0.1, 0.3, 0.4, 0.4]})
    sections = [Section(tables[k].title, [tables[k]]) for k in ("t2", "t3", "t4", "t5", "t6", "t7", "t8")]
    sections.append(Section("图", [Figure(event_study_plot(ev), "图2 平行趋势检验")]))
    out = build_report(tmp_path / "report.html", "智能制造与出口企业全要素生产率", sections,
                       {"command": "test", "n": len(panel)})
    text = out.read_text(encoding="utf-8")
    for k in range(2, 9):
        assert f"表{k}" in text
    assert text.count("<table") == 7 and "data:image/png;base64," in text
