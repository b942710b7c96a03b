"""Documents identified robustly: cninfo's own file names, a firm table, and the reports' own pages.

(a) every name form with a small firm table (full-width letters, padded short names, former
names, ``*ST`` markers, ambiguous and unknown short names, announcement ids);
(b) the cover / company-profile parser on page texts laid out like real reports, on the two
real 2019 reports in ``../shared/reference/04_annual_report_*`` (skipped when absent) and on
PDFs rendered here with reportlab;
(c) the issue's done-when: a demo world's annual reports copied under cninfo's name forms give
the same firm-year index as under their original names.
"""

from __future__ import annotations

import ast
import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from smtext.cli import app
from smtext.errors import SMError, SMWarning
from smtext.text.corpus import (
    identify_documents,
    identity_counts,
    parse_filename,
    scan,
    select,
)
from smtext.text.identity import identify_pdf, load_firms, normalize_name, read_identity

runner = CliRunner()

FIRMS = pd.DataFrame({
    "stkcd": ["000001", "000002", "600000", "600518", "000003", "000004", "300617"],
    "short_name": ["平安银行", "万科A", "浦发银行", "康美药业", "同名科技", "同名科技", "安靠智电"],
    "name": ["平安银行股份有限公司", "万科企业股份有限公司", "上海浦东发展银行股份有限公司", "康美药业股份有限公司",
             "甲同名科技股份有限公司", "乙同名科技股份有限公司", "江苏安靠智能输电工程科技股份有限公司"],
    "former_names": [["深发展A", "S深发展A"], [], [], "ST康美；康美", None, None, None],
})


@pytest.fixture(scope="module")
def firms():
    return load_firms(FIRMS)


# ---------------------------------------------------------------- (a) names and the firm table
@pytest.mark.parametrize("name, expected", [
    # cninfo's download name: short name, full-width (or ASCII) colon, title
    ("平安银行：2024年年度报告.pdf", ("000001", 2024, "annual_report", 0, "firm_table", "")),
    ("平安银行:2024年年度报告.PDF", ("000001", 2024, "annual_report", 0, "firm_table", "")),
    # full-width letters and padding spaces (ASCII, ideographic) inside the short name
    ("万  科Ａ：2020年年度报告.pdf", ("000002", 2020, "annual_report", 0, "firm_table", "")),
    ("万\u3000科Ａ：2020年年度报告.pdf", ("000002", 2020, "annual_report", 0, "firm_table", "")),
    ("000002_2020_万  科Ａ_2020年年度报告.pdf", ("000002", 2020, "annual_report", 0, "name", "")),
    # former names, trading-status markers, full names
    ("深发展Ａ：2011年年度报告.pdf", ("000001", 2011, "annual_report", 0, "firm_table", "former_name: 深发展A")),
    ("*ST康美：2020年年度报告.pdf", ("600518", 2020, "annual_report", 0, "firm_table", "without_markers: *ST康美")),
    ("万科企业股份有限公司：2020年年度报告.pdf", ("000002", 2020, "annual_report", 0, "firm_table", "full_name: 万科企业股份有限公司")),
    # markers of the title as today
    ("平安银行：2024年年度报告摘要.pdf", ("000001", 2024, "summary", 0, "firm_table", "")),
    ("平安银行：2024年年度报告（英文版）.pdf", ("000001", 2024, "english", 0, "firm_table", "")),
    ("平安银行：2024年年度报告（更正后）.pdf", ("000001", 2024, "annual_report", 1, "firm_table", "")),
    ("平安银行：2024年年度报告（修订版）.pdf", ("000001", 2024, "annual_report", 1, "firm_table", "")),
    ("平安银行：关于2024年年度报告的更正公告.pdf", ("000001", 2024, "announcement", 1, "firm_table", "")),
    # a short name two firms share, or one the table lacks: reported, never guessed
    ("同名科技：2020年年度报告.pdf", (None, 2020, "annual_report", 0, None,
                                   "ambiguous_short_name: 同名科技 (000003, 000004)")),
    ("无此公司：2020年年度报告.pdf", (None, 2020, "annual_report", 0, None, "unknown_short_name: 无此公司")),
    # code, short name, title, announcement id
    ("000001_平安银行_2024年年度报告_1222940000.pdf", ("000001", 2024, "annual_report", 0, "name", "")),
    ("000001_平安银行_2024年年度报告（更正后）_1222950001.pdf", ("000001", 2024, "annual_report", 1, "name", "")),
    # the announcement id alone: the pages must tell
    ("1222940000.PDF", (None, None, "other", 0, None, "announcement_id_only")),
    # the existing forms are unchanged
    ("000001_2019_平安银行_2019年年度报告.pdf", ("000001", 2019, "annual_report", 0, "name", "")),
    ("2020-01-21__江苏安靠智能输电工程科技股份有限公司__300617__安靠智电__2019年__年度报告.pdf",
     ("300617", 2019, "annual_report", 0, "name", "")),
])
def test_name_forms_with_a_firm_table(firms, name, expected):
    p = parse_filename(name, firms)
    assert (p.stkcd, p.year, p.doc_type, p.revision, p.source, p.note) == expected


def test_announcement_ids_are_read_and_dates_are_not_ids():
    assert parse_filename("000001_平安银行_2024年年度报告_1222940000.pdf").ann_id == "1222940000"
    assert parse_filename("1222940000.PDF").ann_id == "1222940000"
    assert parse_filename("000001_2019_平安银行_2019年年度报告.pdf").ann_id is None
    assert parse_filename("平安银行_年报_20200425.pdf").ann_id is None          # a date, not an id


def test_without_a_firm_table_short_names_stay_unidentified_with_their_reason():
    p = parse_filename("平安银行：2024年年度报告.pdf")
    assert (p.stkcd, p.year, p.firm, p.source, p.note) == (None, 2024, "平安银行", None, "no_firm_table: 平安银行")


def test_normalize_name():
    assert normalize_name("万  科Ａ") == normalize_name("万\u3000科Ａ") == normalize_name("万科a") == "万科A"


def test_firm_tables_from_csv_and_parquet(tmp_path):
    csv = tmp_path / "firms.csv"
    pd.DataFrame({"stkcd": ["1", "600000"], "short_name": ["平安银行", "浦发银行"],
                  "name": ["平安银行股份有限公司", ""], "former_names": ["深发展A；S深发展A", ""]}).to_csv(csv, index=False)
    table = load_firms(csv)
    assert len(table) == 2 and "000001" in table          # codes written as numbers get their zeros back
    assert table.lookup_short("S深发展A").unique == "000001" and table.lookup_short("S深发展A").how == "former_name"
    pq = tmp_path / "firms.parquet"
    FIRMS.assign(former_names=[[], [], [], ["ST康美"], None, None, None]).to_parquet(pq)   # list column
    assert load_firms(pq).lookup("万科A").unique == "000002" and load_firms(pq).lookup("ST康美").how == "former_name"
    # one row per firm-year of short names is merged per code
    by_year = pd.DataFrame({"stkcd": ["000001", "000001"], "short_name": ["深发展A", "平安银行"]})
    assert load_firms(by_year).lookup_short("深发展A").unique == "000001"


def test_demo_firm_table_is_accepted():
    path = Path("/tmp/base/world/data/firms.parquet")
    frame = pd.read_parquet(path) if path.is_file() else None
    if frame is None:
        from smtext.demo import WorldConfig
        from smtext.demo.world import build_economy

        frame = build_economy(WorldConfig(n_firms=12, first_year=2016, last_year=2017, seed=3))["firms"]
    table = load_firms(frame)
    assert len(table) == frame["stkcd"].nunique()
    row = frame.iloc[0]
    assert table.lookup(row["short_name"]).unique == row["stkcd"] and table.lookup(row["name"]).unique == row["stkcd"]


def test_bad_firm_tables_are_coded_errors(tmp_path):
    with pytest.raises(SMError, match="SM001"):
        load_firms(pd.DataFrame({"stkcd": ["000001"], "name": ["x"]}))
    with pytest.raises(SMError, match="SM114"):
        load_firms(pd.DataFrame({"stkcd": ["ABC"], "short_name": ["x"]}))
    with pytest.raises(SMError, match="SM114"):
        load_firms(pd.DataFrame({"stkcd": [], "short_name": []}))
    (tmp_path / "firms.xlsx").write_bytes(b"x")
    with pytest.raises(SMError, match="SM114"):
        load_firms(tmp_path / "firms.xlsx")
    with pytest.raises(SMError, match="SM106"):
        load_firms(tmp_path / "missing.parquet")


def test_select_reports_unidentified_documents_and_prefers_the_later_announcement(tmp_path, firms):
    names = ["平安银行：2024年年度报告.pdf", "同名科技：2024年年度报告.pdf", "无此公司：2024年年度报告摘要.pdf",
             "000002_万科A_2024年年度报告_1222940000.pdf", "000002_万科A_2024年年度报告_1222990000.pdf",
             "1222940001.PDF"]
    for n in names:
        (tmp_path / n).write_bytes(b"%PDF-1.4\n")
    found = scan(tmp_path, firms=firms)
    assert found.set_index("path")["id_source"].fillna("").to_dict() == {
        names[0]: "firm_table", names[1]: "", names[2]: "", names[3]: "name", names[4]: "name", names[5]: ""}
    with pytest.warns(SMWarning) as record:
        kept, excluded = select(found)
    assert kept["path"].tolist() == [names[4], names[0]]
    reasons = dict(zip(excluded["path"], excluded["reason"]))
    assert reasons == {names[1]: "unidentified", names[2]: "doc_type:summary", names[3]: "superseded_by_later_filing",
                       names[5]: "unidentified"}
    codes = sorted(str(w.message)[:5] for w in record)
    assert codes == ["SM113", "SM116"]
    assert "ambiguous_short_name" in str(next(w.message for w in record if str(w.message).startswith("SM113")))


# ---------------------------------------------------------------- (b) the reports' own pages
SZSE_COVER = "证券代码：000001 证券简称：平安银行 公告编号：2020-008\n平安银行股份有限公司\n2019年年度报告\n2020年3月"
SSE_PROFILE = ("平安银行股份有限公司2019年年度报告\n第二节 公司简介和主要财务指标\n一、公司信息\n"
               "公司股票简况\n股票种类\n股票上市交易所\n股票简称\n股票代码\n变更前股票简称\n"
               "A股\n上海证券交易所\n浦发银行\n600000\n不适用")


def test_cover_with_code_year_and_names_on_one_line():
    ident = read_identity([SZSE_COVER, "目录\n第一节 重要提示"])
    assert (ident.stkcd, ident.year, ident.doc_type, ident.revision) == ("000001", 2019, "annual_report", 0)
    assert ident.short_names[0] == "平安银行" and ident.full_names[0] == "平安银行股份有限公司"


def test_profile_table_with_labels_and_values_in_separate_cells():
    # an image cover (no text), the year in running headers, the code in a column-major table on page 4
    pages = ["", "上海浦东发展银行股份有限公司2019年年度报告\n目录", "2019年年度报告\n重要提示", SSE_PROFILE]
    ident = read_identity(pages)
    assert (ident.stkcd, ident.year, ident.doc_type) == ("600000", 2019, "annual_report")
    assert "A股" not in ident.short_names and "股票代码" not in ident.short_names   # no label or class cell as a name


@pytest.mark.parametrize("text, code", [
    ("公司信息\n股票简称 万科A 股票代码 000002\nB股股票简称 万科B B股股票代码 200002", "000002"),
    ("B股代码：200002 A股代码：000002", "000002"),           # B share listed first: the A share wins
    ("股票代码：000002（A股） 200002（B股）", "000002"),
    ("公司债券代码：112233 债券简称：19万科01\n股票代码：000002", "000002"),
    ("A股股票代码： 601658\nH股股票代码： 1658", "601658"),
    ("股 票 代 码 ： 3 0 0 6 1 7", None),                  # digits spaced apart are not read as a code
    ("邮政编码：518000 股票代码 300617", "300617"),
    ("Stock Code: 000001", "000001"),
    ("Annual Report in English\nStock Code: 000001", "000001"),
    ("境内上市外资股（B股）股票代码：200002\n人民币普通股（A股）股票代码：000002", "000002"),
])
def test_code_labels_and_share_classes(text, code):
    assert read_identity([text + "\n2019年年度报告"]).stkcd == code


@pytest.mark.parametrize("pages, expected", [
    (["平安银行股份有限公司\n2019年年度报告摘要", "一、重要提示\n本年度报告摘要来自年度报告全文"], ("summary", 2019, 0)),
    (["平安银行股份有限公司\n2019年年度报告（更新后）\n证券代码：000001"], ("annual_report", 2019, 1)),
    (["平安银行股份有限公司\n2019年半年度报告\n证券代码：000001"], ("semiannual_report", 2019, 0)),
    (["平安银行股份有限公司\n2019年第三季度报告"], ("quarterly_report", 2019, 0)),
    (["PING AN BANK CO., LTD.\nAnnual Report 2019\nStock Code: 000001",
      "Section I Important Notice. The Board of Directors and the directors of the Company guarantee that the "
      "information presented in this report is free from any false records."], ("english", 2019, 0)),
    (["中国邮政储蓄银行股份有限公司\n2019年度报告\nANNUAL REPORT"], ("annual_report", 2019, 0)),
    (["目录\n第一节 重要提示"], ("other", None, 0)),
    (["平安银行股份有限公司\n2 0 1 9 年 年 度 报 告"], ("annual_report", 2019, 0)),     # a designed cover
])
def test_document_type_year_and_revision_from_the_title(pages, expected):
    ident = read_identity(pages)
    assert (ident.doc_type, ident.year, ident.revision) == expected


def _reference_pages(path: Path, cells: str) -> list[str]:
    """Page texts of a reference ``.jsonl``: table rows as cells joined by ``cells`` (layouts differ by extractor)."""
    pages: dict[int, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        text = rec["inside"]
        if rec["type"] == "excel":
            text = cells.join(c for c in ast.literal_eval(text) if c)
        pages.setdefault(rec["page"], []).append(text)
    return ["\n".join(pages[k]) for k in sorted(pages)]


@pytest.mark.reference
@pytest.mark.parametrize("folder, code, short, full", [
    ("04_annual_report_300617", "300617", "安靠智电", "江苏安靠智能输电工程科技股份有限公司"),
    ("04_annual_report_601658", "601658", "邮储银行", "中国邮政储蓄银行股份有限公司"),   # A and H shares
])
@pytest.mark.parametrize("cells", ["\n", " ", " | "])
def test_real_reports_state_their_code_and_year(reference_dir, folder, code, short, full, cells):
    files = list((reference_dir / folder).glob("*_年度报告.jsonl"))
    if not files:
        pytest.skip(f"no page records in {folder}")
    pages = _reference_pages(files[0], cells)[:15]
    ident = read_identity(pages)
    assert (ident.stkcd, ident.year, ident.doc_type, ident.revision) == (code, 2019, "annual_report", 0)
    assert ident.short_names[0] == short and ident.full_names[0] == full
    # the same from the firm table alone when no code is read (codes blanked out)
    blank = [p.replace(code, "") for p in pages]
    assert read_identity(blank).stkcd is None
    table = load_firms(FIRMS if code != "601658" else pd.DataFrame(
        {"stkcd": [code], "short_name": [short], "name": [full]}))
    from smtext.text.corpus import _cover_code

    rec = {"cover_codes": "", "cover_short_names": ",".join(read_identity(blank).short_names),
           "cover_full_names": ",".join(read_identity(blank).full_names)}
    assert _cover_code(rec, table)[0] == code


def _profile_spec(stkcd: str, short: str, full: str, year: int, title_suffix: str = ""):
    from smtext.demo.text import DocumentSpec, Paragraph, Section, Table

    profile = Section("profile", "第二节 公司简介和主要财务指标", [
        Paragraph("一、公司信息"),
        Table([["股票简称", short, "股票代码", stkcd], ["公司的中文名称", full, "", ""],
               ["股票上市证券交易所", "深圳证券交易所", "", ""]]),
        Paragraph("报告期内，公司主营业务未发生重大变化。" * 4)])
    body = Section("mda", "第四节 经营情况讨论与分析", [Paragraph("公司持续推进智能制造，提升生产效率。" * 6)])
    return DocumentSpec(header=f"{full}{year}年年度报告{title_suffix or '全文'}", cover=[full, f"{year}年年度报告{title_suffix}"],
                        sections=[Section("notice", "第一节 重要提示、目录和释义", [Paragraph("公司董事会保证年度报告内容的真实。")]),
                                  profile, body])


def test_rendered_pdf_with_a_profile_table(tmp_path):
    from smtext.demo.pdf import render_pdf

    path = tmp_path / "1222940000.PDF"
    path.write_bytes(render_pdf(_profile_spec("300617", "安靠智电", "江苏安靠智能输电工程科技股份有限公司", 2019, "（修订版）")))
    rec = identify_pdf(path)
    assert rec["cover_status"] == "ok" and rec["cover_stkcd"] == "300617" and rec["cover_year"] == 2019
    assert rec["cover_doc_type"] == "annual_report" and rec["cover_revision"] == 1
    assert rec["cover_short_names"].split(",")[0] == "安靠智电"
    locked = tmp_path / "1222940001.PDF"
    locked.write_bytes(render_pdf(_profile_spec("300617", "安靠智电", "江苏安靠智能输电工程科技股份有限公司", 2019),
                                  encrypt="secret"))
    assert identify_pdf(locked)["cover_status"] == "SM101"


def test_identify_fills_in_checks_names_and_records_every_guess(tmp_path, firms):
    from smtext.demo.pdf import render_pdf, truncate

    full = "江苏安靠智能输电工程科技股份有限公司"
    files = {
        "1222940000.PDF": render_pdf(_profile_spec("300617", "安靠智电", full, 2019)),
        "1222940001.PDF": render_pdf(_profile_spec("300617", "安靠智电", full, 2019, "摘要")),
        "1222940002.PDF": truncate(render_pdf(_profile_spec("300617", "安靠智电", full, 2019))),
        "300617_安靠智电_2018年年度报告_1222940003.pdf": render_pdf(_profile_spec("300617", "安靠智电", full, 2019)),
        "000001_2019_平安银行_2019年年度报告.pdf": render_pdf(_profile_spec("300617", "安靠智电", full, 2019)),
        "安靠智电：2019年年度报告（更正后）.pdf": render_pdf(_profile_spec("300617", "安靠智电", full, 2019)),
        "300617_2019_安靠智电_研究报告_中信证券_1.pdf": render_pdf(_profile_spec("300617", "安靠智电", full, 2017)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with pytest.warns(SMWarning) as record:
        found = scan(tmp_path, firms=firms, identify=True, cache=tmp_path / ".cache")
    assert sorted({str(w.message)[:5] for w in record}) == ["SM112", "SM115"]
    f = found.set_index("path")
    assert f.loc["1222940000.PDF", ["stkcd", "year", "doc_type", "id_source"]].tolist() == [
        "300617", 2019, "annual_report", "cover"]
    assert "cover: code 300617" in f.at["1222940000.PDF", "id_note"] and f.at["1222940000.PDF", "firm"] == "安靠智电"
    assert f.loc["1222940001.PDF", ["doc_type", "id_source"]].tolist() == ["summary", "cover"]
    assert pd.isna(f.at["1222940002.PDF", "stkcd"]) and f.at["1222940002.PDF", "cover_status"] == "SM102"
    assert f.at["1222940002.PDF", "id_note"] == "announcement_id_only; cover_unreadable: SM102"
    # names that disagree with the pages keep the name's identity and say so
    assert f.at["300617_安靠智电_2018年年度报告_1222940003.pdf", "conflict"] == "year: name 2018, cover 2019"
    assert f.at["000001_2019_平安银行_2019年年度报告.pdf", "conflict"] == "stkcd: name 000001, cover 300617"
    assert f.at["000001_2019_平安银行_2019年年度报告.pdf", "stkcd"] == "000001"
    assert f.at["安靠智电：2019年年度报告（更正后）.pdf", "id_source"] == "firm_table"
    # analyst reports are not read
    assert f.at["300617_2019_安靠智电_研究报告_中信证券_1.pdf", "cover_status"] == ""
    counts = identity_counts(found)
    assert counts["by_source"] == {"cover": 2, "firm_table": 1, "name": 3, "unidentified": 1}
    assert counts["conflicts"] == 2 and counts["pages_read"] == 6 and counts["pages_unreadable"] == {"SM102": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        kept, excluded = select(found)
        again = scan(tmp_path, firms=firms, identify=True, cache=tmp_path / ".cache")   # from the cache
    assert sorted(kept["path"]) == ["000001_2019_平安银行_2019年年度报告.pdf", "300617_安靠智电_2018年年度报告_1222940003.pdf",
                                    "安靠智电：2019年年度报告（更正后）.pdf"]
    reasons = dict(zip(excluded["path"], excluded["reason"]))
    assert reasons["1222940000.PDF"] == "superseded_by_revision" and reasons["1222940002.PDF"] == "unidentified"
    assert reasons["1222940001.PDF"] == "doc_type:summary"
    pd.testing.assert_frame_equal(again, found)
    # "missing" reads only what the name leaves open
    with pytest.warns(SMWarning, match="SM115"):
        missing = identify_documents(scan(tmp_path, firms=firms), tmp_path, firms, "missing")
    assert (missing["cover_status"] != "").sum() == 3 and (missing["conflict"] == "").all()


# ---------------------------------------------------------------- (c) the done-when
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from smtext.demo import WorldConfig, generate_world

    root = tmp_path_factory.mktemp("identity")
    generate_world(root / "world", WorldConfig(n_firms=16, first_year=2017, last_year=2019, seed=7), jobs=1)
    return root / "world"


def _annual_files(world: Path) -> list[tuple[Path, object, int]]:
    """Each annual-report file, its parsed original name and an announcement id in filing order."""
    files = sorted((world / "reports" / "annual").rglob("*.pdf"),
                   key=lambda p: (parse_filename(p.name).year, str(p.relative_to(world))))
    # ids grow with time, as cninfo's do: an amended filing (（更正后）) sorts after its first filing
    return [(p, parse_filename(p.name), 1_200_000_000 + i) for i, p in enumerate(files)]


def _copy(world: Path, dest: Path, form: str, firms: pd.DataFrame) -> None:
    short_of = dict(zip(firms["stkcd"], firms["short_name"]))
    dest.mkdir(parents=True)
    for p, n, ann in _annual_files(world):
        suffix = p.stem[p.stem.index("年度报告") + 4:]
        short = short_of[n.stkcd]
        name = {"short": f"{short}：{n.year}年年度报告{suffix}.pdf",
                "code_ann": f"{n.stkcd}_{short}_{n.year}年年度报告{suffix}_{ann}.pdf",
                "bare": f"{ann}.PDF"}[form]
        shutil.copy(p, dest / name)


def _index(folder: Path, out: Path, firms=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    from smtext.text.extract import extract_folder
    from smtext.text.index_job import index_extract

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        extract_folder(folder, out / "extract", jobs=1, firms=firms)
        run = index_extract(out / "extract", ["smart_manufacturing", "wufei2021_digital"], out / "index")
    excluded = pd.read_csv(out / "extract" / "excluded.csv", dtype={"stkcd": str})
    manifest = json.loads((out / "extract" / "manifest.json").read_text(encoding="utf-8"))
    return run.firm_years, excluded, manifest


@pytest.fixture(scope="module")
def original(world, tmp_path_factory):
    return _index(world / "reports" / "annual", tmp_path_factory.mktemp("original"))


def _variant_firms(world: Path) -> pd.DataFrame:
    """The world's firm table with a full-width-letter short name and a renamed firm (old name as former name)."""
    firms = pd.read_parquet(world / "data" / "firms.parquet")[["stkcd", "short_name", "name"]]
    firms["former_names"] = [[] for _ in range(len(firms))]
    firms.loc[0, "short_name"] = firms.loc[0, "short_name"] + "A"          # files will say ...Ａ with padding
    firms.loc[1, "former_names"] = [firms.loc[1, "short_name"]]          # files use the former name
    firms.loc[1, "short_name"] = "新名" + firms.loc[1, "short_name"][2:]
    return firms


@pytest.mark.slow
def test_short_name_form_gives_the_same_index(world, original, tmp_path):
    firms = _variant_firms(world)
    files_firms = firms.copy()
    files_firms.loc[0, "short_name"] = " ".join(firms.loc[0, "short_name"][:2]) + "\u3000" + \
        firms.loc[0, "short_name"][2:-1] + "Ａ"                          # 安 航　建材Ａ
    files_firms.loc[1, "short_name"] = firms.loc[1, "former_names"][0]
    _copy(world, tmp_path / "short", "short", files_firms)
    assert any("Ａ" in p.name for p in (tmp_path / "short").iterdir())
    path = tmp_path / "firms.parquet"
    firms.to_parquet(path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["--quiet", "extract", str(tmp_path / "short"), "--out", str(out / "extract"),
                              "--jobs", "1", "--firms", str(path)])
    assert res.exit_code == 0, res.output
    assert "by firm table" in res.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SMWarning)
        from smtext.text.index_job import index_extract

        index = index_extract(out / "extract", ["smart_manufacturing", "wufei2021_digital"], out / "index").firm_years
    pd.testing.assert_frame_equal(index, original[0])
    docs = pd.read_parquet(out / "extract" / "documents.parquet")
    assert set(docs["id_source"]) == {"firm_table"} and (docs["conflict"] == "").all()
    assert docs["id_note"].str.startswith("former_name").any()
    manifest = json.loads((out / "extract" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["identity"]["by_source"] == {"firm_table": len(list((tmp_path / "short").iterdir()))}
    assert manifest["parameters"]["firms"] == str(path)


def test_short_name_form_without_a_firm_table_is_identified_from_the_pages(world, original, tmp_path):
    _copy(world, tmp_path / "short", "short", pd.read_parquet(world / "data" / "firms.parquet"))
    index, excluded, manifest = _index(tmp_path / "short", tmp_path / "out")
    _assert_same_but_unreadable(index, original, excluded, world)
    assert manifest["identity"]["by_source"]["cover"] >= len(index)


def test_code_short_title_announcement_id_form_gives_the_same_index(world, original, tmp_path):
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    _copy(world, tmp_path / "code_ann", "code_ann", firms)
    index, excluded, manifest = _index(tmp_path / "code_ann", tmp_path / "out")
    pd.testing.assert_frame_equal(index, original[0])
    assert sorted(excluded["reason"]) == sorted(original[1]["reason"])
    assert set(manifest["identity"]["by_source"]) == {"name"} and manifest["identity"]["conflicts"] == 0


@pytest.mark.parametrize("with_firms", [False, True])
def test_bare_announcement_ids_give_the_same_index_for_every_readable_report(world, original, tmp_path, with_firms):
    firms = pd.read_parquet(world / "data" / "firms.parquet")
    _copy(world, tmp_path / "bare", "bare", firms)
    index, excluded, manifest = _index(tmp_path / "bare", tmp_path / "out", firms if with_firms else None)
    _assert_same_but_unreadable(index, original, excluded, world)
    # amended filings carry no marker on their pages: the later announcement id wins, as the name did
    assert (excluded["reason"] == "superseded_by_later_filing").sum() == (
        original[1]["reason"] == "superseded_by_revision").sum()
    assert manifest["identity"]["conflicts"] == 0


def _assert_same_but_unreadable(index, original, excluded, world):
    """The index equals the original except the firm-years of reports whose pages cannot be read at all."""
    truth = pd.read_csv(world / "truth" / "documents.csv", dtype={"stkcd": str})
    truth = truth[truth["file"].str.startswith("reports/annual/")]
    lost = excluded[excluded["reason"] == "unidentified"]
    assert len(lost) and lost["id_note"].str.contains("cover_unreadable: SM10[123]").all()
    orig_index, orig_excluded, _ = original
    broken = orig_index[orig_index["n_bad_docs"] > 0][["stkcd", "year"]]
    assert len(lost) == len(broken)          # exactly the encrypted, truncated and image-only reports
    assert len(lost) == int(truth["status"].isin(["encrypted", "truncated", "image_only"]).sum())
    keep = ~orig_index.set_index(["stkcd", "year"]).index.isin(broken.set_index(["stkcd", "year"]).index)
    pd.testing.assert_frame_equal(index, orig_index[keep].reset_index(drop=True))
