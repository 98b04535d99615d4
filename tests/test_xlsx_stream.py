"""A large sheet part is never held whole (:mod:`dip_sheets.register.xlsx_stream`): its rows are read
as the stored part is inflated, piece by piece, and patched as they pass. Streamed in pieces of any
size it must give exactly the bytes the part patched whole gives, and a write of a few cells to a
large sheet must hold a small fraction of the sheet's XML.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets.register import CellWrite, Changes, Layout
from dip_sheets.register import workbook_book as book_module
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.register.workbook_book import Book
from dip_sheets.register.xlsx import Package
from dip_sheets.register.xlsx_sheet import Restyle, Worksheet
from dip_sheets.register.xlsx_stream import StoredPart
from dip_sheets.sync import review
from tests.conftest import UNITS, established, good_row
from tests.test_xlsx_row import ROW_SPELLINGS, ROWS, cells_of_a_row, edits_of_a_row, set_cells, sheet_xml

NAME = "xl/worksheets/sheet1.xml"


def stored(xml: bytes, piece: int) -> StoredPart:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NAME, xml)
    return StoredPart(Package(io.BytesIO(stream.getvalue())), NAME, piece)


def queue(sheet: Worksheet, edits: dict[int, dict[int, Any]], added: dict[int, dict[int, Any]],
          restyled: list[int], heights: list[int]) -> None:
    set_cells(sheet, edits)
    for number, cells in added.items():
        sheet.add(number, cells)
    sheet.restyle(restyled, Restyle((1, 2, 5), lambda base: base + 1))
    for number in heights:
        sheet.row_attrs[number] = {b"ht": b"30", b"customHeight": b"1"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(1, ROWS), st.tuples(cells_of_a_row, st.sampled_from(ROW_SPELLINGS))),
       st.dictionaries(st.integers(1, ROWS + 2), edits_of_a_row, max_size=4),
       st.dictionaries(st.integers(1, ROWS + 2), st.dictionaries(
           st.integers(0, 6), st.text(max_size=3)), max_size=2),
       st.lists(st.integers(1, ROWS + 2), max_size=3), st.lists(st.integers(1, ROWS), max_size=2),
       st.sampled_from((b"", b"x:")), st.booleans(), st.integers(1, 400))
def test_a_streamed_part_patches_as_the_part_held_whole(
    rows: dict[int, tuple[list[Any], str]], edits: dict[int, dict[int, Any]],
    added: dict[int, dict[int, Any]], restyled: list[int], heights: list[int], p: bytes, columns: bool,
    piece: int,
) -> None:
    xml = sheet_xml(p, rows, columns)
    whole, streamed = Worksheet(xml), Worksheet.streamed(stored(xml, piece))
    assert streamed.part is not None and (len(streamed.source) < len(xml) or not rows)
    for sheet in (whole, streamed):
        queue(sheet, edits, added, restyled, heights)
    noted = Worksheet.streamed(stored(xml, piece), (2, 5))  # those two noted as its rows passed
    assert noted.source == streamed.source
    assert [list(streamed.cell_styles(c)) for c in (1, 2, 5)] == [
        list(whole.cell_styles(c)) for c in (1, 2, 5)] == [list(noted.cell_styles(c)) for c in (1, 2, 5)]
    assert streamed.overwrites_formula() == whole.overwrites_formula()
    assert b"".join(bytes(chunk) for chunk in streamed.chunks()) == whole.xml()
    assert streamed.part is not None  # no row was asked for by number: never read whole
    streamed.row(1)  # one is: the part is read whole, and patches the same
    assert streamed.part is None and streamed.xml() == whole.xml()


def test_rows_without_a_reference_are_counted_across_pieces() -> None:
    rows = b"".join(b'<row><c t="inlineStr"><is><t>%d</t></is></c></row>' % n for n in range(1, 60))
    xml = b'<worksheet xmlns="m"><sheetData>%s</sheetData><sheetProtection sheet="1"/></worksheet>' % rows
    whole, streamed = Worksheet(xml), Worksheet.streamed(stored(xml, 37))
    for sheet in (whole, streamed):
        sheet.set(41, 2, "x")
        sheet.set(70, 1, "baru")
    assert streamed.protected() and b"".join(bytes(c) for c in streamed.chunks()) == whole.xml()
    assert b'<row><c t="inlineStr"><is><t>41</t></is></c><c r="B41" t="inlineStr">' in whole.xml()


def test_a_damaged_streamed_part_is_refused_at_the_end_of_a_pass() -> None:
    part = stored(sheet_xml(b"", {1: ([], "plain")}, False), 16)
    sheet = Worksheet.streamed(part)
    info = part.package.archive.getinfo(NAME)
    info.CRC ^= 1
    with pytest.raises(zipfile.BadZipFile):
        list(sheet.pieces())


def large_register(tmp_path: Path, rows: int) -> tuple[Path, bytes]:
    """A register whose DIP sheet holds ``rows`` rows, made quickly as XML (not typed in)."""
    path = tmp_path / "register.xlsx"
    WorkbookRegister(path).init(Layout(s.TABS, UNITS))
    package = Package(io.BytesIO(path.read_bytes()))
    name = package.sheets()[s.DIP_TAB]
    body = b"".join(b'<row r="%d"><c r="B%d" t="inlineStr"><is><t>Informasi</t></is></c><c r="D%d" s="3"'
                    b' t="inlineStr"><is><t>Judul nomor %d yang cukup panjang untuk sebuah baris</t></is>'
                    b"</c></row>" % (n, n, n, n) for n in range(2, rows + 2))
    xml = package.read(name).replace(b"</sheetData>", body + b"</sheetData>")
    package.write(name, xml)
    out = io.BytesIO()
    package.save(out)
    path.write_bytes(out.getvalue())
    return path, xml


def test_a_write_of_a_few_cells_to_a_large_sheet_holds_a_fraction_of_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, xml = large_register(tmp_path, 100_000)
    saved: dict[int, bytes] = {}
    streamed_from = book_module.STREAM_FROM
    for stream_from in (streamed_from, len(xml) + 1):  # streamed, then held whole
        monkeypatch.setattr(book_module, "STREAM_FROM", stream_from)
        book = Book.open(path)
        tracemalloc.start()
        try:
            book.set(s.DIP_TAB, 3, 1, "DIP-0001")
            book.set(s.DIP_TAB, 40_000, 13, "catatan")
            book.protect_all()
            out = io.BytesIO()
            book.save(out)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        with zipfile.ZipFile(out) as archive:
            saved[stream_from] = archive.read(book.paths[s.DIP_TAB])
        if stream_from == streamed_from:
            assert peak < len(xml) / 4, f"peak {peak / 1e6:.1f} MB for a sheet of {len(xml) / 1e6:.1f} MB"
    streamed, whole = saved.values()
    assert streamed == whole and b'<c r="M40000"' in streamed and b"<t>catatan</t>" in streamed


def test_a_read_and_the_write_after_it_inflate_a_large_sheet_once_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read notes the lock probe's cell styles as the rows pass for the skeleton, and keeps the
    skeleton for a write of the same bytes, which writes just what a write from the file writes."""
    path = tmp_path / "register.xlsx"
    WorkbookRegister(path).init(Layout(s.TABS, UNITS))
    append_rows(path, s.DIP_TAB, [(established if n % 3 else good_row)(f"Judul {n}") for n in range(30)])
    fresh = tmp_path / "fresh" / "register.xlsx"
    fresh.parent.mkdir()
    shutil.copy(path, fresh)
    monkeypatch.setattr(book_module, "STREAM_FROM", 1)  # every sheet streamed
    passes: Counter[str] = Counter()
    chunks = StoredPart.chunks

    def counted(self: StoredPart) -> Iterator[bytes]:
        passes[self.name] += 1
        return chunks(self)

    monkeypatch.setattr(StoredPart, "chunks", counted)
    register = WorkbookRegister(path)
    dip = review(register.read(), UNITS, dt.datetime.now(dt.UTC)).dip
    name = Book.open(path).paths[s.DIP_TAB]
    assert passes[name] == 1
    changes = Changes([CellWrite(r.anchor, s.SUMMARY, f"Ringkasan {n}") for n, r in enumerate(dip[:4])],
                      locks={s.DIP_TAB: frozenset(r.anchor for r in dip[::2])})
    register.apply(changes)
    assert passes[name] == 2  # the write: its rows streamed into the saved zip, nothing more
    from_file = WorkbookRegister(fresh)
    from_file.read()
    from_file._last = None  # the session reads the file again, as when it changed after the read
    from_file.apply(changes)
    assert fresh.read_bytes() == path.read_bytes()
