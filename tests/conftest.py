"""Shared fixtures. The real servers (OpenSSH, the Sheets API emulator) live in tests/plugins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dip_sheets import schema as s
from dip_sheets.config import DEFAULT_UNITS
from dip_sheets.register import Cell, Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows

pytest_plugins = ["tests.plugins.sshd", "tests.plugins.sheets", "tests.plugins.reliability"]

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
UNITS = DEFAULT_UNITS
UNIT = UNITS[2]


def good_row(title: str = "Profil Badan Publik", **overrides: Cell) -> dict[str, Cell]:
    """A complete, valid DIP row as a unit would type it (not yet handed over)."""
    row: dict[str, Cell] = {
        s.CATEGORY: "Berkala", s.SUBCATEGORY: "Profil", s.TITLE: title,
        s.SUMMARY: f"Ringkasan {title}", s.UNIT: UNIT, s.RESPONSIBLE: "Sekretaris",
        s.CREATED: "2024", s.PLACE: "Serang", s.FORM: "Softcopy", s.RETENTION: "5 tahun",
        s.LINK: "https://ppid.example.go.id/doc.pdf",
    }
    row.update(overrides)
    return row


def established(title: str = "Profil Badan Publik", **overrides: Cell) -> dict[str, Cell]:
    return good_row(title, **{s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditetapkan", **overrides})


@pytest.fixture
def workbook(tmp_path: Path) -> WorkbookRegister:
    """An empty register workbook made by ``init``."""
    register = WorkbookRegister(tmp_path / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    return register


def add_rows(register: WorkbookRegister, rows: list[dict[str, Cell]], tab: str = s.DIP_TAB) -> None:
    append_rows(register.path, tab, rows)
