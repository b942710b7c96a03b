"""Spatial checks of paper 004 s. 5 (distances, bands, critical distance, location quotient) by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError, SMWarning
from smtext.indicators.spatial import (
    EARTH_RADIUS_KM,
    city_coordinates,
    critical_distance,
    distance_bands,
    haversine_km,
    location_quotient,
    nearest_treated_distance,
)

DEG_KM = 2 * math.pi * EARTH_RADIUS_KM / 360      # one degree of a great circle


def _cosine_law(lon1, lat1, lon2, lat2):
    """The same sphere by the spherical law of cosines (a different formula)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return EARTH_RADIUS_KM * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))


def test_haversine_by_hand():
    assert haversine_km(0, 0, 1, 0) == pytest.approx(DEG_KM, rel=1e-12)          # along the equator
    assert haversine_km(10, 20, 10, 23) == pytest.approx(3 * DEG_KM, rel=1e-12)  # along a meridian
    coords = city_coordinates(["北京", "上海市", "杭州"]).set_index("city")
    bj, sh = coords.loc["北京"], coords.loc["上海市"]
    got = haversine_km(bj.longitude, bj.latitude, sh.longitude, sh.latitude)
    assert got == pytest.approx(_cosine_law(bj.longitude, bj.latitude, sh.longitude, sh.latitude), rel=1e-9)
    assert got == pytest.approx(1067, abs=10)       # Beijing-Shanghai great circle, about 1,067 km


def test_bundled_table_covers_the_demo_cities_and_warns_on_unknown_names():
    from smtext.demo.geography import PROVINCES

    demo = [c for _, cities in PROVINCES.values() for c in cities]
    assert len(city_coordinates(demo)) == len(demo)
    with pytest.warns(SMWarning, match="SM151"):
        got = city_coordinates(["杭州", "襄樊"])
    assert got["city"].tolist() == ["杭州"]
    ref = city_coordinates(["杭州"]).iloc[0]
    assert 120 < ref.longitude < 120.5 and 30 < ref.latitude < 30.5


def test_nearest_treated_city_by_hand():
    coords = pd.DataFrame({"city": ["A", "B", "C", "D"], "longitude": [0.0, 1.0, 3.0, 0.0],
                           "latitude": [0.0, 0.0, 0.0, 2.0]})
    cohorts = pd.DataFrame({"city": ["A", "B", "C", "D"], "gname": [2012, 0, 2014, np.nan]})
    got = nearest_treated_distance(cohorts, [2011, 2013, 2014], coordinates=coords).set_index(["city", "year"])
    assert got["distance_km"].loc[[("A", 2011), ("B", 2011), ("A", 2013)]].isna().all()  # no other city treated
    assert got.loc[("B", 2013), "distance_km"] == pytest.approx(DEG_KM, rel=1e-12)
    assert got.loc[("B", 2013), "nearest"] == "A" and bool(got.loc[("A", 2013), "treated"])
    assert got.loc[("A", 2014), "distance_km"] == pytest.approx(3 * DEG_KM, rel=1e-12)   # its nearest other: C
    assert got.loc[("D", 2014), "distance_km"] == pytest.approx(2 * DEG_KM, rel=1e-12)   # A, not C
    with pytest.raises(SMError) as err:
        nearest_treated_distance(pd.concat([cohorts, cohorts.head(1)]), [2014], coordinates=coords)
    assert err.value.code == "SM152"


def test_bands_and_critical_distance():
    d = pd.Series([50.0, 150.0, 250.0, np.nan, 99.9])
    got = distance_bands(d, [0, 100, 200, 300], exclude=pd.Series([False, False, False, False, True]))
    assert list(got.columns) == ["band_0_100", "band_100_200", "band_200_300"]
    assert got.to_numpy().tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(SMError) as err:
        distance_bands(d, [100, 0])
    assert err.value.code == "SM153"
    bands = pd.DataFrame({"lo": [100, 0, 200], "hi": [200, 100, 300], "estimate": [0.1, 0.2, 0.0],
                          "p_value": [0.04, 0.001, 0.6]})
    res = critical_distance(bands)
    assert res["critical_km"] == 200 and not res["beyond_last"] and len(res["significant"]) == 2
    assert critical_distance(bands.assign(p_value=0.5))["critical_km"] == 0
    allsig = critical_distance(bands.assign(p_value=0.01))
    assert allsig["critical_km"] is None and allsig["beyond_last"]
    # straight from a regression's estimates: band terms by name, other terms ignored
    est = pd.DataFrame({"term": ["Policy", "near_0_100", "near_100_200", "near_200_300", "size"],
                        "estimate": [0.3, 0.2, 0.1, 0.0, 1.0], "p_value": [0.01, 0.001, 0.04, 0.6, 0.0]})
    assert critical_distance(est)["critical_km"] == 200
    with pytest.raises(SMError) as err:
        critical_distance(est.head(1))
    assert err.value.code == "SM154"


def test_location_quotient_by_hand():
    d = pd.DataFrame({"city": ["X", "X", "X", "Y", "Y"], "industry": ["a", "a", "b", "a", "b"],
                      "year": 2015, "employees": [10.0, 30.0, 60.0, 20.0, 80.0]})
    got = location_quotient(d)
    # X: a 40 of 100; nationally a 60 of 200 -> (0.4) / (0.3); X b: 0.6 / 0.7; Y a: 0.2 / 0.3; Y b: 0.8 / 0.7
    want = [0.4 / 0.3, 0.4 / 0.3, 0.6 / 0.7, 0.2 / 0.3, 0.8 / 0.7]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.warns(SMWarning, match="SM155"):
        got = location_quotient(d.assign(employees=[10.0, np.nan, 60.0, 20.0, 80.0]))
    assert np.isnan(got.iloc[1]) and got.iloc[0] == pytest.approx((10 / 70) / (30 / 170), rel=1e-12)
