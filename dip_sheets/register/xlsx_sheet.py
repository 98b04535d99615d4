"""Edits to one worksheet part and to ``styles.xml``, spliced into the original bytes.

:class:`Worksheet` queues cell edits (a value, a style index, or both) and worksheet-level elements
(protection, validations, columns) and returns the part with only those spans replaced: every other
row, cell and element keeps its exact bytes. :class:`Styles` finds or adds the cell formats (``xf``)
a lock or a header needs, derived from the cell's own format so staff formatting survives a lock.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import ClassVar

from .xlsx import (
    WORKSHEET_ORDER,
    Element,
    Value,
    attrs,
    children,
    column_letter,
    iter_cells,
    root_prefix,
    split_ref,
    start_tag,
    value_xml,
)

KEEP = object()  #: a cell edit that keeps the value and only sets the style
_Edit = tuple[object, int | None]  # (value or KEEP, style index or None to keep)


@dataclass(frozen=True)
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
        self.edits: dict[int, dict[int, _Edit]] = {}
        self.elements: dict[str, bytes | None] = {}
        self.overwrote_formula = False
        self._rows: list[RowSpan] | None = None
        self._numbers: list[int] = []
        self._cells: dict[int, dict[int, tuple[int, int, bytes]]] = {}
        self._column_styles: dict[int, int] | None = None

    # ---- reading ---------------------------------------------------------------------------

    def rows(self) -> list[RowSpan]:
        if self._rows is None:
            spans: list[RowSpan] = []
            pattern = re.compile(rb"<%srow\b[^>]*?(/?)>" % re.escape(self.prefix))
            closing = b"</%srow>" % self.prefix
            position, number = self.data_tag[1], 0
            while (match := pattern.search(self.source, position, self.data_end)) is not None:
                ref = attrs(match[0]).get(b"r")
                number = int(ref) if ref else number + 1
                end = match.end() if match[1] else self.source.index(closing, match.end()) + len(closing)
                spans.append(RowSpan(number, match.start(), end, match[0]))
                position = end
            self._rows = spans
            self._numbers = [r.number for r in spans]
        return self._rows

    def row(self, number: int) -> RowSpan | None:
        rows = self.rows()
        at = bisect.bisect_left(self._numbers, number)
        return rows[at] if at < len(rows) and rows[at].number == number else None

    def cells(self, number: int) -> dict[int, tuple[int, int, bytes]]:
        """The cells present in row ``number``: column -> (start, end, start tag)."""
        if number not in self._cells:
            span = self.row(number)
            found = () if span is None or span.tag.endswith(b"/>") else iter_cells(
                self.source, self.prefix, span.start + len(span.tag), span.end)
            self._cells[number] = {column: (start, end, tag) for column, start, end, tag in found}
        return self._cells[number]

    def style(self, row: int, column: int) -> int | None:
        found = self.cells(row).get(column)
        value = attrs(found[2]).get(b"s") if found else None
        return int(value) if value else None

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

    def set(self, row: int, column: int, value: Value, style: int | None = None) -> None:
        self.edits.setdefault(row, {})[column] = (value, style)

    def set_style(self, row: int, column: int, style: int) -> None:
        value, _ = self.edits.get(row, {}).get(column, (KEEP, None))
        self.edits.setdefault(row, {})[column] = (value, style)

    def put(self, name: str, xml: bytes | None) -> None:
        """Replace (or add, in schema order; or with ``None`` remove) a worksheet-level element."""
        self.elements[name] = xml

    @property
    def changed(self) -> bool:
        return bool(self.edits) or any(self.element(n) != self._original(n) for n in self.elements)

    def _original(self, name: str) -> bytes | None:
        found = self._find(name)
        return self.source[found.start:found.end] if found else None

    def xml(self) -> bytes:
        """The part with every queued edit spliced in; untouched bytes are kept as they were."""
        ops: list[tuple[int, int, int, bytes]] = []  # (start, end, order, bytes)
        for name, new in self.elements.items():
            ops.append(self._element_op(name, new))
        last_row, last_column = 0, 0
        rows = self.rows()
        numbers = self._numbers
        for number in sorted(self.edits):
            edits = self.edits[number]
            last_row, last_column = max(last_row, number), max(last_column, *edits)
            span = self.row(number)
            if span is not None:
                ops.append((span.start, span.end, 0, self._patched_row(span, edits)))
            else:
                at = bisect.bisect_left(numbers, number)
                position = rows[at].start if at < len(rows) else self.data_end
                cells = b"".join(self._cell(number, c, None, e) for c, e in sorted(edits.items()))
                ops.append((position, position, number, b"<%srow r=\"%d\">%s</%srow>" % (
                    self.prefix, number, cells, self.prefix)))
        if self.data_tag[2] and self.edits:  # <sheetData/> becomes <sheetData>...</sheetData>
            start, end, _ = self.data_tag
            ops.append((start, end, -1, self.source[start:end - 2] + b">"))
            ops.append((end, end, 1 << 30, b"</%ssheetData>" % self.prefix))
        if last_row:
            ops.extend(self._dimension_op(last_row, last_column))
        out, position = [], 0
        for start, end, _, data in sorted(ops, key=lambda o: (o[0], o[2])):
            out += [self.source[position:start], data]
            position = max(position, end)
        out.append(self.source[position:])
        return b"".join(out)

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

    def _patched_row(self, span: RowSpan, edits: dict[int, _Edit]) -> bytes:
        tag = span.tag
        existing = self.cells(span.number)
        a = attrs(tag)
        if b"spans" in a and any(c not in existing for c in edits):
            low, _, high = a[b"spans"].partition(b":")
            columns = [int(low), int(high or low), *edits]
            a[b"spans"] = b"%d:%d" % (min(columns), max(columns))
            tag = start_tag(self.prefix, b"row", a, tag.endswith(b"/>"))
        if tag.endswith(b"/>"):
            tag = tag[:-2].rstrip() + b">"
            body_start, body_end, closing = span.end, span.end, b"</%srow>" % self.prefix
        else:
            body_start, body_end, closing = span.start + len(span.tag), span.end, b""
        parts, position = [tag], body_start
        pending = sorted(c for c in edits if c not in existing)
        for column, (start, end, cell_tag) in sorted(existing.items()):
            while pending and pending[0] < column:
                new = pending.pop(0)
                parts += [self.source[position:start], self._cell(span.number, new, None, edits[new])]
                position = start
            if column in edits:
                parts += [self.source[position:start],
                          self._cell(span.number, column, (cell_tag, self.source[start:end]), edits[column])]
                position = end
        closing_at = body_end - (0 if closing else len(b"</%srow>" % self.prefix))
        tail = self.source[position:closing_at]
        extras = b"".join(self._cell(span.number, c, None, edits[c]) for c in pending)
        parts += [tail, extras, self.source[closing_at:body_end], closing]
        return b"".join(parts)

    def _cell(self, row: int, column: int, old: tuple[bytes, bytes] | None, edit: _Edit) -> bytes:
        value, style = edit
        ref = f"{column_letter(column)}{row}".encode()
        if old is None:
            a: dict[bytes, bytes] = {b"r": ref}
            if style is not None:
                a[b"s"] = str(style).encode()
            if value is KEEP:
                return start_tag(self.prefix, b"c", a, True)
            return self._with_value(a, value)  # type: ignore[arg-type]
        tag, whole = old
        a = attrs(tag)
        a[b"r"] = ref
        if style is not None:
            a[b"s"] = str(style).encode()
        if value is KEEP:
            return start_tag(self.prefix, b"c", a, tag.endswith(b"/>")) + whole[len(tag):]
        if b"<%sf" % self.prefix in whole[len(tag):]:
            self.overwrote_formula = True
        kept = {k: v for k, v in a.items() if k in (b"r", b"s")}
        return self._with_value(kept, value)  # type: ignore[arg-type]

    def _with_value(self, a: dict[bytes, bytes], value: Value) -> bytes:
        kind, body = value_xml(self.prefix, value)
        if kind is not None:
            a[b"t"] = kind
        if not body:
            return start_tag(self.prefix, b"c", a, True)
        return start_tag(self.prefix, b"c", a, False) + body + b"</%sc>" % self.prefix


# ---- styles.xml ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """What a derived cell format changes; ``None`` keeps the base format's setting."""

    locked: bool | None = None
    fill: int | None = None
    font: int | None = None
    number_format: int | None = None
    alignment: bytes | None = None  # a complete <alignment .../> element


class Styles:
    """``styles.xml``: cell formats (``cellXfs``), fills and fonts, extended only by appending."""

    GROUPS: ClassVar[dict[str, bytes]] = {"cellXfs": b"xf", "fills": b"fill", "fonts": b"font"}

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.prefix, _ = root_prefix(source, b"styleSheet")
        self.items: dict[str, list[bytes]] = {}
        self.added: dict[str, int] = {}
        self.derived: dict[tuple[int, Format], int] = {}
        self.normal: dict[str, list[tuple[tuple[str, tuple[tuple[bytes, bytes], ...]], ...]]] = {}
        for group, item in self.GROUPS.items():
            match = self._group(source, group)
            found: list[bytes] = []
            if match and not match[2]:
                end = source.index(b"</%s%s>" % (self.prefix, group.encode()), match.end())
                found = [source[e.start:e.end] for e in children(source, match.end(), end)
                         if e.name == item.decode()]
            self.items[group] = found

    def _group(self, xml: bytes, group: str) -> re.Match[bytes] | None:
        return re.search(rb"<%s%s\b([^>]*?)(/?)>" % (re.escape(self.prefix), group.encode()), xml)

    def xf(self, index: int) -> bytes:
        xfs = self.items["cellXfs"]
        return xfs[index] if 0 <= index < len(xfs) else xfs[0]

    def locked(self, index: int) -> bool:
        protection = re.search(rb"<(?:[\w.-]+:)?protection\b[^>]*>", self.xf(index))
        return protection is None or attrs(protection[0]).get(b"locked", b"1") in (b"1", b"true")

    def fill_of(self, index: int) -> int:
        return int(attrs(self.xf(index)[: self.xf(index).index(b">")]).get(b"fillId", b"0"))

    def derive(self, base: int, change: Format) -> int:
        """The index of ``base`` with ``change`` applied: an existing equal ``xf``, or a new one.

        The attributes a change sets are moved to the end in a fixed order, so deriving again from
        a derived format (lock, unlock, lock) lands on the same ``xf`` instead of a new one each time.
        """
        if (base, change) not in self.derived:
            self.derived[base, change] = self._derive(base, change)
        return self.derived[base, change]

    def _derive(self, base: int, change: Format) -> int:
        xf = self.xf(base)
        tag_end = xf.index(b">") + 1
        a = attrs(xf[:tag_end])
        inner = b"" if xf[:tag_end].endswith(b"/>") else xf[tag_end: xf.rfind(b"</")]
        elements = {e.name: inner[e.start:e.end] for e in children(inner, 0, len(inner))}
        for key, attribute, flag in ((change.number_format, b"numFmtId", b"applyNumberFormat"),
                                     (change.font, b"fontId", b"applyFont"),
                                     (change.fill, b"fillId", b"applyFill")):
            if key is not None:
                a.pop(attribute, None)
                a.pop(flag, None)
                a[attribute], a[flag] = str(key).encode(), b"1"
        p = self.prefix
        if change.alignment is not None:
            a.pop(b"applyAlignment", None)
            a[b"applyAlignment"] = b"1"
            elements["alignment"] = change.alignment
        if change.locked is not None:
            a.pop(b"applyProtection", None)
            a[b"applyProtection"] = b"1"
            elements["protection"] = b"" if change.locked else b'<%sprotection locked="0"/>' % p
        order = ("alignment", "protection", "extLst")
        inside = b"".join(elements.get(n, b"") for n in order)
        inside += b"".join(v for k, v in elements.items() if k not in order)
        new = start_tag(p, b"xf", a, not inside) + (inside + b"</%sxf>" % p if inside else b"")
        return self._find_or_add("cellXfs", new)

    def fill(self, rgb: str) -> int:
        p = self.prefix
        fill = (b'<%sfill><%spatternFill patternType="solid"><%sfgColor rgb="FF%s"/><%sbgColor indexed="64"/>'
                b"</%spatternFill></%sfill>" % (p, p, p, rgb.encode(), p, p, p))
        return self._find_or_add("fills", fill)

    def bold_font(self) -> int:
        """The workbook's default font, bold."""
        font = self.items["fonts"][0]
        if re.search(rb"<(?:[\w.-]+:)?b\s*/>", font):
            return 0
        tag_end = font.index(b">") + 1
        return self._find_or_add("fonts", font[:tag_end] + b"<%sb/>" % self.prefix + font[tag_end:])

    def _find_or_add(self, group: str, new: bytes) -> int:
        """The index of an item that means the same as ``new`` (however another program spelled
        it), or of ``new`` appended, so repeated runs and staff saves never pile up formats."""
        items = self.items[group]
        normal = self.normal.setdefault(group, [])
        normal += [normal_form(x) for x in items[len(normal):]]
        wanted = normal_form(new)
        if wanted in normal:
            return normal.index(wanted)
        items.append(new)
        normal.append(wanted)
        self.added[group] = self.added.get(group, 0) + 1
        return len(items) - 1

    @property
    def changed(self) -> bool:
        return bool(self.added)

    def xml(self) -> bytes:
        """``styles.xml`` with the added items appended to their groups and the counts updated."""
        out = self.source
        for group, number in self.added.items():
            extra = b"".join(self.items[group][-number:])
            match = self._group(out, group)
            if match is None:
                raise ValueError(f"styles.xml has no <{group}>")
            a = attrs(match[0])
            a[b"count"] = str(len(self.items[group])).encode()
            opening = start_tag(self.prefix, group.encode(), a, False)
            closing = b"</%s%s>" % (self.prefix, group.encode())
            if match[2]:
                out = out[:match.start()] + opening + extra + closing + out[match.end():]
            else:
                end = out.index(closing, match.end())
                out = out[:match.start()] + opening + out[match.end():end] + extra + out[end:]
        return out


#: attribute values that mean the same as leaving the attribute out.
_DEFAULTS = {b"pivotButton": b"0", b"quotePrefix": b"0", b"numFmtId": b"0", b"fontId": b"0",
             b"fillId": b"0", b"borderId": b"0", b"xfId": b"0", b"locked": b"1", b"hidden": b"0",
             b"showDropDown": b"0", b"showInputMessage": b"0"}
_TRUE_BY_DEFAULT = {"b", "i", "strike", "outline", "shadow", "condense", "extend"}


def normal_form(xml: bytes) -> tuple[tuple[str, tuple[tuple[bytes, bytes], ...]], ...]:
    """An element's meaning for comparison: each tag with its attributes sorted, defaults, ``apply*``
    flags (ignored for cell formats) and a solid fill's background colour left out."""
    tags = []
    for match in _TAG_ONLY.finditer(xml):
        name = match[1].decode().rpartition(":")[2]
        if name == "bgColor":
            continue
        found = {k: {b"true": b"1", b"false": b"0"}.get(v, v) for k, v in attrs(match[2]).items()}
        kept = tuple(sorted((k, v) for k, v in found.items()
                            if not k.startswith(b"apply") and _DEFAULTS.get(k) != v
                            and not (name in _TRUE_BY_DEFAULT and k == b"val" and v == b"1")))
        if name == "protection" and not kept:
            continue
        tags.append((name, kept))
    return (*tags[:1], *sorted(tags[1:]))


_TAG_ONLY = re.compile(rb"<([\w.:-]+)([^>]*?)/?>")
