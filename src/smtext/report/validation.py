"""The indicator validation report: HTML, figures and JSON from :func:`smtext.text.validation.validate_index`.

``write_validation_report(validation, out)`` writes

``validation.html``
    One offline page (figures embedded): per lexicon the zero shares and warnings, the
    distribution, the yearly trend, top firms, top terms with example sentences, term
    concentration, correlations with the reference indices and the likely false positives.
``validation.json``
    Every number of the page (NaN as null).
``figures/<lexicon>_distribution.png``, ``_trend.png``, ``_terms.png``
``firm_year_excluded.csv``
    With an exclusion list: per firm-year ``<lexicon>_count`` and ``<lexicon>_count_excluded``
    (the count without the hits inside the exclusion strings).
``exclusions.txt``
    The longer strings of the likely false positives, one a line (``#`` comment lines say
    which term and how many hits); edit it and pass it back with ``--exclude``.
``manifest.json``
    Options, input hashes and the run time.

Same inputs give byte-identical ``validation.html``, ``validation.json``, figures and
``exclusions.txt``: PNGs carry no software or date stamp and the page embeds the manifest
without its creation time (which only ``manifest.json`` records).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from smtext.report.fonts import setup_cjk_font
from smtext.report.html import Figure as FigureBlock
from smtext.report.html import Section, build_report

_DPI = 110
_RUN_KEYS = ("created_utc", "seconds")   # vary between runs: kept out of the page


def _clean(obj):
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [_clean(r) for r in obj.astype(object).to_dict("records")]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NA:
        return None
    return obj


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=_DPI, metadata={"Software": None})   # no stamp: same bytes every run
    return path


def distribution_figure(lv) -> Figure:
    """Histograms of ln(1 + count) and of hits per 10,000 characters (firm-years)."""
    fig = Figure(figsize=(8, 3.2), dpi=_DPI, layout="constrained")
    for ax, (name, label) in zip(fig.subplots(1, 2), (("ln", "ln(1 + 词频)"), ("per10k", "每万字词频"))):
        d = lv.distribution[name]
        if d["counts"]:
            edges = d["edges"]
            ax.stairs(d["counts"], edges, fill=True, color="#1f4e79", alpha=.8)
        ax.set_xlabel(label)
        ax.set_ylabel("公司-年数")
    fig.suptitle(lv.key)
    return fig


def trend_figure(lv) -> Figure:
    """Yearly mean and median count, and the share of firm-years above zero."""
    fig = Figure(figsize=(6.4, 3.6), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    by = lv.by_year
    ax.plot(by["year"], by["mean"], "o-", color="#1f4e79", label="均值")
    ax.plot(by["year"], by["median"], "s--", color="#7f7f7f", label="中位数")
    ax.set_xlabel("年份")
    ax.set_ylabel("词频")
    ax.set_xticks([int(y) for y in by["year"]])
    ax2 = ax.twinx()
    ax2.plot(by["year"], by["share_positive"], "^:", color="#c55a11", label="大于0的比例")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("大于0的比例")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="best", fontsize=8)
    ax.set_title(lv.key)
    return fig


def terms_figure(lv, top: int = 20) -> Figure:
    """Horizontal bars of the hits of the top terms."""
    t = lv.terms[lv.terms["hits"] > 0].head(top).iloc[::-1]
    fig = Figure(figsize=(6.4, 0.3 * max(len(t), 3) + 1.0), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.barh(range(len(t)), t["hits"], color="#1f4e79")
    ax.set_yticks(range(len(t)), t["term"].tolist())
    ax.set_xlabel("命中次数")
    ax.set_title(lv.key)
    return fig


def _fmt(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Round floats for display (the JSON keeps full precision)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
    return out


def _warnings(lv) -> list[str]:
    s = lv.summary
    out = []
    if s["counted"] and s["zeros"] == s["counted"]:
        out.append(f"SM250: 全部 {s['counted']} 个公司-年均为 0：词典没有匹配到任何文本。")
    if lv.zero_terms and not (s["counted"] and s["zeros"] == s["counted"]):
        out.append(f"SM251: {len(lv.zero_terms)}/{s['terms']} 个词从未匹配：{'、'.join(lv.zero_terms[:30])}"
                   + (" ……" if len(lv.zero_terms) > 30 else ""))
    if s["likely_false_positive_hits"]:
        out.append(f"SM256: {s['likely_false_positive_hits']} 次命中疑似属于更长的名称（见“疑似误匹配”）。")
    if not s["text_checked"]:
        out.append("SM255: 未读取文本（缺少提取目录或词典文件），没有例句和误匹配筛查。")
    return out


def _sections(lv, fig_paths: dict, top: int) -> list[Section]:
    s = lv.summary
    k = lv.key
    head = pd.DataFrame([{
        "公司-年": s["firm_years"], "缺失": s["missing"], "零值比例": s["zeros_share"], "均值": s["mean"],
        "中位数": s["median"], "命中总数": s["hits"], "有命中的词": f"{s['terms_with_hits']}/{s['terms']}",
        "最高词占比": s["top_term_share"], "HHI": s["hhi"]}])
    blocks = ["\n\n".join(_warnings(lv)) or "无警告。", _fmt(head),
              "按年份：", _fmt(lv.by_year.rename(columns={"n": "公司-年", "zeros_share": "零值比例", "mean": "均值",
                                                    "median": "中位数", "share_positive": "大于0的比例",
                                                    "mean_ln": "ln均值", "mean_per10k": "每万字均值"}))]
    blocks += [FigureBlock(fig_paths["distribution"], "分布：ln(1+词频) 与每万字词频"),
               FigureBlock(fig_paths["trend"], "年度趋势：均值、中位数与大于0的比例")]
    secs = [Section(f"{k}：零值、分布与趋势", blocks)]
    secs.append(Section(f"{k}：词频最高的公司", [_fmt(lv.top_firms) if len(lv.top_firms) else "没有命中。"]))
    terms_blocks = [f"最高词 {s['top_term']} 占全部命中的 {s['top_term_share']:.3f}，前五个词占 {s['top5_share']:.3f}，"
                    f"词份额的 HHI 为 {s['hhi']:.4f}。" if s["top_term"] else "没有任何词命中。"]
    if fig_paths.get("terms"):
        terms_blocks.append(FigureBlock(fig_paths["terms"], "命中次数最多的词"))
    terms_blocks.append(_fmt(lv.terms[lv.terms["hits"] > 0].head(top)))
    if len(lv.examples):
        ex = lv.examples.assign(例句=lv.examples["left"] + "【" + lv.examples["hit"] + "】" + lv.examples["right"])
        terms_blocks += ["例句（关键词上下文，取自计数所用的文本）：", ex[["term", "stkcd", "year", "例句"]]]
    secs.append(Section(f"{k}：高频词与例句", terms_blocks))
    corr = lv.correlations
    secs.append(Section(f"{k}：与参考指数的相关性",
                        [_fmt(corr) if len(corr) else "没有参考指数（--reference）。"]))
    fp_blocks = [("以下命中位于更长的名称或词语之中（机构名后缀、书名号内、分词边界不一致），可能是误匹配。"
                  "核对后在 exclusions.txt 中保留要排除的字符串，再用 smtext index validate --exclude exclusions.txt "
                  "查看排除后的命中数与零值比例。")]
    fp_blocks.append(lv.false_positives if len(lv.false_positives) else "未发现。")
    if lv.exclusions:
        e = lv.exclusions
        fp_blocks.append(f"排除列表（{len(e['strings'])} 个字符串）覆盖 {e['hits_excluded']} 次命中；"
                         f"排除后零值比例为 {e['zeros_share_after']:.3f}。")
        if e["by_string"]:
            fp_blocks.append(pd.DataFrame({"字符串": list(e["by_string"]), "命中": list(e["by_string"].values())}))
    secs.append(Section(f"{k}：疑似误匹配", fp_blocks))
    return secs


def validation_numbers(validation) -> dict:
    """Every number of the report as a JSON-ready dict (NaN as None)."""
    lex = {}
    for k, lv in validation.lexicons.items():
        lex[k] = {"summary": lv.summary, "by_year": lv.by_year, "distribution": lv.distribution,
                  "top_firms": lv.top_firms, "terms": lv.terms, "examples": lv.examples,
                  "correlations": lv.correlations, "false_positives": lv.false_positives,
                  "exclusions": lv.exclusions, "zero_terms": lv.zero_terms}
    return _clean({"parameters": validation.parameters, "lexicons": lex})


def write_validation_report(validation, out: str | Path, command: str = "index validate") -> Path:
    """Write ``validation.html``, ``validation.json``, figures, ``exclusions.txt`` and ``manifest.json``.

    Parameters
    ----------
    validation : smtext.text.validation.IndexValidation
        What :func:`smtext.text.validation.validate_index` returned.
    out : path
        Output folder (created).
    command : str
        Recorded in the manifest.

    Returns
    -------
    Path
        The HTML file.
    """
    import time

    from smtext.manifest import build_manifest, write_manifest

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    setup_cjk_font()
    sections = []
    figures = {}
    for k, lv in validation.lexicons.items():
        paths = {"distribution": _save(distribution_figure(lv), out / "figures" / f"{k}_distribution.png"),
                 "trend": _save(trend_figure(lv), out / "figures" / f"{k}_trend.png")}
        if (lv.terms["hits"] > 0).any():
            paths["terms"] = _save(terms_figure(lv, int(validation.parameters.get("top", 20))), out / "figures" / f"{k}_terms.png")
        figures[k] = {n: str(p.relative_to(out)) for n, p in paths.items()}
        sections += _sections(lv, paths, int(validation.parameters.get("top", 20)))
    numbers = validation_numbers(validation)
    numbers["figures"] = figures
    (out / "validation.json").write_text(json.dumps(numbers, ensure_ascii=False, indent=1, sort_keys=True),
                                         encoding="utf-8")
    adjusted = [lv.firm_years.set_index(["stkcd", "year"])[["count", "count_excluded"]].add_prefix(f"{k}_")
                for k, lv in validation.lexicons.items() if lv.exclusions and lv.firm_years is not None]
    if adjusted:   # the index without the hits inside the exclusion strings, until the counter reads the list
        pd.concat(adjusted, axis=1).sort_index().reset_index().to_csv(out / "firm_year_excluded.csv", index=False)
    lines = ["# smtext exclusion list: one string a line; a hit inside one of them is a likely false positive.",
             "# Keep the strings you agree with, delete the others.", *validation.exclusion_lines()]
    (out / "exclusions.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"
                     and p.name != "validation.html")
    manifest = build_manifest(command, validation.parameters, inputs=validation.inputs,
                              extra={"outputs": sorted([*outputs, "validation.html"]),
                                     "warnings": {k: _warnings(lv) for k, lv in validation.lexicons.items()}})
    page = build_report(out / "validation.html", "文本指标验证报告",
                        sections, manifest={k: v for k, v in manifest.items() if k not in _RUN_KEYS},
                        subtitle=f"索引：{validation.index_dir}")
    manifest["seconds"] = {"validate": getattr(validation, "seconds", None),
                           "report": round(time.perf_counter() - started, 2)}
    write_manifest(out / "manifest.json", manifest)
    return page
