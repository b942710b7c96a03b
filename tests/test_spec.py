"""Study-spec loading and validation (smtext.study.spec, .vocabulary): safe YAML, line-numbered coded errors."""

from __future__ import annotations

import pandas as pd
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
    err = _err(BASE + "measures:\n  tfp: {methods: [lp, wrdg]}\n")
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


# ---------------------------------------------------------------- measures.text: user lexicons and scope
TEXT_SPEC = BASE + """\
measures:
  text:
    lexicons: {smart: smart_manufacturing, twin: LEXICON}
    filters: [negation]
"""


def _spec_file(tmp_path, lexicon="lex/twin.csv", extra=""):
    folder = tmp_path / "study"
    (folder / "lex").mkdir(parents=True, exist_ok=True)
    (folder / "lex" / "twin.csv").write_text("category,term\ntwin,数字孪生\ntwin,工业互联网\n", encoding="utf-8")
    (folder / "lex" / "twin.meta.json").write_text('{"publication": "own list"}', encoding="utf-8")
    path = folder / "tiny.yaml"
    path.write_text(TEXT_SPEC.replace("LEXICON", lexicon) + extra, encoding="utf-8")
    return path


def test_text_measure_accepts_a_user_lexicon_relative_to_the_spec(tmp_path, monkeypatch):
    from smtext.study.measures import text_params
    from smtext.text.lexicon import load_lexicon

    monkeypatch.chdir(tmp_path)   # the working folder is not the spec's folder
    spec = load(_spec_file(tmp_path))
    params = text_params(spec, spec.get("measures")["text"])
    lex_file = tmp_path / "study" / "lex" / "twin.csv"
    assert params["lexicons"] == {"smart": "smart_manufacturing", "twin": str(lex_file.resolve())}
    assert params["lexicon_sha256"] == {"twin": load_lexicon(lex_file).sha256}   # editing the file reruns the stage
    bundled_params = text_params(spec, {"lexicons": {"smart": "smart_manufacturing"}, "filters": ["negation"]})
    assert bundled_params == {"lexicons": {"smart": "smart_manufacturing"}, "filters": ["negation"]}


def test_text_measure_refuses_missing_lexicon_files_and_path_keys(tmp_path):
    with pytest.raises(SMError, match=r"SM713: tiny.yaml:15: lexicon file 'lex/nope.csv' does not exist"):
        load(_spec_file(tmp_path, "lex/nope.csv"))
    path = _spec_file(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("twin: lex/", "../twin: lex/"), encoding="utf-8")
    with pytest.raises(SMError, match=r"SM703: tiny.yaml:15: lexicon key '../twin' is not a plain name"):
        load(path)
    path = _spec_file(tmp_path)
    (path.parent / "lex" / "twin.csv").write_text("category,word\ntwin,数字孪生\n", encoding="utf-8")
    with pytest.raises(SMError, match=r"SM202: tiny.yaml:15: lexicon .*twin.csv lacks column"):
        load(path)


def test_text_measure_scope_is_checked(tmp_path):
    assert load(_spec_file(tmp_path, extra="    scope: mda\n")).get("measures")["text"]["scope"] == "mda"
    with pytest.raises(SMError, match=r"SM703: tiny.yaml:17: scope='abstract' is not allowed"):
        load(_spec_file(tmp_path, extra="    scope: abstract\n"))
    with pytest.raises(SMError, match=r"SM702: tiny.yaml:17: unknown key 'scpoe' in measures/text.*did you mean 'scope'"):
        load(_spec_file(tmp_path, extra="    scpoe: mda\n"))
    with pytest.raises(SMError, match=r"SM703: tiny.yaml:16: filters='none'"):
        load(_spec_with(tmp_path, "[none]"))


def _spec_with(tmp_path, filters):
    path = _spec_file(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("[negation]", filters), encoding="utf-8")
    return path


def test_text_measure_honours_scope_mda(tmp_path):
    from types import SimpleNamespace

    from smtext.stages import StageContext
    from smtext.study.measures import Env, text_measure

    text = ("第一节 重要提示\n数字孪生。\n第二节 公司简介\n数字孪生。\n"
            "第三节 管理层讨论与分析\n推进数字孪生和工业互联网。\n第四节 公司治理\n工业互联网。\n")
    ex = tmp_path / "ex"
    ex.mkdir()
    pd.DataFrame([{"path": "a.pdf", "stkcd": "000001", "year": 2020, "status": "ok", "n_chars": len(text)}]
                 ).to_parquet(ex / "documents.parquet", index=False)
    pd.DataFrame([{"path": "a.pdf", "page": i + 1, "text": t} for i, t in enumerate(text.splitlines())]
                 ).to_parquet(ex / "pages.parquet", index=False)
    spec = load(_spec_file(tmp_path))
    env = Env(SimpleNamespace(extract_dir=lambda name: ex))
    counts = {}
    for scope in ("full", "mda"):
        params = text_params_for(spec, scope)
        ctx = StageContext("text", tmp_path / scope, params, {})
        ctx.dir.mkdir()
        text_measure(env)(ctx)
        counts[scope] = int(pd.read_parquet(ctx.dir / "firm_year_index.parquet")["twin_count"].iloc[0])
    assert counts == {"full": 5, "mda": 2}   # 数字孪生 x3 + 工业互联网 x2; MD&A: one each


def text_params_for(spec, scope):
    from smtext.study.measures import text_params

    return text_params(spec, {**spec.get("measures")["text"], "scope": scope})
