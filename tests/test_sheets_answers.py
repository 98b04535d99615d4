"""The Sheets backend facing the answers real Google gives (issue 18): a protected cell is refused
with 400, a Cloud project without the Sheets API with 403 and a link, a cell holds 50,000
characters, and row locks never copy an editor list the service account can no longer see."""

from __future__ import annotations

from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.errors import ConfigError
from dip_sheets.register import CellWrite, Changes
from tests import sheets_emulator
from tests.sheets_emulator import SheetsEmulator
from tests.test_register_sheets import LAYOUT, PPID, Env, _prepared, anchor, env, item

__all__ = ["env"]  # the fixture, shared with tests/test_register_sheets.py


@pytest.mark.parametrize("wording", [
    sheets_emulator.PROTECTED_MESSAGE,
    "Anda mencoba mengedit sel atau objek yang dilindungi. Hubungi pemilik spreadsheet untuk"
    " menghapus perlindungan jika Anda perlu mengeditnya.",
])
def test_a_protected_cell_answered_400_gives_the_protection_advice(
        env: Env, wording: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets_emulator, "PROTECTED_MESSAGE", wording)
    register, sid, changes = _prepared(env)
    sheet = env.emu.book(sid).tab(s.DIP_TAB)
    sheet.protected.append({"protectedRangeId": 9, "range": {"sheetId": sheet.sheet_id},
                            "editors": {"users": [PPID]}})
    with pytest.raises(ConfigError) as refused:
        register.apply(changes)
    assert [r.status for r in env.emu.log][-1] == 400
    text = refused.value.message("id")
    assert "tidak boleh menulis ke sel yang dilindungi" in text and "dihapus atau diganti" not in text
    assert "protected cell" in refused.value.message("en")


def test_an_api_not_enabled_in_the_project_says_so_with_googles_link(env: Env) -> None:
    env.emu.disabled_in_project = "123456789012"
    with pytest.raises(ConfigError) as refused:
        env.register().read()
    link = ("https://console.developers.google.com/apis/api/sheets.googleapis.com/overview"
            "?project=123456789012")
    for lang in ("id", "en"):
        assert link in refused.value.message(lang)
        assert "dibagikan" not in refused.value.message(lang)
    assert "belum diaktifkan" in refused.value.message("id")
    assert "not enabled" in refused.value.message("en")


def test_dip_check_says_reachable_only_after_a_request_succeeded(
        sheets_emulator: SheetsEmulator, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    from dip_sheets.cli import main

    account = sheets_emulator.service_account(tmp_path)
    sid = sheets_emulator.create_spreadsheet(shared_with=[account.email])
    sheets_emulator.disabled_in_project = "42"
    config = tmp_path / "dip.toml"
    config.write_text(f'[register]\nbackend = "sheets"\nspreadsheet_id = "{sid}"\n'
                      f'credentials = "{account.path}"\n[roles]\nppid = ["{PPID}"]\n'
                      'desk = ["desk@kpu-contoh.go.id"]\nunit = ["unit@kpu-contoh.go.id"]\n',
                      encoding="utf-8")
    main(["check", "--config", str(config)])
    out = capfd.readouterr().out
    opened = next(line for line in out.splitlines() if "register dapat dibuka" in line)
    assert "belum dibaca" in opened  # nothing was sent yet: not yet reachable
    read = next(line for line in out.splitlines() if "register dapat dibaca" in line)
    assert "GAGAL" in read and "project=42" in read


def test_a_note_longer_than_a_cell_holds_is_cut_with_an_ellipsis(env: Env) -> None:
    register, sid, changes = _prepared(env)
    long = "W01 " * 20_000
    [write] = changes.writes
    assert register.apply(Changes(writes=[CellWrite(write.anchor, s.NOTE, long)])
                          ).cells_written == 1
    note = env.emu.tab_values(sid, s.DIP_TAB)[1][s.locate_columns(
        s.TAB_BY_NAME[s.DIP_TAB], env.emu.tab_values(sid, s.DIP_TAB)[0])[s.NOTE]]
    assert len(note) == 50_000 and note.endswith("…") and note.startswith("W01 W01")


def test_locks_without_roles_refuse_when_the_ppid_column_editors_are_hidden(env: Env) -> None:
    """The service account was removed from the PPID column's protection: Google no longer shows
    it the editors, and copying "nobody" would lock the PPID out of every established row."""
    env.register().init(LAYOUT)
    env.emu.set_cell(env.sid, s.DIP_TAB, "D2", "Judul 1")
    sheet = env.emu.book(env.sid).tab(s.DIP_TAB)
    column = next(p for p in sheet.protected if f"col:{s.STEP3}]" in p["description"])
    column["editors"] = {"users": [PPID]}
    register = env.register()  # no roles in the settings
    snapshot = register.read()
    env.emu.reset_log()
    with pytest.raises(ConfigError) as refused:
        register.apply(Changes(locks={s.DIP_TAB: frozenset([anchor(snapshot, s.DIP_TAB, 1)])}))
    assert "[roles]" in refused.value.message("id") and env.account.email in refused.value.message()
    assert env.emu.writes == 0
    assert not any("[dip-sheets:rows]" in p["description"] for p in sheet.protected)



def test_protection_batches_are_split_by_size_like_value_writes(env: Env) -> None:
    """Google advises request bodies under 2 MB; thousands of separate locked runs are sent in
    several ``:batchUpdate`` calls (shown here with a small limit), and all of them land."""
    sid = env.dip_tab([item(n) for n in range(1, 41)])
    register = env.register(spreadsheet_id=sid, roles={s.Role.PPID: (PPID,)})
    register.body_limit = 2_000
    snapshot = register.read()
    odd = frozenset(anchor(snapshot, s.DIP_TAB, i) for i in range(1, 41, 2))
    env.emu.reset_log()
    register.apply(Changes(locks={s.DIP_TAB: odd}))
    batches = [r for r in env.emu.log if r.api == "spreadsheets.batchUpdate"]
    assert len(batches) > 2 and all(r.body_size <= 2_000 for r in batches)
    assert register.read().tabs[s.DIP_TAB].locked_rows == set(range(1, 41, 2))
    env.emu.reset_log()
    register.apply(Changes(locks={s.DIP_TAB: odd}))
    assert env.emu.writes == 0
