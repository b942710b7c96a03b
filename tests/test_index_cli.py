"""``smtext extract`` then ``smtext index count`` on a generated demo world, checked against its truth.

Expected numbers come from the world generator's own record of what it planted
(``truth/planted_mentions.csv``: file, term, kind, section, n; ``truth.json``:
firms that never mention smart manufacturing), not from smtext's counting code.
Counts are integers: tolerance 0. Derived measures (ln, per 10k) are checked to 1e-12.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.demo import WorldConfig, generate_world
from smtext.errors import SMWarning
from smtext.text.lexicon import load_lexicon

runner = CliRunner()
LEXICONS = ["smart_manufacturing", "wufei2021_digital", "ai"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("index_cli")
    generate_world(root / "world", WorldConfig(n_firms=20, first_year=2016, last_year=2019, seed=5), jobs=1)
    res = runner.invoke(app, ["--quiet", "extract", str(root / "world" / "reports" / "annual"),
                              "--out", str(root / "extract"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    return root


@pytest.fixture(scope="module")
def planted(world):
    p = pd.read_csv(world / "world" / "truth" / "planted_mentions.csv")
    p["path"] = p["file"].str.replace("reports/annual/", "", regex=False)
    return p


def _count(world, out, *args):
    res = runner.invoke(app, ["--quiet", "index", "count", str(world / "extract"), "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    return pd.read_parquet(out / "document_counts.parquet").set_index("path")


def _expected(planted, docs, lexicon, kinds, sections=None):
    terms = set(load_lexicon(lexicon).terms["term"])
    sel = planted[planted["term"].isin(terms) & planted["kind"].isin(kinds)]
    if sections is not None:
        sel = sel[sel["section"].isin(sections)]
    return sel.groupby("path")["n"].sum().reindex(docs.index, fill_value=0).astype(int)


def test_full_report_counts_equal_planted(world, planted):
    out = world / "full"
    args = [a for name in LEXICONS for a in ("--lexicon", name)] + ["--filters", "negation,third_party"]
    d = _count(world, out, *args)
    ok = d["status"] == "ok"
    assert ok.sum() >= 60 and (~ok).sum() >= 3          # the world plants encrypted / corrupt / image-only files
    good = d[ok]
    for name in LEXICONS:
        got = good[f"{name}_count"].astype(int)
        pd.testing.assert_series_equal(got, _expected(planted, good, name, {"affirmative"}), check_names=False)
        assert (good[f"{name}_removed_negation"].astype(int) == _expected(planted, good, name, {"negated"})).all()
        assert (good[f"{name}_removed_third_party"].astype(int)
                == _expected(planted, good, name, {"third_party"})).all()
        assert d.loc[~ok, f"{name}_count"].isna().all()   # flagged documents: missing, not zero
    assert good["smart_manufacturing_count"].sum() > 50   # not vacuous

    # firm-year index: one document per firm-year here, so the index is the document count
    fy = pd.read_parquet(out / "firm_year_index.parquet")
    assert not fy[["stkcd", "year"]].duplicated().any()
    m = fy.merge(d.reset_index()[["stkcd", "year", "status", "smart_manufacturing_count", "n_chars"]],
                 on=["stkcd", "year"], suffixes=("", "_doc"))
    mg = m[m["status"] == "ok"]
    np.testing.assert_array_equal(mg["smart_manufacturing_count"], mg["smart_manufacturing_count_doc"].astype(float))
    np.testing.assert_allclose(mg["smart_manufacturing_ln"], np.log1p(mg["smart_manufacturing_count"]), rtol=1e-12)
    np.testing.assert_allclose(mg["smart_manufacturing_per10k"],
                               mg["smart_manufacturing_count"] / mg["n_chars"].astype(float) * 1e4, rtol=1e-12)
    assert m.loc[m["status"] != "ok", ["smart_manufacturing_ln", "wufei2021_digital_ln"]].isna().all().all()
    # per-category firm-year counts: planted affirmative mentions of the category's terms
    lex = load_lexicon("smart_manufacturing")
    cat_of = lex.category_of()
    aff = planted[planted["kind"].eq("affirmative") & planted["term"].isin(cat_of)]
    aff = aff.assign(category=aff["term"].map(cat_of)).merge(d.reset_index()[["path", "stkcd", "year"]], on="path")
    fyg = fy.merge(good.reset_index()[["stkcd", "year"]], on=["stkcd", "year"]).set_index(["stkcd", "year"])
    for cat in lex.categories:
        exp = aff[aff["category"] == cat].groupby(["stkcd", "year"])["n"].sum().reindex(fyg.index, fill_value=0)
        np.testing.assert_array_equal(fyg[f"smart_manufacturing__{cat}_count"], exp.astype(float))
    assert (fyg["smart_manufacturing__policy_count"] > 0).any()
    assert m.loc[m["status"] != "ok", "smart_manufacturing__policy_ln"].isna().all()

    # clean controls: the firms the generator never let mention smart manufacturing
    truth = json.loads((world / "world" / "truth.json").read_text(encoding="utf-8"))
    never = set(truth["text"]["firms_never_mentioning_smart"])
    clean = pd.read_csv(out / "clean_controls.csv", dtype={"stkcd": str})
    bad_firms = set(d.loc[~ok, "stkcd"])
    assert set(clean.loc[clean["clean"], "stkcd"]) == never - bad_firms
    assert len(never - bad_firms) >= 2
    assert (clean.loc[clean["status"] == "mentions", "evidence"].str.len() > 0).all()

    # manifest: lexicon provenance as Lexicon.provenance() gives it, inputs hashed
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in LEXICONS:
        lex = load_lexicon(name)
        assert man["lexicons"][name]["sha256"] == lex.sha256 and man["lexicons"][name]["n_terms"] == len(lex)
    assert man["parameters"]["filters"] == ["negation", "third_party"]
    assert sum(man["counts"]["missing_by_reason"].values()) == int((~ok).sum())
    for name in LEXICONS:   # hits removed by each filter = the planted negated / third-party mentions
        assert man["counts"]["removed_by_filter"][name] == {
            "negation": int(_expected(planted, good, name, {"negated"}).sum()),
            "third_party": int(_expected(planted, good, name, {"third_party"}).sum())}
    assert man["counts"]["removed_by_filter"]["smart_manufacturing"]["negation"] > 0
    assert len(man["inputs"]) == 2


def test_mda_scope_counts_only_the_mda(world, planted):
    d = _count(world, world / "mda", "--scope", "mda", "--filters", "none", "--lexicon", "smart_manufacturing")
    good = d[d["scope_status"] == "ok"]
    assert len(good) == (d["status"] == "ok").sum()       # the MD&A is found in every readable demo report
    expected = _expected(planted, good, "smart_manufacturing", {"affirmative", "negated", "third_party"}, {"mda"})
    pd.testing.assert_series_equal(good["smart_manufacturing_count"].astype(int), expected, check_names=False)
    full_all = _expected(planted, good, "smart_manufacturing", {"affirmative", "negated", "third_party"})
    assert (full_all > expected).any()                    # mentions outside the MD&A exist and are not counted


def test_mda_not_found_is_missing_with_a_coded_warning(world, tmp_path):
    from smtext.text.index_job import index_extract

    src = world / "extract"
    work = tmp_path / "extract"
    work.mkdir()
    shutil.copy(src / "documents.parquet", work / "documents.parquet")
    pages = pd.read_parquet(src / "pages.parquet")
    docs = pd.read_parquet(src / "documents.parquet")
    victim = docs.loc[docs["status"] == "ok", "path"].iloc[0]
    # remove the numbered headings of one report: find_mda_in_pages raises SM110 for it
    sel = pages["path"] == victim
    pages.loc[sel, "text"] = pages.loc[sel, "text"].str.replace(r"第[一二三四五六七八九十]+节", "", regex=True)
    pages.to_parquet(work / "pages.parquet", index=False)
    with pytest.warns(SMWarning, match="SM214"):
        run = index_extract(work, ["smart_manufacturing"], tmp_path / "out", scope="mda")
    row = run.documents.set_index("path").loc[victim]
    assert row["scope_status"] == "SM110" and pd.isna(row["smart_manufacturing_count"])
    assert run.dropped["SM110"] == 1
    fy = run.firm_years.set_index(["stkcd", "year"]).loc[(row["stkcd"], row["year"])]
    assert math.isnan(fy["smart_manufacturing_ln"])


def test_parallel_run_equals_serial(world):
    a = _count(world, world / "j1", "--lexicon", "wufei2021_digital")
    b = _count(world, world / "j2", "--lexicon", "wufei2021_digital", "--jobs", "2")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(pd.read_parquet(world / "j1" / "term_counts.parquet"),
                                  pd.read_parquet(world / "j2" / "term_counts.parquet"))


def test_user_lexicon_file_and_token_mode_with_rjieba(world, planted, tmp_path):
    # a user's own lexicon (path instead of a name), counted in token mode with both segmenters
    mine = tmp_path / "mine.csv"
    mine.write_text("# my smart-factory words\ncategory,term\nfactory,智能工厂\nfactory,数字化车间\ntwin,数字孪生\n",
                    encoding="utf-8")
    (tmp_path / "mine.meta.json").write_text(json.dumps({"publication": "test", "version": "1"}), encoding="utf-8")
    base = ["--lexicon", str(mine), "--filters", "negation"]
    d = _count(world, tmp_path / "aho", *base)
    good = d[d["status"] == "ok"]
    sel = planted[planted["term"].isin(["智能工厂", "数字化车间", "数字孪生"]) & planted["kind"].isin(["affirmative", "third_party"])]
    exp = sel.groupby("path")["n"].sum().reindex(good.index, fill_value=0).astype(int)
    pd.testing.assert_series_equal(good["mine_count"].astype(int), exp, check_names=False)
    assert exp.sum() > 10
    tok = _count(world, tmp_path / "tok", *base, "--mode", "token")
    pd.testing.assert_frame_equal(tok.filter(like="mine_"), d.filter(like="mine_"))
    if importlib.util.find_spec("rjieba"):
        rj = _count(world, tmp_path / "rj", *base, "--mode", "token", "--tokenizer", "rjieba")
        pd.testing.assert_frame_equal(rj.filter(like="mine_"), d.filter(like="mine_"))
        man = json.loads((tmp_path / "rj" / "manifest.json").read_text(encoding="utf-8"))
        assert man["parameters"]["tokenizer"] == "rjieba" and man["lexicons"]["mine"]["path"] == str(mine)
    res = runner.invoke(app, ["--quiet", "index", "count", str(world / "extract"), "--out", str(tmp_path / "x"),
                              "--mode", "token", "--tokenizer", "thulac"])
    assert res.exit_code == 2 and "SM002" in res.output


def test_lexicons_command_lists_provenance():
    res = runner.invoke(app, ["index", "lexicons", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["wufei2021_digital"]["n_terms"] == 76 and len(rows["wufei2021_digital"]["categories"]) == 5
    assert "吴非" in rows["wufei2021_digital"]["publication"]
    plain = runner.invoke(app, ["index", "lexicons"])
    assert plain.exit_code == 0 and "smart_manufacturing" in plain.output


def test_missing_extract_output_is_a_coded_error(tmp_path):
    res = runner.invoke(app, ["--quiet", "index", "count", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "SM213" in res.output
    res = runner.invoke(app, ["--quiet", "index", "count", str(tmp_path), "--out", str(tmp_path / "o"),
                              "--scope", "abstract"])
    assert res.exit_code == 2 and "SM002" in res.output
