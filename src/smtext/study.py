"""Run a study spec (:mod:`smtext.spec`) end to end through cached stages.

Stage graph (each a :class:`smtext.stages.StageRunner` stage under ``OUT/stages``)::

    panel ─┬─ tfp ────────┐
           ├─ patents ────┤
    corpus ─ extract ─ text ─ dataset ─┬─ table.<name>  (one per table)
    city ─────────────────┘            ├─ figure.<name> (one per figure)
                                       └─ report (always rebuilt; cheap)

Measurement stages are keyed by their own options and the world's data files.
Tables and figures are keyed by their spec entry and a hash of the *content of
the columns they use*, not by the whole data set: re-measuring one variable
(a TFP method, a lexicon) re-runs its measurement stage and the data set, then
only the tables and figures whose columns changed.

Outputs: ``OUT/tables/<name>.{md,html,tex,xlsx,docx}``, ``OUT/figures/<name>.png``,
``OUT/panel.parquet`` and ``OUT/panel.dta``, ``OUT/report.html``,
``OUT/truth_check.json`` (when the spec names a truth to compare with) and
``OUT/manifest.json`` (versions, spec hash, stage timings).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SMError
from .manifest import build_manifest, file_sha256, stable_hash, write_manifest
from .spec import Spec, check_columns, controls_of, load
from .stages import StageContext, StageRunner

ID, TIME = "stkcd", "year"
TABLE_FORMATS = ("md", "html", "tex", "xlsx", "docx")
STAGE_VERSION = "1"     # bump when a stage body's helpers change their output


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` produced.

    Attributes
    ----------
    out : Path
        Output folder.
    report : Path
        ``report.html``.
    stages : list of dict
        One row per stage: name, key, cached, seconds and the stage's counts.
    truth : dict or None
        Truth check (estimate, CI, planted effect, covered) when the spec asks for one.
    """

    out: Path
    report: Path
    stages: list
    truth: dict | None

    def ran(self) -> list[str]:
        """Names of the stages that ran (were not reused from the cache)."""
        return [s["stage"] for s in self.stages if not s["cached"]]

    def stage_dir(self, name: str) -> Path:
        """Folder of stage ``name`` (``"table.table3_baseline"``, ``"dataset"`` ...)."""
        key = {s["stage"]: s["key"] for s in self.stages}[name]
        return self.out / "stages" / name / key

    def timings(self) -> pd.DataFrame:
        """Stage timings as a table."""
        return pd.DataFrame(self.stages)[["stage", "cached", "seconds"]]


# ---------------------------------------------------------------- helpers
def _world_hash(world: Path) -> str:
    """Hash of the world's tables (not its PDFs: the extract stage keys on those through the corpus)."""
    files = sorted((world / "data").glob("*"))
    if not files:
        raise SMError("SM706", f"{world}/data has no files; this is not a demo world or study input folder.",
                      "generate one with `smtext demo generate --out DIR`, or pass --world.")
    return stable_hash({f.name: file_sha256(f) for f in files})


def _reports_fingerprint(folder: Path) -> str:
    """Cheap fingerprint of a PDF folder (path, size, mtime): a changed or added report re-runs extraction."""
    files = sorted(folder.rglob("*.pdf")) if folder.is_dir() else []
    return stable_hash([(str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files])


def _matched_pilots(world: Path, firms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pilot list with matched ``stkcd`` (NaN for unlisted applicants) and the match table."""
    from .patents.applicants import match_applicants

    subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
    pilots = pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig", dtype={"年份": int})
    match = match_applicants(pilots["申报单位"], firms, subs)
    out = pilots.merge(match.table[["name", "stkcd"]], left_on="申报单位", right_on="name", how="left")
    out = out.rename(columns={"年份": "year", "所在城市": "pilot_city"})
    return out, match.table


def _save_table(table, folder: Path, name: str) -> None:
    for fmt in TABLE_FORMATS:
        table.save(folder / "tables" / f"{name}.{fmt}")


def _apply_where(d: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    """Keep rows matching ``{column: value | [values] | {not: value}}``."""
    for col, cond in (where or {}).items():
        if isinstance(cond, dict) and "not" in cond:
            bad = cond["not"] if isinstance(cond["not"], list) else [cond["not"]]
            d = d[~d[col].isin(bad)]
        else:
            d = d[d[col].isin(cond if isinstance(cond, list) else [cond])]
    return d


def _fe_columns(fe) -> list[str]:
    out = []
    for f in ([fe] if isinstance(fe, str) else fe or []):
        out += str(f).split("^")
    return out


# ---------------------------------------------------------------- measurement stages
def _stage_panel(world: Path):
    def run(ctx: StageContext) -> None:
        from .demo_job import _controls
        from .did import city_spillover, firm_treatment
        from .panel import filter_sample, winsorize

        sample, treat = ctx.params["sample"], ctx.params["treatment"]
        fin = pd.read_parquet(world / "data" / "financials.parquet")
        dup = fin.duplicated([ID, TIME], keep="first")
        fin = fin[~dup].reset_index(drop=True)
        firms = pd.read_parquet(world / "data" / "firms.parquet")
        panel = _controls(fin.merge(firms, on=ID, how="left", validate="many_to_one"))
        steps = [{"step": "raw firm-years", "rows": int(len(fin) + dup.sum())},
                 {"step": "duplicate firm-years dropped", "rows": int(len(panel)), "dropped": int(dup.sum())}]
        if "years" in sample:
            before = len(panel)
            panel = panel[panel[TIME].between(*sample["years"])]
            steps.append({"step": f"years {sample['years'][0]}-{sample['years'][1]}", "rows": len(panel),
                          "dropped": before - len(panel)})
        if sample.get("manufacturing"):
            before = len(panel)
            panel = panel[panel["is_manufacturing"] == 1]
            steps.append({"step": "manufacturing firms", "rows": len(panel), "dropped": before - len(panel)})
        pilots, matches = _matched_pilots(world, firms)
        matches.to_csv(ctx.dir / "pilot_matches.csv", index=False, encoding="utf-8-sig")
        pilots.to_csv(ctx.dir / "pilots.csv", index=False, encoding="utf-8-sig")
        dname = treat.get("dname", "DID")
        if treat.get("design", "firm") == "firm":
            listed = pilots[pilots["stkcd"].notna()][[ID, TIME]]
            panel = firm_treatment(panel, listed, idname=ID, tname=TIME, dname=dname).data
        else:
            before = len(panel)
            panel = city_spillover(panel, pilots[[ID, TIME, "pilot_city"]], ID, TIME, "city",
                                   pilot_city="pilot_city", delay=int(treat.get("delay", 1)),
                                   drop_pilot_firms=bool(treat.get("drop_pilot_firms", True)), dname=dname).data
            steps.append({"step": "pilot firms dropped (city design)", "rows": len(panel),
                          "dropped": before - len(panel)})
        filt = filter_sample(panel, st=bool(sample.get("drop_st", True)),
                             financial=bool(sample.get("drop_financial", True)))
        panel = filt.data
        fs = filt.summary()
        steps.append({"step": "ST / financial firms dropped", "rows": len(panel),
                      "dropped": fs if isinstance(fs, (int, float)) else str(fs)})
        wins = sample.get("winsorize") or {}
        if wins:
            panel = winsorize(panel, [c for c in wins["columns"] if c in panel.columns],
                              limits=tuple(wins.get("limits", (0.01, 0.99))))
        panel.to_parquet(ctx.dir / "panel.parquet", index=False)
        pd.DataFrame(steps).to_csv(ctx.dir / "sample_steps.csv", index=False)
        ctx.info.update(rows=len(panel), firms=int(panel[ID].nunique()),
                        treated_firms=int(panel.loc[panel[dname] > 0, ID].nunique()) if dname in panel else 0)
    return run


def _stage_tfp():
    def run(ctx: StageContext) -> None:
        from .indicators.tfp import estimate, log_inputs

        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        d = log_inputs(panel)
        proxies = {"lp": "ln_cash_paid_goods", "acf": "ln_cash_paid_goods", "op": "ln_investment"}
        for method in ctx.params["methods"]:
            res = estimate(d, method, y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                           proxy=proxies.get(method), idname=ID, tname=TIME, seed=int(ctx.params.get("seed", 0)))
            d[f"TFP_{method.upper()}"] = res.omega
        cols = [f"TFP_{m.upper()}" for m in ctx.params["methods"]]
        d[[ID, TIME, *cols]].to_parquet(ctx.dir / "tfp.parquet", index=False)
        ctx.info.update(methods=list(ctx.params["methods"]), rows=int(d[cols[0]].notna().sum()))
    return run


def _stage_patents(world: Path):
    def run(ctx: StageContext) -> None:
        from .patents import patent_measures

        firms = pd.read_parquet(world / "data" / "firms.parquet")
        subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
        pm = patent_measures(pd.read_parquet(world / "data" / "patents.parquet"), firms, subs,
                             scheme=ctx.params.get("scheme", "sei_ipc_2021"))
        pm.table.to_parquet(ctx.dir / "patents.parquet", index=False)
        ctx.info.update(patents=int(len(pm.patents)), firm_years=int(len(pm.table)))
        if ctx.params.get("similarity"):  # paper 004 Table 5: city-average firm-pair similarity (IPC3, IPC4)
            from .patents.similarity import tech_similarity

            sim = tech_similarity(pm.codes, firms, levels=("ipc3", "ipc4"))
            sim.city.drop(columns=["n_firms"], errors="ignore").to_parquet(ctx.dir / "similarity.parquet", index=False)
            ctx.info["similarity_city_years"] = int(len(sim.city))
    return run


def _count_doc(args: tuple) -> dict:
    """Keyword counts of one extracted document for every lexicon (runs in a worker)."""
    from .count import count_text
    from .demo_job import _matcher
    from .normalize import join_pages

    path, pages, lexicons, filters = args
    text = join_pages(pages)[0]
    rec = {"path": path}
    for key, name in lexicons.items():
        rec[f"{key}_count"] = int(count_text(text, _matcher(name), filters=tuple(filters)).total)
    return rec


def _stage_text(jobs: int):
    def run(ctx: StageContext) -> None:
        from .engine import parallel_map
        from .indices import firm_year_index

        documents = pd.read_parquet(ctx.inputs["extract"] / "documents.parquet")
        pages = pd.read_parquet(ctx.inputs["extract"] / "pages.parquet")
        grouped = pages.groupby("path", sort=False)["text"].apply(list)
        lex, filters = ctx.params["lexicons"], ctx.params.get("filters", ["negation"])
        items = [(p, grouped.get(p, []), lex, filters) for p in documents["path"]]
        counts = pd.DataFrame(parallel_map(_count_doc, items, jobs=jobs, description="counting"))
        doc = documents.merge(counts, on="path", how="left")
        index = firm_year_index(doc, count_cols=[f"{k}_count" for k in lex], status_col="status", chars_col="n_chars")
        index.to_parquet(ctx.dir / "text.parquet", index=False)
        ctx.info.update(documents=len(doc), firm_years=len(index))
    return run


def _stage_city(world: Path):
    def run(ctx: StageContext) -> None:
        city = pd.read_parquet(world / "data" / "city_year.parquet").drop(columns=["province"], errors="ignore")
        inst = pd.read_parquet(world / "data" / "city_instruments.parquet")
        city = city.merge(inst, on="city", how="left", validate="many_to_one")
        city.to_parquet(ctx.dir / "city.parquet", index=False)
        ctx.info.update(rows=len(city))
    return run


# ---------------------------------------------------------------- derived variables
def _derive(d: pd.DataFrame, name: str, op: dict, spec: Spec, pilots: pd.DataFrame | None) -> pd.Series:
    (kind, arg), = op.items()
    path = ("variables", name, kind)
    cols = [arg] if isinstance(arg, str) else (list(arg) if isinstance(arg, list) else [])
    if kind in ("hhi", "sa_index"):
        cols = [arg["column"]] + list(arg.get("by", [])) if kind == "hhi" else [arg["assets"], arg["age"]]
    if kind in ("map", "share_in", "volatility"):
        cols = [arg["column"]] + list(arg.get("by", []))
    if kind == "diff":   # a - b, where b may be a number (year - 2011 = a trend)
        cols = [a for a in arg if isinstance(a, str)]
    if kind in ("log", "log1p", "ratio", "esg_score", "copy", "median_above", "zscore", "exp_shift", "product", "map",
                "median_group", "share_in", "volatility", "diff", "indicator", "hhi", "sa_index", "mean"):
        check_columns(spec, path, cols, d.columns)
    if kind == "log":
        x = d[arg].astype(float)
        return np.log(x.where(x > 0))
    if kind == "log1p":
        return np.log1p(d[arg].astype(float))
    if kind == "ratio":
        return d[arg[0]] / d[arg[1]].where(d[arg[1]] != 0)
    if kind == "product":
        return d[arg[0]] * d[arg[1]]
    if kind == "esg_score":
        from .indicators.controls import esg_score

        return pd.Series(np.asarray(esg_score(d[arg]), dtype=float), index=d.index)
    if kind == "copy":
        return d[arg]
    if kind == "median_above":
        return (d[arg] > d.groupby(TIME)[arg].transform("median")).astype(int)
    if kind == "zscore":
        return (d[arg] - d[arg].mean()) / d[arg].std()
    if kind == "exp_shift":
        return np.exp(d[arg] - d[arg].min())
    if kind == "map":
        return d[arg["column"]].map(arg["values"]).fillna(d[arg["column"]])
    if kind == "mean":
        return d[list(arg)].mean(axis=1, skipna=False)
    if kind == "hhi":   # Herfindahl index of the column's shares within groups (industry-year)
        share = d[arg["column"]] / d.groupby(list(arg["by"]))[arg["column"]].transform("sum")
        return (share ** 2).groupby([d[b] for b in arg["by"]]).transform("sum")
    if kind == "sa_index":
        from .indicators.constraints import sa_index

        return sa_index(d, assets=arg["assets"], age=arg["age"], unit=arg.get("unit", "yuan"))
    if kind == "diff":
        a, b = (d[v] if isinstance(v, str) else v for v in arg)
        return a - b
    if kind == "indicator":   # 1 when the column is positive (ever-treated from a cohort column)
        return (d[arg] > 0).astype(int)
    if kind == "median_group":  # 0/1 split at the pooled median, labelled for table headers
        above = d[arg] > d[arg].median()
        return pd.Series(np.where(d[arg].isna(), None, np.where(above, "高于中位数", "低于中位数")), index=d.index)
    if kind == "share_in":   # e.g. market share: revenue / industry-year total
        return d[arg["column"]] / d.groupby(list(arg["by"]))[arg["column"]].transform("sum")
    if kind == "volatility":
        from .indicators.market import market_volatility

        return market_volatility(d, sales=arg["column"], idname=ID, tname=TIME, window=int(arg.get("window", 3)),
                                 align=arg.get("align", "backward"))
    if kind == "city_pilot_count":
        from .demo_job import _city_pilot_instrument

        return _city_pilot_instrument(d, pilots)
    raise spec.error("SM703", path, f"unknown variable operation {kind!r}.")


def _stage_dataset(spec: Spec):
    def run(ctx: StageContext) -> None:
        d = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        for name, file, fill in (("tfp", "tfp.parquet", False), ("patents", "patents.parquet", True),
                                 ("text", "text.parquet", False)):
            if name in ctx.inputs:
                m = pd.read_parquet(ctx.inputs[name] / file)
                m = m.drop(columns=[c for c in m.columns if c in d.columns and c not in (ID, TIME)])
                d = d.merge(m, on=[ID, TIME], how="left", validate="one_to_one")
                if fill:  # a listed firm without an application has zero patents, not a missing count
                    num = [c for c in m.columns if c not in (ID, TIME) and pd.api.types.is_numeric_dtype(m[c])]
                    d[num] = d[num].fillna(0)
        if "patents" in ctx.inputs and (ctx.inputs["patents"] / "similarity.parquet").exists():
            sim = pd.read_parquet(ctx.inputs["patents"] / "similarity.parquet")
            d = d.merge(sim, on=["city", TIME], how="left", validate="many_to_one")
        if "city" in ctx.inputs:
            c = pd.read_parquet(ctx.inputs["city"] / "city.parquet")
            d = d.merge(c, on=["city", TIME], how="left", validate="many_to_one")
        pilots = pd.read_csv(ctx.inputs["panel"] / "pilots.csv", dtype={ID: str}, encoding="utf-8-sig")
        import warnings

        with warnings.catch_warnings():  # adding columns one by one fragments the frame; copied below
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            for name, op in (spec.get("variables") or {}).items():
                d[name] = _derive(d, name, op, spec, pilots)
        d = d.copy()
        sample = spec.get("sample") or {}
        before = len(d)
        check_columns(spec, ("sample", "where"), list((sample.get("where") or {}).keys()), d.columns)
        d = _apply_where(d, sample.get("where"))
        after_where = len(d)
        check_columns(spec, ("sample", "dropna"), sample.get("dropna") or [], d.columns)
        d = d.dropna(subset=list(sample.get("dropna") or []))
        d = d.reset_index(drop=True)
        d.to_parquet(ctx.dir / "dataset.parquet", index=False)
        ctx.info.update(rows=len(d), firms=int(d[ID].nunique()), dropped_by_where=before - after_where,
                        dropped_missing=after_where - len(d))
    return run


# ---------------------------------------------------------------- tables
def _used_columns(spec: Spec, entry: dict, dname: str) -> list[str]:
    cols = {ID, TIME, dname, "gname"}
    for key in ("y", "x", "instrument", "by", "cluster"):
        v = entry.get(key)
        if isinstance(v, str):
            cols.add(v)
    for key in ("mediators", "covariates", "variables", "dropna"):
        cols.update(entry.get(key) or [])
    cols.update(controls_of(spec, entry.get("controls")))
    cols.update(_fe_columns(entry.get("fe")))
    cols.update((entry.get("where") or {}).keys())
    return sorted(cols)


def _check_entry(spec: Spec, path: tuple, entry: dict, columns, dname: str) -> None:
    """SM704 at the right spec line for every column an entry names that the data lacks."""
    for key in ("y", "x", "instrument", "by", "cluster"):
        if isinstance(entry.get(key), str):
            check_columns(spec, path + (key,), [entry[key]], columns, key)
    for key in ("mediators", "covariates", "variables", "dropna"):
        for i, c in enumerate(entry.get(key) or []):
            check_columns(spec, path + (key, i), [c], columns, key.rstrip("s"))
    ctrl = entry.get("controls")
    cpath = ("controls", ctrl) if isinstance(ctrl, str) else path + ("controls",)
    for i, c in enumerate(controls_of(spec, ctrl)):
        check_columns(spec, cpath + (i,), [c], columns, "control")
    check_columns(spec, path + ("fe",), _fe_columns(entry.get("fe")), columns, "fixed effect")
    check_columns(spec, path + ("where",), list((entry.get("where") or {}).keys()), columns, "filter column")


def _treat_group(d: pd.DataFrame, entry: dict, info: dict) -> pd.Series:
    """0/1 group to match on: ever treated (``gname > 0``) against never treated.

    When every unit is treated at some point (a city design where every city gets a
    pilot), there is no never-treated group; the early cohorts (``gname`` up to the
    median cohort) are then matched to the later ones, and the choice is recorded.
    """
    treated = (d["gname"] > 0).astype(int)
    if treated.nunique() == 2:
        return treated
    cut = float(d.loc[d["gname"] > 0, "gname"].median())
    info["psm_groups"] = f"no never-treated units: early cohorts (gname <= {cut:g}) matched to later ones"
    return ((d["gname"] > 0) & (d["gname"] <= cut)).astype(int)


def _columns_of(spec: Spec, entry: dict, d: pd.DataFrame, dname: str, info: dict, side: dict) -> list:
    """Fit the model(s) of one table column entry; returns result objects (one per table column)."""
    from . import did

    kind = entry.get("kind", "twfe")
    d = _apply_where(d, entry.get("where"))
    c = controls_of(spec, entry.get("controls"))
    fe = tuple(entry.get("fe") or ())
    kw = {"cluster": entry.get("cluster", ID)}
    if entry.get("vcov", "cluster") != "cluster":   # paper 004 columns (1)-(4): conventional SEs
        kw = {"vcov": entry["vcov"]}
    y, x = entry.get("y"), entry.get("x", dname)
    if entry.get("variables") and kind != "describe":   # extra regressors that the table shows
        c = [*entry["variables"], *c]
    if kind == "twfe":
        if x == dname or set(d[x].dropna().unique()) <= {0, 1}:
            return [did.twfe(d, y, x, ID, TIME, controls=c, fe=fe, unit_fe=entry.get("unit_fe", True),
                             time_fe=entry.get("time_fe", True), **kw)]
        from .did.twfe import fit_feols  # continuous treatment (word frequency instead of the dummy)

        fes = tuple(f for f, on in ((ID, entry.get("unit_fe", True)), (TIME, entry.get("time_fe", True))) if on) + fe
        return [fit_feols(d.dropna(subset=[x]), y, (x, *c), fes, cluster=kw["cluster"], controls=c)]
    if kind == "progressive":
        return list(did.twfe_progressive(d, y, x, ID, TIME, controls=c, fe=fe,
                                         steps=tuple(entry.get("steps", ("bare", "fe", "full"))), **kw))
    if kind == "fepois":
        return [did.fepois_did(d, y, x, ID, TIME, controls=c, fe=fe, **kw)]
    if kind == "logit":
        return [did.logit_did(d, y, x, ID, TIME, controls=c, fe=fe or (TIME, "industry"), **kw)]
    if kind == "iv":
        iv = did.iv_2sls(d, y, x, entry["instrument"], ID, TIME, controls=c, fe=fe, **kw)
        side.setdefault("iv", []).append({"estimate": float(iv.coef()[x]),
                                          **{k: (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
                                             for k, v in (getattr(iv, "extra", {}) or {}).items()}})
        return [iv.first_stage[0], iv]
    if kind == "lag":
        lags = tuple(entry.get("lags", (1, 2)))
        dl = did.lag_treatment(d, x, ID, TIME, lags=lags)
        return [did.twfe(dl, y, f"L{k}_{x}", ID, TIME, controls=c, fe=fe, **kw) for k in lags]
    if kind == "split":
        by = entry["by"]
        treated = d.groupby(by)[x].sum()
        groups = [g for g in (entry.get("groups") or list(treated.index)) if treated.get(g, 0) >= entry.get("min_treated", 10)]
        skipped = sorted(map(str, set(treated.index) - set(groups)))
        if skipped:  # a group without enough treated firm-years has nothing to estimate: say so
            info.setdefault("groups_skipped", []).extend(f"{by}={g}" for g in skipped)
        res = {}
        for g in groups:
            try:
                res.update(did.split_sample(d[d[by] == g], by, y, x, ID, TIME, controls=c, fe=fe, **kw))
            except SMError as err:
                if err.code != "SM502":
                    raise
                # too small a group: the treatment is absorbed by the fixed effects; report, do not fake
                info.setdefault("groups_skipped", []).append(f"{by}={g} ({err.code}: treatment collinear with FE)")
        order = [g for g in groups if g in res]
        side.setdefault("titles", []).extend(f"{entry.get('label', '')}{g}" for g in order)
        return [res[g] for g in order]
    if kind == "mechanism":
        mech = did.mechanism_two_step(d, list(entry["mediators"]), x, ID, TIME, controls=c, fe=fe, **kw)
        cols = []
        for m, res in mech.items():
            cols.append(res)
            if y:
                cols.append(did.twfe(d, y, x, ID, TIME, controls=(*c, m), fe=fe, **kw))
        return cols
    if kind == "psm_did":
        d = d.dropna(subset=[y, *entry["covariates"], *c]).copy()
        d["_treat"] = _treat_group(d, entry, info)
        reg, match = did.psm_did(d, y, x, ID, TIME, "_treat", list(entry["covariates"]), controls=c, fe=fe,
                                 sample=entry.get("psm_sample", "weights"),
                                 psm_kwargs={"k": int(entry.get("k", 1)), "replace": True, "by": TIME}, **kw)
        side["balance"] = (entry.get("balance"), match.balance)
        return [reg]
    if kind == "ife":  # Bai (2009) needs a balanced panel: keep firms observed in every year
        from .demo_job import balanced

        dd = d.dropna(subset=[y, x, *c])
        bal, dropped = balanced(dd, ID, TIME, (int(dd[TIME].min()), int(dd[TIME].max())))
        info["ife_firms_dropped"] = dropped
        return [did.ife(bal, y, [x, *c], ID, TIME)]
    if kind == "robust_estimators":
        from .demo_job import balanced

        dd = d.dropna(subset=[y])
        bal, dropped = balanced(dd, ID, TIME, (int(dd[TIME].min()), int(dd[TIME].max())))
        info["balanced_firms_dropped"] = dropped
        static, _ = did.robust_comparison(bal, y, TIME, ID, "gname", window=tuple(entry.get("window", (-4, 4))))
        side.setdefault("titles", []).extend(static)
        side["keep"] = ["ATT"]
        return list(static.values())
    raise spec.error("SM703", (), f"unknown column kind {kind!r}.")


def _stage_table(spec: Spec, name: str, data_path: Path, dname: str):
    def run(ctx: StageContext) -> None:
        from .report import describe, regression_table

        entry = ctx.params["table"]
        d = pd.read_parquet(data_path, columns=ctx.params["columns"])
        labels = ctx.params["labels"]
        if entry["columns"][0].get("kind") == "describe":
            table = describe(d, list(entry["columns"][0]["variables"]), labels=labels, title=entry.get("title"))
            _save_table(table, ctx.dir, name)
            ctx.info["rows"] = len(entry["columns"][0]["variables"])
            return
        models, titles, side, auto = [], [], {}, False
        for i, col in enumerate(entry["columns"]):
            side_i: dict = {}
            got = _columns_of(spec, col, d, dname, ctx.info, side_i)
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
            from .report import balance_table

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


# ---------------------------------------------------------------- figures
def _stage_figure(spec: Spec, name: str, data_path: Path, dname: str):
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from . import did
        from .report import event_study_plot, honest_did_plot, placebo_plot, pscore_density_plot

        f = ctx.params["figure"]
        d = _apply_where(pd.read_parquet(data_path, columns=ctx.params["columns"]), f.get("where"))
        c = controls_of(spec, f.get("controls"))
        y, kind, title = f.get("y"), f["kind"], f.get("title")
        fe, cl = tuple(f.get("fe") or ()), f.get("cluster", ID)
        if kind == "event_study":
            ev = did.event_study(d.dropna(subset=[y, *c]), y, ID, TIME, "gname", window=tuple(f.get("window", (-4, 4))),
                                 controls=c, fe=fe, cluster=cl)
            ev.tidy().to_csv(ctx.dir / "estimates.csv", index=False)
            fig = event_study_plot(ev, title=title)
            ctx.info["pretrend_p"] = float(ev.pretrend_p)
        elif kind == "placebo":
            pl = did.placebo_test(d.dropna(subset=[y, *c]), y, f.get("x", dname), ID, TIME, "gname", controls=c, fe=fe,
                                  draws=int(f.get("draws", 500)), seed=int(f.get("seed", 20240501)), cluster=cl)
            pd.DataFrame({"draw": pl.draws}).to_csv(ctx.dir / "estimates.csv", index=False)
            fig = placebo_plot(pl, title=title) if title else placebo_plot(pl)
            ctx.info.update(placebo_p=float(pl.p_value), true_estimate=float(pl.true_estimate))
        elif kind == "pscore":
            d = d.dropna(subset=[y, *f["covariates"], *c]).copy()
            d["_treat"] = _treat_group(d, f, ctx.info)
            _, match = did.psm_did(d, y, dname, ID, TIME, "_treat", list(f["covariates"]), controls=c,
                                   psm_kwargs={"k": int(f.get("k", 1)), "replace": True, "by": TIME}, cluster=cl)
            fig = pscore_density_plot(match, title=title)
        else:  # robust_event, honest: heterogeneity-robust event studies on the balanced panel
            from .demo_job import _multi_event_figure, balanced

            dd = d.dropna(subset=[y])
            bal, _ = balanced(dd, ID, TIME, (int(dd[TIME].min()), int(dd[TIME].max())))
            _, events = did.robust_comparison(bal, y, TIME, ID, "gname", window=tuple(f.get("window", (-4, 4))))
            if kind == "robust_event":
                fig = _multi_event_figure(events)
            else:
                betahat, sigma, n_pre, n_post = did.event_inputs(events["did2s"])
                sens = did.honest(betahat, sigma, n_pre, n_post, method="RM",
                                  grid=list(f.get("grid", [0.0, 0.5, 1.0, 1.5, 2.0])))
                sens.to_csv(ctx.dir / "estimates.csv", index=False)
                fig = honest_did_plot(sens)
        (ctx.dir / "figures").mkdir(exist_ok=True)
        fig.savefig(ctx.dir / "figures" / f"{name}.png", dpi=150)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return run


# ---------------------------------------------------------------- truth + report
def _lookup(truth: dict, dotted: str):
    cur = truth
    for part in dotted.split("."):
        cur = cur[part]
    return float(cur)


def _truth_check(spec: Spec, runner: StageRunner, world: Path) -> dict | None:
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


def _write_report(spec: Spec, runner: StageRunner, out: Path, truth: dict | None, timings: list) -> Path:
    from .report import Html, Section, build_report

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


# ---------------------------------------------------------------- driver
def run_study(spec: Spec | str | Path, world: str | Path, out: str | Path, *, jobs: int = 2,
              force: bool = False) -> StudyResult:
    """Execute a study spec on a world folder and write tables, figures, panel and report.

    Parameters
    ----------
    spec : Spec, str or Path
        A loaded spec, a YAML path, or a bundled spec name (``"paper000"``).
    world : path
        Folder with ``data/`` (financials, firms, pilot list, patents, city tables)
        and, when the spec has text measures, ``reports/annual``.
    out : path
        Output folder (created).
    jobs : int
        Worker processes for PDF extraction and counting.
    force : bool
        Re-run every stage even when cached.

    Returns
    -------
    StudyResult
    """
    from .extract import EXTRACTOR_VERSION
    from .pipeline import _stage_corpus, _stage_extract

    spec = spec if isinstance(spec, Spec) else load(spec)
    world, out = Path(world), Path(out)
    if not (world / "data").is_dir():
        raise SMError("SM706", f"{world} has no data/ folder.", "pass --world with a generated demo world.")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runner = StageRunner(out, force=force)
    wh = _world_hash(world)
    measures = spec.get("measures") or {}
    treat = spec.get("treatment") or {}
    dname = treat.get("dname", "DID")
    sample = spec.get("sample") or {}
    runner.run("panel", _stage_panel(world), {"sample": {k: sample.get(k) for k in
               ("years", "drop_st", "drop_financial", "winsorize", "manufacturing") if k in sample},
               "treatment": treat}, extra_key={"world": wh}, version=STAGE_VERSION)
    deps = ["panel"]
    if "tfp" in measures:
        runner.run("tfp", _stage_tfp(), measures["tfp"], deps=("panel",), version=STAGE_VERSION)
        deps.append("tfp")
    if "patents" in measures:
        runner.run("patents", _stage_patents(world), measures["patents"] or {}, extra_key={"world": wh},
                   version=STAGE_VERSION)
        deps.append("patents")
    if "text" in measures:
        runner.run("corpus", _stage_corpus(world), {},
                   extra_key={"world": wh, "reports": _reports_fingerprint(world / "reports" / "annual")})
        runner.run("extract", _stage_extract(world, jobs, None), {"backend": "pdfium", "version": EXTRACTOR_VERSION},
                   deps=("corpus",))
        runner.run("text", _stage_text(jobs), measures["text"], deps=("extract",), version=STAGE_VERSION)
        deps.append("text")
    if "city" in measures:
        runner.run("city", _stage_city(world), measures["city"] or {}, extra_key={"world": wh}, version=STAGE_VERSION)
        deps.append("city")
    runner.run("dataset", _stage_dataset(spec), {"variables": spec.get("variables") or {},
               "where": sample.get("where"), "dropna": sample.get("dropna")}, deps=tuple(deps), version=STAGE_VERSION)
    data_path = runner.path("dataset") / "dataset.parquet"
    data = pd.read_parquet(data_path)
    labels = spec.get("labels") or {}
    # validate every reference before fitting anything: a typo fails in a second, naming its line
    entries = [(("tables", n, "columns", i), col) for n, t in (spec.get("tables") or {}).items()
               for i, col in enumerate(t["columns"])]
    entries += [(("figures", n), f) for n, f in (spec.get("figures") or {}).items()]
    for path, entry in entries:
        _check_entry(spec, path, entry, data.columns, dname)

    def content_key(cols: list[str]) -> str:
        return stable_hash(pd.util.hash_pandas_object(data[cols], index=False).to_numpy().tobytes().hex())

    (out / "tables").mkdir(exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    for name, entry in (spec.get("tables") or {}).items():
        cols = sorted({c for col in entry["columns"] for c in _used_columns(spec, col, dname)} & set(data.columns))
        folder = runner.run(f"table.{name}", _stage_table(spec, name, data_path, dname),
                            {"table": entry, "columns": cols, "labels": labels,
                             "titles": {k: v for k, v in (spec.get("report") or {}).get("titles", {}).items()},
                             "controls": {k: v for k, v in (spec.get("controls") or {}).items()}},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        for f in (folder / "tables").glob("*"):
            shutil.copy2(f, out / "tables" / f.name)
    for name, entry in (spec.get("figures") or {}).items():
        cols = sorted(set(_used_columns(spec, entry, dname)) & set(data.columns))
        folder = runner.run(f"figure.{name}", _stage_figure(spec, name, data_path, dname),
                            {"figure": entry, "columns": cols,
                             "controls": {k: v for k, v in (spec.get("controls") or {}).items()}},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        shutil.copy2(folder / "figures" / f"{name}.png", out / "figures" / f"{name}.png")
    data.to_parquet(out / "panel.parquet", index=False)
    from .report import export_panel

    export_panel(data, out / "panel.dta", labels={k: v for k, v in labels.items() if k in data.columns})
    truth = _truth_check(spec, runner, world)
    if truth:
        (out / "truth_check.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    timings = runner.timings()
    report = _write_report(spec, runner, out, truth, timings)
    write_manifest(out / "manifest.json", build_manifest(
        f"run {spec.name}", {"spec": spec.source, "world": str(world), "out": str(out), "jobs": jobs, "force": force},
        inputs={"world_data": wh}, extra={"spec_hash": stable_hash(spec.data), "stages": timings, "truth": truth,
                                          "seconds_total": round(time.perf_counter() - started, 2)}))
    return StudyResult(out, report, timings, truth)


__all__ = ["run_study", "StudyResult"]
