"""Run a function over many inputs: serially, on a local process pool, or on Dask.

Results come back in input order whatever the engine, so serial, pool and Dask
runs give identical output. :func:`run_batches` adds resumability: results are
written in numbered Parquet parts named by a hash of their inputs, each part
atomically (temporary file, then rename), so a job killed at any point re-runs
only the parts that are missing, never duplicates a row and never reuses a
result whose input changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import SMError
from .progress import bar


def default_jobs() -> int:
    """Worker processes to use by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


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
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for res in pool.map(func, items, chunksize=chunksize):
            out.append(res)
            advance()
    return out


def run_batches(func: Callable[[object], dict], items: Sequence, out_dir: str | Path, batch_size: int = 64,
                jobs: int | None = None, scheduler: str | None = None, description: str = "working",
                collect: bool = True, keys: Sequence[str] | None = None) -> pd.DataFrame | list[Path]:
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
    todo = [k for k, path in enumerate(paths) if not path.exists()]
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
        with ProcessPoolExecutor(max_workers=jobs) as pool:
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
