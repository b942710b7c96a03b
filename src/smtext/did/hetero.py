"""Heterogeneity: split-sample DID, Fisher permutation test of the coefficient gap, pooled
interaction test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn

from ._part1_fe import FEProjector, fe_codes
from ._part1_prep import Prepared, as_tuple, fe_columns
from ._part1_results import RegResult
from .twfe import twfe

__all__ = ["split_sample", "median_split", "permutation_diff_test", "PermutationDiffResult",
           "interaction_test"]


def median_split(data: pd.DataFrame, var: str, within: str | Sequence[str] | None = None,
                 name: str | None = None) -> pd.Series:
    """1 when ``var`` is above its median (within groups such as the year), else 0.

    Rows with missing ``var`` stay missing, so they cannot fall silently into
    the "low" group.
    """
    require_columns(data, [var, *as_tuple(within)])
    med = data.groupby(list(as_tuple(within)))[var].transform("median") if within else data[var].median()
    out = (data[var] > med).astype("Int64").where(data[var].notna())
    return out.rename(name or f"high_{var}")


def split_sample(data: pd.DataFrame, by: str, yname: str, dname: str, idname: str, tname: str,
                 controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None, **kwargs) -> dict:
    """TWFE DID estimated separately in every group of ``by``.

    Returns
    -------
    dict
        Group value -> :class:`RegResult` (in sorted group order), ready for a
        table with one column per group.
    """
    require_columns(data, [by])
    if data[by].isna().any():
        warn("SM503", f"{int(data[by].isna().sum())} rows with missing {by!r} belong to no group.")
    return {g: twfe(data.loc[data[by] == g], yname, dname, idname, tname, controls=controls, fe=fe,
                    cluster=cluster, **kwargs)
            for g in sorted(pd.unique(data[by].dropna()))}


@dataclass(frozen=True)
class PermutationDiffResult:
    """Fisher permutation test of the between-group DID coefficient gap.

    Attributes
    ----------
    diff : float
        Observed ``b(group == high) - b(group == low)``.
    draws : numpy.ndarray
        Gaps under permuted group labels.
    p_value : float
        Two-sided: share of draws with ``|gap| >= |diff|``.
    p_one_sided : float
        Share of draws with a gap at least as large as ``diff`` in its own
        direction (the "empirical p-value" of Stata ``bdiff``).
    estimates : dict
        Group value -> :class:`RegResult` at the observed labels.
    """

    diff: float
    draws: np.ndarray
    p_value: float
    p_one_sided: float
    estimates: dict
    seed: int | None
    unit: str

    def summary(self) -> str:
        """One-line summary."""
        return (f"coefficient gap {self.diff:.6g}; permutation p = {self.p_value:.4g} (two-sided), "
                f"{self.p_one_sided:.4g} (one-sided); {self.draws.size} draws, labels permuted by {self.unit}")


def _fast_coef(d: pd.DataFrame, yname: str, dname: str, specs, controls) -> float:
    """Exact FWL coefficient of ``dname`` (no standard error); equals a TWFE refit."""
    return _coef_arrays(fe_codes(d, specs), d[yname].to_numpy(float), d[dname].to_numpy(float),
                        d[list(controls)].to_numpy(float) if controls else None)


def _coef_arrays(codes: np.ndarray, y: np.ndarray, D: np.ndarray, X: np.ndarray | None) -> float:
    proj = FEProjector(codes, X)
    yd = proj.residualise(y)
    dd = proj.residualise(D)
    den = dd @ dd
    return float(dd @ yd / den) if den > 1e-12 else np.nan


def permutation_diff_test(data: pd.DataFrame, group: str, yname: str, dname: str, idname: str,
                          tname: str, controls: Sequence[str] = (), fe: Sequence[str] = (),
                          draws: int = 1000, seed: int | None = 0, cluster=None) -> PermutationDiffResult:
    """Between-group coefficient difference test by Fisher permutation.

    The DID is estimated in the two groups of the binary ``group`` column;
    then the group labels are permuted ``draws`` times and the gap is
    recomputed. When ``group`` is constant within firms (SOE, region) whole
    firms are permuted, keeping each firm's rows together; otherwise rows are.

    Parameters
    ----------
    data : pandas.DataFrame
    group : str
        Two-valued grouping column; the gap is (larger value) - (smaller value).
    yname, dname, idname, tname, controls, fe
        As in :func:`smtext.did.twfe`.
    draws : int
    seed : int

    Returns
    -------
    PermutationDiffResult

    Notes
    -----
    Each permuted fit is the exact FWL coefficient (the same number as a
    TWFE refit) computed without standard errors, which keeps 1,000 draws
    affordable.
    """
    controls = as_tuple(controls)
    specs = (idname, tname, *as_tuple(fe))
    prep = Prepared(data, [group, yname, dname, *controls, *fe_columns(specs)])
    d = data.loc[prep.kept_index].reset_index(drop=True)
    levels = sorted(pd.unique(d[group]))
    if len(levels) != 2:
        raise SMError("SM548", f"{group!r} must have exactly two values; found {levels[:10]}.",
                      "use median_split or a 0/1 indicator.")
    lo, hi = levels
    est = {g: twfe(d.loc[d[group] == g], yname, dname, idname, tname, controls=controls,
                   fe=as_tuple(fe), cluster=cluster) for g in levels}
    diff = float(est[hi].coef()[dname] - est[lo].coef()[dname])
    firm_level = bool((d.groupby(idname)[group].nunique() == 1).all())
    rng = np.random.default_rng(seed)
    if firm_level:
        firm_codes, _ = pd.factorize(d[idname])
        labels = d.groupby(firm_codes)[group].first().to_numpy()
    else:
        labels = d[group].to_numpy()
    # numeric arrays once; each draw only takes row subsets (codes need not be contiguous:
    # empty levels give zero dummy columns, which the rank-revealing QR drops)
    codes = fe_codes(d, specs)
    y = d[yname].to_numpy(float)
    D = d[dname].to_numpy(float)
    X = d[list(controls)].to_numpy(float) if controls else None
    out = np.empty(draws)
    for b in range(draws):
        perm = rng.permutation(labels)
        g = perm[firm_codes] if firm_level else perm
        coefs = []
        for val in (hi, lo):
            m = g == val
            coefs.append(_coef_arrays(codes[m], y[m], D[m], X[m] if X is not None else None))
        out[b] = coefs[0] - coefs[1]
    ok = out[np.isfinite(out)]
    p2 = float(np.mean(np.abs(ok) >= abs(diff)))
    p1 = float(np.mean(ok >= diff) if diff >= 0 else np.mean(ok <= diff))
    return PermutationDiffResult(diff, out, p2, p1, est, seed, "firm" if firm_level else "row")


def interaction_test(data: pd.DataFrame, group: str, yname: str, dname: str, idname: str, tname: str,
                     controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                     **kwargs) -> RegResult:
    """Pooled test: ``y ~ D + D x group + controls | FE``.

    The coefficient ``f"{dname}_x_{group}"`` is the gap in the treatment
    effect between ``group == 1`` and ``group == 0`` (with common fixed
    effects and control slopes, unlike :func:`split_sample`). ``group`` must
    be numeric (0/1 or continuous); its main effect is absorbed by the firm FE
    when constant within firms and included otherwise.
    """
    require_columns(data, [group, dname])
    name = f"{dname}_x_{group}"
    d = data.assign(**{name: data[dname] * data[group]})
    const_within = bool((d.groupby(idname)[group].nunique(dropna=False) <= 1).all())
    extra_controls = () if const_within else (group,)
    return twfe(d, yname, dname, idname, tname, controls=(name, *extra_controls, *as_tuple(controls)),
                fe=fe, cluster=cluster, **kwargs)
