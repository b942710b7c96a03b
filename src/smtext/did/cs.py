"""Callaway-Sant'Anna group-time average treatment effects and aggregations.

Callaway, B. and Sant'Anna, P. H. C. (2021). "Difference-in-differences with
multiple time periods." Journal of Econometrics 225(2), 200-230.

For each cohort g and period t the ATT(g, t) is a 2x2 DID between cohort g
and a comparison group (never treated, or not yet treated by ``max(t, base)``)
over the base period and t. The base period is "varying" as in R ``did``
(g - 1 for post-treatment cells, t - 1 for pre-treatment cells). Each cell is
estimated by outcome regression, IPW or doubly robust 2x2 DID
(:mod:`smtext.did.drdid`), with covariates taken at the base period.
Standard errors are analytic, from the influence functions; aggregations add
the estimation error of the cohort-share weights exactly as ``did::aggte``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smtext.did._prepare import (
    as_tuple,
    check_balanced,
    check_cohort,
    check_unique,
    drop_always_treated,
    prepare,
)
from smtext.did._results import EventResult, RegResult, Result, event_table, tidy_frame
from smtext.did.drdid import did_panel
from smtext.errors import SMError, check_option, warn

_KINDS = ("simple", "group", "calendar", "dynamic")


@dataclass(frozen=True, eq=False, repr=False)
class CSAggregate(Result):
    """An aggregation of ATT(g, t).

    ``coef()``, ``se()``, ``pvalue()`` and ``confint()`` are those of the
    overall ATT (term ``"ATT"``); ``tidy()`` is the by-kind table (the event
    study for ``dynamic``, the overall ATT for ``simple``).

    Attributes
    ----------
    kind : str
        ``"simple"``, ``"group"``, ``"calendar"`` or ``"dynamic"``.
    overall : RegResult
        The overall ATT (term ``"ATT"``), usable in regression tables.
    table : pandas.DataFrame
        One row per group / calendar period / event time (column named
        ``group``, ``time`` or ``rel_time``) with ``estimate, std_error,
        ci_low, ci_high``; empty for ``"simple"``.
    """

    kind: str
    overall: RegResult
    table: pd.DataFrame

    @property
    def nobs(self) -> int:
        """Observations used."""
        return self.overall.nobs

    @property
    def base_period(self):
        # each dynamic estimate has its own base period (varying base)
        return None

    @property
    def event(self) -> EventResult | None:
        """The dynamic aggregation as an event-study result (None otherwise)."""
        if self.kind != "dynamic":
            return None
        return EventResult(
            table=event_table(self.table["rel_time"], self.table["estimate"], self.table["std_error"]),
            nobs=self.overall.nobs,
            depvar=self.overall.depvar,
            method="Callaway-Sant'Anna",
            base_period=None,
        )

    def tidy(self) -> pd.DataFrame:
        """Event-study table for ``dynamic``, the by-kind table otherwise (overall for simple)."""
        if self.kind == "dynamic":
            return self.event.tidy()
        if self.kind == "simple":
            return self.overall.tidy()
        return self.table.copy()

    def _estimates(self) -> pd.DataFrame:
        return self.overall.table

    def summary(self) -> str:
        """The overall ATT and the by-kind table."""
        return f"CS {self.kind} aggregation\n{self.overall.summary()}\n{self.table.round(5).to_string()}"


@dataclass(frozen=True, eq=False, repr=False)
class CSResult(Result):
    """Group-time ATTs from :func:`callaway_santanna`.

    ``tidy()`` has one row per (group, time) cell with ``estimate, std_error,
    ci_low, ci_high, post``; ``coef()`` and friends are indexed by
    (group, time); ``aggregate(kind)`` gives the aggregations.

    Attributes
    ----------
    attgt : pandas.DataFrame
        ``group, time, att, se, ci_low, ci_high, post`` (pointwise 95% CI).
    inffunc : numpy.ndarray
        Units x cells influence functions (column order of ``attgt``).
    cohort : numpy.ndarray
        Cohort of each unit (row order of ``inffunc``).
    n_units : int
        Units used.
    nobs : int
        Rows used (units x periods).
    """

    attgt: pd.DataFrame
    inffunc: np.ndarray
    cohort: np.ndarray
    n_units: int
    nobs: int
    depvar: str
    control_group: str
    est_method: str
    covariates: tuple = ()
    dropped: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """``group, time, estimate, std_error, ci_low, ci_high, post``, one row per cell."""
        return self.attgt.rename(columns={"att": "estimate", "se": "std_error"})

    def _estimates(self) -> pd.DataFrame:
        return self.tidy().set_index(["group", "time"])[["estimate", "std_error"]]

    def aggregate(self, kind: str = "group") -> CSAggregate:
        """Aggregate ATT(g, t) as ``did::aggte`` does.

        Parameters
        ----------
        kind : {"simple", "group", "calendar", "dynamic"}
            simple: cohort-size weighted average of all post-treatment cells;
            group: average by cohort, overall = cohort-size weighted; calendar:
            by period, overall = mean over periods; dynamic: by event time,
            overall = mean over event times >= 0.

        Returns
        -------
        CSAggregate
        """
        check_option("kind", kind, _KINDS)
        att = self.attgt["att"].to_numpy()
        grp = self.attgt["group"].to_numpy()
        tt = self.attgt["time"].to_numpy()
        IF = self.inffunc
        n = self.n_units
        G = self.cohort
        glist = np.sort(np.unique(grp))
        pg_g = np.array([np.mean(G == g) for g in glist])
        pg = pg_g[np.searchsorted(glist, grp)]  # cohort share per cell

        def wif(keep, pgk, groups):
            # estimation effect of the weights (did:::wif)
            ind = np.column_stack([(G == groups[k]).astype(float) - pgk[k] for k in keep])
            s = pgk[keep].sum()
            if1 = ind / s
            if2 = ind.sum(axis=1)[:, None] * (pgk[keep] / s**2)[None, :]
            return if1 - if2

        def agg(keep, weights=True):
            keep = np.asarray(keep)
            if weights:
                w = pg[keep] / pg[keep].sum()
                inf = IF[:, keep] @ w + wif(keep, pg, grp) @ att[keep]
            else:
                w = np.full(len(keep), 1 / len(keep))
                inf = IF[:, keep] @ w
            return float(att[keep] @ w), inf

        def se_of(inf):
            return float(np.sqrt(np.mean(inf**2) / n))

        rows, label = [], None
        if kind == "simple":
            est, inf = agg(np.flatnonzero(grp <= tt))
        elif kind == "group":
            label = "group"
            ests, infs = [], []
            for g in glist:
                e, i = agg(np.flatnonzero((grp == g) & (g <= tt)), weights=False)
                ests.append(e)
                infs.append(i)
                rows.append((g, e, se_of(i)))
            ests, infs = np.array(ests), np.column_stack(infs)
            w = pg_g / pg_g.sum()
            est = float(ests @ w)
            inf = infs @ w + wif(np.arange(len(glist)), pg_g, glist) @ ests
        elif kind == "calendar":
            label = "time"
            infs, ests = [], []
            for t in np.sort(np.unique(tt[tt >= glist.min()])):
                keep = np.flatnonzero((tt == t) & (grp <= tt))
                if len(keep) == 0:
                    continue
                e, i = agg(keep)
                ests.append(e)
                infs.append(i)
                rows.append((t, e, se_of(i)))
            est = float(np.mean(ests))
            inf = np.column_stack(infs).mean(axis=1)
        else:
            label = "rel_time"
            rel = tt - grp
            infs, ests = [], []
            for e in np.sort(np.unique(rel)):
                keep = np.flatnonzero(rel == e)
                v, i = agg(keep)
                rows.append((e, v, se_of(i)))
                if e >= 0:
                    ests.append(v)
                    infs.append(i)
            est = float(np.mean(ests))
            inf = np.column_stack(infs).mean(axis=1)

        overall = RegResult.from_estimates(
            pd.Series({"ATT": est}),
            pd.Series({"ATT": se_of(inf)}),
            nobs=self.nobs,
            depvar=self.depvar,
            method="Callaway-Sant'Anna",
            fe=(),
            controls=self.covariates,
            vcov_label="analytic (influence function), clustered by unit",
            extra={"aggregation": kind, "control group": self.control_group, "estimator": self.est_method},
        )
        table = pd.DataFrame(rows, columns=[label or "term", "estimate", "std_error"])
        if len(table):
            t = tidy_frame(table["estimate"], table["std_error"])
            table["ci_low"], table["ci_high"] = t["ci_low"].to_numpy(), t["ci_high"].to_numpy()
        return CSAggregate(kind=kind, overall=overall, table=table)

    def summary(self) -> str:
        """The ATT(g, t) table with the design."""
        return (
            f"Callaway-Sant'Anna ATT(g,t): {self.depvar}, {self.n_units} units, "
            f"control={self.control_group}, est_method={self.est_method}\n"
            + self.attgt.round(5).to_string(index=False)
        )


def callaway_santanna(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    covariates=(),
    control_group: str = "nevertreated",
    est_method: str = "dr",
) -> CSResult:
    """Callaway-Sant'Anna ATT(g, t) on a balanced panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel.
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period, 0 = never
        treated) columns.
    covariates : str or sequence of str, optional
        Covariate columns; their base-period values enter the propensity score
        and/or outcome regression (R ``did``'s ``xformla``).
    control_group : {"nevertreated", "notyettreated"}
        Comparison units for each cell.
    est_method : {"dr", "ipw", "reg"}
        Doubly robust, inverse probability weighting or outcome regression.

    Returns
    -------
    CSResult
        ``.attgt`` table and ``.aggregate(kind)``.

    Notes
    -----
    Units treated in the first period (no pre-period) are dropped (SM556);
    units first treated after the last period count as never treated (SM559
    warning). Both are reported in ``.dropped``.
    """
    check_option("control_group", control_group, ("nevertreated", "notyettreated"))
    check_option("est_method", est_method, ("dr", "ipw", "reg"))
    xs = list(as_tuple(covariates))
    df = prepare(data, [yname, tname, idname, gname, *xs], "panel")
    check_unique(df, idname, tname)
    check_balanced(df, idname, tname, "callaway_santanna()")
    check_cohort(df, idname, gname)
    n_units0 = df[idname].nunique()
    df = drop_always_treated(df, tname, gname, idname, "callaway_santanna()")
    dropped = {"always_treated_units": n_units0 - df[idname].nunique()}
    last = df[tname].max()
    late = df[gname] > last
    if late.any():
        warn(
            "SM559",
            f"{int(df.loc[late, idname].nunique())} units are first treated after the last period "
            f"{last}; they count as never treated.",
        )
        df.loc[late, gname] = 0
    dropped["late_units_as_never"] = int(df.loc[late, idname].nunique())

    periods = np.sort(df[tname].unique())
    Y = df.pivot(index=idname, columns=tname, values=yname).reindex(columns=periods)
    units = Y.index
    G = df.drop_duplicates(idname).set_index(idname)[gname].reindex(units).to_numpy()
    Xw = {x: df.pivot(index=idname, columns=tname, values=x).reindex(index=units, columns=periods) for x in xs}
    Yv = Y.to_numpy()
    n = len(units)
    glist = np.sort(np.unique(G[G > 0]))
    if control_group == "nevertreated" and not (G == 0).any():
        raise SMError(
            "SM555",
            "no never-treated units to compare with.",
            "use control_group='notyettreated'.",
        )
    pos = {t: i for i, t in enumerate(periods)}
    rows, infs = [], []
    for g in glist:
        for ti in range(1, len(periods)):
            t = periods[ti]
            # varying base period: g-1 after treatment, t-1 before
            if t >= g:
                cand = periods[periods < g]
                if len(cand) == 0:
                    continue
                base = cand[-1]
            else:
                base = periods[ti - 1]
            treat = G == g
            if control_group == "nevertreated":
                ctrl = G == 0
            else:
                ctrl = (G == 0) | ((G > max(t, base)) & (G != g))
            if not ctrl.any():
                continue
            sub = treat | ctrl
            dy = Yv[sub, pos[t]] - Yv[sub, pos[base]]
            X = np.column_stack([np.ones(sub.sum())] + [Xw[x].to_numpy()[sub, pos[base]] for x in xs])
            att, inf = did_panel(dy, treat[sub].astype(float), X, est_method)
            full = np.zeros(n)
            full[sub] = inf * (n / sub.sum())
            rows.append((g, t, att, float(np.sqrt(np.sum(full**2)) / n), t >= g))
            infs.append(full)
    if not rows:
        raise SMError("SM555", "no (g, t) cell has comparison units.", "check the cohort column.")
    attgt = pd.DataFrame(rows, columns=["group", "time", "att", "se", "post"])
    t = tidy_frame(attgt["att"], attgt["se"])
    attgt["ci_low"], attgt["ci_high"] = t["ci_low"].to_numpy(), t["ci_high"].to_numpy()
    attgt = attgt[["group", "time", "att", "se", "ci_low", "ci_high", "post"]]
    return CSResult(
        attgt=attgt,
        inffunc=np.column_stack(infs),
        cohort=G,
        n_units=n,
        nobs=n * len(periods),
        depvar=yname,
        control_group=control_group,
        est_method=est_method,
        covariates=tuple(xs),
        dropped=dropped,
    )
