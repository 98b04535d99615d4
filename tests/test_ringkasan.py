"""The ``Ringkasan`` tab: the ``dip status`` report in the register, on both backends.

``dip init`` creates it (protected: only the sync writes it); each sync rewrites it in its own
batch, only when its content changed; what it shows is what ``dip status --json`` says for the same
register. A screenshot of it (LibreOffice to PDF to PNG) goes to ``test-artifacts/``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dip_sheets import ringkasan
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import RegisterSettings, default_config
from dip_sheets.office import Office
from dip_sheets.published_state import selfcheck_path
from dip_sheets.register import Layout, cell_text, texts
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.status import status
from dip_sheets.sync import run as run_sync
from tests.conftest import NOW, UNITS, add_rows, established, good_row
from tests.memory_register import memory_register
from tests.sheets_emulator import ServiceAccount, SheetsEmulator
from tests.test_review_gate import set_cell

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PPID, DESK = "ppid@kpu-contoh.go.id", "desk@kpu-contoh.go.id"
ROLES = {s.Role.PPID: (PPID,), s.Role.DESK: (DESK,)}
ROWS = [
    established("Profil Badan Publik"),
    established("Tautan Rusak", **{s.LINK: "bukan alamat"}),  # blocks publishing
    good_row("Draf Unit"),
    good_row("Menunggu Desk", **{s.STEP1: "Ya"}),
    good_row("Menunggu PPID", **{s.STEP1: "Ya", s.STEP2: "Sudah", s.UNIT: UNITS[0]}),
    good_row("Tanpa Unit", **{s.UNIT: ""}),
]


def _without_english(report: Any) -> Any:
    if isinstance(report, dict):
        return {k: _without_english(v) for k, v in report.items() if not k.endswith("_en")}
    if isinstance(report, list):
        return [_without_english(v) for v in report]
    return report


def _leaves(report: Any) -> list[str]:
    """Every value of the report as text (what the tab must show somewhere)."""
    if isinstance(report, dict):
        return [leaf for v in report.values() for leaf in _leaves(v)]
    if isinstance(report, list):
        return [leaf for v in report for leaf in _leaves(v)]
    return [] if report is None or report == "" else [str(report)]


def _status_json(config_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["status", "--json", "--config", str(config_path)]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert document.pop("register") == "utama"  # the command names the register it reports on
    return document


def _assert_tab_is_the_report(tab: list[list[str]], report: dict[str, Any]) -> None:
    """The tab is the report laid out, and every value of the report is in it."""
    assert tab == texts(ringkasan.rows(report))
    shown = {line for row in tab for cell in row for line in [cell, *cell.split("\n")]}
    missing = [leaf for leaf in _leaves(_without_english(report)) if leaf not in shown]
    assert not missing, missing
    # the parts the dashboard promises, by their Indonesian labels
    labels = [row[0] for row in tab if row]
    for key in ("last_sync", "last_publish", "per_unit", "blockers", "waiting_for", "oldest_waiting"):
        assert ringkasan.label(key) in labels, key


# ---- the workbook ---------------------------------------------------------------------------------


@pytest.fixture
def office(tmp_path: Path, workbook: WorkbookRegister) -> tuple[Office, Path]:
    add_rows(workbook, ROWS)
    config_path = tmp_path / "dip.toml"
    config_path.write_text(f'state_dir = "kerja"\n[register]\npath = "{workbook.path}"\n',
                           encoding="utf-8")
    base = default_config(tmp_path)
    config = dataclasses.replace(base, register=dataclasses.replace(base.register, path=workbook.path),
                                 state_dir=tmp_path / "kerja")
    return Office(config), config_path


def test_init_creates_the_tab_protected_and_empty(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    assert s.DASHBOARD_TAB in book.sheetnames and book[s.DASHBOARD_TAB].protection.sheet
    assert workbook.init(Layout(s.TABS, UNITS)) == []  # nothing missing the second time


def test_the_tab_equals_dip_status_json(office: tuple[Office, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sync, config_path = office
    sync.sync()
    report = _status_json(config_path, capsys)
    tab = texts(sync.register.read().tabs[s.DASHBOARD_TAB].rows)
    _assert_tab_is_the_report(tab, report)
    assert report["last_sync"] and report["publishable"] == 1
    assert [b["id"] for b in report["blockers"]] == ["DIP-0002"]
    assert report["waiting_for"]["desk"]["count"] == 1 and report["waiting_for"]["ppid"]["count"] == 2
    head = next(n for n, row in enumerate(tab) if row and row[0] == ringkasan.label("per_unit"))
    unit = next(row for row in tab[head:] if row[0] == UNITS[0])
    assert unit[tab[head].index("3 Menunggu penetapan PPID")] == "1"
    book = openpyxl.load_workbook(sync.register.location)
    assert book[s.DASHBOARD_TAB].protection.sheet  # still only the sync's


def test_an_unchanged_sync_leaves_the_tab_and_the_file_alone(office: tuple[Office, Path]) -> None:
    sync = office[0]
    sync.sync()
    path = Path(sync.register.location)
    before = path.read_bytes()
    assert sync.sync().applied is None  # nothing at all was written
    assert path.read_bytes() == before


def test_a_change_only_in_the_report_rewrites_only_the_tab(office: tuple[Office, Path]) -> None:
    sync = office[0]
    sync.sync()
    first = texts(sync.register.read().tabs[s.DASHBOARD_TAB].rows)
    path = selfcheck_path(sync.config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ringkasan": "20 dari 23 butir memenuhi", "diperiksa": "2026-11-25",
                                "butir": [{"item": "A1", "judul": "Daftar Informasi Publik",
                                           "status": "memenuhi"}]}), encoding="utf-8")
    result = sync.sync()
    assert result.applied is not None and result.applied.cells_written == 0
    tab = texts(sync.register.read().tabs[s.DASHBOARD_TAB].rows)
    assert tab != first and ["Ringkasan", "20 dari 23 butir memenuhi"] in tab


def test_a_sync_before_init_added_the_tab_still_works(tmp_path: Path) -> None:
    register = WorkbookRegister(tmp_path / "lama.xlsx")
    register.init(Layout(s.TABS, UNITS))
    book = openpyxl.load_workbook(register.path)
    del book[s.DASHBOARD_TAB]  # a register laid out by an older dip-sheets
    book.save(register.path)
    add_rows(register, ROWS[:1])
    base = default_config(tmp_path)
    office = Office(dataclasses.replace(base, register=dataclasses.replace(base.register,
                                                                           path=register.path)))
    assert office.sync().review.ids_assigned == ["DIP-0001"]
    assert s.DASHBOARD_TAB not in register.read().tabs


def test_sections_are_laid_out_generically() -> None:
    report = {"last_sync": None, "corrections_waiting": [{"id": "DIP-0003", "unit": "Sekretariat",
                                                          "fields": ["Judul", "Tautan"]}],
              "publishable": 3, "note_en": "English only", "empty": [],
              "nested": {"inner": {"a": 1}, "count": 2}}
    rows = texts(ringkasan.rows(report))
    assert rows[0] == [ringkasan.TITLE]
    assert [ringkasan.label("last_sync"), ringkasan.NOT_YET] in rows
    at = rows.index(["corrections_waiting"])  # a part not known here still shows, under its key
    assert rows[at + 1:at + 3] == [["ID", "Unit", "fields"], ["DIP-0003", "Sekretariat", "Judul\nTautan"]]
    assert [ringkasan.label("publishable"), "3"] in rows and ["empty", ringkasan.NONE] in rows
    assert not any("English" in c for row in rows for c in row)
    at = rows.index(["nested"])  # a mapping of mixed parts: each part under it, in turn
    assert rows[at + 1:at + 4] == [["inner"], ["a", "1"], [ringkasan.label("count"), "2"]]


# ---- the Google sheet -----------------------------------------------------------------------------


def _sheets(tmp_path: Path, emu: SheetsEmulator, account: ServiceAccount) -> tuple[Office, Path]:
    sid = emu.create_spreadsheet(shared_with=[account.email])
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base, register=RegisterSettings(backend="sheets", spreadsheet_id=sid, credentials=account.path),
        roles=ROLES, state_dir=tmp_path / "kerja")
    office = Office(config)
    office.init()
    headers = [str(v) for v in emu.tab_values(sid, s.DIP_TAB)[0]]
    emu.insert_rows(sid, s.DIP_TAB, 2, [[row.get(h) for h in headers] for row in ROWS])
    config_path = tmp_path / "dip.toml"
    config_path.write_text(
        f'state_dir = "kerja"\n[register]\nbackend = "sheets"\nspreadsheet_id = "{sid}"\n'
        f'credentials = "{account.path}"\n[roles]\nppid = ["{PPID}"]\ndesk = ["{DESK}"]\n',
        encoding="utf-8")
    return office, config_path


def test_on_google_the_tab_is_protected_equals_status_and_costs_no_request(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
    capsys: pytest.CaptureFixture[str],
) -> None:
    office, config_path = _sheets(tmp_path, sheets_emulator, sheets_account)
    sid = office.config.register.spreadsheet_id
    (protection,) = sheets_emulator.protections(sid, s.DASHBOARD_TAB)
    assert protection["editors"]["users"] == [sheets_account.email]
    sheets_emulator.reset_log()
    Office(office.config).sync()
    # as before the tab existed: the register, fresh protections, the check before writing; the
    # new rows' anchors (a first sync only), values and locks
    assert (sheets_emulator.reads, sheets_emulator.writes) == (3, 3), sheets_emulator.apis()
    report = _status_json(config_path, capsys)
    tab = texts(sheets_emulator.tab_values(sid, s.DASHBOARD_TAB))
    _assert_tab_is_the_report(tab, report)
    sheets_emulator.reset_log()
    Office(office.config).sync()
    assert (sheets_emulator.reads, sheets_emulator.writes) == (1, 0), sheets_emulator.apis()
    # an everyday edit: the tab follows in the same values write
    headers = [str(v) for v in sheets_emulator.tab_values(sid, s.DIP_TAB)[0]]
    sheets_emulator.set_cell(sid, s.DIP_TAB, f"{chr(65 + headers.index(s.STEP2))}5", "Sudah")
    sheets_emulator.reset_log()
    Office(office.config).sync()
    assert sheets_emulator.apis() == ["spreadsheets.get", "values.batchGet",
                                      "values.batchUpdateByDataFilter"]
    after = _status_json(config_path, capsys)
    assert after["waiting_for"]["ppid"]["count"] == 3
    _assert_tab_is_the_report(texts(sheets_emulator.tab_values(sid, s.DASHBOARD_TAB)), after)


def test_a_shorter_report_clears_what_the_longer_one_left(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
) -> None:
    office, _ = _sheets(tmp_path, sheets_emulator, sheets_account)
    sid = office.config.register.spreadsheet_id
    sheets_emulator.set_cell(sid, s.DASHBOARD_TAB, "A300", "sisa lama")
    sheets_emulator.set_cell(sid, s.DASHBOARD_TAB, "Z2", "sisa lama")  # wider than any report
    office.sync()
    values = sheets_emulator.tab_values(sid, s.DASHBOARD_TAB)
    assert not any("sisa lama" in str(v) for row in values for v in row)


# ---- a screenshot for a person -----------------------------------------------------------------


def test_a_screenshot_of_the_tab(office: tuple[Office, Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        pytest.skip("LibreOffice (libreoffice-calc-nogui) or pdftoppm (poppler-utils) is not"
                    " installed; no screenshot")
    sync = office[0]
    sync.sync()
    book = openpyxl.load_workbook(sync.register.location)
    for name in book.sheetnames:
        if name != s.DASHBOARD_TAB:
            del book[name]
    alone = tmp_path / "ringkasan.xlsx"
    book.save(alone)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(alone)], check=True,
                   timeout=240, capture_output=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "ringkasan.pdf", ARTIFACTS / "register-ringkasan.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "ringkasan.pdf"), str(ARTIFACTS / "register-ringkasan")],
                   check=True, timeout=60)
    assert (ARTIFACTS / "register-ringkasan.png").stat().st_size > 1000


def test_every_part_of_a_report_with_a_waiting_correction_has_an_indonesian_label() -> None:
    """Staff read the tab: no section or column shows the report's own (English) key."""
    register = memory_register()
    register.add(s.DIP_TAB, established("Profil"))
    run_sync(register, UNITS, NOW)
    set_cell(register, 1, s.SUMMARY, "Ringkasan yang dikoreksi")
    report = status(run_sync(register, UNITS, NOW).review, NOW.date())
    assert report["corrections"], "the report has a correction waiting"

    # the sections, and the columns of the sections that are lists of records (the keys of the
    # other mappings are data: unit names, SOP steps)
    keys = set(report) | {k for v in report.values() if isinstance(v, list) for r in v
                          if isinstance(r, dict) for k in r}
    assert {k for k in keys if not k.endswith(ringkasan.EN)} - set(ringkasan.LABELS) == set()
    shown = {cell_text(c) for row in ringkasan.rows(report) for c in row}
    assert ringkasan.LABELS["corrections"] in shown and "corrections" not in shown
