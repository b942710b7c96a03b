"""Export DVAR of paper 003 eq. (2), step by step, against a firm computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.indicators.shiftshare import dvar, dvar_steps


@pytest.fixture()
def firm():
    # exports X = 1000 (processing 400, ordinary 600); sales 5000, so D + X^o = 4600;
    # direct imports: processing 200, ordinary intermediates 460; 20 % of the industry's imports come
    # through intermediaries; intermediate inputs 3000; average net fixed assets 1200
    return pd.DataFrame({"exports": [1000.0], "exports_processing": [400.0], "exports_ordinary": [600.0],
                         "imports_processing": [200.0], "imports_ordinary_intermediate": [460.0],
                         "total_sales": [5000.0], "intermediate_inputs": [3000.0], "nfa_average": [1200.0],
                         "intermediary_share": [0.2]})


def test_steps_by_hand(firm):
    got = dvar_steps(firm).iloc[0]
    # 1. actual imports: 200 / 0.8 = 250, 460 / 0.8 = 575
    assert got["M_P_A"] == pytest.approx(250.0, rel=1e-12)
    assert got["M_O_AM"] == pytest.approx(575.0, rel=1e-12)
    # 2. ordinary content of ordinary exports: 600 * 575 / 4600 = 75
    assert got["ordinary_foreign"] == pytest.approx(75.0, rel=1e-12)
    # 3. 0.05 * (3000 - 250 - 75) = 133.75; 4. 0.0417 * 1200 = 50.04
    assert got["domestic_foreign"] == pytest.approx(133.75, rel=1e-12)
    assert got["depreciation_term"] == pytest.approx(50.04, rel=1e-12)
    # 5. as printed: foreign = 250 + 75 - 133.75 - 50.04 = 141.21; DVAR = 1 - 141.21 / 1000
    assert got["foreign"] == pytest.approx(141.21, rel=1e-12)
    assert got["DVAR"] == pytest.approx(0.85879, rel=1e-12)
    assert not got["clipped"]
    # read as foreign content: 250 + 75 + 133.75 + 50.04 = 508.79
    alt = dvar_steps(firm, convention="foreign").iloc[0]
    assert alt["DVAR"] == pytest.approx(1 - 0.50879, rel=1e-12)


def test_reduces_to_upward_wang_zheng(firm):
    """Without the 0.05 and depreciation terms and intermediaries it is the existing UWZ ratio."""
    got = dvar_steps(firm, intermediary_share=None, foreign_in_domestic=0.0, depreciation=0.0)["DVAR"]
    want = dvar(firm)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # and the intermediary gross-up agrees with dvar(intermediary_share=...)
    got = dvar_steps(firm, foreign_in_domestic=0.0, depreciation=0.0)["DVAR"]
    np.testing.assert_allclose(got, dvar(firm, intermediary_share="intermediary_share"), rtol=1e-12)


def test_missing_not_zero_and_bad_share(firm):
    rows = pd.concat([firm] * 3, ignore_index=True)
    rows.loc[1, "exports"] = 0.0                  # no exports: missing
    rows.loc[2, "total_sales"] = 300.0            # sales below processing exports: missing
    got = dvar_steps(rows)
    assert got["DVAR"].isna().tolist() == [False, True, True]
    heavy = firm.assign(imports_processing=5000.0)
    assert dvar_steps(heavy)["clipped"].iloc[0] and dvar_steps(heavy)["DVAR"].iloc[0] == 0.0
    with pytest.raises(SMError) as err:
        dvar_steps(firm.assign(intermediary_share=1.0))
    assert err.value.code == "SM481"
