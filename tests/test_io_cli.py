"""``smtext indicators sa|tfp|ww`` on CSMAR csv exports (the demo world's numbers), through the CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from io_exports import demo_tables, make_world, write_csmar
from typer.testing import CliRunner

from smtext.cli import app
from smtext.indicators import tfp
from smtext.indicators.constraints import sa_index, ww_index
from smtext.manifest import file_sha256

runner = CliRunner()


@pytest.fixture(scope="module")
def csmar(tmp_path_factory):
    fin, firms = demo_tables(make_world(tmp_path_factory))
    d = tmp_path_factory.mktemp("csmar")
    files = {m: write_csmar(fin, m, d / f"{m}.csv", encoding="gbk" if m == "csmar_fs_comins" else "utf-8-sig")
             for m in ("csmar_fs_combas", "csmar_fs_comins", "csmar_fs_comscfd", "csmar_cg_ybasic")}
    files["csmar_trd_co"] = write_csmar(firms, "csmar_trd_co", d / "TRD_Co.csv")
    demo = fin.merge(firms, on="stkcd", how="left")
    return files, demo


def _args(files, maps):
    out = [str(files[m]) for m in maps]
    for m in maps:
        out += ["--map", m]
    return out


def test_sa_on_csmar_exports(csmar, tmp_path):
    files, demo = csmar
    out = tmp_path / "sa.parquet"
    res = runner.invoke(app, ["--quiet", "indicators", "sa", *_args(files, ["csmar_fs_combas", "csmar_trd_co"]),
                              "--derive", "age", "--absolute", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    want = sa_index(demo.assign(age=demo["year"] - demo["listing_year"]), absolute=True)
    assert got["stkcd"].tolist() == demo["stkcd"].tolist() and got["year"].tolist() == demo["year"].tolist()
    np.testing.assert_allclose(got["SA"], want, rtol=1e-12)
    man = json.loads(out.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert man["inputs"] == {str(files[m]): file_sha256(files[m]) for m in ("csmar_fs_combas", "csmar_trd_co")}
    assert man["derived"][0]["formula"] == "year - listing_year"
    assert man["io_report"]["files"][0]["rows_read"] == len(demo)
    assert man["io_report"]["merge"][0]["how"] == "left"


def test_ww_on_csmar_exports(csmar, tmp_path):
    files, demo = csmar
    out = tmp_path / "ww.parquet"
    maps = ["csmar_fs_combas", "csmar_fs_comins", "csmar_fs_comscfd", "csmar_trd_co"]
    res = runner.invoke(app, ["--quiet", "indicators", "ww", *_args(files, maps), "--out", str(out)])
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(pd.read_parquet(out)["WW"], ww_index(demo), rtol=1e-12, equal_nan=True)


def test_tfp_on_csmar_exports(csmar, tmp_path):
    files, demo = csmar
    out = tmp_path / "tfp.parquet"
    maps = ["csmar_fs_combas", "csmar_fs_comins", "csmar_fs_comscfd", "csmar_cg_ybasic"]
    res = runner.invoke(app, ["--quiet", "indicators", "tfp", *_args(files, maps), "--method", "lp", "--log-inputs",
                              "--y", "revenue", "--free", "employees", "--state", "fixed_assets_net",
                              "--proxy", "cash_paid_goods", "--seed", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = tfp.log_inputs(demo, output="revenue")
        r = tfp.estimate(d, "lp", y="ln_revenue", free="ln_employees", state="ln_fixed_assets_net",
                         proxy="ln_cash_paid_goods", seed=1)
    np.testing.assert_allclose(pd.read_parquet(out)["tfp_lp"], r.omega.to_numpy(), rtol=0, atol=1e-9)
    man = json.loads(out.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert man["logged"]["y"] == "ln_revenue"
    assert [f["colmap"] for f in man["io_report"]["files"]] == maps
    assert man["io_source"]["files"][1]["encoding"] == "gbk"


def test_map_count_must_match_and_csmar_errors_are_coded(csmar, tmp_path):
    files, _ = csmar
    res = runner.invoke(app, ["--quiet", "indicators", "sa", str(files["csmar_fs_combas"]), str(files["csmar_trd_co"]),
                              "--map", "csmar_fs_combas", "--out", str(tmp_path / "x.parquet")])
    assert res.exit_code == 2 and "one --map per PANEL" in res.output
    res = runner.invoke(app, ["--quiet", "indicators", "sa", str(files["csmar_fs_combas"]), "--map", "csmar_nope",
                              "--out", str(tmp_path / "x.parquet")])
    assert res.exit_code == 2 and "error SM030" in res.output


def test_patents_measure_reads_csv_and_xlsx(tmp_path):
    pat = pd.DataFrame({"appno": ["201910000001.1", "201710000002.X"], "title": ["一种射频滤波器", "一种厨具"],
                        "abstract": ["", ""], "applicants": ["甲科技股份有限公司", "甲科技股份有限公司;清华大学"],
                        "app_date": ["2016-01-01", "2017-01-01"], "grant_date": ["", ""],
                        "patent_type": ["发明", "发明"], "ipc": ["H04L 27/26", "A47J27/00"], "citations": [1, 0]})
    pat.to_csv(tmp_path / "p.csv", index=False, encoding="gbk")
    pd.DataFrame({"stkcd": [1], "name": ["甲科技股份有限公司"], "city": ["苏州"]}).to_excel(tmp_path / "f.xlsx",
                                                                                     index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["patents", "measure", str(tmp_path / "p.csv"), str(tmp_path / "f.xlsx"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_parquet(out / "patent_measures.parquet")
    assert t["stkcd"].unique().tolist() == ["000001"] and t["n_keytech"].tolist() == [1, 0]
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["io_report"]["patents"]["encoding"] == "gbk" and man["io_report"]["firms"]["codes_changed"] == 1
