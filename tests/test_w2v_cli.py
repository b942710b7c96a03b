"""`smtext w2v` commands: help text and a small train -> expand -> index run on a code-made fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from smtext.w2v.cli import app

runner = CliRunner()


def test_every_command_has_help():
    for cmd in ("train", "expand", "index"):
        res = runner.invoke(app, [cmd, "--help"])
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
    res = runner.invoke(app, ["train", str(docs), "--out", str(tmp_path / "w"), "--dim", "16", "--epochs", "5",
                              "--word", "新质生产力", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "w" / "model" / "vectors.bin").is_file()
    review = tmp_path / "review.csv"
    res = runner.invoke(app, ["expand", str(tmp_path / "w" / "model"), "--seed", "新质生产力", "--out", str(review),
                              "--threshold", "0.5"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(review, encoding="utf-8-sig")
    assert {"word", "category", "similarity", "frequency", "kept", "reason"} <= set(table.columns)
    out = tmp_path / "nml.parquet"
    res = runner.invoke(app, ["index", str(docs), "--lexicon", str(review), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    nml = pd.read_parquet(out)
    assert len(nml) == 10 and (nml["N_ML_count"] > 0).all()
    res = runner.invoke(app, ["expand", str(tmp_path / "w" / "model"), "--seed", "不存在的词", "--out", str(review)])
    assert res.exit_code == 2 and "SM231" in res.output
