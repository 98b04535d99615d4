"""How a run ends in an error: one sentence and an exit code for the person, the traceback in a
private ``dip.log``, ``--debug`` for logging; and nothing a cell or an argument holds reaches the
terminal raw."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from dip_sheets import cli, runlog
from dip_sheets import schema as s
from dip_sheets.office import Office
from dip_sheets.register.workbook import WorkbookRegister
from tests.conftest import add_rows, established, good_row
from tests.sheets_emulator import ServiceAccount, SheetsEmulator, column_letters
from tests.test_cli_options import make_office

FAKE_KEY = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7rahasia\n"
            "-----END PRIVATE KEY-----\n")


@pytest.fixture
def office(tmp_path: Path) -> Path:
    return make_office(tmp_path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def explode(*_: object, **__: object) -> None:
    raise RuntimeError(f"rusak {FAKE_KEY}")


# ---- unexpected errors -----------------------------------------------------------------------


def test_an_unexpected_error_is_one_sentence_and_its_traceback_goes_to_a_private_dip_log(
    office: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Office, "sync", explode)
    capsys.readouterr()
    assert cli.main(["sync", "--config", str(office)]) == 1
    captured = capsys.readouterr()
    log = office.parent / "kerja" / "dip.log"
    assert captured.err == (f"Kesalahan tak terduga (RuntimeError); rinciannya tercatat di {log}."
                            " Laporkan berkas itu kepada pengelola dip-sheets.\n")
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: rusak" in text
    assert "MIIEvQIBADAN" not in text and "rahasia" not in text  # key material is redacted
    assert mode(log) == 0o600
    assert cli.main(["sync", "--config", str(office), "--lang", "en"]) == 1
    assert capsys.readouterr().err.startswith(f"Unexpected error (RuntimeError); the details are in {log}.")
    assert cli.main(["sync", "--config", str(office), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["exit_code"] == 1


def test_debug_prints_the_traceback_and_turns_on_logging(
    office: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Office, "publish", explode)
    capsys.readouterr()
    assert cli.main(["publish", "--config", str(office), "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError" in err
    assert "DEBUG dip_sheets.error_handler: unexpected error" in err
    assert "MIIEvQIBADAN" not in err  # redacted like dip.log
    assert err.rstrip().splitlines()[-1].startswith("Kesalahan tak terduga (RuntimeError)")
    assert "Traceback" in (office.parent / "kerja" / "dip.log").read_text()


def test_before_the_configuration_is_read_the_log_goes_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "load_configs", explode)
    assert cli.main(["status"]) == 1
    assert f"tercatat di {tmp_path / 'dip.log'}." in capsys.readouterr().err
    assert "RuntimeError" in (tmp_path / "dip.log").read_text() and mode(tmp_path / "dip.log") == 0o600


def test_a_state_folder_that_cannot_be_used_is_named_and_the_log_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "berkas").write_text("bukan folder")
    config = tmp_path / "dip.toml"
    config.write_text('state_dir = "berkas"\n[register]\npath = "register.xlsx"\n', encoding="utf-8")
    assert cli.main(["sync", "--config", str(config)]) == 2  # the configuration names a file
    err = capsys.readouterr().err
    assert err.startswith(f"Berkas atau folder '{tmp_path / 'berkas'}' tidak dapat dipakai: sudah ada"
                          " berkas dengan nama itu. Periksa path itu di dip.toml")
    assert f"rinciannya tercatat di {tmp_path / 'dip.log'}." in err and "Traceback" not in err


@pytest.mark.parametrize(("make", "reason", "code"), [
    (lambda p: p.mkdir(), "itu sebuah folder, bukan berkas", 2),
    (lambda p: None, "", 0),
])
def test_a_register_path_that_names_a_folder_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    make: Any, reason: str, code: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "dip.toml"
    config.write_text('[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n',
                      encoding="utf-8")
    make(tmp_path / "register.xlsx")
    if code == 0:  # the ordinary case: init makes the workbook, sync reads it
        assert cli.main(["init", "--config", str(config)]) == 0
    assert cli.main(["sync", "--config", str(config)]) == code
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err


def test_an_interrupted_run_says_so(office: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Office, "sync", interrupt)
    assert cli.main(["sync", "--config", str(office)]) == 1
    assert capsys.readouterr().err == "Dihentikan.\n"


def test_the_log_is_private_even_when_it_existed_wider_and_after_rotation(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = office.parent / "kerja"
    state.mkdir(exist_ok=True)
    log = state / "dip.log"
    log.write_text("lama\n")
    log.chmod(0o644)
    old_backup = state / "dip.log.2"
    old_backup.write_text("lama\n")
    old_backup.chmod(0o644)
    monkeypatch.setattr(runlog, "MAX_BYTES", 150)
    for _ in range(3):
        assert cli.main(["sync", "--config", str(office)]) == 0
    files = sorted(state.glob("dip.log*"))
    assert {f.name for f in files} >= {"dip.log", "dip.log.1", "dip.log.2"}
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


# ---- nothing raw reaches the terminal --------------------------------------------------------

#: what a workbook cell can hold (XML forbids C0 controls there): C1 controls, DEL, bidi overrides.
IN_CELL = "Judul \x9b31m \x85 \x7f \u202eterbalik\u202c"
#: what an argument or a Google Sheets cell can hold as well: ESC, OSC, BEL.
ANYWHERE = f"{IN_CELL} \x1b]0;dibajak\x07 \x1b[2J"
RAW = ("\x1b", "\x07", "\x9b", "\x85", "\x7f", "\u202e", "\u202c")


def assert_no_raw(*texts: str) -> None:
    for text in texts:
        assert not any(raw in text for raw in RAW), text


def hostile_office(folder: Path) -> Path:
    config = make_office(folder)
    add_rows(WorkbookRegister(folder / "register.xlsx"), [
        established(IN_CELL, **{s.LINK: f"bukan alamat {IN_CELL}"}),
        good_row("Unit aneh", **{s.UNIT: f"Unit {IN_CELL}"}),
    ])
    return config


@pytest.mark.parametrize("argv", [
    ["sync"], ["status"], ["status", "--format", "csv"], ["status", "--format", "json"],
    ["publish", "--force"], ["check"], ["sync", "--json"], ["publish", "--rollback", ANYWHERE],
    ["sync", "--register", ANYWHERE], ["status", "--config", f"/tidak/ada/{ANYWHERE}.toml"],
    ["sync", ANYWHERE], ["publish", "--by"], ["status", "--format", ANYWHERE],
])
def test_control_characters_from_cells_and_arguments_are_escaped(
    tmp_path: Path, argv: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    config = hostile_office(tmp_path)
    capfd.readouterr()
    code = cli.main([*argv, "--config", str(config)] if "--config" not in argv else argv)
    captured = capfd.readouterr()
    assert_no_raw(captured.out, captured.err)
    assert code in (0, 1, 2), captured.err
    if argv in (["sync"], ["status"], ["status", "--format", "csv"]):
        assert "\\x9b" in captured.out and "\\u202e" in captured.out  # shown, made harmless


def test_control_characters_in_a_google_sheet_are_escaped(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
    sheets_spreadsheet: str, capfd: pytest.CaptureFixture[str],
) -> None:
    emu, sid = sheets_emulator, sheets_spreadsheet
    config = tmp_path / "dip.toml"
    config.write_text(
        f'[register]\nbackend = "sheets"\nspreadsheet_id = "{sid}"\ncredentials = "{sheets_account.path}"\n'
        '[roles]\nunit = ["u@kpu.example"]\ndesk = ["d@kpu.example"]\nppid = ["p@kpu.example"]\n',
        encoding="utf-8")
    assert cli.main(["init", "--config", str(config)]) == 0
    header = [str(h) for h in emu.tab_values(sid, s.DIP_TAB)[0]]
    row = established(ANYWHERE, **{s.UNIT: ANYWHERE, s.LINK: ANYWHERE})
    for name, value in row.items():
        emu.set_cell(sid, s.DIP_TAB, f"{column_letters(header.index(name))}2", value)
    capfd.readouterr()
    for argv in (["sync"], ["status"], ["status", "--format", "csv"]):
        assert cli.main([*argv, "--config", str(config)]) == 0
        captured = capfd.readouterr()
        assert_no_raw(captured.out, captured.err)
        assert "\\x1b]0;dibajak\\x07" in captured.out


def test_json_output_escapes_control_characters_and_stays_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = hostile_office(tmp_path)
    capsys.readouterr()
    assert cli.main(["status", "--format", "json", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "\\u202e" in out and "\\u009b" in out
    assert any(IN_CELL in unit for unit in json.loads(out)["per_unit"])


@pytest.mark.parametrize("by", ["PPID\x1b[2J", "PPID\nBaris palsu", "PPID\u202eX", "P" * 101, "  "])
def test_by_with_control_characters_or_too_long_is_refused_with_exit_2(
    office: Path, by: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site = office.parent / "situs"
    assert cli.main(["publish", "--config", str(office), "--force", "--by", by]) == 2
    err = capsys.readouterr().err
    assert "--by" in err and "karakter kendali" in err and (not by.strip() or by not in err)
    assert_no_raw(err)
    assert "Baris palsu" not in err
    assert not site.exists()
    assert cli.main(["publish", "--config", str(office), "--force", "--by", "Ibu PPID"]) == 0


def test_status_csv_neutralises_formula_looking_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_office(tmp_path)
    add_rows(WorkbookRegister(tmp_path / "register.xlsx"), [
        good_row("X", **{s.UNIT: '=HYPERLINK("http://contoh.invalid","klik")'}),
        good_row("Y", **{s.UNIT: "@SUM(1+1)"}), good_row("Z", **{s.UNIT: "-2+3"}),
        good_row("W", **{s.UNIT: "+1"}),
    ])
    capsys.readouterr()
    assert cli.main(["status", "--config", str(config), "--format", "csv"]) == 0
    units = [row[1] for row in csv.reader(io.StringIO(capsys.readouterr().out))][1:]
    typed = [u for u in units if not u.startswith("Sub Bagian")]
    assert len(typed) == 4 and all(u.startswith("'") for u in typed), typed
