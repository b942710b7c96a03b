"""The specification curve (Simonsohn, Simmons and Nelson 2020, Nature Human Behaviour 4: 1208-1214).

Top panel: one estimate per specification, sorted from smallest to largest, with its 95%
confidence interval; the baseline specification is drawn in another colour. Bottom panel:
a dot matrix saying which option of each dimension every specification uses, so a reader
sees which choices move the estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from smtext.errors import SMError, require_columns
from smtext.report.fonts import setup_cjk_font

setup_cjk_font()

BASE_COLOUR, OTHER_COLOUR = "#c0392b", "#1f4e79"


def specification_curve_plot(frame: pd.DataFrame, dimensions: Sequence[str], *, estimate: str = "estimate",
                             ci: tuple[str, str] = ("ci_low", "ci_high"), baseline: str | None = "baseline",
                             ylabel: str = "Estimate (95% CI)", title: str | None = None) -> Figure:
    """Specification-curve figure: sorted estimates with CIs above, the options of each one below.

    Parameters
    ----------
    frame : DataFrame
        One row per specification with the estimate, the two CI bounds and one column per
        dimension (its option as text).
    dimensions : sequence of str
        The dimension columns, top to bottom in the dot matrix.
    estimate : str
        Column of the estimates.
    ci : (str, str)
        Columns of the lower and upper CI bounds.
    baseline : str, optional
        Boolean column marking the baseline specification (highlighted); None for none.
    ylabel, title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SMError
        SM606 when the frame has no row.
    """
    require_columns(frame, [estimate, *ci, *dimensions, *([baseline] if baseline else [])], "specification frame")
    if frame.empty:
        raise SMError("SM606", "the specification curve has no specification to draw.")
    # a stable sort: ties keep the specifications' own order, so the figure is the same on every run
    d = frame.sort_values(estimate, kind="mergesort").reset_index(drop=True)
    rank = np.arange(1, len(d) + 1)
    is_base = d[baseline].astype(bool).to_numpy() if baseline else np.zeros(len(d), bool)
    colours = np.where(is_base, BASE_COLOUR, OTHER_COLOUR)
    levels = [(dim, list(dict.fromkeys(frame[dim].astype(str)))) for dim in dimensions]
    n_rows = sum(len(v) for _, v in levels)
    fig = Figure(figsize=(max(6.4, 0.22 * len(d) + 3), 3.2 + 0.28 * n_rows), dpi=150, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, max(1.0, 0.28 * n_rows)]})
    est = d[estimate].to_numpy(float)
    lo, hi = d[ci[0]].to_numpy(float), d[ci[1]].to_numpy(float)
    top.axhline(0, color="grey", lw=0.8, ls="--")
    for x, b, low, high, c in zip(rank, est, lo, hi, colours):
        top.plot([x, x], [low, high], color=c, lw=1.2, alpha=0.7)
    top.scatter(rank, est, c=colours, s=18, zorder=3)
    if is_base.any():
        top.scatter(rank[is_base], est[is_base], c=BASE_COLOUR, s=40, zorder=4, label="baseline")
        top.legend(loc="upper left", frameon=False)
    top.set_ylabel(ylabel)
    if title:
        top.set_title(title)
    ticks, names, y = [], [], 0
    for dim, values in levels:
        for v in values:
            hit = (d[dim].astype(str) == v).to_numpy()
            bottom.scatter(rank[~hit], np.full((~hit).sum(), y), s=10, c="#dddddd")
            bottom.scatter(rank[hit], np.full(hit.sum(), y), s=14, c=colours[hit])
            ticks.append(y)
            names.append(f"{dim}: {v}")
            y -= 1
        y -= 0.5   # a gap between dimensions
    bottom.set_yticks(ticks, names)
    bottom.set_xlabel("Specification (sorted by estimate)")
    bottom.set_xlim(0.3, len(d) + 0.7)
    bottom.set_xticks(rank if len(d) <= 40 else rank[:: max(1, len(d) // 20)])
    for side in ("top", "right"):
        top.spines[side].set_visible(False)
        bottom.spines[side].set_visible(False)
    return fig


__all__ = ["specification_curve_plot"]
