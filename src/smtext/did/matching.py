"""Propensity-score matching (PSM-DID) and entropy balancing.

* :func:`psm` -- logit propensity score, pooled or year-by-year (``by``),
  1:k nearest-neighbour matching with or without replacement and a caliper;
  the algorithm follows R MatchIt ``method = "nearest"`` (greedy, treated units
  in descending order of the score, first matches for all treated before
  second matches) so matched sets can be checked against MatchIt.
* :func:`balance_table` -- a Stata ``pstest``-style balance table.
* :func:`psm_did` -- TWFE DID on the matched sample (weights, matched rows or common support),
  returning the regression with the matching attached (:class:`PSMDIDResult`).

Entropy balancing (Hainmueller 2012) is in :mod:`smtext.did.ebalance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from smtext.errors import SMError, check_option, require_columns, warn

from ._prepare import as_tuple
from ._results import RegResult, Result, promote
from .regression import twfe

__all__ = ["PSMDIDResult", "PSMResult", "balance_failures", "balance_table", "psm", "psm_did"]


def _balance_estimates(balance: pd.DataFrame) -> pd.DataFrame:
    """Treated-minus-control mean gap per covariate after matching, with its balance t test."""
    b = balance.loc[balance["sample"] == "matched"].set_index("variable")
    gap = b["mean_treated"] - b["mean_control"]
    with np.errstate(divide="ignore", invalid="ignore"):
        se = gap / b["t"]
    out = pd.DataFrame({"estimate": gap, "std_error": se, "p_value": b["p"]})
    out.index.name = "term"
    return out


@dataclass(frozen=True, eq=False, repr=False)
class PSMResult(Result):
    """Matched sample and diagnostics.

    ``tidy()`` is the balance table; ``coef()`` the treated-minus-control gap
    in each covariate's mean after matching, with the standard error and
    p-value of the matched balance t test (``pstest``).

    Attributes
    ----------
    data : pandas.DataFrame
        Input rows (complete cases on treatment and covariates) with columns
        ``pscore``, ``matched`` (bool), ``weight`` (matching weight: 1 for
        matched treated, sum of 1/k over the treated a control serves, 0 for
        unmatched), ``subclass`` (id of the treated row's matched set; for
        matching with replacement a control may serve several sets, the
        first is shown) and ``support`` (bool: on the common support, Stata
        psmatch2's ``_support`` with ``common``: treated rows whose score is
        outside the range of their group's control scores are off it).
    pairs : pandas.DataFrame
        One row per (treated index, control index, match round).
    balance : pandas.DataFrame
        :func:`balance_table` before and after matching.
    pscore : pandas.DataFrame
        Columns ``pscore, treated, matched`` (for the density figures).
    extra : dict
        Table rows: matching scheme, caliper, numbers matched / unmatched /
        off support, and whether balance holds after matching (|%bias| at
        most 10 on every covariate; :func:`balance_failures`).
    nobs : int
        Rows matched on (complete cases).
    """

    data: pd.DataFrame
    pairs: pd.DataFrame
    balance: pd.DataFrame
    pscore: pd.DataFrame
    nobs: int
    extra: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The balance table (:func:`balance_table`) before and after matching."""
        return self.balance.copy()

    def _estimates(self) -> pd.DataFrame:
        return _balance_estimates(self.balance)

    def summary(self) -> str:
        """Matching scheme and balance table."""
        head = ", ".join(f"{k}: {v}" for k, v in self.extra.items())
        return head + "\n" + self.balance.to_string(index=False, float_format=lambda x: f"{x:.4g}")


@dataclass(frozen=True, eq=False, repr=False)
class PSMDIDResult(RegResult):
    """The DID regression on the matched sample; ``matching`` is the :class:`PSMResult`."""

    matching: PSMResult | None = None


def _logit_pscore(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    Xc = sm.add_constant(X, has_constant="add")
    try:
        fit = sm.Logit(y, Xc).fit(disp=0, method="newton", maxiter=200, tol=1e-12)
    except np.linalg.LinAlgError as e:  # perfect separation or collinear covariates
        raise SMError("SM531", f"the propensity-score logit failed: {e}.",
                      "drop collinear covariates or those that perfectly predict treatment.") from e
    return fit.predict(Xc)


def _match_group(ps: np.ndarray, treated: np.ndarray, k: int, replace: bool, caliper: float | None,
                 order: str, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Greedy nearest-neighbour matching within one group; returns (t, c, round) positions."""
    t_idx = np.flatnonzero(treated)
    c_idx = np.flatnonzero(~treated)
    if order == "largest":
        t_idx = t_idx[np.argsort(-ps[t_idx], kind="stable")]
    elif order == "smallest":
        t_idx = t_idx[np.argsort(ps[t_idx], kind="stable")]
    elif order == "random":
        t_idx = rng.permutation(t_idx)
    pairs = []
    if replace:
        for t in t_idx:
            dist = np.abs(ps[c_idx] - ps[t])
            nn = np.argsort(dist, kind="stable")[:k]
            if caliper is not None:
                nn = nn[dist[nn] <= caliper]
            pairs += [(t, c_idx[j], r + 1) for r, j in enumerate(nn)]
        return pairs
    available = np.ones(c_idx.size, dtype=bool)
    active = list(t_idx)
    for r in range(1, k + 1):
        still = []
        for t in active:
            if not available.any():
                break
            dist = np.where(available, np.abs(ps[c_idx] - ps[t]), np.inf)
            j = int(np.argmin(dist))
            if caliper is not None and dist[j] > caliper:
                continue  # no control within the caliper: this treated unit gets no more matches
            available[j] = False
            pairs.append((t, c_idx[j], r))
            still.append(t)
        # MatchIt: a treated unit unmatched in a round is not offered later rounds
        active = still
    return pairs


def balance_table(data: pd.DataFrame, treat: str, covariates: Sequence[str], *,
                  weights: str | None = None) -> pd.DataFrame:
    """Stata ``pstest``-style balance table, before and after matching.

    Parameters
    ----------
    data : pandas.DataFrame
        All rows (the unmatched sample).
    treat : str
        0/1 treatment-group column.
    covariates : sequence of str
        Variables to compare.
    weights : str, optional
        Matching weight column (0 = not matched); when given, "matched" rows
        are added.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, sample, mean_treated, mean_control, pct_bias, t, p``
        and ``pct_bias_reduction`` (matched rows).

    Notes
    -----
    As in ``pstest``: %bias = 100 (mean_T - mean_C) / sqrt((V_T + V_C) / 2) with
    the variances of the *unmatched* sample in both rows; the unmatched t test
    is the two-sample t test with pooled variance; the matched t test is the
    weighted regression of the variable on the treatment dummy with the
    matching weights treated as frequency weights (Stata ``iweight``), so its
    residual degrees of freedom are ``sum(weights) - 2``.
    """
    require_columns(data, [treat, *covariates] + ([weights] if weights else []))
    tr = data[treat].to_numpy() == 1
    rows = []
    for v in covariates:
        x = data[v].to_numpy(dtype=float)
        vt, vc = x[tr].var(ddof=1), x[~tr].var(ddof=1)
        sd = np.sqrt((vt + vc) / 2)
        mt, mc = x[tr].mean(), x[~tr].mean()
        tt = stats.ttest_ind(x[tr], x[~tr], equal_var=True)
        b0 = 100 * (mt - mc) / sd
        rows.append((v, "unmatched", mt, mc, b0, float(tt.statistic), float(tt.pvalue), np.nan))
        if weights:
            w = data[weights].to_numpy(dtype=float)
            m = w > 0
            xm, wm, tm = x[m], w[m], tr[m]
            mt1 = np.average(xm[tm], weights=wm[tm])
            mc1 = np.average(xm[~tm], weights=wm[~tm])
            resid = np.where(tm, xm - mt1, xm - mc1)
            s2 = (wm * resid**2).sum() / (wm.sum() - 2)
            se = np.sqrt(s2 * (1 / wm[tm].sum() + 1 / wm[~tm].sum()))
            t1 = (mt1 - mc1) / se
            p1 = 2 * stats.t.sf(abs(t1), wm.sum() - 2)
            b1 = 100 * (mt1 - mc1) / sd
            red = 100 * (abs(b0) - abs(b1)) / abs(b0) if b0 != 0 else np.nan
            rows.append((v, "matched", mt1, mc1, b1, t1, p1, red))
    return pd.DataFrame(rows, columns=["variable", "sample", "mean_treated", "mean_control", "pct_bias",
                                       "t", "p", "pct_bias_reduction"])


#: the usual balance rule: after matching every covariate's |%bias| is at most 10
BALANCE_LIMIT = 10.0


def balance_failures(balance: pd.DataFrame, limit: float = BALANCE_LIMIT) -> dict:
    """Covariates whose |%bias| after matching exceeds ``limit``: ``{variable: %bias}``."""
    m = balance.loc[balance["sample"] == "matched"]
    bad = m.loc[m["pct_bias"].abs() > limit]
    return {str(v): float(b) for v, b in zip(bad["variable"], bad["pct_bias"])}


def _common_support(ps: np.ndarray, treated: np.ndarray, groups) -> np.ndarray:
    """psmatch2's ``common`` rule: a treated row whose score lies outside the range of the
    control scores of its matching group is off support; controls are always on it.
    Rows without a score (a group with nothing to match) are off support."""
    on = ~np.isnan(ps)
    for _, pos in groups:
        ok = pos[on[pos]]
        c = ok[~treated[ok]]
        if c.size == 0:
            on[ok] = False
            continue
        lo, hi = ps[c].min(), ps[c].max()
        t = ok[treated[ok]]
        on[t] = (ps[t] >= lo) & (ps[t] <= hi)
    return on


ORDERS = ("largest", "smallest", "data", "random")


def psm(data: pd.DataFrame, treat: str, covariates: Sequence[str], *, by: str | None = None,
        k: int = 1, replace: bool = False, caliper: float | None = None,
        caliper_scale: str = "raw", order: str = "largest", seed: int | None = 0) -> PSMResult:
    """Propensity-score matching (logit score, greedy nearest neighbour).

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to match (firm-years, or one row per firm for a pre-period match).
    treat : str
        0/1 treatment-group column (for PSM-DID: ever-treated firm).
    covariates : sequence of str
        Logit covariates (a constant is added).
    by : str, optional
        Match within groups of this column (e.g. ``"year"`` for the papers'
        year-by-year matching); the logit is fitted within each group too.
    k : int
        Controls per treated row (1:1, 1:4 ...).
    replace : bool
        Match with replacement (a control may serve several treated rows).
    caliper : float, optional
        Largest allowed score distance.
    caliper_scale : {"raw", "sd"}
        ``raw``: in score units (Stata ``psmatch2``); ``sd``: in standard
        deviations of the score (R MatchIt's default ``std.caliper = TRUE``).
    order : {"largest", "smallest", "data", "random"}
        Order in which treated rows pick controls (MatchIt ``m.order``;
        ``largest`` is MatchIt's default for a logit score).
    seed : int
        Only used when ``order="random"``.

    Returns
    -------
    PSMResult
    """
    check_option("order", order, ORDERS)
    check_option("caliper_scale", caliper_scale, ("raw", "sd"))
    covariates = list(as_tuple(covariates))
    if k < 1:
        raise SMError("SM530", f"k={k} must be at least 1.")
    cols = [treat, *covariates] + ([by] if by else [])
    require_columns(data, cols)
    d = data.dropna(subset=cols)
    if len(d) < len(data):
        warn("SM503", f"PSM: dropped {len(data) - len(d)} rows with missing treatment or covariates.")
    d = d.copy()
    tvals = set(pd.unique(d[treat]).tolist())
    if not tvals <= {0, 1} or len(tvals) < 2:
        raise SMError("SM530", f"{treat!r} must contain both 0 and 1; found {sorted(tvals)}.")
    groups = [(None, np.arange(len(d)))] if by is None else \
        [(g, np.flatnonzero(d[by].to_numpy() == g)) for g in sorted(pd.unique(d[by]))]
    ps = np.full(len(d), np.nan)
    tr = d[treat].to_numpy() == 1
    X = d[covariates].to_numpy(dtype=float)
    for _, pos in groups:
        if tr[pos].all() or not tr[pos].any():
            continue  # nothing to match in this group; reported below as unmatched
        ps[pos] = _logit_pscore(X[pos], tr[pos].astype(float))
    cal = caliper
    if caliper is not None and caliper_scale == "sd":
        cal = caliper * np.nanstd(ps, ddof=1)
    rng = np.random.default_rng(seed)
    pairs = []
    for _, pos in groups:
        ok = pos[~np.isnan(ps[pos])]
        if ok.size == 0:
            continue
        local = _match_group(ps[ok], tr[ok], k, replace, cal, order, rng)
        pairs += [(ok[t], ok[c], r) for t, c, r in local]
    P = pd.DataFrame(pairs, columns=["t", "c", "round"])
    n = len(d)
    weight = np.zeros(n)
    subclass = np.full(n, -1)
    if len(P):
        per_t = P.groupby("t")["c"].transform("size").to_numpy()
        np.add.at(weight, P["c"].to_numpy(), 1.0 / per_t)
        weight[P["t"].unique()] = 1.0
        subclass[P["t"].to_numpy()] = P["t"].to_numpy()
        first = P.drop_duplicates("c")
        subclass[first["c"].to_numpy()] = first["t"].to_numpy()
    d["pscore"] = ps
    d["support"] = _common_support(ps, tr, groups)
    d["matched"] = weight > 0
    d["weight"] = weight
    d["subclass"] = np.where(subclass >= 0, subclass, -1)
    n_t_unmatched = int((tr & (weight == 0)).sum())
    if n_t_unmatched:
        warn("SM532", f"{n_t_unmatched} of {int(tr.sum())} treated rows found no control "
                      "(caliper, empty group or no controls left).",
             "widen the caliper or match with replacement if too many are lost.", stacklevel=2)
    pairs_out = pd.DataFrame({"treated_index": d.index[P["t"]] if len(P) else [],
                              "control_index": d.index[P["c"]] if len(P) else [],
                              "round": P["round"] if len(P) else []})
    bal = balance_table(d, treat, covariates, weights="weight")
    failed = balance_failures(bal)
    if failed:
        warn("SM584", "PSM: balance fails after matching, |%bias| > "
                      f"{BALANCE_LIMIT:g} on " + ", ".join(f"{v} ({b:+.1f})" for v, b in failed.items()) + ".",
             "add covariates or interactions to the logit, use a caliper, or report the imbalance.", stacklevel=2)
    n_off = int((~d["support"]).sum())
    extra = {
        "matching": f"1:{k} nearest neighbour{' with replacement' if replace else ''}"
                    + (f", caliper {caliper} ({caliper_scale})" if caliper is not None else "")
                    + (f", within {by}" if by else ""),
        "treated matched": int((tr & (weight > 0)).sum()),
        "treated unmatched": n_t_unmatched,
        "controls used": int((~tr & (weight > 0)).sum()),
        "off common support": n_off,
        "balance after matching": ("fails: " + ", ".join(failed)) if failed
        else f"|%bias| <= {BALANCE_LIMIT:g} on every covariate",
    }
    pscore = pd.DataFrame({"pscore": ps, "treated": tr.astype(int), "matched": weight > 0}, index=d.index)
    return PSMResult(data=d, pairs=pairs_out, balance=bal, pscore=pscore, nobs=len(d), extra=extra)


PSM_SAMPLES = ("weights", "matched", "support")


def psm_did(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *, treat: str,
            covariates: Sequence[str], controls: Sequence[str] = (), fe: Sequence[str] = (),
            cluster=None, sample: str = "weights", psm_kwargs: dict | None = None) -> PSMDIDResult:
    """DID on a propensity-score matched sample (PSM-DID).

    Parameters
    ----------
    data : pandas.DataFrame
        Firm-year panel.
    yname, tname, idname, dname : str
        As in :func:`smtext.did.twfe`.
    treat : str
        Treatment-group column used for matching (e.g. ever-pilot firm).
    covariates : sequence of str
        Propensity-score covariates.
    controls, fe, cluster
        Passed to :func:`smtext.did.twfe`.
    sample : {"weights", "matched", "support"}
        ``weights``: regression weighted by the matching weights on the
        matched rows (unmatched rows have weight 0); ``matched``: unweighted
        regression on the matched rows (Stata ``if _weight != .``);
        ``support``: unweighted regression on every row on the common support
        (Stata psmatch2 ``common``, ``if _support == 1``: treated rows whose
        score lies outside the controls' range are dropped, controls are kept
        whether matched or not).
    psm_kwargs : dict
        Passed to :func:`psm` (``by``, ``k``, ``replace``, ``caliper`` ...).

    Returns
    -------
    PSMDIDResult
        The DID regression (its ``extra`` names the matching); ``.matching``
        is the :class:`PSMResult` (balance table, propensity scores).
    """
    check_option("sample", sample, PSM_SAMPLES)
    m = psm(data, treat, covariates, **(psm_kwargs or {}))
    d = m.data.loc[m.data["support"] if sample == "support" else m.data["matched"]]
    r = twfe(d, yname, tname, idname, dname, controls=controls, fe=fe, cluster=cluster,
             weights="weight" if sample == "weights" else None)
    extra = dict(r.extra)
    extra.update({"matching": m.extra["matching"], "PSM sample": sample})
    return promote(r, PSMDIDResult, extra=extra, matching=m)

