"""``smtext export TABLE OUT``: hand a firm-year table (an index, a panel) to Stata, Excel or Parquet.

A thin layer over :func:`smtext.report.export.export_panel`; the format follows OUT's extension
(``.dta``, ``.csv``, ``.parquet``). For ``.dta``, names longer than 32 characters are shortened
deterministically and keep their full name as the variable label; the renames are printed and
recorded in ``OUT.manifest.json`` with the input's hash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from ..errors import SMError
from ..manifest import build_manifest, file_sha256, write_manifest


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        # stkcd keeps its leading zeros
        return pd.read_csv(path, dtype={"stkcd": str}, encoding="utf-8-sig")
    raise SMError("SM612", f"{path.name} is neither .parquet nor .csv.",
                  "pass a Parquet table (e.g. firm_year_index.parquet) or a CSV.")


def _read_labels(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        labels = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SMError("SM612", f"labels file {path.name} is not UTF-8 JSON ({err}).",
                      'write a JSON object {"column": "label", ...}.') from None
    if not isinstance(labels, dict):
        raise SMError("SM612", f"labels file {path.name} is not a JSON object.",
                      'write a JSON object {"column": "label", ...}.')
    return {str(k): str(v) for k, v in labels.items()}


def export_cmd(
    table: Path = typer.Argument(..., exists=True, dir_okay=False, help="Parquet or CSV table to export."),
    out: Path = typer.Argument(..., help="File to write: .dta (Stata 14+), .csv (UTF-8 with BOM) or .parquet."),
    labels: Path = typer.Option(None, "--labels", exists=True, dir_okay=False,
                                help="JSON object column -> variable label (used by .dta)."),
) -> None:
    """Export a table; .dta names longer than 32 characters are shortened (full name kept as the label)."""
    from ..report.export import EXPORT_FORMATS, export_panel, stata_names

    fmt = out.suffix.lstrip(".").lower()
    if fmt not in EXPORT_FORMATS:
        raise SMError("SM612", f"cannot tell the format of {out.name} from its extension.",
                      f"end OUT with one of {['.' + f for f in EXPORT_FORMATS]}.")
    from ..stages import check_output_file

    check_output_file(out)
    frame = _read_table(table)
    renamed = stata_names(frame.columns) if fmt == "dta" else {}
    export_panel(frame, out, labels=_read_labels(labels))
    write_manifest(out.with_name(out.name + ".manifest.json"),
                   build_manifest("export", {"format": fmt, "labels": str(labels) if labels else None},
                                  inputs={str(table): file_sha256(table)},
                                  extra={"renamed": renamed, "rows": len(frame),
                                         "columns": int(frame.shape[1])}))
    for long, short in renamed.items():
        typer.echo(f"renamed {long} -> {short}")
    typer.echo(f"written: {out} ({len(frame)} rows, {frame.shape[1]} columns)")
