"""What a review concluded, as data: each row's state, and the review of a whole register.

:func:`dip_sheets.sync.review` produces a :class:`Review`; the status report, the publish and the
CLI read it. :class:`SyncResult` adds what writing it back did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .decisions import DecisionRow
from .register import ApplyResult, Cell, Changes, RowAnchor
from .stages import Stage
from .validate import Exclusion, Finding, Item
from .workflow import Correction, Position, Steps


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
    #: steps 4 and 5 and ``Posisi SOP`` as they stand once the review's writes are made
    position: Position
    #: what the row's owner is told without it blocking anything (:mod:`dip_sheets.staleness`)
    warnings: list[Finding] = field(default_factory=list)
    #: a correction waiting for the PPID (or rejected): the established version stays live
    correction: Correction | None = None

    @property
    def live(self) -> Item | None:
        """What the published list shows for this row: its content, or while a correction waits
        the version the PPID last established."""
        if self.publishable:
            return self.item
        return self.correction.live if self.correction is not None else None

    @property
    def stage(self) -> Stage:
        return self.position.stage

    @property
    def since(self) -> dt.date:
        """The day the row entered its current stage (from the ``Posisi SOP`` cell)."""
        return self.position.since

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
    warnings: list[Finding] = field(default_factory=list)


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
    #: corrections this sync established (the PPID approved them)
    approved: list[str] = field(default_factory=list)
    #: rows of the ``Keputusan`` tab with findings (also in their ``Catatan Sinkron``)
    decision_problems: list[DecisionRow] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        """The established, valid items: exactly what may be published (for a row whose correction
        waits, the version last established)."""
        return [item for item in (r.live for r in self.dip) if item is not None]

    def corrections(self, rejected: bool = False) -> list[RowState]:
        """Rows whose correction waits for the PPID (``rejected``: that the PPID rejected) while
        the established version stays live; one that cannot stay live is a :attr:`blockers` row."""
        return [r for r in self.dip if r.correction is not None and r.correction.live is not None
                and r.correction.rejected == rejected]

    @property
    def exclusions(self) -> list[Exclusion]:
        return [d.exclusion for d in self.dik if d.exclusion is not None]

    def problem_rows(self) -> list[RowState | DikState]:
        """Every DIP and DIK row with a finding, in register order."""
        return [*(r for r in self.dip if r.findings), *(d for d in self.dik if d.findings)]

    def warned_rows(self) -> list[RowState | DikState]:
        """Every DIP and DIK row with a warning (a broken link, staleness), in register order."""
        return [*(r for r in self.dip if r.warnings), *(d for d in self.dik if d.warnings)]

    @property
    def blockers(self) -> list[RowState]:
        """Rows the PPID established that cannot be published as they are."""
        return [r for r in self.dip if r.stage is Stage.BLOCKED]


@dataclass(frozen=True)
class SyncResult:
    review: Review
    applied: ApplyResult | None  # None on a dry run or when nothing changed
    dry_run: bool

    def summary(self, *, rows: bool = True) -> dict[str, Any]:
        """The ``--json`` shape of a sync (also embedded in publish's summary); without ``rows``,
        ``problems`` and ``warnings`` are None (the run memo keeps those rows its own way)."""
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
            "corrections_waiting": [r.id for r in review.corrections()],
            "corrections_rejected": [r.id for r in review.corrections(rejected=True)],
            "corrections_approved": review.approved,
            "publishable": len(review.items),
            "problems": {
                row.id: [f.id for f in row.findings] for row in review.problem_rows()
            } if rows else None,
            "warnings": {
                row.id: [w.id for w in row.warnings] for row in review.warned_rows()
            } if rows else None,
            # the Keputusan tab's rows with findings, by their row number in the tab
            "decision_problems": [{"row": row.index + 1, "findings": [f.id for f in row.findings]}
                                  for row in review.decision_problems],
            "cells_to_write": len(review.changes.writes),
            "rows_to_append": sum(len(v) for v in review.changes.appends.values()),
            "locks_changed": review.changes.locks is not None,
            "cells_written": self.applied.cells_written if self.applied else 0,
            "rows_appended": self.applied.rows_appended if self.applied else 0,
            "writes_skipped": len(self.applied.skipped) if self.applied else 0,
            "dry_run": self.dry_run,
        }
