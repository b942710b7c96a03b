"""N_ML-style firm-year index of a word list: hand counts, ln(1 + x), missing is not zero, dropped documents reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.text.w2v import nml_index

WORDS = ["新质生产力", "未来产业", "科技创新"]


def _docs():
    return pd.DataFrame({
        "path": ["a1", "a2", "b1", "c1", "d1"],
        "stkcd": ["000001", "000001", "000002", "000003", "000004"],
        "year": [2023, 2023, 2023, 2023, 2022],
        "text": ["公司积极培育新质生产力，布局未来产业。新质生产力赋能主业。",   # 3 hits
                 "以科技创新为引领。",                                         # 1 hit
                 "预计公司营业收入同比增长。",                                 # 0 hits: a zero, not missing
                 None,                                                         # failed extraction
                 "未来产业，未来产业，未来产业。"],                            # 3 hits
    })


def test_counts_match_hand_counts_and_log1p():
    with pytest.warns(SMWarning) as caught:
        res = nml_index(_docs(), WORDS)
    # a document left out (SM241), and a firm-year whose only document failed (SM208)
    assert {str(w.message)[:5] for w in caught} == {"SM241", "SM208"}
    t = res.table.set_index(["stkcd", "year"])
    # hand counts: firm 1 has 3 + 1 mentions over two reports
    assert t.loc[("000001", 2023), "N_ML_count"] == 4 and t.loc[("000001", 2023), "n_docs"] == 2
    assert t.loc[("000002", 2023), "N_ML_count"] == 0
    assert t.loc[("000001", 2023), "N_ML"] == pytest.approx(np.log(5.0), abs=1e-12)
    assert t.loc[("000002", 2023), "N_ML"] == 0.0
    # its only document failed: missing, not zero
    assert pd.isna(t.loc[("000003", 2023), "N_ML"]) and t.loc[("000003", 2023), "n_bad_docs"] == 1
    assert str(t["N_ML_count"].dtype) == "Int64" and str(t["N_ML"].dtype) == "Float64"
    assert res.dropped["documents_bad"] == 1 and res.dropped["documents_missing_keys"] == 0
    # per-document counts agree with an independent str.count (no term is nested in another here)
    docs = _docs().dropna(subset=["text"]).set_index("path")
    per_doc = res.counts.documents.set_index("path")
    for path, text in docs["text"].items():
        assert per_doc.loc[path, "N_ML_count"] == sum(text.count(w) for w in WORDS)
    assert pd.isna(per_doc.loc["c1", "N_ML_count"])


def test_panel_gives_missing_not_zero():
    panel = pd.DataFrame({"stkcd": ["000001", "000002", "000003", "000005"], "year": [2023] * 4})
    with pytest.warns(SMWarning):
        res = nml_index(_docs(), WORDS, panel=panel)
    t = res.table.set_index("stkcd")
    assert list(t.index) == ["000001", "000002", "000003", "000005"]
    assert t.loc["000002", "N_ML"] == 0.0                   # reports without mentions: zero
    assert pd.isna(t.loc["000003", "N_ML"]) and pd.isna(t.loc["000005", "N_ML"])   # no usable report: missing
    assert t.loc["000005", "n_docs"] == 0
    assert res.dropped["firm_years_outside_panel"] == 1     # 000004-2022 is not in the panel


def test_nested_terms_are_not_double_counted():
    docs = pd.DataFrame({"path": ["x"], "stkcd": ["000001"], "year": [2023], "text": ["发展新质生产力和生产力。"]})
    res = nml_index(docs, ["新质生产力", "生产力"], name="idx")
    # leftmost-longest: 新质生产力 (1) + the standalone 生产力 (1), not 3
    assert res.table.loc[0, "idx_count"] == 2 and "idx" in res.table


def test_pool_equals_serial():
    docs = pd.concat([_docs().dropna(subset=["text"])] * 5, ignore_index=True)
    docs["path"] = [f"p{i}" for i in range(len(docs))]
    a = nml_index(docs, WORDS, jobs=1).table
    b = nml_index(docs, WORDS, jobs=2).table
    pd.testing.assert_frame_equal(a, b)


def test_empty_word_list_and_missing_columns():
    with pytest.raises(SMError) as err:
        nml_index(_docs(), [])
    assert err.value.code == "SM240"
    with pytest.raises(SMError) as err:
        nml_index(_docs().drop(columns="year"), WORDS)
    assert err.value.code == "SM001"
