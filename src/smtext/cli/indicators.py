"""``smtext indicators ...``: a thin command layer over :mod:`smtext.indicators`.

Each command reads a firm-year panel (Parquet), computes one indicator with the
Python API, and writes a Parquet table keyed by (``--id``, ``--time``) with the new
column(s), plus ``<out>.manifest.json`` (versions, parameters, seed, input hash)
beside it. Coded errors print as ``error SMxxx: ...`` and exit with status 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ..errors import SMError
from ..manifest import build_manifest, file_sha256, write_manifest

app = typer.Typer(help="Firm indicators from a financial panel: TFP, financing constraints (SA, WW, KZ, FC), "
                       "HHI, market volatility, N_TFP.", no_args_is_help=True)

PANEL_HELP = "Firm-year panel as Parquet (one row per firm-year)."
OUT_HELP = "Output Parquet (keys + the new column); a .manifest.json is written beside it."
ID_HELP = "Firm identifier column."
TIME_HELP = "Fiscal-year column."


def _read(panel: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(panel)
    except Exception as e:  # pyarrow raises several types for a non-Parquet file
        raise SMError("SM406", f"cannot read {panel} as Parquet: {e}.", "pass a Parquet file.") from e


def _write(out: Path, table: pd.DataFrame, command: str, params: dict, panel: Path,
           seeds: dict | None = None, extra: dict | None = None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    manifest = build_manifest(f"indicators {command}", params, seeds=seeds,
                              inputs={str(panel): file_sha256(panel)},
                              extra={"output": str(out), "rows": len(table), **(extra or {})})
    write_manifest(out.with_suffix(".manifest.json"), manifest)
    typer.echo(f"wrote {out} ({len(table):,} rows)")


def _keyed(data: pd.DataFrame, idname: str, tname: str, **cols) -> pd.DataFrame:
    out = data[[c for c in (idname, tname) if c in data.columns]].copy()
    for name, values in cols.items():
        out[name] = values
    return out


@app.command("tfp")
def tfp_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP + " Coefficients go to <out>.coef.csv."),
    method: str = typer.Option("lp", "--method", "-m", help="ols, fe, op, lp, acf, wrdg or gmm."),
    y: str = typer.Option("ln_value_added", "--y", help="Log output column."),
    free: list[str] = typer.Option(["ln_employees"], "--free", help="Free (log) input; repeatable."),
    state: list[str] = typer.Option(["ln_fixed_assets_net"], "--state", help="State (log) input; repeatable."),
    proxy: str = typer.Option(None, "--proxy", help="Proxy column: log investment (op), log materials "
                                                   "(lp, acf, wrdg). Default ln_investment for op, "
                                                   "ln_cash_paid_goods otherwise."),
    log_inputs: bool = typer.Option(False, "--log-inputs", help="Build ln_* columns first from a panel in yuan "
                                                                "(value_added, employees, fixed_assets_net, "
                                                                "cash_paid_goods, investment)."),
    output: str = typer.Option("value_added", "--output", help="value_added, or gross (lp only)."),
    attrition: bool = typer.Option(False, "--attrition", help="Olley-Pakes survival correction (op only)."),
    poly_degree: int = typer.Option(3, "--poly-degree", min=1, help="Degree of the stage-1 polynomial."),
    by: str = typer.Option(None, "--by", help="Estimate separately by this column (e.g. industry)."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Firm-cluster bootstrap draws for SEs."),
    seed: int = typer.Option(0, "--seed", help="Seed of the multi-starts and the bootstrap."),
    n_jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Bootstrap worker processes (results do not depend on it)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """Estimate a production function and write log TFP (column tfp_<method>) for every firm-year."""
    from ..indicators import tfp as T

    data = _read(panel)
    if log_inputs:
        data = T.log_inputs(data)
    if proxy is None and method in ("op", "lp", "acf", "wrdg"):
        proxy = "ln_investment" if method == "op" else "ln_cash_paid_goods"
    r = T.estimate(data, method, y=y, free=list(free), state=list(state), proxy=proxy, idname=idname,
                   tname=tname, poly_degree=poly_degree, output=output, attrition=attrition, by=by,
                   bootstrap=bootstrap, seed=seed, n_jobs=n_jobs)
    params = {"method": method, "y": y, "free": list(free), "state": list(state), "proxy": proxy,
              "log_inputs": log_inputs, "output": output, "attrition": attrition, "poly_degree": poly_degree,
              "by": by, "bootstrap": bootstrap, "n_jobs": n_jobs, "idname": idname, "tname": tname}
    tidy = r.tidy()
    out.parent.mkdir(parents=True, exist_ok=True)
    tidy.to_csv(out.with_suffix(".coef.csv"), index=False)
    table = _keyed(data, idname, tname, **{r.omega.name: r.omega.to_numpy()})
    _write(out, table, "tfp", params, panel, seeds={"tfp": seed},
           extra={"coef": tidy.to_dict("records"), "skipped_groups": list(getattr(r, "skipped", {}) or [])})
    typer.echo(r.summary())


@app.command("sa")
def sa_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
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

    data = _read(panel)
    sa = sa_index(data, assets=assets, age=age, unit=unit, absolute=absolute)
    _write(out, _keyed(data, idname, tname, SA=sa.to_numpy()), "sa",
           {"assets": assets, "age": age, "unit": unit, "absolute": absolute}, panel)


@app.command("ww")
def ww_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    industry: str = typer.Option("industry", "--industry", help="Industry column (for industry sales growth)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """WW index of Whited and Wu (2006) with calendar-lag sales growth (demo column names)."""
    from ..indicators.constraints import ww_index

    data = _read(panel)
    ww = ww_index(data, industry=industry, idname=idname, tname=tname)
    _write(out, _keyed(data, idname, tname, WW=ww.to_numpy()), "ww", {"industry": industry}, panel)


@app.command("kz")
def kz_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    leverage: str = typer.Option("leverage", "--leverage", help="Leverage column."),
    q: str = typer.Option("tobin_q", "--q", help="Tobin's Q column."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """KZ index by the Chinese procedure (yearly median splits, ordered logit, fitted index)."""
    from ..indicators.constraints import kz_index

    data = _read(panel)
    kz = kz_index(data, leverage=leverage, q=q, idname=idname, tname=tname)
    _write(out, _keyed(data, idname, tname, KZ=kz.index.to_numpy()), "kz", {"leverage": leverage, "q": q}, panel,
           extra={"coefficients": {k: float(v) for k, v in kz.coef.items()}})


@app.command("fc")
def fc_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    split: float = typer.Option(1 / 3, "--split", help="Quantile for the constrained/unconstrained groups."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """FC index (paper 004): logit-fitted probability of being financially constrained."""
    from ..indicators.constraints import fc_index

    data = _read(panel)
    fc = fc_index(data, tname=tname, split=split)
    _write(out, _keyed(data, idname, tname, FC=fc.index.to_numpy()), "fc", {"split": split}, panel,
           extra={"coefficients": {k: float(v) for k, v in fc.coef.items()}})


@app.command("hhi")
def hhi_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_HELP),
    value: str = typer.Option("revenue", "--value", help="Column whose shares enter the HHI."),
    by: list[str] = typer.Option(["industry", "year"], "--by", help="Cell columns; repeatable (add city for "
                                                                   "city-industry HHI)."),
    idname: str = typer.Option("stkcd", "--id", help=ID_HELP),
    tname: str = typer.Option("year", "--time", help=TIME_HELP),
) -> None:
    """Herfindahl-Hirschman index of revenue shares within industry-year (or other) cells."""
    from ..indicators.concentration import hhi

    data = _read(panel)
    h = hhi(data, value=value, by=list(by), idname=idname if idname in data.columns else None)
    _write(out, _keyed(data, idname, tname, HHI=h.to_numpy()), "hhi", {"value": value, "by": list(by)}, panel)


@app.command("volatility")
def volatility_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
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

    data = _read(panel)
    v = market_volatility(data, sales=sales, idname=idname, tname=tname, window=window, align=align,
                          growth=growth)
    _write(out, _keyed(data, idname, tname, volatility=v.to_numpy()), "volatility",
           {"sales": sales, "window": window, "align": align, "growth": growth}, panel)


@app.command("ntfp")
def ntfp_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False, help=PANEL_HELP),
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

    data = _read(panel)
    v = n_tfp(data, tfp=tfp, industry=industry, idname=idname, tname=tname, kind=kind, reference=reference)
    _write(out, _keyed(data, idname, tname, N_TFP=v.to_numpy()), "ntfp",
           {"tfp": tfp, "industry": industry, "kind": kind, "reference": reference}, panel)
