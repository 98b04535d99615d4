"""Year editions: each past calendar year's last published list stays reachable as ``tahun-<year>.html``,
linked from the index (the current year), listed in the sitemap, rendered from that year's last archived
version, and publishing reads only the versions it needs, however many the archive holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from dip_sheets.config import Config
from dip_sheets.editions import editions, item_of
from dip_sheets.history import PastVersion
from dip_sheets.publish import ARCHIVE, publish, versions
from dip_sheets.records import item_record
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.render import Version, render_site
from tests.conftest import add_rows, established
from tests.test_publish_digest import ReadCounting
from tests.test_render import OFFICE, item, version

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=JAKARTA)


def past(vid: str, when: dt.datetime, titles: list[str]) -> PastVersion:
    v = Version(vid, when.isoformat(), "", "", "", when.year)
    items = [item(n, title) for n, title in enumerate(titles, 1)]
    return PastVersion.from_dip_json(render_site(items, [], OFFICE, v)["dip.json"])


def test_each_past_year_gives_its_last_version_newest_year_first() -> None:
    history = [past("a", at(2024, 3, 1), ["A"]), past("b", at(2024, 12, 31, 23), ["B"]),
               past("c", at(2025, 5, 1), ["C"]), past("d", at(2025, 9, 1), ["D"]),
               past("e", at(2026, 2, 1), ["E"])]
    current = version("f", at(2026, 11, 25).isoformat())
    found = editions(history, current)
    assert [(e.year, e.version.id, e.file) for e in found] == [
        (2025, "d", "tahun-2025.html"), (2024, "b", "tahun-2024.html")]
    # a version re-rendered after a rollback ignores what was published after it
    assert [e.version.id for e in editions(history, version("c", at(2025, 5, 1).isoformat()))] == ["b"]
    # the year is the office's: 31 December 23:00 in Jakarta is still that year
    assert editions(history[:2], version("x", at(2025, 1, 1).isoformat()))[0].year == 2024


def test_an_archived_record_gives_back_its_item() -> None:
    for original in (item(1), item(4, remarks="Catatan"), item(7, link="")):
        assert item_of(item_record(original)) == original
    assert item_of({"id": "DIP-1", "tahun": "bukan angka"}).year == 0


def test_the_year_page_shows_that_years_last_list_and_the_index_links_it() -> None:
    history = [past("20250601-030000Z", at(2025, 6, 1), ["Rencana Lama 2025", "Profil"]),
               past("20251220-030000Z", at(2025, 12, 20), ["Rencana Akhir 2025", "Profil"])]
    files = render_site([item(1, "Daftar 2026")], [], OFFICE, version(), history=history)
    year = files["tahun-2025.html"].decode()
    assert "Rencana Akhir 2025" in year and "Rencana Lama 2025" not in year and "Daftar 2026" not in year
    assert "<title>Daftar Informasi Publik KPU Kabupaten Serang Tahun 2025</title>" in year
    assert "Edisi tahun 2025." in year and 'href="index.html"' in year
    assert 'href="arsip/20251220-030000Z/dip.csv"' in year and 'href="dip.csv"' not in year
    index = files["index.html"].decode()
    assert '<a href="tahun-2025.html">DIP Tahun 2025</a>' in index and "Rencana Akhir" not in index
    assert "Tahun 2026</h1>" in index
    # no past year, no page and no link
    alone = render_site([item(1)], [], OFFICE, version())
    assert not [n for n in alone if n.startswith("tahun-")] and b"tahun-" not in alone["index.html"]


def _titles(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def test_publishing_in_2025_then_2026_keeps_2025s_list_as_its_own_page(
    publish_config: Config, workbook: WorkbookRegister
) -> None:
    folder = publish_config.publish.folder
    add_rows(workbook, [established("Rencana Kerja 2025"), established("Profil Badan Publik")])
    first = publish(publish_config, workbook, _target(folder), now=at(2025, 6, 2), force=True)
    add_rows(workbook, [established("Laporan Akhir Tahun 2025")])
    last_2025 = publish(publish_config, workbook, _target(folder), now=at(2025, 12, 22), force=True)
    assert (first.status, last_2025.status) == ("published", "published")
    assert not list(folder.glob("tahun-*.html"))  # the index is the year's list
    add_rows(workbook, [established("Rencana Kerja 2026")])
    in_2026 = publish(publish_config, workbook, _target(folder), now=at(2026, 1, 5), force=True)
    assert in_2026.status == "published"

    year = _titles(folder / "tahun-2025.html")
    for title in ("Rencana Kerja 2025", "Profil Badan Publik", "Laporan Akhir Tahun 2025"):
        assert title in year, title
    assert "Rencana Kerja 2026" not in year and last_2025.version in year
    index = _titles(folder / "index.html")
    assert '<a href="tahun-2025.html">DIP Tahun 2025</a>' in index
    assert "Rencana Kerja 2026" in index
    assert "https://ppid.example.go.id/dip/tahun-2025.html" in _titles(folder / "sitemap.xml")
    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert "tahun-2025.html" in manifest["files"]
    # the archived version carries it too: a copy of the site is whole
    assert (folder / ARCHIVE / in_2026.version / "tahun-2025.html").read_bytes() == \
        (folder / "tahun-2025.html").read_bytes()
    # an unchanged publish renders nothing new
    again = publish(publish_config, workbook, _target(folder), now=at(2026, 1, 6), force=True)
    assert (again.status, again.version) == ("unchanged", in_2026.version)


def test_publishing_reads_one_archived_list_per_past_year_whatever_the_archive_holds(
    publish_config: Config, workbook: WorkbookRegister
) -> None:
    folder = publish_config.publish.folder
    target = ReadCounting(folder)
    moments = [at(2024, 11, 1), at(2024, 12, 1), *(at(2025, m, 1) for m in range(2, 8)), at(2026, 2, 1)]
    for n, moment in enumerate(moments):
        add_rows(workbook, [established(f"Informasi {n}")])
        assert publish(publish_config, workbook, target, now=moment, force=True).status == "published"
    archived = [m.version for m in versions(target)]
    target.reads.clear()
    add_rows(workbook, [established("Informasi terakhir")])
    publish(publish_config, workbook, target, now=at(2026, 3, 1), force=True)
    read = {p.split("/")[1] for p in target.reads if p.startswith(f"{ARCHIVE}/") and p.endswith("/dip.json")}
    # the history's three (oldest, the live one and its predecessor) and each past year's last
    assert read & set(archived) <= {archived[0], archived[1], archived[-2], archived[-1]}
    assert "Informasi 7" in _titles(folder / "tahun-2025.html")
    assert "Informasi 1" in _titles(folder / "tahun-2024.html")
    assert "Informasi 2" not in _titles(folder / "tahun-2024.html")


def _target(folder: Path) -> ReadCounting:
    return ReadCounting(folder)


def test_a_long_past_year_is_split_like_the_index() -> None:
    titles = [f"Informasi {n}" for n in range(1, 1502)]
    history = [past("20251220-030000Z", at(2025, 12, 20), titles)]
    files = render_site([item(1)], [], OFFICE, version(), history=history)
    page = files["tahun-2025.html"]
    assert b'data-lanjutan="tahun-2025-lanjutan.js?v=20251220-030000Z"' in page
    assert page.count(b'data-tahun="') == 300
    assert files["tahun-2025-lanjutan.js"].count(b"data-tahun=") == 1201
    # its no-JS link to the whole list is that year's archived CSV, not today's
    note = page[page.index(b'<div id="lanjutan"'):]
    assert b'href="arsip/20251220-030000Z/dip.csv"' in note
