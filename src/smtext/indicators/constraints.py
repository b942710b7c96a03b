"""Financing-constraint indices: SA, WW, KZ and FC (formulas and sources in each docstring).

All functions take a firm-year panel and column names and return a Series aligned to
the input index. Growth rates and lagged denominators use calendar lags
(:func:`smtext.panel.lag`), so a gap year gives a missing value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns, warn
from ..panel import lag

__all__ = ["sa_index", "ww_index", "kz_index", "fc_index", "KZ_LAMONT_2001"]

_UNIT_TO_MILLION = {"yuan": 1e-6, "10k_yuan": 1e-2, "million_yuan": 1.0}


def sa_index(data: pd.DataFrame, *, assets: str = "total_assets", age: str = "age",
             unit: str = "yuan", absolute: bool = False, cap: bool = False) -> pd.Series:
    """SA index of Hadlock & Pierce (2010, RFS 23(5), Table 6).

    ``SA = -0.737*Size + 0.043*Size^2 - 0.040*Age``, with ``Size = ln(total assets in
    millions)`` and ``Age`` in years. Chinese studies (e.g. Ju Xiaosheng et al. 2013) use
    million yuan and report ``|SA|`` (larger = more constrained) with ``absolute=True``.

    Parameters
    ----------
    assets : str
        Total assets column.
    age : str
        Firm age in years (e.g. ``year - founding_year`` or years since listing).
    unit : {"yuan", "10k_yuan", "million_yuan"}
        Unit of ``assets``; converted to millions before the log (a panel in yuan fed to
        the formula unconverted shifts Size by ln(1e6) = 13.8 and flips the ranking).
    absolute : bool
        Return ``|SA|``.
    cap : bool
        Hadlock-Pierce winsorization: Size at ln(4,500) and Age at 37.
    """
    check_option("unit", unit, tuple(_UNIT_TO_MILLION))
    require_columns(data, [assets, age], "panel")
    a = pd.to_numeric(data[assets], errors="coerce") * _UNIT_TO_MILLION[unit]
    size = np.log(a.where(a > 0))
    ag = pd.to_numeric(data[age], errors="coerce").astype(float)
    if size.dropna().median() > np.log(1e6):
        warn("SM420", f"median total assets exceed 1e12 million after unit={unit!r}; the unit is probably wrong.",
             "pass unit='yuan' for statements in yuan.")
    if cap:
        size, ag = size.clip(upper=np.log(4500)), ag.clip(upper=37)
    sa = -0.737 * size + 0.043 * size ** 2 - 0.040 * ag
    return (sa.abs() if absolute else sa).rename("SA")


def ww_index(data: pd.DataFrame, *, cash_flow: str = "operating_cash_flow", assets: str = "total_assets",
             dividends: str = "dividends", long_term_debt: str = "long_term_debt",
             sales: str = "revenue", industry: str = "industry", idname: str = "stkcd",
             tname: str = "year") -> pd.Series:
    """WW index of Whited & Wu (2006, RFS 19(2), Table 6 column 1 coefficients).

    ``WW = -0.091*CF - 0.062*DIVPOS + 0.021*TLTD - 0.044*LNTA + 0.102*ISG - 0.035*SG``,
    CF = cash flow / total assets, DIVPOS = 1 if dividends > 0, TLTD = long-term debt /
    total assets, LNTA = ln(total assets), SG = firm sales growth (calendar lag), ISG =
    mean SG of the industry-year. The original is quarterly; annual use follows the
    Chinese literature. Larger = more constrained.
    """
    require_columns(data, [cash_flow, assets, dividends, long_term_debt, sales, industry, idname, tname], "panel")
    ta = pd.to_numeric(data[assets], errors="coerce")
    sg = data[sales] / lag(data, sales, idname=idname, tname=tname) - 1
    isg = sg.groupby([data[industry], data[tname]]).transform("mean")
    ww = (-0.091 * data[cash_flow] / ta - 0.062 * (data[dividends] > 0).astype(float)
          + 0.021 * data[long_term_debt] / ta - 0.044 * np.log(ta.where(ta > 0))
          + 0.102 * isg - 0.035 * sg)
    return ww.rename("WW")


#: Lamont, Polk & Saa-Requejo (2001) KZ coefficients on CF/K, Q, Debt/Capital, Div/K, Cash/K.
KZ_LAMONT_2001 = {"cf": -1.001909, "q": 0.2826389, "lev": 3.139193, "div": -39.3678, "cash": -1.314759}


def kz_index(data: pd.DataFrame, *, cash_flow: str = "operating_cash_flow", dividends: str = "dividends",
             cash: str = "cash", assets: str = "total_assets", leverage: str = "leverage",
             q: str = "tobin_q", idname: str = "stkcd", tname: str = "year",
             coefficients: dict | None = None):
    """KZ index, by the Chinese procedure of Wei Zhihua et al. (2014, 金融研究) or given coefficients.

    Procedure: CF, Div and Cash are scaled by lagged total assets (calendar lag). Each
    year, kz1 = 1 if CF/A is below the year median, kz2 = Div/A below median, kz3 =
    Cash/A below median, kz4 = leverage above median, kz5 = Q above median; KZ score =
    kz1 + ... + kz5. An ordered logit of the score on (CF/A, Div/A, Cash/A, Lev, Q) gives
    the coefficients; the index is the fitted linear predictor. Larger = more constrained.

    Parameters
    ----------
    coefficients : dict, optional
        Keys ``cf, div, cash, lev, q``: skip the logit and return ``sum(coef * x)``
        (e.g. :data:`KZ_LAMONT_2001`, with the scalings the user intends).

    Returns
    -------
    (pandas.Series, dict)
        The index and the coefficients used (estimated or given).
    """
    require_columns(data, [cash_flow, dividends, cash, assets, leverage, q, idname, tname], "panel")
    lta = lag(data, assets, idname=idname, tname=tname)
    X = pd.DataFrame({"cf": data[cash_flow] / lta, "div": data[dividends] / lta, "cash": data[cash] / lta,
                      "lev": data[leverage].astype(float), "q": data[q].astype(float)}, index=data.index)
    if coefficients is not None:
        missing = set(X) - set(coefficients)
        if missing:
            raise SMError("SM421", f"coefficients lack {sorted(missing)}.", "give cf, div, cash, lev and q.")
        return (X @ pd.Series(coefficients)[X.columns]).rename("KZ"), dict(coefficients)
    ok = X.notna().all(axis=1)
    Xo, yr = X[ok], data.loc[ok, tname]
    med = Xo.groupby(yr).transform("median")
    score = ((Xo["cf"] < med["cf"]).astype(int) + (Xo["div"] < med["div"]).astype(int)
             + (Xo["cash"] < med["cash"]).astype(int) + (Xo["lev"] > med["lev"]).astype(int)
             + (Xo["q"] > med["q"]).astype(int))
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    try:
        res = OrderedModel(score.to_numpy(), Xo.to_numpy(), distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    except Exception as e:  # statsmodels raises several types on singular designs
        raise SMError("SM421", f"the KZ ordered logit failed: {e}.",
                      "check the five inputs vary, or pass coefficients=.") from e
    coef = dict(zip(X.columns, res.params[: X.shape[1]]))
    return (X @ pd.Series(coef)).rename("KZ"), coef


def fc_index(data: pd.DataFrame, *, assets: str = "total_assets", age: str = "age",
             cash_dividends: str = "dividends", leverage: str = "leverage", mb: str = "market_to_book",
             nwc: str = "net_working_capital", ebit: str = "ebit", tname: str = "year",
             split: float = 1 / 3) -> tuple[pd.Series, dict]:
    """FC index of financing constraints (larger = more constrained), with its logit coefficients.

    Paper 004 (s. 6.1) uses the FC index of 顾雷雷、郭建鸾、王鸿宇 (2020, 金融研究 第2期) but
    does not print its construction. We implement the procedure that Chinese studies
    use under that name (after Hadlock & Pierce 2010; 姜付秀、石贝贝、马云飙 2016, 经济研究):

    1. Within each year, z-score firm size ``ln(total assets)``, firm age and the cash
       dividend payout (cash dividends / total assets) and average the three z-scores.
    2. Firm-years in the bottom ``split`` quantile of that average (small, young, paying
       little) are constrained (``FC = 1``), those in the top ``split`` quantile are not
       (``FC = 0``); the middle is left out of the fit.
    3. A logit of FC on Size, Lev, CashDiv, MB, NWC and EBIT (the last four scaled by total
       assets where they are amounts, as the caller supplies them) gives the
       coefficients; the index is the fitted probability for *every* firm-year.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel (any unit for money: only ratios and the log of assets enter,
        and the log is z-scored within years for the split).
    assets, age, cash_dividends : str
        Total assets, firm age in years, cash dividends paid.
    leverage, mb, nwc, ebit : str
        Regressors of the logit as ratios: leverage, market-to-book, net working capital
        / total assets, EBIT / total assets.
    tname : str
        Year column (the z-scores and quantiles are within year).
    split : float
        Quantile defining the constrained and unconstrained groups (1/3 = terciles,
        0.5 = median split).

    Returns
    -------
    (pandas.Series, dict)
        The index in (0, 1) aligned to ``data.index`` (missing where a regressor is
        missing) and the logit coefficients (``const, size, lev, cashdiv, mb, nwc, ebit``).

    Raises
    ------
    SMError
        SM422 when ``split`` is not in (0, 0.5] or the logit cannot be fitted
        (perfect separation, too few rows).
    """
    if not 0 < split <= 0.5:
        raise SMError("SM422", f"split={split} must lie in (0, 0.5].", "use 1/3 (terciles) or 0.5 (median).")
    require_columns(data, [assets, age, cash_dividends, leverage, mb, nwc, ebit, tname], "panel")
    ta = pd.to_numeric(data[assets], errors="coerce")
    size = np.log(ta.where(ta > 0))
    X = pd.DataFrame({"size": size, "lev": pd.to_numeric(data[leverage], errors="coerce"),
                      "cashdiv": pd.to_numeric(data[cash_dividends], errors="coerce") / ta.where(ta > 0),
                      "mb": pd.to_numeric(data[mb], errors="coerce"),
                      "nwc": pd.to_numeric(data[nwc], errors="coerce"),
                      "ebit": pd.to_numeric(data[ebit], errors="coerce")}, index=data.index)
    X = X.replace([np.inf, -np.inf], np.nan)
    ok = X.notna().all(axis=1) & pd.to_numeric(data[age], errors="coerce").notna()
    n_drop = int((~ok).sum())
    if n_drop:
        warn("SM422", f"{n_drop} of {len(data)} rows miss a regressor of the FC index; their index is missing.")
    yr = data.loc[ok, tname]
    parts = pd.DataFrame({"size": X.loc[ok, "size"], "age": pd.to_numeric(data.loc[ok, age]),
                          "cashdiv": X.loc[ok, "cashdiv"]})
    z = parts.groupby(yr).transform(lambda s: (s - s.mean()) / s.std(ddof=1))
    avg = z.mean(axis=1)
    lo = avg.groupby(yr).transform(lambda s: s.quantile(split))
    hi = avg.groupby(yr).transform(lambda s: s.quantile(1 - split))
    fc = pd.Series(np.nan, index=avg.index)
    fc[avg <= lo] = 1.0
    fc[avg >= hi] = 0.0
    fit_rows = fc.notna()
    import statsmodels.api as sm
    design = sm.add_constant(X.loc[fit_rows.index[fit_rows]], has_constant="add")
    try:
        res = sm.Logit(fc[fit_rows].to_numpy(), design.to_numpy()).fit(disp=0, maxiter=200)
    except Exception as e:  # perfect separation, singular design
        raise SMError("SM422", f"the FC logit failed: {e}.",
                      "check that the six regressors vary and the sample is not tiny.") from e
    names = ["const"] + list(X.columns)
    coef = dict(zip(names, np.asarray(res.params, float)))
    eta = coef["const"] + X @ pd.Series({k: coef[k] for k in X.columns})
    index = 1 / (1 + np.exp(-eta))
    return index.where(ok).rename("FC"), coef
