"""The change feed (``perubahan.json``): what changed in the list since the version before. Pure.

An aggregator (the province's view of its offices) should not download every office's full list on
every run, and must never lose a deletion (OpenSID's village-to-regency feed did). Each published
version therefore carries a feed naming the version it follows, with every item added (the whole
record), changed (each changed field with its old and new value) and removed (the ID). A consumer
that holds version P applies the feed whose ``versi_sebelumnya`` is P; one that is further behind
walks back through ``perubahan_sebelumnya`` (each version's feed is archived with it) and replays the
feeds in order; one that finds a gap falls back to the full snapshot, ``daftar_lengkap``.

Every feed also states the item count and a digest of the whole list after it is applied, so a
consumer whose copy drifted (a missed version, a damaged cache) finds out at once instead of drifting
further: :func:`apply_feed` refuses a feed that does not lead exactly to the stated list.

The first version's feed names no previous version and lists every item as added, so replaying the
feeds from the first version rebuilds the current list exactly, order included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .history import PastVersion, Record, VersionChanges, diff
from .json_text import digest, pieces

FEED_FILE = "perubahan.json"
#: the full list of the same version; the feed sits next to it, so the pointer is relative.
SNAPSHOT_FILE = "dip.json"
ARCHIVE = "arsip"  # the archive folder of publish.py (publish.ARCHIVE): one folder per version
FORMAT = "dip-sheets/perubahan/1"


def feed_path(version_id: str) -> str:
    """Where a version's feed is archived, relative to the site's root folder."""
    return f"{ARCHIVE}/{version_id}/{FEED_FILE}"


def list_digest(records: Sequence[Record]) -> str:
    """SHA-256 of the records in ID order, each with sorted keys: equal for equal lists, whatever
    the order the records came in and whatever the key order in each."""
    return digest(sorted(records, key=lambda r: str(r["id"])))


def render_feed(current: PastVersion, previous: PastVersion | None, site_url: str = "",
                notes: Sequence[str] = ()) -> bytes:
    """``perubahan.json``: see :func:`feed_pieces`."""
    return "".join(feed_pieces(current, previous, site_url, notes)).encode("utf-8")


def feed_pieces(current: PastVersion, previous: PastVersion | None, site_url: str = "",
                notes: Sequence[str] = (), diffed: VersionChanges | None = None) -> Iterator[str]:
    """``perubahan.json`` of ``current``, in pieces of a line or so: its changes since ``previous``
    (``None`` for the first version, whose feed adds every item).

    ``previous`` is the newest version published before ``current`` (in ``render_site``:
    ``timeline(history, current)[0].previous``). ``site_url`` is the site's public address ending in
    ``/`` (``Version.site_url``); with it the pointer to the previous feed is absolute, so it works
    from the archived copy too, without it it is relative to the site's root, as the history page's
    links are. Deterministic: sorted keys, items in ID order, ``urutan`` in the list's own order.
    ``notes`` (a rollback, a redaction: :func:`dip_sheets.archive_history.version_notes`) go in
    ``catatan`` when there are any. ``diffed``: ``current``'s entry of the timeline, when the caller
    has it already (its changes against ``previous``, as :func:`~dip_sheets.history.diff` gives them).
    """
    before: Sequence[Record] = previous.records if previous is not None else ()
    if diffed is not None and previous is not None and diffed.previous is previous:
        added, removed, changed = diffed.added, diffed.removed, diffed.changed
    else:
        added, removed, changed = diff(before, current.records)
    old = {str(r["id"]): r for r in before}
    new = {str(r["id"]): r for r in current.records}
    changes = []
    for change in changed:
        fields: dict[str, dict[str, Any]] = {}
        for key in change.fields:
            values = {}
            if key in old[change.id]:
                values["lama"] = old[change.id][key]
            if key in new[change.id]:
                values["baru"] = new[change.id][key]
            fields[key] = values
        changes.append({"id": change.id, "judul": change.title, "kolom": fields})
    document: dict[str, Any] = {
        "format": FORMAT,
        "versi": current.id,
        "diterbitkan": current.published_at,
        # the decision travels with the changes, so a consumer catching up needs no dip.json
        "keputusan_ppid": {"nomor": current.decision_number, "tanggal": current.decision_date},
        "versi_sebelumnya": previous.id if previous is not None else None,
        "perubahan_sebelumnya": site_url + feed_path(previous.id) if previous is not None else None,
        "daftar_lengkap": SNAPSHOT_FILE,
        "jumlah": len(current.records),
        "sidik": list_digest(current.records),
        "urutan": (str(r["id"]) for r in current.records),
        "ditambah": (_plain(new[a.id]) for a in added),
        "diubah": changes,
        "dihapus": [{"id": r.id, "judul": r.title} for r in removed],
    }
    if notes:
        document["catatan"] = list(notes)
    yield from pieces(document, sort_keys=True)
    yield "\n"


def _plain(record: Record) -> dict[str, Any]:
    """A record as the JSON encoder takes it (a record is a dict already, but for an odd mapping)."""
    return record if type(record) is dict else dict(record)


@dataclass(frozen=True)
class FieldChange:
    """One changed field: each side is ``(value,)``, or ``None`` where the record has no such field
    (so a field that is absent stays distinct from one holding JSON null)."""

    old: tuple[Any] | None
    new: tuple[Any] | None


@dataclass(frozen=True)
class Feed:
    """A parsed ``perubahan.json``."""

    version: str
    published_at: str
    previous_version: str | None
    previous_feed: str | None
    snapshot: str
    count: int
    digest: str
    order: tuple[str, ...]
    added: tuple[Mapping[str, Any], ...]
    changed: tuple[tuple[str, Mapping[str, FieldChange]], ...]
    removed: tuple[str, ...]
    #: ``(number, date)`` of the Keputusan PPID; ``None`` in feeds written before it was carried
    decision: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


class FeedError(ValueError):
    """A feed that cannot be read or does not apply to the list held; the message is in Indonesian.
    The consumer's remedy is always the same: fetch the full snapshot (``daftar_lengkap``)."""


def parse_feed(data: bytes) -> Feed:
    """Read a ``perubahan.json``; raises :class:`FeedError` if it is not one."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"perubahan.json tidak dapat dibaca: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FeedError(f"perubahan.json bukan umpan perubahan berformat {FORMAT}.")
    try:
        version, previous = _text(doc["versi"]), doc["versi_sebelumnya"]
        changed = []
        for entry in doc["diubah"]:
            fields = {_text(key): FieldChange(_side(values, "lama"), _side(values, "baru"))
                      for key, values in _dict(entry["kolom"]).items()}
            changed.append((_text(entry["id"]), fields))
        added = tuple(_dict(r) for r in doc["ditambah"])
        if not all(isinstance(r.get("id"), str) for r in added):
            raise TypeError("item tanpa id")
        feed = Feed(
            version=version,
            published_at=_text(doc["diterbitkan"]),
            previous_version=None if previous is None else _text(previous),
            previous_feed=None if doc["perubahan_sebelumnya"] is None else _text(doc["perubahan_sebelumnya"]),
            snapshot=_text(doc["daftar_lengkap"]),
            count=int(doc["jumlah"]),
            digest=_text(doc["sidik"]),
            order=tuple(_text(i) for i in doc["urutan"]),
            added=added,
            changed=tuple(changed),
            removed=tuple(_text(_dict(r)["id"]) for r in doc["dihapus"]),
            decision=_decision(doc.get("keputusan_ppid")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FeedError(f"perubahan.json tidak lengkap atau rusak ({type(exc).__name__}: {exc}).") from None
    return feed


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"bukan teks: {value!r}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"bukan objek: {value!r}")
    return value


def _decision(value: Any) -> tuple[str, str] | None:
    if value is None:
        return None
    return _text(_dict(value)["nomor"]), _text(value["tanggal"])


def _side(values: Any, key: str) -> tuple[Any] | None:
    return (values[key],) if key in _dict(values) else None


def apply_feed(records: Sequence[Record], held_version: str | None, feed: Feed) -> list[dict[str, Any]]:
    """The list after ``feed``, from ``records`` of ``held_version`` (``None``: nothing held yet).

    Strict, because a feed applied to the wrong list silently corrupts it: the feed must follow
    the version held, every removed or changed item must be there with the old values the feed
    states, no added item may be there already, and the result must match the feed's count and
    digest. Any mismatch raises :class:`FeedError`; the consumer then loads ``feed.snapshot``.
    """
    if feed.previous_version != held_version:
        raise FeedError(f"Umpan versi {feed.version} menyusul versi {feed.previous_version or '(awal)'},"
                        f" bukan versi yang dipegang ({held_version or 'belum ada'}).")
    current = {str(r["id"]): dict(r) for r in records}
    for item_id in feed.removed:
        if current.pop(item_id, None) is None:
            raise FeedError(f"Umpan versi {feed.version} menghapus {item_id} yang tidak ada.")
    for item_id, fields in feed.changed:
        record = current.get(item_id)
        if record is None:
            raise FeedError(f"Umpan versi {feed.version} mengubah {item_id} yang tidak ada.")
        for key, change in fields.items():
            held = (record[key],) if key in record else None
            if held != change.old:
                raise FeedError(f"Umpan versi {feed.version}: nilai lama {item_id} '{key}' tidak cocok.")
            if change.new is None:
                del record[key]
            else:
                record[key] = change.new[0]
    for added in feed.added:
        if added["id"] in current:
            raise FeedError(f"Umpan versi {feed.version} menambah {added['id']} yang sudah ada.")
        current[added["id"]] = dict(added)
    if len(current) != feed.count or set(current) != set(feed.order):
        raise FeedError(f"Umpan versi {feed.version}: hasilnya {len(current)} item, bukan {feed.count}.")
    result = [current[i] for i in feed.order]
    if list_digest(result) != feed.digest:
        raise FeedError(f"Umpan versi {feed.version}: sidik daftar hasil tidak cocok.")
    return result


def replay(
    records: Sequence[Record], held_version: str | None, feeds: Sequence[Feed]
) -> list[dict[str, Any]]:
    """Catch up from ``held_version`` by applying ``feeds``, the chain from the version held to the
    newest (fetched by following ``previous_feed`` back from the live feed), in any order.

    Raises :class:`FeedError` when they do not form that chain (a gap, a feed left over, two feeds
    following the same version): the consumer then loads the newest snapshot instead.
    """
    following = {f.previous_version: f for f in feeds}
    if len(following) != len(feeds):
        raise FeedError("Dua umpan menyusul versi yang sama; muat daftar lengkap.")
    result = [dict(r) for r in records]
    version = held_version
    while version in following:
        feed = following.pop(version)
        result, version = apply_feed(result, version, feed), feed.version
    if following:
        raise FeedError(f"Rantai umpan terputus setelah versi {version or '(awal)'}; muat daftar lengkap.")
    return result
