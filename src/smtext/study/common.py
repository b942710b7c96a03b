"""Small helpers shared by the study stages: key names, row filters, the one table writer, the output-path
check (:func:`smtext.stages.inside`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..stages import inside

ID, TIME = "stkcd", "year"
TABLE_FORMATS = ("md", "html", "tex", "xlsx", "docx")
STAGE_VERSION = "4"     # bump when a stage body's helpers change their output
# fixed-effect rows as the papers print them (企业固定效应, 行业×年份固定效应); a spec's labels win
FE_LABELS = {ID: "企业", TIME: "年份", "industry": "行业", "province": "省份", "city": "城市"}


def save_table(table, folder: Path, name: str) -> None:
    """Write ``table`` to ``folder/tables/<name>.<fmt>`` in every format (the one table writer)."""
    for fmt in TABLE_FORMATS:
        table.save(inside(folder, "tables", f"{name}.{fmt}"))


def apply_where(d: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    """Keep rows matching ``{column: value | [values] | {not: value}}``."""
    for col, cond in (where or {}).items():
        if isinstance(cond, dict) and "not" in cond:
            bad = cond["not"] if isinstance(cond["not"], list) else [cond["not"]]
            d = d[~d[col].isin(bad)]
        else:
            d = d[d[col].isin(cond if isinstance(cond, list) else [cond])]
    return d
