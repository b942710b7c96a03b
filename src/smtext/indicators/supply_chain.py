"""Supply-chain links from top-5 customer / supplier tables, and exposure to the pilots (paper 002 Table 9).

Paper 002 (s. 5.3) identifies "样本企业的上下游企业" from CSMAR and Tianyancha and asks whether
the pilots' suppliers (upstream, col. 8) and customers (downstream, col. 9) gain. The inputs are
CSMAR's top-5 customer and top-5 supplier tables (one row per reporting firm, year and rank, the
partner named as the annual report writes it; bundled maps ``csmar_top5_customers`` and
``csmar_top5_suppliers``):

1. :func:`tidy_top5` keeps one row per firm, year and partner name; anonymised names (客户一,
   供应商A, 第一名 ...) cannot name a firm and are counted, not matched.
2. :func:`match_partners` maps partner names to listed firms with the applicant matcher of
   :mod:`smtext.patents.applicants` (full names, legal-form variants, place prefixes, former
   names, subsidiaries; fuzzy look-alikes only suggested, never accepted) and reports every name
   left unmatched (SM041).
3. :func:`chain_edges` turns both tables into directed ``supplier -> customer`` links per year
   (a link reported by either side counts once).
4. :func:`pilot_exposure`: a firm is *upstream of a pilot* when it supplies a pilot firm in any
   reported year, *downstream* when it buys from one; ``IM_up`` / ``IM_down`` switch on from
   the selection year of the earliest pilot it is linked to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns, warn

ROLES = ("customer", "supplier")
#: names that only rank the partner (客户一, 供应商A, 第一名, 客户 1, 单位三 ...): not a firm
ANONYMOUS = re.compile(r"^(?:前五名)?(?:客户|供应商|单位|公司|第)\s*[一二三四五六七八九十ABCDEabcde1-9０-９]+\s*(?:名|位)?$")


def tidy_top5(table: pd.DataFrame, role: str) -> pd.DataFrame:
    """One row per firm, year and partner of a top-5 table, with the partner's name cleaned.

    Parameters
    ----------
    table : DataFrame
        ``stkcd``, ``year`` (or ``report_year``, as the bundled CSMAR maps read it) and
        ``partner_name``; ``rank``, ``partner_amount``, ``partner_share`` are kept when present.
    role : {"customer", "supplier"}
        What the partners are to the reporting firm.

    Returns
    -------
    DataFrame
        ``stkcd, year, role, partner_name, anonymous`` (+ the kept columns). Rows without a
        name are dropped (SM040 warning with the count); a name repeated within a firm-year is
        kept once.
    """
    if role not in ROLES:
        raise SMError("SM042", f"role {role!r} is not one of {list(ROLES)}.", "pass role='customer' or 'supplier'.")
    t = table.rename(columns={"report_year": "year"}) if "year" not in table else table
    require_columns(t, ["stkcd", "year", "partner_name"], f"top-5 {role} table")
    years = pd.to_numeric(t["year"], errors="coerce")
    if years.isna().any():
        raise SMError("SM042", f"{int(years.isna().sum())} rows of the top-5 {role} table have no readable year.",
                      "map the report date (统计截止日期) to report_year, or give a year column.")
    keep = [c for c in ("rank", "partner_amount", "partner_share") if c in t]
    out = t[["stkcd", "partner_name", *keep]].copy()
    out["stkcd"] = out["stkcd"].astype(str)
    out["year"] = years.astype("int64").to_numpy()
    name = out["partner_name"].astype("string").str.strip()
    blank = name.isna() | name.eq("")
    if blank.any():
        warn("SM040", f"{int(blank.sum())} rows of the top-5 {role} table have no partner name; they are dropped.",
             "fill the names in the export, or ignore this if the firm disclosed fewer than five partners.")
    out = out[~blank.to_numpy()].assign(partner_name=name[~blank].to_numpy().astype(object))
    out["role"] = role
    out["anonymous"] = out["partner_name"].str.replace(r"\s+", "", regex=True).str.match(ANONYMOUS)
    out = out.drop_duplicates(["stkcd", "year", "partner_name"])
    cols = ["stkcd", "year", "role", "partner_name", "anonymous", *keep]
    return out[cols].sort_values(["stkcd", "year", "role"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class PartnerMatch:
    """Result of :func:`match_partners`.

    Attributes
    ----------
    links : DataFrame
        The tidy rows with ``partner_stkcd`` (missing when not matched) and ``partner_status``
        (``matched``, ``via_subsidiary``, ``self`` (the firm names itself; dropped from the
        links), ``anonymous``, ``pending`` (a look-alike to review) or ``not_listed``).
    names : DataFrame
        One row per distinct partner name: the matcher's table (method, score, candidates).
    """

    links: pd.DataFrame
    names: pd.DataFrame

    def counts(self) -> dict:
        """Rows per ``partner_status``."""
        return {str(k): int(v) for k, v in self.links["partner_status"].value_counts().items()}

    def unmatched(self) -> pd.DataFrame:
        """Distinct names not matched to a listed firm, with their rows and best candidate (for review)."""
        miss = self.links[self.links["partner_stkcd"].isna()]
        rows = miss.groupby(["partner_name", "partner_status"], as_index=False).size().rename(columns={"size": "rows"})
        cand = [c for c in ("candidate_stkcd", "candidate_name", "candidate_score") if c in self.names]
        rows = rows.merge(self.names[["name", *cand]].rename(columns={"name": "partner_name"}), on="partner_name",
                          how="left")
        return rows.sort_values(["rows", "partner_name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def match_partners(links: pd.DataFrame, firms: pd.DataFrame, subsidiaries: pd.DataFrame | None = None,
                   overrides=None) -> PartnerMatch:
    """Match the partner names of tidy top-5 rows to listed firms.

    Parameters
    ----------
    links : DataFrame
        Rows of :func:`tidy_top5` (one or both roles).
    firms : DataFrame
        Listed firms (``stkcd, name``; ``former_names``, ``province``, ``city`` used when present).
    subsidiaries : DataFrame, optional
        ``stkcd, subsidiary_name``: a subsidiary named as a customer stands for its parent.
    overrides : dict, DataFrame or path, optional
        Confirmed matches (the edited review file), as in
        :func:`smtext.patents.applicants.match_applicants`.

    Returns
    -------
    PartnerMatch
        SM041 is warned with the number of rows and names not matched (anonymised, not listed,
        pending review).
    """
    from ..patents.applicants import match_applicants

    require_columns(links, ["stkcd", "year", "role", "partner_name", "anonymous"], "top-5 links")
    named = links.loc[~links["anonymous"], "partner_name"]
    rep = match_applicants(named, firms, subsidiaries, overrides=overrides, fuzzy=True)
    table = rep.table
    code = dict(zip(table["name"], table["stkcd"]))
    status = dict(zip(table["name"], table["status"]))
    out = links.copy()
    out["partner_stkcd"] = out["partner_name"].map(code).where(~out["anonymous"], None)
    out["partner_status"] = np.where(out["anonymous"], "anonymous", out["partner_name"].map(status).fillna("not_listed"))
    own = out["partner_stkcd"].astype(object).eq(out["stkcd"])
    out.loc[own, "partner_status"] = "self"
    out["partner_stkcd"] = out["partner_stkcd"].astype(object).where(out["partner_stkcd"].notna() & ~own, None)
    res = PartnerMatch(out, table)
    miss = out["partner_stkcd"].isna()
    if miss.any():
        c = res.counts()
        examples = res.unmatched()["partner_name"].head(3).tolist()
        warn("SM041", f"{int(miss.sum()):,} of {len(out):,} top-5 partner rows are not matched to a listed firm "
                      f"({', '.join(f'{k}: {v}' for k, v in c.items() if k not in ('matched', 'via_subsidiary'))}; "
                      f"e.g. {examples}).",
             "most are unlisted firms; review unmatched partners (pending rows list a candidate) and pass confirmed "
             "matches as overrides.")
    return res


def chain_edges(matched: pd.DataFrame) -> pd.DataFrame:
    """Directed links ``supplier -> customer`` per year from matched top-5 rows of both roles.

    A customer row of firm i naming j gives i -> j; a supplier row of firm i naming j gives
    j -> i. A link both sides report counts once (``source`` says who reported it:
    ``customer_table``, ``supplier_table`` or ``both``).
    """
    require_columns(matched, ["stkcd", "year", "role", "partner_stkcd"], "matched top-5 links")
    m = matched[matched["partner_stkcd"].notna()]
    cust = m[m["role"] == "customer"]
    sup = m[m["role"] == "supplier"]
    e = pd.concat([
        pd.DataFrame({"supplier": cust["stkcd"], "customer": cust["partner_stkcd"], "year": cust["year"],
                      "source": "customer_table"}),
        pd.DataFrame({"supplier": sup["partner_stkcd"], "customer": sup["stkcd"], "year": sup["year"],
                      "source": "supplier_table"})], ignore_index=True)
    e = e.astype({"supplier": str, "customer": str, "year": "int64"})
    e = e.groupby(["supplier", "customer", "year"], as_index=False)["source"].agg(
        lambda s: s.iat[0] if s.nunique() == 1 else "both")
    return e.sort_values(["supplier", "customer", "year"], kind="stable").reset_index(drop=True)


def pilot_exposure(edges: pd.DataFrame, panel: pd.DataFrame, gname: pd.Series | dict) -> pd.DataFrame:
    """Per firm-year: is the firm a supplier (upstream) or customer (downstream) of a pilot, and since when.

    Parameters
    ----------
    edges : DataFrame
        ``supplier, customer`` (and ``year``) from :func:`chain_edges`; a link of any reported
        year counts.
    panel : DataFrame
        The firm-years to describe (``stkcd, year``).
    gname : Series or dict
        stkcd -> the firm's pilot selection year (0 or missing: not a pilot).

    Returns
    -------
    DataFrame
        ``stkcd, year, chain_up, chain_down`` (0/1: supplies / buys from a pilot in some
        year), ``chain_up_g, chain_down_g`` (the earliest selection year among those pilots, 0
        when none), ``IM_up, IM_down`` (1 from that year on).
    """
    require_columns(edges, ["supplier", "customer"], "supply-chain links")
    require_columns(panel, ["stkcd", "year"], "panel")
    g = pd.Series(gname, dtype=float) if isinstance(gname, dict) else gname.astype(float)
    g = g[g > 0]
    out = panel[["stkcd", "year"]].copy()
    out["stkcd"] = out["stkcd"].astype(str)
    for side, own, other in (("up", "supplier", "customer"), ("down", "customer", "supplier")):
        # upstream: the firm is the supplier and its customer is a pilot; downstream the reverse
        linked = edges[[own, other]].assign(g=edges[other].astype(str).map(g)).dropna(subset=["g"])
        first = linked.groupby(own)["g"].min()
        gs = out["stkcd"].map(first)
        out[f"chain_{side}"] = gs.notna().astype(int)
        out[f"chain_{side}_g"] = gs.fillna(0).astype(int)
        out[f"IM_{side}"] = (gs.notna() & (out["year"] >= gs.fillna(np.inf))).astype(int)
    return out


__all__ = ["ANONYMOUS", "ROLES", "PartnerMatch", "chain_edges", "match_partners", "pilot_exposure", "tidy_top5"]
