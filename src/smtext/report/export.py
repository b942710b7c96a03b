"""Hand panels to co-authors: Stata .dta with variable labels, Excel-friendly CSV, Parquet.

* ``.dta`` is written as Stata 118 (Stata 14+), the first format that stores
  UTF-8, so Chinese variable labels and string values survive.
* ``.csv`` gets a UTF-8 byte-order mark: without it Excel on Chinese Windows
  opens the file as GBK and shows mojibake.
* ``.parquet`` keeps dtypes exactly (the project's own intermediate format).

Stata names hold at most 32 characters; smtext's own columns can be longer
(``digital__artificial_intelligence_per10k``). :func:`stata_names` shortens such
a name deterministically (its first 23 characters, ``_`` and 8 hex digits of the
name's sha1, so two long names sharing a prefix never collide and a rerun gives
the same name) and the full name becomes the variable label.

Codes: SM609 (names Stata cannot hold, label problems), SM610 (shortened names collide),
SM611 (warning: names shortened), SM612 (``smtext export`` input or output not understood).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from smtext.errors import SMError, check_option, warn

EXPORT_FORMATS = ("dta", "csv", "parquet")
_STATA_CHARS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STATA_NAME_MAX = 32
STATA_LABEL_MAX = 80  # Stata's limit on variable labels (in bytes for format 118)
STATA_TIME_STAMP = datetime(2000, 1, 1)
# labels of the panel keys when the caller gives none
KEY_LABELS = {"stkcd": "Stock code (6 digits, CSMAR/Wind)", "year": "Fiscal year"}


def stata_names(columns) -> dict[str, str]:
    """Stata variable names for ``columns``: unchanged when valid, else shortened deterministically.

    A name of ASCII letters, digits and ``_`` longer than 32 characters becomes its first
    23 characters, ``_`` and the first 8 hex digits of its sha1 (32 characters in all).

    Parameters
    ----------
    columns : iterable of str

    Returns
    -------
    dict
        Column -> Stata name, only for the columns that were renamed.

    Raises
    ------
    SMError
        SM609 when a name has characters Stata cannot hold (CJK, spaces, '-') or starts with a digit;
        SM610 when a shortened name equals another column.
    """
    columns = [str(c) for c in columns]
    bad = [c for c in columns if not _STATA_CHARS.match(c)]
    if bad:
        raise SMError("SM609", f"column names {bad} are not valid Stata variable names.",
                      "rename them to ASCII letters, digits and _ (not starting with a digit) and put "
                      "the readable name in labels=.")
    renamed = {}
    for c in columns:
        if len(c) > STATA_NAME_MAX:
            renamed[c] = f"{c[:23]}_{hashlib.sha1(c.encode('utf-8')).hexdigest()[:8]}"
    clash = sorted(set(renamed.values()) & (set(columns) - set(renamed)))
    if clash or len(set(renamed.values())) < len(renamed):
        raise SMError("SM610", f"shortened Stata names {clash or sorted(renamed.values())} collide with other columns.",
                      "rename the long columns yourself before exporting.")
    return renamed


def _stata_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Convert dtypes Stata cannot hold: bool -> int8, nullable ints -> float, categories -> str."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("int8")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(str)
        elif pd.api.types.is_extension_array_dtype(s) and pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype("float64")
        elif pd.api.types.is_string_dtype(s) or s.dtype == object:
            out[c] = s.astype(object).where(s.notna(), "")
            out[c] = out[c].astype(str)
    return out


def to_stata(df: pd.DataFrame, path, labels: Mapping[str, str] | None = None,
             data_label: str | None = None) -> Path:
    """Write ``df`` as a Stata 118 ``.dta`` file with variable labels.

    Columns longer than 32 characters are renamed with :func:`stata_names` (printed with
    warning SM611) and their full name becomes their label unless ``labels`` gives one;
    ``stkcd`` and ``year`` get :data:`KEY_LABELS` unless labelled.

    Parameters
    ----------
    df : pandas.DataFrame
        The panel; the index is not written (reset it first if it holds keys).
    path : str or Path
    labels : mapping, optional
        Column (its name in ``df``) -> variable label (Chinese allowed). Labels longer than
        80 bytes are cut at a character boundary with warning SM609.
    data_label : str, optional
        Dataset label.

    Returns
    -------
    Path

    Raises
    ------
    SMError
        SM609 when a column name has characters Stata cannot hold or a label names an
        unknown column; SM610 when shortened names collide.
    """
    path = Path(path)
    renamed = stata_names(df.columns)
    labels = dict(labels or {})
    unknown = [k for k in labels if k not in df.columns]
    if unknown:
        raise SMError("SM609", f"labels given for columns not in the data: {unknown}.")
    for k, v in KEY_LABELS.items():
        if k in df.columns:
            labels.setdefault(k, v)
    for long in renamed:
        labels.setdefault(long, long)
    if renamed:
        shown = dict(list(renamed.items())[:3])
        more = f" and {len(renamed) - 3} more" if len(renamed) > 3 else ""
        warn("SM611", f"{len(renamed)} column name(s) longer than 32 characters were shortened for Stata "
                      f"(the full name is each one's variable label): {shown}{more}.",
             "rename them yourself before exporting to choose the names.")
    cut = {}
    for k, v in labels.items():
        raw = str(v).encode("utf-8")
        if len(raw) > STATA_LABEL_MAX:
            cut[k] = raw[:STATA_LABEL_MAX].decode("utf-8", errors="ignore")
    if cut:
        warn("SM609", f"variable labels of {sorted(cut)} exceed Stata's 80 bytes and were shortened.",
             "use shorter labels to keep them whole.")
        labels.update(cut)
    labels = {renamed.get(k, k): v for k, v in labels.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fixed time stamp: the same data give the same bytes (Stata shows it only in `describe`)
    _stata_ready(df).rename(columns=renamed).to_stata(path, write_index=False, version=118,
                                                      variable_labels=labels or None, data_label=data_label,
                                                      time_stamp=STATA_TIME_STAMP)
    return path


def to_csv_excel(df: pd.DataFrame, path, index: bool = False) -> Path:
    """Write CSV as UTF-8 with a byte-order mark, which Excel opens correctly.

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or Path
    index : bool
        Write the index as a column.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def to_parquet(df: pd.DataFrame, path, index: bool = False) -> Path:
    """Write Parquet (pyarrow), keeping dtypes; ``stkcd`` stays a 6-digit string."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=index, engine="pyarrow")
    return path


def export_panel(df: pd.DataFrame, path, labels: Mapping[str, str] | None = None,
                 fmt: str | None = None) -> Path:
    """Export a panel in the format given by ``fmt`` or the extension (.dta, .csv, .parquet).

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or Path
    labels : mapping, optional
        Variable labels (used by .dta only).
    fmt : {"dta", "csv", "parquet"}, optional
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    check_option("fmt", fmt, EXPORT_FORMATS)
    if fmt == "dta":
        return to_stata(df, path, labels=labels)
    if fmt == "csv":
        return to_csv_excel(df, path)
    return to_parquet(df, path)
