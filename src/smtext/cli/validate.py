"""``smtext index validate``: the validation report of a keyword index (a thin layer over
:func:`smtext.text.validation.validate_index` and :func:`smtext.report.validation.write_validation_report`).

``smtext index validate INDEX_DIR --out DIR [--extract EXTRACT_DIR] [--lexicon KEY]
[--reference NAME=SOURCE] [--exclude exclusions.txt]`` writes ``validation.html``,
``validation.json``, ``figures/``, ``exclusions.txt`` and ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SMError


def _references(items: list[str]) -> dict | None:
    if not items:
        return None
    out = {}
    for item in items:
        name, sep, source = item.partition("=")
        if not sep:
            name, source = Path(item.split(":", 1)[0]).stem, item     # a bare lexicon, column or file
        if not name.strip() or not source.strip():
            raise SMError("SM253", f"--reference {item!r} is not NAME=SOURCE.",
                          "e.g. --reference digital=wufei2021_digital or --reference wufei=wufei.csv:digital")
        out[name.strip()] = source.strip()
    return out


def validate_cmd(
    index_dir: Path = typer.Argument(..., exists=True, file_okay=False,
                                     help="Output folder of `smtext index count`."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder of the report."),
    extract: Path = typer.Option(None, "--extract", "-e",
                                 help="The `smtext extract` folder the index was counted from (default: the one "
                                      "the index manifest records); needed for example sentences and false positives."),
    lexicon: list[str] = typer.Option(None, "--lexicon", "-l", help="Lexicon of the index to validate (repeatable; "
                                                                    "default: all)."),
    reference: list[str] = typer.Option(None, "--reference", "-r",
                                        help="Reference index NAME=SOURCE (repeatable): a lexicon or column of the "
                                             "index, or a CSV/Parquet with stkcd, year, value (FILE:COLUMN picks a "
                                             "column). Default: the other lexicons of the index."),
    exclude: Path = typer.Option(None, "--exclude", "-x", exists=True, dir_okay=False,
                                 help="Exclusion list (one longer string a line, e.g. 环境保护部门): shows the hits "
                                      "inside them and the zero share without them."),
    top: int = typer.Option(20, "--top", min=1, help="Rows of the top-firm and top-term tables."),
    examples: int = typer.Option(3, "--examples", min=1, help="Example sentences per top term."),
    measure: str = typer.Option("ln", "--measure", help="Firm-year measure correlated with the references: "
                                                       "ln, per10k or count."),
    no_segment: bool = typer.Option(False, "--no-segment", help="Skip the jieba word-boundary screen (faster)."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Local worker processes reading the report text "
                                                           "(results do not depend on it)."),
) -> None:
    """Validation report of a keyword index: zeros, trend, top terms in context, correlations, false positives.

    Writes OUT/validation.html, validation.json, figures/, exclusions.txt and manifest.json.
    """
    from ..errors import check_option
    from ..report.validation import write_validation_report
    from ..stages import output_folder
    from ..text.validation import validate_index

    with output_folder(out, "smtext index validate"):
        check_option("measure", measure, ("ln", "per10k", "count"))
        v = validate_index(index_dir, extract_dir=extract, lexicons=lexicon or None, references=_references(reference),
                           exclusions=exclude, top=top, examples=examples, measure=measure, segment=not no_segment,
                           jobs=jobs)
        page = write_validation_report(v, out)
        for k, lv in v.lexicons.items():
            s = lv.summary
            typer.echo(f"{k}: {s['counted']} firm-years, zeros share {s['zeros_share']:.3f}, {s['hits']} hits, "
                       f"{s['terms_with_hits']}/{s['terms']} terms matched, likely false positives "
                       f"{s['likely_false_positive_hits']}")
        typer.echo(f"report: {page} (exclusion list: {out / 'exclusions.txt'})")
