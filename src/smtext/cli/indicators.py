"""``smtext indicators ...``: a thin command layer over :mod:`smtext.indicators`.

Each command reads a firm-year panel (Parquet, CSV, TXT, XLSX or Stata, laid out as CSMAR,
CNRDS, Wind or plainly) through :func:`smtext.io.read_panel` (``--map`` names the column
map; several PANEL files are merged on their keys), optionally derives inputs with
:mod:`smtext.io.recipes` (``--derive``), computes one indicator with the Python API, and
writes a Parquet table keyed by (``--id``, ``--time``) with the new column(s), plus
``<out>.manifest.json`` (versions, parameters, seed, input hashes, the reading report and
the derived formulas) beside it. Coded errors print as ``error SMxxx: ...`` and exit with
status 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ..manifest import build_manifest, write_manifest

app = typer.Typer(help="Firm indicators from a financial panel: TFP, financing constraints (SA, WW, KZ, FC), "
                       "HHI, market volatility, N_TFP.", no_args_is_help=True)

PANEL_HELP = ("Firm-year panel: .parquet, .csv, .txt, .xlsx or .dta, as CSMAR, CNRDS, Wind or plain files export "
              "it. Give several to merge them on stkcd/year (a firm table such as TRD_Co joins onto every year).")
OUT_HELP = "Output Parquet (keys + the new column); a .manifest.json is written beside it."
ID_HELP = "Firm identifier column."
TIME_HELP = "Fiscal-year column."
MAP_HELP = ("Column map of each PANEL, in order: a bundled name (csmar_fs_combas, csmar_fs_comins, csmar_trd_co, ...) "
            "or a YAML file; 'none' for a file already in smtext's column names. Repeat once per PANEL.")
SHEET_HELP = "XLSX sheet to read (needed when a workbook has data on several sheets)."
ENCODING_HELP = "Text encoding of CSV/TXT files (default: detected; UTF-8, GBK or GB18030)."
STATEMENT_HELP = "Statement type to keep where the file has Typrep (A 合并 / B 母公司): consolidated or parent."
DERIVE_HELP = ("Derive an input with smtext.io.recipes before computing; repeatable: value_added[:income|cost], "
               "age[:listing_year|founding_year], leverage, tobin_q[:simple|debt_adjusted], market_to_book, "
               "net_working_capital, ebit, size, roa, capital_intensity, is_manufacturing, is_financial.")


def _read(panels: list[Path], maps: list[str], sheet: str | None, encoding: str | None, statement: str,
          derive: list[str]) -> tuple[pd.DataFrame, dict]:
    """Read (and merge) the panel files and derive inputs; return the data and what the manifest records."""
    from ..io import read_panel, read_panels
    from ..io.recipes import derive as run_recipes

    if maps and len(maps) != len(panels):
        raise typer.BadParameter(f"give one --map per PANEL ({len(panels)} files, {len(maps)} maps); "
                                 "use 'none' for a file that needs no map.")
    pairs = [(p, None if not maps or maps[i].lower() == "none" else maps[i]) for i, p in enumerate(panels)]
    kw = {"statement": statement, "sheet": sheet, "encoding": encoding}
    r = read_panel(*pairs[0], **kw) if len(pairs) == 1 else read_panels(pairs, **kw)
    io = {"io_report": r.report, "io_source": r.source}
    data = r.data
    if derive:
        data, records = run_recipes(data, derive)
        io["derived"] = records
    return data, io


def _write(out: Path, table: pd.DataFrame, command: str, params: dict, io: dict,
           seeds: dict | None = None, extra: dict | None = None) -> None:
    from ..stages import check_output_file

    check_output_file(out)
    table.to_parquet(out, index=False)
    sources = io["io_source"].get("files", [io["io_source"]])
    manifest = build_manifest(f"indicators {command}", params, seeds=seeds,
                              inputs={s["path"]: s["sha256"] for s in sources},
                              extra={"output": str(out), "rows": len(table), **io, **(extra or {})})
    write_manifest(out.with_suffix(".manifest.json"), manifest)
    typer.echo(f"wrote {out} ({len(table):,} rows)")


def _key_names(data: pd.DataFrame, idname: str, tname: str) -> tuple[str, str]:
    """The panel columns ``--id`` and ``--time`` name: as given, or, for a stock-code or year column
    the reader renamed (证券代码 -> stkcd, 会计年度 -> year), the column it became (as ``smtext did``)."""
    from ..io.layouts import KEY_ALIASES

    def one(name: str, key: str, aliases: str) -> str:
        if name in data.columns or key not in data.columns:
            return name
        if name.lower() in {str(a).lower() for a in KEY_ALIASES.get(aliases, ())}:
            return key
        low = [c for c in data.columns if str(c).lower() == name.lower()]
        return low[0] if len(low) == 1 else name

    return one(idname, "stkcd", "stkcd"), one(tname, "year", "period")


def _log_columns(data: pd.DataFrame, names: tuple) -> tuple[pd.DataFrame, tuple]:
    """Logs of the columns the options name (``X`` or ``ln_X``, X a level in yuan) as ``ln_X``.

    Non-positive or missing levels get a missing log, counted in an SM412 warning
    (:func:`smtext.indicators.tfp.log_columns`).
    """
    from ..indicators.tfp import log_columns

    def level(name):
        if name.startswith("ln_") and (name[3:] in data.columns or name not in data.columns):
            return name[3:]
        return name

    y, free, state, proxy = names
    given = [c for c in (y, *free, *state, proxy) if c is not None]
    out = log_columns(data, dict.fromkeys(level(c) for c in given), what="panel (--log-inputs)")
    ln = lambda c: "ln_" + level(c)  # noqa: E731
    return out, (ln(y), [ln(c) for c in free], [ln(c) for c in state], None if proxy is None else ln(proxy))


def _keyed(data: pd.DataFrame, idname: str, tname: str, **cols) -> pd.DataFrame:
    """The output table: the (``idname``, ``tname``) keys and the new columns.

    Refuses a table that could not be merged back: SM001 without a firm or year column,
    SM401 when a firm-year repeats (the indicator would be written twice under one key).
    """
    from ..errors import SMError, require_columns

    if idname not in data.columns:
        raise SMError("SM001", f"the panel has no firm column {idname!r}; the output would have no firm key.",
                      "pass --id with the panel's firm column (or a --map that maps one to stkcd).")
    require_columns(data, [tname], "panel")
    dup = data.duplicated([idname, tname], keep=False)
    if dup.any():
        raise SMError("SM401", f"{int(dup.sum())} rows share a ({idname}, {tname}) key, e.g. "
                      f"{data.loc[dup, [idname, tname]].head(3).to_dict('records')}; the output would repeat keys.",
                      "keep one row per firm-year first.")
    out = data[[idname, tname]].copy()
    for name, values in cols.items():
        out[name] = values
    return out


@app.command("tfp")
def tfp_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP + " Coefficients go to <out>.coef.csv."),
    method: str = typer.Option("lp", "--method", "-m", help="ols, fe, op, lp, acf, wrdg or gmm."),
    y: str = typer.Option("ln_value_added", "--y", help="Log output column."),
    free: list[str] = typer.Option(["ln_employees"], "--free", help="Free (log) input; repeatable."),
    state: list[str] = typer.Option(["ln_fixed_assets_net"], "--state", help="State (log) input; repeatable."),
    proxy: str = typer.Option(None, "--proxy", help="Proxy column: log investment (op), log materials "
                                                   "(lp, acf, wrdg). Default ln_investment for op, "
                                                   "ln_cash_paid_goods otherwise."),
    log_inputs: bool = typer.Option(False, "--log-inputs", help="Take logs first: each of --y, --free, --state and "
                                                                "--proxy names a level in yuan (value_added, or "
                                                                "ln_value_added meaning the log of value_added) and "
                                                                "is replaced by its log ln_<column>."),
    output: str = typer.Option("value_added", "--output", help="value_added, or gross (lp only)."),
    attrition: bool = typer.Option(False, "--attrition", help="Olley-Pakes survival correction (op only)."),
    poly_degree: int = typer.Option(3, "--poly-degree", min=1, help="Degree of the stage-1 polynomial."),
    acf_overid: bool = typer.Option(False, "--acf-overid", help="ACF: quadratic instruments instead of the "
                                                                "just-identified moments of prodest/statspai."),
    acf_start: str = typer.Option("ols", "--acf-start", help="ACF root rule: ols (Stata prodest: the root reached "
                                                            "from OLS) or stage1 (statspai: nearest the stage-1 "
                                                            "coefficients)."),
    by: str = typer.Option(None, "--by", help="Estimate separately by this column (e.g. industry)."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Firm-cluster bootstrap draws for SEs."),
    seed: int = typer.Option(0, "--seed", help="Seed of the multi-starts and the bootstrap."),
    n_jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Bootstrap worker processes (results do not depend on it)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """Estimate a production function and write log TFP (column tfp_<method>) for every firm-year."""
    from ..indicators import tfp as T
    from ..stages import check_output_file

    check_output_file(out)
    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    if proxy is None and method in ("op", "lp", "acf", "wrdg"):
        proxy = "ln_investment" if method == "op" else "ln_cash_paid_goods"
    if log_inputs:
        data, (y, free, state, proxy) = _log_columns(data, (y, list(free), list(state), proxy))
        io["logged"] = {"y": y, "free": free, "state": state, "proxy": proxy}
    r = T.estimate(data, method, y=y, free=list(free), state=list(state), proxy=proxy, idname=idname,
                   tname=tname, poly_degree=poly_degree, output=output, attrition=attrition, by=by,
                   bootstrap=bootstrap, seed=seed, n_jobs=n_jobs, acf_overid=acf_overid, acf_start=acf_start)
    params = {"method": method, "y": y, "free": list(free), "state": list(state), "proxy": proxy,
              "log_inputs": log_inputs, "output": output, "attrition": attrition, "poly_degree": poly_degree,
              "acf_overid": acf_overid, "acf_start": acf_start,
              "by": by, "bootstrap": bootstrap, "n_jobs": n_jobs, "idname": idname, "tname": tname}
    tidy = r.tidy()
    tidy.to_csv(out.with_suffix(".coef.csv"), index=False)
    table = _keyed(data, idname, tname, **{r.omega.name: r.omega.to_numpy()})
    _write(out, table, "tfp", params, io, seeds={"tfp": seed},
           extra={"coef": tidy.to_dict("records"), "skipped_groups": list(getattr(r, "skipped", {}) or [])})
    typer.echo(r.summary())


@app.command("sa")
def sa_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    assets: str = typer.Option("total_assets", "--assets", help="Total assets column."),
    age: str = typer.Option("age", "--age", help="Firm age (years) column."),
    unit: str = typer.Option("yuan", "--unit", help="Unit of assets: yuan, 10k_yuan or million_yuan."),
    absolute: bool = typer.Option(False, "--absolute", help="Report |SA| (larger = more constrained)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """SA index of Hadlock and Pierce (2010): -0.737 Size + 0.043 Size^2 - 0.040 Age."""
    from ..indicators.constraints import sa_index

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    sa = sa_index(data, assets=assets, age=age, unit=unit, absolute=absolute)
    _write(out, _keyed(data, idname, tname, SA=sa.to_numpy()), "sa",
           {"assets": assets, "age": age, "unit": unit, "absolute": absolute}, io)


@app.command("ww")
def ww_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    industry: str = typer.Option("industry", "--industry", help="Industry column (for industry sales growth)."),
    cash_flow: str = typer.Option("operating_cash_flow", "--cash-flow", help="Cash-flow column (CF = it / assets)."),
    assets: str = typer.Option("total_assets", "--assets", help="Total assets column."),
    dividends: str = typer.Option("dividends", "--dividends", help="Dividends column (DIVPOS = it > 0)."),
    long_term_debt: str = typer.Option("long_term_debt", "--long-term-debt", help="Long-term debt column."),
    sales: str = typer.Option("revenue", "--sales", help="Sales column (firm and industry sales growth)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """WW index of Whited and Wu (2006) with calendar-lag sales growth."""
    from ..indicators.constraints import ww_index

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    cols = {"industry": industry, "cash_flow": cash_flow, "assets": assets, "dividends": dividends,
            "long_term_debt": long_term_debt, "sales": sales}
    ww = ww_index(data, idname=idname, tname=tname, **cols)
    _write(out, _keyed(data, idname, tname, WW=ww.to_numpy()), "ww", cols, io)


@app.command("kz")
def kz_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    leverage: str = typer.Option("leverage", "--leverage", help="Leverage column (--derive leverage builds it)."),
    q: str = typer.Option("tobin_q", "--q", help="Tobin's Q column (--derive tobin_q builds it)."),
    cash_flow: str = typer.Option("operating_cash_flow", "--cash-flow", help="Cash-flow column (over lagged assets)."),
    dividends: str = typer.Option("dividends", "--dividends", help="Cash dividends column (over lagged assets)."),
    cash: str = typer.Option("cash", "--cash", help="Cash holdings column (over lagged assets)."),
    assets: str = typer.Option("total_assets", "--assets", help="Total assets column (lagged, the scale)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """KZ index by the Chinese procedure (yearly median splits, ordered logit, fitted index)."""
    from ..indicators.constraints import kz_index

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    cols = {"leverage": leverage, "q": q, "cash_flow": cash_flow, "dividends": dividends, "cash": cash,
            "assets": assets}
    kz = kz_index(data, idname=idname, tname=tname, **cols)
    _write(out, _keyed(data, idname, tname, KZ=kz.index.to_numpy()), "kz", cols, io,
           extra={"coefficients": {k: float(v) for k, v in kz.coef.items()}})


@app.command("fc")
def fc_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    split: float = typer.Option(1 / 3, "--split", help="Quantile for the constrained/unconstrained groups."),
    assets: str = typer.Option("total_assets", "--assets", help="Total assets column."),
    age: str = typer.Option("age", "--age", help="Firm age column (--derive age builds it)."),
    cash_dividends: str = typer.Option("dividends", "--cash-dividends", help="Cash dividends column."),
    leverage: str = typer.Option("leverage", "--leverage", help="Leverage column (--derive leverage)."),
    mb: str = typer.Option("market_to_book", "--mb", help="Market-to-book column (--derive market_to_book)."),
    nwc: str = typer.Option("net_working_capital", "--nwc", help="Net working capital / assets column "
                                                                 "(--derive net_working_capital)."),
    ebit: str = typer.Option("ebit", "--ebit", help="EBIT / assets column (--derive ebit)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """FC index (paper 004): logit-fitted probability of being financially constrained."""
    from ..indicators.constraints import fc_index

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    cols = {"assets": assets, "age": age, "cash_dividends": cash_dividends, "leverage": leverage, "mb": mb,
            "nwc": nwc, "ebit": ebit}
    fc = fc_index(data, tname=tname, split=split, **cols)
    _write(out, _keyed(data, idname, tname, FC=fc.index.to_numpy()), "fc", {"split": split, **cols}, io,
           extra={"coefficients": {k: float(v) for k, v in fc.coef.items()}})


@app.command("hhi")
def hhi_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    value: str = typer.Option("revenue", "--value", help="Column whose shares enter the HHI."),
    by: list[str] = typer.Option(["industry", "year"], "--by", help="Cell columns; repeatable (add city for "
                                                                   "city-industry HHI)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """Herfindahl-Hirschman index of revenue shares within industry-year (or other) cells."""
    from ..indicators.concentration import hhi

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    h = hhi(data, value=value, by=list(by), idname=idname if idname in data.columns else None)
    _write(out, _keyed(data, idname, tname, HHI=h.to_numpy()), "hhi", {"value": value, "by": list(by)}, io)


@app.command("volatility")
def volatility_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    sales: str = typer.Option("revenue", "--sales", help="Sales column."),
    window: int = typer.Option(3, "--window", min=2, help="Growth rates in the window."),
    align: str = typer.Option("backward", "--align", help="backward, centered or forward window."),
    growth: str = typer.Option("pct", "--growth", help="pct (S_t/S_t-1 - 1) or log growth."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """Market uncertainty (paper 004): s.d. of sales growth over a calendar window."""
    from ..indicators.market import market_volatility

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    v = market_volatility(data, sales=sales, idname=idname, tname=tname, window=window, align=align,
                          growth=growth)
    _write(out, _keyed(data, idname, tname, volatility=v.to_numpy()), "volatility",
           {"sales": sales, "window": window, "align": align, "growth": growth}, io)


@app.command("ntfp")
def ntfp_cmd(
    panel: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    maps: list[str] = typer.Option([], "--map", help=MAP_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    statement: str = typer.Option("consolidated", "--statement", help=STATEMENT_HELP),
    derive: list[str] = typer.Option([], "--derive", help=DERIVE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    tfp: str = typer.Option("tfp_lp", "--tfp", help="TFP column (e.g. the output of 'indicators tfp')."),
    industry: str = typer.Option("industry", "--industry", help="Industry column."),
    kind: str = typer.Option("level", "--kind", help="level (TFP / industry mean) or change (growth ratio)."),
    reference: str = typer.Option("mean", "--reference", help="Industry-year mean or median."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """N_TFP of paper 002: firm TFP relative to its industry-year reference."""
    from ..indicators.productivity import n_tfp

    data, io = _read(panel, maps, sheet, encoding, statement, derive)
    idname, tname = _key_names(data, idname, tname)
    v = n_tfp(data, tfp=tfp, industry=industry, idname=idname, tname=tname, kind=kind, reference=reference)
    _write(out, _keyed(data, idname, tname, N_TFP=v.to_numpy()), "ntfp",
           {"tfp": tfp, "industry": industry, "kind": kind, "reference": reference}, io)
