"""AI job postings (paper 002 Aijob): the keyword screen by hand, its errors, the demo's planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.study import loads, run_study
from smtext.text.lexicon import load_lexicon
from smtext.text.postings import postings_firm_year, screen_postings

HAND = pd.DataFrame({
    "stkcd": ["000001", "000001", "000001", "000002", "000002", "000002"],
    "year": [2019, 2019, 2020, 2019, 2019, 2019],
    "title": ["机器学习工程师", "销售经理", "AI训练师", "电气工程师", "行政助理", "数据标注员"],
    "description": ["负责模型研发", "本岗位无需人工智能相关经验。", "负责样本整理", "简历请发至 hr@mail.com",
                    "协助部门开展人工智能应用推广", "熟悉OpenCV与图像处理"],
})


def test_screen_by_hand():
    s = screen_postings(HAND)
    # by hand: 机器学习 (title); 无需 negates 人工智能; AI as a word; 'mail' holds 'ai' inside a word;
    # 人工智能 (description); OpenCV and 图像处理 (two hits)
    assert s["is_ai"].tolist() == [True, False, True, False, True, True]
    assert s["ai_hits"].tolist() == [1, 0, 1, 0, 1, 2]
    assert s["ai_terms"].iat[5] == "OpenCV;图像处理"
    fy = postings_firm_year(s)
    assert fy.to_dict("records") == [
        {"stkcd": "000001", "year": 2019, "postings": 2, "ai_postings": 1, "ai_posting_share": 0.5},
        {"stkcd": "000001", "year": 2020, "postings": 1, "ai_postings": 1, "ai_posting_share": 1.0},
        {"stkcd": "000002", "year": 2019, "postings": 3, "ai_postings": 2, "ai_posting_share": 2 / 3}]
    # titles only: the description hits are not counted; without the negation filter 无需 counts
    assert screen_postings(HAND, fields=["title"])["is_ai"].tolist() == [True, False, True, False, False, False]
    assert screen_postings(HAND, filters=())["is_ai"].tolist() == [True, True, True, False, True, True]


def test_lexicon_has_provenance():
    lex = load_lexicon("ai_jobs")
    assert "Acemoglu" in lex.meta["publication"] and lex.meta["n_terms"] == len(lex)
    assert {"人工智能", "AI", "机器学习", "计算机视觉"} <= set(lex.terms["term"])


def test_bad_postings_are_coded():
    with pytest.raises(SMError) as e:
        screen_postings(HAND, fields=["body"])
    assert e.value.code == "SM260"
    with pytest.raises(SMError) as e:
        screen_postings(HAND.iloc[:0])
    assert e.value.code == "SM260"
    with pytest.raises(SMError) as e:
        screen_postings(HAND.assign(title=["", None, "x", "y", "z", "w"], description=[None, None, "a", "b", "c", "d"]))
    assert e.value.code == "SM261" and "2 postings" in e.value.message
    with pytest.raises(SMError) as e:
        screen_postings(HAND.assign(year=["2019", "2019年", 2020, 2019, 2019, 2019]))
    assert e.value.code == "SM261"
    with pytest.raises(SMError) as e:
        screen_postings(HAND.drop(columns="description"))
    assert e.value.code == "SM001"
    with pytest.warns(UserWarning, match="SM262"):
        postings_firm_year(screen_postings(HAND.iloc[[1, 3]]))


SPEC = """
study: postings_test
title: t
sample: {years: [2011, 2023]}
measures:
  postings: {}
treatment: {design: firm, dname: IM}
variables:
  Aijob: {log1p: ai_postings}
tables:
  t1: {title: T, keep: [IM], columns: [{y: Aijob}]}
"""


@pytest.mark.slow
def test_demo_postings_recover_planted_truth(demo_world, tmp_path):
    world = demo_world(n_firms=40, seed=3, documents=False)
    posts = pd.read_parquet(world / "data" / "postings.parquet")
    assert "truth_is_ai" not in posts.columns
    truth = pd.read_csv(world / "truth" / "postings.csv", dtype={"stkcd": str})
    s = screen_postings(posts)
    assert (s["posting_id"].to_numpy() == truth["posting_id"].to_numpy()).all()
    assert (s["is_ai"].to_numpy() == truth["truth_is_ai"].to_numpy()).all()   # the screen finds exactly the planted
    res = run_study(loads(SPEC, source="postings.yaml"), world, tmp_path / "out")
    d = pd.read_parquet(next((res.out / "stages" / "dataset").rglob("dataset.parquet")))
    fy = pd.read_csv(world / "truth" / "postings_firm_year.csv", dtype={"stkcd": str})
    m = d[["stkcd", "year", "ai_postings", "Aijob"]].merge(fy, on=["stkcd", "year"], how="left",
                                                           suffixes=("", "_truth"))
    expected = m["ai_postings_truth"].fillna(0)     # a firm-year without postings has none
    assert (m["ai_postings"].to_numpy() == expected.to_numpy()).all()
    np.testing.assert_allclose(m["Aijob"], np.log1p(expected), rtol=0, atol=1e-12)


def test_a_user_lexicon_screens_the_postings(tmp_path):
    path = tmp_path / "my_ai.csv"
    path.write_text("category,term\nmine,数据标注\n", encoding="utf-8")
    (tmp_path / "my_ai.meta.json").write_text('{"publication": "test", "version": "1"}', encoding="utf-8")
    assert screen_postings(HAND, lexicon=str(path))["is_ai"].tolist() == [False] * 5 + [True]
