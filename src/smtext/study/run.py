"""Run a study spec (:mod:`smtext.study.spec`) end to end through cached stages.

Stage graph (each a :class:`smtext.stages.StageRunner` stage under ``OUT/stages``)::

    panel ─┬─ tfp ────────┐
           ├─ patents ────┤
    corpus ─ extract ─ text ─ dataset ─┬─ table.<name>  (one per table)
    city ─────────────────┘            ├─ figure.<name> (one per figure)
                                       └─ report (always rebuilt; cheap)

Measurement stages are keyed by their own options and the world's data files.
Tables and figures are keyed by their spec entry and a hash of the *content of
the columns they use*, not by the whole data set: re-measuring one variable
(a TFP method, a lexicon) re-runs its measurement stage and the data set, then
only the tables and figures whose columns changed.

Outputs: ``OUT/tables/<name>.{md,html,tex,xlsx,docx}``, ``OUT/figures/<name>.png``,
``OUT/panel.parquet`` and ``OUT/panel.dta``, ``OUT/report.html``,
``OUT/truth_check.json`` (when the spec names a truth to compare with) and
``OUT/manifest.json`` (versions, spec hash, stage timings).
"""


import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import SMError
from ..manifest import build_manifest, stable_hash, write_manifest
from .spec import Spec, load
from ..stages import StageRunner
from .common import FE_LABELS, STAGE_VERSION, _reports_fingerprint, _world_hash
from .measures import (stage_city, stage_extras, stage_nml, stage_panel, stage_patents, stage_robots,
                       stage_subsidies, stage_text, stage_tfp, stage_trade)
from .models import check_entry, used_columns
from .outputs import stage_figure, stage_table
from .report import truth_check, write_report
from .variables import stage_dataset


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
    truth : dict or None
        Truth check (estimate, CI, planted effect, covered) when the spec asks for one.
    """

    out: Path
    report: Path
    stages: list
    truth: dict | None

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


def run_study(spec: Spec | str | Path, world: str | Path, out: str | Path, *, jobs: int = 2,
              force: bool = False) -> StudyResult:
    """Execute a study spec on a world folder and write tables, figures, panel and report.

    Parameters
    ----------
    spec : Spec, str or Path
        A loaded spec, a YAML path, or a bundled spec name (``"paper000"``).
    world : path
        Folder with ``data/`` (financials, firms, pilot list, patents, city tables)
        and, when the spec has text measures, ``reports/annual``.
    out : path
        Output folder (created).
    jobs : int
        Worker processes for PDF extraction and counting.
    force : bool
        Re-run every stage even when cached.

    Returns
    -------
    StudyResult
    """
    from ..text.pdf import EXTRACTOR_VERSION
    from ..pipeline import _stage_corpus, _stage_extract

    spec = spec if isinstance(spec, Spec) else load(spec)
    world, out = Path(world), Path(out)
    if not (world / "data").is_dir():
        raise SMError("SM706", f"{world} has no data/ folder.", "pass --world with a generated demo world.")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runner = StageRunner(out, force=force)
    wh = _world_hash(world)
    measures = spec.get("measures") or {}
    treat = spec.get("treatment") or {}
    dname = treat.get("dname", "DID")
    sample = spec.get("sample") or {}
    runner.run("panel", stage_panel(world), {"sample": {k: sample.get(k) for k in
               ("years", "drop_st", "drop_financial", "winsorize", "manufacturing") if k in sample},
               "treatment": treat}, extra_key={"world": wh}, version=STAGE_VERSION)
    deps = ["panel"]
    if "tfp" in measures:
        runner.run("tfp", stage_tfp(), measures["tfp"], deps=("panel",), version=STAGE_VERSION)
        deps.append("tfp")
    if "patents" in measures:
        runner.run("patents", stage_patents(world), measures["patents"] or {}, extra_key={"world": wh},
                   version=STAGE_VERSION)
        deps.append("patents")
    if "text" in measures:
        runner.run("corpus", _stage_corpus(world), {},
                   extra_key={"world": wh, "reports": _reports_fingerprint(world / "reports" / "annual")})
        runner.run("extract", _stage_extract(world, jobs, None), {"backend": "pdfium", "version": EXTRACTOR_VERSION},
                   deps=("corpus",))
        runner.run("text", stage_text(jobs), measures["text"], deps=("extract",), version=STAGE_VERSION)
        deps.append("text")
    if "city" in measures:
        runner.run("city", stage_city(world), measures["city"] or {}, extra_key={"world": wh}, version=STAGE_VERSION)
        deps.append("city")
    if "nml" in measures:
        reports = {k: _reports_fingerprint(world / "reports" / k) for k in ("analyst", "gov")}
        runner.run("nml", stage_nml(world, jobs), measures["nml"] or {}, extra_key={"reports": reports},
                   version=STAGE_VERSION)
        deps.append("nml")
    for name, body in (("extras", stage_extras), ("trade", stage_trade), ("robots", stage_robots),
                       ("subsidies", stage_subsidies)):
        if name in measures:
            runner.run(name, body(world), measures[name] or {}, extra_key={"world": wh}, version=STAGE_VERSION)
            deps.append(name)
    runner.run("dataset", stage_dataset(spec), {"variables": spec.get("variables") or {},
               "where": sample.get("where"), "dropna": sample.get("dropna")}, deps=tuple(deps), version=STAGE_VERSION)
    data_path = runner.path("dataset") / "dataset.parquet"
    data = pd.read_parquet(data_path)
    labels = {**FE_LABELS, **(spec.get("labels") or {})}
    # validate every reference before fitting anything: a typo fails in a second, naming its line
    entries = [(("tables", n, "columns", i), col) for n, t in (spec.get("tables") or {}).items()
               for i, col in enumerate(t["columns"])]
    entries += [(("figures", n), f) for n, f in (spec.get("figures") or {}).items()]
    for path, entry in entries:
        check_entry(spec, path, entry, data.columns, dname)

    def content_key(cols: list[str]) -> str:
        return stable_hash(pd.util.hash_pandas_object(data[cols], index=False).to_numpy().tobytes().hex())

    (out / "tables").mkdir(exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    for name, entry in (spec.get("tables") or {}).items():
        cols = sorted({c for col in entry["columns"] for c in used_columns(spec, col, dname)} & set(data.columns))
        folder = runner.run(f"table.{name}", stage_table(spec, name, data_path, dname),
                            {"table": entry, "columns": cols, "labels": labels,
                             "titles": dict((spec.get("report") or {}).get("titles", {})),
                             "controls": dict(spec.get("controls") or {})},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        for f in (folder / "tables").glob("*"):
            shutil.copy2(f, out / "tables" / f.name)
    for name, entry in (spec.get("figures") or {}).items():
        cols = sorted(set(used_columns(spec, entry, dname)) & set(data.columns))
        folder = runner.run(f"figure.{name}", stage_figure(spec, name, data_path, dname),
                            {"figure": entry, "columns": cols, "controls": dict(spec.get("controls") or {})},
                            extra_key={"data": content_key(cols)}, version=STAGE_VERSION)
        shutil.copy2(folder / "figures" / f"{name}.png", out / "figures" / f"{name}.png")
    data.to_parquet(out / "panel.parquet", index=False)
    from ..report import export_panel

    export_panel(data, out / "panel.dta", labels={k: v for k, v in labels.items() if k in data.columns})
    truth = truth_check(spec, runner, world)
    if truth:
        (out / "truth_check.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    timings = runner.timings()
    report = write_report(spec, runner, out, truth, timings)
    write_manifest(out / "manifest.json", build_manifest(
        f"run {spec.name}", {"spec": spec.source, "world": str(world), "out": str(out), "jobs": jobs, "force": force},
        inputs={"world_data": wh}, extra={"spec_hash": stable_hash(spec.data), "stages": timings, "truth": truth,
                                          "seconds_total": round(time.perf_counter() - started, 2)}))
    return StudyResult(out, report, timings, truth)


__all__ = ["run_study", "StudyResult"]

