"""Firm-year patent measures: key-technology counts, grants, citations, widths, Inn.

Definitions (paper 004, 皮建才等; paper 002 for Inn). Only applications of the
types in ``patent_types`` (default 发明, invention) count; a patent is dated by
its application year and counts once for every listed firm among its applicants
(a parent and its subsidiary on one patent count once). Rows that repeat an
application number are merged into one patent with the applicants of all the rows
(warning SM309), as per-firm exports list a joint application once per firm. A table
in which no application date can be read is refused (SM310).

* ``n_invention``, ``n_keytech``, ``n_nonkey`` - applications, key-technology
  (any code, or by option only the main code, in the concordance), the rest.
* ``n_joint``, ``n_keytech_joint`` - applications with two or more distinct
  applicants (``joint="external"``: at least one applicant that is not the firm).
* ``n_granted``, ``n_keytech_granted`` - applications filed in the year and
  granted by the end of the data (grants lag applications by 1-6 years, so the
  last years are truncated: warning SM306).
* ``citations``, ``keytech_citations`` - forward citations of those applications.
* ``kt_ind_<k>``, ``kt_br_<b>`` - key-technology applications per SEI industry /
  branch (a patent in two branches counts in both).
* ``width1`` - number of key-technology sub-fields (``level``: SEI industry, the
  default, or branch) of the year's key-technology applications.
* ``width2`` - number of IPC4 subclasses in the firm's key-technology pool at the
  end of year t that were not in its pool at the end of t-3 (pool = IPC4 classes
  of matched codes of all its key-technology applications up to that year);
  missing while t-3 is before the first year of patent data.
* ``width3`` - dispersion of the year's key-technology applications across
  sub-fields, 1 - sum of squared shares (patents split equally over their
  sub-fields); missing when the firm has no key-technology application that year.
* ``width4`` - key-technology applications of year t none of whose matched IPC4
  classes is in the firm's pool at the end of t-1.
* ``inn`` - core patents (paper 002): invention applications that are
  key-technology by IPC and (``inn_rule="and"``) / or (``"or"``) mention a
  catalogue keyword (产业基础创新发展目录) in title or abstract.
* ``ln_<x>`` = ln(1 + x) for every count.

Paper 004 gives the width definitions in words only ("具体构建方法如需备索"); the
operational choices above are smtext's and are stated so that users can change them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SMError, check_option, require_columns, warn
from .applicants import MatchReport, match_applicants, split_applicants
from .concordance import Concordance, _natural, load_concordance
from .ipc import parse_ipc

COUNT_COLUMNS = ["n_invention", "n_keytech", "n_nonkey", "n_joint", "n_keytech_joint", "n_granted",
                 "n_keytech_granted", "citations", "keytech_citations"]


@dataclass(frozen=True)
class PatentMeasures:
    """Everything :func:`patent_measures` computed.

    Attributes
    ----------
    table : DataFrame
        Firm-year measures keyed by ``stkcd``, ``year`` (see module docstring).
    match : MatchReport
        How applicant names were matched to firms.
    patents : DataFrame
        One row per (patent, firm) kept: ``appno, stkcd, year, keytech, joint, granted, ...``.
    codes : DataFrame
        One row per (patent, firm, valid IPC code): ``appno, stkcd, year, code, is_main, keytech``.
    ipc_report : DataFrame
        Every malformed IPC token with its patent and reason.
    dropped : DataFrame
        ``reason, n`` - patents left out and why.
    """

    table: pd.DataFrame
    match: MatchReport
    patents: pd.DataFrame
    codes: pd.DataFrame
    ipc_report: pd.DataFrame
    dropped: pd.DataFrame
    options: dict = field(default_factory=dict)

    def summary(self) -> str:
        d = "; ".join(f"{r.reason}: {r.n}" for r in self.dropped.itertuples()) or "none"
        return (f"{len(self.table)} firm-years, {int(self.table['n_invention'].sum())} invention applications "
                f"({int(self.table['n_keytech'].sum())} key-technology). Applicants: {self.match.summary()}. "
                f"Dropped: {d}.")


def classify_patents(patents: pd.DataFrame, *, ipc_col: str = "ipc", id_col: str = "appno",
                     concordance: Concordance | None = None, scheme: str = "sei_ipc_2021",
                     match_on: str = "any") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify each patent from its raw IPC field.

    Parameters
    ----------
    patents : DataFrame
        Patent records with ``id_col`` and ``ipc_col`` (messy IPC strings, main code first).
    match_on : {"any", "main"}
        A patent is key-technology if any of its codes matches, or only its main code.

    Returns
    -------
    per_patent : DataFrame
        ``appno, main_code, n_codes, n_malformed, keytech, branches, industries`` (one row per input row).
    codes : DataFrame
        Long table ``row, appno, pos, is_main, code, valid, reason, keytech, set_id``
        (``row`` = position of the patent in ``patents``).
    """
    check_option("match_on", match_on, ["any", "main"])
    require_columns(patents, [id_col, ipc_col], "patents table")
    conc = concordance or load_concordance(scheme)
    long = parse_ipc(pd.Series(patents[ipc_col].to_numpy()), warn_malformed=False)
    long = long.rename(columns={"record": "row"})
    long.insert(1, id_col, patents[id_col].to_numpy()[long["row"].to_numpy()])
    set_id, _ = conc.set_ids(long["code"].where(long["valid"], None))
    if match_on == "main":
        set_id = np.where(long["is_main"].to_numpy(), set_id, 0)
    long["set_id"] = set_id
    long["keytech"] = set_id > 0
    n = len(patents)
    rows = long["row"].to_numpy()
    per = pd.DataFrame({id_col: patents[id_col].to_numpy()})
    per["main_code"] = pd.Series(long.loc[long["is_main"], "code"].to_numpy(),
                                 index=long.loc[long["is_main"], "row"].to_numpy()).reindex(range(n)).to_numpy()
    per["n_codes"] = np.bincount(rows[long["valid"].to_numpy()], minlength=n)
    per["n_malformed"] = np.bincount(rows[~long["valid"].to_numpy()], minlength=n)
    per["keytech"] = np.bincount(rows[long["keytech"].to_numpy()], minlength=n) > 0
    kt = long["keytech"].to_numpy()
    pairs = pd.DataFrame({"row": rows[kt], "set": set_id[kt]}).drop_duplicates()
    n_sets = pairs.groupby("row")["set"].transform("size").to_numpy()
    single, multi = pairs[n_sets == 1], pairs[n_sets > 1]
    for key, name in (("branches", "branches"), ("industries", "industries")):
        lab = conc._labels[key]
        col = np.full(n, "", dtype=object)
        # most patents have one matching rule set: its label is precomputed
        col[single["row"].to_numpy()] = lab[single["set"].to_numpy()]
        for r, sets in multi.groupby("row")["set"]:  # the few with codes in several rule sets
            units = {u for s_ in sets for u in lab[s_].split(";")}
            col[r] = ";".join(sorted(units, key=_natural))
        per[name] = col
    return per, long


def _years_of(dates: pd.Series) -> pd.Series:
    """Years of application dates (float, NaN where unreadable); what pandas cannot read as a date
    (``2019年``, ``2019年5月1日``, ``20190501``) is read as the io layer reads periods."""
    from ..io.normalize import parse_periods

    d = pd.to_datetime(dates.astype("string").str.strip().replace("", pd.NA), errors="coerce", format="mixed")
    years = pd.Series(d.dt.year, index=dates.index, dtype="float64")
    todo = years.isna() & dates.notna()
    if todo.any():
        years[todo] = parse_periods(dates[todo].astype(str))["year"].astype("float64").to_numpy()
    return years


def patent_measures(patents: pd.DataFrame, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None,
                    years=None, *, appno_col: str = "appno", ipc_col: str = "ipc", applicants_col: str = "applicants",
                    app_date_col: str = "app_date", grant_date_col: str = "grant_date",
                    type_col: str = "patent_type", citations_col: str = "citations", title_col: str = "title",
                    abstract_col: str = "abstract", id_col: str = "stkcd", name_col: str = "name",
                    sub_col: str = "subsidiary_name", patent_types=("发明",), scheme: str = "sei_ipc_2021",
                    concordance: Concordance | None = None, match_on: str = "any", level: str = "industry",
                    joint: str = "any", width2_lag: int = 3, inn_keywords=None, inn_rule: str = "and",
                    data_end: int | None = None, overrides=None, fuzzy: bool = True,
                    fuzzy_accept: float | None = None, fuzzy_review: float = 0.75) -> PatentMeasures:
    """Firm-year patent measures with all diagnostics (see module docstring for definitions).

    Parameters
    ----------
    patents : DataFrame
        Patent records (default columns ``appno, title, abstract, applicants,
        app_date, grant_date, patent_type, ipc, citations``; names are arguments).
    firms, subsidiaries : DataFrame
        Listed firms (``stkcd, name``) and subsidiaries (``stkcd, subsidiary_name``).
    years : (int, int) or iterable of int, optional
        Years of the output panel (every firm x every year, zeros where a firm
        has no patents). Default: from the first to the last application year.
    patent_types : tuple of str
        Values of ``type_col`` counted, by prefix (default ``("发明",)``: 发明, 发明专利,
        发明授权 ... i.e. invention patents only; utility models and designs are left out).
    match_on : {"any", "main"}
        Key-technology if any IPC code matches, or only the main (first) code.
    level : {"industry", "branch"}
        Sub-field used by width1 and width3: the 9 SEI industries (default; paper
        004's 细分领域 analysis is by industry) or the 40 branches.
    joint : {"any", "external"}
        A joint application has 2+ distinct applicants / at least one applicant
        that is not the firm (or its subsidiaries).
    width2_lag : int
        Years back for width2 (paper 004: 3).
    inn_keywords : str, Lexicon or iterable of str, optional
        Keywords for ``inn``: a shipped lexicon name (``"industrial_foundation_keywords"``,
        the 产业基础创新发展目录 items), a :class:`smtext.text.lexicon.Lexicon`, or a list.
        Without them ``inn`` is not computed.
    inn_rule : {"and", "or"}
        Inn = key-technology IPC and (or) a keyword in title/abstract.
    data_end : int, optional
        Last year of grant observation (default: the latest grant year); used
        only for the truncation warning.
    overrides, fuzzy, fuzzy_accept, fuzzy_review
        Applicant matching, see :func:`smtext.patents.match_applicants` (by default
        fuzzy candidates are only listed for review, never accepted).

    Returns
    -------
    PatentMeasures
    """
    check_option("level", level, ["branch", "industry"])
    check_option("joint", joint, ["any", "external"])
    check_option("inn_rule", inn_rule, ["and", "or"])
    if int(width2_lag) < 1:
        raise SMError("SM308", f"width2_lag={width2_lag}; it must be a positive number of years.",
                      "use 3 as in paper 004, or another positive lag.")
    require_columns(patents, [appno_col, ipc_col, applicants_col, app_date_col, type_col], "patents table")
    conc = concordance or load_concordance(scheme)
    dropped = []
    p, n_dup = _merge_duplicate_applications(patents.reset_index(drop=True), appno_col, applicants_col)
    dropped.append(("duplicate application number (rows merged, applicants pooled)", n_dup))
    p["_year"] = _years_of(p[app_date_col])
    bad_date = p["_year"].isna()
    if len(p) and bad_date.all():
        shown = list(dict.fromkeys(p[app_date_col].astype(str)))[:3]
        raise SMError("SM310", f"no application date in column {app_date_col!r} can be read as a date (e.g. "
                               f"{shown}); every patent would be dropped.",
                      "give dates such as 2019-05-01, 20190501, 2019年5月1日 or the year (2019) in the "
                      "application-date column (app_date).")
    dropped.append(("application date missing or unreadable", int(bad_date.sum())))
    # prefix match: databases write 发明 / 发明专利 / 发明授权 / 发明公开 for invention patents
    is_type = p[type_col].astype(str).str.strip().str.startswith(tuple(patent_types))
    dropped.append((f"patent type not in {list(patent_types)}", int((~is_type & ~bad_date).sum())))
    p = p[is_type & ~bad_date].reset_index(drop=True)
    p["_year"] = p["_year"].astype(int)

    per, long = classify_patents(p, ipc_col=ipc_col, id_col=appno_col, concordance=conc, match_on=match_on)
    ipc_report = long.loc[~long["valid"], ["row", appno_col, "pos", "raw", "reason"]].reset_index(drop=True)
    no_code = per["n_codes"].eq(0)
    if len(ipc_report):
        warn("SM302", f"{len(ipc_report)} IPC tokens in {int((per['n_malformed'] > 0).sum())} patents are "
                      f"malformed; {int(no_code.sum())} patents have no valid code and count as non-key-technology.",
             "see PatentMeasures.ipc_report.", stacklevel=2)

    # applicants -> firms
    # split each distinct applicants field once (they repeat across a firm's patents)
    f_codes, f_uniq = pd.factorize(pd.Series(p[applicants_col].to_numpy(dtype=object)), sort=False)
    split_u = [split_applicants(u) for u in f_uniq] + [[]]
    names = pd.Series([split_u[i] for i in np.where(f_codes >= 0, f_codes, len(f_uniq))], dtype=object)
    app_long = pd.DataFrame({"row": np.repeat(np.arange(len(p)), names.map(len).to_numpy()),
                             "name": [n for ns in names for n in ns]})
    report = match_applicants(app_long["name"], firms, subsidiaries, name_col=name_col, sub_col=sub_col,
                              id_col=id_col, overrides=overrides, fuzzy=fuzzy, fuzzy_accept=fuzzy_accept,
                              fuzzy_review=fuzzy_review)
    app_long = app_long.merge(report.table[["name", "norm", "stkcd"]], on="name", how="left")
    n_distinct = app_long.groupby("row")["norm"].nunique().reindex(range(len(p)), fill_value=0)
    pf = app_long.dropna(subset=["stkcd"])[["row", "stkcd"]].drop_duplicates()
    no_firm = ~pd.Series(np.arange(len(p))).isin(pf["row"])
    dropped.append(("no applicant matched a listed firm", int(no_firm.sum())))
    if joint == "any":
        pf["joint"] = n_distinct.to_numpy()[pf["row"].to_numpy()] >= 2
    else:
        # external partner: an applicant name that does not map to this firm
        own = app_long.merge(pf, on="row", suffixes=("", "_firm"))
        ext = own[own["stkcd"] != own["stkcd_firm"]].groupby(["row", "stkcd_firm"]).size()
        ext_keys = set(ext.index)
        pf["joint"] = [(r, s) in ext_keys for r, s in zip(pf["row"], pf["stkcd"])]

    rows = pf["row"].to_numpy()
    pf["appno"] = p[appno_col].to_numpy()[rows]
    pf["year"] = p["_year"].to_numpy()[rows]
    pf["keytech"] = per["keytech"].to_numpy()[rows]
    grant_year = _years_of(p[grant_date_col]) if grant_date_col in p else pd.Series(np.nan, index=p.index)
    pf["granted"] = grant_year.notna().to_numpy()[rows]
    cites = (pd.to_numeric(p[citations_col], errors="coerce").fillna(0).to_numpy()
             if citations_col in p else np.zeros(len(p)))
    pf["citations"] = cites[rows]
    if inn_keywords is not None:
        text = (p[title_col].fillna("").astype(str) if title_col in p else "") + " " + (
            p[abstract_col].fillna("").astype(str) if abstract_col in p else "")
        has_kw = _mentions(text, _keyword_list(inn_keywords))
        pf["inn"] = (pf["keytech"] & has_kw[rows]) if inn_rule == "and" else (pf["keytech"] | has_kw[rows])

    # panel frame: every firm x year
    if years is None:
        y0, y1 = (int(p["_year"].min()), int(p["_year"].max())) if len(p) else (0, -1)
        year_list = list(range(y0, y1 + 1))
    elif isinstance(years, tuple) and len(years) == 2:
        year_list = list(range(int(years[0]), int(years[1]) + 1))
    else:
        year_list = sorted({int(y) for y in years})
    out_years = pf["year"].isin(year_list)
    dropped.append(("application year outside the requested years", int((~out_years).sum())))
    # parents named only in the subsidiaries table still get rows (their patents are not lost)
    firm_ids = pd.Index(sorted(set(firms[id_col].astype(str)) | set(pf["stkcd"])), name="stkcd")
    idx = pd.MultiIndex.from_product([firm_ids, year_list], names=["stkcd", "year"])
    g = pf.groupby(["stkcd", "year"])
    kt = pf[pf["keytech"]]
    cols = {
        "n_invention": g.size(),
        "n_keytech": kt.groupby(["stkcd", "year"]).size(),
        "n_joint": pf[pf["joint"]].groupby(["stkcd", "year"]).size(),
        "n_keytech_joint": kt[kt["joint"]].groupby(["stkcd", "year"]).size(),
        "n_granted": pf[pf["granted"]].groupby(["stkcd", "year"]).size(),
        "n_keytech_granted": kt[kt["granted"]].groupby(["stkcd", "year"]).size(),
        "citations": g["citations"].sum(),
        "keytech_citations": kt.groupby(["stkcd", "year"])["citations"].sum(),
    }
    if "inn" in pf:
        cols["inn"] = pf[pf["inn"]].groupby(["stkcd", "year"]).size()
    table = pd.DataFrame({k: v.reindex(idx, fill_value=0) for k, v in cols.items()}, index=idx).fillna(0)
    table.insert(2, "n_nonkey", table["n_invention"] - table["n_keytech"])

    # per-unit counts and widths use the codes that matched
    codes = long[long["valid"]].merge(pf[["row", "stkcd", "year"]], on="row")
    kcodes = codes[codes["keytech"]]
    unit_cols = []
    for lvl, prefix in (("industry", "kt_ind_"), ("branch", "kt_br_")):
        mem = conc.members(kcodes["set_id"].to_numpy(), lvl)
        mem = pd.DataFrame({"row": kcodes["row"].to_numpy()[mem["row"].to_numpy()],
                            "stkcd": kcodes["stkcd"].to_numpy()[mem["row"].to_numpy()],
                            "year": kcodes["year"].to_numpy()[mem["row"].to_numpy()],
                            "unit": mem["unit"].to_numpy()}).drop_duplicates()
        units = conc.units(lvl).iloc[:, 0].tolist()
        cnt = mem.groupby(["stkcd", "year", "unit"]).size().unstack("unit").reindex(columns=units)
        cnt.columns = [prefix + str(u).replace(".", "_").replace("-", "_") for u in cnt.columns]
        table = table.join(cnt.reindex(idx).fillna(0))
        unit_cols += list(cnt.columns)
        if lvl == level:
            sub_mem = mem
    table = table.join(_widths(sub_mem, kcodes, idx, width2_lag, first_year=int(p["_year"].min()) if len(p) else 0))
    count_cols = [c for c in table.columns if not c.startswith("width")]
    table[count_cols] = table[count_cols].astype(np.int64)
    logs = {"ln_" + c: np.log1p(table[c]) for c in count_cols + ["width1", "width2", "width4"]}
    table = pd.concat([table, pd.DataFrame(logs, index=table.index)], axis=1).reset_index()

    _truncation_warning(grant_year, p["_year"], data_end)
    dropped_df = pd.DataFrame(dropped, columns=["reason", "n"])
    dropped_df = dropped_df[dropped_df["n"] > 0].reset_index(drop=True)
    codes_out = codes[["row", "stkcd", "year", "code", "is_main", "keytech"]].assign(
        appno=lambda d: p[appno_col].to_numpy()[d["row"].to_numpy()])
    return PatentMeasures(table=table, match=report, patents=pf.reset_index(drop=True),
                          codes=codes_out.reset_index(drop=True), ipc_report=ipc_report, dropped=dropped_df,
                          options={"scheme": conc.name, "match_on": match_on, "level": level, "joint": joint,
                                   "width2_lag": width2_lag, "patent_types": list(patent_types),
                                   "inn_rule": inn_rule if inn_keywords is not None else None})


def _merge_duplicate_applications(p: pd.DataFrame, appno_col: str, applicants_col: str) -> tuple[pd.DataFrame, int]:
    """One row per application number; the applicants of repeated rows are pooled.

    Patent exports listed by firm repeat a joint application once per listed
    applicant. Counting each row would count the patent twice for a firm named on
    both rows, so the first row is kept with the union of all rows' applicants and
    the number of merged rows is reported (SM309).
    """
    dup = p[appno_col].duplicated(keep=False) & p[appno_col].notna()
    n_extra = int((p[appno_col].duplicated(keep="first") & p[appno_col].notna()).sum())
    if not n_extra:
        return p, 0
    pooled = p.loc[dup].groupby(appno_col, sort=False)[applicants_col].agg(
        lambda s: ";".join(dict.fromkeys(n for v in s for n in split_applicants(v))))
    keep = ~(p[appno_col].duplicated(keep="first") & p[appno_col].notna())
    out = p[keep].reset_index(drop=True)
    has = out[appno_col].isin(pooled.index)
    out.loc[has, applicants_col] = out.loc[has, appno_col].map(pooled)
    warn("SM309", f"{n_extra} rows repeat an application number already seen; each application is counted "
                  "once, with the applicants of all its rows.",
         "de-duplicate the patent table by application number if the repeats are different patents.",
         stacklevel=3)
    return out, n_extra


def _keyword_list(inn_keywords) -> list[str]:
    """Keywords from a shipped lexicon name, a Lexicon object or an iterable of str."""
    if isinstance(inn_keywords, str):
        from ..text.lexicon import load_lexicon

        inn_keywords = load_lexicon(inn_keywords)
    if hasattr(inn_keywords, "terms"):
        inn_keywords = inn_keywords.terms["term"].tolist()
    kws = sorted({unicodedata.normalize("NFKC", str(k)).strip() for k in inn_keywords} - {""})
    if not kws:
        raise SMError("SM305", "inn_keywords is empty.",
                      "pass catalogue keywords (e.g. inn_keywords='industrial_foundation_keywords'), or None.")
    return kws


def _mentions(text: pd.Series, keywords: list[str]) -> np.ndarray:
    """Whether each text contains any keyword (Aho-Corasick, after width folding)."""
    import ahocorasick

    auto = ahocorasick.Automaton()
    for k in keywords:
        auto.add_word(k, k)
    auto.make_automaton()
    out = np.zeros(len(text), dtype=bool)
    for i, t in enumerate(text.to_numpy()):
        for _ in auto.iter(unicodedata.normalize("NFKC", t)):
            out[i] = True
            break
    return out


def _widths(unit_mem: pd.DataFrame, kcodes: pd.DataFrame, idx: pd.MultiIndex, lag: int,
            first_year: int) -> pd.DataFrame:
    """width1-width4 on the panel index (definitions in the module docstring)."""
    out = pd.DataFrame(index=idx)
    # width1: distinct sub-fields per firm-year
    out["width1"] = unit_mem.groupby(["stkcd", "year"])["unit"].nunique().reindex(idx, fill_value=0)
    # width3: 1 - HHI with each patent split equally over its sub-fields
    if len(unit_mem):
        k = unit_mem.groupby(["row", "stkcd"])["unit"].transform("size")
        w = unit_mem.assign(w=1.0 / k).groupby(["stkcd", "year", "unit"])["w"].sum()
        share = w / w.groupby(level=["stkcd", "year"]).transform("sum")
        out["width3"] = (1 - (share**2).groupby(level=["stkcd", "year"]).sum()).reindex(idx)
    else:
        out["width3"] = np.nan
    # pools of key-tech IPC4 classes: first year each (firm, ipc4) appears
    k4 = kcodes.assign(ipc4=kcodes["code"].str[:4])
    first = k4.groupby(["stkcd", "ipc4"])["year"].min().rename("first").reset_index()
    years = np.array(sorted(idx.get_level_values("year").unique()))
    w2 = {}
    for y in years:
        # |pool(y) \ pool(y-lag)| = classes first seen in (y-lag, y]
        n = first[(first["first"] > y - lag) & (first["first"] <= y)].groupby("stkcd").size()
        w2[y] = n
    w2s = pd.concat(w2, names=["year", "stkcd"]).swaplevel().reorder_levels(["stkcd", "year"]) if w2 else None
    out["width2"] = (w2s.reindex(idx, fill_value=0) if w2s is not None else 0).astype(float)
    out.loc[out.index.get_level_values("year") - lag < first_year, "width2"] = np.nan
    # width4: key-tech applications none of whose matched IPC4 classes was in the pool at t-1
    pat = k4[["row", "stkcd", "year", "ipc4"]].drop_duplicates().merge(first, on=["stkcd", "ipc4"])
    pat["old"] = pat["first"] < pat["year"]
    new_pat = pat.groupby(["row", "stkcd", "year"])["old"].any()
    new_pat = new_pat[~new_pat].reset_index()
    out["width4"] = new_pat.groupby(["stkcd", "year"]).size().reindex(idx, fill_value=0)
    return out[["width1", "width2", "width3", "width4"]]


def _truncation_warning(grant_year: pd.Series, app_year: pd.Series, data_end: int | None) -> None:
    if grant_year.notna().sum() == 0 or len(app_year) == 0:
        return
    end = int(data_end if data_end is not None else grant_year.max())
    lag = (grant_year - app_year).dropna()
    p90 = int(np.ceil(lag.quantile(0.9))) if len(lag) else 0
    if int(app_year.max()) > end - p90:
        warn("SM306", f"grant counts are truncated: grants are observed up to {end} and 90% of observed grants "
                      f"come within {p90} years of application, so applications filed after {end - p90} "
                      "have not had time to be granted.",
             "use application counts as the main outcome, or restrict grant outcomes to earlier years.",
             stacklevel=3)


def firm_year_measures(patents: pd.DataFrame, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None,
                       years=None, **options) -> pd.DataFrame:
    """Firm-year patent measures keyed by ``stkcd``, ``year``.

    A shortcut for ``patent_measures(...).table`` that also emits coded warning
    SM307 with the applicant-matching summary and what was dropped. Use
    :func:`patent_measures` for the match report, review file and IPC report.

    Parameters
    ----------
    patents, firms, subsidiaries, years, **options
        See :func:`patent_measures`.

    Returns
    -------
    DataFrame
    """
    res = patent_measures(patents, firms, subsidiaries, years, **options)
    counts = res.match.counts()
    if counts.drop(labels=["exact", "not_a_firm"], errors="ignore").sum() > 0 or len(res.dropped):
        warn("SM307", res.summary(), "call patent_measures(...) and inspect .match.review() and .dropped.",
             stacklevel=2)
    return res.table
