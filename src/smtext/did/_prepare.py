"""Input preparation shared by the DID estimators: checks, complete cases, safe column names.

Two ways in, both reporting every dropped row (never silently):

* :class:`Prepared` (regression estimators on pyfixest/statsmodels) copies the
  used columns under safe aliases (``v0, v1, ...``) -- users' columns may be
  Chinese, contain spaces or clash with formula syntax -- drops rows with
  missing or infinite values (warning SM503) and maps results back.
* :func:`prepare` (the staggered and selection estimators, codes SM550-SM569)
  checks columns, drops rows with missing values (warning SM550) and returns a
  clean copy; :func:`check_unique`, :func:`check_balanced`,
  :func:`check_cohort` and :func:`cohort_from_dummy` check the panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from smtext.errors import SMError, require_columns, warn


def as_tuple(x) -> tuple:
    """``None`` -> (), a string -> (string,), any iterable -> tuple."""
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    return tuple(x)


def fe_columns(fe: Iterable[str]) -> list[str]:
    """Column names used by FE specs such as ``"industry^year"``."""
    cols: list[str] = []
    for f in fe:
        for part in f.split("^"):
            if part not in cols:
                cols.append(part)
    return cols


class Prepared:
    """Complete-case copy of the data under safe aliases.

    Attributes
    ----------
    data : pandas.DataFrame
        Only the used columns, renamed to aliases, complete cases only.
    alias : dict
        Original name -> alias.
    n_dropped : int
        Rows dropped for missing values.
    kept_index : pandas.Index
        Index labels (of the user's frame) of the rows kept.
    """

    def __init__(self, data: pd.DataFrame, columns: Sequence[str], what: str = "panel",
                 code: str = "SM503"):
        cols = [c for c in dict.fromkeys(columns) if c is not None]
        require_columns(data, cols, what)
        self.alias = {c: f"v{i}" for i, c in enumerate(cols)}
        sub = data.loc[:, cols]
        keep = sub.notna().all(axis=1)
        # infinite values are as unusable as missing ones (log of zero ...)
        num = sub.select_dtypes(include=[np.number])
        if num.shape[1]:
            keep &= np.isfinite(num.to_numpy(dtype=float)).all(axis=1)
        self.n_dropped = int((~keep).sum())
        if self.n_dropped:
            bad = [c for c in cols if sub[c].isna().any()]
            warn(code, f"dropped {self.n_dropped} of {len(sub)} rows with missing or infinite values "
                       f"in {bad or cols}.", "fill or filter these rows first if that is not intended.",
                 stacklevel=3)
        sub = sub.loc[keep]
        if sub.empty:
            raise SMError("SM501", f"no complete rows left in the {what} for columns {cols}.",
                          "check the column names and missing values.")
        self.kept_index = sub.index
        self.data = sub.rename(columns=self.alias).reset_index(drop=True)

    def a(self, name: str) -> str:
        """Alias of one column."""
        return self.alias[name]

    def fe(self, spec: str) -> str:
        """Alias form of an FE spec such as ``"industry^year"``."""
        return "^".join(self.alias[p] for p in spec.split("^"))

    def back(self, names: Iterable[str]) -> list[str]:
        """Original names from aliases (terms that are not aliases pass through)."""
        inv = {v: k for k, v in self.alias.items()}
        return [inv.get(n, n) for n in names]


def check_firm_years(data: pd.DataFrame, idname: str, tname: str, who: str = "the regression") -> None:
    """Raise SM401 when a unit appears twice in one period (exact copies or conflicting rows).

    Firm and year fixed effects, clustering and the event-time dummies all assume one row per
    firm-year: a repeated row silently reweights the fit and changes the estimate.
    """
    cols = [c for c in (idname, tname) if c in data.columns]
    if len(cols) < 2:
        return
    dup = data.duplicated(cols, keep=False)
    if dup.any():
        ex = data.loc[dup, cols].drop_duplicates().head(3).to_dict("records")
        same = int(data.loc[dup].duplicated(keep=False).sum())
        kind = ("exact copies" if same == int(dup.sum()) else
                "conflicting rows" if not same else "exact copies and conflicting rows")
        raise SMError("SM401", f"{who}: {int(dup.sum())} rows share a ({idname}, {tname}) key ({kind}), e.g. {ex}; "
                      "a repeated firm-year changes the estimate.",
                      "keep one row per firm and year (drop_duplicates, or aggregate conflicting rows) first.")


def check_numeric(data: pd.DataFrame, columns, role: str = "outcome or control") -> None:
    """Raise SM573 when a column a regression reads as a number holds text."""
    for c in dict.fromkeys(c for c in columns if c is not None and c in data.columns):
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            ex = data[c].dropna().head(3).tolist()
            raise SMError("SM573", f"{role} {c!r} is not numeric (values such as {ex}).",
                          f"convert {c!r} to numbers first (pd.to_numeric), stripping units and thousands "
                          "separators.")


def check_binary(values: pd.Series, name: str) -> None:
    """Raise SM500 unless ``values`` only holds 0 and 1 (missing allowed); text "0"/"1" is refused too."""
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise SMError("SM500", f"treatment column {name!r} holds text (values such as "
                      f"{values.dropna().unique()[:4].tolist()}), not the numbers 0/1.",
                      f"convert it: data[{name!r}] = pd.to_numeric(data[{name!r}]).")
    u = pd.unique(values.dropna())
    if not set(np.asarray(u, dtype=float).tolist()) <= {0.0, 1.0}:
        raise SMError("SM500", f"treatment column {name!r} must be 0/1; found values {sorted(u)[:10]}.",
                      "build it with smtext.did.firm_treatment or (x > 0).astype(int).")

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


def check_dummy(df: pd.DataFrame, dname: str) -> None:
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
    check_dummy(df, dname)
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
