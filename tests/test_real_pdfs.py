"""smtext's PDF pipeline on real cninfo annual reports, against hand-checked facts.

The PDFs are not in git: ``python benchmarks/real_pdfs/fetch.py --from DIR`` copies
them into ``.smtext_cache/real_pdfs/`` (or ``$SMTEXT_REAL_PDFS``) and checks their
sha256. Without a file, or with a different file under its name, the tests of that
report skip. The facts are in ``tests/real_pdfs/expectations.json`` (its ``_about``
says how each was read); each PDF is extracted once per module.

Checks per report: the MD&A page span, running header lines and printed page numbers
gone from the clean text, section headings on their own line, wrapped body lines
joined, keyword counts equal to an independent ``str.count`` on the raw text.
Checks that still fail are marked ``xfail`` (not strict), one reason per report and
check, in ``KNOWN``. The module is marked slow (about 2 minutes for 2,161 pages).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest

from smtext.manifest import file_sha256

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXPECTATIONS = json.loads((ROOT / "tests" / "real_pdfs" / "expectations.json").read_text(encoding="utf-8"))
REPORTS: dict = EXPECTATIONS["reports"]
TERMS: list[str] = EXPECTATIONS["_about"]["keyword_terms"]

# checks that still differ from the hand-checked expectations, one reason per report and check
KNOWN: dict[tuple[str, str], str] = {
    ("000027_2016", "keywords"): "研发 45 vs 44: 预算管理子系统研 | 发项目 on p.173 is a wrap inside a cell of a table "
                                 "without rules whose continuation lines are indented by one character and whose "
                                 "rows are as far apart as a cell's lines, which the geometry cannot tell from a "
                                 "row label followed by an indented sub-item (其他权益工具 | 其中：优先股)",
}


def cache_dir() -> Path:
    env = os.environ.get("SMTEXT_REAL_PDFS")
    return Path(env) if env else ROOT / ".smtext_cache" / "real_pdfs"


def _params(check: str) -> list:
    out = []
    for name in REPORTS:
        reason = KNOWN.get((name, check))
        marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.fixture(scope="module")
def report():
    """``report(name)`` -> (expectations, ExtractedDocument); each PDF is read once per module."""
    pytest.importorskip("pypdfium2")
    from smtext.text.pdf import extract_pdf

    docs: dict[str, object] = {}

    def get(name: str):
        exp = REPORTS[name]
        if name not in docs:
            path = cache_dir() / exp["file"]
            if not path.is_file():
                docs[name] = f"{path} is absent (populate the cache: python benchmarks/real_pdfs/fetch.py --from DIR)"
            elif file_sha256(path) != exp["sha256"]:
                docs[name] = f"{path} is not the expected file (sha256 differs)"
            else:
                docs[name] = extract_pdf(path)
        doc = docs[name]
        if isinstance(doc, str):
            pytest.skip(doc)
        return exp, doc

    return get


def _flat(text: str) -> str:
    """NFKC, spaces and tabs removed, line breaks kept."""
    return re.sub(r"[^\S\n]+", "", unicodedata.normalize("NFKC", text))


def _lines(text: str) -> list[str]:
    return [ln for ln in _flat(text).split("\n") if ln]


@pytest.mark.parametrize("name", _params("mda"))
def test_mda_span(report, name):
    from smtext.text.sections import find_mda_in_pages

    exp, doc = report(name)
    sec = find_mda_in_pages(doc.pages)
    want = exp["mda"]
    assert _flat(want["title"]).endswith(_flat(sec.title))
    assert (sec.first_page, sec.last_page) == (want["first_page"], want["last_page"])


@pytest.mark.parametrize("name", _params("running"))
def test_running_lines_gone(report, name):
    exp, doc = report(name)
    lines = _lines(doc.text)
    over = []
    for run in exp["running_lines"]:
        key = _flat(run["text"])
        if run["match"] == "line":
            n = sum(ln == key for ln in lines)
        else:
            n = sum(ln.startswith(key) for ln in lines)
        if n > run["max_in_clean"]:
            over.append(f"{run['text']!r}: {n} times (allowed {run['max_in_clean']})")
    assert not over, "running lines left in the clean text: " + "; ".join(over)


def _page_range(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


@pytest.mark.parametrize("name", _params("page_numbers"))
def test_page_numbers_gone(report, name):
    exp, doc = report(name)
    left, checked = [], 0
    for spec in exp["page_numbers"]:
        for page in _page_range(spec["pages"]):
            printed = _flat(spec["form"].replace("N", str(page + spec["printed_minus_pdf"])))
            lines = _lines(doc.pages[page - 1])
            checked += 1
            if printed in lines[:6] + lines[-3:]:
                left.append(page)
    assert len(left) <= 0.02 * checked, f"printed page number still at the top/bottom of {len(left)} of {checked} pages, e.g. {left[:10]}"


@pytest.mark.parametrize("name", _params("headings"))
def test_headings_on_own_line(report, name):
    exp, doc = report(name)
    lines = set(_lines(doc.text))
    glued = [h for h in exp["headings"] if _flat(h) not in lines]
    assert not glued, f"headings not on a line of their own: {glued}"


@pytest.mark.parametrize("name", _params("wraps"))
def test_wrapped_lines_joined(report, name):
    exp, doc = report(name)
    broken = []
    for w in exp["wraps"]:
        if _flat(w["end"]) + _flat(w["start"]) not in _flat(doc.pages[w["page"] - 1]):
            broken.append(f"p.{w['page']} {w['end'][-6:]}|{w['start'][:6]}")
    share = 1 - len(broken) / len(exp["wraps"])
    assert share >= 0.95, f"{len(broken)} of {len(exp['wraps'])} wraps left broken: {broken}"


@pytest.fixture(scope="module")
def terms_lexicon():
    import pandas as pd

    from smtext.text.lexicon import from_frame

    return from_frame(pd.DataFrame({"category": "term", "term": TERMS}), name="real_pdfs_terms")


@pytest.mark.parametrize("name", _params("keywords"))
def test_keyword_counts_match_independent_counter(report, terms_lexicon, name):
    from smtext.text.count import count_text

    exp, doc = report(name)
    result = count_text(doc.text, terms_lexicon, filters=(), mode="overlapping", sentences=False)
    counts = result.term_counts.to_dict()
    got = {t: int(counts.get(t, 0)) for t in TERMS}
    diff = {t: (exp["keywords"][t], got[t]) for t in TERMS if got[t] != exp["keywords"][t]}
    assert not diff, f"(independent, smtext) counts differ: {diff}"


def test_expectations_are_consistent():
    """The committed facts are well-formed (runs without the PDFs)."""
    for name, exp in REPORTS.items():
        assert exp["file"] == f"{name}.pdf" and re.fullmatch(r"[0-9a-f]{64}", exp["sha256"])
        mda = exp["mda"]
        assert 1 <= mda["first_page"] <= mda["last_page"] <= exp["pages"]
        assert 5 <= len(exp["wraps"]) <= 10 and all(1 <= w["page"] <= exp["pages"] for w in exp["wraps"])
        assert set(exp["keywords"]) == set(TERMS)
        for spec in exp["page_numbers"]:
            assert max(_page_range(spec["pages"])) <= exp["pages"]
    assert {k[0] for k in KNOWN} <= set(REPORTS)


def _fetch_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("real_pdfs_fetch", ROOT / "benchmarks" / "real_pdfs" / "fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(name: str, data: bytes, **extra) -> dict:
    return {"file": name, "sha256": hashlib.sha256(data).hexdigest(), "size": str(len(data)), "source_repo": "o/r",
            "source_path": "x.pdf", "commit": "0" * 40, "stock_code": "000000", "company": "c", "year": "2020"} | extra


def test_fetch_copies_by_sha256_and_reports_missing(tmp_path):
    fetch = _fetch_module()
    good, other = b"%PDF-1.7 one", b"%PDF-1.7 two"
    (tmp_path / "src" / "deep").mkdir(parents=True)
    (tmp_path / "src" / "deep" / "whatever name.PDF").write_bytes(good)
    (tmp_path / "src" / "same size.pdf").write_bytes(b"%PDF-1.7 xxx")  # same size, other content: not taken
    rows = [_row("a.pdf", good), _row("b.pdf", other)]
    cache = tmp_path / "cache"
    assert fetch.collect([tmp_path / "src"], rows, cache) == ["a.pdf"]
    assert (cache / "a.pdf").read_bytes() == good
    assert fetch.verify(rows, cache) == (["b.pdf"], [])
    (cache / "b.pdf").write_bytes(b"%PDF-1.7 bad")
    assert fetch.verify(rows, cache) == ([], ["b.pdf"])


def test_fetch_reads_blobs_from_a_git_repository(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("git"):
        pytest.skip("git is not installed")
    fetch = _fetch_module()
    repo = tmp_path / "owner+name"
    (repo / "reports").mkdir(parents=True)
    data = b"%PDF-1.7 committed then deleted"
    (repo / "reports" / "年报.pdf").write_bytes(data)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    git = ["git", "-C", str(repo), "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "add"], check=True, env=env)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([*git, "rm", "-q", "reports/年报.pdf"], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "rm"], check=True, env=env)
    rows = [_row("r.pdf", data, source_repo="owner/name", source_path="reports/年报.pdf", commit=commit)]
    for source in (repo, tmp_path):  # the repository itself, or a folder of owner+name repositories
        cache = tmp_path / f"cache_{source.name}"
        assert fetch.collect([source], rows, cache) == ["r.pdf"]
        assert (cache / "r.pdf").read_bytes() == data
