"""Comparing a row with its establishment is stable for formula text, however it was read back."""

from __future__ import annotations

import hashlib

from openpyxl.worksheet.formula import ArrayFormula

from dip_sheets import schema as s
from dip_sheets.register import cell_text
from dip_sheets.sync import run
from dip_sheets.workflow import changed_columns, content_text, fingerprint, read_steps
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
