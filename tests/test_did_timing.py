"""Treatment timing from pilot lists (smtext.did.timing), by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import smtext.did as did
from smtext.errors import SMWarning


def _toy_panel():
    firms = ["000001", "000002", "000003", "000004"]
    rows = [(f, y, c) for f, c in zip(firms, ["A", "A", "B", "C"]) for y in range(2014, 2019)]
    return pd.DataFrame(rows, columns=["stkcd", "year", "city"])


def test_firm_treatment_by_hand():
    panel = _toy_panel()
    pilots = pd.DataFrame({"stkcd": ["000001", "000001", "000003", "999999"],
                           "year": [2017, 2016, 2014, 2016]})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = did.firm_treatment(panel, pilots)
    codes = {str(x.message)[:5] for x in w}
    assert {"SM511", "SM512"} <= codes
    d = res.data.set_index(["stkcd", "year"])
    # 000001 listed twice: first selection (2016) counts
    assert d.loc["000001", "gname"].unique().tolist() == [2016]
    assert d.loc["000001", "did"].tolist() == [0, 0, 1, 1, 1]
    assert d.loc["000001", "rel_time"].tolist() == [-2, -1, 0, 1, 2]
    assert d.loc["000002", "did"].sum() == 0 and d.loc["000002", "gname"].eq(0).all()
    assert d.loc["000002", "rel_time"].isna().all()
    assert res.unmatched_pilots["stkcd"].tolist() == ["999999"]
    assert res.treated_before_sample["stkcd"].tolist() == ["000003"]
    assert res.counts["treated units"] == 2 and res.counts["cohorts"] == {2014: 1, 2016: 1}


def test_firm_treatment_reports_duplicates_and_name_matching():
    panel = _toy_panel()
    panel["name"] = panel["stkcd"].map({"000001": "甲公司", "000002": "乙公司", "000003": "丙", "000004": "丁"})
    panel = pd.concat([panel, panel.iloc[[0]]])
    pilots = pd.DataFrame({"firm": ["乙公司", "戊公司"], "year": [2016, 2017]})
    with pytest.warns(SMWarning, match="SM513"):
        res = did.firm_treatment(panel, pilots, pilot_key="firm", panel_key="name")
    assert len(res.duplicate_keys) == 2
    assert res.unmatched_pilots["firm"].tolist() == ["戊公司"]
    assert res.data.loc[res.data.stkcd == "000002", "gname"].unique().tolist() == [2016]


def test_city_spillover_by_hand():
    panel = _toy_panel()
    # 000001 (city A) announced 2015 -> city A treated from 2016; 000001 itself dropped
    pilots = pd.DataFrame({"stkcd": ["000001"], "year": [2015]})
    with pytest.warns(SMWarning, match="SM514"):
        res = did.city_spillover(panel, pilots)
    d = res.data
    assert "000001" not in set(d.stkcd) and len(res.dropped) == 5
    assert d.loc[d.stkcd == "000002", "policy"].tolist() == [0, 0, 1, 1, 1]
    assert d.loc[d.stkcd == "000003", "policy"].sum() == 0
    assert d.loc[d.stkcd == "000002", "gname"].iloc[0] == 2016


def test_clean_controls():
    panel = _toy_panel()
    panel["gname"] = np.where(panel.stkcd == "000001", 2016, 0)
    panel["sm_mentions"] = np.where((panel.stkcd == "000002") & (panel.year == 2017), 3, 0)
    with pytest.warns(SMWarning, match="SM515"):
        kept, dropped = did.clean_controls(panel, "stkcd", "gname", "sm_mentions")
    assert sorted(kept.stkcd.unique()) == ["000001", "000003", "000004"]
    assert len(dropped) == 5
