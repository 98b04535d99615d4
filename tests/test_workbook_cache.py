"""The snapshot a write keeps for the next run (register/workbook_cache.py, workbook_forecast.py):
it is what a read of the saved file finds, it is taken only for exactly those bytes, and anything
else (a file staff saved, a damaged or foreign snapshot, a value whose reading is not certain) is a
read of the file, as without it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dip_sheets import schema as s
from dip_sheets.config import default_config
from dip_sheets.connect import open_register
from dip_sheets.office import Office
from dip_sheets.register import Cell, CellWrite, Changes, Layout, RowAnchor, row_key
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.register.workbook_cache import SnapshotCache
from tests.conftest import UNITS, established, good_row

DIP = s.TAB_BY_NAME[s.DIP_TAB]
SYSTEM = [c.header for c in DIP.columns if c.owner is s.Role.SYSTEM]


def cached(path: Path) -> WorkbookRegister:
    return WorkbookRegister(path, SnapshotCache(path.with_name("snapshot.json"), lambda: "test"))


def kept(register: WorkbookRegister) -> Any:
    assert register.cache is not None
    return register.cache.load(hashlib.sha256(register.path.read_bytes()).hexdigest())


def _register(path: Path, rows: int = 6) -> WorkbookRegister:
    WorkbookRegister(path).init(Layout(s.TABS, UNITS))
    append_rows(path, s.DIP_TAB, [established(f"Informasi {n}") if n % 2 else good_row(f"Informasi {n}")
                                  for n in range(rows)])
    return cached(path)


def _anchor(rows: list[list[Cell]], index: int, tab: s.Tab = DIP) -> RowAnchor:
    return RowAnchor(tab.name, index, row_key(tab, s.locate_columns(tab, rows[0]), rows[index]))


def test_a_write_keeps_what_a_read_of_the_saved_file_finds(tmp_path: Path) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    anchors = [_anchor(rows, i) for i in range(1, len(rows))]
    register.apply(Changes(
        [CellWrite(a, s.NOTE, f"catatan {n}") for n, a in enumerate(anchors)],
        {s.HISTORY_TAB: [{s.HISTORY_TIME: "2026-12-02 10:00", s.ID: "DIP-0001",
                          s.HISTORY_EVENT: "Ditetapkan"}]},
        {s.DIP_TAB: frozenset(anchors[::2])}, {s.DASHBOARD_TAB: [["Ringkasan"], [], ["Baris", 3, 2.5]]}))
    snapshot = kept(register)
    assert snapshot is not None, "a plain write must be forecast"
    assert snapshot == WorkbookRegister(register.path).read()
    assert snapshot.tabs[s.DIP_TAB].locked_rows == frozenset(a.row for a in anchors[::2])


def test_the_next_read_of_those_bytes_opens_no_values(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    register.apply(Changes([CellWrite(_anchor(rows, 1), s.NOTE, "catatan")]))
    expected = WorkbookRegister(register.path).read()
    opened: list[object] = []
    real = python_calamine.CalamineWorkbook.from_filelike

    def opening(data: object) -> object:
        opened.append(data)
        return real(data)  # type: ignore[arg-type]  # the file-like object it was given
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", opening)
    again = cached(register.path)
    assert again.read() == expected and opened == []
    # and a write after it relocates its rows with the kept values, not a read of them
    again.apply(Changes([CellWrite(_anchor(rows, 2), s.NOTE, "lagi")]))
    assert opened == []
    assert cached(register.path).read() == WorkbookRegister(register.path).read()


def test_a_file_staff_saved_since_is_read(tmp_path: Path) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    register.apply(Changes([CellWrite(_anchor(rows, 1), s.NOTE, "catatan")]))
    assert kept(register) is not None
    append_rows(register.path, s.DIP_TAB, [good_row("Baris baru dari staf")])
    book = load_workbook(register.path)  # and saved again by a spreadsheet program
    book.save(register.path)
    read = cached(register.path).read()
    assert read == WorkbookRegister(register.path).read()
    assert "Baris baru dari staf" in [r[3] for r in read.tabs[s.DIP_TAB].rows[1:]]


@pytest.mark.parametrize("damage", ["truncated", "a byte changed", "another version", "other bytes",
                                    "not JSON", "empty"])
def test_a_damaged_or_foreign_snapshot_is_not_taken(tmp_path: Path, damage: str) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    register.apply(Changes([CellWrite(_anchor(rows, 1), s.NOTE, "catatan")]))
    assert register.cache is not None
    file = register.cache.path
    data = file.read_bytes()
    if damage == "truncated":
        file.write_bytes(data[:len(data) // 2])
    elif damage == "a byte changed":
        at = data.index(b"catatan")
        file.write_bytes(data[:at] + b"X" + data[at + 1:])
    elif damage == "another version":
        other = dataclasses.replace(register.cache, made_by=lambda: "other")
        register = WorkbookRegister(register.path, other)
    elif damage == "other bytes":
        file.write_bytes(data.replace(hashlib.sha256(register.path.read_bytes()).hexdigest().encode(),
                                      b"f" * 64))
    elif damage == "not JSON":
        file.write_bytes(b"\x00\xff" + data)
    else:
        file.write_bytes(b"")
    assert kept(register) is None
    assert register.read() == WorkbookRegister(register.path).read()


@pytest.mark.parametrize("value", ["_x0041_", "a\rb", "kendali\x01", dt.datetime(2026, 12, 2, 10, 0),
                                   2**60])
def test_a_value_whose_reading_is_not_certain_is_not_forecast(tmp_path: Path, value: Cell) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    register.apply(Changes([CellWrite(_anchor(rows, 1), s.NOTE, "catatan")]))
    before = kept(register)
    assert before is not None
    register.read()
    register.apply(Changes([CellWrite(_anchor(rows, 2), s.NOTE, value)]))
    assert kept(register) is None  # the next run reads the file
    assert register.read() == WorkbookRegister(register.path).read()


def test_a_failed_save_leaves_no_snapshot_of_bytes_never_saved(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    register = _register(tmp_path / "register.xlsx")
    rows = register.read().tabs[s.DIP_TAB].rows
    before = register.path.read_bytes()
    monkeypatch.setattr("dip_sheets.register.workbook.os.replace", _fail)
    with pytest.raises(OSError):
        register.apply(Changes([CellWrite(_anchor(rows, 1), s.NOTE, "catatan")]))
    assert register.cache is not None
    assert register.path.read_bytes() == before
    assert not register.cache.path.exists()
    assert list(tmp_path.glob(".snapshot*")) == []


def _fail(*_: object) -> None:
    raise OSError("disk full")


def test_a_sync_after_a_sync_that_wrote_reads_no_values(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The everyday case: cron's sync gives IDs and writes notes; the next one, with nothing changed,
    reviews the register as kept, and finds what a read would."""
    config = dataclasses.replace(default_config(tmp_path), state_dir=tmp_path / "state")
    WorkbookRegister(config.register.path).init(Layout(s.TABS, UNITS))
    append_rows(config.register.path, s.DIP_TAB, [established(f"Informasi {n}") for n in range(5)]
                + [good_row("Tanpa penanggung jawab", **{s.RESPONSIBLE: ""})])
    first = Office(config).sync()
    assert first.applied is not None and first.applied.cells_written
    (tmp_path / "state" / f"memo-sync-{config.name}.json").unlink(missing_ok=True)
    reference = Office(dataclasses.replace(config, state_dir=tmp_path / "elsewhere")).sync()
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", _refuse)
    again = Office(config).sync()
    assert again.applied is None and not again.review.changes
    found = [(r.id, r.findings) for r in again.review.dip]
    assert found == [(r.id, r.findings) for r in reference.review.dip]


def _refuse(*_: object) -> None:
    raise AssertionError("the workbook's values were read")


# ---- every write, forecast or not, against a read of the saved file ------------------------------

TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["", " ", " awal", "akhir ", "dua\nbaris", "\t",
                                                       "_x0041_", "a\rb", "Sudah", "é ü 中"]))
VALUE = st.one_of(st.none(), TEXT, TEXT, st.integers(-2**60, 2**60), st.booleans(),
                  st.floats(allow_nan=False, allow_infinity=False),
                  st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2100, 1, 1)))


HISTORY = s.TAB_BY_NAME[s.HISTORY_TAB]
HISTORY_HEADERS = [c.header for c in HISTORY.columns]


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    rows = draw(st.integers(1, 6))
    return {
        "rows": rows,
        "unprotected": draw(st.booleans()),
        "spaces": draw(st.booleans()),
        "writes": draw(st.lists(st.tuples(st.integers(1, rows), st.sampled_from(SYSTEM), VALUE),
                                max_size=6)),
        "history": draw(st.lists(st.tuples(st.integers(1, 2), st.sampled_from(HISTORY_HEADERS), VALUE),
                                 max_size=3)),
        "appends": draw(st.lists(st.dictionaries(st.sampled_from(HISTORY_HEADERS), VALUE, max_size=4),
                                 max_size=3)),
        "locks": draw(st.none() | st.sets(st.integers(1, rows))),
        "dashboard": draw(st.none() | st.lists(st.lists(VALUE, max_size=3), max_size=4)),
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(batch=batches())
def test_what_is_kept_is_always_what_a_read_finds(tmp_path_factory: pytest.TempPathFactory,
                                                  batch: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("kept") / "register.xlsx"
    register = _register(path, batch["rows"])
    history: list[dict[str, Cell]] = [{s.HISTORY_TIME: "2026-12-01", s.ID: "DIP-0001"},
                                      {s.HISTORY_TIME: "2026-12-02", s.ID: "DIP-0002"}]
    if batch["spaces"]:  # a row staff left holding only a space, where an append goes next
        history.append({s.ID: " "})
    append_rows(path, s.HISTORY_TAB, history)
    if batch["unprotected"]:  # unprotected to sort, and forgotten
        book = load_workbook(path)
        book[s.DIP_TAB].protection.sheet = False
        book.save(path)
    read = register.read()
    rows, written = read.tabs[s.DIP_TAB].rows, read.tabs[s.HISTORY_TAB].rows
    anchors = {i: _anchor(rows, i) for i in range(1, len(rows))}
    locks = batch["locks"]
    register.apply(Changes(
        [CellWrite(anchors[i], header, value) for i, header, value in batch["writes"]]
        + [CellWrite(_anchor(written, i, HISTORY), header, value) for i, header, value in batch["history"]],
        {s.HISTORY_TAB: batch["appends"]} if batch["appends"] else {},
        None if locks is None else {s.DIP_TAB: frozenset(anchors[i] for i in locks)},
        {} if batch["dashboard"] is None else {s.DASHBOARD_TAB: batch["dashboard"]}))
    snapshot = kept(register)
    event("forecast" if snapshot is not None else "read again")
    if snapshot is not None:
        assert snapshot == WorkbookRegister(path).read()


def test_a_change_after_the_snapshot_was_written_drops_it(tmp_path: Path) -> None:
    """The snapshot is written when the ``Ringkasan`` is replaced (it comes last in a batch); a
    session changing the workbook after that keeps none rather than a stale one."""
    register = _register(tmp_path / "register.xlsx")
    register.read()
    session = register.session([s.DIP_TAB, s.DASHBOARD_TAB], False)
    session.replace(s.DASHBOARD_TAB, [["Ringkasan"]])
    note = s.locate_columns(DIP, session.rows(s.DIP_TAB)[0])[s.NOTE]
    session.write(s.DIP_TAB, {(1, note): "ditulis sesudahnya"})
    session.commit()
    assert kept(register) is None
    assert WorkbookRegister(register.path).read().tabs[s.DIP_TAB].rows[1][note] == "ditulis sesudahnya"


def test_opening_the_register_writes_nothing_in_the_state_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """What made a snapshot is digested only when one is read or written: ``dip init`` or
    ``dip check`` on an office whose state folder does not exist yet leaves it so."""
    digested: list[Path] = []

    def digest(folder: Path) -> str:
        digested.append(folder)
        return "x"
    monkeypatch.setattr("dip_sheets.run_memo.source_digest", digest)
    config = dataclasses.replace(default_config(tmp_path), state_dir=tmp_path / "state")
    open_register(config)
    assert digested == [] and not (tmp_path / "state").exists()
