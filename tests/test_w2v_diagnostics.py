"""Word2Vec expansion diagnostics: one default threshold, similarity distribution and suggested cut-off,
warnings for degenerate models, tiny vocabularies and missing seeds, hashed manifests, `w2v train --scope`."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors
from typer.testing import CliRunner

from smtext.cli import app
from smtext.cli.w2v import expand_cmd
from smtext.errors import SMWarning
from smtext.manifest import file_sha256
from smtext.study.registry import MEASURES
from smtext.text.w2v import DEFAULT_THRESHOLD, build_nml, expand_seeds

runner = CliRunner()


def _clustered(n_noise=800, n_cluster=10, seed=0, spread=0.05):
    """A seed, a tight cluster around it and random words: the cluster is far above the rest."""
    rng = np.random.default_rng(seed)
    dim = 20
    centre = np.zeros(dim)
    centre[0] = 1.0
    words = {"种子": centre}
    for i in range(n_cluster):
        words[f"近义{i}"] = centre + rng.normal(0, spread, dim)
    for i in range(n_noise):
        words[f"词{i}"] = rng.normal(0, 1, dim)
    kv = KeyedVectors(vector_size=dim)
    kv.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    return kv


def test_one_default_threshold_across_api_cli_and_spec():
    api = inspect.signature(expand_seeds).parameters["threshold"].default
    nml = inspect.signature(build_nml).parameters["threshold"].default
    cli = inspect.signature(expand_cmd).parameters["threshold"].default.default
    spec = next(o.default for o in MEASURES["nml"].schema if o.name == "threshold")
    assert api == nml == cli == spec == DEFAULT_THRESHOLD == 0.9


def test_distribution_and_suggested_cutoff_separate_the_cluster():
    res = expand_seeds(_clustered(), "种子", threshold=0.9, min_freq=0, frequencies={})
    d = res.diagnostics["seed"]
    sims = res.table.set_index("word")["similarity"]
    cluster_min = min(sims[f"近义{i}"] for i in range(10))
    assert d["vocab_size"] == 811 and d["n_above_threshold"] == 10 and d["warnings"] == []
    assert d["p50"] < 0.3 < cluster_min                      # random words are far, the cluster is near
    assert sims.drop(["种子"] + [f"近义{i}" for i in range(10)]).max() < d["suggested_threshold"] < cluster_min
    assert "suggested cut-off" in res.summary()


def test_degenerate_model_warns():
    # every word nearly the same vector: similarities all about 0.997, the whole vocabulary passes
    kv = _clustered(n_noise=0, n_cluster=600, spread=0.005)
    with pytest.warns(SMWarning, match="SM243"):
        res = expand_seeds(kv, "种子", threshold=0.9, min_freq=0, frequencies={})
    d = res.diagnostics["seed"]
    assert d["p50"] > 0.99 and d["n_above_threshold"] == 600 and "SM243" in d["warnings"]
    assert d["suggested_threshold"] is None                  # no gap to cut at
    assert "suggested cut-off: none" in res.summary()


def test_suggested_cutoff_is_the_first_clear_gap_not_the_largest():
    from smtext.text.w2v.expand import _suggested_cutoff

    # the demo world's nearest words (60 firms, seed 7): synonyms down to 0.946, frame words from 0.900
    demo = [0.995, 0.994, 0.993, 0.992, 0.992, 0.989, 0.984, 0.983, 0.971, 0.946, 0.900, 0.883, 0.849,
            0.798, 0.759, 0.756, 0.749, 0.705, 0.697, 0.676, 0.674, 0.641, 0.640, 0.511, 0.510]
    assert _suggested_cutoff(np.array(demo)) == 0.923


def test_tiny_vocabulary_warns():
    with pytest.warns(SMWarning, match="SM244"):
        res = expand_seeds(_clustered(n_noise=50), "种子", threshold=0.9, min_freq=0, frequencies={})
    assert res.diagnostics["seed"]["warnings"] == ["SM244"]


def test_seeds_missing_from_the_vocabulary_stay_in_the_lexicon():
    seeds = ["种子", "缺失一", "缺失二"]
    with pytest.warns(SMWarning, match=r"SM233: 2 of 3 seeds"):
        res = expand_seeds(_clustered(), seeds, threshold=0.9, min_freq=0, frequencies={})
    t = res.table.set_index("word")
    assert t.loc["缺失一", "kind"] == "seed" and bool(t.loc["缺失一", "kept"])
    assert t.loc["缺失一", "reason"] == "not_in_vocabulary" and np.isnan(t.loc["缺失一", "similarity"])
    assert {"种子", "缺失一", "缺失二"} <= set(res.words())
    assert res.diagnostics["seed"]["seeds_missing"] == ["缺失一", "缺失二"]


def test_expand_manifest_hashes_model_and_records_diagnostics(tmp_path):
    vec = tmp_path / "v.txt"
    _clustered().save_word2vec_format(str(vec), binary=False)
    out = tmp_path / "review.csv"
    res = runner.invoke(app, ["w2v", "expand", str(vec), "-s", "种子", "--min-freq", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "suggested cut-off" in res.output
    man = json.loads(out.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert man["inputs"]["model"] == file_sha256(vec) and man["inputs"]["review_csv"] == file_sha256(out)
    assert man["parameters"]["threshold"] == DEFAULT_THRESHOLD
    assert man["diagnostics"]["seed"]["n_above_threshold"] == 10
    assert len(man["decisions"]) == len(pd.read_csv(out))


def test_train_scope_mda_trains_on_the_mda_only(tmp_path):
    rows = []
    for i in range(40):
        mda = "公司加快培育新质生产力，发展未来产业。" * 5
        text = f"第一节 重要提示\n{'营业收入增长，毛利率稳定。' * 5}\n第三节 管理层讨论与分析\n{mda}\n第四节 公司治理\n董事会运作。\n"
        rows.append({"path": f"d{i}", "stkcd": f"{i:06d}", "year": 2023, "text": text})
    rows.append({"path": "nomda", "stkcd": "000999", "year": 2023, "text": "没有章节标题的文本。" * 20})
    docs = tmp_path / "docs.parquet"
    pd.DataFrame(rows).to_parquet(docs, index=False)
    res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "w"), "--scope", "mda", "--dim", "8",
                              "--epochs", "2", "--min-count", "1", "--word", "新质生产力", "--jobs", "1",
                              "--doc-type", "annual_report"])   # a table without doc_type is read as analyst reports
    assert res.exit_code == 0, res.output
    vocab = set((tmp_path / "w" / "model" / "vocab.txt").read_text(encoding="utf-8").split())
    assert "新质生产力" in vocab and "毛利率" not in vocab and "董事会" not in vocab
    man = json.loads((tmp_path / "w" / "model" / "manifest.json").read_text(encoding="utf-8"))
    assert man["scope"] == {"scope": "mda", "dropped": {"SM110": 1}}
