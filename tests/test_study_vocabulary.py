"""The spec vocabulary is registered once (smtext.study.registry) and everything is derived from it:
validation, the columns an entry uses, SM704 messages, the reference page (smtext.study.vocabulary)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from smtext.errors import SMError
from smtext.study import loads, reference
from smtext.study.registry import (
    DATA_OPTION_KINDS,
    COLUMNS,
    FIGURES,
    MEASURES,
    TRUTHS,
    VARIABLES,
)
from smtext.study.vocabulary import check_entry, entry_columns

KINDS = {"column", "columns", "operands", "controls", "fe", "where", "str", "int", "float", "bool", "choice",
         "choices", "pair", "list", "mapping", "options", "any"}
REGISTRIES = (MEASURES, VARIABLES, COLUMNS, FIGURES, TRUTHS)

BASE = """\
study: tiny
controls:
  main: [ROA, Lev]
tables:
  t1:
    columns:
      - {y: TFP_LP, controls: main}
"""


def _options(entry):
    schema = entry.arg.schema if entry.arg is not None and entry.arg.kind == "options" else entry.schema
    return list(schema) + ([entry.arg] if entry.arg is not None and entry.arg.kind != "options" else [])


def _err(text: str) -> SMError:
    with pytest.raises(SMError) as info:
        loads(text, source="tiny.yaml")
    return info.value


def test_every_registered_item_and_option_is_documented_with_a_known_kind():
    for registry in REGISTRIES:
        assert registry.names(), registry.what
        for entry in registry.entries():
            assert len(entry.doc) >= 8, (registry.what, entry.name)
            for o in _options(entry):
                assert o.kind in KINDS, (entry.name, o.name, o.kind)
                assert o.doc, (entry.name, o.name)
                assert o.kind not in ("choice", "choices") or o.choices, (entry.name, o.name)


def test_reference_page_lists_everything_registered_and_is_printed_by_the_cli():
    text = reference()
    for registry in REGISTRIES:
        for entry in registry.entries():
            assert f"### `{entry.name}`" in text, entry.name
            for o in _options(entry):
                if o.name != "arg":
                    assert f"`{o.name}`" in text
    res = CliRunner().invoke(__import__("smtext.cli", fromlist=["app"]).app, ["run", "--help-spec"])
    assert res.exit_code == 0 and res.output.strip() == text.strip()


def test_an_option_of_another_kind_is_refused_with_this_kinds_keys():
    # `instrument` belongs to iv columns; on a twfe column it is an unknown key (it used to be ignored)
    err = _err(BASE.replace("controls: main}", "controls: main, instrument: IV1}"))
    assert err.code == "SM702" and "tiny.yaml:7" in str(err) and "'instrument'" in str(err)
    assert "allowed keys" in str(err) and "'unit_fe'" in str(err)
    assert loads(BASE.replace("{y: TFP_LP,", "{kind: iv, instrument: IV1, y: TFP_LP,"), "tiny.yaml")


def test_required_options_and_value_kinds_come_from_the_schema():
    assert _err(BASE.replace("{y: TFP_LP, controls: main}", "{kind: iv, y: TFP_LP}")).code == "SM702"  # no instrument
    err = _err(BASE.replace("controls: main}", "controls: main, unit_fe: maybe}"))
    assert err.code == "SM703" and "true or false" in str(err)
    err = _err(BASE + "figures:\n  f: {kind: event_study, y: TFP_LP, window: [4, -4]}\n")
    assert err.code == "SM703" and "tiny.yaml:9" in str(err)
    err = _err(BASE + "figures:\n  f: {kind: nope, y: TFP_LP}\n")
    assert err.code == "SM703" and "event_study" in str(err)


def test_variable_operations_check_their_argument():
    err = _err(BASE + "variables:\n  r: {ratio: [a, b, c]}\n")
    assert err.code == "SM703" and "2 items" in str(err)
    err = _err(BASE + "variables:\n  h: {hhi: {column: revenue}}\n")
    assert err.code == "SM702" and "'by'" in str(err)
    err = _err(BASE + "variables:\n  h: {hhii: revenue}\n")
    assert err.code == "SM702" and "'hhi'" in str(err)
    # a bare value stands for the shorthand key; the mapping form takes the other options
    spec = loads(BASE + "variables:\n  a: {median_above: TFP_LP}\n  b: {median_above: {column: TFP_LP, by: [year, "
                        "exporter]}}\n", "tiny.yaml")
    from smtext.study.variables import variable_columns

    assert variable_columns(spec.data["variables"]["a"]) == ["TFP_LP"]
    assert variable_columns(spec.data["variables"]["b"]) == ["TFP_LP", "year", "exporter"]


def test_columns_of_an_entry_and_sm704_follow_the_schema():
    spec = loads(BASE + "figures:\n  p:\n    kind: pscore\n    y: TFP_LP\n    covariates: [ROA, Sizee]\n"
                        "    where: {exporter: 1}\n    controls: main\n", "tiny.yaml")
    fig = spec.data["figures"]["p"]
    assert entry_columns(spec, fig, FIGURES, "DID") == sorted({"stkcd", "year", "DID", "gname", "TFP_LP", "ROA",
                                                               "Sizee", "exporter", "Lev"})
    with pytest.raises(SMError) as info:
        check_entry(spec, ("figures", "p"), fig, FIGURES, ["stkcd", "TFP_LP", "ROA", "Size", "exporter", "Lev"])
    assert info.value.code == "SM704" and "tiny.yaml:12" in str(info.value) and "'Size'" in str(info.value)
    assert set(DATA_OPTION_KINDS) <= KINDS


def test_treatment_designs_and_truth_checks():
    two = BASE + "treatment:\n  - {design: firm, dname: DID}\n  - {design: city_spillover, dname: Policy}\n"
    assert loads(two, "tiny.yaml")
    err = _err(two.replace("dname: Policy", "dname: DID"))
    assert err.code == "SM703" and "tiny.yaml:10" in str(err)
    err = _err(BASE + "truth: {table: t1, column: 1}\n")
    assert err.code == "SM702" and "'effect'" in str(err)
    err = _err(BASE + "truth: {table: t9, column: 1, value: 0}\n")
    assert err.code == "SM703" and "'t1'" in str(err)
    assert loads(BASE + "measures: {nml: {}}\ntruth:\n  - {table: t1, column: 1, value: 0}\n  - {kind: expansion, words: text.x}\n",
                 "tiny.yaml")


def test_a_whole_table_kind_must_be_alone():
    err = _err(BASE.replace("      - {y: TFP_LP, controls: main}",
                            "      - {kind: describe, variables: [ROA]}\n      - {y: TFP_LP}"))
    assert err.code == "SM703" and "only column" in str(err)


def test_each_kind_accepts_only_the_options_it_honours():
    # fepois and psm_did take cluster only (their estimators have no vcov); progressive has no unit_fe switch
    for col in ("{kind: fepois, y: n, vcov: iid}", "{kind: progressive, y: n, unit_fe: false}",
                "{kind: did2s, y: n, x: Policy}", "{y: n, label: x}"):
        err = _err(BASE.replace("{y: TFP_LP, controls: main}", col))
        assert err.code == "SM702", col
    err = _err(BASE + "figures:\n  f: {kind: placebo, y: TFP_LP, x: Policy}\n")
    assert err.code == "SM702"


def test_lists_of_columns_must_be_lists():
    # a bare string would be split into letters by the functions that iterate it
    err = _err(BASE.replace("{y: TFP_LP, controls: main}", "{kind: mechanism, mediators: Pat}"))
    assert err.code == "SM703" and "[a, b]" in str(err)
    err = _err(BASE + "variables:\n  g: {group_mean: {column: x, by: industry}}\n")
    assert err.code == "SM703"
    assert _err(BASE.replace("controls: main}", "controls: main, fe: industry}")).code == "SM703"
    err = _err(BASE.replace("{y: TFP_LP, controls: main}", "{kind: lag, y: TFP_LP, lags: [one]}"))
    assert err.code == "SM703" and "whole numbers" in str(err)
    assert _err(BASE + "measures:\n  nml: {seeds: [1, 2]}\n").code == "SM703"


def test_default_fixed_effects_are_columns_the_table_reads():
    spec = loads(BASE.replace("{y: TFP_LP, controls: main}", "{kind: logit, y: up}"), "tiny.yaml")
    col = spec.data["tables"]["t1"]["columns"][0]
    assert {"industry", "year", "stkcd"} <= set(entry_columns(spec, col, COLUMNS, "DID", "twfe"))
    with pytest.raises(SMError) as info:
        check_entry(spec, ("tables", "t1", "columns", 0), col, COLUMNS, ["up", "year", "stkcd", "DID"], "twfe")
    assert info.value.code == "SM704" and "'industry'" in str(info.value)


def test_designs_truth_and_whole_tables_are_checked_before_running():
    assert _err(BASE + "treatment: []\n").code == "SM703"
    err = _err(BASE + "treatment: {dname: DID, gname: cohort}\n")
    assert err.code == "SM703" and "'gname'" in str(err)
    err = _err(BASE + "treatment:\n  - {dname: DID}\n  - {design: city_spillover, dname: P, gname: gname}\n")
    assert err.code == "SM703" and "'gname'" in str(err)
    err = _err(BASE + "truth: {kind: tfp, elasticities: {labour: a.b}}\n")
    assert err.code == "SM703" and "measures/tfp" in str(err)
    err = _err(BASE + "truth: {kind: expansion, words: a.b}\n")
    assert err.code == "SM703" and "nml" in str(err)
    desc = BASE.replace("      - {y: TFP_LP, controls: main}", "      - {kind: describe, variables: [ROA]}")
    assert _err(desc + "truth: {table: t1, column: 1, value: 0}\n").code == "SM703"
    err = _err(desc.replace("    columns:", "    keep: [ROA]\n    columns:"))
    assert err.code == "SM703" and "keep" in str(err)
