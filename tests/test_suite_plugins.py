"""The end-of-run lines of tests/plugins (reliability counts, axe-core tally) add up across
pytest-xdist workers: ``scripts/test`` runs the suite on several workers, and the totals it prints
must be those of a serial run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COUNTING = '''
import pytest
from tests.plugins import reliability
from tests.plugins.axe_summary import checked

@pytest.mark.parametrize("n", range(6))
def test_counts(n):
    reliability.cases(2)
    reliability.faults(n)
    reliability.kills()
    checked(f"halaman-{n}", 0)
'''


def summary(tmp_path: Path, *options: str) -> list[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_counting.py").write_text(COUNTING)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.plugins.reliability", "-p", "tests.plugins.axe_summary",
         "-p", "no:cacheprovider", "-q", *options, "test_counting.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(re.findall(r"^(?:Keandalan|Aksesibilitas).*$", done.stdout, flags=re.MULTILINE))


def test_the_summary_lines_of_two_workers_are_those_of_a_serial_run(tmp_path: Path) -> None:
    serial = summary(tmp_path, "-p", "no:xdist")
    assert serial == ["Aksesibilitas (axe-core, WCAG 2.2 AA): 6 pemeriksaan halaman, 0 pelanggaran",
                      "Keandalan: 12 kasus dicoba, 15 gangguan disuntikkan, 6 proses dibunuh lalu pulih"]
    assert summary(tmp_path, "-n", "2", "--dist", "load") == serial
