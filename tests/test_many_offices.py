"""One installation, many offices sharing one service account (against the Sheets emulator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from tests.conftest import established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

ROLES = '[roles]\nunit = ["unit@kpu.example"]\ndesk = ["desk@kpu.example"]\nppid = ["ppid@kpu.example"]\n'


def offices_config(tmp_path: Path, account: ServiceAccount, sheets: list[str], quota: str = "") -> Path:
    text = f'state_dir = "kerja"\n{ROLES}'
    for number, spreadsheet in enumerate(sheets, start=1):
        text += (f'[[register]]\nname = "kab{number:02d}"\nbackend = "sheets"\n'
                 f'spreadsheet_id = "{spreadsheet}"\ncredentials = "{account.path}"\nretry_budget = 3.0\n'
                 f"{quota}"
                 f'publish = {{ folder = "situs-{number:02d}" }}\n')
    path = tmp_path / "dip.toml"
    path.write_text(text, encoding="utf-8")
    return path


def fill(emulator: SheetsEmulator, spreadsheet: str) -> None:
    header = [str(v) for v in emulator.tab_values(spreadsheet, s.DIP_TAB)[0]]
    rows = [established("Profil"), good_row("Draf")]
    emulator.insert_rows(spreadsheet, s.DIP_TAB, 2, [[r.get(h) for h in header] for r in rows])


def test_one_broken_office_never_stops_the_others(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = [sheets_emulator.create_spreadsheet(shared_with=[sheets_account.email]) for _ in range(2)]
    config = offices_config(tmp_path, sheets_account, [good[0], "id-yang-salah", good[1]])
    assert main(["init", "--config", str(config), "--register", "kab01"]) == 0
    assert main(["init", "--config", str(config), "--register", "kab03"]) == 0
    for spreadsheet in good:
        fill(sheets_emulator, spreadsheet)
    capsys.readouterr()
    code = main(["sync", "--all", "--config", str(config), "--json"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)["registers"]
    assert code == 2  # the worst outcome: a configuration error (unknown spreadsheet)
    assert [r["register"] for r in summary] == ["kab01", "kab02", "kab03"]
    assert summary[0]["ids_assigned"] == ["DIP-0001", "DIP-0002"]
    assert summary[2]["ids_assigned"] == ["DIP-0001", "DIP-0002"]
    assert summary[1]["exit_code"] == 2 and "id-yang-salah" in summary[1]["error"]
    assert "kab02:" in captured.err


def test_shared_quota_holds_in_every_window_for_twenty_offices(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """20 offices, one service account, a budget of 15 reads and 15 writes per 1-second window
    (the real one is 60 a minute; the window is shortened so the test runs in seconds)."""
    budget, window = 15, 1.0
    sheets = [sheets_emulator.create_spreadsheet(shared_with=[sheets_account.email]) for _ in range(20)]
    quota = f"quota_per_window = {budget}\nquota_window = {window}\n"
    config = offices_config(tmp_path, sheets_account, sheets, quota)
    assert main(["init", "--all", "--config", str(config)]) == 0
    for spreadsheet in sheets:
        fill(sheets_emulator, spreadsheet)
    sheets_emulator.reset_log()
    capsys.readouterr()
    assert main(["sync", "--all", "--config", str(config), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["registers"]
    assert [r["ids_assigned"] for r in summary] == [["DIP-0001", "DIP-0002"]] * 20
    requests = [r for r in sheets_emulator.log if r.kind in ("read", "write")]
    assert len(requests) >= 20 * 6  # every office really synced (4 reads + 2 writes each)
    for kind in ("read", "write"):
        times = sorted(r.arrived for r in requests if r.kind == kind)
        busiest = max(sum(1 for u in times if t <= u < t + window) for t in times)
        assert busiest <= budget, (kind, busiest)
    span = max(r.arrived for r in requests) - min(r.arrived for r in requests)
    assert span >= (80 / budget - 1) * window  # the limiter made them wait, not luck
