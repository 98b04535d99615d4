"""Shared fixtures. The real servers (OpenSSH, the Sheets API emulator) live in tests/plugins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dip_sheets import schema as s
from dip_sheets.config import DEFAULT_UNITS, Config, PublishSettings, default_config
from dip_sheets.register import Cell, Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from tests.memory_register import decisions_of_the_year

# printing the list to PDF takes Chromium a second or more per publish: only the PDF's own tests
# (tests/test_list_pdf.py) turn it on; subprocesses (the CLI tests) inherit this
os.environ.setdefault("DIP_PDF", "0")

pytest_plugins = ["tests.plugins.sshd", "tests.plugins.sheets", "tests.plugins.reliability",
                  "tests.plugins.webservers", "tests.plugins.chromium", "tests.plugins.axe_summary"]

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
    append_rows(register.path, s.DECISION_TAB, decisions_of_the_year())  # the year rule: see there
    return register


@pytest.fixture
def publish_config(tmp_path: Path, workbook: WorkbookRegister) -> Config:
    """The office of the publish tests: the test workbook, a local site with a public address."""
    base = default_config(tmp_path)
    return dataclasses.replace(
        base,
        register=dataclasses.replace(base.register, path=workbook.path),
        publish=PublishSettings(folder=tmp_path / "situs", base_url="https://ppid.example.go.id/dip/",
                                by="PPID Contoh"),
    )


def add_rows(register: WorkbookRegister, rows: list[dict[str, Cell]], tab: str = s.DIP_TAB) -> None:
    append_rows(register.path, tab, rows)


def site_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (a published site) by its relative POSIX path; ``{}`` if missing."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def readable_parts(body: bytes) -> Iterator[bytes]:
    """A file's bytes and, for a zip (``dip.xlsx``), each member's bytes, where text would hide."""
    yield body
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for member in archive.namelist():
                yield archive.read(member)
