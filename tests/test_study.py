"""Study specs executed end to end (smtext.study) on a small generated demo world.

One 80-firm world (about 15 s to generate) is shared by the module; the first
paper-000 run (about 20 s) fills the stage cache that later tests reuse.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.study import loads, run_study

pytestmark = pytest.mark.slow   # paper 000 end to end (make test keeps the demo spec, which holds its tables, in test_main_job)

SPEC000 = (resources.files("smtext.study.specs") / "paper000.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=80, seed=7)


@pytest.fixture(scope="module")
def run000(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("out000")
    return run_study(loads(SPEC000, source="paper000.yaml"), world, out)


def _md_columns(path) -> int:
    """Number of model columns of a Markdown regression table (the '(k)' header row)."""
    header = next(line for line in path.read_text(encoding="utf-8").splitlines() if "(1)" in line)
    return len(re.findall(r"\(\d+\)", header))


def test_paper000_writes_every_table_and_figure_in_paper_layout(run000):
    out = run000.out
    # column counts of the paper's tables (000_cb844109a6513a7c.txt, Tables 3, 5, 6, 8)
    expected = {"table3_baseline": 3, "table5_endogeneity": 5, "table6_robustness": 7, "table8_mechanisms": 6}
    for name, k in expected.items():
        assert _md_columns(out / "tables" / f"{name}.md") == k, name
        for fmt in ("html", "tex", "xlsx", "docx"):
            assert (out / "tables" / f"{name}.{fmt}").stat().st_size > 0
    # Table 7 has up to 7 groups; a small world may lack treated firms in a group, which is then named in a note
    het = (out / "tables" / "table7_heterogeneity.md").read_text(encoding="utf-8")
    assert 2 <= _md_columns(out / "tables" / "table7_heterogeneity.md") <= 7
    assert "国有企业" in het
    assert (out / "tables" / "table4_balance.md").exists()
    assert (out / "tables" / "table2_descriptives.md").exists()
    for fig in ("figure1_pscore", "figure2_event_study", "figure3_placebo"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000
    html = run000.report.read_text(encoding="utf-8")
    for title in ("表3 基准回归分析", "表4 平衡性检验", "表5 内生性检验", "表8 中介效应检验", "图3 安慰剂检验图"):
        assert title in html
    panel = pd.read_parquet(out / "panel.parquet")
    dta = pd.read_stata(out / "panel.dta")
    assert len(dta) == len(panel) and (panel["exporter"] == 1).all()


def test_paper000_baseline_matches_pyfixest_and_covers_truth(run000, world):
    import pyfixest as pf

    panel = pd.read_parquet(run000.out / "panel.parquet")
    est = pd.read_csv(run000.stage_dir("table.table3_baseline") / "estimates.csv")
    full = est[(est["column"] == 3) & (est["term"] == "DID")].iloc[0]
    # independent fit: pyfixest feols with firm and year FE, firm clusters (the paper's column 3)
    controls = "ROA + INST + Lev + Cashflow + FIXED + TobinQ + Growth"
    ref = pf.feols(f"TFP_LP ~ DID + {controls} | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    assert full["estimate"] == pytest.approx(ref.coef()["DID"], abs=1e-8)
    assert full["std_error"] == pytest.approx(ref.se()["DID"], rel=1e-6)
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))["effects"]["tfp"]["att_treated_post"]
    check = json.loads((run000.out / "truth_check.json").read_text(encoding="utf-8"))[0]
    assert check["planted"] == truth
    assert check["ci_low"] <= truth <= check["ci_high"], check
    assert check["covered"] is True


def test_paper000_robustness_columns_as_the_paper_prints_them(run000):
    """Table 6 columns 4, 5 and 7 and Table 8's Pat against pyfixest fits written out here."""
    import numpy as np
    import pyfixest as pf

    panel = pd.read_parquet(run000.out / "panel.parquet")
    est = pd.read_csv(run000.stage_dir("table.table6_robustness") / "estimates.csv")
    controls = "ROA + INST + Lev + Cashflow + FIXED + TobinQ + Growth"

    def cell(col, term):
        return est[(est["column"] == col) & (est["term"] == term)].iloc[0]["estimate"]

    # (4) the total keyword count (所有关键词在年报中出现的总次数), firm and year FE
    ref = pf.feols(f"TFP_LP ~ smart_count + {controls} | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    assert cell(4, "smart_count") == pytest.approx(ref.coef()["smart_count"], abs=1e-8)
    # (5) Poisson of TFP_LP itself with firm and year FE
    ref = pf.fepois(f"TFP_LP ~ DID + {controls} | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    assert cell(5, "DID") == pytest.approx(ref.coef()["DID"], rel=1e-6)
    # (7) industry FE in place of firm FE (industry never changes within a demo firm), year FE kept
    ref = pf.feols(f"TFP_LP ~ DID + {controls} | industry + year", data=panel, vcov={"CRV1": "stkcd"})
    assert cell(7, "DID") == pytest.approx(ref.coef()["DID"], abs=1e-8)
    # Table 8: Pat = ln(1 + applications of every patent type), at least the invention count
    # (winsorized at 1%/99% over the analysis sample, as the paper treats every continuous variable)
    hand = np.log1p(panel["n_applications"])
    lo, hi = np.quantile(hand.dropna(), [0.01, 0.99])
    assert np.allclose(panel["Pat"], hand.clip(lo, hi))
    assert (panel["n_applications"] >= panel["n_invention"]).all() and (panel["n_applications"] > panel["n_invention"]).any()


def test_rerun_is_fully_cached(run000, world):
    again = run_study(loads(SPEC000, source="paper000.yaml"), world, run000.out)
    assert again.ran() == []


def test_remeasuring_one_variable_reruns_only_its_tables(run000, world):
    # dropping the negation filter changes the smart-manufacturing word counts (smart_count) only:
    # text and dataset re-run, and of the tables only Table 6 (which uses smart_count) is re-estimated
    text = SPEC000.replace("filters: [negation]", "filters: []")
    assert text != SPEC000
    res = run_study(loads(text, source="paper000.yaml"), world, run000.out)
    assert set(res.ran()) == {"text", "dataset", "table.table6_robustness"}
    # and a table's own options re-run that table alone
    text2 = SPEC000.replace("title: 表8 中介效应检验", "title: 表8 机制检验")
    res = run_study(loads(text2, source="paper000.yaml"), world, run000.out)
    assert res.ran() == ["table.table8_mechanisms"]


def test_column_typo_names_the_spec_line(run000, world):
    lines = SPEC000.splitlines()
    k = next(i for i, line in enumerate(lines) if "- {y: Humcap, controls: main}" in line)
    lines[k] = lines[k].replace("Humcap", "Humcapp")
    with pytest.raises(SMError) as info:
        run_study(loads("\n".join(lines) + "\n", source="paper000.yaml"), world, run000.out)
    assert info.value.code == "SM704"
    assert f"paper000.yaml:{k + 1}:" in str(info.value) and "'Humcap'" in str(info.value)


def test_paper000_prints_its_tables_as_the_paper_does(run000):
    """Table 3 of 000_cb844109a6513a7c.txt: control coefficients, _cons, stars at 5/1/0.1%, r2 (within for
    FE columns), each column on its own complete cases; Table 1 variable definitions; TFP_GMM in Table 6."""
    import pyfixest as pf

    out = run000.out
    t3 = (out / "tables" / "table3_baseline.md").read_text(encoding="utf-8")
    for row in ("常数项", "ROA", "Growth", "5%、1%、0.1%", "论文未说明聚类层级，此处按企业聚类（smtext 的选择）"):
        assert row in t3, row
    panel = pd.read_parquet(out / "panel.parquet")
    est = pd.read_csv(run000.stage_dir("table.table3_baseline") / "estimates.csv")
    # column 3's constant is reghdfe's: mean(y) - mean(X) b on the estimation sample (independent pyfixest fit)
    ctrl = ["ROA", "INST", "Lev", "Cashflow", "FIXED", "TobinQ", "Growth"]
    ref = pf.feols(f"TFP_LP ~ DID + {' + '.join(ctrl)} | stkcd + year", data=panel, vcov={"CRV1": "stkcd"})
    rows = panel.dropna(subset=["TFP_LP", "DID", *ctrl])
    cons = rows["TFP_LP"].mean() - rows[["DID", *ctrl]].mean() @ ref.coef()[["DID", *ctrl]]
    c3 = est[(est["column"] == 3) & (est["term"] == "_cons")].iloc[0]
    assert c3["estimate"] == pytest.approx(cons, abs=1e-8)
    assert (est.groupby("column")["nobs"].first().to_numpy() == [
        panel[["TFP_LP", "DID"]].dropna().shape[0]] * 2 + [len(rows)]).all()   # per-column samples
    # sample rules of section 3.1: winsorized continuous columns, ST firm-years dropped
    ds = {s["stage"]: s for s in run000.stages}["dataset"]
    assert "TFP_LP" in ds["winsorized"]["columns"] and "ESG" not in ds["winsorized"]["columns"]
    steps = pd.read_csv(run000.stage_dir("panel") / "sample_steps.csv")
    assert steps["step"].str.contains("ST / financial").any() and not steps["step"].str.contains("ever").any()
    t1 = (out / "tables" / "table1_definitions.md").read_text(encoding="utf-8")
    assert "LP 法计算" in t1 and "变量定义" in t1
    assert "TFP_GMM" in (out / "tables" / "table6_robustness.md").read_text(encoding="utf-8")
    placebo = {s["stage"]: s for s in run000.stages}["figure.figure3_placebo"]
    assert placebo["draws"] == 1000 and placebo["mode"] == "firms"
