"""A :class:`~dip_sheets.text_sheet.TextSheet` row is the XML xlsxwriter writes for the same cells, byte
for byte, except that a text looking like a rich string is escaped instead of written raw."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter import Workbook

from dip_sheets.text_sheet import TextSheet

Row = Sequence[str | int | None]

ROWS: list[Row] = [
    ["Judul", "Ringkasan", None, "Tahun"],
    ["plain", "a & b < c > d \"quoted\"", None, 2024],
    [" leading", "trailing ", "\tTab", "line\nbreak"],
    ["ctrl \x01\x1f end", "_x0041_ stays literal", "_x00_ not an escape", "\ufffe\uffff"],
    [None, None, "emoji 🙂 and ñ", 0],
    ["x" * 20_000, "🙂" * 17_000, "", 10**17],
    [],
    ["after an empty row", None, None, None],
    ["only a trailing space ", "x", None, None],
    ["x", "\u3000only a leading ideographic space", None, None],
    ["x", "_x0041_", None, None],
    ["x" * 32_766 + " cut after the space", "x", None, None],
    ["_x000A", "0041_", "split _x00", "41_ across cells"],
]


def _sheet_xml(rows: Sequence[Row], ours: bool) -> str:
    out = io.BytesIO()
    book = Workbook(out, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                          "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#EEEEEE", "pattern": 1})
    sheet = book.add_worksheet("DIP", TextSheet if ours else None)
    for row, values in enumerate(rows):
        style, first = (header, None) if row == 0 else (None, bold) if row == 2 else (None, None)
        if ours:
            sheet.write_texts(row, values, style, first)
            continue
        for column, value in enumerate(values):
            look = first if column == 0 and first is not None else style
            if isinstance(value, str):
                sheet.write_string(row, column, value, look)
            elif value is not None:
                sheet.write_number(row, column, value, look)
    sheet.set_column(0, 3, 30)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows) - 1, 3)
    book.close()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8") + archive.read(
            "xl/styles.xml").decode("utf-8")


def test_rows_are_written_as_xlsxwriter_writes_them() -> None:
    assert _sheet_xml(ROWS, ours=True) == _sheet_xml(ROWS, ours=False)


#: pieces of text that make a cell unusual, alone or next to each other
PIECES = ["a", "_", "x", "0", "F", " ", "\t", "\n", "\r", "\x00", "\x01", "\x1f", "\x0b", "\xa0", "\u3000",
          "&", "<", ">", '"', "\ufffe", "\uffff", "é", "🙂", "<r>", "</r>"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), TRICKY, st.integers(0, 10**6)),
                         max_size=5), max_size=4))
def test_any_rows_are_written_as_xlsxwriter_writes_them(rows: list[Row]) -> None:
    """Whatever the texts hold, except one xlsxwriter takes for a rich string (written raw)."""
    rows = [[None if isinstance(v, str) and v.startswith("<r>") and v.endswith("</r>") else v for v in row]
            for row in [["Judul"], *rows]]
    assert _sheet_xml(rows, ours=True) == _sheet_xml(rows, ours=False)


def test_a_text_looking_like_a_rich_string_is_text_never_xml() -> None:
    hostile = ('<r><t>x</t></r></is></c><c r="B2"><f>HYPERLINK("http://evil.example","klik")</f></c>'
               '<c r="C2" t="inlineStr"><is><r><t>y</t></r>')
    out = io.BytesIO()
    book = Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("DIP", TextSheet)
    sheet.write_texts(1, [hostile])
    book.close()
    cells = [(c.coordinate, c.value, c.data_type)
             for row in openpyxl.load_workbook(out)["DIP"].iter_rows() for c in row if c.value is not None]
    assert cells == [("A2", hostile, "s")]
