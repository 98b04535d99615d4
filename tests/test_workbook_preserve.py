"""The workbook is the staff's file: what they put there survives a sync and ``dip init``.

Each case builds a register, adds one thing staff do in Excel (with openpyxl, or by hand for an
image), then syncs (which writes IDs, notes, locks and a Riwayat row) and runs ``dip init`` again.
Every zip member dip-sheets does not write must keep its bytes, and the feature's own XML in the
patched sheet must keep its bytes too.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from dip_sheets import schema as s
from dip_sheets.errors import LayoutError
from dip_sheets.register import Layout
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.register.workbook_guide import FINDING_RULE
from dip_sheets.register.xlsx import Package
from dip_sheets.sync import run
from tests.conftest import NOW, UNITS, add_rows, established, good_row

Book = Any  # openpyxl has no type hints


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def part(path: Path, tab: str) -> str:
    with path.open("rb") as stream:
        return Package(stream).sheets()[tab]


def element(xml: bytes, name: str) -> bytes:
    """The first such element that is not dip-sheets' own (its finding shading comes first)."""
    found = [m[0] for m in re.finditer(rb"<%s\b[^>]*/>|<%s\b.*?</%s>" % ((name.encode(),) * 3), xml, re.S)
             if FINDING_RULE.encode() not in m[0]]
    assert found, f"<{name}> is gone"
    return found[0]


def letter(header: str) -> str:
    return str(openpyxl.utils.get_column_letter(s.TAB_BY_NAME[s.DIP_TAB].headers.index(header) + 1))


def edit(path: Path, change: Callable[[Book], None]) -> None:
    """A person edits and saves the workbook in their spreadsheet program."""
    book = openpyxl.load_workbook(path, rich_text=True)
    change(book)
    book.save(path)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
            + chunk(b"IEND", b""))


def add_image(path: Path) -> None:
    """Insert a picture into the DIP tab the way Excel stores one (drawing part + media)."""
    sheet = part(path, s.DIP_TAB)
    parts = members(path)
    rels = sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["xl/media/image1.png"] = png()
    parts["xl/drawings/drawing1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<xdr:oneCellAnchor><xdr:from><xdr:col>22</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>'
        '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr>'
        '<xdr:cNvPr id="2" name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
        f'<a:blip xmlns:r="{r}" r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
        '</xdr:oneCellAnchor></xdr:wsDr>').encode()
    parts["xl/drawings/_rels/drawing1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{r}/image"'
        ' Target="../media/image1.png"/></Relationships>').encode()
    link = f'<Relationship Id="rIdLogo" Type="{r}/drawing" Target="../drawings/drawing1.xml"/>'
    empty = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
             b'package/2006/relationships"></Relationships>')
    parts[rels] = parts.get(rels, empty).replace(b"</Relationships>", link.encode() + b"</Relationships>")
    drawing = f'<drawing xmlns:r="{r}" r:id="rIdLogo"/></worksheet>'.encode()
    parts[sheet] = parts[sheet].replace(b"</worksheet>", drawing)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Default Extension="png" ContentType="image/png"/><Override PartName="/xl/drawings/drawing1.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def rich_text(book: Book) -> None:
    book[s.DIP_TAB][f"{letter(s.SUMMARY)}2"] = CellRichText(
        ["Ringkasan ", TextBlock(InlineFont(b=True, color="FF0000"), "penting")])


def comment(book: Book) -> None:
    book[s.DIP_TAB][f"{letter(s.TITLE)}3"].comment = Comment("Cek lagi judulnya", "Siti")


def conditional_format(book: Book) -> None:
    book[s.DIP_TAB].conditional_formatting.add(
        f"{letter(s.TITLE)}2:{letter(s.TITLE)}50",
        CellIsRule(operator="equal", formula=['"A"'], fill=PatternFill("solid", fgColor="FFC7CE")))


def table(book: Book) -> None:
    sheet = book[s.DIP_TAB]
    sheet.add_table(Table(displayName="DaftarDIP", ref=f"A1:{letter(s.FINGERPRINT)}3"))


def autofilter(book: Book) -> None:
    book[s.DIP_TAB].auto_filter.ref = f"A1:{letter(s.FINGERPRINT)}3"


def hidden(book: Book) -> None:
    sheet = book[s.DIP_TAB]
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions[letter(s.SUBCATEGORY)].hidden = True


def merged_staff_cells(book: Book) -> None:
    sheet = book[s.DIP_TAB]
    sheet.merge_cells(f"{letter(s.REMARKS)}2:{letter(s.REMARKS)}3")


def validation(book: Book) -> None:
    rule = DataValidation(type="textLength", operator="lessThan", formula1="200")
    rule.add(f"{letter(s.REMARKS)}2:{letter(s.REMARKS)}40")
    book[s.DIP_TAB].add_data_validation(rule)


def width(book: Book) -> None:
    book[s.DIP_TAB].column_dimensions[letter(s.TITLE)].width = 61.5


FEATURES: dict[str, tuple[Callable[[Book], None], str]] = {
    # feature -> (how staff add it, the worksheet element that must keep its bytes, or "" for none)
    "rich text": (rich_text, ""),
    "comment": (comment, "legacyDrawing"),
    "conditional format": (conditional_format, "conditionalFormatting"),
    "table": (table, "tableParts"),
    "autofilter": (autofilter, "autoFilter"),
    "merged staff cells": (merged_staff_cells, "mergeCells"),
    "data validation": (validation, ""),
}


@pytest.fixture
def register(workbook: WorkbookRegister) -> WorkbookRegister:
    add_rows(workbook, [established("A"), good_row("B")])
    return workbook


def check_kept(path: Path, before: dict[str, bytes], feature_element: str) -> None:
    after = members(path)
    # the Keputusan tab holds the fixture's decision: init extends its dropdowns over its rows
    ours = {part(path, t) for t in (s.DIP_TAB, s.HISTORY_TAB, s.SYSTEM_TAB, s.DECISION_TAB)}
    ours |= {"xl/styles.xml"}
    assert set(before) <= set(after)
    for name, data in before.items():
        if name not in ours:
            assert after[name] == data, f"{name} changed"
    if feature_element:
        sheet = part(path, s.DIP_TAB)
        assert element(after[sheet], feature_element) == element(before[sheet], feature_element)


@pytest.mark.parametrize("feature", FEATURES)
def test_a_sync_and_init_keep_what_staff_put_in_the_workbook(
    register: WorkbookRegister, feature: str
) -> None:
    change, feature_element = FEATURES[feature]
    edit(register.path, change)
    before = members(register.path)
    result = run(register, UNITS, NOW)
    assert result.applied is not None and result.applied.cells_written and result.applied.rows_appended
    check_kept(register.path, before, feature_element)
    register.init(Layout(s.TABS, UNITS))
    check_kept(register.path, before, feature_element)
    assert run(register, UNITS, NOW).applied is None


def test_rich_text_stays_rich_also_in_a_row_that_gets_locked(register: WorkbookRegister) -> None:
    edit(register.path, rich_text)
    sheet = part(register.path, s.DIP_TAB)
    ref = f"{letter(s.SUMMARY)}2".encode()

    def body() -> bytes:
        xml = members(register.path)[sheet]
        return element(xml[xml.index(b'<c r="%s"' % ref):], "c").split(b">", 1)[1]
    before = body()
    assert b"<rPr><b" in before
    run(register, UNITS, NOW)
    register.init(Layout(s.TABS, UNITS))
    assert body() == before
    book = openpyxl.load_workbook(register.path, rich_text=True)
    cell = book[s.DIP_TAB][ref.decode()]
    assert isinstance(cell.value, CellRichText) and str(cell.value) == "Ringkasan penting"
    assert cell.protection.locked  # the established row is locked, its formatting kept


def test_an_image_survives_sync_and_init(register: WorkbookRegister) -> None:
    add_image(register.path)
    before = members(register.path)
    run(register, UNITS, NOW)
    register.init(Layout(s.TABS, UNITS))
    check_kept(register.path, before, "drawing")
    after = members(register.path)
    for name in ("xl/media/image1.png", "xl/drawings/drawing1.xml", "xl/drawings/_rels/drawing1.xml.rels"):
        assert after[name] == before[name]


def test_hidden_rows_columns_and_widths_survive(register: WorkbookRegister) -> None:
    edit(register.path, hidden)
    edit(register.path, width)
    run(register, UNITS, NOW)
    register.init(Layout(s.TABS, UNITS))
    sheet = openpyxl.load_workbook(register.path)[s.DIP_TAB]
    assert sheet.row_dimensions[3].hidden
    assert sheet.column_dimensions[letter(s.SUBCATEGORY)].hidden
    assert sheet.column_dimensions[letter(s.TITLE)].width == 61.5


def test_staff_data_validation_kept_next_to_our_dropdowns(register: WorkbookRegister) -> None:
    edit(register.path, validation)
    run(register, UNITS, NOW)
    register.init(Layout(s.TABS, UNITS))
    rules = openpyxl.load_workbook(register.path)[s.DIP_TAB].data_validations.dataValidation
    assert any(r.type == "textLength" and str(r.sqref) == f"{letter(s.REMARKS)}2:{letter(s.REMARKS)}40"
               for r in rules)
    assert any(r.type == "list" and str(r.sqref).startswith(f"{letter(s.CATEGORY)}2:") for r in rules)


@pytest.mark.parametrize(("header", "other"), [(s.ID, s.CATEGORY), (s.STAGE, s.NOTE)])
def test_a_merge_over_a_system_column_is_refused_by_name(
    register: WorkbookRegister, header: str, other: str
) -> None:
    first, last = sorted((letter(header), letter(other)), key=lambda x: (len(x), x))
    edit(register.path, lambda book: book[s.DIP_TAB].merge_cells(f"{first}3:{last}3"))
    before = register.path.read_bytes()
    with pytest.raises(LayoutError) as caught:
        run(register, UNITS, NOW)
    assert caught.value.exit_code == 2
    merge = f"{first}3:{last}3"
    assert merge in caught.value.message("id") and merge in caught.value.message("en")
    assert register.path.read_bytes() == before


def test_unchanged_members_are_copied_not_recompressed(register: WorkbookRegister) -> None:
    """A write costs what it writes: members it does not touch keep their stored bytes."""
    def stored(path: Path) -> dict[str, tuple[int, int]]:
        with zipfile.ZipFile(path) as archive:
            return {i.filename: (i.CRC, i.compress_size) for i in archive.infolist()}
    edit(register.path, comment)
    with zipfile.ZipFile(register.path) as archive:  # recompress with another level, as a program might
        data = {n: archive.read(n) for n in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, payload in data.items():
            archive.writestr(name, payload)
    register.path.write_bytes(buffer.getvalue())
    before = stored(register.path)
    run(register, UNITS, NOW)
    after = stored(register.path)
    ours = {part(register.path, t) for t in (s.DIP_TAB, s.HISTORY_TAB, s.SYSTEM_TAB)} | {"xl/styles.xml"}
    assert {n: v for n, v in after.items() if n not in ours} == {
        n: v for n, v in before.items() if n not in ours}
