"""Load and validate keyword lexicons with their provenance.

A lexicon is a UTF-8 CSV with columns ``category,term`` (optionally ``weight`` and
``note``) and a sidecar ``<name>.meta.json`` naming the publication, authors,
year, version, source, licence and how the list was built. Lines starting with
``#`` before the header are comments. Shipped lexicons live in the repository's
``lexicons/`` folder (or ``<prefix>/share/smtext/lexicons`` in an installed
copy); a user passes the path of their own CSV instead of a name.

Terms are normalised like the text they are matched against (full-width ASCII
to half-width, surrounding spaces stripped), so a lexicon written with ``ＭＥＳ``
matches ``MES`` in normalised report text.

Error codes (SM2xx, text measures)
----------------------------------
SM201  lexicon not found (name not shipped, path missing, lexicon folder absent)
SM202  lexicon file malformed (missing columns, empty or multi-line terms, bad weights)
SM203  a term is listed twice (in the same or in two categories)
SM204  (warning) a user lexicon has no ``.meta.json`` sidecar: provenance not recorded
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
_NOT_KEYWORD_LISTS = ("sei_ipc_2021", "cnipa_key_digital_tech_2023_ipc")
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


def load_lexicon(name_or_path: str | Path, meta: dict | None = None) -> Lexicon:
    """Load a shipped lexicon by name or a user lexicon by path.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped name such as ``"wufei2021_digital"`` (see :func:`list_lexicons`),
        or the path of a CSV with columns ``category,term`` (optionally ``weight,note``).
    meta : dict, optional
        Provenance to use instead of (or when there is no) ``<name>.meta.json`` sidecar.

    Returns
    -------
    Lexicon

    Raises
    ------
    SMError
        SM201 (not found), SM202 (malformed), SM203 (duplicate terms).

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
    file_meta: dict = {}
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
    lex = from_frame(_read_csv(path), name=path.stem, meta=merged, path=str(path), source=str(path))
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
