"""Write without misplacing, once for every backend: re-read, relocate, then write.

A backend only opens a :class:`Session` on the tabs a batch touches. The session holds those tabs
as they are *now* and takes writes by position; finding rows again (anchors and their keys,
columns by their header, which writes must be skipped) happens here alone, so the workbook, the
Google sheet and the test register cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from ..messages import Message
from ..schema import locate_columns
from . import ApplyResult, Cell, CellWrite, Changes, Row, RowAnchor, anchors_after, relocate, tab_of


class Session(Protocol):
    """One batch on one backend: the touched tabs as they are now, and the writes to make."""

    def rows(self, tab: str) -> list[Row]:
        """The tab as it is now, header row first (the backend read it when the session opened)."""

    def write(self, tab: str, cells: Mapping[tuple[int, int], Cell]) -> None:
        """Set cells by (0-based row, 0-based column) of :meth:`rows`."""

    def append(self, tab: str, rows: Sequence[Mapping[int, Cell]]) -> None:
        """Add rows (0-based column -> value) after the tab's last row."""

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        """Lock exactly these rows (0-based indexes of :meth:`rows`) as established."""

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        """Make a tab only the sync writes hold exactly ``rows`` from A1 (the ``Ringkasan``)."""

    def commit(self) -> Sequence[Message]:
        """Send or save everything; return what the backend repaired on the way."""


class Backend(Protocol):
    def session(self, tabs: Sequence[str], locks: bool) -> Session:
        """Read ``tabs`` as they are now; ``locks`` says the batch will also set row locks."""


def apply_changes(backend: Backend, changes: Changes) -> ApplyResult:
    """:meth:`Register.apply` for every backend: relocate each anchor in the tab as re-read, skip
    what cannot be found unambiguously, and hand the backend plain positions."""
    if not changes:
        return ApplyResult(0, 0)
    locks = changes.locks or {}
    names = sorted({w.anchor.tab for w in changes.writes}
                   | {name for name, rows in changes.appends.items() if rows} | set(locks))
    session = backend.session([*names, *sorted(changes.rewrite)], changes.locks is not None)
    skipped: list[CellWrite] = []
    anchors: dict[RowAnchor, RowAnchor] = {}
    written = sum(_apply_tab(session, name, changes, skipped, anchors) for name in names)
    for name, whole in sorted(changes.rewrite.items()):
        session.replace(name, whole)
    notices = session.commit()
    return ApplyResult(written, sum(len(r) for r in changes.appends.values()), tuple(skipped),
                       tuple(notices), anchors)


def _apply_tab(session: Session, name: str, changes: Changes, skipped: list[CellWrite],
               anchors: dict[RowAnchor, RowAnchor]) -> int:
    """One tab of :func:`apply_changes`; returns the cells written. Its own function so that what
    it builds per row (positions, cells, re-keyed anchors) is let go before the session commits."""
    tab, locks = tab_of(name), changes.locks or {}
    rows = session.rows(name)
    columns = locate_columns(tab, rows[0] if rows else [])
    writes = [w for w in changes.writes if w.anchor.tab == name]
    # every anchor is resolved against the tab as it is now, before any write of this batch
    # changes a row's key (assigning an ID does)
    where = relocate(tab, [*(w.anchor for w in writes), *locks.get(name, ())], rows)
    cells: dict[tuple[int, int], Cell] = {}
    for write in writes:
        row = where[write.anchor]
        if row is None:
            skipped.append(write)
        else:
            cells[(row, columns[write.header])] = write.value
    # the caller keeps finding its rows after this batch without reading the register again
    # (worked out before the write, which may read the tab's part: both at once cost more memory)
    anchors.update(anchors_after(tab, rows, where, writes))
    if cells:
        session.write(name, cells)
    appends = changes.appends.get(name) or []
    if appends:
        by_column = {i: h for h, i in columns.items()}
        session.append(name, [ByColumn(values, columns, by_column) for values in appends])
    if name in locks:
        session.lock(name, frozenset(i for a in locks[name] if (i := where[a]) is not None))
    return len(cells)


class ByColumn(Mapping[int, Cell]):
    """A row to append (header -> value) seen by 0-based column, without a copy: a first sync
    appends a ``Riwayat`` row per item, and a re-keyed copy of each was tens of MB at 100k rows."""

    __slots__ = ("_by_column", "_columns", "_values")

    def __init__(self, values: Mapping[str, Cell], columns: Mapping[str, int],
                 by_column: Mapping[int, str]) -> None:
        self._values, self._columns, self._by_column = values, columns, by_column

    def __getitem__(self, column: int) -> Cell:
        header = self._by_column.get(column)
        if header is None or header not in self._values:
            raise KeyError(column)
        return self._values[header]

    def __iter__(self) -> Iterator[int]:
        return (self._columns[h] for h in self._values)

    def __len__(self) -> int:
        return len(self._values)

    def cells(self) -> dict[int, Cell]:
        """The row as 0-based column -> value, made in one go (not a look-up per column)."""
        columns = self._columns
        return {columns[h]: v for h, v in self._values.items()}
