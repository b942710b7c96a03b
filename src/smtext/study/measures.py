"""Measurement stages of a study (``measures:`` in a spec), each registered with its options.

A measure is a cached stage that reads the study's inputs (and the panel, for TFP) and writes
a firm-year table (``meta["firm_year"]``, keyed by stkcd and year) and/or a city-year table
(``meta["city_year"]``, keyed by city and year); the data-set stage merges them in
registration order. ``fill_zero`` says that a firm-year absent from the file is a zero
(no patent application, no grant line), not a missing value (not measured); ``no_fill`` names
columns left missing even then (a width is undefined without an application, not zero).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..errors import warn
from ..indicators.tfp import STUDY_METHODS
from ..stages import StageContext
from ..text.w2v.expand import DEFAULT_THRESHOLD
from .common import ID, TIME
from .registry import MAX_DRAWS, MAX_SEED, MEASURES, Option
from .sample import financials


class Env:
    """What a measure's stage body may use besides its options: the inputs and the workers."""

    def __init__(self, inputs, jobs: int = 2, scheduler: str | None = None):
        self.inputs, self.jobs, self.scheduler = inputs, jobs, scheduler


def _is_lexicon_path(value: str) -> bool:
    """A lexicons value names a file (``my.csv``, ``lex/x.csv``), not a shipped lexicon."""
    return value.endswith(".csv") or "/" in value or "\\" in value


def _lexicon_file(spec, value: str) -> Path:
    """A user lexicon's path: absolute, or relative to the spec file's folder (the working folder for
    bundled specs and specs parsed from text)."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else Path(spec.folder or Path.cwd()) / p


def _check_lexicons(spec, path: tuple, opts: dict) -> None:
    from ..errors import SMError
    from ..text.lexicon import list_lexicons, load_lexicon
    from .spec import mapping, not_allowed

    known = list(list_lexicons())
    for key, name in mapping(spec, path + ("lexicons",), opts.get("lexicons"), "lexicons").items():
        # the key is a column prefix (<key>_count ...): a plain name, never a path
        if not re.fullmatch(r"\w+", str(key)):
            raise spec.error("SM703", path + ("lexicons", key), f"lexicon key {key!r} is not a plain name: it is the "
                             "prefix of the index columns (<key>_count ...), so it may hold only letters, digits "
                             "and '_'.", "rename it, e.g. digital.")
        if not isinstance(name, str) or not name.strip():
            raise spec.error("SM703", path + ("lexicons", key), f"lexicon {name!r} is not a name or a file path.",
                             f"use a shipped lexicon {known} or the path of your CSV (category,term).")
        if not _is_lexicon_path(name):
            if name not in known:
                raise not_allowed(spec, path + ("lexicons", key), name, known, "lexicon")
            continue
        file = _lexicon_file(spec, name)
        if not file.is_file():
            raise spec.error("SM713", path + ("lexicons", key), f"lexicon file {name!r} does not exist "
                             f"(looked for {file}).", "give the path relative to the spec file's folder.")
        try:
            load_lexicon(file)
        except SMError as err:   # a malformed user lexicon fails at --check, with the spec line
            raise spec.error(err.code, path + ("lexicons", key), err.message, err.fix) from None


def text_params(spec, opts: dict) -> dict:
    """The ``text`` measure's options as run: user lexicon paths made absolute, with their sha256 (so
    editing a lexicon file reruns the stage). Shipped names are left as they are."""
    from ..text.lexicon import load_lexicon

    out = dict(opts)
    lexicons, hashes = {}, {}
    for key, name in (opts.get("lexicons") or {}).items():
        if _is_lexicon_path(name):
            file = _lexicon_file(spec, name).resolve()
            lexicons[key], hashes[key] = str(file), load_lexicon(file).sha256
        else:
            lexicons[key] = name
    out["lexicons"] = lexicons
    if hashes:
        out["lexicon_sha256"] = hashes
    return out


def _check_seeds(spec, path: tuple, opts: dict) -> None:
    seeds = opts.get("seeds", ["新质生产力"])
    if not seeds or not all(isinstance(w, str) and w.strip() for w in seeds):
        raise spec.error("SM703", path + ("seeds",), f"seeds must be a non-empty list of words, got {seeds!r}.")

@MEASURES.register(
    "tfp", "Production-function TFP (value added; labour free, capital state; LP/ACF proxy: cash paid for goods, "
           "OP proxy: investment) -> TFP_<METHOD> per firm-year.",
    schema=(Option("methods", "choices", "estimators, one column TFP_<METHOD> each (gmm: Blundell-Bond system GMM, "
                                         "year effects removed, level instruments lags 3-4)", required=True,
                   choices=(*STUDY_METHODS, "gmm")),
            Option("seed", "int", "seed of the estimators' random starts", default=0, min=0, max=MAX_SEED)),
    deps=("panel",), firm_year="tfp.parquet", needs=())
def tfp_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..indicators.tfp import estimate, log_inputs

        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        d = log_inputs(panel)
        proxies = {"lp": "ln_cash_paid_goods", "acf": "ln_cash_paid_goods", "op": "ln_investment"}
        coefs = []
        for method in ctx.params["methods"]:
            # system GMM with year effects (cross-sectional demeaning), as xtabond2 with year dummies
            res = estimate(d, method, y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                           proxy=proxies.get(method), idname=ID, tname=TIME, seed=int(ctx.params.get("seed", 0)),
                           **({"time_effects": True} if method == "gmm" else {}))
            d[f"TFP_{method.upper()}"] = res.omega
            se = getattr(res, "se", None)
            coefs.append({"method": method, **{f"b_{k}": float(v) for k, v in res.coef.items()},
                          **({f"se_{k}": float(v) for k, v in se.items()} if se is not None else {})})
        cols = [f"TFP_{m.upper()}" for m in ctx.params["methods"]]
        d[[ID, TIME, *cols]].to_parquet(ctx.dir / "tfp.parquet", index=False)
        pd.DataFrame(coefs).to_csv(ctx.dir / "coefficients.csv", index=False)
        ctx.info.update(methods=list(ctx.params["methods"]), rows=int(d[cols[0]].notna().sum()))
    return run


@MEASURES.register(
    "patents", "Key-technology invention patents per firm-year (IPC codes matched to a concordance; applicants "
               "matched to listed firms and subsidiaries); optional city-average technology similarity.",
    schema=(Option("scheme", "choice", "IPC concordance", choices=("sei_ipc_2021", "cnipa_kdt_2023"),
                   default="sei_ipc_2021"),
            Option("inn_keywords", "str", "lexicon of catalogue keywords for Inn (paper 002)"),
            Option("inn_rule", "choice", "Inn: a patent needs the keywords and (or) a key-tech IPC",
                   choices=("and", "or"), default="and"),
            Option("similarity", "bool", "city-average firm-pair similarity on IPC3/IPC4 (sim_ipc3, sim_ipc4)",
                   default=False),
            Option("all_types", "bool", "also count the applications of every patent type (invention, utility "
                                        "model, design): n_applications (paper 000's Pat)", default=False)),
    firm_year="patents.parquet", fill_zero=True, no_fill=("width2", "width3", "ln_width2"),
    city_year="similarity.parquet",
    needs=("patents", "firms", "subsidiaries"))
def patents_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..patents import patent_measures

        firms = env.inputs.read("firms", "measures/patents", info=ctx.info)
        subs = env.inputs.read("subsidiaries", "measures/patents", info=ctx.info)
        pm = patent_measures(env.inputs.read("patents", "measures/patents", info=ctx.info), firms, subs,
                             scheme=ctx.params.get("scheme", "sei_ipc_2021"), inn_keywords=ctx.params.get("inn_keywords"),
                             inn_rule=ctx.params.get("inn_rule", "and"))
        if ctx.params.get("all_types"):  # every type: the prefix "" matches 发明, 实用新型, 外观设计 alike
            every = patent_measures(env.inputs.read("patents", "measures/patents"), firms, subs,
                                    scheme=ctx.params.get("scheme", "sei_ipc_2021"), patent_types=("",))
            pm.table["n_applications"] = pm.table[[ID, TIME]].merge(
                every.table[[ID, TIME, "n_invention"]], on=[ID, TIME], how="left")["n_invention"].fillna(0).astype(
                "int64").to_numpy()
            ctx.info["applications_all_types"] = int(pm.table["n_applications"].sum())
        pm.table.to_parquet(ctx.dir / "patents.parquet", index=False)
        pm.match.table.to_csv(ctx.dir / "applicant_matches.csv", index=False, encoding="utf-8-sig")
        ctx.info.update(patents=int(len(pm.patents)), firm_years=int(len(pm.table)),
                        applicant_matches=pm.match.counts().to_dict())
        if ctx.params.get("similarity"):  # paper 004 Table 5: city-average firm-pair similarity (IPC3, IPC4)
            from ..patents.similarity import tech_similarity

            sim = tech_similarity(pm.codes, firms, levels=("ipc3", "ipc4"))
            sim.city.drop(columns=["n_firms"], errors="ignore").to_parquet(ctx.dir / "similarity.parquet", index=False)
            ctx.info["similarity_city_years"] = int(len(sim.city))
    return run


@MEASURES.register(
    "text", "Keyword indices per firm-year from the annual reports (Aho-Corasick, leftmost-longest): "
            "<key>_count, <key>_ln = ln(1 + count), ...; missing where a report could not be read.",
    schema=(Option("lexicons", "mapping", "column prefix -> shipped lexicon name (smtext index lexicons) or the "
                                          "path of a user lexicon CSV (category,term, or a reviewed expansion), "
                                          "relative to the spec file", required=True),
            Option("filters", "choices", "context filters removing hits", choices=("negation", "third_party"),
                   default=["negation"]),
            Option("scope", "choice", "text counted: the whole report, or the MD&A section (reports whose MD&A is "
                                      "not found are missing, SM214)", choices=("full", "mda"), default="full")),
    deps=("extract",), reports="annual_reports", firm_year="firm_year_index.parquet", check=_check_lexicons,
    params=text_params, needs=("annual_reports", "firms"))
def text_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..text.index_job import index_extract

        # a declared `smtext extract` output is read as it is; otherwise the run's own extract stage
        extracted = env.inputs.extract_dir("annual_reports") or ctx.inputs["extract"]
        res = index_extract(extracted, ctx.params["lexicons"], ctx.dir, scope=ctx.params.get("scope", "full"),
                            filters=tuple(ctx.params.get("filters", ["negation"])), clean_lexicon=None,
                            categories=False, jobs=env.jobs)
        ctx.info.update(documents=len(res.documents), firm_years=len(res.firm_years), removed=res.removed,
                        missing_by_reason=res.dropped)
    return run


@MEASURES.register(
    "nml", "Paper 002's N_ML: Word2Vec on the analyst reports, seed words expanded above a similarity threshold "
           "and screened against the government work reports; N_ML = ln(1 + count) per firm-year.",
    schema=(Option("seeds", "list", "seed words", default=["新质生产力"]),
            Option("threshold", "float", "cosine-similarity cut-off of the expansion (the API's and CLI's default)",
                   default=DEFAULT_THRESHOLD, min=-1, max=1),
            Option("topn", "int", "keep at most this many neighbours", min=1, max=MAX_DRAWS),
            Option("screen", "bool", "drop words absent from the government work reports", default=True),
            Option("keep_boilerplate", "bool", "keep the brokers' disclaimers, certifications, rating definitions "
                                               "and contact lines in the analyst reports", default=False),
            Option("no_report", "choice", "N_ML of a panel firm-year without an analyst report: 0 (no mention; "
                                          "the paper's N counts them) or missing", choices=("zero", "missing"),
                   default="zero")),
    deps=("panel",), firm_year="nml.parquet", folders=("analyst_reports", "gov_reports"), check=_check_seeds,
    needs=("analyst_reports", "gov_reports"))
def nml_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..text.extract import read_folder
        from ..text.w2v import build_nml

        p = ctx.params
        # extracted into the stage's folder (resumable, content-addressed), as every text measure reads its reports
        # broker boilerplate is cut out by default; per-report counts go to extract/analyst/boilerplate.csv
        docs = read_folder(env.inputs.require("analyst_reports", "measures/nml"), ctx.dir / "extract" / "analyst",
                           "analyst_report", jobs=env.jobs, scheduler=env.scheduler,
                           boilerplate="keep" if p.get("keep_boilerplate", False) else "auto")
        gov = read_folder(env.inputs.require("gov_reports", "measures/nml"), ctx.dir / "extract" / "gov",
                          "government_report", jobs=1)
        res = build_nml(docs, gov["text"].dropna().tolist() if p.get("screen", True) else None,
                        list(p.get("seeds", ["新质生产力"])), work_dir=ctx.dir / "w2v",
                        threshold=float(p.get("threshold", DEFAULT_THRESHOLD)), topn=p.get("topn"), name="N_ML", jobs=env.jobs)
        res.expansion.table.to_csv(ctx.dir / "expansion.csv", index=False, encoding="utf-8-sig")
        nml = res.index.table[[ID, TIME, "N_ML"]]
        if p.get("no_report", "zero") == "zero":   # a firm-year without a report has no mention: ln(1 + 0) = 0
            keys = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet", columns=[ID, TIME])
            nml = keys.merge(nml, on=[ID, TIME], how="left", validate="one_to_one")
            ctx.info["no_report_zero"] = int(nml["N_ML"].isna().sum())
            nml["N_ML"] = nml["N_ML"].fillna(0.0)
        nml.to_parquet(ctx.dir / "nml.parquet", index=False)
        kept = res.expansion.table
        ctx.info.update(analyst_reports=len(docs), boilerplate=res.manifest["boilerplate"],
                        kept_words=kept.loc[kept["kept"].astype(bool), "word"].tolist(),
                        expansion_diagnostics=res.expansion.diagnostics,
                        firm_years=int(res.index.table["N_ML"].notna().sum()))
    return run


def _check_postings_lexicon(spec, path: tuple, opts: dict) -> None:
    """The AI-job lexicon is a shipped name or an existing, well-formed user file (as the text measure's)."""
    _check_lexicons(spec, path, {"lexicons": {"lexicon": opts.get("lexicon", "ai_jobs")}})


def postings_params(spec, opts: dict) -> dict:
    """The postings options as run: a user lexicon's path made absolute, with its sha256 in the cache key."""
    run = text_params(spec, {"lexicons": {"lexicon": opts.get("lexicon", "ai_jobs")}})
    out = {**opts, "lexicon": run["lexicons"]["lexicon"]}
    if "lexicon_sha256" in run:
        out["lexicon_sha256"] = run["lexicon_sha256"]["lexicon"]
    return out


@MEASURES.register(
    "postings", "AI job postings per firm-year (paper 002's Aijob): each recruitment posting screened with an AI-job "
                "lexicon (title and description, negated mentions removed) -> postings, ai_postings.",
    schema=(Option("lexicon", "str", "AI-job lexicon: a shipped name or the path of a user lexicon CSV", default="ai_jobs"),
            Option("fields", "choices", "posting text screened", choices=("title", "description"),
                   default=["title", "description"]),
            Option("filters", "choices", "context filters removing hits", choices=("negation", "third_party"),
                   default=["negation"])),
    firm_year="postings.parquet", fill_zero=True, needs=("postings",), check=_check_postings_lexicon,
    params=postings_params)
def postings_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..text.postings import postings_firm_year, screen_postings

        p = ctx.params
        screened = screen_postings(env.inputs.read("postings", "measures/postings", info=ctx.info),
                                   p.get("lexicon", "ai_jobs"), fields=p.get("fields", ["title", "description"]),
                                   filters=tuple(p.get("filters", ["negation"])))
        fy = postings_firm_year(screened)
        # counts only: a firm-year without postings is a zero (fill_zero), its share would not be
        fy[[ID, TIME, "postings", "ai_postings"]].to_parquet(ctx.dir / "postings.parquet", index=False)
        keep = [c for c in ("posting_id", ID, TIME, "title", "is_ai", "ai_terms") if c in screened]
        screened.loc[screened["is_ai"], keep].to_csv(ctx.dir / "ai_postings.csv", index=False, encoding="utf-8-sig")
        ctx.info.update(postings=len(screened), ai_postings=int(screened["is_ai"].sum()), firm_years=len(fy))
    return run


@MEASURES.register(
    "supply_chain", "Upstream / downstream firms of the pilots (paper 002 Table 9 cols. 8-9): top-5 customer and "
                    "supplier tables, partner names matched to listed firms -> chain_up, chain_down (linked to a "
                    "pilot), IM_up, IM_down (from the pilot's selection year).",
    deps=("panel",), firm_year="supply_chain.parquet", needs=("firms",))
def supply_chain_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..errors import SMError
        from ..indicators.supply_chain import chain_edges, match_partners, pilot_exposure, tidy_top5

        tables = [tidy_top5(env.inputs.read(f"top5_{role}s", "measures/supply_chain", info=ctx.info), role)
                  for role in ("customer", "supplier") if env.inputs.declared(f"top5_{role}s")]
        if not tables:
            raise SMError("SM043", "measures/supply_chain needs a top-5 customer or supplier table; neither "
                          "top5_customers nor top5_suppliers is declared.",
                          "declare top5_customers: {file: ..., map: csmar_top5_customers} (and/or top5_suppliers).")
        firms = env.inputs.read("firms", "measures/supply_chain", info=ctx.info)
        subs = env.inputs.read("subsidiaries", "measures/supply_chain", info=ctx.info) \
            if env.inputs.exists("subsidiaries") else None
        match = match_partners(pd.concat(tables, ignore_index=True), firms, subs)
        edges = chain_edges(match.links)
        panel = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet", columns=[ID, TIME, "gname"])
        gname = panel.groupby(ID)["gname"].max()
        out = pilot_exposure(edges, panel, gname)
        out.to_parquet(ctx.dir / "supply_chain.parquet", index=False)
        edges.to_csv(ctx.dir / "links.csv", index=False, encoding="utf-8-sig")
        match.unmatched().to_csv(ctx.dir / "unmatched_partners.csv", index=False, encoding="utf-8-sig")
        ctx.info.update(partner_rows=len(match.links), partner_status=match.counts(), links=len(edges),
                        upstream_firms=int(out.loc[out["chain_up"] == 1, ID].nunique()),
                        downstream_firms=int(out.loc[out["chain_down"] == 1, ID].nunique()))
    return run


@MEASURES.register(
    "ipr", "City IP-protection intensity (paper 002 Table 9): closed IP trial cases and GDP (ipr_cases) -> "
           "IPR = the city's share of the year's cases / its share of GDP (revealed comparative advantage).",
    city_year="ipr.parquet", needs=("ipr_cases",))
def ipr_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..indicators.ipr import ipr_rca

        out = ipr_rca(env.inputs.read("ipr_cases", "measures/ipr", info=ctx.info))
        out.to_parquet(ctx.dir / "ipr.parquet", index=False)
        ctx.info.update(rows=len(out), missing=int(out["IPR"].isna().sum()))
    return run


#: seeds of the ML-built AI indicator: the general AI words of the ai lexicon (core category)
AI_SEEDS = ["人工智能", "机器学习", "深度学习"]


@MEASURES.register(
    "ai_ml", "ML-built firm AI indicator (paper 002 Table 6, the input of AI_mean): Word2Vec trained on the annual "
             "reports, AI seed words expanded above a similarity cut-off; AI_ML = ln(1 + count of seed and similar "
             "words) per firm-year, missing where no report was read.",
    schema=(Option("seeds", "list", "seed words", default=AI_SEEDS),
            Option("threshold", "float", "cosine-similarity cut-off of the expansion", default=DEFAULT_THRESHOLD,
                   min=-1, max=1),
            Option("topn", "int", "keep at most this many neighbours", min=1, max=MAX_DRAWS),
            Option("min_freq", "int", "a similar word must occur this often in the reports", default=5, min=1,
                   max=MAX_DRAWS)),
    deps=("extract",), reports="annual_reports", firm_year="ai_ml.parquet", check=_check_seeds,
    needs=("annual_reports", "firms"))
def ai_ml_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..text.extract import read_documents
        from ..text.w2v import build_nml

        p = ctx.params
        extracted = env.inputs.extract_dir("annual_reports") or ctx.inputs["extract"]
        docs = read_documents(extracted, doc_type="annual_report")
        # no screening text: the AI vocabulary is the reports' own (paper 002 screens only N_ML)
        res = build_nml(docs, None, list(p.get("seeds", AI_SEEDS)), work_dir=ctx.dir / "w2v",
                        threshold=float(p.get("threshold", DEFAULT_THRESHOLD)), topn=p.get("topn"),
                        min_freq=int(p.get("min_freq", 5)), name="AI_ML", jobs=env.jobs)
        res.expansion.table.to_csv(ctx.dir / "expansion.csv", index=False, encoding="utf-8-sig")
        res.index.table[[ID, TIME, "AI_ML_count", "AI_ML"]].to_parquet(ctx.dir / "ai_ml.parquet", index=False)
        kept = res.expansion.table
        ctx.info.update(annual_reports=len(docs), kept_words=kept.loc[kept["kept"].astype(bool), "word"].tolist(),
                        expansion_diagnostics=res.expansion.diagnostics,
                        firm_years=int(res.index.table["AI_ML"].notna().sum()))
    return run


def _composite_schema():
    return (Option("preset", "choice", "a shipped indicator set", choices=("nqpf_002",)),
            Option("indicators", "mapping", "column -> '+' (benefit) or '-' (cost)"),
            Option("pooling", "choice", "weights over all firm-years or by year", choices=("pooled", "by_year"),
                   default="pooled"),
            Option("scale", "float", "multiply the score", default=1.0))


def _check_composites(spec, path: tuple, opts: dict) -> None:
    from .spec import check_options, mapping

    for name, opt in mapping(spec, path + ("composites",), opts.get("composites"), "composites").items():
        opt = mapping(spec, path + ("composites", name), opt, f"composite {name}")
        check_options(spec, path + ("composites", name), opt, _composite_schema(), f"composite {name}")
        if "preset" not in opt and "indicators" not in opt:
            raise spec.error("SM702", path + ("composites", name), f"composite {name!r} needs 'preset' or 'indicators'.")
        for col, sign in (opt.get("indicators") or {}).items():
            if sign not in ("+", "-"):
                raise spec.error("SM703", path + ("composites", name, "indicators", col),
                                 f"indicator {col!r} has direction {sign!r}.", "use '+' (benefit) or '-' (cost).")


@MEASURES.register(
    "extras", "Firm-year variables beyond the statements (firm_extras) and entropy-weight composite indices "
              "(weights over every firm-year of the file, so an index does not change with a table's sample).",
    schema=(Option("composites", "mapping", "NAME -> {preset | indicators, pooling, scale}"),),
    firm_year="extras.parquet", check=_check_composites, needs=("firm_extras",))
def extras_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..indicators.composite import NQPF_002, entropy_weight

        ex = env.inputs.read("firm_extras", "measures/extras", info=ctx.info)
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


def _nfa_average(fin: pd.DataFrame) -> tuple[pd.Series, int]:
    """Mean of this and last year's net fixed assets (固定资产净值平均余额); this year's alone without last year.

    Returns the series aligned to ``fin`` and how many rows had no previous year.
    """
    prev = fin[[ID, TIME, "fixed_assets_net"]].assign(**{TIME: fin[TIME] + 1}).rename(
        columns={"fixed_assets_net": "_prev"})
    m = fin[[ID, TIME, "fixed_assets_net"]].merge(prev, on=[ID, TIME], how="left", validate="one_to_one")
    alone = m["_prev"].isna() & m["fixed_assets_net"].notna()
    avg = ((m["fixed_assets_net"] + m["_prev"]) / 2).where(~alone, m["fixed_assets_net"])
    return pd.Series(avg.to_numpy(), index=fin.index), int(alone.sum())


def _dvar_eq2(env: Env, ctx: StageContext, wide: pd.DataFrame, fin: pd.DataFrame) -> pd.DataFrame | None:
    """Paper 003 eq. (2) per exporter-year, every step kept (None, with a warning, without its inputs)."""
    from ..indicators.shiftshare import dvar_steps

    missing = [c for c in ("cash_paid_goods", "fixed_assets_net") if c not in fin]
    if missing:
        warn("SM482", f"the statements have no {missing}: DVAR_eq2 (paper 003 eq. (2)) is not computed.",
             "add cash_paid_goods (intermediate inputs M^T) and fixed_assets_net (for NFA) to the financials.")
        return None
    nfa, one_year = _nfa_average(fin)
    ctx.info["dvar_eq2_nfa_one_year"] = one_year      # first or after-gap years: this year's balance alone
    d = wide.merge(fin[[ID, TIME, "industry", "cash_paid_goods"]].assign(nfa_average=nfa), on=[ID, TIME], how="left",
                   validate="one_to_one")
    share = None
    if env.inputs.exists("trade_intermediaries"):
        inter = env.inputs.read("trade_intermediaries", "measures/trade", info=ctx.info)
        d = d.merge(inter[["industry", TIME, "intermediary_share"]], on=["industry", TIME], how="left",
                    validate="many_to_one")
        share = "intermediary_share"
        ctx.info["dvar_eq2_no_intermediary_share"] = int(d[share].isna().sum())
    else:
        warn("SM482", "no trade_intermediaries table is declared: DVAR_eq2 counts direct imports only "
                      "(no indirect imports through trade intermediaries).",
             "declare trade_intermediaries: {file: ...} with industry, year, intermediary_share.")
    steps = dvar_steps(d, exports="exports_total", processing_exports="exports_processing",
                       ordinary_exports="exports_ordinary", processing_imports="intermediate_processing",
                       ordinary_imports="intermediate_ordinary", sales="revenue", intermediate_inputs="cash_paid_goods",
                       nfa="nfa_average", intermediary_share=share)
    out = pd.concat([d[[ID, TIME]], steps], axis=1)
    out.to_csv(ctx.dir / "dvar_eq2_steps.csv", index=False)
    ctx.info.update(dvar_eq2_missing=int(out["DVAR"].isna().sum()), dvar_eq2_clipped=int(out["clipped"].sum()))
    return out[[ID, TIME, "DVAR"]].rename(columns={"DVAR": "DVAR_eq2"})


@MEASURES.register(
    "trade", "Export DVAR (Upward-Wang-Zheng) per exporter-year from customs records and revenue (paper 003); "
             "DVAR_prop under the proportionality assumption; DVAR_eq2, paper 003 eq. (2) with indirect imports "
             "through trade intermediaries, the 0.05 term and 0.0417 x NFA (steps in dvar_eq2_steps.csv).",
    firm_year="trade.parquet", needs=("trade", "financials", "firms"))
def trade_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..indicators.shiftshare import dvar

        fin = financials(env.inputs, "measures/trade", ctx.info)[0]
        wide = _trade_wide(env.inputs.read("trade", "measures/trade", info=ctx.info)).merge(
            fin[[ID, TIME, "revenue"]], on=[ID, TIME], how="inner")
        wide["DVAR"] = dvar(wide, exports="exports_total", processing_exports="exports_processing",
                            ordinary_exports="exports_ordinary", processing_imports="intermediate_processing",
                            ordinary_imports="intermediate_ordinary", sales="revenue")
        # robustness (paper 003 Table 2): ordinary intermediate imports allocated by the export share of
        # total sales, without the processing correction (the proportionality assumption)
        share = wide["exports_total"] / wide["revenue"].where(wide["revenue"] > 0)
        foreign = wide["intermediate_processing"] + wide["intermediate_ordinary"] * share
        wide["DVAR_prop"] = (1 - foreign / wide["exports_total"].where(wide["exports_total"] > 0)).clip(0, 1)
        out = wide[[ID, TIME, "DVAR", "DVAR_prop", "exports_total", "exports_processing"]]
        eq2 = _dvar_eq2(env, ctx, wide, fin)
        if eq2 is not None:
            out = out.merge(eq2, on=[ID, TIME], how="left", validate="one_to_one")
        out.to_parquet(ctx.dir / "trade.parquet", index=False)
        ctx.info.update(exporter_years=len(out), dvar_missing=int(out["DVAR"].isna().sum()))
    return run


@MEASURES.register(
    "robots", "Firm robot penetration (Robot, base-year weights; Robot_year, each year's weights as paper 003 "
              "states), the industry's density (Robot_ind) and upstream/downstream exposure (For, Back) per "
              "firm-year (paper 003).",
    schema=(Option("scale", "float", "multiply robot stocks", default=1.0),),
    firm_year="robots.parquet", needs=("financials", "firms", "firm_extras", "industry_robots"))
def robots_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..indicators.robots import (
            chain_exposure,
            firm_robot_exposure,
            industry_robot_density,
        )

        scale = float(ctx.params.get("scale", 1.0))
        d = financials(env.inputs, "measures/robots", ctx.info)[0][[ID, TIME, "employees", "industry"]]
        ex = env.inputs.read("firm_extras", "measures/robots", info=ctx.info)[[ID, TIME, "production_workers"]]
        d = d.merge(ex, on=[ID, TIME], how="left", validate="one_to_one")
        robots = env.inputs.read("industry_robots", "measures/robots", info=ctx.info)
        dens = industry_robot_density(d, robots, scale=scale, workers="production_workers")
        d["Robot"] = firm_robot_exposure(d, robots, scale=scale, density=dens)
        d["Robot_year"] = firm_robot_exposure(d, robots, scale=scale, density=dens, weights="year")
        d = d.merge(dens[["industry", TIME, "robot_density"]].rename(columns={"robot_density": "Robot_ind"}),
                    on=["industry", TIME], how="left", validate="many_to_one")
        if env.inputs.exists("io_table"):
            chain = chain_exposure(env.inputs.read("io_table", "measures/robots", info=ctx.info), dens)
            d = d.merge(chain, on=["industry", TIME], how="left", validate="many_to_one")
        keep = [ID, TIME, "Robot", "Robot_year", "Robot_ind"] + [c for c in ("For", "Back") if c in d]
        d[keep].to_parquet(ctx.dir / "robots.parquet", index=False)
        ctx.info.update(rows=len(d), robot_missing=int(d["Robot"].isna().sum()))
    return run


@MEASURES.register(
    "frontier", "Capacity utilisation Cur_sfa per firm-year: technical efficiency E[exp(-u)|e] (Battese-Coelli) of a "
                "Cobb-Douglas stochastic production frontier fitted by maximum likelihood on every firm-year of the "
                "statements (paper 002 Cur); Cur_jlms = exp(-E[u|e]); estimates in frontier.json.",
    schema=(Option("output", "str", "output column (statements or firm_extras), logged", default="gross_output"),
            Option("inputs", "list", "input columns, logged", default=["fixed_assets_net", "employees"]),
            Option("distribution", "choice", "inefficiency distribution", choices=("half_normal", "truncated_normal"),
                   default="half_normal"),
            Option("panel", "choice", "cross-section, time-invariant (bc88) or Battese-Coelli 1992 decay (bc92)",
                   choices=("none", "bc88", "bc92"), default="none")),
    firm_year="frontier.parquet", needs=("financials", "firms"))
def frontier_measure(env: Env):
    def run(ctx: StageContext) -> None:
        import numpy as np

        from ..errors import SMError
        from ..indicators.frontier import stochastic_frontier

        output = ctx.params.get("output", "gross_output")
        inputs = list(ctx.params.get("inputs", ["fixed_assets_net", "employees"]))
        d = financials(env.inputs, "measures/frontier", ctx.info)[0]
        if env.inputs.exists("firm_extras"):      # output may be there (the demo's gross_output)
            ex = env.inputs.read("firm_extras", "measures/frontier", info=ctx.info)
            d = d.merge(ex[[ID, TIME] + [c for c in ex.columns if c not in d.columns and c not in (ID, TIME)]],
                        on=[ID, TIME], how="left", validate="one_to_one")
        missing = [c for c in [output, *inputs] if c not in d.columns]
        if missing:
            raise SMError("SM487", f"measures/frontier: no column {missing} in the statements or firm_extras.",
                          "name existing columns in output / inputs.")
        logs = pd.DataFrame({f"ln_{c}": np.log(d[c].where(d[c] > 0)) for c in [output, *inputs]})
        ctx.info["frontier_nonpositive"] = {c: int((d[c] <= 0).sum()) for c in [output, *inputs]}
        panel = ctx.params.get("panel", "none")
        res = stochastic_frontier(pd.concat([d[[ID, TIME]], logs], axis=1), f"ln_{output}",
                                  [f"ln_{c}" for c in inputs], distribution=ctx.params.get("distribution", "half_normal"),
                                  panel=None if panel == "none" else panel)
        out = d[[ID, TIME]].assign(Cur_sfa=res.efficiency["te_bc"].reindex(d.index),
                                   Cur_jlms=res.efficiency["te_jlms"].reindex(d.index))
        out.to_parquet(ctx.dir / "frontier.parquet", index=False)
        summary = {"params": res.params.round(8).to_dict(), "se": res.se.round(8).to_dict(), "loglik": res.loglik,
                   "nobs": res.nobs, "converged": res.converged, "dropped": res.n_dropped,
                   "efficiency": "Cur_sfa = E[exp(-u)|e] (Battese-Coelli 1988); Cur_jlms = exp(-E[u|e]) (JLMS 1982)"}
        (ctx.dir / "frontier.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        ctx.info.update(rows=len(out), frontier_rows=res.nobs, frontier_dropped=res.n_dropped,
                        converged=res.converged)
    return run


@MEASURES.register(
    "subsidies", "R&D subsidies (rd_subsidy) and tax refunds (tax_refund) per firm-year from grant line items, "
                 "classified with the rd_subsidy lexicon (paper 002).",
    firm_year="subsidies.parquet", fill_zero=True, needs=("subsidies",))
def subsidies_measure(env: Env):
    def run(ctx: StageContext) -> None:
        from ..text.count import classify

        items = env.inputs.read("subsidies", "measures/subsidies", info=ctx.info)
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


@MEASURES.register(
    "city", "City-year controls, instruments and competing policies (city_year, city_instruments, city_policies), "
            "merged on the firm's city and year.",
    city_year="city.parquet", needs=("city_year", "city_instruments"))
def city_measure(env: Env):
    def run(ctx: StageContext) -> None:
        city = env.inputs.read("city_year", "measures/city", info=ctx.info).drop(columns=["province"], errors="ignore")
        inst = env.inputs.read("city_instruments", "measures/city", info=ctx.info)
        city = city.merge(inst, on="city", how="left", validate="many_to_one")
        if env.inputs.declared("city_policies"):  # competing policies and IPR protection (paper 002)
            city = city.merge(env.inputs.read("city_policies", "measures/city", info=ctx.info), on=["city", TIME], how="left",
                              validate="one_to_one")
        else:
            warn("SM708", "no city_policies table is declared: the competing-policy and IPR-protection columns "
                          "(paper 002's AIP, BC, CDG, NBD, SCP, ipr_protection) are absent.",
                 "declare city_policies: {file: ...} (city, year and one 0/1 column per policy) if a table uses them.")
        city.to_parquet(ctx.dir / "city.parquet", index=False)
        ctx.info.update(rows=len(city))
    return run


# ---------------------------------------------------------------- the report folders' corpus and extraction
def stage_corpus(env: Env, folder: str):
    """Stage body: the annual reports kept for counting (cninfo names, revisions) and those left out."""
    def run(ctx: StageContext) -> None:
        from ..text import corpus
        from ..text.pdf import TRANSIENT

        # names first (cninfo forms, resolved through the firm table); a report whose name says too little
        # is identified from its own first pages, and that guess is recorded per document (id_source)
        firms = env.inputs.read("firms", "measures/text", info=ctx.info)
        found = corpus.scan(env.inputs.require(folder, "measures/text"), firms=firms, identify="missing",
                            jobs=env.jobs, scheduler=env.scheduler, cache=ctx.dir / "identity")
        kept, excluded = corpus.select(found, ("annual_report",))
        excluded = corpus.add_skipped(excluded, found)      # unreadable folders, links, FIFOs, GBK names
        kept.to_parquet(ctx.dir / "manifest.parquet", index=False)
        excluded.to_csv(ctx.dir / "excluded.csv", index=False)
        ctx.retry = bool(found.get("cover_status", pd.Series(dtype=object)).isin(TRANSIENT).any())
        ctx.info.update(found=len(found), kept=len(kept), excluded=len(excluded),
                        excluded_reasons=excluded["reason"].value_counts().to_dict(),
                        identity=corpus.identity_counts(found))
    return run


def stage_extract(env: Env, folder: str):
    """Stage body: clean per-page text of the kept reports (resumable, content-addressed)."""
    def run(ctx: StageContext) -> None:
        from ..text.extract import extract_documents
        from ..text.pdf import TRANSIENT

        manifest = pd.read_parquet(ctx.inputs["corpus"] / "manifest.parquet")
        documents = extract_documents(env.inputs.path(folder), manifest, ctx.dir, ctx.params["backend"],
                                      env.jobs, env.scheduler)
        documents.to_parquet(ctx.dir / "documents.parquet", index=False)
        failures = documents[documents["status"] != "ok"]
        failures.to_csv(ctx.dir / "failures.csv", index=False)
        ctx.retry = bool(failures["code"].isin(TRANSIENT).any())     # a timeout is retried by the next run
        ctx.info.update(documents=len(documents), pages=int(documents["n_pages"].sum()), failed=len(failures),
                        failure_reasons=failures["status"].value_counts().to_dict())
    return run

