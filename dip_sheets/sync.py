"""The sync: read the register once, review it, write only what changed.

:func:`run` is the I/O around :func:`~dip_sheets.row_review.review` (pure: every row's state and
the system-cell writes that record it, never a write to a staff cell); :func:`release` moves steps 4
and 5 and ``Posisi SOP`` on after a publish. What a review concludes is data
(:mod:`dip_sheets.states`); the SOP's rules it applies to each row are :mod:`dip_sheets.workflow`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from . import schema as s
from .gc_pause import collection_paused
from .ids import PREFIX as ID_PREFIX
from .register import Changes, Register, Snapshot, cell_text
from .row_review import review, sop_writes, table
from .staleness import Watch
from .states import DikState, Review, RowState, SyncResult
from .workflow import Release, position, released, stage

__all__ = ["ID_PREFIX", "DikState", "Review", "RowState", "SyncResult", "Watch", "links_in", "release",
           "review", "run", "sop_writes"]


def release(rows: Sequence[RowState], published: Release, today: dt.date) -> Changes:
    """Steps 4 and 5 and ``Posisi SOP`` as ``published`` leaves them; each row's position moves on."""
    changes = Changes()
    for row in rows:
        now, correction = row.position, row.correction.stage if row.correction else None
        if (released(now.ordered, now.uploaded, published, row.id) == (now.ordered, now.uploaded)
                and stage(row.steps, row.publishable, bool(now.uploaded), correction) is now.stage):
            continue  # the stamps stay, so does the stage and its day: most rows of a publish
        cells = now.cells()
        after = position(cells, row.steps, row.publishable, today, release=published, item_id=row.id,
                         correction=correction)
        changes.writes += sop_writes(row.anchor, cells, after)
        row.position = after
    return changes


def links_in(snapshot: Snapshot) -> list[str]:
    """Every web address in the ``Tautan`` column of the DIP tab's rows, once each, in order
    (anything else there is a finding of its own, not a link to open)."""
    dip = table(snapshot, s.DIP_TAB)
    links = (cell_text(dip.value(row, s.LINK)).strip() for _, row in dip.data_rows())
    return list(dict.fromkeys(u for u in links if u.lower().startswith(("http://", "https://"))))


def run(register: Register, units: Sequence[str], now: dt.datetime, *, dry_run: bool = False,
        watch: Callable[[Snapshot], Watch] | None = None,
        finish: Callable[[Snapshot, Review], None] | None = None) -> SyncResult:
    """Read, review, and (unless ``dry_run``) write back what changed. Nothing changed, no write.

    ``watch`` is asked, with the register as read, for the link results and staleness rules (the
    application layer checks the links there). ``finish`` may add to the review's changes before
    they are written, in the same batch (the application's ``Ringkasan`` tab). The notes written
    into the register are Indonesian, like its headers.
    """
    with collection_paused():
        snapshot = register.read()
        result = review(snapshot, units, now, watch(snapshot) if watch is not None else None)
        if finish is not None:
            finish(snapshot, result)
        # the review keeps what it needs: the rows as read go before the write (at 100,000 rows
        # tens of MB), which reads again the tabs it touches
        del snapshot
    if dry_run or not result.changes:
        return SyncResult(result, None, dry_run)
    return SyncResult(result, register.apply(result.changes), dry_run)
