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


def test_rm_lf_interval_equals_brute_force_test_inversion():
    # method="RM-LF" (least-favourable critical value, smtext's RM default before C-LF);
    # one post period (no nuisance): accept theta iff max_j (A_j (b - tau(theta)))/sigma_j <= c
    b = np.array([0.04, -0.03, 0.2])
    S = np.array([[0.010, 0.002, 0.001], [0.002, 0.008, 0.001], [0.001, 0.001, 0.015]])
    Mbar = 0.8
    out = honest_from_estimates(b, S, 2, 1, method="RM-LF", grid=[Mbar], draws=20000).tidy().iloc[1]
    grid = np.linspace(-1.5, 2.0, 35001)
    accepted = np.zeros_like(grid, dtype=bool)
    for k, A in enumerate(_rm_polyhedra(2, 1, Mbar)):
        c = _lf_critical_value(A, S, 0.05, 20000, 0 + k)
        sig = np.sqrt(np.einsum("ij,jk,ik->i", A, S, A))
        resid = (A @ b)[None, :] - np.outer(grid, A[:, 2])
        accepted |= (resid <= c * sig[None, :] + 1e-12).all(axis=1)
    assert out["lb"] == pytest.approx(grid[accepted].min(), abs=2e-4)
    assert out["ub"] == pytest.approx(grid[accepted].max(), abs=2e-4)


@pytest.mark.slow
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


# ---------------------------------------------------------------- HonestDiD's defaults: C-LF (RM) and FLCI (SD)
# Published R output (HonestDiD README, "Example usage -- Medicaid expansions"): the ehec panel
# before 2016 without the 2015 cohort, feols(dins ~ i(year, D, ref = 2013) | stfips + year,
# cluster = "stfips"), 5 pre and 2 post coefficients, theta = the 2014 effect (l = e1).
PUBLISHED_RM = {0.5: (0.0240, 0.0672), 1.0: (0.0170, 0.0720), 1.5: (0.00824, 0.0797), 2.0: (-0.000916, 0.0881)}
PUBLISHED_SD = {0.0: (0.0259, 0.0607), 0.01: (0.0132, 0.0787), 0.02: (0.00286, 0.0907),
                0.03: (-0.00714, 0.101), 0.04: (-0.0171, 0.111), 0.05: (-0.0271, 0.121)}


@pytest.fixture(scope="module")
def medicaid(reference_dir):
    import warnings

    import pyfixest as pf

    from smtext.did.regression import FIXEST_SSC

    path = reference_dir / "did_ehec" / "ehec_data.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    df = pd.read_csv(path)
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    df["D"] = (df["yexp2"] == 2014).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("dins ~ i(year, D, ref=2013) | stfips + year", data=df, vcov={"CRV1": "stfips"},
                     ssc=pf.ssc(**FIXEST_SSC))
    assert len(m.coef()) == 7
    return np.asarray(m.coef()), np.asarray(m._vcov)


def test_medicaid_rm_clf_matches_published_honestdid(medicaid):
    # R reports the innermost accepted points of a 1,000-point grid (step 40 sd / 999 = 3.7e-4
    # here) with a least-favourable value from 1,000 draws; smtext refines the ends by
    # bisection. Largest difference observed: 2.3e-4 (tolerance 1e-3, as stated in the docs).
    b, S = medicaid
    out = honest_from_estimates(b, S, 5, 2, method="RM", grid=list(PUBLISHED_RM), l_vec=[1, 0]).tidy().iloc[1:]
    for (_, row), (lb, ub) in zip(out.iterrows(), PUBLISHED_RM.values()):
        assert row["lb"] == pytest.approx(lb, abs=1e-3)
        assert row["ub"] == pytest.approx(ub, abs=1e-3)
        assert abs(row["lb"] - lb) < 4e-4 and abs(row["ub"] - ub) < 4e-4
    # the published breakdown: significant up to Mbar = 1.5, not at 2
    assert out["lb"].iloc[2] > 0 > out["lb"].iloc[3]


def test_medicaid_sd_flci_matches_published_honestdid(medicaid):
    # printed to 3 significant digits; largest difference 2.6e-4 (0.10074 printed as 0.101)
    b, S = medicaid
    out = honest_from_estimates(b, S, 5, 2, method="SD", grid=list(PUBLISHED_SD), l_vec=[1, 0]).tidy().iloc[1:]
    for (_, row), (lb, ub) in zip(out.iterrows(), PUBLISHED_SD.values()):
        assert row["lb"] == pytest.approx(lb, abs=1e-3)
        assert row["ub"] == pytest.approx(ub, abs=1e-3)
        assert abs(row["lb"] - lb) < 3e-4 and abs(row["ub"] - ub) < 3e-4


def test_medicaid_clf_is_shorter_than_least_favourable(medicaid):
    # the reason HonestDiD defaults to C-LF: the pure least-favourable sets are wider
    b, S = medicaid
    grid = list(PUBLISHED_RM)
    clf = honest_from_estimates(b, S, 5, 2, method="RM", grid=grid, l_vec=[1, 0]).tidy().iloc[1:]
    lf = honest_from_estimates(b, S, 5, 2, method="RM-LF", grid=grid, l_vec=[1, 0]).tidy().iloc[1:]
    assert ((clf["ub"] - clf["lb"]).to_numpy() < (lf["ub"] - lf["lb"]).to_numpy()).all()
    assert (clf["method"] == "RM").all() and (lf["method"] == "RM-LF").all()


def _diff_diff_flci(b, S, num_pre, num_post, lv, M):
    dd = pytest.importorskip("diff_diff.honest_did")
    return dd._compute_optimal_flci(b[:num_pre], b[num_pre:], S, np.asarray(lv, float), num_pre, num_post, M, 0.05)


@pytest.mark.slow
def test_medicaid_sd_flci_matches_diff_diff(medicaid):
    # diff-diff's optimal FLCI (its port of HonestDiD's findOptimalFLCI): agreement to 1e-6 (observed 1e-8)
    b, S = medicaid
    for lv in ([1.0, 0.0], [0.5, 0.5]):
        out = honest_from_estimates(b, S, 5, 2, method="SD", grid=list(PUBLISHED_SD), l_vec=lv).tidy().iloc[1:]
        for (_, row), M in zip(out.iterrows(), PUBLISHED_SD):
            lb, ub = _diff_diff_flci(b, S, 5, 2, lv, M)
            assert (row["lb"], row["ub"]) == pytest.approx((lb, ub), abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("num_pre,num_post", [(2, 1), (3, 3), (4, 2)])
def test_sd_flci_matches_diff_diff_synthetic(num_pre, num_post):
    rng = np.random.default_rng(num_pre * 10 + num_post)
    k = num_pre + num_post
    L = rng.normal(size=(k, k)) * 0.05
    S = L @ L.T + 0.002 * np.eye(k)
    b = rng.normal(size=k) * 0.05 + np.r_[np.zeros(num_pre), np.full(num_post, 0.2)]
    lv = np.full(num_post, 1 / num_post)
    grid = [0.0, 0.01, 0.05, 0.2]
    out = honest_from_estimates(b, S, num_pre, num_post, method="SD", grid=grid, l_vec=lv).tidy().iloc[1:]
    for (_, row), M in zip(out.iterrows(), grid):
        lb, ub = _diff_diff_flci(b, S, num_pre, num_post, lv, M)
        # the optimal length is unique (smtext's is never longer, by at most 3e-9 here); near the
        # optimum the half-length is flat in w, so the centres differ by up to ~1e-5
        assert row["ub"] - row["lb"] <= ub - lb + 1e-8
        assert row["ub"] - row["lb"] == pytest.approx(ub - lb, rel=1e-7)
        assert (row["lb"], row["ub"]) == pytest.approx((lb, ub), abs=2e-5)


def _arp_hybrid_accepts_by_lp(y, X, SY, c_lf, alpha, kappa):
    """Independent ARP conditional test, LF hybrid: linear programs and bisection (HonestDiD's dual route)."""
    from scipy import optimize

    m, k = X.shape
    sig = np.sqrt(np.diag(SY))
    W = np.column_stack([sig, X])
    res = optimize.linprog(np.r_[1.0, np.zeros(k)], A_ub=-W, b_ub=-y, bounds=[(None, None)] * (k + 1),
                           method="highs")
    eta, gam = res.fun, -res.ineqlin.marginals
    if eta > c_lf:
        return False
    var = gam @ SY @ gam
    sB = np.sqrt(var)
    bvec = SY @ gam / var
    Sres = y - bvec * (gam @ y)
    e1 = np.r_[1.0, np.zeros(k)]

    def is_solution(c):  # eta stays the optimum of max_g g'(Sres + bvec c) over the dual polytope
        r = optimize.linprog(-(Sres + bvec * c), A_eq=W.T, b_eq=e1, bounds=[(0, None)] * m, method="highs")
        return abs(-r.fun - c) <= 1e-9 * (1 + abs(c))

    def end(direction):
        far = eta + direction * 200 * sB
        if is_solution(far):
            return direction * np.inf
        inside, outside = eta, far
        for _ in range(45):
            mid = 0.5 * (inside + outside)
            inside, outside = (mid, outside) if is_solution(mid) else (inside, mid)
        return inside

    zlo, zup, stat = end(-1) / sB, min(end(1), c_lf) / sB, eta / sB
    if not zlo <= stat <= zup:
        return True
    p = 1 - (alpha - kappa) / (1 - kappa)
    return stat <= max(0.0, stats.truncnorm.ppf(p, zlo, zup))


@pytest.mark.slow
@pytest.mark.parametrize("num_pre,num_post,Mbar", [(5, 2, 1.0), (3, 3, 0.5), (2, 1, 1.5)])
def test_clf_test_equals_linear_programming_route(num_pre, num_post, Mbar):
    # smtext decides from the dual vertices in closed form; the peer solves the primal LP,
    # reads the dual, and finds the conditioning interval by bisection on a second LP.
    # Same least-favourable value: decisions agree on every theta not within 1e-6 of an end.
    from smtext.did.sensitivity import _CLFTest

    rng = np.random.default_rng(num_pre + 7 * num_post)
    k = num_pre + num_post
    L = rng.normal(size=(k, k)) * 0.01
    S = L @ L.T + 4e-5 * np.eye(k)
    b = rng.normal(size=k) * 0.01 + np.r_[np.zeros(num_pre), np.full(num_post, 0.05)]
    lv = np.r_[1.0, np.zeros(num_post - 1)]
    for j, A in enumerate(_rm_polyhedra(num_pre, num_post, Mbar)[::3][:2]):
        t = _CLFTest(A, b, S, num_pre, lv, 0.05, 0.005, 5000, j)
        thetas = np.linspace(-0.1, 0.2, 31)
        ours = t.accepts(thetas)
        peer = np.array([_arp_hybrid_accepts_by_lp(t.Y - t.a * th, t.X, t.SY, t.c_lf, 0.05, 0.005) for th in thetas])
        differ = ours != peer
        if differ.any():  # only at an end of the accepted set
            near = np.array([t.accepts([th - 1e-6])[0] != t.accepts([th + 1e-6])[0] for th in thetas[differ]])
            assert near.all(), thetas[differ]
        assert 0 < ours.sum() < len(thetas)  # both decisions occur (and LF first-stage rejections too)


def test_clf_bad_options():
    b = np.array([0.01, -0.02, 0.3, 0.5])
    S = 0.001 * np.eye(4)
    for kw in ({"kappa": 0.05}, {"kappa": 0.0}, {"grid_points": 3}):
        with pytest.raises(SMError) as e:
            honest_from_estimates(b, S, 2, 2, method="RM", grid=[1.0], **kw)
        assert e.value.code == "SM563"
