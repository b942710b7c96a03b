"""Tokenizer objects for Chinese text: jieba (default) and rjieba (optional, faster).

Each tokenizer is its own instance (``jieba.Tokenizer()`` / ``rjieba.Jieba()``),
never jieba's global one, and never with ``jieba.enable_parallel()`` (which
silently drops user dictionaries, jieba #533). Lexicon terms are added as user
words with a high frequency so that a term is always one token. Tokenizers are
cached per process, so every worker builds its own copy with the same words.

Error codes: SM205 the optional ``rjieba`` backend is not installed.
"""

from __future__ import annotations

import hashlib
import logging
import os

from ..errors import SMError, check_option

BACKENDS = ("jieba", "rjieba")
USER_FREQ = 20000
_CACHE: dict = {}


class Tokenizer:
    """A segmenter with user words: ``spans(text)`` -> list of (word, start, end).

    Parameters
    ----------
    words : iterable of str
        User words (for example every lexicon term); each becomes one token.
    backend : {"jieba", "rjieba"}
    hmm : bool
        Let jieba guess unknown words with its HMM (jieba's default).
    """

    def __init__(self, words=(), backend: str = "jieba", hmm: bool = True):
        check_option("backend", backend, BACKENDS)
        self.backend = backend
        self.hmm = hmm
        self.words = tuple(dict.fromkeys(w for w in words if w and " " not in w))
        if backend == "jieba":
            import jieba

            jieba.setLogLevel(logging.WARNING)
            self._tok = jieba.Tokenizer()
            self._tok.initialize()
            for w in self.words:
                self._tok.add_word(w, freq=USER_FREQ)
        else:
            try:
                import rjieba
            except ImportError:
                raise SMError("SM205", "the rjieba tokenizer is not installed.",
                              "pip install 'rjieba>=0.2', or use backend='jieba'.") from None
            self._tok = rjieba.Jieba()
            for w in self.words:
                self._tok.add_word(w, USER_FREQ, None)

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """Tokens of ``text`` with character offsets (end exclusive)."""
        if self.backend == "jieba":
            return list(self._tok.tokenize(text, mode="default", HMM=self.hmm))
        return self._tok.tokenize(text, "default", self.hmm)

    def cut(self, text: str) -> list[str]:
        """Tokens of ``text``."""
        if self.backend == "jieba":
            return self._tok.lcut(text, HMM=self.hmm)
        return self._tok.cut(text, self.hmm)


def get_tokenizer(words=(), backend: str = "jieba", hmm: bool = True) -> Tokenizer:
    """A cached :class:`Tokenizer` for this process (one per word set and backend)."""
    words = tuple(dict.fromkeys(words))
    key = (os.getpid(), backend, hmm, hashlib.sha256("\n".join(words).encode()).hexdigest())
    if key not in _CACHE:
        _CACHE[key] = Tokenizer(words, backend=backend, hmm=hmm)
    return _CACHE[key]
