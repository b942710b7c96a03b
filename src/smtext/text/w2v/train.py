"""Train, save, load and continue Word2Vec models (gensim), reproducibly.

Deterministic mode (the default) trains with one worker thread, a fixed seed and
a hash function that does not depend on ``PYTHONHASHSEED``, so the same corpus
and parameters give bit-identical vectors on every run (tested). With several
workers gensim's thread scheduling makes vectors differ slightly between runs;
that is allowed only with ``deterministic=False``.

Saved models are a folder::

    vectors.bin     KeyedVectors in the word2vec C binary format (no pickle; any tool reads it)
    vocab.txt       word and corpus count per line
    manifest.json   parameters, seeds, corpus hash, tokenizer fingerprint, timings, versions
    model.gensim    (optional) the full training model, needed only to continue training;
                    gensim's native format is a pickle: load it only from sources you trust
"""

from __future__ import annotations

import copy
import json
import os
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ...errors import SMError, check_option, warn
from ...manifest import build_manifest, file_sha256

ARCHITECTURES = ("cbow", "skipgram")


def stable_hashfxn(text: str) -> int:
    """Process-independent string hash for gensim's ``hashfxn`` (crc32; Python's ``hash`` is salted)."""
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class W2VParams:
    """Word2Vec hyper-parameters (every one recorded in the manifest).

    Parameters
    ----------
    architecture : {"cbow", "skipgram"}
    vector_size, window, min_count, epochs, negative : int
        As in :class:`gensim.models.Word2Vec`.
    sample : float
        Down-sampling threshold for frequent words.
    seed : int
        Random seed (initial vectors, negative sampling, down-sampling).
    workers : int
        Training threads; deterministic mode uses 1.
    deterministic : bool
        Force ``workers=1`` so a re-run gives identical vectors.
    alpha, min_alpha : float
        Learning-rate schedule.
    """

    architecture: str = "cbow"
    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    epochs: int = 5
    negative: int = 5
    sample: float = 1e-3
    seed: int = 42
    workers: int = 1
    deterministic: bool = True
    alpha: float = 0.025
    min_alpha: float = 0.0001

    def checked(self) -> W2VParams:
        """Validate; in deterministic mode return a copy with ``workers=1`` (warning SM221 if changed)."""
        check_option("architecture", self.architecture, ARCHITECTURES)
        for name in ("vector_size", "window", "min_count", "epochs", "workers"):
            if int(getattr(self, name)) < 1:
                raise SMError("SM220", f"{name}={getattr(self, name)} must be at least 1.")
        if self.deterministic and self.workers != 1:
            warn("SM221", f"deterministic mode trains with 1 worker, not {self.workers}.",
                 "pass deterministic=False to use several threads (vectors then vary between runs).")
            return replace(self, workers=1)
        return self

    def gensim_kwargs(self) -> dict:
        return dict(sg=int(self.architecture == "skipgram"), vector_size=self.vector_size, window=self.window,
                    min_count=self.min_count, epochs=self.epochs, negative=self.negative, sample=self.sample,
                    seed=self.seed, workers=self.workers, alpha=self.alpha, min_alpha=self.min_alpha,
                    hashfxn=stable_hashfxn)


@dataclass(frozen=True)
class W2VModel:
    """Trained (or loaded) word vectors with the record of how they were made.

    Attributes
    ----------
    wv : gensim.models.KeyedVectors
        The vectors; ``wv.get_vecattr(word, "count")`` is the corpus count.
    manifest : dict
        Parameters, seeds, corpus hash, timings and package versions.
    model : gensim.models.Word2Vec or None
        The training model (``None`` for vectors loaded without it; then
        :meth:`continue_training` is unavailable).
    """

    wv: object
    manifest: dict = field(default_factory=dict)
    model: object | None = field(default=None, repr=False)

    def frequencies(self) -> dict[str, int]:
        """Corpus count of every vocabulary word (0 when the vectors carry no counts)."""
        out = {}
        for w in self.wv.index_to_key:
            try:
                out[w] = int(self.wv.get_vecattr(w, "count"))
            except KeyError:
                out[w] = 0
        return out

    def save(self, folder: str | Path, keep_model: bool = True) -> Path:
        """Write ``vectors.bin``, ``vocab.txt``, ``manifest.json`` (and ``model.gensim``) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.wv.save_word2vec_format(str(folder / "vectors.bin"), fvocab=str(folder / "vocab.txt"), binary=True)
        manifest = dict(self.manifest)
        if keep_model and self.model is not None:
            self.model.save(str(folder / "model.gensim"))
            manifest["model_file"] = "model.gensim"
        manifest["vectors_sha256"] = file_sha256(folder / "vectors.bin")
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
                                              encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, with_model: bool = False) -> W2VModel:
        """Load a folder written by :meth:`save` (the pickled training model only when ``with_model``)."""
        from gensim.models import KeyedVectors, Word2Vec

        folder = Path(folder)
        if not (folder / "vectors.bin").is_file():
            raise SMError("SM222", f"{folder} holds no vectors.bin.", "pass a folder written by W2VModel.save.")
        wv = KeyedVectors.load_word2vec_format(str(folder / "vectors.bin"), fvocab=str(folder / "vocab.txt"),
                                               binary=True)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        model = None
        if with_model:
            if not (folder / "model.gensim").is_file():
                raise SMError("SM222", f"{folder} holds no model.gensim (saved with keep_model=False).",
                              "re-train, or train a new model on the combined corpus.")
            model = Word2Vec.load(str(folder / "model.gensim"))
        return cls(wv, manifest, model)

    def continue_training(self, corpus, epochs: int | None = None) -> W2VModel:
        """Train further on ``corpus`` (new words are added); returns a new model, this one is unchanged."""
        if self.model is None:
            raise SMError("SM223", "these vectors have no training model to continue.",
                          "load with W2VModel.load(folder, with_model=True) or train from scratch.")
        model = copy.deepcopy(self.model)
        started = time.perf_counter()
        model.build_vocab(corpus, update=True)
        epochs = epochs or model.epochs
        trained, raw = model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
        seconds = time.perf_counter() - started
        manifest = copy.deepcopy(self.manifest)
        manifest.setdefault("history", []).append({
            "step": "continue_training", "epochs": epochs, "corpus_hash": _corpus_hash(corpus),
            "words_trained": trained, "raw_words": raw, "seconds": round(seconds, 3)})
        manifest["vocab_size"] = len(model.wv)
        return W2VModel(model.wv, manifest, model)


def _corpus_hash(corpus) -> str | None:
    return corpus.corpus_hash() if hasattr(corpus, "corpus_hash") else None


def train_word2vec(corpus, params: W2VParams | None = None, **overrides) -> W2VModel:
    """Train Word2Vec on a restartable corpus of token lists.

    Parameters
    ----------
    corpus : iterable of list of str
        A :class:`~smtext.text.w2v.corpus.TokenCorpus` (recommended: its hash goes
        into the manifest) or any re-iterable of sentences.
    params : W2VParams, optional
    **overrides
        Fields of :class:`W2VParams` (``architecture="skipgram"``, ``seed=7`` ...).

    Returns
    -------
    W2VModel
        ``manifest["words_per_second"]`` is raw corpus words per second of training.
    """
    from gensim.models import Word2Vec

    params = replace(params or W2VParams(), **overrides).checked()
    if iter(corpus) is corpus:
        raise SMError("SM224", "the corpus is a one-shot iterator; Word2Vec needs several passes.",
                      "pass a TokenCorpus (smtext.text.w2v.tokenize_corpus) or a list of token lists.")
    started = time.perf_counter()
    model = Word2Vec(**params.gensim_kwargs())
    model.build_vocab(corpus)
    if len(model.wv) == 0:
        raise SMError("SM225", f"no word occurs at least min_count={params.min_count} times; the vocabulary is empty.",
                      "use a larger corpus or a smaller min_count.")
    vocab_seconds = time.perf_counter() - started
    trained, raw = model.train(corpus, total_examples=model.corpus_count, epochs=params.epochs)
    seconds = time.perf_counter() - started - vocab_seconds
    manifest = build_manifest(
        "w2v train", asdict(params) | {"hashfxn": "crc32"},
        seeds={"word2vec": params.seed, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED")},
        inputs={"corpus": _corpus_hash(corpus) or "unhashed iterable"},
        extra={"tokenizer_fingerprint": getattr(corpus, "fingerprint", None),
               "n_docs": len(corpus) if hasattr(corpus, "__len__") else None,
               "n_sentences": model.corpus_count, "vocab_size": len(model.wv),
               "words_trained": trained, "raw_words": raw, "seconds_vocab": round(vocab_seconds, 3),
               "seconds_train": round(seconds, 3),
               "words_per_second": round(raw / seconds, 1) if seconds > 0 else None})
    return W2VModel(model.wv, manifest, model)


def load_vectors(path: str | Path, binary: bool | None = None) -> W2VModel:
    """Load a user's pre-trained vectors.

    Parameters
    ----------
    path : path
        A folder written by :meth:`W2VModel.save`, a word2vec binary file
        (``.bin``), or a word2vec/GloVe-with-header text file (``.txt``, ``.vec``,
        e.g. the Tencent AI Lab Chinese embeddings).
    binary : bool, optional
        Force the file format; by default ``.bin`` is binary, anything else text.
    """
    from gensim.models import KeyedVectors

    path = Path(path)
    if path.is_dir():
        return W2VModel.load(path)
    if not path.is_file():
        raise SMError("SM222", f"vector file {path} does not exist.", "check the path.")
    binary = path.suffix == ".bin" if binary is None else binary
    try:
        wv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    except (ValueError, UnicodeDecodeError, EOFError) as exc:
        raise SMError("SM222", f"{path.name} is not a word2vec {'binary' if binary else 'text'} file ({exc}).",
                      "pass binary=True/False to match the file, or convert it to the word2vec format.") from exc
    return W2VModel(wv, {"command": "w2v load_vectors", "source": str(path), "sha256": file_sha256(path),
                         "vocab_size": len(wv)}, None)
