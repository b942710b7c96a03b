"""Firm-year patent measures on hand-made firms with answers worked out by hand, and on the demo world."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.patents import (
    Concordance,
    applicant_kind,
    firm_year_measures,
    match_applicants,
    normalize_name,
    patent_measures,
)

TOY = pd.DataFrame([
    ("toy", "1", "信息", "1.1", "网络", "R1", "include", "G06F*"),
    ("toy", "1", "信息", "1.1", "网络", "R1", "exclude", "G06F16*"),
    ("toy", "2", "装备", "2.1", "存储", "R2", "include", "G06F16/182"),
    ("toy", "2", "装备", "2.2", "农机", "R3", "include", "A01B1*"),
    ("toy", "3", "医疗", "3.1", "信息", "R4", "include", "G16*"),
], columns=["scheme", "industry_code", "industry_name", "branch_no", "branch_name", "rule_id", "kind", "pattern"])

FIRMS = pd.DataFrame({"stkcd": ["000001", "000002"], "name": ["甲科技股份有限公司", "乙电子股份有限公司"],
                      "city": ["苏州", "苏州"]})
SUBS = pd.DataFrame({"stkcd": ["000001"], "subsidiary_name": ["苏州甲科技有限公司"]})

A, B = "甲科技股份有限公司", "乙电子股份有限公司"
PATENTS = pd.DataFrame([
    # appno, title, applicants, app_date, grant_date, type, ipc, citations
    ("p1", "一种数据处理方法", A, "2015-03-01", "2018-05-01", "发明", "G06F17/30", 3),
    ("p2", "一种分布式存储方法", "苏州甲科技有限公司;清华大学", "2016-02-01", "", "发明", "A01B 1/00; G06F0016182000", 2),
    ("p3", "一种厨具", A, "2016-07-01", "", "发明", "A47J27/00(2006.01)", 5),
    ("p4", "一种医疗信息系统", A, "2018-01-05", "2021-01-01", "发明", "Ｇ１６Ｈ１０／６０", 0),
    ("p5", "一种计算装置", A, "2018-03-05", "", "发明专利", "G06F17/00", 1),
    ("p6", "一种医疗信息系统", A, "2018-03-05", "", "实用新型", "G16H10/60", 0),
    ("p8", "一种数据处理系统", f"{B};{A}", "2016-09-09", "", "发明", "G06F17/30", 0),
    ("p9", "一种厨具", f"{A}；苏州甲科技有限公司", "2017-09-09", "", "发明", "A47J27/00", 0),
    ("p10", "一种厨具", "丙食品有限公司", "2017-09-09", "", "发明", "A47J27/00", 0),
], columns=["appno", "title", "applicants", "app_date", "grant_date", "patent_type", "ipc", "citations"])
PATENTS["abstract"] = ""


@pytest.fixture(scope="module")
def res():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        return patent_measures(PATENTS, FIRMS, SUBS, years=(2015, 2018), level="branch",
                               concordance=Concordance.from_frame(TOY), inn_keywords=["存储"])


def _row(res, stkcd, year):
    t = res.table
    return t[(t["stkcd"] == stkcd) & (t["year"] == year)].iloc[0]


# Expected values worked out by hand from PATENTS and TOY (see the comments on each line).
@pytest.mark.parametrize("year, expected", [
    # 2015: p1 (1.1, G06F)
    (2015, dict(n_invention=1, n_keytech=1, n_nonkey=0, n_joint=0, n_keytech_joint=0, n_granted=1, citations=3,
                kt_br_1_1=1, width1=1, width3=0.0, width4=1)),
    # 2016: p2 (2.1 via G06F16/182 + 2.2 via A01B1/00, joint with a university), p3 non-key,
    #       p8 (1.1, joint with firm B). width3: shares 2.1 .25, 2.2 .25, 1.1 .5 -> 1-(.0625+.0625+.25)
    #       width4: p2 has G06F (pool since 2015) and p8 G06F -> no new patent
    (2016, dict(n_invention=3, n_keytech=2, n_nonkey=1, n_joint=2, n_keytech_joint=2, n_granted=0, citations=7,
                keytech_citations=2, kt_br_1_1=1, kt_br_2_1=1, kt_br_2_2=1, kt_ind_2=1, width1=3, width3=0.625,
                width4=0, inn=1)),
    # 2017: p9 non-key, parent + subsidiary: joint under joint="any"
    (2017, dict(n_invention=1, n_keytech=0, n_nonkey=1, n_joint=1, width1=0, width4=0)),
    # 2018: p4 (3.1, G16H new), p5 (1.1, G06F old); p6 is a utility model.
    #       width2: pool(2018)={G06F,A01B,G16H} minus pool(2015)={G06F} -> 2
    (2018, dict(n_invention=2, n_keytech=2, n_granted=1, kt_br_3_1=1, kt_br_1_1=1, width1=2, width2=2.0,
                width3=0.5, width4=1)),
])
def test_firm_a_measures_by_hand(res, year, expected):
    row = _row(res, "000001", year)
    for k, v in expected.items():
        assert row[k] == pytest.approx(v, abs=1e-12), k


def test_missing_widths_and_logs(res):
    r15, r17 = _row(res, "000001", 2015), _row(res, "000001", 2017)
    assert np.isnan(r15["width2"])                     # 2012 pool is before the data start
    assert np.isnan(r17["width3"])                     # no key-tech application in 2017
    assert r15["ln_n_keytech"] == pytest.approx(np.log(2))
    assert _row(res, "000001", 2016)["ln_n_invention"] == pytest.approx(np.log(4))


def test_joint_application_counts_for_both_firms(res):
    b = _row(res, "000002", 2016)
    assert (b["n_invention"], b["n_keytech"], b["n_keytech_joint"]) == (1, 1, 1)
    assert _row(res, "000002", 2015)["n_invention"] == 0       # balanced panel: zeros, not missing


def test_what_was_dropped_is_reported(res):
    d = res.dropped.set_index("reason")["n"]
    assert d["patent type not in ['发明']"] == 1               # p6
    assert d["no applicant matched a listed firm"] == 1        # p10
    m = res.match.table.set_index("name")
    assert m.loc["清华大学", "method"] == "not_a_firm"
    assert m.loc["苏州甲科技有限公司", "stkcd"] == "000001"
    assert m.loc["丙食品有限公司", "method"] == "unmatched"


def test_external_joint_and_main_code_options():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        ext = patent_measures(PATENTS, FIRMS, SUBS, years=(2015, 2018), concordance=Concordance.from_frame(TOY),
                              joint="external")
        main = patent_measures(PATENTS, FIRMS, SUBS, years=(2015, 2018), concordance=Concordance.from_frame(TOY),
                               match_on="main", level="branch")
        ind = patent_measures(PATENTS, FIRMS, SUBS, years=(2015, 2018), concordance=Concordance.from_frame(TOY))
    assert _row(ext, "000001", 2017)["n_joint"] == 0           # p9: own parent + own subsidiary
    assert _row(ext, "000001", 2016)["n_joint"] == 2
    r = _row(main, "000001", 2016)                               # p2 main code A01B1/00 -> 2.2 only
    assert (r["width1"], r["kt_br_2_1"], r["kt_br_2_2"]) == (2, 0, 1)
    assert r["width3"] == pytest.approx(0.5)
    # default level = SEI industry: in 2016 p2 is in industry 2 (via 2.1 and 2.2), p8 in industry 1
    r = _row(ind, "000001", 2016)
    assert (r["width1"], r["kt_ind_1"], r["kt_ind_2"]) == (2, 1, 1)
    assert r["width3"] == pytest.approx(0.5)
    assert _row(ind, "000001", 2018)["width1"] == 2            # p4 industry 3, p5 industry 1


def test_firm_year_measures_warns_with_the_match_summary_and_checks_options():
    with pytest.warns(SMWarning, match="SM307"):
        t = firm_year_measures(PATENTS, FIRMS, SUBS, concordance=Concordance.from_frame(TOY))
    assert list(t.columns[:2]) == ["stkcd", "year"] and t["year"].min() == 2015
    with pytest.raises(SMError, match="SM002"):
        patent_measures(PATENTS, FIRMS, SUBS, match_on="all")
    with pytest.raises(SMError, match="SM001"):
        patent_measures(PATENTS.drop(columns="ipc"), FIRMS, SUBS)
    with pytest.raises(SMError, match="SM308"):
        patent_measures(PATENTS, FIRMS, SUBS, width2_lag=0)


def test_repeated_application_rows_count_once_with_pooled_applicants(res):
    # a per-firm export lists joint application p8 once under each firm, and p1 twice
    split = PATENTS[PATENTS["appno"] != "p8"]
    p8 = PATENTS[PATENTS["appno"] == "p8"]
    rows = pd.concat([split, p8.assign(applicants=A), p8.assign(applicants=B), PATENTS[PATENTS["appno"] == "p1"]],
                     ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = patent_measures(rows, FIRMS, SUBS, years=(2015, 2018), level="branch",
                                concordance=Concordance.from_frame(TOY), inn_keywords=["存储"])
    assert any("SM309: 2 rows repeat an application number" in str(w.message) for w in caught)
    assert again.dropped.set_index("reason")["n"]["duplicate application number (rows merged, applicants pooled)"] == 2
    # same counts as the de-duplicated input, incl. p8 joint for both firms
    pd.testing.assert_frame_equal(res.table, again.table)


def test_malformed_codes_are_reported_and_the_patent_still_counts():
    pat = pd.DataFrame({"appno": ["q1", "q2"], "applicants": [A, A], "app_date": ["2016-01-01", "2016-02-01"],
                        "grant_date": ["", ""], "patent_type": ["发明", "发明"],
                        "ipc": ["H04L; G06F17", "Z99Q1/00, G06F17/30"]})
    with pytest.warns(SMWarning, match="SM302: 3 IPC tokens in 2 patents are malformed; 1 patents have no valid"):
        r = patent_measures(pat, FIRMS, SUBS, concordance=Concordance.from_frame(TOY))
    assert r.ipc_report["reason"].tolist() == ["subclass only (no main group / subgroup)",
                                               "main group without subgroup", "section 'Z' is not A-H"]
    row = _row(r, "000001", 2016)
    # q1 has no valid code: an invention application that is not key-technology (visible, not dropped)
    assert (row["n_invention"], row["n_keytech"], row["n_nonkey"]) == (2, 1, 1)


def test_grant_truncation_warning_and_empty_inn_keywords():
    kw = dict(years=(2015, 2018), concordance=Concordance.from_frame(TOY))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SMWarning)
        warnings.filterwarnings("ignore", message="SM30[27]")
        # grants lag applications by 3 years (p1, p4); observed to 2021, so 2018 applications had time
        patent_measures(PATENTS, FIRMS, SUBS, data_end=2021, **kw)
    with pytest.warns(SMWarning, match="SM306: grant counts are truncated: grants are observed up to 2019"):
        patent_measures(PATENTS, FIRMS, SUBS, data_end=2019, **kw)
    with pytest.raises(SMError, match="SM305"):
        patent_measures(PATENTS, FIRMS, SUBS, inn_keywords=[" "], **kw)


def test_same_input_same_output(res):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        again = patent_measures(PATENTS, FIRMS, SUBS, years=(2015, 2018), level="branch",
                                concordance=Concordance.from_frame(TOY), inn_keywords=["存储"])
    pd.testing.assert_frame_equal(res.table, again.table)
    pd.testing.assert_frame_equal(res.match.table, again.match.table)


def test_name_normalization_and_fuzzy_review(tmp_path):
    assert normalize_name("甲科技（集团）股份有限公司") == "甲科技"
    assert normalize_name("甲科技股份有限公司 ") == normalize_name("甲科技有限责任公司") == "甲科技"
    assert normalize_name("ＡＢＣ科技有限公司") == "ABC科技"
    assert applicant_kind("清华大学") == "university" and applicant_kind("张三") == "individual"
    firms = pd.DataFrame({"stkcd": ["000001", "000002"], "name": ["华信精密科技股份有限公司", "恒达食品股份有限公司"]})
    rep = match_applicants(["华信精密科技股份有限公司", "华信精密科研股份有限公司", "恒达食品集团有限公司", "完全无关有限公司"],
                           firms, fuzzy_accept=0.99, fuzzy_review=0.5)
    t = rep.table.set_index("name")
    assert t.loc["华信精密科技股份有限公司", "method"] == "exact"
    assert t.loc["恒达食品集团有限公司", "method"] == "exact"           # 集团 and suffix stripped
    assert t.loc["华信精密科研股份有限公司", "method"] == "unmatched"     # near miss: below accept ...
    assert t.loc["华信精密科研股份有限公司", "candidate_stkcd"] == "000001"  # ... but listed for review
    assert "华信精密科研股份有限公司" in rep.review()["name"].tolist()
    written = pd.read_csv(rep.write_review(tmp_path / "review.csv"), encoding="utf-8-sig", dtype=str)
    assert written["name"].tolist() == rep.review()["name"].tolist()
    assert t.loc["完全无关有限公司", "candidate_stkcd"] is None
    acc = match_applicants(["华信精密科研股份有限公司"], firms, fuzzy_accept=0.6, fuzzy_review=0.5).table
    assert acc["method"].iloc[0] == "fuzzy" and acc["stkcd"].iloc[0] == "000001"


def test_one_character_apart_is_not_accepted_by_default_and_overrides_work(tmp_path):
    # the demo world's pilot list (seed 7) has this unlisted firm one character away from a subsidiary
    firms = pd.DataFrame({"stkcd": ["002976"], "name": ["西晶材料股份有限公司"]})
    subs = pd.DataFrame({"stkcd": ["002976"], "subsidiary_name": ["宁波西晶材料有限公司"]})
    names = ["宁波西晶晶材料有限公司", "西晶材料(宁波)股份有限公司", "西晶新材股份有限公司"]
    rep = match_applicants(names, firms, subs)
    t = rep.table.set_index("name")
    assert t.loc["宁波西晶晶材料有限公司", "method"] == "unmatched"
    assert t.loc["宁波西晶晶材料有限公司", "score"] > 0.85           # a high score, still only for review
    assert t.loc["西晶材料(宁波)股份有限公司", "method"] == "loose"    # bracketed place name dropped
    review = pd.read_csv(rep.write_review(tmp_path / "r.csv"), dtype=str, keep_default_na=False,
                         encoding="utf-8-sig")
    assert "宁波西晶晶材料有限公司" in review["name"].tolist()
    review["confirmed_stkcd"] = np.where(review["name"] == "宁波西晶晶材料有限公司", "none", "002976")
    review.to_csv(tmp_path / "r.csv", index=False, encoding="utf-8-sig")
    again = match_applicants(names, firms, subs, overrides=tmp_path / "r.csv").table.set_index("name")
    assert again.loc["宁波西晶晶材料有限公司", "method"] == "override"
    assert again.loc["宁波西晶晶材料有限公司", "stkcd"] is None
    with pytest.raises(SMError, match="SM304"):
        match_applicants(names, firms, fuzzy_accept=0.5, fuzzy_review=0.8)


def test_ambiguous_names_are_never_guessed():
    firms = pd.DataFrame({"stkcd": ["000001", "000002"], "name": ["甲科技股份有限公司", "乙股份有限公司"]})
    subs = pd.DataFrame({"stkcd": ["000002"], "subsidiary_name": ["甲科技有限公司"]})
    t = match_applicants(["甲科技有限公司"], firms, subs).table
    assert t["method"].iloc[0] == "ambiguous" and t["stkcd"].iloc[0] is None


# ------------------------------------------------------------------- demo world
@pytest.fixture(scope="module")
def demo():
    """The demo world's patents built with the demo generator itself (no PDFs: fast)."""
    from smtext.demo import WorldConfig
    from smtext.demo.patents import make_patents
    from smtext.demo.world import _rng, build_economy

    cfg = WorldConfig(n_firms=60, seed=7)
    eco = build_economy(cfg)
    firms, subs, fin = eco["firms"], eco["subsidiaries"], eco["fin"]
    obs = fin[~fin["gap"]]
    obs_p = obs.assign(name_on_patent=obs["stkcd"].map(firms.set_index("stkcd")["name"])).reset_index(drop=True)
    rec, truth = make_patents(_rng(cfg, "patents"), firms, subs, obs_p, obs_p["spill_post"], cfg)
    return rec, firms, subs, truth


def test_demo_world_planted_counts_are_recovered_exactly(demo):
    rec, firms, subs, truth = demo
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        res = patent_measures(rec, firms[["stkcd", "name", "city"]], subs)
    got = res.table.set_index(["stkcd", "year"]).loc[list(zip(truth["stkcd"], truth["year"]))]
    assert (got["n_invention"].to_numpy() == truth["n_invention"].to_numpy()).all()
    assert (got["n_keytech"].to_numpy() == truth["n_keytech"].to_numpy()).all()
    assert (got["n_keytech_joint"].to_numpy() == truth["n_keytech_joint"].to_numpy()).all()
    assert (got["n_granted"].to_numpy() == truth["n_granted_by_end"].to_numpy()).all()
    assert truth["n_keytech"].sum() > 100                      # the check bites on a real number of patents
    assert set(res.match.counts().index) <= {"exact", "not_a_firm"}
