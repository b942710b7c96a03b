"""Stages of the main job after extraction: text index, panel, TFP, DID, report.

Each function here is a stage body (``ctx -> None``) run through
:class:`smtext.stages.StageRunner`; it reads its inputs' Parquet files and writes
its own. The report stage compares estimates with the truth the demo world
planted, so a reader sees at once whether the pipeline recovers it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .stages import StageContext, StageRunner

PLACEBO_DRAWS = 500
PAPER000_CONTROLS = ("ROA", "INST", "Lev", "Cashflow", "FIXED", "TobinQ", "Growth")
TEXT_LEXICONS = {"smart": "smart_manufacturing", "digital": "wufei2021_digital", "ai": "ai"}
LABELS = {"DID": "DID", "ROA": "ROA", "INST": "INST", "Lev": "Lev", "Cashflow": "Cashflow", "FIXED": "FIXED",
          "TobinQ": "TobinQ", "Growth": "Growth", "TFP_LP": "TFP_LP", "cash_ratio": "Cash/Assets"}


# ---------------------------------------------------------------- text index
def stage_text_index(jobs: int):
    """Smart-manufacturing, Digital and AI indices per firm-year (``smtext index count`` underneath)."""
    def run(ctx: StageContext) -> None:
        from .text.index_job import index_extract

        res = index_extract(ctx.inputs["extract"], TEXT_LEXICONS, ctx.dir, filters=("negation",), clean_lexicon=None,
                            categories=False, jobs=jobs)
        ctx.info.update(documents=len(res.documents), firm_years=len(res.firm_years),
                        missing_firm_years=int(res.firm_years["smart_count"].isna().sum()), removed=res.removed)
    return run


# ---------------------------------------------------------------- panel
def _controls(fin: pd.DataFrame) -> pd.DataFrame:
    from .panel import lag

    d = fin.copy()
    prev = lag(fin, ["total_assets", "revenue"], 1, idname="stkcd", tname="year")
    avg_assets = pd.concat([d["total_assets"], prev["total_assets"]], axis=1).mean(axis=1)
    d["ROA"] = d["net_profit"] / avg_assets
    d["Lev"] = d["total_liabilities"] / d["total_assets"]
    d["Cashflow"] = d["operating_cash_flow"] / d["total_assets"]
    d["FIXED"] = d["fixed_assets_net"] / d["total_assets"]
    d["TobinQ"] = d["market_value"] / d["total_assets"]
    d["Growth"] = d["revenue"] / prev["revenue"] - 1.0      # calendar lag: missing after a gap year
    d["INST"] = d["inst_holding"]
    d["cash_ratio"] = d["cash"] / d["total_assets"]
    d["Humcap"] = d["employees_master"] / d["employees"]
    d["export_share"] = d["overseas_revenue"] / d["revenue"]
    return d


def stage_panel(world: Path):
    def run(ctx: StageContext) -> None:
        from .did import firm_treatment
        from .panel import filter_sample, winsorize
        from .patents.applicants import match_applicants

        data = world / "data"
        fin = pd.read_parquet(data / "financials.parquet")
        dup = fin.duplicated(["stkcd", "year"], keep="first")
        fin[dup].to_csv(ctx.dir / "duplicates_dropped.csv", index=False)
        fin = fin[~dup].reset_index(drop=True)
        firms = pd.read_parquet(data / "firms.parquet")
        subs = pd.read_parquet(data / "subsidiaries.parquet")
        pilots = pd.read_csv(data / "pilot_list.csv", encoding="utf-8-sig", dtype={"年份": int})
        match = match_applicants(pilots["申报单位"], firms, subs)
        match.table.to_csv(ctx.dir / "pilot_matches.csv", index=False, encoding="utf-8-sig")
        matched = pilots.merge(match.table[["name", "stkcd", "method"]], left_on="申报单位", right_on="name")
        matched = matched[matched["stkcd"].notna()].rename(columns={"年份": "year"})[["stkcd", "year"]]
        panel = _controls(fin.merge(firms, on="stkcd", how="left", validate="many_to_one"))
        timing = firm_treatment(panel, matched, idname="stkcd", tname="year", dname="DID")
        panel = timing.data
        text = pd.read_parquet(ctx.inputs["text_index"] / "firm_year_index.parquet")
        panel = panel.merge(text, on=["stkcd", "year"], how="left", validate="one_to_one")
        filt = filter_sample(panel, st=True, financial=True)
        panel = filt.data
        cont = list(PAPER000_CONTROLS) + ["cash_ratio"]
        panel = winsorize(panel, cont, limits=(0.01, 0.99))
        panel.to_parquet(ctx.dir / "panel.parquet", index=False)
        ctx.info.update(rows=len(panel), duplicates_dropped=int(dup.sum()),
                        pilot_matches=match.counts().to_dict(), treated_firms=int(panel.loc[panel["gname"] > 0, "stkcd"].nunique()),
                        filters=filt.summary())
    return run


# ---------------------------------------------------------------- TFP
TFP_METHODS = ("lp", "op", "acf", "ols", "fe")


def stage_tfp():
    def run(ctx: StageContext) -> None:
        from .indicators.tfp import estimate, log_inputs

        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        d = log_inputs(panel)
        coefs = []
        for method in TFP_METHODS:
            proxy = {"lp": "ln_cash_paid_goods", "acf": "ln_cash_paid_goods", "op": "ln_investment"}.get(method)
            res = estimate(d, method, y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                           proxy=proxy, idname="stkcd", tname="year", seed=0)
            d[f"TFP_{method.upper()}"] = res.omega
            coefs.append({"method": method, **{f"b_{k}": float(v) for k, v in res.coef.items()},
                          **{f"se_{k}": float(v) for k, v in res.se.items()}} if hasattr(res, "se") else
                         {"method": method, **{f"b_{k}": float(v) for k, v in res.coef.items()}})
        keep = ["stkcd", "year"] + [f"TFP_{m.upper()}" for m in TFP_METHODS]
        d[keep].to_parquet(ctx.dir / "tfp.parquet", index=False)
        pd.DataFrame(coefs).to_csv(ctx.dir / "coefficients.csv", index=False)
        ctx.info.update(methods=list(TFP_METHODS), rows=int(d["TFP_LP"].notna().sum()))
    return run


# ---------------------------------------------------------------- DID
TABLE_FORMATS = ("md", "html", "tex", "xlsx", "docx")


def save_table(table, out: Path, name: str) -> None:
    """Write ``table`` to ``out/tables/<name>.<fmt>`` in every format."""
    for fmt in TABLE_FORMATS:
        table.save(out / "tables" / f"{name}.{fmt}")


def stage_did():
    def run(ctx: StageContext) -> None:
        from .did import twfe, twfe_progressive
        from .report import regression_table

        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        tfp = pd.read_parquet(ctx.inputs["tfp"] / "tfp.parquet")
        d = panel.merge(tfp, on=["stkcd", "year"], how="left")
        d = d[d["exporter"] == 1]       # paper 000: exporting firms
        d.to_parquet(ctx.dir / "estimation_sample.parquet", index=False)
        base = list(twfe_progressive(d, "TFP_LP", "year", "stkcd", "DID", controls=PAPER000_CONTROLS,
                                     cluster="stkcd", steps=("bare", "fe", "full")))
        robust = [twfe(d, f"TFP_{m}", "year", "stkcd", "DID", controls=PAPER000_CONTROLS, cluster="stkcd")
                  for m in ("OP", "ACF", "OLS", "FE")]
        others = [twfe(d, "cash_ratio", "year", "stkcd", "DID", cluster="stkcd"),
                  twfe(d, "smart_ln", "year", "stkcd", "DID", cluster="stkcd"),
                  twfe(d, "digital_ln", "year", "stkcd", "DID", cluster="stkcd")]
        tables = {
            "table3_baseline": regression_table(base, labels=LABELS, title="表3 基准回归：智能制造试点与出口企业TFP（LP）"),
            "table6_tfp_methods": regression_table(robust, labels=LABELS, column_titles=["OP", "ACF", "OLS", "FE"],
                                                   title="稳健性：其他TFP测算方法", keep=["DID"], controls=PAPER000_CONTROLS),
            "text_and_placebo_outcomes": regression_table(others, labels=LABELS, keep=["DID"],
                                                          title="文本指标与零效应结果变量"),
        }
        for name, table in tables.items():
            save_table(table, ctx.dir, name)
        tidy = []
        for name, models in {"baseline": base, "robust_tfp": robust, "other_outcomes": others}.items():
            for k, m in enumerate(models, start=1):
                t = m.tidy().reset_index().rename(columns={"index": "term"})
                t.insert(0, "column", k)
                t.insert(0, "block", name)
                t["depvar"] = m.depvar
                t["nobs"] = m.nobs
                tidy.append(t)
        pd.concat(tidy).to_csv(ctx.dir / "estimates.csv", index=False)
        b = base[-1]
        ctx.info.update(did=float(b.coef()["DID"]), se=float(b.se()["DID"]), nobs=int(b.nobs),
                        tables=sorted(tables))
    return run


# ---------------------------------------------------------------- paper 000 battery
PSM_COVARIATES = ("ROA", "Lev", "Cashflow", "FIXED", "TobinQ", "INST", "size")


def stage_battery(placebo_draws: int):
    """Event study, placebo and PSM-DID of paper 000 (figures and tables into the stage folder)."""
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from .did import event_study, placebo_test, psm_did
        from .report import balance_table, event_study_plot, placebo_plot, pscore_density_plot, regression_table

        d = pd.read_parquet(ctx.inputs["did"] / "estimation_sample.parquet")
        d["size"] = np.log(d["total_assets"])
        d = d.dropna(subset=["TFP_LP", *PAPER000_CONTROLS])
        figs = ctx.dir / "figures"
        figs.mkdir(exist_ok=True)
        ev = event_study(d, "TFP_LP", "year", "stkcd", "gname", window=(-4, 4), controls=PAPER000_CONTROLS)
        ev.tidy().to_csv(ctx.dir / "event_study.csv", index=False)
        event_study_plot(ev, title="图1 平行趋势检验（TFP_LP）").savefig(figs / "event_study.png", dpi=150)
        pl = placebo_test(d, "TFP_LP", "year", "stkcd", "gname", dname="DID", controls=PAPER000_CONTROLS,
                          draws=placebo_draws, seed=20240501)
        placebo_plot(pl).savefig(figs / "placebo.png", dpi=150)
        firm = d.groupby("stkcd").first().reset_index()
        # pooled matching on pre-programme firm characteristics (first observed year)
        d["treat"] = (d["gname"] > 0).astype(int)
        reg = psm_did(d, "TFP_LP", "year", "stkcd", "DID", treat="treat", covariates=list(PSM_COVARIATES),
                      controls=PAPER000_CONTROLS, psm_kwargs={"k": 1, "replace": True, "by": "year"})
        pscore_density_plot(reg.matching).savefig(figs / "pscore.png", dpi=150)
        save_table(balance_table(reg.matching.balance, title="表4 平衡性检验"), ctx.dir, "table4_balance")
        save_table(regression_table([reg], labels=LABELS, keep=["DID"], controls=PAPER000_CONTROLS,
                                    column_titles=["PSM-DID"], title="表5 PSM-DID"), ctx.dir, "table5_psm_did")
        summary = {"pretrend_p": float(ev.pretrend_p), "placebo_p": float(pl.p_value),
                   "placebo_true": float(pl.true_estimate), "placebo_draws": int(placebo_draws),
                   "psm_did": float(reg.coef()["DID"]), "psm_did_se": float(reg.se()["DID"]),
                   "n_firms": int(firm.shape[0])}
        (ctx.dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        ctx.info.update(summary)
    return run


# ---------------------------------------------------------------- N_ML (paper 002)
def stage_nml(world: Path, jobs: int):
    def run(ctx: StageContext) -> None:
        from .text.w2v import build_nml, read_documents

        docs = read_documents(world / "reports" / "analyst", jobs=jobs)
        gov = read_documents(world / "reports" / "gov", doc_type="government_report", jobs=1)
        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")[["stkcd", "year"]]
        res = build_nml(docs, gov["text"].dropna().tolist(), work_dir=ctx.dir / "w2v", panel=panel, jobs=jobs)
        res.expansion.table.to_csv(ctx.dir / "expansion.csv", index=False, encoding="utf-8-sig")
        res.index.table.to_parquet(ctx.dir / "nml.parquet", index=False)
        kept = res.expansion.table
        ctx.info.update(analyst_reports=len(docs), kept_words=kept.loc[kept["kept"].astype(bool), "word"].tolist(),
                        nml_firm_years=int(res.index.table["N_ML"].notna().sum()))
    return run


# ---------------------------------------------------------------- paper 000 Tables 5-8
def _city_pilot_instrument(d: pd.DataFrame, pilots: pd.DataFrame) -> pd.Series:
    """Pilot projects announced in the firm's city up to year t, the firm's own projects excluded.

    Most projects go to applicants that are not listed firms, so the count moves
    a firm's chance of selection without being its own treatment.
    """
    counts = {}
    for rec in pilots.itertuples():
        counts.setdefault((rec.pilot_city, rec.stkcd if isinstance(rec.stkcd, str) else None), []).append(rec.year)
    out = np.zeros(len(d))
    for i, (city, firm, year) in enumerate(zip(d["city"], d["stkcd"], d["year"])):
        for (c, owner), years in counts.items():
            if c == city and owner != firm:
                out[i] += sum(y <= year for y in years)
    return pd.Series(out, index=d.index)


def stage_paper000_tables(world: Path):
    """Endogeneity (Table 5), robustness (6), heterogeneity (7) and mechanisms (8) of paper 000."""
    def run(ctx: StageContext) -> None:
        from .did import (fepois_did, iv_2sls, lag_treatment, logit_did, mechanism_two_step, split_sample, twfe)
        from .did.regression import fit_feols
        from .indicators.controls import esg_score
        from .report import regression_table

        d = pd.read_parquet(ctx.inputs["did"] / "estimation_sample.parquet")
        pm = pd.read_parquet(ctx.inputs["patents"] / "patent_measures.parquet")[["stkcd", "year", "n_invention"]]
        d = d.merge(pm, on=["stkcd", "year"], how="left")
        d["Pat"] = np.log1p(d["n_invention"].fillna(0))
        d["Humcap"] = d["employees_master"] / d["employees"]
        d["ESG"] = esg_score(d["esg_rating"])
        pilots = pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig")
        matches = pd.read_csv(ctx.inputs["panel"] / "pilot_matches.csv", dtype={"stkcd": str}, encoding="utf-8-sig")
        pilots = pilots.merge(matches[["name", "stkcd"]], left_on="申报单位", right_on="name", how="left")
        pilots = pilots.rename(columns={"年份": "year", "所在城市": "pilot_city"})
        d["IV_city_pilots"] = _city_pilot_instrument(d, pilots)
        d = lag_treatment(d, "year", "stkcd", "DID", lags=(1, 2))
        c, kw = PAPER000_CONTROLS, {"cluster": "stkcd"}
        tables = {}

        iv = iv_2sls(d, "TFP_LP", "year", "stkcd", "DID", instruments="IV_city_pilots", controls=c, **kw)
        lag1 = twfe(d, "TFP_LP", "year", "stkcd", "L1_DID", controls=c, **kw)
        lag2 = twfe(d, "TFP_LP", "year", "stkcd", "L2_DID", controls=c, **kw)
        tables["table5_endogeneity"] = regression_table(
            [iv.first_stage[0], iv, lag1, lag2], labels=LABELS, keep=["DID", "IV_city_pilots", "L1_DID", "L2_DID"],
            controls=c, column_titles=["第一阶段", "第二阶段", "L.DID", "L2.DID"],
            column_groups=[("工具变量法", 2), ("滞后解释变量", 2)], title="表5 内生性检验（工具变量与滞后解释变量）")

        robust = [twfe(d, f"TFP_{m}", "year", "stkcd", "DID", controls=c, **kw) for m in ("OP", "OLS", "FE")]
        # continuous treatment: the smart-manufacturing word frequency instead of the pilot dummy
        robust.append(fit_feols(d.dropna(subset=["smart_ln"]), "TFP_LP", ("smart_ln", *c), ("stkcd", "year"),
                                cluster="stkcd", controls=c))
        d["TFP_up"] = (d["TFP_LP"] > d.groupby("year")["TFP_LP"].transform("median")).astype(int)
        d["TFP_pos"] = np.exp(d["TFP_LP"] - d["TFP_LP"].min())
        robust.append(fepois_did(d, "TFP_pos", "year", "stkcd", "DID", controls=c, **kw))
        robust.append(logit_did(d, "TFP_up", "year", "stkcd", "DID", controls=c, fe=("year", "industry"), **kw))
        robust.append(twfe(d, "TFP_LP", "year", "stkcd", "DID", controls=c, fe=("industry",), **kw))
        tables["table6_robustness"] = regression_table(
            robust, labels=LABELS, keep=["DID", "smart_ln"], controls=c,
            column_titles=["OP", "OLS", "FE", "词频", "Poisson", "Logit", "行业FE"], title="表6 稳健性检验")

        d["ownership"] = np.where(d["soe"] == 1, "国有", "非国有")
        d["region"] = d["region"].map({"east": "东部", "central": "中部", "west": "西部"})
        d["factor_intensity"] = d["factor_intensity"].map({"capital": "资本密集型", "labor": "劳动密集型",
                                                           "technology": "技术密集型"})
        het = {}
        for by in ("ownership", "region", "factor_intensity"):
            # a group without treated firms has nothing to estimate (small demo worlds): say so, skip it
            treated = d.groupby(by)["DID"].sum()
            groups = treated.index[treated >= 10]
            skipped = sorted(set(treated.index) - set(groups))
            if skipped:
                ctx.info.setdefault("heterogeneity_groups_skipped", []).extend(f"{by}={g}" for g in skipped)
            het.update(split_sample(d[d[by].isin(groups)], "TFP_LP", "year", "stkcd", "DID", by=by, controls=c,
                                    **kw).items())
        tables["table7_heterogeneity"] = regression_table(list(het.values()), labels=LABELS, keep=["DID"], controls=c,
                                                          column_titles=list(het), title="表7 异质性检验")

        mediators = ["Pat", "Humcap", "ESG"]
        mech = mechanism_two_step(d, "TFP_LP", "year", "stkcd", "DID", mediators=mediators, controls=c, **kw)
        cols = []
        for m in mediators:
            cols += [mech[m], twfe(d, "TFP_LP", "year", "stkcd", "DID", controls=(*c, m), **kw)]
        tables["table8_mechanisms"] = regression_table(
            cols, labels=LABELS, keep=["DID", "Pat", "Humcap", "ESG"], controls=c,
            column_titles=["Pat", "TFP_LP", "Humcap", "TFP_LP", "ESG", "TFP_LP"], title="表8 中介效应检验")
        for name, table in tables.items():
            save_table(table, ctx.dir, name)
        ctx.info.update(tables=sorted(tables), iv=float(iv.coef()["DID"]),
                        first_stage_f=float(iv.extra.get("First-stage F", np.nan)) if hasattr(iv, "extra") else None)
    return run


# ---------------------------------------------------------------- robust staggered DID (paper 002 referees)
def stage_robust():
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from .did import bacon, honest, robust_comparison, twfe_weights
        from .panel import balanced_panel
        from .report import event_study_compare_plot, honest_did_plot, regression_table

        d = pd.read_parquet(ctx.inputs["did"] / "estimation_sample.parquet")
        bal, n_dropped = balanced_panel(d.dropna(subset=["TFP_LP"]), "stkcd", "year")
        figs = ctx.dir / "figures"
        figs.mkdir(exist_ok=True)
        static = robust_comparison(bal, "TFP_LP", "year", "stkcd", "gname", window=(-4, 4))
        save_table(regression_table(list(static), column_titles=static.names, keep=["ATT"],
                                    title="稳健性：异质性稳健的交错DID估计量（平衡面板）"), ctx.dir, "robust_estimators")
        event_study_compare_plot(static.events, title="交错DID：TWFE与异质性稳健估计量的动态效应").savefig(
            figs / "robust_event_studies.png", dpi=150)
        bac = bacon(bal, "TFP_LP", "year", "stkcd", "DID")
        bac.by_type.to_csv(ctx.dir / "bacon_summary.csv")
        weights = twfe_weights(bal, "TFP_LP", "year", "stkcd", "DID")
        sens = honest(static["did2s"].event, method="RM", grid=[0.0, 0.5, 1.0, 1.5, 2.0])
        sens.tidy().to_csv(ctx.dir / "honest_rm.csv", index=False)
        honest_did_plot(sens).savefig(figs / "honest_rm.png", dpi=150)
        summary = {name: {"att": float(r.coef()["ATT"]), "se": float(r.se()["ATT"])} for name, r in static.items()}
        summary["balanced_firms_dropped"] = n_dropped
        summary["balanced_rows"] = int(len(bal))
        summary["dcdh_weights"] = {"n_positive": weights.n_positive, "n_negative": weights.n_negative,
                                   "sum_negative": weights.sum_negative, "text": weights.summary()}
        (ctx.dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str),
                                              encoding="utf-8")
        ctx.info.update({k: v for k, v in summary.items() if k in static})
    return run


# ---------------------------------------------------------------- patents + spillover (paper 004)
def stage_patents(world: Path):
    def run(ctx: StageContext) -> None:
        from .did import city_spillover, fepois_did, twfe
        from .patents import patent_measures
        from .report import regression_table

        data = world / "data"
        firms = pd.read_parquet(data / "firms.parquet")
        subs = pd.read_parquet(data / "subsidiaries.parquet")
        pm = patent_measures(pd.read_parquet(data / "patents.parquet"), firms, subs)
        pm.table.to_parquet(ctx.dir / "patent_measures.parquet", index=False)
        pm.match.table.to_csv(ctx.dir / "applicant_matches.csv", index=False, encoding="utf-8-sig")
        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        d = panel.merge(pm.table, on=["stkcd", "year"], how="left")
        for col in ("n_keytech", "n_invention"):
            d[col] = d[col].fillna(0)        # a listed firm with no application has zero patents, not missing
        d["ln_keytech"] = np.log1p(d["n_keytech"])
        pilots = pd.read_csv(data / "pilot_list.csv", encoding="utf-8-sig")
        matches = pd.read_csv(ctx.inputs["panel"] / "pilot_matches.csv", dtype={"stkcd": str}, encoding="utf-8-sig")
        pilots = pilots.merge(matches[["name", "stkcd"]], left_on="申报单位", right_on="name", how="left")
        pilots = pilots.rename(columns={"年份": "year", "所在城市": "pilot_city"})[["stkcd", "year", "pilot_city"]]
        timing = city_spillover(d.drop(columns=["gname", "rel_time"], errors="ignore"), pilots, tname="year",
                                idname="stkcd", city="city", pilot_city="pilot_city", delay=1, drop_pilot_firms=True,
                                dname="Policy")
        s = timing.data
        s.to_parquet(ctx.dir / "spillover_sample.parquet", index=False)
        models = [twfe(s, "ln_keytech", "year", "stkcd", "Policy", cluster="city"),
                  twfe(s, "ln_keytech", "year", "stkcd", "Policy", fe=("industry^year",), cluster="city"),
                  fepois_did(s, "n_keytech", "year", "stkcd", "Policy", cluster="city")]
        save_table(regression_table(models, keep=["Policy"], column_titles=["OLS", "OLS", "Poisson"],
                                    title="论文004 基准：城市试点对非试点企业关键核心技术创新的溢出"), ctx.dir,
                   "paper004_spillover")
        pois = models[-1]
        ctx.info.update(patents=int(len(pm.patents)), keytech=int(d["n_keytech"].sum()),
                        spill_poisson=float(pois.coef()["Policy"]), spill_poisson_se=float(pois.se()["Policy"]),
                        match=pm.match.counts().to_dict(), spill_rows=int(len(s)))
        summary = {"poisson": float(pois.coef()["Policy"]), "ci_low": float(pois.tidy().loc["Policy", "ci_low"]),
                   "ci_high": float(pois.tidy().loc["Policy", "ci_high"])}
        (ctx.dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return run


def run_measure_and_estimate(runner: StageRunner, world: Path, out: Path, cfg, jobs: int) -> Path:
    """Run the stages after extraction and return the report path."""
    from .report_stage import stage_report

    runner.run("text_index", stage_text_index(jobs), {"lexicons": TEXT_LEXICONS, "filters": ["negation"]},
               deps=("extract",))
    runner.run("panel", stage_panel(world), {"winsorize": [0.01, 0.99]}, deps=("world", "text_index"),
               extra_key={"world": runner.records["world"].info.get("world_sha256", "")})
    runner.run("tfp", stage_tfp(), {"methods": list(TFP_METHODS)}, deps=("panel",))
    runner.run("did", stage_did(), {"controls": list(PAPER000_CONTROLS)}, deps=("panel", "tfp"))
    runner.run("battery", stage_battery(PLACEBO_DRAWS), {"draws": PLACEBO_DRAWS, "psm": list(PSM_COVARIATES)},
               deps=("did",))
    runner.run("robust", stage_robust(), {"window": [-4, 4], "honest": "RM"}, deps=("did",))
    runner.run("patents", stage_patents(world), {"scheme": "sei_ipc_2021"}, deps=("world", "panel"),
               extra_key={"world": runner.records["world"].info.get("world_sha256", "")})
    runner.run("paper000_tables", stage_paper000_tables(world), {"controls": list(PAPER000_CONTROLS)},
               deps=("did", "panel", "patents"))
    runner.run("nml", stage_nml(world, jobs), {"seeds": ["新质生产力"], "threshold": 0.9}, deps=("world", "panel"),
               extra_key={"world": runner.records["world"].info.get("world_sha256", "")})
    # the report is cheap and lives outside the stage folders: always rebuilt
    runner.run("report", stage_report(world, out, runner), {}, deps=("world", "corpus", "extract", "text_index",
                                                                    "panel", "tfp", "did", "battery", "robust", "patents", "paper000_tables", "nml"),
               cache=False)
    return out / "report.html"


def truth_of(world: Path) -> dict:
    return json.loads((world / "truth.json").read_text(encoding="utf-8"))


__all__ = ["run_measure_and_estimate", "truth_of"]
