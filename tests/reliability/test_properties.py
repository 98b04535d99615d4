"""Random registers and random staff edits between syncs, on every backend.

The same scenario runs on the in-memory register (tests/memory_register.py), the workbook and the
Sheets backend (gspread against the emulator), each followed by a real publish to a local folder,
whose every byte is searched:

* no staff-owned cell is ever written (cells compared, and on Sheets every write request inspected);
* an excluded or unestablished item never appears in any published file;
* a sync right after a sync writes nothing;
* IDs are unique, stay with their row, and are never issued twice;
* every row problem has its message in ``Catatan Sinkron``, and a row without problems has none.

Each row carries a unique marker in ``Keterangan`` (which the random edits leave alone), so it can be
followed through sorting, deletion and copying and searched for in the published bytes.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dip_sheets import schema as s
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.publish import publish
from dip_sheets.register import Cell, Layout, Register, cell_text
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.register.workbook_cache import SnapshotCache
from dip_sheets.sync import review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row, site_files
from tests.memory_register import MemoryRegister
from tests.plugins import reliability as counts
from tests.reliability.conftest import (
    SheetsWorld,
    assert_fully_live,
    files_containing,
    live_files,
    staff_headers,
)

MARKER = "MRK{:03d}Q"
MARKER_RE = re.compile(r"MRK\d{3}Q")
#: staff columns the random edits may change (``Keterangan`` carries the row's marker).
EDITABLE = [h for h in staff_headers(s.DIP_TAB) if h != s.REMARKS]
TITLES = ["Profil Badan Publik", "Laporan Keuangan", "Rencana Strategis", "Agenda Pimpinan",
          "Struktur Organisasi", "Daftar Aset", "Laporan Kinerja", "Jadwal Pemilihan", "Peta TPS",
          "  profil   BADAN publik "]  # the last one duplicates the first: same item
WORDS = [
    "", " ", "Berkala", "Serta Merta", "Setiap Saat", "Dikecualikan", " dikecualikan ", "Softcopy",
    "Hardcopy", "Cetak dan Online", "5 tahun", "Permanen", "lama", "2024", "31/02/2024", "2024-13-01",
    "7 Februari 2022", "https://ppid.example.go.id/a.pdf", "javascript:alert(1)", "Ya", "Sudah",
    "Belum", "Perlu Perbaikan", "Ditetapkan", "ditetapkan", "Ditolak", "Perlu Revisi", UNITS[0],
    UNITS[2], "Unit Asing", "=1+1", "<script>alert(1)</script>", "😀 عربى", "x" * 300,
]
VALUE: st.SearchStrategy[Cell] = st.one_of(
    st.sampled_from(WORDS), st.integers(-3, 90000), st.none(), st.booleans(),
    st.floats(-1e6, 1e6, allow_nan=False, width=32),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
)
KINDS = ("draft", "handed", "classified", "established", "established", "established", "excluded",
         "rejected", "revision")


@dataclass(frozen=True)
class RowSpec:
    kind: str
    title: str
    overrides: tuple[tuple[str, Cell], ...]

    def values(self, marker: str) -> dict[str, Cell]:
        steps: dict[str, dict[str, Cell]] = {
            "draft": {}, "handed": {s.STEP1: "Ya"}, "classified": {s.STEP1: "Ya", s.STEP2: "Sudah"},
            "established": {}, "excluded": {s.CATEGORY: "Dikecualikan"},
            "rejected": {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditolak"},
            "revision": {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Perlu Revisi"},
        }
        base = (established(self.title) if self.kind in ("established", "excluded")
                else good_row(self.title))
        return {**base, **steps[self.kind], **dict(self.overrides), s.REMARKS: marker}


@dataclass(frozen=True)
class Edit:
    kind: str  # set | insert | delete | sort | copy
    pick: int = 0
    header: str = s.TITLE
    value: Cell = None
    spec: RowSpec | None = None
    descending: bool = False


ROW_SPEC = st.builds(
    RowSpec, st.sampled_from(KINDS), st.sampled_from(TITLES),
    st.one_of(st.just(()), st.lists(st.tuples(st.sampled_from(EDITABLE), VALUE), min_size=1,
                                    max_size=2).map(tuple)),
)
EDIT = st.one_of(
    st.builds(Edit, st.just("set"), st.integers(0, 60), st.sampled_from(EDITABLE), VALUE),
    st.builds(Edit, st.just("set"), st.integers(0, 60), st.just(s.STEP3),
              st.sampled_from(["Ditetapkan", "Perlu Revisi", "Ditolak", ""])),
    st.builds(Edit, st.just("insert"), st.integers(0, 60), spec=ROW_SPEC),
    st.builds(Edit, st.just("delete"), st.integers(0, 60)),
    st.builds(Edit, st.just("sort"), header=st.sampled_from([s.TITLE, s.CATEGORY, s.ID, s.STEP3]),
              descending=st.booleans()),
    st.builds(Edit, st.just("copy"), st.integers(0, 60)),
)
DIK_ROW = {
    s.DIK_INFORMATION: "Data pribadi pemilih", s.UNIT: UNITS[2],
    s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h", s.DIK_IF_OPENED: "Privasi terlanggar",
    s.DIK_IF_CLOSED: "Privasi terlindungi", s.DIK_PERIOD: "5 tahun",
    s.DIK_TEST_DATE: "2026-01-05", s.DIK_DECISION: "1/PPID/2026",
}


# ---- people at work: the same edits on both backends ------------------------------------------


class Editor(Protocol):
    """One sitting of a person at the DIP tab: look, then change rows."""

    def grid(self) -> list[list[Cell]]: ...
    def set(self, row: int, header: str, value: Cell) -> None: ...
    def insert(self, row: int, values: dict[str, Cell]) -> None: ...
    def delete(self, row: int) -> None: ...
    def sort(self, header: str, descending: bool) -> None: ...
    def append(self, values: dict[str, Cell]) -> None: ...


class Staff(Protocol):
    """The register as people reach it, on one backend."""

    register: Register

    def grids(self) -> dict[str, list[list[Cell]]]: ...
    def append(self, tab: str, rows: list[dict[str, Cell]]) -> None: ...
    def editing(self) -> AbstractContextManager[Editor]: ...
    def begin(self) -> None: ...
    def written_headers(self) -> list[tuple[str, str]]: ...
    def check_kept(self) -> None: ...


def _sort_key(value: Cell) -> tuple[int, Any]:
    """As a spreadsheet sorts: numbers (dates are numbers), then text, then booleans; empty last."""
    if value is None or value == "":
        return (3, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return (0, (value - dt.date(1899, 12, 30)).days)
    return (1, str(value).casefold())


class MemoryEditor:
    """Edits on the in-memory grid; a row's lock moves with it, as a cell format does in Excel."""

    def __init__(self, register: MemoryRegister) -> None:
        self.rows, self.locked = register.tabs[s.DIP_TAB], register.locked[s.DIP_TAB]
        self.columns = _columns(self.rows)

    def grid(self) -> list[list[Cell]]:
        return [list(r) for r in self.rows]

    def set(self, row: int, header: str, value: Cell) -> None:
        cells, column = self.rows[row], self.columns[header]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = value

    def _reorder(self, order: list[int]) -> None:
        """Rows 1.. become ``order`` (old indexes; -1 is a new blank row), locks following."""
        old, locked = self.rows[:], set(self.locked)
        self.rows[1:] = [old[i] if i >= 0 else [] for i in order]
        self.locked.clear()
        self.locked.update(n for n, i in enumerate(order, start=1) if i in locked)

    def insert(self, row: int, values: dict[str, Cell]) -> None:
        indexes = list(range(1, len(self.rows)))
        self._reorder([*indexes[:row - 1], -1, *indexes[row - 1:]])
        for header, value in values.items():
            self.set(row, header, value)

    def delete(self, row: int) -> None:
        self._reorder([i for i in range(1, len(self.rows)) if i != row])

    def sort(self, header: str, descending: bool) -> None:
        key = self.columns[header]

        def value(i: int) -> Cell:
            return self.rows[i][key] if key < len(self.rows[i]) else None

        body = range(1, len(self.rows))
        filled = [i for i in body if any(v is not None for v in self.rows[i])]
        empty = [i for i in filled if _sort_key(value(i))[0] == 3]
        full = sorted((i for i in filled if _sort_key(value(i))[0] != 3),
                      key=lambda i: _sort_key(value(i)), reverse=descending)
        self._reorder([*full, *empty, *(i for i in body if i not in filled)])

    def append(self, values: dict[str, Cell]) -> None:
        last = max((i for i, r in enumerate(self.rows) if any(v is not None for v in r)), default=0)
        while len(self.rows) < last + 2:
            self.rows.append([])
        for header, value in values.items():
            self.set(last + 1, header, value)


class MemoryStaff:
    """The register held in memory: the same relocation as the real backends, without I/O."""

    def __init__(self) -> None:
        self.memory = MemoryRegister()
        self.memory.init(Layout(s.TABS, UNITS))
        self.register: Register = self.memory
        self.since = 0

    def grids(self) -> dict[str, list[list[Cell]]]:
        return {tab: copy.deepcopy(self.memory.tabs[tab]) for tab in (s.DIP_TAB, s.DIK_TAB)}

    def append(self, tab: str, rows: list[dict[str, Cell]]) -> None:
        for values in rows:
            self.memory.add(tab, values)

    @contextmanager
    def editing(self) -> Iterator[Editor]:
        yield MemoryEditor(self.memory)

    def begin(self) -> None:
        self.since = len(self.memory.written)

    def written_headers(self) -> list[tuple[str, str]]:
        return [(w.anchor.tab, w.header) for w in self.memory.written[self.since:]
                if w.anchor.tab in (s.DIP_TAB, s.DIK_TAB)]

    def check_kept(self) -> None:
        """No snapshot: nothing to check."""


class WorkbookEditor:
    """Edits made with a spreadsheet program on the loaded .xlsx (values and styles move together)."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self.columns = s.locate_columns(s.TAB_BY_NAME[s.DIP_TAB], [c.value for c in sheet[1]])

    def grid(self) -> list[list[Cell]]:
        return [list(r) for r in self.sheet.iter_rows(values_only=True)]

    def set(self, row: int, header: str, value: Cell) -> None:
        self.sheet.cell(row + 1, self.columns[header] + 1).value = value

    def insert(self, row: int, values: dict[str, Cell]) -> None:
        self.sheet.insert_rows(row + 1)
        for header, value in values.items():
            self.sheet.cell(row + 1, self.columns[header] + 1).value = value

    def delete(self, row: int) -> None:
        self.sheet.delete_rows(row + 1)

    def sort(self, header: str, descending: bool) -> None:
        sheet, key = self.sheet, self.columns[header]
        width = sheet.max_column
        body = [[(c.value, copy.copy(c._style)) for c in sheet[r][:width]]
                for r in range(2, sheet.max_row + 1)]
        filled = [r for r in body if any(v is not None for v, _ in r)]
        blank = [r for r in body if all(v is None for v, _ in r)]
        empty = [r for r in filled if _sort_key(r[key][0])[0] == 3]
        full = sorted((r for r in filled if _sort_key(r[key][0])[0] != 3),
                      key=lambda r: _sort_key(r[key][0]), reverse=descending)
        for offset, cells in enumerate([*full, *empty, *blank]):
            for column, (value, style) in enumerate(cells, start=1):
                target = sheet.cell(offset + 2, column)
                target.value = value
                target._style = style

    def append(self, values: dict[str, Cell]) -> None:
        grid = self.grid()
        last = max((i for i, r in enumerate(grid) if any(v is not None for v in r)), default=0)
        for header, value in values.items():
            self.sheet.cell(last + 2, self.columns[header] + 1).value = value


class WorkbookStaff:
    """The register as a local workbook, edited the way Excel or LibreOffice would; each write keeps
    its snapshot for the next run (register/workbook_cache.py), as ``dip`` does."""

    def __init__(self, path: Path) -> None:
        self.cache = SnapshotCache(path.with_name("snapshot.json"), lambda: "test")
        self.register: Register = WorkbookRegister(path, self.cache)
        self.register.init(Layout(s.TABS, UNITS))
        self.path = path

    def check_kept(self) -> None:
        """The snapshot kept for the file as it is, if any, is what a read of it finds."""
        snapshot = self.cache.load(hashlib.sha256(self.path.read_bytes()).hexdigest())
        event("snapshot kept" if snapshot is not None else "no snapshot")
        if snapshot is not None:
            assert snapshot == WorkbookRegister(self.path).read()

    def grids(self) -> dict[str, list[list[Cell]]]:
        book = load_workbook(self.path, read_only=True)
        try:
            return {tab: [list(r) for r in book[tab].iter_rows(values_only=True)]
                    for tab in (s.DIP_TAB, s.DIK_TAB)}
        finally:
            book.close()

    def append(self, tab: str, rows: list[dict[str, Cell]]) -> None:
        append_rows(self.path, tab, rows)

    @contextmanager
    def editing(self) -> Iterator[Editor]:
        book = load_workbook(self.path)
        yield WorkbookEditor(book[s.DIP_TAB])
        book.save(self.path)

    def begin(self) -> None:
        """Nothing to reset: written cells are found by comparing the file."""

    def written_headers(self) -> list[tuple[str, str]]:
        return []


class SheetsEditor:
    """Edits made in the browser: each one lands on the sheet at once."""

    def __init__(self, world: SheetsWorld, sid: str) -> None:
        self.world, self.emu, self.sid = world, world.emu, sid

    def grid(self) -> list[list[Cell]]:
        return [list(r) for r in self.emu.tab_values(self.sid, s.DIP_TAB)]

    def set(self, row: int, header: str, value: Cell) -> None:
        self.world.put_row(self.sid, s.DIP_TAB, row + 1, {header: value})

    def insert(self, row: int, values: dict[str, Cell]) -> None:
        header = self.world.header(self.sid, s.DIP_TAB)
        self.emu.insert_rows(self.sid, s.DIP_TAB, row + 1, [[values.get(h, "") for h in header]])

    def delete(self, row: int) -> None:
        self.emu.delete_rows(self.sid, s.DIP_TAB, row + 1)

    def sort(self, header: str, descending: bool) -> None:
        self.emu.sort_rows(self.sid, s.DIP_TAB, header, descending=descending)

    def append(self, values: dict[str, Cell]) -> None:
        self.world.put_row(self.sid, s.DIP_TAB, len(self.grid()) + 1, values)


class SheetsStaff:
    """The register as an (emulated) Google sheet, edited in the browser."""

    def __init__(self, world: SheetsWorld) -> None:
        self.world, self.emu = world, world.emu
        self.sid = world.new_register()
        self.register: Register = world.register(self.sid)

    def grids(self) -> dict[str, list[list[Cell]]]:
        return {tab: [list(r) for r in self.emu.tab_values(self.sid, tab)]
                for tab in (s.DIP_TAB, s.DIK_TAB)}

    def append(self, tab: str, rows: list[dict[str, Cell]]) -> None:
        start = len(self.emu.tab_values(self.sid, tab)) + 1
        for offset, values in enumerate(rows):
            self.world.put_row(self.sid, tab, start + offset, values)

    @contextmanager
    def editing(self) -> Iterator[Editor]:
        yield SheetsEditor(self.world, self.sid)

    def begin(self) -> None:
        self.emu.reset_log()

    def check_kept(self) -> None:
        """No snapshot: a Google Sheet is read in full by every run."""

    def written_headers(self) -> list[tuple[str, str]]:
        """(tab, header) of every cell a values:batchUpdate since :meth:`begin` wrote."""
        found: list[tuple[str, str]] = []
        headers = {tab: self.world.header(self.sid, tab) for tab in (s.DIP_TAB, s.DIK_TAB)}
        for request in self.emu.log:
            if request.api != "values.batchUpdate":
                continue
            for value_range in request.body["data"]:
                match = re.fullmatch(r"'([^']+)'!([A-Z]+)\d+(?::([A-Z]+)\d+)?", value_range["range"])
                assert match, value_range["range"]
                tab = match[1]
                if tab not in headers:
                    continue  # Riwayat and Sistem are written only by the sync
                first, last = _index(match[2]), _index(match[3] or match[2])
                found += [(tab, headers[tab][c]) for c in range(first, last + 1)]
        return found


def _index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1


# ---- the scenario and its oracles --------------------------------------------------------------


def _norm(value: Cell) -> str:
    return " ".join(cell_text(value).split()).casefold()


def _raw_candidate(values: dict[str, Cell]) -> bool:
    """Independent of the sync's code: could this row be published at all? (established by the
    PPID, and not excluded information)"""
    return _norm(values.get(s.STEP3)) == "ditetapkan" and _norm(values.get(s.CATEGORY)) != "dikecualikan"


@dataclass
class Tracker:
    """What the scenario remembers across rounds."""

    next_marker: int = 0
    id_of: dict[str, str] = field(default_factory=dict)  # marker -> ID
    owner_of: dict[str, str] = field(default_factory=dict)  # ID -> marker, never reassigned
    ever_candidate: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)

    def new(self) -> str:
        marker = MARKER.format(self.next_marker)
        self.next_marker += 1
        self.markers.add(marker)
        return marker


def _columns(grid: list[list[Cell]], tab: str = s.DIP_TAB) -> dict[str, int]:
    return s.locate_columns(s.TAB_BY_NAME[tab], grid[0])


def _value(row: list[Cell], columns: dict[str, int], header: str) -> Cell:
    index = columns[header]
    return row[index] if index < len(row) else None


def _data_indexes(grid: list[list[Cell]], columns: dict[str, int]) -> list[int]:
    staff = [columns[h] for h in staff_headers(s.DIP_TAB)]
    return [i for i in range(1, len(grid))
            if any(j < len(grid[i]) and cell_text(grid[i][j]) for j in staff)]


def _apply_edits(staff: Staff, edits: list[Edit], tracker: Tracker) -> None:
    """Apply the edits in order, copies last (a copy made below its original, as people do)."""
    copied: set[str] = set()
    with staff.editing() as editor:
        for edit in sorted(edits, key=lambda e: e.kind == "copy"):
            grid = editor.grid()
            columns = _columns(grid)
            data = _data_indexes(grid, columns)
            if edit.kind == "sort":
                editor.sort(edit.header, edit.descending)
            elif edit.kind == "insert" and edit.spec is not None:
                editor.insert(1 + edit.pick % len(grid), edit.spec.values(tracker.new()))
            elif not data:
                continue
            elif edit.kind == "set":
                editor.set(data[edit.pick % len(data)], edit.header, edit.value)
            elif edit.kind == "delete":
                row = data[edit.pick % len(data)]
                if cell_text(_value(grid[row], columns, s.REMARKS)) not in copied:
                    editor.delete(row)
            elif edit.kind == "copy":
                source = grid[data[edit.pick % len(data)]]
                copied.add(cell_text(_value(source, columns, s.REMARKS)))
                values = {h: _value(source, columns, h) for h in columns}
                editor.append({**values, s.REMARKS: tracker.new()})


def _staff_cells(grids: dict[str, list[list[Cell]]]) -> dict[tuple[str, int, str], str]:
    cells: dict[tuple[str, int, str], str] = {}
    for tab, grid in grids.items():
        columns = _columns(grid, tab)
        for index, row in enumerate(grid[1:], start=1):
            for header in staff_headers(tab):
                value = _value(row, columns, header)
                cells[(tab, index, header)] = "" if value in (None, "") else repr(value)
    return cells


def _check_no_staff_write(staff: Staff, before: dict[tuple[str, int, str], str], what: str
                          ) -> dict[str, list[list[Cell]]]:
    """Compare every staff cell, and on Sheets every cell a write request addressed."""
    grids = staff.grids()
    assert _staff_cells(grids) == before, f"{what} changed a staff-owned cell"
    for tab, header in staff.written_headers():
        assert s.TAB_BY_NAME[tab].column(header).owner is s.Role.SYSTEM, (what, tab, header)
    return grids


def _check_sync(staff: Staff, tracker: Tracker, when: dt.datetime) -> None:
    staff.begin()
    before = _staff_cells(staff.grids())
    result = run(staff.register, UNITS, when)
    staff.check_kept()
    grids = _check_no_staff_write(staff, before, "sync")
    assert result.applied is None or result.applied.skipped == ()
    grid = grids[s.DIP_TAB]
    columns = _columns(grid)
    ids = [r.id for r in result.review.dip]
    assert len(ids) == len(set(ids)), ids
    for state in result.review.dip:
        row = grid[state.anchor.row]
        assert cell_text(_value(row, columns, s.ID)) == state.id
        assert re.fullmatch(r"DIP-\d{4}", state.id)
        note = cell_text(_value(row, columns, s.NOTE))
        assert note == "; ".join(f.id for f in state.findings), (state.id, note)
        assert bool(note) == bool(state.findings)
        marker = cell_text(_value(row, columns, s.REMARKS))
        if marker in tracker.id_of:
            assert tracker.id_of[marker] == state.id, f"{marker} changed its ID"
        assert tracker.owner_of.setdefault(state.id, marker) == marker, f"{state.id} issued twice"
        tracker.id_of[marker] = state.id
    dik_grid = grids[s.DIK_TAB]
    dik_columns = _columns(dik_grid, s.DIK_TAB)
    for dik in result.review.dik:
        note = cell_text(_value(dik_grid[dik.anchor.row], dik_columns, s.NOTE))
        assert note == "; ".join(f.id for f in dik.findings)
    again = run(staff.register, UNITS, when)
    assert not again.review.changes and again.applied is None, again.review.changes


def _check_publish(staff: Staff, tracker: Tracker, config: Config, site: Path, when: dt.datetime) -> None:
    staff.begin()
    grids = staff.grids()
    before = _staff_cells(grids)
    grid = grids[s.DIP_TAB]
    columns = _columns(grid)
    candidates: set[str] = set()
    for index in _data_indexes(grid, columns):
        values = {h: _value(grid[index], columns, h) for h in columns}
        if _raw_candidate(values):
            candidates.add(cell_text(values[s.REMARKS]))
    tracker.ever_candidate |= candidates
    publish(config, staff.register, FolderTarget(site), now=when, force=True)
    staff.check_kept()
    _check_no_staff_write(staff, before, "publish")
    assert_fully_live(site)
    after = review(staff.register.read(), UNITS, when)
    # a row whose correction waits keeps its established version live (issue 13)
    published = {item.remarks for item in after.items}
    assert published <= candidates, published - candidates
    event(f"published {min(len(published), 3)}+ items" if published else "published nothing")
    if after.tampered:
        event("an established row was edited")
    files, live = site_files(site), live_files(site)
    current = {name: body for name, body in live.items() if name != "riwayat.html"}
    for marker in sorted(tracker.markers):
        if marker not in tracker.ever_candidate:
            assert not files_containing(files, marker.encode()), f"{marker} was never publishable"
        elif marker not in published:
            assert not files_containing(current, marker.encode()), f"{marker} is not publishable now"
        else:
            assert marker.encode() in live["dip.json"], f"{marker} should be live"
    for name in ("dip.json", "dip.csv", "dip.xlsx", "index.html", "dip-fragment.html"):
        for path, body in files.items():
            if path.rpartition("/")[2] == name:
                assert not files_containing({path: body}, b"DIKMRK"), path


def _scenario(staff: Staff, rows: list[RowSpec], rounds: list[list[Edit]], base: Path) -> None:
    tracker = Tracker()
    staff.append(s.DIP_TAB, [spec.values(tracker.new()) for spec in rows])
    staff.append(s.DIK_TAB, [{**DIK_ROW, s.DIK_INFORMATION: f"DIKMRK{n} {DIK_ROW[s.DIK_INFORMATION]}"}
                             for n in range(2)])
    config = dataclasses.replace(default_config(base), publish=PublishSettings(folder=base / "situs"))
    for number, edits in enumerate([[], *rounds]):
        when = NOW + dt.timedelta(hours=number)
        _apply_edits(staff, edits, tracker)
        _check_sync(staff, tracker, when)
        _check_publish(staff, tracker, config, base / "situs", when + dt.timedelta(minutes=30))
    counts.cases()


SCENARIO = given(st.lists(ROW_SPEC, min_size=1, max_size=10),
                 st.lists(st.lists(EDIT, max_size=5), min_size=1, max_size=2))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@SCENARIO
def test_memory_register_keeps_every_promise(rows: list[RowSpec], rounds: list[list[Edit]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _scenario(MemoryStaff(), rows, rounds, Path(folder))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@SCENARIO
def test_workbook_backend_keeps_every_promise(rows: list[RowSpec], rounds: list[list[Edit]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        _scenario(WorkbookStaff(base / "register.xlsx"), rows, rounds, base)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@SCENARIO
def test_sheets_backend_keeps_every_promise(sheets_world: SheetsWorld, rows: list[RowSpec],
                                            rounds: list[list[Edit]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _scenario(SheetsStaff(sheets_world), rows, rounds, Path(folder))
