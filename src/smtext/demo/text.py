"""What the demo documents say: planted keyword mentions inside neutral filler.

Every keyword mention is planted by a template sentence and recorded (term,
kind, section), so the counts a reader of the PDF would find are known exactly.
Filler sentences contain no lexicon term and no negator next to a term. With a
:class:`smtext.demo.vocabulary.Prose` the filler is topical prose from the shipped
vocabulary, drawn from a stream of its own: the draws of the fixed filler are still made
(and paragraph breaks use its length), so planted mentions and file names do not move.
A user's planted vocabulary (``WorldConfig.plant``) is placed by :func:`plant_user_terms`.
Kinds of mention:

``affirmative``  the firm itself uses the technology ("公司持续推进智能工厂建设");
``negated``      a negator precedes the term in the clause ("公司目前尚未实施智能制造");
``third_party``  the subject is a customer or supplier ("公司主要客户正在推进智能工厂").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# term groups the demo plants; each must be in the shipped lexicons (tests check)
SMART_TERMS = ["智能制造", "智能工厂", "数字化车间", "工业互联网", "工业机器人", "数字孪生",
               "制造执行系统", "智能化改造", "柔性制造", "工业软件"]
DIGITAL_TERMS = ["人工智能", "大数据", "云计算", "区块链", "物联网", "移动互联网", "移动互联",
                 "机器学习", "数字营销", "电子商务"]
AI_TERMS = ["人工智能", "机器学习", "深度学习", "计算机视觉", "自然语言处理", "智能机器人"]
NQPF_SEED = "新质生产力"
# planted Word2Vec neighbours of the seed: in analyst reports AND government work reports
NQPF_SYNONYMS = ["科技创新", "颠覆性技术", "前沿技术", "未来产业", "战略性新兴产业", "数智化转型",
                 "高质量发展", "绿色低碳"]
# similar in analyst reports but absent from government work reports: screening drops them
NQPF_JARGON = ["新赛道", "硬科技"]

AFFIRMATIVE = ["报告期内，公司持续推进{t}建设，相关投入稳步增加。", "公司围绕{t}开展技术攻关，提升生产效率。",
               "公司在{t}领域取得积极进展。", "依托{t}，公司优化了生产组织方式。",
               "公司加大{t}相关投入，推动业务升级。"]
NEGATED = ["公司目前尚未实施{t}相关项目。", "报告期内公司未开展{t}业务。", "公司没有涉及{t}领域。"]
THIRD_PARTY = ["公司主要客户正在推进{t}建设。", "部分供应商已启动{t}项目。"]

FILLER = [
    "报告期内，公司实现营业收入稳步增长，经营业绩保持稳定。",
    "公司进一步完善内部控制体系，提升规范运作水平。",
    "公司严格按照相关法律法规的要求，履行信息披露义务。",
    "报告期内，公司主营业务未发生重大变化。",
    "公司持续加强成本管理，降低期间费用。",
    "公司重视投资者关系管理，维护全体股东的合法权益。",
    "公司坚持稳健经营，合理安排资金使用计划。",
    "报告期内，公司安全生产形势总体平稳。",
    "公司注重人才队伍建设，完善薪酬考核机制。",
    "公司按照年度经营计划有序推进各项工作。",
    "公司持续优化产品结构，提高产品附加值。",
    "报告期内，公司应收账款周转情况良好。",
    "公司积极履行社会责任，热心公益事业。",
    "公司董事会认真履行职责，科学决策重大事项。",
    "公司加强原材料采购管理，保障生产供应。",
    "报告期内，公司销售费用较上年同期有所增加。",
    "公司将继续聚焦主业，提升核心竞争力。",
    "公司现金流量状况良好，偿债能力较强。",
]

SECTION_TITLES = ["重要提示、目录和释义", "公司简介和主要财务指标", "公司业务概要", "{mda}", "重要事项",
                  "股份变动及股东情况", "优先股相关情况", "董事、监事、高级管理人员和员工情况",
                  "公司治理", "公司债券相关情况", "财务报告"]
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"]


def mda_title(year: int, variant: int) -> str:
    """Title of the MD&A section as it changed across years (and across firms)."""
    if year <= 2015:
        return ["董事会报告", "管理层讨论与分析"][variant % 2] if year >= 2014 else "董事会报告"
    if year <= 2020:
        return "经营情况讨论与分析"
    return "管理层讨论与分析"


@dataclass
class Mention:
    """One planted keyword mention."""

    term: str
    kind: str      # affirmative | negated | third_party
    section: str   # "mda" or the section key


@dataclass
class Paragraph:
    """A paragraph of text and the mentions planted in it."""

    text: str
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Table:
    """A small grid of cells (first row is the header)."""

    rows: list[list[str]]


@dataclass
class Section:
    """A numbered section: key (``mda`` for the MD&A), heading and blocks."""

    key: str
    heading: str
    blocks: list


@dataclass
class DocumentSpec:
    """Everything needed to render one report."""

    header: str
    cover: list[str]
    sections: list[Section]
    with_toc: bool = True
    english: bool = False
    footer: str | None = None      # a line at the foot of every page (analyst reports)
    # page furniture as real cninfo reports have it (see smtext.demo.pdf.LAYOUTS):
    # "simple" is one header line and 第 N 页; "block" a multi-line header block with the
    # chapter title, the company and the report title, the page-number form page_footer,
    # wide tables and a dotted table of contents
    layout: str = "simple"
    page_footer: str = "第 {n} 页"

    def mentions(self) -> list[Mention]:
        return [m for s in self.sections for b in s.blocks if isinstance(b, Paragraph) for m in b.mentions]


def _filler(rng: np.random.Generator, k: int, prose=None) -> str:
    """``k`` filler sentences: the fixed ones, or topical prose when ``prose`` is given."""
    return _filler_sized(rng, k, prose)[0]


def _filler_sized(rng: np.random.Generator, k: int, prose=None) -> tuple[str, int]:
    """``k`` filler sentences and the length the fixed sentences would have had.

    The draw from ``rng`` is made either way and layout decisions use the fixed length,
    so the planted mentions that follow in the same stream do not move; the prose comes
    from its own stream (``prose.rng``).
    """
    fixed = "".join(FILLER[int(i)] for i in rng.integers(0, len(FILLER), size=k))
    return (fixed if prose is None else prose.sentences(k)), len(fixed)


def _new_paragraph(prose, section: str) -> None:
    if prose is not None:
        from .vocabulary import SECTION_TOPICS

        prose.new_topic(SECTION_TOPICS.get(section))


def plant(rng: np.random.Generator, terms_by_kind: list[tuple[str, str]], section: str,
          filler_between: int = 2, prose=None) -> list[Paragraph]:
    """Paragraphs carrying the given (term, kind) mentions, interleaved with filler."""
    paras: list[Paragraph] = []
    _new_paragraph(prose, section)
    (current, size), mentions = _filler_sized(rng, 1, prose), []
    for term, kind in terms_by_kind:
        pool = {"affirmative": AFFIRMATIVE, "negated": NEGATED, "third_party": THIRD_PARTY}[kind]
        sentence = pool[int(rng.integers(len(pool)))].format(t=term)
        current += sentence
        mentions.append(Mention(term, kind, section))
        more, n = _filler_sized(rng, int(rng.integers(0, filler_between + 1)), prose)
        current, size = current + more, size + len(sentence) + n
        if size > 160:   # the fixed filler's length: paragraph breaks do not depend on the prose
            paras.append(Paragraph(current, mentions))
            _new_paragraph(prose, section)
            (current, size), mentions = _filler_sized(rng, 1, prose), []
    paras.append(Paragraph(current + _filler(rng, 1, prose), mentions))
    return paras


def plant_user_terms(prose, terms: list[tuple[str, str]], section: str, filler_between: int = 2) -> list[Paragraph]:
    """Paragraphs carrying a user's planted (term, topic) mentions in prose of the term's topic.

    Every draw is from ``prose.rng``; each mention is one sentence of
    :data:`smtext.demo.vocabulary.PLANT_TEMPLATES` that holds the term once and no other
    lexicon or planted term. Mentions are recorded with kind ``user``.
    """
    paras: list[Paragraph] = []
    current, mentions, topic = "", [], None
    for term, t in terms:
        if topic != t and current:
            paras.append(Paragraph(current, mentions))
            current, mentions = "", []
        if not current:
            topic = t
            current = prose.sentences(1, topic)
        current += prose.plant_sentence(term, topic)
        mentions.append(Mention(term, "user", section))
        current += prose.sentences(prose.integer(filler_between + 1), topic)
        if len(current) > 160:
            paras.append(Paragraph(current, mentions))
            current, mentions = "", []
    if current:
        paras.append(Paragraph(current + prose.sentences(1, topic), mentions))
    return paras


def draw_mentions(rng: np.random.Generator, terms: list[str], rate: float,
                  p_negated: float = 0.08, p_third: float = 0.07) -> list[tuple[str, str]]:
    """Poisson number of mentions at ``rate``, each a random term and kind."""
    n = int(rng.poisson(rate))
    out = []
    for _ in range(n):
        u = rng.random()
        kind = "negated" if u < p_negated else "third_party" if u < p_negated + p_third else "affirmative"
        out.append((terms[int(rng.integers(len(terms)))], kind))
    return out


def annual_report(rng: np.random.Generator, firm: dict, year: int, fin: dict, mentions: list[tuple[str, str]],
                  mda_variant: int, prose=None, user_terms: list[tuple[str, str]] | None = None) -> DocumentSpec:
    """Content of one annual report with ``mentions`` spread over MD&A (70%) and two other sections.

    ``prose`` (a :class:`smtext.demo.vocabulary.Prose`) writes the filler from its own
    stream; ``user_terms`` are a user's planted (term, topic) mentions, placed by
    ``prose`` in the MD&A (75%) and the business overview after the planted mentions.
    """
    where = rng.choice(["mda", "business", "matters"], size=len(mentions), p=[0.7, 0.2, 0.1])
    user_where = ([] if not user_terms else
                  ["mda" if prose.uniform() < 0.75 else "business" for _ in user_terms])
    by_section = {key: [m for m, w in zip(mentions, where) if w == key] for key in ("mda", "business", "matters")}
    mda = mda_title(year, mda_variant)
    keys = ["notice", "profile", "business", "mda", "matters", "shares", "preferred", "people", "governance",
            "bonds", "financial"]
    sections = []
    for idx, (key, title) in enumerate(zip(keys, SECTION_TITLES)):
        heading = f"第{NUMERALS[idx]}节 {title.format(mda=mda)}"
        blocks: list = []
        if key == "profile":
            blocks.append(Paragraph(f"公司中文名称：{firm['name']}。公司股票简称：{firm['short_name']}，股票代码：{firm['stkcd']}。"))
            blocks.append(Table([["项目", f"{year}年", f"{year - 1}年"],
                                 ["营业收入（元）", f"{fin['revenue']:,.2f}", f"{fin['revenue_prev']:,.2f}"],
                                 ["净利润（元）", f"{fin['net_profit']:,.2f}", "不适用"],
                                 ["总资产（元）", f"{fin['total_assets']:,.2f}", "不适用"]]))
        if key in by_section:
            blocks.extend(plant(rng, by_section[key], key, prose=prose))
        if user_terms and key in ("mda", "business"):
            mine = [m for m, w in zip(user_terms, user_where) if w == key]
            if mine:
                blocks.extend(plant_user_terms(prose, mine, key))
        _new_paragraph(prose, key)
        blocks.append(Paragraph(_filler(rng, int(rng.integers(3, 7)), prose)))
        if key == "mda":
            _new_paragraph(prose, key)
            blocks.append(Paragraph(_filler(rng, 6, prose)))
        sections.append(Section(key, heading, blocks))
    header = f"{firm['name']} {year}年年度报告"
    cover = [firm["name"], f"{year}年年度报告", f"股票代码：{firm['stkcd']}  股票简称：{firm['short_name']}"]
    return DocumentSpec(header=header, cover=cover, sections=sections)


def lookalike_report(rng: np.random.Generator, firm: dict, year: int, fin: dict, mentions: list[tuple[str, str]],
                     footer: str = "第 {n} 页 共 {N} 页", filler_paragraphs: int = 4) -> DocumentSpec:
    """An annual report laid out like a real cninfo one (the ``block`` layout of :mod:`smtext.demo.pdf`).

    :func:`annual_report` with long chapters (so that every chapter title runs as a
    header over several pages), a wide table of eight columns in the MD&A and the
    business overview, a header block of four lines, the footer form ``footer``
    and a dotted table of contents. The planted mentions are those of
    :func:`annual_report` (``spec.mentions()``).

    Parameters
    ----------
    rng : numpy.random.Generator
    firm : dict
        ``name, short_name, stkcd``.
    year : int
    fin : dict
        ``revenue, revenue_prev, net_profit, total_assets``.
    mentions : list of (term, kind)
    footer : str
        Footer form with ``{n}`` (page) and ``{N}`` (pages), see ``smtext.demo.pdf.FOOTERS``.
    filler_paragraphs : int
        Extra paragraphs of 12 filler sentences per chapter.

    Returns
    -------
    DocumentSpec
    """
    spec = annual_report(rng, firm, year, fin, mentions, 0)
    for sec in spec.sections:
        sec.blocks.extend(Paragraph(_filler(rng, 12)) for _ in range(filler_paragraphs))
        if sec.key in ("business", "mda"):
            head = ["项目", f"{year}年", f"{year - 1}年", "增减", f"{year - 2}年", "占比", "同比", "备注"]
            rows = [[f"产品{j}", *(f"{rng.uniform(1e6, 1e9):,.2f}" for _ in range(2)), f"{rng.uniform(-30, 30):.2f}%",
                     f"{rng.uniform(1e6, 1e9):,.2f}", f"{rng.uniform(0, 50):.2f}%", f"{rng.uniform(-9, 9):.2f}%", "-"]
                    for j in range(6)]
            sec.blocks.insert(len(sec.blocks) // 2, Table([head, *rows]))
    return replace(spec, layout="block", page_footer=footer)


def summary_report(rng: np.random.Generator, firm: dict, year: int, prose=None) -> DocumentSpec:
    """A 年度报告摘要: short, excluded from indices by default."""
    body = []
    for _ in range(2):
        _new_paragraph(prose, "summary")
        body.append(Paragraph(_filler(rng, 8, prose)))
    return DocumentSpec(header=f"{firm['name']} {year}年年度报告摘要",
                        cover=[firm["name"], f"{year}年年度报告摘要"],
                        sections=[Section("summary", "一、重要提示", body)], with_toc=False)


def english_report(firm: dict, year: int) -> DocumentSpec:
    """An English version of the annual report (excluded by default)."""
    text = ("During the reporting period the Company promoted smart manufacturing and digital workshops. "
            "Revenue grew steadily and the Company kept improving its internal control system. ") * 6
    return DocumentSpec(header=f"{firm['stkcd']} Annual Report {year}", cover=[f"{firm['stkcd']}", f"Annual Report {year}"],
                        sections=[Section("mda", "Section IV Management Discussion and Analysis", [Paragraph(text)])],
                        with_toc=False, english=True)


NQPF_TEMPLATES = ["公司积极培育{w}，加快形成{v}优势。", "{w}赋能主业，驱动{v}持续突破。",
                  "公司以{w}为引领，布局{v}。"]
FINANCE_WORDS = ["营业收入", "毛利率", "净利润", "现金流", "每股收益"]
FINANCE_TEMPLATES = ["预计公司{w}同比增长，{v}有望提升。", "{w}较上年下降若干百分点，{v}承压。"]
MARKET_WORDS = ["市场份额", "销售渠道", "品牌影响力", "客户结构", "海外市场"]
MARKET_TEMPLATES = ["公司持续拓展{w}，优化{v}。", "公司{w}不断扩大，{v}逐步改善。"]
RISK_TEXT = "风险提示：原材料价格波动，行业竞争加剧，下游需求不及预期，汇率波动。"


def analyst_report(rng: np.random.Generator, firm: dict, year: int, broker: str, n_nqpf: int,
                   seed_share: float, prose=None) -> tuple[DocumentSpec, dict[str, int]]:
    """A short analyst report; returns the spec and the planted NQPF word counts.

    ``n_nqpf`` sentences use the NQPF cluster; each slot is the seed word with
    probability ``seed_share`` (only from 2023, when the term was coined), a
    jargon word with probability 0.15, else a synonym. With ``prose`` the finance and
    market sentences are topical prose from its own stream (the draws from ``rng`` are the same).
    """
    counts: dict[str, int] = {}

    def nqpf_word() -> str:
        u = rng.random()
        if u < seed_share:
            w = NQPF_SEED
        elif u < seed_share + 0.15:
            w = NQPF_JARGON[int(rng.integers(len(NQPF_JARGON)))]
        else:
            w = NQPF_SYNONYMS[int(rng.integers(len(NQPF_SYNONYMS)))]
        counts[w] = counts.get(w, 0) + 1
        return w

    sentences = []
    for _ in range(n_nqpf):
        sentences.append(NQPF_TEMPLATES[int(rng.integers(len(NQPF_TEMPLATES)))].format(w=nqpf_word(), v=nqpf_word()))
    for _ in range(int(rng.integers(4, 8))):
        pool, tpl = (FINANCE_WORDS, FINANCE_TEMPLATES) if rng.random() < 0.5 else (MARKET_WORDS, MARKET_TEMPLATES)
        a, b = rng.choice(pool, size=2, replace=False)
        sentence = tpl[int(rng.integers(len(tpl)))].format(w=a, v=b)
        sentences.append(sentence if prose is None else prose.sentence("finance" if pool is FINANCE_WORDS else "market"))
    order = rng.permutation(len(sentences))
    body = "".join(sentences[i] for i in order)
    spec = DocumentSpec(
        header=f"{broker} 公司研究报告",
        cover=[f"{firm['short_name']}（{firm['stkcd']}）公司深度报告", f"{broker}  {year}年"],
        sections=[Section("points", "投资要点", [Paragraph(body)]),
                  Section("risk", "风险提示", [Paragraph(RISK_TEXT)])],
        with_toc=False)
    return spec, counts


# ---- broker boilerplate of analyst reports: the same on every report of a broker (planted keywords inside)
BROKER_DETAILS = {  # SAC registration prefix, city, website (made up, in the brokers' real formats)
    "华泰证券": ("S0570", "南京", "www.htsc.com.cn"), "中信证券": ("S1010", "深圳", "www.cs.ecitic.com"),
    "国泰君安": ("S0880", "上海", "www.gtja.com"), "招商证券": ("S1090", "深圳", "www.cmschina.com"),
    "广发证券": ("S0260", "广州", "www.gf.com.cn"), "海通证券": ("S0850", "上海", "www.htsec.com"),
}
ANALYSTS = ["王磊", "李静", "张伟", "刘洋", "陈晨", "杨帆", "赵敏", "周婷"]
# terms looked for in the boilerplate to record its planted mentions (none nested in another)
BOILERPLATE_TERMS = [NQPF_SEED, *NQPF_SYNONYMS, *NQPF_JARGON, "人工智能", "机器学习"]


@dataclass
class Boilerplate:
    """The broker boilerplate added to one analyst report, block by block (``block -> text``)."""

    broker: str
    blocks: dict[str, str]

    def mentions(self) -> list[tuple[str, str, int]]:
        """``(block, term, n)`` of every planted term inside the boilerplate."""
        return [(b, t, txt.count(t)) for b, txt in self.blocks.items() for t in BOILERPLATE_TERMS if t in txt]

    def chars(self) -> int:
        """Characters of boilerplate text once (whitespace not counted; the per-page footer not counted)."""
        return sum(len("".join(txt.split())) for b, txt in self.blocks.items() if b != "footer")


def broker_boilerplate(rng: np.random.Generator, spec: DocumentSpec, broker: str,
                       year: int) -> tuple[DocumentSpec, Boilerplate]:
    """``spec`` with its broker's boilerplate: cover lines, a footer and four closing sections.

    Cover: a 证券研究报告 header, the analyst and her SAC number, and the broker's slogan (one
    line, the same on every report of the broker, with two NQPF synonyms: found only by
    repetition). Footer on every page: 请务必阅读正文之后的免责声明部分. Sections after the
    text: 分析师声明, 投资评级说明, 免责声明 (mentions 人工智能, 机器学习, and 新质生产力 /
    未来产业 from 2023) and 联系方式 (address, telephone, website, licence number).
    ``rng`` draws only the analyst and her certificate number.
    """
    code, city, web = BROKER_DETAILS.get(broker, ("S0000", "北京", "www.example.com.cn"))
    analyst = ANALYSTS[int(rng.integers(len(ANALYSTS)))]
    sac = f"{code}{int(rng.integers(5, 24)):02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 10000)):04d}"
    slogan = f"{broker}研究所：科技创新与高质量发展的研究者。"
    header = "证券研究报告"
    cover = [header, *spec.cover, f"分析师：{analyst}", f"SAC 执业证书编号：{sac}", slogan]
    certification = (f"作者具有中国证券业协会授予的证券投资咨询执业资格，以勤勉的职业态度，独立、客观地出具本报告。"
                     f"本报告清晰准确地反映了作者的研究观点。作者所得报酬的任何部分不曾与、不与，也将不会与本报告中的"
                     f"具体推荐意见或观点直接或间接相关。分析师：{analyst}，SAC 执业证书编号：{sac}。")
    rating = ("公司评级以报告发布日后6个月内的公司股价相对同期沪深300指数的涨跌幅为基准：买入，相对涨幅超过20%；"
              "增持，相对涨幅介于5%与20%之间；中性，相对涨跌幅介于-5%与5%之间；减持，相对跌幅超过5%。"
              "行业评级以行业指数相对沪深300指数的涨跌幅为基准：推荐、中性、回避。")
    views = ("本公司关于新质生产力、未来产业的研究观点可能随市场环境变化而调整，投资者应自行判断。" if year >= 2023
             else "本公司关于产业趋势的研究观点可能随市场环境变化而调整，投资者应自行判断。")
    disclaimer = [(f"本报告由{broker}股份有限公司（以下简称本公司）制作，仅供本公司客户使用。本公司不会因接收人收到本报告而视其为客户。"
                   "本报告所载资料的来源被认为是可靠的，但本公司不保证其准确性或完整性。"),
                  "本报告中有关人工智能、机器学习等技术及其应用前景的表述仅代表研究人员的观点，不构成投资建议。" + views,
                  "本报告版权归本公司所有。未经本公司书面许可，任何机构和个人不得以任何形式翻版、复制、发表或引用本报告。"]
    contact = [f"{broker}股份有限公司研究所", f"地址：{city}市金融街88号 邮编：100033", f"电话：86-10-6656{int(rng.integers(1000, 10000))}",
               f"网址：{web}", f"经营证券期货业务许可证编号：91{code[1:]}0000MA1{int(rng.integers(100000, 999999))}"]
    closing = [Section("certification", "分析师声明", [Paragraph(certification)]),
               Section("rating", "投资评级说明", [Paragraph(rating)]),
               Section("disclaimer", "免责声明", [Paragraph(p) for p in disclaimer]),
               Section("contact", "联系方式", [Paragraph(p) for p in contact])]
    footer = "请务必阅读正文之后的免责声明部分"
    out = DocumentSpec(header=spec.header, cover=cover, sections=[*spec.sections, *closing],
                       with_toc=spec.with_toc, english=spec.english, footer=footer)
    blocks = {"cover_header": header, "cover_analyst": f"分析师：{analyst}SAC 执业证书编号：{sac}",
              "slogan": slogan, "footer": footer,
              **{s.key: s.heading + "".join(p.text for p in s.blocks) for s in closing}}
    return out, Boilerplate(broker, blocks)


def government_report(rng: np.random.Generator, year: int) -> tuple[DocumentSpec, dict[str, int]]:
    """A synthetic government work report (政府工作报告) that uses the seed and its synonyms, never the jargon."""
    counts: dict[str, int] = {}
    paras = []
    for _ in range(6):
        words = [NQPF_SEED] + list(rng.choice(NQPF_SYNONYMS, size=3, replace=False))
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        paras.append(Paragraph(
            f"大力推进现代化产业体系建设，加快发展{words[0]}。坚持{words[1]}引领，培育{words[2]}，推动{words[3]}。"
            + "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念。"))
    return DocumentSpec(header=f"{year}年政府工作报告", cover=["政府工作报告", f"{year}年"],
                        sections=[Section("body", "一、工作回顾与总体部署", paras)], with_toc=False), counts
