"""Bounded safe YAML for the files a user hands smtext: study specs, data declarations, column maps.

``yaml.SafeLoader`` builds no Python objects, but it still lets a 1 KB file expand into billions
of values through nested aliases ("billion laughs"), loops through a recursive alias, and a
binary file fails with a raw ``UnicodeDecodeError``. :func:`read_text` and :func:`compose` refuse
all three with a coded :class:`~smtext.errors.SMError` (the caller's code: SM701 for specs and
declarations, SM031 for column maps):

* a file larger than :data:`MAX_BYTES`, with NUL bytes, or not UTF-8 text;
* a document whose values, aliases expanded, number more than :data:`MAX_NODES`;
* an alias used inside the value it names (a recursive alias);
* nesting deeper than the parser can follow.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import SMError

MAX_BYTES = 1024 * 1024     # a spec or declaration is a few pages of YAML
MAX_NODES = 100_000         # values after expanding aliases; the bundled specs have a few thousand


def read_text(path: str | Path, what: str, code: str, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped), refusing large and non-text files with ``code``."""
    p = Path(path)
    size = p.stat().st_size
    if size > max_bytes:
        raise SMError(code, f"{what} {p.name} is {size:,} bytes (at most {max_bytes:,} bytes are read).",
                      "pass the YAML file itself, not a data file.")
    raw = p.read_bytes()
    if b"\x00" in raw:
        raise SMError(code, f"{what} {p.name} is not a text file (it holds NUL bytes).", "pass a YAML text file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SMError(code, f"{what} {p.name}:{line} is not UTF-8 text (byte {raw[e.start]:#04x}).",
                      "save the file as UTF-8.") from None


def _expanded_size(root, source: str, code: str, limit: int) -> int:
    """Number of values under ``root`` with every alias expanded; refuses recursion and ``limit``."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if done:
            visiting.discard(key)
            sizes[key] = total = 1 + sum(sizes[id(c)] for c in children)
            if total > limit:
                raise SMError(code, f"{source}:{node.start_mark.line + 1}: the YAML expands to more than {limit:,} "
                              "values through its aliases (*name).", "write the values out, without nested aliases.")
            continue
        if key in sizes:
            continue
        visiting.add(key)
        stack.append((node, True))
        for c in children:
            if id(c) in visiting:
                raise SMError(code, f"{source}:{c.start_mark.line + 1}: recursive alias: a value contains itself.",
                              "remove the alias (*name) that refers to the value it is part of.")
            if id(c) not in sizes:
                stack.append((c, False))
    return sizes[id(root)]


def compose(text: str, source: str, code: str, limit: int = MAX_NODES):
    """``(node, data)`` of one YAML document (``yaml.SafeLoader``), bounded; ``(None, None)`` when empty.

    ``node`` is the composed node tree (with the line of every value); ``data`` the plain values.
    Syntax errors, recursive or exploding aliases and too-deep nesting raise ``SMError(code)``.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = _coded(loader.get_single_node, source, code, "check indentation and quoting on that line.")
        if node is None:
            return None, None
        _expanded_size(node, source, code, limit)
        return node, _coded(lambda: loader.construct_document(node), source, code, "check the value on that line.")
    finally:
        loader.dispose()


def _coded(step, source: str, code: str, fix: str):
    """``step()`` with YAML errors (with their line) and runaway nesting as coded errors."""
    try:
        return step()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise SMError(code, f"{where}: not valid YAML ({getattr(e, 'problem', None) or e}).", fix) from None
    except RecursionError:
        raise SMError(code, f"{source}: the YAML is nested too deeply.", "flatten the nesting.") from None


def load(text: str, source: str, code: str, limit: int = MAX_NODES):
    """The plain values of one YAML document, bounded as :func:`compose`."""
    return compose(text, source, code, limit)[1]


__all__ = ["MAX_BYTES", "MAX_NODES", "compose", "load", "read_text"]
