"""The sync's promises: stable IDs, idempotence, tamper detection, and no staff-owned cell written."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets.errors import LayoutError
from dip_sheets.register import Cell, cell_text
from dip_sheets.stages import Stage
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, established, good_row
from tests.memory_register import MemoryRegister, memory_register


def sync(register: MemoryRegister) -> dict[str, Any]:
    return run(register, UNITS, NOW).summary()


def ids_by_title(register: MemoryRegister) -> dict[str, str]:
    rows = register.tabs[s.DIP_TAB]
    header = [str(h) for h in rows[0]]
    return {
        cell_text(r[header.index(s.TITLE)]): cell_text(r[header.index(s.ID)]) for r in rows[1:] if r
    }


def test_ids_are_assigned_once_and_survive_reordering() -> None:
    register = memory_register()
    for title in ("A", "B", "C"):
        register.add(s.DIP_TAB, good_row(title))
    assert sync(register)["ids_assigned"] == ["DIP-0001", "DIP-0002", "DIP-0003"]
    before = ids_by_title(register)
    body = register.tabs[s.DIP_TAB][1:]
    random.Random(4).shuffle(body)
    register.tabs[s.DIP_TAB][1:] = body
    register.add(s.DIP_TAB, good_row("D"))
    register.add(s.DIP_TAB, good_row("E"))  # two rows added at once
    assert sync(register)["ids_assigned"] == ["DIP-0004", "DIP-0005"]
    after = ids_by_title(register)
    assert {k: after[k] for k in before} == before
    assert len(set(after.values())) == 5


def test_deleted_ids_are_never_reused() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, good_row("A"))
    register.add(s.DIP_TAB, good_row("B"))
    sync(register)
    del register.tabs[s.DIP_TAB][2]  # B (DIP-0002) deleted
    register.add(s.DIP_TAB, good_row("C"))
    assert sync(register)["ids_assigned"] == ["DIP-0003"]


def test_a_copied_row_gets_its_own_id_and_a_malformed_id_is_replaced() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, established("A"))
    sync(register)
    original = register.tabs[s.DIP_TAB][1]
    copy = list(original)
    copy[[str(h) for h in register.tabs[s.DIP_TAB][0]].index(s.TITLE)] = "A (salinan)"
    register.tabs[s.DIP_TAB].insert(1, copy)  # the copy sits above the original
    register.add(s.DIP_TAB, {**good_row("Z"), s.ID: "abc"})
    result = sync(register)
    ids = ids_by_title(register)
    assert ids["A"] == "DIP-0001"  # the row whose fingerprint matches keeps the ID
    assert {ids["A (salinan)"], ids["Z"]} == {"DIP-0002", "DIP-0003"}
    assert sorted(result["ids_assigned"]) == ["DIP-0002", "DIP-0003"]
    # the copy carried A's fingerprint; it is not "A edited after establishment" but a row of its
    # own, and one the PPID has not reviewed: it is held, not established (issue 11)
    assert result["tampered"] == [] and result["newly_established"] == []
    assert result["held"] == [ids["A (salinan)"]]


def test_second_sync_changes_nothing() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, established("A"))
    register.add(s.DIP_TAB, good_row("B", **{s.LINK: "bukan url"}))
    register.add(s.DIK_TAB, {s.DIK_INFORMATION: "X"})
    sync(register)
    applies = register.applies
    second = run(register, UNITS, NOW)
    assert not second.review.changes and second.applied is None
    assert register.applies == applies


def test_notes_are_written_and_cleared_when_fixed() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, good_row("A", **{s.RETENTION: "lama"}))
    sync(register)
    assert "Retensi Arsip" in cell_text(register.get(s.DIP_TAB, index, s.NOTE))
    column = [str(h) for h in register.tabs[s.DIP_TAB][0]].index(s.RETENTION)
    register.tabs[s.DIP_TAB][index][column] = "5 tahun"
    sync(register)
    assert register.get(s.DIP_TAB, index, s.NOTE) == ""


def test_establishment_fingerprints_locks_and_records_history() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, established("A"))
    draft = register.add(s.DIP_TAB, good_row("B"))
    result = sync(register)
    assert result["newly_established"] == ["DIP-0001"]
    assert len(cell_text(register.get(s.DIP_TAB, index, s.FINGERPRINT))) == 16
    assert register.locked[s.DIP_TAB] == {index}
    assert draft not in register.locked[s.DIP_TAB]
    history = register.tabs[s.HISTORY_TAB]
    assert len(history) == 2 and history[1][2] == "Ditetapkan: Langkah 3 = Ditetapkan"


def test_invalid_rows_are_not_established() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, established("A", **{s.LINK: ""}))
    outcome = run(register, UNITS, NOW)
    assert outcome.review.dip[0].stage is Stage.BLOCKED
    assert register.get(s.DIP_TAB, index, s.FINGERPRINT) in (None, "")
    assert register.locked[s.DIP_TAB] == set()


def test_edit_after_establishment_is_flagged_once_and_keeps_the_established_version_live() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, established("A"))
    sync(register)
    column = [str(h) for h in register.tabs[s.DIP_TAB][0]].index(s.SUMMARY)
    register.tabs[s.DIP_TAB][index][column] = "Ringkasan yang diubah"
    result = run(register, UNITS, NOW)
    assert result.review.tampered == ["DIP-0001"]
    # issue 13: the established version stays on the list while the correction waits
    assert [i.summary for i in result.review.items] == ["Ringkasan A"]
    assert result.review.blockers == [] and result.review.dip[0].stage is Stage.CORRECTION_PENDING
    note = cell_text(register.get(s.DIP_TAB, index, s.NOTE))
    assert "Koreksi menunggu persetujuan PPID" in note and s.SUMMARY in note
    history = register.tabs[s.HISTORY_TAB]
    assert [r[2] for r in history[1:]] == ["Ditetapkan: Langkah 3 = Ditetapkan",
                                           "Diubah setelah ditetapkan: Langkah 3 = Ditetapkan"]
    old = history[1][[str(h) for h in history[0]].index(s.SUMMARY)]
    assert old == "Ringkasan A"  # the old value is kept
    again = run(register, UNITS, NOW)
    assert again.applied is None and len(register.tabs[s.HISTORY_TAB]) == 3
    assert index in register.locked[s.DIP_TAB]


def test_ppid_reestablishes_through_perlu_revisi() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, established("A"))
    sync(register)
    header = [str(h) for h in register.tabs[s.DIP_TAB][0]]
    register.tabs[s.DIP_TAB][index][header.index(s.SUMMARY)] = "Baru"
    sync(register)
    register.tabs[s.DIP_TAB][index][header.index(s.STEP3)] = "Perlu Revisi"
    assert sync(register)["withdrawn"] == ["DIP-0001"]
    assert register.locked[s.DIP_TAB] == set()
    assert register.get(s.DIP_TAB, index, s.FINGERPRINT) == ""
    register.tabs[s.DIP_TAB][index][header.index(s.STEP3)] = "Ditetapkan"
    result = run(register, UNITS, NOW)
    assert result.review.newly_established == ["DIP-0001"]
    assert [i.summary for i in result.review.items] == ["Baru"]


def test_columns_found_by_header_text_in_any_order() -> None:
    register = memory_register()
    header = register.tabs[s.DIP_TAB][0]
    register.tabs[s.DIP_TAB][0] = list(reversed(header))
    register.add(s.DIP_TAB, established("A"))
    result = run(register, UNITS, NOW)
    assert [i.title for i in result.review.items] == ["A"]


def test_missing_header_is_a_clear_error_and_nothing_is_written() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, established("A"))
    register.tabs[s.DIP_TAB][0][3] = "Judul"  # "Judul Informasi" renamed
    with pytest.raises(LayoutError) as caught:
        run(register, UNITS, NOW)
    assert "'Judul Informasi'" in caught.value.message("id")
    assert register.applies == 0


def test_missing_tab_is_a_clear_error() -> None:
    register = memory_register()
    del register.tabs[s.DIK_TAB]
    with pytest.raises(LayoutError, match="dip init"):
        run(register, UNITS, NOW)


def test_rows_moved_between_read_and_write_never_receive_another_rows_write() -> None:
    for seed in range(60):
        rng = random.Random(seed)
        register = memory_register()
        for n in range(8):
            register.add(s.DIP_TAB, good_row(f"T{n}") if rng.random() < 0.5 else established(f"T{n}"))

        def staff_edit(reg: MemoryRegister, rng: random.Random = rng) -> None:
            body = reg.tabs[s.DIP_TAB][1:]
            rng.shuffle(body)
            if rng.random() < 0.5:
                body.insert(rng.randrange(len(body) + 1), list(reg.tabs[s.DIP_TAB][0]) and [None] * 3)
            if rng.random() < 0.3:
                del body[rng.randrange(len(body))]
            reg.tabs[s.DIP_TAB][1:] = body

        register.before_apply = staff_edit
        result = run(register, UNITS, NOW)
        id_of_title = {r.values[s.TITLE]: r.id for r in result.review.dip}
        header = [str(h) for h in register.tabs[s.DIP_TAB][0]]
        written = 0
        for row in register.tabs[s.DIP_TAB][1:]:
            written_id = cell_text(row[header.index(s.ID)]) if row else ""
            if written_id:
                written += 1
                assert written_id == id_of_title[row[header.index(s.TITLE)]], (seed, row)
        skipped = result.applied.skipped if result.applied else ()
        assert written + sum(w.header == s.ID for w in skipped) == 8  # every ID written or skipped


# ---- property test over random registers ------------------------------------------------------

TEXT = st.sampled_from(["", " ", "A", "Profil", "=1+1", "<script>x</script>", "٢٠٢٤ عربى", "😀", "x" * 50])
VALUE: st.SearchStrategy[Cell] = st.one_of(
    TEXT, st.integers(-5, 90000), st.floats(allow_nan=False, allow_infinity=False, width=32), st.none(),
    st.sampled_from(["2024", "31/02/2024", "7 Februari 2022", "Berkala", "Dikecualikan", "Softcopy",
                     "5 tahun", "https://a.id/x", "Ya", "Sudah", "Ditetapkan", "Perlu Revisi", UNITS[1],
                     s.APPROVE_CORRECTION, s.REJECT_CORRECTION]),
)
ROW = st.fixed_dictionaries({c.header: VALUE for c in s.DIP_COLUMNS})
GOODISH = st.builds(
    lambda title, done, fp: {**(established(title) if done else good_row(title)),
                             **({s.FINGERPRINT: "0" * 16} if fp else {})},
    st.sampled_from(["A", "B", "C", "D"]), st.booleans(), st.booleans(),
)


def staff_cells(register: MemoryRegister) -> dict[tuple[int, str], Cell]:
    rows = register.tabs[s.DIP_TAB]
    header = [str(h) for h in rows[0]]
    owned = [c.header for c in s.DIP_COLUMNS if c.owner is not s.Role.SYSTEM]
    return {(i, h): (row[header.index(h)] if header.index(h) < len(row) else None)
            for i, row in enumerate(rows[1:], start=1) for h in owned}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(ROW, GOODISH), max_size=12),
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from([c.header for c in s.DIP_COLUMNS]), VALUE),
             max_size=6),
)
def test_property_sync_is_safe_idempotent_and_complete(
    rows: list[dict[str, Cell]], edits: list[tuple[int, str, Cell]]
) -> None:
    register = memory_register()
    for row in rows:
        register.add(s.DIP_TAB, row)
    for round_ in range(2):
        before = staff_cells(register)
        first = run(register, UNITS, NOW)
        # no staff-owned cell is ever written
        assert all(s.TAB_BY_NAME[w.anchor.tab].column(w.header).owner is s.Role.SYSTEM
                   for w in register.written)
        assert staff_cells(register) == before
        # every problem row gets a message; every message-less row has no problem
        for state in first.review.dip:
            note = cell_text(register.get(s.DIP_TAB, state.anchor.row, s.NOTE))
            assert bool(note) == bool(state.findings)
        # only established, valid, untampered items are publishable; never an excluded one
        for item in first.review.items:
            assert item.category in s.CATEGORIES
        for state in first.review.dip:
            if state.publishable:
                assert state.steps.decision in s.KEEPS_ESTABLISHED and not state.findings
        # IDs unique, and a second sync writes nothing
        ids = [st.id for st in first.review.dip]
        assert len(ids) == len(set(ids))
        second = run(register, UNITS, NOW)
        assert not second.review.changes, second.review.changes
        assert [x.id for x in second.review.dip] == ids
        # a person edits between syncs
        if round_ == 0:
            for row_index, header, value in edits:
                body = register.tabs[s.DIP_TAB]
                if len(body) > 1 and s.TAB_BY_NAME[s.DIP_TAB].column(header).owner is not s.Role.SYSTEM:
                    target = body[1 + row_index % (len(body) - 1)]
                    column = [str(h) for h in body[0]].index(header)
                    target.extend([None] * (column + 1 - len(target)))
                    target[column] = value


def test_review_is_pure() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, established("A"))
    snapshot = register.read()
    first = review(snapshot, UNITS, NOW)
    second = review(snapshot, UNITS, NOW)
    assert first.changes == second.changes
