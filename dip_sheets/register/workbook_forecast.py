"""What a read of the workbook will find once a session's writes are saved, worked out from the read
the session started from, so that the next run can take it instead of reading the file again
(:mod:`.workbook_cache`).

A forecast is only made where it is certain. Every written value must read back as itself (plain
text, whole numbers, the ``Ringkasan``'s numbers); a value whose reading depends on the cell's format
(a date) or on escaping (``_x0041_``, control characters, a carriage return) gives up, as do rows
appended after rows a person left holding only spaces, a write into a row that was empty, and
protection put back on a tab whose locked rows were not read. Giving up costs the next run one read
of the file, nothing more. ``tests/test_workbook_cache.py`` checks every forecast against a read of
the saved file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from .. import schema as s
from . import Cell, Grid, Row, Snapshot, cell_text
from .relocating import ByColumn
from .workbook_layout import last_used_row, lock_probe

#: what keeps a text from reading back exactly as written: a character XML or OOXML escapes or
#: normalizes, or what an escape looks like
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x")


class _Unknown(Exception):
    """A write whose effect on the next read is not certain: no forecast."""


def read_back(value: object) -> Cell:
    """The cell a read finds where dip-sheets wrote ``value`` (as :func:`.xlsx.value_xml` writes
    it, as :meth:`.workbook_book.Book.rows` reads it); :class:`_Unknown` when that is not certain."""
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is str:
        text: str = value  # type: ignore[assignment]  # its type was just checked
        if _ESCAPED.search(text):
            raise _Unknown
        return text
    if kind is bool:
        return value  # type: ignore[return-value]  # a bool, just checked
    if kind is int and abs(value) < 2**53:  # type: ignore[arg-type]  # an int, just checked
        return value  # type: ignore[return-value]
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]  # a float, just checked
        number: float = value  # type: ignore[assignment]
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    raise _Unknown


def _dashboard_cell(value: Cell) -> Cell:
    """:func:`read_back` of a ``Ringkasan`` cell, written as its text unless it is a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_back(value)
    text = "" if value is None else value if isinstance(value, str) else cell_text(value)
    if text != text.strip():  # written without xml:space="preserve": its spaces may not read back
        raise _Unknown
    return read_back(text)


class Forecast:
    """The writes of one session on a workbook read as ``before``, as the next read will see them.

    Each tab written is held as the list of its rows after the writes: a row written is a copy, every
    other row the one read (at 100,000 rows the forecast adds the rows a first sync writes, not a
    second register)."""

    def __init__(self, before: Snapshot, *, protect: bool) -> None:
        #: every tab as it will read, but for its locks, protection and trailing empty rows
        self.tabs: dict[str, Grid] = dict(before.tabs)
        #: the tabs whose rows are already this forecast's own list
        self.copied: set[str] = set()
        #: per tab copied: its rows as read, and whether the last of them holds a value
        self.read_rows: dict[str, tuple[int, bool]] = {}
        self.written: set[str] = set()
        self.appended: set[str] = set()
        self.locks: dict[str, frozenset[int]] = {}
        self.replaced: set[str] = set()
        self.protect = protect
        self.certain = True

    def write(self, tab: str, cells: Mapping[tuple[int, int], Cell]) -> None:
        if not self.certain or tab in self.appended:  # rows written after rows appended: not forecast
            self.certain = False
            return
        rows, fresh = self._rows(tab), {}
        try:
            for (index, column), value in cells.items():
                if index not in fresh:
                    if not 0 < index < len(rows) or not rows[index] or tab in self.written:
                        raise _Unknown  # a row that read as empty (or a tab written twice)
                    fresh[index] = rows[index] = list(rows[index])
                row = fresh[index]
                row.extend([None] * (column + 1 - len(row)))
                row[column] = read_back(value)
        except _Unknown:
            self.certain = False
            return
        for row in fresh.values():
            _stripped(row)
        self.written.add(tab)

    def append(self, tab: str, rows: Sequence[Mapping[int, Cell]]) -> None:
        definition = s.TAB_BY_NAME.get(tab)
        grid = self._rows(tab) if self.certain else []
        try:
            if (not self.certain or tab in self.appended or definition is None
                    or lock_probe(definition) is not None or self.read_rows[tab] != (len(grid), True)):
                raise _Unknown  # a row's lock, or a row of spaces written over
            grid += [_appended(row) for row in rows]
        except _Unknown:
            self.certain = False
            return
        self.appended.add(tab)

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        self.locks[tab] = rows

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        try:
            whole = [_row(dict(enumerate(map(_dashboard_cell, row)))) for row in rows]
        except _Unknown:
            self.certain = False
            return
        self.tabs[tab] = Grid(whole, frozenset(), True)  # written whole, protected as a whole
        self.replaced.add(tab)

    def snapshot(self) -> Snapshot | None:
        """Every tab as the next read will find it; None when that is not certain."""
        if not self.certain:
            return None
        tabs: dict[str, Grid] = {}
        for name, grid in self.tabs.items():
            if name in self.replaced:
                tabs[name] = Grid(_trimmed(grid.rows), grid.locked_rows, grid.protected)
                continue
            if self.protect and not grid.protected and name not in self.locks:
                return None  # protection put back: which rows read as locked was never read
            rows = _trimmed(grid.rows) if name in self.copied else grid.rows
            protected = grid.protected or self.protect
            locked = self.locks.get(name, grid.locked_rows) if protected else frozenset[int]()
            tabs[name] = Grid(rows, frozenset(i for i in locked if 0 < i < len(rows) and rows[i]),
                              protected)
        return Snapshot(tabs)

    def _rows(self, tab: str) -> list[Row]:
        """The tab's rows as this forecast's own list (the rows themselves shared until written)."""
        grid = self.tabs.get(tab)
        if grid is None:
            self.certain = False
            return [[]]
        if tab not in self.copied:
            # as the book appends: after the last row holding a value as read (this forecast
            # appends only where that is the last row read)
            self.read_rows[tab] = (len(grid.rows), last_used_row(grid.rows) + 1 == len(grid.rows))
            grid = self.tabs[tab] = Grid(list(grid.rows), grid.locked_rows, grid.protected)
            self.copied.add(tab)
        return grid.rows


def _row(cells: Mapping[int, Cell]) -> Row:
    """A row of cells by 0-based column, as read: trailing empty cells dropped."""
    row: Row = [None] * (max(cells, default=-1) + 1)
    for column, value in cells.items():
        row[column] = value
    return _stripped(row)


def _stripped(row: Row) -> Row:
    while row and row[-1] is None:
        row.pop()
    return row


def _appended(values: Mapping[int, object]) -> Row:
    """:func:`_row` of an appended row's :func:`read_back`; a row of text alone (a ``Riwayat`` row)
    checked in one search rather than cell by cell."""
    cells = values.cells() if isinstance(values, ByColumn) else dict(values.items())
    texts = [v for v in cells.values() if type(v) is str]
    if len(texts) < len(cells):
        return _row({column: read_back(value) for column, value in cells.items()})
    if _ESCAPED.search("\n".join(texts)):
        raise _Unknown
    return _row({column: value or None for column, value in cells.items()})  # type: ignore[misc]


def _trimmed(rows: list[Row]) -> list[Row]:
    """A tab as read (its rows trimmed already): trailing empty rows dropped, at least one row (the
    forecast's own list, trimmed in place)."""
    while len(rows) > 1 and not rows[-1]:
        rows.pop()
    return rows or [[]]
