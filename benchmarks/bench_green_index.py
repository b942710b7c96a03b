"""A new firm indicator end to end: a green-transformation index from a 10-word seed list.

The workflow a user follows for a new text indicator, run on a demo world whose annual
reports carry a planted green vocabulary with known firm-level intensity
(``smtext demo generate --plant green.csv``), every step through the command line:

1. ``smtext extract`` the annual reports;
2. ``smtext w2v train`` on them (the seeds kept whole as jieba words);
3. ``smtext w2v expand`` from the 10 seeds, top ``--topn`` neighbours;
4. ``smtext lexicon from-review`` (seeds kept, provenance sidecar);
5. ``smtext index count`` with that lexicon;
6. ``smtext index validate`` on the index.

Scores, against the generator's own truth (``truth.json``, ``truth/planted_user_*.csv``):
precision and recall of the expanded words against the planted terms that are not seeds,
and the Pearson/Spearman correlation of the firm-year index (``green_count``) with the
planted mentions and with the planted rate (firm effect x year trend). Prints a table and
writes ``benchmarks/results/green_index.json``.

Usage::

    python benchmarks/bench_green_index.py [--firms 60] [--years 2016-2023] [--topn 20] [--work DIR] [--out JSON]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# the 12 terms planted in the reports; the first five are seeds, with five green words of the
# reports' ordinary prose (not planted): the other 7 planted terms are what expansion must find
PLANTED = ["绿色", "环保", "节能", "低碳", "减排", "清洁能源", "污染防治", "碳排放", "循环经济", "生态保护", "节能降耗",
           "环境治理"]
SEEDS = ["绿色", "环保", "节能", "低碳", "减排", "环境", "污染", "生态", "能源", "气候"]


def smtext(*args: str) -> float:
    """Run one smtext command (fails loudly); its wall time in seconds."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "smtext", "--quiet", *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"smtext {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=60)
    ap.add_argument("--years", default="2016-2023")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--topn", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "smtext_bench_green",
                    help="working folder (world, extraction, model, index, report)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "green_index.json", help="result JSON")
    args = ap.parse_args()

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    plant = work / "plant.csv"
    plant.write_text("term,weight,category\n" + "".join(f"{t},1,green\n" for t in PLANTED), encoding="utf-8")
    world, ext, w2v = work / "world", work / "extract", work / "w2v"
    times = {}
    times["generate"] = smtext("demo", "generate", "--out", str(world), "--firms", str(args.firms), "--years",
                               args.years, "--seed", str(args.seed), "--plant", str(plant))
    times["extract"] = smtext("extract", str(world / "reports" / "annual"), "--out", str(ext), "--no-identify")
    words = [a for s in SEEDS for a in ("--word", s)]
    times["w2v_train"] = smtext("w2v", "train", str(ext), "--doc-type", "annual_report", "--out", str(w2v), *words)
    review = work / "green_review.csv"
    seeds = [a for s in SEEDS for a in ("-s", s)]
    times["w2v_expand"] = smtext("w2v", "expand", str(w2v / "model"), *seeds, "--category", "green", "--threshold",
                                 "0", "--topn", str(args.topn), "--out", str(review))
    lexicon = work / "green.csv"
    times["lexicon"] = smtext("lexicon", "from-review", str(review), "--out", str(lexicon))
    index = work / "index"
    times["index_count"] = smtext("index", "count", str(ext), "-l", str(lexicon), "--out", str(index),
                                  "--clean-lexicon", "none")
    times["validate"] = smtext("index", "validate", str(index), "--extract", str(ext), "--out", str(work / "validation"))

    # --- scores against the generator's truth
    terms = pd.read_csv(lexicon, encoding="utf-8-sig")["term"].tolist()
    expanded = [t for t in terms if t not in SEEDS]
    targets = [t for t in PLANTED if t not in SEEDS]
    found = [t for t in expanded if t in targets]
    precision = len(found) / len(expanded) if expanded else float("nan")
    recall = len(found) / len(targets)
    # planted terms the tokenizer splits (not in jieba's dictionary) never become model words
    vocab = {line.split(" ")[0] for line in (w2v / "model" / "vocab.txt").read_text(encoding="utf-8").splitlines()}
    in_vocab = [t for t in targets if t in vocab]
    recall_in_vocab = len(found) / len(in_vocab) if in_vocab else float("nan")
    # the reports' green prose (the generator's green topic words) is green too, though not planted
    from smtext.demo.vocabulary import topic_vocabulary

    green_words = set(topic_vocabulary()["green"][0]) | set(PLANTED)
    precision_topic = sum(t in green_words for t in expanded) / len(expanded) if expanded else float("nan")
    truth = pd.read_csv(world / "truth" / "planted_user_intensity.csv", dtype={"stkcd": str})
    fy = pd.read_parquet(index / "firm_year_index.parquet")
    merged = truth.merge(fy[["stkcd", "year", "green_count"]], on=["stkcd", "year"], how="inner").dropna()
    corr = {
        "pearson_count_vs_planted": merged["green_count"].corr(merged["n_planted"]),
        "pearson_count_vs_rate": merged["green_count"].corr(merged["rate"]),
        "spearman_count_vs_rate": merged["green_count"].corr(merged["rate"], method="spearman"),
        "firm_years": len(merged),
    }
    firm = merged.groupby("stkcd")[["green_count", "rate"]].mean()
    corr["pearson_firm_means_vs_rate"] = firm["green_count"].corr(firm["rate"])
    counted = fy["green_count"].dropna()
    zero_share = float((counted == 0).mean())
    assert (work / "validation" / "validation.html").is_file()

    result = {"world": {"firms": args.firms, "years": args.years, "seed": args.seed}, "seeds": SEEDS,
              "planted": PLANTED, "topn": args.topn, "expanded": expanded, "found": found,
              "precision": precision, "recall": recall, "planted_in_vocabulary": in_vocab,
              "recall_in_vocabulary": recall_in_vocab, "precision_green_topic": precision_topic, **corr, "zero_share": zero_share,
              "seconds": {k: round(v, 1) for k, v in times.items()}}
    print(f"green index from {len(SEEDS)} seeds, top {args.topn} neighbours, "
          f"{args.firms} firms {args.years} (seed {args.seed})")
    print(f"{'expanded words':34s} {len(expanded)}")
    print(f"{'planted non-seed terms found':34s} {len(found)} of {len(targets)}: {' '.join(found)}")
    print(f"{'precision / recall (planted)':34s} {precision:.2f} / {recall:.2f}")
    print(f"{'planted terms in the model vocab':34s} {len(in_vocab)} of {len(targets)}: {' '.join(in_vocab)} "
          f"(recall among them {recall_in_vocab:.2f}; the others are split by jieba)")
    print(f"{'precision (green topic words)':34s} {precision_topic:.2f}")
    for k in ("pearson_count_vs_planted", "pearson_count_vs_rate", "spearman_count_vs_rate",
              "pearson_firm_means_vs_rate"):
        print(f"{k:34s} {corr[k]:.3f}")
    print(f"{'firm-years':34s} {corr['firm_years']}")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
