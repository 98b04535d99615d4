"""One run at a time per register: an advisory lock file, so cron runs never overlap.

``flock`` is released by the kernel when the process dies, so a crashed or killed run never leaves
a stale lock behind (unlike a PID file).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import AlreadyRunning


@contextmanager
def run_lock(folder: Path, name: str, wait: float = 0.0) -> Iterator[None]:
    """Hold ``<folder>/dip-<name>.lock`` for the duration; wait up to ``wait`` seconds for it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"dip-{name}.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AlreadyRunning(
                        f"Register '{name}' sedang diproses oleh proses lain (kunci {path});"
                        " proses ini berhenti tanpa mengubah apa pun.",
                        f"Register '{name}' is being processed by another run (lock {path});"
                        " this run stops without changing anything.",
                    ) from None
                time.sleep(0.2)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(handle)  # closing releases the lock
