"""The open-data files of a version: ``dip.csv``, ``dip.json`` with its schema, and ``dip.xlsx``.

Each takes the version's records (:func:`~dip_sheets.records.item_record`, in published order),
made once per render. Deterministic like the pages: the same records and version give the same
bytes. No cell of either spreadsheet file can open as a formula, whatever staff or the
configuration wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format

from .config import PublicBody
from .decisions import FORCED_KEY, RECORD_MEANINGS
from .history import Record
from .json_text import pieces
from .records import Version, neutralize_row
from .schema import RECORD_FIELDS as FIELDS
from .text_sheet import TextSheet

#: the control characters a workbook cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``, as one
#: character class: a search skips through it in C)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_csv(records: Sequence[Record]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Indonesian text correctly on a double click."""
    return "".join(csv_pieces(records)).encode("utf-8")


#: rows per piece of a file written in pieces
ROWS_PER_PIECE = 2000


def csv_pieces(records: Sequence[Record]) -> Iterator[str]:
    """:func:`render_csv` in pieces of :data:`ROWS_PER_PIECE` rows (the BOM leads the first)."""
    stream = io.StringIO()
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([f.label for f in FIELDS])
    keys = [f.key for f in FIELDS]
    for start in range(0, len(records), ROWS_PER_PIECE):
        writer.writerows(neutralize_row([str(record[key]) for key in keys])
                         for record in records[start:start + ROWS_PER_PIECE])
        yield stream.getvalue()
        stream.seek(0)
        stream.truncate()
    yield stream.getvalue()


def render_json(records: Sequence[Record], office: PublicBody, version: Version) -> bytes:
    """``dip.json``; its fields are documented by :func:`json_schema` (``dip.schema.json``)."""
    return "".join(json_pieces(records, office, version)).encode("utf-8")


def json_pieces(records: Sequence[Record], office: PublicBody, version: Version) -> Iterator[str]:
    """:func:`render_json` in pieces, a record each."""
    document = {
        "badan_publik": office.name,
        "tahun": version.year,
        "versi": version.id,
        "diterbitkan": version.published_at,
        "keputusan_ppid": version.decision.record() if version.decision is not None else {
            "nomor": version.decision_number, "tanggal": version.decision_date},
        **({FORCED_KEY: version.without_decision_year} if version.without_decision_year else {}),
        "jumlah": len(records),
        "item": iter(records),
    }
    yield from pieces(document)
    yield "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``dip.json``: the documentation of every field, machine-checkable."""
    text = {"type": "string"}
    item_properties = {
        f.key: {**({"type": "integer", "minimum": 0} if f.integer else text), "title": f.label,
                "description": f.meaning, **{word: _json(value) for word, value in f.json}}
        for f in FIELDS
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Daftar Informasi Publik (dip.json)",
        "description": "Daftar Informasi Publik menurut UU 14/2008 Pasal 11 ayat (1) huruf a dan"
                       " Perki 1/2021. Informasi yang dikecualikan tidak termasuk di dalamnya.",
        "type": "object",
        "required": ["badan_publik", "tahun", "versi", "diterbitkan", "keputusan_ppid", "jumlah", "item"],
        "additionalProperties": False,
        "properties": {
            "badan_publik": {**text, "description": "Nama badan publik"},
            "tahun": {"type": "integer", "description": "Tahun daftar"},
            "versi": {**text, "description": "Identitas versi terbitan; arsipnya di arsip/<versi>/"},
            "diterbitkan": {**text, "format": "date-time",
                            "description": "Waktu terbit (ISO 8601 dengan zona waktu)"},
            "keputusan_ppid": {
                "type": "object",
                "description": "Keputusan PPID yang menetapkan daftar",
                "required": ["nomor", "tanggal"],
                "additionalProperties": False,
                "properties": {key: {**text, "description": meaning}
                               for key, meaning in RECORD_MEANINGS.items()},
            },
            FORCED_KEY: {"type": "integer", "description": "Tahun daftar diterbitkan tanpa Keputusan"
                                                          " PPID tahun itu (--force); tidak ada bila ada"},
            "jumlah": {"type": "integer", "minimum": 0, "description": "Jumlah item"},
            "item": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        },
        "$defs": {"item": {
            "type": "object",
            "description": "Satu informasi publik, dengan unsur-unsur menurut Perki 1/2021",
            "required": [f.key for f in FIELDS],
            "additionalProperties": False,
            "properties": item_properties,
        }},
    }


def _json(value: object) -> object:
    """A keyword's value as JSON has it (the schema's tuples become arrays)."""
    return list(value) if isinstance(value, tuple) else value


#: up to this many records ``dip.xlsx`` is put together in memory: its sheet's XML is then held whole
#: (about 1.2 KB a record, several times that while it is compressed)
IN_MEMORY_ROWS = 20_000


def render_xlsx(records: Sequence[Record], office: PublicBody, version: Version) -> bytes:
    """``dip.xlsx``: the list for spreadsheet users, with a sheet explaining the columns.

    Written by xlsxwriter, which streams rows straight to XML, row by row to a temporary file
    (several times faster than building openpyxl's object model, and in constant memory). Every
    text is written as a string, never parsed into a formula, number or link; the document's dates
    and the ZIP entries' times are the version's publication time, so the same input gives the same
    bytes.
    """
    moment = dt.datetime.fromisoformat(version.published_at)
    utc = (moment.astimezone(dt.UTC) if moment.tzinfo else moment).replace(tzinfo=None)
    raw = io.BytesIO()
    # constant_memory: each row goes to a temporary file as it is written, not into a table of every
    # cell (30 MB at 10,000 rows); the text is stored in the cells, not in a shared-strings table.
    # in_memory: the workbook's parts are put together in memory rather than each in a temporary file
    # written, read back and removed (the same bytes); xlsxwriter's option turns constant_memory off,
    # so it is set again before a sheet is added. A long list's sheet is too big to hold whole.
    small = len(records) <= IN_MEMORY_ROWS
    book = Workbook(raw, {"constant_memory": True, "in_memory": small, "strings_to_numbers": False,
                          "strings_to_formulas": False, "strings_to_urls": False})
    book.constant_memory = True
    book.set_properties({"title": f"Daftar Informasi Publik {office.short_name} Tahun {version.year}",
                         "author": "dip-sheets", "created": utc})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#EEEEEE", "pattern": 1})
    sheet = book.add_worksheet("DIP", TextSheet)
    _write(sheet, 0, [f.label for f in FIELDS], header)
    for row, record in enumerate(records, start=1):
        _write(sheet, row, [record[f.key] for f in FIELDS])
    for index, f in enumerate(FIELDS):
        sheet.set_column(index, index, f.xlsx_width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(records), len(FIELDS) - 1)

    about = book.add_worksheet("Keterangan", TextSheet)
    for row, values in enumerate((
        ("Daftar Informasi Publik", f"{office.name}, tahun {version.year}"),
        ("Versi", version.id),
        ("Diterbitkan", version.date_text),
        ("Keputusan PPID", " tanggal ".join(p for p in (version.decision_number,
                                                        version.decision_date) if p)),
        ("Jumlah informasi", len(records)),
        (),
        ("Kolom", "Kunci JSON", "Arti"),
        *((f.label, f.key, f.meaning) for f in FIELDS),
    )):
        _write(about, row, values, bold if row == 6 else None, bold)  # the columns' heading: bold
    about.set_column(0, 0, 48)
    about.set_column(1, 1, 40)
    about.set_column(2, 2, 70)
    book.close()
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return _stamped(raw.getvalue(), max(stamp, (1980, 1, 1, 0, 0, 0)))  # ZIP starts in 1980


def _write(sheet: TextSheet, row: int, values: Iterable[Any], style: Format | None = None,
           first: Format | None = None) -> None:
    """One row, every text stored as text (never a formula, number or link), a whole number as a
    number; control characters a workbook cannot hold are dropped (the row's texts searched for them
    at once: they are rare); ``first`` styles the row's first cell."""
    values = [None if value is None or value == "" else value for value in values]  # no cell there
    if _ILLEGAL.search("".join([v for v in values if type(v) is str])) is not None:
        values = [_ILLEGAL.sub("", v) if type(v) is str else v for v in values]
    sheet.write_texts(row, [v if v is None or type(v) in (str, int) else _ILLEGAL.sub("", str(v))
                            for v in values], style, first)


#: the ZIP records :func:`_stamped` rewrites: the end of the central directory, and its entries
_END, _ENTRY = b"PK\x05\x06", b"PK\x01\x02"


def _stamped(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The ZIP ``data`` (as xlsxwriter writes it: no archive comment, no ZIP64) with every entry's
    time set to ``stamp`` and its permissions to ``rw-------``, in place: the compressed entries are
    kept as they are, not inflated and deflated again."""
    out = bytearray(data)
    time = stamp[3] << 11 | stamp[4] << 5 | stamp[5] // 2
    date = (stamp[0] - 1980) << 9 | stamp[1] << 5 | stamp[2]
    end = len(data) - 22
    if data[end:end + 4] != _END:
        raise ValueError("dip.xlsx: unexpected ZIP layout (an archive comment?)")
    count, position = struct.unpack_from("<H4xI", data, end + 10)
    for _ in range(count):
        if data[position:position + 4] != _ENTRY:
            raise ValueError("dip.xlsx: unexpected ZIP layout (ZIP64?)")
        name, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        local = struct.unpack_from("<I", data, position + 42)[0]
        struct.pack_into("<HH", out, position + 12, time, date)
        struct.pack_into("<I", out, position + 38, 0o600 << 16)
        struct.pack_into("<HH", out, local + 10, time, date)
        position += 46 + name + extra + comment
    return bytes(out)
