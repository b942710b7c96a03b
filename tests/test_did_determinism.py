"""Estimates do not depend on the interpreter's hash seed (smtext.did._pyfixest).

pyfixest collects the fixed effects of a formula in a ``set``, so their order -- and with
it where the alternating-projections demeaner stops -- followed ``PYTHONHASHSEED``:
standard errors of the same study differed by up to ~1e-4 (relative) between two runs.
Every fit now absorbs the fixed effects in formula order to a 1e-10 tolerance; these
tests run fresh interpreters with different hash seeds and compare bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ("1", "2", "3")


def _env(seed: str) -> dict:
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path}


_FIT = r"""
import numpy as np, pandas as pd, warnings
warnings.simplefilter("ignore")
from smtext.did.regression import fit_feols
rng = np.random.default_rng(0)
f = np.repeat(np.arange(200), 10); t = np.tile(np.arange(10), 200)
keep = rng.random(len(f)) > 0.2                       # unbalanced: the demeaner must iterate
f, t = f[keep], t[keep]
x = rng.normal(size=len(f)) + 0.3 * t
d = pd.DataFrame({"y": 0.5 * x + rng.normal(size=len(f)) + 0.1 * (f % 5), "x": x,
                  "firm": f, "year": t, "ind": f % 13})
r = fit_feols(d, "y", ["x"], ["firm", "year", "ind^year"], cluster="firm")
print(repr(float(r.coef()["x"])), repr(float(r.se()["x"])))
"""


@pytest.mark.slow
def test_fit_is_identical_across_hash_seeds():
    outs = {subprocess.run([sys.executable, "-c", _FIT], env=_env(s), capture_output=True, text=True,
                           check=True).stdout.strip() for s in SEEDS}
    assert len(outs) == 1, outs


def test_fixed_effects_keep_formula_order():
    from smtext.did._pyfixest import (
        DEMEANER,
        FIXEF_TOL,
        fixed_effects_in_formula_order,
        pf,
    )

    assert fixed_effects_in_formula_order()          # the wrapped pyfixest step is there
    assert DEMEANER.fixef_tol == FIXEF_TOL == 1e-10
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"y": rng.normal(size=60), "x": rng.normal(size=60),
                      "zz": np.repeat(np.arange(12), 5).astype(str), "aa": np.tile(np.arange(5), 12).astype(str)})
    for fml, order in (("y ~ x | zz + aa", ["zz", "aa"]), ("y ~ x | aa + zz", ["aa", "zz"])):
        m = pf.feols(fml, data=d, demeaner=DEMEANER)
        assert list(m._fe.columns) == [f"__fixed_effect__({c})" for c in order]  # what the demeaner sweeps


def test_matches_exact_within_estimator():
    # the tight tolerance: pyfixest's demeaned fit equals OLS on explicit dummies to 1e-9
    from smtext.did._pyfixest import DEMEANER, pf

    rng = np.random.default_rng(2)
    f = np.repeat(np.arange(40), 8)
    t = np.tile(np.arange(8), 40)
    keep = rng.random(len(f)) > 0.25
    f, t = f[keep], t[keep]
    x = rng.normal(size=len(f)) + 0.2 * t
    y = 0.7 * x + rng.normal(size=len(f)) + 0.05 * f
    d = pd.DataFrame({"y": y, "x": x, "f": f.astype(str), "t": t.astype(str)})
    m = pf.feols("y ~ x | f + t", data=d, demeaner=DEMEANER)
    X = np.column_stack([x, pd.get_dummies(d["f"], dtype=float).to_numpy(),
                         pd.get_dummies(d["t"], drop_first=True, dtype=float).to_numpy()])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    assert float(m.coef()["x"]) == pytest.approx(beta[0], abs=1e-9)


@pytest.mark.slow
def test_study_outputs_are_identical_across_hash_seeds(tmp_path):
    # a small world, then paper004 (TWFE with firm/year and industry-year FE, Poisson, IV, event
    # study) in two interpreters with different hash seeds: byte-identical estimates and truth check.
    # 60 firms: on 40, Width2 (defined from the fourth patent year on) has fewer rows than fixed effects (SM740)
    world = tmp_path / "W"
    subprocess.run([sys.executable, "-m", "smtext", "demo", "generate", "--out", str(world), "--firms", "60",
                    "--no-documents"], env=_env("0"), check=True, capture_output=True)
    outs = []
    for seed in SEEDS[:2]:
        out = tmp_path / f"O{seed}"
        subprocess.run([sys.executable, "-m", "smtext", "--quiet", "run", "paper004", "--world", str(world),
                        "--out", str(out)], env=_env(seed), check=True, capture_output=True)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].glob("stages/*/*/estimates.csv"))
    assert len(files) >= 5
    for rel in [*files, Path("truth_check.json")]:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_demeaning_that_does_not_converge_falls_back_with_a_warning():
    """Weakly connected fixed effects may not reach 1e-10: the model is refitted at pyfixest's own
    tolerance with SM568, never a raw ValueError; other errors pass through."""
    from smtext.did import _pyfixest as mod
    from smtext.errors import SMWarning

    seen = []

    def fit(*args, demeaner=None, **kwargs):
        seen.append(demeaner)
        if demeaner is mod.DEMEANER:
            raise ValueError("Demeaning failed after 20000 iterations.")
        return "fitted"

    with pytest.warns(SMWarning, match="SM568"):
        assert mod._fit(fit, ("y ~ x | a + b",), {"demeaner": mod.DEMEANER}) == "fitted"
    assert seen == [mod.DEMEANER, mod.FALLBACK]

    def other(*args, **kwargs):
        raise ValueError("something else")

    with pytest.raises(ValueError, match="something else"):
        mod._fit(other, (), {"demeaner": mod.DEMEANER})
