"""One entry point from a user's export to smtext's canonical table: :func:`read_panel`.

read -> keys (stock code, report period, statement type) -> mapped columns (units, numbers,
recodes) -> unique keys. Every step's counts go into ``PanelRead.report``; every step that
drops or changes data also raises a coded warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SMError, warn
from ..manifest import file_sha256
from .canonical import CANONICAL
from .colmap import ColumnMap, MappedColumn, bundled_maps, load_colmap
from .layouts import KEY_ALIASES
from .normalize import (
    check_unique,
    clean_unit,
    normalize_stkcd,
    parse_periods,
    select_statement,
    to_number,
    unit_factor,
)
from .read import RawTable, read_table

__all__ = ["PanelRead", "read_panel", "read_panels"]


@dataclass(frozen=True)
class PanelRead:
    """A table in canonical columns, with what reading it did.

    Attributes
    ----------
    data : pandas.DataFrame
        Keys first (``stkcd`` as 6-digit text, ``year`` as int; ``period`` too when
        ``annual=False``), then the mapped columns in the map's order, sorted by the keys.
    report : dict
        Counts of every step: rows read, codes changed and invalid, rows dropped by period
        (with their dates), by statement type, columns scaled and by what, values that were
        not numbers, columns missing, the keys.
    source : dict
        ``path``, ``sha256``, ``layout``, ``encoding``, ``colmap`` (and ``files`` for
        :func:`read_panels`): what a manifest records as the input.
    """

    data: pd.DataFrame
    report: dict
    source: dict


def _find(raw: RawTable, field: str, label: str | None) -> str | None:
    """Source column for ``field``: exact name, then ignoring case, then by its Chinese name."""
    cols = list(raw.data.columns)
    if field in cols:
        return field
    low = [c for c in cols if c.lower() == field.lower()]
    if len(low) == 1:
        return low[0]
    for name in (label, field):
        if name:
            hit = [c for c, lab in raw.labels.items() if lab == name and c in cols]
            if len(hit) == 1:
                return hit[0]
    return None


def _roles(raw: RawTable, cm: ColumnMap | None) -> dict[str, str]:
    """Role (stkcd, period, year, statement) -> source column."""
    found = {}
    if cm is not None:
        for role, field in cm.keys.items():
            col = _find(raw, field, None)
            if col is None:
                raise SMError("SM032", f"column map {cm.name!r} takes the {role} from column {field!r}, which the file "
                                       f"lacks; it has {list(raw.data.columns)[:15]}.",
                              "check the export includes that field, or fix 'keys' in your map.")
            found[role] = col
        return found
    lower = {c.lower(): c for c in raw.data.columns}
    for role, aliases in KEY_ALIASES.items():
        for a in aliases:
            if a.lower() in lower:
                found[role] = lower[a.lower()]
                break
    if "period" in found and found["period"].lower() in ("year", "trdynt", "年份", "年度", "会计年度"):
        found["year"] = found.pop("period")
    return found


def _hint(raw: RawTable) -> None:
    """Warn (SM035) when an unmapped file has the columns of a bundled map."""
    cols = {c.lower() for c in raw.data.columns}
    best, hits = None, 0
    for name in bundled_maps():
        cm = load_colmap(name)
        # a field named like its canonical column (CITY -> city) already has smtext's name: no hint
        n = sum(c.field.lower() in cols and c.field.lower() != c.name for c in cm.columns)
        if n > hits:
            best, hits = name, n
    if best and hits >= 2:
        warn("SM035", f"the file has {hits} columns of the bundled map {best!r} but was read without a map, so they "
                      "keep their source names.", f"pass colmap={best!r} (CLI: --map {best}).", stacklevel=4)


def _column(raw: RawTable, src: str, entry: MappedColumn, rows: np.ndarray, report: dict) -> pd.Series:
    """One mapped column: recoded, converted to a number and scaled to the canonical unit."""
    s = raw.data[src][rows].reset_index(drop=True)
    name, canon = entry.name, CANONICAL.get(entry.name)
    if entry.transform == "year":
        present = s.notna() & (s.astype("string").str.strip() != "")
        yr = parse_periods(s)["year"]
        bad = int((present & yr.isna()).sum())
        if bad:
            report["values_not_read"][name] = bad
            warn("SM025", f"{bad} values of {src!r} are not dates; {name} is missing there.", stacklevel=4)
        return yr
    if entry.values is not None:
        t = s.astype("string").str.strip()
        mapped = t.map(lambda v: entry.values.get(v, np.nan) if v is not pd.NA else np.nan)
        bad = t.notna() & (t != "") & ~t.isin(list(entry.values))
        if bad.any():
            shown = t[bad].value_counts().head(5).to_dict()
            report["values_not_recoded"][name] = int(bad.sum())
            warn("SM027", f"{int(bad.sum())} values of {src!r} are not in the map's values for {name} (e.g. {shown}); "
                          "they are missing.", "add them to 'values' in the column map.", stacklevel=4)
        s = mapped.astype(object).where(mapped.notna(), np.nan)
        if all(isinstance(v, (int, float, np.integer, np.floating)) or v is None
               for v in entry.values.values()):
            s = pd.to_numeric(s, errors="coerce")
        else:
            return s.astype("str").where(s.notna(), None)
    kind = entry.kind or (canon.kind if canon else None)
    if kind == "str":
        t = s.astype("string").str.strip()
        return t.where(t != "").astype("str")
    if kind is None:
        return s
    num, nbad, examples = to_number(s)
    if nbad:
        report["values_not_read"][name] = nbad
        warn("SM025", f"{nbad} values of {src!r} are not numbers (e.g. {examples}); {name} is missing there.",
             "clean the column, or check the export's number format.", stacklevel=4)
    if canon is not None:
        file_unit = raw.units.get(src)
        unit = file_unit if file_unit not in (None, "") else entry.unit
        if file_unit and entry.unit and clean_unit(file_unit) != clean_unit(entry.unit) and clean_unit(file_unit) != "没有单位":
            report["unit_conflicts"][name] = {"file": file_unit, "map": entry.unit}
            warn("SM024", f"the file says {src!r} is in {file_unit!r}, the column map says {entry.unit!r}; the file's "
                          "unit is used.", "check the export's units row; fix the map if it is wrong.", stacklevel=4)
        factor, note = unit_factor(unit, canon.unit, src)
        if note:
            report["units_assumed"].append(name)
        if factor != 1.0:
            num = num * factor
            report["columns_scaled"][name] = {"unit": unit, "factor": factor}
    if kind == "int":
        ok = num.notna()
        if (num[ok] != np.floor(num[ok])).any():
            n = int((num[ok] != np.floor(num[ok])).sum())
            report["not_integral"][name] = n
            warn("SM026", f"{n} values of {name} (from {src!r}) are not whole numbers; the column stays decimal.",
                 stacklevel=4)
            return num
        return num.astype("Int64")
    return num


def read_panel(path: str | Path, colmap=None, *, layout: str = "auto", statement: str | None = "consolidated",
               annual: bool = True, sheet: str | int | None = None, encoding: str | None = None,
               description: str | Path | None = None, keys: Sequence[str] | None = None,
               duplicates: str = "error") -> PanelRead:
    """Read a CSMAR / CNRDS / Wind / plain export into smtext's canonical columns.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.txt``, ``.xlsx``, ``.dta`` or ``.parquet`` (see :func:`smtext.io.read_table`).
    colmap : str, Path or ColumnMap, optional
        A bundled map name (``"csmar_fs_combas"``, see :func:`smtext.io.bundled_maps`), a
        YAML file, or a loaded map. Without it the columns keep their names; only the key
        columns are recognised (Stkcd/Symbol/证券代码, Accper/EndDate/year, Typrep) and
        renamed ``stkcd``, ``year``.
    layout : {"auto", "plain", "csmar", "cnrds", "wind"}
    statement : {"consolidated", "parent"} or None
        Statement type to keep when the table has a ``Typrep`` (合并/母公司) column. None
        keeps every row and raises SM023 when both types remain.
    annual : bool
        Keep fiscal-year-end rows (31 December, or a bare year) and drop half-year,
        quarterly and opening-balance (01-01) rows, counting them by date. False keeps every
        period (keys then ``stkcd``, ``period``).
    sheet, encoding, description
        Passed to :func:`smtext.io.read_table`.
    keys : sequence of str, optional
        The columns that identify a row: ``("stkcd", "year")`` for a firm-year panel (the
        default when the table has a code and a period), ``("stkcd",)`` for a firm table,
        ``()`` for a list with no stock codes (a pilot list, patent records). Rows whose
        keys repeat raise SM401.
    duplicates : {"error", "first"}
        Repeated keys raise SM401 ("error"), or the first row of each key is kept with an
        SM401 warning and ``report["duplicates_dropped"]`` ("first", as a study's panel does).

    Returns
    -------
    PanelRead

    Raises
    ------
    SMError
        The read errors of :func:`smtext.io.read_table` (SM010-SM018), SM023 statement
        types, SM024 units, SM030/SM031 column map, SM032 a mapped key or required column
        missing, SM033 no mapped column present, SM034 keys the table cannot provide,
        SM401 repeated keys.
    """
    cm = load_colmap(colmap) if colmap is not None else None
    text = set(cm.keys.values()) if cm else set()
    if cm:
        text |= {c.field for c in cm.columns if c.values is not None or c.transform == "year"
                 or (c.kind or (CANONICAL[c.name].kind if c.name in CANONICAL else None)) == "str"}
    raw = read_table(path, sheet=sheet, encoding=encoding, layout=layout, description=description,
                     text_columns=tuple(text))
    n0 = len(raw.data)
    report = {"rows_read": n0, "layout": raw.layout, "encoding": raw.encoding, "colmap": cm.name if cm else None,
              "notes": list(raw.notes)}
    roles = _roles(raw, cm)
    has_time = "period" in roles or "year" in roles
    if keys is None:
        keys = (["stkcd"] if "stkcd" in roles else []) + (["year"] if has_time else [])
    keys = list(keys)
    bad_keys = [k for k in keys if k not in ("stkcd", "year", "period")]
    if bad_keys:
        raise SMError("SM034", f"keys={keys}: only 'stkcd', 'year' and 'period' can be keys.", "use those names.")
    if "stkcd" in keys and "stkcd" not in roles:
        raise SMError("SM034", f"keys include 'stkcd' but the table has no stock-code column ({list(raw.data.columns)[:15]}).",
                      "map the code column under keys: stkcd in the column map, or pass keys=().")
    if ("year" in keys or "period" in keys) and not has_time:
        raise SMError("SM034", f"keys include the year but the table has no date or year column ({list(raw.data.columns)[:15]}).",
                      "map it under keys: period (a date) or year in the column map, or pass keys=('stkcd',).")
    if not annual and "year" in keys:
        keys = [("period" if k == "year" else k) for k in keys]
    keep = np.ones(n0, bool)
    out = {}
    if "stkcd" in roles:
        codes, counts = normalize_stkcd(raw.data[roles["stkcd"]])
        report.update(counts)
        bad = codes.isna().to_numpy()
        drop = "stkcd" in keys
        if bad.any():
            warn("SM020", f"{int(bad.sum()):,} of {n0:,} rows have a stock code that is not a 6-digit A-share code "
                          f"(e.g. {counts['invalid_code_examples'][:5]}); "
                          + ("they are dropped." if drop else "their stkcd is missing."),
                 "fix the codes in the file, or pass keys=() to keep rows without codes.", stacklevel=2)
            if drop:
                keep &= ~bad
        report["rows_dropped_invalid_code"] = int(bad.sum()) if drop else 0
        out["stkcd"] = codes
    time_col = roles.get("period") or roles.get("year")
    if time_col is not None and any(k in keys for k in ("year", "period")):
        per = parse_periods(raw.data[time_col])
        bad = per["year"].isna().to_numpy() & keep
        report["rows_dropped_invalid_period"] = int(bad.sum())
        if bad.any():
            ex = raw.data.loc[bad, time_col].astype(str).head(5).tolist()
            warn("SM021", f"{int(bad.sum()):,} rows have a {time_col!r} that is not a date or year (e.g. {ex}); they "
                          "are dropped.", "fix the dates in the file.", stacklevel=2)
        keep &= ~bad
        if annual:
            year_end = ((per["month"] == 12) & (per["day"] == 31)).fillna(False).to_numpy()
            drop = keep & ~year_end
            by_date = pd.Series(per.loc[drop, "period"]).value_counts().sort_index()
            report["rows_dropped_not_year_end"] = int(drop.sum())
            report["rows_dropped_by_period"] = {k: int(v) for k, v in list(by_date.items())[:60]}
            if drop.any():
                md = pd.Series(per.loc[drop, "period"]).str[5:].value_counts().to_dict()
                warn("SM022", f"{int(drop.sum()):,} of {n0:,} rows are not fiscal-year-end reports (by month-day: "
                              f"{md}); they are dropped from the annual panel.",
                     "pass annual=False to keep every report period.", stacklevel=2)
            keep &= year_end
        out["year"] = per["year"]
        if not annual:
            out["period"] = per["period"]
    else:
        time_col = None
    if "statement" in roles:
        sel, counts = select_statement(raw.data.loc[keep, roles["statement"]], statement)
        report.update(counts)
        idx = np.flatnonzero(keep)
        keep[idx[~sel]] = False
        dropped = counts["parent_rows_dropped"] + counts["consolidated_rows_dropped"] + sum(
            counts["other_statement_rows_dropped"].values())
        if dropped:
            warn("SM023", f"{dropped:,} rows of another statement type than {statement!r} dropped "
                          f"({counts['parent_rows_dropped']:,} parent-company rows).", stacklevel=2)
    rows = keep
    data = pd.DataFrame(index=pd.RangeIndex(int(rows.sum())))
    for k, v in out.items():
        data[k] = v[rows].reset_index(drop=True)
    consumed = {roles[r] for r in ("stkcd", "statement") if r in roles} | ({time_col} if time_col else set())
    report.update({"columns_scaled": {}, "values_not_read": {}, "values_not_recoded": {}, "not_integral": {},
                   "unit_conflicts": {}, "units_assumed": []})
    if cm is not None:
        missing, used = [], set(consumed)
        for entry in cm.columns:
            src = _find(raw, entry.field, entry.label)
            if src is None:
                missing.append(entry.name)
                continue
            used.add(src)
            data[entry.name] = _column(raw, src, entry, rows, report).reset_index(drop=True)
        required = [e.name for e in cm.columns if e.required and e.name in missing]
        if required:
            fields = {e.name: e.field for e in cm.columns}
            raise SMError("SM032", f"{Path(path).name} lacks the column(s) {[fields[r] for r in required]} that map "
                                   f"{cm.name!r} requires for {required}; it has {list(raw.data.columns)[:20]}.",
                          "download the table with those fields, or mark them required: false in the map.")
        if len(missing) == len(cm.columns) and cm.columns:
            raise SMError("SM033", f"none of the columns of map {cm.name!r} ({[e.field for e in cm.columns][:8]} ...) is in "
                                   f"{Path(path).name}, which has {list(raw.data.columns)[:15]}.",
                          "pass the map that belongs to this table (see smtext.io.bundled_maps()).")
        if missing:
            warn("SM032", f"{len(missing)} column(s) of map {cm.name!r} are not in {Path(path).name}: {missing}.",
                 "download them too if you need them; the others were read.", stacklevel=2)
        report["columns_missing"] = missing
        if cm.keep_unmapped:   # an inline rename map: the other columns pass under their own names
            for c in raw.data.columns:
                if c not in used and c not in data.columns:
                    data[c] = raw.data[c][rows].reset_index(drop=True)
                    used.add(c)
        report["columns_unmapped"] = [c for c in raw.data.columns if c not in used]
        report["unconfirmed_codes_used"] = [e.name for e in cm.columns if not e.confirmed and e.name not in missing]
    else:
        _hint(raw)
        for c in raw.data.columns:
            if c not in consumed and c not in data.columns:
                data[c] = raw.data[c][rows].reset_index(drop=True)
        report["columns_missing"], report["columns_unmapped"] = [], []
    if "stkcd" in data:
        data["stkcd"] = data["stkcd"].astype("str")
    if "year" in data:
        # a year column read as it is (keys=()) may hold anything: only whole years become int
        yr = pd.to_numeric(data["year"], errors="coerce")
        if "year" in out or (yr.notna().all() and (yr == np.floor(yr)).all()):
            data["year"] = yr.astype("int64")
    if duplicates not in ("error", "first"):
        raise SMError("SM034", f"duplicates={duplicates!r} is not allowed.", "use 'error' or 'first'.")
    n = len(data)
    data = check_unique(data, keys, f"{Path(path).name} after reading ({report['rows_read']:,} rows read)",
                        keep_first=duplicates == "first")
    report["duplicates_dropped"] = n - len(data)
    if keys:
        data = data.sort_values(keys, kind="stable").reset_index(drop=True)
    report["rows"] = len(data)
    report["keys"] = keys
    source = {"path": str(path), "sha256": file_sha256(path), "layout": raw.layout, "encoding": raw.encoding,
              "colmap": (cm.path or cm.name) if cm else None}
    return PanelRead(data, report, source)


def read_panels(sources: Sequence, *, how: str = "outer", layout: str = "auto",
                statement: str | None = "consolidated", annual: bool = True, sheet: str | int | None = None,
                encoding: str | None = None, keys: Sequence[str] | None = None,
                duplicates: str = "error") -> PanelRead:
    """Read several exports and merge them on their keys (FS_Combas + FS_Comins + FS_Comscfd + TRD_Co).

    Parameters
    ----------
    sources : sequence
        Each a path (read without a map) or a ``(path, colmap)`` pair.
    how : {"outer", "inner", "left"}
        How tables with the same keys are joined. A table keyed by fewer keys (a firm
        table keyed by ``stkcd``) is joined onto the others many-to-one.
    layout, statement, annual, sheet, encoding, keys, duplicates
        As in :func:`read_panel`, for every file.

    Returns
    -------
    PanelRead
        ``report`` has one report per file under ``files`` and the join counts under
        ``merge``; ``source`` lists every file under ``files``.

    Raises
    ------
    SMError
        SM036 when two files give different values for one column of one key, or their
        keys cannot be joined; and every error of :func:`read_panel`.
    """
    if how not in ("outer", "inner", "left"):
        raise SMError("SM036", f"how={how!r} is not allowed.", "use 'outer', 'inner' or 'left'.")
    if not sources:
        raise SMError("SM036", "read_panels got no files.", "pass a list of paths or (path, colmap) pairs.")
    reads = []
    for item in sources:
        p, m = (item if isinstance(item, (tuple, list)) else (item, None))
        reads.append((p, read_panel(p, m, layout=layout, statement=statement, annual=annual, sheet=sheet,
                                    encoding=encoding, keys=keys, duplicates=duplicates)))
    reads.sort(key=lambda r: -len(r[1].report["keys"]))   # firm-year tables first, firm tables joined onto them
    first = reads[0][1]
    data, keys = first.data, list(first.report["keys"])
    merge = []
    for p, r in reads[1:]:
        k = list(r.report["keys"])
        if not k or not set(k) <= set(keys):
            raise SMError("SM036", f"{Path(p).name} is keyed by {k}, which cannot be joined onto {keys}.",
                          "read it on its own, or give it a stock-code key.")
        mode = how if set(k) == set(keys) else "left"
        overlap = [c for c in r.data.columns if c in data.columns and c not in k]
        right = r.data.rename(columns={c: c + "__r" for c in overlap})
        joined = data.merge(right, on=k, how=mode, indicator=True,
                            validate="one_to_one" if mode != "left" or set(k) == set(keys) else "many_to_one")
        counts = joined["_merge"].value_counts()
        merge.append({"file": str(p), "keys": k, "how": mode, "matched": int(counts.get("both", 0)),
                      "only_before": int(counts.get("left_only", 0)), "only_in_file": int(counts.get("right_only", 0))})
        joined = joined.drop(columns="_merge")
        for c in overlap:
            a, b = joined[c], joined[c + "__r"]
            both = a.notna() & b.notna()
            if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
                differ = both & ~np.isclose(a.astype(float), b.astype(float), rtol=1e-9, atol=0, equal_nan=True)
            else:
                differ = both & (a.astype(str) != b.astype(str))
            if differ.any():
                ex = joined.loc[differ, k + [c, c + "__r"]].head(5).to_dict("records")
                raise SMError("SM036", f"{int(differ.sum())} rows get different {c!r} from two files (e.g. {ex}).",
                              f"map {c!r} from one file only.")
            joined[c] = a.where(a.notna(), b)
            joined = joined.drop(columns=c + "__r")
        data = joined
    if keys:
        data = data.sort_values(keys, kind="stable").reset_index(drop=True)
    report = {"files": [r.report for _, r in reads], "merge": merge, "rows": len(data), "keys": keys}
    return PanelRead(data, report, {"files": [r.source for _, r in reads]})
