"""A study's data declaration (smtext.study.inputs): where each input is, checked before running,
and an existing `smtext extract` output reused instead of extracting again."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError
from smtext.study import loads, run_study, study_inputs
from smtext.study.inputs import read_declaration

SPEC = """\
study: textonly
measures:
  text: {lexicons: {smart: smart_manufacturing}, filters: [negation]}
tables:
  t1:
    columns:
      - {y: smart_ln}
"""


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=40, first_year=2015, last_year=2019)     # shared with test_multiverse.py


def _decl(tmp_path, text: str):
    p = tmp_path / "mydata.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_declaration_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(SMError) as info:
        read_declaration(_decl(tmp_path, "financials: {file: a.csv}\nfinancals: {file: b.csv}\n"))
    assert info.value.code == "SM702" and "mydata.yaml:2" in str(info.value) and "'financials'" in str(info.value)
    with pytest.raises(SMError) as info:
        read_declaration(_decl(tmp_path, "financials: {file: a.csv, files: [b.csv]}\n"))
    assert info.value.code == "SM702" and "exactly one" in str(info.value)
    with pytest.raises(SMError) as info:
        read_declaration(_decl(tmp_path, "data:\n  annual_reports: {file: a.csv}\n"))
    assert info.value.code == "SM703" and "mydata.yaml:2" in str(info.value)
    with pytest.raises(SMError) as info:
        read_declaration(tmp_path / "none.yaml")
    assert info.value.code == "SM706"
    # paths are relative to the declaration file
    decl = read_declaration(_decl(tmp_path, "data:\n  firms: {file: sub/firms.csv, map: {代码: stkcd}}\n"))
    assert decl["firms"]["file"] == str((tmp_path / "sub" / "firms.csv").resolve())


def test_missing_inputs_are_reported_at_check_time_with_the_spec_line(world, tmp_path):
    spec = loads(SPEC, "textonly.yaml")
    study_inputs(spec, world).check(spec)                      # the demo world has everything
    decl = _decl(tmp_path, f"annual_reports: {{folder: {tmp_path / 'nowhere'}}}\n")
    with pytest.raises(SMError) as info:
        study_inputs(spec, world, decl).check(spec)
    assert info.value.code == "SM706" and "textonly.yaml:3" in str(info.value) and "measures/text" in str(info.value)
    spec_file = tmp_path / "textonly.yaml"
    spec_file.write_text(SPEC, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(spec_file), "--world", str(world), "--data", str(decl), "--check"])
    assert res.exit_code == 2 and "SM706" in res.output and "textonly.yaml:3" in res.output
    res = CliRunner().invoke(app, ["run", str(spec_file), "--world", str(world), "--check"])
    assert res.exit_code == 0, res.output


def test_an_existing_extraction_is_reused_and_gives_the_same_index(world, tmp_path):
    own = run_study(loads(SPEC, "textonly.yaml"), world, tmp_path / "own")
    assert {"corpus", "extract"} <= set(own.ran())
    res = CliRunner().invoke(app, ["--quiet", "extract", str(world / "reports" / "annual"), "--out",
                                   str(tmp_path / "ex")])
    assert res.exit_code == 0, res.output
    decl = _decl(tmp_path, f"annual_reports: {{extract: {tmp_path / 'ex'}}}\n")
    reused = run_study(loads(SPEC, "textonly.yaml"), world, tmp_path / "reused", data=decl)
    assert not {"corpus", "extract"} & {s["stage"] for s in reused.stages}
    a = pd.read_parquet(own.stage_dir("text") / "firm_year_index.parquet")
    b = pd.read_parquet(reused.stage_dir("text") / "firm_year_index.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert "existing `smtext extract` output" in reused.report.read_text(encoding="utf-8")
