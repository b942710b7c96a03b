"""The ``smtext`` command line: a thin layer over the Python API, one module per command group.

Every command writes a run manifest next to its output and shows progress bars
only on an interactive terminal (``--quiet`` turns them off). A coded error
(:class:`smtext.errors.SMError`) raised anywhere below a command is printed once,
here, as ``error SMxxx: ... Fix: ...`` with exit status 2, instead of a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import SMError
from ..progress import set_quiet


class _CodedErrors(TyperGroup):
    """The root command group: turns an SMError of any subcommand into one line and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SMError as err:
            typer.echo(f"error {err}", err=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    name="smtext",
    cls=_CodedErrors,
    help="Measure Chinese firm indicators from annual reports, patents and financial panels, "
         "and estimate policy effects with difference-in-differences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# command group -> module under smtext.cli defining its ``app``; `smtext extract`, `smtext did` and
# `smtext treat`, `smtext export` are single commands
GROUPS = {"demo": "demo", "index": "index", "w2v": "w2v", "lexicon": "lexicon", "patents": "patents",
          "indicators": "indicators", "run": "run"}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smtext {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars (they are also off when not on a terminal)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """smtext: text measures, firm indicators and DID estimates for Chinese listed firms."""
    set_quiet(quiet)
    _short_warnings()
    import logging

    logging.getLogger("gensim").setLevel(logging.WARNING)  # gensim logs every epoch at INFO


def _short_warnings() -> None:
    """Print coded warnings as one line (``warning SM503: ...``) instead of with source lines."""
    import warnings

    from ..errors import SMWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SMWarning):
            print(f"warning {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


for _name, _module in GROUPS.items():
    app.add_typer(import_module(f"smtext.cli.{_module}").app, name=_name)
app.command("extract")(import_module("smtext.cli.extract").extract_cmd)
app.command("did")(import_module("smtext.cli.did").did_cmd)
app.command("treat")(import_module("smtext.cli.treat").treat_cmd)
app.command("export")(import_module("smtext.cli.export").export_cmd)
import_module("smtext.cli.index").app.command("validate")(import_module("smtext.cli.validate").validate_cmd)


def run() -> None:  # pragma: no cover - console entry of `python -m smtext`
    app(prog_name="smtext")
