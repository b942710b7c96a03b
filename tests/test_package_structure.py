"""The package's shape: no import cycles, data flowing one way between packages, modules named by
their job, one study driver. Read from the source with ``ast`` (imports inside functions count too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

BASE = {"smtext", "errors", "manifest", "progress", "engine", "stages"}
# package -> the packages it may import (besides itself and BASE): data flows files (io) -> text/records ->
# measures -> estimates -> reports -> studies, never back; the demo world uses none of the code it tests;
# indicators may use patents' firm-name matcher (supply-chain partners are matched as applicants are)
ALLOWED = {
    "io": set(), "text": set(), "patents": {"text", "io"}, "panel": set(), "indicators": {"panel", "text", "io", "patents"},
    "did": {"panel"}, "report": set(), "demo": set(),
    "study": {"text", "patents", "panel", "indicators", "did", "report", "io"},
    "cli": {"text", "patents", "panel", "indicators", "did", "report", "study", "demo", "io"},
    "__main__": {"cli"},
}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for p in (SRC / "smtext").rglob("*.py"):
        parts = p.relative_to(SRC).with_suffix("").parts
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return mods


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, (p, is_pkg) in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t.startswith("smtext") and t != m:
                    graph[m].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "smtext"


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_packages_import_only_downstream():
    bad = []
    for m, targets in _graph().items():
        src = _package(m)
        if src in BASE:
            allowed = BASE
        else:
            allowed = BASE | ALLOWED[src] | {src}
        bad += [f"{m} -> {t}" for t in targets if _package(t) not in allowed]
    assert bad == []


def test_every_package_is_placed():
    assert {_package(m) for m in _modules()} <= BASE | set(ALLOWED)


def test_modules_are_named_by_their_job_not_their_history():
    history = re.compile(r"(^|_)(part\d*|v\d+|old|new|legacy|tmp|misc|utils?|helpers?)($|_)")
    assert [m for m in _modules() if history.search(m.rpartition(".")[2])] == []


def test_one_study_driver():
    """Only smtext.study.run builds a stage runner: the main job and `smtext run` share it."""
    users = []
    for m, (p, _) in _modules().items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "StageRunner":
                users.append(m)
    assert users == ["smtext.study.run"]
