"""Google Sheets failing at every request of a sync and of a publish.

tests/test_register_sheets.py shows that retries happen; here the question is what a failure at
each *position* does to the register. The positions are taken from a clean run's request log, then
for every position and every kind of fault (429, 500, a timeout, a connection dropped before the
request arrived, a reply lost after Google applied it):

* with retries allowed, the run completes and the register ends exactly as after the clean run;
* with no retry budget (``dip`` through the CLI, exit code 3), the register is left consistent,
  and a plain re-run ends exactly as after the clean run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gspread.http_client import HTTPClient

from dip_sheets import load_configs, row_watch
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.errors import BackendUnavailable
from dip_sheets.ledger import EVENT_ESTABLISHED, event_name
from dip_sheets.publish import publish
from dip_sheets.register import cell_text
from dip_sheets.sync import review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established, good_row, site_files
from tests.plugins import reliability as counts
from tests.reliability.conftest import SheetsWorld, assert_fully_live, write_toml
from tests.sheets_emulator import SheetsEmulator

#: with a timeout fault the emulator answers the targeted request after DELAY s and the client
#: gives up on that request after TIMEOUT s. Only that request has the short timeout: every other
#: one keeps the client's normal timeout, so a busy machine never times out a request by itself.
TIMEOUT, DELAY = 0.15, 0.3
EARLIER = NOW - dt.timedelta(days=1)


@dataclasses.dataclass
class ShortTimeout:
    """Counts the client's HTTP attempts (one per emulator position) and gives attempt ``at``
    alone a timeout of TIMEOUT s."""

    at: int | None = None
    seen: int = 0

    def arm(self, at: int) -> None:
        self.at, self.seen = at, 0


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> ShortTimeout:
    state = ShortTimeout()
    original = HTTPClient.request

    def request(self: HTTPClient, *args: Any, **kwargs: Any) -> requests.Response:
        state.seen += 1
        if state.seen != state.at:
            return original(self, *args, **kwargs)
        normal = self.timeout
        self.set_timeout(TIMEOUT)
        try:
            return original(self, *args, **kwargs)
        finally:
            self.set_timeout(normal)

    monkeypatch.setattr(HTTPClient, "request", request)
    return state


Inject = Callable[[SheetsEmulator, int], None]
FAULTS: dict[str, Inject] = {
    "429": lambda emu, at: emu.fail(429, at=at),
    "500": lambda emu, at: emu.fail(500, at=at),
    "waktu habis": lambda emu, at: emu.delay(DELAY, at=at),
    "sambungan putus": lambda emu, at: emu.drop(at=at),
    "balasan hilang": lambda emu, at: emu.drop(at=at, after_processing=True),
}


def inject(fault: str, emu: SheetsEmulator, at: int, timeouts: ShortTimeout) -> None:
    """Fault ``fault`` at request ``at`` of the run that starts next; a slow reply also gets the
    client's short timeout at that request only."""
    FAULTS[fault](emu, at)
    if fault == "waktu habis":
        timeouts.arm(at)


def prepared(world: SheetsWorld) -> str:
    """A register a sync has run on before, then edited by staff, so the next sync does everything:
    assign IDs, establish (history + locks), flag a tampered row, note problems, grow a full tab.
    Made once per module and then copied whole (:meth:`SheetsWorld.once`): each case gets the same."""
    return world.once(prepare)


def prepare(world: SheetsWorld) -> str:
    sid = world.new_register(rows=14)
    world.put_row(sid, s.DIP_TAB, 2, established("Profil Badan Publik"))
    world.put_row(sid, s.DIP_TAB, 3, established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}))
    world.put_row(sid, s.DIP_TAB, 4, good_row("Draf Unit"))
    run(world.register(sid), UNITS, EARLIER)
    world.put_row(sid, s.DIP_TAB, 2, {s.SUMMARY: "Ringkasan yang diubah"})
    world.put_row(sid, s.DIP_TAB, 4, {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditetapkan"})
    for row, values in enumerate([
        established("Rencana Strategis"), established("Tautan Rusak", **{s.LINK: "bukan alamat"}),
        established("Data Pribadi", **{s.CATEGORY: "Dikecualikan"}),
        good_row("Agenda", **{s.CREATED: "31/02/2024"}),
    ], start=5):
        world.put_row(sid, s.DIP_TAB, row, values)
    world.put_row(sid, s.DIK_TAB, 2, {s.DIK_INFORMATION: "Data pemilih", s.UNIT: UNITS[2]})
    world.emu.delete_rows(sid, s.HISTORY_TAB, 5, 10)  # room for one more history row only
    world.emu.reset_log()
    return sid


def prepare_synced(world: SheetsWorld) -> str:
    """:func:`prepare`'s register synced once more (every row has its ID), then the PPID approves
    the correction waiting: a publish's own sync records it in the one batch that stamps steps 4
    and 5, written only once the version is live."""
    sid = prepare(world)
    run(world.register(sid), UNITS, EARLIER)
    world.put_row(sid, s.DIP_TAB, 2, {s.STEP3: s.APPROVE_CORRECTION})
    world.emu.reset_log()
    return sid


@dataclasses.dataclass
class Clean:
    apis: list[str]
    summary: dict[str, Any]
    state: dict[str, Any]
    #: what each case starts from (a clone of what it prepares, see :meth:`SheetsWorld.once`)
    make: Callable[[SheetsWorld], str] = prepare


def consistent(world: SheetsWorld, sid: str) -> None:
    """What must hold after any interrupted run: the layout reads, IDs are unique and below the
    counter, every established row has its history record, and only established rows are locked."""
    snapshot = world.register(sid).read()
    result = review(snapshot, UNITS, NOW)
    rows = snapshot.tabs[s.DIP_TAB].rows
    columns = s.locate_columns(s.TAB_BY_NAME[s.DIP_TAB], rows[0])

    def cell(row: list[Any], header: str) -> str:
        return cell_text(row[columns[header]]) if columns[header] < len(row) else ""

    written = [cell(r, s.ID) for r in rows[1:] if cell(r, s.ID)]
    assert len(written) == len(set(written)), written
    counter = {cell_text(r[0]): cell_text(r[1]) for r in snapshot.tabs[s.SYSTEM_TAB].rows[1:] if len(r) > 1}
    highest = max((int(i.split("-")[1]) for i in written), default=0)
    assert int(counter.get(s.LAST_ID_KEYS[s.DIP_TAB], "0")) >= highest, "an ID above the counter"
    history = snapshot.tabs[s.HISTORY_TAB].rows
    recorded = {(cell_text(h[1]), cell_text(h[3])) for h in history[1:] if len(h) > 3
                and event_name(h[2]) == EVENT_ESTABLISHED}  # "Ditetapkan: Langkah 3 = …" (issue 13)
    for row in rows[1:]:
        if cell(row, s.FINGERPRINT):
            assert (cell(row, s.ID), cell(row, s.FINGERPRINT)) in recorded, "established without history"
    fingerprinted = {i for i, r in enumerate(rows) if i and cell(r, s.FINGERPRINT)}
    assert snapshot.tabs[s.DIP_TAB].locked_rows <= fingerprinted
    assert len(result.dip) == 7


@pytest.fixture(scope="module")
def clean_sync(sheets_world: SheetsWorld) -> Clean:
    sid = prepared(sheets_world)
    result = run(sheets_world.register(sid), UNITS, NOW)
    return Clean(sheets_world.emu.apis(), result.summary(), sheets_world.state(sid))


@pytest.fixture
def world(sheets_world: SheetsWorld) -> Iterator[SheetsWorld]:
    yield sheets_world
    sheets_world.emu.wait_idle()
    sheets_world.emu.clear_faults()


def positions(clean: Clean) -> list[int]:
    return list(range(1, len(clean.apis) + 1))


def test_the_clean_sync_uses_every_kind_of_request(clean_sync: Clean) -> None:
    """The enumeration below is only worth something if the sync does everything it can."""
    assert clean_sync.apis == ["spreadsheets.get", "spreadsheets.get",
                               "spreadsheets.batchUpdate", "values.batchGet",
                               # the grid grown, so the anchors are checked again before the write
                               "spreadsheets.batchUpdate", "values.batchGetByDataFilter",
                               "values.batchUpdateByDataFilter", "spreadsheets.batchUpdate"]
    summary = clean_sync.summary
    assert summary["ids_assigned"] and summary["newly_established"] and summary["tampered"]
    assert summary["rows_appended"] >= 2 and summary["locks_changed"]


def role(apis: list[str], at: int) -> str:
    """What the request at 1-based position ``at`` does: a read, the row anchors (the
    ``:batchUpdate`` before the check), the grid growth (the one between the check and the
    cell write), the cell write, or the lock update (the one after the cell write)."""
    api = apis[at - 1]
    if api != "spreadsheets.batchUpdate":
        return api
    if at < apis.index("values.batchGet") + 1:
        return "anchors"
    return "grow" if at < apis.index("values.batchUpdateByDataFilter") + 1 else "locks"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_sync_rides_out_a_fault_at_every_request(
    world: SheetsWorld, clean_sync: Clean, fault: str, short_timeout: ShortTimeout
) -> None:
    emu = world.emu
    for at in positions(clean_sync):
        sid = prepared(world)
        inject(fault, emu, at, short_timeout)
        result = run(world.register(sid, timeout=10.0), UNITS, NOW)
        emu.wait_idle()
        # one repeat. The batch of anchors and locks is never repeated blindly: they are read
        # again and only what is missing is sent, i.e. nothing when the lost reply's batch was
        # applied, or when the timed-out batch landed late (its retry waits twice the time the
        # attempt took, so the late copy has landed when the metadata is read again).
        extra = 1
        if role(clean_sync.apis, at) in ("locks", "anchors") and fault not in ("balasan hilang",
                                                                                 "waktu habis"):
            extra = 2
        assert len(emu.apis()) == len(clean_sync.apis) + extra, (fault, at, emu.apis())
        assert result.summary() == clean_sync.summary, (fault, at)
        expected = {"429": 429, "500": 500, "sambungan putus": 0, "balasan hilang": 0}.get(fault)
        assert expected is None or emu.log[at - 1].status == expected  # (a late reply is unseen)
        assert world.state(sid) == clean_sync.state, (fault, at, clean_sync.apis[at - 1])
        counts.cases()
        counts.faults()


# ---- the bugs this suite found (fixed), one case each -------------------------------------------


def test_a_lost_reply_to_a_lock_update_is_not_a_layout_error(world: SheetsWorld, clean_sync: Clean) -> None:
    sid = prepared(world)
    at = next(i for i in positions(clean_sync) if role(clean_sync.apis, i) == "locks")
    world.emu.drop(at=at, after_processing=True)
    result = run(world.register(sid), UNITS, NOW)
    assert result.summary() == clean_sync.summary
    assert world.state(sid) == clean_sync.state


def test_a_lost_reply_to_a_new_lock_does_not_duplicate_it(world: SheetsWorld) -> None:
    sid = world.new_register()
    world.put_row(sid, s.DIP_TAB, 2, established("Profil Badan Publik"))
    world.emu.reset_log()
    world.emu.drop(when=lambda r: r.api == "spreadsheets.batchUpdate", after_processing=True)
    assert run(world.register(sid), UNITS, NOW).summary()["locks_changed"]
    rows = [p for p in world.emu.protections(sid, s.DIP_TAB)
            if p["description"].startswith("[dip-sheets:rows]")]
    assert len(rows) == 1, [p["range"] for p in rows]


def test_a_late_grid_growth_leaves_no_blank_rows_in_the_history(
    world: SheetsWorld, clean_sync: Clean, short_timeout: ShortTimeout
) -> None:
    sid = prepared(world)
    at = next(i for i in positions(clean_sync) if role(clean_sync.apis, i) == "grow")
    inject("waktu habis", world.emu, at, short_timeout)
    run(world.register(sid, timeout=10.0), UNITS, NOW)
    world.emu.wait_idle()
    assert world.state(sid)["values"][s.HISTORY_TAB] == clean_sync.state["values"][s.HISTORY_TAB]


def cli_config(world: SheetsWorld, sid: str, folder: Path, timeout: float) -> Path:
    """A dip.toml on the emulated sheet that gives up at the first failure (no retry budget)."""
    return write_toml(folder / "dip.toml", {"register": {
        "backend": "sheets", "spreadsheet_id": sid, "credentials": str(world.account.path),
        "timeout": timeout, "retry_budget": 0.001}})


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the time from the configuration; fix it so runs can be compared."""
    monkeypatch.setattr(Config, "now", lambda self: NOW)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_sync_without_retries_exits_3_leaves_the_register_consistent_and_a_rerun_finishes(
    world: SheetsWorld, clean_sync: Clean, fault: str, tmp_path: Path, fixed_clock: None,
    capsys: pytest.CaptureFixture[str], short_timeout: ShortTimeout,
) -> None:
    emu = world.emu
    # what ``dip sync`` leaves: the clean sync plus the office's warnings in the rows
    office = prepared(world)
    run(world.register(office), UNITS, NOW, watch=row_watch.watcher(default_config(tmp_path), NOW))
    synced = world.state(office)
    for at in positions(clean_sync):
        sid = prepared(world)
        toml = cli_config(world, sid, tmp_path, 10.0)
        inject(fault, emu, at, short_timeout)
        assert main(["sync", "--config", str(toml)]) == 3, (fault, at)
        err = capsys.readouterr().err
        assert err.startswith("Google Sheets sedang sibuk atau tidak dapat dihubungi"), err
        assert len(emu.apis()) == at  # it stopped right there
        emu.wait_idle()
        emu.clear_faults()
        consistent(world, sid)
        assert main(["sync", "--config", str(toml)]) == 0, capsys.readouterr().err
        assert world.state(sid) == synced, (fault, at, clean_sync.apis[at - 1])
        at_rest = run(world.register(sid), UNITS, NOW, watch=row_watch.watcher(load_configs(toml)[0], NOW))
        assert at_rest.applied is None  # and it is at rest
        capsys.readouterr()
        counts.cases()
        counts.faults()


# ---- publish: the sync, the step 4 and 5 stamps and the upload -------------------------------


def publish_config(base: Path) -> Config:
    base.mkdir(parents=True, exist_ok=True)  # a site's parent folder must exist (a typo never publishes)
    config = default_config(base)
    return dataclasses.replace(config, publish=PublishSettings(
        folder=base / "situs", by="PPID Contoh", base_url="https://ppid.example.go.id/dip/"))


@pytest.fixture(scope="module", params=[prepare, prepare_synced], ids=["ids-given", "synced"])
def clean_publish(sheets_world: SheetsWorld, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> Clean:
    """A clean publish of a register whose sync gives IDs to rows going live (written with step 4
    before the upload, step 5 after), or of one whose rows all have theirs (one write, after)."""
    make = request.param
    sid = sheets_world.once(make)
    base = tmp_path_factory.mktemp("bersih")
    result = publish(publish_config(base), sheets_world.register(sid), FolderTarget(base / "situs"),
                     now=NOW, force=True)
    assert result.status == "published"
    writes = [a for a in sheets_world.emu.apis() if a == "values.batchUpdateByDataFilter"]
    assert len(writes) == (2 if make is prepare else 1)
    return Clean(sheets_world.emu.apis(), result.summary(), {**sheets_world.state(sid),
                                                             "site": site_files(base / "situs")}, make)


def test_publish_survives_a_fault_at_every_request(
    world: SheetsWorld, clean_publish: Clean, tmp_path: Path, short_timeout: ShortTimeout
) -> None:
    """Retries allowed: one kind of fault per position, cycling through the kinds."""
    emu = world.emu
    kinds = list(FAULTS)
    for at in positions(clean_publish):
        fault = kinds[at % len(kinds)]
        sid = world.once(clean_publish.make)
        base = tmp_path / f"p{at}"
        inject(fault, emu, at, short_timeout)
        result = publish(publish_config(base), world.register(sid, timeout=10.0),
                         FolderTarget(base / "situs"), now=NOW, force=True)
        emu.wait_idle()
        assert result.summary() == clean_publish.summary, (fault, at)
        assert {**world.state(sid), "site": site_files(base / "situs")} == clean_publish.state, (fault, at)
        counts.cases()
        counts.faults()


def test_publish_without_retries_stops_cleanly_and_a_rerun_finishes(
    world: SheetsWorld, clean_publish: Clean, tmp_path: Path, short_timeout: ShortTimeout
) -> None:
    """No retries: whatever request fails, the site is untouched or whole, step 5 is recorded only
    for what went live, and publishing again ends exactly where the clean run ended."""
    emu = world.emu
    kinds = list(FAULTS)
    for at in positions(clean_publish):
        fault = kinds[(at + 2) % len(kinds)]
        sid = world.once(clean_publish.make)
        base = tmp_path / f"p{at}"
        config = publish_config(base)
        inject(fault, emu, at, short_timeout)
        with pytest.raises(BackendUnavailable) as stopped:
            publish(config, world.register(sid, timeout=10.0, max_retries=0),
                    FolderTarget(base / "situs"), now=NOW, force=True)
        assert stopped.value.exit_code == 3
        emu.wait_idle()
        emu.clear_faults()
        consistent(world, sid)
        site = base / "situs"
        if (site / "manifest.json").exists():
            assert_fully_live(site)
        stamped = [r for r in review(world.register(sid).read(), UNITS, NOW).dip
                   if cell_text(r.values.get(s.STEP5))]
        assert not stamped or (site / "manifest.json").exists(), "step 5 recorded before the upload"
        result = publish(config, world.register(sid), FolderTarget(site), now=NOW, force=True)
        assert result.status in ("published", "unchanged")
        assert {**world.state(sid), "site": site_files(site)} == clean_publish.state, (fault, at)
        counts.cases()
        counts.faults()
