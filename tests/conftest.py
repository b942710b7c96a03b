"""Shared fixtures.

``reference_dir`` points at ``../shared/reference`` (public reference data that CI
has beside the checkout); tests that use it skip cleanly when it is absent, as on
a user's fresh clone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _reference_root() -> Path:
    env = os.environ.get("SMTEXT_REFERENCE")
    return Path(env) if env else ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder of public reference data; skips the test when it is not there."""
    path = _reference_root()
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``path`` (one generator per world across xdist workers)."""
    try:
        import fcntl
    except ImportError:                      # no fcntl (Windows): each worker generates its own copy
        yield False
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """Factory of generated demo worlds shared by every module and xdist worker of a run.

    ``demo_world(n_firms=80, seed=7)`` returns the folder of
    ``generate_world(folder, WorldConfig(n_firms=80, seed=7), documents=True)``;
    a second call with the same arguments, from any module or worker, returns the
    same folder without generating again (the world generator is deterministic, so
    sharing changes no test's input). Tests must treat the folder as read-only.
    """
    from smtext.demo import WorldConfig, generate_world

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                   # the run's folder, shared by the workers
    root = base / "shared_worlds"
    root.mkdir(exist_ok=True)

    def get(*, documents: bool = True, **config) -> Path:
        key = "-".join(f"{k}={v}" for k, v in sorted(config.items())) or "default"
        key += "" if documents else "-nodocs"
        path = root / key
        with _locked(root / f"{key}.lock") as shared:
            if not shared:                   # without a lock every caller generates its own copy
                path = Path(tmp_path_factory.mktemp("world"))
                generate_world(path, WorldConfig(**config), jobs=2, documents=documents)
            elif not path.is_dir():
                partial = root / f"{key}.partial"
                shutil.rmtree(partial, ignore_errors=True)
                generate_world(partial, WorldConfig(**config), jobs=2, documents=documents)
                partial.rename(path)         # whole or absent: a worker never sees half a world
        return path

    return get


def r_has(*packages: str) -> bool:
    """True when Rscript runs and can load every package (R peer tests skip otherwise)."""
    import shutil
    import subprocess

    if shutil.which("Rscript") is None:
        return False
    code = "; ".join(f"suppressMessages(library({p}))" for p in packages) or "invisible(0)"
    try:
        return subprocess.run(["Rscript", "-e", code], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
