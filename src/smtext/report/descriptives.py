"""Descriptive statistics, correlation matrices and PSM balance tables.

Each function returns a :class:`~smtext.report.render.Table` (render it as
Markdown, LaTeX, HTML, Excel or Word) and keeps the numbers it shows in
``table.values`` for programmatic use. Standard deviations use ``ddof=1`` and
the median is the 50th percentile with linear interpolation, as Stata's
``summarize, detail`` and ``tabstat`` report them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from smtext.errors import SMError, check_option, require_columns, warn
from smtext.report.render import Table
from smtext.report.tables import DEFAULT_STARS, check_stars, format_number, star_marks, stars_note

DESCRIBE_STATS = ("N", "mean", "sd", "min", "p25", "p50", "p75", "max")
_HEAD = {
    "zh": {"N": "样本量", "mean": "均值", "sd": "标准差", "min": "最小值", "p25": "P25",
           "p50": "中位数", "p75": "P75", "max": "最大值", "variable": "变量名", "group": "组别"},
    "en": {"N": "N", "mean": "Mean", "sd": "SD", "min": "Min", "p25": "P25",
           "p50": "Median", "p75": "P75", "max": "Max", "variable": "Variable", "group": "Group"},
}


@dataclass(frozen=True)
class StatTable(Table):
    """A :class:`Table` that also carries the numbers it shows (``values``)."""

    values: pd.DataFrame | None = None


def _format_stat(x: float, summary: dict, digits: int) -> str:
    """One statistic as printed: a value that is rounding noise beside the variable's own scale (the mean of a
    z-score, 3e-17 next to a maximum of 30) reads 0.000, not 0.0000000000000000296; a variable whose values
    are all small keeps its significant digits (:func:`format_number`)."""
    scale = max((abs(v) for k, v in summary.items() if k != "N" and np.isfinite(v)), default=0.0)
    if np.isfinite(x) and abs(x) <= 1e-9 * scale:
        x = 0.0
    return format_number(x, digits)


def _summary(x: pd.Series) -> dict:
    x = pd.to_numeric(x, errors="coerce").dropna().to_numpy(dtype=float)
    if x.size == 0:
        return {"N": 0, **{k: np.nan for k in DESCRIBE_STATS[1:]}}
    return {"N": int(x.size), "mean": x.mean(), "sd": x.std(ddof=1) if x.size > 1 else np.nan,
            "min": x.min(), "p25": np.percentile(x, 25), "p50": np.percentile(x, 50),
            "p75": np.percentile(x, 75), "max": x.max()}


def describe(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    by: str | None = None,
    stats: Sequence[str] = ("N", "mean", "sd", "min", "p50", "max"),
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    language: str = "zh",
    title: str | None = None,
    notes: Sequence[str] | None = None,
) -> StatTable:
    """Descriptive statistics table (paper 000, Table 2 layout).

    Parameters
    ----------
    data : pandas.DataFrame
        The panel.
    columns : sequence of str
        Variables, one row each, in this order. Missing values are left out per
        variable, so N can differ across rows (as in Stata ``tabstat``).
    by : str, optional
        Group column; each group gets its own block of rows (group value first).
    stats : sequence of {"N", "mean", "sd", "min", "p25", "p50", "p75", "max"}
        Columns of the table.
    labels : mapping, optional
        Display names of variables.
    digits : int
        Decimals.
    language : {"zh", "en"}
    title, notes : optional

    Returns
    -------
    StatTable
        ``values`` holds the unrounded statistics (one row per variable and group).
    """
    check_option("language", language, ("zh", "en"))
    for s in stats:
        check_option("stats", s, DESCRIBE_STATS)
    require_columns(data, [*columns, by] if by else columns, "data")
    labels = dict(labels or {})
    head = _HEAD[language]
    groups = [(None, data)] if by is None else list(data.groupby(by, sort=True, dropna=False))
    records, sections = [], []
    for gval, gdf in groups:
        sec = []
        for c in columns:
            s = _summary(gdf[c])
            records.append({"group": gval, "variable": c, **s})
            sec.append([labels.get(c, c)] + [f"{s['N']:,}" if k == "N" else _format_stat(s[k], s, digits)
                                  for k in stats])
        if by is not None:
            sec.insert(0, [f"{labels.get(by, by)} = {gval}"] + [""] * len(stats))
        sections.append(sec)
    dropped = {c: int(data[c].isna().sum()) for c in columns if data[c].isna().any()}
    note_lines = list(notes or [])
    if dropped:
        txt = ", ".join(f"{labels.get(c, c)}: {n}" for c, n in dropped.items())
        note_lines.append(("注：各变量缺失值不计入统计（缺失数 " + txt + "）。") if language == "zh"
                          else f"Note: missing values are excluded per variable ({txt}).")
    header = [[head["variable"]] + [head[k] for k in stats]]
    values = pd.DataFrame.from_records(records)
    if by is None:
        values = values.drop(columns="group")
    return StatTable(header=header, sections=sections, title=title, notes=note_lines, values=values)


def correlation_table(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    method: str = "pearson",
    stars: Sequence[float] | None = DEFAULT_STARS,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    triangle: str = "lower",
    language: str = "zh",
    title: str | None = None,
) -> StatTable:
    """Correlation matrix with significance stars (listwise complete cases).

    Parameters
    ----------
    data : pandas.DataFrame
    columns : sequence of str
    method : {"pearson", "spearman"}
        p values come from the t test ``t = r sqrt(n-2) / sqrt(1-r^2)`` with
        ``n-2`` degrees of freedom, which is what Stata ``pwcorr, sig`` and
        ``spearman`` report.
    stars : sequence of float or None
    labels : mapping, optional
    digits : int
    triangle : {"lower", "full"}
    language : {"zh", "en"}
    title : str, optional

    Returns
    -------
    StatTable
        ``values`` has columns var1, var2, r, p_value, n.
    """
    check_option("method", method, ("pearson", "spearman"))
    check_option("triangle", triangle, ("lower", "full"))
    check_option("language", language, ("zh", "en"))
    require_columns(data, columns, "data")
    levels = check_stars(stars)
    labels = dict(labels or {})
    sub = data[list(columns)].apply(pd.to_numeric, errors="coerce")
    complete = sub.dropna()
    n_drop = len(sub) - len(complete)
    if n_drop:
        warn("SM605", f"correlation_table dropped {n_drop} rows with a missing value in {list(columns)}.",
             "impute or subset the data first if you want pairwise correlations.")
    n = len(complete)
    if n < 3:
        raise SMError("SM606", f"correlation_table needs at least 3 complete rows; it has {n}.")
    x = complete.to_numpy(dtype=float)
    if method == "spearman":
        x = np.apply_along_axis(sps.rankdata, 0, x)
    r = np.corrcoef(x, rowvar=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2) / (1 - r**2))
    p = 2 * sps.t.sf(np.abs(t), df=n - 2)
    k = len(columns)
    names = [labels.get(c, c) for c in columns]
    header = [[""] + [f"({j + 1})" for j in range(k)]]
    rows, records = [], []
    for i in range(k):
        cells = [f"({i + 1}) {names[i]}"]
        for j in range(k):
            if triangle == "lower" and j > i:
                cells.append("")
            elif i == j:
                cells.append(format_number(1.0, digits))
            else:
                cells.append(format_number(r[i, j], digits) + star_marks(p[i, j], levels))
            if i != j:
                records.append({"var1": columns[i], "var2": columns[j], "r": r[i, j],
                                "p_value": p[i, j], "n": n})
        rows.append(cells)
    note = stars_note(levels, language)
    notes = [("注：" + f"样本量 {n:,}；" + note) if language == "zh" else f"Note: N = {n:,}. {note}"]
    return StatTable(header=header, sections=[rows], title=title, notes=notes,
                     values=pd.DataFrame.from_records(records))


def balance_table(
    balance,
    *,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    language: str = "zh",
    title: str | None = None,
    notes: Sequence[str] | None = None,
) -> StatTable:
    """PSM balance table (paper 000, Table 4 layout: U/M rows per covariate).

    Parameters
    ----------
    balance : pandas.DataFrame or PSM result
        A frame with columns variable, sample ("unmatched"/"matched"),
        mean_treated, mean_control, pct_bias, t, p - or any object with such a
        frame in ``.balance`` (the smtext PSM result).
    labels : mapping, optional
    digits : int
        Decimals for the means; as Stata ``pstest`` prints them, %bias has one
        decimal, t two and p three.
    language : {"zh", "en"}
    title, notes : optional

    Returns
    -------
    StatTable
    """
    check_option("language", language, ("zh", "en"))
    frame = balance.balance if hasattr(balance, "balance") else balance
    cols = ["variable", "sample", "mean_treated", "mean_control", "pct_bias", "t", "p"]
    require_columns(frame, cols, "balance table")
    bad = set(frame["sample"]) - {"unmatched", "matched"}
    if bad:
        raise SMError("SM606", f"balance sample values {sorted(bad)} are not 'unmatched'/'matched'.")
    labels = dict(labels or {})
    zh = language == "zh"
    header = [["协变量", "未匹配U/匹配M", "处理组", "对照组", "%偏差", "t值", "p值"] if zh else
              ["Covariate", "Sample", "Treated", "Control", "%bias", "t", "p>|t|"]]
    rows = []
    order = {"unmatched": 0, "matched": 1}
    for var in dict.fromkeys(frame["variable"]):
        block = frame[frame["variable"] == var].sort_values("sample", key=lambda s: s.map(order))
        for k, rec in enumerate(block.itertuples(index=False)):
            rows.append([labels.get(var, var) if k == 0 else "",
                         "U" if rec.sample == "unmatched" else "M",
                         format_number(rec.mean_treated, digits), format_number(rec.mean_control, digits),
                         format_number(rec.pct_bias, 1), format_number(rec.t, 2),
                         format_number(rec.p, 3)])
    note_lines = list(notes or [])
    note_lines.append("注：U 为匹配前样本，M 为匹配后样本；%偏差为标准化偏差。" if zh else
                      "Note: U = unmatched sample, M = matched sample; %bias is the standardised bias.")
    return StatTable(header=header, sections=[rows], title=title, notes=note_lines,
                     values=frame[cols].reset_index(drop=True))


def balance_statistics(data: pd.DataFrame, treat: str, covariates: Sequence[str],
                       matched: str | None = None, weight: str | None = None) -> pd.DataFrame:
    """Compute the balance frame (Stata ``pstest`` statistics) for ``balance_table``.

    Parameters
    ----------
    data : pandas.DataFrame
        Observations with a 0/1 treatment column.
    treat : str
        Treatment indicator.
    covariates : sequence of str
    matched : str, optional
        0/1 column marking the matched sample; when given, a "matched" row is
        added for each covariate.
    weight : str, optional
        Frequency weights of the matched sample (e.g. how often a control is used).

    Returns
    -------
    pandas.DataFrame
        variable, sample, mean_treated, mean_control, pct_bias, t, p.

    Notes
    -----
    As in ``pstest``, %bias is ``100 (mean_T - mean_C) / sqrt((var_T + var_C) / 2)``
    where the variances are always those of the *unmatched* sample, and t/p
    come from a regression of the covariate on the treatment dummy (a pooled
    two-sample t test, weighted in the matched sample).
    """
    require_columns(data, [treat, *covariates, matched, weight], "data")
    out = []
    t_all = data[treat].astype(int).to_numpy()
    for v in covariates:
        x = data[v].to_numpy(dtype=float)
        var_t, var_c = np.var(x[t_all == 1], ddof=1), np.var(x[t_all == 0], ddof=1)
        scale = np.sqrt((var_t + var_c) / 2)
        samples = [("unmatched", np.ones(len(data), bool), np.ones(len(data)))]
        if matched is not None:
            w = data[weight].to_numpy(dtype=float) if weight else np.ones(len(data))
            samples.append(("matched", data[matched].to_numpy().astype(bool), w))
        for name, mask, w in samples:
            xs, ts, ws = x[mask], t_all[mask], w[mask]
            m1 = np.average(xs[ts == 1], weights=ws[ts == 1])
            m0 = np.average(xs[ts == 0], weights=ws[ts == 0])
            tval, pval = _weighted_t(xs, ts, ws)
            out.append({"variable": v, "sample": name, "mean_treated": m1, "mean_control": m0,
                        "pct_bias": 100 * (m1 - m0) / scale, "t": tval, "p": pval})
    return pd.DataFrame(out)


def _weighted_t(x, d, w):
    """t test of the slope in a frequency-weighted regression of x on d."""
    n = w.sum()
    X = np.column_stack([np.ones_like(x), d.astype(float)])
    xtwx = X.T @ (X * w[:, None])
    beta = np.linalg.solve(xtwx, X.T @ (w * x))
    resid = x - X @ beta
    sigma2 = (w * resid**2).sum() / (n - 2)
    se = np.sqrt(sigma2 * np.linalg.inv(xtwx)[1, 1])
    t = beta[1] / se
    return t, 2 * sps.t.sf(abs(t), df=n - 2)
