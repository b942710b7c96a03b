"""Interactive fixed effects (Bai 2009), as used for DID in paper 004.

Bai, J. (2009). "Panel data models with interactive fixed effects."
Econometrica 77(4), 1229-1279. Number of factors by Bai and Ng (2002)
"Determining the number of factors in approximate factor models."
Econometrica 70(1), 191-221 (criterion IC_p2).

Model ``y_it = x_it' b + a_i + g_t + l_i' f_t + e_it`` on a balanced panel.
With ``additive_fe`` the data are first two-way demeaned (Bai 2009, Sec. 9).
Then the least-squares problem is solved by Bai's iteration: given b, the
factors are the first r principal components of the residual matrix; given
the factors, b is OLS on ``y - l_i' f_t``. Standard errors use Bai's
projected regressors ``Z_k = M_L X_k M_F`` (Theorem 3) with a
cluster-by-unit sandwich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.did._prepare import as_tuple, check_balanced, check_unique, prepare
from smtext.did._results import RegResult
from smtext.errors import SMError, warn


def _factors(W: np.ndarray, r: int):
    """Principal-component factors F (T x r, F'F/T = I) and loadings L (N x r)."""
    T = W.shape[1]
    if r == 0:
        return np.zeros((T, 0)), np.zeros((W.shape[0], 0))
    vals, vecs = np.linalg.eigh(W.T @ W)
    F = vecs[:, ::-1][:, :r] * np.sqrt(T)
    L = W @ F / T
    return F, L


def _fit(Y, Xs, r, tol, max_iter):
    N, T = Y.shape
    Xmat = np.column_stack([x.ravel() for x in Xs])
    XtX_inv = np.linalg.inv(Xmat.T @ Xmat)
    beta = XtX_inv @ Xmat.T @ Y.ravel()
    for it in range(max_iter):
        W = Y - sum(b * x for b, x in zip(beta, Xs))
        F, L = _factors(W, r)
        new = XtX_inv @ Xmat.T @ (Y - L @ F.T).ravel()
        if np.max(np.abs(new - beta)) < tol:
            beta = new
            break
        beta = new
    else:
        warn("SM566", f"ife(): Bai's iteration did not converge in {max_iter} steps.", "raise max_iter.")
    W = Y - sum(b * x for b, x in zip(beta, Xs))
    F, L = _factors(W, r)
    resid = W - L @ F.T
    return beta, F, L, resid, it + 1


def ife(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    dname: str,
    *,
    controls=(),
    r="auto",
    r_max: int = 5,
    additive_fe: bool = True,
    tol: float = 1e-10,
    max_iter: int = 10000,
) -> RegResult:
    """Interactive fixed-effects regression (Bai 2009).

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel.
    yname : str
        Outcome.
    tname, idname : str
        Period and unit columns.
    dname : str
        The DID treatment (first regressor).
    controls : str or sequence of str
        Further regressors.
    r : int or "auto"
        Number of factors; ``"auto"`` picks 0..r_max by Bai-Ng IC_p2.
    r_max : int
        Largest number of factors tried with ``"auto"``.
    additive_fe : bool
        Also remove additive unit and period effects.
    tol, max_iter : float, int
        Convergence of Bai's iteration.

    Returns
    -------
    RegResult
        Coefficients of ``dname`` and the controls (normal reference);
        ``extra`` has the number of factors, the IC values and iterations.
    """
    xs = [dname, *as_tuple(controls)]
    df = prepare(data, [yname, *xs, idname, tname], "panel")
    check_unique(df, idname, tname)
    check_balanced(df, idname, tname, "ife()")
    wide = {c: df.pivot(index=idname, columns=tname, values=c).to_numpy(float) for c in [yname, *xs]}

    def dm(M):
        return M - M.mean(axis=1, keepdims=True) - M.mean(axis=0, keepdims=True) + M.mean() if additive_fe else M

    Y = dm(wide[yname])
    Xs = [dm(wide[c]) for c in xs]
    N, T = Y.shape
    if any(np.allclose(x, 0) for x in Xs):
        raise SMError("SM567", "a regressor has no variation left after removing the fixed effects.", "drop it.")
    ic = {}
    if r == "auto":
        pen = (N + T) / (N * T) * np.log(min(N, T))
        for k in range(0, min(r_max, T - 1) + 1):
            *_, resid, _ = _fit(Y, Xs, k, tol, max_iter)
            ic[k] = float(np.log(np.mean(resid**2)) + k * pen)
        r = min(ic, key=ic.get)
    r = int(r)
    if not 0 <= r < T:
        raise SMError("SM567", f"r={r} factors is not possible with {T} periods.", "choose 0 <= r < T.")
    beta, F, L, resid, iters = _fit(Y, Xs, r, tol, max_iter)

    # Bai (2009) Theorem 3: Z_k = M_L X_k M_F, sandwich clustered by unit
    MF = np.eye(T) - (F @ F.T) / T if r else np.eye(T)
    ML = np.eye(N) - L @ np.linalg.pinv(L.T @ L) @ L.T if r else np.eye(N)
    Z = np.stack([ML @ x @ MF for x in Xs], axis=-1)  # N x T x K
    D = np.einsum("itk,itl->kl", Z, Z)
    score = np.einsum("itk,it->ik", Z, resid)
    Dinv = np.linalg.inv(D)
    V = Dinv @ (score.T @ score) @ Dinv
    return RegResult.from_estimates(
        pd.Series(beta, index=xs),
        pd.Series(np.sqrt(np.diag(V)), index=xs),
        nobs=N * T,
        depvar=yname,
        method="interactive FE (Bai 2009)",
        fe=(idname, tname) if additive_fe else (),
        controls=tuple(xs[1:]),
        vcov_label=f"cluster: {idname}",
        extra={"factors": r, "IC_p2": ic, "iterations": iters},
    )
