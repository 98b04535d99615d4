"""What a sync and a publish cost on Google Sheets, counted from the emulator's log (our
emulator, tests/sheets_emulator.py, driven through gspread's real HTTP path; not Google).

Google allows 60 reads and 60 writes a minute per service account, and an office with several
registers shares that budget. The register is downloaded once per run: one ``spreadsheets.get``
whose field mask brings the tabs' values, protections and row anchors together. Before a batch is
written, one ``values:batchGet`` of a few rows (header, last row, the anchored rows) checks that
the rows read still hold (see dip_sheets/register/sheets_recheck.py). Every count is exact, so a
regression fails.
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
from dip_sheets.register.sheets_grid import quoted
from dip_sheets.sync import review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

LATER = NOW.replace(hour=NOW.hour + 1)
TABS = (*(t.name for t in s.TABS), s.DASHBOARD_TAB)
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


def downloads(emu: SheetsEmulator) -> list[str]:
    """The whole tabs whose values the requests since reset_log() fetched."""
    whole: list[str] = []
    for request in emu.log:
        if request.api == "spreadsheets.get" and "rowData" in request.query.get("fields", [""])[0]:
            whole += request.query.get("ranges", [])
        elif request.api == "values.batchGet":
            whole += [r for r in request.query.get("ranges", []) if "!" not in r]
    return whole


def test_a_first_sync_reads_three_times_and_writes_three_batches(office: Office) -> None:
    """Above 2 + 2, and why: the first sync establishes rows, so it also locks them. The locks are
    ranges by position, planned on fresh protections (+1 read, before anything is written, which
    also refuses a lock that would shut the PPID out) and on the DIP tab as it is just before the
    write (so its check reads it whole: a second download, on days rows get locked only). The
    anchors of rows written for the first time (+1 write) cannot ride in the lock batch, which
    must follow the values write so that a run stopped half-way never locks a row that is not yet
    established. Was 4 reads + 3 writes."""
    emu = office.emu
    emu.reset_log()
    run(office.register(), UNITS, NOW)
    assert emu.apis() == [
        "spreadsheets.get",  # the register: values, protections, anchors
        "spreadsheets.get",  # fresh protections for the locks
        "spreadsheets.batchUpdate",  # the new rows' anchors
        "values.batchGet",  # the check before writing (the locked tab whole)
        "values.batchUpdateByDataFilter",  # every cell, through the anchors
        "spreadsheets.batchUpdate",  # the locks
    ]
    assert (emu.reads, emu.writes) == (3, 3)
    # the locked tab is downloaded a second time, the other tabs the batch touches are not
    assert downloads(emu) == [*(quoted(n) for n in TABS), quoted(s.DIP_TAB)]


def test_an_unchanged_sync_reads_once(office: Office) -> None:
    run(office.register(), UNITS, NOW)
    office.emu.reset_log()
    run(office.register(), UNITS, NOW)
    assert office.emu.apis() == ["spreadsheets.get"]  # was 2 reads
    assert downloads(office.emu) == [quoted(n) for n in TABS]


def test_a_first_publish_reads_four_times_and_writes_four_batches(office: Office) -> None:
    """The first sync's batch (see above) plus step 5: its check and its write. The sync gives
    the rows their IDs, and an ID is on record before it goes public, so that batch (with step 4)
    goes before the upload; a publish of rows that have their IDs writes once (below). Was 5 + 4."""
    assert office.publish() == "published"
    emu = office.emu
    assert emu.apis() == [
        "spreadsheets.get",  # the register, read and reviewed once
        # the sync's changes and step 4 in one batch: fresh protections, the new rows' anchors,
        # the check (the locked tab whole), one write through the anchors, the locks
        "spreadsheets.get", "spreadsheets.batchUpdate", "values.batchGet",
        "values.batchUpdateByDataFilter", "spreadsheets.batchUpdate",
        # step 5, after the upload was read back: the rows are anchored by now, and the rows kept
        # from the read (with what step 4 wrote) are checked, not read again
        "values.batchGet", "values.batchUpdateByDataFilter",
    ]
    assert (emu.reads, emu.writes) == (4, 4)
    step5 = [r for r in emu.log if r.api == "values.batchGet"][-1]
    assert all("!" in r for r in step5.query["ranges"])  # a few rows, not the register
    rows = {cell_text(r.values[s.TITLE]): r for r in review(office.register().read(), UNITS, NOW).dip}
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        assert rows[title].values[s.ID] and cell_text(rows[title].values[s.STEP4])
        assert cell_text(rows[title].values[s.STEP5]) and rows[title].stage.value == "5 Diunggah"


def test_a_publish_after_a_sync_reads_twice_and_writes_once(office: Office) -> None:
    """The rows have their IDs and anchors: steps 4 and 5 go in one batch once the version is
    live, its check a few rows (was 3 reads + 2 writes: step 4 before the upload, step 5 after)."""
    run(office.register(), UNITS, NOW)
    assert office.publish() == "published"
    emu = office.emu
    assert emu.apis() == [
        "spreadsheets.get",  # the register, read and reviewed once
        "values.batchGet", "values.batchUpdateByDataFilter",  # steps 4 and 5: the check, the write
    ]
    assert (emu.reads, emu.writes) == (2, 1)
    [check] = [r for r in emu.log if r.api == "values.batchGet"]
    assert all("!" in r for r in check.query["ranges"])  # a few rows, not the register


def test_an_everyday_publish_records_the_ppids_decision_with_steps_4_and_5(office: Office) -> None:
    """The PPID established a row since the last sync: the publish's own sync records and locks
    it in the batch that stamps it (was 4 reads + 3 writes)."""
    office.publish()
    emu, sid = office.emu, office.sid
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    draft = 1 + next(n for n, row in enumerate(emu.tab_values(sid, s.DIP_TAB)) if "Draf Unit" in row)
    for header, value in ((s.STEP1, "Ya"), (s.STEP2, "Sudah"), (s.STEP3, "Ditetapkan")):
        emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + headers.index(header))}{draft}", value)
    assert office.publish(LATER) == "published"
    assert emu.apis() == [
        "spreadsheets.get",  # the register
        # the sync's changes with steps 4 and 5: fresh protections for the lock, the check (the
        # locked tab whole), one write through the anchors, the lock
        "spreadsheets.get", "values.batchGet", "values.batchUpdateByDataFilter", "spreadsheets.batchUpdate",
    ]
    assert (emu.reads, emu.writes) == (3, 2)
    rows = {cell_text(r.values[s.TITLE]): r for r in review(office.register().read(), UNITS, LATER).dip}
    assert rows["Draf Unit"].stage.value == "5 Diunggah" and cell_text(rows["Draf Unit"].values[s.STEP4])


def test_an_unchanged_publish_reads_once_and_writes_nothing(office: Office) -> None:
    office.publish()
    assert office.publish(LATER) == "unchanged"
    assert office.emu.apis() == ["spreadsheets.get"]  # was 2 reads


def test_an_everyday_sync_of_anchored_rows_reads_twice_and_writes_once(office: Office) -> None:
    """A staff edit changes a row's key but not its anchor's name: no anchor is made again, and
    the register is downloaded once (was 3 reads + 1 write, two downloads)."""
    office.publish()
    emu, sid = office.emu, office.sid
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + headers.index(s.SUMMARY))}4", "Ringkasan baru")
    emu.reset_log()
    run(office.register(), UNITS, LATER)
    assert emu.apis() == ["spreadsheets.get", "values.batchGet", "values.batchUpdateByDataFilter"]
    assert (emu.reads, emu.writes) == (2, 1)
    assert downloads(emu) == [quoted(n) for n in TABS]  # once
    [check] = [r for r in emu.log if r.api == "values.batchGet"]
    # the header, the last row and what follows, the rows written to (the edited one among them)
    assert check.query["ranges"][:2] == ["'DIP'!1:1", "'DIP'!A5:Z"]
    assert "'DIP'!4:4" in check.query["ranges"] and all("!" in r for r in check.query["ranges"])


def test_an_everyday_sync_with_a_new_row_reads_twice_and_writes_twice(office: Office) -> None:
    """A row staff added gets an ID, so its anchor is made first (+1 write; was 3 + 2)."""
    office.publish()
    emu, sid = office.emu, office.sid
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    new = len(emu.tab_values(sid, s.DIP_TAB)) + 1
    for column, value in enumerate(good_row("Baris Baru").get(h, "") for h in headers):
        if value != "":
            emu.set_cell(sid, s.DIP_TAB, f"{chr(65 + column)}{new}", value)
    emu.reset_log()
    run(office.register(), UNITS, LATER)
    assert emu.apis() == ["spreadsheets.get", "spreadsheets.batchUpdate", "values.batchGet",
                          "values.batchUpdateByDataFilter"]
    assert (emu.reads, emu.writes) == (2, 2)
    assert downloads(emu) == [quoted(n) for n in TABS]
    ids = [row[0] for row in emu.tab_values(sid, s.DIP_TAB)[1:]]
    assert ids[-1] and len(set(ids)) == len(ids)
