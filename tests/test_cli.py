"""The command line: every command has documented --help, errors are coded, output is reproducible."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from smtext.cli import app

runner = CliRunner()


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        yield path, cmd
        if hasattr(cmd, "commands"):  # typer vendors click: test the duck type, not click.Group
            yield from _commands(cmd, path)


ALL = list(_commands(typer.main.get_command(app)))


def test_top_level_help_lists_every_command():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for path, _ in ALL:
        if len(path) == 1:
            assert path[0] in res.output


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p))
def test_every_command_has_documented_help(path):
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    cmd = dict(ALL)[path]
    assert cmd.help and len(cmd.help.strip()) > 20, f"{path} needs a help text"
    for param in cmd.params:
        if param.param_type_name in ("option", "argument") and param.name not in ("help",):
            assert getattr(param, "help", None), f"{param.param_type_name} {param.name} of {' '.join(path)} has no help"


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("smtext ")


def test_bad_years_are_rejected_with_a_message(tmp_path):
    res = runner.invoke(app, ["demo", "generate", "--out", str(tmp_path), "--years", "2020-2010"])
    assert res.exit_code != 0
    assert "first year" in res.output


def test_extract_reports_coded_error_on_empty_folder(tmp_path):
    res = runner.invoke(app, ["--quiet", "extract", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "SM107" in res.output


def test_progress_bars_are_off_without_a_terminal():
    from smtext import progress

    assert not progress.enabled()          # pytest captures stderr: not a terminal
    progress.set_quiet(True)
    with progress.bar("x", 3) as advance:  # a no-op bar still accepts calls
        advance()
    progress.set_quiet(False)


def test_progress_bars_follow_the_terminal_and_quiet(monkeypatch):
    import io

    from smtext import progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stderr", Tty())
    assert progress.enabled()
    with progress.bar("counting", 3) as advance:   # drawn on stderr (the stream checked), not stdout
        advance(3)
    assert "counting" in __import__("sys").stderr.getvalue()
    runner.invoke(app, ["--quiet", "index", "lexicons"])  # the CLI's --quiet switches bars off
    try:
        assert not progress.enabled()
    finally:
        progress.set_quiet(False)


def _run_on_a_terminal(args: list[str], cwd) -> tuple[bytes, bytes]:
    """Run ``smtext ARGS`` with stderr on a pseudo-terminal; return (terminal output, stdout)."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "smtext", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read()
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, seen.decode(errors="replace")
    return seen, out


@pytest.mark.slow
def test_progress_bar_shows_on_a_terminal_only_without_quiet(tmp_path):
    """A real ``smtext extract`` run: the bar is drawn on a terminal, never with --quiet or into a pipe."""
    import subprocess
    import sys

    from smtext.demo.pdf import render_pdf
    from smtext.demo.text import DocumentSpec, Paragraph, Section

    folder = tmp_path / "pdfs"
    folder.mkdir()
    for i in range(3):
        spec = DocumentSpec(header=f"示例{i}公司 2019年年度报告", cover=["2019年年度报告"],
                            sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph("公司推进智能制造。" * 5)])])
        (folder / f"00000{i}_2019_示例{i}_2019年年度报告.pdf").write_bytes(render_pdf(spec))
    args = ["extract", str(folder), "--jobs", "1"]
    tty, _ = _run_on_a_terminal([*args, "--out", str(tmp_path / "a")], tmp_path)
    assert b"extracting" in tty
    tty, _ = _run_on_a_terminal(["--quiet", *args, "--out", str(tmp_path / "b")], tmp_path)
    assert b"extracting" not in tty and b"\x1b[" not in tty
    piped = subprocess.run([sys.executable, "-m", "smtext", *args, "--out", str(tmp_path / "c")],
                           capture_output=True, check=True)
    assert b"extracting" not in piped.stderr + piped.stdout and b"3 documents extracted" in piped.stdout


def test_extract_command_writes_its_tables_and_manifest(tmp_path):
    import json

    import pandas as pd

    from smtext.demo.pdf import render_pdf, truncate
    from smtext.demo.text import DocumentSpec, Paragraph, Section

    spec = DocumentSpec(header="示例公司 2019年年度报告", cover=["2019年年度报告"],
                        sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph("公司推进智能制造。" * 5)])])
    (tmp_path / "000001_2019_示例_2019年年度报告.pdf").write_bytes(render_pdf(spec))
    (tmp_path / "000002_2019_坏文件_2019年年度报告.pdf").write_bytes(truncate(render_pdf(spec)))
    (tmp_path / "000001_2019_示例_2019年年度报告摘要.pdf").write_bytes(render_pdf(spec))
    out = tmp_path / "out"
    res = runner.invoke(app, ["--quiet", "extract", str(tmp_path), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "2 documents extracted (1 flagged: {'corrupt': 1})" in res.output and "1 excluded" in res.output
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs.set_index("stkcd")["code"].to_dict() == {"000001": "", "000002": "SM102"}
    assert pd.read_csv(out / "failures.csv", dtype=str)["code"].tolist() == ["SM102"]
    assert pd.read_csv(out / "excluded.csv")["reason"].tolist() == ["doc_type:summary"]
    pages = pd.read_parquet(out / "pages.parquet")
    n_pages = int(docs.set_index("stkcd").at["000001", "n_pages"])
    assert set(pages["path"]) == {"000001_2019_示例_2019年年度报告.pdf"}
    assert n_pages >= 3 and pages["page"].tolist() == list(range(1, n_pages + 1))
    assert "智能制造" in "".join(pages["text"])
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts = man["counts"]
    assert man["command"] == "extract" and {k: v for k, v in counts.items() if k not in (
        "header_lines_removed", "wraps_joined")} == {"found": 3, "kept": 2, "excluded": 1, "failed": 1,
                                                     "with_image_pages": 0}
    # the running header and page number of each page, as the per-document column counts them
    assert counts["header_lines_removed"] == int(docs["n_header_lines"].fillna(0).sum()) > 0
    assert counts["wraps_joined"] == int(docs["n_wraps_joined"].fillna(0).sum())
