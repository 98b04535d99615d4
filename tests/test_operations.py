"""Running it for real: cron runs never overlap, quiet when nothing changed, logged; status reports."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dip_sheets import office as application
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.errors import AlreadyRunning
from dip_sheets.lock import run_lock
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.stages import Stage
from dip_sheets.status import status
from dip_sheets.sync import review, run
from tests.conftest import NOW, UNITS, add_rows, established, good_row
from tests.memory_register import memory_register
from tests.test_cli_options import make_office


@pytest.fixture
def office(tmp_path: Path) -> Path:
    config = tmp_path / "dip.toml"
    config.write_text(
        'state_dir = "kerja"\n[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n',
        encoding="utf-8")
    assert main(["init", "--local", str(tmp_path / "register.xlsx"), "--config", str(config)]) == 0
    add_rows(WorkbookRegister(tmp_path / "register.xlsx"), [established("A"), good_row("B")])
    return config


def test_cron_sync_is_quiet_when_nothing_changed_and_logs_each_run(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["sync", "--cron", "--config", str(office)]) == 0
    assert "Ditulis" in capsys.readouterr().out  # the first run changed things: it says so
    assert main(["sync", "--cron", "--config", str(office)]) == 0
    assert capsys.readouterr().out == ""  # nothing changed: silence, so cron mails nothing
    log = (office.parent / "kerja" / "dip.log").read_text(encoding="utf-8").splitlines()
    assert len(log) == 2 and "sync utama: 2 baris, 2 ID baru" in log[0] and "0 sel ditulis" in log[1]


def test_overlapping_cron_runs_one_runs_the_other_exits_untouched(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = office.parent / "register.xlsx"
    before = workbook.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from dip_sheets.lock import run_lock\n"
         "with run_lock(Path(sys.argv[1]), 'utama'):\n    print('locked', flush=True); time.sleep(30)",
         str(office.parent / "kerja")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        capsys.readouterr()
        assert main(["sync", "--cron", "--config", str(office)]) == 4
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""
        assert workbook.read_bytes() == before
        assert main(["sync", "--config", str(office)]) == 4  # by hand: says why
        assert "sedang diproses" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert main(["sync", "--cron", "--config", str(office)]) == 0  # a dead holder leaves no stale lock
    assert workbook.read_bytes() != before


def test_run_lock_waits_for_a_bounded_time(tmp_path: Path) -> None:
    with run_lock(tmp_path, "x"):
        started = time.monotonic()
        with pytest.raises(AlreadyRunning), run_lock(tmp_path, "x", wait=0.5):
            pass
        assert 0.4 < time.monotonic() - started < 3
    with run_lock(tmp_path, "x"):
        pass


def test_posisi_sop_records_since_when_an_item_waits() -> None:
    register = memory_register()
    index = register.add(s.DIP_TAB, good_row("A"))
    run(register, UNITS, NOW)
    assert register.get(s.DIP_TAB, index, s.STAGE) == "1 Draf unit · sejak 2026-11-25"
    later = NOW + dt.timedelta(days=20)
    assert run(register, UNITS, later).applied is None  # same stage: the date stays
    header = [str(h) for h in register.tabs[s.DIP_TAB][0]]
    register.tabs[s.DIP_TAB][index][header.index(s.STEP1)] = "Ya"
    run(register, UNITS, later)
    assert register.get(s.DIP_TAB, index, s.STAGE) == "2 Menunggu klasifikasi Desk · sejak 2026-12-15"


def test_status_calls_out_items_waiting_too_long() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, good_row("A"))
    register.add(s.DIP_TAB, established("B"))
    run(register, UNITS, NOW)
    register.add(s.DIP_TAB, good_row("C"))
    later = NOW + dt.timedelta(days=30)
    run(register, UNITS, later)
    report = status(review(register.read(), UNITS, later), later.date(), overdue_days=14)
    assert [(o["id"], o["days"]) for o in report["overdue"]] == [("DIP-0001", 30), ("DIP-0002", 30)]
    assert report["total"][Stage.DRAFT.value] == 2 and report["publishable"] == 1


def test_status_formats(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--config", str(office)]) == 0
    capsys.readouterr()
    assert main(["status", "--config", str(office), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "register,unit,tahap,jumlah" and len(lines) == 3
    assert main(["status", "--config", str(office), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["publishable"] == 1
    assert main(["status", "--config", str(office)]) == 0
    table = capsys.readouterr().out
    assert "Jumlah" in table and "1 Draf unit" in table and "4 Ditetapkan, belum diunggah" in table


def test_check_reports_every_broken_setting_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sshd: object
) -> None:
    from tests.plugins.sshd import SshdServer

    assert isinstance(sshd, SshdServer)
    empty_known_hosts = tmp_path / "known_hosts"
    empty_known_hosts.write_text("")
    config = tmp_path / "dip.toml"
    config.write_text(
        '[register]\nbackend = "sheets"\nspreadsheet_id = "x"\ncredentials = "tidak-ada.json"\n'
        '[publish]\ntarget = "sftp"\n[publish.sftp]\n'
        f'host = "{sshd.host}"\nport = {sshd.port}\nusername = "{sshd.username}"\n'
        f'key_file = "{sshd.client_key}"\nknown_hosts = "{empty_known_hosts}"\nremote_dir = "/tmp"\n',
        encoding="utf-8")
    code = main(["check", "--config", str(config)])
    lines = capsys.readouterr().out.splitlines()
    failed = [line for line in lines if line.startswith("GAGAL")]
    assert code == 2
    assert [line.split(":")[0] for line in failed] == [
        "GAGAL register dapat dibuka", "GAGAL peran (roles) diisi", "GAGAL situs tujuan terhubung"]
    assert "tidak-ada.json" in failed[0] and "known_hosts" in failed[2]


def test_check_passes_on_a_good_local_setup(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["check", "--config", str(office)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # 9: site layout, atomic, and the list PDF (off in the tests: DIP_PDF=0)
    assert len(lines) == 9 and all(line.startswith("ok") for line in lines), lines
    assert lines[-1].startswith("ok    PDF daftar (dip.pdf): dimatikan untuk proses ini (DIP_PDF=0)")
    assert not list((office.parent / "situs").glob(".dip-check-*"))  # the probe was removed


def test_progress_redraws_one_line_on_a_terminal_and_prints_plain_lines_otherwise(office: Path) -> None:
    import os
    import pty

    command = [sys.executable, "-m", "dip_sheets", "publish", "--force", "--config", str(office)]
    main_pid, fd = pty.fork()
    if main_pid == 0:  # the child runs dip on a pseudo-terminal, as a person at a terminal would
        os.execvp(command[0], command)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(main_pid, 0)
    on_terminal = b"".join(chunks).decode()
    assert os.waitstatus_to_exitcode(status) == 0, on_terminal
    assert "\r\x1b[K[1] " in on_terminal and "Terbit: versi" in on_terminal
    add_rows(WorkbookRegister(office.parent / "register.xlsx"), [established("Baru")])
    piped = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "\x1b[K" not in piped and "\n  diunggah dan diperiksa: arsip/" in piped


# ---- every command that writes takes the same lock ----------------------------------------------


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> float:
    """init, publish and rollback wait for a running sync like a person would; shortened here."""
    monkeypatch.setattr(application, "MANUAL_WAIT", 0.5)
    return 0.5


def test_init_waits_for_the_run_lock_then_gives_up_with_exit_4(
    office: Path, short_wait: float, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = office.parent / "register.xlsx"
    before = workbook.read_bytes()
    with run_lock(office.parent / "kerja", "utama"):
        started = time.monotonic()
        assert main(["init", "--config", str(office)]) == 4
        assert time.monotonic() - started >= short_wait
        assert main(["init", "--local", str(office.parent / "baru.xlsx"), "--config", str(office)]) == 4
    assert "sedang diproses oleh proses lain" in capsys.readouterr().err
    assert workbook.read_bytes() == before and not (office.parent / "baru.xlsx").exists()
    taken = threading.Event()

    def sync_running() -> None:  # a run that ends while init waits: init then goes ahead
        with run_lock(office.parent / "kerja", "utama"):
            taken.set()
            time.sleep(0.2)

    holder = threading.Thread(target=sync_running)
    holder.start()
    taken.wait()
    assert main(["init", "--config", str(office)]) == 0
    holder.join()


def test_rollback_takes_the_run_lock(
    office: Path, short_wait: float, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["publish", "--force", "--config", str(office)]) == 0
    add_rows(WorkbookRegister(office.parent / "register.xlsx"), [established("C")])
    assert main(["publish", "--force", "--config", str(office)]) == 0
    site = office.parent / "situs"
    live = (site / "manifest.json").read_bytes()
    with run_lock(office.parent / "kerja", "utama"):
        assert main(["publish", "--rollback", "--config", str(office)]) == 4
    assert (site / "manifest.json").read_bytes() == live
    assert main(["publish", "--rollback", "--config", str(office)]) == 0
    assert (site / "manifest.json").read_bytes() != live
    assert "aktif kembali" in capsys.readouterr().out


# ---- cron while someone keeps the workbook open -------------------------------------------------


def test_cron_reports_a_busy_register_once_and_once_when_it_works_again(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--cron", "--config", str(office)]) == 0
    open_lock = office.parent / ".~lock.register.xlsx#"
    open_lock.write_text(",Ibu Ani,pc-ppid,25.11.2026 09:00,file:///home/ani/.config/libreoffice/4;")
    capsys.readouterr()
    assert main(["sync", "--cron", "--config", str(office)]) == 3
    first = capsys.readouterr()
    assert "sedang dibuka" in first.err
    for _ in range(3):  # the same state: silence, so cron mails nothing
        assert main(["sync", "--cron", "--config", str(office)]) == 3
        assert capsys.readouterr() == ("", "")
    assert main(["sync", "--config", str(office)]) == 3  # by hand: always says why
    assert "sedang dibuka" in capsys.readouterr().err
    open_lock.unlink()
    assert main(["sync", "--cron", "--config", str(office)]) == 0
    again = capsys.readouterr()
    assert again.out.count("dapat diproses lagi") == 1 and again.err == ""
    assert main(["sync", "--cron", "--config", str(office)]) == 0
    assert capsys.readouterr() == ("", "")  # nothing changed, nothing to say
    open_lock.write_text("x")
    assert main(["sync", "--cron", "--config", str(office)]) == 3  # busy again: news again
    assert "sedang dibuka" in capsys.readouterr().err


def test_cron_with_several_registers_prints_no_heading_for_a_silent_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_office(tmp_path, ("a", "b"))
    assert main(["sync", "--cron", "--all", "--config", str(config)]) == 0
    add_rows(WorkbookRegister(tmp_path / "b.xlsx"), [good_row("Baru")])
    capsys.readouterr()
    assert main(["sync", "--cron", "--all", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "== a" not in out and out.startswith("== b\n")
