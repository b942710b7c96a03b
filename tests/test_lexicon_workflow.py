"""User lexicons: one format for every counter (reviewed expansions too), `smtext lexicon from-review|diff`,
the no-match warning, and `smtext w2v index` with filters, scope and per-10k output.

Expected counts are written by hand from the texts below, not computed with smtext's counting code.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning
from smtext.manifest import file_sha256
from smtext.text.index_job import index_extract
from smtext.text.lexicon import load_lexicon

runner = CliRunner()

# one firm-year per document; the MD&A (第三节) holds some of the mentions
TEXTS = {
    "a.pdf": "第一节 重要提示\n公司数字孪生技术领先。\n第二节 公司简介\n数字孪生。\n"
             "第三节 管理层讨论与分析\n公司推进数字孪生和工业互联网建设，没有采用工业机器人。\n第四节 公司治理\n工业互联网。\n",
    "b.pdf": "第一节 重要提示\n本年无相关内容。\n第二节 公司简介\n工业机器人。\n"
             "第三节 管理层讨论与分析\n工业机器人与工业机器人。\n第四节 公司治理\n无。\n",
}
FIRMS = {"a.pdf": ("000001", 2020), "b.pdf": ("000002", 2020)}

REVIEW = pd.DataFrame({
    "word": ["数字孪生", "工业互联网", "工业机器人", "营业收入", "智能工厂"],
    "category": ["nqpf"] * 5,
    "kind": ["seed", "expanded", "expanded", "expanded", ""],
    "similarity": [1.0, 0.95, 0.93, 0.4, None],
    "kept": ["False", "True", "yes", "False", "True"],   # the seed set to False is kept all the same
    "reason": ["", "", "", "below_threshold", ""],
})


def _extract(folder):
    """An extraction output (documents.parquet, pages.parquet) written by hand: one page per line."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, pages = [], []
    for path, text in TEXTS.items():
        lines = text.splitlines()
        docs.append({"path": path, "stkcd": FIRMS[path][0], "year": FIRMS[path][1], "status": "ok",
                     "n_chars": len(text), "n_pages": len(lines)})
        pages += [{"path": path, "page": i + 1, "text": line} for i, line in enumerate(lines)]
    pd.DataFrame(docs).to_parquet(folder / "documents.parquet", index=False)
    pd.DataFrame(pages).to_parquet(folder / "pages.parquet", index=False)
    return folder


def test_review_file_loads_as_a_lexicon_seeds_kept_manual_tagged(tmp_path):
    path = tmp_path / "review.csv"
    REVIEW.to_csv(path, index=False, encoding="utf-8-sig")
    lex = load_lexicon(path)
    assert dict(zip(lex.terms["term"], lex.terms["note"])) == {
        "数字孪生": "seed", "工业互联网": "expanded", "工业机器人": "expanded", "智能工厂": "manual"}
    bad = REVIEW.assign(kept=["maybe", "1", "1", "0", "1"])
    bad.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(SMError, match="SM235"):
        load_lexicon(path)


def test_index_count_accepts_a_review_file(tmp_path):
    review = tmp_path / "review.csv"
    REVIEW.to_csv(review, index=False, encoding="utf-8-sig")
    res = runner.invoke(app, ["--quiet", "index", "count", str(_extract(tmp_path / "ex")), "-l", str(review),
                              "--filters", "none", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    d = pd.read_parquet(tmp_path / "out" / "document_counts.parquet").set_index("path")
    # a: 数字孪生 x3 + 工业互联网 x2 + 工业机器人 x1 = 6; b: 工业机器人 x3
    assert d.loc["a.pdf", "review_count"] == 6 and d.loc["b.pdf", "review_count"] == 3


def test_lexicon_matching_nothing_warns(tmp_path):
    lex = tmp_path / "nothing.csv"
    lex.write_text("category,term\nx,量子纠缠\n", encoding="utf-8")
    with pytest.warns(SMWarning, match="SM245"):
        run = index_extract(_extract(tmp_path / "ex"), [str(lex)], tmp_path / "out", filters=())
    man = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert man["counts"]["lexicons_matching_nothing"] == ["nothing"]
    assert (run.firm_years["nothing_count"] == 0).all()


def _expand(tmp_path):
    """`smtext w2v expand` on hand-made vectors saved as a word2vec file; returns (review, vectors)."""
    words = {"数字孪生": [1, 0.1, 0], "工业互联网": [0.95, 0.15, 0], "工业机器人": [0.9, 0.2, 0.05],
             "营业收入": [0, 0, 1], "毛利率": [0.1, 0, 0.9]}
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    vec = tmp_path / "vectors.txt"
    kv.save_word2vec_format(str(vec), binary=False)
    review = tmp_path / "review.csv"
    res = runner.invoke(app, ["w2v", "expand", str(vec), "-s", "数字孪生", "-s", "数字底座", "--category", "nqpf",
                              "--threshold", "0.995", "--min-freq", "0", "--out", str(review)])
    assert res.exit_code == 0, res.output
    return review, vec


def test_from_review_writes_lexicon_with_provenance_and_edits(tmp_path):
    review, vec = _expand(tmp_path)
    t = pd.read_csv(review, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(t.loc[t["kind"] == "seed", "word"]) == {"数字孪生", "数字底座"}   # the missing seed stays
    # the reviewer keeps 工业机器人 (below 0.995), drops 工业互联网 and adds 智能工厂
    t.loc[t["word"] == "工业机器人", "kept"] = "True"
    t.loc[t["word"] == "工业互联网", "kept"] = "False"
    t = pd.concat([t, pd.DataFrame([{"word": "智能工厂", "category": "nqpf", "kept": "True"}])], ignore_index=True)
    t.fillna("").to_csv(review, index=False, encoding="utf-8-sig")
    out = tmp_path / "lex" / "digital_twin.csv"
    res = runner.invoke(app, ["lexicon", "from-review", str(review), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lex = load_lexicon(out)
    assert dict(zip(lex.terms["term"], lex.terms["note"])) == {
        "数字孪生": "seed", "数字底座": "seed", "工业机器人": "expanded", "智能工厂": "manual"}
    meta = json.loads(out.with_name("digital_twin.meta.json").read_text(encoding="utf-8"))
    assert meta["seeds"] == {"nqpf": ["数字孪生", "数字底座"]} and meta["threshold"] == 0.995
    assert meta["model_sha256"] == file_sha256(vec) and meta["review_changed_since_expansion"] is True
    assert [(e["edit"], e["term"]) for e in meta["edits"]] == [
        ("added", "智能工厂"), ("dropped", "工业互联网"), ("kept", "工业机器人")]
    first = out.read_bytes(), out.with_name("digital_twin.meta.json").read_bytes()
    assert runner.invoke(app, ["lexicon", "from-review", str(review), "--out", str(out)]).exit_code == 0
    assert (out.read_bytes(), out.with_name("digital_twin.meta.json").read_bytes()) == first   # byte-identical


def test_from_review_refuses_without_expansion_manifest_or_on_a_lexicon(tmp_path):
    review = tmp_path / "review.csv"
    REVIEW.to_csv(review, index=False, encoding="utf-8-sig")
    res = runner.invoke(app, ["lexicon", "from-review", str(review), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "SM247" in res.output
    plain = tmp_path / "plain.csv"
    plain.write_text("category,term\na,数字孪生\n", encoding="utf-8")
    res = runner.invoke(app, ["lexicon", "from-review", str(plain), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "SM246" in res.output


def test_lexicon_diff(tmp_path):
    from smtext.text.lexicon import diff_lexicons

    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("category,term\na,数字孪生\na,工业互联网\nb,云计算\n", encoding="utf-8")
    new.write_text("category,term\na,数字孪生\nb,工业互联网\nb,区块链\n", encoding="utf-8")
    with pytest.warns(SMWarning, match="SM204"):
        d = diff_lexicons(old, new)
    assert d.values.tolist() == [["added", "区块链", "", "b"], ["moved", "工业互联网", "a", "b"],
                                 ["removed", "云计算", "b", ""]]
    res = runner.invoke(app, ["lexicon", "diff", str(old), str(new), "--json"])
    assert res.exit_code == 0 and json.loads(res.output[res.output.index("["):])[0]["term"] == "区块链"


def test_w2v_index_filters_scope_per10k_and_hashes(tmp_path):
    docs = tmp_path / "docs.parquet"
    pd.DataFrame([{"path": p, "stkcd": FIRMS[p][0], "year": FIRMS[p][1], "text": t} for p, t in TEXTS.items()]
                 ).to_parquet(docs, index=False)
    review = tmp_path / "review.csv"
    REVIEW.to_csv(review, index=False, encoding="utf-8-sig")
    out = tmp_path / "n.parquet"
    res = runner.invoke(app, ["w2v", "index", str(docs), "-l", str(review), "--out", str(out), "--scope", "mda",
                              "--filters", "negation", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    t = pd.read_parquet(out).set_index("stkcd")
    # MD&A only: a has 数字孪生, 工业互联网 and a negated 工业机器人 (没有采用...) -> 2; b: 工业机器人 x2
    assert t.loc["000001", "N_ML_count"] == 2 and t.loc["000002", "N_ML_count"] == 2
    mda_a = "第三节 管理层讨论与分析\n公司推进数字孪生和工业互联网建设，没有采用工业机器人。"
    assert t.loc["000001", "N_ML_per10k"] == pytest.approx(2 / len(mda_a) * 10_000, rel=0.05)
    man = json.loads(out.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert man["inputs"] == {str(review): file_sha256(review), str(docs): file_sha256(docs)}
    assert man["parameters"]["scope"] == "mda" and man["parameters"]["filters"] == ["negation"]


def test_word_list_matching_nothing_warns_in_w2v_index(tmp_path):
    from smtext.text.w2v import nml_index

    docs = pd.DataFrame([{"path": p, "stkcd": FIRMS[p][0], "year": FIRMS[p][1], "text": t} for p, t in TEXTS.items()])
    with pytest.warns(SMWarning, match="SM245"):
        res = nml_index(docs, ["量子纠缠"])
    assert (res.table["N_ML_count"] == 0).all()
