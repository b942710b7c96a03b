"""Exact batch partialling-out of fixed effects and controls (Frisch-Waugh-Lovell).

Shared by the placebo batch solver and the IV diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyfixest.core.demean import demean

from smtext.errors import SMError


class FEProjector:
    """Partial fixed effects and controls out of columns, exactly and in batch.

    The first fixed effect (the unit) is removed by exact group demeaning;
    the remaining fixed effects (year, industry x year, ...) have few levels,
    so their dummies are unit-demeaned once and, together with the unit-
    demeaned controls, turned into an orthonormal basis ``Q``. By the
    Frisch-Waugh-Lovell theorem ``M x = W x - Q Q' W x`` (``W`` = unit
    demeaning) is then the exact residual of ``x`` on all fixed effects and
    controls -- no iteration, no tolerance. When the small fixed effects have
    more than ``max_dummies`` levels in total, the alternating-projections
    demeaner of pyfixest is used instead (tolerance ``tol``).

    Parameters
    ----------
    fe_codes : numpy.ndarray
        ``(n, k)`` integer codes of the fixed effects, unit first.
    controls : numpy.ndarray, optional
        ``(n, p)`` controls.
    """

    def __init__(self, fe_codes: np.ndarray, controls: np.ndarray | None = None, tol: float = 1e-10,
                 max_dummies: int = 3000):
        fe_codes = np.asarray(fe_codes, dtype=np.int64).reshape(len(fe_codes), -1)
        self.n = fe_codes.shape[0]
        self.tol = tol
        unit = fe_codes[:, 0]
        self.sorted = bool(np.all(unit[1:] >= unit[:-1]))
        self.order = np.arange(self.n) if self.sorted else np.argsort(unit, kind="stable")
        su = unit[self.order]
        self.starts = np.flatnonzero(np.r_[True, su[1:] != su[:-1]])
        self.counts = np.diff(np.r_[self.starts, self.n])
        rest = fe_codes[:, 1:]
        levels = [int(c.max()) + 1 for c in rest.T]
        self.exact = sum(levels) <= max_dummies
        blocks = []
        if self.exact:
            for c, L in zip(rest.T, levels):
                dm = np.zeros((self.n, L))
                dm[np.arange(self.n), c] = 1.0
                blocks.append(self._unit_demean(dm))
        else:
            self.fe = np.ascontiguousarray(fe_codes, dtype=np.uint64)
        if controls is not None and controls.shape[1]:
            blocks.append(self.demean(np.asarray(controls, dtype=float)) if not self.exact
                          else self._unit_demean(np.asarray(controls, dtype=float)))
        self.Q = None
        if blocks:
            Z = np.hstack(blocks)
            # Orthonormal basis of span(Z) from the eigen-decomposition of the small Gram
            # matrix Z'Z (k x k): Q = Z V diag(1/sqrt(s)). Dummies of each FE sum to a
            # constant, so Z is rank deficient; directions with negligible eigenvalues
            # are dropped. Cheaper than a pivoted QR of the tall Z (which dominated the
            # permutation loop) and accurate to ~1e-10 for the well-scaled columns here.
            scale = np.sqrt((Z**2).sum(axis=0))
            scale[scale == 0] = 1.0
            Zs = Z / scale
            s, V = np.linalg.eigh(Zs.T @ Zs)
            keep = s > 1e-10 * s.max()
            Q = Zs @ (V[:, keep] / np.sqrt(s[keep]))
            # one re-orthogonalisation pass removes the round-off of the Gram route
            s2, V2 = np.linalg.eigh(Q.T @ Q)
            self.Q = np.ascontiguousarray(Q @ (V2 / np.sqrt(s2)))

    def _unit_demean(self, x: np.ndarray) -> np.ndarray:
        X = x.reshape(self.n, -1)
        if self.sorted:
            # rows already grouped by unit: no gather/scatter copies
            means = np.add.reduceat(X, self.starts, axis=0) / self.counts[:, None]
            return X - np.repeat(means, self.counts, axis=0)
        X = X[self.order]
        means = np.add.reduceat(X, self.starts, axis=0) / self.counts[:, None]
        X = X - np.repeat(means, self.counts, axis=0)
        out = np.empty_like(X)
        out[self.order] = X
        return out

    def demean(self, x: np.ndarray) -> np.ndarray:
        """Copy of ``x`` (2-D) with all fixed effects removed (iterative path)."""
        X = np.ascontiguousarray(x.reshape(self.n, -1), dtype=np.float64)
        out, ok = demean(X, self.fe, np.ones(self.n), tol=self.tol, maxiter=100_000)
        if not ok:
            raise SMError("SM526", "demeaning by the fixed effects did not converge.")
        return out

    def residualise(self, x: np.ndarray) -> np.ndarray:
        """Residual of ``x`` (1-D or 2-D) on all fixed effects and controls."""
        one = x.ndim == 1
        X = np.asarray(x, dtype=float).reshape(self.n, -1)
        xd = self._unit_demean(X) if self.exact else self.demean(X)
        if self.Q is not None:
            xd = xd - self.Q @ (self.Q.T @ xd)
        return xd[:, 0] if one else xd


def fe_codes(d: pd.DataFrame, specs: Sequence[str]) -> np.ndarray:
    cols = []
    for s in specs:
        parts = s.split("^")
        key = d[parts[0]].astype(str)
        for p in parts[1:]:
            key = key + "\x1f" + d[p].astype(str)
        cols.append(pd.factorize(key)[0])
    return np.column_stack(cols)
