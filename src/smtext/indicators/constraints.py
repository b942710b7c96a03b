"""Financing-constraint indices: SA, WW, KZ and FC (formulas and sources in each docstring).

All functions take a firm-year panel and column names. SA and WW return a Series aligned
to the input index; KZ and FC, whose coefficients are estimated, return a
:class:`KZResult` / :class:`FCResult` holding that Series (``.index``) and the fit.
Growth rates and lagged denominators use calendar lags (:func:`smtext.panel.lag`), so a
gap year gives a missing value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns, warn
from ..panel import lag

__all__ = ["sa_index", "ww_index", "kz_index", "fc_index", "KZResult", "FCResult", "KZ_LAMONT_2001"]

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
    from ._inputs import numeric_column

    a = numeric_column(data, assets, "SA index") * _UNIT_TO_MILLION[unit]
    size = np.log(a.where(a > 0))
    ag = numeric_column(data, age, "SA index")
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


def _table(s: pd.Series) -> str:
    return s.to_string(float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class KZResult:
    """KZ index and the coefficients that produced it (see :func:`kz_index`).

    Attributes
    ----------
    index : pandas.Series
        The index aligned to the input rows, named ``KZ``; larger = more constrained.
        Missing where a ratio lacks its calendar-lagged total assets.
    coef : pandas.Series
        Coefficients on ``cf, div, cash, lev, q``: estimated by the ordered logit, or the
        ones given.
    cutoffs : pandas.Series or None
        Ordered-logit cut points between consecutive KZ scores (index ``"0|1"``, ``"1|2"``,
        ...); None when the coefficients were given.
    nobs : int
        Firm-years in the ordered logit (0 when the coefficients were given).
    """

    index: pd.Series
    coef: pd.Series
    cutoffs: pd.Series | None = None
    nobs: int = 0

    def summary(self) -> str:
        """Plain-text coefficients (and cut points) with the number of firm-years."""
        how = f"ordered logit, N = {self.nobs:,}" if self.cutoffs is not None else "given coefficients"
        out = f"KZ index ({how}); {int(self.index.notna().sum()):,} of {len(self.index):,} rows scored\n"
        out += _table(self.coef)
        if self.cutoffs is not None:
            out += "\ncut points\n" + _table(self.cutoffs)
        return out


@dataclass(frozen=True)
class FCResult:
    """FC index and the logit that produced it (see :func:`fc_index`).

    Attributes
    ----------
    index : pandas.Series
        Fitted probability of being constrained, in (0, 1), aligned to the input rows and
        named ``FC``; missing where a regressor is missing.
    coef : pandas.Series
        Logit coefficients ``const, size, lev, cashdiv, mb, nwc, ebit``.
    cutoffs : pandas.DataFrame
        Per year (index), the quantiles of the average z-score that split the sample:
        rows at or below ``constrained`` are FC = 1, rows at or above ``unconstrained``
        are FC = 0, the rows between are left out of the logit.
    nobs : int
        Firm-years in the logit.
    n_constrained : int
        Of which FC = 1.
    """

    index: pd.Series
    coef: pd.Series
    cutoffs: pd.DataFrame
    nobs: int
    n_constrained: int

    def summary(self) -> str:
        """Plain-text logit coefficients with the size of both groups."""
        return (f"FC index (logit, N = {self.nobs:,}: {self.n_constrained:,} constrained, "
                f"{self.nobs - self.n_constrained:,} unconstrained); "
                f"{int(self.index.notna().sum()):,} of {len(self.index):,} rows scored\n" + _table(self.coef))


#: Lamont, Polk & Saa-Requejo (2001) KZ coefficients on CF/K, Q, Debt/Capital, Div/K, Cash/K.
KZ_LAMONT_2001 = {"cf": -1.001909, "q": 0.2826389, "lev": 3.139193, "div": -39.3678, "cash": -1.314759}


def kz_index(data: pd.DataFrame, *, cash_flow: str = "operating_cash_flow", dividends: str = "dividends",
             cash: str = "cash", assets: str = "total_assets", leverage: str = "leverage",
             q: str = "tobin_q", idname: str = "stkcd", tname: str = "year",
             coefficients: dict | None = None) -> KZResult:
    """KZ index, by the Chinese procedure of Wei Zhihua et al. (2014, 金融研究) or given coefficients.

    Procedure: CF, Div and Cash are scaled by lagged total assets (calendar lag). Each
    year, kz1 = 1 if CF/A is below the year median, kz2 = Div/A below median, kz3 =
    Cash/A below median, kz4 = leverage above median, kz5 = Q above median; KZ score =
    kz1 + ... + kz5. An ordered logit of the score on (CF/A, Div/A, Cash/A, Lev, Q) gives
    the coefficients; the index is the fitted linear predictor. Larger = more constrained.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel with unique (``idname``, ``tname``).
    cash_flow, dividends, cash, assets : str
        Operating cash flow, cash dividends, cash holdings and total assets columns (the
        first three are divided by the lagged fourth).
    leverage, q : str
        Leverage and Tobin's Q columns, used as they are.
    idname, tname : str
        Firm and year columns.
    coefficients : dict, optional
        Keys ``cf, div, cash, lev, q``: skip the logit and return ``sum(coef * x)``
        (e.g. :data:`KZ_LAMONT_2001`, with the scalings the user intends).

    Returns
    -------
    KZResult
        ``.index`` (the KZ Series), ``.coef`` (estimated or given), ``.cutoffs`` and
        ``.nobs`` of the ordered logit.

    Raises
    ------
    SMError
        SM421 when ``coefficients`` lacks a key or the ordered logit cannot be fitted.
    """
    require_columns(data, [cash_flow, dividends, cash, assets, leverage, q, idname, tname], "panel")
    lta = lag(data, assets, idname=idname, tname=tname)
    X = pd.DataFrame({"cf": data[cash_flow] / lta, "div": data[dividends] / lta, "cash": data[cash] / lta,
                      "lev": data[leverage].astype(float), "q": data[q].astype(float)}, index=data.index)
    if coefficients is not None:
        missing = set(X) - set(coefficients)
        if missing:
            raise SMError("SM421", f"coefficients lack {sorted(missing)}.", "give cf, div, cash, lev and q.")
        given = pd.Series(coefficients)[X.columns]
        return KZResult((X @ given).rename("KZ"), given.astype(float).rename("coef"))
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
    coef = pd.Series(np.asarray(res.params[: X.shape[1]], float), index=X.columns, name="coef")
    levels = [str(v) for v in res.model.labels]
    cuts = pd.Series(res.model.transform_threshold_params(res.params)[1:-1],
                     index=[f"{a}|{b}" for a, b in zip(levels, levels[1:])], name="cutoff")
    return KZResult((X @ coef).rename("KZ"), coef, cuts, int(res.nobs))


def fc_index(data: pd.DataFrame, *, assets: str = "total_assets", age: str = "age",
             cash_dividends: str = "dividends", leverage: str = "leverage", mb: str = "market_to_book",
             nwc: str = "net_working_capital", ebit: str = "ebit", tname: str = "year",
             split: float = 1 / 3) -> FCResult:
    """FC index of financing constraints (larger = more constrained), with its logit.

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
    FCResult
        ``.index``: the index in (0, 1) aligned to ``data.index`` (missing where a
        regressor is missing); ``.coef``: the logit coefficients (``const, size, lev,
        cashdiv, mb, nwc, ebit``); ``.cutoffs``: the yearly split points.

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
    coef = pd.Series(np.asarray(res.params, float), index=names, name="coef")
    eta = coef["const"] + X @ coef[X.columns]
    index = 1 / (1 + np.exp(-eta))
    cutoffs = pd.DataFrame({"constrained": lo.groupby(yr).first(), "unconstrained": hi.groupby(yr).first()})
    return FCResult(index.where(ok).rename("FC"), coef, cutoffs, int(fit_rows.sum()), int((fc == 1).sum()))
