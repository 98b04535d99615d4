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
interrupted publish neither duplicates nor loses anything. Step 4 (upload ordered) is recorded in
the register before uploading, step 5 (uploaded) only after the live manifest has been read back.

Version ids are the UTC time of the run (``20261125-030000Z``), with ``-2``, ``-3`` … when that
second is taken; versions are ordered by their timezone-aware publication time, never by id text.

Reconnecting after a dropped connection is not done here but by the target
(:class:`dip_sheets.connect.Reconnecting`), so this algorithm stays the same for every target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .config import Config
from .dates import format_date
from .errors import PublishFailed
from .history import PastVersion
from .messages import Message
from .register import CellWrite, Changes, Register, cell_text
from .render import Version, render_site
from .site import ARCHIVE, MANIFEST, Manifest, file_table, guard, scan
from .switch import (
    Progress,
    clean_leftovers,
    human_size,
    links_possible,
    live_manifest,
    rollback,
    say_no_links,
    switch_live,
    upload_version,
    versions,
)
from .sync import SINCE, Review, RowState, SyncResult, review, run
from .targets import Target
from .workflow import Stage

__all__ = ["ARCHIVE", "MANIFEST", "Manifest", "Progress", "PublishResult", "human_size", "live_manifest",
           "publish", "rollback", "versions"]


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


def make_version(config: Config, now: dt.datetime, version_id: str | None = None) -> Version:
    return Version(
        id=version_id or new_version_id(now, ()),
        published_at=now.isoformat(),
        date_text=format_date(now.date()),
        decision_number=config.publish.decision_number,
        decision_date=config.publish.decision_date,
        year=now.year,
        site_url=config.publish.base_url.rstrip("/") + "/" if config.publish.base_url else "",
    )


# ---- the register side: steps 4 and 5 ---------------------------------------------------------


def _stamp(now: dt.datetime, version: str, tail: str) -> str:
    return f"{now.strftime('%Y-%m-%d %H:%M')} · versi {version} · {tail}"


def stamp_changes(
    rows: Sequence[RowState], published: set[str], header: str, text: str
) -> Changes:
    """Write ``text`` into ``header`` of published rows that lack it; clear it in rows no longer
    published. Rows already stamped keep their stamp: it says when their content went live."""
    changes = Changes()
    for row in rows:
        current = cell_text(row.values.get(header))
        if row.id in published and not current:
            changes.writes.append(CellWrite(row.anchor, header, text))
        elif row.id not in published and current:
            changes.writes.append(CellWrite(row.anchor, header, ""))
    return changes


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

    ``adopt`` lets dip-sheets publish into a folder that already holds files it did not write;
    those files are still never changed or removed.
    """
    now = now or config.now()
    synced = run(register, config.units, now, dry_run=dry_run)
    current: Review = synced.review
    if synced.applied is not None:  # IDs may have been written: anchors must be read afresh
        current = review(register.read(), config.units, now)
    if current.blockers and not force:
        def blockers(lang: str, row: str) -> str:
            return "; ".join(
                f"{r.id} ({row} {r.row_number}): {r.findings[0].text(lang).rstrip('.') if r.findings else ''}"
                for r in current.blockers[:20]
            )

        raise PublishFailed(
            f"{len(current.blockers)} baris yang ditetapkan PPID belum dapat diterbitkan:"
            f" {blockers('id', 'baris')}. Perbaiki baris itu, atau terbitkan tanpa baris itu dengan --force.",
            f"{len(current.blockers)} rows established by the PPID cannot be published:"
            f" {blockers('en', 'row')}. Fix them, or publish without them using --force.",
        )
    items = current.items
    site = scan(target)
    live = site.live
    if not items and live is not None and live.items and not force:
        raise PublishFailed(
            "Tidak ada satu pun informasi yang siap terbit, sedangkan situs memuat"
            f" {live.items} informasi. Penerbitan dibatalkan agar daftar di situs tidak kosong;"
            " gunakan --force bila memang disengaja.",
            f"No item is ready to publish while the site lists {live.items}. Cancelled so the"
            " published list is not emptied; use --force if this is intended.",
        )
    url = public_url(config, target)
    published_ids = {i.id for i in items}
    templates = config.publish.templates
    archived = site.complete
    history = past_versions(target, archived, progress)

    def files_for(version: Version) -> dict[str, bytes]:
        return render_site(items, current.exclusions, config.office, version, templates, history)

    def renders_as(known: Manifest) -> dict[str, bytes] | None:
        """The files of ``known`` if the register renders to exactly them, else None."""
        when = dt.datetime.fromisoformat(known.published_at)
        files = files_for(make_version(config, when, known.version))
        return files if file_table(files) == known.files else None

    by = by or config.publish.by
    live_files = renders_as(live) if live is not None else None
    guard(target, site, {*(live_files or {}), MANIFEST}, adopt=adopt)
    links = site.current is not None if dry_run else links_possible(target, site)
    if live is not None and live_files is not None and site.settled(links):
        result = PublishResult("unchanged", live.version, url=url, sync=synced)
        progress(Message(f"Tidak ada perubahan sejak versi {live.version}; tidak ada yang diunggah.",
                         f"No change since version {live.version}; nothing was uploaded."))
        if not dry_run:
            result.stamps_written = _record(register, current, published_ids, live.version, now, by, url)
        return result
    newer = [m for m in archived if live is None or m.order > live.order]
    reusable = renders_as(newer[-1]) if newer else None
    if reusable is not None:  # archived whole by a run that stopped before or while going live
        manifest, files, resumed = newer[-1], reusable, True
    elif live is not None and live_files is not None:  # the live version, its switch cut short
        manifest, files, resumed = live, live_files, True
    else:
        foreign = [path.removeprefix(f"{ARCHIVE}/").rstrip("/") for path in site.foreign]
        version = make_version(config, now, new_version_id(now, [*archived, *site.pending, *foreign]))
        files = files_for(version)
        manifest = Manifest(version.id, version.published_at, file_table(files), len(items))
        resumed = False
    guard(target, site, {*files, MANIFEST}, adopt=adopt)
    listing = [(name, len(data)) for name, data in sorted(files.items())]
    total = human_size(sum(size for _, size in listing))
    what_id = f"versi {manifest.version} ({len(items)} informasi, {len(listing)} berkas, {total})"
    what_en = f"version {manifest.version} ({len(items)} items, {len(listing)} files, {total})"
    if dry_run:
        progress(Message(
            f"Uji coba: {what_id} akan {'diaktifkan' if resumed else 'diunggah'} di {target.location}.",
            f"Dry run: {what_en} would be {'made live' if resumed else 'uploaded'} at {target.location}.",
        ))
        return PublishResult("dry-run", manifest.version, listing, url=url, sync=synced)
    ordered = stamp_changes(current.dip, published_ids, s.STEP4,
                            _stamp(now, manifest.version, f"oleh {by}"))
    if ordered:
        register.apply(ordered)
        current = review(register.read(), config.units, now)
    if resumed:
        progress(Message(
            f"Versi {manifest.version} sudah lengkap di arsip {target.location} dengan isi yang sama;"
            " diaktifkan tanpa diunggah ulang.",
            f"Version {manifest.version} is already complete in the archive at {target.location} with"
            " the same content; made live without uploading it again.",
        ))
    else:
        progress(Message(f"Mengunggah {what_id} ke {target.location}",
                         f"Uploading {what_en} to {target.location}"))
    if not links:
        say_no_links(target, progress)
    clean_leftovers(target, site, progress)
    sent = 0 if resumed else upload_version(target, manifest, files, progress)
    sent += switch_live(target, site, manifest, files, progress, links=links)
    result = PublishResult("published", manifest.version, listing, sent, url, synced,
                           switch="link" if links else "files")
    result.stamps_written = _record(register, current, published_ids, manifest.version, now, by, url)
    return result


def past_versions(target: Target, archived: Sequence[Manifest], progress: Progress) -> list[PastVersion]:
    """Every archived version's items, for the update history (``riwayat.html``).

    This reads each archived ``dip.json`` once per publish: fine for the few hundred items of an
    office's DIP; a damaged archive entry is reported and left out of the history.
    """
    history = []
    for manifest in archived:
        data = target.read(f"{ARCHIVE}/{manifest.version}/dip.json")
        if data is None:
            continue
        try:
            history.append(PastVersion.from_dip_json(data))
        except ValueError as problem:
            progress(Message(f"  riwayat: {problem}", f"  history: {problem}"))
    return history


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


def _record(register: Register, current: Review, published: set[str], version: str,
            now: dt.datetime, by: str, url: str) -> int:
    """Steps 4 and 5 for every row now live; both cleared for rows no longer live.

    The rows' ``Posisi SOP`` moves to step 5 in the same batch, so the next sync has nothing to redo.
    """
    changes = stamp_changes(current.dip, published, s.STEP4, _stamp(now, version, f"oleh {by}"))
    changes.writes += stamp_changes(current.dip, published, s.STEP5, _stamp(now, version, url)).writes
    live_since = f"{Stage.PUBLISHED.value}{SINCE}{now.date().isoformat()}"
    changes.writes += [CellWrite(row.anchor, s.STAGE, live_since) for row in current.dip
                       if row.id in published and row.stage is not Stage.PUBLISHED]
    if not changes:
        return 0
    return register.apply(changes).cells_written
