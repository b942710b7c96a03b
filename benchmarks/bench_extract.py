"""Benchmark: PDF extraction backends and the end-to-end document pipeline.

Measures, in one run on the same files:
- pages per second of raw text extraction with pypdfium2 and pdfplumber;
- character agreement between the two backends (whitespace ignored);
- documents per second of extract + normalise + MD&A detection at 1 and 2 workers;
- peak resident memory of the parent and of the worker processes.

Usage::

    python benchmarks/bench_extract.py [--firms 120] [--sample 60] [--out benchmarks/results/extract.json]

A demo world of ``--firms`` firms (2011-2023) is generated into a temporary
folder (or pass ``--world DIR``); ``--sample`` documents are used for the
pdfplumber comparison, which is slow.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path

from smtext.corpus import scan, select
from smtext.demo import WorldConfig, generate_world
from smtext.engine import parallel_map
from smtext.extract import _pdfium_pages, _pdfplumber_pages, extract_pdf, extract_record
from smtext.sections import find_mda_in_pages


def _pipeline(path: str) -> int:
    """Extract, normalise and find the MD&A of one document; returns 1 on success."""
    try:
        doc = extract_pdf(path)
        find_mda_in_pages(doc.pages)
        return 1
    except Exception:
        return 0


def _raw_pages(reader, paths):
    """Raw page texts per document (only this is timed)."""
    return [reader(Path(p), None)[0] for p in paths]


def _comparable(docs):
    """Per document, the normalised text without whitespace (what users get)."""
    from smtext.normalize import normalize_pages

    return ["".join("".join(pg.split()) for pg in normalize_pages(pages)) for pages in docs]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=120)
    ap.add_argument("--sample", type=int, default=60)
    ap.add_argument("--world", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/extract.json"))
    args = ap.parse_args(argv)

    tmp = None
    world = args.world
    if world is None:
        tmp = tempfile.TemporaryDirectory()
        world = Path(tmp.name)
        generate_world(world, WorldConfig(n_firms=args.firms, seed=1), jobs=2)
    kept, _ = select(scan(world / "reports" / "annual"))
    paths = [str(world / "reports" / "annual" / p) for p in kept["path"]]
    good = [p for p in paths if extract_record(p)["status"] == "ok"]
    sample = good[: args.sample]

    t = time.perf_counter()
    raw_pdfium = _raw_pages(_pdfium_pages, sample)
    t_pdfium = time.perf_counter() - t
    t = time.perf_counter()
    raw_plumber = _raw_pages(_pdfplumber_pages, sample)
    t_plumber = time.perf_counter() - t
    n_pdfium, n_plumber = sum(map(len, raw_pdfium)), sum(map(len, raw_plumber))
    text_pdfium, text_plumber = _comparable(raw_pdfium), _comparable(raw_plumber)
    same = total = 0
    for a, b in zip(text_pdfium, text_plumber):
        sm = SequenceMatcher(None, a, b, autojunk=False)
        same += sum(blk.size for blk in sm.get_matching_blocks())
        total += max(len(a), len(b))

    timings = {}
    for jobs in (1, 2):
        t = time.perf_counter()
        ok = sum(parallel_map(_pipeline, paths, jobs=jobs, chunksize=16))
        timings[jobs] = (time.perf_counter() - t, ok)
    n_pages_all = sum(len(_pdfium_pages(Path(p), None)[0]) for p in good)

    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "documents": len(paths), "pages": n_pages_all, "sample_documents": len(sample),
        "pdfium_pages_per_s": n_pdfium / t_pdfium, "pdfplumber_pages_per_s": n_plumber / t_plumber,
        "pdfium_vs_pdfplumber_speed_ratio": (n_pdfium / t_pdfium) / (n_plumber / t_plumber),
        "char_agreement": same / total if total else 1.0,
        "pipeline_docs_per_s_1_worker": len(paths) / timings[1][0],
        "pipeline_docs_per_s_2_workers": len(paths) / timings[2][0],
        "speedup_1_to_2_workers": timings[1][0] / timings[2][0],
        "extractable_documents": len(good),
        "mda_found_rate_on_extractable": timings[1][1] / len(good),
        "peak_rss_mb_parent": self_rss, "peak_rss_mb_worker": child_rss,
        "python": sys.version.split()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    width = max(map(len, result))
    for k, v in result.items():
        print(f"{k:<{width}}  {v:,.3f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    if tmp:
        tmp.cleanup()
    return result


if __name__ == "__main__":
    main()
