"""What dip-sheets writes into the workbook, and what it reads from it.

Text it writes is never a formula; a formula staff type reads as a stable value; a stray value far
below the data costs nothing; the refusal while the workbook is open names who holds it; a
protection staff removed comes back with a notice.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from dip_sheets import schema as s
from dip_sheets.errors import BackendUnavailable
from dip_sheets.register import Layout
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.register.xlsx import Package
from dip_sheets.sync import run
from tests.conftest import NOW, UNITS, add_rows, established, good_row


def sheet_xml(path: Path, tab: str) -> bytes:
    with path.open("rb") as stream:
        package = Package(stream)
        return package.read(package.sheets()[tab])


def letter(header: str) -> str:
    return str(openpyxl.utils.get_column_letter(s.TAB_BY_NAME[s.DIP_TAB].headers.index(header) + 1))


def test_staff_text_starting_with_equals_never_becomes_a_formula(workbook: WorkbookRegister) -> None:
    text = '=HYPERLINK("http://evil.example","klik")'
    add_rows(workbook, [established("A", **{s.REMARKS: text})])
    run(workbook, UNITS, NOW)
    history = sheet_xml(workbook.path, s.HISTORY_TAB)
    assert b"<f>" not in history and b"<f " not in history
    book = openpyxl.load_workbook(workbook.path)
    cells = [c for row in book[s.HISTORY_TAB].iter_rows() for c in row if c.value == text]
    assert cells and all(c.data_type == "s" for c in cells)
    assert run(workbook, UNITS, NOW).applied is None  # the copy in Riwayat reads back equal


def formula_cells(path: Path, cell: str, formula: Any) -> None:
    book = openpyxl.load_workbook(path)
    book[s.DIP_TAB][cell] = formula
    book.save(path)


@pytest.mark.parametrize("formula", [
    '=A2&"x"', ArrayFormula("E2", '=ARRAYFORMULA(UPPER(D2:D3))'),
])
def test_a_formula_in_a_content_cell_is_recorded_once(workbook: WorkbookRegister, formula: Any) -> None:
    add_rows(workbook, [established("A"), good_row("B")])
    run(workbook, UNITS, NOW)
    formula_cells(workbook.path, f"{letter(s.SUMMARY)}2", formula)
    first = run(workbook, UNITS, NOW)
    assert first.review.tampered == ["DIP-0001"]
    second = run(workbook, UNITS, NOW)
    assert second.applied is None, "the second sync must find nothing to write"
    assert second.review.tampered == ["DIP-0001"]


def test_a_formula_reads_as_its_calculated_value(workbook: WorkbookRegister) -> None:
    """The value the spreadsheet program shows (its cached result), like the Sheets backend."""
    add_rows(workbook, [good_row("A")])
    path = workbook.path
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    with path.open("rb") as stream:
        name = Package(stream).sheets()[s.DIP_TAB]
    cell = f"{letter(s.TITLE)}2".encode()
    parts[name] = re.sub(rb'<c r="%s"[^>]*>.*?</c>' % cell,
                         b'<c r="%s" t="str"><f>UPPER("judul")</f><v>JUDUL</v></c>' % cell, parts[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in parts.items():
            archive.writestr(member, data)
    result = run(workbook, UNITS, NOW)
    assert result.review.dip[0].values[s.TITLE] == "JUDUL"
    assert run(workbook, UNITS, NOW).applied is None


def test_a_stray_value_far_below_costs_nothing(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("A"), good_row("B")])
    run(workbook, UNITS, NOW)
    book = openpyxl.load_workbook(workbook.path)
    book[s.DIP_TAB][f"{letter(s.REMARKS)}60000"] = "x"
    book.save(workbook.path)
    size = workbook.path.stat().st_size
    result = run(workbook, UNITS, NOW)
    assert result.applied is not None
    workbook.init(Layout(s.TABS, UNITS))
    assert workbook.path.stat().st_size < size + 20_000
    rows = re.findall(rb"<row\b", sheet_xml(workbook.path, s.DIP_TAB))
    assert len(rows) <= 4  # header, two rows, the stray one: nothing written for the empty ones
    for sqref in re.findall(rb'sqref="([^"]+)"', sheet_xml(workbook.path, s.DIP_TAB)):
        assert int(re.findall(rb"\d+", sqref)[-1]) <= 61_000


def libreoffice_lock(user: str, name: str = "") -> bytes:
    return f"{name},{user},PC-UMUM,25.11.2026 09:12,file:///home/{user}/.config/libreoffice/4;".encode()


def excel_lock(user: str) -> bytes:
    size = len(user)
    data = bytes([size]) + user.encode("cp1252").ljust(53, b" ") + bytes([size, 0])
    data += user.encode("utf-16-le")
    return data.ljust(162, b" ")


@pytest.mark.parametrize(("lock_name", "content", "who"), [
    (".~lock.register.xlsx#", libreoffice_lock("siti"), "siti"),
    (".~lock.register.xlsx#", libreoffice_lock("siti", "Siti Aminah"), "Siti Aminah"),
    ("~$register.xlsx", excel_lock("Budi Santoso"), "Budi Santoso"),
    ("~$register.xlsx", excel_lock("Dewi"), "Dewi"),
])
def test_the_refusal_names_who_holds_the_workbook(
    workbook: WorkbookRegister, lock_name: str, content: bytes, who: str
) -> None:
    add_rows(workbook, [good_row("A")])
    before = workbook.path.read_bytes()
    (workbook.path.parent / lock_name).write_bytes(content)
    with pytest.raises(BackendUnavailable) as caught:
        run(workbook, UNITS, NOW)
    assert caught.value.exit_code == 3
    for lang in ("id", "en"):
        assert who in caught.value.message(lang) and lock_name in caught.value.message(lang)
    assert workbook.path.read_bytes() == before


def test_a_lock_file_with_control_characters_does_not_reach_the_message(workbook: WorkbookRegister) -> None:
    (workbook.path.parent / ".~lock.register.xlsx#").write_bytes(b",\x1b]0;pwn\x07ana,host,")
    with pytest.raises(BackendUnavailable) as caught:
        workbook.read()
    assert "\x1b" not in caught.value.message("id") and "\x07" not in caught.value.message("id")


@pytest.mark.parametrize("rows", [[established("A"), good_row("B")], [good_row("B")]])
def test_protection_removed_by_staff_is_put_back_and_said(
    workbook: WorkbookRegister, rows: list[Any]
) -> None:
    add_rows(workbook, rows)
    run(workbook, UNITS, NOW)
    book = openpyxl.load_workbook(workbook.path)
    book[s.DIP_TAB].protection.sheet = False  # unprotected to sort, and forgotten
    book.save(workbook.path)
    result = run(workbook, UNITS, NOW)
    assert result.applied is not None
    assert any(s.DIP_TAB in m.id and s.DIP_TAB in m.en for m in result.applied.notices)
    assert openpyxl.load_workbook(workbook.path)[s.DIP_TAB].protection.sheet
    again = run(workbook, UNITS, NOW)
    assert again.applied is None
