"""Table column kinds of a study (``kind:`` of a table column), each registered with its options.

A kind's function fits the model(s) of one column entry and returns result objects, one per
printed column. Two kinds make a whole table instead (``describe``, ``bacon``: ``whole_table``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NotIdentified
from ..panel import balanced_panel
from .common import ID, TIME, apply_where
from .options import (CLUSTER, CONTROLS, COVARIATES, FE, RENAME, TIME_FE, UNIT_FE, VARIABLES, VCOV, WHERE, WINDOW, X,
                      Y)
from .registry import COLUMNS, MAX_DRAWS, MAX_SEED, Option
from .spec import Spec, controls_of


@dataclass
class Column:
    """What a column kind gets: the spec, the column's entry, its rows and a place for side results.

    ``info`` goes into the table stage's record (shown in the report); ``side`` carries what
    the table needs besides the models (column titles of split samples, a balance table).
    """

    spec: Spec
    entry: dict
    data: pd.DataFrame
    dname: str
    info: dict
    side: dict = field(default_factory=dict)

    @property
    def y(self):
        return self.entry.get("y")

    @property
    def x(self) -> str:
        return self.entry.get("x", self.dname)

    @property
    def controls(self) -> list[str]:
        c = controls_of(self.spec, self.entry.get("controls"))
        return [*self.entry["variables"], *c] if self.entry.get("variables") else c

    @property
    def fe(self) -> tuple:
        return tuple(self.entry.get("fe") or ())

    @property
    def kw(self) -> dict:
        """Standard-error options: clustered by firm unless the entry says otherwise."""
        if self.entry.get("vcov", "cluster") != "cluster":   # paper 004 columns (1)-(4): conventional SEs
            return {"vcov": self.entry["vcov"]}
        return {"cluster": self.entry.get("cluster", ID)}


# ---------------------------------------------------------------- option sets: each kind lists what it honours
def _o(name, kind, doc, **kw) -> Option:
    return Option(name, kind, doc, **kw)


BASE = (Y, X, CONTROLS, WHERE, RENAME, VARIABLES)
SE = (CLUSTER, VCOV)
TWFE = (*BASE, FE, *SE, UNIT_FE, TIME_FE)
LABEL = _o("label", "str", "prefix of the group titles")


def _whole_numbers(spec, path: tuple, values) -> None:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise spec.error("SM703", path, f"lags must be whole numbers of years, got {values!r}.")


def _binary(s: pd.Series) -> bool:
    return set(pd.unique(s.dropna())) <= {0, 1}


def fit_twfe(c: Column, d: pd.DataFrame | None = None, controls=None):
    """One TWFE column: :func:`smtext.did.twfe` for a 0/1 regressor, pyfixest OLS for a continuous one.

    ``unit_fe`` / ``time_fe`` switch the firm and year fixed effects off (paper 003's columns
    without FE; industry-level regressions with ``fe: [industry]``).
    """
    from .. import did

    d = c.data if d is None else d
    ctrl = c.controls if controls is None else list(controls)
    unit_fe, time_fe = c.entry.get("unit_fe", True), c.entry.get("time_fe", True)
    if c.x == c.dname or _binary(d[c.x]):
        return did.twfe(d, c.y, TIME, ID, c.x, controls=ctrl, fe=c.fe, unit_fe=unit_fe, time_fe=time_fe, **c.kw)
    from ..did.regression import fit_feols  # continuous regressor (robot penetration, word frequency)

    fes = tuple(f for f, on in ((ID, unit_fe), (TIME, time_fe)) if on) + c.fe
    return fit_feols(d.dropna(subset=[c.x]), c.y, (c.x, *ctrl), fes, controls=ctrl, **c.kw)


def rename_terms(res, mapping: dict):
    """The result with its terms renamed (``rename: {Robot_ind: Robot}`` puts a variant on the main row)."""
    if not mapping:
        return res
    vc = res.vcov.rename(index=mapping, columns=mapping) if res.vcov is not None else None
    return dataclasses.replace(res, table=res.table.rename(index=mapping), vcov=vc)


def treat_group(d: pd.DataFrame, info: dict) -> pd.Series:
    """0/1 group to match on: ever treated (``gname > 0``) against never treated.

    When every unit is treated at some point (a city design where every city gets a
    pilot), there is no never-treated group; the early cohorts (``gname`` up to the
    median cohort) are then matched to the later ones, and the choice is recorded.
    """
    treated = (d["gname"] > 0).astype(int)
    if treated.nunique() == 2:
        return treated
    cut = float(d.loc[d["gname"] > 0, "gname"].median())
    info["psm_groups"] = f"no never-treated units: early cohorts (gname <= {cut:g}) matched to later ones"
    return ((d["gname"] > 0) & (d["gname"] <= cut)).astype(int)


# ---------------------------------------------------------------- the kinds
@COLUMNS.register("twfe", "Two-way fixed-effects regression of y on the treatment (or x) and the controls.",
                  schema=TWFE)
def _twfe(c: Column) -> list:
    return [fit_twfe(c)]


@COLUMNS.register("progressive", "Progressive columns: no controls and no FE, then FE, then FE and controls.",
                  schema=(*BASE, FE, *SE, _o("steps", "choices", "columns to print", choices=("bare", "fe", "controls", "full"),
                                   default=["bare", "fe", "full"]),
                          _o("sample", "choice", "common: every step on the rows complete for the full step; "
                                                 "per_column: each step on its own complete cases (paper 000 Table 3: "
                                                 "N 22,959 / 22,959 / 22,929)", choices=("common", "per_column"),
                             default="common")))
def _progressive(c: Column) -> list:
    from .. import did

    steps = tuple(c.entry.get("steps", ("bare", "fe", "full")))
    if c.entry.get("sample", "common") == "common":
        return list(did.twfe_progressive(c.data, c.y, TIME, ID, c.x, controls=c.controls, fe=c.fe, steps=steps,
                                         **c.kw))
    # each step alone, as twfe_progressive defines it: a step without controls keeps the rows missing only a control
    return [did.twfe(c.data, c.y, TIME, ID, c.x, controls=c.controls if s in ("controls", "full") else (),
                     fe=c.fe if s in ("fe", "full") else (), unit_fe=s in ("fe", "full"), time_fe=s in ("fe", "full"),
                     **c.kw) for s in steps]


@COLUMNS.register("fepois", "Poisson pseudo-maximum likelihood with firm and year fixed effects (counts).",
                  schema=(*BASE, FE, CLUSTER))
def _fepois(c: Column) -> list:
    from .. import did

    return [did.fepois_did(c.data, c.y, TIME, ID, c.x, controls=c.controls, fe=c.fe, **c.kw)]


@COLUMNS.register("logit", "Logit of a 0/1 outcome with year and industry dummies (default fe).",
                  schema=(*BASE, CLUSTER, _o("fe", "fe", "dummy fixed effects (instead of firm and year)",
                                             default=["year", "industry"])))
def _logit(c: Column) -> list:
    from .. import did

    return [did.logit_did(c.data, c.y, TIME, ID, c.x, controls=c.controls, fe=tuple(c.entry.get("fe", (TIME, "industry"))),
                          **c.kw)]


@COLUMNS.register("negbin", "Negative binomial (NB2) of a count with year and industry dummies (default fe), "
                            "clustered standard errors (paper 004's robustness column).",
                  schema=(*BASE, CLUSTER, _o("fe", "fe", "dummy fixed effects (instead of firm and year)",
                                             default=["year", "industry"])))
def _negbin(c: Column) -> list:
    from .. import did

    return [did.negbin_did(c.data, c.y, TIME, ID, c.x, controls=c.controls,
                           fe=tuple(c.entry.get("fe", (TIME, "industry"))), **c.kw)]


@COLUMNS.register("iv", "IV-2SLS with fixed effects: first stage, then second stage (KP rk LM / Wald F, CD F).",
                  schema=(*BASE, FE, *SE, _o("instrument", "column", "the excluded instrument", required=True),
                          _o("second_only", "bool", "print the second stage only", default=False),
                          _o("stock_yogo", "options", "print a Stock-Yogo (2005) critical value after the KP rk Wald F",
                             schema=(_o("table", "choice", "size (Table 5.2) or relative bias (Table 5.1)",
                                        choices=("size", "bias"), default="size"),
                                     _o("level", "float", "maximal size (0.10-0.25) or bias (0.05-0.30)",
                                        default=0.15, min=0.05, max=0.30)))))
def _iv(c: Column) -> list:
    from .. import did

    sy = c.entry.get("stock_yogo")
    sy = None if sy is None else (sy.get("table", "size"), float(sy.get("level", 0.15)))
    iv = did.iv_2sls(c.data, c.y, TIME, ID, c.x, instruments=c.entry["instrument"], controls=c.controls, fe=c.fe,
                     stock_yogo=sy, **c.kw)
    c.side.setdefault("iv", []).append({"estimate": float(iv.coef()[c.x]),
                                        **{k: (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
                                           for k, v in (getattr(iv, "extra", {}) or {}).items()}})
    return [iv] if c.entry.get("second_only") else [iv.first_stage[0], iv]


@COLUMNS.register("lag", "The treatment lagged k years (L1_DID, L2_DID ...), one column per lag.",
                  schema=(*BASE, FE, *SE, _o("lags", "list", "lags in years (whole numbers)", default=[1, 2])),
                  check=lambda spec, path, e: _whole_numbers(spec, path + ("lags",), e.get("lags", [])))
def _lag(c: Column) -> list:
    from .. import did

    lags = tuple(c.entry.get("lags", (1, 2)))
    dl = did.lag_treatment(c.data, TIME, ID, c.x, lags=lags)
    return [did.twfe(dl, c.y, TIME, ID, f"L{k}_{c.x}", controls=c.controls, fe=c.fe, **c.kw) for k in lags]


@COLUMNS.register("split", "The same regression in each group of a column (heterogeneity); optionally the "
                           "between-group gap with a Fisher permutation p-value (bdiff).",
                  schema=(*TWFE, LABEL, _o("by", "column", "the grouping column", required=True),
                          _o("groups", "list", "groups to print, in order (default: all)"),
                          _o("min_treated", "int", "skip groups with fewer treated firm-years", default=10, min=0),
                          _o("diff_test", "options", "permutation test of the gap between two groups", schema=(
                              _o("draws", "int", "permutations", default=500, min=1, max=MAX_DRAWS),
                              _o("seed", "int", "seed", default=0, min=0, max=MAX_SEED)))))
def _split(c: Column) -> list:
    from .. import did

    d, by, x = c.data, c.entry["by"], c.x
    treated = d.groupby(by)[x].sum()
    asked = c.entry.get("groups") or list(treated.index)
    groups = [g for g in asked if treated.get(g, 0) >= c.entry.get("min_treated", 10)]
    # a group the data lack (every value tied at the median falls below it) is named too
    skipped = sorted(map(str, (set(treated.index) | set(asked)) - set(groups)))
    if skipped:  # a group without enough treated firm-years has nothing to estimate: say so
        c.info.setdefault("groups_skipped", []).extend(f"{by}={g}" for g in skipped)
    res = {}
    for g in groups:
        try:
            res[g] = fit_twfe(c, d[d[by] == g])
        except NotIdentified as err:
            # too small a group: the treatment is absorbed by the fixed effects; report, do not fake
            why = "treatment collinear with FE" if err.code == "SM502" else "too few rows for the model"
            c.info.setdefault("groups_skipped", []).append(f"{by}={g} ({err.code}: {why})")
        except np.linalg.LinAlgError as err:
            # a group so small that its variance matrix is degenerate (pyfixest's SVD fails): report, do not fake
            c.info.setdefault("groups_skipped", []).append(f"{by}={g} (variance matrix degenerate: {err})")
    order = [g for g in groups if g in res]
    c.side.setdefault("titles", []).extend(f"{c.entry.get('label', '')}{g}" for g in order)
    cols = [res[g] for g in order]
    test = c.entry.get("diff_test")
    if test and len(order) == 2:   # bdiff-style empirical p-value of the between-group gap
        dd = d[d[by].isin(order)]
        gap = float(res[order[0]].coef()[x] - res[order[1]].coef()[x])
        try:
            perm = did.permutation_diff_test(dd, c.y, TIME, ID, x, by=by, controls=c.controls, fe=c.fe,
                                             draws=int(test.get("draws", 500)), seed=int(test.get("seed", 0)),
                                             cluster=c.kw.get("cluster"))
        except NotIdentified as err:
            # the test's own fits (its fixed effects, its rows) cannot identify the treatment: say so, no p-value
            cols[0] = dataclasses.replace(cols[0], extra={**cols[0].extra, "组间差异（经验p值）": f"{gap:.3f} (p: n/a)"})
            c.info.setdefault("diff_tests", []).append({"by": by, "groups": order, "gap": gap, "p_empirical": None,
                                                        "not_computed": f"{err.code}: {err.message}"})
            return cols
        cols[0] = dataclasses.replace(cols[0], extra={**cols[0].extra,
                                                      "组间差异（经验p值）": f"{gap:.3f} (p={perm.p_one_sided:.3f})"})
        c.info.setdefault("diff_tests", []).append({"by": by, "groups": order, "gap": gap,
                                                    "p_empirical": perm.p_one_sided, "p_two_sided": perm.p_value,
                                                    "draws": int(test.get("draws", 500))})
    return cols


@COLUMNS.register("mechanism", "Two-step mechanism test (Jiang Ting 2022): each mediator on the treatment, "
                               "then (when y is given) y on the treatment and the mediator.",
                  schema=(_o("mediators", "columns", "mediators", required=True), _o("y", "column", "outcome"),
                          X, CONTROLS, FE, *SE, WHERE, RENAME, VARIABLES))
def _mechanism(c: Column) -> list:
    from .. import did

    cols = []
    for m in c.entry["mediators"]:
        cols.append(did.twfe(c.data, m, TIME, ID, c.x, controls=c.controls, fe=c.fe, **c.kw))
        if c.y:
            cols.append(did.twfe(c.data, c.y, TIME, ID, c.x, controls=(*c.controls, m), fe=c.fe, **c.kw))
    return cols


@COLUMNS.register("psm_did", "PSM-DID: logit propensity by year, nearest-neighbour matching with replacement, then "
                             "TWFE (with any extra fe) on the matched sample (weights, matched rows or common support); "
                             "its balance table is printed as a table of its own, and a covariate with |%bias| > 10 "
                             "after matching is named in the table note.",
                  schema=(*BASE, FE, CLUSTER, COVARIATES, _o("k", "int", "neighbours", default=1, min=1, max=100),
                          _o("balance", "str", "name of the balance table"),
                          _o("psm_sample", "choice", "weights: matched rows weighted by the matching weights; matched: "
                             "matched rows unweighted (_weight != .); support: all rows on the common support "
                             "(_support == 1)", choices=("weights", "matched", "support"), default="weights")))
def _psm_did(c: Column) -> list:
    from .. import did
    from ..did.matching import balance_failures

    d = c.data.dropna(subset=[c.y, *c.entry["covariates"], *c.controls]).copy()
    d["_treat"] = treat_group(d, c.info)
    reg = did.psm_did(d, c.y, TIME, ID, c.x, treat="_treat", covariates=list(c.entry["covariates"]),
                      controls=c.controls, fe=c.fe, sample=c.entry.get("psm_sample", "weights"),
                      psm_kwargs={"k": int(c.entry.get("k", 1)), "replace": True, "by": TIME}, **c.kw)
    c.side["balance"] = (c.entry.get("balance"), reg.matching.balance)
    failed = balance_failures(reg.matching.balance)
    if failed:   # the usual rule (|%bias| <= 10 after matching) fails: say so under the table
        c.info.setdefault("psm_balance_failed", {}).update(failed)
    return [reg]


@COLUMNS.register("ife", "Interactive fixed effects (Bai 2009) with controls and additive fixed effects (firm, year "
                         "and any fe) on the unbalanced panel (missing cells by EM); the number of factors by Bai-Ng "
                         "or fixed.",
                  schema=(*BASE, FE, CLUSTER,
                          _o("r", "int", "number of factors (default: chosen by the criterion)", min=0, max=20),
                          _o("r_max", "int", "largest number of factors the criterion tries", default=5, min=1, max=20),
                          _o("criterion", "choice", "Bai-Ng (2002) criterion", choices=("IC_p1", "IC_p2", "IC_p3"),
                             default="IC_p2")))
def _ife(c: Column) -> list:
    from .. import did

    d = c.data.dropna(subset=[c.y, c.x, *c.controls])
    res = did.ife(d, c.y, TIME, ID, c.x, controls=c.controls, fe=c.fe, r=c.entry.get("r", "auto"),
                  r_max=int(c.entry.get("r_max", 5)), criterion=c.entry.get("criterion", "IC_p2"),
                  cluster=c.entry.get("cluster", ID))
    c.info["ife"] = {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in res.extra.items()}
    return [res]


@COLUMNS.register("ebal_did", "Entropy balancing (Hainmueller) of the control group, then weighted TWFE.",
                  schema=(*BASE, FE, *SE, COVARIATES, _o("moments", "int", "moments balanced", default=1, min=1, max=3)))
def _ebal(c: Column) -> list:
    from .. import did

    d = c.data.dropna(subset=[c.y, c.x, *c.entry["covariates"], *c.controls]).copy()
    d["_treat"] = treat_group(d, c.info)
    eb = did.entropy_balance(d, "_treat", list(c.entry["covariates"]), moments=int(c.entry.get("moments", 1)))
    d["_ebw"] = eb.weights
    c.info["ebal_max_moment_diff"] = float(eb.max_moment_diff)
    return [did.twfe(d, c.y, TIME, ID, c.x, controls=c.controls, fe=c.fe, weights="_ebw", **c.kw)]


@COLUMNS.register("did2s", "Gardner two-stage DID (no controls), printed on the treatment's row.",
                  schema=(Y, CLUSTER, WHERE, RENAME))
def _did2s(c: Column) -> list:
    from .. import did

    r = did.did2s(c.data.dropna(subset=[c.y]), c.y, TIME, ID, "gname", cluster=c.entry.get("cluster", ID))
    return [rename_terms(r, {"ATT": c.dname})]   # the first design's cohorts, printed on its treatment's row


@COLUMNS.register("heckman", "Heckman two-step: a probit selection column, then the outcome equation with the "
                             "inverse Mills ratio.",
                  schema=(*BASE, CLUSTER, _o("fe", "fe", "fixed effects instead of firm and year"),
                          _o("selection", "column", "0/1 column of the probit", required=True),
                          _o("exclusion", "column", "variable only in the selection equation", required=True)))
def _heckman(c: Column) -> list:
    from .. import did

    # a spec that names fe gets those fixed effects instead of firm and year
    h = did.heckman(c.data, c.y, TIME, ID, c.x, selection=c.entry["selection"], exclusion=c.entry["exclusion"],
                    controls=c.controls, fe=c.fe, unit_fe=not c.fe, time_fe=not c.fe, cluster=c.kw.get("cluster", ID))
    probit = h.probit()
    # the probit's statistics sit in its own column; the outcome column keeps the IMR only
    h = dataclasses.replace(h, extra={k: v for k, v in h.extra.items() if "probit" not in k and k != "selection"})
    return [probit, h]


@COLUMNS.register("dml", "Double machine learning, partially linear model, one learner per column.",
                  schema=(*BASE, _o("learner", "choice", "nuisance learner", choices=("rf", "lasso", "ridge", "svm"),
                             default="rf"),
                          _o("folds", "int", "cross-fitting folds", default=5, min=2, max=100), _o("seed", "int", "seed", default=0, min=0, max=MAX_SEED)))
def _dml(c: Column) -> list:
    from .. import did

    dd = c.data.dropna(subset=[c.y, c.x, *c.controls])
    return [did.dml_plr(dd, c.y, TIME, ID, c.x, controls=c.controls, learner=c.entry.get("learner", "rf"),
                        n_folds=int(c.entry.get("folds", 5)), seed=int(c.entry.get("seed", 0)))]


@COLUMNS.register("robust_estimators", "TWFE beside the heterogeneity-robust estimators (CS, SA, BJS, did2s) on the "
                                       "balanced panel, one column each.",
                  schema=(Y, WHERE, WINDOW))
def _robust(c: Column) -> list:
    from .. import did

    bal, dropped = balanced_panel(c.data.dropna(subset=[c.y]), ID, TIME)
    c.info["balanced_firms_dropped"] = dropped
    static = did.robust_comparison(bal, c.y, TIME, ID, "gname", window=tuple(c.entry.get("window", (-4, 4))))
    c.side.setdefault("titles", []).extend(static.names)
    c.side["keep"] = ["ATT"]
    c.info["estimates"] = {k: {"att": float(static[k].coef()["ATT"]), "se": float(static[k].se()["ATT"])}
                           for k in static.names}
    return list(static)


BACON_TYPES = {"Treated vs Untreated": "处理组 vs 从未处理组", "Earlier vs Later Treated": "早处理组 vs 晚处理组（晚组作对照）",
               "Later vs Earlier Treated": "晚处理组 vs 早处理组（早组作对照）",
               "Later vs Always Treated": "晚处理组 vs 始终处理组"}


@COLUMNS.register("describe", "A descriptive-statistics table of the variables (the table's only column).",
                  schema=(_o("variables", "columns", "variables described", required=True), WHERE),
                  whole_table=True)
def _describe(c: Column):
    from ..report import describe

    c.info["rows"] = len(c.entry["variables"])
    return describe(c.data, list(c.entry["variables"]), labels=c.side["labels"], title=c.side["title"])


@COLUMNS.register("vif", "Multicollinearity check: VIF and 1/VIF of the regressors (x and the controls), largest first, "
                         "with their mean, as Stata's estat vif (the table's only column).",
                  schema=(_o("y", "column", "outcome: the check uses the regression's rows (y not missing)"),
                          X, CONTROLS, WHERE, VARIABLES, _o("limit", "float", "VIF above which a regressor is flagged",
                                                            default=10.0, min=1.0)),
                  whole_table=True)
def _vif(c: Column):
    from ..did.collinearity import vif
    from ..report import format_number
    from ..report.render import Table

    labels = c.side["labels"]
    d = c.data if c.y is None else c.data.dropna(subset=[c.y])
    res = vif(d, [c.x, *c.controls], limit=float(c.entry.get("limit", 10.0)))
    a = res.attrs
    rows = [[labels.get(v, v), format_number(r["VIF"], 2), format_number(r["1/VIF"], 3)] for v, r in res.iterrows()]
    flagged = [labels.get(v, v) for v in res.index[res["flag"]]]
    notes = [f"观测值 {a['nobs']:,}" + (f"（剔除 {a['dropped']} 个含缺失值的观测）" if a["dropped"] else "")
             + "；VIF = 1/(1-R²_j)，R²_j 为该变量对其余解释变量（含常数项）回归的拟合优度。",
             (f"VIF 超过 {a['limit']:g} 的变量：{'、'.join(flagged)}，存在较强的多重共线性。" if flagged
              else f"所有变量的 VIF 均低于 {a['limit']:g}，不存在严重的多重共线性。")]
    c.info["vif"] = {str(v): float(r["VIF"]) for v, r in res.iterrows()}
    c.info["mean_vif"] = a["mean_vif"]
    return Table(header=[["变量", "VIF", "1/VIF"]], sections=[rows, [["Mean VIF", format_number(a["mean_vif"], 2), ""]]],
                 title=c.side["title"], notes=notes)


@COLUMNS.register("definitions", "The variable-definition table (变量定义): type, name, symbol and definition of "
                                 "each variable, from the spec's definitions: and labels (the table's only column).",
                  schema=(_o("groups", "list", "[[变量类型, [variables]], ...] in the printed order", required=True),),
                  whole_table=True, check=lambda spec, path, e: _check_groups(spec, path + ("groups",), e["groups"]))
def _definitions(c: Column):
    from .definitions import definitions_table

    table, rows = definitions_table(c.spec, c.entry["groups"], c.side["labels"], title=c.side["title"])
    c.info["rows"] = rows
    return table


def _check_groups(spec, path: tuple, groups) -> None:
    ok = isinstance(groups, list) and all(
        isinstance(g, list) and len(g) == 2 and isinstance(g[0], str) and isinstance(g[1], list)
        and all(isinstance(v, str) for v in g[1]) for g in groups)
    if not ok:
        raise spec.error("SM703", path, f"groups must be [[TYPE, [variables]], ...], got {groups!r}.",
                         "e.g. groups: [[被解释变量, [TFP_LP]], [控制变量, [ROA, Lev]]].")
    from .definitions import check_definitions

    check_definitions(spec, path, groups)


@COLUMNS.register("bacon", "Goodman-Bacon decomposition and dCDH negative weights of the TWFE coefficient on the "
                           "balanced panel (the table's only column).", schema=(Y, WHERE), whole_table=True)
def _bacon(c: Column):
    from .. import did

    y, dname = c.y, c.dname
    bal, dropped = balanced_panel(c.data.dropna(subset=[y]), ID, TIME)
    bac = did.bacon(bal, y, TIME, ID, dname)
    w = did.twfe_weights(bal, y, TIME, ID, dname)
    table, info = bacon_table(bac, w, y, dropped, title=c.side["title"])
    c.info.update(info)
    return table


def bacon_table(bac, weights, y: str, dropped: int, title: str | None = None):
    """The Goodman-Bacon / dCDH table as the papers print it, and the numbers behind it.

    Parameters
    ----------
    bac : smtext.did.decompose.BaconResult
        :func:`smtext.did.bacon` on the balanced panel.
    weights : smtext.did.decompose.TWFEWeights
        :func:`smtext.did.twfe_weights` on the same panel.
    y : str
        Outcome name (for the note).
    dropped : int
        Firms dropped to balance the panel (for the note).
    title : str, optional
        Table title.

    Returns
    -------
    (smtext.report.render.Table, dict)
        The table, and its numbers (weights and average estimates by comparison type, the
        TWFE coefficient, dCDH negative weights) for a run record.
    """
    from ..report import format_number
    from ..report.render import Table

    w = weights
    rows = [[BACON_TYPES.get(str(t), str(t)), format_number(r["weight"], 3), format_number(r["avg_est"], 4)]
            for t, r in bac.by_type.iterrows()]
    total = w.n_positive + w.n_negative
    diag = [["TWFE 系数（= 加权和）", "1.000", format_number(bac.estimate, 4)],
            ["dCDH 负权重处理单元 / 全部处理单元", f"{w.n_negative} / {total}", ""],
            ["dCDH 负权重之和", format_number(w.sum_negative, 4), ""]]
    notes = [f"平衡面板：{bac.nobs} 个观测（剔除 {dropped} 家未在每一年出现的企业）；被解释变量 {y}。"]
    info = {"bacon": {str(t): {"weight": float(r["weight"]), "avg_est": float(r["avg_est"])}
                      for t, r in bac.by_type.iterrows()},
            "twfe": float(bac.estimate), "dcdh_negative": int(w.n_negative), "dcdh_cells": int(total),
            "dcdh_sum_negative": float(w.sum_negative), "balanced_firms_dropped": int(dropped)}
    return Table(header=[["比较类型", "权重", "平均估计"]], sections=[rows, diag], title=title, notes=notes), info


def fit_column(spec: Spec, entry: dict, d: pd.DataFrame, dname: str, info: dict, side: dict):
    """Fit one table column entry on its rows (``where`` applied); models or, for whole-table kinds, a Table."""
    c = Column(spec, entry, apply_where(d, entry.get("where")), dname, info, side)
    return COLUMNS[entry.get("kind", "twfe")].func(c)
