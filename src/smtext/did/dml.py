"""Double/debiased machine learning for the partially linear DID model.

Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey,
W. and Robins, J. (2018). "Double/debiased machine learning for treatment and
structural parameters." The Econometrics Journal 21(1), C1-C68.

Model ``y = theta d + g(X) + e``, ``d = m(X) + v``. With fixed effects the
outcome and treatment are first two-way demeaned (the usual way FE enter DML
in the applied DID papers, e.g. paper 002 Table 6); the learners see the
demeaned controls, the raw controls and their unit means (Mundlak 1978),
because the demeaned ``g(X)`` is not a function of the demeaned X alone. Then, with K
folds formed by units (so a firm's years never straddle training and
evaluation folds), ``l(X) = E[y|X]`` and ``m(X) = E[d|X]`` are learned out of
fold and ``theta`` solves the partialling-out score
``mean((y - l - theta (d - m)) (d - m)) = 0``. Standard errors are clustered
by unit on that score. Same data + ``seed`` -> same estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from smtext.did._prepare import as_tuple, cluster_sum, prepare
from smtext.did._results import RegResult
from smtext.errors import SMError, check_option

_LEARNERS = ("rf", "lasso", "ridge", "svm")


def _learner(name, seed):
    if not isinstance(name, str):
        return clone(name)  # any scikit-learn regressor
    check_option("learner", name, _LEARNERS)
    if name == "rf":
        # subsampled, depth-limited trees: ~10x faster than sklearn defaults on firm-year
        # panels of ~40k rows with little loss; pass your own regressor to change this
        return RandomForestRegressor(
            n_estimators=100,
            max_depth=10,
            min_samples_leaf=20,
            max_samples=0.3,
            max_features=0.5,
            n_jobs=1,
            random_state=seed,
        )
    if name == "lasso":
        return make_pipeline(StandardScaler(), LassoCV(cv=5, alphas=30, random_state=seed))
    if name == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    return make_pipeline(StandardScaler(), SVR(C=1.0))


def demean(df: pd.DataFrame, cols, fe, tol: float = 1e-10, max_iter: int = 1000) -> pd.DataFrame:
    """Remove fixed effects from ``cols`` by alternating projections (exact on balanced panels)."""
    out = df[cols].astype(float).copy()
    codes = [pd.factorize(df[f])[0] for f in fe]
    for _ in range(max_iter):
        delta = 0.0
        for c in codes:
            means = out.groupby(c).transform("mean")
            out -= means
            delta = max(delta, float(np.abs(means.to_numpy()).max()))
        if len(codes) <= 1 or delta < tol:
            break
    return out


def dml_plr(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    dname: str,
    *,
    controls,
    learner="rf",
    n_folds: int = 5,
    squares: bool = True,
    time_fe: bool = True,
    seed: int = 0,
) -> RegResult:
    """Partially linear DML estimate of the DID coefficient.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname : str
        Outcome.
    tname : str
        Period column: second fixed effect (unless ``time_fe=False``).
    idname : str
        Unit column: fixed effect, fold grouping and cluster.
    dname : str
        0/1 (or continuous) treatment.
    controls : sequence of str
        Covariates X (at least one).
    learner : {"rf", "lasso", "ridge", "svm"} or scikit-learn regressor
        Learner for both nuisance functions: random forest (100 trees, depth
        10, 30% subsamples), LassoCV, RidgeCV (both on standardised X) or an
        RBF support-vector regression (slow beyond ~20k rows), or any
        scikit-learn regressor, cloned per fold.
    n_folds : int
        Cross-fitting folds.
    squares : bool
        Add squared controls (paper 002's "控制变量二次项").
    time_fe : bool
        Remove period fixed effects as well as unit fixed effects.
    seed : int
        Seed for folds and learners.

    Returns
    -------
    RegResult
        Term ``dname`` (normal reference); ``extra`` records learner, folds
        and seed.
    """
    controls = list(as_tuple(controls))
    tname = tname if time_fe else None
    if not controls:
        raise SMError("SM565", "dml_plr() needs at least one control.", "pass controls=[...].")
    df = prepare(data, [yname, dname, *controls, idname, tname], "panel")
    fe = [idname] + ([tname] if tname else [])
    Xraw = df[controls].astype(float)
    if squares:
        Xraw = pd.concat([Xraw, (Xraw**2).add_suffix("_sq")], axis=1)
    work = pd.concat([df[[yname, dname]].astype(float), Xraw, df[fe]], axis=1)
    dm = demean(work, [yname, dname, *Xraw.columns], fe)
    y, d = dm[yname].to_numpy(), dm[dname].to_numpy()
    # after demeaning, g(X_it) - mean_t g(X_is) is not a function of the demeaned X alone;
    # raw X and the unit means of X (Mundlak 1978) let the learners approximate it
    unit_means = Xraw.groupby(df[idname].to_numpy()).transform("mean")
    X = np.column_stack([dm[Xraw.columns].to_numpy(), Xraw.to_numpy(), unit_means.to_numpy()])

    units = pd.factorize(df[idname])[0]
    n_units = units.max() + 1
    rng = np.random.default_rng(seed)
    fold_of_unit = rng.permutation(np.arange(n_units) % n_folds)
    fold = fold_of_unit[units]
    l_hat, m_hat = np.empty_like(y), np.empty_like(d)
    for k in range(n_folds):
        tr, te = fold != k, fold == k
        l_hat[te] = _learner(learner, seed).fit(X[tr], y[tr]).predict(X[te])
        m_hat[te] = _learner(learner, seed).fit(X[tr], d[tr]).predict(X[te])
    ry, rd = y - l_hat, d - m_hat
    theta = float(rd @ ry / (rd @ rd))
    psi = (ry - theta * rd) * rd
    J = np.mean(rd**2)
    s = cluster_sum(psi, units, n_units)
    se = float(np.sqrt(np.sum(s**2)) / (len(y) * J))
    name = learner if isinstance(learner, str) else type(learner).__name__
    return RegResult.from_estimates(
        pd.Series({dname: theta}),
        pd.Series({dname: se}),
        nobs=len(y),
        depvar=yname,
        method=f"DML ({name})",
        fe=tuple(fe),
        controls=tuple(controls),
        vcov_label=f"cluster: {idname}",
        extra={"learner": name, "folds": n_folds, "squared controls": squares, "seed": seed},
    )
