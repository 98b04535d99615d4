"""Corrections keep the established version public (issue 13), on both backends.

A unit (or the PPID) edits an established row: the published list keeps the content the PPID
established until the PPID approves the correction with one choice in step 3 ("Setujui Koreksi") and
one sync, or rejects it ("Tolak Koreksi": the note lists the established values to copy back). The
public history shows an approved correction as "Diubah", never as removed and added.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from dip_sheets import schema as s
from dip_sheets.config import default_config
from dip_sheets.connect import open_register
from dip_sheets.errors import PublishFailed
from dip_sheets.guide_tab import lines as guide_lines
from dip_sheets.notify import digests
from dip_sheets.publish import PublishResult, publish
from dip_sheets.register import Cell, Layout, cell_text
from dip_sheets.stages import Stage
from dip_sheets.status import status, status_lines
from dip_sheets.sync import SyncResult, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row
from tests.memory_register import MemoryRegister, decisions_of_the_year, memory_register
from tests.test_end_to_end import BACKENDS, ROLES, Office, office_on
from tests.test_review_gate import set_cell


@pytest.fixture(params=BACKENDS)
def bare_office(request: pytest.FixtureRequest, tmp_path: Path) -> Office:
    """An office whose register ``dip init`` has not made yet."""
    return office_on(request, tmp_path)


@pytest.fixture
def office(bare_office: Office) -> Office:
    assert open_register(bare_office.config).init(Layout(s.TABS, UNITS, ROLES))
    bare_office.type_rows(decisions_of_the_year(), s.DECISION_TAB)  # the year rule lets it publish
    return bare_office


def sync(office: Office) -> SyncResult:
    return run(open_register(office.config), UNITS, NOW)


def publish_at(office: Office, minutes: int) -> PublishResult:
    """A publish without --force: it must not be refused."""
    config = office.config
    return publish(config, open_register(config), FolderTarget(config.publish.folder),
                   now=NOW + dt.timedelta(minutes=minutes))


def live(office: Office) -> dict[str, dict[str, str]]:
    """The published items by ID, as dip.json has them."""
    data = json.loads((office.config.publish.folder / "dip.json").read_bytes())
    return {item["id"]: item for item in data["item"]}


def history_page(office: Office) -> str:
    return (office.config.publish.folder / "riwayat.html").read_text(encoding="utf-8")


def rows(office: Office) -> dict[str, dict[str, str]]:
    """The DIP tab's rows by ID, as text."""
    grid = open_register(office.config).read().tabs[s.DIP_TAB].rows
    header = [cell_text(h) for h in grid[0]]
    found = {}
    for row in grid[1:]:
        values = {h: cell_text(row[i]) if i < len(row) else "" for i, h in enumerate(header)}
        if values.get(s.ID):
            found[values[s.ID]] = values
    return found


def events(office: Office, item_id: str) -> list[tuple[str, str]]:
    """``(Peristiwa, Kolom Berubah)`` of an item's rows in the Riwayat tab, oldest first."""
    grid = open_register(office.config).read().tabs[s.HISTORY_TAB].rows
    header = [cell_text(h) for h in grid[0]]
    return [(cell_text(r[header.index(s.HISTORY_EVENT)]), cell_text(r[header.index(s.HISTORY_CHANGED)]))
            for r in grid[1:] if cell_text(r[header.index(s.ID)]) == item_id]


def delete_row(office: Office, item_id: str) -> None:
    """A person deletes a whole row of the DIP tab."""
    if office.emulator is not None:
        spreadsheet = office.config.register.spreadsheet_id
        grid = office.emulator.tab_values(spreadsheet, s.DIP_TAB)
        column = [str(h) for h in grid[0]].index(s.ID)
        number = next(n for n, r in enumerate(grid, start=1) if len(r) > column and r[column] == item_id)
        office.emulator.delete_rows(spreadsheet, s.DIP_TAB, number)
        return
    book = openpyxl.load_workbook(office.config.register.path)
    sheet = book[s.DIP_TAB]
    column = [c.value for c in sheet[1]].index(s.ID)
    number = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[column].value == item_id)
    sheet.delete_rows(number)
    book.save(office.config.register.path)


def establish(office: Office) -> None:
    office.type_rows([established("Profil"), established("Laporan Keuangan")])
    assert sync(office).review.newly_established == ["DIP-0001", "DIP-0002"]
    assert publish_at(office, 0).status == "published"


def test_a_correction_stays_unpublished_until_one_approval_and_shows_as_changed(office: Office) -> None:
    establish(office)
    office.set_cell("Profil", s.SUMMARY, "Profil yang dikoreksi")
    waiting = sync(office)
    assert waiting.summary()["corrections_waiting"] == ["DIP-0001"] and waiting.review.blockers == []
    row = rows(office)["DIP-0001"]
    assert row[s.NOTE] == (
        "Koreksi menunggu persetujuan PPID (berubah: Ringkasan Isi Informasi). Versi yang ditetapkan"
        " tetap diterbitkan; nilai lamanya ada di tab 'Riwayat'. PPID: pilih 'Setujui Koreksi' untuk"
        " menyetujui atau 'Tolak Koreksi' untuk menolak, di kolom '3 Penetapan PPID'.")
    assert row[s.STAGE].startswith("3 Koreksi menunggu PPID")
    assert row[s.STEP5], "the established version is still the one uploaded"
    assert sync(office).applied is None, "the correction is recorded once"

    second = publish_at(office, 1)  # no --force, and no refusal
    assert second.status in ("published", "unchanged")
    assert live(office)["DIP-0001"]["ringkasan"] == "Ringkasan Profil"
    assert "Dihapus" not in history_page(office)

    office.set_cell("Profil", s.STEP3, s.APPROVE_CORRECTION)
    approved = sync(office)  # one action, one sync
    assert approved.summary()["corrections_approved"] == ["DIP-0001"]
    assert approved.summary()["corrections_waiting"] == []
    assert [i.summary for i in approved.review.items if i.id == "DIP-0001"] == ["Profil yang dikoreksi"]
    row = rows(office)["DIP-0001"]
    assert row[s.NOTE] == "" and row[s.STAGE].startswith("4 Ditetapkan, belum diunggah")
    assert events(office, "DIP-0001") == [
        ("Ditetapkan: Langkah 3 = Ditetapkan", ""),
        ("Diubah setelah ditetapkan: Langkah 3 = Ditetapkan", s.SUMMARY),
        ("Ditetapkan: koreksi disetujui; Langkah 3 = Setujui Koreksi", s.SUMMARY),
    ]
    assert publish_at(office, 2).status == "published"
    assert live(office)["DIP-0001"]["ringkasan"] == "Profil yang dikoreksi"
    page = history_page(office)
    assert "Diubah (1)" in page and "(berubah: Ringkasan Isi Informasi)" in page
    assert "Dihapus" not in page and "Ditambahkan" not in page
    assert rows(office)["DIP-0001"][s.STAGE].startswith("5 Diunggah")


def test_a_rejected_correction_keeps_the_old_content_until_the_values_are_copied_back(office: Office) -> None:
    establish(office)
    long_summary = "Ringkasan Laporan Keuangan " + "sangat panjang " * 10
    office.set_cell("Laporan Keuangan", s.SUMMARY, "Ringkasan salah")
    office.set_cell("Laporan Keuangan", s.PLACE, "Pandeglang")
    office.set_cell("Laporan Keuangan", s.STEP3, s.REJECT_CORRECTION)  # before any sync saw the edit
    rejected = sync(office)
    assert rejected.summary()["corrections_rejected"] == ["DIP-0002"]
    note = rows(office)["DIP-0002"][s.NOTE]
    assert note.startswith("Koreksi ditolak PPID; versi yang ditetapkan tetap diterbitkan.")
    assert ("kembalikan nilai yang ditetapkan: Ringkasan Isi Informasi = 'Ringkasan Laporan Keuangan';"
            " Tempat Pembuatan = 'Serang' (nilai lengkapnya di tab 'Riwayat'") in note
    assert rows(office)["DIP-0002"][s.STAGE].startswith("3 Koreksi ditolak")
    assert sync(office).applied is None
    assert publish_at(office, 1).status in ("published", "unchanged")
    assert live(office)["DIP-0002"]["ringkasan"] == "Ringkasan Laporan Keuangan"

    office.set_cell("Laporan Keuangan", s.SUMMARY, long_summary)  # another try, still rejected
    sync(office)
    assert "'Ringkasan Laporan Keuangan'" in rows(office)["DIP-0002"][s.NOTE]

    office.set_cell("Laporan Keuangan", s.SUMMARY, "Ringkasan Laporan Keuangan")  # copied back
    office.set_cell("Laporan Keuangan", s.PLACE, "Serang")
    back = sync(office)
    row = rows(office)["DIP-0002"]
    assert row[s.NOTE] == "" and row[s.STAGE].startswith("5 Diunggah")
    assert back.summary()["corrections_rejected"] == [] and back.review.blockers == []
    assert [e for e, _ in events(office, "DIP-0002")] == [
        "Ditetapkan: Langkah 3 = Ditetapkan",
        "Koreksi ditolak: Langkah 3 = Tolak Koreksi",
        "Koreksi ditolak: Langkah 3 = Tolak Koreksi",
        "Kembali ke isi yang ditetapkan: Langkah 3 = Tolak Koreksi",
    ]
    assert sync(office).applied is None

    # deleting an established row is recorded in Riwayat (and the list loses it as "Dihapus")
    delete_row(office, "DIP-0002")
    assert sync(office).review.removed == ["DIP-0002"]
    assert events(office, "DIP-0002")[-1][0].startswith("Hilang dari register")
    assert publish_at(office, 2).status == "published"
    assert "Dihapus (1)" in history_page(office) and "DIP-0002" not in live(office)


def test_a_stale_setujui_koreksi_does_not_approve_a_later_edit(office: Office) -> None:
    establish(office)
    office.set_cell("Profil", s.SUMMARY, "Koreksi pertama")
    office.set_cell("Profil", s.STEP3, s.APPROVE_CORRECTION)  # the PPID edits and approves at once
    assert sync(office).summary()["corrections_approved"] == ["DIP-0001"]

    office.set_cell("Profil", s.SUMMARY, "Koreksi kedua, belum dilihat PPID")
    later = sync(office)
    assert later.summary()["corrections_approved"] == []
    assert later.summary()["corrections_waiting"] == ["DIP-0001"]
    assert [i.summary for i in later.review.items if i.id == "DIP-0001"] == ["Koreksi pertama"]
    assert "PPID: pilih 'Ditetapkan' untuk menyetujui" in rows(office)["DIP-0001"][s.NOTE]
    assert sync(office).applied is None

    office.set_cell("Profil", s.STEP3, s.ESTABLISHED)  # the value that differs: an approval
    final = sync(office)
    assert final.summary()["corrections_approved"] == ["DIP-0001"]
    assert [i.summary for i in final.review.items if i.id == "DIP-0001"] == [
        "Koreksi kedua, belum dilihat PPID"]
    assert events(office, "DIP-0001")[-1] == (
        "Ditetapkan: koreksi disetujui; Langkah 3 = Ditetapkan", s.SUMMARY)


def test_init_on_an_existing_register_refreshes_the_step_3_dropdown(bare_office: Office) -> None:
    """A register made before the correction choices existed gets them from the next 'dip init'."""
    office = bare_office
    config = office.config
    old_step3 = dataclasses.replace(s.TAB_BY_NAME[s.DIP_TAB].column(s.STEP3),
                                    choices=(s.ESTABLISHED, s.REJECTED, s.NEEDS_REVISION))
    old_dip = dataclasses.replace(s.TAB_BY_NAME[s.DIP_TAB], columns=tuple(
        old_step3 if c.header == s.STEP3 else c for c in s.DIP_COLUMNS))
    old_layout = Layout(tuple(old_dip if t.name == s.DIP_TAB else t for t in s.TABS), UNITS, ROLES)
    open_register(config).init(old_layout)
    assert step3_choices(office) == [s.ESTABLISHED, s.REJECTED, s.NEEDS_REVISION]
    open_register(config).init(Layout(s.TABS, UNITS, ROLES))
    assert step3_choices(office) == [s.ESTABLISHED, s.REJECTED, s.NEEDS_REVISION, s.APPROVE_CORRECTION,
                                     s.REJECT_CORRECTION]


def step3_choices(office: Office) -> list[str]:
    """The choices the step-3 dropdown offers, as the backend stores them."""
    if office.emulator is not None:
        spreadsheet = office.config.register.spreadsheet_id
        header = [str(h) for h in office.emulator.tab_values(spreadsheet, s.DIP_TAB)[0]]
        rules = office.emulator.column_validations(spreadsheet, s.DIP_TAB, header.index(s.STEP3))
        values = {tuple(v["userEnteredValue"] for v in r["condition"]["values"]) for r in rules[1:] if r}
        assert len(values) == 1, values
        return list(values.pop())
    book = openpyxl.load_workbook(office.config.register.path)
    sheet = book[s.DIP_TAB]
    letter = openpyxl.utils.get_column_letter([c.value for c in sheet[1]].index(s.STEP3) + 1)
    rule = next(r for r in sheet.data_validations.dataValidation if str(r.sqref).startswith(f"{letter}2:"))
    source, _, cells = str(rule.formula1).partition("!")
    first, _, last = cells.replace("$", "").partition(":")
    found: list[Cell] = [c.value for row in book[source][f"{first}:{last}"] for c in row]
    return [cell_text(v) for v in found]


# ---- the rules, on a register in memory ---------------------------------------------------------


def note_of(register: MemoryRegister) -> str:
    return cell_text(register.get(s.DIP_TAB, 1, s.NOTE))


def established_in_memory(**overrides: Cell) -> MemoryRegister:
    register = memory_register()
    register.add(s.DIP_TAB, established("Profil", **overrides))
    assert run(register, UNITS, NOW).review.newly_established == ["DIP-0001"]
    return register


def summaries(result: SyncResult) -> list[str]:
    return [i.summary for i in result.review.items]


def test_a_step_3_tidied_after_copying_back_does_not_approve_a_later_edit() -> None:
    register = established_in_memory()
    set_cell(register, 1, s.SUMMARY, "salah")
    set_cell(register, 1, s.STEP3, s.REJECT_CORRECTION)
    run(register, UNITS, NOW)
    set_cell(register, 1, s.SUMMARY, "Ringkasan Profil")  # copied back
    set_cell(register, 1, s.STEP3, s.ESTABLISHED)  # and the PPID tidies the column
    tidied = run(register, UNITS, NOW)
    assert tidied.review.approved == [] and note_of(register) == ""
    set_cell(register, 1, s.SUMMARY, "koreksi baru")  # days later
    later = run(register, UNITS, NOW)
    assert later.review.approved == [] and summaries(later) == ["Ringkasan Profil"]
    assert "pilih 'Setujui Koreksi' untuk menyetujui" in note_of(register)


def test_an_invalid_correction_keeps_the_old_content_and_an_approval_of_it_waits() -> None:
    register = established_in_memory()
    set_cell(register, 1, s.LINK, "bukan alamat")
    set_cell(register, 1, s.STEP3, s.APPROVE_CORRECTION)
    result = run(register, UNITS, NOW)
    assert result.review.approved == [] and result.review.blockers == []
    assert summaries(result) == ["Ringkasan Profil"]
    assert note_of(register).startswith("Koreksi menunggu persetujuan PPID (berubah: Tautan)")
    assert s.LINK + ":" in note_of(register)  # what is wrong with the correction, too
    set_cell(register, 1, s.LINK, "https://ppid.example.go.id/baru.pdf")  # fixed, unseen by the PPID
    fixed = run(register, UNITS, NOW)
    assert fixed.review.approved == [] and "pilih 'Ditetapkan' untuk menyetujui" in note_of(register)
    set_cell(register, 1, s.STEP3, s.ESTABLISHED)
    assert run(register, UNITS, NOW).review.approved == ["DIP-0001"]


@pytest.mark.parametrize("marked", [s.EXCLUDED, "  dikecualikan ", "DIKECUALIKAN"])
def test_an_established_row_marked_excluded_is_withheld_not_kept_live(marked: str, tmp_path: Path) -> None:
    """Marking an established row ``Dikecualikan`` is a correction like any other, but its
    established version must not stay public meanwhile: excluded information never goes live."""
    register = established_in_memory()
    register.add(s.DIP_TAB, established("Laporan Keuangan"))
    run(register, UNITS, NOW)
    set_cell(register, 1, s.CATEGORY, marked)
    result = run(register, UNITS, NOW)
    assert [i.id for i in result.review.items] == ["DIP-0002"]
    assert [r.id for r in result.review.blockers] == ["DIP-0001"]  # the PPID must decide
    assert "kini ditandai 'Dikecualikan'" in note_of(register)
    assert f"pilih '{s.NEEDS_REVISION}'" in note_of(register)  # what to do, not an approval that cannot work
    assert result.summary()["corrections_waiting"] == []  # not "the established version stays live"
    config = dataclasses.replace(default_config(tmp_path), units=UNITS)
    site = FolderTarget(tmp_path / "situs")
    with pytest.raises(PublishFailed, match="DIP-0001"):
        publish(config, register, site, now=NOW, force=False)
    publish(config, register, site, now=NOW, force=True)
    published = json.loads((tmp_path / "situs" / "dip.json").read_bytes())
    assert [item["id"] for item in published["item"]] == ["DIP-0002"]
    set_cell(register, 1, s.STEP3, s.REJECT_CORRECTION)  # rejected: still withheld until typed back
    assert [i.id for i in run(register, UNITS, NOW).review.items] == ["DIP-0002"]
    set_cell(register, 1, s.CATEGORY, established("Profil")[s.CATEGORY])
    assert [i.id for i in run(register, UNITS, NOW).review.items] == ["DIP-0001", "DIP-0002"]
    set_cell(register, 1, s.CATEGORY, marked)  # marked again, and this time the PPID withdraws it
    set_cell(register, 1, s.STEP3, s.NEEDS_REVISION)
    withdrawn = run(register, UNITS, NOW)
    assert withdrawn.review.withdrawn == ["DIP-0001"] and withdrawn.review.blockers == []
    assert [i.id for i in withdrawn.review.items] == ["DIP-0002"]


def test_the_rejection_note_cuts_long_established_values() -> None:
    long_text = "Ringkasan yang sangat panjang " * 10
    register = established_in_memory(**{s.SUMMARY: long_text})
    set_cell(register, 1, s.SUMMARY, "pendek")
    set_cell(register, 1, s.STEP3, s.REJECT_CORRECTION)
    run(register, UNITS, NOW)
    quoted = note_of(register).split(f"{s.SUMMARY} = '", 1)[1].split("'", 1)[0]
    assert quoted.endswith("…") and len(quoted) <= 80 and long_text.startswith(quoted[:-1])
    assert "nilai lengkapnya di tab 'Riwayat'" in note_of(register)


def test_tolak_koreksi_on_a_row_never_established_is_a_finding_and_setujui_establishes() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, good_row("A", **{s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: s.REJECT_CORRECTION}))
    first = run(register, UNITS, NOW)
    assert first.review.items == [] and "hanya untuk koreksi baris yang sudah ditetapkan" in note_of(register)
    set_cell(register, 1, s.STEP3, s.APPROVE_CORRECTION)
    assert run(register, UNITS, NOW).review.newly_established == ["DIP-0001"]


def test_riwayat_rows_written_before_corrections_count_as_ditetapkan() -> None:
    register = established_in_memory()
    set_cell(register, 1, s.SUMMARY, "diubah")
    run(register, UNITS, NOW)
    history = register.tabs[s.HISTORY_TAB]
    event = [str(h) for h in history[0]].index(s.HISTORY_EVENT)
    for row in history[1:]:  # as an older dip-sheets wrote them
        row[event] = str(row[event]).partition(":")[0]
    assert [r[event] for r in history[1:]] == ["Ditetapkan", "Diubah setelah ditetapkan"]
    assert not run(register, UNITS, NOW).review.changes
    assert "pilih 'Setujui Koreksi'" in note_of(register)
    set_cell(register, 1, s.STEP3, s.APPROVE_CORRECTION)
    assert run(register, UNITS, NOW).review.approved == ["DIP-0001"]


def test_perlu_revisi_still_withdraws_a_correction() -> None:
    register = established_in_memory()
    set_cell(register, 1, s.SUMMARY, "diubah")
    assert summaries(run(register, UNITS, NOW)) == ["Ringkasan Profil"]
    set_cell(register, 1, s.STEP3, s.NEEDS_REVISION)
    withdrawn = run(register, UNITS, NOW)
    assert withdrawn.review.withdrawn == ["DIP-0001"] and withdrawn.review.items == []


def test_status_notices_and_the_petunjuk_tab_name_the_corrections_waiting() -> None:
    register = established_in_memory()
    register.add(s.DIP_TAB, established("Laporan"))
    run(register, UNITS, NOW)
    set_cell(register, 1, s.TITLE, "Profil Kantor")
    set_cell(register, 1, s.SUMMARY, "Ringkasan baru")
    review_ = run(register, UNITS, NOW).review
    report = status(review_, NOW.date())
    assert report["corrections"] == [{
        "id": "DIP-0001", "row": 2, "unit": established()[s.UNIT], "since": NOW.date().isoformat(),
        "changed": [s.TITLE, s.SUMMARY], "approve": s.APPROVE_CORRECTION}]
    assert report["blockers"] == [] and report["publishable"] == 2
    assert report["total"][Stage.CORRECTION_PENDING.value] == 1
    text = "\n".join(m.id for m in status_lines(report))
    assert "Koreksi menunggu persetujuan PPID (1; versi yang ditetapkan tetap diterbitkan):" in text
    assert (f"DIP-0001 (baris 2, {established()[s.UNIT]}) sejak {NOW.date().isoformat()}: berubah"
            f" {s.TITLE}, {s.SUMMARY}; pilih 'Setujui Koreksi' untuk menyetujui") in text
    config = dataclasses.replace(default_config(Path("/nonexistent")), roles={
        s.Role.PPID: ("ppid@kantor.example",)})
    unit = established()[s.UNIT]
    found = {d.key: d for d in digests(config, review_, "register", {str(unit): ("unit@kantor.example",)})}
    assert [line for line in found["ppid"].lines if "DIP-0001" in line] == [
        "- DIP-0001 (baris 2) Profil Kantor: koreksi menunggu persetujuan (berubah: Judul Informasi,"
        " Ringkasan Isi Informasi; versi yang ditetapkan tetap diterbitkan); pilih 'Setujui Koreksi' atau"
        " 'Tolak Koreksi' di kolom '3 Penetapan PPID'"]
    assert found[f"unit:{unit}"].lines == (), "a correction waiting is the PPID's to decide"
    guide = "\n".join(" ".join(line.cells) for line in guide_lines())
    assert "Menyetujui: PPID memilih 'Setujui Koreksi'" in guide
    assert "Menolak: PPID memilih 'Tolak Koreksi'" in guide
    assert "Koreksi menunggu persetujuan PPID (berubah: …)" in guide  # the note's meaning, from the code
