"""Caches never serve stale or torn results: content changed behind an unchanged size and mtime, one-off
timeouts, torn stage records, parts and pages files, two runs on one output folder, and pool workers
left behind by a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import smtext
from smtext.demo.pdf import render_pdf
from smtext.demo.text import DocumentSpec, Paragraph, Section
from smtext.errors import SMError, SMWarning
from smtext.text.extract import extract_folder, iter_documents

GOOD = "000001_2019_示例科技_2019年年度报告.pdf"
OTHER = "000002_2019_另一科技_2019年年度报告.pdf"
TEXT = "报告期内，公司持续推进智能制造建设，相关投入稳步增加。" * 20
SRC = str(Path(smtext.__file__).resolve().parents[1])        # subprocesses run the smtext under test


def _pdf(text: str = TEXT) -> bytes:
    return render_pdf(DocumentSpec(header="示例科技股份有限公司 2019年年度报告",
                                   cover=["示例科技股份有限公司", "2019年年度报告"],
                                   sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph(text)])]))


@pytest.fixture()
def folder(tmp_path) -> Path:
    root = tmp_path / "reports"
    root.mkdir()
    (root / GOOD).write_bytes(_pdf())
    (root / OTHER).write_bytes(_pdf(TEXT.replace("智能制造", "工业互联网")))
    return root


def _texts(out: Path) -> dict:
    return dict(iter_documents(out))


def _status(out: Path) -> dict:
    docs = pd.read_parquet(out / "documents.parquet")
    return dict(zip(docs["path"], docs["code"].where(docs["status"] != "ok", "ok")))


# ---------------------------------------------------------------- content addressing
def test_new_content_with_the_old_size_and_mtime_is_extracted_again(folder, tmp_path):
    a, b = _pdf(TEXT + "甲"), _pdf(TEXT.replace("智能制造", "数字化转型") + "乙")
    size = max(len(a), len(b))
    a, b = a + b"\n" * (size - len(a)), b + b"\n" * (size - len(b))     # bytes after %%EOF are ignored
    target = folder / GOOD
    target.write_bytes(a)
    stamp = target.stat().st_mtime_ns
    out = tmp_path / "out"
    extract_folder(folder, out, jobs=1)
    assert "数字化转型" not in _texts(out)[GOOD]
    target.write_bytes(b)
    os.utime(target, ns=(stamp, stamp))              # what `cp -p` / `touch -r` / a sync tool leaves behind
    assert target.stat().st_size == size and target.stat().st_mtime_ns == stamp
    extract_folder(folder, out, jobs=1)
    assert "数字化转型" in _texts(out)[GOOD]


# ---------------------------------------------------------------- failures that may not recur
def _slow(monkeypatch):
    from smtext.text import pdf

    real = pdf._pdfium_pages

    def slow(path, max_pages, cell_breaks=None):
        if Path(path).name == GOOD:
            time.sleep(2)
        return real(path, max_pages, cell_breaks)

    monkeypatch.setattr(pdf, "_pdfium_pages", slow)


def test_a_one_off_timeout_is_not_cached(folder, tmp_path, monkeypatch):
    out = tmp_path / "out"
    _slow(monkeypatch)
    extract_folder(folder, out, jobs=1, timeout=0.3)
    assert _status(out) == {GOOD: "SM108", OTHER: "ok"}
    monkeypatch.undo()
    extract_folder(folder, out, jobs=1, timeout=0.3)
    assert _status(out) == {GOOD: "ok", OTHER: "ok"}


def test_a_stage_holding_a_timeout_runs_again_and_its_readers_follow(tmp_path):
    from smtext.stages import StageRunner

    outcomes, reads = iter(["SM108", "ok", "ok"]), []

    def extract(ctx):
        ctx.info["status"] = next(outcomes)
        ctx.retry = ctx.info["status"] == "SM108"

    def count(ctx):
        reads.append(1)

    for _ in range(3):
        runner = StageRunner(tmp_path)
        runner.run("extract", extract)
        runner.run("count", count, deps=("extract",))
    # extract: a timeout the first time, so it ran again; count re-ran once, when extract's result changed
    assert runner.records["extract"].cached and runner.records["count"].cached and len(reads) == 2


def test_retry_failed_and_force_redo_cached_failures(folder, tmp_path, monkeypatch):
    from smtext.text import pdf

    out = tmp_path / "out"
    real = pdf._pdfium_pages

    def broken(path, max_pages, cell_breaks=None):   # e.g. a PDF library bug, fixed by an upgrade that keeps the version
        if Path(path).name == GOOD:
            raise pdf._fail("SM102", Path(path), "simulated")
        return real(path, max_pages, cell_breaks)

    monkeypatch.setattr(pdf, "_pdfium_pages", broken)
    extract_folder(folder, out, jobs=1)
    monkeypatch.undo()
    extract_folder(folder, out, jobs=1)
    assert _status(out)[GOOD] == "SM102"                  # a corrupt file stays corrupt: cached
    extract_folder(folder, out, jobs=1, retry_failed=True)
    assert _status(out) == {GOOD: "ok", OTHER: "ok"}
    before = _texts(out)
    from smtext.cli import app

    res = CliRunner().invoke(app, ["extract", str(folder), "--out", str(out), "--jobs", "1", "--force"])
    assert res.exit_code == 0, res.output
    assert _texts(out) == before
    assert "--retry-failed" in CliRunner().invoke(app, ["extract", "--help"]).output


# ---------------------------------------------------------------- torn files
def test_a_torn_stage_record_reruns_the_stage(tmp_path):
    from smtext.stages import StageRunner

    calls = []

    def stage(ctx):
        calls.append(1)
        (ctx.dir / "x.txt").write_text("done", encoding="utf-8")

    folder = StageRunner(tmp_path).run("s", stage)
    record = folder / "_stage.json"
    assert json.loads(record.read_text(encoding="utf-8"))["name"] == "s" and not list(folder.glob(".*.tmp"))
    record.write_text('{"name": "s", "key": ', encoding="utf-8")        # cut off mid-write
    with pytest.warns(SMWarning, match="SM121"):
        again = StageRunner(tmp_path).run("s", stage)
    assert again == folder and len(calls) == 2 and json.loads(record.read_text(encoding="utf-8"))["name"] == "s"
    StageRunner(tmp_path).run("s", stage)
    assert len(calls) == 2                                              # a valid record is reused


def test_a_torn_part_is_redone(folder, tmp_path):
    out = tmp_path / "out"
    extract_folder(folder, out, jobs=1, batch_size=1)
    before = _texts(out)
    part = min(out.glob("work/*/parts/part-*.parquet"))
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.warns(SMWarning, match="SM121"):
        extract_folder(folder, out, jobs=1, batch_size=1)
    assert _texts(out) == before


def test_a_torn_hash_cache_is_rebuilt(folder, tmp_path):
    from smtext.manifest import file_hashes

    cache = tmp_path / "sha256.parquet"
    first = file_hashes(folder, [GOOD, OTHER], cache=cache)
    cache.write_bytes(cache.read_bytes()[:100])
    with pytest.warns(SMWarning, match="SM121"):
        assert file_hashes(folder, [GOOD, OTHER], cache=cache) == first
    assert file_hashes(folder, [GOOD, OTHER], cache=cache) == first


def test_a_torn_pages_file_is_a_coded_error_in_index_count(folder, tmp_path):
    from smtext.cli import app

    out = tmp_path / "out"
    extract_folder(folder, out, jobs=1)
    pages = out / "pages.parquet"
    pages.write_bytes(pages.read_bytes()[:200])
    res = CliRunner().invoke(app, ["index", "count", str(out), "--out", str(tmp_path / "idx")])
    assert res.exit_code == 2 and "SM213" in res.output and "not a readable Parquet" in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)


# ---------------------------------------------------------------- one run per output folder
HOLD = """
import sys, time
from smtext.engine import lock_folder
with lock_folder(sys.argv[1], "smtext extract"):
    print("locked", flush=True)
    time.sleep(60)
"""


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_a_second_run_on_the_same_output_folder_is_refused_and_a_killed_holder_frees_it(folder, tmp_path):
    out = tmp_path / "out"
    holder = _python(HOLD, str(out))
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
        with pytest.raises(SMError) as err:
            extract_folder(folder, out, jobs=1)
        assert err.value.code == "SM122" and f"pid {holder.pid}" in str(err.value)
        assert not (out / "documents.parquet").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    extract_folder(folder, out, jobs=1)                      # the lock died with its holder
    assert _status(out) == {GOOD: "ok", OTHER: "ok"}


# ---------------------------------------------------------------- workers die with their parent
RUN = """
import os, sys, time
from smtext.engine import run_batches

def work(i):
    with open(os.path.join(sys.argv[1], f"worker-{os.getpid()}"), "w") as fh:
        fh.write("")
    time.sleep(60)
    return {"i": i}

if __name__ == "__main__":
    run_batches(work, list(range(4)), sys.argv[2], batch_size=2, jobs=2)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().split(") ")[-1][:1] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_exit_when_the_parent_is_killed(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(RUN), encoding="utf-8")
    flags = tmp_path / "flags"
    flags.mkdir()
    env = {**os.environ, "PYTHONPATH": SRC}
    parent = subprocess.Popen([sys.executable, str(script), str(flags), str(tmp_path / "parts")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(list(flags.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p.name.split("-")[1]) for p in flags.iterdir()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent"
