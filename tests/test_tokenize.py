"""The one tokenizer: user dictionaries, lexicon words, token filters, backends, fingerprint, per-process cache."""

from __future__ import annotations

import pytest

from smtext.errors import SMError
from smtext.text.tokenize import (
    USER_FREQ,
    Tokenizer,
    TokenizerConfig,
    get_tokenizer,
    split_sentences,
)

TEXT = "公司积极培育新质生产力，加快形成颠覆性技术优势。\n\n公司布局5G网络，2023年营业收入增长3.5%。"


def _userdict(tmp_path, words=("新质生产力", "颠覆性技术")):
    path = tmp_path / "econ.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return str(path)


def _tokens(config: TokenizerConfig, text: str = TEXT) -> list[str]:
    return [t for s in Tokenizer(config).sentences(text) for t in s]


def test_user_dictionary_keeps_terms_whole(tmp_path):
    # without the dictionary jieba splits the seed (新质/生产力): the dictionary is what makes it one token
    assert "新质生产力" not in _tokens(TokenizerConfig(userdicts=()))
    toks = _tokens(TokenizerConfig(userdicts=(_userdict(tmp_path),)))
    assert "新质生产力" in toks and "颠覆性技术" in toks


def test_shipped_userdicts_keep_planted_nqpf_words():
    from smtext.demo.text import NQPF_JARGON, NQPF_SEED, NQPF_SYNONYMS

    tok = Tokenizer(TokenizerConfig())
    for w in [NQPF_SEED, *NQPF_SYNONYMS, *NQPF_JARGON]:
        assert tok.sentences(f"公司积极培育{w}，加快形成优势。")[0][3] == w


def test_lexicon_words_are_single_tokens_with_offsets():
    # counting's token mode: no dictionary, every lexicon term a user word with a high frequency
    words = ("智能制造", "工业互联网", "数字化转型", "with space", "")
    tok = Tokenizer(TokenizerConfig(userdicts=(), words=words, word_freq=USER_FREQ))
    text = "公司推进智能制造与工业互联网建设，加快数字化转型。"
    spans = tok.spans(text)
    assert ("智能制造", 4, 8) in spans and ("工业互联网", 9, 14) in spans
    assert all(text[s:e] == w for w, s, e in spans) and "".join(w for w, _, _ in spans) == text
    assert tok.cut(text) == [w for w, _, _ in spans]
    assert tok.words == ("智能制造", "工业互联网", "数字化转型")     # empty words and words with spaces are not added


def test_token_options_numbers_punctuation_stopwords():
    base = {"userdicts": (), "words": ("营业收入",)}
    toks = _tokens(TokenizerConfig(**base))
    assert "5g" in toks                 # mixed alphanumerics are words (lower-cased by default)
    assert "2023" not in toks and "3.5%" not in toks and "，" not in toks
    masked = _tokens(TokenizerConfig(**base, numbers="mask", punctuation="keep", lowercase=False))
    assert "<NUM>" in masked and "，" in masked and "5G" in masked
    kept = _tokens(TokenizerConfig(**base, numbers="keep"))
    assert "2023" in kept and "3.5%" in kept
    assert "公司" not in _tokens(TokenizerConfig(**base, stopwords=("公司", "，")))


def test_bad_options_and_missing_dictionary(tmp_path):
    with pytest.raises(SMError) as err:
        TokenizerConfig(userdicts=(), numbers="zero").fingerprint()
    assert err.value.code == "SM002" and "mask" in str(err.value)
    with pytest.raises(SMError) as err:
        TokenizerConfig(userdicts=(str(tmp_path / "nope.txt"),)).fingerprint()
    assert err.value.code == "SM211"
    with pytest.raises(SMError) as err:
        Tokenizer(TokenizerConfig(userdicts=(), backend="thulac"))
    assert err.value.code == "SM002"


def test_fingerprint_follows_dictionary_contents_and_options(tmp_path):
    path = _userdict(tmp_path, ("颠覆性技术",))
    before = TokenizerConfig(userdicts=(path,)).fingerprint()
    assert TokenizerConfig(userdicts=(path,)).fingerprint() == before
    _userdict(tmp_path, ("颠覆性技术", "新质生产力"))               # same file name, new contents
    after = TokenizerConfig(userdicts=(path,)).fingerprint()
    assert after != before
    assert TokenizerConfig(userdicts=(path,), word_freq=USER_FREQ).fingerprint() != after
    assert TokenizerConfig(userdicts=(path,), words=("a", "b")).fingerprint() == \
        TokenizerConfig(userdicts=(path,), words=("b", "a", "a")).fingerprint()


def test_default_fingerprint_is_that_of_existing_token_caches():
    # the Word2Vec default configuration keeps the fingerprint (token-cache folder) it had before the
    # tokenizers were merged, so caches made then are re-used; recomputed from the definition here
    import hashlib
    from pathlib import Path

    import jieba

    from smtext.manifest import stable_hash
    from smtext.text.tokenize import default_userdicts

    cfg = TokenizerConfig(words=("新质生产力",))
    spec = {"words": ["新质生产力"], "stopwords": [], "numbers": "drop", "punctuation": "drop", "hmm": True,
            "lowercase": True, "min_chars": 1, "backend": "jieba", "version": "1",
            "segmenter": {"jieba": jieba.__version__},
            "userdict_sha256": [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in default_userdicts()]}
    assert len(default_userdicts()) == 2 and cfg.fingerprint() == stable_hash(spec)


def test_get_tokenizer_builds_one_per_configuration():
    cfg = TokenizerConfig(userdicts=(), words=("新质生产力",))
    assert get_tokenizer(cfg) is get_tokenizer(TokenizerConfig(userdicts=(), words=("新质生产力",)))
    assert get_tokenizer(cfg) is not get_tokenizer(TokenizerConfig(userdicts=(), words=("未来产业",)))


def test_split_sentences_joins_wrapped_lines():
    text = "公司积极培育新质生\n产力，加快\n形成优势。\n\n第二段。smart\nmanufacturing"
    assert split_sentences(text) == ["公司积极培育新质生产力，加快形成优势", "第二段", "smart manufacturing"]


def test_rjieba_backend_keeps_user_words(tmp_path):
    pytest.importorskip("rjieba")
    toks = _tokens(TokenizerConfig(userdicts=(_userdict(tmp_path),), backend="rjieba"))
    assert "新质生产力" in toks and "颠覆性技术" in toks and "5g" in toks
    words = ("智能制造", "工业互联网")
    text = "公司推进智能制造与工业互联网建设。"
    jb = Tokenizer(TokenizerConfig(userdicts=(), words=words, word_freq=USER_FREQ))
    rj = Tokenizer(TokenizerConfig(userdicts=(), words=words, word_freq=USER_FREQ, backend="rjieba"))
    assert rj.spans(text) == jb.spans(text)


_HASHSEED_SCRIPT = """
import hashlib, sys
from smtext.text.tokenize import Tokenizer, TokenizerConfig
tok = Tokenizer(TokenizerConfig())
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
