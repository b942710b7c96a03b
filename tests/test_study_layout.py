"""Table options, sample rules, group splits and definition tables of study specs (no demo world needed).

Each piece is checked against an independent computation: the reghdfe constant against a
statsmodels LSDV fit, the sample rules and splits against counts and cuts written out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.study import loads


def _panel(n=40, t=6, seed=0):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"stkcd": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2010, 2010 + t), n)})
    d["DID"] = ((d.stkcd < 15) & (d.year >= 2013)).astype(int)
    d["x1"] = rng.normal(size=len(d))
    d["y"] = 1 + 0.5 * d.DID + 0.3 * d.x1 + rng.normal(size=len(d)) + d.stkcd * 0.01
    return d


# ---------------------------------------------------------------- the constant row (reghdfe's _cons)
@pytest.mark.parametrize("vc", ["cluster", "hetero", "iid"])
def test_absorbed_constant_matches_lsdv_with_sum_coded_firm_dummies(vc):
    """On a balanced panel with firm FE, reghdfe's _cons (mean y - mean X b) is the intercept of OLS with
    sum-to-zero firm dummies; its standard error relative to the DID's is the same in both fits."""
    import statsmodels.formula.api as smf

    from smtext import did
    from smtext.did.constant import absorbed_constant

    d = _panel()
    kw = {"cluster": "stkcd"} if vc == "cluster" else {"vcov": vc}
    r = did.twfe(d, "y", "year", "stkcd", "DID", controls=["x1"], time_fe=False, **kw)
    cons, se = absorbed_constant(r)
    fit = {"cluster": {"cov_type": "cluster", "cov_kwds": {"groups": d.stkcd}}, "hetero": {"cov_type": "HC1"},
           "iid": {}}[vc]
    ref = smf.ols("y ~ DID + x1 + C(stkcd, Sum)", d).fit(**fit)
    assert cons == pytest.approx(ref.params["Intercept"], abs=1e-10)
    # the small-sample factors differ (LSDV counts the dummies), the ratio to the slope's SE does not
    assert se / r.se()["DID"] == pytest.approx(ref.bse["Intercept"] / ref.bse["DID"], rel=1e-8)


def test_absorbed_constant_of_2sls_matches_linearmodels():
    """The 2SLS constant (paper 000 Table 5 column 3) against linearmodels IV2SLS with sum-coded firm and year
    dummies on a balanced panel: the same intercept, the same ratio of its clustered SE to the slope's."""
    from linearmodels.iv import IV2SLS

    from smtext import did
    from smtext.did.constant import absorbed_constant

    rng = np.random.default_rng(11)
    d = _panel(seed=1)
    d["z"] = rng.normal(size=len(d))
    d["endo"] = 0.8 * d["z"] + rng.normal(size=len(d))
    d["y"] = d["y"] + 0.5 * d["endo"]
    r = did.iv_2sls(d, "y", "year", "stkcd", "endo", instruments="z", controls=["x1"], cluster="stkcd")
    cons, se = absorbed_constant(r)

    def sum_coded(col):
        dm = pd.get_dummies(d[col], prefix=col, dtype=float)
        return dm.iloc[:, :-1].sub(dm.iloc[:, -1], axis=0)

    exog = pd.concat([pd.Series(1.0, index=d.index, name="const"), d[["x1"]], sum_coded("stkcd"),
                      sum_coded("year")], axis=1)
    ref = IV2SLS(d["y"], exog, d[["endo"]], d[["z"]]).fit(cov_type="clustered", clusters=d["stkcd"])
    assert r.coef()["endo"] == pytest.approx(ref.params["endo"], abs=1e-10)
    assert cons == pytest.approx(ref.params["const"], abs=1e-10)
    assert se / r.se()["endo"] == pytest.approx(ref.std_errors["const"] / ref.std_errors["endo"], rel=1e-8)


def test_with_constant_renames_an_own_intercept_and_adds_the_absorbed_one():
    from smtext import did
    from smtext.did.constant import CONSTANT, with_constant

    d = _panel()
    bare = did.twfe(d, "y", "year", "stkcd", "DID", unit_fe=False, time_fe=False, cluster="stkcd")
    fe = did.twfe(d, "y", "year", "stkcd", "DID", controls=["x1"], cluster="stkcd")
    b2, f2 = with_constant(bare), with_constant(fe)
    assert CONSTANT in b2.coef().index and "Intercept" not in b2.coef().index
    assert b2.coef()[CONSTANT] == bare.coef()["Intercept"]
    assert CONSTANT in f2.coef().index
    expected = d["y"].mean() - d[["DID", "x1"]].mean() @ fe.coef()[["DID", "x1"]]
    assert f2.coef()[CONSTANT] == pytest.approx(expected, abs=1e-10)
    assert f2.coef()[["DID", "x1"]].equals(fe.coef()[["DID", "x1"]])   # the slopes stay as they were


def test_regression_table_r2_fe_row_and_paper000_stars():
    from smtext import did
    from smtext.report import format_number, regression_table

    d = _panel()
    bare = did.twfe(d, "y", "year", "stkcd", "DID", unit_fe=False, time_fe=False, cluster="stkcd")
    fe = did.twfe(d, "y", "year", "stkcd", "DID", controls=["x1"], cluster="stkcd")
    t = regression_table([bare, fe], stats=("nobs", "r2_fe"), stars=(0.05, 0.01, 0.001), keep=["DID"])
    r2_row = next(r for r in t.sections[-1] if r[0] == "R²")
    assert r2_row[1:] == [format_number(bare.r2, 3), format_number(fe.r2_within, 3)]
    assert fe.r2_within != fe.r2
    p = t.values.set_index("column").loc[2, "p_value"]
    assert t.values.set_index("column").loc[2, "stars"] == "*" * sum(p < s for s in (0.05, 0.01, 0.001))
    assert "5%、1%、0.1%" in t.notes[-1]


# ---------------------------------------------------------------- table stage helpers
def test_common_sample_and_clustering_note():
    from smtext.study.outputs import clustering_note, common_sample

    d = pd.DataFrame({"a": [1, np.nan, 3, 4], "b": [1, 2, np.nan, 4], "c": ["x", "y", "z", None]})
    info: dict = {}
    got = common_sample(d, ["a", "b"], info)
    assert list(got.index) == [0, 3] and info["common_sample"]["dropped"] == 2
    labels = {"stkcd": "企业", "city": "城市"}
    assert clustering_note([{"y": "a"}], None, labels) == "论文未说明聚类层级，此处按企业聚类（smtext 的选择）。"
    assert "城市" in clustering_note([{"y": "a", "cluster": "city"}], None, labels)
    assert clustering_note([{"y": "a", "vcov": "iid"}], None, labels) is None
    assert clustering_note([{"y": "a"}], "论文：聚类到城市。", labels) == "论文：聚类到城市。"


# ---------------------------------------------------------------- sample rules
def _firm_years():
    # firm 1: ST in 2012 only; firm 2 listed 2011; firm 3 insolvent in 2013; firm 4 delisting flag in 2014
    rows = []
    for f, listed in ((1, 2000), (2, 2011), (3, 2000), (4, 2000)):
        for y in range(2011, 2015):
            rows.append({"stkcd": f, "year": y, "listing_year": listed, "is_st": int(f == 1 and y == 2012),
                         "Lev": 1.2 if (f == 3 and y == 2013) else 0.5, "flag": int(f == 4 and y == 2014)})
    return pd.DataFrame(rows)


def test_sample_rules_drop_what_the_papers_say_and_record_it(capsys):
    from smtext.study.sample import apply_rules

    d = _firm_years()
    steps: list = []
    out = apply_rules(d, {"drop_st": True, "st_scope": "firm", "listing_age": {"years": 1},
                          "drop_delisting": "flag", "drop_insolvent": True}, steps)
    # firm 1 (ever ST): 4 rows; firm 2's listing year 2011: 1 row; firm 4 (flag): 4 rows; firm 3 in 2013: 1 row
    assert [s["dropped"] for s in steps] == [4, 1, 4, 1]
    assert sorted(map(tuple, out[["stkcd", "year"]].to_numpy())) == [(2, 2012), (2, 2013), (2, 2014),
                                                                     (3, 2011), (3, 2012), (3, 2014)]
    printed = capsys.readouterr().out
    assert "ever flagged" in printed and "Lev > 1" in printed
    # per firm: firm 2 is listed 3 years by 2014, fewer than 5, so all its rows go; the others stay
    steps = []
    out = apply_rules(d, {"drop_st": False, "listing_age": {"years": 5, "per": "firm"}}, steps)
    assert steps[0]["dropped"] == 4 and 2 not in set(out["stkcd"])
    # the default ST scope leaves firm-years to the standard filter: no extra step
    assert apply_rules(d, {"drop_st": True}, []).equals(d)


def test_winsorize_all_continuous_clips_float_columns_only():
    from smtext.study.variables import continuous_columns, winsorize_continuous

    rng = np.random.default_rng(3)
    n = 500
    d = pd.DataFrame({"stkcd": np.arange(n), "year": 2015, "DID": rng.integers(0, 2, n), "gname": 0,
                      "v": rng.standard_t(2, n), "w": rng.normal(size=n), "dummy": rng.integers(0, 2, n).astype(float),
                      "keep_me": rng.standard_t(2, n), "name": "x"})
    spec = loads("study: s\ntreatment: {dname: DID}\ntables: {t: {columns: [{y: v}]}}\n")
    assert continuous_columns(d, spec, exclude=["keep_me"]) == ["v", "w"]
    info: dict = {}
    out = winsorize_continuous(d, spec, {"columns": "all_continuous", "exclude": ["keep_me"]}, info)
    lo, hi = np.quantile(d["v"], [0.01, 0.99])
    assert out["v"].min() == pytest.approx(lo) and out["v"].max() == pytest.approx(hi)
    assert out["keep_me"].equals(d["keep_me"]) and out["dummy"].equals(d["dummy"])
    assert info["winsorized"]["values_clipped"] == int(((d["v"] < lo) | (d["v"] > hi)).sum()
                                                       + ((d["w"] < np.quantile(d["w"], 0.01))
                                                          | (d["w"] > np.quantile(d["w"], 0.99))).sum())


# ---------------------------------------------------------------- group splits
def test_split_at_mean_pooled_and_median_by_year():
    from smtext.study.variables import derive

    d = pd.DataFrame({"year": [1, 1, 1, 2, 2, 2], "h": [1.0, 2.0, 9.0, 5.0, 6.0, np.nan]})
    pooled = derive(d, {"split_at": {"column": "h", "stat": "mean", "labels": ["hi", "lo"]}})
    assert list(pooled[:5]) == ["lo", "lo", "hi", "hi", "hi"] and pd.isna(pooled[5])   # mean of 1,2,9,5,6 = 4.6
    by_year = derive(d, {"split_at": {"column": "h", "by": ["year"]}})   # medians 2 and 5.5
    assert list(by_year[:5]) == ["低于中位数", "低于中位数", "高于中位数", "低于中位数", "高于中位数"]
    assert pd.isna(by_year[5])


# ---------------------------------------------------------------- spec vocabulary
BASE = "study: s\ntables:\n  t:\n    columns: [{y: a}]\n"


def test_table_options_are_validated_and_documented():
    from smtext.study.vocabulary import reference

    loads(BASE + "    stars: [0.05, 0.01, 0.001]\n    r2: adj\n    constant: true\n    sample: common\n")
    with pytest.raises(SMError) as e:
        loads(BASE + "    stars: [0.05, 5]\n")
    assert e.value.code == "SM703" and "<spec>:" in str(e.value)
    with pytest.raises(SMError, match="SM703"):
        loads(BASE + "    r2: within_r2\n")
    with pytest.raises(SMError, match="SM703"):
        loads("study: s\nsample: {winsorize: {columns: everything}}\n" + BASE[9:])
    ref = reference()
    for word in ("`stars`", "`r2`", "`constant`", "`sample`", "`clustering`", "`split_at`", "`negbin`",
                 "`definitions`", "`listing_age`", "`drop_insolvent`", "`drop_delisting`", "`st_scope`",
                 "all_continuous"):
        assert word in ref, word
    assert "gmm" in ref


def test_definitions_table_rows_and_missing_definition():
    from smtext.study.definitions import definitions_table

    text = ("study: s\nlabels: {TFP_LP: TFP}\ndefinitions:\n  TFP_LP: {name: 全要素生产率, text: LP 法计算}\n"
            "  Lev: 负债总额/资产总额\ntables:\n  t1:\n    columns:\n      - kind: definitions\n"
            "        groups: [[被解释变量, [TFP_LP]], [控制变量, [Lev]]]\n")
    spec = loads(text)
    table, n = definitions_table(spec, [["被解释变量", ["TFP_LP"]], ["控制变量", ["Lev"]]], {"TFP_LP": "TFP"})
    assert n == 2
    assert table.sections[0] == [["被解释变量", "全要素生产率", "TFP", "LP 法计算"], ["控制变量", "", "Lev", "负债总额/资产总额"]]
    with pytest.raises(SMError) as e:
        loads(text.replace("[控制变量, [Lev]]", "[控制变量, [Lev, ROA]]"))
    assert e.value.code == "SM730" and "ROA" in str(e.value) and "<spec>:" in str(e.value)


def test_bundled_specs_use_the_papers_choices():
    from smtext.study.vocabulary import load

    s0, s1, s2, s4 = (load(f"paper00{i}") for i in (0, 1, 2, 4))
    assert s0.get("report")["stars"] == [0.05, 0.01, 0.001]
    assert s0.get("tables")["table3_baseline"]["constant"] is True
    assert s0.get("tables")["table3_baseline"]["columns"][0]["sample"] == "per_column"
    assert s0.get("figures")["figure3_placebo"]["draws"] == 1000
    assert s0.get("figures")["figure2_event_study"]["window"] == [-3, 3]
    assert "TFP_GMM" in [c.get("y") for c in s0.get("tables")["table6_robustness"]["columns"]]
    assert s1.get("figures")["figure2_placebo"]["draws"] == 10101
    assert s1.get("variables")["concentration"]["split_at"]["stat"] == "mean"
    assert s2.get("variables")["ipr"]["split_at"]["by"] == ["year"]
    assert s2.get("sample")["listing_age"] == {"years": 1} and s2.get("sample")["drop_insolvent"] is True
    assert s4.get("report")["r2"] == "adj" and s4.get("sample")["listing_age"]["years"] == 5
    assert s4.get("figures")["figure_event_study"]["window"] == [-5, 3]


def test_negbin_column_kind_matches_statsmodels():
    import statsmodels.api as sm

    from smtext.study.models import fit_column

    rng = np.random.default_rng(5)
    d = _panel(n=60, t=5, seed=5)
    d["n"] = rng.negative_binomial(2, 1 / (1 + np.exp(0.3 + 0.4 * d["DID"] + 0.2 * d["x1"]) / 2))
    spec = loads("study: s\ntables: {t: {columns: [{kind: negbin, y: n, controls: [x1], fe: [year]}]}}\n")
    entry = spec.get("tables")["t"]["columns"][0]
    (res,) = fit_column(spec, entry, d, "DID", {}, {})
    X = sm.add_constant(pd.concat([d[["DID", "x1"]], pd.get_dummies(d["year"], prefix="y", drop_first=True,
                                                                   dtype=float)], axis=1))
    ref = sm.NegativeBinomial(d["n"], X, loglike_method="nb2").fit(method="newton", disp=0, maxiter=200, tol=1e-12)
    # the same maximum of the NB2 likelihood, reached by two optimizers: agreement to 1e-3
    assert res.coef()["DID"] == pytest.approx(ref.params["DID"], abs=1e-3)
    assert res.extra["alpha"] == pytest.approx(ref.params["alpha"], rel=1e-2)


def test_progressive_per_column_samples_match_the_common_sample_fits_where_complete():
    """sample: per_column fits each step on its own complete cases: the steps without controls keep the rows
    missing a control (pyfixest on those rows), the full step equals the common-sample fit."""
    import pyfixest as pf

    from smtext.study.models import fit_column

    d = _panel()
    d.loc[:20, "x1"] = np.nan
    spec = loads("study: s\ntables: {t: {columns: [{kind: progressive, y: y, controls: [x1], sample: per_column}]}}\n")
    entry = spec.get("tables")["t"]["columns"][0]
    bare, fe, full = fit_column(spec, entry, d, "DID", {}, {})
    assert [bare.nobs, fe.nobs, full.nobs] == [len(d), len(d), len(d) - 21]
    ref = pf.feols("y ~ DID | stkcd + year", data=d, vcov={"CRV1": "stkcd"})
    assert fe.coef()["DID"] == pytest.approx(ref.coef()["DID"], abs=1e-10)
    common = fit_column(spec, {**entry, "sample": "common"}, d, "DID", {}, {})
    assert [m.nobs for m in common] == [len(d) - 21] * 3
    assert full.coef()["DID"] == pytest.approx(common[2].coef()["DID"], abs=1e-12)


def test_adjusted_r2_without_residual_degrees_of_freedom_is_left_blank_with_a_note():
    """Adjusted R2 = 1 - (1 - R2)(n - 1)/(n - k) exceeds 1 when the fixed effects use up the observations;
    the table prints no number there and says why."""
    from smtext import did
    from smtext.report import regression_table

    d = _panel(n=6, t=3)
    d["DID"] = ((d.stkcd < 3) & (d.year >= 2011)).astype(int)
    ok = did.twfe(d, "y", "year", "stkcd", "DID", vcov="iid")
    from dataclasses import replace

    bad = replace(ok, adj_r2=1.7)    # what pyfixest reports when n - k <= 0
    t = regression_table([ok, bad], stats=("nobs", "adj_r2"), keep=["DID"])
    row = next(r for r in t.sections[-1] if r[0] == "调整R²")
    assert row[1] != "" and row[2] == ""
    assert any("调整R²无定义" in n and "列2" in n for n in t.notes)
