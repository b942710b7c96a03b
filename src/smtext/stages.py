"""Named, cached pipeline stages.

A stage is a function that writes its outputs into its own folder. Its cache
key hashes the stage name, its version, its parameters and the keys of the
stages it depends on, so changing one measurement re-runs that stage and
everything downstream of it, and nothing else. Each key gets its own folder
(``stages/<name>/<key>``): a stage killed half-way resumes inside that folder,
and outputs made with other parameters are never mixed in. A stage's record
(``_stage.json``) is written last and atomically; a record that cannot be read is
not trusted: the stage runs again (SM121). A stage whose output holds failures that
may not recur (``ctx.retry``, e.g. an extraction timeout) is not recorded: the next
run calls it again, and it redoes only the failed work.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import SMError, SMWarning, warn
from .manifest import stable_hash


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder/parts...`` resolved, refused (SM712) unless it lies inside ``folder``.

    Every file a study writes under its output folder is named through this check, so that a name
    such as ``../../elsewhere/x`` or ``/tmp/x`` cannot write outside it (names are also checked
    when the spec is validated, SM703).
    """
    root = Path(folder).resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents or path == root and parts:
        raise SMError("SM712", f"{'/'.join(map(str, parts))!r} would be written outside the output folder {root}.",
                      "name tables, figures and studies with letters, digits, '_' and '-' only.")
    return path


def code_fingerprint(func) -> str:
    """Hash of a stage function's bytecode and constants (an edited stage body re-runs).

    Functions it calls are not covered: bump the stage ``version`` when they change
    its output.
    """
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    parts = [code.co_code.hex(), repr([c for c in code.co_consts if not hasattr(c, "co_code")])]
    parts += [code_fingerprint(type("f", (), {"__code__": c})) for c in code.co_consts if hasattr(c, "co_code")]
    return stable_hash(parts)


@dataclass
class StageContext:
    """What a stage function gets: its folder, its parameters and its inputs' folders."""

    name: str
    dir: Path
    params: dict
    inputs: dict[str, Path]
    info: dict = field(default_factory=dict)  # the stage may record counts here (goes into the manifest)
    # True when the output holds failures that may not recur (a timeout): the stage runs again next time
    retry: bool = False


@dataclass
class StageRecord:
    name: str
    key: str
    dir: Path
    cached: bool
    seconds: float
    info: dict


def _finished(done: Path, key: str) -> dict | None:
    """The ``info`` of a stage record, or None when the record is torn or belongs to another key."""
    try:
        record = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("key") != key or not isinstance(record.get("info", {}), dict):
        return None
    return record.get("info", {})


class StageRunner:
    """Runs stages in order, skipping those whose key matches a finished run.

    Parameters
    ----------
    root : Path
        Output folder; stages live under ``root / "stages"``.
    force : bool
        Re-run every stage even when cached.
    """

    def __init__(self, root: str | Path, force: bool = False):
        self.root = Path(root)
        self.force = force
        self.records: dict[str, StageRecord] = {}

    def run(self, name: str, func: Callable[[StageContext], None], params: dict | None = None,
            deps: tuple[str, ...] = (), version: str = "1", extra_key: dict | None = None,
            cache: bool = True) -> Path:
        """Run (or reuse) stage ``name`` and return its folder.

        Parameters
        ----------
        func : callable
            ``func(ctx)`` writes the stage's files into ``ctx.dir``.
        params : dict
            Options that change the stage's output (part of the key, passed as ``ctx.params``).
        deps : tuple of str
            Names of stages already run whose outputs this stage reads.
        version : str
            Bump when the stage's code changes its output.
        extra_key : dict, optional
            Anything else the output depends on (input file hashes).
        cache : bool
            False for stages that must always run (cheap ones writing outside their folder).
        """
        params = params or {}
        key = stable_hash({"name": name, "version": version, "params": params, "extra": extra_key or {},
                           "code": code_fingerprint(func), "smtext": __version__,
                           "deps": {d: self.records[d].key for d in deps}})[:16]
        folder = inside(self.root, "stages", name, key)
        done = folder / "_stage.json"
        start = time.perf_counter()
        if done.exists() and not self.force and cache:
            info = _finished(done, key)
            if info is not None:
                self.records[name] = StageRecord(name, key, folder, True, 0.0, info)
                return folder
            # a torn record (disk full, copied mid-write) says nothing about the folder: redo the stage
            warn("SM121", f"the record {done} of stage {name} cannot be read; the stage runs again.",
                 "nothing to do; if this recurs, check the disk (full, or files copied while being written).")
            shutil.rmtree(folder)
        if (self.force or not cache) and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ctx = StageContext(name, folder, params, {d: self.records[d].dir for d in deps})
        caught: list = []
        finished = False
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SMWarning)
                func(ctx)
            finished = True
        finally:
            for w in caught:  # other libraries' warnings go on as usual; coded ones too when the stage failed
                if not finished or not issubclass(w.category, SMWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        coded = Counter(str(w.message) for w in caught if issubclass(w.category, SMWarning))
        if coded:  # kept in the stage record, so a cached stage still reports them
            ctx.info["warnings"] = [{"warning": m, "count": n} for m, n in coded.items()]
        seconds = time.perf_counter() - start
        if ctx.retry:
            # no record: the next run calls the stage again (it reuses its folder's finished work), and
            # the stages reading it are keyed by what it found, so they follow when a retry succeeds
            self.records[name] = StageRecord(name, f"{key}-{stable_hash(ctx.info)[:8]}", folder, False, seconds,
                                             ctx.info)
            return folder
        # temporary file, then rename: a killed run never leaves half a record that later runs would trust
        tmp = done.with_name(f".{done.name}.tmp")
        tmp.write_text(json.dumps({"name": name, "key": key, "params": params, "seconds": round(seconds, 3),
                                   "info": ctx.info}, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, done)
        self.records[name] = StageRecord(name, key, folder, False, seconds, ctx.info)
        return folder

    def warnings(self) -> list[dict]:
        """Coded warnings of every stage of this run (cached ones too), each once with its count."""
        total: Counter = Counter()
        for r in self.records.values():
            for w in r.info.get("warnings", []):
                total[w["warning"]] += w["count"]
        return [{"warning": m, "count": n} for m, n in total.items()]

    def path(self, name: str) -> Path:
        """Folder of a stage that has run."""
        return self.records[name].dir

    def timings(self) -> list[dict]:
        """One row per stage: name, key, cached, seconds and the stage's info."""
        return [{"stage": r.name, "key": r.key, "cached": r.cached, "seconds": round(r.seconds, 2), **r.info}
                for r in self.records.values()]
