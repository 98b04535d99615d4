"""The published page in a real browser: Debian's headless Chromium, offline, desktop and phone.

The browser and its ``browser`` fixture are the plugin :mod:`tests.plugins.chromium`. Screenshots go
to ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dip_sheets import schema as s
from dip_sheets.config import DEFAULT_UNITS
from dip_sheets.history import PastVersion
from dip_sheets.render import Version, render_site
from tests.plugins.chromium import ARTIFACTS, Chromium
from tests.test_render import EXCLUDED, OFFICE, item, version

pytestmark = pytest.mark.browser

ITEMS = [
    item(1, "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) Ketua", category="Berkala"),
    item(2, "Ringkasan LHKPN Anggota", category="Setiap Saat", year=2024, created="2024"),
    item(3, "Peringatan Dini Banjir di Gudang Logistik", category="Serta Merta"),
    *(item(n) for n in range(4, 61)),
]


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("situs")
    earlier = Version("20260101-080000", "2026-01-01T08:00:00+07:00", "1 Januari 2026", "1/PPID/2026")
    before = render_site([*ITEMS[5:], item(99)], [], OFFICE, earlier)["dip.json"]
    files = render_site(ITEMS, [EXCLUDED], OFFICE, version(), history=[PastVersion.from_dip_json(before)])
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return (folder / "index.html").as_uri()


def expected(predicate: Any) -> list[str]:
    return [i.id for i in ITEMS if predicate(i)]


def test_typing_in_the_search_box_narrows_the_table(browser: Chromium, page_url: str) -> None:
    browser.open(page_url)
    everything = browser.shown()
    assert sorted(everything) == sorted(i.id for i in ITEMS)
    assert browser.js("document.getElementById('saring').hidden") is False
    browser.js("document.getElementById('cari').focus()")
    browser.call("Input.insertText", text="lhkpn")
    assert sorted(browser.shown()) == ["DIP-0001", "DIP-0002"]
    assert browser.js("document.getElementById('hasil').textContent") == \
        f"Menampilkan 2 dari {len(ITEMS)} informasi."
    assert browser.js("location.hash") == "#cari=lhkpn"  # the search is a shareable link
    browser.call("Input.insertText", text=" ketua")  # every word must match
    assert browser.shown() == ["DIP-0001"]
    browser.call("Input.insertText", text=" tidakada")
    assert browser.shown() == []
    assert browser.js("getComputedStyle(document.getElementById('nihil')).display") != "none"
    browser.screenshot("dip-desktop-cari-kosong.png")
    browser.js("document.querySelector('#nihil button').click()")
    assert len(browser.shown()) == len(ITEMS)
    browser.screenshot("dip-desktop.png")


def test_filters_narrow_by_category_unit_year_and_form(browser: Chromium, page_url: str) -> None:
    browser.open(page_url)

    def choose(name: str, value: str) -> list[str]:
        browser.js(f"var e = document.getElementById('{name}'); e.value = {json.dumps(value)};"
                   " e.dispatchEvent(new Event('change', {bubbles: true}))")
        return sorted(browser.shown())

    assert choose("kategori", "Serta Merta") == expected(lambda i: i.category == "Serta Merta")
    assert browser.js("getComputedStyle(document.getElementById('berkala')).display") == "none"
    choose("kategori", "")
    unit = DEFAULT_UNITS[2]
    assert choose("unit", unit) == sorted(expected(lambda i: i.unit == unit))
    choose("unit", "")
    assert choose("tahun", "2024") == sorted(expected(lambda i: i.year == 2024))
    choose("tahun", "")
    soft = choose("bentuk", "Softcopy")
    assert soft == sorted(expected(lambda i: "Softcopy" in i.form))
    assert 0 < len(soft) < len(ITEMS)
    both = choose("kategori", "Berkala")
    assert both == sorted(expected(lambda i: "Softcopy" in i.form and i.category == "Berkala"))
    assert "bentuk=Softcopy" in browser.js("location.hash")


def test_a_shared_link_opens_with_the_search_applied(browser: Chromium, page_url: str) -> None:
    browser.open(page_url + "#cari=lhkpn&kategori=Setiap+Saat")
    assert browser.js("document.getElementById('cari').value") == "lhkpn"
    assert browser.js("document.getElementById('kategori').value") == "Setiap Saat"
    assert browser.shown() == ["DIP-0002"]
    browser.open(page_url + "#DIP-0003")  # an ordinary anchor is not a search
    assert len(browser.shown()) == len(ITEMS)


def test_phone_width_has_no_sideways_scrolling(browser: Chromium, page_url: str) -> None:
    browser.open(page_url, width=390, height=844, mobile=True)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    label = browser.js("getComputedStyle(document.querySelector('tr[data-tahun] td:nth-child(3)'),"
                       " '::before').content")
    assert label == '"Pejabat/Unit/Satker yang Menguasai Informasi"'  # the column's one label
    browser.screenshot("dip-ponsel.png", height=2600)
    browser.js("document.getElementById('cari').focus()")
    browser.call("Input.insertText", text="lhkpn")
    assert sorted(browser.shown()) == ["DIP-0001", "DIP-0002"]
    browser.screenshot("dip-ponsel-cari.png")


@pytest.mark.parametrize("name", ["dik.html", "riwayat.html"])
def test_the_other_pages_fit_a_phone(browser: Chromium, page_url: str, name: str) -> None:
    browser.open(page_url.replace("index.html", name), width=390, height=844, mobile=True)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    browser.screenshot(name.replace(".html", "-ponsel.png"), height=1600)
    browser.open(page_url.replace("index.html", name))
    browser.screenshot(name.replace(".html", "-desktop.png"))


def test_without_javascript_the_whole_list_shows_and_the_controls_stay_hidden(
    browser: Chromium, page_url: str
) -> None:
    browser.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        browser.open(page_url + "#cari=lhkpn")
        assert len(browser.shown()) == len(ITEMS)
        assert browser.js("getComputedStyle(document.getElementById('saring')).display") == "none"
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", value=False)


def test_print_shows_every_row_and_the_signature_but_no_controls(
    browser: Chromium, page_url: str
) -> None:
    browser.open(page_url + "#cari=lhkpn")
    assert len(browser.shown()) == 2
    browser.call("Emulation.setEmulatedMedia", media="print")
    try:
        assert len(browser.shown()) == len(ITEMS)  # the signed hardcopy is always the whole list
        assert browser.js("getComputedStyle(document.getElementById('saring')).display") == "none"
        assert browser.js("getComputedStyle(document.querySelector('.ttd')).display") == "block"
        browser.screenshot("dip-cetak.png", height=1800)
        pdf = browser.call("Page.printToPDF", preferCSSPageSize=True)["data"]
        (ARTIFACTS / "dip-cetak.pdf").write_bytes(base64.b64decode(pdf))
    finally:
        browser.call("Emulation.setEmulatedMedia", media="")


def test_the_page_requests_nothing_but_itself(browser: Chromium, page_url: str) -> None:
    browser.events.clear()
    browser.open(page_url)
    requested = [e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert requested and all(u.startswith(("file:", "data:", "about:")) for u in requested), requested
    assert all(s_ in browser.js("document.body.textContent") for s_ in s.CATEGORIES)
