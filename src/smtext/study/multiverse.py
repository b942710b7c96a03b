"""The measurement multiverse of a study (``multiverse:`` in a spec): one baseline column re-estimated
under every combination of alternative measurements, and its specification curve.

A spec declares the alternatives once::

    multiverse:
      table: text_and_tfp        # the baseline table
      column: 1                  # its printed column (default: the last)
      vary:                      # the product of these is estimated
        tfp.method: [lp, op, acf]              # the column's TFP_<METHOD> becomes TFP_<m>
        text.transform: [count, log1p, per10k] # the column's <key>_ln becomes <key>_count / _ln / _per10k
        text.filters: [[negation], [negation, third_party]]   # any option of a measure the spec runs
        text.lexicons.smart: [smart_manufacturing, my_v2.csv] # one key of a mapping option
        nml.threshold: [0.85, 0.9, 0.95]
        patents.scheme: [sei_ipc_2021, cnipa_kdt_2023]

Each variant is a copy of the spec's ``measures:`` with its overrides. Its measure stages and
data set go through the same cached stage graph as the main run (same stage names, keys made
from the options), so a variant whose measure options equal the spec's, or another variant's,
reuses their folders: the stages that run are the distinct measurement configurations not
computed before. The chosen column is then fitted on each variant's data set with the variant's
column names.

Two axes rename what the column reads instead of (only) changing a measure's options:
``tfp.method`` (the column's ``TFP_<M>``; the tfp stage computes the spec's methods and this one)
and ``text.transform`` (``count`` -> ``<key>_count``, ``log1p`` -> ``<key>_ln`` = ln(1 + count),
``per10k`` -> ``<key>_per10k``, hits per 10,000 characters). Derived variables are not renamed.

Standardised coefficient: coef x sd(x) / sd(y) for a continuous regressor (the change in y, in
its standard deviations, for one standard deviation of x), and coef / sd(y) for a 0/1 treatment
(the effect in standard deviations of y); both standard deviations over the column's
complete-case rows (y, x, its controls and fixed effects non-missing). It makes variants with
differently scaled measures (counts and logs, TFP methods) comparable on one curve.

Outputs (the ``multiverse`` stage): ``OUT/multiverse.csv`` (one row per variant, full
precision), ``OUT/tables/multiverse.{md,html,tex,xlsx,docx}``, ``OUT/figures/specification_curve.png``
and a report section; the run manifest records the variants and which stages they ran.

Error codes: SM720 (the baseline table or column cannot be re-estimated), SM721 (an unknown or
inapplicable option path), SM722 (an alternative that is not allowed), SM723 (more variants than
``max_variants``), SM724 (a variant's data lack a column the baseline column reads, or its model
the reported term), SM725 (warning: an axis changes nothing the column reads).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, warn
from ..stages import StageContext, StageRunner
from .common import apply_where, inside, save_table
from .registry import COLUMNS, MEASURES, Option

MAX_VARIANTS = 256
TRANSFORMS = {"count": "count", "log1p": "ln", "per10k": "per10k"}   # transform -> column suffix of the text index
SPECIAL = ("tfp.method", "text.transform")

SCHEMA = (
    Option("table", "str", "the baseline table (a regression table of the spec)", required=True),
    Option("column", "int", "its printed column, 1-based (default: the last)", min=1, max=1000),
    Option("term", "str", "the coefficient reported (default: the column's x, else the treatment)"),
    Option("vary", "mapping", "MEASURE.OPTION[.KEY]: [alternatives]; every combination is estimated. Besides any "
                              "option of a measure the spec runs: tfp.method (renames the column's TFP_<M>) and "
                              f"text.transform ({', '.join(TRANSFORMS)}; renames <key>_ln ...)", required=True),
    Option("max_variants", "int", "refuse a product with more variants", default=64, min=1, max=MAX_VARIANTS),
    Option("curve", "choice", "what the specification curve plots", choices=("standardised", "raw"),
           default="standardised"),
    Option("title", "str", "title of the table and figure"),
)

# printed columns of a column entry, when they do not depend on the data (None: fit to know)
_WIDTH = {"twfe": lambda e: 1, "fepois": lambda e: 1, "logit": lambda e: 1, "psm_did": lambda e: 1,
          "ife": lambda e: 1, "ebal_did": lambda e: 1, "did2s": lambda e: 1, "dml": lambda e: 1,
          "heckman": lambda e: 2, "iv": lambda e: 1 if e.get("second_only") else 2,
          "progressive": lambda e: len(e.get("steps", ("bare", "fe", "full"))),
          "lag": lambda e: len(e.get("lags", (1, 2))),
          "mechanism": lambda e: len(e.get("mediators", ())) * (2 if e.get("y") else 1)}


@dataclass(frozen=True)
class Axis:
    """One varied measurement: its path (``text.filters``) and its alternatives, in spec order."""

    path: str
    values: tuple


def _text(value) -> str:
    """An alternative as one short text (a list as a+b, an empty list as 'none')."""
    if isinstance(value, list):
        return "+".join(map(str, value)) or "none"
    return str(value)


# ---------------------------------------------------------------- the spec: checks (also at --check)
def _at(*path) -> tuple:
    """Key path of a value under ``multiverse:`` (for file:line)."""
    return ("multiverse", *path)


def _layout(spec, table: dict, column: int | None) -> tuple[int, int] | None:
    """(entry index, model index within it) of printed column ``column`` when it is static; None otherwise."""
    widths = []
    for e in table["columns"]:
        f = _WIDTH.get(e.get("kind", "twfe"))
        if f is None:
            return None
        widths.append(f(e))
    total = sum(widths)
    col = total if column is None else column
    if col > total:
        raise spec.error("SM720", _at("column"), f"table {_table_name(spec)!r} prints {total} columns; "
                         f"column {col} does not exist.", f"choose a column between 1 and {total}.")
    for i, w in enumerate(widths):
        if col <= w:
            return i, col - 1
        col -= w
    return None   # unreachable


def _table_name(spec) -> str:
    return (spec.get("multiverse") or {}).get("table", "")


# what each special axis renames, for messages
RENAMED = {"tfp.method": "TFP_<METHOD>", "text.transform": "<key>_count, <key>_ln or <key>_per10k"}


def _check_axis(spec, axis: str, values, measures: dict) -> None:
    """SM721 for an unknown or inapplicable path, SM722 for an alternative that is not allowed."""
    from .spec import check_options

    path = _at("vary", axis)
    parts = axis.split(".")
    name = parts[0]
    if name not in MEASURES:
        close = difflib.get_close_matches(name, MEASURES.names(), n=1)
        raise spec.error("SM721", path, f"{axis!r}: {name!r} is not a measure.",
                         (f"did you mean {close[0]!r}? " if close else "") + f"measures: {MEASURES.names()}.")
    if name not in measures:
        raise spec.error("SM721", path, f"{axis!r} varies the {name!r} measure, which the spec does not run.",
                         f"add measures/{name}, or vary one of {list(measures)}.")
    if not isinstance(values, list) or not values:
        raise spec.error("SM722", path, f"{axis} must list its alternatives, got {values!r}.",
                         "write e.g. text.filters: [[negation], [negation, third_party]].")
    seen = []
    for i, v in enumerate(values):
        if v in seen:
            raise spec.error("SM722", path + (i,), f"{axis} lists {v!r} twice.", "list each alternative once.")
        seen.append(v)
    if axis in SPECIAL:
        allowed = tuple(TRANSFORMS) if axis == "text.transform" else _tfp_methods()
        for i, v in enumerate(values):
            if v not in allowed:
                close = difflib.get_close_matches(str(v), list(allowed), n=1)
                raise spec.error("SM722", path + (i,), f"{axis}={v!r} is not allowed.",
                                 (f"did you mean {close[0]!r}? " if close else "") + f"choose from {list(allowed)}.")
        return
    schema = {o.name: o for o in MEASURES[name].schema}
    if len(parts) < 2 or parts[1] not in schema:
        opt = parts[1] if len(parts) > 1 else ""
        close = difflib.get_close_matches(opt, [*schema, *(s.split(".")[1] for s in SPECIAL if s.startswith(name))], n=1)
        raise spec.error("SM721", path, f"{axis!r}: the {name!r} measure has no option {opt!r}.",
                         (f"did you mean {name}.{close[0]}? " if close else "")
                         + f"options: {[*schema, *(s.split('.')[1] for s in SPECIAL if s.startswith(name))]}.")
    option = schema[parts[1]]
    if option.kind == "mapping" and len(parts) != 3:
        keys = list((measures[name] or {}).get(parts[1]) or {})
        raise spec.error("SM721", path, f"{axis!r}: {name}.{parts[1]} is a mapping; vary one of its keys.",
                         f"write {name}.{parts[1]}.KEY with KEY one of {keys}.")
    if option.kind == "mapping" and parts[2] not in ((measures[name] or {}).get(parts[1]) or {}):
        keys = list((measures[name] or {}).get(parts[1]) or {})
        raise spec.error("SM721", path, f"{axis!r}: the spec's {name}.{parts[1]} has no key {parts[2]!r}.",
                         f"vary one of {keys}.")
    if option.kind != "mapping" and len(parts) != 2:
        raise spec.error("SM721", path, f"{axis!r}: {name}.{parts[1]} has no keys.", f"write {name}.{parts[1]}.")
    for i, v in enumerate(values):   # each alternative checked as the measure would be, reported at its own line
        opts = _override(measures, axis, v)[name]
        try:
            check_options(spec, ("measures", name), opts, MEASURES[name].schema, f"measures/{name}")
            if MEASURES[name].meta.get("check"):
                MEASURES[name].meta["check"](spec, ("measures", name), opts)
        except SMError as err:
            msg = re.sub(r"^\S+:\d+: ", "", err.message)   # the measure's own line is not where the value is
            raise spec.error("SM722", path + (i,), f"{axis}={v!r} is not allowed: {msg}", err.fix) from None


def _tfp_methods() -> tuple:
    from ..indicators.tfp import STUDY_METHODS

    return tuple(STUDY_METHODS)


def axes_of(spec) -> list[Axis]:
    """The varied measurements, in spec order."""
    vary = (spec.get("multiverse") or {}).get("vary") or {}
    return [Axis(k, tuple(v)) for k, v in vary.items()]


def check(spec) -> None:
    """Check a spec's ``multiverse:`` (called by :func:`smtext.study.vocabulary.validate`).

    Raises
    ------
    SMError
        SM720-SM723 naming the spec file and line.
    """
    from .spec import mapping

    mv = spec.get("multiverse")
    if mv is None:
        return
    tables = spec.get("tables") or {}
    if mv["table"] not in tables:
        close = difflib.get_close_matches(str(mv["table"]), list(tables), n=1)
        raise spec.error("SM720", _at("table"), f"the multiverse's table {mv['table']!r} is not a table "
                         "of the spec.", (f"did you mean {close[0]!r}? " if close else "") + f"tables: {list(tables)}.")
    table = tables[mv["table"]]
    kinds = [c.get("kind", "twfe") for c in table["columns"]]
    if any(COLUMNS[k].meta.get("whole_table") for k in kinds):
        raise spec.error("SM720", _at("table"), f"table {mv['table']!r} ({kinds[0]}) has no coefficient "
                         "to re-estimate.", "choose a regression table.")
    measures = spec.get("measures") or {}
    vary = mapping(spec, _at("vary"), mv["vary"], "multiverse vary")
    if not vary:
        raise spec.error("SM721", _at("vary"), "the multiverse varies nothing.",
                         "list at least one measurement and its alternatives.")
    for axis, values in vary.items():
        _check_axis(spec, str(axis), values, measures)
    n = int(np.prod([len(v) for v in vary.values()]))
    limit = mv.get("max_variants", 64)
    if n > limit:
        raise spec.error("SM723", _at("vary"), f"the multiverse has {n} variants "
                         f"({' x '.join(str(len(v)) for v in vary.values())}), more than max_variants={limit}.",
                         f"vary fewer options, or raise max_variants (at most {MAX_VARIANTS}).")
    where = _layout(spec, table, mv.get("column"))
    if where is not None:
        _renames(spec, table["columns"][where[0]], measures)


def _renames(spec, entry: dict, measures: dict) -> dict:
    """The column names the special axes rename in ``entry`` (its y and x): {axis: (option, column, base)}."""
    found = {}
    axes = [a.path for a in axes_of(spec)]
    targets = [(k, entry.get(k)) for k in ("y", "x") if isinstance(entry.get(k), str)]
    if "tfp.method" in axes:
        for k, col in targets:
            m = re.fullmatch(r"TFP_([A-Z]+)", col)
            if m and m.group(1).lower() in _tfp_methods():
                found["tfp.method"] = (k, col, m.group(1).lower())
                break
    if "text.transform" in axes:
        keys = list((measures.get("text") or {}).get("lexicons") or {})
        for k, col in targets:
            m = re.fullmatch(r"(.+)_(count|ln|per10k)", col)
            if m and m.group(1) in keys:
                found["text.transform"] = (k, col, {v: t for t, v in TRANSFORMS.items()}[m.group(2)])
                break
    for axis in ("tfp.method", "text.transform"):
        if axis in axes and axis not in found:
            raise spec.error("SM721", _at("vary", axis), f"{axis} renames {RENAMED[axis]}, but the "
                             f"baseline column reads neither as y nor as x (y={entry.get('y')!r}, x={entry.get('x')!r}).",
                             "choose a column whose y or x is such a measure, or vary the measure's options.")
    return found


# ---------------------------------------------------------------- variants
def _override(measures: dict, axis: str, value) -> dict:
    """A copy of the measures config with one axis set (special axes: the options they need)."""
    m = copy.deepcopy(measures)
    parts = axis.split(".")
    opts = m[parts[0]] = dict(m.get(parts[0]) or {})
    if axis == "tfp.method":   # the stage computes the spec's methods and this one
        methods = list(opts.get("methods") or [])
        opts["methods"] = methods if value in methods else [*methods, value]
    elif axis == "text.transform":
        pass                   # every transform is a column of the same text stage
    elif len(parts) == 3:
        opts[parts[1]] = {**(opts.get(parts[1]) or {}), parts[2]: value}
    else:
        opts[parts[1]] = value
    return m


def _base_value(spec, axis: str, renames: dict):
    """The spec's own choice on an axis (to mark the baseline variant)."""
    if axis in renames:
        return renames[axis][2]
    parts = axis.split(".")
    opts = (spec.get("measures") or {}).get(parts[0]) or {}
    if len(parts) == 3:
        return (opts.get(parts[1]) or {}).get(parts[2])
    if parts[1] in opts:
        return opts[parts[1]]
    return next((o.default for o in MEASURES[parts[0]].schema if o.name == parts[1]), None)


@dataclass(frozen=True)
class Variant:
    """One combination of alternatives."""

    number: int
    choices: tuple          # ((axis, value), ...)
    baseline: bool

    def label(self) -> str:
        return "; ".join(f"{a}={_text(v)}" for a, v in self.choices)


def variants(spec, renames: dict) -> list[Variant]:
    """Every combination of the axes' alternatives, first axis slowest, in spec order."""
    axes = axes_of(spec)
    base = {a.path: _base_value(spec, a.path, renames) for a in axes}
    out = []
    for i, combo in enumerate(itertools.product(*(a.values for a in axes)), start=1):
        choices = tuple(zip((a.path for a in axes), combo))
        out.append(Variant(i, choices, all(v == base[a] for a, v in choices)))
    return out


def variant_entry(entry: dict, choices: tuple, renames: dict) -> dict:
    """The baseline column entry with the columns the special axes rename."""
    e = copy.deepcopy(entry)
    for axis, value in choices:
        if axis not in renames:
            continue
        key, col, _ = renames[axis]
        if axis == "tfp.method":
            e[key] = f"TFP_{value.upper()}"
        else:
            e[key] = re.sub(r"_(count|ln|per10k)$", f"_{TRANSFORMS[value]}", col)
    return e


def variant_measures(measures: dict, choices: tuple) -> dict:
    """The measures config of a variant."""
    m = measures
    for axis, value in choices:
        m = _override(m, axis, value)
    return m


# ---------------------------------------------------------------- estimation
def _complete(d: pd.DataFrame, entry: dict, spec, dname: str) -> pd.DataFrame:
    """The column's complete-case rows: y, x, its controls and fixed effects non-missing."""
    from .models import Column

    c = Column(spec, entry, d, dname, {})
    fe = [p for f in c.fe for p in str(f).split("^")]
    cols = [col for col in dict.fromkeys([c.y, c.x, *c.controls, *fe]) if col and col in d.columns]
    return d.dropna(subset=cols)


def standardise(d: pd.DataFrame, y: str, x: str) -> tuple[float, float, float, str]:
    """(factor, sd_y, sd_x, rule): the standardised coefficient is coef x factor.

    ``x`` 0/1: factor = 1 / sd(y); otherwise sd(x) / sd(y) (sample standard deviations, ddof=1).
    """
    sd_y = float(d[y].std(ddof=1))
    binary = set(pd.unique(d[x].dropna())) <= {0, 1}
    sd_x = float(d[x].std(ddof=1))
    if binary:
        return 1.0 / sd_y, sd_y, sd_x, "coef/sd(y)"
    return sd_x / sd_y, sd_y, sd_x, "coef*sd(x)/sd(y)"


def fit_variant(spec, entry: dict, index: int, d: pd.DataFrame, dname: str, term: str | None,
                label: str = "") -> dict:
    """Fit one variant's column entry and return the numbers of printed model ``index`` of it.

    Parameters
    ----------
    spec : Spec
    entry : dict
        The column entry with the variant's column names (:func:`variant_entry`).
    index : int
        Which of the entry's printed columns (0-based).
    d : DataFrame
        The variant's data set, the table's ``where`` applied.
    dname : str
        The treatment column.
    term : str, optional
        The coefficient reported (default: the entry's x, else the treatment).
    label : str
        The variant, for messages.

    Returns
    -------
    dict
        y, x, term, estimate, std_error, p_value, ci_low, ci_high, nobs, the standard deviations and
        the standardised estimate with its CI.

    Raises
    ------
    SMError
        SM724 when the data lack a column the entry reads or the model lacks the term; SM720 when the
        entry prints fewer columns than ``index + 1``.
    """
    from .models import fit_column, rename_terms

    missing = [c for c in (entry.get("y"), entry.get("x", dname)) if c and c not in d.columns]
    if missing:   # e.g. tfp.methods varied without the method the column reads (tfp.method renames it)
        raise SMError("SM724", f"{spec.where('multiverse', 'vary')}: variant {label or '?'} has no column "
                      f"{missing} for the multiverse column to read.",
                      "vary tfp.method / text.transform to rename what the column reads, or keep that measure.")
    info: dict = {}
    models = [rename_terms(m, entry.get("rename") or {}) for m in fit_column(spec, entry, d, dname, info, {})]
    if index >= len(models):
        raise SMError("SM720", f"{spec.where('multiverse', 'column')}: the multiverse column yields {len(models)} "
                      f"columns on this variant's data, not {index + 1}.", "choose a column whose width is fixed.")
    m = models[index]
    x = entry.get("x", dname)
    t = term or x
    if t not in m.coef().index:
        raise SMError("SM724", f"{spec.where('multiverse', 'term')}: the term {t!r} is not in the multiverse column "
                      f"(terms: {list(m.coef().index)}).", "name one of them with multiverse: {term: ...}.")
    ci = m.confint().loc[t]
    rows = _complete(apply_where(d, entry.get("where")), entry, spec, dname)
    factor, sd_y, sd_x, rule = standardise(rows, entry["y"], x)
    b, se = float(m.coef()[t]), float(m.se()[t])
    return {"y": entry["y"], "x": x, "term": t, "estimate": b, "std_error": se, "p_value": float(m.pvalue()[t]),
            "ci_low": float(ci["ci_low"]), "ci_high": float(ci["ci_high"]), "nobs": int(m.nobs),
            "sd_rows": len(rows), "sd_y": sd_y, "sd_x": sd_x, "std_rule": rule, "std_estimate": b * factor,
            "std_error_std": se * abs(factor), "std_ci_low": float(ci["ci_low"]) * factor,
            "std_ci_high": float(ci["ci_high"]) * factor}


def _locate(spec, table: dict, column: int | None, d: pd.DataFrame, dname: str) -> tuple[int, int]:
    """(entry, model) of the chosen printed column: static when the widths are, else from a fit of the baseline."""
    from .models import fit_column

    where = _layout(spec, table, column)
    if where is not None:
        return where
    widths = [len(fit_column(spec, e, d, dname, {}, {})) for e in table["columns"]]
    col = sum(widths) if column is None else column
    if col > sum(widths):
        raise spec.error("SM720", _at("column"), f"the table prints {sum(widths)} columns; column {col} "
                         "does not exist.", f"choose a column between 1 and {sum(widths)}.")
    for i, w in enumerate(widths):
        if col <= w:
            return i, col - 1
        col -= w
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- the run
@dataclass(frozen=True)
class MultiverseRun:
    """What the multiverse of a run did (also in the manifest and the report).

    Attributes
    ----------
    variants : int
        Number of variants estimated.
    measure_configs : int
        Distinct measure-stage configurations among the variants (stage name and key).
    ran : list of str
        ``name/key`` of the measure and data-set stages this run computed for the variants
        (the others were reused from the cache: the main run's or an earlier run's).
    reused : int
        Stages of the variants found in the cache.
    vary : dict
        The axes and their alternatives, as the spec gives them.
    """

    variants: int
    measure_configs: int
    ran: list
    reused: int
    vary: dict

    def as_dict(self) -> dict:
        return {"variants": self.variants, "vary": self.vary, "measure_configs": self.measure_configs,
                "stages_ran": self.ran, "stages_reused": self.reused}


def run_multiverse(spec, runner: StageRunner, fork: Callable, measure: Callable, dataset: Callable, out: Path,
                   dname: str, labels: dict, version: str) -> MultiverseRun | None:
    """Estimate the spec's multiverse: each variant's measures and data set, then the ``multiverse`` stage.

    Parameters
    ----------
    spec : Spec
    runner : StageRunner
        The main run's runner (its panel and report stages are reused; the ``multiverse`` stage is its).
    fork : callable
        ``fork() -> StageRunner``: a runner for one variant over the main run's records and folders.
    measure : callable
        ``measure(runner, measures_config) -> deps`` runs the measure stages of a config.
    dataset : callable
        ``dataset(runner, deps) -> folder`` runs the data-set stage.
    out : Path
        The study's output folder.
    dname : str
        The treatment column.
    labels : dict
        Column labels of the tables.
    version : str
        Stage version.

    Returns
    -------
    MultiverseRun or None
        None when the spec has no ``multiverse``.
    """
    mv = spec.get("multiverse")
    if mv is None:
        return None
    measures = spec.get("measures") or {}
    table = spec.get("tables")[mv["table"]]
    base_data = pd.read_parquet(runner.path("dataset") / "dataset.parquet")
    entry_i, model_i = _locate(spec, table, mv.get("column"), apply_where(base_data, table.get("where")), dname)
    entry = table["columns"][entry_i]
    renames = _renames(spec, entry, measures)
    vs = variants(spec, renames)
    configs, ran, reused, data_keys = set(), [], 0, {}
    for v in vs:
        # a fresh runner per variant over the main run's records: same stage names and folders, its own keys
        vr = fork()
        deps = measure(vr, variant_measures(measures, v.choices))
        dataset(vr, deps)
        for name in (*deps[1:], "dataset"):   # deps[0] is the panel, shared by every variant
            r = vr.records[name]
            if name != "dataset":
                configs.add((name, r.key))
            if r.cached:
                reused += 1
            else:
                ran.append(f"{name}/{r.key}")
        data_keys[v.number] = str(vr.path("dataset") / "dataset.parquet")
    keys = {n: Path(p).parent.name for n, p in data_keys.items()}
    folder = runner.run("multiverse", _stage(spec, mv, table.get("where"), entry, model_i, vs, data_keys, dname,
                                             labels),
                        {"multiverse": mv, "table_where": table.get("where"), "entry": entry, "model": model_i,
                         "labels": labels},
                        extra_key={"datasets": keys}, version=version)
    _copy_outputs(folder, out)
    return MultiverseRun(len(vs), len(configs), ran, reused, {a.path: list(a.values) for a in axes_of(spec)})


def _copy_outputs(folder: Path, out: Path) -> None:
    """Copy the stage's table, figure and csv beside the other outputs."""
    import shutil

    for f in (folder / "tables").glob("*"):
        shutil.copy2(f, inside(out, "tables", f.name))
    shutil.copy2(folder / "figures" / "specification_curve.png", inside(out, "figures", "specification_curve.png"))
    shutil.copy2(folder / "multiverse.csv", inside(out, "multiverse.csv"))


def _stage(spec, mv: dict, table_where: dict | None, entry: dict, model_i: int, vs: list[Variant], data: dict,
           dname: str, labels: dict):
    """Stage body: fit every variant, write multiverse.csv, the table and the specification curve."""
    def run(ctx: StageContext) -> None:
        import matplotlib

        matplotlib.use("Agg")
        rows, frames = [], {}
        renames = _renames(spec, entry, spec.get("measures") or {})
        for v in vs:
            path = data[v.number]
            if path not in frames:   # variants that differ only in a renamed column share a data set
                frames[path] = apply_where(pd.read_parquet(path), table_where)   # the table's rows, then the column's
            e = variant_entry(entry, v.choices, renames)
            row = {"variant": v.number, **{a: _text(val) for a, val in v.choices}, "baseline": v.baseline}
            rows.append({**row, **fit_variant(spec, e, model_i, frames[path], dname, mv.get("term"), v.label())})
        res = pd.DataFrame(rows)
        res.to_csv(ctx.dir / "multiverse.csv", index=False)
        axes = [a.path for a in axes_of(spec)]
        _flat_axes(res, axes, ctx.info)
        save_table(_table(res, axes, mv, labels), ctx.dir, "multiverse")
        from ..report.spec_curve import specification_curve_plot

        std = mv.get("curve", "standardised") == "standardised"
        fig = specification_curve_plot(res, axes, estimate="std_estimate" if std else "estimate",
                                       ci=("std_ci_low", "std_ci_high") if std else ("ci_low", "ci_high"),
                                       ylabel=("Standardised estimate" if std else "Estimate") + " (95% CI)",
                                       title=mv.get("title"))
        target = inside(ctx.dir, "figures", "specification_curve.png")
        target.parent.mkdir(exist_ok=True)
        fig.savefig(target, dpi=150, metadata={"Software": None})
        base = res[res["baseline"]]
        ctx.info.update(variants=len(res), baseline=int(base["variant"].iloc[0]) if len(base) else None,
                        share_positive=float((res["estimate"] > 0).mean()),
                        share_significant=float((res["p_value"] < 0.05).mean()),
                        median_std_estimate=float(res["std_estimate"].median()))
    return run


def _flat_axes(res: pd.DataFrame, axes: list[str], info: dict) -> None:
    """SM725 for an axis whose alternatives give the same estimate whatever the other choices."""
    for a in axes:
        others = [o for o in axes if o != a]
        groups = res.groupby(others, sort=False)["estimate"] if others else [(None, res["estimate"])]
        if res[a].nunique() > 1 and all(g.nunique() == 1 for _, g in groups):
            info.setdefault("flat_axes", []).append(a)
            warn("SM725", f"multiverse: varying {a} leaves the estimate unchanged; the baseline column does not read "
                          "what it changes.", "vary a measure the column uses, or remove the axis.")


def _table(res: pd.DataFrame, axes: list[str], mv: dict, labels: dict):
    """The side-by-side table: one row per variant, its options, the raw and the standardised estimate."""
    from ..report import format_number
    from ..report.render import Table

    header = [["#", *axes, "y", "x", "系数 coef", "标准误 SE", "p", "N", "标准化系数 std. coef"]]
    body = []
    for r in res.to_dict("records"):
        body.append([f"{r['variant']}{' (基准)' if r['baseline'] else ''}", *(str(r[a]) for a in axes),
                     labels.get(r["y"], r["y"]), labels.get(r["x"], r["x"]), format_number(r["estimate"], 4),
                     format_number(r["std_error"], 4), format_number(r["p_value"], 3), str(r["nobs"]),
                     format_number(r["std_estimate"], 4)])
    notes = [f"基准表 {mv['table']} 第 {mv.get('column', '末')} 列在每种测度组合下重新估计；标准化系数 = 系数 × sd(x)/sd(y)"
             "（0/1 处理变量：系数 / sd(y)），标准差取该列的完整观测。",
             "Each row re-estimates the baseline column under one combination of measurements; full precision in "
             "multiverse.csv."]
    return Table(header=header, sections=[body], title=mv.get("title") or "测度多元宇宙 Measurement multiverse",
                 notes=notes)


def report_section(run) -> list:
    """The report's multiverse section (empty when the run has none)."""
    from ..report import Html, Section

    if "multiverse" not in run.runner.records:
        return []
    out = run.out
    info = run.runner.records["multiverse"].info
    summary = run.multiverse or {}
    blocks = [f"{info.get('variants')} measurement variants of the baseline column; "
              f"{summary.get('measure_configs', '?')} distinct measure-stage configurations; this run computed "
              f"{len(summary.get('stages_ran', []))} of the variants' stages and reused {summary.get('stages_reused', '?')} "
              f"from the cache. Share of positive estimates {info.get('share_positive', float('nan')):.2f}, "
              f"significant at 5% {info.get('share_significant', float('nan')):.2f}.",
              out / "figures" / "specification_curve.png",
              Html((out / "tables" / "multiverse.html").read_text(encoding="utf-8"))]
    if info.get("flat_axes"):
        blocks.append(f"SM725: these axes change nothing the column reads: {info['flat_axes']}.")
    return [Section("测度多元宇宙与设定曲线 Measurement multiverse and specification curve", blocks)]


def reference_lines() -> list[str]:
    """Lines of the ``--help-spec`` page about ``multiverse.vary``."""
    return [f"`text.transform` alternatives: {', '.join(f'{k} (<key>_{v})' for k, v in TRANSFORMS.items())}; "
            "`tfp.method`: a TFP method (the column's TFP_<METHOD> is renamed). Any other axis is "
            "MEASURE.OPTION or MEASURE.OPTION.KEY of a measure the spec runs (see Measures), each "
            "alternative checked like that option."]


__all__ = ["SCHEMA", "check", "run_multiverse", "MultiverseRun", "variants", "variant_entry", "variant_measures",
           "standardise", "fit_variant", "report_section", "TRANSFORMS"]
