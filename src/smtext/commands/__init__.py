"""CLI command groups, one module each, registered by :mod:`smtext.cli`.

A module here defines ``app`` (a ``typer.Typer``) with its commands; add its
name to ``GROUPS`` to expose it as ``smtext <name>``. Each stays a thin layer
over the Python API.
"""

from importlib import import_module

# module name -> command name
GROUPS: dict[str, str] = {}


def register(app) -> None:
    """Add every command group in :data:`GROUPS` to ``app``."""
    for module, name in GROUPS.items():
        sub = import_module(f"smtext.commands.{module}")
        app.add_typer(sub.app, name=name)
