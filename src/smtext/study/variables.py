"""Derived variables of a study spec (``variables: {NAME: {OP: ARG}}``) and the analysis data set."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .spec import Spec, check_columns
from ..stages import StageContext
from .common import ID, TIME, _apply_where


def derive(d: pd.DataFrame, name: str, op: dict, spec: Spec, pilots: pd.DataFrame | None) -> pd.Series:
    (kind, arg), = op.items()
    path = ("variables", name, kind)
    cols = [arg] if isinstance(arg, str) else (list(arg) if isinstance(arg, list) else [])
    if kind in ("hhi", "sa_index"):
        cols = [arg["column"]] + list(arg.get("by", [])) if kind == "hhi" else [arg["assets"], arg["age"]]
    if kind in ("map", "share_in", "volatility", "lag", "winsor"):
        cols = [arg["column"]] + list(arg.get("by", []))
    if kind == "diff":   # a - b, where b may be a number (year - 2011 = a trend)
        cols = [a for a in arg if isinstance(a, str)]
    if kind in ("group_mean", "group_max", "group_min", "theil"):
        cols = [arg["column"], *arg["by"]]
    if kind == "n_tfp":
        cols = [arg["column"], arg.get("industry", "industry")]
    if kind == "fc_index":
        cols = list(arg.values())
    if kind in ("firm_never", "max", "sum", "first_in_group"):
        cols = [arg] if isinstance(arg, str) else list(arg)
    if kind == "first_in_group" and isinstance(arg, dict):
        cols = [*arg["by"], *arg.get("notna", [])]
    if kind != "city_pilot_count":
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
        from ..indicators.controls import esg_score

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
        from ..indicators.concentration import hhi

        return hhi(d, value=arg["column"], by=list(arg["by"]), idname=ID)
    if kind == "sa_index":
        from ..indicators.constraints import sa_index

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
        from ..indicators.market import market_volatility

        return market_volatility(d, sales=arg["column"], idname=ID, tname=TIME, window=int(arg.get("window", 3)),
                                 align=arg.get("align", "backward"))
    if kind == "firm_never":   # 1 when the column is 0 in every observed year of the firm (clean controls)
        x = pd.to_numeric(d[arg], errors="coerce")
        seen = x.notna().groupby(d[ID]).transform("any")
        hit = (x > 0).groupby(d[ID]).transform("any")
        return pd.Series(np.where(~seen, np.nan, np.where(hit, 0.0, 1.0)), index=d.index)
    if kind == "lag":   # calendar lag: a gap year gives a missing value, not the previous row
        from ..panel import lag

        return lag(d, arg["column"], int(arg.get("k", 1)), idname=ID, tname=TIME)
    if kind == "winsor":   # one column at pooled quantiles (robustness to extreme values)
        lo, hi = d[arg["column"]].quantile(list(arg.get("limits", (0.01, 0.99))))
        return d[arg["column"]].clip(lo, hi)
    if kind == "max":
        return d[list(arg)].max(axis=1)
    if kind == "sum":   # missing when any part is missing
        return d[list(arg)].sum(axis=1, min_count=len(arg)).where(d[list(arg)].notna().all(axis=1))
    if kind in ("group_mean", "group_max", "group_min"):
        return d.groupby(list(arg["by"]))[arg["column"]].transform(kind.split("_")[1])
    if kind == "first_in_group":   # 1 on one row per group: collapses a firm panel to its groups
        by, need = (list(arg), []) if isinstance(arg, list) else (list(arg["by"]), list(arg.get("notna", [])))
        rows = d.dropna(subset=need) if need else d   # pick the row among those the regression keeps
        first = ~rows.sort_values([*by, ID]).duplicated(by)
        return first.reindex(d.index, fill_value=False).astype(int)
    if kind == "theil":   # Theil T of the column within each group (missing where any value <= 0)
        from ..indicators.concentration import theil

        def one(v: pd.Series) -> float:
            v = v.dropna()
            return theil(v).total if len(v) > 1 and (v > 0).all() else np.nan
        return d.groupby(list(arg["by"]))[arg["column"]].transform(one)
    if kind == "n_tfp":
        from ..indicators.productivity import n_tfp

        return n_tfp(d, tfp=arg["column"], industry=arg.get("industry", "industry"), idname=ID, tname=TIME,
                     kind=arg.get("kind", "level"), reference=arg.get("reference", "mean"))
    if kind == "fc_index":
        from ..indicators.constraints import fc_index

        return fc_index(d, tname=TIME, **arg).index
    if kind == "city_pilot_count":
        from ..demo_job import _city_pilot_instrument

        return _city_pilot_instrument(d, pilots)
    raise spec.error("SM703", path, f"unknown variable operation {kind!r}.")


# measurement stage -> its firm-year file, and whether a firm-year absent from it is a zero
# (patents, subsidies: no record = none) rather than missing (text, N_ML, DVAR: not measured)
MEASURE_FILES = (("tfp", "tfp.parquet", False), ("patents", "patents.parquet", True), ("text", "firm_year_index.parquet", False),
                 ("nml", "nml.parquet", False), ("extras", "extras.parquet", False), ("trade", "trade.parquet", False),
                 ("robots", "robots.parquet", False), ("subsidies", "subsidies.parquet", True))


def stage_dataset(spec: Spec):
    def run(ctx: StageContext) -> None:
        d = pd.read_parquet(ctx.inputs["panel"] / "panel.parquet")
        for name, file, fill in MEASURE_FILES:
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
                d[name] = derive(d, name, op, spec, pilots)
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


