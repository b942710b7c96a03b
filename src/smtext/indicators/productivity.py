"""N_TFP of paper 002: a firm's TFP relative to its industry.

Paper 002 (s. 3.2, Table 2) proxies new quality productive forces by "TFP 在行业内的
相对变化" (the change of TFP relative to the industry, after 张雪兰等, its ref. [31])
without a formula; its Table 3 reports N_TFP with mean 0.912, s.d. 0.138 and range
0.251-1.734, i.e. a ratio centred near 1. We offer the two readings of the words:

* ``kind="level"`` (default): ``N_TFP_it = TFP_it / ref_{j(i),t}``, firm TFP over the
  industry-year mean (or median) of TFP - the firm's position in its industry;
* ``kind="change"``: ``N_TFP_it = (TFP_it / TFP_i,t-1) / ref_{j,t}``, the firm's TFP
  growth factor over the industry-year mean growth factor (calendar lags).

Pass the TFP column the study uses (e.g. LP log TFP, as paper 002's numbers suggest).
"""

from __future__ import annotations

import pandas as pd

from ..errors import check_option, require_columns, warn
from ..panel import check_keys, lag

__all__ = ["n_tfp"]


def n_tfp(data: pd.DataFrame, *, tfp: str = "tfp_lp", industry: str = "industry", idname: str = "stkcd",
          tname: str = "year", kind: str = "level", reference: str = "mean") -> pd.Series:
    """Industry-relative TFP (paper 002's N_TFP); see the module docstring for the formulas.

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel with ``tfp`` and ``industry``.
    tfp : str
        TFP column (positive values: the ratio is meaningless around zero).
    industry : str
        Industry code; the reference is computed within industry-year cells over rows
        with a non-missing value.
    kind : {"level", "change"}
        Ratio of TFP, or of TFP growth factors, to the industry-year reference.
    reference : {"mean", "median"}
        Industry-year statistic in the denominator.

    Returns
    -------
    pandas.Series
        ``N_TFP`` aligned to ``data.index``. Cells whose reference is not positive get
        missing values and an SM462 warning.
    """
    check_option("kind", kind, ("level", "change"))
    check_option("reference", reference, ("mean", "median"))
    require_columns(data, [tfp, industry, idname, tname], "panel")
    check_keys(data, idname, tname)
    x = pd.to_numeric(data[tfp], errors="coerce").astype(float)
    if kind == "change":
        x = x / lag(data, tfp, idname=idname, tname=tname).astype(float)
    ref = x.groupby([data[industry], data[tname]], dropna=False).transform(reference)
    bad = ~(ref > 0) & x.notna()
    if bad.any():
        warn("SM462", f"{int(bad.sum())} rows sit in industry-years whose {reference} TFP is not positive; "
                      "their N_TFP is missing.", "use a positive TFP measure (e.g. log TFP of a level > 1).")
    return (x / ref.where(ref > 0)).rename("N_TFP")
