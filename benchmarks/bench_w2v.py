"""Benchmark the Word2Vec pipeline: tokenization, training, expansion.

Prints a table and writes JSON (default ``benchmarks/results/w2v.json``). Speeds
are reported with ratios against a baseline measured in the same run:

* tokenization tokens/s for jieba and rjieba (if installed) at 1 and 2 workers,
  relative to jieba with 1 worker (the cache is bypassed: a fresh cache folder each run);
* training words/s (CBOW and skip-gram, deterministic, 1 thread), relative to CBOW;
* expansion latency for 10 seeds on a 200k-word random vocabulary, relative to
  gensim ``most_similar`` (mean of seeds, topn=200) on the same vectors.

Usage::

    python benchmarks/bench_w2v.py [--docs 600] [--vocab 200000] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_docs(n: int, seed: int = 0) -> pd.DataFrame:
    """Analyst-report bodies written by the demo generator's templates (no PDFs needed)."""
    from smtext.demo import text

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        spec, _ = text.analyst_report(rng, {"stkcd": f"{i:06d}", "short_name": "示例"}, 2023, "中信证券",
                                      int(rng.poisson(6)), 0.4)
        body = "\n\n".join(b.text for s in spec.sections for b in s.blocks)
        rows.append({"path": f"doc{i}", "text": body + text._filler(rng, 20)})
    return pd.DataFrame(rows)


def bench_tokenize(docs: pd.DataFrame) -> list[dict]:
    from smtext.text.tokenize import TokenizerConfig
    from smtext.text.w2v import tokenize_corpus

    out = []
    backends = ["jieba"]
    try:
        import rjieba  # noqa: F401
        backends.append("rjieba")
    except ImportError:
        pass
    for backend in backends:
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                corpus = tokenize_corpus(docs, tmp, TokenizerConfig(backend=backend), jobs=jobs)
                seconds = time.perf_counter() - started
                n = corpus.n_tokens()
            out.append({"step": "tokenize", "variant": f"{backend} jobs={jobs}", "tokens": n,
                        "seconds": round(seconds, 3), "per_second": round(n / seconds, 1)})
    base = out[0]["per_second"]
    for r in out:
        r["ratio_vs_baseline"] = round(r["per_second"] / base, 3)
    return out


def bench_train(docs: pd.DataFrame) -> list[dict]:
    from smtext.text.tokenize import TokenizerConfig
    from smtext.text.w2v import tokenize_corpus, train_word2vec

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = tokenize_corpus(docs, tmp, TokenizerConfig(), jobs=1)
        for arch in ("cbow", "skipgram"):
            m = train_word2vec(corpus, architecture=arch, epochs=5)
            out.append({"step": "train", "variant": f"{arch} workers=1 deterministic",
                        "tokens": m.manifest["raw_words"], "seconds": m.manifest["seconds_train"],
                        "per_second": m.manifest["words_per_second"]})
    for r in out:
        r["ratio_vs_baseline"] = round(r["per_second"] / out[0]["per_second"], 3)
    return out


def bench_expand(vocab: int, repeats: int = 3) -> list[dict]:
    from gensim.models import KeyedVectors

    from smtext.text.w2v import expand_seeds

    rng = np.random.default_rng(1)
    kv = KeyedVectors(vector_size=100)
    words = [f"w{i}" for i in range(vocab)]
    kv.add_vectors(words, rng.standard_normal((vocab, 100)).astype(np.float32))
    freq = dict.fromkeys(words, 10)
    seeds = words[:10]
    kv.fill_norms()

    def timed(fn):
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - started)
        return best

    base = timed(lambda: kv.most_similar(positive=seeds, topn=200))
    ours = timed(lambda: expand_seeds(kv, seeds, threshold=0.3, topn=200, frequencies=freq, min_freq=0,
                                      review_extra=0))
    return [{"step": "expand", "variant": "gensim most_similar (baseline)", "vocab": vocab, "seconds": round(base, 4),
             "ratio_vs_baseline": 1.0},
            {"step": "expand", "variant": "smtext expand_seeds (10 seeds, all filters)", "vocab": vocab,
             "seconds": round(ours, 4), "ratio_vs_baseline": round(ours / base, 3)}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=600, help="synthetic analyst reports to tokenize/train on")
    parser.add_argument("--vocab", type=int, default=200_000, help="vocabulary size for the expansion benchmark")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "w2v.json")
    args = parser.parse_args()
    docs = synthetic_docs(args.docs)
    rows = bench_tokenize(docs) + bench_train(docs) + bench_expand(args.vocab)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from smtext.manifest import package_versions

    args.out.write_text(json.dumps({"args": {"docs": args.docs, "vocab": args.vocab}, "packages": package_versions(),
                                    "results": rows}, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
