"""The Google Sheets register backend, against our emulator through gspread's real HTTP path.

The emulator is passed in (``api_url``); gspread's module-wide URLs are left alone, so every
request here proves the backend sends where it is told. The token still comes from google-auth's
real service-account flow: a signed JWT grant to the emulator's /token.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gspread.http_client
import pytest
from google.oauth2 import service_account

from dip_sheets import schema as s
from dip_sheets.errors import BackendUnavailable, ConfigError, DipError, LayoutError
from dip_sheets.guide_tab import GUIDE_TAB, column_help
from dip_sheets.register import (
    Cell,
    CellWrite,
    Changes,
    Layout,
    RowAnchor,
    Snapshot,
    row_key,
)
from dip_sheets.register.sheets import (
    SheetsRegister,
    SheetsSettings,
    load_credentials,
    open_sheet,
)
from dip_sheets.register.sheets_client import RebasedSession
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

PPID = "ppid@kpu-contoh.go.id"
DESK = "desk@kpu-contoh.go.id"
DESK_GROUP = "desk-pelayanan@kpu-contoh.go.id"
ROLES = {s.Role.PPID: (PPID,), s.Role.DESK: (DESK, f"group:{DESK_GROUP}")}
UNITS = ("Sub Bagian Umum dan Logistik", "Sub Bagian Teknis", "Sub Bagian Hukum dan SDM")
LAYOUT = Layout(s.TABS, UNITS, ROLES)
DIP = s.TAB_BY_NAME[s.DIP_TAB]
ROWS_MARK = "[dip-sheets:rows]"


@dataclass
class Env:
    emu: SheetsEmulator
    account: ServiceAccount
    sid: str

    @functools.cached_property
    def credentials(self) -> service_account.Credentials:
        """Loaded once per test: parsing an RSA key costs ~30 ms."""
        return load_credentials(SheetsSettings(self.sid, self.account.path))

    def register(self, **settings: Any) -> SheetsRegister:
        """A register with quick retries, so failure tests stay fast. The request timeout is generous:
        on a loaded 2-core CI machine a 2 s timeout fired on healthy requests and turned exact
        request counts into flakes; tests about timeouts set their own."""
        fast: dict[str, Any] = {"timeout": 15.0, "retry_budget": 30.0, "max_retries": 6,
                                "backoff_base": 0.001, "backoff_cap": 0.01,
                                "api_url": self.emu.base_url}
        settings.setdefault("spreadsheet_id", self.sid)
        return SheetsRegister(SheetsSettings(credentials_file=self.account.path,
                                             **{**fast, **settings}), self.credentials)

    def dip_tab(self, items: Sequence[Mapping[str, Cell]], *,
                headers: Sequence[str] = DIP.headers, rows: int = 1000) -> str:
        """A new spreadsheet whose DIP tab holds ``items`` (header -> value)."""
        values: list[list[Any]] = [list(headers),
                                   *[[item.get(h, "") for h in headers] for item in items]]
        return self.emu.create_spreadsheet({s.DIP_TAB: values}, rows=rows, cols=len(headers),
                                           shared_with=[self.account.email])


@pytest.fixture
def env(sheets_api: SheetsEmulator, tmp_path: Path) -> Env:
    account = sheets_api.service_account(tmp_path)
    sid = sheets_api.create_spreadsheet(shared_with=[account.email])
    return Env(sheets_api, account, sid)


def item(number: int, **extra: Cell) -> dict[str, Cell]:
    return {s.ID: f"DIP-{number:04d}", s.CATEGORY: "Berkala", s.TITLE: f"Judul {number}",
            s.SUMMARY: f"Ringkasan {number}", **extra}


def anchor(snapshot: Snapshot, tab: str, index: int) -> RowAnchor:
    rows = snapshot.tabs[tab].rows
    definition = s.TAB_BY_NAME[tab]
    return RowAnchor(tab, index, row_key(definition, s.locate_columns(definition, rows[0]),
                                         rows[index]))


def value(row: Sequence[Any], columns: dict[str, int], header: str) -> Any:
    index = columns[header]
    return row[index] if index < len(row) else ""


def row_protections(emu: SheetsEmulator, sid: str) -> list[dict[str, Any]]:
    return [p for p in emu.protections(sid, s.DIP_TAB) if p["description"].startswith(ROWS_MARK)]


def spans(protections: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    return sorted((p["range"].get("startRowIndex", 0), p["range"]["endRowIndex"])
                  for p in protections)


def test_the_emulator_is_passed_in_and_the_token_comes_from_a_jwt_grant(env: Env) -> None:
    """The real service-account path: google-auth signs a JWT grant and posts it to the key
    file's token_uri (the emulator's /token); the API address is the register's own setting."""
    env.emu.reset_log()
    env.register().read()
    assert env.emu.count(kind="auth") == 1
    # the read names the schema's tabs; Google refuses a range on a missing tab (400), so a
    # register without them is asked which tabs it has: none yet, nothing more to get
    assert env.emu.apis() == ["spreadsheets.get", "spreadsheets.get"]
    assert vars(gspread.http_client)["SPREADSHEET_URL"].startswith("https://sheets.googleapis.com/")


def test_a_session_can_be_passed_in(env: Env) -> None:
    """``open_sheet(settings, session)``: the caller's session carries every request."""
    sent: list[str] = []

    class Recording(RebasedSession):
        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(url))
            return super().request(method, url, *args, **kwargs)

    settings = SheetsSettings(env.sid, env.account.path)  # Google's address: the session rebases
    register = open_sheet(settings, Recording(env.credentials, env.emu.base_url))
    assert register.read() == Snapshot({})
    assert sent and all(u.startswith("https://sheets.googleapis.com/") for u in sent)


# ---- init -------------------------------------------------------------------------------------


def test_init_creates_tabs_headers_dropdowns_and_role_protections(env: Env) -> None:
    emu, sid = env.emu, env.sid
    done = env.register().init(LAYOUT)
    assert emu.apis() == ["spreadsheets.get", "spreadsheets.batchUpdate"]
    assert "Tab 'DIP' dibuat dengan" in done[0].id and "Tab 'DIP' created with" in done[0].en
    assert emu.tab_titles(sid) == ["Sheet1", *(t.name for t in s.TABS), GUIDE_TAB, s.DASHBOARD_TAB]
    [dashboard] = emu.protections(sid, s.DASHBOARD_TAB)  # the sync alone writes the Ringkasan
    assert set(dashboard["range"]) <= {"sheetId"} and dashboard["editors"] == {"users": [env.account.email]}
    for tab in s.TABS:
        assert emu.tab_values(sid, tab.name) == [list(tab.headers)]
        assert emu.tab_properties(sid, tab.name)["gridProperties"]["frozenRowCount"] == 1
    assert emu.column_widths(sid, s.DIP_TAB)[:len(DIP.columns)] == [
        c.width * 7 + 12 for c in DIP.columns]

    position = {h: i for i, h in enumerate(DIP.headers)}
    for column in DIP.columns:
        rules = emu.column_validations(sid, s.DIP_TAB, position[column.header])
        choices = UNITS if column.header == s.UNIT else column.choices
        if not choices or column.owner is s.Role.SYSTEM:
            assert rules == [None] * 1000, column.header
            continue
        assert rules[0] is None and all(r == rules[1] for r in rules[1:]), column.header
        assert rules[1] == {"condition": {"type": "ONE_OF_LIST", "values": [
            {"userEnteredValue": c} for c in choices]}, "strict": True, "showCustomUi": True,
            "inputMessage": column_help(column)}

    me = env.account.email
    for tab in s.TABS:
        protections = {p["description"].split("]")[0] + "]": p
                       for p in emu.protections(sid, tab.name)}
        assert not any(p.get("warningOnly") for p in protections.values())
        if tab.name in (s.HISTORY_TAB, s.SYSTEM_TAB):
            [whole] = protections.values()
            assert set(whole["range"]) <= {"sheetId"} and whole["editors"] == {"users": [me]}
            continue
        assert protections["[dip-sheets:header]"]["range"]["endRowIndex"] == 1
        assert protections["[dip-sheets:header]"]["editors"] == {"users": [me]}
        expected = {
            s.Role.SYSTEM: {"users": [me]},
            s.Role.PPID: {"users": [PPID, me]},
            s.Role.DESK: {"users": [DESK, PPID, me], "groups": [DESK_GROUP]},
        }
        for index, column in enumerate(tab.columns):
            found = protections.get(f"[dip-sheets:col:{column.header}]")
            if column.owner is s.Role.UNIT:
                assert found is None, column.header
                continue
            assert found is not None, column.header
            assert found["editors"] == expected[column.owner], column.header
            assert (found["range"].get("startColumnIndex", 0), found["range"]["endColumnIndex"],
                    found["range"]["startRowIndex"]) == (index, index + 1, 1)
            assert "endRowIndex" not in found["range"]  # open-ended: covers rows added later


def test_init_again_changes_nothing(env: Env) -> None:
    env.register().init(LAYOUT)
    env.emu.reset_log()
    assert env.register().init(LAYOUT) == []  # the CLI says "Register sudah lengkap"
    assert env.emu.writes == 0 and env.emu.reads == 2


def test_init_adds_missing_headers_at_the_end_and_keeps_the_rest(env: Env) -> None:
    emu = env.emu
    headers = [h for h in DIP.headers if h not in (s.NOTE, s.FINGERPRINT)] + ["Catatan Staf"]
    sid = env.dip_tab([item(1)], headers=headers, rows=50)
    emu.book(sid).tab(s.DIP_TAB).col_widths[3] = 321  # a person widened a column
    done = env.register(spreadsheet_id=sid).init(replace(LAYOUT, tabs=(DIP,)))
    assert (f"Tab 'DIP': kolom '{s.NOTE}', '{s.FINGERPRINT}' ditambahkan di akhir baris judul."
            in [line.id for line in done])
    assert emu.tab_values(sid, s.DIP_TAB)[0] == [*headers, s.NOTE, s.FINGERPRINT]
    assert emu.tab_values(sid, s.DIP_TAB)[1][:4] == ["DIP-0001", "Berkala", "", "Judul 1"]
    widths = emu.column_widths(sid, s.DIP_TAB)
    assert widths[3] == 321 and widths[len(headers)] == DIP.column(s.NOTE).width * 7 + 12
    note = next(p for p in emu.protections(sid, s.DIP_TAB)
                if p["description"].startswith(f"[dip-sheets:col:{s.NOTE}]"))
    assert note["range"]["startColumnIndex"] == len(headers)


def test_init_repairs_damaged_protections_and_dropdowns_only(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    sheet = emu.book(sid).tab(s.DIP_TAB)
    step3 = next(p for p in sheet.protected if "col:3 Penetapan" in p["description"])
    sheet.protected.remove(step3)
    ident = next(p for p in sheet.protected if "col:ID]" in p["description"])
    ident["warningOnly"] = True
    del ident["editors"]
    staff = {"protectedRangeId": 7, "range": {"sheetId": sheet.sheet_id, "startRowIndex": 5,
                                               "endRowIndex": 6}, "description": "milik staf",
             "editors": {"users": ["staf@kpu-contoh.go.id"]}}
    sheet.protected.append(staff)
    category = DIP.headers.index(s.CATEGORY)
    sheet.rows[40][category].validation = None  # a paste wiped one dropdown
    emu.reset_log()
    done = [line.id for line in env.register().init(LAYOUT)]
    assert done == [
        f"Tab 'DIP': dropdown dipasang di kolom '{s.CATEGORY}'.",
        "Tab 'DIP': perlindungan diperbaiki: Kolom 'ID' diisi oleh sinkronisasi; jangan diubah.",
        f"Tab 'DIP': perlindungan dipasang: Kolom '{s.STEP3}' hanya untuk PPID.",
    ]
    assert emu.writes == 1
    assert emu.validation(sid, s.DIP_TAB, "B41") == emu.validation(sid, s.DIP_TAB, "B2")
    repaired = next(p for p in emu.protections(sid, s.DIP_TAB) if "col:ID]" in p["description"])
    assert "warningOnly" not in repaired and repaired["editors"] == {"users": [env.account.email]}
    assert staff in emu.book(sid).tab(s.DIP_TAB).protected  # a person's protection is left alone
    emu.reset_log()
    env.register().init(LAYOUT)
    assert emu.writes == 0


def test_init_refuses_a_duplicated_header(env: Env) -> None:
    sid = env.dip_tab([item(1)], headers=[*DIP.headers, s.TITLE])
    env.emu.reset_log()
    with pytest.raises(LayoutError, match=f"'{s.TITLE}' muncul lebih dari sekali") as refused:
        env.register(spreadsheet_id=sid).init(LAYOUT)
    assert "appears more than once" in refused.value.message("en")
    assert env.emu.writes == 0


def test_init_needs_the_roles_that_own_columns(env: Env) -> None:
    env.emu.reset_log()
    with pytest.raises(ConfigError, match="desk, ppid"):
        env.register().init(Layout(s.TABS, UNITS))
    assert env.emu.log == []


# ---- read -------------------------------------------------------------------------------------


def test_read_is_one_get_of_typed_values(env: Env) -> None:
    """One ``spreadsheets.get`` whose field mask asks for the tabs' properties, protections, rows'
    anchors and effective values: the values come typed as ``UNFORMATTED_VALUE`` with
    ``SERIAL_NUMBER`` dates would give them."""
    emu = env.emu
    sid = env.dip_tab([item(7, **{s.CREATED: 2024}), item(8)])
    for name in (*(t.name for t in s.TABS), s.DASHBOARD_TAB):
        if name != s.DIP_TAB:
            emu.add_tab(sid, name, [["Kolom"]])
    emu.set_date(sid, s.DIP_TAB, "H3", dt.date(2022, 2, 7))
    emu.set_cell(sid, s.DIP_TAB, "K2", "5 tahun", user_entered=True)
    emu.set_cell(sid, s.DIP_TAB, "L2", True)
    emu.reset_log()
    register = env.register(spreadsheet_id=sid)
    snapshot = register.read()
    assert emu.apis() == ["spreadsheets.get"]
    [get] = [r for r in emu.log if r.kind != "auth"]
    assert get.query["ranges"][0] == "'DIP'" and "includeGridData" not in get.query
    assert "rowData(values(effectiveValue))" in get.query["fields"][0]
    rows = snapshot.tabs[s.DIP_TAB].rows
    assert rows[1][11] is True  # column L: a boolean stays one
    assert rows == emu.tab_values(sid, s.DIP_TAB)  # the same rows a values read gives
    created = DIP.headers.index(s.CREATED)
    assert rows[1][0] == "DIP-0007" and rows[1][created] == 2024
    assert rows[2][created] == 44599 and isinstance(rows[2][created], int)  # a serial date
    assert snapshot.tabs[s.DIP_TAB].locked_rows == frozenset()
    emu.reset_log()
    register.read()
    assert emu.apis() == ["spreadsheets.get"]  # each read is of the sheet as it is now


# ---- apply ------------------------------------------------------------------------------------


def test_apply_is_one_batch_get_and_one_raw_batch_update(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    for row, number in ((2, 1), (3, 2)):
        emu.set_cell(sid, s.DIP_TAB, f"B{row}", "Berkala")
        emu.set_cell(sid, s.DIP_TAB, f"D{row}", f"Judul {number}")
    register = env.register()
    snapshot = register.read()
    first, second = anchor(snapshot, s.DIP_TAB, 1), anchor(snapshot, s.DIP_TAB, 2)
    emu.reset_log()
    result = register.apply(Changes(
        writes=[CellWrite(first, s.ID, "DIP-0007"), CellWrite(first, s.FINGERPRINT, "2024"),
                CellWrite(first, s.NOTE, "W01"), CellWrite(second, s.ID, "DIP-0008")],
        appends={s.HISTORY_TAB: [{s.HISTORY_TIME: "2024-02-07 10:00", s.ID: "DIP-0007",
                                  s.HISTORY_EVENT: "Ditetapkan"}]}))
    # rows not yet anchored (the read says so): their anchors made (1 write), then one read of
    # the few rows that show the rows read still hold (the header, the last row, the anchored
    # rows: not the tab again), and one write carries every cell and appended row
    assert emu.apis() == ["spreadsheets.batchUpdate", "values.batchGet",
                          "values.batchUpdateByDataFilter"]
    [check] = [r for r in emu.log if r.api == "values.batchGet"]
    assert "'DIP'" not in check.query["ranges"] and "'DIP'!1:1" in check.query["ranges"]
    [update] = [r for r in emu.log if r.api == "values.batchUpdateByDataFilter"]
    assert update.body["valueInputOption"] == "RAW"
    assert result.cells_written == 4 and result.rows_appended == 1 and result.skipped == ()
    emu.reset_log()  # anchored rows: one read and one write
    again = register.apply(Changes(writes=[CellWrite(result.anchors[first], s.NOTE, "W02")]))
    assert again.cells_written == 1
    assert emu.apis() == ["values.batchGet", "values.batchUpdateByDataFilter"]
    columns = {h: i for i, h in enumerate(DIP.headers)}
    rows = emu.tab_values(sid, s.DIP_TAB)
    assert value(rows[1], columns, s.ID) == "DIP-0007"
    assert value(rows[1], columns, s.FINGERPRINT) == "2024"  # text stays text
    assert value(rows[2], columns, s.ID) == "DIP-0008"
    assert emu.tab_values(sid, s.HISTORY_TAB)[1] == ["2024-02-07 10:00", "DIP-0007", "Ditetapkan"]


def test_empty_changes_send_nothing(env: Env) -> None:
    env.emu.reset_log()
    assert env.register().apply(Changes(appends={s.DIP_TAB: []})).cells_written == 0
    assert env.emu.log == []


def test_appends_go_after_the_last_row_and_grow_a_full_grid(env: Env) -> None:
    emu = env.emu
    sid = env.dip_tab([item(1), item(2)], rows=3)
    rule = {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Berkala"}]}}
    for row in emu.book(sid).tab(s.DIP_TAB).rows[1:]:
        row[1].validation = rule
    emu.reset_log()
    result = env.register(spreadsheet_id=sid).apply(Changes(appends={s.DIP_TAB: [
        {s.TITLE: "Baru 1", s.CATEGORY: "Berkala"}, {s.TITLE: "Baru 2"}]}))
    assert result.rows_appended == 2
    # nothing read before: the metadata, then the tab whole
    assert emu.apis() == ["spreadsheets.get", "values.batchGet",
                          "spreadsheets.batchUpdate", "values.batchUpdateByDataFilter"]
    rows = emu.tab_values(sid, s.DIP_TAB)
    title = DIP.headers.index(s.TITLE)
    assert [r[title] for r in rows[1:]] == ["Judul 1", "Judul 2", "Baru 1", "Baru 2"]
    assert emu.tab_properties(sid, s.DIP_TAB)["gridProperties"]["rowCount"] == 5
    # rows are appended at the grid's end (appendDimension), so a late or repeated request cannot
    # split the rows just written; only system tabs (Riwayat, Sistem) ever get appended rows


def test_locks_are_coalesced_and_change_only_when_asked(env: Env) -> None:
    emu = env.emu
    sid = env.dip_tab([item(n) for n in range(1, 9)])
    register = env.register(spreadsheet_id=sid, roles=ROLES)
    snapshot = register.read()
    register.apply(Changes(locks={s.DIP_TAB: frozenset(
        anchor(snapshot, s.DIP_TAB, i) for i in (1, 2, 3, 6, 7))}))
    assert spans(row_protections(emu, sid)) == [(1, 4), (6, 8)]
    assert all(p["editors"] == {"users": [PPID, env.account.email]}
               for p in row_protections(emu, sid))
    assert register.read().tabs[s.DIP_TAB].locked_rows == {1, 2, 3, 6, 7}

    emu.reset_log()
    register.apply(Changes(writes=[CellWrite(anchor(snapshot, s.DIP_TAB, 4), s.NOTE, "W02")]))
    # the row anchored, checked with the rows kept, then written; locks=None: untouched
    assert emu.apis() == ["spreadsheets.batchUpdate", "values.batchGet",
                          "values.batchUpdateByDataFilter"]
    emu.reset_log()
    register.apply(Changes(locks={s.DIP_TAB: frozenset(
        anchor(snapshot, s.DIP_TAB, i) for i in (1, 2, 3, 6, 7))}))
    assert emu.apis() == ["spreadsheets.get", "values.batchGet"]  # nothing written

    kept = next(p for p in row_protections(emu, sid) if p["range"]["startRowIndex"] == 1)
    emu.reset_log()
    register.apply(Changes(locks={s.DIP_TAB: frozenset(
        anchor(snapshot, s.DIP_TAB, i) for i in (1, 2, 3))}))
    [update] = [r for r in emu.log if r.api == "spreadsheets.batchUpdate"]
    assert [next(iter(request)) for request in update.body["requests"]] == [
        "deleteProtectedRange"]
    assert row_protections(emu, sid) == [kept]
    assert register.read().tabs[s.DIP_TAB].locked_rows == {1, 2, 3}


def test_lock_editors_default_to_the_ppid_column_editors(env: Env) -> None:
    env.register().init(LAYOUT)
    env.emu.set_cell(env.sid, s.DIP_TAB, "D2", "Judul 1")
    register = env.register()  # no roles in the settings: read from the sheet
    snapshot = register.read()
    register.apply(Changes(locks={s.DIP_TAB: frozenset([anchor(snapshot, s.DIP_TAB, 1)])}))
    [lock] = row_protections(env.emu, env.sid)
    assert lock["editors"] == {"users": [PPID, env.account.email]}


def test_rows_moved_between_read_and_apply_never_get_a_misplaced_write(env: Env) -> None:
    """Staff insert, delete, sort and edit rows while the sync runs (200 seeded trials)."""
    rng = random.Random(20220207)
    for trial in range(200):
        _moved_rows_trial(env, rng, trial)


def _moved_rows_trial(env: Env, rng: random.Random, trial: int) -> None:
    emu = env.emu
    headers = list(DIP.headers)
    if rng.random() < 0.3:
        rng.shuffle(headers)  # columns are found by header text, wherever they are
    count = rng.randint(2, 9)
    items = [{s.TITLE: f"Judul {trial}-{k}", s.CATEGORY: rng.choice(s.CATEGORIES),
              s.ID: f"DIP-{k + 1:04d}" if rng.random() < 0.6 else ""} for k in range(count)]
    sid = env.dip_tab(items, headers=headers, rows=40)
    register = env.register(spreadsheet_id=sid)
    snapshot = register.read()
    rows = snapshot.tabs[s.DIP_TAB].rows
    columns = s.locate_columns(DIP, rows[0])
    writes: list[CellWrite] = []
    locks: set[RowAnchor] = set()
    for index in range(1, len(rows)):
        here = anchor(snapshot, s.DIP_TAB, index)
        title = value(rows[index], columns, s.TITLE)
        writes.append(CellWrite(here, s.NOTE, f"catatan {title}"))
        if not value(rows[index], columns, s.ID):
            writes.append(CellWrite(here, s.ID, f"BARU {title}"))
        if rng.random() < 0.4:
            locks.add(here)
    untouchable: set[str] = set()  # titles whose row is gone or was edited by a person

    def staff_edits() -> None:
        for number in range(rng.randint(1, 3)):
            now = emu.tab_values(sid, s.DIP_TAB)
            row = rng.randint(2, len(now))  # 1-based, a data row
            kind = rng.choice(["insert", "delete", "sort", "edit"])
            if kind == "insert":
                new = [""] * len(headers)
                new[columns[s.TITLE]] = f"Sisipan {trial}-{number}"
                emu.insert_rows(sid, s.DIP_TAB, rng.randint(2, len(now) + 1), [new])
            elif kind == "delete" and len(now) > 2:
                untouchable.add(value(now[row - 1], columns, s.TITLE))
                emu.delete_rows(sid, s.DIP_TAB, row)
            elif kind == "sort":
                emu.sort_rows(sid, s.DIP_TAB, rng.choice([s.TITLE, s.CATEGORY, s.ID]),
                              descending=rng.random() < 0.5)
            elif kind == "edit":
                untouchable.add(value(now[row - 1], columns, s.TITLE))
                letter = chr(65 + columns[s.SUMMARY])
                emu.set_cell(sid, s.DIP_TAB, f"{letter}{row}", f"diubah {number}")

    emu.reset_log()
    emu.before_request(rng.choice([1, 2]), staff_edits)
    result = register.apply(Changes(writes=writes, locks={s.DIP_TAB: frozenset(locks)}))

    final = emu.tab_values(sid, s.DIP_TAB)
    originals = {value(r, columns, s.TITLE) for r in rows[1:]}
    for row in final[1:]:
        title = value(row, columns, s.TITLE)
        note, ident = value(row, columns, s.NOTE), value(row, columns, s.ID)
        assert note in ("", f"catatan {title}"), (trial, row)
        assert not str(ident).startswith("BARU") or ident == f"BARU {title}", (trial, row)
        if title in originals and title not in untouchable:
            assert note == f"catatan {title}", (trial, row)
    expected_skips = {w for w in writes
                      if value(rows[w.anchor.row], columns, s.TITLE) in untouchable}
    assert set(result.skipped) == expected_skips, trial
    locked_titles = {value(final[i], columns, s.TITLE)
                     for start, end in spans(row_protections(emu, sid)) for i in range(start, end)}
    assert locked_titles == {value(rows[a.row], columns, s.TITLE)
                             for a in locks} - untouchable, trial


# ---- failures ---------------------------------------------------------------------------------


def _prepared(env: Env, **settings: Any) -> tuple[SheetsRegister, str, Changes]:
    sid = env.dip_tab([item(1), item(2)])
    register = env.register(spreadsheet_id=sid, **settings)
    snapshot = register.read()
    changes = Changes(writes=[CellWrite(anchor(snapshot, s.DIP_TAB, 1), s.NOTE, "W01")])
    env.emu.reset_log()
    return register, sid, changes


def test_a_429_storm_is_ridden_out(env: Env) -> None:
    register, _, changes = _prepared(env)
    env.emu.fail(429, times=3)
    assert register.apply(changes).cells_written == 1
    # anchor the row (1 write; once it failed, each attempt reads the metadata again first and
    # sends only what is missing), check the rows kept and the anchored row, write through it
    assert [r.status for r in env.emu.log] == [429, 429, 429, 200, 200, 200, 200]
    assert env.emu.apis()[-4:] == ["spreadsheets.get", "spreadsheets.batchUpdate",
                                   "values.batchGet", "values.batchUpdateByDataFilter"]


def test_an_endless_429_storm_gives_up_without_writing(env: Env) -> None:
    register, sid, changes = _prepared(env, max_retries=3)
    before = env.emu.tab_values(sid, s.DIP_TAB)
    env.emu.fail(429, times=None, when=lambda r: r.kind == "write")
    with pytest.raises(BackendUnavailable) as busy:
        register.apply(changes)
    assert "sudah dicoba 4 kali" in busy.value.message()
    assert "busy or unreachable (HTTP 429); tried 4 times" in busy.value.message("en")
    assert env.emu.writes == 4 and env.emu.count(api="values.batchUpdateByDataFilter") == 0
    assert env.emu.tab_values(sid, s.DIP_TAB) == before
    _check_clean(busy.value)


def test_the_retry_budget_bounds_the_time_spent(env: Env) -> None:
    register, _, changes = _prepared(env, retry_budget=0.3, backoff_base=0.05,
                                     backoff_cap=1.0, max_retries=100)
    env.emu.fail(503, times=None)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        register.apply(changes)
    assert time.monotonic() - started < 0.6
    assert 2 <= env.emu.count() <= 5  # waits of 0.05, 0.1, 0.2 s (+ jitter) fit in 0.3 s


def test_timeouts_and_lost_connections_are_retried(env: Env) -> None:
    register, _, changes = _prepared(env, timeout=0.2)
    env.emu.delay(0.5, when=lambda r: r.api == "values.batchGet")
    env.emu.drop(times=2, when=lambda r: r.api == "values.batchUpdateByDataFilter",
                 after_processing=True)
    assert register.apply(changes).cells_written == 1
    env.emu.wait_idle()
    # 1 timed out, then the check that also finds the new anchor
    assert env.emu.count(api="values.batchGet") == 2
    # rewriting the same cells through the same anchor is harmless
    assert env.emu.count(api="values.batchUpdateByDataFilter") == 3


def test_init_whose_reply_is_lost_is_planned_again_not_resent(env: Env) -> None:
    """Google applied the first batch but its reply never came: resending it would add every tab a
    second time ("already exists"). The retry reads the sheet again and has nothing left to send."""
    env.emu.drop(times=1, when=lambda r: r.api == "spreadsheets.batchUpdate", after_processing=True)
    done = env.register().init(LAYOUT)
    env.emu.wait_idle()
    assert "Tab 'DIP' dibuat dengan" in done[0].id  # what was missing when init began
    assert env.emu.count(api="spreadsheets.batchUpdate") == 1
    assert env.emu.tab_titles(env.sid) == ["Sheet1", *(t.name for t in s.TABS), GUIDE_TAB,
                                           s.DASHBOARD_TAB]
    assert env.register().init(LAYOUT) == []


def test_an_unreachable_network_is_backend_unavailable(env: Env) -> None:
    register = env.register(max_retries=2)
    env.emu.close()
    with pytest.raises(BackendUnavailable, match="koneksi gagal"):
        register.read()


def _check_clean(error: DipError) -> None:
    """One sentence per language, no traceback chain, no key material."""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    for text in (error.msg.id, error.msg.en):
        assert "PRIVATE KEY" not in text and "ya29." not in text


def test_a_sheet_not_shared_names_the_service_account(env: Env) -> None:
    sid = env.emu.create_spreadsheet(shared_with=[])
    with pytest.raises(ConfigError) as denied:
        env.register(spreadsheet_id=sid).read()
    assert f"tambahkan {env.account.email} sebagai Editor" in denied.value.message()
    assert f"add {env.account.email} as Editor" in denied.value.message("en")
    _check_clean(denied.value)


def test_an_unknown_spreadsheet_id(env: Env) -> None:
    with pytest.raises(ConfigError, match="'tidak-ada' tidak ditemukan") as missing:
        env.register(spreadsheet_id="tidak-ada").read()
    assert "not found" in missing.value.message("en")
    _check_clean(missing.value)


def test_a_protected_cell_the_service_account_may_not_write(env: Env) -> None:
    register, sid, changes = _prepared(env)
    sheet = env.emu.book(sid).tab(s.DIP_TAB)
    sheet.protected.append({"protectedRangeId": 9, "range": {"sheetId": sheet.sheet_id},
                            "editors": {"users": [PPID]}})
    with pytest.raises(ConfigError, match="tidak boleh menulis ke sel yang dilindungi"):
        register.apply(changes)


@pytest.mark.parametrize("problem", ["missing", "not json", "not a service account",
                                     "damaged key", "unknown account"])
def test_key_file_problems_are_config_errors(env: Env, tmp_path: Path, problem: str) -> None:
    info = json.loads(env.account.path.read_text())
    key = tmp_path / "kunci.json"
    if problem == "not json":
        key.write_text("{bukan json")
    elif problem == "not a service account":
        key.write_text(json.dumps({**info, "type": "authorized_user"}))
    elif problem == "damaged key":
        key.write_text(json.dumps({**info, "private_key": info["private_key"][:200]}))
    elif problem == "unknown account":  # a deleted key: Google refuses the token request
        key.write_text(json.dumps({**info, "client_email": "hilang@dip-test.iam.gserviceaccount"
                                                           ".com"}))
    with pytest.raises(ConfigError) as refused:
        open_sheet(SheetsSettings(env.sid, key, backoff_base=0.001,
                                  api_url=env.emu.base_url)).read()
    _check_clean(refused.value)
    assert str(key) in refused.value.message() or "hilang@" in refused.value.message()


def test_the_key_file_can_come_from_the_environment(env: Env,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        open_sheet(SheetsSettings(env.sid))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(env.account.path))
    assert open_sheet(SheetsSettings(env.sid, api_url=env.emu.base_url)).read() == Snapshot({})


# ---- key material pasted where a file name belongs ------------------------------------------------


def _key_pieces(account: ServiceAccount) -> list[str]:
    """The parts of the service account's key that must never be shown anywhere."""
    info = json.loads(account.path.read_text())
    lines = [line for line in info["private_key"].splitlines() if len(line) > 20 and "KEY" not in line]
    return [info["private_key_id"], *lines]


@pytest.mark.parametrize("where", ["credentials", "GOOGLE_APPLICATION_CREDENTIALS"])
def test_a_pasted_key_is_named_by_its_setting_never_echoed(
    env: Env, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pasted = env.account.path.read_text()
    if where == "credentials":
        settings = SheetsSettings(env.sid, Path(pasted))
    else:
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", pasted)
        settings = SheetsSettings(env.sid)
    with pytest.raises(ConfigError) as refused:
        open_sheet(settings)
    _check_clean(refused.value)
    for text in (refused.value.msg.id, refused.value.msg.en):
        assert where in text and not any(piece in text for piece in _key_pieces(env.account))
        assert "{" not in text


@pytest.mark.parametrize("argv", [["sync"], ["check"], ["init", "--debug"], ["status", "--json"]])
def test_a_key_pasted_into_dip_toml_never_reaches_the_terminal_or_the_log(
    env: Env, tmp_path: Path, argv: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    from dip_sheets.cli import main

    config = tmp_path / "dip.toml"
    pasted = json.dumps(env.account.path.read_text())  # a TOML basic string of the whole key file
    config.write_text(f'[register]\nbackend = "sheets"\nspreadsheet_id = "{env.sid}"\n'
                      f'credentials = {pasted}\n[roles]\nppid = ["{PPID}"]\ndesk = ["{DESK}"]\n'
                      'unit = ["unit@kpu-contoh.go.id"]\n', encoding="utf-8")
    assert main([*argv, "--config", str(config)]) == 2
    captured = capfd.readouterr()
    logs = [p.read_text() for p in tmp_path.rglob("dip.log*")]
    for text in [captured.out, captured.err, *logs]:
        assert not any(piece in text for piece in _key_pieces(env.account)), text
        assert "PRIVATE KEY" not in text
    assert "credentials" in captured.out + captured.err  # the setting is named (by the config check)
