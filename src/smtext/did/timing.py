"""Treatment timing from a pilot list.

Turns a list of pilot firms (or pilot announcements per city) into the
treatment columns every DID estimator uses:

* ``gname``  -- cohort: first treated year, 0 = never treated;
* ``dname``  -- 0/1 treatment status, 1 from the cohort year on;
* ``rel_time`` -- year minus cohort (missing for never-treated units).

:func:`hypothetical_pilots` builds the placebo-style "hypothetical pilot"
timing of paper 004's second instrument from an urgency index.

Every function reports what it found wrong with the inputs (pilots that match
no firm, firms treated before the sample starts, duplicate firm-years) in the
returned :class:`TimingResult` and as coded warnings; nothing is dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn

__all__ = ["TimingResult", "city_spillover", "clean_controls", "firm_treatment", "hypothetical_pilots",
           "relative_time"]


@dataclass(frozen=True)
class TimingResult:
    """Panel with treatment columns plus a validation report.

    Attributes
    ----------
    data : pandas.DataFrame
        The panel with the new columns.
    unmatched_pilots : pandas.DataFrame
        Pilot-list rows whose key matches no unit of the panel.
    treated_before_sample : pandas.DataFrame
        Units (``idname``, cohort, first panel year) treated in or before their
        first observed year: they have no pre-treatment observation.
    duplicate_keys : pandas.DataFrame
        Rows of the panel whose (unit, year) key is duplicated.
    dropped : pandas.DataFrame
        Rows removed from the panel, with a ``reason`` column.
    counts : dict
        Numbers of treated / never-treated units and cohorts.
    """

    data: pd.DataFrame
    unmatched_pilots: pd.DataFrame
    treated_before_sample: pd.DataFrame
    duplicate_keys: pd.DataFrame
    dropped: pd.DataFrame
    counts: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line per finding."""
        lines = [f"{k}: {v}" for k, v in self.counts.items()]
        lines += [
            f"unmatched pilot rows: {len(self.unmatched_pilots)}",
            f"units treated before their first panel year: {len(self.treated_before_sample)}",
            f"duplicate unit-year rows: {len(self.duplicate_keys)}",
            f"rows dropped: {len(self.dropped)}"
            + (f" ({self.dropped['reason'].value_counts().to_dict()})" if len(self.dropped) else ""),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def relative_time(data: pd.DataFrame, tname: str, gname: str) -> pd.Series:
    """Years since adoption (``tname - gname``); missing for never-treated (``gname == 0``).

    Parameters
    ----------
    data : pandas.DataFrame
    tname, gname : str
        Year and cohort (first treated year, 0 = never) columns.

    Returns
    -------
    pandas.Series of pandas nullable Int64.
    """
    require_columns(data, [gname, tname])
    g = data[gname]
    rel = (data[tname] - g).astype("Int64")
    return rel.where(g.fillna(0) > 0, pd.NA).rename("rel_time")


def _duplicates(panel: pd.DataFrame, idname: str, tname: str) -> pd.DataFrame:
    dup = panel.duplicated([idname, tname], keep=False)
    out = panel.loc[dup, [idname, tname]]
    if len(out):
        warn("SM513", f"{len(out)} rows share a ({idname}, {tname}) key with another row, e.g. "
                      f"{out.iloc[0].to_dict()}.",
             "deduplicate the panel (one row per firm-year) before estimating.", stacklevel=3)
    return out


def _finish(panel, cohort, idname, tname, gname, dname, relname, unmatched, dropped) -> TimingResult:
    """Attach cohort/treatment/relative-time columns and collect the report."""
    out = panel.copy()
    g = out[idname].map(cohort).fillna(0).astype(int)
    out[gname] = g
    out[dname] = ((g > 0) & (out[tname] >= g)).astype(int)
    if relname:
        out[relname] = relative_time(out, tname, gname)
    first = out.groupby(idname)[tname].min()
    tb = pd.DataFrame({gname: cohort.reindex(first.index), "first_year": first}).dropna()
    tb.index.name = idname
    tb = tb[tb[gname] <= tb["first_year"]].reset_index()
    tb[gname] = tb[gname].astype(int)
    if len(tb):
        warn("SM512", f"{len(tb)} treated units are treated in or before their first panel year "
                      "(no pre-period), e.g. " + str(tb.iloc[0].to_dict()),
             "check the pilot years, or drop these units (they identify nothing in a TWFE DID).",
             stacklevel=3)
    if len(unmatched):
        warn("SM511", f"{len(unmatched)} pilot-list rows match no unit of the panel, e.g. "
                      f"{unmatched.iloc[0].to_dict()}.",
             "check the identifiers (6-digit stkcd strings, name spelling); see result.unmatched_pilots.",
             stacklevel=3)
    units = out.groupby(idname)[gname].first()
    counts = {
        "treated units": int((units > 0).sum()),
        "never-treated units": int((units == 0).sum()),
        "cohorts": {int(k): int(v) for k, v in units[units > 0].value_counts().sort_index().items()},
    }
    return TimingResult(out, unmatched.reset_index(drop=True), tb,
                        _duplicates(panel, idname, tname), dropped.reset_index(drop=True), counts)


def _pilot_years(pilots, pilot_key, pilot_year):
    require_columns(pilots, [pilot_key, pilot_year], "pilot list")
    p = pilots.dropna(subset=[pilot_key, pilot_year])
    if p.empty:
        raise SMError("SM510", "the pilot list has no rows with both a key and a year.",
                      f"fill the columns {pilot_key!r} and {pilot_year!r}.")
    # a firm listed in several batches is treated from its first selection
    return p.groupby(pilot_key)[pilot_year].min().astype(int)


def firm_treatment(panel: pd.DataFrame, pilots: pd.DataFrame, *, tname: str = "year", idname: str = "stkcd",
                   pilot_key: str | None = None, panel_key: str | None = None,
                   pilot_year: str = "year", gname: str = "gname", dname: str = "did",
                   relname: str | None = "rel_time") -> TimingResult:
    """Firm-level staggered treatment: ``did = 1`` from the firm's selection year on.

    This is the design of papers 000, 001 and 002 (smart-manufacturing pilot
    firms treated from the year they were selected).

    Parameters
    ----------
    panel : pandas.DataFrame
        Firm-year panel.
    pilots : pandas.DataFrame
        One row per (firm, selection); a firm selected twice keeps its first year.
    tname, idname : str
        Year and unit columns of ``panel``.
    pilot_key : str, optional
        Column of ``pilots`` identifying the firm (default: ``idname``).
    panel_key : str, optional
        Column of ``panel`` that ``pilot_key`` matches (default: ``idname``);
        use a name column to match pilot lists that give firm names.
    pilot_year : str
        Selection-year column of ``pilots``.
    gname, dname, relname : str
        Names of the cohort, treatment and relative-time columns to create
        (``relname=None`` skips relative time).

    Returns
    -------
    TimingResult
        ``.data`` holds the panel with the new columns; the other attributes
        report unmatched pilots (SM511), units treated before the sample
        (SM512) and duplicate firm-years (SM513).
    """
    pilot_key = pilot_key or idname
    panel_key = panel_key or idname
    require_columns(panel, [idname, tname, panel_key], "panel")
    years = _pilot_years(pilots, pilot_key, pilot_year)
    first_rows = panel.drop_duplicates(panel_key)
    key_to_id = pd.Series(first_rows[idname].to_numpy(), index=first_rows[panel_key].to_numpy())
    matched = years.index.isin(key_to_id.index)
    unmatched = pilots[pilots[pilot_key].isin(years.index[~matched])]
    cohort = pd.Series(years[matched].to_numpy(), index=key_to_id.reindex(years.index[matched]).to_numpy())
    cohort = cohort.groupby(level=0).min()
    return _finish(panel, cohort, idname, tname, gname, dname, relname, unmatched,
                   pd.DataFrame(columns=[idname, tname, "reason"]))


def city_spillover(panel: pd.DataFrame, pilots: pd.DataFrame, *, tname: str = "year", idname: str = "stkcd",
                   city: str = "city", pilot_key: str | None = None,
                   pilot_year: str = "year", pilot_city: str | None = None, delay: int = 1,
                   drop_pilot_firms: bool = True, gname: str = "gname", dname: str = "policy",
                   relname: str | None = "rel_time") -> TimingResult:
    """City-level spillover treatment (paper 004).

    ``policy = 1`` for firms in a city from ``delay`` years after the city's
    first pilot announcement; the pilot firms themselves are dropped so the
    estimate is the spillover to non-pilot firms.

    Parameters
    ----------
    panel : pandas.DataFrame
        Firm-year panel with a city column.
    pilots : pandas.DataFrame
        Pilot list: firm key, announcement year and (optionally) city. With
        ``pilot_city`` given, rows without a firm key (applicants that are not
        listed firms) still set their city's first announcement year.
    tname, idname, city : str
        Year, unit and city columns of ``panel``.
    pilot_key : str, optional
        Firm column of ``pilots`` (default ``idname``), matched to ``idname``.
    pilot_year : str
        Announcement-year column of ``pilots``.
    pilot_city : str, optional
        City column of ``pilots``; when absent a pilot's city is its city in
        the panel in its announcement year (else its first panel year).
    delay : int
        Years between announcement and treatment (1 in paper 004).
    drop_pilot_firms : bool
        Drop the pilot firms (reported in ``.dropped``).
    gname, dname, relname : str
        Names of the cohort, treatment and relative-time columns to create
        (``relname=None`` skips relative time).

    Returns
    -------
    TimingResult
        The cohort is city-level: ``gname`` = first announcement + ``delay``.
    """
    pilot_key = pilot_key or idname
    require_columns(panel, [idname, tname, city], "panel")
    require_columns(pilots, [pilot_key, pilot_year] + ([pilot_city] if pilot_city else []), "pilot list")
    # with a city column every project counts for its city's announcement year, also
    # projects of applicants that are not listed firms (they have no key)
    p = pilots.dropna(subset=[pilot_year] + ([pilot_city] if pilot_city else [pilot_key])).copy()
    if p.empty:
        raise SMError("SM510", "the pilot list has no rows with both a key (or city) and a year.")
    if pilot_city:
        p["_city"] = p[pilot_city]
        unmatched = p.loc[p["_city"].isna(), pilots.columns]
    else:
        # the city where the pilot firm is located when it is announced
        loc = panel[[idname, tname, city]].dropna(subset=[city])
        at = p.merge(loc, left_on=[pilot_key, pilot_year], right_on=[idname, tname], how="left",
                     suffixes=("", "_panel"))[city].to_numpy()
        first = loc.sort_values(tname).drop_duplicates(idname).set_index(idname)[city]
        p["_city"] = np.where(pd.isna(at), p[pilot_key].map(first), at)
        unmatched = p.loc[p["_city"].isna(), pilots.columns]
    cities = p.dropna(subset=["_city"]).groupby("_city")[pilot_year].min().astype(int) + int(delay)
    out = panel
    dropped = pd.DataFrame(columns=[idname, tname, "reason"])
    if drop_pilot_firms:
        is_pilot = panel[idname].isin(p[pilot_key].dropna())
        dropped = panel.loc[is_pilot, [idname, tname]].assign(reason="pilot firm")
        out = panel.loc[~is_pilot]
        if len(dropped):
            warn("SM514", f"dropped {len(dropped)} firm-years of {dropped[idname].nunique()} pilot firms "
                          "(spillover design: only non-pilot firms are compared).", stacklevel=2)
    # cohort per firm = its city's cohort; a firm that moves city keeps the first one observed
    firm_city = out.sort_values(tname).drop_duplicates(idname).set_index(idname)[city]
    cohort = firm_city.map(cities).dropna().astype(int)
    return _finish(out, cohort, idname, tname, gname, dname, relname, unmatched, dropped)


def clean_controls(data: pd.DataFrame, idname: str, gname: str, flag: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep treated units and only "clean" never-treated controls.

    Paper 002 compares pilot firms with firms whose annual reports *never*
    mention smart manufacturing; ``flag`` is the per-firm-year indicator (or
    count) of such a mention produced by the lexicon screening.

    Parameters
    ----------
    data : pandas.DataFrame
        Panel with cohort column ``gname`` (0 = never treated).
    idname, gname : str
        Unit and cohort columns.
    flag : str
        Column that is > 0 in firm-years with a mention.

    Returns
    -------
    kept : pandas.DataFrame
        Treated units plus never-treated units with no mention in any year.
    dropped : pandas.DataFrame
        The removed rows (``idname``, ``reason``), also announced by warning SM515.
    """
    require_columns(data, [idname, gname, flag])
    ever = data.groupby(idname)[flag].transform(lambda s: (s.fillna(0) > 0).any())
    bad = (data[gname] == 0) & ever
    dropped = data.loc[bad, [idname]].assign(reason=f"never-treated unit with {flag} > 0")
    if bad.any():
        warn("SM515", f"clean controls: dropped {int(bad.sum())} rows of {dropped[idname].nunique()} "
                      f"never-treated units whose {flag!r} is positive in some year.", stacklevel=2)
    return data.loc[~bad].copy(), dropped.reset_index(drop=True)


def hypothetical_pilots(index: pd.DataFrame, first_year: pd.Series, *, region: str = "city", tname: str = "year",
                        value: str = "urgency") -> pd.DataFrame:
    """Hypothetical pilot regions: each year, the most urgent regions up to the real number of pilots.

    Paper 004 (after Sun Weizeng et al. 2022 and Yuan Jin et al. 2024) ranks the regions every
    year by an urgency index (robot penetration at US industry robot densities) from high to
    low and, following the real policy's timing and number of pilot regions per year, marks
    the top-ranked regions as hypothetical pilots. Here: in each real announcement year ``t``
    (ascending), among the regions not yet chosen that have an index value in ``t``, the
    ``n_t`` with the highest index are chosen, ``n_t`` being the number of regions whose real
    first pilot year is ``t``. Ties are broken by the region key (ascending), so the result is
    deterministic.

    Parameters
    ----------
    index : pandas.DataFrame
        One row per region and year: ``region``, ``tname`` and the index ``value``.
    first_year : pandas.Series
        The real first pilot year of each region (index: region); 0 or missing = never a pilot.
    region, tname, value : str
        Column names of ``index``.

    Returns
    -------
    pandas.DataFrame
        One row per region of ``index``: ``region``, ``hypothetical_year`` (0 = never chosen)
        and ``real_year``. ``attrs["per_year"]`` lists, per year, the real count and the
        regions chosen.

    Raises
    ------
    SMError
        SM588: the index repeats a region-year, or has no value in a real announcement year.
    """
    require_columns(index, [region, tname, value], "urgency index")
    idx = index.dropna(subset=[value])
    dup = idx.duplicated([region, tname])
    if dup.any():
        raise SMError("SM588", f"the urgency index repeats {int(dup.sum())} ({region}, {tname}) rows, e.g. "
                               f"{idx.loc[dup, [region, tname]].head(2).to_dict('records')}.",
                      "give one index value per region and year.")
    real = pd.to_numeric(first_year, errors="coerce").fillna(0).astype(int)
    counts = real[real > 0].value_counts().sort_index()
    chosen: dict = {}
    per_year = []
    for year, n in counts.items():
        cand = idx.loc[(idx[tname] == year) & ~idx[region].isin(list(chosen))]
        if cand.empty:
            raise SMError("SM588", f"the urgency index has no value in {year}, a year with {n} real pilot region(s).",
                          f"give the index for every region in {year}.")
        top = cand.sort_values([value, region], ascending=[False, True], kind="stable").head(int(n))
        if len(top) < n:
            warn("SM589", f"{year}: {n} real pilot regions but only {len(top)} regions left to choose; all are chosen.")
        chosen.update({r: int(year) for r in top[region]})
        per_year.append({"year": int(year), "real": int(n), "chosen": list(top[region])})
    regions = pd.Index(pd.unique(idx[region]))
    out = pd.DataFrame({region: regions,
                        "hypothetical_year": [chosen.get(r, 0) for r in regions],
                        "real_year": [int(real.get(r, 0)) for r in regions]})
    out.attrs["per_year"] = per_year
    return out
