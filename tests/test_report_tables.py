"""Regression tables: golden files for every format, stars, adapters, errors.

Golden files live in tests/golden/report/. After an intended layout change,
regenerate them with ``SMTEXT_UPDATE_GOLDEN=1 pytest tests/test_report_tables.py``
and review the diff: a golden test is what catches stars or parentheses
silently disappearing (pyfixest #1269, #1291).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from smtext.errors import SMError, SMWarning
from smtext.report.tables import format_number, regression_table, star_marks

GOLDEN = Path(__file__).parent / "golden" / "report"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SMTEXT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing; run with SMTEXT_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


class FakeResult:
    """A result following the shared protocol, with hand-chosen numbers."""

    def __init__(self, est, se, p, *, nobs, r2=None, r2_within=None, adj_r2=None, depvar="y",
                 fe=(), controls=(), vcov_label="cluster: stkcd", extra=None, df=None):
        self._t = pd.DataFrame({"estimate": est, "std_error": se})
        self._t["t_value"] = self._t["estimate"] / self._t["std_error"]
        self._t["p_value"] = pd.Series(p)
        self._t["ci_low"] = self._t["estimate"] - 1.96 * self._t["std_error"]
        self._t["ci_high"] = self._t["estimate"] + 1.96 * self._t["std_error"]
        self.nobs, self.r2, self.r2_within, self.adj_r2 = nobs, r2, r2_within, adj_r2
        self.depvar, self.fe, self.controls = depvar, fe, controls
        self.vcov_label, self.extra = vcov_label, extra or {}

    def tidy(self):
        return self._t.copy()


def paper000_table3_results():
    """Paper 000, Table 3 (基准回归): published coefficients and t values.

    The source prints t statistics; we rebuild SEs as b / t and p values from the
    normal distribution (N ~ 23,000, so t(df) and normal agree to 4 decimals).
    """
    def res(coefs, tvals, **kw):
        est = pd.Series(coefs)
        se = est / pd.Series(tvals)
        p = pd.Series(2 * sps.norm.sf(np.abs(pd.Series(tvals))), index=est.index)
        return FakeResult(est, se, p, **kw)

    m1 = res({"DID": 0.407, "_cons": 8.153}, {"DID": 10.08, "_cons": 498.97},
             nobs=22959, r2=0.0085, depvar="TFP_LP")
    m2 = res({"DID": 0.377, "_cons": 8.337}, {"DID": 7.39, "_cons": 9904.33},
             nobs=22959, r2=0.00421, depvar="TFP_LP", fe=("id", "year"))
    ctrl = {"ROA": (1.176, 11.00), "Cashflow": (1.103, 12.51), "FIXED": (-1.919, -14.59),
            "TobinQ": (-0.0604, -8.38), "Lev": (1.326, 15.51), "Growth": (0.177, 15.51),
            "INST": (0.388, 4.18)}
    m3 = res({"DID": 0.342, **{k: v[0] for k, v in ctrl.items()}, "_cons": 8.002},
             {"DID": 6.97, **{k: v[1] for k, v in ctrl.items()}, "_cons": 129.03},
             nobs=22929, r2=0.240, depvar="TFP_LP", fe=("id", "year"), controls=tuple(ctrl))
    return [m1, m2, m3]


def demo_results():
    """Three columns with p values on and around every star threshold."""
    idx = ["DID", "ROA", "Lev", "_cons"]
    m1 = FakeResult(pd.Series([0.5, np.nan, np.nan, 1.25], index=idx).dropna(),
                    pd.Series([0.1, np.nan, np.nan, 0.5], index=idx).dropna(),
                    pd.Series([0.0099, np.nan, np.nan, 0.0100], index=idx).dropna(),
                    nobs=1000, r2=0.1234, depvar="tfp")
    m2 = FakeResult(pd.Series([0.4, -0.02, 0.3, 1.0], index=idx), pd.Series([0.2, 0.01, 0.2, 0.4], index=idx),
                    pd.Series([0.0499, 0.05, 0.0999, 0.1], index=idx), nobs=990, r2=0.5, r2_within=0.2,
                    depvar="tfp", fe=("stkcd", "year"), controls=("ROA", "Lev"))
    m3 = FakeResult(pd.Series([-0.000181, 0.01], index=["DID", "ROA"]), pd.Series([0.00005, 0.02], index=["DID", "ROA"]),
                    pd.Series([0.0003, 0.6], index=["DID", "ROA"]), nobs=12345, r2=0.3,
                    depvar="pat", fe=("stkcd", "industry^year"), controls=("ROA",),
                    vcov_label="hetero", extra={"KP rk Wald F": 35.2, "匹配方法": "1:1 NN"})
    return [m1, m2, m3]


LABELS = {"tfp": "全要素生产率", "pat": "专利", "DID": "智能制造试点", "_cons": "常数项",
          "stkcd": "企业", "year": "年份", "industry": "行业"}


def demo_table(**kw):
    args = dict(labels=LABELS, column_groups=[("基准", 2), ("专利", 1)],
                column_titles=["OLS", "TWFE", "TWFE"], stats=("nobs", "r2", "r2_within"),
                title="表3 基准回归")
    args.update(kw)
    return regression_table(demo_results(), **args)


# -- stars and numbers ----------------------------------------------------------------
@pytest.mark.parametrize("p,expected", [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"),
                                        (0.0999, "*"), (0.1, ""), (0.5, ""), (float("nan"), "")])
def test_star_thresholds_are_strict(p, expected):
    # Stata esttab convention: a star when p is strictly below the threshold.
    assert star_marks(p, (0.1, 0.05, 0.01)) == expected


def test_custom_stars_in_cells_and_note():
    t = regression_table(demo_results()[:2], stars=(0.05, 0.01, 0.001), language="en")
    cells = t.values.set_index(["column", "term"])["stars"]
    assert cells[(1, "DID")] == "**"      # p = 0.0099 < 0.01 but not < 0.001
    assert cells[(2, "DID")] == "*"       # p = 0.0499
    assert cells[(2, "_cons")] == ""      # p = 0.1
    assert "*** p<0.001, ** p<0.01, * p<0.05." in t.notes[-1]


def test_no_stars_option():
    t = regression_table(demo_results()[:1], stars=None)
    assert "*" not in t.to_markdown()


def test_bad_stars_raise():
    with pytest.raises(SMError, match="SM608"):
        regression_table(demo_results(), stars=(0.1, 1.5))


def test_format_number_never_prints_fake_zero():
    assert format_number(0.000181) == "0.000181"
    assert format_number(-0.0604, 3) == "-0.060"
    assert format_number(-0.0001) == "-0.0001"
    assert format_number(-0.0) == "0.000"
    assert format_number(None) == ""


# -- golden files, every format ----------------------------------------------------------
def test_golden_markdown():
    check_golden("regression.md", demo_table().to_markdown())


def test_golden_latex():
    tex = demo_table(label="tab:baseline").to_latex()
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"\cmidrule(lr){2-3}" in tex
    check_golden("regression.tex", tex)


def test_golden_html():
    check_golden("regression.html", demo_table().to_html())


def test_golden_english_t_values():
    check_golden("regression_en_t.md", demo_table(language="en", stat="t", column_groups=None,
                                                  labels=None).to_markdown())


def test_golden_xlsx_readback(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    t = demo_table()
    path = t.save(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    grid = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    check_golden("regression.xlsx.json", json.dumps(grid, ensure_ascii=False, indent=0) + "\n")
    # a person sees a real table: merged group header, N as numbers, bold header
    assert "B2:C2" in {str(r) for r in ws.merged_cells.ranges}
    n_row = next(r for r in ws.iter_rows() if r[0].value == "观测值")
    assert [c.value for c in n_row[1:]] == [1000, 990, 12345]


def test_golden_docx_readback(tmp_path):
    docx = pytest.importorskip("docx")
    t = demo_table()
    path = t.save(tmp_path / "t.docx")
    doc = docx.Document(path)
    assert len(doc.tables) == 1  # a real Word table, not an image
    table = doc.tables[0]
    grid = [[c.text for c in row.cells] for row in table.rows]
    paras = [p.text for p in doc.paragraphs if p.text]
    check_golden("regression.docx.json",
                 json.dumps({"table": grid, "paragraphs": paras}, ensure_ascii=False, indent=0) + "\n")
    assert grid[0][1] == grid[0][2] == "基准"  # merged cell spans columns 1-2


def test_golden_files_agree_across_formats():
    """Every format shows the same cells: the Markdown rows appear in the Excel golden grid."""
    xlsx = json.loads((GOLDEN / "regression.xlsx.json").read_text(encoding="utf-8"))
    body = demo_table().rows()
    # Excel stores N as numbers (1000), the text formats print 1,000.
    flat = [[c.replace(",", "") for c in r] for r in xlsx]
    for row in body[1:]:  # group row differs only in merged-cell blanks
        assert [c.replace(",", "") for c in row] in flat


# -- content checks ---------------------------------------------------------------------
def test_demo_table_content():
    t = demo_table()
    rows = {r[0]: r[1:] for r in t.rows() if r[0]}
    assert rows["智能制造试点"] == ["0.500***", "0.400**", "-0.000181***"]
    assert rows["常数项"] == ["1.250**", "1.000", ""]
    assert rows["控制变量"] == ["否", "是", "是"]
    assert rows["企业固定效应"] == ["否", "是", "是"]
    assert rows["年份固定效应"] == ["否", "是", "否"]
    assert rows["行业×年份固定效应"] == ["否", "否", "是"]
    assert rows["观测值"] == ["1,000", "990", "12,345"]
    assert rows["R²"] == ["0.123", "0.500", "0.300"]
    assert rows["组内R²"] == ["", "0.200", ""]
    assert rows["KP rk Wald F"] == ["", "", "35.200"]
    assert rows["匹配方法"] == ["", "", "1:1 NN"]
    assert "ROA" not in rows and "Lev" not in rows  # controls hidden behind the 控制变量 row
    note = t.notes[-1]
    assert "(1)-(2) cluster: stkcd; (3) hetero" in note
    assert "*、**、***分别表示在10%、5%、1%的水平上显著" in note


def test_paper000_table3_layout_reproduces_published_cells():
    """Paper 000 Table 3: t in parentheses, stars at 0.05/0.01/0.001, control coefficients shown.

    Expected strings are copied from the published table (000_cb844109a6513a7c.txt,
    lines 387-440); only 3-decimal coefficients are compared because the paper
    prints TobinQ with 4 significant digits.
    """
    t = regression_table(paper000_table3_results(), stat="t", stars=(0.05, 0.01, 0.001),
                         show_controls=True, language="en", fe_rows=("id", "year"),
                         labels={"id": "id", "year": "year"}, stats=("nobs", "r2"))
    rows = t.rows()
    by_label = {}
    for i, r in enumerate(rows):
        if r[0] and i + 1 < len(rows):
            by_label[r[0]] = (r[1:], rows[i + 1][1:])
    assert by_label["DID"] == (["0.407***", "0.377***", "0.342***"], ["(10.08)", "(7.39)", "(6.97)"])
    assert by_label["ROA"] == (["", "", "1.176***"], ["", "", "(11.00)"])
    assert by_label["FIXED"] == (["", "", "-1.919***"], ["", "", "(-14.59)"])
    assert by_label["Lev"] == (["", "", "1.326***"], ["", "", "(15.51)"])
    assert by_label["INST"] == (["", "", "0.388***"], ["", "", "(4.18)"])
    assert by_label["_cons"][1] == ["(498.97)", "(9904.33)", "(129.03)"]
    assert rows[[r[0] for r in rows].index("id FE")][1:] == ["No", "Yes", "Yes"]
    assert rows[[r[0] for r in rows].index("N")][1:] == ["22,959", "22,959", "22,929"]
    assert [r[0] for r in rows].index("_cons") > [r[0] for r in rows].index("INST")  # constant last
    assert "Controls" not in [r[0] for r in rows]
    check_golden("paper000_table3.md", t.to_markdown())


# -- adapters against independent implementations ---------------------------------------------
@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(20240610)
    n_firm, n_year = 60, 8
    df = pd.DataFrame({"stkcd": np.repeat([f"{600000 + i:06d}" for i in range(n_firm)], n_year),
                       "year": np.tile(np.arange(2012, 2012 + n_year), n_firm)})
    df["DID"] = ((rng.random(n_firm) < 0.4).repeat(n_year) & (df["year"] >= 2016)).astype(int)
    df["ROA"] = rng.normal(size=len(df))
    df["tfp"] = 0.3 * df["DID"] + 0.2 * df["ROA"] + rng.normal(size=len(df))
    df["exporter"] = (df["tfp"] + rng.normal(size=len(df)) > 0).astype(int)
    return df


def test_pyfixest_adapter_matches_statsmodels(panel):
    """A raw pyfixest Feols column shows the numbers statsmodels computes independently.

    Expected: statsmodels OLS with cluster-robust SEs (CR1, G/(G-1)(N-1)/(N-K)) and
    t(G-1) inference, which is what pyfixest's CRV1 reports; tolerance 1e-8 relative.
    """
    pf = pytest.importorskip("pyfixest")
    import statsmodels.formula.api as smf

    groups = panel["stkcd"].astype("category").cat.codes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("tfp ~ DID + ROA", panel, vcov={"CRV1": "stkcd"})
    ref = smf.ols("tfp ~ DID + ROA", panel).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                                use_t=True)
    t = regression_table([m], digits=4, stat="se")
    vals = t.values.set_index("term")
    np.testing.assert_allclose(vals.loc[["Intercept", "DID", "ROA"], "estimate"], ref.params.values, rtol=1e-8)
    np.testing.assert_allclose(vals.loc[["Intercept", "DID", "ROA"], "std_error"], ref.bse.values, rtol=1e-8)
    np.testing.assert_allclose(vals.loc[["Intercept", "DID", "ROA"], "p_value"], ref.pvalues.values, rtol=1e-6)
    rows = {r[0]: r[1:] for r in t.rows() if r[0]}
    expected_stars = star_marks(float(ref.pvalues["DID"]), (0.1, 0.05, 0.01))
    assert rows["DID"] == [f"{ref.params['DID']:.4f}{expected_stars}"]
    assert rows["R²"] == [f"{ref.rsquared:.4f}"]
    assert rows["观测值"] == [f"{int(ref.nobs):,}"]
    assert "CRV1 cluster: stkcd" in t.notes[-1]


def test_pyfixest_fixed_effects_rows_and_within_r2(panel):
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m1 = pf.feols("tfp ~ DID", panel, vcov={"CRV1": "stkcd"})
        m2 = pf.feols("tfp ~ DID + ROA | stkcd + year", panel, vcov={"CRV1": "stkcd"})
        m3 = pf.fepois("exporter ~ DID | stkcd", panel, vcov="hetero")
    t = regression_table([m1, m2, m3], controls=["ROA"], stats=("nobs", "r2", "r2_within"),
                         labels={"stkcd": "企业", "year": "年份"})
    rows = {r[0]: r[1:] for r in t.rows() if r[0]}
    assert rows["企业固定效应"] == ["否", "是", "是"]
    assert rows["年份固定效应"] == ["否", "是", "否"]
    assert rows["控制变量"] == ["否", "是", "否"]
    # within R2 from pyfixest itself; the Poisson column has none and prints empty
    assert rows["组内R²"] == ["", f"{m2._r2_within:.3f}", ""]
    assert rows["R²"][2] == ""
    np.testing.assert_allclose(t.values.query("column == 2 and term == 'DID'")["estimate"],
                               m2.coef()["DID"], rtol=1e-12)



def test_adjusted_r2_row_equals_statsmodels(panel):
    """The adj. R2 row prints the model's adjusted R2: statsmodels' rsquared_adj for the same
    OLS (independent), and the within/adjusted pair of an FE model from pyfixest itself."""
    pf = pytest.importorskip("pyfixest")
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m1 = pf.feols("tfp ~ DID + ROA", panel, vcov={"CRV1": "stkcd"})
        m2 = pf.feols("tfp ~ DID + ROA | stkcd + year", panel, vcov={"CRV1": "stkcd"})
    ref = smf.ols("tfp ~ DID + ROA", panel).fit()
    t = regression_table([m1, m2], stats=("nobs", "r2", "adj_r2"), digits=4, language="en")
    rows = {r[0]: r[1:] for r in t.rows() if r[0]}
    assert rows["Adj. R2"][0] == f"{ref.rsquared_adj:.4f}"
    assert rows["Adj. R2"][1] == f"{m2._adj_r2:.4f}" and m2._adj_r2 != ref.rsquared_adj

def test_statsmodels_logit_column(panel):
    import statsmodels.formula.api as smf

    res = smf.logit("exporter ~ DID + ROA", panel).fit(disp=0)
    t = regression_table([res], stats=("nobs", "pseudo_r2"), language="en")
    rows = {r[0]: r[1:] for r in t.rows() if r[0]}
    assert rows["Pseudo R2"] == [f"{res.prsquared:.3f}"]
    assert rows["Variables"] == ["exporter"]
    assert rows["N"] == [f"{int(res.nobs):,}"]


# -- errors -----------------------------------------------------------------------------
def test_unknown_object_raises_sm601():
    with pytest.raises(SMError, match="SM601"):
        regression_table([object()])


def test_bad_option_raises_sm002():
    with pytest.raises(SMError, match="SM002.*stat"):
        regression_table(demo_results(), stat="ci")


def test_unknown_extension_raises_sm603(tmp_path):
    with pytest.raises(SMError, match="SM603"):
        demo_table().save(tmp_path / "t.pdf")


def test_group_spans_must_match(tmp_path):
    with pytest.raises(SMError, match="SM606"):
        regression_table(demo_results(), column_groups=[("a", 2)])


def test_keep_unknown_term_warns():
    with pytest.warns(SMWarning, match="SM604"):
        t = regression_table(demo_results(), keep=["DID", "nope"])
    assert [r[0] for r in t.sections[0] if r[0]] == ["DID"]


def test_save_all_text_formats(tmp_path):
    t = demo_table()
    for ext in ("md", "tex", "html"):
        p = t.save(tmp_path / f"t.{ext}")
        assert "0.500***" in p.read_text(encoding="utf-8")


def test_office_files_are_byte_identical_across_runs(tmp_path):
    """Same table -> same .xlsx/.docx bytes (fixed zip and document timestamps)."""
    pytest.importorskip("openpyxl")
    pytest.importorskip("docx")
    import time

    t = demo_table()
    first = [t.save(tmp_path / "a" / f"t.{e}").read_bytes() for e in ("xlsx", "docx")]
    time.sleep(1.1)  # zip timestamps have 2-second resolution; cross a boundary
    second = [t.save(tmp_path / "b" / f"t.{e}").read_bytes() for e in ("xlsx", "docx")]
    assert first == second


def test_p_values_in_parentheses_and_intercept_position():
    t = regression_table(demo_results()[:2], stat="p", intercept="first", language="en")
    body = [r[0] for r in t.sections[0] if r[0]]
    assert body[0] == "_cons"
    assert t.sections[0][1][1:] == ["(0.010)", "(0.100)"]  # p of _cons: 0.0100, 0.1
    assert "p values in parentheses" in t.notes[-1]
    t = regression_table(demo_results()[:2], intercept="drop")
    assert "_cons" not in [r[0] for r in t.sections[0]]
