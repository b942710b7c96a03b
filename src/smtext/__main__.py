"""``python -m smtext``: the command line (same as the ``smtext`` script)."""

from .cli import run

run()
