"""Jaffe technology similarity against scikit-learn's cosine_similarity on dense vectors."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from smtext.errors import SMError
from smtext.patents import jaffe_similarity, tech_similarity


def _random_codes(seed=0, n_firms=40, n_pat=400):
    rng = np.random.default_rng(seed)
    subclasses = ["H04L", "H04W", "G06F", "G06N", "A61K", "A61B", "C08K", "B60K"]
    rows = []
    for k in range(n_pat):
        firm = f"{rng.integers(n_firms):06d}"
        year = int(rng.integers(2015, 2019))
        for sc in rng.choice(subclasses, size=int(rng.integers(1, 3)), replace=False):
            rows.append((firm, year, f"p{k}", f"{sc}{rng.integers(1, 30)}/{rng.integers(0, 99):02d}"))
    codes = pd.DataFrame(rows, columns=["stkcd", "year", "appno", "code"])
    firms = pd.DataFrame({"stkcd": [f"{i:06d}" for i in range(n_firms)],
                          "city": rng.choice(["苏州", "杭州", "合肥"], size=n_firms)})
    return codes, firms


def _dense_reference(codes, firms, year, width, window=None):
    """Cosine of firm x class patent-count vectors, one pair at a time (sklearn)."""
    lo = -np.inf if window is None else year - window
    pool = codes[(codes["year"] <= year) & (codes["year"] > lo)].assign(cls=lambda d: d["code"].str[:width])
    pool = pool[["stkcd", "appno", "cls"]].drop_duplicates()
    mat = pd.crosstab(pool["stkcd"], pool["cls"])
    sim = pd.DataFrame(cosine_similarity(mat.to_numpy()), index=mat.index, columns=mat.index)
    city = firms.set_index("stkcd")["city"]
    firm_avg, city_avg = {}, {}
    for c, members in city.reindex(mat.index).groupby(city.reindex(mat.index)):
        ids = list(members.index)
        for i in ids:
            others = [j for j in ids if j != i]
            firm_avg[i] = np.mean([sim.loc[i, j] for j in others]) if others else np.nan
        pairs = list(itertools.combinations(ids, 2))
        city_avg[c] = np.mean([sim.loc[i, j] for i, j in pairs]) if pairs else np.nan
    return firm_avg, city_avg


@pytest.mark.parametrize("window", [None, 2])
def test_firm_and_city_averages_match_pairwise_cosine(window):
    codes, firms = _random_codes()
    res = tech_similarity(codes, firms, window=window)
    for year in (2015, 2018):
        for lv, width in (("ipc3", 3), ("ipc4", 4)):
            f_ref, c_ref = _dense_reference(codes, firms, year, width, window)
            f = res.firm[res.firm["year"] == year].set_index("stkcd")[f"sim_{lv}"]
            c = res.city[res.city["year"] == year].set_index("city")[f"sim_{lv}"]
            assert set(f.index) == set(f_ref)
            np.testing.assert_allclose(f.loc[list(f_ref)].to_numpy(), np.array(list(f_ref.values())),
                                       rtol=0, atol=1e-12, equal_nan=True)
            np.testing.assert_allclose(c.loc[list(c_ref)].to_numpy(), np.array(list(c_ref.values())),
                                       rtol=0, atol=1e-12, equal_nan=True)


def test_pairwise_matrix_and_a_hand_case():
    # firm a: 2 patents in H04L, 0 in G06F; firm b: 1 and 1 -> cos = 2/(2*sqrt(2)) = 1/sqrt(2)
    counts = pd.DataFrame({"stkcd": ["a", "b", "b"], "ipc4": ["H04L", "H04L", "G06F"], "n": [2, 1, 1]})
    sim = jaffe_similarity(counts)
    assert sim.loc["a", "b"] == pytest.approx(1 / np.sqrt(2), abs=1e-15)
    assert sim.loc["a", "a"] == pytest.approx(1.0)


def test_options_are_checked():
    codes, firms = _random_codes(n_firms=5, n_pat=20)
    with pytest.raises(SMError, match="SM002"):
        tech_similarity(codes, firms, levels=("ipc5",))
    with pytest.raises(SMError, match="SM001"):
        tech_similarity(codes, firms.drop(columns="city"))
