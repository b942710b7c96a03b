"""Firm-year panel utilities: calendar lags, winsorizing, z-scores, deflators, sample filters.

Every function takes column names and returns new objects (inputs are never
modified). Lags are *calendar* lags: the lag of 2015 is the firm's 2014 row, and
when the firm has no 2014 row the lag is missing - never the previous row (the
classic ``by stkcd: gen L = x[_n-1]`` mistake in copied do-files).

Sample filters return a :class:`FilterResult` that carries the kept rows and a
report of how many rows each step dropped and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import SMError, require_columns, warn

__all__ = [
    "check_keys", "lag", "lead", "winsorize", "zscore", "deflate", "balanced_panel",
    "FilterResult", "drop_st", "drop_financial", "drop_ipo_year", "drop_missing",
    "filter_sample", "FINANCIAL_DIVISIONS",
]

#: CSRC-2012 divisions of the financial industry (section J): banking (J66),
#: capital markets (J67), insurance (J68), other finance (J69).
FINANCIAL_DIVISIONS = ("J66", "J67", "J68", "J69")


def _as_list(columns) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def check_keys(data: pd.DataFrame, idname: str = "stkcd", tname: str = "year") -> None:
    """Raise SM401 when (``idname``, ``tname``) is not unique, SM402 when years are not integers.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    idname, tname : str
        Firm and year columns.
    """
    require_columns(data, [idname, tname], "panel")
    t = pd.to_numeric(data[tname], errors="coerce")
    if t.isna().any() or not np.all(np.equal(np.mod(t.to_numpy(dtype=float), 1), 0)):
        text = data.loc[t.isna() & data[tname].notna(), tname].head(3).tolist()
        raise SMError("SM402", f"column {tname!r} must hold whole years without missing values"
                      f"{f' (it holds text such as {text})' if text else ''}.",
                      f"convert {tname!r} to int (e.g. strip a trailing 年) and drop rows without a year.")
    dup = data.duplicated([idname, tname], keep=False)
    if dup.any():
        ex = data.loc[dup, [idname, tname]].head(3).to_dict("records")
        raise SMError("SM401", f"{int(dup.sum())} rows share a ({idname}, {tname}) key, e.g. {ex}.",
                      "deduplicate the panel (one row per firm-year) before lagging.")


def lag(data: pd.DataFrame, columns, n: int = 1, *, idname: str = "stkcd",
        tname: str = "year") -> pd.DataFrame | pd.Series:
    """Calendar lag: the value of ``columns`` in year ``t - n`` of the same firm.

    Parameters
    ----------
    data : pandas.DataFrame
        Panel with unique (``idname``, ``tname``) keys; row order does not matter.
    columns : str or list of str
        Columns to lag.
    n : int
        Lag length in years; negative values give leads.
    idname, tname : str
        Firm and year columns.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Aligned to ``data.index``; missing where the firm has no row in ``t - n``
        (a gap year gives a missing lag, not the previous row).
    """
    cols = _as_list(columns)
    require_columns(data, cols, "panel")
    check_keys(data, idname, tname)
    src = data[[idname, tname] + cols].copy()
    src[tname] = src[tname].astype(np.int64) + int(n)   # row of year s serves year s + n
    key = pd.MultiIndex.from_arrays([data[idname].to_numpy(), data[tname].astype(np.int64).to_numpy()])
    table = src.set_index([idname, tname])[cols]
    out = table.reindex(key)
    out.index = data.index
    return out[cols[0]] if isinstance(columns, str) else out


def lead(data: pd.DataFrame, columns, n: int = 1, *, idname: str = "stkcd",
         tname: str = "year") -> pd.DataFrame | pd.Series:
    """Calendar lead: the value in year ``t + n`` of the same firm (see :func:`lag`)."""
    return lag(data, columns, -n, idname=idname, tname=tname)


def winsorize(data: pd.DataFrame, columns, limits: tuple[float, float] = (0.01, 0.99), *,
              by: str | Sequence[str] | None = None,
              quantile_method: str = "linear") -> pd.DataFrame:
    """Clip ``columns`` at the given quantiles, pooled or within groups (e.g. by year).

    Parameters
    ----------
    data : pandas.DataFrame
        Input table (not modified).
    columns : str or list of str
        Continuous variables to winsorize.
    limits : (float, float)
        Lower and upper quantiles, e.g. ``(0.01, 0.99)`` for the papers' 1%/99%.
    by : str or list of str, optional
        Group columns (``"year"`` for winsorizing by year); ``None`` pools all rows.
    quantile_method : str
        Passed to :func:`numpy.quantile`. ``"linear"`` is numpy/pandas' default;
        ``"averaged_inverted_cdf"`` reproduces Stata's ``_pctile`` (used by
        ``winsor2``).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns clipped; missing values stay missing.
    """
    cols = _as_list(columns)
    lo, hi = limits
    if not 0 <= lo < hi <= 1:
        raise SMError("SM403", f"limits={limits} must satisfy 0 <= lower < upper <= 1.",
                      "use for example (0.01, 0.99).")
    require_columns(data, cols + ([] if by is None else _as_list(by)), "data")
    out = data.copy()

    def clip(s: pd.Series) -> pd.Series:
        v = s.to_numpy(dtype=float)
        ok = ~np.isnan(v)
        if not ok.any():
            return s
        ql, qh = np.quantile(v[ok], [lo, hi], method=quantile_method)
        return s.clip(ql, qh)

    for c in cols:
        if by is None:
            out[c] = clip(out[c].astype(float))
        else:
            out[c] = out.groupby(by, group_keys=False, dropna=False)[c].transform(
                lambda s: clip(s.astype(float)))
    return out


def zscore(data: pd.DataFrame, columns, *, by: str | Sequence[str] | None = None,
           ddof: int = 1) -> pd.DataFrame:
    """Standardize ``columns`` to mean 0 and s.d. 1, pooled or within groups.

    Parameters
    ----------
    data : pandas.DataFrame
        Input table (not modified).
    columns : str or list of str
        Columns to standardize.
    by : str or list of str, optional
        Group columns (e.g. ``"year"``); ``None`` pools.
    ddof : int
        Delta degrees of freedom of the s.d. (1 = sample s.d., as Stata's ``egen std``).

    Returns
    -------
    pandas.DataFrame
        A copy with the standardized columns (a constant group gives missing).
    """
    cols = _as_list(columns)
    require_columns(data, cols + ([] if by is None else _as_list(by)), "data")
    out = data.copy()
    for c in cols:
        x = out[c].astype(float)
        if by is None:
            mu, sd = x.mean(), x.std(ddof=ddof)
        else:
            g = x.groupby([out[b] for b in _as_list(by)], dropna=False)
            mu, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=ddof))
        out[c] = (x - mu) / (sd.replace(0, np.nan) if isinstance(sd, pd.Series) else (sd or np.nan))
    return out


def balanced_panel(data: pd.DataFrame, idname: str = "stkcd", tname: str = "year",
                   years: tuple[int, int] | None = None) -> tuple[pd.DataFrame, int]:
    """Firms observed in every year of ``years`` (inclusive; default: the data's first to last year).

    Estimators that need a balanced panel (Callaway-Sant'Anna, Goodman-Bacon, interactive FE)
    run on this subset; drop rows with a missing outcome first.

    Returns
    -------
    (pandas.DataFrame, int)
        The rows of the kept firms within ``years``, and the number of firms dropped.
    """
    if years is None:
        years = (int(data[tname].min()), int(data[tname].max()))
    span = data[data[tname].between(*years)]
    counts = span.groupby(idname)[tname].nunique()
    keep = counts.index[counts == years[1] - years[0] + 1]
    return span[span[idname].isin(keep)].copy(), int(len(counts) - len(keep))


def deflate(data: pd.DataFrame, columns, index: pd.DataFrame, *, value: str = "index",
            base_year: int | None = None, tname: str = "year",
            on: str | Sequence[str] | None = None, suffix: str = "") -> pd.DataFrame:
    """Divide nominal ``columns`` by a price index rebased to ``base_year``.

    Parameters
    ----------
    data : pandas.DataFrame
        Panel with ``tname`` (and the ``on`` columns, e.g. ``province`` or ``industry``).
    columns : str or list of str
        Nominal money columns.
    index : pandas.DataFrame
        Price index with ``tname``, ``value`` and the ``on`` columns; any base.
    value : str
        Column of ``index`` holding the index level.
    base_year : int, optional
        Year whose prices the result is in; default the first year of ``index``.
        Within each ``on`` group the index is divided by its base-year level.
    tname : str
        Year column in both tables.
    on : str or list of str, optional
        Extra keys of the index (province, industry); ``None`` = one national index.
    suffix : str
        Appended to the deflated column names ("" overwrites the nominal columns).

    Returns
    -------
    pandas.DataFrame
        A copy with real values. Rows whose year has no index get missing values and
        an SM404 warning that counts them.
    """
    cols = _as_list(columns)
    keys = [tname] + ([] if on is None else _as_list(on))
    require_columns(data, cols + keys, "data")
    require_columns(index, keys + [value], "price index")
    idx = index[keys + [value]].copy()
    base = int(idx[tname].min()) if base_year is None else int(base_year)
    grp = keys[1:]
    base_rows = idx[idx[tname] == base]
    if base_rows.empty:
        raise SMError("SM404", f"the price index has no row for base year {base}.",
                      "pick a base_year the index covers.")
    if grp:
        lvl = idx.merge(base_rows[grp + [value]].rename(columns={value: "_base"}), on=grp, how="left")
    else:
        lvl = idx.assign(_base=float(base_rows[value].iloc[0]))
    lvl["_factor"] = lvl[value] / lvl["_base"]
    merged = data[keys].merge(lvl[keys + ["_factor"]], on=keys, how="left", validate="many_to_one")
    factor = merged["_factor"].to_numpy()
    out = data.copy()
    n_miss = int(np.isnan(factor).sum())
    if n_miss:
        warn("SM404", f"{n_miss} rows have no price index for their {keys}; their real values are missing.",
             "extend the price index to every year (and group) of the panel.")
    for c in cols:
        out[c + suffix] = out[c].to_numpy(dtype=float) / factor
    return out


# ---------------------------------------------------------------- sample filters

@dataclass(frozen=True)
class FilterResult:
    """Rows kept by a sample filter and what each step dropped.

    Attributes
    ----------
    data : pandas.DataFrame
        The kept rows (original index).
    report : pandas.DataFrame
        One row per step: ``step, reason, rows_before, dropped, rows_after``.
    dropped_index : dict
        Step name -> index labels it dropped.
    """

    data: pd.DataFrame
    report: pd.DataFrame
    dropped_index: dict = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        """Total rows dropped over all steps."""
        return int(self.report["dropped"].sum())

    def summary(self) -> str:
        """One line per step, e.g. ``st: dropped 12 of 3,000 rows (ST/*ST/PT firm-years)``."""
        return "\n".join(f"{r.step}: dropped {r.dropped:,} of {r.rows_before:,} rows ({r.reason})"
                         for r in self.report.itertuples())


def _one_step(data: pd.DataFrame, drop: pd.Series, step: str, reason: str) -> FilterResult:
    drop = drop.fillna(False).astype(bool)
    rep = pd.DataFrame([{"step": step, "reason": reason, "rows_before": len(data),
                         "dropped": int(drop.sum()), "rows_after": int((~drop).sum())}])
    return FilterResult(data.loc[~drop], rep, {step: data.index[drop]})


def drop_st(data: pd.DataFrame, *, flag: str | None = "is_st", name: str | None = None) -> FilterResult:
    """Drop special-treatment firm-years (ST, *ST, PT).

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    flag : str, optional
        0/1 column marking ST status in that year (``is_st`` in the demo panel).
    name : str, optional
        Security-name column; names starting with ``ST``, ``*ST``, ``S*ST`` or ``PT``
        (after optional spaces) are dropped too.

    Returns
    -------
    FilterResult
    """
    if flag is None and name is None:
        raise SMError("SM405", "drop_st needs a flag column or a name column.",
                      "pass flag='is_st' or name='name'.")
    require_columns(data, [c for c in (flag, name) if c], "panel")
    drop = pd.Series(False, index=data.index)
    if flag:
        drop |= data[flag].fillna(0).astype(float) != 0
    if name:
        drop |= data[name].astype(str).str.strip().str.upper().str.match(r"^(S?\*?ST|PT)")
    return _one_step(data, drop, "st", "ST/*ST/PT firm-years")


def drop_financial(data: pd.DataFrame, *, industry: str = "industry",
                   codes: Iterable[str] = FINANCIAL_DIVISIONS) -> FilterResult:
    """Drop financial-industry firms (CSRC-2012 divisions J66-J69 by default).

    A code matches when the industry code starts with it, so ``"J"`` drops the whole section.
    """
    require_columns(data, [industry], "panel")
    codes = tuple(codes)
    drop = data[industry].astype(str).str.upper().str.startswith(codes)
    return _one_step(data, drop, "financial", f"financial industry {list(codes)}")


def drop_ipo_year(data: pd.DataFrame, *, listing_year: str = "listing_year",
                  tname: str = "year") -> FilterResult:
    """Drop each firm's IPO year (and earlier years) where statements are pre-listing."""
    require_columns(data, [listing_year, tname], "panel")
    drop = data[tname] <= data[listing_year]
    return _one_step(data, drop, "ipo_year", "IPO year or earlier")


def drop_missing(data: pd.DataFrame, columns) -> FilterResult:
    """Drop rows with a missing (or infinite) value in any of ``columns``; the reason names them."""
    cols = _as_list(columns)
    require_columns(data, cols, "panel")
    bad = data[cols].isna().any(axis=1)
    num = data[cols].select_dtypes("number")
    if not num.empty:  # an infinite ratio (x / 0) is as unusable as a missing one
        bad |= np.isinf(num.to_numpy(dtype=float)).any(axis=1)
    return _one_step(data, bad, "missing", f"missing {cols}")


def filter_sample(data: pd.DataFrame, *, st: bool | str = True, st_name: str | None = None,
                  financial: bool = True, industry: str = "industry", ipo_year: bool = False,
                  listing_year: str = "listing_year", tname: str = "year",
                  missing: Sequence[str] = ()) -> FilterResult:
    """Apply the papers' standard sample rules in order and report each step.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel (financials merged with firm attributes).
    st : bool or str
        Drop ST/*ST/PT years; a string names the 0/1 flag column (default ``"is_st"``).
    st_name : str, optional
        Security-name column for name-based ST detection.
    financial : bool
        Drop CSRC-2012 J66-J69 firms using the ``industry`` column.
    ipo_year : bool
        Drop the listing year (``listing_year`` column).
    tname : str
        Year column.
    missing : sequence of str
        Key variables; rows missing any of them are dropped last.

    Returns
    -------
    FilterResult
        Kept rows, per-step report and dropped index labels.
    """
    steps = []
    cur = data
    if st:
        steps.append(drop_st(cur, flag="is_st" if st is True else st, name=st_name))
        cur = steps[-1].data
    if financial:
        steps.append(drop_financial(cur, industry=industry))
        cur = steps[-1].data
    if ipo_year:
        steps.append(drop_ipo_year(cur, listing_year=listing_year, tname=tname))
        cur = steps[-1].data
    if missing:
        steps.append(drop_missing(cur, missing))
        cur = steps[-1].data
    report = pd.concat([s.report for s in steps], ignore_index=True) if steps else pd.DataFrame(
        columns=["step", "reason", "rows_before", "dropped", "rows_after"])
    dropped = {k: v for s in steps for k, v in s.dropped_index.items()}
    return FilterResult(cur, report, dropped)
