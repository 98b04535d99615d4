"""The command line itself: common options in either position, argparse in Indonesian, ``--lang en``
on every line a command prints."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.messages import Message
from dip_sheets.output import Output
from dip_sheets.register.workbook import WorkbookRegister
from tests.conftest import add_rows, established, good_row


def make_office(folder: Path, names: tuple[str, ...] = ()) -> Path:
    """A ``dip.toml`` in ``folder`` with one register (or one per name), each holding an established
    row and a draft; the state folder is ``kerja``."""
    config = folder / "dip.toml"
    if not names:
        config.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n'
                          '[publish]\nfolder = "situs"\n', encoding="utf-8")
        books = [folder / "register.xlsx"]
    else:
        config.write_text('state_dir = "kerja"\n' + "".join(
            f'[[register]]\nname = "{n}"\npath = "{n}.xlsx"\npublish = {{ folder = "situs-{n}" }}\n'
            for n in names), encoding="utf-8")
        books = [folder / f"{n}.xlsx" for n in names]
    for name, book in zip(names or ("utama",), books, strict=True):
        assert main(["init", "--local", str(book), "--config", str(config), "--register", name]) == 0
        add_rows(WorkbookRegister(book), [established("A"), good_row("B")])
    return config


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the built-in default (used when --config is lost) finds nothing here
    return make_office(tmp_path)


@pytest.fixture
def offices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_office(tmp_path, ("a", "b"))


def placed(position: str, option: list[str], command: list[str]) -> list[str]:
    """``dip OPTION COMMAND ...`` or ``dip COMMAND ... OPTION``."""
    return [*option, *command] if position == "before" else [*command, *option]


Check = Callable[[int, str, str], None]


def _config_used(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert json.loads(out)["rows_read"] == 2


def _register_chosen(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert json.loads(out)["register"] == "b"


def _all_registers(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert [r["register"] for r in json.loads(out)["registers"]] == ["a", "b"]


def _json_printed(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert json.loads(out)["publishable"] == 1


def _english(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert "Read 2 DIP rows and 0 DIK rows" in out and "Dibaca" not in out


def _debug_logging(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert "DEBUG dip_sheets.office: run lock of utama taken" in err


#: option -> (its words, the rest of the command line, the configuration fixture, what shows it worked)
OPTIONS: dict[str, tuple[list[str], list[str], str, Check]] = {
    "--config": (["--config", "{config}"], ["sync", "--json"], "office", _config_used),
    "--register": (["--register", "b"], ["sync", "--json", "--config", "{config}"], "offices",
                   _register_chosen),
    "--all": (["--all"], ["sync", "--json", "--config", "{config}"], "offices", _all_registers),
    "--json": (["--json"], ["status", "--config", "{config}"], "office", _json_printed),
    "--lang": (["--lang", "en"], ["sync", "--config", "{config}"], "office", _english),
    "--debug": (["--debug"], ["sync", "--config", "{config}"], "office", _debug_logging),
}


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_common_option_works_before_and_after_the_command(
    name: str, position: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    option, command, fixture, check = OPTIONS[name]
    config = str(request.getfixturevalue(fixture))
    capsys.readouterr()
    argv = [word.replace("{config}", config) for word in placed(position, option, command)]
    code = main(argv)
    captured = capsys.readouterr()
    check(code, captured.out, captured.err)


def test_an_option_after_the_command_wins_over_the_same_option_before(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--lang", "id", "sync", "--config", str(office), "--lang", "en"]) == 0
    assert "Read 2 DIP rows" in capsys.readouterr().out


# ---- argparse's own messages ------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "indonesian", "english"), [
    (["sync", "--tidak-ada"], "argumen tidak dikenal: --tidak-ada", "unrecognized arguments: --tidak-ada"),
    (["status", "--days"], "argumen --days: perlu satu nilai", "argument --days: expected one argument"),
    (["status", "--format", "xml"], "pilihan tidak sah: 'xml'", "invalid choice: 'xml'"),
    (["status", "--days", "dua"], "nilai int tidak sah: 'dua'", "invalid int value: 'dua'"),
    (["terbitkan"], "pilihan tidak sah: 'terbitkan'", "invalid choice: 'terbitkan'"),
    ([], "argumen berikut wajib diisi: PERINTAH", "the following arguments are required: PERINTAH"),
    (["init", "--local", "a.xlsx", "--sheet", "x"], "tidak boleh dipakai bersama argumen --local",
     "not allowed with argument --local"),
])
def test_usage_errors_are_indonesian_by_default_english_with_lang_en_and_exit_2(
    argv: list[str], indonesian: str, english: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pemakaian: dip") and ": galat: " in err and indonesian in err, err
    assert "Traceback" not in err
    for lang in (["--lang", "en"], ["--lang=en"]):
        assert main([*lang, *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("usage: dip") and ": error: " in err and english in err, err
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]  # restored afterwards


def test_help_is_indonesian(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("pemakaian: dip") and "\nopsi:\n" in text
    assert "tampilkan bantuan ini lalu keluar" in text and "usage" not in text
    assert main(["publish", "--help"]) == 0
    assert "--by NAMA" in capsys.readouterr().out
    assert main(["--lang", "en", "sync", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: dip sync")


def test_a_usage_error_in_a_real_process_exits_2_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "dip_sheets", "sync", "--tidak-ada"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "argumen tidak dikenal" in done.stderr
    assert "Traceback" not in done.stderr


# ---- --lang en on every line --------------------------------------------------------------------


def test_lang_en_covers_init_sync_status_and_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "dip.toml"
    config.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n'
                      '[publish]\nfolder = "situs"\n', encoding="utf-8")
    assert main(["init", "--config", str(config), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "New workbook created" in out and "Tab 'DIP': columns added" in out and "dibuat" not in out
    assert main(["--lang", "en", "init", "--config", str(config)]) == 0
    assert "The register is complete; nothing was changed." in capsys.readouterr().out
    add_rows(WorkbookRegister(tmp_path / "register.xlsx"),
             [established("A"), established("B", **{s.LINK: "bukan alamat"}), good_row("C", **{s.UNIT: ""})])
    assert main(["sync", "--config", str(config), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Read 3 DIP rows" in out and "(row 3):" in out and "baris" not in out
    assert main(["status", "--config", str(config), "--lang", "en", "--days", "-1"]) == 0
    out = capsys.readouterr().out
    for indonesian in ("Jumlah", "Siap terbit", "Menunggu", "Menghambat", "tanpa unit", "baris", "hari"):
        assert indonesian not in out, (indonesian, out)
    assert "Total" in out and "Ready to publish: 1" in out and "(no unit)" in out
    assert "Blocking publication:" in out and "Waiting more than -1 days:" in out
    assert main(["publish", "--config", str(config), "--lang", "en", "--force"]) == 0
    assert "Published: version" in capsys.readouterr().out


def test_progress_prints_a_message_in_the_chosen_language(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output("en", as_json=False)
    out.live = False
    out.progress(Message("  diunggah: index.html", "  uploaded: index.html"))
    assert capsys.readouterr().out == "  uploaded: index.html\n"


def test_sizes_are_written_as_each_language_writes_them() -> None:
    from dip_sheets.publish import human_size

    assert (human_size(812).id, human_size(812).en) == ("812 bita", "812 bytes")
    assert (human_size(12_345).id, human_size(12_345).en) == ("12,3 kB", "12.3 kB")
    assert human_size(4_100_000).en == "4.1 MB"
