"""The local workbook backend: layout, locking, refusing an open workbook, atomic saves."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pytest

from dip_sheets import schema as s
from dip_sheets.errors import BackendUnavailable, ConfigError, LayoutError
from dip_sheets.register import Layout
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.register.workbook_book import Book
from dip_sheets.register.xlsx import Package
from dip_sheets.sync import run
from tests.conftest import NOW, UNITS, add_rows, established, good_row


def test_init_creates_tabs_headers_dropdowns_frozen_row_and_protection(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    assert set(book.sheetnames) >= {s.DIP_TAB, s.DIK_TAB, s.HISTORY_TAB, s.SYSTEM_TAB}
    sheet = book[s.DIP_TAB]
    assert [c.value for c in sheet[1]] == list(s.TAB_BY_NAME[s.DIP_TAB].headers)
    # the header row and ID to title stay in view (issue 14; was "A2", the header row only)
    title = openpyxl.utils.get_column_letter([c.value for c in sheet[1]].index(s.TITLE) + 2)
    assert sheet.freeze_panes == f"{title}2"
    assert sheet.protection.sheet
    validated = {str(r.sqref).split(":")[0] for r in sheet.data_validations.dataValidation}
    header = [c.value for c in sheet[1]]
    for name in (s.CATEGORY, s.FORM, s.UNIT, s.STEP1, s.STEP2, s.STEP3):
        letter = openpyxl.utils.get_column_letter(header.index(name) + 1)
        assert f"{letter}2" in validated, name
    for column in s.DIP_COLUMNS:
        letter = openpyxl.utils.get_column_letter(header.index(column.header) + 1)
        locked = sheet.column_dimensions[letter].protection.locked
        assert locked == (column.owner is s.Role.SYSTEM), column.header
    assert book[s.HISTORY_TAB].protection.sheet


def test_init_again_repairs_missing_columns_and_keeps_data(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [good_row("A")])
    book = openpyxl.load_workbook(workbook.path)
    sheet = book[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    sheet.delete_cols(header.index(s.FINGERPRINT) + 1)
    book.save(workbook.path)
    done = workbook.init(Layout(s.TABS, UNITS))
    assert any(s.FINGERPRINT in line.id and s.FINGERPRINT in line.en for line in done)
    assert workbook.init(Layout(s.TABS, UNITS)) == []
    assert run(workbook, UNITS, NOW).review.dip[0].values[s.TITLE] == "A"


def test_init_refuses_a_duplicated_header(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    sheet = book[s.DIP_TAB]
    sheet.cell(1, sheet.max_column + 1, s.TITLE)
    book.save(workbook.path)
    with pytest.raises(LayoutError, match="lebih dari sekali"):
        workbook.init(Layout(s.TABS, UNITS))


@pytest.mark.parametrize("lock_name", [".~lock.register.xlsx#", "~$register.xlsx", "~$gister.xlsx"])
def test_refuses_while_open_in_another_program(workbook: WorkbookRegister, lock_name: str) -> None:
    add_rows(workbook, [good_row("A")])
    before = workbook.path.read_bytes()
    (workbook.path.parent / lock_name).write_text("someone")
    with pytest.raises(BackendUnavailable) as caught:
        run(workbook, UNITS, NOW)
    assert caught.value.exit_code == 3 and lock_name in caught.value.message("id")
    assert workbook.path.read_bytes() == before


def test_crash_during_save_leaves_the_old_workbook_intact(
    workbook: WorkbookRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_rows(workbook, [good_row("A")])
    before = workbook.path.read_bytes()

    def explode(self: object, stream: BinaryIO) -> None:
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(Package, "save", explode)
    with pytest.raises(OSError, match="disk full"):
        run(workbook, UNITS, NOW)
    assert workbook.path.read_bytes() == before
    assert [p.name for p in workbook.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_established_rows_are_locked_and_drafts_stay_editable(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("A"), good_row("B")])
    run(workbook, UNITS, NOW)
    sheet = openpyxl.load_workbook(workbook.path)[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    title = header.index(s.TITLE) + 1
    assert sheet.cell(2, title).protection.locked
    assert not sheet.cell(3, title).protection.locked
    assert run(workbook, UNITS, NOW).applied is None  # locks read back as they were written


def test_unchanged_sync_does_not_rewrite_the_file(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("A"), good_row("B", **{s.LINK: "x"})])
    run(workbook, UNITS, NOW)
    stamp = workbook.path.stat().st_mtime_ns
    assert run(workbook, UNITS, NOW).applied is None
    assert workbook.path.stat().st_mtime_ns == stamp


def test_date_cells_typed_by_staff_are_read_as_dates(workbook: WorkbookRegister) -> None:
    import datetime as dt

    add_rows(workbook, [established("A", **{s.CREATED: dt.datetime(2022, 2, 7)})])
    result = run(workbook, UNITS, NOW)
    assert result.review.items[0].created == "7 Februari 2022"


def test_missing_or_damaged_workbook(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dip init"):
        WorkbookRegister(tmp_path / "none.xlsx").read()
    damaged = tmp_path / "rusak.xlsx"
    damaged.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="bukan workbook"):
        WorkbookRegister(damaged).read()


def _flip_crc(path: Path, member: str) -> None:
    """Damage ``member`` as a bad disk or a cut copy would: its CRC-32 no longer matches its bytes."""
    info = zipfile.ZipFile(path).getinfo(member)
    data = path.read_bytes()
    path.write_bytes(data.replace(info.CRC.to_bytes(4, "little"), (info.CRC ^ 1).to_bytes(4, "little")))


def test_a_workbook_with_a_damaged_sheet_is_refused_as_unreadable(workbook: WorkbookRegister) -> None:
    """Found whether calamine reads the sheet (a sync's read) or the register reads the part itself
    (the formats a write patches): the message that says what to do, exit code 2, not an
    unexpected error."""
    add_rows(workbook, [established("A")])
    run(workbook, UNITS, NOW)
    _flip_crc(workbook.path, Book.open(workbook.path).paths[s.DIP_TAB])
    with pytest.raises(ConfigError, match=r"bukan workbook \.xlsx yang dapat dibaca") as caught:
        WorkbookRegister(workbook.path).read()
    assert caught.value.exit_code == 2 and "Pulihkan dari cadangan" in caught.value.message("id")
    with pytest.raises(ConfigError, match=r"bukan workbook \.xlsx yang dapat dibaca"):
        Book.open(workbook.path).sheet(s.DIP_TAB)


def test_init_refuses_a_path_whose_folders_do_not_exist(tmp_path: Path) -> None:
    from dip_sheets.errors import ConfigError

    register = WorkbookRegister(tmp_path / "salah-ketik" / "kantor" / "register.xlsx")
    with pytest.raises(ConfigError) as refused:
        register.init(Layout(s.TABS, UNITS))
    assert refused.value.exit_code == 2 and "salah ketik" in refused.value.message("id")
    assert not (tmp_path / "salah-ketik").exists()
    fresh = WorkbookRegister(tmp_path / "dip-kerja" / "register.xlsx")
    assert fresh.init(Layout(s.TABS, UNITS))  # one new folder for the workbook is fine
