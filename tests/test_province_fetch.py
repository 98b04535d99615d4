"""Fetching one office: the change feed first, its archived predecessors when behind, ``dip.json`` when
nothing else applies; timeouts, TLS, bounded concurrency; and the DIK read from a real ``dik.html``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from dip_sheets.feed import parse_feed, render_feed
from dip_sheets.history import PastVersion
from dip_sheets.province import run_province
from dip_sheets.province_config import OfficeSource
from dip_sheets.province_dik import parse_dik, parse_links, parse_selfcheck
from dip_sheets.province_fetch import Http, OfficeFetch, OfficeState, fetch_office, load_state, save_state
from dip_sheets.records import item_record
from dip_sheets.render import render_site
from tests.plugins.webservers import Reply, TestCA, WebServer
from tests.province_sites import WIB, OfficeSite, toml
from tests.test_province import ENDED, fresh_items
from tests.test_render import EXCLUDED, OFFICE, item, site, version

NOW = "2026-11-25T10:00:00+07:00"


def source(office: OfficeSite) -> OfficeSource:
    return OfficeSource(office.name, office.code, office.url)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=WIB)


def fetch(office: OfficeSite, held: OfficeState | None, http: Http | None = None) -> OfficeFetch:
    return fetch_office(source(office), held, http or Http(2.0, True), NOW)


def test_the_feed_carries_the_decision_and_an_older_feed_without_it_still_reads() -> None:
    current = PastVersion("20261125-100000", "2026-11-25T10:00:00+07:00", "12/PPID/2026", "2 Januari 2026")
    assert parse_feed(render_feed(current, None)).decision == ("12/PPID/2026", "2 Januari 2026")
    older = render_feed(current, None).replace(b'"keputusan_ppid"', b'"lain"')
    assert parse_feed(older).decision is None


def test_a_first_fetch_reads_dip_json_and_the_next_version_comes_from_the_feed(
        http_server: WebServer) -> None:
    office = OfficeSite(http_server, "1", "KPU Kota Satu")
    office.publish(fresh_items(1), [EXCLUDED], at=at(1))
    first = fetch(office, None)
    assert first.how == "full" and first.error is None and first.state is not None
    assert office.count(200, "dip.json") == 1 and first.state.year == 2026
    assert (first.state.decision_number, first.state.decision_date) == ("12/PPID/2026", "2 Januari 2026")
    office.publish(fresh_items(2), [EXCLUDED], at=at(3), decision=("20/PPID/2026", "3 November 2026"))
    office.reset()
    second = fetch(office, first.state)
    assert second.how == "feed" and office.count(name="dip.json") == 0
    assert second.state is not None and second.state.decision_number == "20/PPID/2026"
    assert [r["id"] for r in second.state.records] == [r["id"] for r in office.history[-1].records]
    assert second.state.records == [dict(r) for r in office.history[-1].records]
    assert second.changes.added and second.changes.removed


def test_an_office_two_versions_ahead_is_caught_up_through_its_archived_feeds(http_server: WebServer) -> None:
    office = OfficeSite(http_server, "2", "KPU Kota Dua")
    office.publish(fresh_items(1), at=at(1))
    held = fetch(office, None).state
    middle = office.publish(fresh_items(3), at=at(2))
    office.publish(fresh_items(5), at=at(3))
    office.reset()
    outcome = fetch(office, held)
    assert outcome.how == "feeds" and office.count(name="dip.json") == 0
    assert office.count(200, f"arsip/{middle}/perubahan.json") == 1
    assert outcome.state is not None
    assert outcome.state.records == [dict(r) for r in office.history[-1].records]


def test_a_gap_in_the_chain_or_a_damaged_copy_falls_back_to_dip_json(http_server: WebServer) -> None:
    office = OfficeSite(http_server, "3", "KPU Kota Tiga")
    office.publish(fresh_items(1), at=at(1))
    held = fetch(office, None).state
    assert held is not None
    middle = office.publish(fresh_items(3), at=at(2))
    office.publish(fresh_items(5), at=at(3))
    office.remove(f"arsip/{middle}/perubahan.json")  # an archive pruned by hand
    office.reset()
    outcome = fetch(office, held)
    assert outcome.how == "full" and office.count(200, "dip.json") == 1
    assert outcome.state is not None
    assert outcome.state.records == [dict(r) for r in office.history[-1].records]

    damaged = dataclasses.replace(outcome.state, records=outcome.state.records[1:])  # a copy that drifted
    office.publish(fresh_items(6), at=at(4))
    office.reset()
    again = fetch(office, damaged)
    assert again.how == "full" and office.count(200, "dip.json") == 1  # the digest caught the drift
    assert again.state is not None and again.state.records == [dict(r) for r in office.history[-1].records]


def test_a_site_without_a_feed_is_asked_for_dip_json_conditionally(http_server: WebServer) -> None:
    office = OfficeSite(http_server, "4", "KPU Kota Empat")
    office.publish(fresh_items(1), at=at(1), feed=False)
    held = fetch(office, None).state
    office.reset()
    outcome = fetch(office, held)
    assert outcome.how == "unchanged"
    assert dict(office.answers) == {("perubahan.json", 404): 1, ("dip.json", 304): 1}


def test_the_cache_survives_a_restart_and_a_damaged_file_costs_only_a_full_fetch(tmp_path: Path) -> None:
    state = OfficeState(code="5", version="v", records=[{"id": "DIP-0001"}], validators={"a": {"etag": "x"}})
    save_state(tmp_path, state)
    assert load_state(tmp_path, "5") == state
    (tmp_path / "kantor" / "5.json").write_text("{rusak", encoding="utf-8")
    assert load_state(tmp_path, "5") is None
    assert load_state(tmp_path, "6") is None


def test_a_site_that_hangs_past_the_timeout_is_unreachable_in_indonesian(http_server: WebServer) -> None:
    http_server.route("/lambat/perubahan.json", Reply(200, body=b"{}", delay=5.0))
    office = OfficeSource("KPU Kota Lambat", "7", http_server.url("/lambat/"))
    outcome = fetch_office(office, None, Http(0.5, True), NOW)
    assert outcome.state is None and outcome.error is not None
    assert outcome.error.id == f"{office.url}perubahan.json: tidak menjawab dalam 0,5 detik"
    assert outcome.error.en.endswith("no answer within 0.5 seconds")


def test_https_with_the_province_s_ca_bundle_and_a_refused_certificate(test_ca: TestCA) -> None:
    with WebServer(tls=test_ca.server_context()) as server:
        office = OfficeSite(server, "8", "KPU Kota Aman")
        office.publish(fresh_items(1), at=at(1))
        trusted = fetch(office, None, Http(2.0, str(test_ca.path)))
        assert trusted.error is None and trusted.how == "full"
        refused = fetch(office, None, Http(2.0, True))  # the system's CAs do not know the test CA
        assert refused.error is not None and "sertifikat TLS tidak sah" in refused.error.id


def test_offices_are_fetched_a_bounded_number_at_a_time(tmp_path: Path, http_server: WebServer) -> None:
    offices = [OfficeSite(http_server, f"k{n}", f"KPU Kota {n}") for n in range(8)]
    for office in offices:
        office.publish([item(1)], at=at(1))
        office.delay = 0.1
    config = tmp_path / "provinsi.toml"
    config.write_text(toml("P", [(o.code, o.name, o.url) for o in offices], concurrency=3), encoding="utf-8")
    result = run_province(config, now=at(25))
    assert result.reachable == 8
    assert http_server.max_in_flight == 3


def test_the_dik_page_dip_sheets_publishes_is_read_with_each_exclusion_s_end() -> None:
    dik = parse_dik(site([item(1)])["dik.html"])
    assert dik["published_at"] == version().published_at and dik["readable"]
    assert dik["exclusions"] == [
        {"informasi": EXCLUDED.information, "jangka": "5 tahun", "berakhir": "2031-01-02"}]
    files = render_site([item(1)], [EXCLUDED, ENDED], OFFICE, version())
    ends = [x["berakhir"] for x in parse_dik(files["dik.html"])["exclusions"]]
    assert ends == ["2031-01-02", "2026-10-01"]
    assert parse_dik(render_site([item(1)], [], OFFICE, version())["dik.html"])["exclusions"] == []
    assert parse_dik(b"<html>bukan DIK</html>")["exclusions"] == []


def test_link_results_and_self_check_in_known_and_unknown_shapes() -> None:
    assert parse_links(b'{"links": {"a": {"ok": true}, "b": {"ok": false}}}') == {"checked": 2, "broken": 1}
    assert parse_links(b"[1, 2]") == {"checked": -1, "broken": 0}
    assert parse_selfcheck(b'{"ringkasan": "12 dari 14 butir\\nmemenuhi"}') == "12 dari 14 butir memenuhi"
    two = b'{"butir": [{"status": "Memenuhi"}, {"status": "belum"}]}'
    assert parse_selfcheck(two) == "1 dari 2 butir memenuhi"
    assert parse_selfcheck(b"<html>") == "diterbitkan, tetapi bentuknya tidak dikenali"


def test_item_records_survive_the_cache_unchanged(tmp_path: Path) -> None:
    records = [item_record(item(n)) for n in range(1, 4)]
    save_state(tmp_path, OfficeState(code="9", version="v", records=records))
    held = load_state(tmp_path, "9")
    assert held is not None and held.records == records
