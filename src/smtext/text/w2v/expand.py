"""Seed-word expansion: neighbours of the seeds' mean vector, filtered, with reasons.

For each category the centre is the mean of the unit-length seed vectors
(the same centre gensim's ``most_similar(positive=seeds)`` uses); every
vocabulary word gets its cosine similarity to the centre. A candidate is kept
when it passes, in this order (the first failure is its ``reason``):

``below_threshold``  similarity < ``threshold``
``stopword``         in ``stopwords``
``digits``           contains a digit (when ``exclude_digits``)
``single_char``      one character (when ``exclude_single_char``)
``min_freq``         corpus frequency < ``min_freq``
``assigned_to:<c>``  also a candidate of category ``c`` with a higher similarity
``not_in_screen``    absent from every screening text (paper 002 keeps words that
                     appear in the 2023-2024 government work reports; Latin letters
                     compared case-insensitively)
``beyond_topn``      kept words past the ``topn`` most similar of the category

A seed that is not a vocabulary word (below ``min_count``, or split by the tokenizer)
stays in the table as ``kind=seed`` with ``reason=not_in_vocabulary`` and is kept: a
seed is the concept the lexicon measures, and dropping it silently would lose its
counts (warning SM233 names them).

Default threshold (:data:`DEFAULT_THRESHOLD`, 0.9, the same in the API, the CLI and
the ``nml`` measure): on the demo worlds the planted synonyms sit at >= 0.97 and the
template words of a small corpus rise to 0.85-0.92, so 0.9 keeps the cluster and drops
the frame words (see :mod:`smtext.text.w2v`). It is a property of the model, not a
constant of nature: :attr:`Expansion.diagnostics` gives each category's similarity
distribution over the vocabulary and a suggested cut-off (the middle of the first gap of
at least 0.03 between consecutive similarities, from the top, among the 50 nearest words;
0.923 on the 60-firm demo world, between the last planted synonym at 0.946 and the first
frame word at 0.900; none when the similarities decay without such a gap), and warnings flag a
degenerate model (SM243: the median word is within 0.8 of the seeds, or more than a
quarter of the vocabulary passes) and a tiny vocabulary (SM244: under 100 words; the
smallest demo world, whose templated reports recover every planted synonym, has 145).

The table lists every candidate at or above the threshold plus the next
``review_extra`` words below it, so a reviewer sees what was near the cut-off.
:meth:`Expansion.to_review_csv` writes it; edit the ``kept`` column and read it
back with :func:`read_review_csv` to get the final lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import SMError, require_columns, warn

DEFAULT_THRESHOLD = 0.9
TINY_VOCABULARY = 100        # SM244 below this many words (the 60-firm demo world has 145)
DEGENERATE_MEDIAN = 0.8      # SM243 when the median vocabulary word is this similar to the seeds
DEGENERATE_SHARE = 0.25      # ... or when this share of the vocabulary passes the threshold
GAP_WINDOW = 50              # the suggested cut-off looks at the gaps among this many nearest words
GAP_MIN = 0.03               # ... and takes the first gap at least this wide
COLUMNS = ["word", "category", "kind", "similarity", "rank", "frequency", "screen_count", "kept", "reason"]
_DIGIT = re.compile(r"\d")


def _as_categories(seeds, category: str) -> dict[str, list[str]]:
    if isinstance(seeds, str):
        return {category: [seeds]}
    if isinstance(seeds, Mapping):
        return {str(k): [seeds[k]] if isinstance(seeds[k], str) else list(seeds[k]) for k in seeds}
    return {category: list(seeds)}


def _in_vocab(seed: str, wv) -> str:
    """The vocabulary form of a seed: itself, else its lower-case form when only that is a word."""
    if seed not in wv.key_to_index and seed.lower() in wv.key_to_index:
        return seed.lower()
    return seed


def _keyed_vectors(vectors):
    return getattr(vectors, "wv", vectors)


def _frequencies(vectors, frequencies) -> dict[str, int] | None:
    if frequencies is not None:
        return dict(frequencies)
    wv = _keyed_vectors(vectors)
    try:
        counts = {w: int(wv.get_vecattr(w, "count")) for w in wv.index_to_key}
    except KeyError:
        return None
    return counts if any(counts.values()) else None


@dataclass(frozen=True)
class Expansion:
    """Result of :func:`expand_seeds`.

    Attributes
    ----------
    table : DataFrame
        One row per (word, category) candidate: ``word, category, kind`` (seed or
        expanded), ``similarity`` (cosine to the seeds' mean), ``rank`` (within
        the category, 1 = most similar non-seed word), ``frequency``,
        ``screen_count`` (occurrences in the screening texts; NA without a screen),
        ``kept``, ``reason`` (empty when kept).
    params : dict
        The options used.
    diagnostics : dict
        Per category: ``vocab_size``, ``seeds_missing``, the similarity quantiles of the
        non-seed vocabulary (``p50, p90, p99, max``), ``n_above_threshold``,
        ``share_above_threshold``, ``suggested_threshold`` (middle of the first gap of at least
        0.03 among the 50 nearest words; None without one) and the ``warnings`` raised
        (SM243, SM244, SM233).
    """

    table: pd.DataFrame
    params: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def words(self, category: str | None = None, include_seeds: bool = True) -> list[str]:
        """Kept words (seeds first, then by similarity)."""
        t = self.table[self.table["kept"]]
        if category is not None:
            t = t[t["category"] == category]
        if not include_seeds:
            t = t[t["kind"] != "seed"]
        return list(dict.fromkeys(t["word"]))

    def lexicon(self) -> pd.DataFrame:
        """Kept words as a lexicon table: ``term, category, kind, similarity``."""
        t = self.table[self.table["kept"]]
        return t.rename(columns={"word": "term"})[["term", "category", "kind", "similarity"]].reset_index(drop=True)

    def to_review_csv(self, path: str | Path) -> Path:
        """Write the full table as UTF-8 CSV (with BOM, so Excel shows the Chinese) for manual review."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def summary(self) -> str:
        """One line per category: seeds, kept and dropped counts by reason."""
        lines = []
        for cat, grp in self.table.groupby("category", sort=False):
            drop = grp.loc[~grp["kept"], "reason"].value_counts().to_dict()
            line = (f"{cat}: {int((grp['kind'] == 'seed').sum())} seeds, "
                    f"{int((grp['kept'] & (grp['kind'] != 'seed')).sum())} words kept; dropped {drop}")
            d = self.diagnostics.get(cat)
            if d:
                cut = d["suggested_threshold"]
                line += (f"\n  similarity to the seeds over {d['vocab_size']} words: median {d['p50']:.3f}, "
                         f"p99 {d['p99']:.3f}, max {d['max']:.3f}; {d['n_above_threshold']} at or above "
                         f"{self.params.get('threshold')}; "
                         + (f"suggested cut-off {cut:.3f}" if cut is not None else
                            "suggested cut-off: none (no gap of 0.03 among the nearest words; review the table)"))
                if d["warnings"]:
                    line += f"; warnings {d['warnings']}"
            lines.append(line)
        return "\n".join(lines)


def _suggested_cutoff(sims: np.ndarray) -> float | None:
    """Middle of the first clear gap (>= GAP_MIN) from the top among the nearest words; None without one.

    The first clear gap, not the largest: on the demo worlds the planted cluster ends in a gap of
    0.045 (0.946 -> 0.900) while the frame words below decay into a larger gap further down
    (0.640 -> 0.511); the largest gap would keep the frame words.
    """
    top = np.sort(np.asarray(sims, dtype=float))[::-1][:GAP_WINDOW]
    gaps = top[:-1] - top[1:]
    clear = np.flatnonzero(gaps >= GAP_MIN)
    if not len(clear):
        return None
    i = int(clear[0])
    return round(float((top[i] + top[i + 1]) / 2), 4)


def _diagnose(cat: str, sims: np.ndarray, is_seed: np.ndarray, threshold: float, missing: list) -> dict:
    """Similarity distribution of a category over the non-seed vocabulary, with the warnings it raises."""
    other = sims[~is_seed]
    n = len(sims)
    q = np.quantile(other, [0.5, 0.9, 0.99]) if len(other) else [np.nan] * 3
    above = int((other >= threshold).sum())
    d = {"vocab_size": n, "seeds_missing": list(missing), "p50": round(float(q[0]), 4), "p90": round(float(q[1]), 4),
         "p99": round(float(q[2]), 4), "max": round(float(other.max()), 4) if len(other) else float("nan"),
         "n_above_threshold": above, "share_above_threshold": round(above / max(len(other), 1), 4),
         "suggested_threshold": _suggested_cutoff(other), "warnings": []}
    if n < TINY_VOCABULARY:
        d["warnings"].append("SM244")
        warn("SM244", f"category {cat!r}: the vocabulary has only {n} words; similarities on so small a "
                      "vocabulary are unreliable.",
             "train on more documents (or lower min_count) before trusting the expansion.")
    if len(other) and (q[0] >= DEGENERATE_MEDIAN or d["share_above_threshold"] > DEGENERATE_SHARE):
        d["warnings"].append("SM243")
        warn("SM243", f"category {cat!r}: the model looks degenerate: the median word has similarity "
                      f"{q[0]:.3f} to the seeds and {above} of {len(other)} words pass {threshold}.",
             "train longer or on more text (epochs, documents) before trusting the expansion, and review "
             "the table.")
    if missing:
        d["warnings"].append("SM233")
    return d


def expand_seeds(vectors, seeds, *, threshold: float = DEFAULT_THRESHOLD, topn: int | None = None, min_freq: int = 5,
                 frequencies: Mapping[str, int] | None = None, stopwords: Iterable[str] = (),
                 exclude_digits: bool = True, exclude_single_char: bool = True,
                 screen_texts: Iterable[str] | None = None, review_extra: int = 20,
                 category: str = "seed") -> Expansion:
    """Expand seed words into a lexicon with Word2Vec neighbours.

    Parameters
    ----------
    vectors : W2VModel or gensim KeyedVectors
    seeds : str, sequence of str, or mapping category -> seeds
        One category (named ``category``) or several; a word found near several
        categories goes to the one it is most similar to. A seed that is not a
        vocabulary word but whose lower-case form is (``AI`` -> ``ai``, as the
        default tokenizer writes it) is used in that form.
    threshold : float
        Minimum cosine similarity to the seeds' mean vector (default
        :data:`DEFAULT_THRESHOLD`; see the module docstring and ``diagnostics``).
    topn : int, optional
        Keep at most this many expanded words per category (after all other filters).
    min_freq : int
        Minimum corpus frequency; frequencies come from ``frequencies`` or the
        vectors' counts (vectors without counts skip this filter with warning SM232).
    frequencies : mapping, optional
        Word -> corpus count (e.g. ``TokenCorpus.word_counts()``).
    stopwords : iterable of str
    exclude_digits, exclude_single_char : bool
    screen_texts : iterable of str, optional
        Raw texts of the screening corpus (government work reports); candidates
        that occur in none of them are dropped. ``None`` = no screen.
    review_extra : int
        Words below the threshold also listed (dropped) for review.
    category : str
        Category name when ``seeds`` is not a mapping.

    Returns
    -------
    Expansion
    """
    if not -1.0 <= threshold <= 1.0:
        raise SMError("SM230", f"threshold={threshold} is not a cosine similarity in [-1, 1].")
    if topn is not None and topn < 1:
        raise SMError("SM230", f"topn={topn} must be at least 1 (or None for no cap).")
    cats = _as_categories(seeds, category)
    wv = _keyed_vectors(vectors)
    wv.fill_norms()
    norms = np.where(wv.norms > 0, wv.norms, 1.0)  # cosine without materialising a normalised copy
    vocab = wv.index_to_key
    freq = _frequencies(vectors, frequencies)
    if freq is None and min_freq > 0:
        warn("SM232", "the vectors carry no corpus counts; the min_freq filter is skipped.",
             "pass frequencies=TokenCorpus.word_counts() of your corpus.")
    stop = frozenset(stopwords)
    # the tokenizer lower-cases Latin letters by default: a seed "AI" is the vocabulary word "ai"
    cats = {c: [_in_vocab(s, wv) for s in ss] for c, ss in cats.items()}
    all_seeds = {s for ss in cats.values() for s in ss}

    rows, diagnostics = [], {}
    for cat, cat_seeds in cats.items():
        present = list(dict.fromkeys(s for s in cat_seeds if s in wv.key_to_index))
        missing = [s for s in cat_seeds if s not in wv.key_to_index]
        if not present:
            raise SMError("SM231", f"no seed of category {cat!r} is in the vocabulary: {missing}.",
                          "check the tokenizer keeps the seed as one token (user dictionary) and min_count.")
        if missing:
            warn("SM233", f"{len(missing)} of {len(cat_seeds)} seeds of category {cat!r} are not in the "
                          f"vocabulary: {missing}; they are kept in the lexicon but do not steer the expansion.",
                 "add them to the user dictionary (--word) or lower min_count, and retrain.")
        idx = [wv.key_to_index[s] for s in present]
        centre = (wv.vectors[idx] / norms[idx, None]).mean(axis=0)
        centre /= np.linalg.norm(centre)
        sims = (wv.vectors @ centre) / norms
        # only the top (above threshold + review_extra) words are needed: partial sort, ties by index
        k = min(len(sims), int((sims >= threshold).sum()) + review_extra)
        top = np.argpartition(-sims, k - 1)[:k] if 0 < k < len(sims) else np.arange(len(sims) if k else 0)
        order = top[np.lexsort((top, -sims[top]))]
        is_seed = np.zeros(len(sims), dtype=bool)
        is_seed[[wv.key_to_index[s] for s in all_seeds if s in wv.key_to_index]] = True
        diagnostics[cat] = _diagnose(cat, sims, is_seed, threshold, missing)
        for s in present:
            rows.append({"word": s, "category": cat, "kind": "seed", "similarity": float(sims[wv.key_to_index[s]]),
                         "kept": True, "reason": ""})
        for s in dict.fromkeys(missing):
            rows.append({"word": s, "category": cat, "kind": "seed", "similarity": float("nan"),
                         "kept": True, "reason": "not_in_vocabulary"})
        for i in order:
            w = vocab[i]
            if w in all_seeds:
                continue
            rows.append({"word": w, "category": cat, "kind": "expanded", "similarity": float(sims[i]),
                         "kept": True, "reason": ""})
    t = pd.DataFrame(rows)
    t["frequency"] = t["word"].map(freq).fillna(0).astype(int) if freq is not None else pd.NA
    exp = t["kind"] == "expanded"

    def drop(mask, reason):
        mask = mask & exp & t["kept"]
        t.loc[mask, "kept"] = False
        t.loc[mask, "reason"] = reason

    drop(t["similarity"] < threshold, "below_threshold")
    drop(t["word"].isin(stop), "stopword")
    if exclude_digits:
        drop(t["word"].map(lambda w: bool(_DIGIT.search(w))), "digits")
    if exclude_single_char:
        drop(t["word"].str.len() <= 1, "single_char")
    if freq is not None:
        drop(t["frequency"] < min_freq, "min_freq")
    # de-duplicate across categories: the most similar category wins (ties: first listed)
    live = t[exp & t["kept"]]
    best = live.sort_values("similarity", ascending=False, kind="stable").drop_duplicates("word")
    owner = dict(zip(best["word"], best["category"]))
    other = t["word"].map(owner)
    drop(other.notna() & (other != t["category"]), "assigned_to:" + other.fillna(""))
    t["screen_count"] = pd.NA
    if screen_texts is not None:
        # Latin letters compared case-insensitively, like the counting engine (AI = ai)
        texts = [str(txt).lower() for txt in screen_texts]
        counts = {w: sum(txt.count(w.lower()) for txt in texts) for w in t["word"].unique()}
        t["screen_count"] = t["word"].map(counts).astype(int)
        drop(t["screen_count"] == 0, "not_in_screen")
        if (t.loc[t["kind"] == "seed", "screen_count"] == 0).any():
            warn("SM234", "a seed word does not occur in the screening texts.",
                 "check the screening corpus (government work reports) is the right one.")
    t["rank"] = 0
    t.loc[exp, "rank"] = t[exp].groupby("category")["similarity"].rank(ascending=False, method="first").astype(int)
    if topn is not None:
        kept_rank = t[exp & t["kept"]].groupby("category")["similarity"].rank(ascending=False, method="first")
        drop(t.index.isin(kept_rank[kept_rank > topn].index), "beyond_topn")
    t = t.sort_values(["category", "kind", "similarity"], ascending=[True, False, False], kind="stable")
    params = {"threshold": threshold, "topn": topn, "min_freq": min_freq, "exclude_digits": exclude_digits,
              "exclude_single_char": exclude_single_char, "screened": screen_texts is not None,
              "n_stopwords": len(stop), "seeds": cats}
    return Expansion(t[COLUMNS].reset_index(drop=True), params, diagnostics)


def read_review_csv(path: str | Path, keep_seeds: bool = True) -> pd.DataFrame:
    """Read a (possibly hand-edited) review CSV and return the kept words as a lexicon table.

    The ``kept`` column may hold True/False, 1/0, yes/no; rows a reviewer added
    need only ``word`` and ``category``, plus ``kept`` (their kind is ``manual``).
    Seeds are kept whatever their flag unless ``keep_seeds=False``.

    Returns
    -------
    DataFrame
        ``term, category, kind`` of the kept rows.
    """
    from ..lexicon import review_terms

    t = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    require_columns(t, ["word", "category", "kept"], "review CSV")
    out = review_terms(t, Path(path).name, keep_seeds=keep_seeds)
    return out.rename(columns={"note": "kind"})[["term", "category", "kind"]]


def words_of(lexicon: pd.DataFrame | Sequence[str]) -> list[str]:
    """Terms of a lexicon table (``term`` or ``word`` column) or a list, de-duplicated in order."""
    if isinstance(lexicon, pd.DataFrame):
        col = "term" if "term" in lexicon.columns else "word"
        require_columns(lexicon, [col], "lexicon")
        return list(dict.fromkeys(lexicon[col].astype(str)))
    return list(dict.fromkeys(str(w) for w in lexicon))
