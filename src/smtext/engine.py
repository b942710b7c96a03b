"""Run a function over many inputs: serially, on a local process pool, or on Dask.

Results come back in input order whatever the engine, so serial, pool and Dask
runs give identical output. :func:`run_batches` adds resumability: results are
written in numbered Parquet parts, each part atomically (temporary file, then
rename), so a job killed at any point re-runs only the parts that are missing
and never duplicates a row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
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


def _map(func: Callable, items: list, jobs: int | None, scheduler: str | None, advance, chunksize: int = 8) -> list:
    jobs = default_jobs() if jobs is None else jobs
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise SMError("SM003", "a Dask scheduler was given but dask.distributed is not installed.",
                          'pip install "dask[distributed]"') from exc
        with Client(scheduler) as client:
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
                collect: bool = True) -> pd.DataFrame | list[Path]:
    """Apply ``func`` (item -> record dict) to ``items`` in resumable batches.

    Parts ``part-00000.parquet`` ... are written to ``out_dir``; parts already
    present are skipped, so a killed job resumes where it stopped. Callers must
    pass ``items`` in a stable order and a fresh ``out_dir`` whenever the items
    or options change (the stage cache does this by keying the folder).

    Only one batch of records is in memory at a time; pass ``collect=False`` to
    get the part paths instead of one concatenated frame (for corpora larger
    than memory, read them with :func:`iter_parts`).

    Returns
    -------
    DataFrame or list of Path
        All records in input order, or the part files in order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = list(items)
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    todo = [(k, b) for k, b in enumerate(batches) if not (out_dir / f"part-{k:05d}.parquet").exists()]
    jobs = default_jobs() if jobs is None else jobs
    pool = ProcessPoolExecutor(max_workers=jobs) if (jobs > 1 and not scheduler and todo) else None
    try:
        with bar(description, len(items)) as advance:
            advance(len(items) - sum(len(b) for _, b in todo))
            for k, batch in todo:
                if pool is not None:
                    records = list(pool.map(func, batch, chunksize=max(1, len(batch) // (4 * jobs))))
                else:
                    records = _map(func, batch, 1 if not scheduler else jobs, scheduler, lambda n=1: None)
                tmp = out_dir / f".part-{k:05d}.parquet.tmp"
                pd.DataFrame.from_records(records).to_parquet(tmp, index=False)
                os.replace(tmp, out_dir / f"part-{k:05d}.parquet")
                advance(len(batch))
    finally:
        if pool is not None:
            pool.shutdown()
    paths = [out_dir / f"part-{k:05d}.parquet" for k in range(len(batches))]
    if not collect:
        return paths
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True) if paths else pd.DataFrame()


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
