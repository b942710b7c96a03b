"""``smtext w2v train|expand|index``: a thin command layer over :mod:`smtext.text.w2v`.

Mounted by :mod:`smtext.cli` as ``smtext w2v``.
DOCS arguments take a folder of PDFs (extracted first with
:func:`smtext.text.extract.read_folder` into an extraction folder, resumable, keeping
every document of ``--doc-type``), the output folder of ``smtext extract``
(``documents.parquet``, ``pages.parquet``), or a Parquet table with ``path, stkcd, year, text``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ..manifest import build_manifest, file_sha256, tree_sha256, write_manifest
from ..text.w2v.expand import DEFAULT_THRESHOLD

app = typer.Typer(help="Word2Vec: train vectors, expand seed words into a lexicon, build a text index (N_ML).",
                  no_args_is_help=True)

DOCS_HELP = ("Folder of PDFs (extracted first, resumable), output folder of `smtext extract`, or Parquet with "
             "path, stkcd, year, text.")


KEEP_HELP = ("Keep the brokers' boilerplate (disclaimers, analyst certifications, rating definitions, contact "
             "lines, headers) in analyst reports; by default it is removed and counted per report.")


def _docs(source: Path, doc_type: str, extract_dir: Path, jobs: int, scheduler: str | None = None,
          keep_boilerplate: bool = False) -> pd.DataFrame:
    """DOCS as a table with ``text``: a Parquet table, an extraction output, or a folder of PDFs to extract.

    Analyst reports (``doc_type`` ``analyst_report``) lose their broker boilerplate unless
    ``keep_boilerplate`` (:func:`smtext.text.extract.clean_boilerplate`).
    """
    from ..text.extract import clean_boilerplate, read_documents, read_folder

    mode = "keep" if keep_boilerplate else "auto"
    if source.is_file():
        from ..errors import SMError, require_columns

        try:
            frame = pd.read_parquet(source)
        except Exception as exc:   # noqa: BLE001 - any reader error: the file is not a Parquet table
            raise SMError("SM014", f"{source} cannot be read as a Parquet table ({type(exc).__name__}: {exc}).",
                          "pass a Parquet table with path, stkcd, year, text, an `smtext extract` output folder, "
                          "or a folder of PDFs.") from None
        require_columns(frame, ["text"], f"document table {source}")
        # a plain table: its doc_type column decides, else the --doc-type asked for
        if mode == "auto" and "doc_type" not in frame and doc_type == "analyst_report":
            mode = "remove"
        return clean_boilerplate(frame, mode)
    if (source / "documents.parquet").is_file():
        return read_documents(source, doc_type, boilerplate=mode)
    return read_folder(source, extract_dir, doc_type, jobs=jobs, scheduler=scheduler, boilerplate=mode)


def _boilerplate_note(frame: pd.DataFrame, out_dir: Path, stem: str) -> str:
    """Write the per-report boilerplate counts beside the outputs; one line for the console."""
    from ..text.boilerplate import summary
    from ..text.extract import write_boilerplate_report

    path = write_boilerplate_report(frame, out_dir, stem)
    if path is None:
        return ""
    s = summary(frame)
    return (f"\nboilerplate removed: {s['chars_removed']} characters from {s['reports_with_boilerplate']} of "
            f"{s['reports']} reports ({s['share_of_chars']:.1%} of their text; per report in {path})")


@app.command("train")
def train_cmd(
    docs: Path = typer.Argument(..., exists=True, help=DOCS_HELP),
    out: Path = typer.Option(Path("smtext_w2v"), "--out", "-o", help="Output folder (model/, tokens/, extract/)."),
    doc_type: str = typer.Option("analyst_report", "--doc-type", help="Document type to read from a folder or an extraction output."),
    scope: str = typer.Option("full", "--scope", help="full (whole document) or mda (the MD&A section only; "
                                                      "documents whose MD&A is not found are left out, SM214)."),
    arch: str = typer.Option("cbow", "--arch", help="cbow or skipgram."),
    dim: int = typer.Option(100, "--dim", min=1, help="Vector size."),
    window: int = typer.Option(5, "--window", min=1, help="Context window."),
    min_count: int = typer.Option(5, "--min-count", min=1, help="Minimum word count."),
    epochs: int = typer.Option(10, "--epochs", min=1, help="Training epochs."),
    seed: int = typer.Option(42, "--seed", help="Random seed."),
    workers: int = typer.Option(1, "--workers", min=1, help="Training threads (needs --fast to exceed 1)."),
    fast: bool = typer.Option(False, "--fast", help="Allow several threads: faster, but vectors vary between runs."),
    word: list[str] = typer.Option([], "--word", help="Extra word to keep whole (repeatable), e.g. the seeds."),
    userdict: list[Path] = typer.Option([], "--userdict", help="Extra jieba user dictionary (repeatable)."),
    tokenizer: str = typer.Option("jieba", "--tokenizer", help="Segmenter: jieba, or rjieba (optional, faster)."),
    continue_from: Path = typer.Option(None, "--continue-from", exists=True, file_okay=False,
                                       help="Model folder saved by an earlier `w2v train`: continue training it on "
                                            "DOCS (new words are added) instead of starting from scratch; the "
                                            "architecture and sizes are the saved model's."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Processes for extraction and tokenizing."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port) for "
                                                            "extraction and tokenizing; same tokens as the local pool."),
    keep_boilerplate: bool = typer.Option(False, "--keep-boilerplate", help=KEEP_HELP),
) -> None:
    """Tokenize documents (cached) and train Word2Vec; writes OUT/model with a manifest (PDFs go to OUT/extract)."""
    from ..stages import output_folder
    from ..text.boilerplate import summary
    from ..text.tokenize import TokenizerConfig, default_userdicts
    from ..text.w2v.corpus import apply_scope, tokenize_corpus
    from ..text.w2v.train import W2VModel, W2VParams, train_word2vec

    with output_folder(out, "smtext w2v train"):
        frame = _docs(docs, doc_type, out / "extract", jobs, scheduler, keep_boilerplate)
        note = _boilerplate_note(frame, out, "boilerplate")
        cut = summary(frame)                                       # before the scope drops documents
        frame = apply_scope(frame, scope)
        frame = frame[~frame["status"].isin(["SM110", "SM111"])]   # no MD&A: left out (printed by apply_scope)
        cfg = TokenizerConfig(userdicts=default_userdicts() + tuple(str(p) for p in userdict), words=tuple(word),
                              backend=tokenizer)
        corpus = tokenize_corpus(frame[frame["text"].notna()], out / "tokens", cfg, jobs=jobs, scheduler=scheduler)
        if continue_from is not None:
            model = W2VModel.load(continue_from, with_model=True).continue_training(corpus, epochs=epochs)
        else:
            params = W2VParams(architecture=arch, vector_size=dim, window=window, min_count=min_count,
                               epochs=epochs, seed=seed, workers=workers, deterministic=not fast)
            model = train_word2vec(corpus, params)
        model.manifest["boilerplate"] = cut               # what was cut from the training text, in the model's manifest
        model.manifest["scope"] = {"scope": scope, "dropped": frame.attrs.get("scope_dropped", {})}
        model.save(out / "model")
        m = model.manifest
        speed = "continued training" if continue_from is not None else f"{m['words_per_second']} words/s"
        typer.echo(f"trained on {len(corpus)} documents: vocabulary {m['vocab_size']}, {speed}; model in {out / 'model'}"
                   + note)


def _model_hash(model: Path) -> str:
    """sha256 of the vectors: a model folder's vectors.bin, else the vector file itself."""
    return file_sha256(model / "vectors.bin" if model.is_dir() else model)


@app.command("expand")
def expand_cmd(
    model: Path = typer.Argument(..., exists=True, help="Model folder (from `w2v train`) or word2vec vector file."),
    seed: list[str] = typer.Option(..., "--seed", "-s", help="Seed word (repeatable)."),
    out: Path = typer.Option(Path("expansion_review.csv"), "--out", "-o", help="Review CSV to write."),
    category: str = typer.Option("seed", "--category", help="Category name of the seeds."),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold",
                                    help="Minimum cosine similarity to the seeds' mean (the API's default; the "
                                         "summary prints the similarity distribution and a suggested cut-off)."),
    topn: int = typer.Option(None, "--topn", min=1, help="Keep at most N words (after the threshold)."),
    min_freq: int = typer.Option(5, "--min-freq", min=0, help="Minimum corpus frequency."),
    screen: Path = typer.Option(None, "--screen", exists=True,
                                help="Screening texts (government work reports): folder of PDFs (extracted into "
                                     "OUT's folder, <name>_screen_extract/), output of `smtext extract`, or Parquet "
                                     "with text."),
) -> None:
    """Expand seed words; write a review CSV (edit its `kept` column, then use it with `w2v index`)."""
    from ..stages import check_output_file
    from ..text.w2v.expand import expand_seeds
    from ..text.w2v.train import load_vectors

    check_output_file(out)
    vectors = load_vectors(model)
    texts = None if screen is None else _docs(screen, "government_report", out.with_name(f"{out.stem}_screen_extract"),
                                              1)["text"].dropna().tolist()
    res = expand_seeds(vectors, list(seed), threshold=threshold, topn=topn, min_freq=min_freq,
                       screen_texts=texts, category=category)
    res.to_review_csv(out)
    # the decisions as written, so `smtext lexicon from-review` can record the reviewer's edits as a diff
    decisions = [[w, c, k, bool(kept)] for w, c, k, kept in
                 res.table[["word", "category", "kind", "kept"]].itertuples(index=False)]
    inputs = {"model": _model_hash(model), "review_csv": file_sha256(out)}
    if screen is not None:
        inputs["screen"] = file_sha256(screen) if screen.is_file() else tree_sha256(screen)
    write_manifest(out.with_suffix(".manifest.json"),
                   build_manifest("w2v expand", res.params | {"model": str(model)}, inputs=inputs,
                                  extra={"diagnostics": res.diagnostics, "decisions": decisions}))
    typer.echo(res.summary() + f"\nreview table: {out}")


@app.command("index")
def index_cmd(
    docs: Path = typer.Argument(..., exists=True, help=DOCS_HELP + " PDFs are extracted into OUT's folder, "
                                                             "<name>_extract/."),
    lexicon: Path = typer.Option(..., "--lexicon", "-l", exists=True,
                                 help="Any lexicon `smtext index count` reads: a review CSV (word, category, kept), "
                                      "a lexicon CSV (category, term) such as `smtext lexicon from-review` writes."),
    out: Path = typer.Option(Path("nml.parquet"), "--out", "-o", help="Firm-year Parquet to write."),
    name: str = typer.Option("N_ML", "--name", help="Index column name."),
    doc_type: str = typer.Option("analyst_report", "--doc-type", help="Document type to read from a folder or an extraction output."),
    scope: str = typer.Option("full", "--scope", help="full (whole document) or mda (the MD&A section; documents "
                                                      "whose MD&A is not found are missing, SM214)."),
    filters: str = typer.Option("none", "--filters", help="Comma-separated context filters: negation, third_party; "
                                                          "'none' (default, paper 002) counts every mention."),
    panel: Path = typer.Option(None, "--panel", exists=True, help="Parquet of firm-years (stkcd, year): missing where no documents."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Processes."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:port) for "
                                                            "extraction and counting."),
    keep_boilerplate: bool = typer.Option(False, "--keep-boilerplate", help=KEEP_HELP),
) -> None:
    """Count the lexicon's words per firm-year: NAME = ln(1 + count), NAME_per10k; missing where no documents."""
    from ..errors import check_option
    from ..text.boilerplate import summary
    from ..text.indices import FILTERS
    from ..text.lexicon import load_lexicon
    from ..text.w2v.corpus import apply_scope
    from ..text.w2v.nml import nml_index
    from .index import parse_filters

    chosen = parse_filters(filters)
    for f in chosen:
        check_option("filters", f, FILTERS)
    lex = load_lexicon(lexicon)
    from ..stages import check_output_file

    check_output_file(out)
    frame = _docs(docs, doc_type, out.with_name(f"{out.stem}_extract"), jobs, scheduler, keep_boilerplate)
    note = _boilerplate_note(frame, out.parent, f"{out.stem}_boilerplate")
    cut = summary(frame)
    frame = apply_scope(frame, scope)
    res = nml_index(frame, lex, name=name, jobs=jobs, scheduler=scheduler, filters=chosen,
                    panel=None if panel is None else pd.read_parquet(panel))
    res.table.to_parquet(out, index=False)
    inputs = {str(lexicon): file_sha256(lexicon)}
    if docs.is_file():
        inputs[str(docs)] = file_sha256(docs)
    elif (docs / "documents.parquet").is_file():
        inputs.update({str(docs / f): file_sha256(docs / f) for f in ("documents.parquet", "pages.parquet")
                       if (docs / f).is_file()})
    else:
        inputs[str(docs)] = tree_sha256(docs, "*.pdf")
    write_manifest(out.with_suffix(".manifest.json"),
                   build_manifest("w2v index", {"lexicon": str(lexicon), "name": name, "docs": str(docs),
                                                "scope": scope, "filters": list(chosen),
                                                "keep_boilerplate": keep_boilerplate}, inputs=inputs,
                                  extra={"lexicon": {**lex.provenance(), "meta": lex.meta}, "words": res.words,
                                         "dropped": res.dropped, "scope_dropped": frame.attrs.get("scope_dropped", {}),
                                         "boilerplate": cut}))
    typer.echo(res.summary() + f"\nwritten: {out}" + note)
