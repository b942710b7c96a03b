"""Study specs: one YAML file describing a paper's data, variables and tables.

A spec is loaded with PyYAML's ``SafeLoader`` (no Python objects can be built
from it) through ``yaml.compose``, so every value keeps the line it was written
on. Validation errors then name the spec file and line
(``paper000.yaml:42: table 'table3_baseline' column 1 uses y='TFP_LPP' ...``)
instead of failing deep inside an estimator.

Layout of a spec (see ``smtext/study/specs/paper000.yaml`` for a full example)::

    study: paper000                 # name, used for output folders
    title: ...                      # report title
    paper: 000_....txt              # the publication it replicates
    sample: {years, where, drop_st, drop_financial, winsorize, dropna}
    measures:                       # measurement steps, each its own cached stage
      text: {lexicons: {smart: smart_manufacturing}, filters: [negation]}
      tfp: {methods: [lp, op, ols, fe]}
      patents: {scheme: sei_ipc_2021}
      city: {}                      # city controls, instruments, competing policies
      nml: {seeds: [新质生产力], threshold: 0.9}      # Word2Vec index from analyst reports
      extras: {composites: {NQPF: {preset: nqpf_002}}}  # firm_extras + entropy-weight indices
      trade: {}                     # export DVAR from customs records
      robots: {scale: 1}            # robot penetration, upstream/downstream exposure
      subsidies: {}                 # R&D subsidies and tax refunds from grant items
    treatment: {design: firm | city_spillover, dname: DID, delay: 1}
    variables: {NAME: {OP: ARG}}    # derived columns, in order
    controls: {main: [ROA, Lev, ...]}
    labels: {DID: DID}
    tables: {NAME: {title, columns: [...], keep, column_titles, column_groups, notes}}
    figures: {NAME: {kind: event_study | placebo | pscore | robust_event | honest, ...}}

Error codes: SM701 (cannot read / not YAML), SM702 (unknown or missing key),
SM703 (a value of the wrong type or not allowed), SM704 (a column the data lacks),
SM705 (duplicate key).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ..errors import SMError
from ..indicators.tfp import STUDY_METHODS as TFP_METHODS

TOP_KEYS = ("study", "title", "paper", "description", "sample", "measures", "treatment", "variables", "controls",
            "labels", "tables", "figures", "report", "truth")
SAMPLE_KEYS = ("years", "where", "drop_st", "drop_financial", "winsorize", "dropna", "manufacturing")
MEASURE_KEYS = ("text", "tfp", "patents", "city", "nml", "extras", "trade", "robots", "subsidies")
TREATMENT_KEYS = ("design", "dname", "delay", "drop_pilot_firms")
DESIGNS = ("firm", "city_spillover")
TABLE_KEYS = ("title", "columns", "keep", "column_titles", "column_groups", "notes", "stat", "show_controls")
COLUMN_KINDS = ("twfe", "progressive", "fepois", "logit", "iv", "lag", "split", "mechanism", "psm_did",
                "robust_estimators", "ife", "describe", "ebal_did", "did2s", "heckman", "dml", "bacon")
COLUMN_KEYS = ("kind", "y", "x", "controls", "fe", "cluster", "unit_fe", "time_fe", "steps", "instrument", "lags",
               "by", "groups", "min_treated", "mediators", "covariates", "k", "where", "window", "variables",
               "dropna", "balance", "vcov", "psm_sample", "label", "selection", "exclusion", "learner", "folds",
               "seed", "moments", "diff_test", "second_only", "rename")
FIGURE_KINDS = ("event_study", "placebo", "pscore", "robust_event", "honest")
FIGURE_KEYS = ("kind", "title", "y", "x", "controls", "fe", "cluster", "window", "draws", "seed", "covariates", "k",
               "grid", "where")
VARIABLE_OPS = ("log", "log1p", "ratio", "esg_score", "copy", "city_pilot_count", "indicator", "median_above",
                "zscore", "exp_shift", "map", "product", "median_group", "share_in", "volatility", "diff", "hhi", "sa_index",
                "mean", "firm_never", "max", "sum", "lag", "winsor", "group_mean", "group_max", "group_min", "first_in_group", "theil", "n_tfp",
                "fc_index")


# ---------------------------------------------------------------- loading
@dataclass(frozen=True)
class Spec:
    """A loaded study spec: plain data plus the line of every value.

    Attributes
    ----------
    data : dict
        The spec as plain Python values.
    source : str
        File name used in messages.
    lines : dict
        Key path (tuple of keys / list positions) -> 1-based line number.
    """

    data: dict
    source: str = "<spec>"
    lines: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.data.get("study", Path(self.source).stem))

    def line(self, *path) -> int | None:
        """Line of the value at ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def where(self, *path) -> str:
        """``file:line`` of the value at ``path`` (for messages)."""
        line = self.line(*path)
        return f"{self.source}:{line}" if line else self.source

    def error(self, code: str, path: tuple, message: str, fix: str | None = None) -> SMError:
        """An :class:`SMError` whose message starts with ``file:line``."""
        return SMError(code, f"{self.where(*path)}: {message}", fix)

    def get(self, key: str, default=None):
        return self.data.get(key, default)


def _walk(node, path: tuple, lines: dict, source: str) -> None:
    """Record the line of every value under ``node`` (and reject duplicate keys)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise SMError("SM705", f"{source}:{key_node.start_mark.line + 1}: key {key!r} appears twice "
                              f"(first on line {seen[key]}).", "keep one of them.")
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, source)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, source)


def loads(text: str, source: str = "<spec>") -> Spec:
    """Parse spec text safely (``yaml.SafeLoader``) and validate its structure.

    Parameters
    ----------
    text : str
        YAML text.
    source : str
        Name shown in error messages.

    Returns
    -------
    Spec
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise SMError("SM701", f"{where}: not valid YAML ({getattr(e, 'problem', e)}).",
                      "check indentation and quoting on that line.") from None
    if not isinstance(data, dict):
        raise SMError("SM701", f"{source}: a spec must be a mapping of keys (study, sample, tables ...).")
    lines: dict = {}
    _walk(node, (), lines, source)
    spec = Spec(data, source, lines)
    validate(spec)
    return spec


def load(path: str | Path) -> Spec:
    """Read and validate a spec file (or a bundled spec name such as ``paper000``).

    Parameters
    ----------
    path : str or Path
        A YAML file, or the name of a spec shipped in ``smtext/study/specs``.
    """
    p = Path(path)
    if not p.exists() and p.suffix == "" and str(path) in bundled():
        p = Path(str(resources.files("smtext.study.specs") / f"{path}.yaml"))
    if not p.exists():
        raise SMError("SM701", f"spec file {path} does not exist.",
                      f"pass a YAML file or one of the bundled specs {bundled()}.")
    return loads(p.read_text(encoding="utf-8"), source=str(p.name))


def bundled() -> list[str]:
    """Names of the specs shipped with smtext (``smtext run paper000`` works without a path)."""
    folder = resources.files("smtext.study.specs")
    return sorted(Path(str(f)).stem for f in folder.iterdir() if str(f).endswith(".yaml"))


# ---------------------------------------------------------------- structure checks
def _unknown(spec: Spec, path: tuple, mapping: dict, allowed) -> None:
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise spec.error("SM702", path + (key,), f"unknown key {key!r} in {'/'.join(map(str, path)) or 'the spec'}.",
                             f"{hint}allowed keys: {list(allowed)}.")


def _mapping(spec: Spec, path: tuple, value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise spec.error("SM703", path, f"{what} must be a mapping, got {type(value).__name__}.")
    return value


def _option(spec: Spec, path: tuple, value, allowed, what: str) -> None:
    if value not in allowed:
        close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise spec.error("SM703", path, f"{what}={value!r} is not allowed.", f"{hint}choose one of {list(allowed)}.")


def validate(spec: Spec) -> None:
    """Check keys, kinds and options of a spec (columns are checked later against the data).

    Raises SMError SM702 / SM703 naming the spec line.
    """
    d = spec.data
    _unknown(spec, (), d, TOP_KEYS)
    for key in ("study", "tables"):
        if key not in d:
            raise SMError("SM702", f"{spec.source}: the spec lacks the key {key!r}.", "see smtext/study/specs/paper000.yaml.")
    sample = _mapping(spec, ("sample",), d.get("sample"), "sample")
    _unknown(spec, ("sample",), sample, SAMPLE_KEYS)
    if "years" in sample:
        y = sample["years"]
        if not (isinstance(y, list) and len(y) == 2 and all(isinstance(v, int) for v in y) and y[0] <= y[1]):
            raise spec.error("SM703", ("sample", "years"), f"years must be [FIRST, LAST], got {y!r}.")
    measures = _mapping(spec, ("measures",), d.get("measures"), "measures")
    _unknown(spec, ("measures",), measures, MEASURE_KEYS)
    tfp = _mapping(spec, ("measures", "tfp"), measures.get("tfp"), "measures/tfp")
    for i, m in enumerate(tfp.get("methods", [])):
        _option(spec, ("measures", "tfp", "methods", i), m, TFP_METHODS, "TFP method")
    text = _mapping(spec, ("measures", "text"), measures.get("text"), "measures/text")
    if text:
        from ..text.lexicon import list_lexicons

        known = list(list_lexicons())
        for key, name in _mapping(spec, ("measures", "text", "lexicons"), text.get("lexicons"), "lexicons").items():
            _option(spec, ("measures", "text", "lexicons", key), name, known, "lexicon")
    treatment = _mapping(spec, ("treatment",), d.get("treatment"), "treatment")
    _unknown(spec, ("treatment",), treatment, TREATMENT_KEYS)
    _option(spec, ("treatment", "design"), treatment.get("design", "firm"), DESIGNS, "design")
    for name, op in _mapping(spec, ("variables",), d.get("variables"), "variables").items():
        op = _mapping(spec, ("variables", name), op, f"variable {name}")
        if len(op) != 1:
            raise spec.error("SM703", ("variables", name), f"variable {name!r} needs exactly one operation, got {list(op)}.",
                             f"use one of {list(VARIABLE_OPS)}.")
        _unknown(spec, ("variables", name), op, VARIABLE_OPS)
    controls = _mapping(spec, ("controls",), d.get("controls"), "controls")
    for name, cols in controls.items():
        if not isinstance(cols, list):
            raise spec.error("SM703", ("controls", name), f"control set {name!r} must be a list of columns.")
    tables = _mapping(spec, ("tables",), d.get("tables"), "tables")
    for tname, table in tables.items():
        table = _mapping(spec, ("tables", tname), table, f"table {tname}")
        _unknown(spec, ("tables", tname), table, TABLE_KEYS)
        cols = table.get("columns")
        if not isinstance(cols, list) or not cols:
            raise spec.error("SM702", ("tables", tname), f"table {tname!r} needs a non-empty list 'columns'.")
        for i, col in enumerate(cols):
            path = ("tables", tname, "columns", i)
            col = _mapping(spec, path, col, f"table {tname} column {i + 1}")
            _unknown(spec, path, col, COLUMN_KEYS)
            _option(spec, path + ("kind",), col.get("kind", "twfe"), COLUMN_KINDS, "kind")
            if col.get("kind", "twfe") == "heckman" and not {"selection", "exclusion"} <= set(col):
                raise spec.error("SM702", path, f"table {tname!r} column {i + 1}: a heckman column needs "
                                 "'selection' (0/1 column of the probit) and 'exclusion'.")
            if col.get("kind", "twfe") not in ("describe", "robust_estimators", "mechanism") and "y" not in col:
                raise spec.error("SM702", path, f"table {tname!r} column {i + 1} lacks 'y'.")
            _control_ref(spec, path + ("controls",), col.get("controls"), controls)
            if "vcov" in col:
                _option(spec, path + ("vcov",), col["vcov"], ("cluster", "hetero", "iid"), "vcov")
            if "psm_sample" in col:
                _option(spec, path + ("psm_sample",), col["psm_sample"], ("weights", "support"), "psm_sample")
    figures = _mapping(spec, ("figures",), d.get("figures"), "figures")
    for fname, fig in figures.items():
        fig = _mapping(spec, ("figures", fname), fig, f"figure {fname}")
        _unknown(spec, ("figures", fname), fig, FIGURE_KEYS)
        _option(spec, ("figures", fname, "kind"), fig.get("kind"), FIGURE_KINDS, "kind")
        _control_ref(spec, ("figures", fname, "controls"), fig.get("controls"), controls)


def _control_ref(spec: Spec, path: tuple, value, controls: dict) -> None:
    if isinstance(value, str) and value != "none" and value not in controls:
        raise spec.error("SM703", path, f"control set {value!r} is not defined under 'controls'.",
                         f"define it or use one of {list(controls)}.")


def controls_of(spec: Spec, value) -> list[str]:
    """Resolve a column's ``controls`` (a named set, a list, or none)."""
    if value in (None, "none", False):
        return []
    if isinstance(value, str):
        return list(spec.data.get("controls", {})[value])
    return list(value)


def check_columns(spec: Spec, path: tuple, columns, available, what: str = "column") -> None:
    """Raise SM704 naming the spec line when a referenced column is not in the data.

    Parameters
    ----------
    spec : Spec
    path : tuple
        Key path of the reference (for the line number).
    columns : iterable of str
        Column names the spec refers to.
    available : iterable of str
        Columns of the analysis data set.
    """
    available = list(available)
    for c in columns:
        if c is not None and c not in available:
            close = difflib.get_close_matches(str(c), available, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise spec.error("SM704", path, f"{what} {c!r} is not a column of the analysis data.",
                             f"{hint}fix the name in the spec, or add it under 'variables'.")


__all__ = ["Spec", "load", "loads", "validate", "bundled", "controls_of", "check_columns"]
