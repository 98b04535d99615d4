"""The link checker against real HTTP and HTTPS servers on loopback (tests/plugins/webservers.py).

What the servers saw (their request log, their in-flight counter) is asserted, not timing; the few
time bounds are generous lower bounds, or upper bounds far above what the code needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import time
from pathlib import Path

import pytest
import requests

from dip_sheets import linkreasons as why
from dip_sheets.link_settings import LinkSettings
from dip_sheets.links import (
    CACHE_FILE,
    USER_AGENT,
    HostPacer,
    LinkResult,
    check_links,
    due,
    interleave_by_host,
    is_fresh,
    link_warning,
    load_cache,
    probe_links,
)
from dip_sheets.messages import Message
from tests.conftest import NOW
from tests.plugins.webservers import Reply, Request, TestCA, WebServer

OTHER_HOST = "sertifikat TLS tidak sah: dibuat untuk nama host lain"
FAST = LinkSettings(timeout=2.0, per_host_rate=1000.0)


def check_one(url: str, settings: LinkSettings = FAST) -> LinkResult:
    return probe_links([url], now=NOW, settings=settings)[url]


# --- answers ---------------------------------------------------------------------------------------

def test_a_page_that_answers_200_works(http_server: WebServer) -> None:
    http_server.route("/profil", Reply(200, body=b"x" * 100_000))
    result = check_one(http_server.url("/profil"))
    assert result == LinkResult(http_server.url("/profil"), True, NOW, http_server.url("/profil"), 200, None)
    assert link_warning(result) is None
    (request,) = http_server.log
    assert (request.method, request.headers["User-Agent"]) == ("GET", USER_AGENT)


def test_a_chain_of_301s_is_followed_to_the_end(http_server: WebServer) -> None:
    http_server.redirect("/lama", "/r2")  # relative
    http_server.redirect("/r2", http_server.url("/r3"))  # absolute
    http_server.redirect("/r3", "/baru", status=308)
    http_server.route("/baru", Reply(200))
    result = check_one(http_server.url("/lama"))
    assert (result.ok, result.status, result.final_url) == (True, 200, http_server.url("/baru"))
    assert [r.path for r in http_server.log] == ["/lama", "/r2", "/r3", "/baru"]


@pytest.mark.parametrize(("status", "reason"), [
    (404, "halaman tidak ditemukan (404)"),
    (410, "halaman sudah dihapus (410)"),
    (403, "akses ditolak (403)"),
    (400, "permintaan ditolak server (400)"),
    (500, "server bermasalah (500)"),
    (503, "server sedang tidak tersedia (503)"),
])
def test_http_errors_are_named(http_server: WebServer, status: int, reason: str) -> None:
    http_server.route("/dok.pdf", Reply(status))
    result = check_one(http_server.url("/dok.pdf"))
    assert (result.ok, result.status, result.reason and result.reason.id) == (False, status, reason)
    warning = link_warning(result)
    assert warning == Message(
        f"Tautan tidak dapat dibuka (diperiksa 2026-11-25): {reason}. Periksa alamat di kolom Tautan dan"
        " dokumennya di situs.",
        f"The link does not open (checked 2026-11-25): {result.reason and result.reason.en}. Check the"
        " address in the Tautan column and the document on the site.")


def test_an_error_after_a_redirect_reports_where_it_ended(http_server: WebServer) -> None:
    http_server.redirect("/lama", "/hilang")
    result = check_one(http_server.url("/lama"))
    assert (result.ok, result.status, result.final_url) == (False, 404, http_server.url("/hilang"))
    assert result.url == http_server.url("/lama")


def test_a_server_that_hangs_is_given_up_after_the_timeout(http_server: WebServer) -> None:
    http_server.route("/lambat", Reply(200, delay=60))
    started = time.monotonic()
    result = check_one(http_server.url("/lambat"), dataclasses.replace(FAST, timeout=0.5))
    assert time.monotonic() - started < 10
    assert (result.ok, result.status) == (False, None)
    assert result.reason == Message("tidak menjawab dalam 0,5 detik", "no answer within 0.5 seconds")
    assert http_server.hits("/lambat") == 1


# --- redirects that go nowhere ---------------------------------------------------------------------

def test_a_redirect_loop_is_named_as_a_loop(http_server: WebServer) -> None:
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a", status=302)
    result = check_one(http_server.url("/a"), dataclasses.replace(FAST, max_redirects=10))
    assert (result.ok, result.reason, result.status) == (False, why.REDIRECT_LOOP, 302)
    assert [r.path for r in http_server.log] == ["/a", "/b"]  # seen at once, not after 10 hops


def test_a_cookie_check_that_redirects_to_itself_is_not_a_loop(http_server: WebServer) -> None:
    def cookie_check(request: Request) -> Reply:
        if "sesi=1" in request.headers.get("Cookie", ""):
            return Reply(200)
        return Reply(302, (("Location", "/portal"), ("Set-Cookie", "sesi=1; Path=/")), b"")

    http_server.route("/portal", cookie_check)
    result = check_one(http_server.url("/portal"))
    assert (result.ok, result.status) == (True, 200)
    assert http_server.hits("/portal") == 2


def test_too_many_redirects_stops_at_the_limit(http_server: WebServer) -> None:
    for hop in range(5):
        http_server.redirect(f"/{hop}", f"/{hop + 1}")
    http_server.route("/5", Reply(200))
    result = check_one(http_server.url("/0"), dataclasses.replace(FAST, max_redirects=2))
    assert (result.ok, result.reason) == (False, why.too_many_redirects(2))
    assert why.too_many_redirects(2).id == "terlalu banyak pengalihan (lebih dari 2)"
    assert http_server.hits() == 3
    assert check_one(http_server.url("/0"), dataclasses.replace(FAST, max_redirects=5)).ok


def test_a_redirect_away_from_http_is_refused(http_server: WebServer) -> None:
    http_server.redirect("/unduh", "ftp://ftp.example.invalid/dok.pdf")
    result = check_one(http_server.url("/unduh"))
    assert (result.ok, result.reason, result.final_url) == (False, why.REDIRECT_NOT_HTTP,
                                                             "ftp://ftp.example.invalid/dok.pdf")


# --- the network below HTTP ------------------------------------------------------------------------

def test_an_unknown_host_is_a_dns_failure() -> None:
    result = check_one("https://ppid.tidak-ada.invalid/dok.pdf")
    assert (result.ok, result.status, result.reason) == (False, None, why.DNS)
    assert why.DNS.id == "nama host tidak ditemukan (DNS)"


def test_a_closed_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check_one(f"http://127.0.0.1:{port}/")
    assert (result.ok, result.reason) == (False, why.REFUSED)


@pytest.mark.parametrize("url", ["ftp://ppid.example.go.id/dok.pdf", "mailto:ppid@example.go.id",
                                 "ppid.example.go.id/dok.pdf", "https://"])
def test_only_http_and_https_are_opened(url: str) -> None:
    assert check_one(url).reason == why.NOT_HTTP


# --- TLS -------------------------------------------------------------------------------------------

def test_a_certificate_from_an_untrusted_issuer_is_a_named_tls_error(https_server: WebServer) -> None:
    https_server.route("/", Reply(200))
    result = check_one(https_server.url("/"))
    assert (result.ok, result.status) == (False, None)
    assert result.reason is not None
    assert result.reason.id.startswith("sertifikat TLS tidak sah: penerbitnya tidak dipercaya")
    assert https_server.hits() == 0  # nothing was sent over a connection that could not be trusted


def test_the_same_server_works_when_its_ca_is_trusted(https_server: WebServer, test_ca: TestCA) -> None:
    https_server.redirect("/", "/ok")
    https_server.route("/ok", Reply(200))
    result = check_one(https_server.url("/"), dataclasses.replace(FAST, verify=str(test_ca.path)))
    assert (result.ok, result.status, result.final_url) == (True, 200, https_server.url("/ok"))


@pytest.mark.parametrize(("certificate", "host", "reason"), [
    ({"self_signed": True}, "127.0.0.1", "sertifikat TLS tidak sah: ditandatangani sendiri, tidak dipercaya"),
    ({"expired": True}, "127.0.0.1", "sertifikat TLS sudah kedaluwarsa"),
    ({"hosts": ("portal.example.go.id",)}, "127.0.0.1", OTHER_HOST),  # an IP address not in the certificate
    ({"hosts": ("127.0.0.1",)}, "localhost", OTHER_HOST),  # a host name not in it
])
def test_bad_certificates_are_named(test_ca: TestCA, certificate: dict[str, object], host: str,
                                    reason: str) -> None:
    with WebServer(tls=test_ca.server_context(**certificate)) as server:  # type: ignore[arg-type]
        server.route("/", Reply(200))
        result = check_one(server.url("/", host), dataclasses.replace(FAST, verify=str(test_ca.path)))
    assert result.reason is not None and (result.ok, result.reason.id) == (False, reason)


# --- politeness ------------------------------------------------------------------------------------

def test_no_more_links_in_flight_than_the_concurrency(http_server: WebServer) -> None:
    for n in range(9):
        http_server.route(f"/{n}", Reply(200, delay=0.3))
    settings = dataclasses.replace(FAST, concurrency=3)
    results = probe_links([http_server.url(f"/{n}") for n in range(9)], now=NOW, settings=settings)
    assert all(r.ok for r in results.values()) and len(results) == 9
    assert 2 <= http_server.max_in_flight <= 3


def test_requests_to_one_host_are_paced(http_server: WebServer) -> None:
    http_server.redirect("/0", "/1")  # a redirect's hop counts against the pace too
    for n in range(1, 4):
        http_server.route(f"/{n}", Reply(200))
    settings = dataclasses.replace(FAST, per_host_rate=5.0, concurrency=4)
    results = probe_links([http_server.url(f"/{n}") for n in range(4)], now=NOW, settings=settings)
    assert all(r.ok for r in results.values())
    arrivals = sorted(r.at for r in http_server.log)
    assert len(arrivals) == 5
    assert arrivals[-1] - arrivals[0] >= 0.5  # 5 requests at 5 per second: at least 0.8 s apart


def test_the_pace_is_per_host() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = HostPacer(2.0, clock=lambda: clock[0], sleep=sleep)
    waits = [pacer.wait(host) for host in ("a", "a", "b", "a", "b", "c")]
    assert waits == [0.0, 0.5, 0.0, 1.0, 0.5, 0.0]
    clock[0] += 5.0  # a quiet host starts afresh
    assert pacer.wait("a") == 0.0 and slept == [0.5, 1.0, 0.5]


def test_hosts_are_interleaved_so_one_host_does_not_hold_the_others() -> None:
    urls = ["https://a/1", "https://a/2", "https://a/3", "https://b/1", "http://B/2", "https://c/1"]
    assert interleave_by_host(urls) == ["https://a/1", "https://b/1", "https://c/1",
                                        "https://a/2", "http://B/2", "https://a/3"]


# --- the cache -------------------------------------------------------------------------------------

def test_a_second_run_within_the_interval_sends_nothing(http_server: WebServer, tmp_path: Path) -> None:
    http_server.route("/baik", Reply(200))
    urls = [http_server.url("/baik"), http_server.url("/rusak")]
    first = check_links(urls, state_dir=tmp_path, now=NOW, settings=FAST)
    assert http_server.hits() == 2 and [r.ok for r in first.values()] == [True, False]

    later = check_links(urls, state_dir=tmp_path, now=NOW + dt.timedelta(hours=23), settings=FAST)
    assert http_server.hits() == 2
    assert later == first  # the cached results, reasons and all

    # a broken link is re-checked after a day, a working one only after a week
    check_links(urls, state_dir=tmp_path, now=NOW + dt.timedelta(days=1, hours=1), settings=FAST)
    assert (http_server.hits("/baik"), http_server.hits("/rusak")) == (1, 2)
    week = check_links(urls, state_dir=tmp_path, now=NOW + dt.timedelta(days=7, hours=1), settings=FAST)
    assert (http_server.hits("/baik"), http_server.hits("/rusak")) == (2, 3)
    assert week[urls[0]].checked_at == NOW + dt.timedelta(days=7, hours=1)


def test_the_intervals_are_settings(http_server: WebServer, tmp_path: Path) -> None:
    http_server.route("/", Reply(200))
    settings = dataclasses.replace(FAST, recheck_ok_days=1 / 24)
    for minutes in (0, 30, 61):
        check_links([http_server.url("/")], state_dir=tmp_path, now=NOW + dt.timedelta(minutes=minutes),
                    settings=settings)
    assert http_server.hits() == 2


def test_the_cache_file_keeps_only_fresh_results(http_server: WebServer, tmp_path: Path) -> None:
    http_server.route("/a", Reply(200))
    http_server.route("/b", Reply(200))
    check_links([http_server.url("/a")], state_dir=tmp_path, now=NOW, settings=FAST)
    check_links([http_server.url("/b")], state_dir=tmp_path, now=NOW + dt.timedelta(days=3), settings=FAST)
    assert set(load_cache(tmp_path / CACHE_FILE)) == {http_server.url("/a"), http_server.url("/b")}
    check_links([http_server.url("/b")], state_dir=tmp_path, now=NOW + dt.timedelta(days=10), settings=FAST)
    document = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    assert list(document["links"]) == [http_server.url("/b")]  # /a's result went stale and was dropped
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]  # no temporary file left behind


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"links": []}',
                                    b'{"links": {"http://x/": {"ok": true}}}'])
def test_a_damaged_cache_costs_only_a_recheck(http_server: WebServer, tmp_path: Path, damage: bytes) -> None:
    http_server.route("/", Reply(200))
    url = http_server.url("/")
    (tmp_path / CACHE_FILE).write_bytes(damage)
    assert check_links([url], state_dir=tmp_path, now=NOW, settings=FAST)[url].ok
    assert http_server.hits() == 1
    assert set(load_cache(tmp_path / CACHE_FILE)) == {url}


def test_due_is_decided_from_the_cache_and_now() -> None:
    def result(url: str, ok: bool, age: dt.timedelta) -> LinkResult:
        return LinkResult(url, ok, NOW - age, url, 200 if ok else 404,
                          None if ok else why.status_reason(404))

    cached = {r.url: r for r in [
        result("https://a/ok-6d", True, dt.timedelta(days=6)),
        result("https://a/ok-8d", True, dt.timedelta(days=8)),
        result("https://a/bad-2h", False, dt.timedelta(hours=2)),
        result("https://a/bad-2d", False, dt.timedelta(days=2)),
        result("https://a/future", True, -dt.timedelta(days=1)),
    ]}
    urls = [*cached, "https://a/new", "https://a/new"]
    assert due(urls, cached, NOW, LinkSettings()) == [
        "https://a/ok-8d", "https://a/bad-2d", "https://a/future", "https://a/new"]
    assert not is_fresh(cached["https://a/future"], NOW, LinkSettings())  # a clock set back re-checks


@pytest.mark.parametrize("wrong", [{"timeout": 0}, {"max_redirects": -1}, {"concurrency": 0},
                                   {"per_host_rate": 0}])
def test_settings_that_cannot_work_are_refused(wrong: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="invalid link-check settings"):
        LinkSettings(**wrong)  # type: ignore[arg-type]


def test_seconds_are_written_for_each_language() -> None:
    assert why.seconds(10.0) == ("10", "10")
    assert why.seconds(0.5) == ("0,5", "0.5")


@pytest.mark.parametrize(("error", "reason"), [
    (requests.ConnectionError(ConnectionResetError(104, "reset")), why.RESET),
    (requests.ConnectTimeout("connect"),
     Message("tidak tersambung dalam 10 detik", "no connection within 10 seconds")),
    (requests.exceptions.InvalidURL("bad"), why.INVALID_URL),
    (RuntimeError("?"),
     Message("tautan tidak dapat dibuka (RuntimeError)", "the link cannot be opened (RuntimeError)")),
])
def test_failures_the_servers_cannot_stage_are_named_too(error: BaseException, reason: Message) -> None:
    assert why.error_reason(error, 10.0) == reason
