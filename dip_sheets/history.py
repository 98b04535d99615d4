"""Update history (*riwayat pemutakhiran*): what changed from one published version to the next. Pure.

The PPID must keep the list up to date and a citizen should be able to see what changed and when.
Every published version keeps its ``dip.json`` in the archive; this module reads those documents back
and compares versions by item ID (never by position), so an item that moves or is renamed is
"changed", not "removed and added".

A version also keeps its own changes, computed once when it is published (:func:`summary`, stored in
its manifest): the history is then built from those summaries, with a version's records read only
when something iterates them (:class:`LazyRecords`), so publishing costs the same with 1 or 50
archived versions. A version without a summary (published before summaries were kept) is compared
from its records, as always.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .dates import format_date
from .decisions import FORCED_KEY, Decision
from .ids import id_sort
from .json_text import digest

if TYPE_CHECKING:
    from .records import Version

Record = Mapping[str, Any]


#: a version id's collision suffix: ``20261125-030000Z-2`` (and the older local-time ``20261125-100000-2``)
_SUFFIX = re.compile(r"[0-9]{8}-[0-9]{6}Z?-([0-9]+)")


def moment(published_at: str) -> dt.datetime:
    """An ISO 8601 publication time as an aware datetime (a naive one is taken as UTC)."""
    when = dt.datetime.fromisoformat(published_at)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def version_order(version_id: str, published_at: str) -> tuple[dt.datetime, int, str]:
    """How versions are ordered: by the moment of publication, whatever offset it was written in
    (the office's timezone may have changed in between), then by the suffix that two versions of
    the same second carry, so ``…-2`` comes after the first and ``…-10`` after ``…-9``."""
    suffix = _SUFFIX.fullmatch(version_id)
    return moment(published_at), int(suffix[1]) if suffix else 1, version_id


@dataclass(frozen=True)
class PastVersion:
    """One published version as the history needs it: identity, decision and its item records."""

    id: str
    published_at: str  # ISO 8601 with offset, as in the manifest and dip.json
    decision_number: str = ""
    decision_date: str = ""
    records: Sequence[Record] = ()
    #: the changes stored when this version was published (None: compared from the records)
    stored: StoredChanges | None = field(default=None, compare=False, repr=False)
    #: the Keputusan PPID it rests on, when recorded (older versions kept only number and date),
    #: and the one its DIK page rests on
    decision: Decision | None = None
    #: the year it was published in without a DIP decision of that year (``--force``), else 0
    without_decision_year: int = 0
    #: the digest of its records (:func:`content_digest`), when stored in its summary
    content: str = field(default="", compare=False, repr=False)
    dik_decision: Decision | None = None

    @classmethod
    def from_dip_json(cls, data: bytes) -> PastVersion:
        """Read an archived ``dip.json``; raises ``ValueError`` (in Indonesian) if it is not one."""
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"dip.json arsip tidak dapat dibaca: {exc}") from None
        if not isinstance(document, dict):
            raise ValueError("dip.json arsip bukan objek JSON.")
        version, published, items = document.get("versi"), document.get("diterbitkan"), document.get("item")
        if not isinstance(version, str) or not isinstance(published, str) or not isinstance(items, list):
            raise ValueError("dip.json arsip tidak memuat 'versi', 'diterbitkan' dan 'item'.")
        try:
            dt.datetime.fromisoformat(published)
        except ValueError:
            raise ValueError(f"dip.json arsip versi {version}: tanggal '{published}' tidak sah.") from None
        if not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in items):
            raise ValueError(f"dip.json arsip versi {version}: ada item tanpa 'id'.")
        decision = document.get("keputusan_ppid")
        decision = decision if isinstance(decision, dict) else {}
        forced = document.get(FORCED_KEY)
        return cls(
            id=version,
            published_at=published,
            decision_number=str(decision.get("nomor") or ""),
            decision_date=str(decision.get("tanggal") or ""),
            records=tuple(items),
            decision=Decision.from_record(decision),
            without_decision_year=forced if isinstance(forced, int) else 0,
        )

    @property
    def moment(self) -> dt.datetime:
        """When it was published, comparable across offsets (a naive time is taken as UTC)."""
        return moment(self.published_at)

    @property
    def order(self) -> tuple[dt.datetime, int, str]:
        return version_order(self.id, self.published_at)

    @classmethod
    def of(cls, version: Version, records: Sequence[Record]) -> PastVersion:
        """The version being published, as the history sees it."""
        return cls(version.id, version.published_at, version.decision_number, version.decision_date,
                   records, decision=version.decision, without_decision_year=version.without_decision_year,
                   dik_decision=version.dik_decision)

    @property
    def digest(self) -> str:
        """What its items say, as one digest (stored, or computed from the records)."""
        return self.content or content_digest(self.records)

    @property
    def date_text(self) -> str:
        """The publication date in the page's long Indonesian form, in the version's own offset."""
        return format_date(dt.datetime.fromisoformat(self.published_at).date())


@dataclass(frozen=True)
class ItemChange:
    """One item in a diff; ``fields`` names the record keys that differ (only for changed items)."""

    id: str
    title: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredChanges:
    """A version's changes against ``previous`` (its predecessor's id), as stored at publish time."""

    previous: str
    added: tuple[ItemChange, ...]
    removed: tuple[ItemChange, ...]
    changed: tuple[ItemChange, ...]


class LazyRecords(Sequence[Record]):
    """An archived version's records: the count is known from its summary, the records themselves
    are read (once) only when something iterates them: the newest version's predecessor and the
    oldest version, at most, in a publish."""

    def __init__(self, count: int, load: Callable[[], Sequence[Record]]) -> None:
        self._count, self._load = count, load
        self._records: Sequence[Record] | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if self._records is None:
            self._records = tuple(self._load())
        return self._records[index]

    def __iter__(self) -> Any:
        return iter(self[:])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def summary(entry: VersionChanges) -> dict[str, Any]:
    """What a version's manifest keeps for the history (read back by :func:`from_summary`)."""
    version = entry.version

    def listed(changes: tuple[ItemChange, ...]) -> list[list[Any]]:
        return [[c.id, c.title, list(c.fields)] for c in changes]

    return {"count": len(version.records), "decision_number": version.decision_number,
            "decision_date": version.decision_date,
            "decision": version.decision.record() if version.decision is not None else None,
            "dik_decision": version.dik_decision.record() if version.dik_decision is not None else None,
            "without_decision_year": version.without_decision_year, "content": version.digest,
            "previous": entry.previous.id if entry.previous is not None else None,
            "added": listed(entry.added), "removed": listed(entry.removed), "changed": listed(entry.changed)}


def from_summary(version_id: str, published_at: str, document: Mapping[str, Any],
                 load: Callable[[], Sequence[Record]]) -> PastVersion:
    """An archived version from its stored summary; ``load`` reads its records if they are needed.
    Raises ``ValueError`` for a summary that is not one."""
    try:
        def changes(key: str) -> tuple[ItemChange, ...]:
            return tuple(ItemChange(str(i), str(title), tuple(map(str, fields)))
                         for i, title, fields in document[key])

        previous = document["previous"]
        stored = (StoredChanges(str(previous), changes("added"), changes("removed"), changes("changed"))
                  if previous is not None else None)
        return PastVersion(version_id, published_at, str(document["decision_number"]),
                           str(document["decision_date"]), LazyRecords(int(document["count"]), load), stored,
                           Decision.from_record(document.get("decision")),
                           int(document.get("without_decision_year") or 0),
                           str(document.get("content") or ""),
                           Decision.from_record(document.get("dik_decision")))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"ringkasan riwayat versi {version_id} tidak sah: {exc}") from None


@dataclass(frozen=True)
class VersionChanges:
    """A version and how it differs from the one before it (``previous`` is None for the first)."""

    version: PastVersion
    previous: PastVersion | None
    added: tuple[ItemChange, ...]
    removed: tuple[ItemChange, ...]
    changed: tuple[ItemChange, ...]


def diff(old: Sequence[Record], new: Sequence[Record]) -> tuple[
    tuple[ItemChange, ...], tuple[ItemChange, ...], tuple[ItemChange, ...]
]:
    """``(added, removed, changed)`` between two lists of records, matched by ``id``.

    Changed means any field differs; the differing keys are listed in the new record's order, so the
    page can say *what* changed (a new link, a corrected summary) and not only that something did.
    """
    before = {str(r["id"]): r for r in old}
    after = {str(r["id"]): r for r in new}
    added = [ItemChange(i, _title(r)) for i, r in after.items() if i not in before]
    removed = [ItemChange(i, _title(r)) for i, r in before.items() if i not in after]
    changed = []
    for item_id, record in after.items():
        earlier = before.get(item_id)
        if earlier is None or earlier == record:
            continue
        keys = [*record, *(k for k in earlier if k not in record)]
        changed.append(ItemChange(item_id, _title(record),
                                  tuple(k for k in keys if record.get(k) != earlier.get(k))))
    return _by_id(added), _by_id(removed), _by_id(changed)


def content_digest(records: Sequence[Record]) -> str:
    """SHA-256 of a version's records, to tell whether two versions list the same content."""
    return digest(records)


def established_by(changes: Sequence[VersionChanges]) -> PastVersion | None:
    """The first version published under the newest version's decision, when the newest one's
    items differ from it: the list has changed since that decision established it (``None``: no
    decision recorded, or the same items)."""
    if not changes or changes[0].version.decision is None:
        return None
    current = changes[0].version
    number = current.decision.number if current.decision else ""
    first = next((e.version for e in reversed(changes)
                  if e.version.decision is not None and e.version.decision.number == number), current)
    return first if first.id != current.id and first.digest != current.digest else None


def _title(record: Record) -> str:
    return str(record.get("judul") or "")


def _by_id(changes: list[ItemChange]) -> tuple[ItemChange, ...]:
    """In ID order, numbers compared as numbers (DIP-9 before DIP-10), as a change log reads best."""
    return tuple(sorted(changes, key=lambda change: id_sort(change.id)))


def timeline(history: Sequence[PastVersion], current: PastVersion) -> list[VersionChanges]:
    """Every version with its changes, newest (``current``) first.

    Entries of ``history`` that are not older than ``current`` (``current`` itself, or versions
    published after it, as after a rollback) are ignored, so re-rendering a live version gives the
    same bytes it was published with and an unchanged re-publish is still detected.
    """
    older = sorted((v for v in history if v.id != current.id and v.order < current.order),
                   key=lambda v: v.order)
    result: list[VersionChanges] = []
    previous: PastVersion | None = None
    for version in [*older, current]:
        if previous is None:
            result.append(VersionChanges(version, None, (), (), ()))
        elif version.stored is not None and version.stored.previous == previous.id:
            stored = version.stored
            result.append(VersionChanges(version, previous, stored.added, stored.removed, stored.changed))
        else:
            result.append(VersionChanges(version, previous, *diff(previous.records, version.records)))
        previous = version
    return result[::-1]
