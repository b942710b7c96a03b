"""The indicator validation report (`smtext index validate`): numbers against pandas by hand on the
same index, the all-zero and never-matched warnings, keyword-in-context examples, a planted false
positive (环境保护部门 for the term 环境保护) and its exclusion, byte-identical output, real report text."""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning

GREEN = ("category,term\n"
         "green,环境保护\ngreen,绿色转型\ngreen,节能减排\ngreen,清洁能源\ngreen,碳中和\ngreen,环保\n")
PAGES = {
    # (stkcd, year): pages; 环境保护部门 / 《环境保护法》 are the planted false positives
    ("000001", 2019): ["公司推进绿色转型，加大节能减排投入。\n公司向环境保护部门报送了排污数据。",
                       "公司坚持环境保护优先，发展清洁能源。"],
    ("000001", 2020): ["公司继续推进绿色转型。\n公司遵守《中华人民共和国环境保护法》。",
                       "环境保护部门检查了公司。\n公司与上海绿色转型科技有限公司签订合同。"],
    ("000002", 2019): ["公司主营纺织品。", "本年度无重大事项。"],
    ("000002", 2020): ["公司开展节能减排，推进绿色转型与清洁能源项目。", "绿色转型成效明显。"],
    ("000003", 2019): ["公司坚持环境保护，推进绿色转型。", "公司节能减排。"],
    ("000003", 2020): ["公司从事软件开发。", "未开展绿色转型。"],
}


def _write_lexicon(folder: Path, text: str = GREEN, name: str = "green") -> Path:
    path = folder / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    path.with_name(f"{name}.meta.json").write_text(json.dumps({"publication": "test", "version": "1"}),
                                                   encoding="utf-8")
    return path


def _write_extract(folder: Path, pages: dict = PAGES) -> Path:
    """An extraction folder as `smtext extract` writes it (documents.parquet, pages.parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, rows = [], []
    for (stkcd, year), texts in pages.items():
        path = f"annual/{year}/{stkcd}_{year}.pdf"
        docs.append({"path": path, "stkcd": stkcd, "year": year, "firm": f"公司{stkcd[-1]}",
                     "doc_type": "annual_report", "status": "ok", "n_pages": len(texts),
                     "n_chars": sum(map(len, texts))})
        rows += [{"path": path, "page": i + 1, "text": t} for i, t in enumerate(texts)]
    pd.DataFrame(docs).to_parquet(folder / "documents.parquet", index=False)
    pd.DataFrame(rows).astype({"page": "int32"}).to_parquet(folder / "pages.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def green(tmp_path_factory):
    """Index of a green lexicon and wufei2021_digital on the planted pages."""
    from smtext.text.index_job import index_extract

    root = tmp_path_factory.mktemp("green")
    lex = _write_lexicon(root)
    ext = _write_extract(root / "extract")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        index_extract(ext, {"green": str(lex), "wufei2021_digital": "wufei2021_digital"}, root / "index",
                      clean_lexicon=None)
    return root


def _validate(root: Path, **kw):
    from smtext.text.validation import validate_index

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = validate_index(root / "index", **kw)
    return v, [str(w.message) for w in caught if issubclass(w.category, SMWarning)]


def test_numbers_equal_pandas_by_hand(green):
    v, _ = _validate(green, lexicons=["green"])
    lv = v.lexicons["green"]
    fy = pd.read_parquet(green / "index" / "firm_year_index.parquet")
    c = fy["green_count"]
    assert lv.summary["zeros_share"] == pytest.approx((c == 0).mean(), abs=1e-12)
    assert lv.summary["zeros"] == 2 and lv.summary["counted"] == 6     # 000002 2019; 000003 2020 (negated)
    by = fy.groupby("year")["green_count"]
    assert np.allclose(lv.by_year["mean"], by.mean(), atol=1e-12, rtol=0)
    assert np.allclose(lv.by_year["median"], by.median(), atol=1e-12, rtol=0)
    assert np.allclose(lv.by_year["share_positive"], by.apply(lambda s: (s > 0).mean()), atol=1e-12, rtol=0)
    assert np.allclose(lv.by_year["zeros_share"], by.apply(lambda s: (s == 0).mean()), atol=1e-12, rtol=0)
    # concentration from the term table written by the counter
    t = pd.read_parquet(green / "index" / "term_counts.parquet")
    share = t[t["lexicon"] == "green"].groupby("term")["n"].sum()
    share = share[share > 0] / share.sum()
    assert lv.summary["top_term_share"] == pytest.approx(share.max(), abs=1e-12)
    assert lv.summary["hhi"] == pytest.approx((share ** 2).sum(), abs=1e-12)
    assert lv.summary["top_term"] == share.idxmax()
    assert lv.summary["hits"] == int(c.sum())
    # top firm: most hits over its years
    assert lv.top_firms["stkcd"].iloc[0] == fy.groupby("stkcd")["green_count"].sum().idxmax()


def test_correlations_equal_pandas(green, tmp_path):
    fy = pd.read_parquet(green / "index" / "firm_year_index.parquet")
    ref = fy[["stkcd", "year"]].assign(value=[0.3, 1.5, -2.0, 4.0, 0.1, 2.2])
    ref.loc[len(ref)] = ["999999", 2019, 5.0]          # not in the index: not a pair
    ref.to_csv(tmp_path / "ref.csv", index=False)
    v, _ = _validate(green, lexicons=["green"], references={"own": str(tmp_path / "ref.csv"),
                                                            "digital": "wufei2021_digital"})
    corr = v.lexicons["green"].correlations.set_index("reference")
    a = fy.set_index(["stkcd", "year"])["green_ln"]
    b = ref.set_index(["stkcd", "year"])["value"].reindex(a.index)
    assert corr.loc["own", "n"] == 6
    assert abs(corr.loc["own", "pearson"] - a.corr(b)) < 1e-12
    assert abs(corr.loc["own", "spearman"] - a.corr(b, method="spearman")) < 1e-12
    # the digital lexicon matches nothing here: a constant reference has no correlation (SM254)
    assert corr.loc["digital", "n"] == 6
    assert np.isnan(corr.loc["digital", "pearson"]) and np.isnan(corr.loc["digital", "spearman"])


def test_all_zero_and_never_matched_warnings(green):
    v, msgs = _validate(green, lexicons=["wufei2021_digital"])
    assert any(m.startswith("SM250") for m in msgs)
    assert v.lexicons["wufei2021_digital"].summary["zeros_share"] == 1.0
    v, msgs = _validate(green, lexicons=["green"])
    never = [m for m in msgs if m.startswith("SM251")]
    assert len(never) == 1 and "碳中和" in never[0]
    assert v.lexicons["green"].zero_terms == ["环保", "碳中和"]   # neither occurs in the text


def test_examples_contain_the_term_and_come_from_distinct_reports(green):
    v, _ = _validate(green, lexicons=["green"], examples=3)
    ex = v.lexicons["green"].examples
    assert len(ex) and (ex["hit"] == ex["term"]).all()
    pages = pd.read_parquet(green / "extract" / "pages.parquet")
    for r in ex.itertuples():
        text = "\n".join(pages.loc[pages["path"] == r.path, "text"])
        assert r.left + r.hit + r.right in text
    top = ex[ex["term"] == "绿色转型"]
    assert len(top) == 3 and top["path"].is_unique


def test_planted_false_positive_is_listed_and_excluded(green):
    v, msgs = _validate(green, lexicons=["green"])
    fp = v.lexicons["green"].false_positives
    row = fp[fp["longer"] == "环境保护部门"]
    assert len(row) == 1 and row["term"].iloc[0] == "环境保护" and row["hits"].iloc[0] == 2
    assert row["reason"].iloc[0] == "name_suffix"
    title = fp[fp["reason"] == "book_title"]
    assert "《中华人民共和国环境保护法》" in set(title["longer"]) or "环境保护法" in set(fp["longer"])
    firm = fp[fp["reason"] == "company_name"]
    assert firm[["term", "longer", "hits"]].values.tolist() == [["绿色转型", "绿色转型科技有限公司", 1]]
    assert any(m.startswith("SM256") for m in msgs)
    assert "环境保护部门" in v.exclusion_lines()
    # the exclusion list takes exactly those hits out
    v2, _ = _validate(green, lexicons=["green"], exclusions=["环境保护部门"])
    e = v2.lexicons["green"].exclusions
    assert e["hits_excluded"] == 2 and e["by_string"] == {"环境保护部门": 2}
    fy = v2.lexicons["green"].firm_years.set_index(["stkcd", "year"])
    assert (fy["count"] - fy["count_excluded"]).to_dict() == {
        ("000001", 2019): 1, ("000001", 2020): 1, ("000002", 2019): 0, ("000002", 2020): 0,
        ("000003", 2019): 0, ("000003", 2020): 0}


def test_report_files_are_byte_identical_across_runs(green, tmp_path):
    from smtext.report.validation import write_validation_report

    for out in ("a", "b"):
        v, _ = _validate(green)
        write_validation_report(v, tmp_path / out)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert {"validation.html", "validation.json", "exclusions.txt", "manifest.json"} <= {str(f) for f in files}
    assert any(str(f).startswith("figures/") and str(f).endswith(".png") for f in files)
    for f in files:
        if f.name != "manifest.json":          # the manifest alone records when it ran
            assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    numbers = json.loads((tmp_path / "a" / "validation.json").read_text(encoding="utf-8"))
    assert numbers["lexicons"]["green"]["summary"]["zeros"] == 2
    man = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert any(k.endswith("firm_year_index.parquet") for k in man["inputs"])
    assert any(k.endswith("pages.parquet") for k in man["inputs"])
    assert "环境保护部门" in (tmp_path / "a" / "exclusions.txt").read_text(encoding="utf-8")


def test_findings_do_not_depend_on_jobs_or_chunks(green):
    from smtext.text.lexicon import load_lexicon
    from smtext.text.validation import _scan_documents

    docs = pd.read_parquet(green / "index" / "document_counts.parquet")
    lex = {"green": load_lexicon(green / "green.csv")}
    options = {"scope": "full", "filters": ("negation",), "mode": "leftmost_longest", "window": 6,
               "subject_window": 10, "tokenizer": None}
    runs = [_scan_documents(green / "extract", docs, lex, options, ["环境保护部门"], True, 3, jobs=j, chunk_docs=c)
            for j, c in ((1, 64), (1, 1), (2, 2))]
    terms = ["绿色转型", "环境保护", "节能减排"]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0]["green"].examples(terms), other["green"].examples(terms))
        pd.testing.assert_frame_equal(runs[0]["green"].false_positives(), other["green"].false_positives())
        assert runs[0]["green"].inside == other["green"].inside


def test_cli_writes_the_report_and_reads_the_exclusion_file(green, tmp_path):
    from typer.testing import CliRunner

    from smtext.cli import app

    (tmp_path / "ex.txt").write_text("# reviewed\n环境保护部门\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["index", "validate", str(green / "index"), "--out", str(tmp_path / "r"),
                                   "-l", "green", "-r", "digital=wufei2021_digital", "-x", str(tmp_path / "ex.txt")])
    assert res.exit_code == 0, res.output
    assert "zeros share 0.333" in res.output
    numbers = json.loads((tmp_path / "r" / "validation.json").read_text(encoding="utf-8"))
    assert numbers["lexicons"]["green"]["exclusions"]["hits_excluded"] == 2
    assert numbers["parameters"]["references"] == {"digital": "wufei2021_digital"}
    adj = pd.read_csv(tmp_path / "r" / "firm_year_excluded.csv", dtype={"stkcd": str})
    assert (adj["green_count"] - adj["green_count_excluded"]).sum() == 2
    res = CliRunner().invoke(app, ["index", "validate", str(green / "index"), "--out", str(tmp_path / "s"),
                                   "-l", "nosuch"])
    assert res.exit_code == 2 and "SM252" in res.output


def test_index_count_drops_the_exclusions_the_report_predicted(green, tmp_path):
    """`index count -x FILE` removes exactly the hits the report counted inside the strings."""
    from typer.testing import CliRunner

    from smtext.cli import app
    from smtext.text.count import count_text

    # the counter itself: 环境保护 inside 环境保护部门 is not a mention, the other one is
    green_lex = green / "green.csv"
    res = count_text("环境保护部门检查了公司。公司坚持环境保护。", str(green_lex), filters=("negation",),
                     exclusions=["环境保护部门"])
    assert res.total == 1 and res.removed == {"negation": 0, "exclusions": 1}
    assert count_text("公司坚持环境保护。", str(green_lex), exclusions=["环境保护部门"]).total == 1

    ex = tmp_path / "ex.txt"
    ex.write_text("# reviewed\n环境保护部门\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["index", "validate", str(green / "index"), "--out", str(tmp_path / "r"),
                                   "-l", "green", "-x", str(ex)])
    assert res.exit_code == 0, res.output
    predicted = pd.read_csv(tmp_path / "r" / "firm_year_excluded.csv", dtype={"stkcd": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        res = CliRunner().invoke(app, ["index", "count", str(green / "extract"), "-l", str(green_lex), "-x", str(ex),
                                       "--out", str(tmp_path / "idx"), "--clean-lexicon", "none"])
    assert res.exit_code == 0, res.output
    fy = pd.read_parquet(tmp_path / "idx" / "firm_year_index.parquet")
    got = fy.set_index(["stkcd", "year"])["green_count"].astype(float)
    want = predicted.set_index(["stkcd", "year"])["green_count_excluded"].astype(float)
    assert got.sort_index().tolist() == want.reindex(got.sort_index().index).tolist()
    man = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert man["parameters"]["exclusions"] == ["环境保护部门"] and str(ex) in man["inputs"]
    assert man["counts"]["removed_by_filter"]["green"]["exclusions"] == 2


def test_errors_are_coded(green, tmp_path):
    from smtext.text.validation import validate_index

    with pytest.raises(SMError) as err:
        validate_index(tmp_path)
    assert err.value.code == "SM252"
    with pytest.raises(SMError) as err:
        _validate(green, references={"x": "no_such_column"})
    assert err.value.code == "SM253"


def test_changed_lexicon_and_bad_inputs(green, tmp_path):
    """A lexicon edited after counting gives no examples (SM255), not examples of other terms; bad files are coded."""
    from smtext.text.index_job import index_extract
    from smtext.text.validation import read_exclusions

    lex = _write_lexicon(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        index_extract(green / "extract", {"green": str(lex)}, tmp_path / "index", clean_lexicon=None)
    lex.write_text(GREEN + "green,新词\n", encoding="utf-8")
    v, msgs = _validate(tmp_path)
    assert any(m.startswith("SM255") and "changed" in m for m in msgs)
    assert not v.lexicons["green"].summary["text_checked"] and not len(v.lexicons["green"].examples)
    (tmp_path / "ref.csv").write_text("code,year,value\n000001,2019,1\n", encoding="utf-8")
    with pytest.raises(SMError) as err:
        _validate(green, references={"r": str(tmp_path / "ref.csv")})
    assert err.value.code == "SM253"
    (tmp_path / "ex.txt").write_bytes("环境保护部门".encode("gbk"))
    with pytest.raises(SMError) as err:
        read_exclusions(tmp_path / "ex.txt")
    assert err.value.code == "SM257"


def test_without_text_the_numbers_remain_and_sm255_says_why(green, tmp_path):
    v, msgs = _validate(green, lexicons=["green"], extract_dir=tmp_path / "gone")
    assert any(m.startswith("SM255") for m in msgs)
    assert v.lexicons["green"].summary["zeros"] == 2 and not len(v.lexicons["green"].examples)


def _real_pages(path: Path) -> list[str]:
    from collections import defaultdict

    pages = defaultdict(list)
    for line in path.open(encoding="utf-8"):
        rec = json.loads(line)
        if rec["type"] in ("页眉", "页脚"):
            continue
        inside = rec["inside"]
        if rec["type"] == "excel" and isinstance(inside, str) and inside.startswith("["):
            inside = ast.literal_eval(inside)      # table rows are stored as the repr of a list
        pages[rec["page"]].append(" | ".join(map(str, inside)) if isinstance(inside, list) else str(inside))
    return ["\n".join(pages.get(i, [])) for i in range(1, max(pages) + 1)]


@pytest.mark.reference
def test_real_report_finds_the_environment_department(reference_dir, tmp_path):
    """安靠智电 2019 twice names 环境保护部门 (公布的重点排污单位): listed as a likely false positive."""
    from smtext.text.index_job import index_extract
    from smtext.text.normalize import normalize_pages

    folder = reference_dir / "04_annual_report_300617"
    pages = normalize_pages(_real_pages(folder / "300617_安靠智电_2019_年度报告.jsonl"))
    ext = _write_extract(tmp_path / "extract", {("300617", 2019): pages})
    lex = _write_lexicon(tmp_path, GREEN + "green,智能\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        index_extract(ext, {"green": str(lex), "wufei2021_digital": "wufei2021_digital"}, tmp_path / "index",
                      clean_lexicon=None)
    v, _ = _validate(tmp_path)
    lv = v.lexicons["green"]
    fp = lv.false_positives
    # one of the two (其子公司是否属于环境保护部门) is already dropped by the negation filter (否)
    assert fp.loc[fp["longer"] == "环境保护部门", "hits"].sum() >= 1
    # 智能 is mostly the firm's own name, 江苏安靠智能输电工程科技股份有限公司
    own = fp.loc[(fp["reason"] == "company_name") & (fp["longer"] == "智能输电工程科技股份有限公司"), "hits"].sum()
    assert own == "\n".join(pages).count("安靠智能输电工程科技股份有限公司") >= 20
    # names are active lines of the exclusion file; a longer dictionary word (智能化) is only suggested
    lines = v.exclusion_lines()
    assert "智能输电工程科技股份有限公司" in lines and "环境保护部门" in lines
    assert "# 智能化" in lines and "智能化" not in lines
    terms = pd.read_parquet(tmp_path / "index" / "term_counts.parquet")
    for k, lv in v.lexicons.items():
        t = terms[terms["lexicon"] == k]
        assert lv.summary["hits"] == int(t["n"].sum())
        ex = lv.examples
        assert (ex["hit"] == ex["term"]).all()
        # every term with hits has its examples (up to 3, here one report)
        assert set(ex["term"]) == set(lv.terms.loc[lv.terms["hits"] > 0, "term"].head(20))


@pytest.mark.slow
def test_demo_world_extract_count_validate(demo_world, tmp_path):
    """The whole path on a small demo world: extract, count, validate; numbers against pandas, same bytes twice."""
    from typer.testing import CliRunner

    from smtext.cli import app

    world = demo_world(n_firms=20, first_year=2018, last_year=2020, seed=7)
    run = CliRunner()
    res = run.invoke(app, ["--quiet", "extract", str(world / "reports"), "--out", str(tmp_path / "ext"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    res = run.invoke(app, ["--quiet", "index", "count", str(tmp_path / "ext"), "-l", "wufei2021_digital",
                           "-l", "smart_manufacturing", "--out", str(tmp_path / "idx")])
    assert res.exit_code == 0, res.output
    for out in ("a", "b"):
        res = run.invoke(app, ["--quiet", "index", "validate", str(tmp_path / "idx"), "--out", str(tmp_path / out),
                               "-r", "digital=wufei2021_digital"])
        assert res.exit_code == 0, res.output
    for name in ("validation.html", "validation.json", "exclusions.txt", "figures/wufei2021_digital_trend.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    fy = pd.read_parquet(tmp_path / "idx" / "firm_year_index.parquet")
    numbers = json.loads((tmp_path / "a" / "validation.json").read_text(encoding="utf-8"))["lexicons"]
    for key in ("wufei2021_digital", "smart_manufacturing"):
        c = fy[key + "_count"].dropna()
        assert abs(numbers[key]["summary"]["zeros_share"] - (c == 0).mean()) < 1e-12
        by = pd.DataFrame(numbers[key]["by_year"]).set_index("year")
        hand = fy.dropna(subset=[key + "_count"]).groupby("year")[key + "_count"]
        assert np.allclose(by["mean"], hand.mean(), atol=1e-12, rtol=0)
        assert np.allclose(by["share_positive"], hand.apply(lambda s: (s > 0).mean()), atol=1e-12, rtol=0)
    corr = pd.DataFrame(numbers["smart_manufacturing"]["correlations"]).set_index("reference")
    both = fy[["smart_manufacturing_ln", "wufei2021_digital_ln"]].dropna()
    assert corr.loc["digital", "n"] == len(both)
    assert abs(corr.loc["digital", "pearson"] - both.corr().iloc[0, 1]) < 1e-12
    assert abs(corr.loc["digital", "spearman"] - both.corr(method="spearman").iloc[0, 1]) < 1e-12
    ex = pd.DataFrame(numbers["wufei2021_digital"]["examples"])
    assert len(ex) and (ex["hit"] == ex["term"]).all()
