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
    import json
    cut = json.loads((tmp_path / "w" / "model" / "manifest.json").read_text(encoding="utf-8"))["boilerplate"]
    assert cut["removed"] and cut["reports"] == 120 and cut["chars_removed"] == 0   # the fixture has none
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


def test_pdf_folder_is_extracted_once_and_extraction_output_is_accepted(tmp_path):
    # DOCS as a folder of PDFs: extracted into OUT/extract (every analyst report, several per firm-year),
    # resumable; the extraction output itself, and a Parquet table of it, give the same index
    from smtext.demo.pdf import render_pdf
    from smtext.demo.text import DocumentSpec, Paragraph, Section
    from smtext.text.extract import read_documents

    folder = tmp_path / "analyst"
    folder.mkdir()
    rng = np.random.default_rng(5)
    words = ["新质生产力", "未来产业", "前沿技术", "营业收入", "净利润", "毛利率"]
    for i in range(12):
        text = "".join(f"公司积极培育{rng.choice(words)}，加快形成{rng.choice(words)}优势。" for _ in range(20))
        spec = DocumentSpec(header="研究报告", cover=["研究报告"], with_toc=False,
                            sections=[Section("body", "投资要点", [Paragraph(text)])])
        (folder / f"{i % 3:06d}_2023_示例{i % 3}_研究报告_券商{i}_{i}.pdf").write_bytes(render_pdf(spec))
    out = tmp_path / "w"
    args = ["w2v", "train", str(folder), "--out", str(out), "--dim", "8", "--epochs", "1", "--min-count", "1",
            "--word", "新质生产力", "--jobs", "1"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    docs = read_documents(out / "extract", "analyst_report")
    assert len(docs) == 12 and (docs["status"] == "ok").all() and docs["stkcd"].nunique() == 3
    parts = {p: p.stat().st_mtime_ns for p in (out / "extract" / "work").rglob("part-*.parquet")}
    assert runner.invoke(app, args).exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "extract" / "work").rglob("part-*.parquet")} == parts
    lex = tmp_path / "lex.csv"
    lex.write_text("category,term\nnqpf,新质生产力\nnqpf,未来产业\n", encoding="utf-8")
    docs.to_parquet(tmp_path / "docs.parquet", index=False)
    tables = []
    for source in (folder, out / "extract", tmp_path / "docs.parquet"):
        target = tmp_path / f"nml_{len(tables)}.parquet"
        res = runner.invoke(app, ["w2v", "index", str(source), "--lexicon", str(lex), "--out", str(target), "--jobs", "1"])
        assert res.exit_code == 0, res.output
        tables.append(pd.read_parquet(target))
    assert (tmp_path / "nml_0_extract" / "documents.parquet").is_file()
    expected = sum(t.count("新质生产力") + t.count("未来产业") for t in docs["text"])
    assert len(tables[0]) == 3 and tables[0]["N_ML_count"].sum() == expected
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)


def test_index_removes_broker_boilerplate_unless_kept(tmp_path):
    import json

    rows = [{"path": f"{i:06d}_2023_某公司_研究报告_华泰证券_1.pdf", "stkcd": f"{i:06d}", "year": 2023,
             "text": f"投资要点\n{firm}公司积极培育新质生产力。\n免责声明\n本报告关于新质生产力的观点仅供参考。"}
            for i, firm in enumerate(["甲", "乙", "丙", "丁", "戊"])]
    docs = tmp_path / "docs.parquet"
    pd.DataFrame(rows).to_parquet(docs, index=False)
    lex = tmp_path / "lex.csv"
    pd.DataFrame({"category": ["nqpf"], "term": ["新质生产力"]}).to_csv(lex, index=False)
    out = tmp_path / "nml.parquet"
    res = runner.invoke(app, ["w2v", "index", str(docs), "--lexicon", str(lex), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(out)["N_ML_count"].tolist() == [1] * 5            # the disclaimer's mention is not counted
    per_report = pd.read_csv(tmp_path / "nml_boilerplate.csv", encoding="utf-8-sig")
    assert per_report["boilerplate_titles"].eq("免责声明").all() and "boilerplate removed" in res.output
    manifest = json.loads((tmp_path / "nml.manifest.json").read_text(encoding="utf-8"))
    assert manifest["boilerplate"]["chars_removed"] == per_report["boilerplate_chars"].sum() > 0
    res = runner.invoke(app, ["w2v", "index", str(docs), "--lexicon", str(lex), "--out", str(out), "--jobs", "1",
                              "--keep-boilerplate"])
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(out)["N_ML_count"].tolist() == [2] * 5
    assert not (tmp_path / "nml_boilerplate.csv").exists()                  # no stale counts beside raw text
