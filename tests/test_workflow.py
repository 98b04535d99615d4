"""The SOP's rules on a row: steps 1 to 3 read in order, steps 4 and 5 and ``Posisi SOP`` decided by
one function, establishment decided from ``Riwayat``; and comparing a row with its establishment is
stable for formula text, however it was read back."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from openpyxl.worksheet.formula import ArrayFormula

from dip_sheets import schema as s
from dip_sheets.ledger import (
    EVENT_EDITED,
    EVENT_ESTABLISHED,
    EVENT_REJECTED,
    EVENT_STEP3,
    EVENT_WITHDRAWN,
    Records,
    read_records,
)
from dip_sheets.register import Cell, cell_text
from dip_sheets.stages import Stage
from dip_sheets.sync import run
from dip_sheets.workflow import (
    SINCE,
    Establishment,
    Release,
    Steps,
    approval_choice,
    changed_columns,
    content_text,
    establishment,
    fingerprint,
    position,
    read_steps,
)
from tests.conftest import NOW, UNITS, established, good_row
from tests.memory_register import memory_register

FORMULA = "=ARRAYFORMULA(UPPER(B2:B9))"


def test_fingerprint_of_plain_rows_is_unchanged() -> None:
    """Sidik values already in registers stay valid: plain text is digested as before."""
    row = {**good_row("Profil"), s.SUMMARY: "  dua   spasi \n baris ", s.CREATED: 2024}
    old = "\x1f".join(" ".join(cell_text(row.get(h)).split()) for h in s.CONTENT_HEADERS)
    assert fingerprint(row) == hashlib.sha256(old.encode()).hexdigest()[:16]


def test_a_formula_object_compares_by_its_text_not_its_repr() -> None:
    first = {**good_row("A"), s.REMARKS: ArrayFormula("M2", FORMULA)}
    second = {**good_row("A"), s.REMARKS: ArrayFormula("M2", FORMULA)}
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) == fingerprint({**good_row("A"), s.REMARKS: FORMULA})
    assert content_text(ArrayFormula("M2", "=B1")) != content_text(ArrayFormula("M2", "=B2"))


def test_a_formula_kept_as_text_with_a_quote_equals_the_formula() -> None:
    assert content_text(f"'{FORMULA}") == content_text(FORMULA) == FORMULA
    assert changed_columns({s.REMARKS: f"'{FORMULA}"}, {s.REMARKS: FORMULA}) == []
    assert changed_columns({s.REMARKS: f"'{FORMULA}"}, {s.REMARKS: "=B1"}) == [s.REMARKS]
    assert content_text("'biasa") == "'biasa"  # an apostrophe before ordinary text is content


def test_a_formula_in_a_content_cell_does_not_make_the_row_look_edited() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, established("A", **{s.REMARKS: FORMULA}))
    assert run(register, UNITS, NOW).review.newly_established == ["DIP-0001"]
    # the Riwayat copy is kept as text, as a writer that neutralises formulas stores it
    history = register.tabs[s.HISTORY_TAB]
    column = [str(h) for h in history[0]].index(s.REMARKS)
    history[1][column] = f"'{FORMULA}"
    for _ in range(3):
        again = run(register, UNITS, NOW)
        assert not again.review.changes and again.review.items
    header = [str(h) for h in register.tabs[s.DIP_TAB][0]]
    register.tabs[s.DIP_TAB][index][header.index(s.SUMMARY)] = "diubah"
    edited = run(register, UNITS, NOW)
    assert edited.review.tampered == ["DIP-0001"]
    note = cell_text(register.get(s.DIP_TAB, index, s.NOTE))
    assert s.SUMMARY in note and s.REMARKS not in note
    assert not run(register, UNITS, NOW).review.changes  # recorded once


def test_step_order() -> None:
    steps, findings = read_steps({s.STEP1: "ya", s.STEP2: "sudah", s.STEP3: "ditetapkan"})
    assert findings == [] and steps.handed_over and steps.decision == "Ditetapkan"
    _, findings = read_steps({s.STEP3: "Ditetapkan"})
    assert [f.column for f in findings] == [s.STEP3]
    _, findings = read_steps({s.STEP1: "Ya", s.STEP2: "Belum", s.STEP3: "Ditetapkan"})
    assert [f.column for f in findings] == [s.STEP3]
    _, findings = read_steps({s.STEP2: "Sudah"})
    assert s.STEP2 in [f.column for f in findings]
    _, findings = read_steps({s.STEP3: "Mungkin"})
    assert any("bukan pilihan" in f.id for f in findings)
    _, findings = read_steps({s.STEP3: "Ditolak"})  # a rejection needs no prior step
    assert findings == []


# ---- the SOP's decisions, as pure functions ------------------------------------------------------

DONE = Steps(True, s.CLASSIFIED, s.ESTABLISHED)
TODAY = NOW.date()
EARLIER = "2026-11-01"


def test_position_keeps_stamps_and_the_stage_date_until_something_changes() -> None:
    cells = {s.STEP4: "step 4", s.STEP5: "step 5", s.STAGE: f"5 Diunggah{SINCE}{EARLIER}"}
    kept = position(cells, DONE, True, TODAY)
    assert kept.cells() == cells and kept.stage is Stage.PUBLISHED
    fresh = position(cells, DONE, True, TODAY, reset=True)  # established anew: not live yet
    assert fresh.cells() == {s.STEP4: "", s.STEP5: "", s.STAGE: f"4 Ditetapkan, belum diunggah{SINCE}{TODAY}"}
    blocked = position(cells, DONE, False, TODAY)  # stamps stay: they say what went live
    assert blocked.ordered == "step 4" and blocked.stage is Stage.BLOCKED and blocked.since == TODAY


def test_a_release_stamps_its_items_and_clears_the_others() -> None:
    ordered = Release(frozenset({"DIP-0001"}), "urut")
    empty = {s.STAGE: f"4 Ditetapkan, belum diunggah{SINCE}{EARLIER}"}
    step4 = position(empty, DONE, True, TODAY, release=ordered, item_id="DIP-0001")
    assert (step4.ordered, step4.uploaded, step4.stage) == ("urut", "", Stage.ESTABLISHED)
    assert step4.since.isoformat() == EARLIER
    live = replace(ordered, uploaded="unggah")
    step5 = position(step4.cells(), DONE, True, TODAY, release=live, item_id="DIP-0001")
    assert (step5.ordered, step5.uploaded, step5.stage, step5.since) == (
        "urut", "unggah", Stage.PUBLISHED, TODAY)
    again = position(step5.cells(), DONE, True, TODAY, release=replace(live, ordered="x", uploaded="y"),
                     item_id="DIP-0001")
    assert again == step5, "an earlier stamp says when the content went live"
    gone = position(step5.cells(), DONE, True, TODAY, release=live, item_id="DIP-0002")
    assert (gone.ordered, gone.uploaded) == ("", "")
    only_ordered = position(step5.cells(), DONE, True, TODAY, release=ordered, item_id="DIP-0002")
    assert (only_ordered.ordered, only_ordered.uploaded) == ("", "unggah"), "step 5 waits for the upload"


def test_establishment_establishes_flags_an_edit_once_and_withdraws() -> None:
    values = established("A")
    digest = fingerprint(values)
    new = establishment(Records(), "DIP-0001", values, s.ESTABLISHED, "", valid=True)
    assert (new.digest, new.event, new.recorded, new.tampered) == (digest, EVENT_ESTABLISHED, digest, False)
    assert establishment(Records(), "DIP-0001", values, s.ESTABLISHED, "", valid=False).digest == ""
    records = read_records([new.history("2026-11-25 10:00:00", "DIP-0001", values)])
    assert establishment(records, "DIP-0001", values, s.ESTABLISHED, digest, valid=True).event == ""
    edited_values = {**values, s.SUMMARY: "lain"}
    edited = establishment(records, "DIP-0001", edited_values, s.ESTABLISHED, digest, valid=True)
    assert (edited.digest, edited.event, edited.tampered, edited.changed) == (
        digest, EVENT_EDITED, True, (s.SUMMARY,))
    records = read_records([new.history("t", "DIP-0001", values),
                            edited.history("t", "DIP-0001", edited_values)])
    again = establishment(records, "DIP-0001", edited_values, s.ESTABLISHED, digest, valid=True)
    assert again.tampered and again.event == "", "an edit is recorded once"
    withdrawn = establishment(records, "DIP-0001", edited_values, s.NEEDS_REVISION, digest, valid=True)
    assert (withdrawn.digest, withdrawn.event, withdrawn.recorded, withdrawn.note) == (
        "", EVENT_WITHDRAWN, digest, s.NEEDS_REVISION)
    assert establishment(Records(), "DIP-0001", values, "", "", valid=True) == Establishment("")


def test_a_correction_is_approved_only_by_a_step_3_that_differs_from_the_one_last_recorded() -> None:
    values = established("A")
    digest = fingerprint(values)
    first = establishment(Records(), "DIP-0001", values, s.ESTABLISHED, "", valid=True)
    history = [first.history("t", "DIP-0001", values)]
    edited = {**values, s.SUMMARY: "lain"}

    def decide(decision: str, content: dict[str, Cell] = edited) -> Establishment:
        return establishment(read_records(history), "DIP-0001", content, decision, digest, valid=True)

    waiting = decide(s.ESTABLISHED)
    assert (waiting.event, waiting.note, waiting.tampered, waiting.digest) == (
        EVENT_EDITED, "Langkah 3 = Ditetapkan", True, digest)
    assert decide(s.REJECT_CORRECTION).rejected and decide(s.REJECT_CORRECTION).event == EVENT_REJECTED
    assert decide(s.APPROVE_CORRECTION, values).event == EVENT_STEP3  # content as established: recorded
    approved = decide(s.APPROVE_CORRECTION)
    assert (approved.approved, approved.digest, approved.event, approved.note, approved.changed) == (
        True, fingerprint(edited), EVENT_ESTABLISHED, "koreksi disetujui; Langkah 3 = Setujui Koreksi",
        (s.SUMMARY,))
    history.append(approved.history("t", "DIP-0001", edited))
    later = {**edited, s.TITLE: "B"}
    stale = establishment(read_records(history), "DIP-0001", later, s.APPROVE_CORRECTION, fingerprint(edited),
                          valid=True)
    assert stale.tampered and not stale.approved and approval_choice(s.APPROVE_CORRECTION) == s.ESTABLISHED
    tidied = establishment(read_records(history), "DIP-0001", edited, s.ESTABLISHED, fingerprint(edited),
                           valid=True)
    assert (tidied.event, tidied.note, tidied.tampered) == (EVENT_STEP3, "Langkah 3 = Ditetapkan", False)
