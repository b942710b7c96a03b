"""smtext: measure Chinese firm indicators from text and records, and estimate policy effects.

Subpackages are imported lazily so that ``import smtext`` stays fast:
``smtext.text``, ``smtext.patents``, ``smtext.indicators``, ``smtext.did``, ``smtext.report``,
``smtext.study``, ``smtext.demo`` ...
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "errors", "manifest", "progress", "engine", "stages", "text", "patents", "panel", "indicators", "did",
    "report", "study", "demo", "cli",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f"smtext.{name}")
    raise AttributeError(f"module 'smtext' has no attribute {name!r}")
