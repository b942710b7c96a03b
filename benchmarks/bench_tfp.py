"""Benchmark: LP and ACF with a firm-cluster bootstrap on a ~23,000 firm-year panel.

Prints a table and writes JSON (default benchmarks/results/tfp.json). Speeds are also
reported relative to a baseline measured in the same run: one pooled-OLS fit with
firm-clustered SEs on the same panel.

    python benchmarks/bench_tfp.py                 # 200 draws, 1 and 2 workers
    python benchmarks/bench_tfp.py --draws 20      # quick
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from smtext.indicators import tfp


def panel(n_firms: int = 2300, T: int = 10, seed: int = 1) -> pd.DataFrame:
    """Proxy-variable DGP (as tests/test_tfp.py): AR(1) omega, monotone materials and investment."""
    rng = np.random.default_rng(seed)
    om = rng.normal(0.67, 0.28, n_firms)
    k = rng.normal(4.5, 0.5, n_firms)
    out = []
    for t in range(T + 5):
        om = 0.2 + 0.7 * om + rng.normal(0, 0.2, n_firms)
        inv = -1 + 0.8 * k + 1.5 * om
        l = 0.5 * k + 0.8 * om + rng.normal(0, 0.3, n_firms)
        m = 1 + 0.6 * k + 1.2 * om + rng.normal(0, 0.01, n_firms)
        y = 1 + 0.6 * l + 0.3 * k + om + rng.normal(0, 0.1, n_firms)
        if t >= 5:
            out.append(pd.DataFrame({"id": np.arange(n_firms), "year": 2000 + t, "y": y, "l": l, "k": k, "m": m}))
        k = np.log((1 - rng.uniform(0.05, 0.25, n_firms)) * np.exp(k) + np.exp(inv))
    return pd.concat(out, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--firms", type=int, default=2300)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "tfp.json")
    a = ap.parse_args()
    d = panel(a.firms)
    kw = dict(y="y", free="l", state="k", proxy="m", idname="id", tname="year")
    ols_kw = dict(y="y", free="l", state="k", idname="id", tname="year")
    tfp.estimate(d, "ols", **ols_kw)   # warm-up: imports and caches are not the baseline
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        tfp.estimate(d, "ols", **ols_kw)
        times.append(time.perf_counter() - t0)
    base = float(np.median(times))
    rows = []
    for method in ("lp", "acf"):
        for w in a.workers:
            t0 = time.perf_counter()
            r = tfp.estimate(d, method, bootstrap=a.draws, n_jobs=w, seed=1, **kw)
            sec = time.perf_counter() - t0
            rows.append({"method": method, "workers": w, "rows": len(d), "draws": a.draws, "seconds": round(sec, 2),
                         "x_ols_fit": round(sec / base, 1), "coef_l": round(float(r.coef["l"]), 4),
                         "coef_k": round(float(r.coef["k"]), 4), "se_k": round(float(r.se["k"]), 4)})
    table = pd.DataFrame(rows)
    print(f"baseline: one OLS fit on {len(d):,} rows = {base:.3f} s")
    print(table.to_string(index=False))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"baseline_ols_seconds": base, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
