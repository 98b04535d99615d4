"""The published site's layout, and what in it dip-sheets wrote.

A site published by dip-sheets looks like this::

    arsip/<version>/…              every version ever published, whole (files, manifest.json last)
    arsip/<version>/.dip-sheets-upload.json   written first: proves the folder is ours
    current -> arsip/<version>     the live version: switching is one rename of this link
    index.html -> current/index.html, dip.csv -> current/dip.csv, …, manifest.json -> current/…

The live names are links that never change; publishing replaces ``current`` in one atomic rename,
so a visitor always gets every file from one version. A host that cannot make links keeps real
files at the root, replaced one by one (each atomically), the manifest last.

dip-sheets removes or overwrites only what it can prove it wrote: names its manifests list (with
the bytes they list), its own links, its temporary names, archive folders carrying its marker.
Everything else is *foreign*: a target holding foreign files is refused unless the user adopts it,
and a foreign file is never touched, even then. A link where dip-sheets expects a folder
(``arsip/``, a version folder) is refused, never followed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .errors import ConfigError
from .history import moment, version_order
from .rendered import Rendered
from .targets import Entry, Target, link_refused, shown, temp_of

ARCHIVE = "arsip"
MANIFEST = "manifest.json"
CURRENT = "current"
#: written first into every archive folder: what makes an incomplete one provably ours (its name
#: alone: nobody else writes it, and when its content was cut short it is the folder's only file)
MARKER = ".dip-sheets-upload.json"
GENERATOR = "dip-sheets"
#: temporary names of dip-sheets before 0.2 (``.<name>.<version>.tmp``, ``.<name>.<hex>.old.tmp``)
_OLD_TEMP = re.compile(r"\.(?P<name>.+)\.(?:[0-9]{8}-[0-9]{6}(?:-[0-9]+)?|[0-9a-f]{8}\.old)\.tmp")
#: how many foreign names a message lists
_SHOWN = 8


@dataclass(frozen=True)
class Manifest:
    version: str
    published_at: str
    files: dict[str, dict[str, Any]]  # name -> {"size", "sha256"}
    items: int = 0
    #: SHA-256 of the render's inputs (:mod:`dip_sheets.render_digest`): equal inputs, no re-render
    digest: str = ""
    #: the version's changes against its predecessor (:func:`dip_sheets.history.summary`), stored
    #: once so the update history never re-reads every archived version
    history: dict[str, Any] | None = None
    #: a version that puts an earlier version's list live again (a rollback, or the live list
    #: after a redaction): the version whose list files it carries, byte for byte
    list_of: str = ""
    #: why this version exists when it is not a publish of the register: ``{"jenis": "pemulihan"
    #: | "penarikan", "waktu", "oleh", "alasan", …}`` (:mod:`dip_sheets.restore`)
    event: dict[str, Any] | None = None
    #: the items taken out of this version after it was published (:mod:`dip_sheets.redaction`):
    #: ``{"id", "waktu", "oleh", "alasan"}`` each, never the item's content
    redactions: tuple[dict[str, Any], ...] = ()
    #: SHA-256 of the register's items and exclusions alone (:func:`~.render_digest.register_digest`)
    register_digest: str = ""

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "generator": f"{GENERATOR} {__version__}",
            "version": self.version,
            "published_at": self.published_at,
            "items": self.items,
            "files": self.files,
        }
        if self.digest:
            document["render_digest"] = self.digest
        if self.history is not None:
            document["history"] = self.history
        if self.list_of:
            document["list_of"] = self.list_of
        if self.event is not None:
            document["event"] = self.event
        if self.redactions:
            document["redactions"] = list(self.redactions)
        if self.register_digest:
            document["register_digest"] = self.register_digest
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes | None) -> Manifest | None:
        """A manifest dip-sheets wrote, or None (missing, damaged, or someone else's file)."""
        if data is None:
            return None
        try:
            document = json.loads(data)
            if not str(document.get("generator", "")).startswith(GENERATOR):
                return None
            history, event = document.get("history"), document.get("event")
            manifest = cls(document["version"], document["published_at"], dict(document["files"]),
                           int(document.get("items", 0)), str(document.get("render_digest", "")),
                           history if isinstance(history, dict) else None,
                           str(document.get("list_of") or ""), event if isinstance(event, dict) else None,
                           tuple(r for r in document.get("redactions") or () if isinstance(r, dict)),
                           str(document.get("register_digest", "")))
            moment(manifest.published_at)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return manifest

    @property
    def order(self) -> tuple[dt.datetime, int, str]:
        return version_order(self.version, self.published_at)


def live_names(names: Iterable[str]) -> set[str]:
    """The names a version makes live: its files at the top; a sub-folder (the signed decisions'
    scans, ``keputusan/``) stays in the version's archive folder and is linked there."""
    return {n for n in names if "/" not in n}


def file_table(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file, as recorded in a manifest."""
    table = {}
    for name in sorted(files):  # a rendered file is known as written, another read one at a time
        if isinstance(files, Rendered):
            size, sha256 = files.fingerprint(name)
        else:
            data = files[name]
            size, sha256 = len(data), hashlib.sha256(data).hexdigest()
        table[name] = {"size": size, "sha256": sha256}
    return table


def marker(version: str, names: list[str]) -> bytes:
    """The marker written first into ``arsip/<version>/``: the names the upload will write there."""
    document = {"generator": f"{GENERATOR} {__version__}", "version": version, "files": sorted(names)}
    return (json.dumps(document, indent=1) + "\n").encode()


def _marked_names(data: bytes | None, version: str) -> list[str]:
    """The names a marker lists; none when it was cut short (then it was the folder's only write)."""
    try:
        document = json.loads(data or b"")
        if document.get("version") == version:
            return [str(name) for name in document["files"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return []


@dataclass
class Site:
    """What a target holds, sorted into what dip-sheets wrote and what it did not."""

    complete: list[Manifest] = field(default_factory=list)  # oldest first
    #: archive folders of ours without a manifest (an upload cut short): name -> the names it writes
    pending: dict[str, list[str]] = field(default_factory=dict)
    live: Manifest | None = None
    #: the version ``current`` points to (None: no link yet, a host without links or an old site)
    current: str | None = None
    #: live names that are our links into ``current``
    links: set[str] = field(default_factory=set)
    #: live names that are real files holding bytes one of our manifests lists (the file-by-file
    #: layout, and sites published before links were used)
    files: set[str] = field(default_factory=set)
    #: our temporary names at the root (a switch cut short)
    leftovers: list[str] = field(default_factory=list)
    #: paths we did not write, e.g. ``index.html`` or ``arsip/dokumen/``
    foreign: list[str] = field(default_factory=list)

    @property
    def ours(self) -> bool:
        """Whether dip-sheets already publishes here (made it, or the user adopted it)."""
        return bool(self.complete or self.pending or self.current)

    def settled(self, links: bool) -> bool:
        """Whether the live version is fully in place, with nothing left over from a cut run."""
        if self.live is None or self.leftovers:
            return False
        if not links:
            return True
        names = {*live_names(self.live.files), MANIFEST}
        return self.current == self.live.version and self.links == names and not self.files


def scan(target: Target) -> Site:
    """Read the site's layout; a link where a folder of ours belongs is refused, naming it."""
    site = Site()
    root = {entry.name: entry for entry in target.entries("")}
    folder = root.pop(ARCHIVE, None)
    if folder is not None and folder.kind == "link":
        raise link_refused(f"{target.location}/{ARCHIVE}", folder.link)
    if folder is not None and folder.kind != "dir":
        site.foreign.append(ARCHIVE)
    archive = target.entries(ARCHIVE) if folder is not None and folder.kind == "dir" else []
    for entry in archive:
        _sort_archive_entry(target, site, entry)
    site.complete.sort(key=lambda m: m.order)
    known: dict[str, set[str]] = {}
    for manifest in site.complete:
        for name, meta in manifest.files.items():
            known.setdefault(name, set()).add(str(meta.get("sha256")))
    ours = {m.version for m in site.complete} | set(site.pending)
    link = root.pop(CURRENT, None)
    if link is not None:
        version = (link.link or "").removeprefix(f"{ARCHIVE}/").rstrip("/")
        if link.kind == "link" and link.link == f"{ARCHIVE}/{version}" and version in ours:
            site.current = version
        elif link.kind == "link" and ours:  # our site, but the live link points somewhere else
            raise link_refused(f"{target.location}/{CURRENT}", link.link)
        else:
            site.foreign.append(CURRENT)
    for entry in root.values():
        _sort_root_entry(target, site, entry, known)
    site.live = Manifest.parse(target.read(MANIFEST)) if MANIFEST in site.links | site.files else None
    return site


def _sort_archive_entry(target: Target, site: Site, entry: Entry) -> None:
    path = f"{ARCHIVE}/{entry.name}"
    if entry.kind == "link":
        raise link_refused(f"{target.location}/{path}", entry.link)
    if entry.kind != "dir":
        site.foreign.append(path)
        return
    manifest = Manifest.parse(target.read(f"{path}/{MANIFEST}"))
    if manifest is not None and manifest.version == entry.name:
        site.complete.append(manifest)
        return
    if any(e.name == MARKER and e.kind == "file" for e in target.entries(path)):
        site.pending[entry.name] = _marked_names(target.read(f"{path}/{MARKER}"), entry.name)
    else:
        site.foreign.append(f"{path}/")


def _sort_root_entry(target: Target, site: Site, entry: Entry, known: dict[str, set[str]]) -> None:
    name = entry.name
    temp = temp_of(name) or _old_temp_of(name, known)
    if temp is not None and entry.kind in ("file", "link"):
        site.leftovers.append(name)
    elif entry.kind == "link" and entry.link == f"{CURRENT}/{name}":
        site.links.add(name)
    elif entry.kind == "file" and (name in known or name == MANIFEST) and _written_by_us(target, name, known):
        site.files.add(name)
    else:
        site.foreign.append(f"{name}/" if entry.kind == "dir" else name)


def _old_temp_of(name: str, known: dict[str, set[str]]) -> str | None:
    """A temporary name of an older dip-sheets, if it stands beside a name we publish."""
    found = _OLD_TEMP.fullmatch(name)
    return found["name"] if found and found["name"] in {*known, MANIFEST} else None


def _written_by_us(target: Target, name: str, known: dict[str, set[str]]) -> bool:
    """A live file holds bytes one of our manifests lists (the manifest: is one of ours)."""
    data = target.read(name)
    if name == MANIFEST:
        return Manifest.parse(data) is not None
    return data is not None and hashlib.sha256(data).hexdigest() in known.get(name, set())


def guard(target: Target, site: Site, names: set[str], *, adopt: bool) -> None:
    """Refuse to publish into a target holding files we did not write (unless adopted), and refuse
    always when one of the names we are about to write is taken by such a file."""
    foreign = sorted(site.foreign)
    if foreign and not site.ours and not adopt:
        listed = _listing(foreign)
        raise ConfigError(
            f"Folder tujuan {target.location} sudah berisi berkas yang tidak ditulis dip-sheets"
            f" ({listed}). Agar tidak ada yang tertimpa atau terhapus, penerbitan dibatalkan. Bila"
            " folder ini memang tempatnya, jalankan `dip publish --adopt`: dip-sheets menerbitkan di"
            " samping berkas itu dan tidak pernah mengubah atau menghapusnya. Bila bukan, pilih"
            " folder kosong (publish.folder atau remote_dir di dip.toml).",
            f"The target folder {target.location} already holds files dip-sheets did not write"
            f" ({listed}). So that nothing is overwritten or deleted, publishing was cancelled. If"
            " this folder is the right place, run `dip publish --adopt`: dip-sheets then publishes"
            " beside those files and never changes or removes them. If not, choose an empty folder"
            " (publish.folder or remote_dir in dip.toml).",
        )
    taken = sorted(n for n in foreign if n.rstrip("/") in names | {ARCHIVE, CURRENT, MANIFEST})
    if taken:
        listed = _listing(taken)
        raise ConfigError(
            f"Di {target.location} sudah ada {listed} yang tidak ditulis dip-sheets, padahal nama itu"
            " dipakai untuk daftar yang diterbitkan. dip-sheets tidak menimpanya: pindahkan atau ganti"
            " nama berkas itu, lalu jalankan lagi.",
            f"{target.location} already holds {listed}, not written by dip-sheets, under a name the"
            " published list uses. dip-sheets does not overwrite it: move or rename that file, then"
            " run again.",
        )


def _listing(names: list[str]) -> str:
    shown_names = ", ".join(shown(n) for n in names[:_SHOWN])
    return shown_names + (f", … (+{len(names) - _SHOWN})" if len(names) > _SHOWN else "")
