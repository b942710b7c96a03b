"""Benchmark: seconds per robust staggered-DID estimator on a 39,000-row panel.

Simulates 3,000 firms x 13 years (seeded), times each estimator once after a
small warm-up (numba compilation in pyfixest), and reports seconds and the
ratio to a pyfixest TWFE fit measured in the same run.

    python benchmarks/bench_did_staggered.py [--units 3000] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pyfixest as pf

from smtext.did.cs import callaway_santanna
from smtext.did.decompose import bacon, twfe_weights
from smtext.did.dml import dml_plr
from smtext.did.imputation import did_imputation
from smtext.did.interactive_fe import ife
from smtext.did.selection import heckman
from smtext.did.sensitivity import event_inputs, honest, honest_from_estimates
from smtext.did.simulate import simulate_staggered
from smtext.did.sun_abraham import sunab
from smtext.did.two_stage import did2s


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "did_staggered.json"))
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    df = simulate_staggered(n_units=args.units, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    df["z"] = rng.normal(size=len(df))  # exclusion variable for the Heckman probit
    df["w"] = rng.normal(size=len(df))  # a time-varying control
    df["ever"] = (df["g"] > 0).astype(int)
    truth = float(df.loc[df["d"] == 1, "tau"].mean())
    # warm-up on a small panel so JIT compilation is not charged to one estimator
    small = simulate_staggered(n_units=60, seed=1)
    pf.feols("y ~ d | stkcd + year", data=small, vcov={"CRV1": "stkcd"})
    did_imputation(small, "y", "year", "stkcd", "g")
    sunab(small, "y", "year", "stkcd", "g")

    runs = {
        "twfe (pyfixest, baseline)": lambda: pf.feols("y ~ d | stkcd + year", data=df, vcov={"CRV1": "stkcd"}),
        "bacon": lambda: bacon(df, "y", "year", "stkcd", "d"),
        "twfe_weights (dCDH)": lambda: twfe_weights(df, "y", "year", "stkcd", "d"),
        "callaway_santanna dr": lambda: callaway_santanna(df, "y", "year", "stkcd", "g"),
        "callaway_santanna dr + x": lambda: callaway_santanna(df, "y", "year", "stkcd", "g", covariates=["x"]),
        "callaway_santanna notyet": lambda: callaway_santanna(
            df, "y", "year", "stkcd", "g", control_group="notyettreated"
        ),
        "did2s": lambda: did2s(df, "y", "year", "stkcd", "g"),
        "did_imputation (BJS)": lambda: did_imputation(df, "y", "year", "stkcd", "g"),
        "sunab": lambda: sunab(df, "y", "year", "stkcd", "g"),
        "heckman (probit + FE)": lambda: heckman(
            df, "y", "year", "stkcd", "d", selection="ever", exclusion="z", controls=["w"]
        ),
        "dml_plr lasso": lambda: dml_plr(df, "y", "year", "stkcd", "d", controls=["w", "x"], learner="lasso"),
        "dml_plr ridge": lambda: dml_plr(df, "y", "year", "stkcd", "d", controls=["w", "x"], learner="ridge"),
        "dml_plr rf": lambda: dml_plr(df, "y", "year", "stkcd", "d", controls=["w", "x"], learner="rf"),
        "ife (r auto 0..5)": lambda: ife(df, "y", "year", "stkcd", "d", controls=["w"]),
    }
    rows, results = [], {}
    for name, fn in runs.items():
        sec, res = _timed(fn)
        results[name] = res
        rows.append({"estimator": name, "seconds": sec})
    ev = results["did2s"].event
    b, S, npre, npost = event_inputs(ev)
    sec, _ = _timed(lambda: honest(ev, method="SD"))
    rows.append({"estimator": f"honest SD (10 M, {npre} pre, {npost} post)", "seconds": sec})
    keep = slice(npre - 3, None)  # RM with the last 3 pre periods keeps the union small
    sec, _ = _timed(lambda: honest_from_estimates(b[keep], S[keep, keep], 3, npost, method="RM"))
    rows.append({"estimator": f"honest RM (9 Mbar, 3 pre, {npost} post)", "seconds": sec})

    base = rows[0]["seconds"]
    for r in rows:
        r["ratio_to_twfe"] = r["seconds"] / base
    est = {
        "truth (mean effect on treated)": truth,
        "twfe": float(results["twfe (pyfixest, baseline)"].coef()["d"]),
        "bacon weighted sum": results["bacon"].estimate,
        "cs simple": float(results["callaway_santanna dr"].aggregate("simple").coef()["ATT"]),
        "did2s": float(results["did2s"].coef()["ATT"]),
        "bjs": float(results["did_imputation (BJS)"].coef()["ATT"]),
        "sunab": float(results["sunab"].coef()["ATT"]),
    }
    print(f"{len(df):,} rows ({args.units} firms x {df['year'].nunique()} years), seed {args.seed}")
    print(f"{'estimator':45s} {'seconds':>9s} {'x TWFE':>8s}")
    for r in rows:
        print(f"{r['estimator']:45s} {r['seconds']:9.3f} {r['ratio_to_twfe']:8.1f}")
    print("\nestimates of the average effect on treated firm-years:")
    for k, v in est.items():
        print(f"  {k:32s} {v:8.4f}")
    out = {
        "rows": len(df),
        "units": args.units,
        "seed": args.seed,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyfixest": pf.__version__,
        "timings": rows,
        "estimates": est,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"\nwrote {path}")
    return out


if __name__ == "__main__":
    main()
