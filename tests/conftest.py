"""Shared fixtures.

``reference_dir`` points at ``../shared/reference`` (public reference data that CI
has beside the checkout); tests that use it skip cleanly when it is absent, as on
a user's fresh clone.
"""

from __future__ import annotations

import os
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
