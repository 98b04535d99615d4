"""Publishing (SOP steps 4 and 5): render the established list and put it on the website safely.

The algorithm is written once over the narrow :class:`~dip_sheets.targets.Target` protocol: the
site is read and sorted into what dip-sheets wrote and what it did not (:mod:`dip_sheets.site`;
a target holding files we did not write is refused unless adopted, and such files are never
touched), the new version is uploaded whole into the archive and then made live in one atomic
step (:mod:`dip_sheets.switch`).

A failure before the switch leaves the live site untouched; leftovers (temporary names, archive
folders without a manifest) are removed by the next run. A version byte-identical to the live one is
not uploaded again, and a complete archived version that is not live yet (its run stopped before or
during the switch) is switched live as it is rather than uploaded a second time, so re-running an
interrupted publish neither duplicates nor loses anything.

The register is read and reviewed once: the sync's changes and step 4 (upload ordered) go in one
batch before uploading, step 5 (uploaded) in a second batch only after the live manifest has been
read back; the first batch says where its rows are afterwards, so the second needs no new read.

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
from .archive_history import past_versions, refuse_withdrawn, version_notes
from .config import Config
from .dates import format_date
from .decision_scans import checked_scans, scans_of
from .decisions import Decision, decisions_in, refuse_without_decision, version_fields
from .errors import PublishFailed
from .gc_pause import collection_paused
from .higher_dik import Inherited, read_higher
from .history import PastVersion, summary, timeline, version_order
from .links import http_fetch
from .list_pdf import PDF_FILE, list_pdf, printer
from .messages import Message
from .published_state import archived_extras, extra_files, list_files
from .records import item_record, sort_items
from .register import ApplyResult, Changes, Register, Snapshot
from .render import Version, render_site
from .render_digest import render_digest
from .site import ARCHIVE, MANIFEST, Manifest, Site, file_table, guard, scan
from .switch import (
    Progress,
    clean_leftovers,
    human_size,
    links_possible,
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
           "publish", "versions"]


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


def make_version(config: Config, now: dt.datetime, version_id: str | None = None,
                 decisions: Sequence[Decision] = (), on: dt.date | None = None) -> Version:
    """The version published at ``now``, resting on the decisions in force ``on`` that day (by
    default ``now``'s: a live version is compared as it would be published today, so a new
    decision makes a new version)."""
    return Version(
        id=version_id or new_version_id(now, ()),
        published_at=now.isoformat(),
        date_text=format_date(now.date()),
        year=now.year,
        site_url=config.publish.base_url.rstrip("/") + "/" if config.publish.base_url else "",
        **version_fields(decisions, on or now.date()),
    )


# ---- the register side: the sync, then steps 4 and 5 ----------------------------------------------


def _stamp(now: dt.datetime, version: str, tail: str) -> str:
    return f"{now.strftime('%Y-%m-%d %H:%M')} · versi {version} · {tail}"


class _Record:
    """The register's side of a publish, read and reviewed once.

    The sync's changes are written together with step 4 (or alone, when the publish stops before
    it); step 5 once the version is live. Each batch returns where its rows are now, so the next one
    needs no new read; only when a row changed under a batch (a write skipped) is the register
    read and reviewed again, and that review's changes go with the next batch.
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
        """One batch: the review's changes not written yet, and what ``published`` records."""
        if self.dry_run:
            return
        sync, self.pending = self.pending, Changes()
        stamps = release(self.review.dip, published, self.now.date()) if published else Changes()
        taken = {(w.anchor, w.header) for w in stamps.writes}
        batch = Changes([*(w for w in sync.writes if (w.anchor, w.header) not in taken), *stamps.writes],
                        sync.appends, sync.locks)
        if not batch:
            return
        applied = self.register.apply(batch)
        skipped = set(applied.skipped)
        self.stamps += sum(w not in skipped for w in stamps.writes)
        if sync and self.sync.applied is None:
            self.sync = SyncResult(self.review, _share(applied, batch, sync), False)
        if skipped:  # a row changed under the batch: see it as it is now
            self.review = self.read()
            self.pending = self.review.changes
            return
        for row in self.review.dip:
            row.anchor = applied.anchors.get(row.anchor, row.anchor)


def _share(applied: ApplyResult, batch: Changes, sync: Changes) -> ApplyResult:
    """The sync's part of a batch it shared with step 4: its writes (but those a stamp replaced),
    its appended rows and the backend's notices."""
    mine = set(sync.writes) & set(batch.writes)
    lost = tuple(w for w in applied.skipped if w in mine)
    return ApplyResult(len(mine) - len(lost), applied.rows_appended, lost, applied.notices,
                       applied.anchors)


@dataclass(frozen=True)
class _Plan:
    """What a publish will put live, decided before anything is written."""

    site: Site
    manifest: Manifest
    files: dict[str, bytes]
    items: int
    #: whether the host can make links (see :func:`~dip_sheets.switch.switch_live`)
    links: bool
    #: the version is whole in the archive already (or is the live one, its switch cut short)
    resumed: bool
    #: the version is live and settled: nothing to upload or switch
    unchanged: bool = False


def _refuse_blocked(current: Review) -> None:
    """Without ``--force``, no publish while a row the PPID established cannot go live."""
    def blockers(lang: str, row: str) -> str:
        return "; ".join(
            f"{r.id} ({row} {r.row_number}): {r.findings[0].text(lang).rstrip('.') if r.findings else ''}"
            for r in current.blockers[:20]
        )

    if current.blockers:
        raise PublishFailed(
            f"{len(current.blockers)} baris yang ditetapkan PPID belum dapat diterbitkan:"
            f" {blockers('id', 'baris')}. Perbaiki baris itu, atau terbitkan tanpa baris itu dengan"
            " --force.",
            f"{len(current.blockers)} rows established by the PPID cannot be published:"
            f" {blockers('en', 'row')}. Fix them, or publish without them using --force.",
        )


def _refuse_emptying(current: Review, live: Manifest | None) -> None:
    """Without ``--force``, no publish that would empty the published list."""
    if not current.items and live is not None and live.items:
        raise PublishFailed(
            "Tidak ada satu pun informasi yang siap terbit, sedangkan situs memuat"
            f" {live.items} informasi. Penerbitan dibatalkan agar daftar di situs tidak kosong;"
            " gunakan --force bila memang disengaja.",
            f"No item is ready to publish while the site lists {live.items}. Cancelled so the"
            " published list is not emptied; use --force if this is intended.",
        )


def _plan(config: Config, target: Target, current: Review, now: dt.datetime, progress: Progress, *,
          force: bool, adopt: bool, dry_run: bool, decisions: Sequence[Decision] = (),
          scans: dict[str, bytes] | None = None) -> _Plan:
    """Refuse what must not go live; else choose the version: the live one, an archived one not yet
    live, or a new one. ``scans`` are the signed decisions' scans by their path in a version."""
    if not force:  # before the site is even read
        _refuse_blocked(current)
        refuse_without_decision(decisions, now.date())
    items = current.items
    site = scan(target)
    live = site.live
    if not force:
        _refuse_emptying(current, live)
    archived = site.complete
    refuse_withdrawn((i.id for i in items), archived)
    inherited = inherited_dik(config, progress)
    history: list[PastVersion] = []
    chromium = printer(config, progress)  # the list's PDF (dip.pdf), when it can be printed

    def files_for(version: Version, pdf: bool = chromium is not None) -> dict[str, bytes]:
        if not history and archived:
            history.extend(past_versions(target, archived, progress))
        return {**render_site(items, current.exclusions, config.office, version, config.publish.templates,
                              history, inherited, version_notes(archived), pdf=pdf),
                **scans_of(version, scans or {})}

    def digest_of(version: Version) -> str:  # a PDF tried and failed is not tried again unchanged
        order = version_order(version.id, version.published_at)
        return render_digest(items, current.exclusions, config.office, version, config.publish.templates,
                             [(m.version, m.published_at) for m in archived if m.order < order], inherited,
                             pdf=chromium is not None)

    def version_of(known: Manifest) -> Version:
        return make_version(config, dt.datetime.fromisoformat(known.published_at), known.version,
                            decisions, now.date())

    def renders_as(known: Manifest) -> dict[str, bytes] | None:
        """The files of ``known`` if the register renders to exactly its list's files (with the
        extra files it was published with, see :mod:`.published_state`), else None."""
        files = files_for(version_of(known))
        if file_table(files) != list_files(known.files):
            return None
        extras = archived_extras(target, known)
        return {**files, **extras} if extras is not None else None

    # the live version's recorded inputs are the register's: it is what the register renders to,
    # without rendering it
    same = live is not None and bool(live.digest) and live.digest == digest_of(version_of(live))
    live_files = None if same or live is None else renders_as(live)
    names = {*(live.files if same and live is not None else live_files or {}), MANIFEST}
    guard(target, site, names, adopt=adopt)
    links = site.current is not None if dry_run else links_possible(target, site)
    if live is not None and (same or live_files is not None) and site.settled(links):
        return _Plan(site, live, live_files or {}, len(items), links, resumed=True, unchanged=True)
    if same and live is not None:  # its switch was cut short: the files are needed after all
        live_files = files_for(version_of(live))
    newer = [m for m in archived if live is None or m.order > live.order]
    reusable = renders_as(newer[-1]) if newer else None
    if reusable is not None:  # archived whole by a run that stopped before or while going live
        manifest, files, resumed = newer[-1], reusable, True
    elif live is not None and live_files is not None:  # the live version, its switch cut short
        manifest, files, resumed = live, live_files, True
    else:
        foreign = [path.removeprefix(f"{ARCHIVE}/").rstrip("/") for path in site.foreign]
        version = make_version(config, now, new_version_id(now, [*archived, *site.pending, *foreign]),
                               decisions)
        pdf = list_pdf(chromium, config, items, version, progress) if chromium else None
        files = {**files_for(version, pdf is not None), **({PDF_FILE: pdf} if pdf else {}),
                 **extra_files(config, (i.link for i in items if i.link))}
        record = PastVersion.of(version, tuple(item_record(i) for i in sort_items(items)))
        manifest = Manifest(version.id, version.published_at, file_table(files), len(items),
                            digest_of(version), summary(timeline(history, record)[0]))
        resumed = False
    guard(target, site, {*files, MANIFEST}, adopt=adopt)
    return _Plan(site, manifest, files, len(items), links, resumed)


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

    The register is read once: one batch writes the sync's changes with step 4, the upload
    follows, one batch writes step 5. ``adopt`` lets dip-sheets publish into a folder that already
    holds files it did not write; those files are still never changed or removed.
    """
    now = now or config.now()
    record = _Record(register, config.units, now, dry_run, row_watch.watcher(config, now))
    try:
        decisions, scans = checked_scans(config, record.decisions, progress)
        plan = _plan(config, target, record.review, now, progress, force=force, adopt=adopt, dry_run=dry_run,
                     decisions=decisions, scans=scans)
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
    listing = [(name, len(data)) for name, data in sorted(plan.files.items())]
    if dry_run:
        _say_plan(plan, listing, target, progress, dry_run=True)
        return PublishResult("dry-run", version, listing, url=url, sync=record.sync)
    record.write(replace(published, uploaded=None))
    _say_plan(plan, listing, target, progress, dry_run=False)
    if not plan.links:
        say_no_links(target, progress)
    clean_leftovers(target, plan.site, progress)
    sent = 0 if plan.resumed else upload_version(target, plan.manifest, plan.files, progress)
    sent += switch_live(target, plan.site, plan.manifest, plan.files, progress, links=plan.links)
    record.write(published)
    return PublishResult("published", version, listing, sent, url, record.sync, record.stamps,
                         switch="link" if plan.links else "files")


def _say_plan(plan: _Plan, listing: list[tuple[str, int]], target: Target, progress: Progress, *,
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


def new_version_id(now: dt.datetime, taken: Sequence[Manifest | str]) -> str:
    """The UTC time of the run (``20261125-030000Z``), with a suffix when that second is taken.

    UTC, so a change of the office's timezone never makes a later version look older; the suffix
    (``-2``, ``-3``, …) keeps two publishes of the same second apart.
    """
    base = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%SZ")
    names = {t.version if isinstance(t, Manifest) else t for t in taken}
    version_id, suffix = base, 1
    while version_id in names:
        suffix += 1
        version_id = f"{base}-{suffix}"
    return version_id


def inherited_dik(config: Config, progress: Progress) -> Inherited | None:
    """The higher PPID's DIK entries (``[monev] higher_dik_url``), shown read-only on the DIK page.

    An unreachable list never stops a publish: the page then goes out without it, and this says so.
    """
    url = config.monev.higher_dik_url
    if not url:
        return None
    data = http_fetch(config.monev.timeout)(url)
    entries = read_higher(data) if data is not None else None
    if entries is None:
        progress(Message(
            f"DIK PPID atasan ({url}) tidak dapat dibaca; halaman DIK terbit tanpa daftar itu.",
            f"The higher PPID's DIK ({url}) could not be read; the DIK page is published without it."))
        return None
    return Inherited(entries, url, config.monev.higher_issuer)
