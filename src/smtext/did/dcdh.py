"""de Chaisemartin-D'Haultfoeuille weights behind the TWFE DID coefficient.

de Chaisemartin, C. and D'Haultfoeuille, X. (2020). "Two-way fixed effects
estimators with heterogeneous treatment effects." American Economic Review
110(9), 2964-2996, Theorem 1 and Corollary 1.

Under parallel trends the TWFE coefficient is ``sum over treated cells of
(N_gt / N_1) w_gt TE_gt`` with ``w_gt = e_gt / sum_{D=1} (N_gt / N_1) e_gt``,
where ``e_gt`` is the residual of the treatment on unit and period fixed
effects. Negative weights mean the coefficient can have the wrong sign even
when every effect is positive; ``sigma_fe = |beta_fe| / sd(w)`` is the smallest
standard deviation of the effects compatible with a true ATT of zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf

from smtext.did._part2_panel import check_binary, check_unique, prepare


@dataclass(frozen=True)
class TWFEWeights:
    """Weights of the treated cells in the TWFE coefficient.

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
    """

    weights: pd.DataFrame
    n_positive: int
    n_negative: int
    sum_negative: float
    beta_fe: float | None
    sigma_fe: float | None

    def summary(self) -> str:
        s = (
            f"TWFE weights (de Chaisemartin-D'Haultfoeuille 2020): {self.n_positive} positive, "
            f"{self.n_negative} negative (sum of negative weights {self.sum_negative:.4f})"
        )
        if self.beta_fe is not None:
            s += f"; beta_fe = {self.beta_fe:.6f}, sigma_fe = {self.sigma_fe:.6f}"
        return s

    def __repr__(self) -> str:
        return self.summary()


def twfe_weights(data: pd.DataFrame, idname: str, tname: str, dname: str, yname: str | None = None) -> TWFEWeights:
    """Weights attached to each treated cell by the two-way FE DID coefficient.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period (need not be balanced).
    idname, tname, dname : str
        Unit, period and 0/1 treatment columns.
    yname : str, optional
        Outcome; when given, ``beta_fe`` and ``sigma_fe`` are reported.

    Returns
    -------
    TWFEWeights
    """
    df = prepare(data, [idname, tname, dname, yname], "panel")
    check_unique(df, idname, tname)
    check_binary(df, dname)
    df["_d"] = df[dname].astype(float)
    fit = pf.feols(f"_d ~ 1 | {idname} + {tname}", data=df)
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
        beta = float(pf.feols(f"{yname} ~ _d | {idname} + {tname}", data=df).coef()["_d"])
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
    )
