"""What a workbook write holds in memory: rows to append are seen by column, not copied, and a
sheet part is inflated into one buffer (zipfile's own read holds it twice while inflating)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from dip_sheets.register.relocating import ByColumn
from dip_sheets.register.xlsx import Package
from dip_sheets.register.xlsx_zip import COMPRESS_LEVEL, zlib


def test_a_row_to_append_is_seen_by_column_as_the_re_keyed_copy_was() -> None:
    columns = {"Tanggal": 0, "ID": 2, "Peristiwa": 5}
    by_column = {i: h for h, i in columns.items()}
    values = {"ID": "DIP-2026-0001", "Tanggal": "2026-01-02", "Peristiwa": None}
    view = ByColumn(values, columns, by_column)
    assert dict(view) == {columns[h]: v for h, v in values.items()}
    assert view.keys() <= set(columns.values()) and len(view) == 3
    assert view.get(1) is None and 1 not in view and view[5] is None
    with pytest.raises(KeyError):
        view[1]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_part_reads_as_zipfile_reads_it_holding_it_once() -> None:
    big = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x%d</t></is></c></row>' % (n, n, n)
                   for n in range(1, 200_001))
    data = _zip({"xl/worksheets/sheet1.xml": big, "empty.xml": b""})
    package = Package(io.BytesIO(data))
    assert package.read("empty.xml") == b""
    tracemalloc.start()
    try:
        read = package.read("xl/worksheets/sheet1.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == big
    assert peak < 1.3 * len(big)  # zipfile.ZipFile.read peaks at twice the part


def test_a_damaged_part_is_refused() -> None:
    data = bytearray(_zip({"a.xml": b"<a>" * 1000}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("a.xml")
    info_crc = info.CRC.to_bytes(4, "little")
    at = data.index(info_crc)  # the local header's CRC: the central directory still says it
    data[at:at + 4] = (info.CRC ^ 1).to_bytes(4, "little")
    cd = data.rindex(info_crc)
    data[cd:cd + 4] = (info.CRC ^ 1).to_bytes(4, "little")
    with pytest.raises(zipfile.BadZipFile):
        Package(io.BytesIO(bytes(data))).read("a.xml")


def _deflated(data: bytes, level: int) -> int:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return len(compressor.compress(data) + compressor.flush())


def test_a_part_written_or_streamed_is_compressed_at_the_write_level_and_others_are_copied() -> None:
    """A write compresses every part it makes again, so their level sets its cost: each is deflated
    by the register's own zlib (zlib-ng) at ``COMPRESS_LEVEL``, the stream's bytes exactly as that
    zlib makes them; a part it does not touch keeps its stored bytes."""
    sheet = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n * 7919 % 10007)
                     for n in range(1, 20_001))
    source = _zip({"a.xml": b"", "b.xml": sheet, "c.xml": sheet})  # zipfile's level 6
    package = Package(io.BytesIO(source))
    package.write("a.xml", sheet)
    package.stream("b.xml", lambda: [sheet[:1000], sheet[1000:]])
    out = io.BytesIO()
    package.save(out)
    written = zipfile.ZipFile(out)
    names = ("a.xml", "b.xml", "c.xml")
    assert {n: written.read(n) for n in names} == dict.fromkeys(names, sheet)
    stored = zipfile.ZipFile(io.BytesIO(source)).getinfo("c.xml").compress_size
    assert len({_deflated(sheet, COMPRESS_LEVEL), _deflated(sheet, 6), stored}) == 3  # told apart
    assert written.getinfo("a.xml").compress_size == _deflated(sheet, COMPRESS_LEVEL)
    assert written.getinfo("b.xml").compress_size == _deflated(sheet, COMPRESS_LEVEL)
    assert written.getinfo("c.xml").compress_size == stored  # copied as stored
