"""The register's own zip members (:mod:`dip_sheets.register.xlsx_zip`): what it deflates or copies
reads back in zipfile with the CRC-32 and sizes in both headers, as zipfile writes them."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from dip_sheets.register.xlsx_zip import copy_member, inflate, write_member, zlib

SHEET = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n * 7919 % 10007)
                 for n in range(1, 5001))


def _local_header(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int, int, int]:
    """The flag bits, CRC-32, stored and inflated size in a member's local header."""
    signature, _, flags, _, _, _, crc, stored, size, _, _ = struct.unpack(
        "<IHHHHHIIIHH", data[info.header_offset:info.header_offset + 30])
    assert signature == 0x04034B50
    return flags, crc, stored, size


def test_members_written_and_copied_read_back_with_their_crc_and_sizes_in_both_headers() -> None:
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("kept.xml", SHEET)
    original = zipfile.ZipFile(source)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as written:
        write_member(written, zipfile.ZipInfo("empty.xml"), ())
        write_member(written, zipfile.ZipInfo("whole.xml", (2026, 1, 2, 3, 4, 6)), (SHEET,))
        view = memoryview(SHEET)
        write_member(written, zipfile.ZipInfo("pieces.xml"), (view[:7], b"", view[7:4000], view[4000:]))
        copy_member(source, written, original.getinfo("kept.xml"))
    data = out.getvalue()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    expected = {"empty.xml": b"", "whole.xml": SHEET, "pieces.xml": SHEET, "kept.xml": SHEET}
    assert archive.namelist() == list(expected)
    for name, content in expected.items():
        info = archive.getinfo(name)
        assert archive.read(name) == content
        assert (info.CRC, info.file_size) == (zlib.crc32(content), len(content))
        assert info.compress_type == zipfile.ZIP_DEFLATED
        flags, crc, stored, size = _local_header(data, info)
        assert not flags & 0x08  # no data descriptor: the local header holds the sizes
        assert (crc, stored, size) == (info.CRC, info.compress_size, info.file_size)
        assert inflate(io.BytesIO(data), info) == content
    assert archive.getinfo("whole.xml").date_time == (2026, 1, 2, 3, 4, 6)
    assert archive.getinfo("kept.xml").compress_size == original.getinfo("kept.xml").compress_size


def test_a_member_over_what_a_header_without_zip64_states_is_refused(monkeypatch: pytest.MonkeyPatch
                                                                     ) -> None:
    """More than 2 GB cannot fit a header without ZIP64 (a register of 100,000 rows makes ~150 MB):
    refused rather than written as a broken zip (the limit lowered here to stand for it)."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", len(SHEET) - 1)
    with zipfile.ZipFile(io.BytesIO(), "w") as written, pytest.raises(zipfile.LargeZipFile, match="big"):
        write_member(written, zipfile.ZipInfo("big.xml"), (SHEET,))
