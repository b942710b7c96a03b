"""Stock-Yogo (2005) critical values for weak-instrument tests, as ivreg2 prints them.

Stock, J. H. and Yogo, M. (2005). "Testing for weak instruments in linear IV
regression." In D. W. K. Andrews and J. H. Stock (eds.), *Identification and
Inference for Econometric Models*, Cambridge University Press, 80-108.
Table 5.1 (maximal TSLS bias relative to OLS) and Table 5.2 (maximal size of a
nominal 5% Wald test), re-keyed in ``smtext/data/stock_yogo_2005.csv`` (the
file's header names the source and how the values were checked).

The tables are derived for the Cragg-Donald F under i.i.d. errors; like
ivreg2 and the papers, they are printed beside the Kleibergen-Paap rk Wald F
as the customary (conservative-in-name-only) benchmark.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from smtext.errors import SMError, check_option

__all__ = ["stock_yogo_critical_value", "stock_yogo_label", "stock_yogo_table"]

TABLE_FILE = Path(__file__).resolve().parents[1] / "data" / "stock_yogo_2005.csv"
#: levels each table has: maximal relative bias b, maximal Wald-test size r
LEVELS = {"bias": (0.05, 0.10, 0.20, 0.30), "size": (0.10, 0.15, 0.20, 0.25)}


@lru_cache(maxsize=1)
def stock_yogo_table() -> pd.DataFrame:
    """The re-keyed critical values: ``table, n_endog, n_instruments, level, critical_value``.

    ``table`` is ``"bias"`` (Table 5.1; n = 1, 2, 3 endogenous regressors, K2 = n + 2 ... 30
    instruments) or ``"size"`` (Table 5.2; n = 1, 2, K2 = n ... 30).
    """
    return pd.read_csv(TABLE_FILE, comment="#")


def stock_yogo_critical_value(n_endog: int, n_instruments: int, *, table: str = "size",
                              level: float = 0.15) -> float | None:
    """Stock-Yogo critical value of the first-stage F for one model.

    Parameters
    ----------
    n_endog : int
        Endogenous regressors (n).
    n_instruments : int
        Excluded instruments (K2).
    table : {"size", "bias"}
        ``size``: maximal size ``level`` of a nominal 5% Wald test (Table 5.2);
        ``bias``: maximal TSLS bias ``level`` relative to OLS (Table 5.1).
    level : float
        One of 0.10, 0.15, 0.20, 0.25 (size) or 0.05, 0.10, 0.20, 0.30 (bias).

    Returns
    -------
    float or None
        The critical value; None where Stock and Yogo tabulate none (the bias
        table needs at least ``n + 2`` instruments; neither table covers more
        than 3 endogenous regressors or 30 instruments).

    Raises
    ------
    SMError
        SM580 for a level the table does not have.
    """
    check_option("table", table, tuple(LEVELS))
    if not any(abs(level - lv) < 1e-9 for lv in LEVELS[table]):
        raise SMError("SM580", f"Stock-Yogo {table} table has no level {level}.",
                      f"choose one of {list(LEVELS[table])}.")
    t = stock_yogo_table()
    hit = t[(t["table"] == table) & (t["n_endog"] == int(n_endog)) & (t["n_instruments"] == int(n_instruments))
            & ((t["level"] - level).abs() < 1e-9)]
    return float(hit["critical_value"].iloc[0]) if len(hit) else None


def stock_yogo_label(table: str, level: float) -> str:
    """Row label of a critical value, e.g. ``Stock-Yogo 15% maximal IV size``."""
    what = "maximal IV size" if table == "size" else "maximal IV relative bias"
    return f"Stock-Yogo {level:.0%} {what}"
