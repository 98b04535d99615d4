"""What an office publishes for the province beside its list: ``cek-tautan.json`` and ``monev.json``.

Real workbooks, a real folder target and loopback HTTP servers for the links; the published files
are read back with the province's own parsers (:mod:`dip_sheets.province_dik`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dip_sheets import Office
from dip_sheets import schema as s
from dip_sheets.province_dik import LINKS_FILE, SELFCHECK_FILE, parse_links, parse_selfcheck
from dip_sheets.published_state import selfcheck_path
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.site import MANIFEST
from tests.conftest import add_rows, established, good_row
from tests.plugins.webservers import Reply, WebServer
from tests.test_links_in_rows import make_office


@pytest.fixture
def office(tmp_path: Path, http_server: WebServer) -> Office:
    """Two established rows (one link opens, one is gone) and a draft whose link is not published."""
    http_server.route("/profil.pdf", Reply(200, body=b"%PDF-1.4"))
    made = make_office(tmp_path)
    add_rows(WorkbookRegister(made.config.register.path), [
        established("Profil", **{s.LINK: http_server.url("/profil.pdf"), s.CREATED: "Oktober 2026"}),
        established("Hilang", **{s.LINK: http_server.url("/hilang.pdf"), s.CREATED: "Oktober 2026"}),
        good_row("Draf", **{s.LINK: http_server.url("/draf.pdf"), s.CREATED: "Oktober 2026"})])
    return made


def live(office: Office, name: str) -> bytes:
    return (office.config.publish.folder / name).read_bytes()


def test_the_link_results_of_the_published_items_are_published_for_the_province(
        office: Office, http_server: WebServer) -> None:
    office.sync()
    assert office.publish().status == "published"
    document = json.loads(live(office, LINKS_FILE))
    assert sorted(document["links"]) == [http_server.url("/hilang.pdf"), http_server.url("/profil.pdf")]
    assert document["links"][http_server.url("/hilang.pdf")]["status"] == 404
    assert parse_links(live(office, LINKS_FILE)) == {"checked": 2, "broken": 1}
    assert LINKS_FILE in json.loads(live(office, MANIFEST))["files"]
    assert SELFCHECK_FILE not in json.loads(live(office, MANIFEST))["files"], "dip monev never ran"


def test_nothing_extra_is_published_before_any_check_ran(tmp_path: Path) -> None:
    office = make_office(tmp_path, links=None)
    add_rows(WorkbookRegister(office.config.register.path), [established("A", **{s.CREATED: "Oktober 2026"})])
    office.publish()
    files = json.loads(live(office, MANIFEST))["files"]
    assert LINKS_FILE not in files and SELFCHECK_FILE not in files


def test_the_last_self_check_is_kept_and_published(office: Office) -> None:
    report = office.monev()
    stored = json.loads(selfcheck_path(office.config).read_text(encoding="utf-8"))
    met = sum(i.meets for i in report.items)
    assert stored["ringkasan"] == f"{met} dari {len(report.items)} butir memenuhi"
    assert [b["status"] for b in stored["butir"]] == [i.state for i in report.items]
    office.publish()
    assert parse_selfcheck(live(office, SELFCHECK_FILE)) == stored["ringkasan"]


def test_new_check_results_alone_never_make_a_new_version(office: Office, http_server: WebServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    office.sync()
    first = office.publish()
    published = live(office, LINKS_FILE)
    http_server.route("/hilang.pdf", Reply(200, body=b"%PDF-1.4"))  # fixed on the site
    later = office.config.now() + dt.timedelta(days=2)
    monkeypatch.setattr(type(office.config), "now", lambda _self: later)
    office.sync()
    office.monev()
    again = office.publish()
    assert again.status == "unchanged" and again.version == first.version
    assert live(office, LINKS_FILE) == published, "the version keeps the results it was published with"
    add_rows(WorkbookRegister(office.config.register.path),
             [established("Baru", **{s.LINK: http_server.url("/profil.pdf"), s.CREATED: "Oktober 2026"})])
    changed = office.publish()
    assert changed.status == "published" and changed.version != first.version
    assert parse_links(live(office, LINKS_FILE)) == {"checked": 2, "broken": 0}
    assert SELFCHECK_FILE in json.loads(live(office, MANIFEST))["files"]
