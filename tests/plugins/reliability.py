"""pytest plugin: what the reliability suite (``tests/reliability``) tried, counted and told at the end.

Load it with ``pytest_plugins = ["tests.plugins.reliability"]`` (or ``pytest -p tests.plugins.reliability``).

The tests import this module and call :func:`cases`, :func:`faults` and :func:`kills`; the counts are
printed once by ``pytest_terminal_summary``, e.g. ``Keandalan: 240 kasus dicoba, 85 gangguan
disuntikkan, 12 proses dibunuh lalu pulih``. A run that selected none of those tests prints nothing,
and importing the module without loading it as a plugin is harmless (the counts are just not shown).
Counting happens in the test process itself; under pytest-xdist each worker hands its counts over
when it finishes (``workeroutput``) and the controller adds them up, so ``-n 2`` prints the same
totals as a serial run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pytest

#: the key a pytest-xdist worker's counts travel under, back to the controller
KEY = "keandalan"


@dataclass
class Counts:
    """The three numbers the summary line reports."""

    #: inputs tried: hypothesis examples, corpus values, request or file positions, kill seeds.
    cases: int = 0
    #: faults really injected: HTTP errors, timeouts, dropped connections (Sheets or SFTP).
    faults: int = 0
    #: processes SIGKILLed mid-run after which the register and the site were checked and recovered.
    kills: int = 0

    def any(self) -> bool:
        return bool(self.cases or self.faults or self.kills)

    def line(self) -> str:
        return (f"Keandalan: {self.cases} kasus dicoba, {self.faults} gangguan disuntikkan,"
                f" {self.kills} proses dibunuh lalu pulih")


COUNTS = Counts()


def cases(number: int = 1) -> None:
    """Count inputs tried (one hypothesis example, one corpus value, one fault position...)."""
    COUNTS.cases += number


def faults(number: int = 1) -> None:
    """Count faults that were actually injected (not merely scheduled)."""
    COUNTS.faults += number


def kills(number: int = 1) -> None:
    """Count processes killed with SIGKILL whose aftermath was checked and re-run successfully."""
    COUNTS.kills += number


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start from zero, also when pytest runs several sessions in one process (pytester)."""
    COUNTS.cases = COUNTS.faults = COUNTS.kills = 0


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand this worker's counts to the controller."""
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[KEY] = asdict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: add up the counts of a worker that finished."""
    counted: dict[str, int] = getattr(node, "workeroutput", {}).get(KEY, {})
    COUNTS.cases += counted.get("cases", 0)
    COUNTS.faults += counted.get("faults", 0)
    COUNTS.kills += counted.get("kills", 0)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """One line at the end of the run, only when reliability tests actually ran."""
    if COUNTS.any():
        terminalreporter.write_sep("-", "keandalan")
        terminalreporter.write_line(COUNTS.line())
