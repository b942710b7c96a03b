"""Table and figure stages of a study: fit a table's columns, lay them out, write every format.

A table's options (``TABLE_SCHEMA``) are the layout; its columns are registered column kinds
(:mod:`smtext.study.models`), its figures registered figure kinds (:mod:`smtext.study.figures`).
Each table stage also writes ``estimates.csv`` (every term of every column, full precision),
which the truth checks and the report read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..did.constant import CONSTANT, with_constant
from ..report.tables import DEFAULT_STARS
from ..stages import StageContext
from .common import ID, apply_where, inside, save_table
from .figures import Plot
from .models import COLUMNS, fit_column, rename_terms
from .registry import FIGURES, Option
from .spec import Spec, controls_of

R2_CHOICES = ("r2", "within", "adj", "fe", "none")

TABLE_SCHEMA = (
    Option("title", "str", "table title"),
    Option("columns", "list", "the table's columns: registered column kinds (kind: twfe by default)", required=True),
    Option("where", "where", "rows every column of this table uses (columns may filter further)"),
    Option("keep", "list", "terms shown (default: every term but controls and the intercept)"),
    Option("column_titles", "list", "one title per printed column"),
    Option("column_groups", "list", "[[title, number of columns], ...] above the column titles"),
    Option("notes", "list", "notes printed under the table"),
    Option("stat", "choice", "in parentheses: standard errors or t values", choices=("se", "t"), default="se"),
    Option("show_controls", "bool", "print the control coefficients", default=False),
    Option("stars", "list", "significance levels of *, **, *** (paper 000: [0.05, 0.01, 0.001]); default the "
                            "spec's report: stars, else [0.1, 0.05, 0.01]"),
    Option("r2", "choice", "the R2 row: r2, within (within R2), adj (adjusted R2), fe (within R2 for columns with "
                           "fixed effects, R2 for the others) or none; default the spec's report: r2, else r2",
           choices=R2_CHOICES),
    Option("constant", "bool", "print the constant row (常数项; reghdfe's _cons for fixed-effects columns)",
           default=False),
    Option("digits", "int", "decimals of coefficients and R2", default=3, min=0, max=8),
    Option("stat_digits", "int", "decimals in parentheses (default: 2 for t values, else digits)", min=0, max=8),
    Option("sample", "choice", "per_column: each column on its own complete cases; common: every column on the rows "
                               "complete in all the table's columns", choices=("per_column", "common"),
           default="per_column"),
    Option("clustering", "str", "how the paper says it clusters (printed as a note); without it the note says the "
                                "clustering is smtext's choice"),
)
#: table options a spec's report: section may set for every table (a table's own value wins)
REPORT_LAYOUT = ("stars", "r2", "clustering", "digits", "stat_digits", "constant")
#: the table option r2 -> regression_table's statistic
R2_STATS = {"r2": "r2", "within": "r2_within", "adj": "adj_r2", "fe": "r2_fe", "none": None}


def common_sample(d: pd.DataFrame, columns: list[str], info: dict) -> pd.DataFrame:
    """The rows complete in every column the table's models use (``sample: common``); the drop is recorded."""
    keep = d[columns].notna().all(axis=1)
    info["common_sample"] = {"rows": int(keep.sum()), "dropped": int((~keep).sum()), "columns": list(columns)}
    print(f"common sample: {int((~keep).sum()):,} of {len(d):,} rows dropped (missing in any of the table's columns)")
    return d[keep]


def clustering_note(columns: list[dict], stated: str | None, labels: dict) -> str | None:
    """The note on clustering: the paper's words when the spec gives them, else that the level is smtext's choice.

    Columns with conventional or robust standard errors (``vcov: iid | hetero``) are not clustered;
    a table none of whose columns clusters gets no note.
    """
    if stated:
        return stated
    levels = list(dict.fromkeys(str(c.get("cluster", ID)) for c in columns
                                if c.get("vcov", "cluster") == "cluster" and "cluster" in
                                {o.name for o in COLUMNS[c.get("kind", "twfe")].schema}))
    if not levels:
        return None
    where = "、".join(str(labels.get(v, v)) for v in levels)
    return f"论文未说明聚类层级，此处按{where}聚类（smtext 的选择）。"


def stage_table(spec: Spec, name: str, data_path: Path, dname: str):
    """Stage body: fit and write table ``name`` (Markdown, HTML, LaTeX, Excel, Word) and its estimates."""
    def run(ctx: StageContext) -> None:
        from ..report import regression_table

        entry = ctx.params["table"]
        layout = {**ctx.params.get("layout", {}), **entry}   # the table's options win over the spec's report:
        d = apply_where(pd.read_parquet(data_path, columns=ctx.params["columns"]), entry.get("where"))
        if entry.get("sample") == "common":
            d = common_sample(d, ctx.params["columns"], ctx.info)
        labels = ctx.params["labels"]
        first = entry["columns"][0]
        if COLUMNS[first.get("kind", "twfe")].meta.get("whole_table"):
            table = fit_column(spec, first, d, dname, ctx.info, {"labels": labels, "title": entry.get("title")})
            save_table(table, ctx.dir, name)
            return
        models, titles, side, auto = [], [], {}, False
        for col in entry["columns"]:
            side_i: dict = {}
            got = [rename_terms(m, col.get("rename") or {}) for m in fit_column(spec, col, d, dname, ctx.info, side_i)]
            if layout.get("constant"):
                got = [with_constant(m) for m in got]
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
        failed = [t for t in ctx.info.get("diff_tests", []) if t.get("p_empirical") is None]
        if failed:
            notes.append("组间差异的经验p值未能计算（置换检验的分组回归无法识别处理效应）："
                         + "；".join(f"{t['by']}（{t['not_computed']}）" for t in failed) + "。")
        if ctx.info.get("psm_balance_failed"):
            from ..did.matching import BALANCE_LIMIT

            bad = "、".join(f"{labels.get(v, v)}（{b:+.1f}%）" for v, b in ctx.info["psm_balance_failed"].items())
            notes.append(f"PSM 匹配后平衡性检验未通过：{bad} 的标准化偏差绝对值超过 {BALANCE_LIMIT:g}%。")
        if ctx.info.get("common_sample"):
            cs = ctx.info["common_sample"]
            notes.append(f"各列使用共同样本（{cs['rows']:,} 个观测，剔除 {cs['dropped']:,} 个任一列变量缺失的观测）。")
        note = clustering_note(entry["columns"], layout.get("clustering"), labels)
        if note:
            notes.append(note)
        ctrl = sorted({c for col in entry["columns"] for c in controls_of(spec, col.get("controls"))})
        keep = entry.get("keep") or side.get("keep")
        if layout.get("constant") and keep is not None and CONSTANT not in keep:
            keep = [*keep, CONSTANT]
        r2 = R2_STATS[layout.get("r2", "r2")]
        table = regression_table(models, labels={CONSTANT: "常数项", **labels}, keep=keep,
                                 controls=ctrl or None, column_titles=column_titles,
                                 column_groups=[tuple(g) for g in entry["column_groups"]] if entry.get("column_groups") else None,
                                 title=entry.get("title"), notes=notes or None, stat=entry.get("stat", "se"),
                                 show_controls=bool(entry.get("show_controls", False)),
                                 stars=tuple(layout.get("stars", DEFAULT_STARS)),
                                 stats=("nobs", r2) if r2 else ("nobs",), digits=int(layout.get("digits", 3)),
                                 stat_digits=layout.get("stat_digits"))
        save_table(table, ctx.dir, name)
        if "balance" in side:  # the PSM column's balance test is a table of its own in the papers
            from ..report import balance_table

            bname, bal = side["balance"]
            save_table(balance_table(bal, title=ctx.params["titles"].get(bname, "平衡性检验")), ctx.dir,
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
    """Stage body: draw figure ``name`` into ``figures/<name>.png`` (and its numbers into estimates.csv)."""
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        entry = ctx.params["figure"]
        d = apply_where(pd.read_parquet(data_path, columns=ctx.params["columns"]), entry.get("where"))
        fig = FIGURES[entry["kind"]].func(Plot(spec, entry, d, dname, ctx.dir, ctx.info))
        target = inside(ctx.dir, "figures", f"{name}.png")
        target.parent.mkdir(exist_ok=True)
        fig.savefig(target, dpi=150)
        plt.close(fig)
    return run
