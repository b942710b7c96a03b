"""Import hygiene of ``smtext.indicators``: every module imports, and no import circle.

A circle of relative imports works or fails depending on which module is imported first
(the old ``tfp``/``tfp_gmm``/``tfp_wrdg`` trio imported each other, two of the imports
hidden inside functions), so the graph is read from the source with ``ast`` (imports
inside functions included) rather than trusted to a lucky import order.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import smtext

INDICATORS = Path(smtext.__file__).parent / "indicators"


def _module_name(path: Path) -> str:
    rel = path.relative_to(INDICATORS.parent.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _relative_imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports with ``from .`` / ``from ..`` (anywhere in it)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        if node.module:
            out.add(f"{base}.{node.module}")
        else:   # from . import a, b: each is a submodule or a name of the package itself
            for alias in node.names:
                sub = f"{base}.{alias.name}".replace(".", "/")
                is_module = (INDICATORS.parent.parent / f"{sub}.py").exists() or \
                    (INDICATORS.parent.parent / sub / "__init__.py").exists()
                out.add(f"{base}.{alias.name}" if is_module else base)
    return out


def _graph() -> dict[str, set[str]]:
    files = sorted(INDICATORS.rglob("*.py"))
    mods = {_module_name(f) for f in files}
    return {_module_name(f): {m for m in _relative_imports(f) if m in mods} - {_module_name(f)} for f in files}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}   # 1 on the current path, 2 done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_no_import_cycle_inside_indicators():
    graph = _graph()
    assert "smtext.indicators.tfp._estimate" in graph   # the walk sees the tfp package
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_tfp_estimators_import_only_common():
    # imports flow from the package and its dispatcher down to the estimators, and from
    # those to _common only
    graph = _graph()
    tfp = "smtext.indicators.tfp"
    for est in ("linear", "proxy", "wooldridge", "gmm", "_bootstrap"):
        assert graph[f"{tfp}.{est}"] <= {f"{tfp}._common"}, (est, graph[f"{tfp}.{est}"])
    assert graph[f"{tfp}._common"] == set() and graph[f"{tfp}._results"] == set()


def test_every_indicators_module_imports_first():
    # each module imported first in a fresh set of smtext modules: an order-dependent
    # circle raises ImportError here
    names = sorted(_graph())
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    for m in [m for m in sys.modules if m == 'smtext' or m.startswith('smtext.')]:\n"
            "        del sys.modules[m]\n"
            "    importlib.import_module(name)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_smtext_module_imports():
    names = [m.name for m in pkgutil.walk_packages(smtext.__path__, "smtext.") if not m.name.endswith("__main__")]
    assert "smtext.indicators.tfp.proxy" in names
    for name in names:
        importlib.import_module(name)


def test_tfp_lives_under_indicators_only():
    from smtext.indicators import tfp

    assert tfp.estimate.__module__ == "smtext.indicators.tfp._estimate"
    assert set(tfp.STUDY_METHODS) <= set(tfp.METHODS)
    with pytest.raises(AttributeError):
        smtext.tfp   # noqa: B018 - the old alias is gone
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("smtext.tfp")
