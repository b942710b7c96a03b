"""Panel checks shared by the robust DID estimators (codes SM550-SM569).

Each estimator calls :func:`prepare` first: it checks columns, drops rows with
missing values in the columns it uses (reporting how many, never silently),
rejects duplicate unit-periods and returns a clean copy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn


def prepare(data: pd.DataFrame, columns, what: str = "panel") -> pd.DataFrame:
    """Return a copy of ``data[columns]`` without missing values or duplicates.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    columns : sequence of str
        Columns the estimator needs; the first two after filtering ``None`` must
        include the unit and time identifiers (checked by the caller).
    what : str
        Name used in messages.

    Returns
    -------
    pandas.DataFrame
        Clean copy with a fresh RangeIndex. Rows dropped for missing values
        are reported with warning SM550.
    """
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    require_columns(data, cols, what)
    df = data[cols].copy()
    bad = df.isna().any(axis=1)
    if bad.any():
        counts = df.isna().sum()
        detail = ", ".join(f"{c}: {int(n)}" for c, n in counts.items() if n)
        warn(
            "SM550",
            f"dropped {int(bad.sum())} of {len(df)} rows of the {what} with missing values ({detail}).",
            "fill or drop them yourself to silence this warning.",
            stacklevel=3,
        )
        df = df.loc[~bad]
    return df.reset_index(drop=True)


def check_unique(df: pd.DataFrame, idname: str, tname: str) -> None:
    """Raise SM551 when a unit appears twice in the same period."""
    dup = df.duplicated([idname, tname])
    if dup.any():
        ex = df.loc[dup, [idname, tname]].head(3).to_dict("records")
        raise SMError(
            "SM551",
            f"{int(dup.sum())} duplicate ({idname}, {tname}) rows, e.g. {ex}.",
            "keep one row per unit and period.",
        )


def check_balanced(df: pd.DataFrame, idname: str, tname: str, who: str) -> None:
    """Raise SM553 unless every unit is observed in every period."""
    n_t = df[tname].nunique()
    per_unit = df.groupby(idname)[tname].nunique()
    short = per_unit[per_unit < n_t]
    if len(short):
        raise SMError(
            "SM553",
            f"{who} needs a balanced panel; {len(short)} of {len(per_unit)} units miss some of "
            f"the {n_t} periods (e.g. {list(short.index[:3])}).",
            "balance the panel first (keep units observed in every period).",
        )


def check_binary(df: pd.DataFrame, dname: str) -> None:
    """Raise SM557 unless the treatment column holds only 0/1 (or bools)."""
    vals = pd.unique(df[dname].astype(float))
    if not set(vals) <= {0.0, 1.0}:
        raise SMError(
            "SM557",
            f"treatment {dname!r} must be 0/1; found values {sorted(vals)[:6]}.",
            "code the treatment as a 0/1 indicator.",
        )


def cohort_from_dummy(df: pd.DataFrame, idname: str, tname: str, dname: str) -> pd.Series:
    """First treated period per row's unit (0 = never treated), from a 0/1 dummy.

    Raises SM552 when a unit's treatment switches off again (not absorbing).
    """
    check_binary(df, dname)
    d = df[dname].astype(float)
    srt = df.assign(_d=d).sort_values([idname, tname])
    # absorbing: within a unit, d never falls from 1 to 0
    falls = srt.groupby(idname)["_d"].diff() < 0
    if falls.any():
        units = srt.loc[falls, idname].unique()[:3]
        raise SMError(
            "SM552",
            f"treatment {dname!r} switches off for {int(srt.loc[falls, idname].nunique())} units "
            f"(e.g. {list(units)}); staggered estimators need absorbing treatment.",
            "use the first treatment year as the cohort (treatment stays on).",
        )
    first = srt.loc[srt["_d"] == 1].groupby(idname)[tname].min()
    return df[idname].map(first).fillna(0).astype(int)


def check_cohort(df: pd.DataFrame, idname: str, gname: str) -> None:
    """Raise SM554 when the cohort column varies within a unit."""
    nun = df.groupby(idname)[gname].nunique()
    bad = nun[nun > 1]
    if len(bad):
        raise SMError(
            "SM554",
            f"cohort {gname!r} varies within {len(bad)} units (e.g. {list(bad.index[:3])}).",
            "give every row of a unit the same first-treatment period (0 = never treated).",
        )


def drop_always_treated(df: pd.DataFrame, tname: str, gname: str, idname: str, who: str) -> pd.DataFrame:
    """Drop units treated from the first period on (no untreated period); warn SM556."""
    first = df[tname].min()
    always = (df[gname] > 0) & (df[gname] <= first)
    if always.any():
        warn(
            "SM556",
            f"{who}: dropped {int(df.loc[always, idname].nunique())} units treated in or before "
            f"the first period {first} (no untreated period to compare).",
            stacklevel=3,
        )
        df = df.loc[~always].reset_index(drop=True)
    return df


def cluster_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of ``values`` (n x k) within groups given by integer ``codes``."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    out = np.zeros((n_groups, values.shape[1]))
    np.add.at(out, codes, values)
    return out
