"""Rendering: the established items become the files of one published version. Pure.

Everything here takes plain data and returns ``{file name: bytes}``; nothing reads the register or
touches the website (the only reads are the templates and the office's logo). Rendering is
deterministic: the same items, history and version metadata give byte-identical files, including the
workbook, which is how an unchanged re-publish is detected and skipped.

Every page is self-contained (styles, script and logo inlined): it works offline, from the archive,
and is switched live by one atomic rename.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import schema as s
from .config import Office
from .errors import ConfigError
from .history import PastVersion, VersionChanges, timeline
from .validate import Exclusion, Item

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: The open-data fields, in order, with their meaning (also published in the JSON Schema).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "ID", "Identitas tetap item (mis. DIP-0007); tidak pernah dipakai ulang"),
    ("kategori", s.CATEGORY, "Berkala, Serta Merta atau Setiap Saat (UU 14/2008 Pasal 9, 10, 11)"),
    ("sub_kategori", s.SUBCATEGORY, "Judul kelompok dalam kategori; boleh kosong"),
    ("judul", s.TITLE, "Judul informasi"),
    ("ringkasan", s.SUMMARY, "Ringkasan isi informasi"),
    ("unit_penguasa", "Pejabat/Unit/Satker yang Menguasai Informasi", "Unit yang menguasai informasi"),
    ("penanggung_jawab", "Penanggung Jawab Pembuatan atau Penerbitan Informasi",
     "Pejabat yang bertanggung jawab atas pembuatan atau penerbitan informasi"),
    ("waktu_pembuatan", s.CREATED, "Tahun atau tanggal pembuatan, seperti tertulis di daftar"),
    ("tahun", "Tahun", "Tahun pembuatan (angka, untuk penyaringan)"),
    ("tempat_pembuatan", s.PLACE, "Tempat pembuatan"),
    ("bentuk", "Bentuk Informasi yang Tersedia", "Softcopy, Hardcopy, atau keduanya"),
    ("retensi", "Jangka Waktu Penyimpanan atau Retensi Arsip", "mis. 5 tahun, Selama Berlaku, Permanen"),
    ("tautan", s.LINK, "Alamat softcopy (http/https); kosong bila tidak ada"),
    ("keterangan", s.REMARKS, "Keterangan; boleh kosong"),
)
LABELS = {key: label for key, label, _ in FIELDS}

#: the category headings' HTML ids, used by the table of contents and shareable links.
SLUGS = {"Berkala": "berkala", "Serta Merta": "serta-merta", "Setiap Saat": "setiap-saat"}
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".svg": "image/svg+xml", ".webp": "image/webp"}
#: the logo is inlined into every page, so it must stay small for visitors on a phone.
LOGO_MAX_BYTES = 100_000
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


@dataclass(frozen=True)
class Version:
    """What identifies one published version of the list."""

    id: str  # e.g. 20261125-141023
    published_at: str  # ISO 8601 with offset
    date_text: str  # "25 November 2026", for the page
    decision_number: str = ""
    decision_date: str = ""
    year: int = 0
    #: public address of the published folder, ending in ``/``; links between versions use it so
    #: that archived copies link correctly too (relative to the live folder when empty).
    site_url: str = ""


@dataclass(frozen=True)
class Category:
    """One of the three legal categories as the page shows it, rows numbered within the category."""

    name: str
    slug: str
    letter: str
    subgroups: tuple[tuple[str, tuple[tuple[int, Item], ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(rows) for _, rows in self.subgroups)


def item_record(item: Item) -> dict[str, Any]:
    """An item as an open-data record (the ``dip.json`` / ``dip.csv`` / ``dip.xlsx`` row)."""
    return {
        "id": item.id, "kategori": item.category, "sub_kategori": item.subcategory,
        "judul": item.title, "ringkasan": item.summary, "unit_penguasa": item.unit,
        "penanggung_jawab": item.responsible, "waktu_pembuatan": item.created,
        "tahun": item.year, "tempat_pembuatan": item.place, "bentuk": item.form,
        "retensi": item.retention, "tautan": safe_link(item.link), "keterangan": item.remarks,
    }


def sort_items(items: Sequence[Item]) -> list[Item]:
    """Legal order of categories; within one, sub-categories in the order the units first entered
    them (the lowest ID: "Profil Badan Publik" entered first stays first), then by ID."""
    order = {c: i for i, c in enumerate(s.CATEGORIES)}
    first: dict[tuple[str, str], tuple[str, int, str]] = {}
    for item in items:
        group = (item.category, item.subcategory.casefold())
        first[group] = min(first.get(group, _id_sort(item.id)), _id_sort(item.id))
    return sorted(items, key=lambda i: (order.get(i.category, 99), i.category,
                                        first[(i.category, i.subcategory.casefold())],
                                        i.subcategory.casefold(), i.subcategory, _id_sort(i.id)))


def _id_sort(item_id: str) -> tuple[str, int, str]:
    prefix, _, number = item_id.partition("-")
    return prefix, int(number) if number.isdigit() else 0, item_id


def group_items(items: Sequence[Item]) -> list[tuple[str, list[tuple[str, list[Item]]]]]:
    """``[(category, [(sub-category, items)])]`` in legal order."""
    grouped: list[tuple[str, list[tuple[str, list[Item]]]]] = []
    for item in sort_items(items):
        if not grouped or grouped[-1][0] != item.category:
            grouped.append((item.category, []))
        subgroups = grouped[-1][1]
        if not subgroups or subgroups[-1][0] != item.subcategory:
            subgroups.append((item.subcategory, []))
        subgroups[-1][1].append(item)
    return grouped


def categories(items: Sequence[Item]) -> list[Category]:
    """All three legal categories, even empty ones (the monitoring looks for each), numbered A, B, C."""
    found = dict(group_items(items))
    names = [*s.CATEGORIES, *(c for c in found if c not in s.CATEGORIES)]
    result = []
    for index, name in enumerate(names):
        number = 0
        subgroups = []
        for sub, members in found.get(name, []):
            rows = []
            for item in members:
                number += 1
                rows.append((number, item))
            subgroups.append((sub, tuple(rows)))
        slug = SLUGS.get(name) or "kategori-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        result.append(Category(name, slug, chr(ord("A") + index), tuple(subgroups)))
    return result


def filter_choices(items: Sequence[Item]) -> dict[str, list[str]]:
    """The options of the page's filters, taken from what is actually published."""
    forms: dict[str, str] = {}
    for item in sort_items(items):  # the first spelling met wins, whatever the input order
        for part in re.split(r"\s+(?:dan|&)\s+|\s*[,/]\s*", item.form):
            if part.strip():
                forms.setdefault(part.strip().casefold(), part.strip())
    return {
        "unit": sorted({i.unit for i in items}, key=_text_order),
        "tahun": [str(y) for y in sorted({i.year for i in items if i.year}, reverse=True)],
        "bentuk": sorted(forms.values(), key=_text_order),
    }


def _text_order(text: str) -> tuple[str, str]:
    """Case-insensitive, with a tie-break, so the order never depends on set iteration."""
    return text.casefold(), text


def safe_link(url: str) -> str:
    """A link is shown only when it is http(s); anything else (``javascript:``...) is dropped."""
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def neutralize_formula(text: str) -> str:
    """Cells starting with ``= + - @`` (or tab/CR) open as text in Excel, not as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(items: Sequence[Item]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Indonesian text correctly on a double click."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([label for _, label, _ in FIELDS])
    for item in sort_items(items):
        record = item_record(item)
        writer.writerow([neutralize_formula(str(record[key])) for key, _, _ in FIELDS])
    return b"\xef\xbb\xbf" + stream.getvalue().encode("utf-8")


def render_json(items: Sequence[Item], office: Office, version: Version) -> bytes:
    """``dip.json``; its fields are documented by :func:`json_schema` (``dip.schema.json``)."""
    document = {
        "badan_publik": office.name,
        "tahun": version.year,
        "versi": version.id,
        "diterbitkan": version.published_at,
        "keputusan_ppid": {"nomor": version.decision_number, "tanggal": version.decision_date},
        "jumlah": len(items),
        "item": [item_record(i) for i in sort_items(items)],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``dip.json``: the documentation of every field, machine-checkable."""
    text = {"type": "string"}
    item_properties: dict[str, Any] = {}
    for key, label, meaning in FIELDS:
        kind = {"type": "integer", "minimum": 0} if key == "tahun" else text
        item_properties[key] = {**kind, "title": label, "description": meaning}
    item_properties["id"]["minLength"] = 1
    item_properties["kategori"]["enum"] = list(s.CATEGORIES)
    item_properties["tautan"]["pattern"] = "^([Hh][Tt][Tt][Pp][Ss]?://|$)"
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
                "properties": {"nomor": {**text, "description": "Nomor keputusan"},
                               "tanggal": {**text, "description": "Tanggal keputusan"}},
            },
            "jumlah": {"type": "integer", "minimum": 0, "description": "Jumlah item"},
            "item": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        },
        "$defs": {"item": {
            "type": "object",
            "description": "Satu informasi publik, dengan unsur-unsur menurut Perki 1/2021",
            "required": [key for key, _, _ in FIELDS],
            "additionalProperties": False,
            "properties": item_properties,
        }},
    }


def render_xlsx(items: Sequence[Item], office: Office, version: Version) -> bytes:
    """``dip.xlsx``: the list for spreadsheet users, with a sheet explaining the columns.

    openpyxl stamps the save time into the document properties and the ZIP entries; both are set
    from the version's publication time here, so the same input gives the same bytes.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "DIP"
    sheet.append([label for _, label, _ in FIELDS])
    for item in sort_items(items):
        record = item_record(item)
        sheet.append([_xlsx_value(record[key]) for key, _, _ in FIELDS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a value like "=HYPERLINK(...)" stays text, never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    widths = {"ringkasan": 60, "judul": 40, "unit_penguasa": 36, "penanggung_jawab": 30, "tautan": 40}
    for index, (key, _, _) in enumerate(FIELDS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(key, 16)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{sheet.max_row}"

    about = book.create_sheet("Keterangan")
    for row in (
        ("Daftar Informasi Publik", f"{office.name}, tahun {version.year}"),
        ("Versi", version.id),
        ("Diterbitkan", version.date_text),
        ("Keputusan PPID", " tanggal ".join(p for p in (version.decision_number,
                                                        version.decision_date) if p)),
        ("Jumlah informasi", len(items)),
        (),
        ("Kolom", "Kunci JSON", "Arti"),
        *((label, key, meaning) for key, label, meaning in FIELDS),
    ):
        about.append([_xlsx_value(v) for v in row])
    for cell in (*about["A"], about["B7"], about["C7"]):
        cell.font = Font(bold=True)
    about.column_dimensions["A"].width = 48
    about.column_dimensions["B"].width = 40
    about.column_dimensions["C"].width = 70

    moment = dt.datetime.fromisoformat(version.published_at)
    utc = (moment.astimezone(dt.UTC) if moment.tzinfo else moment).replace(tzinfo=None)
    book.properties.created = book.properties.modified = utc
    book.properties.creator = book.properties.lastModifiedBy = "dip-sheets"
    book.properties.title = f"Daftar Informasi Publik {office.short_name} Tahun {version.year}"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return _fixed_zip(raw.getvalue(), max(stamp, (1980, 1, 1, 0, 0, 0)))  # ZIP starts in 1980


def _xlsx_value(value: Any) -> Any:
    """Text without the control characters a workbook cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _fixed_zip(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The same ZIP with every entry's time set to ``stamp`` (entries keep their order)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def logo_data_uri(path: str) -> str:
    """The office's logo as a ``data:`` URI, so every page (and its archived copy) is self-contained."""
    if not path:
        return ""
    file = Path(path)
    kind = LOGO_TYPES.get(file.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"[office] logo '{path}': jenis berkas tidak didukung; gunakan PNG, JPG, GIF, SVG atau WebP.",
            f"[office] logo '{path}': unsupported file type; use PNG, JPG, GIF, SVG or WebP.",
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"[office] logo '{path}' tidak dapat dibaca: {exc}.",
                          f"[office] logo '{path}' cannot be read: {exc}.") from None
    if len(data) > LOGO_MAX_BYTES:
        raise ConfigError(
            f"[office] logo '{path}' berukuran {len(data):,} bita; perkecil sampai di bawah"
            f" {LOGO_MAX_BYTES:,} bita (logo dimuat di setiap halaman).",
            f"[office] logo '{path}' is {len(data):,} bytes; shrink it below {LOGO_MAX_BYTES:,} bytes"
            " (it is embedded in every page).",
        )
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def colors(color: str) -> dict[str, str]:
    """The office colour and the colours that keep text readable on and in it (WCAG AA, 4.5:1)."""
    if not _HEX_COLOR.match(color):
        raise ConfigError(f"[office] color '{color}' harus kode warna seperti #8a1c1c.",
                          f"[office] color '{color}' must be a colour code such as #8a1c1c.")
    hex6 = color[1:] if len(color) == 7 else "".join(c * 2 for c in color[1:])
    channels = [int(hex6[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    on_white = 1.05 / (luminance + 0.05)
    return {
        "accent": f"#{hex6.lower()}",
        "on_accent": "#ffffff" if on_white >= (luminance + 0.05) / 0.05 else "#000000",
        "ink": f"#{hex6.lower()}" if on_white >= 4.5 else "#1a1a1a",
    }


@functools.lru_cache(maxsize=8)
def environment(override: Path | None = None) -> Environment:
    """Jinja2 with autoescape on; an office's own template folder is searched first.

    One environment per template folder, kept, so templates are compiled once per process (Jinja
    still reloads a template whose file changed).
    """
    folders = [str(override)] if override else []
    env = Environment(
        loader=FileSystemLoader([*folders, str(TEMPLATES)]),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_link"] = safe_link
    return env


def render_site(
    items: Sequence[Item],
    exclusions: Sequence[Exclusion],
    office: Office,
    version: Version,
    templates: Path | None = None,
    history: Sequence[PastVersion] = (),
) -> dict[str, bytes]:
    """All files of one version. ``exclusions`` never enter the DIP files.

    ``history`` holds the versions published before (read from their archived ``dip.json``); entries
    not older than ``version`` are ignored (see :func:`dip_sheets.history.timeline`).
    """
    env = environment(templates)
    current = PastVersion(version.id, version.published_at, version.decision_number,
                          version.decision_date, tuple(item_record(i) for i in sort_items(items)))
    changes: list[VersionChanges] = timeline(history, current)
    context = {
        "office": office,
        "version": version,
        "categories": categories(items),
        "count": len(items),
        "choices": filter_choices(items),
        "exclusions": sorted(exclusions, key=lambda x: _id_sort(x.id)),
        "timeline": changes,
        "labels": LABELS,
        "logo": logo_data_uri(office.logo),
        "colors": colors(office.color),
        "website": safe_link(office.website),
    }

    def page(name: str, template: str) -> bytes:
        return env.get_template(template).render(context, page=name).encode("utf-8")

    return {
        "index.html": page("index", "index.html.j2"),
        "dik.html": page("dik", "dik.html.j2"),
        "riwayat.html": page("riwayat", "riwayat.html.j2"),
        "dip-fragment.html": page("fragment", "fragment.html.j2"),
        "dip.csv": render_csv(items),
        "dip.json": render_json(items, office, version),
        "dip.schema.json": (json.dumps(json_schema(), ensure_ascii=False, indent=1) + "\n").encode(),
        "dip.xlsx": render_xlsx(items, office, version),
    }
