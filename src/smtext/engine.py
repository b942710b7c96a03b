"""Run a function over many inputs: serially, on a local process pool, or on Dask.

Results come back in input order whatever the engine, so serial, pool and Dask
runs give identical output. :func:`run_batches` adds resumability: results are
written in numbered Parquet parts named by a hash of their inputs, each part
atomically (temporary file, then rename), so a job killed at any point re-runs
only the parts that are missing, never duplicates a row and never reuses a
result whose input changed. An existing part is checked before it is reused (a torn or
foreign file is redone, SM121), and local pool workers exit with the process that
started them, so a killed job leaves no workers behind.

Error codes
-----------
SM121  (warning) a cached part that cannot be read (torn, truncated, wrong row count): redone
SM122  an output folder is locked by another running process (:func:`lock_folder`)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import SMError, warn
from .progress import bar


def default_jobs() -> int:
    """Worker processes to use by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


def _watch_parent(parent: int) -> None:
    """Pool-worker initializer: exit as soon as the process that started the pool is gone.

    A SIGKILLed parent cannot shut its pool down, and idle workers would wait on their
    queue forever (holding the output folder's lock). Linux delivers SIGKILL on the
    parent's death (PR_SET_PDEATHSIG); a thread watching the parent pid covers the
    rest (other systems, a parent that died before this ran).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    ppid = os.getppid()

    def alive() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return os.getppid() == ppid

    if not alive():
        os._exit(1)

    def watch():
        while alive():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="smtext-parent-watch", daemon=True).start()


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """A local process pool whose workers exit with this process (see :func:`_watch_parent`).

    Parameters
    ----------
    jobs : int
        Worker processes.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
    """
    return ProcessPoolExecutor(max_workers=jobs, initializer=_watch_parent, initargs=(os.getpid(),))


@contextmanager
def lock_folder(folder: str | Path, command: str):
    """Hold an exclusive lock on ``folder`` (file ``.smtext.lock``) while a command writes into it.

    The lock is an ``flock`` on a file in the folder: the operating system releases it when
    the holder exits or is killed, so a stale lock never blocks. The holder's pid is
    written into the file for the message of the second process.

    Parameters
    ----------
    folder : str or Path
        The output folder (created).
    command : str
        What holds it, for the message (``"smtext extract"``).

    Raises
    ------
    SMError
        SM122 when another process holds the lock.
    """
    try:
        import fcntl
    except ImportError:   # pragma: no cover - Windows: no advisory locks, run one process per folder
        yield
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".smtext.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("utf-8", "replace").strip() or "unknown"
            raise SMError("SM122", f"{folder} is in use by another {command} (pid {holder}); two runs writing one "
                                   "output folder would corrupt each other's files.",
                          "wait for that run to finish (or stop it), or pass another --out.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def parallel_map(func: Callable, items: Sequence, jobs: int | None = None, scheduler: str | None = None,
                 description: str = "working", chunksize: int = 8) -> list:
    """``[func(x) for x in items]`` on the chosen engine, in input order.

    Parameters
    ----------
    func : callable
        A picklable top-level function.
    items : sequence
        Inputs.
    jobs : int, optional
        Local worker processes; 1 runs in this process. Default: all cores.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``); when given,
        the work runs on that cluster instead of the local pool.
    """
    items = list(items)
    with bar(description, len(items)) as advance:
        return _map(func, items, jobs, scheduler, advance, chunksize)


def _dask_client(scheduler: str):
    """A client of the Dask scheduler at ``scheduler`` (SM003 when dask.distributed is missing)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise SMError("SM003", "a Dask scheduler was given but dask.distributed is not installed.",
                      'pip install "dask[distributed]"') from exc
    return Client(scheduler)


def _map(func: Callable, items: list, jobs: int | None, scheduler: str | None, advance, chunksize: int = 8) -> list:
    jobs = default_jobs() if jobs is None else jobs
    if scheduler:
        with _dask_client(scheduler) as client:
            out = client.gather(client.map(func, items, pure=False))
        advance(len(items))
        return list(out)
    if jobs <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(func(x))
            advance()
        return out
    out = []
    with process_pool(jobs) as pool:
        for res in pool.map(func, items, chunksize=chunksize):
            out.append(res)
            advance()
    return out


def run_batches(func: Callable[[object], dict], items: Sequence, out_dir: str | Path, batch_size: int = 64,
                jobs: int | None = None, scheduler: str | None = None, description: str = "working",
                collect: bool = True, keys: Sequence[str] | None = None,
                redo: Callable[[Path], bool] | None = None) -> pd.DataFrame | list[Path]:
    """Apply ``func`` (item -> record dict) to ``items`` in resumable, content-addressed batches.

    Each batch of ``batch_size`` items is written to ``out_dir`` as one Parquet
    part named by its position and a hash of its items' keys
    (``part-00003-<hash>.parquet``), atomically (temporary file, then rename).
    A part that already exists is skipped, so a job killed at any point re-runs
    only the missing parts and never duplicates a row; a changed, added or
    removed item changes the names of the affected parts, so stale results are
    never reused. Parts of earlier runs that no longer belong to the items, and
    temporary files of a killed write, are deleted at the end.

    Work is submitted item by item and at most two batches are in flight, so
    the workers stay busy across batch boundaries while memory stays bounded
    (for corpora larger than memory pass ``collect=False`` and read the parts
    with :func:`iter_parts`).

    Parameters
    ----------
    func : callable
        A picklable top-level function returning a dict (one output row).
    items : sequence
        Inputs, in a stable order.
    out_dir : str or Path
        Folder of the parts.
    batch_size : int
        Items per part.
    jobs : int, optional
        Local worker processes (1: in this process). Default: all cores.
    scheduler : str, optional
        Dask scheduler address; the work then runs on that cluster.
    description : str
        Progress-bar label.
    collect : bool
        Return one DataFrame (True) or the part paths (False).
    keys : sequence of str, optional
        One content key per item (e.g. the sha256 of an input file plus the
        options); default: a hash of the item itself.
    redo : callable, optional
        ``redo(part_path) -> bool``: an existing part for which it is True is computed
        again (e.g. one holding a timeout, a failure that may not recur; see :func:`redo_when`).

    Returns
    -------
    DataFrame or list of Path
        All records in input order, or the part files in order.
    """
    from collections import deque

    from .manifest import stable_hash

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = list(items)
    keys = [stable_hash(x) for x in items] if keys is None else list(keys)
    if len(keys) != len(items):
        raise ValueError(f"{len(keys)} keys for {len(items)} items; pass one key per item.")
    spans = [range(i, min(i + batch_size, len(items))) for i in range(0, len(items), batch_size)]
    paths = [out_dir / f"part-{k:05d}-{stable_hash([keys[i] for i in span])[:16]}.parquet"
             for k, span in enumerate(spans)]
    todo = [k for k, path in enumerate(paths) if not _reusable(path, len(spans[k]), redo)]
    with bar(description, len(items)) as advance, _submitter(jobs, scheduler, bool(todo)) as submit:
        advance(len(items) - sum(len(spans[k]) for k in todo))
        window: deque = deque()
        for k in todo:
            window.append((k, [submit(func, items[i]) for i in spans[k]]))
            if len(window) > 1:
                _write_part(paths, *window.popleft(), advance)
        while window:
            _write_part(paths, *window.popleft(), advance)
    current = set(paths)
    for stale in [*out_dir.glob("part-*.parquet"), *out_dir.glob(".part-*.tmp")]:
        if stale not in current:
            stale.unlink()
    if not collect:
        return paths
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True) if paths else pd.DataFrame()


def _reusable(path: Path, rows: int, redo: Callable[[Path], bool] | None) -> bool:
    """Whether an existing part can be reused: it reads as Parquet with ``rows`` rows, and ``redo`` spares it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        return False
    try:
        ok = pq.read_metadata(path).num_rows == rows
        if ok and redo is not None:
            return not redo(path)
    except (pa.ArrowException, OSError) as exc:
        ok, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "wrong number of rows"
    if not ok:
        warn("SM121", f"the cached part {path} cannot be used ({why}); it is computed again.",
             "nothing to do; if this recurs, check the disk (full, or files copied while being written).")
    return False


def redo_when(column: str, failed: Callable[[object], bool]) -> Callable[[Path], bool]:
    """A ``redo`` for :func:`run_batches`: redo a part when ``failed(value)`` holds for a value of ``column``.

    Parameters
    ----------
    column : str
        Column of the parts' records to look at (only it is read).
    failed : callable
        ``failed(value) -> bool`` for one value of ``column``.

    Returns
    -------
    callable
        ``redo(part_path) -> bool``.
    """
    def redo(path: Path) -> bool:
        import pyarrow.parquet as pq

        return any(failed(v) for v in pq.read_table(path, columns=[column]).column(column).to_pylist())
    return redo


def _write_part(paths: list[Path], k: int, futures: list, advance) -> None:
    records = []
    for fut in futures:
        records.append(fut.result())
        advance()
    tmp = paths[k].with_name(f".{paths[k].name}.tmp")
    pd.DataFrame.from_records(records).to_parquet(tmp, index=False)
    os.replace(tmp, paths[k])


class _Done:
    """A finished 'future' for work run in this process."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


@contextmanager
def _submitter(jobs: int | None, scheduler: str | None, needed: bool):
    """Yield ``submit(func, item) -> future`` for the chosen engine (one pool or client per run)."""
    jobs = default_jobs() if jobs is None else jobs
    if not needed:
        yield None
    elif scheduler:
        with _dask_client(scheduler) as client:
            yield lambda func, item: client.submit(func, item, pure=False)
    elif jobs > 1:
        with process_pool(jobs) as pool:
            yield pool.submit
    else:
        yield lambda func, item: _Done(func(item))


def iter_parts(paths: Sequence[Path], columns: list[str] | None = None):
    """Yield the part files one DataFrame at a time (bounded memory)."""
    for path in paths:
        yield pd.read_parquet(path, columns=columns)


def iter_chunks(items: Iterable, size: int):
    """Yield lists of at most ``size`` items."""
    chunk = []
    for x in items:
        chunk.append(x)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
