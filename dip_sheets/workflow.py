"""The SOP as rules on a row: where an item stands, and what establishment means. Pure: no I/O.

Steps happen in order (1 handed over by the unit, 2 classified by the Desk, 3 established by the
PPID, 4 upload ordered, 5 uploaded). Staff fill steps 1 to 3 (:func:`read_steps`); dip-sheets
writes steps 4 and 5 and ``Posisi SOP`` (:func:`position`, the one rule for those three cells,
used by the sync and by the publish alike).

An established row carries a fingerprint (``Sidik``) of its content, and ``Riwayat`` remembers
what was established (:mod:`dip_sheets.ledger`). :func:`establishment` decides whether a sync
establishes a row, finds a correction of it waiting for the PPID (the last established version
stays published meanwhile, :func:`established_item`), approves or rejects such a correction, or
sees the establishment withdrawn; :func:`hold` decides whether a row that arrived already
established must wait for the PPID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import schema as s
from .findings import Finding, Invalid
from .ledger import (
    APPROVED_NOTE,
    EVENT_EDITED,
    EVENT_ESTABLISHED,
    EVENT_HELD,
    EVENT_REJECTED,
    EVENT_RELEASED,
    EVENT_RESTORED,
    EVENT_STEP3,
    EVENT_WITHDRAWN,
    Records,
    held_finding,
    history_row,
    step3_note,
)
from .register import Cell, cell_text
from .stages import Stage
from .validate import Item, parse_choice, validate_dip_row

# ---- steps 1 to 3, as staff filled them ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Steps:
    """The SOP columns of a row, normalised (empty string = not done)."""

    handed_over: bool
    classification: str
    decision: str


def read_steps(values: Mapping[str, Cell]) -> tuple[Steps, list[Finding]]:
    """Steps 1 to 3 of a row, and a finding for each one filled out of order or with a wrong value."""
    findings: list[Finding] = []
    chosen = []
    for header, choices in _CHOICES.items():  # steps 1, 2, 3
        text = cell_text(values.get(header))
        try:
            chosen.append(_choice(text, header, choices) if text else "")
        except Invalid as problem:
            findings.append(problem.finding)
            chosen.append("")
    handed_over, classification, decision = chosen
    steps = Steps(handed_over == s.HANDED_OVER, classification, decision)
    if steps.classification in (s.CLASSIFIED, s.NEEDS_FIX) and not steps.handed_over:
        findings.append(Finding(
            s.STEP2,
            f"{s.STEP2}: diisi sebelum unit menyerahkan informasi (kolom '{s.STEP1}' masih kosong).",
            f"{s.STEP2}: filled before the unit handed the item over ('{s.STEP1}' is empty).",
        ))
    if steps.decision in s.ESTABLISHING and not (
        steps.handed_over and steps.classification == s.CLASSIFIED
    ):
        findings.append(Finding(
            s.STEP3,
            f"{s.STEP3}: belum dapat ditetapkan; informasi harus diserahkan unit ('{s.STEP1}' = Ya)"
            f" dan diklasifikasi Desk ('{s.STEP2}' = Sudah) lebih dulu.",
            f"{s.STEP3}: cannot be established yet; the unit must hand it over ('{s.STEP1}' = Ya)"
            f" and the Desk must classify it ('{s.STEP2}' = Sudah) first.",
        ))
    return steps, findings


_DIP = s.TAB_BY_NAME[s.DIP_TAB]
_CHOICES = {h: _DIP.column(h).choices for h in (s.STEP1, s.STEP2, s.STEP3)}
#: every row repeats the same few step values: each distinct text is matched once (pure)
_choice = lru_cache(maxsize=256)(parse_choice)


# ---- where an item stands ------------------------------------------------------------------------


#: what spreadsheet programs take as the start of a formula; a copy of such a text may be stored
#: with a leading apostrophe so it stays text (the Riwayat copy, a sheet's "quote prefix")
FORMULA_START = ("=", "+", "-", "@")


def content_text(value: object) -> str:
    """A content cell as compared: whitespace collapsed, and the same for a formula's text however
    it was read back. A formula stored as text with a leading ``'`` compares equal to itself, and a
    value that is not plain data (openpyxl's ``ArrayFormula``) is compared by its formula text,
    never by a ``repr`` that changes on every read, so such a row does not look edited each sync."""
    if type(value) is str:  # most cells: split() trims as cell_text would
        text = value
    elif value is None or isinstance(value, str | int | float | bool | dt.date):
        text = cell_text(value)
    else:
        text = str(getattr(value, "text", "") or type(value).__name__).strip()
    text = " ".join(text.split())
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def fingerprint(values: Mapping[str, Cell]) -> str:
    """A short digest of an item's content (the unit-owned columns), as stored in ``Sidik``."""
    text = "\x1f".join([v if type(v) is str else "" if v is None else content_text(v)
                        for v in map(values.get, s.CONTENT_HEADERS)])
    if not _tidy(text):  # some cell's content_text differs from the cell: each cell's, then
        text = "\x1f".join([content_text(v) for v in map(values.get, s.CONTENT_HEADERS)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _tidy(text: str) -> bool:
    """Whether each of the content cells joined by the unit separator in ``text`` is its own
    :func:`content_text` (most rows: a few scans of the row, not a split of each cell): no
    whitespace but single spaces inside a cell (every other whitespace character is
    unprintable), no leading apostrophe, and no unit separator in a cell."""
    cells = f"\x1f{text}\x1f"
    return ("  " not in cells and "\x1f " not in cells and " \x1f" not in cells and "\x1f'" not in cells
            and cells.count("\x1f") == len(s.CONTENT_HEADERS) + 1
            and cells.replace("\x1f", "").isprintable())


def stage(steps: Steps, publishable: bool, uploaded: bool, correction: Stage | None = None) -> Stage:
    """Where a row stands; ``correction``: the stage of a correction waiting (see :class:`Correction`)."""
    if correction is not None:
        return correction
    if steps.decision in s.KEEPS_ESTABLISHED:
        if not publishable:
            return Stage.BLOCKED
        return Stage.PUBLISHED if uploaded else Stage.ESTABLISHED
    if steps.decision == s.REJECTED:
        return Stage.REJECTED
    if steps.decision == s.NEEDS_REVISION:
        return Stage.NEEDS_REVISION
    if not steps.handed_over:
        return Stage.DRAFT
    if steps.classification == s.CLASSIFIED:
        return Stage.AWAITING_PPID
    if steps.classification == s.NEEDS_FIX:
        return Stage.NEEDS_FIX
    return Stage.AWAITING_DESK


def changed_columns(before: Mapping[str, str], after: Mapping[str, Cell]) -> list[str]:
    """Content headers whose text differs between an established copy and the row now."""
    return [
        h for h in s.CONTENT_HEADERS
        if content_text(before.get(h)) != content_text(after.get(h))
    ]


# ---- steps 4 and 5 and ``Posisi SOP``: the cells dip-sheets writes -----------------------------

#: between a stage and the day it began, in a ``Posisi SOP`` cell
SINCE = " · sejak "


@lru_cache(maxsize=1024)  # rows share their few stage texts; pure
def stage_since(text: str, current: Stage) -> dt.date | None:
    """The date recorded in a ``Posisi SOP`` cell, if it still names the ``current`` stage."""
    label, _, day = text.partition(SINCE)
    if label != current:  # a StrEnum is its value
        return None
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return None


@dataclass(frozen=True)
class Release:
    """A publish as steps 4 and 5 record it: the items it puts live, and each step's text.

    ``uploaded`` is ``None`` for an upload ordered and not (yet) done: what the register records
    when an upload fails, so step 4 is written and step 5 is not. A publish that completes
    records both in one batch, once the live manifest was read back.
    """

    items: frozenset[str]
    ordered: str
    uploaded: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Steps 4 and 5 and ``Posisi SOP`` of a row: where it stands, in the cells only dip-sheets writes."""

    ordered: str
    uploaded: str
    stage: Stage
    #: the day the row entered ``stage``
    since: dt.date

    def cells(self) -> dict[str, str]:
        return {s.STEP4: self.ordered, s.STEP5: self.uploaded, s.STAGE: _stage_text(self.stage, self.since)}


@lru_cache(maxsize=1024)  # rows share their few stages and days; pure
def _stage_text(stage: Stage, since: dt.date) -> str:
    """A ``Posisi SOP`` cell: the stage and the day it began."""
    return f"{stage}{SINCE}{since.isoformat()}"


def position(
    cells: Mapping[str, Cell], steps: Steps, publishable: bool, today: dt.date, *,
    reset: bool = False, release: Release | None = None, item_id: str = "", correction: Stage | None = None,
) -> Position:
    """Steps 4 and 5 and ``Posisi SOP`` of a row, from those ``cells`` as they are now.

    ``reset``: the establishment changed (established anew, or withdrawn), so the upload stamps,
    which describe the content that went live, are cleared. A ``release`` stamps the items it puts
    live (a row keeps an earlier stamp: it says when its content went live) and clears the stamps
    of every other row. A stage keeps its date for as long as the row stays in it.
    """
    ordered, uploaded = ("", "") if reset else (cell_text(cells.get(s.STEP4)),
                                                 cell_text(cells.get(s.STEP5)))
    if release is not None:
        ordered, uploaded = released(ordered, uploaded, release, item_id)
    where = stage(steps, publishable, bool(uploaded), correction)
    return Position(ordered, uploaded, where, stage_since(cell_text(cells.get(s.STAGE)), where) or today)


def released(ordered: str, uploaded: str, release: Release, item_id: str) -> tuple[str, str]:
    """Steps 4 and 5 of a row once ``release`` is recorded, from what they say now (see
    :func:`position`)."""
    live = item_id in release.items
    ordered = (ordered or release.ordered) if live else ""
    if release.uploaded is not None:
        uploaded = (uploaded or release.uploaded) if live else ""
    return ordered, uploaded


# ---- establishment -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Establishment:
    """What a sync makes of a row's establishment (see :func:`establishment`)."""

    #: the ``Sidik`` the row carries after this sync; ``""``: not established
    digest: str
    #: the ``Riwayat`` event this sync records (``""``: none), with the ``Sidik`` and note it records
    event: str = ""
    recorded: str = ""
    note: str = ""
    #: the content differs from the established one and no approval took it: a correction waits
    #: (the established version stays live), or was rejected
    tampered: bool = False
    rejected: bool = False
    #: this sync establishes a correction of an established item
    approved: bool = False
    #: the content columns that differ from the established version
    changed: tuple[str, ...] = ()

    def history(self, stamp: str, item_id: str, values: Mapping[str, Cell]) -> dict[str, Cell]:
        """The ``Riwayat`` row for :attr:`event`."""
        return history_row(stamp, item_id, self.event, self.recorded, list(self.changed), values,
                           note=self.note)


def approval_choice(decision: str) -> str:
    """The step-3 value that approves a correction of a row whose step 3 is ``decision`` now
    (after a sync, the records hold that value: only a different one is the PPID's new action)."""
    return s.ESTABLISHED if decision == s.APPROVE_CORRECTION else s.APPROVE_CORRECTION


def establishment(
    records: Records, item_id: str, values: Mapping[str, Cell], decision: str, stored: str,
    valid: bool, current: str | None = None,
) -> Establishment:
    """Whether this sync establishes a row, finds a correction of it (waiting, approved or
    rejected), or sees the establishment withdrawn.

    ``stored`` is the ``Sidik`` ``Riwayat`` holds for the row (``""``: not established), ``decision``
    its step 3 and ``valid`` whether it has no finding. A correction is approved by an establishing
    step 3 that differs from the one recorded when the row's content was last seen, so a value left
    from an earlier approval approves nothing. Every difference from what the records saw (content
    or step 3) is recorded once, so the next sync knows it. ``current``: the row's
    :func:`fingerprint`, when the caller has it already.
    """
    if decision not in s.KEEPS_ESTABLISHED:
        return Establishment("", EVENT_WITHDRAWN, stored, decision or "(kosong)") if stored \
            else Establishment("")
    if current is None:
        current = fingerprint(values)
    if not stored:
        if decision in s.ESTABLISHING and valid:
            return Establishment(current, EVENT_ESTABLISHED, current, step3_note(decision))
        return Establishment("")
    seen, seen_decision = records.seen.get(item_id, (stored, s.ESTABLISHED))
    unchanged_since_seen = (seen, seen_decision) == (current, decision)
    if stored == current:
        if unchanged_since_seen:
            return Establishment(stored)
        return Establishment(stored, EVENT_STEP3 if seen == current else EVENT_RESTORED, current,
                             step3_note(decision))
    before = records.established.get(item_id, {})
    changed = tuple(changed_columns({h: cell_text(v) for h, v in before.items()}, values))
    if decision in s.ESTABLISHING and decision != seen_decision and valid:
        return Establishment(current, EVENT_ESTABLISHED, current, step3_note(decision, APPROVED_NOTE),
                             approved=True, changed=changed)
    rejected = decision == s.REJECT_CORRECTION
    event = ("" if unchanged_since_seen else EVENT_REJECTED if rejected
             else EVENT_STEP3 if seen == current else EVENT_EDITED)
    return Establishment(stored, event, current, step3_note(decision), tampered=True, rejected=rejected,
                         changed=changed)


@dataclass(frozen=True)
class Correction:
    """A row whose content differs from its established version, and what goes live meanwhile."""

    changed: tuple[str, ...]
    rejected: bool
    #: the established version (``None``: it no longer passes the checks)
    live: Item | None
    #: the step-3 value that approves the correction
    approve: str

    @property
    def stage(self) -> Stage:
        if self.live is None:
            return Stage.BLOCKED
        return Stage.CORRECTION_REJECTED if self.rejected else Stage.CORRECTION_PENDING


def established_item(records: Records, item_id: str, units: Sequence[str]) -> Item | None:
    """The item as the PPID last established it (its ``Riwayat`` copy), checked like any row."""
    item, _ = validate_dip_row(records.established.get(item_id, {}), units, item_id)
    return item


def hold(
    records: Records, stamp: str, item_id: str, values: Mapping[str, Cell], decision: str,
    arrived: bool, sidik: str, findings: list[Finding],
) -> tuple[bool, dict[str, Cell] | None]:
    """Whether a row is held (see :mod:`dip_sheets.ledger`), and the ``Riwayat`` row to append if
    this sync holds or releases it. A held row marked ``Ditetapkan`` gets a finding in
    ``findings``, so it is not established."""
    event: dict[str, Cell] | None = None
    similar: list[str] | None = None  # looked up only for a row that may be held (most are not)
    if arrived:
        similar = records.similar(values, item_id) if decision in s.ESTABLISHING else []
        held = decision in s.ESTABLISHING and (bool(similar) or sidik in records.digests())
        if held:
            event = history_row(stamp, item_id, EVENT_HELD, "", [], values,
                                note=", ".join(similar) or "salinan baris yang ditetapkan")
    elif records.held(item_id) and decision == s.NEEDS_REVISION:
        held = False
        event = history_row(stamp, item_id, EVENT_RELEASED, "", [], values)
    else:
        held = records.held(item_id)
    if held and decision in s.ESTABLISHING:
        findings.insert(0, held_finding(records.similar(values, item_id) if similar is None else similar))
    return held, event
