"""The study report: one HTML file built from the stages' own outputs, the same for every spec.

Sections, each present when the run has what it shows: overview and truth checks (demo
worlds), sample construction, corpus and extraction, measurements (TFP, N_ML, patents),
every table and figure of the spec, the run's warnings and the stage timings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..report import Html, Section, build_report
from . import multiverse


def _truth_sections(run, rows: list[dict]) -> list[Section]:
    blocks = []
    if run.inputs.exists("truth"):
        t = json.loads(run.inputs.path("truth").read_text(encoding="utf-8"))
        if {"panel", "documents", "pilots", "config"} <= set(t):
            blocks.append(f"Demo world: {t['panel']['firms']} firms, {t['panel']['firm_years']} firm-years, "
                          f"{t['documents']['annual_reports']} annual reports, {t['pilots']['listed_pilot_firms']} "
                          f"listed pilot firms among {t['pilots']['projects']} pilot projects (seed {t['config']['seed']}).")
    est = [r for r in rows if r["check"] == "estimate"]
    if est:
        blocks += ["Each checked estimate beside the effect the world planted (truth.json):",
                   pd.DataFrame(est)[["label", "planted", "estimate", "ci_low", "ci_high", "covered", "note"]]]
    for r in (r for r in rows if r["check"] == "expansion"):
        blocks.append(f"{r['label']} against the planted synonyms: precision {r['precision']:.2f}, "
                      f"recall {r['recall']:.2f}.")
    tfp = [r for r in rows if r["check"] == "tfp"]
    if tfp:
        blocks += ["Production-function elasticities beside the planted ones:",
                   pd.DataFrame(tfp)[["method", "input", "planted", "estimate", "error"]]]
    return [Section("概览 Overview", blocks)] if blocks else []


def _corpus_section(run) -> list[Section]:
    reused = run.inputs.extract_dir("annual_reports")
    if "text" in run.runner.records and reused is not None:
        docs = pd.read_parquet(reused / "documents.parquet")
        bad = docs[docs["status"] != "ok"][["path", "code", "status"]].reset_index(drop=True)
        return [Section("文本：抽取与质量 Corpus and extraction", [
            f"The annual reports were read from an existing `smtext extract` output, {reused} ({len(docs)} "
            f"documents; {len(bad)} flagged, never counted as zero):", bad])]
    if "corpus" not in run.runner.records:
        return []
    info = run.runner.records["corpus"].info
    documents = pd.read_parquet(run.stage_dir("extract") / "documents.parquet")
    failures = documents[documents["status"] != "ok"][["path", "code", "status"]].reset_index(drop=True)
    excluded = pd.read_csv(run.stage_dir("corpus") / "excluded.csv", dtype={"stkcd": str})
    return [Section("文本：抽取与质量 Corpus and extraction", [
        f"{info.get('found')} PDF files found; {info.get('kept')} annual reports kept; excluded: "
        f"{info.get('excluded_reasons')}. Extraction flagged {len(failures)} documents (never counted as zero; "
        "their firm-years are missing in the text indices):",
        failures,
        "Files left out by the corpus rules (summaries, English versions, superseded filings), by reason, and the "
        "first 15 (all of them in stages/corpus/*/excluded.csv):",
        excluded["reason"].value_counts().rename_axis("reason").reset_index(name="files"),
        excluded[["path", "reason"]].head(15),
    ])]


def _measure_sections(run) -> list[Section]:
    secs = []
    recs = run.runner.records
    if "tfp" in recs:
        secs.append(Section("全要素生产率 TFP", [
            "Production-function estimates (value added; labour free, capital state; LP/ACF proxy: cash paid for "
            "goods; OP proxy: investment):", pd.read_csv(run.stage_dir("tfp") / "coefficients.csv")]))
    if "nml" in recs:
        exp = pd.read_csv(run.stage_dir("nml") / "expansion.csv", encoding="utf-8-sig")
        secs.append(Section("新质生产力 N_ML", [
            "Word2Vec on the analyst reports (jieba with the economics user dictionary, deterministic training), seed "
            "words expanded above the similarity threshold and screened against the government work reports:",
            exp.head(30), f"N_ML defined for {recs['nml'].info.get('firm_years')} firm-years (missing where a "
                          "firm-year has no analyst report)."]))
    if "patents" in recs and recs["patents"].info.get("applicant_matches"):
        secs.append(Section("专利 Patents", [
            f"{recs['patents'].info.get('patents')} patent records; applicants matched to listed firms and "
            f"subsidiaries: {recs['patents'].info['applicant_matches']} (all matches in "
            "stages/patents/*/applicant_matches.csv)."]))
    return secs


def _pilot_section(run) -> list[Section]:
    """Pilot matching: the summary, the review file and the names pending review with their candidates."""
    from .pilots import STATUS_TEXT

    summary = run.runner.records["panel"].info.get("pilot_matching")
    if not summary:
        return []
    counts = pd.DataFrame([{"status": v, "projects": summary["projects_by_status"].get(k, 0),
                            "distinct names": summary["names_by_status"].get(k, 0)} for k, v in STATUS_TEXT.items()])
    policy = summary["review"] + (f" {summary['threshold']}" if summary.get("threshold") else "")
    blocks = [f"{summary['projects']} projects of {summary['names']} distinct applicants; {summary['listed_firms']} "
              f"listed firms treated. Names pending review have no confirmed match but a listed firm as candidate "
              f"(a similar name with cosine >= {summary['fuzzy_review']}, a name containing a listed firm's, "
              f"or an ambiguous one); policy review: {policy}.", counts,
              f"{summary['excluded_firms']} listed firms that are candidates of unconfirmed names were left out of "
              f"the sample (neither treated nor controls): {summary['excluded_stkcd']}." if summary["excluded_firms"]
              else "No listed firm was left out of the sample for an unconfirmed name.",
              f"Review file: {run.out / 'pilot_review.csv'} (fill confirmed_stkcd with a stock code or none and pass "
              "it as treatment: {overrides: FILE}); every match: pilot_matches.csv."]
    review = pd.read_csv(run.out / "pilot_review.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if len(review):
        cols = [c for c in ("name", "method", "candidate_stkcd", "candidate_name", "candidate_score", "candidate_how",
                            "candidate2_stkcd", "candidate2_score") if c in review.columns]
        blocks += ["Names pending review (the first 30):", review[cols].head(30)]
    return [Section("试点名单匹配 Pilot matching", blocks)]


def write_report(run, truth_rows: list[dict], warnings: list[dict]) -> Path:
    """Write ``OUT/report.html`` for a finished run (``run`` is the driver's run state)."""
    spec, out = run.spec, run.out
    steps = pd.read_csv(run.stage_dir("panel") / "sample_steps.csv")
    ds = run.runner.records["dataset"].info
    secs = _truth_sections(run, truth_rows)
    secs.append(Section("样本构建 Sample", [
        steps, f"分析样本：{ds.get('rows')} 个公司-年度观测，{ds.get('firms')} 家企业；"
               f"筛选条件剔除 {ds.get('dropped_by_where')} 个，缺失值剔除 {ds.get('dropped_missing')} 个。"
               + (f"连续变量缩尾（{ds['winsorized']['limits'][0]:g}/{ds['winsorized']['limits'][1]:g}）："
                  f"{len(ds['winsorized']['columns'])} 个变量，{ds['winsorized']['values_clipped']} 个取值被截断"
                  f"（{', '.join(ds['winsorized']['columns'])}）。" if ds.get("winsorized") else ""),
]))
    secs += _pilot_section(run)
    secs += _corpus_section(run) + _measure_sections(run)
    for name, entry in (spec.get("tables") or {}).items():
        blocks = [Html((out / "tables" / f"{name}.html").read_text(encoding="utf-8"))]
        info = run.runner.records[f"table.{name}"].info
        if info.get("balance_table"):
            blocks.append(Html((out / "tables" / f"{info['balance_table']}.html").read_text(encoding="utf-8")))
        if info.get("groups_skipped"):
            blocks.append(f"样本中处理组观测过少而未估计的分组：{info['groups_skipped']}")
        secs.append(Section(entry.get("title", name), blocks))
    for name, entry in (spec.get("figures") or {}).items():
        blocks = [out / "figures" / f"{name}.png"]
        info = run.runner.records[f"figure.{name}"].info
        if "pretrend_p" in info:
            blocks.append(f"Joint pre-trend test p = {info['pretrend_p']:.3f}.")
        if "placebo_p" in info:
            blocks.append(f"True estimate {info['true_estimate']:.3f}; empirical p = {info['placebo_p']:.3f}.")
        secs.append(Section(entry.get("title", name), blocks))
    secs += multiverse.report_section(run)
    if warnings:
        secs.append(Section("警告 Warnings", ["Coded warnings of this run, each once with the number of times it "
                                              "was raised:", pd.DataFrame(warnings)]))
    secs.append(Section("运行阶段 Stages", [pd.DataFrame(run.runner.timings())[["stage", "cached", "seconds"]]]))
    return build_report(out / "report.html", spec.get("title", spec.name), secs,
                        subtitle=f"spec: {spec.source}; paper: {spec.get('paper', '')}")
