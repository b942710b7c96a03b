"""Benchmark: extraction and counting on 1 and 2 local workers and on a Dask LocalCluster with 1 and 2 workers.

Runs ``extract_folder`` (PDF -> pages) and ``index_extract`` (keyword counting with the
negation filter) on the same reports with each engine (a fresh pool or cluster per step),
reports documents per wall second, documents per CPU second (this process and its worker
processes, less the CPU an idle cluster of the same size takes to start and close) and the load average at the start of each
timing (the machine may be shared: compare ratios measured in the same run), checks that
every engine writes the same firm-year counts, and projects the time for ``--target-docs``
reports on a ``--target-cores`` Dask cluster.

Projection assumption: each core of the cluster runs one single-threaded worker at the
rate per CPU second measured here on one Dask worker (CPU time, so a busy machine does
not lower it), times the CPU efficiency of 2 workers (their rate per CPU second over one
worker's); reading the PDFs from shared storage and the scheduler are not bottlenecks.

    python benchmarks/bench_scaling.py                      # generates a 40-firm world, 2019-2023
    python benchmarks/bench_scaling.py --world WORLD_FOLDER # a world with reports/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
LEXICONS = ["smart_manufacturing", "wufei2021_digital"]


def _engine(kind: str, workers: int):
    """(jobs, scheduler address, cluster) for one configuration; the cluster must be closed by the caller."""
    if kind == "local":
        return workers, None, None
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return 1, cluster.scheduler_address, cluster


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (pool and Dask worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _start_stop_cpu(kind: str, workers: int) -> float:
    """CPU seconds of starting and closing an idle engine (0 for the local pool, which starts with its work)."""
    if kind == "local":
        return 0.0
    cpu0 = _cpu()
    _engine(kind, workers)[2].close()
    return _cpu() - cpu0


def _step(kind: str, workers: int, fn) -> dict:
    """Run ``fn(jobs, scheduler)`` on a fresh engine; wall seconds, CPU seconds net of an idle cluster's start
    and close, and the load average before."""
    idle = _start_stop_cpu(kind, workers)
    load, cpu0 = os.getloadavg()[0], _cpu()
    jobs, scheduler, cluster = _engine(kind, workers)
    t0 = time.perf_counter()
    try:
        fn(jobs, scheduler)
        wall = time.perf_counter() - t0
    finally:
        if cluster is not None:
            cluster.close()
    return {"wall": wall, "cpu": _cpu() - cpu0 - idle, "load": load}


def measure(reports: Path, work: Path, kind: str, workers: int) -> tuple[dict, pd.DataFrame]:
    """Extract and count once with one engine; docs/s of wall time and per CPU second, and the firm-year counts."""
    from smtext.text.extract import extract_folder
    from smtext.text.index_job import index_extract

    ext, idx = work / f"extract_{kind}{workers}", work / f"index_{kind}{workers}"
    e = _step(kind, workers, lambda j, s: extract_folder(reports, ext, jobs=j, scheduler=s, force=True))
    c = _step(kind, workers, lambda j, s: index_extract(ext, LEXICONS, idx, jobs=j, scheduler=s))
    n_docs = len(pd.read_parquet(ext / "documents.parquet"))
    counts = pd.read_parquet(idx / "firm_year_index.parquet")
    row = {"engine": f"{kind} x{workers}", "kind": kind, "workers": workers, "documents": n_docs}
    for name, r in (("extract", e), ("count", c)):
        row.update({f"{name}_s": round(r["wall"], 2), f"{name}_docs_per_s": round(n_docs / r["wall"], 2),
                    f"{name}_docs_per_cpu_s": round(n_docs / r["cpu"], 2), f"{name}_load": round(r["load"], 2)})
    return row, counts


def project(rows: list[dict], target_docs: int, target_cores: int) -> dict:
    """Hours for ``target_docs`` on ``target_cores`` single-threaded Dask workers from the measured per-core rate."""
    by = {(r["kind"], r["workers"]): r for r in rows}
    one, two = by.get(("dask", 1)), by.get(("dask", 2))
    out = {"target_docs": target_docs, "target_cores": target_cores}
    for step in ("extract", "count"):
        if not one:
            break
        rate = one[f"{step}_docs_per_cpu_s"]
        eff = min(1.0, two[f"{step}_docs_per_cpu_s"] / rate) if two else 1.0
        out[step] = {"per_core_docs_per_s": rate, "cpu_efficiency_2_workers": round(eff, 2),
                     "hours": round(target_docs / (rate * target_cores * eff) / 3600, 2)}
    out["assumption"] = ("each of the cluster's cores runs one single-threaded worker at the rate per CPU second "
                         "measured on one Dask worker (CPU time, so a busy machine does not lower it), times the CPU "
                         "efficiency of 2 workers; storage and the scheduler are not bottlenecks")
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", type=Path, default=None, help="world folder with reports/ (default: generate one)")
    ap.add_argument("--firms", type=int, default=40, help="firms of the generated world")
    ap.add_argument("--years", default="2019-2023")
    ap.add_argument("--engines", nargs="+", default=["local:1", "local:2", "dask:1", "dask:2"])
    ap.add_argument("--target-docs", type=int, default=60_000)
    ap.add_argument("--target-cores", type=int, default=16)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scaling.json")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="smtext_scaling_"))
    try:
        world = args.world
        if world is None:
            from smtext.demo import WorldConfig, generate_world
            first, last = (int(y) for y in args.years.split("-"))
            world = work / "world"
            generate_world(world, WorldConfig(n_firms=args.firms, first_year=first, last_year=last), jobs=2,
                           documents=True)
        rows, counts = [], {}
        for spec in args.engines:
            kind, workers = spec.split(":")
            row, c = measure(world / "reports", work, kind, int(workers))
            rows.append(row)
            counts[row["engine"]] = c
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = next(iter(counts.values()))
    same = all(c.equals(first) for c in counts.values())
    base = rows[0]
    for r in rows:
        r["extract_x_first"] = round(r["extract_docs_per_s"] / base["extract_docs_per_s"], 2)
        r["count_x_first"] = round(r["count_docs_per_s"] / base["count_docs_per_s"], 2)
    proj = project(rows, args.target_docs, args.target_cores)
    print(f"{base['documents']} reports; {os.cpu_count()} cores; counts equal across engines: {same}")
    print(f"{'engine':10s} {'extract docs/s':>14s} {'x':>5s} {'/cpu s':>7s} {'load':>5s} "
          f"{'count docs/s':>13s} {'x':>5s} {'/cpu s':>7s} {'load':>5s}")
    for r in rows:
        print(f"{r['engine']:10s} {r['extract_docs_per_s']:14.1f} {r['extract_x_first']:5.2f} "
              f"{r['extract_docs_per_cpu_s']:7.1f} {r['extract_load']:5.1f} {r['count_docs_per_s']:13.1f} "
              f"{r['count_x_first']:5.2f} {r['count_docs_per_cpu_s']:7.1f} {r['count_load']:5.1f}")
    for step in ("extract", "count"):
        if step in proj:
            p = proj[step]
            print(f"projection, {step}: {args.target_docs:,} reports on {args.target_cores} cores = {p['hours']} h "
                  f"({p['per_core_docs_per_s']} docs per CPU second, efficiency {p['cpu_efficiency_2_workers']})")
    print(f"  assumption: {proj['assumption']}")
    out = {"results": rows, "counts_equal": same, "projection": proj, "cores": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    if not same:
        raise SystemExit("counts differ between engines")
    return out


if __name__ == "__main__":
    main()
