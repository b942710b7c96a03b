"""Paper 002's ML-built firm AI indicator (AI_ML) and its industry-year mean AI_mean (Table 6, Heckman exclusion)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.study import loads, run_study

SPEC = """
study: ai_ml_test
title: t
sample: {years: [2011, 2023]}
measures:
  ai_ml: {seeds: [人工智能, 机器学习, 深度学习], threshold: 0.9}
treatment: {design: firm, dname: IM}
variables:
  AI_mean: {group_mean: {column: AI_ML, by: [industry, year]}}
tables:
  t1: {title: T, keep: [IM], columns: [{y: AI_ML}]}
"""


@pytest.mark.slow
def test_ai_ml_counts_the_planted_mentions_of_its_words(demo_world, tmp_path):
    world = demo_world(n_firms=40, seed=3)
    res = run_study(loads(SPEC, source="ai_ml.yaml"), world, tmp_path / "out")
    stage = next((res.out / "stages").glob("ai_ml*"))
    exp = pd.read_csv(next(stage.rglob("expansion.csv")))
    kept = set(exp.loc[exp["kept"].astype(bool), "word"])
    # Word2Vec finds the planted AI terms that were not seeds
    assert {"自然语言处理", "计算机视觉", "智能机器人"} <= kept
    ai = pd.read_parquet(next(stage.rglob("ai_ml.parquet")))
    # truth: every planted mention (any context: the index applies no filter) of a kept word in the
    # firm-year's canonical annual report, from the generator's own tables
    docs = pd.read_csv(world / "truth" / "documents.csv", dtype={"stkcd": str})
    ann = docs[(docs["doc_type"] == "annual_report") & docs["canonical"].astype(bool)]
    readable = ann[ann["status"] == "ok"]
    pm = pd.read_csv(world / "truth" / "planted_mentions.csv")
    pm = pm[pm["term"].isin(kept)].merge(readable[["file", "stkcd", "year"]], on="file")
    truth = readable[["stkcd", "year"]].set_index(["stkcd", "year"]).assign(
        n=pm.groupby(["stkcd", "year"])["n"].sum()).fillna(0).reset_index()
    m = ai.merge(truth, on=["stkcd", "year"], how="left", validate="one_to_one")
    ok = m["n"].notna()
    assert ok.sum() == len(readable) and ok.sum() > 0.95 * len(m)
    np.testing.assert_array_equal(m.loc[ok, "AI_ML_count"].astype(float), m.loc[ok, "n"])
    np.testing.assert_allclose(m.loc[ok, "AI_ML"].astype(float), np.log1p(m.loc[ok, "n"]), rtol=0, atol=1e-12)
    # a firm-year whose only report is broken is missing, not zero
    broken = ann[ann["status"] != "ok"][["stkcd", "year"]].merge(readable[["stkcd", "year"]], how="left",
                                                                 indicator=True).query("_merge == 'left_only'")
    assert m.set_index(["stkcd", "year"]).loc[list(map(tuple, broken[["stkcd", "year"]].values)), "AI_ML"].isna().all()
    # AI_mean: the industry-year mean over the data set's firm-years, by hand
    d = pd.read_parquet(next((res.out / "stages" / "dataset").rglob("dataset.parquet")))
    by_hand = {k: g["AI_ML"].astype(float).mean() for k, g in d.groupby(["industry", "year"])}
    np.testing.assert_allclose(d["AI_mean"].astype(float),
                               [by_hand[k] for k in zip(d["industry"], d["year"])], rtol=1e-12)
