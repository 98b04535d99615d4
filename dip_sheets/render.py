"""Rendering: the established items become the files of one published version. Pure.

Everything here takes plain data and returns ``{file name: bytes}``; nothing reads the register or
touches the website (the only reads are the templates and the office's logo). Rendering is
deterministic: the same items, history and version metadata give byte-identical files, including the
workbook, which is how an unchanged re-publish is detected and skipped.

Every page is self-contained (styles, script and logo inlined): it works offline, from the archive,
and is switched live by one atomic rename.

Beside this module: ``records`` (the published record and the link and formula guards),
``opendata`` (CSV, JSON, XLSX) and ``templating`` (the sandboxed templates). ``Version`` and
``neutralize_formula`` are also importable from here, where their callers have always found them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import schema as s
from .config import PublicBody
from .dcat import DCAT_FILE, dcat_pieces
from .editions import Edition, edition_version, editions, item_of
from .errors import ConfigError
from .feed import FEED_FILE, feed_pieces
from .gc_pause import collection_paused
from .higher_dik import DIK_JSON, Inherited, inherited_context, render_dik_json
from .history import PastVersion, VersionChanges, established_by, timeline
from .ids import id_sort
from .list_split import Category, split
from .opendata import csv_pieces, json_pieces, json_schema, render_xlsx
from .records import LABELS, category_slug, item_record, safe_email, safe_link, sort_items
from .records import Version as Version
from .records import neutralize_formula as neutralize_formula
from .rendered import Rendered
from .templating import Rows, render_template, template_folder, template_pieces
from .templating import environment as environment
from .validate import Exclusion, Item

LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".svg": "image/svg+xml", ".webp": "image/webp"}
#: the logo is inlined into every page, so it must stay small for visitors on a phone.
LOGO_MAX_BYTES = 100_000
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def group_items(items: Sequence[Item]) -> list[tuple[str, list[tuple[str, list[Item]]]]]:
    """``[(category, [(sub-category, items)])]`` in legal order."""
    return _grouped(sort_items(items))


def _grouped(ordered: Sequence[Item]) -> list[tuple[str, list[tuple[str, list[Item]]]]]:
    """:func:`group_items` of items already in legal order (:func:`sort_items`)."""
    grouped: list[tuple[str, list[tuple[str, list[Item]]]]] = []
    for item in ordered:
        if not grouped or grouped[-1][0] != item.category:
            grouped.append((item.category, []))
        subgroups = grouped[-1][1]
        if not subgroups or subgroups[-1][0] != item.subcategory:
            subgroups.append((item.subcategory, []))
        subgroups[-1][1].append(item)
    return grouped


def categories(ordered: Sequence[Item]) -> list[Category]:
    """All three legal categories, even empty ones (the monitoring looks for each), numbered A, B, C;
    ``ordered``: the items in legal order (:func:`~dip_sheets.records.sort_items`)."""
    found = dict(_grouped(ordered))
    names = [*s.CATEGORIES, *(c for c in found if c not in s.CATEGORIES)]
    result = []
    groups = 0
    for index, name in enumerate(names):
        number = 0
        subgroups = []
        for sub, members in found.get(name, []):
            rows = []
            for item in members:
                number += 1
                rows.append((number, item))
            subgroups.append((sub, tuple(rows)))
        result.append(Category(name, category_slug(name), chr(ord("A") + index), tuple(subgroups), number,
                               groups))
        groups += len(subgroups)
    return result


def filter_choices(ordered: Sequence[Item]) -> dict[str, list[str]]:
    """The options of the page's filters, taken from what is actually published; ``ordered``: the items
    in legal order, so the first spelling met wins whatever the order they came in."""
    forms: dict[str, str] = {}
    for item in ordered:
        for part in re.split(r"\s+(?:dan|&)\s+|\s*[,/]\s*", item.form):
            if part.strip():
                forms.setdefault(part.strip().casefold(), part.strip())
    return {
        "unit": sorted({i.unit for i in ordered}, key=_text_order),
        "tahun": [str(y) for y in sorted({i.year for i in ordered if i.year}, reverse=True)],
        "bentuk": sorted(forms.values(), key=_text_order),
    }


def _text_order(text: str) -> tuple[str, str]:
    """Case-insensitive, with a tie-break, so the order never depends on set iteration."""
    return text.casefold(), text


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


def synonym_groups(text: str) -> list[list[str]]:
    """``[office] synonyms`` as groups of lower-case words the search treats as one."""
    groups = [[w.strip().casefold() for w in group.split(",") if w.strip()] for group in text.split(";")]
    for group in groups:
        if len(group) == 1:
            raise ConfigError(
                f"[office] synonyms: kelompok '{group[0]}' hanya berisi satu kata; tulis kata-kata yang"
                " sama artinya dipisah koma, dan kelompok dipisah titik koma.",
                f"[office] synonyms: group '{group[0]}' holds one word only; separate words of the same"
                " meaning by commas and groups by semicolons.",
            )
    return [g for g in groups if g]


def whatsapp_link(number: str) -> str:
    """A ``https://wa.me/`` link for an Indonesian number as people write it (0812-..., +62 812 ...)."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return f"https://wa.me/{digits}" if len(digits) >= 9 else ""


def channels(office: PublicBody) -> dict[str, str]:
    """Where a citizen asks for information or objects, each address checked like a cell's link."""
    return {
        "request": safe_link(office.request_url),
        "objection": safe_link(office.objection_url),
        "email": safe_email(office.email),
        "whatsapp": office.whatsapp.strip() if whatsapp_link(office.whatsapp) else "",
        "whatsapp_link": whatsapp_link(office.whatsapp),
        "address": office.address,
        "hours": office.hours,
    }


#: the downloadable PDF of the list (made by :mod:`dip_sheets.list_pdf`, outside this pure module)
PDF_FILE = "dip.pdf"


def render_site(
    items: Sequence[Item],
    exclusions: Sequence[Exclusion],
    office: PublicBody,
    version: Version,
    templates: Path | None = None,
    history: Sequence[PastVersion] = (),
    inherited: Inherited | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
    *,
    pdf: bool = False,
) -> Rendered:
    """All files of one version (on disk until read: :class:`~dip_sheets.rendered.Rendered`).
    ``exclusions`` never enter the DIP files.

    ``templates`` is the office's template folder (searched before the built-in templates).
    ``history`` holds the versions published before (read from their archived ``dip.json``); entries
    not older than ``version`` are ignored (see :func:`dip_sheets.history.timeline`). ``notes``
    says, per version id, what happened to it besides its changes (a rollback, a redaction:
    :func:`dip_sheets.archive_history.version_notes`), for the history page and the feed. Each past
    calendar year in it gets its page (:mod:`dip_sheets.editions`). ``pdf``: a ``dip.pdf`` of the
    list goes with this version (the index links it; the PDF itself is made by the publish).
    """
    # what a render allocates is freed by reference counting; the few cycles (a workbook and its
    # sheets) wait for the collector until the render ends (see gc_pause)
    with collection_paused():
        return _render_site(items, exclusions, office, version, templates, history, inherited, notes, pdf)


def _render_site(items: Sequence[Item], exclusions: Sequence[Exclusion], office: PublicBody, version: Version,
                 templates: Path | None, history: Sequence[PastVersion], inherited: Inherited | None,
                 notes: Mapping[str, Sequence[str]] | None, pdf: bool) -> Rendered:
    env = environment(template_folder(templates))
    ordered = sort_items(items)
    current = PastVersion.of(version, tuple(map(item_record, ordered)))
    changes: list[VersionChanges] = timeline(history, current)
    years = editions(history, version)
    context = {**_context(templates, office, version, ordered),
               "exclusions": sorted(exclusions, key=lambda x: id_sort(x.id)), "timeline": changes,
               "notes": notes or {}, "editions": years, "pdf": pdf,
               # the first version published under the current decision, when the list has changed since
               "established_by": established_by(changes),
               # the higher PPID's DIK entries, shown read-only on the DIK page (KPU: decided centrally)
               **inherited_context(*(inherited or Inherited()))}

    def page(name: str, template: str, **more: Any) -> Iterator[str]:
        return template_pieces(env, template, {**context, "page": name, **more}, templates)

    files = Rendered()
    _list_pages(files, page, "index", context["categories"])
    files.write("dip-fragment.html", page("fragment", "fragment.html.j2"))
    context["row"].forget()  # every page showing the current list's rows is written
    for edition in years:
        _edition_page(files, page, templates, context, edition)
    files.write("dik.html", page("dik", "dik.html.j2"))
    files.write("riwayat.html", page("riwayat", "riwayat.html.j2"))
    files.write("aksesibilitas.html", page("aksesibilitas", "aksesibilitas.html.j2"))
    # followed and found: an Atom feed of the published versions; a sitemap needs full addresses
    files.write("feed.xml", page("feed", "feed.xml.j2"))
    files.write("dip.csv", csv_pieces(current.records))
    files.write("dip.json", json_pieces(current.records, office, version))
    files["dip.schema.json"] = (json.dumps(json_schema(), ensure_ascii=False, indent=1) + "\n").encode()
    files["dip.xlsx"] = render_xlsx(current.records, office, version)
    # what an aggregator (a province, a data portal) needs: the changes since the previous version,
    # and the list as a DCAT catalogue
    files[DIK_JSON] = render_dik_json(exclusions, office, context["version"])
    # the changes since the previous version, worked out once for the history page, the feed and DCAT
    files.write(FEED_FILE, feed_pieces(current, changes[0].previous, context["base_url"],
                                       (notes or {}).get(version.id, ()), changes[0]))
    files.write(DCAT_FILE, dcat_pieces(current.records, office, context["version"], history, changes))
    if context["base_url"]:
        files.write("sitemap.xml", page("sitemap", "sitemap.xml.j2"))
    files.changes = changes[0]
    return files


def list_page(items: Sequence[Item], office: PublicBody, version: Version,
              templates: Path | None = None) -> bytes:
    """The whole list as one page, never split: what the downloadable PDF is printed from."""
    env = environment(template_folder(templates))
    context = {**_context(templates, office, version, sort_items(items)), "editions": [], "pdf": False,
               "page": "index"}
    return render_template(env, "index.html.j2", context, templates).encode("utf-8")


def _context(templates: Path | None, office: PublicBody, version: Version, ordered: Sequence[Item]
             ) -> dict[str, Any]:
    """What every page of a version shows: the office, the version, and ``ordered`` (the items in
    legal order) as the list, each row rendered once for all the pages that show it."""
    # every address from the configuration passes the same check as a cell's link before it can
    # reach a page, whichever template (built-in or the office's) uses it
    shown_office = dataclasses.replace(office, website=safe_link(office.website),
                                       email=safe_email(office.email))
    shown_version = dataclasses.replace(version, site_url=safe_link(version.site_url))
    context = {
        "office": shown_office,
        "version": shown_version,
        "categories": categories(ordered),
        "count": len(ordered),
        "choices": filter_choices(ordered),
        "labels": LABELS,
        "columns": s.PAGE_COLUMNS,
        "column_fields": [(c.key, c.field.attr) for c in s.PAGE_COLUMNS],
        "logo": logo_data_uri(office.logo),
        "colors": colors(office.color),
        "website": shown_office.website,
        "channels": channels(office),
        "synonyms": synonym_groups(office.synonyms),
        "base_url": shown_version.site_url,
        "edition": None,
        "split": None,
        "established_by": None,
    }
    context["row"] = Rows(templates, context)
    return context


def _list_pages(files: Rendered, page: Callable[..., Iterator[str]], name: str, cats: list[Category],
                **more: Any) -> None:
    """``<name>.html`` with the list; a long list's page carries its first rows and the rest goes
    beside it (:mod:`dip_sheets.list_split`)."""
    cut = split(cats, name)
    if cut is None:
        files.write(f"{name}.html", page(name, "index.html.j2", categories=cats, **more))
        return
    files.write(f"{name}.html", page(name, "index.html.j2", categories=cut.categories, split=cut, **more))
    files.write(cut.file, page(name, "lanjutan.js.j2", split=cut, **more))


def _edition_page(files: Rendered, page: Callable[..., Iterator[str]], templates: Path | None,
                  context: dict[str, Any], edition: Edition) -> None:
    """A past year's page: that year's last list, as it was published."""
    ordered = sort_items([item_of(r) for r in edition.version.records])
    more = {"edition": edition, "version": edition_version(edition, context["base_url"]),
            "count": len(ordered), "choices": filter_choices(ordered), "pdf": False}
    _list_pages(files, page, edition.page, categories(ordered), **more,
                row=Rows(templates, {**context, **more}))
