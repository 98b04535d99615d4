"""Link results and staleness in the row: a warning in ``Catatan Sinkron`` that blocks nothing.

The links are real HTTP servers on loopback (tests/plugins/webservers.py); the registers are real
workbooks driven through :class:`~dip_sheets.office.Office`, as ``dip sync`` drives them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dip_sheets import Office, load_configs, row_watch
from dip_sheets import schema as s
from dip_sheets.errors import ConfigError
from dip_sheets.links import CACHE_FILE
from dip_sheets.register import cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.reports import sync_lines
from dip_sheets.stages import Stage
from dip_sheets.staleness import Watch
from dip_sheets.status import status, status_lines
from dip_sheets.sync import Review, review
from tests.conftest import NOW, UNITS, add_rows, established, good_row
from tests.memory_register import decisions_of_the_year, memory_register
from tests.plugins.webservers import Reply, WebServer
from tests.test_validate import dik_row

BROKEN = "Tautan tidak dapat dibuka"


def make_office(folder: Path, links: str | None = "[links]\nper_host_rate = 1000.0\n") -> Office:
    """A configured office (a ``dip.toml``) whose register was made by ``init``."""
    config = folder / "dip.toml"
    config.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n'
                      + (links or ""), encoding="utf-8")
    office = Office(load_configs(config)[0])
    office.init()
    add_rows(WorkbookRegister(office.config.register.path), decisions_of_the_year(), s.DECISION_TAB)
    return office


def notes(office: Office, tab: str = s.DIP_TAB) -> dict[str, str]:
    """Each row's ID -> its ``Catatan Sinkron``, as the workbook holds it."""
    grid = WorkbookRegister(office.config.register.path).read().tabs[tab].rows
    header = [s.normalize_header(h) for h in grid[0]]
    at = header.index(s.normalize_header(s.ID)), header.index(s.normalize_header(s.NOTE))
    return {cell_text(r[at[0]]): cell_text(r[at[1]]) if at[1] < len(r) else "" for r in grid[1:]
            if cell_text(r[at[0]])}


@pytest.fixture
def office(tmp_path: Path, http_server: WebServer) -> Office:
    """Two established rows on a loopback site: one link opens, the other is gone (404)."""
    http_server.route("/profil.pdf", Reply(200, body=b"%PDF-1.4"))
    made = make_office(tmp_path)
    add_rows(WorkbookRegister(made.config.register.path), [
        established("Profil", **{s.LINK: http_server.url("/profil.pdf"), s.CREATED: "Oktober 2026"}),
        established("Hilang", **{s.LINK: http_server.url("/hilang.pdf"), s.CREATED: "Oktober 2026"})])
    return made


def test_a_broken_link_is_a_warning_in_the_row_that_blocks_nothing(office: Office,
                                                                   http_server: WebServer) -> None:
    result = office.sync()
    assert http_server.hits("/profil.pdf") == 1 and http_server.hits("/hilang.pdf") == 1
    written = notes(office)
    assert written["DIP-0001"] == ""
    assert written["DIP-0002"].startswith(BROKEN) and "404" in written["DIP-0002"]
    summary = result.summary()
    assert summary["problems"] == {} and summary["publishable"] == 2
    assert list(summary["warnings"]) == ["DIP-0002"]
    assert [r.stage for r in result.review.dip] == [Stage.ESTABLISHED, Stage.ESTABLISHED]
    said = [line.id for line in sync_lines(result)]
    at = next(i for i, line in enumerate(said) if line.startswith("Peringatan pada 1 baris"))
    assert said[at + 1].startswith(f"  DIP-0002 (baris 3): {BROKEN}")
    published = office.publish()
    assert published.status == "published"
    assert "Hilang" in (office.config.publish.folder / "dip.json").read_text(encoding="utf-8")
    assert notes(office)["DIP-0002"] == written["DIP-0002"], "the publish keeps the warning"


def test_a_cron_sync_within_the_interval_fetches_nothing_and_writes_nothing(
        office: Office, http_server: WebServer) -> None:
    office.sync()
    before = len(http_server.log)
    again = office.sync()
    assert len(http_server.log) == before and again.applied is None
    assert list(again.summary()["warnings"]) == ["DIP-0002"], "the cache still stands"


def test_a_link_fixed_on_the_site_clears_the_warning_once_it_is_due(
        office: Office, http_server: WebServer, monkeypatch: pytest.MonkeyPatch) -> None:
    office.sync()
    http_server.route("/hilang.pdf", Reply(200, body=b"%PDF-1.4"))
    later = office.config.now() + dt.timedelta(days=1, minutes=1)  # a broken link is due after a day
    monkeypatch.setattr(type(office.config), "now", lambda _self: later)
    office.sync()
    assert http_server.hits("/hilang.pdf") == 2 and http_server.hits("/profil.pdf") == 1
    assert notes(office)["DIP-0002"] == ""


def test_a_dry_run_never_opens_a_link(office: Office, http_server: WebServer) -> None:
    result = office.sync(dry_run=True)
    assert http_server.log == [] and result.summary()["warnings"] == {}
    assert not (office.config.state_dir / CACHE_FILE).exists()


def test_a_dry_run_shows_what_the_cache_knows(office: Office, http_server: WebServer) -> None:
    office.sync()
    before = len(http_server.log)
    assert list(office.sync(dry_run=True).summary()["warnings"]) == ["DIP-0002"]
    assert len(http_server.log) == before


def test_without_a_links_section_no_link_is_opened(tmp_path: Path, http_server: WebServer) -> None:
    office = make_office(tmp_path, links=None)
    add_rows(WorkbookRegister(office.config.register.path),
             [good_row("A", **{s.LINK: http_server.url("/hilang.pdf"), s.CREATED: "Oktober 2026"})])
    assert office.config.links.check is False
    office.sync()
    assert http_server.log == [] and notes(office)["DIP-0001"] == ""


def test_check_false_opens_no_link(tmp_path: Path, http_server: WebServer) -> None:
    office = make_office(tmp_path, links="[links]\ncheck = false\n")
    add_rows(WorkbookRegister(office.config.register.path),
             [good_row("A", **{s.LINK: http_server.url("/hilang.pdf")})])
    office.sync()
    assert http_server.log == []


def test_a_failing_link_check_never_fails_the_sync(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(row_watch, "check_links", broken)
    result = office.sync()
    assert result.applied is not None and result.summary()["warnings"] == {}


def test_a_link_that_hangs_past_the_timeout_is_a_warning_not_a_failure(tmp_path: Path,
                                                                       http_server: WebServer) -> None:
    http_server.route("/lambat.pdf", Reply(200, delay=5.0))
    office = make_office(tmp_path, links="[links]\ntimeout = 0.5\n")
    add_rows(WorkbookRegister(office.config.register.path),
             [good_row("A", **{s.LINK: http_server.url("/lambat.pdf")})])
    office.sync()
    assert notes(office)["DIP-0001"].startswith(BROKEN)


# ---- the [links] section ---------------------------------------------------------------------------

def test_the_links_section_is_read_and_type_checked(tmp_path: Path) -> None:
    office = make_office(tmp_path, links="[links]\ntimeout = 3\nrecheck_ok_days = 2\nconcurrency = 4\n")
    links = office.config.links
    assert (links.check, links.timeout, links.recheck_ok_days, links.concurrency) == (True, 3.0, 2.0, 4)
    settings = row_watch.link_settings(office.config)
    assert settings.recheck_ok == dt.timedelta(days=2) and settings.timeout == 3.0
    for wrong, key in (('timeout = "lama"', "timeout"), ("concurrency = 0", "concurrency"),
                       ("check = 1", "check"), ("recheck_broken_days = -1", "recheck_broken_days"),
                       ("jeda = 2", "jeda")):
        (tmp_path / "dip.toml").write_text(f"[links]\n{wrong}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_configs(tmp_path / "dip.toml")
        assert key in caught.value.message("id") and "[links]" in caught.value.message("id")


# ---- staleness --------------------------------------------------------------------------------------

RULES = Watch(berkala_months=6, ending_days=30)


def test_a_berkala_item_not_updated_for_six_months_is_warned_in_its_row() -> None:
    register = memory_register()
    register.tabs[s.DIP_TAB][0].append(s.LAST_UPDATED)
    old = register.add(s.DIP_TAB, established("Lama", **{s.CREATED: "31 Januari 2026"}))
    updated = register.add(s.DIP_TAB, established("Diperbarui", **{s.CREATED: "2024",
                                                                  s.LAST_UPDATED: "1 Oktober 2026"}))
    other = register.add(s.DIP_TAB, established("Setiap Saat", **{s.CATEGORY: "Setiap Saat",
                                                                   s.CREATED: "2020"}))
    result = review(register.read(), UNITS, NOW, RULES)
    by_row = {r.anchor.row: r for r in result.dip}
    assert [w.column for w in by_row[old].warnings] == [s.LAST_UPDATED]
    warning = by_row[old].warnings[0].id
    assert "lebih dari 6 bulan" in warning and "31 Januari 2026" in warning
    assert by_row[updated].warnings == [] and by_row[other].warnings == []
    assert by_row[old].publishable and by_row[old].findings == [] and by_row[old].stage is Stage.ESTABLISHED
    assert any(w.header == s.NOTE and str(w.value).startswith("Informasi Berkala ini") for w in
               result.changes.writes if w.anchor.row == old)


def test_the_update_column_is_optional_and_falls_back_to_the_time_of_creation() -> None:
    register = memory_register()  # no Terakhir Diperbarui column at all
    row = register.add(s.DIP_TAB, good_row("A", **{s.CREATED: "2 Maret 2026"}))
    assert review(register.read(), UNITS, NOW, RULES).dip[0].warnings[0].column == s.LAST_UPDATED
    column = register.tabs[s.DIP_TAB][0].index(s.CREATED)
    register.tabs[s.DIP_TAB][row][column] = "2026"  # a year counts as its last day: never called stale early
    assert review(register.read(), UNITS, NOW, RULES).dip[0].warnings == []


def test_without_rules_the_review_warns_about_nothing() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, good_row("A", **{s.CREATED: "2020"}))
    assert review(register.read(), UNITS, NOW).dip[0].warnings == []


def test_an_exclusion_ending_within_thirty_days_is_warned_in_its_dik_row() -> None:
    register = memory_register()
    register.add(s.DIK_TAB, dik_row(**{s.DIK_PERIOD: "sampai 10 Desember 2026"}))
    register.add(s.DIK_TAB, dik_row(**{s.DIK_PERIOD: "sampai 31 Desember 2027"}))
    result = review(register.read(), UNITS, NOW, RULES)
    soon, later = result.dik
    assert soon.findings == [] and [w.column for w in soon.warnings] == [s.DIK_PERIOD]
    assert "10 Desember 2026 (15 hari lagi)" in soon.warnings[0].id
    assert later.warnings == []
    assert result.problem_rows() == [] and result.warned_rows() == [soon]


def test_the_office_applies_its_monev_rules_in_the_sync(tmp_path: Path) -> None:
    office = make_office(tmp_path, links="[monev]\nberkala_months = 12\n")
    add_rows(WorkbookRegister(office.config.register.path),
             [good_row("A", **{s.CREATED: "2 Maret 2026", s.FORM: "Hardcopy", s.LINK: ""}),
              good_row("B", **{s.CREATED: "2 Maret 2025", s.FORM: "Hardcopy", s.LINK: ""})])
    office.sync()
    assert notes(office)["DIP-0001"] == "" and "lebih dari 12 bulan" in notes(office)["DIP-0002"]


# ---- dip status --------------------------------------------------------------------------------------

def test_status_shows_broken_links_from_the_cache_without_opening_them(office: Office,
                                                                       http_server: WebServer) -> None:
    assert office.status().report["broken_links"] == [], "nothing checked yet, nothing opened"
    assert http_server.log == []
    office.sync()
    before = len(http_server.log)
    report = office.status().report
    assert len(http_server.log) == before
    [broken] = report["broken_links"]
    assert (broken["id"], broken["row"], broken["url"]) == ("DIP-0002", 3, http_server.url("/hilang.pdf"))
    assert broken["warning"].startswith(BROKEN) and report["stale"] == []
    said = [line.id for line in office.status().lines()]
    assert "Tautan yang tidak dapat dibuka (pemeriksaan terakhir):" in said
    assert any(line.startswith("  DIP-0002 (baris 3): Tautan tidak dapat dibuka") for line in said)


def test_status_shows_stale_items(tmp_path: Path) -> None:
    office = make_office(tmp_path, links=None)
    add_rows(WorkbookRegister(office.config.register.path),
             [good_row("A", **{s.CREATED: "2 Maret 2025", s.FORM: "Hardcopy", s.LINK: ""})])
    add_rows(WorkbookRegister(office.config.register.path),
             [dik_row(**{s.DIK_PERIOD: "sampai 10 Desember 2026"})], tab=s.DIK_TAB)
    today = dt.datetime(2026, 11, 25, 10, 0, tzinfo=NOW.tzinfo)
    report = status(review_of(office, today), today.date())
    assert [(w["tab"], w["id"]) for w in report["stale"]] == [("DIP", "DIP-0001"), ("DIK", "DIK-0001")]
    said = [line.id for line in status_lines(report)]
    assert "Perlu diperbarui:" in said and any("Masa pengecualian berakhir" in line for line in said)


def review_of(office: Office, now: dt.datetime) -> Review:
    snapshot = office.register.read()
    return review(snapshot, office.config.units, now, row_watch.watch(office.config, snapshot, now))


def test_the_demo_and_the_embedded_default_open_no_link(tmp_path: Path) -> None:
    from dip_sheets.config import default_config
    from dip_sheets.demo import demo_config

    assert demo_config(tmp_path).links.check is False and default_config(tmp_path).links.check is False


def test_a_register_table_may_override_the_links_section(tmp_path: Path) -> None:
    (tmp_path / "dip.toml").write_text(
        '[links]\ntimeout = 4\n'
        '[[register]]\nname = "a"\npath = "a.xlsx"\npublish = { folder = "situs-a" }\n'
        '[[register]]\nname = "b"\npath = "b.xlsx"\npublish = { folder = "situs-b" }\n'
        'links = { check = false }\n', encoding="utf-8")
    a, b = load_configs(tmp_path / "dip.toml")
    assert (a.links.check, a.links.timeout) == (True, 4.0)
    assert (b.links.check, b.links.timeout) == (False, 4.0)
