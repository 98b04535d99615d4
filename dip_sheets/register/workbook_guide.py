"""What makes the workbook explain itself, written by ``dip init`` as patches like every other write.

The ``Petunjuk`` tab (ours alone, rewritten when its content changed), a note on every header (a
comments part and its VML shapes, added only where staff have no comments of their own on that tab),
rows with a finding shaded by conditional formatting, and the print setup (A4 landscape, fit to
width, the header row on every page). Staff content keeps its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .. import guide_tab as g
from .. import schema as s
from . import Cell, Row, cell_text
from .xlsx import attrs, column_letter, escape, start_tag
from .xlsx_sheet import Worksheet
from .xlsx_styles import Format

if TYPE_CHECKING:
    from .workbook_book import Book

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
COMMENTS_TYPE = REL_NS + b"/comments"
VML_TYPE = REL_NS + b"/vmlDrawing"
COMMENTS_CONTENT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT = b"application/vnd.openxmlformats-officedocument.vmlDrawing"
#: the author of the header notes: how ``dip init`` knows a comments part is its own.
AUTHOR = "dip-sheets"
HEADER_HEIGHT = b"54"
#: the conditional format's formula starts so: how ``dip init`` knows the rule is its own.
FINDING_RULE = "LEN(TRIM("


# ---- the Petunjuk tab ---------------------------------------------------------------------------


def ensure_guide(book: Book) -> bool:
    """Write the ``Petunjuk`` tab if it is missing or differs from what the code says; ``True`` if so."""
    xml = _guide_xml(book)
    if g.GUIDE_TAB not in book.paths:
        book.add_sheet(g.GUIDE_TAB, xml)
        return True
    wanted = [list(line.cells) for line in g.lines()]
    if [[cell_text(v) for v in row] for row in book.rows(g.GUIDE_TAB)] == wanted:
        return False  # the same text, however another program saved it
    book.package.write(book.paths[g.GUIDE_TAB], xml)
    book.sheets.pop(g.GUIDE_TAB, None)
    book.grids.pop(g.GUIDE_TAB, None)
    return True


def _guide_xml(book: Book) -> bytes:
    return _text_tab(book, [(line.kind, line.cells, line.colour) for line in g.lines()], g.GUIDE_WIDTHS)


def write_dashboard(book: Book, rows: Sequence[Row]) -> None:
    """The ``Ringkasan`` tab holding exactly ``rows`` (the title and each section's first row in
    bold), protected as a whole; written as one new part like the ``Petunjuk`` tab."""
    lines = [("title" if n == 0 else "heading" if n > 1 and not rows[n - 1] else "row", tuple(row), "")
             for n, row in enumerate(rows)]
    xml = _text_tab(book, lines, g.DASHBOARD_WIDTHS)
    if s.DASHBOARD_TAB not in book.paths:
        book.add_sheet(s.DASHBOARD_TAB, xml)
        return
    book.package.write(book.paths[s.DASHBOARD_TAB], xml)
    book.sheets.pop(s.DASHBOARD_TAB, None)
    book.grids.pop(s.DASHBOARD_TAB, None)


def _text_tab(book: Book, lines: Sequence[tuple[str, Sequence[Cell], str]],
              widths: Sequence[int]) -> bytes:
    """A protected tab of text (and numbers) only dip-sheets writes: ``(kind, cells, colour)`` per
    row, ``kind`` one of title, heading, head, row (see :class:`~dip_sheets.guide_tab.Line`)."""
    styles = book.styles
    wrap = b'<alignment vertical="top" wrapText="1"/>'
    bold = styles.sans_bold_font()
    plain = styles.derive(0, Format(alignment=wrap))
    kinds = {"title": styles.derive(0, Format(font=bold)),
             "heading": styles.derive(0, Format(font=bold, fill=styles.fill(g.HEADING_COLOUR),
                                                alignment=wrap)),
             "head": styles.derive(0, Format(font=bold, alignment=wrap)), "row": plain}
    rows = []
    for number, (kind, values, colour) in enumerate(lines, 1):
        cells = []
        for index, value in enumerate(values):
            style = kinds[kind]
            if index == 0 and colour:
                style = styles.derive(style, Format(fill=styles.fill(colour)))
            ref = b"%s%d" % (column_letter(index + 1).encode(), number)
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(b'<c r="%s" s="%d"><v>%s</v></c>' % (ref, style, str(value).encode()))
            elif value is not None:
                text = value if isinstance(value, str) else cell_text(value)
                cells.append(b'<c r="%s" s="%d" t="inlineStr"><is><t>%s</t></is></c>'
                             % (ref, style, escape(text)))
        needed = max((_lines(cell_text(v), widths[i] if i < len(widths) else 9)
                      for i, v in enumerate(values)), default=1)
        height = b' ht="%d" customHeight="1"' % (15 * needed) if needed > 1 else b""
        rows.append(b'<row r="%d"%s>%s</row>' % (number, height, b"".join(cells)))
    cols = b"".join(b'<col min="%d" max="%d" width="%d" customWidth="1"/>' % (i, i, w)
                    for i, w in enumerate(widths, 1))
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="%s"><sheetPr>'
            b'<pageSetUpPr fitToPage="1"/></sheetPr><cols>%s</cols><sheetData>%s</sheetData>'
            b'<sheetProtection sheet="1"/><pageSetup paperSize="9" orientation="landscape"'
            b' fitToWidth="1" fitToHeight="0"/></worksheet>' % (MAIN, cols, b"".join(rows)))


def _lines(text: str, width: int) -> int:
    """About how many lines a wrapped cell of ``width`` characters needs (programs do not size
    rows of a file they open, so the height is written with it)."""
    return sum(max(1, -(-len(part) // max(width - 1, 1))) for part in text.split("\n"))


# ---- header notes -------------------------------------------------------------------------------


def header_notes(book: Book, tab: s.Tab, columns: Mapping[str, int]) -> None:
    """A note with its help text on every header; skipped where staff keep comments of their own."""
    path = book.paths[tab.name]
    rels_path = re.sub(r"([^/]+)$", r"_rels/\1.rels", path)
    rels = book.package.read(rels_path) if book.package.has(rels_path) else (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
        b'"http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    found = {attrs(m[0]).get(b"Type"): attrs(m[0]) for m in
             re.finditer(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>", rels)}
    stem = path.rsplit("/", 1)[1].removesuffix(".xml")
    comments_part, vml_part = f"xl/dip_notes_{stem}.xml", f"xl/drawings/dip_notes_{stem}.vml"
    ours = {COMMENTS_TYPE: f"../dip_notes_{stem}.xml".encode(),
            VML_TYPE: f"../drawings/dip_notes_{stem}.vml".encode()}
    if any(kind in found and found[kind].get(b"Target") != target for kind, target in ours.items()):
        return  # staff's own comments or drawn controls: theirs to keep, byte for byte
    notes = sorted((columns[c.header] + 1, g.column_help(c)) for c in tab.columns)
    book.package.write(comments_part, _comments_xml(notes))
    number = int(re.sub(r"\D", "", stem) or "1")
    book.package.write(vml_part, _vml_xml(notes, number))
    if COMMENTS_TYPE not in found:
        used = {int(m[1]) for m in re.finditer(rb'Id="rId(\d+)"', rels)}
        first, second = max(used, default=0) + 1, max(used, default=0) + 2
        added = (b'<Relationship Id="rId%d" Type="%s" Target="../dip_notes_%s.xml"/>'
                 b'<Relationship Id="rId%d" Type="%s" Target="../drawings/dip_notes_%s.vml"/>' % (
                     first, COMMENTS_TYPE, stem.encode(), second, VML_TYPE, stem.encode()))
        book.package.write(rels_path, rels.replace(b"</Relationships>", added + b"</Relationships>"))
        _content_types(book, comments_part)
        book.sheet(tab.name).put("legacyDrawing", b'<%slegacyDrawing xmlns:r="%s" r:id="rId%d"/>' % (
            book.sheet(tab.name).prefix, REL_NS, second))


def _content_types(book: Book, comments_part: str) -> None:
    types = book.package.read("[Content_Types].xml")
    extra = b""
    if b'Extension="vml"' not in types:
        extra += b'<Default Extension="vml" ContentType="%s"/>' % VML_CONTENT
    extra += b'<Override PartName="/%s" ContentType="%s"/>' % (comments_part.encode(), COMMENTS_CONTENT)
    book.package.write("[Content_Types].xml", types.replace(b"</Types>", extra + b"</Types>"))


def _comments_xml(notes: list[tuple[int, str]]) -> bytes:
    body = b"".join(b'<comment ref="%s1" authorId="0"><text><t xml:space="preserve">%s</t></text></comment>'
                    % (column_letter(c).encode(), escape(text)) for c, text in notes)
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="%s"><authors>'
            b"<author>%s</author></authors><commentList>%s</commentList></comments>" % (
                MAIN, AUTHOR.encode(), body))


def _vml_xml(notes: list[tuple[int, str]], number: int) -> bytes:
    """The hidden note boxes Excel needs to show the comments (LibreOffice reads the comments)."""
    shapes = b"".join(
        b'<v:shape id="_x0000_s%d" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
        b'margin-top:2pt;width:220pt;height:70pt;z-index:%d;visibility:hidden" fillcolor="#ffffe1"'
        b' o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        b'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:'
        b'left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        b"<x:Anchor>%d, 15, 0, 2, %d, 15, 4, 16</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>0</x:Row>"
        b"<x:Column>%d</x:Column></x:ClientData></v:shape>" % (
            number * 1024 + i + 1, i + 1, column, column + 3, column - 1)
        for i, (column, _) in enumerate(notes))
    return (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
            b' xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap'
            b' v:ext="edit" data="%d"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600"'
            b' o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path'
            b' gradientshapeok="t" o:connecttype="rect"/></v:shapetype>%s</xml>' % (number, shapes))


# ---- the header row, findings and printing ------------------------------------------------------


def header_row(sheet: Worksheet) -> None:
    """A header row tall enough for wrapped headers (they no longer overlap the first row)."""
    sheet.set_row(1, {b"ht": HEADER_HEIGHT, b"customHeight": b"1"})


def finding_rule(book: Book, tab: s.Tab, columns: Mapping[str, int], last: int) -> bytes | None:
    """Shade a row whose ``Catatan Sinkron`` holds a finding; ``None`` where staff keep rules of
    their own (theirs are kept)."""
    sheet = book.sheet(tab.name)
    existing = sheet.element("conditionalFormatting")
    if s.NOTE not in columns or (existing is not None and FINDING_RULE.encode() not in existing):
        return None
    p = sheet.prefix
    note = column_letter(columns[s.NOTE] + 1)
    area = f"A2:{column_letter(max(columns.values()) + 1)}{last}".encode()
    rule = start_tag(p, b"cfRule", {b"type": b"expression", b"dxfId": str(
        book.styles.dxf_fill(g.FINDING_COLOUR)).encode(), b"priority": b"1"}, False)
    return b'<%sconditionalFormatting sqref="%s">%s<%sformula>%s$%s2))&gt;0</%sformula></%scfRule>' \
        b"</%sconditionalFormatting>" % (p, area, rule, p, FINDING_RULE.encode(), note.encode(), p, p, p)


def page_setup(sheet: Worksheet) -> bytes:
    """A4 landscape, one page wide; other settings staff made (margins, a printer's id) are kept."""
    a = attrs(sheet.element("pageSetup") or b"")
    a.update({b"paperSize": b"9", b"orientation": b"landscape", b"fitToWidth": b"1", b"fitToHeight": b"0"})
    return start_tag(sheet.prefix, b"pageSetup", a, True)


def fit_to_page(sheet: Worksheet) -> bytes:
    """``sheetPr`` asking for the fit-to-page scaling ``page_setup`` describes."""
    p = sheet.prefix
    existing = sheet.element("sheetPr")
    if existing is None:
        return b'<%ssheetPr><%spageSetUpPr fitToPage="1"/></%ssheetPr>' % (p, p, p)
    found = re.search(rb"<(?:[\w.-]+:)?pageSetUpPr\b[^>]*?/?>", existing)
    if found is None:
        if existing.rstrip().endswith(b"/>"):
            opened = existing.rstrip()[:-2].rstrip() + b">"
            return opened + b'<%spageSetUpPr fitToPage="1"/></%ssheetPr>' % (p, p)
        close = existing.rindex(b"</")
        return existing[:close] + b'<%spageSetUpPr fitToPage="1"/>' % p + existing[close:]
    a = attrs(found[0])
    a[b"fitToPage"] = b"1"
    tag = start_tag(p, b"pageSetUpPr", a, found[0].endswith(b"/>"))
    return existing[:found.start()] + tag + existing[found.end():]


def print_titles(book: Book, tab: s.Tab) -> None:
    """Repeat the header row on every printed page (``_xlnm.Print_Titles``), unless staff set titles."""
    workbook = book.package.read("xl/workbook.xml")
    index = list(book.paths).index(tab.name)
    if re.search(rb'name="_xlnm.Print_Titles"[^>]*localSheetId="%d"|localSheetId="%d"[^>]*name="_xlnm.'
                 rb'Print_Titles"' % (index, index), workbook):
        return
    prefix = re.match(rb"<(?:\?[^>]*\?>\s*)?<([\w.-]+:)?workbook\b", workbook)
    p = prefix[1] or b"" if prefix else b""
    name = b'<%sdefinedName name="_xlnm.Print_Titles" localSheetId="%d">\'%s\'!$1:$1</%sdefinedName>' % (
        p, index, escape(tab.name.replace("'", "''")), p)
    empty = re.search(rb"<(?:[\w.-]+:)?definedNames\s*/>", workbook)
    closing = re.search(rb"</(?:[\w.-]+:)?definedNames>", workbook)
    if closing:
        workbook = workbook[:closing.start()] + name + workbook[closing.start():]
    elif empty:
        workbook = (workbook[:empty.start()] + b"<%sdefinedNames>%s</%sdefinedNames>" % (p, name, p)
                    + workbook[empty.end():])
    else:  # definedNames come right after sheets
        end = re.search(rb"</(?:[\w.-]+:)?sheets>", workbook)
        assert end is not None
        workbook = (workbook[:end.end()] + b"<%sdefinedNames>%s</%sdefinedNames>" % (p, name, p)
                    + workbook[end.end():])
    book.package.write("xl/workbook.xml", workbook)
