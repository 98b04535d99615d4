"""The SOP as rules on a row: where an item stands, and what establishment means.

Steps happen in order (1 handed over by the unit, 2 classified by the Desk, 3 established by the
PPID, 4 upload ordered, 5 uploaded). An established row carries a fingerprint (``Sidik``) of its
content; if the content no longer matches, the row was edited after establishment and goes back to
the PPID before it may be published again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from enum import StrEnum

from . import schema as s
from .register import Cell, cell_text
from .validate import Steps


class Stage(StrEnum):
    """Where an item sits in the SOP, in the order the status report lists them."""

    DRAFT = "1 Draf unit"
    AWAITING_DESK = "2 Menunggu klasifikasi Desk"
    NEEDS_FIX = "2 Perlu perbaikan"
    AWAITING_PPID = "3 Menunggu penetapan PPID"
    NEEDS_REVISION = "3 Perlu revisi"
    REJECTED = "3 Ditolak"
    BLOCKED = "3 Ditetapkan tetapi bermasalah"
    ESTABLISHED = "4 Ditetapkan, belum diunggah"
    PUBLISHED = "5 Diunggah"

    @property
    def label_en(self) -> str:
        return _STAGE_EN[self]


_STAGE_EN = {
    Stage.DRAFT: "1 Unit draft",
    Stage.AWAITING_DESK: "2 Awaiting Desk classification",
    Stage.NEEDS_FIX: "2 Needs fixing",
    Stage.AWAITING_PPID: "3 Awaiting PPID decision",
    Stage.NEEDS_REVISION: "3 Needs revision",
    Stage.REJECTED: "3 Rejected",
    Stage.BLOCKED: "3 Established but blocked",
    Stage.ESTABLISHED: "4 Established, not yet uploaded",
    Stage.PUBLISHED: "5 Uploaded",
}


#: what spreadsheet programs take as the start of a formula; a copy of such a text may be stored
#: with a leading apostrophe so it stays text (the Riwayat copy, a sheet's "quote prefix")
FORMULA_START = ("=", "+", "-", "@")


def content_text(value: object) -> str:
    """A content cell as compared: whitespace collapsed, and the same for a formula's text however
    it was read back. A formula stored as text with a leading ``'`` compares equal to itself, and a
    value that is not plain data (openpyxl's ``ArrayFormula``) is compared by its formula text,
    never by a ``repr`` that changes on every read, so such a row does not look edited each sync."""
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        text = cell_text(value)
    else:
        text = str(getattr(value, "text", "") or type(value).__name__).strip()
    text = " ".join(text.split())
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def fingerprint(values: Mapping[str, Cell]) -> str:
    """A short digest of an item's content (the unit-owned columns), as stored in ``Sidik``."""
    text = "\x1f".join(content_text(values.get(h)) for h in s.CONTENT_HEADERS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stage(steps: Steps, publishable: bool, uploaded: bool) -> Stage:
    if steps.decision == s.ESTABLISHED:
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
