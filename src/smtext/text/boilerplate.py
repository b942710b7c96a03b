"""Broker boilerplate in analyst reports (研报): detect it, cut it out, count what was cut.

Every report of a broker carries the same disclaimer (免责声明), analyst certification
(分析师声明), rating definitions (投资评级说明), contact and licence lines and page
headers/footers. Left in, their words are counted and trained on as if the analyst had
written them (a disclaimer that mentions 人工智能 or 新质生产力 adds a mention to every
report of that broker). Three rules, applied to the lines of a report's text (a joined
paragraph is one line), each removed line counted once under the first rule that hits it:

``title``     a boilerplate section title on a line of its own (免责声明, 分析师声明/承诺,
              投资评级说明/定义, 评级说明, 重要/特别/法律/一般声明, 信息披露, 联系方式/联系我们,
              optionally numbered or followed by a colon) and every line after it up to the
              next content heading (投资要点, 风险提示, 盈利预测, a numbered Chinese heading such as
              ``一、行业概况`` or ``2. 盈利预测`` ...) or the
              end of the report: the block is boilerplate, usually the last pages;
``pattern``   a single line that is boilerplate by its form: 执业证书编号 / SAC lines,
              分析师/联系人/研究助理 lines, 电话/邮箱/地址/网址/传真/邮编 lines, the broker's licence
              (证券期货业务许可证, 证券投资咨询业务资格) lines,
              ``证券研究报告`` header lines, 请(务必)阅读...免责声明/重要声明 footers (lines of at most
              ``max_pattern_chars`` characters: a long paragraph that mentions 电话 is content);
``repeated``  a line of at least ``min_repeat_chars`` characters that, digits masked, recurs in
              at least ``min_share`` of one broker's reports (and of at least ``min_firms``
              firms, when the stock code is known), given ``min_reports`` reports of that broker;
              reports of an unknown broker are compared with all reports. Lines starting with
              风险提示 are kept: a risk warning is the analyst's content even when repeated.

The broker comes from a ``broker`` column, else the file name (the last ``_``-separated part
that names a broker: ``..._研究报告_华泰证券_1.pdf``), else the report's first lines. The
repetition rule depends on the set of reports cleaned together: the same set gives the same
text (no randomness). Thresholds: ``min_share = 0.5`` of a broker's reports is far above what
a report-specific sentence reaches and below what a header, slogan or licence line reaches
(every report); ``min_reports = 4`` because with two or three reports a firm's own repeated
phrasing would pass as boilerplate.

Error/warning codes
-------------------
SM140  (warning) the cleaning removed all but ``min_kept_share`` of a report's text (listed)
SM141  invalid cleaning option (a share outside (0, 1], a count below 1)
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from ..errors import SMError, warn

REASONS = ("title", "pattern", "repeated")
# columns added to a documents table by strip_documents
COLUMNS = ("broker", "raw_chars", "boilerplate_chars", "boilerplate_lines", "boilerplate_title_chars",
           "boilerplate_pattern_chars", "boilerplate_repeated_chars", "boilerplate_titles")

_NUM = r"(?:[一二三四五六七八九十]+|\d+(?:\.\d+)*)"
_TITLE = re.compile(
    rf"^(?:{_NUM}\s*[、.．)）]?\s*)?(?:免责声明|免责条款|法律声明|重要声明|特别声明|一般声明|重要提示及免责声明|"
    r"分析师声明|分析师承诺|研究员声明|作者声明|分析师与研究助理简介|分析师简介|"
    r"投资评级说明|投资评级定义|投资评级标准|评级说明|评级定义|评级标准|公司评级说明|行业评级说明|"
    r"信息披露|重要信息披露|法律信息披露|联系方式|联系我们|研究所联系方式|销售联系方式|机构销售通讯录|"
    r"特别提示|版权声明)(?:及[\u4e00-\u9fff]{2,8})?\s*[:：]?$")
# a content heading ends a boilerplate block (a disclaimer placed before the text, which some brokers do)
_CONTENT = re.compile(
    rf"^(?:{_NUM}\s*[、.．)）]\s*[\u4e00-\u9fff].{{0,24}}|(?:投资要点|核心观点|投资建议|盈利预测|估值|风险提示|事件|点评|"
    r"公司概况|主要观点|报告摘要|摘要|正文|附录[^\n]{0,20}|财务预测[^\n]{0,10}|盈利预测与估值|目录)\s*[:：]?)$")
_PATTERN = re.compile(
    r"执业证书编号|证书编号\s*[:：]?\s*S\d|SAC\s*(?:执业)?(?:证书)?编号|^\s*(?:分析师|研究员|研究助理|联系人|作者)\s*[:：]|"
    r"(?:电话|Tel|TEL|邮箱|E-?mail|EMAIL|传真|Fax|地址|网址|邮编|邮政编码)\s*[:：]|"
    r"证券(?:期货)?业务许可证|证券投资咨询业务资格|"
    r"证券研究报告|请(?:务必|仔细)?阅读[^\n]{0,30}(?:免责|声明|披露)|"
    r"^\s*(?:本报告仅供|本报告版权)", re.IGNORECASE)
_KEEP = re.compile(r"^\s*风险提示")
_DIGITS = re.compile(r"[0-9０-９]+")
_SPACE = re.compile(r"\s+")
_BROKER = re.compile(r"^[\u4e00-\u9fff]{2,8}(?:证券|证券研究所|研究所|国际|证券股份有限公司)$")
# brokers whose usual short name does not end in 证券
KNOWN_BROKERS = ("国泰君安", "申万宏源", "中信建投", "中金公司", "中国国际金融", "东方财富", "银河证券", "天风证券",
                 "兴业证券", "海通国际", "华创证券")
_BROKER_IN_TEXT = re.compile(r"([\u4e00-\u9fff]{2,4}证券)|(" + "|".join(KNOWN_BROKERS) + ")")


@dataclass(frozen=True)
class BoilerplateConfig:
    """Options of :func:`strip_documents` (defaults documented in the module docstring).

    Attributes
    ----------
    min_share : float
        Share of a broker's reports a line must recur in to count as repeated boilerplate.
    min_reports : int
        Fewest reports of a broker (or of the pooled unknown-broker group) for the repetition rule.
    min_firms : int
        Fewest distinct firms (stock codes) among the reports a repeated line occurs in.
    min_repeat_chars : int
        Shorter lines (section headings such as 投资要点) are never removed as repeated.
    max_pattern_chars : int
        Longer lines are never removed by the single-line patterns.
    min_kept_share : float
        Warn (SM140) about reports left with less than this share of their characters.
    """

    min_share: float = 0.5
    min_reports: int = 4
    min_firms: int = 2
    min_repeat_chars: int = 8
    max_pattern_chars: int = 80
    min_kept_share: float = 0.1

    def __post_init__(self):
        for name in ("min_share", "min_kept_share"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise SMError("SM141", f"{name} must be in (0, 1], got {v}.", "pass a share such as 0.5.")
        for name in ("min_reports", "min_firms", "min_repeat_chars", "max_pattern_chars"):
            if getattr(self, name) < 1:
                raise SMError("SM141", f"{name} must be at least 1, got {getattr(self, name)}.",
                              "pass a positive count.")


def mask(line: str) -> str:
    """A line as compared across reports: no whitespace, every run of digits one ``0``."""
    return _DIGITS.sub("0", _SPACE.sub("", line))


def line_key(line: str) -> int:
    """64-bit digest of :func:`mask` (``line``): what the repetition rule counts, 8 bytes a line
    instead of the line itself (a corpus of analyst reports holds millions of lines)."""
    return _key(mask(line))


def _key(masked: str) -> int:
    return int.from_bytes(hashlib.blake2b(masked.encode("utf-8"), digest_size=8).digest(), "big")


def broker_of(path: str | None, text: str | None = None) -> str | None:
    """The broker of a report from its file name (last part naming a broker), else its first lines.

    Parameters
    ----------
    path : str or None
        File name or path, e.g. ``000001_2023_平安银行_研究报告_华泰证券_1.pdf``.
    text : str, optional
        The report's text; its first five lines are searched when the name gives no broker.

    Returns
    -------
    str or None
        ``None`` when neither names a broker.
    """
    if path:
        parts = [p for p in re.split(r"[_\s\-—()（）]+", PurePath(str(path)).stem) if p]
        found = [p for p in parts if _BROKER.match(p) or p in KNOWN_BROKERS]
        if found:
            # the firm may itself be a broker (a report on 中信证券 by 华泰证券): the broker comes last
            return re.sub(r"(?:研究所|股份有限公司)$", "", found[-1])
    if text:
        m = _BROKER_IN_TEXT.search("\n".join(text.split("\n")[:5]))
        if m:
            return m.group(0)
    return None


def _is_title(line: str) -> bool:
    s = line.strip()
    return len(s) <= 30 and bool(_TITLE.match(s))


def _is_content_heading(line: str) -> bool:
    s = line.strip()
    return len(s) <= 30 and bool(_CONTENT.match(s)) and not _TITLE.match(s)


def _is_pattern(line: str, cfg: BoilerplateConfig) -> bool:
    s = line.strip()
    return bool(s) and len(s) <= cfg.max_pattern_chars and bool(_PATTERN.search(s)) and not _KEEP.match(s)


def classify_lines(lines: list[str], repeated: set[int], cfg: BoilerplateConfig) -> list[str | None]:
    """The removal reason of every line (``title``, ``pattern``, ``repeated``) or None (kept).

    Parameters
    ----------
    lines : list of str
        One report's lines.
    repeated : set of int
        Keys (:func:`line_key`) of the lines that recur across the broker's reports.
    cfg : BoilerplateConfig
    """
    out: list[str | None] = [None] * len(lines)
    in_block = False
    for i, line in enumerate(lines):
        if _is_title(line):
            in_block = True
        elif in_block and _is_content_heading(line):
            in_block = False
        if in_block:
            out[i] = "title"
        elif _is_pattern(line, cfg):
            out[i] = "pattern"
        elif repeated and line_key(line) in repeated and not _KEEP.match(line.strip()):
            out[i] = "repeated"
    return out


def _candidates(text: str, cfg: BoilerplateConfig) -> set[int]:
    masked = (mask(ln) for ln in text.split("\n"))
    return {_key(m) for m in masked if len(m) >= cfg.min_repeat_chars}


def repeated_lines(texts: list[str], groups: list[str], firms: list[str | None],
                   cfg: BoilerplateConfig) -> dict[str, set[int]]:
    """Lines (digits masked) recurring in ``min_share`` of each group's reports (see the module docstring).

    Parameters
    ----------
    texts, groups, firms : lists of equal length
        Report texts, their broker group (``"*"`` for unknown) and stock code (or None).
    cfg : BoilerplateConfig

    Returns
    -------
    dict
        Group -> keys (:func:`line_key`) of its repeated lines; the ``"*"`` group is judged
        against every report.
    """
    per_doc = [_candidates(t, cfg) for t in texts]
    members: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    if "*" in members:      # unknown brokers: compared with the whole corpus
        members["*"] = list(range(len(texts)))
    out: dict[str, set[int]] = {}
    for g, idx in members.items():
        if len(idx) < cfg.min_reports:
            out[g] = set()
            continue
        n_docs: Counter = Counter()
        for i in idx:
            n_docs.update(per_doc[i])
        frequent = {m for m, n in n_docs.items() if n >= cfg.min_share * len(idx)}
        # firms are collected for the frequent lines only (a report without a code counts as its own firm)
        firm_sets: dict[int, set] = defaultdict(set)
        for i in idx:
            for m in per_doc[i] & frequent:
                firm_sets[m].add(firms[i] if firms[i] is not None else f"#{i}")
        out[g] = {m for m in frequent if len(firm_sets[m]) >= cfg.min_firms}
    return out


def _chars(line: str) -> int:
    return len("".join(line.split()))


def strip_text(text: str, repeated: set[int] | None = None,
               cfg: BoilerplateConfig | None = None) -> tuple[str, dict]:
    """One report without its boilerplate, and what was removed.

    Parameters
    ----------
    text : str
        The report's text (lines separated by ``\\n``).
    repeated : set of int, optional
        Keys of its broker's repeated lines (from :func:`repeated_lines`); none by default.
    cfg : BoilerplateConfig, optional

    Returns
    -------
    clean : str
        The kept lines, in order.
    stats : dict
        ``raw_chars``, ``boilerplate_chars`` (characters of the text and of the removed lines,
        whitespace not counted), ``boilerplate_lines``, ``boilerplate_<reason>_chars`` and ``boilerplate_titles`` (the
        titles that opened removed blocks, ``;``-joined).
    """
    cfg = cfg or BoilerplateConfig()
    lines = text.split("\n")
    reasons = classify_lines(lines, repeated or set(), cfg)
    kept = [ln for ln, r in zip(lines, reasons) if r is None]
    # characters are counted without whitespace: extractors differ in the spaces they put in a line
    stats = {"raw_chars": sum(_chars(ln) for ln in lines), "boilerplate_chars": 0, "boilerplate_lines": 0,
             **{f"boilerplate_{r}_chars": 0 for r in REASONS}}
    titles = []
    for ln, r in zip(lines, reasons):
        if r is not None:
            stats["boilerplate_chars"] += _chars(ln)
            stats["boilerplate_lines"] += 1
            stats[f"boilerplate_{r}_chars"] += _chars(ln)
            if r == "title" and _is_title(ln):
                titles.append(ln.strip())
    stats["boilerplate_titles"] = ";".join(titles)
    return "\n".join(kept), stats


def strip_documents(docs: pd.DataFrame, cfg: BoilerplateConfig | None = None, *, text_col: str = "text",
                    path_col: str = "path", firm_col: str = "stkcd") -> pd.DataFrame:
    """Remove broker boilerplate from every report of a table; per-report counts in new columns.

    Parameters
    ----------
    docs : DataFrame
        One row per report with ``text_col`` (missing text is left missing) and ``path_col``;
        ``broker`` and ``firm_col`` are used when present.
    cfg : BoilerplateConfig, optional

    Returns
    -------
    DataFrame
        A copy with the cleaned text and the columns ``broker, raw_chars, boilerplate_chars,
        boilerplate_lines, boilerplate_title_chars, boilerplate_pattern_chars,
        boilerplate_repeated_chars, boilerplate_titles`` (counts missing where the text is).
        Reports left with less than ``cfg.min_kept_share`` of their characters are warned
        about (SM140).
    """
    cfg = cfg or BoilerplateConfig()
    out = docs.copy()
    has_text = out[text_col].notna().to_numpy()
    texts = [str(t) for t in out.loc[has_text, text_col]]
    paths = out[path_col].astype(str).tolist() if path_col in out else [None] * len(out)
    given = out["broker"].tolist() if "broker" in out else [None] * len(out)
    brokers = [b if isinstance(b, str) and b else broker_of(p, t if ok else None)
               for b, p, ok, t in zip(given, paths, has_text, out[text_col].tolist())]
    firms = (out[firm_col].tolist() if firm_col in out else [None] * len(out))
    firms = [f if isinstance(f, str) and f else None for f in firms]
    sel = [i for i in range(len(out)) if has_text[i]]
    groups = [brokers[i] or "*" for i in sel]
    rep = repeated_lines(texts, groups, [firms[i] for i in sel], cfg)
    cleaned, rows = [], []
    for t, g in zip(texts, groups):
        c, s = strip_text(t, rep.get(g, set()), cfg)
        cleaned.append(c)
        rows.append(s)
    out["broker"] = pd.array(brokers, dtype="string")
    for col in COLUMNS[1:-1]:
        vals = [pd.NA] * len(out)
        for k, i in enumerate(sel):
            vals[i] = rows[k][col]
        out[col] = pd.array(vals, dtype="Int64")
    titles = [pd.NA] * len(out)
    for k, i in enumerate(sel):
        titles[i] = rows[k]["boilerplate_titles"]
    out["boilerplate_titles"] = pd.array(titles, dtype="string")
    col = out[text_col].astype(object)
    col[has_text] = cleaned
    out[text_col] = col
    low = [paths[i] for k, i in enumerate(sel)
           if rows[k]["raw_chars"] and rows[k]["raw_chars"] - rows[k]["boilerplate_chars"] < cfg.min_kept_share * rows[k]["raw_chars"]]
    if low:
        warn("SM140", f"boilerplate removal kept less than {cfg.min_kept_share:.0%} of the text of {len(low)} "
                      f"report(s): {low[:5]}{' ...' if len(low) > 5 else ''}.",
             "check their boilerplate_titles column (a title misread as boilerplate?) or keep the boilerplate.")
    return out


def summary(docs: pd.DataFrame) -> dict:
    """Totals of the per-report counts of :func:`strip_documents` (for manifests).

    Returns
    -------
    dict
        ``removed`` (False when ``docs`` has no counts), ``reports``, ``reports_with_boilerplate``,
        ``chars_removed`` (total and by reason), ``lines_removed``, ``share_of_chars``, the
        per-report mean / min / max of characters removed, and reports per broker.
    """
    if "boilerplate_chars" not in docs:
        return {"removed": False}
    d = docs[docs["boilerplate_chars"].notna()]
    n = d["boilerplate_chars"].astype(int)
    raw = int(d["raw_chars"].astype(int).sum())
    return {"removed": True, "reports": len(d), "reports_with_boilerplate": int((n > 0).sum()),
            "chars_removed": int(n.sum()),
            "chars_removed_by_reason": {r: int(d[f"boilerplate_{r}_chars"].astype(int).sum()) for r in REASONS},
            "lines_removed": int(d["boilerplate_lines"].astype(int).sum()),
            "share_of_chars": round(float(n.sum()) / raw, 6) if raw else 0.0,
            "chars_per_report": {"mean": round(float(n.mean()), 3) if len(n) else 0.0,
                                 "min": int(n.min()) if len(n) else 0, "max": int(n.max()) if len(n) else 0},
            "reports_by_broker": {str(k): int(v) for k, v in
                                  d["broker"].fillna("(unknown)").value_counts().sort_index().items()}}


def report_table(docs: pd.DataFrame) -> pd.DataFrame:
    """The per-report counts of :func:`strip_documents` (``path`` and :data:`COLUMNS`), for a CSV."""
    cols = [c for c in ("path", "stkcd", "year", *COLUMNS) if c in docs]
    return docs[cols].reset_index(drop=True)
