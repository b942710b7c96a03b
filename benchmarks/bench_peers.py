"""Benchmark: smtext beside its Python peers -- same panel, same machine, same run, same answer.

For each estimator with an installed peer (pyfixest, diff-diff, differences, linearmodels,
statspai, scikit-learn), times smtext and the peer on the same simulated staggered panel
(``smtext.did.simulate.simulate_staggered``, seeded) and checks that the answers agree:
the largest absolute difference of the compared numbers is reported next to its tolerance,
and a pair outside its tolerance is flagged ``DIFF`` (with the reason when the two estimate
different things by design). Each timing is the best of ``--repeat`` calls after a warm-up
on a small panel (numba and import costs are not charged to anyone).

    python benchmarks/bench_peers.py                 # 3,000 firms x 13 years = 39,000 rows
    python benchmarks/bench_peers.py --units 30770   # 400,010 rows (about 10 minutes)

Tokenisation (jieba vs rjieba) and keyword counting (vs jieba) are side by side in
bench_w2v.py and bench_count.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from smtext.did.cs import callaway_santanna
from smtext.did.decompose import bacon
from smtext.did.event import event_study
from smtext.did.imputation import did_imputation
from smtext.did.iv import iv_2sls
from smtext.did.matching import psm
from smtext.did.regression import twfe
from smtext.did.sensitivity import event_inputs, honest_from_estimates
from smtext.did.simulate import simulate_staggered
from smtext.did.sun_abraham import sunab
from smtext.did.two_stage import did2s

WINDOW = (-5, 5)


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Shortest wall time of ``repeat`` calls (one when a call takes over 10 s) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        if best > 10:
            break
    return best, out


def add_columns(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Instruments, an endogenous regressor and event time, all seeded."""
    rng = np.random.default_rng(seed + 1)
    n = len(df)
    df = df.copy()
    df["z1"], df["z2"], u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    df["xe"] = 0.5 * df["z1"] + 0.3 * df["z2"] + 0.5 * u + rng.normal(size=n)
    df["w"] = rng.normal(size=n)                          # a time-varying control (x is a firm constant)
    df["xe"] += 0.3 * df["w"]
    df["yiv"] = 1.0 * df["xe"] + 0.5 * df["w"] + u + rng.normal(size=n)
    rel = np.where(df["g"] > 0, df["year"] - df["g"], -1)
    df["rel2"] = np.where(df["g"] > 0, df["year"] - df["g"], -1000)   # pyfixest did2s: never treated = -1000
    df["relb"] = np.clip(rel, *WINDOW)                     # ends binned, never-treated in the reference period
    df["gdd"] = df["g"]                                    # diff-diff / differences: 0 = never treated
    df["unit"] = df["stkcd"].astype(int)
    return df


def _max_abs(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b))) if a.shape == b.shape and a.size else float("nan")


def pairs(df: pd.DataFrame):
    """(estimator, smtext call, [(peer, call)], compare(smtext, peer) -> (what, max diff), tolerance, note)."""
    import diff_diff as dd
    import pyfixest as pf
    from differences import ATTgt
    from linearmodels.iv import IV2SLS

    def pf_es():
        return pf.feols("y ~ i(relb, ref=-1) | stkcd + year", data=df, vcov={"CRV1": "stkcd"})

    def es_compare(s, p):
        mine = s.tidy().set_index("rel_time")["estimate"].drop(-1)
        theirs = p.coef()
        theirs.index = [int(t.split("::")[1].rstrip("]")) for t in theirs.index]
        return "event coefficients", _max_abs(mine.sort_index(), theirs.sort_index())

    def cs_compare_dd(s, p):
        mine = s.attgt.set_index(["group", "time"])["att"]
        theirs = pd.Series({k: v["effect"] for k, v in p.group_time_effects.items()})
        both = mine.index.intersection(theirs.index)
        return f"ATT(g,t) ({len(both)})", _max_abs(mine[both], theirs[both])

    def cs_compare_diffs(s, p):
        mine = s.attgt.set_index(["group", "time"])["att"]
        att = p.to_pandas().iloc[:, 0]
        att.index = pd.MultiIndex.from_arrays([att.index.get_level_values(0), att.index.get_level_values(-1)])
        both = mine.index.intersection(att.index)
        return f"ATT(g,t) ({len(both)})", _max_abs(mine[both], att[both])

    def event_compare(getter):
        def cmp(s, p):
            mine = s.event.tidy().set_index("rel_time")["estimate"]
            theirs = getter(p)
            both = mine.index.intersection(theirs.index)
            both = both[both >= 0]   # post periods: pre-period placebo coefficients follow other conventions
            return f"post event effects ({len(both)})", _max_abs(mine[both], theirs[both])
        return cmp

    def dd_event(p):
        return pd.Series({int(k): v["effect"] for k, v in p.event_study_effects.items() if np.isfinite(v["effect"])})

    def pf_did2s():
        return pf.did2s(df, yname="y", first_stage="~ 0 | stkcd + year", second_stage="~ i(rel2, ref=-1000)",
                        treatment="d", cluster="stkcd")

    def did2s_pf_compare(s, p):
        mine = s.event.tidy().set_index("rel_time")["estimate"]
        theirs = p.coef()
        theirs.index = [int(t.split("::")[1].rstrip("]")) for t in theirs.index]
        both = mine.index.intersection(theirs.index)
        both = both[both >= 0]
        return f"post event effects ({len(both)})", _max_abs(mine[both], theirs[both])

    def iv_lm():
        from pyfixest.estimation import demean
        cols = ["yiv", "xe", "z1", "z2", "w"]
        fe = np.column_stack([pd.factorize(df["stkcd"])[0], pd.factorize(df["year"])[0]])
        Y, _ = demean(df[cols].to_numpy(float), fe, np.ones(len(df)))
        return IV2SLS(Y[:, 0], Y[:, [4]], Y[:, [1]], Y[:, 2:4]).fit(cov_type="clustered",
                                                                   clusters=pd.factorize(df["stkcd"])[0])

    # PSM on one cross-section: treated = ever treated, covariate x and a noisy lag of y
    cross = df.loc[df["year"] == df["year"].min(), ["stkcd", "g", "x", "y"]].reset_index(drop=True)
    cross["treat"] = (cross["g"] > 0).astype(int)

    def psm_sklearn():
        """Logit propensity (unpenalised), 1:1 nearest neighbour with replacement on the score."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import NearestNeighbors
        X = cross[["x", "y"]].to_numpy()
        ps = LogisticRegression(penalty=None, tol=1e-10, max_iter=1000).fit(X, cross["treat"]).predict_proba(X)[:, 1]
        t = cross["treat"].to_numpy() == 1
        nn = NearestNeighbors(n_neighbors=1).fit(ps[~t, None])
        return ps, nn.kneighbors(ps[t, None])[1][:, 0]

    def psm_compare(s, p):
        mine = s.data["pscore"].to_numpy() if hasattr(s, "data") and "pscore" in s.data else np.asarray(s.pscore)
        return "propensity scores", _max_abs(mine, p[0])

    return [
        ("TWFE, firm-clustered", lambda: twfe(df, "y", "year", "stkcd", "d"),
         [("pyfixest feols", lambda: pf.feols("y ~ d | stkcd + year", data=df, vcov={"CRV1": "stkcd"}))],
         lambda s, p: ("coef, se", max(_max_abs(s.coef()["d"], p.coef()["d"]), _max_abs(s.se()["d"], p.se()["d"]))),
         1e-8, ""),
        ("event study (-5..5, ends binned)",
         lambda: event_study(df, "y", "year", "stkcd", "g", window=WINDOW),
         [("pyfixest feols i()", pf_es)], es_compare, 1e-8, ""),
        ("Callaway-Sant'Anna (dr, never treated)", lambda: callaway_santanna(df, "y", "year", "stkcd", "g"),
         [("diff-diff CallawaySantAnna", lambda: dd.CallawaySantAnna(estimation_method="dr").fit(
             df, "y", "unit", "year", "gdd")),
          ("differences ATTgt", lambda: ATTgt(data=df.set_index(["unit", "year"]).assign(
              cohort=lambda d: d["gdd"].replace(0, np.nan)), cohort_column="cohort").fit("y", est_method="dr", progress_bar=False))],
         {"diff-diff CallawaySantAnna": cs_compare_dd, "differences ATTgt": cs_compare_diffs}, 1e-8, ""),
        ("Sun-Abraham", lambda: sunab(df, "y", "year", "stkcd", "g"),
         [("diff-diff SunAbraham", lambda: dd.SunAbraham().fit(df, "y", "unit", "year", "gdd"))],
         event_compare(dd_event), 1e-8, ""),
        ("did2s (Gardner)", lambda: did2s(df, "y", "year", "stkcd", "g"),
         [("pyfixest did2s", pf_did2s),
          ("diff-diff TwoStageDiD", lambda: dd.TwoStageDiD().fit(df, "y", "unit", "year", "gdd", aggregate="event_study"))],
         {"pyfixest did2s": did2s_pf_compare, "diff-diff TwoStageDiD": event_compare(dd_event)}, 1e-4,
         "pyfixest's first stage demeans iteratively (to 1e-8 in the residual, 7e-5 in the effects at 39k rows)"),
        ("BJS imputation", lambda: did_imputation(df, "y", "year", "stkcd", "g"),
         [("diff-diff ImputationDiD", lambda: dd.ImputationDiD().fit(df, "y", "unit", "year", "gdd",
                                                                    aggregate="event_study"))],
         event_compare(dd_event), 1e-8, ""),
        ("Bacon decomposition", lambda: bacon(df, "y", "year", "stkcd", "d"),
         [("diff-diff BaconDecomposition", lambda: dd.BaconDecomposition().fit(df, "y", "unit", "year", "gdd"))],
         lambda s, p: ("TWFE = weighted sum", _max_abs(s.estimate, p.twfe_estimate)), 1e-8, ""),
        ("IV-2SLS, firm + year FE", lambda: iv_2sls(df, "yiv", "year", "stkcd", "xe", instruments=["z1", "z2"],
                                                    controls=("w",)),
         [("linearmodels IV2SLS (pyfixest demean)", iv_lm),
          ("pyfixest feols IV", lambda: pf.feols("yiv ~ w | stkcd + year | xe ~ z1 + z2", data=df,
                                                 vcov={"CRV1": "stkcd"}))],
         {"linearmodels IV2SLS (pyfixest demean)": lambda s, p: ("coef", _max_abs(s.coef()["xe"], p.params["endog"])),
          "pyfixest feols IV": lambda s, p: ("coef, se", max(_max_abs(s.coef()["xe"], p.coef()["xe"]),
                                                             _max_abs(s.se()["xe"], p.se()["xe"])))}, 1e-8, ""),
        ("PSM (logit, 1:1 nearest, with replacement)",
         lambda: psm(cross, "treat", ["x", "y"], replace=True),
         [("scikit-learn logit + NearestNeighbors", psm_sklearn)], psm_compare, 1e-6, ""),
    ]


def honest_pair(df: pd.DataFrame, repeat: int) -> dict:
    """HonestDiD smoothness FLCI on the same event estimates: smtext vs diff-diff's optimal FLCI."""
    from diff_diff.honest_did import _compute_optimal_flci

    ev = did2s(df, "y", "year", "stkcd", "g", window=(-4, 3)).event
    b, S, npre, npost = event_inputs(ev)
    lv = np.full(npost, 1 / npost)
    grid = [0.0, 0.02, 0.05]
    t_s, mine = best_of(lambda: honest_from_estimates(b, S, npre, npost, method="SD", grid=grid, l_vec=lv).tidy()
                        .iloc[1:], repeat)
    t_p, theirs = best_of(lambda: [_compute_optimal_flci(b[:npre], b[npre:], S, lv, npre, npost, M, 0.05)
                                   for M in grid], repeat)
    diff = _max_abs(mine[["lb", "ub"]].to_numpy(), np.asarray(theirs))
    return {"estimator": f"HonestDiD SD FLCI ({npre} pre, {npost} post, {len(grid)} M)", "smtext_s": t_s,
            "peer": "diff-diff _compute_optimal_flci", "peer_s": t_p, "compared": "CI bounds", "max_abs_diff": diff,
            "tolerance": 2e-5, "note": "centre of the optimal FLCI is flat in w near the optimum"}


def tfp_pairs(n_firms: int, repeat: int) -> list[dict]:
    """OP / LP / ACF point estimates: smtext vs statspai on bench_tfp's DGP."""
    import statspai as sp
    from bench_tfp import panel

    from smtext.indicators import tfp

    d = panel(n_firms)
    d["i"] = -1 + 0.8 * d["k"] + 1.5 * (d["y"] - 1 - 0.6 * d["l"] - 0.3 * d["k"])  # a monotone investment proxy
    kw = {"y": "y", "free": "l", "state": "k", "idname": "id", "tname": "year"}
    rows = []
    for method, proxy, fn, extra in (("op", "i", sp.olley_pakes, {}), ("lp", "m", sp.levinsohn_petrin, {}),
                                     ("acf", "m", sp.ackerberg_caves_frazer, {"acf_start": "stage1"})):
        t_s, mine = best_of(lambda m=method, p=proxy, e=extra: tfp.estimate(d, m, proxy=p, **kw, **e), repeat)
        t_p, theirs = best_of(lambda f=fn, p=proxy: f(d, output="y", free="l", state="k", proxy=p, panel_id="id",
                                                      time="year"), repeat)
        diff = _max_abs(mine.coef[["l", "k"]], [theirs.coef["l"], theirs.coef["k"]])
        rows.append({"estimator": f"TFP {method.upper()} ({len(d):,} firm-years)", "smtext_s": t_s,
                     "peer": f"statspai {fn.__name__}", "peer_s": t_p, "compared": "coef l, k",
                     "max_abs_diff": diff, "tolerance": 1e-4,
                     "note": "ACF with statspai's start rule (acf_start='stage1')" if method == "acf" else ""})
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000, help="firms (x 13 years)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="timings are the best of this many calls")
    ap.add_argument("--tfp-firms", type=int, default=2300)
    ap.add_argument("--skip", nargs="*", default=[], help="estimators to skip (substring of the name)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "peers.json")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import sys
    sys.path.insert(0, str(Path(__file__).parent))

    small = add_columns(simulate_staggered(n_units=120, seed=1), 1)
    for name, mine, peers, *_ in pairs(small):     # warm-up: imports and JIT compilation
        mine()
        for _, fn in peers:
            fn()
    df = add_columns(simulate_staggered(n_units=args.units, seed=args.seed), args.seed)
    rows = []
    for name, mine, peers, compare, tol, note in pairs(df):
        if any(s.lower() in name.lower() for s in args.skip):
            continue
        t_s, res_s = best_of(mine, args.repeat)
        for peer, fn in peers:
            t_p, res_p = best_of(fn, args.repeat)
            cmp = compare[peer] if isinstance(compare, dict) else compare
            what, diff = cmp(res_s, res_p)
            rows.append({"estimator": name, "smtext_s": t_s, "peer": peer, "peer_s": t_p, "compared": what,
                         "max_abs_diff": diff, "tolerance": tol, "note": note})
    if not any("honest" in s.lower() for s in args.skip):
        rows.append(honest_pair(df, args.repeat))
    if not any("tfp" in s.lower() for s in args.skip):
        rows.extend(tfp_pairs(args.tfp_firms, args.repeat))
    for r in rows:
        r["ratio"] = r["smtext_s"] / r["peer_s"]
        r["agree"] = bool(r["max_abs_diff"] <= r["tolerance"])

    print(f"{len(df):,} rows ({args.units} firms x {df['year'].nunique()} years), seed {args.seed}, "
          f"load average {os.getloadavg()[0]:.2f}; time = best of {args.repeat}")
    print(f"{'estimator':42s} {'peer':38s} {'smtext s':>9s} {'peer s':>8s} {'ratio':>6s} {'max |diff|':>10s}  agree")
    for r in rows:
        print(f"{r['estimator'][:42]:42s} {r['peer'][:38]:38s} {r['smtext_s']:9.3f} {r['peer_s']:8.3f} "
              f"{r['ratio']:6.2f} {r['max_abs_diff']:10.1e}  {'yes' if r['agree'] else 'DIFF'} (tol {r['tolerance']:.0e})"
              f"{'  ' + r['note'] if r['note'] else ''}")
    out = {"rows": len(df), "units": args.units, "seed": args.seed, "repeat": args.repeat,
           "load_avg": os.getloadavg(), "python": platform.python_version(), "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return out


if __name__ == "__main__":
    main()
