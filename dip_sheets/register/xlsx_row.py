"""The cells of one ``<row>`` of a worksheet part: where they are, and a cell written anew.

A write sets a few cells in each of many rows (a publish stamps steps 4 and 5; a first sync writes
IDs and notes). Each cell written is found by its reference (``r="K12"``) with one byte search, and
only that cell's element is read: the row's other cells are never parsed and keep their bytes. A
row is split into all its cells (one regex pass, no attribute dictionaries) only when a cell is not
found that way: a cell not there yet (inserted in column order), or a writer that leaves ``r`` out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .xlsx import attrs, column_letter, column_number, start_tag, value_xml

KEEP = object()  #: a cell edit that keeps the value and only sets the style
_SPACE = b" \t\r\n"
_STYLE = re.compile(rb"""\ss\s*=\s*(?:"[^"]*"|'[^']*')""")
_OWN_STYLE = re.compile(rb"""\ss\s*=\s*(?:"([^"]+)"|'([^']+)')""")
_REF_ATTR = re.compile(rb'\sr="[^"]*"')
#: cells of a row searched for one by one at most; asked for more, the row is split once instead
SEARCHES = 4


@functools.cache
def letters(column: int) -> bytes:
    """1-based column number to its letters, as bytes (a write asks for the same few again and again)."""
    return column_letter(column).encode()


@functools.cache
def _column(letters: bytes) -> int:
    return column_number(letters)


@functools.cache
def cell_start(prefix: bytes) -> re.Pattern[bytes]:
    """The start of a ``<c>`` element; group 1: its column letters, if it has ``r``."""
    return re.compile(rb"""<%sc(?=[\s/>])(?:(?=[^>]*?\sr\s*=\s*["']([A-Za-z]{1,3})[0-9])|)"""
                      % re.escape(prefix))


@functools.cache
def cell_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A whole ``<c>`` element, self-closed or not."""
    p = re.escape(prefix)
    return re.compile(rb"<%sc(?=[\s/>])[^>]*?(?:/>|>.*?</%sc>)" % (p, p), re.S)


@dataclass
class RowCells:
    """Where the cells of row ``number`` are (its cells lie between ``body`` and ``stop``), found
    as they are asked for: column -> (start, end) of the cell's element."""

    source: bytes
    prefix: bytes
    number: int
    body: int
    stop: int
    #: column -> where its cell starts
    at: dict[int, int] = field(default_factory=dict)
    #: every cell as (column, start) in the order of the part, once the row was split
    order: list[tuple[int, int]] | None = None

    def start(self, column: int) -> int | None:
        """Where the cell of ``column`` starts (``None``: the row has none)."""
        if column not in self.at and self.order is None:
            # searched for by reference, unless it is not there or its reference is spelled
            # otherwise, or many cells of the row are asked for: then one look at every cell
            found = self._by_reference(column) if len(self.at) < SEARCHES else None
            if found is None:
                self._split()
            else:
                self.at[column] = found
        return self.at.get(column)

    def find(self, column: int) -> tuple[int, int] | None:
        """The cell of ``column`` as (start, end), or ``None`` if the row has none."""
        start = self.start(column)
        if start is None:
            return None
        cell = cell_pattern(self.prefix).match(self.source, start, self.stop)
        assert cell is not None
        return start, cell.end()

    def style(self, column: int) -> int | None:
        """The style index the cell of ``column`` carries itself (``None``: none, or no cell)."""
        start = self.start(column)
        if start is None:
            return None
        found = _OWN_STYLE.search(self.source, start, self.source.index(b">", start))
        return int(found[1] or found[2]) if found else None

    def insertion(self, column: int) -> int:
        """Where a new cell of ``column`` goes: before the first cell of a later column."""
        if self.order is None:
            self._split()
        assert self.order is not None
        return next((start for c, start in self.order if c > column), self.stop)

    def _by_reference(self, column: int) -> int | None:
        source, needle = self.source, b'r="%s%d"' % (letters(column), self.number)
        at = source.find(needle, self.body, self.stop)
        while at >= 0:
            # inside a <c> start tag, not the same characters in a text: a text holds no "<", so
            # the nearest "<" before them opens the element they are in
            opened = source.rfind(b"<", self.body, at)
            if source[at - 1] in _SPACE and opened >= 0 and cell_start(self.prefix).match(source, opened, at):
                return opened
            at = source.find(needle, at + 1, self.stop)
        return None

    def _split(self) -> None:
        order, column = [], 0
        for cell in cell_start(self.prefix).finditer(self.source, self.body, self.stop):
            column = _column(cell[1]) if cell[1] else column + 1
            order.append((column, cell.start()))
        self.order = order
        self.at = {}
        for column, start in reversed(order):  # a column twice (not valid): the first one
            self.at[column] = start


def own_style(cell: bytes) -> int | None:
    """The style index a cell element carries itself (``None``: none, it shows its column's)."""
    found = _OWN_STYLE.search(cell, 0, cell.index(b">"))
    return int(found[1] or found[2]) if found else None


def cell_xml(prefix: bytes, column: int, row: int, old: bytes | None, value: object,
             style: int | None) -> bytes:
    """Cell ``column``/``row`` holding ``value`` (:data:`KEEP`: the value ``old`` holds) in ``style``
    (``None``: the style ``old`` has, else none). A value written replaces ``old``'s children and
    type; only its reference and style are kept."""
    ref = b"%s%d" % (letters(column), row)
    if old is not None and value is KEEP:
        tag_end = old.index(b">") + 1
        return _restyled(prefix, old[:tag_end], ref, style) + old[tag_end:]
    if style is None and old is not None:
        style = own_style(old)
    s = b' s="%d"' % style if style is not None else b""
    if value is KEEP:
        return b'<%sc r="%s"%s/>' % (prefix, ref, s)
    kind, body = value_xml(prefix, value)  # type: ignore[arg-type]  # not KEEP: a Value
    t = b' t="%s"' % kind if kind is not None else b""
    if not body:
        return b'<%sc r="%s"%s%s/>' % (prefix, ref, s, t)
    return b'<%sc r="%s"%s%s>%s</%sc>' % (prefix, ref, s, t, body, prefix)


def _restyled(prefix: bytes, tag: bytes, ref: bytes, style: int | None) -> bytes:
    """A cell's start tag with style ``style``, every other attribute as it was."""
    if style is None:
        return tag
    reference = _REF_ATTR.search(tag)
    if reference is None:  # no r="..." (left out, or in single quotes): the tag spelled anew
        a = attrs(tag)
        a[b"r"], a[b"s"] = ref, b"%d" % style
        return start_tag(prefix, b"c", a, tag.endswith(b"/>"))
    own = _STYLE.search(tag)
    if own is not None:
        return tag[:own.start()] + b' s="%d"' % style + tag[own.end():]
    return tag[:reference.end()] + b' s="%d"' % style + tag[reference.end():]

