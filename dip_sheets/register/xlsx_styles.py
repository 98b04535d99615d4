"""Cell formats in ``styles.xml``: find or add the format (``xf``) a lock or a header needs.

A new format is derived from the cell's own, so staff formatting survives a lock; formats are
compared by meaning (:func:`normal_form`), since another program may spell the same one otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from .xlsx import attrs, children, root_prefix, start_tag


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

    GROUPS: ClassVar[dict[str, bytes]] = {"cellXfs": b"xf", "fills": b"fill", "fonts": b"font",
                                          "dxfs": b"dxf"}
    #: where a missing ``<dxfs>`` goes: before the first of these (CT_Stylesheet's order).
    AFTER_DXFS = (b"tableStyles", b"colors", b"extLst")

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

    def sans_bold_font(self) -> int:
        """A bold sans-serif font (headers wrap legibly in LibreOffice and Excel alike)."""
        p = self.prefix
        return self._find_or_add("fonts", b'<%sfont><%sb/><%ssz val="10"/><%sname val="Arial"/>'
                                 b'<%sfamily val="2"/></%sfont>' % (p, p, p, p, p, p))

    def dxf_fill(self, rgb: str) -> int:
        """A differential format (for conditional formatting) that shades a cell ``rgb``."""
        p = self.prefix
        return self._find_or_add("dxfs", b'<%sdxf><%sfill><%spatternFill patternType="solid"><%sbgColor'
                                 b' rgb="FF%s"/></%spatternFill></%sfill></%sdxf>' % (
                                     p, p, p, p, rgb.encode(), p, p, p))

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
            if match is None and group == "dxfs":
                out = self._add_dxfs(out)
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

    def _add_dxfs(self, xml: bytes) -> bytes:
        """An empty ``<dxfs/>`` in its place (openpyxl writes none when there is no rule)."""
        p = re.escape(self.prefix)
        for name in self.AFTER_DXFS:
            found = re.search(rb"<%s%s\b" % (p, name), xml)
            if found:
                return xml[:found.start()] + b'<%sdxfs count="0"/>' % self.prefix + xml[found.start():]
        close = xml.rindex(b"</%sstyleSheet>" % self.prefix)
        return xml[:close] + b'<%sdxfs count="0"/>' % self.prefix + xml[close:]


#: attribute values that mean the same as leaving the attribute out.
_DEFAULTS = {b"pivotButton": b"0", b"quotePrefix": b"0", b"numFmtId": b"0", b"fontId": b"0",
             b"fillId": b"0", b"borderId": b"0", b"xfId": b"0", b"locked": b"1", b"hidden": b"0",
             b"showDropDown": b"0", b"showInputMessage": b"0",
             b"showErrorMessage": b"0"}
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
