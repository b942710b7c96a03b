"""N_ML on a small demo world: planted synonyms recovered, jargon screened out, counts equal the
planted truth, N_ML tracks the latent trait, and a deterministic re-run is identical."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from smtext import demo
from smtext.text.extract import read_folder
from smtext.text.w2v import build_nml


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("w2v_world")
    demo.generate_world(out, demo.WorldConfig(n_firms=60, first_year=2016, seed=7), jobs=2)
    return out


def test_nml_on_demo_world(world, tmp_path):
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))["text"]
    docs = read_folder(world / "reports" / "analyst", tmp_path / "analyst", "analyst_report", jobs=2)
    gov = read_folder(world / "reports" / "gov", tmp_path / "gov", "government_report", jobs=1)["text"].tolist()
    res = build_nml(docs, gov, seeds=(truth["nqpf_seed"],), work_dir=tmp_path, jobs=1)
    expansion_table, nml = res                               # tuple-style unpacking for the main job

    # expansion at the default threshold 0.9 (planted truth from truth.json)
    kept = set(res.expansion.words(include_seeds=False))
    synonyms, jargon = set(truth["nqpf_synonyms"]), set(truth["nqpf_jargon_screened_out"])
    precision, recall = len(kept & synonyms) / len(kept), len(kept & synonyms) / len(synonyms)
    assert precision >= 0.8 and recall >= 0.8                # measured: 1.0 and 1.0
    t = expansion_table.set_index("word")
    for w in jargon:                                         # similar, but the government-report screen drops them
        assert t.loc[w, "similarity"] >= 0.9 and t.loc[w, "reason"] == "not_in_screen"

    # counts equal the planted counts of seed + kept words (truth/nqpf_mentions.csv), tolerance 0
    m = pd.read_csv(world / "truth" / "nqpf_mentions.csv", dtype={"stkcd": str})
    m = m[m["file"].str.startswith("reports/analyst") & m["term"].isin(kept | {truth["nqpf_seed"]})]
    planted = m.groupby(["stkcd", "year"])["n"].sum()
    got = nml.set_index(["stkcd", "year"])["N_ML_count"]
    assert (got.reindex(got.index).astype(int) == planted.reindex(got.index).fillna(0).astype(int)).all()
    np.testing.assert_allclose(nml["N_ML"].astype(float), np.log1p(nml["N_ML_count"].astype(float)), rtol=0, atol=1e-12)

    # N_ML follows the planted latent trait (firm-year Pearson measured on this world: see the final assert message)
    latent = pd.read_parquet(world / "truth" / "firm_latent.parquet")
    both = nml.merge(latent, on="stkcd")
    r = both["N_ML"].astype(float).corr(both["latent_nqpf"])
    assert r > 0.4, r

    # deterministic re-run (token cache re-used, model retrained): identical vectors and expansion
    again = build_nml(docs, gov, seeds=(truth["nqpf_seed"],), work_dir=tmp_path, jobs=1)
    assert np.array_equal(again.model.wv.vectors, res.model.wv.vectors)
    pd.testing.assert_frame_equal(again.expansion.table, res.expansion.table)
    pd.testing.assert_frame_equal(again.index.table, res.index.table)
    assert again.manifest["tokens"]["tokenized"] == 0
    assert (tmp_path / "expansion_review.csv").is_file() and (tmp_path / "model" / "vectors.bin").is_file()
