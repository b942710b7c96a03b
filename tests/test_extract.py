"""Extraction, normalisation, quality flags, resumable batches and engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smtext.demo.pdf import image_only_pdf, render_pdf, truncate, unmapped_font_pdf
from smtext.demo.text import DocumentSpec, Paragraph, Section
from smtext.engine import parallel_map, run_batches
from smtext.errors import SMError
from smtext.text.normalize import (
    fullwidth_to_halfwidth,
    join_cjk_linebreaks,
    strip_headers_footers,
)
from smtext.text.pdf import extract_pdf, extract_record

# a line holds 45 CJK characters at the demo's font size: the first term is wrapped as 智能|制造.
# The sentences differ: PDFium drops a text line identical to one a few lines above it on the same
# page (its fake-bold de-duplication), so a paragraph of one sentence repeated loses lines.
OBJECTS = ["生产线", "研发中心", "供应链体系", "仓储物流", "质量检测", "设备运维", "能源管理", "销售服务",
           "信息系统", "人才队伍", "海外工厂"]
LONG = "本" * 43 + "智能制造。" + "".join(f"报告期内，公司围绕{o}持续推进智能制造建设，相关投入稳步增加。" for o in OBJECTS)


def _spec(text: str = LONG) -> DocumentSpec:
    return DocumentSpec(header="示例科技股份有限公司 2019年年度报告", cover=["示例科技股份有限公司", "2019年年度报告"],
                        sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph(text)]),
                                  Section("matters", "第五节 重要事项", [Paragraph(text)])])


@pytest.fixture()
def good_pdf(tmp_path) -> Path:
    path = tmp_path / "000001_2019_示例科技_2019年年度报告.pdf"
    path.write_bytes(render_pdf(_spec()))
    return path


def test_join_cjk_linebreaks_joins_wraps_but_keeps_headings():
    body = "报告期内公司围绕主业开展经营活动并持续推进智能"
    text = f"第四节 经营情况讨论与分析\n{body}\n制造建设，各项工作取得积极进展，经营业绩稳步提升。\n短行"
    out = join_cjk_linebreaks(text)
    assert "智能制造" in out
    assert out.startswith("第四节 经营情况讨论与分析\n")   # a short heading line is not glued to the next
    assert join_cjk_linebreaks("ABC\n智能") == "ABC\n智能"     # only CJK-CJK breaks


def test_fullwidth_and_headers():
    assert fullwidth_to_halfwidth("Ｈ０４Ｌ２７／２６，") == "H04L27/26，"
    bodies = ["公司营业收入增长。\n毛利率提升。", "研发投入增加。\n专利数量上升。", "现金流量良好。\n负债率下降。",
              "客户结构优化。\n渠道拓展。", "分红方案通过。\n治理完善。"]
    pages = [f"示例公司 2019年年度报告\n{b}\n{i}" for i, b in enumerate(bodies, 1)]
    out = strip_headers_footers(pages)
    assert [p.strip() for p in out] == bodies


def test_extract_keeps_pages_and_counts_wrapped_keywords(good_pdf):
    doc = extract_pdf(good_pdf)
    assert doc.n_pages >= 4 and len(doc.pages) == len(doc.raw_pages)
    # 24 planted mentions; some are wrapped across lines in the raw text
    assert doc.text.count("智能制造") == 24
    assert "\n".join(doc.raw_pages).count("智能制造") < 24
    assert "年度报告" not in "".join(doc.pages[2:])           # running header stripped


def test_pdfplumber_backend_agrees(good_pdf):
    a = extract_pdf(good_pdf, backend="pdfium").text
    b = extract_pdf(good_pdf, backend="pdfplumber").text
    strip = lambda s: "".join(s.split())  # noqa: E731 - whitespace differs between backends
    assert strip(a) == strip(b)


@pytest.mark.parametrize("kind, code", [("encrypted", "SM101"), ("truncated", "SM102"), ("image", "SM103"),
                                        ("unmapped", "SM104"), ("empty", "SM105"), ("missing", "SM106"),
                                        ("garbage", "SM102")])
def test_every_failure_reason_has_a_code(tmp_path, kind, code):
    """Each reason with a real broken file, for both backends, and as a flagged batch record."""
    path = tmp_path / f"{kind}.pdf"
    if kind == "unmapped":
        path.write_bytes(unmapped_font_pdf(np.random.default_rng(0)))
    elif kind == "encrypted":
        path.write_bytes(render_pdf(_spec(), encrypt="secret"))
    elif kind == "truncated":
        path.write_bytes(truncate(render_pdf(_spec())))
    elif kind == "image":
        path.write_bytes(image_only_pdf(np.random.default_rng(0), 2))
    elif kind == "empty":
        from reportlab.pdfgen import canvas
        c = canvas.Canvas(str(path))
        c.showPage()
        c.save()
    elif kind == "garbage":
        path.write_bytes(b"%PDF-1.4\nthis is not a pdf")
    for backend in ("pdfium", "pdfplumber"):
        with pytest.raises(SMError) as err:
            extract_pdf(path, backend=backend)
        assert err.value.code == code, backend
    rec = extract_record(path)
    assert rec["code"] == code and rec["pages"] == [] and rec["status"] != "ok"


def test_unmapped_glyphs_are_what_each_backend_returns(tmp_path):
    """The SM104 file really has a text layer: pdfplumber prints (cid:NN), PDFium raw codes."""
    from smtext.text.pdf import _pdfium_pages, _pdfplumber_pages, unmapped_chars

    path = tmp_path / "unmapped.pdf"
    path.write_bytes(unmapped_font_pdf(np.random.default_rng(0), n_pages=1, n_lines=5))
    plumber = _pdfplumber_pages(path, None)[0][0]
    pdfium = _pdfium_pages(path, None)[0][0]
    assert plumber.count("(cid:") == 5 * 32
    assert len("".join(pdfium.split())) == 5 * 32
    assert unmapped_chars(pdfium)[0] > 0.9 * 5 * 32


def test_real_report_text_is_not_flagged_as_unmapped(reference_dir, good_pdf):
    from smtext.text.pdf import unmapped_chars

    for path in reference_dir.glob("04_annual_report_*/*_fulltext.txt"):
        bad, total = unmapped_chars(path.read_text(encoding="utf-8"))
        assert total > 100_000 and bad < 1e-3 * total, path.name
    assert unmapped_chars("".join(extract_pdf(good_pdf).raw_pages))[0] == 0


def test_bad_backend_names_the_allowed_values(good_pdf):
    with pytest.raises(SMError, match="pdfium"):
        extract_pdf(good_pdf, backend="tesseract")


def _square(x):
    return {"x": x, "y": x * x}


@pytest.mark.slow
def test_serial_pool_and_dask_give_identical_results(tmp_path):
    items = list(range(40))
    serial = parallel_map(_square, items, jobs=1)
    pool = parallel_map(_square, items, jobs=2)
    assert serial == pool
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = parallel_map(_square, items, scheduler=cluster.scheduler_address)
        batches = run_batches(_square, items, tmp_path / "dask", batch_size=7, scheduler=cluster.scheduler_address)
    assert dask == serial
    assert batches.to_dict("records") == serial


KILL_SCRIPT = """
import sys, time
from smtext.engine import run_batches
def slow(x):
    time.sleep(0.05)
    return {"x": x}
if __name__ == "__main__":
    run_batches(slow, list(range(60)), sys.argv[1], batch_size=5, jobs=1)
"""


def test_killed_batch_job_resumes_without_loss_or_duplicates(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(KILL_SCRIPT)
    out = tmp_path / "parts"
    proc = subprocess.Popen([sys.executable, str(script), str(out)])
    # wait until some parts exist, then SIGKILL mid-batch
    for _ in range(200):
        if len(list(out.glob("part-*.parquet"))) >= 3:
            break
        subprocess.run(["sleep", "0.05"])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(out.glob("part-*.parquet")))
    assert 0 < done_before < 12
    result = run_batches(lambda x: {"x": x}, list(range(60)), out, batch_size=5, jobs=1)
    assert result["x"].tolist() == list(range(60))


def test_slow_document_times_out(good_pdf, monkeypatch):
    import time

    import smtext.text.pdf as ex

    def slow(path, max_pages, cell_breaks=None):
        time.sleep(2)
        return ["x"], []

    monkeypatch.setattr(ex, "_pdfium_pages", slow)
    with pytest.raises(SMError) as err:
        extract_pdf(good_pdf, timeout=0.2)
    assert err.value.code == "SM108"


def test_page_limit(good_pdf):
    assert extract_pdf(good_pdf, max_pages=2).n_pages == 2


def test_keyword_wrapped_across_a_page_break_is_joined():
    from smtext.text.normalize import join_pages

    full = "公司持续推进各项业务发展并不断加强内部管理水平，报告期内推进智能"
    pages = [f"{full}\n{full}", "制造建设。\n其他内容。", "第五节 重要事项\n内容"]
    text, starts = join_pages(pages)
    assert text.count("智能制造") == 1
    assert "\n第五节 重要事项" in text               # a heading is never glued to the previous page
    assert [text[s:s + 2] for s in starts] == ["公司", "制造", "第五"]


def test_optional_table_removal_and_simplification():
    from smtext.text.normalize import normalize_pages, remove_table_lines, to_simplified

    text = "营业收入（元） 1,234,567.89 1,100,000.00\n报告期内营业收入增长12.5%，公司推进智能制造。\n2019 2018 2017"
    assert remove_table_lines(text) == "报告期内营业收入增长12.5%，公司推进智能制造。"
    pytest.importorskip("opencc")
    assert to_simplified("智慧製造與數位轉型") == "智慧制造与数位转型"
    assert normalize_pages(["公司推進智能製造。"], strip_running=False, simplified=True) == ["公司推进智能制造。"]


def test_read_folder_gives_the_text_of_extract_pdf(tmp_path):
    # the one reading path: a folder -> resumable extraction output -> one text per document, the same
    # text extract_pdf(...).text gives (pages joined by join_pages), missing where extraction failed
    from smtext.text.extract import iter_documents, read_documents, read_folder

    folder = tmp_path / "reports"
    folder.mkdir()
    other = LONG.replace("智能制造", "工业互联网")
    files = {"000001_2019_示例科技_研究报告_中信证券_1.pdf": render_pdf(_spec()),
             "000001_2019_示例科技_研究报告_华泰证券_2.pdf": render_pdf(_spec(other)),   # same firm-year: kept too
             "000002_2019_另一科技_研究报告_中信证券_1.pdf": truncate(render_pdf(_spec())),
             "000001_2019_示例科技_2019年年度报告.pdf": render_pdf(_spec()),
             "2023年政府工作报告.pdf": render_pdf(_spec(other))}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    docs = read_folder(folder, tmp_path / "out", "analyst_report", jobs=1)
    assert docs["path"].tolist() == sorted(n for n in files if "研究报告" in n)
    assert docs["status"].tolist() == ["ok", "ok", "corrupt"] and docs["year"].tolist() == [2019] * 3
    for path, text in zip(docs["path"][:2], docs["text"][:2]):
        assert text == extract_pdf(folder / path).text
    assert pd.isna(docs.loc[2, "text"])
    assert dict(iter_documents(tmp_path / "out")) == dict(zip(docs["path"][:2], docs["text"][:2]))
    assert list(iter_documents(tmp_path / "out", paths=[docs.loc[1, "path"]])) == [(docs.loc[1, "path"], docs.loc[1, "text"])]
    pd.testing.assert_frame_equal(read_documents(tmp_path / "out", "analyst_report"), docs)
    gov = read_folder(folder, tmp_path / "gov", "government_report", jobs=1)
    assert gov["path"].tolist() == ["2023年政府工作报告.pdf"] and gov["stkcd"].isna().all()
    assert gov.loc[0, "text"] == extract_pdf(folder / "2023年政府工作报告.pdf").text
    with pytest.raises(SMError) as err:
        read_documents(tmp_path / "out", "annual_report")
    assert err.value.code == "SM242"
    with pytest.raises(SMError) as err:
        read_documents(folder)
    assert err.value.code == "SM213"
    with pytest.raises(SMError) as err:
        read_folder(folder, tmp_path / "none", "semiannual_report", jobs=1)
    assert err.value.code == "SM107"


def test_csv_manifest_fills_fields_from_file_names(tmp_path, good_pdf):
    from smtext.text.corpus import read_manifest

    (tmp_path / "m.csv").write_text(f"path,year\n{good_pdf.name},\n", encoding="utf-8")
    m = read_manifest(tmp_path / "m.csv")
    assert m.loc[0, ["stkcd", "year", "doc_type"]].tolist() == ["000001", 2019, "annual_report"]
    (tmp_path / "bad.csv").write_text("path\nmissing.pdf\n", encoding="utf-8")
    with pytest.raises(SMError) as err:
        read_manifest(tmp_path / "bad.csv")
    assert err.value.code == "SM106"


def test_tables_are_read_with_pdfplumber(tmp_path):
    from smtext.demo.text import Table
    from smtext.text.pdf import extract_tables

    rows = [["项目", "2019年", "2018年"], ["营业收入（元）", "1,234,567.89", "1,100,000.00"],
            ["净利润（元）", "-12,345.00", "23,456.00"]]
    spec = DocumentSpec(header="示例科技股份有限公司 2019年年度报告", cover=["2019年年度报告"],
                        sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph(LONG), Table(rows)])])
    path = tmp_path / "t.pdf"
    path.write_bytes(render_pdf(spec))
    tables = extract_tables(path)
    assert len(tables) == 1 and tables[0].rows == rows
    assert tables[0].page == extract_pdf(path).n_pages             # drawn after the long paragraph
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(truncate(render_pdf(spec)))
    with pytest.raises(SMError) as err:
        extract_tables(bad)
    assert err.value.code == "SM102"


def test_text_steps_compose_and_are_idempotent():
    from smtext.text.normalize import DEFAULT_TEXT_STEPS, normalize_text, unify_newlines

    assert unify_newlines("甲\r\n乙\r丙\n") == "甲\n乙\n丙\n"
    full = "公司持续推进各项业务发展并不断加强内部管理水平，报告期内推进智能"
    raw = f"第四节　经营情况讨论与分析\r\n{full}\r\n制造建设，ＡＩ投入增长１２％。\r\n"
    once = normalize_text(raw)
    assert once == f"第四节 经营情况讨论与分析\n{full}制造建设，AI投入增长12%。\n"
    assert normalize_text(once) == once
    # the steps are plain str -> str functions: a user chain is just a tuple
    assert normalize_text(raw, DEFAULT_TEXT_STEPS[:1]) == unify_newlines(raw)
