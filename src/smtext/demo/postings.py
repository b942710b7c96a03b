"""Recruitment postings with planted AI demand (paper 002's Aijob, Table 8).

Each observed firm-year posts ``n ~ Poisson(exp(1.6 + 0.4 * latent_size))`` jobs; each is an AI
position with probability ``expit(-2.2 + 0.8 * latent_ai + 0.08 * t + ai_job_effect * D_it)``
(``D_it`` = the firm is a pilot from its selection year), so the pilot raises the log-odds of
an AI posting by ``cfg.ai_job_effect``. An AI posting names an AI skill in its title and its
description; an ordinary posting names none, and some say they need no AI experience
(无需人工智能相关经验, removed by the negation filter). The truth is the planted flag of each
posting (``truth/postings.csv``) and its firm-year counts (``truth/postings_firm_year.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# (title, skill named in the description): every skill is a term of lexicons/ai_jobs.csv
AI_TITLES = [("机器学习工程师", "机器学习"), ("计算机视觉算法工程师", "计算机视觉"), ("自然语言处理研究员", "自然语言处理"),
             ("深度学习平台开发工程师", "深度学习"), ("人工智能产品经理", "人工智能"), ("语音识别算法工程师", "语音识别"),
             ("AI训练师", "神经网络"), ("机器视觉工程师", "机器视觉"), ("推荐系统算法工程师", "推荐系统")]
PLAIN_TITLES = ["机械设计工程师", "销售经理", "财务会计", "生产主管", "质量检验员", "人力资源专员", "电气工程师", "采购专员",
                "仓库管理员", "工艺工程师", "设备维修技术员", "外贸业务员", "行政助理", "数控操作工", "安全生产管理员"]
PLAIN_DUTIES = ["负责产品结构设计与图纸审核", "负责区域客户开发与订单跟进", "负责日常账务处理与税务申报", "负责车间生产计划执行",
                "负责原材料与成品的检验记录", "负责招聘与员工关系管理", "负责配电系统调试与维护", "负责供应商询价与采购合同",
                "负责库存盘点与出入库管理", "负责工艺文件编制与改进", "负责生产设备的点检与维修", "负责海外客户询盘与报关",
                "负责会议安排与办公用品管理", "负责数控机床的操作与保养", "负责安全检查与隐患整改"]
NO_AI_NOTE = "本岗位无需人工智能相关经验。"


def make_postings(rng: np.random.Generator, firms: pd.DataFrame, obs: pd.DataFrame, cfg) -> pd.DataFrame:
    """One row per posting: ``posting_id, stkcd, year, title, description, truth_is_ai``.

    ``obs`` needs ``stkcd, year, treated_post``; ``firms`` the latent traits ``latent_size`` and
    ``latent_ai``. ``truth_is_ai`` is planted truth (kept out of ``data/``).
    """
    f = firms.set_index("stkcd")
    size = obs["stkcd"].map(f["latent_size"]).to_numpy(float)
    ai = obs["stkcd"].map(f["latent_ai"]).to_numpy(float)
    t = (obs["year"] - cfg.first_year).to_numpy(float)
    d = obs["treated_post"].to_numpy(float)
    n = rng.poisson(np.exp(1.6 + 0.4 * size))
    p = 1 / (1 + np.exp(-(-2.2 + 0.8 * ai + 0.08 * t + cfg.ai_job_effect * d)))
    rows = []
    for stkcd, year, k, prob in zip(obs["stkcd"], obs["year"], n, p):
        is_ai = rng.random(int(k)) < prob
        for flag in is_ai:
            if flag:
                title, skill = AI_TITLES[int(rng.integers(len(AI_TITLES)))]
                desc = f"负责{skill}相关模型的研发与部署，本科及以上学历。"
            else:
                j = int(rng.integers(len(PLAIN_TITLES)))
                title = PLAIN_TITLES[j]
                desc = PLAIN_DUTIES[j] + "，具备相关工作经验。" + (NO_AI_NOTE if rng.random() < 0.15 else "")
            rows.append((stkcd, int(year), title, desc, bool(flag)))
    out = pd.DataFrame(rows, columns=["stkcd", "year", "title", "description", "truth_is_ai"])
    out.insert(0, "posting_id", [f"P{i:07d}" for i in range(len(out))])
    return out


def postings_truth(postings: pd.DataFrame) -> pd.DataFrame:
    """Planted postings and AI postings per firm-year (firm-years with a posting)."""
    return (postings.groupby(["stkcd", "year"], as_index=False)
            .agg(postings=("truth_is_ai", "size"), ai_postings=("truth_is_ai", "sum"))
            .astype({"ai_postings": "int64"}))
