"""Shared input preparation for the part-1 DID estimators.

pyfixest formulas need identifier-like column names; users' columns may be
Chinese, contain spaces or clash with formula syntax. We therefore copy the
needed columns under safe aliases (``v0, v1, ...``) and map results back.
Rows with missing values in any used column are dropped here -- and reported --
rather than silently inside the estimator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn


def as_tuple(x) -> tuple:
    """``None`` -> (), a string -> (string,), any iterable -> tuple."""
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    return tuple(x)


def fe_columns(fe: Iterable[str]) -> list[str]:
    """Column names used by FE specs such as ``"industry^year"``."""
    cols: list[str] = []
    for f in fe:
        for part in f.split("^"):
            if part not in cols:
                cols.append(part)
    return cols


class Prepared:
    """Complete-case copy of the data under safe aliases.

    Attributes
    ----------
    data : pandas.DataFrame
        Only the used columns, renamed to aliases, complete cases only.
    alias : dict
        Original name -> alias.
    n_dropped : int
        Rows dropped for missing values.
    kept_index : pandas.Index
        Index labels (of the user's frame) of the rows kept.
    """

    def __init__(self, data: pd.DataFrame, columns: Sequence[str], what: str = "panel",
                 code: str = "SM503"):
        cols = [c for c in dict.fromkeys(columns) if c is not None]
        require_columns(data, cols, what)
        self.alias = {c: f"v{i}" for i, c in enumerate(cols)}
        sub = data.loc[:, cols]
        keep = sub.notna().all(axis=1)
        # infinite values are as unusable as missing ones (log of zero ...)
        num = sub.select_dtypes(include=[np.number])
        if num.shape[1]:
            keep &= np.isfinite(num.to_numpy(dtype=float)).all(axis=1)
        self.n_dropped = int((~keep).sum())
        if self.n_dropped:
            bad = [c for c in cols if sub[c].isna().any()]
            warn(code, f"dropped {self.n_dropped} of {len(sub)} rows with missing or infinite values "
                       f"in {bad or cols}.", "fill or filter these rows first if that is not intended.",
                 stacklevel=3)
        sub = sub.loc[keep]
        if sub.empty:
            raise SMError("SM501", f"no complete rows left in the {what} for columns {cols}.",
                          "check the column names and missing values.")
        self.kept_index = sub.index
        self.data = sub.rename(columns=self.alias).reset_index(drop=True)

    def a(self, name: str) -> str:
        """Alias of one column."""
        return self.alias[name]

    def fe(self, spec: str) -> str:
        """Alias form of an FE spec such as ``"industry^year"``."""
        return "^".join(self.alias[p] for p in spec.split("^"))

    def back(self, names: Iterable[str]) -> list[str]:
        """Original names from aliases (terms that are not aliases pass through)."""
        inv = {v: k for k, v in self.alias.items()}
        return [inv.get(n, n) for n in names]


def check_binary(values: pd.Series, name: str) -> None:
    """Raise SM500 unless ``values`` only holds 0 and 1 (missing allowed)."""
    u = pd.unique(values.dropna())
    if not set(np.asarray(u, dtype=float).tolist()) <= {0.0, 1.0}:
        raise SMError("SM500", f"treatment column {name!r} must be 0/1; found values {sorted(u)[:10]}.",
                      "build it with smtext.did.firm_treatment or (x > 0).astype(int).")
