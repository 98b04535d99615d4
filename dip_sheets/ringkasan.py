"""The register's ``Ringkasan`` tab: the ``dip status`` report as rows, for people who never open a
terminal.

Pure. The report is laid out generically, section by section (its top-level keys, in order), so a
part added to the report later appears without a change here: a number or a text sits on one row
beside its label; a mapping of mappings is a table (one row per key, one column per inner key); a
mapping of values is label/value rows; a list of records is a table under a header row; a list of
values is one row. English duplicates (keys ending ``_en``) are left out: the tab is Indonesian.
A key without a label in :data:`LABELS` is shown as it is.

What the status report lacks for the dashboard is computed here from the review too
(:func:`waiting`, :func:`last_publish`); the time of the last sync that changed the register is
kept in the tab itself (:func:`last_sync`), so an unchanged sync writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from . import schema as s
from .register import Cell, Row, cell_text
from .stages import Stage
from .states import Review, RowState
from .status import NO_UNIT, STAGE_NAMES, WAITING

TITLE = "Ringkasan Daftar Informasi Publik"
NOTE = ("Ditulis oleh sinkronisasi setiap kali isinya berubah; isinya sama dengan laporan"
        " 'dip status'. Jangan diubah: perubahan akan ditimpa.")
#: the report's key for the time of the last sync that changed the register.
LAST_SYNC = "last_sync"
#: what an empty section or a missing value reads as.
NONE = "tidak ada"
NOT_YET = "belum ada"
EN = "_en"

LABELS: dict[str, str] = {
    LAST_SYNC: "Sinkronisasi terakhir yang mengubah register",
    "last_publish": "Terbit terakhir",
    "time": "Waktu", "version": "Versi", "url": "Alamat",
    "per_unit": "Jumlah item per unit dan langkah SOP",
    "total": "Jumlah seluruh item per langkah SOP",
    "publishable": "Siap terbit",
    "overdue_days": "Batas menunggu (hari)",
    "overdue": "Menunggu lebih lama dari batas",
    "blockers": "Baris yang menghambat penerbitan",
    "dik_problems": "Masalah di tab DIK",
    "corrections": "Koreksi menunggu persetujuan PPID (versi yang ditetapkan tetap terbit)",
    "since": "Sejak", "changed": "Kolom berubah", "approve": "Pilih untuk menyetujui",
    "broken_links": "Tautan yang tidak dapat dibuka (pemeriksaan terakhir)",
    "stale": "Perlu diperbarui",
    "oldest_waiting": "Menunggu sejak (tertua) per unit dan langkah SOP",
    "waiting_for": "Menunggu Desk dan PPID",
    "desk": "Desk Pelayanan Informasi (klasifikasi)",
    "ppid": "PPID (penetapan dan perintah unggah)",
    "count": "Jumlah", "oldest_id": "ID tertua", "oldest_since": "Menunggu sejak",
    "monev": "Kesiapan e-Monev (pemeriksaan mandiri terakhir)",
    "ringkasan": "Ringkasan", "diperiksa": "Diperiksa", "butir": "Butir",
    "item": "Butir", "judul": "Judul", "status": "Status",
    "id": "ID", "row": "Baris", "unit": "Unit", "stage": "Langkah SOP", "days": "Hari",
    "title": "Judul", "problems": "Masalah", "tab": "Tab", "warning": "Peringatan",
}

#: the stages in which an item waits for the Desk, and for the PPID (to decide, or to order the
#: upload of an established item).
WAITS_FOR: dict[str, tuple[Stage, ...]] = {
    "desk": (Stage.AWAITING_DESK,),
    "ppid": (Stage.AWAITING_PPID, Stage.ESTABLISHED),
}


def label(key: str) -> str:
    return LABELS.get(key, key)


def rows(report: Mapping[str, Any]) -> list[Row]:
    """The tab's rows from A1: a title, a note, then each section after an empty row."""
    out: list[Row] = [[TITLE], [NOTE]]
    for key, value in report.items():
        if not key.endswith(EN):
            out.append([])
            out += _section(key, value)
    return out


def _section(key: str, value: Any) -> list[Row]:
    name = label(key)
    if isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if not str(k).endswith(EN)}
    if not isinstance(value, Mapping | list | tuple):
        return [[name, _cell(value)]]
    if not value:
        return [[name, NONE]]
    if isinstance(value, Mapping):
        if all(isinstance(v, Mapping) for v in value.values()):
            columns = list(dict.fromkeys(k for v in value.values() for k in v if not k.endswith(EN)))
            return [[name, *map(label, columns)],
                    *([label(k), *(_cell(v.get(c)) for c in columns)] for k, v in value.items())]
        if all(_plain(v) for v in value.values()):
            return [[name], *([label(k), _cell(v)] for k, v in value.items())]
        return [[name], *(line for k, v in value.items() for line in _section(k, v))]
    if all(isinstance(v, Mapping) for v in value):
        columns = list(dict.fromkeys(k for v in value for k in v if not k.endswith(EN)))
        return [[name], list(map(label, columns)), *([_cell(v.get(c)) for c in columns] for v in value)]
    return [[name, *map(_cell, value)]]


def _plain(value: Any) -> bool:
    return not isinstance(value, Mapping) or not value


def _cell(value: Any) -> Cell:
    """A value as one cell: numbers stay numbers, a list is one line per entry."""
    if value is None:
        return NOT_YET
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, list | tuple):
        return "\n".join(cell_text(_cell(v)) for v in value)
    return str(value)


def last_sync(grid: Sequence[Sequence[Cell]]) -> str | None:
    """The time of the last sync that changed the register, as the tab says (None: never)."""
    for row in grid:
        if row and cell_text(row[0]) == LABELS[LAST_SYNC]:
            text = cell_text(row[1]) if len(row) > 1 else ""
            return text if text and text != NOT_YET else None
    return None


def sync_time(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M")


def last_publish(review: Review) -> dict[str, str] | None:
    """The newest step 5 in the register: time, version and address of the last publish that put
    an item live (``YYYY-MM-DD HH:MM · versi V · URL``, as the publish stamps it)."""
    stamps = [cell_text(r.values.get(s.STEP5)) for r in review.dip]
    parts = max(stamps, default="").split(" · ")
    if len(parts) < 3:
        return None
    return {"time": parts[0], "version": parts[1].removeprefix("versi "), "url": " · ".join(parts[2:])}


def waiting(review: Review) -> dict[str, Any]:
    """Per unit and SOP stage the day the longest-waiting item entered it; per role (Desk, PPID)
    how many items wait for it and which has waited longest."""
    oldest: dict[str, dict[str, str]] = {}
    waiting_stages = frozenset(WAITING)
    days: dict[dt.date, str] = {}  # each day's text once
    by_stage: dict[Stage, list[RowState]] = {}
    for row in review.dip:
        stage = row.position.stage
        by_stage.setdefault(stage, []).append(row)
        if stage in waiting_stages:
            unit = cell_text(row.values.get(s.UNIT)) or NO_UNIT.id
            cell = oldest.get(unit)
            if cell is None:
                cell = oldest[unit] = dict.fromkeys((STAGE_NAMES[w] for w in WAITING), "")
            since = row.position.since
            day = days.get(since) or days.setdefault(since, since.isoformat())
            name = STAGE_NAMES[stage]
            if not cell[name] or day < cell[name]:
                cell[name] = day
    roles: dict[str, dict[str, Any]] = {}
    for role, stages in WAITS_FOR.items():
        rows_: list[RowState] = [r for stage in stages for r in by_stage.get(stage, [])]
        first = min(rows_, key=lambda r: (r.since, r.row_number), default=None)
        roles[role] = {"count": len(rows_), "oldest_id": first.id if first else "",
                       "oldest_since": first.since.isoformat() if first else ""}
    return {"oldest_waiting": dict(sorted(oldest.items())), "waiting_for": roles}
