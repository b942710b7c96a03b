"""Benchmark: reading a CSMAR-style export into the canonical panel with smtext.io.read_panel.

Builds a 5,000-firm x 14-year FS_Combas-style export (three header rows: codes, Chinese
names, units; consolidated rows plus parent-company and half-year rows to drop; 8 mapped
and 17 unmapped fields) as CSV and XLSX, then measures wall time and peak memory of

- ``read_panel(file, "csmar_fs_combas")`` (read, codes, periods, statement type, units,
  duplicate check, canonical columns), against
- plain ``pandas.read_csv(file)`` / ``pandas.read_excel(file)`` of the same file (what a
  user types first; it leaves the names and units rows in the data), and a tuned
  ``read_csv`` that skips those rows and keeps the code as text,

each in a fresh process (peak RSS of that process above its RSS before the read), in the
same run, reported as ratios. Usage::

    python benchmarks/bench_io.py [--firms 5000] [--years 14] [--repeat 3] [--out benchmarks/results/io.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

UNMAPPED = [f"A0011{i:02d}000" for i in range(20, 37)]   # 17 fields the map does not use


def build_export(n_firms: int, n_years: int, seed: int = 0) -> tuple[list, list, list, pd.DataFrame]:
    """Header rows and data of a FS_Combas-style export (values in 元)."""
    from smtext.io import load_colmap

    rng = np.random.default_rng(seed)
    cm = load_colmap("csmar_fs_combas")
    codes = [f"{c:06d}" for c in rng.choice(np.arange(1, 700_000), n_firms, replace=False)]
    years = np.arange(2010, 2010 + n_years)
    stk = np.repeat(codes, n_years)
    yr = np.tile(years, n_firms)
    base = pd.DataFrame({"Stkcd": stk, "Accper": [f"{y}-12-31" for y in yr], "Typrep": "A"})
    n = len(base)
    extra = [base.sample(frac=0.1, random_state=1).assign(Typrep="B"),                  # parent statements
             base.sample(frac=0.05, random_state=2).assign(Accper=lambda d: d["Accper"].str[:4] + "-06-30")]
    rows = pd.concat([base, *extra], ignore_index=True)
    m = len(rows)
    fields = [c.field for c in cm.columns] + UNMAPPED
    for f in fields:
        rows[f] = np.round(np.exp(rng.normal(20, 1.5, m)), 2)
    labels = ["证券代码", "会计期间", "报表类型"] + [c.label for c in cm.columns] + [f"项目{i}" for i in range(len(UNMAPPED))]
    units = ["没有单位"] * 3 + ["元"] * (len(fields))
    print(f"export: {n:,} firm-years, {m:,} rows x {rows.shape[1]} columns")
    return list(rows.columns), labels, units, rows


def write_files(folder: Path, header, labels, units, rows) -> dict:
    csv_path = folder / "FS_Combas.csv"
    head = pd.DataFrame([labels, units], columns=header)
    pd.concat([head, rows.astype(object)], ignore_index=True).to_csv(csv_path, index=False, encoding="utf-8-sig")
    from openpyxl import Workbook

    xlsx_path = folder / "FS_Combas.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("FS_Combas")
    for r in (header, labels, units):
        ws.append(r)
    for r in rows.itertuples(index=False):
        ws.append(list(r))
    wb.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) so that it covers the read only (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _job(kind: str, path: str, q) -> None:
    warnings.simplefilter("ignore")
    import gc

    from smtext.io import read_panel  # noqa: F401  (imports before the baseline RSS)

    gc.collect()
    before = _status_kb("VmRSS")
    if not _reset_peak():
        raise RuntimeError("cannot reset the peak RSS on this system (/proc/self/clear_refs)")
    t = time.perf_counter()
    if kind == "read_panel":
        r = read_panel(path, "csmar_fs_combas")
        rows = len(r.data)
    elif kind == "read_csv":
        rows = len(pd.read_csv(path))
    elif kind == "read_csv_tuned":
        rows = len(pd.read_csv(path, skiprows=[1, 2], dtype={"Stkcd": str, "Accper": str, "Typrep": str}))
    elif kind == "read_excel":
        rows = len(pd.read_excel(path))
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - t
    peak = _status_kb("VmHWM")                # peak RSS since the reset, kB
    q.put({"seconds": seconds, "peak_mb": max(peak - before, 0) / 1024, "rows": rows})


def measure(kind: str, path: Path, repeat: int) -> dict:
    """Best wall time over ``repeat`` fresh processes, and the peak memory of that run."""
    ctx = mp.get_context("spawn")
    best = None
    for _ in range(repeat):
        q = ctx.Queue()
        p = ctx.Process(target=_job, args=(kind, str(path), q))
        p.start()
        res = q.get()
        p.join()
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=5000)
    ap.add_argument("--years", type=int, default=14)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each CSV reader (XLSX readers run once)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "io.json")
    args = ap.parse_args()
    header, labels, units, rows = build_export(args.firms, args.years)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), header, labels, units, rows)
        sizes = {k: v.stat().st_size / 2**20 for k, v in files.items()}
        res = {
            ("csv", "read_panel"): measure("read_panel", files["csv"], args.repeat),
            ("csv", "read_csv"): measure("read_csv", files["csv"], args.repeat),
            ("csv", "read_csv_tuned"): measure("read_csv_tuned", files["csv"], args.repeat),
            ("xlsx", "read_panel"): measure("read_panel", files["xlsx"], 1),
            ("xlsx", "read_excel"): measure("read_excel", files["xlsx"], 1),
        }
    table = pd.DataFrame([{"file": f, "reader": k, **v} for (f, k), v in res.items()])
    base = {"csv": res[("csv", "read_csv")], "xlsx": res[("xlsx", "read_excel")]}
    table["time_ratio_vs_plain_pandas"] = [r["seconds"] / base[f]["seconds"] for (f, _), r in res.items()]
    table["memory_ratio_vs_plain_pandas"] = [r["peak_mb"] / max(base[f]["peak_mb"], 1e-9) for (f, _), r in res.items()]
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    print(f"file sizes: csv {sizes['csv']:.1f} MB, xlsx {sizes['xlsx']:.1f} MB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "machine": platform.platform(), "python": platform.python_version(), "pandas": pd.__version__,
        "load_average_1min": os.getloadavg()[0], "cpu_count": os.cpu_count(),
        "firms": args.firms, "years": args.years, "rows_in_file": len(rows), "file_mb": sizes,
        "rows": table.to_dict(orient="records"),
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
