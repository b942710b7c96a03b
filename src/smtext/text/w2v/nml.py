"""Paper 002's N_ML end to end: tokenize analyst reports, train, expand 新质生产力, screen, count.

:func:`build_nml` is the one call the main job uses; :func:`read_documents`
turns a folder of PDFs (analyst reports, government work reports) into the
``path, stkcd, year, text`` table it takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ...engine import parallel_map
from ...errors import SMError, require_columns
from ...manifest import build_manifest, stable_hash
from ..corpus import scan
from .expand import Expansion, expand_seeds
from .index import TextIndex, text_index
from .tokens import TokenizerConfig, tokenize_corpus
from .train import W2VModel, W2VParams, train_word2vec

# chosen on the demo world (see the package docstring for precision/recall)
DEFAULT_THRESHOLD = 0.9
DEFAULT_SEEDS = ("新质生产力",)


def _extract_text(path: str) -> dict:
    from ..pdf import extract_pdf

    try:
        doc = extract_pdf(path)
    except SMError as err:
        return {"text": None, "status": err.code}
    return {"text": doc.text, "status": "ok"}


def read_documents(folder: str | Path, doc_type: str | None = "analyst_report", jobs: int = 1,
                   scheduler: str | None = None) -> pd.DataFrame:
    """Scan ``folder`` for PDFs of ``doc_type`` and extract their text.

    Every file is kept (several analyst reports per firm-year are normal, so no
    one-per-firm-year selection is applied). Failed extractions keep their row
    with ``text = None`` and the reason code in ``status``.

    Returns
    -------
    DataFrame
        ``path`` (relative to ``folder``), ``stkcd``, ``year``, ``doc_type``, ``text``, ``status``.
    """
    found = scan(folder)
    if doc_type is not None:
        found = found[found["doc_type"] == doc_type]
    if found.empty:
        raise SMError("SM242", f"no {doc_type or ''} PDF under {folder}.",
                      "check the folder and the file names (see smtext.text.corpus.parse_filename).")
    root = Path(folder)
    recs = parallel_map(_extract_text, [str(root / p) for p in found["path"]], jobs=jobs, scheduler=scheduler,
                        description="extracting")
    out = found[["path", "stkcd", "year", "doc_type"]].reset_index(drop=True)
    return pd.concat([out, pd.DataFrame.from_records(recs)], axis=1)


@dataclass(frozen=True)
class NMLResult:
    """Everything :func:`build_nml` made; unpacks as ``expansion_table, index_table``.

    Attributes
    ----------
    expansion : Expansion
        Candidates with similarity, frequency, screen counts, kept / reason.
    index : TextIndex
        Firm-year ``N_ML`` (and per-document counts).
    model : W2VModel
        The trained vectors and their manifest.
    manifest : dict
    """

    expansion: Expansion
    index: TextIndex
    model: W2VModel = field(repr=False)
    manifest: dict = field(default_factory=dict, repr=False)

    def __iter__(self):
        yield self.expansion.table
        yield self.index.table


def build_nml(analyst_docs: pd.DataFrame, gov_texts, seeds=DEFAULT_SEEDS, *, work_dir: str | Path,
              panel: pd.DataFrame | None = None, threshold: float = DEFAULT_THRESHOLD, topn: int | None = None,
              min_freq: int = 5, params: W2VParams | None = None, tokenizer: TokenizerConfig | None = None,
              name: str = "N_ML", jobs: int = 1, scheduler: str | None = None, save_model: bool = True) -> NMLResult:
    """Build paper 002's N_ML (or any seed-word index) from analyst reports.

    Steps: tokenize the reports (jieba + economics user dictionary, seeds kept
    whole; cached under ``work_dir/tokens``), train Word2Vec (deterministic by
    default), expand the seeds above ``threshold`` (optionally capped at
    ``topn``), keep candidates that occur in ``gov_texts`` (the 2023-2024
    government work reports), and count seed + kept words per firm-year:
    ``N_ML = ln(1 + count)``, missing for firm-years without reports.

    Parameters
    ----------
    analyst_docs : DataFrame
        ``path, stkcd, year, text`` (see :func:`read_documents`); rows with missing text are dropped and reported.
    gov_texts : sequence of str or None
        Screening texts; ``None`` skips the screen.
    seeds : sequence of str or mapping
    work_dir : path
        Token cache, saved model (``work_dir/model``) and review CSV (``work_dir/expansion_review.csv``).
    panel : DataFrame, optional
        Firm-years wanted in the index (missing where there are no reports).
    threshold, topn, min_freq
        Expansion options (see :func:`smtext.text.w2v.expand_seeds`).
    params : W2VParams, optional
        Word2Vec options; default CBOW, 100 dimensions, window 5, min_count 5, 10 epochs, seed 42, deterministic.
    tokenizer : TokenizerConfig, optional
        Default: shipped user dictionaries plus the seeds as words.

    Returns
    -------
    NMLResult
        ``expansion_table, nml_table = build_nml(...)`` also works.
    """
    require_columns(analyst_docs, ["path", "stkcd", "year", "text"], "analyst documents")
    work_dir = Path(work_dir)
    seed_words = [s for v in (seeds.values() if isinstance(seeds, dict) else [seeds]) for s in
                  ([v] if isinstance(v, str) else v)]
    tok_cfg = tokenizer or TokenizerConfig()
    tok_cfg = replace(tok_cfg, words=tuple(dict.fromkeys(tok_cfg.words + tuple(seed_words))))
    params = params or W2VParams(epochs=10)
    usable = analyst_docs[analyst_docs["text"].notna()]
    corpus = tokenize_corpus(usable, work_dir / "tokens", tok_cfg, jobs=jobs, scheduler=scheduler)
    model = train_word2vec(corpus, params)
    if save_model:
        model.save(work_dir / "model")
    expansion = expand_seeds(model, seeds, threshold=threshold, topn=topn, min_freq=min_freq,
                             screen_texts=None if gov_texts is None else list(gov_texts),
                             category="nqpf" if tuple(seed_words) == DEFAULT_SEEDS else "seed")
    expansion.to_review_csv(work_dir / "expansion_review.csv")
    index = text_index(analyst_docs, expansion, panel=panel, name=name, jobs=jobs, scheduler=scheduler)
    manifest = build_manifest(
        "w2v build_nml",
        {"seeds": seed_words, "threshold": threshold, "topn": topn, "min_freq": min_freq, "name": name,
         "word2vec": model.manifest.get("parameters"), "tokenizer_fingerprint": corpus.fingerprint},
        seeds={"word2vec": params.seed},
        inputs={"corpus": corpus.corpus_hash(),
                "screen": stable_hash(list(gov_texts)) if gov_texts is not None else "none"},
        extra={"tokens": corpus.stats, "expansion": expansion.summary(), "index": index.summary(),
               "words": index.words, "dropped_documents": index.dropped,
               "train_words_per_second": model.manifest.get("words_per_second")})
    return NMLResult(expansion, index, model, manifest)
