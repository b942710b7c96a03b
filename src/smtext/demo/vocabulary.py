"""Topical filler prose for the demo documents, drawn from jieba's dictionary.

Source of the vocabulary: ``dict.txt`` bundled with the ``jieba`` package (word,
frequency, part of speech; 349,046 entries in jieba 0.42.1). Words are kept when they
are 2-4 Chinese characters, a noun (``n``), verbal noun (``vn``), other proper noun
(``nz``), verb (``v``: 排放, 节能) or abbreviation (``j``: 环保) and frequent enough
(``MIN_FREQ``); person and place names (``nr``, ``ns``) are left out. A word belongs
to a topic when it contains one of the topic's marker morphemes in :data:`TOPIC_MARKERS` (the first topic in :data:`TOPICS` order wins);
words that match no marker are not used. Connecting verbs and state phrases are
curated lists (:data:`VERBS`, :data:`STATES`).

Filler sentences fill a template (:data:`TEMPLATES`) with nouns of one topic, so a
paragraph talks about one thing (green production, financing, supply chain ...) and
Word2Vec learns topical neighbourhoods. Every sentence is checked against the
forbidden terms (every term of the shipped keyword lexicons, the demo's planted term
lists and a user's planted vocabulary): a sentence that contains one, also across a
word boundary (智能 + 制造), is drawn again, so filler never adds to a planted count.

Draws come from the caller's generator (a stream of its own in
:mod:`smtext.demo.world`), vocabularies are built from sorted lists, so the prose is
the same whatever ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

TOPICS = ("green", "risk", "supply", "rd", "digital", "finance", "market", "industry", "people")
TOPIC_MARKERS: dict[str, tuple[str, ...]] = {
    "green": ("环保", "环境", "绿色", "节能", "减排", "低碳", "碳", "排放", "污", "废水", "废气", "废弃", "固废",
              "能耗", "生态", "清洁", "光伏", "风电", "太阳能", "新能源", "节水", "循环", "回收", "净化", "脱硫",
              "脱硝", "粉尘", "噪声", "绿化", "环评", "能源", "水资源", "再生", "降耗", "可持续", "气候", "植被",
              "减量", "资源综合"),
    "risk": ("风险", "波动", "不确定", "诉讼", "违约", "减值", "损失", "合规", "监管", "处罚", "安全", "事故",
             "隐患", "防范", "预警", "应急", "担保", "质押", "纠纷", "危机", "坏账", "内控", "稽核"),
    "supply": ("供应", "采购", "物流", "仓储", "库存", "运输", "原材料", "材料", "配送", "供货", "订单", "交付",
               "经销", "零部件", "配件", "货物", "仓库", "货运", "承运", "进货", "原料"),
    "rd": ("研究", "专利", "创新", "工艺", "实验", "试验", "科研", "开发", "设计", "发明", "知识产权", "攻关",
           "样机", "检测", "测试", "配方", "标准", "工程师", "技术", "学科", "课题", "成果"),
    "digital": ("信息", "数据", "网络", "软件", "系统", "平台", "电子", "计算", "算法", "通信", "终端", "芯片",
                "程序", "在线", "服务器", "存储", "网站", "数字"),
    "finance": ("资金", "融资", "利润", "收入", "成本", "费用", "现金", "资产", "负债", "债务", "利率", "汇率",
                "税", "股利", "分红", "投资", "收益", "贷款", "信贷", "账款", "财务", "会计", "审计", "预算", "资本",
                "毛利", "盈利", "营收", "折旧", "摊销", "存货", "利息", "债券", "回款"),
    "market": ("市场", "销售", "品牌", "营销", "消费", "需求", "份额", "出口", "海外", "用户", "推广", "价格",
               "渠道", "商品", "零售", "批发", "贸易", "客源", "广告"),
    "industry": ("生产", "制造", "设备", "产品", "产能", "工厂", "车间", "装置", "机械", "装备", "零件", "产量",
                 "加工", "质量", "工序", "厂房", "基地", "机床", "钢铁", "化工", "电力", "工程", "项目", "产业"),
    "people": ("董事", "监事", "股东", "治理", "制度", "员工", "人才", "培训", "薪酬", "激励", "考核", "职工",
               "团队", "文化", "社会责任", "公益", "岗位", "干部", "人员", "劳动"),
}
# section of an annual report -> topics its filler draws from (others: every topic)
SECTION_TOPICS: dict[str, tuple[str, ...]] = {
    "notice": ("risk", "people"), "profile": ("finance", "market"), "business": ("industry", "market", "rd", "supply"),
    "matters": ("risk", "finance", "people"), "shares": ("finance", "people"), "preferred": ("finance",),
    "people": ("people",), "governance": ("people", "risk"), "bonds": ("finance", "risk"),
    "financial": ("finance",), "summary": ("finance", "market", "industry"),
}
POS = ("n", "vn", "nz", "v", "j")
GENERAL_POS = ("n", "vn")
MIN_FREQ = 3
GENERAL_FREQ = 1000
VERBS = ("推进", "加强", "完善", "提升", "优化", "落实", "深化", "推动", "拓展", "强化", "健全", "提高", "改善",
         "保障", "实施", "开展", "建立", "构建", "加快", "巩固", "扩大", "规范", "整合", "监测", "评估", "管控",
         "引进", "培育", "夯实", "统筹")
STATES = ("稳步提升", "保持稳定", "有所改善", "持续优化", "明显增强", "进一步完善", "稳中有进", "总体平稳",
          "逐步提高", "不断加强", "有序推进", "成效显著")
TEMPLATES = (
    "公司{v}{n}与{n}，{v}{n}。",
    "报告期内，公司{n}{s}，{n}{s}。",
    "围绕{n}，公司{v}{n}和{n}。",
    "公司将继续{v}{n}，{v}{n}。",
    "{n}方面，公司{v}{n}，{n}{s}。",
    "公司高度重视{n}，{v}{n}管理体系。",
    "在{n}领域，公司{v}{n}，{v}{n}。",
    "公司{n}和{n}{s}。",
)
# a user's planted term in a sentence of its topic: {t} is the term
PLANT_TEMPLATES = (
    "公司{v}{n}，把{t}融入{n}和{n}。",
    "{n}方面，公司以{t}为抓手，{v}{n}。",
    "公司{n}与{t}{s}，{n}{s}。",
    "围绕{t}和{n}，公司{v}{n}。",
    "公司{v}{n}，{t}与{n}{s}。",
)
# context lexicons: they select or drop hits near a term, they are not counted
_CONTEXT_LEXICONS = ("negators", "third_party_subjects")
_MAX_TRIES = 50


VOCAB_FILE = Path(__file__).resolve().parents[1] / "data" / "demo_topic_vocabulary.tsv"
# characters of words that do not belong in an annual report (insults, bodily fluids, games ...)
_JUNK = ("血", "辱", "蔑", "秽", "垢", "渍", "卑", "阶级", "游戏", "尸", "屎", "尿", "淫", "妓", "赌", "毒品", "鬼",
         "神", "佛", "魔", "妖", "匪", "贼", "奸", "骂", "死", "杀", "枪", "炮", "战", "军", "兵", "警", "署", "局",
         "部", "委", "厅", "省", "市", "县", "村", "乡", "学", "班", "系", "组", "所", "院", "站", "队", "会",
         "疼", "痛", "病", "鱼", "鸟", "兽", "虫", "酒", "肉", "婚", "恋", "诗", "歌", "舞", "剧", "宫", "庙", "寺",
         "帝", "皇", "臣", "眼", "脸", "腿", "胃", "肝", "污点", "合污", "律性", "人生", "盗", "高手", "行者")


def jieba_dict_path() -> Path:
    """``dict.txt`` of the installed jieba package."""
    import jieba

    return Path(jieba.__file__).resolve().parent / "dict.txt"


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


def build_vocabulary(dict_path: str | Path | None = None) -> list[tuple[str, int, str, str]]:
    """(word, frequency, part of speech, topic) rows from jieba's ``dict.txt``, sorted by topic and word.

    Topic words: nouns, verbs and abbreviations (``n``, ``vn``, ``nz``, ``v``, ``j``: 环保) of
    2-4 Chinese characters with frequency >=
    ``MIN_FREQ`` that contain a marker of :data:`TOPIC_MARKERS` (first topic wins) and no
    junk character. ``general``: nouns of 2-3 characters with frequency >= ``GENERAL_FREQ``
    that match no marker (the words every paragraph shares).
    """
    rows: dict[str, tuple[str, int, str, str]] = {}
    with open(dict_path or jieba_dict_path(), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) != 3 or parts[2] not in POS:
                continue
            word, freq, pos = parts[0], int(parts[1]), parts[2]
            if not 2 <= len(word) <= 4 or not _is_cjk(word) or word.startswith("第") or any(j in word for j in _JUNK):
                continue
            topic = next((t for t in TOPICS if any(m in word for m in TOPIC_MARKERS[t])), "general")
            if topic == "general" and (freq < GENERAL_FREQ or len(word) > 3 or pos not in GENERAL_POS):
                continue
            if topic != "general" and freq < MIN_FREQ:
                continue
            rows[word] = (word, freq, pos, topic)
    return sorted(rows.values(), key=lambda r: (r[3], r[0]))


def write_vocabulary(path: str | Path = VOCAB_FILE, dict_path: str | Path | None = None) -> Path:
    """Write :func:`build_vocabulary` as the shipped TSV (``python -m smtext.demo.vocabulary``)."""
    rows = build_vocabulary(dict_path)
    lines = ["# demo topic vocabulary: built by smtext.demo.vocabulary.write_vocabulary from jieba 0.42.1 dict.txt",
             "word\tfreq\tpos\ttopic"] + [f"{w}\t{f}\t{p}\t{t}" for w, f, p, t in rows]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


@lru_cache(maxsize=1)
def topic_vocabulary() -> dict[str, tuple[tuple[str, ...], tuple[int, ...]]]:
    """Topic -> (words, frequencies) of the shipped vocabulary, before any term filter."""
    words: dict[str, list[tuple[str, int]]] = {t: [] for t in TOPICS + ("general",)}
    for line in VOCAB_FILE.read_text(encoding="utf-8").splitlines()[2:]:
        w, f, _, t = line.split("\t")
        words[t].append((w, int(f)))
    return {t: (tuple(w for w, _ in v), tuple(f for _, f in v)) for t, v in words.items()}


@lru_cache(maxsize=2)
def lexicon_terms(context: bool = False) -> tuple[str, ...]:
    """Every term of the shipped keyword lexicons (``context=True``: of the negators and subjects).

    The folder is found as :func:`smtext.text.lexicon.lexicon_dir` finds it (the demo imports no
    measurement code); files without a ``term`` column (IPC concordances) add nothing.
    """
    candidates = [Path(__file__).resolve().parents[3] / "lexicons", Path(sys.prefix) / "share" / "smtext" / "lexicons"]
    folder = next((c for c in candidates if c.is_dir()), None)
    if folder is None:
        raise FileNotFoundError(f"the lexicon folder was not found (looked in {[str(c) for c in candidates]})")
    terms = set()
    for path in sorted(folder.glob("*.csv")):
        if (path.stem in _CONTEXT_LEXICONS) != context:
            continue
        lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if not ln.startswith("#")]
        for row in csv.DictReader(lines):
            term = (row.get("term") or "").strip()
            if term:
                terms.add(term)
    return tuple(sorted(terms))


class _Matcher:
    """Every occurrence of a set of terms in a text (Aho-Corasick automaton)."""

    def __init__(self, terms):
        import ahocorasick

        self.terms = tuple(sorted({t for t in terms if t}))
        self._auto = ahocorasick.Automaton()
        for t in self.terms:
            self._auto.add_word(t, t)
        if self.terms:
            self._auto.make_automaton()

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of every occurrence, nested and overlapping ones included."""
        if not self.terms:
            return []
        return [(end + 1 - len(t), end + 1, t) for end, t in self._auto.iter(text)]

    def found(self, text: str) -> list[str]:
        return [t for _, t in self._auto.iter(text)] if self.terms else []


def _parse(template: str) -> tuple[tuple[str, str], ...]:
    """``"公司{v}{n}。"`` -> ((literal, slot), ...) with slot "" after the last literal."""
    parts, out = template.split("{"), []
    out.append((parts[0], ""))
    for part in parts[1:]:
        slot, rest = part.split("}", 1)
        out.append(("", slot))
        out.append((rest, ""))
    return tuple(x for x in out if x != ("", ""))


_PARSED = tuple(_parse(t) for t in TEMPLATES)
_BUFFER = 1024


@dataclass
class Prose:
    """Topical filler sentences from a generator of their own.

    Parameters
    ----------
    rng : numpy.random.Generator
        The filler stream (independent of the streams of planted mentions); uniforms are
        drawn from it in blocks of 1024 (every choice below is one uniform).
    forbidden : sequence of str
        Terms no sentence may contain (the lexicons' terms are always added).
    """

    rng: np.random.Generator
    forbidden: tuple = ()
    topic: str = "industry"
    _pools: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._pools, self.matcher = _pools(tuple(sorted(set(self.forbidden))))
        self._u: list[float] = []
        self._i = 0

    def uniform(self) -> float:
        """Next uniform of the stream."""
        if self._i >= len(self._u):
            self._u, self._i = self.rng.random(_BUFFER).tolist(), 0
        self._i += 1
        return self._u[self._i - 1]

    def choice(self, seq):
        return seq[int(self.uniform() * len(seq))]

    def integer(self, high: int) -> int:
        """Uniform integer in ``[0, high)``."""
        return int(self.uniform() * high)

    def new_topic(self, topics: tuple | None = None) -> str:
        """Start a paragraph on a topic drawn from ``topics`` (default: every topic)."""
        self.topic = self.choice(topics or TOPICS)
        return self.topic

    def _noun(self, topic: str) -> str:
        words, cum = self._pools[topic]
        return words[min(len(words) - 1, bisect.bisect_right(cum, self.uniform() * cum[-1]))]

    def _fill(self, parsed, topic: str, term: str = "") -> str:
        out = []
        for literal, slot in parsed:
            if not slot:
                out.append(literal)
            elif slot == "n":
                # 20% of the nouns are general words, 10% from another topic: topics overlap as in reports
                u = self.uniform()
                out.append(self._noun(topic if u >= 0.3 else "general" if u >= 0.1 else self.choice(TOPICS)))
            elif slot == "v":
                out.append(self.choice(VERBS))
            elif slot == "s":
                out.append(self.choice(STATES))
            else:
                out.append(term)
        return "".join(out)

    def sentence(self, topic: str | None = None) -> str:
        """One filler sentence on ``topic`` (default: the paragraph's) with no forbidden term."""
        topic = topic or self.topic
        for _ in range(_MAX_TRIES):
            s = self._fill(self.choice(_PARSED), topic)
            if not self.matcher.found(s):
                return s
        return "公司按照年度经营计划有序推进各项工作。"

    def sentences(self, k: int, topic: str | None = None) -> str:
        return "".join(self.sentence(topic) for _ in range(k))

    def plant_sentence(self, term: str, topic: str) -> str:
        """A sentence on ``topic`` carrying ``term`` once and no other forbidden term.

        ``term`` must be one of ``forbidden`` (so filler never holds it); a hit of a
        forbidden term inside the slot of ``term`` (a term nested in it) is allowed, any
        other hit, also one across the slot's edge, makes the sentence drawn again.
        """
        for _ in range(_MAX_TRIES):
            head, tail = self.choice(PLANT_TEMPLATES).split("{t}")
            a, b = self._fill(_parse(head), topic), self._fill(_parse(tail), topic)
            s = a + term + b
            # no negator or third-party subject in the term's clause (the counter's context filters)
            clause = a.replace("。", "，").split("，")[-1]
            if (s.count(term) == 1 and _only_inside(s, len(a), len(a) + len(term), self.matcher)
                    and not _context_matcher().found(clause)):
                return s
        raise ValueError(f"cannot place the planted term {term!r} without touching another term")


def _only_inside(s: str, lo: int, hi: int, matcher: _Matcher) -> bool:
    """True when every hit of ``matcher`` in ``s`` lies within ``s[lo:hi]``."""
    return all(lo <= a and b <= hi for a, b, _ in matcher.spans(s))


@lru_cache(maxsize=1)
def _context_matcher() -> _Matcher:
    return _Matcher(lexicon_terms(context=True))


@lru_cache(maxsize=8)
def _pools(forbidden: tuple) -> tuple[dict, _Matcher]:
    matcher = _Matcher(lexicon_terms() + forbidden)
    pools = {}
    for topic, (words, freqs) in topic_vocabulary().items():
        keep = [(w, f) for w, f in zip(words, freqs) if not matcher.found(w)]
        # weight ~ sqrt(frequency): common words dominate, the long tail still appears
        pools[topic] = (tuple(w for w, _ in keep), np.cumsum([np.sqrt(f) for _, f in keep]).tolist())
    return pools, matcher


def vocabulary_summary(forbidden: tuple = ()) -> dict:
    """Words per topic after the term filter and a hash of the lists (recorded in truth.json)."""
    pools, _ = _pools(tuple(sorted(set(forbidden))))
    h = hashlib.sha256()
    for topic in TOPICS + ("general",):
        h.update(("\n".join(pools[topic][0]) + "\n\n").encode())
    return {"source": "jieba dict.txt (word, frequency, part of speech), parts of speech " + "/".join(POS)
                      + f", frequency >= {MIN_FREQ}, 2-4 characters, topics by marker morphemes",
            "words_per_topic": {t: len(pools[t][0]) for t in TOPICS + ("general",)}, "sha256": h.hexdigest()}



def read_plant_file(path: str | Path) -> tuple[tuple[str, float, str], ...]:
    """Rows ``(term, weight, category)`` of a plant CSV: ``term[,weight][,category]``.

    A header row naming ``term`` is optional; weight defaults to 1 and category to ``green``.
    Terms may not repeat, may not contain a term of the shipped keyword lexicons or of the
    demo's planted lists (their counts would move), and must be Chinese characters, letters
    or digits.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(text.splitlines()) if r and r[0].strip() and not r[0].startswith("#")]
    if rows and rows[0][0].strip().lower() == "term":
        header = [h.strip().lower() for h in rows[0]]
        rows = [dict(zip(header, r)) for r in rows[1:]]
        rows = [[r.get("term", ""), r.get("weight", ""), r.get("category", "")] for r in rows]
    out, seen = [], set()
    for r in rows:
        term = r[0].strip()
        weight = float(r[1]) if len(r) > 1 and str(r[1]).strip() else 1.0
        category = r[2].strip() if len(r) > 2 and r[2].strip() else "green"
        if term in seen:
            raise ValueError(f"plant file {path}: term {term!r} is listed twice")
        if weight <= 0:
            raise ValueError(f"plant file {path}: weight of {term!r} must be positive")
        seen.add(term)
        out.append((term, weight, category))
    if not out:
        raise ValueError(f"plant file {path} lists no term")
    check_plant_terms([t for t, _, _ in out])
    return tuple(out)


def check_plant_terms(terms, reserved=()) -> None:
    """Raise ValueError when a planted term holds a lexicon or reserved term, or is not a plain word."""
    matcher = _Matcher(lexicon_terms() + tuple(reserved))
    for term in terms:
        if not term or not all(ch.isalnum() for ch in term):
            raise ValueError(f"planted term {term!r} must be letters, digits or Chinese characters only")
        hits = matcher.found(term)
        if hits:
            raise ValueError(f"planted term {term!r} contains the lexicon term(s) {sorted(set(hits))}: "
                             "planting it would change a planted count")


def plant_topic(category: str) -> str:
    """Topic of a planted term's category (``green`` unless the category names a topic)."""
    return category if category in TOPICS else "green"


if __name__ == "__main__":  # pragma: no cover - rebuilds the shipped file
    print(write_vocabulary())
