"""Generate the demo world: tables, PDFs and ``truth.json``.

Layout of a world folder::

    truth.json                  every planted parameter and effect, file list, summary counts
    truth/                      per-document and per-firm-year truth tables (CSV / Parquet)
    data/                       firms, subsidiaries, financials, pilot list, city data, patents ...
    reports/annual/<year>/      annual reports (and summaries, English versions, broken files)
    reports/analyst/<year>/     analyst reports
    reports/gov/                government work reports 2023-2024

Every random draw derives from ``WorldConfig.seed`` through named streams, so
the same seed gives byte-identical files and a different seed a different world.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from . import context, extras, financials, pilots, postings, supply_chain, text, vocabulary
from .config import WorldConfig
from .firms import make_firms
from .patents import KEYTECH_CODES, NONKEY_CODES, make_patents
from ..manifest import build_manifest, file_sha256, write_manifest
from .pdf import image_only_pdf, render_pdf_with_pages, truncate
from .truth import dvar_eq2, robot_exposure

BROKERS = ["华泰证券", "中信证券", "国泰君安", "招商证券", "广发证券", "海通证券"]
TRUTH_VERSION = 1
# bump when the generator's output changes for the same config (invalidates cached worlds);
# 8: OP/LP proxies and broker boilerplate; 9: prose from the topic vocabulary;
# 10: admin expenses, operating cost and total profit in the statements;
# 11: recruitment postings, top-5 customer/supplier tables, IPR case counts (paper 002)
# 12: trade intermediaries and the paper 003 eq. (2) DVAR in truth/dvar.parquet; gross_output on a frontier
GENERATOR_VERSION = 12


def _rng(cfg: WorldConfig, *key) -> np.random.Generator:
    """A random stream named by ``key`` (stable across runs and independent of call order)."""
    words = [cfg.seed] + [zlib.crc32(str(k).encode()) for k in key]
    return np.random.default_rng(words)


def _annual_name(rng: np.random.Generator, firm: dict, year: int, suffix: str = "") -> str:
    if rng.random() < 0.8:
        return f"{firm['stkcd']}_{year}_{firm['short_name']}_{year}年年度报告{suffix}.pdf"
    day = int(rng.integers(10, 29))
    return f"{year + 1}-04-{day:02d}__{firm['name']}__{firm['stkcd']}__{firm['short_name']}__{year}年__年度报告{suffix}.pdf"


def _render_job(job: tuple) -> tuple[str, bytes, dict]:
    """Render one document (runs in a worker process)."""
    path, spec, mode, seed = job
    if mode == "image_only":
        return path, image_only_pdf(np.random.default_rng(seed)), {}
    data, pages = render_pdf_with_pages(spec, encrypt="smtext-demo" if mode == "encrypted" else None)
    if mode == "truncated":
        data = truncate(data)
    return path, data, pages


def build_economy(cfg: WorldConfig) -> dict[str, pd.DataFrame]:
    """Firms, pilot selection, productivity and statements (no documents)."""
    firms, subs = make_firms(_rng(cfg, "firms"), cfg)
    fy = financials.firm_years(_rng(cfg, "firm_years"), firms, cfg)
    fy["omega0"] = financials.productivity(_rng(cfg, "omega"), firms, fy, cfg)
    gname = pilots.select_pilots(_rng(cfg, "pilots"), firms, cfg)
    firms["gname"] = firms["stkcd"].map(gname).astype(int)
    fy["gname"] = fy["stkcd"].map(gname).astype(int)
    since = fy["year"] - fy["gname"]
    fy["treated_post"] = ((fy["gname"] > 0) & (since >= 0)).astype(int)
    fy["tfp_effect"] = [cfg.tfp_effect(int(s)) if g > 0 else 0.0 for s, g in zip(since, fy["gname"])]
    fy["omega"] = fy["omega0"] + fy["tfp_effect"]
    listing, pilot_truth = pilots.pilot_list(_rng(cfg, "pilot_list"), firms, subs, gname, cfg)
    first = pilots.city_first_pilot(listing)
    fin = financials.statements(_rng(cfg, "statements"), firms, fy, cfg, proxy_rng=_rng(cfg, "proxies"))
    fin = fin.join(financials.expense_items(_rng(cfg, "expense_items"), fin))   # a stream of its own
    fin = fin.join(fy[["gap", "gname", "treated_post", "tfp_effect", "omega"]])
    fin["city"] = fin["stkcd"].map(firms.set_index("stkcd")["city"])
    fin["city_first_pilot"] = fin["city"].map(first).fillna(0).astype(int)
    fin["spill_post"] = ((fin["city_first_pilot"] > 0) & (fin["year"] > fin["city_first_pilot"])
                         & (fin["gname"] == 0)).astype(int)
    return {"firms": firms, "subsidiaries": subs, "fin": fin, "pilot_list": listing, "pilot_truth": pilot_truth}


def planted_term_lists() -> tuple[str, ...]:
    """Every term the demo plants on its own (filler and a user's plant file must avoid them)."""
    return tuple(sorted(set(text.SMART_TERMS + text.DIGITAL_TERMS + text.AI_TERMS + [text.NQPF_SEED]
                            + text.NQPF_SYNONYMS + text.NQPF_JARGON)))


def _prose_factory(cfg: WorldConfig):
    """``prose(*key)``: the filler writer of one document, on a stream of its own (None: fixed filler)."""
    if not cfg.vocabulary_prose:
        return lambda *key: None
    user = tuple(t for t, _, _ in cfg.plant)
    vocabulary.check_plant_terms(user, planted_term_lists())
    forbidden = planted_term_lists() + user
    return lambda *key: vocabulary.Prose(_rng(cfg, "prose", *key), forbidden=forbidden)


def _plant_plan(cfg: WorldConfig, firms: pd.DataFrame):
    """Firm effects of a user's planted vocabulary and the per-report draw (own streams)."""
    if not cfg.plant:
        return None, None
    z = _rng(cfg, "plant_firm").standard_normal(len(firms))
    effect = dict(zip(firms["stkcd"], np.exp(cfg.plant_firm_sigma * z - cfg.plant_firm_sigma ** 2 / 2)))
    terms = [t for t, _, _ in cfg.plant]
    weights = np.array([w for _, w, _ in cfg.plant], dtype=float)
    topics = [vocabulary.plant_topic(c) for _, _, c in cfg.plant]

    def draw(stkcd: str, year: int) -> tuple[float, list[tuple[str, str]]]:
        rng = _rng(cfg, "plant", stkcd, year)
        rate = cfg.plant_rate * effect[stkcd] * np.exp(cfg.plant_trend * (year - cfg.first_year))
        picks = rng.choice(len(terms), size=int(rng.poisson(rate)), p=weights / weights.sum())
        return float(rate), [(terms[int(i)], topics[int(i)]) for i in picks]

    return effect, draw


def _document_plan(cfg: WorldConfig, firms: pd.DataFrame, fin: pd.DataFrame):
    """Specs and truth rows of every document, plus the render jobs."""
    f = firms.set_index("stkcd")
    prose = _prose_factory(cfg)
    plant_effect, plant_draw = _plant_plan(cfg, firms)
    user_rows, rate_rows = [], []
    clean_rng = _rng(cfg, "clean")
    never = firms.loc[firms["gname"] == 0, "stkcd"].to_numpy()
    clean = set(clean_rng.choice(never, size=int(cfg.clean_control_share * len(never)), replace=False))
    obs = fin[~fin["gap"]].reset_index(drop=True)
    broken_rng = _rng(cfg, "broken")
    picks = broken_rng.choice(len(obs), size=3 * cfg.n_broken_each + 12, replace=False)
    k = cfg.n_broken_each
    broken = {**{int(i): "encrypted" for i in picks[:k]}, **{int(i): "truncated" for i in picks[k:2 * k]},
              **{int(i): "image_only" for i in picks[2 * k:3 * k]}}
    amended = {int(i) for i in picks[3 * k:3 * k + 4]}
    summaries = {int(i) for i in picks[3 * k + 4:3 * k + 8]}
    english = {int(i) for i in picks[3 * k + 8:3 * k + 12]}

    jobs, docs, mentions = [], [], []

    def add(path: str, spec, mode: str, meta: dict, planted: list | None, job_seed: int = 0) -> None:
        jobs.append((path, spec, mode, job_seed))
        docs.append({"file": path, **meta, "status": "ok" if mode == "ok" else mode})
        for m in planted or []:
            if m.kind == "user":
                user_rows.append({"file": path, "stkcd": meta["stkcd"], "year": meta["year"], "term": m.term,
                                  "section": m.section, "status": "ok" if mode == "ok" else mode,
                                  "canonical": bool(meta.get("canonical"))})
                continue
            mentions.append({"file": path, "term": m.term, "kind": m.kind, "section": m.section})

    revenue_of = dict(zip(zip(fin["stkcd"], fin["year"]), fin["revenue"]))
    for i, rec in enumerate(obs.itertuples()):
        firm = {"stkcd": rec.stkcd, "name": f.at[rec.stkcd, "name"], "short_name": f.at[rec.stkcd, "short_name"]}
        rng = _rng(cfg, "annual", rec.stkcd, rec.year)
        t = rec.year - cfg.first_year
        d = rec.treated_post
        planted = []
        if rec.stkcd not in clean:
            rate = np.exp(-0.6 + f.at[rec.stkcd, "latent_smart"] + 0.08 * t + cfg.smart_text_effect * d)
            planted += text.draw_mentions(rng, text.SMART_TERMS, rate)
        planted += text.draw_mentions(rng, text.DIGITAL_TERMS,
                                      np.exp(0.0 + f.at[rec.stkcd, "latent_digital"] + 0.1 * t + cfg.digital_text_effect * d))
        planted += text.draw_mentions(rng, text.AI_TERMS, np.exp(-1.2 + f.at[rec.stkcd, "latent_ai"] + 0.12 * t))
        if rec.year >= 2023:
            planted += text.draw_mentions(rng, [text.NQPF_SEED], np.exp(-0.5 + 0.5 * f.at[rec.stkcd, "latent_nqpf"]))
        fin_d = {"revenue": rec.revenue, "net_profit": rec.net_profit, "total_assets": rec.total_assets,
                 "revenue_prev": float(revenue_of.get((rec.stkcd, rec.year - 1), float("nan")))}
        user_terms = None
        if plant_draw is not None:
            rate, user_terms = plant_draw(rec.stkcd, rec.year)
            rate_rows.append({"stkcd": rec.stkcd, "year": rec.year, "firm_effect": plant_effect[rec.stkcd],
                              "rate": rate, "n_planted": len(user_terms)})
        spec = text.annual_report(rng, firm, rec.year, fin_d, planted, mda_variant=int(rec.stkcd) % 2,
                                  prose=prose("annual", rec.stkcd, rec.year), user_terms=user_terms)
        meta = {"stkcd": rec.stkcd, "year": rec.year, "doc_type": "annual_report", "mda_title": text.mda_title(rec.year, int(rec.stkcd) % 2)}
        folder = f"reports/annual/{rec.year}"
        name = _annual_name(rng, firm, rec.year)
        if i in amended:
            # the first filing lacks the last MD&A paragraph; the amended filing is complete
            first = text.DocumentSpec(spec.header, spec.cover, [
                text.Section(s.key, s.heading, s.blocks[:-2] + s.blocks[-1:] if s.key == "mda" and len(s.blocks) > 2 else s.blocks)
                for s in spec.sections])
            add(f"{folder}/{name}", first, "ok", {**meta, "canonical": False, "superseded": True}, first.mentions())
            add(f"{folder}/{name[:-4]}（更正后）.pdf", spec, "ok", {**meta, "canonical": True, "amended": True}, spec.mentions())
        else:
            mode = broken.get(i, "ok")
            add(f"{folder}/{name}", spec if mode != "image_only" else None, mode,
                {**meta, "canonical": True}, spec.mentions(), job_seed=i)
        if i in summaries:
            add(f"{folder}/{rec.stkcd}_{rec.year}_{firm['short_name']}_{rec.year}年年度报告摘要.pdf",
                text.summary_report(rng, firm, rec.year, prose=prose("summary", rec.stkcd, rec.year)), "ok",
                {"stkcd": rec.stkcd, "year": rec.year, "doc_type": "summary", "canonical": False}, [])
        if i in english:
            add(f"{folder}/{rec.stkcd}_{rec.year}_{firm['short_name']}_{rec.year}年年度报告（英文版）.pdf",
                text.english_report(firm, rec.year), "ok",
                {"stkcd": rec.stkcd, "year": rec.year, "doc_type": "english", "canonical": False}, [])

    # analyst reports: coverage rises with size; NQPF language follows the latent trait
    nqpf_rows, boiler_rows, boiler_mentions = [], [], []
    for rec in obs.itertuples():
        rng = _rng(cfg, "analyst", rec.stkcd, rec.year)
        size = f.at[rec.stkcd, "latent_size"]
        if rng.random() > min(0.95, cfg.analyst_coverage * np.exp(0.3 * size)):
            continue
        firm = {"stkcd": rec.stkcd, "short_name": f.at[rec.stkcd, "short_name"]}
        for j in range(int(rng.integers(1, 4))):
            broker = str(rng.choice(BROKERS))
            doc_prose = prose("analyst", rec.stkcd, rec.year, j)
            rate = np.exp(0.2 + 0.6 * f.at[rec.stkcd, "latent_nqpf"] + 0.3 * rec.treated_post + 0.04 * (rec.year - cfg.first_year))
            spec, counts = text.analyst_report(rng, firm, rec.year, broker, int(rng.poisson(rate)),
                                               seed_share=0.4 if rec.year >= 2023 else 0.0, prose=doc_prose)
            # the broker's boilerplate draws from its own stream: the report text and its truth above do not move
            spec, bp = text.broker_boilerplate(_rng(cfg, "analyst_boilerplate", rec.stkcd, rec.year, j), spec,
                                               broker, rec.year)
            path = f"reports/analyst/{rec.year}/{rec.stkcd}_{rec.year}_{firm['short_name']}_研究报告_{broker}_{j + 1}.pdf"
            boiler_rows.append({"file": path, "broker": broker, "chars": bp.chars(), "footer": bp.blocks["footer"],
                                "blocks": ";".join(bp.blocks)})
            boiler_mentions += [{"file": path, "stkcd": rec.stkcd, "year": rec.year, "block": b, "term": t, "n": n,
                                 "in_boilerplate": True} for b, t, n in bp.mentions()]
            jobs.append((path, spec, "ok", 0))
            docs.append({"file": path, "stkcd": rec.stkcd, "year": rec.year, "doc_type": "analyst_report",
                         "status": "ok", "canonical": True})
            nqpf_rows += [{"file": path, "stkcd": rec.stkcd, "year": rec.year, "term": w, "n": n} for w, n in counts.items()]
    for year in (2023, 2024):
        spec, counts = text.government_report(_rng(cfg, "gov", year), year)
        path = f"reports/gov/{year}年政府工作报告.pdf"
        jobs.append((path, spec, "ok", 0))
        docs.append({"file": path, "stkcd": "", "year": year, "doc_type": "government_report", "status": "ok",
                     "canonical": True})
        nqpf_rows += [{"file": path, "stkcd": "", "year": year, "term": w, "n": n} for w, n in counts.items()]
    boiler = {"reports": pd.DataFrame(boiler_rows, columns=["file", "broker", "chars", "footer", "blocks"]),
              "mentions": pd.DataFrame(boiler_mentions, columns=["file", "stkcd", "year", "block", "term", "n",
                                                                 "in_boilerplate"])}
    return jobs, docs, mentions, nqpf_rows, clean, boiler, (user_rows, rate_rows)


def generate_world(out: str | Path, cfg: WorldConfig | None = None, jobs: int = 2,
                   progress: Callable[[int, int], None] | None = None, documents: bool = True) -> Path:
    """Write a complete demo world to ``out`` and return the path of ``truth.json``.

    Parameters
    ----------
    out : path
        Target folder (created; the data/, truth/ and reports/ folders of a previous world are replaced).
    cfg : WorldConfig, optional
        Size, seed and planted effects; defaults to :class:`WorldConfig`.
    jobs : int
        Worker processes used to render the PDFs (output does not depend on it).
    progress : callable, optional
        Called as ``progress(done, total)`` while PDFs are written.
    documents : bool
        Render the PDF reports. ``False`` writes the tables and truth only (the document plan
        is still drawn, so the tables are identical): enough for specs without text measures,
        and much faster at the papers' scale.
    """
    cfg = cfg or WorldConfig()
    out = Path(out)
    render = bool(documents)   # the name `documents` is reused below for the document table
    # a previous world's files would otherwise linger beside the new ones
    for sub in ("data", "truth", "reports"):
        if (out / sub).is_dir():
            shutil.rmtree(out / sub)
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    eco = build_economy(cfg)
    firms, subs, fin = eco["firms"], eco["subsidiaries"], eco["fin"]

    # tables users get (truth-only columns are kept out of data/)
    latent = [c for c in firms.columns if c.startswith("latent_")] + ["gname"]
    firms.drop(columns=latent).to_parquet(out / "data" / "firms.parquet", index=False)
    subs.to_parquet(out / "data" / "subsidiaries.parquet", index=False)
    obs = fin[~fin["gap"]]
    hidden = ["gap", "gname", "treated_post", "tfp_effect", "omega", "city", "city_first_pilot", "spill_post"]
    statements = obs.drop(columns=hidden)
    dup_rng = _rng(cfg, "duplicates")
    dups = statements.iloc[np.sort(dup_rng.choice(len(statements), size=2, replace=False))]
    pd.concat([statements, dups]).sort_values(["stkcd", "year"], kind="stable").to_parquet(
        out / "data" / "financials.parquet", index=False)
    eco["pilot_list"].to_csv(out / "data" / "pilot_list.csv", index=False, encoding="utf-8-sig")
    city_panel, instruments = context.city_year(_rng(cfg, "city"), cfg)
    city_panel.to_parquet(out / "data" / "city_year.parquet", index=False)
    instruments.to_parquet(out / "data" / "city_instruments.parquet", index=False)
    robots = context.industry_robots(_rng(cfg, "robots"), cfg)
    robots.to_parquet(out / "data" / "industry_robots.parquet", index=False)
    extra = extras.firm_extras(_rng(cfg, "extras"), firms, obs, cfg)
    extra["gross_output"], efficiency = extras.gross_output(_rng(cfg, "frontier"), obs)
    obs[["stkcd", "year"]].assign(technical_efficiency=efficiency).to_parquet(out / "truth" / "frontier.parquet",
                                                                            index=False)
    extra.to_parquet(out / "data" / "firm_extras.parquet", index=False)
    extras.city_policies(_rng(cfg, "policies"), cfg).to_parquet(out / "data" / "city_policies.parquet", index=False)
    extras.io_table(_rng(cfg, "io")).to_parquet(out / "data" / "io_table.parquet", index=False)
    ipr_table, ipr_truth = extras.ipr_cases(_rng(cfg, "ipr_cases"), cfg)   # paper 002 IPR (own stream)
    ipr_table.to_parquet(out / "data" / "ipr_cases.parquet", index=False)
    ipr_truth.to_csv(out / "truth" / "ipr_city_year.csv", index=False)
    robot = _robot_penetration(obs, extra, firms, robots, cfg)
    dvar = extras.dvar_target(_rng(cfg, "dvar"), obs, robot, cfg.dvar_robot_effect, cfg)
    trade = context.trade_records(_rng(cfg, "trade"), obs, dvar)
    trade.to_parquet(out / "data" / "trade.parquet", index=False)
    shares = extras.trade_intermediaries(_rng(cfg, "intermediaries"), cfg)
    shares.to_parquet(out / "data" / "trade_intermediaries.parquet", index=False)
    subsidy = context.subsidies(_rng(cfg, "subsidies"), obs)
    subsidy.drop(columns="truth_is_rd").to_parquet(out / "data" / "subsidies.parquet", index=False)
    subsidy[["item", "truth_is_rd"]].drop_duplicates().sort_values("item").to_csv(
        out / "truth" / "subsidy_items.csv", index=False)
    # recruitment postings with planted AI demand (paper 002 Aijob), on a stream of their own
    posts = postings.make_postings(_rng(cfg, "postings"), firms, obs, cfg)
    posts.drop(columns="truth_is_ai").to_parquet(out / "data" / "postings.parquet", index=False)
    posts[["posting_id", "stkcd", "year", "truth_is_ai"]].to_csv(out / "truth" / "postings.csv", index=False)
    post_truth = postings.postings_truth(posts)
    post_truth.to_csv(out / "truth" / "postings_firm_year.csv", index=False)
    # top-5 customers and suppliers by name, as CSMAR exports them (paper 002 Table 9 cols. 8-9)
    top5 = supply_chain.top5_tables(_rng(cfg, "supply_chain"), firms, subs, obs)
    for role in ("customer", "supplier"):
        supply_chain.write_csmar(top5, role, out / "data" / f"top5_{role}s.csv")
    top5.to_csv(out / "truth" / "top5_partners.csv", index=False)
    chain_truth = supply_chain.exposure_truth(top5, dict(zip(firms["stkcd"], firms["gname"])), obs)
    chain_truth.to_parquet(out / "truth" / "supply_chain_firm_year.parquet", index=False)
    obs_p = obs.assign(name_on_patent=obs["stkcd"].map(firms.set_index("stkcd")["name"])).reset_index(drop=True)
    records, patent_truth = make_patents(_rng(cfg, "patents"), firms, subs, obs_p, obs_p["spill_post"], cfg)
    records.to_parquet(out / "data" / "patents.parquet", index=False)

    # documents
    jobs_list, docs, mentions, nqpf_rows, clean, boiler, (user_rows, rate_rows) = _document_plan(cfg, firms, fin)
    total = len(jobs_list)
    pages_rows = []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        rendered = pool.map(_render_job, jobs_list, chunksize=16) if render else ()
        for done, (path, data, pages) in enumerate(rendered, start=1):
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            for key, page in pages.items():
                pages_rows.append({"file": path, "section": key, "first_page": page})
            if progress:
                progress(done, total)

    documents = pd.DataFrame(docs)
    documents.to_csv(out / "truth" / "documents.csv", index=False)
    planted = pd.DataFrame(mentions, columns=["file", "term", "kind", "section"])
    planted = planted.groupby(["file", "term", "kind", "section"], as_index=False).size().rename(columns={"size": "n"})
    planted.to_csv(out / "truth" / "planted_mentions.csv", index=False)
    pd.DataFrame(nqpf_rows, columns=["file", "stkcd", "year", "term", "n"]).to_csv(out / "truth" / "nqpf_mentions.csv", index=False)
    pd.DataFrame(pages_rows).to_csv(out / "truth" / "section_pages.csv", index=False)
    boiler["reports"].to_csv(out / "truth" / "analyst_boilerplate.csv", index=False)
    boiler["mentions"].to_csv(out / "truth" / "boilerplate_mentions.csv", index=False)
    patent_truth.to_csv(out / "truth" / "patents_firm_year.csv", index=False)
    eco["pilot_truth"].to_csv(out / "truth" / "pilot_applicants.csv", index=False)
    truth_panel = fin[["stkcd", "year", "gap", "gname", "treated_post", "tfp_effect", "omega",
                       "city_first_pilot", "spill_post"]]
    truth_panel.to_parquet(out / "truth" / "firm_year.parquet", index=False)
    firms[["stkcd"] + latent].to_parquet(out / "truth" / "firm_latent.parquet", index=False)

    truth = _truth_json(cfg, firms, fin, documents, planted, clean, dups, eco, patent_truth)
    truth["documents"]["rendered"] = render
    truth["text"]["analyst_boilerplate"] = {
        "rule": "every analyst report carries its broker's boilerplate (text.broker_boilerplate): 证券研究报告 "
                "header, analyst + SAC number and a broker slogan on the cover, a footer on every page, and the "
                "sections 分析师声明, 投资评级说明, 免责声明, 联系方式 after the text; its keyword mentions are in "
                "truth/boilerplate_mentions.csv (in_boilerplate) and are not in nqpf_mentions.csv",
        "chars": int(boiler["reports"]["chars"].sum()),
        "mentions_by_term": {str(k): int(v) for k, v in boiler["mentions"].groupby("term")["n"].sum().items()}}
    truth["files"]["truth_tables"] += ["truth/analyst_boilerplate.csv", "truth/boilerplate_mentions.csv"]
    truth["effects"]["nqpf_index"] = extras.nqpf_truth(extra)
    truth["effects"]["ai_jobs"] = {
        "log_odds": cfg.ai_job_effect,
        "rule": "postings per firm-year ~ Poisson(exp(1.6 + 0.4 latent_size)); each an AI position with probability "
                "expit(-2.2 + 0.8 latent_ai + 0.08 t + log_odds * D_it); AI postings name an ai_jobs lexicon skill in "
                "title and description, 15% of the others say 无需人工智能相关经验 (negated)",
        "postings": int(post_truth["postings"].sum()), "ai_postings": int(post_truth["ai_postings"].sum()),
        "tables": ["truth/postings.csv", "truth/postings_firm_year.csv"]}
    truth["files"]["truth_tables"] += ["truth/postings.csv", "truth/postings_firm_year.csv"]
    truth["supply_chain"] = {
        "rule": "each firm has 3 listed customers, 3 listed suppliers and 4 unlisted partners of each kind; a listed "
                "partner is in a firm-year's top five with probability 0.7, named by its full name (60%), another "
                "legal form (20%) or a subsidiary (20%); 15% of firm-years disclose only 客户一...客户五",
        "rows_by_name_form": {str(k): int(v) for k, v in top5["name_form"].value_counts().sort_index().items()},
        "upstream_of_pilot_firms": int(chain_truth.loc[chain_truth["chain_up"] == 1, "stkcd"].nunique()),
        "downstream_of_pilot_firms": int(chain_truth.loc[chain_truth["chain_down"] == 1, "stkcd"].nunique()),
        "outcome_spillover": "none planted: NQPF of linked firms does not respond to their pilot partners",
        "tables": ["truth/top5_partners.csv", "truth/supply_chain_firm_year.parquet"]}
    truth["files"]["truth_tables"] += ["truth/top5_partners.csv", "truth/supply_chain_firm_year.parquet"]
    truth["ipr"] = {"rule": "data/ipr_cases.parquet: cases ~ Poisson(protection * GDP share * 4000 * 1.1^t); "
                            "truth/ipr_city_year.csv holds the planted protection and the index of the written "
                            "counts, (cases / year's cases) / (GDP / year's GDP)",
                    "table": "truth/ipr_city_year.csv"}
    truth["files"]["truth_tables"].append("truth/ipr_city_year.csv")
    truth["effects"]["dvar_robot"] = {
        "coefficient": cfg.dvar_robot_effect,
        "rule": "DVAR_it = level_i + trend*t + coefficient*Robot_it + noise for exporters (Upward-Wang-Zheng "
                "ratio of data/trade.parquet with revenue as total sales reproduces it exactly); Robot_it = "
                "smtext.indicators.robots.firm_robot_exposure(scale=robot_scale) on financials + "
                "firm_extras.production_workers + industry_robots, each firm's first year as base",
        "robot_scale": cfg.robot_scale,
        "mean_dvar": float(np.nanmean(dvar)), "mean_robot": float(np.nanmean(robot[dvar.notna()]))}
    truth["effects"]["dvar_robot"]["dvar_eq2_rule"] = (
        "truth/dvar.parquet dvar_eq2: paper 003 eq. (2) as printed (smtext.demo.truth.dvar_eq2) on data/trade.parquet, "
        "data/trade_intermediaries.parquet and the statements (MT = cash_paid_goods, NFA = mean of this and last "
        "year's fixed_assets_net); no effect is planted on it")
    truth["files"]["truth_tables"].append("truth/dvar.parquet")
    truth["effects"]["capacity_frontier"] = {
        **extras.FRONTIER, "technical_efficiency": "truth/frontier.parquet (exp(-u) per firm-year)",
        "rule": "gross_output (data/firm_extras.parquet) = exp(const + ln_capital * ln fixed_assets_net + ln_labour * "
                "ln employees + v - u), v ~ N(0, sigma_v), u = sigma_u * exp(-pilot_scale * D_it) * |N(0, 1)| "
                "(paper 002 Cur by stochastic frontier analysis)"}
    truth["files"]["truth_tables"].append("truth/frontier.parquet")
    eq2 = dvar_eq2(trade, obs, shares, firms.set_index("stkcd")["industry"])
    obs[["stkcd", "year"]].assign(robot_penetration=robot, dvar=dvar).merge(
        eq2, on=["stkcd", "year"], how="left", validate="one_to_one").to_parquet(out / "truth" / "dvar.parquet",
                                                                               index=False)
    truth["text"]["vocabulary"] = (vocabulary.vocabulary_summary(planted_term_lists()
                                                                 + tuple(t for t, _, _ in cfg.plant))
                                   if cfg.vocabulary_prose else None)
    if cfg.plant:
        truth["text"]["planted_user_terms"] = _write_user_truth(out, cfg, user_rows, rate_rows)
        truth["files"]["truth_tables"] += ["truth/planted_user_terms.csv", "truth/planted_user_intensity.csv"]
    path = out / "truth.json"
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    write_manifest(out / "manifest.json", build_manifest(
        "demo generate", parameters=cfg.to_dict(), seeds={"master": cfg.seed},
        extra={"outputs_sha256": world_fingerprint(out)}))
    return path


def _write_user_truth(out: Path, cfg: WorldConfig, user_rows: list, rate_rows: list) -> dict:
    """truth/planted_user_terms.csv (per canonical annual report and term) and the intensities."""
    cols = ["stkcd", "year", "term", "count", "file", "canonical", "status"]
    rows = pd.DataFrame(user_rows, columns=["file", "stkcd", "year", "term", "section", "status", "canonical"])
    table = (rows.groupby(["stkcd", "year", "term", "file", "canonical", "status"], as_index=False).size()
             .rename(columns={"size": "count"})[cols].sort_values(["stkcd", "year", "term"], kind="stable"))
    table.to_csv(out / "truth" / "planted_user_terms.csv", index=False)
    rates = pd.DataFrame(rate_rows, columns=["stkcd", "year", "firm_effect", "rate", "n_planted"])
    rates.to_csv(out / "truth" / "planted_user_intensity.csv", index=False)
    return {
        "terms": [{"term": t, "weight": w, "category": c, "topic": vocabulary.plant_topic(c)} for t, w, c in cfg.plant],
        "rule": "mentions per annual report ~ Poisson(rate), rate = plant_rate * firm_effect * "
                "exp(plant_trend * (year - first_year)), firm_effect = exp(plant_firm_sigma * z - "
                "plant_firm_sigma^2 / 2), z ~ N(0, 1) per firm; each mention a term drawn by weight, "
                "in the MD&A (75%) or the business overview (25%), in a sentence of the term's topic",
        "plant_rate": cfg.plant_rate, "plant_firm_sigma": cfg.plant_firm_sigma, "plant_trend": cfg.plant_trend,
        "total_mentions_canonical": int(table.loc[table["canonical"], "count"].sum()),
        "tables": {"counts": "truth/planted_user_terms.csv (per annual report and term; firm-year truth: rows with "
                             "canonical = True; status = ok or how the file is broken)",
                   "intensity": "truth/planted_user_intensity.csv (stkcd, year, firm_effect, rate, n_planted)"},
    }


def _robot_penetration(obs: pd.DataFrame, extra: pd.DataFrame, firms: pd.DataFrame, robots: pd.DataFrame,
                       cfg: WorldConfig) -> pd.Series:
    """Robot_it from the world's files, each firm's first year as base (the DVAR effect is planted on it)."""
    panel = obs[["stkcd", "year", "employees"]].reset_index(drop=True)
    panel["industry"] = panel["stkcd"].map(firms.set_index("stkcd")["industry"])
    panel["production_workers"] = extra["production_workers"].to_numpy()
    return pd.Series(robot_exposure(panel, robots, scale=cfg.robot_scale), index=obs.index, name="robot_penetration")


def world_fingerprint(out: str | Path) -> str:
    """sha256 over every data, report and truth file of a world (not the manifest itself)."""
    import hashlib

    out = Path(out)
    h = hashlib.sha256()
    for sub in ("data", "reports", "truth"):
        for p in sorted((out / sub).rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(out)).encode())
                h.update(file_sha256(p).encode())
    h.update(file_sha256(out / "truth.json").encode())
    return h.hexdigest()


def _truth_json(cfg, firms, fin, documents, planted, clean, dups, eco, patent_truth) -> dict:
    obs = fin[~fin["gap"]]
    post = obs[obs["treated_post"] == 1]
    smart = planted[planted["term"].isin(text.SMART_TERMS)]
    ann = documents[documents["doc_type"] == "annual_report"]
    mentioned = set(ann.loc[ann["file"].isin(smart["file"]), "stkcd"])
    att_gt = (post.assign(e=post["year"] - post["gname"]).groupby(["gname", "year"])["tfp_effect"].mean())
    return {
        "truth_version": TRUTH_VERSION,
        "generator_version": GENERATOR_VERSION,
        "config": cfg.to_dict(),
        "production_function": {"form": "value added Cobb-Douglas: ln VA = b0 + bl ln L + bk ln K + omega + eps",
                                "beta_0": cfg.beta_0, "beta_l": cfg.beta_l, "beta_k": cfg.beta_k,
                                "omega": "0.01*(year-first_year) + AR(1)(rho, sigma) + pilot effect (first-order Markov)",
                                "omega_rho": cfg.omega_rho, "omega_sigma": cfg.omega_sigma,
                                "output": "value_added", "labor": "employees", "capital": "fixed_assets_net",
                                "proxy_lp": "cash_paid_goods", "proxy_op": "investment",
                                "labor_rule": "ln L = 6.6 + 0.45 (ln K - 20) + 0.6 omega + 0.3 latent_size + N(0, 0.12)",
                                "capital_rule": "K_t = (1 - d_t) K_{t-1} + I_{t-1}, "
                                                "d_t = U(0.05, 0.15) + exp(-2.3) (exp(g(omega_{t-1})) - exp(omega_{t-1}))",
                                "investment_rule": "ln I = -2.3 + ln K + g(omega), g(w) = (exp(a w) - 1) / a: "
                                                   "convex, strictly increasing in omega",
                                "investment_convexity_a": cfg.investment_convexity,
                                "materials_rule": "ln M = 11.4 + 0.4 ln K + 0.9 omega; revenue = value_added + M",
                                "materials_proxy_rule": "ln cash_paid_goods = ln M + e_m, e_m ~ N(0, materials_proxy_sigma) "
                                                        "(cash-timing error, own random stream)",
                                "materials_proxy_sigma": cfg.materials_proxy_sigma,
                                "eps_sigma": cfg.eps_sigma},
        "effects": {
            "tfp": {"outcome": "log TFP (omega)", "rule": "base + slope*min(year-gname, cap) from the selection year",
                    "base": cfg.tfp_effect_base, "slope": cfg.tfp_effect_slope, "cap": cfg.tfp_effect_cap,
                    "att_treated_post": float(post["tfp_effect"].mean()),
                    "att_by_event_time": {str(int(k)): cfg.tfp_effect(int(k)) for k in range(0, cfg.last_year - 2015 + 1)},
                    "att_gt": [{"gname": int(g), "year": int(y), "att": float(v)} for (g, y), v in att_gt.items()]},
            "exports_log_overseas_revenue": cfg.export_effect,
            "master_share": cfg.master_share_effect,
            "esg_latent_steps": cfg.esg_effect,
            "log_invention_rate": cfg.patent_effect,
            "spillover_log_keytech_rate": {"value": cfg.spillover_keytech_effect,
                                           "rule": "non-pilot firms in a city from the year after its first pilot announcement",
                                           "critical_distance_km": 0,
                                           "beyond_city": "none: firms in other cities, however near a pilot city, get no "
                                                          "spillover (every distance band's true coefficient is 0)",
                                           "by_agglomeration": "none: the same effect at every location quotient"},
            "smart_text_log_rate": cfg.smart_text_effect,
            "digital_text_log_rate": cfg.digital_text_effect,
            "zero_effect_outcomes": {"cash_ratio": "cash / total_assets has no policy effect"},
        },
        "pilots": {
            "batch_sizes": {str(y): s for y, s in cfg.batch_sizes},
            "projects": int(len(eco["pilot_list"])),
            "listed_pilot_firms": int((firms["gname"] > 0).sum()),
            "listed_by_cohort": {str(int(g)): int(n) for g, n in firms.loc[firms["gname"] > 0, "gname"].value_counts().sort_index().items()},
            "applicant_name_forms": eco["pilot_truth"]["name_form"].value_counts().to_dict(),
            "selection": "Gumbel top-k on 0.9*latent_size + 3*latent_alpha (permanent profitability) among manufacturing firms listed by 2014",
        },
        "panel": {"firms": int(len(firms)), "firm_years": int(len(obs)), "gap_firm_years": int(fin["gap"].sum()),
                  "financials_duplicates": dups[["stkcd", "year"]].astype({"year": int}).to_dict("records")},
        "documents": {
            "annual_reports": int((documents["doc_type"] == "annual_report").sum()),
            "analyst_reports": int((documents["doc_type"] == "analyst_report").sum()),
            "government_reports": int((documents["doc_type"] == "government_report").sum()),
            "status_counts": documents["status"].value_counts().to_dict(),
            "broken": documents.loc[documents["status"] != "ok", ["file", "status"]].to_dict("records"),
            "summaries": documents.loc[documents["doc_type"] == "summary", "file"].tolist(),
            "english": documents.loc[documents["doc_type"] == "english", "file"].tolist(),
            "superseded": documents.loc[documents.get("superseded", pd.Series(False, index=documents.index)).fillna(False).astype(bool), "file"].tolist(),
        },
        "text": {
            "smart_terms": text.SMART_TERMS, "digital_terms": text.DIGITAL_TERMS, "ai_terms": text.AI_TERMS,
            "nqpf_seed": text.NQPF_SEED, "nqpf_synonyms": text.NQPF_SYNONYMS, "nqpf_jargon_screened_out": text.NQPF_JARGON,
            "clean_control_firms_planted": sorted(clean),
            "firms_never_mentioning_smart": sorted(set(firms["stkcd"]) - mentioned),
            "mention_kinds": planted.groupby("kind")["n"].sum().to_dict(),
        },
        "patents": {"keytech_codes": KEYTECH_CODES, "nonkey_codes": NONKEY_CODES,
                    "total_keytech": int(patent_truth["n_keytech"].sum()),
                    "total_invention": int(patent_truth["n_invention"].sum())},
        "files": {"truth_tables": ["truth/documents.csv", "truth/planted_mentions.csv", "truth/nqpf_mentions.csv",
                                   "truth/section_pages.csv", "truth/patents_firm_year.csv", "truth/pilot_applicants.csv",
                                   "truth/firm_year.parquet", "truth/firm_latent.parquet", "truth/subsidy_items.csv"]},
    }


def ensure_world(out: str | Path, cfg: WorldConfig | None = None, jobs: int = 2) -> bool:
    """Generate the demo world in ``out`` unless it already holds one made with ``cfg`` by this generator.

    Parameters
    ----------
    out : str or Path
        World folder.
    cfg : WorldConfig, optional
        The configuration asked for (default ``WorldConfig()``).
    jobs : int
        Worker processes for rendering PDFs.

    Returns
    -------
    bool
        True when the world was (re)generated.
    """
    cfg = cfg or WorldConfig()
    truth = Path(out) / "truth.json"
    current = json.loads(truth.read_text(encoding="utf-8")) if truth.exists() else {}
    if (current.get("config") == cfg.to_dict() and current.get("generator_version") == GENERATOR_VERSION
            and (Path(out) / "reports" / "annual").is_dir()):
        return False
    generate_world(out, cfg, jobs=jobs)
    return True
