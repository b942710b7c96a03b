"""The one tokenizer for Chinese text: jieba (default) or rjieba, user dictionaries, token filters.

Used by the counting engine's token mode (:func:`smtext.text.count.count_text` with
``mode="token"``: raw :meth:`Tokenizer.spans`) and by Word2Vec token corpora
(:mod:`smtext.text.w2v.corpus`: filtered :meth:`Tokenizer.sentences`).

A :class:`TokenizerConfig` holds everything that changes the tokens; its
:meth:`~TokenizerConfig.fingerprint` hashes the options, the *contents* of every user
dictionary and the segmenter version, so caches keyed by it re-tokenize when a
dictionary is edited.

Each :class:`Tokenizer` owns its segmenter (``jieba.Tokenizer()`` / ``rjieba.Jieba()``),
never jieba's global one, and never with ``jieba.enable_parallel()`` (which silently
drops user dictionaries, jieba #533). :func:`get_tokenizer` caches one per configuration
per process, so every worker builds its own copy with the same words.

Error codes
-----------
SM205  the optional ``rjieba`` backend is not installed
SM211  a user dictionary does not exist
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import SMError, check_option
from ..manifest import stable_hash

TOKENIZER_VERSION = "1"
BACKENDS = ("jieba", "rjieba")
NUMBER_MODES = ("drop", "keep", "mask")
PUNCT_MODES = ("drop", "keep")
NUM_TOKEN = "<NUM>"
# frequency that makes a lexicon term one token whatever jieba's dictionary says (counting's token mode)
USER_FREQ = 20000

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENT_END = re.compile(r"[。！？!?；;]+")
_PARA = re.compile(r"\n\s*\n")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|\d*\.\d+)%?$")
_PUNCT = re.compile(r"^[\W_]+$")  # CJK characters are \w, so this is punctuation/symbols only
_CJK_OR_PUNCT = re.compile(rf"[{_CJK}\u3000-\u303f\uff00-\uffef]")


def default_userdicts() -> tuple[str, ...]:
    """The shipped economics dictionary and the Word2Vec extras (``lexicons/``), when present."""
    from .lexicon import lexicon_dir

    root = lexicon_dir()
    return tuple(str(root / n) for n in ("econ_userdict.txt", "w2v_userdict_extra.txt") if (root / n).is_file())


@dataclass(frozen=True)
class TokenizerConfig:
    """Everything that changes the tokens (and therefore a cache key).

    Parameters
    ----------
    userdicts : tuple of str
        jieba user-dictionary files (``word [freq] [tag]`` per line). Default:
        :func:`default_userdicts`; ``()`` for none. Their *contents* enter the fingerprint.
    words : tuple of str
        Extra words that must stay single tokens (seed words, lexicon terms); empty
        words and words with a space are ignored, repeats are added once.
    word_freq : int, optional
        Dictionary frequency of ``words``: ``None`` lets the segmenter suggest one
        (jieba's ``add_word`` default); the counting engine uses :data:`USER_FREQ`.
    stopwords : tuple of str
        Tokens :meth:`Tokenizer.sentences` drops.
    numbers : {"drop", "keep", "mask"}
        Pure numbers ("2023", "3.5%") in :meth:`Tokenizer.sentences`: dropped, kept, or
        replaced by ``<NUM>``. Mixed tokens such as "5G" are words and always kept.
    punctuation : {"drop", "keep"}
        Tokens made only of punctuation or symbols, in :meth:`Tokenizer.sentences`.
    hmm : bool
        jieba's HMM for unknown words.
    lowercase : bool
        Lower-case Latin letters in :meth:`Tokenizer.sentences` ("AI" and "ai" become one token).
    min_chars : int
        :meth:`Tokenizer.sentences` drops tokens shorter than this (1 keeps single characters).
    backend : {"jieba", "rjieba"}
        Segmenter: jieba, or the faster Rust port rjieba (optional dependency).
    """

    userdicts: tuple[str, ...] = field(default_factory=default_userdicts)
    words: tuple[str, ...] = ()
    word_freq: int | None = None
    stopwords: tuple[str, ...] = ()
    numbers: str = "drop"
    punctuation: str = "drop"
    hmm: bool = True
    lowercase: bool = True
    min_chars: int = 1
    backend: str = "jieba"

    def validate(self) -> None:
        """Check options and that every user dictionary exists (SM002, SM211)."""
        check_option("numbers", self.numbers, NUMBER_MODES)
        check_option("punctuation", self.punctuation, PUNCT_MODES)
        check_option("backend", self.backend, BACKENDS)
        for path in self.userdicts:
            if not Path(path).is_file():
                raise SMError("SM211", f"user dictionary {path} does not exist.",
                              "check the path; a missing dictionary would silently change the tokens.")

    def fingerprint(self) -> str:
        """sha256 of the options, the dictionaries' contents and the segmenter version."""
        import jieba

        self.validate()
        versions = {"jieba": jieba.__version__}
        if self.backend == "rjieba":
            from importlib.metadata import version
            versions["rjieba"] = version("rjieba")
        dicts = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in self.userdicts]
        spec = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "userdicts"}
        if self.word_freq is None:
            # left out at its default, so the token caches made before the option existed stay valid
            del spec["word_freq"]
        spec.update(userdict_sha256=dicts, version=TOKENIZER_VERSION, segmenter=versions,
                    words=sorted(set(self.words)), stopwords=sorted(set(self.stopwords)))
        return stable_hash(spec)


def _userdict_entries(path) -> Iterator[tuple[str, int | None, str | None]]:
    """``(word, freq, tag)`` per line of a jieba user dictionary (freq/tag optional)."""
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        parts = line.strip().split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        yield parts[0], freq, tag


class Tokenizer:
    """A private segmenter with the configured dictionaries and words, plus token filters.

    Parameters
    ----------
    config : TokenizerConfig
    """

    def __init__(self, config: TokenizerConfig):
        config.validate()
        self.config = config
        self.words = tuple(dict.fromkeys(w for w in config.words if w and " " not in w))
        self._stop = frozenset(config.stopwords)
        if config.backend == "rjieba":
            try:
                import rjieba
            except ImportError:
                raise SMError("SM205", "the rjieba tokenizer is not installed.",
                              "pip install 'rjieba>=0.2', or use backend='jieba'.") from None
            self._tk = rjieba.Jieba()
            for path in config.userdicts:
                for word, freq, tag in _userdict_entries(path):
                    self._tk.add_word(word, freq, tag)
            for word in self.words:
                self._tk.add_word(word, config.word_freq, None)
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict" on every worker
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        for path in config.userdicts:
            self._tk.load_userdict(str(path))
        for word in self.words:
            self._tk.add_word(word, freq=config.word_freq)

    @property
    def backend(self) -> str:
        return self.config.backend

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """Raw tokens of ``text`` with character offsets ``(word, start, end)``, end exclusive."""
        if self.backend == "jieba":
            return list(self._tk.tokenize(text, mode="default", HMM=self.config.hmm))
        return self._tk.tokenize(text, "default", self.config.hmm)

    def cut(self, text: str) -> list[str]:
        """Raw tokens of ``text`` (no filtering)."""
        if self.backend == "jieba":
            return self._tk.lcut(text, HMM=self.config.hmm)
        return self._tk.cut(text, self.config.hmm)

    def _keep(self, tok: str) -> str | None:
        cfg = self.config
        tok = tok.strip()
        if not tok:
            return None
        if cfg.lowercase:
            tok = tok.lower()
        if _NUMBER.match(tok):
            if cfg.numbers == "drop":
                return None
            if cfg.numbers == "mask":
                return NUM_TOKEN
            return tok
        if _PUNCT.match(tok):
            return tok if cfg.punctuation == "keep" else None
        if tok in self._stop or len(tok) < cfg.min_chars:
            return None
        return tok

    def sentences(self, text: str) -> list[list[str]]:
        """Filtered tokens of ``text``, sentence by sentence (:func:`split_sentences`; empty ones left out)."""
        out = []
        for sent in split_sentences(text):
            toks = [k for t in self.cut(sent) if (k := self._keep(t)) is not None]
            if toks:
                out.append(toks)
        return out


def split_sentences(text: str) -> list[str]:
    """Paragraphs (blank lines) -> lines joined -> sentences split at 。！？；.

    A single line break is a wrap: it is removed next to CJK text and becomes a
    space between Latin words, so a word wrapped across lines is not split.
    """
    out = []
    for para in _PARA.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        joined = lines[0]
        for ln in lines[1:]:
            cjk = _CJK_OR_PUNCT.match(joined[-1]) or _CJK_OR_PUNCT.match(ln[0])
            joined += ln if cjk else " " + ln
        out.extend(s for s in _SENT_END.split(joined) if s.strip())
    return out


# one tokenizer per configuration per process: workers build it once, not per document
_CACHE: dict[str, Tokenizer] = {}


def get_tokenizer(config: TokenizerConfig, fingerprint: str | None = None) -> Tokenizer:
    """The process-wide :class:`Tokenizer` for ``config`` (built on first use).

    Parameters
    ----------
    config : TokenizerConfig
    fingerprint : str, optional
        ``config.fingerprint()`` when the caller already has it (it reads the dictionaries).
    """
    key = fingerprint or config.fingerprint()
    if key not in _CACHE:
        _CACHE[key] = Tokenizer(config)
    return _CACHE[key]
