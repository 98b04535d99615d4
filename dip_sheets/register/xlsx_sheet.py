"""Edits to one worksheet part, spliced into the original bytes.

:class:`Worksheet` queues cell edits (a value, a style index, or both) and worksheet-level elements
(protection, validations, columns) and returns the part with only those spans replaced: every other
row, cell and element keeps its exact bytes. The cell formats it refers to are :mod:`.xlsx_styles`'.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .xlsx import Value, attrs, start_tag
from .xlsx_parts import Parts
from .xlsx_row import KEEP, RowCells, cell_start, cell_xml, letters, own_style
from .xlsx_stream import Found, RowSpan, StoredPart, row_pieces, row_start, skeleton, walk

__all__ = ["KEEP", "OWN_OR_COLUMN", "Restyle", "RowSpan", "Worksheet"]
#: a cell edit's style: the cell's own, or its column's when it has none (as Excel does for a new cell)
OWN_OR_COLUMN = -1
_Edit = tuple[object, int | None]  # (value or KEEP, style index, None to keep, or OWN_OR_COLUMN)
STREAMED = -1  #: the number of the patch op that stands for every row of a streamed part
#: rows whose cells were looked up kept at once: edits come row by row, so a few rows serve every
#: lookup without holding every row's cells (which at 100,000 rows was hundreds of MB)
CELL_CACHE_ROWS = 8
#: rows found by their reference (one search each) before a write reads where every row is instead:
#: a write of a few rows never reads the others
ROW_SEARCHES = 8


@dataclass(frozen=True)
class Restyle:
    """The same change of style for some columns of many rows (locking established rows): the new
    style of each cell is ``derive(its style now)``, worked out only when the part is written."""

    columns: tuple[int, ...]
    derive: Callable[[int], int]
    #: style -> derived style, worked out once for the many cells sharing a style
    derived: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def style(self, base: int) -> int:
        if base not in self.derived:
            self.derived[base] = self.derive(base)
        return self.derived[base]


class Worksheet(Parts):
    """One worksheet part with queued edits; :meth:`xml` returns the patched bytes. A large part
    is held as its skeleton, its rows read from the stored part as they are needed
    (:meth:`streamed`); asked for a row by number, it is read whole."""

    def __init__(self, xml: bytes) -> None:
        super().__init__(xml)
        #: row -> column -> the value to write (or :data:`KEEP`); the style is :data:`OWN_OR_COLUMN`
        #: unless :attr:`styles` says otherwise (kept apart: most edits carry no style of their own)
        self.edits: dict[int, dict[int, object]] = {}
        self.styles: dict[int, dict[int, int | None]] = {}
        #: whole rows added: row number -> 0-based column -> value, each in its column's style
        self.added: dict[int, Mapping[int, object]] = {}
        self.restyles: dict[int, Restyle] = {}
        self.row_attrs: dict[int, dict[bytes, bytes]] = {}
        #: where the rows are while :attr:`source` is the skeleton (``None``: the part is whole)
        self.part: StoredPart | None = None
        #: column -> its cells' row numbers and style indexes (-1: none), noted as the part was read
        self.noted: dict[int, tuple[array[int], array[int]]] = {}

    @classmethod
    def streamed(cls, part: StoredPart, columns: Iterable[int] = ()) -> Worksheet:
        """The part held as its skeleton (the part without its rows), read in one pass; the cell
        styles of ``columns`` are noted as the rows pass (:meth:`cell_styles` then needs no pass)."""
        noted = {column: (array("i"), array("i")) for column in columns}

        def note(prefix: bytes, rows: bytes) -> None:
            for column, (numbers, styles) in noted.items():
                for number, style in _cell_styles(prefix, column, rows, 0, len(rows)):
                    numbers.append(number)
                    styles.append(-1 if style is None else style)

        sheet = cls(skeleton(part.chunks(), note if noted else None))
        sheet.part, sheet.noted = part, noted
        return sheet

    def _parse(self, xml: bytes) -> None:
        super()._parse(xml)
        self._rows: list[RowSpan] | None = None
        self._numbers: list[int] = []
        self._found: dict[int, RowSpan] = {}
        self._cells: dict[int, RowCells | None] = {}

    # ---- reading ---------------------------------------------------------------------------

    def pieces(self) -> Iterator[tuple[bytes, int, int]]:
        """The rows as ``(buffer, start, stop)`` spans of whole rows, in order: one span of the part
        held whole, or the stored part's rows piece by piece as it is inflated again."""
        if self.part is None:
            yield self.source, self.data_tag[1], self.data_end
        else:
            yield from row_pieces(self.part.chunks())

    def cell_styles(self, column: int) -> Iterator[tuple[int, int | None]]:
        """(row number, style index) of every cell present in one column, as the part holds them
        (queued edits aside): noted when the part was read, else found as its rows pass."""
        if column in self.noted:
            numbers, styles = self.noted[column]
            yield from ((n, None if style < 0 else style) for n, style in zip(numbers, styles, strict=True))
            return
        for source, begin, stop in self.pieces():
            yield from _cell_styles(self.prefix, column, source, begin, stop)

    def _whole(self) -> None:
        """Hold the part whole (a row asked for by number: a rare path, e.g. ``dip init``)."""
        if self.part is not None:
            part, self.part = self.part, None
            self._parse(part.read())

    def rows(self) -> list[RowSpan]:
        self._whole()
        if self._rows is None:
            spans: list[RowSpan] = []
            pattern = row_start(self.prefix)
            closing = b"</%srow>" % self.prefix
            position, number = self.data_tag[1], 0
            while (match := pattern.search(self.source, position, self.data_end)) is not None:
                number = int(match[1]) if match[1] else number + 1
                end = match.end() if match[2] else self.source.index(closing, match.end()) + len(closing)
                spans.append(RowSpan(number, match.start(), end, match[0]))
                position = end
            self._rows = spans
            self._numbers = [r.number for r in spans]
        return self._rows

    def row(self, number: int) -> RowSpan | None:
        self._whole()
        if self._rows is None:
            found = self._found.get(number)
            if found is None and len(self._found) < ROW_SEARCHES:
                found = self._row_by_reference(number)
            if found is not None:
                self._found[number] = found
                return found
        rows = self.rows()
        at = bisect.bisect_left(self._numbers, number)
        return rows[at] if at < len(rows) and rows[at].number == number else None

    def _row_by_reference(self, number: int) -> RowSpan | None:
        """Row ``number`` found by ``<row r="number"`` (``None``: not there, or spelled otherwise)."""
        source, needle = self.source, b'<%srow r="%d"' % (self.prefix, number)
        at = source.find(needle, self.data_tag[1], self.data_end)
        if at < 0 or source[at + len(needle)] not in b" \t\r\n/>":
            return None
        tag_end = source.index(b">", at) + 1
        closing = b"</%srow>" % self.prefix
        end = tag_end if source[tag_end - 2] == ord("/") else source.index(closing, tag_end) + len(closing)
        return RowSpan(number, at, end, source[at:tag_end])

    def cells(self, number: int) -> RowCells | None:
        """The cells of row ``number``, found as they are asked for (``None``: no such row)."""
        if number not in self._cells:
            if len(self._cells) >= CELL_CACHE_ROWS:
                self._cells.clear()
            span = self.row(number)
            self._cells[number] = None if span is None else self._row_cells(self.source, span)
        return self._cells[number]

    def _row_cells(self, source: bytes, span: RowSpan) -> RowCells:
        body = span.start + len(span.tag)
        stop = span.end if span.tag.endswith(b"/>") else span.end - len(b"</%srow>" % self.prefix)
        return RowCells(source, self.prefix, span.number, min(body, stop), stop)

    def cell(self, row: int, column: int) -> bytes | None:
        """The element of one cell, as it is in the part (``None``: not there)."""
        cells = self.cells(row)
        found = cells.find(column) if cells is not None else None
        return cells.source[found[0]:found[1]] if cells is not None and found is not None else None

    def style(self, row: int, column: int) -> int | None:
        cells = self.cells(row)
        return cells.style(column) if cells is not None else None

    # ---- editing ---------------------------------------------------------------------------

    def set(self, row: int, column: int, value: Value, style: int | None = OWN_OR_COLUMN) -> None:
        """Write a cell; ``style`` ``None`` keeps the cell's own."""
        self.edits.setdefault(row, {})[column] = value
        if style != OWN_OR_COLUMN:
            self.styles.setdefault(row, {})[column] = style
        elif column in self.styles.get(row, ()):
            del self.styles[row][column]

    def add(self, number: int, cells: Mapping[int, object]) -> None:
        """Write a row's cells (0-based column -> value) as :meth:`set` would, keeping ``cells``
        itself rather than an edit per cell (a first sync adds a ``Riwayat`` row per item)."""
        self.added[number] = cells

    def restyle(self, rows: Sequence[int], change: Restyle) -> None:
        """Give the ``change.columns`` cells of each of ``rows`` (numbers) the style ``change``
        derives from the one they have (a cell not there yet: its column's)."""
        for number in rows:
            self.restyles[number] = change

    def set_style(self, row: int, column: int, style: int) -> None:
        self.edits.setdefault(row, {}).setdefault(column, KEEP)
        self.styles.setdefault(row, {})[column] = style

    def set_row(self, number: int, attributes: dict[bytes, bytes]) -> None:
        """Set attributes of a row's own tag (e.g. its height), if they differ."""
        span = self.row(number)
        current = attrs(span.tag) if span else {}
        if any(current.get(k) != v for k, v in attributes.items()):
            self.row_attrs[number] = attributes

    def _edited(self) -> frozenset[int]:
        """The rows whose cells or style change (not those whose attributes alone do)."""
        return frozenset(self.edits.keys() | self.added.keys() | self.restyles.keys())

    @property
    def changed(self) -> bool:
        return bool(self.edits or self.added or self.restyles or self.row_attrs) or any(
            self.element(n) != self._original(n) for n in self.elements)

    def xml(self) -> bytes:
        """The part with every queued edit spliced in; untouched bytes are kept as they were."""
        return b"".join(self.chunks())

    def chunks(self) -> Iterator[bytes | memoryview]:
        """:meth:`xml` in pieces, each patched row made only when its turn comes, so writing a
        part never holds a second copy of it (the untouched spans are views of the original)."""
        # (start, end, order, bytes, or None for the patched row ``number``, number)
        ops: list[tuple[int, int, int, bytes | None, int]] = []
        for name, new in self.elements.items():
            ops.append((*self._element_op(name, new), 0))
        edited = sorted(self._edited())
        last_row, last_column = 0, 0
        for number in edited:
            change = self.restyles.get(number)
            last_row = max(last_row, number)
            last_column = max((last_column, *self.edits.get(number, ()), *(change.columns if change else ()),
                               *(c + 1 for c in self.added.get(number, ()))))
        if self.part is not None:  # the rows, patched as they pass
            ops.append((self.data_end, self.data_end, 0, None, STREAMED))
            edited = []
        for number in edited:
            span = self.row(number)
            if span is not None:
                ops.append((span.start, span.end, 0, None, number))
            else:  # a new row: before the first row of a higher number (and before its patch)
                rows = self.rows()
                at = bisect.bisect_left(self._numbers, number)
                position = rows[at].start if at < len(rows) else self.data_end
                ops.append((position, position, number - (1 << 30), None, number))
        for number in self.row_attrs if self.part is None else ():
            span = self.row(number)
            if span is not None and not any(number in e for e in (self.edits, self.added, self.restyles)):
                ops.append((span.start, span.start + len(span.tag), 0, self._row_tag(span), 0))
        if self.data_tag[2] and (self.edits or self.added or self.restyles):  # <sheetData/>: now closed
            start, end, _ = self.data_tag
            ops.append((start, end, -1, self.source[start:end - 2] + b">", 0))
            ops.append((end, end, 1 << 30, b"</%ssheetData>" % self.prefix, 0))
        if last_row:
            ops.extend((*op, 0) for op in self._dimension_op(last_row, last_column))
        view, position = memoryview(self.source), 0
        for start, end, _, data, number in sorted(ops, key=lambda o: (o[0], o[2])):
            if start > position:
                yield view[position:start]
            if data is not None:
                yield data
            elif number == STREAMED:
                yield from self._streamed_rows()
            else:
                yield self._row_xml(number, self.row(number))
            position = max(position, end)
        yield view[position:]

    def _streamed_rows(self) -> Iterator[bytes | memoryview]:
        """The stored part's rows, each row with edits patched as it passes (its cells looked up in
        the piece it is in), every other byte as it was."""
        edited = self._edited()
        targets = sorted(edited | self.row_attrs.keys())
        for rows, start, end, found in walk(self.pieces(), self.prefix, targets):
            if found is None:
                yield memoryview(rows)[start:end]
            elif isinstance(found, RowSpan) and found.number not in edited:  # only its tag
                yield self._row_tag(found)
                yield memoryview(rows)[found.start + len(found.tag):found.end]
            elif isinstance(found, RowSpan):
                self._cells = {found.number: self._row_cells(rows, found)}
                yield self._row_xml(found.number, found)
            elif found in edited:
                self._cells = {found: None}
                yield self._row_xml(found, None)
        self._cells = {}

    def _row_xml(self, number: int, span: RowSpan | None) -> bytes:
        """Row ``number`` with its edits: the row as it was (``span``), patched, or a new row."""
        edits = self.row_edits(number)
        if span is not None:
            return self._patched_row(span, edits)
        cells = b"".join(self._cell(number, c, None, e) for c, e in sorted(edits.items()))
        tag = start_tag(self.prefix, b"row", {b"r": b"%d" % number, **self.row_attrs.get(number, {})}, False)
        return b"%s%s</%srow>" % (tag, cells, self.prefix)

    def row_edits(self, number: int) -> dict[int, _Edit]:
        """The edits of one row, its :class:`Restyle` worked out."""
        styles = self.styles.get(number, {})
        merged: dict[int, _Edit] = {c + 1: (v, OWN_OR_COLUMN) for c, v in self.added.get(number, {}).items()}
        merged.update((column, (value, styles.get(column, OWN_OR_COLUMN)))
                      for column, value in self.edits.get(number, {}).items())
        change = self.restyles.get(number)
        if change is None:
            return merged
        for column in change.columns:
            value, _ = merged.get(column, (KEEP, None))
            merged[column] = (value, change.style(self.base_style(number, column)))
        return merged

    def base_style(self, row: int, column: int) -> int:
        """The style a cell shows: its own, else its column's, else the default."""
        found = self.style(row, column)
        return found if found is not None else self.column_styles().get(column, 0)

    def overwrites_formula(self) -> bool:
        """Whether a queued value replaces a formula (then ``calcChain.xml`` must go); known before
        the part is written, as the package's members before it are written first."""
        marker, numbers = b"<%sf" % self.prefix, self.edits.keys() | self.added.keys()
        if self.part is None:
            spans: Iterable[tuple[bytes, Found]] = ((self.source, self.row(n)) for n in numbers)
        else:
            spans = ((rows, found) for rows, _, _, found in walk(self.pieces(), self.prefix, sorted(numbers)))
        for source, span in spans:
            if not isinstance(span, RowSpan) or source.find(marker, span.start, span.end) < 0:
                continue
            self._cells = {span.number: self._row_cells(source, span)}  # its cells, in its piece
            for column, (value, _) in self.row_edits(span.number).items():
                cell = self.cell(span.number, column) if value is not KEEP else None
                if cell is not None and cell.find(marker, cell.index(b">")) >= 0:
                    return True
        return False

    def _row_tag(self, span: RowSpan) -> bytes:
        """A row's start tag with its queued attributes."""
        extra = self.row_attrs.get(span.number)
        if not extra:
            return span.tag
        return start_tag(self.prefix, b"row", {**attrs(span.tag), **extra}, span.tag.endswith(b"/>"))

    def _patched_row(self, span: RowSpan, edits: dict[int, _Edit]) -> bytes:
        """The row with its edited cells replaced or inserted; every other byte as it was."""
        cells = self.cells(span.number)
        assert cells is not None
        # (start, end, column): a cell replaced, or a new one inserted (start == end) before the
        # first cell of a later column
        places = []
        for column in edits:
            found = cells.find(column)
            places.append((*found, column) if found else (*(cells.insertion(column),) * 2, column))
        tag = self._row_tag(span)
        inserted = any(start == end for start, end, _ in places)
        a = attrs(tag) if inserted and b"spans" in tag else {}
        if b"spans" in a:  # the columns the row spans, now also the new cells'
            low, _, high = a[b"spans"].partition(b":")
            columns = [int(low), int(high or low), *edits]
            a[b"spans"] = b"%d:%d" % (min(columns), max(columns))
            tag = start_tag(self.prefix, b"row", a, tag.endswith(b"/>"))
        closing = b""
        if tag.endswith(b"/>"):
            tag, closing = tag[:-2].rstrip() + b">", b"</%srow>" % self.prefix
        source, parts, position = cells.source, [tag], cells.body
        for start, end, column in sorted(places):
            old = source[start:end] if end > start else None
            parts += [source[position:start], self._cell(span.number, column, old, edits[column])]
            position = end
        parts += [source[position:span.end], closing]
        return b"".join(parts)

    def _cell(self, row: int, column: int, old: bytes | None, edit: _Edit) -> bytes:
        value, style = edit
        if style == OWN_OR_COLUMN:  # a cell keeps its own style; a new one takes its column's
            own = old is not None and own_style(old) is not None
            style = None if own else self.column_styles().get(column)
        return cell_xml(self.prefix, column, row, old, value, style)


def _cell_styles(prefix: bytes, column: int, source: bytes, begin: int, stop: int
                 ) -> Iterator[tuple[int, int | None]]:
    """(row number, style index) of the cells of one column in a span of whole rows: each found
    by its reference (``r="C12"``, one search through the rows), reading only its start tag."""
    start, reference = cell_start(prefix), re.compile(rb'r="%s([0-9]+)"' % letters(column))
    for match in reference.finditer(source, begin, stop):
        at = match.start()
        # an attribute of a <c> tag, not the same characters in a text (which holds no "<")
        opened = source.rfind(b"<", 0, at)
        if source[at - 1] in b" \t\r\n" and start.match(source, opened, at):
            style = _STYLE.search(source, opened, source.index(b">", at))
            yield int(match[1]), int(style[1]) if style else None


_STYLE = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
