"""The main job: the demo world end to end, as a sequence of named, cached stages.

``run_demo`` runs: world -> corpus -> extract -> text_index -> panel -> tfp ->
did -> report. Each stage writes Parquet into its own keyed folder under
``OUT/stages`` (see :mod:`smtext.stages`), so a re-run skips finished work and a
changed option re-runs only what depends on it. Later issues add stages here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from .manifest import (
    build_manifest,
    file_sha256,
    write_manifest,
)
from .stages import StageContext, StageRunner
from .text import corpus
from .text.extract import extract_documents
from .text.pdf import EXTRACTOR_VERSION


# ---------------------------------------------------------------- the demo job
def _stage_world(world: Path, cfg, jobs: int):
    def run(ctx: StageContext) -> None:
        from .demo import generate_world
        from .demo.world import GENERATOR_VERSION

        truth = world / "truth.json"
        current = json.loads(truth.read_text(encoding="utf-8")) if truth.exists() else {}
        if current.get("config") != cfg.to_dict() or current.get("generator_version") != GENERATOR_VERSION:
            generate_world(world, cfg, jobs=jobs)
            ctx.info["generated"] = True
        manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
        ctx.info["world_sha256"] = manifest.get("outputs_sha256", "")
    return run


def _stage_corpus(world: Path):
    def run(ctx: StageContext) -> None:
        found = corpus.scan(world / "reports" / "annual")
        kept, excluded = corpus.select(found, ("annual_report",))
        kept.to_parquet(ctx.dir / "manifest.parquet", index=False)
        excluded.to_csv(ctx.dir / "excluded.csv", index=False)
        ctx.info.update(found=len(found), kept=len(kept), excluded=len(excluded),
                        excluded_reasons=excluded["reason"].value_counts().to_dict())
    return run


def _stage_extract(world: Path, jobs: int, scheduler: str | None):
    def run(ctx: StageContext) -> None:
        manifest = pd.read_parquet(ctx.inputs["corpus"] / "manifest.parquet")
        documents = extract_documents(world / "reports" / "annual", manifest, ctx.dir,
                                      ctx.params["backend"], jobs, scheduler)
        documents.to_parquet(ctx.dir / "documents.parquet", index=False)
        failures = documents[documents["status"] != "ok"]
        failures.to_csv(ctx.dir / "failures.csv", index=False)
        ctx.info.update(documents=len(documents), pages=int(documents["n_pages"].sum()), failed=len(failures),
                        failure_reasons=failures["status"].value_counts().to_dict())
    return run


def run_demo(world: str | Path, out: str | Path, cfg=None, jobs: int = 2, scheduler: str | None = None,
             force: bool = False) -> Path:
    """Run the main job on the demo world; returns the path of ``report.html``.

    Parameters
    ----------
    world : path
        Demo world folder; generated (with ``cfg``) when missing or made with another config.
    out : path
        Output folder (``report.html``, ``tables/``, ``figures/``, ``stages/``, ``manifest.json``).
    cfg : WorldConfig, optional
    jobs : int
        Local worker processes for corpus stages.
    scheduler : str, optional
        Dask scheduler address; corpus stages then run on the cluster (same results).
    force : bool
        Ignore the stage cache.
    """
    from .demo import WorldConfig

    cfg = cfg or WorldConfig()
    world, out = Path(world), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runner = StageRunner(out, force=force)
    started = time.perf_counter()
    # the world stage is cheap to key: its output is a pure function of the config
    from .demo.world import GENERATOR_VERSION

    runner.run("world", _stage_world(world, cfg, jobs), {"config": cfg.to_dict(), "world": str(world.resolve()),
                                                         "generator": GENERATOR_VERSION})
    world_hash = runner.records["world"].info.get("world_sha256", "")
    runner.run("corpus", _stage_corpus(world), {}, deps=("world",), extra_key={"world": world_hash})
    runner.run("extract", _stage_extract(world, jobs, scheduler), {"backend": "pdfium", "version": EXTRACTOR_VERSION},
               deps=("corpus",))
    from .demo_job import run_measure_and_estimate

    report = run_measure_and_estimate(runner, world, out, cfg, jobs)
    write_manifest(out / "manifest.json", build_manifest(
        "demo run", {"world": str(world), "out": str(out), "jobs": jobs, "scheduler": scheduler, "force": force,
                     "config": cfg.to_dict()},
        seeds={"world": cfg.seed}, inputs={"world_truth": file_sha256(world / "truth.json"), "world": world_hash},
        extra={"stages": runner.timings(), "seconds_total": round(time.perf_counter() - started, 2)}))
    return report
