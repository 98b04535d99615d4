"""``dip sync`` and ``dip publish`` killed with SIGKILL at random moments, then run again.

Each case starts the real command (``python -m dip_sheets``, with a trace of its writes) on a local
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
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import dip_sheets
from dip_sheets import load_configs, row_watch
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.publish import MANIFEST
from dip_sheets.register import Cell, Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, established, good_row
from tests.plugins import reliability as counts
from tests.plugins.sshd import SshdServer
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
SOURCE = Path(dip_sheets.__file__).resolve().parent.parent
#: ``python -m dip_sheets`` plus a trace of when it saves the workbook and writes the site, so the
#: kill is aimed at the working part of the run (not the imports) and we can tell where it landed.
TRACED = """
import os, runpy, signal, sys, time
trace = open(os.environ["DIP_TRACE"], "a", buffering=1)
def mark(what):
    trace.write(f"{time.monotonic():.6f} {what}\\n")
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.targets.folder import FolderTarget
from dip_sheets.targets.sftp import SftpTarget
#: with DIP_KILL_AT=n the process SIGKILLs itself just before (or, with DIP_KILL_AFTER=1, just
#: after) its n-th operation on the site: every point between two operations can be hit exactly
KILL_AT, KILL_AFTER = int(os.environ.get("DIP_KILL_AT", "0")), os.environ.get("DIP_KILL_AFTER") == "1"
done = [0]
def traced(owner, name, site):
    original = getattr(owner, name)
    def call(*args, **kwargs):
        mark(f"{name} start")
        here = False
        if site:
            done[0] += 1
            here = done[0] == KILL_AT
        if here and not KILL_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if here and KILL_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)
        mark(f"{name} end")
        return result
    setattr(owner, name, call)
traced(WorkbookRegister, "_save", False)
for owner in (FolderTarget, SftpTarget):
    for name in ("put", "replace", "symlink", "remove"):
        traced(owner, name, True)
mark("ready")
sys.argv[0] = "dip"
runpy.run_module("dip_sheets", run_name="__main__")
"""

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

    def start(self, name: str, trace: Path, **env: str) -> tuple[subprocess.Popen[bytes], float]:
        """The command as a process (traced); returns it and the moment it was started."""
        trace.write_text("")
        started = time.monotonic()
        # the same dip_sheets this process tests, whatever the venv's editable install points at
        path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
        process = subprocess.Popen([sys.executable, "-c", TRACED, *self.arguments(name)], cwd=self.folder,
                                   env={**os.environ, "DIP_TRACE": str(trace), "PYTHONPATH": path, **env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
               site: Path | None = None) -> Office:
    register = WorkbookRegister(folder / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    rows: list[dict[str, Cell]] = []
    for n in range(100):  # big enough that saving and rendering take a while
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


@pytest.fixture
def sftp_office(tmp_path: Path, sshd: SshdServer, sftp_root: Path) -> Office:
    """The same office publishing to the real OpenSSH server (the site is the folder it serves)."""
    settings = sshd.sftp_settings(sftp_root)
    sftp = {"host": settings.host, "port": settings.port, "username": settings.username,
            "key_file": str(settings.key_file), "known_hosts": str(settings.known_hosts),
            "remote_dir": settings.remote_dir, "reconnects": 0}
    return new_office(tmp_path, {"target": "sftp"}, sftp, sftp_root)


def office_time() -> dt.datetime:
    """The clock the command runs on (``Config.now``), for an in-process sync to compare with."""
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).replace(microsecond=0)


def marks(trace: Path) -> list[tuple[float, str]]:
    lines = [line.split(" ", 1) for line in trace.read_text().splitlines() if " " in line]
    return [(float(at), what) for at, what in lines]


def wait_for_write(trace: Path, number: int, process: subprocess.Popen[bytes]) -> None:
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
    the kill a visitor gets one version whole; the re-run completes."""
    office: Office = request.getfixturevalue("office" if where == "folder" else "sftp_office")
    titles = office.change(random.Random(where))
    start = SiteCopy.take(office, tmp_path / "awal")
    versions = set(complete_versions(office.site))
    trace = office.folder / "jejak.txt"
    process, _ = office.start("publish", trace)  # a clean run, to count its operations on the site
    assert process.wait(timeout=60) == 0
    steps = sum(what in ("put start", "replace start", "symlink start", "remove start")
                for _, what in marks(trace))
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
        counts.cases()
    assert len(served) == 2, served  # the kills landed both before and after the switch
