"""Match applicant names (patent applicants, pilot-list applicants) to listed firms.

Targets are the firms' full names, their former names (a ``former_names`` column of the firm
table: a list, or one ``；``-separated string) and, when given, their subsidiaries' names.
Order of matching, first hit wins:

1. ``override`` - a name -> stkcd table the user confirmed (e.g. the edited review file);
2. ``exact`` - equal after :func:`normalize_name`: NFKC (full-width letters and brackets ->
   half-width), no spaces, upper case (:func:`smtext.text.identity.normalize_name`), then the
   legal form dropped wherever 集团 / (集团) stands in it (股份有限公司, 股份有限责任公司,
   有限责任公司, 有限公司, 集团股份有限公司, (集团)股份有限公司, 股份(集团)有限公司 ...);
3. ``loose`` - equal after also dropping bracketed parts, punctuation and a trailing 集团
   (``华信科技(苏州)`` = ``华信科技``);
4. ``place`` - equal after dropping a leading province / city name (``浙江`` / ``杭州市``, the
   shipped lexicon ``place_names``) on one side: ``浙江华信科技`` = ``华信科技`` (when the firm
   table has ``province`` / ``city``, the dropped place must be the firm's, else the firm is only
   a candidate for review), and ``华信科技`` = the listed firm ``杭州华信科技``;
5. ``fuzzy`` - character 1-2-gram TF-IDF cosine at or above ``fuzzy_accept``.

Fuzzy matches are *not* accepted by default (``fuzzy_accept=None``): in Chinese
firm names one character is often the whole difference between two firms
(宁波西晶材料 / 宁波西晶晶材料 score 0.97), so near matches go to the review file
for a person to confirm and feed back as overrides. A name that is not matched gets up to
three candidates (different firms): the most similar names (cosine >= ``fuzzy_review``), with
``contains=True`` the listed firms whose normalized name (4+ characters) it contains
(``苏州华信科技制造有限公司`` contains ``华信科技``: a subsidiary, when no subsidiary table is at
hand), and a place-prefix match whose place is not the firm's. Such a name is ``pending``
(column ``status``) until a person confirms it. Universities, research institutes and
individuals are never matched to a firm; a name that normalizes to several firms is
``ambiguous`` and never guessed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns
from ..text.identity import name_list
from ..text.identity import normalize_name as plain_name

# the legal form at the end of a name, with 集团 / (集团) before, between or after 股份
_LEGAL = re.compile(r"(?:\(集团\)|集团)?(?:股份)?(?:\(集团\)|集团)?(?:有限责任|有限)?(?:总公司|公司)$")
_GROUP = re.compile(r"\(集团\)|集团$")
# bracket forms NFKC leaves alone
_BRACKET_FORMS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "〖": "(", "〗": ")"})
_UNIVERSITY = re.compile(r"(大学|学院|学校)")
_INSTITUTE = re.compile(r"(研究院|研究所|科学院|研究中心|实验室|医院)")
_ORG = re.compile(r"(公司|厂|集团|中心|院|所|局|站|社|协会|合作社|事务所|工作室|店|部)$")
_SPLIT = re.compile(r"\s*[;；]\s*")
#: how a target name belongs to its firm, most direct first (a hit on several keeps the first)
VIAS = ("firm", "former_name", "subsidiary")
#: a place-stripped name must keep this many characters (浙江 + 华信 is not evidence)
MIN_REST = 3
#: a listed firm's normalized name counts as contained in an applicant's from this length
MIN_CONTAINED = 4
N_CANDIDATES = 3


def normalize_name(name: str) -> str:
    """Normalized form of a company name used for matching.

    Examples
    --------
    >>> normalize_name("华信科技股份有限公司")
    '华信科技'
    >>> normalize_name("华信科技（集团） 股份有限责任公司")
    '华信科技'
    >>> normalize_name("海尔集团（青岛）有限责任公司 ")
    '海尔集团(青岛)'
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    s = plain_name(name).translate(_BRACKET_FORMS)
    s = _LEGAL.sub("", s) or s
    if len(s) > 2:
        s = _GROUP.sub("", s) or s
    return s


_BRACKETS = re.compile(r"\([^()]*\)")
_PUNCT = re.compile(r"[\s·・.,，。、\-_&'\"“”‘’/]+")


def loose_name(name: str) -> str:
    """:func:`normalize_name` without bracketed parts, punctuation and a trailing 集团 (``华信科技(苏州)`` -> ``华信科技``)."""
    s = normalize_name(name)
    s2 = _PUNCT.sub("", _BRACKETS.sub("", s))
    if len(s2) > 3 and s2.endswith("集团"):
        s2 = s2[:-2]
    return s2 or s


@functools.lru_cache(maxsize=1)
def _place_pattern() -> re.Pattern:
    from ._paths import lexicon_path

    terms = pd.read_csv(lexicon_path("place_names.csv"), encoding="utf-8")["term"].astype(str)
    alt = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))   # 内蒙古 before 内
    return re.compile(rf"^({alt})(?:维吾尔自治区|壮族自治区|回族自治区|自治区|省|市)?")


def strip_place(norm: str) -> list[tuple[tuple[str, ...], str]]:
    """A normalized name without one, then two, leading place names: ``[(places, rest), ...]``.

    >>> strip_place("浙江省杭州华信科技")
    [(('浙江',), '杭州华信科技'), (('浙江', '杭州'), '华信科技')]
    """
    out, places, s = [], (), norm
    pat = _place_pattern()
    for _ in range(2):
        m = pat.match(s)
        if not m or len(s) - m.end() < MIN_REST:
            break
        places, s = places + (m.group(1),), s[m.end():]
        out.append((places, s))
    return out


def place_of(value) -> str | None:
    """A province or city as the place lexicon writes it (``浙江省`` -> ``浙江``, ``杭州市`` -> ``杭州``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return None
    s = plain_name(value)
    m = _place_pattern().match(s)
    return m.group(1) if m and m.end() == len(s) else s


def applicant_kind(name: str) -> str:
    """``"university"``, ``"institute"``, ``"individual"`` or ``"organisation"``.

    Individuals are guessed as 2-4 Chinese characters with no organisation word
    (the usual shape of a person's name in CNIPA records).
    """
    s = unicodedata.normalize("NFKC", str(name)).strip()
    if _UNIVERSITY.search(s):
        return "university"
    if _INSTITUTE.search(s):
        return "institute"
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", s) and not _ORG.search(s):
        return "individual"
    return "organisation"


def split_applicants(field, sep: str = ";") -> list[str]:
    """Split one applicants field into names (``;`` and full-width ``；``)."""
    if field is None or (isinstance(field, float) and np.isnan(field)):
        return []
    parts = _SPLIT.split(str(field)) if sep == ";" else str(field).split(sep)
    return [p.strip() for p in parts if p and p.strip()]


CANDIDATE_FIELDS = ("stkcd", "name", "score", "via", "how")


def _candidate_columns(k: int) -> list[str]:
    pre = "candidate" if k == 1 else f"candidate{k}"
    return [f"{pre}_{f}" for f in CANDIDATE_FIELDS]


#: method -> status for rows with a stkcd (status of the others: pending or not_listed)
STATUSES = ("matched", "via_subsidiary", "pending", "not_listed")


@dataclass(frozen=True)
class MatchReport:
    """Result of :func:`match_applicants`.

    Attributes
    ----------
    table : DataFrame
        One row per distinct applicant name: ``name, norm, kind, stkcd`` (matched firm or
        missing), ``method`` (``override`` / ``exact`` / ``loose`` / ``place`` / ``fuzzy`` /
        ``accepted_above`` / ``ambiguous`` / ``unmatched`` / ``not_a_firm``), ``score`` (1.0
        for exact, loose and place; the best cosine otherwise), ``via`` (``firm`` /
        ``former_name`` / ``subsidiary`` / ``override``), ``target`` (the name it matched),
        ``status`` (``matched`` / ``via_subsidiary`` / ``pending`` / ``not_listed``) and up to
        three candidates of different firms for unmatched names: ``candidate_stkcd,
        candidate_name, candidate_score, candidate_via, candidate_how`` (``similar`` /
        ``contains`` / ``place_differs`` / ``ambiguous``), then ``candidate2_*``, ``candidate3_*``.
    """

    table: pd.DataFrame

    def counts(self) -> pd.Series:
        """Number of distinct applicant names per method."""
        return self.table["method"].value_counts()

    def review(self) -> pd.DataFrame:
        """Rows a person should check: pending names (ambiguous, or with a candidate) and accepted fuzzy matches."""
        t = self.table
        mask = t["status"].eq("pending") | t["method"].isin(["fuzzy", "accepted_above"])
        cols = ["name", "status", "method", "stkcd", "score"] + [c for k in range(1, N_CANDIDATES + 1)
                                                                for c in _candidate_columns(k)]
        out = t.loc[mask, [c for c in cols if c in t.columns]]
        return out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    def write_review(self, path: str | Path) -> Path:
        """Write :meth:`review` to a UTF-8 CSV (with BOM, so Excel opens Chinese text).

        The file has an empty ``confirmed_stkcd`` column: fill it (a stkcd, or
        ``none`` for "not a listed firm") and pass the file back as
        ``match_applicants(..., overrides=path)``.
        """
        path = Path(path)
        self.review().assign(confirmed_stkcd="").to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def summary(self) -> str:
        c = self.counts()
        return ", ".join(f"{k}: {int(v)}" for k, v in c.items())

    def pending_candidates(self) -> dict[str, list[str]]:
        """Pending name -> the listed firms it may be: its best candidate (every firm of an ambiguous name)."""
        out = {}
        for _, r in self.table[self.table["status"].eq("pending")].iterrows():
            ks = range(1, N_CANDIDATES + 1) if r["method"] == "ambiguous" else (1,)
            out[r["name"]] = [r[_candidate_columns(k)[0]] for k in ks if r[_candidate_columns(k)[0]] is not None]
        return out

    def pending_firms(self) -> list[str]:
        """Listed firms that are the best candidate of a pending name (every firm of an ambiguous one)."""
        return sorted({c for codes in self.pending_candidates().values() for c in codes})

    def accept_above(self, threshold: float) -> MatchReport:
        """Pending names whose best candidate scores ``threshold`` or more, and no other firm does, accepted.

        Ambiguous names are never accepted. Accepted rows get ``method`` ``accepted_above``.
        """
        t = self.table.copy()
        best = t["candidate_score"].astype(float)
        second = t["candidate2_score"].astype(float).fillna(-1.0)
        ok = t["status"].eq("pending") & t["method"].ne("ambiguous") & best.ge(threshold) & second.lt(threshold)
        t.loc[ok, "stkcd"] = t.loc[ok, "candidate_stkcd"]
        t.loc[ok, "via"] = t.loc[ok, "candidate_via"]
        t.loc[ok, "target"] = t.loc[ok, "candidate_name"]
        t.loc[ok, "score"] = best[ok]
        t.loc[ok, "method"] = "accepted_above"
        t["status"] = _status(t)
        return replace(self, table=t)


def _status(t: pd.DataFrame) -> pd.Series:
    has = t["stkcd"].notna()
    pending = ~has & (t["method"].eq("ambiguous") | (t["method"].eq("unmatched") & t["candidate_stkcd"].notna()))
    return pd.Series(np.select([has & t["via"].eq("subsidiary"), has, pending],
                               ["via_subsidiary", "matched", "pending"], "not_listed"), index=t.index)


def _targets(firms: pd.DataFrame, subsidiaries: pd.DataFrame | None, name_col: str, sub_col: str,
             id_col: str) -> pd.DataFrame:
    """Every name a firm is known by: ``stkcd, target, via, norm, loose``."""
    require_columns(firms, [id_col, name_col], "firms table")
    t = [pd.DataFrame({"stkcd": firms[id_col].astype(str), "target": firms[name_col].astype(str), "via": "firm"})]
    if "former_names" in firms.columns:
        old = [(c, n) for c, v in zip(firms[id_col].astype(str), firms["former_names"]) for n in name_list(v)]
        t.append(pd.DataFrame(old, columns=["stkcd", "target"]).assign(via="former_name"))
    if subsidiaries is not None:
        require_columns(subsidiaries, [id_col, sub_col], "subsidiaries table")
        t.append(pd.DataFrame({"stkcd": subsidiaries[id_col].astype(str),
                               "target": subsidiaries[sub_col].astype(str), "via": "subsidiary"}))
    t = pd.concat(t, ignore_index=True)
    t["norm"] = t["target"].map(normalize_name)
    t = t[t["norm"].ne("")].drop_duplicates(["stkcd", "norm", "via"]).reset_index(drop=True)
    t["loose"] = t["target"].map(loose_name)
    return t


def _firm_places(firms: pd.DataFrame, id_col: str) -> dict[str, set]:
    """stkcd -> its province and city (empty when the firm table has neither column)."""
    places: dict[str, set] = {}
    for col in ("province", "city"):
        if col in firms.columns:
            for code, v in zip(firms[id_col].astype(str), firms[col]):
                p = place_of(v)
                if p:
                    places.setdefault(code, set()).add(p)
    return places


def _read_overrides(overrides) -> dict[str, str | None]:
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        items = overrides.items()
    else:
        df = pd.read_csv(overrides, dtype=str, keep_default_na=False, encoding="utf-8-sig") \
            if isinstance(overrides, (str, Path)) else overrides
        col = "confirmed_stkcd" if "confirmed_stkcd" in df.columns else "stkcd"
        require_columns(df, ["name", col], "applicant overrides")
        df = df[df[col].astype(str).str.strip().ne("")]
        items = zip(df["name"], df[col])
    out = {}
    for name, code in items:
        code = None if code is None or str(code).strip().lower() in {"none", "nan"} else str(code).strip()
        if code is not None and code.isdigit() and len(code) < 6:   # a spreadsheet dropped the leading zeros
            code = code.zfill(6)
        out[str(name)] = code
    return out


def _index(keys) -> dict[str, list[int]]:
    idx: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            idx.setdefault(k, []).append(i)
    return idx


def match_applicants(names, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None, *,
                     name_col: str = "name", sub_col: str = "subsidiary_name", id_col: str = "stkcd",
                     overrides=None, fuzzy: bool = True, fuzzy_accept: float | None = None,
                     fuzzy_review: float = 0.75, contains: bool = False) -> MatchReport:
    """Map applicant names to listed firms (``stkcd``).

    Parameters
    ----------
    names : iterable of str
        Applicant names (one per element; duplicates are fine).
    firms : DataFrame
        Listed firms with ``id_col`` and ``name_col``; optional ``former_names`` (a list or one
        ``；``-separated string per firm) and ``province`` / ``city`` (checked against a place
        prefix of an applicant's name).
    subsidiaries : DataFrame, optional
        ``id_col`` and ``sub_col``: patents of a subsidiary count for its parent.
    overrides : dict, DataFrame or path, optional
        Confirmed matches: name -> stkcd (``None``/``"none"`` = not a listed firm);
        a table needs ``name`` and ``confirmed_stkcd`` (the edited review file) or ``stkcd``.
    fuzzy : bool
        Look for similar names (cosine) for names without an exact, loose or place match.
    fuzzy_accept : float, optional
        Cosine (0-1) from which a fuzzy candidate is accepted; ``None`` (default)
        accepts none (see the module docstring for why).
    fuzzy_review : float
        Cosine from which a similar name is a candidate for review.
    contains : bool
        Also make a listed firm a candidate when the applicant's name contains its normalized
        name (4+ characters): subsidiaries named after their parent. O(characters^2) per name,
        meant for lists of hundreds (pilot lists), not millions of patent applicants.

    Returns
    -------
    MatchReport
    """
    accept = 2.0 if fuzzy_accept is None else fuzzy_accept   # cosine never exceeds 1: nothing accepted
    if not 0 <= fuzzy_review <= 1 or (fuzzy_accept is not None and not fuzzy_review <= fuzzy_accept <= 1):
        raise SMError("SM304", f"need 0 <= fuzzy_review ({fuzzy_review}) <= fuzzy_accept ({fuzzy_accept}) <= 1.",
                      "pass thresholds between 0 and 1, review below accept (or fuzzy_accept=None).")
    tg = _targets(firms, subsidiaries, name_col, sub_col, id_col)
    places = _firm_places(firms, id_col)
    uniq = pd.Series(pd.unique(pd.Series(list(names), dtype=object).dropna().astype(str)), dtype=object)
    t = pd.DataFrame({"name": uniq})
    t["norm"] = t["name"].map(normalize_name)
    t["kind"] = t["name"].map(applicant_kind)
    n = len(t)
    stkcd, via, target = [None] * n, [None] * n, [None] * n
    method, score = ["unmatched"] * n, [np.nan] * n
    cands: list[list[tuple]] = [[] for _ in range(n)]     # (stkcd, name, score, via, how)
    over = _read_overrides(overrides)
    for i, name in enumerate(t["name"]):
        if name in over:
            stkcd[i], method[i], score[i], via[i] = over[name], "override", 1.0, "override"
    tg_code, tg_via, tg_name = tg["stkcd"].tolist(), tg["via"].tolist(), tg["target"].tolist()
    rank = {v: k for k, v in enumerate(VIAS)}

    def settle(i: int, rows: list[int], how: str, check=None) -> None:
        """Accept the one firm ``rows`` point at, or mark the name ambiguous (never guessed)."""
        codes = sorted({tg_code[r] for r in rows})
        if len(codes) > 1:
            first = {}
            for r in sorted(rows, key=lambda r: rank[tg_via[r]]):
                first.setdefault(tg_code[r], r)
            method[i], score[i] = "ambiguous", 1.0
            cands[i] = [(c, tg_name[first[c]], 1.0, tg_via[first[c]], "ambiguous") for c in codes]
            return
        r = min(rows, key=lambda r: rank[tg_via[r]])
        if check is not None and not check(r):
            cands[i] = [(tg_code[r], tg_name[r], 1.0, tg_via[r], "place_differs")]
            method[i] = "unmatched_place"      # settled: not looked at by the later steps
            return
        stkcd[i], via[i], target[i], method[i], score[i] = tg_code[r], tg_via[r], tg_name[r], how, 1.0

    # a normalized name that points at two different firms is ambiguous, never guessed
    for key, how, fn in (("norm", "exact", normalize_name), ("loose", "loose", loose_name)):
        idx = _index(tg[key])
        for i, name in enumerate(t["name"]):
            if method[i] == "unmatched":
                rows = idx.get(fn(name) if key == "loose" else t["norm"].iat[i])
                if rows:
                    settle(i, rows, how)
    # place prefixes: on the applicant's side against every name; on a listed firm's own names
    norm_idx = _index(tg["norm"])
    stripped_idx: dict[str, list[int]] = {}
    for r, (nm, v) in enumerate(zip(tg["norm"], tg_via)):
        if v != "subsidiary":
            for _, rest in strip_place(nm):
                stripped_idx.setdefault(rest, []).append(r)
    for i, nm in enumerate(t["norm"]):
        if method[i] != "unmatched" or not nm:
            continue
        hits: dict[int, tuple] = {}
        for dropped, rest in strip_place(nm):
            for r in norm_idx.get(rest, []):
                hits.setdefault(r, dropped)
        for r in stripped_idx.get(nm, []):
            hits.setdefault(r, ())

        def same_place(r, hits=hits):   # the firm table's province / city must agree with the dropped place
            own = places.get(tg_code[r])
            return tg_via[r] == "subsidiary" or not hits[r] or not own or bool(set(hits[r]) & own)
        if hits:
            settle(i, list(hits), "place", same_place)
    for i, k in enumerate(t["kind"]):
        if method[i] == "unmatched" and k in ("university", "institute", "individual"):
            method[i] = "not_a_firm"
    todo = [i for i in range(n) if method[i] == "unmatched" and t["norm"].iat[i]]
    if todo and len(tg):
        contained = _contained(t["norm"], tg, todo) if contains else {}
        best, sims, pair = _fuzzy([t["norm"].iat[i] for i in todo], tg["norm"].tolist(),
                                  {(j, r) for j, i in enumerate(todo) for r in contained.get(i, ())})
        for j, i in enumerate(todo):
            found = []
            if fuzzy:
                score[i] = float(sims[j, 0]) if sims.shape[1] else 0.0
                found = [(tg_code[r], tg_name[r], float(s), tg_via[r], "similar")
                         for r, s in zip(best[j], sims[j]) if s >= fuzzy_review]
            found += [(tg_code[r], tg_name[r], pair[(j, r)], tg_via[r], "contains") for r in contained.get(i, ())]
            if fuzzy and found and found[0][4] == "similar" and found[0][2] >= accept:
                stkcd[i], via[i], target[i], method[i] = found[0][0], found[0][3], found[0][1], "fuzzy"
                continue
            cands[i] = found
    for i in range(n):
        if method[i] == "unmatched_place":
            method[i] = "unmatched"
    t["stkcd"], t["method"], t["score"], t["via"], t["target"] = stkcd, method, score, via, target
    t = pd.concat([t, _candidate_frame(cands, t.index)], axis=1)
    t["status"] = _status(t)
    for col in t.columns:   # one missing marker: None
        if col in ("stkcd", "via", "target") or (col.startswith("candidate") and not col.endswith("_score")):
            t[col] = t[col].astype(object).where(t[col].notna(), None)
    return MatchReport(t)


def _candidate_frame(cands: list[list[tuple]], index) -> pd.DataFrame:
    """Up to :data:`N_CANDIDATES` candidates of different firms per row, best first, as wide columns."""
    rows = []
    for found in cands:
        best: dict = {}
        for c in found:   # one entry per firm: its best score; "contains" is the stronger evidence
            old = best.get(c[0])
            if old is None:
                best[c[0]] = c
            else:
                top = c if c[2] > old[2] else old
                how = "contains" if "contains" in (c[4], old[4]) else top[4]
                best[c[0]] = (*top[:4], how)
        keep = sorted(best.values(), key=lambda c: -c[2])   # stable: ties keep the order found
        row = {}
        for k in range(N_CANDIDATES):
            row.update(dict(zip(_candidate_columns(k + 1), keep[k] if k < len(keep) else (None,) * 5)))
        rows.append(row)
    cols = [c for k in range(1, N_CANDIDATES + 1) for c in _candidate_columns(k)]
    out = pd.DataFrame(rows, index=index, columns=cols)
    for k in range(1, N_CANDIDATES + 1):
        out[_candidate_columns(k)[2]] = out[_candidate_columns(k)[2]].astype(float)
    return out


def _contained(norms: pd.Series, tg: pd.DataFrame, todo: list[int]) -> dict[int, list[int]]:
    """Rows ``i`` in ``todo`` -> target rows (listed firms' own names) whose normalized name is inside ``norms[i]``."""
    own = tg[tg["via"].ne("subsidiary") & tg["norm"].str.len().ge(MIN_CONTAINED)]
    idx = _index(own["norm"])
    rows = own.index.to_numpy()
    out = {}
    for i in todo:
        s = norms.iat[i]
        found = {int(rows[r]) for a in range(len(s)) for b in range(a + MIN_CONTAINED, len(s) + 1)
                 if (a, b) != (0, len(s)) for r in idx.get(s[a:b], ())}
        if found:
            out[i] = sorted(found)
    return out


def _fuzzy(queries: list[str], targets: list[str], pairs=(), k: int = 10,
           chunk: int = 2000) -> tuple[np.ndarray, np.ndarray, dict]:
    """The ``k`` most similar targets per query (indices, cosines on character 1-2-grams, TF-IDF,
    best first) and the cosine of each extra (query, target) pair."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # fitted on both sides: a query's characters that no target has count against the match
    # (fitted on the targets alone, 苏州华信科技制造 would score 1.0 against 华信科技)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False).fit(list(targets) + list(queries))
    T = vec.transform(targets)
    Q = vec.transform(queries)
    k = min(k, len(targets))
    best = np.zeros((len(queries), k), dtype=np.int64)
    score = np.zeros((len(queries), k))
    for a in range(0, len(queries), chunk):  # chunks keep the dense similarity block small
        S = (Q[a:a + chunk] @ T.T).toarray()
        # stable sort on -score: ties keep the target order, as argmax did
        order = np.argsort(-S, axis=1, kind="stable")[:, :k]
        best[a:a + chunk] = order
        score[a:a + chunk] = np.take_along_axis(S, order, axis=1)
    pair = {(q, r): float((Q[q] @ T[r].T).toarray()[0, 0]) for q, r in pairs}
    return best, score, pair
