"""Real report layouts: running header/footer blocks, page-number forms and wrapped lines (issue 23).

Three kinds of evidence: hand-made pages with the furniture seen in cninfo reports, the
``block`` layout of the demo renderer (the look-alikes CI runs without real files) and the
page records of two real reports in ``../shared/reference`` (skipped when absent).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import numpy as np
import pytest

from smtext.text.normalize import join_pages, normalize_pages, strip_headers_footers

COMPANY, TITLE = "平安示例银行股份有限公司", "2024 年年度报告"
# chapters of 1, 2, 5 and 9 pages: a chapter title runs as a header over its own pages
CHAPTERS = [("第一章 重要提示", 1), ("第二章 公司简介", 2), ("第三章 管理层讨论与分析", 5), ("第四章 公司治理", 9)]
BODY = "报告期内本行坚持稳中求进，持续推进数字化转型，零售业务、对公业务和资金同业业务均保持稳健发展态势"


def _block_pages(footer: str) -> tuple[list[str], list[str]]:
    """Pages with a four-line header block (chapter, page number, company, report title) and a footer."""
    pages, bodies = [], []
    n = sum(k for _, k in CHAPTERS)
    no = 0
    for chapter, k in CHAPTERS:
        for j in range(k):
            no += 1
            body = [f"{BODY}，第{no}页正文{i}。" for i in range(3)]
            if j == 0:
                body.insert(0, chapter)         # the chapter's own heading on its first page
            bodies.append("\n".join(body))
            head = [chapter, str(no), COMPANY, TITLE]
            pages.append("\n".join([*head, *body, footer.format(n=no, N=n)]))
    return pages, bodies


@pytest.mark.parametrize("footer", ["第 {n} 页 共 {N} 页", "- {n} -", "{n} / {N}", "{n}", "2-{n}"])
def test_header_blocks_of_four_lines_and_footer_forms_go(footer):
    pages, bodies = _block_pages(footer)
    out = strip_headers_footers(pages)
    assert [p.strip() for p in out] == bodies
    text = join_pages(normalize_pages(pages))[0]
    lines = Counter(ln.strip() for ln in text.split("\n"))
    # every header line at most once; each chapter title exactly once: it is the chapter's heading
    assert lines[COMPANY] == 0 and lines[TITLE] == 0
    assert all(lines[chapter] == 1 for chapter, _ in CHAPTERS)


def test_removed_header_lines_are_counted():
    from smtext.text.normalize import normalize_document

    pages, _ = _block_pages("第 {n} 页 共 {N} 页")
    res = normalize_document(pages)
    # 5 furniture lines per page (4 header lines + footer)
    assert res.running_lines_removed == 5 * len(pages)
    assert sum(map(len, res.pages)) < sum(map(len, pages))


def test_table_captions_and_dated_rows_at_page_tops_stay():
    """Body lines that open several pages in a row are not headers: 单位：元, □适用 √不适用, a table's rows."""
    top = ["单位：元", "□适用 √不适用"]
    pages, want = [], []
    for d in range(1, 31):
        body = [*top, f"2019年03月{d:02d}日 实地调研 机构 详见公告"] if 10 <= d < 16 else [f"{BODY}，{d}。"]
        pages.append("\n".join(["示例公司 2019 年年度报告", *body, f"{BODY}。", str(d)]))
        want.append([*body, f"{BODY}。"])
    assert [p.split("\n") for p in strip_headers_footers(pages)] == want


def _wrap(text: str, cells: int) -> list[str]:
    from smtext.text.normalize import display_width

    lines, cur = [], ""
    for ch in text:
        if display_width(cur + ch) > cells and cur:
            lines.append(cur)
            cur = ""
        cur += ch
    return [*lines, cur] if cur else lines


def test_wraps_after_punctuation_and_around_digits_are_joined_against_the_body_width():
    from smtext.text.normalize import join_cjk_linebreaks

    # physical lines of about 36 CJK characters, as a PDF gives them
    lines = ["报告期内，本行实现营业收入1,466.95亿元，同比下降10.9%；净利润445.08亿元，",   # ends with ，
             "同比下降4.2%，零售业务、对公业务、资金同业业务协同发展，数字化转型、数字",
             "经济、智能制造、工业互联网等重点领域贷款快速增长，本行不良贷款拨备覆盖率为",  # then digits
             "250.71%，较上年末下降26.92个百分点，资产质量保持稳定，风险总体可控",         # then 。
             "。本行持续推进智能化改造。"]
    para = "".join(lines)
    wide_row = "项目 2024年 2023年 增减 2022年 占比 同比 营业收入 146,695 164,699 -10.9% 179,895 100.00% -8.4%"
    toc = "第三章 管理层讨论与分析" + "." * 80 + "23"
    page = "\n".join([toc, "第三章 管理层讨论与分析", "一、总体经营情况", *lines, wide_row,
                      "（一）资产质量", "1.2.3 不良贷款", *lines])
    out = join_cjk_linebreaks(page).split("\n")
    assert out == [toc, "第三章 管理层讨论与分析", "一、总体经营情况", para, wide_row,
                   "（一）资产质量", "1.2.3 不良贷款", para]


def test_a_heading_after_a_full_line_is_not_glued():
    from smtext.text.normalize import join_cjk_linebreaks

    full = "本" * 40
    for heading in ("第四节 经营情况讨论与分析", "二、主营业务分析", "（二）收入与成本", "3、研发投入", "7.讨论与分析",
                    "1.2.3 资产负债"):
        text = "\n".join([full, full, f"{full[:-1]}公", heading, full])
        assert heading in join_cjk_linebreaks(text).split("\n")


# the look-alikes: demo reports rendered with real reports' page furniture

FIRM = {"name": "示例科技股份有限公司", "short_name": "示例科技", "stkcd": "000001"}
FIN = {"revenue": 1e9, "revenue_prev": 9e8, "net_profit": 1e8, "total_assets": 5e9}


@pytest.mark.parametrize("k", range(6))
def test_lookalike_reports_come_out_clean(tmp_path, k):
    from smtext.demo.pdf import FOOTERS, render_pdf_with_pages
    from smtext.demo.text import SMART_TERMS, lookalike_report
    from smtext.text.pdf import extract_pdf, extract_record
    from smtext.text.sections import find_mda_in_pages

    rng = np.random.default_rng(k)
    spec = lookalike_report(rng, FIRM, 2019, FIN, [(SMART_TERMS[i % 10], "affirmative") for i in range(30)],
                            footer=FOOTERS[k])
    data, first_pages = render_pdf_with_pages(spec)
    path = tmp_path / "000001_2019_示例科技_2019年年度报告.pdf"
    path.write_bytes(data)
    doc = extract_pdf(path)
    raw = Counter(ln.strip() for p in doc.raw_pages for ln in p.replace("\r", "").split("\n"))
    assert raw[FIRM["name"]] > 10 and raw["2019年年度报告"] > 10     # the furniture is in the raw text
    lines = Counter(ln.strip() for ln in doc.text.split("\n"))
    assert lines[FIRM["name"]] <= 1 and lines["2019年年度报告"] <= 1
    assert all(lines[s.heading] == 1 for s in spec.sections)           # each chapter heading once
    truth = Counter(m.term for m in spec.mentions())
    assert {t: doc.text.count(t) for t in truth} == dict(truth)
    assert find_mda_in_pages(doc.pages).first_page == first_pages["mda"]
    rec = extract_record(path)
    assert rec["n_header_lines"] == doc.header_lines_removed >= 4 * (doc.n_pages - 1)
    assert rec["n_wraps_joined"] == doc.wraps_joined > 0


# real reports (page records of the FinGLM parse of two cninfo PDFs)


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def _pages(records: list[dict], cells: int | None = None) -> list[str]:
    """Page texts with headers and footers in place; ``cells`` re-wraps prose records at that width."""
    pages = defaultdict(list)
    for rec in records:
        text = str(rec["inside"])
        if cells and rec["type"] == "text":
            pages[rec["page"]].extend(_wrap(text, cells) or [""])
        else:
            pages[rec["page"]].append(text)
    return ["\n".join(pages.get(i, [])) for i in range(1, max(pages) + 1)]


REPORTS = ["04_annual_report_300617/300617_安靠智电_2019_年度报告.jsonl",
           "04_annual_report_601658/601658_邮储银行_2019_年度报告.jsonl"]


# running headers the parse left as text: the bank's company name (on 49% of its pages) and the
# headers of its financial statements' notes
RUNNING_AS_TEXT = {REPORTS[0]: ["江苏安靠智能输电工程科技股份有限公司2019年年度报告全文"],
                   REPORTS[1]: ["中国邮政储蓄银行股份有限公司", "2019年度财务报表附注", "(除特别注明外，金额单位均为人民币百万元)",
                                "八财务报表项目附注(续)", "十二金融风险管理(续)"]}


@pytest.mark.parametrize("name", REPORTS)
def test_real_running_headers_and_footers_appear_at_most_once(reference_dir, name):
    records = _records(reference_dir / name)
    text = join_pages(normalize_pages(_pages(records)))[0]
    lines = Counter(ln.strip() for ln in text.split("\n"))
    furniture = {str(r["inside"]).strip() for r in records if r["type"] in ("页眉", "页脚")}
    assert furniture and max(lines[h] for h in furniture | set(RUNNING_AS_TEXT[name])) <= 1


def test_real_running_headers_go_and_body_lines_stay(reference_dir):
    """安靠智电 2019: the header on every page and the page-number footers go, no body line does."""
    from smtext.text.normalize import normalize_document

    records = _records(reference_dir / REPORTS[0])
    pages = _pages(records)
    header = "江苏安靠智能输电工程科技股份有限公司2019年年度报告全文"
    n_furniture = sum(r["type"] in ("页眉", "页脚") for r in records)
    n_header_as_text = sum(r["type"] == "text" and r["inside"] == header for r in records)
    res = normalize_document(pages, steps=())
    assert res.running_lines_removed == n_furniture + n_header_as_text == 610
    kept = Counter(ln for p in res.pages for ln in p.split("\n"))
    body = Counter(str(r["inside"]) for r in records if r["type"] not in ("页眉", "页脚") and r["inside"] != header)
    assert kept == body


@pytest.mark.parametrize("name", REPORTS)
def test_real_prose_rewrapped_at_a_column_width_is_joined_back(reference_dir, name):
    """Each prose record re-wrapped at 80 cells (40 CJK characters): >= 95% of the breaks are joined
    and no heading is glued to a neighbour."""
    from smtext.text.normalize import fullwidth_to_halfwidth, is_heading, is_toc_line

    records = _records(reference_dir / name)
    pages = normalize_pages(_pages(records, cells=80))
    prose = [str(r["inside"]) for r in records if r["type"] == "text" and not is_toc_line(str(r["inside"]))]
    squash = lambda s: s.replace(" ", "").replace("\t", "")  # noqa: E731 - spaces at a wrap may go
    text = squash("\n".join(pages))
    # a wrapped record counts as joined when its whole text stands in one line (all its breaks gone)
    made = joined = 0
    for t in prose:
        breaks = len(_wrap(t, 80)) - 1
        made += breaks
        joined += breaks * (squash(fullwidth_to_halfwidth(t)) in text)
    assert made > 300 and joined / made >= 0.95
    lines = {squash(ln) for p in pages for ln in p.split("\n")}
    # table rows the parse left as text (1,933 合计) are not headings; a title repeated at the
    # top of the next pages with （续） is a running header and goes
    headings = [squash(fullwidth_to_halfwidth(t)) for t in prose
                if is_heading(t) and len(t.strip()) <= 30 and not re.search(r"\d,\d|[(（]续[)）]$", t.strip())]
    assert headings and all(h in lines for h in headings)


def test_a_keyword_split_over_the_lines_of_a_narrow_table_cell_is_joined():
    """A cell three characters wide (PDF text spaces its characters out): 柴油机研|发与产业化."""
    from smtext.text.normalize import join_cjk_linebreaks

    cell = ["道 路 柴", "油 机 研", "发 与 产", "业 化 拨", "款"]
    out = join_cjk_linebreaks("\n".join(["项目 2019年 2018年", *cell, "300,000.00 200,000.00"]), width=90)
    assert out.split("\n")[1] == "道 路 柴油 机 研发 与 产业 化 拨款"


# narrow table cells (the look-alike of a subsidy table): geometry joins a cell's own lines only


def _cell_table_pdf(path) -> None:
    """One ``block`` page: a ruled table whose 4-character label cells wrap over 2-3 lines (a
    keyword split between them), the amounts centred or on the first line; below it, a list of
    eight one-line, evenly spaced labels that fill their column (数字 | 化工 must stay apart; a
    list of six or fewer right under a table is taken for one cell, see smtext.text.cell_wraps)."""
    from types import SimpleNamespace

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from smtext.demo.pdf import FONT, LEFT, RIGHT, _font, _Layout

    _font()
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    lay = _Layout(c, f"{FIRM['name']} 2019年年度报告", FONT, SimpleNamespace(layout="block", page_footer="第 {n} 页"))
    lay.new_page()
    lay.line("（一）政府补助")
    lay.line("□ 适用 √ 不适用")
    size, pitch, pad = 9, 12.0, 5.0
    x0, x1, x2 = LEFT, LEFT + 4 * size + 2 * pad, RIGHT
    rows = [(["工业互联", "网平台建", "设项目"], "1,200,000.00", "centre"),
            (["智能制", "造示范研", "发"], "800,000.00", "first"),
            (["技术中心", "创新项目"], "300,000.00", "centre")]
    top = lay.y
    c.setFont(FONT, size)
    c.line(x0, top, x2, top)
    for cells, amount, where in rows:
        height = len(cells) * pitch + 2 * pad
        for i, text in enumerate(cells):
            c.drawString(x0 + pad, top - pad - (i + 1) * pitch + 3, text)
        y = top - height / 2 - 3 if where == "centre" else top - pad - pitch + 3
        c.drawRightString(x2 - pad, y, amount)
        top -= height
        c.line(x0, top, x2, top)
    for x in (x0, x1, x2):
        c.line(x, lay.y, x, top)
    top -= 30
    for label in ("营业收入", "营业成本", "资产数字", "化工原料", "销售费用", "管理费用", "研究费用", "财务费用"):
        c.drawString(x0 + pad, top, label)
        top -= 16.0
    c.showPage()
    c.save()


def test_cell_wrap_breaks_are_a_cells_own_lines(tmp_path):
    """The geometry rule finds the breaks inside the label cells and none between rows or captions."""
    import pypdfium2 as pdfium

    from smtext.text.cell_wraps import cell_wrap_breaks

    path = tmp_path / "cells.pdf"
    _cell_table_pdf(path)
    pdf = pdfium.PdfDocument(str(path))
    textpage = pdf[0].get_textpage()
    text = textpage.get_text_range()
    found = set()
    for start, end in cell_wrap_breaks(textpage, text):
        found.add((text[:start].rsplit("\n", 1)[-1].strip(), text[end:].split("\r", 1)[0].strip()))
    pdf.close()
    assert found == {("工业互联", "网平台建"), ("网平台建", "设项目"), ("智能制", "造示范研"), ("造示范研", "发"),
                     ("技术中心", "创新项目 300,000.00")}


def test_a_keyword_split_over_the_lines_of_a_narrow_cell_is_counted(tmp_path):
    from smtext.text.pdf import extract_pdf

    path = tmp_path / "cells.pdf"
    _cell_table_pdf(path)
    doc = extract_pdf(path)
    raw = "".join(doc.raw_pages)
    assert "工业互联\r\n网平台" in raw and "示范研\r\n发" in raw      # PDFium breaks the cells' lines
    lines = [ln.strip() for ln in doc.text.split("\n")]
    assert any(ln.startswith("工业互联网平台建设项目") for ln in lines) and "智能制造示范研发" in lines
    assert {t: doc.text.count(t) for t in ("工业互联网", "智能制造", "研发", "创新")} == {
        "工业互联网": 1, "智能制造": 1, "研发": 1, "创新": 1}
    assert "□ 适用 √ 不适用" in lines and any(ln.startswith("（一）政府补助") for ln in lines)


def test_cell_wraps_need_the_pdfium_geometry(tmp_path):
    """pdfplumber's text has no character boxes here: the cells' lines stay apart (documented)."""
    from smtext.text.pdf import extract_pdf

    path = tmp_path / "cells.pdf"
    _cell_table_pdf(path)
    assert "工业互联网平台建设项目" not in extract_pdf(path, backend="pdfplumber").text.split("\n")
