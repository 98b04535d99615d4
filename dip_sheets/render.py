"""Rendering: the established items become the files of one published version. Pure.

Everything here takes plain data and returns ``{file name: bytes}``; nothing reads the register or
touches the website. Rendering is deterministic: the same items and the same version metadata give
byte-identical files, which is how an unchanged re-publish is detected and skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from . import schema as s
from .config import Office
from .validate import Exclusion, Item

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: The open-data fields, in order, with their meaning (also published in the JSON Schema).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "ID", "Identitas tetap item (mis. DIP-0007)"),
    ("kategori", s.CATEGORY, "Berkala, Serta Merta atau Setiap Saat"),
    ("sub_kategori", s.SUBCATEGORY, "Judul kelompok"),
    ("judul", s.TITLE, "Judul informasi"),
    ("ringkasan", s.SUMMARY, "Ringkasan isi informasi"),
    ("unit_penguasa", "Pejabat/Unit/Satker yang Menguasai Informasi", "Unit yang menguasai"),
    ("penanggung_jawab", "Penanggung Jawab Pembuatan atau Penerbitan Informasi", "Pejabat"),
    ("waktu_pembuatan", s.CREATED, "Tahun atau tanggal pembuatan"),
    ("tahun", "Tahun", "Tahun pembuatan (angka, untuk penyaringan)"),
    ("tempat_pembuatan", s.PLACE, "Tempat pembuatan"),
    ("bentuk", "Bentuk Informasi yang Tersedia", "Softcopy, Hardcopy, atau keduanya"),
    ("retensi", "Jangka Waktu Penyimpanan atau Retensi Arsip", "mis. 5 tahun, Selama Berlaku"),
    ("tautan", s.LINK, "Alamat softcopy (http/https), bila ada"),
    ("keterangan", s.REMARKS, "Keterangan"),
)


@dataclass(frozen=True)
class Version:
    """What identifies one published version of the list."""

    id: str  # e.g. 20261125-141023
    published_at: str  # ISO 8601 with offset
    date_text: str  # "25 November 2026", for the page
    decision_number: str = ""
    decision_date: str = ""
    year: int = 0


def item_record(item: Item) -> dict[str, Any]:
    """An item as an open-data record (the ``dip.json`` / ``dip.csv`` row)."""
    return {
        "id": item.id, "kategori": item.category, "sub_kategori": item.subcategory,
        "judul": item.title, "ringkasan": item.summary, "unit_penguasa": item.unit,
        "penanggung_jawab": item.responsible, "waktu_pembuatan": item.created,
        "tahun": item.year, "tempat_pembuatan": item.place, "bentuk": item.form,
        "retensi": item.retention, "tautan": item.link, "keterangan": item.remarks,
    }


def sort_items(items: Sequence[Item]) -> list[Item]:
    """Legal order of categories, then sub-category, then ID."""
    order = {c: i for i, c in enumerate(s.CATEGORIES)}
    return sorted(items, key=lambda i: (order.get(i.category, 99), i.subcategory.casefold(),
                                        _id_sort(i.id)))


def _id_sort(item_id: str) -> tuple[str, int]:
    prefix, _, number = item_id.partition("-")
    return prefix, int(number) if number.isdigit() else 0


def group_items(items: Sequence[Item]) -> list[tuple[str, list[tuple[str, list[Item]]]]]:
    """``[(category, [(sub-category, items)])]`` in legal order, for the templates."""
    grouped: list[tuple[str, list[tuple[str, list[Item]]]]] = []
    for item in sort_items(items):
        if not grouped or grouped[-1][0] != item.category:
            grouped.append((item.category, []))
        subgroups = grouped[-1][1]
        if not subgroups or subgroups[-1][0] != item.subcategory:
            subgroups.append((item.subcategory, []))
        subgroups[-1][1].append(item)
    return grouped


def safe_link(url: str) -> str:
    """A link is shown only when it is http(s); anything else (``javascript:``...) is dropped."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def neutralize_formula(text: str) -> str:
    """Cells starting with ``= + - @`` (or tab/CR) open as text in Excel, not as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(items: Sequence[Item]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([label for _, label, _ in FIELDS])
    for item in sort_items(items):
        record = item_record(item)
        writer.writerow([neutralize_formula(str(record[key])) for key, _, _ in FIELDS])
    return b"\xef\xbb\xbf" + stream.getvalue().encode("utf-8")


def render_json(items: Sequence[Item], office: Office, version: Version) -> bytes:
    document = {
        "badan_publik": office.name,
        "versi": version.id,
        "diterbitkan": version.published_at,
        "keputusan_ppid": {"nomor": version.decision_number, "tanggal": version.decision_date},
        "jumlah": len(items),
        "item": [item_record(i) for i in sort_items(items)],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def environment(override: Path | None = None) -> Environment:
    """Jinja2 with autoescape on; an office's own template folder is searched first."""
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
) -> dict[str, bytes]:
    """All files of one version. ``exclusions`` never enter the DIP files."""
    env = environment(templates)
    context = {
        "office": office,
        "version": version,
        "groups": group_items(items),
        "count": len(items),
        "exclusions": sorted(exclusions, key=lambda x: _id_sort(x.id)),
    }
    return {
        "index.html": env.get_template("index.html.j2").render(context).encode("utf-8"),
        "dik.html": env.get_template("dik.html.j2").render(context).encode("utf-8"),
        "dip.csv": render_csv(items),
        "dip.json": render_json(items, office, version),
    }
