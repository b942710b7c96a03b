"""The papers' DID battery on a panel the user already has (what ``smtext did`` runs).

The panel is read with :func:`smtext.io.read_panel` (CSV in any Chinese encoding, TXT,
XLSX, Stata, Parquet; CSMAR / CNRDS / Wind layouts) and keeps the user's column names. It is
checked before anything is estimated: one row per id and time (SM401), a 0/1 treatment
(SM500) that varies (SM570), a cohort that agrees with it (SM571), a treatment that stays
on where cohorts are needed (SM552). The estimators are those of :mod:`smtext.did`, the
tables and figures those of :mod:`smtext.report`, written by the studies' one table writer,
so the battery prints what a study prints:

* ``tables/did.{md,tex,html,xlsx,docx}``: baseline TWFE, PSM-DID, the did2s / CS / BJS / SA
  overall ATTs; ``tables/did_balance.*`` and ``tables/bacon.*``;
* ``figures/*.png``: event study, placebo distribution, propensity scores, the robust event
  studies, HonestDiD sensitivity;
* ``estimates.csv``: every estimate at full precision (same input and seed: same bytes).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, warn

HONEST_GRID = (0.0, 0.5, 1.0, 1.5, 2.0)
ROBUST = ("did2s", "CS", "BJS", "SA")
ESTIMATE_COLUMNS = ("section", "model", "term", "estimate", "std_error", "p_value", "ci_low", "ci_high", "weight",
                    "nobs")


# ---------------------------------------------------------------- reading and checking the panel
def read_did_panel(path: Path, colmap: str | None = None, *, idname: str, sheet: str | None = None,
                   encoding: str | None = None):
    """Read a panel for ``smtext did``: every column under the user's name.

    Parameters
    ----------
    path : Path
        The panel file (any format :func:`smtext.io.read_panel` reads).
    colmap : str, optional
        A column map (bundled name or YAML file); None reads the columns as they are, only
        a recognised stock-code column (Stkcd, 证券代码, ...) is renamed ``stkcd`` and its
        codes normalised to six digits.
    idname : str
        The id column the user named: when it is such a stock-code column but none of its
        values is a stock code (firm names, ``F001``), the file is read again with that
        column as it is, so that no firm loses its id.
    sheet, encoding : optional
        As in :func:`smtext.io.read_panel`.

    Returns
    -------
    smtext.io.PanelRead
        Without a map read with ``keys=()``: repeated id-time rows are checked by
        :func:`check_panel` under the user's names. With a map its keys are the keys
        (``stkcd``, ``year`` from the report dates, fiscal-year ends only).
    """
    from ..io import read_panel

    # without a map the user's id and time are checked under their names (keys=()); a map
    # names the keys itself, so read_panel turns its report dates into fiscal years
    kw = {"keys": () if colmap is None else None, "sheet": sheet, "encoding": encoding}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = read_panel(path, colmap, **kw)
    rep = r.report
    if (colmap is None and idname not in r.data.columns and "stkcd" in r.data.columns
            and _resolve(r.data, idname, "--id") == "stkcd" and rep.get("codes_invalid", 0) == rep.get("rows_read")):
        # the id column is named like a stock-code column but holds other identifiers
        caught = [w for w in caught if not str(w.message).startswith("SM020")]
        r = read_panel(path, {idname: idname}, **kw)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return r


def _resolve(data: pd.DataFrame, name: str, option: str) -> str:
    """The panel column ``name`` (given to ``option``) refers to.

    The name as in the file, ignoring case; a stock-code column's original name (证券代码,
    Stkcd) or ``stkcd`` for the normalised code column; ``year`` for the file's one year
    column (年份, 会计年度, ...). Anything else is SM001 naming the option.
    """
    from ..io.layouts import KEY_ALIASES

    cols = [str(c) for c in data.columns]
    if name in cols:
        return name
    low = [c for c in cols if c.lower() == name.lower()]
    if len(low) == 1:
        return low[0]
    if "stkcd" in cols and name.lower() in KEY_ALIASES["stkcd"]:
        return "stkcd"
    if name.lower() == "year":
        hits = [c for c in cols if c.lower() in KEY_ALIASES["period"]]
        if len(hits) == 1:
            return hits[0]
    raise SMError("SM001", f"{option} {name!r}: the panel has no such column; it has {cols[:25]}.",
                  f"pass {option} one of those names (as in the file; a stock-code column is also 'stkcd').")


def _unique_name(data: pd.DataFrame, name: str) -> str:
    while name in data.columns:
        name = "_" + name
    return name


def _numeric(data: pd.DataFrame, col: str, option: str) -> pd.Series:
    """``col`` as numbers; SM573 when some present values are not numbers."""
    s = data[col]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    num = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & num.isna() & (s.astype("string").str.strip() != "")
    if bad.any():
        ex = s[bad].astype(str).unique()[:5].tolist()
        raise SMError("SM573", f"{option} {col!r} has {int(bad.sum())} values that are not numbers (e.g. {ex}).",
                      "clean the column (numbers only, empty for missing), or name another column.")
    return num.astype(float)


def _years(data: pd.DataFrame, col: str) -> pd.Series:
    """The time column as whole numbers, missing where empty (dates such as 2015-12-31 give their year).

    SM402 when a value is neither a whole number nor a date.
    """
    from ..io import parse_periods

    s = data[col]
    present = s.notna() & (s.astype("string").str.strip() != "")
    num = pd.to_numeric(s, errors="coerce").astype(float)
    if num[present].isna().all() and present.any():  # dates rather than years
        num = parse_periods(s)["year"].astype(float).set_axis(s.index)
    bad = present & (num.isna() | (num != np.floor(num)))
    if bad.any():
        ex = s[bad].astype(str).unique()[:5].tolist()
        raise SMError("SM402", f"--t {col!r} must hold whole years (or dates); {int(bad.sum())} rows do not "
                               f"(e.g. {ex}).", f"fix or drop those rows, or convert {col!r} to years.")
    return num.where(present).astype("Int64")


def _treatment(data: pd.DataFrame, col: str) -> pd.Series:
    """The 0/1 treatment as numbers; SM500 when it holds anything else (text included)."""
    s = data[col]
    num = pd.to_numeric(s, errors="coerce").astype(float) if not pd.api.types.is_bool_dtype(s) else s.astype(float)
    present = s.notna() & (s.astype("string").str.strip() != "")
    bad = present & ~num.isin([0.0, 1.0])
    if bad.any():
        vals = sorted(map(str, s[bad].unique()))
        raise SMError("SM500", f"--d {col!r} must be 0/1; {int(bad.sum())} rows hold other values "
                               f"({vals[:10]}{' ...' if len(vals) > 10 else ''}).",
                      "recode it (1 where treated, else 0), or give the first treatment year with --cohort instead.")
    return num.where(present)


@dataclass
class DIDPanel:
    """A checked panel and the roles of its columns (the user's names).

    Attributes
    ----------
    data : pandas.DataFrame
        Complete cases of the used columns, sorted by id and time, with the 0/1 treatment
        ``dname`` and, when the treatment is absorbing, the cohort ``gname`` (first treated
        year, 0 = never treated).
    yname, dname, tname, idname : str
        Outcome, treatment, time and id columns.
    gname : str or None
        Cohort column (None when the treatment switches off; ``cohort_error`` says why).
    controls, fe : list of str
        Controls; fixed effects besides id and time (``a^b`` = interaction).
    unit_fe, time_fe : bool
        Whether ``--fe`` keeps the id and the time fixed effects.
    cluster : list of str
        Cluster column(s).
    counts : dict
        Rows, firms, years, treated firms, cohorts, rows dropped for missing values.
    cohort_error : SMError or None
        Why there is no cohort column (a treatment that switches off).
    labels : dict
        Column -> the name the user gave where the two differ (``stkcd`` -> ``证券代码``), for tables.
    """

    data: pd.DataFrame
    yname: str
    dname: str
    tname: str
    idname: str
    gname: str | None
    controls: list
    fe: list
    unit_fe: bool
    time_fe: bool
    cluster: list
    counts: dict = field(default_factory=dict)
    cohort_error: SMError | None = None
    labels: dict = field(default_factory=dict)


def check_panel(raw: pd.DataFrame, *, y: str, d: str | None, cohort: str | None, idname: str, tname: str,
                controls=(), fe=None, cluster=None) -> DIDPanel:
    """Check a user's panel for the DID battery and return its complete cases.

    Parameters
    ----------
    raw : pandas.DataFrame
        The panel as read.
    y, d, cohort, idname, tname : str
        Outcome, 0/1 treatment, first-treatment-year (0 or empty = never treated), id and
        time columns as the user named them (see :func:`_resolve`); one of ``d`` and
        ``cohort`` may be None (the treatment is then ``1[t >= cohort]``, the cohort the
        first treated year of an absorbing ``d``).
    controls : sequence of str
        Control columns.
    fe : sequence of str, optional
        Fixed effects; default id and time. ``a^b`` is an interaction.
    cluster : sequence of str, optional
        One or two cluster columns; default the id.

    Returns
    -------
    DIDPanel

    Raises
    ------
    SMError
        SM001 a column the options name is missing; SM573 an outcome or control that is not
        numeric; SM402 a time column without whole years; SM401 repeated id-time rows (listed);
        SM500 a treatment that is not 0/1; SM554 a cohort that varies within a firm; SM571 a
        treatment and a cohort that disagree; SM570 a treatment without variation; SM501 no
        complete rows.
    """
    from ..did._prepare import check_cohort, cohort_from_dummy
    from ..io.normalize import check_unique

    if d is None and cohort is None:
        raise SMError("SM001", "neither --d nor --cohort was given.",
                      "name the 0/1 treatment column with --d, or the first-treatment-year column with --cohort.")
    idc, tc, yc = _resolve(raw, idname, "--id"), _resolve(raw, tname, "--t"), _resolve(raw, y, "--y")
    dc = _resolve(raw, d, "--d") if d else None
    gc = _resolve(raw, cohort, "--cohort") if cohort else None
    ctrl = [_resolve(raw, c, "--controls") for c in controls]
    fes = list(fe) if fe else [idname, tname]
    fe_specs = ["^".join(_resolve(raw, p, "--fe") for p in f.split("^")) for f in fes]
    cl = [_resolve(raw, c, "--cluster") for c in (cluster or [idname])]
    if not 1 <= len(cl) <= 2:
        raise SMError("SM504", f"--cluster {cluster}: give one column or two (two-way).", "e.g. --cluster firm")
    fe_parts = [p for f in fe_specs for p in f.split("^")]
    used = list(dict.fromkeys([idc, tc, yc, *([dc] if dc else []), *([gc] if gc else []), *ctrl, *fe_parts, *cl]))
    df = raw[used].copy()
    df[tc] = _years(df, tc)
    for col, opt in [(yc, "--y"), *((c, "--controls") for c in ctrl)]:
        df[col] = _numeric(df, col, opt)
    keyed = df.dropna(subset=[idc, tc])
    check_unique(keyed, [idc, tc], f"the panel ({len(raw):,} rows)")
    if dc:
        df[dc] = _treatment(df, dc)
    if gc:
        g = _numeric(df, gc, "--cohort").fillna(0)
        if (g != np.floor(g)).any() or (g < 0).any():
            raise SMError("SM402", f"--cohort {gc!r} must hold first-treatment years (0 or empty = never treated).",
                          "write the year the firm is first treated in every row of the firm.")
        df[gc] = g.astype("int64")
    n0 = len(df)
    df = df.dropna().reset_index(drop=True)
    dropped = n0 - len(df)
    if dropped:
        warn("SM503", f"dropped {dropped} of {n0} rows with missing values in {used}; every estimate uses the "
                      "same rows.", "fill or filter these rows first if that is not intended.")
    if df.empty:
        raise SMError("SM501", f"no complete rows left for the columns {used}.", "check the columns and missing values.")
    df[tc] = df[tc].astype("int64")
    df = df.sort_values([idc, tc], kind="stable").reset_index(drop=True)
    if gc:
        check_cohort(df, idc, gc)
        from_g = ((df[gc] > 0) & (df[tc] >= df[gc])).astype(int)
        if dc:
            off = df[dc].astype(int) != from_g
            if off.any():
                ex = df.loc[off, [idc, tc, dc, gc]].head(3).to_dict("records")
                raise SMError("SM571", f"--d {dc!r} and --cohort {gc!r} disagree in {int(off.sum())} rows (e.g. {ex}): "
                                       f"the treatment should be 1 exactly from the cohort year on.",
                              "fix one of the two columns, or give only one of --d and --cohort.")
        else:
            dc = _unique_name(df, "DID")
            df[dc] = from_g
    df[dc] = df[dc].astype(int)
    share = float(df[dc].mean())
    if share in (0.0, 1.0):
        which = "no row is treated" if share == 0 else "every row is treated"
        raise SMError("SM570", f"the treatment {dc!r} has no variation: {which} ({len(df)} complete rows).",
                      "a DID needs treated and untreated firm-years; check --d / --cohort and the rows kept.")
    cohort_error = None
    if gc is None:
        try:
            gc = _unique_name(df, "cohort")
            df[gc] = cohort_from_dummy(df, idc, tc, dc).to_numpy()
        except SMError as err:
            gc, cohort_error = None, err
    ever = df.groupby(idc)[dc].transform("max")
    counts = {"rows": len(df), "rows_dropped_missing": dropped, "firms": int(df[idc].nunique()),
              "treated_firms": int(df.loc[ever == 1, idc].nunique()),
              "years": [int(df[tc].min()), int(df[tc].max())], "treated_rows": int(df[dc].sum()),
              "cohorts": sorted(int(v) for v in df[gc].unique() if v > 0) if gc else None}
    extra_fe = [f for f in fe_specs if f not in (idc, tc)]
    given = {idc: idname, tc: tname, yc: y, **({dc: d} if d else {}), **({gc: cohort} if cohort else {}),
             **dict(zip(ctrl, controls))}
    labels = {k: v for k, v in given.items() if k != v}
    return DIDPanel(df, yc, dc, tc, idc, gc, ctrl, extra_fe, idc in fe_specs, tc in fe_specs, cl, counts, cohort_error,
                    labels)


# ---------------------------------------------------------------- the battery
@dataclass
class Battery:
    """What ``smtext did`` estimated (None where a switch was off)."""

    baseline: object
    event: object = None
    placebo: object = None
    psm: object = None
    robust: object = None
    bacon: object = None
    weights: object = None
    honest: object = None
    balanced_dropped: int | None = None
    notes: list = field(default_factory=list)


def _safe_panel(p: DIDPanel) -> tuple[pd.DataFrame, int]:
    """The balanced panel under plain names (y, t, id, g, d), for the staggered estimators.

    Users' names (Chinese, spaces, formula characters) never reach a formula this way;
    firms are numbered in sorted order, so the numbering is the same on every run.
    """
    from ..panel import balanced_panel

    d = p.data
    safe = pd.DataFrame({"y": d[p.yname].to_numpy(float), "t": d[p.tname].to_numpy("int64"),
                         "id": pd.factorize(d[p.idname], sort=True)[0], "g": d[p.gname].to_numpy("int64"),
                         "d": d[p.dname].to_numpy("int64")})
    bal, dropped = balanced_panel(safe, "id", "t")
    if bal.empty:
        raise SMError("SM574", f"no firm is observed in every year {p.counts['years'][0]}-{p.counts['years'][1]}; "
                               "--robust, --bacon and --honest need a balanced panel.",
                      "keep a span of years in which firms are observed every year.")
    return bal.reset_index(drop=True), dropped


def _relabel(res, p: DIDPanel):
    """A staggered estimator's static ATT shown on the treatment's row, with the user's names."""
    from .models import rename_terms

    res = rename_terms(res, {"ATT": p.dname})
    return dataclasses.replace(res, depvar=p.yname, fe=(p.idname, p.tname), controls=(),
                               vcov_label=f"cluster: {p.idname}")


def run_battery(p: DIDPanel, *, event: bool = False, window: tuple[int, int] = (-4, 4), placebo: int = 0,
                psm: bool = False, robust: bool = False, bacon: bool = False, honest: bool = False,
                seed: int = 0) -> Battery:
    """Run the baseline TWFE and the switched-on parts of the battery with :mod:`smtext.did`.

    Parameters
    ----------
    p : DIDPanel
        From :func:`check_panel`.
    event : bool
        Event study (:func:`smtext.did.event_study`, end points binned at ``window``, base -1).
    window : (int, int)
        Event window of the event studies.
    placebo : int
        Placebo draws (:func:`smtext.did.placebo_test`, random firms and years); 0 = none.
    psm : bool
        PSM-DID (:func:`smtext.did.psm_did`): logit score on the controls by year, 1:1 nearest
        neighbour with replacement, TWFE weighted by the matching.
    robust : bool
        did2s, Callaway-Sant'Anna, BJS imputation and Sun-Abraham
        (:func:`smtext.did.robust_comparison`) on the balanced panel, without controls.
    bacon : bool
        Goodman-Bacon decomposition and dCDH weights on the balanced panel.
    honest : bool
        HonestDiD relative-magnitude sensitivity of the did2s event study (balanced panel).
    seed : int
        Seed of the placebo draws, the matching and HonestDiD.

    Returns
    -------
    Battery

    Raises
    ------
    SMError
        SM552 a treatment that switches off when a part needs cohorts; SM572 ``psm`` without
        controls or without two groups; SM574 no balanced panel; and the estimators' errors.
    """
    from .. import did

    needs = [name for name, on in (("--event", event), ("--placebo", placebo), ("--robust", robust),
                                   ("--bacon", bacon), ("--honest", honest)) if on]
    if needs and p.gname is None:
        err = p.cohort_error
        raise SMError(err.code, f"{err.message} ({', '.join(needs)} need cohorts.)",
                      "give each firm's first treatment year with --cohort, or leave out "
                      f"{', '.join(needs)} (the TWFE and --psm do not need an absorbing treatment).")
    kw = {"controls": p.controls, "fe": p.fe, "cluster": p.cluster if len(p.cluster) > 1 else p.cluster[0]}
    out = Battery(did.twfe(p.data, p.yname, p.tname, p.idname, p.dname, unit_fe=p.unit_fe, time_fe=p.time_fe, **kw))
    if event:
        out.event = did.event_study(p.data, p.yname, p.tname, p.idname, p.gname, window=window, **kw)
    if placebo:
        out.placebo = did.placebo_test(p.data, p.yname, p.tname, p.idname, p.gname, dname=p.dname, draws=placebo,
                                       seed=seed, **kw)
    if psm:
        out.psm = _psm(p, seed, kw, out.notes)
    if robust or bacon or honest:
        bal, out.balanced_dropped = _safe_panel(p)
        out.notes.append(f"did2s/CS/BJS/SA/Bacon/HonestDiD：平衡面板，{len(bal)} 个观测（剔除 {out.balanced_dropped} 家"
                         "未在每一年出现的企业），不含控制变量。")
        if robust:
            out.robust = did.robust_comparison(bal, "y", "t", "id", "g", window=window)
        if bacon:
            out.bacon = did.bacon(bal, "y", "t", "id", "d")
            out.weights = did.twfe_weights(bal, "y", "t", "id", "d")
        if honest:
            ev = out.robust["did2s"].event if robust else did.did2s(bal, "y", "t", "id", "g", window=window).event
            out.honest = did.honest(ev, method="RM", grid=list(HONEST_GRID), seed=seed)
    return out


def _psm(p: DIDPanel, seed: int, kw: dict, notes: list):
    """PSM-DID as a study's ``psm_did`` column: ever-treated firms matched to the others year by year."""
    from .. import did
    from .models import treat_group

    if not p.controls:
        raise SMError("SM572", "--psm matches on the controls, and no --controls were given.",
                      "name the matching covariates with --controls (e.g. --controls size,lev,roa).")
    d = p.data.copy()
    treat = _unique_name(d, "psm_group")
    info: dict = {}
    if p.gname is not None:
        d[treat] = treat_group(pd.DataFrame({"gname": d[p.gname]}), info).to_numpy()
    else:  # a treatment that switches off: ever-treated firms against the others
        d[treat] = d.groupby(p.idname)[p.dname].transform("max").astype(int)
    if d[treat].nunique() < 2:
        raise SMError("SM572", "--psm needs two groups to match, and every firm is treated in the same year.",
                      "leave out --psm for this panel.")
    if info.get("psm_groups"):
        notes.append(f"PSM：{info['psm_groups']}。")
    return did.psm_did(d, p.yname, p.tname, p.idname, p.dname, treat=treat, covariates=p.controls,
                       psm_kwargs={"k": 1, "replace": True, "by": p.tname, "seed": seed}, **kw)


# ---------------------------------------------------------------- writing
def table_models(p: DIDPanel, b: Battery) -> tuple[list, list[str]]:
    """The columns of ``tables/did``: baseline TWFE, PSM-DID, did2s / CS / BJS / SA, and their titles."""
    models, titles = [b.baseline], ["TWFE"]
    if b.psm is not None:
        models.append(b.psm)
        titles.append("PSM-DID")
    if b.robust is not None:
        for name in ROBUST:
            models.append(_relabel(b.robust[name], p))
            titles.append(name)
    return models, titles


def _rows(section: str, model: str, frame: pd.DataFrame, term: str | None = None, **cols) -> list[dict]:
    """Rows of estimates.csv from a tidy frame (its index or ``term`` column is the term)."""
    t = frame.reset_index() if term is None else frame
    key = term or t.columns[0]
    rows = []
    for _, r in t.iterrows():
        row = {"section": section, "model": model, "term": str(r[key])}
        for c in ("estimate", "std_error", "p_value", "ci_low", "ci_high", "weight"):
            if c in r.index:
                row[c] = float(r[c])
        row.update(cols)
        rows.append(row)
    return rows


def estimates_frame(p: DIDPanel, b: Battery) -> pd.DataFrame:
    """Every estimate of the battery at full precision, one row each (``estimates.csv``)."""
    rows = []
    models, titles = table_models(p, b)
    for title, m in zip(titles, models, strict=True):
        rows += _rows("table", title, m.tidy(), nobs=m.nobs)
    if b.event is not None:
        rows += _rows("event study", "TWFE", b.event.tidy(), term="rel_time", nobs=b.event.nobs)
        rows.append({"section": "event study", "model": "TWFE", "term": "pre-trend F", "estimate": b.event.pretrend_f,
                     "p_value": b.event.pretrend_p, "nobs": b.event.nobs})
    if b.placebo is not None:
        pl = b.placebo
        rows.append({"section": "placebo", "model": f"{pl.mode}, seed {pl.seed}", "term": p.dname,
                     "estimate": pl.true_estimate, "p_value": pl.p_value, "nobs": pl.nobs})
        rows.append({"section": "placebo", "model": f"{pl.mode}, seed {pl.seed}", "term": "one-sided p",
                     "p_value": pl.p_value_one_sided, "nobs": pl.nobs})
        rows += [{"section": "placebo draw", "model": f"{pl.mode}, seed {pl.seed}", "term": str(i), "estimate": float(v)}
                 for i, v in enumerate(pl.draws, start=1)]
    if b.robust is not None:
        for name, r in b.robust.items():
            rows += _rows("robust ATT", name, r.tidy().rename(index={"ATT": p.dname}), nobs=r.nobs)
            rows += _rows("robust event study", name, r.event.tidy(), term="rel_time", nobs=r.event.nobs)
    if b.bacon is not None:
        by = b.bacon.by_type.rename(columns={"avg_est": "estimate"})
        by.index = by.index.astype(str)
        rows += _rows("bacon", "Goodman-Bacon", by, nobs=b.bacon.nobs)
        rows.append({"section": "bacon", "model": "Goodman-Bacon", "term": "TWFE", "estimate": b.bacon.estimate,
                     "weight": 1.0, "nobs": b.bacon.nobs})
        w = b.weights
        rows += [{"section": "bacon", "model": "dCDH", "term": "negative weights", "estimate": float(w.n_negative),
                  "nobs": w.nobs},
                 {"section": "bacon", "model": "dCDH", "term": "treated cells", "estimate":
                  float(w.n_positive + w.n_negative), "nobs": w.nobs},
                 {"section": "bacon", "model": "dCDH", "term": "sum of negative weights", "weight": w.sum_negative,
                  "nobs": w.nobs}]
    if b.honest is not None:
        h = b.honest
        rows.append({"section": "honest", "model": h.method, "term": "theta", "estimate": h.theta,
                     "std_error": h.theta_se, "nobs": h.nobs})
        for _, r in h.tidy().iterrows():
            term = "original" if pd.isna(r["M"]) else f"M={float(r['M']):g}"
            rows.append({"section": "honest", "model": h.method, "term": term, "ci_low": float(r["lb"]),
                         "ci_high": float(r["ub"]), "nobs": h.nobs})
    out = pd.DataFrame(rows).reindex(columns=list(ESTIMATE_COLUMNS))
    out["nobs"] = out["nobs"].astype("Int64")
    return out


def write_outputs(p: DIDPanel, b: Battery, out: Path) -> list[Path]:
    """Write the tables (every format), figures and ``estimates.csv`` of a battery into ``out``.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    from ..report import regression_table
    from .common import TABLE_FORMATS, save_table

    written: list[Path] = []

    def table(t, name):
        save_table(t, out, name)
        written.extend(out / "tables" / f"{name}.{fmt}" for fmt in TABLE_FORMATS)

    models, titles = table_models(p, b)
    table(regression_table(models, labels=p.labels, keep=[p.dname], controls=p.controls or None,
                           column_titles=titles, title=f"DID：{p.labels.get(p.yname, p.yname)}",
                           notes=b.notes or None), "did")
    if b.psm is not None:
        from ..report import balance_table

        table(balance_table(b.psm.matching.balance, title="PSM 平衡性检验"), "did_balance")
    if b.bacon is not None:
        from .models import bacon_table

        t, _ = bacon_table(b.bacon, b.weights, p.yname, b.balanced_dropped, title="Goodman-Bacon 分解")
        table(t, "bacon")
    written += _figures(p, b, out)
    est = out / "estimates.csv"
    estimates_frame(p, b).to_csv(est, index=False)
    written.append(est)
    return written


def _figures(p: DIDPanel, b: Battery, out: Path) -> list[Path]:
    from .. import report

    figs = []
    if b.event is not None:
        figs.append(("event_study", report.event_study_plot(b.event, title=f"事件研究：{p.yname}")))
    if b.placebo is not None:
        figs.append(("placebo", report.placebo_plot(b.placebo, title=f"安慰剂检验（{b.placebo.n_draws} 次）")))
    if b.psm is not None:
        figs.append(("pscore", report.pscore_density_plot(b.psm.matching, title="倾向得分")))
    if b.robust is not None:
        figs.append(("robust_event", report.event_study_compare_plot(b.robust.events, title=f"稳健估计量：{p.yname}")))
    if b.honest is not None:
        figs.append(("honest", report.honest_did_plot(b.honest, title="HonestDiD 敏感性分析")))
    written = []
    for name, fig in figs:
        written += report.save_figure(fig, out / "figures" / f"{name}.png", dpi=150)
    return written


def summary(p: DIDPanel, b: Battery) -> str:
    """A few lines: the sample and each estimate with its standard error or p-value."""
    c = p.counts
    coh = f", cohorts {c['cohorts']}" if c["cohorts"] is not None else ", treatment switches off"
    lines = [f"panel: {c['rows']:,} rows, {c['firms']:,} firms ({c['treated_firms']:,} treated{coh}), "
             f"years {c['years'][0]}-{c['years'][1]}"
             + (f"; {c['rows_dropped_missing']:,} rows with missing values dropped" if c["rows_dropped_missing"] else "")]

    def est(name, r, term):
        return f"{name}: {r.coef()[term]:.4f} (se {r.se()[term]:.4f}, p {r.pvalue()[term]:.3f}), N = {r.nobs:,}"

    lines.append(est(f"TWFE {p.dname}", b.baseline, p.dname))
    if b.event is not None:
        lines.append(f"event study: pre-trend F = {b.event.pretrend_f:.3f}, p = {b.event.pretrend_p:.3f}")
    if b.placebo is not None:
        lines.append(f"placebo ({b.placebo.n_draws} draws, seed {b.placebo.seed}): empirical p = "
                     f"{b.placebo.p_value:.3f}")
    if b.psm is not None:
        lines.append(est("PSM-DID", b.psm, p.dname))
    if b.robust is not None:
        lines += [est(name, b.robust[name], "ATT") for name in ROBUST]
    if b.bacon is not None:
        w = b.bacon.by_type["weight"]
        lines.append("Bacon weights: " + ", ".join(f"{k} {v:.3f}" for k, v in w.items())
                     + f"; dCDH negative weights {b.weights.n_negative}/{b.weights.n_positive + b.weights.n_negative}")
    if b.honest is not None:
        t = b.honest.tidy()
        last = t.dropna(subset=["M"]).iloc[-1]
        lines.append(f"HonestDiD (RM): theta = {b.honest.theta:.4f}; robust 95% CI at Mbar={last['M']:g}: "
                     f"[{last['lb']:.4f}, {last['ub']:.4f}]")
    return "\n".join(lines)
