"""Heckman two-step correction for selection into treatment, with fixed effects.

Heckman, J. J. (1979). "Sample selection bias as a specification error."
Econometrica 47(1), 153-161; applied to DID as in paper 002 (Table 6): a
pooled probit of selection (for example "firm is ever a pilot") on controls
plus an exclusion variable (for example the industry-year mean AI level),
then the inverse Mills ratio ``phi(xb) / Phi(xb)`` added as a control in the
fixed-effects DID regression. A significant IMR coefficient signals selection.

The second-stage standard errors are the usual clustered ones and ignore the
estimation error of the first step (as in the applied papers this mirrors);
the ``"generalized"`` option uses the treatment-effects form
``D phi/Phi - (1-D) phi/(1-Phi)`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import statsmodels.api as sm
from scipy import stats

from smtext.did._prepare import as_tuple, check_dummy, prepare
from smtext.did._results import RegResult
from smtext.errors import SMError, check_option

from ._pyfixest import DEMEANER, pf


@dataclass(frozen=True, eq=False, repr=False)
class HeckmanResult(RegResult):
    """Second-stage DID with the IMR (term ``"imr"``).

    ``selection`` is the probit table (index: probit terms; ``estimate,
    std_error, z, p_value``), ``selection_variable`` its outcome and ``imr``
    the inverse Mills ratio of every row.
    """

    selection: pd.DataFrame | None = None
    selection_variable: str = ""
    imr: pd.Series | None = None

    def probit(self) -> RegResult:
        """The selection probit as a table column (its statistics in ``extra``)."""
        return RegResult.from_estimates(
            self.selection["estimate"], self.selection["std_error"], nobs=self.nobs,
            depvar=self.selection_variable, method="Probit", controls=self.controls,
            vcov_label="MLE", extra={"pseudo R2": self.extra.get("pseudo R2 (probit)")})


def heckman(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    dname: str,
    *,
    selection: str,
    exclusion,
    controls=(),
    fe=(),
    unit_fe: bool = True,
    time_fe: bool = True,
    cluster: str | None = None,
    imr: str = "mills",
) -> HeckmanResult:
    """Heckman two-step: probit selection, then FE regression with the IMR.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname : str
        Outcome of the second stage.
    tname, idname : str
        Year and unit columns (fixed effects of the second stage).
    dname : str
        DID treatment (0/1) of the second stage.
    selection : str
        0/1 selection indicator of the probit (for example ever-treated).
    exclusion : str or sequence of str
        Variables in the probit only (exclusion restriction).
    controls : sequence of str
        Controls used in both stages.
    fe : sequence of str
        Extra fixed effects of the second stage, after unit and year.
    unit_fe, time_fe : bool
        Absorb ``idname`` / ``tname`` fixed effects in the second stage.
    cluster : str, optional
        Cluster column for second-stage SEs (default: the first fixed effect,
        ``idname`` unless ``unit_fe=False``; without fixed effects, HC1).
    imr : {"mills", "generalized"}
        ``phi/Phi`` for every row, or the generalized residual.

    Returns
    -------
    HeckmanResult
        Terms ``dname``, controls and ``"imr"`` (normal reference);
        ``.selection`` is the probit table (estimate, std_error, z, p_value),
        ``.probit()`` the same as a table column; ``extra`` has the exclusion
        coefficient and its p-value.
    """
    check_option("imr", imr, ("mills", "generalized"))
    selname = selection
    excl = list(as_tuple(exclusion))
    controls = list(controls)
    fe = [f for f, on in ((idname, unit_fe), (tname, time_fe)) if on] + list(as_tuple(fe))
    if not excl:
        raise SMError("SM564", "heckman() needs at least one exclusion variable.", "pass exclusion='AI_mean'.")
    df = prepare(data, [yname, dname, selname, *excl, *controls, *fe, cluster], "panel")
    check_dummy(df, selname)
    X = sm.add_constant(df[controls + excl].astype(float), has_constant="add")
    probit = sm.Probit(df[selname].astype(float), X).fit(disp=0, maxiter=200)
    if not probit.mle_retvals.get("converged", True):
        raise SMError("SM558", "the selection probit did not converge.", "check for perfect prediction.")
    xb = X.to_numpy() @ probit.params.to_numpy()
    pdf, cdf = stats.norm.pdf(xb), stats.norm.cdf(xb)
    if imr == "mills":
        lam = pdf / cdf
    else:
        s = df[selname].to_numpy(float)
        lam = s * pdf / cdf - (1 - s) * pdf / (1 - cdf)
    df["imr"] = lam
    rhs = " + ".join([dname, *controls, "imr"])
    fml = f"{yname} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")
    cl = cluster or (fe[0] if fe else None)
    vcov = {"CRV1": cl} if cl else "hetero"
    fit = pf.feols(fml, demeaner=DEMEANER, data=df, vcov=vcov)
    sel = pd.DataFrame(
        {"estimate": probit.params, "std_error": probit.bse, "z": probit.tvalues, "p_value": probit.pvalues}
    )
    extra = {
        "selection": "probit",
        "pseudo R2 (probit)": float(probit.prsquared),
    }
    for v in excl:
        extra[f"{v} (probit)"] = float(probit.params[v])
        extra[f"{v} p-value (probit)"] = float(probit.pvalues[v])
    return HeckmanResult.from_estimates(
        fit.coef().rename(None),
        fit.se().rename(None),
        nobs=int(fit._N),
        depvar=yname,
        method="Heckman two-step",
        fe=tuple(fe),
        controls=tuple(controls),
        vcov_label=f"cluster: {cl}" if cl else "heteroskedasticity-robust",
        r2=float(fit._r2),
        r2_within=float(fit._r2_within) if fe else None,
        adj_r2=float(fit._adj_r2),
        extra=extra,
        selection=sel,
        selection_variable=selname,
        imr=pd.Series(lam, index=df.index, name="imr"),
    )
