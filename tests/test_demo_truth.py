"""The demo plants its truth with its own code, and the measurement code recovers it.

1. No module of :mod:`smtext.demo` imports smtext's measurement or estimation code (checked on
   the source with ``ast``): a bug there must not move the planted truth along with the estimate.
2. The measurement code, run on the files of a generated world, gives the planted quantities
   the demo computes by its own definitions (:mod:`smtext.demo.truth`): an independent test of
   ``indicators.robots``, ``indicators.composite`` and ``indicators.shiftshare.dvar``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smtext.demo
from smtext.demo import WorldConfig
from smtext.demo.extras import NQPF_INDICATORS
from smtext.demo.truth import dvar_eq2, entropy_weights, robot_exposure
from smtext.indicators.composite import NQPF_002, entropy_weight
from smtext.indicators.robots import firm_robot_exposure
from smtext.indicators.shiftshare import dvar, dvar_steps

# smtext modules the demo may import: itself, coded errors, the run manifest, the job engine
# and progress display. Everything else in smtext measures or estimates something.
ALLOWED = ("smtext.demo", "smtext.errors", "smtext.manifest", "smtext.engine", "smtext.progress")
# agreement of two float computations of the same formula (in different operation orders)
RTOL = 1e-12

SMALL = WorldConfig(n_firms=60, seed=7)


def _imports(source: str, module: str) -> list[str]:
    """Absolute names of every module ``source`` (the module ``module``) imports, at any depth."""
    package = module.rsplit(".", 1)[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb level - 1 packages above this one
                parts = package.split(".")
                anchor = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            # `from . import x` and `from smtext import x` import the submodule x
            names += [f"{base}.{a.name}" if not node.module or base == "smtext" else base for a in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            names.append("<dynamic import>")
    return names


def _forbidden(names: list[str]) -> list[str]:
    return [n for n in names if n == "<dynamic import>" or (
        (n == "smtext" or n.startswith("smtext.")) and not any(n == a or n.startswith(a + ".") for a in ALLOWED))]


def test_the_import_check_catches_measurement_imports():
    src = ("from ..indicators.robots import firm_robot_exposure\nfrom . import extras\nimport smtext.did\n"
           "from smtext import patents\nfrom ..manifest import file_sha256\n"
           "def f():\n    from ..text.count import count_terms\n")
    assert _forbidden(_imports(src, "smtext.demo.world")) == [
        "smtext.indicators.robots", "smtext.did", "smtext.patents", "smtext.text.count"]


def test_no_demo_module_imports_measurement_code():
    root = Path(smtext.demo.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10
    bad = {}
    for path in modules:
        rel = path.relative_to(root).with_suffix("")
        module = ".".join(("smtext", "demo", *rel.parts))
        if path.name == "__init__.py":
            module = module.rsplit(".", 1)[0] + ".__init__"   # its package is the folder itself
        found = _forbidden(_imports(path.read_text(encoding="utf-8"), module))
        if found:
            bad[str(rel)] = found
    assert not bad, f"smtext.demo imports measurement code: {bad}"


# ----------------------------------------------------------- measurement vs planted truth

@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=SMALL.n_firms, seed=SMALL.seed)


@pytest.fixture(scope="module")
def truth(world):
    return json.loads((world / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def panel(world):
    """Firm-years as a user assembles them from data/ (financials carry two duplicate rows)."""
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    firms = pd.read_parquet(world / "data" / "firms.parquet")[["stkcd", "industry"]]
    extras = pd.read_parquet(world / "data" / "firm_extras.parquet")
    return (fin.merge(firms, on="stkcd", validate="many_to_one")
            .merge(extras, on=["stkcd", "year"], validate="one_to_one")
            .sort_values(["stkcd", "year"], ignore_index=True))


def test_robot_exposure_equals_the_planted_one(world, truth, panel):
    robots = pd.read_parquet(world / "data" / "industry_robots.parquet")
    scale = truth["effects"]["dvar_robot"]["robot_scale"]
    planted = pd.read_parquet(world / "truth" / "dvar.parquet")
    planted = panel[["stkcd", "year"]].merge(planted, on=["stkcd", "year"], how="left", validate="one_to_one")
    got = firm_robot_exposure(panel, robots, scale=scale)
    assert planted["robot_penetration"].notna().all() and got.notna().all()
    np.testing.assert_allclose(got, planted["robot_penetration"], rtol=RTOL)
    # the demo's definition, run on the files, gives the same numbers
    np.testing.assert_allclose(robot_exposure(panel, robots, scale), planted["robot_penetration"], rtol=RTOL)


def test_robot_exposure_with_firms_entering_late_and_a_missing_year():
    """Firms with different first years and an industry-year without robots: both agree, NaN included."""
    panel = pd.DataFrame({"stkcd": ["1", "1", "2", "2", "3", "3", "4"],
                          "year": [2010, 2011, 2011, 2012, 2010, 2011, 2012],
                          "industry": ["A", "A", "A", "A", "B", "B", "B"],
                          "employees": [100, 120, 50, 55, 80, 90, 40],
                          "production_workers": [60, 70, 20, 30, 64, 60, 10]})
    robots = pd.DataFrame({"industry": ["A", "A", "A", "B", "B"], "year": [2010, 2011, 2012, 2010, 2012],
                           "robot_stock": [5.0, 8.0, 12.0, 20.0, 30.0]})
    mine = robot_exposure(panel, robots, scale=1000)
    theirs = firm_robot_exposure(panel, robots, scale=1000).to_numpy()
    np.testing.assert_allclose(theirs, mine, rtol=RTOL)   # NaN where the other is NaN
    # by hand: base shares 0.6, 0.4, 0.8, 0.25 (median 0.5); base employment A 100 + 50, B 80 + 40
    assert mine[0] == pytest.approx(0.6 / 0.5 * 1000 * 5.0 / 150)
    assert mine[6] == pytest.approx(0.25 / 0.5 * 1000 * 30.0 / 120)
    assert np.isnan(mine[5])   # no robot stock for B in 2011


def test_nqpf_specification_is_the_one_planted():
    assert {k: v[0] for k, v in NQPF_INDICATORS.items()} == NQPF_002


def test_entropy_weights_and_index_equal_the_planted_ones(world, truth):
    extras = pd.read_parquet(world / "data" / "firm_extras.parquet")
    planted = truth["effects"]["nqpf_index"]
    res = entropy_weight(extras, NQPF_002)
    w = res.weights.iloc[0]
    np.testing.assert_allclose([w[k] for k in NQPF_002], [planted["weights"][k] for k in NQPF_002], rtol=RTOL)
    # the index is sum_j w_j z_ij with z the direction-aware min-max scores shifted by 1e-4
    X = extras[list(NQPF_002)].to_numpy(float)
    positive = np.array([d == "+" for d in NQPF_002.values()])
    z = np.where(positive, X - X.min(axis=0), X.max(axis=0) - X) / (X.max(axis=0) - X.min(axis=0)) + 1e-4
    np.testing.assert_allclose(res.score, z @ entropy_weights(X, positive), rtol=RTOL)
    # the planted effect is the index's response to delta_j in every indicator
    att = sum(w[k] * planted["delta"][k] * (1 if d == "+" else -1) / planted["range"][k] for k, d in NQPF_002.items())
    assert att == pytest.approx(planted["att"], rel=RTOL)


def test_entropy_weights_by_hand():
    """Columns that normalize to the same scores get equal weights, whatever their direction."""
    X = np.array([[0.0, 5.0, 1.0], [1.0, 3.0, 1.5], [0.5, 4.0, 3.0]])
    w = entropy_weights(X, np.array([True, False, True]))
    assert w[0] == pytest.approx(w[1], rel=RTOL) and w.sum() == pytest.approx(1.0)
    res = entropy_weight(pd.DataFrame(X, columns=["a", "b", "c"]), {"a": "+", "b": "-", "c": "+"})
    np.testing.assert_allclose(res.weights.iloc[0].to_numpy(), w, rtol=RTOL)


def test_dvar_from_the_customs_records_equals_the_planted_one(world):
    """Upward-Wang-Zheng DVAR from data/trade.parquet with revenue as total sales."""
    trade = pd.read_parquet(world / "data" / "trade.parquet")
    wide = trade.pivot_table(index=["stkcd", "year"], columns="trade_mode", values=["exports", "imports",
                                                                                  "imports_capital_goods"])
    wide.columns = [f"{v}_{m}" for v, m in wide.columns]
    wide = wide.reset_index()
    for mode in ("processing", "ordinary"):   # capital goods are not intermediate inputs
        wide[f"inter_{mode}"] = wide[f"imports_{mode}"] - wide[f"imports_capital_goods_{mode}"]
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    d = wide.merge(fin[["stkcd", "year", "revenue"]], on=["stkcd", "year"], validate="one_to_one")
    d["exports"] = d["exports_processing"] + d["exports_ordinary"]
    got = dvar(d, processing_imports="inter_processing", ordinary_imports="inter_ordinary", sales="revenue")
    planted = d[["stkcd", "year"]].merge(pd.read_parquet(world / "truth" / "dvar.parquet"), on=["stkcd", "year"])
    ok = planted["dvar"].notna().to_numpy()
    assert ok.sum() > 50
    np.testing.assert_allclose(got[ok], planted.loc[ok, "dvar"], atol=1e-9)


def test_dvar_eq2_from_the_files_equals_the_planted_one(world):
    """Paper 003 eq. (2): smtext.indicators.shiftshare.dvar_steps on the world's files against smtext.demo.truth."""
    trade = pd.read_parquet(world / "data" / "trade.parquet")
    wide = trade.assign(inter=trade["imports"] - trade["imports_capital_goods"]).pivot_table(
        index=["stkcd", "year"], columns="trade_mode", values=["exports", "inter"])
    wide.columns = [f"{v}_{m}" for v, m in wide.columns]
    fin = pd.read_parquet(world / "data" / "financials.parquet").drop_duplicates(["stkcd", "year"])
    firms = pd.read_parquet(world / "data" / "firms.parquet")[["stkcd", "industry"]]
    shares = pd.read_parquet(world / "data" / "trade_intermediaries.parquet")
    last = fin[["stkcd", "year", "fixed_assets_net"]].assign(year=fin["year"] + 1).rename(
        columns={"fixed_assets_net": "nfa_last"})
    d = (wide.reset_index().merge(fin, on=["stkcd", "year"], validate="one_to_one")
         .merge(last, on=["stkcd", "year"], how="left").merge(firms, on="stkcd")
         .merge(shares, on=["industry", "year"], validate="many_to_one"))
    d["nfa"] = ((d["fixed_assets_net"] + d["nfa_last"]) / 2).fillna(d["fixed_assets_net"])
    d["exports"] = d["exports_processing"] + d["exports_ordinary"]
    got = dvar_steps(d, processing_imports="inter_processing", ordinary_imports="inter_ordinary", sales="revenue",
                     intermediate_inputs="cash_paid_goods", nfa="nfa")
    planted = d[["stkcd", "year"]].merge(pd.read_parquet(world / "truth" / "dvar.parquet"), on=["stkcd", "year"])
    assert planted["dvar_eq2"].notna().sum() > 50 and d["nfa_last"].isna().any()
    np.testing.assert_allclose(got["DVAR_raw"], planted["dvar_eq2"], rtol=1e-9)
    # the adjustments move the ratio away from the UWZ one the robot effect is planted on
    assert (planted["dvar_eq2"] - planted["dvar"]).abs().mean() > 0.01


def test_dvar_eq2_of_the_demo_by_hand():
    """The demo's definition on one firm-year computed by hand (a second year shows the NFA average)."""
    trade = pd.DataFrame({"stkcd": ["1"] * 2, "year": [2012] * 2, "trade_mode": ["processing", "ordinary"],
                          "exports": [400.0, 600.0], "imports": [210.0, 470.0], "imports_capital_goods": [10.0, 10.0]})
    fin = pd.DataFrame({"stkcd": ["1", "1"], "year": [2011, 2012], "revenue": [4000.0, 5000.0],
                        "cash_paid_goods": [2500.0, 3000.0], "fixed_assets_net": [1000.0, 1400.0]})
    shares = pd.DataFrame({"industry": ["C39"], "year": [2012], "intermediary_share": [0.2]})
    got = dvar_eq2(trade, fin, shares, pd.Series({"1": "C39"}))
    # MPA 250, MoAM 575, ordinary 600 * 575 / 4600 = 75, 0.05 * 2675 = 133.75, NFA 1200 -> 50.04
    assert got["dvar_eq2"].iloc[0] == pytest.approx(1 - (250 + 75 - 133.75 - 50.04) / 1000, rel=1e-12)


def test_stochastic_frontier_recovers_the_planted_one(world, truth, panel):
    """Paper 002 Cur: the half-normal frontier on gross_output, fixed assets and employees of the files."""
    from smtext.indicators.frontier import stochastic_frontier

    planted = truth["effects"]["capacity_frontier"]
    te = panel[["stkcd", "year"]].merge(pd.read_parquet(world / "truth" / "frontier.parquet"), on=["stkcd", "year"],
                                        validate="one_to_one")["technical_efficiency"]
    d = pd.DataFrame({"ly": np.log(panel["gross_output"]), "lk": np.log(panel["fixed_assets_net"]),
                      "ll": np.log(panel["employees"])})
    res = stochastic_frontier(d, "ly", ["lk", "ll"])
    assert res.converged and res.nobs == len(panel)
    for name, key in (("lk", "ln_capital"), ("ll", "ln_labour"), ("sigma_v", "sigma_v")):
        assert abs(res.params[name] - planted[key]) < 3 * res.se[name], name
    # sigma_u: the pilots' smaller scale pulls the pooled estimate a little below the planted 0.3
    assert planted["sigma_u"] * 0.8 < res.params["sigma_u"] < planted["sigma_u"] * 1.05
    assert abs(res.efficiency["te_bc"].mean() - te.mean()) < 0.015
    assert np.corrcoef(res.efficiency["te_bc"], te)[0, 1] > 0.8
