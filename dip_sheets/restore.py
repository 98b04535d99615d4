"""Rollback: an earlier version's list live again, as a new version that says so.

The archive stays as it was published: nothing in ``arsip/<v3>/`` is rewritten to tell the story of
a rollback. Instead the rollback publishes a new version whose list files are v3's, byte for byte
(checked against v3's manifest first), and whose history files (``riwayat.html``, ``feed.xml``,
``perubahan.json``) are rendered anew with one more entry: "Dikembalikan ke versi v3 (dari v4)",
when, by whom and why. Its manifest names the version it carries (``list_of``) and the event. It is
uploaded whole and switched live in one rename like any publish (:mod:`dip_sheets.switch`), so a
rollback killed at any moment leaves v4 or the restored list live, never a mix, and the history of
v4 is not lost: v4 stays in the archive and in the timeline.

The register then records what is live (:func:`record_live`): steps 4 and 5 of the items in the
restored list say they were uploaded under the new version, the other rows lose their stamps; one
batch, with the sync's own changes, like a publish once its version is live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import schema as s
from .archive_history import ROLLBACK, ArchivedList, past_versions, read_list, render_list, version_notes
from .config import Config
from .errors import PublishFailed
from .gc_pause import collection_paused
from .history import PastVersion, summary, timeline
from .messages import Message
from .publish import make_version, new_version_id, public_url
from .register import Cell, Changes, Register
from .row_watch import watcher
from .site import ARCHIVE, MANIFEST, Manifest, Site, file_table, guard, scan
from .switch import Progress, clean_leftovers, links_possible, say_no_links, switch_live, upload_version
from .sync import review as review_rows
from .sync import sop_writes
from .targets import Target
from .workflow import Release, position

#: the files that tell a version's history; everything else of a restored list is copied
HISTORY_FILES = ("riwayat.html", "feed.xml", "perubahan.json")


@dataclass(frozen=True)
class Restored:
    """A rollback done: ``version``'s list is live again, as the new version ``live``."""

    version: str
    live: Manifest
    #: item IDs of the restored list, for the register's steps 4 and 5
    items: frozenset[str]


def choose(site: Site, version_id: str | None) -> Manifest:
    """The version to restore: ``version_id``, or the one before the list that is live now."""
    archived, live = site.complete, site.live
    if version_id is not None:
        matches = [m for m in archived if m.version == version_id]
        if not matches:
            listed = ", ".join(m.version for m in archived) or "(kosong)"
            raise PublishFailed(
                f"Versi '{version_id}' tidak ada di arsip. Versi yang ada: {listed}.",
                f"Version '{version_id}' is not in the archive. Available: {listed}.",
            )
        return matches[0]
    shown = next((m for m in archived if live is not None and m.version == (live.list_of or live.version)),
                 live)
    earlier = [m for m in archived if not m.list_of and (shown is None or m.order < shown.order)]
    if not earlier:
        raise PublishFailed(
            "Tidak ada versi sebelumnya di arsip untuk dipulihkan.",
            "There is no earlier archived version to roll back to.",
        )
    return earlier[-1]


def read_whole(target: Target, manifest: Manifest) -> dict[str, bytes]:
    """Every file of an archived version, each checked against its manifest."""
    files: dict[str, bytes] = {}
    for name, meta in manifest.files.items():
        data = target.read(f"{ARCHIVE}/{manifest.version}/{name}")
        if data is None or hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise PublishFailed(
                f"Arsip versi {manifest.version} rusak ('{name}'); pemulihan dibatalkan, situs tidak"
                " diubah.",
                f"Archived version {manifest.version} is damaged ('{name}'); rollback cancelled, the"
                " site is unchanged.",
            )
        files[name] = data
    return files


def republish(config: Config, target: Target, site: Site, listed: ArchivedList, files: dict[str, bytes],
              event: dict[str, str], now: dt.datetime, progress: Progress,
              history: Sequence[PastVersion] | None = None) -> Manifest:
    """Put ``listed`` (whose list files are ``files``) live as a new version recording ``event``:
    its history files rendered anew, uploaded whole, switched in one step. The caller has removed
    what an interrupted run left (:func:`~dip_sheets.switch.clean_leftovers`)."""
    archived = site.complete
    if history is None:
        history = past_versions(target, archived, progress)
    version_id = new_version_id(now, [*archived, *site.pending])
    shown = replace(make_version(config, now, version_id), decision_number=listed.version.decision_number,
                    decision_date=listed.version.decision_date)
    current = PastVersion(version_id, shown.published_at, shown.decision_number, shown.decision_date,
                          listed.records)
    draft = Manifest(version_id, shown.published_at, {}, event=event)
    rendered = render_list(config, listed, shown, history, version_notes([*archived, draft]))
    files = {**files, **{name: rendered[name] for name in HISTORY_FILES if name in files}}
    manifest = Manifest(version_id, shown.published_at, file_table(files), len(listed.records), "",
                        summary(timeline(history, current)[0]), listed.version.id, event)
    links = links_possible(target, site)
    if not links:
        say_no_links(target, progress)
    upload_version(target, manifest, files, progress)
    switch_live(target, site, manifest, files, progress, links=links)
    return manifest


def resume(target: Target, site: Site, event: dict[str, str], progress: Progress) -> Manifest | None:
    """The version a run cut short between its upload and its switch left for ``event`` (the same
    kind, item and starting version), switched live now instead of being made again; or None."""
    live = site.live
    waiting = [m for m in site.complete if live is not None and m.order > live.order and m.event
               and all(m.event.get(key) == value for key, value in event.items())]
    if not waiting:
        return None
    files = read_whole(target, waiting[-1])
    switch_live(target, site, waiting[-1], files, progress, links=links_possible(target, site))
    return waiting[-1]


def rollback(config: Config, target: Target, version_id: str | None, progress: Progress, *,
             by: str = "", reason: str = "", adopt: bool = False, now: dt.datetime | None = None) -> Restored:
    """Put an archived version's list live again (the one before the live list when
    ``version_id`` is None), recorded as a new version (see the module docstring)."""
    now = now or config.now()
    site = scan(target)
    chosen = choose(site, version_id)
    live = site.live
    again = live is not None and (live.list_of or live.version) == (chosen.list_of or chosen.version)
    if again and live is not None:  # already live (a run cut short after its switch): finish, record
        chosen = live
    guard(target, site, {*chosen.files, MANIFEST}, adopt=adopt)
    files = read_whole(target, chosen)
    clean_leftovers(target, site, progress)
    site = scan(target)
    listed = read_list(files.get("dip.json"), make_version(config, now).site_url)
    if listed is None:
        raise PublishFailed(
            f"Arsip versi {chosen.version} tidak memuat dip.json yang dapat dibaca; pemulihan dibatalkan,"
            " situs tidak diubah.",
            f"Archived version {chosen.version} holds no readable dip.json; rollback cancelled, the"
            " site is unchanged.",
        )
    ids = frozenset(str(r["id"]) for r in listed.records)
    if again and live is not None:
        links = links_possible(target, site)
        if not site.settled(links):
            switch_live(target, site, live, files, progress, links=links)
        progress(Message(f"Daftar versi {listed.version.id} sudah tayang (versi {live.version}); tidak ada"
                         " versi baru, register dicatat ulang.",
                         f"The list of version {listed.version.id} is live already (version {live.version});"
                         " no new version, the register is recorded again."))
        return Restored(listed.version.id, live, ids)
    event = {"jenis": ROLLBACK, "ke": listed.version.id, "dari": live.version if live else "",
             "waktu": now.isoformat(timespec="seconds"), "oleh": by or config.publish.by, "alasan": reason}
    waiting = resume(target, site, {key: event[key] for key in ("jenis", "ke", "dari")}, progress)
    manifest = waiting or republish(config, target, site, listed, files, event, now, progress)
    return Restored(listed.version.id, manifest, ids)


def stamp(now: dt.datetime, version: str, tail: str) -> str:
    """A step 4 or 5 cell, as the publish writes it."""
    return f"{now.strftime('%Y-%m-%d %H:%M')} · versi {version} · {tail}"


def record_live(config: Config, register: Register, now: dt.datetime, live: Release | None, *,
                restamp: bool, history: Sequence[dict[str, Cell]] = ()) -> int:
    """Steps 4 and 5 as ``live`` leaves them (``None``: the live list did not change), with the
    sync's pending changes and ``history`` (rows for the ``Riwayat`` tab), in one batch.

    ``restamp``: the live items' stamps are written anew (a rollback: their content went live again
    with this version); otherwise a live item keeps its stamp, as after a publish. Returns the
    number of step cells written.
    """
    with collection_paused():
        snapshot = register.read()
        reviewed = review_rows(snapshot, config.units, now, watcher(config, now)(snapshot))
    stamps = []
    for row in reviewed.dip:
        after = position(row.position.cells(), row.steps, row.publishable, now.date(),
                         reset=restamp and live is not None and row.id in live.items,
                         release=live, item_id=row.id,
                         correction=row.correction.stage if row.correction else None)
        stamps += sop_writes(row.anchor, row.position.cells(), after)
    sync = reviewed.changes
    taken = {(w.anchor, w.header) for w in stamps}
    appends = dict(sync.appends)
    if history:
        appends[s.HISTORY_TAB] = [*appends.get(s.HISTORY_TAB, []), *history]
    batch = Changes([*(w for w in sync.writes if (w.anchor, w.header) not in taken), *stamps],
                    appends, sync.locks)
    if not batch:
        return 0
    skipped = set(register.apply(batch).skipped)
    return sum(w not in skipped for w in stamps)


def rollback_release(config: Config, target: Target, restored: Restored, by: str,
                     now: dt.datetime) -> Release:
    """What the register records of a rollback (see :func:`record_live`)."""
    version, who = restored.live.version, by or config.publish.by
    ordered = stamp(now, version, f"dikembalikan ke versi {restored.version} oleh {who}")
    return Release(restored.items, ordered, stamp(now, version, public_url(config, target)))
