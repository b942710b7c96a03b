"""Helpers shared by the command modules: option parsing, printing a study run."""

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


def print_study(res) -> None:
    """Stage timings, truth checks and the report path of a finished study run."""
    for s in res.stages:
        took = "cached" if s["cached"] else f"{s['seconds']:.2f}s"
        typer.echo(f"  {s['stage']:<34} {took}")
    for t in res.truth:
        if t["check"] == "estimate":
            typer.echo(f"truth {t['label']}: planted {t['planted']:.4g}; estimate {t['estimate']:.4g} "
                       f"[{t['ci_low']:.4g}, {t['ci_high']:.4g}] covered={t['covered']}")
        elif t["check"] == "expansion":
            typer.echo(f"truth {t['label']}: precision {t['precision']:.2f}, recall {t['recall']:.2f}")
    if res.pilot_matching:
        from ..study.pilots import STATUS_TEXT

        s = res.pilot_matching
        typer.echo("pilot matching: " + ", ".join(f"{s['projects_by_status'].get(k, 0)} {v}" for k, v in
                                                  STATUS_TEXT.items())
                   + f"; {s['excluded_firms']} listed firms left out as unconfirmed candidates; review file: "
                   + str(res.out / "pilot_review.csv"))
    typer.echo(f"report: {res.report}")
