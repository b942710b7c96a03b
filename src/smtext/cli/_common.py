"""Helpers shared by the command modules: option parsing."""

from __future__ import annotations

import typer


def years_option(text: str | None) -> tuple[int, int] | None:
    """Parse ``FIRST-LAST`` into two years; None for an empty option; typer.BadParameter otherwise."""
    if not text:
        return None
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise typer.BadParameter("use FIRST-LAST, for example 2011-2023") from None
    if a > b:
        raise typer.BadParameter("the first year must not be after the last")
    return a, b
