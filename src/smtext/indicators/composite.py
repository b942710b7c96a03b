"""Composite indices by the entropy-weight method, and the NQPF specification of paper 002.

Entropy weights (熵值法): indicators are min-max normalized by direction (positive:
(x - min)/(max - min); negative: (max - x)/(max - min)), shifted by ``shift`` (1e-4, as is
usual, so that logs exist), turned into proportions p_ij = z_ij / sum_i z_ij; entropy
e_j = -(1/ln n) sum_i p_ij ln p_ij; weight w_j = (1 - e_j) / sum_k (1 - e_k); the index
is sum_j w_j z_ij. ``pooling`` says over which rows min, max and weights are computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns, warn

__all__ = ["entropy_weight", "EntropyResult", "NQPF_002"]

#: Paper 002 (广东财经大学学报 2025(4)) Table 1: the 14 NQPF sub-indicators and directions.
#: Keys are suggested column names; map your columns onto them with ``columns=``.
NQPF_002 = {
    "rd_staff_share": "+",        # 研发人员占比
    "rd_pay_share": "+",          # 研发薪酬占比
    "digital_investment": "+",    # 数字技术投资
    "pollution_intensity": "-",   # 污染排放强度
    "rd_depreciation_share": "+", # 研发折旧摊销占比
    "rd_lease_share": "+",        # 研发租赁费占比
    "rd_direct_share": "+",       # 研发直接投入占比
    "invention_applications": "+",  # 发明专利申请数量
    "utility_applications": "+",  # 实用新型申请数量
    "production_digital": "+",    # 生产数字化
    "organisation_digital": "+",  # 组织数字化
    "green_production": "+",      # 生产组织绿色化
    "digital_real_fusion": "+",   # 数实产业融合水平
    "data_factor": "+",           # 企业数据要素水平
}


@dataclass(frozen=True)
class EntropyResult:
    """Entropy-weight index: ``score`` per row, ``weights`` (one row per pooling cell)."""

    score: pd.Series
    weights: pd.DataFrame
    used: list
    missing: list


def _weights(Z: np.ndarray) -> np.ndarray:
    n = Z.shape[0]
    P = Z / Z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.nansum(np.where(P > 0, P * np.log(P), 0.0), axis=0) / np.log(n)
    d = 1 - e
    return d / d.sum()


def _normalize(X: np.ndarray, ref: np.ndarray, signs: np.ndarray, shift: float) -> np.ndarray:
    lo, hi = np.nanmin(ref, axis=0), np.nanmax(ref, axis=0)
    rng = np.where(hi > lo, hi - lo, np.nan)
    Z = np.where(signs > 0, (X - lo) / rng, (hi - X) / rng)
    return Z + shift


def entropy_weight(data: pd.DataFrame, directions: dict, *, pooling: str = "pooled", tname: str = "year",
                   base_year: int | None = None, shift: float = 1e-4, columns: dict | None = None,
                   allow_missing_indicators: bool = False) -> EntropyResult:
    """Entropy-weight composite index.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to score (firm-years).
    directions : dict
        Indicator -> ``"+"`` or ``"-"`` (e.g. :data:`NQPF_002`).
    pooling : {"pooled", "year", "base_year"}
        ``pooled``: one normalization and one weight vector over all rows. ``year``:
        recomputed within each year (scores not comparable across years). ``base_year``:
        min/max and weights from ``base_year`` applied to every year (values outside the
        base range fall outside [0, 1]).
    columns : dict, optional
        Indicator name -> column in ``data``.
    allow_missing_indicators : bool
        Build the index over the indicators present (SM441 warning naming the absent ones)
        instead of raising SM001.

    Returns
    -------
    EntropyResult
        Rows with any missing indicator get a missing score.
    """
    check_option("pooling", pooling, ("pooled", "year", "base_year"))
    cols = {k: (columns or {}).get(k, k) for k in directions}
    bad = [d for d in directions.values() if d not in ("+", "-")]
    if bad:
        raise SMError("SM002", f"directions must be '+' or '-', got {bad}.")
    absent = [k for k, c in cols.items() if c not in data.columns]
    if absent and allow_missing_indicators:
        warn("SM441", f"{len(absent)} indicator(s) absent, index built without them: {absent}.")
        cols = {k: c for k, c in cols.items() if k not in absent}
    else:
        require_columns(data, list(cols.values()), "indicator table")
    names = list(cols)
    X = data[list(cols.values())].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    signs = np.array([1 if directions[k] == "+" else -1 for k in names])
    ok = ~np.isnan(X).any(axis=1)
    score = np.full(len(data), np.nan)
    wrows = {}

    def fit(mask_ref, mask_apply, label):
        Zr = _normalize(X[mask_ref], X[mask_ref], signs, shift)
        if np.isnan(Zr).any():
            const = [n for n, c in zip(names, np.isnan(Zr).any(axis=0)) if c]
            raise SMError("SM440", f"indicator(s) {const} are constant in {label}; no entropy weight exists.",
                          "drop them or pool more rows.")
        w = _weights(Zr)
        Za = _normalize(X[mask_apply], X[mask_ref], signs, shift)
        score[mask_apply] = Za @ w
        wrows[label] = w

    if pooling == "pooled":
        fit(ok, ok, "pooled")
    else:
        require_columns(data, [tname], "indicator table")
        yrs = data[tname].to_numpy()
        if pooling == "year":
            for y in np.unique(yrs[ok]):
                fit(ok & (yrs == y), ok & (yrs == y), y)
        else:
            if base_year is None or not (ok & (yrs == base_year)).any():
                raise SMError("SM442", f"base_year={base_year} has no complete rows.", "pick a year in the data.")
            fit(ok & (yrs == base_year), ok, base_year)
    weights = pd.DataFrame(wrows, index=names).T
    return EntropyResult(pd.Series(score, index=data.index, name="entropy_index"), weights, names, absent)
