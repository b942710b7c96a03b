"""Firm robot exposure and its input-output spillovers from panel data (paper 003, paper 002 Rp).

:func:`firm_robot_exposure` builds the firm-year robot penetration of Wang Yongqin & Dong Wen
(2020) from a firm panel (production workers, employees, industry) and industry robot stocks,
choosing the base year per firm and the industry base employment from the panel itself, then
calls :func:`smtext.indicators.shiftshare.robot_penetration`. :func:`chain_exposure` spreads the
industry robot densities over an input-output table into upstream (``For``, through suppliers)
and downstream (``Back``, through buyers) exposures with
:func:`smtext.indicators.shiftshare.io_exposure`.
"""

from __future__ import annotations

import pandas as pd

from ..errors import SMError, check_option, require_columns
from .shiftshare import io_exposure, robot_penetration

__all__ = ["firm_robot_exposure", "industry_robot_density", "chain_exposure"]


def _base_rows(panel: pd.DataFrame, idname: str, tname: str, workers: str, employees: str,
               base_year: int | None) -> pd.DataFrame:
    ok = panel[[workers, employees]].notna().all(axis=1) & (panel[employees] > 0)
    rows = panel.loc[ok]
    if base_year is not None:
        rows = rows[rows[tname] == base_year]
    else:  # each firm's first observed year: the earliest share, before the robots arrive
        rows = rows.sort_values([idname, tname], kind="stable").drop_duplicates(idname, keep="first")
    if rows.empty:
        raise SMError("SM450", f"no firm has {workers} and {employees} in the base year ({base_year or 'first'}).",
                      "check the columns or choose another base_year.")
    return rows


def industry_robot_density(panel: pd.DataFrame, industry_robots: pd.DataFrame, *, employees: str = "employees",
                           industry: str = "industry", robots: str = "robot_stock", idname: str = "stkcd",
                           tname: str = "year", base_year: int | None = None, scale: float = 1.0,
                           workers: str | None = None) -> pd.DataFrame:
    """Industry robot density ``scale * Robots_jt / L_j,base`` with base employment from the panel.

    ``L_j,base`` sums the base-year employees (each firm's first observed year, or
    ``base_year``) of the panel's firms in industry ``j``. Returns
    ``industry, year, robots, employment_base, robot_density``; industries without firms in the
    panel are left out.
    """
    require_columns(panel, [idname, tname, industry, employees], "panel")
    require_columns(industry_robots, [industry, tname, robots], "industry robots")
    base = _base_rows(panel, idname, tname, workers or employees, employees, base_year)
    emp = base.groupby(industry)[employees].sum().rename("employment_base").reset_index()
    out = industry_robots[[industry, tname, robots]].merge(emp, on=industry, how="inner")
    out = out.rename(columns={robots: "robots"})
    out["robot_density"] = scale * out["robots"] / out["employment_base"]
    return out


def firm_robot_exposure(panel: pd.DataFrame, industry_robots: pd.DataFrame, *,
                        workers: str = "production_workers", employees: str = "employees",
                        industry: str = "industry", robots: str = "robot_stock", idname: str = "stkcd",
                        tname: str = "year", base_year: int | None = None, scale: float = 1.0,
                        density: pd.DataFrame | None = None, weights: str = "base") -> pd.Series:
    """Firm robot penetration ``PR_it = (PWP_i,base / median PWP_base) * scale * Robots_jt / L_j,base``.

    With ``weights="year"`` the firm weight is the share of the same year,
    ``PWP_it / median_k PWP_kt`` (the median over all firms of the panel in year t), as paper
    003 states its contribution ("每年各企业的行业员工占比与制造业所有企业生产部门员工占比中位数的比值作为
    计算权重"); the industry density keeps its base-year employment.

    Parameters
    ----------
    panel : pandas.DataFrame
        Firm-year rows with production workers, employees and industry.
    industry_robots : pandas.DataFrame
        ``industry, year, robots`` (e.g. IFR operational stock matched to the industry codes).
    workers, employees : str
        Production workers and all employees; their ratio in the base year is the firm's
        weight ``PWP``.
    base_year : int, optional
        Common base year; by default each firm's first observed year (the firm's own
        pre-period, as with census data starting before the robot boom).
    scale : float
        Unit of the density (1 = robots per worker; 1,000 = per thousand workers).
    density : pandas.DataFrame, optional
        The result of :func:`industry_robot_density` for the same panel and options, when the
        caller has it already (it is computed otherwise).
    weights : {"base", "year"}
        Firm weight from the base year (Wang & Dong 2020) or from each year (paper 003).

    Returns
    -------
    pandas.Series
        ``robot_penetration`` aligned to ``panel.index``; missing for firms without a base
        year or for industry-years without robot data.
    """
    check_option("weights", weights, ("base", "year"))
    require_columns(panel, [idname, tname, industry, workers, employees], "panel")
    base = _base_rows(panel, idname, tname, workers, employees, base_year)
    firms = base[[idname, industry]].assign(production_worker_share=base[workers] / base[employees])
    dens = density if density is not None else industry_robot_density(
        panel, industry_robots, employees=employees, industry=industry, robots=robots, idname=idname, tname=tname,
        base_year=base_year, scale=scale, workers=workers)
    if weights == "year":
        return _yearly_exposure(panel, dens, workers, employees, industry, idname, tname)
    pr = robot_penetration(firms, dens, idname=idname, industry=industry, tname=tname, robots="robots",
                           base_employment="employment_base")
    pr["robot_penetration"] *= scale
    keyed = panel[[idname, tname]].merge(pr, on=[idname, tname], how="left", validate="many_to_one")
    return pd.Series(keyed["robot_penetration"].to_numpy(), index=panel.index, name="robot_penetration")


def _yearly_exposure(panel: pd.DataFrame, dens: pd.DataFrame, workers: str, employees: str, industry: str,
                     idname: str, tname: str) -> pd.Series:
    """``PR_it = PWP_it / median_k PWP_kt * robot_density_jt`` (each year's share over that year's median)."""
    ok = panel[[workers, employees]].notna().all(axis=1) & (panel[employees] > 0)
    share = (panel[workers] / panel[employees]).where(ok)
    med = share.groupby(panel[tname]).transform("median")
    bad = sorted(panel.loc[share.notna() & ~(med > 0), tname].unique().tolist())
    if bad or share.notna().sum() == 0:
        raise SMError("SM480", f"the median production-worker share is missing or not positive in years {bad[:5]}.",
                      f"check {workers} and {employees} in those years, or use weights='base'.")
    keyed = panel[[industry, tname]].merge(dens[[industry, tname, "robot_density"]], on=[industry, tname],
                                           how="left", validate="many_to_one")
    pr = (share / med).to_numpy() * keyed["robot_density"].to_numpy()
    return pd.Series(pr, index=panel.index, name="robot_penetration")


def chain_exposure(io: pd.DataFrame, density: pd.DataFrame, *, supplier: str = "supplier", user: str = "user",
                   coefficient: str = "coefficient", industry: str = "industry", tname: str = "year",
                   value: str = "robot_density", leontief: bool = False) -> pd.DataFrame:
    """Upstream (``For``) and downstream (``Back``) exposure of each industry-year to robot densities.

    Parameters
    ----------
    io : pandas.DataFrame
        Long input-output table: ``supplier, user, coefficient`` (direct requirement of the
        using industry for the supplier's output, per unit of the user's output).
    density : pandas.DataFrame
        ``industry, year, robot_density`` (see :func:`industry_robot_density`).
    leontief : bool
        Use total requirements ``(I - A)^-1 - I`` instead of the direct coefficients.

    Returns
    -------
    pandas.DataFrame
        ``industry, year, For, Back``: ``For`` weights the other industries' densities by the
        industry's input shares (robots of its suppliers); ``Back`` by its output shares
        (robots of its buyers). Industries without a density that year contribute a zero shock.
    """
    require_columns(io, [supplier, user, coefficient], "input-output table")
    require_columns(density, [industry, tname, value], "robot density")
    codes = sorted(set(io[supplier]) | set(io[user]))
    A = (io.pivot_table(index=supplier, columns=user, values=coefficient, aggfunc="sum")
         .reindex(index=codes, columns=codes).fillna(0.0).to_numpy())
    if (A.sum(axis=0) <= 0).any() or (A.sum(axis=1) <= 0).any():
        raise SMError("SM451", "an industry of the input-output table buys or sells nothing.",
                      "drop it from the table or fill its coefficients.")
    rows = []
    for year, g in density.groupby(tname):
        shock = g.set_index(industry)[value].reindex(codes)
        vec = shock.fillna(0.0).to_numpy()   # an industry without robot data contributes no shock
        up = io_exposure(A, vec, direction="upstream", leontief=leontief)
        down = io_exposure(A, vec, direction="downstream", leontief=leontief)
        rows.append(pd.DataFrame({industry: codes, tname: year, "For": up, "Back": down}))
    return pd.concat(rows, ignore_index=True)

