"""Locate concordance files in the project's ``lexicons/`` folder (see :func:`smtext.text.lexicon.lexicon_dir`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SMError
from ..text.lexicon import lexicon_dir


def lexicon_path(name: str) -> Path:
    """Path of lexicon ``name`` inside :func:`smtext.text.lexicon.lexicon_dir`; SM301 when the file is missing."""
    path = lexicon_dir() / name
    if not path.is_file():
        raise SMError("SM301", f"lexicon file {path} does not exist.",
                      "reinstall smtext, or pass the lexicon file path explicitly (path=...).")
    return path
