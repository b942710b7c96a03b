"""Indices on the demo world against its planted truth, and the index arithmetic by hand.

The demo world (smtext.demo) records every planted mention in
truth/planted_mentions.csv (term, kind = affirmative/negated/third_party, file);
counts read back from the rendered PDFs must equal it exactly (tolerance 0).
TF-IDF is checked against scikit-learn's TfidfTransformer(norm=None, smooth_idf=True).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from smtext.demo import WorldConfig, generate_world
from smtext.errors import SMError, SMWarning
from smtext.text.indices import (
    add_tfidf,
    clean_controls,
    count_documents,
    firm_year_index,
    tfidf_scores,
)
from smtext.text.lexicon import load_lexicon
from smtext.text.pdf import extract_record

LEXICONS = {"smart": "smart_manufacturing", "digital": "wufei2021_digital", "ai": "ai", "nqpf": "nqpf_seed"}
KINDS = {(): {"affirmative", "negated", "third_party"}, ("negation",): {"affirmative", "third_party"},
         ("negation", "third_party"): {"affirmative"}}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world_idx")
    generate_world(out, WorldConfig(n_firms=20, seed=11, first_year=2014, last_year=2019), jobs=1)
    return out


@pytest.fixture(scope="module")
def docs(world):
    documents = pd.read_csv(world / "truth" / "documents.csv", dtype={"stkcd": str})
    # one report per firm-year, as smtext.text.corpus.select keeps (superseded filings dropped)
    canonical = documents["canonical"].astype(str).eq("True")
    ann = documents[(documents["doc_type"] == "annual_report") & canonical].rename(columns={"file": "path"}).copy()
    ann = ann.drop(columns="status")
    recs = [extract_record(world / p) for p in ann["path"]]
    ann["status"] = [r["status"] for r in recs]
    ann["text"] = ["\n".join(r["pages"]) if r["status"] == "ok" else None for r in recs]
    return ann.reset_index(drop=True)


@pytest.fixture(scope="module")
def planted(world):
    return pd.read_csv(world / "truth" / "planted_mentions.csv")


@pytest.mark.parametrize("filters", list(KINDS))
def test_demo_counts_equal_planted(docs, planted, filters):
    dc = count_documents(docs, LEXICONS, filters=filters)
    d = dc.documents.set_index("path")
    ok = d["status"] == "ok"
    assert ok.sum() > 50 and (~ok).sum() >= 1
    for key, name in LEXICONS.items():
        terms = set(load_lexicon(name).terms["term"])
        sel = planted[planted["term"].isin(terms)]
        expected = sel[sel["kind"].isin(KINDS[filters])].groupby("file")["n"].sum()
        got = d.loc[ok, f"{key}_count"].astype(int)
        pd.testing.assert_series_equal(got, expected.reindex(got.index, fill_value=0).astype(int), check_names=False)
        # each filter removed exactly the planted mentions of its kind
        if "negation" in filters:
            neg = sel[sel["kind"] == "negated"].groupby("file")["n"].sum().reindex(got.index, fill_value=0)
            assert (d.loc[ok, f"{key}_removed_negation"].astype(int) == neg).all()
        if "third_party" in filters:
            tp = sel[sel["kind"] == "third_party"].groupby("file")["n"].sum().reindex(got.index, fill_value=0)
            assert (d.loc[ok, f"{key}_removed_third_party"].astype(int) == tp).all()
        # bad documents are missing, not zero
        assert d.loc[~ok, f"{key}_count"].isna().all()
    # the planted totals include negated and third-party mentions, so the test is not vacuous
    assert set(planted["kind"]) == {"affirmative", "negated", "third_party"}


@pytest.mark.slow
def test_token_mode_equals_default_on_demo_corpus(docs):
    a = count_documents(docs, LEXICONS, filters=("negation",))
    b = count_documents(docs, LEXICONS, filters=("negation",), mode="token")
    cols = [c for c in a.documents.columns if c.endswith("_count") or c.endswith("_raw") or "__" in c]
    assert a.documents["smart_count"].sum() > 50                     # not vacuous
    pd.testing.assert_frame_equal(a.documents[cols], b.documents[cols])
    pd.testing.assert_frame_equal(a.terms, b.terms)                    # term by term, removals included
    with pytest.raises(SMError, match="SM002"):
        count_documents(docs, LEXICONS, mode="token", tokenizer="thulac")


@pytest.mark.slow
def test_rjieba_token_mode_equals_jieba_on_demo_corpus(docs):
    pytest.importorskip("rjieba")
    a = count_documents(docs, LEXICONS, filters=("negation", "third_party"), mode="token")
    b = count_documents(docs, LEXICONS, filters=("negation", "third_party"), mode="token", tokenizer="rjieba")
    assert b.options["tokenizer"] == "rjieba" and a.documents["digital_count"].sum() > 50
    pd.testing.assert_frame_equal(a.documents, b.documents)
    pd.testing.assert_frame_equal(a.terms, b.terms)


def test_firm_year_index_by_hand(docs):
    dc = count_documents(docs, LEXICONS)
    with pytest.warns(SMWarning, match="SM208"):
        fy = firm_year_index(dc.documents)
    d = dc.documents
    assert fy[["stkcd", "year"]].duplicated().sum() == 0
    good = d[d["status"] == "ok"]
    for _, row in good.sample(10, random_state=0).iterrows():
        r = fy[(fy["stkcd"] == row["stkcd"]) & (fy["year"] == row["year"])].iloc[0]
        n = float(row["smart_count"])
        assert r["smart_count"] == n
        assert r["smart_ln"] == pytest.approx(math.log(1 + n), abs=1e-12)
        assert r["smart_per10k"] == pytest.approx(n / len(docs.set_index("path").loc[row["path"], "text"]) * 1e4, rel=1e-12)
        assert r["smart_sent_share"] == pytest.approx(row["smart_sent"] / row["n_sentences"], rel=1e-12)
    bad = d[d["status"] != "ok"]
    merged = bad.merge(fy, on=["stkcd", "year"])
    assert len(merged) == len(bad) and merged["smart_count_y"].isna().all() and merged["digital_ln"].isna().all()
    assert fy.attrs["dropped"]["firm_years_missing_all_documents_bad"] == len(bad)


def test_firm_year_category_counts(docs, planted):
    # per-category firm-year counts against the planted mentions mapped to the lexicon's categories
    dc = count_documents(docs, {"digital": "wufei2021_digital"}, filters=("negation",))
    with pytest.warns(SMWarning, match="SM208"):
        fy = firm_year_index(dc.documents, category_cols="auto")
    cats = load_lexicon("wufei2021_digital").categories
    assert [f"digital__{c}_count" for c in cats] == [c for c in fy.columns if c.startswith("digital__") and c.endswith("_count")]
    good = fy["digital_count"].notna()
    total = sum(fy[f"digital__{c}_count"] for c in cats)
    np.testing.assert_array_equal(total[good], fy.loc[good, "digital_count"])
    assert fy.loc[~good, [f"digital__{c}_ln" for c in cats]].isna().all().all()      # missing, not zero
    cat_of = load_lexicon("wufei2021_digital").category_of()
    p = planted[planted["term"].isin(cat_of) & planted["kind"].isin({"affirmative", "third_party"})]
    p = p.assign(category=p["term"].map(cat_of)).merge(docs[["path", "stkcd", "year", "status"]],
                                                       left_on="file", right_on="path")
    p = p[p["status"] == "ok"]
    expected = p.groupby(["stkcd", "year", "category"])["n"].sum()
    fyi = fy[good].set_index(["stkcd", "year"])
    for c in cats:
        exp_c = expected.xs(c, level="category").reindex(fyi.index, fill_value=0).astype(float)
        np.testing.assert_array_equal(fyi[f"digital__{c}_count"].to_numpy(), exp_c.to_numpy())
        np.testing.assert_allclose(fyi[f"digital__{c}_ln"], np.log1p(exp_c), rtol=0, atol=1e-12)
    assert (fyi["digital__ai_count"] > 0).any() and (fyi["digital__big_data_count"] > 0).any()


def test_firm_year_index_with_lead_column_names():
    # the main job's per-document table: <key>_count columns and n_chars, status from extraction
    doc = pd.DataFrame({"stkcd": ["000001", "000001", "000002"], "year": [2015, 2016, 2015],
                        "status": ["ok", "encrypted", "ok"], "n_chars": [20000, np.nan, 5000],
                        "smart_count": [4, np.nan, 0]})
    with pytest.warns(SMWarning, match="SM208"):
        fy = firm_year_index(doc, count_cols=["smart_count"], status_col="status", chars_col="n_chars")
    fy = fy.set_index(["stkcd", "year"])
    assert fy.loc[("000001", 2015), "smart_ln"] == pytest.approx(math.log(5))
    assert fy.loc[("000001", 2015), "smart_per10k"] == pytest.approx(2.0)
    assert np.isnan(fy.loc[("000001", 2016), "smart_ln"])
    assert fy.loc[("000002", 2015), "smart_ln"] == 0.0
    with pytest.raises(SMError, match="SM209"):
        firm_year_index(doc.drop(columns="smart_count"))


def test_firm_year_index_on_a_panel():
    # the panel fixes the rows: a firm-year without documents is missing (not zero), one outside is left out
    doc = pd.DataFrame({"stkcd": ["000001", "000001", "000002", "000003", None], "year": [2015, 2015, 2015, 2015, 2015],
                        "status": ["ok", "ok", "ok", "ok", "ok"], "n_chars": [100, 50, 80, 10, 10],
                        "smart_count": [4, 1, 0, 2, 7]})
    panel = pd.DataFrame({"stkcd": ["000002", "000001", "000004", "000001"], "year": [2015, 2015, 2015, 2015]})
    fy = firm_year_index(doc, count_cols=["smart_count"], panel=panel)
    assert list(zip(fy["stkcd"], fy["year"])) == [("000001", 2015), ("000002", 2015), ("000004", 2015)]
    t = fy.set_index("stkcd")
    assert t.loc["000001", "smart_count"] == 5 and t.loc["000001", "n_docs"] == 2
    assert t.loc["000002", "smart_ln"] == 0.0
    assert np.isnan(t.loc["000004", "smart_ln"]) and t.loc["000004", "n_docs"] == 0
    assert fy.attrs["dropped"] == {"firm_years_missing_all_documents_bad": 0, "documents_bad": 0,
                                   "documents_missing_keys": 1, "firm_years_outside_panel": 1,
                                   "firm_years_without_documents": 1}
    # without a panel: every firm-year with a document, the document without a firm key left out
    assert len(firm_year_index(doc, count_cols=["smart_count"])) == 3


def test_tfidf_equals_sklearn(docs):
    from sklearn.feature_extraction.text import TfidfTransformer

    dc = count_documents(docs, {"digital": "wufei2021_digital"})
    ids = dc.documents.loc[dc.documents["status"] == "ok", "path"]
    mat = (dc.terms.pivot_table(index="path", columns="term", values="n", aggfunc="sum", fill_value=0)
           .reindex(ids, fill_value=0))
    expected = np.asarray(TfidfTransformer(norm=None, smooth_idf=True).fit_transform(mat.to_numpy()).sum(axis=1)).ravel()
    got = tfidf_scores(dc.terms, ids, lexicon="digital")
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    with pytest.warns(SMWarning):
        fy = firm_year_index(add_tfidf(dc).documents, weighting="tfidf")
    assert "digital_tfidf_ln" in fy and fy["digital_tfidf"].notna().sum() == len(ids)


def test_clean_controls_match_truth(world, docs):
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
    dc = count_documents(docs, {"smart": "smart_manufacturing"})
    with pytest.warns(SMWarning, match="SM210") if (docs["status"] != "ok").any() else _nullcontext():
        screen = clean_controls(dc.documents, dc.terms, count_col="smart_raw")
    never = set(truth["text"]["firms_never_mentioning_smart"])
    assert len(never) >= 2
    bad_firms = set(docs.loc[docs["status"] != "ok", "stkcd"])
    readable = screen[~screen["stkcd"].isin(bad_firms)]
    assert set(readable.loc[readable["clean"], "stkcd"]) == never - bad_firms
    # every flagged clean firm is truly clean; firms with mentions carry the evidence
    assert set(screen.loc[screen["clean"], "stkcd"]) <= never
    ment = screen[screen["status"] == "mentions"]
    assert (ment["evidence"].str.len() > 0).all() and (ment["mentions"] > 0).all()
    # a negated mention is still a mention (raw counts are used)
    assert screen["evidence"].str.contains("×").any()


def test_clean_controls_evidence_and_window_by_hand():
    doc = pd.DataFrame({"path": ["a15", "a16", "b15", "b16", "c15", "c16"],
                        "stkcd": ["A", "A", "B", "B", "C", "C"], "year": [2015, 2016] * 3,
                        "status": ["ok", "ok", "ok", "ok", "ok", "encrypted"],
                        "smart_raw": [0, 3, 0, 0, 0, np.nan]})
    terms = pd.DataFrame({"path": ["a16", "a16"], "lexicon": ["smart", "smart"], "term": ["智能制造", "数字孪生"],
                          "n": [1, 0], "removed_negation": [1, 1]})
    with pytest.warns(SMWarning, match="SM210"):
        s = clean_controls(doc, terms, count_col="smart_raw").set_index("stkcd")
    assert s["status"].to_dict() == {"A": "mentions", "B": "clean", "C": "incomplete"}
    # negated mentions are still mentions: evidence counts kept + removed hits
    assert s.loc["A", "evidence"] == "2016: 数字孪生×1, 智能制造×2" and s.loc["A", "years_with_mentions"] == [2016]
    assert s.loc["A", "mentions"] == 3 and s.loc["C", "n_bad_reports"] == 1 and not s.loc["C", "clean"]
    w = clean_controls(doc, terms, count_col="smart_raw", years=(2015, 2015)).set_index("stkcd")
    assert w["clean"].all() and (w["evidence"] == "").all()      # the 2016 mention is outside the window


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def test_scope_and_options(docs):
    d = docs.head(3).assign(mda_text=lambda x: x["text"].str[:200])
    a = count_documents(d, {"smart": "smart_manufacturing"}, scope="mda")
    assert a.options["text_col"] == "mda_text" and (a.documents["n_chars"].dropna() <= 200).all()
    with pytest.raises(SMError, match="SM002"):
        count_documents(d, {"smart": "smart_manufacturing"}, scope="abstract")
    with pytest.raises(SMError, match="SM001"):
        count_documents(d.drop(columns="text"), {"smart": "smart_manufacturing"})


def test_parallel_and_dask_counts_equal_serial(docs):
    # the same documents counted serially, on a 2-process pool and on a Dask LocalCluster
    serial = count_documents(docs, LEXICONS, filters=("negation", "third_party"))
    pool = count_documents(docs, LEXICONS, filters=("negation", "third_party"), jobs=2, batch_size=7)
    pd.testing.assert_frame_equal(pool.documents, serial.documents)
    pd.testing.assert_frame_equal(pool.terms, serial.terms)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = count_documents(docs, LEXICONS, filters=("negation", "third_party"), scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(dask.documents, serial.documents)
    pd.testing.assert_frame_equal(dask.terms, serial.terms)
    assert serial.documents["smart_count"].notna().sum() > 50
    with pytest.raises(SMError, match="SM002"):
        count_documents(docs, LEXICONS, jobs=0)
