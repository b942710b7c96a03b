"""Concordance engine: pattern semantics, 不含 exclusions, shipped lexicons, and a brute-force check.

The brute-force matcher below is an independent implementation: plain string
tests of each code against each pattern of each rule, one at a time.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.patents import Concordance, classify_codes, load_concordance, normalize_code
from smtext.patents.concordance import code_keys


def _rules(rows):
    return pd.DataFrame(rows, columns=["scheme", "industry_code", "industry_name", "branch_no", "branch_name",
                                       "rule_id", "kind", "pattern"])


def _brute_hit(code: str, pat: str) -> bool:
    """String semantics of the concordance notation, written independently of the engine."""
    star = pat.endswith("*")
    stem = pat.rstrip("*")
    sub, rest = code[:4], code[4:]
    group, subgroup = rest.split("/")
    if len(stem) <= 4:                      # section, class or subclass (with or without *)
        return code.startswith(stem)
    if "/" not in stem:                     # main group (with or without *)
        return sub + group == stem
    sgroup_stem, sub_stem = stem.split("/")
    if sgroup_stem != sub + group:
        return False
    if star:                                # prefix of the subgroup digits
        return subgroup.startswith(sub_stem)
    return subgroup.rstrip("0").ljust(2, "0") == sub_stem.rstrip("0").ljust(2, "0")


def _fixed_prefix(pat: str) -> str:
    """Pattern -> prefix of the 14-character fixed-width code form (H04L0027260000)."""
    stem = pat.rstrip("*")
    if len(stem) <= 4:
        return stem
    if "/" not in stem:
        return stem[:4] + stem[4:].zfill(4)
    group, sub = stem[4:].split("/")
    if pat.endswith("*"):
        return stem[:4] + group.zfill(4) + sub
    return stem[:4] + group.zfill(4) + sub.rstrip("0").ljust(2, "0").ljust(6, "0")


def _strictly_inside(excl: str, pat: str) -> bool:
    """Every code ``excl`` covers is covered by ``pat``, and ``pat`` covers more."""
    e, p = _fixed_prefix(excl), _fixed_prefix(pat)
    return e.startswith(p) and e != p


_GROUPED: dict[int, list] = {}


def _brute_classify(code: str, rules: pd.DataFrame) -> set[str]:
    """A rule matches when one of its include patterns covers the code and none of the
    rule's exclusions that are strictly narrower than that pattern does (an explicit
    listing at the exclusion's level or finer stays in)."""
    if id(rules) not in _GROUPED:
        _GROUPED[id(rules)] = [(rid, r.loc[r["kind"] == "include", "pattern"].tolist(),
                                r.loc[r["kind"] == "exclude", "pattern"].tolist())
                               for rid, r in rules.groupby("rule_id")]
    hits = set()
    for rid, inc, exc in _GROUPED[id(rules)]:
        if any(_brute_hit(code, p) and not any(_brute_hit(code, e) and _strictly_inside(e, p) for e in exc)
               for p in inc):
            hits.add(rid)
    return hits


TOY = _rules([
    ("toy", "1", "信息", "1.1", "网络", "R1", "include", "G06F*"),       # subclass wildcard
    ("toy", "1", "信息", "1.1", "网络", "R1", "exclude", "G06F16*"),     # 不含 a whole group
    ("toy", "1", "信息", "1.1", "网络", "R1", "exclude", "G06F3/048*"),  # 不含 a subgroup prefix
    ("toy", "2", "装备", "2.1", "存储", "R2", "include", "G06F16/182"),  # exact subgroup, in another branch
    ("toy", "2", "装备", "2.2", "农机", "R3", "include", "A01B1*"),      # main-group wildcard
    ("toy", "3", "医疗", "3.1", "信息", "R4", "include", "G16*"),        # class wildcard
    ("toy", "3", "医疗", "3.1", "信息", "R5", "include", "H03M13"),      # bare main group
])


@pytest.mark.parametrize("code, rules", [
    ("G06F17/30", "R1"),            # inside the subclass wildcard
    ("G06F16/20", ""),              # excluded from R1 and in no other rule
    ("G06F16/182", "R2"),           # excluded from R1 (branch 1.1) but key-tech through branch 2.1
    ("G06F3/0481", ""),             # subgroup-prefix exclusion /048*
    ("G06F3/0484", ""),
    ("G06F3/049", "R1"),            # /049 is outside /048*
    ("G06F3/04", "R1"),             # parent of /048 is not excluded
    ("A01B1/00", "R3"),
    ("A01B1/24", "R3"),
    ("A01B12/00", ""),              # A01B1* is the main group 1, never 12
    ("A01B2/00", ""),
    ("G16H10/60", "R4"),
    ("G16B5/00", "R4"),
    ("G15B1/00", ""),
    ("H03M13/01", "R5"),
    ("H03M7/30", ""),
])
def test_pattern_semantics_on_a_toy_scheme(code, rules):
    conc = Concordance.from_frame(TOY)
    out = conc.classify([code])
    assert out["rule_ids"].iloc[0] == rules
    assert bool(out["keytech"].iloc[0]) == bool(rules)
    assert rules == ";".join(sorted(_brute_classify(code, TOY)))


LISTED_AND_EXCLUDED = _rules([
    ("toy", "1", "信息", "1.1", "网络", "R1", "include", "G06F*"),
    ("toy", "1", "信息", "1.1", "网络", "R1", "include", "G06F16/182"),  # listed explicitly ...
    ("toy", "1", "信息", "1.1", "网络", "R1", "exclude", "G06F16*"),     # ... inside an excluded group
    ("toy", "1", "信息", "1.1", "网络", "R1", "exclude", "G06F3/01"),    # listed and excluded at one level
    ("toy", "1", "信息", "1.1", "网络", "R1", "include", "G06F3/01"),
])


@pytest.mark.parametrize("code, rules", [
    ("G06F16/182", "R1"),    # explicit subgroup beats the broader 不含 G06F16*
    ("G06F16/20", ""),       # the rest of G06F16 stays excluded
    ("G06F3/01", "R1"),      # the same code listed and excluded: the listing wins
    ("G06F3/02", "R1"),
])
def test_an_explicit_listing_is_not_removed_by_a_same_or_broader_exclusion(code, rules):
    out = Concordance.from_frame(LISTED_AND_EXCLUDED).classify([code])
    assert out["rule_ids"].iloc[0] == rules
    assert rules == ";".join(sorted(_brute_classify(code, LISTED_AND_EXCLUDED)))


def test_exclusion_from_another_branch_is_reported():
    out = Concordance.from_frame(TOY).classify(["G06F16/182", "G06F16/20"])
    assert out["branches"].tolist() == ["2.1", ""]
    assert out["excluded_by"].tolist() == ["R1", "R1"]   # R1 covered both codes but its 不含 removed them


def test_invalid_codes_never_match():
    out = Concordance.from_frame(TOY).classify(["G06F", "xx", None, "G06F17/30"])
    assert out["valid"].tolist() == [False, False, False, True]
    assert out["keytech"].tolist() == [False, False, False, True]


def test_code_keys_reject_what_is_not_a_normalized_code():
    bad = ["H04L27/26/1", "H04L12345/00", "H04L27/2", "H04L27/1234567", "Ｈ04L27/26", "H04L0/26", "H04L27",
           "H04L/26", "I04L27/26", "H04L27/26x", "", None, 123, float("nan"), "H04L27/26" + "0" * 10]
    assert (code_keys(np.array(bad, dtype=object)) == -1).all()
    good = ["H04L27/26", "A01B1/00", "C12Q1/6886", "G06F3/048", "H01M10/0525", "B82Y10/00", "A61K9999/999999"]
    assert (code_keys(np.array(good, dtype=object)) >= 0).all()
    # same subgroup written with trailing zeros gets the same key
    assert code_keys(np.array(["H04L27/26", "H04L27/260000"], dtype=object)).tolist() == \
        [code_keys(np.array(["H04L27/26"], dtype=object))[0]] * 2


def test_code_keys_order_like_the_ipc():
    keys = code_keys(np.array(["H04L27/26", "H04L27/2601", "H04L27/27", "H04L28/00", "H04M1/00"], dtype=object))
    assert (np.diff(keys) > 0).all()


def test_bad_pattern_and_bad_scheme_raise_coded_errors():
    with pytest.raises(SMError, match="SM303"):
        Concordance.from_frame(_rules([("x", "1", "a", "1.1", "b", "R1", "include", "H04L27/26/1")]))
    with pytest.raises(SMError, match="SM303"):
        Concordance.from_frame(_rules([("x", "1", "a", "1.1", "b", "R1", "maybe", "H04L27/26")]))
    with pytest.raises(SMError, match="SM002"):
        load_concordance("sei_2099")
    with pytest.raises(SMError, match="SM301"):
        load_concordance(path="/nonexistent/lexicon.csv")


# --------------------------------------------------------------- shipped SEI-IPC 2021 lexicon
def test_paper_004_examples_on_the_shipped_sei_lexicon():
    out = classify_codes(["H04L27/26", "B41J3/00", "B41J2/01", "A47J27/00"]).set_index("code")
    # H04L27/26: exact subgroup listed in rule 1.1-03 (paper 004's example of a subgroup match)
    assert out.loc["H04L27/26", "keytech"] and "1.1-03" in out.loc["H04L27/26", "rule_ids"].split(";")
    # B41J* (不含 B41J2*), paper 004's example: B41J3/00 is in 1.1 through rule 1.1-02 ...
    assert "1.1-02" in out.loc["B41J3/00", "rule_ids"].split(";")
    # ... B41J2/01 is removed from 1.1-02 but is key-technology through another branch (2.1)
    assert "1.1-02" not in out.loc["B41J2/01", "rule_ids"].split(";")
    assert "1.1-02" in out.loc["B41J2/01", "excluded_by"].split(";")
    assert out.loc["B41J2/01", "keytech"] and "2.1" in out.loc["B41J2/01", "branches"].split(";")
    assert not out.loc["A47J27/00", "keytech"]


def test_codes_listed_and_excluded_in_one_sei_rule_are_key_technology():
    # The transcription merges the product rows of branch 1.1 into rule 1.1-03, which lists
    # these 15 subgroups and also names them in a 不含 clause. Paper 004 matches listed
    # subgroups one to one, so each is key-technology through 1.1-03.
    both = ["G01S1/02", "H04B3/54", "H04B7/14", "H04B7/15", "H04B7/155", "H04B7/204", "H04B7/212", "H04B7/216",
            "H04B7/26", "H04J3/06", "H04J14/02", "H04L12/02", "H04L12/24", "H04L12/46", "H04Q11/00"]
    out = classify_codes(both)
    assert out["keytech"].all()
    assert all("1.1-03" in r.split(";") for r in out["rule_ids"])
    # an excluded subgroup that 1.1-03 does not list stays out of 1.1-03
    other = classify_codes(["H04B7/185"])
    assert "1.1-03" not in other["rule_ids"].iloc[0].split(";")
    assert "1.1-03" in other["excluded_by"].iloc[0].split(";")


def test_classify_codes_can_normalize_raw_codes():
    out = classify_codes(["H04L 27/26", "H04L0027260000", "Ｈ０４Ｌ２７／２６", "G06N3/08(2006.01)", "H04L", None],
                         normalize=True)
    assert out["code"].tolist()[:4] == ["H04L27/26"] * 3 + ["G06N3/08"]
    assert out["keytech"].tolist()[:3] == [True] * 3
    assert out["valid"].tolist()[4:] == [False, False]
    assert out["raw"].iloc[0] == "H04L 27/26"


def test_demo_world_code_lists_agree_with_the_shipped_lexicon():
    from smtext.demo.patents import KEYTECH_CODES, NONKEY_CODES
    assert classify_codes(KEYTECH_CODES)["keytech"].all()
    assert not classify_codes(NONKEY_CODES)["keytech"].any()


def test_engine_equals_brute_force_on_codes_around_every_pattern():
    conc = load_concordance()
    rng = np.random.default_rng(0)
    codes = set()
    for pat in conc.rules["pattern"]:
        stem = pat.rstrip("*")
        if len(stem) < 4:
            stem = stem + "ABCDEFGH"[rng.integers(8)] if len(stem) == 3 else stem + "01A"
        if "/" in stem:
            g, s = stem.split("/")
            codes |= {stem if len(s) >= 2 else stem + "0", f"{g}/{s}1", f"{g}/{s[:-1] or '0'}9" if len(s) > 2 else
                      f"{g}/99"}
        elif len(stem) == 4:
            codes |= {f"{stem}1/00", f"{stem}{rng.integers(1, 200)}/{rng.integers(0, 99):02d}"}
        else:
            codes |= {f"{stem}/00", f"{stem}/{rng.integers(1, 99):02d}", f"{stem}0/00", f"{stem[:-1]}/00"
                      if re.search(r"\d\d$", stem) else f"{stem}1/00"}
    codes = sorted(c for c in codes if normalize_code(c)[0] == c)
    sample = list(rng.choice(codes, size=min(600, len(codes)), replace=False))
    got = conc.classify(sample).set_index("code")["rule_ids"]
    rules = conc.rules
    for code in sample:
        assert got[code] == ";".join(sorted(_brute_classify(code, rules), key=_natural)), code


def _natural(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def test_cnipa_key_digital_tech_scheme_plugs_in():
    conc = load_concordance("cnipa_kdt_2023")
    assert set(conc.rule_table["industry_code"]) == {"AI", "IIOT"}
    out = conc.classify(["G10L15/22", "A47J27/00", "G06F3/0481"]).set_index("code")
    # G10L15* is listed for AI 3.2 智能语音 and 3.2.1 语音识别 (CNIPA 2023, p.23)
    assert {"AI-3.2", "AI-3.2.1"} <= set(out.loc["G10L15/22", "branches"].split(";"))
    assert not out.loc["A47J27/00", "keytech"]
    assert out.loc["G06F3/0481", "keytech"]      # G06F3/048* (prefix pattern in the transcription)


@pytest.mark.reference
def test_shipped_sei_lexicon_is_a_faithful_rekeying(reference_dir, project_root):
    """Each rule's patterns and exclusions equal the reference transcription (303 rules, 40 branches)."""
    ref = pd.read_csv(reference_dir / "02_sei_ipc_concordance_2021" / "sei_ipc_rules_2021.csv", dtype=str,
                      keep_default_na=False)
    lex = pd.read_csv(project_root / "lexicons" / "sei_ipc_2021.csv", dtype=str, keep_default_na=False)
    assert lex["rule_id"].nunique() == len(ref) == 303
    assert lex["branch_no"].nunique() == 40 and lex["industry_code"].nunique() == 9
    assert (lex["kind"] == "include").sum() == 1689 and (lex["kind"] == "exclude").sum() == 983
    for r in ref.itertuples():
        rid = f"{r.branch_no}-{int(r.rule_no):02d}"
        mine = lex[lex["rule_id"] == rid]
        # patterns and exclusions in the table's own order, nothing added or lost
        assert mine.loc[mine["kind"] == "include", "pattern"].tolist() == [
            p for p in r.ipc_patterns.split(";") if p], rid
        assert mine.loc[mine["kind"] == "exclude", "pattern"].tolist() == [
            p for p in r.ipc_exclusions.split(";") if p], rid
        labels = mine[["industry_code", "industry_name", "branch_no", "branch_name", "source_page"]].drop_duplicates()
        assert labels.values.tolist() == [[r.industry_code, r.industry_name, r.branch_no, r.branch_name,
                                           r.source_pdf_page]], rid


@pytest.mark.slow
@pytest.mark.reference
def test_engine_equals_brute_force_on_real_ipc_symbols(reference_dir):
    """2,000 real subgroup symbols of the WIPO IPC (reference 06_ipc_scheme), engine vs brute force."""
    df = pd.read_csv(reference_dir / "06_ipc_scheme" / "ipc_scheme_levels.csv", dtype=str,
                     usecols=["symbol", "level"])
    sub = df[df["level"].isin(["subgroup", "main_group"])]["symbol"].sample(2000, random_state=1).tolist()
    conc = load_concordance()
    got = conc.classify(sub)
    expected = [";".join(sorted(_brute_classify(c, conc.rules), key=_natural)) for c in sub]
    assert got["rule_ids"].tolist() == expected
    assert got["keytech"].sum() > 200          # the sample reaches many rules, so the check bites


def test_lexicon_sidecars_name_their_publication(project_root):
    """Sidecars carry the provenance fields every smtext lexicon has (smtext.text.lexicon.META_FIELDS)."""
    import json

    from smtext.text.lexicon import META_FIELDS

    for name in ("sei_ipc_2021", "cnipa_key_digital_tech_2023_ipc"):
        meta = json.loads((project_root / "lexicons" / f"{name}.meta.json").read_text(encoding="utf-8"))
        for key in META_FIELDS:
            assert meta.get(key), f"{name}.meta.json lacks {key}"
    assert load_concordance().meta["year"] == 2021
