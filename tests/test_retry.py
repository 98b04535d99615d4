"""One retry policy (dip_sheets/retry.py): bounded, says one line per wait, and knows what is final."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from dip_sheets import schema as s
from dip_sheets.config import default_config
from dip_sheets.connect import REGISTERS, open_register, register_backend
from dip_sheets.errors import BackendUnavailable, ConfigError
from dip_sheets.messages import Message
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.retry import RetryPolicy, Transient, Wait
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

BUSY = Transient(Message("HTTP 429", "HTTP 429"))


class Clock:
    """A clock that only moves when the policy sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def policy(**overrides: Any) -> tuple[RetryPolicy, list[Wait], Clock]:
    waits: list[Wait] = []
    clock = Clock()
    settings: dict[str, Any] = {"max_retries": 3, "budget": 100.0, "base": 1.0, "cap": 8.0,
                                "on_wait": waits.append, "clock": clock, "sleep": clock.sleep}
    return RetryPolicy("Google Sheets", **{**settings, **overrides}), waits, clock


def failing(times: int, error: Exception = BUSY) -> Any:
    calls = {"n": 0}

    def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return "ok"

    attempt.calls = calls  # type: ignore[attr-defined]
    return attempt


def test_transient_failures_are_retried_with_one_line_per_wait() -> None:
    retry, waits, clock = policy()
    assert retry.call(failing(2)) == "ok"
    assert [w.retry for w in waits] == [1, 2]
    assert 1.0 <= waits[0].seconds <= 2.0 and 2.0 <= waits[1].seconds <= 3.0  # doubled, + jitter
    assert clock.now == pytest.approx(sum(w.seconds for w in waits))
    text = waits[0].message()
    assert "\n" not in text.id and "\n" not in text.en
    assert text.id.startswith("Google Sheets: HTTP 429; mencoba lagi dalam")
    assert "(retry 1 of at most 3)" in text.en


def test_the_count_and_the_budget_bound_the_retries() -> None:
    retry, waits, _ = policy()
    attempt = failing(99)
    with pytest.raises(BackendUnavailable) as busy:
        retry.call(attempt)
    assert attempt.calls["n"] == 4 and len(waits) == 3
    assert "tried 4 times" in busy.value.message("en")
    retry, waits, clock = policy(max_retries=50, budget=10.0)
    with pytest.raises(BackendUnavailable):
        retry.call(failing(99))
    assert clock.now <= 10.0 and len(waits) == 3  # 1 + 2 + 4 (+ jitter); 8 more would pass 10


def timing_out_once(clock: Clock, took: float, late: Transient) -> Any:
    """An attempt that runs ``took`` seconds into its timeout once, then succeeds."""
    calls = {"n": 0}

    def attempt() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            clock.now += took
            raise late
        return "ok"

    return attempt


def test_a_timed_out_attempt_is_sent_again_only_after_its_late_copy_could_have_landed() -> None:
    """A write Google received but answered too late may still be applied after the client gave
    up: its retry waits twice as long as the attempt took (within the time budget), so that late
    copy cannot land after the run's next write and undo it. Other failures keep the plain backoff."""
    late = Transient(Message("waktu tunggu habis", "timed out"), may_still_apply=True)
    for took, least in ((3.0, 6.0), (60.0, 40.0)):  # 40 = what is left of the 100 s budget
        retry, waits, clock = policy(base=0.0)
        assert retry.call(timing_out_once(clock, took, late)) == "ok"
        assert waits[0].seconds >= least and waits[0].seconds <= least + 1.0
    retry, waits, _ = policy(base=0.0)
    assert retry.call(failing(1)) == "ok" and waits[0].seconds <= 1.0  # a 429 is not waited out


def test_a_final_error_is_not_retried() -> None:
    retry, waits, _ = policy()
    attempt = failing(1, ConfigError("tidak", "no"))
    with pytest.raises(ConfigError):
        retry.call(attempt)
    assert attempt.calls["n"] == 1 and waits == []


def test_by_default_each_wait_is_one_warning_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    retry = RetryPolicy("Google Sheets", base=0.001, cap=0.001)
    with caplog.at_level(logging.WARNING, logger="dip_sheets.retry"):
        assert retry.call(failing(2)) == "ok"
    lines = [r.getMessage() for r in caplog.records if r.name == "dip_sheets.retry"]
    assert len(lines) == 2 and all("mencoba lagi" in line and "retrying in" in line for line in lines)


# ---- the Sheets backend: what is final at once ----------------------------------------------------


def _register(account: ServiceAccount, api_url: str, waits: list[Wait]) -> SheetsRegister:
    """Slow backoff: a retry would show in the time taken and in ``waits``."""
    settings = SheetsSettings("x", account.path, api_url=api_url, backoff_base=5.0,
                              max_retries=6, timeout=5.0, on_retry=waits.append)
    return SheetsRegister(settings, load_credentials(settings))


def test_a_name_that_does_not_resolve_is_final_at_once(sheets_api: SheetsEmulator,
                                                        tmp_path: Path) -> None:
    waits: list[Wait] = []
    register = _register(sheets_api.service_account(tmp_path), "http://dip-sheets.invalid", waits)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as unreachable:
        register.read()
    assert time.monotonic() - started < 4.0 and waits == []
    assert "DNS" in unreachable.value.message("id") and "DNS" in unreachable.value.message("en")
    assert "Periksa sambungan internet" in unreachable.value.message("id")


def test_a_refused_connection_is_final_at_once(sheets_api: SheetsEmulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[Wait] = []
    register = _register(sheets_api.service_account(tmp_path), f"http://127.0.0.1:{port}", waits)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as unreachable:
        register.read()
    assert time.monotonic() - started < 4.0 and waits == []
    assert "koneksi gagal: sambungan ditolak" in unreachable.value.message("id")
    assert "connection refused" in unreachable.value.message("en")


def test_a_busy_sheet_is_waited_for_and_each_wait_is_told(sheets_api: SheetsEmulator,
                                                          tmp_path: Path) -> None:
    account = sheets_api.service_account(tmp_path)
    sid = sheets_api.create_spreadsheet({s.DIP_TAB: [list(s.TAB_BY_NAME[s.DIP_TAB].headers)]},
                                        shared_with=[account.email])
    waits: list[Wait] = []
    settings = SheetsSettings(sid, account.path, api_url=sheets_api.base_url, backoff_base=0.001,
                              backoff_cap=0.01, on_retry=waits.append)
    register = SheetsRegister(settings, load_credentials(settings))
    sheets_api.fail(429, times=2)
    assert s.DIP_TAB in register.read().tabs
    assert [(w.retry, w.cause.en) for w in waits] == [(1, "HTTP 429"), (2, "HTTP 429")]


# ---- one table of backends ------------------------------------------------------------------------


def test_backends_come_from_one_table(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    assert set(REGISTERS) == {"workbook", "sheets"}
    assert isinstance(open_register(config), WorkbookRegister)
    assert register_backend(config).needs_roles is False
    assert REGISTERS["sheets"].needs_roles is True
