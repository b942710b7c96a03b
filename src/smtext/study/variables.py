"""Derived variables of a study (``variables: {NAME: {OP: ARG}}``), each operation registered once,
and the data-set stage that merges the measures and derives them in order.

An operation's ``arg`` option says what its argument is: one column (``log: total_assets``),
a list (``ratio: [a, b]``), or a mapping of options (``hhi: {column: revenue, by: [industry,
year]}``). Where a mapping has a ``shorthand`` key, a bare value stands for that key
(``median_above: TFP_LP`` is ``median_above: {column: TFP_LP}``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stages import StageContext
from .common import ID, TIME, apply_where
from .registry import MEASURES, VARIABLES, Option
from .sample import ALL_CONTINUOUS


def _col(doc: str = "the column") -> Option:
    return Option("arg", "column", doc)


def _two(doc: str) -> Option:
    return Option("arg", "columns", doc)


def _opts(*schema) -> Option:
    return Option("arg", "options", "a mapping of options", schema=tuple(schema))


def arg_options(entry, arg) -> dict:
    """The argument as a mapping of options (a bare value stands for the shorthand key)."""
    if entry.arg.kind != "options":
        return {"arg": arg}
    return arg if isinstance(arg, dict) else {entry.meta["shorthand"]: arg}


def n_operands(n: int):
    """A check that a list argument has exactly ``n`` items."""
    def check(spec, path, arg):
        if not isinstance(arg, list) or len(arg) != n:
            raise spec.error("SM703", path, f"this operation takes a list of {n} items, got {arg!r}.")
    return check


@VARIABLES.register("log", "ln(x), missing where x <= 0.", arg=_col())
def _log(d, arg):
    x = d[arg].astype(float)
    return np.log(x.where(x > 0))


@VARIABLES.register("log1p", "ln(1 + x).", arg=_col())
def _log1p(d, arg):
    return np.log1p(d[arg].astype(float))


@VARIABLES.register("ratio", "a / b, missing where b = 0.", arg=_two("[numerator, denominator]"), check=n_operands(2))
def _ratio(d, arg):
    return d[arg[0]] / d[arg[1]].where(d[arg[1]] != 0)


@VARIABLES.register("scale", "the column times a factor (units: yuan -> million yuan is factor 1.0e-6).",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("factor", "float", "the multiplier", required=True)))
def _scale(d, arg):
    return d[arg["column"]] * float(arg["factor"])


@VARIABLES.register("product", "a * b (interactions, shift-share instruments).", arg=_two("[a, b]"),
                    check=n_operands(2))
def _product(d, arg):
    return d[arg[0]] * d[arg[1]]


@VARIABLES.register("diff", "a - b, where either may be a number (year - 2011 is a trend; 1 - x flips a dummy).",
                    arg=Option("arg", "operands", "[a, b]"), check=n_operands(2))
def _diff(d, arg):
    a, b = (d[v] if isinstance(v, str) else v for v in arg)
    return a - b


@VARIABLES.register("esg_score", "Huazheng ESG grades C ... AAA -> 1 ... 9 (paper 000).", arg=_col("the grade column"))
def _esg(d, arg):
    from ..indicators.controls import esg_score

    return pd.Series(np.asarray(esg_score(d[arg]), dtype=float), index=d.index)


@VARIABLES.register("copy", "the column under a new name.", arg=_col())
def _copy(d, arg):
    return d[arg]


@VARIABLES.register("median_above", "1 when the column is above its median within groups (by year by default), "
                                    "else 0.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("by", "columns", "groups whose median is used", default=["year"])),
                    shorthand="column")
def _median_above(d, arg):
    by = list(arg.get("by", [TIME]))
    return (d[arg["column"]] > d.groupby(by)[arg["column"]].transform("median")).astype(int)


@VARIABLES.register("equals", "1 where the column equals the value (a year dummy: year = 2020), else 0.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("value", "float", "the value", required=True)))
def _equals(d, arg):
    return (d[arg["column"]] == arg["value"]).astype(int)


@VARIABLES.register("firm_complete", "1 for the firms whose `columns` are all present in at least `share` of "
                                     "their firm-years, else 0 (paper 000's rule: firms with key variables "
                                     "severely missing are dropped, with `where: {NAME: 1}`).",
                    arg=_opts(Option("columns", "columns", "the key variables", required=True),
                              Option("share", "float", "least share of complete firm-years", default=0.5, min=0,
                                     max=1)))
def _firm_complete(d, arg):
    complete = d[list(arg["columns"])].notna().all(axis=1)
    return (complete.groupby(d[ID]).transform("mean") >= float(arg.get("share", 0.5))).astype(int)


@VARIABLES.register("zscore", "(x - mean) / sd over all rows.", arg=_col())
def _zscore(d, arg):
    return (d[arg] - d[arg].mean()) / d[arg].std()


@VARIABLES.register("exp_shift", "exp(x - min x), the minimum taken within groups when `by` is given: a positive "
                                 "outcome for a Poisson column.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("by", "columns", "groups whose minimum is used", default=[])),
                    shorthand="column")
def _exp_shift(d, arg):
    by = list(arg.get("by", []))
    low = d.groupby(by)[arg["column"]].transform("min") if by else d[arg["column"]].min()
    return np.exp(d[arg["column"]] - low)


@VARIABLES.register("map", "recode values (labels for table headers); unmapped values stay as they are.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("values", "mapping", "old value -> new value", required=True)))
def _map(d, arg):
    return d[arg["column"]].map(arg["values"]).fillna(d[arg["column"]])


@VARIABLES.register("mean", "row mean of the columns (missing when any is missing).",
                    arg=Option("arg", "columns", "the columns"))
def _mean(d, arg):
    return d[list(arg)].mean(axis=1, skipna=False)


@VARIABLES.register("max", "row maximum of the columns.", arg=Option("arg", "columns", "the columns"))
def _max(d, arg):
    return d[list(arg)].max(axis=1)


@VARIABLES.register("sum", "row sum of the columns (missing when any is missing).",
                    arg=Option("arg", "columns", "the columns"))
def _sum(d, arg):
    return d[list(arg)].sum(axis=1, min_count=len(arg)).where(d[list(arg)].notna().all(axis=1))


@VARIABLES.register("hhi", "Herfindahl index of the column's shares within groups (industry-year).",
                    arg=_opts(Option("column", "column", "the value whose shares are summed", required=True),
                              Option("by", "columns", "the groups", required=True)))
def _hhi(d, arg):
    from ..indicators.concentration import hhi

    return hhi(d, value=arg["column"], by=list(arg["by"]), idname=ID)


@VARIABLES.register("sa_index", "SA index of financing constraints (Hadlock & Pierce 2010).",
                    arg=_opts(Option("assets", "column", "total assets", required=True),
                              Option("age", "column", "firm age in years", required=True),
                              Option("unit", "str", "money unit of assets", default="yuan")))
def _sa(d, arg):
    from ..indicators.constraints import sa_index

    return sa_index(d, assets=arg["assets"], age=arg["age"], unit=arg.get("unit", "yuan"))


@VARIABLES.register("indicator", "1 when the column is positive (ever treated from a cohort column), else 0.",
                    arg=_col())
def _indicator(d, arg):
    return (d[arg] > 0).astype(int)


@VARIABLES.register("median_group", "高于中位数 / 低于中位数 split at the median, pooled or within groups (`by: [year]`: "
                                    "paper 002's annual median); missing stays missing.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("by", "columns", "groups whose median is used (none: the pooled median)",
                                     default=[])),
                    shorthand="column")
def _median_group(d, arg):
    return _split_at(d, {"column": arg["column"], "stat": "median", "by": arg.get("by", [])})


@VARIABLES.register("split_at", "two groups split at the column's mean or median, pooled or within groups (by year): "
                                "labels[0] above the cut, labels[1] at or below it; missing stays missing.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("stat", "choice", "where to cut", choices=("mean", "median"), default="median"),
                              Option("by", "columns", "cut within these groups (e.g. [year] for an annual median); "
                                                      "none = pooled", default=[]),
                              Option("labels", "list", "[above, at or below]", default=["高于中位数", "低于中位数"])),
                    check=lambda spec, path, arg: _two_labels(spec, path, arg))
def _split_at(d, arg):
    col, stat, by = arg["column"], arg.get("stat", "median"), list(arg.get("by") or [])
    hi, lo = arg.get("labels", ["高于中位数", "低于中位数"])
    cut = d.groupby(by)[col].transform(stat) if by else pd.Series(getattr(d[col], stat)(), index=d.index)
    return pd.Series(np.where(d[col].isna() | cut.isna(), None, np.where(d[col] > cut, hi, lo)), index=d.index)


def _two_labels(spec, path, arg):
    labels = arg.get("labels") if isinstance(arg, dict) else None
    if labels is not None and not (isinstance(labels, list) and len(labels) == 2
                                   and all(isinstance(v, str) for v in labels) and labels[0] != labels[1]):
        raise spec.error("SM703", path + ("labels",), f"labels must be two different group names, got {labels!r}.",
                         "e.g. labels: [高竞争, 低竞争].")


@VARIABLES.register("share_in", "the column / its total within groups (market share).",
                    arg=_opts(Option("column", "column", "the value", required=True),
                              Option("by", "columns", "the groups", required=True)))
def _share_in(d, arg):
    return d[arg["column"]] / d.groupby(list(arg["by"]))[arg["column"]].transform("sum")


@VARIABLES.register("volatility", "standard deviation of the column's growth over a calendar window (paper 004).",
                    arg=_opts(Option("column", "column", "sales", required=True),
                              Option("window", "int", "years in the window", default=3, min=1, max=100),
                              Option("align", "choice", "window position", choices=("backward", "centered", "forward"),
                                     default="backward")))
def _volatility(d, arg):
    from ..indicators.market import market_volatility

    return market_volatility(d, sales=arg["column"], idname=ID, tname=TIME, window=int(arg.get("window", 3)),
                             align=arg.get("align", "backward"))


@VARIABLES.register("region_exposure", "shift-share exposure of a region: sum over sectors of the region's base-year "
                                       "weight share times the sector's density that year (paper 004: city robot "
                                       "penetration at industry robot densities).",
                    arg=_opts(Option("density", "column", "the sector-year shift (e.g. Robot_ind)", required=True),
                              Option("weight", "column", "the base-year weight (e.g. employees)", required=True),
                              Option("region", "column", "the region (e.g. city)", required=True),
                              Option("sector", "column", "the sector", default="industry"),
                              Option("base_year", "int", "base year of the shares (default: the first year)",
                                     min=1900, max=2100)))
def _region_exposure(d, arg):
    from ..indicators.shiftshare import bartik

    region, sector, w = arg["region"], arg.get("sector", "industry"), arg["weight"]
    base = int(arg.get("base_year") or d[TIME].min())
    b = d.loc[d[TIME] == base].dropna(subset=[region, sector, w])
    shares = b.groupby([region, sector], as_index=False)[w].sum()
    shares["share"] = shares[w] / shares.groupby(region)[w].transform("sum")
    shocks = (d.dropna(subset=[sector, arg["density"]]).groupby([sector, TIME], as_index=False)[arg["density"]].first()
              .rename(columns={arg["density"]: "shock"}))
    ex = bartik(shares, shocks, unit=region, sector=sector, tname=TIME)
    key = pd.MultiIndex.from_frame(d[[region, TIME]])
    return pd.Series(ex.set_index([region, TIME])["bartik"].reindex(key).to_numpy(), index=d.index)


@VARIABLES.register("hypothetical_pilot", "paper 004's hypothetical-pilot instrument: each real announcement year, "
                                          "the regions with the highest urgency index (not chosen before) up to the "
                                          "real number of new pilot regions; 1 from the chosen year + delay.",
                    arg=_opts(Option("index", "column", "the urgency index (region-year)", required=True),
                              Option("region", "column", "the region", default="city"),
                              Option("cohort", "column", "the real first treated year of the region (0 = never)",
                                     default="gname"),
                              Option("delay", "int", "years from announcement to treatment (as the treatment)",
                                     default=1, min=0, max=10)))
def _hypothetical_pilot(d, arg):
    from ..did.timing import hypothetical_pilots

    region, delay = arg.get("region", "city"), int(arg.get("delay", 1))
    cohort = pd.to_numeric(d.groupby(region)[arg.get("cohort", "gname")].max(), errors="coerce").fillna(0)
    real = (cohort - delay).where(cohort > 0, 0)
    index = d.groupby([region, TIME], as_index=False)[arg["index"]].first()
    hyp = hypothetical_pilots(index, real, region=region, tname=TIME, value=arg["index"])
    year = d[region].map(hyp.set_index(region)["hypothetical_year"]).fillna(0)
    return ((year > 0) & (d[TIME] >= year + delay)).astype(int)


@VARIABLES.register("firm_never", "1 when the column is 0 in every observed year of the firm (clean controls); "
                                  "missing when never observed.", arg=_col())
def _firm_never(d, arg):
    x = pd.to_numeric(d[arg], errors="coerce")
    seen = x.notna().groupby(d[ID]).transform("any")
    hit = (x > 0).groupby(d[ID]).transform("any")
    return pd.Series(np.where(~seen, np.nan, np.where(hit, 0.0, 1.0)), index=d.index)


@VARIABLES.register("pilot_distance", "km from the row's city to the nearest other city treated by the row's year "
                                      "(great circle between the bundled prefecture coordinates; paper 004 s. 5); "
                                      "missing before any other city is treated. Treated cities are those in the data.",
                    arg=_opts(Option("cohort", "column", "the city's first treated year (0: never)", required=True),
                              Option("city", "column", "the city column", default="city")),
                    shorthand="cohort")
def _pilot_distance(d, arg):
    from ..errors import SMError
    from ..indicators.spatial import nearest_treated_distance

    city, cohort = arg.get("city", "city"), arg["cohort"]
    table = d[[city, cohort]].dropna().drop_duplicates()
    if table[city].duplicated().any():
        bad = table.loc[table[city].duplicated(), city].head(3).tolist()
        raise SMError("SM156", f"pilot_distance: {cohort} differs within cities, e.g. {bad}.",
                      "give the city's first treated year (the city design's gname), the same on every row of a city.")
    res = nearest_treated_distance(table, d[TIME].dropna().unique(), city=city, cohort=cohort)
    keyed = d[[city, TIME]].merge(res.rename(columns={"city": city, "year": TIME})[[city, TIME, "distance_km"]],
                                  on=[city, TIME], how="left", validate="many_to_one")
    return pd.Series(keyed["distance_km"].to_numpy(), index=d.index)


@VARIABLES.register("distance_band", "1 when lo <= column < hi (a distance band), 0 otherwise and where `unless` is "
                                     "positive (the row's own city is treated); a missing distance is in no band.",
                    arg=_opts(Option("column", "column", "the distance", required=True),
                              Option("lo", "float", "lower edge (km)", required=True, min=0),
                              Option("hi", "float", "upper edge (km)", required=True, min=0),
                              Option("unless", "column", "rows where this is positive get 0")))
def _distance_band(d, arg):
    from ..indicators.spatial import distance_bands

    exclude = d[arg["unless"]] > 0 if arg.get("unless") else None
    return distance_bands(d[arg["column"]], [arg["lo"], arg["hi"]], exclude=exclude).iloc[:, 0]


@VARIABLES.register("location_quotient", "industrial agglomeration: the sector's share of the region's total of "
                                         "the column over its share of the whole sample, per year (paper 004 s. 5).",
                    arg=_opts(Option("column", "column", "employment (or output)", required=True),
                              Option("region", "column", "the region column", default="city"),
                              Option("sector", "column", "the sector column", default="industry")),
                    shorthand="column")
def _location_quotient(d, arg):
    from ..indicators.spatial import location_quotient

    return location_quotient(d, value=arg["column"], region=arg.get("region", "city"),
                             sector=arg.get("sector", "industry"), tname=TIME)


@VARIABLES.register("lag", "calendar lag: a gap year gives a missing value, not the previous row.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("k", "int", "years back", default=1, min=-100, max=100)))
def _lag(d, arg):
    from ..panel import lag

    return lag(d, arg["column"], int(arg.get("k", 1)), idname=ID, tname=TIME)


@VARIABLES.register("winsor", "one column clipped at pooled quantiles.",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("limits", "pair", "lower and upper quantile", default=[0.01, 0.99])))
def _winsor(d, arg):
    lo, hi = d[arg["column"]].quantile(list(arg.get("limits", (0.01, 0.99))))
    return d[arg["column"]].clip(lo, hi)


def _group(stat: str):
    def f(d, arg):
        return d.groupby(list(arg["by"]))[arg["column"]].transform(stat)
    return f


for _stat in ("mean", "max", "min"):
    VARIABLES.register(f"group_{_stat}", f"the column's {_stat} within groups.",
                       arg=_opts(Option("column", "column", "the column", required=True),
                                 Option("by", "columns", "the groups", required=True)))(_group(_stat))


@VARIABLES.register("first_in_group", "1 on one row per group (collapses a firm panel to its groups), chosen among "
                                      "the rows where the `notna` columns are present.",
                    arg=_opts(Option("by", "columns", "the groups", required=True),
                              Option("notna", "columns", "columns the chosen row must have", default=[])),
                    shorthand="by")
def _first_in_group(d, arg):
    by, need = list(arg["by"]), list(arg.get("notna", []))
    rows = d.dropna(subset=need) if need else d   # pick the row among those the regression keeps
    first = ~rows.sort_values([*by, ID]).duplicated(by)
    return first.reindex(d.index, fill_value=False).astype(int)


@VARIABLES.register("theil", "Theil T of the column within each group (missing where any value <= 0).",
                    arg=_opts(Option("column", "column", "the column", required=True),
                              Option("by", "columns", "the groups", required=True)))
def _theil(d, arg):
    from ..indicators.concentration import theil

    def one(v: pd.Series) -> float:
        v = v.dropna()
        return theil(v).total if len(v) > 1 and (v > 0).all() else np.nan
    return d.groupby(list(arg["by"]))[arg["column"]].transform(one)


@VARIABLES.register("n_tfp", "industry-relative TFP (paper 002's N_TFP).",
                    arg=_opts(Option("column", "column", "the TFP column", required=True),
                              Option("industry", "column", "industry column", default="industry"),
                              Option("kind", "choice", "ratio of TFP (level) or of TFP growth factors (change, "
                                                       "the paper's relative change) to the industry-year reference",
                                     choices=("level", "change"), default="level"),
                              Option("reference", "choice", "industry-year statistic in the denominator",
                                     choices=("mean", "median"), default="mean")))
def _n_tfp(d, arg):
    from ..indicators.productivity import n_tfp

    return n_tfp(d, tfp=arg["column"], industry=arg.get("industry", "industry"), idname=ID, tname=TIME,
                 kind=arg.get("kind", "level"), reference=arg.get("reference", "mean"))


def _check_directions(spec, path, arg) -> None:
    for col, sign in (arg.get("indicators") or {}).items():
        if sign not in ("+", "-"):
            raise spec.error("SM703", path + ("indicators", col), f"indicator {col!r} has direction {sign!r}.",
                             "use '+' (benefit) or '-' (cost).")


@VARIABLES.register("entropy_index", "entropy-weight composite of the columns over every row of the data set "
                                     "(before the sample's where/dropna), missing where any indicator is.",
                    arg=_opts(Option("indicators", "mapping", "column -> '+' (benefit) or '-' (cost)", required=True),
                              Option("scale", "float", "multiply the score", default=1.0)),
                    check=lambda spec, path, arg: _check_directions(spec, path, arg),
                    columns=lambda arg: list(arg["indicators"]))
def _entropy_index(d, arg):
    from ..indicators.composite import entropy_weight

    return entropy_weight(d, dict(arg["indicators"])).score * float(arg.get("scale", 1.0))


@VARIABLES.register("fc_index", "FC index of financing constraints (fitted logit probability).",
                    arg=_opts(*(Option(k, "column", doc, required=True) for k, doc in (
                        ("assets", "total assets"), ("age", "firm age"), ("cash_dividends", "cash dividends"),
                        ("leverage", "leverage"), ("mb", "market-to-book"), ("nwc", "net working capital / assets"),
                        ("ebit", "EBIT / assets")))))
def _fc(d, arg):
    from ..indicators.constraints import fc_index

    return fc_index(d, tname=TIME, **arg).index


@VARIABLES.register("ww_index", "WW index of financing constraints (Whited & Wu 2006; larger = more constrained).",
                    arg=_opts(*(Option(k, "column", doc, default=v) for k, doc, v in (
                        ("cash_flow", "operating cash flow", "operating_cash_flow"),
                        ("assets", "total assets", "total_assets"), ("dividends", "cash dividends", "dividends"),
                        ("long_term_debt", "long-term debt", "long_term_debt"), ("sales", "revenue", "revenue"),
                        ("industry", "industry", "industry")))))
def _ww(d, arg):
    from ..indicators.constraints import ww_index

    return ww_index(d, idname=ID, tname=TIME, **arg)


def check_variable(spec, name: str, op) -> None:
    """Static checks of one ``variables`` entry: one registered operation with a well-formed argument."""
    from .spec import check_value, mapping, unknown_key

    path = ("variables", name)
    op = mapping(spec, path, op, f"variable {name}")
    if len(op) != 1:
        raise spec.error("SM703", path, f"variable {name!r} needs exactly one operation, got {list(op)}.",
                         f"use one of {VARIABLES.names()}.")
    (kind, arg), = op.items()
    if kind not in VARIABLES:
        raise unknown_key(spec, path, kind, VARIABLES.names(), f"variable {name}")
    entry = VARIABLES[kind]
    if entry.arg.kind == "options" and not isinstance(arg, dict) and entry.meta.get("shorthand"):
        short = next(o for o in entry.arg.schema if o.name == entry.meta["shorthand"])
        check_value(spec, path + (kind,), short, arg)
    else:
        check_value(spec, path + (kind,), Option(kind, entry.arg.kind, "", schema=entry.arg.schema), arg)
    if entry.meta.get("check"):
        entry.meta["check"](spec, path + (kind,), arg)


def variable_columns(op: dict) -> list[str]:
    """The data columns a validated ``{OP: ARG}`` entry reads."""
    from .registry import columns_in

    (kind, arg), = op.items()
    entry = VARIABLES[kind]
    if entry.arg.kind != "options":
        return columns_in(entry.arg, arg)
    if entry.meta.get("columns"):     # columns named by a mapping's keys (entropy_index indicators)
        return entry.meta["columns"](arg_options(entry, arg))
    return columns_in(entry.arg, arg_options(entry, arg))


def derive(d: pd.DataFrame, op: dict) -> pd.Series:
    """The values of a derived variable from its validated ``{OP: ARG}`` mapping."""
    (kind, arg), = op.items()
    entry = VARIABLES[kind]
    value = arg_options(entry, arg)
    return entry.func(d, value if entry.arg.kind == "options" else value["arg"])


def continuous_columns(d: pd.DataFrame, spec, exclude=()) -> list[str]:
    """The continuous columns of an analysis data set: float columns with more than two distinct values, not the
    keys, treatment, cohort or event-time columns of the spec's designs, nor ``exclude``."""
    from .sample import designs

    fixed = {ID, TIME, "rel_time", "listing_year", *exclude}
    for i, design in enumerate(designs(spec.get("treatment"))):
        dname = design.get("dname", "DID")
        fixed |= {dname, design.get("gname", "gname" if i == 0 else f"gname_{dname}")}
    return [c for c in d.columns if c not in fixed and pd.api.types.is_float_dtype(d[c]) and d[c].nunique() > 2]


def winsorize_continuous(d: pd.DataFrame, spec, wins: dict, info: dict) -> pd.DataFrame:
    """``sample: winsorize: {columns: all_continuous}``: clip every continuous column at its pooled quantiles on
    the final sample; the columns and the number of values clipped are printed and recorded in ``info``."""
    from ..panel import winsorize

    cols = continuous_columns(d, spec, wins.get("exclude") or ())
    lo, hi = wins.get("limits", (0.01, 0.99))
    out = winsorize(d, cols, limits=(lo, hi))
    clipped = int(((out[cols] != d[cols]) & d[cols].notna()).to_numpy().sum())
    info["winsorized"] = {"columns": cols, "limits": [lo, hi], "values_clipped": clipped}
    print(f"sample: winsorized {len(cols)} continuous columns at {lo:g}/{hi:g} ({clipped:,} values clipped)")
    return out


def stage_dataset(spec):
    """Stage body: the panel joined with every measure's table, the derived variables, the sample filters."""
    def run(ctx: StageContext) -> None:
        from .spec import check_columns

        d = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        for entry in MEASURES.entries():   # firm-year tables first, in registration order
            if entry.name in ctx.inputs and entry.meta.get("firm_year"):
                m = pd.read_parquet(ctx.inputs[entry.name] / entry.meta["firm_year"])
                m = m.drop(columns=[c for c in m.columns if c in d.columns and c not in (ID, TIME)])
                d = d.merge(m, on=[ID, TIME], how="left", validate="one_to_one", indicator="_in_measure")
                if entry.meta.get("fill_zero"):  # a listed firm without an application has zero patents
                    # only firm-years absent from the table; a measure's own missing values (a width with
                    # no application to measure) and its `no_fill` columns stay missing
                    keep = set(entry.meta.get("no_fill", ()))
                    num = [c for c in m.columns if c not in (ID, TIME) and c not in keep
                           and pd.api.types.is_numeric_dtype(m[c])]
                    absent = d["_in_measure"].eq("left_only")
                    d.loc[absent, num] = d.loc[absent, num].fillna(0)
                d = d.drop(columns="_in_measure")
        for entry in MEASURES.entries():   # then city-year tables on the firm's city
            path = ctx.inputs[entry.name] / entry.meta["city_year"] if (
                entry.name in ctx.inputs and entry.meta.get("city_year")) else None
            if path is not None and path.exists():
                d = d.merge(pd.read_parquet(path), on=["city", TIME], how="left", validate="many_to_one")
        with warnings.catch_warnings():  # adding columns one by one fragments the frame; copied below
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            for name, op in (spec.get("variables") or {}).items():
                (kind, _), = op.items()
                check_columns(spec, ("variables", name, kind), variable_columns(op), d.columns)
                d[name] = derive(d, op)
        d = d.copy()
        sample = spec.get("sample") or {}
        before = len(d)
        check_columns(spec, ("sample", "where"), list((sample.get("where") or {}).keys()), d.columns)
        d = apply_where(d, sample.get("where"))
        after_where = len(d)
        check_columns(spec, ("sample", "dropna"), sample.get("dropna") or [], d.columns)
        d = d.dropna(subset=list(sample.get("dropna") or []))
        if after_where - len(d):
            print(f"sample: missing {list(sample.get('dropna') or [])}: dropped {after_where - len(d):,} of "
                  f"{after_where:,} rows")
        d = d.reset_index(drop=True)
        wins = sample.get("winsorize") or {}
        if wins.get("columns") == ALL_CONTINUOUS:
            d = winsorize_continuous(d, spec, wins, ctx.info)
        d.to_parquet(ctx.dir / "dataset.parquet", index=False)
        ctx.info.update(rows=len(d), firms=int(d[ID].nunique()), dropped_by_where=before - after_where,
                        dropped_missing=after_where - len(d))
    return run
