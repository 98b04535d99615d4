"""The fast paths for text cells give exactly what the general path gave (issue 19's profile)."""

from __future__ import annotations

import hashlib
from unittest import mock

from hypothesis import example, given
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets import sync, validate
from dip_sheets.register import Cell, cell_text
from dip_sheets.register.workbook_book import _Cells, _value
from dip_sheets.review_table import Table
from dip_sheets.states import RowState
from dip_sheets.sync import sop_writes
from dip_sheets.validate import validate_dip_row
from dip_sheets.workflow import FORMULA_START, Release, content_text, fingerprint, position
from tests.conftest import NOW, UNITS, established, good_row
from tests.memory_register import memory_register


class Text(str):
    """A str subclass: takes the general path (``type(value) is str`` is false)."""


@given(st.text())
def test_cell_text_of_text_is_the_general_path(value: str) -> None:
    assert cell_text(value) == cell_text(Text(value)) == str(value).strip()


@given(st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\u00a0", "'", "=", "+", "a", "B", "1"])))
def test_content_text_of_text_is_the_general_path(value: str) -> None:
    text = " ".join(value.strip().split())
    expected = text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text
    assert content_text(value) == content_text(Text(value)) == expected


#: cells that make :func:`content_text` change a text: every kind of whitespace, the separator the
#: fingerprint joins cells with, a leading apostrophe before a formula's first character
_UNTIDY = st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\x1f", "\x1c", "'", "=",
                                            "a", "é"]), max_size=6)
_CELLS = st.one_of(st.none(), _UNTIDY, st.text(max_size=8), st.integers(), st.floats(allow_nan=False),
                   st.booleans(), st.datetimes())


@given(st.lists(_CELLS, min_size=len(s.CONTENT_HEADERS), max_size=len(s.CONTENT_HEADERS)))
def test_fingerprint_is_the_digest_of_every_cells_content_text(cells: list[Cell]) -> None:
    values = dict(zip(s.CONTENT_HEADERS, cells, strict=True))
    text = "\x1f".join(content_text(values.get(h)) for h in s.CONTENT_HEADERS)
    assert fingerprint(values) == hashlib.sha256(text.encode()).hexdigest()[:16]


@given(st.dictionaries(st.sampled_from(s.CONTENT_HEADERS), _CELLS))
def test_a_row_checked_from_its_texts_is_checked_as_from_its_cells(cells: dict[str, Cell]) -> None:
    values = {**good_row("Judul"), **cells}
    texts = {h: cell_text(values.get(h)) for h in s.CONTENT_HEADERS}
    assert validate_dip_row(values, UNITS, "DIP-0001", texts) == validate_dip_row(values, UNITS, "DIP-0001")
    assert fingerprint(texts) == fingerprint(values)  # the review digests a row's texts


#: texts a unit types, plain or not: the row-level look (``validate._plain``) must see every one
_TYPED = st.one_of(st.sampled_from(["", "Berkala", "Softcopy", "5 tahun", "2024", "a  b", "a | b", "a\tb",
                                    "bel\x07", "\u202eabc", "zero\u200bwidth", "é", "x" * 5001]),
                   st.text(alphabet=st.sampled_from([" ", "\t", "|", "a", "1", "é", "\x07", "\u200b"]),
                           max_size=6))


#: the columns kept as typed (only their spacing tidied): what the row-level look decides alone
_AS_TYPED = [c.header for c in s.DIP_COLUMNS if c.header in s.CONTENT_HEADERS and c.parse is s.Parse.TEXT]


@example(s.TITLE, "a  b", {})
@example(s.SUMMARY, "bel\x07", {})
@example(s.SUMMARY, "a\tb", {})
@example(s.REMARKS, "x" * 5001, {})
@example(s.TITLE, "\u202eabc", {})
@given(st.sampled_from(_AS_TYPED), _TYPED,
       st.dictionaries(st.sampled_from(s.CONTENT_HEADERS), _TYPED, max_size=3))
def test_a_plain_row_is_checked_as_each_cell_would_be(header: str, text: str, cells: dict[str, Cell]) -> None:
    values = {**good_row("Judul"), header: text, **cells}
    texts = Table.texts({h: values.get(h) for h in s.CONTENT_HEADERS})
    with mock.patch.object(validate, "_plain", lambda _texts: False):  # every cell looked at
        general = validate_dip_row(values, UNITS, "DIP-0001", texts)
    assert validate_dip_row(values, UNITS, "DIP-0001", texts) == general


#: long texts that repeat down a register: a publish's stamp, a warning the Ringkasan tab lists
_REPEATED = ("2026-12-02 10:00 · versi 20261202-030000Z · https://ppid.example.go.id/dip/",
             "Informasi Berkala ini lebih dari 6 bulan tidak diperbarui (terakhir 31 Desember 2024).")
_CALAMINE = st.one_of(st.text(max_size=3), st.text(min_size=40, max_size=300), st.sampled_from(_REPEATED),
                      st.just(""), st.booleans(), st.integers(), st.floats(), st.dates(),
                      st.datetimes(), st.times())


@given(st.lists(_CALAMINE, max_size=12))
def test_a_workbook_row_is_converted_cell_by_cell(raw: list[object]) -> None:
    raw = ["".join(list(v)) if type(v) is str else v for v in raw]  # equal texts, each its own object
    cells = list(map(_Cells().__getitem__, raw))
    expected = [(v or None) if type(v) is str else _value(v) for v in raw]
    assert [(type(c), c) for c in cells] == [(type(e), e) for e in expected]  # True stays True, 1.0 is 1
    shared = [c for v, c in zip(raw, cells, strict=True) if type(v) is str]
    assert all(a is b for a in shared for b in shared if a == b)  # a repeated text is held once


def _reviewed_rows() -> list[RowState]:
    """A register's rows in every stage, reviewed: some stamped by an earlier publish, two of them
    since ordered again by a publish whose upload failed (step 4 only)."""
    register = memory_register()
    for n, extra in enumerate([{}, {s.STEP1: "Ya"}, {s.STEP1: "Ya", s.STEP2: "Sudah"},
                               {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: s.NEEDS_REVISION},
                               {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: s.REJECTED}]):
        register.add(s.DIP_TAB, good_row(f"Draf {n}", **extra))
    for n in range(6):
        register.add(s.DIP_TAB, established(f"Ditetapkan {n}"))
    register.add(s.DIP_TAB, established("Tanpa ringkasan", **{s.SUMMARY: ""}))  # established, blocked
    sync.run(register, UNITS, NOW)
    stamped = Release(frozenset(f"DIP-{n:04d}" for n in range(6, 12)), "2026-11-20 10:00 · versi A",
                      "2026-11-20 10:01 · versi A · https://ppid.example.go.id/dip/")
    failed = Release(frozenset({"DIP-0010", "DIP-0011"}), "2026-11-25 10:00 · versi C")  # not uploaded
    for release in (stamped, failed):
        register.apply(sync.release(sync.review(register.read(), UNITS, NOW).dip, release, NOW.date()))
    return sync.review(register.read(), UNITS, NOW).dip


@given(st.sets(st.integers(1, 14)), st.sampled_from([None, "2026-12-02 10:01 · versi B · https://x/"]))
def test_a_release_skips_only_rows_it_leaves_as_they_are(live: set[int], uploaded: str | None) -> None:
    """:func:`~dip_sheets.sync.release` passes over a row whose stamps and stage stay: the writes and
    positions are those of every row taken through :func:`~dip_sheets.workflow.position`."""
    rows = _reviewed_rows()
    published = Release(frozenset(f"DIP-{n:04d}" for n in live), "2026-12-02 10:00 · versi B", uploaded)
    expected_writes, expected = [], []
    for row in rows:
        after = position(row.position.cells(), row.steps, row.publishable, NOW.date(), release=published,
                         item_id=row.id, correction=row.correction.stage if row.correction else None)
        expected_writes += sop_writes(row.anchor, row.position.cells(), after)
        expected.append(after)
    assert sync.release(rows, published, NOW.date()).writes == expected_writes
    assert [row.position for row in rows] == expected
