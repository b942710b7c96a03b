"""Synthetic Chinese company names: listed firms, their subsidiaries, other applicants.

Names are built from syllables that never form a lexicon term, so keyword
counts in the demo reports come only from the sentences the generator plants.
"""

from __future__ import annotations

import numpy as np

_HEAD = list("华中东南西北海天金银宏泰恒瑞鑫达盛丰隆嘉兴安康新光明远长永顺鸿博凯旭辰")
_CORE = list("信源通宇航诚德晟元卓越峰川岳晶宝辉祥昌凯铭杰锦和力")
_TRADE = {
    "labor": ["食品", "纺织", "服饰", "塑胶", "五金", "家居"],
    "capital": ["化工", "材料", "钢铁", "汽车", "能源", "建材"],
    "technology": ["科技", "电子", "精密", "医药", "电气", "仪器"],
}
_UNIVERSITIES = [
    "清华大学", "浙江大学", "上海交通大学", "华中科技大学", "哈尔滨工业大学", "西安交通大学",
    "东南大学", "华南理工大学", "北京航空航天大学", "电子科技大学", "中南大学", "山东大学",
]
_SUB_SUFFIX = ["有限公司", "有限责任公司", "制造有限公司", "科技有限公司"]


def firm_names(rng: np.random.Generator, intensities: list[str]) -> list[tuple[str, str]]:
    """Unique (full name, short name) pairs, one per firm.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    intensities : list of str
        Factor-intensity class per firm; picks the trade word of the name.
    """
    seen: set[str] = set()
    out = []
    for cls in intensities:
        while True:
            short = rng.choice(_HEAD) + rng.choice(_CORE) + rng.choice(_TRADE[cls])
            if short not in seen:
                break
        seen.add(short)
        out.append((f"{short}股份有限公司", short))
    return out


def subsidiary_names(rng: np.random.Generator, short: str, cities: list[str], n: int) -> list[str]:
    """``n`` subsidiary names of a listed firm, e.g. ``苏州华信科技制造有限公司``."""
    names = []
    for k in range(n):
        city = cities[k % len(cities)]
        names.append(f"{city}{short}{_SUB_SUFFIX[int(rng.integers(len(_SUB_SUFFIX)))]}")
    return list(dict.fromkeys(names))


def unlisted_name(rng: np.random.Generator, city: str, index: int) -> str:
    """Name of an applicant that is not a listed firm (most pilot applicants are not)."""
    head = rng.choice(_HEAD) + rng.choice(_CORE) + rng.choice(_CORE)
    trade = ("机械", "装备", "材料", "电器", "汽车部件", "新能源", "包装", "化纤")[index % 8]
    return f"{city}{head}{trade}有限公司"


def university(rng: np.random.Generator) -> str:
    """A university name for joint patent applications."""
    return str(rng.choice(_UNIVERSITIES))
