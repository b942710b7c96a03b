"""PSM, pstest balance table and PSM-DID (smtext.did.matching)."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import r_has
from scipy import stats

import smtext.did as did
from smtext.did.matching import balance_failures
from smtext.errors import SMWarning
from smtext.did.simulate import simulate_panel

HAS_R = r_has("MatchIt")

def _toy_match_data(n=300, seed=1):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.8 * x1 - 0.5 * x2)))).astype(int)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2})


@pytest.mark.skipif(not HAS_R, reason="R with MatchIt not installed")
@pytest.mark.parametrize("k,replace,caliper,order", [(1, False, None, "data"), (2, False, None, "data"),
                                                     (3, True, None, "data"), (2, False, 0.02, "data"),
                                                     (1, False, None, "largest"), (2, False, 0.02, "largest")])


def test_matched_sets_equal_r_matchit(tmp_path, k, replace, caliper, order):
    # Independent: R MatchIt 4.x method = "nearest" with the logit score given as a distance
    # matrix |ps_t - ps_c|, m.order = "data". (With a score *vector* MatchIt 4.5.1 takes a
    # fast path, nn_matchC_vec, that on this data leaves a nearer control unused -- treated
    # row 9 gets row 289 although row 285 is nearer and never matched -- so we compare with
    # MatchIt's general algorithm, which is plain greedy nearest neighbour. The same fast
    # path also ignores the already-matched check in later rounds (1:3 with replacement
    # gives one treated row the same control three times). Fixed in later MatchIt releases.)
    d = _toy_match_data()
    if order == "largest":
        # smtext's default order (MatchIt's default for a score vector) is not accepted with
        # a distance matrix; sorting the rows by descending score makes "data" order equal it
        ps0 = did.psm(d, "t", ["x1", "x2"], order="data").data["pscore"]
        d = d.loc[ps0.sort_values(ascending=False, kind="stable").index]
    path = tmp_path / "m.csv"
    d.to_csv(path, index=False)
    cal = "NULL" if caliper is None else repr(caliper)
    script = f"""
        ok <- suppressMessages(requireNamespace("MatchIt", quietly = TRUE)); if (!ok) quit(status = 3)
        suppressMessages(library(MatchIt)); d <- read.csv("{path}")
        ps <- matchit(t ~ x1 + x2, data = d)$distance
        D <- abs(outer(ps[d$t == 1], ps[d$t == 0], "-"))
        m <- matchit(t ~ x1 + x2, data = d, method = "nearest", distance = D, ratio = {k},
                     replace = {str(replace).upper()}, caliper = {cal}, std.caliper = FALSE)
        mm <- m$match.matrix
        for (i in seq_len(nrow(mm))) for (j in seq_len(ncol(mm)))
            if (!is.na(mm[i, j])) cat("P", rownames(mm)[i], mm[i, j], j, "\\n")
        cat("PS", sprintf("%.12f", ps), "\\n"); cat("W", sprintf("%.12f", m$weights), "\\n")
    """
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=120)
    if res.returncode == 3:
        pytest.skip("R package MatchIt not installed")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    rows = d.index.to_numpy()  # R row k (1-based) is d's k-th row
    r_pairs = {(rows[int(a) - 1], rows[int(b) - 1], int(c))
               for _, a, b, c in (l.split() for l in lines if l.startswith("P "))}
    r_ps = np.array([float(x) for x in next(l for l in lines if l.startswith("PS")).split()[1:]])
    r_w = np.array([float(x) for x in next(l for l in lines if l.startswith("W ")).split()[1:]])

    m = did.psm(d, "t", ["x1", "x2"], k=k, replace=replace, caliper=caliper, order=order)
    np.testing.assert_allclose(m.data["pscore"], r_ps, atol=1e-8)   # glm logit vs statsmodels
    ours = set(zip(m.pairs.treated_index, m.pairs.control_index, m.pairs["round"]))
    assert ours == r_pairs
    # MatchIt rescales control weights to sum to the number of matched controls; ours follow
    # psmatch2 (sum to the number of matched treated): equal after rescaling.
    w = m.data["weight"].to_numpy()
    c = d["t"].to_numpy() == 0
    np.testing.assert_allclose(w[~c], r_w[~c], atol=1e-10)
    np.testing.assert_allclose(w[c] * (w[c] > 0).sum() / w[c].sum(), r_w[c], atol=1e-8)


def test_balance_table_by_hand():
    # treated x = 1, 2, 3; controls x = 2, 4, 6, 8 with matching weights 1, 1.5, 0.5, 0.
    d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "x": [1, 2, 3, 2, 4, 6, 8],
                      "w": [1, 1, 1, 1, 1.5, 0.5, 0]})
    b = did.balance_table(d, "t", ["x"], weights="w").set_index("sample")
    u, m = b.loc["unmatched"], b.loc["matched"]
    # by hand: mean_T = 2, mean_C = 5, V_T = 1, V_C = 20/3, sd = sqrt((1 + 20/3)/2) = 1.957890
    assert (u.mean_treated, u.mean_control) == (2, 5)
    assert u.pct_bias == pytest.approx(100 * -3 / 1.957890, abs=1e-4)        # -153.2262
    # pooled t: s2 = (2*1 + 3*20/3)/5 = 4.4, se = sqrt(4.4*(1/3 + 1/4)) = 1.602082
    assert u.t == pytest.approx(-3 / 1.602082, abs=1e-5)                      # -1.872563
    assert u.p == pytest.approx(2 * stats.t.sf(3 / 1.602082, 5), abs=1e-6)
    # matched: mean_C = (2*1 + 4*1.5 + 6*0.5)/3 = 11/3; %bias with the unmatched sd
    assert m.mean_control == pytest.approx(11 / 3, abs=1e-12)
    assert m.pct_bias == pytest.approx(100 * (2 - 11 / 3) / 1.957890, abs=1e-4)  # -85.1262
    # iweight regression: SSR = 2 + 25/9 + 1.5/9 + 0.5*49/9 = 23/3, df = 6 - 2, se = sqrt(23/12 * 2/3)
    assert m.t == pytest.approx((2 - 11 / 3) / np.sqrt(23 / 12 * 2 / 3), abs=1e-6)  # -1.474420
    assert m.p == pytest.approx(2 * stats.t.sf(abs(m.t), 4), abs=1e-9)
    assert m.pct_bias_reduction == pytest.approx(100 * (1 - 85.1262 / 153.2262), abs=1e-3)


def test_psm_improves_balance_and_pscore_frame():
    d = _toy_match_data(n=600, seed=2)
    m = did.psm(d, "t", ["x1", "x2"], k=1, caliper=0.1, caliper_scale="sd")
    bal = m.balance.set_index(["variable", "sample"])
    for v in ("x1", "x2"):
        assert abs(bal.loc[(v, "matched"), "pct_bias"]) < abs(bal.loc[(v, "unmatched"), "pct_bias"])
        assert abs(bal.loc[(v, "matched"), "pct_bias"]) < 10
    assert list(m.pscore.columns) == ["pscore", "treated", "matched"]
    assert m.extra["treated matched"] + m.extra["treated unmatched"] == d.t.sum()
    # every matched pair lies within the caliper
    ps = m.data["pscore"]
    gap = np.abs(ps.loc[m.pairs.treated_index].to_numpy() - ps.loc[m.pairs.control_index].to_numpy())
    assert gap.max() <= 0.1 * ps.std()


def test_psm_year_by_year_matches_within_year():
    d = simulate_panel(n_units=120, seed=9)
    d["treat"] = (d.gname > 0).astype(int)
    m = did.psm(d, "treat", ["x1", "x2"], by="year", k=2, replace=True)
    yt = d.loc[m.pairs.treated_index, "year"].to_numpy()
    yc = d.loc[m.pairs.control_index, "year"].to_numpy()
    assert (yt == yc).all()


def test_psm_did_recovers_effect():
    # planted effect 0.5 (simulate_panel seed 12); match on firm-year covariates
    d = simulate_panel(n_units=300, effect=0.5, seed=12)
    d["treat"] = (d.gname > 0).astype(int)
    for sample in ("weights", "support"):
        r = did.psm_did(d, "y", "year", "stkcd", "did", treat="treat", covariates=["x2"], controls=("x1",),
                        sample=sample, psm_kwargs={"k": 1, "replace": True})
        t = r.tidy().loc["did"]
        assert t.ci_low < 0.5 < t.ci_high
        assert r.extra["matching"].startswith("1:1 nearest") and r.extra["PSM sample"] == sample
        assert r.matching.extra["matching"] == r.extra["matching"]


def _support_data(n=400, seed=4):
    # a strong selection so that some treated scores lie above every control score
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 2.5 * x1 - 0.5 * x2)))).astype(int)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2, "year": np.repeat([2015, 2016], n // 2)})


def test_common_support_by_hand():
    # psmatch2 `common`: treated rows whose score lies outside [min, max] of the control
    # scores of their matching group are off support; controls are always on it
    import statsmodels.api as sm

    d = _support_data()
    m = did.psm(d, "t", ["x1", "x2"], by="year", k=1, replace=True)
    expect = pd.Series(True, index=d.index)
    for _, g in d.groupby("year"):
        X = sm.add_constant(g[["x1", "x2"]])
        ps = pd.Series(sm.Logit(g["t"], X).fit(disp=0).predict(X), index=g.index)
        lo, hi = ps[g.t == 0].min(), ps[g.t == 0].max()
        expect[g.index] = (g.t == 0) | ((ps >= lo) & (ps <= hi))
    assert (m.data["support"] == expect).all()
    assert 0 < (~expect).sum() == m.extra["off common support"]


@pytest.mark.skipif(not HAS_R, reason="R with MatchIt not installed")
def test_common_support_equals_matchit_discard_treated(tmp_path):
    # Independent: MatchIt discard = "treated" drops the treated units whose distance lies
    # outside the range of the control distances (the same rule as psmatch2 `common`)
    d = _support_data().drop(columns="year")
    path = tmp_path / "s.csv"
    d.to_csv(path, index=False)
    script = f"""
        suppressMessages(library(MatchIt)); d <- read.csv("{path}")
        m <- matchit(t ~ x1 + x2, data = d, method = "nearest", replace = TRUE, discard = "treated")
        cat("D", as.integer(m$discarded), "\\n")
    """
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    r_disc = np.array([int(x) for x in next(l for l in res.stdout.splitlines() if l.startswith("D ")).split()[1:]])
    m = did.psm(d, "t", ["x1", "x2"], k=1, replace=True)
    assert r_disc.sum() > 0
    np.testing.assert_array_equal(~m.data["support"].to_numpy(), r_disc.astype(bool))


def test_psm_did_samples_with_hdfe_equal_pyfixest():
    # each PSM-DID sample is the TWFE regression (with an extra industry x year FE) on the rows
    # and weights the matching defines: compare with pyfixest on those rows directly
    import pyfixest as pf

    d = simulate_panel(n_units=150, effect=0.5, seed=21)
    d["treat"] = (d.gname > 0).astype(int)
    d["industry"] = d["stkcd"].astype(int) % 4
    kw = {"k": 1, "replace": True, "by": "year"}
    m = did.psm(d, "treat", ["x2"], **kw)
    for sample, rows, w in (("weights", m.data.matched, "weight"), ("matched", m.data.matched, None),
                            ("support", m.data.support, None)):
        r = did.psm_did(d, "y", "year", "stkcd", "did", treat="treat", covariates=["x2"], controls=("x1",),
                        fe=("industry^year",), sample=sample, psm_kwargs=kw)
        sub = m.data.loc[rows]
        ref = pf.feols("y ~ did + x1 | stkcd + year + industry^year", data=sub, weights=w,
                       vcov={"CRV1": "stkcd"})
        assert r.coef()["did"] == pytest.approx(ref.coef()["did"], abs=1e-8), sample
        assert r.nobs == len(sub), sample


def test_balance_failure_flagged():
    # a covariate the matching cannot balance (treated far out in its tail): SM584 names it
    rng = np.random.default_rng(8)
    n = 300
    x = rng.normal(size=n)
    t = (x + 0.1 * rng.normal(size=n) > 1.0).astype(int)
    d = pd.DataFrame({"t": t, "x": x, "z": rng.normal(size=n)})
    with pytest.warns(SMWarning, match="SM584"):
        m = did.psm(d, "t", ["x", "z"], k=1, replace=False)
    failed = balance_failures(m.balance)
    assert "x" in failed and abs(failed["x"]) > 10
    assert m.extra["balance after matching"].startswith("fails: x")
    ok = did.psm(_toy_match_data(n=600, seed=2), "t", ["x1", "x2"], k=1, caliper=0.1, caliper_scale="sd")
    assert balance_failures(ok.balance) == {}
