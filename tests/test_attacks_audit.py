"""Damaged caches, symlinked output subfolders, long names and careless inputs: each is detected
and redone, refused with a coded error, or warned about with counts, never a raw traceback or a
silently wrong file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning

runner = CliRunner()

SPEC = """\
study: s0
treatment: {design: firm, dname: DID}
variables:
  size: {log: total_assets}
tables:
  t1:
    title: T1
    columns:
      - {kind: describe, variables: [size, DID]}
"""


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=20, first_year=2018, last_year=2020, documents=False)


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "s0.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _run(spec: Path, world: Path, out: Path):
    from smtext.study import run_study

    return run_study(spec, world, out, jobs=1)


# ---------------------------------------------------------------- cached stages with damaged files
@pytest.mark.parametrize("damage", ["empty", "100 bytes", "deleted"])
def test_a_damaged_cached_data_set_is_detected_and_recomputed(spec, world, tmp_path, damage):
    out = tmp_path / "o"
    first = _run(spec, world, out)
    data = first.stage_dir("dataset") / "dataset.parquet"
    good = data.read_bytes()
    if damage == "deleted":
        data.unlink()
    else:
        data.write_bytes(good[: 0 if damage == "empty" else 100])
    with pytest.warns(SMWarning, match="SM121"):
        again = _run(spec, world, out)
    assert "dataset" in again.ran()
    assert pd.read_parquet(data).equals(pd.read_parquet(out / "panel.parquet"))


def test_a_torn_cached_table_is_not_served(spec, world, tmp_path):
    out = tmp_path / "o"
    first = _run(spec, world, out)
    good = (out / "tables" / "t1.md").read_text(encoding="utf-8")
    cached = first.stage_dir("table.t1") / "tables" / "t1.md"
    cached.write_bytes(cached.read_bytes()[:20])
    with pytest.warns(SMWarning, match="SM121"):
        again = _run(spec, world, out)
    assert "table.t1" in again.ran()
    assert (out / "tables" / "t1.md").read_text(encoding="utf-8") == good


def test_a_stage_with_a_changed_or_missing_file_runs_again(tmp_path):
    from smtext.stages import StageRunner

    calls = []

    def stage(ctx):
        calls.append(1)
        (ctx.dir / "sub").mkdir()
        (ctx.dir / "sub" / "x.txt").write_text("done", encoding="utf-8")

    folder = StageRunner(tmp_path).run("s", stage)
    StageRunner(tmp_path).run("s", stage)
    assert len(calls) == 1                                    # intact: reused
    (folder / "sub" / "x.txt").write_text("DONE", encoding="utf-8")   # same size, other content
    os.utime(folder / "sub" / "x.txt", ns=(1, 1))
    with pytest.warns(SMWarning, match="SM121"):
        StageRunner(tmp_path).run("s", stage)
    assert len(calls) == 2 and (folder / "sub" / "x.txt").read_text(encoding="utf-8") == "done"
    (folder / "sub" / "x.txt").unlink()
    with pytest.warns(SMWarning, match="SM121.*missing"):
        StageRunner(tmp_path).run("s", stage)
    assert len(calls) == 3


# ---------------------------------------------------------------- names too long for a file name
def test_a_300_character_table_name_is_refused_at_check(spec):
    from smtext.study import loads

    with pytest.raises(SMError) as info:
        loads(SPEC.replace("  t1:", "  " + "t" * 300 + ":"), source="s0.yaml")
    assert info.value.code == "SM714" and "s0.yaml:6" in str(info.value)
    loads(SPEC.replace("  t1:", "  " + "t" * 64 + ":"), source="s0.yaml")     # 64 characters pass


# ---------------------------------------------------------------- commands on careless inputs
def _code(res, code: str) -> None:
    assert res.exit_code == 2, res.output
    assert code in res.output and "Traceback" not in res.output, res.output


def test_w2v_train_on_a_table_without_text_is_a_coded_error(tmp_path):
    docs = tmp_path / "docs.parquet"
    pd.DataFrame({"path": ["a"], "stkcd": ["000001"], "year": [2019]}).to_parquet(docs, index=False)
    _code(runner.invoke(app, ["w2v", "train", str(docs), "--out", str(tmp_path / "w"), "--jobs", "1"]), "SM001")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    _code(runner.invoke(app, ["w2v", "train", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "w")]), "SM014")


def _patents(dates) -> pd.DataFrame:
    return pd.DataFrame({"appno": [f"2019100000{i}.1" for i in range(len(dates))], "title": "一种方法",
                         "abstract": "本发明公开了一种方法。", "applicants": "嘉祥仪器股份有限公司", "app_date": dates,
                         "grant_date": "", "patent_type": "发明", "ipc": "G01R 31/00", "citations": 1})


@pytest.mark.parametrize("bad", ["x", "?"])
def test_patents_without_one_readable_date_are_a_coded_error(bad):
    from smtext.patents import patent_measures

    firms = pd.DataFrame({"stkcd": ["000386"], "name": ["嘉祥仪器股份有限公司"]})
    with pytest.raises(SMError) as info:
        patent_measures(_patents([bad, bad]), firms)
    assert info.value.code == "SM310" and repr(bad) in str(info.value)


def test_patent_dates_written_as_chinese_years_are_read():
    from smtext.patents import patent_measures

    firms = pd.DataFrame({"stkcd": ["000386"], "name": ["嘉祥仪器股份有限公司"]})
    res = patent_measures(_patents(["2019年", "2019年5月1日", "2020-01-02"]), firms)
    assert res.table.groupby("year")["n_invention"].sum().to_dict() == {2019: 2, 2020: 1}


@pytest.mark.parametrize("command", [["extract", "{src}"], ["did", "{panel}", "--y", "y", "--d", "D", "--id", "stkcd",
                                                            "--t", "year"],
                                     ["w2v", "train", "{docs}"], ["index", "count", "{src}"]])
def test_an_existing_file_as_the_output_folder_is_a_coded_error(tmp_path, command):
    src, afile = tmp_path / "src", tmp_path / "afile.pdf"
    src.mkdir()
    afile.write_bytes(b"%PDF-1.4")
    panel = tmp_path / "p.csv"
    _did_panel().to_csv(panel, index=False)
    docs = tmp_path / "docs.parquet"
    pd.DataFrame({"path": ["a"], "stkcd": ["000001"], "year": [2019], "text": ["文本"]}).to_parquet(docs)
    args = [a.format(src=src, panel=panel, docs=docs) for a in command]
    _code(runner.invoke(app, [*args, "--out", str(afile)]), "SM123")
    assert afile.read_bytes() == b"%PDF-1.4"


def test_run_into_an_existing_file_is_a_coded_error(spec, world, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(SMError) as info:
        _run(spec, world, afile)
    assert info.value.code == "SM123"


# ---------------------------------------------------------------- symbolic links out of the output folder
def _did_panel(n_firms: int = 12, years=range(2012, 2019)) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_firms):
        g = 2015 if i < n_firms // 2 else 0
        for t in years:
            d = int(bool(g) and t >= g)
            rows.append({"stkcd": f"{600000 + i:06d}", "year": t, "D": d, "y": 0.5 * d + rng.normal() + 0.1 * i})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sub", ["work", "identity"])
def test_extract_refuses_a_subfolder_linked_outside(tmp_path, sub):
    from smtext.text.extract import extract_folder

    src, out, elsewhere = tmp_path / "src", tmp_path / "o", tmp_path / "elsewhere"
    for d in (src, out, elsewhere):
        d.mkdir()
    (src / "000001_2019_示例科技_2019年年度报告.pdf").write_bytes(b"%PDF-1.4 not really")
    (out / sub).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(SMError) as info:
        extract_folder(src, out, jobs=1, identify=False)
    assert info.value.code == "SM712" and "symbolic link" in str(info.value) and str(out / sub) in str(info.value)
    assert not list(elsewhere.iterdir())
    res = runner.invoke(app, ["extract", str(src), "--out", str(out), "--jobs", "1"])
    _code(res, "SM712")


def test_did_refuses_a_figures_folder_linked_outside(tmp_path):
    panel, out, elsewhere = tmp_path / "p.csv", tmp_path / "o", tmp_path / "elsewhere"
    _did_panel().to_csv(panel, index=False)
    out.mkdir()
    elsewhere.mkdir()
    (out / "figures").symlink_to(elsewhere, target_is_directory=True)
    res = runner.invoke(app, ["did", str(panel), "--y", "y", "--d", "D", "--id", "stkcd", "--t", "year", "--event",
                              "--out", str(out)])
    _code(res, "SM712")
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize("sub", ["model", "tokens"])
def test_w2v_train_refuses_a_subfolder_linked_outside(tmp_path, sub):
    docs, out, elsewhere = tmp_path / "docs.parquet", tmp_path / "o", tmp_path / "elsewhere"
    pd.DataFrame({"path": ["a"], "stkcd": ["000001"], "year": [2019], "text": ["文本"]}).to_parquet(docs)
    out.mkdir()
    elsewhere.mkdir()
    (out / sub).symlink_to(elsewhere, target_is_directory=True)
    _code(runner.invoke(app, ["w2v", "train", str(docs), "--out", str(out), "--jobs", "1"]), "SM712")
    assert not list(elsewhere.iterdir())


def test_a_link_inside_the_output_folder_is_allowed(tmp_path):
    from smtext.stages import check_output_folder

    out = tmp_path / "o"
    (out / "real").mkdir(parents=True)
    (out / "alias").symlink_to(out / "real", target_is_directory=True)
    assert check_output_folder(out) == out


def test_sm712_of_a_linked_folder_says_which_link_leads_where(tmp_path):
    from smtext.stages import inside

    out, elsewhere = tmp_path / "o", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "tables").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(SMError) as info:
        inside(out, "tables", "t1.md")
    text = str(info.value)
    assert info.value.code == "SM712" and "symbolic link" in text and str(elsewhere.resolve()) in text
    assert "letters, digits" not in text


# ---------------------------------------------------------------- one run per output folder
def test_a_second_run_on_a_locked_output_folder_stops(spec, world, tmp_path):
    from smtext.engine import lock_folder

    out = tmp_path / "o"
    with lock_folder(out, "smtext run"), pytest.raises(SMError) as info:
        _run(spec, world, out)
    assert info.value.code == "SM122"
    assert not (out / "stages").exists()


def test_did_and_w2v_lock_their_output_folder(tmp_path):
    from smtext.engine import lock_folder

    panel, out = tmp_path / "p.csv", tmp_path / "o"
    _did_panel().to_csv(panel, index=False)
    with lock_folder(out, "smtext did"):
        _code(runner.invoke(app, ["did", str(panel), "--y", "y", "--d", "D", "--id", "stkcd", "--t", "year",
                                  "--out", str(out)]), "SM122")
    res = runner.invoke(app, ["did", str(panel), "--y", "y", "--d", "D", "--id", "stkcd", "--t", "year",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------- did --placebo bounded
def test_did_refuses_an_absurd_number_of_placebo_draws(tmp_path):
    panel = tmp_path / "p.csv"
    _did_panel().to_csv(panel, index=False)
    res = runner.invoke(app, ["did", str(panel), "--y", "y", "--d", "D", "--id", "stkcd", "--t", "year",
                              "--placebo", "1000000000", "--out", str(tmp_path / "o")])
    _code(res, "SM575")
    assert "100,000" in res.output


# ---------------------------------------------------------------- indicators: unusable numbers are counted
def _firms(**over) -> pd.DataFrame:
    d = pd.DataFrame({"stkcd": ["000001", "000001", "000001", "000002", "000002", "000002"],
                      "year": [2018, 2019, 2020] * 2, "total_assets": [1.0e9, 1.1e9, 1.2e9, 2.0e9, 2.1e9, 2.3e9],
                      "age": [5, 6, 7, 10, 11, 12], "revenue": [1.0e8, 1.2e8, 1.1e8, 3.0e8, 3.3e8, 3.1e8]})
    for k, v in over.items():
        d[k] = pd.Series(v, dtype=object)
    return d


def test_sa_reads_thousands_separators_like_the_io_layer():
    from smtext.indicators.constraints import sa_index

    plain = sa_index(_firms())
    text = _firms(total_assets=["1,000,000,000.00", "1,100,000,000", "1.2e9", "2,000,000,000", "2.1e9", "2.3e9"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SMWarning)
        got = sa_index(text)
    assert got.to_numpy() == pytest.approx(plain.to_numpy())


@pytest.mark.parametrize("func", ["sa", "volatility"])
def test_unusable_numbers_warn_with_counts_and_examples(func):
    from smtext.indicators.constraints import sa_index
    from smtext.indicators.market import market_volatility

    col = "total_assets" if func == "sa" else "revenue"
    bad = _firms(**{col: ["abc", np.inf, 1.2e9, 2.0e9, 2.1e9, 2.3e9]})
    with pytest.warns(SMWarning, match="SM418") as rec:
        out = sa_index(bad) if func == "sa" else market_volatility(bad, window=2)
    msg = next(str(w.message) for w in rec if "SM418" in str(w.message))
    assert "2 of 6" in msg and "'abc'" in msg and "inf" in msg
    assert out.iloc[:1].isna().all()


@pytest.mark.parametrize("func", ["sa", "volatility"])
def test_an_all_missing_input_column_says_every_output_is_missing(func):
    from smtext.indicators.constraints import sa_index
    from smtext.indicators.market import market_volatility

    col = "total_assets" if func == "sa" else "revenue"
    empty = _firms(**{col: [None] * 6})
    with pytest.warns(SMWarning, match="SM419.*every value"):
        out = sa_index(empty) if func == "sa" else market_volatility(empty, window=2)
    assert out.isna().all()


def test_indicators_accept_the_files_own_key_names(tmp_path):
    panel = tmp_path / "gbk.csv"
    _firms().rename(columns={"stkcd": "证券代码", "year": "会计年度", "total_assets": "资产总计", "age": "年龄"}).to_csv(
        panel, index=False, encoding="gbk")
    out = tmp_path / "sa.parquet"
    res = runner.invoke(app, ["indicators", "sa", str(panel), "--assets", "资产总计", "--age", "年龄", "--id", "证券代码",
                              "--time", "会计年度", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert len(got) == 6 and got.iloc[:, -1].notna().all()


def test_sm430_shows_the_values_it_could_not_read():
    from smtext.indicators.concentration import hhi

    d = pd.DataFrame({"stkcd": ["1", "2", "3"], "industry": "A", "year": 2015,
                      "revenue": pd.Series(["12 万", 10.0, 30.0], dtype=object)})
    with pytest.warns(SMWarning, match="SM430") as rec:
        hhi(d)
    msg = " ".join(str(w.message) for w in rec)
    assert "12 万" in msg and "1,234.00" not in msg


def test_an_existing_folder_as_an_output_file_is_a_coded_error(tmp_path):
    panel = tmp_path / "f.csv"
    _firms().to_csv(panel, index=False)
    (tmp_path / "sa.parquet").mkdir()
    res = runner.invoke(app, ["indicators", "sa", str(panel), "--out", str(tmp_path / "sa.parquet")])
    _code(res, "SM123")


def test_linked_pdfs_in_an_output_folder_are_inputs_and_allowed(tmp_path):
    from smtext.stages import check_output_folder

    out, elsewhere = tmp_path / "o", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "a.pdf").write_bytes(b"%PDF")
    (out / "a.pdf").symlink_to(elsewhere / "a.pdf")
    assert check_output_folder(out) == out
    (out / "manifest.json").symlink_to(elsewhere / "manifest.json")       # dangling, would be written through
    with pytest.raises(SMError, match="SM712"):
        check_output_folder(out)


def test_export_into_an_existing_folder_is_a_coded_error(tmp_path):
    table = tmp_path / "t.csv"
    _firms().to_csv(table, index=False)
    (tmp_path / "t.dta").mkdir()
    _code(runner.invoke(app, ["export", str(table), str(tmp_path / "t.dta")]), "SM123")


def test_links_in_hidden_folders_of_the_output_folder_are_ignored(tmp_path):
    from smtext.stages import check_output_folder

    out = tmp_path / "o"
    (out / ".venv" / "bin").mkdir(parents=True)
    (out / ".venv" / "bin" / "python").symlink_to("/usr/bin/python3")
    assert check_output_folder(out) == out
