"""smtext: measure Chinese firm indicators from text and records, and estimate policy effects.

Subpackages are imported lazily so that ``import smtext`` stays fast:
``smtext.did``, ``smtext.tfp``, ``smtext.demo``, ``smtext.report`` ...
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "demo", "did", "report", "indicators", "errors", "manifest", "extract", "normalize",
    "sections", "corpus", "count", "lexicon", "tokenize", "w2v", "patents", "panel",
    "pipeline", "engine", "spec", "cli",
}


def __getattr__(name):
    if name == "tfp":
        return import_module("smtext.indicators.tfp")
    if name in _SUBMODULES:
        return import_module(f"smtext.{name}")
    raise AttributeError(f"module 'smtext' has no attribute {name!r}")
