"""Year editions: each past calendar year's last published list stays reachable as its own page. Pure.

The law asks for the current year's list online, and a citizen (or the Komisi Informasi's monitoring)
may ask what the list of an earlier year was. The index is the current year; each earlier year whose
archive holds a version gets ``tahun-<year>.html``, rendered from that year's last version (its
archived records, as established then). Only those versions' records are read (the history's records
are lazy, :class:`dip_sheets.history.LazyRecords`): one archived ``dip.json`` per past year, however
many versions the archive holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import schema as s
from .history import PastVersion, version_order
from .records import Version
from .validate import Item


@dataclass(frozen=True)
class Edition:
    """One past year's list: the last version published in that calendar year."""

    year: int
    version: PastVersion

    @property
    def page(self) -> str:
        return f"tahun-{self.year}"

    @property
    def file(self) -> str:
        return f"{self.page}.html"


def year_of(published_at: str) -> int:
    """The calendar year of a publication, in the offset it was published in (the office's)."""
    return dt.datetime.fromisoformat(published_at).year


def editions(history: Sequence[PastVersion], current: Version) -> list[Edition]:
    """The editions of the years before ``current``'s, newest year first.

    Only versions older than ``current`` count (as in :func:`dip_sheets.history.timeline`), so
    re-rendering a version after a rollback gives the bytes it was published with.
    """
    now = version_order(current.id, current.published_at)
    this_year = year_of(current.published_at)
    last: dict[int, PastVersion] = {}
    for past in sorted((v for v in history if v.id != current.id and v.order < now), key=lambda v: v.order):
        year = year_of(past.published_at)
        if year < this_year:
            last[year] = past
    return [Edition(year, last[year]) for year in sorted(last, reverse=True)]


def edition_version(edition: Edition, site_url: str) -> Version:
    """The edition's version as the page templates know a version."""
    past = edition.version
    return Version(past.id, past.published_at, past.date_text, past.decision_number, past.decision_date,
                   edition.year, site_url, decision=past.decision, dik_decision=past.dik_decision,
                   without_decision_year=past.without_decision_year)


def item_of(record: Mapping[str, Any]) -> Item:
    """An archived open-data record (``dip.json``) as the item it was published from."""
    values: dict[str, Any] = {f.attr: str(record.get(f.key) or "") for f in s.RECORD_FIELDS}
    try:
        values["year"] = int(values["year"] or 0)
    except ValueError:
        values["year"] = 0
    return Item(**values)
