"""The last stage of the main job: assemble ``report.html`` from the other stages.

Tables come from the stages' own files (copied to ``OUT/tables``), figures are
drawn here from the stages' Parquet outputs, and every headline estimate is set
beside the effect the demo world planted (``truth.json``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from .stages import StageContext, StageRunner


def _truth(world: Path) -> dict:
    return json.loads((world / "truth.json").read_text(encoding="utf-8"))


def recovery_table(estimates: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Planted effect vs estimate (95% CI) for the headline results."""
    est = estimates.set_index(["block", "column", "term"])
    rows = []

    def add(label, block, column, planted, note):
        r = est.loc[(block, column, "DID")]
        rows.append({"result": label, "planted": planted, "estimate": r["estimate"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "covered": bool(r["ci_low"] <= planted <= r["ci_high"]), "note": note})

    att = truth["effects"]["tfp"]["att_treated_post"]
    last_base = int(est.loc["baseline"].index.get_level_values("column").max())
    add("TFP_LP, full model (Table 3 col. 3)", "baseline", last_base, att,
        "planted ATT = mean effect over treated firm-years (dynamic: base + slope x years since selection)")
    add("cash / assets (zero-effect outcome)", "other_outcomes", 1, 0.0, "no effect planted")
    return pd.DataFrame(rows)


def spillover_row(summary: dict, truth: dict) -> dict:
    """Paper 004's spillover (Poisson, log rate) beside the planted value."""
    planted = truth["effects"]["spillover_log_keytech_rate"]["value"]
    return {"result": "key-tech patents, city spillover (Poisson)", "planted": planted,
            "estimate": summary["poisson"], "ci_low": summary["ci_low"], "ci_high": summary["ci_high"],
            "covered": bool(summary["ci_low"] <= planted <= summary["ci_high"]),
            "note": "non-pilot firms in a city from the year after its first pilot announcement"}


def nml_recovery(expansion: pd.DataFrame, truth: dict) -> dict:
    """Precision and recall of the kept expansion words against the planted synonyms."""
    kept = set(expansion.loc[expansion["kept"].astype(bool) & (expansion["kind"] != "seed"), "word"])
    planted = set(truth["text"]["nqpf_synonyms"])
    tp = len(kept & planted)
    return {"precision": tp / len(kept) if kept else float("nan"), "recall": tp / len(planted)}


def _text_trend_figure(panel: pd.DataFrame):
    import matplotlib.pyplot as plt

    from .report.fonts import setup_cjk_font

    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    grp = panel.assign(group=(panel["gname"] > 0).map({True: "试点企业", False: "非试点企业"}))
    for name, g in grp.groupby("group"):
        ax.plot(*zip(*g.groupby("year")["smart_ln"].mean().items()), marker="o", label=name)
    for year in (2015, 2016, 2017, 2018):
        ax.axvline(year, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("年份")
    ax.set_ylabel("ln(1+智能制造词频)")
    ax.set_title("年报智能制造词频：试点与非试点企业")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def stage_report(world: Path, out: Path, runner: StageRunner):
    def run(ctx: StageContext) -> None:
        from .report import Figure, Html, Section, build_report, describe
        from .manifest import build_manifest

        truth = _truth(world)
        inp = ctx.inputs
        tables_dir = out / "tables"
        figures_dir = out / "figures"
        for d in (tables_dir, figures_dir):
            d.mkdir(parents=True, exist_ok=True)
        for stage in ("did", "battery", "robust", "patents", "paper000_tables"):
            for f in (inp[stage] / "tables").glob("*"):
                shutil.copy2(f, tables_dir / f.name)
        for stage in ("battery", "robust"):
            for f in (inp[stage] / "figures").glob("*.png"):
                shutil.copy2(f, figures_dir / f.name)
        robust = json.loads((inp["robust"] / "summary.json").read_text(encoding="utf-8"))
        bacon_summary = pd.read_csv(inp["robust"] / "bacon_summary.csv")
        honest_rm = pd.read_csv(inp["robust"] / "honest_rm.csv")
        battery = json.loads((inp["battery"] / "summary.json").read_text(encoding="utf-8"))
        expansion = pd.read_csv(inp["nml"] / "expansion.csv", encoding="utf-8-sig")
        nml = pd.read_parquet(inp["nml"] / "nml.parquet")

        estimates = pd.read_csv(inp["did"] / "estimates.csv")
        rec = recovery_table(estimates, truth)
        spill = json.loads((inp["patents"] / "summary.json").read_text(encoding="utf-8"))
        rec = pd.concat([rec, pd.DataFrame([spillover_row(spill, truth)])], ignore_index=True)
        rec.to_csv(tables_dir / "recovery.csv", index=False)
        panel = pd.read_parquet(inp["panel"] / "panel.parquet")
        sample = pd.read_parquet(inp["did"] / "estimation_sample.parquet")
        documents = pd.read_parquet(inp["extract"] / "documents.parquet")
        failures = documents[documents["status"] != "ok"][["path", "code", "status"]]
        excluded = pd.read_csv(inp["corpus"] / "excluded.csv", dtype={"stkcd": str})
        coefs = pd.read_csv(inp["tfp"] / "coefficients.csv")
        fig_text = _text_trend_figure(panel)
        fig_text.savefig(figures_dir / "text_trend.png", dpi=150)
        did_est = estimates[(estimates["term"] == "DID")]
        desc = describe(sample, ["TFP_LP", "DID", *[c for c in ("ROA", "INST", "Lev", "Cashflow", "FIXED", "TobinQ",
                                                                "Growth")]], title="表2 描述性统计")
        desc.save(tables_dir / "table2_descriptives.html")
        desc.save(tables_dir / "table2_descriptives.md")

        pf = truth["production_function"]
        coefs.insert(1, "true_b_l", pf["beta_l"])
        coefs.insert(2, "true_b_k", pf["beta_k"])
        stages = pd.DataFrame(runner.timings())
        html_of = lambda name: Html((tables_dir / f"{name}.html").read_text(encoding="utf-8"))  # noqa: E731
        info = runner.records
        sections = [
            Section("概览 Overview", [
                f"Demo world: {truth['panel']['firms']} firms, {truth['panel']['firm_years']} firm-years, "
                f"{truth['documents']['annual_reports']} annual reports, {truth['pilots']['listed_pilot_firms']} listed "
                f"pilot firms among {truth['pilots']['projects']} pilot projects (seed {truth['config']['seed']}).",
                "Each headline estimate beside the effect planted in truth.json:",
                rec,
                "Word2Vec expansion of 新质生产力 against the planted synonyms: precision {precision:.2f}, "
                "recall {recall:.2f}.".format(**nml_recovery(expansion, truth)),
            ]),
            Section("文本：抽取与质量 Corpus and extraction", [
                f"{info['corpus'].info.get('found')} PDF files found; {info['corpus'].info.get('kept')} annual reports kept; "
                f"excluded: {info['corpus'].info.get('excluded_reasons')}. Extraction flagged "
                f"{len(failures)} documents (never counted as zero; their firm-years are missing in the text index):",
                failures.reset_index(drop=True),
                "Files left out by the corpus rules (summaries, English versions, superseded filings), by reason, "
                "and the first 15 (all of them in stages/corpus/*/excluded.csv):",
                excluded["reason"].value_counts().rename_axis("reason").reset_index(name="files"),
                excluded[["path", "reason"]].head(15).reset_index(drop=True),
            ]),
            Section("文本指标 Text indices", [
                "Keyword indices from the annual reports (Aho-Corasick, leftmost-longest, negated mentions removed), "
                "ln(1 + count) per firm-year.",
                Figure(fig_text, "智能制造词频随时间变化（虚线：试点批次年份）"),
            ]),
            Section("全要素生产率 TFP", [
                "Production-function estimates (value added; labour free, capital state; LP/ACF proxy: cash paid for "
                "goods; OP proxy: investment) beside the true elasticities of the demo world:",
                coefs,
            ]),
            Section("表2 描述性统计", [html_of("table2_descriptives")]),
            Section("表3 基准回归", [html_of("table3_baseline")]),
            Section("表5 内生性检验", [
                "Instrument: pilot projects announced in the firm's city up to year t, the firm's own excluded "
                "(most projects go to unlisted applicants).", html_of("table5_endogeneity")]),
            Section("表6 稳健性检验", [html_of("table6_robustness"), html_of("table6_tfp_methods")]),
            Section("表7 异质性检验", [html_of("table7_heterogeneity")]),
            Section("表8 中介效应检验", [html_of("table8_mechanisms")]),
            Section("文本指标与零效应结果", [html_of("text_and_placebo_outcomes"),
                                      Figure(_did_coef_figure(did_est), "DID estimates by outcome and column")]),
            Section("图1 事件研究 Event study", [
                f"Leads and lags of the pilot (base period -1, end points binned). Joint pre-trend test p = "
                f"{battery['pretrend_p']:.3f}.", figures_dir / "event_study.png"]),
            Section("图2 安慰剂检验 Placebo", [
                f"{battery['placebo_draws']} random pseudo-treated firms and adoption years; true estimate "
                f"{battery['placebo_true']:.3f}, empirical p = {battery['placebo_p']:.3f}.", figures_dir / "placebo.png"]),
            Section("表4-5 PSM-DID", [html_of("table4_balance"), figures_dir / "pscore.png", html_of("table5_psm_did")]),
            Section("异质性稳健DID 与敏感性（论文002）", [
                f"Balanced panel of exporters observed in every year ({robust['balanced_rows']} firm-years; "
                f"{robust['balanced_firms_dropped']} firms with gaps or entry/exit left out). The planted effect "
                "grows with time since selection, so TWFE weights it unevenly; the robust estimators target the ATT. "
                + robust["dcdh_weights"]["text"] + ".",
                html_of("robust_estimators"), figures_dir / "robust_event_studies.png",
                "Goodman-Bacon decomposition of the TWFE coefficient:", bacon_summary,
                "HonestDiD (relative magnitudes, did2s event study): robust 95% CIs for the average post effect:",
                honest_rm, figures_dir / "honest_rm.png"]),
            Section("关键核心技术专利：城市溢出（论文004）", [
                "Invention applications whose IPC codes fall in the SEI-IPC 2021 concordance, matched to listed firms "
                "and subsidiaries; Policy = 1 for non-pilot firms from the year after their city's first pilot.",
                html_of("paper004_spillover")]),
            Section("新质生产力 N_ML（论文002）", [
                "Word2Vec on the analyst reports (jieba with the economics user dictionary, deterministic training), "
                "seed 新质生产力, neighbours above the similarity threshold, screened against the 2023-2024 government "
                "work reports. Planted synonyms: " + "、".join(truth["text"]["nqpf_synonyms"]) + "; planted jargon "
                "(must be screened out): " + "、".join(truth["text"]["nqpf_jargon_screened_out"]) + ".",
                expansion.head(30),
                f"N_ML defined for {int(nml['N_ML'].notna().sum())} firm-years (missing where a firm-year has no "
                "analyst report).",
            ]),
            Section("运行阶段 Stages", [stages]),
        ]
        manifest = build_manifest("demo run (report)", {"world": str(world), "out": str(out)},
                                  seeds={"world": truth["config"]["seed"]}, extra={"stages": runner.timings()})
        build_report(out / "report.html", "smtext 主任务报告：智能制造试点示范（演示数据）", sections, manifest,
                     subtitle="Main job on the built-in demo world")
        ctx.info.update(report=str(out / "report.html"))
    return run


def _did_coef_figure(did_est: pd.DataFrame):
    import matplotlib.pyplot as plt

    from .report.fonts import setup_cjk_font

    setup_cjk_font()
    d = did_est.reset_index(drop=True)
    labels = [f"{b}:{c} {y}" for b, c, y in zip(d["block"], d["column"], d["depvar"])]
    fig, ax = plt.subplots(figsize=(6.4, 0.35 * len(d) + 1.2))
    ax.errorbar(d["estimate"], range(len(d)), xerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(d)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("DID coefficient, 95% CI")
    fig.tight_layout()
    return fig
