"""The published record of an item, and the two guards every value passes on its way out.

``safe_link`` keeps only http(s) addresses: it is the one check for every address that reaches an
``href``, whether a cell's link or a URL from the configuration. ``neutralize_formula`` keeps a text
from opening as a spreadsheet formula in every CSV dip-sheets writes or prints.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import schema as s
from .decisions import Decision
from .ids import id_sort
from .validate import Item

#: The open-data fields, in order, as ``(key, label, meaning)``; defined by
#: :data:`dip_sheets.schema.RECORD_FIELDS`.
FIELDS: tuple[tuple[str, str, str], ...] = tuple((f.key, f.label, f.meaning) for f in s.RECORD_FIELDS)
#: record key -> public label, for the templates (e.g. the change log names the changed fields)
LABELS = {key: label for key, label, _ in FIELDS}
_LINK = s.dip_field(s.LINK)

#: What makes a spreadsheet read a cell as a formula (or a command): = + - @, tab and CR, and the
#: full-width forms some spreadsheet locales accept for the first four.
FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
#: Where a cell can begin when the file is read with the other list separator (``,`` or ``;``):
#: after a separator, a line break, or a quote (which opens a quoted field whose content begins at
#: the next character). There, a formula start, or the end of the text (the writer's own closing
#: quote and CR follow), gets an apostrophe; so does a formula start at the beginning.
_START = "[" + re.escape(FORMULA_STARTS) + "]"
_FORMULA = re.compile(rf"^(?={_START})|(?<=[,;\"\r\n])(?={_START}|\Z)")
#: where :data:`_FORMULA` could match in the values of a row, each led by a NUL: a formula start
#: beginning a value, or a character a cell can begin after, followed by a formula start or the
#: value's end; every match starts at one of a few characters, which the search skips to in C
_ROW_FORMULA = re.compile(rf"[\x00,;\"\r\n](?:(?<=\x00){_START}|(?<!\x00)(?={_START}|\x00|\Z))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: an http(s) address whose host is plain letters, digits, dots and hyphens and with no control
#: character: what :func:`safe_link` keeps, known without taking the address apart
_PLAIN_WEB = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][^\x00-\x1f\x7f]*)?")
_EMAIL = re.compile(r"^[^@\s\"'<>()\[\]\\,;:]+@[^@\s\"'<>()\[\]\\,;:]+\.[^@\s\"'<>()\[\]\\,;:]+$")


@dataclass(frozen=True)
class Version:
    """What identifies one published version of the list."""

    id: str  # e.g. 20261125-141023
    published_at: str  # ISO 8601 with offset
    date_text: str  # "25 November 2026", for the page
    decision_number: str = ""
    decision_date: str = ""
    year: int = 0
    #: public address of the published folder, ending in ``/``; links between versions use it so
    #: that archived copies link correctly too (relative to the live folder when empty).
    site_url: str = ""
    #: the Keputusan PPID the list rests on (``decision_number`` and ``decision_date`` are its
    #: number and date as shown), and the one the DIK page rests on (:mod:`dip_sheets.decisions`)
    decision: Decision | None = None
    dik_decision: Decision | None = None
    #: the calendar year the list was published in without a DIP decision of that year
    #: (``--force``); 0 when it has one
    without_decision_year: int = 0


@functools.lru_cache(maxsize=1 << 17)
def safe_link(url: str) -> str:
    """A link is shown only when it is http(s) with a host; anything else (``javascript:``,
    ``data:``, control characters) is dropped. Kept per address: each item's link is checked for its
    record, its row on the page and its DCAT node."""
    url = url.strip()
    if _PLAIN_WEB.fullmatch(url):
        return url
    if not url.lower().startswith(("http://", "https://")) or _CONTROL.search(url):
        return ""
    try:
        return url if urlsplit(url).hostname else ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""


def safe_email(address: str) -> str:
    """An e-mail address for a ``mailto:`` link, or nothing when it is not one plain address."""
    address = address.strip()
    return address if _EMAIL.match(address) else ""


def neutralize_formula(text: str) -> str:
    """``text`` as a CSV field that opens as text, with ``,`` or ``;`` as the list separator.

    An apostrophe goes before every formula start that could begin a cell: at the start, and after
    ``,`` ``;`` a quote or a line break, because where ``;`` is the list separator (Indonesian Excel
    and LibreOffice) ``Laporan;=HYPERLINK(...)`` splits into two cells and the second is a formula.
    Text ending in one of those characters gets a final apostrophe: otherwise the writer's closing
    quote and line end would begin a cell. Only apostrophes are added; ordinary text is unchanged.
    """
    return _FORMULA.sub("'", text)


def neutralize_row(values: list[str]) -> list[str]:
    """:func:`neutralize_formula` of each value, the row searched once: most rows have nothing to
    neutralize (a NUL inside a value can only make the search find more, never less)."""
    if _ROW_FORMULA.search("\x00" + "\x00".join(values)) is None:
        return values
    return [_FORMULA.sub("'", v) for v in values]


def item_record(item: Item) -> dict[str, Any]:
    """An item as an open-data record (the ``dip.json`` / ``dip.csv`` / ``dip.xlsx`` row)."""
    record = {f.key: getattr(item, f.attr) for f in s.RECORD_FIELDS}
    record[_LINK.key] = safe_link(item.link)
    return record


def sort_items(items: Sequence[Item]) -> list[Item]:
    """Legal order of categories; within one, sub-categories in the order the units first entered
    them (the lowest ID: "Profil Badan Publik" entered first stays first), then by ID."""
    order = {c: i for i, c in enumerate(s.CATEGORIES)}
    keyed = [(item, (item.category, item.subcategory.casefold()), id_sort(item.id)) for item in items]
    first: dict[tuple[str, str], tuple[str, int, str]] = {}
    for _, group, key in keyed:
        if group not in first or key < first[group]:
            first[group] = key
    keyed.sort(key=lambda k: (order.get(k[1][0], 99), k[1][0], first[k[1]], k[1][1], k[0].subcategory, k[2]))
    return [item for item, _, _ in keyed]


#: the category headings' HTML ids, used by the table of contents, shareable links and DCAT themes.
SLUGS = {"Berkala": "berkala", "Serta Merta": "serta-merta", "Setiap Saat": "setiap-saat"}


def category_slug(name: str) -> str:
    """``berkala`` for a legal category; ``kategori-<name>`` for anything else."""
    return SLUGS.get(name) or "kategori-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
