"""The worksheet-level elements of a worksheet part: everything but its rows.

:class:`Parts` finds the child elements of ``<worksheet>`` around ``<sheetData>`` (columns,
protection, merged cells, validations, ...) and replaces or adds them in schema order; it needs only
the bytes before and after the rows, so a large part may be held as just those (its *skeleton*,
:mod:`.xlsx_stream`). :class:`~.xlsx_sheet.Worksheet` adds the rows and their cells.
"""

from __future__ import annotations

import re

from .xlsx import WORKSHEET_ORDER, Element, attrs, children, column_letter, root_prefix, split_ref


class Parts:
    """The elements of one worksheet part and the ones queued to replace them."""

    def __init__(self, xml: bytes) -> None:
        self._parse(xml)
        self.elements: dict[str, bytes | None] = {}
        self._column_styles: dict[int, int] | None = None

    def _parse(self, xml: bytes) -> None:
        """Where the part's elements are (``xml``: the part whole, or its skeleton)."""
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

    def element(self, name: str) -> bytes | None:
        """A worksheet-level element as queued (:meth:`put`), else as it is in the part."""
        return self.elements[name] if name in self.elements else self._original(name)

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

    def put(self, name: str, xml: bytes | None) -> None:
        """Replace (or add, in schema order; or with ``None`` remove) a worksheet-level element."""
        self.elements[name] = xml

    def _original(self, name: str) -> bytes | None:
        found = self._find(name)
        return self.source[found.start:found.end] if found else None

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
