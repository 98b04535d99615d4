"""The shell scripts a newcomer runs refuse an old Python plainly instead of failing later."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_python_check_refuses_python_310_with_a_message(tmp_path: Path) -> None:
    fake = tmp_path / "python3.10"  # answers like Ubuntu 22.04's interpreter
    fake.write_text('#!/bin/sh\ncase "$2" in *print*) echo 3.10;; *) exit 1;; esac\n')
    fake.chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "python-check"), str(fake)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Python 3.11 atau lebih baru" in done.stderr and "Python 3.10" in done.stderr


def test_python_check_accepts_this_interpreter() -> None:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "python-check"), "python3"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr


def test_python_check_names_a_missing_interpreter() -> None:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "python-check"), "python9.99"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "tidak ditemukan" in done.stderr
