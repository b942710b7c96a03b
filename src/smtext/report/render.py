"""One table model, five output formats.

Every smtext table (regression, descriptive statistics, correlation, balance)
is first laid out as a :class:`Table`: a grid of strings with optional spanning
group headers, header rows, body sections separated by rules, and notes. The
renderers here turn that grid into Markdown, LaTeX (booktabs), HTML, Excel
(.xlsx) and Word (.docx). Keeping layout and rendering apart means a star or a
parenthesis can only vanish in one place, which the golden-file tests watch.
"""

from __future__ import annotations

import html as _html
import re
import zipfile
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

from smtext.errors import SMError, check_option

FORMATS = ("md", "tex", "html", "xlsx", "docx")
_EXT = {".md": "md", ".markdown": "md", ".tex": "tex", ".html": "html", ".htm": "html",
        ".xlsx": "xlsx", ".docx": "docx"}


@dataclass(frozen=True)
class Table:
    """A laid-out table: strings only, ready for any renderer.

    Parameters
    ----------
    header : list of list of str
        Header rows; each has ``1 + ncol`` cells (stub column first).
    sections : list of list of list of str
        Body sections (a rule is drawn between sections); each row has ``1 + ncol`` cells.
    groups : list of (str, int), optional
        Spanning headers over the data columns, as (text, number of columns);
        the spans add up to ``ncol``.
    title : str, optional
        Caption.
    notes : list of str
        Lines printed under the table.
    label : str, optional
        LaTeX ``\\label`` key.
    """

    header: list
    sections: list
    groups: list | None = None
    title: str | None = None
    notes: list = field(default_factory=list)
    label: str | None = None

    @property
    def ncol(self) -> int:
        """Number of data columns (without the stub)."""
        return len(self.header[0]) - 1 if self.header else len(self.sections[0][0]) - 1

    def rows(self) -> list[list[str]]:
        """Every row (group row, header rows, body rows) as plain lists, for tests and DataFrames."""
        out = []
        if self.groups:
            row = [""]
            for text, span in self.groups:
                row += [text] + [""] * (span - 1)
            out.append(row)
        out += [list(r) for r in self.header]
        for sec in self.sections:
            out += [list(r) for r in sec]
        return out

    def to_frame(self):
        """The grid as a pandas DataFrame of strings (no header promotion)."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    # -- text renderers -------------------------------------------------------------
    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown; group labels become a first header line."""
        return to_markdown(self)

    def to_latex(self) -> str:
        """A booktabs ``table`` environment (needs ``\\usepackage{booktabs}``; ctex for Chinese)."""
        return to_latex(self)

    def to_html(self) -> str:
        """An HTML ``<table>`` with ``<thead>``, ``<tbody>`` and ``<tfoot>`` (no external assets)."""
        return to_html(self)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_markdown()

    # -- file renderers -------------------------------------------------------------
    def to_excel(self, path, sheet_name: str = "Table") -> Path:
        """Write an .xlsx workbook with merged group headers and three-line borders."""
        return to_excel(self, path, sheet_name=sheet_name)

    def to_docx(self, path) -> Path:
        """Write a .docx document holding a real Word table (three-line style)."""
        return to_docx(self, path)

    def save(self, path, fmt: str | None = None) -> Path:
        """Write the table in the format given by ``fmt`` or the file extension.

        Parameters
        ----------
        path : str or Path
            Output file; parent folders are created.
        fmt : {"md", "tex", "html", "xlsx", "docx"}, optional
            Format; inferred from the extension when omitted.
        """
        path = Path(path)
        fmt = fmt or _EXT.get(path.suffix.lower())
        if fmt is None:
            raise SMError("SM603", f"cannot tell the table format from {path.name!r}.",
                          f"use one of the extensions {sorted(_EXT)} or pass fmt=.")
        check_option("fmt", fmt, FORMATS)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            return self.to_excel(path)
        if fmt == "docx":
            return self.to_docx(path)
        text = {"md": self.to_markdown, "tex": self.to_latex, "html": self.to_html}[fmt]()
        path.write_text(text, encoding="utf-8")
        return path


# -- Markdown ---------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(t: Table) -> str:
    """Render ``t`` as a Markdown pipe table followed by its notes."""
    lines = []
    if t.title:
        lines += [f"**{_md_cell(t.title)}**", ""]
    header = t.header[0]
    extra_header = t.header[1:]
    if t.groups:
        group_row = [""]
        for text, span in t.groups:
            group_row += [text] + [""] * (span - 1)
        extra_header = [header] + extra_header
        header = group_row
    lines.append("| " + " | ".join(_md_cell(c) for c in header) + " |")
    lines.append("|" + "|".join([":---"] + [":---:"] * t.ncol) + "|")
    for row in extra_header:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    for sec in t.sections:
        for row in sec:
            lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    if t.notes:
        lines.append("")
        lines += [_md_cell(n) for n in t.notes]
    return "\n".join(lines) + "\n"


# -- LaTeX ------------------------------------------------------------------------------
_TEX_SPECIAL = {"²": r"$^2$", "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}
_NUMBER = re.compile(r"^\(?-\d")


def _tex(text: str) -> str:
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    # A leading minus in a number is typeset as a real minus sign, not a hyphen.
    if _NUMBER.match(text):
        out = out.replace("-", "$-$", 1)
    return out


def to_latex(t: Table) -> str:
    """Render ``t`` as a booktabs table (``\\toprule``, ``\\midrule``, ``\\bottomrule``)."""
    n = t.ncol
    out = [r"\begin{table}[htbp]", r"\centering"]
    if t.title:
        out.append(r"\caption{" + _tex(t.title) + "}")
    if t.label:
        out.append(r"\label{" + t.label + "}")
    out.append(r"\begin{tabular}{l" + "c" * n + "}")
    out.append(r"\toprule")
    if t.groups:
        cells, rules, col = [""], [], 2
        for text, span in t.groups:
            cells.append(r"\multicolumn{%d}{c}{%s}" % (span, _tex(text)) if span > 1 else _tex(text))
            if text:
                rules.append(r"\cmidrule(lr){%d-%d}" % (col, col + span - 1))
            col += span
        out.append(" & ".join(cells) + r" \\")
        if rules:
            out.append(" ".join(rules))
    for row in t.header:
        out.append(" & ".join(_tex(c) for c in row) + r" \\")
    for sec in t.sections:
        out.append(r"\midrule")
        for row in sec:
            out.append(" & ".join(_tex(c) for c in row) + r" \\")
    out.append(r"\bottomrule")
    for note in t.notes:
        out.append(r"\multicolumn{%d}{l}{\footnotesize %s} \\" % (n + 1, _tex(note)))
    out.append(r"\end{tabular}")
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


# -- HTML -------------------------------------------------------------------------------
def to_html(t: Table) -> str:
    """Render ``t`` as a self-contained HTML table (class ``smtext-table``)."""
    e = _html.escape
    out = ['<table class="smtext-table">']
    if t.title:
        out.append(f"<caption>{e(t.title)}</caption>")
    out.append("<thead>")
    if t.groups:
        cells = ["<th></th>"]
        for text, span in t.groups:
            cls = ' class="group"' if text else ""
            cells.append(f'<th colspan="{span}"{cls}>{e(text)}</th>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    for row in t.header:
        out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in row) + "</tr>")
    out.append("</thead>")
    for sec in t.sections:
        out.append("<tbody>")
        for row in sec:
            out.append("<tr>" + f'<th scope="row">{e(row[0])}</th>'
                       + "".join(f"<td>{e(c)}</td>" for c in row[1:]) + "</tr>")
        out.append("</tbody>")
    if t.notes:
        out.append("<tfoot>")
        for note in t.notes:
            out.append(f'<tr><td colspan="{t.ncol + 1}">{e(note)}</td></tr>')
        out.append("</tfoot>")
    out.append("</table>")
    return "\n".join(out) + "\n"


# -- Office files -----------------------------------------------------------------------
_FIXED_DATE = datetime(2000, 1, 1)


def _normalise_zip(path: Path) -> None:
    """Rewrite an Office zip with fixed entry timestamps, so output bytes are reproducible."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


# -- Excel ------------------------------------------------------------------------------
_INT = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")


def _excel_value(text: str):
    """Counts (N) become real numbers so Excel can sum them; everything else stays text.

    Coefficients stay text on purpose: their stars and parentheses are part of the cell.
    """
    if _INT.match(text):
        return int(text.replace(",", ""))
    return text


def _require(module: str, package: str):
    try:
        return __import__(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SMError("SM607", f"writing this format needs the package {package!r}.",
                      f'pip install "{package}"') from exc


def to_excel(t: Table, path, sheet_name: str = "Table") -> Path:
    """Write ``t`` to an .xlsx file with openpyxl (merged group headers, top/mid/bottom rules)."""
    _require("openpyxl", "openpyxl>=3.1")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name[:31]
    thin = Side(style="thin")
    ncols = t.ncol + 1
    r = 1
    if t.title:
        ws.cell(row=r, column=1, value=t.title).font = Font(bold=True)
        r += 1
    first_rule_row = r

    def put(row_idx, cells, bold=False):
        for j, text in enumerate(cells, start=1):
            c = ws.cell(row=row_idx, column=j, value=_excel_value(text) if text != "" else None)
            c.alignment = Alignment(horizontal="left" if j == 1 else "center", vertical="center")
            if bold:
                c.font = Font(bold=True)

    if t.groups:
        col = 2
        ws.cell(row=r, column=1, value=None)
        for text, span in t.groups:
            c = ws.cell(row=r, column=col, value=text or None)
            c.alignment = Alignment(horizontal="center")
            c.font = Font(bold=True)
            if span > 1:
                ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
            col += span
        r += 1
    for row in t.header:
        put(r, row, bold=True)
        r += 1
    section_tops = []
    for sec in t.sections:
        section_tops.append(r)
        for row in sec:
            put(r, row)
            r += 1
    last = r - 1
    for j in range(1, ncols + 1):
        ws.cell(row=first_rule_row, column=j).border = Border(top=thin)
        for top in section_tops:
            ws.cell(row=top, column=j).border = Border(top=thin)
        cell = ws.cell(row=last, column=j)
        cell.border = Border(top=cell.border.top, bottom=thin)
    for note in t.notes:
        ws.cell(row=r, column=1, value=note)
        r += 1
    ws.column_dimensions["A"].width = max(12, min(40, max(len(row[0]) for row in t.rows()) * 2))
    for j in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    # Fixed document dates (openpyxl stamps "now") so the same table gives the same file.
    wb.properties.created = wb.properties.modified = _FIXED_DATE
    wb.save(path)
    _normalise_zip(path)
    return path


# -- Word -------------------------------------------------------------------------------
def _set_cell_border(cell, **edges):
    """Set borders of a Word table cell (python-docx has no API for it; raw OOXML)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = borders.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            borders.append(el)
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")


def _set_run_font(run, size_pt: float = 10.5, bold: bool = False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.name = "Times New Roman"
    # East Asian text needs its own font slot, or Word falls back to a default.
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:  # pragma: no cover - python-docx creates it when name is set
        from docx.oxml import OxmlElement
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), "宋体")


def to_docx(t: Table, path) -> Path:
    """Write ``t`` as a real Word table (not an image) in a new .docx file."""
    _require("docx", "python-docx>=1.1")
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = Document()
    if t.title:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(p.add_run(t.title), 10.5, bold=True)
    grid = []
    if t.groups:
        grid.append(("group", None))
    grid += [("header", row) for row in t.header]
    for k, sec in enumerate(t.sections):
        grid += [(f"body{k}", row) for row in sec]
    ncols = t.ncol + 1
    table = doc.add_table(rows=len(grid), cols=ncols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER

    def write(cell, text, align_left, bold=False):
        para = cell.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.LEFT if align_left else WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(para.add_run(text), 10.5, bold=bold)

    prev_kind = None
    for i, (kind, row) in enumerate(grid):
        cells = table.rows[i].cells
        if kind == "group":
            col = 1
            for text, span in t.groups:
                target = cells[col]
                if span > 1:
                    target = target.merge(cells[col + span - 1])
                write(target, text, False, bold=True)
                col += span
        else:
            for j, text in enumerate(row):
                write(cells[j], text, j == 0, bold=kind == "header")
        for j in range(ncols):
            if i == 0:
                _set_cell_border(table.rows[i].cells[j], top=12)
            if kind.startswith("body") and kind != prev_kind:
                _set_cell_border(table.rows[i].cells[j], top=6)
            if i == len(grid) - 1:
                _set_cell_border(table.rows[i].cells[j], bottom=12)
        prev_kind = kind
    for note in t.notes:
        _set_run_font(doc.add_paragraph().add_run(note), 9)
    doc.core_properties.created = doc.core_properties.modified = _FIXED_DATE
    doc.save(path)
    _normalise_zip(path)
    return path
