"""Locate the project's ``lexicons/`` folder (a top-level folder, not package data)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import SMError


def lexicon_dir() -> Path:
    """Return the folder holding smtext's lexicon CSVs.

    Looks first at the repository root (``src/smtext/patents/_paths.py`` ->
    ``<root>/lexicons``, the editable-install case), then at
    ``<sys.prefix>/share/smtext/lexicons`` (a wheel install).

    Raises
    ------
    SMError
        SM301 when neither folder exists.
    """
    candidates = [Path(__file__).resolve().parents[3] / "lexicons",
                  Path(sys.prefix) / "share" / "smtext" / "lexicons"]
    for path in candidates:
        if path.is_dir():
            return path
    raise SMError("SM301", f"the lexicons folder was not found (looked in {[str(c) for c in candidates]}).",
                  "reinstall smtext, or pass the lexicon file path explicitly (path=...).")


def lexicon_path(name: str) -> Path:
    """Path of lexicon ``name`` inside :func:`lexicon_dir`; SM301 when the file is missing."""
    path = lexicon_dir() / name
    if not path.is_file():
        raise SMError("SM301", f"lexicon file {path} does not exist.",
                      "reinstall smtext, or pass the lexicon file path explicitly (path=...).")
    return path
