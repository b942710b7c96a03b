"""The MIIT smart-manufacturing pilot programme: who is selected, and the list users type.

Selection depends on firm size and pre-programme productivity (so PSM is
meaningful). Most of the 306 projects go to firms that are not listed; listed
firms appear under their own name, a subsidiary's name or a short name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import PROVINCES, city_province
from .names import unlisted_name

_MODES_2015 = ["流程制造", "离散制造", "智能装备和产品", "新业态新模式", "智能化管理", "智能服务"]
_MODES_LATER = ["离散型智能制造", "流程型智能制造", "网络协同制造", "大规模个性化定制", "远程运维服务"]
_PRODUCTS = ["汽车零部件", "家电", "电子元器件", "石化", "钢铁", "纺织", "医药", "工程机械", "电力装备", "食品", "轮胎", "光伏组件"]
BATCH_LABEL = {2015: "第一批", 2016: "第二批", 2017: "第三批", 2018: "第四批"}
# column names of the pilot list as a user types it from the notices
PILOT_COLUMNS = ["年份", "批次", "序号", "项目名称", "申报单位", "所在省份", "所在城市"]


def select_pilots(rng: np.random.Generator, firms: pd.DataFrame, cfg) -> pd.Series:
    """First selection year per listed firm (0 = never selected).

    Selection favours large and productive firms: the score is
    ``0.9 * latent_size + 3 * latent_alpha`` (alpha = permanent profitability,
    which drives ROA). It does not use transitory productivity shocks, so firm
    fixed effects absorb the selection and the planted effect is identified by
    TWFE, while treated and control firms differ in size, capital and
    profitability (PSM has something to balance).
    """
    eligible = firms[(firms["is_manufacturing"] == 1) & (firms["listing_year"] <= 2014)].copy()
    score = 0.9 * eligible["latent_size"] + 3.0 * eligible["latent_alpha"]
    total_projects = sum(s for _, s in cfg.batch_sizes)
    # listed firms hold a minority of the projects, as in the real lists
    n_pilot = min(int(round(cfg.listed_pilot_share * len(firms))), int(0.6 * total_projects), len(eligible))
    # Gumbel top-k: sampling without replacement with weights exp(score)
    keys = score.to_numpy() + rng.gumbel(size=len(eligible))
    chosen = eligible.iloc[np.argsort(-keys)[:n_pilot]]["stkcd"].to_numpy()
    years = [y for y, _ in cfg.batch_sizes]
    sizes = np.array([s for _, s in cfg.batch_sizes], float)
    cohort = rng.choice(years, size=len(chosen), p=sizes / sizes.sum())
    g = pd.Series(0, index=firms["stkcd"], name="gname")
    g.loc[chosen] = cohort
    return g


def pilot_list(rng: np.random.Generator, firms: pd.DataFrame, subsidiaries: pd.DataFrame,
               gname: pd.Series, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The typed pilot list and, for the truth, which listed firm each project belongs to.

    Returns
    -------
    listing : DataFrame
        Columns :data:`PILOT_COLUMNS`, one row per project, batch sizes as in ``cfg``.
    truth : DataFrame
        ``batch_year, seq, stkcd`` (empty string for unlisted applicants), ``name_form``.
    """
    f = firms.set_index("stkcd")
    subs = subsidiaries.groupby("stkcd")["subsidiary_name"].apply(list)
    cities = city_province()
    listed_by_year: dict[int, list[str]] = {y: [] for y, _ in cfg.batch_sizes}
    for stkcd, g in gname.items():
        if g:
            listed_by_year[int(g)].append(stkcd)
    # a few firms are selected again in a later batch; the first selection defines treatment
    treated = [s for s, g in gname.items() if g and g < 2018]
    for stkcd in rng.choice(treated, size=min(len(treated), max(1, len(treated) // 20)), replace=False):
        later = [y for y, _ in cfg.batch_sizes if y > gname[stkcd]]
        listed_by_year[int(rng.choice(later))].append(stkcd)

    # projects of unlisted applicants cluster in some cities, so that other cities
    # never receive a pilot (paper 004 needs never-treated cities)
    city_list = list(cities)
    hosts = [str(c) for c in rng.choice(city_list, size=max(1, int(0.55 * len(city_list))), replace=False)]
    rows, truth = [], []
    for year, size in cfg.batch_sizes:
        first = [s for s in listed_by_year[year] if gname[s] == year]
        assert len(first) <= size, "more first-time listed pilots than projects in a batch"
        listed = (first + [s for s in listed_by_year[year] if gname[s] != year])[:size]
        slots = [("listed", s) for s in listed] + [("unlisted", None)] * (size - len(listed))
        order = rng.permutation(len(slots))
        modes = _MODES_2015 if year == 2015 else _MODES_LATER
        for seq, idx in enumerate(order, start=1):
            kind, stkcd = slots[idx]
            if kind == "listed":
                rec = f.loc[stkcd]
                u = rng.random()
                if u < 0.6:
                    applicant, form = rec["name"], "full_name"
                elif u < 0.88:
                    applicant, form = str(rng.choice(subs[stkcd])), "subsidiary"
                else:
                    applicant, form = f"{rec['short_name']}（集团）股份有限公司", "variant"
                city = rec["city"] if form != "subsidiary" else next(
                    (c for c in cities if applicant.startswith(c)), rec["city"])
            else:
                city = str(rng.choice(hosts))
                applicant, form = unlisted_name(rng, city, year * 1000 + seq), "unlisted"
            project = f"{rng.choice(_PRODUCTS)}{rng.choice(modes)}试点示范"
            rows.append((year, BATCH_LABEL[year], seq, project, applicant, cities[city], city))
            truth.append((year, seq, stkcd or "", form))
    listing = pd.DataFrame(rows, columns=PILOT_COLUMNS)
    return listing, pd.DataFrame(truth, columns=["batch_year", "seq", "stkcd", "name_form"])


def city_first_pilot(listing: pd.DataFrame) -> pd.Series:
    """First announcement year of any pilot project in each city (paper 004's treatment)."""
    return listing.groupby("所在城市")["年份"].min().rename("first_pilot_year")


__all__ = ["PILOT_COLUMNS", "select_pilots", "pilot_list", "city_first_pilot", "PROVINCES"]
