"""The spec vocabulary, registered once: every measure, variable operation, table column kind,
figure kind and truth check is a ``name -> function`` entry with its option schema.

Validation (:mod:`smtext.study.spec`), ``smtext run --check``, the columns a table or figure
uses (for its cache key and for SM704 messages) and the reference page printed by
``smtext run --help-spec`` are all derived from these schemas, so they cannot drift apart.

An :class:`Option` has a *kind* that says both how its value is checked and whether it names
data columns:

=============  ==============================================================================
kind           value
=============  ==============================================================================
``column``     one column of the analysis data
``columns``    a list of columns (``[a]`` for one)
``operands``   a list of columns or numbers (``diff: [year, 2011]``)
``controls``   a named control set, a list of columns, or ``none``
``fe``         a list of fixed effects (``[industry]``); ``a^b`` interacts two columns
``where``      ``{column: value | [values] | {not: value}}``: rows to keep
``str``        text; ``int``, ``float`` (a finite number, within ``min`` / ``max``), ``bool``
``choice``     one of ``choices``;  ``choices``: a list, each one of ``choices``
``pair``       two numbers ``[a, b]`` with a <= b (a window, limits, years)
``list``       a list of any values;  ``mapping``: a mapping of any values
``options``    a mapping checked against the nested ``schema``
``any``        anything (checked by the function that uses it)
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# option kinds whose values name data columns (checked against the data, part of cache keys)
DATA_OPTION_KINDS = ("column", "columns", "operands", "controls", "fe", "where")


@dataclass(frozen=True)
class Option:
    """One key of a spec mapping.

    Attributes
    ----------
    name : str
        The key.
    kind : str
        How the value is checked (see the module docstring).
    doc : str
        One line for the reference page.
    required : bool
        The key must be present.
    default : object
        Value used when the key is absent (documentation only; the function applies it).
    choices : tuple
        Allowed values of a ``choice`` / ``choices`` option.
    schema : tuple of Option
        Keys of a nested ``options`` mapping.
    min, max : float, optional
        Bounds of an ``int`` / ``float`` value (inclusive); counts of draws, replications and
        grid points have a ``max`` so that a typo cannot allocate without end.
    """

    name: str
    kind: str
    doc: str
    required: bool = False
    default: Any = None
    choices: tuple = ()
    schema: tuple = ()
    min: float | None = None
    max: float | None = None


MAX_DRAWS = 100_000       # placebo draws, permutations, bootstrap replications
MAX_SEED = 2**32 - 1      # numpy seeds


@dataclass(frozen=True)
class Entry:
    """A registered vocabulary item: its name, function, documentation and option schema.

    For variable operations ``arg`` describes the operation's argument instead of a mapping
    of options (``log: total_assets`` takes one column; ``hhi: {column, by}`` a mapping).
    ``meta`` holds what the driver needs besides the function (e.g. a measure's output file).
    """

    name: str
    func: Callable
    doc: str
    schema: tuple = ()
    arg: Option | None = None
    meta: dict = field(default_factory=dict)


class Registry:
    """``name -> Entry`` for one part of the spec vocabulary (measures, variables, ...)."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, doc: str, schema: tuple = (), arg: Option | None = None, **meta):
        """Decorator: register ``func`` under ``name`` with its documentation and options."""
        def add(func: Callable) -> Callable:
            if name in self._entries:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._entries[name] = Entry(name, func, doc, tuple(schema), arg, dict(meta))
            return func
        return add

    def __getitem__(self, name: str) -> Entry:
        return self._entries[name]

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def entries(self) -> list[Entry]:
        return list(self._entries.values())


MEASURES = Registry("measure")
VARIABLES = Registry("variable operation")
COLUMNS = Registry("column kind")
FIGURES = Registry("figure kind")
TRUTHS = Registry("truth check")


def columns_in(option: Option, value) -> list[str]:
    """The data columns an option's value names (empty for options that name none).

    ``controls`` are resolved by the caller (they may name a control set).
    """
    if value is None:
        return []
    if option.kind == "column":
        return [value] if isinstance(value, str) else []
    if option.kind in ("columns", "operands"):
        return [v for v in value if isinstance(v, str)]
    if option.kind == "fe":
        return [part for f in value for part in str(f).split("^")]
    if option.kind == "where":
        return list(value) if isinstance(value, dict) else []
    if option.kind == "options" and isinstance(value, dict):
        return [c for o in option.schema for c in columns_in(o, value.get(o.name))]
    return []


__all__ = ["Option", "Entry", "Registry", "MEASURES", "VARIABLES", "COLUMNS", "FIGURES", "TRUTHS", "DATA_OPTION_KINDS",
           "MAX_DRAWS", "MAX_SEED",
           "columns_in"]
