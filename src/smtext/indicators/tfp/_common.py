"""What every TFP estimator shares: the prepared panel, polynomial terms, least squares, demeaning.

Estimator modules import from here and from nowhere else in the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
import pandas as pd

from ...errors import NotIdentified, warn


@dataclass
class Panel:
    """Numeric arrays of the usable rows; ``lag`` is the row position of t-1 (-1 none)."""

    y: np.ndarray
    F: np.ndarray
    S: np.ndarray
    P: np.ndarray
    firm: np.ndarray
    year: np.ndarray
    lag: np.ndarray

    def take(self, rows: np.ndarray, new_firm: np.ndarray, new_lag: np.ndarray) -> Panel:
        return Panel(self.y[rows], self.F[rows], self.S[rows], self.P[rows], new_firm,
                     self.year[rows], new_lag)

    def lagged(self, a: np.ndarray) -> np.ndarray:
        out = np.full(a.shape, np.nan)
        ok = self.lag >= 0
        out[ok] = a[self.lag[ok]]
        return out


def lag_positions(firm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Position of the same firm's row in ``year - 1`` (calendar lag), -1 if absent."""
    pos = pd.Series(np.arange(len(firm)), index=pd.MultiIndex.from_arrays([firm, year]))
    want = pd.MultiIndex.from_arrays([firm, year - 1])
    return pos.reindex(want).fillna(-1).to_numpy().astype(np.int64)


def prepare(data: pd.DataFrame, *, y: str, free: list[str], state: list[str], proxy: str | None,
            idname: str, tname: str, min_obs: int, uses_proxy: bool) -> tuple[Panel, int, int]:
    """The usable rows of a checked panel as a :class:`Panel`, sorted by firm and year.

    Rows with a missing or non-finite output or input are left out (SM412 warning); a
    missing proxy stays as NaN (SM413 warning when the method ``uses_proxy``).

    Returns
    -------
    (Panel, int, int)
        The panel, the number of rows left out, the number of usable rows without a proxy.
    """
    d = data.sort_values([idname, tname])
    num = d[[y] + free + state].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(num).all(axis=1)
    n_bad = int((~usable).sum())
    if n_bad:
        warn("SM412", f"{n_bad} of {len(d)} rows have a missing or infinite {[y] + free + state} "
                      "(log of zero?); they get no TFP and are left out of estimation.",
             "check the inputs were positive before taking logs.")
    du = d.loc[usable]
    if len(du) < min_obs:
        raise NotIdentified("SM410", f"only {len(du)} usable firm-years (need {min_obs}).",
                      "use more data or lower min_obs.")
    P = (pd.to_numeric(du[proxy], errors="coerce").to_numpy(dtype=float) if proxy
         else np.full(len(du), np.nan))
    n_badp = int((~np.isfinite(P)).sum()) if proxy else 0
    P = np.where(np.isfinite(P), P, np.nan)
    if n_badp and uses_proxy:
        warn("SM413", f"{n_badp} usable rows have a missing or non-finite proxy {proxy!r} "
                      "(zero investment?); they are left out of the proxy stages but still get TFP.",
             None)
    firm = pd.factorize(du[idname])[0]
    year = du[tname].to_numpy().astype(np.int64)
    p = Panel(du[y].to_numpy(float), du[free].to_numpy(float), du[state].to_numpy(float), P,
              firm, year, lag_positions(firm, year))
    return p, n_bad, n_badp


def poly_basis(X: np.ndarray, degree: int) -> np.ndarray:
    """All monomials of the columns of ``X`` up to total ``degree``, with a constant first.

    Columns are standardized first; that leaves the spanned space (hence fitted
    values) unchanged and keeps cubic terms well conditioned.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    mu, sd = X.mean(axis=0), X.std(axis=0)
    Z = (X - mu) / np.where(sd > 0, sd, 1.0)
    if Z.shape[1] == 1:   # the stage-2 hot path: plain powers, same columns as below
        out = np.empty((len(Z), degree + 1))
        out[:, 0] = 1.0
        for d in range(1, degree + 1):
            out[:, d] = out[:, d - 1] * Z[:, 0]
        return out
    cols = [np.ones(len(Z))]
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(Z.shape[1]), d):
            cols.append(np.prod(Z[:, list(combo)], axis=1))
    return np.column_stack(cols)


def ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (SVD, so a rank-deficient ``X`` still gives an answer)."""
    return np.linalg.lstsq(X, y, rcond=None)[0]


def demean(a: np.ndarray, codes: np.ndarray, ng: int) -> np.ndarray:
    """``a`` (vector or matrix) minus its mean within each of the ``ng`` groups ``codes``."""
    a2 = a if a.ndim == 2 else a[:, None]
    sums = np.zeros((ng, a2.shape[1]))
    np.add.at(sums, codes, a2)
    cnt = np.bincount(codes, minlength=ng)[:, None]
    out = a2 - (sums / cnt)[codes]
    return out if a.ndim == 2 else out[:, 0]
