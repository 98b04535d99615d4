"""A redaction killed after the site was rewritten but before the register was written: running
``dip tarik`` again writes the register's part (the ``Riwayat`` row, steps 4 and 5) with the time,
person and reason the site records, once; a third run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dip_sheets import redaction
from dip_sheets import schema as s
from dip_sheets.config import Config
from dip_sheets.ledger import EVENT_REDACTED
from dip_sheets.office import Office
from dip_sheets.register import cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.site import MANIFEST
from tests.test_redaction import REASON, check_withdrawn, every_file, item_id, redaction_rows, three_versions


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


def kill(*_: Any, **__: Any) -> Any:
    raise Killed


def live_event(config: Config) -> dict[str, str]:
    return dict(json.loads((config.publish.folder / MANIFEST).read_bytes())["event"])


def killed_redaction(config: Config, monkeypatch: pytest.MonkeyPatch, step: str,
                     by: str | None = None) -> tuple[Office, Path, str]:
    """Three published versions, then ``dip tarik`` of their first item killed at ``step`` of
    :mod:`dip_sheets.redaction`: the office, the site folder and the item's ID."""
    root = config.publish.folder
    office = three_versions(config, root)
    identifier = item_id(root)
    with monkeypatch.context() as patched:
        patched.setattr(redaction, step, kill)
        with pytest.raises(Killed):
            office.redact(identifier, REASON, by=by)
    return office, root, identifier


def test_a_redaction_killed_before_its_register_write_is_recorded_by_the_rerun(
    publish_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, root, identifier = killed_redaction(publish_config, monkeypatch, "record_live",
                                                by="Ibu Ketua PPID")
    assert redaction_rows(publish_config, identifier) == []  # the site is done, the register is not
    site = every_file(root)
    event = live_event(publish_config)

    again = office.redact(identifier, "alasan lain yang diketik ulang")

    assert again.summary()["status"] == "recorded" and again.registered and not again.rewritten
    assert again.live == json.loads((root / MANIFEST).read_bytes())["version"]
    assert every_file(root) == site  # the site is not touched again
    assert "kini tab 'Riwayat' mencatatnya" in again.lines()[0].id
    # the row carries the redaction as the site records it: its time, person and reason
    assert redaction_rows(publish_config, identifier) == [event["waktu"].replace("T", " ")[:19]]
    grid = WorkbookRegister(publish_config.register.path).read().tabs[s.HISTORY_TAB]
    assert any(f"{EVENT_REDACTED}: {REASON} (oleh Ibu Ketua PPID)" == cell_text(c)
               for row in grid.rows for c in row)
    check_withdrawn(office, root, identifier)  # steps 4 and 5 follow the live list

    third = office.redact(identifier, REASON)
    assert third.summary()["status"] == "unchanged" and not third.registered
    assert len(redaction_rows(publish_config, identifier)) == 1 and every_file(root) == site


def test_a_redaction_killed_after_its_switch_finishes_with_the_same_record_and_the_live_steps(
    publish_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # killed once the clean list is live, before the archive is rewritten
    office, root, identifier = killed_redaction(publish_config, monkeypatch, "_put_in_place")
    event = live_event(publish_config)
    assert event["id"] == identifier

    again = office.redact(identifier, REASON)

    assert again.summary()["status"] == "redacted" and again.registered and len(again.rewritten) == 3
    assert again.live == json.loads((root / MANIFEST).read_bytes())["version"] and again.stamps_written > 0
    check_withdrawn(office, root, identifier)  # steps 4 and 5 name the live version, the item's cleared
    times = {json.loads(path.read_bytes()).get("redactions", [{}])[0].get("waktu")
             for path in (root / "arsip").glob(f"*/{MANIFEST}")} - {None}
    assert times == {event["waktu"]}  # every version tells the same redaction
    assert redaction_rows(publish_config, identifier) == [event["waktu"].replace("T", " ")[:19]]
