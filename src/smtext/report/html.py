"""The HTML run report: tables, figures and the run manifest in one offline file.

The report embeds everything it shows: tables as HTML, figures as base64 PNG
(or SVG) data URIs, and the manifest as JSON in a collapsible block. It loads
no scripts, stylesheets, fonts or images from anywhere, so it opens offline and
can be archived with the replication package.
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from smtext.errors import SMError, check_option


class Html(str):
    """Trusted HTML to insert as is (everything else is escaped)."""


@dataclass(frozen=True)
class Figure:
    """A figure block with an optional caption (wraps a matplotlib Figure or an image file)."""

    figure: object
    caption: str | None = None


@dataclass(frozen=True)
class Section:
    """One report section.

    Parameters
    ----------
    heading : str
    blocks : sequence
        In display order. Each block is one of: ``str`` (text; blank lines
        separate paragraphs), :class:`Html` (trusted markup), an smtext table
        (anything with ``to_html()``), a pandas DataFrame, a matplotlib Figure,
        a :class:`Figure` (figure + caption), or a ``Path`` to a .png/.svg file.
    """

    heading: str
    blocks: Sequence = field(default_factory=list)


def _img_tag(data: bytes, mime: str, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img src="data:{mime};base64,{b64}" alt="{_html.escape(alt)}">'


def _figure_html(fig, caption: str | None, fmt: str) -> str:
    if isinstance(fig, str | Path):
        path = Path(fig)
        suffix = path.suffix.lower()
        check_option("figure file type", suffix, (".png", ".svg"))
        mime = "image/png" if suffix == ".png" else "image/svg+xml"
        tag = _img_tag(path.read_bytes(), mime, caption or path.stem)
    else:
        from matplotlib import rc_context

        buf = io.BytesIO()
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
            tag = _img_tag(buf.getvalue(), "image/png", caption or "figure")
        else:
            with rc_context({"svg.hashsalt": "smtext"}):  # stable ids -> identical reports
                fig.savefig(buf, format="svg", metadata={"Date": None})
            tag = _img_tag(buf.getvalue(), "image/svg+xml", caption or "figure")
    cap = f"<figcaption>{_html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{tag}{cap}</figure>"


def render_block(block, figure_format: str = "png") -> str:
    """HTML for one section block (see :class:`Section` for the accepted kinds)."""
    if isinstance(block, Html):
        return str(block)
    if isinstance(block, str):
        paras = [p.strip() for p in block.split("\n\n") if p.strip()]
        return "\n".join(f"<p>{_html.escape(p)}</p>" for p in paras)
    if isinstance(block, Figure):
        return _figure_html(block.figure, block.caption, figure_format)
    if isinstance(block, Path):
        return _figure_html(block, None, figure_format)
    if isinstance(block, pd.DataFrame):   # a plain row number is not worth a column
        index = not (isinstance(block.index, pd.RangeIndex) and block.index.name is None)
        return '<div class="frame">' + block.to_html(classes="smtext-table", border=0, index=index) + "</div>"
    if hasattr(block, "to_html"):
        return '<div class="frame">' + block.to_html() + "</div>"
    if hasattr(block, "savefig"):
        return _figure_html(block, None, figure_format)
    raise SMError("SM606", f"cannot put a {type(block).__name__} into the report.",
                  "use text, a table, a DataFrame, a matplotlib Figure or an image path.")


def _as_section(s) -> Section:
    if isinstance(s, Section):
        return s
    if isinstance(s, Mapping):
        return Section(heading=s["heading"], blocks=list(s.get("blocks", [])))
    if isinstance(s, tuple) and len(s) == 2:
        return Section(heading=s[0], blocks=list(s[1]))
    raise SMError("SM606", f"a report section must be a Section, a dict or a (heading, blocks) tuple; "
                  f"got {type(s).__name__}.")


def build_report(out_path, title: str, sections: Sequence, manifest: Mapping | None = None, *,
                 subtitle: str | None = None, figure_format: str = "png",
                 language: str = "zh") -> Path:
    """Write a self-contained HTML run report.

    Parameters
    ----------
    out_path : str or Path
        The .html file to write (parent folders are created).
    title : str
    sections : sequence of Section, dict or (heading, blocks)
        Dicts have keys ``heading`` and ``blocks``.
    manifest : mapping, optional
        The run manifest (``smtext.manifest.build_manifest``); shown as JSON in a
        collapsible ``<details>`` block.
    subtitle : str, optional
    figure_format : {"png", "svg"}
        How matplotlib figures are embedded (both as data URIs).
    language : {"zh", "en"}
        Language of the page furniture.

    Returns
    -------
    Path
    """
    check_option("figure_format", figure_format, ("png", "svg"))
    check_option("language", language, ("zh", "en"))
    from smtext import __version__

    secs = []
    for s in map(_as_section, sections):
        blocks = [Markup(render_block(b, figure_format)) for b in s.blocks]
        secs.append({"heading": s.heading, "html_blocks": blocks})
    env = Environment(loader=PackageLoader("smtext.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    text = env.get_template("report.html.j2").render(
        title=title, subtitle=subtitle, sections=secs, version=__version__,
        lang="zh-CN" if language == "zh" else "en",
        manifest_heading="运行清单（manifest）" if language == "zh" else "Run manifest",
        manifest_json=json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        if manifest else None,
    )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
