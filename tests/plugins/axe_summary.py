"""pytest plugin: the accessibility checks' result, printed once at the end of the run.

The axe-core tests (``tests/test_page_a11y.py``, ``tests/test_page_weight.py``) call :func:`checked`
for every page they measured; ``pytest_terminal_summary`` then prints, e.g., ``Aksesibilitas
(axe-core, WCAG 2.2 AA): 46 pemeriksaan halaman, 0 pelanggaran``. A run that selected none of those
tests (``-m "not browser"``) prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    if TALLY.pages:
        terminalreporter.write_sep("-", "aksesibilitas")
        terminalreporter.write_line(TALLY.line())
