"""The province's pages in Debian's headless Chromium: the catalogue's office filter and search work,
and screenshots of the catalogue and the grid go to ``test-artifacts/`` for a person to look at."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.chromium import ARTIFACTS, Chromium, chromium
from tests.test_province import Province, province  # noqa: F401  (the four offices)

pytestmark = pytest.mark.browser


@pytest.fixture
def pages(province: Province) -> Path:  # noqa: F811
    province.run()
    return province.folder / "keluaran"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    chrome = Chromium(chromium(), tmp_path / "profil")
    yield chrome
    chrome.close()


def shown(browser: Chromium) -> list[str]:
    found: list[str] = browser.js(
        "[...document.querySelectorAll('table.katalog tbody tr')]"
        ".filter(r => r.getClientRects().length > 0).map(r => r.dataset.kantor)")
    return found


def choose(browser: Chromium, field: str, value: str) -> None:
    """What a visitor does: set a control, and the browser fires its event."""
    browser.js(f"(() => {{ const e = document.getElementById('{field}'); e.value = '{value}';"
               " e.dispatchEvent(new Event('change', {bubbles: true})); })()")


def test_the_catalogue_filters_by_office_and_searches_across_offices(pages: Path, browser: Chromium) -> None:
    browser.open((pages / "katalog.html").as_uri())
    assert len(shown(browser)) == 18
    choose(browser, "kantor", "3202")
    assert shown(browser) == ["3202"] * 6
    assert browser.js("document.getElementById('hasil').textContent") == "Menampilkan 6 dari 18 informasi."
    assert browser.js("location.hash") == "#kantor=3202"
    choose(browser, "kantor", "")
    choose(browser, "cari", "perencanaan")  # one unit's items, whichever office holds them
    found = shown(browser)
    assert set(found) == {"3201", "3202", "3203"} and len(found) < 18
    choose(browser, "cari", "gempa bumi")
    assert shown(browser) == []
    assert browser.js("getComputedStyle(document.getElementById('nihil')).display") != "none"
    browser.open((pages / "katalog.html").as_uri() + "#kantor=3201&kategori=Berkala")  # a shared link
    assert shown(browser) == ["3201"] * 2


def screenshot(page: Path, name: str, size: str) -> Path:
    target = ARTIFACTS / name
    ARTIFACTS.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={target}", f"--window-size={size}", page.as_uri()],
                   check=True, capture_output=True, timeout=60)
    return target


def test_screenshots_of_the_grid_and_the_catalogue(pages: Path) -> None:
    for page, name, size in (("kepatuhan.html", "provinsi-kepatuhan.png", "1600,1100"),
                             ("katalog.html", "provinsi-katalog.png", "1400,1000")):
        shot = screenshot(pages / page, name, size)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
