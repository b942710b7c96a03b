"""``smtext patents`` commands (the group app, as the registry mounts it)."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from smtext.cli import app

runner = CliRunner()


def test_help_texts():
    for args in ([], ["classify", "--help"], ["measure", "--help"]):
        res = runner.invoke(app, ["patents", *args] + ([] if args else ["--help"]))
        assert res.exit_code == 0 and "Usage" in res.output


def test_classify_prints_branches_and_malformed_codes():
    res = runner.invoke(app, ["patents", "classify", "B41J 2/01", "H04L0027260000", "A47J27/00", "H04L"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert "2.1" in lines[0] and "excluded by 1.1-02" in lines[0]    # B41J* 不含 B41J2* in 1.1-02
    assert lines[1].startswith("H04L0027260000\tH04L27/26\tkey-technology")
    assert "not listed" in lines[2]
    assert "malformed: subclass only" in lines[3]


def test_measure_writes_tables_and_manifest(tmp_path):
    pat = pd.DataFrame({"appno": ["1", "2"], "title": ["一种射频滤波器", "一种厨具"], "abstract": ["", ""],
                        "applicants": ["甲科技股份有限公司", "甲科技股份有限公司;清华大学"],
                        "app_date": ["2016-01-01", "2017-01-01"], "grant_date": ["", ""],
                        "patent_type": ["发明", "发明"], "ipc": ["H04L 27/26", "A47J27/00"], "citations": [1, 0]})
    firms = pd.DataFrame({"stkcd": ["000001"], "name": ["甲科技股份有限公司"], "city": ["苏州"]})
    pat.to_parquet(tmp_path / "p.parquet")
    firms.to_parquet(tmp_path / "f.parquet")
    out = tmp_path / "out"
    res = runner.invoke(app, ["patents", "measure", str(tmp_path / "p.parquet"), str(tmp_path / "f.parquet"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_parquet(out / "patent_measures.parquet")
    assert t["n_keytech"].tolist() == [1, 0] and t["n_joint"].tolist() == [0, 1]
    assert t["inn"].tolist() == [1, 0]           # 射频滤波器 is a catalogue item and H04L27/26 is key-tech
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["parameters"]["scheme"] == "sei_ipc_2021" and "patents" in man["inputs"]
    for name in ("applicant_match.csv", "applicant_review.csv", "ipc_malformed.csv", "dropped.csv",
                 "tech_similarity_firm.parquet"):
        assert (out / name).is_file()


def test_bad_option_is_a_coded_error(tmp_path):
    pd.DataFrame({"appno": ["1"], "applicants": ["x"], "app_date": ["2016-01-01"], "patent_type": ["发明"],
                  "ipc": ["H04L27/26"]}).to_parquet(tmp_path / "p.parquet")
    pd.DataFrame({"stkcd": ["000001"], "name": ["x"]}).to_parquet(tmp_path / "f.parquet")
    res = runner.invoke(app, ["patents", "measure", str(tmp_path / "p.parquet"), str(tmp_path / "f.parquet"),
                              "-o", str(tmp_path / "o"), "--match-on", "every"])
    assert res.exit_code == 2 and "SM002" in res.output
