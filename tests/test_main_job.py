"""The main job end to end on a small demo world: report, tables, manifest, stage cache."""

from __future__ import annotations

import json
import re

import pytest

from smtext.demo import WorldConfig
from smtext.pipeline import run_demo

CFG = WorldConfig(n_firms=60, seed=7)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    root = tmp_path_factory.mktemp("job")
    report = run_demo(root / "world", root / "out", CFG, jobs=2)
    return root, report


def test_report_is_offline_and_shows_numbers_from_this_run(job):
    root, report = job
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)
    estimates = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
    did = next(s for s in estimates["stages"] if s["stage"] == "did")
    assert f"{did['did']:.3f}" in html                       # the baseline coefficient of this run
    for heading in ("表3 基准回归", "图1 事件研究", "图2 安慰剂检验", "PSM-DID", "N_ML", "HonestDiD", "论文004"):
        assert heading in html, heading


def test_tables_in_every_format(job):
    root, _ = job
    tables = root / "out" / "tables"
    for name in ("table3_baseline", "table4_balance", "table5_psm_did", "robust_estimators", "paper004_spillover"):
        for ext in ("md", "html", "tex", "xlsx", "docx"):
            assert (tables / f"{name}.{ext}").stat().st_size > 0, (name, ext)


def test_manifest_records_versions_parameters_seeds_inputs(job):
    root, _ = job
    m = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert m["packages"]["smtext"] and m["packages"]["pyfixest"]
    assert m["seeds"]["world"] == CFG.seed
    assert len(m["inputs"]["world_truth"]) == 64
    assert {s["stage"] for s in m["stages"]} >= {"world", "corpus", "extract", "text_index", "panel", "tfp", "did",
                                                 "battery", "robust", "patents", "nml", "report"}


def test_extraction_failures_become_missing_not_zero(job):
    import pandas as pd

    root, _ = job
    out = root / "out" / "stages"
    docs = pd.read_parquet(next((out / "extract").glob("*/documents.parquet")))
    index = pd.read_parquet(next((out / "text_index").glob("*/firm_year_index.parquet")))
    bad = docs[docs["status"] != "ok"]
    assert len(bad) == 6
    merged = bad.merge(index, on=["stkcd", "year"], how="left")
    assert merged["smart_count"].isna().all()


def test_rerun_reuses_every_stage(job):
    root, _ = job
    run_demo(root / "world", root / "out", CFG, jobs=2)
    m = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
    cached = {s["stage"]: s["cached"] for s in m["stages"]}
    assert all(v for k, v in cached.items() if k != "report"), cached


def test_report_has_paper000_tables_2_to_8_and_the_did_figures(job):
    """Issues 8-10: Tables 2-8 of paper 000, the event-study, placebo, propensity-score,
    robust-estimator and HonestDiD figures, and the Bacon summary are in the report."""
    root, report = job
    html = report.read_text(encoding="utf-8")
    for heading in ("表2 描述性统计", "表3 基准回归", "表4-5 PSM-DID", "表5 内生性检验", "表6 稳健性检验",
                    "表7 异质性检验", "表8 中介效应检验", "Goodman-Bacon", "Earlier vs Later Treated"):
        assert heading in html, heading
    tables = root / "out" / "tables"
    for name in ("table2_descriptives", "table6_robustness", "table7_heterogeneity", "table8_mechanisms",
                 "table5_endogeneity"):
        assert (tables / f"{name}.md").stat().st_size > 0, name
    # figures are embedded (offline): event study, placebo, pscore, robust event studies, HonestDiD, ...
    assert len(re.findall(r'<img [^>]*src="data:image/', html)) >= 5
    robust = next(s for s in json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))["stages"]
                  if s["stage"] == "robust")
    assert {"TWFE", "did2s", "CS", "BJS", "SA"} <= set(robust), robust.keys()
