"""Batches survive one bad input: a GBK file name, an unreadable file or folder, symlink loops, dangling
links and FIFOs named like PDFs each become a coded row (excluded.csv or failures.csv) while every
other document is extracted; identical bytes under two names or two firms are told apart."""

from __future__ import annotations

import builtins
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smtext.demo.pdf import render_pdf
from smtext.demo.text import DocumentSpec, Paragraph, Section
from smtext.errors import SMError, SMWarning
from smtext.text.extract import extract_folder

GOOD = "000001_2019_示例科技_2019年年度报告.pdf"
TEXT = "报告期内，公司持续推进智能制造建设，相关投入稳步增加。" * 20


def _pdf(text: str = TEXT) -> bytes:
    return render_pdf(DocumentSpec(header="示例科技股份有限公司 2019年年度报告",
                                   cover=["示例科技股份有限公司", "2019年年度报告"],
                                   sections=[Section("mda", "第四节 经营情况讨论与分析", [Paragraph(text)])]))


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return _pdf()


@pytest.fixture()
def folder(tmp_path, pdf_bytes) -> Path:
    """A folder with one good annual report."""
    root = tmp_path / "reports"
    root.mkdir()
    (root / GOOD).write_bytes(pdf_bytes)
    return root


def _run(folder: Path, out: Path, **kw) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    extract_folder(folder, out, jobs=1, **kw)
    return (pd.read_parquet(out / "documents.parquet"), pd.read_csv(out / "excluded.csv", dtype=str),
            pd.read_csv(out / "failures.csv", dtype=str))


def _reasons(excluded: pd.DataFrame) -> dict:
    return dict(zip(excluded["path"], excluded["reason"]))


# ---------------------------------------------------------------- names that are not UTF-8
def test_a_gbk_file_name_is_an_excluded_row_and_the_batch_goes_on(folder, tmp_path, pdf_bytes):
    gbk = "000002_2019_平安银行_2019年年度报告.pdf".encode("gbk")
    (folder / "年报").mkdir()
    with open(os.path.join(os.fsencode(folder / "年报"), gbk), "wb") as fh:
        fh.write(pdf_bytes)
    with pytest.warns(SMWarning, match="SM117"):
        docs, excluded, _ = _run(folder, tmp_path / "out")
    assert docs["path"].tolist() == [GOOD] and docs["status"].tolist() == ["ok"]
    row = excluded[excluded["reason"] == "undecodable_name"]
    # shown as a person on a GBK system reads it, with the code and the fix
    assert row["path"].tolist() == ["年报/000002_2019_平安银行_2019年年度报告.pdf"]
    assert row["id_note"].iloc[0].startswith("SM117") and "convmv" in row["id_note"].iloc[0]


# ---------------------------------------------------------------- unreadable files and folders
def _deny(monkeypatch, path: Path) -> None:
    """Make ``path`` unreadable: chmod 000, and, for root (who reads anything), a refusing ``open``."""
    path.chmod(0)
    if os.geteuid() != 0:
        return
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)


def test_an_unreadable_file_is_a_failed_row_and_is_retried_next_run(folder, tmp_path, monkeypatch, pdf_bytes):
    bad = folder / "000002_2019_另一科技_2019年年度报告.pdf"
    bad.write_bytes(_pdf(TEXT + "另"))
    _deny(monkeypatch, bad)
    docs, _, failures = _run(folder, tmp_path / "out")
    status = dict(zip(docs["path"], docs["status"]))
    assert status == {GOOD: "ok", bad.name: "unreadable"}
    assert failures["code"].tolist() == ["SM118"] and "chmod" in failures["message"].iloc[0]
    assert pd.isna(docs.set_index("path").loc[bad.name, "sha256"])
    # once readable, the next run extracts it: an unreadable file is not a cached result
    monkeypatch.undo()
    bad.chmod(0o644)
    docs, _, failures = _run(folder, tmp_path / "out")
    assert docs["status"].tolist() == ["ok", "ok"] and failures.empty


def test_an_unreadable_folder_is_listed_not_silently_lost(folder, tmp_path, monkeypatch, pdf_bytes):
    hidden = folder / "2020"
    hidden.mkdir()
    (hidden / "000001_2020_示例科技_2020年年度报告.pdf").write_bytes(pdf_bytes)
    hidden.chmod(0)
    if os.geteuid() == 0:
        real = os.scandir

        def refusing_scandir(path="."):
            if Path(path) == hidden:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", refusing_scandir)
    try:
        with pytest.warns(SMWarning, match="SM119"):
            docs, excluded, _ = _run(folder, tmp_path / "out")
    finally:
        hidden.chmod(0o755)
    assert docs["path"].tolist() == [GOOD]
    assert _reasons(excluded) == {"2020": "unreadable_folder"}
    assert excluded["id_note"].iloc[0].startswith("SM119")


# ---------------------------------------------------------------- links and special files
def test_symlink_loops_dangling_links_and_fifos_are_each_listed(folder, tmp_path):
    os.symlink("loop.pdf", folder / "loop.pdf")                      # a link to itself
    os.symlink("missing.pdf", folder / "gone.pdf")                   # dangling
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "back")                        # a folder link back to an ancestor
    os.mkfifo(folder / "000003_2019_管道科技_2019年年度报告.pdf")        # would block a reader for ever
    with pytest.warns(SMWarning, match="SM119"):
        docs, excluded, _ = _run(folder, tmp_path / "out")
    assert docs["path"].tolist() == [GOOD] and docs["status"].tolist() == ["ok"]
    assert _reasons(excluded) == {"000003_2019_管道科技_2019年年度报告.pdf": "not_a_file", "gone.pdf": "dangling_link",
                                  "loop.pdf": "symlink_loop", "sub/back": "symlink_loop"}
    assert excluded["id_note"].str.startswith("SM119").all()


def test_a_linked_folder_is_searched_once(folder, tmp_path, pdf_bytes):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "000002_2019_另一科技_2019年年度报告.pdf").write_bytes(_pdf(TEXT + "另"))
    os.symlink(other, folder / "linked")
    docs, excluded, _ = _run(folder, tmp_path / "out")
    assert docs["path"].tolist() == [GOOD, "linked/000002_2019_另一科技_2019年年度报告.pdf"]
    assert excluded.empty


# ---------------------------------------------------------------- the same bytes twice
def test_identical_bytes_under_two_stock_codes_are_warned_and_recorded(folder, tmp_path):
    copy = "000002_2019_另一科技_2019年年度报告.pdf"
    shutil.copy(folder / GOOD, folder / copy)
    with pytest.warns(SMWarning, match="SM120"):
        docs, _, _ = _run(folder, tmp_path / "out")
    assert len(docs) == 2           # which copy is right the bytes cannot say: both kept, and reported
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["duplicate_content"] == [[GOOD, copy]]


def test_one_firm_year_under_two_name_styles_is_a_duplicate_not_a_revision(folder, tmp_path):
    # the same bytes under cninfo's announcement-id style: a copy, neither a revision nor a later filing
    other = folder / "000001_示例科技_2019年年度报告_1207000001.pdf"
    shutil.copy(folder / GOOD, other)
    _, excluded, _ = _run(folder, tmp_path / "out")
    assert _reasons(excluded) == {GOOD: "duplicate_file"}
    # different bytes and no 更正/修订 marker: the later announcement is kept, and nobody calls it a revision
    other.write_bytes(_pdf(TEXT + "新"))
    with pytest.warns(SMWarning, match="SM116"):
        _, excluded, _ = _run(folder, tmp_path / "out")
    assert _reasons(excluded) == {GOOD: "superseded_by_later_filing"}


def test_a_folder_of_nothing_but_bad_inputs_says_what_it_skipped(tmp_path):
    root = tmp_path / "reports"
    root.mkdir()
    os.mkfifo(root / GOOD)
    with pytest.warns(SMWarning, match="SM119"), pytest.raises(SMError) as err:
        extract_folder(root, tmp_path / "out", jobs=1)
    assert err.value.code == "SM107" and "1 skipped: {'not_a_file': 1}" in str(err.value)
    assert _reasons(pd.read_csv(tmp_path / "out" / "excluded.csv")) == {GOOD: "not_a_file"}
