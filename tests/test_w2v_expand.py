"""Seed expansion on hand-made vectors: similarities against numpy and gensim, every filter, review CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from smtext.errors import SMError, SMWarning
from smtext.text.w2v import expand_seeds, read_review_csv

WORDS = {  # 3-d vectors chosen by hand
    "新质生产力": [1.0, 0.1, 0.0], "未来产业": [0.9, 0.2, 0.1], "前沿技术": [0.8, 0.3, 0.0],
    "新赛道": [0.95, 0.05, 0.05], "5G": [0.9, 0.1, 0.0], "新": [0.9, 0.15, 0.0], "稀有词": [0.85, 0.1, 0.1],
    "数字化": [0.1, 1.0, 0.0], "云计算": [0.2, 0.9, 0.1], "平台": [0.6, 0.6, 0.0],
    "营业收入": [0.0, 0.0, 1.0], "毛利率": [0.1, 0.0, 0.9],
}
FREQ = {w: 50 for w in WORDS} | {"稀有词": 2}


@pytest.fixture()
def kv():
    k = KeyedVectors(vector_size=3)
    k.add_vectors(list(WORDS), np.array(list(WORDS.values()), dtype=np.float32))
    return k


def _hand_similarity(seeds, word):
    """cos(mean of unit seed vectors, word): the independent numpy computation."""
    unit = [np.array(WORDS[s]) / np.linalg.norm(WORDS[s]) for s in seeds]
    centre = np.mean(unit, axis=0)
    v = np.array(WORDS[word])
    return float(centre @ v / np.linalg.norm(centre) / np.linalg.norm(v))


def test_similarity_matches_numpy_and_gensim(kv):
    res = expand_seeds(kv, ["新质生产力", "未来产业"], threshold=-1.0, min_freq=0, frequencies=FREQ,
                       exclude_digits=False, exclude_single_char=False)
    t = res.table.set_index("word")
    gensim_sims = dict(kv.most_similar(positive=["新质生产力", "未来产业"], topn=50))
    for word in WORDS:
        expected = _hand_similarity(["新质生产力", "未来产业"], word)
        assert t.loc[word, "similarity"] == pytest.approx(expected, abs=1e-6)   # float32 vectors
        if word in gensim_sims:
            assert t.loc[word, "similarity"] == pytest.approx(gensim_sims[word], abs=1e-6)
    assert (t["kind"] == "seed").sum() == 2 and t.loc["新质生产力", "kept"]


def test_filters_and_reasons(kv):
    stop = ["新赛道"]
    res = expand_seeds(kv, "新质生产力", threshold=0.95, min_freq=5, frequencies=FREQ, stopwords=stop,
                       category="nqpf")
    t = res.table.set_index("word")
    reasons = t["reason"].to_dict()
    assert reasons["新赛道"] == "stopword"
    assert reasons["5G"] == "digits"
    assert reasons["新"] == "single_char"
    assert reasons["稀有词"] == "min_freq"
    assert reasons["数字化"] == "below_threshold"
    # kept = exactly the words above the hand-computed threshold that pass every filter
    expected = {w for w in WORDS if w != "新质生产力" and _hand_similarity(["新质生产力"], w) >= 0.95} - {
        "新赛道", "5G", "新", "稀有词"}
    assert set(res.words(include_seeds=False)) == expected == {"未来产业", "前沿技术"}
    assert res.words()[0] == "新质生产力"
    # the review table also lists words just below the threshold
    assert len(res.table) == len(WORDS)   # 12 words: all above threshold or within review_extra=20


def test_topn_caps_after_filters(kv):
    res = expand_seeds(kv, "新质生产力", threshold=0.9, topn=1, frequencies=FREQ, min_freq=0)
    kept = res.words(include_seeds=False)
    assert kept == ["新赛道"]                                  # the most similar surviving word
    assert "beyond_topn" in set(res.table["reason"])
    capped = res.table[res.table["reason"] == "beyond_topn"]
    assert (capped["similarity"] <= res.table.set_index("word").loc["新赛道", "similarity"]).all()


def test_dedup_assigns_word_to_most_similar_category(kv):
    res = expand_seeds(kv, {"nqpf": ["新质生产力"], "digital": ["数字化"]}, threshold=0.5, min_freq=0,
                       frequencies=FREQ)
    t = res.table
    rows = t[t["word"] == "平台"].set_index("category")
    # 平台 = (0.6, 0.6, 0): hand cosines 0.7739 to 新质生产力 and 0.7071 to 数字化
    assert _hand_similarity(["新质生产力"], "平台") == pytest.approx(0.77390, abs=1e-4)
    assert rows.loc["nqpf", "kept"] and not rows.loc["digital", "kept"]
    assert rows.loc["digital", "reason"] == "assigned_to:nqpf"
    assert "云计算" in res.words("digital") and "云计算" not in res.words("nqpf")


def test_screen_keeps_words_found_in_second_corpus(kv):
    gov = ["加快发展新质生产力，培育未来产业。", "布局前沿技术。"]
    res = expand_seeds(kv, "新质生产力", threshold=0.9, frequencies=FREQ, min_freq=0, screen_texts=gov)
    t = res.table.set_index("word")
    assert t.loc["新赛道", "reason"] == "not_in_screen" and t.loc["新赛道", "screen_count"] == 0
    assert t.loc["未来产业", "kept"] and t.loc["未来产业", "screen_count"] == 1
    assert t.loc["新质生产力", "screen_count"] == 1


def test_review_csv_round_trip_with_edits(kv, tmp_path):
    res = expand_seeds(kv, "新质生产力", threshold=0.9, frequencies=FREQ, min_freq=0)
    path = res.to_review_csv(tmp_path / "review.csv")
    edited = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    edited.loc[edited["word"] == "新赛道", "kept"] = "no"          # reviewer removes jargon
    edited.loc[edited["word"] == "毛利率", "kept"] = "yes"         # and adds a word by hand
    edited.to_csv(path, index=False, encoding="utf-8-sig")
    lex = read_review_csv(path)
    assert set(lex["term"]) == (set(res.words()) - {"新赛道"}) | {"毛利率"}
    edited.loc[0, "kept"] = "maybe"
    edited.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(SMError) as err:
        read_review_csv(path)
    assert err.value.code == "SM235"


def test_errors_and_warnings(kv):
    with pytest.raises(SMError) as err:
        expand_seeds(kv, ["不存在"], frequencies=FREQ)
    assert err.value.code == "SM231"
    with pytest.warns(SMWarning, match="SM233"):
        expand_seeds(kv, ["新质生产力", "不存在"], frequencies=FREQ)
    with pytest.warns(SMWarning, match="SM232"):          # no counts in hand-made vectors
        expand_seeds(kv, "新质生产力")
    with pytest.raises(SMError) as err:
        expand_seeds(kv, "新质生产力", threshold=2.0, frequencies=FREQ)
    assert err.value.code == "SM230"


def test_expansion_is_deterministic(kv):
    a = expand_seeds(kv, "新质生产力", threshold=0.5, frequencies=FREQ, min_freq=0).table
    b = expand_seeds(kv, "新质生产力", threshold=0.5, frequencies=FREQ, min_freq=0).table
    pd.testing.assert_frame_equal(a, b)


def test_latin_seeds_and_screen_are_case_insensitive():
    # the default tokenizer lower-cases Latin letters: the seed "AI" is the vocabulary word "ai",
    # and a government report writing "AI" or "5G" screens the lower-case words in
    k = KeyedVectors(vector_size=3)
    words = {"ai": [1.0, 0.0, 0.0], "人工智能": [0.98, 0.05, 0.0], "5g": [0.97, 0.1, 0.0], "大模型": [0.96, 0.1, 0.05],
             "毛利率": [0.0, 0.0, 1.0]}
    k.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    freq = {w: 50 for w in words}
    res = expand_seeds(k, ["AI"], threshold=0.9, frequencies=freq, min_freq=0, exclude_digits=False,
                       screen_texts=["发展AI与人工智能，推进5G建设。"])
    t = res.table.set_index("word")
    assert t.loc["ai", "kind"] == "seed" and t.loc["ai", "screen_count"] == 1
    assert t.loc["5g", "kept"] and t.loc["5g", "screen_count"] == 1
    assert t.loc["大模型", "reason"] == "not_in_screen"
    assert res.words() == ["ai", "人工智能", "5g"]
