"""The register read once per run, and the check before a write that does not read it again.

On our emulator (tests/sheets_emulator.py) through gspread's real HTTP path, not on Google: one
masked ``spreadsheets.get`` must give the rows a ``values:batchGet`` with ``UNFORMATTED_VALUE``
gives, and the check before a write (dip_sheets/register/sheets_recheck.py) must notice every
way the rows read can stop holding, reading the tab whole only then.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests

from dip_sheets import schema as s
from dip_sheets.register import CellWrite, Changes, cell_text
from dip_sheets.register.sheets_grid import grid_rows, parse_grid
from tests.sheets_emulator import SheetsEmulator
from tests.test_register_sheets import DIP, LAYOUT, Env, anchor, item

NOTE = DIP.headers.index(s.NOTE)
TITLE = DIP.headers.index(s.TITLE)


@pytest.fixture
def env(sheets_api: SheetsEmulator, tmp_path: Path) -> Env:
    account = sheets_api.service_account(tmp_path)
    return Env(sheets_api, account, sheets_api.create_spreadsheet(shared_with=[account.email]))


def laid_out(env: Env, count: int = 3) -> str:
    """A register ``dip init`` laid out, holding ``count`` items."""
    env.register().init(LAYOUT)
    for number in range(1, count + 1):
        for header, text in item(number).items():
            env.emu.set_cell(env.sid, s.DIP_TAB, f"{chr(65 + DIP.headers.index(header))}"
                                                 f"{number + 1}", text)
    return env.sid


def test_the_one_read_gives_the_rows_a_values_read_gives(env: Env) -> None:
    emu, sid = env.emu, laid_out(env)
    emu.set_date(sid, s.DIP_TAB, "H3", dt.date(2022, 2, 7))
    emu.set_cell(sid, s.DIP_TAB, "K2", "5 tahun", user_entered=True)
    emu.set_cell(sid, s.DIP_TAB, "L3", 12.5)
    emu.set_cell(sid, s.DIP_TAB, "M2", False)
    emu.set_cell(sid, s.DIP_TAB, "B6", "sebuah baris setelah baris kosong")
    emu.set_cell(sid, s.DIP_TAB, "E3", "")  # an emptied cell amid others
    emu.reset_log()
    snapshot = env.register().read()
    assert emu.apis() == ["spreadsheets.get"]
    for name, grid in snapshot.tabs.items():
        assert grid.rows == emu.tab_values(sid, name), name
    assert snapshot.tabs[s.DIP_TAB].rows[4] == []  # an empty row between two, as the values API


def test_cells_google_shows_as_errors_read_as_their_text() -> None:
    """A formula's error has no number or text: the values API gives its text (``#REF!``), a
    grid read its ``errorValue`` (ErrorValue.ErrorType); the read gives the text either way."""
    data = [{"startRow": 1, "rowData": [
        {"values": [{"effectiveValue": {"errorValue": {"type": "REF", "message": "x"}}},
                    {}, {"effectiveValue": {"numberValue": 3}}, {}]},
        {},
        {"values": [{}, {}]}]}]
    assert grid_rows(data) == [[], ["#REF!", "", 3]]
    # parsed as the read parses it: each cell made its value while the JSON is read
    parsed = parse_grid(json.dumps({"sheets": [{"data": data}]}))["sheets"][0]["data"]
    assert parsed[0]["rowData"][0]["values"] == ["#REF!", {}, 3, {}]
    assert grid_rows(parsed) == [[], ["#REF!", "", 3]]


def test_a_batch_checks_a_few_rows_not_the_tab(env: Env) -> None:
    emu, sid = env.emu, laid_out(env)
    register = env.register()
    snapshot = register.read()
    register.apply(Changes(writes=[CellWrite(anchor(snapshot, s.DIP_TAB, 2), s.NOTE, "W01")]))
    emu.reset_log()
    register.apply(Changes(writes=[CellWrite(anchor(snapshot, s.DIP_TAB, 2), s.NOTE, "W02")]))
    # the row the batch wrote before is kept as written: still anchored, still that item's
    assert emu.apis() == ["values.batchGet", "values.batchUpdateByDataFilter"]
    [check] = [r for r in emu.log if r.api == "values.batchGet"]
    header, tail, row = check.query["ranges"]  # the header, the last row on, the row written
    assert (header, row) == ("'DIP'!1:1", "'DIP'!3:3") and tail.startswith("'DIP'!A4:")
    assert emu.tab_values(sid, s.DIP_TAB)[2][NOTE] == "W02"


@pytest.mark.parametrize("edit", ["insert", "delete", "sort", "append", "edit"])
def test_rows_that_no_longer_hold_are_read_whole_and_no_write_misses(env: Env, edit: str) -> None:
    """After the read, a person inserts or deletes a row, sorts, adds a row at the end or edits
    the row written to: the check sees it and reads the tab whole (+1 read); the note reaches its
    item's row or, if the item's row changed, waits for the next sync."""
    emu, sid = env.emu, laid_out(env, 4)
    register = env.register()
    register.apply(Changes(writes=[CellWrite(anchor(register.read(), s.DIP_TAB, 3), s.NOTE, "x")]))
    snapshot = register.read()  # the row is anchored now: only the check is left
    {
        "insert": lambda: emu.insert_rows(sid, s.DIP_TAB, 2),
        "delete": lambda: emu.delete_rows(sid, s.DIP_TAB, 5),
        "sort": lambda: emu.sort_rows(sid, s.DIP_TAB, s.TITLE, descending=True),
        "append": lambda: emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + TITLE)}7", "Baris baru"),
        "edit": lambda: emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + TITLE)}4", "Judul diubah"),
    }[edit]()
    emu.reset_log()
    result = register.apply(Changes(writes=[CellWrite(anchor(snapshot, s.DIP_TAB, 3), s.NOTE,
                                                      "W03")]))
    assert emu.apis()[:2] == ["values.batchGet", "values.batchGet"]
    whole = [r for r in emu.log if r.api == "values.batchGet"][1]
    assert whole.query["ranges"] == ["'DIP'"]  # the second read: the tab whole
    rows = emu.tab_values(sid, s.DIP_TAB)
    noted = [cell_text(r[TITLE]) for r in rows[1:] if len(r) > NOTE and r[NOTE] == "W03"]
    if edit == "edit":
        assert noted == [] and result.skipped  # the row changed under the batch: next sync
    else:
        assert noted == ["Judul 3"] and result.cells_written == 1


def test_a_field_mask_selects_grid_data_and_prunes_the_rest(sheets_api: SheetsEmulator) -> None:
    """The emulator's ``spreadsheets.get`` with a ``fields`` mask, as Google documents it: grid
    data when the mask selects it (``includeGridData`` ignored), only the masked fields, and
    only the sheets ``ranges`` names."""
    sheets_api.require_auth = False
    sid = sheets_api.create_spreadsheet({"A": [["x", "", 2]], "B": [["y"]]})

    def get(**query: str | list[str]) -> dict[str, object]:
        reply = requests.get(f"{sheets_api.base_url}/v4/spreadsheets/{sid}", params=query, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()  # type: ignore[no-any-return]

    assert get(fields="sheets.properties.title", includeGridData="true") == {
        "sheets": [{"properties": {"title": "A"}}, {"properties": {"title": "B"}}]}
    assert get(fields="sheets(properties/title,data/rowData/values/effectiveValue)",
               ranges="'A'") == {"sheets": [{"properties": {"title": "A"}, "data": [{"rowData": [
                   {"values": [{"effectiveValue": {"stringValue": "x"}}, {},
                               {"effectiveValue": {"numberValue": 2}}]}]}]}]}
    assert get(fields="sheets.data.rowData.values.note", ranges="'B'") == {"sheets": [{"data": [{}]}]}
