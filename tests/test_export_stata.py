"""Stata export of smtext's own tables: long names shortened deterministically, key labels, `smtext export`."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning
from smtext.manifest import file_sha256
from smtext.report.export import to_stata

runner = CliRunner()
LONG1 = "wufei2021_digital__artificial_intelligence_per10k"   # 49 characters, as index count writes them
LONG2 = "wufei2021_digital__artificial_intelligence_count"


@pytest.fixture()
def index_table():
    return pd.DataFrame({"stkcd": ["000001", "600519"], "year": [2020, 2021], LONG1: [1.5, np.nan],
                         LONG2: [3.0, 0.0], "smart_ln": [0.1, 0.2]})


def _expected_short(name):
    return name[:23] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def test_long_names_shortened_with_full_name_as_label(tmp_path, index_table):
    with pytest.warns(SMWarning, match="SM611"):
        path = to_stata(index_table, tmp_path / "i.dta")
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        back = reader.read()
    s1, s2 = _expected_short(LONG1), _expected_short(LONG2)
    assert list(back.columns) == ["stkcd", "year", s1, s2, "smart_ln"]
    assert len(s1) == 32 and s1 != s2                          # same 23-character prefix, different names
    assert labels[s1] == LONG1 and labels[s2] == LONG2
    assert labels["stkcd"] and labels["year"] and labels["smart_ln"] == ""
    assert back[s2].tolist() == [3.0, 0.0] and back["stkcd"].tolist() == ["000001", "600519"]


def test_same_table_gives_the_same_bytes(tmp_path, index_table):
    from smtext.report.export import stata_names

    with pytest.warns(SMWarning):
        to_stata(index_table, tmp_path / "a.dta")
    with pytest.warns(SMWarning):
        to_stata(index_table, tmp_path / "b.dta")
    assert (tmp_path / "a.dta").read_bytes() == (tmp_path / "b.dta").read_bytes()
    assert stata_names([LONG1]) == stata_names([LONG1]) == {LONG1: _expected_short(LONG1)}


def test_given_labels_win_and_bad_characters_still_refused(tmp_path, index_table):
    with pytest.warns(SMWarning, match="SM611"):
        path = to_stata(index_table, tmp_path / "i.dta", labels={LONG1: "人工智能（每万字）", "stkcd": "证券代码"})
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
    assert labels[_expected_short(LONG1)] == "人工智能（每万字）" and labels["stkcd"] == "证券代码"
    with pytest.raises(SMError, match="SM609"):
        to_stata(index_table.rename(columns={"smart_ln": "智能制造"}), tmp_path / "x.dta")
    clash = index_table.assign(**{_expected_short(LONG1): 1.0})
    with pytest.raises(SMError, match="SM610"):
        to_stata(clash, tmp_path / "x.dta")


def test_export_command_writes_dta_and_manifest(tmp_path, index_table):
    src = tmp_path / "firm_year_index.parquet"
    index_table.to_parquet(src, index=False)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"smart_ln": "智能制造 ln(1+count)"}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "index.dta"
    res = runner.invoke(app, ["export", str(src), str(out), "--labels", str(labels)])
    assert res.exit_code == 0, res.output
    assert f"{LONG1} -> {_expected_short(LONG1)}" in res.output
    with pd.io.stata.StataReader(out) as reader:
        assert reader.variable_labels()["smart_ln"] == "智能制造 ln(1+count)"
    man = json.loads((tmp_path / "index.dta.manifest.json").read_text(encoding="utf-8"))
    assert man["inputs"] == {str(src): file_sha256(src)} and man["renamed"][LONG1] == _expected_short(LONG1)
    res = runner.invoke(app, ["export", str(src), str(tmp_path / "index.xlsx")])
    assert res.exit_code == 2 and "SM612" in res.output
