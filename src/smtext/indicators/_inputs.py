"""Numeric input columns of the indicators: read as the io layer reads numbers, with counted warnings.

Error codes
-----------
SM418  (warning) cells of an input column that are text or infinite: set missing, counted, examples shown
SM419  (warning) an input column with no usable number: every value of the indicator is missing
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import warn


def numeric_column(data: pd.DataFrame, column: str, what: str, stacklevel: int = 3) -> pd.Series:
    """The numbers of ``data[column]`` for indicator ``what``, aligned to ``data.index``.

    Thousands separators are read (``"1,080,118,078.76"``) and missing markers (``--``, ``NA``)
    stay missing, as :func:`smtext.io.normalize.to_number` reads them. Cells that are still not
    numbers, and infinite ones, are set missing and counted in an SM418 warning naming up to three
    of them; a column without one usable number warns SM419 (every output is missing).
    """
    from ..io.normalize import to_number

    x, n_text, examples = to_number(data[column])
    x = pd.Series(np.asarray(x, dtype=float), index=data.index)
    inf = np.isinf(x.to_numpy())
    if inf.any():
        examples = [*examples, *map(str, x[inf].head(3).tolist())]
        x = x.where(~inf)
    n_inf = int(inf.sum())
    if n_text or n_inf:
        parts = [f"{n_text} not numbers" if n_text else "", f"{n_inf} infinite" if n_inf else ""]
        warn("SM418", f"{what}: {n_text + n_inf} of {len(x)} cells of {column!r} are unusable "
                      f"({', '.join(p for p in parts if p)}; e.g. {examples[:3]}); they are set missing, and so is "
                      "the indicator in their rows.",
             f"convert {column!r} to plain numbers (e.g. 1234.5), or pass the right column.", stacklevel=stacklevel)
    if len(x) and x.isna().all():
        warn("SM419", f"{what}: column {column!r} has no usable number in any of its {len(x)} rows; every value "
                      "of the indicator is missing.",
             f"check that {column!r} is the right column and holds numbers.", stacklevel=stacklevel)
    return x
