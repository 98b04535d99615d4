"""Secrets stay secret through a whole working cycle, failures included; trust is never widened.

One office's full cycle through the CLI, on the Sheets backend (the emulator, reached through the
real service-account flow) and the SFTP target (the real OpenSSH server, a passphrase-protected key
left readable by others): ``init``, ``check``, ``sync``, ``status``, ``publish`` twice, and the
failures people meet (Google answering 500, a wrong passphrase, a server whose host key changed, a
sheet no longer shared). Everything that comes out is collected: stdout and stderr at the file
descriptor level, every log record of every library at DEBUG level, the run log
``<state_dir>/dip.log``, the published files and the register itself; none of it may contain the
service account's private key, the SSH private key, its passphrase or an OAuth access token.

tests/test_target_sftp.py and tests/test_publish_sftp.py cover host-key refusal and the key-mode
warning in detail; here each appears once, end to end, inside the cycle.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.register import Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from tests.conftest import UNITS, established, good_row, site_files
from tests.memory_register import decisions_of_the_year
from tests.plugins import reliability as counts
from tests.plugins.sshd import SshdServer, make_key
from tests.reliability.conftest import DESK, PPID, write_toml
from tests.sheets_emulator import ServiceAccount, SheetsEmulator, column_letters

PASSPHRASE_ENV = "DIP_TES_FRASA_SANDI"


def secret_pieces(account: ServiceAccount, ssh_key: Path, passphrase: str,
                  tokens: list[str]) -> dict[str, str]:
    """Every piece of secret text worth searching for, by what it is."""
    info = json.loads(account.path.read_text())
    pieces = {"service account private_key_id": info["private_key_id"], "passphrase": passphrase}
    for number, line in enumerate(info["private_key"].splitlines()):
        if len(line) >= 24 and "PRIVATE KEY" not in line:
            pieces[f"service account key line {number}"] = line
    for number, line in enumerate(ssh_key.read_text().splitlines()):
        if len(line) >= 24 and "PRIVATE KEY" not in line:
            pieces[f"SSH key line {number}"] = line
    for number, token in enumerate(tokens):
        pieces[f"access token {number}"] = token
    return pieces


def test_a_whole_cycle_never_shows_a_secret(
    tmp_path: Path, sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
    sheets_spreadsheet: str, sshd: SshdServer, sftp_root: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emu, sid = sheets_emulator, sheets_spreadsheet
    passphrase = "frasa-" + secrets.token_urlsafe(18)
    key = sshd.new_client_key(passphrase=passphrase)
    key.chmod(0o644)  # readable by others: must be warned about, and still not leak
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
    sftp = {
        "host": sshd.host, "port": sshd.port, "username": sshd.username, "key_file": str(key),
        "known_hosts": str(sshd.known_hosts), "remote_dir": str(sftp_root),
        "key_passphrase_env": PASSPHRASE_ENV, "connect_timeout": 5, "io_timeout": 10, "retries": 1,
        "retry_backoff": 0.05, "reconnects": 0,
    }
    sections: dict[str, dict[str, object]] = {
        "register": {"backend": "sheets", "spreadsheet_id": sid, "credentials": str(sheets_account.path),
                     "timeout": 5, "retry_budget": 0.5},
        "roles": {"unit": ["unit@kpu-contoh.go.id"], "desk": [DESK], "ppid": [PPID]},
        "publish": {"target": "sftp", "base_url": "https://ppid.example.go.id/dip/", "by": "PPID"},
        "publish.sftp": sftp,
    }
    toml = write_toml(tmp_path / "dip.toml", sections)
    out: list[str] = []

    def dip(*argv: str, expect: int = 0) -> str:
        code = main([*argv, "--config", str(toml)])
        captured = capfd.readouterr()
        out.append(captured.out + captured.err)
        assert code == expect, (argv, captured.err)
        counts.cases()
        return captured.err

    dip("init")
    header = [str(h) for h in emu.tab_values(sid, s.DIP_TAB)[0]]
    for row, values in enumerate([established("Profil Badan Publik"), established("Laporan Keuangan"),
                                  good_row("Draf Unit")], start=2):
        for name, value in values.items():
            emu.set_cell(sid, s.DIP_TAB, f"{column_letters(header.index(name))}{row}", value)
    for column, value in enumerate(decisions_of_the_year()[-1].values()):  # the PPID's decision of the year
        emu.set_cell(sid, s.DECISION_TAB, f"{column_letters(column)}2", value)
    dip("check")
    dip("sync")
    dip("status")
    warned = dip("publish", "--force")
    assert warned.count("chmod 600") == 1 and str(key) in warned  # the 0644 key, said once
    assert b"Laporan Keuangan" in (sftp_root / "dip.json").read_bytes()
    dip("publish", "--json")
    dip("sync", "--json", "--debug")

    emu.fail(500, times=None)
    assert "Google Sheets" in dip("sync", "--debug", expect=3)
    counts.faults()
    emu.clear_faults()

    monkeypatch.setenv(PASSPHRASE_ENV, "frasa-yang-salah")
    assert PASSPHRASE_ENV in dip("publish", "--force", "--debug", expect=2)
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase)

    make_key(tmp_path / "penyamar")
    impostor = " ".join((tmp_path / "penyamar.pub").read_text().split()[:2])
    (tmp_path / "known_hosts_lain").write_text(f"[{sshd.host}]:{sshd.port} {impostor}\n")
    sections["publish.sftp"] = {**sftp, "known_hosts": str(tmp_path / "known_hosts_lain")}
    write_toml(toml, sections)
    before = site_files(sftp_root)
    refused = dip("publish", "--force", "--debug", expect=2)
    assert "PERINGATAN" in refused and "ssh-keygen -R" in refused  # a changed host key: nothing sent
    assert site_files(sftp_root) == before

    emu.unshare(sid, sheets_account.email)
    assert sheets_account.email in dip("sync", expect=2)  # naming the account is fine: not a secret

    tokens = list(emu._tokens)  # every access token the emulator issued during the cycle
    assert tokens
    pieces = secret_pieces(sheets_account, key, passphrase, tokens)
    logs = [path.read_text(errors="replace") for path in tmp_path.rglob("dip.log*")]
    assert logs and "publish utama" in logs[0]
    records = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    published = [body.decode("utf-8", "replace") for body in site_files(sftp_root).values()]
    register = [json.dumps(emu.tab_values(sid, t.name), ensure_ascii=False) for t in s.TABS]
    everywhere: dict[str, list[str]] = {"output": out, "logs": logs, "log records": records,
                                        "site": published, "register": register}
    for where, texts in everywhere.items():
        for text in texts:
            for what, piece in pieces.items():
                assert piece not in text, f"{what} found in {where}"
            assert not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text), where
            assert "ya29." not in text, where


def test_the_run_log_has_one_line_per_run_and_no_cell_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run log is read by whoever administers the machine: counts only, never register text."""
    register = WorkbookRegister(tmp_path / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    append_rows(register.path, s.DIP_TAB, [established("Judul-Rahasia-8841", **{s.SUMMARY: "Isi-8841"})])
    toml = write_toml(tmp_path / "dip.toml", {"register": {"path": "register.xlsx"},
                                              "publish": {"folder": "situs"}})
    for argv in (["sync"], ["publish", "--force"], ["publish", "--force"]):
        assert main([*argv, "--config", str(toml)]) == 0
    capsys.readouterr()
    lines = (tmp_path / "dip-kerja" / "dip.log").read_text().splitlines()
    assert len(lines) == 3
    assert not any("8841" in line for line in lines)
    counts.cases()

