"""Spatial checks of a city policy (paper 004 s. 5): distances to the nearest treated city, distance
bands and the critical distance of the spillover, and the location quotient of industrial agglomeration.

* :func:`city_coordinates`: longitude and latitude of prefecture-level cities, from the bundled
  ``lexicons/city_coordinates.csv`` (government-seat points re-keyed from cpca 0.5.5, MIT; see its
  ``.meta.json``) or a table of your own;
* :func:`haversine_km`: great-circle distance on a sphere of the IUGG mean Earth radius;
* :func:`nearest_treated_distance`: per city-year, the distance to the nearest *other* city treated
  by then (Cao Qingfeng 2020's distance of a control city to the policy);
* :func:`distance_bands` and :func:`critical_distance`: band dummies for the controls and the first
  band, from the nearest, whose spillover coefficient is no longer significant;
* :func:`location_quotient`: ``LQ_rst = (E_rst / E_rt) / (E_st / E_t)``, an industry's share of a
  city's employment over its share nationally (Yuan Qigang et al. 2015's agglomeration index).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns, warn

__all__ = ["EARTH_RADIUS_KM", "city_coordinates", "haversine_km", "nearest_treated_distance", "distance_bands",
           "critical_distance", "location_quotient"]

#: IUGG mean Earth radius R1 (km)
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _bundled() -> pd.DataFrame:
    from ..text.lexicon import lexicon_dir

    return pd.read_csv(lexicon_dir() / "city_coordinates.csv", dtype={"adcode": str}, encoding="utf-8")


def city_coordinates(cities, table: pd.DataFrame | str | None = None) -> pd.DataFrame:
    """Longitude and latitude of each distinct city in ``cities``.

    Parameters
    ----------
    cities : iterable of str
        City names as written in the data: full (杭州市) or short (杭州) names.
    table : pandas.DataFrame or str, optional
        Your own ``city, longitude, latitude`` table (or the path of its CSV); the bundled
        prefecture table by default (matched on ``city`` and ``short_name``).

    Returns
    -------
    pandas.DataFrame
        ``city, longitude, latitude`` for the cities found. Cities not in the table are listed
        in an SM151 warning and left out (their distances are missing, never 0).
    """
    ref = _bundled() if table is None else (pd.read_csv(table) if isinstance(table, str) else table)
    require_columns(ref, ["city", "longitude", "latitude"], "city coordinates")
    lookup = {}
    for key in ("city", "short_name"):
        if key in ref:
            for name, lon, lat in zip(ref[key], ref["longitude"], ref["latitude"]):
                lookup.setdefault(str(name), (float(lon), float(lat)))
    names = pd.unique(pd.Series(list(cities), dtype=object).dropna().astype(str))
    found = [(c, *lookup[c]) for c in names if c in lookup]
    missing = [c for c in names if c not in lookup]
    if missing:
        warn("SM151", f"{len(missing)} cities have no coordinates: {missing[:10]}; their distances are missing.",
             "pass table= with city, longitude, latitude for them (current names, e.g. 襄阳 not 襄樊).")
    return pd.DataFrame(found, columns=["city", "longitude", "latitude"])


def nearest_treated_distance(cohorts: pd.DataFrame, years, *, city: str = "city", cohort: str = "gname",
                             coordinates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distance of every city-year to the nearest other city treated by that year.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        One row per city: ``city`` and ``cohort``, the first treated year (0 or missing: never).
    years : iterable of int
        Years to compute.
    coordinates : pandas.DataFrame, optional
        ``city, longitude, latitude`` (:func:`city_coordinates` of the cities by default).

    Returns
    -------
    pandas.DataFrame
        ``city, year, treated, distance_km, nearest``: ``treated`` = the city's own cohort has
        started; ``distance_km`` to the nearest other treated city (missing before any other city is
        treated or without coordinates), ``nearest`` its name.
    """
    require_columns(cohorts, [city, cohort], "city cohorts")
    if cohorts[city].duplicated().any():
        dup = cohorts.loc[cohorts[city].duplicated(), city].head(3).tolist()
        raise SMError("SM152", f"cities repeat in the cohort table, e.g. {dup}.", "give one row per city.")
    coords = coordinates if coordinates is not None else city_coordinates(cohorts[city])
    c = cohorts[[city, cohort]].rename(columns={city: "city", cohort: "cohort"}).merge(
        coords[["city", "longitude", "latitude"]], on="city", how="left")
    first = pd.to_numeric(c["cohort"], errors="coerce").where(lambda s: s > 0)
    lon, lat = c["longitude"].to_numpy(float), c["latitude"].to_numpy(float)
    dist = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(dist, np.inf)                               # the nearest *other* city
    rows = []
    for year in sorted({int(y) for y in years}):
        on = (first <= year).to_numpy() & np.isfinite(lon) & np.isfinite(lat)
        d = np.where(on[None, :], dist, np.inf)
        j = d.argmin(axis=1)
        best = d[np.arange(len(c)), j]
        ok = np.isfinite(best)
        rows.append(pd.DataFrame({"city": c["city"], "year": year, "treated": (first <= year).to_numpy(),
                                  "distance_km": np.where(ok, best, np.nan),
                                  "nearest": np.where(ok, c["city"].to_numpy()[j], None)}))
    return pd.concat(rows, ignore_index=True)


def distance_bands(distance: pd.Series, edges, *, exclude=None, prefix: str = "band") -> pd.DataFrame:
    """0/1 columns ``{prefix}_{lo}_{hi}`` for ``lo <= distance < hi`` over consecutive ``edges``.

    ``exclude`` (a boolean series, e.g. the row's own city is treated) sets every band to 0 there;
    a missing distance (no treated city yet) is in no band.
    """
    edges = [float(e) for e in edges]
    if len(edges) < 2 or any(b <= a for a, b in pairwise(edges)):
        raise SMError("SM153", f"band edges must be at least two increasing numbers, got {edges}.",
                      "e.g. [0, 100, 200, 300, 500].")
    d = pd.to_numeric(distance, errors="coerce")
    keep = pd.Series(True, index=d.index) if exclude is None else ~pd.Series(exclude, index=d.index).fillna(False)
    out = {}
    for lo, hi in pairwise(edges):
        out[f"{prefix}_{lo:g}_{hi:g}"] = ((d >= lo) & (d < hi) & keep).astype(int)
    return pd.DataFrame(out, index=d.index)


def critical_distance(bands: pd.DataFrame, *, alpha: float = 0.10) -> dict:
    """The spillover's critical distance from band coefficients, after Cao Qingfeng (2020).

    Parameters
    ----------
    bands : pandas.DataFrame
        One row per band with ``lo, hi, estimate, p_value``; or a regression's ``estimates.csv``
        (``term, estimate, p_value``), whose band terms are named ``<prefix>_<lo>_<hi>`` (as
        :func:`distance_bands` and the paper 004 spec name them; other terms are ignored).
    alpha : float
        Significance level.

    Returns
    -------
    dict
        ``critical_km``: the lower edge of the first band (from the nearest) whose coefficient is not
        significant at ``alpha`` (0 when the nearest band is already insignificant: no spillover
        beyond the city); ``None`` with ``beyond_last = True`` when every band is significant.
        ``significant``: the bands with a significant coefficient, nearest first.
    """
    if "lo" not in bands and "term" in bands:
        edges = bands["term"].astype(str).str.extract(r"_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)$").astype(float)
        bands = bands.assign(lo=edges[0], hi=edges[1]).dropna(subset=["lo", "hi"])
        if bands.empty:
            raise SMError("SM154", "no term of the estimates is a distance band named <prefix>_<lo>_<hi>.",
                          "pass the band regression's estimates (e.g. near_0_100 ...) or a lo, hi table.")
    require_columns(bands, ["lo", "hi", "estimate", "p_value"], "band coefficients")
    b = bands.sort_values("lo", kind="stable")
    sig = b["p_value"] < alpha
    if b["p_value"].isna().any():
        raise SMError("SM154", "a band has no p-value (no control firm in that band?).",
                      "merge or drop empty bands.")
    first_off = b.loc[~sig, "lo"]
    return {"critical_km": float(first_off.iloc[0]) if len(first_off) else None,
            "beyond_last": bool(sig.all()), "alpha": alpha,
            "significant": b.loc[sig, ["lo", "hi"]].to_dict("records")}


def location_quotient(data: pd.DataFrame, *, value: str = "employees", region: str = "city",
                      sector: str = "industry", tname: str | None = "year") -> pd.Series:
    """Location quotient ``(E_rst / E_rt) / (E_st / E_t)`` of each row's sector in its region (and year).

    Sums run over the rows of ``data`` (e.g. the listed firms of the sample); rows with a missing or
    negative ``value`` are left out of the sums (SM155 warning) and get a missing quotient.
    """
    keys = [region, sector] + ([tname] if tname else [])
    require_columns(data, keys + [value], "location-quotient data")
    v = pd.to_numeric(data[value], errors="coerce")
    bad = v.isna() | (v < 0)
    if bad.any():
        warn("SM155", f"{int(bad.sum())} rows have a missing or negative {value}: left out of the location "
                      "quotient's sums, their quotient is missing.", f"fill {value} or drop those rows.")
    d = data[keys].assign(_v=v.where(~bad, 0.0))
    t = [tname] if tname else []
    total = d.groupby(t)["_v"].transform("sum") if t else pd.Series(d["_v"].sum(), index=d.index)
    e_rs = d.groupby([region, sector] + t)["_v"].transform("sum")
    e_r = d.groupby([region] + t)["_v"].transform("sum")
    e_s = d.groupby([sector] + t)["_v"].transform("sum")
    lq = (e_rs / e_r.where(e_r > 0)) / (e_s / total.where(total > 0)).where(e_s > 0)
    return lq.where(~bad & d[keys].notna().all(axis=1)).rename("location_quotient")
