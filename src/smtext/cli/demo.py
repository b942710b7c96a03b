"""``smtext demo generate|run``: the built-in demo world and the main job on it."""

from __future__ import annotations

from pathlib import Path

import typer

from ..demo.config import WorldConfig
from ._common import print_study, years_option

DEFAULT_SEED = WorldConfig().seed

def _config(firms: int, years: str, seed: int, plant: Path | None) -> WorldConfig:
    first, last = years_option(years)
    rows = ()
    if plant is not None:
        from ..demo.vocabulary import read_plant_file

        try:
            rows = read_plant_file(plant)
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--plant") from exc
    return WorldConfig(n_firms=firms, first_year=first, last_year=last, seed=seed, plant=rows)


PLANT_HELP = ("CSV of your own vocabulary (term[,weight][,category]) to plant into MD&A prose with a known "
              "firm-level intensity (truth/planted_user_terms.csv).")

app = typer.Typer(help="The built-in demo world: generate it, or run the main job on it.", no_args_is_help=True)


@app.command("generate")
def demo_generate(
    out: Path = typer.Option(Path("demo_world"), "--out", "-o", help="Folder to write the world into."),
    firms: int = typer.Option(300, "--firms", min=20, help="Number of listed firms (4000 matches the papers)."),
    years: str = typer.Option("2011-2023", "--years", help="Fiscal years FIRST-LAST, inclusive."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Master seed: same seed -> byte-identical world."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes for rendering PDFs."),
    documents: bool = typer.Option(True, "--documents/--no-documents",
                                   help="Render the PDF reports (--no-documents: tables and truth only, much faster)."),
    plant: Path = typer.Option(None, "--plant", help=PLANT_HELP),
) -> None:
    """Generate the synthetic A-share world: tables, PDF reports, patents and truth.json."""
    from ..demo import generate_world

    cfg = _config(firms, years, seed, plant)
    truth = generate_world(out, cfg, jobs=jobs, documents=documents)
    typer.echo(f"demo world written to {out} (truth: {truth})")


@app.command("run")
def demo_run(
    world: Path = typer.Option(Path("demo_world"), "--world", "-w", help="Demo world folder (generated if missing)."),
    out: Path = typer.Option(Path("demo_out"), "--out", "-o", help="Output folder: report.html, tables, stages."),
    firms: int = typer.Option(300, "--firms", min=20, help="Firms, when the world has to be generated."),
    years: str = typer.Option("2011-2023", "--years", help="Years FIRST-LAST, when the world has to be generated."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed, when the world has to be generated."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Local worker processes."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port) for PDF "
                                                            "extraction."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage even when cached."),
    plant: Path = typer.Option(None, "--plant", help=PLANT_HELP + " Used when the world has to be generated."),
) -> None:
    """Run the main job on the demo world and write OUT/report.html.

    The main job is the bundled study spec ``demo`` (paper 000 Tables 2-8, the robust
    estimators, HonestDiD, N_ML, paper 004's spillover, the truth checks), run by the same
    engine as ``smtext run demo``. The world is generated first when WORLD has none made
    with these --firms/--years/--seed.
    """
    from ..demo import ensure_world
    from ..study import run_study

    cfg = _config(firms, years, seed, plant)
    if ensure_world(world, cfg, jobs=jobs):
        typer.echo(f"demo world generated in {world}", err=True)
    print_study(run_study("demo", world, out, jobs=jobs, scheduler=scheduler, force=force))
