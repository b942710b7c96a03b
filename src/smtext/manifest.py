"""Run manifests: what ran, with which versions, parameters, seeds and inputs.

Every command writes one (AEA replication guidance asks for exactly this), so
that a table can be traced back to the code and data that made it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

# Packages whose versions change results; recorded when installed.
TRACKED_PACKAGES = (
    "smtext", "numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "statsmodels",
    "pyfixest", "pypdfium2", "pdfplumber", "reportlab", "pyahocorasick", "jieba",
    "rjieba", "gensim", "matplotlib", "csdid", "linearmodels",
)


def package_versions(names=TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names``; absent packages are left out."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so memory stays bounded."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_hashes(root: str | Path, paths: list[str], cache: str | Path | None = None) -> list[str | None]:
    """sha256 of many files, remembered between runs.

    Parameters
    ----------
    root : str or Path
        Folder the ``paths`` are relative to.
    paths : list of str
        Relative file paths.
    cache : str or Path, optional
        A Parquet file of earlier hashes keyed by path, size, modification time, inode
        and status-change time (ctime); a file whose key is unchanged is not read again.
        Rewriting a file's bytes changes its ctime even when its size and mtime are kept
        (``touch -r``, ``cp -p``), and ctime cannot be set back, so changed content is
        always hashed anew. Written back (atomically) with the current files; a cache that
        cannot be read is ignored (SM121) and rebuilt.

    Returns
    -------
    list of str or None
        Hex digests in the order of ``paths``; None for a file that cannot be read
        (permissions, I/O error), which the caller reports (SM118) and which is never cached.
    """
    import os

    import pandas as pd

    from .errors import warn

    root = Path(root)
    known: dict = {}
    columns = ["path", "bytes", "mtime_ns", "inode", "ctime_ns", "sha256"]
    if cache is not None and Path(cache).exists():
        try:
            old = pd.read_parquet(cache)
            known = {tuple(r[:-1]): r[-1] for r in old[columns].itertuples(index=False, name=None)}
        except KeyError:
            known = {}          # written by an older smtext (no inode / ctime): hash everything again
        except Exception as exc:    # noqa: BLE001 - a torn cache file costs a re-hash, never the run
            warn("SM121", f"the hash cache {cache} cannot be read ({type(exc).__name__}); files are hashed again.",
                 "nothing to do; it is rewritten.")
    rows, out = [], []
    for rel in paths:
        try:
            st = (root / rel).stat()
            key = (rel, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            digest = known.get(key) or file_sha256(root / rel)
        except OSError:
            out.append(None)
            continue
        rows.append((*key, digest))
        out.append(digest)
    if cache is not None:
        cache = Path(cache)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.tmp")
        pd.DataFrame(rows, columns=columns).to_parquet(tmp, index=False)
        os.replace(tmp, cache)
    return out


def tree_sha256(root: str | Path, pattern: str = "*") -> str:
    """One sha256 over every file under ``root`` matching ``pattern``.

    The hash covers relative paths and contents in sorted order, so it is
    independent of the order the file system lists them in.
    """
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(file_sha256(path).encode())
    return h.hexdigest()


def stable_hash(obj: Any) -> str:
    """sha256 of a JSON-serialisable object with sorted keys (parameters, options)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_manifest(command: str, parameters: dict, seeds: dict | None = None,
                   inputs: dict[str, str] | None = None, extra: dict | None = None) -> dict:
    """Assemble a manifest dictionary.

    Parameters
    ----------
    command : str
        The command or API call that ran (``"demo run"``).
    parameters : dict
        Every option that changes the result.
    seeds : dict, optional
        Random seeds by purpose.
    inputs : dict, optional
        Input name -> sha256 (use :func:`file_sha256` or :func:`tree_sha256`).
    extra : dict, optional
        Anything else worth keeping (stage timings, counts).
    """
    return {
        "command": command,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "parameters": parameters,
        "seeds": seeds or {},
        "inputs": inputs or {},
        **(extra or {}),
    }


def write_manifest(path: str | Path, manifest: dict) -> Path:
    """Write ``manifest`` as pretty UTF-8 JSON and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path
