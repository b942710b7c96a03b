"""Hostile or careless study specs: output paths that leave the output folder, YAML bombs, binary
files and absurd numbers are refused with coded errors naming the spec line, before anything runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smtext.errors import SMError
from smtext.study import loads
from smtext.study.spec import read

BASE = """\
study: tiny
tables:
  t1:
    columns:
      - {y: TFP_OP}
"""


def _err(text: str) -> SMError:
    with pytest.raises(SMError) as info:
        loads(text, source="tiny.yaml")
    return info.value


# ---------------------------------------------------------------- output names stay inside --out
@pytest.mark.parametrize("name", ["../x", "../../../elsewhere/x", "/tmp/x", "a/b", "a\\b", "..", "."])
def test_table_names_that_leave_the_output_folder_are_refused(name):
    e = _err(BASE.replace("  t1:", f"  {name!r}:"))
    assert e.code == "SM703" and "tiny.yaml:3" in str(e)


@pytest.mark.parametrize("name", ["../x", "/tmp/x", "a/b"])
def test_figure_names_that_leave_the_output_folder_are_refused(name):
    e = _err(BASE + f"figures:\n  {name!r}: {{kind: trend, y: smart_ln}}\n")
    assert e.code == "SM703" and "tiny.yaml:7" in str(e)


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b"])
def test_study_names_with_path_parts_are_refused(name):
    e = _err(BASE.replace("study: tiny", f"study: {name!r}"))
    assert e.code == "SM703" and "tiny.yaml:1" in str(e)


def test_balance_table_name_is_a_plain_name_too():
    text = BASE.replace("- {y: TFP_OP}", "- {kind: psm_did, y: TFP_OP, covariates: [ROA], balance: ../b}")
    e = _err(text)
    assert e.code == "SM703" and "tiny.yaml:5" in str(e)


def test_plain_names_with_cjk_digits_dashes_pass():
    spec = loads(BASE.replace("  t1:", "  表3_baseline-2:").replace("study: tiny", "study: 研究-1"), "tiny.yaml")
    assert spec.name == "研究-1"


def test_write_guard_refuses_paths_outside_the_folder(tmp_path):
    from smtext.study.common import inside, save_table

    assert inside(tmp_path, "tables", "t1.md") == (tmp_path / "tables" / "t1.md").resolve()
    for parts in (("tables", "../../x.md"), ("/etc/x",), ("..", "x")):
        with pytest.raises(SMError) as info:
            inside(tmp_path, *parts)
        assert info.value.code == "SM712"

    class Table:
        def save(self, path):   # pragma: no cover - must never be reached
            raise AssertionError(path)

    with pytest.raises(SMError):
        save_table(Table(), tmp_path / "out", "../../escaped")
    assert not (tmp_path / "escaped.md").exists()


def test_cli_default_output_folder_of_a_bad_study_name_is_refused(tmp_path, monkeypatch):
    from smtext.cli import app

    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE.replace("study: tiny", "study: ../../escape"), encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(spec), "--check"])
    assert res.exit_code == 2 and "SM703" in res.output and "s.yaml:1" in res.output


# ---------------------------------------------------------------- YAML bombs and non-text files
BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_quickly():
    t0 = time.perf_counter()
    e = _err(BOMB + BASE)
    assert e.code == "SM701" and "alias" in str(e)
    assert time.perf_counter() - t0 < 2


def test_recursive_alias_is_refused():
    e = _err(BASE + "labels: &l {x: *l}\n")
    assert e.code == "SM701" and "recursive" in str(e)
    e = _err(BASE + "controls: {main: &m [ROA, *m]}\n")
    assert e.code == "SM701"


def test_small_aliases_still_work():
    spec = loads(BASE + "controls: {main: &m [ROA, Lev]}\nlabels: {}\n", "tiny.yaml")
    assert spec.data["controls"]["main"] == ["ROA", "Lev"]


def test_deep_nesting_is_a_coded_error():
    e = _err(BASE + "labels: " + "[" * 5000 + "]" * 5000 + "\n")
    assert e.code == "SM701"


def test_binary_and_huge_spec_files_are_refused(tmp_path):
    b = tmp_path / "bin.yaml"
    b.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SMError) as info:
        read(b)
    assert info.value.code == "SM701" and "bin.yaml" in str(info.value)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("study: 研究\n".encode("gbk"))
    with pytest.raises(SMError) as info:
        read(gbk)
    assert info.value.code == "SM701"
    big = tmp_path / "big.yaml"
    big.write_text(BASE + "# " + "x" * 3_000_000 + "\n", encoding="utf-8")
    with pytest.raises(SMError) as info:
        read(big)
    assert info.value.code == "SM701" and "bytes" in str(info.value)


def test_data_declarations_and_column_maps_use_the_bounded_loader(tmp_path):
    from smtext.io.colmap import load_colmap
    from smtext.study.inputs import read_declaration

    d = tmp_path / "data.yaml"
    d.write_text(BOMB, encoding="utf-8")
    with pytest.raises(SMError) as info:
        read_declaration(d)
    assert info.value.code == "SM701"
    d.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(SMError) as info:
        read_declaration(d)
    assert info.value.code == "SM701"
    m = tmp_path / "map.yaml"
    m.write_text(BOMB, encoding="utf-8")
    with pytest.raises(SMError) as info:
        load_colmap(str(m))
    assert info.value.code == "SM031"
    m.write_text("keys: &k {stkcd: *k}\n", encoding="utf-8")
    with pytest.raises(SMError) as info:
        load_colmap(str(m))
    assert info.value.code == "SM031"


# ---------------------------------------------------------------- numbers are typed and bounded
FIG = BASE + "figures:\n  f1: {kind: placebo, y: TFP_LP, draws: DRAWS}\n"


@pytest.mark.parametrize("value", ["1000000000", "-5", "0"])
def test_draws_out_of_bounds_are_refused(value):
    e = _err(FIG.replace("DRAWS", value))
    assert e.code == "SM703" and "tiny.yaml:7" in str(e) and "draws" in str(e)


@pytest.mark.parametrize("value", ['"lots"', "1e400", "1.0e+400", ".nan", "3.5", "true"])
def test_draws_of_the_wrong_type_are_refused(value):
    e = _err(FIG.replace("DRAWS", value))
    assert e.code == "SM703" and "tiny.yaml:7" in str(e)


def test_split_diff_test_draws_are_bounded():
    text = BASE.replace("- {y: TFP_OP}", "- {kind: split, by: area, groups: [a], y: TFP_OP, "
                        "diff_test: {draws: 1000000000}}")
    e = _err(text)
    assert e.code == "SM703" and "tiny.yaml:5" in str(e)


@pytest.mark.parametrize("value", ["1.0e+400", "-.inf", ".nan"])
def test_non_finite_floats_are_refused(value):
    text = BASE + f"measures:\n  nml: {{seeds: [新质生产力], threshold: {value}}}\n"
    e = _err(text)
    assert e.code == "SM703" and "tiny.yaml:7" in str(e)


@pytest.mark.parametrize("value", ["[2011, 1.0e+400]", "[.nan, 2015]"])
def test_non_finite_pairs_are_refused(value):
    e = _err(BASE + f"sample:\n  years: {value}\n")
    assert e.code == "SM703" and "tiny.yaml:7" in str(e)


def test_bundled_spec_values_stay_within_bounds():
    from smtext.study import bundled, load

    for name in bundled():
        load(name)


def test_check_reports_the_bound_on_the_command_line(tmp_path):
    from smtext.cli import app

    s = tmp_path / "s.yaml"
    s.write_text(FIG.replace("DRAWS", "1000000000"), encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(s), "--check"])
    assert res.exit_code == 2 and "SM703" in res.output and "s.yaml:7" in res.output
    assert not Path(tmp_path / "study_tiny").exists()
