"""Corpus manifests: file-name parsing, recursive scanning and the one-report-per-firm-year choice."""

from __future__ import annotations

import pytest

from smtext.text.corpus import parse_filename, scan, select


@pytest.mark.parametrize("name, expected", [
    # the cninfo layouts the issue names
    ("000001_2019_平安银行_2019年年度报告.pdf", ("000001", 2019, "平安银行", "annual_report", 0)),
    ("2020-01-21__江苏安靠智能输电工程科技股份有限公司__300617__安靠智电__2019年__年度报告.pdf",
     ("300617", 2019, "安靠智电", "annual_report", 0)),
    # common variants: other separators, exchange prefixes/suffixes, glued names, upper-case extension
    ("600000-2019-浦发银行-2019年年度报告.pdf", ("600000", 2019, "浦发银行", "annual_report", 0)),
    ("600000 浦发银行 2019年年度报告.pdf", ("600000", 2019, "浦发银行", "annual_report", 0)),
    ("SH600000_2019_浦发银行_年报.pdf", ("600000", 2019, "浦发银行", "annual_report", 0)),
    ("600000.SH_2019_浦发银行_2019年年度报告.pdf", ("600000", 2019, "浦发银行", "annual_report", 0)),
    ("600000浦发银行2019年年度报告.pdf", ("600000", 2019, "浦发银行", "annual_report", 0)),
    ("000001_平安银行_2019年年度报告.PDF", ("000001", 2019, "平安银行", "annual_report", 0)),
    # revisions: 更正 / 修订 / 更新 (cninfo's usual label) count as amended filings
    ("600000_2019_浦发银行_2019年年度报告（更正后）.pdf", ("600000", 2019, "浦发银行", "annual_report", 1)),
    ("600000_2019_浦发银行_2019年年度报告（更新后）.pdf", ("600000", 2019, "浦发银行", "annual_report", 1)),
    ("000001_2019_平安银行_2019年年度报告(修订版).pdf", ("000001", 2019, "平安银行", "annual_report", 1)),
    # documents that are not the annual report although their titles contain 年度报告 / 年报
    ("600000_2019_浦发银行_2019年半年度报告.pdf", ("600000", 2019, "浦发银行", "semiannual_report", 0)),
    ("600000_2019_浦发银行_2019年第三季度报告.pdf", ("600000", 2019, "浦发银行", "quarterly_report", 0)),
    ("600000_2019_浦发银行_关于2019年年度报告的更正公告.pdf", ("600000", 2019, "浦发银行", "announcement", 1)),
    ("600000_2019_浦发银行_2019年年度报告（已取消）.pdf", ("600000", 2019, "浦发银行", "cancelled", 0)),
    ("600000_2019_浦发银行_2019年年度报告摘要.pdf", ("600000", 2019, "浦发银行", "summary", 0)),
    ("600000_2019_浦发银行_2019年年度报告（英文版）.pdf", ("600000", 2019, "浦发银行", "english", 0)),
    ("300750_2022_宁德时代_2022年年报点评_中信证券.pdf", ("300750", 2022, "宁德时代", "analyst_report", 0)),
    # no code: unidentified for firm-year purposes (without a firm table), but the year and type are still read
    ("2023年政府工作报告.pdf", (None, 2023, None, "government_report", 0)),
    ("平安银行：2019年年度报告.pdf", (None, 2019, "平安银行", "annual_report", 0)),
])
def test_parse_filename_variants(name, expected):
    p = parse_filename(name)
    assert (p.stkcd, p.year, p.firm, p.doc_type, p.revision) == expected


def test_scan_is_recursive_and_case_insensitive_and_select_explains_every_exclusion(tmp_path):
    names = {
        "2019/600000_2019_浦发银行_2019年年度报告.pdf": "superseded_by_revision",
        "2019/600000_2019_浦发银行_2019年年度报告（更新后）.pdf": None,              # kept: the latest revision
        "2019/600000_2019_浦发银行_关于2019年年度报告的更正公告.pdf": "doc_type:announcement",
        "2019/600000_2019_浦发银行_2019年半年度报告.pdf": "doc_type:semiannual_report",
        "2019/600000_2019_浦发银行_2019年年度报告摘要.pdf": "doc_type:summary",
        "2019/600000_2019_浦发银行_2019年年度报告（英文版）.pdf": "doc_type:english",
        "2019/sub/000001_2019_平安银行_2019年年度报告.PDF": None,                   # deeper and upper case
        "2019/000001_2019_平安银行_2019年年度报告（已取消）.pdf": "doc_type:cancelled",
        "2020/平安银行：2020年年度报告.pdf": "unidentified",   # no firm table: the short name cannot be resolved
        "notes.txt": "not scanned",
    }
    for rel in names:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"%PDF-1.4\n")
    found = scan(tmp_path)
    assert len(found) == len(names) - 1 and str(found["year"].dtype) == "Int64"
    kept, excluded = select(found)
    assert sorted(kept["path"]) == sorted(r for r, why in names.items() if why is None)
    assert dict(zip(excluded["path"], excluded["reason"])) == {
        r: why for r, why in names.items() if why not in (None, "not scanned")}
    assert not kept.duplicated(["stkcd", "year"]).any() and str(kept["year"].dtype) == "int64"


def test_select_every_document_of_a_type():
    # analyst reports come several per firm-year, government work reports without a stock code
    import pandas as pd

    names = ["000263_2015_瑞越精密_研究报告_中信证券_1.pdf", "000263_2015_瑞越精密_研究报告_华泰证券_2.pdf",
             "000263_2015_瑞越精密_2015年年度报告.pdf", "2023年政府工作报告.pdf"]
    rows = [{"path": n, **{k: getattr(parse_filename(n), k) for k in ("stkcd", "year", "doc_type", "revision")}}
            for n in names]
    found = pd.DataFrame(rows).astype({"year": "Int64"})
    kept, excluded = select(found, ("analyst_report",), per_firm_year=False)
    assert kept["path"].tolist() == names[:2] and excluded["reason"].tolist() == ["doc_type:annual_report",
                                                                                   "doc_type:government_report"]
    assert select(found, ("analyst_report",))[0]["path"].tolist() == names[1:2]     # one per firm-year
    gov, _ = select(found, ("government_report",), per_firm_year=False)
    assert gov["path"].tolist() == names[3:] and gov["stkcd"].isna().all() and gov["year"].tolist() == [2023]
