"""Two-way fixed-effects DID on pyfixest, with the papers' progressive columns.

:func:`fit_feols` is the one OLS path behind :func:`twfe`, the event study,
the IV first stages and the variants, so they share one standard-error
convention (:data:`FIXEST_SSC`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from smtext.errors import NotIdentified, SMError, check_option, warn

from ._prepare import (
    Prepared,
    as_tuple,
    check_binary,
    check_firm_years,
    check_numeric,
    fe_columns,
)
from ._pyfixest import DEMEANER, pf
from ._results import RegResult, ResultSet, tidy_frame

__all__ = ["FIXEST_SSC", "fit_feols", "twfe", "twfe_progressive"]

#: fixest's default small-sample correction: (N-1)/(N-K) with fixed effects
#: nested in the cluster variable not counted in K, times G/(G-1), with the
#: smallest G for multiway clustering; t distribution with G-1 df.
FIXEST_SSC = dict(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")

VCOV_TYPES = ("cluster", "hetero", "iid")


def _vcov_spec(prep: Prepared, vcov: str, cluster: tuple):
    if vcov == "iid":
        return "iid", "iid"
    if vcov == "hetero":
        return "hetero", "heteroskedasticity-robust (HC1)"
    if not 1 <= len(cluster) <= 2:
        raise SMError("SM504", f"cluster={cluster!r}: give one column or two columns (two-way).",
                      "for example cluster='stkcd' or cluster=('stkcd', 'year').")
    return {"CRV1": "+".join(prep.a(c) for c in cluster)}, "cluster: " + " + ".join(cluster)


def fit_feols(data: pd.DataFrame, yname: str, regressors: Sequence[str], fe: Sequence[str], *,
              cluster=None, vcov: str = "cluster", weights: str | None = None,
              keep_singletons: bool = True, what: str = "panel", require: Sequence[str] = (),
              method: str = "OLS", controls: Sequence[str] = (), extra: dict | None = None
              ) -> RegResult:
    """Fit ``yname ~ regressors | fe`` with pyfixest and wrap it as a :class:`RegResult`.

    Shared by :func:`twfe`, the event study, the IV first stages and the
    variants; also the path for a continuous regressor (``regressors`` need
    not be 0/1). See :func:`twfe` for the conventions.

    Parameters
    ----------
    data : pandas.DataFrame
        Panel.
    yname : str
        Outcome.
    regressors : sequence of str
        Right-hand-side columns (treatment first, then controls).
    fe : sequence of str
        Fixed effects to absorb (``"a^b"`` for interactions); may be empty.
    cluster, vcov, weights, keep_singletons
        As in :func:`twfe` (here ``cluster`` has no default).
    what : str
        Name of the data in messages.
    require : sequence of str
        Further columns that must be complete (rows missing them are dropped).
    method : str
        Estimator label of the result.
    controls : sequence of str
        Which regressors are controls (a control absorbed by the FE is
        omitted with warning SM502; an essential regressor raises SM502).
    extra : dict, optional
        Extra table rows.

    Returns
    -------
    RegResult
    """
    check_option("vcov", vcov, VCOV_TYPES)
    cluster = as_tuple(cluster)
    fe = tuple(fe)
    used = [yname, *regressors, *fe_columns(fe), *cluster, *([weights] if weights else []), *require]
    check_numeric(data, [yname], "outcome")
    check_numeric(data, [*regressors, *([weights] if weights else [])], "regressor")
    prep = Prepared(data, used, what)
    d = prep.data
    rhs = " + ".join(prep.a(r) for r in regressors) if regressors else "1"
    fml = f"{prep.a(yname)} ~ {rhs}"
    if fe:
        # FE columns are categories; string codes avoid float FE ids
        for c in fe_columns(fe):
            d[prep.a(c)] = d[prep.a(c)].astype(str)
        fml += " | " + " + ".join(prep.fe(f) for f in fe)
    vc, label = _vcov_spec(prep, vcov, cluster)
    try:
        m = pf.feols(fml, demeaner=DEMEANER, data=d, vcov=vc, ssc=pf.ssc(**FIXEST_SSC),
                     weights=prep.a(weights) if weights else None,
                     fixef_rm="none" if keep_singletons else "singleton", copy_data=False)
    except ValueError as e:
        if "collinear" not in str(e):
            raise
        raise NotIdentified("SM502", f"every regressor of {list(regressors)} is collinear with the fixed effects "
                            f"{list(fe)} on {len(d)} rows; nothing can be estimated.",
                            "check that the panel has several firms and years and that the treatment varies "
                            "within firms over time and across firms.") from None
    names = prep.back(m._coefnames)
    est = pd.Series(np.asarray(m.coef()), index=names)
    se = pd.Series(np.asarray(m.se()), index=names)
    missing = [r for r in regressors if r not in names]
    essential = [r for r in missing if r not in controls]
    if essential:
        raise NotIdentified("SM502", f"{essential} was dropped as collinear with the fixed effects or other "
                               "regressors; it cannot be estimated.",
                      "check that the treatment varies within firms over time and across firms.")
    if missing:  # a control absorbed by the FE (firm age under firm and year FE) is omitted, as reghdfe does
        warn("SM502", f"control(s) {missing} are collinear with the fixed effects or other regressors and were "
                      "omitted from this fit.", "drop them from the controls of this column if that is intended.")
    vcov_df = pd.DataFrame(np.asarray(m._vcov), index=names, columns=names)
    ex = {"dropped (missing values)": prep.n_dropped} if prep.n_dropped else {}
    ex.update(extra or {})
    return RegResult(
        table=tidy_frame(est, se, df=float(m._df_t)),
        nobs=int(m._N),
        depvar=yname,
        method=method,
        fe=fe,
        controls=tuple(controls),
        vcov_label=label,
        r2=float(m._r2) if m._r2 is not None else None,
        r2_within=float(m._r2_within) if fe and m._r2_within is not None else None,
        adj_r2=float(m._adj_r2) if m._adj_r2 is not None else None,
        extra=ex,
        vcov=vcov_df,
        df_t=float(m._df_t),
        model=m,
    )


def twfe(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
         controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
         vcov: str = "cluster", weights: str | None = None, unit_fe: bool = True,
         time_fe: bool = True, keep_singletons: bool = True) -> RegResult:
    """Two-way fixed-effects difference-in-differences.

    Estimates ``y_it = b * D_it + controls_it' g + a_i + l_t (+ extra FE) + e_it``
    by OLS with pyfixest.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname, tname, idname, dname : str
        Outcome, time (year), unit (firm) and 0/1 treatment columns.
    controls : sequence of str
        Control variables.
    fe : sequence of str
        Extra fixed effects added to firm and year FE, e.g. ``("industry^year",
        "province^year")`` (``a^b`` is the interaction).
    cluster : str or pair of str, optional
        Cluster variable(s); two names give two-way clustering. ``None`` clusters
        by ``idname`` (the firm), as the papers and fixest do by default.
    vcov : {"cluster", "hetero", "iid"}
        Kind of standard errors; ``cluster`` is not used unless ``"cluster"``.
    weights : str, optional
        Analytic weights column.
    unit_fe, time_fe : bool
        Absorb ``idname`` / ``tname`` fixed effects (switch off for the
        "no FE" columns of a progressive table).
    keep_singletons : bool
        Keep singleton groups (fixest's default). reghdfe drops them, which
        changes N and the small-sample factor but not the coefficient.

    Returns
    -------
    RegResult
        ``coef()[dname]`` is the DID estimate.

    Notes
    -----
    Small-sample convention (fixed; equal to fixest's default and to reghdfe's
    clustered SEs): CRV1 variance times ``G/(G-1) * (N-1)/(N-K)`` where ``K``
    counts the regressors plus the fixed-effect levels that are *not* nested
    in the cluster variable (firm FE are nested in firm clusters and do not
    count); with two-way clustering every term uses the smallest G. p-values
    and confidence intervals use a t distribution with ``G-1`` degrees of
    freedom. On the Medicaid (ehec) panel this reproduces the published
    fixest SE 0.007401 exactly. Rows with missing values are dropped and
    reported (warning SM503 and ``extra["dropped (missing values)"]``).
    """
    controls = as_tuple(controls)
    if dname in data.columns:
        check_binary(data[dname], dname)
    check_firm_years(data, idname, tname, "twfe")
    if unit_fe and idname in data.columns and data[idname].nunique() < 2:
        raise NotIdentified("SM502", f"the panel has {data[idname].nunique()} firm ({idname!r}); firm fixed "
                            "effects absorb a treatment effect estimated from one firm.",
                            "use a panel of several treated and untreated firms.")
    fes = tuple(x for x, on in ((idname, unit_fe), (tname, time_fe)) if on) + as_tuple(fe)
    cl = idname if cluster is None else cluster
    return fit_feols(data, yname, (dname, *controls), fes, cluster=cl, vcov=vcov, weights=weights,
                     keep_singletons=keep_singletons, require=(idname, tname),
                     controls=controls)


#: the column steps the papers print, left to right
STEPS = ("bare", "controls", "fe", "full")


def twfe_progressive(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
                     controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                     steps: Sequence[str] = ("bare", "controls", "full"), **kwargs) -> ResultSet:
    """The progressive columns of a baseline table.

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`twfe`.
    steps : sequence of {"bare", "controls", "fe", "full"}
        Columns left to right: ``bare`` = treatment only without fixed effects,
        ``controls`` = with controls but no fixed effects, ``fe`` = firm, year
        (and extra) FE without controls, ``full`` = controls and all FE.
    **kwargs
        Passed to :func:`twfe` (``vcov``, ``weights`` ...).

    Returns
    -------
    ResultSet
        One :class:`RegResult` per step, named by the step, in order
        (``list(res)`` gives the table columns).

    Notes
    -----
    All columns are estimated on the same complete-case sample (rows missing
    any control are dropped up front) so that N is comparable across columns.
    """
    for s in steps:
        check_option("steps", s, STEPS)
    controls = as_tuple(controls)
    cols = [yname, dname, idname, tname, *controls, *fe_columns(as_tuple(fe)),
            *as_tuple(cluster)]
    sample = data.dropna(subset=list(dict.fromkeys(cols)))
    if len(sample) < len(data):
        warn("SM503", f"progressive table: dropped {len(data) - len(sample)} rows with missing values "
                      "so every column uses the same sample.")
    out = {}
    for s in steps:
        with_fe = s in ("fe", "full")
        with_c = s in ("controls", "full")
        out[s] = twfe(sample, yname, tname, idname, dname,
                      controls=controls if with_c else (), fe=fe if with_fe else (),
                      cluster=cluster, unit_fe=with_fe, time_fe=with_fe, **kwargs)
    return ResultSet(out, title=f"progressive TWFE columns: {yname} on {dname}")
