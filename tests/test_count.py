"""The counting engine against independent counters.

Independent implementations used here (written in this file, sharing no code
with smtext.text.count): a regex alternation with the longest term first (Python's
``re`` takes the first alternative that matches at the leftmost position, which
is leftmost-longest), ``str.find`` loops for overlapping counts, and a
string-replacement negation check. Expected numbers are exact (tolerance 0):
counts are integers.
"""

from __future__ import annotations

import importlib.util
import random
import re

import numpy as np
import pandas as pd
import pytest

from smtext.demo import text as demo_text
from smtext.demo.context import SUBSIDY_ITEMS
from smtext.errors import SMError
from smtext.text.count import Matcher, classify, count_text
from smtext.text.lexicon import from_frame, load_lexicon


def lex_of(terms, name="t"):
    return from_frame(pd.DataFrame({"category": ["c"] * len(terms), "term": terms}), name=name)


def regex_counter(text: str, terms) -> list[tuple[int, str]]:
    """Leftmost-longest by regex; Latin terms need ASCII word boundaries; case-insensitive."""
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        left = r"(?<![A-Za-z0-9])" if re.match(r"[A-Za-z0-9]", t[0]) else ""
        right = r"(?![A-Za-z0-9])" if re.match(r"[A-Za-z0-9]", t[-1]) else ""
        parts.append(left + re.escape(t) + right)
    pat = re.compile("|".join(parts), re.IGNORECASE)
    return [(m.start(), m.group()) for m in pat.finditer(text)]


def overlapping_counter(text: str, terms) -> int:
    n = 0
    for t in terms:
        i = text.find(t)
        while i >= 0:
            n += 1
            i = text.find(t, i + 1)
    return n


@pytest.mark.parametrize("seed", range(300))
def test_leftmost_longest_equals_regex_on_random_strings(seed):
    rng = random.Random(seed)
    terms = sorted({"".join(rng.choice("智能制造网") for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 7))})
    text = "".join(rng.choice("智能制造网") for _ in range(60))
    res = count_text(text, lex_of(terms), filters=())
    got = [(s, t) for s, _e, t, *_ in res.hits]
    assert got == regex_counter(text, terms)
    over = count_text(text, lex_of(terms), filters=(), mode="overlapping")
    assert over.total == overlapping_counter(text, terms)


def test_nested_terms_are_counted_once():
    text = "公司布局移动互联网业务，并发展移动互联应用。"
    r = count_text(text, "wufei2021_digital", filters=())
    assert r.term_counts.to_dict() == {"移动互联": 1, "移动互联网": 1}
    r = count_text(text, "wufei2021_digital", filters=(), mode="overlapping")
    assert r.term_counts.to_dict() == {"移动互联": 2, "移动互联网": 1}
    # positions are kept
    m = count_text(text, "wufei2021_digital", filters=()).matches
    assert text[m.loc[0, "start"]:m.loc[0, "end"]] == "移动互联网"


@pytest.mark.parametrize("template", demo_text.NEGATED)
def test_demo_negation_templates_are_removed(template):
    for term in demo_text.SMART_TERMS:
        r = count_text(template.format(t=term), "smart_manufacturing")
        assert (r.total, r.removed["negation"]) == (0, 1), template.format(t=term)


@pytest.mark.parametrize("template", demo_text.AFFIRMATIVE + demo_text.THIRD_PARTY)
def test_demo_affirmative_and_third_party_templates_survive_negation(template):
    for term in demo_text.DIGITAL_TERMS:
        r = count_text(template.format(t=term), "wufei2021_digital")
        assert r.total == 1, template.format(t=term)


@pytest.mark.parametrize("template", demo_text.THIRD_PARTY)
def test_third_party_filter(template):
    r = count_text(template.format(t="智能工厂"), "smart_manufacturing", filters=("negation", "third_party"))
    assert (r.total, r.removed) == (0, {"negation": 0, "third_party": 1})


@pytest.mark.parametrize("text, kept", [
    ("公司未来将大力发展智能制造。", 1),            # 未来 is not a negation
    ("公司不断推进智能制造。", 1),                  # 不断
    ("公司无锡工厂实施智能制造。", 1),              # 无锡 (a city)
    ("公司没有放弃，智能制造持续推进。", 1),        # the negator is in the previous clause
    ("公司没有\n智能制造。", 1),                     # a line break ends the clause
    ("公司没有在报告期内实施智能制造。", 1),        # negator more than 6 characters before
    ("公司没有实施智能制造。", 0),
    ("公司并非智能制造企业。", 0),
    ("公司为客户提供智能工厂整体解决方案。", 1),    # customer as object (third-party filter below)
])
def test_negation_window_and_exceptions(text, kept):
    assert count_text(text, "smart_manufacturing").total == kept


@pytest.mark.parametrize("text, subject", [
    ("公司主要客户正在推进智能工厂建设。", "客户"),          # customer
    ("部分上游供应商已启动数字孪生项目。", "上游供应商"),    # supplier
    ("公司独立董事曾主持智能制造项目。", "独立董事"),        # director
    ("公司董事在其他企业推动工业互联网。", "董事"),          # director
    ("同行业公司纷纷布局工业机器人。", "同行业公司"),        # peer
])
def test_third_party_filter_each_subject_kind(text, subject):
    plain = count_text(text, "smart_manufacturing")
    assert (plain.total, plain.removed) == (1, {"negation": 0})            # the filter is off by default
    r = count_text(text, "smart_manufacturing", filters=("negation", "third_party"))
    assert (r.total, r.removed) == (0, {"negation": 0, "third_party": 1})
    assert r.matches.loc[0, "cue"] == subject


def test_third_party_object_is_not_a_subject():
    r = count_text("公司为客户提供智能工厂整体解决方案。", "smart_manufacturing", filters=("negation", "third_party"))
    assert r.total == 1
    r = count_text("公司董事会审议通过智能工厂项目。", "smart_manufacturing", filters=("negation", "third_party"))
    assert r.total == 1


def test_negator_inside_another_term_is_not_a_negator():
    r = count_text("公司发展无人零售与智能客服。", "wufei2021_digital")
    assert r.total == 2 and r.removed["negation"] == 0


def test_latin_terms_case_and_word_boundaries():
    r = count_text("GAMES平台；MES系统上线；mes覆盖全厂；Fintech与FINTECH；B2B2C模式；B2B业务", "wufei2021_digital", filters=())
    assert r.term_counts.to_dict() == {"B2B": 1, "Fintech": 2}
    r = count_text("GAMES平台；MES系统上线；mes覆盖全厂", "smart_manufacturing", filters=())
    assert r.term_counts.to_dict() == {"MES": 1, "MES系统": 1}


def test_result_tables_are_consistent():
    text = "公司推进工业互联网建设。公司尚未实施数字孪生。公司主要客户正在推进智能工厂。"
    r = count_text(text, "smart_manufacturing", filters=("negation", "third_party"))
    assert r.raw_total == 3 and r.total == 1 and r.removed == {"negation": 1, "third_party": 1}
    tidy = r.tidy()
    assert tidy["n"].sum() == 1 and tidy["removed_negation"].sum() == 1 and tidy["removed_third_party"].sum() == 1
    assert r.category_counts.sum() == r.total and set(r.category_counts.index) == {"policy", "technology", "cnipa_iiot"}
    assert (r.n_sentences, r.n_sentences_hit) == (3, 1)
    row = r.as_row("smart")
    assert row["smart_count"] == 1 and row["smart_raw"] == 3 and row["smart_removed_negation"] == 1
    assert "smart_manufacturing: 1 hits (3 before filters" in r.summary()


def test_options_are_checked_and_missing_text_is_an_error():
    with pytest.raises(SMError, match="SM002"):
        count_text("x", "ai", mode="longest")
    with pytest.raises(SMError, match="SM002"):
        count_text("x", "ai", filters=("sarcasm",))
    with pytest.raises(SMError) as err:
        count_text(None, "ai")
    assert err.value.code == "SM207"


def _demo_paragraphs(seed: int) -> str:
    """Demo-style text from the demo generator's own templates (no PDF needed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    mentions = demo_text.draw_mentions(rng, demo_text.SMART_TERMS + demo_text.DIGITAL_TERMS + demo_text.AI_TERMS, 60)
    return "\n".join(p.text for p in demo_text.plant(rng, mentions, "mda")), mentions


@pytest.mark.parametrize("lexicon", ["smart_manufacturing", "wufei2021_digital", "ai"])
def test_token_mode_equals_default_on_demo_text(lexicon):
    text, _ = _demo_paragraphs(3)
    a = count_text(text, lexicon, filters=("negation", "third_party"))
    b = count_text(text, lexicon, filters=("negation", "third_party"), mode="token")
    assert a.total > 0
    assert [h[:3] + h[5:6] for h in a.hits] == [h[:3] + h[5:6] for h in b.hits]


def test_rjieba_parity_with_jieba():
    pytest.importorskip("rjieba")
    text, _ = _demo_paragraphs(4)
    for lexicon in ("smart_manufacturing", "wufei2021_digital"):
        a = count_text(text, lexicon, mode="token", tokenizer="jieba")
        b = count_text(text, lexicon, mode="token", tokenizer="rjieba")
        assert a.total > 0 and a.hits == b.hits


def test_demo_text_counts_equal_planted_mentions():
    text, mentions = _demo_paragraphs(5)
    smart = set(demo_text.SMART_TERMS)
    for filters, kinds in (((), {"affirmative", "negated", "third_party"}),
                           (("negation",), {"affirmative", "third_party"}),
                           (("negation", "third_party"), {"affirmative"})):
        r = count_text(text, "smart_manufacturing", filters=filters)
        assert r.total == sum(1 for t, k in mentions if t in smart and k in kinds)


def test_classify_grant_items_against_demo_truth():
    # truth flags are set by hand in smtext.demo.context.SUBSIDY_ITEMS (papers 002/004 keyword rule)
    items = pd.Series([name for name, _ in SUBSIDY_ITEMS] + [None])
    got = classify(items, "rd_subsidy")
    assert got.iloc[:-1].tolist() == [flag for _, flag in SUBSIDY_ITEMS]
    assert pd.isna(got.iloc[-1])


def test_matcher_is_reusable():
    m = Matcher(load_lexicon("ai"))
    assert count_text("人工智能和机器学习", m, filters=()).total == 2


# ---------------------------------------------------------------- real report text
def _negated_independent(text: str, start: int, negators, exceptions, window: int = 6) -> bool:
    seg = text[max(0, start - window):start]
    seg = re.split(r"[，。；！？,;!?：:\n]", seg)[-1]
    for word in sorted(exceptions, key=len, reverse=True):
        seg = seg.replace(word, "#" * len(word))
    return any(n in seg for n in negators)


@pytest.mark.reference
@pytest.mark.parametrize("fname, lexicon", [
    ("04_annual_report_300617/300617_安靠智电_2019_年度报告_fulltext.txt", "wufei2021_digital"),
    ("04_annual_report_300617/300617_安靠智电_2019_年度报告_fulltext.txt", "smart_manufacturing"),
    ("04_annual_report_300617/300617_安靠智电_2019_年度报告_MDA.txt", "ai"),
    ("04_annual_report_601658/601658_邮储银行_2019_年度报告_fulltext.txt", "wufei2021_digital"),
    # rd_subsidy has nested terms (技术 terms inside longer ones), digit terms (863) inside longer numbers and
    # negated hits (非专利技术, 无内部研发) in these reports: naive substring counting differs, and the
    # negation check below is not vacuous on real text (the other lexicons have no negated hit here)
    ("04_annual_report_300617/300617_安靠智电_2019_年度报告_fulltext.txt", "rd_subsidy"),
    ("04_annual_report_601658/601658_邮储银行_2019_年度报告_fulltext.txt", "rd_subsidy"),
])
def test_real_report_counts_equal_independent_counter(reference_dir, fname, lexicon):
    from smtext.text.normalize import normalize_text

    text = normalize_text((reference_dir / fname).read_text(encoding="utf-8"))
    terms = load_lexicon(lexicon).terms["term"].tolist()
    expected = regex_counter(text, terms)
    raw = count_text(text, lexicon, filters=())
    assert [(h[0], h[2].lower()) for h in raw.hits] == [(s, t.lower()) for s, t in expected]
    neg = load_lexicon("negators").terms
    negators = neg.loc[neg["category"] == "negator", "term"].tolist()
    exceptions = neg.loc[neg["category"] == "exception", "term"].tolist() + terms
    exp_kept = sum(1 for s, _t in expected if not _negated_independent(text, s, negators, exceptions))
    assert count_text(text, lexicon).total == exp_kept
    if "601658" in fname:
        # a bank's report mentions digital finance: the test is not vacuous
        assert len(expected) > 20
    if lexicon == "rd_subsidy":
        assert overlapping_counter(text.lower(), [t.lower() for t in terms]) > len(expected) > 200   # naive overcounts
        assert 0 < len(expected) - exp_kept < 10                                                    # negated hits


@pytest.mark.slow
@pytest.mark.reference
def test_token_modes_on_real_report_text(reference_dir):
    # rjieba and jieba agree hit for hit on real text; token mode equals the default for the Digital,
    # smart-manufacturing and AI lexicons there, but not for rd_subsidy, whose short terms sit inside
    # longer words (创新型, 创新奖): token mode counts a term only when the segmenter keeps it whole
    pytest.importorskip("rjieba")
    from smtext.text.normalize import normalize_text

    text = normalize_text((reference_dir / "04_annual_report_601658" / "601658_邮储银行_2019_年度报告_fulltext.txt")
                          .read_text(encoding="utf-8"))
    for lexicon in ("wufei2021_digital", "ai", "rd_subsidy"):
        a = count_text(text, lexicon, mode="token", tokenizer="jieba")
        b = count_text(text, lexicon, mode="token", tokenizer="rjieba")
        assert a.total > 10 and a.hits == b.hits, lexicon
        default = count_text(text, lexicon)
        if lexicon == "rd_subsidy":
            assert {h[:2] for h in a.hits} < {h[:2] for h in default.hits}      # a strict subset
        else:
            assert a.hits == default.hits, lexicon


# ---------------------------------------------------------------- automaton backends and sentence statistics
# ahocorasick-rs is optional: without it only the pyahocorasick path is tested
BACKENDS = ["pyahocorasick"] + (["ahocorasick_rs"] if importlib.util.find_spec("ahocorasick_rs") else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(40))
def test_backends_equal_regex_with_latin_and_filters(seed, backend):
    # independent: regex_counter above (leftmost-longest, word boundaries, case-insensitive)
    rng = random.Random(1000 + seed)
    alphabet = "智能制造网MESmes ab2，。不未\n"
    terms = sorted({"".join(rng.choice("智能制造网MESab2") for _ in range(rng.randint(1, 4))).strip()
                    for _ in range(rng.randint(1, 8))} - {""}, key=str.lower)
    terms = list({t.lower(): t for t in terms}.values())     # the lexicon rejects case-duplicates
    text = "".join(rng.choice(alphabet) for _ in range(120))
    res = count_text(text, lex_of(terms), filters=(), backend=backend)
    assert [(s, text[s:e]) for s, e, *_ in res.hits] == regex_counter(text, terms)
    assert count_text(text, lex_of(terms), filters=(), mode="overlapping", backend=backend).total == \
        overlapping_counter(text.lower(), [t.lower() for t in terms]) - _boundary_misses(text, terms)


def _boundary_misses(text: str, terms) -> int:
    """Overlapping occurrences that the word-boundary rule rejects (computed by regex)."""
    low, n = text.lower(), 0
    for t in {x.lower() for x in terms}:
        for m in re.finditer("(?=" + re.escape(t) + ")", low):
            s, e = m.start(), m.start() + len(t)
            left = re.match(r"[a-z0-9]", t[0]) and s > 0 and re.match(r"[a-z0-9]", low[s - 1])
            right = re.match(r"[a-z0-9]", t[-1]) and e < len(low) and re.match(r"[a-z0-9]", low[e])
            n += bool(left or right)
    return n


def test_backends_give_identical_hits_on_demo_text():
    rng = np.random.default_rng(3)
    mentions = demo_text.draw_mentions(rng, demo_text.SMART_TERMS + demo_text.DIGITAL_TERMS, 300)
    text = "\n".join(p.text for p in demo_text.plant(rng, mentions, "mda"))
    for lexicon in ("smart_manufacturing", "wufei2021_digital", "ai"):
        results = [count_text(text, lexicon, filters=("negation", "third_party"), backend=b) for b in BACKENDS]
        assert results[0].total > 0
        assert all(r.hits == results[0].hits and r.n_sentences_hit == results[0].n_sentences_hit for r in results)


def _sentences_independent(text: str, starts) -> tuple[int, int]:
    # split into sentences with re.split and walk them; shares no code with smtext.text.count
    if not text.strip():
        return 0, 0
    pieces = re.split(r"([。！？!?\n]+)", text)
    spans, pos = [], 0
    for i in range(0, len(pieces), 2):
        body = pieces[i]
        delim = pieces[i + 1] if i + 1 < len(pieces) else ""
        if body or delim:
            spans.append((pos, pos + len(body) + len(delim)))
        pos += len(body) + len(delim)
    # a leading delimiter run forms a sentence of its own; a text ending in a delimiter has no empty tail
    hit = {next(k for k, (a, b) in enumerate(spans) if a <= s < b) for s in starts}
    return len(spans), len(hit)


@pytest.mark.parametrize("seed", range(60))
def test_sentence_statistics_equal_independent_split(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice(["智能制造", "公司", "。", "！", "\n", "?", "，", " ", "数字化"]) for _ in range(rng.randint(0, 40)))
    res = count_text(text, lex_of(["智能制造", "数字化"]), filters=())
    assert (res.n_sentences, res.n_sentences_hit) == _sentences_independent(text, [h[0] for h in res.hits])


def test_unknown_backend_is_rejected():
    with pytest.raises(SMError, match="SM002"):
        count_text("智能制造", "smart_manufacturing", backend="regex")
