"""The ``Riwayat`` tab as the sync's memory: what each ID went through, so review cannot be bypassed.

Rows are appended in time order and never rewritten, one per event. From them the sync knows, per
ID: the content as the PPID last established it, whether the item is still on record as established
(so a row deleted from the sheet is reported once, not forgotten), and whether a row is *held*.

A row is held when it first appears under a new ID already marked ``Ditetapkan`` while it resembles
an item established before (same title and unit, ignoring case and spacing, as an item established
in ``Riwayat`` or in the sheet now; or it still carries another row's ``Sidik``): clearing an ID or
copying a row must not put content live without the PPID. The hold is released only by an action
of the PPID the sync can see: ``Perlu Revisi`` in step 3 (recorded as a ``Riwayat`` row), after which
``Ditetapkan`` establishes it as usual.

Corrections: each row about an established item's content or step 3 (an establishment, an edit, a
rejected correction, a step-3 change, a return to the established content) notes the step-3 value
the sync saw (``Langkah 3 = …``; older rows without it count as ``Ditetapkan``), so the records
know what the PPID's column said when the item's content was last seen: an approval is a value that
differs from it, never one left over from an earlier approval. Pure: no I/O; the decisions
themselves are :mod:`dip_sheets.workflow`'s.
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
EVENT_REJECTED = "Koreksi ditolak"
EVENT_STEP3 = "Pilihan PPID berubah"
EVENT_RESTORED = "Kembali ke isi yang ditetapkan"
#: ``dip tarik``: the item was taken off the site (live and archived); a note, not a lifecycle event
EVENT_REDACTED = "Ditarik dari situs"
#: the note of an establishment that approves a correction
APPROVED_NOTE = "koreksi disetujui"
#: how a ``Riwayat`` note records the step-3 value the sync saw
STEP3_NOTE = "Langkah 3 = "

#: events that change whether an item is established; the last one decides
_LIFECYCLE = {EVENT_ESTABLISHED, EVENT_EDITED, EVENT_WITHDRAWN, EVENT_REMOVED, EVENT_RETURNED}
_ON_RECORD = {EVENT_ESTABLISHED, EVENT_EDITED, EVENT_RETURNED}
#: events after which the item's established ``Sidik`` still counts (see :meth:`Records.digest`)
_KEEPS_DIGEST = {*_ON_RECORD, EVENT_REMOVED}
#: events that record an item's content and step 3 as the sync saw them
_SEEN = {EVENT_ESTABLISHED, EVENT_EDITED, EVENT_REJECTED, EVENT_STEP3, EVENT_RESTORED}


def event_name(value: Cell) -> str:
    """The event of a ``Peristiwa`` cell, without the note after ``:``."""
    return cell_text(value).partition(":")[0].strip()


def step3_noted(value: Cell) -> str:
    """The step-3 value a ``Peristiwa`` cell records (``Ditetapkan`` when it records none)."""
    note = cell_text(value).partition(":")[2]
    for part in note.split(";"):
        if part.strip().startswith(STEP3_NOTE):
            return part.strip().removeprefix(STEP3_NOTE).strip()
    return s.ESTABLISHED


def step3_note(decision: str, *before: str) -> str:
    """The note that records ``decision`` (after any other notes)."""
    return "; ".join([*before, f"{STEP3_NOTE}{decision}"])


@dataclass
class Records:
    """Per ID, what ``Riwayat`` says (see the module docstring)."""

    #: the most recent row
    latest: dict[str, Mapping[str, Cell]] = field(default_factory=dict)
    #: the most recent establishment: the content as the PPID established it
    established: dict[str, Mapping[str, Cell]] = field(default_factory=dict)
    #: the last event that changed whether the item is established
    lifecycle: dict[str, str] = field(default_factory=dict)
    #: the last hold or release
    gate: dict[str, str] = field(default_factory=dict)
    #: title-and-unit key -> IDs established under it at some time
    keys: dict[str, set[str]] = field(default_factory=dict)
    #: the ``Sidik`` and step 3 the sync last recorded for the item (see the module docstring)
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)

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
        if self.lifecycle.get(item_id) not in _KEEPS_DIGEST:
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
        row = records.latest[item_id] = values  # kept as given, shared (nothing edits it)
        if event == EVENT_ESTABLISHED:
            records.established[item_id] = row
            records.keys.setdefault(duplicate_key(values), set()).add(item_id)
        if event in _LIFECYCLE:
            records.lifecycle[item_id] = event
        if event in (EVENT_HELD, EVENT_RELEASED):
            records.gate[item_id] = event
        if event in _SEEN:
            records.seen[item_id] = (cell_text(values.get(s.FINGERPRINT)),
                                     step3_noted(values.get(s.HISTORY_EVENT)))
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


#: how much of an established value a note quotes (the whole value is in ``Riwayat``)
QUOTE = 80


def _quote(value: Cell) -> str:
    text = " ".join(cell_text(value).split())
    if not text:
        return "(kosong)"
    return f"'{text}'" if len(text) <= QUOTE else f"'{text[:QUOTE - 1].rstrip()}…'"


def correction_finding(changed: list[str], approve: str, live: bool) -> Finding:
    """The note of a row whose content differs from the established one, waiting for the PPID;
    ``approve`` is the step-3 value that approves it, ``live`` whether the established version
    still goes on the list."""
    columns = ", ".join(changed) if changed else "isi baris"
    columns_en = ", ".join(changed) if changed else "row content"
    kept = ("Versi yang ditetapkan tetap diterbitkan" if live else
            "Versi yang ditetapkan tidak lolos pemeriksaan lagi sehingga item ini tidak diterbitkan")
    kept_en = ("The established version stays published" if live else
               "The established version no longer passes the checks, so the item is not published")
    return Finding(
        None,
        f"Koreksi menunggu persetujuan PPID (berubah: {columns}). {kept}; nilai lamanya ada di tab"
        f" '{s.HISTORY_TAB}'. PPID: pilih '{approve}' untuk menyetujui atau '{s.REJECT_CORRECTION}'"
        f" untuk menolak, di kolom '{s.STEP3}'.",
        f"Correction waiting for the PPID's approval (changed: {columns_en}). {kept_en}; the old"
        f" values are in the '{s.HISTORY_TAB}' tab. PPID: choose '{approve}' to approve or"
        f" '{s.REJECT_CORRECTION}' to reject it, in '{s.STEP3}'.",
    )


def excluded_finding() -> Finding:
    """The note of an established row now marked ``Dikecualikan``: withheld, and what to do."""
    return Finding(
        None,
        f"Baris yang sudah ditetapkan ini kini ditandai '{s.EXCLUDED}', sehingga versi yang ditetapkan"
        f" pun tidak diterbitkan lagi sampai PPID memutuskan: bila informasinya memang dikecualikan,"
        f" catat di tab '{s.DIK_TAB}' beserta uji konsekuensinya lalu pilih '{s.NEEDS_REVISION}' di kolom"
        f" '{s.STEP3}'; bila tidak, kembalikan '{s.CATEGORY}'-nya (nilai lamanya ada di tab"
        f" '{s.HISTORY_TAB}').",
        f"This established row is now marked '{s.EXCLUDED}', so not even its established version is"
        f" published until the PPID decides: if the information is excluded, record it in the"
        f" '{s.DIK_TAB}' tab with its consequence test and choose '{s.NEEDS_REVISION}' in '{s.STEP3}';"
        f" if not, put its '{s.CATEGORY}' back (the old values are in the '{s.HISTORY_TAB}' tab).",
    )


def rejected_finding(changed: list[str], established: Mapping[str, Cell], item_id: str, approve: str
                     ) -> Finding:
    """The note of a row whose correction the PPID rejected: the established values to type back."""
    values = "; ".join(f"{h} = {_quote(established.get(h))}" for h in changed) or "isi baris"
    return Finding(
        None,
        f"Koreksi ditolak PPID; versi yang ditetapkan tetap diterbitkan. Unit: kembalikan nilai yang"
        f" ditetapkan: {values} (nilai lengkapnya di tab '{s.HISTORY_TAB}', baris '{EVENT_ESTABLISHED}'"
        f" terakhir untuk {item_id}). Bila koreksi ini ternyata benar, PPID memilih '{approve}' di"
        f" kolom '{s.STEP3}'.",
        f"Correction rejected by the PPID; the established version stays published. Unit: type the"
        f" established values back: {values} (the full values are in the '{s.HISTORY_TAB}' tab, the"
        f" last '{EVENT_ESTABLISHED}' row of {item_id}). If the correction is right after all, the"
        f" PPID chooses '{approve}' in '{s.STEP3}'.",
    )


def no_correction_finding() -> Finding:
    """``Tolak Koreksi`` on a row that is not established: there is nothing to reject."""
    return Finding(
        s.STEP3,
        f"{s.STEP3}: '{s.REJECT_CORRECTION}' hanya untuk koreksi baris yang sudah ditetapkan; baris"
        f" ini belum ditetapkan. PPID: pilih '{s.ESTABLISHED}', '{s.REJECTED}' atau"
        f" '{s.NEEDS_REVISION}'.",
        f"{s.STEP3}: '{s.REJECT_CORRECTION}' is only for corrections of an established row; this row"
        f" is not established. PPID: choose '{s.ESTABLISHED}', '{s.REJECTED}' or '{s.NEEDS_REVISION}'.",
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
