"""A rate limiter shared by every process using one Google service account.

Google counts Sheets quota per user per minute (60 reads and 60 writes for a service account). When
one installation syncs many offices with the same account, from one process or from several cron
jobs, luck is not a plan: every request first takes a slot in a sliding window kept in a small file
under an exclusive ``flock``, and waits when the window is full.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path


class RateLimiter:
    """At most ``budget`` requests of each kind in any ``window`` seconds, across processes.

    Google counts a request when it arrives, which is later than when a slot is taken here (a
    token refresh or a slow network sits in between). Slots are therefore held a little longer than
    the window (`the margin`), so that the window also holds as Google sees it.
    """

    def __init__(
        self,
        path: Path,
        budget: int = 60,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if budget < 1:
            raise ValueError("budget must be at least 1")
        self.path, self.budget, self.window = path, budget, window
        self.hold = window * 1.05 + 0.25
        self.clock, self.sleep = clock, sleep

    def acquire(self, kind: str) -> float:
        """Take a slot for one request of ``kind`` ("read"/"write"); return the seconds waited."""
        waited = 0.0
        while True:
            delay = self._try(kind)
            if delay <= 0:
                return waited
            self.sleep(delay)
            waited += delay

    def _try(self, kind: str) -> float:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            raw = os.read(handle, 1 << 20)
            try:
                state: dict[str, list[float]] = json.loads(raw) if raw else {}
            except ValueError:
                state = {}  # a damaged file only costs the window's memory
            now = self.clock()
            recent = [t for t in state.get(kind, []) if now - t < self.hold]
            if len(recent) >= self.budget:
                return recent[0] + self.hold - now + 0.001
            recent.append(now)
            state[kind] = recent
            os.lseek(handle, 0, os.SEEK_SET)
            os.ftruncate(handle, 0)
            os.write(handle, json.dumps(state).encode())
            return 0.0
        finally:
            os.close(handle)  # releases the lock


def limiter_for(folder: Path, account: str, budget: int, window: float = 60.0) -> RateLimiter:
    """The limiter shared by every register using ``account`` (its file name hides the address)."""
    digest = hashlib.sha256(account.encode()).hexdigest()[:12]
    return RateLimiter(folder / f"kuota-{digest}.json", budget, window)


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """The pause before retry ``attempt + 1`` (0-based): ``base`` doubled per attempt up to
    ``cap``, plus up to ``base`` of random jitter, as Google asks of clients hitting its limits."""
    return min(base * 2.0**attempt, cap) + random.uniform(0, base)
