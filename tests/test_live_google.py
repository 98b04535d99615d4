"""The full cycle against a REAL Google sheet. Runs only when credentials are given.

Set ``DIP_LIVE_SPREADSHEET_ID`` (an empty test spreadsheet shared with the service account as
Editor) and ``GOOGLE_APPLICATION_CREDENTIALS`` (the service account's JSON key), plus the role
emails ``DIP_LIVE_PPID``, ``DIP_LIVE_DESK`` and ``DIP_LIVE_UNIT`` (comma-separated). Without the first
two the test is skipped, and reported as skipped, never as passed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from dip_sheets import schema as s
from dip_sheets.config import PublishSettings, RegisterSettings, default_config
from dip_sheets.connect import open_register
from dip_sheets.errors import ConfigError
from dip_sheets.publish import publish
from dip_sheets.register import CellWrite, Changes, Layout, RowAnchor, Snapshot, row_key
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, open_sheet
from dip_sheets.register.sheets_grid import letter
from dip_sheets.sync import run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS

SPREADSHEET = os.environ.get("DIP_LIVE_SPREADSHEET_ID", "")
CREDENTIALS = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not (SPREADSHEET and CREDENTIALS),
                       reason="DIP_LIVE_SPREADSHEET_ID dan GOOGLE_APPLICATION_CREDENTIALS tidak diisi"),
]


def test_live_init_sync_publish(tmp_path: Path) -> None:
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base,
        register=RegisterSettings(backend="sheets", spreadsheet_id=SPREADSHEET,
                                  credentials=Path(CREDENTIALS)),
        publish=PublishSettings(folder=tmp_path / "situs"),
        roles=_roles(),
    )
    register = open_register(config)
    register.init(Layout(s.TABS, UNITS, config.roles))
    first = run(open_register(config), UNITS, NOW)
    second = run(open_register(config), UNITS, NOW)
    assert second.applied is None, "a second sync of the real sheet must write nothing"
    result = publish(config, open_register(config), FolderTarget(config.publish.folder), now=NOW, force=True)
    published = json.loads((config.publish.folder / "dip.json").read_bytes())
    assert published["jumlah"] == len(first.review.items)
    assert result.status in ("published", "unchanged")


def _roles() -> dict[s.Role, tuple[str, ...]]:
    return {role: tuple(filter(None, os.environ.get(f"DIP_LIVE_{role.name}", "").split(",")))
            for role in (s.Role.UNIT, s.Role.DESK, s.Role.PPID)}


def _live_register(tab_rows: list[list[str]]) -> tuple[SheetsRegister, Snapshot]:
    """The live sheet's DIP tab replaced by ``tab_rows`` (header first), read back."""
    register = open_sheet(SheetsSettings(SPREADSHEET, Path(CREDENTIALS)))
    register.init(Layout(s.TABS, UNITS, _roles()))
    client = register.http
    height = register.metadata()[s.DIP_TAB].row_count
    client.values_clear(SPREADSHEET, f"'{s.DIP_TAB}'!2:{height}")
    client.values_update(SPREADSHEET, f"'{s.DIP_TAB}'!A1", params={"valueInputOption": "RAW"},
                         body={"values": tab_rows})
    return register, register.read()


def test_live_a_row_inserted_between_read_and_write_keeps_the_note_on_its_item() -> None:
    """The race of issue 18 on real Google: a row inserted above the item after the sync read the
    sheet; the note must still reach the item's row (developer metadata moved with it)."""
    header = list(s.TAB_BY_NAME[s.DIP_TAB].headers)
    title = header.index(s.TITLE)
    row = [""] * len(header)
    row[title] = "Uji balapan"
    register, snapshot = _live_register([header, row])
    columns = s.locate_columns(s.TAB_BY_NAME[s.DIP_TAB], snapshot.tabs[s.DIP_TAB].rows[0])
    anchor = RowAnchor(s.DIP_TAB, 1, row_key(s.TAB_BY_NAME[s.DIP_TAB], columns,
                                             snapshot.tabs[s.DIP_TAB].rows[1]))
    sheet_id = register.metadata()[s.DIP_TAB].sheet_id
    register.apply(Changes(writes=[CellWrite(anchor, s.NOTE, "pertama")]))  # anchors the row
    after = register.apply(Changes(writes=[CellWrite(anchor, s.NOTE, "pertama")])).anchors
    register.http.batch_update(SPREADSHEET, {"requests": [{"insertDimension": {
        "range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 2},
        "inheritFromBefore": False}}]})  # a person's insert, after the read
    register.apply(Changes(writes=[CellWrite(after.get(anchor, anchor), s.NOTE, "kedua")]))
    rows = register.read().tabs[s.DIP_TAB].rows
    moved = next(r for r in rows[1:] if len(r) > title and r[title] == "Uji balapan")
    assert moved[columns[s.NOTE]] == "kedua"
    assert all(len(r) <= columns[s.NOTE] or r[columns[s.NOTE]] == "" for r in rows[1:]
               if r is not moved)


def test_live_the_one_read_gives_what_a_values_read_gives() -> None:
    """The register is read with one masked ``spreadsheets.get`` (``effectiveValue``) instead of a
    ``values:batchGet`` with ``UNFORMATTED_VALUE``/``SERIAL_NUMBER``: on real Google both must give
    the same rows (a number, a typed date as its serial number, a boolean, text like a number)."""
    header = list(s.TAB_BY_NAME[s.DIP_TAB].headers)
    row: list[Any] = [""] * len(header)
    row[header.index(s.TITLE)] = "0007"
    row[header.index(s.NOTE)] = 2024
    row[header.index(s.SUMMARY)] = True
    register, _ = _live_register([header, row])
    created = s.locate_columns(s.TAB_BY_NAME[s.DIP_TAB], header)[s.CREATED]
    register.http.values_update(SPREADSHEET, f"'{s.DIP_TAB}'!{letter(created)}2",
                                params={"valueInputOption": "USER_ENTERED"},
                                body={"values": [["2022-02-07"]]})
    rows = register.read().tabs[s.DIP_TAB].rows
    values = register.http.values_batch_get(SPREADSHEET, [f"'{s.DIP_TAB}'"], params={
        "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"})
    assert rows == values["valueRanges"][0]["values"]
    assert rows[1][created] == 44599 and rows[1][header.index(s.SUMMARY)] is True


PROTECTED = os.environ.get("DIP_LIVE_PROTECTED_CELL", "")


@pytest.mark.skipif(not PROTECTED, reason="DIP_LIVE_PROTECTED_CELL tidak diisi")
def test_live_a_protected_cell_is_refused_with_the_protection_advice() -> None:
    """``DIP_LIVE_PROTECTED_CELL``: an A1 cell (e.g. ``'DIP'!Z50``) the sheet's owner protected
    WITHOUT the service account as editor. Google answers 400; dip must give the protection advice."""
    register = open_sheet(SheetsSettings(SPREADSHEET, Path(CREDENTIALS)))
    with pytest.raises(ConfigError, match="dilindungi"):
        register.http.values_update(SPREADSHEET, PROTECTED, params={"valueInputOption": "RAW"},
                                    body={"values": [["x"]]})
