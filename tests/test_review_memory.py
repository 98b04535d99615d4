"""The sync's memory and the workbook write path that keeps it small (issue 19).

A first sync of a large register writes most rows (IDs, notes, fingerprints, locks, a Riwayat row
per established item). Its peak must grow with the rows at a modest rate per row, the write must
produce the same workbook whether a part is patched whole or streamed piece by piece, and the
session that writes must reuse the workbook the read parsed only while the file is unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets.dates import parse_when
from dip_sheets.findings import Invalid
from dip_sheets.ledger import read_records
from dip_sheets.register import Cell, CellWrite, Changes, Layout, cell_text, row_key, row_keyer
from dip_sheets.register import workbook_book as book_module
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.register.workbook_book import Book
from dip_sheets.register.xlsx_sheet import KEEP, OWN_OR_COLUMN, Restyle, Worksheet
from dip_sheets.review_table import table
from dip_sheets.staleness import last_updated
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, established, good_row

#: traced bytes a first sync may hold at its peak per DIP row (the code before issue 19's memory
#: work peaked at about 18 KB a row: per-cell edit tuples, every row's cells parsed and kept, the
#: register read twice, the patched sheet held whole twice)
PEAK_PER_ROW = 10_000


def office_rows(count: int) -> list[dict[str, Cell]]:
    """Mostly established rows, every tenth a draft without a unit (a note to write)."""
    return [established(f"Informasi nomor {n}", **{s.SUMMARY: f"Ringkasan informasi nomor {n}."})
            if n % 10 else good_row(f"Draf nomor {n}", **{s.UNIT: ""}) for n in range(count)]


def register_with(tmp_path: Path, rows: int, name: str = "register.xlsx") -> WorkbookRegister:
    register = WorkbookRegister(tmp_path / name)
    register.init(Layout(s.TABS, UNITS))
    append_rows(register.path, s.DIP_TAB, office_rows(rows))
    return register


@pytest.mark.slow
def test_a_first_sync_peaks_in_proportion_to_the_rows(tmp_path: Path) -> None:
    rows = 3_000
    register = register_with(tmp_path, rows)
    tracemalloc.start()
    try:
        result = run(register, UNITS, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.applied is not None and result.applied.cells_written > 2 * rows  # a real first sync
    print(f"peak {peak / 1e6:.1f} MB")
    assert peak < PEAK_PER_ROW * rows, f"peak {peak / 1e6:.0f} MB for {rows:,} rows"


#: traced bytes ``Riwayat``'s records may hold per row (a dict per row, as before, held about 1,050)
RECORD_BYTES = 800


def test_riwayat_rows_are_kept_as_views_of_the_rows_read_not_copied(tmp_path: Path) -> None:
    register = register_with(tmp_path, 1_000)
    run(register, UNITS, NOW)  # a Riwayat row per established item
    history = table(register.read(), s.HISTORY_TAB)
    rows = history.grid.rows[1:]
    tracemalloc.start()
    try:
        records = read_records(history.view(row) for row in rows)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(rows) >= 900 and held / len(rows) < RECORD_BYTES
    latest = {cell_text(history.value(row, s.ID)): row for row in rows}  # the last row of each ID
    assert records.latest.keys() == latest.keys()
    assert all(dict(records.latest[i]) == history.values(row) for i, row in latest.items())


def test_a_streamed_part_is_the_part_patched_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = register_with(tmp_path, 300, "whole.xlsx")
    streamed = WorkbookRegister(tmp_path / "streamed.xlsx")
    shutil.copy(whole.path, streamed.path)
    run(whole, UNITS, NOW)
    monkeypatch.setattr(book_module, "STREAM_FROM", 0)
    run(streamed, UNITS, NOW)
    with zipfile.ZipFile(whole.path) as a, zipfile.ZipFile(streamed.path) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    assert review(whole.read(), UNITS, NOW).changes == Changes()  # both synced: nothing left to write


def test_the_session_reuses_the_read_workbook_only_while_the_file_is_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register = register_with(tmp_path, 3)
    opened: list[Path] = []
    original = Book.from_bytes.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Book], /, data: bytes, path: Path, **options: bool) -> Book:
        opened.append(path)
        return original(cls, data, path, **options)  # type: ignore[no-any-return]

    monkeypatch.setattr(Book, "from_bytes", classmethod(counting))
    register.read()
    opened.clear()
    register.session([s.DIP_TAB], False)
    assert opened == []  # the file is as read: no second parse
    register.session([s.DIP_TAB], False)
    assert opened == [register.path]  # taken once: a second session reads the file again
    register.read()
    append_rows(register.path, s.DIP_TAB, [good_row("Baris baru")])  # staff save in between
    opened.clear()
    session = register.session([s.DIP_TAB], False)
    assert opened == [register.path]
    assert any("Baris baru" in row for row in session.rows(s.DIP_TAB))


def test_a_write_between_read_and_session_lands_on_the_moved_row(tmp_path: Path) -> None:
    """The reuse must not undo relocation: a row inserted above after the read is seen."""
    register = register_with(tmp_path, 2)
    reviewed = review(register.read(), UNITS, NOW)
    first = next(r for r in reviewed.dip if r.values.get(s.TITLE) == "Draf nomor 0")
    append_rows(register.path, s.DIK_TAB, [{s.TITLE: "Pengecualian"}])  # the file changes
    register.apply(Changes([CellWrite(first.anchor, s.NOTE, "catatan")]))
    again = review(register.read(), UNITS, NOW)
    assert next(r for r in again.dip if r.id == first.id).values.get(s.NOTE) == "catatan"


SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<cols><col min="3" max="3" style="7"/></cols><sheetData>'
         b'<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>a</t></is></c><c r="B1"><v>1</v></c></row>'
         b'<row r="3"><c r="A3" s="4"><f>1+1</f><v>2</v></c></row>'
         b"</sheetData></worksheet>")


def test_restyle_derives_each_cell_from_its_own_or_its_column_style() -> None:
    sheet = Worksheet(SHEET)
    sheet.restyle([1], Restyle((1, 2, 3), lambda base: base + 100))
    xml = sheet.xml()
    assert b'<c r="A1" s="102" t="inlineStr"><is><t>a</t></is></c>' in xml  # its own style, value kept
    assert b'<c r="B1" s="100"><v>1</v></c>' in xml  # no style: the default
    assert b'<c r="C1" s="107"/>' in xml  # not there: its column's
    assert xml.count(b"<row ") == 2 and b'<c r="A3" s="4"><f>1+1</f><v>2</v></c>' in xml


def test_a_value_takes_its_own_or_its_column_style_and_a_formula_overwrite_is_known_first() -> None:
    sheet = Worksheet(SHEET)
    sheet.set(1, 3, "x")
    sheet.set(1, 1, "y")
    assert not sheet.overwrites_formula()
    sheet.set(3, 1, 5)
    assert sheet.overwrites_formula()
    assert sheet.row_edits(1) == {3: ("x", OWN_OR_COLUMN), 1: ("y", OWN_OR_COLUMN)}
    xml = sheet.xml()
    assert b'<c r="A1" s="2" t="inlineStr"><is><t>y</t></is></c>' in xml
    assert b'<c r="C1" s="7" t="inlineStr"><is><t>x</t></is></c>' in xml
    assert b'<c r="A3" s="4"><v>5</v></c>' in xml
    sheet.set_style(1, 2, 9)
    assert sheet.row_edits(1)[2] == (KEEP, 9)
    assert b"".join(bytes(piece) for piece in sheet.chunks()) == sheet.xml()


# ---- the per-row helpers read what the code before them read ---------------------------------------

cells = st.one_of(st.none(), st.text(max_size=12), st.integers(-3, 3000), st.booleans(),
                  st.floats(allow_nan=False, allow_infinity=False), st.dates().map(
                      lambda d: dt.datetime.combine(d, dt.time())))


def reference_key(tab: s.Tab, columns: dict[str, int], row: list[Cell]) -> str:
    """:func:`row_key` as it was written before :func:`row_keyer`."""
    def at(header: str) -> str:
        index = columns[header]
        return cell_text(row[index]) if index < len(row) else ""
    staff = "\x1f".join(at(c.header) for c in tab.columns if c.owner is not s.Role.SYSTEM)
    return f"{at(tab.key_header)}|{hashlib.sha256(staff.encode()).hexdigest()[:16]}"


@given(st.sampled_from(s.TABS), st.lists(cells, max_size=20), st.randoms())
def test_row_keyer_keys_every_row_as_row_key_did(tab: s.Tab, row: list[Cell], rng: random.Random) -> None:
    order = list(range(len(tab.columns) + 3))
    rng.shuffle(order)
    columns = {c.header: order[n] for n, c in enumerate(tab.columns)}
    assert row_keyer(tab, columns)(row) == row_key(tab, columns, row) == reference_key(tab, columns, row)


def reference_day(value: Cell) -> dt.date | None:
    """What :func:`last_updated` made of one cell before it kept its answers."""
    try:
        when = parse_when(value, s.LAST_UPDATED)
    except Invalid:
        return None
    return when.date or dt.date(when.year, 12, 31)


@given(cells, cells)
def test_last_updated_answers_as_parsing_each_cell_anew(updated: Cell, created: Cell) -> None:
    days = (reference_day(v) for v in (updated, created) if cell_text(v))
    expected = next((day for day in days if day is not None), None)
    assert last_updated(updated, created) == expected
    assert last_updated(updated, created) == expected  # asked again: from the cache, the same


def test_a_row_added_whole_is_written_as_its_cells_set_one_by_one() -> None:
    whole, by_cell = Worksheet(SHEET), Worksheet(SHEET)
    cells = {0: "Riwayat", 1: 7, 2: None}
    whole.add(5, cells)
    whole.add(3, {1: "next to a formula"})
    for column, value in cells.items():
        by_cell.set(5, column + 1, value)  # type: ignore[arg-type]
    by_cell.set(3, 2, "next to a formula")
    assert whole.xml() == by_cell.xml()
    assert b'<c r="C5" s="7"/>' in whole.xml() and not whole.overwrites_formula()
