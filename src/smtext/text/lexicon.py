"""Load and validate keyword lexicons with their provenance.

A lexicon is a UTF-8 CSV with columns ``category,term`` (optionally ``weight`` and
``note``) and a sidecar ``<name>.meta.json`` naming the publication, authors,
year, version, source, licence and how the list was built. Lines starting with
``#`` before the header are comments. Shipped lexicons live in the repository's
``lexicons/`` folder (or ``<prefix>/share/smtext/lexicons`` in an installed
copy); a user passes the path of their own CSV instead of a name.

Every counter (``smtext index count``, ``smtext w2v index``, the ``text`` measure of a
spec) reads lexicons through :func:`load_lexicon`, which also accepts a Word2Vec review
file (``word,category,kept`` from ``smtext w2v expand``): its kept rows become the terms,
and its seeds are kept whatever their ``kept`` flag says (a seed is the concept itself).
``smtext lexicon from-review`` turns a review file into a plain lexicon with a
provenance sidecar (seeds, model hash, threshold and the manual edits as a diff).

Terms are normalised like the text they are matched against (full-width ASCII
to half-width, surrounding spaces stripped), so a lexicon written with ``ＭＥＳ``
matches ``MES`` in normalised report text.

Error codes (SM2xx, text measures)
----------------------------------
SM201  lexicon not found (name not shipped, path missing, lexicon folder absent)
SM202  lexicon file malformed (missing columns, empty or multi-line terms, bad weights)
SM203  a term is listed twice (in the same or in two categories)
SM204  (warning) a user lexicon has no ``.meta.json`` sidecar: provenance not recorded
SM235  a review file's ``kept`` values are not yes/no
SM246  ``lexicon_from_review`` was given a file that is not a review file
SM247  ``lexicon_from_review``: the expansion manifest next to the review file is missing
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SMError, warn
from .normalize import fullwidth_to_halfwidth

META_FIELDS = ("publication", "authors", "year", "version", "source", "licence", "how_built")
# lexicons whose rows are not category/term keyword lists (IPC concordances of the patents module)
_NOT_KEYWORD_LISTS = ("sei_ipc_2021", "cnipa_key_digital_tech_2023_ipc", "city_coordinates")
# parsed files, keyed by path + modification stamp (a lexicon is read once per process;
# treat the returned object as read-only)
_LOADED: dict = {}


def lexicon_dir() -> Path:
    """Folder of the shipped lexicons.

    The repository's ``lexicons/`` (``src/smtext/text/lexicon.py`` -> repo root) in a
    source checkout, else ``<sys.prefix>/share/smtext/lexicons``.

    Raises
    ------
    SMError
        SM201 when neither folder exists.
    """
    candidates = [Path(__file__).resolve().parents[3] / "lexicons",
                  Path(sys.prefix) / "share" / "smtext" / "lexicons"]
    for path in candidates:
        if path.is_dir():
            return path
    raise SMError("SM201", f"the lexicon folder was not found (looked in {[str(c) for c in candidates]}).",
                  "run from a source checkout of smtext or reinstall it; or pass the path of a lexicon CSV.")


def list_lexicons() -> list[str]:
    """Names of the shipped keyword lexicons (without ``.csv``)."""
    return sorted(p.stem for p in lexicon_dir().glob("*.csv") if p.stem not in _NOT_KEYWORD_LISTS)


def normalize_term(term: str) -> str:
    """A term as it appears in normalised text: half-width ASCII, no surrounding spaces."""
    return fullwidth_to_halfwidth(str(term)).strip()


@dataclass(frozen=True)
class Lexicon:
    """A validated keyword list with provenance.

    Attributes
    ----------
    name : str
        Short name (file stem), used as the measure name in indices.
    terms : pandas.DataFrame
        Columns ``category, term, weight, note``; one row per unique term.
    meta : dict
        Sidecar contents (publication, authors, year, version, source, licence, how_built ...).
    path : str
        File the lexicon was read from ('' when built in memory).
    sha256 : str
        Hash of the normalised rows; identifies the lexicon in manifests and caches.
    """

    name: str
    terms: pd.DataFrame = field(repr=False)
    meta: dict = field(default_factory=dict, repr=False)
    path: str = ""
    sha256: str = ""

    @property
    def categories(self) -> list[str]:
        """Categories in order of first appearance."""
        return list(dict.fromkeys(self.terms["category"]))

    @property
    def version(self) -> str:
        """Version from the sidecar ('' when unknown)."""
        return str(self.meta.get("version", ""))

    def category_of(self) -> dict[str, str]:
        """Mapping term -> category."""
        return dict(zip(self.terms["term"], self.terms["category"]))

    def subset(self, categories) -> Lexicon:
        """A lexicon with only the given categories (e.g. negators without exceptions)."""
        keep = self.terms[self.terms["category"].isin(list(categories))].reset_index(drop=True)
        return from_frame(keep, name=self.name, meta=self.meta, path=self.path)

    def provenance(self) -> dict:
        """What a run manifest records about this lexicon."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "path": self.path,
                "n_terms": int(len(self.terms)), "publication": self.meta.get("publication", "")}

    def __len__(self) -> int:
        return len(self.terms)


def _hash_rows(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for row in frame[["category", "term", "weight"]].itertuples(index=False):
        h.update(f"{row[0]}\t{row[1]}\t{row[2]!r}\n".encode())
    return h.hexdigest()


def from_frame(frame: pd.DataFrame, name: str = "custom", meta: dict | None = None, path: str = "",
               source: str = "data") -> Lexicon:
    """Validate a ``category, term`` table and wrap it as a :class:`Lexicon`.

    Parameters
    ----------
    frame : DataFrame
        Columns ``category`` and ``term``; optional ``weight`` (float, default 1) and ``note``.
    name : str
        Lexicon name.
    meta : dict, optional
        Provenance.
    path, source : str
        Where the rows came from (for messages).

    Raises
    ------
    SMError
        SM202 on missing columns, empty terms or terms with line breaks, non-numeric
        weights; SM203 on duplicate terms.
    """
    missing = [c for c in ("category", "term") if c not in frame.columns]
    if missing:
        raise SMError("SM202", f"lexicon {source} lacks column(s) {missing}; it has {list(frame.columns)}.",
                      "the first (non-comment) line must be a header with at least: category,term")
    out = frame.copy()
    out["term"] = out["term"].astype("string").fillna("").map(normalize_term)
    out["category"] = out["category"].astype("string").fillna("").str.strip()
    bad = out.index[(out["term"] == "") | (out["category"] == "")].tolist()
    if bad:
        raise SMError("SM202", f"lexicon {source} has empty term or category in data row(s) {[i + 1 for i in bad[:10]]}.",
                      "fill in or delete those rows.")
    multi = out.loc[out["term"].str.contains(r"[\r\n\t]", regex=True), "term"].tolist()
    if multi:
        raise SMError("SM202", f"lexicon {source} has terms with line breaks or tabs: {multi[:5]}.",
                      "a term must be one line; the engine never matches across a line break.")
    if "weight" in out.columns:
        weight = pd.to_numeric(out["weight"], errors="coerce")
        if weight.isna().any():
            rows = out.index[weight.isna()].tolist()
            raise SMError("SM202", f"lexicon {source} has non-numeric weight in data row(s) {[i + 1 for i in rows[:10]]}.",
                          "use a number (1 = plain count) or leave the column out.")
        out["weight"] = weight.astype(float)
    else:
        out["weight"] = 1.0
    out["note"] = out["note"].astype("string").fillna("") if "note" in out.columns else ""
    # case-insensitive for Latin letters, like the counting engine
    key = out["term"].str.lower()
    dup = out.loc[key.duplicated(keep=False)].sort_values("term")
    if len(dup):
        pairs = [f"{t} ({c})" for t, c in zip(dup["term"], dup["category"])][:10]
        raise SMError("SM203", f"lexicon {source} lists {dup['term'].str.lower().nunique()} term(s) more than once: {pairs}.",
                      "keep each term once, in the category it belongs to (Latin terms are matched case-insensitively).")
    out = out[["category", "term", "weight", "note"]].reset_index(drop=True)
    out["category"] = out["category"].astype(str)
    out["term"] = out["term"].astype(str)
    out["note"] = out["note"].astype(str)
    return Lexicon(name=name, terms=out, meta=dict(meta or {}), path=str(path), sha256=_hash_rows(out))


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise SMError("SM202", f"lexicon {path} is not UTF-8 ({err.reason} at byte {err.start}).",
                      "save the file as UTF-8 (Excel: 'CSV UTF-8').") from None
    lines = text.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    try:
        return pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise SMError("SM202", f"lexicon {path} cannot be parsed as CSV: {err}.",
                      "check quoting and the number of commas per line.") from None


_TRUE = {"true", "1", "yes", "y", "t", "keep", "是"}
_FALSE = {"false", "0", "no", "n", "f", "drop", "否", ""}


def is_review_table(columns) -> bool:
    """Whether a table with these columns is a Word2Vec review file (``word, category, kept``, no ``term``)."""
    cols = set(columns)
    return {"word", "category", "kept"} <= cols and "term" not in cols


def review_flags(frame: pd.DataFrame, source: str) -> pd.Series:
    """The ``kept`` column of a review table as booleans (True/False, 1/0, yes/no, 是/否).

    Raises
    ------
    SMError
        SM235 on any other value.
    """
    flags = frame["kept"].astype(str).str.strip().str.lower()
    bad = sorted(set(flags) - _TRUE - _FALSE)
    if bad:
        raise SMError("SM235", f"review file {source}: kept values {bad[:5]} are not yes/no.",
                      "write True or False in the kept column.")
    return flags.isin(_TRUE)


def review_terms(frame: pd.DataFrame, source: str = "review file", keep_seeds: bool = True) -> pd.DataFrame:
    """The lexicon rows (``category, term, note``) of a review table: its kept rows.

    Parameters
    ----------
    frame : DataFrame
        ``word, category, kept`` and optionally ``kind`` (seed, expanded; a row a reviewer
        added without a kind is ``manual``).
    source : str
        Name for messages.
    keep_seeds : bool
        Keep seed rows even when their ``kept`` flag is False.
    """
    kept = review_flags(frame, source)
    kind = frame["kind"].astype(str).str.strip() if "kind" in frame.columns else pd.Series("", index=frame.index)
    kind = kind.replace({"": "manual", "nan": "manual"})
    if keep_seeds:
        kept = kept | (kind == "seed")
    out = pd.DataFrame({"category": frame["category"], "term": frame["word"], "note": kind})[kept.to_numpy()]
    # a reviewer may list a word twice in one category (once per pass): keep the first
    key = out["term"].map(normalize_term).str.lower() + "\t" + out["category"].astype(str).str.strip()
    return out[~key.duplicated()].reset_index(drop=True)


def load_lexicon(name_or_path: str | Path, meta: dict | None = None) -> Lexicon:
    """Load a shipped lexicon by name or a user lexicon by path.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped name such as ``"wufei2021_digital"`` (see :func:`list_lexicons`),
        or the path of a CSV with columns ``category,term`` (optionally ``weight,note``),
        or of a review file of ``smtext w2v expand`` (``word,category,kept``; kept rows
        and every seed are the terms, provenance from its ``.manifest.json``).
    meta : dict, optional
        Provenance to use instead of (or when there is no) ``<name>.meta.json`` sidecar.

    Returns
    -------
    Lexicon

    Raises
    ------
    SMError
        SM201 (not found), SM202 (malformed), SM203 (duplicate terms), SM235 (review file
        with a ``kept`` value that is not yes/no).

    Examples
    --------
    >>> lex = load_lexicon("wufei2021_digital")
    >>> len(lex), lex.categories[0]
    (76, 'ai')
    """
    if isinstance(name_or_path, Lexicon):
        return name_or_path
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or text.endswith(".csv") or "/" in text or "\\" in text
    if looks_like_path:
        path = Path(text).expanduser()
        if not path.is_file():
            raise SMError("SM201", f"lexicon file {path} does not exist.", "check the path.")
    else:
        path = lexicon_dir() / f"{text}.csv"
        if not path.is_file() or text in _NOT_KEYWORD_LISTS:
            raise SMError("SM201", f"no shipped lexicon named {text!r}; available: {list_lexicons()}.",
                          "use one of the names, or pass the path of your own CSV.")
    sidecar = path.with_name(path.stem + ".meta.json")
    stamp = [path.stat().st_mtime_ns, path.stat().st_size]
    if sidecar.is_file():
        stamp += [sidecar.stat().st_mtime_ns, sidecar.stat().st_size]
    cache_key = (str(path.resolve()), tuple(stamp), json.dumps(meta, sort_keys=True, default=str))
    if cache_key in _LOADED:
        return _LOADED[cache_key]
    frame = _read_csv(path)
    review = is_review_table(frame.columns)
    expansion_manifest = path.with_name(path.stem + ".manifest.json")
    file_meta: dict = {}
    if review and not sidecar.is_file():
        # a review file's provenance is the expansion manifest written next to it by `w2v expand`
        file_meta = {"how_built": "Word2Vec seed expansion, reviewed", "source": str(path)}
        if expansion_manifest.is_file():
            em = json.loads(expansion_manifest.read_text(encoding="utf-8"))
            file_meta.update(expansion={k: em.get("parameters", {}).get(k) for k in ("seeds", "threshold", "model")},
                             model_sha256=em.get("inputs", {}).get("model"))
        meta = {**file_meta, **(meta or {})}
    if sidecar.is_file():
        try:
            file_meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SMError("SM202", f"sidecar {sidecar} is not valid JSON ({err.msg}, line {err.lineno}).",
                          "fix the JSON or delete the sidecar.") from None
    elif meta is None:
        warn("SM204", f"lexicon {path.name} has no sidecar {sidecar.name}: its provenance will not be recorded.",
             f"write {sidecar.name} with publication, authors, year, version, source, licence, how_built "
             "(or pass meta=...).")
    merged = {**file_meta, **(meta or {})}
    if review:
        frame = review_terms(frame, str(path))
    lex = from_frame(frame, name=path.stem, meta=merged, path=str(path), source=str(path))
    if len(_LOADED) > 128:
        _LOADED.clear()
    _LOADED[cache_key] = lex
    return lex


def combine(lexicons, name: str = "combined") -> Lexicon:
    """One lexicon from several; categories are prefixed with the source lexicon's name.

    A term in two lexicons keeps the first one's category (the order of ``lexicons``).
    """
    frames, seen = [], set()
    for lex in lexicons:
        lex = load_lexicon(lex)
        t = lex.terms[~lex.terms["term"].str.lower().isin(seen)].copy()
        seen.update(t["term"].str.lower())
        t["category"] = lex.name + ":" + t["category"]
        frames.append(t)
    meta = {"combined_from": [load_lexicon(x).provenance() for x in lexicons]}
    return from_frame(pd.concat(frames, ignore_index=True), name=name, meta=meta)


def userdict_lines(lexicons, freq: int = 20000, tag: str = "nz") -> list[str]:
    """jieba user-dictionary lines ``word freq tag`` for every term of ``lexicons``.

    Terms containing spaces are skipped (jieba's dictionary format is space-separated).
    A high frequency makes jieba keep each term as one token.
    """
    words: dict[str, None] = {}
    for lex in lexicons:
        for term in load_lexicon(lex).terms["term"]:
            if " " not in term:
                words[term] = None
    return [f"{w} {freq} {tag}" for w in words]


def review_edits(review: pd.DataFrame, decisions, source: str = "review file") -> pd.DataFrame:
    """The reviewer's edits: rows of ``review`` whose decision differs from ``decisions``.

    Parameters
    ----------
    review : DataFrame
        The review file as edited (``word, category, kept``, optionally ``kind``).
    decisions : list of [word, category, kind, kept]
        The decisions as ``smtext w2v expand`` wrote them (its manifest's ``decisions``).
    source : str
        Name for messages.

    Returns
    -------
    DataFrame
        ``edit, category, term, was, now`` sorted by edit, category, term; ``edit`` is
        ``kept`` (dropped -> kept), ``dropped`` (kept -> dropped), ``added`` (a row not in
        the expansion) or ``deleted`` (a row removed from the file).
    """
    before = {(str(c), normalize_term(w)): bool(k) for w, c, _, k in decisions}
    flags = review_flags(review, source)
    now = {}
    for w, c, k in zip(review["word"], review["category"], flags):
        now.setdefault((str(c).strip(), normalize_term(w)), bool(k))
    rows = []
    for key in sorted(set(before) | set(now)):
        b, a = before.get(key), now.get(key)
        if b is None:
            rows.append(("added", *key, "", "kept" if a else "dropped"))
        elif a is None:
            rows.append(("deleted", *key, "kept" if b else "dropped", ""))
        elif a != b:
            rows.append(("kept" if a else "dropped", *key, "kept" if b else "dropped", "kept" if a else "dropped"))
    return pd.DataFrame(rows, columns=["edit", "category", "term", "was", "now"]).sort_values(
        ["edit", "category", "term"], kind="stable").reset_index(drop=True)


def lexicon_from_review(review: str | Path, out: str | Path, keep_seeds: bool = True) -> Lexicon:
    """Write a reviewed Word2Vec expansion as a plain lexicon CSV with a provenance sidecar.

    ``out`` gets ``category,term,note`` (note: seed, expanded or manual) and ``out``'s
    ``.meta.json`` records the seeds, the threshold and options, the model's hash, the
    review file's hash and the reviewer's edits as a diff against the expansion (from
    the ``.manifest.json`` that ``smtext w2v expand`` writes next to the review file).

    Parameters
    ----------
    review : path
        Review CSV of ``smtext w2v expand`` (edited or not).
    out : path
        Lexicon CSV to write (its stem is the lexicon's name and column prefix).
    keep_seeds : bool
        Keep the seeds even where the reviewer set ``kept`` to False.

    Returns
    -------
    Lexicon
        The lexicon as read back from ``out``.

    Raises
    ------
    SMError
        SM246 when ``review`` is not a review file; SM247 when its expansion manifest is
        missing (the provenance could not be recorded); SM235 on bad ``kept`` values.
    """
    from ..manifest import file_sha256

    review, out = Path(review), Path(out)
    if not review.is_file():
        raise SMError("SM201", f"review file {review} does not exist.", "check the path.")
    frame = _read_csv(review)
    if not is_review_table(frame.columns):
        raise SMError("SM246", f"{review.name} is not a review file of `smtext w2v expand`: it has columns "
                               f"{list(frame.columns)}, not word, category, kept.",
                      "pass the review CSV that `smtext w2v expand` wrote (a lexicon CSV needs no conversion).")
    manifest_path = review.with_suffix(".manifest.json")
    if not manifest_path.is_file():
        raise SMError("SM247", f"{manifest_path.name} (the expansion's manifest) is not next to {review.name}: the "
                               "seeds, model hash, threshold and your edits could not be recorded.",
                      "keep the review file next to the manifest `smtext w2v expand` wrote, or re-run the expansion.")
    em = json.loads(manifest_path.read_text(encoding="utf-8"))
    terms = review_terms(frame, review.name, keep_seeds=keep_seeds)
    edits = review_edits(frame, em.get("decisions", []), review.name)
    params = em.get("parameters", {})
    meta = {"publication": "", "authors": "", "year": "", "version": "", "licence": "",
            "source": str(review),
            "how_built": "Word2Vec seed expansion (smtext w2v expand), reviewed by hand "
                         f"({len(edits)} edit(s)); seeds {'kept' if keep_seeds else 'as reviewed'}",
            "seeds": params.get("seeds"), "threshold": params.get("threshold"),
            "expansion_options": {k: v for k, v in params.items() if k not in ("seeds", "threshold")},
            "model": params.get("model"), "model_sha256": em.get("inputs", {}).get("model"),
            "review_sha256": file_sha256(review),
            "review_changed_since_expansion": em.get("inputs", {}).get("review_csv") != file_sha256(review),
            "edits": edits.to_dict(orient="records")}
    lex = from_frame(terms, name=out.stem, meta=meta, path=str(out), source=str(review))
    out.parent.mkdir(parents=True, exist_ok=True)
    lex.terms[["category", "term", "note"]].to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    out.with_name(out.stem + ".meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
    return load_lexicon(out)


def diff_lexicons(old, new) -> pd.DataFrame:
    """Terms added, removed or moved to another category between two lexicons.

    Parameters
    ----------
    old, new : str, Path or Lexicon
        Anything :func:`load_lexicon` reads (shipped names, lexicon CSVs, review files).

    Returns
    -------
    DataFrame
        ``change, term, old_category, new_category`` (change: added, removed, moved), sorted.
    """
    a, b = load_lexicon(old).category_of(), load_lexicon(new).category_of()
    rows = [("removed", t, a[t], "") for t in a if t not in b]
    rows += [("added", t, "", b[t]) for t in b if t not in a]
    rows += [("moved", t, a[t], b[t]) for t in a if t in b and a[t] != b[t]]
    return pd.DataFrame(rows, columns=["change", "term", "old_category", "new_category"]).sort_values(
        ["change", "term"], kind="stable").reset_index(drop=True)
