"""``smtext treat``: a pilot list in Excel with its own headers + a firm table (+ subsidiaries)
-> the matches, the review file, the summary and a panel with treatment columns, for the
firm-level and the city-spillover design; the review policy as on ``smtext run``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app

HEADERS = {"年份": "入选年度", "申报单位": "企业名称", "所在城市": "城市"}


@pytest.fixture(scope="module")
def files(tmp_path_factory, demo_world):
    world = demo_world(n_firms=200, first_year=2013, last_year=2020, seed=7, documents=False)
    out = tmp_path_factory.mktemp("mine")
    pilots = pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig")
    pilots["年份"] = pilots["年份"].astype(str) + "年"              # as some notices write it
    pilots["申报单位"] = pilots["申报单位"].str.replace("股份有限公司", " 股份有限责任公司", regex=False)
    pilots.rename(columns=HEADERS).to_excel(out / "名单.xlsx", index=False)
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    firms[["stkcd", "name", "short_name", "province", "city"]].to_csv(out / "firms.csv", index=False, encoding="gbk")
    pd.read_parquet(world / "data" / "subsidiaries.parquet").to_csv(out / "subs.csv", index=False,
                                                                    encoding="utf-8-sig")
    pd.read_parquet(world / "data" / "financials.parquet")[["stkcd", "year", "total_assets"]].to_parquet(
        out / "panel.parquet", index=False)
    truth = pd.read_csv(world / "truth" / "pilot_applicants.csv", dtype={"stkcd": str}, keep_default_na=False)
    return out, truth


def _args(out, *extra):
    return ["treat", str(out / "名单.xlsx"), "--firms", str(out / "firms.csv"), "--year-col", "入选年度",
            "--name-col", "企业名称", "--city-col", "城市", *extra]


def test_firm_design_with_subsidiaries(files, tmp_path):
    out, truth = files
    res = CliRunner().invoke(app, _args(out, "--subsidiaries", str(out / "subs.csv"), "--panel",
                                        str(out / "panel.parquet"), "--out", str(tmp_path / "t")))
    assert res.exit_code == 0, res.output
    assert "pilot list: 306 projects" in res.output and "pilot_review.csv" in res.output
    t = tmp_path / "t"
    for name in ("pilot_matches.csv", "pilots.csv", "pilot_review.csv", "pilot_match_summary.json",
                 "treatment_firms.csv", "panel_treated.parquet", "panel_treated.dta", "manifest.json"):
        assert (t / name).is_file(), name
    pilots = pd.read_csv(t / "pilots.csv", dtype={"stkcd": str}, encoding="utf-8-sig")
    assert pilots["stkcd"].fillna("").tolist() == truth["stkcd"].tolist()      # planted mapping, no false match
    cohort = truth[truth["stkcd"].ne("")].groupby("stkcd")["batch_year"].min()
    panel = pd.read_parquet(t / "panel_treated.parquet")
    g = panel.groupby("stkcd")["gname"].first()
    assert (g[cohort.index.intersection(g.index)] == cohort[cohort.index.intersection(g.index)]).all()
    assert set(g[g > 0].index) == set(cohort.index) & set(g.index)
    summary = json.loads((t / "pilot_match_summary.json").read_text(encoding="utf-8"))
    man = json.loads((t / "manifest.json").read_text(encoding="utf-8"))
    assert man["pilot_matching"] == summary and summary["projects"] == 306


def test_without_subsidiaries_stop_overrides_and_city_design(files, tmp_path):
    out, truth = files
    res = CliRunner().invoke(app, _args(out, "--review", "stop", "--out", str(tmp_path / "s")))
    assert res.exit_code == 2 and "SM709" in res.output and "pilot_review.csv" in res.output
    review = pd.read_csv(tmp_path / "s" / "pilot_review.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(review) > 0
    listing = pd.read_excel(out / "名单.xlsx", dtype=str)["企业名称"]
    review["confirmed_stkcd"] = review["name"].map(dict(zip(listing, truth["stkcd"].replace("", "none"))))
    review.to_csv(tmp_path / "confirmed.csv", index=False, encoding="utf-8-sig")
    res = CliRunner().invoke(app, _args(out, "--review", "stop", "--overrides", str(tmp_path / "confirmed.csv"),
                                        "--design", "city_spillover", "--dname", "Policy", "--panel",
                                        str(out / "panel.parquet"), "--format", "csv", "--out", str(tmp_path / "c")))
    assert res.exit_code == 0, res.output
    c = tmp_path / "c"
    pilots = pd.read_csv(c / "pilots.csv", dtype={"stkcd": str}, encoding="utf-8-sig")
    assert pilots["stkcd"].fillna("").tolist() == truth["stkcd"].tolist()
    cities = pd.read_csv(c / "treatment_cities.csv", encoding="utf-8-sig")
    assert set(cities.columns) == {"city", "first_pilot_year"} and len(cities) > 0
    panel = pd.read_csv(c / "panel_treated.csv", dtype={"stkcd": str})
    assert "Policy" in panel and not set(pilots["stkcd"].dropna()) & set(panel["stkcd"])   # pilot firms dropped
    # accept-above: the command-line form of the policy
    res = CliRunner().invoke(app, _args(out, "--review", "accept-above:0.99", "--out", str(tmp_path / "a")))
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, _args(out, "--review", "sometimes", "--out", str(tmp_path / "b")))
    assert res.exit_code == 2 and "SM711" in res.output
    res = CliRunner().invoke(app, ["treat", str(out / "名单.xlsx"), "--firms", str(out / "firms.csv"),
                                   "--out", str(tmp_path / "h")])
    assert res.exit_code == 2 and "SM711" in res.output and "入选年度" in res.output
