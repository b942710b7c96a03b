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
        if param.param_type_name == "option" and param.name not in ("help",):
            assert param.help, f"option {param.name} of {' '.join(path)} has no help"


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
