"""The guide's commands work as written, and the error catalogue matches the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from error_catalog import catalogue  # noqa: E402

GUIDE = ROOT / "docs" / "PANDUAN.md"
SKIP = {".venv", ".git", "dip-demo", "dip-kerja", "test-artifacts", ".mypy_cache", ".ruff_cache",
        ".pytest_cache", ".hypothesis", "__pycache__"}


def runnable_blocks(text: str) -> list[str]:
    """The ```sh blocks, in order (```text blocks are shown but not run)."""
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the repository as a newcomer has it, with a virtualenv of its own.

    The new venv borrows the already installed dependencies through a ``.pth`` file (so nothing is
    downloaded), while the scripts' ``pip install -e .`` installs the copy into the copy's venv and
    never re-points the project's own venv.
    """
    copy = tmp_path / "dip-sheets"
    shutil.copytree(ROOT, copy, ignore=lambda _dir, names: [n for n in names if n in SKIP])
    subprocess.run([sys.executable, "-m", "venv", str(copy / ".venv")], check=True)
    borrowed = [p for p in sys.path if p.endswith("site-packages")]
    purelib = subprocess.run([str(copy / ".venv" / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "_dip_test_deps.pth").write_text("\n".join(borrowed) + "\n")
    return copy


def test_guide_commands_run_as_written(checkout: Path) -> None:
    blocks = runnable_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    env = {**os.environ, "PYTHON": sys.executable}
    for block in blocks:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
    assert (checkout / "dip-demo" / "situs" / "index.html").exists()
    assert (checkout / "dip-kerja" / "register.xlsx").exists()
    log = (checkout / "dip-kerja" / "dip.log").read_text(encoding="utf-8").splitlines()
    assert len(log) >= 2 and "sync utama" in log[-1]
    imported = subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-c",
                               "import dip_sheets; print(dip_sheets.__file__)"],
                              check=True, capture_output=True, text=True, cwd=checkout.parent).stdout
    assert imported.startswith(str(checkout))  # the copy ran its own code


def test_error_catalogue_matches_the_code() -> None:
    assert (ROOT / "docs" / "PESAN.md").read_text(encoding="utf-8") == catalogue(), (
        "docs/PESAN.md is stale: run .venv/bin/python scripts/error_catalog.py > docs/PESAN.md")


def test_crontab_example_calls_the_cron_script() -> None:
    lines = [line for line in (ROOT / "scripts" / "crontab.example").read_text().splitlines()
             if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert lines and all("scripts/sync-cron --config" in line for line in lines)
    assert all(len(line.split()) >= 7 for line in lines)  # five time fields, the command, its args
