"""Benchmark: keyword counting speed (Aho-Corasick + negation filter) vs jieba tokenize-then-count.

Text: the real 2019 annual report of 300617 (../shared/reference/04_annual_report_300617,
normalised) repeated to ``--mb`` megabytes; synthetic demo-style text when the
reference folder is absent. Lexicon: smart_manufacturing + wufei2021_digital + ai
combined (200+ terms). Filters: negation on in every method, so the counts must be
equal; the script stops with an error if they are not.

Usage::

    python benchmarks/bench_count.py [--mb 2] [--repeat 5] [--out benchmarks/results/count.json]

The default row uses the ahocorasick-rs automaton when it is installed (else
pyahocorasick); the pyahocorasick row shows the fallback on the same text.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_text(mb: float) -> tuple[str, str]:
    from smtext.text.normalize import normalize_text

    ref = ROOT.parent / "shared" / "reference" / "04_annual_report_300617" / "300617_安靠智电_2019_年度报告_fulltext.txt"
    if ref.is_file():
        base, source = normalize_text(ref.read_text(encoding="utf-8")), str(ref.name)
    else:
        import numpy as np

        from smtext.demo import text as demo_text

        rng = np.random.default_rng(0)
        mentions = demo_text.draw_mentions(rng, demo_text.SMART_TERMS + demo_text.DIGITAL_TERMS, 400)
        base, source = "\n".join(p.text for p in demo_text.plant(rng, mentions, "mda")), "synthetic demo text"
    # add some planted mentions so that the filters have work to do
    base += "\n公司持续推进智能制造与工业互联网建设。公司尚未实施数字孪生。公司主要客户正在推进大数据平台。\n"
    reps = max(1, int(mb * 1e6 / len(base.encode("utf-8"))))
    return base * reps, source


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.0, help="text size in MB (UTF-8)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "count.json")
    args = parser.parse_args(argv)

    from smtext.text.count import compile_lexicon, count_text
    from smtext.text.lexicon import combine

    text, source = load_text(args.mb)
    mbytes = len(text.encode("utf-8")) / 1e6
    lex = combine(["smart_manufacturing", "wufei2021_digital", "ai"], name="bench")
    matcher = compile_lexicon(lex)
    filters = ("negation",)
    rows = []

    t, res = best_time(lambda: count_text(text, matcher, filters=filters), args.repeat)
    rows.append({"method": "aho-corasick leftmost-longest + negation (smtext default)", "seconds": t,
                 "mb_per_s": mbytes / t, "hits": res.total, "removed_negation": res.removed["negation"]})
    base_hits = res.hits
    # the same count on the pyahocorasick automaton (the fallback when ahocorasick-rs is absent)
    py_matcher = compile_lexicon(lex, backend="pyahocorasick")
    t, res = best_time(lambda: count_text(text, py_matcher, filters=filters), args.repeat)
    if res.hits != base_hits:
        raise SystemExit("pyahocorasick backend counts differ from the default backend: benchmark invalid")
    rows.append({"method": "same, pyahocorasick backend (fallback)", "seconds": t,
                 "mb_per_s": mbytes / t, "hits": res.total, "removed_negation": res.removed["negation"]})
    t, res = best_time(lambda: count_text(text, matcher, filters=(), sentences=False), args.repeat)
    rows.append({"method": "aho-corasick leftmost-longest, no filters, no sentence stats", "seconds": t,
                 "mb_per_s": mbytes / t, "hits": res.total, "removed_negation": 0})

    count_text("预热", matcher, mode="token", tokenizer="jieba")   # build the dictionary outside the timing
    t, res = best_time(lambda: count_text(text, matcher, filters=filters, mode="token", tokenizer="jieba"), 1)
    if [h[:3] + h[5:6] for h in res.hits] != [h[:3] + h[5:6] for h in base_hits]:
        raise SystemExit("jieba token counts differ from the default mode: benchmark invalid")
    rows.append({"method": "baseline: jieba tokenize then count + negation", "seconds": t, "mb_per_s": mbytes / t,
                 "hits": res.total, "removed_negation": res.removed["negation"]})
    try:
        count_text("预热", matcher, mode="token", tokenizer="rjieba")
        t, res = best_time(lambda: count_text(text, matcher, filters=filters, mode="token", tokenizer="rjieba"), 1)
        same = [h[:3] + h[5:6] for h in res.hits] == [h[:3] + h[5:6] for h in base_hits]
        rows.append({"method": "rjieba tokenize then count + negation" + ("" if same else " (COUNTS DIFFER)"),
                     "seconds": t, "mb_per_s": mbytes / t, "hits": res.total,
                     "removed_negation": res.removed["negation"]})
    except Exception as err:  # rjieba is optional
        rows.append({"method": f"rjieba unavailable: {err}", "seconds": None, "mb_per_s": None, "hits": None,
                     "removed_negation": None})

    baseline = next(r["seconds"] for r in rows if r["method"].startswith("baseline"))
    for r in rows:
        r["speedup_vs_jieba"] = baseline / r["seconds"] if r["seconds"] else None
    result = {"topic": "count", "text_source": source, "text_mb": round(mbytes, 3), "n_terms": len(lex),
              "filters": list(filters), "repeat": args.repeat, "python": platform.python_version(),
              "machine": platform.machine(), "rows": rows,
              "targets": {"speedup_vs_jieba": 50, "mb_per_s": 100}}
    print(f"text: {source}, {mbytes:.2f} MB; lexicon: {len(lex)} terms; filters: {filters}")
    print(f"{'method':<62} {'seconds':>8} {'MB/s':>8} {'x jieba':>8} {'hits':>7}")
    for r in rows:
        if r["seconds"] is None:
            print(r["method"])
            continue
        print(f"{r['method']:<62} {r['seconds']:8.3f} {r['mb_per_s']:8.1f} {r['speedup_vs_jieba']:8.1f} {r['hits']:7d}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return result


if __name__ == "__main__":
    main()
