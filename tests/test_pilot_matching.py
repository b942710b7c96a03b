"""A pilot list typed as researchers type it (legal-form and 集团 variants, full- and half-width
brackets, spaces, province / city prefixes, a former name) is matched to the demo world's
listed firms: the planted mapping (truth/pilot_applicants.csv, written by the generator) comes
back with no false match, with and without the subsidiary table; every name left unresolved is
in the review file and the summary; no unconfirmed candidate stays among the controls."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.patents.applicants import match_applicants, normalize_name
from smtext.study import loads, run_study
from smtext.study.pilots import match_pilots

SPEC = """\
study: pilots
treatment: {{design: firm, dname: DID{extra}}}
tables:
  baseline:
    columns:
      - {{y: ROA, x: DID, controls: [Lev]}}
"""

# how a person types a listed firm's name; s = short name, r = the firm's row
VARIANTS = [
    lambda s, r: f"{s}股份有限责任公司",
    lambda s, r: f"{s}(集团)股份有限公司",
    lambda s, r: f"{s}股份（集团）有限公司",
    lambda s, r: f"{s}集团股份有限公司",
    lambda s, r: f" {s[:2]} {s[2:]}  股份有限公司 ",
    lambda s, r: f"{r['province']}{s}股份有限公司",
    lambda s, r: f"{r['city']}市{s}有限公司",
    lambda s, r: f"{s}\u3000（集团）有限责任公司",
]


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world(n_firms=200, first_year=2013, last_year=2020, seed=7, documents=False)


@pytest.fixture(scope="module")
def typed(world, tmp_path_factory):
    """The rewritten list, the firm table with one renamed firm (its old name a former name), the
    planted stkcd per row (from the generator's truth) and a declaration of these files."""
    data = world / "data"
    pilots = pd.read_csv(data / "pilot_list.csv", encoding="utf-8-sig")
    truth = pd.read_csv(world / "truth" / "pilot_applicants.csv", dtype={"stkcd": str}, keep_default_na=False)
    truth = truth.rename(columns={"batch_year": "年份", "seq": "序号"})
    pilots = pilots.merge(truth, on=["年份", "序号"], how="left", validate="one_to_one")
    firms = pd.read_parquet(data / "firms.parquet")
    by_code = firms.set_index("stkcd")
    own = pilots.index[pilots["name_form"].isin(["full_name", "variant"])]
    renamed = pilots.loc[own[0], "stkcd"]
    for k, i in enumerate(own[1:]):
        code = pilots.loc[i, "stkcd"]
        if code != renamed:
            pilots.loc[i, "申报单位"] = VARIANTS[k % len(VARIANTS)](by_code.loc[code, "short_name"], by_code.loc[code])
    # the firm renamed itself after the list was published: its old name is a former name
    row = firms["stkcd"].eq(renamed)
    firms["former_names"] = ""
    firms.loc[row, "former_names"] = firms.loc[row, "name"] + "；旧称"
    firms.loc[row, "name"] = firms.loc[row, "short_name"] + "智能装备股份有限公司"
    out = tmp_path_factory.mktemp("typed")
    planted = pilots.pop("stkcd").replace("", None)
    pilots.drop(columns="name_form").to_csv(out / "pilot_list.csv", index=False, encoding="utf-8-sig")
    firms.to_parquet(out / "firms.parquet", index=False)
    (out / "data.yaml").write_text("pilot_list: {file: pilot_list.csv}\nfirms: {file: firms.parquet}\n",
                                   encoding="utf-8")
    subs = pd.read_parquet(data / "subsidiaries.parquet")
    return {"pilots": pd.read_csv(out / "pilot_list.csv", encoding="utf-8-sig"), "firms": firms, "subs": subs,
            "planted": planted, "renamed": renamed, "folder": out}


def _check_recovered(match, planted) -> pd.Series:
    got = match.pilots["stkcd"]
    false = got.notna() & got.ne(planted)
    assert not false.any(), match.pilots.loc[false, ["applicant", "stkcd"]].assign(planted=planted[false])
    missed = planted.notna() & got.isna()
    review = match.report.review()
    assert set(match.pilots.loc[missed, "applicant"]) <= set(review["name"])            # the review file ...
    assert set(match.pilots.loc[missed, "applicant"]) <= set(match.summary["pending_names"])   # ... and summary
    assert match.pilots.loc[missed, "status"].eq("pending").all()
    return missed


def test_typed_list_with_subsidiaries_recovers_the_planted_mapping(typed):
    m = match_pilots(typed["pilots"], typed["firms"], typed["subs"])
    planted = typed["planted"]
    missed = _check_recovered(m, planted)
    assert not missed.any()                                                 # every listed project recovered
    assert m.pilots.loc[planted.notna(), "stkcd"].tolist() == planted.dropna().tolist()
    t = m.report.table.set_index("name")
    assert set(t["method"]) >= {"exact", "place"} and "former_name" in set(t["via"])
    assert m.summary["projects_by_status"]["via_subsidiary"] > 0
    assert sum(m.summary["projects_by_status"].values()) == len(typed["pilots"])


def test_without_subsidiaries_nothing_is_guessed_and_candidates_leave_the_controls(typed):
    m = match_pilots(typed["pilots"], typed["firms"], None)
    planted = typed["planted"]
    missed = _check_recovered(m, planted)
    assert missed.sum() >= 3                                                # the subsidiaries: pending ...
    first = m.pilots.dropna(subset=["stkcd"]).groupby("stkcd")["year"].min()
    for name in m.pilots.loc[missed, "applicant"]:                          # ... and their parents not controls
        parent = planted[m.pilots["applicant"].eq(name)].iloc[0]
        year = m.pilots.loc[m.pilots["applicant"].eq(name), "year"].min()
        assert parent in m.excluded or first.get(parent, 9999) <= year
    # a person confirms the pending names (here from the truth): all recovered, nobody excluded
    review = m.report.review()
    review["confirmed_stkcd"] = review["name"].map(dict(zip(m.pilots["applicant"], planted.fillna("none"))))
    confirmed = match_pilots(typed["pilots"], typed["firms"], None, overrides=review)
    assert confirmed.pilots["stkcd"].fillna("").tolist() == planted.fillna("").tolist()
    assert confirmed.excluded == [] and confirmed.summary["overrides"] == len(review)
    with pytest.raises(SMError) as err:
        m2 = match_pilots(typed["pilots"], typed["firms"], None, review="stop")
        m2.check("OUT/pilot_review.csv")
    assert err.value.code == "SM709" and "OUT/pilot_review.csv" in str(err.value)
    kept = match_pilots(typed["pilots"], typed["firms"], None, review="keep")
    assert kept.excluded == [] and kept.summary["pending_candidates"] == len(m.excluded)


def test_study_run_prints_writes_and_reports_the_summary(world, typed, tmp_path):
    decl = typed["folder"] / "data.yaml"
    truth = pd.read_csv(world / "truth" / "pilot_applicants.csv", dtype={"stkcd": str}, keep_default_na=False)
    cohort = truth[truth["stkcd"].ne("")].groupby("stkcd")["batch_year"].min()
    for extra, subs in (("", True), (", subsidiaries: false", False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SMWarning)
            res = run_study(loads(SPEC.format(extra=extra), "pilots.yaml"), world, tmp_path / str(subs), data=decl)
        line = [str(w.message) for w in caught if str(w.message).startswith("SM710")]
        assert len(line) == 1 and "pending review" in line[0] and "pilot_review.csv" in line[0]
        summary = json.loads((res.out / "pilot_match_summary.json").read_text(encoding="utf-8"))
        assert summary == res.pilot_matching and summary["subsidiaries"] is subs
        review = pd.read_csv(res.out / "pilot_review.csv", encoding="utf-8-sig")
        assert sorted(review["name"]) == sorted(summary["pending_names"])
        html = res.report.read_text(encoding="utf-8")
        assert "Pilot matching" in html and "pilot_review.csv" in html
        panel = pd.read_parquet(res.stage_dir("panel") / "panel.parquet")
        gname = panel.groupby("stkcd")["gname"].first()
        # every planted pilot firm in the sample is treated, from its planted year: none is a control
        inside = cohort[cohort.index.isin(gname.index)]
        assert (gname[inside.index] == inside).all()
        assert not set(summary["excluded_stkcd"]) & set(panel["stkcd"])
        steps = pd.read_csv(res.stage_dir("panel") / "sample_steps.csv")
        dropped = steps[steps["step"].str.startswith("candidates of unconfirmed")]
        assert (len(dropped) == 1) == bool(summary["excluded_firms"])
        if not subs:
            assert summary["excluded_firms"] > 0 and len(inside) < len(cohort)


def test_spec_options_overrides_and_stop(world, typed, tmp_path):
    decl = typed["folder"] / "data.yaml"
    with pytest.raises(SMError) as err:
        loads(SPEC.format(extra=", review: maybe"), "bad.yaml")
    assert err.value.code == "SM703" and "bad.yaml:2" in str(err.value)
    with pytest.raises(SMError) as err:
        loads(SPEC.format(extra=", columns: {yaer: 年度}"), "bad.yaml")
    assert err.value.code == "SM702" and "bad.yaml:2" in str(err.value) and "year" in str(err.value)
    with pytest.raises(SMError) as err:
        loads("study: x\ntreatment:\n  - {design: firm}\n  - {design: city_spillover, dname: P,\n"
              "     review: stop}\ntables: {t: {columns: [{y: ROA}]}}\n", "two.yaml")
    assert err.value.code == "SM703" and "two.yaml:5" in str(err.value)
    loads(SPEC.format(extra=", review: {accept_above: 0.95}, fuzzy_review: 0.8"), "ok.yaml")
    # review: stop with pending names (no subsidiary table): SM709 naming the review file
    with pytest.raises(SMError) as err, warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        run_study(loads(SPEC.format(extra=", subsidiaries: false, review: stop"), "stop.yaml"), world,
                  tmp_path / "stop", data=decl)
    assert err.value.code == "SM709" and "pilot_review.csv" in str(err.value)
    review_file = next((tmp_path / "stop" / "stages" / "panel").glob("*/pilot_review.csv"))
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    listing = typed["pilots"]["申报单位"].astype(str)
    review["confirmed_stkcd"] = review["name"].map(dict(zip(listing, typed["planted"].fillna("none"))))
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    review.to_csv(spec_dir / "confirmed.csv", index=False, encoding="utf-8-sig")
    (spec_dir / "study.yaml").write_text(
        SPEC.format(extra=", subsidiaries: false, review: stop, overrides: confirmed.csv"), encoding="utf-8")
    from smtext.study import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        res = run_study(load(spec_dir / "study.yaml"), world, tmp_path / "fixed", data=decl)
    assert res.pilot_matching["names_by_status"]["pending"] == 0 and res.pilot_matching["excluded_firms"] == 0
    assert res.pilot_matching["overrides"] == len(review)


def test_name_variants_and_accept_above():
    base = normalize_name("华信科技股份有限公司")
    for typed_name in ("华信科技股份有限责任公司", "华信科技(集团)股份有限公司", "华信科技（集团）股份有限公司",
                       "华信科技集团股份有限公司", "华信科技股份（集团）有限公司", " 华信 科技 有限公司",
                       "华信科技有限责任公司", "华信科技【集团】有限公司"):
        assert normalize_name(typed_name) == base, typed_name
    firms = pd.DataFrame({"stkcd": ["000001", "000002"], "name": ["华信科技股份有限公司", "恒达精密股份有限公司"],
                          "province": ["浙江", "广东"], "city": ["杭州", "深圳"]})
    t = match_applicants(["浙江华信科技有限公司", "杭州市华信科技有限公司", "广东华信科技有限公司",
                          "苏州华信科技制造有限公司", "恒达精密科研有限公司"], firms, contains=True)
    tab = t.table.set_index("name")
    assert tab.loc["浙江华信科技有限公司", "method"] == "place" and tab.loc["杭州市华信科技有限公司", "stkcd"] == "000001"
    # a place that is not the firm's: a candidate for review, not a match
    assert tab.loc["广东华信科技有限公司", "status"] == "pending"
    assert tab.loc["广东华信科技有限公司", "candidate_how"] == "place_differs"
    assert tab.loc["苏州华信科技制造有限公司", "candidate_how"] == "contains"
    acc = t.accept_above(0.99).table.set_index("name")
    assert acc.loc["广东华信科技有限公司", "method"] == "accepted_above"          # scored 1.0
    assert acc.loc["苏州华信科技制造有限公司", "status"] == "pending"              # below 0.99
