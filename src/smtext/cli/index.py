"""``smtext index ...``: keyword indices from extracted report text (a thin layer over :mod:`smtext.text.index_job`).

``smtext index count EXTRACT_DIR --lexicon smart_manufacturing --lexicon wufei2021_digital --out DIR``
counts lexicons in the output of ``smtext extract``; ``smtext index lexicons`` lists the
shipped lexicons with their provenance. Coded errors print as ``error SMxxx: ...`` and
exit with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ._common import years_option

app = typer.Typer(help="Keyword indices (Digital, smart manufacturing, AI ...) from annual-report text extracted "
                       "by `smtext extract`, and the shipped lexicons.", no_args_is_help=True)


def parse_filters(text: str) -> tuple[str, ...]:
    """``--filters`` text -> filter names; '' or 'none' -> no filter."""
    text = (text or "").strip()
    if text.lower() in ("", "none"):
        return ()
    return tuple(f.strip() for f in text.split(",") if f.strip())


@app.command("count")
def count_cmd(
    extract_dir: Path = typer.Argument(..., exists=True, file_okay=False,
                                       help="Output folder of `smtext extract` (documents.parquet, pages.parquet)."),
    lexicon: list[str] = typer.Option(["smart_manufacturing", "wufei2021_digital"], "--lexicon", "-l",
                                      help="Shipped lexicon name, path of your own CSV (category,term) or a "
                                           "review CSV of `w2v expand` (word,category,kept); repeatable. The "
                                           "column prefix is the lexicon's name."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for the tables and manifest.json."),
    scope: str = typer.Option("full", "--scope", help="full (whole report) or mda (the MD&A section only; reports "
                                                      "whose MD&A is not found are missing, not zero)."),
    filters: str = typer.Option("negation", "--filters", help="Comma-separated context filters: negation, "
                                                             "third_party; 'none' counts every mention."),
    mode: str = typer.Option("leftmost_longest", "--mode", help="leftmost_longest (nested terms counted once), "
                                                               "overlapping, or token (segment, then count)."),
    tokenizer: str = typer.Option("jieba", "--tokenizer", help="Segmenter of --mode token: jieba or rjieba "
                                                               "(optional, faster; same counts on the demo corpus)."),
    window: int = typer.Option(6, "--window", min=1, help="Characters before a hit searched for a negator."),
    subject_window: int = typer.Option(10, "--subject-window", min=1,
                                       help="Characters before a hit searched for a customer/supplier/director."),
    tfidf: bool = typer.Option(False, "--tfidf", help="Also write TF-IDF weighted counts (<lexicon>_tfidf)."),
    years: str = typer.Option(None, "--years", help="Window FIRST-LAST of the clean-control screening "
                                                    "(default: every year)."),
    clean_lexicon: str = typer.Option("smart_manufacturing", "--clean-lexicon",
                                      help="Lexicon screened for clean controls (firms that never mention it); "
                                           "skipped when it is not counted."),
    exclude: Path = typer.Option(None, "--exclude", "-x", exists=True, dir_okay=False,
                                 help="Exclusion file (one string a line, e.g. the exclusions.txt of `smtext index "
                                      "validate`): hits inside these longer strings (环境保护部门) are not counted."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Local worker processes (results do not depend on it)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port)."),
) -> None:
    """Count lexicons per document and write document counts, the firm-year index, clean controls and a manifest."""
    from ..stages import output_folder
    from ..text.index_job import index_extract

    with output_folder(out, "smtext index count"):
        run = index_extract(extract_dir, list(lexicon), out, scope=scope, filters=parse_filters(filters), mode=mode,
                            window=window, subject_window=subject_window, tokenizer=tokenizer,
                            weighting="tfidf" if tfidf else "count", years=years_option(years),
                            clean_lexicon=clean_lexicon, jobs=jobs, scheduler=scheduler, exclusions=exclude or ())
        typer.echo(run.summary())


@app.command("lexicons")
def lexicons_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the provenance of every lexicon as JSON."),
) -> None:
    """List the shipped keyword lexicons with their size, categories, version and source publication."""
    from ..text.lexicon import list_lexicons, load_lexicon

    rows = []
    for name in list_lexicons():
        lex = load_lexicon(name)
        rows.append({**lex.provenance(), "categories": lex.categories,
                     "authors": lex.meta.get("authors", ""), "year": lex.meta.get("year", "")})
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        cats = ", ".join(r["categories"][:6]) + (" ..." if len(r["categories"]) > 6 else "")
        typer.echo(f"{r['name']:<32} {r['n_terms']:>5} terms  v{r['version'] or '?'}  [{cats}]")
        if r["publication"]:
            typer.echo(f"{'':<32} {r['publication']}")
