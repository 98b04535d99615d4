"""The traced ``dip`` command as a real process, forked from a Python that has already imported it.

The kill tests start the command tens of times per test only to SIGKILL it part-way: a new
``python -m dip_sheets`` spends about a second of CPU importing (openpyxl, Jinja2, gspread,
paramiko...) before it does any work, far more than the publish it is killed in. So one helper
process per test process (:func:`start`) imports every module of ``dip_sheets`` once and then, per
command, ``fork()``s: the child is a separate process with its own pid, working folder, environment
and argv, that runs ``dip_sheets.__main__`` exactly as ``python -m dip_sheets`` would and ends the
same way (its ``SystemExit`` through the interpreter's normal shutdown); the test SIGKILLs that
child, and the helper reports how it ended (``-9``), as :class:`subprocess.Popen` does. What the
child runs is the same code on the same files; only the imports were done earlier.

The trace (``DIP_TRACE``) marks when the command saves the workbook and works on the site, so a
kill can be aimed at the working part of the run and we can tell where it landed; ``DIP_KILL_AT=n``
makes the child SIGKILL itself just before (with ``DIP_KILL_AFTER=1``, just after) its n-th
operation on the site, so every point between two operations can be hit exactly.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import dip_sheets

SOURCE = Path(dip_sheets.__file__).resolve().parent.parent

HELPER = """
import importlib, json, os, pkgutil, runpy, signal, sys, time
import dip_sheets
for found in pkgutil.walk_packages(dip_sheets.__path__, "dip_sheets."):
    if not found.name.endswith("__main__"):
        importlib.import_module(found.name)
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.targets.folder import FolderTarget
from dip_sheets.targets.sftp import SftpTarget
state = {"trace": None, "kill_at": 0, "kill_after": False, "done": 0}
def mark(what):
    state["trace"].write(f"{time.monotonic():.6f} {what}\\n")
def traced(owner, name, site):
    original = getattr(owner, name)
    def call(*args, **kwargs):
        mark(f"{name} start")
        here = False
        if site:
            state["done"] += 1
            here = state["done"] == state["kill_at"]
        if here and not state["kill_after"]:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if here and state["kill_after"]:
            os.kill(os.getpid(), signal.SIGKILL)
        mark(f"{name} end")
        return result
    setattr(owner, name, call)
traced(WorkbookRegister, "_save", False)
for owner in (FolderTarget, SftpTarget):
    for name in ("put", "replace", "symlink", "remove"):
        traced(owner, name, True)
def child(job):
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    state["trace"] = open(os.environ["DIP_TRACE"], "a", buffering=1)
    state["kill_at"] = int(os.environ.get("DIP_KILL_AT", "0"))
    state["kill_after"] = os.environ.get("DIP_KILL_AFTER") == "1"
    mark("ready")
    sys.argv = ["dip", *job["argv"]]
    # dip_sheets.__main__ raises SystemExit(main()): it leaves this loop and the interpreter ends
    # the normal way, as after `python -m dip_sheets`
    runpy.run_module("dip_sheets", run_name="__main__", alter_sys=True)
    sys.exit(0)
print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        child(json.loads(line))
    print("pid", pid, flush=True)
    print("exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Helper:
    """The helper process and the pipe its answers come back on (one line per answer)."""

    def __init__(self) -> None:
        path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen([sys.executable, "-c", HELPER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})
        self._buffer = b""
        self.current: Command | None = None
        assert self.answer(120.0) == "ready", "the command's helper process did not start"

    def answer(self, timeout: float | None) -> str | None:
        """The next line the helper wrote; ``None`` if none came within ``timeout`` seconds."""
        assert self.process.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.process.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise ConnectionError("the command's helper process ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def run(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Command:
        """Fork the command; one at a time, so one a failed test left running is killed first."""
        assert self.process.stdin is not None
        if self.current is not None and self.current.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.current.pid, signal.SIGKILL)
            self.current.wait(60.0)
        job = {"argv": list(argv), "cwd": str(cwd), "env": dict(env)}
        self.process.stdin.write(json.dumps(job).encode() + b"\n")
        self.process.stdin.flush()
        said = self.answer(60.0)
        assert said is not None and said.startswith("pid "), f"the helper did not fork: {said}"
        self.current = Command(self, int(said.split()[1]))
        return self.current

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


class Command:
    """One forked run of the command; ``poll``, ``wait`` and ``returncode`` as :class:`subprocess.Popen`'s."""

    def __init__(self, helper: Helper, pid: int) -> None:
        self.helper = helper
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode if self.returncode is not None else self._ended(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self.returncode if self.returncode is not None else self._ended(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"dip (pid {self.pid})", timeout or 0.0)
        return code

    def _ended(self, timeout: float | None) -> int | None:
        line = self.helper.answer(timeout)
        if line is not None:
            assert line.startswith("exit "), f"the helper said {line!r} instead of an exit status"
            self.returncode = int(line.split()[1])
        return self.returncode


_helper: list[Helper] = []


def start(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Command:
    """Run ``dip argv`` in ``cwd`` with exactly ``env``, traced; the helper starts on first use.

    One command at a time: starting one kills the previous one if it still runs."""
    if not _helper:
        _helper.append(Helper())
        atexit.register(_helper[0].close)
    return _helper[0].run(argv, cwd, env)
