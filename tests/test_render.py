"""Rendering: what a citizen, a spreadsheet user and a data consumer receive, built from plain items.

Items are made with the ``Item`` dataclass directly: rendering must not depend on the register.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import re
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from dip_sheets import schema as s
from dip_sheets.config import DEFAULT_UNITS, PublicBody
from dip_sheets.errors import ConfigError
from dip_sheets.history import PastVersion, diff, timeline
from dip_sheets.records import FIELDS, item_record, neutralize_formula, safe_link
from dip_sheets.render import Version, colors, render_site
from dip_sheets.validate import Exclusion, Item

OFFICE = PublicBody(
    name="Komisi Pemilihan Umum Kabupaten Serang", short_name="KPU Kabupaten Serang",
    address="Jl. Veteran No. 1, Serang", city="Serang", email="ppid@kpu-serangkab.go.id",
    ppid_title="PPID KPU Kabupaten Serang", ppid_name="Siti Aminah, S.H.",
)
DIP_FILES = ("index.html", "dip-fragment.html", "dip.csv", "dip.json", "dip.xlsx")
SUBS = ("Profil Badan Publik", "Program dan Kegiatan", "Laporan Keuangan", "Peraturan dan Keputusan")


def version(vid: str = "20261125-100000", at: str = "2026-11-25T10:00:00+07:00",
            date: str = "25 November 2026", decision: str = "12/PPID/2026") -> Version:
    return Version(vid, at, date, decision, "2 Januari 2026", 2026)


def item(number: int, title: str | None = None, **changes: object) -> Item:
    """A realistic item: wording and lengths like the KPU rows of the demo."""
    year = 2016 + number % 10
    base = Item(
        id=f"DIP-{number:04d}", category=s.CATEGORIES[number % 3], subcategory=SUBS[number % 4],
        title=title or f"Laporan Realisasi Anggaran Triwulan {number % 4 + 1} Tahun {year}",
        summary="Realisasi pendapatan dan belanja per program dan kegiatan satuan kerja.",
        unit=DEFAULT_UNITS[number % len(DEFAULT_UNITS)], responsible="Sekretaris KPU Kabupaten Serang",
        created="7 Februari 2022", year=year, place="Serang",
        form=("Softcopy", "Hardcopy", "Softcopy dan Hardcopy")[number % 3], retention="5 tahun",
        link=f"https://ppid.kpu-serangkab.go.id/dok/lra-{number}.pdf" if number % 3 else "",
        remarks="",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


EXCLUDED = Exclusion(
    id="DIK-0001", information="Data Pribadi Anggota KPPS Rahasia", unit=DEFAULT_UNITS[1],
    legal_basis="UU 14/2008 Pasal 17 huruf h", if_opened="Melanggar perlindungan data pribadi",
    if_closed="Data pribadi terlindungi", period="5 tahun", tested_on="2 Januari 2026",
    decision="Keputusan PPID Nomor 3/PPID/2026", expires=None,
)


def site(items: Sequence[Item], **kwargs: object) -> Mapping[str, bytes]:
    return render_site(items, [EXCLUDED], OFFICE, version(), **kwargs)  # type: ignore[arg-type]


def text(files: Mapping[str, bytes], name: str) -> str:
    return files[name].decode("utf-8")


def xlsx_text(data: bytes) -> str:
    """Every cell value of the workbook, for "does it contain" checks (the file itself is zipped)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)


# ---- escaping and links ------------------------------------------------------------------------


def test_script_in_a_cell_is_shown_as_text_in_the_page_and_the_fragment() -> None:
    files = site([item(1, summary="<script>alert(1)</script>", title='"><img src=x onerror=alert(2)>')])
    for name in ("index.html", "dip-fragment.html"):
        page = text(files, name)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x" not in page


def test_only_http_links_are_rendered_as_links() -> None:
    files = site([item(1, link="javascript:alert(1)"), item(2, link="https://ppid.example.go.id/a.pdf")])
    for name in ("index.html", "dip-fragment.html"):
        page = text(files, name)
        assert "javascript:" not in page
        assert '<a href="https://ppid.example.go.id/a.pdf">' in page
    assert [r["tautan"] for r in json.loads(files["dip.json"])["item"]] == [
        "", "https://ppid.example.go.id/a.pdf"]
    assert safe_link(" HTTPS://x.go.id ") == "HTTPS://x.go.id"
    assert safe_link("data:text/html,x") == ""


def test_csv_opens_formulas_as_text_and_starts_with_a_bom() -> None:
    files = site([item(1, title='=HYPERLINK("http://x","y")', summary="+62 812", remarks="@SUM(A1)")])
    data = files["dip.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [label for _, label, _ in FIELDS]
    record = dict(zip([key for key, _, _ in FIELDS], rows[1], strict=True))
    assert record["judul"] == """'=HYPERLINK("http://x","y")"""
    assert record["ringkasan"] == "'+62 812"
    assert record["keterangan"] == "'@SUM(A1)"
    assert [neutralize_formula(t) for t in ("-1", "\tx", "\rx", "ok")] == ["'-1", "'\tx", "'\rx", "ok"]


def test_xlsx_keeps_formulas_as_plain_text() -> None:
    files = site([item(1, title='=HYPERLINK("http://x","y")')])
    book = openpyxl.load_workbook(io.BytesIO(files["dip.xlsx"]))
    cell = book["DIP"]["D2"]
    assert book["DIP"]["D1"].value == s.TITLE
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(files["dip.xlsx"])) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet


# ---- open data ---------------------------------------------------------------------------------


def test_dip_json_validates_against_the_published_schema() -> None:
    files = site([item(n) for n in range(1, 8)] + [item(9, link="javascript:x", remarks="")])
    schema = json.loads(files["dip.schema.json"])
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(files["dip.json"])
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["jumlah"] == 8 and document["keputusan_ppid"]["nomor"] == "12/PPID/2026"
    for key, _, meaning in FIELDS:  # every field is documented
        assert schema["$defs"]["item"]["properties"][key]["description"] == meaning
    broken = {**document, "item": [{**document["item"][0], "kategori": "Dikecualikan"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_xlsx_has_the_records_and_an_explanation_sheet() -> None:
    files = site([item(1), item(2)])
    book = openpyxl.load_workbook(io.BytesIO(files["dip.xlsx"]))
    assert book.sheetnames == ["DIP", "Keterangan"]
    rows = list(book["DIP"].iter_rows(values_only=True))
    assert rows[0] == tuple(label for _, label, _ in FIELDS)
    assert rows[1] == tuple(item_record(item(1))[key] or None for key, _, _ in FIELDS)
    assert book.properties.modified.isoformat() == "2026-11-25T03:00:00"


# ---- what never mixes --------------------------------------------------------------------------


def test_excluded_information_appears_only_in_the_dik_page() -> None:
    files = site([item(1), item(2)])
    secret = EXCLUDED.information
    for name in DIP_FILES:
        body = xlsx_text(files[name]) if name.endswith(".xlsx") else text(files, name)
        assert secret not in body, name
        assert "DIK-0001" not in body, name
    dik = text(files, "dik.html")
    for shown in (secret, EXCLUDED.legal_basis, EXCLUDED.if_opened, EXCLUDED.if_closed,
                  EXCLUDED.decision, EXCLUDED.unit):
        assert shown in dik
    assert 'href="dik.html"' in text(files, "index.html")
    assert "Laporan Realisasi" not in dik


def test_categories_appear_in_legal_order_each_with_its_heading() -> None:
    files = site([item(3, category="Setiap Saat"), item(1, category="Serta Merta"),
                  item(2, category="Berkala")])
    for name in ("index.html", "dip-fragment.html"):
        page = text(files, name)
        positions = [page.index(f"Informasi {c}</h2>") for c in s.CATEGORIES]
        assert positions == sorted(positions), name
        assert page.index("DIP-0002") < page.index("DIP-0001") < page.index("DIP-0003")
    assert [r["kategori"] for r in json.loads(files["dip.json"])["item"]] == list(s.CATEGORIES)


def test_an_empty_category_still_has_its_heading() -> None:
    page = text(site([item(1, category="Berkala")]), "index.html")
    assert "B. Informasi Serta Merta</h2>" in page
    assert "Belum ada informasi serta merta yang ditetapkan." in page


# ---- the page ----------------------------------------------------------------------------------


def test_index_shows_title_decision_update_date_columns_and_print_signature() -> None:
    page = text(site([item(1)]), "index.html")
    assert "<title>Daftar Informasi Publik KPU Kabupaten Serang Tahun 2026</title>" in page
    assert '<html lang="id">' in page
    assert "Nomor <strong>12/PPID/2026</strong> tanggal <strong>2 Januari 2026</strong>" in page
    assert "Pemutakhiran terakhir" in page and "25 November 2026" in page
    headers = (("ringkasan", "Ringkasan Isi Informasi"),
               ("unit_penguasa", "Pejabat/Unit/Satker yang Menguasai Informasi"),
               ("penanggung_jawab", "Penanggung Jawab Pembuatan atau Penerbitan Informasi"),
               ("waktu_pembuatan", "Waktu dan Tempat Pembuatan Informasi"),
               ("bentuk", "Bentuk Informasi yang Tersedia"),
               ("retensi", "Jangka Waktu Penyimpanan atau Retensi Arsip"))
    assert '<th scope="col">No</th>' + "".join(
        f'<th scope="col" data-field="{key}">{h}</th>' for key, h in headers) in page
    assert '<p>Serang, 25 November 2026</p>\n<p>PPID KPU Kabupaten Serang</p>' in page
    assert "Siti Aminah, S.H." in page
    assert "@media print" in page and ".no-print,.skip{display:none!important}" in page
    assert 'href="dip.xlsx"' in page  # sibling links work in the live folder and in every archive copy
    for label in ("cari", "kategori", "unit", "tahun", "bentuk"):  # every control has a label
        assert f'<label for="{label}">' in page and f'id="{label}"' in page


def test_pages_load_nothing_from_elsewhere() -> None:
    files = site([item(n) for n in range(1, 10)])
    for name, body in files.items():
        if name.endswith(".html"):
            page = body.decode()
            for external in ('src="http', "src='http", 'href="//', "@import", "url(http"):
                assert external not in page, (name, external)
            # a <link> may only point at the page's feed or its canonical address: neither loads
            for link in re.findall(r"<link\b[^>]*>", page):
                assert re.match(r'<link rel="(alternate|canonical)"', link), (name, link)


def test_logo_is_embedded_and_colour_is_checked(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    office = dataclasses.replace(OFFICE, logo=str(logo), color="#ffcc00")
    files = render_site([item(1)], [], office, version())
    page = text(files, "index.html")
    assert '<img src="data:image/svg+xml;base64,' in page
    assert "--on-accent:#000000;--ink:#1a1a1a" in page  # yellow: dark text, never yellow text
    assert colors("#8A1C1C") == {"accent": "#8a1c1c", "on_accent": "#ffffff", "ink": "#8a1c1c"}
    with pytest.raises(ConfigError):
        render_site([item(1)], [], dataclasses.replace(OFFICE, color="red;}body{x"), version())
    with pytest.raises(ConfigError):
        render_site([item(1)], [], dataclasses.replace(OFFICE, logo=str(tmp_path / "none.png")),
                    version())


def test_fragment_is_the_table_alone_styled_under_one_class() -> None:
    fragment = text(site([item(1)]), "dip-fragment.html")
    assert fragment.startswith("<div class=\"dip-sheets\"")
    for absent in ("<html", "<head", "<body", "<script"):
        assert absent not in fragment
    style = fragment[fragment.index("<style>") + 7:fragment.index("</style>")]
    rules = [r.strip() for r in style.replace("}", "}\n").splitlines() if "{" in r]
    selectors = [r.split("{")[0] for r in rules if not r.startswith("@media")]
    assert selectors and all(all(part.strip().startswith(".dip-sheets") for part in sel.split(","))
                             for sel in selectors)


def test_an_office_template_overrides_by_name(tmp_path: Path) -> None:
    (tmp_path / "_signature.html.j2").write_text("<p>Tanda tangan {{ office.ppid_name }}</p>\n")
    files = render_site([item(1)], [], OFFICE, version(), tmp_path)
    assert "<p>Tanda tangan Siti Aminah, S.H.</p>" in text(files, "index.html")
    assert "Laporan Realisasi" in text(files, "index.html")  # the rest comes from the default


def test_render_site_returns_every_file() -> None:
    assert sorted(site([item(1)])) == sorted([
        "index.html", "dik.html", "riwayat.html", "dip-fragment.html", "dip.csv", "dip.json",
        "dip.schema.json", "dip.xlsx", "dik.json", "perubahan.json", "dcat.jsonld",
        "aksesibilitas.html", "feed.xml"])
    # a sitemap needs full addresses: only with the site's public address
    public = dataclasses.replace(version(), site_url="https://ppid.example.go.id/dip/")
    assert sorted(render_site([item(1)], [], OFFICE, public)) == sorted([*site([item(1)]), "sitemap.xml"])


def test_every_version_carries_its_change_feed_and_dcat_catalogue() -> None:
    import json

    from dip_sheets.feed import parse_feed
    from dip_sheets.history import PastVersion

    first = site([item(1), item(2)])
    older = PastVersion.from_dip_json(first["dip.json"])
    later = render_site([item(1)], [], OFFICE, version("20261202-000000", "2026-12-02T00:00:00+07:00"),
                        history=[older])
    feed = parse_feed(later["perubahan.json"])
    assert feed.removed == ("DIP-0002",) and feed.previous_version == "20261125-100000"
    assert json.loads(later["dcat.jsonld"])["@context"]
    index = text(later, "index.html")
    assert 'href="perubahan.json"' in index and 'href="dcat.jsonld"' in index


# ---- determinism and weight --------------------------------------------------------------------


def test_rendering_twice_gives_identical_bytes_for_every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [item(n) for n in range(1, 30)]
    items += [item(30, unit=DEFAULT_UNITS[4].upper(), form="softcopy dan HARDCOPY", subcategory="profil")]
    history = [PastVersion("20260101-090000", "2026-01-01T09:00:00+07:00", "1/PPID/2026", "",
                           tuple(item_record(i) for i in items[:20]))]
    first = site(items, history=history)
    later = time.time() + 3 * 86400  # zip entries and document properties must not carry "now"
    monkeypatch.setattr(time, "time", lambda: later)
    second = site(list(reversed(items)), history=history)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_a_thousand_items_weigh_under_400_kb_with_all_assets() -> None:
    items = [item(n) for n in range(1, 1001)]
    started = time.perf_counter()
    files = site(items)
    elapsed = time.perf_counter() - started
    page = files["index.html"]
    assert page.count(b'data-tahun="') == 1000
    # CSS and JS are inside the page (the one <link> names the feed, which is not loaded)
    assert b'<link rel="stylesheet' not in page and b"<script src" not in page
    assert re.findall(rb"<link\b[^>]*>", page) == [
        b'<link rel="alternate" type="application/atom+xml" title="Pemutakhiran Daftar Informasi'
        b' Publik KPU Kabupaten Serang" href="feed.xml">']
    assert len(page) < 400_000, len(page)
    # what a visitor on a phone downloads (the server compresses): 20.7 KB at 1,000 items
    assert len(gzip.compress(page, 6)) < 24_000, len(gzip.compress(page, 6))
    assert elapsed < 5, elapsed


# ---- history -----------------------------------------------------------------------------------


def past(vid: str, at: str, items: Sequence[Item], decision: str = "") -> PastVersion:
    """A version as the lead reads it back: through the bytes of its rendered dip.json."""
    v = Version(vid, at, "", decision, "", 2026)
    return PastVersion.from_dip_json(render_site(items, [], OFFICE, v)["dip.json"])


def test_history_lists_added_removed_and_changed_items_across_three_versions() -> None:
    v1 = [item(1), item(2), item(3)]
    v2 = [item(1), item(2, summary="Ringkasan yang diperbaiki."), item(4)]
    v3 = [item(1, link="https://ppid.kpu-serangkab.go.id/baru.pdf"), item(2, summary="Ringkasan yang"
          " diperbaiki."), item(4), item(5)]
    history = [past("20260301-080000", "2026-03-01T08:00:00+07:00", v2, "5/PPID/2026"),
               past("20260101-080000", "2026-01-01T08:00:00+07:00", v1, "1/PPID/2026")]
    current = PastVersion("20260601-080000", "2026-06-01T08:00:00+07:00", "9/PPID/2026", "",
                          tuple(item_record(i) for i in v3))
    newest, middle, oldest = timeline(history, current)
    assert (newest.version.id, middle.version.id, oldest.version.id) == (
        "20260601-080000", "20260301-080000", "20260101-080000")
    assert oldest.previous is None
    assert [c.id for c in middle.added] == ["DIP-0004"]
    assert [c.id for c in middle.removed] == ["DIP-0003"]
    assert [(c.id, c.fields) for c in middle.changed] == [("DIP-0002", ("ringkasan",))]
    assert [c.id for c in newest.added] == ["DIP-0005"] and newest.removed == ()
    assert [(c.id, c.fields) for c in newest.changed] == [("DIP-0001", ("tautan",))]

    files = render_site(v3, [], OFFICE, Version("20260601-080000", "2026-06-01T08:00:00+07:00",
                                                "1 Juni 2026", "9/PPID/2026", "", 2026),
                        history=history)
    page = text(files, "riwayat.html")
    assert page.index("versi 20260601-080000 (berlaku)") < page.index("versi 20260301-080000") \
        < page.index("versi 20260101-080000")
    assert "1 ditambahkan, 0 dihapus, 1 diubah dibanding versi 20260301-080000" in page
    assert "(berubah: Tautan)" in page and f"(berubah: {s.SUMMARY})" in page
    assert '<a href="arsip/20260301-080000/index.html#DIP-0003">DIP-0003</a>' not in page
    assert '<a href="arsip/20260101-080000/index.html#DIP-0003">DIP-0003</a>' in page  # removed
    assert '<a href="arsip/20260101-080000/index.html">' in page
    assert "Nomor 5/PPID/2026" in page and "versi pertama yang tercatat" in page


def test_history_ignores_the_version_itself_and_later_ones() -> None:
    """Re-rendering a live version (unchanged check, after a rollback) must give its old bytes."""
    v1, v2 = [item(1)], [item(1), item(2)]
    old = past("20260101-080000", "2026-01-01T08:00:00+07:00", v1)
    live = Version("20260301-080000", "2026-03-01T08:00:00+07:00", "1 Maret 2026", "", "", 2026)
    first = render_site(v2, [], OFFICE, live, history=[old])
    later = past("20260401-080000", "2026-04-01T08:00:00+07:00", [item(3)])
    itself = PastVersion.from_dip_json(first["dip.json"])
    assert render_site(v2, [], OFFICE, live, history=[later, itself, old]) == first


def test_diff_compares_by_id_not_position_and_lists_in_id_order() -> None:
    a, b = item_record(item(1)), item_record(item(2))
    assert diff([a, b], [b, a]) == ((), (), ())
    added, _, _ = diff([], [item_record(item(n)) for n in (10, 9, 100)])
    assert [c.id for c in added] == ["DIP-0009", "DIP-0010", "DIP-0100"]
    added, _, _ = diff([], [{"id": "X-10"}, {"id": "X-9"}, {"id": "X²"}])
    assert [c.id for c in added] == ["X-9", "X-10", "X²"]


def test_a_broken_archived_dip_json_is_reported_in_indonesian() -> None:
    for data in (b"not json", b"[]", b'{"versi": "x"}', b'{"versi": "x", "diterbitkan": "kemarin",'
                 b' "item": []}', b'{"versi": "x", "diterbitkan": "2026-01-01T00:00:00+07:00",'
                 b' "item": [{"judul": "tanpa id"}]}'):
        with pytest.raises(ValueError, match=r"dip\.json arsip"):
            PastVersion.from_dip_json(data)


def test_sub_categories_keep_the_order_units_entered_them() -> None:
    from dip_sheets.render import group_items

    def item(item_id: str, sub: str) -> Item:
        return Item(id=item_id, category="Berkala", subcategory=sub, title=item_id, summary="s", unit="u",
                    responsible="r", created="2024", year=2024, place="p", form="Hardcopy",
                    retention="5 tahun", link="", remarks="")

    grouped = group_items([item("DIP-0009", "Laporan Keuangan"), item("DIP-0002", "Profil Badan Publik"),
                           item("DIP-0005", "Laporan Keuangan"), item("DIP-0003", "Profil Badan Publik")])
    [(category, subgroups)] = grouped
    assert category == "Berkala"
    assert [(sub, [i.id for i in rows]) for sub, rows in subgroups] == [
        ("Profil Badan Publik", ["DIP-0002", "DIP-0003"]), ("Laporan Keuangan", ["DIP-0005", "DIP-0009"])]
