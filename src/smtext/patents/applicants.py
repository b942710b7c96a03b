"""Match patent applicant names to listed firms and their subsidiaries.

Order of matching, first hit wins:

1. ``override`` - a name -> stkcd table the user confirmed (e.g. the edited review file);
2. ``exact`` - equal after normalization (full-width -> half-width, spaces,
   legal-form suffixes such as 股份有限公司 / 有限责任公司 / 有限公司, 集团 markers);
3. ``loose`` - equal after also dropping bracketed parts and punctuation
   (``华信科技(苏州)`` = ``华信科技``);
4. ``fuzzy`` - character 1-2-gram TF-IDF cosine at or above ``fuzzy_accept``.

Fuzzy matches are *not* accepted by default (``fuzzy_accept=None``): in Chinese
firm names one character is often the whole difference between two firms
(宁波西晶材料 / 宁波西晶晶材料 score 0.97), so near matches go to the review file
(score >= ``fuzzy_review``) for a person to confirm and feed back as overrides.
Universities, research institutes and individuals are never matched to a firm;
a name that normalizes to several firms is ``ambiguous`` and never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns

# longest first, so that 股份有限公司 is removed before 有限公司
_SUFFIXES = ["集团股份有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "集团公司",
             "总公司", "公司"]
_GROUP = re.compile(r"\(集团\)|集团$")
_UNIVERSITY = re.compile(r"(大学|学院|学校)")
_INSTITUTE = re.compile(r"(研究院|研究所|科学院|研究中心|实验室|医院)")
_ORG = re.compile(r"(公司|厂|集团|中心|院|所|局|站|社|协会|合作社|事务所|工作室|店|部)$")
_SPLIT = re.compile(r"\s*[;；]\s*")


def normalize_name(name: str) -> str:
    """Normalized form of a company name used for matching.

    Examples
    --------
    >>> normalize_name("华信科技股份有限公司")
    '华信科技'
    >>> normalize_name("海尔集团（青岛）有限责任公司 ")
    '海尔集团(青岛)'
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    s = unicodedata.normalize("NFKC", str(name))
    s = re.sub(r"\s+", "", s).upper()
    for suf in _SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf):
            s = s[: -len(suf)]
            break
    if len(s) > 2:
        s = _GROUP.sub("", s) or s
    return s


_BRACKETS = re.compile(r"\([^()]*\)")
_PUNCT = re.compile(r"[\s·・.,，。、\-_&'\"“”‘’/]+")


def loose_name(name: str) -> str:
    """:func:`normalize_name` without bracketed parts and punctuation (``华信科技(苏州)`` -> ``华信科技``)."""
    s = normalize_name(name)
    s2 = _PUNCT.sub("", _BRACKETS.sub("", s))
    return s2 or s


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


@dataclass(frozen=True)
class MatchReport:
    """Result of :func:`match_applicants`.

    Attributes
    ----------
    table : DataFrame
        One row per distinct applicant name: ``name, norm, kind, stkcd`` (matched
        firm or missing), ``method`` (``override`` / ``exact`` / ``loose`` / ``fuzzy`` /
        ``ambiguous`` / ``unmatched`` / ``not_a_firm``), ``score`` (1.0 for exact and
        loose), ``candidate_stkcd``, ``candidate_name`` (best fuzzy candidate, also
        for rejected ones).
    """

    table: pd.DataFrame

    def counts(self) -> pd.Series:
        """Number of distinct applicant names per method."""
        return self.table["method"].value_counts()

    def review(self) -> pd.DataFrame:
        """Rows a person should check: accepted fuzzy matches, near misses and ambiguous names."""
        t = self.table
        mask = t["method"].isin(["fuzzy", "ambiguous"]) | (t["method"].eq("unmatched") & t["candidate_stkcd"].notna())
        return t[mask].sort_values("score", ascending=False).reset_index(drop=True)

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


def _targets(firms: pd.DataFrame, subsidiaries: pd.DataFrame | None, name_col: str, sub_col: str,
             id_col: str) -> pd.DataFrame:
    require_columns(firms, [id_col, name_col], "firms table")
    t = [pd.DataFrame({"stkcd": firms[id_col].astype(str), "target": firms[name_col].astype(str), "is_sub": False})]
    if subsidiaries is not None:
        require_columns(subsidiaries, [id_col, sub_col], "subsidiaries table")
        t.append(pd.DataFrame({"stkcd": subsidiaries[id_col].astype(str),
                               "target": subsidiaries[sub_col].astype(str), "is_sub": True}))
    t = pd.concat(t, ignore_index=True)
    t["norm"] = t["target"].map(normalize_name)
    return t[t["norm"].ne("")]


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
        out[str(name)] = code
    return out


def match_applicants(names, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None, *,
                     name_col: str = "name", sub_col: str = "subsidiary_name", id_col: str = "stkcd",
                     overrides=None, fuzzy: bool = True, fuzzy_accept: float | None = None,
                     fuzzy_review: float = 0.75) -> MatchReport:
    """Map applicant names to listed firms (``stkcd``).

    Parameters
    ----------
    names : iterable of str
        Applicant names (one per element; duplicates are fine).
    firms : DataFrame
        Listed firms with ``id_col`` and ``name_col``.
    subsidiaries : DataFrame, optional
        ``id_col`` and ``sub_col``: patents of a subsidiary count for its parent.
    overrides : dict, DataFrame or path, optional
        Confirmed matches: name -> stkcd (``None``/``"none"`` = not a listed firm);
        a table needs ``name`` and ``confirmed_stkcd`` (the edited review file) or ``stkcd``.
    fuzzy : bool
        Look for fuzzy candidates for names without an exact or loose match.
    fuzzy_accept : float, optional
        Cosine (0-1) from which a fuzzy candidate is accepted; ``None`` (default)
        accepts none (see the module docstring for why).
    fuzzy_review : float
        Cosine from which a rejected candidate is listed for review.

    Returns
    -------
    MatchReport
    """
    accept = 2.0 if fuzzy_accept is None else fuzzy_accept   # cosine never exceeds 1: nothing accepted
    if not 0 <= fuzzy_review <= 1 or (fuzzy_accept is not None and not fuzzy_review <= fuzzy_accept <= 1):
        raise SMError("SM304", f"need 0 <= fuzzy_review ({fuzzy_review}) <= fuzzy_accept ({fuzzy_accept}) <= 1.",
                      "pass thresholds between 0 and 1, review below accept (or fuzzy_accept=None).")
    tg = _targets(firms, subsidiaries, name_col, sub_col, id_col)
    tg["loose"] = tg["target"].map(loose_name)
    uniq = pd.Series(pd.unique(pd.Series(list(names), dtype=object).dropna().astype(str)), dtype=object)
    t = pd.DataFrame({"name": uniq})
    t["norm"] = t["name"].map(normalize_name)
    t["kind"] = t["name"].map(applicant_kind)
    t["stkcd"] = None
    t["method"] = "unmatched"
    t["score"] = np.nan
    t["candidate_stkcd"] = None
    t["candidate_name"] = None
    over = _read_overrides(overrides)
    is_over = t["name"].isin(list(over))
    t.loc[is_over, "stkcd"] = t.loc[is_over, "name"].map(over)
    t.loc[is_over, "method"] = "override"
    t.loc[is_over, "score"] = 1.0
    # a normalized name that points at two different firms is ambiguous, never guessed
    for key, method, fn in (("norm", "exact", None), ("loose", "loose", loose_name)):
        per_key = tg.groupby(key)["stkcd"].agg(lambda s: sorted(set(s)))
        open_ = t["method"].eq("unmatched")
        keys = t.loc[open_, "norm"] if fn is None else t.loc[open_, "name"].map(fn)
        hit = keys.map(per_key)
        n_hit = hit.map(lambda x: len(x) if isinstance(x, list) else 0)
        one, many = n_hit.index[n_hit == 1], n_hit.index[n_hit > 1]
        t.loc[one, "stkcd"] = hit[one].map(lambda x: x[0])
        t.loc[one, "method"] = method
        t.loc[one, "score"] = 1.0
        t.loc[many, "method"] = "ambiguous"
        t.loc[many, "candidate_stkcd"] = hit[many].map(";".join)
    t.loc[t["method"].eq("unmatched") & t["kind"].isin(["university", "institute", "individual"]),
          "method"] = "not_a_firm"
    todo = t.index[t["method"].eq("unmatched") & t["norm"].ne("")]
    if fuzzy and len(todo) and len(tg):
        best, score = _fuzzy(t.loc[todo, "norm"].tolist(), tg["norm"].tolist())
        cand = tg.iloc[best]
        t.loc[todo, "score"] = score
        t.loc[todo, "candidate_stkcd"] = cand["stkcd"].to_numpy()
        t.loc[todo, "candidate_name"] = cand["target"].to_numpy()
        acc = todo[score >= accept]
        t.loc[acc, "stkcd"] = t.loc[acc, "candidate_stkcd"]
        t.loc[acc, "method"] = "fuzzy"
        low = todo[score < fuzzy_review]
        t.loc[low, ["candidate_stkcd", "candidate_name"]] = None
    for col in ("stkcd", "candidate_stkcd", "candidate_name"):  # one missing marker: None
        t[col] = t[col].astype(object).where(t[col].notna(), None)
    return MatchReport(t.reset_index(drop=True))


def _fuzzy(queries: list[str], targets: list[str], chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Best target and cosine score per query on character 1-2-grams (TF-IDF)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False)
    T = vec.fit_transform(targets)
    Q = vec.transform(queries)
    best = np.empty(len(queries), dtype=np.int64)
    score = np.empty(len(queries))
    for a in range(0, len(queries), chunk):  # chunks keep the dense similarity block small
        S = (Q[a:a + chunk] @ T.T).toarray()
        best[a:a + chunk] = S.argmax(axis=1)
        score[a:a + chunk] = S.max(axis=1) if S.shape[1] else 0.0
    return best, score
