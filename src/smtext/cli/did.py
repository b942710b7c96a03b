"""``smtext did PANEL``: the papers' DID battery on a panel file you already have.

A thin layer over :mod:`smtext.study.battery` (reading, checks, estimators, tables and
figures); this module parses the options and writes the manifest. Under ``--out`` it writes
``tables/did.*``, ``figures/*.png``, ``estimates.csv`` and ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SMError
from ..study.battery import (
    check_panel,
    read_did_panel,
    run_battery,
    summary,
    write_outputs,
)


def _names(text: str | None) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _window(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise typer.BadParameter("use LO,HI, for example -4,4 (write --window=-4,4)") from None
    if not lo <= -1 < hi:
        raise typer.BadParameter("the window must contain the base period -1 and a later period, e.g. -4,4")
    return lo, hi


# ---------------------------------------------------------------- the command
def did_cmd(
    panel: Path = typer.Argument(..., exists=True, dir_okay=False,
                                 help="Panel file: .csv (UTF-8, GBK or GB18030), .txt, .xlsx, .dta or .parquet, one "
                                      "row per firm and year, in your own column names."),
    y: str = typer.Option(..., "--y", help="Outcome column."),
    d: str = typer.Option(None, "--d", help="0/1 treatment column (1 from the firm's first treated year on). "
                                            "Give --d, --cohort, or both."),
    cohort: str = typer.Option(None, "--cohort", help="First-treatment-year column (0 or empty = never treated); "
                                                      "without it the cohorts come from an absorbing --d."),
    idname: str = typer.Option(..., "--id", help="Firm id column. A stock-code column may be named as in the file "
                                                 "(证券代码, Stkcd) or 'stkcd' (codes normalised to six digits)."),
    tname: str = typer.Option(..., "--t", help="Year column, as in the file (年份, year) or 'year' for the file's one "
                                               "year column; dates such as 2015-12-31 count as their year."),
    controls: str = typer.Option(None, "--controls", help="Control columns, comma-separated (also the PSM "
                                                          "covariates)."),
    fe: str = typer.Option(None, "--fe", help="Fixed effects, comma-separated; a^b is an interaction (default: id "
                                              "and t). The event study and placebo always absorb id and t."),
    cluster: str = typer.Option(None, "--cluster", help="Cluster column (two, comma-separated, for two-way "
                                                        "clustering); default the id."),
    event: bool = typer.Option(False, "--event", help="Event study (base period -1, end points binned) and its "
                                                      "figure."),
    window: str = typer.Option("-4,4", "--window", help="Event window LO,HI of the event studies "
                                                        "(write --window=-5,5)."),
    placebo: int = typer.Option(0, "--placebo", min=0, help="Placebo test with this many random draws of "
                                                            "pseudo-treated firms and years (0 = none)."),
    psm: bool = typer.Option(False, "--psm", help="PSM-DID column: ever-treated firms matched year by year on the "
                                                  "controls (1:1 with replacement), its balance table and "
                                                  "propensity-score figure."),
    robust: bool = typer.Option(False, "--robust", help="did2s, Callaway-Sant'Anna, BJS imputation and Sun-Abraham "
                                                        "overall ATTs beside TWFE (balanced panel, no controls) and "
                                                        "their event studies."),
    bacon: bool = typer.Option(False, "--bacon", help="Goodman-Bacon decomposition and dCDH negative weights "
                                                      "(balanced panel), as a table."),
    honest: bool = typer.Option(False, "--honest", help="HonestDiD sensitivity (relative magnitudes, Mbar 0-2) of "
                                                        "the did2s event study, as a figure."),
    seed: int = typer.Option(0, "--seed", help="Seed of the placebo draws, the matching and HonestDiD."),
    out: Path = typer.Option(Path("smtext_did"), "--out", "-o", help="Output folder: tables/, figures/, "
                                                                     "estimates.csv, manifest.json."),
    colmap: str = typer.Option(None, "--map", help="Column map of the file (a bundled name such as "
                                                   "csmar_fs_combas, or a YAML file); then name the mapped "
                                                   "columns in the options."),
    sheet: str = typer.Option(None, "--sheet", help="XLSX sheet to read (needed when a workbook has data on "
                                                    "several sheets)."),
    encoding: str = typer.Option(None, "--encoding", help="Text encoding of CSV/TXT files (default: detected; "
                                                          "UTF-8, GBK or GB18030)."),
) -> None:
    """Run the DID battery on your panel: TWFE and the switches' tests, tables in every format.

    Checks the panel first (coded errors: SM401 repeated firm-years, SM500 a treatment that
    is not 0/1, SM570 no variation, SM552 a treatment that switches off where cohorts are
    needed, SM001 a column that is not there), then writes tables/did.* (TWFE, PSM-DID,
    robust ATTs), figures/*.png, estimates.csv and manifest.json to OUT.
    """
    from ..manifest import build_manifest, write_manifest
    from ..stages import output_folder
    from ..study.registry import MAX_DRAWS

    if placebo > MAX_DRAWS:
        raise SMError("SM575", f"--placebo {placebo} draws is more than {MAX_DRAWS:,}; each draw re-estimates the "
                               "model, so the run would not end in reasonable time.",
                      f"pass at most {MAX_DRAWS:,} draws (500 to 1,000 is usual).")
    with output_folder(out, "smtext did"):
        win = _window(window)
        read = read_did_panel(panel, None if colmap in (None, "none") else colmap, idname=idname, sheet=sheet,
                              encoding=encoding)
        p = check_panel(read.data, y=y, d=d, cohort=cohort, idname=idname, tname=tname, controls=_names(controls),
                        fe=_names(fe) or None, cluster=_names(cluster) or None)
        b = run_battery(p, event=event, window=win, placebo=placebo, psm=psm, robust=robust, bacon=bacon,
                        honest=honest, seed=seed)
        out.mkdir(parents=True, exist_ok=True)
        written = write_outputs(p, b, out)
        params = {"y": y, "d": d, "cohort": cohort, "id": idname, "t": tname, "controls": _names(controls),
                  "fe": _names(fe) or [idname, tname], "cluster": _names(cluster) or [idname], "event": event,
                  "window": list(win), "placebo": placebo, "psm": psm, "robust": robust, "bacon": bacon,
                  "honest": honest, "map": colmap, "sheet": sheet, "encoding": encoding,
                  "columns": {"y": p.yname, "d": p.dname, "cohort": p.gname, "id": p.idname, "t": p.tname,
                              "controls": p.controls, "fe": p.fe, "cluster": p.cluster}}
        seeds = {k: seed for k, on in (("placebo", placebo), ("psm", psm), ("honest", honest)) if on}
        manifest = build_manifest("did", params, seeds=seeds, inputs={read.source["path"]: read.source["sha256"]},
                                  extra={"io_report": read.report, "io_source": read.source, "sample": p.counts,
                                         "notes": b.notes, "outputs": [str(f.relative_to(out)) for f in written]})
        write_manifest(out / "manifest.json", manifest)
        typer.echo(summary(p, b))
        typer.echo(f"wrote {out}: tables/did.{{md,tex,html,xlsx,docx}}, {len(written)} files, manifest.json")
