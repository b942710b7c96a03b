"""Stata-style regression tables: several models side by side.

Layout follows the economics convention (Stata ``esttab``, fixest ``etable``):
a coefficient with significance stars, its standard error (or t value, or
p value) in parentheses on the next line, rows saying which fixed effects and
whether controls were included, N and R2, extra rows such as first-stage F
statistics, and a note that states the star thresholds and the standard-error
type. One label dictionary (Chinese or English) names terms, dependent
variables and fixed effects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.errors import SMError, check_option, warn
from smtext.report.models import INTERCEPT_NAMES, ModelSummary, as_model
from smtext.report.render import Table

DEFAULT_STARS = (0.1, 0.05, 0.01)

_WORDS = {
    "zh": {"yes": "是", "no": "否", "controls": "控制变量", "fe": "{}固定效应", "variable": "变量",
           "nobs": "观测值", "r2": "R²", "r2_within": "组内R²", "adj_r2": "调整R²",
           "pseudo_r2": "伪R²", "r2_fe": "R²", "note": "注："},
    "en": {"yes": "Yes", "no": "No", "controls": "Controls", "fe": "{} FE", "variable": "Variables",
           "nobs": "N", "r2": "R2", "r2_within": "Within R2", "adj_r2": "Adj. R2",
           "pseudo_r2": "Pseudo R2", "r2_fe": "R2", "note": "Note: "},
}
_STAT_NAMES = {"se": ("标准误", "Standard errors"), "t": ("t值", "t statistics"),
               "p": ("p值", "p values")}
STATS = ("nobs", "r2", "r2_within", "adj_r2", "pseudo_r2", "r2_fe")


def _stat_value(m: ModelSummary, s: str):
    """Statistic ``s`` of a model; ``r2_fe`` is the within R2 of a model with fixed effects and the R2 of one
    without (Stata's ``xtreg, fe`` / ``reghdfe`` beside ``reg``, as paper 000 prints them in one row)."""
    if s == "r2_fe":
        return m.r2_within if m.fe and m.r2_within is not None else m.r2
    return getattr(m, s)


def format_number(x, digits: int = 3) -> str:
    """Format a coefficient-like number with ``digits`` decimals.

    A nonzero number that would round to zero is shown with three significant
    digits instead (``0.000181``, not ``0.000``), so a small but real
    coefficient never reads as a zero. Missing values give ``""``.
    """
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    x = float(x)
    if x != 0 and abs(x) < 0.5 * 10.0 ** (-digits):
        return np.format_float_positional(x, precision=3, unique=False, fractional=False, trim="-")
    text = f"{x:.{digits}f}"
    return "0." + "0" * digits if text == "-0." + "0" * digits else text


def check_stars(stars) -> tuple[float, ...]:
    """Validate star thresholds; return them sorted from loosest (one star) to strictest."""
    if stars is None:
        return ()
    levels = tuple(sorted((float(s) for s in stars), reverse=True))
    if any(not 0 < s < 1 for s in levels) or len(set(levels)) != len(levels):
        raise SMError("SM608", f"star thresholds {list(stars)} must be distinct numbers in (0, 1).",
                      "use for example stars=(0.1, 0.05, 0.01), or stars=None for no stars.")
    return levels


def star_marks(p: float, stars: Sequence[float]) -> str:
    """Stars for p value ``p``: one per threshold that ``p`` is strictly below.

    With the default (0.1, 0.05, 0.01): p < 0.01 gives ``***``, p < 0.05 ``**``,
    p < 0.1 ``*``; exactly p = 0.05 gets one star, as in Stata.
    """
    if p is None or np.isnan(p):
        return ""
    return "*" * sum(p < s for s in stars)


def stars_note(stars: Sequence[float], language: str) -> str:
    """The sentence explaining the stars, e.g. ``*** p<0.01, ** p<0.05, * p<0.1``."""
    if not stars:
        return ""
    pct = [f"{s * 100:g}%" for s in stars]
    marks = ["*" * (k + 1) for k in range(len(stars))]
    if language == "zh":
        return f"{'、'.join(marks)}分别表示在{'、'.join(pct)}的水平上显著。"
    parts = [f"{m} p<{s:g}" for m, s in zip(marks, stars)]
    return ", ".join(reversed(parts)) + "."


def _label(name: str, labels: Mapping) -> str:
    if name in labels:
        return str(labels[name])
    if "^" in name:  # interacted fixed effects: industry^year -> 行业×年份
        return "×".join(_label(p, labels) for p in name.split("^"))
    return name


def _runs(values: Sequence[str]) -> list[tuple[str, str]]:
    """Group consecutive equal values: ["a", "a", "b"] -> [("(1)-(2)", "a"), ("(3)", "b")]."""
    out, start = [], 0
    for j in range(1, len(values) + 1):
        if j == len(values) or values[j] != values[start]:
            cols = f"({start + 1})" if j - 1 == start else f"({start + 1})-({j})"
            out.append((cols, values[start]))
            start = j
    return out


def _format_cell(value, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return format_number(value, digits)
    return str(value)


@dataclass(frozen=True)
class RegressionTable(Table):
    """A regression :class:`~smtext.report.render.Table` that keeps the numbers it shows.

    ``values`` is a long DataFrame (column, term, estimate, std_error, t_value,
    p_value, stars) for programmatic checks; ``models`` holds the adapted models.
    """

    values: pd.DataFrame | None = None
    models: tuple = ()


def regression_table(
    models,
    *,
    labels: Mapping[str, str] | None = None,
    keep: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    controls: Sequence[str] | None = None,
    show_controls: bool = False,
    stat: str = "se",
    stars: Sequence[float] | None = DEFAULT_STARS,
    digits: int = 3,
    stat_digits: int | None = None,
    column_titles: Sequence[str] | None = None,
    column_groups: Sequence[tuple[str, int]] | None = None,
    show_depvar: bool = True,
    fe_rows: bool | Sequence[str] = True,
    stats: Sequence[str] = ("nobs", "r2"),
    extra_rows: Mapping[str, Sequence] | None = None,
    intercept: str = "last",
    language: str = "zh",
    title: str | None = None,
    notes: Sequence[str] | None = None,
    label: str | None = None,
) -> RegressionTable:
    """Lay out several regression models side by side, Stata style.

    Parameters
    ----------
    models : result, sequence of results or result set
        smtext results (:class:`smtext.did.Result`), pyfixest
        ``Feols``/``Fepois``, or statsmodels results; one column each (an
        ``smtext.did`` result set gives one column per member, in order).
    labels : mapping, optional
        Display names for terms, dependent variables, fixed effects and the stat
        rows (keys ``"nobs"``, ``"r2"``, ...). Unlabelled names print as they are.
    keep : sequence of str, optional
        Terms to show, in this order (the coefficient order of the table).
        Default: every term, in order of first appearance, intercept placed per ``intercept``.
    drop : sequence of str, optional
        Terms to hide.
    controls : sequence of str, optional
        Control variables. Their rows are hidden (unless ``show_controls``) and a
        "控制变量 / Controls" row says whether each model has them. Models that
        report ``controls`` themselves add to this list.
    show_controls : bool
        Show control coefficients instead of the controls row (paper 000, Table 3).
    stat : {"se", "t", "p"}
        What goes in parentheses.
    stars : sequence of float or None
        Significance thresholds; default (0.1, 0.05, 0.01). ``None`` for no stars.
    digits : int
        Decimals for coefficients and R2.
    stat_digits : int, optional
        Decimals inside parentheses; default ``digits`` (2 for t values).
    column_titles : sequence of str, optional
        A header row under the column numbers (e.g. "第一阶段", "第二阶段").
    column_groups : sequence of (str, int), optional
        Spanning headers above the columns, e.g. ``[("PSM-DID", 1), ("工具变量法", 2)]``.
    show_depvar : bool
        Add a header row with each model's dependent variable.
    fe_rows : bool or sequence of str
        ``True``: one yes/no row per fixed effect used by any model; a sequence
        chooses and orders them; ``False`` hides them.
    stats : sequence of {"nobs", "r2", "r2_within", "adj_r2", "pseudo_r2", "r2_fe"}
        Bottom rows, in order (``r2_fe``: within R2 for models with fixed effects, R2 for the others).
    extra_rows : mapping of str to sequence, optional
        More bottom rows (label -> one value per model). Models' own ``extra``
        dictionaries are added automatically.
    intercept : {"last", "first", "drop"}
        Where the constant goes (Stata prints ``_cons`` last).
    language : {"zh", "en"}
        Language of yes/no words, row names and the note.
    title, notes, label : optional
        Caption, extra note lines (printed before the standard note), LaTeX label.

    Returns
    -------
    RegressionTable
        Render with ``to_markdown()``, ``to_latex()``, ``to_html()``,
        ``to_excel(path)``, ``to_docx(path)`` or ``save(path)``.
    """
    check_option("stat", stat, ("se", "t", "p"))
    check_option("language", language, ("zh", "en"))
    check_option("intercept", intercept, ("last", "first", "drop"))
    for s in stats:
        check_option("stats", s, STATS)
    levels = check_stars(stars)
    if hasattr(models, "items") and hasattr(models, "tidy"):  # a result set: its members, in order
        models = list(models)
    if not isinstance(models, list | tuple):
        models = [models]
    if not models:
        raise SMError("SM606", "regression_table got no models.", "pass at least one result.")
    ms: list[ModelSummary] = [as_model(m) for m in models]
    k = len(ms)
    labels = dict(labels or {})
    words = _WORDS[language]
    if stat_digits is None:
        stat_digits = 2 if stat == "t" else digits

    control_set = list(dict.fromkeys([*(controls or []), *[c for m in ms for c in m.controls]]))
    # -- which terms, in which order ------------------------------------------------
    all_terms = list(dict.fromkeys(t for m in ms for t in m.coef.index))
    if keep is not None:
        absent = [t for t in keep if t not in all_terms]
        if absent:
            warn("SM604", f"terms {absent} in keep= are in none of the models; they are left out.",
                 f"the models have {all_terms[:20]}.")
        terms = [t for t in keep if t in all_terms]
    else:
        terms = [t for t in all_terms if t not in INTERCEPT_NAMES]
        consts = [t for t in all_terms if t in INTERCEPT_NAMES]
        terms = {"last": terms + consts, "first": consts + terms, "drop": terms}[intercept]
    drop_set = set(drop or [])
    if not show_controls:
        drop_set |= set(control_set) - set(keep or [])
    terms = [t for t in terms if t not in drop_set]

    # -- header -----------------------------------------------------------------------
    header = [[""] + [f"({j + 1})" for j in range(k)]]
    if column_titles is not None:
        if len(column_titles) != k:
            raise SMError("SM606", f"column_titles has {len(column_titles)} entries for {k} models.",
                          "give one title per model.")
        header.append([""] + [str(c) for c in column_titles])
    if show_depvar:
        header.append([""] + [_label(m.depvar, labels) for m in ms])
    header[-1][0] = words["variable"]
    if column_groups is not None:
        column_groups = [(str(t), int(s)) for t, s in column_groups]
        if sum(s for _, s in column_groups) != k:
            raise SMError("SM606", f"column_groups spans {sum(s for _, s in column_groups)} columns "
                          f"but there are {k} models.", "make the spans add up to the number of models.")

    # -- coefficients -----------------------------------------------------------------
    body, records = [], []
    stat_of = {"se": "se", "t": "tstat", "p": "pvalue"}[stat]
    for term in terms:
        row, srow = [_label(term, labels)], [""]
        for j, m in enumerate(ms):
            if term in m.coef.index:
                p = float(m.pvalue[term])
                marks = star_marks(p, levels)
                row.append(format_number(m.coef[term], digits) + marks)
                srow.append("(" + format_number(getattr(m, stat_of)[term], stat_digits) + ")")
                records.append({"column": j + 1, "term": term, "estimate": float(m.coef[term]),
                                 "std_error": float(m.se[term]), "t_value": float(m.tstat[term]),
                                 "p_value": p, "stars": marks})
            else:
                row.append("")
                srow.append("")
        body += [row, srow]

    # -- yes/no rows ------------------------------------------------------------------
    yesno = []
    yes, no = words["yes"], words["no"]
    if control_set and not show_controls:
        has = [any(c in m.coef.index for c in control_set) or bool(m.controls) for m in ms]
        yesno.append([words["controls"]] + [yes if h else no for h in has])
    if fe_rows:
        fes = list(dict.fromkeys(f for m in ms for f in m.fe)) if fe_rows is True else list(fe_rows)
        for f in fes:
            yesno.append([words["fe"].format(_label(f, labels))] + [yes if f in m.fe else no for m in ms])

    # -- statistics and extra rows ----------------------------------------------------
    bottom, undefined = [], []
    for s in stats:
        vals = [_stat_value(m, s) for m in ms]
        if s != "nobs" and all(v is None for v in vals):
            continue  # no model has this statistic (e.g. R2 for Poisson only)
        name = labels.get(s, words[s])
        if s == "adj_r2" and any(v is not None and v > 1 for v in vals):
            # adjusted R2 above 1: the absorbed fixed effects leave no residual degrees of freedom
            bad = [j + 1 for j, v in enumerate(vals) if v is not None and v > 1]
            undefined.append(("调整R²无定义（固定效应与参数个数不少于观测值）：列" if language == "zh" else
                              "Adj. R2 undefined (no residual degrees of freedom): column(s) ")
                             + "、".join(map(str, bad)) + ("。" if language == "zh" else "."))
            vals = [None if j + 1 in bad else v for j, v in enumerate(vals)]
        bottom.append([name] + [f"{v:,}" if s == "nobs" else format_number(v, digits) for v in vals])
    extras: dict[str, list] = {}
    for j, m in enumerate(ms):
        for key, value in m.extra.items():
            extras.setdefault(key, [None] * k)[j] = value
    for key, values in (extra_rows or {}).items():
        if len(values) != k:
            raise SMError("SM606", f"extra row {key!r} has {len(values)} values for {k} models.",
                          "give one value per model (None for an empty cell).")
        extras[key] = list(values)
    for key, values in extras.items():
        bottom.append([_label(key, labels)] + [_format_cell(v, digits) for v in values])

    # -- notes ------------------------------------------------------------------------
    note_lines = list(notes or []) + undefined
    zh = language == "zh"
    stat_name = _STAT_NAMES[stat][0 if zh else 1]
    vcovs = [m.vcov_label for m in ms]
    if any(vcovs):
        if len(set(vcovs)) == 1:
            se_text = vcovs[0]
        else:
            se_text = "; ".join(f"{cols} {v or '?'}" for cols, v in _runs(vcovs))
        base = (f"括号内为{stat_name}" + (f"（标准误：{se_text}）" if stat != "se" else f"（{se_text}）")
                if zh else f"{stat_name} in parentheses" +
                (f" (standard errors: {se_text})" if stat != "se" else f" ({se_text})"))
    else:
        base = f"括号内为{stat_name}" if zh else f"{stat_name} in parentheses"
    sep = "；" if zh else ". "
    end = stars_note(levels, language)
    note_lines.append(words["note"] + base + (sep + end if end else ("。" if zh else ".")))

    sections = [s for s in (body, yesno, bottom) if s]
    values = pd.DataFrame.from_records(
        records, columns=["column", "term", "estimate", "std_error", "t_value", "p_value", "stars"])
    return RegressionTable(header=header, sections=sections, groups=column_groups, title=title,
                           notes=note_lines, label=label, values=values, models=tuple(ms))
