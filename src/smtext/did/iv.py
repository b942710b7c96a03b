"""IV-2SLS with fixed effects and the weak-identification statistics of ivreg2/ivreghdfe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from smtext.errors import SMError, check_option, warn

from ._fe import FEProjector, fe_codes
from ._prepare import Prepared, as_tuple, fe_columns
from ._pyfixest import DEMEANER, pf
from ._results import RegResult, tidy_frame
from .regression import FIXEST_SSC, fit_feols
from .stock_yogo import LEVELS as SY_LEVELS
from .stock_yogo import stock_yogo_critical_value, stock_yogo_label

__all__ = ["IVResult", "iv_2sls", "weak_id_stats"]


@dataclass(frozen=True, eq=False, repr=False)
class IVResult(RegResult):
    """Second-stage result plus the first stage(s).

    ``extra`` holds the table rows ``first-stage F``, ``KP rk LM``,
    ``KP rk LM p``, ``KP rk Wald F`` and ``CD Wald F``; ``first_stage`` is a
    list of :class:`RegResult`, one per endogenous regressor.
    """

    first_stage: Any = None
    weak_id: Any = field(default_factory=dict)


def _fe_dof(d: pd.DataFrame, specs: Sequence[str], cluster: tuple) -> int:
    """Fixed-effect parameters counted in K the fixest way (``fixef.K = "nested"``).

    FE nested in a cluster variable are not counted; the others count their
    levels minus one each, plus one for the constant they jointly absorb.
    """
    codes = fe_codes(d, specs)
    k = 0
    n_counted = 0
    for j, _ in enumerate(specs):
        nested = False
        for c in cluster:
            per_level = pd.Series(d[c].to_numpy()).groupby(codes[:, j]).nunique()
            if (per_level == 1).all():
                nested = True
                break
        if not nested:
            k += int(codes[:, j].max()) + 1
            n_counted += 1
    return k - max(n_counted - 1, 0) if n_counted else 1


def weak_id_stats(x: np.ndarray, z: np.ndarray, clusters: np.ndarray | None, n_partial: int) -> dict:
    """Cragg-Donald and Kleibergen-Paap statistics on partialled-out data.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, k1)`` endogenous regressors with FE and exogenous controls
        partialled out.
    z : numpy.ndarray
        ``(n, L)`` excluded instruments, partialled the same way.
    clusters : numpy.ndarray or None
        Cluster codes (None = heteroskedasticity-robust).
    n_partial : int
        Parameters partialled out (controls + counted FE levels incl. the
        constant): ivreg2's ``sdofminus`` plus the included exogenous count.

    Returns
    -------
    dict with ``CD Wald F``, ``KP rk LM``, ``KP rk LM p``, ``KP rk LM df``,
    ``KP rk Wald F`` (the KP statistics only for one endogenous regressor).

    Notes
    -----
    Formulas as ivreg2 4.x: ``cdf = cd (N - L - n_partial) / L`` with ``cd`` the
    smallest of ``r^2/(1-r^2)`` over the canonical correlations ``r`` of x and
    z; with clustering ``rkf = rkWald / (N - 1) (N - L - n_partial) (G-1)/G / L``
    (robust: ``rkWald / N (N - L - n_partial) / L``). For one endogenous regressor
    the rk Wald statistic is the robust Wald statistic of the excluded
    instruments in the first stage without small-sample factors, and the rk LM
    statistic is the robust score statistic using the restricted residual
    (x itself), chi2 with ``L`` degrees of freedom.
    """
    n, L = z.shape
    k1 = x.shape[1]
    dof = n - L - n_partial
    # canonical correlations between x and z
    qx, _ = np.linalg.qr(x)
    qz, _ = np.linalg.qr(z)
    r = np.clip(np.linalg.svd(qx.T @ qz, compute_uv=False), 0, 1 - 1e-15)
    cd = float(np.min(r**2 / (1 - r**2)))
    out = {"CD Wald F": cd * dof / L}
    if k1 != 1:
        warn("SM542", "Kleibergen-Paap statistics are implemented for one endogenous regressor only; "
                      "they are reported as missing.", stacklevel=3)
        out.update({"KP rk LM": np.nan, "KP rk LM p": np.nan, "KP rk LM df": L - k1 + 1,
                    "KP rk Wald F": np.nan})
        return out
    xv = x[:, 0]
    zz_inv = np.linalg.inv(z.T @ z)
    pi = zz_inv @ (z.T @ xv)
    v = xv - z @ pi

    def meat(resid):
        sc = z * resid[:, None]
        if clusters is None:
            return sc.T @ sc
        _, inv = np.unique(clusters, return_inverse=True)
        S = np.zeros((inv.max() + 1, L))
        np.add.at(S, inv, sc)
        return S.T @ S

    V0 = zz_inv @ meat(v) @ zz_inv
    wald = float(pi @ np.linalg.solve(V0, pi))
    s = z.T @ xv
    lm = float(s @ np.linalg.solve(meat(xv), s))
    if clusters is None:
        rkf = wald / n * dof / L
    else:
        G = len(np.unique(clusters))
        rkf = wald / (n - 1) * dof * (G - 1) / G / L
    out.update({"KP rk LM": lm, "KP rk LM p": float(stats.chi2.sf(lm, L)), "KP rk LM df": L,
                "KP rk Wald F": rkf})
    return out


def iv_2sls(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str | Sequence[str], *,
            instruments: str | Sequence[str], controls: Sequence[str] = (), fe: Sequence[str] = (),
            cluster=None, vcov: str = "cluster", stock_yogo: tuple | None = ("size", 0.15)) -> IVResult:
    """Two-stage least squares with firm and year (and extra) fixed effects.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname, tname, idname : str
        Outcome, year and unit columns.
    dname : str or sequence of str
        Endogenous treatment(s): the DID term or a continuous treatment (need
        not be 0/1); several names for several endogenous regressors.
    instruments : str or sequence of str
        Excluded instruments (e.g. a shift-share or a historical IV).
    controls, fe, cluster, vcov
        As in :func:`smtext.did.twfe` (cluster defaults to ``idname``).
    stock_yogo : (table, level) or None
        Stock-Yogo (2005) critical value printed on the row after ``KP rk Wald
        F`` (ivreg2 prints the same beside the F): ``("size", 0.15)`` is the
        15% maximal IV size of Table 5.2 (paper 004's braces), ``("bias",
        0.10)`` the 10% maximal relative bias of Table 5.1; None prints none.
        Every tabulated value for the model's numbers of endogenous regressors
        and instruments is kept in ``weak_id["Stock-Yogo"]`` either way.

    Returns
    -------
    IVResult
        Second stage (coefficients and clustered SE from pyfixest with the
        fixest small-sample convention), ``first_stage`` (list of
        :class:`RegResult`, one per endogenous regressor) and weak-
        identification statistics in ``extra``:

        * ``first-stage F``: Wald F of the excluded instruments in the first
          stage with the same (clustered) variance as the table (fixest
          ``ivwald1``);
        * ``KP rk LM`` (with ``KP rk LM p``), ``KP rk Wald F`` and
          ``CD Wald F`` as ivreg2/ivreghdfe report them, with the absorbed
          fixed effects counted in the degrees of freedom as ivreghdfe does
          (FE nested in the cluster variable not counted) -- see
          :func:`weak_id_stats`.
    """
    check_option("vcov", vcov, ("cluster", "hetero"))
    if stock_yogo is not None:   # fail on a bad level before fitting anything
        stock_yogo_critical_value(1, 1, table=stock_yogo[0], level=float(stock_yogo[1]))
    endog, instruments, controls = as_tuple(dname), as_tuple(instruments), as_tuple(controls)
    if len(instruments) < len(endog):
        raise SMError("SM540", f"{len(endog)} endogenous regressors but only {len(instruments)} instruments.",
                      "add instruments; the model is underidentified.")
    cl = as_tuple(idname if cluster is None else cluster)
    if vcov == "cluster" and len(cl) != 1:
        raise SMError("SM541", "IV weak-identification statistics support one cluster variable.",
                      "cluster by one variable (e.g. the firm).")
    specs = (idname, tname, *as_tuple(fe))
    used = [yname, *endog, *instruments, *controls, *fe_columns(specs), *cl]
    prep = Prepared(data, used, "panel")
    d = data.loc[prep.kept_index].reset_index(drop=True)
    dd = prep.data
    for c in fe_columns(specs):
        dd[prep.a(c)] = dd[prep.a(c)].astype(str)
    exo = " + ".join(prep.a(c) for c in controls) if controls else "1"
    fml = (f"{prep.a(yname)} ~ {exo} | " + " + ".join(prep.fe(f) for f in specs) + " | "
           + " + ".join(prep.a(e) for e in endog) + " ~ " + " + ".join(prep.a(z) for z in instruments))
    vc = {"CRV1": prep.a(cl[0])} if vcov == "cluster" else "hetero"
    m = pf.feols(fml, demeaner=DEMEANER, data=dd, vcov=vc, ssc=pf.ssc(**FIXEST_SSC), fixef_rm="none", copy_data=False)
    names = prep.back(m._coefnames)
    est = pd.Series(np.asarray(m.coef()), index=names)
    se = pd.Series(np.asarray(m.se()), index=names)

    # first stages through the same OLS path as twfe (same SE convention)
    firsts = [fit_feols(d, e, (*instruments, *controls), specs, cluster=cl[0] if vcov == "cluster" else None,
                        vcov=vcov, controls=controls, method="OLS first stage") for e in endog]
    fs_F = []
    for f in firsts:
        b = f.coef().loc[list(instruments)].to_numpy()
        V = f.vcov.loc[list(instruments), list(instruments)].to_numpy()
        fs_F.append(float(b @ np.linalg.solve(V, b)) / len(instruments))

    proj = FEProjector(fe_codes(d, specs), d[list(controls)].to_numpy(float) if controls else None)
    x = proj.residualise(d[list(endog)].to_numpy(float))
    z = proj.residualise(d[list(instruments)].to_numpy(float))
    n_partial = len(controls) + _fe_dof(d, specs, cl if vcov == "cluster" else ())
    weak = weak_id_stats(x, z, d[cl[0]].to_numpy() if vcov == "cluster" else None, n_partial)
    extra = {"first-stage F": fs_F[0] if len(fs_F) == 1 else tuple(fs_F)}
    extra.update({k: v for k, v in weak.items() if k != "KP rk LM df"})
    weak["Stock-Yogo"] = {f"{tab} {lv:.2f}": stock_yogo_critical_value(len(endog), len(instruments), table=tab, level=lv)
                          for tab, levels in SY_LEVELS.items() for lv in levels}
    if stock_yogo is not None:
        tab, lv = stock_yogo[0], float(stock_yogo[1])
        cv = weak["Stock-Yogo"][f"{tab} {lv:.2f}"]
        if cv is None:
            warn("SM581", f"Stock and Yogo (2005) tabulate no {tab} critical value for {len(endog)} endogenous "
                          f"regressor(s) and {len(instruments)} instrument(s); the row is left empty.",
                 "the bias table needs at least n + 2 instruments; use the size table.", stacklevel=2)
        extra[stock_yogo_label(tab, lv)] = cv
    if prep.n_dropped:
        extra["dropped (missing values)"] = prep.n_dropped
    label = f"cluster: {cl[0]}" if vcov == "cluster" else "heteroskedasticity-robust (HC1)"
    return IVResult(
        table=tidy_frame(est, se, df=float(m._df_t)),
        nobs=int(m._N), depvar=yname, method="2SLS", fe=specs, controls=controls,
        vcov_label=label, r2=None, r2_within=None, adj_r2=None, extra=extra,
        vcov=pd.DataFrame(np.asarray(m._vcov), index=names, columns=names), df_t=float(m._df_t),
        model=m, first_stage=firsts, weak_id=weak,
    )
