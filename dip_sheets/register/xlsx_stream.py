"""A large worksheet part read as it is inflated, piece by piece, never whole.

The DIP sheet of 100,000 rows is ~100 MB of XML (~6 MB stored): holding it whole while a first sync
writes was the largest single item of the sync's peak memory. A part that large is kept as its
*skeleton* (every byte but its rows: what comes before ``<sheetData>`` and after it, a few KB), and
its rows are read by inflating the stored part again, in pieces of whole rows, whenever they are
needed: to find a column's styles (which rows are locked; a read notes them as it makes the
skeleton), to check that a write overwrites no formula, and to write the patched part, each row
written patched as it passes. Inflating the part again costs ~0.04 s at 100,000 rows (zlib-ng,
:mod:`.xlsx_zip`); the size and CRC-32 are checked at the end of every pass.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .xlsx import Package, root_prefix
from .xlsx_zip import inflatable, payload_offset, verify, zlib

#: compressed bytes read at a time, and the most inflated bytes one piece holds
READ, PIECE = 1 << 14, 1 << 18
_SPACE = b" \t\r\n/>"


@dataclass(frozen=True, slots=True)  # one per row of a part held whole: 100,000 at 100k rows
class RowSpan:
    """A ``<row>`` element: its number and where it is (``tag``: its start tag)."""

    number: int
    start: int
    end: int
    tag: bytes


@functools.cache
def row_start(prefix: bytes) -> re.Pattern[bytes]:
    """A row's start tag; group 1: its number if it has ``r`` (read without an attribute
    dictionary), group 2: ``/`` if it is self-closed."""
    return re.compile(rb"""<%srow(?=[\s/>])(?:(?=[^>]*?\sr\s*=\s*["']([0-9]+))|)[^>]*?(/?)>"""
                      % re.escape(prefix))


@dataclass(frozen=True)
class StoredPart:
    """A member of a package, read whole or inflated in pieces of at most ``piece`` bytes."""

    package: Package
    name: str
    piece: int = PIECE

    @property
    def size(self) -> int:
        if self.name in self.package.changed:
            return len(self.package.changed[self.name])
        return self.package.archive.getinfo(self.name).file_size

    def read(self) -> bytes:
        return self.package.read(self.name)

    def chunks(self) -> Iterator[bytes]:
        """The part inflated piece by piece, from the package's source read at each step's own
        position (another member may be read in between); a wrong size or CRC-32 raises at the end."""
        info = None if self.name in self.package.changed else self.package.archive.getinfo(self.name)
        if info is None or not inflatable(info):
            yield self.read()
            return
        source, inflater = self.package.source, zlib.decompressobj(-zlib.MAX_WBITS)
        at = payload_offset(source, info)
        left, size, crc = info.compress_size, 0, 0
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data and left:
                source.seek(at)
                data = source.read(min(READ, left))
                at, left = at + len(data), left - len(data)
            piece = inflater.decompress(data, self.piece)  # may hold back output even with no input
            if not piece and not data:
                break  # the stored bytes end before the stream does: the size check says so
            size, crc = size + len(piece), zlib.crc32(piece, crc)
            yield piece
        verify(info, size, crc)


def split(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A worksheet part as: everything up to the end of its ``<sheetData>`` start tag, then pieces
    each of whole rows, then, last, everything from ``</sheetData>`` on (with ``<sheetData/>``:
    the rest of the part). Only the rows of one piece, and one inflated piece, are held at once."""
    chunks = iter(chunks)
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        try:
            prefix, _ = root_prefix(buffer, b"worksheet")
        except ValueError:
            continue
        data = re.search(rb"<%ssheetData\b[^>]*?(/?)>" % re.escape(prefix), buffer)
        if data is not None:
            break
    else:
        raise ValueError("worksheet without sheetData")
    yield buffer[:data.end()]
    carry = buffer[data.end():]
    if data[1]:
        yield carry + b"".join(chunks)
        return
    closing, row = b"</%ssheetData>" % prefix, b"<%srow" % prefix
    searched = 0  # the carry was searched for the closing tag up to here
    for chunk in itertools.chain((b"",), chunks):
        buffer = carry + chunk
        end = buffer.find(closing, searched)
        if end >= 0:
            if end:
                yield buffer[:end]
            yield buffer[end:] + b"".join(chunks)
            return
        cut = buffer.rfind(row)
        while cut > 0 and cut + len(row) < len(buffer) and buffer[cut + len(row)] not in _SPACE:
            cut = buffer.rfind(row, 0, cut)  # another element's name that starts with "row"
        if cut > 0:  # everything before the last row's start is whole rows
            yield buffer[:cut]
        carry = buffer[max(cut, 0):]
        searched = max(0, len(carry) - len(closing) + 1)
    raise ValueError("worksheet without </sheetData>")


def skeleton(chunks: Iterable[bytes], see: Callable[[bytes, bytes], object] | None = None) -> bytes:
    """A worksheet part without its rows: they pass (each piece of whole rows shown to ``see``
    with the part's namespace prefix) and are let go."""
    pieces = split(chunks)
    head, tail = next(pieces), next(pieces)
    prefix = root_prefix(head, b"worksheet")[0] if see is not None else b""
    for after in pieces:  # the last piece is the tail; each one before it is rows
        if see is not None:
            see(prefix, tail)
        tail = after
    return head + tail


def row_pieces(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """The rows of a worksheet part as ``(buffer, 0, len(buffer))`` pieces of whole rows."""
    pieces = split(chunks)
    next(pieces)  # the head
    rows = next(pieces)
    for after in pieces:  # the last piece, the tail, is not rows
        yield rows, 0, len(rows)
        rows = after


#: what :func:`walk` finds: bytes to keep (``None``), a row asked for (its span), or where a row
#: asked for but not there goes (its number)
Found = RowSpan | int | None


def walk(pieces: Iterable[tuple[bytes, int, int]], prefix: bytes, targets: Sequence[int]
         ) -> Iterator[tuple[bytes, int, int, Found]]:
    """The rows in ``pieces`` (each ``(buffer, start, stop)`` of whole rows, in order) as
    ``(buffer, start, end, found)``: the spans between the rows of ``targets`` (sorted numbers),
    each of those rows, and each of them that is not there at the place it goes (before the first
    row of a higher number; after the last row, with an empty buffer). A piece whose last row comes
    before the next target is passed on whole, its rows not looked at."""
    pattern, closing = row_start(prefix), b"</%srow>" % prefix
    at, number = 0, 0
    for rows, begin, stop in pieces:
        kept, position, passed = begin, begin, at == len(targets)
        if not passed:
            last = pattern.match(rows, max(rows.rfind(b"<%srow" % prefix, begin, stop), begin), stop)
            if last is not None and last[1] and int(last[1]) < targets[at]:
                passed, number = True, int(last[1])
        while not passed and at < len(targets) and (match := pattern.search(rows, position, stop)):
            number = int(match[1]) if match[1] else number + 1
            end = match.end() if match[2] else rows.index(closing, match.end()) + len(closing)
            while at < len(targets) and targets[at] <= number:
                if match.start() > kept:
                    yield rows, kept, match.start(), None
                    kept = match.start()
                if targets[at] == number:
                    yield rows, match.start(), end, RowSpan(number, match.start(), end, match[0])
                    kept = end
                else:
                    yield rows, kept, kept, targets[at]
                at += 1
            position = end
        if stop > kept:
            yield rows, kept, stop, None
    for number in targets[at:]:
        yield b"", 0, 0, number
