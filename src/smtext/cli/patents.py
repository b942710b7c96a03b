"""``smtext patents``: a thin command layer over :mod:`smtext.patents`.

Registered by the command-group registry (``smtext.cli.GROUPS``) as
``smtext patents``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ._common import years_option

app = typer.Typer(help="Patents: IPC parsing, key-technology classification, firm-year measures, similarity.",
                  no_args_is_help=True)


_TEXT = ("appno", "stkcd", "ipc", "applicants", "title", "abstract", "patent_type", "app_date", "grant_date",
         "name", "subsidiary_name", "city")


def _read_records(path: Path) -> tuple:
    """Patent records as text (application numbers keep their form; empty cells are empty strings)."""
    from ..io import read_table

    raw = read_table(path, text_columns=_TEXT)
    data = raw.data
    for c in data.columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            data[c] = data[c].astype(object).where(data[c].notna(), "").astype(str)
    return data, {"rows_read": len(data), "layout": raw.layout, "encoding": raw.encoding, "notes": list(raw.notes)}


def _read_keyed(path: Path, keys: tuple) -> tuple:
    """A firm table (keys stkcd) or the subsidiaries list (no keys), stock codes normalised to 6 digits."""
    from ..io import read_panel

    r = read_panel(path, keys=keys)
    return r.data, r.report


@app.command("classify")
def classify_cmd(
    codes: list[str] = typer.Argument(..., help="IPC codes in any format, e.g. 'H04L 27/26' H04L0027260000."),
    scheme: str = typer.Option("sei_ipc_2021", "--scheme", help="sei_ipc_2021 or cnipa_kdt_2023."),
) -> None:
    """Show which branches of a scheme each IPC code falls in (and which 不含 clauses removed it)."""
    from ..patents import load_concordance, normalize_code

    conc = load_concordance(scheme)
    for raw in codes:
        code, reason = normalize_code(raw)
        if code is None:
            typer.echo(f"{raw}\tmalformed: {reason}")
            continue
        r = conc.classify([code]).iloc[0]
        status = f"key-technology: branches {r['branches']} (rules {r['rule_ids']})" if r["keytech"] else "not listed"
        excl = f"; excluded by {r['excluded_by']}" if r["excluded_by"] else ""
        typer.echo(f"{raw}\t{code}\t{status}{excl}")


@app.command("measure")
def measure_cmd(
    patents: Path = typer.Argument(..., exists=True, dir_okay=False, help="Patent records (.parquet, .csv, .txt, .xlsx or .dta)."),
    firms: Path = typer.Argument(..., exists=True, dir_okay=False, help="Listed firms: stkcd, name, city (any format read_panel reads)."),
    subsidiaries: Path = typer.Option(None, "--subsidiaries", "-s", exists=True, dir_okay=False,
                                      help="stkcd, subsidiary_name (patents of subsidiaries count for the parent)."),
    out: Path = typer.Option(Path("smtext_patents"), "--out", "-o", help="Output folder."),
    scheme: str = typer.Option("sei_ipc_2021", "--scheme", help="sei_ipc_2021 or cnipa_kdt_2023."),
    match_on: str = typer.Option("any", "--match-on", help="any: any IPC code matches; main: the first code only."),
    level: str = typer.Option("industry", "--level", help="Sub-field for width1/width3: industry or branch."),
    joint: str = typer.Option("any", "--joint", help="Joint = 2+ applicants (any) or a partner outside the firm "
                                                     "(external)."),
    years: str = typer.Option(None, "--years", help="FIRST-LAST years of the panel (default: the data's)."),
    inn: bool = typer.Option(True, "--inn/--no-inn", help="Compute Inn with the 产业基础创新发展目录 keywords."),
    similarity: bool = typer.Option(True, "--similarity/--no-similarity",
                                    help="Also write IPC3/IPC4 technology similarity by firm and city."),
) -> None:
    """Firm-year key-technology patent measures, applicant match report and IPC report."""
    from ..manifest import build_manifest, file_sha256, write_manifest
    from ..patents import patent_measures, tech_similarity

    span = years_option(years)
    from ..stages import output_folder

    with output_folder(out, "smtext patents measure"):
        reports = {}
        subs, reports["subsidiaries"] = _read_keyed(subsidiaries, ()) if subsidiaries else (None, None)
        f, reports["firms"] = _read_keyed(firms, ("stkcd",))
        records, reports["patents"] = _read_records(patents)
        res = patent_measures(records, f, subs, span, scheme=scheme, match_on=match_on, level=level,
                              joint=joint, inn_keywords="industrial_foundation_keywords" if inn else None)
        out.mkdir(parents=True, exist_ok=True)
        res.table.to_parquet(out / "patent_measures.parquet", index=False)
        res.match.table.to_csv(out / "applicant_match.csv", index=False, encoding="utf-8-sig")
        res.match.write_review(out / "applicant_review.csv")
        res.ipc_report.to_csv(out / "ipc_malformed.csv", index=False, encoding="utf-8-sig")
        res.dropped.to_csv(out / "dropped.csv", index=False, encoding="utf-8-sig")
        if similarity and "city" in f.columns:
            sim = tech_similarity(res.codes, f)
            sim.firm.to_parquet(out / "tech_similarity_firm.parquet", index=False)
            sim.city.to_parquet(out / "tech_similarity_city.parquet", index=False)
        inputs = {"patents": file_sha256(patents), "firms": file_sha256(firms)}
        if subsidiaries:
            inputs["subsidiaries"] = file_sha256(subsidiaries)
        write_manifest(out / "manifest.json", build_manifest("patents measure", {**res.options, "years": years},
                                                             inputs=inputs,
                                                             extra={"io_report": {k: v for k, v in reports.items() if v}}))
        typer.echo(res.summary())
        typer.echo(f"written to {out}")
