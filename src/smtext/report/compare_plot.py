"""Several event studies in one figure: TWFE beside the heterogeneity-robust estimators."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

from smtext.errors import SMError, check_option, require_columns
from smtext.report.figures import _TEXT, _fig, _tidy_of

__all__ = ["event_study_compare_plot"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def event_study_compare_plot(events: Mapping[str, object], *, base_period: int | None = -1,
                             title: str | None = None, language: str = "zh",
                             width: float = 0.8) -> Figure:
    """Event studies of several estimators side by side, with 95% CIs.

    Each estimator's points are shifted horizontally within a band of
    ``width`` around the relative period, so the intervals do not overlap
    (the layout of Callaway-Sant'Anna / did2s / BJS / Sun-Abraham comparisons
    next to TWFE in staggered-DID papers).

    Parameters
    ----------
    events : mapping of str -> event-study result or DataFrame
        Name (legend entry) -> object with ``tidy()`` or a frame with columns
        ``rel_time, estimate, ci_low, ci_high``; a row with missing CI (the
        reference period) is drawn as a point without bar. Insertion order is
        the plotting order. A result with an ``events`` mapping
        (``smtext.did.robust_comparison(...)``) is read through it.
    base_period : int or None
        Reference period: a dashed vertical line is drawn between it and the
        next period (None: no line).
    title : str, optional
    language : {"zh", "en"}
    width : float
        Horizontal band (in periods) shared by the estimators at each period.

    Returns
    -------
    matplotlib.figure.Figure
        One axis; ``ax.containers`` holds one error-bar container per estimator,
        labelled with its name.
    """
    check_option("language", language, ("zh", "en"))
    events = getattr(events, "events", events)
    if not events:
        raise SMError("SM606", "event_study_compare_plot needs at least one event study.")
    words = _TEXT[language]
    fig, ax = _fig((7.0, 4.0))
    step = width / len(events)
    for k, (name, ev) in enumerate(events.items()):
        df = _tidy_of(ev)
        require_columns(df, ["rel_time", "estimate", "ci_low", "ci_high"], f"event study {name!r}")
        df = df.sort_values("rel_time")
        x = df["rel_time"].to_numpy(float) - width / 2 + step * (k + 0.5)
        y = df["estimate"].to_numpy(float)
        lo = df["ci_low"].fillna(df["estimate"]).to_numpy(float)
        hi = df["ci_high"].fillna(df["estimate"]).to_numpy(float)
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt=_MARKERS[k % len(_MARKERS)], ms=4, capsize=2,
                    lw=1, label=str(name))
    ax.axhline(0, color="grey", lw=0.8)
    if base_period is not None:
        ax.axvline(base_period + 0.5, color="grey", lw=0.8, ls="--")
    periods = sorted({int(t) for ev in events.values() for t in _tidy_of(ev)["rel_time"]})
    ax.set_xticks(periods, [str(p) for p in periods])
    ax.set_xlabel(words["rel"])
    ax.set_ylabel(f"{words['coef']} ({words['ci']})")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, ncol=min(len(events), 5))
    return fig

