"""Shift-share exposures: Bartik, firm robot penetration, input-output exposure, export DVAR."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns

__all__ = ["bartik", "robot_penetration", "io_exposure", "dvar"]


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
