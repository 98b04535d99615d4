"""Scratch a killed run left behind is removed by the next run; scratch in use never is."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from dip_sheets import rendered, scratch
from dip_sheets.rendered import Rendered

HOLDER = """
import sys, time
from dip_sheets.scratch import Folder
made = Folder(sys.argv[1])
(made.path / "besar.bin").write_bytes(b"x" * 100_000)
print(made.path, flush=True)
time.sleep(120)
"""


def prefix() -> str:
    return f"dip-uji-{uuid.uuid4().hex[:8]}-"


def start_holder(name: str) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, name], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_folder_a_killed_run_left_is_removed_by_the_next_one() -> None:
    name = prefix()
    process, left = start_holder(name)
    try:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert (left / "besar.bin").exists()
        age(left, scratch.SETTLED + 5)
        with scratch.folder(name) as fresh:
            assert fresh.exists() and not left.exists()
        assert not fresh.exists()
    finally:
        process.kill()


def test_a_folder_in_use_is_kept_however_old() -> None:
    name = prefix()
    process, held = start_holder(name)
    try:
        age(held, scratch.SETTLED * 10)
        with scratch.folder(name):
            assert (held / "besar.bin").exists()
    finally:
        process.kill()
        process.wait(timeout=30)
    age(held, scratch.SETTLED + 5)
    with scratch.folder(name):  # its run is gone now: removed
        assert not held.exists()


def test_a_folder_just_made_is_not_taken_for_abandoned() -> None:
    """Between making its folder and locking it, a run holds no lock: another run must wait."""
    name = prefix()
    unlocked = Path(tempfile.mkdtemp(prefix=name))
    try:
        with scratch.folder(name):
            assert unlocked.exists()
    finally:
        os.rmdir(unlocked)


def test_only_what_matches_is_looked_at_and_links_are_never_followed(tmp_path: Path) -> None:
    name = prefix()
    target = tmp_path / "milik-orang"
    target.mkdir()
    (target / "penting.txt").write_text("jangan dihapus")
    link = Path(tempfile.gettempdir()) / f"{name}tautan"
    link.symlink_to(target)
    other = Path(tempfile.mkdtemp(prefix="bukan-dip-"))
    try:
        age(other, scratch.SETTLED + 5)
        os.utime(link, (0, 0), follow_symlinks=False)
        with scratch.folder(name):
            pass
        assert link.is_symlink() and (target / "penting.txt").exists() and other.exists()
    finally:
        link.unlink()
        os.rmdir(other)


def test_a_version_too_large_for_memory_goes_to_a_held_folder_removed_with_it() -> None:
    files = Rendered()
    files["besar.bin"] = b"x" * (rendered.HELD + 1)
    folder = files._folder
    assert folder is not None and folder.path.name.startswith("dip-render-")
    scratch.sweep([folder.path])  # held: a sweep (even with no wait) leaves it
    assert folder.path.exists() and files["besar.bin"] == b"x" * (rendered.HELD + 1)
    path = folder.path
    del files, folder
    assert not path.exists()


def test_where_nothing_can_be_locked_scratch_still_works_and_is_never_swept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Some network mounts refuse locks (ENOLCK): a run still makes its scratch, and a sweep, unable
    to tell whether a run holds it, leaves it alone."""
    def refuse(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", refuse)
    name = prefix()
    left = Path(tempfile.mkdtemp(prefix=name))
    try:
        age(left, scratch.SETTLED + 5)
        with scratch.folder(name) as fresh:
            assert fresh.exists() and left.exists()
    finally:
        os.rmdir(left)
