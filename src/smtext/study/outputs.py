"""Table and figure stages of a study: fit the spec's models, lay them out, save every format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .spec import Spec, controls_of
from ..stages import StageContext
from .common import ID, TIME, _apply_where, _save_table
from .models import columns_of, rename_terms, treat_group


BACON_TYPES = {"Treated vs Untreated": "处理组 vs 从未处理组", "Earlier vs Later Treated": "早处理组 vs 晚处理组（晚组作对照）",
               "Later vs Earlier Treated": "晚处理组 vs 早处理组（早组作对照）",
               "Later vs Always Treated": "晚处理组 vs 始终处理组"}


def _bacon_table(d: pd.DataFrame, entry: dict, dname: str):
    """Goodman-Bacon decomposition and dCDH weights of the TWFE coefficient on the balanced panel."""
    from .. import did
    from ..panel import balanced_panel
    from ..report import format_number
    from ..report.render import Table

    y = entry["columns"][0]["y"]
    bal, dropped = balanced_panel(d.dropna(subset=[y]), ID, TIME)
    bac = did.bacon(bal, y, TIME, ID, dname)
    w = did.twfe_weights(bal, y, TIME, ID, dname)
    rows = [[BACON_TYPES.get(str(t), str(t)), format_number(r["weight"], 3), format_number(r["avg_est"], 4)]
            for t, r in bac.by_type.iterrows()]
    total = w.n_positive + w.n_negative
    diag = [["TWFE 系数（= 加权和）", "1.000", format_number(bac.estimate, 4)],
            ["dCDH 负权重处理单元 / 全部处理单元", f"{w.n_negative} / {total}", ""],
            ["dCDH 负权重之和", format_number(w.sum_negative, 4), ""]]
    notes = [f"平衡面板：{bac.nobs} 个观测（剔除 {dropped} 家未在每一年出现的企业）；被解释变量 {y}。"]
    table = Table(header=[["比较类型", "权重", "平均估计"]], sections=[rows, diag], title=entry.get("title"),
                  notes=notes)
    info = {"bacon": {str(t): {"weight": float(r["weight"]), "avg_est": float(r["avg_est"])}
                      for t, r in bac.by_type.iterrows()},
            "twfe": float(bac.estimate), "dcdh_negative": int(w.n_negative), "dcdh_cells": int(total),
            "dcdh_sum_negative": float(w.sum_negative), "balanced_firms_dropped": int(dropped)}
    return table, info


def stage_table(spec: Spec, name: str, data_path: Path, dname: str):
    def run(ctx: StageContext) -> None:
        from ..report import describe, regression_table

        entry = ctx.params["table"]
        d = pd.read_parquet(data_path, columns=ctx.params["columns"])
        labels = ctx.params["labels"]
        if entry["columns"][0].get("kind") == "describe":
            table = describe(d, list(entry["columns"][0]["variables"]), labels=labels, title=entry.get("title"))
            _save_table(table, ctx.dir, name)
            ctx.info["rows"] = len(entry["columns"][0]["variables"])
            return
        if entry["columns"][0].get("kind") == "bacon":
            table, info = _bacon_table(d, entry, dname)
            _save_table(table, ctx.dir, name)
            ctx.info.update(info)
            return
        models, titles, side, auto = [], [], {}, False
        for i, col in enumerate(entry["columns"]):
            side_i: dict = {}
            got = [rename_terms(m, col.get("rename") or {}) for m in columns_of(spec, col, d, dname, ctx.info, side_i)]
            models += got
            titles += side_i.get("titles", [labels.get(col.get("y"), col.get("y") or "")] * len(got))
            auto = auto or "titles" in side_i
            side.update({k: v for k, v in side_i.items() if k != "titles"})
        column_titles = entry.get("column_titles") or (titles if auto else None)
        if ctx.info.get("groups_skipped") and auto:   # a skipped group shifts the columns: use the group titles
            column_titles = titles
        if column_titles and len(column_titles) != len(models):
            raise spec.error("SM703", ("tables", name, "column_titles"),
                             f"table {name!r} has {len(models)} model columns but {len(column_titles)} column titles.")
        notes = list(entry.get("notes") or [])
        if ctx.info.get("groups_skipped"):
            notes.append(f"未估计的分组（处理组观测过少或处理变量被固定效应吸收）：{'；'.join(ctx.info['groups_skipped'])}。")
        if ctx.info.get("psm_groups"):
            notes.append(f"PSM：{ctx.info['psm_groups']}。")
        ctrl = sorted({c for col in entry["columns"] for c in controls_of(spec, col.get("controls"))})
        table = regression_table(models, labels=labels, keep=entry.get("keep") or side.get("keep"),
                                 controls=ctrl or None, column_titles=column_titles,
                                 column_groups=[tuple(g) for g in entry["column_groups"]] if entry.get("column_groups") else None,
                                 title=entry.get("title"), notes=notes or None, stat=entry.get("stat", "se"))
        _save_table(table, ctx.dir, name)
        if "balance" in side:  # the PSM column's balance test is a table of its own in the papers
            from ..report import balance_table

            bname, bal = side["balance"]
            _save_table(balance_table(bal, title=ctx.params["titles"].get(bname, "平衡性检验")), ctx.dir,
                        bname or f"{name}_balance")
            ctx.info["balance_table"] = bname or f"{name}_balance"
        rows = []
        for k, m in enumerate(models, start=1):
            t = m.tidy().reset_index().rename(columns={"index": "term"})
            t.insert(0, "column", k)
            t["depvar"] = getattr(m, "depvar", None)
            t["nobs"] = getattr(m, "nobs", None)
            rows.append(t)
        pd.concat(rows).to_csv(ctx.dir / "estimates.csv", index=False)
        if "iv" in side:
            ctx.info["iv"] = side["iv"]
        ctx.info["columns"] = len(models)
    return run


def stage_figure(spec: Spec, name: str, data_path: Path, dname: str):
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from .. import did
        from ..report import event_study_plot, honest_did_plot, placebo_plot, pscore_density_plot

        f = ctx.params["figure"]
        d = _apply_where(pd.read_parquet(data_path, columns=ctx.params["columns"]), f.get("where"))
        c = controls_of(spec, f.get("controls"))
        y, kind, title = f.get("y"), f["kind"], f.get("title")
        fe, cl = tuple(f.get("fe") or ()), f.get("cluster", ID)
        if kind == "event_study":
            ev = did.event_study(d.dropna(subset=[y, *c]), y, TIME, ID, "gname", window=tuple(f.get("window", (-4, 4))),
                                 controls=c, fe=fe, cluster=cl)
            ev.tidy().to_csv(ctx.dir / "estimates.csv", index=False)
            fig = event_study_plot(ev, title=title)
            ctx.info["pretrend_p"] = float(ev.pretrend_p)
        elif kind == "placebo":
            pl = did.placebo_test(d.dropna(subset=[y, *c]), y, TIME, ID, "gname", dname=f.get("x", dname), controls=c, fe=fe,
                                  draws=int(f.get("draws", 500)), seed=int(f.get("seed", 20240501)), cluster=cl)
            pd.DataFrame({"draw": pl.draws}).to_csv(ctx.dir / "estimates.csv", index=False)
            fig = placebo_plot(pl, title=title)
            ctx.info.update(placebo_p=float(pl.p_value), true_estimate=float(pl.true_estimate))
        elif kind == "pscore":
            d = d.dropna(subset=[y, *f["covariates"], *c]).copy()
            d["_treat"] = treat_group(d, f, ctx.info)
            reg = did.psm_did(d, y, TIME, ID, dname, treat="_treat", covariates=list(f["covariates"]), controls=c,
                              psm_kwargs={"k": int(f.get("k", 1)), "replace": True, "by": TIME}, cluster=cl)
            fig = pscore_density_plot(reg.matching, title=title)
        else:  # robust_event, honest: heterogeneity-robust event studies on the balanced panel
            from ..panel import balanced_panel
            from ..report import event_study_compare_plot

            bal, _ = balanced_panel(d.dropna(subset=[y]), ID, TIME)
            window = tuple(f.get("window", (-4, 4)))
            if kind == "robust_event":
                events = did.robust_comparison(bal, y, TIME, ID, "gname", window=window).events
                fig = event_study_compare_plot(events, title=title)
            else:  # HonestDiD needs the did2s event study only, not all five estimators
                event = did.did2s(bal, y, TIME, ID, "gname", window=window).event
                sens = did.honest(event, method="RM", grid=list(f.get("grid", [0.0, 0.5, 1.0, 1.5, 2.0])))
                sens.tidy().to_csv(ctx.dir / "estimates.csv", index=False)
                fig = honest_did_plot(sens, title=title)
        (ctx.dir / "figures").mkdir(exist_ok=True)
        fig.savefig(ctx.dir / "figures" / f"{name}.png", dpi=150)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return run


