"""Multicollinearity check: variance inflation factors of a regression's regressors (Stata ``estat vif``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn

from ._prepare import as_tuple

__all__ = ["vif"]

#: the rule of thumb the papers quote: VIF above 10 signals harmful collinearity
VIF_LIMIT = 10.0


def vif(data: pd.DataFrame, columns: Sequence[str], *, limit: float = VIF_LIMIT) -> pd.DataFrame:
    """Variance inflation factor of each regressor, as Stata's ``estat vif`` after ``regress``.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows of the regression.
    columns : sequence of str
        Regressors (treatment and controls; at least two). A constant is
        always included in the auxiliary regressions.
    limit : float
        VIF above which a regressor is flagged (10, the usual rule of thumb).

    Returns
    -------
    pandas.DataFrame
        Index ``variable`` (in the order given, largest VIF first as Stata
        sorts it), columns ``VIF``, ``1/VIF`` (the tolerance ``1 - R2_j``) and
        ``flag`` (VIF above ``limit``). ``attrs`` holds ``mean_vif``, ``nobs``
        and ``dropped`` (rows with a missing regressor, left out).

    Notes
    -----
    ``VIF_j = 1 / (1 - R2_j)`` with ``R2_j`` from regressing regressor j on the
    others and a constant; equivalently the diagonal of the inverse correlation
    matrix of the regressors. A regressor that is an exact linear combination
    of the others has an infinite VIF (reported as ``inf`` with a warning).

    Raises
    ------
    SMError
        SM582: fewer than two regressors, no complete rows, or a regressor
        without variation.
    """
    cols = list(as_tuple(columns))
    require_columns(data, cols)
    if len(cols) < 2:
        raise SMError("SM582", f"a VIF needs at least two regressors, got {cols}.",
                      "list the treatment and the controls of the regression.")
    X = data[cols].apply(pd.to_numeric, errors="coerce")
    complete = X.notna().all(axis=1)
    dropped = int((~complete).sum())
    if dropped:
        warn("SM503", f"VIF: left out {dropped} rows with a missing regressor (of {len(X)}).")
    X = X.loc[complete].to_numpy(float)
    if len(X) <= len(cols):
        raise SMError("SM582", f"VIF: {len(X)} complete rows for {len(cols)} regressors.",
                      "check the regressors' missing values.")
    sd = X.std(axis=0)
    const = [c for c, s in zip(cols, sd) if s == 0]
    if const:
        raise SMError("SM582", f"VIF: no variation in {const}.", "drop constant regressors from the check.")
    Z = (X - X.mean(axis=0)) / sd
    # R2_j of each auxiliary regression through its residual sum of squares (stable when near-collinear)
    out = np.empty(len(cols))
    for j in range(len(cols)):
        others = np.delete(Z, j, axis=1)
        beta, *_ = np.linalg.lstsq(others, Z[:, j], rcond=None)
        ssr = float(np.sum((Z[:, j] - others @ beta) ** 2))
        tol = ssr / float(np.sum(Z[:, j] ** 2))
        out[j] = np.inf if tol < 1e-12 else 1.0 / tol
    if np.isinf(out).any():
        bad = [c for c, v in zip(cols, out) if np.isinf(v)]
        warn("SM583", f"VIF: {bad} are exact linear combinations of the other regressors (VIF infinite).",
             "drop one of the collinear regressors.")
    res = pd.DataFrame({"VIF": out, "1/VIF": 1.0 / out, "flag": out > limit},
                       index=pd.Index(cols, name="variable")).sort_values("VIF", ascending=False, kind="stable")
    res.attrs.update({"mean_vif": float(np.mean(out)), "nobs": len(X), "dropped": dropped,
                      "limit": float(limit)})
    return res
