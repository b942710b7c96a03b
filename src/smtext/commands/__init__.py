"""CLI command groups, one module each, registered by :mod:`smtext.cli`.

A module here defines ``app`` (a ``typer.Typer``) with its commands; add its
name to ``GROUPS`` to expose it as ``smtext <name>``. Each stays a thin layer
over the Python API.
"""

from importlib import import_module

# module (under smtext.commands, or a full dotted path) -> command name
GROUPS: dict[str, str] = {
    "smtext.w2v.cli": "w2v",
    "indicators": "indicators",
    "smtext.patents.cli": "patents",
    "index": "index",
    "run": "run",
}


def register(app) -> None:
    """Add every command group in :data:`GROUPS` to ``app``."""
    for module, name in GROUPS.items():
        sub = import_module(module if module.startswith("smtext.") else f"smtext.commands.{module}")
        app.add_typer(sub.app, name=name)
