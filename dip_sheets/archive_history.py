"""The archived versions as the update history needs them, read from the published site.

Split from :mod:`dip_sheets.publish` so that publishing reads the archive in one place: each version
from the summary its manifest stores (:func:`dip_sheets.history.summary`), its ``dip.json`` only when
a render needs its records; and an archived list read back to be rendered again (a rollback, a
redaction), with the notes the history page shows for such versions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import schema as s
from .config import Config
from .dates import format_date
from .errors import PublishFailed
from .history import PastVersion, Record, from_summary
from .messages import Message
from .records import Version
from .render import render_site
from .rendered import Rendered
from .site import ARCHIVE, Manifest
from .switch import Progress
from .targets import Target
from .validate import Item

#: ``Manifest.event["jenis"]`` of a rollback and of the version a redaction puts live
ROLLBACK, REDACTION = "pemulihan", "penarikan"


def past_versions(target: Target, archived: Sequence[Manifest], progress: Progress) -> list[PastVersion]:
    """Every archived version, for the update history (``riwayat.html``).

    A version whose manifest stores its changes costs nothing more here: its ``dip.json`` is read
    only if the render iterates its records. One without (published before summaries were kept) is
    read now, as before; a damaged archive entry is reported and left out of the history.
    """
    history = []
    for manifest in archived:
        path = f"{ARCHIVE}/{manifest.version}/dip.json"
        try:
            if manifest.history is not None:
                history.append(from_summary(manifest.version, manifest.published_at, manifest.history,
                                            _records_of(target, path, progress)))
                continue
            data = target.read(path)
            if data is not None:
                history.append(PastVersion.from_dip_json(data))
        except ValueError as problem:
            progress(Message(f"  riwayat: {problem}", f"  history: {problem}"))
    return history


def _records_of(target: Target, path: str, progress: Progress) -> Callable[[], Sequence[Record]]:
    """Reads an archived version's records when first needed; a damaged one counts as empty."""
    def load() -> Sequence[Record]:
        data = target.read(path)
        try:
            return PastVersion.from_dip_json(data).records if data is not None else ()
        except ValueError as problem:
            progress(Message(f"  riwayat: {problem}", f"  history: {problem}"))
            return ()
    return load


# ---- an archived version's list, read back to be rendered again (rollback, redaction) ------------


@dataclass(frozen=True)
class ArchivedList:
    """An archived ``dip.json``: the version it describes and its records."""

    version: Version
    records: tuple[Record, ...]

    def without(self, item_id: str) -> ArchivedList:
        return ArchivedList(self.version, tuple(r for r in self.records if r.get("id") != item_id))

    def items(self) -> list[Item]:
        """The records as the renderer takes them (:func:`dip_sheets.records.item_record` reversed)."""
        return [Item(**{f.attr: record.get(f.key, 0 if f.integer else "") for f in s.RECORD_FIELDS})
                for record in self.records]


def read_list(data: bytes | None, site_url: str) -> ArchivedList | None:
    """An archived ``dip.json`` as the list it was published with (None: missing or damaged)."""
    try:
        past = PastVersion.from_dip_json(data or b"")
        year = json.loads(data or b"").get("tahun")
        version = Version(past.id, past.published_at, past.date_text, past.decision_number,
                          past.decision_date, year if isinstance(year, int) else 0, site_url)
    except ValueError:
        return None
    return ArchivedList(version, tuple(past.records))


def render_list(config: Config, listed: ArchivedList, version: Version, history: Sequence[PastVersion],
                notes: Mapping[str, Sequence[str]]) -> Rendered:
    """The files of ``listed`` rendered again as ``version``; its DIK files are not among what a
    caller takes (the DIK is not kept in a form the renderer reads back)."""
    return render_site(listed.items(), (), config.office, version, config.publish.templates, history,
                       notes=notes)


def _when(iso: str) -> str:
    """``2 Desember 2026 pukul 10.33 (UTC+0700)``; a time that is not one is shown as written."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{format_date(moment.date())} pukul {moment:%H.%M} (UTC{moment:%z})"


def version_notes(archived: Iterable[Manifest]) -> dict[str, list[str]]:
    """What the history page says of each version besides its changes: a rollback or redaction that
    made it, and each item taken out of it after publication (its ID and the reason, never its
    content)."""
    notes: dict[str, list[str]] = {}
    for manifest in archived:
        said = notes.setdefault(manifest.version, [])
        event = manifest.event or {}
        by, why = event.get("oleh", ""), event.get("alasan", "")
        tail = (f" oleh {by}" if by else "") + (f". Alasan: {why}" if why else "") + "."
        if event.get("jenis") == ROLLBACK:
            said.append(f"Dikembalikan ke versi {event.get('ke', '')} (dari {event.get('dari', '')})"
                        f" pada {_when(str(event.get('waktu')))}{tail}")
        elif event.get("jenis") == REDACTION:
            said.append(f"Diterbitkan untuk menarik informasi {event.get('id', '')} dari daftar yang"
                        f" tayang dan dari semua versi di arsip pada {_when(str(event.get('waktu')))}{tail}")
        for taken in manifest.redactions:
            why = taken.get("alasan", "")
            said.append(f"Informasi {taken.get('id', '')} ditarik dari versi ini setelah terbit, pada"
                        f" {_when(str(taken.get('waktu')))}" + (f". Alasan: {why}." if why else "."))
        if not said:
            del notes[manifest.version]
    return notes


def withdrawn(archived: Iterable[Manifest]) -> dict[str, str]:
    """The items a redaction took out of the site, with when: ID -> ISO time."""
    return {str(taken.get("id")): str(taken.get("waktu")) for manifest in archived
            for taken in manifest.redactions}


def refuse_withdrawn(ids: Iterable[str], archived: Iterable[Manifest]) -> None:
    """No publish may put back an item withdrawn from the site (``dip tarik``)."""
    gone = withdrawn(archived)
    back = sorted(i for i in ids if i in gone)
    if back:
        listed = ", ".join(f"{i} ({gone[i][:10]})" for i in back)
        raise PublishFailed(
            f"Informasi {listed} sudah ditarik dari situs (dip tarik) tetapi masih ditetapkan di register;"
            " penerbitan dibatalkan. Pindahkan informasi itu ke tab DIK dan hapus barisnya dari tab DIP,"
            " atau ubah 3 Penetapan PPID menjadi Ditolak, lalu terbitkan lagi.",
            f"Item {listed} was withdrawn from the site (dip tarik) but is still established in the"
            " register; publishing was cancelled. Move it to the DIK tab and delete its row from the DIP"
            " tab, or set 3 Penetapan PPID to Ditolak, then publish again.",
        )
