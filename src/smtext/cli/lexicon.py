"""``smtext lexicon from-review|diff``: turn a reviewed Word2Vec expansion into a lexicon, compare lexicons.

A thin layer over :func:`smtext.text.lexicon.lexicon_from_review` and
:func:`smtext.text.lexicon.diff_lexicons`. The lexicon format (``category,term``
plus a ``.meta.json`` sidecar) is the one every counter reads (see the README,
"User lexicons").
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="User lexicons: from a reviewed Word2Vec expansion to a lexicon with provenance; diffs.",
                  no_args_is_help=True)


@app.command("from-review")
def from_review_cmd(
    review: Path = typer.Argument(..., exists=True, dir_okay=False, help="Review CSV written by `smtext w2v expand` "
                                                                         "(edited or not)."),
    out: Path = typer.Option(..., "--out", "-o", help="Lexicon CSV to write (its name is the column prefix); "
                                                      "the sidecar OUT.meta.json records the provenance."),
    drop_seeds: bool = typer.Option(False, "--drop-seeds", help="Honour kept=False on seed rows (seeds are kept "
                                                                "by default)."),
) -> None:
    """Write the kept words (seeds, expanded, manual) as a lexicon; the sidecar records seeds, model hash,
    threshold and the manual edits as a diff against the expansion."""
    from ..stages import check_output_file
    from ..text.lexicon import lexicon_from_review

    check_output_file(out)
    lex = lexicon_from_review(review, out, keep_seeds=not drop_seeds)
    kinds = lex.terms["note"].value_counts().to_dict()
    edits = lex.meta.get("edits", [])
    typer.echo(f"{len(lex)} terms ({kinds}) written to {out}; {len(edits)} manual edit(s) recorded in "
               f"{out.with_name(out.stem + '.meta.json')}")
    for e in edits:
        typer.echo(f"  {e['edit']:<8} {e['category']}: {e['term']} ({e['was'] or '-'} -> {e['now'] or '-'})")


@app.command("diff")
def diff_cmd(
    old: str = typer.Argument(..., help="Lexicon (shipped name, CSV or review file)."),
    new: str = typer.Argument(..., help="Lexicon to compare with OLD."),
    as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
) -> None:
    """Terms added, removed or moved to another category from OLD to NEW."""
    from ..text.lexicon import diff_lexicons

    d = diff_lexicons(old, new)
    if as_json:
        typer.echo(json.dumps(d.to_dict(orient="records"), indent=2, ensure_ascii=False))
        return
    for r in d.itertuples(index=False):
        cats = r.new_category if r.change == "added" else (
            r.old_category if r.change == "removed" else f"{r.old_category} -> {r.new_category}")
        typer.echo(f"{r.change:<8} {r.term}  [{cats}]")
    counts = d["change"].value_counts().to_dict()
    typer.echo(f"{counts.get('added', 0)} added, {counts.get('removed', 0)} removed, {counts.get('moved', 0)} moved")
