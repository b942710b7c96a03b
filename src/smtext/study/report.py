"""The study's truth check (demo worlds) and its HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .spec import Spec
from ..stages import StageRunner


def _lookup(truth: dict, dotted: str):
    cur = truth
    for part in dotted.split("."):
        cur = cur[part]
    return float(cur)


def truth_check(spec: Spec, runner: StageRunner, world: Path) -> dict | None:
    t = spec.get("truth")
    if not t or not (world / "truth.json").exists():
        return None
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
    est = pd.read_csv(runner.path(f"table.{t['table']}") / "estimates.csv")
    row = est[(est["column"] == int(t["column"])) & (est["term"] == t.get("term", "DID"))]
    if row.empty:
        raise spec.error("SM703", ("truth",), f"table {t['table']!r} has no term {t.get('term', 'DID')!r} in "
                         f"column {t['column']}.")
    r = row.iloc[0]
    value = _lookup(truth, t["effect"])
    return {"table": t["table"], "column": int(t["column"]), "term": t.get("term", "DID"), "effect": t["effect"],
            "planted": value, "estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]), "covered": bool(r["ci_low"] <= value <= r["ci_high"])}


def write_report(spec: Spec, runner: StageRunner, out: Path, truth: dict | None, timings: list) -> Path:
    from ..report import Html, Section, build_report

    secs = []
    steps = pd.read_csv(runner.path("panel") / "sample_steps.csv")
    ds = runner.records["dataset"].info
    secs.append(Section("样本构建", [steps, f"分析样本：{ds.get('rows')} 个公司-年度观测，{ds.get('firms')} 家企业；"
                                         f"筛选条件剔除 {ds.get('dropped_by_where')} 个，缺失值剔除 {ds.get('dropped_missing')} 个。"]))
    if truth:
        secs.append(Section("与演示世界真值的比较", [pd.DataFrame([truth])]))
    for name, entry in (spec.get("tables") or {}).items():
        blocks = [Html((out / "tables" / f"{name}.html").read_text(encoding="utf-8"))]
        info = runner.records[f"table.{name}"].info
        if info.get("balance_table"):
            blocks.append(Html((out / "tables" / f"{info['balance_table']}.html").read_text(encoding="utf-8")))
        if info.get("groups_skipped"):
            blocks.append(f"样本中处理组观测过少而未估计的分组：{info['groups_skipped']}")
        secs.append(Section(entry.get("title", name), blocks))
    for name, entry in (spec.get("figures") or {}).items():
        secs.append(Section(entry.get("title", name), [out / "figures" / f"{name}.png"]))
    secs.append(Section("阶段耗时", [pd.DataFrame(timings)[["stage", "cached", "seconds"]]]))
    return build_report(out / "report.html", spec.get("title", spec.name), secs,
                        subtitle=f"spec: {spec.source}; paper: {spec.get('paper', '')}")


