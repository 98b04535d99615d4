"""A register held in memory, for testing the sync's logic quickly (like httpx's MockTransport).

Only the backend session is written here: relocation and skipping come from
:func:`dip_sheets.register.relocating.apply_changes`, exactly as on the real backends.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from dip_sheets import schema as s
from dip_sheets.messages import Message
from dip_sheets.register import (
    ApplyResult,
    Cell,
    CellWrite,
    Changes,
    Grid,
    Layout,
    Row,
    RowAnchor,
    Snapshot,
)
from dip_sheets.register.relocating import apply_changes


class MemoryRegister:
    location = "memori"

    def __init__(self) -> None:
        self.tabs: dict[str, list[Row]] = {}
        self.locked: dict[str, set[int]] = {}
        self.applies = 0
        #: every cell written (where it landed, under the schema's header), so tests can check
        #: nobody's cell was touched.
        self.written: list[CellWrite] = []
        #: called at the start of apply(), to play a person editing between read and write.
        self.before_apply: Callable[[MemoryRegister], None] | None = None

    def init(self, layout: Layout) -> list[Message]:
        for tab in layout.tabs:
            self.tabs.setdefault(tab.name, [list(tab.headers)])
            self.locked.setdefault(tab.name, set())
        return []

    def add(self, tab: str, values: dict[str, Cell]) -> int:
        """Type a row as a person would; returns its index."""
        self.tabs[tab].append([values.get(str(h)) for h in self.tabs[tab][0]])
        return len(self.tabs[tab]) - 1

    def get(self, tab: str, index: int, header: str) -> Cell:
        row = self.tabs[tab][index]
        column = [s.normalize_header(h) for h in self.tabs[tab][0]].index(s.normalize_header(header))
        return row[column] if column < len(row) else None

    def read(self) -> Snapshot:
        return Snapshot({name: Grid(copy.deepcopy(rows), frozenset(self.locked[name]))
                         for name, rows in self.tabs.items()})

    def apply(self, changes: Changes) -> ApplyResult:
        return apply_changes(self, changes)

    # ---- the backend session: the grid itself is the session ----------------------------------

    def session(self, tabs: Sequence[str], locks: bool) -> MemoryRegister:
        self.applies += 1
        if self.before_apply is not None:
            self.before_apply(self)
        return self

    def rows(self, tab: str) -> list[Row]:
        return self.tabs[tab]

    def write(self, tab: str, cells: Mapping[tuple[int, int], Cell]) -> None:
        located = s.locate_columns(s.TAB_BY_NAME[tab], self.tabs[tab][0])
        header_at = {index: header for header, index in located.items()}
        for (index, column), value in cells.items():
            row = self.tabs[tab][index]
            row.extend([None] * (column + 1 - len(row)))
            row[column] = value
            self.written.append(CellWrite(RowAnchor(tab, index, ""), header_at[column], value))

    def append(self, tab: str, rows: Sequence[Mapping[int, Cell]]) -> None:
        width = len(self.tabs[tab][0])
        self.tabs[tab] += [[values.get(c) for c in range(width)] for values in rows]

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        self.locked[tab] = set(rows)

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        self.tabs[tab] = [list(r) for r in rows]
        self.locked.setdefault(tab, set())

    def commit(self) -> Sequence[Message]:
        return ()


def memory_register() -> MemoryRegister:
    """An initialised register holding the PPID's decision of the year (publishing needs one)."""
    register = MemoryRegister()
    register.init(Layout(s.TABS, ()))
    for decision in decisions_of_the_year():
        register.add(s.DECISION_TAB, decision)
    return register


def decisions_of_the_year() -> list[dict[str, Cell]]:
    """A Keputusan PPID establishing the DIP and the DIK on 2 January of the tests' year (2026, the
    year of ``conftest.NOW``) and of the year the tests run in, so the year rule lets them publish."""
    years = sorted({2026, dt.date.today().year})
    return [{s.DECISION_NUMBER: f"1/PPID/{year}", s.DECISION_DATE: f"2 Januari {year}",
             s.DECISION_ESTABLISHES: s.DECIDES_BOTH} for year in years]
