"""The variable-definition table of a study (the papers' Table 1 "变量定义"), from the spec's
``definitions:`` and ``labels:``.

A definition is either the definition text (``Lev: 负债总额/资产总额``) or a mapping with the
variable's Chinese name and the text (``Lev: {name: 资产负债率, text: 负债总额/资产总额}``).
The symbol printed is the variable's label (``labels:``), else its column name.
"""

from __future__ import annotations

from ..errors import SMError


def definition_of(spec, variable: str) -> tuple[str, str] | None:
    """``(name, definition text)`` of ``variable`` from the spec's ``definitions:``, None when it has none."""
    got = (spec.get("definitions") or {}).get(variable)
    if got is None:
        return None
    if isinstance(got, dict):
        return str(got.get("name", "")), str(got.get("text", ""))
    return "", str(got)


def check_definitions(spec, path: tuple, groups) -> None:
    """SM730 (with the spec line) for a variable of a definitions table that ``definitions:`` does not define, or
    whose entry is neither a text nor ``{name, text}``."""
    defs = spec.get("definitions") or {}
    for i, (_, variables) in enumerate(groups):
        for j, v in enumerate(variables):
            got = defs.get(v)
            if got is None:
                raise SMError("SM730", f"{spec.where(*path, i, 1, j)}: the definitions table lists {v!r}, which "
                              "definitions: does not define.",
                              f"add it under definitions: (e.g. {v}: {{name: 中文名称, text: 定义}}), or remove it "
                              "from the table.")
            if not (isinstance(got, str) or (isinstance(got, dict) and set(got) <= {"name", "text"}
                                              and isinstance(got.get("text"), str))):
                raise SMError("SM730", f"{spec.where('definitions', v)}: the definition of {v!r} must be a text or "
                              f"{{name: ..., text: ...}}, got {got!r}.", "write it as one of those two forms.")


def definitions_table(spec, groups, labels: dict, title: str | None = None):
    """The definition table: one row per variable, grouped by type as printed in the papers.

    Parameters
    ----------
    spec : smtext.study.spec.Spec
        The study spec (its ``definitions:``).
    groups : list of [str, list of str]
        ``[[变量类型, [variables]], ...]`` in the printed order.
    labels : dict
        Column -> symbol printed (the spec's labels).
    title : str, optional
        Table title.

    Returns
    -------
    (smtext.report.render.Table, int)
        The table and its number of rows.
    """
    from ..report.render import Table

    rows = []
    for kind, variables in groups:
        for k, v in enumerate(variables):
            name, text = definition_of(spec, v) or ("", "")
            rows.append([kind if k == 0 else "", name, str(labels.get(v, v)), text])
    header = [["变量类型", "变量名称", "变量符号", "变量定义"]]
    return Table(header=header, sections=[rows], title=title), len(rows)


__all__ = ["definition_of", "check_definitions", "definitions_table"]
