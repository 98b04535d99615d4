"""What a publish costs on Google Sheets, counted from the emulator's log.

Google allows 60 reads and 60 writes a minute per service account, and an office with several
registers shares that budget, so a publish must read and review the register once: one read of the
sheet, one batch for the sync's changes plus step 4, the upload, one batch for step 5.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.publish import publish
from dip_sheets.register import Cell, Layout, cell_text
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.sync import review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

LATER = NOW.replace(hour=NOW.hour + 1)
ROLES = {s.Role.PPID: ("ppid@kpu-contoh.go.id",), s.Role.DESK: ("desk@kpu-contoh.go.id",)}
ROWS: list[dict[str, Cell]] = [
    established("Profil Badan Publik"),
    established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}),
    good_row("Draf Unit"),
    established("Tautan Rusak", **{s.LINK: "bukan alamat"}),
]


@dataclasses.dataclass
class Office:
    emu: SheetsEmulator
    account: ServiceAccount
    sid: str
    config: Config

    def register(self) -> SheetsRegister:
        """A new register object, as each run of ``dip`` makes (its metadata is read once)."""
        settings = SheetsSettings(self.sid, self.account.path, roles=ROLES)
        return SheetsRegister(settings, load_credentials(settings))

    def publish(self, when: object = NOW) -> str:
        self.emu.reset_log()
        result = publish(self.config, self.register(), FolderTarget(self.config.publish.folder),
                         now=NOW if when is NOW else LATER, force=True)
        return result.status


@pytest.fixture
def office(sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount, tmp_path: Path) -> Office:
    """A sheet laid out by ``dip init`` in which staff typed rows that no sync has seen yet."""
    headers = list(s.TAB_BY_NAME[s.DIP_TAB].headers)
    values: list[list[Cell]] = [list(headers), *([row.get(h, "") for h in headers] for row in ROWS)]
    sid = sheets_emulator.create_spreadsheet(
        {**{t.name: [list(t.headers)] for t in s.TABS}, s.DIP_TAB: values}, rows=100,
        shared_with=[sheets_account.email])
    base = default_config(tmp_path)
    config = dataclasses.replace(base, publish=PublishSettings(
        folder=tmp_path / "situs", by="PPID Contoh", base_url="https://ppid.example.go.id/dip/"))
    office = Office(sheets_emulator, sheets_account, sid, config)
    office.register().init(Layout(s.TABS, UNITS, ROLES))
    return office


def test_a_first_publish_reads_the_register_once_and_writes_two_batches(office: Office) -> None:
    assert office.publish() == "published"
    emu = office.emu
    # vs 5/3 before row anchors: +1 write, the anchors of the rows written for the first time
    # (made once in each row's life; the metadata read says which rows lack theirs). It cannot
    # ride in the lock batch, which must follow the values write (see sheets.py)
    assert (emu.reads, emu.writes) == (5, 4), emu.apis()
    assert emu.apis() == [
        "spreadsheets.get", "values.batchGet",  # the register, read and reviewed once
        # the sync's changes and step 4 in one batch: fresh protections, the new rows' anchors,
        # the re-read (the tabs, and each row written through its anchor), one write through the
        # anchors, the locks
        "spreadsheets.get", "spreadsheets.batchUpdate", "values.batchGetByDataFilter",
        "values.batchUpdateByDataFilter", "spreadsheets.batchUpdate",
        # step 5, after the upload was read back: the rows are anchored by now
        "values.batchGetByDataFilter", "values.batchUpdateByDataFilter",
    ]
    rows = {cell_text(r.values[s.TITLE]): r for r in review(office.register().read(), UNITS, NOW).dip}
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        assert rows[title].values[s.ID] and cell_text(rows[title].values[s.STEP4])
        assert cell_text(rows[title].values[s.STEP5]) and rows[title].stage.value == "5 Diunggah"


def test_an_unchanged_publish_reads_twice_and_writes_nothing(office: Office) -> None:
    office.publish()
    assert office.publish(LATER) == "unchanged"
    assert (office.emu.reads, office.emu.writes) == (2, 0), office.emu.apis()


def test_an_everyday_sync_of_anchored_rows_costs_no_more_than_before_anchors(office: Office) -> None:
    """A staff edit changes a row's key but not its anchor's name: no anchor is made again."""
    office.publish()
    emu, sid = office.emu, office.sid
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + headers.index(s.SUMMARY))}4", "Ringkasan baru")
    emu.reset_log()
    run(office.register(), UNITS, LATER)
    assert emu.apis() == ["spreadsheets.get", "values.batchGet", "values.batchGetByDataFilter",
                          "values.batchUpdateByDataFilter"]
    assert not emu.count(api="spreadsheets.batchUpdate")
