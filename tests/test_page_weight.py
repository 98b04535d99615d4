"""The weight of the page: a list of 10,000 items does not make a visitor download it to see the first
screen. Up to 1,000 items the list is one page; above, ``index.html`` carries the first rows and the
rest loads from ``index-lanjutan.js`` next to it when needed (a search, a filter, the end of the page
near, a link to a row further down, printing), offline once loaded; a visitor without JavaScript gets
the first rows and links to the whole list. In the browser (Playwright with Debian's Chromium), at
10,000 items, a search finds an item beyond the first rows and scrolls it into view.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dip_sheets.list_split import FIRST_ROWS, SPLIT_ABOVE
from dip_sheets.render import render_site
from tests.plugins.axe_summary import checked
from tests.plugins.chromium import ARTIFACTS
from tests.test_page_search import CHANNELS
from tests.test_render import item, version

FAR = 9998  # in the last category, far beyond the first rows
FAR_TITLE = "Laporan Pengadaan Kotak Suara Khusus Daerah Terpencil"
ROW = re.compile(rb'<tr id="(DIP-\d+)"')


def big_list(count: int) -> Mapping[str, bytes]:
    items = [item(n, FAR_TITLE if n == FAR else None) for n in range(1, count + 1)]
    return render_site(items, [], CHANNELS, version())


@pytest.fixture(scope="module")
def ten_thousand() -> Mapping[str, bytes]:
    return big_list(10_000)


def chunk(data: bytes) -> tuple[dict[str, Any], list[list[Any]]]:
    """The rest file read back: ``dipLanjutan(meta, [[group, rows html], ...]);``."""
    body = data.decode()
    start, end = body.index("dipLanjutan(") + len("dipLanjutan("), body.rindex(");")
    meta, groups = json.loads(f"[{body[start:end]}]")
    return meta, groups


def test_a_thousand_items_stay_one_page() -> None:
    files = big_list(SPLIT_ABOVE)
    page = files["index.html"]
    assert "index-lanjutan.js" not in files and page.count(b'data-tahun="') == SPLIT_ABOVE
    assert b'<div class="dip-sheets">' in page and b"<tbody data-kelompok" not in page


def test_ten_thousand_items_put_the_first_rows_in_the_page_and_the_rest_beside_it(
    ten_thousand: Mapping[str, bytes]
) -> None:
    page = ten_thousand["index.html"]
    first = ROW.findall(page)
    assert len(first) == FIRST_ROWS
    meta, groups = chunk(ten_thousand["index-lanjutan.js"])
    assert meta == {"versi": version().id, "jumlah": 10_000}
    later = [i for _, rows in groups for i in ROW.findall(rows.encode())]
    assert len(first) + len(later) == 10_000 and set(first).isdisjoint(later)
    # every group the rest names is a body of the page; those without rows yet are hidden
    bodies = dict(re.findall(rb'<tbody data-kelompok="(\d+)"( hidden)?>', page))
    assert {str(g).encode() for g, _ in groups} <= set(bodies)
    assert any(hidden for hidden in bodies.values())
    # the loaded rows are the page's own markup, numbered on within their category
    assert FAR_TITLE in "".join(rows for _, rows in groups) and FAR_TITLE.encode() not in page
    # the whole list stays in the open data and the CMS fragment
    assert ten_thousand["dip-fragment.html"].count(b'data-tahun="') == 10_000
    # without JavaScript: the first rows, and where the whole list is
    note = page[page.index(b'<div id="lanjutan"'):]
    assert b"memuat 300 dari 10.000 informasi" in note and b'href="dip.csv"' in note
    weight = len(gzip.compress(page, 6))
    print(f"\n10.000 informasi: index.html {len(page):,} B ({weight:,} B terkompresi),"
          f" sisanya {len(ten_thousand['index-lanjutan.js']):,} B")
    assert weight < 20_000, weight  # the first screen; the whole list as one page was ~200 KB


# ---- in the browser -------------------------------------------------------------------------------

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(ten_thousand: Mapping[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("situs-besar")
    for name, data in ten_thousand.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def browser(playwright_chromium: Any) -> Any:
    """Chromium as Playwright drives it (:mod:`tests.plugins.chromium`)."""
    return playwright_chromium


def shown(page: Any) -> list[str]:
    found: list[str] = page.evaluate("[...document.querySelectorAll('tr[data-tahun]')]"
                                     ".filter(r => r.getClientRects().length).map(r => r.id)")
    return found


def rows(page: Any) -> int:
    count: int = page.evaluate("document.querySelectorAll('tr[data-tahun]').length")
    return count


@pytest.mark.browser
def test_a_search_on_a_phone_finds_an_item_beyond_the_first_rows_and_shows_it(browser: Any,
                                                                              site: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    asked: list[str] = []

    def note(route: Any) -> None:
        asked.append(route.request.url)
        route.continue_()

    context.route("**/*", note)
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        assert rows(page) == FIRST_ROWS  # the first screen did not need the rest
        assert not [u for u in asked if "lanjutan" in u]
        page.fill("#cari", "kotak suara")
        page.wait_for_function(f"document.querySelectorAll('tr[data-tahun]').length === {10_000}")
        page.wait_for_function("document.getElementById('hasil').textContent.startsWith('Menampilkan')")
        assert shown(page) == [f"DIP-{FAR:04d}"]
        assert page.evaluate("document.getElementById('hasil').textContent") == \
            "Menampilkan 1 dari 10.000 informasi."
        box = page.evaluate(f"(() => {{ const r = document.getElementById('DIP-{FAR:04d}')"
                            ".getBoundingClientRect(); return [r.top, r.bottom]; })()")
        under = page.evaluate("document.getElementById('saring').getBoundingClientRect().bottom")
        print(f"\n10.000 informasi, ponsel: hasil pertama {box[0]:.0f}-{box[1]:.0f} px (kolom cari sampai"
              f" {under:.0f})")
        assert under <= box[0] and box[1] <= 844
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "cari-10000-ponsel.png"))
        # the rest came from the page's own folder, once; nothing from elsewhere
        assert [u.split("/")[-1] for u in asked if "lanjutan" in u] == [f"index-lanjutan.js?v={version().id}"]
        assert all(u.startswith("file://") for u in asked)
        # loaded, it works offline: another search asks for nothing
        asked.clear()
        page.fill("#cari", "terpencil")
        assert shown(page) == [f"DIP-{FAR:04d}"] and asked == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_link_to_a_row_further_down_and_the_end_of_the_page_load_the_rest(browser: Any, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri() + f"#DIP-{FAR:04d}")  # as riwayat.html links items
        page.wait_for_function("document.querySelectorAll('tr[data-tahun]').length === 10000")
        page.wait_for_function(f"(() => {{ const r = document.getElementById('DIP-{FAR:04d}')"
                               ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= 900; })()")
        page.goto((site / "index.html").as_uri())
        page.evaluate("location.hash = 'isi'")  # the skip link: outside the list, it loads nothing
        page.wait_for_timeout(300)
        assert rows(page) == FIRST_ROWS
        page.evaluate("document.getElementById('lanjutan').scrollIntoView()")
        page.wait_for_function("document.querySelectorAll('tr[data-tahun]').length === 10000")
        assert page.evaluate("document.querySelectorAll('.dip-sheets [hidden], .tunda-ket').length") == 0
        assert page.evaluate("document.getElementById('lanjutan')") is None
    finally:
        context.close()


@pytest.mark.browser
def test_without_javascript_the_first_rows_and_the_whole_list_as_files(browser: Any, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        assert len(shown(page)) == FIRST_ROWS
        note = page.inner_text("#lanjutan")
        assert "memuat 300 dari 10.000 informasi" in note and "CSV" in note
        assert page.is_visible("#lanjutan a[href='dip.csv']")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", ["desktop", "ponsel"])
def test_axe_finds_no_violations_on_the_first_rows_of_a_split_page(browser: Any, site: Path,
                                                                   size: str) -> None:
    from tests.test_page_a11y import SIZES, WCAG, axe_module

    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "ponsel")
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        results = axe_module.Axe().run(page, options=WCAG)
        print(f"\naxe 10.000 informasi {size}, 300 baris pertama: {results.violations_count} pelanggaran")
        checked(f"index.html 10.000 informasi {size}", results.violations_count)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
