"""Read a table as the user has it: Parquet, CSV (UTF-8, UTF-8-SIG, GBK/GB18030), tab-separated
``.txt``, XLSX or Stata ``.dta``, laid out as CSMAR, CNRDS, Wind or plainly.

:func:`read_table` returns the source's own column names, with the Chinese names and units
the export carries beside them (:class:`RawTable`); :func:`smtext.io.read_panel` maps those
onto smtext's canonical columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SMError
from .encoding import detect_encoding
from .layouts import (
    KEY_ALIASES,
    LAYOUTS,
    _period_header,
    detect_layout,
    header_rows,
    read_description,
    wind_long,
)

__all__ = ["RawTable", "read_table", "FORMATS"]

#: file suffix -> reader
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "text", ".txt": "text", ".tsv": "text",
           ".xlsx": "xlsx", ".xlsm": "xlsx", ".dta": "dta"}
_PEEK = 8  # rows read to recognise the layout


@dataclass(frozen=True)
class RawTable:
    """A table as read, before any mapping.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per record, with the source's column names (a wide Wind export is already
        long: one row per code and period).
    labels : dict
        column -> Chinese name (CSMAR/CNRDS names row, a description file, Stata variable labels).
    units : dict
        column -> unit as written (CSMAR units row, Wind ``[单位]``, a description file).
    layout : str
        ``plain``, ``csmar``, ``cnrds`` or ``wind``.
    encoding : str or None
        Text encoding used (None for Parquet, XLSX, Stata).
    notes : tuple of str
        What the reader noticed or did (sheet chosen, footer rows dropped, reshaping).
    """

    data: pd.DataFrame
    labels: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    layout: str = "plain"
    encoding: str | None = None
    notes: tuple = ()


def _text_columns(header, extra) -> dict:
    """dtype hints: key-like columns (codes, dates, statement types) and ``extra`` stay text."""
    aliases = {a.lower() for names in KEY_ALIASES.values() for a in names}
    return {h: "str" for h in header if h is not None and (str(h).lower() in aliases or h in extra)}


def _peek_text(path: Path, encoding: str) -> tuple[str, list[list[str]]]:
    with open(path, encoding=encoding, newline="") as fh:
        lines = [line for _, line in zip(range(_PEEK + 1), fh)]
    sample = "".join(lines)
    if not sample.strip():
        raise SMError("SM011", f"{path.name} is empty.", "export the table again; the file has no rows.")
    first = lines[0]
    sep = max(("\t", ",", ";", "|"), key=first.count)
    if first.count(sep) == 0:
        sep = "\t" if path.suffix.lower() in (".txt", ".tsv") else ","
    rows = list(csv.reader(io.StringIO(sample), delimiter=sep))
    return sep, rows


def _read_text(path: Path, encoding: str | None, layout: str, text_columns) -> tuple[pd.DataFrame, dict, dict, str, str, list]:
    enc = detect_encoding(path, encoding)
    sep, rows = _peek_text(path, enc)
    header, below = rows[0], rows[1:]
    found = _resolve_layout(path, layout, header, below)
    skip = {"csmar": 2, "cnrds": 1}.get(found, 0)
    labels, units = _header_labels(header, below, skip)
    try:
        data = pd.read_csv(path, sep=sep, encoding=enc, header=0, skiprows=range(1, 1 + skip),
                           dtype=_text_columns(header, text_columns), low_memory=False, skipinitialspace=False)
    except (pd.errors.ParserError, ValueError) as e:
        raise SMError("SM014", f"cannot parse {path.name} as a {'tab' if sep == chr(9) else repr(sep)}-separated "
                               f"table: {e}.", "check the file is one table with one header row.") from e
    return data, labels, units, found, enc, []


def _header_labels(header, below, skip) -> tuple[dict, dict]:
    labels, units = {}, {}
    if skip >= 1 and below:
        labels = {h: str(v).strip() for h, v in zip(header, below[0]) if h is not None and v not in (None, "")}
    if skip >= 2 and len(below) >= 2:
        units = {h: str(v).strip() for h, v in zip(header, below[1]) if h is not None and v not in (None, "")}
    return labels, units


def _read_xlsx(path: Path, sheet, layout: str, text_columns) -> tuple[pd.DataFrame, dict, dict, str, list]:
    try:
        from openpyxl import load_workbook
    except ImportError as e:  # pragma: no cover - openpyxl is a dependency
        raise SMError("SM003", "reading .xlsx needs openpyxl.", "pip install openpyxl") from e
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile / openpyxl raise several types for a broken workbook
        raise SMError("SM014", f"cannot open {path.name} as an Excel workbook: {e}.",
                      "open it in Excel and save it again as .xlsx.") from e
    notes = []
    try:
        names = wb.sheetnames
        if sheet is None:
            filled = [n for n in names if any(any(v not in (None, "") for v in row)
                                              for row in wb[n].iter_rows(max_row=3, values_only=True))]
            if not filled:
                raise SMError("SM011", f"every sheet of {path.name} is empty ({names}).", "export the table again.")
            if len(filled) > 1:
                raise SMError("SM015", f"{path.name} has data on {len(filled)} sheets: {filled}; smtext does not guess "
                                       "which one is the table.", f"pass sheet= one of {filled}.")
            chosen = filled[0]
            if chosen != names[0]:
                notes.append(f"sheet {chosen!r} read (the others are empty)")
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise SMError("SM015", f"{path.name} has no sheet number {sheet}; it has {names}.", "pass a sheet name.")
            chosen = names[sheet]
        else:
            if sheet not in names:
                raise SMError("SM015", f"{path.name} has no sheet {sheet!r}; it has {names}.", "pass one of these names.")
            chosen = sheet
        rows = [r for r in wb[chosen].iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    if not rows:
        raise SMError("SM011", f"sheet {chosen!r} of {path.name} is empty.", "pass the sheet that holds the table.")
    width = max((i + 1 for r in rows for i, v in enumerate(r) if v not in (None, "")), default=0)
    header = [None if v is None else str(v).strip() for v in rows[0][:width]]
    below = [list(r[:width]) for r in rows[1:_PEEK + 1]]
    found = _resolve_layout(path, layout, header, below)
    skip = {"csmar": 2, "cnrds": 1}.get(found, 0)
    labels, units = _header_labels(header, below, skip)
    body = [r[:width] for r in rows[1 + skip:]]
    cols = [h if h is not None else f"column{j + 1}" for j, h in enumerate(header)]
    data = pd.DataFrame.from_records(body, columns=cols) if body else pd.DataFrame(columns=cols)
    keep_text = _text_columns(cols, text_columns)
    for c in data.columns:
        if c not in keep_text:
            data[c] = data[c].infer_objects()
    for c in keep_text:
        data[c] = data[c].map(lambda v: v if v is None or isinstance(v, str) else
                              (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
    return data, labels, units, found, notes + [f"sheet {chosen!r}"]


def _read_dta(path: Path) -> tuple[pd.DataFrame, dict, list]:
    notes = []
    try:
        with pd.io.stata.StataReader(path) as r:
            labels = {k: v for k, v in r.variable_labels().items() if v}
        try:
            data = pd.read_stata(path, convert_categoricals=True)
        except ValueError as e:  # value labels that are not unique cannot become categories
            data = pd.read_stata(path, convert_categoricals=False)
            notes.append(f"value labels not applied ({e}); the numeric codes are kept")
    except SMError:
        raise
    except Exception as e:
        raise SMError("SM014", f"cannot read {path.name} as a Stata .dta file: {e}.",
                      "save it again from Stata (version 13 or later) or export it as CSV.") from e
    return data, labels, notes


def read_table(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None,
               layout: str = "auto", description: str | Path | None = None,
               text_columns: tuple = ()) -> RawTable:
    """Read a data file as it is, whatever the database and format.

    Parameters
    ----------
    path : str or Path
        ``.parquet``, ``.csv``, ``.txt``/``.tsv`` (tab-separated, as CSMAR ships them),
        ``.xlsx`` or ``.dta``.
    sheet : str or int, optional
        XLSX sheet (name or 0-based number). Without it, the only sheet that holds data is
        read; several such sheets raise SM015 rather than a guess.
    encoding : str, optional
        Text encoding of a CSV/TXT. Without it: a BOM, else UTF-8, else GBK, else GB18030.
    layout : {"auto", "plain", "csmar", "cnrds", "wind"}
        ``auto`` recognises CSMAR's three header rows, CNRDS's two, and Wind's wide
        period columns with ``000001.SZ`` codes.
    description : str or Path, optional
        A CSMAR field-description file (``*[DES][csv].txt``): Chinese names and units of
        the fields, for exports that carry only the codes row.
    text_columns : tuple of str
        Columns to keep as text (identifiers with leading zeros, application numbers);
        stock-code, date and statement-type columns are kept as text anyway.

    Returns
    -------
    RawTable

    Raises
    ------
    SMError
        SM010 missing file, SM011 empty file, SM012 unknown format, SM013 undecodable text,
        SM014 unreadable file, SM015 ambiguous or missing sheet, SM016 layout not found,
        SM017 unreadable description, SM018 inconsistent Wind headers.
    """
    path = Path(path)
    if layout not in ("auto", *LAYOUTS):
        raise SMError("SM016", f"layout={layout!r} is not known.", f"use one of {['auto', *LAYOUTS]}.")
    if not path.exists():
        raise SMError("SM010", f"{path} does not exist.", "check the path (and the working directory).")
    if not path.is_file():
        raise SMError("SM010", f"{path} is a folder, not a data file.", "pass the file inside it.")
    if path.stat().st_size == 0:
        raise SMError("SM011", f"{path.name} is empty (0 bytes).", "export the table again.")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        hint = " Save it as .xlsx (Excel 'Save as')." if path.suffix.lower() == ".xls" else ""
        raise SMError("SM012", f"{path.name}: smtext reads {sorted(FORMATS)}, not {path.suffix or 'files without a suffix'}.",
                      "export the table as CSV, XLSX, Stata .dta or Parquet." + hint)
    labels, units, notes, enc = {}, {}, [], None
    found = "plain" if layout == "auto" else layout
    if kind == "text":
        data, labels, units, found, enc, notes = _read_text(path, encoding, layout, set(text_columns))
    elif kind == "xlsx":
        data, labels, units, found, notes = _read_xlsx(path, sheet, layout, set(text_columns))
    elif kind == "dta":
        data, labels, notes = _read_dta(path)
    else:
        try:
            data = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types for a non-Parquet file
            raise SMError("SM014", f"cannot read {path.name} as Parquet: {e}.", "pass a Parquet file or a CSV/XLSX.") from e
    if found == "wind":
        data, data_notes = _drop_footer(data)
        notes += data_notes
        if any(_is_period_col(c) for c in data.columns):
            data, wunits, wlabels, wnotes = wind_long(data)
            units.update(wunits)
            labels.update(wlabels)
            notes += wnotes
    if description is not None:
        desc = read_description(description, encoding)
        found = "csmar" if found == "plain" else found
        for c in data.columns:
            if c in desc:
                labels.setdefault(c, desc[c]["label"])
                if desc[c]["unit"]:
                    units.setdefault(c, desc[c]["unit"])
        notes.append(f"description file {Path(description).name}: {sum(c in desc for c in data.columns)} of "
                     f"{data.shape[1]} columns described")
    if data.shape[0] == 0:
        raise SMError("SM011", f"{path.name} has a header but no data rows.", "export the table again with its rows.")
    data.columns = [str(c).strip() for c in data.columns]
    return RawTable(data, labels, units, found, enc, tuple(notes))


def _is_period_col(c) -> bool:
    return _period_header(c) is not None


def _resolve_layout(path, layout, header, below) -> str:
    """The layout to read with: detected for ``auto``; a declared CSMAR/CNRDS layout must match the header rows."""
    if layout == "auto":
        return detect_layout(header, below)
    need = {"csmar": 2, "cnrds": 1}.get(layout, 0)
    if need and header_rows(header, below) < need:
        raise SMError("SM016", f"{path.name} does not have the {layout.upper()} header rows (field codes, Chinese "
                               f"names{', units' if layout == 'csmar' else ''}).",
                      "pass layout='auto' to recognise the layout, or layout='plain' for one header row.")
    return layout


def _drop_footer(data: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    first = data.iloc[:, 0].astype("string").str.strip()
    foot = first.str.startswith("数据来源").fillna(False).to_numpy()
    if foot.any():
        return data[~foot].reset_index(drop=True), [f"{int(foot.sum())} footer line(s) '数据来源：Wind' dropped"]
    return data, []
