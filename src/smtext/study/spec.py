"""A study spec file: safe YAML with the line of every value, and checks against option schemas.

A spec is parsed with PyYAML's ``SafeLoader`` (no Python objects can be built from it)
through ``yaml.compose``, so every value keeps the line it was written on. Errors then name
the spec file and line (``paper000.yaml:42: table 'table3_baseline' column 1 ...``) instead
of failing deep inside an estimator. What a spec may contain is not listed here: it is the
registered vocabulary (:mod:`smtext.study.registry`), checked by
:func:`smtext.study.vocabulary.validate` through :func:`check_options`.

Error codes: SM701 (cannot read / not YAML), SM702 (unknown or missing key), SM703 (a value
of the wrong type or not allowed), SM704 (a column the data lacks), SM705 (duplicate key).
"""

from __future__ import annotations

import dataclasses

import difflib
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ..errors import SMError
from ..io import safe_yaml
from .registry import Option


@dataclass(frozen=True)
class Spec:
    """A parsed study spec: plain data plus the line of every value.

    Attributes
    ----------
    data : dict
        The spec as plain Python values.
    source : str
        File name used in messages.
    lines : dict
        Key path (tuple of keys / list positions) -> 1-based line number.
    folder : str, optional
        Folder of the spec file (a ``data:`` section's paths are relative to it when no world is
        given); None for bundled specs and specs parsed from text.
    """

    data: dict
    source: str = "<spec>"
    lines: dict = field(default_factory=dict, repr=False)
    folder: str | None = None

    @property
    def name(self) -> str:
        return str(self.data.get("study", Path(self.source).stem))

    def line(self, *path) -> int | None:
        """Line of the value at ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def where(self, *path) -> str:
        """``file:line`` of the value at ``path`` (for messages)."""
        line = self.line(*path)
        return f"{self.source}:{line}" if line else self.source

    def error(self, code: str, path: tuple, message: str, fix: str | None = None) -> SMError:
        """An :class:`SMError` whose message starts with ``file:line``."""
        return SMError(code, f"{self.where(*path)}: {message}", fix)

    def get(self, key: str, default=None):
        return self.data.get(key, default)


def _walk(node, path: tuple, lines: dict, source: str) -> None:
    """Record the line of every value under ``node`` (and reject duplicate keys)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise SMError("SM705", f"{source}:{key_node.start_mark.line + 1}: key {key!r} appears twice "
                              f"(first on line {seen[key]}).", "keep one of them.")
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, source)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, source)


def parse(text: str, source: str = "<spec>") -> Spec:
    """Parse spec text safely (bounded ``yaml.SafeLoader``), recording lines; no vocabulary check.

    Aliases that expand beyond :data:`smtext.io.safe_yaml.MAX_NODES` values, recursive aliases
    and nesting too deep to follow are refused (SM701).

    Parameters
    ----------
    text : str
        YAML text.
    source : str
        Name shown in error messages.
    """
    node, data = safe_yaml.compose(text, source, "SM701")
    if not isinstance(data, dict):
        raise SMError("SM701", f"{source}: a spec must be a mapping of keys (study, sample, tables ...).")
    lines: dict = {}
    _walk(node, (), lines, source)
    return Spec(data, source, lines)


def read(path: str | Path) -> Spec:
    """Parse a spec file, or a bundled spec by name (``"paper000"``, ``"demo"``); no vocabulary check."""
    p = Path(path)
    own = True
    if not p.exists() and p.suffix == "" and str(path) in bundled():
        p, own = Path(str(resources.files("smtext.study.specs") / f"{path}.yaml")), False
    if not p.exists():
        raise SMError("SM701", f"spec file {path} does not exist.",
                      f"pass a YAML file or one of the bundled specs {bundled()}.")
    spec = parse(safe_yaml.read_text(p, "spec file", "SM701"), source=str(p.name))
    return dataclasses.replace(spec, folder=str(p.resolve().parent)) if own else spec


def bundled() -> list[str]:
    """Names of the specs shipped with smtext (``smtext run paper000`` works without a path)."""
    folder = resources.files("smtext.study.specs")
    return sorted(Path(str(f)).stem for f in folder.iterdir() if str(f).endswith(".yaml"))


# ---------------------------------------------------------------- checks against a schema
def unknown_key(spec: Spec, path: tuple, key, allowed, what: str) -> SMError:
    """SM702 for a key that is not among ``allowed``, with the closest name as a hint."""
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return spec.error("SM702", path + (key,), f"unknown key {key!r} in {what}.", f"{hint}allowed keys: {list(allowed)}.")


def not_allowed(spec: Spec, path: tuple, value, allowed, what: str) -> SMError:
    """SM703 for a value that is not among ``allowed``, with the closest one as a hint."""
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return spec.error("SM703", path, f"{what}={value!r} is not allowed.", f"{hint}choose one of {list(allowed)}.")


def mapping(spec: Spec, path: tuple, value, what: str) -> dict:
    """``value`` as a mapping (``None`` -> ``{}``); SM703 when it is something else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise spec.error("SM703", path, f"{what} must be a mapping, got {type(value).__name__}.")
    return value


def _is_number(v) -> bool:
    """A finite int or float (not a bool, not inf or nan)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_value(spec: Spec, path: tuple, option: Option, value) -> None:
    """SM703 (naming the line) when ``value`` does not fit ``option``'s kind."""
    name, kind = option.name, option.kind

    def bad(expected: str) -> SMError:
        return spec.error("SM703", path, f"{name} must be {expected}, got {value!r}.")

    if kind in ("str", "column") and not isinstance(value, str):
        raise bad("a text value" if kind == "str" else "a column name")
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise bad("a whole number")
    if kind == "float" and not _is_number(value):
        raise bad("a finite number")
    if kind in ("int", "float"):
        low, high = option.min, option.max
        if (low is not None and value < low) or (high is not None and value > high):
            span = (f"between {low:,} and {high:,}" if low is not None and high is not None
                    else f"at least {low:,}" if low is not None else f"at most {high:,}")
            raise spec.error("SM703", path, f"{name} must be {span}, got {value:,}.")
    if kind == "bool" and not isinstance(value, bool):
        raise bad("true or false")
    if kind in ("columns", "fe") and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise bad("a list of column names ([a, b], also for one column)")
    if kind == "operands" and not (isinstance(value, list) and all(isinstance(v, str) or _is_number(v) for v in value)):
        raise bad("a list of columns or numbers")
    if kind == "controls" and not (value in (None, False) or isinstance(value, str)
                                   or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
        raise bad("a control set name, a list of columns or none")
    if kind == "pair" and not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)
                               and value[0] <= value[1]):
        raise bad("[FIRST, LAST] with FIRST <= LAST")
    if kind == "pair" and any((option.min is not None and v < option.min) or (option.max is not None and v > option.max)
                              for v in value):
        raise bad(f"[FIRST, LAST] within [{option.min}, {option.max}]")
    if kind == "choice" and value not in option.choices:
        raise not_allowed(spec, path, value, option.choices, name)
    if kind == "choices":
        if not isinstance(value, list):
            raise bad(f"a list of values from {list(option.choices)}")
        for i, v in enumerate(value):
            if v not in option.choices:
                raise not_allowed(spec, path + (i,), v, option.choices, name)
    if kind == "list" and not isinstance(value, list):
        raise bad("a list")
    if kind in ("mapping", "where") and not isinstance(value, dict):
        raise bad("a mapping")
    if kind == "options":
        check_options(spec, path, mapping(spec, path, value, name), option.schema, name)


def check_options(spec: Spec, path: tuple, value: dict, schema, what: str) -> None:
    """Check a mapping against a schema: unknown keys (SM702), missing required keys (SM702), kinds (SM703)."""
    names = [o.name for o in schema]
    for key in value:
        if key not in names:
            raise unknown_key(spec, path, key, names, what)
    for option in schema:
        if option.name in value:
            check_value(spec, path + (option.name,), option, value[option.name])
        elif option.required:
            raise spec.error("SM702", path, f"{what} lacks the key {option.name!r} ({option.doc}).")


# names that become file or folder names: tables/<name>.md, figures/<name>.png, study_<name>/
NAME = re.compile(r"[\w-]+")   # letters (CJK too), digits, _ and -; no dots, slashes or spaces
NAME_MAX = 64   # characters: a name is part of file and folder names (stages/table.<name>, tables/<name>.xlsx)


def check_name(spec: Spec, path: tuple, value, what: str) -> None:
    """SM703 (naming the line) unless ``value`` is a plain name, safe as a file name inside the output folder."""
    if not (isinstance(value, str) and NAME.fullmatch(value)):
        raise spec.error("SM703", path, f"{what} {value!r} is not a plain name: it names a file of the output "
                         "folder, so it may hold only letters, digits, '_' and '-' (no '/', '\\', '.' or spaces).",
                         "rename it, e.g. table3_baseline.")
    if len(value) > NAME_MAX:
        raise spec.error("SM714", path, f"{what} name {value[:20]!r}... has {len(value)} characters; names become "
                         f"file and folder names of the output folder, and may have at most {NAME_MAX}.",
                         "give it a shorter name, e.g. table3_baseline.")


# ---------------------------------------------------------------- references to data columns
def controls_of(spec: Spec, value) -> list[str]:
    """Resolve a ``controls`` value (a named set, a list, or none) to a list of columns."""
    if value in (None, "none", False):
        return []
    if isinstance(value, str):
        return list(spec.data.get("controls", {})[value])
    return list(value)


def check_columns(spec: Spec, path: tuple, columns, available, what: str = "column") -> None:
    """Raise SM704 naming the spec line when a referenced column is not in the data.

    Parameters
    ----------
    spec : Spec
    path : tuple
        Key path of the reference (for the line number).
    columns : iterable of str
        Column names the spec refers to.
    available : iterable of str
        Columns of the analysis data set.
    what : str
        What the reference is (``"y"``, ``"control"`` ...), for the message.
    """
    available = list(available)
    for c in columns:
        if c is not None and c not in available:
            close = difflib.get_close_matches(str(c), available, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise spec.error("SM704", path, f"{what} {c!r} is not a column of the analysis data.",
                             f"{hint}fix the name in the spec, or add it under 'variables'.")


__all__ = ["Spec", "parse", "read", "bundled", "check_options", "check_value", "controls_of", "check_columns",
           "mapping", "unknown_key", "not_allowed", "check_name"]
