"""Model columns of a study table: one spec entry (``kind: ...``) -> fitted result objects."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..errors import SMError
from ..panel import balanced_panel
from .spec import Spec, check_columns, controls_of
from .common import ID, TIME, _apply_where, _fe_columns


# keys of a column / figure entry that name data columns: one column (or a list), and lists of columns
COLUMN_REF_KEYS = ("y", "x", "instrument", "by", "cluster", "selection", "exclusion")
COLUMN_LIST_KEYS = ("mediators", "covariates", "variables", "dropna")


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def used_columns(spec: Spec, entry: dict, dname: str) -> list[str]:
    cols = {ID, TIME, dname, "gname"}
    for key in COLUMN_REF_KEYS:
        cols.update(_listed(entry.get(key)))
    for key in COLUMN_LIST_KEYS:
        cols.update(entry.get(key) or [])
    cols.update(controls_of(spec, entry.get("controls")))
    cols.update(_fe_columns(entry.get("fe")))
    cols.update((entry.get("where") or {}).keys())
    return sorted(cols)


def check_entry(spec: Spec, path: tuple, entry: dict, columns, dname: str) -> None:
    """SM704 at the right spec line for every column an entry names that the data lacks."""
    for key in COLUMN_REF_KEYS:
        check_columns(spec, path + (key,), _listed(entry.get(key)), columns, key)
    for key in COLUMN_LIST_KEYS:
        for i, c in enumerate(entry.get(key) or []):
            check_columns(spec, path + (key, i), [c], columns, key.rstrip("s"))
    ctrl = entry.get("controls")
    cpath = ("controls", ctrl) if isinstance(ctrl, str) else path + ("controls",)
    for i, c in enumerate(controls_of(spec, ctrl)):
        check_columns(spec, cpath + (i,), [c], columns, "control")
    check_columns(spec, path + ("fe",), _fe_columns(entry.get("fe")), columns, "fixed effect")
    check_columns(spec, path + ("where",), list((entry.get("where") or {}).keys()), columns, "filter column")


def treat_group(d: pd.DataFrame, entry: dict, info: dict) -> pd.Series:
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


def _binary(s: pd.Series) -> bool:
    return set(pd.unique(s.dropna())) <= {0, 1}


def _fit(d: pd.DataFrame, entry: dict, y: str, x: str, c: list, fe: tuple, kw: dict, dname: str):
    """One TWFE column: :func:`smtext.did.twfe` for a 0/1 treatment, pyfixest OLS for a continuous regressor.

    ``unit_fe`` / ``time_fe`` switch the firm and year fixed effects off (paper 003's columns
    without FE; industry-level regressions with ``fe: [industry]``).
    """
    from .. import did

    unit_fe, time_fe = entry.get("unit_fe", True), entry.get("time_fe", True)
    if x == dname or _binary(d[x]):
        return did.twfe(d, y, TIME, ID, x, controls=c, fe=fe, unit_fe=unit_fe, time_fe=time_fe, **kw)
    from ..did.regression import fit_feols  # continuous treatment (robot penetration, word frequency)

    fes = tuple(f for f, on in ((ID, unit_fe), (TIME, time_fe)) if on) + tuple(fe)
    return fit_feols(d.dropna(subset=[x]), y, (x, *c), fes, controls=c, **kw)


def rename_terms(res, mapping: dict):
    """The result with its terms renamed (``rename: {Robot_ind: Robot}`` puts a variant on the main row)."""
    if not mapping:
        return res
    vc = res.vcov.rename(index=mapping, columns=mapping) if res.vcov is not None else None
    return dataclasses.replace(res, table=res.table.rename(index=mapping), vcov=vc)


def columns_of(spec: Spec, entry: dict, d: pd.DataFrame, dname: str, info: dict, side: dict) -> list:
    """Fit the model(s) of one table column entry; returns result objects (one per table column)."""
    from .. import did

    kind = entry.get("kind", "twfe")
    d = _apply_where(d, entry.get("where"))
    c = controls_of(spec, entry.get("controls"))
    fe = tuple(entry.get("fe") or ())
    kw = {"cluster": entry.get("cluster", ID)}
    if entry.get("vcov", "cluster") != "cluster":   # paper 004 columns (1)-(4): conventional SEs
        kw = {"vcov": entry["vcov"]}
    y, x = entry.get("y"), entry.get("x", dname)
    if entry.get("variables") and kind != "describe":   # extra regressors that the table shows
        c = [*entry["variables"], *c]
    if kind == "twfe":
        return [_fit(d, entry, y, x, c, fe, kw, dname)]
    if kind == "progressive":
        return list(did.twfe_progressive(d, y, TIME, ID, x, controls=c, fe=fe,
                                         steps=tuple(entry.get("steps", ("bare", "fe", "full"))), **kw))
    if kind == "fepois":
        return [did.fepois_did(d, y, TIME, ID, x, controls=c, fe=fe, **kw)]
    if kind == "logit":
        return [did.logit_did(d, y, TIME, ID, x, controls=c, fe=fe or (TIME, "industry"), **kw)]
    if kind == "iv":
        iv = did.iv_2sls(d, y, TIME, ID, x, instruments=entry["instrument"], controls=c, fe=fe, **kw)
        side.setdefault("iv", []).append({"estimate": float(iv.coef()[x]),
                                          **{k: (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
                                             for k, v in (getattr(iv, "extra", {}) or {}).items()}})
        return [iv] if entry.get("second_only") else [iv.first_stage[0], iv]
    if kind == "lag":
        lags = tuple(entry.get("lags", (1, 2)))
        dl = did.lag_treatment(d, TIME, ID, x, lags=lags)
        return [did.twfe(dl, y, TIME, ID, f"L{k}_{x}", controls=c, fe=fe, **kw) for k in lags]
    if kind == "split":
        by = entry["by"]
        treated = d.groupby(by)[x].sum()
        groups = [g for g in (entry.get("groups") or list(treated.index)) if treated.get(g, 0) >= entry.get("min_treated", 10)]
        skipped = sorted(map(str, set(treated.index) - set(groups)))
        if skipped:  # a group without enough treated firm-years has nothing to estimate: say so
            info.setdefault("groups_skipped", []).extend(f"{by}={g}" for g in skipped)
        res = {}
        for g in groups:
            try:
                res[g] = _fit(d[d[by] == g], entry, y, x, c, fe, kw, dname)
            except SMError as err:
                if err.code != "SM502":
                    raise
                # too small a group: the treatment is absorbed by the fixed effects; report, do not fake
                info.setdefault("groups_skipped", []).append(f"{by}={g} ({err.code}: treatment collinear with FE)")
        order = [g for g in groups if g in res]
        side.setdefault("titles", []).extend(f"{entry.get('label', '')}{g}" for g in order)
        cols = [res[g] for g in order]
        test = entry.get("diff_test")
        if test and len(order) == 2:   # bdiff-style empirical p-value of the between-group gap
            dd = d[d[by].isin(order)]
            perm = did.permutation_diff_test(dd, y, TIME, ID, x, by=by, controls=c, fe=fe, draws=int(test.get("draws", 500)),
                                             seed=int(test.get("seed", 0)), cluster=kw.get("cluster"))
            gap = float(res[order[0]].coef()[x] - res[order[1]].coef()[x])
            note = f"{gap:.3f} (p={perm.p_one_sided:.3f})"
            cols[0] = dataclasses.replace(cols[0], extra={**cols[0].extra, "组间差异（经验p值）": note})
            info.setdefault("diff_tests", []).append({"by": by, "groups": order, "gap": gap,
                                                      "p_empirical": perm.p_one_sided, "p_two_sided": perm.p_value,
                                                      "draws": int(test.get("draws", 500))})
        return cols
    if kind == "mechanism":   # each mediator on the treatment, then (with y) the outcome with the mediator
        cols = []
        for m in entry["mediators"]:
            cols.append(did.twfe(d, m, TIME, ID, x, controls=c, fe=fe, **kw))
            if y:
                cols.append(did.twfe(d, y, TIME, ID, x, controls=(*c, m), fe=fe, **kw))
        return cols
    if kind == "psm_did":
        d = d.dropna(subset=[y, *entry["covariates"], *c]).copy()
        d["_treat"] = treat_group(d, entry, info)
        reg = did.psm_did(d, y, TIME, ID, x, treat="_treat", covariates=list(entry["covariates"]), controls=c, fe=fe,
                          sample=entry.get("psm_sample", "weights"),
                          psm_kwargs={"k": int(entry.get("k", 1)), "replace": True, "by": TIME}, **kw)
        side["balance"] = (entry.get("balance"), reg.matching.balance)
        return [reg]
    if kind == "ife":  # Bai (2009) needs a balanced panel: keep firms observed in every year
        bal, dropped = balanced_panel(d.dropna(subset=[y, x, *c]), ID, TIME)
        info["ife_firms_dropped"] = dropped
        return [did.ife(bal, y, TIME, ID, x, controls=c)]
    if kind == "ebal_did":   # entropy balancing (Hainmueller) of the control group, then weighted TWFE
        d = d.dropna(subset=[y, x, *entry["covariates"], *c]).copy()
        d["_treat"] = treat_group(d, entry, info)
        eb = did.entropy_balance(d, "_treat", list(entry["covariates"]), moments=int(entry.get("moments", 1)))
        d["_ebw"] = eb.weights
        info["ebal_max_moment_diff"] = float(eb.max_moment_diff)
        return [did.twfe(d, y, TIME, ID, x, controls=c, fe=fe, weights="_ebw", **kw)]
    if kind == "did2s":   # Gardner two-stage DID (no controls, as paper 002 Table 5 column 7)
        r = did.did2s(d.dropna(subset=[y]), y, TIME, ID, "gname", cluster=kw.get("cluster", ID))
        return [rename_terms(r, {"ATT": x})]   # the papers print it on the treatment's row
    if kind == "heckman":   # probit selection column, then the outcome equation with the IMR
        # a spec that names fe gets those fixed effects instead of firm and year
        h = did.heckman(d, y, TIME, ID, x, selection=entry["selection"], exclusion=entry["exclusion"], controls=c,
                        fe=fe, unit_fe=not fe, time_fe=not fe, cluster=kw.get("cluster", ID))
        probit = h.probit()
        # the probit's statistics sit in its own column; the outcome column keeps the IMR only
        h = dataclasses.replace(h, extra={k: v for k, v in h.extra.items() if "probit" not in k and k != "selection"})
        return [probit, h]
    if kind == "dml":   # double machine learning, partially linear, one learner per column
        dd = d.dropna(subset=[y, x, *c])
        return [did.dml_plr(dd, y, TIME, ID, x, controls=c, learner=entry.get("learner", "rf"),
                            n_folds=int(entry.get("folds", 5)), seed=int(entry.get("seed", 0)))]
    if kind == "robust_estimators":
        bal, dropped = balanced_panel(d.dropna(subset=[y]), ID, TIME)
        info["balanced_firms_dropped"] = dropped
        static = did.robust_comparison(bal, y, TIME, ID, "gname", window=tuple(entry.get("window", (-4, 4))))
        side.setdefault("titles", []).extend(static.names)
        side["keep"] = ["ATT"]
        return list(static)
    raise spec.error("SM703", (), f"unknown column kind {kind!r}.")


