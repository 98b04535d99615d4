"""The sync: read the register once, decide every system cell, write only what changed.

:func:`review` is pure: from a :class:`~dip_sheets.register.Snapshot` it computes the state of every
row and the :class:`~dip_sheets.register.Changes` that bring the system columns up to date. It only
ever produces writes to system-owned columns, so a cell that staff own can never be overwritten.
:func:`run` is the I/O around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .errors import LayoutError
from .ids import PREFIX as ID_PREFIX
from .ids import format_id, parse_id
from .ledger import (
    EVENT_EDITED,
    EVENT_ESTABLISHED,
    EVENT_REMOVED,
    EVENT_RETURNED,
    EVENT_WITHDRAWN,
    event_name,
    gate,
    history_row,
    read_records,
    tamper_finding,
)
from .register import (
    ApplyResult,
    Cell,
    CellWrite,
    Changes,
    Grid,
    Register,
    RowAnchor,
    Snapshot,
    cell_text,
    row_key,
)
from .validate import (
    Exclusion,
    Finding,
    Item,
    Steps,
    find_duplicates,
    id_number,
    read_steps,
    validate_dik_row,
    validate_dip_row,
)
from .workflow import Stage, changed_columns, fingerprint, stage


@dataclass
class RowState:
    """One DIP row as the sync sees it."""

    anchor: RowAnchor
    id: str
    values: dict[str, Cell]
    steps: Steps
    item: Item | None
    findings: list[Finding]
    publishable: bool
    tampered: bool
    stage: Stage
    #: the day the row entered its current stage (from the ``Posisi SOP`` cell).
    since: dt.date

    @property
    def row_number(self) -> int:
        """1-based row number as shown by the spreadsheet program (for messages only)."""
        return self.anchor.row + 1


@dataclass
class DikState:
    anchor: RowAnchor
    id: str
    exclusion: Exclusion | None
    findings: list[Finding]


@dataclass
class Review:
    """Everything the sync concluded, plus the writes that record it."""

    dip: list[RowState]
    dik: list[DikState]
    changes: Changes
    ids_assigned: list[str] = field(default_factory=list)
    newly_established: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    #: rows that arrived already established and resemble an established item: wait for the PPID
    held: list[str] = field(default_factory=list)
    #: established items no row carries any more, found (and recorded in Riwayat) by this sync
    removed: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        """The established, valid items: exactly what may be published."""
        return [r.item for r in self.dip if r.publishable and r.item is not None]

    @property
    def exclusions(self) -> list[Exclusion]:
        return [d.exclusion for d in self.dik if d.exclusion is not None]

    def problem_rows(self) -> list[RowState | DikState]:
        """Every DIP and DIK row with a finding, in register order."""
        return [*(r for r in self.dip if r.findings), *(d for d in self.dik if d.findings)]

    @property
    def blockers(self) -> list[RowState]:
        """Rows the PPID established that cannot be published as they are."""
        return [r for r in self.dip if r.stage is Stage.BLOCKED]


@dataclass(frozen=True)
class _Table:
    """A tab with its header positions resolved."""

    tab: s.Tab
    grid: Grid
    columns: dict[str, int]

    def value(self, row: Sequence[Cell], header: str) -> Cell:
        index = self.columns[header]
        return row[index] if index < len(row) else None

    def values(self, row: Sequence[Cell]) -> dict[str, Cell]:
        return {h: self.value(row, h) for h in self.columns}

    def anchor(self, index: int) -> RowAnchor:
        return RowAnchor(self.tab.name, index, row_key(self.tab, self.columns, self.grid.rows[index]))

    def data_rows(self) -> list[tuple[int, list[Cell]]]:
        """Rows with anything staff typed; blank rows (also ones left with only an ID) are skipped."""
        staff = [self.columns[c.header] for c in self.tab.columns if c.owner is not s.Role.SYSTEM]
        return [
            (i, row) for i, row in enumerate(self.grid.rows[1:], start=1)
            if any(j < len(row) and cell_text(row[j]) for j in staff)
        ]


def _table(snapshot: Snapshot, name: str) -> _Table:
    tab = s.TAB_BY_NAME[name]
    grid = snapshot.tabs.get(name)
    if grid is None or not grid.rows:
        raise LayoutError(
            f"Tab '{name}' tidak ada di register. Jalankan 'dip init' untuk membuatnya.",
            f"The register has no '{name}' tab. Run 'dip init' to create it.",
        )
    return _Table(tab, grid, s.locate_columns(tab, grid.rows[0]))


class _Writer:
    """Collects writes, keeping only those that change a system cell's text."""

    def __init__(self) -> None:
        self.changes = Changes()

    def set(self, table: _Table, index: int, anchor: RowAnchor, header: str, value: str) -> None:
        assert table.tab.column(header).owner is s.Role.SYSTEM, header
        if cell_text(table.value(table.grid.rows[index], header)) != value:
            self.changes.writes.append(CellWrite(anchor, header, value))

    def append(self, tab: str, row: dict[str, Cell]) -> None:
        self.changes.appends.setdefault(tab, []).append(row)


def _assign_ids(
    table: _Table, rows: list[tuple[int, list[Cell]]], last_issued: int,
    keeps_id: Mapping[int, bool],
) -> tuple[dict[int, str], int]:
    """Keep every well-formed, unique ID; give the rest new numbers above anything ever issued.

    When a row was copied with its ID, the copy whose content still matches the fingerprint (or
    else the first in sheet order) keeps the ID and the others get new ones.
    """
    claims: dict[str, list[int]] = {}
    for index, row in rows:
        text = cell_text(table.value(row, s.ID))
        if parse_id(table.tab.name, text) is not None:
            claims.setdefault(text, []).append(index)
    ids: dict[int, str] = {}
    highest = last_issued
    for text, indexes in claims.items():
        owner = next((i for i in indexes if keeps_id.get(i)), indexes[0])
        ids[owner] = text
        highest = max(highest, parse_id(table.tab.name, text) or 0)
    for index, _row in rows:
        if index not in ids:
            highest += 1
            ids[index] = format_id(table.tab.name, highest)
    return ids, highest


def _last_issued(system: _Table) -> dict[str, tuple[int | None, int]]:
    """Per tab: (row index in Sistem or None, last issued ID number)."""
    found: dict[str, tuple[int | None, int]] = {tab: (None, 0) for tab in s.LAST_ID_KEYS}
    for index, row in enumerate(system.grid.rows[1:], start=1):
        key = cell_text(system.value(row, s.SYSTEM_KEY))
        for tab, label in s.LAST_ID_KEYS.items():
            if key == label:
                text = cell_text(system.value(row, s.SYSTEM_VALUE))
                found[tab] = (index, int(text) if text.isascii() and text.isdigit() else 0)
    return found


def review(snapshot: Snapshot, units: Sequence[str], now: dt.datetime) -> Review:
    """Decide the state of every row and the system-cell writes that record it. Pure."""
    dip, dik = _table(snapshot, s.DIP_TAB), _table(snapshot, s.DIK_TAB)
    history, system = _table(snapshot, s.HISTORY_TAB), _table(snapshot, s.SYSTEM_TAB)
    writer = _Writer()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    counters = _last_issued(system)
    records = read_records(history.values(r) for r in history.grid.rows[1:])
    result = Review([], [], writer.changes)

    # -- DIP: identities
    rows = dip.data_rows()
    matches = {
        i: bool(cell_text(dip.value(r, s.FINGERPRINT)))
        and cell_text(dip.value(r, s.FINGERPRINT)) == fingerprint(dip.values(r))
        for i, r in rows
    }
    # an ID in Riwayat was issued, even if the Sistem counter was lost: never issue it again
    issued = max([counters[s.DIP_TAB][1], *(id_number(i) for i in records.latest
                                             if i.startswith(f"{ID_PREFIX[s.DIP_TAB]}-"))])
    ids, highest = _assign_ids(dip, rows, issued, matches)

    # -- DIP: content, order of steps, duplicates
    checked: list[tuple[int, list[Cell], dict[str, Cell], Item | None, Steps, list[Finding]]] = []
    for index, row in rows:
        values = dip.values(row)
        item, findings = validate_dip_row(values, units, ids[index])
        steps, step_findings = read_steps(values)
        checked.append((index, row, values, item, steps, findings + step_findings))
    duplicates = find_duplicates((ids[i], v) for i, _, v, *_ in checked)

    locked_now = dip.grid.locked_rows
    locked_wanted: set[int] = set()
    for index, row, values, item, steps, findings in checked:
        item_id = ids[index]
        anchor = dip.anchor(index)
        if item_id in duplicates:
            findings.append(duplicates[item_id])
        if cell_text(dip.value(row, s.ID)) != item_id:
            result.ids_assigned.append(item_id)
        # an ID first seen now (given now, or typed by hand above any ID ever issued)
        arrived = cell_text(dip.value(row, s.ID)) != item_id or (
            id_number(item_id) > issued and item_id not in records.latest)
        # Riwayat, not the Sidik cell, says whether and how the item was established: a Sidik
        # copied from another row or cleared by hand changes nothing
        stored = "" if arrived else records.digest(item_id)
        writer.set(dip, index, anchor, s.ID, item_id)
        current = fingerprint(values)
        held, event = gate(records, stamp, item_id, values, steps.decision, arrived,
                           cell_text(dip.value(row, s.FINGERPRINT)), findings)
        if held:
            result.held.append(item_id)
        if event:
            writer.append(s.HISTORY_TAB, event)
        tampered = False
        new_stored = stored
        if records.removed(item_id):
            writer.append(s.HISTORY_TAB, history_row(
                stamp, item_id, EVENT_RETURNED, stored, [], values))
        if steps.decision == s.ESTABLISHED:
            if not stored and not findings:
                new_stored = current
                result.newly_established.append(item_id)
                writer.append(s.HISTORY_TAB, history_row(
                    stamp, item_id, EVENT_ESTABLISHED, current, [], values))
            elif stored and stored != current:
                tampered = True
                result.tampered.append(item_id)
                before = records.established.get(item_id, {})
                changed = changed_columns(
                    {h: cell_text(v) for h, v in before.items()}, values) if before else []
                findings.insert(0, tamper_finding(changed))
                last = records.latest.get(item_id, {})
                already = (event_name(last.get(s.HISTORY_EVENT)) == EVENT_EDITED
                           and cell_text(last.get(s.FINGERPRINT)) == current)
                if not already:
                    writer.append(s.HISTORY_TAB, history_row(
                        stamp, item_id, EVENT_EDITED, current, changed, values))
        elif stored:
            new_stored = ""
            result.withdrawn.append(item_id)
            writer.append(s.HISTORY_TAB, history_row(
                stamp, item_id, EVENT_WITHDRAWN, stored, [], values,
                note=steps.decision or "(kosong)"))
        writer.set(dip, index, anchor, s.FINGERPRINT, new_stored)
        if new_stored != stored and not tampered:
            # the upload stamps describe the established content; new content has not gone live
            writer.set(dip, index, anchor, s.STEP4, "")
            writer.set(dip, index, anchor, s.STEP5, "")
        if new_stored:
            locked_wanted.add(index)
        publishable = bool(new_stored) and not tampered and not findings and item is not None
        uploaded = new_stored == stored and bool(cell_text(dip.value(row, s.STEP5)))
        writer.set(dip, index, anchor, s.NOTE, "; ".join(f.id for f in findings))
        where = stage(steps, publishable, uploaded)
        since = stage_since(cell_text(dip.value(row, s.STAGE)), where) or now.date()
        writer.set(dip, index, anchor, s.STAGE, f"{where.value}{SINCE}{since.isoformat()}")
        result.dip.append(RowState(
            anchor, item_id, values, steps, item, findings, publishable, tampered, where, since,
        ))
    # -- established items no row carries any more: recorded once, never forgotten
    for item_id in sorted(records.on_record() - set(ids.values()), key=id_number):
        result.removed.append(item_id)
        writer.append(s.HISTORY_TAB, history_row(
            stamp, item_id, EVENT_REMOVED, records.digest(item_id), [],
            records.established.get(item_id, {}),
            note="tidak ada lagi baris dengan ID ini; pulihkan barisnya atau catat penghapusannya"))
    if locked_wanted != set(locked_now) or not all(g.protected for g in snapshot.tabs.values()):
        writer.changes.locks = {s.DIP_TAB: frozenset(dip.anchor(i) for i in sorted(locked_wanted))}

    # -- DIK
    dik_rows = dik.data_rows()
    dik_ids, dik_highest = _assign_ids(dik, dik_rows, counters[s.DIK_TAB][1], {})
    for index, row in dik_rows:
        anchor = dik.anchor(index)
        item_id = dik_ids[index]
        if cell_text(dik.value(row, s.ID)) != item_id:
            result.ids_assigned.append(item_id)
        writer.set(dik, index, anchor, s.ID, item_id)
        exclusion, findings = validate_dik_row(dik.values(row), units, now.date(), item_id)
        writer.set(dik, index, anchor, s.NOTE, "; ".join(f.id for f in findings))
        result.dik.append(DikState(anchor, item_id, exclusion, findings))

    # -- counters, so a deleted row's ID is never issued again
    for tab, number in ((s.DIP_TAB, highest), (s.DIK_TAB, dik_highest)):
        system_row, stored_number = counters[tab]
        if number == stored_number:
            continue
        if system_row is None:
            writer.append(s.SYSTEM_TAB, {s.SYSTEM_KEY: s.LAST_ID_KEYS[tab], s.SYSTEM_VALUE: str(number)})
        else:
            writer.set(system, system_row, system.anchor(system_row), s.SYSTEM_VALUE, str(number))
    return result


SINCE = " · sejak "


def stage_since(text: str, current: Stage) -> dt.date | None:
    """The date recorded in a ``Posisi SOP`` cell, if it still names the ``current`` stage."""
    label, _, day = text.partition(SINCE)
    if label != current.value:
        return None
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return None


@dataclass(frozen=True)
class SyncResult:
    review: Review
    applied: ApplyResult | None  # None on a dry run or when nothing changed
    dry_run: bool

    def summary(self) -> dict[str, Any]:
        """The ``--json`` shape of a sync (also embedded in publish's summary)."""
        review = self.review
        return {
            "rows_read": len(review.dip),
            "dik_rows_read": len(review.dik),
            "ids_assigned": review.ids_assigned,
            "newly_established": review.newly_established,
            "tampered": review.tampered,
            "withdrawn": review.withdrawn,
            "held": review.held,
            "removed": review.removed,
            "publishable": len(review.items),
            "problems": {
                row.id: [f.id for f in row.findings] for row in review.problem_rows()
            },
            "cells_to_write": len(review.changes.writes),
            "rows_to_append": sum(len(v) for v in review.changes.appends.values()),
            "locks_changed": review.changes.locks is not None,
            "cells_written": self.applied.cells_written if self.applied else 0,
            "rows_appended": self.applied.rows_appended if self.applied else 0,
            "writes_skipped": len(self.applied.skipped) if self.applied else 0,
            "dry_run": self.dry_run,
        }


def run(register: Register, units: Sequence[str], now: dt.datetime, *, dry_run: bool = False
        ) -> SyncResult:
    """Read, review, and (unless ``dry_run``) write back what changed. Nothing changed, no write.

    The notes written into the register are Indonesian, like its headers.
    """
    result = review(register.read(), units, now)
    if dry_run or not result.changes:
        return SyncResult(result, None, dry_run)
    return SyncResult(result, register.apply(result.changes), dry_run)
