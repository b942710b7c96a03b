"""`smtext w2v` commands: help text and a small train -> expand -> index run on a code-made fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from smtext.cli import app

runner = CliRunner()


def test_every_command_has_help():
    for cmd in ("train", "expand", "index"):
        res = runner.invoke(app, ["w2v", cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output


def _fixture_docs(path):
    rng = np.random.default_rng(3)
    nq, fin = ["新质生产力", "未来产业", "前沿技术"], ["营业收入", "净利润", "毛利率"]
    rows = []
    for i in range(120):
        words = nq if i % 2 else fin
        text = "".join(f"公司积极培育{rng.choice(words)}，加快形成{rng.choice(words)}优势。" for _ in range(6))
        rows.append({"path": f"d{i}", "stkcd": f"{i % 10:06d}", "year": 2023, "text": text})
    pd.DataFrame(rows).to_parquet(path, index=False)


def test_train_expand_index(tmp_path):
    docs = tmp_path / "docs.parquet"
    _fixture_docs(docs)
    res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "w"), "--dim", "16", "--epochs", "5",
                              "--word", "新质生产力", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "w" / "model" / "vectors.bin").is_file()
    review = tmp_path / "review.csv"
    res = runner.invoke(app, ["w2v", "expand", str(tmp_path / "w" / "model"), "--seed", "新质生产力", "--out", str(review),
                              "--threshold", "0.5"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(review, encoding="utf-8-sig")
    assert {"word", "category", "similarity", "frequency", "kept", "reason"} <= set(table.columns)
    out = tmp_path / "nml.parquet"
    res = runner.invoke(app, ["w2v", "index", str(docs), "--lexicon", str(review), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    nml = pd.read_parquet(out)
    assert len(nml) == 10 and (nml["N_ML_count"] > 0).all()
    res = runner.invoke(app, ["w2v", "expand", str(tmp_path / "w" / "model"), "--seed", "不存在的词", "--out", str(review)])
    assert res.exit_code == 2 and "SM231" in res.output


def test_continue_training_and_rjieba_from_the_command_line(tmp_path):
    import importlib.util
    import json

    from smtext.text.w2v import W2VModel

    docs = tmp_path / "docs.parquet"
    _fixture_docs(docs)
    res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "w"), "--dim", "16", "--epochs", "2",
                              "--word", "新质生产力", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    more = pd.DataFrame({"path": [f"m{i}" for i in range(30)], "stkcd": "000001", "year": 2024,
                         "text": ["公司积极培育硬科技，加快形成新质生产力优势。"] * 30})
    more.to_parquet(tmp_path / "more.parquet", index=False)
    res = runner.invoke(app, ["w2v", "train", str(tmp_path / "more.parquet"), "--out", str(tmp_path / "w2"), "--epochs", "1",
                              "--word", "硬科技", "--continue-from", str(tmp_path / "w" / "model"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    before, after = W2VModel.load(tmp_path / "w" / "model"), W2VModel.load(tmp_path / "w2" / "model")
    assert "硬科技" in after.wv.key_to_index and "硬科技" not in before.wv.key_to_index
    assert set(before.wv.index_to_key) < set(after.wv.index_to_key)
    man = json.loads((tmp_path / "w2" / "model" / "manifest.json").read_text(encoding="utf-8"))
    assert man["history"][-1]["step"] == "continue_training" and man["history"][-1]["epochs"] == 1
    assert man["parameters"]["vector_size"] == 16                  # the saved model's sizes are kept
    res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "x"), "--continue-from", str(tmp_path / "nope")])
    assert res.exit_code != 0
    if importlib.util.find_spec("rjieba"):
        res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "rj"), "--dim", "16", "--epochs", "1",
                                  "--word", "新质生产力", "--tokenizer", "rjieba", "--jobs", "1"])
        assert res.exit_code == 0, res.output
        assert "新质生产力" in W2VModel.load(tmp_path / "rj" / "model").wv.key_to_index
    res = runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "bad"), "--tokenizer", "thulac"])
    assert res.exit_code == 2 and "SM002" in res.output
