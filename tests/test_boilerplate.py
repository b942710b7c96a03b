"""Broker boilerplate in analyst reports: the three rules on hand-made reports, and on a demo world
the planted boilerplate (with keywords inside) is removed exactly and its keywords are not counted."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from smtext import demo
from smtext.demo import text as demo_text
from smtext.errors import SMError, SMWarning
from smtext.text import boilerplate as bp
from smtext.text.extract import clean_boilerplate, read_documents, read_folder
from smtext.text.w2v import nml_index

BODY = "公司持续推进科技创新，新质生产力加快形成。\n风险提示：原材料价格波动，行业竞争加剧。"
TAIL = ("分析师声明\n作者具有证券投资咨询执业资格，本报告清晰准确地反映了作者的研究观点，涉及人工智能的表述仅供参考。\n"
        "投资评级说明\n买入：相对沪深300指数涨幅超过20%。\n增持\n免责声明\n本报告仅供本公司客户使用，关于新质生产力的观点不构成投资建议。\n"
        "联系方式\n地址：上海市浦东新区88号\n邮箱：research@example.com")


# ---------------------------------------------------------------- single report
def test_title_block_runs_to_the_end_and_content_before_it_is_kept():
    clean, s = bp.strip_text(BODY + "\n" + TAIL)
    assert clean == BODY
    assert s["boilerplate_titles"] == "分析师声明;投资评级说明;免责声明;联系方式"
    assert s["boilerplate_chars"] == s["boilerplate_title_chars"] == len("".join(TAIL.split()))
    assert s["raw_chars"] == len("".join((BODY + TAIL).split()))


def test_a_content_heading_ends_a_disclaimer_placed_before_the_text():
    text = "重要声明：\n本报告仅供参考，涉及人工智能的观点不构成建议。\n一、投资要点\n公司推进人工智能应用。\n盈利预测\n预计收入增长。"
    clean, s = bp.strip_text(text)
    assert clean == "一、投资要点\n公司推进人工智能应用。\n盈利预测\n预计收入增长。"
    assert s["boilerplate_lines"] == 2
    # a date or a bare number inside the block is not a heading
    clean, s = bp.strip_text("正文。\n免责声明\n2023.06.30\n1. \n本报告仅供参考，人工智能相关观点不构成建议。")
    assert clean == "正文。" and s["boilerplate_lines"] == 4


def test_single_line_patterns_and_their_limits():
    lines = ["证券研究报告", "分析师：王磊", "SAC 执业证书编号：S0570520080004", "请阅读最后一页信息披露和重要声明",
             "请务必阅读正文之后的免责声明部分", "电话：021-12345678", "经营证券期货业务许可证编号：91320000704041011J"]
    kept = ["公司评级：买入（维持）",                                         # a rating is content, not a title
            "公司已取得药品生产许可证号及增值电信业务经营许可证。",               # a firm's licences are content
            "公司客服电话：400-000-0000，" + "公司持续推进数字化转型，服务客户超过一千万户。" * 3]  # a long paragraph
    clean, s = bp.strip_text("\n".join(lines + kept))
    assert clean.split("\n") == kept
    assert s["boilerplate_lines"] == len(lines) and s["boilerplate_pattern_chars"] == s["boilerplate_chars"]


# ---------------------------------------------------------------- repetition across a broker's reports
BODIES = ["公司推进科技创新，收入稳步增长。", "新品放量带动毛利率回升明显。", "海外渠道拓展顺利，订单饱满。",
          "原料成本下行，盈利能力改善。", "产能爬坡完成，规模效应显现。", "研发投入加大，新质生产力初具规模。",
          "行业集中度提升，龙头地位稳固。", "现金流充裕，分红比例有望提高。"]


def _table(n: int, broker: str, slogan: str, share: float) -> pd.DataFrame:
    rows = []
    for i in range(n):
        body = f"第{i}篇：{BODIES[i % len(BODIES)]}"
        text = (slogan + "\n" if i < share * n else "") + body + "\n风险提示：下游需求不及预期，汇率波动风险。"
        rows.append({"path": f"00000{i % 3}_2023_某公司_研究报告_{broker}_{i}.pdf", "stkcd": f"00000{i % 3}",
                     "text": text})
    return pd.DataFrame(rows)


def test_a_line_in_half_a_brokers_reports_is_removed_but_not_below_the_share():
    slogan = "华泰研究：科技创新与高质量发展的研究者（2023年第5期）"
    out = bp.strip_documents(_table(8, "华泰证券", slogan, 0.5))
    assert out["broker"].eq("华泰证券").all()
    assert not out["text"].str.contains("研究者").any()
    assert out["boilerplate_repeated_chars"].sum() == 4 * len(slogan)
    assert out["text"].str.contains("风险提示").all()      # recurs in every report, kept: content
    below = bp.strip_documents(_table(8, "华泰证券", slogan, 0.25))
    assert below["text"].str.contains("研究者").sum() == 2 and below["boilerplate_chars"].sum() == 0
    # digits are masked: a line that differs only in its numbers is the same line
    dated = _table(8, "华泰证券", slogan, 0.5)
    dated["text"] = [t.replace("2023年第5期", f"2023年第{i}期") for i, t in enumerate(dated["text"])]
    assert bp.strip_documents(dated)["boilerplate_repeated_chars"].sum() == 4 * len(slogan)


def test_repetition_needs_enough_reports_and_firms_and_is_judged_per_broker():
    slogan = "某某研究所：专注科技创新研究的团队。"
    few = bp.strip_documents(_table(3, "华泰证券", slogan, 1.0))           # below min_reports = 4
    assert few["text"].str.contains("研究所").all() and few["boilerplate_chars"].sum() == 0
    one_firm = _table(6, "华泰证券", slogan, 1.0).assign(stkcd="000001")  # one firm: its own phrasing
    assert bp.strip_documents(one_firm)["text"].str.contains("研究所").all()
    # the line is boilerplate for 华泰 (all its reports) but rare among 中信's: kept there
    mixed = pd.concat([_table(6, "华泰证券", slogan, 1.0),
                       _table(6, "中信证券", slogan, 0.2).assign(path=lambda d: d["path"] + "x")], ignore_index=True)
    out = bp.strip_documents(mixed)
    assert not out.loc[out["broker"] == "华泰证券", "text"].str.contains("研究所").any()
    assert out.loc[out["broker"] == "中信证券", "text"].str.contains("研究所").sum() == 2


def test_unknown_brokers_are_compared_with_all_reports():
    d = _table(6, "华泰证券", "这是一段出现在每篇报告里的机构介绍文字。", 1.0)
    d["path"] = [f"report_{i}.pdf" for i in range(6)]
    out = bp.strip_documents(d)
    assert out["broker"].isna().all() and not out["text"].str.contains("机构介绍").any()


def test_broker_of():
    assert bp.broker_of("reports/2023/000001_2023_平安银行_研究报告_华泰证券_1.pdf") == "华泰证券"
    assert bp.broker_of("600030_2023_中信证券_研究报告_国泰君安_2.pdf") == "国泰君安"   # the firm is a broker too
    assert bp.broker_of("600030_2023_中信证券_研究报告_华泰证券研究所_2.pdf") == "华泰证券"
    assert bp.broker_of("report.pdf", "证券研究报告\n招商证券 公司研究\n正文") == "招商证券"
    assert bp.broker_of("report.pdf", "正文") is None and bp.broker_of(None) is None


def test_options_are_checked_and_an_emptied_report_is_warned_about():
    with pytest.raises(SMError, match="SM141"):
        bp.BoilerplateConfig(min_share=0)
    with pytest.raises(SMError, match="SM141"):
        bp.BoilerplateConfig(min_reports=0)
    d = pd.DataFrame({"path": ["a_研究报告_华泰证券.pdf", "b.pdf"], "text": ["免责声明\n" + "本报告仅供参考。" * 5, None]})
    with pytest.warns(SMWarning, match="SM140"):
        out = bp.strip_documents(d)
    assert out["text"].tolist()[0] == "" and pd.isna(out["text"].tolist()[1])
    assert pd.isna(out["boilerplate_chars"].tolist()[1])


def test_clean_boilerplate_modes():
    d = pd.DataFrame({"path": ["a.pdf", "b.pdf"], "doc_type": ["analyst_report", "government_report"],
                      "text": [BODY + "\n" + TAIL, "免责声明\n政府工作报告正文。"]})
    auto = clean_boilerplate(d)
    assert auto["text"].tolist() == [BODY, "免责声明\n政府工作报告正文。"]      # analyst reports only
    assert auto["boilerplate_chars"].isna().tolist() == [False, True]
    assert clean_boilerplate(d, "keep").equals(d)
    with pytest.warns(SMWarning, match="SM140"):                               # the whole report was a disclaimer
        assert clean_boilerplate(d, "remove")["text"].tolist()[1] == ""
    assert clean_boilerplate(auto).equals(auto)                                 # never cleaned twice
    with pytest.raises(SMError, match="SM002"):
        clean_boilerplate(d, "drop")


# ---------------------------------------------------------------- demo world
@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bp_world")
    demo.generate_world(out, demo.WorldConfig(n_firms=30, first_year=2020, seed=7), jobs=2)
    return out


@pytest.fixture(scope="module")
def read(world, tmp_path_factory):
    ex = tmp_path_factory.mktemp("bp_extract")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SMWarning)                  # no report is emptied (SM140)
        docs = read_folder(world / "reports" / "analyst", ex, "analyst_report", jobs=2)
    return ex, docs


def test_demo_boilerplate_is_removed_exactly(world, read):
    ex, docs = read
    truth = pd.read_csv(world / "truth" / "analyst_boilerplate.csv")
    truth.index = truth["file"].str.removeprefix("reports/analyst/")
    d = docs.set_index("path")
    assert set(d.index) == set(truth.index) and d["broker"].tolist() == truth.loc[d.index, "broker"].tolist()
    # every planted character is removed and nothing else: the boilerplate once here; the footer,
    # a line at the foot of every page, goes earlier as a running footer (n_header_lines: it, the
    # header and the page number on every page)
    expected = truth["chars"]
    assert (d["boilerplate_chars"] == expected.loc[d.index]).all()
    assert (d["n_header_lines"] == 3 * d["n_pages"]).all()
    assert (d[[f"boilerplate_{r}_chars" for r in bp.REASONS]] > 0).all().all()   # each rule has work to do
    assert d["boilerplate_titles"].eq("分析师声明;投资评级说明;免责声明;联系方式").all()
    # the counts are in the outputs: a per-report CSV and the totals
    csv = pd.read_csv(ex / "boilerplate.csv", encoding="utf-8-sig")
    assert len(csv) == len(docs) and csv["boilerplate_chars"].sum() == d["boilerplate_chars"].sum()
    summary = json.loads((ex / "boilerplate.json").read_text(encoding="utf-8"))
    assert summary["chars_removed"] == int(expected.sum()) and summary["reports_with_boilerplate"] == len(docs)


def test_demo_boilerplate_keywords_are_not_counted(world, read):
    ex, docs = read
    words = [demo_text.NQPF_SEED, *demo_text.NQPF_SYNONYMS]
    real = pd.read_csv(world / "truth" / "nqpf_mentions.csv", dtype={"stkcd": str})
    real = real[real["file"].str.startswith("reports/analyst/") & real["term"].isin(words)]
    inside = pd.read_csv(world / "truth" / "boilerplate_mentions.csv", dtype={"stkcd": str})
    assert inside["in_boilerplate"].all()
    assert {"slogan", "disclaimer"} <= set(inside["block"])               # found by repetition and by title
    assert {demo_text.NQPF_SEED, "人工智能", "机器学习"} <= set(inside["term"])
    inside = inside[inside["term"].isin(words)]
    assert inside["n"].sum() > 0

    def count(frame):
        got = nml_index(frame, words).table.set_index(["stkcd", "year"])["N_ML_count"].astype(int)
        return got, got.index

    got, idx = count(docs)
    planted = real.groupby(["stkcd", "year"])["n"].sum().reindex(idx).fillna(0).astype(int)
    assert (got == planted).all()                                          # tolerance 0
    # with the boilerplate kept (the text before this cleaning) its mentions are counted on top
    raw, idx = count(read_documents(ex, "analyst_report", boilerplate="keep"))
    extra = inside.groupby(["stkcd", "year"])["n"].sum().reindex(idx).fillna(0).astype(int)
    assert (raw == planted + extra).all() and extra.sum() > 0
    # nor are they in the text the Word2Vec corpus is built from
    for term in ("人工智能", "机器学习"):
        assert not docs["text"].str.contains(term).any()


def test_demo_cleaning_is_deterministic(read):
    ex, docs = read
    again = read_documents(ex, "analyst_report")
    pd.testing.assert_frame_equal(again, docs)
    first = (ex / "boilerplate.csv").read_bytes()
    from smtext.text.extract import write_boilerplate_report
    write_boilerplate_report(again, ex)
    assert (ex / "boilerplate.csv").read_bytes() == first


def test_a_real_layout_tail_with_wrapped_lines_tables_and_footers():
    # the closing pages as PDF text comes out of a real broker report (layout only, wording our own):
    # lines wrapped mid-sentence, the rating table one cell per line, a 请阅读 footer, contacts in columns
    body = ["数据来源：Wind，某证券研究所整理", "风险提示：1）宏观环境超预期变化；2）模型失效风险"]
    tail = ["请阅读最后一页信息披露和重要声明", "- 34 -", "分析师声明",
            "本人具有中国证券业协会授予的证券投资咨询执业资格并登记为证券分析师，以勤勉的职业态度，独立、客观地出具本",
            "报告。本报告清晰准确地反映了本人的研究观点。", "投资评级说明", "投资建议的评级标准", "类别", "评级", "说明",
            "股票评级", "买入", "相对同期相关证券市场代表性指数涨幅大于15%", "行业评级", "推荐", "信息披露",
            "本公司在知晓的范围内履行信息披露义务。", "使用本研究报告的风险提示及法律声明",
            "本报告仅供本公司的客户使用，涉及人工智能与新质生产力的观点仅供参考。", "特别声明", "某证券研究",
            "上 海", "北 京", "地址：上海浦东新区某路36号", "邮编：200135", "邮箱：research@example.com.cn"]
    clean, s = bp.strip_text("\n".join(body + tail))
    # before the first title the footer goes by its form; a bare page number is left to the page-level
    # cleaning (smtext.text.normalize), which drops it when pages are extracted
    assert clean.split("\n") == [*body, "- 34 -"]
    assert s["boilerplate_titles"] == "分析师声明;投资评级说明;信息披露;特别声明"
    assert s["boilerplate_lines"] == len(tail) - 1


def test_demo_boilerplate_draws_from_its_own_stream(monkeypatch):
    # the rest of the world does not move: without the boilerplate step, every other document, its
    # truth and the analyst reports' own text are the same
    from smtext.demo import world as W

    cfg = demo.WorldConfig(n_firms=12, first_year=2021, seed=3)
    eco = W.build_economy(cfg)
    jobs, docs, mentions, nqpf, clean, boiler, _user = W._document_plan(cfg, eco["firms"], eco["fin"])
    assert len(boiler["reports"]) == sum(d["doc_type"] == "analyst_report" for d in docs) > 0
    monkeypatch.setattr(W.text, "broker_boilerplate", lambda rng, spec, broker, year: (spec, demo_text.Boilerplate(
        broker, {"footer": ""})))
    jobs0, docs0, mentions0, nqpf0, clean0, _, _user0 = W._document_plan(cfg, eco["firms"], eco["fin"])
    assert (docs0, mentions0, nqpf0, clean0) == (docs, mentions, nqpf, clean)
    for (path, spec, mode, seed), (path0, spec0, mode0, seed0) in zip(jobs, jobs0):
        assert (path, mode, seed) == (path0, mode0, seed0)
        if spec is not None and "/analyst/" in path:
            assert spec.sections[:len(spec0.sections)] == spec0.sections and spec.footer
        else:
            assert spec == spec0
