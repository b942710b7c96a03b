"""Mechanisms (smtext.did.mechanism): Sobel mediation by hand and the two-step regressions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import smtext.did as did
from smtext.did.simulate import simulate_panel


def _mediation_panel():
    d = simulate_panel(n_units=300, effect=0.0, seed=15)
    rng = np.random.default_rng(15)
    # D -> M with a = 0.5; M -> Y with b = 0.8; direct effect 0.2
    d["m"] = 0.5 * d["did"] + rng.normal(size=len(d)) + 0.3 * d["x1"]
    d["yy"] = 0.8 * d["m"] + 0.2 * d["did"] + d["y0"]
    return d

def test_mediation_sobel_by_hand():
    d = _mediation_panel()
    med = did.mediation_sobel(d, "yy", "year", "stkcd", "did", mediator="m", controls=("x1",))
    a, sa = med.a_path.coef()["did"], med.a_path.se()["did"]
    b, sb = med.direct.coef()["m"], med.direct.se()["m"]
    # Sobel (1982): se(ab) = sqrt(b^2 se_a^2 + a^2 se_b^2), z = ab / se
    assert med.sobel_se == pytest.approx(np.sqrt(b**2 * sa**2 + a**2 * sb**2), rel=1e-12)
    assert med.sobel_p == pytest.approx(2 * stats.norm.sf(abs(a * b / med.sobel_se)), rel=1e-12)
    assert med.a == pytest.approx(0.5, abs=0.1) and med.b == pytest.approx(0.8, abs=0.05)
    assert med.indirect == pytest.approx(0.4, abs=0.1) and med.sobel_p < 0.01
    # omitted-variable identity for OLS on one sample with the same controls and FE:
    # total c = direct c' + a * b exactly
    assert med.total.coef()["did"] == pytest.approx(med.direct.coef()["did"] + a * b, abs=1e-8)

def test_mechanism_two_step():
    d = _mediation_panel()
    res = did.mechanism_two_step(d, "yy", "year", "stkcd", "did", mediators=["m", "x2"], controls=("x1",))
    assert res["m"].pvalue()["did"] < 0.01 and res["x2"].pvalue()["did"] > 0.01
    assert res["m"].depvar == "m"
    # step 1 is the outcome's DID, with the same specification
    assert res.names == ["yy", "m", "x2"]
    assert res["yy"].coef()["did"] == did.twfe(d, "yy", "year", "stkcd", "did", controls=("x1",)).coef()["did"]
