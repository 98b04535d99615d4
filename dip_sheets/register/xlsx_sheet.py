"""Edits to one worksheet part, spliced into the original bytes.

:class:`Worksheet` queues cell edits (a value, a style index, or both) and worksheet-level elements
(protection, validations, columns) and returns the part with only those spans replaced: every other
row, cell and element keeps its exact bytes. The cell formats it refers to are :mod:`.xlsx_styles`'.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .xlsx import (
    WORKSHEET_ORDER,
    Element,
    Value,
    attrs,
    children,
    column_letter,
    root_prefix,
    split_ref,
    start_tag,
)
from .xlsx_row import KEEP, RowCells, cell_xml, own_style

__all__ = ["KEEP", "OWN_OR_COLUMN", "Restyle", "RowSpan", "Worksheet"]
#: a cell edit's style: the cell's own, or its column's when it has none (as Excel does for a new cell)
OWN_OR_COLUMN = -1
_Edit = tuple[object, int | None]  # (value or KEEP, style index, None to keep, or OWN_OR_COLUMN)
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


@dataclass(frozen=True, slots=True)  # one per row of the part: 100,000 at 100k rows
class RowSpan:
    number: int
    start: int
    end: int
    tag: bytes


class Worksheet:
    """One worksheet part with queued edits; :meth:`xml` returns the patched bytes."""

    def __init__(self, xml: bytes) -> None:
        self.source = xml
        self.prefix, root = root_prefix(xml, b"worksheet")
        p = re.escape(self.prefix)
        data = re.search(rb"<%ssheetData\b[^>]*?(/?)>" % p, xml)
        close = xml.rindex(b"</%sworksheet>" % self.prefix)
        if data is None:
            raise ValueError("worksheet without sheetData")
        self.data_tag = (data.start(), data.end(), bool(data[1]))
        if data[1]:
            self.data_end = data.end()
        else:
            self.data_end = xml.index(b"</%ssheetData>" % self.prefix, data.end())
        tail_start = self.data_end if data[1] else self.data_end + len(b"</%ssheetData>" % self.prefix)
        self.head = children(xml, root.end(), data.start())
        self.tail = children(xml, tail_start, close)
        self.close = close
        #: row -> column -> the value to write (or :data:`KEEP`); the style is :data:`OWN_OR_COLUMN`
        #: unless :attr:`styles` says otherwise (kept apart: most edits carry no style of their own)
        self.edits: dict[int, dict[int, object]] = {}
        self.styles: dict[int, dict[int, int | None]] = {}
        #: whole rows added: row number -> 0-based column -> value, each in its column's style
        self.added: dict[int, Mapping[int, object]] = {}
        self.restyles: dict[int, Restyle] = {}
        self.elements: dict[str, bytes | None] = {}
        self.row_attrs: dict[int, dict[bytes, bytes]] = {}
        self._rows: list[RowSpan] | None = None
        self._numbers: list[int] = []
        self._found: dict[int, RowSpan] = {}
        self._cells: dict[int, RowCells | None] = {}
        self._column_styles: dict[int, int] | None = None

    # ---- reading ---------------------------------------------------------------------------

    def rows(self) -> list[RowSpan]:
        if self._rows is None:
            spans: list[RowSpan] = []
            # group 1: the row's number, if it has ``r`` (read without an attribute dictionary)
            pattern = re.compile(rb"""<%srow(?=[\s/>])(?:(?=[^>]*?\sr\s*=\s*["']([0-9]+))|)[^>]*?(/?)>"""
                                 % re.escape(self.prefix))
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
            if span is None:
                self._cells[number] = None
            else:
                body = span.start + len(span.tag)
                stop = span.end if span.tag.endswith(b"/>") else span.end - len(b"</%srow>" % self.prefix)
                self._cells[number] = RowCells(self.source, self.prefix, number, min(body, stop), stop)
        return self._cells[number]

    def cell(self, row: int, column: int) -> bytes | None:
        """The element of one cell, as it is in the part (``None``: not there)."""
        cells = self.cells(row)
        found = cells.find(column) if cells is not None else None
        return self.source[found[0]:found[1]] if found is not None else None

    def style(self, row: int, column: int) -> int | None:
        cells = self.cells(row)
        return cells.style(column) if cells is not None else None

    def element(self, name: str) -> bytes | None:
        if name in self.elements:
            return self.elements[name]
        found = self._find(name)
        return self.source[found.start:found.end] if found else None

    def _find(self, name: str) -> Element | None:
        return next((e for e in (*self.head, *self.tail) if e.name == name), None)

    def column_styles(self) -> dict[int, int]:
        """Column -> default style index, from ``<cols>``."""
        if self._column_styles is None or "cols" in self.elements:
            styles: dict[int, int] = {}
            for tag in re.findall(rb"<(?:[\w.-]+:)?col\b[^>]*>", self.element("cols") or b""):
                a = attrs(tag)
                if b"style" in a:
                    for column in range(int(a[b"min"]), min(int(a[b"max"]), 16384) + 1):
                        styles[column] = int(a[b"style"])
            self._column_styles = styles
        return self._column_styles

    def merged(self) -> list[tuple[str, int, int, int, int]]:
        """Merged ranges as (reference, first row, first column, last row, last column)."""
        ranges = []
        merges = self.element("mergeCells") or b""
        for ref in re.findall(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*ref="([^"]+)"', merges):
            first, _, last = ref.partition(b":")
            (r1, c1), (r2, c2) = split_ref(first), split_ref(last or first)
            ranges.append((ref.decode(), r1, c1, r2, c2))
        return ranges

    def protected(self) -> bool:
        tag = self.element("sheetProtection")
        return tag is not None and attrs(tag).get(b"sheet") in (b"1", b"true")

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

    def put(self, name: str, xml: bytes | None) -> None:
        """Replace (or add, in schema order; or with ``None`` remove) a worksheet-level element."""
        self.elements[name] = xml

    @property
    def changed(self) -> bool:
        return bool(self.edits or self.added or self.restyles or self.row_attrs) or any(
            self.element(n) != self._original(n) for n in self.elements)

    def _original(self, name: str) -> bytes | None:
        found = self._find(name)
        return self.source[found.start:found.end] if found else None

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
        last_row, last_column = 0, 0
        for number in sorted(self.edits.keys() | self.added.keys() | self.restyles.keys()):
            change = self.restyles.get(number)
            last_row = max(last_row, number)
            last_column = max(last_column, *self.edits.get(number, ()), *(change.columns if change else ()),
                              *(c + 1 for c in self.added.get(number, ())))
            span = self.row(number)
            if span is not None:
                ops.append((span.start, span.end, 0, None, number))
            else:  # a new row: before the first row of a higher number
                rows = self.rows()
                at = bisect.bisect_left(self._numbers, number)
                position = rows[at].start if at < len(rows) else self.data_end
                ops.append((position, position, number, None, number))
        for number in self.row_attrs:
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
            yield data if data is not None else self._row_xml(number)
            position = max(position, end)
        yield view[position:]

    def _row_xml(self, number: int) -> bytes:
        """Row ``number`` with its edits: the row as it was, patched, or a new row."""
        edits = self.row_edits(number)
        span = self.row(number)
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
        marker = b"<%sf" % self.prefix
        for number in self.edits.keys() | self.added.keys():
            span = self.row(number)
            if span is None or self.source.find(marker, span.start, span.end) < 0:
                continue
            for column, (value, _) in self.row_edits(number).items():
                cell = self.cell(number, column) if value is not KEEP else None
                if cell is not None and cell.find(marker, cell.index(b">")) >= 0:
                    return True
        return False

    def _element_op(self, name: str, new: bytes | None) -> tuple[int, int, int, bytes]:
        found = self._find(name)
        if found is not None:
            return found.start, found.end, 0, new or b""
        rank = WORKSHEET_ORDER.index(name)
        later = [e for e in (*self.head, *self.tail)
                 if e.name in WORKSHEET_ORDER and WORKSHEET_ORDER.index(e.name) > rank]
        if later:
            position = later[0].start
        elif rank < WORKSHEET_ORDER.index("sheetData"):
            position = self.data_tag[0]
        else:
            position = self.close
        return position, position, rank, new or b""

    def _dimension_op(self, last_row: int, last_column: int) -> list[tuple[int, int, int, bytes]]:
        found = self._find("dimension")
        if found is None or "dimension" in self.elements:
            return []
        tag = self.source[found.start:found.end]
        ref = attrs(tag).get(b"ref", b"A1")
        first, _, last = ref.partition(b":")
        row, column = split_ref(last or first)
        if row >= last_row and column >= last_column:
            return []
        new = f"{first.decode()}:{column_letter(max(column, last_column))}{max(row, last_row)}".encode()
        return [(found.start, found.end, 0, re.sub(rb'ref="[^"]*"', b'ref="%s"' % new, tag))]

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
        source, parts, position = self.source, [tag], cells.body
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
