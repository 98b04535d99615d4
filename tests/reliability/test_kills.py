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
import os
import random
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
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.register import Cell, Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, established, good_row
from tests.plugins import reliability as counts
from tests.reliability.conftest import (
    assert_fully_live,
    assert_serves_one_version,
    complete_versions,
    workbook_staff_cells,
    write_toml,
)

SEEDS = range(4)
SOURCE = Path(dip_sheets.__file__).resolve().parent.parent
#: ``python -m dip_sheets`` plus a trace of when it saves the workbook and writes the site, so the
#: kill is aimed at the working part of the run (not the imports) and we can tell where it landed.
TRACED = """
import os, runpy, sys, time
trace = open(os.environ["DIP_TRACE"], "a", buffering=1)
def mark(what):
    trace.write(f"{time.monotonic():.6f} {what}\\n")
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.targets.folder import FolderTarget
def traced(owner, name):
    original = getattr(owner, name)
    def call(*args, **kwargs):
        mark(f"{name} start")
        result = original(*args, **kwargs)
        mark(f"{name} end")
        return result
    setattr(owner, name, call)
for owner, name in ((WorkbookRegister, "_save"), (FolderTarget, "put"), (FolderTarget, "replace")):
    traced(owner, name)
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

    def start(self, name: str, trace: Path) -> tuple[subprocess.Popen[bytes], float]:
        """The command as a process (traced); returns it and the moment it was started."""
        trace.write_text("")
        started = time.monotonic()
        # the same dip_sheets this process tests, whatever the venv's editable install points at
        path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
        process = subprocess.Popen([sys.executable, "-c", TRACED, *self.arguments(name)], cwd=self.folder,
                                   env={**os.environ, "DIP_TRACE": str(trace), "PYTHONPATH": path},
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


@pytest.fixture
def office(tmp_path: Path) -> Office:
    register = WorkbookRegister(tmp_path / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    rows: list[dict[str, Cell]] = []
    for n in range(100):  # big enough that saving and rendering take a while
        kind = n % 5
        title = f"Informasi Nomor {n}"
        rows.append(established(title) if kind < 3 else good_row(title) if kind == 3
                    else established(title, **{s.LINK: "bukan tautan"}))
    append_rows(register.path, s.DIP_TAB, rows)
    toml = write_toml(tmp_path / "dip.toml", {
        "register": {"path": "register.xlsx"},
        "publish": {"folder": "situs", "base_url": "https://ppid.example.go.id/dip/", "by": "PPID"},
    })
    office = Office(tmp_path, toml, register, tmp_path / "situs")
    assert main(["publish", "--config", str(toml), "--force", "--quiet"]) == 0
    assert_fully_live(office.site)
    return office


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
    assert_serves_one_version(office.site)
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
        assert run(office.register, UNITS, office_time()).applied is None, "the re-run left work undone"
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
