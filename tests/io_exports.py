"""Write the demo world's numbers as CSMAR, CNRDS and Wind would export them (the bundled maps in reverse).

Used by the ``test_io_*`` tests and ``benchmarks/bench_io.py``: a table written here and read
back with :func:`smtext.io.read_panel` must give the demo table again.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from smtext.io import load_colmap

_FACTORS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "%": 0.01}


def csmar_frame(table: pd.DataFrame, map_name: str, units: dict | None = None) -> tuple[list, list, list, pd.DataFrame]:
    """Codes row, names row, units row and the data (source units) of ``table`` under map ``map_name``."""
    cm = load_colmap(map_name)
    units = units or {}
    out = pd.DataFrame()
    codes, names, unit_row = [], [], []
    key_names = {"stkcd": "证券代码", "period": "会计期间", "year": "会计年度", "statement": "报表类型"}
    for role, field in cm.keys.items():
        codes.append(field)
        names.append(key_names[role])
        unit_row.append("没有单位")
        if role == "stkcd":
            out[field] = table["stkcd"].to_numpy()
        elif role == "period":
            out[field] = [f"{y}-12-31" for y in table["year"]]
        elif role == "year":
            out[field] = table["year"].to_numpy()
        else:
            out[field] = "A"
    for e in cm.columns:
        if e.name not in table.columns:
            continue
        unit = units.get(e.name, e.unit)
        v = table[e.name]
        if e.transform == "year":
            v = [f"{y}-01-01" for y in v]
        elif unit in _FACTORS:
            v = v.to_numpy(float) / _FACTORS[unit]
        codes.append(e.field)
        names.append(e.label or e.name)
        unit_row.append(unit or "没有单位")
        out[e.field] = v
    return codes, names, unit_row, out


def write_csmar(table: pd.DataFrame, map_name: str, path: Path, *, encoding: str = "utf-8-sig",
                units: dict | None = None, extra: pd.DataFrame | None = None, header_rows: int = 3,
                sheet: str = "Sheet1", first_sheet_notes: bool = False) -> Path:
    """``table`` as a CSMAR export: .csv (comma), .txt (tab) or .xlsx, with 3 header rows (or 1, or 2 for CNRDS)."""
    codes, names, unit_row, out = csmar_frame(table, map_name, units)
    if extra is not None:
        out = pd.concat([out, extra[out.columns]], ignore_index=True)
    head = [codes, names, unit_row][:header_rows]
    path = Path(path)
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        if first_sheet_notes:
            ws.title = "说明"
            ws.append(["本表由国泰安数据服务中心导出"])
            ws = wb.create_sheet(sheet)
        else:
            ws.title = sheet
        for row in head:
            ws.append(row)
        for row in out.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
        wb.save(path)
        return path
    sep = "\t" if path.suffix == ".txt" else ","
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerows(head)
        for row in out.itertuples(index=False):
            w.writerow(["" if (isinstance(v, float) and np.isnan(v)) else (repr(v) if isinstance(v, float) else v)
                        for v in row])
    return path


def write_wind_wide(table: pd.DataFrame, path: Path, columns: dict, unit: str = "万元") -> Path:
    """``table`` as a wide Wind export: 证券代码 (000001.SZ), 证券简称, one column per indicator and year."""
    from openpyxl import Workbook

    years = sorted(table["year"].unique())
    codes = sorted(table["stkcd"].unique())
    wide = table.set_index(["stkcd", "year"])
    wb = Workbook()
    ws = wb.active
    header = ["证券代码", "证券简称"]
    for name, label in columns.items():
        header += [f"{label}\n[报告期] {y}年报\n[报表类型] 合并报表\n[单位] {unit}" for y in years]
    ws.append(header)
    for c in codes:
        suffix = ".SH" if c.startswith("6") else ".SZ"
        row = [c + suffix, f"简称{c}"]
        for name in columns:
            for y in years:
                v = wide[name].get((c, y), np.nan)
                row.append(None if pd.isna(v) else float(v) / _FACTORS[unit])
        ws.append(row)
    ws.append(["数据来源：Wind"])
    wb.save(path)
    return path


def make_world(tmp_path_factory, firms: int = 60, seed: int = 7) -> Path:
    """A small demo world without documents (about 4 s); its ``data`` folder."""
    from smtext.demo import WorldConfig
    from smtext.demo.world import generate_world

    out = tmp_path_factory.mktemp("io_world")
    generate_world(out, WorldConfig(n_firms=firms, seed=seed), documents=False)
    return out / "data"


def demo_tables(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo financials without their planted duplicate firm-years (first kept, as the study does), and firms."""
    fin = pd.read_parquet(data / "financials.parquet")
    fin = fin[~fin.duplicated(["stkcd", "year"])].sort_values(["stkcd", "year"]).reset_index(drop=True)
    firms = pd.read_parquet(data / "firms.parquet").sort_values("stkcd").reset_index(drop=True)
    return fin, firms
