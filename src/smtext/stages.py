"""Named, cached pipeline stages.

A stage is a function that writes its outputs into its own folder. Its cache
key hashes the stage name, its version, its parameters and the keys of the
stages it depends on, so changing one measurement re-runs that stage and
everything downstream of it, and nothing else. Each key gets its own folder
(``stages/<name>/<key>``): a stage killed half-way resumes inside that folder,
and outputs made with other parameters are never mixed in. A stage's record
(``_stage.json``) is written last and atomically and lists the stage's files with their sizes
and sha256; a record that cannot be read, or a listed file that is missing or changed, is not
trusted: the stage runs again (SM121). A stage whose output holds failures that
may not recur (``ctx.retry``, e.g. an extraction timeout) is not recorded: the next
run calls it again, and it redoes only the failed work.

Error codes
-----------
SM121  (warning) a stage record that cannot be read, or a file it lists that is missing or changed: redone
SM123  an output folder that is an existing file (or cannot be created)
SM712  a path that would leave the output folder (a name with path parts, a symbolic link to elsewhere)
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import SMError, SMWarning, warn
from .manifest import file_sha256, stable_hash


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder/parts...`` resolved, refused (SM712) unless it lies inside ``folder``.

    Every file a command writes under its output folder is named through this check, so that a name
    such as ``../../elsewhere/x`` or ``/tmp/x``, or a subfolder that is a symbolic link to another
    place, cannot write outside it (names are also checked when the spec is validated, SM703).
    """
    root = Path(folder).resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents or path == root and parts:
        shown = "/".join(map(str, parts))
        link = _first_link(root, parts)
        if link is not None:
            raise SMError("SM712", f"{shown!r} would be written outside the output folder {root}: {link} is a "
                                   f"symbolic link to {link.resolve()}, so the file would land in {path}.",
                          f"remove the link {link} (or pass another --out); smtext writes only inside the output "
                          "folder.")
        raise SMError("SM712", f"{shown!r} would be written outside the output folder {root} (it resolves to "
                               f"{path}).", "name tables, figures and studies with letters, digits, '_' and '-' only.")
    return path


def _first_link(root: Path, parts: tuple) -> Path | None:
    """The first of ``root/parts...``'s folders (or itself) that is a symbolic link, if any."""
    here = root
    for part in Path(*map(str, parts)).parts if parts else ():
        here = here / part
        if here.is_symlink():
            return here
    return None


def output_path(folder: str | Path, *parts: str, mkdir: bool = False) -> Path:
    """``inside(folder, *parts)`` for a command's output file; with ``mkdir`` its folder is created first.

    The parent folders are created one at a time and checked again, so a symbolic link among them
    is refused (SM712) before anything is written through it.
    """
    path = inside(folder, *parts)
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
        path = inside(folder, *parts)
    return path


def check_output_folder(folder: str | Path) -> Path:
    """The output folder ``folder``, created; refused when it cannot hold a command's files.

    SM123 when ``folder`` is an existing file (or its parent is); SM712 when a file or subfolder
    in it is a symbolic link that leads outside it (a command writing ``work/``, ``figures/`` or
    ``model/`` would follow the link and write elsewhere). Linked PDFs are inputs, never written,
    and are allowed (a folder of reports extracted into itself), as is anything in a hidden folder
    (``.venv``, ``.git``: smtext writes none).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SMError("SM123", f"the output folder {folder} is an existing file, not a folder.",
                      "pass a folder with --out (a new name is created), or move the file away.")
    _parents_are_folders(folder, f"the output folder {folder} cannot be created")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SMError("SM123", f"the output folder {folder} cannot be created ({exc.strerror or exc}).",
                      "pass a folder you can write with --out.") from None
    root = folder.resolve()
    for here, dirs, files in os.walk(root):   # links are listed, never followed
        dirs[:] = [d for d in dirs if not d.startswith(".")]   # hidden folders (.venv, .git) are never written
        for name in [*dirs, *files]:
            path = Path(here) / name
            if path.is_symlink() and not (name in files and path.suffix.lower() == ".pdf"):   # a linked PDF is an input
                target = path.resolve()
                if target != root and root not in target.parents:
                    raise SMError("SM712", f"{path} is a symbolic link to {target}, outside the output folder "
                                           f"{root}: files written there would land outside it.",
                                  f"remove the link {path} (or pass another --out); smtext writes only inside the "
                                  "output folder.")
    return folder


def _parents_are_folders(path: Path, what: str) -> None:
    """SM123 when an existing parent of ``path`` is a file (so nothing can be created below it)."""
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise SMError("SM123", f"{what}: {parent} is a file, not a folder.", "pass a path whose folders are folders.")


def check_output_file(path: str | Path) -> Path:
    """An output file's path, its folder created; SM123 when the path is a folder or a parent is a file."""
    path = Path(path)
    if path.is_dir():
        raise SMError("SM123", f"the output file {path} is an existing folder.",
                      "pass a file name with --out, e.g. out/sa.parquet.")
    _parents_are_folders(path, f"the output file {path} cannot be written")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def output_folder(folder: str | Path, command: str, lock: bool = True):
    """:func:`check_output_folder`, then hold the folder's lock (SM122) while ``command`` writes it."""
    from .engine import lock_folder

    folder = check_output_folder(folder)
    if not lock:
        yield folder
        return
    with lock_folder(folder, command):
        yield folder


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
    """The stage record (a dict with ``info``), or None when it is torn or belongs to another key."""
    try:
        record = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("key") != key or not isinstance(record.get("info", {}), dict):
        return None
    if not isinstance(record.get("files", {}), dict):
        return None
    record.setdefault("info", {})
    return record


def _outputs(folder: Path) -> dict:
    """Every file a stage wrote in its folder (not its record): relative path -> size, mtime and sha256."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.name == "_stage.json" and path.parent == folder or path.name.startswith(".") or not path.is_file():
            continue
        st = path.stat()
        files[path.relative_to(folder).as_posix()] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                                      "sha256": file_sha256(path)}
    return files


def _damaged(folder: Path, files: dict) -> str | None:
    """Why the recorded output files of a stage cannot be reused (missing, other size or content), or None.

    A file's content is hashed again only when its modification time changed, so a reuse stays cheap.
    """
    for rel, meta in files.items():
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            return f"its file {rel} is missing"
        if not isinstance(meta, dict) or st.st_size != meta.get("size"):
            return f"its file {rel} has {st.st_size} bytes instead of {meta.get('size') if isinstance(meta, dict) else '?'}"
        if st.st_mtime_ns != meta.get("mtime_ns"):
            try:
                same = file_sha256(path) == meta.get("sha256")
            except OSError:
                same = False
            if not same:
                return f"its file {rel} was changed after the stage wrote it"
    return None


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
        # keys finished by this run: under force a stage is computed once per run, however often it is asked for
        self.done_keys: set[str] = set()

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
        if done.exists() and cache and (not self.force or key in self.done_keys):
            record = _finished(done, key)
            why = None if record is None else _damaged(folder, record.get("files", {}))
            if record is not None and why is None:
                self.records[name] = StageRecord(name, key, folder, True, 0.0, record["info"])
                return folder
            # a torn record (disk full, copied mid-write) says nothing about the folder, and a damaged
            # output file must not be served: redo the stage
            why = f"{why}" if why else f"its record {done} cannot be read"
            warn("SM121", f"the cached stage {name} cannot be reused ({why}); the stage runs again.",
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
                                   "info": ctx.info, "files": _outputs(folder)}, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, done)
        self.done_keys.add(key)
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
