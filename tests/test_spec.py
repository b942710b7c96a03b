"""Study-spec loading and validation (smtext.study.spec, .vocabulary): safe YAML, line-numbered coded errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from smtext.errors import SMError
from smtext.study import bundled, load, loads
from smtext.study.spec import check_columns

BASE = """\
study: tiny
sample:
  years: [2011, 2015]
controls:
  main: [ROA, Lev]
tables:
  t1:
    title: baseline
    columns:
      - {kind: progressive, y: TFP_LP, controls: main}
      - y: TFP_OP
        controls: main
"""


def _err(text: str) -> SMError:
    with pytest.raises(SMError) as info:
        loads(text, source="tiny.yaml")
    return info.value


def test_bundled_specs_load_and_validate():
    names = bundled()
    assert {"paper000", "paper004"} <= set(names)
    for name in names:
        spec = load(name)
        assert spec.name == name
        assert spec.get("tables"), name


def test_lines_are_recorded_for_nested_values():
    spec = loads(BASE, source="tiny.yaml")
    # line numbers counted by hand in BASE above (1-based)
    assert spec.line("tables", "t1", "columns", 0, "y") == 10
    assert spec.line("tables", "t1", "columns", 1, "y") == 11
    assert spec.line("tables", "t1", "columns", 1, "controls") == 12
    assert spec.where("controls", "main", 1) == "tiny.yaml:5"


def test_unknown_key_names_file_line_and_suggestion():
    err = _err(BASE.replace("    title: baseline", "    titel: baseline"))
    assert err.code == "SM702"
    assert "tiny.yaml:8" in str(err) and "'title'" in str(err)


def test_bad_kind_names_line_and_allowed_values():
    err = _err(BASE.replace("kind: progressive", "kind: progresive"))
    assert err.code == "SM703"
    assert "tiny.yaml:10" in str(err) and "progressive" in str(err)


def test_undefined_control_set():
    err = _err(BASE.replace("        controls: main", "        controls: mian"))
    assert err.code == "SM703" and "tiny.yaml:12" in str(err)


def test_duplicate_key_is_an_error():
    err = _err(BASE + "study: again\n")
    assert err.code == "SM705" and "tiny.yaml:13" in str(err) and "line 1" in str(err)


def test_yaml_syntax_error_names_line():
    err = _err(BASE.replace("  years: [2011, 2015]", "  years: [2011, 2015"))
    assert err.code == "SM701" and "tiny.yaml:" in str(err)


def test_python_tags_are_refused():
    # SafeLoader never builds Python objects from a spec
    err = _err(BASE + "title: !!python/object/apply:os.system ['echo hi']\n")
    assert err.code == "SM701"


def test_bad_years_and_tfp_method():
    assert _err(BASE.replace("[2011, 2015]", "[2015, 2011]")).code == "SM703"
    err = _err(BASE + "measures:\n  tfp: {methods: [lp, gmm]}\n")
    assert err.code == "SM703" and "tiny.yaml:14" in str(err)


def test_unknown_lexicon_is_caught_before_running():
    err = _err(BASE + "measures:\n  text: {lexicons: {smart: smart_manufactoring}}\n")
    assert err.code == "SM703" and "smart_manufacturing" in str(err)


def test_check_columns_names_the_line_of_the_reference():
    spec = loads(BASE.replace("y: TFP_OP", "y: TFP_OPP"), source="tiny.yaml")
    with pytest.raises(SMError) as info:
        check_columns(spec, ("tables", "t1", "columns", 1, "y"), ["TFP_OPP"], ["TFP_OP", "TFP_LP"], "y")
    assert info.value.code == "SM704"
    assert "tiny.yaml:11" in str(info.value) and "'TFP_OP'" in str(info.value)


def test_cli_check_and_errors(tmp_path):
    from smtext.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["run", "paper000", "--check"])
    assert res.exit_code == 0, res.output
    assert "paper000.yaml: ok" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("kind: progressive", "kind: nope"), encoding="utf-8")
    res = runner.invoke(app, ["run", str(bad), "--check"])
    assert res.exit_code == 2
    assert "SM703" in res.output and "bad.yaml:10" in res.output
    res = runner.invoke(app, ["run", "--help"])
    assert res.exit_code == 0 and "--world" in res.output
