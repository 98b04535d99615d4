"""Relocate-then-write is written once (register/relocating.py): every backend behaves alike.

The same batch meets the same person's edits between read and apply on the memory register, the
workbook and the emulated Google sheet, and each lands every write on its own row or skips it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from openpyxl import load_workbook

from dip_sheets import schema as s
from dip_sheets.register import Cell, CellWrite, Changes, Layout, Register, RowAnchor, row_key
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from tests.conftest import UNITS, good_row
from tests.memory_register import MemoryRegister, memory_register
from tests.sheets_emulator import SheetsEmulator

DIP = s.TAB_BY_NAME[s.DIP_TAB]
ROLES = {s.Role.PPID: ("ppid@kpu-contoh.go.id",), s.Role.DESK: ("desk@kpu-contoh.go.id",)}


class World(Protocol):
    register: Register

    def type_rows(self, rows: list[dict[str, Cell]]) -> None: ...
    def insert_first(self, values: dict[str, Cell]) -> None: ...
    def delete(self, index: int) -> None: ...
    def grid(self) -> list[list[Any]]: ...


class MemoryWorld:
    def __init__(self) -> None:
        self.memory: MemoryRegister = memory_register()
        self.register: Register = self.memory

    def type_rows(self, rows: list[dict[str, Cell]]) -> None:
        for values in rows:
            self.memory.add(s.DIP_TAB, values)

    def insert_first(self, values: dict[str, Cell]) -> None:
        header = self.memory.tabs[s.DIP_TAB][0]
        self.memory.tabs[s.DIP_TAB].insert(1, [values.get(str(h)) for h in header])

    def delete(self, index: int) -> None:
        del self.memory.tabs[s.DIP_TAB][index]

    def grid(self) -> list[list[Any]]:
        return self.memory.tabs[s.DIP_TAB]


class WorkbookWorld:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.register: Register = WorkbookRegister(path)
        self.register.init(Layout(s.TABS, UNITS))

    def type_rows(self, rows: list[dict[str, Cell]]) -> None:
        append_rows(self.path, s.DIP_TAB, rows)

    def _edit(self, change: Any) -> None:
        book = load_workbook(self.path)
        change(book[s.DIP_TAB])
        book.save(self.path)

    def insert_first(self, values: dict[str, Cell]) -> None:
        def insert(sheet: Any) -> None:
            sheet.insert_rows(2)
            columns = s.locate_columns(DIP, [c.value for c in sheet[1]])
            for header, value in values.items():
                sheet.cell(2, columns[header] + 1).value = value

        self._edit(insert)

    def delete(self, index: int) -> None:
        self._edit(lambda sheet: sheet.delete_rows(index + 1))

    def grid(self) -> list[list[Any]]:
        book = load_workbook(self.path, read_only=True)
        try:
            return [list(r) for r in book[s.DIP_TAB].iter_rows(values_only=True)]
        finally:
            book.close()


class SheetsWorld:
    def __init__(self, emu: SheetsEmulator, folder: Path) -> None:
        account = emu.service_account(folder)
        self.emu, self.sid = emu, emu.create_spreadsheet(shared_with=[account.email])
        settings = SheetsSettings(self.sid, account.path, roles=ROLES, api_url=emu.base_url)
        self.register: Register = SheetsRegister(settings, load_credentials(settings))
        self.register.init(Layout(s.TABS, UNITS, ROLES))

    def _row(self, values: dict[str, Cell]) -> list[Any]:
        return [values.get(h, "") for h in DIP.headers]

    def type_rows(self, rows: list[dict[str, Cell]]) -> None:
        start = len(self.grid()) + 1
        self.emu.insert_rows(self.sid, s.DIP_TAB, start, [self._row(v) for v in rows])

    def insert_first(self, values: dict[str, Cell]) -> None:
        self.emu.insert_rows(self.sid, s.DIP_TAB, 2, [self._row(values)])

    def delete(self, index: int) -> None:
        self.emu.delete_rows(self.sid, s.DIP_TAB, index + 1)

    def grid(self) -> list[list[Any]]:
        return self.emu.tab_values(self.sid, s.DIP_TAB)


@pytest.fixture(params=["memory", "workbook", "sheets"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield MemoryWorld()
    elif request.param == "workbook":
        yield WorkbookWorld(tmp_path / "register.xlsx")
    else:
        with SheetsEmulator() as emu:
            yield SheetsWorld(emu, tmp_path)


def _cell(grid: list[list[Any]], index: int, header: str) -> Any:
    columns = s.locate_columns(DIP, grid[0])
    row = grid[index]
    value = row[columns[header]] if columns[header] < len(row) else None
    return value if value not in (None, "") else None


def test_a_row_inserted_and_one_deleted_between_read_and_apply(world: World) -> None:
    world.type_rows([good_row(t) for t in ("Alfa", "Beta", "Gama")])
    snapshot = world.register.read()
    rows = snapshot.tabs[s.DIP_TAB].rows
    columns = s.locate_columns(DIP, rows[0])
    writes = [CellWrite(RowAnchor(s.DIP_TAB, i, row_key(DIP, columns, rows[i])), s.NOTE,
                        f"catatan {rows[i][columns[s.TITLE]]}") for i in range(1, 4)]
    world.insert_first(good_row("Sisipan"))  # everything moves down one row
    world.delete(3)  # Beta, now third
    result = world.register.apply(Changes(writes=writes))
    assert (result.cells_written, [w.value for w in result.skipped]) == (2, ["catatan Beta"])
    grid = world.grid()
    notes = {_cell(grid, i, s.TITLE): _cell(grid, i, s.NOTE) for i in range(1, len(grid))}
    assert notes == {"Sisipan": None, "Alfa": "catatan Alfa", "Gama": "catatan Gama"}


def test_the_memory_register_finds_columns_as_the_real_backends_do() -> None:
    """It used to match headers exactly; now a header typed in other case and spacing is found."""
    world = MemoryWorld()
    header = world.memory.tabs[s.DIP_TAB][0]
    header[header.index(s.NOTE)] = f"  {s.NOTE.upper()} "
    world.type_rows([good_row("Alfa")])
    rows = world.register.read().tabs[s.DIP_TAB].rows
    here = RowAnchor(s.DIP_TAB, 1, row_key(DIP, s.locate_columns(DIP, rows[0]), rows[1]))
    assert world.register.apply(Changes(writes=[CellWrite(here, s.NOTE, "catatan")])).cells_written == 1
    assert _cell(world.grid(), 1, s.NOTE) == "catatan"
