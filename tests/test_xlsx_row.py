"""A write patches only the cells it sets (:mod:`dip_sheets.register.xlsx_row`), whatever wrote the row.

Rows are made as Excel, LibreOffice and openpyxl spell them (attribute order, quotes, a reference
left out, a namespace prefix, ``spans`` or not, self-closed rows) and hold every kind of cell (shared
and inline strings, rich text, formulas, numbers, booleans, empty styled cells). After random cells
are set: every cell not set keeps its bytes and its place, every row not touched keeps its bytes,
and openpyxl and python-calamine read exactly the intended values.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dip_sheets.register.xlsx import column_letter
from dip_sheets.register.xlsx_sheet import KEEP, OWN_OR_COLUMN, Worksheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROWS = 6  # rows 1..ROWS; some absent from the part
COLUMNS = 7
COLUMN_STYLE = 7  # the style of column B, from <cols>

#: what each kind of cell holds, as (attributes after r and s, children) with {p} the prefix
KINDS = {
    "empty": (b"", b""),
    "shared": (b' t="s"', b"<{p}v>1</{p}v>"),
    "inline": (b' t="inlineStr"', b"<{p}is><{p}t>a &amp; &lt;b&gt; &quot;c&quot;</{p}t></{p}is>"),
    # a text holding the characters of its own reference (and of a cell element)
    "rich": (b' t="inlineStr"', b'<{p}is><{p}r><{p}rPr><{p}b/></{p}rPr><{p}t>fett</{p}t></{p}r><{p}r>'
             b'<{p}t xml:space="preserve"> r="{ref}" &lt;c r="{ref}"/&gt;</{p}t></{p}r></{p}is>'),
    "formula": (b"", b"<{p}f>1+1</{p}f><{p}v>2</{p}v>"),
    "number": (b"", b"<{p}v>3.5</{p}v>"),
    "boolean": (b' t="b"', b"<{p}v>1</{p}v>"),
}
SPELLINGS = ("r first", "s first", "single quotes", "no r")
ROW_SPELLINGS = ("plain", "spans", "libreoffice", "r last")


@dataclass(frozen=True)
class Cell:
    column: int
    kind: str
    spelling: str
    style: int | None


def cell_xml(p: bytes, row: int, cell: Cell, previous: int) -> bytes:
    ref = b"%s%d" % (column_letter(cell.column).encode(), row)
    extra, children = KINDS[cell.kind]
    children = children.replace(b"{p}", p).replace(b"{ref}", ref)
    s = b' s="%d"' % cell.style if cell.style is not None else b""
    spelling = cell.spelling if cell.spelling != "no r" or previous == cell.column - 1 else "r first"
    start = {
        "r first": b'<%sc r="%s"%s%s' % (p, ref, s, extra),
        "s first": b'<%sc%s%s r="%s"' % (p, s, extra, ref),
        "single quotes": b"<%sc r='%s'%s%s" % (p, ref, s, extra),
        "no r": b"<%sc%s%s" % (p, s, extra),
    }[spelling]
    return start + (b">" + children + b"</%sc>" % p if children else b"/>")


cells_of_a_row = st.lists(
    st.builds(Cell, st.integers(1, COLUMNS), st.sampled_from(sorted(KINDS)), st.sampled_from(SPELLINGS),
              st.one_of(st.none(), st.integers(0, 11))),
    max_size=COLUMNS, unique_by=lambda c: c.column).map(lambda cells: sorted(cells, key=lambda c: c.column))
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t<>&\"'"),
                max_size=12).filter(lambda t: not re.search(r"_x[0-9A-Fa-f]{4}_", t))
values = st.one_of(texts, st.integers(-10**9, 10**9), st.booleans(), st.none(),
                   st.floats(allow_nan=False, allow_infinity=False, width=32))
#: a value in the cell's own (or its column's) style, a value in a given style, or a style alone
edits_of_a_row = st.dictionaries(st.integers(1, COLUMNS), values | st.tuples(
    values | st.just(KEEP), st.integers(0, 11)), max_size=COLUMNS)


def sheet_xml(p: bytes, rows: dict[int, tuple[list[Cell], str]], columns: bool) -> bytes:
    body = []
    for number, (cells, tag) in sorted(rows.items()):
        made, previous = [], 0
        for cell in cells:
            made.append(cell_xml(p, number, cell, previous))
            previous = cell.column
        low_high = b' spans="%d:%d"' % (cells[0].column, cells[-1].column) if cells else b""
        libreoffice = (b' r="%d" customFormat="false" ht="12.8" hidden="false" customHeight="false"'
                       b' outlineLevel="0" collapsed="false"' % number)
        attributes = {"plain": b' r="%d"' % number, "spans": b' r="%d"%s' % (number, low_high),
                      "libreoffice": libreoffice, "r last": b'%s ht="15"\n r="%d"' % (low_high, number)}[tag]
        content = b"".join(made)
        body.append(b"<%srow%s>%s</%srow>" % (p, attributes, content, p) if content
                    else b"<%srow%s/>" % (p, attributes))
    cols = b'<%scols><%scol min="2" max="2" width="9" style="%d"/></%scols>' % (p, p, COLUMN_STYLE, p)
    xmlns = b'xmlns%s="%s"' % (b":" + p[:-1] if p else b"", MAIN.encode())
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<%sworksheet %s>%s<%ssheetData>%s'
            b"</%ssheetData></%sworksheet>" % (p, xmlns, cols if columns else b"", p, b"".join(body), p, p))


PACKAGE = "http://schemas.openxmlformats.org/package/2006/"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def workbook(sheet: bytes) -> bytes:
    """A minimal workbook around one sheet part: 12 cell formats, two shared strings."""
    def rels(*targets: tuple[str, str]) -> str:
        return f'<Relationships xmlns="{PACKAGE}relationships">' + "".join(
            f'<Relationship Id="rId{n}" Type="{OFFICE}/{kind}" Target="{target}"/>'
            for n, (kind, target) in enumerate(targets, 1)) + "</Relationships>"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{PACKAGE}content-types"><Default Extension="rels"'
        ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(
            f'<Override PartName="/xl/{name}" ContentType="{TYPE}{kind}+xml"/>' for name, kind in (
                ("workbook.xml", "sheet.main"), ("worksheets/sheet1.xml", "worksheet"),
                ("styles.xml", "styles"), ("sharedStrings.xml", "sharedStrings"))) + "</Types>",
        "_rels/.rels": rels(("officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": rels(("worksheet", "worksheets/sheet1.xml"), ("styles", "styles.xml"),
                                           ("sharedStrings", "sharedStrings.xml")),
        "xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
        '<name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/>'
        '</fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"'
        ' fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="12">'
        + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' * 12 + '</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>nol</t></si>'
        "<si><t>geteilt &amp; satu</t></si></sst>",
    }
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return stream.getvalue()


def plain(value: Any) -> Any:
    if value in ("", None):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_calamine(data: bytes) -> dict[tuple[int, int], Any]:
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("S")
    return {(r + 1, c + 1): plain(v) for r, row in enumerate(sheet.to_python(skip_empty_area=False))
            for c, v in enumerate(row) if plain(v) is not None}


def read_openpyxl(data: bytes) -> dict[tuple[int, int], Any]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["S"]
    return {(c.row, c.column): plain(c.value) for row in sheet.iter_rows() for c in row
            if plain(c.value) is not None}


def styles(xml: bytes) -> dict[tuple[int, int], int | None]:
    """Each cell's own style index, by a real XML parser (and every row's cells in column order)."""
    found: dict[tuple[int, int], int | None] = {}
    for row in ET.fromstring(xml).iter(f"{{{MAIN}}}row"):
        number, column = int(row.attrib["r"]), 0
        for cell in row.iter(f"{{{MAIN}}}c"):
            ref = cell.attrib.get("r")
            later = openpyxl.utils.column_index_from_string(re.sub(r"\d", "", ref)) if ref else column + 1
            assert later > column, "cells out of column order"
            column = later
            found[number, column] = int(cell.attrib["s"]) if "s" in cell.attrib else None
    return found


def intended(value: Any) -> Any:
    if isinstance(value, float):
        return plain(float(repr(value)))
    return plain(value)


def set_cells(sheet: Worksheet, edits: dict[int, dict[int, Any]]) -> None:
    """Queue ``edits`` (row -> column -> value, or (value, style); ``KEEP``: the style alone)."""
    for number, row in edits.items():
        for column, edit in row.items():
            value, style = edit if isinstance(edit, tuple) else (edit, OWN_OR_COLUMN)
            if value is KEEP:
                sheet.set_style(number, column, style)
            else:
                sheet.set(number, column, value, style)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(1, ROWS), st.tuples(cells_of_a_row, st.sampled_from(ROW_SPELLINGS))),
       st.dictionaries(st.integers(1, ROWS), edits_of_a_row, max_size=3),
       st.sampled_from((b"", b"x:")), st.booleans())
def test_a_patch_sets_exactly_its_cells_and_keeps_every_other_byte(
    rows: dict[int, tuple[list[Cell], str]], edits: dict[int, dict[int, Any]], p: bytes, columns: bool
) -> None:
    before = sheet_xml(p, rows, columns)
    sheet = Worksheet(before)
    set_cells(sheet, edits)
    after = b"".join(bytes(piece) for piece in sheet.chunks())
    assert after == sheet.xml()

    old_book, new_book = workbook(before), workbook(after)
    old_styles, new_styles = styles(before), styles(after)
    for reader in (read_calamine, read_openpyxl):
        expected = reader(old_book)
        for number, row in edits.items():
            for column, edit in row.items():
                value = edit[0] if isinstance(edit, tuple) else edit
                if value is not KEEP:
                    expected.pop((number, column), None)
                    if intended(value) is not None:
                        expected[number, column] = intended(value)
        assert reader(new_book) == expected, reader.__name__

    expected_styles = dict(old_styles)
    for number, row in edits.items():
        for column, edit in row.items():
            own = old_styles.get((number, column))
            column_style = COLUMN_STYLE if columns and column == 2 else None
            expected_styles[number, column] = edit[1] if isinstance(edit, tuple) else (
                own if own is not None else column_style)
    assert new_styles == expected_styles

    for number, (cells, _) in rows.items():
        row_start = rb"<%srow(?=[^>]*\sr=\"%d\")" % (p, number)
        old_row = re.search(rb"%s(?:[^>]*/>|[^>]*>.*?</%srow>)" % (row_start, p), before, re.S)
        assert old_row is not None
        if not edits.get(number):
            assert old_row[0] in after  # a row not written keeps its bytes
            continue
        new_row = re.search(rb"%s[^>]*>.*?</%srow>" % (row_start, p), after, re.S)
        assert new_row is not None
        position, previous = 0, 0
        for cell in cells:  # each cell not written keeps its bytes and its place
            made = cell_xml(p, number, cell, previous)
            previous = cell.column
            if cell.column not in edits[number]:
                position = new_row[0].index(made, position) + len(made)


def test_a_reference_inside_a_text_is_not_taken_for_the_cell() -> None:
    """The rich text of B3 holds the characters ``r="C3"``: C3 itself is the cell written."""
    xml = sheet_xml(b"", {3: ([Cell(2, "rich", "r first", None)], "plain")}, False).replace(
        b'r="B3" &lt;c r="B3"', b'r="C3" &lt;c r="C3"')
    sheet = Worksheet(xml)
    sheet.set(3, 3, "tiga")
    out = sheet.xml()
    assert out.count(b'r="C3"') == 3 and b'<c r="C3" t="inlineStr"><is><t>tiga</t></is></c></row>' in out
    assert read_calamine(workbook(out))[3, 3] == "tiga"


def test_a_row_is_split_into_cells_only_when_a_cell_is_not_found_by_reference() -> None:
    """Setting cells that are there reads only those cells, never the rest of the row."""
    cells = [Cell(c, "inline", "r first", 1) for c in range(1, COLUMNS + 1)]
    sheet = Worksheet(sheet_xml(b"", {2: (cells, "spans")}, False))
    sheet.set(2, 3, "x")
    sheet.set(2, 5, "y")
    assert sheet.xml().count(b"<row") == 1
    found = sheet.cells(2)
    assert found is not None and found.order is None and set(found.at) == {3, 5}
    sheet.set(2, COLUMNS + 1, "z")  # not there yet: the row is split to place it
    assert b'<c r="H2" t="inlineStr"><is><t>z</t></is></c></row>' in sheet.xml()
    assert found.order is not None and b'spans="1:8"' in sheet.xml()


def test_a_write_of_a_few_rows_reads_no_other_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each row written is found by its reference; only a new row makes every row's place read."""
    rows = {n: ([Cell(c, "inline", "r first", 1) for c in (1, 2, 4)], "spans") for n in range(1, 30)}
    sheet = Worksheet(sheet_xml(b"", rows, False))
    read_all = Worksheet.rows
    monkeypatch.setattr(Worksheet, "rows", lambda self: pytest.fail("every row read"))
    sheet.set(3, 2, "x")
    sheet.set(17, 3, 5)
    patched = sheet.xml()
    assert b'<c r="B3" s="1" t="inlineStr"><is><t>x</t></is></c>' in patched
    assert b'<c r="C17"><v>5</v></c><c r="D17"' in patched
    monkeypatch.setattr(Worksheet, "rows", read_all)
    sheet.set(40, 1, "baru")
    new_row = b'<row r="40"><c r="A40" t="inlineStr"><is><t>baru</t></is></c></row>'
    assert patched.replace(b"</sheetData>", new_row + b"</sheetData>") == sheet.xml()
