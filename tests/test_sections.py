"""Section detection on the demo world and on real annual-report text."""

from __future__ import annotations

import pytest

from smtext.errors import SMError
from smtext.text.sections import (
    chinese_numeral,
    find_mda,
    find_mda_in_pages,
    find_sections,
)


@pytest.mark.parametrize("text, value", [("一", 1), ("四", 4), ("十", 10), ("十一", 11), ("十三", 13),
                                         ("二十", 20), ("二十一", 21), ("12", 12)])
def test_chinese_numerals(text, value):
    assert chinese_numeral(text) == value


REPORT = """江苏示例股份有限公司
2019年年度报告
目录
第一节 重要提示、目录和释义 .......... 2
第四节 经营情况讨论与分析 .......... 9
第五节 重要事项……………… 20
第一节 重要提示、目录和释义
本公司董事会保证年度报告内容真实。
第三节 公司业务概要
公司主要从事输电设备制造。
第四节 经营情况讨论与分析
一、概述
报告期内，公司营业收入增长。详见第五节。
第五节 重要事项
一、利润分配
"""


def test_toc_entries_are_skipped_and_body_sections_found():
    secs = find_sections(REPORT)
    assert [(s.number, s.title) for s in secs] == [(1, "重要提示、目录和释义"), (3, "公司业务概要"),
                                                   (4, "经营情况讨论与分析"), (5, "重要事项")]
    mda = find_mda(REPORT)
    assert mda.text.startswith("第四节 经营情况讨论与分析") and mda.text.endswith("详见第五节。")
    assert REPORT[mda.start:mda.end].rstrip() == mda.text


def test_older_reports_use_board_report_and_banks_use_chapters():
    old = "第三节 会计数据\n数据。\n第四节 董事会报告\n一、管理层讨论与分析\n内容。\n第五节 重要事项\n"
    assert find_mda(old).title == "董事会报告"
    bank = "第一章 公司简介\n简介。\n第三章 管理层讨论与分析\n分析。\n第四章 股份变动\n"
    assert find_mda(bank).title == "管理层讨论与分析"


def test_missing_sections_raise_coded_errors():
    with pytest.raises(SMError) as err:
        find_mda("没有任何章节标题的文本。")
    assert err.value.code == "SM110"
    with pytest.raises(SMError) as err:
        find_mda("第一节 重要提示\n内容\n第二节 公司简介\n内容\n")
    assert err.value.code == "SM111"


def test_page_span():
    pages = ["封面", "第一节 重要提示\n内容", "第四节 管理层讨论与分析\n甲", "乙\n第五节 重要事项\n丙"]
    sec = find_mda_in_pages(pages)
    assert (sec.first_page, sec.last_page) == (3, 4)


def test_real_report_mda_equals_hand_cut_section(reference_dir):
    """安靠智电 2019: the MD&A cut by hand (PROVENANCE.md) equals what find_mda returns."""
    folder = reference_dir / "04_annual_report_300617"
    full = (folder / "300617_安靠智电_2019_年度报告_fulltext.txt").read_text(encoding="utf-8")
    expected = (folder / "300617_安靠智电_2019_年度报告_MDA.txt").read_text(encoding="utf-8")
    mda = find_mda(full)
    assert mda.number == 4 and mda.title == "经营情况讨论与分析"
    assert mda.text.strip() == expected.strip()


def test_bank_report_with_arabic_part_numbers(reference_dir):
    """邮储银行 2019 (H-share layout) numbers its parts 7.讨论与分析; the MD&A is part 7."""
    full = (reference_dir / "04_annual_report_601658" / "601658_邮储银行_2019_年度报告_fulltext.txt").read_text(encoding="utf-8")
    mda = find_mda(full)
    assert (mda.number, mda.title) == (7, "讨论与分析")
    assert "8.股本变动及股东情况" not in mda.text and len(mda.text) > 20000


def _jsonl_pages(path) -> list[str]:
    """Page texts of a FinGLM page-record file, running headers and footers still in place."""
    import json
    from collections import defaultdict

    pages = defaultdict(list)
    for line in path.open(encoding="utf-8"):
        rec = json.loads(line)
        pages[rec["page"]].append(str(rec["inside"]))
    return ["\n".join(pages.get(i, [])) for i in range(1, max(pages) + 1)]


def test_real_report_pages_give_the_hand_cut_mda_and_its_page_span(reference_dir):
    """安靠智电 2019 page by page: smtext strips the running headers itself, finds the MD&A on
    PDF pages 19-46 (PROVENANCE.md) and returns the hand-cut text. The hand cut kept four
    running headers and full-width ～/＝ that normalisation turns half-width; nothing else differs."""
    from smtext.text.normalize import fullwidth_to_halfwidth, normalize_pages

    folder = reference_dir / "04_annual_report_300617"
    pages = normalize_pages(_jsonl_pages(folder / "300617_安靠智电_2019_年度报告.jsonl"))
    mda = find_mda_in_pages(pages)
    assert (mda.number, mda.title, mda.first_page, mda.last_page) == (4, "经营情况讨论与分析", 19, 46)
    header = "江苏安靠智能输电工程科技股份有限公司2019年年度报告全文"
    expected = (folder / "300617_安靠智电_2019_年度报告_MDA.txt").read_text(encoding="utf-8")
    assert expected.count(header) == 4 and header not in mda.text
    squash = lambda s: "".join(s.split())  # noqa: E731 - line wraps differ
    assert squash(mda.text) == squash(fullwidth_to_halfwidth(expected).replace(header, ""))


def test_real_bank_report_pages_give_part_7(reference_dir):
    """邮储银行 2019 page by page: part 7.讨论与分析 runs from PDF page 24 to 96 (8.股本变动 starts on 97)."""
    from smtext.text.normalize import normalize_pages

    pages = normalize_pages(_jsonl_pages(reference_dir / "04_annual_report_601658" / "601658_邮储银行_2019_年度报告.jsonl"))
    mda = find_mda_in_pages(pages)
    assert (mda.number, mda.title, mda.first_page, mda.last_page) == (7, "讨论与分析", 24, 96)


def test_mda_titles_come_from_the_lexicon_file():
    from smtext.text.lexicon import load_lexicon
    from smtext.text.sections import mda_titles

    lex = load_lexicon("section_titles").terms
    assert list(mda_titles()) == lex.loc[lex["category"] == "mda", "term"].tolist()
    assert {"管理层讨论与分析", "经营情况讨论与分析", "董事会报告"} <= set(mda_titles())
    # preference order: the bank layout's 讨论与分析 wins over its separate 董事会报告 part
    assert mda_titles().index("讨论与分析") < mda_titles().index("董事会报告")


def test_section_end_excludes_blank_lines_before_the_next_heading():
    pages = ["第三节 公司业务概要\n内容", "第四节 管理层讨论与分析\n甲\n", "\n\n第五节 重要事项\n丙"]
    sec = find_mda_in_pages(pages)
    assert (sec.first_page, sec.last_page) == (2, 2)
    from smtext.text.normalize import join_pages

    text = join_pages(pages)[0]
    assert text[sec.start:sec.end] == sec.text
