"""HonestDiD (smtext.did.sensitivity, Rambachan-Roth 2023) vs hand-derived bounds and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from smtext.did.sensitivity import (
    _lf_critical_value,
    _rm_polyhedra,
    _sd_bias_closed_form,
    _sd_max_bias,
    honest,
    honest_from_estimates,
    honest_identified_set,
)
from smtext.errors import SMError


def test_original_ci_row():
    b = np.array([0.05, -0.02, 0.3, 0.5])
    S = np.array([[0.010, 0.002, 0.001, 0.0], [0.002, 0.012, 0.0, 0.001], [0.001, 0.0, 0.02, 0.004], [0.0, 0.001, 0.004, 0.03]])
    out = honest_from_estimates(b, S, 2, 2, method="RM", grid=[0.5], draws=2000).tidy()
    orig = out.iloc[0]
    sd = np.sqrt(np.array([0.5, 0.5]) @ S[2:, 2:] @ np.array([0.5, 0.5]))
    assert orig["method"] == "original" and np.isnan(orig["M"])
    assert orig["lb"] == pytest.approx(0.4 - 1.959964 * sd, abs=1e-6)
    assert orig["ub"] == pytest.approx(0.4 + 1.959964 * sd, abs=1e-6)


def test_sd_flci_one_pre_one_post_by_hand():
    # RR (2023) Sec. 4.1 with one pre and one post period: the only estimator with finite
    # worst-case bias is b1 + b_{-1} (linear extrapolation through 0); its worst-case bias
    # under |d1 - 2*0 + d_{-1}| <= M is M, so the FLCI is b1 + b_{-1} +- cv(M/s) s with
    # cv(r) the 95% quantile of |N(r,1)| -- computed here with scipy's folded normal
    b = np.array([-0.03, 0.25])
    S = np.array([[0.004, 0.001], [0.001, 0.006]])
    s = np.sqrt(0.004 + 0.006 + 2 * 0.001)
    out = honest_from_estimates(b, S, 1, 1, method="SD", grid=[0.0, 0.05, 0.2]).tidy().iloc[1:]
    for (_, row), M in zip(out.iterrows(), [0.0, 0.05, 0.2]):
        cv = stats.foldnorm.ppf(0.95, c=M / s)
        assert row["lb"] == pytest.approx(0.22 - cv * s, abs=1e-7)
        assert row["ub"] == pytest.approx(0.22 + cv * s, abs=1e-7)


def test_sd_m0_is_min_variance_linear_extrapolation():
    # M = 0: delta is exactly linear; estimators b1 - w'b_pre with -2 w1 - w2 = 1 are unbiased.
    # Brute force over w1 on a fine grid for the minimum variance, then +- 1.96 sd.
    b = np.array([0.02, -0.01, 0.4])
    S = np.array([[0.01, 0.003, 0.002], [0.003, 0.012, 0.004], [0.002, 0.004, 0.02]])
    w1 = np.linspace(-5, 5, 200001)
    w2 = -1 - 2 * w1
    a = np.column_stack([-w1, -w2, np.ones_like(w1)])
    var = np.einsum("ij,jk,ik->i", a, S, a)
    k = var.argmin()
    center = a[k] @ b
    out = honest_from_estimates(b, S, 2, 1, method="SD", grid=[0.0]).tidy().iloc[1]
    assert out["lb"] == pytest.approx(center - 1.959964 * np.sqrt(var[k]), abs=1e-4)
    assert out["ub"] == pytest.approx(center + 1.959964 * np.sqrt(var[k]), abs=1e-4)


def test_sd_worst_case_bias_closed_form_equals_lp():
    rng = np.random.default_rng(0)
    t_pre, t_post = np.array([-3.0, -2.0, -1.0]), np.array([1.0, 2.0])
    lv = np.array([0.5, 0.5])
    for _ in range(5):
        w = rng.normal(size=3)
        w += (lv @ t_post - w @ t_pre) / (t_pre @ t_pre) * t_pre  # remove linear trends
        assert _sd_bias_closed_form(w, lv, 3, 2) == pytest.approx(_sd_max_bias(w, lv, 3, 2), rel=1e-8)


def test_identified_sets_by_hand():
    b = np.array([0.01, -0.02, 0.3, 0.5])
    # RM, two pre, two post, theta = mean post effect: largest pre change m = max(|-0.02-0.01|,
    # |0-(-0.02)|) = 0.03; d1 in [-Mm, Mm], d2 - d1 in [-Mm, Mm] -> mean in +-1.5 M m
    lb, ub = honest_identified_set(b, 2, 2, method="RM", M=1.0)
    assert (lb, ub) == pytest.approx((0.4 - 0.045, 0.4 + 0.045), abs=1e-10)
    # SD, two pre, one post: slope at 0 is 0.02, so d1 = 0.02 + s with |s - 0| ... i.e.
    # |d1 - 2*0 + d_{-1}| <= M -> d1 in [0.02 - M, 0.02 + M]; theta = 0.3 - d1
    lb, ub = honest_identified_set(b[:3], 2, 1, method="SD", M=0.1)
    assert (lb, ub) == pytest.approx((0.18, 0.38), abs=1e-10)


def test_rm_ci_shrinks_to_identified_set_without_noise():
    b = np.array([0.01, -0.02, 0.3, 0.5])
    S = 1e-16 * np.eye(4)
    out = honest_from_estimates(b, S, 2, 2, method="RM", grid=[0.0, 1.0, 2.0], draws=2000).tidy().iloc[1:]
    for (_, row), M in zip(out.iterrows(), [0.0, 1.0, 2.0]):
        assert (row["lb"], row["ub"]) == pytest.approx((0.4 - 0.045 * M, 0.4 + 0.045 * M), abs=1e-6)


def test_rm_interval_equals_brute_force_test_inversion():
    # one post period (no nuisance): accept theta iff max_j (A_j (b - tau(theta)))/sigma_j <= c
    b = np.array([0.04, -0.03, 0.2])
    S = np.array([[0.010, 0.002, 0.001], [0.002, 0.008, 0.001], [0.001, 0.001, 0.015]])
    Mbar = 0.8
    out = honest_from_estimates(b, S, 2, 1, method="RM", grid=[Mbar], draws=20000).tidy().iloc[1]
    grid = np.linspace(-1.5, 2.0, 35001)
    accepted = np.zeros_like(grid, dtype=bool)
    for k, A in enumerate(_rm_polyhedra(2, 1, Mbar)):
        c = _lf_critical_value(A, S, 0.05, 20000, 0 + k)
        sig = np.sqrt(np.einsum("ij,jk,ik->i", A, S, A))
        resid = (A @ b)[None, :] - np.outer(grid, A[:, 2])
        accepted |= (resid <= c * sig[None, :] + 1e-12).all(axis=1)
    assert out["lb"] == pytest.approx(grid[accepted].min(), abs=2e-4)
    assert out["ub"] == pytest.approx(grid[accepted].max(), abs=2e-4)


def test_rm_coverage_monte_carlo():
    # true delta in Delta^RM(1): pre changes 0.03 and -0.02, post changes <= 0.03
    rng = np.random.default_rng(42)
    delta = np.array([0.01, -0.02, 0.02, 0.045])
    tau = np.array([0.0, 0.0, 0.3, 0.4])
    S = 0.0004 * (np.eye(4) + 0.2)
    theta = 0.35
    hits = 0
    reps = 150
    for r in range(reps):
        bh = rng.multivariate_normal(tau + delta, S)
        row = honest_from_estimates(bh, S, 2, 2, method="RM", grid=[1.0], draws=1000, seed=r).tidy().iloc[1]
        hits += row["lb"] <= theta <= row["ub"]
    # valid 95% test: coverage at least ~0.95 (binomial sd 0.018 at 150 draws)
    assert hits / reps >= 0.91


def test_bad_inputs():
    with pytest.raises(SMError) as e:
        honest_from_estimates(np.zeros(3), np.eye(4), 2, 2)
    assert e.value.code == "SM563"
    with pytest.raises(SMError) as e:
        honest_from_estimates(np.zeros(4), np.eye(4), 2, 2, method="FLCI")
    assert e.value.code == "SM002"


def test_event_inputs_from_did2s_feed_honest():
    import warnings

    from smtext.did.sensitivity import event_inputs
    from smtext.did.simulate import simulate_staggered
    from smtext.did.two_stage import did2s

    df = simulate_staggered(n_units=150, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = did2s(df, "y", "year", "stkcd", "g", window=(-4, 3)).event
    b, S, npre, npost = event_inputs(ev)
    assert (npre, npost) == (3, 4)  # rel -4..-2 and 0..3, reference -1 dropped
    t = ev.tidy().set_index("rel_time")
    assert b[-1] == t.loc[3, "estimate"]
    assert np.sqrt(S[0, 0]) == pytest.approx(t.loc[-4, "std_error"], rel=1e-12)
    res = honest(ev, method="SD", grid=[0.0, 0.1, 0.3])
    out = res.tidy().iloc[1:]
    # robust sets widen with M
    assert (out["ub"] - out["lb"]).is_monotonic_increasing
    # honest(event) is the array computation on event_inputs(event); confint() holds the robust sets
    same = honest_from_estimates(b, S, npre, npost, method="SD", grid=[0.0, 0.1, 0.3]).tidy()
    pd.testing.assert_frame_equal(res.tidy(), same)
    np.testing.assert_array_equal(res.confint()["ci_low"].to_numpy(), out["lb"].to_numpy())
    assert list(res.confint().index) == [0.0, 0.1, 0.3] and res.nobs == ev.nobs
    assert res.coef()["theta"] == pytest.approx(b[npre:].mean(), rel=1e-12)


def test_rm_critical_value_equals_multivariate_normal_quantile():
    # Independent: the least-favourable critical value c solves P(max_j Z_j/sigma_j <= c) = 0.95
    # with Z ~ N(0, A S A'); scipy's multivariate normal CDF (Genz integration, absolute error
    # 2e-4, i.e. ~0.002 in c) gives c by root finding. honest() estimates it from Monte Carlo
    # draws; the quantile's MC standard error is ~0.003 at 200,000 draws, ~0.01 at the
    # default 20,000. Polyhedra 1 and 3 mirror 0 and 2 (opposite sign of the largest change).
    from scipy import optimize

    S = np.array([[0.010, 0.002, 0.001], [0.002, 0.008, 0.001], [0.001, 0.001, 0.015]])
    polyhedra = _rm_polyhedra(2, 1, 0.8)
    for k in (0, 2):
        A = polyhedra[k]
        V = A @ S @ A.T
        sig = np.sqrt(np.diag(V))
        mvn = stats.multivariate_normal(np.zeros(len(V)), V / np.outer(sig, sig), allow_singular=True,
                                        abseps=2e-4, releps=0, seed=0)
        exact = optimize.brentq(lambda c: mvn.cdf(np.full(len(V), c)) - 0.95, 2.0, 2.5, xtol=1e-3)
        assert 2.1 < exact < 2.3                           # well above the one-sided 1.645
        assert _lf_critical_value(A, S, 0.05, 200_000, k) == pytest.approx(exact, abs=0.012)
        assert _lf_critical_value(A, S, 0.05, 20_000, k) == pytest.approx(exact, abs=0.04)
