"""The main job (`smtext demo run`: the bundled spec ``demo``) end to end on a small demo world."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app

ARGS = ["--firms", "60", "--seed", "7", "--jobs", "2"]


@pytest.fixture(scope="module")
def job(tmp_path_factory, demo_world):
    root = tmp_path_factory.mktemp("job")
    # the world of --firms 60 --seed 7, shared with other modules (generation itself: test_ensure_world)
    (root / "world").symlink_to(demo_world(n_firms=60, seed=7), target_is_directory=True)
    res = CliRunner().invoke(app, ["--quiet", "demo", "run", "--world", str(root / "world"), "--out",
                                   str(root / "out"), *ARGS])
    assert res.exit_code == 0, res.output
    return root, res.output


def _manifest(root) -> dict:
    return json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))


def test_report_is_offline_and_shows_numbers_from_this_run(job):
    root, _ = job
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)
    truth = json.loads((root / "out" / "truth_check.json").read_text(encoding="utf-8"))
    baseline = next(t for t in truth if t.get("table") == "table3_baseline")
    assert f"{baseline['estimate']:.3f}" in html                 # the baseline coefficient of this run
    for heading in ("表3 基准回归", "图1 平行趋势检验", "图2 安慰剂检验", "PSM-DID", "N_ML", "HonestDiD", "论文004",
                    "Corpus and extraction", "TFP"):
        assert heading in html, heading


def test_tables_in_every_format(job):
    root, _ = job
    tables = root / "out" / "tables"
    for name in ("table3_baseline", "table4_balance", "table5_psm_did", "robust_estimators", "paper004_spillover"):
        for ext in ("md", "html", "tex", "xlsx", "docx"):
            assert (tables / f"{name}.{ext}").stat().st_size > 0, (name, ext)


def test_manifest_records_versions_parameters_inputs_and_truth(job):
    root, _ = job
    m = _manifest(root)
    assert m["packages"]["smtext"] and m["packages"]["pyfixest"]
    assert len(m["inputs"]["world_tables"]) == 64
    assert {s["stage"] for s in m["stages"]} >= {"panel", "corpus", "extract", "text", "tfp", "patents", "nml", "city",
                                                 "dataset", "table.table3_baseline", "figure.figure5_honest"}
    checks = {t["label"]: t for t in m["truth"]}
    assert all(t["covered"] for t in checks.values() if t["check"] == "estimate"), checks
    assert checks["Word2Vec expansion of 新质生产力"]["recall"] > 0


def test_main_job_draws_the_measurement_multiverse_without_extra_stages(job):
    """Table 6's word-frequency column under 5 TFP methods x 3 transforms: 15 variants, no measurement re-run."""
    root, _ = job
    mv = pd.read_csv(root / "out" / "multiverse.csv")
    assert len(mv) == 15 and mv["baseline"].sum() == 1 and set(mv["y"]) == {f"TFP_{m}" for m in
                                                                              ("LP", "OP", "ACF", "OLS", "FE")}
    assert _manifest(root)["multiverse"]["stages_ran"] == []
    assert (root / "out" / "figures" / "specification_curve.png").stat().st_size > 10_000


def test_each_warning_is_printed_once_with_its_count(job):
    root, output = job
    lines = [line for line in output.splitlines() if line.startswith("warning SM")]
    assert len(lines) == len(set(lines)), lines
    assert any("times]" in line for line in lines)        # repeated warnings are counted, not repeated
    assert _manifest(root)["warnings"]


def test_extraction_failures_become_missing_not_zero(job):
    root, _ = job
    out = root / "out" / "stages"
    docs = pd.read_parquet(next((out / "extract").glob("*/documents.parquet")))
    index = pd.read_parquet(next((out / "text").glob("*/firm_year_index.parquet")))
    bad = docs[docs["status"] != "ok"]
    assert len(bad) == 6
    merged = bad.merge(index, on=["stkcd", "year"], how="left")
    assert merged["smart_count"].isna().all()


def test_rerun_reuses_every_stage(job):
    root, _ = job
    res = CliRunner().invoke(app, ["--quiet", "demo", "run", "--world", str(root / "world"), "--out",
                                   str(root / "out"), *ARGS])
    assert res.exit_code == 0, res.output
    cached = {s["stage"]: s["cached"] for s in _manifest(root)["stages"]}
    assert all(cached.values()), cached


def test_report_has_paper000_tables_2_to_8_and_the_did_figures(job):
    """Tables 2-8 of paper 000, the event-study, placebo, propensity-score, robust-estimator and
    HonestDiD figures, and the Bacon summary are in the report."""
    root, _ = job
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    for heading in ("表2 描述性统计", "表3 基准回归", "表4 平衡性检验", "表5 内生性检验", "表6 稳健性检验",
                    "表7 异质性检验", "表8 中介效应检验", "Goodman-Bacon", "早处理组 vs 晚处理组"):
        assert heading in html, heading
    tables = root / "out" / "tables"
    for name in ("table2_descriptives", "table6_robustness", "table7_heterogeneity", "table8_mechanisms",
                 "table5_endogeneity"):
        assert (tables / f"{name}.md").stat().st_size > 0, name
    assert len(re.findall(r'<img [^>]*src="data:image/', html)) >= 6
    robust = next(s for s in _manifest(root)["stages"] if s["stage"] == "table.robust_estimators")
    assert {"TWFE", "did2s", "CS", "BJS", "SA"} <= set(robust["estimates"]), robust


def test_main_job_is_the_bundled_demo_spec(job):
    """One driver: `smtext demo run` gives what `smtext run demo` gives on the same world (all stages reused)."""
    root, _ = job
    res = CliRunner().invoke(app, ["--quiet", "run", "demo", "--world", str(root / "world"), "--out",
                                   str(root / "out")])
    assert res.exit_code == 0, res.output
    assert all(s["cached"] for s in _manifest(root)["stages"])


def test_ensure_world_generates_once_per_configuration(tmp_path):
    """`demo run` generates the world when the folder has none made with the asked configuration."""
    from smtext.demo import WorldConfig
    from smtext.demo.world import ensure_world

    small = WorldConfig(n_firms=20, first_year=2018, last_year=2019, seed=3)
    assert ensure_world(tmp_path, small, jobs=1) is True
    assert ensure_world(tmp_path, small, jobs=1) is False          # same configuration: reused
    other = WorldConfig(n_firms=20, first_year=2018, last_year=2019, seed=4)
    assert ensure_world(tmp_path, other, jobs=1) is True           # another seed: regenerated
