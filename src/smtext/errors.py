"""Coded errors and warnings.

Every error smtext raises on bad input carries a stable code ``SMxxx`` and a
fix-it message, so that a user (or a log reader) can look the code up in the
README table and act on it.

Code ranges
-----------
SM0xx  general: configuration, options, missing columns, files
       (SM010-SM039: reading your data files, smtext.io)
SM1xx  documents: corpus, PDF extraction, normalisation, sections
       (SM140-SM149: analyst-report boilerplate, smtext.text.boilerplate)
SM2xx  text measures: lexicons, counting, tokenising, Word2Vec
SM3xx  patents and IPC codes
SM4xx  firm indicators and panels (TFP, constraints, composites)
SM5xx  difference-in-differences and other estimators
SM6xx  reporting: tables, figures, exports
SM7xx  study specs and pipelines
SM9xx  demo world
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence


class SMError(Exception):
    """An smtext error with a code and a fix-it hint.

    Parameters
    ----------
    code : str
        Stable code such as ``"SM001"``.
    message : str
        What went wrong, in terms of the user's data.
    fix : str, optional
        What the user can do about it.
    """

    def __init__(self, code: str, message: str, fix: str | None = None):
        self.code = code
        self.message = message
        self.fix = fix
        text = f"{code}: {message}"
        if fix:
            text += f" Fix: {fix}"
        super().__init__(text)


class NotIdentified(SMError):
    """The data cannot identify the quantity asked for: a treatment absorbed by the fixed effects
    (SM502), too few rows to estimate a production function (SM410).

    A caller that estimates many groups catches this type to report and skip a group, and lets
    every other error through.
    """


class SMWarning(UserWarning):
    """A coded warning; the code is the first token of the message."""


def warn(code: str, message: str, fix: str | None = None, stacklevel: int = 2) -> None:
    """Emit an :class:`SMWarning` with a code and an optional fix."""
    text = f"{code}: {message}" + (f" Fix: {fix}" if fix else "")
    warnings.warn(text, SMWarning, stacklevel=stacklevel + 1)


def require_columns(data, columns: Iterable[str], what: str = "data") -> None:
    """Raise SM001 naming every column of ``columns`` missing from ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
        The table to check.
    columns : iterable of str
        Column names that must be present.
    what : str
        Name of the table in the message (for example ``"financial panel"``).
    """
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise SMError(
            "SM001",
            f"{what} lacks column(s) {missing}; it has {list(data.columns)[:20]}.",
            "rename the columns or pass the right names as arguments.",
        )


def check_option(name: str, value, allowed: Sequence) -> None:
    """Raise SM002 when ``value`` is not one of ``allowed`` (Literal-style check)."""
    if value not in allowed:
        raise SMError(
            "SM002",
            f"{name}={value!r} is not allowed; choose one of {list(allowed)}.",
        )
