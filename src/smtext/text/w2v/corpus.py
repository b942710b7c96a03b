"""Word2Vec token corpora: streaming, restartable, cached by text content and tokenizer configuration.

A :class:`TokenCorpus` is a restartable iterable of sentences (lists of tokens),
the shape gensim's Word2Vec wants; it never holds the tokens in memory: each
document's tokens live in a small UTF-8 file (one sentence per line, tokens
separated by spaces) under ``cache_dir/tok-<config fingerprint>/``.

The cache key is ``sha256(text)`` inside a folder named by the fingerprint of the
:class:`~smtext.text.tokenize.TokenizerConfig`, which hashes the *contents* of every
user dictionary, the extra words, the stopwords and every option. Editing the
economics dictionary therefore changes the folder and re-tokenizes; an unchanged
configuration re-uses the files (tested in ``tests/test_w2v_corpus.py``).

Tokens come from :func:`smtext.text.tokenize.get_tokenizer`: one tokenizer per
configuration and per worker process (local pool or Dask, same tokens).
Documents come from a table or any iterable of ``(doc_id, text)`` pairs, e.g.
:func:`smtext.text.extract.iter_documents` over an extraction output.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ...engine import iter_chunks, parallel_map
from ...errors import require_columns
from ...manifest import stable_hash
from ..tokenize import TokenizerConfig, get_tokenizer


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
        A DataFrame with ``id_col`` and ``text_col`` (for example
        :func:`smtext.text.extract.read_documents`), or any iterable of pairs (for example
        :func:`smtext.text.extract.iter_documents`); an iterable is consumed in rounds
        of ``docs_per_round``, so memory stays bounded.
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


SCOPES = ("full", "mda")


def apply_scope(docs: pd.DataFrame, scope: str = "full", text_col: str = "text",
                status_col: str = "status") -> pd.DataFrame:
    """The documents with ``text_col`` cut to ``scope``: the whole text, or the MD&A section.

    A document whose MD&A is not found keeps no text and gets the section error's code
    (SM110/SM111) as its ``status_col``, so it is missing from a count, not zero; how many
    is printed (warning SM214) and kept in ``frame.attrs["scope_dropped"]``.

    Parameters
    ----------
    docs : DataFrame
        One row per document with ``text_col``.
    scope : {"full", "mda"}
    text_col, status_col : str

    Returns
    -------
    DataFrame
    """
    from ...errors import SMError, check_option, warn
    from ..sections import find_mda

    check_option("scope", scope, SCOPES)
    out = docs.copy()
    if status_col not in out:
        out[status_col] = "ok"
    out[status_col] = out[status_col].fillna("ok").astype(str)
    if scope == "full":
        out.attrs["scope_dropped"] = {}
        return out
    texts, status = [], []
    for text, st in zip(out[text_col], out[status_col]):
        if not isinstance(text, str) or st != "ok":
            texts.append(text)
            status.append(st)
            continue
        try:
            texts.append(find_mda(text).text)
            status.append("ok")
        except SMError as err:
            texts.append(None)
            status.append(err.code)
    out[text_col], out[status_col] = texts, status
    dropped = out.loc[out[status_col].isin(["SM110", "SM111"]), status_col].value_counts().sort_index().to_dict()
    out.attrs["scope_dropped"] = {k: int(v) for k, v in dropped.items()}
    if dropped:
        warn("SM214", f"{sum(dropped.values())} document(s) have no MD&A section that could be found "
                      f"({dropped}); they are left out of the MD&A scope.",
             "check those documents' headings, or use --scope full.")
    return out
