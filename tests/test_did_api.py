"""One API shape for smtext.did: signatures, the result base, the lazy registry."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
import warnings

import numpy as np
import pandas as pd
import pytest

import smtext.did as did
from smtext.did._results import RegResult, Result, ResultSet
from smtext.did.simulate import simulate_panel

MODULES = ("regression", "event", "placebo", "timing", "matching", "ebalance", "iv", "variants", "hetero",
           "mechanism", "decompose", "cs", "drdid", "two_stage", "imputation", "sun_abraham", "compare",
           "sensitivity", "selection", "dml", "interactive_fe", "simulate", "_fe", "_prepare", "_results")

# the fifth positional column: the cohort (first treated year) or the 0/1 treatment
COHORT = {"event_study", "placebo_test", "callaway_santanna", "did2s", "did_imputation", "sunab",
          "robust_comparison"}

# cheap keyword arguments for one call of each estimator on the fixture panel
CALLS = {
    "twfe": {},
    "twfe_progressive": {"controls": ("x1",)},
    "event_study": {"window": (-3, 3)},
    "placebo_test": {"dname": "did", "draws": 20, "seed": 1},
    "psm_did": {"treat": "treat", "covariates": ["x2"], "psm_kwargs": {"k": 1, "replace": True}},
    "iv_2sls": {"instruments": ["z"]},
    "fepois_did": {"yname": "count"},
    "logit_did": {"yname": "ybin", "fe": ("year",)},
    "negbin_did": {"yname": "count", "fe": ("year",)},
    "competing_policies": {"policies": ["other"]},
    "split_sample": {"by": "soe"},
    "permutation_diff_test": {"by": "soe", "draws": 20, "seed": 2},
    "interaction_test": {"moderator": "soe"},
    "mechanism_two_step": {"mediators": ["x1"]},
    "mediation_sobel": {"mediator": "x1"},
    "bacon": {},
    "twfe_weights": {},
    "callaway_santanna": {},
    "did2s": {},
    "did_imputation": {},
    "sunab": {},
    "robust_comparison": {},
    "heckman": {"selection": "treat", "exclusion": "x2", "controls": ["x1"]},
    "dml_plr": {"controls": ["x1", "x2"], "learner": "ridge", "n_folds": 2, "seed": 3},
    "ife": {"controls": ["x1"], "r": 1},
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = simulate_panel(n_units=60, years=(2011, 2018), cohorts=(2014, 2015, 2016), seed=3)
    rng = np.random.default_rng(0)
    d["z"] = d["did"] + rng.normal(size=len(d))
    d["ybin"] = (d["y"] > d["y"].median()).astype(int)
    d["treat"] = (d["gname"] > 0).astype(int)
    d["other"] = ((d["city"] < 8) & (d["year"] >= 2015)).astype(int)
    return d


@pytest.fixture(scope="module")
def results(panel) -> dict:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kw in CALLS.items():
            kw = dict(kw)
            y = kw.pop("yname", "y")
            out[name] = getattr(did, name)(panel, y, "year", "stkcd", "gname" if name in COHORT else "did", **kw)
    return out


def test_registry_is_lazy_and_never_shadowed_by_a_module():
    for m in MODULES:
        importlib.import_module(f"smtext.did.{m}")
    for name, module in did._API.items():
        obj = getattr(did, name)
        assert not inspect.ismodule(obj), name
        assert obj is getattr(importlib.import_module(f"smtext.did.{module}"), name)
        assert name not in MODULES, name  # a function named like its module would be shadowed on import
    assert set(did.ESTIMATORS) == set(CALLS)
    with pytest.raises(AttributeError):
        did.no_such_estimator  # noqa: B018


@pytest.mark.parametrize("name", sorted(CALLS))
def test_estimator_signature(name):
    fn = getattr(did, name)
    params = list(inspect.signature(fn).parameters.values())
    fifth = "gname" if name in COHORT else "dname"
    assert [p.name for p in params[:5]] == ["data", "yname", "tname", "idname", fifth]
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:5])
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[5:]), name
    assert "random_state" not in {p.name for p in params}
    ret = typing.get_type_hints(fn)["return"]
    assert inspect.isclass(ret) and issubclass(ret, Result), (name, ret)


def test_randomness_goes_through_seed():
    for name in ("placebo_test", "permutation_diff_test", "dml_plr", "honest", "honest_from_estimates", "psm",
                 "simulate_panel", "simulate_staggered"):
        params = inspect.signature(getattr(did, name)).parameters
        assert "seed" in params and params["seed"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert "random_state" not in params, name


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_estimator_returns_a_frozen_result(results, name):
    r = results[name]
    assert isinstance(r, Result) and isinstance(r, typing.get_type_hints(getattr(did, name))["return"])
    assert isinstance(r.tidy(), pd.DataFrame) and len(r.tidy())
    coef, se, p = r.coef(), r.se(), r.pvalue()
    assert isinstance(coef, pd.Series) and len(coef) and coef.index.equals(se.index) and coef.index.equals(p.index)
    ci = r.confint()
    assert list(ci.columns) == ["ci_low", "ci_high"] and ci.index.equals(coef.index)
    ok = se.notna().to_numpy() & (se > 0).to_numpy()
    assert (ci["ci_low"].to_numpy()[ok] <= coef.to_numpy()[ok]).all()
    assert isinstance(r.summary(), str) and str(r) == r.summary() and r._repr_html_().startswith("<")
    assert r.nobs is not None
    field = dataclasses.fields(r)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(r, field, None)


def test_helpers_return_results_too(panel, results):
    psm = results["psm_did"].matching
    eb = did.entropy_balance(panel, "treat", ["x2"])
    cs = results["callaway_santanna"]
    honest = did.honest(results["did2s"].event, method="SD", grid=[0.0, 0.1])
    for r in (psm, eb, cs.aggregate("group"), cs.aggregate("dynamic"), results["did2s"].event, honest):
        assert isinstance(r, Result)
        assert len(r.coef()) and isinstance(r.tidy(), pd.DataFrame) and r.summary()
    # an event study of the TWFE kind feeds HonestDiD as well (its covariance is attached)
    assert len(did.honest(results["event_study"], method="SD", grid=[0.0]).tidy()) == 2


def test_regression_result_confint_and_pvalue_equal_its_table(results):
    r = results["twfe"]
    t = r.tidy()
    pd.testing.assert_frame_equal(r.confint(), t[["ci_low", "ci_high"]], check_names=False)
    pd.testing.assert_series_equal(r.pvalue(), t["p_value"], check_names=False)
    wide = r.confint(0.01)
    assert (wide["ci_low"] < t["ci_low"]).all() and (wide["ci_high"] > t["ci_high"]).all()
    ev = results["event_study"]
    assert list(ev.coef().index) == list(ev.tidy()["rel_time"])
    np.testing.assert_allclose(ev.confint()["ci_low"], ev.tidy()["ci_low"].to_numpy(), rtol=1e-12)


def test_result_set_is_ordered_indexable_and_stacks(results):
    from smtext.report import regression_table

    rs = results["twfe_progressive"]
    assert isinstance(rs, ResultSet) and rs.names == ["bare", "controls", "full"] and len(rs) == 3
    assert all(isinstance(m, RegResult) for m in rs) and rs["full"] is list(rs)[2] and "bare" in rs
    tidy = rs.tidy()
    assert list(tidy.columns[:2]) == ["model", "term"] and list(tidy["model"].unique()) == rs.names
    assert rs.coef()[("full", "did")] == rs["full"].coef()["did"]
    assert rs.confint().loc[("bare", "did"), "ci_low"] == rs["bare"].tidy().loc["did", "ci_low"]
    assert rs.nobs.to_dict() == {k: m.nobs for k, m in rs.items()}
    with pytest.raises(KeyError):
        rs["fe"]
    # a result set is one table column per member, as the list of its members
    assert regression_table(rs).to_markdown() == regression_table(list(rs)).to_markdown()
    comp = results["robust_comparison"]
    assert comp.names == list(comp.events) == ["TWFE", "did2s", "CS", "BJS", "SA"]


def test_report_figures_read_results(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from smtext.report import event_study_compare_plot, honest_did_plot

    comp = results["robust_comparison"]
    fig = event_study_compare_plot(comp, language="en")
    assert [c.get_label() for c in fig.axes[0].containers] == comp.names
    plt.close(fig)
    fig = honest_did_plot(did.honest(comp["did2s"].event, method="SD", grid=[0.0, 0.1]), language="en")
    plt.close(fig)
