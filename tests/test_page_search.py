"""Finding an item on the public page as a citizen on a phone does: the search field on the first
screen, the first result scrolled into view while typing, Indonesian-aware matching, compact rows
with the details one tap away, and on every item the way to get it.

The browser tests drive Debian's Chromium with the ``browser`` fixture of ``tests.plugins.chromium``;
screenshots before and after a search, phone and desktop, go to ``test-artifacts/``.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest

from dip_sheets.config import PublicBody
from dip_sheets.errors import ConfigError
from dip_sheets.render import render_site, synonym_groups, whatsapp_link
from tests.plugins.chromium import Chromium
from tests.test_render import OFFICE, item, version

CHANNELS = dataclasses.replace(
    OFFICE, request_url="https://ppid.kpu-serangkab.go.id/permohonan",
    objection_url="https://ppid.kpu-serangkab.go.id/keberatan", whatsapp="0812-3456-7890",
    hours="Senin-Jumat 08.00-16.00 WIB")
ITEMS = [
    item(1, "Dokumen Penganggaran Kegiatan Pemilihan", subcategory="Program dan Kegiatan"),
    item(2, "Surat Keputusan Penetapan Daftar Pemilih Tetap", subcategory="Peraturan dan Keputusan"),
    item(3, "Rencana Strategis KPU Kabupaten Serang 2025-2029", subcategory="Program dan Kegiatan"),
    item(4, "Neraca Tahun 2025", subcategory="Laporan Keuangan", form="Hardcopy", link=""),
    *(item(n, f"Profil Pejabat Struktural {n}", subcategory="Profil Badan Publik") for n in range(5, 41)),
]


def page(office: PublicBody = CHANNELS) -> str:
    return render_site(ITEMS, [], office, version())["index.html"].decode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("situs")
    for name, data in render_site(ITEMS, [], CHANNELS, version()).items():
        (folder / name).write_bytes(data)
    return (folder / "index.html").as_uri()


def search(browser: Chromium, text: str) -> list[str]:
    browser.js("var c = document.getElementById('cari'); c.value = ''; c.focus();"
               " c.dispatchEvent(new Event('input', {bubbles: true}))")
    browser.call("Input.insertText", text=text)
    return browser.shown()


def rect(browser: Chromium, selector: str) -> dict[str, float]:
    box: dict[str, float] = browser.js(
        f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: r.height}; })()")
    return box


@pytest.mark.browser
@pytest.mark.parametrize(("size", "name"), [((390, 844), "ponsel"), ((1280, 900), "desktop")])
def test_the_search_field_is_on_the_first_screen_and_the_first_result_comes_into_view(
    browser: Chromium, site: str, size: tuple[int, int], name: str
) -> None:
    width, height = size
    browser.open(site, width=width, height=height, mobile=width < 500)
    field = rect(browser, "#cari")
    print(f"\n{name} {width}x{height}: kolom cari top={field['top']:.0f} px")
    assert field["top"] >= 0 and field["bottom"] < height
    browser.screenshot(f"cari-{name}-sebelum.png")
    found = search(browser, "laporan keuangan")  # the placeholder's own example
    assert found == ["DIP-0004"]
    first = rect(browser, "tr[id='DIP-0004']")
    under = rect(browser, "#saring")["bottom"]
    print(f"{name}: hasil pertama {first['top']:.0f}-{first['bottom']:.0f} px"
          f" (kolom cari sampai {under:.0f})")
    assert under <= first["top"] and first["bottom"] <= height  # in view, not behind the field
    assert rect(browser, "#cari")["bottom"] <= height  # the field is still on screen
    browser.screenshot(f"cari-{name}-sesudah.png")


@pytest.mark.browser
def test_matching_knows_affixes_synonyms_and_every_searchable_column(
    browser: Chromium, site: str
) -> None:
    browser.open(site)
    assert search(browser, "anggaran") == ["DIP-0001"]  # "penganggaran"
    assert search(browser, "sk") == ["DIP-0002"]  # "Surat Keputusan"
    assert search(browser, "renstra") == ["DIP-0003"]
    assert search(browser, "keputusan penetapan") == ["DIP-0002"]
    assert search(browser, "neraca hardcopy") == ["DIP-0004"]  # the form
    assert "DIP-0004" in search(browser, "2025 neraca")  # the year
    assert len(search(browser, "profil badan publik")) == 36  # the sub-category
    assert set(search(browser, "sekretariat")) == {i.id for i in ITEMS if i.unit == "Sekretariat"}
    placeholder = browser.js("document.getElementById('cari').placeholder")
    for example in placeholder.removeprefix("mis. ").split(", "):
        assert search(browser, example), example  # every example the field offers finds something


@pytest.mark.browser
def test_a_phone_shows_compact_rows_with_details_one_tap_away_and_folded_filters(
    browser: Chromium, site: str
) -> None:
    browser.open(site, width=390, height=844, mobile=True)
    assert browser.js("document.getElementById('saringan').open") is False
    compact = rect(browser, "tr[id='DIP-0005']")["height"]
    assert browser.js("getComputedStyle(document.querySelector(\"tr[id='DIP-0005'] .rinci\"))"
                      ".display") == "none"
    browser.js("document.querySelector(\"tr[id='DIP-0005'] .rinci-b\").click()")
    assert browser.js("document.querySelector(\"tr[id='DIP-0005'] .rinci-b\")"
                      ".getAttribute('aria-expanded')") == "true"
    opened = rect(browser, "tr[id='DIP-0005']")["height"]
    print(f"\nbaris ponsel: ringkas {compact:.0f} px, rincian {opened:.0f} px")
    assert compact < 130 and opened > compact * 3  # the card was 384 px before
    browser.screenshot("cari-ponsel-rincian.png", height=1600)
    browser.open(site)
    assert browser.js("document.getElementById('saringan').open") is True


@pytest.mark.browser
def test_each_item_says_how_to_get_it(browser: Chromium, site: str, tmp_path: Path) -> None:
    def how(url: str, row: str) -> str:
        text: str = browser.js(f"document.querySelector(\"tr[id='{row}'] .ambil\").innerHTML")
        return text

    browser.open(site)
    assert how(site, "DIP-0001") == \
        '<a href="https://ppid.kpu-serangkab.go.id/dok/lra-1.pdf">Unduh</a> (Hardcopy)'
    assert how(site, "DIP-0004") == \
        'Hardcopy: <a href="https://ppid.kpu-serangkab.go.id/permohonan">Minta informasi ini</a>'
    # no request form: an e-mail with the title in the subject; a web page is opened, not downloaded
    files = render_site([*ITEMS[:4], item(5, link="https://example.go.id/dip/halaman")], [], OFFICE,
                        version())
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    browser.open((tmp_path / "index.html").as_uri())
    assert how(site, "DIP-0004") == (
        'Hardcopy: <a href="mailto:ppid@kpu-serangkab.go.id?subject=Permohonan%20informasi%3A%20Neraca'
        '%20Tahun%202025%20(DIP-0004)">Minta informasi ini</a>')
    assert how(site, "DIP-0005").startswith('<a href="https://example.go.id/dip/halaman">Buka</a>')


@pytest.mark.parametrize("name", ["index.html", "dik.html", "riwayat.html", "aksesibilitas.html"])
def test_every_page_names_the_request_and_objection_channels(name: str) -> None:
    text = render_site(ITEMS, [], CHANNELS, version())[name].decode()
    aside = text[text.index('<aside class="wrap layanan'):text.index("</aside>")]
    for expected in ('href="https://ppid.kpu-serangkab.go.id/permohonan"',
                     'href="https://ppid.kpu-serangkab.go.id/keberatan"',
                     'href="mailto:ppid@kpu-serangkab.go.id"', 'href="https://wa.me/6281234567890"',
                     "0812-3456-7890", "Jl. Veteran No. 1, Serang", "Senin-Jumat 08.00-16.00 WIB"):
        assert expected in aside, expected


def test_channel_addresses_pass_the_link_check() -> None:
    office = dataclasses.replace(OFFICE, request_url="javascript:alert(1)", whatsapp="call me")
    text = page(office)
    assert "javascript:" not in text and "wa.me" not in text
    assert whatsapp_link("+62 812 3456 7890") == whatsapp_link("0812-3456-7890") == \
        "https://wa.me/6281234567890"


def test_the_synonym_list_is_configurable() -> None:
    assert synonym_groups("SK, surat keputusan; RKA , rencana kerja dan anggaran;") == [
        ["sk", "surat keputusan"], ["rka", "rencana kerja dan anggaran"]]
    with pytest.raises(ConfigError, match="hanya berisi satu kata"):
        synonym_groups("sk; lhkpn, laporan harta")
    text = page(dataclasses.replace(CHANNELS, synonyms="sop, standar operasional prosedur"))
    script = html.unescape(re.search(r"var synonyms = (.*);", text)[1])  # type: ignore[index]
    assert script == '[["sop", "standar operasional prosedur"]]'


def test_the_example_configuration_documents_the_new_keys() -> None:
    example = (Path(__file__).parents[1] / "dip.example.toml").read_text()
    for key in ("ppid_nip", "request_url", "objection_url", "whatsapp", "hours", "synonyms"):
        assert re.search(rf"^#? ?{key} = ", example, re.M), key
