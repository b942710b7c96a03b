"""Word2Vec training: determinism, save/load, continued training, pre-trained vectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from smtext.errors import SMError, SMWarning
from smtext.text.w2v import W2VModel, load_vectors, train_word2vec


def tiny_corpus(seed: int = 0, n: int = 300) -> list[list[str]]:
    """Two topics sharing frame words, made by code (like gensim's common_texts)."""
    rng = np.random.default_rng(seed)
    tech, fin = ["创新", "技术", "研发", "专利"], ["收入", "利润", "毛利", "现金"]
    out = []
    for _ in range(n):
        words = tech if rng.random() < 0.5 else fin
        out.append(["公司", "推进", str(rng.choice(words)), "和", str(rng.choice(words)), "工作"])
    return out


FAST = dict(vector_size=16, min_count=2, epochs=3)


def test_deterministic_mode_gives_identical_vectors():
    corpus = tiny_corpus()
    a = train_word2vec(corpus, **FAST)
    b = train_word2vec(corpus, **FAST)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert np.array_equal(a.wv.vectors, b.wv.vectors)        # bit-identical, not just close
    c = train_word2vec(corpus, **FAST, seed=43)
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)    # the seed matters
    sg = train_word2vec(corpus, **FAST, architecture="skipgram")
    assert sg.manifest["parameters"]["architecture"] == "skipgram"
    assert not np.array_equal(a.wv.vectors, sg.wv.vectors)


_SCRIPT = """
import sys, hashlib
sys.path.insert(0, {tests!r})
from test_w2v_train import tiny_corpus, FAST
from smtext.text.w2v import train_word2vec
m = train_word2vec(tiny_corpus(), **FAST)
print(hashlib.sha256(m.wv.vectors.tobytes() + "|".join(m.wv.index_to_key).encode()).hexdigest())
"""


def test_vectors_do_not_depend_on_pythonhashseed():
    # two fresh interpreters with different hash salts must agree (gensim gets a crc32 hashfxn)
    script = _SCRIPT.format(tests=os.path.dirname(__file__))
    digests = []
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.append(out.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]


def test_deterministic_forces_one_worker_with_warning():
    with pytest.warns(SMWarning, match="SM221"):
        m = train_word2vec(tiny_corpus(), **FAST, workers=2)
    assert m.manifest["parameters"]["workers"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = train_word2vec(tiny_corpus(), **FAST, workers=2, deterministic=False)
    assert fast.manifest["parameters"]["workers"] == 2


def test_manifest_and_save_load_round_trip(tmp_path):
    m = train_word2vec(tiny_corpus(), **FAST)
    man = m.manifest
    assert man["parameters"]["seed"] == 42 and man["seeds"]["word2vec"] == 42
    assert man["raw_words"] == 6 * 300 * FAST["epochs"] and man["vocab_size"] == 12  # 4 frame words + 8 topic words
    m.save(tmp_path / "model")
    back = W2VModel.load(tmp_path / "model")
    assert back.wv.index_to_key == m.wv.index_to_key
    assert np.array_equal(back.wv.vectors, m.wv.vectors)     # binary float32 format is exact
    assert back.frequencies() == m.frequencies()
    # counts are the corpus counts (hand count of the fixture)
    assert m.frequencies()["公司"] == 300
    saved = json.loads((tmp_path / "model" / "manifest.json").read_text(encoding="utf-8"))
    assert saved["vectors_sha256"] and saved["model_file"] == "model.gensim"
    assert load_vectors(tmp_path / "model").wv.index_to_key == m.wv.index_to_key


def test_continue_training_adds_words_and_leaves_original(tmp_path):
    m = train_word2vec(tiny_corpus(), **FAST)
    m.save(tmp_path / "model")
    before = m.wv.vectors.copy()
    more = [["公司", "布局", "未来产业", "和", "新赛道"]] * 20
    cont = W2VModel.load(tmp_path / "model", with_model=True).continue_training(more, epochs=2)
    assert "未来产业" in cont.wv.key_to_index and "未来产业" not in m.wv.key_to_index
    assert np.array_equal(m.wv.vectors, before)
    assert cont.manifest["history"][0]["step"] == "continue_training"
    with pytest.raises(SMError) as err:
        W2VModel.load(tmp_path / "model").continue_training(more)
    assert err.value.code == "SM223"


def test_load_pretrained_text_vectors(tmp_path):
    path = tmp_path / "vec.txt"
    path.write_text("3 2\n创新 1.0 0.0\n技术 0.6 0.8\n收入 0.0 -1.0\n", encoding="utf-8")
    m = load_vectors(path)
    assert m.wv.index_to_key == ["创新", "技术", "收入"]
    np.testing.assert_allclose(m.wv["技术"], [0.6, 0.8], rtol=0, atol=1e-7)   # the file's numbers
    assert m.model is None and m.manifest["vocab_size"] == 3
    with pytest.raises(SMError) as err:
        load_vectors(tmp_path / "missing.bin")
    assert err.value.code == "SM222"


def test_bad_inputs():
    with pytest.raises(SMError) as err:
        train_word2vec(iter(tiny_corpus()), **FAST)
    assert err.value.code == "SM224"
    with pytest.raises(SMError) as err:
        train_word2vec([["孤"]], vector_size=8, min_count=5)
    assert err.value.code == "SM225"
    with pytest.raises(SMError) as err:
        train_word2vec(tiny_corpus(), architecture="glove")
    assert err.value.code == "SM002"


def test_manifest_records_corpus_hash_and_tokenizer(tmp_path):
    import pandas as pd

    from smtext.text.tokenize import TokenizerConfig
    from smtext.text.w2v import tokenize_corpus

    docs = pd.DataFrame({"path": [f"d{i}" for i in range(20)],
                         "text": ["公司推进技术研发与专利布局。公司收入与利润增长。"] * 10 + ["公司研发创新。"] * 10})
    corpus = tokenize_corpus(docs, tmp_path / "tok", TokenizerConfig(userdicts=()))
    m = train_word2vec(corpus, vector_size=8, min_count=1, epochs=1)
    assert m.manifest["inputs"]["corpus"] == corpus.corpus_hash()
    assert m.manifest["tokenizer_fingerprint"] == corpus.fingerprint and m.manifest["n_docs"] == 20
    other = tokenize_corpus(docs.iloc[:19], tmp_path / "tok", TokenizerConfig(userdicts=()))
    assert other.corpus_hash() != corpus.corpus_hash()            # a different corpus has a different hash
