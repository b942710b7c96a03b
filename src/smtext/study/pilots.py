"""A pilot list (the MIIT notices as a researcher types them) matched to listed firms, never silently.

:func:`match_pilots` maps every applicant of the list to a listed firm, one of its
subsidiaries, "pending review" or "not a listed firm" (:func:`smtext.patents.match_applicants`
with containment candidates on), and applies the review policy to the pending names:

``exclude`` (default)
    Pending names are not treated, and every listed firm that is the best candidate of a
    pending name (every firm of an ambiguous one) is left out of the sample: it may be an
    unrecognised pilot firm, and keeping it among the controls would bias the estimates
    toward zero. A candidate that is a matched pilot firm stays, unless the pending name was
    selected before the firm's first confirmed selection (its cohort is then uncertain).
``stop``
    Pending names are an error (SM709) naming the review file: confirm them first.
``keep``
    Pending names are not treated and their candidates stay in the control group
    (use only when the review file was checked).
``{accept_above: X}``
    A pending name whose best candidate scores X or more (and no other firm does) is
    accepted as that firm; the remaining pending names are handled as ``exclude``.

The result's :meth:`PilotMatch.write` writes ``pilot_matches.csv`` (every distinct name),
``pilots.csv`` (the list with ``stkcd`` and ``status``), ``pilot_review.csv`` (pending names with
up to three candidates and an empty ``confirmed_stkcd`` column: fill it and pass the file back
as ``overrides``) and ``pilot_match_summary.json``.

Error codes
-----------
SM709  ``review: stop`` and names are pending review
SM710  (warning) the pilot-match summary of a run (printed every run)
SM711  a pilot list without a configured column, or a review policy that is not one of the above
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import SMError, warn
from .common import ID, TIME

#: the pilot list's columns as the MIIT lists are typed: role -> default header
PILOT_COLUMNS = {"year": "年份", "name": "申报单位", "city": "所在城市"}
REVIEW_POLICIES = ("exclude", "stop", "keep")
STATUS_TEXT = {"matched": "matched to a listed firm", "via_subsidiary": "via a subsidiary",
               "pending": "pending review", "not_listed": "not a listed firm"}


def parse_review(value) -> tuple[str, float | None]:
    """A review policy as ``(policy, threshold)``: ``exclude`` / ``stop`` / ``keep`` or ``{accept_above: X}``.

    The command line's ``accept-above:0.95`` / ``accept_above=0.95`` forms are accepted too.
    """
    if value is None:
        return "exclude", None
    if isinstance(value, str) and value in REVIEW_POLICIES:
        return value, None
    x = None
    if isinstance(value, dict) and list(value) == ["accept_above"]:
        x = value["accept_above"]
    elif isinstance(value, str):
        key, _, num = value.replace("=", ":").partition(":")
        if key.strip().replace("-", "_") == "accept_above":
            try:
                x = float(num)
            except ValueError:
                x = None
    if isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 1:
        return "accept_above", float(x)
    raise SMError("SM711", f"review policy {value!r} is not one of exclude, stop, keep, {{accept_above: X}} "
                           "(0 < X <= 1).", "e.g. review: exclude, or review: {accept_above: 0.95}.")


@dataclass(frozen=True)
class PilotMatch:
    """What :func:`match_pilots` found.

    Attributes
    ----------
    pilots : DataFrame
        The list with ``year`` (the selection year), ``pilot_city``, ``stkcd`` (missing unless
        matched or accepted) and ``status``; the list's other columns as they were.
    report : MatchReport
        One row per distinct applicant name (:class:`smtext.patents.applicants.MatchReport`).
    excluded : list of str
        Listed firms to leave out of the sample (candidates of pending names; policy exclude).
    summary : dict
        Counts per status (projects and distinct names), firms treated and excluded, policy.
    """

    pilots: pd.DataFrame
    report: object
    excluded: list
    summary: dict

    def line(self, review_file: str = "pilot_review.csv") -> str:
        """The summary as one sentence (printed by every run)."""
        s = self.summary
        parts = ", ".join(f"{s['projects_by_status'].get(k, 0)} {v}" for k, v in STATUS_TEXT.items())
        text = (f"pilot list: {s['projects']} projects of {s['names']} distinct applicants; {parts}; "
                f"{s['listed_firms']} listed firms treated")
        if s["accepted_above"]:
            text += f" ({s['accepted_above']} names accepted above {s['threshold']})"
        if s["excluded_firms"]:
            text += (f"; {s['excluded_firms']} listed firms that are candidates of unconfirmed names left out "
                     f"of the sample (review: {s['review']})")
        elif s["pending_candidates"] and s["review"] == "keep":
            text += f"; {s['pending_candidates']} candidates of unconfirmed names kept as controls (review: keep)"
        return text + f". Review file: {review_file}."

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write the match table, the list with its matches, the review file and the summary into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"matches": folder / "pilot_matches.csv", "pilots": folder / "pilots.csv",
                 "review": folder / "pilot_review.csv", "summary": folder / "pilot_match_summary.json"}
        self.report.table.to_csv(paths["matches"], index=False, encoding="utf-8-sig")
        self.pilots.to_csv(paths["pilots"], index=False, encoding="utf-8-sig")
        review = self.report.review()
        review = review[review["status"].eq("pending")].reset_index(drop=True)
        review.assign(confirmed_stkcd="").to_csv(paths["review"], index=False, encoding="utf-8-sig")
        paths["summary"].write_text(json.dumps(self.summary, ensure_ascii=False, indent=2), encoding="utf-8")
        return paths

    def check(self, review_file: str | Path) -> None:
        """SM709 when the policy is ``stop`` and names are pending review."""
        n = self.summary["names_by_status"].get("pending", 0)
        if self.summary["review"] == "stop" and n:
            names = self.report.table.loc[self.report.table["status"].eq("pending"), "name"].tolist()
            raise SMError("SM709", f"{n} pilot applicants are pending review (e.g. {names[:3]}); they are listed "
                                   f"with their candidates in {review_file}.",
                          "fill its confirmed_stkcd column (a stock code, or none) and pass the file as "
                          "overrides, or choose review: exclude / {accept_above: X}.")


def pilot_columns(columns: dict | None) -> dict:
    """The pilot list's headers: the defaults of :data:`PILOT_COLUMNS` with ``columns`` over them."""
    return {**PILOT_COLUMNS, **{k: v for k, v in (columns or {}).items() if v}}


def tidy_list(pilots: pd.DataFrame, columns: dict | None = None, need_city: bool = False) -> pd.DataFrame:
    """The list with ``year`` (4-digit number from 年份, also ``2015年``), ``applicant`` and ``pilot_city``.

    SM711 naming the headers found when a configured column is missing.
    """
    cols = pilot_columns(columns)
    need = ["year", "name"] + (["city"] if need_city else [])
    lacking = [cols[k] for k in need if cols[k] not in pilots.columns]
    if lacking:
        raise SMError("SM711", f"the pilot list has no column {lacking} (its columns: {list(pilots.columns)}).",
                      "name its columns: treatment: {columns: {year: ..., name: ..., city: ...}} in a spec, or "
                      "--year-col / --name-col / --city-col for smtext treat.")
    out = pilots.copy()
    year = pd.to_numeric(out[cols["year"]].astype(str).str.extract(r"((?:19|20)\d\d)")[0], errors="coerce")
    if year.isna().any():
        bad = out.loc[year.isna(), cols["year"]].tolist()[:3]
        raise SMError("SM711", f"{int(year.isna().sum())} rows of the pilot list have no year in {cols['year']!r} "
                               f"(e.g. {bad}).", "give each project its selection year (2015, 2015年).")
    rename = {cols["name"]: "applicant", cols["year"]: TIME}
    if cols["city"] in out.columns:
        rename[cols["city"]] = "pilot_city"
    out = out.rename(columns=rename)
    out[TIME] = year.astype(int).to_numpy()
    out["applicant"] = out["applicant"].astype(object).where(out["applicant"].notna(), None)
    return out


def match_pilots(pilots: pd.DataFrame, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None, *,
                 columns: dict | None = None, overrides=None, review="exclude", fuzzy_review: float = 0.75,
                 need_city: bool = False) -> PilotMatch:
    """Match a pilot list to listed firms and apply the review policy (module docstring).

    Parameters
    ----------
    pilots : DataFrame
        The list as typed: a year, an applicant name and (for the city design) a city column.
    firms : DataFrame
        ``stkcd, name``; optional ``former_names``, ``province``, ``city``.
    subsidiaries : DataFrame, optional
        ``stkcd, subsidiary_name`` (e.g. the CSMAR subsidiary table through its column map).
    columns : dict, optional
        Headers of the list: ``{year: 年份, name: 申报单位, city: 所在城市}`` (the defaults).
    overrides : dict, DataFrame or path, optional
        Confirmed matches (the edited ``pilot_review.csv``: ``name, confirmed_stkcd``).
    review : str or dict
        ``exclude`` / ``stop`` / ``keep`` / ``{accept_above: X}``.
    fuzzy_review : float
        Cosine from which a similar listed name makes an applicant pending review.
    need_city : bool
        The list must have the city column (city-spillover design).

    Returns
    -------
    PilotMatch
    """
    from ..patents.applicants import match_applicants

    policy, threshold = parse_review(review)
    tidy = tidy_list(pilots, columns, need_city)
    report = match_applicants(tidy["applicant"].dropna(), firms, subsidiaries, overrides=overrides,
                              fuzzy_review=fuzzy_review, contains=True)
    n_accepted = 0
    if policy == "accept_above":
        before = report.table["method"].eq("accepted_above").sum()
        report = report.accept_above(threshold)
        n_accepted = int(report.table["method"].eq("accepted_above").sum() - before)
    t = report.table
    out = tidy.merge(t[["name", ID, "status", "method"]].rename(columns={"name": "applicant"}), on="applicant",
                     how="left")
    out["status"] = out["status"].fillna("not_listed")
    # a candidate may be an unrecognised pilot firm: out of the controls; a matched firm whose pending
    # name is older than its first confirmed selection has an uncertain cohort: out as well
    first = out.dropna(subset=[ID]).groupby(ID)[TIME].min()
    maybe = report.pending_candidates()
    pend = out[out["status"].eq("pending")]
    candidates = sorted({c for name, year in zip(pend["applicant"], pend[TIME]) for c in maybe.get(name, ())
                         if c not in first.index or first[c] > year})
    excluded = candidates if policy in ("exclude", "accept_above") else []
    summary = {
        "projects": int(len(out)), "names": int(len(t)),
        "projects_by_status": {k: int((out["status"] == k).sum()) for k in STATUS_TEXT},
        "names_by_status": {k: int((t["status"] == k).sum()) for k in STATUS_TEXT},
        "names_by_method": {str(k): int(v) for k, v in t["method"].value_counts().items()},
        "listed_firms": int(out[ID].nunique()),
        "pending_names": t.loc[t["status"].eq("pending"), "name"].tolist(),
        "pending_candidates": len(candidates), "excluded_firms": len(excluded), "excluded_stkcd": excluded,
        "review": policy, "threshold": threshold, "accepted_above": n_accepted, "fuzzy_review": fuzzy_review,
        "subsidiaries": subsidiaries is not None, "overrides": int(t["method"].eq("override").sum()),
        "review_file": "pilot_review.csv",
    }
    return PilotMatch(out, report, excluded, summary)


def announce(match: PilotMatch, review_file: str = "pilot_review.csv") -> None:
    """The summary as the coded line SM710 (a run prints it once, also when the stage is cached)."""
    pending = match.summary["names_by_status"].get("pending", 0)
    warn("SM710", match.line(review_file),
         f"check the {pending} pending names in {review_file} (fill confirmed_stkcd, pass it as overrides)."
         if pending else None)


__all__ = ["PILOT_COLUMNS", "REVIEW_POLICIES", "PilotMatch", "match_pilots", "parse_review", "pilot_columns",
           "tidy_list", "announce"]
