"""Streaming tokenized corpora with a cache keyed by text content and tokenizer configuration.

A :class:`TokenCorpus` is a restartable iterable of sentences (lists of tokens),
the shape gensim's Word2Vec wants; it never holds the tokens in memory: each
document's tokens live in a small UTF-8 file (one sentence per line, tokens
separated by spaces) under ``cache_dir/tok-<config fingerprint>/``.

The cache key is ``sha256(text)`` inside a folder named by the tokenizer
fingerprint, which hashes the *contents* of every user dictionary, the extra
words, the stopwords and every option. Editing the economics dictionary
therefore changes the folder and re-tokenizes; an unchanged configuration
re-uses the files (tested in ``tests/test_w2v_tokens.py``).

jieba is used through one ``jieba.Tokenizer`` instance per configuration and
per worker process (never ``jieba.enable_parallel``, which drops user
dictionaries, jieba #533, and never the global tokenizer).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ...engine import iter_chunks, parallel_map
from ...errors import SMError, check_option, require_columns
from ...manifest import stable_hash

TOKENIZER_VERSION = "1"
NUMBER_MODES = ("drop", "keep", "mask")
BACKENDS = ("jieba", "rjieba")
PUNCT_MODES = ("drop", "keep")
NUM_TOKEN = "<NUM>"

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENT_END = re.compile(r"[。！？!?；;]+")
_PARA = re.compile(r"\n\s*\n")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|\d*\.\d+)%?$")
_PUNCT = re.compile(r"^[\W_]+$")  # CJK characters are \w, so this is punctuation/symbols only
_CJK_OR_PUNCT = re.compile(rf"[{_CJK}\u3000-\u303f\uff00-\uffef]")


def lexicon_dir() -> Path:
    """The shipped ``lexicons/`` folder (see :func:`smtext.text.lexicon.lexicon_dir`)."""
    try:
        from ..lexicon import lexicon_dir as shipped
        return shipped()
    except (ImportError, SMError):
        return Path(__file__).resolve().parents[3] / "lexicons"


def default_userdicts() -> tuple[str, ...]:
    """User dictionaries loaded by default: the economics dictionary and the Word2Vec extras, when present."""
    names = ("econ_userdict.txt", "w2v_userdict_extra.txt")
    return tuple(str(lexicon_dir() / n) for n in names if (lexicon_dir() / n).is_file())


@dataclass(frozen=True)
class TokenizerConfig:
    """Everything that changes the tokens (and therefore the cache key).

    Parameters
    ----------
    userdicts : tuple of str
        jieba user-dictionary files (``word [freq] [tag]`` per line). Default:
        :func:`default_userdicts`. Their *contents* enter the fingerprint.
    words : tuple of str
        Extra words that must stay single tokens (seed words, lexicon terms).
    stopwords : tuple of str
        Tokens to drop.
    numbers : {"drop", "keep", "mask"}
        Pure numbers ("2023", "3.5%"): dropped, kept, or replaced by ``<NUM>``.
        Mixed tokens such as "5G" are words and always kept.
    punctuation : {"drop", "keep"}
        Tokens made only of punctuation or symbols.
    hmm : bool
        jieba's HMM for unknown words.
    lowercase : bool
        Lower-case Latin letters ("AI" and "ai" become one token).
    min_chars : int
        Drop tokens shorter than this (1 keeps single characters).
    backend : {"jieba", "rjieba"}
        Segmenter: jieba (default) or the faster Rust port rjieba (optional
        dependency; user-dictionary words are added with jieba's suggested frequency).
    """

    userdicts: tuple[str, ...] = field(default_factory=default_userdicts)
    words: tuple[str, ...] = ()
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
        """sha256 of the options, the dictionaries' contents and the jieba version."""
        import jieba

        self.validate()
        versions = {"jieba": jieba.__version__}
        if self.backend == "rjieba":
            from importlib.metadata import version
            versions["rjieba"] = version("rjieba")
        dicts = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in self.userdicts]
        spec = {k: v for k, v in asdict(self).items() if k != "userdicts"}
        spec.update(userdict_sha256=dicts, version=TOKENIZER_VERSION, segmenter=versions,
                    words=sorted(set(self.words)), stopwords=sorted(set(self.stopwords)))
        return stable_hash(spec)


class JiebaTokenizer:
    """A private ``jieba.Tokenizer`` with the configured dictionaries, plus token filters.

    Parameters
    ----------
    config : TokenizerConfig
    """

    def __init__(self, config: TokenizerConfig):
        config.validate()
        self.config = config
        self._stop = frozenset(config.stopwords)
        if config.backend == "rjieba":
            try:
                import rjieba
            except ImportError:
                raise SMError("SM212", "the rjieba tokenizer is not installed.",
                              "pip install 'rjieba>=0.2', or use backend='jieba'.") from None
            self._tk = rjieba.Jieba()
            for path in config.userdicts:
                for word, freq, tag in _userdict_entries(path):
                    self._tk.add_word(word, freq, tag)
            for word in config.words:
                self._tk.add_word(word, None, None)
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict" on every worker
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        for path in config.userdicts:
            self._tk.load_userdict(str(path))
        for word in config.words:
            self._tk.add_word(word)

    def cut(self, sentence: str) -> list[str]:
        """Raw segmentation of one sentence (no filtering)."""
        if self.config.backend == "rjieba":
            return self._tk.cut(sentence, self.config.hmm)
        return self._tk.lcut(sentence, HMM=self.config.hmm)

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
        """Tokens of ``text``, sentence by sentence (empty sentences left out)."""
        out = []
        for sent in split_sentences(text):
            toks = [k for t in self.cut(sent) if (k := self._keep(t)) is not None]
            if toks:
                out.append(toks)
        return out


def _userdict_entries(path) -> Iterator[tuple[str, int | None, str | None]]:
    """``(word, freq, tag)`` per line of a jieba user dictionary (freq/tag optional)."""
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        parts = line.strip().split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        yield parts[0], freq, tag


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
_TOKENIZERS: dict[str, JiebaTokenizer] = {}


def get_tokenizer(config: TokenizerConfig, fingerprint: str | None = None) -> JiebaTokenizer:
    """The process-wide tokenizer for ``config`` (built on first use)."""
    key = fingerprint or config.fingerprint()
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = JiebaTokenizer(config)
    return _TOKENIZERS[key]


def _tokenize_batch(job: tuple[str, TokenizerConfig, list[str]]) -> list[str]:
    """Worker: texts -> serialised token files (one sentence per line)."""
    fp, config, texts = job
    tok = get_tokenizer(config, fp)
    return ["\n".join(" ".join(s) for s in tok.sentences(t)) for t in texts]


def text_hash(text: str) -> str:
    """sha256 of the UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TokenCorpus:
    """A restartable, streaming iterable of tokenized sentences.

    Iterating yields ``list[str]`` sentences, document after document, reading
    each document's token file from disk; iterate as often as you like (gensim
    makes one pass for the vocabulary and one per epoch).

    Attributes
    ----------
    doc_ids : list of str
    paths : list of Path
        Token file per document.
    fingerprint : str
        Tokenizer fingerprint.
    text_hashes : list of str
    """

    def __init__(self, doc_ids: list[str], paths: list[Path], fingerprint: str, text_hashes: list[str],
                 stats: dict | None = None):
        self.doc_ids = list(doc_ids)
        self.paths = [Path(p) for p in paths]
        self.fingerprint = fingerprint
        self.text_hashes = list(text_hashes)
        self.stats = stats or {}

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[list[str]]:
        for _, sents in self.documents():
            yield from sents

    def documents(self) -> Iterator[tuple[str, list[list[str]]]]:
        """``(doc_id, sentences)`` per document, streamed."""
        for doc_id, path in zip(self.doc_ids, self.paths):
            text = path.read_text(encoding="utf-8")
            yield doc_id, [ln.split(" ") for ln in text.split("\n") if ln]

    def corpus_hash(self) -> str:
        """sha256 over the tokenizer fingerprint and the documents' text hashes, in order."""
        return stable_hash({"tokenizer": self.fingerprint, "texts": self.text_hashes})

    def word_counts(self) -> Counter:
        """Token frequencies over the whole corpus (one streamed pass)."""
        counts: Counter = Counter()
        for sent in self:
            counts.update(sent)
        return counts

    def n_tokens(self) -> int:
        """Total number of tokens."""
        return sum(len(s) for s in self)


def _iter_docs(docs, id_col: str, text_col: str) -> Iterator[tuple[str, str]]:
    if isinstance(docs, pd.DataFrame):
        require_columns(docs, [id_col, text_col], "documents")
        for doc_id, text in zip(docs[id_col], docs[text_col]):
            yield str(doc_id), "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    else:
        for doc_id, text in docs:
            yield str(doc_id), str(text)


def tokenize_corpus(docs, cache_dir: str | Path, config: TokenizerConfig | None = None, *, jobs: int = 1,
                    scheduler: str | None = None, id_col: str = "path", text_col: str = "text",
                    batch_docs: int = 32, docs_per_round: int = 2048) -> TokenCorpus:
    """Tokenize documents into the cache (only those not cached yet) and return a streaming corpus.

    Parameters
    ----------
    docs : DataFrame or iterable of (doc_id, text)
        A DataFrame with ``id_col`` and ``text_col`` (for example extraction
        output, see :func:`docs_from_pages`), or any iterable of pairs; an
        iterable is consumed in rounds of ``docs_per_round``, so memory stays bounded.
    cache_dir : path
        Cache root; files go to ``cache_dir/tok-<fingerprint[:16]>/``.
    config : TokenizerConfig, optional
        Default: economics user dictionary + Word2Vec extras, numbers and punctuation dropped.
    jobs : int
        Local worker processes (1 = this process).
    scheduler : str, optional
        Dask scheduler address; the work then runs on the cluster (same tokens).
    batch_docs : int
        Documents per task sent to a worker.

    Returns
    -------
    TokenCorpus
        ``stats`` holds ``n_docs``, ``tokenized`` (new) and ``cached`` (re-used) counts.
    """
    config = config or TokenizerConfig()
    fp = config.fingerprint()
    root = Path(cache_dir) / f"tok-{fp[:16]}"
    root.mkdir(parents=True, exist_ok=True)
    meta = root / "config.json"
    if not meta.exists():
        meta.write_text(json.dumps({"fingerprint": fp, **asdict(config)}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
    ids, paths, hashes = [], [], []
    done = new = 0
    for chunk in iter_chunks(_iter_docs(docs, id_col, text_col), docs_per_round):
        todo: dict[str, str] = {}
        for doc_id, text in chunk:
            h = text_hash(text)
            path = root / h[:2] / f"{h}.tok"
            ids.append(doc_id)
            paths.append(path)
            hashes.append(h)
            if path.exists() or h in todo:
                done += 1
            else:
                todo[h] = text
        if not todo:
            continue
        keys = list(todo)
        batches = [(fp, config, [todo[k] for k in part]) for part in iter_chunks(keys, batch_docs)]
        results = parallel_map(_tokenize_batch, batches, jobs=jobs, scheduler=scheduler,
                               description="tokenizing", chunksize=1)
        for part, serialised in zip(iter_chunks(keys, batch_docs), results):
            for h, body in zip(part, serialised):
                path = root / h[:2] / f"{h}.tok"
                path.parent.mkdir(exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(body, encoding="utf-8")
                os.replace(tmp, path)  # atomic: a killed run never leaves half a file
                new += 1
    return TokenCorpus(ids, paths, fp, hashes, {"n_docs": len(ids), "tokenized": new, "cached": done})


def docs_from_pages(pages: pd.DataFrame | str | Path, paths: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
    """Stream ``(path, text)`` from extraction output (``pages.parquet``: ``path, page, text``).

    Pages are joined with blank lines, as :attr:`smtext.text.pdf.ExtractedDocument.text` does.
    A Parquet file is read in record batches, so the whole table is never in memory
    (rows must be grouped by path, as the extraction stage writes them).
    """
    wanted = set(paths) if paths is not None else None
    if isinstance(pages, pd.DataFrame):
        require_columns(pages, ["path", "page", "text"], "pages")
        for path, grp in pages.sort_values(["path", "page"], kind="stable").groupby("path", sort=False):
            if wanted is None or path in wanted:
                yield str(path), "\n\n".join(grp["text"].fillna(""))
        return
    import pyarrow.parquet as pq

    current, buf = None, []
    for batch in pq.ParquetFile(pages).iter_batches(columns=["path", "page", "text"], batch_size=4096):
        for path, text in zip(batch.column("path").to_pylist(), batch.column("text").to_pylist()):
            if path != current:
                if current is not None and (wanted is None or current in wanted):
                    yield current, "\n\n".join(buf)
                current, buf = path, []
            buf.append(text or "")
    if current is not None and (wanted is None or current in wanted):
        yield current, "\n\n".join(buf)
