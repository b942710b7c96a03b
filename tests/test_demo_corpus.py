"""Report text at corpus scale on a demo world made by the CLI.

One small world (24 firms, 2011-2023, about 290 annual reports) is generated with
``smtext demo generate``; then ``smtext extract`` runs on it and the results are
checked against the world's truth tables:

- section detection: share of readable reports whose MD&A is found, with the right
  title, the right page span and exactly the planted MD&A mentions (target >= 99%);
- every broken file is flagged with its reason code in failures.csv and the summary;
- serial, local-pool and Dask runs give identical tables;
- killing the job (SIGKILL, whole process group) at several points and re-running
  gives the same tables as an uninterrupted run;
- every command writes a run manifest.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.demo.world import world_fingerprint
from smtext.text.sections import find_mda_in_pages

runner = CliRunner()
SEED, FIRMS = 5, 24
CODES = {"encrypted": "SM101", "truncated": "SM102", "image_only": "SM103"}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "world"
    res = runner.invoke(app, ["--quiet", "demo", "generate", "--out", str(out), "--firms", str(FIRMS),
                              "--seed", str(SEED), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def extracted(world, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("corpus") / "extract"
    res = runner.invoke(app, ["--quiet", "extract", str(world / "reports" / "annual"), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    return out, res.output


@pytest.fixture(scope="module")
def small(world, tmp_path_factory) -> Path:
    """A 40-report corpus with every broken file of the world, for the engine and kill tests."""
    docs = pd.read_csv(world / "truth" / "documents.csv")
    ann = docs[docs["doc_type"].eq("annual_report") & docs["file"].str.startswith("reports/annual/")]
    pick = pd.concat([ann[ann["status"] != "ok"], ann[ann["status"] == "ok"].head(34)])
    folder = tmp_path_factory.mktemp("corpus") / "small"
    for rel in pick["file"]:
        target = folder / Path(rel).relative_to("reports/annual")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(world / rel, target)
    return folder


def _tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "documents.parquet"), pd.read_parquet(out / "pages.parquet")


def _pages_by_path(pages: pd.DataFrame) -> dict[str, list[str]]:
    return {p: g.sort_values("page")["text"].tolist() for p, g in pages.groupby("path")}


# ---------------------------------------------------------------- sections on the demo world
def test_mda_detection_rate_on_the_demo_world(world, extracted):
    """Share of readable annual reports whose MD&A is found with the truth's title, the truth's page
    span (heading page to the page before the next section) and exactly the mentions planted in it."""
    out, _ = extracted
    documents, pages = _tables(out)
    by_path = _pages_by_path(pages)
    truth = pd.read_csv(world / "truth" / "documents.csv").set_index("file")
    spans = pd.read_csv(world / "truth" / "section_pages.csv")
    planted = pd.read_csv(world / "truth" / "planted_mentions.csv")
    pattern = re.compile("|".join(map(re.escape, sorted(set(planted["term"]), key=len, reverse=True))))
    ok = documents[documents["status"] == "ok"]
    assert len(ok) > 250
    found = exact = 0
    for rel in ok["path"]:
        file = f"reports/annual/{rel}"
        try:
            sec = find_mda_in_pages(by_path[rel])
        except Exception:  # noqa: BLE001 - a miss is counted, not raised
            continue
        found += 1
        starts = spans[spans["file"] == file].set_index("section")["first_page"]
        last = starts[starts > starts["mda"]].min() - 1
        want = planted[(planted["file"] == file) & (planted["section"] == "mda")].groupby("term")["n"].sum()
        exact += (sec.title == truth.at[file, "mda_title"] and (sec.first_page, sec.last_page) == (starts["mda"], last)
                  and Counter(pattern.findall(sec.text)) == Counter(want.to_dict()))
    assert found / len(ok) >= 0.99
    assert exact / len(ok) >= 0.99


# ---------------------------------------------------------------- failures, exclusions, manifest
def test_extract_flags_every_broken_file_with_its_code(world, extracted):
    out, summary = extracted
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
    failures = pd.read_csv(out / "failures.csv", dtype={"stkcd": str})
    expected = {b["file"].removeprefix("reports/annual/"): CODES[b["status"]] for b in truth["documents"]["broken"]}
    assert dict(zip(failures["path"], failures["code"])) == expected
    assert failures["n_chars"].eq(0).all()
    for status in {b["status"] for b in truth["documents"]["broken"]}:
        assert f"'{'corrupt' if status == 'truncated' else status}': 2" in summary
    excluded = pd.read_csv(out / "excluded.csv")
    assert set(excluded["reason"]) == {"doc_type:summary", "doc_type:english", "superseded_by_revision"}
    documents = pd.read_parquet(out / "documents.parquet")
    assert documents["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert {"path", "stkcd", "year", "firm", "doc_type", "revision", "status", "code", "n_pages"} <= set(documents)


def test_every_writing_command_leaves_a_manifest(world, extracted):
    gen = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    assert gen["command"] == "demo generate" and gen["seeds"] == {"master": SEED}
    assert gen["parameters"]["n_firms"] == FIRMS and gen["outputs_sha256"] == world_fingerprint(world)
    ext = json.loads((extracted[0] / "manifest.json").read_text(encoding="utf-8"))
    assert ext["command"] == "extract" and ext["packages"]["pypdfium2"]
    assert ext["parameters"]["backend"] == "pdfium" and ext["counts"]["failed"] == 6
    assert ext["failure_reasons"] == {"SM101": 2, "SM102": 2, "SM103": 2}


def test_rerun_skips_finished_work_and_a_changed_file_is_redone(small, tmp_path):
    from smtext.text.extract import extract_folder

    out = tmp_path / "out"
    extract_folder(small, out, jobs=1, batch_size=8)
    parts = sorted((out / "work").rglob("part-*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in parts}
    extract_folder(small, out, jobs=1, batch_size=8)
    assert {p: p.stat().st_mtime_ns for p in sorted((out / "work").rglob("part-*.parquet"))} == stamps
    # replace one report by another firm's: only its part is redone, and its text changes
    files = sorted(p for p in small.rglob("*.pdf"))
    victim, donor = files[0], files[-1]
    before = _tables(out)[1]
    original = victim.read_bytes()
    try:
        victim.write_bytes(donor.read_bytes())
        extract_folder(small, out, jobs=1, batch_size=8)
    finally:
        victim.write_bytes(original)
    after_parts = sorted((out / "work").rglob("part-*.parquet"))
    assert len(after_parts) == len(parts) and len(set(after_parts) - set(parts)) == 1
    rel = str(victim.relative_to(small))
    after = _tables(out)[1]
    assert after[after["path"] == rel]["text"].tolist() != before[before["path"] == rel]["text"].tolist()
    # other options get their own cache folder
    extract_folder(small, out, jobs=1, batch_size=8, drop_tables=True)
    assert len([p for p in (out / "work").iterdir() if p.is_dir()]) == 2   # beside the hash cache sha256.parquet


# ---------------------------------------------------------------- engines
def test_serial_pool_and_dask_extractions_are_identical(small, tmp_path):
    from smtext.text.extract import extract_folder

    distributed = pytest.importorskip("dask.distributed")
    extract_folder(small, tmp_path / "serial", jobs=1, batch_size=8)
    extract_folder(small, tmp_path / "pool", jobs=2, batch_size=8)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        extract_folder(small, tmp_path / "dask", scheduler=cluster.scheduler_address, batch_size=8)
    serial = _tables(tmp_path / "serial")
    assert len(serial[0]) == 40 and (serial[0]["status"] != "ok").sum() == 6 and len(serial[1]) > 200
    for engine in ("pool", "dask"):
        other = _tables(tmp_path / engine)
        pd.testing.assert_frame_equal(serial[0], other[0])
        pd.testing.assert_frame_equal(serial[1], other[1])


# ---------------------------------------------------------------- kill and resume
def _start(small: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "smtext", "--quiet", "extract", str(small), "--out", str(out),
           "--jobs", "2", "--batch-size", "4"]
    return subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen, ready, limit: float = 60.0) -> bool:
    """SIGKILL the job's whole process group as soon as ``ready()``; False if it finished first."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def test_sigkill_at_any_point_then_rerun_equals_an_uninterrupted_run(small, tmp_path):
    from smtext.text.extract import extract_folder

    extract_folder(small, tmp_path / "reference", jobs=1, batch_size=4)
    reference = _tables(tmp_path / "reference")
    n_parts = math.ceil(len(reference[0]) / 4)
    out = tmp_path / "killed"
    parts = lambda: len(list((out / "work").rglob("part-*.parquet")))  # noqa: E731
    started = {}
    triggers = [
        lambda: time.monotonic() - started["t"] > 0.4,    # during start-up / scanning / hashing
        lambda: parts() >= 1,                              # early: first part written
        lambda: parts() >= n_parts // 2,                   # half-way (mid-batch on the pool)
        lambda: parts() >= n_parts,                        # every part written: while writing the outputs
        lambda: (out / "pages.parquet").exists(),          # between the outputs
    ]
    killed = 0
    for ready in triggers:
        started["t"] = time.monotonic()
        killed += _kill_when(_start(small, out), ready)
        assert parts() <= n_parts                          # never more parts than batches
    assert killed >= 3
    proc = _start(small, out)
    assert proc.wait(timeout=120) == 0
    documents, pages = _tables(out)
    pd.testing.assert_frame_equal(documents, reference[0])
    pd.testing.assert_frame_equal(pages, reference[1])
    assert not pages.duplicated(["path", "page"]).any()
    assert parts() == n_parts and not list((out / "work").rglob(".*.tmp"))


# ---------------------------------------------------------------- the world has what the papers need
def test_world_tables_have_every_field_issue_2_lists(world):
    data = world / "data"
    need = {
        "firms": {"stkcd", "name", "listing_year", "industry", "province", "city", "region", "soe", "factor_intensity"},
        "financials": {"stkcd", "year", "revenue", "employees", "fixed_assets_net", "cash_paid_goods", "investment",
                       "total_assets", "total_liabilities", "operating_cash_flow", "dividends", "top5_customer_share",
                       "top5_supplier_share", "overseas_revenue", "rd_expense", "inst_holding", "employees_master",
                       "employees_bachelor", "esg_rating"},
        "city_year": {"city", "year", "gdp_per_capita", "internet_users", "fiscal_spending", "fdi",
                      "digital_finance_index"},
        "city_instruments": {"city", "ict_employment_2003", "terrain_ruggedness"},
        "industry_robots": {"industry", "year", "robot_stock"},
        "trade": {"stkcd", "year", "trade_mode", "exports", "imports"},
        "subsidies": {"stkcd", "year", "item", "amount"},
        "patents": {"appno", "applicants", "app_date", "grant_date", "citations", "ipc"},
    }
    tables = {name: pd.read_parquet(data / f"{name}.parquet") for name in need}
    for name, cols in need.items():
        assert cols <= set(tables[name].columns), (name, cols - set(tables[name].columns))
    fin = tables["financials"]
    assert fin["stkcd"].str.fullmatch(r"\d{6}").all() and fin["year"].dtype.kind == "i"
    assert set(fin["esg_rating"].dropna()) <= {"C", "CC", "CCC", "B", "BB", "BBB", "A", "AA", "AAA"}
    assert set(tables["trade"]["trade_mode"]) == {"processing", "ordinary"}
    items = pd.read_csv(world / "truth" / "subsidy_items.csv")
    assert set(items["item"]) == set(tables["subsidies"]["item"]) and items["truth_is_rd"].nunique() == 2
