"""Run every benchmark in this folder and collect their JSON into one summary.

Usage::

    python benchmarks/run_all.py [--only extract count ...] [--out benchmarks/results/summary.json]

Each ``bench_<topic>.py`` prints its own table and writes ``results/<topic>.json``;
this script runs them one after another (so they do not compete for the cores),
prints the wall time of each, and writes a summary JSON with every result.
Speed targets are stated as ratios against a baseline measured in the same run
(see each script's docstring), never as timed unit tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPICS = ("extract", "count", "w2v", "patents", "tfp", "did_placebo", "did_staggered", "io", "green_index", "peers",
          "scaling")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=TOPICS, default=list(TOPICS), help="benchmarks to run")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "summary.json", help="summary JSON path")
    args = ap.parse_args(argv)
    summary = {}
    for topic in args.only:
        out = HERE / "results" / f"{topic}.json"
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / f"bench_{topic}.py"), "--out", str(out)], check=False)
        seconds = time.perf_counter() - start
        result = json.loads(out.read_text(encoding="utf-8")) if out.exists() and proc.returncode == 0 else None
        summary[topic] = {"returncode": proc.returncode, "seconds": round(seconds, 1), "result": result}
        print(f"== {topic}: exit {proc.returncode}, {seconds:.1f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
