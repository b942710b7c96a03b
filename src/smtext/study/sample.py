"""The panel stage of a study: statements + firm table -> controls, sample rules, pilot matching, treatment.

The pilot list is matched to listed firms once, here (:mod:`smtext.study.pilots`: ``pilot_matches.csv``,
``pilots.csv``, ``pilot_review.csv``, ``pilot_match_summary.json``); every later stage reads those files. Each sample rule records the rows it dropped
(``sample_steps.csv``), shown in the report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, warn
from ..stages import StageContext
from .common import ID, TIME
from .inputs import Inputs
from .registry import Option

SAMPLE_SCHEMA = (
    Option("years", "pair", "first and last fiscal year kept", min=1900, max=2100),
    Option("manufacturing", "bool", "keep manufacturing firms only (is_manufacturing == 1)", default=False),
    Option("drop_st", "bool", "drop ST / *ST / PT firm-years", default=True),
    Option("st_scope", "choice", "drop_st: firm_year drops the flagged firm-years, firm drops every firm ever "
                                 "flagged in the sample years", choices=("firm_year", "firm"), default="firm_year"),
    Option("drop_financial", "bool", "drop financial firms", default=True),
    Option("listing_age", "options", "drop young listings (needs listing_year)", schema=(
        Option("years", "int", "years since listing (year - listing_year) a row needs", required=True, min=0, max=100),
        Option("per", "choice", "firm_year: drop the firm-years listed fewer years; firm: drop the firms listed fewer "
                                "years by the last sample year", choices=("firm_year", "firm"), default="firm_year"))),
    Option("drop_insolvent", "bool", "drop insolvent firm-years (Lev = liabilities / assets > 1, 资不抵债)",
           default=False),
    Option("drop_delisting", "any", "drop every firm ever carrying a delisting flag: true reads the 0/1 column "
                                    "is_delisting, a column name reads that column", default=False),
    Option("winsorize", "options", "winsorize columns: a list over the whole panel (before any table filter), or "
                                   "all_continuous: every continuous column of the analysis data set (numeric, more "
                                   "than two values; not keys, treatment or cohort columns) on the final sample",
           schema=(
        Option("columns", "any", "columns to winsorize (a list), or all_continuous", required=True),
        Option("exclude", "columns", "all_continuous: columns left as they are"),
        Option("limits", "pair", "lower and upper quantile", default=[0.01, 0.99], min=0, max=1))),
    Option("where", "where", "rows of the analysis data set to keep, after the variables are derived"),
    Option("dropna", "columns", "drop rows missing any of these columns, after the variables are derived"),
)
#: the sample options the panel stage applies (its cache key); where and dropna act on the analysis data set
PANEL_RULES = tuple(o.name for o in SAMPLE_SCHEMA if o.name not in ("where", "dropna"))

DESIGN_SCHEMA = (
    Option("design", "choice", "firm: a pilot firm is treated from its selection year; city_spillover: firms "
                               "in a pilot city from `delay` years after its first announcement",
           choices=("firm", "city_spillover"), default="firm"),
    Option("dname", "str", "name of the 0/1 treatment column", default="DID"),
    Option("gname", "str", "name of the cohort column (first treated year, 0 = never treated)",
           default="gname (first design), gname_<dname> (later designs)"),
    Option("delay", "int", "city_spillover: years between announcement and treatment", default=1, min=0, max=50),
    Option("drop_pilot_firms", "bool", "city_spillover: leave the pilot firms out (the first design drops their "
                                       "rows; a later design sets its treatment missing for them)", default=True),
    # how the pilot list is matched to listed firms: options of the first design (matching is done once)
    Option("review", "any", "names pending review (no confirmed match, but a listed firm as candidate): exclude "
                            "(not treated; the listed firms that are their best candidates leave the sample), stop "
                            "(error SM709 naming the review file), keep (candidates stay as controls), or "
                            "{accept_above: X} (a best candidate scoring X or more, and no other firm, is accepted; "
                            "the rest as exclude)", default="exclude"),
    Option("overrides", "str", "confirmed matches: the edited pilot_review.csv (name, confirmed_stkcd: a stock code "
                               "or none); relative to the spec's folder (else --world)"),
    Option("subsidiaries", "any", "a subsidiary table FILE (stkcd, subsidiary_name) instead of the declared input "
                                  "subsidiaries, or false to match without one"),
    Option("fuzzy_review", "float", "cosine similarity from which a listed name makes an applicant pending review",
           default=0.75),
    Option("columns", "options", "headers of the pilot list", schema=(
        Option("year", "str", "selection year (2015 or 2015年)", default="年份"),
        Option("name", "str", "applicant name", default="申报单位"),
        Option("city", "str", "city of the project (city_spillover design)", default="所在城市"))),
)
#: options of the first design that say how the pilot list is matched (once, for every design)
MATCH_OPTIONS = ("review", "overrides", "subsidiaries", "fuzzy_review", "columns")


def designs(treatment) -> list[dict]:
    """The spec's ``treatment`` as a list of designs (a single mapping is one design)."""
    if treatment is None:
        return [{}]
    return list(treatment) if isinstance(treatment, list) else [treatment]


#: control -> (canonical columns it needs, formula, its computation from the panel d and last year's prev);
#: the papers' definitions
CONTROLS = {
    "ROA": (("net_profit", "total_assets"), "net_profit / mean(total_assets, total_assets of t-1)",
            lambda d, prev: d["net_profit"] / pd.concat([d["total_assets"], prev["total_assets"]], axis=1).mean(axis=1)),
    "Lev": (("total_liabilities", "total_assets"), "total_liabilities / total_assets",
            lambda d, prev: d["total_liabilities"] / d["total_assets"]),
    "Cashflow": (("operating_cash_flow", "total_assets"), "operating_cash_flow / total_assets",
                 lambda d, prev: d["operating_cash_flow"] / d["total_assets"]),
    "FIXED": (("fixed_assets_net", "total_assets"), "fixed_assets_net / total_assets",
              lambda d, prev: d["fixed_assets_net"] / d["total_assets"]),
    "TobinQ": (("market_value", "total_assets"), "market_value / total_assets",
               lambda d, prev: d["market_value"] / d["total_assets"]),
    "Growth": (("revenue",), "revenue / revenue of t-1 - 1 (calendar lag: missing after a gap year)",
               lambda d, prev: d["revenue"] / prev["revenue"] - 1.0),
    "INST": (("inst_holding",), "institutional holding share", lambda d, prev: d["inst_holding"]),
    "cash_ratio": (("cash", "total_assets"), "cash / total_assets", lambda d, prev: d["cash"] / d["total_assets"]),
    "Humcap": (("employees_master", "employees"), "employees with a master's degree or above / employees",
               lambda d, prev: d["employees_master"] / d["employees"]),
    "export_share": (("overseas_revenue", "revenue"), "overseas_revenue / revenue",
                     lambda d, prev: d["overseas_revenue"] / d["revenue"]),
}


def firm_controls(fin: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Controls and shares from statement items (:data:`CONTROLS`), as new columns.

    Returns the panel with every control whose inputs it has, and ``{control: missing
    inputs}`` for the others (a table that uses one then fails with SM704 naming it).
    """
    from ..panel import lag

    d = fin.copy()
    prev = lag(fin, [c for c in ("total_assets", "revenue") if c in fin.columns], 1, idname=ID, tname=TIME)
    missing = {}
    for name, (needs, _, compute) in CONTROLS.items():
        lacking = [c for c in needs if c not in fin.columns]
        if lacking:
            missing[name] = lacking
        else:
            d[name] = compute(d, prev)
    return d, missing


def financials(inputs: Inputs, needed_by: str, info: dict | None = None) -> tuple[pd.DataFrame, int]:
    """Statements without duplicate firm-years (first kept) joined to the firm table; and the duplicates dropped."""
    info = {} if info is None else info
    fin = inputs.read("financials", needed_by, info=info)
    dup = fin.duplicated([ID, TIME], keep="first")
    fin = fin[~dup].reset_index(drop=True)
    read = info.get("inputs", {}).get("financials", {})   # repeated firm-years smtext.io already dropped
    io_dup = max([read.get("duplicates_dropped", 0)] + [f.get("duplicates_dropped", 0) for f in read.get("files", [])])
    firms = inputs.read("firms", needed_by, info=info)
    # a column in both (industry, city from a yearly CSMAR table): the firm-year value, the firm table filling gaps
    both = [c for c in firms.columns if c in fin.columns and c != ID]
    merged = fin.merge(firms, on=ID, how="left", validate="many_to_one", suffixes=("", "__firm"))
    for c in both:
        merged[c] = merged[c].where(merged[c].notna(), merged[c + "__firm"])
    if both:
        info["columns_from_both"] = {"columns": both, "kept": "firm-year value; firm table where it is missing"}
    return merged.drop(columns=[c + "__firm" for c in both]), int(dup.sum()) + io_dup


def matching_of(treatment) -> dict:
    """The matching options of a spec's treatment (its first design), paths as written."""
    first = designs(treatment)[0]
    return {k: first[k] for k in MATCH_OPTIONS if k in first}


def matched_pilots(inputs: Inputs, info: dict | None = None, matching: dict | None = None,
                   need_city: bool = False):
    """The pilot list matched to listed firms with the review policy applied (:class:`smtext.study.pilots.PilotMatch`).

    ``matching`` holds the design's matching options with absolute paths (:func:`matching_of`
    resolved by the driver).
    """
    from .. import io
    from .pilots import match_pilots

    matching = matching or {}
    firms = inputs.read("firms", "treatment", info=info)
    subs_opt = matching.get("subsidiaries")
    if isinstance(subs_opt, str):
        res = io.read_panel(subs_opt, keys=())
        subs = res.data
        if info is not None:
            info.setdefault("inputs", {})["subsidiaries"] = res.report
    elif subs_opt is not False and inputs.declared("subsidiaries"):
        subs = inputs.read("subsidiaries", "treatment", info=info)
    else:
        subs = None
        if subs_opt is not False:
            warn("SM708", "no subsidiary table is declared: pilot applicants that are subsidiaries of listed firms "
                          "cannot be matched automatically; those whose name contains a listed firm's name are "
                          "pending review (see the pilot-match summary).",
                 "declare one as subsidiaries: {file: ..., map: {...: stkcd, ...: subsidiary_name}} (e.g. the CSMAR "
                 "related-party or subsidiary table), or treatment: {subsidiaries: FILE}.")
    pilots = inputs.read("pilot_list", "treatment", info=info)
    return match_pilots(pilots, firms, subs, columns=matching.get("columns"), overrides=matching.get("overrides"),
                        review=matching.get("review", "exclude"), fuzzy_review=matching.get("fuzzy_review", 0.75),
                        need_city=need_city)


def _treat(panel: pd.DataFrame, pilots: pd.DataFrame, design: dict, primary: bool, steps: list) -> pd.DataFrame:
    """Add one design's treatment columns to ``panel``."""
    from ..did import city_spillover, firm_treatment

    dname = design.get("dname", "DID")
    gname = design.get("gname", "gname" if primary else f"gname_{dname}")
    relname = "rel_time" if primary else None
    listed = pilots[pilots[ID].notna()][[ID, TIME]]
    if design.get("design", "firm") == "firm":
        return firm_treatment(panel, listed, tname=TIME, idname=ID, dname=dname, gname=gname, relname=relname).data
    drop = bool(design.get("drop_pilot_firms", True))
    before = len(panel)
    out = city_spillover(panel, pilots[[ID, TIME, "pilot_city"]], tname=TIME, idname=ID, city="city",
                         pilot_city="pilot_city", delay=int(design.get("delay", 1)), drop_pilot_firms=drop and primary,
                         dname=dname, gname=gname, relname=relname).data
    if primary:
        steps.append({"step": "pilot firms dropped (city design)", "rows": len(out), "dropped": before - len(out)})
    elif drop:   # the rows stay for the other designs; this treatment is missing for pilot firms
        is_pilot = out[ID].isin(listed[ID])
        out[dname] = out[dname].where(~is_pilot, np.nan)
        warn("SM514", f"{dname} is missing for {int(is_pilot.sum())} firm-years of {out.loc[is_pilot, ID].nunique()} "
                      f"pilot firms (spillover design: only non-pilot firms are compared); models using {dname} "
                      "leave them out.")
        steps.append({"step": f"{dname} missing for pilot firms (spillover design)", "rows": len(out), "dropped": 0})
    return out


def apply_treatment(panel: pd.DataFrame, match, treatment: list[dict], steps: list) -> pd.DataFrame:
    """The panel without the unconfirmed candidates the review policy excludes, with every design's columns.

    Parameters
    ----------
    panel : DataFrame
        Firm-years (``stkcd, year``; ``city`` for the city-spillover design).
    match : PilotMatch
        The matched pilot list (:func:`smtext.study.pilots.match_pilots`).
    treatment : list of dict
        Designs (:func:`designs`); the first one gives ``gname`` and ``rel_time``.
    steps : list
        Sample steps, appended to (rows dropped per step).
    """
    if match.excluded:   # possible pilot firms not confirmed: neither treated nor controls
        before = len(panel)
        panel = panel[~panel[ID].isin(match.excluded)]
        steps.append({"step": f"candidates of unconfirmed pilot names dropped ({len(match.excluded)} firms; "
                              f"review: {match.summary['review']})", "rows": len(panel),
                      "dropped": before - len(panel)})
    for i, design in enumerate(treatment):
        panel = _treat(panel, match.pilots, design, i == 0, steps)
    return panel


#: sample rule -> (column it reads, the rule's default)
SAMPLE_FLAGS = {"manufacturing": ("is_manufacturing", False), "drop_financial": ("industry", True),
                "drop_st": ("is_st", True), "listing_age": ("listing_year", None), "drop_insolvent": ("Lev", False)}
ALL_CONTINUOUS = "all_continuous"


def delisting_column(sample: dict) -> str | None:
    """The 0/1 column ``drop_delisting`` reads (None when the rule is off)."""
    v = sample.get("drop_delisting", False)
    return None if v is False or v is None else "is_delisting" if v is True else str(v)


def _step(steps: list, panel: pd.DataFrame, keep: pd.Series, what: str) -> pd.DataFrame:
    """Keep ``keep`` rows, append the step (rows kept, rows and firms dropped) and print it."""
    out = panel[keep]
    gone = panel.loc[~keep, ID].nunique()
    steps.append({"step": what, "rows": len(out), "dropped": int((~keep).sum())})
    print(f"sample: {what}: dropped {int((~keep).sum()):,} of {len(panel):,} firm-years ({gone:,} firms affected)")
    return out


def apply_rules(panel: pd.DataFrame, sample: dict, steps: list) -> pd.DataFrame:
    """The sample rules beyond the standard ST / financial filter, in the order the papers list them.

    ``drop_st`` with ``st_scope: firm`` (firms ever flagged), ``listing_age``, ``drop_delisting``
    and ``drop_insolvent``; each appends its step to ``steps`` (rows dropped) and prints it.
    """
    if sample.get("drop_st", True) and sample.get("st_scope", "firm_year") == "firm":
        ever = panel.groupby(ID)["is_st"].transform(lambda s: (s.fillna(0) != 0).any())
        panel = _step(steps, panel, ~ever.astype(bool), "ST / *ST / PT firms dropped (ever flagged)")
    age = sample.get("listing_age")
    if age:
        n, per = int(age["years"]), age.get("per", "firm_year")
        listed = panel[TIME] - panel["listing_year"]
        if per == "firm":   # the firm's listing age at the last sample year
            listed = panel.groupby(ID)[TIME].transform("max") - panel["listing_year"]
        panel = _step(steps, panel, listed >= n, f"listed fewer than {n} years ({per}) dropped")
    col = delisting_column(sample)
    if col:
        ever = panel.groupby(ID)[col].transform(lambda s: (s.fillna(0) != 0).any())
        panel = _step(steps, panel, ~ever.astype(bool), f"firms with a delisting flag ({col}) dropped")
    if sample.get("drop_insolvent"):
        panel = _step(steps, panel, ~(panel["Lev"] > 1), "insolvent firm-years (Lev > 1) dropped")
    return panel


def _sample_flags(panel: pd.DataFrame, sample: dict, info: dict) -> pd.DataFrame:
    """The columns the sample rules read: ``is_manufacturing`` derived from the CSRC industry code
    when the firm table has no flag (recorded in ``info``); SM706 for a rule that cannot be applied."""
    from ..io.recipes import derive

    needs = {"is_manufacturing": "a CSRC 2012 industry code (industry) or an is_manufacturing flag in the firm table",
             "industry": "a CSRC 2012 industry code (industry) in the firm table (financial firms are J66-J69)",
             "is_st": "an is_st flag per firm-year (e.g. CSMAR STK_LISTEDCOINFOANL, map csmar_stk_listedcoinfoanl)"}
    flags = dict(SAMPLE_FLAGS)
    if delisting_column(sample):
        flags["drop_delisting"] = (delisting_column(sample), False)
        needs[delisting_column(sample)] = ("a 0/1 delisting flag per firm-year (退市风险警示 / 退市整理), or "
                                           "drop_delisting: COLUMN naming the column that holds it")
    needs["listing_year"] = "the firm's listing year (listing_year) in the firm table"
    needs["Lev"] = "total_liabilities and total_assets in the statements (Lev)"
    for rule, (column, default) in flags.items():
        if not sample.get(rule, default) or column in panel.columns:
            continue
        if column == "is_manufacturing" and "industry" in panel.columns:
            panel, records = derive(panel, [column])
            info.setdefault("derived", []).extend(records)
            continue
        raise SMError("SM706", f"the sample rule {rule} needs {needs[column]}; the panel has no {column!r}.",
                      f"declare that column in your data, or set sample: {{{rule}: false}} in the spec.")
    return panel


def stage_panel(inputs: Inputs):
    """Stage body: the firm-year panel with controls, sample rules and every treatment design."""
    def run(ctx: StageContext) -> None:
        from ..panel import filter_sample, winsorize

        sample, treatment = ctx.params["sample"], designs(ctx.params["treatment"])
        merged, n_dup = financials(inputs, "the panel", ctx.info)
        panel, not_derived = firm_controls(merged)
        if not_derived:
            warn("SM707", "controls not derived because the statements lack their inputs: " + "; ".join(
                f"{k} needs {v}" for k, v in not_derived.items()) + ".",
                 "map those columns in your data declaration if a table uses these controls.")
            ctx.info["controls_not_derived"] = not_derived
        panel = _sample_flags(panel, sample, ctx.info)
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
        from .pilots import announce

        match = matched_pilots(inputs, ctx.info, ctx.params.get("matching"),
                               need_city=any(d.get("design") == "city_spillover" for d in treatment))
        paths = match.write(ctx.dir)
        match.check(paths["review"])
        announce(match)
        panel = apply_treatment(panel, match, treatment, steps)
        st_firm = sample.get("drop_st", True) and sample.get("st_scope", "firm_year") == "firm"
        filt = filter_sample(panel, st=bool(sample.get("drop_st", True)) and not st_firm,
                             financial=bool(sample.get("drop_financial", True)))
        panel = filt.data
        fs = filt.summary()
        steps.append({"step": "ST / financial firms dropped", "rows": len(panel),
                      "dropped": fs if isinstance(fs, (int, float)) else str(fs)})
        panel = apply_rules(panel, sample, steps)
        wins = sample.get("winsorize") or {}
        if wins and wins["columns"] != ALL_CONTINUOUS:
            panel = winsorize(panel, [c for c in wins["columns"] if c in panel.columns],
                              limits=tuple(wins.get("limits", (0.01, 0.99))))
        panel.to_parquet(ctx.dir / "panel.parquet", index=False)
        pd.DataFrame(steps).to_csv(ctx.dir / "sample_steps.csv", index=False)
        dname = treatment[0].get("dname", "DID")
        ctx.info.update(rows=len(panel), firms=int(panel[ID].nunique()),
                        treated_firms=int(panel.loc[panel[dname] > 0, ID].nunique()) if dname in panel else 0,
                        pilot_matches=match.summary["names_by_method"], pilot_matching=match.summary)
    return run
