"""`smtext did` on a user's own panel file: pyfixest agreement, every switch, every bad-panel error.

The panels come from the generator below (staggered adoption, a planted effect of 0.5, firm
and year effects, two controls), written as a GBK CSV with Chinese column names and as a
Stata file with plain names, and read back by the command as a user's file would be.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app

runner = CliRunner()
EFFECT = 0.5
ZH = {"firm": "证券代码", "year": "年份", "y": "创新", "d": "政策", "x1": "规模", "x2": "杠杆", "g": "试点年份",
      "industry": "行业"}


def make_panel(n_firms: int = 60, years=(2012, 2020), seed: int = 11) -> pd.DataFrame:
    """A balanced staggered panel: y = 0.5 d + 0.4 x1 - 0.2 x2 + firm + year effects + noise.

    Cohorts 2015, 2017, 2019 and never treated (g = 0); d = 1 from the cohort year on.
    Firm ids are six-digit stock codes, as in a CSMAR export.
    """
    rng = np.random.default_rng(seed)
    yrs = np.arange(years[0], years[1] + 1)
    firms = np.array([f"{600000 + 7 * i:06d}" for i in range(n_firms)])
    g = rng.choice([0, 2015, 2017, 2019], size=n_firms, p=[0.4, 0.2, 0.2, 0.2])
    industry = rng.choice(["C13", "C26", "I65"], size=n_firms)
    alpha, lam = rng.normal(size=n_firms), rng.normal(scale=0.5, size=yrs.size)
    i, t = np.repeat(np.arange(n_firms), yrs.size), np.tile(np.arange(yrs.size), n_firms)
    d = ((g[i] > 0) & (yrs[t] >= g[i])).astype(int)
    x1 = rng.normal(size=i.size) + 0.3 * alpha[i]
    x2 = rng.normal(size=i.size)
    y = EFFECT * d + 0.4 * x1 - 0.2 * x2 + alpha[i] + lam[t] + rng.normal(size=i.size)
    return pd.DataFrame({"firm": firms[i], "year": yrs[t], "y": y, "d": d, "x1": x1, "x2": x2, "g": g[i],
                         "industry": industry[i]})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="module")
def zh_csv(panel, tmp_path_factory):
    """The panel as a GBK CSV with Chinese column names (a CSMAR-style export)."""
    path = tmp_path_factory.mktemp("zh") / "panel.csv"
    panel.rename(columns=ZH).to_csv(path, index=False, encoding="gbk")
    return path


@pytest.fixture(scope="module")
def dta(panel, tmp_path_factory):
    """The panel as Stata 14 .dta with plain names ``firm, t, ...`` and numeric firm ids."""
    path = tmp_path_factory.mktemp("dta") / "panel.dta"
    panel.assign(firm=panel["firm"].astype(int)).rename(columns={"year": "t"}).to_stata(path, write_index=False,
                                                                                       version=118)
    return path


ZH_ARGS = ["--y", "创新", "--d", "政策", "--id", "证券代码", "--t", "年份", "--controls", "规模,杠杆"]


def run(path, *args, out):
    res = runner.invoke(app, ["--quiet", "did", str(path), *args, "--out", str(out)])
    return res


def estimates(out) -> pd.DataFrame:
    return pd.read_csv(out / "estimates.csv", dtype={"term": str})


def row(est: pd.DataFrame, section: str, model: str, term: str) -> pd.Series:
    hit = est[(est["section"] == section) & (est["model"] == model) & (est["term"] == term)]
    assert len(hit) == 1, (section, model, term)
    return hit.iloc[0]


def feols(panel, fml, cluster="firm"):
    import pyfixest as pf

    return pf.feols(fml, data=panel, vcov={"CRV1": cluster})


# ---------------------------------------------------------------- baseline: equal to pyfixest
def test_gbk_csv_twfe_equals_pyfixest_and_writes_the_table(panel, zh_csv, tmp_path):
    res = run(zh_csv, *ZH_ARGS, out=tmp_path)
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d + x1 + x2 | firm + year")
    r = row(estimates(tmp_path), "table", "TWFE", "政策")
    assert abs(r["estimate"] - m.coef()["d"]) < 1e-8
    assert abs(r["std_error"] - m.se()["d"]) < 1e-8
    assert abs(r["estimate"] - EFFECT) < 4 * r["std_error"]       # the planted effect
    for fmt in ("md", "tex", "html", "xlsx", "docx"):
        assert (tmp_path / "tables" / f"did.{fmt}").stat().st_size > 0
    md = (tmp_path / "tables" / "did.md").read_text(encoding="utf-8")
    assert "政策" in md and "证券代码固定效应" in md and f"{m.coef()['d']:.3f}" in md
    man = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert man["command"] == "did" and man["parameters"]["y"] == "创新"
    assert list(man["inputs"]) == [str(zh_csv)] and len(man["inputs"][str(zh_csv)]) == 64
    assert man["io_report"]["encoding"].lower() in ("gbk", "gb18030")
    assert man["sample"]["firms"] == 60 and man["sample"]["cohorts"] == [2015, 2017, 2019]
    assert "TWFE 政策" in res.output


def test_canonical_key_names_resolve_to_the_same_columns(panel, zh_csv, tmp_path):
    # 证券代码 is read as stkcd; year names the file's one year column (年份)
    res = run(zh_csv, "--y", "创新", "--d", "政策", "--id", "stkcd", "--t", "year", "--controls", "规模,杠杆",
              out=tmp_path)
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d + x1 + x2 | firm + year")
    assert abs(row(estimates(tmp_path), "table", "TWFE", "政策")["estimate"] - m.coef()["d"]) < 1e-8


def test_dta_with_plain_names_and_a_cohort_column(panel, dta, tmp_path):
    res = run(dta, "--y", "y", "--cohort", "g", "--id", "firm", "--t", "t", "--controls", "x1,x2", out=tmp_path)
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d + x1 + x2 | firm + year")
    r = row(estimates(tmp_path), "table", "TWFE", "DID")          # the treatment built from the cohort
    assert abs(r["estimate"] - m.coef()["d"]) < 1e-8
    assert abs(r["std_error"] - m.se()["d"]) < 1e-8


def test_fe_and_two_way_cluster_options(panel, zh_csv, tmp_path):
    res = run(zh_csv, *ZH_ARGS, "--fe", "证券代码,年份,行业^年份", "--cluster", "证券代码,年份", out=tmp_path)
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d + x1 + x2 | firm + year + industry^year", cluster="firm+year")
    r = row(estimates(tmp_path), "table", "TWFE", "政策")
    assert abs(r["estimate"] - m.coef()["d"]) < 1e-8
    assert abs(r["std_error"] - m.se()["d"]) < 1e-8


def test_an_id_column_named_like_stock_codes_keeps_other_ids(panel, tmp_path):
    # a column called "code" holding F-numbers is an id, not a stock code to normalise away
    path = tmp_path / "codes.csv"
    panel.assign(firm="F" + panel["firm"]).rename(columns={"firm": "code"}).to_csv(path, index=False)
    res = run(path, "--y", "y", "--d", "d", "--id", "code", "--t", "year", out=tmp_path / "o")
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d | firm + year")
    assert abs(row(estimates(tmp_path / "o"), "table", "TWFE", "d")["estimate"] - m.coef()["d"]) < 1e-8
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["sample"]["firms"] == 60


def test_a_map_file_names_the_keys_and_report_dates_become_years(panel, tmp_path):
    # a CSMAR-style export: Stkcd, Accper dates (half-year rows too), the user's own map
    csmar = pd.DataFrame({"Stkcd": panel["firm"], "Accper": panel["year"].astype(str) + "-12-31", "Y": panel["y"],
                          "D": panel["d"], "X1": panel["x1"]})
    half = csmar.iloc[::10].assign(Accper=lambda x: x["Accper"].str.replace("12-31", "06-30"), Y=99.0)
    pd.concat([csmar, half]).to_csv(tmp_path / "FS.csv", index=False)
    (tmp_path / "mine.yaml").write_text("name: mine\nkeys: {stkcd: Stkcd, period: Accper}\n"
                                        "columns:\n  y: {field: Y}\n  d: {field: D}\n  x1: {field: X1}\n")
    res = run(tmp_path / "FS.csv", "--map", str(tmp_path / "mine.yaml"), "--y", "y", "--d", "d", "--id", "stkcd",
              "--t", "year", "--controls", "x1", out=tmp_path / "o")
    assert res.exit_code == 0, res.output
    m = feols(panel, "y ~ d + x1 | firm + year")                    # the 06-30 rows are dropped
    assert abs(row(estimates(tmp_path / "o"), "table", "TWFE", "d")["estimate"] - m.coef()["d"]) < 1e-8


# ---------------------------------------------------------------- the switches
def test_event_switch(panel, zh_csv, tmp_path):
    from smtext import did

    res = run(zh_csv, *ZH_ARGS, "--event", "--window=-3,3", out=tmp_path)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "figures" / "event_study.png").stat().st_size > 0
    ev = did.event_study(panel, "y", "year", "firm", "g", window=(-3, 3), controls=["x1", "x2"])
    est = estimates(tmp_path)
    for _, r in ev.tidy().iterrows():
        got = row(est, "event study", "TWFE", str(int(r["rel_time"])))
        assert abs(got["estimate"] - r["estimate"]) < 1e-8
    assert abs(row(est, "event study", "TWFE", "pre-trend F")["p_value"] - ev.pretrend_p) < 1e-8
    assert "pre-trend" in res.output


def test_placebo_switch_is_seeded_and_byte_identical(zh_csv, tmp_path):
    args = [*ZH_ARGS, "--placebo", "20", "--seed", "3"]
    a, b = run(zh_csv, *args, out=tmp_path / "a"), run(zh_csv, *args, out=tmp_path / "b")
    assert a.exit_code == b.exit_code == 0, a.output
    assert (tmp_path / "a" / "figures" / "placebo.png").stat().st_size > 0
    for f in ("estimates.csv", "tables/did.md", "tables/did.tex", "tables/did.html"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    est = estimates(tmp_path / "a")
    draws = est[est["section"] == "placebo draw"]["estimate"]
    assert len(draws) == 20 and draws.abs().max() < 0.5             # pseudo-treatments find nothing
    true = row(est, "placebo", "random, seed 3", "政策")
    assert true["estimate"] == row(est, "table", "TWFE", "政策")["estimate"]
    assert true["p_value"] == 0.0                                   # no draw as large as the real effect
    other = run(zh_csv, *ZH_ARGS, "--placebo", "20", "--seed", "4", out=tmp_path / "c")
    assert other.exit_code == 0
    assert (tmp_path / "c" / "estimates.csv").read_bytes() != (tmp_path / "a" / "estimates.csv").read_bytes()


def test_psm_switch(zh_csv, tmp_path):
    res = run(zh_csv, *ZH_ARGS, "--psm", out=tmp_path)
    assert res.exit_code == 0, res.output
    r = row(estimates(tmp_path), "table", "PSM-DID", "政策")
    assert abs(r["estimate"] - EFFECT) < 4 * r["std_error"] and r["nobs"] > 0
    assert "PSM-DID" in (tmp_path / "tables" / "did.md").read_text(encoding="utf-8")
    for fmt in ("md", "xlsx"):
        assert (tmp_path / "tables" / f"did_balance.{fmt}").stat().st_size > 0
    assert (tmp_path / "figures" / "pscore.png").stat().st_size > 0


def test_robust_switch_equals_the_estimators(panel, zh_csv, tmp_path):
    from smtext import did

    res = run(zh_csv, *ZH_ARGS, "--robust", out=tmp_path)
    assert res.exit_code == 0, res.output
    md = (tmp_path / "tables" / "did.md").read_text(encoding="utf-8")
    assert all(name in md for name in ("did2s", "CS", "BJS", "SA")) and "cohort_effects" not in md
    assert (tmp_path / "figures" / "robust_event.png").stat().st_size > 0
    est = estimates(tmp_path)
    cs = did.callaway_santanna(panel, "y", "year", "firm", "g").aggregate("simple")
    got = row(est, "table", "CS", "政策")
    assert abs(got["estimate"] - cs.coef()["ATT"]) < 1e-10 and abs(got["std_error"] - cs.se()["ATT"]) < 1e-10
    d2 = did.did2s(panel, "y", "year", "firm", "g", window=(-4, 4))
    assert abs(row(est, "table", "did2s", "政策")["estimate"] - d2.coef()["ATT"]) < 1e-10
    for name in ("did2s", "CS", "BJS", "SA"):
        r = row(est, "table", name, "政策")
        assert abs(r["estimate"] - EFFECT) < 4 * r["std_error"], name
    differences = pytest.importorskip("differences")  # an independent Callaway-Sant'Anna
    df = panel.assign(cohort=panel["g"].replace(0, np.nan)).set_index(["firm", "year"])
    att = differences.ATTgt(data=df, cohort_column="cohort")
    att.fit(formula="y", est_method="dr", control_group="never_treated", progress_bar=False)
    simple = att.aggregate("simple")
    simple.columns = [c[-1] for c in simple.columns]
    assert abs(got["estimate"] - simple["ATT"].iloc[0]) < 1e-8
    assert got["std_error"] == pytest.approx(simple["std_error"].iloc[0], rel=1e-6)


def test_bacon_switch(panel, zh_csv, tmp_path):
    res = run(zh_csv, *ZH_ARGS, "--bacon", out=tmp_path)
    assert res.exit_code == 0, res.output
    est = estimates(tmp_path)
    bac = est[(est["section"] == "bacon") & (est["model"] == "Goodman-Bacon") & (est["term"] != "TWFE")]
    assert bac["weight"].sum() == pytest.approx(1.0, abs=1e-9)
    m = feols(panel, "y ~ d | firm + year")                         # TWFE without controls = the weighted sum
    assert (bac["weight"] * bac["estimate"]).sum() == pytest.approx(m.coef()["d"], abs=1e-9)
    assert "Goodman-Bacon" in (tmp_path / "tables" / "bacon.md").read_text(encoding="utf-8")
    assert (tmp_path / "tables" / "bacon.docx").stat().st_size > 0


def test_honest_switch(zh_csv, tmp_path):
    res = run(zh_csv, *ZH_ARGS, "--honest", out=tmp_path)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "figures" / "honest.png").stat().st_size > 0
    h = estimates(tmp_path).query("section == 'honest'").set_index("term")
    theta = h.loc["theta", "estimate"]
    assert h.loc["original", "ci_low"] < theta < h.loc["original", "ci_high"]
    # the robust sets widen as Mbar grows
    widths = [h.loc[f"M={m}", "ci_high"] - h.loc[f"M={m}", "ci_low"] for m in ("0.5", "1", "2")]
    assert widths == sorted(widths)
    assert "HonestDiD" in res.output


# ---------------------------------------------------------------- bad panels: coded errors, exit 2
def _bad(tmp_path, frame: pd.DataFrame, *args):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    res = run(path, *(args or ("--y", "y", "--d", "d", "--id", "firm", "--t", "year")), out=tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    return res.output


def test_neither_treatment_nor_cohort(panel, tmp_path):
    out = _bad(tmp_path, panel, "--y", "y", "--id", "firm", "--t", "year")
    assert "SM001" in out and "--cohort" in out


def test_duplicate_firm_years_are_listed(panel, tmp_path):
    out = _bad(tmp_path, pd.concat([panel, panel.iloc[[3, 40]]]))
    assert "SM401" in out and "600000" in out and "2015" in out


def test_treatment_not_zero_one(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(d=panel["d"] * 2))
    assert "SM500" in out and "--d 'd'" in out


def test_treatment_without_variation(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(d=0))
    assert "SM570" in out and "no row is treated" in out


def test_treatment_switching_off_when_cohorts_are_needed(panel, tmp_path):
    off = panel.assign(d=np.where((panel["g"] > 0) & (panel["year"] == 2020), 0, panel["d"]))
    out = _bad(tmp_path, off, "--y", "y", "--d", "d", "--id", "firm", "--t", "year", "--event")
    assert "SM552" in out and "--event" in out
    path = tmp_path / "bad.csv"          # the TWFE alone does not need an absorbing treatment
    assert run(path, "--y", "y", "--d", "d", "--id", "firm", "--t", "year", out=tmp_path / "ok").exit_code == 0


def test_missing_column_names_the_option(panel, tmp_path):
    out = _bad(tmp_path, panel, "--y", "sales", "--d", "d", "--id", "firm", "--t", "year")
    assert "SM001" in out and "--y 'sales'" in out


def test_cohort_and_treatment_that_disagree(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(g=np.where(panel["g"] > 0, panel["g"] + 1, 0)),
               "--y", "y", "--d", "d", "--cohort", "g", "--id", "firm", "--t", "year")
    assert "SM571" in out


def test_cohort_varying_within_a_firm(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(g=np.where(panel["year"] == 2012, 2013, panel["g"])),
               "--y", "y", "--cohort", "g", "--id", "firm", "--t", "year")
    assert "SM554" in out


def test_years_that_are_not_whole_numbers(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(year=panel["year"] + 0.5))
    assert "SM402" in out


def test_outcome_that_is_not_numeric(panel, tmp_path):
    out = _bad(tmp_path, panel.assign(y=panel["y"].astype(str).where(panel.index != 5, "abc")))
    assert "SM573" in out and "abc" in out


def test_psm_without_controls(panel, tmp_path):
    out = _bad(tmp_path, panel, "--y", "y", "--d", "d", "--id", "firm", "--t", "year", "--psm")
    assert "SM572" in out


def test_no_balanced_panel_for_the_staggered_estimators(panel, tmp_path):
    # every firm misses one year: nothing is left to balance
    gaps = panel[(panel["year"] - 2012) != (panel["firm"].astype(int) % 9)]
    out = _bad(tmp_path, gaps, "--y", "y", "--d", "d", "--id", "firm", "--t", "year", "--bacon")
    assert "SM574" in out
