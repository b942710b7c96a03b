"""Market and supply-chain concentration: HHI, top-5 customer/supplier shares, Theil index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns, warn

__all__ = ["hhi", "supply_chain_concentration", "theil", "TheilResult"]


def hhi(data: pd.DataFrame, *, value: str = "revenue", by=("industry", "year"),
        idname: str | None = "stkcd") -> pd.Series:
    """Herfindahl-Hirschman index of ``value`` shares within each ``by`` cell, per row.

    ``HHI_g = sum_i (x_i / sum_g x)^2`` over firms in cell g (industry-year, or
    city-industry-year with ``by=("city", "industry", "year")``); in (0, 1]. Rows with a
    missing, negative, infinite or unreadable (text) ``value`` are left out of the shares
    (SM430 warning) and get the cell's HHI; a cell without one positive, finite value has a
    missing HHI (SM430 warning counting those cells), never 0.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per firm and cell.
    value : str
        Column whose shares enter the index (revenue).
    by : str or sequence of str
        Cell columns.
    idname : str or None
        Firm column; when it is in ``data``, a firm listed twice in one cell raises
        SM401 (its revenue would count twice). ``None`` skips the check.

    Returns
    -------
    pandas.Series
        ``HHI`` aligned to ``data.index``.
    """
    by = [by] if isinstance(by, str) else list(by)
    require_columns(data, [value] + by, "panel")
    if idname is not None and idname in data.columns:
        dup = data.duplicated([idname] + by, keep=False)
        if dup.any():
            raise SMError("SM401", f"{int(dup.sum())} rows repeat a firm within one {by} cell, e.g. "
                                   f"{data.loc[dup, [idname] + by].head(2).to_dict('records')}.",
                          "deduplicate the panel (one row per firm-year) first.")
    x = pd.to_numeric(data[value], errors="coerce").astype(float)
    bad = ~((x >= 0) & np.isfinite(x))
    if bad.any():
        is_text = data[value].notna() & pd.to_numeric(data[value], errors="coerce").isna()
        text = int(is_text.sum())
        shown = [str(v) for v in dict.fromkeys(data.loc[is_text, value].astype(str))][:3]
        warn("SM430", f"{int(bad.sum())} rows have a missing, negative, infinite or unreadable {value!r}"
                      f"{f' ({text} not numbers, such as {shown})' if text else ''}; they are left out of "
                      "the shares.", f"convert {value!r} to numbers first if that is not intended.")
    x = x.where(~bad)
    keys = [data[b] for b in by]
    total = x.groupby(keys).transform("sum")
    share = x / total.where(total > 0)
    usable = share.notna().groupby(keys).transform("sum")
    h = (share ** 2).groupby(keys).transform("sum").where(usable > 0).rename("HHI")
    empty = h.isna()
    if empty.any():
        cells = data.loc[empty, by].drop_duplicates()
        warn("SM430", f"{len(cells)} cell{'s' if len(cells) != 1 else ''} of {by} ({int(empty.sum())} rows) have no "
                      f"positive, finite {value!r}; their HHI is missing (not 0), e.g. "
                      f"{cells.head(2).to_dict('records')}.", "check the revenue column of those cells.")
    return h


def supply_chain_concentration(data: pd.DataFrame, *, customer: str = "top5_customer_share",
                               supplier: str = "top5_supplier_share", percent: bool = False) -> pd.DataFrame:
    """CT, PT and ST of paper 001: top-5 customer share, top-5 supplier share, their mean.

    Shares are fractions (``percent=True`` divides by 100 first); values outside [0, 1]
    raise SM430.
    """
    require_columns(data, [customer, supplier], "panel")
    ct = pd.to_numeric(data[customer], errors="coerce") / (100 if percent else 1)
    pt = pd.to_numeric(data[supplier], errors="coerce") / (100 if percent else 1)
    if ((ct < 0) | (ct > 1) | (pt < 0) | (pt > 1)).any():
        raise SMError("SM430", "top-5 shares must be fractions in [0, 1].",
                      "pass percent=True when the shares are in percent.")
    return pd.DataFrame({"CT": ct, "PT": pt, "ST": (ct + pt) / 2}, index=data.index)



@dataclass(frozen=True)
class TheilResult:
    """Theil T index and, with groups, its decomposition (see :func:`theil`).

    Attributes
    ----------
    total : float
        Theil T of all values.
    between, within : float or None
        The between-group and within-group parts (``between + within == total``); None
        without groups.
    by_group : pandas.Series or None
        Theil T within each group (missing for a group whose values are all zero); None
        without groups.
    """

    total: float
    between: float | None = None
    within: float | None = None
    by_group: pd.Series | None = None

    def summary(self) -> str:
        """Plain-text total and decomposition."""
        out = f"Theil T = {self.total:.4f}"
        if self.by_group is not None:
            out += (f" = between {self.between:.4f} + within {self.within:.4f}\nby group\n"
                    + self.by_group.to_string(float_format=lambda v: f"{v:.4f}"))
        return out


def theil(values, groups=None) -> TheilResult:
    """Theil T index with the between/within decomposition over ``groups``.

    ``T = (1/N) sum (x_i/mu) ln(x_i/mu)``; with groups g (population share n_g/N, income
    share s_g = n_g mu_g / (N mu)): ``T = sum_g s_g ln(mu_g/mu) + sum_g s_g T_g``
    (between + within). Paper 003 applies it to export DVAR within industries (pass
    industry-year cells as ``groups`` and read ``by_group``).

    Parameters
    ----------
    values : array-like
        Non-negative values with a positive mean; a zero adds ``0 * ln 0 = 0`` (e.g. a
        DVAR clipped at 0).
    groups : array-like, optional
        Group label of each value.

    Returns
    -------
    TheilResult
        ``.total``, and with groups also ``.between``, ``.within`` and ``.by_group`` (Series
        of T_g; missing for a group whose values are all zero, which has income share 0).

    Raises
    ------
    SMError
        SM431 for negative or missing values, or when every value is zero.
    """
    from scipy.special import xlogy

    x = np.asarray(values, dtype=float)
    if (x < 0).any() or np.isnan(x).any() or not x.sum() > 0:
        raise SMError("SM431", "the Theil index needs non-negative, non-missing values with a positive mean.",
                      "drop or fix negative/missing values first.")
    mu = x.mean()
    total = float(np.mean(xlogy(x / mu, x / mu)))
    if groups is None:
        return TheilResult(total)
    g = pd.Series(x).groupby(np.asarray(groups))
    mug, ng = g.mean(), g.size()
    sg = ng * mug / (len(x) * mu)
    tg = g.apply(lambda v: float(np.mean(xlogy(v / v.mean(), v / v.mean()))) if v.mean() > 0 else np.nan)
    return TheilResult(total, float(xlogy(sg, mug / mu).sum()), float((sg * tg.fillna(0.0)).sum()), tg)
