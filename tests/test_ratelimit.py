"""The shared rate limiter: no window ever holds more than the budget, across threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from dip_sheets.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


def test_budget_holds_in_every_window_with_a_fake_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = RateLimiter(tmp_path / "q.json", budget=60, window=60, clock=clock, sleep=clock.sleep)
    granted = []
    for _ in range(200):
        limiter.acquire("read")
        granted.append(clock.now)
    assert max_in_window(granted, 60) == 60
    assert granted[59] == 1000.0 and granted[60] >= 1060.0  # the 61st waits for the window to pass
    assert granted[60] - 1060.0 < 4  # and not much longer (the margin for network delay)


def test_kinds_have_separate_budgets(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = RateLimiter(tmp_path / "q.json", budget=2, window=60, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire(k) for k in ("read", "read", "write", "write")] == [0.0] * 4
    assert limiter.acquire("read") > 0


def test_shared_between_threads_and_processes(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter = RateLimiter(path, budget=10, window=1.0)
        for _ in range(5):
            limiter.acquire("read")
            with lock:
                granted.append(time.time())

    script = (
        "import sys, time; from pathlib import Path; from dip_sheets.ratelimit import RateLimiter\n"
        "l = RateLimiter(Path(sys.argv[1]), budget=10, window=1.0)\n"
        "for _ in range(5):\n    l.acquire('read'); print(time.time(), flush=True)\n"
    )
    others = [subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for process in others:
        out, _ = process.communicate(timeout=30)
        granted.extend(float(line) for line in out.split())
    assert len(granted) == 20
    assert max_in_window(granted, 1.0 - 0.01) <= 10
    assert max(granted) - min(granted) >= 0.9  # 20 requests at 10 per second needed a wait
