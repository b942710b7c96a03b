"""Match IPC codes to a classification scheme such as the SEI-IPC 2021 concordance.

A scheme is a lexicon CSV with one row per (rule, pattern): ``scheme,
industry_code, industry_name, branch_no, branch_name, rule_id, kind, pattern``
where ``kind`` is ``include`` or ``exclude`` (the table's 不含 clauses). Pattern
semantics (from the concordance's own notation):

* ``H04L27/26`` - exactly that subgroup;
* ``G06F11*`` - main group G06F11 and every subgroup in it (never G06F110);
* ``B41J*`` / ``G16*`` / ``H*`` - the whole subclass / class / section;
* ``G06F3/048*`` - every subgroup whose digits start with 048 (/048, /0481, /04817 ...);
* a bare main group or subclass without ``*`` (``H03M13``, ``G16H``) covers the
  whole group / subclass, because a patent code always carries a subgroup.

An exclusion removes codes only from the rule it belongs to, so a code that one
rule excludes can still be key-technology through another rule or branch (paper
004: "检查'不含'是否是因为该分类被分到了参照表内的其他关键技术子领域上").
Within a rule, an exclusion only cuts into include patterns that are strictly
broader than it (``B41J*`` 不含 ``B41J2*``); a code the rule lists explicitly at
the same or a finer level stays in. The transcribed SEI table merges the product
rows of a branch into one block, so 15 subgroups of rule 1.1-03 (``H04B7/26``,
``H04L12/24``, ``G01S1/02`` ...) are both listed and excluded there; paper 004
matches listed subgroups one to one ("与之一一匹配"), so they are key-technology.

Matching is vectorized: each code becomes an integer key (subclass, group,
subgroup as a 6-digit decimal fraction), all pattern ranges cut the key line
into elementary segments, and each segment stores the set of rules that match
there. Classifying n codes is one ``numpy.searchsorted`` (O(n log segments)).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns
from ._paths import lexicon_path

SCHEMES = {"sei_ipc_2021": "sei_ipc_2021.csv", "cnipa_kdt_2023": "cnipa_key_digital_tech_2023_ipc.csv"}
LEXICON_COLUMNS = ["scheme", "industry_code", "industry_name", "branch_no", "branch_name", "rule_id", "kind",
                   "pattern"]

_SUB_SPAN = 10**6            # subgroup digits as a 6-digit fraction
_GROUP_SPAN = 10**4 * _SUB_SPAN  # main groups 1..9999
_POW10 = 10 ** np.arange(10, dtype=np.int64)
_PATTERN = re.compile(r"^([A-H])(\d{2})?([A-Z])?(\d{1,4})?(?:/(\d{1,6}))?(\*)?$")


def _subclass_index(section: str, cls: int, letter: str) -> int:
    return ((ord(section) - 65) * 100 + cls) * 26 + (ord(letter) - 65)


def code_keys(codes) -> np.ndarray:
    """Integer sort keys of normalized codes (``-1`` for anything that is not one).

    The key orders codes as the IPC does: subclass, main group, then subgroup read
    as a decimal fraction (``/26`` < ``/2601`` < ``/27``). Vectorized over the
    characters of fixed-width unicode arrays (no per-code Python work).
    """
    arr = np.asarray(codes, dtype=object)
    n = len(arr)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # fixed-width byte matrix; non-strings become "None"/"nan", which fail the checks
    try:
        ch = arr.astype("S16").view(np.uint8).reshape(n, 16)
    except UnicodeEncodeError:  # non-ASCII somewhere: same scan on code points
        ch = arr.astype("U16").view(np.uint32).reshape(n, 16)
    c0, c1, c2, c3 = (ch[:, k].astype(np.int64) for k in range(4))
    ok = (c0 >= 65) & (c0 <= 72) & (c1 >= 48) & (c1 <= 57) & (c2 >= 48) & (c2 <= 57) & (c3 >= 65) & (c3 <= 90)
    ok &= ch[:, 15] == 0  # at most 15 characters
    group = np.zeros(n, dtype=np.int64)
    sub = np.zeros(n, dtype=np.int64)
    n_group = np.zeros(n, dtype=np.int64)
    n_sub = np.zeros(n, dtype=np.int64)
    after_slash = np.zeros(n, dtype=bool)
    ended = np.zeros(n, dtype=bool)
    # Horner scan, one column at a time: O(15 n) vector work, no per-code Python
    for j in range(4, 16):
        c = ch[:, j].astype(np.int64)
        is_d = (c >= 48) & (c <= 57)
        d = c - 48
        is_end = c == 0
        g = ~after_slash & ~ended
        sgm = after_slash & ~ended
        gd = g & is_d
        group = np.where(gd, group * 10 + d, group)
        n_group += gd
        sd = sgm & is_d
        sub = np.where(sd, sub * 10 + d, sub)
        n_sub += sd
        ok &= ~(g & ~is_d & (c != 47)) & ~(sgm & ~is_d & ~is_end)
        after_slash |= g & (c == 47)
        ended |= is_end
    ok &= after_slash & (n_group >= 1) & (n_group <= 4) & (n_sub >= 2) & (n_sub <= 6) & (group > 0)
    sub = sub * _POW10[np.clip(6 - n_sub, 0, 9)]
    sc = ((c0 - 65) * 100 + (c1 - 48) * 10 + (c2 - 48)) * 26 + (c3 - 65)
    return np.where(ok, sc * _GROUP_SPAN + group * _SUB_SPAN + sub, -1)


def pattern_range(pattern: str) -> tuple[int, int]:
    """Closed key range ``[lo, hi]`` covered by one concordance pattern.

    Raises
    ------
    SMError
        SM303 when the pattern is not in the concordance notation.
    """
    p = str(pattern).strip().upper()
    m = _PATTERN.match(p)
    if not m or (m.group(4) and not m.group(3)) or (m.group(3) and not m.group(2)) or (m.group(5) and not m.group(4)):
        raise SMError("SM303", f"concordance pattern {pattern!r} is not IPC notation "
                               "(expected e.g. H04L27/26, G06F11*, B41J*, G16*).",
                      "fix the pattern in the lexicon CSV.")
    sec, cls, letter, group, subgroup, _star = m.groups()
    if cls is None:  # section
        lo = _subclass_index(sec, 0, "A") * _GROUP_SPAN
        hi = (_subclass_index(sec, 99, "Z") + 1) * _GROUP_SPAN - 1
        return lo, hi
    if letter is None:  # class
        lo = _subclass_index(sec, int(cls), "A") * _GROUP_SPAN
        return lo, (_subclass_index(sec, int(cls), "Z") + 1) * _GROUP_SPAN - 1
    base = _subclass_index(sec, int(cls), letter) * _GROUP_SPAN
    if group is None:  # subclass
        return base, base + _GROUP_SPAN - 1
    gbase = base + int(group) * _SUB_SPAN
    if subgroup is None:  # main group
        return gbase, gbase + _SUB_SPAN - 1
    if _star:  # subgroup-digit prefix: /048* -> [/048, /049)
        width = len(subgroup)
        lo = int(subgroup.ljust(6, "0"))
        return gbase + lo, gbase + lo + 10 ** (6 - width) - 1
    k = int(subgroup.rstrip("0").ljust(2, "0").ljust(6, "0"))
    return gbase + k, gbase + k


@dataclass(frozen=True)
class Concordance:
    """A compiled IPC classification scheme.

    Build one with :func:`load_concordance` (a shipped lexicon) or
    :meth:`Concordance.from_frame` (your own rules in the lexicon layout).

    Attributes
    ----------
    rules : DataFrame
        The lexicon rows (one per rule x pattern).
    rule_table : DataFrame
        One row per rule: ``rule_id, industry_code, industry_name, branch_no, branch_name``.
    meta : dict
        Provenance from the sidecar ``.meta.json`` (publication, year, version).
    """

    rules: pd.DataFrame
    rule_table: pd.DataFrame
    meta: dict = field(default_factory=dict)
    _bounds: np.ndarray = field(default=None, repr=False)
    _seg_match: np.ndarray = field(default=None, repr=False)
    _seg_excl: np.ndarray = field(default=None, repr=False)
    _match_sets: tuple = field(default=(), repr=False)
    _excl_sets: tuple = field(default=(), repr=False)
    _labels: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.rules["scheme"].iloc[0]) if len(self.rules) else ""

    @classmethod
    def from_frame(cls, rules: pd.DataFrame, meta: dict | None = None) -> Concordance:
        """Compile rules given in the lexicon layout (see module docstring)."""
        require_columns(rules, LEXICON_COLUMNS, "concordance lexicon")
        rules = rules[LEXICON_COLUMNS].astype(str).reset_index(drop=True)
        bad_kind = sorted(set(rules["kind"]) - {"include", "exclude"})
        if bad_kind:
            raise SMError("SM303", f"concordance lexicon has kind values {bad_kind}; only include/exclude exist.",
                          "fix the kind column of the lexicon CSV.")
        rule_table = (rules.drop_duplicates("rule_id")[["rule_id", "industry_code", "industry_name", "branch_no",
                                                        "branch_name"]].reset_index(drop=True))
        rid = {r: i for i, r in enumerate(rule_table["rule_id"])}
        ranges = np.array([pattern_range(p) for p in rules["pattern"]], dtype=np.int64).reshape(-1, 2)
        ridx = rules["rule_id"].map(rid).to_numpy()
        is_inc = rules["kind"].eq("include").to_numpy()
        # elementary segments [bounds[j], bounds[j+1]); bounds[0] = 0 covers keys before any rule
        bounds = np.unique(np.concatenate([[0], ranges[:, 0], ranges[:, 1] + 1]))
        lo_i = np.searchsorted(bounds, ranges[:, 0])
        hi_i = np.searchsorted(bounds, ranges[:, 1] + 1)
        n_seg, n_rule = len(bounds), len(rule_table)
        inc, match = _rule_matrices(ranges, lo_i, hi_i, ridx, is_inc, n_seg, n_rule)
        seg_match, match_sets = _set_ids(match)
        seg_excl, excl_sets = _set_ids(inc & ~match)
        conc = cls(rules=rules, rule_table=rule_table, meta=dict(meta or {}), _bounds=bounds,
                   _seg_match=seg_match, _seg_excl=seg_excl, _match_sets=match_sets, _excl_sets=excl_sets)
        conc._labels.update(_make_labels(conc))
        return conc

    # ------------------------------------------------------------------ matching
    def set_ids(self, codes, with_valid: bool = False) -> tuple[np.ndarray, ...]:
        """Rule-set ids of each code: (matching rules, rules that matched but excluded it[, valid])."""
        codes = codes.to_numpy() if isinstance(codes, pd.Series) else np.asarray(codes, dtype=object)
        inv, uniq = pd.factorize(pd.Series(codes, dtype=object), sort=False)
        keys = code_keys(np.asarray(uniq, dtype=object))
        seg = np.searchsorted(self._bounds, keys, side="right") - 1
        ok = keys >= 0
        m = np.where(ok, self._seg_match[np.clip(seg, 0, None)], 0)
        e = np.where(ok, self._seg_excl[np.clip(seg, 0, None)], 0)
        inv = np.asarray(inv)
        m_all = np.where(inv >= 0, m[np.clip(inv, 0, None)], 0) if len(m) else np.zeros(len(inv), dtype=np.int64)
        e_all = np.where(inv >= 0, e[np.clip(inv, 0, None)], 0) if len(e) else np.zeros(len(inv), dtype=np.int64)
        if with_valid:
            v_all = (inv >= 0) & (ok[np.clip(inv, 0, None)] if len(ok) else False)
            return m_all, e_all, v_all
        return m_all, e_all

    def classify(self, codes) -> pd.DataFrame:
        """Classify normalized codes (one row per input code, same order).

        Parameters
        ----------
        codes : list or Series of str
            Normalized codes (see :func:`smtext.patents.parse_ipc`); anything else is
            reported as ``valid == False`` and never matches.

        Returns
        -------
        DataFrame
            ``code``, ``valid``, ``keytech`` (matches at least one rule), ``n_rules``,
            ``rule_ids``, ``branches``, ``industries`` (``;``-joined, sorted), and
            ``excluded_by`` (rules whose pattern covered the code but whose 不含
            clause removed it).
        """
        codes = codes.to_numpy(dtype=object) if isinstance(codes, pd.Series) else np.asarray(codes, dtype=object)
        m, e, valid = self.set_ids(codes, with_valid=True)
        labels = self._labels

        def cat(name, ids):
            # categorical columns: an int array per row instead of a million Python strings
            lab_codes, lab_uniq = pd.factorize(labels[name], sort=False)
            return pd.Categorical.from_codes(lab_codes[ids], categories=lab_uniq)

        return pd.DataFrame({
            "code": codes,
            "valid": valid,
            "keytech": m > 0,
            "n_rules": labels["n"][m],
            "rule_ids": cat("rules", m),
            "branches": cat("branches", m),
            "industries": cat("industries", m),
            "excluded_by": cat("excl_rules", e),
        })

    def members(self, set_id: np.ndarray, level: str = "branch") -> pd.DataFrame:
        """Long table (``row``, ``unit``) of the branches or industries of each set id."""
        check_option("level", level, ["branch", "industry", "rule"])
        col = {"branch": "branch_no", "industry": "industry_code", "rule": "rule_id"}[level]
        per_set = [sorted(set(self.rule_table[col].to_numpy()[list(s)])) for s in self._match_sets]
        lens = np.array([len(x) for x in per_set])
        flat = np.array([u for x in per_set for u in x], dtype=object)
        offs = np.concatenate([[0], np.cumsum(lens)])
        set_id = np.asarray(set_id)
        rep = lens[set_id]
        rows = np.repeat(np.arange(len(set_id)), rep)
        within = np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep)
        return pd.DataFrame({"row": rows, "unit": flat[offs[set_id][rows] + within] if len(rows) else flat[:0]})

    def units(self, level: str = "branch") -> pd.DataFrame:
        """Distinct branches (``branch_no, branch_name``) or industries of the scheme."""
        check_option("level", level, ["branch", "industry"])
        cols = ["branch_no", "branch_name"] if level == "branch" else ["industry_code", "industry_name"]
        return self.rule_table[cols].drop_duplicates().reset_index(drop=True)


def _rule_matrices(ranges, lo_i, hi_i, ridx, is_inc, n_seg: int, n_rule: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment x rule matrices: covered by an include pattern, and matched after 不含.

    An exclusion removes a segment from an include pattern only when the exclusion's
    range lies strictly inside the pattern's range (IPC ranges are nested or disjoint),
    so an explicit listing at the exclusion's own level or finer is kept.
    """
    inc = np.zeros((n_seg, n_rule), dtype=bool)
    match = np.zeros((n_seg, n_rule), dtype=bool)
    excl_by_rule: dict[int, list[int]] = {}
    for j in np.flatnonzero(~is_inc):
        excl_by_rule.setdefault(int(ridx[j]), []).append(int(j))
    for i in np.flatnonzero(is_inc):
        a, b, r = lo_i[i], hi_i[i], ridx[i]
        inc[a:b, r] = True
        keep = np.ones(b - a, dtype=bool)
        lo, hi = ranges[i]
        for j in excl_by_rule.get(int(r), ()):
            elo, ehi = ranges[j]
            if lo <= elo and ehi <= hi and (elo, ehi) != (lo, hi):
                keep[max(lo_i[j], a) - a:min(hi_i[j], b) - a] = False
        match[a:b, r] |= keep
    return inc, match


def _make_labels(conc: Concordance) -> dict:
    rt = conc.rule_table

    def join(sets, col):
        vals = rt[col].to_numpy()
        return np.array([";".join(sorted(set(vals[list(s)]), key=_natural)) for s in sets], dtype=object)

    return {
        "n": np.array([len(s) for s in conc._match_sets], dtype=np.int64),
        "rules": join(conc._match_sets, "rule_id"),
        "branches": join(conc._match_sets, "branch_no"),
        "industries": join(conc._match_sets, "industry_code"),
        "excl_rules": join(conc._excl_sets, "rule_id"),
    }


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _set_ids(mat: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Row -> id of its set of True columns; id 0 is always the empty set."""
    packed = np.packbits(mat, axis=1)
    keys = [row.tobytes() for row in packed]
    empty = np.packbits(np.zeros(mat.shape[1], dtype=bool)).tobytes()
    ids: dict[bytes, int] = {empty: 0}
    out = np.empty(len(keys), dtype=np.int64)
    sets = [()]
    for i, k in enumerate(keys):
        j = ids.get(k)
        if j is None:
            j = ids[k] = len(sets)
            sets.append(tuple(np.flatnonzero(mat[i])))
        out[i] = j
    return out, tuple(sets)


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Concordance:
    p = Path(path)
    rules = pd.read_csv(p, dtype=str, comment="#", keep_default_na=False, encoding="utf-8")
    meta_path = p.with_suffix(".meta.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    return Concordance.from_frame(rules, meta)


def load_concordance(scheme: str = "sei_ipc_2021", path: str | Path | None = None) -> Concordance:
    """Load and compile a classification scheme.

    Parameters
    ----------
    scheme : {"sei_ipc_2021", "cnipa_kdt_2023"}
        Shipped scheme: the 2021 Strategic Emerging Industries - IPC concordance
        (战略性新兴产业分类与国际专利分类参照关系表(2021)) or CNIPA's 2023 key
        digital technology patent classification (关键数字技术专利分类体系, AI and
        industrial-internet sub-systems).
    path : path, optional
        Your own lexicon CSV in the same layout; overrides ``scheme``.

    Returns
    -------
    Concordance
    """
    if path is None:
        check_option("scheme", scheme, list(SCHEMES))
        path = lexicon_path(SCHEMES[scheme])
    elif not Path(path).is_file():
        raise SMError("SM301", f"lexicon file {path} does not exist.", "check the path.")
    return _load_cached(str(Path(path).resolve()))


def classify_codes(codes, scheme: str = "sei_ipc_2021", concordance: Concordance | None = None,
                   normalize: bool = False) -> pd.DataFrame:
    """Classify normalized IPC codes against a scheme (default: SEI-IPC 2021).

    Parameters
    ----------
    codes : list or Series of str
        Normalized codes such as ``H04L27/26`` (use :func:`smtext.patents.parse_ipc`
        or :func:`smtext.patents.normalize_code` on raw strings first).
    scheme : str
        Shipped scheme name, see :func:`load_concordance`.
    concordance : Concordance, optional
        An already loaded scheme (overrides ``scheme``).
    normalize : bool
        Normalize each code first (``H04L 27/26``, ``H04L0027260000`` ... are
        accepted; one code per element); the input is kept in column ``raw``.

    Returns
    -------
    DataFrame
        See :meth:`Concordance.classify`.

    Examples
    --------
    >>> classify_codes(["H04L27/26", "A47J27/00"])["keytech"].tolist()
    [True, False]
    """
    conc = concordance or load_concordance(scheme)
    if not normalize:
        return conc.classify(codes)
    from .ipc import normalize_code

    raw = np.asarray(codes.to_numpy() if isinstance(codes, pd.Series) else list(codes), dtype=object)
    inv, uniq = pd.factorize(pd.Series(raw, dtype=object), sort=False)
    norm = np.array([normalize_code(u)[0] for u in uniq] + [None], dtype=object)
    out = conc.classify(norm[np.where(inv >= 0, inv, len(uniq))])
    out.insert(0, "raw", raw)
    return out
