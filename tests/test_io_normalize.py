"""smtext.io.normalize: stock codes, report periods, statement types, units, numbers, unique keys."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.io.normalize import (
    check_unique,
    normalize_stkcd,
    parse_periods,
    select_statement,
    to_number,
    unit_factor,
)


def test_stock_codes_to_six_digits():
    raw = pd.Series(["37", "37.0", "000037.SZ", "SZ000037", "sz000037", " 000037 ", "600000.SH", "SH.600000",
                     "00700.HK", "abc", "1234567", None], dtype=object)
    codes, counts = normalize_stkcd(raw)
    assert codes.tolist()[:8] == ["000037"] * 6 + ["600000", "600000"]
    assert codes[8:].isna().all()
    assert counts["codes_invalid"] == 4 and "00700.HK" in counts["invalid_code_examples"]
    assert counts["codes_changed"] == 8                  # every valid one: none was written as 6 bare digits
    ints, c2 = normalize_stkcd(pd.Series([37, 600000, 2.5]))
    assert ints.tolist()[:2] == ["000037", "600000"] and pd.isna(ints[2]) and c2["codes_invalid"] == 1


def test_periods_to_fiscal_years():
    raw = pd.Series(["2019-12-31", "2019/12/31", "20191231", "2019年12月31日", "2019", "2019.0", "2019年",
                     "2019年报", "2019年度", "2019中报", "2019三季报", "2019-06-30 00:00:00", "2019-01-01",
                     dt.datetime(2020, 12, 31), "31/12/2019", "", None], dtype=object)
    p = parse_periods(raw)
    assert p["year"].tolist()[:14] == [2019] * 13 + [2020]
    assert p["period"].tolist()[:9] == ["2019-12-31"] * 9
    assert p["period"].tolist()[9:13] == ["2019-06-30", "2019-09-30", "2019-06-30", "2019-01-01"]
    assert p["year"][14:].isna().all()                   # day-first dates are not guessed
    assert parse_periods(pd.Series([2019, 2020]))["period"].tolist() == ["2019-12-31", "2020-12-31"]
    assert parse_periods(pd.to_datetime(pd.Series(["2019-12-31"])))["year"].tolist() == [2019]


def test_statement_types():
    t = pd.Series(["A", "B", "A", "合并报表", "母公司报表", "C"])
    keep, c = select_statement(t, "consolidated")
    assert keep.tolist() == [True, False, True, True, False, False]
    assert c["parent_rows_dropped"] == 2 and c["other_statement_rows_dropped"] == {"C": 1}
    keep, c = select_statement(t, "parent")
    assert keep.sum() == 2 and c["consolidated_rows_dropped"] == 3
    with pytest.raises(SMError, match="SM023"):
        select_statement(t, None)                        # both types would remain
    assert select_statement(pd.Series(["A", "A"]), None)[0].all()
    with pytest.raises(SMError, match="SM023"):
        select_statement(t, "both")


@pytest.mark.parametrize("unit,canon,factor", [("元", "yuan", 1), ("千元", "yuan", 1e3), ("万元", "yuan", 1e4),
                                               ("(万元)", "yuan", 1e4), ("单位：百万元", "yuan", 1e6),
                                               ("亿元", "yuan", 1e8), ("%", "share", 0.01), (None, "share", 1),
                                               ("人", "persons", 1), ("没有单位", "code", 1)])
def test_unit_factors(unit, canon, factor):
    assert unit_factor(unit, canon, "x")[0] == factor


def test_unknown_or_missing_units():
    with pytest.raises(SMError, match="SM024"):
        unit_factor("美元", "yuan", "revenue")
    assert unit_factor("没有单位", "yuan", "revenue") == (1.0, "revenue: no unit given, taken as 元")


def test_numbers_with_separators_and_markers():
    v, bad, ex = to_number(pd.Series(["1,234.5", "--", "", "NA", "12", "abc"], dtype=object))
    np.testing.assert_array_equal(v.to_numpy(), [1234.5, np.nan, np.nan, np.nan, 12.0, np.nan])
    assert bad == 1 and ex == ["abc"]


def test_unique_keys():
    d = pd.DataFrame({"stkcd": ["000001", "000001", "000002"], "year": [2019, 2019, 2019]})
    with pytest.raises(SMError) as e:
        check_unique(d, ["stkcd", "year"], "t")
    assert e.value.code == "SM401" and "('000001', 2019) x2" in str(e.value)
    check_unique(d, ["stkcd", "year"][:0], "t")
