"""The province's view end to end: real office sites on loopback, published by ``render_site``.

Four offices: one in order, one stale (last year's list, no decision date, old Berkala items), one
that publishes no DIK, and one whose site does not answer. The grid, the catalogue, their CSV and
XLSX, the change digest, and what each re-run costs, counted from the servers' side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dip_sheets.errors import AlreadyRunning, BackendUnavailable
from dip_sheets.lock import run_lock
from dip_sheets.province import ProvinceResult, raise_if_all_unreachable, run_province
from dip_sheets.province_checks import COLUMNS, GridRow
from dip_sheets.province_config import load_province_config
from dip_sheets.validate import Item
from tests.plugins.webservers import WebServer
from tests.province_sites import WIB, OfficeSite, toml
from tests.test_render import EXCLUDED, item

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=WIB)
ENDED = dataclasses.replace(EXCLUDED, id="DIK-0002", information="Berita Acara Rapat Pleno Tertutup",
                            period="sampai 1 Oktober 2026", expires=dt.date(2026, 10, 1))
LINKS = json.dumps({"version": 1, "links": {
    "https://a.example/1.pdf": {"ok": True}, "https://a.example/2.pdf": {"ok": True},
    "https://a.example/3.pdf": {"ok": False, "reason": "404"}}}).encode()
SELFCHECK = json.dumps({"butir": [{"status": "memenuhi"}, {"status": "memenuhi"},
                                  {"status": "belum"}]}).encode()


def fresh_items(offset: int, count: int = 6) -> list[Item]:
    """Items made this autumn: Berkala ones are recent."""
    return [item(offset + n, created="1 Oktober 2026", year=2026) for n in range(count)]


@dataclass
class Province:
    folder: Path
    config: Path
    sites: dict[str, OfficeSite]
    dead_url: str

    def run(self, at: dt.datetime = NOW) -> ProvinceResult:
        return run_province(self.config, now=at)

    def row(self, result: ProvinceResult, code: str) -> dict[str, str]:
        found: GridRow = next(r for r in result.rows if r.code == code)
        return {column: check.text for column, check in zip(COLUMNS, found.checks, strict=True)}

    def reset(self) -> None:
        for site in self.sites.values():
            site.reset()


@pytest.fixture
def province(tmp_path: Path, http_server: WebServer) -> Iterator[Province]:
    good = OfficeSite(http_server, "3201", "KPU Kabupaten Baik")
    good.publish(fresh_items(1), [EXCLUDED, ENDED], at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=WIB),
                 extra={"cek-tautan.json": LINKS, "monev.json": SELFCHECK})
    stale = OfficeSite(http_server, "3202", "KPU Kabupaten Lama")
    stale.publish([item(n) for n in range(20, 26)], [EXCLUDED], decision=("7/PPID/2025", ""),
                  at=dt.datetime(2025, 6, 10, 9, 0, tzinfo=WIB))
    no_dik = OfficeSite(http_server, "3203", "KPU Kabupaten Tanpa DIK")
    no_dik.publish(fresh_items(40), at=dt.datetime(2026, 11, 1, 9, 0, tzinfo=WIB), dik=False)
    with WebServer() as gone:
        dead_url = gone.url("/3204/")  # the port is closed once this block ends: nothing answers
    offices = [(s.code, s.name, s.url) for s in (good, stale, no_dik)]
    offices.append(("3204", "KPU Kabupaten Padam", dead_url))
    config = tmp_path / "provinsi.toml"
    config.write_text(toml("KPU Provinsi Contoh", offices, timeout=2, concurrency=2), encoding="utf-8")
    yield Province(tmp_path, config, {s.code: s for s in (good, stale, no_dik)}, dead_url)


def test_the_grid_shows_each_office_with_what_it_lacks(province: Province) -> None:
    result = province.run()
    assert [r.code for r in result.rows] == ["3201", "3202", "3203", "3204"]
    good = province.row(result, "3201")
    assert good["Situs"] == "memenuhi: terjangkau"
    assert good["Daftar tahun berjalan"] == "memenuhi: daftar tahun 2026"
    assert good["Keputusan PPID"] == "memenuhi: Nomor 12/PPID/2026 tanggal 2 Januari 2026"
    assert good["DIK"] == "memenuhi: 2 pengecualian, dimutakhirkan tahun 2026"
    assert good["Pengecualian berakhir"].startswith(
        "belum: 1: Berita Acara Rapat Pleno Tertutup (berakhir 1 Oktober 2026)")
    assert good["Berkala lebih dari 6 bulan"] == "memenuhi: 0 dari 2"
    assert good["Tautan rusak"] == "belum: 1 dari 3"
    assert good["Terakhir terbit"] == "memenuhi: 20 November 2026 (5 hari lalu)"
    assert good["Pemeriksaan mandiri"] == "belum: 2 dari 3 butir memenuhi"

    stale = province.row(result, "3202")
    assert stale["Daftar tahun berjalan"] == "belum: daftar terakhir tahun 2025; terbitkan daftar tahun 2026"
    assert stale["Keputusan PPID"] == "belum: tanggal keputusan tidak dicantumkan"
    assert stale["DIK"] == "belum: 1 pengecualian; terakhir dimutakhirkan tahun 2025"
    assert stale["Berkala lebih dari 6 bulan"] == "belum: 2 dari 2 belum dimutakhirkan dalam 6 bulan"
    assert stale["Terakhir terbit"].startswith("belum: 10 Juni 2025")
    assert stale["Tautan rusak"] == "tidak dapat dinilai: hasil cek tautan tidak diterbitkan"
    assert stale["Pemeriksaan mandiri"] == "tidak dapat dinilai: tidak diterbitkan"

    no_dik = province.row(result, "3203")
    assert no_dik["DIK"] == "belum: dik.html tidak diterbitkan"
    assert no_dik["Pengecualian berakhir"] == "tidak dapat dinilai: tanpa DIK"
    assert no_dik["Daftar tahun berjalan"].startswith("memenuhi")

    dead = province.row(result, "3204")  # kept, with the error in Indonesian
    assert dead["Situs"].startswith("belum: tidak terjangkau (" + province.dead_url + "perubahan.json:")
    assert "sambungan ditolak" in dead["Situs"]
    assert all(dead[c] == "tidak dapat dinilai: belum pernah terambil" for c in COLUMNS[1:])
    assert result.reachable == 3 and [u[0] for u in result.unreachable] == ["3204"]
    assert result.exit_code == 0
    assert result.summary()["unreachable"][0]["error"].startswith(province.dead_url)


def test_grid_and_catalogue_as_csv_xlsx_and_pages(province: Province) -> None:
    result = province.run()
    out = province.folder / "keluaran"
    assert {p.name for p in out.iterdir()} == {
        "kepatuhan.html", "kepatuhan.csv", "kepatuhan.xlsx", "katalog.html", "katalog.csv", "katalog.xlsx",
        "perubahan.txt"} == set(result.files)
    grid = pd.read_csv(out / "kepatuhan.csv", encoding="utf-8-sig", dtype=str)
    assert list(grid["Kode Kantor"]) == ["3201", "3202", "3203", "3204"]
    assert str(grid.loc[3, "Situs"]).startswith("belum: tidak terjangkau")
    grid_xlsx = pd.read_excel(out / "kepatuhan.xlsx", dtype=str, engine="openpyxl")
    assert list(grid_xlsx["DIK"]) == list(grid["DIK"])
    catalogue = pd.read_csv(out / "katalog.csv", encoding="utf-8-sig", dtype=str)
    assert len(catalogue) == 18 == result.items  # 6 items from each office that answered
    assert catalogue.groupby("Kode Kantor").size().to_dict() == {"3201": 6, "3202": 6, "3203": 6}
    assert set(catalogue["Kantor"]) == {"KPU Kabupaten Baik", "KPU Kabupaten Lama", "KPU Kabupaten Tanpa DIK"}
    for engine in ("openpyxl", "calamine"):  # Excel's format as two independent readers see it
        sheet = pd.read_excel(out / "katalog.xlsx", dtype=str, engine=engine)
        assert sheet.fillna("").equals(catalogue.fillna("")), engine
    page = (out / "katalog.html").read_text(encoding="utf-8")
    assert page.count('<tr data-kantor="3202"') == 6
    assert '<option value="3204">KPU Kabupaten Padam</option>' in page  # filterable, though empty
    grid_page = (out / "kepatuhan.html").read_text(encoding="utf-8")
    assert 'id="kantor-3204"' in grid_page and "tidak terjangkau" in grid_page
    digest = (out / "perubahan.txt").read_text(encoding="utf-8")
    assert digest == "Pengambilan pertama: 4 kantor, 18 informasi.\n"


def test_a_rerun_with_nothing_changed_sends_only_conditional_requests_answered_304(
        province: Province) -> None:
    first = province.run()
    assert sum(s.count(200, "dip.json") for s in province.sites.values()) == 3  # first run: in full
    province.reset()
    again = province.run(NOW + dt.timedelta(hours=1))
    for site in province.sites.values():
        assert site.answers == {("perubahan.json", 304): 1}, site.code
    sent = [r for r in province.sites["3201"].server.log if r.at > 0][-3:]
    assert all(r.headers.get("If-None-Match") and r.headers.get("If-Modified-Since") for r in sent)
    assert again.requests == 4 and again.not_modified == 3 and again.downloaded == 0  # + the dead office
    assert [r.checks for r in again.rows] == [r.checks for r in first.rows]
    assert again.digest == []
    assert "kepatuhan.html" in again.files and "katalog.html" not in again.files  # nothing to rebuild
    digest = (province.folder / "keluaran" / "perubahan.txt").read_text(encoding="utf-8")
    assert digest == "Tidak ada perubahan.\n"


def test_a_new_version_is_read_from_the_feed_and_named_in_the_digest(province: Province) -> None:
    province.run()
    site = province.sites["3203"]
    items = fresh_items(40)
    items = [*items[1:5], dataclasses.replace(items[5], title="Rencana Strategis 2026"), item(90, year=2026)]
    site.publish(items, at=dt.datetime(2026, 11, 26, 8, 0, tzinfo=WIB), dik=False)
    province.reset()
    result = province.run(NOW + dt.timedelta(days=1))
    assert site.count(name="dip.json") == 0  # caught up from the feed alone
    assert {"katalog.html", "katalog.csv", "katalog.xlsx"} <= set(result.files)
    assert site.count(200, "perubahan.json") == 1
    assert site.count(404, "dik.html") == 1  # the other files are asked for only after a new version
    assert [s.count() for s in province.sites.values()] == [1, 1, 4]
    (line,) = [d for d in result.digest if d.startswith("KPU Kabupaten Tanpa DIK")]
    assert line.startswith("KPU Kabupaten Tanpa DIK: versi baru 20261126-080000: 1 ditambah (")
    assert "1 diubah ('Rencana Strategis 2026')" in line and "1 dihapus (" in line
    catalogue = pd.read_csv(province.folder / "keluaran" / "katalog.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(catalogue[catalogue["Kode Kantor"] == "3203"]["ID"]) == sorted(i.id for i in items)


def test_an_office_that_stops_answering_keeps_its_row_and_its_last_copy(province: Province) -> None:
    province.run()
    province.sites["3202"].down = 503
    result = province.run(NOW + dt.timedelta(hours=2))
    stale = province.row(result, "3202")
    assert stale["Situs"].startswith("belum: tidak terjangkau (")
    assert "server sedang tidak tersedia (503)); data terakhir dari 25 November 2026 10.00" in stale["Situs"]
    assert stale["Daftar tahun berjalan"].startswith("belum: daftar terakhir tahun 2025")  # from the copy
    assert result.items == 18
    assert any(d.startswith("KPU Kabupaten Lama: situs tidak terjangkau (") for d in result.digest)
    province.sites["3202"].down = 0
    back = province.run(NOW + dt.timedelta(hours=3))
    assert "KPU Kabupaten Lama: situs terjangkau kembali." in back.digest


def test_no_office_answering_is_exit_code_3_with_the_grid_still_written(tmp_path: Path) -> None:
    with WebServer() as gone:
        url = gone.url("/x/")
    config = tmp_path / "provinsi.toml"
    config.write_text(toml("KPU Provinsi Sepi", [("1", "KPU Kota Sepi", url)], timeout=1), encoding="utf-8")
    result = run_province(config, now=NOW)
    assert result.exit_code == 3 and (tmp_path / "keluaran" / "kepatuhan.html").exists()
    with pytest.raises(BackendUnavailable, match="Tidak satu pun dari 1 situs kantor menjawab") as caught:
        raise_if_all_unreachable(result)
    assert caught.value.exit_code == 3


def test_what_an_office_published_cannot_become_a_formula_or_markup(
        tmp_path: Path, http_server: WebServer) -> None:
    site = OfficeSite(http_server, "9", "KPU <b>Kota</b>")
    hostile = item(1, '=HYPERLINK("http://evil.example","klik")', summary="<script>alert(1)</script>",
                   link="javascript:alert(1)")
    site.publish([hostile, item(2)], at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=WIB))
    config = tmp_path / "provinsi.toml"
    config.write_text(toml("P", [("9", "=cmd|' /C calc'!A0", site.url)]), encoding="utf-8")
    run_province(config, now=NOW)
    out = tmp_path / "keluaran"
    page = (out / "katalog.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page
    csv_text = (out / "katalog.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'=cmd" in csv_text
    sheet = load_workbook(io.BytesIO((out / "katalog.xlsx").read_bytes())).active
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_second_run_while_one_holds_the_state_folder_stops_with_exit_code_4(province: Province) -> None:
    config = load_province_config(province.config)
    with run_lock(config.state_dir, "provinsi"), pytest.raises(AlreadyRunning) as caught:
        province.run()
    assert caught.value.exit_code == 4
    assert not (province.folder / "keluaran").exists()  # it changed nothing
