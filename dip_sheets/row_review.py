"""The review of one register: every row's state and the system-cell writes that record it.

:func:`review` is pure: from a :class:`~dip_sheets.register.Snapshot` it computes the state of every
row and the :class:`~dip_sheets.register.Changes` that bring the system columns up to date. It only
ever produces writes to system-owned columns, so a cell that staff own can never be overwritten.
What a review concludes is data (:mod:`dip_sheets.states`); the SOP's rules it applies to each row
are :mod:`dip_sheets.workflow`'s. The I/O around it (read, review, write) is :mod:`dip_sheets.sync`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from . import schema as s
from .decisions import read_rows
from .ids import PREFIX as ID_PREFIX
from .ids import format_id, parse_id
from .ledger import (
    EVENT_ESTABLISHED,
    EVENT_REMOVED,
    EVENT_RETURNED,
    EVENT_WITHDRAWN,
    correction_finding,
    excluded_finding,
    held_finding,
    history_row,
    no_correction_finding,
    read_records,
    rejected_finding,
)
from .parsers import marks_excluded
from .register import Cell, CellWrite, Changes, RowAnchor, Snapshot, cell_text
from .review_table import Table
from .review_table import table as table  # sync.links_in reads the DIP tab with it
from .staleness import Watch, berkala_finding, ending_finding, last_updated, link_finding
from .states import DikState, Review, RowState
from .validate import (
    Finding,
    Item,
    duplicate_key,
    find_duplicates,
    id_number,
    validate_dik_row,
    validate_dip_row,
)
from .workflow import (
    Correction,
    Establishment,
    Position,
    Steps,
    approval_choice,
    established_item,
    establishment,
    fingerprint,
    hold,
    position,
    read_steps,
)


class _Writer:
    """Collects writes, keeping only those that change a system cell's text."""

    def __init__(self) -> None:
        self.changes = Changes()

    def set(self, table: Table, index: int, anchor: RowAnchor, header: str, value: str) -> None:
        self.put(table, anchor, header, cell_text(table.value(table.grid.rows[index], header)), value)

    def put(self, table: Table, anchor: RowAnchor, header: str, now: str, value: str) -> None:
        """:meth:`set`, given the cell's text ``now``."""
        assert header in table.system, header
        if now != value:
            self.changes.writes.append(CellWrite(anchor, header, value))

    def append(self, tab: str, row: dict[str, Cell]) -> None:
        self.changes.appends.setdefault(tab, []).append(row)


def _assign_ids(
    tab: str, typed: list[tuple[int, str]], last_issued: int, keeps_id: Callable[[int], bool],
) -> tuple[dict[int, str], int]:
    """Keep every well-formed, unique ID; give the rest new numbers above anything ever issued.

    ``typed``: each row's index and the text of its ID cell. When a row was copied with its ID,
    the copy whose content still matches the fingerprint (``keeps_id``, asked only then; or else
    the first in sheet order) keeps the ID and the others get new ones.
    """
    claims: dict[str, list[int]] = {}
    for index, text in typed:
        if parse_id(tab, text) is not None:
            claims.setdefault(text, []).append(index)
    ids: dict[int, str] = {}
    highest = last_issued
    for text, indexes in claims.items():
        owner = indexes[0] if len(indexes) == 1 else next((i for i in indexes if keeps_id(i)), indexes[0])
        ids[owner] = text
        highest = max(highest, parse_id(tab, text) or 0)
    for index, _text in typed:
        if index not in ids:
            highest += 1
            ids[index] = format_id(tab, highest)
    return ids, highest


def _last_issued(system: Table) -> dict[str, tuple[int | None, int]]:
    """Per tab: (row index in Sistem or None, last issued ID number)."""
    found: dict[str, tuple[int | None, int]] = {tab: (None, 0) for tab in s.LAST_ID_KEYS}
    for index, row in enumerate(system.grid.rows[1:], start=1):
        key = cell_text(system.value(row, s.SYSTEM_KEY))
        for tab, label in s.LAST_ID_KEYS.items():
            if key == label:
                text = cell_text(system.value(row, s.SYSTEM_VALUE))
                found[tab] = (index, int(text) if text.isascii() and text.isdigit() else 0)
    return found


def review(snapshot: Snapshot, units: Sequence[str], now: dt.datetime, watch: Watch | None = None
           ) -> Review:
    """Decide the state of every row and the system-cell writes that record it. Pure.

    ``watch`` brings the link results and the staleness rules: what they find is written into the
    row's note as a warning, which blocks nothing."""
    sync = _Review(snapshot, units, now, watch or Watch())
    dip_highest = sync.dip_rows()
    sync.removed()
    sync.locks()
    dik_highest = sync.dik_rows()
    sync.decision_rows()
    sync.counters({s.DIP_TAB: dip_highest, s.DIK_TAB: dik_highest})
    return sync.result


class _Review:
    """One review under way: the tabs as read, what ``Riwayat`` says, the writes decided so far."""

    def __init__(self, snapshot: Snapshot, units: Sequence[str], now: dt.datetime, watch: Watch) -> None:
        self.snapshot, self.units, self.now, self.watch = snapshot, units, now, watch
        self.dip, self.dik = table(snapshot, s.DIP_TAB), table(snapshot, s.DIK_TAB)
        #: the optional ``Terakhir Diperbarui`` column, when the register has it
        self.updated_column = _optional_column(self.dip, s.LAST_UPDATED)
        history, self.system = table(snapshot, s.HISTORY_TAB), table(snapshot, s.SYSTEM_TAB)
        self.records = read_records(history.view(r) for r in history.grid.rows[1:])
        self.issued = _last_issued(self.system)
        self.stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        self.writer = _Writer()
        self.result = Review([], [], self.writer.changes)
        #: DIP rows that stay (or become) established, so locked, with their anchors
        self.established: dict[int, RowAnchor] = {}

    def dip_rows(self) -> int:
        """Review every DIP row; returns the highest ID number issued."""
        dip, records = self.dip, self.records
        rows = dip.data_rows()
        # an ID in Riwayat was issued, even if the Sistem counter was lost: never issue it again
        issued = max([self.issued[s.DIP_TAB][1], *(id_number(i) for i in records.latest
                                                   if i.startswith(f"{ID_PREFIX[s.DIP_TAB]}-"))])
        # what needs every row first (the IDs, the duplicates); the rest row by row, each row's
        # cells turned into text once (:meth:`Table.texts`) for every check of it
        every = {index: dip.values(row) for index, row in rows}
        ids, highest = _assign_ids(dip.tab.name, [(i, cell_text(v.get(s.ID))) for i, v in every.items()],
                                   issued, lambda i: _keeps_id(every[i]))
        duplicates = find_duplicates((ids[i], v) for i, v in every.items())
        for index, values in every.items():
            texts = dip.texts(values)
            item, findings = validate_dip_row(values, self.units, ids[index], texts)
            steps, step_findings = read_steps(texts)
            findings += step_findings
            if ids[index] in duplicates:
                findings.append(duplicates[ids[index]])
            self.result.dip.append(self.dip_row(index, ids[index], issued, values, texts, item, steps,
                                                findings))
        self.held_notes()
        return highest

    def held_notes(self) -> None:
        """A held row's note names every established item it resembles, also those this very sync
        establishes: the next sync finds them in ``Riwayat``, and its note must be the same."""
        fresh = {*self.result.newly_established, *self.result.approved}
        if not fresh or not self.result.held:
            return
        keys = {r.id: duplicate_key(r.values) for r in self.result.dip if r.id in fresh}
        for row in self.result.dip:
            if row.id not in self.result.held:
                continue
            known = self.records.similar(row.values, row.id)
            now_too = {i for i, key in keys.items() if i != row.id and key == duplicate_key(row.values)}
            if not now_too - set(known) or held_finding(known) not in row.findings:
                continue
            row.findings[row.findings.index(held_finding(known))] = held_finding(
                sorted({*known, *now_too}, key=id_number))
            note = "; ".join(f.id for f in [*row.findings, *row.warnings])
            writes = self.writer.changes.writes
            written = [w for w in writes if w.anchor == row.anchor and w.header == s.NOTE]
            for old in written:
                writes.remove(old)
            self.writer.set(self.dip, row.anchor.row, row.anchor, s.NOTE, note)

    def dip_row(self, index: int, item_id: str, issued: int, values: dict[str, Cell],
                texts: Mapping[str, str], item: Item | None, steps: Steps, findings: list[Finding]
                ) -> RowState:
        """One DIP row: its ID, whether it is held, established, edited or withdrawn, its note and
        its place in the SOP, each decided by :mod:`dip_sheets.workflow` and written if changed."""
        dip, records, writer = self.dip, self.records, self.writer
        anchor = dip.text_anchor(index, texts)
        typed = texts[s.ID]
        if typed != item_id:
            self.result.ids_assigned.append(item_id)
        writer.put(dip, anchor, s.ID, typed, item_id)
        # an ID first seen now (given now, or typed by hand above any ID ever issued)
        arrived = typed != item_id or (item_id not in records.latest and id_number(item_id) > issued)
        # Riwayat, not the Sidik cell, says whether and how the item was established: a Sidik
        # copied from another row or cleared by hand changes nothing
        stored = "" if arrived else records.digest(item_id)
        sidik = texts[s.FINGERPRINT]
        held, event = hold(records, self.stamp, item_id, values, steps.decision, arrived, sidik, findings)
        if held:
            self.result.held.append(item_id)
        if event:
            writer.append(s.HISTORY_TAB, event)
        if records.removed(item_id):
            writer.append(s.HISTORY_TAB, history_row(
                self.stamp, item_id, EVENT_RETURNED, stored, [], values))
        verdict = establishment(records, item_id, values, steps.decision, stored, not findings,
                                fingerprint(texts) if sidik or values.get(s.STEP3) else None)
        correction = self.record(item_id, verdict, values, steps, findings)
        writer.put(dip, anchor, s.FINGERPRINT, sidik, verdict.digest)
        if verdict.digest:
            self.established[index] = anchor
        publishable = bool(verdict.digest) and not verdict.tampered and not findings and item is not None
        warnings = self.dip_warnings(index, values, texts[s.LINK], item)
        writer.put(dip, anchor, s.NOTE, texts[s.NOTE], "; ".join(f.id for f in [*findings, *warnings]))
        where = position(texts, steps, publishable, self.now.date(), reset=verdict.digest != stored,
                         correction=correction.stage if correction else None)
        writer.changes.writes += sop_writes(anchor, texts, where)
        return RowState(anchor, item_id, values, steps, item, findings, publishable, verdict.tampered, where,
                        warnings, correction)

    def dip_warnings(self, index: int, values: dict[str, Cell], link: str, item: Item | None
                     ) -> list[Finding]:
        """A broken ``Tautan`` (``link``: its text); a Berkala item not updated for too long."""
        row = self.dip.grid.rows[index]
        column = self.updated_column
        updated = row[column] if column is not None and column < len(row) else None
        found = [link_finding(link, self.watch)]
        if item is not None and item.category == _BERKALA:  # the only category berkala_finding warns
            found.append(berkala_finding(item.category, last_updated(updated, values.get(s.CREATED)),
                                         self.now.date(), self.watch))
        return [f for f in found if f is not None]

    def record(self, item_id: str, verdict: Establishment, values: dict[str, Cell], steps: Steps,
               findings: list[Finding]) -> Correction | None:
        """The establishment ``verdict`` in the review's lists, the row's findings and ``Riwayat``;
        returns the correction waiting (or rejected), with the established version that stays live."""
        correction = None
        if verdict.tampered:
            approve = approval_choice(steps.decision)
            # a row marked excluded now withholds even its established version: never a leak
            excluded = marks_excluded(cell_text(values.get(s.CATEGORY)))
            live = None if excluded else established_item(self.records, item_id, self.units)
            correction = Correction(verdict.changed, verdict.rejected, live, approve)
            established = self.records.established.get(item_id, {})
            findings.insert(0, excluded_finding() if excluded else
                            rejected_finding(list(verdict.changed), established, item_id, approve)
                            if verdict.rejected and live is not None else
                            correction_finding(list(verdict.changed), approve, live is not None))
            self.result.tampered.append(item_id)
        elif steps.decision == s.REJECT_CORRECTION and not verdict.digest:
            findings.insert(0, no_correction_finding())
        if verdict.approved:
            self.result.approved.append(item_id)
        elif verdict.event == EVENT_ESTABLISHED:
            self.result.newly_established.append(item_id)
        elif verdict.event == EVENT_WITHDRAWN:
            self.result.withdrawn.append(item_id)
        if verdict.event:
            self.writer.append(s.HISTORY_TAB, verdict.history(self.stamp, item_id, values))
        return correction

    def removed(self) -> None:
        """Established items no row carries any more: recorded once, never forgotten."""
        records = self.records
        for item_id in sorted(records.on_record() - {r.id for r in self.result.dip}, key=id_number):
            self.result.removed.append(item_id)
            self.writer.append(s.HISTORY_TAB, history_row(
                self.stamp, item_id, EVENT_REMOVED, records.digest(item_id), [],
                records.established.get(item_id, {}),
                note="tidak ada lagi baris dengan ID ini; pulihkan barisnya atau catat penghapusannya"))

    def locks(self) -> None:
        """Lock exactly the established rows; also when staff switched a tab's protection off."""
        if self.established.keys() != self.dip.grid.locked_rows or not all(
                g.protected for g in self.snapshot.tabs.values()):
            self.writer.changes.locks = {s.DIP_TAB: frozenset(self.established.values())}

    def dik_rows(self) -> int:
        """Review every DIK row; returns the highest ID number issued."""
        dik, writer = self.dik, self.writer
        rows = dik.data_rows()
        ids, highest = _assign_ids(dik.tab.name, [(i, cell_text(dik.value(row, s.ID))) for i, row in rows],
                                   self.issued[s.DIK_TAB][1], lambda _: False)
        for index, row in rows:
            anchor = dik.anchor(index)
            item_id = ids[index]
            if cell_text(dik.value(row, s.ID)) != item_id:
                self.result.ids_assigned.append(item_id)
            writer.set(dik, index, anchor, s.ID, item_id)
            exclusion, findings = validate_dik_row(dik.values(row), self.units, self.now.date(), item_id)
            ending = ending_finding(exclusion.expires, self.now.date(), self.watch) if exclusion else None
            warnings = [ending] if ending is not None else []
            writer.set(dik, index, anchor, s.NOTE, "; ".join(f.id for f in [*findings, *warnings]))
            self.result.dik.append(DikState(anchor, item_id, exclusion, findings, warnings))
        return highest

    def decision_rows(self) -> None:
        """The PPID's decisions (``Keputusan``): each row's findings in its note."""
        if s.DECISION_TAB in self.snapshot.tabs:  # a register from before the tab: 'dip init' adds it
            decisions = table(self.snapshot, s.DECISION_TAB)
            for row in read_rows(decisions.grid):
                self.writer.set(decisions, row.index, decisions.anchor(row.index), s.NOTE,
                                "; ".join(f.id for f in row.findings))
                if row.findings:
                    self.result.decision_problems.append(row)

    def counters(self, highest: Mapping[str, int]) -> None:
        """The counters in ``Sistem``, so a deleted row's ID is never issued again."""
        system = self.system
        for tab, number in highest.items():
            system_row, stored_number = self.issued[tab]
            if number == stored_number:
                continue
            if system_row is None:
                self.writer.append(s.SYSTEM_TAB, {s.SYSTEM_KEY: s.LAST_ID_KEYS[tab],
                                                  s.SYSTEM_VALUE: str(number)})
            else:
                self.writer.set(system, system_row, system.anchor(system_row), s.SYSTEM_VALUE, str(number))


#: the category whose items go stale (:func:`~dip_sheets.staleness.berkala_finding`)
_BERKALA = "Berkala"


def _optional_column(table: Table, header: str) -> int | None:
    """Where an optional column (not in the tab's layout) is, if the register has it."""
    wanted = s.normalize_header(header)
    return next((i for i, text in enumerate(table.grid.rows[0]) if s.normalize_header(text) == wanted), None)


def _keeps_id(values: Mapping[str, Cell]) -> bool:
    """Whether a row's content still matches the ``Sidik`` it carries (it keeps a copied ID)."""
    stored = cell_text(values.get(s.FINGERPRINT))
    return bool(stored) and stored == fingerprint(values)



# ---- steps 4 and 5 and ``Posisi SOP``------------------------------------------------------------


def sop_writes(anchor: RowAnchor, cells: Mapping[str, Cell], after: Position) -> list[CellWrite]:
    """The writes that take a row's steps 4 and 5 and ``Posisi SOP`` from ``cells`` to ``after``.

    The only code that writes those three cells: the sync with each row's :func:`position`, the
    publish with :func:`release`.
    """
    return [CellWrite(anchor, header, text) for header, text in after.cells().items()
            if cell_text(cells.get(header)) != text]


