"""``smtext treat PILOTS --firms FIRMS``: a pilot list -> treatment columns, the match summary and the review file.

A thin layer over :func:`smtext.study.pilots.match_pilots` and the study's treatment designs
(:func:`smtext.study.sample.apply_treatment`): the same matching and policies as ``smtext run``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer


def _read(path: Path, keys: tuple, duplicates: str = "error") -> tuple[pd.DataFrame, dict]:
    from ..io import read_panel

    r = read_panel(path, keys=keys, duplicates=duplicates)
    return r.data, r.report


def treat_cmd(
    pilots: Path = typer.Argument(..., exists=True, dir_okay=False,
                                  help="The pilot list as typed (.xlsx, .csv in any Chinese encoding, .dta, .parquet)."),
    firms: Path = typer.Option(..., "--firms", "-f", exists=True, dir_okay=False,
                               help="Listed firms: stkcd, name; optional former_names, province, city."),
    subsidiaries: Path = typer.Option(None, "--subsidiaries", "-s", exists=True, dir_okay=False,
                                      help="stkcd, subsidiary_name (e.g. the CSMAR subsidiary table)."),
    panel: Path = typer.Option(None, "--panel", "-p", exists=True, dir_okay=False,
                               help="A firm-year panel (stkcd, year; city for the city design) to add the "
                                    "treatment columns to."),
    design: str = typer.Option("firm", "--design", help="firm: treated from the firm's selection year; "
                                                        "city_spillover: firms in a pilot city from --delay years "
                                                        "after its first announcement, pilot firms dropped."),
    dname: str = typer.Option("DID", "--dname", help="Name of the 0/1 treatment column."),
    delay: int = typer.Option(1, "--delay", help="city_spillover: years between announcement and treatment."),
    year_col: str = typer.Option("年份", "--year-col", help="Header of the selection year in the pilot list."),
    name_col: str = typer.Option("申报单位", "--name-col", help="Header of the applicant name."),
    city_col: str = typer.Option("所在城市", "--city-col", help="Header of the project's city."),
    overrides: Path = typer.Option(None, "--overrides", exists=True, dir_okay=False,
                                   help="Confirmed matches: the edited pilot_review.csv (name, confirmed_stkcd)."),
    review: str = typer.Option("exclude", "--review", help="Names pending review: exclude (their candidate firms "
                                                           "leave the panel), stop (error SM709), keep, or "
                                                           "accept-above:X."),
    fuzzy_review: float = typer.Option(0.75, "--fuzzy-review", help="Cosine from which a similar listed name "
                                                                    "makes an applicant pending review."),
    fmt: str = typer.Option("dta", "--format", help="Panel copy besides Parquet: dta or csv."),
    out: Path = typer.Option(Path("smtext_treat"), "--out", "-o", help="Output folder."),
) -> None:
    """Match a pilot list to listed firms and write treatment columns, the match summary and the review file.

    Writes pilot_matches.csv (every distinct applicant), pilots.csv (the list with stkcd and status),
    pilot_review.csv (names pending review with their candidates), pilot_match_summary.json, the
    treatment table (firm: stkcd, gname; city_spillover: city, first_pilot_year) and, with --panel,
    the panel with the treatment columns (panel_treated.parquet and .dta or .csv); then manifest.json.
    """
    from ..errors import SMError
    from ..manifest import build_manifest, file_sha256, write_manifest
    from ..study.pilots import announce, match_pilots
    from ..study.sample import apply_treatment

    if design not in ("firm", "city_spillover"):
        raise typer.BadParameter("use firm or city_spillover", param_hint="--design")
    if fmt not in ("dta", "csv"):
        raise typer.BadParameter("use dta or csv", param_hint="--format")
    from ..stages import output_folder

    with output_folder(out, "smtext treat"):
        reports = {}
        f, reports["firms"] = _read(firms, ("stkcd",))
        subs, reports["subsidiaries"] = _read(subsidiaries, ()) if subsidiaries else (None, None)
        listing, reports["pilots"] = _read(pilots, ())
        match = match_pilots(listing, f, subs, columns={"year": year_col, "name": name_col, "city": city_col},
                             overrides=overrides, review=review, fuzzy_review=fuzzy_review,
                             need_city=design == "city_spillover")
        out.mkdir(parents=True, exist_ok=True)
        paths = match.write(out)
        match.check(paths["review"])
        announce(match, str(paths["review"]))
        listed = match.pilots.dropna(subset=["stkcd"])
        if design == "firm":
            table = listed.groupby("stkcd", as_index=False)["year"].min().rename(columns={"year": "gname"})
            table.to_csv(out / "treatment_firms.csv", index=False, encoding="utf-8-sig")
        else:
            table = match.pilots.dropna(subset=["pilot_city"]).groupby("pilot_city", as_index=False)["year"].min()
            table.rename(columns={"pilot_city": "city", "year": "first_pilot_year"}).to_csv(
                out / "treatment_cities.csv", index=False, encoding="utf-8-sig")
        steps, written = [], {}
        if panel is not None:
            data, reports["panel"] = _read(panel, ("stkcd", "year"), "first")   # a repeated firm-year: first row, counted
            if design == "city_spillover" and "city" not in data.columns:
                if "city" not in f.columns:
                    raise SMError("SM001", "the city design needs a city column in the panel or the firm table.",
                                  "add the firm's city (所在城市) to one of them.")
                data = data.merge(f[["stkcd", "city"]], on="stkcd", how="left")
            steps.append({"step": "panel firm-years", "rows": len(data)})
            treated = apply_treatment(data, match, [{"design": design, "dname": dname, "delay": delay}], steps)
            from ..report import export_panel

            treated.to_parquet(out / "panel_treated.parquet", index=False)
            export_panel(treated, out / f"panel_treated.{fmt}")
            pd.DataFrame(steps).to_csv(out / "sample_steps.csv", index=False, encoding="utf-8-sig")
            written["panel"] = {"rows": len(treated), "firms": int(treated["stkcd"].nunique()),
                                "treated_firms": int(treated.loc[treated[dname] > 0, "stkcd"].nunique())}
        inputs = {"pilots": file_sha256(pilots), "firms": file_sha256(firms)}
        for name, p in (("subsidiaries", subsidiaries), ("overrides", overrides), ("panel", panel)):
            if p:
                inputs[name] = file_sha256(p)
        write_manifest(out / "manifest.json", build_manifest(
            "treat", {"design": design, "dname": dname, "delay": delay, "review": review, "fuzzy_review": fuzzy_review,
                      "columns": {"year": year_col, "name": name_col, "city": city_col}, "out": str(out)},
            inputs=inputs, extra={"pilot_matching": match.summary, "sample_steps": steps, **written,
                                  "io_report": json.loads(json.dumps({k: v for k, v in reports.items() if v},
                                                                     default=str))}))
        typer.echo(match.line(str(paths["review"])))
        if written:
            typer.echo(f"panel: {written['panel']['rows']} firm-years, {written['panel']['treated_firms']} treated firms")
        typer.echo(f"written to {out}")
