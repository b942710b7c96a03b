"""Patent records in the messy shapes real data has, with a planted city spillover.

Key-technology patents carry a main IPC code that the SEI-IPC 2021 concordance
(战略性新兴产业分类与国际专利分类参照关系表 2021) classifies as strategic emerging;
other patents carry codes outside every rule of the concordance. The code lists
were chosen by checking each code against the concordance's patterns and
exclusions (see tests/test_demo_world.py for the check against the rules).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .names import university

KEYTECH_CODES = [
    "H04L27/26", "G06F16/182", "B82Y10/00", "B64G1/10", "C12Q1/6886", "H02J3/38", "G06Q10/08",
    "G02B27/01", "C02F3/34", "B23K37/00", "G01R31/00", "C08K3/04", "G10L19/00", "B60K6/20",
]
NONKEY_CODES = [
    "A47J27/00", "A47J31/44", "B65D81/38", "D06F39/00", "F24C7/08", "A47L15/42", "E06B3/00",
    "F16K31/00", "A43B13/00", "C11D1/00",
]
# two key-technology titles name a keyword of 产业基础创新发展目录 (2021), so paper 002's Inn
# (key-technology IPC and a catalogue keyword) is non-trivial on the demo world
_TITLES_KEY = ["一种基于多载波调制的数据传输方法", "一种分布式存储系统及其控制方法", "一种并网逆变控制装置",
               "一种射频滤波器的封装结构", "一种复合导电材料的制备方法", "一种射频功率放大器的偏置电路"]
_TITLES_NON = ["一种厨房烹饪器具", "一种包装盒", "一种洗衣机排水结构", "一种阀门执行机构", "一种鞋底", "一种门窗型材"]


def format_ipc(rng: np.random.Generator, code: str) -> str:
    """Write one normalized code (``H04L27/26``) in one of the formats seen in real records."""
    sub, rest = code[:4], code[4:]
    group, subgroup = rest.split("/")
    style = rng.integers(0, 5)
    if style == 0:
        return code
    if style == 1:
        return f"{sub} {group}/{subgroup}"
    if style == 2:  # fixed-width: 4-digit group, 6-digit subgroup padded on the right
        return f"{sub}{int(group):04d}{subgroup.ljust(6, '0')}"
    if style == 3:
        return f"{code}(2006.01)"
    return code.translate(str.maketrans("0123456789/ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                        "０１２３４５６７８９／ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"))


def _ipc_field(rng: np.random.Generator, main: str) -> str:
    codes = [main] + [str(c) for c in rng.choice(NONKEY_CODES, size=int(rng.integers(0, 3)), replace=False)
                      if c != main]
    sep = str(rng.choice(["; ", ";", ",", " "]))
    return sep.join(format_ipc(rng, c) for c in codes)


def make_patents(rng: np.random.Generator, firms: pd.DataFrame, subsidiaries: pd.DataFrame,
                 fin: pd.DataFrame, spill: pd.Series, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patent records and the planted firm-year counts.

    Parameters
    ----------
    spill : Series
        Indexed like ``fin``: 1 where a non-pilot firm's city has had a pilot
        announced in an earlier year (paper 004's Policy).

    Returns
    -------
    records : DataFrame
        ``appno, title, abstract, applicants, app_date, grant_date, patent_type, ipc, citations``.
    truth : DataFrame
        ``stkcd, year, n_invention, n_keytech, n_keytech_joint, n_granted_by_end``.
    """
    f = firms.set_index("stkcd")
    subs = subsidiaries.groupby("stkcd")["subsidiary_name"].apply(list)
    rows, truth = [], []
    seq = 0
    for i, rec in enumerate(fin.itertuples()):
        innov = f.at[rec.stkcd, "latent_innov"]
        size = f.at[rec.stkcd, "latent_size"]
        d = rec.treated_post
        lam_key = np.exp(-0.6 + innov + 0.4 * size + cfg.patent_effect * d + cfg.spillover_keytech_effect * spill.iloc[i])
        lam_non = np.exp(0.2 + 0.6 * innov + 0.4 * size + cfg.patent_effect * d)
        n_key, n_non = int(rng.poisson(lam_key)), int(rng.poisson(lam_non))
        n_um = int(rng.poisson(np.exp(0.5 + 0.3 * size)))  # utility models and designs: not inventions
        joint_key = granted = 0
        kinds = ["key"] * n_key + ["non"] * n_non + ["um"] * n_um
        for kind in kinds:
            seq += 1
            names = [rec.name_on_patent if rng.random() < 0.65 else str(rng.choice(subs[rec.stkcd]))]
            if kind != "um" and rng.random() < 0.12:
                names.append(university(rng))
                joint_key += kind == "key"
            if kind == "key":
                main, title = str(rng.choice(KEYTECH_CODES)), str(rng.choice(_TITLES_KEY))
            else:
                main, title = str(rng.choice(NONKEY_CODES)), str(rng.choice(_TITLES_NON))
            month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
            ptype = "发明" if kind != "um" else str(rng.choice(["实用新型", "外观设计"]))
            grant = ""
            if ptype == "发明" and rng.random() < 0.6:
                gy = rec.year + int(rng.integers(2, 5))
                if gy <= cfg.last_year:  # data end: later grants are not yet observed
                    grant = f"{gy}-{int(rng.integers(1, 13)):02d}-15"
                    granted += 1
            rows.append((f"{rec.year}1{seq:07d}.{seq % 10}", title, f"本发明公开了{title[2:]}。", ";".join(names),
                         f"{rec.year}-{month:02d}-{day:02d}", grant, ptype, _ipc_field(rng, main),
                         int(rng.poisson(1.5 * max(cfg.last_year - rec.year, 0) / 5 + 0.2))))
        truth.append((rec.stkcd, rec.year, n_key + n_non, n_key, joint_key, granted))
    records = pd.DataFrame(rows, columns=["appno", "title", "abstract", "applicants", "app_date", "grant_date",
                                          "patent_type", "ipc", "citations"])
    truth_df = pd.DataFrame(truth, columns=["stkcd", "year", "n_invention", "n_keytech", "n_keytech_joint",
                                            "n_granted_by_end"])
    return records, truth_df
