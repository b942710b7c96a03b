"""The HTML run report is self-contained: no external scripts, styles, fonts or images."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from smtext.errors import SMError
from smtext.report import (
    Figure,
    Html,
    Section,
    build_report,
    describe,
    event_study_plot,
)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data") and v is not None:
                self.refs.append((tag, v))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    ev = pd.DataFrame({"rel_time": [-3, -2, 0, 1], "estimate": [0.01, -0.02, 0.2, 0.3],
                       "ci_low": [-0.1, -0.12, 0.1, 0.2], "ci_high": [0.12, 0.08, 0.3, 0.4]})
    d = pd.DataFrame({"TFP_LP": np.linspace(7, 9, 20), "ROA": np.linspace(-0.1, 0.2, 20)})
    manifest = {"command": "demo run", "seeds": {"world": 20240101}, "parameters": {"a": 1},
                "note": "<script>alert(1)</script>"}
    out = tmp_path_factory.mktemp("rep") / "sub" / "report.html"
    build_report(out, "智能制造试点与全要素生产率", [
        Section("描述性统计", ["下表报告主要变量。\n\n第二段 <b>不是标签</b>", describe(d, ["TFP_LP", "ROA"])]),
        ("事件研究", [Figure(event_study_plot(ev), "图1 事件研究"), Html("<p class='x'>raw</p>")]),
        {"heading": "数据框", "blocks": [d.head(3)]},
    ], manifest)
    return out


def test_report_is_offline(report):
    text = report.read_text(encoding="utf-8")
    p = _Collector()
    p.feed(text)
    external = [(t, v) for t, v in p.refs if not (v.startswith("data:") or v.startswith("#"))]
    assert external == []
    assert "script" not in p.tags and "link" not in p.tags
    assert not re.search(r"https?://", text.replace("http://www.w3.org", ""))  # only SVG namespaces
    assert "@import" not in text and "url(" not in text.split("</style>")[0]


def test_report_contents(report):
    text = report.read_text(encoding="utf-8")
    p = _Collector()
    p.feed(text)
    # the describe table and the DataFrame, both styled as three-line tables
    assert len(re.findall(r'<table class="[^"]*smtext-table', text)) == 2
    imgs = [v for t, v in p.refs if t == "img"]
    assert len(imgs) == 1 and imgs[0].startswith("data:image/png;base64,")
    png = base64.b64decode(imgs[0].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "图1 事件研究" in text and "<p class='x'>raw</p>" in text
    assert "第二段 &lt;b&gt;不是标签&lt;/b&gt;" in text  # text blocks are escaped
    # manifest: collapsible block with the JSON, escaped
    block = re.search(r"<details>.*?<pre>(.*?)</pre>", text, re.S).group(1)
    import html

    assert json.loads(html.unescape(block))["seeds"] == {"world": 20240101}
    assert "<script>" not in text


def test_report_svg_figures(tmp_path):
    ev = pd.DataFrame({"rel_time": [-2, 0], "estimate": [0.0, 0.2], "ci_low": [-0.1, 0.1], "ci_high": [0.1, 0.3]})
    out = build_report(tmp_path / "r.html", "t", [("s", [event_study_plot(ev)])], None, figure_format="svg")
    text = out.read_text(encoding="utf-8")
    assert "data:image/svg+xml;base64," in text and "<details>" not in text


def test_report_rejects_unknown_block(tmp_path):
    with pytest.raises(SMError, match="SM606"):
        build_report(tmp_path / "r.html", "t", [("s", [object()])], None)
