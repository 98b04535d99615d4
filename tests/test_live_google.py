"""The full cycle against a REAL Google sheet. Runs only when credentials are given.

Set ``DIP_LIVE_SPREADSHEET_ID`` (an empty test spreadsheet shared with the service account as
Editor) and ``GOOGLE_APPLICATION_CREDENTIALS`` (the service account's JSON key), plus the role
emails ``DIP_LIVE_PPID``, ``DIP_LIVE_DESK`` and ``DIP_LIVE_UNIT`` (comma-separated). Without the first
two the test is skipped, and reported as skipped, never as passed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import PublishSettings, RegisterSettings, default_config
from dip_sheets.connect import open_register
from dip_sheets.publish import publish
from dip_sheets.register import Layout
from dip_sheets.sync import run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS

SPREADSHEET = os.environ.get("DIP_LIVE_SPREADSHEET_ID", "")
CREDENTIALS = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not (SPREADSHEET and CREDENTIALS),
                       reason="DIP_LIVE_SPREADSHEET_ID dan GOOGLE_APPLICATION_CREDENTIALS tidak diisi"),
]


def test_live_init_sync_publish(tmp_path: Path) -> None:
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base,
        register=RegisterSettings(backend="sheets", spreadsheet_id=SPREADSHEET,
                                  credentials=Path(CREDENTIALS)),
        publish=PublishSettings(folder=tmp_path / "situs"),
        roles={role: tuple(filter(None, os.environ.get(f"DIP_LIVE_{role.name}", "").split(",")))
               for role in (s.Role.UNIT, s.Role.DESK, s.Role.PPID)},
    )
    register = open_register(config)
    register.init(Layout(s.TABS, UNITS, config.roles))
    first = run(open_register(config), UNITS, NOW)
    second = run(open_register(config), UNITS, NOW)
    assert second.applied is None, "a second sync of the real sheet must write nothing"
    result = publish(config, open_register(config), FolderTarget(config.publish.folder), now=NOW, force=True)
    published = json.loads((config.publish.folder / "dip.json").read_bytes())
    assert published["jumlah"] == len(first.review.items)
    assert result.status in ("published", "unchanged")
