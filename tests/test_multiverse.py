"""The measurement multiverse (smtext.study.multiverse) on a small generated demo world.

The bundled multiverse_demo spec (3 TFP methods x 3 transforms x 2 filter sets = 18 variants) runs
once per module on a 40-firm world (about 30 s); every estimate is compared with pyfixest on a
panel whose text measure this file builds itself from a separate count of the reports.
"""

from __future__ import annotations

import json
import shutil
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.study import loads, run_study

SPEC = (resources.files("smtext.study.specs") / "multiverse_demo.yaml").read_text(encoding="utf-8")
CONTROLS = ["ROA", "INST", "Lev", "Cashflow", "FIXED", "TobinQ", "Growth"]


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=40, first_year=2015, last_year=2019)


@pytest.fixture(scope="module")
def first(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("mv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        res = run_study(loads(SPEC, source="multiverse_demo.yaml"), world, out)
    return res, json.loads((out / "manifest.json").read_text(encoding="utf-8"))["multiverse"]


def _rerun(world, out, spec=SPEC):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        return run_study(loads(spec, source="multiverse_demo.yaml"), world, out)


def test_the_product_has_every_variant_once_with_one_baseline(first):
    res, _ = first
    mv = pd.read_csv(res.out / "multiverse.csv", dtype={"text.filters": str})
    assert len(mv) == 18 and list(mv["variant"]) == list(range(1, 19))
    combos = set(zip(mv["tfp.method"], mv["text.transform"], mv["text.filters"]))
    assert combos == {(m, t, f) for m in ("lp", "op", "acf") for t in ("log1p", "count", "per10k")
                      for f in ("negation", "negation+third_party")}
    base = mv[mv["baseline"]]
    assert len(base) == 1 and tuple(base.iloc[0][["tfp.method", "text.transform", "text.filters"]]) == \
        ("lp", "log1p", "negation")
    # the special axes rename what the column reads
    row = mv[(mv["tfp.method"] == "acf") & (mv["text.transform"] == "per10k")].iloc[0]
    assert (row["y"], row["x"]) == ("TFP_ACF", "smart_per10k")


def _own_text_measure(res, filters: tuple) -> pd.DataFrame:
    """smart_count / _ln / _per10k per firm-year, counted here from the extracted reports and aggregated
    with numpy (not through the study's text stage or its firm-year index)."""
    from smtext.text.index_job import index_extract

    tmp = res.out / f"own_{'_'.join(filters)}"
    run = index_extract(res.stage_dir("extract"), {"smart": "smart_manufacturing"}, tmp, filters=filters,
                        clean_lexicon=None, categories=False)
    docs = run.documents
    ok = docs[(docs["status"] == "ok") & docs["smart_count"].notna()]
    fy = ok.groupby(["stkcd", "year"])[["smart_count", "n_chars"]].sum().reset_index()
    count = fy["smart_count"].to_numpy(float)
    fy["smart_ln"] = np.log1p(count)
    fy["smart_per10k"] = count / fy["n_chars"].to_numpy(float) * 10_000
    return fy.drop(columns=["n_chars"])


def test_every_variant_equals_pyfixest_on_an_independently_measured_panel(first):
    import pyfixest as pf

    res, _ = first
    mv = pd.read_csv(res.out / "multiverse.csv", dtype={"text.filters": str})
    panel = pd.read_parquet(res.out / "panel.parquet")
    panel = panel[panel["exporter"] == 1].drop(columns=[c for c in panel if c.startswith("smart_")])
    transform = {"count": "smart_count", "log1p": "smart_ln", "per10k": "smart_per10k"}
    for filters in (("negation",), ("negation", "third_party")):
        d = panel.merge(_own_text_measure(res, filters), on=["stkcd", "year"], how="left")
        for r in mv[mv["text.filters"] == "+".join(filters)].to_dict("records"):
            y, x = f"TFP_{r['tfp.method'].upper()}", transform[r["text.transform"]]
            ref = pf.feols(f"{y} ~ {x} + {' + '.join(CONTROLS)} | stkcd + year", data=d, vcov={"CRV1": "stkcd"})
            assert r["estimate"] == pytest.approx(ref.coef()[x], abs=1e-8), (r["variant"], y, x, filters)
            assert r["std_error"] == pytest.approx(ref.se()[x], rel=1e-6), r["variant"]
            assert r["nobs"] == ref._N
            rows = d.dropna(subset=[y, x, *CONTROLS])
            std = ref.coef()[x] * np.std(rows[x].to_numpy(), ddof=1) / np.std(rows[y].to_numpy(), ddof=1)
            assert r["std_estimate"] == pytest.approx(std, abs=1e-8), r["variant"]


def test_distinct_configurations_run_once_and_the_rerun_reuses_everything(first, world):
    res, summary = first
    # the 18 variants need the tfp stage as the spec has it, two text stages and two data sets:
    # the main run made one of each, the variants one more text stage and its data set
    assert summary["variants"] == 18 and summary["measure_configs"] == 3
    assert summary["vary"]["text.filters"] == [["negation"], ["negation", "third_party"]]   # the run's parameters
    assert sorted(s.split("/")[0] for s in summary["stages_ran"]) == ["dataset", "text"]
    again = _rerun(world, res.out)
    assert again.ran() == [], again.ran()
    assert json.loads((res.out / "manifest.json").read_text(encoding="utf-8"))["multiverse"]["stages_ran"] == []


def test_a_recomputed_multiverse_is_byte_identical(first, world):
    res, _ = first
    before = {p: (res.out / p).read_bytes() for p in ("multiverse.csv", "figures/specification_curve.png",
                                                      "tables/multiverse.md", "tables/multiverse.tex")}
    shutil.rmtree(res.out / "stages" / "multiverse")
    again = _rerun(world, res.out)
    assert "multiverse" in again.ran()
    for p, data in before.items():
        assert (res.out / p).read_bytes() == data, p


def test_table_figure_and_report(first):
    res, _ = first
    assert (res.out / "figures" / "specification_curve.png").stat().st_size > 10_000
    md = (res.out / "tables" / "multiverse.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == 19 and "1 (基准)" in md      # header and 18 variants
    for fmt in ("html", "tex", "xlsx", "docx"):
        assert (res.out / "tables" / f"multiverse.{fmt}").stat().st_size > 0
    html = res.report.read_text(encoding="utf-8")
    assert "Measurement multiverse and specification curve" in html and "18 measurement variants" in html


@pytest.mark.parametrize("old, new, needle", [
    ("  column: 1\n", "  column: 1\n  term: smart_lnn\n", "smart_lnn"),
    # the generic option path changes the tfp stage's methods; the column still reads TFP_LP
    ("    tfp.method: [lp, op, acf]", "    tfp.methods: [[lp, op], [op]]", "TFP_LP"),
])
def test_what_a_variant_cannot_read_is_refused(first, world, old, new, needle):
    res, _ = first
    with pytest.raises(SMError) as info:
        _rerun(world, res.out, SPEC.replace(old, new))
    assert info.value.code == "SM724" and needle in str(info.value) and "multiverse_demo.yaml:" in str(info.value)


# ---------------------------------------------------------------- checks at --check
def _err(text: str) -> SMError:
    with pytest.raises(SMError) as info:
        loads(text, source="mv.yaml")
    return info.value


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize("old, new, code, needle", [
    ("    text.filters: [[negation], [negation, third_party]]", "    text.filterz: [[negation]]", "SM721",
     "text.filterz"),
    ("    text.filters: [[negation], [negation, third_party]]", "    patents.scheme: [sei_ipc_2021]", "SM721",
     "patents.scheme"),
    ("    text.filters: [[negation], [negation, third_party]]", "    txt.filters: [[negation]]", "SM721",
     "txt.filters"),
    ("    text.filters: [[negation], [negation, third_party]]", "    text.lexicons: [smart_manufacturing]", "SM721",
     "text.lexicons"),
    ("    text.filters: [[negation], [negation, third_party]]", "    text.lexicons.digital: [ai]", "SM721",
     "text.lexicons.digital"),
    ("    text.filters: [[negation], [negation, third_party]]", "    text.filters: [[negation], [bogus]]", "SM722",
     "text.filters"),
    ("    text.filters: [[negation], [negation, third_party]]", "    text.lexicons.smart: [ai, no_such_lexicon]",
     "SM722", "text.lexicons.smart"),
    ("    text.transform: [log1p, count, per10k]", "    text.transform: [log1p, sqrt]", "SM722", "text.transform"),
    ("    text.transform: [log1p, count, per10k]", "    text.transform: [log1p, log1p]", "SM722", "text.transform"),
    ("    text.transform: [log1p, count, per10k]", "    text.transform: []", "SM722", "text.transform"),
    ("    tfp.method: [lp, op, acf]", "    tfp.method: [lp, opp]", "SM722", "tfp.method"),
    ("  table: text_and_tfp", "  table: text_and_tfpp", "SM720", "table: text_and_tfpp"),
    ("  column: 1", "  column: 2", "SM720", "column: 2"),
    ("  column: 1", "  column: 1\n  max_variants: 12", "SM723", "vary:"),
    ("{y: TFP_LP, x: smart_ln, controls: main}", "{y: cash_ratio, x: smart_ln, controls: main}", "SM721",
     "tfp.method"),
])
def test_check_refuses_with_file_and_line(old, new, code, needle):
    assert old in SPEC
    text = SPEC.replace(old, new)
    e = _err(text)
    assert e.code == code, str(e)
    assert f"mv.yaml:{_line(text, needle)}:" in str(e), str(e)


def test_check_refuses_a_bad_value_at_its_own_line():
    text = SPEC.replace("    text.filters: [[negation], [negation, third_party]]",
                        "    text.filters:\n      - [negation]\n      - [negation, bogus]")
    e = _err(text)
    assert e.code == "SM722" and f"mv.yaml:{_line(text, '[negation, bogus]')}:" in str(e) and "bogus" in str(e)


def test_check_refuses_a_whole_table_and_too_many_variants():
    text = SPEC.replace("      - {y: TFP_LP, x: smart_ln, controls: main}",
                        "      - {kind: describe, variables: [TFP_LP]}").replace("    keep: [smart_ln]\n", "")
    assert _err(text).code == "SM720"
    assert _err(SPEC.replace("  column: 1", "  column: 1\n  max_variants: 300")).code == "SM703"   # Option max


def test_cli_check_prints_the_code(tmp_path):
    from typer.testing import CliRunner

    from smtext.cli import app

    s = tmp_path / "mv.yaml"
    s.write_text(SPEC.replace("text.transform: [log1p, count, per10k]", "text.transform: [log1p, sqrt]"),
                 encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(s), "--check"])
    assert res.exit_code != 0 and "SM722" in res.output and "mv.yaml:" in res.output


def test_help_spec_lists_the_multiverse():
    from smtext.study import reference

    ref = reference()
    assert "## Multiverse" in ref and "text.transform" in ref and "max_variants" in ref


# ---------------------------------------------------------------- pieces
def test_variant_measures_and_entries():
    from smtext.study.multiverse import variant_entry, variant_measures

    m = {"tfp": {"methods": ["lp", "op"]}, "text": {"lexicons": {"smart": "smart_manufacturing"}}}
    assert variant_measures(m, (("tfp.method", "op"),))["tfp"]["methods"] == ["lp", "op"]   # computed already
    assert variant_measures(m, (("tfp.method", "acf"),))["tfp"]["methods"] == ["lp", "op", "acf"]
    v = variant_measures(m, (("text.lexicons.smart", "ai"), ("text.filters", [])))
    assert v["text"] == {"lexicons": {"smart": "ai"}, "filters": []} and m["text"] == {
        "lexicons": {"smart": "smart_manufacturing"}}   # the spec's own config is not touched
    renames = {"tfp.method": ("y", "TFP_LP", "lp"), "text.transform": ("x", "smart_ln", "log1p")}
    e = variant_entry({"y": "TFP_LP", "x": "smart_ln"}, (("tfp.method", "acf"), ("text.transform", "per10k")), renames)
    assert e == {"y": "TFP_ACF", "x": "smart_per10k"}


def test_standardise_rules():
    from smtext.study.multiverse import standardise

    d = pd.DataFrame({"y": [1.0, 2.0, 4.0, 7.0], "x": [0.5, 1.0, 3.0, 2.0], "D": [0, 1, 1, 0]})
    f, *_, rule = standardise(d, "y", "x")
    assert f == pytest.approx(np.std(d["x"], ddof=1) / np.std(d["y"], ddof=1), abs=1e-15) and "sd(x)" in rule
    f, *_, rule = standardise(d, "y", "D")
    assert f == pytest.approx(1 / np.std(d["y"], ddof=1), abs=1e-15) and rule == "coef/sd(y)"


def test_an_axis_that_changes_nothing_is_warned():
    from smtext.study.multiverse import _flat_axes

    res = pd.DataFrame({"a": ["1", "1", "2", "2"], "b": ["u", "v", "u", "v"], "estimate": [0.1, 0.1, 0.3, 0.3]})
    info: dict = {}
    with pytest.warns(SMWarning, match="SM725.*varying b"):
        _flat_axes(res, ["a", "b"], info)
    assert info["flat_axes"] == ["b"]


def test_under_force_a_configuration_is_computed_once_per_run(tmp_path):
    """Variants sharing a measurement configuration compute it once even under --force (StageRunner.done_keys)."""
    import copy

    from smtext.stages import StageRunner

    calls = []

    def body(ctx):
        calls.append(ctx.params["v"])
        (ctx.dir / "out.txt").write_text(str(ctx.params["v"]), encoding="utf-8")

    runner = StageRunner(tmp_path, force=True)
    runner.run("m", body, {"v": 1})
    variant = copy.copy(runner)             # what the driver's fork() makes
    variant.records = dict(runner.records)
    variant.run("m", body, {"v": 1})        # the main run's configuration: reused
    variant.run("m", body, {"v": 2})        # a new one: computed
    variant.run("m", body, {"v": 2})        # asked again by the next variant: reused
    assert calls == [1, 2]
    assert StageRunner(tmp_path, force=True).run("m", body, {"v": 1}) and calls == [1, 2, 1]   # a new run forces
