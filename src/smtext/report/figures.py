"""Figures for DID studies, with Chinese labels that render on a fresh machine.

At import this module registers a CJK font with matplotlib (see
:mod:`smtext.report.fonts`) and sets ``axes.unicode_minus=False`` so negative
numbers keep their minus sign in CJK fonts. Every function returns a
``matplotlib.figure.Figure`` built with the object-oriented API (no global
``pyplot`` state), which :func:`save_figure` writes as PNG, SVG or PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Figures are built with matplotlib.figure.Figure (no pyplot), so importing this module
# never switches the user's backend (a notebook keeps its inline backend).
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats as sps

from smtext.errors import SMError, check_option, require_columns
from smtext.report.fonts import setup_cjk_font

CJK_FAMILY = setup_cjk_font()
FIGURE_FORMATS = ("png", "svg", "pdf")
_TEXT = {
    "zh": {"rel": "相对政策时点", "coef": "估计系数", "ci": "95%置信区间", "binned": "端点合并",
           "density": "核密度", "placebo": "安慰剂系数", "true": "真实估计值", "pscore": "倾向得分",
           "treated": "处理组", "control": "对照组", "before": "匹配前", "after": "匹配后",
           "M": "M（相对偏离上限）", "original": "原始置信区间", "bound": "稳健置信区间"},
    "en": {"rel": "Periods relative to treatment", "coef": "Estimate", "ci": "95% CI",
           "binned": "binned end point", "density": "Density", "placebo": "Placebo estimates",
           "true": "True estimate", "pscore": "Propensity score", "treated": "Treated",
           "control": "Control", "before": "Before matching", "after": "After matching",
           "M": "M (relative magnitude bound)", "original": "Original CI", "bound": "Robust CI"},
}


def _fig(figsize=(6.4, 4.0)) -> tuple[Figure, object]:
    fig = Figure(figsize=figsize, dpi=150, layout="constrained")
    return fig, fig.add_subplot()


def _tidy_of(obj) -> pd.DataFrame:
    return obj.tidy() if hasattr(obj, "tidy") else obj


def event_study_plot(
    event,
    *,
    base_period: int | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    reference_line: float | None = None,
    language: str = "zh",
    color: str = "#1f4e79",
) -> Figure:
    """Event-study plot: point estimates with 95% CIs, zero line, base period, binned ends.

    Parameters
    ----------
    event : event-study result or DataFrame
        Columns rel_time, estimate, ci_low, ci_high and optionally binned (True
        for the end bins, drawn as hollow markers and named in the legend).
    base_period : int, optional
        Omitted period (drawn at 0 and marked with a vertical dashed line);
        read from ``event.base_period`` when present, else -1.
    title, xlabel, ylabel : str, optional
    reference_line : float, optional
        Where the vertical policy line goes; default halfway between the base
        period and the next period.
    language : {"zh", "en"}
    color : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_option("language", language, ("zh", "en"))
    df = _tidy_of(event).copy()
    require_columns(df, ["rel_time", "estimate", "ci_low", "ci_high"], "event-study frame")
    if base_period is None:
        base_period = getattr(event, "base_period", -1)
    words = _TEXT[language]
    df = df.sort_values("rel_time")
    if base_period is not None and base_period not in set(df["rel_time"]):
        # The omitted period is 0 by construction; show it so readers see the normalisation.
        df = pd.concat([df, pd.DataFrame({"rel_time": [base_period], "estimate": [0.0],
                                          "ci_low": [0.0], "ci_high": [0.0], "binned": [False]})])
        df = df.sort_values("rel_time")
    binned = df["binned"].fillna(False).astype(bool) if "binned" in df else pd.Series(False, df.index)
    fig, ax = _fig()
    x, y = df["rel_time"].to_numpy(float), df["estimate"].to_numpy(float)
    lo, hi = df["ci_low"].to_numpy(float), df["ci_high"].to_numpy(float)
    ax.axhline(0, color="grey", lw=0.8)
    ref = reference_line if reference_line is not None else (base_period + 0.5 if base_period is not None else None)
    if ref is not None:
        ax.axvline(ref, color="grey", lw=0.8, ls="--")
    ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="none", ecolor=color, elinewidth=1, capsize=3,
                label=words["ci"])
    ax.plot(x, y, color=color, lw=1)
    inner = ~binned.to_numpy()
    ax.plot(x[inner], y[inner], "o", color=color, ms=5, label=words["coef"])
    if binned.any():
        ax.plot(x[~inner], y[~inner], "D", mfc="white", mec=color, ms=6, label=words["binned"])
    ticks = [int(v) for v in x]
    labels = []
    for v, b in zip(ticks, binned):
        if b and v == min(ticks):
            labels.append(f"≤{v}")
        elif b and v == max(ticks):
            labels.append(f"≥{v}")
        else:
            labels.append(str(v))
    ax.set_xticks(ticks, labels)
    ax.set_xlabel(xlabel or words["rel"])
    ax.set_ylabel(ylabel or words["coef"])
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return fig


def placebo_plot(
    draws,
    true_estimate: float | None = None,
    p_value: float | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    language: str = "zh",
    bins: int = 40,
) -> Figure:
    """Placebo test: kernel density (and histogram) of placebo coefficients vs the true one.

    Parameters
    ----------
    draws : array-like or placebo result
        Placebo coefficients; a placebo result (``.draws``, ``.true_estimate``,
        ``.p_value``) fills the other arguments.
    true_estimate : float, optional
        Drawn as a vertical red line.
    p_value : float, optional
        Shown in the legend.
    title, xlabel : str, optional
    language : {"zh", "en"}
    bins : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_option("language", language, ("zh", "en"))
    if hasattr(draws, "draws"):
        true_estimate = draws.true_estimate if true_estimate is None else true_estimate
        p_value = getattr(draws, "p_value", None) if p_value is None else p_value
        draws = draws.draws
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        raise SMError("SM606", f"placebo_plot needs at least 2 finite draws; it has {d.size}.")
    words = _TEXT[language]
    fig, ax = _fig()
    ax.hist(d, bins=bins, density=True, color="#c9d6e3", edgecolor="white", label=words["placebo"])
    grid = np.linspace(min(d.min(), true_estimate if true_estimate is not None else d.min()),
                       max(d.max(), true_estimate if true_estimate is not None else d.max()), 400)
    ax.plot(grid, sps.gaussian_kde(d)(grid), color="#1f4e79", lw=1.5, label=words["density"])
    if true_estimate is not None:
        lab = f"{words['true']} = {true_estimate:.3f}"
        if p_value is not None:
            lab += f" (p = {p_value:.3f})"
        ax.axvline(true_estimate, color="#c00000", ls="--", lw=1.2, label=lab)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel(xlabel or words["placebo"])
    ax.set_ylabel(words["density"])
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return fig


def pscore_density_plot(pscore, *, language: str = "zh", title: str | None = None) -> Figure:
    """Propensity-score kernel densities of treated and controls, before and after matching.

    Parameters
    ----------
    pscore : DataFrame or PSM result
        Columns pscore, treated (0/1) and matched (bool); a PSM result's
        ``.pscore`` frame is used when given the result.
    language : {"zh", "en"}
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two panels side by side (before | after).
    """
    check_option("language", language, ("zh", "en"))
    df = pscore.pscore if hasattr(pscore, "pscore") and not isinstance(pscore, pd.DataFrame) else pscore
    require_columns(df, ["pscore", "treated", "matched"], "propensity-score frame")
    words = _TEXT[language]
    fig = Figure(figsize=(9.0, 3.8), dpi=150, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    grid = np.linspace(0, 1, 400)
    for ax, (name, mask) in zip(axes, [("before", np.ones(len(df), bool)),
                                       ("after", df["matched"].astype(bool).to_numpy())]):
        sub = df[mask]
        for t, style, lab in [(1, "-", words["treated"]), (0, "--", words["control"])]:
            v = sub.loc[sub["treated"].astype(int) == t, "pscore"].to_numpy(float)
            if v.size > 1 and np.ptp(v) > 0:
                ax.plot(grid, sps.gaussian_kde(v)(grid), style, lw=1.5, label=lab)
        ax.set_title(words[name])
        ax.set_xlabel(words["pscore"])
        ax.legend(frameon=False, fontsize=8)
    axes[0].set_ylabel(words["density"])
    if title:
        fig.suptitle(title)
    return fig


def honest_did_plot(sensitivity, *, original_label: str = "original",
                    language: str = "zh", title: str | None = None) -> Figure:
    """HonestDiD sensitivity plot: robust confidence intervals against M.

    Parameters
    ----------
    sensitivity : DataFrame or HonestDiD result
        Columns M, lb, ub (a result's ``tidy()`` is used, e.g.
        ``smtext.did.honest(...)``). The row whose M equals ``original_label``
        (or is missing) is the original CI, drawn first in a different colour.
    original_label : str
    language : {"zh", "en"}
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_option("language", language, ("zh", "en"))
    sensitivity = _tidy_of(sensitivity)
    require_columns(sensitivity, ["M", "lb", "ub"], "sensitivity frame")
    words = _TEXT[language]
    is_orig = sensitivity["M"].astype(str).eq(original_label) | sensitivity["M"].isna()
    orig, rob = sensitivity[is_orig], sensitivity[~is_orig].copy()
    rob["M"] = rob["M"].astype(float)
    rob = rob.sort_values("M")
    fig, ax = _fig()
    xs = list(range(len(orig) + len(rob)))
    ticks = []
    for i, rec in enumerate(orig.itertuples(index=False)):
        ax.plot([xs[i]] * 2, [rec.lb, rec.ub], color="#c00000", lw=3, label=words["original"] if i == 0 else None)
        ticks.append(words["original"])
    for k, rec in enumerate(rob.itertuples(index=False)):
        i = len(orig) + k
        ax.plot([xs[i]] * 2, [rec.lb, rec.ub], color="#1f4e79", lw=3, label=words["bound"] if k == 0 else None)
        ticks.append(f"{rec.M:g}")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(xs, ticks)
    ax.set_xlabel(words["M"])
    ax.set_ylabel(words["coef"])
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return fig


def coef_plot(models, *, terms: Sequence[str] | None = None, labels: dict | None = None,
              language: str = "zh", title: str | None = None) -> Figure:
    """Coefficient plot: estimates with 95% CIs, one row per (model, term).

    Parameters
    ----------
    models : list of (label, result), mapping, result set or DataFrame
        Results are adapted like table columns (smtext, pyfixest, statsmodels);
        a mapping or an ``smtext.did`` result set gives (name, result) pairs; a
        DataFrame needs columns estimate, ci_low, ci_high and a ``label`` column
        or index.
    terms : sequence of str, optional
        Terms to show (default: all but the intercept).
    labels : dict, optional
        Display names of terms.
    language : {"zh", "en"}
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from smtext.report.models import INTERCEPT_NAMES, as_model

    check_option("language", language, ("zh", "en"))
    labels = labels or {}
    rows = []
    if isinstance(models, pd.DataFrame):
        df = models if "label" in models else models.reset_index().rename(columns={models.index.name or "index": "label"})
        require_columns(df, ["label", "estimate", "ci_low", "ci_high"], "coefficient frame")
        rows = list(df[["label", "estimate", "ci_low", "ci_high"]].itertuples(index=False, name=None))
    else:
        for name, res in (models.items() if hasattr(models, "items") else models):
            m = as_model(res)
            # 95% CI from the model's own t or normal reference: estimate +/- t * se with
            # the critical value implied by its reported t and p values.
            for term in (terms or [t for t in m.coef.index if t not in INTERCEPT_NAMES]):
                if term not in m.coef.index:
                    continue
                crit = _critical_value(m, term)
                b, s = float(m.coef[term]), float(m.se[term])
                lab = f"{name}: {labels.get(term, term)}" if len(terms or m.coef.index) > 1 else str(name)
                rows.append((lab, b, b - crit * s, b + crit * s))
    if not rows:
        raise SMError("SM606", "coef_plot has nothing to draw.", "check the terms= argument.")
    fig, ax = _fig((6.4, 0.45 * len(rows) + 1.2))
    ys = np.arange(len(rows))[::-1]
    for y, (lab, b, lo, hi) in zip(ys, rows):
        ax.plot([lo, hi], [y, y], color="#1f4e79", lw=1.5)
        ax.plot([b], [y], "o", color="#1f4e79")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ys, [r[0] for r in rows])
    ax.set_xlabel(_TEXT[language]["coef"] + f" ({_TEXT[language]['ci']})")
    if title:
        ax.set_title(title)
    return fig


def _critical_value(m, term) -> float:
    """Critical value for a 95% CI consistent with the model's own p value.

    Protocol results and pyfixest use t(df) or normal references that differ by
    model; recovering the df from (t, p) keeps the plotted CI equal to the
    model's reported one without knowing its inference rule.
    """
    t, p = abs(float(m.tstat[term])), float(m.pvalue[term])
    if not np.isfinite(t) or not np.isfinite(p) or p <= 0 or p >= 1 or t < 1e-6:
        return float(sps.norm.ppf(0.975))
    z = sps.norm.sf(t) * 2
    if abs(z - p) < 1e-10:
        return float(sps.norm.ppf(0.975))
    lo, hi = 1.0, 1e7
    for _ in range(200):  # bisection on df: p(t; df) decreases in df
        mid = np.sqrt(lo * hi)
        if 2 * sps.t.sf(t, mid) > p:
            lo = mid
        else:
            hi = mid
    return float(sps.t.ppf(0.975, np.sqrt(lo * hi)))


def save_figure(fig: Figure, path, formats: Sequence[str] | None = None, dpi: int = 300) -> list[Path]:
    """Save ``fig`` as PNG, SVG and/or PDF.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        File name; its extension is the format unless ``formats`` is given, in
        which case one file per format is written next to ``path`` (stem kept).
    formats : sequence of {"png", "svg", "pdf"}, optional
    dpi : int
        Resolution of PNG output.

    Returns
    -------
    list of Path
        The files written.
    """
    path = Path(path)
    fmts = list(formats) if formats else [path.suffix.lstrip(".").lower()]
    for f in fmts:
        check_option("format", f, FIGURE_FORMATS)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for f in fmts:
        target = path.with_suffix("." + f)
        # No creation date, so PDF/SVG bytes do not change from run to run.
        meta = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}[f]
        # A fixed salt makes SVG element ids (and so the file) identical across runs.
        with matplotlib.rc_context({"svg.hashsalt": "smtext"}):
            fig.savefig(target, format=f, dpi=dpi, metadata=meta)
        out.append(target)
    return out
