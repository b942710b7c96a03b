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
