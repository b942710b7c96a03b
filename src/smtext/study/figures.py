"""Figure kinds of a study (``figures: {NAME: {kind: ...}}``), each registered with its options.

A kind's function draws one matplotlib figure from the figure's rows (``where`` applied) and
may write the numbers behind it to ``estimates.csv`` in its stage folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .common import ID, TIME
from .options import CLUSTER, CONTROLS, FE, TITLE, WHERE, WINDOW, Y
from .registry import FIGURES, MAX_DRAWS, MAX_SEED, Option
from .spec import Spec, controls_of


@dataclass
class Plot:
    """What a figure kind gets: the spec, the figure's entry and rows, the treatment name, its stage folder."""

    spec: Spec
    entry: dict
    data: pd.DataFrame
    dname: str
    dir: Path
    info: dict

    @property
    def controls(self) -> list[str]:
        return controls_of(self.spec, self.entry.get("controls"))


def _o(name, kind, doc, **kw) -> Option:
    return Option(name, kind, doc, **kw)


COMMON = (TITLE, WHERE)


@FIGURES.register("event_study", "Leads and lags of the treatment (base period -1, end points binned) with the "
                                 "joint pre-trend test.", schema=(*COMMON, Y, CONTROLS, FE, CLUSTER, WINDOW))
def _event_study(p: Plot):
    from .. import did
    from ..report import event_study_plot

    y, c = p.entry["y"], p.controls
    ev = did.event_study(p.data.dropna(subset=[y, *c]), y, TIME, ID, "gname", window=tuple(p.entry.get("window", (-4, 4))),
                         controls=c, fe=tuple(p.entry.get("fe") or ()), cluster=p.entry.get("cluster", ID))
    ev.tidy().to_csv(p.dir / "estimates.csv", index=False)
    p.info["pretrend_p"] = float(ev.pretrend_p)
    return event_study_plot(ev, title=p.entry.get("title"))


@FIGURES.register("placebo", "Random pseudo-treated firms and adoption years: the density of placebo estimates "
                             "against the true one, with the empirical p-value.",
                  schema=(*COMMON, Y, CONTROLS, FE, CLUSTER,
                          _o("draws", "int", "placebo draws", default=500, min=1, max=MAX_DRAWS),
                          _o("seed", "int", "seed", default=20240501, min=0, max=MAX_SEED),
                          _o("mode", "choice", "pseudo treatment: random (as many random firms as are treated, "
                                               "adoption years drawn from the approval-year distribution), firms "
                                               "(random firms get the real approval years: per approval year as "
                                               "many firms as were approved), dates (the treated firms get random "
                                               "years)", choices=("random", "firms", "dates"), default="random")))
def _placebo(p: Plot):
    from .. import did
    from ..report import placebo_plot

    y, c = p.entry["y"], p.controls
    pl = did.placebo_test(p.data.dropna(subset=[y, *c]), y, TIME, ID, "gname", dname=p.dname, controls=c,
                          fe=tuple(p.entry.get("fe") or ()), draws=int(p.entry.get("draws", 500)),
                          seed=int(p.entry.get("seed", 20240501)), cluster=p.entry.get("cluster", ID),
                          mode=p.entry.get("mode", "random"))
    pd.DataFrame({"draw": pl.draws}).to_csv(p.dir / "estimates.csv", index=False)
    p.info.update(placebo_p=float(pl.p_value), true_estimate=float(pl.true_estimate), draws=len(pl.draws),
                  mode=p.entry.get("mode", "random"))
    return placebo_plot(pl, title=p.entry.get("title"))


@FIGURES.register("pscore", "Propensity-score densities of treated and controls before and after matching.",
                  schema=(*COMMON, Y, CONTROLS, CLUSTER, _o("covariates", "columns", "matching covariates", required=True),
                          _o("k", "int", "neighbours", default=1, min=1, max=100),
                          _o("match_by", "choice", "year: a propensity logit and matching within each year; pooled: "
                                                   "one logit and matching over all years", choices=("year", "pooled"),
                             default="year")))
def _pscore(p: Plot):
    from .. import did
    from ..report import pscore_density_plot
    from .models import treat_group

    y, c = p.entry["y"], p.controls
    d = p.data.dropna(subset=[y, *p.entry["covariates"], *c]).copy()
    d["_treat"] = treat_group(d, p.info)
    reg = did.psm_did(d, y, TIME, ID, p.dname, treat="_treat", covariates=list(p.entry["covariates"]), controls=c,
                      psm_kwargs={"k": int(p.entry.get("k", 1)), "replace": True,
                                  "by": TIME if p.entry.get("match_by", "year") == "year" else None},
                      cluster=p.entry.get("cluster", ID))
    return pscore_density_plot(reg.matching, title=p.entry.get("title"))


@FIGURES.register("robust_event", "Event studies of TWFE and the heterogeneity-robust estimators side by side "
                                  "(balanced panel).", schema=(*COMMON, Y, WINDOW))
def _robust_event(p: Plot):
    from .. import did
    from ..panel import balanced_panel
    from ..report import event_study_compare_plot

    y = p.entry["y"]
    bal, _ = balanced_panel(p.data.dropna(subset=[y]), ID, TIME)
    events = did.robust_comparison(bal, y, TIME, ID, "gname", window=tuple(p.entry.get("window", (-4, 4)))).events
    return event_study_compare_plot(events, title=p.entry.get("title"))


@FIGURES.register("honest", "HonestDiD sensitivity (Rambachan-Roth, relative magnitudes) of the did2s event study "
                            "on the balanced panel: robust 95% CIs of the average post effect over a grid of Mbar.",
                  schema=(*COMMON, Y, WINDOW, _o("grid", "list", "values of Mbar", default=[0.0, 0.5, 1.0, 1.5, 2.0])))
def _honest(p: Plot):
    from .. import did
    from ..panel import balanced_panel
    from ..report import honest_did_plot

    y = p.entry["y"]
    bal, _ = balanced_panel(p.data.dropna(subset=[y]), ID, TIME)
    event = did.did2s(bal, y, TIME, ID, "gname", window=tuple(p.entry.get("window", (-4, 4)))).event
    sens = did.honest(event, method="RM", grid=list(p.entry.get("grid", [0.0, 0.5, 1.0, 1.5, 2.0])))
    sens.tidy().to_csv(p.dir / "estimates.csv", index=False)
    return honest_did_plot(sens, title=p.entry.get("title"))


@FIGURES.register("trend", "Yearly mean of a column for ever-treated and never-treated firms, with the cohort "
                           "years marked (raw data, no model).",
                  schema=(*COMMON, Y, _o("ylabel", "str", "axis label (default: the column)")))
def _trend(p: Plot):
    import matplotlib.pyplot as plt

    from ..report.fonts import setup_cjk_font

    setup_cjk_font()
    y = p.entry["y"]
    means = (p.data.assign(group=(p.data["gname"] > 0).map({True: "试点企业", False: "非试点企业"}))
             .groupby(["group", TIME])[y].mean().rename("mean").reset_index())
    means.to_csv(p.dir / "estimates.csv", index=False)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, g in means.groupby("group"):
        ax.plot(g[TIME], g["mean"], marker="o", label=name)
    for year in sorted(int(v) for v in p.data.loc[p.data["gname"] > 0, "gname"].unique()):
        ax.axvline(year, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("年份")
    ax.set_ylabel(p.entry.get("ylabel", y))
    if p.entry.get("title"):
        ax.set_title(p.entry["title"])
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
