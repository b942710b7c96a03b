"""Run a study spec end to end through cached stages: the only driver in smtext.

``smtext run SPEC`` and the main job (``smtext demo run``, the bundled spec ``demo``) both
come here. Stage graph (each a :class:`smtext.stages.StageRunner` stage under ``OUT/stages``)::

    panel ─┬─ tfp ───────────────┐
           │  patents, nml, ... ──┤        (one stage per measure of the spec)
    corpus ─ extract ─ text ─────┤
                                 └─ dataset ─┬─ table.<name>  (one per table)
                                             └─ figure.<name> (one per figure)

then the truth checks and ``report.html`` (written on every run from the stages' files).

Measurement stages are keyed by their own options and the input files. Tables and figures
are keyed by their spec entry and a hash of the *content of the columns they use*, not by
the whole data set: re-measuring one variable (a TFP method, a lexicon) re-runs its
measurement stage and the data set, then only the tables and figures whose columns changed.

Outputs: ``OUT/tables/<name>.{md,html,tex,xlsx,docx}``, ``OUT/figures/<name>.png``,
``OUT/panel.parquet`` and ``OUT/panel.dta``, ``OUT/report.html``, ``OUT/truth_check.json``
(when the spec has truth checks and the world a ``truth.json``) and ``OUT/manifest.json``
(versions, spec hash, input hashes, stage timings, warnings).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SMWarning
from ..manifest import build_manifest, stable_hash, write_manifest
from ..stages import StageRunner, inside, output_folder
from .common import FE_LABELS, STAGE_VERSION
from .inputs import Inputs, read_declaration, resolve
from .measures import Env, stage_corpus, stage_extract
from .multiverse import run_multiverse
from .outputs import REPORT_LAYOUT, stage_figure, stage_table
from .registry import COLUMNS, FIGURES, MEASURES, TRUTHS
from .report import write_report
from .sample import PANEL_RULES, designs, matching_of, stage_panel
from .spec import Spec, check_columns
from .variables import stage_dataset
from .vocabulary import check_entry, entry_columns, load


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` produced.

    Attributes
    ----------
    out : Path
        Output folder.
    report : Path
        ``report.html``.
    stages : list of dict
        One row per stage: name, key, cached, seconds and the stage's counts.
    truth : list of dict
        Rows of the truth checks (planted value, estimate, CI, covered ...); empty when the
        spec has none or the world has no ``truth.json``.
    warnings : list of dict
        Coded warnings of the run, each once with its count.
    pilot_matching : dict
        The pilot-match summary (``OUT/pilot_match_summary.json``; the names pending review
        are in ``OUT/pilot_review.csv``).
    """

    out: Path
    report: Path
    stages: list
    truth: list
    warnings: list
    pilot_matching: dict = field(default_factory=dict)

    def ran(self) -> list[str]:
        """Names of the stages that ran (were not reused from the cache)."""
        return [s["stage"] for s in self.stages if not s["cached"]]

    def stage_dir(self, name: str) -> Path:
        """Folder of stage ``name`` (``"table.table3_baseline"``, ``"dataset"`` ...)."""
        key = {s["stage"]: s["key"] for s in self.stages}[name]
        return self.out / "stages" / name / key

    def timings(self) -> pd.DataFrame:
        """Stage timings as a table."""
        return pd.DataFrame(self.stages)[["stage", "cached", "seconds"]]


@dataclass
class _Run:
    """The state a truth check or the report reads: the spec, the inputs, the stages that ran."""

    spec: Spec
    inputs: Inputs
    out: Path
    runner: StageRunner
    dname: str
    multiverse: dict | None = None      # what the multiverse's variants ran (smtext.study.multiverse)

    def stage_dir(self, name: str) -> Path:
        return self.runner.path(name)


def study_inputs(spec: Spec, world: str | Path | None, data: str | Path | None = None) -> Inputs:
    """The study's inputs: the demo world's layout under ``world`` (if given), the spec's ``data:``
    (relative to ``world``, else to the spec file's folder) and a declaration file (relative to itself)."""
    declared = resolve(spec.get("data") or {}, world if world is not None else (spec.folder or Path.cwd()))
    if data is not None:
        declared.update(read_declaration(data))
    return Inputs(world, declared)


def matching_options(spec: Spec, world: str | Path | None) -> tuple[dict, dict]:
    """The treatment's matching options with absolute paths, and the hashes of the files they name.

    A relative path is looked up in the spec's folder, then the world folder, then the working
    directory; SM706 naming the spec line when it is in none of them.
    """
    from ..manifest import file_sha256

    opts, hashes = matching_of(spec.get("treatment")), {}
    path = ("treatment", 0) if isinstance(spec.get("treatment"), list) else ("treatment",)
    for key in ("overrides", "subsidiaries"):
        value = opts.get(key)
        if not isinstance(value, str):
            continue
        bases = [b for b in (spec.folder, world, Path.cwd()) if b is not None]
        found = next((Path(b) / value for b in bases if (Path(b) / value).is_file()), None)
        if found is None:
            raise spec.error("SM706", path + (key,), f"treatment {key} file {value!r} is not in "
                             f"{[str(b) for b in bases]}.", "give a path relative to the spec file's folder.")
        opts[key] = str(found.resolve())
        hashes[key] = file_sha256(found)
    return opts, hashes


def run_study(spec: Spec | str | Path, world: str | Path | None, out: str | Path, *, data: str | Path | None = None,
              jobs: int = 2, scheduler: str | None = None, force: bool = False) -> StudyResult:
    """Execute a study spec on a world folder and write tables, figures, panel and report.

    Parameters
    ----------
    spec : Spec, str or Path
        A loaded spec, a YAML path, or a bundled spec name (``"paper000"``, ``"demo"``).
    world : path or None
        Folder of the inputs in the demo world's layout (:data:`smtext.study.inputs.DEMO_DATA`:
        ``data/financials.parquet``, ``data/pilot_list.csv`` ..., ``reports/annual``); inputs
        the spec's ``data:`` or ``data`` declare are read from where they say. None: only the
        declared inputs.
    data : path, optional
        A data-declaration file (YAML; see :mod:`smtext.study.inputs`): your CSMAR / CNRDS / Wind
        exports, pilot list and report folders, with their column maps.
    out : path
        Output folder (created).
    jobs : int
        Worker processes for PDF extraction and counting.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:port``): PDF extraction runs on that cluster
        instead of the local pool, with identical results.
    force : bool
        Re-run every stage even when cached.

    Returns
    -------
    StudyResult
    """
    spec = spec if isinstance(spec, Spec) else load(spec)
    inputs, out = study_inputs(spec, world, data), Path(out)
    inputs.check(spec)
    with output_folder(out, "smtext run"):
        return _run_study(spec, world, out, inputs, data, jobs, scheduler, force)


def _run_study(spec: Spec, world, out: Path, inputs: Inputs, data, jobs: int, scheduler: str | None,
               force: bool) -> StudyResult:
    from ..text.pdf import EXTRACTOR_VERSION

    started = time.perf_counter()
    runner = StageRunner(out, force=force)
    tables_hash = inputs.tables_hash()
    env = Env(inputs, jobs, scheduler)
    measures = spec.get("measures") or {}
    dname = designs(spec.get("treatment"))[0].get("dname", "DID")
    sample = spec.get("sample") or {}
    matching, matching_files = matching_options(spec, world)
    runner.run("panel", stage_panel(inputs), {"sample": {k: sample.get(k) for k in PANEL_RULES if k in sample},
               "treatment": spec.get("treatment") or {}, "matching": matching},
               extra_key={"inputs": tables_hash, **({"matching": matching_files} if matching_files else {})},
               version=STAGE_VERSION)
    for name in ("pilot_review.csv", "pilot_match_summary.json", "pilot_matches.csv"):   # beside the tables
        shutil.copy2(runner.path("panel") / name, out / name)
    pilot_matching = runner.records["panel"].info.get("pilot_matching", {})

    def measure(r: StageRunner, config: dict) -> list[str]:
        """Run the measure stages of ``config`` on ``r``; the names of the data set's inputs."""
        deps = ["panel"]
        for entry in MEASURES.entries():   # registration order, whatever the spec's order
            if entry.name not in config:
                continue
            if entry.meta.get("reports") and inputs.extract_dir(entry.meta["reports"]) is None:
                # the reports it counts: scanned and extracted once, cached (a declared extraction is reused)
                folder = entry.meta["reports"]
                r.run("corpus", stage_corpus(env, folder), {},
                      extra_key={"inputs": tables_hash, "reports": inputs.folder_fingerprint(folder)})
                r.run("extract", stage_extract(env, folder), {"backend": "pdfium", "version": EXTRACTOR_VERSION},
                      deps=("corpus",))
            folders = {f: inputs.folder_fingerprint(f) for f in (*entry.meta.get("folders", ()),
                                                                 *([entry.meta["reports"]] if entry.meta.get("reports") else []))}
            stage_deps = tuple(d for d in entry.meta.get("deps", ()) if d in r.records)
            params = config[entry.name] or {}
            if entry.meta.get("params"):   # options as run (a user lexicon: absolute path and hash, in the cache key)
                params = entry.meta["params"](spec, params)
            r.run(entry.name, entry.func(env), params, deps=stage_deps,
                  extra_key={"inputs": tables_hash, **folders}, version=STAGE_VERSION)
            deps.append(entry.name)
        return deps

    def dataset(r: StageRunner, deps: list[str]) -> Path:
        return r.run("dataset", stage_dataset(spec), {"variables": spec.get("variables") or {},
                     "where": sample.get("where"), "dropna": sample.get("dropna"),
                     **({"winsorize": sample["winsorize"]} if (sample.get("winsorize") or {}).get("columns") ==
                        "all_continuous" else {})}, deps=tuple(deps),
                     version=STAGE_VERSION)

    dataset(runner, measure(runner, measures))
    data_path = runner.path("dataset") / "dataset.parquet"
    frame = pd.read_parquet(data_path)
    labels = {**FE_LABELS, **(spec.get("labels") or {})}
    # every column reference is checked against the data set before any table is fitted, naming its spec line
    tables, figures = spec.get("tables") or {}, spec.get("figures") or {}
    for name, table in tables.items():
        check_columns(spec, ("tables", name, "where"), list(table.get("where") or {}), frame.columns, "filter column")
        for i, col in enumerate(table["columns"]):
            check_entry(spec, ("tables", name, "columns", i), col, COLUMNS, frame.columns, "twfe")
    for name, fig in figures.items():
        check_entry(spec, ("figures", name), fig, FIGURES, frame.columns)

    def content_key(cols: list[str]) -> str:
        return stable_hash(pd.util.hash_pandas_object(frame[cols], index=False).to_numpy().tobytes().hex())

    (out / "tables").mkdir(exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    for name, entry in tables.items():
        cols = {c for col in entry["columns"] for c in entry_columns(spec, col, COLUMNS, dname, "twfe")}
        cols = sorted((cols | set(entry.get("where") or {})) & set(frame.columns))
        folder = runner.run(f"table.{name}", stage_table(spec, name, data_path, dname),
                            {"table": entry, "columns": cols, "labels": labels,
                             "titles": dict((spec.get("report") or {}).get("titles", {})),
                             "layout": {k: v for k, v in (spec.get("report") or {}).items() if k in REPORT_LAYOUT},
                             "controls": dict(spec.get("controls") or {})},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        for f in (folder / "tables").glob("*"):
            shutil.copy2(f, inside(out, "tables", f.name))
    for name, entry in figures.items():
        cols = sorted(set(entry_columns(spec, entry, FIGURES, dname)) & set(frame.columns))
        folder = runner.run(f"figure.{name}", stage_figure(spec, name, data_path, dname),
                            {"figure": entry, "columns": cols, "controls": dict(spec.get("controls") or {})},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        shutil.copy2(inside(folder, "figures", f"{name}.png"), inside(out, "figures", f"{name}.png"))
    def fork() -> StageRunner:
        """A runner for one multiverse variant: the same stage folders and the stages run so far; under
        --force a configuration this run computed is reused, not computed again."""
        r = copy.copy(runner)             # shares done_keys; records of its own
        r.records = dict(runner.records)
        return r

    multiverse = run_multiverse(spec, runner, fork, measure, dataset, out, dname, labels, STAGE_VERSION)
    frame.to_parquet(out / "panel.parquet", index=False)
    from ..report import export_panel

    export_panel(frame, out / "panel.dta", labels={k: v for k, v in labels.items() if k in frame.columns})
    run = _Run(spec, inputs, out, runner, dname, multiverse.as_dict() if multiverse else None)
    truth = _truth_rows(run)
    if truth:
        (out / "truth_check.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    coded = runner.warnings()
    for w in coded:   # each coded warning once per run, with its count
        warnings.warn(w["warning"] + (f" [{w['count']} times]" if w["count"] > 1 else ""), SMWarning, stacklevel=2)
    report = write_report(run, truth, coded)
    timings = runner.timings()
    write_manifest(out / "manifest.json", build_manifest(
        f"run {spec.name}", {"spec": spec.source, "world": str(world) if world is not None else None, "data": str(data) if data else None,
                             "out": str(out), "jobs": jobs, "scheduler": scheduler, "force": force},
        inputs={"world_tables": tables_hash}, extra={"spec_hash": stable_hash(spec.data), "stages": timings,
                                                    "input_reports": {s["stage"]: s["inputs"] for s in timings
                                                                      if s.get("inputs")},
                                                    "truth": truth, "warnings": coded,
                                                    "pilot_matching": pilot_matching,
                                                    **({"multiverse": run.multiverse} if multiverse else {}),
                                                    "seconds_total": round(time.perf_counter() - started, 2)}))
    return StudyResult(out, report, timings, truth, coded, pilot_matching)


def _truth_rows(run: _Run) -> list[dict]:
    checks = run.spec.get("truth")
    if not checks or not run.inputs.exists("truth"):
        return []
    truth = json.loads(run.inputs.path("truth").read_text(encoding="utf-8"))
    rows = []
    for check in checks if isinstance(checks, list) else [checks]:
        rows += TRUTHS[check.get("kind", "estimate")].func(check, truth, run)
    return rows


__all__ = ["run_study", "StudyResult"]
