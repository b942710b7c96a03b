"""Benchmark: batch placebo vs a naive refit loop (smtext.did.placebo).

Target: 1,000 placebo draws on ~39,000 firm-years in <= 5 s on one core.
The baseline is the naive approach (refit the full TWFE with pyfixest for every
draw), timed on a few draws in the same run and reported per draw, so the
speed-up is a ratio measured on the same machine.

Usage::

    python benchmarks/bench_did_placebo.py [--draws 1000] [--naive 20] [--out PATH]
"""

from __future__ import annotations

import os

# one core, as the target says; must be set before numpy / pyfixest load
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
           "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import smtext.did as did  # noqa: E402
from smtext.did.placebo import draw_cohorts  # noqa: E402
from smtext.did.simulate import simulate_panel  # noqa: E402


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=3000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--naive", type=int, default=20, help="draws timed for the naive refit baseline")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "did_placebo.json"))
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    d = simulate_panel(n_units=args.firms, years=(2011, 2023), unbalanced=0.0, seed=0)
    controls = ("x1", "x2")
    did.placebo_test(d.head(2000), "y", "year", "stkcd", "gname", dname="did", controls=controls,
                     draws=5, seed=0)  # warm-up: numba/rust compilation, imports

    t0, c0 = time.perf_counter(), time.process_time()
    res = did.placebo_test(d, "y", "year", "stkcd", "gname", dname="did", controls=controls,
                           draws=args.draws, seed=0)
    t_batch = time.perf_counter() - t0
    # CPU time as well: on a shared machine wall time includes waiting for a core
    cpu_batch = time.process_time() - c0

    codes, _ = pd.factorize(d["stkcd"], sort=True)  # units in sorted-id order, as placebo_test
    unit_cohort = d.groupby(codes)["gname"].first().to_numpy()
    rng = np.random.default_rng(0)
    years = np.unique(d["year"])
    t0 = time.perf_counter()
    naive = []
    for _ in range(args.naive):
        g = draw_cohorts(unit_cohort, years, "random", rng)[codes]
        e = d.assign(pseudo=((g > 0) & (d["year"].to_numpy() >= g)).astype(int))
        naive.append(did.twfe(e, "y", "year", "stkcd", "pseudo", controls=controls).coef()["pseudo"])
    t_naive_per = (time.perf_counter() - t0) / args.naive
    max_diff = float(np.max(np.abs(np.asarray(naive) - res.draws[: args.naive])))

    naive_total = t_naive_per * args.draws
    out = {
        "rows": len(d),
        "draws": args.draws,
        "batch_seconds": round(t_batch, 3),
        "batch_cpu_seconds": round(cpu_batch, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "naive_seconds_per_draw": round(t_naive_per, 4),
        "naive_seconds_extrapolated": round(naive_total, 2),
        "speedup_vs_naive": round(naive_total / t_batch, 1),
        "max_abs_diff_first_draws": max_diff,
        "target_seconds": 5.0,
        "meets_target": t_batch <= 5.0,
        "threads": os.environ.get("RAYON_NUM_THREADS"),
        "python": platform.python_version(),
    }
    print(f"{'method':<28}{'seconds':>12}{'ratio':>10}")
    print(f"{'naive refit (extrapolated)':<28}{naive_total:>12.2f}{1.0:>10.1f}")
    print(f"{'batch placebo':<28}{t_batch:>12.2f}{naive_total / t_batch:>10.1f}")
    print(f"batch CPU time {cpu_batch:.2f} s; 1-min load average {os.getloadavg()[0]:.1f}")
    print(f"rows={len(d)} draws={args.draws} max |batch - naive| over {args.naive} draws = {max_diff:.2e}; "
          f"target <= 5 s: {'met' if t_batch <= 5 else 'NOT met'}")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
