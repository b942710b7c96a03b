"""Market uncertainty (volatility) of a firm's sales, as the outcome of paper 004 Table 6.

Paper 004 (s. 5.3(2)) builds forward, current and backward market uncertainty
(Volatility_pre / _current / _post) "after the idea of 毛其淋 and 王凯璇 (2023)" and
leaves the construction out ("如需备案"). We implement the usual firm-level measure:
the standard deviation of the firm's sales growth over a calendar window of
``window`` years that lies before, around, or after year t. Its sample sizes in
004 Table 6 (16,404 < 18,727 < 20,390 of 20,607) fit this reading: the forward
window loses the last years of the panel, the backward one almost nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns
from ..panel import check_keys, lag

__all__ = ["market_volatility"]


def market_volatility(data: pd.DataFrame, *, sales: str = "revenue", idname: str = "stkcd",
                      tname: str = "year", window: int = 3, align: str = "backward",
                      growth: str = "pct", ddof: int = 1) -> pd.Series:
    """Standard deviation of sales growth over a calendar window around each firm-year.

    Growth is ``g_t = S_t / S_{t-1} - 1`` (``growth="pct"``) or ``ln S_t - ln S_{t-1}``
    (``"log"``), with calendar lags (a gap year gives a missing growth). The window of
    ``window`` growth rates is ``t-window+1 .. t`` (``align="backward"``),
    ``t-h .. t+h`` with ``h = (window-1)/2`` (``"centered"``, odd windows) or
    ``t .. t+window-1`` (``"forward"``). A window with any missing growth gives a
    missing value (no silent shrinking of the window).

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel with unique keys.
    sales : str
        Sales (operating revenue) column; non-positive sales give a missing growth.
    window : int
        Number of growth rates in the window (>= 2).
    align : {"backward", "centered", "forward"}
        Where the window lies relative to year t.
    growth : {"pct", "log"}
        Growth-rate definition.
    ddof : int
        Delta degrees of freedom of the standard deviation (1 = sample s.d.).

    Returns
    -------
    pandas.Series
        ``volatility`` aligned to ``data.index``.
    """
    check_option("align", align, ("backward", "centered", "forward"))
    check_option("growth", growth, ("pct", "log"))
    if int(window) < 2 or (align == "centered" and window % 2 == 0):
        raise SMError("SM432", f"window={window} is not usable with align={align!r}.",
                      "use window >= 2, and an odd window for align='centered'.")
    require_columns(data, [sales, idname, tname], "panel")
    check_keys(data, idname, tname)
    from ._inputs import numeric_column

    s = numeric_column(data, sales, "market volatility")
    s = s.where(s > 0)
    prev = lag(data.assign(_s=s), "_s", idname=idname, tname=tname)
    g = (s / prev - 1) if growth == "pct" else (np.log(s) - np.log(prev))
    frame = data[[idname, tname]].assign(_g=g)
    first = {"backward": -(window - 1), "centered": -(window - 1) // 2, "forward": 0}[align]
    # the growth of year t + j for every j in the window, by calendar lead/lag
    G = np.column_stack([lag(frame, "_g", -(first + j), idname=idname, tname=tname).to_numpy(float)
                         for j in range(window)])
    with np.errstate(invalid="ignore"):
        sd = np.std(G, axis=1, ddof=ddof)
    sd[np.isnan(G).any(axis=1)] = np.nan
    return pd.Series(sd, index=data.index, name="volatility")
