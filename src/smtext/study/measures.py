"""Measurement stages of a study: panel and treatment, TFP, patents, text indices, city data.

Each ``stage_*`` returns a stage body (``ctx -> None``) for :class:`smtext.stages.StageRunner`;
it reads the world's files or its inputs' Parquet and writes its own Parquet.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..stages import StageContext
from .common import ID, TIME, _matched_pilots


def stage_panel(world: Path):
    def run(ctx: StageContext) -> None:
        from ..demo_job import _controls
        from ..did import city_spillover, firm_treatment
        from ..panel import filter_sample, winsorize

        sample, treat = ctx.params["sample"], ctx.params["treatment"]
        merged, n_dup = _financials(world)
        panel = _controls(merged)
        steps = [{"step": "raw firm-years", "rows": int(len(panel) + n_dup)},
                 {"step": "duplicate firm-years dropped", "rows": int(len(panel)), "dropped": n_dup}]
        if "years" in sample:
            before = len(panel)
            panel = panel[panel[TIME].between(*sample["years"])]
            steps.append({"step": f"years {sample['years'][0]}-{sample['years'][1]}", "rows": len(panel),
                          "dropped": before - len(panel)})
        if sample.get("manufacturing"):
            before = len(panel)
            panel = panel[panel["is_manufacturing"] == 1]
            steps.append({"step": "manufacturing firms", "rows": len(panel), "dropped": before - len(panel)})
        pilots, matches = _matched_pilots(world, pd.read_parquet(world / "data" / "firms.parquet"))
        matches.to_csv(ctx.dir / "pilot_matches.csv", index=False, encoding="utf-8-sig")
        pilots.to_csv(ctx.dir / "pilots.csv", index=False, encoding="utf-8-sig")
        dname = treat.get("dname", "DID")
        if treat.get("design", "firm") == "firm":
            listed = pilots[pilots["stkcd"].notna()][[ID, TIME]]
            panel = firm_treatment(panel, listed, idname=ID, tname=TIME, dname=dname).data
        else:
            before = len(panel)
            panel = city_spillover(panel, pilots[[ID, TIME, "pilot_city"]], tname=TIME, idname=ID, city="city",
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


def stage_tfp():
    def run(ctx: StageContext) -> None:
        from ..indicators.tfp import estimate, log_inputs

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


def stage_patents(world: Path):
    def run(ctx: StageContext) -> None:
        from ..patents import patent_measures

        firms = pd.read_parquet(world / "data" / "firms.parquet")
        subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
        pm = patent_measures(pd.read_parquet(world / "data" / "patents.parquet"), firms, subs,
                             scheme=ctx.params.get("scheme", "sei_ipc_2021"), inn_keywords=ctx.params.get("inn_keywords"),
                             inn_rule=ctx.params.get("inn_rule", "and"))
        pm.table.to_parquet(ctx.dir / "patents.parquet", index=False)
        ctx.info.update(patents=int(len(pm.patents)), firm_years=int(len(pm.table)))
        if ctx.params.get("similarity"):  # paper 004 Table 5: city-average firm-pair similarity (IPC3, IPC4)
            from ..patents.similarity import tech_similarity

            sim = tech_similarity(pm.codes, firms, levels=("ipc3", "ipc4"))
            sim.city.drop(columns=["n_firms"], errors="ignore").to_parquet(ctx.dir / "similarity.parquet", index=False)
            ctx.info["similarity_city_years"] = int(len(sim.city))
    return run


def stage_text(jobs: int):
    """Keyword indices per firm-year from the extracted reports (``smtext index count`` underneath)."""
    def run(ctx: StageContext) -> None:
        from ..text.index_job import index_extract

        res = index_extract(ctx.inputs["extract"], ctx.params["lexicons"], ctx.dir,
                            filters=tuple(ctx.params.get("filters", ["negation"])), clean_lexicon=None,
                            categories=False, jobs=jobs)
        ctx.info.update(documents=len(res.documents), firm_years=len(res.firm_years), removed=res.removed)
    return run


def stage_city(world: Path):
    def run(ctx: StageContext) -> None:
        city = pd.read_parquet(world / "data" / "city_year.parquet").drop(columns=["province"], errors="ignore")
        inst = pd.read_parquet(world / "data" / "city_instruments.parquet")
        city = city.merge(inst, on="city", how="left", validate="many_to_one")
        policies = world / "data" / "city_policies.parquet"
        if policies.exists():  # competing policies and IPR protection (paper 002)
            city = city.merge(pd.read_parquet(policies), on=["city", TIME], how="left", validate="one_to_one")
        city.to_parquet(ctx.dir / "city.parquet", index=False)
        ctx.info.update(rows=len(city))
    return run


def _financials(world: Path) -> tuple[pd.DataFrame, int]:
    """The world's financials without duplicate firm-years (first kept), joined to the firm table,
    and the number of duplicates dropped."""
    fin = pd.read_parquet(world / "data" / "financials.parquet")
    dup = fin.duplicated([ID, TIME], keep="first")
    fin = fin[~dup].reset_index(drop=True)
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    return fin.merge(firms, on=ID, how="left", validate="many_to_one"), int(dup.sum())


def stage_nml(world: Path, jobs: int):
    """Paper 002's N_ML: Word2Vec expansion of seed words in analyst reports, screened by gov reports."""
    def run(ctx: StageContext) -> None:
        from ..text.w2v import build_nml, read_documents

        p = ctx.params
        docs = read_documents(world / "reports" / "analyst", jobs=jobs)
        gov = read_documents(world / "reports" / "gov", doc_type="government_report", jobs=1)
        res = build_nml(docs, gov["text"].dropna().tolist() if p.get("screen", True) else None,
                        list(p.get("seeds", ["新质生产力"])), work_dir=ctx.dir / "w2v",
                        threshold=float(p.get("threshold", 0.9)), topn=p.get("topn"), name="N_ML", jobs=jobs)
        res.expansion.table.to_csv(ctx.dir / "expansion.csv", index=False, encoding="utf-8-sig")
        res.index.table[[ID, TIME, "N_ML"]].to_parquet(ctx.dir / "nml.parquet", index=False)
        kept = res.expansion.table
        ctx.info.update(analyst_reports=len(docs), kept_words=kept.loc[kept["kept"].astype(bool), "word"].tolist(),
                        firm_years=int(res.index.table["N_ML"].notna().sum()))
    return run


def stage_extras(world: Path):
    """Firm-year variables beyond the statements (``data/firm_extras.parquet``) and composite indices.

    ``composites: {NAME: {indicators: {column: "+"|"-"} | preset: nqpf_002, pooling, scale}}``
    builds entropy-weight indices over the whole file (every firm-year of the world), so an
    index does not change with the sample a table later selects.
    """
    def run(ctx: StageContext) -> None:
        from ..errors import SMError
        from ..indicators.composite import NQPF_002, entropy_weight

        path = world / "data" / "firm_extras.parquet"
        if not path.exists():
            raise SMError("SM706", f"{path} is missing; measures/extras needs it.",
                          "regenerate the demo world, or drop 'extras' from the spec.")
        ex = pd.read_parquet(path)
        weights = {}
        for name, opt in (ctx.params.get("composites") or {}).items():
            directions = NQPF_002 if opt.get("preset") == "nqpf_002" else dict(opt["indicators"])
            res = entropy_weight(ex, directions, pooling=opt.get("pooling", "pooled"))
            ex[name] = res.score * float(opt.get("scale", 1.0))
            weights[name] = res.weights.iloc[0].round(6).to_dict() if len(res.weights) == 1 else "by year"
        ex.to_parquet(ctx.dir / "extras.parquet", index=False)
        (ctx.dir / "weights.json").write_text(json.dumps(weights, indent=2, ensure_ascii=False), encoding="utf-8")
        ctx.info.update(rows=len(ex), composites=list(weights))
    return run


def _trade_wide(trade: pd.DataFrame) -> pd.DataFrame:
    """Customs records (one row per firm-year-mode) -> one row per firm-year with the UWZ inputs."""
    t = trade.assign(intermediate=trade["imports"] - trade["imports_capital_goods"])
    wide = t.pivot_table(index=[ID, TIME], columns="trade_mode", values=["exports", "intermediate"], aggfunc="sum",
                         fill_value=0.0)
    wide.columns = [f"{v}_{m}" for v, m in wide.columns]
    wide = wide.reset_index()
    for col in ("exports_processing", "exports_ordinary", "intermediate_processing", "intermediate_ordinary"):
        if col not in wide:
            wide[col] = 0.0
    wide["exports_total"] = wide["exports_processing"] + wide["exports_ordinary"]
    return wide


def stage_trade(world: Path):
    """Export DVAR (Upward-Wang-Zheng) per exporter-year from customs records and revenue (paper 003)."""
    def run(ctx: StageContext) -> None:
        from ..indicators.shiftshare import dvar

        fin = _financials(world)[0][[ID, TIME, "revenue"]]
        wide = _trade_wide(pd.read_parquet(world / "data" / "trade.parquet")).merge(fin, on=[ID, TIME], how="inner")
        wide["DVAR"] = dvar(wide, exports="exports_total", processing_exports="exports_processing",
                            ordinary_exports="exports_ordinary", processing_imports="intermediate_processing",
                            ordinary_imports="intermediate_ordinary", sales="revenue")
        # robustness (paper 003 Table 2): ordinary intermediate imports allocated by the export share of
        # total sales, without the processing correction (the proportionality assumption)
        share = wide["exports_total"] / wide["revenue"].where(wide["revenue"] > 0)
        foreign = wide["intermediate_processing"] + wide["intermediate_ordinary"] * share
        wide["DVAR_prop"] = (1 - foreign / wide["exports_total"].where(wide["exports_total"] > 0)).clip(0, 1)
        out = wide[[ID, TIME, "DVAR", "DVAR_prop", "exports_total", "exports_processing"]]
        out.to_parquet(ctx.dir / "trade.parquet", index=False)
        ctx.info.update(exporter_years=len(out), dvar_missing=int(out["DVAR"].isna().sum()))
    return run


def stage_robots(world: Path):
    """Firm robot penetration (Robot), the industry's density (Robot_ind) and upstream/downstream
    exposure (For, Back) per firm-year."""
    def run(ctx: StageContext) -> None:
        from ..indicators.robots import chain_exposure, firm_robot_exposure, industry_robot_density

        scale = float(ctx.params.get("scale", 1.0))
        d = _financials(world)[0][[ID, TIME, "employees", "industry"]]
        ex = pd.read_parquet(world / "data" / "firm_extras.parquet")[[ID, TIME, "production_workers"]]
        d = d.merge(ex, on=[ID, TIME], how="left", validate="one_to_one")
        robots = pd.read_parquet(world / "data" / "industry_robots.parquet")
        dens = industry_robot_density(d, robots, scale=scale, workers="production_workers")
        d["Robot"] = firm_robot_exposure(d, robots, scale=scale, density=dens)
        d = d.merge(dens[["industry", TIME, "robot_density"]].rename(columns={"robot_density": "Robot_ind"}),
                    on=["industry", TIME], how="left", validate="many_to_one")
        io_path = world / "data" / "io_table.parquet"
        if io_path.exists():
            chain = chain_exposure(pd.read_parquet(io_path), dens)
            d = d.merge(chain, on=["industry", TIME], how="left", validate="many_to_one")
        keep = [ID, TIME, "Robot", "Robot_ind"] + [c for c in ("For", "Back") if c in d]
        d[keep].to_parquet(ctx.dir / "robots.parquet", index=False)
        ctx.info.update(rows=len(d), robot_missing=int(d["Robot"].isna().sum()))
    return run


def stage_subsidies(world: Path):
    """R&D subsidies (Sub) and tax refunds (Tax) per firm-year from grant line items (paper 002).

    Items are classified with the ``rd_subsidy`` lexicon (smtext.text.count.classify). Only firm-years
    with grant lines are written; the data set reads a firm-year absent here as zero of both.
    """
    def run(ctx: StageContext) -> None:
        from ..text.count import classify

        items = pd.read_parquet(world / "data" / "subsidies.parquet")
        items["is_rd"] = classify(items["item"], "rd_subsidy").astype(bool).to_numpy()
        items["is_tax"] = items["item"].str.contains("税收返还|税费返还|退税", regex=True)
        out = items.assign(rd_subsidy=items["amount"].where(items["is_rd"], 0.0),
                           tax_refund=items["amount"].where(items["is_tax"], 0.0))
        out = out.groupby([ID, TIME], as_index=False)[["rd_subsidy", "tax_refund"]].sum()
        out.to_parquet(ctx.dir / "subsidies.parquet", index=False)
        items[["item", "is_rd", "is_tax"]].drop_duplicates().to_csv(ctx.dir / "item_classes.csv", index=False,
                                                                    encoding="utf-8-sig")
        ctx.info.update(items=len(items), rd_items=int(items["is_rd"].sum()), tax_items=int(items["is_tax"].sum()))
    return run
