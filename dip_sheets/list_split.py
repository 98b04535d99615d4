"""A long list's page carries its first rows; the rest waits beside it and loads on demand. Pure.

A real office lists tens to a few hundred items, and a page of 1,000 weighs about 21 KB compressed:
such a list stays one page. Above :data:`SPLIT_ABOVE` items (a whole province's catalogue, a register
of 10,000 rows), a phone would download and lay out megabytes before the first screen: the page then
carries its first :data:`FIRST_ROWS` rows, and the others go into ``<page>-lanjutan.js`` in the same
folder, loaded when the visitor searches, filters, scrolls near the end, follows a link to an item
further down, or prints. Every category and sub-category keeps its place (heading, empty body) so the
loaded rows go where they belong; what has no row yet is ``hidden`` until they arrive.

The rest is JSON wrapped in one call (``dipLanjutan(...)``) and loaded by a ``<script>`` element,
not fetched: browsers refuse ``fetch`` on a page opened from a file (a saved copy, the archive on a
disk), while a script next to it loads everywhere, offline once it is there. Visitors without
JavaScript get the first rows and links to the whole list as CSV, Excel and PDF.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .validate import Item

#: lists up to this many items are one page
SPLIT_ABOVE = 1_000
#: the rows a split page carries (a phone's first screens, and the first categories on a desktop)
FIRST_ROWS = 300

Rows = tuple[tuple[int, Item], ...]


@dataclass(frozen=True)
class Category:
    """One of the three legal categories as the page shows it, rows numbered within the category.

    ``subgroups`` hold the rows on the page; ``count`` is the category's whole number of items, and
    ``first_group`` numbers its first sub-category among all the page's sub-categories (the loaded
    rows find their group by that number)."""

    name: str
    slug: str
    letter: str
    subgroups: tuple[tuple[str, Rows], ...]
    count: int = 0
    first_group: int = 0

    @property
    def shown(self) -> int:
        """The rows on the page now (fewer than ``count`` when the list is split)."""
        return sum(len(rows) for _, rows in self.subgroups)


@dataclass(frozen=True)
class Split:
    """A split page: its categories with the first rows only, and the rows to load later."""

    categories: list[Category]
    #: ``(group number, rows)`` for every sub-category with rows still to load, in page order
    rest: list[tuple[int, Rows]]
    #: the file holding the rest, next to the page
    file: str
    total: int

    @property
    def shown(self) -> int:
        return sum(c.shown for c in self.categories)


def split(categories: Sequence[Category], page: str) -> Split | None:
    """``categories`` cut after the first :data:`FIRST_ROWS` rows, or None for a list small enough."""
    total = sum(c.count for c in categories)
    if total <= SPLIT_ABOVE:
        return None
    room = FIRST_ROWS
    shown: list[Category] = []
    rest: list[tuple[int, Rows]] = []
    for category in categories:
        groups = []
        for offset, (sub, rows) in enumerate(category.subgroups):
            now, later = rows[:room], rows[room:]
            room -= len(now)
            groups.append((sub, now))
            if later:
                rest.append((category.first_group + offset, later))
        shown.append(dataclasses.replace(category, subgroups=tuple(groups)))
    return Split(shown, rest, f"{page}-lanjutan.js", total)
