"""Withdrawing an item from the published site: the live list and every archived version.

An item found after publication to be information that must be excluded stays readable in every
archived version and is named in the history of each later one. ``dip tarik ID --alasan …`` takes
it out of all of them:

1. every archived version is read whole; from the first one that names the item's ID (in one of
   its files, a zip such as ``dip.xlsx`` searched inside, or in its manifest's change summary),
   every version *needs work* that does not record this redaction yet or still holds temporary
   names of a rewrite cut short; in those, a file is rendered again when it holds the ID, the title
   or the summary the item was published with;
2. the live list goes first, as a new version (:func:`dip_sheets.restore.republish`): the live
   version's files with those naming the item rendered again from its records without the item,
   uploaded whole and switched in one rename, so a visitor gets the old list or the clean one,
   whatever moment the run is killed;
3. then each version that needs work (now none of them is live) is rewritten in its archive folder:
   the new files under temporary names, each read back and checked (``put_verified``), then renamed
   over the old ones, ``dip.json`` last, and the manifest last of all, recording the redaction (ID,
   time, who, reason: never the content) in ``redactions``. A run killed half way leaves a version
   whose files differ from its manifest; running the command again finishes it.

Files rendered again are those the renderer makes (the list, its data, the history pages and feeds)
that name the item, plus the history pages always (they say the version was changed); the DIK files
and what the renderer does not make stay byte for byte, except ``cek-tautan.json``, which loses the
item's link. The history page of every version shows the redaction with its reason.

The register then records it (:func:`record`), in one batch with the sync's pending changes: the
live items' steps 4 and 5 name the new version (the withdrawn item's are cleared), and the
``Riwayat`` tab gets a row "Ditarik dari situs: <alasan>" for the item, without its content. The
sync reads that row as a note only: the item stays established in the register (and no publish
puts it back) until the PPID changes its row.

A run killed after the site was rewritten but before the register was written leaves nothing to do
on the site: run again, it sees the redaction there (the live version it made, the manifests) and,
while ``Riwayat`` has no row for it from that moment on, writes the register's part with the time,
person and reason the site records; a run cut short half way finishes under the record it began.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import schema as s
from .archive_history import REDACTION, ArchivedList, read_list, render_list, version_notes
from .config import Config
from .errors import ConfigError, PublishFailed
from .history import PastVersion
from .ledger import EVENT_REDACTED, event_name, history_row
from .messages import Message
from .province_dik import LINKS_FILE
from .publish import make_version, public_url
from .register import Register, Row, Snapshot, cell_text
from .restore import HISTORY_FILES, read_whole, record_live, republish, resume, stamp
from .site import ARCHIVE, MANIFEST, Manifest, Site, file_table, scan
from .switch import Progress, clean_leftovers, put_verified
from .targets import Target, temp_name, temp_of
from .workflow import Release

#: the DIK's files: the renderer here is not given the DIK, so they are never rendered again
DIK_FILES = ("dik.html", "dik.json")
_LINK = s.dip_field(s.LINK).key


@dataclass(frozen=True)
class RedactionResult:
    """What a redaction did: the live version it made and the versions rewritten."""

    item_id: str
    location: str
    #: the version this redaction put live (in this run or in one cut short); ``""``: none is live
    live: str
    rewritten: tuple[str, ...]
    #: the IDs of the live list afterwards (for the register's steps 4 and 5)
    items: frozenset[str] = frozenset()
    stamps_written: int = 0
    #: the redaction as the site records it: ``{"id", "waktu", "oleh", "alasan"}``
    record: dict[str, str] | None = None
    #: the register's ``Riwayat`` row was written by this run (:func:`record`)
    registered: bool = False

    @property
    def changed(self) -> bool:
        """Whether this run changed the site (a version rewritten, the live one included)."""
        return bool(self.rewritten)

    def lines(self) -> list[Message]:
        if not self.changed and not self.registered:
            return [Message(f"{self.item_id} sudah ditarik dari semua versi di {self.location}; tidak ada"
                            " yang diubah.",
                            f"{self.item_id} was already withdrawn from every version at {self.location};"
                            " nothing was changed.")]
        if not self.changed:
            return [Message(f"{self.item_id} sudah ditarik dari semua versi di {self.location}, tetapi"
                            " penarikan itu terhenti sebelum dicatat di register; kini tab"
                            f" '{s.HISTORY_TAB}' mencatatnya dan langkah 4–5 mengikuti daftar yang tayang.",
                            f"{self.item_id} was already withdrawn from every version at {self.location},"
                            " but that redaction stopped before the register recorded it; the"
                            f" '{s.HISTORY_TAB}' tab now records it and steps 4-5 follow the live list.")]
        live = (Message(f" Daftar yang tayang kini versi {self.live}.",
                        f" The live list is now version {self.live}.") if self.live else Message("", ""))
        count = len(self.rewritten)
        return [Message(f"{self.item_id} ditarik dari {count} versi di {self.location}; setiap berkas yang"
                        f" ditulis ulang sudah dibaca kembali dan diperiksa.{live.id} Penarikan ini tercatat"
                        " di riwayat.html beserta alasannya.",
                        f"{self.item_id} was withdrawn from {count} versions at {self.location}; every file"
                        f" rewritten was read back and checked.{live.en} The redaction is recorded in"
                        " riwayat.html with its reason.")]

    def summary(self) -> dict[str, Any]:
        status = "redacted" if self.changed else "recorded" if self.registered else "unchanged"
        return {"status": status, "id": self.item_id, "live": self.live, "rewritten": list(self.rewritten),
                "stamps_written": self.stamps_written, "registered": self.registered}


@dataclass(frozen=True)
class _Version:
    """One archived version as a redaction sees it."""

    manifest: Manifest
    files: dict[str, bytes]
    listed: ArchivedList | None
    #: our temporary names are in its folder: a rewrite was cut short (the manifest goes last)
    unfinished: bool

    def done(self, item_id: str) -> bool:
        """It records this redaction: the item was taken out of it, or it was made without it."""
        event = self.manifest.event or {}
        return (any(r.get("id") == item_id for r in self.manifest.redactions)
                or (event.get("jenis") == REDACTION and event.get("id") == item_id))


def _read(target: Target, manifest: Manifest, site_url: str) -> _Version:
    folder = f"{ARCHIVE}/{manifest.version}"
    files = {}
    for name in manifest.files:
        data = target.read(f"{folder}/{name}")
        if data is not None:
            files[name] = data
    unfinished = any(temp_of(entry.name) is not None for entry in target.entries(folder))
    return _Version(manifest, files, read_list(files.get("dip.json"), site_url), unfinished)


def _texts(body: bytes) -> list[bytes]:
    """A file's bytes and, for a zip (``dip.xlsx``), each member's."""
    parts = [body]
    if body.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                parts += [archive.read(member) for member in archive.namelist()]
        except zipfile.BadZipFile:
            pass
    return parts


def _needles(versions: Sequence[_Version], item_id: str) -> list[bytes]:
    """What gives the item away: its ID, and its title and summary as any version published them."""
    found = {item_id}
    for version in versions:
        for record in version.listed.records if version.listed else ():
            if record.get("id") == item_id:
                found |= {str(record.get(key) or "") for key in ("judul", "ringkasan")}
    texts = [t for t in found if len(t.strip()) >= 4]
    forms = {form for t in texts for form in (t, html.escape(t), html.escape(t, quote=False),
                                              json.dumps(t).strip('"'))}
    return sorted(form.encode() for form in forms)


def _mentions(body: bytes, needles: Sequence[bytes]) -> bool:
    return any(n in part for part in _texts(body) for n in needles)


def _unknown(item_id: str, location: str) -> ConfigError:
    return ConfigError(
        f"Informasi {item_id} tidak ada di daftar yang tayang maupun di versi arsip mana pun di"
        f" {location}; tidak ada yang diubah. Periksa ID-nya di kolom ID register (mis. DIP-0007).",
        f"Item {item_id} is neither in the live list nor in any archived version at {location};"
        " nothing was changed. Check its ID in the register's ID column (e.g. DIP-0007).",
    )


def _todo(versions: Sequence[_Version], item_id: str, location: str) -> list[_Version]:
    """The versions that need work: from the first naming the item (by its ID: its title may be
    another item's words too) or cut short, those not recording this redaction or cut short."""
    named = [item_id.encode()]
    touched = [i for i, v in enumerate(versions) if v.done(item_id) or any(
        _mentions(body, named) for body in [*v.files.values(), json.dumps(v.manifest.history or {},
                                                                          ensure_ascii=False).encode()])]
    if not touched:
        raise _unknown(item_id, location)
    start = min([*touched, *(i for i, v in enumerate(versions) if v.unfinished)])
    todo = [v for v in versions[start:] if not v.done(item_id) or v.unfinished]
    broken = [v.manifest.version for v in todo if v.listed is None]
    if broken:
        raise PublishFailed(
            f"dip.json versi arsip {', '.join(broken)} tidak dapat dibaca, jadi versi itu tidak dapat"
            " ditulis ulang; tidak ada yang diubah. Periksa arsip situs.",
            f"The dip.json of archived version(s) {', '.join(broken)} cannot be read, so they cannot be"
            " rewritten; nothing was changed. Check the site's archive.",
        )
    return todo


def redact(config: Config, target: Target, item_id: str, reason: str, progress: Progress, *,
           by: str = "", now: dt.datetime | None = None) -> RedactionResult:
    """Take ``item_id`` out of the live list and every archived version (see the module docstring)."""
    now = now or config.now()
    site = scan(target)
    clean_leftovers(target, site, progress)
    site = scan(target)
    site_url = make_version(config, now).site_url
    versions = [_read(target, m, site_url) for m in site.complete]
    needles = _needles(versions, item_id)
    todo = _todo(versions, item_id, target.location)
    if not todo:
        made, made_ids = _made_live(site, versions, item_id)
        return RedactionResult(item_id, target.location, made, (), made_ids, record=_latest(site, item_id))
    fresh = {"id": item_id, "waktu": now.isoformat(timespec="seconds"), "oleh": by or config.publish.by,
             "alasan": reason}
    record = _latest(site, item_id, cut_short=True) or fresh
    after = {v.manifest.version: replace(v.manifest, redactions=(*v.manifest.redactions, record))
             for v in todo if not v.done(item_id)}
    manifests = [after.get(v.manifest.version, v.manifest) for v in versions]
    notes = version_notes(manifests)
    history = [PastVersion(v.manifest.version, v.manifest.published_at, v.listed.version.decision_number,
                           v.listed.version.decision_date, v.listed.without(item_id).records)
               for v in versions if v.listed is not None]
    rewritten = {v.manifest.version: _rewrite(config, v, after.get(v.manifest.version, v.manifest), item_id,
                                              needles, history, notes) for v in todo}
    live = site.live
    new_live, ids = _made_live(site, versions, item_id)
    if live is not None and live.version in rewritten:
        files, _ = rewritten[live.version]
        listed = next(v.listed for v in todo if v.manifest.version == live.version)
        assert listed is not None
        event = {"jenis": REDACTION, "id": item_id, "waktu": record["waktu"], "oleh": record["oleh"],
                 "alasan": record["alasan"], "dari": live.version}
        resumed = resume(target, site, {"jenis": REDACTION, "id": item_id, "dari": live.version}, progress)
        if resumed is None:
            newer = replace(site, complete=manifests)
            resumed = republish(config, target, newer, listed.without(item_id), files, event, now, progress,
                                history)
        new_live, ids = resumed.version, frozenset(str(r["id"]) for r in listed.without(item_id).records)
    for version in todo:
        files, manifest = rewritten[version.manifest.version]
        _put_in_place(target, version, files, manifest)
        progress(Message(f"  versi {manifest.version} ditulis ulang tanpa {item_id} dan diperiksa",
                         f"  version {manifest.version} rewritten without {item_id} and checked"))
    return RedactionResult(item_id, target.location, new_live, tuple(v.manifest.version for v in todo), ids,
                           record=record)


def _is_ours(event: dict[str, Any] | None, item_id: str) -> bool:
    """``event`` is a redaction of ``item_id`` (the event of the version it put live)."""
    return event is not None and event.get("jenis") == REDACTION and event.get("id") == item_id


def _made_live(site: Site, versions: Sequence[_Version], item_id: str) -> tuple[str, frozenset[str]]:
    """The live version, when a redaction of ``item_id`` made it, and the IDs of its list."""
    live = site.live
    if live is None or not _is_ours(live.event, item_id):
        return "", frozenset()
    listed = next((v.listed for v in versions if v.manifest.version == live.version), None)
    return live.version, frozenset(str(r["id"]) for r in listed.records) if listed else frozenset()


def _latest(site: Site, item_id: str, *, cut_short: bool = False) -> dict[str, str] | None:
    """The most recent redaction of ``item_id`` the site records (a manifest's ``redactions``, a
    version's event); ``cut_short``: only the event of a version live or waiting to go live, a run
    cut short that this one finishes under the same record."""
    live = site.live.order if site.live is not None else None
    found: list[dict[str, Any]] = []
    for m in site.complete:
        if not cut_short:
            found += [r for r in m.redactions if r.get("id") == item_id]
        if _is_ours(m.event, item_id) and (not cut_short or (live is not None and m.order >= live)):
            found.append(m.event or {})
    latest = max(found, key=lambda r: str(r.get("waktu", "")), default=None)
    return {key: str(latest.get(key) or "") for key in ("id", "waktu", "oleh", "alasan")} if latest else None


def registered(snapshot: Snapshot, item_id: str, stamp_text: str) -> bool:
    """The register's ``Riwayat`` tab records the item's redaction made at ``stamp_text`` (or later)."""
    grid = snapshot.tabs.get(s.HISTORY_TAB)
    rows = grid.rows if grid is not None else []
    at = s.locate_columns(s.TAB_BY_NAME[s.HISTORY_TAB], rows[0]) if rows else {}
    return any(_at(row, at[s.ID]) == item_id and event_name(_at(row, at[s.HISTORY_EVENT])) == EVENT_REDACTED
               and _at(row, at[s.HISTORY_TIME])[:19] >= stamp_text for row in rows[1:])


def _at(row: Row, index: int) -> str:
    return cell_text(row[index]) if index < len(row) else ""


def record(config: Config, register: Register, target: Target, result: RedactionResult, *,
           before: Snapshot, now: dt.datetime) -> RedactionResult:
    """Record a redaction in the register (see the module docstring): one batch; also a redaction
    an earlier run made on the site but never recorded (``before``: the register as read under the
    run lock, before the site was touched). Returns ``result`` with the number of step cells
    written and whether the ``Riwayat`` row was."""
    done = result.record
    if done is None:
        return result
    try:
        when = dt.datetime.fromisoformat(done["waktu"])
    except ValueError:
        when = now
    moment = when.strftime("%Y-%m-%d %H:%M:%S")
    on_file = registered(before, result.item_id, moment)
    if on_file and not result.changed:
        return result
    who = done["oleh"] or config.publish.by
    live = None
    if result.live:
        ordered = stamp(when, result.live, f"penarikan {result.item_id} oleh {who}")
        live = Release(result.items, ordered, stamp(when, result.live, public_url(config, target)))
    note = f"{done['alasan']} (oleh {who})" if who else done["alasan"]
    rows = [] if on_file else [history_row(moment, result.item_id, EVENT_REDACTED, "", [], {}, note)]
    written = record_live(config, register, now, live, restamp=False, history=rows)
    return replace(result, stamps_written=written, registered=not on_file)


def _rewrite(config: Config, version: _Version, manifest: Manifest, item_id: str,
             needles: Sequence[bytes], history: Sequence[PastVersion],
             notes: dict[str, list[str]]) -> tuple[dict[str, bytes], Manifest]:
    """``version``'s files and manifest without the item: the files naming it rendered again."""
    assert version.listed is not None
    listed = version.listed.without(item_id)
    rendered = render_list(config, listed, listed.version, history, notes)
    if version.manifest.list_of:  # a rollback's or redaction's version: its history is its own
        own = replace(listed.version, id=manifest.version, published_at=manifest.published_at)
        again = render_list(config, listed, own, history, notes)
        rendered |= {name: again[name] for name in HISTORY_FILES if name in again}
    files = dict(version.files)
    for name in version.manifest.files:
        if name in rendered and name not in DIK_FILES and (
                name in HISTORY_FILES or name.endswith(".pdf") or _mentions(files.get(name, b""), needles)):
            files[name] = rendered[name]
    if LINKS_FILE in files:
        files[LINKS_FILE] = _without_link(files[LINKS_FILE], version.listed, listed)
    return files, replace(manifest, files=file_table(files), items=len(listed.records), digest="",
                          history=_history_without(manifest.history, item_id, len(listed.records)))


def _without_link(data: bytes, before: ArchivedList, after: ArchivedList) -> bytes:
    """``cek-tautan.json`` without the links only the withdrawn item had."""
    gone = {str(r.get(_LINK)) for r in before.records} - {str(r.get(_LINK)) for r in after.records}
    try:
        document = json.loads(data)
        links = document["links"]
        document["links"] = {url: entry for url, entry in links.items() if url not in gone}
    except (ValueError, KeyError, TypeError, AttributeError):
        return data
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _history_without(history: dict[str, Any] | None, item_id: str, count: int) -> dict[str, Any] | None:
    """A manifest's stored change summary without the item."""
    if history is None:
        return None
    kept = {key: [c for c in history.get(key, []) if not (isinstance(c, list) and c and c[0] == item_id)]
            for key in ("added", "removed", "changed")}
    return {**history, **kept, "count": count}


#: replaced last, just before the manifest: while it still names the item, a re-run sees the version
_LAST = "dip.json"


def _put_in_place(target: Target, version: _Version, files: dict[str, bytes], manifest: Manifest) -> None:
    """Rewrite an archived version that is not live: temporary names first (each read back and
    checked), then renamed over the old files, the manifest last; then the whole version is read
    back against its new manifest."""
    folder = f"{ARCHIVE}/{manifest.version}"
    for entry in target.entries(folder):  # what a run cut short left here
        if temp_of(entry.name) is not None and entry.kind == "file":
            target.remove(f"{folder}/{entry.name}")
    changed = sorted((n for n, data in files.items() if version.files.get(n) != data),
                     key=lambda n: (n == _LAST, n))
    temps = {}
    for name in [*changed, MANIFEST]:
        temps[name] = f"{folder}/{temp_name(name)}"
        put_verified(target, temps[name], manifest.to_bytes() if name == MANIFEST else files[name])
    for name in [*changed, MANIFEST]:
        target.replace(temps[name], f"{folder}/{name}")
    if Manifest.parse(target.read(f"{folder}/{MANIFEST}")) != manifest:
        raise PublishFailed(
            f"Manifest versi {manifest.version} tidak sesuai setelah ditulis ulang; jalankan ulang"
            " perintahnya.",
            f"The manifest of version {manifest.version} does not match after rewriting; run the"
            " command again.",
        )
    read_whole(target, manifest)
