"""``smtext run SPEC``: execute a study spec (a thin layer over :func:`smtext.study.run_study`)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Replicate a paper: run a study spec (YAML) on a world folder, cached stage by stage.",
                  no_args_is_help=True, context_settings={"allow_interspersed_args": True})


@app.callback(invoke_without_command=True)
def run_cmd(
    spec: str = typer.Argument(..., help="Spec YAML file, or a bundled spec name (paper000 ... paper004)."),
    world: Path = typer.Option(Path("demo_world"), "--world", "-w", help="World folder with data/ (and reports/)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: study_<name>)."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes for PDF extraction."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage even when cached."),
    check: bool = typer.Option(False, "--check", help="Only load and validate the spec; run nothing."),
) -> None:
    """Run SPEC: tables, figures, panel (.dta/.parquet) and report.html in OUT.

    Only the stages whose inputs or options changed since the last run are executed.
    """
    from ..study import run_study
    from ..study.spec import load

    loaded = load(spec)
    if check:
        typer.echo(f"{loaded.source}: ok ({len(loaded.get('tables') or {})} tables, "
                   f"{len(loaded.get('figures') or {})} figures)")
        return
    res = run_study(loaded, world, out or Path(f"study_{loaded.name}"), jobs=jobs, force=force)
    for s in res.stages:
        took = "cached" if s["cached"] else f"{s['seconds']:.2f}s"
        typer.echo(f"  {s['stage']:<34} {took}")
    if res.truth:
        t = res.truth
        typer.echo(f"truth {t['effect']} = {t['planted']:.4g}; estimate {t['estimate']:.4g} "
                   f"[{t['ci_low']:.4g}, {t['ci_high']:.4g}] covered={t['covered']}")
    typer.echo(f"report: {res.report}")
