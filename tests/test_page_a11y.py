"""Accessibility measured in the real browser: axe-core (bundled by ``axe-playwright-python``) on the
list, the DIK, the history, the accessibility statement and a past year's list, desktop and phone,
light and dark, with zero WCAG 2.2 A/AA violations; and a keyboard-only walk from the search field to
an opened result. The year page's screenshots go to ``test-artifacts/tahun-2025*.png``.

Playwright for Python drives Debian's Chromium (``executable_path``); no browser is downloaded. The
violation counts are printed, so the run itself shows the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dip_sheets.history import PastVersion
from dip_sheets.render import Version, render_site
from tests.plugins.axe_summary import checked
from tests.plugins.chromium import ARTIFACTS
from tests.test_page_search import CHANNELS, ITEMS
from tests.test_render import EXCLUDED, item, version

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
        "resultTypes": ["violations"]}
SIZES = {"desktop": {"width": 1280, "height": 900}, "ponsel": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("situs")
    last_year = Version("20251222-020000Z", "2025-12-22T09:00:00+07:00", "22 Desember 2025", "9/PPID/2025",
                        "2 Januari 2025", 2025)
    earlier = Version("20260101-080000", "2026-01-01T08:00:00+07:00", "1 Januari 2026", "1/PPID/2026")
    history = [PastVersion.from_dip_json(render_site(items, [], CHANNELS, v)["dip.json"])
               for items, v in (([*ITEMS[5:], item(98)], last_year), ([*ITEMS[3:], item(99)], earlier))]
    files = render_site(ITEMS, [EXCLUDED], CHANNELS, version(), history=history)
    assert "tahun-2025.html" in files
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def browser(playwright_chromium: Any) -> Any:
    """Chromium as Playwright drives it (:mod:`tests.plugins.chromium`)."""
    return playwright_chromium


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "ponsel"])
@pytest.mark.parametrize("name", ["index.html", "dik.html", "riwayat.html", "aksesibilitas.html",
                                  "tahun-2025.html"])
def test_axe_finds_no_wcag_violations(browser: Any, site: Path, name: str, size: str, scheme: str) -> None:
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme,
                                  is_mobile=size == "ponsel", has_touch=size == "ponsel")
    try:
        page = context.new_page()
        page.goto((site / name).as_uri())
        results = axe_module.Axe().run(page, options=WCAG)
        print(f"\naxe {name} {size} {scheme}: {results.violations_count} pelanggaran")
        checked(f"{name} {size} {scheme}", results.violations_count)
        assert results.violations_count == 0, results.generate_report()
        if name == "tahun-2025.html" and scheme == "light":  # the year page, for a person to look at
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"tahun-2025{'' if size == 'desktop' else '-ponsel'}.png"))
        if name == "index.html":  # once more with a search and a row's details open
            page.fill("#cari", "anggaran")
            if size == "ponsel":
                page.locator("tr[data-tahun]:not(.x) .rinci-b").first.click()
            results = axe_module.Axe().run(page, options=WCAG)
            print(f"axe {name} {size} {scheme} setelah mencari: {results.violations_count} pelanggaran")
            checked(f"{name} {size} {scheme} setelah mencari", results.violations_count)
            assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_axe_does_report_a_violation(browser: Any, site: Path) -> None:
    """The zero above is a measurement: the same run finds a broken page's violations."""
    context = browser.new_context(viewport=SIZES["desktop"])
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        page.evaluate("document.querySelector('main').appendChild(document.createElement('img')).src ="
                      " 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';"
                      " document.querySelector('h2').style.color = '#bbb'")
        results = axe_module.Axe().run(page, options=WCAG)
        found = {v["id"] for v in results.response["violations"]}
        print(f"\naxe halaman yang sengaja dirusak: {results.violations_count} pelanggaran {sorted(found)}")
        assert {"color-contrast", "image-alt"} <= found
    finally:
        context.close()


def test_keyboard_only_search_reaches_and_opens_a_result(browser: Any, site: Path) -> None:
    context = browser.new_context(viewport=SIZES["desktop"])
    try:
        page = context.new_page()
        opened: list[str] = []

        def answer(route: Any) -> None:  # the documents live elsewhere: answered here, offline
            opened.append(route.request.url)
            route.fulfill(status=200, content_type="text/plain", body="dokumen")

        page.route("https://ppid.kpu-serangkab.go.id/**", answer)
        page.goto((site / "index.html").as_uri())
        presses = 0
        while page.evaluate("document.activeElement.id") != "cari":
            page.keyboard.press("Tab")
            presses += 1
            assert presses <= 10, "kolom cari tidak tercapai dengan Tab"
        print(f"\nTab sampai kolom cari: {presses}")
        page.keyboard.type("anggaran")
        assert page.evaluate("[...document.querySelectorAll('tr[data-tahun]')]"
                             ".filter(r => r.getClientRects().length).map(r => r.id)") == ["DIP-0001"]
        target = page.evaluate("document.querySelector(\"tr[id='DIP-0001'] b a\").href")
        while page.evaluate("document.activeElement.closest('tr') && document.activeElement.closest('tr').id"
                            " || ''") != "DIP-0001":
            page.keyboard.press("Tab")
            presses += 1
            assert presses <= 40, "hasil pencarian tidak tercapai dengan Tab"
        assert page.evaluate("document.activeElement.href") == target
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert opened == [target] and page.url == target
    finally:
        context.close()
