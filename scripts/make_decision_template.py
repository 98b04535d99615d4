"""Build the shipped DOCX template of the draft Keputusan PPID (``dip_sheets/templates/keputusan.docx``).

The template is a Word document with docxtpl's Jinja tags in it; ``dip keputusan draf`` fills it
(:mod:`dip_sheets.decision_draft`). It is built here with python-docx so that it can be rebuilt and
reviewed as code; ``tests/test_decision_draft.py`` checks that the committed file is what this
script makes. An office that wants its own layout (another letterhead, another font) copies
the file into its ``[publish] templates`` folder and edits it in Word or LibreOffice, keeping the
``{{ … }}`` and ``{% … %}`` tags (``{{ logo }}`` is the ``[office] logo`` image, when there is one).

Run: ``.venv/bin/python scripts/make_decision_template.py`` (writes the file in the package).

Layout: A4 portrait for the decision, then a landscape section for its attachments (LAMPIRAN I, the
DIP; LAMPIRAN II, the DIK; only the ones the decision establishes are kept when it is filled).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

OUT = Path(__file__).resolve().parent.parent / "dip_sheets" / "templates" / "keputusan.docx"
FONT = "Arial"
#: a fixed time in the document's properties, so two builds differ only in the zip's own dates
BUILT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PORTRAIT_TEXT = 16.0  # cm of text width on A4 portrait with 2.5 cm margins
#: the attachments' columns: (heading, width in cm, the row's field); landscape text width 25.7 cm
DIP_COLUMNS = (
    ("No", 1.0, "no"), ("Kategori", 2.2, "category"), ("Judul Informasi", 4.0, "title"),
    ("Ringkasan Isi Informasi", 4.9, "summary"),
    ("Pejabat/Unit yang Menguasai Informasi", 3.5, "unit"),
    ("Penanggung Jawab Pembuatan atau Penerbitan", 3.0, "responsible"),
    ("Waktu dan Tempat Pembuatan", 2.6, "made"), ("Bentuk Informasi", 2.0, "form"),
    ("Jangka Waktu Penyimpanan (Retensi)", 2.5, "retention"),
)
DIK_COLUMNS = (
    ("No", 1.0, "no"), ("Informasi yang Dikecualikan", 4.3, "information"),
    ("Pejabat/Unit yang Menguasai Informasi", 3.2, "unit"),
    ("Dasar Hukum Pengecualian", 3.7, "legal_basis"),
    ("Konsekuensi apabila Dibuka", 4.2, "if_opened"),
    ("Konsekuensi apabila Ditutup", 4.2, "if_closed"),
    ("Jangka Waktu Pengecualian", 2.6, "period"), ("Tanggal Uji Konsekuensi", 2.5, "tested_on"),
)


def paragraph(container: Document | _Cell, text: str = "", *, bold: bool = False, size: float = 11,
              align: WD_ALIGN_PARAGRAPH | None = None, indent: float = 0, after: float = 0,
              keep: bool = False) -> Paragraph:
    """One paragraph of ``text`` (a single run, so a docxtpl tag is never split)."""
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(after)
    if align is not None:
        p.alignment = align
    if indent:
        fmt.left_indent = Cm(indent)
    if keep:
        fmt.keep_with_next = True
    return p


def tag(container: Document | _Cell, text: str) -> None:
    """A paragraph holding only a docxtpl paragraph tag (``{%p … %}``), removed when filled."""
    paragraph(container, text, size=2)


def bottom_border(p: Paragraph) -> None:
    """The rule under the letterhead."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "thick"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def row_property(table: Table, row: int, name: str) -> None:
    """``w:tblHeader`` (repeated at the top of every page) or ``w:cantSplit`` (kept on one page)."""
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    table.rows[row]._tr.get_or_add_trPr().append(element)


def widths(table: Table, cm: Sequence[float]) -> None:
    """Fixed column widths, in the grid (what LibreOffice reads) and in every cell (what Word reads)."""
    table.autofit = False
    for column, width in zip(table.columns, cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, cm, strict=True):
            cell.width = Cm(width)


def set_text(cell: _Cell, text: str, *, bold: bool = False, size: float = 11,
             align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.bold, run.font.size = bold, Pt(size)
    if align is not None:
        p.alignment = align


def labelled(doc: Document, label: str, loop: str, mark: str, text: str) -> None:
    """``Menimbang : a. bahwa …`` as a borderless table: one row per entry of ``loop``."""
    table = doc.add_table(rows=3, cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    set_text(table.cell(0, 0), f"{{%tr for entry in {loop} %}}")
    set_text(table.cell(1, 0), f'{{{{ "{label}" if loop.first else "" }}}}')
    set_text(table.cell(1, 1), '{{ ":" if loop.first else "" }}')
    set_text(table.cell(1, 2), f"{{{{ entry.{mark} }}}}")
    set_text(table.cell(1, 3), f"{{{{ entry.{text} }}}}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    set_text(table.cell(2, 0), "{%tr endfor %}")
    widths(table, (3.0, 0.5, 0.8, 11.7))
    paragraph(doc)


def signature(doc: Document, indent: float, *, place: bool) -> None:
    """The PPID's signature block; ``place``: with ``Ditetapkan di … pada tanggal …``."""
    if place:
        paragraph(doc, "Ditetapkan di {{ office.city }}", indent=indent, keep=True)
        paragraph(doc, "pada tanggal {{ date_text }}", indent=indent, after=8, keep=True)
    paragraph(doc, "{{ ppid_title_upper }},", bold=True, indent=indent, keep=True)
    for _ in range(4):
        paragraph(doc, indent=indent, keep=True)
    paragraph(doc, "{{ ppid_name }}", bold=True, indent=indent, keep=True)
    tag(doc, "{%p if ppid_nip %}")
    paragraph(doc, "NIP {{ ppid_nip }}", indent=indent)
    tag(doc, "{%p endif %}")


def attachment(doc: Document, which: str, rows: str, columns: Sequence[tuple[str, float, str]]) -> None:
    """One LAMPIRAN: its heading repeating the decision, its title, the table, the signature."""
    indent = 15.5
    for line in (f"{{{{ {which}.label }}}}", "KEPUTUSAN {{ ppid_title_upper }}", "NOMOR {{ number }}",
                 "TENTANG {{ about_upper }}", "TANGGAL {{ date_text }}"):
        paragraph(doc, line, size=10, indent=indent)
    paragraph(doc)
    paragraph(doc, f"{{{{ {which}.title }}}}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=8)
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    for cell, (heading, _, _) in zip(table.rows[0].cells, columns, strict=True):
        set_text(cell, heading, bold=True, size=9, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_text(table.cell(1, 0), f"{{%tr for row in {rows} %}}", size=9)
    for cell, (_, _, key) in zip(table.rows[2].cells, columns, strict=True):
        set_text(cell, f"{{{{ row.{key} }}}}", size=9)
    set_text(table.cell(3, 0), "{%tr endfor %}", size=9)
    row_property(table, 0, "w:tblHeader")
    row_property(table, 2, "w:cantSplit")
    widths(table, [w for _, w, _ in columns])
    paragraph(doc, after=8)
    signature(doc, indent, place=False)


def build() -> Document:
    doc = docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    props = doc.core_properties
    props.title = "Keputusan PPID tentang Penetapan Daftar Informasi Publik"
    props.author = props.last_modified_by = "dip-sheets"
    props.created = props.modified = BUILT
    props.revision = 1

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)

    # letterhead: the office's logo (when it has one) above its name
    tag(doc, "{%p if logo %}")
    paragraph(doc, "{{ logo }}", align=WD_ALIGN_PARAGRAPH.CENTER, after=4)
    tag(doc, "{%p endif %}")
    paragraph(doc, "{{ office_upper }}", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    tag(doc, "{%p if letterhead_line %}")
    paragraph(doc, "{{ letterhead_line }}", size=9, align=WD_ALIGN_PARAGRAPH.CENTER)
    tag(doc, "{%p endif %}")
    bottom_border(paragraph(doc, size=4, after=10))

    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(doc, "KEPUTUSAN {{ ppid_title_upper }}", bold=True, align=center)
    paragraph(doc, "NOMOR {{ number }}", bold=True, align=center, after=10)
    paragraph(doc, "TENTANG", bold=True, align=center)
    paragraph(doc, "{{ about_upper }}", bold=True, align=center, after=10)
    paragraph(doc, "DENGAN RAHMAT TUHAN YANG MAHA ESA", bold=True, align=center, after=10)
    paragraph(doc, "{{ ppid_title_upper }},", bold=True, align=center, after=10)
    labelled(doc, "Menimbang", "menimbang", "mark", "text")
    labelled(doc, "Mengingat", "mengingat", "mark", "text")
    paragraph(doc, "MEMUTUSKAN:", bold=True, align=center, after=10)

    decided = doc.add_table(rows=4, cols=3)
    set_text(decided.cell(0, 0), "Menetapkan")
    set_text(decided.cell(0, 1), ":")
    set_text(decided.cell(0, 2), "KEPUTUSAN {{ ppid_title_upper }} TENTANG {{ about_upper }}.", bold=True,
             align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    set_text(decided.cell(1, 0), "{%tr for entry in diktum %}")
    set_text(decided.cell(2, 0), "{{ entry.label }}")
    set_text(decided.cell(2, 1), ":")
    set_text(decided.cell(2, 2), "{{ entry.text }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    set_text(decided.cell(3, 0), "{%tr endfor %}")
    widths(decided, (3.0, 0.5, 12.5))
    paragraph(doc, after=10)
    signature(doc, 9.0, place=True)

    attachments = doc.add_section(WD_SECTION.NEW_PAGE)
    attachments.orientation = WD_ORIENT.LANDSCAPE
    attachments.page_width, attachments.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(attachments, side, Cm(2.0))
    tag(doc, "{%p if dip %}")
    attachment(doc, "dip", "items", DIP_COLUMNS)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if dik %}")
    tag(doc, "{%p if dip %}")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tag(doc, "{%p endif %}")
    attachment(doc, "dik", "exclusions", DIK_COLUMNS)
    tag(doc, "{%p endif %}")
    return doc


def main(argv: Sequence[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    build().save(str(out))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
