"""Roots of the just-identified ACF moments (the default): the rule that picks one, and statspai.

On the Chilean plant panel of the prodest packages the just-identified moments have one
exact root among every start we tried, and smtext's default estimate equals statspai's
(relative 1e-4 asserted; measured 2e-9 to 1.2e-8), from either start. On the simulated
panel of test_tfp.py (600 firms, true labour 0.6, capital 0.3) they have three exact
roots: the default (``acf_start="ols"``, Stata prodest's start) returns the one the OLS
start reaches, near the truth; statspai (started at the stage-1 polynomial's linear
coefficients, as R prodest) returns the root nearest that start (capital -0.41), and so
does ``acf_start="stage1"``; the seeded extra starts find both and warn SM417.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_tfp import simulate

from smtext.errors import SMError, SMWarning
from smtext.indicators import tfp
from smtext.indicators.tfp.proxy import ACF_ROOT_TOL

RTOL = 1e-4   # relative agreement with statspai at the same root
FREE = ["log_lab1", "log_lab2"]


def _sm417(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, SMWarning) and "SM417" in str(w.message)]


@pytest.fixture(scope="module")
def chilean(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "prodest_chilean" / "prodest.csv")


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate()


@pytest.mark.reference
def test_chilean_default_start_equals_statspai(chilean):
    sp = pytest.importorskip("statspai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.ackerberg_caves_frazer(chilean, output="log_y", free=FREE, state="log_k", proxy="log_materials",
                                      panel_id="id", time="year")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = tfp.estimate(chilean, "acf", y="log_y", free=FREE, state="log_k", proxy="log_materials",
                         idname="id", tname="year", n_starts=12, seed=0)
    for c in FREE + ["log_k"]:
        assert b.coef[c] == pytest.approx(a.coef[c], rel=RTOL), c
    # statspai's grid of starts and our twelve seeded starts each find this root only
    assert len(a.diagnostics["acf_roots"]) == 1
    assert len(b.roots) == 1 and bool(b.roots["returned"].iloc[0]) and not _sm417(caught)
    assert b.roots["rel_criterion"].iloc[0] < ACF_ROOT_TOL and b.info["criterion"] < 1e-15
    np.testing.assert_allclose(b.roots[FREE + ["log_k"]].iloc[0], b.coef[FREE + ["log_k"]], rtol=0, atol=0)
    # statspai's start gives the same root; the over-identified option is another estimator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s1 = tfp.estimate(chilean, "acf", y="log_y", free=FREE, state="log_k", proxy="log_materials",
                          idname="id", tname="year", acf_start="stage1")
        ov = tfp.estimate(chilean, "acf", y="log_y", free=FREE, state="log_k", proxy="log_materials",
                          idname="id", tname="year", acf_overid=True)
    for c in FREE + ["log_k"]:
        assert s1.coef[c] == pytest.approx(a.coef[c], rel=RTOL), c
    # measured 0.913 / 0.704 / 0.176: the quadratic instruments move lab1 by 0.2
    assert abs(ov.coef["log_lab1"] - a.coef["log_lab1"]) > 0.1


def test_sim_multistart_finds_statspai_root_and_warns(sim):
    sp = pytest.importorskip("statspai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.ackerberg_caves_frazer(sim, output="y", free="l", state="k", proxy="m", panel_id="id", time="year")
    kw = {"y": "y", "free": "l", "state": "k", "proxy": "m", "idname": "id", "tname": "year"}
    with pytest.warns(SMWarning, match="SM417"):
        r = tfp.estimate(sim, "acf", n_starts=6, seed=0, **kw)
    roots = r.roots
    assert len(roots) >= 2 and (roots["rel_criterion"] < ACF_ROOT_TOL).all()
    # statspai's estimate (capital -0.41) is one of the roots the extra starts reach
    gap = (roots[["l", "k"]] - [a.coef["l"], a.coef["k"]]).abs().max(axis=1)
    assert gap.min() < 1e-5, roots
    # the returned root is the one the OLS start alone reaches: the one near the truth
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = tfp.estimate(sim, "acf", n_starts=1, **kw)
    assert not _sm417(caught) and len(one.roots) == 1
    assert roots["returned"].sum() == 1 and bool(roots["returned"].iloc[0])
    np.testing.assert_allclose(r.coef, one.coef, rtol=0, atol=1e-12)
    assert r.coef["k"] == pytest.approx(0.3, abs=0.05) and r.coef["l"] == pytest.approx(0.6, abs=0.02)


def test_stage1_rule_returns_statspai_root(sim):
    # acf_start="stage1": start at the raw stage-1 polynomial's linear coefficients and return
    # the root nearest them, statspai's rule; on this panel that is its capital -0.41 root
    sp = pytest.importorskip("statspai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.ackerberg_caves_frazer(sim, output="y", free="l", state="k", proxy="m", panel_id="id", time="year")
    with pytest.warns(SMWarning, match="SM417.*nearest the stage-1 coefficients"):
        r = tfp.estimate(sim, "acf", y="y", free="l", state="k", proxy="m", idname="id", tname="year",
                         acf_start="stage1", n_starts=6, seed=0)
    assert r.coef["l"] == pytest.approx(a.coef["l"], abs=1e-6) and r.coef["k"] == pytest.approx(a.coef["k"], abs=1e-5)
    ret = r.roots[r.roots["returned"]]
    dist = np.hypot(r.roots["l"] - r.info["start"][0], r.roots["k"] - r.info["start"][1])
    # several roots reached, so the rule (nearest the start) is what picks statspai's
    assert len(r.roots) >= 2 and len(ret) == 1 and dist.idxmin() == ret.index[0]


def test_bad_acf_start_is_sm002(sim):
    with pytest.raises(SMError, match="SM002"):
        tfp.estimate(sim, "acf", y="y", free="l", state="k", proxy="m", idname="id", tname="year", acf_start="grid")


def test_overidentified_acf_has_no_root_table(sim):
    r = tfp.estimate(sim, "acf", y="y", free="l", state="k", proxy="m", idname="id", tname="year", n_starts=1,
                     acf_overid=True)
    assert r.roots is None
