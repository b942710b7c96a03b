"""What the two-way FE DID coefficient averages: Goodman-Bacon decomposition and dCDH weights.

* :func:`bacon` -- Goodman-Bacon, A. (2021). "Difference-in-differences with
  variation in treatment timing." Journal of Econometrics 225(2), 254-277.
  With a balanced panel and an absorbing 0/1 treatment, the TWFE coefficient
  is a weighted average of every 2x2 DID between timing groups (eq. 10a-10c
  for the weights):

  - treated vs never treated (whole panel);
  - earlier vs later treated (window before the later group is treated, later
    group as control);
  - later vs earlier treated (window after the earlier group is treated, the
    already-treated earlier group as control -- the "forbidden" comparison).

  Units treated from the first period on ("always treated") enter as controls
  in ``Later vs Always Treated`` comparisons, as in R ``bacondecomp``.

* :func:`twfe_weights` -- de Chaisemartin, C. and D'Haultfoeuille, X. (2020).
  "Two-way fixed effects estimators with heterogeneous treatment effects."
  American Economic Review 110(9), 2964-2996, Theorem 1 and Corollary 1.
  Under parallel trends the TWFE coefficient is ``sum over treated cells of
  (N_gt / N_1) w_gt TE_gt`` with ``w_gt = e_gt / sum_{D=1} (N_gt / N_1) e_gt``,
  where ``e_gt`` is the residual of the treatment on unit and period fixed
  effects. Negative weights mean the coefficient can have the wrong sign even
  when every effect is positive; ``sigma_fe = |beta_fe| / sd(w)`` is the
  smallest standard deviation of the effects compatible with a true ATT of zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.did._prepare import (
    check_balanced,
    check_dummy,
    check_unique,
    cohort_from_dummy,
    prepare,
)
from smtext.did._results import Result
from smtext.errors import SMError

from ._pyfixest import DEMEANER, pf

__all__ = ["BaconResult", "TWFEWeights", "bacon", "twfe_weights"]

_TYPES = (
    "Earlier vs Later Treated",
    "Later vs Earlier Treated",
    "Later vs Always Treated",
    "Treated vs Untreated",
)


@dataclass(frozen=True, eq=False, repr=False)
class BaconResult(Result):
    """Goodman-Bacon decomposition.

    ``tidy()`` is the comparisons table; ``coef()`` the 2x2 estimates indexed
    by (``treated``, ``control``) cohort (no standard errors).

    Attributes
    ----------
    comparisons : pandas.DataFrame
        One row per 2x2 comparison: ``treated`` and ``control`` (first treated
        period; 0 = never treated), ``type``, ``estimate``, ``weight``.
    by_type : pandas.DataFrame
        Indexed by ``type`` with ``weight`` (sum of weights) and ``avg_est``
        (weight-averaged estimate within the type).
    estimate : float
        Weighted sum of all 2x2 estimates; equals the TWFE coefficient.
    nobs : int
        Rows used.
    """

    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    estimate: float
    nobs: int

    def tidy(self) -> pd.DataFrame:
        """One row per 2x2 comparison: ``treated, control, type, estimate, weight``."""
        return self.comparisons.copy()

    def _estimates(self) -> pd.DataFrame:
        return self.comparisons.set_index(["treated", "control"])[["estimate"]].assign(std_error=np.nan)

    def summary(self) -> str:
        """The TWFE coefficient and the weights and average estimates by comparison type."""
        return (
            f"Goodman-Bacon decomposition (TWFE = {self.estimate:.6f}, N = {self.nobs})\n"
            + self.by_type.round(5).to_string()
        )


def bacon(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str) -> BaconResult:
    """Decompose the TWFE DID coefficient into all 2x2 comparisons.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel.
    yname, tname, idname, dname : str
        Outcome, period, unit and 0/1 absorbing treatment columns.

    Returns
    -------
    BaconResult
        ``.comparisons``, ``.by_type`` (``weight``, ``avg_est``) and
        ``.estimate`` (= TWFE coefficient of ``yname`` on ``dname`` with unit
        and period fixed effects).

    Raises
    ------
    SMError
        SM553 unbalanced panel, SM552 non-absorbing treatment, SM557 non-binary
        treatment, SM555 no treatment variation.
    """
    df = prepare(data, [yname, idname, tname, dname], "panel")
    check_unique(df, idname, tname)
    check_balanced(df, idname, tname, "bacon()")
    df["_g"] = cohort_from_dummy(df, idname, tname, dname)

    periods = np.sort(df[tname].unique())
    T = len(periods)
    # cohort x period mean outcome: with a balanced, unweighted panel every 2x2
    # DID depends on the data only through these means
    ybar = df.pivot_table(index="_g", columns=tname, values=yname, aggfunc="mean")
    ybar = ybar.reindex(columns=periods)
    n_units = df[idname].nunique()
    share = df.groupby("_g")[idname].nunique() / n_units
    cohorts = [g for g in ybar.index if g != 0]
    if not cohorts:
        raise SMError("SM555", f"no unit is ever treated in {dname!r}.", "check the treatment column.")
    # share of periods treated (D-bar in the paper) for each timing group
    dbar = {g: float((periods >= g).mean()) for g in cohorts}
    if len(cohorts) == 1 and 0 not in ybar.index and dbar[cohorts[0]] == 1.0:
        raise SMError("SM555", "every unit is treated in every period.", "add comparison units.")

    def mean_y(g, lo, hi):
        # mean of the cohort's period means over periods lo <= t < hi
        cols = periods[(periods >= lo) & (periods < hi)]
        return float(ybar.loc[g, cols].mean())

    end = periods[-1] + 1
    start = periods[0]
    rows = []
    for k in cohorts:
        dk, nk = dbar[k], share[k]
        if 0 in ybar.index and 0 < dk < 1:
            nu = share[0]
            nku = nk / (nk + nu)
            est = (mean_y(k, k, end) - mean_y(k, start, k)) - (mean_y(0, k, end) - mean_y(0, start, k))
            w = (nk + nu) ** 2 * nku * (1 - nku) * dk * (1 - dk)
            rows.append((k, 0, "Treated vs Untreated", est, w))
        for l in cohorts:
            if l <= k:
                continue
            # k treated earlier than l
            dl, nl = dbar[l], share[l]
            nkl = nk / (nk + nl)
            if dk < 1:  # earlier vs later: window before l is treated
                est = (mean_y(k, k, l) - mean_y(k, start, k)) - (mean_y(l, k, l) - mean_y(l, start, k))
                w = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * ((dk - dl) / (1 - dl)) * ((1 - dk) / (1 - dl))
                rows.append((k, l, "Earlier vs Later Treated", est, w))
            if dl > 0:  # later vs earlier: window after k is treated
                est = (mean_y(l, l, end) - mean_y(l, k, l)) - (mean_y(k, l, end) - mean_y(k, k, l))
                w = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk)
                kind = "Later vs Always Treated" if dk == 1 else "Later vs Earlier Treated"
                rows.append((l, k, kind, est, w))
    comp = pd.DataFrame(rows, columns=["treated", "control", "type", "estimate", "weight"])
    comp = comp.loc[comp["weight"] > 0].reset_index(drop=True)
    if comp.empty or T < 2:
        raise SMError("SM555", "no 2x2 comparison has treatment variation.", "check the treatment column.")
    comp["weight"] = comp["weight"] / comp["weight"].sum()

    by = comp.assign(_we=comp["weight"] * comp["estimate"]).groupby("type")
    by_type = pd.DataFrame({"weight": by["weight"].sum(), "avg_est": by["_we"].sum() / by["weight"].sum()})
    by_type = by_type.reindex([t for t in _TYPES if t in by_type.index])
    return BaconResult(
        comparisons=comp,
        by_type=by_type,
        estimate=float((comp["weight"] * comp["estimate"]).sum()),
        nobs=len(df),
    )

@dataclass(frozen=True, eq=False, repr=False)
class TWFEWeights(Result):
    """Weights of the treated cells in the TWFE coefficient.

    ``tidy()`` is the weights table; ``coef()`` is ``beta_fe`` (term
    ``"TWFE"``, NaN without an outcome; no standard error).

    Attributes
    ----------
    weights : pandas.DataFrame
        One row per treated observation: id, period, ``w`` (the paper's w_gt,
        mean 1) and ``weight`` (= w / N_1, summing to 1).
    n_positive, n_negative : int
        Treated cells with positive / negative weight.
    sum_negative : float
        Sum of the negative ``weight`` values.
    beta_fe : float or None
        TWFE coefficient (when ``yname`` was given).
    sigma_fe : float or None
        ``|beta_fe| / sd(w)`` (Corollary 1).
    nobs : int
        Rows used.
    """

    weights: pd.DataFrame
    n_positive: int
    n_negative: int
    sum_negative: float
    beta_fe: float | None
    sigma_fe: float | None
    nobs: int

    def tidy(self) -> pd.DataFrame:
        """One row per treated observation: unit, period, ``w`` and ``weight``."""
        return self.weights.copy()

    def _estimates(self) -> pd.DataFrame:
        beta = np.nan if self.beta_fe is None else self.beta_fe
        return pd.DataFrame({"estimate": [beta], "std_error": [np.nan]}, index=pd.Index(["TWFE"], name="term"))

    def summary(self) -> str:
        s = (
            f"TWFE weights (de Chaisemartin-D'Haultfoeuille 2020): {self.n_positive} positive, "
            f"{self.n_negative} negative (sum of negative weights {self.sum_negative:.4f})"
        )
        if self.beta_fe is not None:
            s += f"; beta_fe = {self.beta_fe:.6f}, sigma_fe = {self.sigma_fe:.6f}"
        return s


def twfe_weights(data: pd.DataFrame, yname: str | None, tname: str, idname: str, dname: str) -> TWFEWeights:
    """Weights attached to each treated cell by the two-way FE DID coefficient.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period (need not be balanced).
    yname : str or None
        Outcome; when given, ``beta_fe`` and ``sigma_fe`` are reported (None:
        the weights only, which do not depend on the outcome).
    tname, idname, dname : str
        Period, unit and 0/1 treatment columns.

    Returns
    -------
    TWFEWeights
    """
    df = prepare(data, [idname, tname, dname, yname], "panel")
    check_unique(df, idname, tname)
    check_dummy(df, dname)
    df["_d"] = df[dname].astype(float)
    fit = pf.feols(f"_d ~ 1 | {idname} + {tname}", demeaner=DEMEANER, data=df)
    eps = df["_d"].to_numpy() - np.asarray(fit.predict())
    treated = df["_d"].to_numpy() == 1
    n1 = treated.sum()
    denom = eps[treated].sum() / n1
    w = eps[treated] / denom
    out = df.loc[treated, [idname, tname]].reset_index(drop=True)
    out["w"] = w
    out["weight"] = w / n1
    beta = sigma = None
    if yname is not None:
        beta = float(pf.feols(f"{yname} ~ _d | {idname} + {tname}", demeaner=DEMEANER, data=df).coef()["_d"])
        sd_w = float(np.sqrt(np.mean((w - 1.0) ** 2)))
        sigma = abs(beta) / sd_w if sd_w > 0 else np.inf
    neg = out["weight"] < 0
    return TWFEWeights(
        weights=out,
        n_positive=int((~neg).sum()),
        n_negative=int(neg.sum()),
        sum_negative=float(out.loc[neg, "weight"].sum()),
        beta_fe=beta,
        sigma_fe=sigma,
        nobs=len(df),
    )
