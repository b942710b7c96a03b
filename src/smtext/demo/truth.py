"""Definitions of the planted quantities that papers also measure, written out by the demo itself.

The demo never calls the measurement code it is meant to test (``smtext.indicators``,
``smtext.patents``, ``smtext.text``, ...): a bug there would otherwise move the truth and the
estimate together. Each function here states the definition it plants in a few lines;
``tests/test_demo_truth.py`` checks the measurement code against them on a generated world.

* :func:`robot_exposure`: firm robot penetration of Wang Yongqin & Dong Wen (2020), as paper
  003 uses it (the DVAR effect is planted on it).
* :func:`dvar_eq2`: export DVAR of paper 003 eq. (2) (intermediaries, the 0.05 term and the
  0.0417 x NFA term) from the world's customs records and statements.
* :func:`entropy_weights`: weights of the entropy-weight method (熵值法), which paper 002's
  NQPF index uses (its planted effect is stated with them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def robot_exposure(panel: pd.DataFrame, robots: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    """Firm-year robot penetration ``PR_it = (PWP_i0 / median_k PWP_k0) * scale * R_jt / L_j0``.

    ``PWP_i0`` is firm i's production-worker share (production workers / employees) in its
    first year in ``panel`` (base year 0); the median is over firms. ``R_jt`` is the robot
    stock of the firm's industry j in year t and ``L_j0`` the sum of base-year employees of
    the panel's firms in j (industry robot density, Bartik-style shift times share).

    Parameters
    ----------
    panel : pandas.DataFrame
        Firm-years with ``stkcd, year, industry, employees, production_workers``
        (employees positive everywhere, as the demo's statements have).
    robots : pandas.DataFrame
        ``industry, year, robot_stock``.
    scale : float
        Unit of the density (1 = robots per worker).

    Returns
    -------
    numpy.ndarray
        ``PR_it`` per row of ``panel`` (NaN where the industry-year has no robot stock).
    """
    base = panel.sort_values(["stkcd", "year"], kind="stable").drop_duplicates("stkcd").set_index("stkcd")
    pwp = base["production_workers"] / base["employees"]
    employment0 = base.groupby("industry")["employees"].sum()
    density = pd.Series((robots["robot_stock"] / robots["industry"].map(employment0)).to_numpy(),
                        index=pd.MultiIndex.from_frame(robots[["industry", "year"]]))
    weight = panel["stkcd"].map(pwp / pwp.median()).to_numpy()
    r_jt = density.reindex(pd.MultiIndex.from_frame(panel[["industry", "year"]])).to_numpy()
    return weight * r_jt * scale


def entropy_weights(X: np.ndarray, positive: np.ndarray, shift: float = 1e-4) -> np.ndarray:
    """Entropy-weight method: one weight per column of ``X`` (rows are observations).

    1. min-max normalize each indicator by its direction and shift it so logs exist:
       ``z_ij = (x_ij - min_j) / (max_j - min_j) + shift`` (``max_j - x_ij`` for negative ones);
    2. proportions ``p_ij = z_ij / sum_i z_ij``;
    3. entropy ``e_j = -sum_i p_ij ln p_ij / ln n``;
    4. weights ``w_j = (1 - e_j) / sum_k (1 - e_k)``.

    Parameters
    ----------
    X : numpy.ndarray
        ``n x k`` indicator values, none missing or constant.
    positive : numpy.ndarray
        ``k`` booleans: True where more is better.
    shift : float
        Added after normalizing (1e-4, as is usual).

    Returns
    -------
    numpy.ndarray
        ``k`` weights summing to one.
    """
    # row-major whatever the caller's layout: column sums then add row by row, which fixes the
    # last bits of the weights written to truth.json
    X = np.asarray(X, dtype=float, order="C")
    lo, hi = X.min(axis=0), X.max(axis=0)
    Z = np.where(positive, X - lo, hi - X) / (hi - lo) + shift
    P = Z / Z.sum(axis=0)
    e = -(P * np.log(P)).sum(axis=0) / np.log(len(X))
    return (1 - e) / (1 - e).sum()


def dvar_eq2(trade: pd.DataFrame, fin: pd.DataFrame, shares: pd.DataFrame, industry: pd.Series) -> pd.DataFrame:
    """Paper 003 eq. (2), as printed, per exporter-year of ``trade``.

    ``DVAR = 1 - (MPA + Xo * MoAM / (D + Xo) - 0.05 * (MT - MPA - Xo * MoAM / (D + Xo)) - 0.0417 * NFA) / X``
    with ``MPA`` / ``MoAM`` the processing / ordinary intermediate imports (imports less capital goods)
    divided by ``1 - intermediary share`` of the firm's industry-year, ``D + Xo = revenue - Xp``,
    ``MT = cash_paid_goods`` and ``NFA`` the mean of this and last year's ``fixed_assets_net`` (this
    year's alone when last year is not in ``fin``). Not clipped.

    Parameters
    ----------
    trade : pandas.DataFrame
        ``stkcd, year, trade_mode, exports, imports, imports_capital_goods`` (the customs records).
    fin : pandas.DataFrame
        ``stkcd, year, revenue, cash_paid_goods, fixed_assets_net``, one row per firm-year.
    shares : pandas.DataFrame
        ``industry, year, intermediary_share``.
    industry : pandas.Series
        Industry per ``stkcd``.

    Returns
    -------
    pandas.DataFrame
        ``stkcd, year, dvar_eq2``.
    """
    res = []
    prev = {(s, y): v for s, y, v in zip(fin["stkcd"], fin["year"], fin["fixed_assets_net"])}
    f = fin.set_index(["stkcd", "year"])
    share = {(j, y): v for j, y, v in zip(shares["industry"], shares["year"], shares["intermediary_share"])}
    for (firm, year), g in trade.groupby(["stkcd", "year"], sort=True):
        mode = g.set_index("trade_mode")
        xp, xo = float(mode.loc["processing", "exports"]), float(mode.loc["ordinary", "exports"])
        mp = float(mode.loc["processing", "imports"] - mode.loc["processing", "imports_capital_goods"])
        mo = float(mode.loc["ordinary", "imports"] - mode.loc["ordinary", "imports_capital_goods"])
        s = share[(industry[firm], year)]
        mpa, moam = mp / (1 - s), mo / (1 - s)
        row = f.loc[(firm, year)]
        nfa_now = float(row["fixed_assets_net"])
        nfa = (nfa_now + prev[(firm, year - 1)]) / 2 if (firm, year - 1) in prev else nfa_now
        ordinary = xo * moam / (float(row["revenue"]) - xp)
        foreign = mpa + ordinary - 0.05 * (float(row["cash_paid_goods"]) - mpa - ordinary) - 0.0417 * nfa
        res.append((firm, year, 1 - foreign / (xp + xo)))
    return pd.DataFrame(res, columns=["stkcd", "year", "dvar_eq2"])
