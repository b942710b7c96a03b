"""The whole spec vocabulary in one place: validation, loading, the columns an entry uses, the reference page.

Importing this module registers every measure, variable operation, column kind, figure kind
and truth check (their modules register themselves on import). Everything a spec may say is
then checked from the registries' option schemas (:mod:`smtext.study.registry`):
:func:`validate` (also ``smtext run --check``), :func:`check_entry` (SM704 against the data),
:func:`entry_columns` (cache keys) and :func:`reference` (``smtext run --help-spec``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SMError

from . import figures, measures, models, multiverse, truth, variables  # noqa: F401  (they register the vocabulary)
from .common import ID, TIME
from .outputs import REPORT_LAYOUT, TABLE_SCHEMA
from .registry import (
    DATA_OPTION_KINDS,
    COLUMNS,
    FIGURES,
    MEASURES,
    TRUTHS,
    VARIABLES,
    Option,
    columns_in,
)
from .inputs import DEMO_DATA, INPUT_SCHEMA, check_declaration
from .sample import DESIGN_SCHEMA, MATCH_OPTIONS, SAMPLE_SCHEMA, designs
from .spec import (
    Spec,
    check_name,
    check_columns,
    check_options,
    controls_of,
    mapping,
    not_allowed,
    parse,
    read,
    unknown_key,
)

TOP_SCHEMA = (
    Option("study", "str", "name of the study (output folders, report)", required=True),
    Option("title", "str", "report title"),
    Option("paper", "str", "the publication it replicates"),
    Option("description", "str", "free text"),
    Option("sample", "options", "sample rules", schema=SAMPLE_SCHEMA),
    Option("measures", "mapping", "measurement stages, each with its options (see Measures)"),
    Option("treatment", "any", "one treatment design, or a list of designs (the first gives gname and rel_time)"),
    Option("variables", "mapping", "derived columns in order: NAME: {OPERATION: ARGUMENT} (see Variables)"),
    Option("controls", "mapping", "named control sets: NAME: [columns]"),
    Option("labels", "mapping", "column or term -> label in tables"),
    Option("tables", "mapping", "NAME: {title, columns: [...], ...} (see Tables)", required=True),
    Option("figures", "mapping", "NAME: {kind, ...} (see Figures)"),
    Option("report", "options", "report options", schema=(
        Option("titles", "mapping", "titles of tables made by a column (a PSM balance table)"),
        *(o for o in TABLE_SCHEMA if o.name in REPORT_LAYOUT))),
    Option("definitions", "mapping", "column or term -> its definition (变量定义), printed by a definitions table"),
    Option("truth", "any", "one truth check or a list (see Truth checks); used when the world has truth.json"),
    Option("data", "mapping", "where each input is and how to read it (see Data); paths relative to --world"),
    Option("multiverse", "options", "alternative measurements of one baseline column, estimated side by side with a "
                                    "specification curve (see Multiverse)", schema=multiverse.SCHEMA),
)


def _kind_schema(registry, kind: str) -> tuple:
    return (Option("kind", "choice", f"the {registry.what}", choices=tuple(registry.names())), *registry[kind].schema)


def _check_controls_refs(spec: Spec, path: tuple, entry: dict, schema: tuple) -> None:
    sets = spec.get("controls") or {}
    for o in schema:
        v = entry.get(o.name)
        if o.kind == "controls" and isinstance(v, str) and v != "none" and v not in sets:
            raise spec.error("SM703", path + (o.name,), f"control set {v!r} is not defined under 'controls'.",
                             f"define it or use one of {list(sets)}.")


def _check_entry_kind(spec: Spec, path: tuple, entry, registry, default: str | None, what: str) -> tuple:
    """Check an entry with a ``kind`` (table column, figure, truth check) against that kind's schema."""
    entry = mapping(spec, path, entry, what)
    kind = entry.get("kind", default)
    if kind is None:
        raise spec.error("SM702", path, f"{what} lacks the key 'kind'.", f"use one of {registry.names()}.")
    if kind not in registry:
        raise not_allowed(spec, path + ("kind",), kind, registry.names(), "kind")
    schema = _kind_schema(registry, kind)
    check_options(spec, path, entry, schema, what)
    _check_controls_refs(spec, path, entry, schema)
    if registry[kind].meta.get("check"):
        registry[kind].meta["check"](spec, path, entry)
    return schema


def _check_matching(spec: Spec, path: tuple, design: dict, i: int) -> None:
    """The pilot-matching options: on the first design only (the list is matched once), a known review policy."""
    from .pilots import parse_review

    if i > 0:
        extra = [k for k in MATCH_OPTIONS if k in design]
        if extra:
            raise spec.error("SM703", path + (extra[0],), f"{extra[0]} belongs to the first treatment design: the "
                             "pilot list is matched once for every design.", "move it to the first design.")
        return
    if "review" in design:
        try:
            parse_review(design["review"])
        except SMError as err:
            raise spec.error("SM703", path + ("review",), err.message, err.fix) from None
    subs = design.get("subsidiaries")
    if subs is not None and not (isinstance(subs, str) or subs is False):
        raise spec.error("SM703", path + ("subsidiaries",), f"subsidiaries must be a file or false, got {subs!r}.")
    fr = design.get("fuzzy_review")
    if fr is not None and not 0 < fr <= 1:
        raise spec.error("SM703", path + ("fuzzy_review",), f"fuzzy_review must be in (0, 1], got {fr!r}.")


def _check_sample(spec: Spec, sample: dict) -> None:
    """SM703 for a winsorize columns value that is neither a list of columns nor all_continuous, and for a
    drop_delisting that is neither true/false nor a column name."""
    cols = (sample.get("winsorize") or {}).get("columns")
    if cols is not None and cols != "all_continuous" and not (
            isinstance(cols, list) and all(isinstance(c, str) for c in cols)):
        raise spec.error("SM703", ("sample", "winsorize", "columns"), f"columns must be a list of columns or "
                         f"all_continuous, got {cols!r}.", "e.g. columns: [Lev, ROA] or columns: all_continuous.")
    if (sample.get("winsorize") or {}).get("exclude") and cols != "all_continuous":
        raise spec.error("SM703", ("sample", "winsorize", "exclude"), "exclude applies to columns: all_continuous "
                         "only.", "list the columns to winsorize instead.")
    dl = sample.get("drop_delisting")
    if dl is not None and not isinstance(dl, (bool, str)):
        raise spec.error("SM703", ("sample", "drop_delisting"), f"drop_delisting must be true, false or a column "
                         f"name, got {dl!r}.")


def _check_stars(spec: Spec, path: tuple, stars) -> None:
    """SM703 unless ``stars`` (when given) is a list of distinct levels in (0, 1)."""
    if stars is None:
        return
    ok = (isinstance(stars, list) and stars and all(isinstance(v, float) and 0 < v < 1 for v in stars)
          and len(set(stars)) == len(stars))
    if not ok:
        raise spec.error("SM703", path, f"stars must be a list of distinct significance levels in (0, 1), got "
                         f"{stars!r}.", "e.g. stars: [0.1, 0.05, 0.01] (paper 000: [0.05, 0.01, 0.001]).")


def validate(spec: Spec) -> Spec:
    """Check every key, kind and option of a spec against the registered vocabulary.

    Columns are checked later, against the data (:func:`check_entry`). Raises SM702 / SM703
    naming the spec file and line; returns the spec.
    """
    d = spec.data
    check_options(spec, (), d, TOP_SCHEMA, "the spec")
    check_name(spec, ("study",), d["study"], "study")
    if "data" in d:
        check_declaration(spec, ("data",), d["data"])
    for name, opts in mapping(spec, ("measures",), d.get("measures"), "measures").items():
        if name not in MEASURES:
            raise unknown_key(spec, ("measures",), name, MEASURES.names(), "measures")
        entry = MEASURES[name]
        opts = mapping(spec, ("measures", name), opts, f"measures/{name}")
        check_options(spec, ("measures", name), opts, entry.schema, f"measures/{name}")
        if entry.meta.get("check"):
            entry.meta["check"](spec, ("measures", name), opts)
    treatment = d.get("treatment")
    if treatment is not None and not isinstance(treatment, (dict, list)):
        raise spec.error("SM703", ("treatment",), "treatment must be a design mapping or a list of designs.")
    if isinstance(treatment, list) and not treatment:
        raise spec.error("SM703", ("treatment",), "treatment is an empty list.", "give at least one design.")
    seen = set()
    for i, design in enumerate(designs(treatment)):
        path = ("treatment", i) if isinstance(treatment, list) else ("treatment",)
        design = mapping(spec, path, design, "treatment")
        check_options(spec, path, design, DESIGN_SCHEMA, "treatment")
        _check_matching(spec, path, design, i)
        if i == 0 and design.get("gname", "gname") != "gname":
            raise spec.error("SM703", path + ("gname",), "the first design's cohort column is always 'gname' (every "
                             "cohort-based column and figure reads it).", "name only later designs' cohorts.")
        dname = design.get("dname", "DID")
        for name in (dname, design.get("gname", "gname" if i == 0 else f"gname_{dname}")):
            if name in seen:
                raise spec.error("SM703", path, f"two treatment designs both write the column {name!r}.")
            seen.add(name)
    for name, op in mapping(spec, ("variables",), d.get("variables"), "variables").items():
        variables.check_variable(spec, name, op)
    for name, cols in mapping(spec, ("controls",), d.get("controls"), "controls").items():
        if not (isinstance(cols, list) and all(isinstance(c, str) for c in cols)):
            raise spec.error("SM703", ("controls", name), f"control set {name!r} must be a list of columns.")
    _check_sample(spec, d.get("sample") or {})
    _check_stars(spec, ("report", "stars"), (d.get("report") or {}).get("stars"))
    tables = mapping(spec, ("tables",), d.get("tables"), "tables")
    for tname, table in tables.items():
        path = ("tables", tname)
        check_name(spec, path, tname, "table")
        table = mapping(spec, path, table, f"table {tname}")
        check_options(spec, path, table, TABLE_SCHEMA, f"table {tname}")
        _check_stars(spec, path + ("stars",), table.get("stars"))
        if not table["columns"]:
            raise spec.error("SM702", path, f"table {tname!r} needs a non-empty list 'columns'.")
        for i, col in enumerate(table["columns"]):
            _check_entry_kind(spec, path + ("columns", i), col, COLUMNS, "twfe", f"table {tname} column {i + 1}")
            kind = col.get("kind", "twfe")
            if col.get("balance") is not None:
                check_name(spec, path + ("columns", i, "balance"), col["balance"], "balance table")
            if COLUMNS[kind].meta.get("whole_table") and len(table["columns"]) > 1:
                raise spec.error("SM703", path + ("columns", i), f"a {kind!r} column makes the whole table; "
                                 f"table {tname!r} must have it as its only column.")
            layout = [k for k in ("keep", "column_titles", "column_groups", "notes", "stat", "show_controls", "stars",
                                  "r2", "constant", "digits", "stat_digits", "sample", "clustering")
                      if k in table]
            if COLUMNS[kind].meta.get("whole_table") and layout:
                raise spec.error("SM703", path + (layout[0],), f"a {kind!r} table has its own layout; "
                                 f"{layout} do not apply to it.", "remove them.")
    for fname, fig in mapping(spec, ("figures",), d.get("figures"), "figures").items():
        check_name(spec, ("figures", fname), fname, "figure")
        _check_entry_kind(spec, ("figures", fname), fig, FIGURES, None, f"figure {fname}")
    checks = d.get("truth")
    for i, check in enumerate(checks if isinstance(checks, list) else [checks] if checks else []):
        path = ("truth", i) if isinstance(checks, list) else ("truth",)
        _check_entry_kind(spec, path, check, TRUTHS, "estimate", "truth check")
        kind = check.get("kind", "estimate")
        if kind == "estimate":
            if check["table"] not in tables:
                raise not_allowed(spec, path + ("table",), check["table"], list(tables), "table")
            first = tables[check["table"]]["columns"][0].get("kind", "twfe")
            if COLUMNS[first].meta.get("whole_table"):
                raise spec.error("SM703", path + ("table",), f"table {check['table']!r} ({first}) has no estimates "
                                 "to check.")
        needed = {"tfp": "tfp", "expansion": check.get("measure", "nml")}.get(kind)
        if needed and needed not in (d.get("measures") or {}):
            raise spec.error("SM703", path, f"a {kind!r} truth check reads the {needed!r} measure, which the spec "
                             "does not run.", f"add measures/{needed}, or remove the check.")
    multiverse.check(spec)
    return spec


def loads(text: str, source: str = "<spec>") -> Spec:
    """Parse and validate spec text (``yaml.SafeLoader``; errors name ``source:line``)."""
    return validate(parse(text, source))


def load(path: str | Path) -> Spec:
    """Read and validate a spec file, or a bundled spec by name (``"paper000"``, ``"demo"``)."""
    return validate(read(path))


# ---------------------------------------------------------------- columns an entry uses
def _schema_of(entry: dict, registry, default: str | None) -> tuple:
    return registry[entry.get("kind", default)].schema


def entry_columns(spec: Spec, entry: dict, registry, dname: str, default: str | None = None) -> list[str]:
    """Every data column a table column or figure entry reads (for its cache key), keys and treatment included."""
    cols = {ID, TIME, dname, "gname"}
    for o in _schema_of(entry, registry, default):
        cols.update(controls_of(spec, entry.get(o.name)) if o.kind == "controls" else columns_in(o, _value(entry, o)))
    return sorted(cols)


def _value(entry: dict, o: Option):
    """The entry's value of option ``o``; the option's default when it names data columns (logit's fe, cluster)."""
    return entry.get(o.name, o.default if o.kind in DATA_OPTION_KINDS else None)


def check_entry(spec: Spec, path: tuple, entry: dict, registry, columns, default: str | None = None) -> None:
    """SM704 at the right spec line for every column an entry names that the data lacks."""
    for o in _schema_of(entry, registry, default):
        v = _value(entry, o)
        if v is None or o.kind not in DATA_OPTION_KINDS:
            continue
        if o.kind == "controls":
            cpath = ("controls", v) if isinstance(v, str) else path + (o.name,)
            for i, c in enumerate(controls_of(spec, v)):
                check_columns(spec, cpath + (i,), [c], columns, "control")
        elif isinstance(v, list) and o.kind in ("columns", "operands"):
            for i, c in enumerate(columns_in(o, v)):
                check_columns(spec, path + (o.name, i), [c], columns, o.name.rstrip("s"))
        else:
            check_columns(spec, path + (o.name,), columns_in(o, v), columns,
                          {"fe": "fixed effect", "where": "filter column"}.get(o.kind, o.name))


# ---------------------------------------------------------------- the reference page
def _options_md(schema: tuple, indent: str = "") -> list[str]:
    lines = []
    for o in schema:
        extra = []
        if o.required:
            extra.append("required")
        if o.choices:
            extra.append("one of " + ", ".join(map(str, o.choices)))
        if o.default is not None:
            extra.append(f"default {o.default}")
        tail = f" ({'; '.join(extra)})" if extra else ""
        lines.append(f"{indent}- `{o.name}` ({o.kind}): {o.doc}{tail}")
        if o.schema:
            lines += _options_md(o.schema, indent + "  ")
    return lines


def reference() -> str:
    """The spec format as Markdown, generated from the registries (``smtext run --help-spec``)."""
    out = ["# Study spec reference", "",
           "Generated from the registered vocabulary (smtext.study.vocabulary.reference); "
           "option kinds are explained in smtext.study.registry.", "", "## Top-level keys", ""]
    out += _options_md(TOP_SCHEMA)
    out += ["", "## Treatment designs", ""] + _options_md(DESIGN_SCHEMA)
    out += ["", "## Data", "", "Inputs a spec (`data:`) or a declaration file (`smtext run --data FILE`) may declare: "
            + ", ".join(f"`{n}`" for n in DEMO_DATA if n != "truth") + ". Each one:", ""] + _options_md(INPUT_SCHEMA)
    out += ["", "## Tables", ""] + _options_md(TABLE_SCHEMA)
    out += ["", "## Multiverse", ""] + _options_md(multiverse.SCHEMA) + [""] + multiverse.reference_lines()
    for title, registry in (("Measures", MEASURES), ("Variables", VARIABLES), ("Table column kinds", COLUMNS),
                            ("Figures", FIGURES), ("Truth checks", TRUTHS)):
        out += ["", f"## {title}", ""]
        for e in registry.entries():
            out += [f"### `{e.name}`", "", e.doc, ""]
            if e.arg is not None:
                form = f" (or a bare value for `{e.meta['shorthand']}`)" if e.meta.get("shorthand") else ""
                out += [f"Argument: {e.arg.kind}{form}." if e.arg.kind != "options" else f"Argument: a mapping{form}:"]
                out += _options_md(e.arg.schema) if e.arg.kind == "options" else []
            else:
                out += _options_md(e.schema) or ["No options."]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


__all__ = ["validate", "load", "loads", "entry_columns", "check_entry", "reference", "TOP_SCHEMA"]
