"""Publishing (SOP steps 4 and 5): render the established list and put it on the website safely.

The algorithm is written once over the narrow :class:`~dip_sheets.targets.Target` protocol:

1. every file of the new version is uploaded into ``arsip/<version>/`` and read back to check its
   SHA-256; the version's ``manifest.json`` is written last and marks the version complete;
2. only then each live file is replaced by an atomic rename (uploaded under a temporary name first),
   so a visitor gets the old file or the new one, never a half-written one, and ``index.html`` links
   the data files of its own archived version, so the page never mixes versions;
3. the live ``manifest.json`` goes last: it names the version that is live.

A failure before step 2 leaves the live site untouched; leftovers (temporary files, archive folders
without a manifest) are removed by the next run. A version byte-identical to the live one is not
uploaded again, and a complete archived version that is not live yet (its run stopped during step 2)
is switched live as it is rather than uploaded a second time, so re-running an interrupted publish
neither duplicates nor loses anything. Step 4 (upload ordered) is recorded in the register before
uploading, step 5 (uploaded) only after the live manifest has been read back.

Reconnecting after a dropped connection is not done here but by the target
(:class:`dip_sheets.connect.Reconnecting`), so this algorithm stays the same for every target.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from . import schema as s
from .config import Config
from .errors import PublishFailed
from .history import PastVersion
from .register import CellWrite, Changes, Register, cell_text
from .render import Version, render_site
from .sync import SINCE, Review, RowState, SyncResult, review, run
from .targets import Target
from .validate import MONTHS_ID
from .workflow import Stage

ARCHIVE = "arsip"
MANIFEST = "manifest.json"
#: live files are switched in this order: the page that links the others goes last.
LIVE_ORDER = ("dip.csv", "dip.json", "dik.html", "index.html")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    version: str
    published_at: str
    files: dict[str, dict[str, Any]]  # name -> {"size", "sha256"}
    items: int = 0

    def to_bytes(self) -> bytes:
        document = {
            "generator": f"dip-sheets {__version__}",
            "version": self.version,
            "published_at": self.published_at,
            "items": self.items,
            "files": self.files,
        }
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes | None) -> Manifest | None:
        if data is None:
            return None
        try:
            document = json.loads(data)
            return cls(document["version"], document["published_at"], dict(document["files"]),
                       int(document.get("items", 0)))
        except (ValueError, KeyError, TypeError):
            return None

    @classmethod
    def of(cls, version: Version, files: Mapping[str, bytes], items: int) -> Manifest:
        return cls(version.id, version.published_at, file_table(files), items)


def human_size(size: int) -> str:
    """A size as Indonesian readers write it (decimal comma): ``812 bita``, ``12,3 kB``, ``4,1 MB``."""
    if size < 1000:
        return f"{size} bita"
    value, unit = size / 1000, "kB"
    for bigger in ("MB", "GB"):
        if round(value, 1) < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}".replace(".", ",")


def file_table(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file, as recorded in a manifest."""
    return {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in sorted(files.items())
    }


@dataclass
class PublishResult:
    status: str  # "published" | "unchanged" | "dry-run" | "rolled-back"
    version: str
    files: list[tuple[str, int]] = field(default_factory=list)
    bytes_uploaded: int = 0
    url: str = ""
    sync: SyncResult | None = None
    stamps_written: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version": self.version,
            "files": [{"name": n, "size": size} for n, size in self.files],
            "bytes_uploaded": self.bytes_uploaded,
            "url": self.url,
            "stamps_written": self.stamps_written,
            "sync": self.sync.summary() if self.sync else None,
        }


def make_version(config: Config, now: dt.datetime, version_id: str | None = None) -> Version:
    return Version(
        id=version_id or now.strftime("%Y%m%d-%H%M%S"),
        published_at=now.isoformat(),
        date_text=f"{now.day} {MONTHS_ID[now.month - 1]} {now.year}",
        decision_number=config.publish.decision_number,
        decision_date=config.publish.decision_date,
        year=now.year,
        site_url=config.publish.base_url.rstrip("/") + "/" if config.publish.base_url else "",
    )


def live_manifest(target: Target) -> Manifest | None:
    return Manifest.parse(target.read(MANIFEST))


def versions(target: Target) -> list[Manifest]:
    """Every complete archived version, oldest first."""
    found = []
    for name in target.list(ARCHIVE):
        manifest = Manifest.parse(target.read(f"{ARCHIVE}/{name}/{MANIFEST}"))
        if manifest is not None and manifest.version == name:
            found.append(manifest)
    return sorted(found, key=_order)


def _order(manifest: Manifest) -> tuple[str, int, str]:
    """Publication order; versions of the same second are ``<id>``, ``<id>-2``, …, ``<id>-10``."""
    return manifest.published_at, len(manifest.version), manifest.version


def _is_leftover(name: str) -> bool:
    """A temporary file in the site's root (``.<name>.<version>.tmp``): a switch was cut short."""
    return name.startswith(".") and name.endswith(".tmp")


def clean_leftovers(target: Target, progress: Progress) -> None:
    """Remove what an interrupted run left: temporary live files, archive folders without manifest."""
    for name in target.list(""):
        if _is_leftover(name):
            target.remove(name)
            progress(f"  sisa unggahan terputus dihapus: {name}")
    for name in target.list(ARCHIVE):
        manifest = Manifest.parse(target.read(f"{ARCHIVE}/{name}/{MANIFEST}"))
        if manifest is None or manifest.version != name:
            target.remove(f"{ARCHIVE}/{name}")
            progress(f"  versi tidak lengkap dihapus: {ARCHIVE}/{name}")


def _put_verified(target: Target, path: str, data: bytes) -> None:
    target.put(path, data)
    back = target.read(path)
    if back is None or hashlib.sha256(back).digest() != hashlib.sha256(data).digest():
        raise PublishFailed(
            f"Verifikasi gagal untuk '{path}' (isi berbeda setelah diunggah). Situs tidak diubah;"
            " jalankan ulang.",
            f"Verification failed for '{path}' (content differs after upload). The site was not"
            " changed; run again.",
        )


def upload_version(
    target: Target, manifest: Manifest, files: Mapping[str, bytes], progress: Progress
) -> int:
    """Upload into ``arsip/<version>/``, verify each file, write the manifest last."""
    folder = f"{ARCHIVE}/{manifest.version}"
    sent = 0
    for name, data in sorted(files.items()):
        _put_verified(target, f"{folder}/{name}", data)
        sent += len(data)
        progress(f"  diunggah dan diperiksa: {folder}/{name} ({human_size(len(data))})")
    body = manifest.to_bytes()
    _put_verified(target, f"{folder}/{MANIFEST}", body)
    return sent + len(body)


def switch_live(target: Target, manifest: Manifest, files: Mapping[str, bytes],
                progress: Progress) -> int:
    """Replace each live file atomically (temp name + rename), the live manifest last.

    The manifest's temporary copy is uploaded first and renamed last, so a switch cut short leaves
    a leftover the next run sees, even when every file it reached was already renamed into place.
    """
    ordered = sorted(files, key=lambda n: (LIVE_ORDER.index(n) if n in LIVE_ORDER else -1, n))
    body = manifest.to_bytes()
    pending_manifest = f".{MANIFEST}.{manifest.version}.tmp"
    _put_verified(target, pending_manifest, body)
    sent = len(body)
    for name in ordered:
        temp = f".{name}.{manifest.version}.tmp"
        _put_verified(target, temp, files[name])
        target.replace(temp, name)
        sent += len(files[name])
        progress(f"  diaktifkan: {name} ({human_size(len(files[name]))})")
    target.replace(pending_manifest, MANIFEST)
    progress(f"  diaktifkan: {MANIFEST} ({human_size(len(body))}), versi {manifest.version} kini tayang")
    if live_manifest(target) != manifest:
        raise PublishFailed(
            "Manifest situs tidak sesuai setelah diunggah; periksa situs lalu jalankan ulang.",
            "The site's manifest does not match after upload; check the site and run again.",
        )
    return sent


def rollback(target: Target, version_id: str | None, progress: Progress) -> Manifest:
    """Make an archived version live again (the previous one when ``version_id`` is None)."""
    archived = versions(target)
    live = live_manifest(target)
    if version_id is None:
        earlier = [m for m in archived if live is None or _order(m) < _order(live)]
        if not earlier:
            raise PublishFailed(
                "Tidak ada versi sebelumnya di arsip untuk dipulihkan.",
                "There is no earlier archived version to roll back to.",
            )
        chosen = earlier[-1]
    else:
        matches = [m for m in archived if m.version == version_id]
        if not matches:
            listed = ", ".join(m.version for m in archived) or "(kosong)"
            raise PublishFailed(
                f"Versi '{version_id}' tidak ada di arsip. Versi yang ada: {listed}.",
                f"Version '{version_id}' is not in the archive. Available: {listed}.",
            )
        chosen = matches[0]
    files: dict[str, bytes] = {}
    for name, meta in chosen.files.items():
        data = target.read(f"{ARCHIVE}/{chosen.version}/{name}")
        if data is None or hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise PublishFailed(
                f"Arsip versi {chosen.version} rusak ('{name}'); pemulihan dibatalkan, situs tidak"
                " diubah.",
                f"Archived version {chosen.version} is damaged ('{name}'); rollback cancelled, the"
                " site is unchanged.",
            )
        files[name] = data
    clean_leftovers(target, progress)
    switch_live(target, chosen, files, progress)
    return chosen


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
    progress: Progress = lambda _: None,
    now: dt.datetime | None = None,
) -> PublishResult:
    """Sync, check what blocks, render, upload, verify, and record steps 4 and 5."""
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
    live = live_manifest(target)
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

    archived = versions(target)
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
    switch_cut_short = any(_is_leftover(name) for name in target.list(""))
    if live is not None and live_files is not None and not switch_cut_short:
        result = PublishResult("unchanged", live.version, url=url, sync=synced)
        progress(f"Tidak ada perubahan sejak versi {live.version}; tidak ada yang diunggah.")
        if not dry_run:
            result.stamps_written = _record(register, current, published_ids, live.version, now, by, url)
        return result
    newer = [m for m in archived if live is None or _order(m) > _order(live)]
    reusable = renders_as(newer[-1]) if newer else None
    if reusable is not None:  # archived whole by a run that stopped before or while going live
        manifest, files, resumed = newer[-1], reusable, True
    elif live is not None and live_files is not None:  # the live version, its switch cut short
        manifest, files, resumed = live, live_files, True
    else:
        version = make_version(config, now, _new_version_id(now, archived))
        files = files_for(version)
        manifest, resumed = Manifest.of(version, files, len(items)), False
    listing = [(name, len(data)) for name, data in sorted(files.items())]
    total = human_size(sum(size for _, size in listing))
    what = f"versi {manifest.version} ({len(items)} informasi, {len(listing)} berkas, {total})"
    if dry_run:
        progress(f"Uji coba: {what} akan {'diaktifkan' if resumed else 'diunggah'} di {target.location}.")
        return PublishResult("dry-run", manifest.version, listing, url=url, sync=synced)
    ordered = stamp_changes(current.dip, published_ids, s.STEP4,
                            _stamp(now, manifest.version, f"oleh {by}"))
    if ordered:
        register.apply(ordered)
        current = review(register.read(), config.units, now)
    if resumed:
        progress(f"Versi {manifest.version} sudah lengkap di arsip {target.location} dengan isi yang"
                 " sama; diaktifkan tanpa diunggah ulang.")
    else:
        progress(f"Mengunggah {what} ke {target.location}")
    clean_leftovers(target, progress)
    sent = 0 if resumed else upload_version(target, manifest, files, progress)
    sent += switch_live(target, manifest, files, progress)
    result = PublishResult("published", manifest.version, listing, sent, url, synced)
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
            progress(f"  riwayat: {problem}")
    return history


def _new_version_id(now: dt.datetime, archived: Sequence[Manifest]) -> str:
    """The time of the run, with a suffix when a version of that second is already archived."""
    base = now.strftime("%Y%m%d-%H%M%S")
    taken = {m.version for m in archived}
    version_id, suffix = base, 1
    while version_id in taken:
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
