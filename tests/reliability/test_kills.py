"""``dip sync`` and ``dip publish`` killed with SIGKILL at random moments, then run again.

Each case starts the real command (``dip_sheets.__main__`` in a process of its own, forked from a
helper that has done the imports: :mod:`tests.reliability.forked`, with a trace of its writes) on a local
workbook and a local site folder and kills it, seeded so a failure can be replayed: after a random
delay within its normal running time, or at a random moment inside a randomly chosen one of its
writes (saving the workbook, writing or renaming a site file). Then it checks what a crash may
leave behind:

* the workbook opens, is a valid zip, and the sync can read it (saves are atomic);
* every staff-owned cell is still there, unchanged;
* the live site serves one whole version, and every version that was complete before still is;
* running the command again completes, and leaves everything in order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dip_sheets import load_configs, row_watch
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.publish import MANIFEST
from dip_sheets.register import Cell, CellWrite, Changes, Layout, cell_text
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, established, good_row
from tests.plugins import reliability as counts
from tests.plugins.sshd import SshdServer
from tests.reliability import forked
from tests.reliability.conftest import (
    assert_fully_live,
    assert_serves_one_version,
    complete_versions,
    live_files,
    sha,
    workbook_staff_cells,
    write_toml,
)

SEEDS = range(4)
@dataclass
class Office:
    """One office's working folder: dip.toml, the register, the site."""

    folder: Path
    toml: Path
    register: WorkbookRegister
    site: Path
    made: int = 0

    def arguments(self, name: str) -> list[str]:
        extra = ["--force", "--quiet"] if name == "publish" else []
        return [name, "--config", str(self.toml), *extra]

    def start(self, name: str, trace: Path, **env: str) -> tuple[forked.Command, float]:
        """The command as a process (traced, see :mod:`tests.reliability.forked`); returns it and
        the moment it was started."""
        trace.write_text("")
        started = time.monotonic()
        process = forked.start(self.arguments(name), self.folder,
                               {**os.environ, "DIP_TRACE": str(trace), **env})
        return process, started

    def change(self, rng: random.Random) -> list[str]:
        """What staff do between two runs: new items, one of them not ready."""
        titles = [f"Informasi Tambahan {self.made + n}" for n in range(3)]
        self.made += 3
        rows: list[dict[str, Cell]] = [established(t) for t in titles[:2]]
        rows.append(good_row(titles[2], **{s.CREATED: rng.choice(["31/02/2024", "2024"])}))
        append_rows(self.register.path, s.DIP_TAB, rows)
        return titles[:2]


def new_office(folder: Path, publish: dict[str, object], sftp: dict[str, object] | None = None,
               site: Path | None = None, items: int = 100) -> Office:
    """An office with ``items`` rows, all kinds mixed (100: saving and rendering take a while)."""
    register = WorkbookRegister(folder / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    rows: list[dict[str, Cell]] = []
    for n in range(items):
        kind = n % 5
        title = f"Informasi Nomor {n}"
        rows.append(established(title) if kind < 3 else good_row(title) if kind == 3
                    else established(title, **{s.LINK: "bukan tautan"}))
    append_rows(register.path, s.DIP_TAB, rows)
    sections: dict[str, dict[str, object]] = {
        "register": {"path": "register.xlsx"},
        "publish": {"base_url": "https://ppid.example.go.id/dip/", "by": "PPID", **publish},
    }
    if sftp is not None:
        sections["publish.sftp"] = sftp
    toml = write_toml(folder / "dip.toml", sections)
    office = Office(folder, toml, register, site or folder / "situs")
    assert main(["publish", "--config", str(toml), "--force", "--quiet"]) == 0
    assert_fully_live(office.site)
    return office


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return new_office(tmp_path, {"folder": "situs"})


def office_on(where: str, request: pytest.FixtureRequest, tmp_path: Path, items: int = 100) -> Office:
    """The office publishing to a local ``folder``, or to the real OpenSSH server (``sftp``: the
    site is the folder that server serves)."""
    if where == "folder":
        return new_office(tmp_path, {"folder": "situs"}, items=items)
    sshd: SshdServer = request.getfixturevalue("sshd")
    root: Path = request.getfixturevalue("sftp_root")
    settings = sshd.sftp_settings(root)
    sftp = {"host": settings.host, "port": settings.port, "username": settings.username,
            "key_file": str(settings.key_file), "known_hosts": str(settings.known_hosts),
            "remote_dir": settings.remote_dir, "reconnects": 0}
    return new_office(tmp_path, {"target": "sftp"}, sftp, root, items=items)


def office_time() -> dt.datetime:
    """The clock the command runs on (``Config.now``), for an in-process sync to compare with."""
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).replace(microsecond=0)


def marks(trace: Path) -> list[tuple[float, str]]:
    lines = [line.split(" ", 1) for line in trace.read_text().splitlines() if " " in line]
    return [(float(at), what) for at, what in lines]


def site_operations(office: Office, name: str, trace: Path, timeout: float) -> int:
    """Run the command once, cleanly, and count its operations on the site: the steps a kill test
    stops it at."""
    process, _ = office.start(name, trace)
    assert process.wait(timeout=timeout) == 0
    return sum(what in ("put start", "replace start", "symlink start", "remove start")
               for _, what in marks(trace))


def wait_for_write(trace: Path, number: int, process: forked.Command) -> None:
    """Return as soon as the traced process starts its ``number``-th write (or has ended)."""
    while process.poll() is None:
        if sum(what.endswith("start") for _, what in marks(trace)) >= number:
            return
        time.sleep(0.0005)


def landed(trace: Path) -> str:
    """Where the process was when it died: inside a write, between writes, or not yet working."""
    events = marks(trace)
    if len(events) <= 1:
        return "sebelum menulis"
    last = events[-1][1]
    return f"di dalam {last.split()[0]}" if last.endswith("start") else "di antara penulisan"


def check_aftermath(office: Office, staff: dict[tuple[str, int, str], Cell], versions: set[str]) -> None:
    """What must hold right after the kill, before anything repairs it."""
    with zipfile.ZipFile(office.register.path) as archive:
        assert archive.testzip() is None, "the workbook is damaged"
    review(office.register.read(), UNITS, NOW)  # opens, and every header is found
    assert workbook_staff_cells(office.register.path) == staff, "a staff cell changed or vanished"
    assert_one_manifest(office.site)
    assert set(complete_versions(office.site)) >= versions, "a complete version was lost"


@pytest.mark.parametrize("command", ["sync", "publish"])
def test_killed_at_a_random_moment_then_rerun(office: Office, command: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    trace = office.folder / "jejak.txt"
    office.change(random.Random(-1))
    process, started = office.start(command, trace)  # a clean run, to learn when the work happens
    assert process.wait(timeout=60) == 0
    duration = time.monotonic() - started
    clean = marks(trace)
    begin = clean[0][0] - started  # the imports are done: the command starts working
    starts = [at for at, what in clean if what.endswith("start")]
    ends = [at for at, what in clean if what.endswith("end")]
    lengths = [end - start for start, end in zip(starts, ends, strict=True)]  # writes never nest
    killed, places = 0, []
    for seed in SEEDS:
        rng = random.Random(f"{command}-{seed}")
        titles = office.change(rng)
        staff = workbook_staff_cells(office.register.path)
        versions = set(complete_versions(office.site))
        process, started = office.start(command, trace)
        if seed % 2:  # at a random moment of the run
            time.sleep(max(0.0, rng.uniform(begin, duration) - (time.monotonic() - started)))
        else:  # inside a random one of its writes (saving the workbook, writing a site file)
            number = rng.randint(1, len(lengths))
            wait_for_write(trace, number, process)
            time.sleep(rng.uniform(0, lengths[number - 1]))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        places.append(landed(trace))
        check_aftermath(office, staff, versions)

        assert main(office.arguments(command)) == 0, capsys.readouterr().err
        assert workbook_staff_cells(office.register.path) == staff
        now, config = office_time(), load_configs(office.toml)[0]  # the office's own sync, warnings too
        rerun = run(office.register, UNITS, now, watch=row_watch.watcher(config, now))
        assert rerun.applied is None, "the re-run left work undone"
        if command == "publish":
            assert_fully_live(office.site)
            live = (office.site / "dip.json").read_bytes()
            assert all(t.encode() in live for t in titles)
        counts.cases()
        if process.returncode == -signal.SIGKILL:
            killed += 1
            counts.kills()
    print(f"{command}: {places}")
    assert killed >= len(SEEDS) // 2, f"most kills should land while the command runs: {places}"
    assert sum(place != "sebelum menulis" for place in places) >= len(SEEDS) // 2, places


def test_a_save_cut_short_leaves_no_temporary_copy_after_the_rerun(office: Office) -> None:
    office.change(random.Random(0))
    process, _ = office.start("sync", office.folder / "jejak.txt")
    while process.poll() is None and not list(office.folder.glob(".register.xlsx.*.tmp")):
        time.sleep(0.0005)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert main(office.arguments("sync")) == 0
    assert not list(office.folder.glob(".register.xlsx.*.tmp"))


def assert_one_manifest(root: Path) -> str:
    """Stricter than a whole file of *some* version: every file a visitor can get right now is the
    one the live manifest lists, so no visitor meets a new ``dip.csv`` beside an old ``index.html``."""
    version = assert_serves_one_version(root)
    live = json.loads((root / MANIFEST).read_bytes())
    for name, body in live_files(root).items():
        if name != MANIFEST:
            assert name in live["files"], f"{name} is live but not in the live manifest"
            assert sha(body) == live["files"][name]["sha256"], f"{name} is not the live version's"
    return version


@dataclass
class SiteCopy:
    """The register and the site as a case starts from (links copied as links)."""

    register: bytes
    site: Path

    @classmethod
    def take(cls, office: Office, where: Path) -> SiteCopy:
        shutil.copytree(office.site, where, symlinks=True)
        return cls(office.register.path.read_bytes(), where)

    def restore(self, office: Office) -> None:
        office.register.path.write_bytes(self.register)
        for entry in office.site.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(self.site, office.site, symlinks=True, dirs_exist_ok=True)


@pytest.mark.parametrize("where", ["folder", "sftp"])
def test_killed_at_every_step_of_a_publish_every_live_file_belongs_to_one_manifest(
    where: str, request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL at every point of a publish: between any two operations on the site (each upload, each
    link, the rename of ``current``), on a local folder and over a real OpenSSH server. Right after
    the kill a visitor gets one version whole; the re-run completes.

    The register has 20 items, not 100: the operations on the site are the same (one per site
    file, the link, the switch; no page is split below 1,000 items), only each case is cheaper."""
    office = office_on(where, request, tmp_path, items=20)
    titles = office.change(random.Random(where))
    start = SiteCopy.take(office, tmp_path / "awal")
    versions = set(complete_versions(office.site))
    trace = office.folder / "jejak.txt"
    steps = site_operations(office, "publish", trace, timeout=60)
    assert steps > 10
    served: set[str] = set()
    # just before each operation, and just after the last (after one is before the next)
    for step, after in [*((n, "0") for n in range(1, steps + 1)), (steps, "1")]:
        start.restore(office)
        staff = workbook_staff_cells(office.register.path)
        process, _ = office.start("publish", trace, DIP_KILL_AT=str(step), DIP_KILL_AFTER=after)
        assert process.wait(timeout=60) == -signal.SIGKILL, (step, after)
        check_aftermath(office, staff, versions)
        served.add(assert_one_manifest(office.site))
        counts.kills()
        assert main(office.arguments("publish")) == 0, capsys.readouterr().err
        assert_fully_live(office.site)
        live = (office.site / "dip.json").read_bytes()
        assert all(t.encode() in live for t in titles)
        rows = {r.values[s.TITLE]: r for r in review(office.register.read(), UNITS, NOW).dip}
        assert all(cell_text(rows[t].values.get(s.STEP5)) for t in titles), "step 5 recorded"
        counts.cases()
    assert len(served) == 2, served  # the kills landed both before and after the switch


def test_killed_after_the_switch_before_the_register_write_the_rerun_records_steps_4_and_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A publish writes the register once, after the version is live: killed right after the
    switch, it has written nothing to the register, and the re-run finds that version live, the
    register rendering to it, and records steps 4 and 5 of the items it put live with the sync's
    changes (the PPID's establishments), so nothing is lost."""
    office = new_office(tmp_path, {"folder": "situs"}, items=20)
    titles = ["Informasi Baru 1", "Informasi Baru 2"]
    append_rows(office.register.path, s.DIP_TAB,
                [good_row(t, **{s.STEP1: s.HANDED_OVER, s.STEP2: "Sudah"}) for t in titles])
    assert main(office.arguments("sync")) == 0  # their IDs are on record: nothing to write first
    rows = {r.values[s.TITLE]: r for r in review(office.register.read(), UNITS, NOW).dip}
    office.register.apply(Changes([CellWrite(rows[t].anchor, s.STEP3, s.ESTABLISHED) for t in titles]))
    start = SiteCopy.take(office, tmp_path / "awal")
    trace = office.folder / "jejak.txt"
    steps = site_operations(office, "publish", trace, timeout=60)
    start.restore(office)
    before, old = office.register.path.read_bytes(), assert_one_manifest(office.site)
    process, _ = office.start("publish", trace, DIP_KILL_AT=str(steps), DIP_KILL_AFTER="1")
    assert process.wait(timeout=60) == -signal.SIGKILL
    live = assert_one_manifest(office.site)
    assert live != old, "killed after the switch"
    assert office.register.path.read_bytes() == before, "nothing written before the version was live"

    assert main(office.arguments("publish")) == 0, capsys.readouterr().err
    assert assert_one_manifest(office.site) == live  # recorded, not published again
    now, config = office_time(), load_configs(office.toml)[0]
    rerun = run(office.register, UNITS, now, watch=row_watch.watcher(config, now))
    assert rerun.applied is None, "the re-run left work undone"
    published = {r.values[s.TITLE]: r for r in rerun.review.dip if r.live is not None}
    assert set(titles) <= set(published) and all(t.encode() in (office.site / "dip.json").read_bytes()
                                                   for t in titles)
    for title, row in published.items():  # an item published before keeps its stamps
        for step in (s.STEP4, s.STEP5):
            stamp = cell_text(row.values.get(step))
            assert stamp and (title not in titles or f"versi {live}" in stamp), (title, step, stamp)
