"""Streaming token corpora: restartable, cached by text + tokenizer configuration, same tokens on any engine."""

from __future__ import annotations

import pandas as pd
import pytest

from smtext.text.tokenize import Tokenizer, TokenizerConfig
from smtext.text.w2v import tokenize_corpus

TEXT = "公司积极培育新质生产力，加快形成颠覆性技术优势。\n\n公司布局5G网络，2023年营业收入增长3.5%。"


def _userdict(tmp_path, words=("新质生产力", "颠覆性技术")):
    path = tmp_path / "econ.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return str(path)


def test_corpus_streams_restarts_and_uses_cache(tmp_path):
    docs = pd.DataFrame({"path": ["a", "b", "c"], "text": [TEXT, "公司推进未来产业。", TEXT]})
    cfg = TokenizerConfig(userdicts=(_userdict(tmp_path),))
    c1 = tokenize_corpus(docs, tmp_path / "cache", cfg)
    assert c1.stats == {"n_docs": 3, "tokenized": 2, "cached": 1}   # a and c share one cache file
    first, second = list(c1), list(c1)
    assert first == second and len(first) == 5                      # restartable iterable
    assert iter(c1) is not c1
    # the cached tokens are the tokenizer's sentences
    tok = Tokenizer(cfg)
    assert first == tok.sentences(TEXT) + tok.sentences("公司推进未来产业。") + tok.sentences(TEXT)
    c2 = tokenize_corpus(docs, tmp_path / "cache", cfg)
    assert c2.stats["tokenized"] == 0 and list(c2) == first and c2.corpus_hash() == c1.corpus_hash()
    assert [d for d, _ in c2.documents()] == ["a", "b", "c"]
    # an iterable of (id, text) pairs gives the same corpus as the table
    pairs = tokenize_corpus(iter(zip(docs["path"], docs["text"])), tmp_path / "cache", cfg, docs_per_round=2)
    assert list(pairs) == first and pairs.corpus_hash() == c1.corpus_hash()


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
