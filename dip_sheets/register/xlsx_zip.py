"""The zip members of the register's workbook, inflated, deflated and copied by hand.

zipfile reads and writes members through the system's zlib and holds a member twice while it
inflates it. Here the members dip-sheets reads or writes go through zlib-ng (:data:`zlib`), the
same format two to nine times faster (inflate, deflate, CRC-32), and a written member is laid out
as zipfile lays it out on a seekable file: its local header, its deflated bytes, then the header
again with the CRC-32 and sizes filled in; the central directory is still zipfile's, written when
the archive closes.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from typing import IO, BinaryIO

from zlib_ng import zlib_ng as zlib

__all__ = ["COMPRESS_LEVEL", "copy_member", "inflatable", "inflate", "payload_offset", "verify",
           "write_member", "zlib"]

Buffer = bytes | memoryview
LOCAL_HEADER_SIZE = 30  # a zip local file header before its name and extra field

#: the level of the parts a write makes: a write deflates every sheet it patches again whole. zlib-ng
#: at level 2 deflates a 10,000-row DIP sheet (13 MB of XML) in 11 ms, 1.14 MB; level 1 takes 9 ms
#: for 1.51 MB (a third larger), level 3 19 ms for 1.05 MB; the system zlib at level 3 (used before)
#: took 27 ms for 1.05 MB. Excel compresses again when staff save.
COMPRESS_LEVEL = 2


def inflatable(info: zipfile.ZipInfo) -> bool:
    """Deflated and not encrypted (flag bit 0): inflated here; any other member through zipfile."""
    return info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x1


def inflate(source: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """An :func:`inflatable` member whole, its size and CRC-32 checked, inflated into one buffer of
    the size the zip states: zipfile's own read, and zlib-ng's ``decompress()``, hold a part twice
    while they inflate it (a sheet of 100,000 rows is ~100 MB)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    data = inflater.decompress(payload(source, info), max(info.file_size, 1))
    verify(info, len(data), zlib.crc32(data), inflater.eof)
    return data


def verify(info: zipfile.ZipInfo, size: int, crc: int, ended: bool = True) -> None:
    """zipfile's own error unless a member inflated to the size and CRC-32 the zip states (and its
    deflate stream ``ended``)."""
    if not ended or size != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 or size for file {info.filename!r}")


def payload(source: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """A member's stored (compressed) bytes."""
    source.seek(payload_offset(source, info))
    return source.read(info.compress_size)


def payload_offset(source: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where a member's stored bytes start (after its local header, name and extra field)."""
    source.seek(info.header_offset)
    header = source.read(LOCAL_HEADER_SIZE)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return int(info.header_offset + LOCAL_HEADER_SIZE + name_length + extra_length)


def write_member(out: zipfile.ZipFile, original: zipfile.ZipInfo, pieces: Iterable[Buffer]) -> None:
    """Deflate ``pieces`` as member ``original`` (its name, date and attributes) at
    :data:`COMPRESS_LEVEL`, each piece as it comes (the member is never held whole)."""
    info = zipfile.ZipInfo(original.filename, original.date_time)
    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, original.external_attr
    info.CRC = info.compress_size = info.file_size = 0  # until the bytes are written
    stream = _start(out, info)
    deflater = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = size = stored = 0
    for piece in pieces:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        data = deflater.compress(piece)
        stored += len(data)
        stream.write(data)
    data = deflater.flush()
    stream.write(data)
    info.CRC, info.file_size, info.compress_size = crc, size, stored + len(data)
    if max(size, info.compress_size) > zipfile.ZIP64_LIMIT:
        # a header without the ZIP64 extra field cannot state the sizes: the zip would be broken
        raise zipfile.LargeZipFile(
            f"{info.filename}: {size:,} bytes, more than a zip member holds without ZIP64 (2 GB)")
    end = stream.tell()
    stream.seek(info.header_offset)
    stream.write(info.FileHeader(False))  # the same length as the one written first
    stream.seek(end)
    _finish(out, info)


def copy_member(source: BinaryIO, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy a member's stored (compressed) bytes without decompressing them."""
    data = payload(source, info)
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type, copy.CRC = info.compress_type, info.CRC
    copy.compress_size, copy.file_size = info.compress_size, info.file_size
    copy.external_attr, copy.flag_bits = info.external_attr, info.flag_bits & ~0x08
    copy.create_system = info.create_system
    _start(out, copy, copy.file_size > zipfile.ZIP64_LIMIT).write(data)
    _finish(out, copy)


def _start(out: zipfile.ZipFile, info: zipfile.ZipInfo, zip64: bool = False) -> IO[bytes]:
    """Write ``info``'s local header where the archive's next member goes; the archive's stream."""
    stream = out.fp
    assert stream is not None
    info.extra = b""
    stream.seek(out.start_dir)
    info.header_offset = stream.tell()
    stream.write(info.FileHeader(zip64))
    return stream


def _finish(out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """List a member written after :func:`_start` in the archive's central directory."""
    stream = out.fp
    assert stream is not None
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out.start_dir = stream.tell()
    setattr(out, "_didModify", True)  # noqa: B010  # so close() writes the central directory
