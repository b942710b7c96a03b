"""The demo world against its own truth.json.

The world is generated once per test session (small: 60 firms) into a temp
folder. Counts are checked with an independent counter written here (regex
alternation, longest term first), not with smtext's counting engine.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from smtext.demo import WorldConfig, generate_world
from smtext.demo.world import world_fingerprint
from smtext.errors import SMError
from smtext.text.corpus import parse_filename, scan, select
from smtext.text.pdf import extract_pdf

SMALL = WorldConfig(n_firms=60, seed=7)


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=SMALL.n_firms, seed=SMALL.seed)


@pytest.fixture(scope="module")
def truth(world):
    return json.loads((world / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def documents(world):
    return pd.read_csv(world / "truth" / "documents.csv", dtype={"stkcd": str})


def test_every_file_in_truth_exists(world, truth, documents):
    for rel in truth["files"]["truth_tables"]:
        assert (world / rel).is_file(), rel
    for name in ("firms", "subsidiaries", "financials", "city_year", "city_instruments", "industry_robots",
                 "trade", "subsidies", "patents"):
        assert (world / "data" / f"{name}.parquet").is_file(), name
    assert (world / "data" / "pilot_list.csv").is_file()
    missing = [f for f in documents["file"] if not (world / f).is_file()]
    assert missing == []
    # every PDF on disk is listed in the truth
    on_disk = {str(p.relative_to(world)) for p in (world / "reports").rglob("*.pdf")}
    assert on_disk == set(documents["file"])


def test_firms_have_the_fields_papers_need(world):
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    assert firms["stkcd"].str.fullmatch(r"\d{6}").all() and firms["stkcd"].is_unique
    assert set(firms["region"]) <= {"east", "central", "west"}
    assert set(firms["factor_intensity"]) <= {"labor", "capital", "technology"}
    assert firms["industry"].str.fullmatch(r"[A-Z]\d{2}").all()
    assert not any(c.startswith("latent_") for c in firms.columns), "truth columns leaked into data/"


def test_pilot_list_batches_match_the_real_notices(world, truth):
    pilots = pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig")
    assert list(pilots.columns) == ["年份", "批次", "序号", "项目名称", "申报单位", "所在省份", "所在城市"]
    assert pilots.groupby("年份").size().to_dict() == {2015: 46, 2016: 64, 2017: 97, 2018: 99}
    forms = truth["pilots"]["applicant_name_forms"]
    assert forms.get("subsidiary", 0) > 0 and forms.get("unlisted", 0) > 0


def test_pilot_selection_depends_on_size_and_profitability(world):
    latent = pd.read_parquet(world / "truth" / "firm_latent.parquet")
    fin = pd.read_parquet(world / "data" / "financials.parquet")
    pre = fin[fin["year"] <= 2014].assign(roa=lambda d: d["net_profit"] / d["total_assets"],
                                          size=lambda d: np.log(d["total_assets"]))
    pre = pre.groupby("stkcd")[["roa", "size"]].mean()
    latent = latent.join(pre, on="stkcd")
    treated = latent["gname"] > 0
    for col in ("latent_size", "latent_alpha", "roa", "size"):
        assert latent.loc[treated, col].mean() > latent.loc[~treated, col].mean(), col


def test_planted_tfp_effect_is_in_omega(world, truth):
    fy = pd.read_parquet(world / "truth" / "firm_year.parquet")
    post = fy[(fy["treated_post"] == 1) & ~fy["gap"]]
    cfg = truth["effects"]["tfp"]
    expected = cfg["base"] + cfg["slope"] * np.minimum(post["year"] - post["gname"], cfg["cap"])
    np.testing.assert_allclose(post["tfp_effect"], expected, atol=1e-12)
    assert abs(post["tfp_effect"].mean() - cfg["att_treated_post"]) < 1e-12


def test_financials_follow_the_production_function(world, truth):
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    fy = pd.read_parquet(world / "truth" / "firm_year.parquet")
    d = fin.merge(fy, on=["stkcd", "year"])
    pf = truth["production_function"]
    resid = (np.log(d["value_added"]) - pf["beta_0"] - pf["beta_l"] * np.log(d["employees"])
             - pf["beta_k"] * np.log(d["fixed_assets_net"]) - d["omega"])
    # eps has s.d. 0.08; rounding employees to integers adds a little
    assert abs(resid.mean()) < 0.02 and resid.std() < 0.1


def test_proxies_follow_the_rules_truth_states(world, truth):
    # OP's proxy: ln I = -2.3 + ln K + (exp(a omega) - 1) / a exactly; LP's: cash paid for
    # goods = materials (revenue - value added, ln M = 11.4 + 0.4 ln K + 0.9 omega) times a
    # timing error of s.d. materials_proxy_sigma
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    d = fin.merge(pd.read_parquet(world / "truth" / "firm_year.parquet"), on=["stkcd", "year"])
    pf = truth["production_function"]
    a, lnk = pf["investment_convexity_a"], np.log(d["fixed_assets_net"])
    np.testing.assert_allclose(np.log(d["investment"]), -2.3 + lnk + np.expm1(a * d["omega"]) / a, atol=1e-9)
    ln_m = np.log(d["revenue"] - d["value_added"])
    np.testing.assert_allclose(ln_m, 11.4 + 0.4 * lnk + 0.9 * d["omega"], atol=1e-6)
    e_m = np.log(d["cash_paid_goods"]) - ln_m
    # ~600 draws: the sample s.d. is within 15% of the stated one, the mean within 4 s.e.
    assert e_m.std() == pytest.approx(pf["materials_proxy_sigma"], rel=0.15)
    assert abs(e_m.mean()) < 4 * pf["materials_proxy_sigma"] / np.sqrt(len(e_m))


def test_duplicate_firm_years_are_the_ones_truth_names(world, truth):
    fin = pd.read_parquet(world / "data" / "financials.parquet")
    dup = fin[fin.duplicated(["stkcd", "year"], keep="first")][["stkcd", "year"]]
    assert dup.astype({"year": int}).to_dict("records") == truth["panel"]["financials_duplicates"]


def test_gap_years_have_no_statements_and_no_report(world, documents):
    fy = pd.read_parquet(world / "truth" / "firm_year.parquet")
    fin = pd.read_parquet(world / "data" / "financials.parquet")
    gaps = fy[fy["gap"]]
    keys = set(zip(fin["stkcd"], fin["year"]))
    assert all((s, y) not in keys for s, y in zip(gaps["stkcd"], gaps["year"]))
    ann = documents[documents["doc_type"] == "annual_report"]
    assert all(((ann["stkcd"] == s) & (ann["year"] == y)).sum() == 0 for s, y in zip(gaps["stkcd"], gaps["year"]))


def test_broken_files_are_broken_the_way_truth_says(world, truth):
    expected = {"encrypted": "SM101", "truncated": "SM102", "image_only": "SM103"}
    broken = truth["documents"]["broken"]
    assert sorted({b["status"] for b in broken}) == sorted(expected)
    for item in broken:
        with pytest.raises(SMError) as err:
            extract_pdf(world / item["file"])
        assert err.value.code == expected[item["status"]], item


def _count(text: str, terms: list[str]) -> Counter:
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return Counter(pattern.findall(text))


def test_keyword_counts_in_pdfs_equal_planted_counts(world, documents):
    planted = pd.read_csv(world / "truth" / "planted_mentions.csv")
    terms = sorted(set(planted["term"]))
    ok = documents[(documents["status"] == "ok") & documents["doc_type"].eq("annual_report")]
    checked = 0
    for rec in ok.itertuples():
        doc = extract_pdf(world / rec.file)
        got = {t: n for t, n in _count(doc.text, terms).items()}
        want = planted[planted["file"] == rec.file].groupby("term")["n"].sum().to_dict()
        assert got == want, rec.file
        checked += 1
    assert checked > 500
    kinds = planted.groupby("kind")["n"].sum()
    assert kinds["negated"] > 0 and kinds["third_party"] > 0


def test_keywords_wrap_across_lines_in_the_raw_text(world, documents):
    """Some planted terms are split by a line break in the PDF (normalisation must join them)."""
    planted = pd.read_csv(world / "truth" / "planted_mentions.csv")
    terms = sorted(set(planted["term"]))
    split = 0
    for rec in documents[documents["status"].eq("ok") & documents["doc_type"].eq("annual_report")].head(150).itertuples():
        doc = extract_pdf(world / rec.file)
        raw = "\n".join(doc.raw_pages)
        split += sum(_count(doc.text, terms).values()) - sum(_count(raw, terms).values())
    assert split > 0


def test_mda_title_varies_across_years(documents):
    ann = documents[documents["doc_type"] == "annual_report"]
    titles = ann.groupby("year")["mda_title"].agg(set)
    assert titles[2012] == {"董事会报告"} and titles[2018] == {"经营情况讨论与分析"}
    assert titles[2022] == {"管理层讨论与分析"}


def test_corpus_selection_excludes_what_truth_excludes(world, truth, documents):
    found = scan(world / "reports" / "annual")
    kept, excluded = select(found)
    canon = documents[(documents["doc_type"] == "annual_report") & documents["canonical"].astype(bool)]
    assert set("reports/annual/" + kept["path"]) == set(canon["file"])
    reasons = dict(zip("reports/annual/" + excluded["path"], excluded["reason"]))
    for f in truth["documents"]["summaries"]:
        assert reasons[f] == "doc_type:summary"
    for f in truth["documents"]["english"]:
        assert reasons[f] == "doc_type:english"
    for f in truth["documents"]["superseded"]:
        assert reasons[f] == "superseded_by_revision"


@pytest.mark.parametrize("name, expected", [
    ("000001_2019_平安银行_2019年年度报告.pdf", ("000001", 2019, "平安银行", "annual_report", 0)),
    ("2020-01-21__江苏安靠智能输电工程科技股份有限公司__300617__安靠智电__2019年__年度报告.pdf",
     ("300617", 2019, "安靠智电", "annual_report", 0)),
    ("600000_2019_浦发银行_2019年年度报告（更正后）.pdf", ("600000", 2019, "浦发银行", "annual_report", 1)),
    ("600000_2019_浦发银行_2019年年度报告摘要.pdf", ("600000", 2019, "浦发银行", "summary", 0)),
    ("600000_2019_浦发银行_2019年年度报告（英文版）.pdf", ("600000", 2019, "浦发银行", "english", 0)),
    ("300750_2022_宁德时代_研究报告_中信证券_1.pdf", ("300750", 2022, "宁德时代", "analyst_report", 0)),
])
def test_parse_filename(name, expected):
    p = parse_filename(name)
    assert (p.stkcd, p.year, p.firm, p.doc_type, p.revision) == expected


def test_nqpf_words_planted_in_analyst_and_government_reports(world, truth):
    nq = pd.read_csv(world / "truth" / "nqpf_mentions.csv", dtype={"stkcd": str})
    gov = nq[nq["file"].str.startswith("reports/gov/")]
    assert set(gov["term"]) == {truth["text"]["nqpf_seed"], *truth["text"]["nqpf_synonyms"]}
    ana = nq[nq["file"].str.startswith("reports/analyst/")]
    assert set(truth["text"]["nqpf_jargon_screened_out"]) <= set(ana["term"])
    assert ana.loc[ana["term"] == truth["text"]["nqpf_seed"], "year"].min() >= 2023
    # a reader of the PDF finds the report's own mentions plus those planted in the broker's boilerplate
    inside = pd.read_csv(world / "truth" / "boilerplate_mentions.csv", dtype={"stkcd": str})
    assert inside["in_boilerplate"].all() and set(ana["file"]) <= set(inside["file"])
    sample = ana.drop_duplicates("file").head(40)
    for f in sample["file"]:
        doc = extract_pdf(world / f)
        want = ana[ana["file"] == f].groupby("term")["n"].sum()
        want = want.add(inside[inside["file"] == f].groupby("term")["n"].sum(), fill_value=0).astype(int).to_dict()
        assert dict(_count(doc.text, list(want))) == want, f


def test_clean_controls_never_mention_smart_manufacturing(world, truth, documents):
    planted = pd.read_csv(world / "truth" / "planted_mentions.csv")
    smart = planted[planted["term"].isin(truth["text"]["smart_terms"])]
    files = documents[documents["stkcd"].isin(truth["text"]["clean_control_firms_planted"])]["file"]
    assert smart["file"].isin(files).sum() == 0
    assert set(truth["text"]["clean_control_firms_planted"]) <= set(truth["text"]["firms_never_mentioning_smart"])


def test_patent_truth_matches_records(world, truth):
    rec = pd.read_parquet(world / "data" / "patents.parquet")
    pt = pd.read_csv(world / "truth" / "patents_firm_year.csv", dtype={"stkcd": str})
    assert (rec["patent_type"] == "发明").sum() == pt["n_invention"].sum()
    assert pt["n_keytech"].sum() == truth["patents"]["total_keytech"]
    # the formats real data has are all present
    ipc = rec["ipc"]
    assert ipc.str.contains(r"[A-H]\d{2}[A-Z] \d").any()          # H04L 27/26
    assert ipc.str.contains(r"[A-H]\d{2}[A-Z]\d{10}").any()       # H04L0027260000
    assert ipc.str.contains(r"\(2006\.01\)").any()
    assert ipc.str.contains("[Ａ-Ｚ０-９]").any()                  # full-width
    assert rec["applicants"].str.contains("大学").any()             # joint applications


def test_spillover_raises_keytech_patents_in_pilot_cities(world, truth):
    pt = pd.read_csv(world / "truth" / "patents_firm_year.csv", dtype={"stkcd": str})
    fy = pd.read_parquet(world / "truth" / "firm_year.parquet")
    d = pt.merge(fy, on=["stkcd", "year"])
    assert d["spill_post"].sum() > 0
    assert set(d.loc[d["spill_post"] == 1, "gname"]) == {0}


def test_keytech_codes_agree_with_the_sei_concordance(reference_dir, truth):
    """Each planted key-tech code matches a rule of the 2021 concordance and no non-key code does.

    Independent matcher: a code matches a pattern if it equals it, or starts with a
    wildcard pattern's stem at a level boundary; exclusions apply within the rule.
    """
    rules = pd.read_csv(reference_dir / "02_sei_ipc_concordance_2021" / "sei_ipc_rules_2021.csv")

    def hits(code: str, pat: str) -> bool:
        if pat.endswith("*"):
            stem = pat[:-1]
            return code == stem or code.startswith(stem + "/") or (
                code.startswith(stem) and (len(stem) <= 4 or "/" in stem))
        return code == pat

    def classified(code: str) -> bool:
        for r in rules.itertuples():
            pats = str(r.ipc_patterns).split(";")
            excl = str(r.ipc_exclusions).split(";") if isinstance(r.ipc_exclusions, str) else []
            if any(hits(code, p) for p in pats) and not any(hits(code, e) for e in excl):
                return True
        return False

    assert all(classified(c) for c in truth["patents"]["keytech_codes"])
    assert not any(classified(c) for c in truth["patents"]["nonkey_codes"])


@pytest.mark.slow
def test_same_seed_is_byte_identical_and_another_seed_differs(tmp_path, world):
    small = WorldConfig(n_firms=20, first_year=2014, last_year=2017, seed=11)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_world(a, small, jobs=1)
    generate_world(b, small, jobs=2)      # worker count must not matter
    generate_world(c, WorldConfig(n_firms=20, first_year=2014, last_year=2017, seed=12), jobs=1)
    assert world_fingerprint(a) == world_fingerprint(b)
    assert world_fingerprint(a) != world_fingerprint(c)


@pytest.mark.slow
def test_tables_only_world_has_the_same_tables(tmp_path):
    from smtext.manifest import file_sha256

    small = WorldConfig(n_firms=20, first_year=2014, last_year=2017, seed=11)
    full, lean = tmp_path / "full", tmp_path / "lean"
    generate_world(full, small, jobs=1)
    generate_world(lean, small, jobs=1, documents=False)
    assert not (lean / "reports").exists() or not any((lean / "reports").rglob("*.pdf"))
    files = sorted(p.name for p in (full / "data").iterdir())
    assert files == sorted(p.name for p in (lean / "data").iterdir())
    assert all(file_sha256(full / "data" / f) == file_sha256(lean / "data" / f) for f in files)
    truth = json.loads((lean / "truth.json").read_text(encoding="utf-8"))
    assert truth["documents"]["rendered"] is False
    assert truth["effects"] == json.loads((full / "truth.json").read_text(encoding="utf-8"))["effects"]


@pytest.mark.slow
def test_regenerating_into_a_folder_replaces_the_old_world(tmp_path):
    generate_world(tmp_path, WorldConfig(n_firms=20, first_year=2014, last_year=2018, seed=1), jobs=1)
    generate_world(tmp_path, WorldConfig(n_firms=20, first_year=2014, last_year=2018, seed=2), jobs=1)
    docs = pd.read_csv(tmp_path / "truth" / "documents.csv")
    on_disk = {str(p.relative_to(tmp_path)) for p in (tmp_path / "reports").rglob("*.pdf")}
    assert on_disk == set(docs["file"])
