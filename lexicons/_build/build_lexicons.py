"""Build smtext's shipped keyword lexicons from the public reference data.

The outputs (``lexicons/<name>.csv`` and ``<name>.meta.json``) are committed; this
script documents how they were made and lets anyone rebuild them. It is never run
at install or test time (the reference folder is not part of the project).

Usage, from anywhere::

    python lexicons/_build/build_lexicons.py                 # rewrite the lexicons in the repo
    python lexicons/_build/build_lexicons.py --check         # rebuild in a temporary folder and
                                                             # compare byte for byte with the repo
    python lexicons/_build/build_lexicons.py --reference /path/to/shared/reference --out /tmp/lex

``--reference`` defaults to ``../shared/reference`` next to the repository root.
Only the lexicons listed in ``BUILT`` come from this script; the other files in
``lexicons/`` (IPC concordances, user dictionaries) are maintained by hand.
"""
import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]          # the repository root
REF = ROOT.parent / "shared" / "reference"          # overridden by --reference
OUT = ROOT / "lexicons"                             # overridden by --out / --check
BUILT = ["wufei2021_digital", "smart_manufacturing", "ai", "nqpf_seed", "industrial_foundation_keywords",
         "visit_standard", "rd_subsidy", "negators", "third_party_subjects", "section_titles", "ai_jobs"]


WRITTEN: list[str] = []


def write(name, rows, meta):
    seen = {}
    clean = []
    for r in rows:
        cat, term = r[0], r[1].strip()
        note = r[2] if len(r) > 2 else ""
        if not term or term in seen:
            continue
        seen[term] = cat
        clean.append((cat, term, note))
    with open(OUT / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["category", "term", "note"])
        w.writerows(clean)
    meta = {"name": name, **meta, "n_terms": len(clean),
            "categories": {c: sum(1 for r in clean if r[0] == c) for c in dict.fromkeys(r[0] for r in clean)}}
    (OUT / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    WRITTEN.extend([f"{name}.csv", f"{name}.meta.json"])
    return clean


# AI positions in recruitment postings: paper 002 screens postings "以人工智能等关键词"; the narrow-AI
# skill list of Acemoglu, Autor, Hazell & Restrepo (2022, JOLE 40(S1), Table A1 "narrow AI") in Chinese
AAHR_NARROW_AI = ["机器学习", "计算机视觉", "机器视觉", "深度学习", "虚拟助手", "图像识别", "自然语言处理", "语音识别",
                  "模式识别", "目标识别", "神经网络", "聊天机器人", "监督学习", "无监督学习", "文本挖掘", "图像处理",
                  "推荐系统", "支持向量机", "随机森林", "潜在语义分析", "情感分析", "意见挖掘", "潜在狄利克雷分配",
                  "预测模型", "核方法", "Keras", "梯度提升", "OpenCV", "XGBoost", "LIBSVM", "Word2Vec", "机器翻译",
                  "情感分类"]
AI_JOBS_META = {
    "title": "AI positions in recruitment postings (paper 002 Aijob)",
    "publication": "paper 002 (刘和旺、李修玉、郑世林, s. 5.1: 以人工智能等关键词筛选出企业的人工智能岗位招聘数量, Aijob); skill list of Acemoglu, Autor, Hazell & Restrepo (2022), AI and Jobs: Evidence from Online Vacancies, Journal of Labor Economics 40(S1), narrow-AI skills",
    "authors": ["smtext developers"], "year": 2022, "version": "0.1",
    "source": "paper002: the paper's keyword (人工智能, AI); aahr2022: Acemoglu et al. (2022) narrow-AI skill names translated into the wording of Chinese postings; genai: generative-AI words of smtext's ai lexicon (core) that postings use since 2023",
    "licence": "CC0 (word list)",
    "how_built": "a posting is an AI position when its title or description holds a term (negated mentions such as 无需人工智能经验 removed by the negation filter). Broader AI-application words of the annual-report lexicon (ai.csv: 智能机器人, 商业智能, 身份验证 ...) are left out: in a posting they name a product or a department, not an AI skill.",
    "usage": "smtext.text.postings.screen_postings on a postings table (title, description); ai_postings per firm-year; Aijob = ln(1 + ai_postings).",
}


def ai_jobs_rows() -> list:
    return ([("paper002", "人工智能", "paper 002 s5.1"), ("paper002", "AI", "paper 002 s5.1 (Latin: matched as a word)")]
            + [("aahr2022", t, "Acemoglu et al. 2022 narrow AI") for t in AAHR_NARROW_AI]
            + [("genai", t, "smtext ai lexicon, core") for t in ("大模型", "生成式人工智能", "AIGC")])


def build() -> list[str]:
    """Write every lexicon of ``BUILT`` into ``OUT``; return the file names written."""
    written_before = set(WRITTEN)
    # ---------------------------------------------------------------- Wu Fei 2021
    wf = pd.read_csv(REF / "03a_wufei2021_digital_transformation_dict" / "wufei2021_dt_keywords.csv")
    wufei = write("wufei2021_digital", [(r.dimension_en, r.keyword, f"{r.dimension_cn}; {r.layer}; order {r.order_in_dimension}")
                                        for r in wf.itertuples()], {
        "title": "企业数字化转型词典 (76 keywords, 5 dimensions)",
        "publication": "吴非, 胡慧芷, 林慧妍, 任晓怡 (2021). 企业数字化转型与资本市场表现——来自股票流动性的经验证据. 管理世界, 37(7), 130-144.",
        "authors": ["吴非", "胡慧芷", "林慧妍", "任晓怡"], "year": 2021, "version": "1.0",
        "source": "the paper's keyword figure; machine-readable copy in the cntext package (MIT), cntext/io/data/zh_common_Digitalization.yaml; cross-checked against four public copies",
        "licence": "facts (a published word list); cntext data MIT",
        "how_built": "re-keyed one to one: category = English dimension key (ai, big_data, cloud, blockchain, digital_application); note = Chinese dimension name, layer (底层技术运用/技术实践应用) and order within the dimension.",
        "category_labels": {"ai": "人工智能技术", "big_data": "大数据技术", "cloud": "云计算技术", "blockchain": "区块链技术", "digital_application": "数字技术运用"},
        "usage": "count in the annual report (full text; MD&A as a robustness scope), drop negated mentions, ln(1+count)."})
    assert len(wufei) == 76

    # ---------------------------------------------------------------- CNIPA 2023 branches
    br = pd.read_csv(REF / "03e_cnipa_key_digital_tech_2023_AI_IIoT" / "key_digital_tech_2023_keywords_long.csv", dtype=str)
    def cnipa(sub):
        d = br[br.subsystem == sub]
        return {k: b for k, b in zip(d.keyword, d.branch_no)}

    iiot = cnipa("工业互联网")
    # hand-picked, manufacturing-specific keywords of the 工业互联网 sub-system (see how_built)
    IIOT_KEEP = ["智能传感器", "智能传感系统", "智能传感元件", "工业视觉", "视觉检测", "工业控制系统", "工控系统", "工业主控器",
                 "工厂控制系统", "现场总线控制系统", "工业总线", "SCADA", "监督控制和数据采集系统", "PLC", "可编程逻辑控制器",
                 "工业网关", "工业互联网网关", "工业智能网关", "工业以太网", "时间敏感网络", "标识解析", "工业大数据", "工业数据采集",
                 "工业数据处理", "工业数据加工", "工业数据存储", "工业云存储", "工业数据管理", "工业数据挖掘", "工业数据分析",
                 "工业数据统计", "工业云计算", "工业云平台", "工业互联网平台", "工业微服务", "工业机理", "数字孪生", "数字双胞胎",
                 "信息物理系统", "数字线程", "孪生建模", "孪生仿真", "工业APP", "工业应用软件", "工业应用开发引擎", "计算机辅助设计",
                 "计算机辅助制造", "计算机辅助工程", "计算机辅助工艺规划", "计算机辅助工艺设计", "产品生命周期管理", "PLM",
                 "产品数据管理", "工业控制软件", "工控软件", "先进过程控制", "工业监控软件", "组态软件", "制造执行系统",
                 "制造执行软件", "制造过程管理", "MES系统", "故障预测与健康管理", "工业互联网安全"]
    missing = [k for k in IIOT_KEEP if k not in iiot]
    assert not missing, missing
    POLICY = ["智能制造", "智能工厂", "数字化车间", "智能车间", "数字化工厂", "智慧工厂", "无人工厂", "黑灯工厂", "灯塔工厂",
              "智能化改造", "数字化改造", "智能化转型", "两化融合", "工业4.0", "中国制造2025", "智能生产线", "智能产线",
              "数字化生产线", "自动化生产线", "智能装备", "智能制造装备", "个性化定制", "大规模定制", "网络协同制造", "协同制造",
              "远程运维", "远程诊断", "预测性维护", "智能物流", "智能仓储", "柔性制造", "柔性生产", "柔性生产线"]
    TECH = ["工业互联网", "工业机器人", "数字孪生", "制造执行系统", "MES", "工业软件", "工业物联网", "机器视觉", "协作机器人",
            "焊接机器人", "增材制造", "3D打印", "数控机床", "自动导引车", "AGV", "高级计划与排程", "智能检测"]
    rows = [("policy", t, "smtext list (issue 4; MIIT 智能制造试点示范 project types)") for t in POLICY]
    rows += [("technology", t, "smtext list (issue 4)") for t in TECH]
    rows += [("cnipa_iiot", t, f"CNIPA 2023 工业互联网 branch {iiot[t]}") for t in IIOT_KEEP]
    smart = write("smart_manufacturing", rows, {
        "title": "智能制造 keyword lexicon (policy and technology terms)",
        "publication": "smtext construction, following the text measure of 赵烁 et al. (2023) used in papers 000/001 (the authors do not publish their list); technology terms from 国家知识产权局《关键数字技术专利分类体系（2023）》 (六) 工业互联网技术.",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1",
        "source": "CNIPA 关键数字技术专利分类体系（2023）, sub-system (六) 工业互联网技术 (99 branches, transcription in vvangpc/pr-re data/shuzi_iiot.js @ab5c0d4); MIIT 2015 智能制造试点示范专项行动实施方案 project types; issue 4 term list",
        "licence": "CC0 (word list); CNIPA classification is an official public document",
        "how_built": ("three parts, de-duplicated in this order: (1) policy: MIIT pilot-programme vocabulary (智能工厂, 数字化车间, 智能化改造, ...); "
                      "(2) technology: core smart-manufacturing technologies named in issue 4 (工业互联网, 工业机器人, 数字孪生, MES, ...); "
                      "(3) cnipa_iiot: keywords of the CNIPA 2023 工业互联网 sub-system hand-picked as manufacturing-specific: kept sensing/control "
                      "(1.1.x), industrial networks 1.2.3/1.2.5, identifier resolution 1.3.2, industrial data/platform/twin/app/software branches "
                      "(2.x) and 3 (工业互联网安全); dropped telecom physical-layer branches (1.2.1-1.2.2, 5G, MIMO, LDPC, WiFi, IPv6), generic IT "
                      "terms (大数据分析, 边缘计算, 知识图谱, 分布式存储, 多租户, 微服务架构, 三维建模, 有限元分析), generic components "
                      "(温度传感器, MEMS), short ambiguous acronyms (CAD, CAM, CAE, DCS, OPC, RIS, SDV, NSI...) and the security branch's "
                      "generic words (数据安全, 匿名, 风险评估). Not included on purpose: 智能机器人, 人工智能, 机器学习 (counted by ai.csv and "
                      "wufei2021_digital.csv) and bare 机器人/智能化 (they would count 智能机器人 and many non-manufacturing uses)."),
        "usage": "count in the annual report; sum over categories; ln(1+count). Clean controls (paper 002): firms with zero raw mentions in every year."})

    # ---------------------------------------------------------------- AI
    ai_c = cnipa("人工智能")
    AI_DROP = {"GPU", "FPGA", "ASIC", "CPLD", "NPU", "SOC芯片", "分词", "本体论", "决策树", "策略优化", "社会模拟", "虚拟世界",
               "合成生活", "人造生命", "虚拟生物", "量子力学", "量子比特", "量子编程", "量子算法", "动画制作", "虚拟游戏", "虚拟购物",
               "词频统计", "语法分析", "图像对比度", "图像动态范围", "图像滤波", "图像校正", "图像标准化", "图像锐化", "图像增强",
               "图像合成", "图像重建", "图像提取", "图像检测", "图像传感", "图像生成", "图像匹配", "图像聚类", "图像检索", "图像分类",
               "智能眼镜", "头戴显示器", "数据手套", "触觉反馈", "语音提示", "语音输入", "语音导航", "语音控制", "语音增强",
               "语音分类", "语音检索", "语音编码解码", "语音传感", "声音分析", "声音识别", "动作捕捉", "动作感知", "动作识别",
               "行为监控", "活体检测", "DNA检测", "DNA编解码", "DNA比对", "DNA鉴定", "DNA识别", "指纹输入", "指纹提取", "指纹分类",
               "指纹验证", "面部捕获", "面部提取", "虹膜检测", "视网膜检测", "虹膜验证", "波形拼接", "文语合成", "直译翻译",
               "规则式翻译", "中介语式翻译", "语言转换器", "专用集成电路", "专用大规模集成电路", "专用集成芯片", "专用芯片",
               "图形处理器", "图像处理器", "视觉处理器", "显示卡芯片", "显卡芯片", "现场可编程逻辑器件", "现场可编程门阵列",
               "现场可编程逻辑门阵列", "忆阻器", "神经拟态", "字符识别", "模式分类", "模式聚类", "对象识别", "客体识别",
               "信号模式识别", "姿态捕捉", "姿态感知", "手部姿态", "手势跟踪", "眼动跟踪", "眼球追踪", "视觉轨迹跟踪",
               "头部轨迹跟踪", "虚拟交互", "增强实境", "虚拟实境", "语义融合", "语义分类", "语义检索", "知识加工", "知识提取",
               "知识融合", "集成学习", "K近邻算法", "支持向量机", "马尔科夫模型", "A3C算法", "深度Q网络", "模仿学习", "增强学习",
               "蚁群算法", "粒子群算法", "蝙蝠算法", "狼群算法", "果蝇算法", "大脑模拟", "脑模型", "神经计算", "神经声码",
               "超导量子处理器", "离子阱量子处理器", "硅基半导体量子处理器", "光量子处理器", "宠物机器人", "生物智能",
               "语音唤醒", "植入式脑机", "非植入式脑机", "智能单片机", "智能集成电路", "隐私计算", "自动翻译", "语音合成",
               "语音传感器", "语音交互", "人机对话", "体感交互", "手势识别", "自然语言查询", "机器问答", "语义处理", "语义分割",
               "图像语义分割", "图像生成式对抗网络", "图像辨别", "面部识别", "表情识别", "人脸验证", "声纹辨认", "声纹拼接",
               "声纹波形", "行为特征识别", "动静脉识别", "指纹识别", "虹膜识别", "虚拟现实", "增强现实", "多智能体系统",
               "神经网络机器翻译", "智能翻译", "语义理解"}
    AI_CORE = ["人工智能", "机器学习", "深度学习", "计算机视觉", "自然语言处理", "智能机器人", "神经网络", "大模型", "人工智能大模型",
               "生成式人工智能", "AIGC", "智能算法", "算法模型", "AI芯片", "智能芯片", "类脑芯片", "类脑计算", "机器人流程自动化"]
    rows = [("core", t, "smtext list (issue 4)") for t in AI_CORE]
    rows += [("wufei_ai", t, "吴非等 (2021) 人工智能技术 dimension") for t in wf[wf.dimension_en == "ai"].keyword]
    def ai_group(b):
        top = b.split(".")[0]
        return {"1": "cnipa_hardware", "2": "cnipa_algorithm", "3": "cnipa_application"}[top]
    rows += [(ai_group(b), k, f"CNIPA 2023 人工智能 branch {b}") for k, b in ai_c.items()
             if k not in AI_DROP and (len(k) >= 4 or not re.fullmatch(r"[A-Za-z0-9]+", k)) and len(k) >= 3]
    ai = write("ai", rows, {
        "title": "人工智能 (AI) keyword lexicon",
        "publication": "smtext construction from 国家知识产权局《关键数字技术专利分类体系（2023）》 (一) 人工智能技术 and the 人工智能技术 dimension of 吴非等 (2021, 管理世界)",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1",
        "source": "CNIPA 2023 AI sub-system (41 branches; transcription vvangpc/pr-re data/shuzi.js @ab5c0d4); 吴非等 (2021) 15 AI keywords; issue 4 list",
        "licence": "CC0 (word list)",
        "how_built": ("(1) core: the issue's AI terms plus common report phrasing (大模型, 生成式人工智能, AIGC, 神经网络, 智能算法); "
                      "(2) wufei_ai: Wu Fei et al.'s 15 AI keywords; (3) cnipa_*: keywords of the CNIPA AI sub-system grouped by top branch "
                      "(1 hardware, 2 algorithms, 3 applications), keeping terms of 3+ characters and dropping patent-search words that are "
                      "generic or rare in reports (chip acronyms GPU/FPGA/ASIC, image-processing operations, quantum-physics words, "
                      "biometric sub-steps, swarm-algorithm names; full drop list in the build notes). Bare 机器人 is not included, so that "
                      "工业机器人 (smart_manufacturing.csv) is not counted as AI."),
        "usage": "count in the annual report or recruitment text; ln(1+count)."})

    # ---------------------------------------------------------------- NQPF seed
    write("nqpf_seed", [("seed", "新质生产力", "coined 2023-09; 2024 政府工作报告")], {
        "title": "新质生产力 seed words", "publication": "paper 002 (N_ML index): seed word 新质生产力, expanded by Word2Vec on analyst reports and screened against the 2023-2024 government work reports",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1", "source": "2024 政府工作报告", "licence": "CC0",
        "how_built": "the seed only; expanded lexicons are produced by smtext.text.w2v and written with their own provenance.",
        "usage": "seed for smtext.text.w2v expansion; count seed + screened similar words in analyst reports."})

    # ---------------------------------------------------------------- industrial foundation catalogue
    cat = pd.read_csv(REF / "05_industrial_foundation_catalog" / "industrial_foundation_catalog_items.csv")
    CAT_KEY = {"基础零部件和元器件": "components", "基础材料": "materials", "工业基础软件": "software",
               "基础制造工艺及装备": "processes_equipment", "产业技术基础": "technology_base"}
    rows = []
    for r in cat.itertuples():
        term = re.sub(r"（[^）]*）|\([^)]*\)", "", str(r.item_nospace)).replace("）", "").strip(" —-")
        if len(term) >= 3:
            rows.append((CAT_KEY[r.category], term, f"{r.field}/{r.category}/{r.number} (p.{r.source_pdf_page})"))
    ifc = write("industrial_foundation_keywords", rows, {
        "title": "产业基础创新发展目录 key-technology items",
        "publication": "国家产业基础专家委员会. 产业基础创新发展目录（2021年版）. 电子工业出版社, 2021 (edition not verified, see note).",
        "authors": ["国家产业基础专家委员会"], "year": 2021, "version": "0.1",
        "source": "1,047 items parsed from the catalogue PDF (sakuruamayday-ops/project-application-assistant, industry-foundation-index.jsonl @428f416)",
        "licence": "facts (official catalogue item names)",
        "how_built": ("one term per catalogue item: the item name with PDF line-wrap spaces removed, parenthetical abbreviations "
                      "removed (（APC）, （三维CAD）), stray brackets and trailing dashes stripped; items shorter than 3 characters and "
                      "exact duplicates (same name in two fields) dropped, keeping the first; category = catalogue category "
                      "(components 基础零部件和元器件, materials 基础材料, software 工业基础软件, processes_equipment 基础制造工艺及装备, "
                      "technology_base 产业技术基础); note = field/category/number (PDF page)."),
        "edition_note": "page headers match the 2021 title but some items (能源电子, TOPCon/HIT, CR450) suggest a later printing; confirm before citing the year.",
        "usage": "paper 002 (Inn): identify core-technology patents by title/abstract keywords together with IPC codes; items are long phrases, so hits in annual reports are rare."})

    # ---------------------------------------------------------------- visit / standardisation (paper 004)
    VISIT = ["参访", "参观访问", "参观学习", "考察学习", "交流学习", "实地考察", "考察交流", "调研考察", "考察调研", "走访调研", "观摩学习"]
    STD = ["标准化", "标准制定", "制定标准", "标准起草", "起草标准", "国家标准", "行业标准", "团体标准", "国际标准", "标准体系",
           "参与起草", "主导制定", "牵头制定", "参与制定", "标准委员会", "标准化技术委员会"]
    write("visit_standard", [("visit", t, "") for t in VISIT] + [("standard", t, "") for t in STD], {
        "title": "参访/标准化 words (knowledge acquisition and standard setting)",
        "publication": "paper 004 (smart-manufacturing pilot spillovers, s5.1) counts 参访 and 标准化 related words in annual reports; its footnote does not list the words, so this list is an smtext construction around the two anchor words.",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1", "source": "paper 004 s5.1 anchor words", "licence": "CC0",
        "how_built": "anchor words 参访 and 标准化 plus common annual-report phrasings of site visits (参观学习, 实地考察 ...) and of taking part in standard setting (参与起草, 行业标准 ...).",
        "usage": "per firm-year counts; split the sample at the median."})

    # ---------------------------------------------------------------- R&D subsidy keywords (papers 002, 004)
    RD = ["研发", "研究开发", "科技", "技术改造", "技改", "创新", "专利", "高新技术", "技术中心", "工程技术", "工程中心", "重点实验室",
          "实验室", "首台套", "首台（套）", "产学研", "科研", "研究院", "新产品", "新技术", "新工艺", "技术开发", "技术攻关",
          "成果转化", "知识产权", "人才计划", "院士工作站", "博士后", "工业设计", "软件产业", "集成电路", "智能制造",
          "两化融合", "信息化", "数字化", "863", "973", "火炬计划", "星火计划", "重大专项"]
    write("rd_subsidy", [("rd", t, "") for t in RD], {
        "title": "R&D-related government-grant keywords",
        "publication": "papers 002 (Sub: 研发补贴 screened from 政府补助明细 by keywords such as 创新 and 技术) and 004; smtext construction.",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1", "source": "papers 002/004 text; common grant names in 政府补助 notes", "licence": "CC0",
        "how_built": "the papers' named words (研发, 科技, 技术改造, 创新, 专利, 高新技术) plus grant-programme names that fund R&D (首台套, 产学研, 重大专项, 火炬计划 ...). A line item is R&D-related when any term occurs in its name (smtext.text.count.classify).",
        "usage": "classify government-grant line items; sum amounts of R&D items per firm-year."})

    # ---------------------------------------------------------------- negators
    NEG = ["不", "没", "没有", "无", "未", "尚未", "并未", "从未", "未曾", "暂未", "暂无", "非", "并非", "毫无", "不曾", "尚无", "并无", "未能"]
    EXC = ["未来", "不断", "不仅", "不但", "不少", "不同", "不久", "不变", "不足", "不利", "不良", "不确定", "不定期", "无论", "不论",
           "非常", "无锡", "无线", "无人", "无形", "无缝", "无纸化", "无菌", "无机", "无损", "无偿", "毫不", "非凡", "非公开",
           "非经常性", "非流动", "非标", "除非", "不得不", "不懈", "不遗余力", "不止", "不乏", "不可或缺", "必不可少", "无疑",
           "未分配", "不超过", "不低于", "不少于", "未经审计", "无可比拟", "不停", "非晶", "非金属", "无源", "无功"]
    write("negators", [("negator", t, "") for t in NEG] + [("exception", t, "contains a negator character but does not negate") for t in EXC], {
        "title": "Negators for keyword context filtering",
        "publication": "吴非等 (2021, 管理世界) drop keyword mentions preceded by a negation (没/无/不 ...); smtext construction of the word list.",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1", "source": "吴非等 (2021) method description", "licence": "CC0",
        "how_built": ("negator: negation words; exception: words that contain a negator character but do not negate (未来, 不断, 无锡, 无人 ...). "
                      "smtext.text.count scans the same clause up to `window` characters before a hit with leftmost-longest matching, so an "
                      "exception consumes its characters and 不断推进智能制造 is not negated."),
        "usage": "filters=('negation',) in smtext.text.count.count_text (default)."})

    # ---------------------------------------------------------------- third-party subjects
    TP = [("customer", ["客户", "顾客", "下游客户", "终端客户", "下游企业", "下游厂商"]),
          ("supplier", ["供应商", "上游供应商", "上游企业", "供货商"]),
          ("director", ["董事", "独立董事", "监事"]),
          ("peer", ["竞争对手", "同行业公司", "同行业企业", "可比公司", "同行"])]
    TP_EXC = ["客户端", "为客户", "向客户", "帮助客户", "助力客户", "服务客户", "满足客户", "为下游客户", "为下游企业", "董事会", "监事会",
              "董事长", "董事会秘书", "为顾客", "客户提供", "同行业领先"]
    rows = [(c, t, "") for c, ts in TP for t in ts] + [("exception", t, "object or firm organ, not a third-party subject") for t in TP_EXC]
    write("third_party_subjects", rows, {
        "title": "Third-party subjects (customers, suppliers, directors, peers)",
        "publication": "smtext construction; the filter follows the practice of dropping technology mentions whose subject is not the firm itself.",
        "authors": ["smtext developers"], "year": 2024, "version": "0.1", "source": "issue 4", "licence": "CC0",
        "how_built": "subject words by role; exception: phrases where the word is an object (为客户, 向客户) or a firm organ (董事会, 董事长).",
        "usage": "filters=('negation', 'third_party') in smtext.text.count.count_text (optional, off by default)."})

    # ---------------------------------------------------------------- section titles
    SEC = [("notice", ["重要提示、目录和释义", "重要提示", "释义"]),
           ("profile", ["公司简介和主要财务指标", "公司简介", "会计数据和财务指标摘要", "会计数据和业务数据摘要"]),
           ("business", ["公司业务概要"]),
           # MD&A variants in order of preference (smtext.text.sections.find_mda tries them in this order):
           # 讨论与分析 is the H-share layout of banks ("7.讨论与分析"), whose 董事会报告 is a separate part
           ("mda", ["管理层讨论与分析", "管理层讨论和分析", "经营情况讨论与分析", "经营情况讨论和分析", "经营层讨论与分析",
                    "讨论与分析", "董事会报告", "董事会工作报告", "董事局报告"]),
           ("matters", ["重要事项"]),
           ("esg", ["环境和社会责任", "环境与社会责任"]),
           ("shares", ["股份变动及股东情况", "股本变动及股东情况", "普通股股份变动及股东情况"]),
           ("preferred", ["优先股相关情况"]),
           ("people", ["董事、监事、高级管理人员和员工情况", "董事、监事和高级管理人员", "董事、监事、高级管理人员和员工"]),
           ("governance", ["公司治理", "公司治理结构"]),
           ("bonds", ["公司债券相关情况", "债券相关情况"]),
           ("financial", ["财务报告", "财务会计报告"]),
           ("documents", ["备查文件目录"])]
    write("section_titles", [(c, t, "") for c, ts in SEC for t in ts], {
        "title": "Section titles of Chinese annual reports (CSRC 年度报告的内容与格式 No.2)",
        "publication": "中国证监会《公开发行证券的公司信息披露内容与格式准则第2号——年度报告的内容与格式》(2012, 2014, 2016, 2017, 2021 revisions)",
        "authors": ["中国证券监督管理委员会"], "year": 2021, "version": "0.2", "source": "section names prescribed by the CSRC format rules; the MD&A was 董事会报告 until 2015, 经营情况讨论与分析 2016-2020, 管理层讨论与分析 from 2021", "licence": "facts",
        "how_built": "one row per title variant; category = section key (mda for the MD&A); within a category the most specific title comes first.",
        "usage": "section detection (smtext.text.sections.find_mda tries the mda titles in file order); scope='mda' in indices."})
    # ---------------------------------------------------------------- AI job postings (paper 002 Table 8, Aijob)
    write("ai_jobs", ai_jobs_rows(), AI_JOBS_META)
    return [n for n in WRITTEN if n not in written_before]


def main(argv=None) -> int:
    global REF, OUT
    parser = argparse.ArgumentParser(description="Build smtext's lexicons from the reference data.")
    parser.add_argument("--reference", type=Path, default=REF,
                        help="folder of the public reference data (default: ../shared/reference next to the repo)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the lexicons (default: the repo's lexicons/)")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and compare byte for byte with --out; exit 1 on a difference")
    args = parser.parse_args(argv)
    REF = args.reference.resolve()
    if not REF.is_dir():
        print(f"reference folder {REF} not found (pass --reference)", file=sys.stderr)
        return 2
    target = args.out.resolve()
    if not args.check:
        OUT = target
        OUT.mkdir(parents=True, exist_ok=True)
        print("written", sorted(build()))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        OUT = Path(tmp)
        names = build()
        differ = [n for n in sorted(names)
                  if not (target / n).is_file() or (target / n).read_bytes() != (OUT / n).read_bytes()]
    print(f"rebuilt {len(names)} files; identical to {target}: {len(names) - len(differ)}; differ: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
