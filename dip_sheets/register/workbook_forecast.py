"""What a read of the workbook will find once a session's writes are saved, worked out from the read
the session started from and the edits the book has queued (the one record of what it writes), so
that the next run can take it instead of reading the file again (:mod:`.workbook_cache`).

A forecast is only made where it is certain. Every written value must read back as itself (plain
text, whole numbers, the ``Ringkasan``'s numbers); a value whose reading depends on the cell's format
(a date) or on escaping (``_x0041_``, control characters, a carriage return) gives up, as do a row
added or written where a tab with locked rows had none (its lock is not known) and protection put
back on a tab whose locked rows were not read. Giving up costs the next run one read of the file,
nothing more. ``tests/test_workbook_cache.py`` checks every forecast against a read of the saved
file.

The rows are made one at a time as the snapshot is written, never a second register in memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import schema as s
from . import Cell, Row, Snapshot, cell_text
from .relocating import ByColumn
from .workbook_book import Book
from .workbook_layout import lock_probe
from .xlsx_row import KEEP
from .xlsx_sheet import Worksheet

#: what keeps a text from reading back exactly as written: a character XML or OOXML escapes or
#: normalizes, or what an escape looks like
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x")


class Uncertain(Exception):
    """A write whose effect on the next read is not certain: no forecast."""


def read_back(value: object) -> Cell:
    """The cell a read finds where dip-sheets wrote ``value`` (as :func:`.xlsx.value_xml` writes
    it, as :meth:`.workbook_book.Book.rows` reads it); :class:`Uncertain` when that is not certain."""
    if value is None or value == "":
        return None
    if type(value) is str:
        if _ESCAPED.search(value):
            raise Uncertain
        return value
    if type(value) is bool:
        return value
    if type(value) is int and abs(value) < 2**53:
        return value
    if type(value) is float and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    raise Uncertain


def _dashboard_cell(value: Cell) -> Cell:
    """:func:`read_back` of a ``Ringkasan`` cell, written as its text unless it is a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_back(value)
    text = "" if value is None else value if isinstance(value, str) else cell_text(value)
    if text != text.strip():  # written without xml:space="preserve": its spaces may not read back
        raise Uncertain
    return read_back(text)


@dataclass(frozen=True)
class TabAfter:
    """One tab as the next read will find it: its rows (:meth:`row`), the rows it reads as locked
    among :attr:`locked` (those that hold a value), and its protection."""

    name: str
    before: Sequence[Row]
    sheet: Worksheet | None
    length: int
    locked: frozenset[int]
    protected: bool

    def row(self, index: int) -> Row:
        """Row ``index`` (0-based) as read once saved; :class:`Uncertain` when that is not known."""
        return _row_after(self.before, self.sheet, index)


def _row_after(before: Sequence[Row], sheet: Worksheet | None, index: int) -> Row:
    """Row ``index`` of a tab read as ``before`` once ``sheet``'s queued edits are saved."""
    base = before[index] if index < len(before) else []
    if sheet is None:
        return base
    added, edits = sheet.added.get(index + 1), sheet.edits.get(index + 1)
    if not added and not edits:
        return base  # the row as read, shared
    row = list(base)
    if added:  # 0-based columns, as the book adds them
        _put(row, added.cells() if isinstance(added, ByColumn) else dict(added.items()))
    if edits:  # 1-based; what a write sets over an added row
        _put(row, {column - 1: value for column, value in edits.items() if value is not KEEP})
    return _stripped(row)


class Forecast:
    """A session on a workbook read as ``before``: what it locks and replaces whole (the book holds
    the rest of what it writes), and whether protection is put back."""

    def __init__(self, before: Snapshot, *, protect: bool) -> None:
        self.before = before
        self.protect = protect
        self.locks: dict[str, frozenset[int]] = {}
        self.replaced: dict[str, list[Row]] = {}
        self.certain = True

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        self.locks[tab] = rows

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        try:
            self.replaced[tab] = [_stripped([_dashboard_cell(v) for v in row]) for row in rows]
        except Uncertain:
            self.certain = False

    def tabs(self, book: Book) -> list[TabAfter] | None:
        """Every tab of the snapshot after the book's queued edits; None when not certain."""
        if not self.certain:
            return None
        found = []
        for name, grid in self.before.tabs.items():
            if name in self.replaced:
                continue
            if self.protect and not grid.protected and name not in self.locks:
                return None  # protection put back: which rows read as locked was never read
            sheet = book.sheets.get(name)
            changed = (sheet.added.keys() | sheet.edits.keys()) if sheet is not None else set()
            definition = s.TAB_BY_NAME.get(name)
            if (definition is not None and lock_probe(definition) is not None
                    and any(n > len(grid.rows) or not grid.rows[n - 1] for n in changed)):
                return None  # a row that had no value gets one: whether it reads as locked is not known
            protected = grid.protected or self.protect
            locked = self.locks.get(name, grid.locked_rows) if protected else frozenset[int]()
            length = max(len(grid.rows), max(changed, default=0))
            try:  # as read: no trailing empty rows
                while length > 1 and not _row_after(grid.rows, sheet, length - 1):
                    length -= 1
            except Uncertain:
                return None
            found.append(TabAfter(name, grid.rows, sheet, length, locked, protected))
        for name, rows in self.replaced.items():  # written whole, protected as a whole
            while len(rows) > 1 and not rows[-1]:
                rows.pop()
            found.append(TabAfter(name, rows or [[]], None, max(len(rows), 1), frozenset(), True))
        return found


def _put(row: Row, cells: Mapping[int, object]) -> None:
    """Set ``cells`` (0-based column -> value written) in ``row`` as they will read; a row of text
    alone (most: a ``Riwayat`` row, a sync's notes) checked in one search, not cell by cell."""
    if not cells:
        return
    row.extend([None] * (max(cells) + 1 - len(row)))
    texts = [v for v in cells.values() if type(v) is str]
    if len(texts) < len(cells):
        for column, value in cells.items():
            row[column] = read_back(value)
    elif _ESCAPED.search("\n".join(texts)):
        raise Uncertain
    else:
        for column, text in zip(cells, texts, strict=True):  # every value a text, in the same order
            row[column] = text or None


def _stripped(row: Row) -> Row:
    while row and row[-1] is None:
        row.pop()
    return row
