"""Followed and found: the Atom feed of published versions (``feed.xml``), ``sitemap.xml``, the
canonical address and Open Graph tags, and the accessibility statement page."""

from __future__ import annotations

import dataclasses
import html
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from dip_sheets.history import PastVersion
from dip_sheets.render import Version, render_site
from tests.test_render import OFFICE, item, version

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://ppid.kpu-serangkab.go.id/dip/"


def three_versions(site_url: str = "") -> Mapping[str, bytes]:
    """Version 1 with items 1-3; version 2 adds 4 and drops 3; version 3 renames 2 (the current)."""
    v1 = Version("20260101-080000", "2026-01-01T08:00:00+07:00", "1 Januari 2026", "1/PPID/2026")
    v2 = Version("20260301-080000", "2026-03-01T08:00:00+07:00", "1 Maret 2026", "5/PPID/2026")
    first = render_site([item(1), item(2), item(3)], [], OFFICE, v1)["dip.json"]
    second = render_site([item(1), item(2), item(4)], [], OFFICE, v2)["dip.json"]
    current = dataclasses.replace(version(), site_url=site_url)
    return render_site([item(1), item(2, "Neraca & Catatan <Keuangan>"), item(4)], [], OFFICE, current,
                       history=[PastVersion.from_dip_json(first), PastVersion.from_dip_json(second)])


def test_the_feed_has_one_entry_per_published_version_with_its_changes() -> None:
    feed = ET.fromstring(three_versions(BASE)["feed.xml"])
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}updated") == "2026-11-25T10:00:00+07:00"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2026-11-25T10:00:00+07:00", "2026-03-01T08:00:00+07:00", "2026-01-01T08:00:00+07:00"]
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["Versi 20261125-100000: 0 ditambahkan, 0 dihapus, 1 diubah",
                      "Versi 20260301-080000: 1 ditambahkan, 1 dihapus, 0 diubah",
                      "Versi 20260101-080000: 3 informasi (versi pertama yang tercatat)"]
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 3
    assert entries[0].find(f"{ATOM}link").get("href") == f"{BASE}arsip/20261125-100000/index.html"  # type: ignore[union-attr]
    newest = entries[0].findtext(f"{ATOM}content") or ""
    # the content is HTML, escaped once for the XML: the title's own "&" and "<" survive intact
    assert "<h3>Diubah (1)</h3>" in newest
    assert "DIP-0002 Neraca &amp; Catatan &lt;Keuangan&gt; (berubah: " in newest
    assert "Nomor 5/PPID/2026" in (entries[1].findtext(f"{ATOM}content") or "")


def test_without_a_public_address_the_feed_still_parses_and_no_sitemap_is_written() -> None:
    files = three_versions()
    feed = ET.fromstring(files["feed.xml"])
    assert feed.findtext(f"{ATOM}id", "").startswith("urn:dip-sheets:")
    assert feed.find(f"{ATOM}link").get("href") == "feed.xml"  # type: ignore[union-attr]
    assert "sitemap.xml" not in files
    page = files["index.html"].decode()
    assert 'rel="canonical"' not in page and "og:title" not in page


def test_sitemap_canonical_and_open_graph_with_a_public_address() -> None:
    files = three_versions(BASE)
    sitemap = ET.fromstring(files["sitemap.xml"])
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    assert [u.findtext(f"{ns}loc") for u in sitemap] == [
        f"{BASE}{name}" for name in ("index.html", "dik.html", "riwayat.html", "aksesibilitas.html")]
    for name in ("index.html", "dik.html", "riwayat.html", "aksesibilitas.html"):
        page = files[name].decode()
        assert f'<link rel="canonical" href="{BASE}{name}">' in page
        assert f'<meta property="og:url" content="{BASE}{name}">' in page
        assert '<link rel="alternate" type="application/atom+xml"' in page
    index = files["index.html"].decode()
    title = index[index.index("<title>") + 7:index.index("</title>")]
    assert f'<meta property="og:title" content="{title}">' in index
    assert html.unescape(title) == "Daftar Informasi Publik KPU Kabupaten Serang Tahun 2026"


def test_the_accessibility_statement_is_published_and_linked_from_every_page() -> None:
    files = three_versions()
    statement = files["aksesibilitas.html"].decode()
    assert "<h1>Pernyataan Aksesibilitas</h1>" in statement and "WCAG" in statement
    assert "Permohonan informasi dan keberatan" in statement  # where to report a barrier
    for name in ("index.html", "dik.html", "riwayat.html"):
        assert '<a href="aksesibilitas.html">Pernyataan aksesibilitas</a>' in files[name].decode()
