"""The ``Riwayat`` tab as the sync's memory: what each ID went through, so review cannot be bypassed.

Rows are appended in time order and never rewritten, one per event. From them the sync knows, per
ID: the content as the PPID last established it, whether the item is still on record as established
(so a row deleted from the sheet is reported once, not forgotten), and whether a row is *held*.

A row is held when it first appears under a new ID already marked ``Ditetapkan`` while it resembles
an item established before (same title and unit, ignoring case and spacing, as an item established
in ``Riwayat`` or in the sheet now; or it still carries another row's ``Sidik``): clearing an ID or
copying a row must not put content live without the PPID. The hold is released only by an action
of the PPID the sync can see: ``Perlu Revisi`` in step 3 (recorded as a ``Riwayat`` row), after which
``Ditetapkan`` establishes it as usual. Pure: no I/O; the decisions themselves are
:mod:`dip_sheets.workflow`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import schema as s
from .findings import Finding
from .register import Cell, cell_text
from .validate import duplicate_key, id_number

EVENT_ESTABLISHED = "Ditetapkan"
EVENT_EDITED = "Diubah setelah ditetapkan"
EVENT_WITHDRAWN = "Penetapan dicabut"
EVENT_HELD = "Ditahan, mirip item yang pernah ditetapkan"
EVENT_RELEASED = "Dibuka PPID untuk ditetapkan"
EVENT_REMOVED = "Hilang dari register"
EVENT_RETURNED = "Kembali ke register"

#: events that change whether an item is established; the last one decides
_LIFECYCLE = {EVENT_ESTABLISHED, EVENT_EDITED, EVENT_WITHDRAWN, EVENT_REMOVED, EVENT_RETURNED}
_ON_RECORD = {EVENT_ESTABLISHED, EVENT_EDITED, EVENT_RETURNED}


def event_name(value: Cell) -> str:
    """The event of a ``Peristiwa`` cell, without the note after ``:``."""
    return cell_text(value).partition(":")[0].strip()


@dataclass
class Records:
    """Per ID, what ``Riwayat`` says (see the module docstring)."""

    #: the most recent row
    latest: dict[str, dict[str, Cell]] = field(default_factory=dict)
    #: the most recent establishment: the content as the PPID established it
    established: dict[str, dict[str, Cell]] = field(default_factory=dict)
    #: the last event that changed whether the item is established
    lifecycle: dict[str, str] = field(default_factory=dict)
    #: the last hold or release
    gate: dict[str, str] = field(default_factory=dict)
    #: title-and-unit key -> IDs established under it at some time
    keys: dict[str, set[str]] = field(default_factory=dict)

    def on_record(self) -> set[str]:
        """IDs that are established as far as the records know (a row should carry them)."""
        return {i for i, event in self.lifecycle.items() if event in _ON_RECORD}

    def removed(self, item_id: str) -> bool:
        return self.lifecycle.get(item_id) == EVENT_REMOVED

    def held(self, item_id: str) -> bool:
        return self.gate.get(item_id) == EVENT_HELD

    def digest(self, item_id: str) -> str:
        """The ``Sidik`` the item was established with, while it counts as established (also
        while it is missing from the sheet, so a row pasted back cannot skip review); else ``""``."""
        if self.lifecycle.get(item_id) not in (*_ON_RECORD, EVENT_REMOVED):
            return ""
        return cell_text(self.established.get(item_id, {}).get(s.FINGERPRINT))

    def digests(self) -> set[str]:
        """Every ``Sidik`` an item was ever established with."""
        return {cell_text(v.get(s.FINGERPRINT)) for v in self.established.values()} - {""}

    def similar(self, values: Mapping[str, Cell], item_id: str) -> list[str]:
        """Other IDs once established with the same title and unit as ``values``."""
        if not cell_text(values.get(s.TITLE)):
            return []
        return sorted(self.keys.get(duplicate_key(values), set()) - {item_id}, key=id_number)


def read_records(rows: Iterable[Mapping[str, Cell]]) -> Records:
    """One pass over the ``Riwayat`` rows (as header -> value), oldest first."""
    records = Records()
    for values in rows:
        item_id = cell_text(values.get(s.ID))
        if not item_id:
            continue
        event = event_name(values.get(s.HISTORY_EVENT))
        records.latest[item_id] = dict(values)
        if event == EVENT_ESTABLISHED:
            records.established[item_id] = dict(values)
            records.keys.setdefault(duplicate_key(values), set()).add(item_id)
        if event in _LIFECYCLE:
            records.lifecycle[item_id] = event
        if event in (EVENT_HELD, EVENT_RELEASED):
            records.gate[item_id] = event
    return records


def history_row(
    stamp: str, item_id: str, event: str, digest: str, changed: list[str],
    values: Mapping[str, Cell], note: str = "",
) -> dict[str, Cell]:
    """A ``Riwayat`` row: when, which item, what happened, and the content at that moment."""
    row: dict[str, Cell] = {
        s.HISTORY_TIME: stamp,
        s.ID: item_id,
        s.HISTORY_EVENT: f"{event}: {note}" if note else event,
        s.FINGERPRINT: digest,
        s.HISTORY_CHANGED: ", ".join(changed),
    }
    row.update({h: cell_text(values.get(h)) for h in s.CONTENT_HEADERS})
    return row


_REESTABLISH_ID = (f"pilih '{s.NEEDS_REVISION}' di kolom '{s.STEP3}', tunggu sinkronisasi berikutnya,"
                   f" lalu pilih '{s.ESTABLISHED}' lagi.")
_REESTABLISH_EN = (f"choose '{s.NEEDS_REVISION}' in '{s.STEP3}', wait for the next sync, then choose"
                   f" '{s.ESTABLISHED}' again.")


def tamper_finding(changed: list[str]) -> Finding:
    columns = ", ".join(changed) if changed else "isi baris"
    columns_en = ", ".join(changed) if changed else "row content"
    return Finding(
        None,
        f"Diubah setelah ditetapkan ({columns}); nilai lama tersimpan di tab '{s.HISTORY_TAB}'."
        f" Tidak diterbitkan sampai PPID menetapkan ulang: {_REESTABLISH_ID}",
        f"Edited after establishment ({columns_en}); the old values are kept in the"
        f" '{s.HISTORY_TAB}' tab. Not published until the PPID re-establishes it: {_REESTABLISH_EN}",
    )


def held_finding(similar: list[str]) -> Finding:
    """Why a row that arrived already ``Ditetapkan`` under a new ID is not established."""
    like_id = f"mirip {', '.join(similar)} (judul dan unit sama)" if similar else \
        "salinan baris yang sudah ditetapkan"
    like_en = f"resembles {', '.join(similar)} (same title and unit)" if similar else \
        "a copy of an established row"
    return Finding(
        s.STEP3,
        f"Baris ini muncul dengan ID baru sudah berstatus '{s.ESTABLISHED}' padahal {like_id}"
        f" (ID dihapus atau baris disalin?). Isinya belum ditinjau PPID sehingga tidak diterbitkan;"
        f" bila isinya benar, PPID {_REESTABLISH_ID}",
        f"This row appeared under a new ID already marked '{s.ESTABLISHED}' although it is"
        f" {like_en} (ID cleared or row copied?). The PPID has not reviewed its content, so it is"
        f" not published; if the content is right, the PPID should {_REESTABLISH_EN}",
    )
