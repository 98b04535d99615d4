"""A register held in memory, for testing the sync's logic quickly (like httpx's MockTransport).

It implements the same protocol as the workbook and the Google sheet, relocation included, and
records every cell it was asked to write so tests can check nobody's cell was touched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

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
    anchors_after,
    relocate,
)


class MemoryRegister:
    location = "memori"

    def __init__(self) -> None:
        self.tabs: dict[str, list[Row]] = {}
        self.locked: dict[str, set[int]] = {}
        self.written: list[CellWrite] = []
        self.applies = 0
        #: called at the start of apply(), to play a person editing between read and write.
        self.before_apply: Callable[[MemoryRegister], None] | None = None

    def init(self, layout: Layout) -> list[Message]:
        for tab in layout.tabs:
            self.tabs.setdefault(tab.name, [list(tab.headers)])
            self.locked.setdefault(tab.name, set())
        return []

    def add(self, tab: str, values: dict[str, Cell]) -> int:
        """Type a row as a person would; returns its index."""
        header = self.tabs[tab][0]
        self.tabs[tab].append([values.get(str(h)) for h in header])
        return len(self.tabs[tab]) - 1

    def get(self, tab: str, index: int, header: str) -> Cell:
        row = self.tabs[tab][index]
        column = self.tabs[tab][0].index(header)
        return row[column] if column < len(row) else None

    def read(self) -> Snapshot:
        return Snapshot({
            name: Grid(copy.deepcopy(rows), frozenset(self.locked[name])) for name, rows in self.tabs.items()
        })

    def apply(self, changes: Changes) -> ApplyResult:
        if not changes:
            return ApplyResult(0, 0)
        self.applies += 1
        if self.before_apply is not None:
            self.before_apply(self)
        skipped = []
        written = 0
        anchors: dict[RowAnchor, RowAnchor] = {}
        locks = changes.locks or {}
        for name in {w.anchor.tab for w in changes.writes} | set(locks):
            rows = self.tabs[name]
            writes = [w for w in changes.writes if w.anchor.tab == name]
            where = relocate(s.TAB_BY_NAME[name], [*(w.anchor for w in writes), *locks.get(name, ())], rows)
            anchors.update(anchors_after(s.TAB_BY_NAME[name], rows, where, writes))
            for write in writes:
                index = where[write.anchor]
                if index is None:
                    skipped.append(write)
                    continue
                column = [str(h) for h in rows[0]].index(write.header)
                row = rows[index]
                row.extend([None] * (column + 1 - len(row)))
                row[column] = write.value
                self.written.append(write)
                written += 1
            if name in locks:
                self.locked[name] = {i for a in locks[name] if (i := where[a]) is not None}
        appended = 0
        for name, new_rows in changes.appends.items():
            header = [str(h) for h in self.tabs[name][0]]
            for values in new_rows:
                self.tabs[name].append([values.get(h) for h in header])
                appended += 1
        return ApplyResult(written, appended, tuple(skipped), anchors=anchors)


def memory_register() -> MemoryRegister:
    register = MemoryRegister()
    register.init(Layout(s.TABS, ()))
    return register
