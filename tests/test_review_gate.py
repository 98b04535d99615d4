"""Review cannot be bypassed: a cleared ID, a copied row or a deleted row never skips the PPID.

A row that arrives under a new ID already ``Ditetapkan`` while it resembles an established item
(same title and unit, or another row's ``Sidik``) is held until the PPID chooses ``Perlu Revisi``
and then ``Ditetapkan``; an established item no row carries any more is recorded once in Riwayat.
"""

from __future__ import annotations

from typing import Any

from openpyxl import load_workbook

from dip_sheets import schema as s
from dip_sheets.register import Cell, cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.stages import Stage
from dip_sheets.sync import SyncResult, run
from tests.conftest import NOW, UNITS, add_rows, established, good_row
from tests.memory_register import MemoryRegister, memory_register


def sync(register: MemoryRegister | WorkbookRegister) -> SyncResult:
    return run(register, UNITS, NOW)


def header(register: MemoryRegister, tab: str = s.DIP_TAB) -> list[str]:
    return [str(h) for h in register.tabs[tab][0]]


def set_cell(register: MemoryRegister, index: int, column: str, value: Cell) -> None:
    row = register.tabs[s.DIP_TAB][index]
    position = header(register).index(column)
    row.extend([None] * (position + 1 - len(row)))
    row[position] = value


def events(register: MemoryRegister) -> list[tuple[str, str]]:
    names = header(register, s.HISTORY_TAB)
    return [(cell_text(r[names.index(s.ID)]), cell_text(r[names.index(s.HISTORY_EVENT)]))
            for r in register.tabs[s.HISTORY_TAB][1:]]


def established_register(*titles: str) -> MemoryRegister:
    register = memory_register()
    for title in titles:
        register.add(s.DIP_TAB, established(title))
    wanted = [f"DIP-{n:04d}" for n in range(1, len(titles) + 1)]
    assert sync(register).summary()["newly_established"] == wanted
    return register


def assert_settled(register: MemoryRegister) -> None:
    again = sync(register)
    assert not again.review.changes, again.review.changes
    assert again.summary()["removed"] == []


def ppid_reviews(register: MemoryRegister, index: int) -> SyncResult:
    """The PPID's visible action: Perlu Revisi, a sync, then Ditetapkan again."""
    set_cell(register, index, s.STEP3, s.NEEDS_REVISION)
    released = sync(register)
    assert released.review.held == []
    set_cell(register, index, s.STEP3, s.ESTABLISHED)
    return sync(register)


def test_clearing_the_id_of_an_established_row_does_not_put_an_edit_live() -> None:
    register = established_register("Laporan Keuangan")
    set_cell(register, 1, s.ID, None)
    set_cell(register, 1, s.SUMMARY, "Ringkasan yang diubah diam-diam")
    result = sync(register)
    summary = result.summary()
    assert summary["ids_assigned"] == ["DIP-0002"]
    assert summary["newly_established"] == [] and result.review.items == []
    assert summary["held"] == ["DIP-0002"] and summary["removed"] == ["DIP-0001"]
    state = result.review.dip[0]
    assert state.stage is Stage.BLOCKED and not state.publishable
    note = cell_text(register.get(s.DIP_TAB, 1, s.NOTE))
    assert "DIP-0001" in note and s.NEEDS_REVISION in note
    assert register.get(s.DIP_TAB, 1, s.FINGERPRINT) == ""
    assert [e for e in events(register) if e[0] != "DIP-0001" or "Hilang" in e[1]] == [
        ("DIP-0002", "Ditahan, mirip item yang pernah ditetapkan: DIP-0001"),
        ("DIP-0001", "Hilang dari register: tidak ada lagi baris dengan ID ini; pulihkan barisnya"
                     " atau catat penghapusannya"),
    ]
    assert_settled(register)
    # only the PPID's Perlu Revisi -> Ditetapkan establishes the new content
    final = ppid_reviews(register, 1)
    assert final.review.newly_established == ["DIP-0002"]
    assert [i.summary for i in final.review.items] == ["Ringkasan yang diubah diam-diam"]
    assert_settled(register)


def test_a_copied_row_without_its_id_is_held_even_under_a_new_title() -> None:
    register = established_register("Profil")
    copy = list(register.tabs[s.DIP_TAB][1])
    register.tabs[s.DIP_TAB].append(copy)
    set_cell(register, 2, s.ID, "")
    set_cell(register, 2, s.TITLE, "Profil Pimpinan")  # resembles nothing, but carries Profil's Sidik
    result = sync(register)
    assert result.review.held == ["DIP-0002"] and result.review.newly_established == []
    assert [i.title for i in result.review.items] == ["Profil"]  # the original stays live
    assert "salinan" in cell_text(register.get(s.DIP_TAB, 2, s.NOTE))
    assert_settled(register)
    assert ppid_reviews(register, 2).review.newly_established == ["DIP-0002"]


def test_a_copy_of_a_deleted_established_row_is_held_by_title_and_unit() -> None:
    register = established_register("Daftar Aset")
    del register.tabs[s.DIP_TAB][1]
    register.add(s.DIP_TAB, established("  daftar   ASET "))  # retyped, spacing and case differ
    result = sync(register)
    assert result.review.removed == ["DIP-0001"] and result.review.held == ["DIP-0002"]
    assert result.review.items == []
    assert_settled(register)


def test_a_held_copy_names_an_item_established_in_the_same_sync_and_the_next_sync_agrees() -> None:
    """Property-test find: the established original is deleted, so its duplicate is established by
    this sync, while a copy of that duplicate arrives: the copy's note must name both at once, or
    the next sync (reading the new establishment from Riwayat) rewrites it."""
    register = memory_register()
    register.add(s.DIP_TAB, established("Laporan Keuangan"))
    register.add(s.DIP_TAB, established("Laporan Keuangan"))  # a duplicate: not established
    assert sync(register).summary()["newly_established"] == ["DIP-0001"]
    copy = list(register.tabs[s.DIP_TAB][2])
    del register.tabs[s.DIP_TAB][1]
    register.tabs[s.DIP_TAB].append(copy)  # copied with its ID, below
    result = sync(register)
    assert result.review.newly_established == ["DIP-0002"] and result.review.held == ["DIP-0003"]
    assert "mirip DIP-0001, DIP-0002 (judul dan unit sama)" in cell_text(register.get(s.DIP_TAB, 2, s.NOTE))
    assert_settled(register)


def test_a_hand_typed_new_id_does_not_carry_an_establishment() -> None:
    register = established_register("Profil")
    copy = list(register.tabs[s.DIP_TAB][1])
    register.tabs[s.DIP_TAB].append(copy)
    set_cell(register, 2, s.ID, "DIP-0050")  # never issued
    set_cell(register, 2, s.TITLE, "Profil 2")
    result = sync(register)
    assert result.review.held == ["DIP-0050"] and [i.title for i in result.review.items] == ["Profil"]


def test_clearing_the_sidik_does_not_make_an_edit_look_newly_established() -> None:
    register = established_register("Profil")
    set_cell(register, 1, s.FINGERPRINT, "")
    set_cell(register, 1, s.SUMMARY, "Diubah")
    result = sync(register)
    assert result.review.newly_established == [] and result.review.tampered == ["DIP-0001"]
    assert [i.summary for i in result.review.items] == ["Ringkasan Profil"]  # the established version
    assert len(cell_text(register.get(s.DIP_TAB, 1, s.FINGERPRINT))) == 16  # restored from Riwayat


def test_a_deleted_established_row_is_recorded_once_and_its_return_too() -> None:
    register = established_register("A", "B")
    saved = register.tabs[s.DIP_TAB].pop(2)
    first = sync(register)
    assert first.summary()["removed"] == ["DIP-0002"]
    assert [i.id for i in first.review.items] == ["DIP-0001"]
    assert_settled(register)
    removals = [e for e in events(register) if e[1].startswith("Hilang dari register")]
    assert [item_id for item_id, _ in removals] == ["DIP-0002"]
    register.tabs[s.DIP_TAB].append(saved)  # pasted back unchanged
    back = sync(register)
    assert [i.id for i in back.review.items] == ["DIP-0001", "DIP-0002"]
    assert events(register)[-1] == ("DIP-0002", "Kembali ke register")
    assert_settled(register)


def test_an_edited_row_pasted_back_after_deletion_is_still_an_edit() -> None:
    register = established_register("A")
    saved = register.tabs[s.DIP_TAB].pop(1)
    sync(register)
    register.tabs[s.DIP_TAB].append(saved)
    set_cell(register, 1, s.SUMMARY, "lain")
    assert sync(register).review.tampered == ["DIP-0001"]


def test_new_rows_that_resemble_nothing_or_that_the_ppid_establishes_later_are_not_held() -> None:
    register = established_register("A")
    register.add(s.DIP_TAB, established("Baru sama sekali"))
    assert sync(register).review.newly_established == ["DIP-0002"]
    del register.tabs[s.DIP_TAB][1]
    draft = register.add(s.DIP_TAB, good_row("A", **{s.STEP1: "Ya", s.STEP2: "Sudah"}))
    assert sync(register).review.held == []
    set_cell(register, draft, s.STEP3, s.ESTABLISHED)  # the PPID acts on a row the sync saw before
    assert sync(register).review.newly_established == ["DIP-0003"]


def test_workbook_cleared_id_is_held_and_the_old_item_reported(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("Laporan Kinerja")])
    sync(workbook)
    book = load_workbook(workbook.path)
    sheet = book[s.DIP_TAB]
    names = [c.value for c in sheet[1]]
    sheet.cell(2, names.index(s.ID) + 1).value = None
    book.save(workbook.path)
    summary: dict[str, Any] = sync(workbook).summary()
    assert (summary["held"], summary["removed"], summary["publishable"]) == (["DIP-0002"], ["DIP-0001"], 0)
    assert sync(workbook).summary()["removed"] == []



def test_a_lost_id_counter_neither_reissues_ids_nor_reopens_established_rows() -> None:
    register = established_register("A", "B")
    del register.tabs[s.DIP_TAB][2]  # B deleted
    sync(register)
    register.tabs[s.SYSTEM_TAB][1:] = []  # the Sistem counter row removed by hand
    set_cell(register, 1, s.SUMMARY, "diubah")
    register.add(s.DIP_TAB, good_row("C"))
    result = sync(register)
    assert result.review.ids_assigned == ["DIP-0003"]  # DIP-0002 stays retired
    assert result.review.tampered == ["DIP-0001"] and result.review.held == []
    assert result.review.newly_established == []
