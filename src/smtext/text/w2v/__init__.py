"""Word2Vec measurement: streaming token corpora, training, seed-word expansion, N_ML-style indices.

The pipeline of paper 002's N_ML index, usable for any seed-word indicator
(digital, green, AI, ESG ...)::

    from smtext.text import w2v
    from smtext.text.extract import read_folder
    docs = read_folder("world/reports/analyst", "work/analyst", "analyst_report")   # path, stkcd, year, text
    gov = read_folder("world/reports/gov", "work/gov", "government_report")["text"].dropna()
    res = w2v.build_nml(docs, gov, seeds=("新质生产力",), work_dir="work/nml", panel=firm_years)
    res.expansion.table      # word, category, similarity, frequency, screen_count, kept, reason
    res.index.table          # stkcd, year, n_docs, n_bad_docs, N_ML_count, N_ML

or step by step: :func:`tokenize_corpus` -> :func:`train_word2vec` ->
:func:`expand_seeds` -> :func:`nml_index`. Text comes from an extraction output
(:mod:`smtext.text.extract`), tokens from the one tokenizer (:mod:`smtext.text.tokenize`),
counts from the counting engine and :func:`smtext.text.indices.firm_year_index`.

Modules: ``corpus`` (cached, streaming token corpora), ``train`` (deterministic Word2Vec),
``expand`` (seed expansion with a review table), ``nml`` (N_ML end to end, word-list indices).

Validation on demo worlds (CBOW, 100 dims, window 5, min_count 5, 10 epochs, seed 42,
deterministic, default threshold 0.9, screen = 2023-2024 government work reports):

=========================================  =========  ======  ==========================  =========
world                                      reports    P / R   top cluster vs next word    r(N_ML,
                                                              similarity                  latent)
=========================================  =========  ======  ==========================  =========
300 firms 2011-2023, seed 20240501         3,979      1 / 1   >= 0.993 vs 0.32            0.61
300 firms 2011-2023, seed 20241 (default)  3,975      1 / 1   >= 0.994 vs 0.20            0.59
120 firms 2011-2023, seed 20241            1,499      1 / 1   >= 0.983 vs 0.30            0.57
120 firms 2011-2023, seed 7                1,659      1 / 1   >= 0.977 vs 0.34            0.52
60 firms 2011-2023, seed 7                 813        1 / 1   >= 0.974 vs 0.64            0.55
60 firms 2016-2023, seed 7 (the test)      544        1 / 1   >= 0.981 vs 0.89            > 0.4
=========================================  =========  ======  ==========================  =========

Analyst reports are read without their brokers' boilerplate (disclaimers, certifications, rating
definitions, contact lines: :mod:`smtext.text.boilerplate`, on by default in
:func:`~smtext.text.extract.read_folder`); the demo plants keywords inside it, which N_ML does not count.

P / R: precision and recall of the kept words against the 8 planted synonyms; the two
planted jargon words (新赛道, 硬科技) are as similar as the synonyms and are dropped only
by the government-report screen. N_ML counts equal the planted counts exactly. On a
small corpus frame words of the templates (加快, 引领) rise towards the cluster (0.85-0.92
with 300 reports), which is why the default threshold is 0.9 and not lower. Without the
screen precision is 0.8 (the two jargon words are kept).

The recovery depends on the user dictionary: the shipped ``econ_userdict.txt`` and
``w2v_userdict_extra.txt`` list the planted words (as paper 002's economics dictionary
lists such policy phrases). With no user dictionary jieba splits them (数智化/转型,
新/赛道) and on the 120-firm world only 前沿技术 is found: precision 1, recall 0.125 at 0.9.
"""

from .corpus import TokenCorpus, tokenize_corpus
from .expand import Expansion, expand_seeds, read_review_csv
from .nml import DEFAULT_THRESHOLD, NMLIndex, NMLResult, build_nml, nml_index
from .train import W2VModel, W2VParams, load_vectors, train_word2vec

__all__ = [
    "DEFAULT_THRESHOLD", "Expansion", "NMLIndex", "NMLResult", "TokenCorpus", "W2VModel", "W2VParams", "build_nml",
    "expand_seeds", "load_vectors", "nml_index", "read_review_csv", "tokenize_corpus", "train_word2vec",
]
