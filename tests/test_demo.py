"""``dip demo`` dates its sample from the day it is made: a demo made on any day shows the mistakes
it is meant to show and no "not updated for more than 6 months" warning; the same day, the same rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dip_sheets import demo
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config

#: what the staleness warning says (dip_sheets/staleness.py)
STALE = "bulan tidak diperbarui"


def test_a_demo_made_today_has_no_staleness_warnings(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--folder", str(tmp_path / "demo"), "--json"]) == 0
    sync = json.loads(capsys.readouterr().out)["sync"]
    assert not [w for found in sync["warnings"].values() for w in found if STALE in w], sync["warnings"]
    assert sync["rows_read"] == 20 and len(sync["problems"]) == 7  # its mistakes are still there


@pytest.mark.parametrize("today", [dt.date(2027, 1, 1), dt.date(2028, 2, 29), dt.date(2030, 7, 1),
                                   dt.date(2031, 12, 31)])
def test_a_demo_made_on_any_day_has_no_staleness_warnings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: dt.date) -> None:
    moment = dt.datetime.combine(today, dt.time(9, 0))
    monkeypatch.setattr(Config, "now", lambda self: moment)
    made = demo.run(tmp_path / "demo")
    warnings = made.sync.summary()["warnings"]
    assert not [w for found in warnings.values() for w in found if STALE in w], warnings
    assert made.publish.status == "published"  # the decision of the year is dated today at the latest
    published = json.loads((made.site / "dip.json").read_text(encoding="utf-8"))
    assert f"DIPA Satuan Kerja KPU Kabupaten Contoh Tahun {(today - dt.timedelta(days=25)).year}" in {
        i["judul"] for i in published["item"]}


def test_the_sample_is_the_same_for_the_same_day_and_moves_with_it() -> None:
    day = dt.date(2026, 3, 10)
    assert demo.sample_dip(day) == demo.sample_dip(day) and demo.sample_dik(day) == demo.sample_dik(day)
    later = demo.sample_dip(day + dt.timedelta(days=365))
    assert [r[s.CREATED] for r in later] != [r[s.CREATED] for r in demo.sample_dip(day)]
    assert [(r[s.CATEGORY], r.get(s.STEP3)) for r in later] == [
        (r[s.CATEGORY], r.get(s.STEP3)) for r in demo.sample_dip(day)]
    # the exclusion that ended stays ended: 31 December of last year
    assert demo.sample_dik(day)[2][s.DIK_PERIOD] == "sampai 31 Desember 2025"
