"""A study run on the researcher's own exports: the demo world's numbers written as a CSMAR download
(statements split over files, GBK and UTF-8-SIG CSV, XLSX firm table, yearly listing status as
text), a pilot list in Excel and a subsidiary table with its own column names, declared with
``--data`` and no world folder, give the same panel and estimates as the demo world itself."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from io_exports import write_csmar
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning
from smtext.study import loads, run_study

SPEC = """\
study: own
treatment: {design: firm, dname: DID}
variables:
  size: {log: total_assets}
tables:
  baseline:
    columns:
      - {y: ROA, x: DID, controls: [size, Lev]}
      - {y: Lev, x: DID, controls: [size, Cashflow, TobinQ, Growth]}
"""

FILES = [("csmar_fs_combas", "FS_Combas.csv", "utf-8-sig"), ("csmar_fs_comins", "FS_Comins.csv", "gbk"),
         ("csmar_fs_comscfd", "FS_Comscfd.csv", "utf-8-sig"), ("csmar_trd_year", "TRD_Year.csv", "utf-8-sig"),
         ("csmar_stk_listedcoinfoanl", "STK_LISTEDCOINFOANL.csv", "gb18030")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from smtext.demo import WorldConfig, generate_world

    path = tmp_path_factory.mktemp("world")
    generate_world(path, WorldConfig(n_firms=60, first_year=2013, last_year=2020, seed=7), documents=False)
    return path


@pytest.fixture(scope="module")
def exports(world, tmp_path_factory):
    """The world's tables as a researcher's download folder, and its declaration."""
    out = tmp_path_factory.mktemp("mine")
    fin = pd.read_parquet(world / "data" / "financials.parquet")
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    yearly = fin.merge(firms, on="stkcd", how="left").assign(is_st=lambda d: d["is_st"].map({1: "ST", 0: "正常上市"}))
    for m, name, enc in FILES:
        write_csmar(yearly if m == "csmar_stk_listedcoinfoanl" else fin, m, out / name, encoding=enc)
    write_csmar(firms, "csmar_trd_co", out / "TRD_Co.xlsx")
    pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig").to_excel(out / "试点名单.xlsx", index=False)
    subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
    subs.rename(columns={"stkcd": "证券代码", "subsidiary_name": "子公司名称"}).to_excel(out / "子公司.xlsx", index=False)
    decl = out / "mydata.yaml"
    decl.write_text(
        "financials:\n"
        f"  files: [{', '.join(n for _, n, _ in FILES)}]\n"
        f"  map: [{', '.join(m for m, _, _ in FILES)}]\n"
        "firms: {file: TRD_Co.xlsx, map: csmar_trd_co}\n"
        "pilot_list: {file: 试点名单.xlsx}\n"
        "subsidiaries: {file: 子公司.xlsx, map: {证券代码: stkcd, 子公司名称: subsidiary_name}}\n", encoding="utf-8")
    return out, decl


def _run(spec_text, world, out, data=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        return run_study(loads(spec_text, "own.yaml"), world, out, data=data)


def _stage_file(res, stage, name):
    return pd.read_csv(res.stage_dir(stage) / name) if name.endswith(".csv") else pd.read_parquet(
        res.stage_dir(stage) / name)


def test_declared_csmar_exports_give_the_demo_worlds_panel_and_estimates(world, exports, tmp_path):
    demo = _run(SPEC, world, tmp_path / "demo")
    own = _run(SPEC, None, tmp_path / "own", data=exports[1])
    est_demo, est_own = _stage_file(demo, "table.baseline", "estimates.csv"), _stage_file(own, "table.baseline",
                                                                                          "estimates.csv")
    assert len(est_own) and est_own["term"].eq("DID").any()
    pd.testing.assert_frame_equal(est_own, est_demo, rtol=1e-10)
    # the sample steps (2 repeated firm-years dropped, ST years dropped) are counted alike
    pd.testing.assert_frame_equal(_stage_file(own, "panel", "sample_steps.csv"),
                                  _stage_file(demo, "panel", "sample_steps.csv"))
    a, b = _stage_file(demo, "panel", "panel.parquet"), _stage_file(own, "panel", "panel.parquet")
    common = [c for c in a.columns if c in b.columns]
    assert {"ROA", "Lev", "Cashflow", "TobinQ", "Growth", "DID", "gname", "industry", "city"} <= set(common)
    pd.testing.assert_frame_equal(b[common], a[common], check_dtype=False, rtol=1e-12)
    # what smtext.io did is in the panel stage's record and the report
    assert "SM401" in own.report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_paper004_runs_on_a_declaration_alone(world, exports, tmp_path):
    """The bundled paper 004 spec, unedited, on the download plus the researcher's other files
    (firm attributes in Stata, patents and city tables as CSV / Stata, an inline map keeping the
    unmapped columns): the same panel (to float rounding of unit scaling) and baseline estimates."""
    out, _ = exports
    w = world / "data"
    fin = pd.read_parquet(w / "financials.parquet")
    own_cols = ["stkcd", "year", "value_added", "employees", "overseas_revenue", "inst_holding", "employees_master"]
    fin[own_cols].rename(columns={"stkcd": "证券代码", "year": "年份"}).to_csv(out / "其他.csv", index=False, encoding="gbk")
    firms = pd.read_parquet(w / "firms.parquet")
    firms[["stkcd", "is_financial", "is_manufacturing", "region", "soe", "factor_intensity", "exporter"]].to_stata(
        out / "firm_attrs.dta", write_index=False, version=118)
    pd.read_parquet(w / "patents.parquet").to_csv(out / "patents.csv", index=False, encoding="utf-8-sig")
    # production-worker shares for the robot exposure behind Table 4's hypothetical-pilot instrument
    pd.read_parquet(w / "firm_extras.parquet").to_csv(out / "firm_extras.csv", index=False, encoding="utf-8")
    pd.read_parquet(w / "industry_robots.parquet").to_csv(out / "industry_robots.csv", index=False, encoding="utf-8")
    pd.read_parquet(w / "city_year.parquet").to_csv(out / "city_year.csv", index=False, encoding="gb18030")
    pd.read_parquet(w / "city_instruments.parquet").to_stata(out / "city_instruments.dta", write_index=False,
                                                             version=118)
    decl = out / "paper004.yaml"
    decl.write_text(
        "financials:\n"
        f"  files: [{', '.join(n for _, n, _ in FILES)}, 其他.csv]\n"
        f"  map: [{', '.join(m for m, _, _ in FILES)}, {{证券代码: stkcd, 年份: year}}]\n"
        "firms: {files: [TRD_Co.xlsx, firm_attrs.dta], map: [csmar_trd_co, null]}\n"
        "pilot_list: {file: 试点名单.xlsx}\n"
        "subsidiaries: {file: 子公司.xlsx, map: {证券代码: stkcd, 子公司名称: subsidiary_name}}\n"
        "patents: {file: patents.csv}\ncity_year: {file: city_year.csv}\ncity_instruments: {file: city_instruments.dta}\n"
        "firm_extras: {file: firm_extras.csv}\nindustry_robots: {file: industry_robots.csv}\n",
        encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        demo = run_study("paper004", world, tmp_path / "demo")
        own = run_study("paper004", None, tmp_path / "own", data=decl)
    a, b = pd.read_parquet(demo.out / "panel.parquet"), pd.read_parquet(own.out / "panel.parquet")
    # absent: paper 002's competing-policy columns (city_policies, not declared: SM708) and the
    # demo statements' columns that no file above carries (paper 004 uses none of them)
    assert set(a.columns) - set(b.columns) == {"AIP", "BC", "CDG", "NBD", "SCP", "ipr_protection", "esg_rating",
                                               "employees_bachelor", "top5_customer_share", "top5_supplier_share",
                                               "admin_expense", "total_profit",
                                               "For", "Back"}   # robot exposure up/downstream: io_table not declared
    pd.testing.assert_frame_equal(b[a.columns.intersection(b.columns)], a[a.columns.intersection(b.columns)],
                                  check_dtype=False, rtol=1e-12)
    # 千元 -> yuan scaling moves market value by an ulp; the well-conditioned tables agree to 1e-8
    # (table 5's small split samples amplify the ulp and are left out)
    for t in ("table3_baseline", "table3_poisson", "table7_width"):
        x = _stage_file(demo, f"table.{t}", "estimates.csv")
        y = _stage_file(own, f"table.{t}", "estimates.csv")
        assert len(x) > 0
        pd.testing.assert_frame_equal(y, x, rtol=1e-8, atol=1e-12)


def test_missing_pieces_are_named_not_guessed(world, exports, tmp_path):
    out, decl = exports
    lean = out / "lean.yaml"        # no yearly listing status, no subsidiary table
    lean.write_text(
        "financials:\n  files: [FS_Combas.csv, FS_Comins.csv, FS_Comscfd.csv, TRD_Year.csv]\n"
        "  map: [csmar_fs_combas, csmar_fs_comins, csmar_fs_comscfd, csmar_trd_year]\n"
        "firms: {file: TRD_Co.xlsx, map: csmar_trd_co}\npilot_list: {file: 试点名单.xlsx}\n", encoding="utf-8")
    with pytest.raises(SMError) as info:
        _run(SPEC, None, tmp_path / "a", data=lean)
    assert info.value.code == "SM706" and "drop_st" in str(info.value) and "is_st" in str(info.value)
    spec = SPEC.replace("treatment:", "sample: {drop_st: false}\ntreatment:")
    with pytest.warns(SMWarning, match="SM708"):
        run_study(loads(spec, "own.yaml"), None, tmp_path / "b", data=lean)
    # a declaration that leaves out an input the panel needs: SM706 at --check, without a world
    spec_file = tmp_path / "own.yaml"
    spec_file.write_text(SPEC, encoding="utf-8")
    nopilots = out / "nopilots.yaml"
    nopilots.write_text("firms: {file: TRD_Co.xlsx, map: csmar_trd_co}\n"
                        "financials: {file: FS_Combas.csv, map: csmar_fs_combas}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(spec_file), "--data", str(nopilots), "--check"])
    assert res.exit_code == 2 and "SM706" in res.output and "'pilot_list' is not declared" in res.output
    res = CliRunner().invoke(app, ["run", str(spec_file), "--data", str(decl), "--check"])
    assert res.exit_code == 0, res.output


def test_declaration_maps_are_checked(exports, tmp_path):
    from smtext.study.inputs import read_declaration

    bad = tmp_path / "bad.yaml"
    bad.write_text("financials:\n  files: [a.csv, b.csv]\n  map: [csmar_fs_combas]\n", encoding="utf-8")
    with pytest.raises(SMError) as info:
        read_declaration(bad)
    assert info.value.code == "SM702" and "bad.yaml:3" in str(info.value)
    mapfile = tmp_path / "sub" / "mymap.yaml"
    ok = tmp_path / "ok.yaml"
    ok.write_text("firms: {file: f.csv, map: sub/mymap.yaml}\n", encoding="utf-8")
    assert read_declaration(ok)["firms"]["map"] == str(mapfile.resolve())
