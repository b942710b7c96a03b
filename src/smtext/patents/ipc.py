"""Parse and validate International Patent Classification (IPC) codes.

Real patent records write one code in many ways: ``H04L 27/26``,
``H04L0027260000`` (the 14-character fixed-width form of CNIPA/EPO dumps),
``H04L27/26(2006.01)``, full-width ``Ｈ０４Ｌ２７／２６``, and put several codes in
one field separated by ``;``, ``,``, ``、`` or spaces (the first one is the main
code). This module turns such fields into one normalized code per row
(``H04L27/26``: subclass, main group without leading zeros, ``/``, subgroup of
at least two digits without trailing zeros beyond two) and keeps every token
that is not a valid code, with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import warn

#: normalized code: section A-H, 2-digit class, subclass letter, main group, "/", subgroup
CODE_RE = re.compile(r"^[A-H]\d{2}[A-Z][1-9]\d{0,3}/\d{2,6}$")
_SLASHED = re.compile(r"^([A-H]\d{2}[A-Z])(\d{1,4})/(\d{1,6})$")
_FIXED = re.compile(r"^([A-H]\d{2}[A-Z])(\d{4})(\d{6})$")
# version annotation such as "(2006.01)" plus the optional CPC/IPC-8 "I"/"N" level flag
_VERSION = re.compile(r"[\(\[]\s*\d{4}\s*\.\s*\d{1,2}\s*[\)\]](?:\s*[IN](?![A-Z0-9]))?")
_JOIN_SUBCLASS = re.compile(r"([A-H]\d{2}[A-Z])\s+(?=\d)")   # "H04L 27/26" -> "H04L27/26"
_JOIN_SLASH = re.compile(r"(\d)\s*/\s*(\d)")
_SPLIT = re.compile(r"[;,、|\s\[\]{}\"'<>]+")


def _clean_field(text: str) -> str:
    """Width-fold, upper-case and strip version notes of one raw IPC field (pure str -> str)."""
    text = unicodedata.normalize("NFKC", text).upper()
    text = _VERSION.sub(" ", text)
    text = _JOIN_SUBCLASS.sub(r"\1", text)
    return _JOIN_SLASH.sub(r"\1/\2", text)


def _trim_subgroup(digits: str) -> str:
    # Subgroup digits are read as a decimal fraction (/26 == /260 == /260000): drop
    # trailing zeros but keep the two-digit minimum of the IPC notation.
    digits = digits.rstrip("0")
    return digits.ljust(2, "0")


def normalize_code(token: str) -> tuple[str | None, str]:
    """Normalize one IPC code token.

    Parameters
    ----------
    token : str
        One code in any supported format (already split from its list).

    Returns
    -------
    code : str or None
        The normalized code (``H04L27/26``) or ``None`` when the token is malformed.
    reason : str
        ``""`` for a valid code, otherwise why it is not one.
    """
    return _normalize_clean(_clean_field(str(token)).strip())


def _normalize_clean(tok: str) -> tuple[str | None, str]:
    """:func:`normalize_code` for a token that is already cleaned (width-folded, upper-case)."""
    m = _SLASHED.match(tok) or _FIXED.match(tok)
    if m:
        sub, group, subgroup = m.groups()
        if int(group) == 0:
            return None, "main group is 0"
        if len(subgroup) < 2 and m.re is _SLASHED:
            return None, "subgroup has fewer than 2 digits"
        return f"{sub}{int(group)}/{_trim_subgroup(subgroup)}", ""
    return None, _reason(tok)


def _reason(tok: str) -> str:
    """Why ``tok`` (cleaned, upper-case) is not a full IPC code."""
    if not tok:
        return "empty"
    if not re.match(r"^[A-Z]", tok):
        return "does not start with a section letter"
    if not re.match(r"^[A-H]", tok):
        return f"section {tok[0]!r} is not A-H"
    if not re.match(r"^[A-H]\d{2}", tok):
        return "class is not two digits"
    if not re.match(r"^[A-H]\d{2}[A-Z]", tok):
        return "subclass letter missing"
    rest = tok[4:]
    if rest == "":
        return "subclass only (no main group / subgroup)"
    if re.fullmatch(r"\d{1,4}", rest):
        return "main group without subgroup"
    if re.fullmatch(r"\d+", rest):
        return f"fixed-width form must have 10 digits after the subclass, found {len(rest)}"
    if re.fullmatch(r"\d{5,}/\d+", rest):
        return "main group has more than 4 digits"
    if re.fullmatch(r"\d{1,4}/\d{7,}", rest):
        return "subgroup has more than 6 digits"
    if re.fullmatch(r"\d{1,4}/", rest):
        return "subgroup missing after '/'"
    return "not an IPC code"


def split_field(field) -> list[str]:
    """Split one raw IPC field into cleaned code tokens (order kept; main code first)."""
    if field is None or (isinstance(field, float) and np.isnan(field)):
        return []
    return [t for t in _SPLIT.split(_clean_field(str(field))) if t]


def parse_ipc(fields: Iterable | pd.Series, *, warn_malformed: bool = True) -> pd.DataFrame:
    """Parse raw IPC fields into one row per code token.

    Parameters
    ----------
    fields : Series or iterable of str
        Raw IPC fields, one per patent; the first code of a field is its main code.
        A Series keeps its index (in column ``record``); other iterables are numbered 0..n-1.
    warn_malformed : bool
        Emit coded warning SM302 naming how many tokens were malformed.

    Returns
    -------
    DataFrame
        Columns ``record`` (index label of the field), ``pos`` (0-based order in the
        field), ``is_main`` (``pos == 0``), ``raw`` (the cleaned token), ``code``
        (normalized code, ``None`` when malformed), ``valid`` and ``reason``
        (``""`` for valid codes). Fields with no token at all give one row with
        ``raw == ""`` and reason ``"empty"`` so that they are visible too.
    """
    s = fields if isinstance(fields, pd.Series) else pd.Series(list(fields))
    # parse each distinct field once: patent tables repeat the same IPC strings a lot
    # object dtype on purpose: iterating an Arrow-backed string column is slow
    codes_u, uniques = pd.factorize(pd.Series(s.to_numpy(dtype=object)).where(s.notna().to_numpy(), ""), sort=False)
    toks = [split_field(u) or [""] for u in uniques]
    lens = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    flat = [t for ts in toks for t in ts]
    tok_inv, tok_u = pd.factorize(pd.Series(flat, dtype=object), sort=False)
    parsed = [_normalize_clean(t) if t else (None, "empty") for t in tok_u]
    tok_code = np.array([p[0] for p in parsed], dtype=object)
    tok_reason = np.array([p[1] for p in parsed], dtype=object)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    # expand field -> rows
    rep = lens[codes_u]
    rec_idx = np.repeat(np.arange(len(s)), rep)
    pos = np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep)
    flat_idx = starts[codes_u][rec_idx] + pos
    tid = tok_inv[flat_idx]
    out = pd.DataFrame({
        "record": s.index.to_numpy()[rec_idx],
        "pos": pos.astype(np.int64),
        "is_main": pos == 0,
        "raw": np.asarray(tok_u, dtype=object)[tid],
        "code": tok_code[tid],
        "reason": tok_reason[tid],
    })
    out.insert(5, "valid", out["reason"].eq(""))
    n_bad = int((~out["valid"]).sum())
    if warn_malformed and n_bad:
        top = out.loc[~out["valid"], "reason"].value_counts().head(3).to_dict()
        warn("SM302", f"{n_bad} of {len(out)} IPC tokens are malformed and were not classified "
                      f"(most common reasons: {top}).",
             "inspect the rows with valid == False returned by parse_ipc / the patents' ipc_report.",
             stacklevel=2)
    return out


def ipc_levels(codes: Iterable[str] | pd.Series) -> pd.DataFrame:
    """Split normalized codes into their IPC levels.

    Parameters
    ----------
    codes : iterable of str
        Normalized codes such as ``H04L27/26``.

    Returns
    -------
    DataFrame
        ``code``, ``section`` (``H``), ``ipc3`` (class, ``H04``), ``ipc4`` (subclass,
        ``H04L``), ``main_group`` (``H04L27``), ``group`` (int), ``subgroup`` (str).
    """
    c = pd.Series(list(codes) if not isinstance(codes, pd.Series) else codes.to_numpy(), dtype=object)
    parts = c.str.extract(r"^([A-H]\d{2}[A-Z])(\d+)/(\d+)$")
    return pd.DataFrame({
        "code": c, "section": c.str[:1], "ipc3": c.str[:3], "ipc4": c.str[:4],
        "main_group": parts[0] + parts[1], "group": pd.to_numeric(parts[1]).astype("Int64"),
        "subgroup": parts[2],
    })


def to_fixed_width(code: str) -> str:
    """Normalized code -> 14-character form (``H04L27/26`` -> ``H04L0027260000``)."""
    sub, rest = code[:4], code[4:]
    group, subgroup = rest.split("/")
    return f"{sub}{int(group):04d}{subgroup.ljust(6, '0')}"


def validate_codes(codes: Iterable[str], scheme_symbols: Iterable[str]) -> pd.DataFrame:
    """Check normalized codes against a list of IPC symbols of one edition.

    Parameters
    ----------
    codes : iterable of str
        Normalized codes.
    scheme_symbols : iterable of str
        Valid symbols of the IPC edition, in normalized (``H04L27/26``) or
        14-character fixed-width form (both are accepted).

    Returns
    -------
    DataFrame
        ``code``, ``in_scheme`` (bool), ``subclass_in_scheme`` (bool: the subclass
        exists even if the group does not - typical for a newer or older edition).
    """
    known = set()
    subclasses = set()
    for sym in scheme_symbols:
        sym = str(sym)
        if len(sym) == 4:
            subclasses.add(sym)
            continue
        code, reason = normalize_code(sym)
        if code:
            known.add(code)
            subclasses.add(code[:4])
    c = pd.Series(list(codes), dtype=object)
    return pd.DataFrame({"code": c, "in_scheme": c.isin(known), "subclass_in_scheme": c.str[:4].isin(subclasses)})
