"""Publishing (SOP steps 4 and 5): render the established list and put it on the website safely.

The algorithm is written once over the narrow :class:`~dip_sheets.targets.Target` protocol: the
site is read and sorted into what dip-sheets wrote and what it did not (:mod:`dip_sheets.site`;
a target holding files we did not write is refused unless adopted, and such files are never
touched), the new version is uploaded whole into the archive and then made live in one atomic
step (:mod:`dip_sheets.switch`). What is refused and which version goes live is decided first, before
anything is written (:mod:`dip_sheets.publish_plan`).

A failure before the switch leaves the live site untouched; leftovers (temporary names, archive
folders without a manifest) are removed by the next run. A version byte-identical to the live one is
not uploaded again, and a complete archived version that is not live yet (its run stopped before or
during the switch) is switched live as it is rather than uploaded a second time, so re-running an
interrupted publish neither duplicates nor loses anything.

The register is read and reviewed once and, when the publish succeeds, written once: the sync's
changes, step 4 (upload ordered), step 5 (uploaded) and ``Posisi SOP`` in one batch, after the live
manifest has been read back. What the register records is then never ahead of the site, and a
publish killed before that write leaves nothing to undo: the re-run finds the version live, the
register rendering to it, and records steps 4 and 5 then. Three cases write earlier:

* a publish refused or cut short before the upload writes the sync's changes (its findings);
* an upload or switch that fails writes the sync's changes and step 4 before the error is told,
  so staff see the upload was ordered and not done (step 5 stays empty until a run completes);
* IDs this sync gives to items going public are written, with step 4, before the upload: an ID is
  on record before anyone can see it, so a run killed mid-way and rows moved before the re-run
  never give a published ID to another row (only a register no sync has seen yet pays for this).

Version ids are the UTC time of the run (``20261125-030000Z``), with ``-2``, ``-3`` … when that
second is taken; versions are ordered by their timezone-aware publication time, never by id text.

Reconnecting after a dropped connection is not done here but by the target
(:class:`dip_sheets.connect.Reconnecting`), so this algorithm stays the same for every target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import row_watch
from .config import Config
from .decision_scans import checked_scans
from .decisions import Decision, decisions_in
from .gc_pause import collection_paused
from .messages import Message
from .publish_plan import Plan, make_version, new_version_id
from .publish_plan import plan as make_plan
from .register import ApplyResult, Changes, Register, Snapshot
from .site import ARCHIVE, MANIFEST, Manifest, file_table
from .switch import (
    Progress,
    clean_leftovers,
    human_size,
    live_manifest,
    say_no_links,
    switch_live,
    upload_version,
    versions,
)
from .sync import Review, SyncResult, Watch, release, review
from .targets import Target
from .workflow import Release

__all__ = ["ARCHIVE", "MANIFEST", "Manifest", "Progress", "PublishResult", "human_size", "live_manifest",
           "make_version", "new_version_id", "publish", "versions"]


@dataclass
class PublishResult:
    status: str  # "published" | "unchanged" | "dry-run" | "rolled-back"
    version: str
    files: list[tuple[str, int]] = field(default_factory=list)
    bytes_uploaded: int = 0
    url: str = ""
    sync: SyncResult | None = None
    stamps_written: int = 0
    #: how the version went live: "link" (one atomic step) or "files" (a host without links)
    switch: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version": self.version,
            "files": [{"name": n, "size": size} for n, size in self.files],
            "bytes_uploaded": self.bytes_uploaded,
            "url": self.url,
            "stamps_written": self.stamps_written,
            "switch": self.switch,
            "sync": self.sync.summary() if self.sync else None,
        }


# ---- the register side: the sync, then steps 4 and 5 ----------------------------------------------


def _stamp(now: dt.datetime, version: str, tail: str) -> str:
    return f"{now.strftime('%Y-%m-%d %H:%M')} · versi {version} · {tail}"


class _Record:
    """The register's side of a publish, read and reviewed once.

    The sync's changes are written together with what a release records (or alone, when the
    publish stops before it; see the module docstring for when more than one batch is written).
    Each batch returns where its rows are now, so a later one needs no new read; only when a row
    changed under a batch (a write skipped) is the register read and reviewed again, and that
    review's changes and the release are written once more: a row staff edited during the upload
    still gets its stamps.
    """

    def __init__(self, register: Register, units: Sequence[str], now: dt.datetime, dry_run: bool,
                 watch: Callable[[Snapshot], Watch]) -> None:
        self.register, self.units, self.now, self.dry_run = register, units, now, dry_run
        self.watch = watch
        #: the PPID's decisions (``Keputusan``), as first read
        self.decisions: list[Decision] = []
        self.review = self.read()
        self.sync = SyncResult(self.review, None, dry_run)
        self.pending = self.review.changes
        self.stamps = 0

    def read(self) -> Review:
        """The register reviewed with the link warnings the cache holds (never the network)."""
        with collection_paused():
            snapshot = self.register.read()
            self.decisions = self.decisions or decisions_in(snapshot)
            return review(snapshot, self.units, self.now, self.watch(snapshot))

    def write(self, published: Release | None = None) -> None:
        """One batch: the review's changes not written yet, and what ``published`` records; once
        more after a re-read when a row changed under it."""
        if not self._batch(published) and published is not None:
            self._batch(published)

    def issues_public_ids(self, items: frozenset[str]) -> bool:
        """Whether the changes not written yet give IDs to ``items`` or to the excluded
        information the site lists."""
        public = items | {e.id for e in self.review.exclusions}
        return bool(self.pending) and not public.isdisjoint(self.review.ids_assigned)

    def _batch(self, published: Release | None) -> bool:
        """Write one batch; False when a row changed under it (it was read and reviewed again)."""
        if self.dry_run:
            return True
        sync, self.pending = self.pending, Changes()
        stamps = release(self.review.dip, published, self.now.date()) if published else Changes()
        taken = {(w.anchor, w.header) for w in stamps.writes}
        batch = Changes([*(w for w in sync.writes if (w.anchor, w.header) not in taken), *stamps.writes],
                        sync.appends, sync.locks)
        if not batch:
            return True
        applied = self.register.apply(batch)
        skipped = set(applied.skipped)
        self.stamps += sum(w not in skipped for w in stamps.writes)
        if sync and self.sync.applied is None:
            self.sync = SyncResult(self.review, _share(applied, batch, sync), False)
        if skipped:  # a row changed under the batch: see it as it is now
            self.review = self.read()
            self.pending = self.review.changes
            return False
        for row in self.review.dip:
            row.anchor = applied.anchors.get(row.anchor, row.anchor)
        return True


def _share(applied: ApplyResult, batch: Changes, sync: Changes) -> ApplyResult:
    """The sync's part of a batch it shared with the stamps: its writes (but those a stamp replaced),
    its appended rows and the backend's notices."""
    mine = set(sync.writes) & set(batch.writes)
    lost = tuple(w for w in applied.skipped if w in mine)
    return ApplyResult(len(mine) - len(lost), applied.rows_appended, lost, applied.notices,
                       applied.anchors)


def public_url(config: Config, target: Target) -> str:
    return config.publish.base_url or target.location


def publish(
    config: Config,
    register: Register,
    target: Target,
    *,
    by: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    adopt: bool = False,
    progress: Progress = lambda _: None,
    now: dt.datetime | None = None,
) -> PublishResult:
    """Sync, check what blocks, render, upload, verify, and record steps 4 and 5.

    The register is read once and, once the version is live and verified, written once: the
    sync's changes with steps 4 and 5 (for the exceptions see the module docstring). ``adopt``
    lets dip-sheets publish into a folder that already holds files it did not write; those files
    are still never changed or removed.
    """
    now = now or config.now()
    record = _Record(register, config.units, now, dry_run, row_watch.watcher(config, now))
    try:
        decisions, scans = checked_scans(config, record.decisions, progress)
        plan = make_plan(config, target, record.review, now, progress, force=force, adopt=adopt,
                         dry_run=dry_run, decisions=decisions, scans=scans)
    except Exception:
        record.write()  # a publish refused or cut short still leaves the sync's findings
        raise
    url = public_url(config, target)
    version = plan.manifest.version
    stamp_by = _stamp(now, version, f"oleh {by or config.publish.by}")
    published = Release(frozenset(i.id for i in record.review.items), stamp_by, _stamp(now, version, url))
    if plan.unchanged:
        progress(Message(f"Tidak ada perubahan sejak versi {version}; tidak ada yang diunggah.",
                         f"No change since version {version}; nothing was uploaded."))
        record.write(published)
        return PublishResult("unchanged", version, url=url, sync=record.sync, stamps_written=record.stamps)
    listing = [(name, int(entry["size"])) for name, entry in file_table(plan.files).items()]
    if dry_run:
        _say_plan(plan, listing, target, progress, dry_run=True)
        return PublishResult("dry-run", version, listing, url=url, sync=record.sync)
    ordered = replace(published, uploaded=None)
    if record.issues_public_ids(published.items):
        record.write(ordered)  # an ID is on record before it can be seen
    try:
        _say_plan(plan, listing, target, progress, dry_run=False)
        if not plan.links:
            say_no_links(target, progress)
        clean_leftovers(target, plan.site, progress)
        sent = 0 if plan.resumed else upload_version(target, plan.manifest, plan.files, progress)
        sent += switch_live(target, plan.site, plan.manifest, plan.files, progress, links=plan.links)
    except BaseException:
        record.write(ordered)  # the upload was ordered and did not complete: step 4 says so
        raise
    record.write(published)
    return PublishResult("published", version, listing, sent, url, record.sync, record.stamps,
                         switch="link" if plan.links else "files")


def _say_plan(plan: Plan, listing: list[tuple[str, int]], target: Target, progress: Progress, *,
              dry_run: bool) -> None:
    """What is about to go live (or would, on a dry run)."""
    version = plan.manifest.version
    total = human_size(sum(size for _, size in listing))
    what_id = f"versi {version} ({plan.items} informasi, {len(listing)} berkas, {total.id})"
    what_en = f"version {version} ({plan.items} items, {len(listing)} files, {total.en})"
    if dry_run:
        progress(Message(
            f"Uji coba: {what_id} akan {'diaktifkan' if plan.resumed else 'diunggah'} di"
            f" {target.location}.",
            f"Dry run: {what_en} would be {'made live' if plan.resumed else 'uploaded'} at"
            f" {target.location}.",
        ))
    elif plan.resumed:
        progress(Message(
            f"Versi {version} sudah lengkap di arsip {target.location} dengan isi yang sama;"
            " diaktifkan tanpa diunggah ulang.",
            f"Version {version} is already complete in the archive at {target.location} with"
            " the same content; made live without uploading it again.",
        ))
    else:
        progress(Message(f"Mengunggah {what_id} ke {target.location}",
                         f"Uploading {what_en} to {target.location}"))
