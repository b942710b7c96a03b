"""Progress bars that switch themselves off when nobody is watching.

A bar is shown only on an interactive terminal and when ``quiet`` is false, so
logs of batch jobs and CI stay clean.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Turn every progress bar of this process off (the CLI's ``--quiet``)."""
    global _QUIET
    _QUIET = quiet


def enabled() -> bool:
    """True when a bar would be visible: an interactive terminal and not quiet."""
    return not _QUIET and sys.stderr.isatty()


@contextmanager
def bar(description: str, total: int | None):
    """A progress bar on stderr, or a no-op when bars are off (see :func:`enabled`).

    Parameters
    ----------
    description : str
        Label shown before the bar.
    total : int or None
        Number of steps.

    Yields
    ------
    callable
        ``advance(n=1)``.
    """
    if not enabled():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # on stderr, the stream checked above: piping stdout to a file never captures a bar
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n=1: prog.advance(task, n)
