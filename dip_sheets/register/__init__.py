"""Register backends: where the working register lives (a local workbook, a Google sheet).

The protocol is narrow and takes plain data, so the sync is written once and the backends are
interchangeable: read every tab in one go, apply one batch of changes, create or repair the layout.

Writes never address a row by its number. Each write carries a :class:`RowAnchor` (the row's
position *and* its key when it was read); before writing, the tabs are re-read and every anchor is
mapped to the row that now holds that key with :func:`relocate`, so a row inserted, deleted or
sorted by a person while the sync ran can never receive another item's write. That is done once for
every backend (:mod:`.relocating`); a backend only provides a session that reads tabs and writes by
position. What ``dip init`` wants of a register is decided once too (:mod:`.plan`).

A new backend: a module here with ``read``, ``init`` and ``session`` (``apply`` is
``relocating.apply_changes(self, changes)``), and one entry in :data:`dip_sheets.connect.REGISTERS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Protocol

from ..messages import Message
from ..schema import TAB_BY_NAME, Role, Tab, locate_columns

Cell = str | int | float | bool | dt.date | dt.datetime | None
Row = list[Cell]


@dataclass(frozen=True)
class Grid:
    """One tab as read: ``rows[0]`` is the header row; values are raw (numbers stay numbers)."""

    rows: list[Row]
    #: indexes into ``rows`` of the rows currently locked as established.
    locked_rows: frozenset[int] = frozenset()
    #: ``False`` when staff switched the tab's protection off (e.g. to sort); the sync then writes
    #: the locks again, which puts the protection back.
    protected: bool = True


@dataclass(frozen=True)
class Snapshot:
    """Every tab of the register, read at one moment. A tab that does not exist is absent."""

    tabs: dict[str, Grid]


@dataclass(frozen=True, slots=True)
class RowAnchor:
    """Where a row was when read, and the key that identifies it again if it moved."""

    tab: str
    row: int
    key: str


@dataclass(frozen=True, slots=True)
class CellWrite:
    anchor: RowAnchor
    header: str
    value: Cell


@dataclass
class Changes:
    """One batch for :meth:`Register.apply`; empty means nothing is written at all."""

    writes: list[CellWrite] = field(default_factory=list)
    #: rows to add at the end of a tab, as header -> value.
    appends: dict[str, list[dict[str, Cell]]] = field(default_factory=dict)
    #: the rows that must be locked, per tab, or ``None`` when the set is unchanged.
    locks: dict[str, frozenset[RowAnchor]] | None = None
    #: tabs the sync writes whole (the ``Ringkasan`` tab), as their new rows from A1; what was
    #: there before and is not covered is cleared. Sent with the batch's other values.
    rewrite: dict[str, list[Row]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.writes or any(self.appends.values()) or self.locks is not None
                    or self.rewrite)


@dataclass(frozen=True)
class ApplyResult:
    cells_written: int
    rows_appended: int
    #: writes dropped because their row could no longer be found unambiguously.
    skipped: tuple[CellWrite, ...] = ()
    #: what the backend repaired on the way, for the person running the sync (e.g. a protection
    #: staff removed and forgot, put back).
    notices: tuple[Message, ...] = ()
    #: the anchor of every write made, mapped to where its row is after the batch with the key it
    #: has now (writing an ID changes it), so later batches need no re-read to find the row.
    anchors: Mapping[RowAnchor, RowAnchor] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """What ``dip init`` creates: the tabs, plus the dropdown for the unit column."""

    tabs: tuple[Tab, ...]
    units: tuple[str, ...]
    roles: Mapping[Role, tuple[str, ...]] = field(default_factory=dict)


class Register(Protocol):
    #: Human-readable location for messages (a path or a sheet URL); never contains secrets.
    location: str

    def read(self) -> Snapshot:
        """Read every tab at once (one request on Google Sheets)."""

    def apply(self, changes: Changes) -> ApplyResult:
        """Write a batch: re-read, relocate anchors, then write in one go (atomically if possible);
        the result says where the written rows are now (:attr:`ApplyResult.anchors`)."""

    def init(self, layout: Layout) -> list[Message]:
        """Create the register, or repair what is missing; return what was done, one message per
        change (empty when nothing was missing)."""


def cell_text(value: Cell) -> str:
    """A cell as the text a person sees, trimmed; numbers without a spurious ``.0``."""
    if type(value) is str:  # most cells: one check, not four
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def trimmed(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """Rows of text without trailing empty cells and rows: what a person sees of a range, and
    how Sheets answers it (it leaves them out), so two ranges can be compared."""
    out = [list(row) for row in rows]
    for row in out:
        while row and not row[-1]:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def texts(grid: Sequence[Sequence[Cell]]) -> list[list[str]]:
    """Rows as the text a person sees (:func:`cell_text`), trailing empty cells and rows dropped."""
    return trimmed([[cell_text(v) for v in row] for row in grid])


def row_key(tab: Tab, columns: Mapping[str, int], row: Sequence[Cell]) -> str:
    """Identity of a row for relocation: its key cell plus a digest of everything staff own.

    Including the staff-owned content means that if someone edits the row between read and write,
    the write is skipped (and redone by the next sync) rather than guessed.
    """
    return row_keyer(tab, columns)(row)


def row_keyer(tab: Tab, columns: Mapping[str, int]) -> Callable[[Sequence[Cell]], str]:
    """:func:`row_key` for many rows of one tab: the columns are looked up once."""
    key = columns[tab.key_header]
    staff = [columns[c.header] for c in tab.columns if c.owner is not Role.SYSTEM]
    width = max([key, *staff]) + 1
    pick: Callable[[Sequence[Cell]], tuple[Cell, ...]] = (
        itemgetter(*staff) if len(staff) > 1 else lambda row: tuple(row[i] for i in staff))

    def keyed(row: Sequence[Cell]) -> str:
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        return text_key(cell_text(row[key]), [cell_text(v) for v in pick(row)])
    return keyed


def text_key(key: str, staff: Sequence[str]) -> str:
    """:func:`row_key` from the row's texts (:func:`cell_text`): its key cell's and, in the tab's
    column order, its staff cells' (a review has them already)."""
    text = "\x1f".join(staff)
    return f"{key}|{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def relocate(tab: Tab, anchors: Sequence[RowAnchor], rows: Sequence[Sequence[Cell]]) -> dict[
    RowAnchor, int | None
]:
    """Map each anchor to the index in ``rows`` (the grid as it is *now*) that holds its key.

    ``None`` means the row is gone or its key is no longer unique: the caller must skip that write.
    Raises :class:`~dip_sheets.errors.LayoutError` if the header row itself became unusable.
    """
    columns = locate_columns(tab, rows[0] if rows else [])
    found: dict[str, list[int]] = {}
    keys_now: dict[int, str] = {}

    keyed = row_keyer(tab, columns)

    def key_at(index: int) -> str:
        if index not in keys_now:
            keys_now[index] = keyed(rows[index])
        return keys_now[index]

    result: dict[RowAnchor, int | None] = {}
    for anchor in anchors:
        if 0 < anchor.row < len(rows) and key_at(anchor.row) == anchor.key:
            result[anchor] = anchor.row
            continue
        if not found:
            for index in range(1, len(rows)):
                found.setdefault(key_at(index), []).append(index)
        hits = found.get(anchor.key, [])
        result[anchor] = hits[0] if len(hits) == 1 else None
    return result


def anchors_after(
    tab: Tab, rows: Sequence[Sequence[Cell]], where: Mapping[RowAnchor, int | None],
    writes: Sequence[CellWrite],
) -> dict[RowAnchor, RowAnchor]:
    """The anchors of ``writes`` as they are once the writes are in ``rows`` (the grid as re-read for
    the batch; ``where`` is :func:`relocate`'s answer for it): the same row, its key recomputed."""
    columns = locate_columns(tab, rows[0] if rows else [])
    after: dict[int, list[Cell]] = {}
    for write in writes:
        index = where.get(write.anchor)
        if index is not None:
            row = after.setdefault(index, list(rows[index]))
            column = columns[write.header]
            row.extend([None] * (column + 1 - len(row)))
            row[column] = write.value
    keyed = row_keyer(tab, columns)
    return {w.anchor: RowAnchor(w.anchor.tab, i, keyed(after[i]))
            for w in writes if (i := where.get(w.anchor)) is not None}


def tab_of(name: str) -> Tab:
    return TAB_BY_NAME[name]
