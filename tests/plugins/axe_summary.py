"""pytest plugin: the accessibility checks' result, printed once at the end of the run.

The axe-core tests (``tests/test_page_a11y.py``, ``tests/test_page_weight.py``) call :func:`checked`
for every page they measured; ``pytest_terminal_summary`` then prints, e.g., ``Aksesibilitas
(axe-core, WCAG 2.2 AA): 46 pemeriksaan halaman, 0 pelanggaran``. A run that selected none of those
tests (``-m "not browser"``) prints nothing. Under pytest-xdist each worker hands its tally to the
controller when it finishes (``workeroutput``), which adds them up: the line is the same as serially.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

#: the key a pytest-xdist worker's tally travels under, back to the controller
KEY = "aksesibilitas"


@dataclass
class Tally:
    """Pages measured and the violations axe found on them (the deliberately broken page excluded)."""

    pages: list[str] = field(default_factory=list)
    violations: int = 0

    def line(self) -> str:
        return (f"Aksesibilitas (axe-core, WCAG 2.2 AA): {len(self.pages)} pemeriksaan halaman,"
                f" {self.violations} pelanggaran")


TALLY = Tally()


def checked(page: str, violations: int) -> None:
    """Count one axe run over ``page`` (name, size and colour scheme) and its violations."""
    TALLY.pages.append(page)
    TALLY.violations += violations


def pytest_sessionstart(session: pytest.Session) -> None:
    TALLY.pages.clear()
    TALLY.violations = 0


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand this worker's tally to the controller."""
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[KEY] = {"pages": TALLY.pages, "violations": TALLY.violations}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: add up the tally of a worker that finished."""
    tally: dict[str, Any] = getattr(node, "workeroutput", {}).get(KEY, {})
    TALLY.pages.extend(tally.get("pages", []))
    TALLY.violations += tally.get("violations", 0)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    if TALLY.pages:
        terminalreporter.write_sep("-", "aksesibilitas")
        terminalreporter.write_line(TALLY.line())
