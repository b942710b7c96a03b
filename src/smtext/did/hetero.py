"""Heterogeneity: split-sample DID, Fisher permutation test of the coefficient gap, pooled
interaction test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn

from ._fe import FEProjector, fe_codes
from ._prepare import Prepared, as_tuple, fe_columns
from ._results import RegResult, Result, ResultSet
from .regression import twfe

__all__ = ["split_sample", "median_split", "permutation_diff_test", "PermutationDiffResult",
           "interaction_test"]


def median_split(data: pd.DataFrame, var: str, *, within: str | Sequence[str] | None = None,
                 name: str | None = None) -> pd.Series:
    """1 when ``var`` is above its median (within groups such as the year), else 0.

    Rows with missing ``var`` stay missing, so they cannot fall silently into
    the "low" group.

    Parameters
    ----------
    data : pandas.DataFrame
    var : str
        Column to split.
    within : str or sequence of str, optional
        Columns whose groups get their own median (e.g. ``"year"``).
    name : str, optional
        Name of the returned Series (default ``f"high_{var}"``).

    Returns
    -------
    pandas.Series of nullable Int64.
    """
    require_columns(data, [var, *as_tuple(within)])
    med = data.groupby(list(as_tuple(within)))[var].transform("median") if within else data[var].median()
    out = (data[var] > med).astype("Int64").where(data[var].notna())
    return out.rename(name or f"high_{var}")


def split_sample(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *, by: str,
                 controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None, **kwargs) -> ResultSet:
    """TWFE DID estimated separately in every group of ``by``.

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe`.
    by : str
        Grouping column; rows with a missing group are left out (SM503).
    **kwargs
        Passed to :func:`smtext.did.twfe`.

    Returns
    -------
    ResultSet
        One :class:`RegResult` per group value (sorted), named by the value,
        ready for a table with one column per group.
    """
    require_columns(data, [by])
    if data[by].isna().any():
        warn("SM503", f"{int(data[by].isna().sum())} rows with missing {by!r} belong to no group.")
    return ResultSet({g: twfe(data.loc[data[by] == g], yname, tname, idname, dname, controls=controls, fe=fe,
                              cluster=cluster, **kwargs)
                      for g in sorted(pd.unique(data[by].dropna()))}, title=f"TWFE by {by}")


@dataclass(frozen=True, eq=False, repr=False)
class PermutationDiffResult(Result):
    """Fisher permutation test of the between-group DID coefficient gap.

    ``tidy()`` has one row per permutation draw (``draw, estimate``);
    ``coef()`` is the observed gap (term ``"diff"``) and ``pvalue()`` its
    two-sided permutation p-value (no standard error).

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
    estimates : ResultSet
        Group value -> :class:`RegResult` at the observed labels.
    seed : int or None
        Seed of the permutations.
    unit : {"firm", "row"}
        What was permuted.
    nobs : int
        Observations used.
    """

    diff: float
    draws: np.ndarray
    p_value: float
    p_one_sided: float
    estimates: ResultSet
    seed: int | None
    unit: str
    nobs: int

    def tidy(self) -> pd.DataFrame:
        """One row per permutation: ``draw`` (1, 2, ...) and the permuted gap ``estimate``."""
        return pd.DataFrame({"draw": np.arange(1, self.draws.size + 1), "estimate": self.draws})

    def _estimates(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.diff], "std_error": [np.nan], "p_value": [self.p_value]},
                            index=pd.Index(["diff"], name="term"))

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


def permutation_diff_test(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *, by: str,
                          controls: Sequence[str] = (), fe: Sequence[str] = (),
                          draws: int = 1000, seed: int | None = 0, cluster=None) -> PermutationDiffResult:
    """Between-group coefficient difference test by Fisher permutation.

    The DID is estimated in the two groups of the binary ``by`` column;
    then the group labels are permuted ``draws`` times and the gap is
    recomputed. When ``by`` is constant within firms (SOE, region) whole
    firms are permuted, keeping each firm's rows together; otherwise rows are.

    Parameters
    ----------
    data : pandas.DataFrame
    yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe` (``cluster`` only for the observed fits).
    by : str
        Two-valued grouping column; the gap is (larger value) - (smaller value).
    draws : int
        Permutations.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    PermutationDiffResult

    Notes
    -----
    Each permuted fit is the exact FWL coefficient (the same number as a
    TWFE refit) computed without standard errors, which keeps 1,000 draws
    affordable.
    """
    group = by
    controls = as_tuple(controls)
    specs = (idname, tname, *as_tuple(fe))
    prep = Prepared(data, [group, yname, dname, *controls, *fe_columns(specs)])
    d = data.loc[prep.kept_index].reset_index(drop=True)
    levels = sorted(pd.unique(d[group]))
    if len(levels) != 2:
        raise SMError("SM548", f"{group!r} must have exactly two values; found {levels[:10]}.",
                      "use median_split or a 0/1 indicator.")
    lo, hi = levels
    est = ResultSet({g: twfe(d.loc[d[group] == g], yname, tname, idname, dname, controls=controls,
                             fe=as_tuple(fe), cluster=cluster) for g in levels}, title=f"TWFE by {group}")
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
    return PermutationDiffResult(diff=diff, draws=out, p_value=p2, p_one_sided=p1, estimates=est, seed=seed,
                                 unit="firm" if firm_level else "row", nobs=len(d))


def interaction_test(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *, moderator: str,
                     controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                     **kwargs) -> RegResult:
    """Pooled test: ``y ~ D + D x moderator + controls | FE``.

    The coefficient ``f"{dname}_x_{moderator}"`` is the gap in the treatment
    effect between ``moderator == 1`` and ``moderator == 0`` (with common
    fixed effects and control slopes, unlike :func:`split_sample`).

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe`.
    moderator : str
        Numeric column (0/1 or continuous); its main effect is absorbed by the
        firm FE when constant within firms and included otherwise.
    **kwargs
        Passed to :func:`smtext.did.twfe`.

    Returns
    -------
    RegResult
    """
    group = moderator
    require_columns(data, [group, dname])
    name = f"{dname}_x_{group}"
    d = data.assign(**{name: data[dname] * data[group]})
    const_within = bool((d.groupby(idname)[group].nunique(dropna=False) <= 1).all())
    extra_controls = () if const_within else (group,)
    return twfe(d, yname, tname, idname, dname, controls=(name, *extra_controls, *as_tuple(controls)),
                fe=fe, cluster=cluster, **kwargs)
