"""The PPID's decisions (issue 13): the ``Keputusan`` tab on both backends, its checks in the sync,
the decision each version rests on (dip.json, manifest, page, print view, riwayat), the year rule,
the signed scan, and the notice when the list changed since its decision."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config, default_config, load_configs
from dip_sheets.connect import open_target
from dip_sheets.decision_scans import archive_scan
from dip_sheets.decisions import Decision, missing_year, read_rows, rests_on, valid
from dip_sheets.errors import ConfigError
from dip_sheets.office import Office
from dip_sheets.publish import live_manifest, publish
from dip_sheets.register import Cell, Grid, Layout
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.sync import run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, add_rows, established
from tests.memory_register import memory_register
from tests.plugins.sshd import SshdServer
from tests.sheets_emulator import SheetsEmulator
from tests.test_publish_sftp import sftp_config
from tests.test_register_sheets import LAYOUT, PPID, Env

TAB = s.TAB_BY_NAME[s.DECISION_TAB]
PACKAGE = Path(s.__file__).parent
PDF = b"%PDF-1.4\n% scan bertanda tangan\n1 0 obj << >> endobj\n%%EOF\n"


def decision(number: str, date: str, establishes: str = s.DECIDES_DIP, **more: str) -> dict[str, Cell]:
    return {s.DECISION_NUMBER: number, s.DECISION_DATE: date, s.DECISION_ESTABLISHES: establishes, **more}


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---- the tab, on both backends -----------------------------------------------------------------


def test_init_makes_the_keputusan_tab_in_the_workbook(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    sheet = book[s.DECISION_TAB]
    header = [c.value for c in sheet[1]]
    assert header[:len(TAB.headers)] == list(TAB.headers)
    assert header[:4] == ["Nomor Keputusan", "Tanggal Keputusan", "Menetapkan", "Keterangan"]
    assert sheet.protection.sheet  # a local file cannot name users: the system's cells are locked
    for column in TAB.columns:
        letter = openpyxl.utils.get_column_letter(header.index(column.header) + 1)
        assert sheet.column_dimensions[letter].protection.locked == (column.owner is s.Role.SYSTEM)
    rules = {str(r.sqref).split(":")[0]: r.formula1 for r in sheet.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter(header.index(s.DECISION_ESTABLISHES) + 1)
    assert f"{letter}2" in rules


def test_init_adds_the_tab_to_a_register_made_before_it(tmp_path: Path) -> None:
    register = WorkbookRegister(tmp_path / "lama.xlsx")
    register.init(Layout(tuple(t for t in s.TABS if t.name != s.DECISION_TAB), UNITS))
    assert s.DECISION_TAB not in register.read().tabs
    done = register.init(Layout(s.TABS, UNITS))
    assert any(f"'{s.DECISION_TAB}'" in line.id for line in done)
    assert register.read().tabs[s.DECISION_TAB].rows[0][:len(TAB.headers)] == list(TAB.headers)


@pytest.mark.parametrize("label", [s.DECISION_DATE, s.DECISION_SCAN, s.DECISION_SCAN_SHA256])
def test_the_tabs_labels_are_spelled_once_in_schema_py(label: str) -> None:
    files = [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.j2")]
    sources = {p.name: p.read_text(encoding="utf-8") for p in files}
    found = [name for name, source in sources.items() if f'"{label}"' in source or f">{label}<" in source]
    assert found == ["schema.py"]


@pytest.fixture
def env(sheets_api: SheetsEmulator, tmp_path: Path) -> Env:
    account = sheets_api.service_account(tmp_path)
    return Env(sheets_api, account, sheets_api.create_spreadsheet(shared_with=[account.email]))


def test_init_makes_the_keputusan_tab_on_google_editable_by_the_ppid_only(env: Env) -> None:
    env.register().init(LAYOUT)
    assert env.emu.tab_values(env.sid, s.DECISION_TAB) == [list(TAB.headers)]
    me = env.account.email
    protections = {p["description"].split("]")[0] + "]": p
                   for p in env.emu.protections(env.sid, s.DECISION_TAB)}
    for index, column in enumerate(TAB.columns):
        found = protections[f"[dip-sheets:col:{column.header}]"]
        wanted = [PPID, me] if column.owner is s.Role.PPID else [me]
        assert found["editors"] == {"users": wanted}, column.header
        assert found["range"]["startColumnIndex"] == index and "endRowIndex" not in found["range"]
    assert protections["[dip-sheets:header]"]["editors"] == {"users": [me]}
    rule = env.emu.column_validations(env.sid, s.DECISION_TAB, TAB.headers.index(s.DECISION_ESTABLISHES))[1]
    assert rule is not None
    assert rule["condition"]["values"] == [{"userEnteredValue": c} for c in s.DECISION_CHOICES]
    again = env.register().init(LAYOUT)
    assert again == []  # complete: init repairs only what is missing


# ---- the sync's checks -------------------------------------------------------------------------


def test_dip_sync_json_carries_the_keputusan_tabs_findings(
        tmp_path: Path, workbook: WorkbookRegister, capsys: pytest.CaptureFixture[str]) -> None:
    """What the text output says of the Keputusan tab, under ``decision_problems`` by row number."""
    add_rows(workbook, [decision("2/PPID/2026", "31 Juni 2026"),
                        decision("3/PPID/2026", "3 Maret 2026", "Semua"),
                        decision("4/PPID/2026", "4 April 2026")], s.DECISION_TAB)
    toml = tmp_path / "dip.toml"
    toml.write_text(f'[register]\npath = "{workbook.path}"\n[publish]\nfolder = "situs"\n', encoding="utf-8")
    assert main(["sync", "--config", str(toml), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["decision_problems"]
    first = len(read_rows(workbook.read().tabs[s.DECISION_TAB])) - 1  # the sheet row of the bad date
    assert [p["row"] for p in found] == [first, first + 1]
    assert found[0]["findings"][0].startswith("Tanggal Keputusan: ")
    assert "'Semua' bukan pilihan yang sah" in found[1]["findings"][0]
    # the same findings as the text output
    assert main(["sync", "--config", str(toml)]) == 0
    out = capsys.readouterr().out
    assert all(f"{s.DECISION_TAB} (baris {p['row']}): {p['findings'][0]}" in out for p in found)


def test_the_sync_notes_a_bad_date_a_bad_choice_and_a_duplicated_number() -> None:
    register = memory_register()
    rows = {name: register.add(s.DECISION_TAB, values) for name, values in {
        "date": decision("2/PPID/2026", "tanggal 31 Juni"),
        "choice": decision("3/PPID/2026", "3 Maret 2026", "Semua"),
        "twice-a": decision("4/PPID/2026", "4 April 2026"),
        "twice-b": decision(" 4/ppid/2026", "5 April 2026"),
        "fine": decision("5/PPID/2026", "5 Mei 2026", s.DECIDES_DIK),
    }.items()}
    run(register, UNITS, NOW)
    note = {name: str(register.get(s.DECISION_TAB, index, s.NOTE) or "") for name, index in rows.items()}
    assert note["date"].startswith("Tanggal Keputusan: ")
    assert "'Semua' bukan pilihan yang sah" in note["choice"] and "DIP dan DIK" in note["choice"]
    assert "dipakai di lebih dari satu baris" in note["twice-a"] and "lebih dari satu" in note["twice-b"]
    assert note["fine"] == ""
    decisions = valid(read_rows(register.read().tabs[s.DECISION_TAB]))
    assert [d.number for d in decisions] == ["1/PPID/2026", "5/PPID/2026"]  # conftest's, and the fine one
    # the notes are the sync's own cells: a second sync writes nothing
    before = register.applies
    run(register, UNITS, NOW)
    assert register.applies == before


def test_the_keputusan_findings_ride_in_the_syncs_own_requests_on_google(env: Env) -> None:
    """The sync reads every tab in one batch and writes in one: the decisions' notes add none."""
    def synced(bad_decision: bool) -> list[str]:
        sid = env.emu.create_spreadsheet(shared_with=[env.account.email])
        register = env.register(spreadsheet_id=sid)
        register.init(LAYOUT)
        for a1, value in zip(("D2", "E2"), ("Profil", "Ringkasan"), strict=True):
            env.emu.set_cell(sid, s.DIP_TAB, a1, value)
        if bad_decision:
            for a1, value in zip(("A2", "B2", "C2"), ("9/PPID/2026", "bukan tanggal", "DIP"), strict=True):
                env.emu.set_cell(sid, s.DECISION_TAB, a1, value)
        env.emu.reset_log()
        run(env.register(spreadsheet_id=sid), UNITS, NOW)
        if bad_decision:
            row = env.emu.tab_values(sid, s.DECISION_TAB)[1]
            assert row[TAB.headers.index(s.NOTE)].startswith("Tanggal Keputusan: ")
        return env.emu.apis()

    assert synced(bad_decision=True) == synced(bad_decision=False)


# ---- the decision a version rests on -----------------------------------------------------------


def test_rests_on_picks_the_latest_in_force_and_the_year_rule() -> None:
    old = Decision("1/2025", dt.date(2025, 1, 6), s.DECIDES_BOTH)
    dik = Decision("2/2026", dt.date(2026, 2, 1), s.DECIDES_DIK)
    new = Decision("3/2026", dt.date(2026, 3, 1), s.DECIDES_DIP)
    later = Decision("4/2026", dt.date(2026, 12, 30), s.DECIDES_DIP)
    decisions = [old, dik, new, later]
    february, march = dt.date(2026, 2, 15), dt.date(2026, 3, 1)
    assert rests_on(decisions, february) == old and missing_year(decisions, february) == 2026
    assert rests_on(decisions, march) == new and missing_year(decisions, march) == 0
    assert rests_on(decisions, dt.date(2026, 3, 1), dik=True) == dik
    assert rests_on(decisions, dt.date(2025, 1, 5)) is None and missing_year([], dt.date(2027, 1, 2)) == 2027


def test_a_version_records_its_decision_and_the_page_print_and_riwayat_show_it(
        publish_config: Config, workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("Profil Badan Publik")])
    add_rows(workbook, [decision("7/PPID/2026", "1 Maret 2026", s.DECIDES_DIK),
                        decision("8/PPID/2026", "30 Desember 2026")], s.DECISION_TAB)  # not in force yet
    site = publish_config.publish.folder
    result = publish(publish_config, workbook, FolderTarget(site), now=NOW)
    document = json.loads(text(site / "dip.json"))
    assert document["keputusan_ppid"] == {"nomor": "1/PPID/2026", "tanggal": "2 Januari 2026",
                                          "tanggal_iso": "2026-01-02", "menetapkan": "DIP dan DIK",
                                          "berkas": "", "sha256": ""}
    assert "tanpa_keputusan_tahun" not in document
    manifest = live_manifest(FolderTarget(site))
    assert manifest is not None and manifest.history is not None
    assert manifest.history["decision"]["nomor"] == "1/PPID/2026"
    assert manifest.history["without_decision_year"] == 0
    index = text(site / "index.html")
    assert ("Ditetapkan dengan Keputusan PPID KPU Kabupaten Contoh Nomor <strong>1/PPID/2026</strong>"
            " tanggal <strong>2 Januari 2026</strong>.") in index
    assert '<p class="dasar-ttd">Ditetapkan dengan Keputusan PPID KPU Kabupaten Contoh Nomor 1/PPID/2026' \
           ' tanggal 2 Januari 2026</p>' in index  # the print view's signature block
    dik = text(site / "dik.html")
    assert "Nomor <strong>7/PPID/2026</strong> tanggal <strong>1 Maret 2026</strong>" in dik
    assert '<p class="dasar-ttd">Ditetapkan dengan Keputusan PPID KPU Kabupaten Contoh Nomor 7/PPID/2026' \
        in dik
    assert "8/PPID/2026" not in index + dik
    riwayat = text(site / "riwayat.html")
    assert f"versi {result.version}" in riwayat
    assert "Nomor 1/PPID/2026 tanggal 2 Januari 2026, menetapkan DIP dan DIK" in riwayat
    assert "<dt>Keputusan PPID tentang DIK</dt><dd>Nomor 7/PPID/2026 tanggal 1 Maret 2026" in riwayat
    assert manifest.history["dik_decision"]["nomor"] == "7/PPID/2026"
    assert json.loads(text(site / "dik.json"))["keputusan_ppid"]["nomor"] == "7/PPID/2026"
    assert "Daftar ini telah berubah" not in index


# ---- the year rule -----------------------------------------------------------------------------


def office_at(folder: Path, extra: str = "") -> tuple[Office, Path]:
    toml = folder / "dip.toml"
    toml.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n'
                    'base_url = "https://ppid.example.go.id/dip/"\n' + extra, encoding="utf-8")
    office = Office(load_configs(toml)[0])
    office.init()
    add_rows(WorkbookRegister(office.config.register.path), [established("Profil Badan Publik")])
    return office, toml


def test_a_year_without_its_decision_is_refused_then_forced_and_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office, toml = office_at(tmp_path)
    year = office.config.now().year
    add_rows(WorkbookRegister(office.config.register.path),
             [decision(f"1/PPID/{year - 1}", f"2 Januari {year - 1}", s.DECIDES_BOTH)], s.DECISION_TAB)
    assert main(["publish", "--config", str(toml)]) == 2
    said = capsys.readouterr().err
    assert f"Belum ada Keputusan PPID tahun {year} yang menetapkan DIP" in said
    assert "Isi tab 'Keputusan'" in said and "'dip keputusan draf'" in said and "--force" in said
    site = office.config.publish.folder
    assert not (site / "index.html").exists()
    assert main(["publish", "--config", str(toml), "--force"]) == 0
    document = json.loads(text(site / "dip.json"))
    assert document["tanpa_keputusan_tahun"] == year
    assert document["keputusan_ppid"]["nomor"] == f"1/PPID/{year - 1}"  # the one in force, of last year
    manifest = live_manifest(FolderTarget(site))
    assert manifest is not None and manifest.history is not None
    assert manifest.history["without_decision_year"] == year
    assert f"diterbitkan tanpa Keputusan PPID tahun {year}" in text(site / "riwayat.html")
    assert f"Diterbitkan tanpa Keputusan PPID tahun {year}." in text(site / "index.html")


def test_a_new_year_needs_a_new_decision(publish_config: Config, workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("Profil Badan Publik")])
    next_january = dt.datetime(NOW.year + 1, 1, 5, 9, 0, tzinfo=NOW.tzinfo)
    if dt.date.today().year > NOW.year:  # the fixtures add a decision of the running year too
        pytest.skip("the running year's decision covers the next January")
    with pytest.raises(ConfigError, match=f"tahun {NOW.year + 1}"):
        publish(publish_config, workbook, FolderTarget(publish_config.publish.folder), now=next_january)


def test_init_copies_a_configured_decision_once_and_says_to_remove_the_keys(tmp_path: Path) -> None:
    office, _ = office_at(tmp_path,
                          'decision_number = "12/PP.01-Kpt/2026"\ndecision_date = "5 Januari 2026"\n')
    rows = read_rows(office.register.read().tabs[s.DECISION_TAB])
    assert [(r.decision.number, r.decision.date, r.decision.establishes) for r in rows if r.decision] == [
        ("12/PP.01-Kpt/2026", dt.date(2026, 1, 5), s.DECIDES_DIP)]
    again = office.init()
    assert [line.id for line in again.done] == [
        "Hapus decision_number dan decision_date dari [publish] di dip.toml: keputusan kini dicatat di tab"
        " 'Keputusan' register, dan kunci itu tidak dibaca lagi."]
    assert len(read_rows(office.register.read().tabs[s.DECISION_TAB])) == 1


# ---- the signed scan ---------------------------------------------------------------------------


def test_the_signed_scan_is_registered_archived_with_its_sha256_and_linked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office, toml = office_at(tmp_path)
    year = office.config.now().year
    number = f"3/PP.01-Kpt/{year}"
    add_rows(WorkbookRegister(office.config.register.path),
             [decision(number, f"1 Januari {year}", s.DECIDES_BOTH)], s.DECISION_TAB)
    scan = tmp_path / "SK PPID bertanda tangan.pdf"
    scan.write_bytes(PDF)
    sha = hashlib.sha256(PDF).hexdigest()
    assert main(["keputusan", "arsipkan", number, str(scan), "--config", str(toml)]) == 0
    assert f"Pindaian Keputusan {number} diarsipkan" in capsys.readouterr().out
    [row] = read_rows(office.register.read().tabs[s.DECISION_TAB])
    assert row.decision is not None and (row.decision.scan, row.decision.scan_sha256) == (scan.name, sha)
    assert main(["publish", "--config", str(toml)]) == 0
    site = office.config.publish.folder
    manifest = live_manifest(FolderTarget(site))
    assert manifest is not None
    path = f"keputusan/3-pp.01-kpt-{year}.pdf"
    assert manifest.files[path]["sha256"] == sha
    assert (site / "arsip" / manifest.version / path).read_bytes() == PDF
    assert not (site / "keputusan").exists()  # it stays in its version's archive folder
    link = f'href="https://ppid.example.go.id/dip/arsip/{manifest.version}/{path}"'
    for page in ("index.html", "riwayat.html", "dik.html"):
        assert link in text(site / page), page
    assert json.loads(text(site / "dip.json"))["keputusan_ppid"]["sha256"] == sha
    # published again unchanged: the version with its scan stays
    assert main(["publish", "--config", str(toml), "--json"]) == 0
    assert '"status": "unchanged"' in capsys.readouterr().out


def test_on_google_the_scan_is_one_write_and_the_publish_records_the_decision(
        env: Env, tmp_path: Path) -> None:
    register = env.register()
    register.init(LAYOUT)
    for a1, value in zip(("A2", "B2", "C2"), ("5/PPID/2026", "3 Februari 2026", "DIP dan DIK"), strict=True):
        env.emu.set_cell(env.sid, s.DECISION_TAB, a1, value)
    for a1, value in zip(("B2", "D2", "E2", "F2", "G2", "H2", "I2", "J2", "K2", "L2", "N2", "O2", "P2"), (
            "Berkala", "Profil", "Ringkasan profil", UNITS[0], "Sekretaris", "2024", "Serang", "Hardcopy",
            "5 tahun", "", "Ya", "Sudah", "Ditetapkan"), strict=True):
        env.emu.set_cell(env.sid, s.DIP_TAB, a1, value)
    config = dataclasses.replace(default_config(tmp_path), units=UNITS)
    scan = tmp_path / "sk.pdf"
    scan.write_bytes(PDF)
    env.emu.reset_log()
    archive_scan(config, register, "5/ppid/2026", scan)
    # one values write; the row's anchor before it, the first time the row is written (issue 18)
    assert [a for a in env.emu.apis() if "batchUpdate" in a] == [
        "spreadsheets.batchUpdate", "values.batchUpdateByDataFilter"]
    row = env.emu.tab_values(env.sid, s.DECISION_TAB)[1]
    assert row[TAB.headers.index(s.DECISION_SCAN)] == "sk.pdf"
    assert row[TAB.headers.index(s.DECISION_SCAN_SHA256)] == hashlib.sha256(PDF).hexdigest()
    site = tmp_path / "situs"
    assert publish(config, register, FolderTarget(site), now=NOW).status == "published"
    document = json.loads(text(site / "dip.json"))
    assert document["jumlah"] == 1 and document["keputusan_ppid"]["berkas"] == "keputusan/5-ppid-2026.pdf"


def test_a_version_with_its_scan_is_rolled_back_to_like_any_other(tmp_path: Path) -> None:
    office, _ = office_at(tmp_path)
    year = office.config.now().year
    add_rows(WorkbookRegister(office.config.register.path),
             [decision(f"4/PPID/{year}", f"1 Januari {year}", s.DECIDES_BOTH)], s.DECISION_TAB)
    scan = tmp_path / "sk.pdf"
    scan.write_bytes(PDF)
    office.archive_decision(f"4/PPID/{year}", scan)
    first = office.publish()
    add_rows(WorkbookRegister(office.config.register.path), [established("Laporan Keuangan")])
    assert office.publish().status == "published"
    assert office.rollback().version == first.version
    site = office.config.publish.folder
    manifest = live_manifest(FolderTarget(site))
    assert manifest is not None and manifest.list_of == first.version  # a rollback is a new version
    assert f"keputusan/4-ppid-{year}.pdf" in manifest.files and not (site / "keputusan").exists()
    assert office.publish().status == "published"  # and forward again, the scan archived once more


def test_over_sftp_the_scan_is_archived_and_verified_with_the_version(
        publish_config: Config, workbook: WorkbookRegister, sshd: SshdServer, sftp_root: Path,
        tmp_path: Path) -> None:
    config = dataclasses.replace(publish_config, publish=dataclasses.replace(
        publish_config.publish, target="sftp", sftp=sftp_config(sshd, sftp_root)))
    add_rows(workbook, [established("Profil Badan Publik")])
    scan = tmp_path / "sk.pdf"
    scan.write_bytes(PDF)
    Office(config).archive_decision("1/PPID/2026", scan)
    target = open_target(config)
    try:
        result = publish(config, workbook, target, now=NOW)
    finally:
        target.close()
    path = sftp_root / "arsip" / result.version / "keputusan" / "1-ppid-2026.pdf"
    assert path.read_bytes() == PDF and not (sftp_root / "keputusan").exists()
    manifest = json.loads((sftp_root / "manifest.json").read_bytes())
    assert manifest["files"]["keputusan/1-ppid-2026.pdf"]["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_file_that_is_not_a_pdf_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office, toml = office_at(tmp_path)
    fake = tmp_path / "keputusan.pdf"
    fake.write_bytes(b"PK\x03\x04 a docx renamed")
    assert main(["keputusan", "arsipkan", "1/PPID/2026", str(fake), "--config", str(toml)]) == 2
    assert "Berkas 'keputusan.pdf' bukan PDF" in capsys.readouterr().err
    assert not (office.config.state_dir / f"keputusan-{office.name}").exists()


def test_a_scan_whose_copy_is_lost_is_left_out_with_a_warning(
        publish_config: Config, workbook: WorkbookRegister, tmp_path: Path) -> None:
    add_rows(workbook, [established("Profil Badan Publik")])
    scan = tmp_path / "sk.pdf"
    scan.write_bytes(PDF)
    Office(publish_config).archive_decision("1/PPID/2026", scan)
    for copy in (publish_config.state_dir / f"keputusan-{publish_config.name}").iterdir():
        copy.write_bytes(PDF + b"changed")
    said: list[str] = []
    result = publish(publish_config, workbook, FolderTarget(publish_config.publish.folder), now=NOW,
                     progress=lambda m: said.append(m.id))
    assert result.status == "published" and any("terbit tanpa pindaian" in line for line in said)
    manifest = live_manifest(FolderTarget(publish_config.publish.folder))
    assert manifest is not None and not any(name.startswith("keputusan/") for name in manifest.files)


# ---- the list changed since its decision -------------------------------------------------------


def test_a_later_version_that_differs_from_its_decisions_first_says_so(publish_config: Config,
                                                                      workbook: WorkbookRegister) -> None:
    target = FolderTarget(publish_config.publish.folder)
    index = publish_config.publish.folder / "index.html"
    add_rows(workbook, [established("Profil Badan Publik")])
    first = publish(publish_config, workbook, target, now=NOW)
    assert "telah berubah" not in text(index)
    add_rows(workbook, [established("Laporan Keuangan")])
    publish(publish_config, workbook, target, now=NOW + dt.timedelta(hours=1))
    assert (f"Daftar ini telah berubah sejak ditetapkan dengan Keputusan PPID KPU Kabupaten Contoh Nomor"
            f" 1/PPID/2026 (versi {first.version}, 25 November 2026)") in text(index)
    # a new decision establishes the list as it is now: the notice goes
    add_rows(workbook, [decision("9/PPID/2026", "25 November 2026")], s.DECISION_TAB)
    config = dataclasses.replace(publish_config)
    publish(config, workbook, target, now=NOW + dt.timedelta(hours=2))
    assert "telah berubah" not in text(index) and "<strong>9/PPID/2026</strong>" in text(index)


def test_a_register_without_the_tab_reads_no_decisions() -> None:
    assert read_rows(None) == [] and read_rows(Grid([])) == []
