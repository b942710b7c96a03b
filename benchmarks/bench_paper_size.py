"""Benchmark: a paper-size study with documents, generated and run end to end.

Generates a demo world with PDF reports (``python -m smtext demo generate``), then runs
a bundled study on it (``python -m smtext run paper002``), each under ``/usr/bin/time -v``
(wall time, CPU time and peak memory of the process tree's largest process), reads the
stage timings from the run's ``manifest.json`` and projects both steps to a target
number of firms (default 4,000, the papers' size).

Projection assumption: generation and every document stage scale linearly in the number
of documents (each report is rendered, extracted and counted on its own); the panel
stages are small next to them. Wall time is projected as measured (it includes the
machine's load) and from CPU time spread over ``--jobs`` idle cores (the work is parallel
over documents). Peak memory is projected linearly too, which overstates
it for the streaming stages and is the right order for the in-memory panel stages.

    python benchmarks/bench_paper_size.py                       # 60 firms, 2010-2023 (about 5 minutes)
    python benchmarks/bench_paper_size.py --firms 4000 --keep   # the full paper size (hours on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_TIME = "/usr/bin/time"


def timed_run(cmd: list[str], nice: int) -> dict:
    """Run ``cmd`` niced under ``/usr/bin/time -v`` when it exists; wall and CPU seconds, peak RSS in MB."""
    full = (["nice", "-n", str(nice)] if nice else []) + ([_TIME, "-v"] if os.path.exists(_TIME) else []) + cmd
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")

    def field(label: str) -> float | None:
        m = re.search(rf"{re.escape(label)}: ([\d.:]+)", proc.stderr)
        return float(m.group(1)) if m else None

    user, system, rss = field("User time (seconds)"), field("System time (seconds)"), field("Maximum resident set size (kbytes)")
    return {"wall_s": round(wall, 1), "cpu_s": round((user or 0) + (system or 0), 1) if user is not None else None,
            "peak_rss_mb": round(rss / 1024, 1) if rss else None, "load_avg_1min_before": round(load, 2)}


def count_documents(world: Path) -> tuple[int, int]:
    """Number of PDF reports in the world and their pages (the world's planted unreadable files count 0 pages)."""
    import pypdfium2 as pdfium

    pdfs = sorted((world / "reports").rglob("*.pdf"))
    pages = 0
    for p in pdfs:
        try:
            doc = pdfium.PdfDocument(str(p))
        except pdfium.PdfiumError:
            continue
        pages += len(doc)
        doc.close()
    return len(pdfs), pages


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=60,
                    help="listed firms of the generated world (paper002 stops with SM535 on 20: too few for entropy balancing)")
    ap.add_argument("--years", default="2010-2023")
    ap.add_argument("--spec", default="paper002")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for generation and the run")
    ap.add_argument("--target-firms", type=int, default=4000, help="size to project to")
    ap.add_argument("--nice", type=int, default=15)
    ap.add_argument("--workdir", type=Path, default=None, help="where to put the world and the run (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the world and the run folder")
    ap.add_argument("--world", type=Path, default=None,
                    help="an existing world with reports/ of --firms firms: skip generation (its time is not measured)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "paper_size.json")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="smtext_paper_size_"))
    work.mkdir(parents=True, exist_ok=True)
    world, run_out = args.world or work / f"world_{args.firms}", work / f"run_{args.spec}_{args.firms}"
    py = [sys.executable, "-m", "smtext"]
    try:
        gen = None if args.world else timed_run(
            py + ["demo", "generate", "--out", str(world), "--firms", str(args.firms), "--years", args.years,
                  "--jobs", str(args.jobs)], args.nice)
        n_docs, n_pages = count_documents(world)
        run = timed_run(py + ["run", args.spec, "--world", str(world), "--out", str(run_out), "--jobs", str(args.jobs),
                              "--force"], args.nice)
        manifest = json.loads((run_out / "manifest.json").read_text(encoding="utf-8"))
        stages = [{"stage": s["stage"], "seconds": s["seconds"]} for s in manifest.get("stages", [])]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    scale = args.target_firms / args.firms
    out = {
        "firms": args.firms, "years": args.years, "spec": args.spec, "jobs": args.jobs, "cores": os.cpu_count(),
        "python": platform.python_version(), "documents": n_docs, "pages": n_pages,
        "generate": {**gen, "docs_per_s": round(n_docs / gen["wall_s"], 2)} if gen else None,
        "run": {**run, "docs_per_s": round(n_docs / run["wall_s"], 2)},
        "stages": stages,
        "projection": {
            "target_firms": args.target_firms, "scale": round(scale, 2),
            "documents": round(n_docs * scale),
            "generate_hours": round(gen["wall_s"] * scale / 3600, 2) if gen else None,
            "run_hours": round(run["wall_s"] * scale / 3600, 2),
            "generate_peak_rss_mb": round((gen["peak_rss_mb"] or 0) * scale) if gen else None,
            "run_peak_rss_mb": round((run["peak_rss_mb"] or 0) * scale),
            # CPU time does not depend on how busy a shared machine is: hours on `jobs` idle cores
            "generate_hours_on_idle_cores": round(gen["cpu_s"] * scale / args.jobs / 3600, 2) if gen and gen["cpu_s"] else None,
            "run_hours_on_idle_cores": round(run["cpu_s"] * scale / args.jobs / 3600, 2) if run["cpu_s"] else None,
            "assumption": "linear in the number of documents (firms x years); peak memory linear is an upper bound",
        },
    }
    print(f"{args.firms} firms, {args.years}: {n_docs:,} reports, {n_pages:,} pages, {args.jobs} jobs on {os.cpu_count()} cores")
    print(f"{'step':10s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} {'docs/s':>7s} {'load':>5s}")
    for name in ("generate", "run"):
        r = out[name]
        if r is None:
            continue
        print(f"{name:10s} {r['wall_s']:8.1f} {r['cpu_s'] or 0:8.1f} {r['peak_rss_mb'] or 0:8.1f} {r['docs_per_s']:7.2f} "
              f"{r['load_avg_1min_before']:5.2f}")
    print("stages of the run:")
    for s in stages:
        print(f"  {s['stage']:28s} {s['seconds']:8.2f} s")
    p = out["projection"]
    print(f"projected to {args.target_firms:,} firms (x{p['scale']}): {p['documents']:,} reports, generate "
          f"{p['generate_hours']} h, run {p['run_hours']} h at this load; from CPU time on {args.jobs} idle cores: "
          f"generate {p['generate_hours_on_idle_cores']} h, run {p['run_hours_on_idle_cores']} h ({p['assumption']})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return out


if __name__ == "__main__":
    main()
