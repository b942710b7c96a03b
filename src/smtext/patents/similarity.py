"""Technology similarity between firms (Jaffe 1986) on IPC3 / IPC4 classes, averaged by city.

A firm's technology vector counts its patents per IPC class (a patent counts
once per class even with several codes in it) over its pool: all applications
up to year t (``window=None``) or those of the last ``window`` years. Similarity
of two firms is the cosine of their vectors (Jaffe 1986, "Technological
opportunity and spillovers of R&D"; paper 004 s6 uses it on IPC3 and IPC4).

Averages use the identity sum_j x_i.x_j = x_i . (sum_j x_j) on L2-normalized
rows, so the firm and city averages cost O(non-zeros), not O(firms^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import check_option, require_columns


@dataclass(frozen=True)
class SimilarityResult:
    """Output of :func:`tech_similarity`.

    Attributes
    ----------
    firm : DataFrame
        ``stkcd, year, city, n_peers`` and ``sim_<level>``: mean similarity of the
        firm to the other firms of its city that have a non-empty pool (missing when
        the firm has no pool or no such peer).
    city : DataFrame
        ``city, year, n_firms`` and ``sim_<level>``: mean over distinct pairs.
    """

    firm: pd.DataFrame
    city: pd.DataFrame


def _normalized(counts: pd.DataFrame, firm_col: str, class_col: str) -> tuple[sparse.csr_matrix, pd.Index]:
    firms_idx = pd.Index(sorted(counts[firm_col].unique()))
    cls_idx = pd.Index(sorted(counts[class_col].unique()))
    X = sparse.csr_matrix((counts["n"].to_numpy(dtype=float),
                           (firms_idx.get_indexer(counts[firm_col]), cls_idx.get_indexer(counts[class_col]))),
                          shape=(len(firms_idx), len(cls_idx)))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ X
    return X.tocsr(), firms_idx


def jaffe_similarity(counts: pd.DataFrame, *, firm_col: str = "stkcd", class_col: str = "ipc4",
                     count_col: str = "n") -> pd.DataFrame:
    """Pairwise Jaffe (cosine) similarity from a long firm x class count table.

    Parameters
    ----------
    counts : DataFrame
        Columns ``firm_col``, ``class_col``, ``count_col`` (patents of the firm in the class).

    Returns
    -------
    DataFrame
        Square firm x firm matrix of similarities (diagonal 1 for non-empty firms).
    """
    require_columns(counts, [firm_col, class_col, count_col], "class counts")
    c = counts.rename(columns={count_col: "n"})
    c = c[c["n"] > 0].groupby([firm_col, class_col], as_index=False)["n"].sum()
    X, idx = _normalized(c, firm_col, class_col)
    return pd.DataFrame((X @ X.T).toarray(), index=idx, columns=idx)


def tech_similarity(codes: pd.DataFrame, firms: pd.DataFrame, *, levels=("ipc3", "ipc4"), years=None,
                    window: int | None = None, keytech_only: bool = False, id_col: str = "stkcd",
                    city_col: str = "city", code_col: str = "code", patent_col: str = "appno") -> SimilarityResult:
    """Firm-level and city-level average technology similarity by year.

    Parameters
    ----------
    codes : DataFrame
        One row per (patent, firm, IPC code): ``stkcd, year, appno, code`` (and
        ``keytech`` when ``keytech_only``), e.g. ``patent_measures(...).codes``.
    firms : DataFrame
        ``stkcd`` and ``city`` of every firm.
    levels : iterable of {"ipc3", "ipc4"}
        Class levels: IPC3 = class (``H04``), IPC4 = subclass (``H04L``).
    years : iterable of int, optional
        Years to compute (default: every year in ``codes``).
    window : int, optional
        Pool = applications of the last ``window`` years; default all years up to t.
    keytech_only : bool
        Build vectors from key-technology codes only.

    Returns
    -------
    SimilarityResult
    """
    for lv in levels:
        check_option("levels", lv, ["ipc3", "ipc4"])
    require_columns(codes, [id_col, "year", code_col, patent_col] + (["keytech"] if keytech_only else []),
                    "patent codes")
    require_columns(firms, [id_col, city_col], "firms table")
    c = codes[codes["keytech"]] if keytech_only else codes
    city = firms.drop_duplicates(id_col).set_index(id_col)[city_col]
    year_list = sorted(set(c["year"])) if years is None else sorted({int(y) for y in years})
    firm_parts, city_parts = [], []
    for lv in levels:
        width = 3 if lv == "ipc3" else 4
        base = c.assign(cls=c[code_col].str[:width])[[id_col, "year", patent_col, "cls"]].drop_duplicates()
        frows, crows = [], []
        for y in year_list:
            lo = -np.inf if window is None else y - window
            pool = base[(base["year"] <= y) & (base["year"] > lo)]
            cnt = pool.groupby([id_col, "cls"]).size().rename("n").reset_index()
            if cnt.empty:
                continue
            X, idx = _normalized(cnt, id_col, "cls")
            cities = city.reindex(idx).to_numpy()
            ok = pd.notna(cities)
            X, idx, cities = X[ok], idx[ok], cities[ok]
            codes_c, uniq_c = pd.factorize(cities)
            # S[c] = sum of unit vectors of city c; x_i . S[c] - 1 = sum of similarities to peers
            G = sparse.csr_matrix((np.ones(len(codes_c)), (codes_c, np.arange(len(codes_c)))),
                                  shape=(len(uniq_c), len(codes_c)))
            S = G @ X
            n_c = np.bincount(codes_c, minlength=len(uniq_c))
            own = np.asarray(X.multiply(S[codes_c]).sum(axis=1)).ravel() - 1.0
            peers = n_c[codes_c] - 1
            with np.errstate(invalid="ignore", divide="ignore"):
                frows.append(pd.DataFrame({id_col: idx, "year": y, city_col: cities, "n_peers": peers,
                                           f"sim_{lv}": np.where(peers > 0, own / np.maximum(peers, 1), np.nan)}))
                s2 = np.asarray(S.multiply(S).sum(axis=1)).ravel()
                crows.append(pd.DataFrame({city_col: uniq_c, "year": y, "n_firms": n_c,
                                           f"sim_{lv}": np.where(n_c > 1, (s2 - n_c) / (n_c * (n_c - 1.0)),
                                                                 np.nan)}))
        firm_parts.append(pd.concat(frows, ignore_index=True) if frows else
                          pd.DataFrame(columns=[id_col, "year", city_col, "n_peers", f"sim_{lv}"]))
        city_parts.append(pd.concat(crows, ignore_index=True) if crows else
                          pd.DataFrame(columns=[city_col, "year", "n_firms", f"sim_{lv}"]))
    firm = firm_parts[0]
    for part in firm_parts[1:]:
        firm = firm.merge(part, on=[id_col, "year", city_col, "n_peers"], how="outer")
    cty = city_parts[0]
    for part in city_parts[1:]:
        cty = cty.merge(part, on=[city_col, "year", "n_firms"], how="outer")
    firm = firm.sort_values([id_col, "year"]).reset_index(drop=True)
    cty = cty.sort_values([city_col, "year"]).reset_index(drop=True)
    return SimilarityResult(firm=firm, city=cty)
