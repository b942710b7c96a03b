"""Paper 004's hypothetical-pilot instrument (smtext.did.timing.hypothetical_pilots) on hand-built examples."""

from __future__ import annotations

import pandas as pd
import pytest

from smtext.did.timing import hypothetical_pilots
from smtext.errors import SMError
from smtext.study.registry import VARIABLES


def _index():
    # five cities, urgency by year (higher = more urgent)
    rows = {2015: {"A": 1.0, "B": 5.0, "C": 3.0, "D": 4.0, "E": 2.0},
            2016: {"A": 9.0, "B": 6.0, "C": 3.0, "D": 8.0, "E": 2.0},
            2017: {"A": 1.0, "B": 1.0, "C": 7.0, "D": 1.0, "E": 7.0}}
    return pd.DataFrame([(c, y, v) for y, r in rows.items() for c, v in r.items()], columns=["city", "year", "urgency"])


def test_hand_built_ranking():
    # real pilots: 2015 one city (C), 2016 two (A, E), E and ... ; 2017 none; B, D never
    real = pd.Series({"A": 2016, "B": 0, "C": 2015, "D": 0, "E": 2016})
    h = hypothetical_pilots(_index(), real).set_index("city")
    # by hand: 2015 -> top 1 of {A1,B5,C3,D4,E2} = B; 2016 -> top 2 of {A9,C3,D8,E2} = A, D
    assert h["hypothetical_year"].to_dict() == {"A": 2016, "B": 2015, "C": 0, "D": 2016, "E": 0}
    assert h["real_year"].to_dict() == real.to_dict()
    assert h.attrs["per_year"] == [{"year": 2015, "real": 1, "chosen": ["B"]},
                                   {"year": 2016, "real": 2, "chosen": ["A", "D"]}]
    # the number chosen each year equals the real number of new pilot regions
    assert (h["hypothetical_year"] > 0).sum() == (real > 0).sum()


def test_ties_broken_by_region_and_errors():
    real = pd.Series({"A": 0, "B": 0, "C": 2017, "D": 0, "E": 0})
    h = hypothetical_pilots(_index(), real).set_index("city")
    assert h.loc["C", "hypothetical_year"] == 2017 and h.loc["E", "hypothetical_year"] == 0   # C7 = E7: C first
    with pytest.raises(SMError, match="SM588"):
        hypothetical_pilots(_index(), pd.Series({"A": 2018}))                   # no index in 2018
    with pytest.raises(SMError, match="SM588"):
        hypothetical_pilots(pd.concat([_index(), _index().head(1)]), real)      # repeated city-year


def test_spec_operations_on_firm_rows():
    # firm-year rows: the region_exposure op (shift-share) and the hypothetical_pilot op, by hand
    d = pd.DataFrame({
        "stkcd": ["1", "2", "3", "1", "2", "3", "1", "2", "3"],
        "year": [2015] * 3 + [2016] * 3 + [2017] * 3,
        "city": ["X", "X", "Y"] * 3,
        "industry": ["m", "n", "m"] * 3,
        "employees": [30.0, 10.0, 5.0] * 3,
        "Robot_ind": [1.0, 4.0, 1.0, 2.0, 6.0, 2.0, 3.0, 6.0, 3.0],
        "gname": [0, 0, 2017] * 3,                    # city Y announced 2016, treated from 2017
    })
    exp = VARIABLES["region_exposure"].func(d, {"density": "Robot_ind", "weight": "employees", "region": "city"})
    # X: shares m 0.75, n 0.25 -> 2015: 0.75*1 + 0.25*4 = 1.75; 2016: 1.5 + 1.5 = 3; 2017: 2.25 + 1.5 = 3.75
    # Y: all m -> 1, 2, 3
    assert exp.tolist() == pytest.approx([1.75, 1.75, 1, 3, 3, 2, 3.75, 3.75, 3])
    d["urgency"] = exp
    iv = VARIABLES["hypothetical_pilot"].func(d, {"index": "urgency", "region": "city", "cohort": "gname", "delay": 1})
    # one real pilot city announced in 2016; in 2016 X (3) outranks Y (2): X is the hypothetical pilot,
    # treated from 2017
    assert iv.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0]
