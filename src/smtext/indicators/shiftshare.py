"""Shift-share exposures: Bartik, firm robot penetration, input-output exposure, export DVAR."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns

__all__ = ["bartik", "robot_penetration", "io_exposure", "dvar", "dvar_steps"]


def _unique(data: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise SM401 when ``keys`` repeat in ``data`` (a repeated share or shock would count twice)."""
    dup = data.duplicated(keys, keep=False)
    if dup.any():
        raise SMError("SM401", f"{int(dup.sum())} rows of the {what} repeat a {keys} key, e.g. "
                               f"{data.loc[dup, keys].head(2).to_dict('records')}.",
                      f"keep one row per {keys} in the {what}.")


def bartik(shares: pd.DataFrame, shocks: pd.DataFrame, *, unit: str = "stkcd", sector: str = "industry",
           share: str = "share", tname: str = "year", shock: str = "shock") -> pd.DataFrame:
    """Bartik exposure ``B_it = sum_k s_ik,base * g_kt``.

    ``shares``: one row per (unit, sector) with base-period share; ``shocks``: one row per
    (sector, year). Sectors without a shock in a year contribute 0 (and are counted in
    ``n_sectors_missing``). Returns (unit, year, bartik, share_sum, n_sectors_missing).
    """
    require_columns(shares, [unit, sector, share], "shares")
    require_columns(shocks, [sector, tname, shock], "shocks")
    _unique(shares, [unit, sector], "shares")
    _unique(shocks, [sector, tname], "shocks")
    years = shocks[tname].unique()
    full = shares[[unit, sector, share]].merge(pd.DataFrame({tname: years}), how="cross").merge(
        shocks[[sector, tname, shock]], on=[sector, tname], how="left")
    full["_c"] = full[share] * full[shock].fillna(0.0)
    full["_miss"] = full[shock].isna()
    out = full.groupby([unit, tname]).agg(bartik=("_c", "sum"), share_sum=(share, "sum"),
                                          n_sectors_missing=("_miss", "sum")).reset_index()
    return out


def robot_penetration(firms: pd.DataFrame, industry_robots: pd.DataFrame, *, idname: str = "stkcd",
                      industry: str = "industry", worker_share: str = "production_worker_share",
                      tname: str = "year", robots: str = "robots", base_employment: str = "employment_base"
                      ) -> pd.DataFrame:
    """Firm robot exposure after Wang Yongqin & Dong Wen (2020, 经济研究), as used by paper 003.

    ``PR_ijt = (PWP_ij,base / median_j' PWP_base) * (Robots_jt / L_j,base)``: industry
    robot density (stock over base-year industry employment) scaled by the firm's base-year
    production-worker share relative to the median share across all firms in the base year.

    ``firms``: one row per firm with ``industry`` and base-year ``worker_share``;
    ``industry_robots``: (industry, year, robots, employment_base).
    """
    require_columns(firms, [idname, industry, worker_share], "firms")
    require_columns(industry_robots, [industry, tname, robots, base_employment], "industry robots")
    _unique(firms, [idname], "firms")
    _unique(industry_robots, [industry, tname], "industry robots")
    med = firms[worker_share].median()
    if not med > 0:
        raise SMError("SM450", "the median production-worker share is not positive.", "check worker_share.")
    ir = industry_robots.assign(_density=industry_robots[robots] / industry_robots[base_employment])
    m = firms[[idname, industry, worker_share]].merge(ir[[industry, tname, "_density"]], on=industry, how="left")
    m["robot_penetration"] = m[worker_share] / med * m["_density"]
    return m[[idname, tname, "robot_penetration"]]


def io_exposure(A, shock, *, direction: str = "upstream", leontief: bool = False) -> np.ndarray:
    """Exposure of each industry to sector shocks through input-output links.

    ``A[k, j]`` is the direct requirement of industry j for inputs from k (column =
    using industry). Upstream exposure of j (through its suppliers) weights shocks by j's
    input shares ``A[:, j] / sum_k A[k, j]``; downstream exposure (through its buyers)
    by j's output shares ``A[j, :] / sum_k A[j, k]``. ``leontief=True`` uses total
    (direct + indirect) requirements ``(I - A)^-1 - I`` instead of ``A``.
    """
    check_option("direction", direction, ("upstream", "downstream"))
    A = np.asarray(A, dtype=float)
    g = np.asarray(shock, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] != g.shape[0]:
        raise SMError("SM451", f"A must be square and match the shock vector, got {A.shape} and {g.shape}.")
    M = A
    if leontief:
        try:
            M = np.linalg.inv(np.eye(len(A)) - A) - np.eye(len(A))
        except np.linalg.LinAlgError as e:
            raise SMError("SM451", "I - A is singular; no Leontief inverse.", "check the coefficients.") from e
    W = M / M.sum(axis=0, keepdims=True) if direction == "upstream" else M / M.sum(axis=1, keepdims=True)
    return W.T @ g if direction == "upstream" else W @ g


def dvar(data: pd.DataFrame, *, exports: str = "exports", processing_exports: str = "exports_processing",
         ordinary_exports: str = "exports_ordinary", processing_imports: str = "imports_processing",
         ordinary_imports: str = "imports_ordinary_intermediate", sales: str = "total_sales",
         intermediary_share: str | None = None) -> pd.Series:
    """Export domestic value-added ratio, Upward, Wang & Zheng (2013, JCE 41(2)) eq. (6).

    ``DVAR = 1 - [M_P + M_O * X_O / (Y - X_P)] / X``: processing imports all go into
    exports; ordinary intermediate imports are allocated to ordinary exports by their
    share of non-processing sales (``Y`` = total sales). With ``intermediary_share``
    (share of an industry's imports that come through trade intermediaries, Ahn, Khandelwal
    & Wei 2011), both import flows are scaled by ``1 / (1 - share)``. Results are
    clipped to [0, 1] as in the literature.
    """
    cols = [exports, processing_exports, ordinary_exports, processing_imports, ordinary_imports, sales]
    require_columns(data, cols + ([intermediary_share] if intermediary_share else []), "trade panel")
    scale = 1 / (1 - data[intermediary_share]) if intermediary_share else 1.0
    mp, mo = data[processing_imports] * scale, data[ordinary_imports] * scale
    denom = data[sales] - data[processing_exports]
    foreign = mp + mo * (data[ordinary_exports] / denom.where(denom > 0))
    return (1 - foreign / data[exports].where(data[exports] > 0)).clip(0, 1).rename("DVAR")


def dvar_steps(data: pd.DataFrame, *, exports: str = "exports", processing_exports: str = "exports_processing",
               ordinary_exports: str = "exports_ordinary", processing_imports: str = "imports_processing",
               ordinary_imports: str = "imports_ordinary_intermediate", sales: str = "total_sales",
               intermediate_inputs: str = "intermediate_inputs", nfa: str = "nfa_average",
               intermediary_share: str | None = "intermediary_share", foreign_in_domestic: float = 0.05,
               depreciation: float = 0.0417, convention: str = "paper") -> pd.DataFrame:
    """Export DVAR of paper 003 eq. (2) (after Lü Yue et al. 2017), every step as a column.

    ``DVAR = 1 - (M^P_A + X^o [M^o_AM / (D + X^o)] -/+ 0.05 {M^T - M^P_A - X^o [M^o_AM / (D + X^o)]}
    -/+ 0.0417 NFA) / X``, in these steps:

    1. ``M_P_A``, ``M_O_AM``: actual processing and ordinary intermediate imports, the direct
       imports grossed up for the indirect ones through trade intermediaries,
       ``M / (1 - intermediary_share)`` (Ahn, Khandelwal & Wei 2011; 1 when no share is given);
    2. ``ordinary_foreign = X^o M^o_AM / (D + X^o)``: ordinary imports allocated to ordinary
       exports by their share of the sales not in processing (``D + X^o = sales - X^P``);
    3. ``domestic_foreign = 0.05 (M^T - M^P_A - ordinary_foreign)``: the foreign content of
       the intermediates bought at home (``M^T`` = total intermediate inputs);
    4. ``depreciation_term = 0.0417 NFA`` (NFA = average net fixed assets);
    5. ``foreign = M_P_A + ordinary_foreign + sign * (domestic_foreign + depreciation_term)`` and
       ``DVAR = 1 - foreign / X``.

    ``convention="paper"`` subtracts the last two terms, as eq. (2) is printed in paper 003;
    ``convention="foreign"`` adds them (both read as foreign content, as in Kee & Tang 2016 for
    the 5 % foreign content of domestic materials). ``DVAR_raw`` is unclipped; ``DVAR`` is clipped
    to [0, 1] as in the literature, and ``clipped`` flags the rows it moved.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per exporter-year with the columns named by the other arguments.
    foreign_in_domestic, depreciation : float
        The 0.05 and 0.0417 of eq. (2).
    convention : {"paper", "foreign"}
        Sign of the last two terms (see above).

    Returns
    -------
    pandas.DataFrame
        ``M_P_A, M_O_AM, ordinary_foreign, domestic_foreign, depreciation_term, foreign, DVAR_raw,
        DVAR, clipped`` aligned to ``data.index``; rows without exports or with sales not above
        processing exports are missing (never 0).
    """
    check_option("convention", convention, ("paper", "foreign"))
    cols = [exports, processing_exports, ordinary_exports, processing_imports, ordinary_imports, sales,
            intermediate_inputs, nfa] + ([intermediary_share] if intermediary_share else [])
    require_columns(data, cols, "trade panel")
    out = pd.DataFrame(index=data.index)
    if intermediary_share:
        s = data[intermediary_share]
        bad = s.notna() & ~((s >= 0) & (s < 1))
        if bad.any():
            raise SMError("SM481", f"{int(bad.sum())} intermediary shares are outside [0, 1), e.g. "
                                   f"{s[bad].head(3).tolist()}.", "give the share of imports through "
                                                                  "intermediaries as a fraction below 1.")
        gross = 1 / (1 - s)
    else:
        gross = 1.0
    out["M_P_A"] = data[processing_imports] * gross
    out["M_O_AM"] = data[ordinary_imports] * gross
    non_processing = data[sales] - data[processing_exports]               # D + X^o
    out["ordinary_foreign"] = data[ordinary_exports] * out["M_O_AM"] / non_processing.where(non_processing > 0)
    out["domestic_foreign"] = foreign_in_domestic * (data[intermediate_inputs] - out["M_P_A"] - out["ordinary_foreign"])
    out["depreciation_term"] = depreciation * data[nfa]
    sign = -1.0 if convention == "paper" else 1.0
    out["foreign"] = out["M_P_A"] + out["ordinary_foreign"] + sign * (out["domestic_foreign"] + out["depreciation_term"])
    out["DVAR_raw"] = 1 - out["foreign"] / data[exports].where(data[exports] > 0)
    out["DVAR"] = out["DVAR_raw"].clip(0, 1)
    out["clipped"] = out["DVAR_raw"].notna() & (out["DVAR_raw"] != out["DVAR"])
    return out
