"""What a hostile cell or configuration value can do to the published files: nothing.

A CSV opened with ``;`` as the list separator (Indonesian Excel and LibreOffice) or with ``,`` never
holds a cell starting as a formula; no cell of ``dip.xlsx`` is a formula; no address from the
configuration reaches a page unless it is http(s).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dip_sheets.records import FIELDS, FORMULA_STARTS, neutralize_formula, neutralize_row, safe_link
from dip_sheets.render import Version, render_site
from dip_sheets.validate import Item
from tests.test_render import EXCLUDED, OFFICE, item, version

HOSTILE = (
    'Laporan;=HYPERLINK("http://x","klik")',
    "Laporan,=1+1",
    "a;;@SUM(A1)",
    "baris satu\n=cmd|' /C calc'!A0",
    "baris satu\r\n+1",
    "baris\r-2",
    '"=1+1"',
    'kata "=2+2" dan ;"=3"',
    'a";"=4',
    "=HYPERLINK(\"http://x\")",
    "+62 812",
    "-5",
    "@SUM(1)",
    "\tx",
    "\rx",
    "\uff1d1+1",
    "Softcopy;\uff0b1",
    "#N/A",
)
TEXT_FIELDS = ("subcategory", "title", "summary", "unit", "responsible", "created", "place", "form",
               "retention", "remarks")


def hostile_items() -> list[Item]:
    return [item(n, **{name: HOSTILE[(n + k) % len(HOSTILE)] for k, name in enumerate(TEXT_FIELDS)})
            for n in range(1, len(HOSTILE) + 1)]


def fields(data: str, delimiter: str) -> list[str]:
    return [f for row in csv.reader(io.StringIO(data, newline=""), delimiter=delimiter) for f in row]


def assert_no_formula_start(values: list[str]) -> None:
    live = [v for v in values if v and v[0] in FORMULA_STARTS]
    assert not live, live


# ---- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_dip_csv_has_no_live_formula_with_either_list_separator(delimiter: str) -> None:
    data = render_site(hostile_items(), [], OFFICE, version())["dip.csv"].decode("utf-8-sig")
    values = fields(data, delimiter)
    assert_no_formula_start(values)
    if delimiter == ",":  # read as written, every cell is the staff's text, only neutralised
        rows = list(csv.reader(io.StringIO(data, newline="")))
        assert all(len(row) == len(FIELDS) for row in rows)
        titles = {row[3] for row in rows[1:]}
        assert neutralize_formula('Laporan;=HYPERLINK("http://x","klik")') in titles
        assert """Laporan;'=HYPERLINK("http://x","klik")""" in titles


@given(st.text(alphabet=st.sampled_from([*FORMULA_STARTS, ",", ";", '"', "\n", "\r", "'", " ", "a", "1"]),
               max_size=12), st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       st.sampled_from(["\r\n", "\n"]))
def test_neutralised_text_never_starts_a_cell_as_a_formula(text: str, quoting: Literal[0, 1],
                                                           end: str) -> None:
    """Any text, written by Python's csv writer (either quoting style, either line end) beside other
    cells, read back with either separator: no cell starts like a formula."""
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator=end, quoting=quoting)
    safe, backwards = neutralize_formula(text), neutralize_formula(text[::-1])
    writer.writerows([["Laporan", safe], [safe, backwards]])
    for delimiter in (",", ";"):
        assert_no_formula_start(fields(stream.getvalue(), delimiter))
    assert neutralize_formula(text).replace("'", "") == text.replace("'", "")  # only apostrophes added


@given(st.lists(st.text(alphabet=st.sampled_from([*FORMULA_STARTS, ",", ";", '"', "\n", "\r", "\x00", "a"]),
                        max_size=6), max_size=5))
def test_a_row_is_neutralised_as_each_of_its_values_is(values: list[str]) -> None:
    """The CSV's rows are searched once for anything to neutralise: never finding less than each
    value's own search (a NUL in a value included)."""
    assert neutralize_row(values) == [neutralize_formula(v) for v in values]


@given(st.lists(st.sampled_from(["http://", "HTTPS://", "javascript:", "a", "Z", "0", ".", "-", ":", "8", "/",
                                  "?", "#", "@", "[", "]", "\\", " ", "\t", "\x00", "\x7f", "%", "é"]),
                max_size=10).map("".join))
def test_a_plain_web_address_is_kept_exactly_as_taking_it_apart_keeps_it(url: str) -> None:
    """``safe_link`` knows a plain http(s) address without ``urlsplit``: never keeping what taking
    the address apart would drop, nor the other way round."""
    safe_link.cache_clear()
    stripped = url.strip()
    try:
        kept = stripped.lower().startswith(("http://", "https://")) and not any(
            c < " " or c == "\x7f" for c in stripped) and bool(urlsplit(stripped).hostname)
    except ValueError:
        kept = False
    assert safe_link(url) == (stripped if kept else "")


def test_neutralize_formula_leaves_ordinary_text_alone() -> None:
    for text in ("Laporan Keuangan 2024", "Softcopy dan Hardcopy", "2020-2024", "a - b", "1/PPID/2026",
                 "e-mail", "Rp 1.000,00", "a; b", ""):
        assert neutralize_formula(text) == text


# ---- XLSX --------------------------------------------------------------------------------------


def test_no_cell_of_dip_xlsx_is_a_formula_whatever_staff_or_the_configuration_wrote() -> None:
    office = dataclasses.replace(OFFICE, name="=HYPERLINK(\"http://x\",\"KPU\")", short_name="+KPU")
    v = Version("20261125-100000", "2026-11-25T10:00:00+07:00", "@25 November 2026", "=1+1", "-2 Januari",
                2026)
    data = render_site(hostile_items(), [], office, v)["dip.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    texts.append(cell.value)
    assert "#N/A" in texts and 'Laporan;=HYPERLINK("http://x","klik")' in texts  # kept as typed
    assert "=1+1 tanggal -2 Januari" in texts and any(t.startswith("=HYPERLINK") for t in texts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b'<c t="e"' not in archive.read(name)


def test_a_title_shaped_like_xlsx_markup_stays_text_in_dip_xlsx() -> None:
    """xlsxwriter writes a text that starts with ``<r>`` and ends with ``</r>`` as raw XML: a title like
    this one would have added a formula cell to the sheet."""
    title = ('<r><t>x</t></r></is></c><c r="Z2"><f>HYPERLINK("http://x","klik")</f></c>'
             '<c r="Y2" t="inlineStr"><is><r><t>y</t></r>')
    data = render_site([item(1, title=title)], [], OFFICE, version())["dip.xlsx"]
    sheet = openpyxl.load_workbook(io.BytesIO(data))["DIP"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert title in [c.value for c in cells] and all(c.data_type in ("s", "n") for c in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


# ---- addresses from the configuration ----------------------------------------------------------

UNSAFE_URLS = ("javascript:alert(document.cookie)//", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
               "vbscript:msgbox(1)", "//evil.example/", "https://", "http:\x00//x", "file:///etc/passwd")
PAGES = ("index.html", "dik.html", "riwayat.html", "dip-fragment.html")


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_an_unsafe_base_url_or_website_reaches_no_page(url: str, tmp_path: Path) -> None:
    office = dataclasses.replace(OFFICE, website=url, email=f'ppid@x.go.id" onclick="{url}')
    v = dataclasses.replace(version(), site_url=url.rstrip("/") + "/")
    # an office template that prints the addresses directly gets the checked values too
    (tmp_path / "_signature.html.j2").write_text(
        '<a href="{{ version.site_url }}">a</a><a href="{{ office.website }}">b</a>'
        '<a href="mailto:{{ office.email }}">c</a>\n', encoding="utf-8")
    for templates in (None, tmp_path):
        files = render_site([item(1)], [EXCLUDED], office, v, templates)
        for name in PAGES:
            page = files[name].decode().lower()
            for unsafe in ("javascript:", "vbscript:", "data:text", 'href="file:', "//evil", "onclick"):
                assert unsafe not in page, (name, unsafe)
            assert 'href="https://"' not in page and 'href="mailto:ppid' not in page
        riwayat = files["riwayat.html"].decode()
        assert f'href="arsip/{v.id}/index.html"' in riwayat  # archive links fall back to relative ones


def test_a_safe_base_url_and_website_are_kept() -> None:
    office = dataclasses.replace(OFFICE, website="https://kpu-serangkab.go.id")
    v = dataclasses.replace(version(), site_url="https://ppid.kpu-serangkab.go.id/dip/")
    files = render_site([item(1)], [EXCLUDED], office, v)
    archived = f'href="https://ppid.kpu-serangkab.go.id/dip/arsip/{v.id}/index.html"'
    assert archived in files["riwayat.html"].decode()
    for name in ("index.html", "dik.html", "riwayat.html"):
        page = files[name].decode()
        assert '<a href="https://kpu-serangkab.go.id">' in page
        assert '<a href="mailto:ppid@kpu-serangkab.go.id">' in page
