"""Lexicon files and their loader.

Published facts checked here: Wu Fei et al. (2021, 管理世界 37(7)) list 76
keywords in 5 dimensions of sizes 15/9/13/5/34 (the paper's keyword figure);
the reference copy in ../shared/reference/03a_* is compared term by term.
"""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest

from smtext.demo import text as demo_text
from smtext.errors import SMError, SMWarning
from smtext.text.lexicon import (
    META_FIELDS,
    combine,
    lexicon_dir,
    list_lexicons,
    load_lexicon,
    normalize_term,
)

SHIPPED = ["wufei2021_digital", "smart_manufacturing", "ai", "nqpf_seed", "industrial_foundation_keywords",
           "visit_standard", "rd_subsidy", "negators", "third_party_subjects", "section_titles"]


def test_every_promised_lexicon_ships_with_provenance():
    assert set(SHIPPED) <= set(list_lexicons())
    for name in SHIPPED:
        lex = load_lexicon(name)
        assert len(lex) > 0
        for key in META_FIELDS:
            assert lex.meta.get(key), f"{name}.meta.json lacks {key}"
        assert lex.meta["n_terms"] == len(lex), name
        assert lex.terms["term"].is_unique
        assert len(lex.sha256) == 64
    assert (lexicon_dir() / "econ_userdict.txt").is_file()


def test_every_sidecar_names_publication_year_and_version():
    # user dictionaries and IPC tables included, not only the keyword lexicons
    sidecars = sorted(lexicon_dir().glob("*.meta.json"))
    assert len(sidecars) >= len(SHIPPED) + 2
    for path in sidecars:
        meta = json.loads(path.read_text(encoding="utf-8"))
        assert [k for k in META_FIELDS if not meta.get(k)] == [], path.name
        data = [p for p in lexicon_dir().glob(path.name.replace(".meta.json", ".*")) if not p.name.endswith(".meta.json")]
        assert len(data) == 1, path.name                                  # a sidecar describes one data file


def test_wufei_has_76_terms_in_5_dimensions():
    lex = load_lexicon("wufei2021_digital")
    sizes = lex.terms.groupby("category", sort=False).size().to_dict()
    # published dimension sizes (Wu Fei et al. 2021): AI 15, big data 9, cloud 13, blockchain 5, application 34
    assert sizes == {"ai": 15, "big_data": 9, "cloud": 13, "blockchain": 5, "digital_application": 34}
    assert len(lex) == 76


@pytest.mark.reference
def test_wufei_matches_reference_copy(reference_dir):
    ref = pd.read_csv(reference_dir / "03a_wufei2021_digital_transformation_dict" / "wufei2021_dt_keywords.csv")
    lex = load_lexicon("wufei2021_digital").terms
    assert list(lex["term"]) == list(ref["keyword"])
    assert list(lex["category"]) == list(ref["dimension_en"])


@pytest.mark.reference
def test_cnipa_terms_cite_their_branch(reference_dir):
    ref = pd.read_csv(reference_dir / "03e_cnipa_key_digital_tech_2023_AI_IIoT" / "key_digital_tech_2023_keywords_long.csv",
                      dtype=str)
    pairs = set(zip(ref["keyword"], ref["branch_no"], ref["subsystem"]))
    for name, sub, cats in (("smart_manufacturing", "工业互联网", {"cnipa_iiot"}),
                            ("ai", "人工智能", {"cnipa_hardware", "cnipa_algorithm", "cnipa_application"})):
        t = load_lexicon(name).terms
        t = t[t["category"].isin(cats)]
        assert len(t) > 10
        for term, note in zip(t["term"], t["note"]):
            branch = note.rsplit(" ", 1)[-1]
            assert (term, branch, sub) in pairs, (name, term, note)


@pytest.mark.reference
def test_industrial_foundation_terms_come_from_catalogue_items(reference_dir):
    ref = pd.read_csv(reference_dir / "05_industrial_foundation_catalog" / "industrial_foundation_catalog_items.csv")
    lex = load_lexicon("industrial_foundation_keywords").terms
    # the documented rule: drop parenthetical abbreviations and stray brackets/dashes
    derived = {normalize_term(re.sub(r"（[^）]*）|\([^)]*\)", "", str(i)).replace("）", "").strip(" —-")) for i in ref["item_nospace"]}
    assert set(lex["term"]) <= derived
    assert len(lex) >= 0.95 * ref["item_nospace"].nunique()


def test_demo_terms_are_in_the_lexicons_under_their_measure():
    smart = set(load_lexicon("smart_manufacturing").terms["term"])
    digital = set(load_lexicon("wufei2021_digital").terms["term"])
    ai = set(load_lexicon("ai").terms["term"])
    nqpf = set(load_lexicon("nqpf_seed").terms["term"])
    assert set(demo_text.SMART_TERMS) <= smart
    assert set(demo_text.DIGITAL_TERMS) <= digital
    assert set(demo_text.AI_TERMS) <= ai
    assert demo_text.NQPF_SEED in nqpf
    # the measures stay apart: no digital/AI-only demo term is counted as smart manufacturing
    others = (set(demo_text.DIGITAL_TERMS) | set(demo_text.AI_TERMS)) - set(demo_text.SMART_TERMS)
    assert not [(s, o) for o in others for s in smart if s in o]
    negators = load_lexicon("negators").terms
    assert {"未", "尚未", "没有", "不", "无"} <= set(negators.loc[negators["category"] == "negator", "term"])
    subjects = set(load_lexicon("third_party_subjects").terms["term"])
    assert {"客户", "供应商", "董事"} <= subjects


def test_userdict_covers_every_keyword_term():
    words = {ln.split(" ")[0] for ln in (lexicon_dir() / "econ_userdict.txt").read_text(encoding="utf-8").splitlines()}
    for name in ("wufei2021_digital", "smart_manufacturing", "ai", "nqpf_seed", "visit_standard", "rd_subsidy",
                 "industrial_foundation_keywords"):
        terms = {t for t in load_lexicon(name).terms["term"] if " " not in t}
        assert terms <= words, (name, sorted(terms - words)[:5])
    for line in (lexicon_dir() / "econ_userdict.txt").read_text(encoding="utf-8").splitlines():
        word, freq, tag = line.split(" ")
        assert int(freq) > 0 and tag


def test_user_lexicon_with_comment_header_and_sidecar(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("# my lexicon, v2\ncategory,term,weight\ngreen,绿色制造,2\ngreen,ＥＳＧ,1\n", encoding="utf-8")
    (tmp_path / "mine.meta.json").write_text(json.dumps({"publication": "me (2024)", "version": "2"}), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lex = load_lexicon(path)
    assert lex.name == "mine" and lex.version == "2"
    # full-width letters are normalised like the text they are matched against
    assert list(lex.terms["term"]) == ["绿色制造", "ESG"]
    assert list(lex.terms["weight"]) == [2.0, 1.0]


def test_user_lexicon_without_sidecar_warns(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("category,term\nx,数字化\n", encoding="utf-8")
    with pytest.warns(SMWarning, match="SM204"):
        load_lexicon(path)


@pytest.mark.parametrize("body, code", [
    ("cat,term\nx,数字化\n", "SM202"),                 # wrong header
    ("category,term\nx,数字化\ny,数字化\n", "SM203"),   # duplicate term
    ("category,term\nx,Fintech\ny,FINTECH\n", "SM203"),  # duplicates up to Latin case
    ("category,term\nx,\n", "SM202"),                  # empty term
    ("category,term,weight\nx,数字化,abc\n", "SM202"),  # bad weight
])
def test_malformed_user_lexicons_raise_coded_errors(tmp_path, body, code):
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SMError) as err:
        load_lexicon(path, meta={"publication": "test"})
    assert err.value.code == code


def test_not_found_and_not_utf8(tmp_path):
    with pytest.raises(SMError) as err:
        load_lexicon("no_such_lexicon")
    assert err.value.code == "SM201" and "wufei2021_digital" in str(err.value)
    with pytest.raises(SMError) as err:
        load_lexicon(tmp_path / "missing.csv")
    assert err.value.code == "SM201"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("category,term\nx,数字化\n".encode("gbk"))
    with pytest.raises(SMError) as err:
        load_lexicon(gbk, meta={})
    assert err.value.code == "SM202" and "UTF-8" in str(err.value)


def test_combine_prefixes_categories_and_keeps_first_owner():
    comb = combine(["smart_manufacturing", "wufei2021_digital"])
    cat = comb.category_of()
    assert cat["工业互联网"].startswith("smart_manufacturing:")     # in both lists; first one wins
    assert cat["区块链"] == "wufei2021_digital:blockchain"
    assert len(comb) == len(set(load_lexicon("smart_manufacturing").terms["term"])
                            | set(load_lexicon("wufei2021_digital").terms["term"]))
