"""Scratch space a run makes and removes, and what a killed run left of it.

A run killed part-way (cron's time limit, the OOM killer, a power cut) cannot remove its scratch:
the copy of the register a save was writing sits beside the register, and a render's temporary
folder, hundreds of megabytes at 100,000 items, stays in the system's temporary folder until the
next reboot, one more for every kill. So each piece of scratch is ``flock``-ed while its run lives
(the kernel drops the lock when the process ends, however it ends), and the next run that makes
scratch of the same kind removes each one nobody holds: :func:`sweep`. Only the current user's are
looked at, and a name is matched by its own prefix, so nothing dip-sheets did not make is touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

#: seconds a scratch folder in the shared temporary folder must have been left alone before it can
#: count as abandoned: a run takes its lock just after it creates the folder, and another run
#: (another office's, on the same machine) must never take that instant for abandonment
SETTLED = 60.0


def hold(path: str | Path) -> int:
    """Lock ``path`` (a file or folder) for as long as the returned descriptor stays open. Where the
    file system cannot lock (some network mounts), it stays unlocked: :func:`sweep` cannot lock it
    either there, so it leaves it alone."""
    guard = os.open(path, os.O_RDONLY)
    with contextlib.suppress(OSError):
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)  # made just now: nobody else holds it
    return guard


def sweep(candidates: Iterable[Path], settled: float = 0.0) -> None:
    """Remove each of ``candidates`` that is the current user's, untouched for ``settled`` seconds
    and held by no process (its run ended without removing it)."""
    now = time.time()
    for path in candidates:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if info.st_uid != os.getuid() or stat.S_ISLNK(info.st_mode) or now - info.st_mtime < settled:
            continue
        try:
            guard = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its run is still going (or this file system cannot tell)
        else:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        finally:
            os.close(guard)


class Folder:
    """A private folder in the system's temporary folder, held while this object lives; making one
    first removes those of the same ``prefix`` that killed runs left (:func:`sweep`)."""

    def __init__(self, prefix: str) -> None:
        sweep(Path(tempfile.gettempdir()).glob(f"{prefix}*"), SETTLED)
        self._folder = tempfile.TemporaryDirectory(prefix=prefix)
        self.path = Path(self._folder.name)
        weakref.finalize(self, os.close, hold(self.path))

    def cleanup(self) -> None:
        self._folder.cleanup()


@contextlib.contextmanager
def folder(prefix: str) -> Iterator[Path]:
    """A :class:`Folder` for the ``with`` body, removed after it."""
    made = Folder(prefix)
    try:
        yield made.path
    finally:
        made.cleanup()
