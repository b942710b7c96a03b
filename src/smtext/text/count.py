"""Keyword counting: Aho-Corasick matching with context filters.

``count_text(text, lexicon)`` finds every lexicon term in normalised text and
returns a :class:`CountResult` with per-term and per-category counts, the hits
each context filter removed, and the match positions.

Matching
--------
``mode="leftmost_longest"`` (default)
    Scan left to right; at each position take the longest term; continue after
    it. Nested terms are not double counted: 移动互联网 is one hit, not also 移动互联.
    (pyahocorasick's own ``iter_long`` drops matches near the end of the text, so
    the selection is done here from all candidate matches.)
``mode="overlapping"``
    Every occurrence of every term, nested ones included.
``mode="token"``
    Segment with :mod:`smtext.text.tokenize` (jieba, its own instance, with every
    lexicon term as a user word) and count tokens equal to a term; ``tokenizer="rjieba"``
    uses rjieba. On text where the segmenter keeps terms whole this equals the default.

Automaton: ahocorasick-rs (a Rust DFA) when installed, else pyahocorasick
(``backend=`` chooses). Both report every occurrence and the selection above is
done in Python, so the counts never depend on the backend (tested).

Latin letters are matched case-insensitively (``Fintech`` = ``FinTech``), and a
term that starts or ends with a Latin letter or digit only matches at a word
boundary (``MES`` not inside ``GAMES``, ``B2B`` not inside ``B2B2C``).

Line breaks: the engine works on normalised text in which the corpus module has
already joined CJK line breaks. A term never matches across a line break that
is left (terms cannot contain one), and a line break ends a clause for the
context filters, so a negator on the previous line never negates a term.

Context filters (``filters=``)
------------------------------
``"negation"`` (default, as in 吴非等 2021)
    Drop a hit when a negator (``lexicons/negators.csv``: 不, 没有, 无, 未, 尚未, 非 ...)
    occurs in the same clause within ``window`` characters before it. Words that
    contain a negator character without negating (未来, 不断, 无锡 ...) and other
    lexicon terms (无人零售) are consumed first by leftmost-longest matching.
``"third_party"`` (optional)
    Drop a hit whose clause names a customer, supplier, director or peer
    (``lexicons/third_party_subjects.csv``) within ``subject_window`` characters
    before it (公司主要客户正在推进智能工厂建设). Objects (为客户提供) are exceptions.

A hit removed by several filters is charged to the first filter in ``filters``.

Error codes: SM206 a filter lexicon lacks its ``negator``/``exception`` categories.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import numpy as np
import pandas as pd

try:  # optional, 2-5x faster scan; results are identical (tests/test_count.py checks parity)
    import ahocorasick_rs as _ahors
except ImportError:  # pragma: no cover - depends on the environment
    _ahors = None

from ..errors import SMError, check_option
from .lexicon import Lexicon, load_lexicon

MODES = ("leftmost_longest", "overlapping", "token")
FILTERS = ("negation", "third_party")
TOKENIZERS = ("jieba", "rjieba")
BACKENDS = ("auto", "ahocorasick_rs", "pyahocorasick")
CLAUSE_DELIMS = "，。；！？,;!?：:\n"
SENTENCE_DELIMS = "。！？!?\n"
_CLAUSE_RE = re.compile("[" + re.escape(CLAUSE_DELIMS) + "]")
_SENTENCE_RE = re.compile("[" + re.escape(SENTENCE_DELIMS) + "]+")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_LOWER = {i: i + 32 for i in range(65, 91)}


def fold(text: str) -> str:
    """Lower-case Latin letters without changing the length of the string."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


# ---------------------------------------------------------------- compiled lexicons
class Matcher:
    """A lexicon compiled into an Aho-Corasick automaton (build once, reuse).

    Parameters
    ----------
    lexicon : Lexicon or str
        The lexicon (or a shipped name / a path).
    backend : {"auto", "ahocorasick_rs", "pyahocorasick"}
        Automaton library. ``"auto"`` uses ahocorasick-rs (a DFA, several times
        faster) when it is installed, else pyahocorasick. Both report every
        occurrence, and the selection rules below are applied in Python, so the
        counts do not depend on the backend.

    Raises
    ------
    SMError
        SM003 when ``backend="ahocorasick_rs"`` and the package is not installed.
    """

    def __init__(self, lexicon: Lexicon | str, backend: str = "auto"):
        check_option("backend", backend, BACKENDS)
        if backend == "auto":
            backend = "ahocorasick_rs" if _ahors is not None else "pyahocorasick"
        if backend == "ahocorasick_rs" and _ahors is None:
            raise SMError("SM003", "backend='ahocorasick_rs' needs the ahocorasick-rs package.",
                          'pip install "ahocorasick-rs>=1.0", or use backend="pyahocorasick".')
        self.backend = backend
        self.lexicon = load_lexicon(lexicon)
        terms = self.lexicon.terms
        self.terms = terms["term"].tolist()
        self.categories = terms["category"].tolist()
        self.weights = terms["weight"].to_numpy(float)
        self.lengths = [len(t) for t in self.terms]
        folded = [fold(t) for t in self.terms]
        self.lookup = {f: i for i, f in enumerate(folded)}
        # boundary checks only for terms that start/end with a Latin letter or digit
        self.check_left = [f[0] in _ALNUM for f in folded]
        self.check_right = [f[-1] in _ALNUM for f in folded]
        self.any_latin = any(self.check_left) or any(self.check_right)
        self.max_len = max(self.lengths) if self.terms else 1
        self.automaton = None
        self._rs = None
        if not self.terms:
            return
        if backend == "ahocorasick_rs":
            # a DFA is the fastest scan; its size grows with the lexicon, so very large
            # (user) lexicons fall back to the contiguous NFA
            impl = _ahors.Implementation.DFA if len(folded) <= 20_000 else _ahors.Implementation.ContiguousNFA
            self._rs = _ahors.AhoCorasick(folded, matchkind=_ahors.MatchKind.Standard, implementation=impl)
        else:
            self.automaton = ahocorasick.Automaton()
            for i, f in enumerate(folded):
                self.automaton.add_word(f, i)
            self.automaton.make_automaton()

    def _scan(self, sub: str) -> list[tuple[int, int, int]]:
        """Every occurrence (start, end, term index) in ``sub``, overlapping ones included."""
        if self._rs is not None:
            return [(s, e, i) for i, s, e in self._rs.find_matches_as_indexes(sub, overlapping=True)]
        lengths = self.lengths
        return [(last - lengths[i] + 1, last + 1, i) for last, i in self.automaton.iter(sub)]

    def candidates(self, folded: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
        """All (start, end, term index) occurrences in ``folded[start:end]`` that pass the word-boundary rule.

        Sorted by end position, longer matches first at the same end.
        """
        if not self.terms:
            return []
        n = len(folded)
        end = n if end is None else min(end, n)
        if start >= end:
            return []
        # scan a slice: both libraries would otherwise copy the whole text on every call,
        # which made the per-hit context filters cost O(text length) each
        raw = self._scan(folded if (start == 0 and end == n) else folded[start:end])
        if not raw:
            return []
        raw.sort(key=lambda c: (c[1], c[0]))
        cl, cr = self.check_left, self.check_right
        out = []
        for s, e, idx in raw:
            s += start
            e += start
            # the boundary rule looks at the whole text, not only the slice
            if cl[idx] and s > 0 and folded[s - 1] in _ALNUM:
                continue
            if cr[idx] and e < n and folded[e] in _ALNUM:
                continue
            out.append((s, e, idx))
        return out

    def find(self, folded: str, mode: str = "leftmost_longest", start: int = 0,
             end: int | None = None) -> list[tuple[int, int, int]]:
        """Matches as (start, end, term index), sorted by start."""
        cands = self.candidates(folded, start, end)
        if mode == "overlapping":
            cands.sort(key=lambda c: (c[0], -c[1]))
            return cands
        return leftmost_longest(cands)


def leftmost_longest(cands: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping selection: at each start take the longest, then skip past it."""
    cands = sorted(cands, key=lambda c: (c[0], -c[1]))
    out, pos = [], -1
    for c in cands:
        if c[0] >= pos:
            out.append(c)
            pos = c[1]
    return out


_MATCHERS: dict = {}


def compile_lexicon(lexicon: Lexicon | str, backend: str = "auto") -> Matcher:
    """A cached :class:`Matcher` for ``lexicon`` (keyed by its content hash and the backend)."""
    lex = load_lexicon(lexicon)
    key = (lex.sha256, lex.name, backend)
    if key not in _MATCHERS:
        if len(_MATCHERS) > 64:
            _MATCHERS.clear()
        _MATCHERS[key] = Matcher(lex, backend=backend)
    return _MATCHERS[key]


# ---------------------------------------------------------------- context filters
class ContextFilter:
    """Drop a hit when a cue word occurs in the same clause shortly before it.

    Parameters
    ----------
    name : str
        Filter name used in removal counts.
    cues : Lexicon
        Lexicon with cue categories and an ``exception`` category.
    window : int
        Characters before the hit that are searched (within the clause).
    guard_terms : list of str
        Terms consumed like exceptions (the counted lexicon's own terms), so that
        a cue character inside another term (无 in 无人零售) is not a cue.
    backend : str
        Automaton library (see :class:`Matcher`).
    """

    def __init__(self, name: str, cues: Lexicon, window: int, guard_terms=(), backend: str = "auto"):
        self.name = name
        self.window = int(window)
        cue_terms = cues.terms.loc[cues.terms["category"] != "exception", "term"].tolist()
        exc_terms = cues.terms.loc[cues.terms["category"] == "exception", "term"].tolist()
        if not cue_terms:
            raise SMError("SM206", f"filter lexicon {cues.name} has no cue words (only 'exception' rows).",
                          "add rows with a category other than 'exception'.")
        rows = [("cue", t) for t in cue_terms] + [("exception", t) for t in exc_terms]
        cue_set = {fold(t) for t in cue_terms}
        rows += [("exception", t) for t in guard_terms if fold(t) not in cue_set]
        frame = pd.DataFrame(rows, columns=["category", "term"])
        frame["term"] = frame["term"].map(fold)
        frame = frame.drop_duplicates("term", keep="first")
        from .lexicon import from_frame

        self.matcher = Matcher(from_frame(frame, name=f"{name}_cues"), backend=backend)
        self.is_cue = [c == "cue" for c in self.matcher.categories]
        self.lookback = self.matcher.max_len - 1

    def cue_before(self, folded: str, start: int) -> str | None:
        """The cue word that triggers the filter for a hit starting at ``start`` (None if none)."""
        lo = max(0, start - self.window)
        seg = folded[lo:start]
        last = None
        for m in _CLAUSE_RE.finditer(seg):
            last = m.end()
        ws = lo + (last or 0)
        if ws >= start:
            return None
        # scan from a little earlier so that an exception starting before the window is seen whole
        clause_lo = ws if last is not None else max(0, ws - self.lookback)
        if last is None and clause_lo < ws:
            before = folded[clause_lo:ws]
            cut = None
            for m in _CLAUSE_RE.finditer(before):
                cut = m.end()
            if cut is not None:
                clause_lo += cut
        for s, _e, idx in self.matcher.find(folded, "leftmost_longest", clause_lo, start):
            if s >= ws and _e <= start and self.is_cue[idx]:
                return self.matcher.terms[idx]
        return None


_FILTERS: dict = {}


def _get_filter(name: str, matcher: Matcher, window: int, cue_lexicon) -> ContextFilter:
    cues = load_lexicon(cue_lexicon)
    key = (name, matcher.lexicon.sha256, cues.sha256, window, matcher.backend)
    if key not in _FILTERS:
        if len(_FILTERS) > 64:
            _FILTERS.clear()
        _FILTERS[key] = ContextFilter(name, cues, window, guard_terms=matcher.terms, backend=matcher.backend)
    return _FILTERS[key]


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class CountResult:
    """Keyword counts of one text.

    Attributes
    ----------
    lexicon : str
        Lexicon name.
    hits : tuple of (start, end, term, category, weight, status, cue)
        Every match; ``status`` is ``"kept"`` or the name of the filter that removed
        it and ``cue`` the negator/subject that triggered the filter.
    categories : tuple of str
        All categories of the lexicon (zero counts included).
    n_chars, n_sentences, n_sentences_hit : int
        Length of the text, sentences (split at 。！？ and line breaks) and
        sentences with at least one kept hit.
    filters : tuple of str
    mode : str
    """

    lexicon: str
    hits: tuple = field(repr=False)
    categories: tuple = field(repr=False)
    n_chars: int = 0
    n_sentences: int = 0
    n_sentences_hit: int = 0
    filters: tuple = ()
    mode: str = "leftmost_longest"

    @property
    def matches(self) -> pd.DataFrame:
        """One row per hit: ``start, end, term, category, weight, status, cue``."""
        cols = ["start", "end", "term", "category", "weight", "status", "cue"]
        frame = pd.DataFrame(list(self.hits), columns=cols)
        return frame.astype({"start": "int64", "end": "int64", "weight": "float64"})

    @property
    def kept(self) -> pd.DataFrame:
        """Hits that passed every filter."""
        m = self.matches
        return m[m["status"] == "kept"]

    @property
    def total(self) -> int:
        """Number of kept hits."""
        return sum(1 for h in self.hits if h[5] == "kept")

    @property
    def weighted_total(self) -> float:
        """Sum of the weights of kept hits (equals ``total`` for unweighted lexicons)."""
        return float(sum(h[4] for h in self.hits if h[5] == "kept"))

    @property
    def raw_total(self) -> int:
        """Hits before filtering."""
        return len(self.hits)

    @property
    def removed(self) -> dict[str, int]:
        """Hits removed by each filter (every requested filter is listed, zeros included)."""
        c = Counter(h[5] for h in self.hits)
        return {f: int(c.get(f, 0)) for f in self.filters}

    @property
    def term_counts(self) -> pd.Series:
        """Kept hits per term (terms with hits only), sorted by term."""
        c = Counter(h[2] for h in self.hits if h[5] == "kept")
        return pd.Series(dict(sorted(c.items())), dtype="int64")

    @property
    def category_counts(self) -> pd.Series:
        """Kept hits per category, every category listed."""
        c = Counter(h[3] for h in self.hits if h[5] == "kept")
        return pd.Series({k: int(c.get(k, 0)) for k in self.categories}, dtype="int64")

    def term_rows(self) -> list[dict]:
        """Per-term records ``term, category, n, removed_<filter>`` (terms with any hit)."""
        table: dict = {}
        for h in self.hits:
            rec = table.get(h[2])
            if rec is None:
                rec = table[h[2]] = {"term": h[2], "category": h[3], "n": 0,
                                     **{f"removed_{f}": 0 for f in self.filters}}
            if h[5] == "kept":
                rec["n"] += 1
            else:
                rec[f"removed_{h[5]}"] += 1
        return sorted(table.values(), key=lambda r: (r["category"], r["term"]))

    def tidy(self) -> pd.DataFrame:
        """Per-term table: ``term, category, n`` (kept) and ``removed_<filter>`` columns."""
        cols = ["term", "category", "n"] + [f"removed_{f}" for f in self.filters]
        return pd.DataFrame(self.term_rows(), columns=cols)

    def as_row(self, prefix: str | None = None) -> dict:
        """Flat dict for a per-document table (see :func:`smtext.text.indices.count_documents`).

        Keys: ``<p>_count`` (kept hits), ``<p>_raw`` (before filters), ``<p>_sent``
        (sentences with a kept hit), ``<p>_removed_<filter>``, ``<p>__<category>``;
        ``p`` is ``prefix`` or the lexicon name.
        """
        p = prefix if prefix is not None else self.lexicon
        kept = Counter(h[3] for h in self.hits if h[5] == "kept")
        row = {f"{p}_count": sum(kept.values()), f"{p}_raw": len(self.hits), f"{p}_sent": self.n_sentences_hit}
        for f, n in self.removed.items():
            row[f"{p}_removed_{f}"] = n
        for c in self.categories:
            row[f"{p}__{c}"] = int(kept.get(c, 0))
        return row

    def summary(self) -> str:
        """A short text summary."""
        rem = ", ".join(f"{k} removed {v}" for k, v in self.removed.items()) or "no filters"
        return (f"{self.lexicon}: {self.total} hits ({self.raw_total} before filters; {rem}) in "
                f"{self.n_chars} characters; {self.n_sentences_hit}/{self.n_sentences} sentences with a hit")


# ---------------------------------------------------------------- counting
_SENTENCE_CODES = np.array([ord(c) for c in SENTENCE_DELIMS], dtype=np.uint32)


def _n_sentences(text: str) -> int:
    """Sentences = runs of 。！？!? / line breaks, plus a last sentence without a delimiter.

    Vectorised over the code points (UTF-32, so indices equal ``str`` indices):
    the regex scan it replaces created one match object per sentence.
    """
    if not text.strip():
        return 0
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    is_delim = codes == _SENTENCE_CODES[0]
    for c in _SENTENCE_CODES[1:]:
        is_delim |= codes == c
    runs = int(is_delim[0]) + int(np.count_nonzero(is_delim[1:] & ~is_delim[:-1]))
    return runs + (1 if runs == 0 or not is_delim[-1] else 0)


def _n_sentences_hit(text: str, starts) -> int:
    """Distinct sentences containing a hit start.

    Two consecutive hits a < b are in different sentences exactly when a run of
    delimiters ends in (a, b]; only the text between neighbouring hits is looked at.
    """
    starts = sorted(set(starts))
    if not starts:
        return 0
    n = 1
    search = _SENTENCE_RE.search
    for a, b in zip(starts, starts[1:]):
        m = search(text, a)
        if m is not None and m.end() <= b:
            n += 1
    return n


def _sentence_stats(text: str, starts: list[int]) -> tuple[int, int]:
    return _n_sentences(text), _n_sentences_hit(text, starts)


def _token_matches(text: str, folded: str, matcher: Matcher, tokenizer) -> list[tuple[int, int, int]]:
    from .tokenize import USER_FREQ, Tokenizer, TokenizerConfig, get_tokenizer

    if isinstance(tokenizer, Tokenizer):
        tok = tokenizer
    else:
        check_option("tokenizer", tokenizer, TOKENIZERS)
        # no user dictionary: every lexicon term is a user word with a high frequency, so it stays one token
        tok = get_tokenizer(TokenizerConfig(userdicts=(), words=tuple(matcher.terms), word_freq=USER_FREQ,
                                            backend=tokenizer))
    out = []
    lookup = matcher.lookup
    for word, s, e in tok.spans(text):
        idx = lookup.get(fold(word))
        if idx is None:
            continue
        if matcher.check_left[idx] and s > 0 and folded[s - 1] in _ALNUM:
            continue
        if matcher.check_right[idx] and e < len(folded) and folded[e] in _ALNUM:
            continue
        out.append((s, e, idx))
    return out


def count_text(text: str, lexicon: Lexicon | Matcher | str, filters=("negation",), mode: str = "leftmost_longest",
               window: int = 6, subject_window: int = 10, negators="negators",
               subjects="third_party_subjects", tokenizer="jieba", sentences: bool = True,
               backend: str = "auto", exclusions=()) -> CountResult:
    """Count lexicon terms in one normalised text.

    Parameters
    ----------
    text : str
        Normalised text (CJK line breaks already joined, see :mod:`smtext.text.normalize`).
    lexicon : Lexicon, Matcher or str
        Lexicon object, compiled matcher, shipped name or CSV path.
    filters : sequence of {"negation", "third_party"}
        Context filters, applied in this order; ``()`` counts every mention.
    mode : {"leftmost_longest", "overlapping", "token"}
        Matching rule (see the module docstring).
    window : int
        Characters before a hit searched for a negator (same clause). Default 6.
    subject_window : int
        Characters before a hit searched for a third-party subject (same clause). Default 10.
    negators, subjects : Lexicon or str
        Cue lexicons of the two filters (shipped names by default).
    tokenizer : {"jieba", "rjieba"} or smtext.text.tokenize.Tokenizer
        Segmenter for ``mode="token"``.
    sentences : bool
        Compute sentence counts (needed for the share of sentences with a hit);
        ``False`` leaves ``n_sentences`` and ``n_sentences_hit`` at 0.
    backend : {"auto", "ahocorasick_rs", "pyahocorasick"}
        Automaton library when ``lexicon`` is not already compiled (same counts).
    exclusions : sequence of str
        Longer strings inside which a hit is not a mention (``环境保护部门`` for the term
        ``环境保护``; see :func:`read_exclusions` and ``smtext index validate``). A hit kept
        by the filters whose span lies within an occurrence of one of them gets status
        ``"exclusions"``, counted as removed like a filter's hits.

    Returns
    -------
    CountResult

    Examples
    --------
    >>> r = count_text("公司推进移动互联网业务，尚未开展区块链业务。", "wufei2021_digital")
    >>> r.total, r.removed
    (1, {'negation': 1})
    """
    check_option("mode", mode, MODES)
    filters = tuple(filters or ())
    for f in filters:
        check_option("filters", f, FILTERS)
    if not isinstance(text, str):
        raise SMError("SM207", f"count_text needs a str, got {type(text).__name__}.",
                      "a missing document is not an empty text: skip it or flag it (see smtext.text.indices).")
    matcher = lexicon if isinstance(lexicon, Matcher) else compile_lexicon(lexicon, backend=backend)
    folded = fold(text)
    if mode == "token":
        hits = _token_matches(text, folded, matcher, tokenizer)
    else:
        hits = matcher.find(folded, mode)
    active = []
    for f in filters:
        if f == "negation":
            active.append(_get_filter("negation", matcher, window, negators))
        else:
            active.append(_get_filter("third_party", matcher, subject_window, subjects))
    status, cue = [], []
    for s, _e, _i in hits:
        st, cw = "kept", ""
        for flt in active:
            w = flt.cue_before(folded, s)
            if w is not None:
                st, cw = flt.name, w
                break
        status.append(st)
        cue.append(cw)
    if exclusions:
        spans = _exclusion_spans(folded, exclusions)
        status = [("exclusions" if st == "kept" and _inside(spans, s, e) else st)
                  for (s, e, _i), st in zip(hits, status)]
        filters = (*filters, "exclusions")
    terms, cats, weights = matcher.terms, matcher.categories, matcher.weights
    out = tuple((s, e, terms[i], cats[i], float(weights[i]), st, cw)
                for (s, e, i), st, cw in zip(hits, status, cue))
    n_sent, n_hit = (_sentence_stats(text, [h[0] for h in out if h[5] == "kept"]) if sentences else (0, 0))
    return CountResult(lexicon=matcher.lexicon.name, hits=out, categories=tuple(dict.fromkeys(cats)),
                       n_chars=len(text), n_sentences=n_sent, n_sentences_hit=n_hit, filters=filters, mode=mode)


def read_exclusions(path) -> tuple[str, ...]:
    """Strings of an exclusion file: UTF-8, one a line, ``#`` starts a comment line, blanks skipped.

    The file ``smtext index validate`` writes (``exclusions.txt``) and ``smtext index count
    --exclude`` reads. Strings are normalised as lexicon terms (full-width ASCII made
    half-width); duplicates are dropped, the order kept.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    tuple of str

    Raises
    ------
    SMError
        SM257 when the file is missing or not UTF-8.
    """
    from .lexicon import normalize_term

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise SMError("SM257", f"exclusion file {path} cannot be read ({type(err).__name__}).",
                      "write it as UTF-8 text, one string a line.") from None
    out = [normalize_term(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return tuple(dict.fromkeys(out))


def _exclusion_spans(folded: str, exclusions) -> list[tuple[int, int]]:
    """Sorted (start, end) of every occurrence of every exclusion string in the folded text."""
    spans = []
    for x in dict.fromkeys(fold(str(x)) for x in exclusions if str(x)):
        i = folded.find(x)
        while i >= 0:
            spans.append((i, i + len(x)))
            i = folded.find(x, i + 1)
    return sorted(spans)


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True when [start, end) lies within one of ``spans`` (sorted by start)."""
    from bisect import bisect_left, bisect_right

    longest = max(b - a for a, b in spans) if spans else 0
    # a span holding the hit starts at most `longest` characters before it
    lo, hi = bisect_left(spans, (start - longest, -1)), bisect_right(spans, (start, float("inf")))
    return any(b >= end for _a, b in spans[lo:hi])


def classify(texts, lexicon: Lexicon | str = "rd_subsidy", categories=None) -> pd.Series:
    """True for each text that contains at least one term of ``lexicon`` (no context filters).

    Used for short labels such as government-grant line items (研发 / 科技 / 技术改造 ... ->
    R&D-related, papers 002 and 004).

    Parameters
    ----------
    texts : iterable of str
        Labels; missing values give ``pd.NA``.
    lexicon : Lexicon or str
    categories : list of str, optional
        Only terms of these categories count.

    Returns
    -------
    pandas.Series of nullable bool, aligned with ``texts``.
    """
    lex = load_lexicon(lexicon)
    if categories is not None:
        lex = lex.subset(categories)
    matcher = compile_lexicon(lex)
    index = texts.index if isinstance(texts, pd.Series) else None
    out = []
    for t in texts:
        if not isinstance(t, str):
            out.append(pd.NA)
        else:
            out.append(bool(matcher.candidates(fold(t))))
    return pd.Series(out, index=index, dtype="boolean")
