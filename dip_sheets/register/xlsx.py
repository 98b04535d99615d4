"""Patching an ``.xlsx`` in place, so that only the cells dip-sheets owns ever change.

A workbook is a zip of XML parts. openpyxl loads the parts it understands into objects and writes
new parts from them, which drops what it does not model (rich text, images, comments' shapes, form
controls, slicers, ...). Here a save instead copies every zip member byte for byte and splices new
XML only where dip-sheets writes: the ``<c>`` elements of the cells it sets (text as inline
strings, ``t="inlineStr"``, so ``sharedStrings.xml`` never changes and a text can never become a
formula), the ``<row>`` elements it adds, the style indexes of the cells it locks, and the few
worksheet-level elements ``dip init`` owns. Every other byte of a patched part is kept as it was.

The cost of a write is that of the parts it touches (the patched sheet and ``styles.xml``); every
other member is copied without being decompressed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from .xlsx_zip import Buffer, copy_member, inflatable, inflate, write_member

Value = str | int | float | bool | dt.date | dt.datetime | dt.time | None

_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = re.compile(rb"<(/?)([\w.-]+:)?([\w.-]+)([^>]*?)(/?)>|<!--.*?-->|<\?.*?\?>", re.S)
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
EPOCH = dt.datetime(1899, 12, 30)

#: worksheet child elements in the order the schema requires (ECMA-376 CT_Worksheet).
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
    "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)


# ---- small XML helpers --------------------------------------------------------------------------


def attrs(tag: bytes) -> dict[bytes, bytes]:
    """The attributes of a start tag, in order, values still XML-escaped."""
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(tag)}


def unescape(raw: bytes) -> str:
    text = raw.decode()
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(entity, char)
    text = re.sub(r"&#x([0-9a-fA-F]+);", lambda m: chr(int(m[1], 16)), text)
    text = re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), text)
    return text.replace("&amp;", "&")


def escape(text: str) -> bytes:
    """Text for an element or attribute; characters XML cannot hold become OOXML ``_xHHHH_``."""
    text = _XML_BAD.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text.encode()


def start_tag(prefix: bytes, name: bytes, attributes: Mapping[bytes, bytes], close: bool) -> bytes:
    body = b"".join(b' %s="%s"' % (k, v) for k, v in attributes.items())
    return b"<%s%s%s%s>" % (prefix, name, body, b"/" if close else b"")


def column_letter(index: int) -> str:
    """1-based column number to letters (1 -> A)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


_REF = re.compile(rb"([A-Za-z]{1,3})(\d+)")


def split_ref(ref: bytes) -> tuple[int, int]:
    """``b"B7"`` -> (row 7, column 2)."""
    match = _REF.fullmatch(ref.replace(b"$", b""))
    if not match:
        raise ValueError(ref)
    return int(match[2]), column_number(match[1])


def excel_serial(value: dt.date | dt.datetime | dt.time) -> float:
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    delta = value.replace(tzinfo=None) - EPOCH
    return delta.days + delta.seconds / 86400


def value_xml(prefix: bytes, value: Value) -> tuple[bytes | None, bytes]:
    """A cell value as (``t`` attribute, child elements). Text is always an inline string."""
    if value is None or value == "":
        return None, b""
    if isinstance(value, bool):
        return b"b", b"<%sv>%d</%sv>" % (prefix, value, prefix)
    if isinstance(value, int | float) and math.isfinite(value):
        return None, b"<%sv>%s</%sv>" % (prefix, repr(value).encode(), prefix)
    if isinstance(value, dt.date | dt.time):
        return None, b"<%sv>%s</%sv>" % (prefix, repr(excel_serial(value)).encode(), prefix)
    text = str(value)
    space = b' xml:space="preserve"' if text != text.strip() or "\n" in text else b""
    return b"inlineStr", b"<%sis><%st%s>%s</%st></%sis>" % (
        prefix, prefix, space, escape(text), prefix, prefix)


# ---- elements of a part -------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    """A child element of some parent, by local name and byte span in the part."""

    name: str
    start: int
    end: int


def children(xml: bytes, start: int, stop: int) -> list[Element]:
    """The direct child elements between ``start`` and ``stop`` (inside one parent)."""
    found: list[Element] = []
    depth = 0
    opened: tuple[str, int] | None = None
    for match in _TAG.finditer(xml, start, stop):
        if match[3] is None:
            continue  # a comment or processing instruction
        name = match[3].decode()
        if match[1]:
            depth -= 1
            if depth == 0 and opened is not None:
                found.append(Element(opened[0], opened[1], match.end()))
        elif match[5]:
            if depth == 0:
                found.append(Element(name, match.start(), match.end()))
        else:
            if depth == 0:
                opened = (name, match.start())
            depth += 1
    return found


def root_prefix(xml: bytes, name: bytes) -> tuple[bytes, re.Match[bytes]]:
    """The namespace prefix used by a part's root element (``b""`` or ``b"x:"``), and its tag."""
    match = re.search(rb"<([\w.-]+:)?%s\b[^>]*>" % name, xml)
    if not match:
        raise ValueError(f"no <{name.decode()}> element")
    return match[1] or b"", match


# ---- the package --------------------------------------------------------------------------------


RELS = "xl/_rels/workbook.xml.rels"
RELATIONSHIPS_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass
class Package:
    """The zip members of a workbook; changed members are kept apart until :meth:`save`."""

    source: BinaryIO
    archive: zipfile.ZipFile = field(init=False)
    changed: dict[str, bytes] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    streamed: dict[str, Callable[[], Iterable[Buffer]]] = field(default_factory=dict)
    last: dict[str, Callable[[], bytes | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.archive = zipfile.ZipFile(self.source)

    def read(self, name: str) -> bytes:
        if name in self.changed:
            return self.changed[name]
        info = self.archive.getinfo(name)
        return inflate(self.source, info) if inflatable(info) else self.archive.read(name)

    def has(self, name: str) -> bool:
        return name in self.changed or (name not in self.removed and name in self.archive.NameToInfo)

    def write(self, name: str, data: bytes) -> None:
        if self.has(name) and self.read(name) == data:
            return
        self.changed[name] = data
        self.removed.discard(name)

    def remove(self, name: str) -> None:
        self.changed.pop(name, None)
        self.removed.add(name)

    def sheets(self) -> dict[str, str]:
        """Tab name -> worksheet part, in workbook order."""
        workbook = self.read("xl/workbook.xml")
        targets = {
            a.get(b"Id"): a.get(b"Target", b"").decode()
            for a in (attrs(m[0]) for m in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>",
                                                        self.read(RELS)))
        }
        found: dict[str, str] = {}
        for match in re.finditer(rb"<(?:[\w.-]+:)?sheet\b[^>]*>", workbook):
            attributes = attrs(match[0])
            rid = next((v for k, v in attributes.items() if k.endswith(b":id")), None)
            target = targets.get(rid, "")
            if target:
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                found[unescape(attributes[b"name"])] = path
        return found

    def add_sheet(self, name: str, xml: bytes, hidden: bool = False) -> str:
        """Add a worksheet part and list it in the workbook, its relationships and content types."""
        taken = set(self.archive.namelist()) | set(self.changed)
        number = next(n for n in range(1, 10_000) if f"xl/worksheets/sheet{n}.xml" not in taken)
        path = f"xl/worksheets/sheet{number}.xml"
        self.write(path, xml)
        rels = self.read(RELS)
        used = {int(m[1]) for m in re.finditer(rb'Id="rId(\d+)"', rels)}
        rid = f"rId{max(used, default=0) + 1}".encode()
        rel = b'<Relationship Id="%s" Type="%s" Target="worksheets/sheet%d.xml"/>' % (
            rid, WORKSHEET_TYPE.encode(), number)
        self.write(RELS, _insert_before_close(rels, b"Relationships", rel))
        types = self.read("[Content_Types].xml")
        override = b'<Override PartName="/%s" ContentType="%s"/>' % (
            path.encode(), WORKSHEET_CONTENT.encode())
        self.write("[Content_Types].xml", _insert_before_close(types, b"Types", override))
        workbook = self.read("xl/workbook.xml")
        prefix, _ = root_prefix(workbook, b"workbook")
        ids = [int(m[1]) for m in re.finditer(rb'sheetId="(\d+)"', workbook)]
        state = b' state="hidden"' if hidden else b""
        # the relationships namespace declared on the element itself: openpyxl declares it on the
        # root or (when lxml is installed) on each <sheet>, where a new sibling cannot use it
        sheet = b'<%ssheet xmlns:r="%s" name="%s" sheetId="%d"%s r:id="%s"/>' % (
            prefix, RELATIONSHIPS_NS, escape(name), max(ids, default=0) + 1, state, rid)
        self.write("xl/workbook.xml", _insert_before_close(workbook, b"sheets", sheet))
        return path

    def hide_sheet(self, name: str) -> None:
        workbook = self.read("xl/workbook.xml")
        for match in re.finditer(rb"<(?:[\w.-]+:)?sheet\b[^>]*>", workbook):
            attributes = attrs(match[0])
            if unescape(attributes[b"name"]) == name and attributes.get(b"state") != b"hidden":
                tag = re.sub(rb'\s+state="[^"]*"', b"", match[0])
                tag = re.sub(rb"(\s*/?>)$", rb' state="hidden"\1', tag)
                self.write("xl/workbook.xml", workbook[:match.start()] + tag + workbook[match.end():])
                return

    def forget_calc_chain(self) -> None:
        """Drop ``calcChain.xml`` (Excel rebuilds it) once a formula cell was overwritten."""
        if not self.has("xl/calcChain.xml"):
            return
        self.remove("xl/calcChain.xml")
        rels = re.sub(rb"<(?:[\w.-]+:)?Relationship\b[^>]*calcChain[^>]*/>", b"", self.read(RELS))
        self.write(RELS, rels)
        self.write("[Content_Types].xml", re.sub(rb"<Override\b[^>]*calcChain[^>]*/>", b"",
                                                 self.read("[Content_Types].xml")))

    def stream(self, name: str, pieces: Callable[[], Iterable[Buffer]]) -> None:
        """Write member ``name`` at :meth:`save` from ``pieces`` as they are made (never whole)."""
        self.streamed[name] = pieces

    def make_last(self, name: str, make: Callable[[], bytes | None]) -> None:
        """Make member ``name`` at :meth:`save` after every other member (``None``: as it is)."""
        self.last[name] = make

    def save(self, stream: BinaryIO) -> None:
        """Write the workbook: unchanged members copied as stored (not recompressed), then new ones."""
        streamed, last = self.streamed, self.last
        with zipfile.ZipFile(stream, "w") as out:
            late: list[zipfile.ZipInfo] = []
            for info in self.archive.infolist():
                if info.filename in self.removed:
                    continue
                if info.filename in last:
                    late.append(info)
                elif info.filename in streamed:
                    write_member(out, info, streamed[info.filename]())
                elif info.filename in self.changed:
                    write_member(out, info, (self.changed[info.filename],))
                else:
                    copy_member(self.source, out, info)
            for name, data in self.changed.items():
                if name not in self.archive.NameToInfo and name not in last:
                    new = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                    write_member(out, new, streamed[name]() if name in streamed else (data,))
            for info in late:
                made = last[info.filename]()
                if made is not None:
                    write_member(out, info, (made,))
                elif info.filename in self.changed:
                    write_member(out, info, (self.changed[info.filename],))
                else:
                    copy_member(self.source, out, info)


def _insert_before_close(xml: bytes, parent: bytes, child: bytes) -> bytes:
    match = re.search(rb"</([\w.-]+:)?%s>" % parent, xml)
    if match:
        return xml[:match.start()] + child + xml[match.start():]
    empty = re.search(rb"<([\w.-]+:)?%s\b([^>]*)/>" % parent, xml)
    if not empty:
        raise ValueError(f"no <{parent.decode()}> element")
    prefix = empty[1] or b""
    return (xml[:empty.start()] + b"<%s%s%s>%s</%s%s>" % (prefix, parent, empty[2], child, prefix, parent)
            + xml[empty.end():])
