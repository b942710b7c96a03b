"""Roots of the just-identified ACF moments: the OLS-start root, the others, and statspai.

On the Chilean plant panel of the prodest packages the just-identified moments have one
exact root among every start we tried, and smtext's estimate from the OLS start equals
statspai's (relative 1e-4 asserted; measured 2e-9 to 1.2e-8). On the simulated panel of
test_tfp.py (600 firms, true labour 0.6, capital 0.3) they have several exact roots: the
OLS start reaches the one near the truth, statspai (started at the stage-1 polynomial's
linear coefficients, as R prodest) returns another (capital -0.41), and the seeded extra
starts find that one too and warn SM417.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_tfp import simulate

from smtext.errors import SMWarning
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
                         idname="id", tname="year", acf_overid=False, n_starts=12, seed=0)
    for c in FREE + ["log_k"]:
        assert b.coef[c] == pytest.approx(a.coef[c], rel=RTOL), c
    # statspai's grid of starts and our twelve seeded starts each find this root only
    assert len(a.diagnostics["acf_roots"]) == 1
    assert len(b.roots) == 1 and bool(b.roots["returned"].iloc[0]) and not _sm417(caught)
    assert b.roots["rel_criterion"].iloc[0] < ACF_ROOT_TOL and b.info["criterion"] < 1e-15
    np.testing.assert_allclose(b.roots[FREE + ["log_k"]].iloc[0], b.coef[FREE + ["log_k"]], rtol=0, atol=0)


def test_sim_multistart_finds_statspai_root_and_warns(sim):
    sp = pytest.importorskip("statspai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sp.ackerberg_caves_frazer(sim, output="y", free="l", state="k", proxy="m", panel_id="id", time="year")
    kw = {"y": "y", "free": "l", "state": "k", "proxy": "m", "idname": "id", "tname": "year", "acf_overid": False}
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


def test_overidentified_acf_has_no_root_table(sim):
    r = tfp.estimate(sim, "acf", y="y", free="l", state="k", proxy="m", idname="id", tname="year", n_starts=1)
    assert r.roots is None
