"""Paper 002's N_ML end to end: tokenize analyst reports, train, expand 新质生产力, screen, count.

:func:`build_nml` is the one call the study engine uses. It takes the analyst reports as a
table ``path, stkcd, year, text``: :func:`smtext.text.extract.read_folder` extracts a folder
of PDFs into a resumable extraction output and reads it back, so N_ML reads the same text
as every other measure. :func:`nml_index` counts a word list per firm-year with the
counting engine (:func:`smtext.text.indices.count_documents`, leftmost-longest matching,
no context filter) and :func:`smtext.text.indices.firm_year_index`:
``N_ML = ln(1 + count)``, missing (not zero) where a firm-year has no usable report.

Error/warning codes
-------------------
SM240  the word list of the index is empty
SM241  (warning) documents left out of the index (failed extraction, missing keys)
SM245  (warning) the word list matched nothing in any usable document
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ...errors import SMError, require_columns, warn
from ...manifest import build_manifest, stable_hash
from ..boilerplate import summary as boilerplate_summary
from ..indices import DocumentCounts, count_documents, firm_year_index
from ..lexicon import from_frame
from ..tokenize import TokenizerConfig
from .corpus import tokenize_corpus
from .expand import DEFAULT_THRESHOLD, Expansion, expand_seeds, words_of
from .train import W2VModel, W2VParams, train_word2vec

DEFAULT_SEEDS = ("新质生产力",)


@dataclass(frozen=True)
class NMLIndex:
    """Result of :func:`nml_index`.

    Attributes
    ----------
    table : DataFrame
        Firm-year rows: ``stkcd, year, n_docs, n_bad_docs, <name>_count`` (Int64) and
        ``<name>`` = ln(1 + count) and ``<name>_per10k`` = count per 10,000 characters (Float64);
        all missing where no document was usable.
    counts : DocumentCounts
        Per document (``counts.documents``: ``<name>_count`` ...) and per term (``counts.terms``).
    words : list of str
    name : str
    dropped : dict
        Documents and firm-years left out or missing, by reason.
    """

    table: pd.DataFrame
    counts: DocumentCounts = field(repr=False)
    words: list = field(default_factory=list)
    name: str = "N_ML"
    dropped: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The firm-year table."""
        return self.table

    def summary(self) -> str:
        t = self.table
        n_obs = int(t[self.name].notna().sum())
        return (f"{self.name}: {len(self.words)} words, {n_obs} firm-years measured "
                f"({int((t[f'{self.name}_count'] > 0).sum())} with mentions), "
                f"{int(t[self.name].isna().sum())} missing (no usable document); dropped {self.dropped}")


def nml_index(docs: pd.DataFrame, words, *, name: str = "N_ML", panel: pd.DataFrame | None = None,
              keys=("stkcd", "year"), text_col: str = "text", status_col: str = "status",
              filters=(), jobs: int = 1, scheduler: str | None = None) -> NMLIndex:
    """Count ``words`` in every document and aggregate to firm-years: ``ln(1 + count)``.

    Parameters
    ----------
    docs : DataFrame
        One row per document with ``path``, ``keys`` and ``text_col`` (and optionally
        ``status_col``); documents whose text is missing (failed extraction) or whose
        status is not ``"ok"`` are left out and reported (warning SM241).
    words : Expansion, lexicon DataFrame (``term``/``word`` column) or sequence of str
        Seed and expanded words; for an :class:`~smtext.text.w2v.expand.Expansion` its kept words.
    name : str
        Column name of the index (and key of the counted lexicon).
    panel : DataFrame, optional
        Firm-years (``keys``) the index is wanted for; those without documents get
        ``NA`` (missing, not zero). Without it the table covers the firm-years that
        have documents.
    jobs, scheduler
        Local pool or Dask, as in :func:`smtext.engine.parallel_map` (same result).

    Returns
    -------
    NMLIndex
    """
    from ..lexicon import Lexicon

    if isinstance(words, Lexicon):
        words = words.terms
    terms = words.words() if isinstance(words, Expansion) else words_of(words)
    if not terms:
        raise SMError("SM240", "the word list for the index is empty.",
                      "check the expansion (threshold, screen) or pass the words explicitly.")
    keys = list(keys)
    require_columns(docs, ["path", *keys, text_col], "documents")
    lex = from_frame(pd.DataFrame({"category": "words", "term": terms}), name=name)
    counts = count_documents(docs, {name: lex}, text_col=text_col, id_col="path", status_col=status_col,
                             filters=tuple(filters or ()), jobs=jobs, scheduler=scheduler)
    documents = counts.documents
    for col in (f"{name}_count", "n_chars"):
        if col not in documents:  # no usable document at all
            documents = documents.assign(**{col: pd.array([pd.NA] * len(documents), dtype="Float64")})
    fy = firm_year_index(documents, count_cols=[f"{name}_count"], keys=keys, status_col=status_col, panel=panel)
    dropped = dict(fy.attrs["dropped"])
    left_out = dropped["documents_bad"] + dropped["documents_missing_keys"]
    if left_out:
        warn("SM241", f"{left_out} document(s) left out of {name}: {dropped}.",
             "failed extractions are in failures.csv; their firm-years are missing unless another document covers them.")
    table = fy[[*keys, "n_docs", "n_bad_docs"]].copy()
    table[f"{name}_count"] = fy[f"{name}_count"].astype("Int64")
    table[name] = fy[f"{name}_ln"].astype("Float64")
    table[f"{name}_per10k"] = fy[f"{name}_per10k"].astype("Float64")
    if int((table["n_docs"] - table["n_bad_docs"]).sum()) and not table[f"{name}_count"].fillna(0).any():
        # a word list that never matches is almost always a format or encoding slip, not a finding
        warn("SM245", f"the {len(terms)} word(s) of {name} matched nothing in any usable document: every count is 0.",
             "check the words are written as they appear in the text (simplified characters, no spaces).")
    return NMLIndex(table, counts, list(terms), name, dropped)


@dataclass(frozen=True)
class NMLResult:
    """Everything :func:`build_nml` made; unpacks as ``expansion_table, index_table``.

    Attributes
    ----------
    expansion : Expansion
        Candidates with similarity, frequency, screen counts, kept / reason.
    index : NMLIndex
        Firm-year ``N_ML`` (and per-document counts).
    model : W2VModel
        The trained vectors and their manifest.
    manifest : dict
    """

    expansion: Expansion
    index: NMLIndex
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
        ``path, stkcd, year, text`` (see :func:`smtext.text.extract.read_folder`, which removes the
        brokers' boilerplate by default); rows with missing text (failed extractions) are left out
        and reported. The manifest's ``boilerplate`` entry totals what was removed (``removed: False``
        when the table carries no boilerplate counts).
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
    index = nml_index(analyst_docs, expansion, panel=panel, name=name, jobs=jobs, scheduler=scheduler)
    manifest = build_manifest(
        "w2v build_nml",
        {"seeds": seed_words, "threshold": threshold, "topn": topn, "min_freq": min_freq, "name": name,
         "word2vec": model.manifest.get("parameters"), "tokenizer_fingerprint": corpus.fingerprint},
        seeds={"word2vec": params.seed},
        inputs={"corpus": corpus.corpus_hash(),
                "screen": stable_hash(list(gov_texts)) if gov_texts is not None else "none"},
        extra={"tokens": corpus.stats, "boilerplate": boilerplate_summary(analyst_docs),
               "expansion": expansion.summary(), "diagnostics": expansion.diagnostics, "index": index.summary(),
               "words": index.words, "dropped_documents": index.dropped,
               "train_words_per_second": model.manifest.get("words_per_second")})
    return NMLResult(expansion, index, model, manifest)
