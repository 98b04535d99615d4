"""The same end-to-end cycle on both backends: the local workbook and the Google sheet (emulated).

The Sheets runs go through gspread's real HTTP path and google-auth's real service-account flow to
our local emulator of the Sheets API (tests/sheets_emulator.py), never to Google.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from openpyxl.utils import get_column_letter

from dip_sheets import schema as s
from dip_sheets.config import Config, PublishSettings, RegisterSettings, default_config
from dip_sheets.connect import open_register
from dip_sheets.publish import publish
from dip_sheets.register import Cell, Layout, cell_text
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

ROLES = {s.Role.UNIT: ("unit@kpu.example",), s.Role.DESK: ("desk@kpu.example",),
         s.Role.PPID: ("ppid@kpu.example",)}


class TypeRows(Protocol):
    """A person types rows under the last one of a tab (the DIP tab unless named)."""

    def __call__(self, rows: list[dict[str, Cell]], tab: str = ...) -> None: ...


@dataclass
class Office:
    """A register under test, with the ways a person changes it on that backend."""

    config: Config
    type_rows: TypeRows
    set_cell: Callable[[str, str, Cell], None]  # (title, header, value)
    emulator: SheetsEmulator | None = None


def _workbook_office(tmp_path: Path) -> Office:
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base, register=RegisterSettings(path=tmp_path / "register.xlsx"),
        publish=PublishSettings(folder=tmp_path / "situs"))
    path = config.register.path

    def set_cell(title: str, header: str, value: Cell) -> None:
        import openpyxl

        book = openpyxl.load_workbook(path)
        sheet = book[s.DIP_TAB]
        columns = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[columns.index(s.TITLE)].value == title:
                row[columns.index(header)].value = value
        book.save(path)

    def type_rows(rows: list[dict[str, Cell]], tab: str = s.DIP_TAB) -> None:
        append_rows(path, tab, rows)

    return Office(config, type_rows, set_cell)


def _sheets_office(tmp_path: Path, emulator: SheetsEmulator, account: ServiceAccount) -> Office:
    spreadsheet = emulator.create_spreadsheet(shared_with=[account.email])
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base,
        register=RegisterSettings(backend="sheets", spreadsheet_id=spreadsheet, credentials=account.path,
                                  retry_budget=5),
        roles=ROLES, publish=PublishSettings(folder=tmp_path / "situs"))

    def header() -> list[str]:
        return [str(v) for v in emulator.tab_values(spreadsheet, s.DIP_TAB)[0]]

    def type_rows(rows: list[dict[str, Cell]], tab: str = s.DIP_TAB) -> None:
        columns = [str(v) for v in emulator.tab_values(spreadsheet, tab)[0]]
        used = len(emulator.tab_values(spreadsheet, tab))
        for offset, values in enumerate(rows):
            for name, value in values.items():
                where = f"{get_column_letter(columns.index(name) + 1)}{used + 1 + offset}"
                emulator.set_cell(spreadsheet, tab, where, value)

    def set_cell(title: str, name: str, value: Cell) -> None:
        columns = header()
        for number, row in enumerate(emulator.tab_values(spreadsheet, s.DIP_TAB), start=1):
            if len(row) > columns.index(s.TITLE) and row[columns.index(s.TITLE)] == title:
                where = f"{get_column_letter(columns.index(name) + 1)}{number}"
                emulator.set_cell(spreadsheet, s.DIP_TAB, where, value)

    return Office(config, type_rows, set_cell, emulator)


def office_on(request: pytest.FixtureRequest, tmp_path: Path) -> Office:
    """The office on the backend a ``params=BACKENDS`` fixture was called with (its register not
    made yet): the one place that turns the parameter into a workbook or an emulated sheet."""
    if request.param == "workbook":
        return _workbook_office(tmp_path)
    return _sheets_office(tmp_path, request.getfixturevalue("sheets_emulator"),
                          request.getfixturevalue("sheets_account"))


BACKENDS = ["workbook", "sheets"]


@pytest.fixture(params=BACKENDS)
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Office:
    return office_on(request, tmp_path)


def test_full_cycle_init_sync_publish_tamper(office: Office) -> None:
    config = office.config
    register = open_register(config)
    assert register.init(Layout(s.TABS, UNITS, ROLES))
    office.type_rows([
        established("Profil"), established("Laporan", **{s.CATEGORY: "Setiap Saat"}), good_row("Draf"),
        established("Rahasia", **{s.CATEGORY: "Dikecualikan"}), good_row("Tanpa Tautan", **{s.LINK: ""}),
    ])
    first = run(open_register(config), UNITS, NOW)
    assert first.review.ids_assigned == ["DIP-0001", "DIP-0002", "DIP-0003", "DIP-0004", "DIP-0005"]
    assert first.review.newly_established == ["DIP-0001", "DIP-0002"]
    assert set(first.summary()["problems"]) == {"DIP-0004", "DIP-0005"}
    again = run(open_register(config), UNITS, NOW)
    assert again.applied is None  # idempotent: nothing to write the second time

    result = publish(config, open_register(config), FolderTarget(config.publish.folder), now=NOW, force=True)
    assert result.status == "published"
    data = json.loads((config.publish.folder / "dip.json").read_bytes())
    assert [i["judul"] for i in data["item"]] == ["Profil", "Laporan"]
    rows = {r.values[s.TITLE]: r for r in run(open_register(config), UNITS, NOW).review.dip}
    assert result.version in cell_text(rows["Profil"].values[s.STEP5])
    assert not cell_text(rows["Draf"].values.get(s.STEP5))

    office.set_cell("Profil", s.SUMMARY, "Ringkasan diubah tanpa penetapan ulang")
    tampered = run(open_register(config), UNITS, NOW)
    assert tampered.review.tampered == ["DIP-0001"]
    second = publish(config, open_register(config), FolderTarget(config.publish.folder), now=NOW, force=True)
    data = json.loads((config.publish.folder / "dip.json").read_bytes())
    # issue 13: the established version stays published while the correction waits for the PPID
    assert second.status == "unchanged" and [i["judul"] for i in data["item"]] == ["Profil", "Laporan"]
    assert data["item"][0]["ringkasan"] == "Ringkasan Profil"


def test_established_rows_are_locked_and_drafts_are_not(office: Office) -> None:
    config = office.config
    open_register(config).init(Layout(s.TABS, UNITS, ROLES))
    office.type_rows([established("A"), good_row("B"), established("C"), established("D")])
    run(open_register(config), UNITS, NOW)
    snapshot = open_register(config).read()
    grid = snapshot.tabs[s.DIP_TAB]
    title = list(grid.rows[0]).index(s.TITLE)
    assert sorted(cell_text(grid.rows[i][title]) for i in grid.locked_rows) == ["A", "C", "D"]
    if office.emulator is not None:  # the protections as the (emulated) API stores them
        spreadsheet = config.register.spreadsheet_id
        protections = office.emulator.protections(spreadsheet, s.DIP_TAB)
        header = list(grid.rows[0])

        def editors_of_column(name: str) -> set[str]:
            column = header.index(name)
            found = [p for p in protections if p["range"].get("startColumnIndex", 0) == column
                     and p["range"].get("endColumnIndex") == column + 1]  # the API omits zeros
            assert len(found) == 1, (name, found)
            return set(found[0].get("editors", {}).get("users", []))

        account = open_register(config).account  # type: ignore[attr-defined]
        assert editors_of_column(s.STEP3) - {account} <= {"ppid@kpu.example"}
        assert "ppid@kpu.example" in editors_of_column(s.STEP3)
        assert editors_of_column(s.STEP2) - {account} == {"desk@kpu.example", "ppid@kpu.example"}
        for column in (s.ID, s.NOTE, s.FINGERPRINT, s.STEP4, s.STEP5):
            assert editors_of_column(column) - {"owner@example.com"} == {account}, column
        row_locks = [p for p in protections if "endColumnIndex" not in p["range"]
                     and p["range"].get("startRowIndex", 0) >= 1]
        assert len(row_locks) == 2  # rows A and C, D coalesced into two ranges
        for lock in row_locks:
            assert not lock.get("warningOnly")
            assert "ppid@kpu.example" in lock["editors"]["users"]
            assert "unit@kpu.example" not in lock["editors"]["users"]
    else:
        assert isinstance(open_register(config), WorkbookRegister)


@pytest.mark.parametrize("rows", [10, 1000, 10000])
def test_requests_per_sync_stay_constant_as_rows_grow(
    rows: int, tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount
) -> None:
    office = _sheets_office(tmp_path, sheets_emulator, sheets_account)
    config = office.config
    open_register(config).init(Layout(s.TABS, UNITS, ROLES))
    spreadsheet = config.register.spreadsheet_id
    header = [str(v) for v in sheets_emulator.tab_values(spreadsheet, s.DIP_TAB)[0]]
    body = []
    for n in range(rows):
        values = established(f"Item {n}") if n % 3 == 0 else good_row(f"Item {n}")
        body.append([values.get(h) for h in header])
    sheets_emulator.insert_rows(spreadsheet, s.DIP_TAB, 2, body)
    sheets_emulator.reset_log()
    run(open_register(config), UNITS, NOW)
    first = (sheets_emulator.reads, sheets_emulator.writes)
    assert max(r.body_size for r in sheets_emulator.log) < 2_000_000  # Google's advice per request
    sheets_emulator.reset_log()
    run(open_register(config), UNITS, NOW)
    unchanged = (sheets_emulator.reads, sheets_emulator.writes)
    print(f"\n{rows} baris: sinkron pertama {first[0]} baca/{first[1]} tulis;"
          f" tanpa perubahan {unchanged[0]} baca/{unchanged[1]} tulis")
    # reads: the register (one spreadsheets.get: values, protections, anchors), fresh protections,
    # the check before writing. writes: the new rows' anchors (a first sync only), values, locks;
    # at 10,000 rows also one to grow the Riwayat tab's grid and more parts for the 10,000 anchors
    # and for the values written through them (bodies < 2 MB): 8, as the anchors' first version
    # had (and at 10,000 rows one more read: the anchors checked again after the grid grew)
    assert first[0] == (4 if rows > 1000 else 3) and first[1] == (8 if rows > 1000 else 3)
    assert unchanged == (1, 0)  # one spreadsheets.get, and no write at all
