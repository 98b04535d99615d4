"""The printed list, as the SOP asks for it signed: A4 landscape, the table with its headers on every
page, each category heading on the page of its first rows, and the signature block (city, date, PPID
title, name, NIP, the Keputusan) on the last page together with rows, never alone.

The demo's site and a 200-item list are printed to PDF by Debian's headless Chromium (through the
DevTools client of ``test_page_browser``) and read back with poppler's ``pdfinfo`` and ``pdftotext``.
The PDFs go to ``test-artifacts/``.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dip_sheets import demo
from dip_sheets import schema as s
from dip_sheets.render import render_site
from tests.plugins.chromium import ARTIFACTS, Chromium
from tests.test_render import OFFICE, item, version

pytestmark = pytest.mark.browser

SIGNED = dataclasses.replace(OFFICE, ppid_nip="19800101 200501 2 001")
HEADER = s.PAGE_COLUMNS[0].label  # the title column's heading, on every page that has rows


@pytest.fixture(scope="module")
def browser(browser: Chromium) -> Chromium:
    """The plugin's browser (:mod:`tests.plugins.chromium`), for a machine that can read PDFs."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils tidak terpasang (apt-get install poppler-utils)")
    return browser


def printed(browser: Chromium, index: Path, name: str) -> list[str]:
    """The text of each page of ``index`` printed to PDF (the PDF is kept in test-artifacts/)."""
    browser.open(index.as_uri() + "#cari=lhkpn")  # a search on screen never shortens the print
    data = base64.b64decode(browser.call("Page.printToPDF", preferCSSPageSize=True)["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / name
    pdf.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and float(size[1]) > float(size[2]), info  # landscape
    assert abs(float(size[1]) - 841.89) < 2 and abs(float(size[2]) - 595.28) < 2, info  # A4
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if not pages[-1].strip() else pages


def check_layout(pages: list[str], last_title: str) -> None:
    flat = [re.sub(r"\s+", " ", p) for p in pages]
    first_table = next(i for i, p in enumerate(flat) if HEADER in p)
    for number, page in enumerate(flat[first_table:], first_table + 1):
        assert HEADER in page, f"halaman {number} tanpa judul kolom"
    for number, page in enumerate(flat, 1):
        for heading in re.findall(r"[ABC]\. Informasi (?:Berkala|Serta Merta|Setiap Saat)", page):
            after = page[page.index(heading):]
            assert HEADER in after or "Belum ada informasi" in after, \
                f"halaman {number}: judul '{heading}' terpisah dari barisnya"
    last = flat[-1]
    assert "NIP 19800101 200501 2 001" in last and "Siti Aminah, S.H." in last
    assert "PPID KPU Kabupaten Serang" in last and "Serang, 25 November 2026" in last
    assert "Nomor 12/PPID/2026 tanggal 2 Januari 2026" in last
    assert HEADER in last and last_title[:30] in last, "halaman tanda tangan tanpa baris"


def test_a_200_item_list_prints_as_the_signed_a4_landscape_table(
    browser: Chromium, tmp_path: Path
) -> None:
    items = [item(n) for n in range(1, 201)]
    for name, data in render_site(items, [], SIGNED, version()).items():
        (tmp_path / name).write_bytes(data)
    pages = printed(browser, tmp_path / "index.html", "dip-cetak-200.pdf")
    print(f"\n200 informasi: {len(pages)} halaman A4 lanskap")
    assert len(pages) <= 24, len(pages)  # about ten rows a page; was 32 pages for 60 items
    last = [i for i in items if i.category == s.CATEGORIES[-1]][-1]
    check_layout(pages, last.title)


def test_the_demo_prints_on_a_few_pages_with_the_signature_beside_its_rows(
    browser: Chromium, tmp_path: Path
) -> None:
    result = demo.run(tmp_path / "demo")
    index = result.site / "index.html"
    text = index.read_text(encoding="utf-8")
    # the demo is signed by the default office: no NIP configured, so the dotted line
    pages = printed(browser, index, "dip-cetak-demo.pdf")
    print(f"\ndemo ({text.count('data-tahun=')} informasi): {len(pages)} halaman A4 lanskap")
    assert len(pages) <= 5, len(pages)  # was 8 pages for 11 items
    last = re.sub(r"\s+", " ", pages[-1])
    assert "NIP ...." in last and "PPID KPU Kabupaten Contoh" in last
    year = result.publish.version[:4]  # the demo's decision is of the year it runs in (the year rule)
    assert f"Nomor 1/PP.01-Kpt/{year} tanggal 2 Januari {year}" in last
    assert HEADER in last, "halaman tanda tangan tanpa baris"
