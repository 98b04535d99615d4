"""Each unit edits its own rows on a Google Sheet (``[roles.units]``), on the emulator.

Three units, each with its own editors (a Google Group or an account). Once the sync has seen the
rows, a unit's editor can change that unit's rows and is refused (400, as Google answers) in
another unit's; the Desk and the PPID can edit every unit's cells; a row moved to another unit
follows at the next sync; the protections ride in the sync's one protection batch, and the requests
per sync stay flat in rows.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path

import gspread
import pytest
from openpyxl.utils import get_column_letter

from dip_sheets import schema as s
from dip_sheets.config import load_configs
from dip_sheets.errors import ConfigError
from dip_sheets.office import Office
from dip_sheets.register import Cell, Layout
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.sync import run
from tests.conftest import NOW, UNITS, established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

PPID, DESK = "ppid@kpu-contoh.go.id", "desk@kpu-contoh.go.id"
ROLES = {s.Role.PPID: (PPID,), s.Role.DESK: (DESK,)}
KEUANGAN, TEKNIS, HUKUM = UNITS[0], UNITS[1], UNITS[3]
EDITORS: Mapping[str, tuple[str, ...]] = {
    KEUANGAN: ("group:keuangan@kpu-contoh.go.id",), TEKNIS: ("teknis@kpu-contoh.go.id",),
    HUKUM: ("group:hukum@kpu-contoh.go.id",)}


@dataclasses.dataclass
class Sheet:
    emu: SheetsEmulator
    sid: str
    account: ServiceAccount
    people: dict[str, gspread.Worksheet]

    def register(self, editors: Mapping[str, tuple[str, ...]] = EDITORS) -> SheetsRegister:
        settings = SheetsSettings(self.sid, self.account.path, roles=ROLES, unit_editors=editors)
        return SheetsRegister(settings, load_credentials(settings))

    def sync(self) -> tuple[int, int]:
        self.emu.reset_log()
        run(self.register(), UNITS, NOW)
        return self.emu.reads, self.emu.writes

    def a1(self, row: int, header: str) -> str:
        headers = [str(v) for v in self.emu.tab_values(self.sid, s.DIP_TAB)[0]]
        return f"{get_column_letter(headers.index(header) + 1)}{row + 1}"

    def edit(self, who: str, row: int, header: str, value: str) -> None:
        """``who`` types into the DIP tab's ``row`` (0-based, header is 0) through the API."""
        self.people[who].update([[value]], self.a1(row, header), raw=True)


def _person(emu: SheetsEmulator, sid: str, folder: Path, email: str) -> gspread.Worksheet:
    account = emu.service_account(folder, email)
    emu.share(sid, email)
    return emu.gspread_client(account).open_by_key(sid).worksheet(s.DIP_TAB)


def _typed(rows: list[dict[str, Cell]], headers: list[str]) -> list[list[Cell]]:
    return [[row.get(h) for h in headers] for row in rows]


@pytest.fixture
def sheet(sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount, tmp_path: Path) -> Sheet:
    emu = sheets_emulator
    sid = emu.create_spreadsheet(shared_with=[sheets_account.email])
    made = Sheet(emu, sid, sheets_account, {})
    made.register().init(Layout(s.TABS, UNITS, ROLES))
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    rows = [good_row("Anggaran", **{s.UNIT: KEUANGAN}), good_row("Jadwal", **{s.UNIT: TEKNIS}),
            good_row("Peraturan", **{s.UNIT: HUKUM}), good_row("Laporan", **{s.UNIT: KEUANGAN}),
            established("Profil", **{s.UNIT: TEKNIS})]
    emu.insert_rows(sid, s.DIP_TAB, 2, _typed(rows, headers))
    emu.add_to_group("keuangan@kpu-contoh.go.id", "staf-keuangan@kpu-contoh.go.id")
    emu.add_to_group("hukum@kpu-contoh.go.id", "staf-hukum@kpu-contoh.go.id")
    for email in ("staf-keuangan@kpu-contoh.go.id", "teknis@kpu-contoh.go.id",
                  "staf-hukum@kpu-contoh.go.id", DESK, PPID):
        made.people[email] = _person(emu, sid, tmp_path, email)
    return made


def _refused(sheet: Sheet, who: str, row: int, header: str = s.TITLE) -> bool:
    try:
        sheet.edit(who, row, header, "diubah")
    except gspread.exceptions.APIError as error:
        assert error.response.status_code == 400 and "protected" in str(error)
        return True
    return False


def test_a_unit_edits_its_own_rows_and_is_refused_in_another_units(sheet: Sheet) -> None:
    # as without units: the unit ranges ride in the lock batch (the other write of a first sync
    # is the new rows' anchors, before the check)
    assert sheet.sync() == (3, 3)
    batches = [r for r in sheet.emu.log if r.api == "spreadsheets.batchUpdate"]
    assert [any("ProtectedRange" in next(iter(q)) for q in b.body["requests"]) for b in batches] == [
        False, True]
    assert sheet.sync() == (1, 0)  # the protections are right: an unchanged sync sends nothing
    keuangan, teknis, hukum = ("staf-keuangan@kpu-contoh.go.id", "teknis@kpu-contoh.go.id",
                               "staf-hukum@kpu-contoh.go.id")
    assert not _refused(sheet, keuangan, 1)  # Anggaran, its own (through its group)
    assert not _refused(sheet, keuangan, 4)  # Laporan, its own
    assert _refused(sheet, keuangan, 2)  # Jadwal belongs to Teknis
    assert _refused(sheet, hukum, 1, s.REMARKS)
    assert not _refused(sheet, teknis, 2) and not _refused(sheet, hukum, 3)
    assert _refused(sheet, teknis, 5)  # established: only the PPID, as before
    for role in (DESK, PPID):  # the Desk and the PPID edit every unit's cells
        assert not _refused(sheet, role, 2, s.REMARKS) and not _refused(sheet, role, 3, s.REMARKS)
    ours = [p for p in sheet.emu.protections(sheet.sid, s.DIP_TAB)
            if p["description"].startswith("[dip-sheets:unit:")]
    assert {p["description"].split("]")[0] for p in ours} == {
        f"[dip-sheets:unit:{u}" for u in (KEUANGAN, TEKNIS, HUKUM)}
    for protection in ours:
        assert set(protection["editors"]["users"]) >= {DESK, PPID, sheet.account.email}


def test_a_row_moved_to_another_unit_follows_at_the_next_sync(sheet: Sheet) -> None:
    sheet.sync()
    keuangan, hukum = "staf-keuangan@kpu-contoh.go.id", "staf-hukum@kpu-contoh.go.id"
    sheet.edit(keuangan, 1, s.UNIT, HUKUM)  # Keuangan hands Anggaran over to Hukum
    assert sheet.sync() == (3, 1)  # no cell to write: the one protection batch alone
    assert sheet.emu.count(api="spreadsheets.batchUpdate") == 1
    assert _refused(sheet, keuangan, 1)
    assert not _refused(sheet, hukum, 1)
    assert sheet.sync() == (1, 0)


def test_units_without_editors_and_a_changed_config(sheet: Sheet) -> None:
    sheet.sync()
    # Teknis and Hukum are no longer listed: their rows open up again
    fewer: Mapping[str, tuple[str, ...]] = {KEUANGAN: EDITORS[KEUANGAN]}
    sheet.emu.reset_log()
    run(sheet.register(fewer), UNITS, NOW)
    assert sheet.emu.count(api="spreadsheets.batchUpdate") == 1
    assert not _refused(sheet, "staf-hukum@kpu-contoh.go.id", 2)
    assert _refused(sheet, "teknis@kpu-contoh.go.id", 1)  # Keuangan's rows stay its own


@pytest.mark.parametrize("rows", [10, 1000])
def test_requests_per_sync_stay_flat_in_rows(rows: int, sheets_emulator: SheetsEmulator,
                                             sheets_account: ServiceAccount) -> None:
    emu = sheets_emulator
    sid = emu.create_spreadsheet(shared_with=[sheets_account.email])
    sheet = Sheet(emu, sid, sheets_account, {})
    sheet.register().init(Layout(s.TABS, UNITS, ROLES))
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    units = (KEUANGAN, TEKNIS, HUKUM)
    body = [good_row(f"Item {n}", **{s.UNIT: units[n // 7 % 3]}) for n in range(rows)]
    emu.insert_rows(sid, s.DIP_TAB, 2, _typed(body, headers))
    first = sheet.sync()
    assert max(r.body_size for r in emu.log) < 2_000_000
    unchanged = sheet.sync()
    emu.set_cell(sid, s.DIP_TAB, sheet.a1(3, s.UNIT), HUKUM)  # a row moved to another unit
    moved = sheet.sync()
    print(f"\n{rows} baris: {first}, {unchanged}, {moved}")
    # was (4, 3), (2, 0), (4, 1): the register is read once per run (one spreadsheets.get)
    assert (first, unchanged, moved) == ((3, 3), (1, 0), (3, 1))


def test_roles_units_in_dip_toml(tmp_path: Path) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(f'[roles]\nppid = ["{PPID}"]\n[roles.units]\n"{HUKUM}" = ["group:hukum@x.go.id"]\n',
                    encoding="utf-8")
    (config,) = load_configs(path)
    assert config.unit_editors == {HUKUM: ("group:hukum@x.go.id",)}
    assert config.roles == {s.Role.PPID: (PPID,)}
    path.write_text('[roles.units]\n"Sub Bagian Lain" = ["a@x.go.id"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Sub Bagian Lain"):
        load_configs(path)
    path.write_text(f'[roles.units]\n"{HUKUM}" = ["bukan alamat"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="alamat email"):
        load_configs(path)


# ---- dip check: protections whose editors differ from [roles] --------------------------------------


def test_dip_check_warns_of_protections_whose_editors_differ_from_roles(
    sheet: Sheet, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from dip_sheets.cli import main

    sheet.sync()
    config = tmp_path / "dip.toml"
    units = "\n".join(f'"{unit}" = {json.dumps(list(editors))}' for unit, editors in EDITORS.items())
    config.write_text(
        f'[register]\nbackend = "sheets"\nspreadsheet_id = "{sheet.sid}"\n'
        f'credentials = "{sheet.account.path}"\n[publish]\nfolder = "situs"\n'
        f'[roles]\nppid = ["{PPID}"]\ndesk = ["{DESK}"]\nunit = ["group:unit@kpu-contoh.go.id"]\n'
        f'[roles.units]\n{units}\n', encoding="utf-8")
    assert main(["check", "--config", str(config)]) == 0
    assert "semua perlindungan dip-sheets sesuai" in capsys.readouterr().out
    # someone with the right to share edits two protections by hand in the Sheets menu
    dip = sheet.emu.book(sheet.sid).tab(s.DIP_TAB)
    unit = next(p for p in dip.protected if p["description"].startswith(f"[dip-sheets:unit:{TEKNIS}]"))
    unit["editors"]["users"].append("tamu@contoh.id")
    column = next(p for p in dip.protected if p["description"].startswith(f"[dip-sheets:col:{s.STEP2}]"))
    column["editors"]["users"].remove(DESK)
    assert main(["check", "--config", str(config)]) == 0  # a warning, not an error
    out = capsys.readouterr().out
    warned = [line for line in out.splitlines() if line.startswith("AWAS")]
    assert len(warned) == 2, out
    (by_unit,) = [line for line in warned if "tamu@contoh.id" in line]
    assert f"'DIP'!B3:N3 (unit:{TEKNIS})" in by_unit
    assert "editor di luar [roles]: tamu@contoh.id" in by_unit
    (by_column,) = [line for line in warned if f"col:{s.STEP2}" in line]
    letter = get_column_letter(s.TAB_BY_NAME[s.DIP_TAB].headers.index(s.STEP2) + 1)
    assert re.search(rf"'DIP'!{letter}\d+:{letter} \(", by_column) and f"tidak ada: {DESK}" in by_column
    (loaded,) = load_configs(config)
    checks = Office(loaded).check().summary()["checks"]
    flagged = [c for c in checks if c.get("warning")]
    assert len(flagged) == 2 and all(c["ok"] for c in flagged)  # --json marks them, ok stays true
