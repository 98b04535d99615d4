"""The e-Monev self-check: the demo office served over loopback HTTP, every item judged with its
reason; then each item in both states, from the same reviewed register with one thing changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dip_sheets import demo
from dip_sheets import schema as s
from dip_sheets.config import Config
from dip_sheets.errors import ConfigError
from dip_sheets.link_settings import LinkSettings
from dip_sheets.links import CACHE_FILE, LinkResult, save_cache
from dip_sheets.messages import Message
from dip_sheets.monev import MEETS, NOT_YET, MonevReport, MonevSettings
from dip_sheets.monev_check import berkala_updated, last_change, read_dik_rows, self_check
from dip_sheets.monev_items import JUDGES, Observed, judge_all
from dip_sheets.office import Office as Application
from dip_sheets.publish import publish
from dip_sheets.register import Grid, Snapshot
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import Review, review
from dip_sheets.targets.folder import FolderTarget
from tests.plugins.webservers import Reply, WebServer

JAKARTA = ZoneInfo("Asia/Jakarta")
LAST_YEAR = dt.datetime(2025, 6, 2, 9, 0, tzinfo=JAKARTA)
#: the day the demo's sample rows are dated from: its Berkala items are stale by ``NOW``, its third
#: exclusion ended on 31 December 2024
SAMPLED = dt.date(2025, 6, 1)
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=JAKARTA)
FAST = LinkSettings(timeout=3.0, per_host_rate=1000.0)
ALL_ITEMS = ["dip_daring", "tahun_daftar", "keputusan_terkini", "dik", "pengecualian_berakhir",
             "pengecualian_segera_berakhir", "berkala", "setiap_saat", "serta_merta", "tautan", "menu_ppid",
             "sop", "formulir"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


class StaticSite:
    """A published folder served as it is by ``http.server`` on loopback (links followed)."""

    def __init__(self, folder: Path) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@dataclass
class Office:
    """The demo office, published last year and this year, its site served over loopback."""

    folder: Path
    site: StaticSite
    config: Config
    web: WebServer  # the main website: PPID menu, SOPs, forms

    def settings(self, **changes: Any) -> MonevSettings:
        base = MonevSettings(
            ppid_menu_page=self.web.url("/ppid"),
            sop_consequence_test=self.web.url("/sop-uji-konsekuensi.pdf"),
            sop_dip=self.web.url("/sop-dip.pdf"), request_form=self.web.url("/permohonan"),
            objection_form=self.web.url("/keberatan"))
        return replace(base, **changes)

    def check(self, now: dt.datetime = NOW, **changes: Any) -> MonevReport:
        return self_check(self.config, now=now, settings=self.settings(**changes), link_settings=FAST)

    def review(self, now: dt.datetime = NOW) -> tuple[Snapshot, Review]:
        snapshot = WorkbookRegister(self.config.register.path).read()
        return snapshot, review(snapshot, self.config.units, now)


def publish_demo(folder: Path) -> Config:
    """The demo published on ``LAST_YEAR``, then established for this year by a new decision and
    published on ``NOW`` (so the archive holds both years)."""
    config = demo.demo_config(folder)
    folder.mkdir(parents=True, exist_ok=True)
    Application(config).init()
    append_rows(config.register.path, s.DIP_TAB, demo.sample_dip(SAMPLED))
    append_rows(config.register.path, s.DIK_TAB, demo.sample_dik(SAMPLED))
    append_rows(config.register.path, s.DECISION_TAB, [{  # last year's decision, in the register
        s.DECISION_NUMBER: "1/PP.01-Kpt/2025", s.DECISION_DATE: "6 Januari 2025",
        s.DECISION_ESTABLISHES: s.DECIDES_BOTH}])
    publish(config, WorkbookRegister(config.register.path), FolderTarget(config.publish.folder),
            now=LAST_YEAR, force=True)
    append_rows(config.register.path, s.DECISION_TAB, [{  # the decision is the register's now
        s.DECISION_NUMBER: "2/PP.01-Kpt/2026", s.DECISION_DATE: "2 Maret 2026",
        s.DECISION_ESTABLISHES: s.DECIDES_BOTH}])
    publish(config, WorkbookRegister(config.register.path), FolderTarget(config.publish.folder), now=NOW,
            force=True)
    return config


def seed_links(config: Config, broken: str = "") -> None:
    """The demo's links (on a host that does not exist here) as the link checker's cache has them."""
    snapshot = WorkbookRegister(config.register.path).read()
    urls = [i.link for i in review(snapshot, config.units, NOW).items if i.link]
    missing = Message("halaman tidak ditemukan (404)", "not found (404)")
    results = {u: LinkResult(u, True, NOW, u, 200) for u in urls}
    if broken:
        results[broken] = LinkResult(broken, False, NOW, broken, 404, missing)
    save_cache(config.state_dir / CACHE_FILE, results, NOW, FAST)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("kab") / "demo"
    config = publish_demo(folder)
    site = StaticSite(config.publish.folder)
    web = WebServer()
    web.route("/ppid", Reply(200, (("Content-Type", "text/html"),), (
        f'<nav><a href="{site.url}">Daftar Informasi Publik</a>'
        f' <a href="{site.url}dik.html">Daftar Informasi yang Dikecualikan</a></nav>').encode()))
    for path in ("/sop-uji-konsekuensi.pdf", "/sop-dip.pdf"):
        web.route(path, Reply(200, (("Content-Type", "application/pdf"),), b"%PDF-1.4\n"))
    for path in ("/permohonan", "/keberatan", "/keberatan.pdf"):
        web.route(path, Reply(200, (("Content-Type", "text/html"),), b"<form></form>"))
    config = replace(config, office=replace(config.office, ppid_name="Dra. Siti Aminah"),
                     publish=replace(config.publish, base_url=site.url))
    seed_links(config)
    yield Office(folder, site, config, web)
    site.close()
    web.close()


# --- the demo office, end to end ------------------------------------------------------------------

def test_every_item_of_the_demo_office_is_judged_with_its_reason(office: Office) -> None:
    report = office.check()
    assert [i.key for i in report.items] == ALL_ITEMS
    for item in report.items:
        assert item.state in (MEETS, NOT_YET)
        assert item.reason.id and item.reason.en, item.key
        if item.state == NOT_YET:
            assert item.todo.id and item.todo.en, item.key
    states = {i.key: i.state for i in report.items}
    # what the demo's sample data holds: one expired exclusion, 2 Setiap Saat items, old Berkala ones
    assert {k for k, v in states.items() if v == NOT_YET} == {
        "pengecualian_berakhir", "berkala", "setiap_saat"}
    assert "DIK-0003 berakhir 31 Desember 2024" in report.item("pengecualian_berakhir").reason.id
    assert report.item("dip_daring").evidence == (f"{office.site.url}index.html",)
    assert report.live_version is not None and report.previous_year_version is not None
    assert report.previous_year_version.startswith("20250602")
    summary = json.loads(report.to_json())
    assert summary["memenuhi"] == 10 and summary["belum"] == 3
    assert {i["item"] for i in summary["item"]} == set(ALL_ITEMS)
    lines = [line.id for line in report.lines()]
    assert lines[0].startswith("Swanilai e-Monev Komisi Pemilihan Umum Kabupaten Contoh: 10 dari 13")
    assert any(line.startswith("    Tindakan: ") for line in lines)


def test_a_site_that_does_not_answer_is_a_belum_not_a_failure(office: Office) -> None:
    closed = replace(office.config, publish=replace(office.config.publish, base_url="http://127.0.0.1:9/"))
    report = self_check(closed, now=NOW, settings=office.settings(), link_settings=FAST)
    assert report.item("dip_daring").state == NOT_YET
    assert "tidak terbaca" in report.item("dip_daring").reason.id
    assert report.item("dik").state == NOT_YET and report.item("tahun_daftar").state == NOT_YET
    assert report.live_version is None


def test_the_live_version_is_compared_with_the_last_publish(office: Office, tmp_path: Path) -> None:
    """A site showing an older version than the register recorded is not the established list."""
    older = sorted(p for p in (office.config.publish.folder / "arsip").iterdir())[0]
    stale = StaticSite(older)
    try:
        config = replace(office.config, publish=replace(office.config.publish, base_url=stale.url))
        report = self_check(config, now=NOW, settings=office.settings(), link_settings=FAST)
    finally:
        stale.close()
    item = report.item("dip_daring")
    assert item.state == NOT_YET
    assert f"situs menampilkan versi {older.name}" in item.reason.id
    assert "jalankan `dip publish`" in item.todo.id


def test_configured_addresses_are_checked_over_http(office: Office) -> None:
    office.web.route("/sop-hilang.pdf", Reply(404))
    report = office.check(sop_dip=office.web.url("/sop-hilang.pdf"),
                          objection_form=office.web.url("/keberatan.pdf"),
                          ppid_menu_page=office.web.url("/tidak-ada"))
    assert report.item("sop").state == NOT_YET
    assert "SOP penetapan dan pemutakhiran DIP tidak terbuka: halaman tidak ditemukan (404)" in \
        report.item("sop").reason.id
    assert "formulir keberatan berupa berkas unduhan" in report.item("formulir").reason.id
    assert report.item("menu_ppid").reason.id == f"{office.web.url('/tidak-ada')} tidak terbuka"


def test_a_broken_link_in_the_cache_is_a_belum(office: Office, tmp_path: Path) -> None:
    _, reviewed = office.review()
    broken = next(i for i in reviewed.items if i.link)
    config = replace(office.config, state_dir=tmp_path)
    seed_links(config, broken=broken.link)
    report = self_check(config, now=NOW, settings=office.settings(), link_settings=FAST)
    assert report.item("tautan").state == NOT_YET
    assert report.item("tautan").reason.id == f"{broken.id}: halaman tidak ditemukan (404)"
    assert (broken.link, False, "halaman tidak ditemukan (404)") in report.links


# --- each item in both states ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def observed(office: Office) -> Observed:
    """What the self-check sees on the demo office, every item met that the sample data allows."""
    snapshot, reviewed = office.review()
    live = json.loads((office.config.publish.folder / "dip.json").read_bytes())
    manifest = json.loads((office.config.publish.folder / "manifest.json").read_bytes())
    page = (office.config.publish.folder / "dik.html").read_text(encoding="utf-8")
    return Observed(
        today=NOW.date(), review=reviewed, berkala_updated={},
        dik_rows=read_dik_rows(snapshot, reviewed, office.config.units),
        live=live, live_version=manifest["version"], recorded_version=manifest["version"], dik_page=page,
        last_change=dt.date(2025, 6, 2), decision_date=dt.date(2026, 3, 2), links={},
        menu_links=frozenset({office.site.url, f"{office.site.url}dik.html"}))


def judge(office: Office, obs: Observed, key: str, **settings: Any) -> tuple[str, Message]:
    item = next(i for i in judge_all(obs, office.config, office.settings(**settings)) if i.key == key)
    return item.state, item.reason


def without(reviewed: Review, category: str) -> Review:
    kept = [r for r in reviewed.dip if not (r.item and r.item.category == category)]
    return dataclasses.replace(reviewed, dip=kept)


def test_dip_online_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "dip_daring")[0] == MEETS
    undecided = {**(observed.live or {}), "keputusan_ppid": {"nomor": "", "tanggal": ""}}
    for changed, words in ((dict(live=None), "daftar tidak terbaca"),
                           (dict(recorded_version="20990101-000000Z"), "terbitan terakhir di tujuan terbit"),
                           (dict(live=undecided), "tidak mencantumkan nomor dan tanggal Keputusan PPID")):
        state, reason = judge(office, replace(observed, **changed), "dip_daring")
        assert state == NOT_YET and words in reason.id
    unsigned = replace(office.config, office=replace(office.config.office, ppid_name=""))
    item = judge_all(observed, unsigned, office.settings())[0]
    assert item.state == NOT_YET and "nama pejabat PPID" in item.reason.id and "ppid_name" in item.todo.id


def test_list_year_both_states_with_the_january_grace(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "tahun_daftar") == (
        MEETS, Message("daftar tahun 2026", "the list of 2026"))
    next_year = replace(observed, today=dt.date(2027, 3, 1))
    assert judge(office, next_year, "tahun_daftar") == (
        NOT_YET, Message("daftar yang tayang adalah daftar tahun 2026", "the live list is the list of 2026"))
    january = replace(observed, today=dt.date(2027, 1, 20))
    assert judge(office, january, "tahun_daftar")[0] == MEETS
    assert judge(office, january, "tahun_daftar", january_grace_days=14)[0] == NOT_YET


def test_decision_older_than_the_list_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "keputusan_terkini")[0] == MEETS
    state, reason = judge(office, replace(observed, last_change=dt.date(2026, 3, 5)), "keputusan_terkini")
    assert state == NOT_YET and reason.id == ("Keputusan PPID tanggal 2 Maret 2026 lebih tua dari perubahan"
                                              " daftar terakhir (5 Maret 2026)")
    assert judge(office, replace(observed, decision_date=None), "keputusan_terkini")[0] == NOT_YET


def test_dik_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "dik")[0] == MEETS
    assert "halaman DIK tidak terbuka" in judge(office, replace(observed, dik_page=None), "dik")[1].id
    hidden = replace(observed, dik_page=observed.dik_page.replace('id="DIK-0002"', ""))  # type: ignore[union-attr]
    assert judge(office, hidden, "dik")[1].id == "belum tayang di halaman DIK: DIK-0002"
    incomplete = replace(observed, dik_rows=[*observed.dik_rows, ("DIK-0009", None, [])])
    assert "DIK-0009" in judge(office, incomplete, "dik")[1].id


def test_expired_and_ending_exclusions_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "pengecualian_berakhir")[0] == NOT_YET
    assert judge(office, observed, "pengecualian_segera_berakhir")[0] == MEETS
    mid_2024 = replace(observed, today=dt.date(2024, 6, 1))
    assert judge(office, mid_2024, "pengecualian_berakhir")[0] == MEETS
    december = replace(observed, today=dt.date(2024, 12, 15))
    assert judge(office, december, "pengecualian_segera_berakhir") == (
        NOT_YET, Message("DIK-0003 berakhir 31 Desember 2024", "DIK-0003 ends on 2024-12-31"))


def test_berkala_both_states_and_the_last_updated_column(office: Office, observed: Observed) -> None:
    snapshot, reviewed = office.review()
    updated = berkala_updated(snapshot, reviewed)
    # Waktu Pembuatan, no Terakhir Diperbarui column
    assert updated["DIP-0002"] == SAMPLED - dt.timedelta(days=40)
    assert updated["DIP-0001"] == dt.date(2025, 12, 31)  # a year counts as its last day
    state, reason = judge(office, replace(observed, berkala_updated=updated), "berkala")
    assert state == NOT_YET and "DIP-0002" in reason.id and "DIP-0001" not in reason.id
    # the unit records the update in the optional column: the item is current again
    grid = snapshot.tabs[s.DIP_TAB]
    rows = [[*grid.rows[0], "Terakhir Diperbarui"], *([*r, "2 Maret 2026"] for r in grid.rows[1:])]
    fresh = Snapshot({**snapshot.tabs, s.DIP_TAB: Grid(rows, grid.locked_rows, grid.protected)})
    updated = berkala_updated(fresh, review(fresh, office.config.units, NOW))
    assert set(updated.values()) == {dt.date(2026, 3, 2)}
    assert judge(office, replace(observed, berkala_updated=updated), "berkala")[0] == MEETS
    assert judge(office, replace(observed, review=without(reviewed, "Berkala")), "berkala")[0] == NOT_YET


def test_setiap_saat_and_serta_merta_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "setiap_saat") == (
        NOT_YET, Message("baru 2 dokumen Setiap Saat yang terbit",
                         "only 2 Setiap Saat documents are published"))
    assert judge(office, observed, "setiap_saat", min_setiap_saat=2)[0] == MEETS
    assert judge(office, observed, "serta_merta")[0] == MEETS
    none = replace(observed, review=without(observed.review, "Serta Merta"))
    assert judge(office, none, "serta_merta")[0] == NOT_YET


def test_links_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "tautan")[0] == MEETS
    item = next(i for i in observed.review.items if i.link)
    dns = Message("nama host tidak ditemukan (DNS)", "DNS")
    broken = LinkResult(item.link, False, NOW, item.link, None, dns)
    assert judge(office, replace(observed, links={item.link: broken}), "tautan") == (
        NOT_YET, Message(f"{item.id}: nama host tidak ditemukan (DNS)", f"{item.id}: DNS"))


def test_ppid_menu_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "menu_ppid")[0] == MEETS
    only_dip = replace(observed, menu_links=frozenset({f"{office.site.url}index.html"}))
    state, reason = judge(office, only_dip, "menu_ppid")
    assert state == NOT_YET and reason.id.endswith("tidak menautkan Daftar Informasi yang Dikecualikan")
    state, reason = judge(office, observed, "menu_ppid", ppid_menu_page="")
    assert (state, reason.id) == (NOT_YET, "halaman situs utama belum diisi")


def test_sop_and_forms_both_states(office: Office, observed: Observed) -> None:
    assert judge(office, observed, "sop")[0] == MEETS and judge(office, observed, "formulir")[0] == MEETS
    state, reason = judge(office, observed, "sop", sop_dip="")
    assert state == NOT_YET and "([monev] sop_dip)" in reason.id
    download = "https://ppid.example.go.id/form.docx"
    assert judge(office, observed, "formulir", request_form=download)[0] == NOT_YET


def test_the_higher_dik_item_appears_only_when_configured(office: Office, observed: Observed) -> None:
    assert len(JUDGES) == len(ALL_ITEMS) + 1
    item = judge_all(observed, office.config, office.settings(higher_dik_url="http://127.0.0.1:9/dik.json",
                                                              higher_issuer="Keputusan KPU"))[-1]
    assert (item.key, item.state) == ("dik_atasan", NOT_YET)
    assert "DIK atasan tidak terbaca" in item.reason.id


def test_last_change_is_the_newest_version_whose_items_changed() -> None:
    from dip_sheets.history import PastVersion

    a = PastVersion("a", "2025-06-02T09:00:00+07:00", records=({"id": "DIP-0001"},))
    b = PastVersion("b", "2026-03-10T10:00:00+07:00", records=({"id": "DIP-0001"},))
    c = PastVersion("c", "2026-04-01T10:00:00+07:00", records=({"id": "DIP-0001"}, {"id": "DIP-0002"}))
    assert last_change([a, b]) == dt.date(2025, 6, 2)
    assert last_change([a, b, c]) == dt.date(2026, 4, 1)
    assert last_change([]) is None


# --- settings --------------------------------------------------------------------------------------

def test_settings_are_read_from_toml() -> None:
    settings = MonevSettings.from_toml({"sop_dip": "https://ppid.example.go.id/sop-dip",
                                        "january_grace_days": 14, "higher_dik_url": "https://ppid.kpu.go.id/dik.json",
                                        "higher_issuer": "Keputusan KPU"})
    assert (settings.sop_dip, settings.january_grace_days) == ("https://ppid.example.go.id/sop-dip", 14)


@pytest.mark.parametrize(("table", "named"), [
    ({"sop_dipp": "x"}, "kunci tidak dikenal: sop_dipp"),
    ({"sop_dip": "ftp://x/sop"}, "sop_dip: harus alamat web lengkap"),
    ({"request_form": 5}, "request_form: harus teks"),
    ({"january_grace_days": "31"}, "january_grace_days: harus bilangan bulat"),
    ({"berkala_months": 0}, "berkala_months: di luar rentang"),
    ({"higher_dik_url": "https://ppid.kpu.go.id/dik.json"}, "higher_issuer belum"),
])
def test_wrong_settings_name_the_key(table: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MonevSettings.from_toml(table)
    assert named in caught.value.message("id")
    assert caught.value.message("en") != caught.value.message("id")
