"""Streaming token corpora: user dictionary, token options, cache keyed by text + configuration."""

from __future__ import annotations

import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.text.w2v import (
    TokenizerConfig,
    docs_from_pages,
    split_sentences,
    tokenize_corpus,
)
from smtext.text.w2v.tokens import JiebaTokenizer

TEXT = "公司积极培育新质生产力，加快形成颠覆性技术优势。\n\n公司布局5G网络，2023年营业收入增长3.5%。"


def _userdict(tmp_path, words=("新质生产力", "颠覆性技术")):
    path = tmp_path / "econ.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return str(path)


def test_user_dictionary_keeps_terms_whole(tmp_path):
    # without the dictionary jieba splits the seed (新质/生产力): the dictionary is what makes it one token
    plain = JiebaTokenizer(TokenizerConfig(userdicts=())).sentences(TEXT)
    assert "新质生产力" not in {t for s in plain for t in s}
    with_dict = JiebaTokenizer(TokenizerConfig(userdicts=(_userdict(tmp_path),))).sentences(TEXT)
    toks = [t for s in with_dict for t in s]
    assert "新质生产力" in toks and "颠覆性技术" in toks


def test_shipped_userdicts_keep_planted_nqpf_words():
    from smtext.demo.text import NQPF_JARGON, NQPF_SEED, NQPF_SYNONYMS

    tok = JiebaTokenizer(TokenizerConfig())
    for w in [NQPF_SEED, *NQPF_SYNONYMS, *NQPF_JARGON]:
        assert tok.sentences(f"公司积极培育{w}，加快形成优势。")[0][3] == w


def test_token_options_numbers_punctuation_stopwords():
    base = dict(userdicts=(), words=("营业收入",))
    toks = [t for s in JiebaTokenizer(TokenizerConfig(**base)).sentences(TEXT) for t in s]
    assert "5g" in toks                 # mixed alphanumerics are words (lower-cased by default)
    assert "2023" not in toks and "3.5%" not in toks and "，" not in toks
    masked = [t for s in JiebaTokenizer(TokenizerConfig(**base, numbers="mask", punctuation="keep",
                                                         lowercase=False)).sentences(TEXT) for t in s]
    assert "<NUM>" in masked and "，" in masked and "5G" in masked
    kept = [t for s in JiebaTokenizer(TokenizerConfig(**base, numbers="keep")).sentences(TEXT) for t in s]
    assert "2023" in kept and "3.5%" in kept
    stop = [t for s in JiebaTokenizer(TokenizerConfig(**base, stopwords=("公司", "，"))).sentences(TEXT) for t in s]
    assert "公司" not in stop


def test_bad_options_and_missing_dictionary(tmp_path):
    with pytest.raises(SMError) as err:
        TokenizerConfig(userdicts=(), numbers="zero").fingerprint()
    assert err.value.code == "SM002" and "mask" in str(err.value)
    with pytest.raises(SMError) as err:
        TokenizerConfig(userdicts=(str(tmp_path / "nope.txt"),)).fingerprint()
    assert err.value.code == "SM211"


def test_split_sentences_joins_wrapped_lines():
    text = "公司积极培育新质生\n产力，加快\n形成优势。\n\n第二段。smart\nmanufacturing"
    assert split_sentences(text) == ["公司积极培育新质生产力，加快形成优势", "第二段", "smart manufacturing"]


def test_corpus_streams_restarts_and_uses_cache(tmp_path):
    docs = pd.DataFrame({"path": ["a", "b", "c"], "text": [TEXT, "公司推进未来产业。", TEXT]})
    cfg = TokenizerConfig(userdicts=(_userdict(tmp_path),))
    c1 = tokenize_corpus(docs, tmp_path / "cache", cfg)
    assert c1.stats == {"n_docs": 3, "tokenized": 2, "cached": 1}   # a and c share one cache file
    first, second = list(c1), list(c1)
    assert first == second and len(first) == 5                      # restartable iterable
    assert iter(c1) is not c1
    c2 = tokenize_corpus(docs, tmp_path / "cache", cfg)
    assert c2.stats["tokenized"] == 0 and list(c2) == first and c2.corpus_hash() == c1.corpus_hash()
    assert [d for d, _ in c2.documents()] == ["a", "b", "c"]


def test_changed_user_dictionary_invalidates_cache(tmp_path):
    docs = pd.DataFrame({"path": ["a"], "text": [TEXT]})
    path = _userdict(tmp_path, ("颠覆性技术",))
    before = tokenize_corpus(docs, tmp_path / "cache", TokenizerConfig(userdicts=(path,)))
    assert "新质生产力" not in {t for s in before for t in s}
    # same file name, new contents: the fingerprint hashes contents, so the text is re-tokenized
    _userdict(tmp_path, ("颠覆性技术", "新质生产力"))
    after = tokenize_corpus(docs, tmp_path / "cache", TokenizerConfig(userdicts=(path,)))
    assert after.stats["tokenized"] == 1 and after.fingerprint != before.fingerprint
    assert "新质生产力" in {t for s in after for t in s}
    # changing an option also re-tokenizes
    opt = tokenize_corpus(docs, tmp_path / "cache", TokenizerConfig(userdicts=(path,), numbers="keep"))
    assert opt.stats["tokenized"] == 1


def test_two_workers_give_the_same_tokens(tmp_path):
    texts = [f"公司{i}积极培育新质生产力，布局未来产业。第{i}季度营业收入增长。" for i in range(40)]
    docs = pd.DataFrame({"path": [f"d{i}" for i in range(40)], "text": texts})
    cfg = TokenizerConfig(userdicts=(_userdict(tmp_path),))
    serial = list(tokenize_corpus(docs, tmp_path / "s", cfg, jobs=1))
    pooled = list(tokenize_corpus(docs, tmp_path / "p", cfg, jobs=2, batch_docs=5))
    assert serial == pooled


def test_docs_from_pages_parquet_equals_frame(tmp_path):
    pages = pd.DataFrame({"path": ["a", "a", "b"], "page": [1, 2, 1], "text": ["第一页。", "第二页。", "乙。"]})
    pages.to_parquet(tmp_path / "pages.parquet", index=False)
    from_file = list(docs_from_pages(tmp_path / "pages.parquet"))
    assert from_file == list(docs_from_pages(pages)) == [("a", "第一页。\n\n第二页。"), ("b", "乙。")]
    assert list(docs_from_pages(pages, paths=["b"])) == [("b", "乙。")]


def test_rjieba_backend_keeps_user_words(tmp_path):
    pytest.importorskip("rjieba")
    tok = JiebaTokenizer(TokenizerConfig(userdicts=(_userdict(tmp_path),), backend="rjieba"))
    toks = [t for s in tok.sentences(TEXT) for t in s]
    assert "新质生产力" in toks and "颠覆性技术" in toks and "5g" in toks


def test_corpus_streams_from_disk_not_memory(tmp_path):
    # the corpus holds file paths, not tokens: a change on disk shows up in the next pass
    docs = pd.DataFrame({"path": ["a", "b"], "text": [TEXT, "公司推进未来产业。"]})
    corpus = tokenize_corpus(docs, tmp_path / "cache", TokenizerConfig(userdicts=(_userdict(tmp_path),)))
    assert not any(isinstance(v, list) and v and isinstance(v[0], list) for v in vars(corpus).values())
    first = list(corpus)
    corpus.paths[1].write_text("改写 的 句子", encoding="utf-8")
    assert list(corpus) == first[:-1] + [["改写", "的", "句子"]]
    assert sum(1 for _ in corpus) == len(first)           # every pass re-reads the files


def test_dask_gives_the_same_tokens(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    texts = [f"公司{i}积极培育新质生产力，布局未来产业。第{i}季度营业收入增长。" for i in range(12)]
    docs = pd.DataFrame({"path": [f"d{i}" for i in range(12)], "text": texts})
    cfg = TokenizerConfig(userdicts=(_userdict(tmp_path),))
    serial = tokenize_corpus(docs, tmp_path / "s", cfg, jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = tokenize_corpus(docs, tmp_path / "d", cfg, scheduler=cluster.scheduler_address, batch_docs=4)
    assert list(dask) == list(serial) and dask.stats["tokenized"] == 12
    assert dask.corpus_hash() == serial.corpus_hash()


_HASHSEED_SCRIPT = """
import hashlib, sys
from smtext.text.w2v.tokens import JiebaTokenizer, TokenizerConfig
tok = JiebaTokenizer(TokenizerConfig())
text = sys.argv[1]
print(hashlib.sha256(repr(tok.sentences(text)).encode()).hexdigest())
"""


def test_tokens_do_not_depend_on_pythonhashseed():
    # two fresh interpreters with different hash salts (as pool or Dask workers may have) give the same tokens
    import os
    import subprocess
    import sys

    text = TEXT + "中信证券认为，公司数智化转型与颠覆性技术布局领先，绿色低碳发展与硬科技协同。AI芯片出货量提升。"
    digests = []
    for salt in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = subprocess.run([sys.executable, "-c", _HASHSEED_SCRIPT, text], env=env, capture_output=True,
                             text=True, check=True)
        digests.append(out.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]
