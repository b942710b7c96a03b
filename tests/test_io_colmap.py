"""smtext.io.colmap: bundled maps are complete and honest; user maps are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtext.errors import SMError
from smtext.io import CANONICAL, bundled_maps, canonical_table, load_colmap

README = Path(__file__).resolve().parents[1] / "README.md"


def test_bundled_maps_load_and_name_canonical_columns():
    names = bundled_maps()
    assert {"csmar_fs_combas", "csmar_fs_comins", "csmar_fs_comscfd", "csmar_fs_comscfi", "csmar_trd_co",
            "csmar_stk_listedcoinfoanl", "csmar_cg_ybasic", "csmar_ini_holdersystematics",
            "csmar_en_equitynatureall", "csmar_trd_year", "cnrds_example", "wind_example"} <= set(names)
    for name in names:
        cm = load_colmap(name)
        assert cm.name == name and cm.source and cm.keys.get("stkcd")
        fields = [c.field for c in cm.columns]
        assert len(fields) == len(set(fields)), name
        for c in cm.columns:
            assert c.name in CANONICAL or c.kind, (name, c.name)      # own names declare their kind
            assert c.meaning, (name, c.name)
            if not c.confirmed:
                assert c.note, f"{name}.{c.name} is unconfirmed without a note saying why"
            if c.canonical_unit == "yuan":
                assert c.unit, f"{name}.{c.name}: money columns state their unit"


def test_unconfirmed_codes_are_marked():
    assert load_colmap("cnrds_example").unconfirmed() == ["employees", "employees_master", "employees_bachelor",
                                                          "rd_expense"]
    assert load_colmap("csmar_fs_combas").unconfirmed() == []


def test_user_map_errors(tmp_path):
    with pytest.raises(SMError, match="SM030"):
        load_colmap("csmar_nope")
    with pytest.raises(SMError, match="SM030"):
        load_colmap(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys: [unclosed", encoding="utf-8")
    with pytest.raises(SMError, match="SM031"):
        load_colmap(bad)
    bad.write_text("keys: {stkcd: code}\ncolumns: {revenue: {fild: x}}\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM031"):
        load_colmap(bad)
    bad.write_text("keys: {stkcd: code, firm: x}\ncolumns: {}\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM031"):
        load_colmap(bad)
    bad.write_text("keys: {stkcd: code}\ncolumns: {year: fy}\n", encoding="utf-8")
    with pytest.raises(SMError, match="SM031"):
        load_colmap(bad)
    big = tmp_path / "big.yaml"
    big.write_text("#" * 300_000, encoding="utf-8")
    with pytest.raises(SMError, match="SM031"):
        load_colmap(big)
    ok = tmp_path / "mine.yaml"
    ok.write_text("keys: {stkcd: 证券代码, year: 年份}\ncolumns:\n  revenue: 营业收入\n  total_assets: {field: 总资产, "
                  "unit: 万元, required: true}\n", encoding="utf-8")
    cm = load_colmap(ok)
    assert cm.name == "mine" and cm.columns[1].unit == "万元" and cm.columns[1].required


def test_readme_lists_every_canonical_column():
    text = README.read_text(encoding="utf-8")
    assert canonical_table() in text
