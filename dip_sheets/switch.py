"""Putting a version on the site: upload it whole into the archive, then make it live in one step.

1. every file of the version is uploaded into ``arsip/<version>/`` (after a marker naming them) and
   read back to check its SHA-256; the version's ``manifest.json`` goes last and completes it;
2. the switch: the live names are links into ``current`` (made once, before the switch, so they
   only ever point into it), and ``current`` is replaced by one atomic rename to point at the new
   version. A visitor gets the old version or the new one, whole, whatever moment a run is killed.
   A host that cannot make links gets the file-by-file switch instead (each file replaced
   atomically, the live manifest last), and the publish says so;
3. live names of the old version that the new one no longer has are removed.

Only what :mod:`dip_sheets.site` proved ours is ever replaced or removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from .errors import PublishFailed
from .messages import Message
from .site import ARCHIVE, CURRENT, MANIFEST, MARKER, Manifest, Site, live_names, marker, scan
from .targets import LinksUnsupported, Target, temp_name

Progress = Callable[[Message], None]
#: file-by-file switch order: the page that links the others goes last (the manifest after it)
LIVE_ORDER = ("dip.csv", "dip.json", "dik.html", "index.html")


def human_size(size: int) -> Message:
    """A size as each language writes it: ``812 bita`` / ``12,3 kB`` and ``812 bytes`` / ``12.3 kB``."""
    if size < 1000:
        return Message(f"{size} bita", f"{size} bytes")
    value, unit = size / 1000, "kB"
    for bigger in ("MB", "GB"):
        if round(value, 1) < 1000:
            break
        value, unit = value / 1000, bigger
    return Message(f"{value:.1f} {unit}".replace(".", ","), f"{value:.1f} {unit}")


def live_manifest(target: Target) -> Manifest | None:
    return Manifest.parse(target.read(MANIFEST))


def versions(target: Target) -> list[Manifest]:
    """Every complete archived version, oldest first."""
    return scan(target).complete


def put_verified(target: Target, path: str, data: bytes) -> int:
    """Write ``data`` and read it back to compare; returns its size. The bytes written are let go
    before the copy read back arrives, so a large file is never held twice."""
    target.put(path, data)
    size, expected = len(data), hashlib.sha256(data).digest()
    del data
    back = target.read(path)
    if back is None or hashlib.sha256(back).digest() != expected:
        raise PublishFailed(
            f"Verifikasi gagal untuk '{path}' (isi berbeda setelah diunggah). Situs tidak diubah;"
            " jalankan ulang.",
            f"Verification failed for '{path}' (content differs after upload). The site was not"
            " changed; run again.",
        )
    return size


def upload_version(
    target: Target, manifest: Manifest, files: Mapping[str, bytes], progress: Progress
) -> int:
    """Upload into ``arsip/<version>/``: the marker first, each file verified, the manifest last."""
    folder = f"{ARCHIVE}/{manifest.version}"
    first = marker(manifest.version, [*files, MANIFEST])
    target.put(f"{folder}/{MARKER}", first)
    sent = len(first)
    for name in sorted(files):  # one file's bytes at a time
        written = put_verified(target, f"{folder}/{name}", files[name])
        sent += written
        size = human_size(written)
        progress(Message(f"  diunggah dan diperiksa: {folder}/{name} ({size.id})",
                         f"  uploaded and checked: {folder}/{name} ({size.en})"))
    body = manifest.to_bytes()
    put_verified(target, f"{folder}/{MANIFEST}", body)
    return sent + len(body)


def links_possible(target: Target, site: Site) -> bool:
    """Whether the host can make symbolic links: known when ``current`` exists, else probed."""
    if site.current is not None:
        return True
    probe = temp_name(CURRENT)
    try:
        target.symlink(ARCHIVE, probe)
    except LinksUnsupported:
        return False
    target.remove(probe)
    return True


def clean_leftovers(target: Target, site: Site, progress: Progress) -> None:
    """Remove what an interrupted run left: our temporary names, our incomplete archive folders.

    An incomplete folder loses only the names its marker lists, then the marker, then the folder
    if that left it empty; anything else in it is not ours, so it stays.
    """
    for name in site.leftovers:
        target.remove(name)
        progress(Message(f"  sisa unggahan terputus dihapus: {name}",
                         f"  leftover of an interrupted upload removed: {name}"))
    for version, names in site.pending.items():
        folder = f"{ARCHIVE}/{version}"
        present = {entry.name: entry.kind for entry in target.entries(folder)}
        for name in names:
            if present.get(name) == "file":
                target.remove(f"{folder}/{name}")
        target.remove(f"{folder}/{MARKER}")
        target.remove(folder)
        if version in target.list(ARCHIVE):
            progress(Message(
                f"  versi tidak lengkap {folder} dibersihkan; foldernya dibiarkan karena memuat berkas"
                " lain yang bukan milik dip-sheets",
                f"  incomplete version {folder} cleaned; the folder stays since it holds other files"
                " that are not dip-sheets'",
            ))
        else:
            progress(Message(f"  versi tidak lengkap dihapus: {folder}",
                             f"  incomplete version removed: {folder}"))


def switch_live(target: Target, site: Site, manifest: Manifest, files: Mapping[str, bytes],
                progress: Progress, *, links: bool) -> int:
    """Make ``manifest``'s version live (see the module's docstring); returns the bytes sent."""
    names = live_names(files)
    live = {name: files[name] for name in names} if not links else {}  # the links read no file
    sent = (_switch_links(target, site, manifest, names, progress) if links
            else _switch_files(target, site, manifest, live, progress))
    stale = (site.links | site.files) - {*names, MANIFEST}
    for name in sorted(stale):
        target.remove(name)
    if live_manifest(target) != manifest:
        raise PublishFailed(
            "Manifest situs tidak sesuai setelah diunggah; periksa situs lalu jalankan ulang.",
            "The site's manifest does not match after upload; check the site and run again.",
        )
    return sent


def _switch_links(target: Target, site: Site, manifest: Manifest, files: set[str],
                  progress: Progress) -> int:
    names = sorted({*files, MANIFEST})
    archived = {m.version for m in site.complete}
    if site.current is None and site.files and site.live is not None and site.live.version in archived:
        # a site of real files (published before links were used): point ``current`` at the live
        # version first, so turning each file into a link changes no byte a visitor gets
        _point_current(target, site.live.version)
        progress(Message(
            f"  susunan situs diperbarui: nama yang tayang kini tautan ke {CURRENT}/ (versi"
            f" {site.live.version} tetap tayang)",
            f"  site layout upgraded: the live names are now links into {CURRENT}/ (version"
            f" {site.live.version} stays live)",
        ))
    for name in names:
        if name not in site.links:
            _link(target, name, replace=name in site.files)
    _point_current(target, manifest.version)
    progress(Message(
        f"  diaktifkan dalam satu langkah: {CURRENT} -> {ARCHIVE}/{manifest.version}, versi"
        f" {manifest.version} kini tayang",
        f"  switched in one step: {CURRENT} -> {ARCHIVE}/{manifest.version}, version"
        f" {manifest.version} is now live",
    ))
    return 0


def _link(target: Target, name: str, *, replace: bool) -> None:
    """Make the live name ``name`` a link into ``current`` (over our own file when ``replace``)."""
    if not replace:
        target.symlink(f"{CURRENT}/{name}", name)
        return
    temp = temp_name(name)
    target.symlink(f"{CURRENT}/{name}", temp)
    target.replace(temp, name)


def _point_current(target: Target, version: str) -> None:
    """The switch itself: a new link under a temporary name, renamed over ``current``."""
    temp = temp_name(CURRENT)
    target.symlink(f"{ARCHIVE}/{version}", temp)
    target.replace(temp, CURRENT)


def _switch_files(target: Target, site: Site, manifest: Manifest, files: Mapping[str, bytes],
                  progress: Progress) -> int:
    """Replace each live file atomically (temporary name + rename), the live manifest last.

    The manifest's temporary copy is uploaded first and renamed last, so a switch cut short leaves
    a leftover the next run sees, even when every file it reached was already renamed into place.
    """
    ordered = sorted(files, key=lambda n: (LIVE_ORDER.index(n) if n in LIVE_ORDER else -1, n))
    body = manifest.to_bytes()
    pending_manifest = temp_name(MANIFEST)
    put_verified(target, pending_manifest, body)
    sent = len(body)
    for name in ordered:
        temp = temp_name(name)
        put_verified(target, temp, files[name])
        target.replace(temp, name)
        sent += len(files[name])
        size = human_size(len(files[name]))
        progress(Message(f"  diaktifkan: {name} ({size.id})", f"  made live: {name} ({size.en})"))
    target.replace(pending_manifest, MANIFEST)
    progress(Message(f"  diaktifkan: {MANIFEST}, versi {manifest.version} kini tayang",
                     f"  made live: {MANIFEST}, version {manifest.version} is now live"))
    return sent


def say_no_links(target: Target, progress: Progress) -> None:
    """Said once per run when the host cannot make links."""
    progress(Message(
        f"Catatan: {target.location} tidak dapat memuat tautan simbolik, jadi versi baru diaktifkan"
        " berkas demi berkas (masing-masing atomik); sesaat pengunjung bisa mendapat berkas dari dua"
        " versi berbeda.",
        f"Note: {target.location} cannot hold symbolic links, so the new version goes live file by"
        " file (each one atomically); for a moment a visitor may get files of two versions.",
    ))
