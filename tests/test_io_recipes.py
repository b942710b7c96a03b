"""smtext.io.recipes: each derived input equals its formula, and says it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.io import recipes as R

D = pd.DataFrame({"stkcd": ["000001", "000001", "000002"], "year": [2019, 2020, 2020],
                  "revenue": [100.0, 120.0, 50.0], "operating_cost": [60.0, 70.0, 45.0],
                  "wage_bill": [10.0, 12.0, 5.0], "depreciation": [5.0, 6.0, 2.0],
                  "taxes_surcharges": [1.0, 1.5, 0.5], "operating_profit": [20.0, 25.0, -1.0],
                  "total_assets": [200.0, 220.0, 0.0], "total_liabilities": [80.0, 100.0, 10.0],
                  "market_value": [300.0, 330.0, 20.0], "fixed_assets_net": [50.0, 55.0, 5.0],
                  "employees": [10, 11, 0], "current_assets": [90.0, 95.0, 3.0], "current_liabilities": [40.0, 45.0, 2.0],
                  "net_profit": [15.0, 18.0, -2.0], "listing_year": [2010, 2010, 2021], "founding_year": [2000, 2000, 2015],
                  "industry": ["C26", "C26", "J66"]})


def test_value_added_income_and_cost():
    inc = R.value_added(D)
    np.testing.assert_allclose(inc.values, D.wage_bill + D.taxes_surcharges + D.depreciation + D.operating_profit)
    assert inc.formula == "wage_bill + taxes_surcharges + depreciation + operating_profit" and "NBS" in inc.source
    cost = R.value_added(D, method="cost")
    np.testing.assert_allclose(cost.values, D.revenue - D.operating_cost + D.wage_bill + D.depreciation)
    with pytest.raises(SMError, match="SM037"):
        R.value_added(D, method="gross")
    with pytest.raises(SMError, match="SM001"):
        R.value_added(D.drop(columns="depreciation"))


def test_ratios_and_age():
    assert R.leverage(D).values.tolist()[:2] == [0.4, 100 / 220] and np.isnan(R.leverage(D).values[2])
    np.testing.assert_allclose(R.tobin_q(D).values[:2], [1.5, 1.5])
    np.testing.assert_allclose(R.tobin_q(D, kind="debt_adjusted").values[:2], [380 / 200, 430 / 220])
    np.testing.assert_allclose(R.market_to_book(D).values[:2], [300 / 120, 330 / 120])
    np.testing.assert_allclose(R.net_working_capital(D).values[:2], [50 / 200, 50 / 220])
    np.testing.assert_allclose(R.capital_intensity(D).values[:2], [5.0, 5.0])
    assert np.isnan(R.capital_intensity(D).values[2])             # no employees: missing, not inf
    np.testing.assert_allclose(R.size(D).values[:2], np.log([200.0, 220.0]))
    with pytest.warns(SMWarning, match="SM037"):
        age = R.firm_age(D)
    assert age.values.tolist()[:2] == [9.0, 10.0] and np.isnan(age.values[2]) and age.formula == "year - listing_year"
    assert R.firm_age(D, start="founding_year", plus_one=True).values.tolist() == [20.0, 21.0, 6.0]
    assert R.is_manufacturing(D).values.tolist() == [1, 1, 0] and R.is_financial(D).values.tolist() == [0, 0, 1]


def test_derive_by_name_records_formulas():
    out, rec = R.derive(D, ["leverage", "age:founding_year", "value_added:cost"])
    assert {"leverage", "age", "value_added"} <= set(out.columns) and "leverage" not in D.columns
    assert [r["formula"] for r in rec] == ["total_liabilities / total_assets", "year - founding_year",
                                           "revenue - operating_cost + wage_bill + depreciation"]
    assert rec[0]["missing"] == 1
    with pytest.raises(SMError, match="SM037"):
        R.derive(D, ["tfp"])
    with pytest.raises(SMError, match="SM037"):
        R.derive(D, ["leverage:book"])
    with pytest.warns(SMWarning, match="SM037"):
        R.derive(out, ["leverage"])
