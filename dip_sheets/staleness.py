"""Warnings in a row that do not block publishing: a broken link, a stale Berkala item, an
exclusion about to end.

Findings (:mod:`dip_sheets.findings`) stop a row from going live; these only tell its owner, in the
row's ``Catatan Sinkron``, what an e-Monev assessor would hold against the list. Pure: the link
results come in as :class:`Watch` (the application layer checks the links, see
:mod:`dip_sheets.row_watch`), and the self-check (:mod:`dip_sheets.monev_items`) judges the same
rules with the same functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import schema as s
from .dates import format_date, parse_when
from .findings import Finding, Invalid
from .messages import Message
from .register import Cell, cell_text


@dataclass(frozen=True)
class Watch:
    """What a review warns about besides its findings. The default watches nothing: an office's
    rules come from its configuration (``[monev]``, see :func:`dip_sheets.row_watch.watch`)."""

    #: the warning for each ``Tautan`` that does not open (links that work are not in it)
    broken_links: Mapping[str, Message] = field(default_factory=dict)
    #: a Berkala item older than this many months is stale (UU 14/2008: at least every 6 months;
    #: None: not watched)
    berkala_months: int | None = None
    #: an exclusion ending within this many days is announced (None: not watched)
    ending_days: int | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_updated(updated: Cell, created: Cell) -> dt.date | None:
    """The day an item was last updated: ``Terakhir Diperbarui``, else ``Waktu Pembuatan``. A period
    (a year, a semester) counts as its last day, so an item is called stale only when it certainly
    is; None when neither cell holds a time."""
    for value in (updated, created):
        if cell_text(value):
            key = (type(value), value)  # the type too: True == 1, yet one is no year
            if key not in _LAST_DAYS:
                if len(_LAST_DAYS) >= _CACHE_SIZE:
                    _LAST_DAYS.clear()
                _LAST_DAYS[key] = _last_day(value)
            if (day := _LAST_DAYS[key]) is not None:
                return day
    return None


#: :func:`_last_day` of each distinct cell value seen (a register repeats its dates row after row)
_LAST_DAYS: dict[tuple[type, Cell], dt.date | None] = {}
_CACHE_SIZE = 100_000


def _last_day(value: Cell) -> dt.date | None:
    """The last day of the time one cell holds; None when it holds no time."""
    try:
        when = parse_when(value, s.LAST_UPDATED)
    except Invalid:
        return None
    return when.date or dt.date(when.year, 12, 31)


def is_stale(updated: dt.date, today: dt.date, months: int) -> bool:
    return add_months(updated, months) < today


def link_finding(link: str, watch: Watch) -> Finding | None:
    """The row's warning when its ``Tautan`` does not open."""
    warning = watch.broken_links.get(link.strip()) if link.strip() else None
    return Finding(s.LINK, warning.id, warning.en) if warning is not None else None


def berkala_finding(category: str, updated: dt.date | None, today: dt.date, watch: Watch
                    ) -> Finding | None:
    """The row's warning for a Berkala item not updated for more than ``berkala_months``."""
    months = watch.berkala_months
    if months is None or category != "Berkala" or updated is None or not is_stale(updated, today, months):
        return None
    return Finding(
        s.LAST_UPDATED,
        f"Informasi Berkala ini lebih dari {months} bulan tidak diperbarui (terakhir"
        f" {format_date(updated)}). Perbarui dokumennya, isi kolom {s.LAST_UPDATED} (bila tidak ada,"
        f" {s.CREATED}) lalu minta PPID menetapkannya lagi.",
        f"This periodic item has not been updated for more than {months} months (last"
        f" {updated.isoformat()}). Update the document, fill in {s.LAST_UPDATED} (else {s.CREATED})"
        " and have the PPID establish it again.")


def ending_finding(expires: dt.date | None, today: dt.date, watch: Watch) -> Finding | None:
    """The DIK row's warning for an exclusion that ends within ``ending_days``."""
    if watch.ending_days is None or expires is None or not (
            today <= expires <= today + dt.timedelta(days=watch.ending_days)):
        return None
    days = (expires - today).days
    return Finding(
        s.DIK_PERIOD,
        f"Masa pengecualian berakhir {format_date(expires)} ({days} hari lagi). Siapkan uji"
        " konsekuensi ulang atau pembukaan informasinya sebelum tanggal itu.",
        f"The exclusion ends on {expires.isoformat()} (in {days} days). Prepare a new consequence"
        " test or the opening of the information before that day.")
