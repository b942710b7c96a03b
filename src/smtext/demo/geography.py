"""Code tables the demo world draws from: provinces, cities, regions, industries.

Facts re-keyed from public code tables: the NBS east/central/west division of
provinces (国家统计局 东中西部划分) and the CSRC industry classification of listed
firms (中国证监会《上市公司行业分类指引》2012 年修订). Only the subset the demo
world needs is kept.
"""

from __future__ import annotations

# province -> (region, [prefecture-level cities]); region per the NBS three-way split
PROVINCES: dict[str, tuple[str, list[str]]] = {
    "北京": ("east", ["北京"]),
    "上海": ("east", ["上海"]),
    "天津": ("east", ["天津"]),
    "江苏": ("east", ["南京", "苏州", "无锡", "常州"]),
    "浙江": ("east", ["杭州", "宁波", "温州", "绍兴"]),
    "广东": ("east", ["广州", "深圳", "佛山", "东莞"]),
    "山东": ("east", ["济南", "青岛", "烟台", "潍坊"]),
    "福建": ("east", ["福州", "厦门", "泉州"]),
    "河北": ("east", ["石家庄", "唐山"]),
    "辽宁": ("east", ["沈阳", "大连"]),
    "安徽": ("central", ["合肥", "芜湖"]),
    "湖北": ("central", ["武汉", "宜昌", "襄阳"]),
    "湖南": ("central", ["长沙", "株洲", "湘潭"]),
    "河南": ("central", ["郑州", "洛阳"]),
    "江西": ("central", ["南昌", "赣州"]),
    "山西": ("central", ["太原"]),
    "吉林": ("central", ["长春"]),
    "四川": ("west", ["成都", "绵阳", "德阳"]),
    "重庆": ("west", ["重庆"]),
    "陕西": ("west", ["西安", "宝鸡"]),
    "广西": ("west", ["南宁", "柳州"]),
    "云南": ("west", ["昆明"]),
    "贵州": ("west", ["贵阳"]),
    "新疆": ("west", ["乌鲁木齐"]),
}

# draw weights: listed firms cluster in the coastal provinces
PROVINCE_WEIGHTS: dict[str, float] = {
    "北京": 6, "上海": 6, "天津": 1.5, "江苏": 12, "浙江": 13, "广东": 15, "山东": 6,
    "福建": 4, "河北": 1.5, "辽宁": 2, "安徽": 3.5, "湖北": 3, "湖南": 3, "河南": 2.5,
    "江西": 1.5, "山西": 1, "吉林": 1, "四川": 4, "重庆": 1.5, "陕西": 1.5, "广西": 1,
    "云南": 1, "贵州": 0.8, "新疆": 1,
}

# CSRC-2012 division -> (name, factor-intensity class, draw weight)
INDUSTRIES: dict[str, tuple[str, str, float]] = {
    "C13": ("农副食品加工业", "labor", 2),
    "C14": ("食品制造业", "labor", 2),
    "C15": ("酒、饮料和精制茶制造业", "labor", 1.5),
    "C17": ("纺织业", "labor", 2),
    "C18": ("纺织服装、服饰业", "labor", 1.5),
    "C22": ("造纸和纸制品业", "labor", 1),
    "C26": ("化学原料和化学制品制造业", "capital", 7),
    "C27": ("医药制造业", "technology", 7),
    "C29": ("橡胶和塑料制品业", "labor", 3),
    "C30": ("非金属矿物制品业", "capital", 3),
    "C31": ("黑色金属冶炼和压延加工业", "capital", 1.5),
    "C32": ("有色金属冶炼和压延加工业", "capital", 2.5),
    "C33": ("金属制品业", "labor", 2.5),
    "C34": ("通用设备制造业", "technology", 5),
    "C35": ("专用设备制造业", "technology", 7),
    "C36": ("汽车制造业", "capital", 4.5),
    "C37": ("铁路、船舶、航空航天和其他运输设备制造业", "capital", 2),
    "C38": ("电气机械和器材制造业", "technology", 8),
    "C39": ("计算机、通信和其他电子设备制造业", "technology", 11),
    "C40": ("仪器仪表制造业", "technology", 2),
    "I65": ("软件和信息技术服务业", "technology", 4),
    "J66": ("货币金融服务", "capital", 1),
    "J67": ("资本市场服务", "capital", 1),
    "K70": ("房地产业", "capital", 2),
    "F51": ("批发业", "labor", 2),
    "D44": ("电力、热力生产和供应业", "capital", 2),
}


def city_province() -> dict[str, str]:
    """City -> province for every city in :data:`PROVINCES`."""
    return {city: prov for prov, (_, cities) in PROVINCES.items() for city in cities}
