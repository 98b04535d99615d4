"""``dip check``'s information lines that never fail it: the ``Petunjuk`` tab's protection on a
Google sheet (gone, only a warning, or other editors than ``[roles]``), and whether ``dip.pdf`` can
be made here (Chromium found or not; ``[publish] pdf = false`` and ``DIP_PDF=0`` respected)."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.check import CheckResult, run_checks
from dip_sheets.cli import main
from dip_sheets.config import Config, PublishSettings, default_config, load_configs
from dip_sheets.guide_tab import GUIDE_TAB
from dip_sheets.office import Office
from dip_sheets.register import Layout
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.register.workbook import WorkbookRegister
from tests.conftest import UNITS
from tests.sheets_emulator import ServiceAccount, SheetsEmulator

PPID, DESK = "ppid@kpu-contoh.go.id", "desk@kpu-contoh.go.id"
ROLES = {s.Role.PPID: (PPID,), s.Role.DESK: (DESK,), s.Role.UNIT: ("group:unit@kpu-contoh.go.id",)}
PDF = "list PDF (dip.pdf)"


def local(tmp_path: Path, register: Path, **publish: object) -> Config:
    base = default_config(tmp_path)
    return dataclasses.replace(base, register=dataclasses.replace(base.register, path=register),
                               publish=PublishSettings(folder=tmp_path / "situs", **publish))  # type: ignore[arg-type]


def pdf_line(config: Config) -> tuple[bool, bool, str]:
    """(ok, warning, detail) of the PDF line."""
    (found,) = [c for c in run_checks(config) if c.name.en == PDF]
    return found.ok, found.warning, found.detail.id


@pytest.fixture
def chromium_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH whose only Chromium is a stand-in (found, never run), with DIP_PDF unset."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("DIP_PDF", raising=False)
    return fake


def test_check_says_chromium_was_found_for_the_list_pdf(tmp_path: Path, workbook: WorkbookRegister,
                                                        chromium_on_path: Path) -> None:
    ok, warning, detail = pdf_line(local(tmp_path, workbook.path))
    assert ok and not warning and f"Chromium ditemukan ({chromium_on_path})" in detail


def test_check_warns_without_chromium_and_does_not_fail(tmp_path: Path, workbook: WorkbookRegister,
                                                        chromium_on_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    chromium_on_path.unlink()
    config = local(tmp_path, workbook.path)
    ok, warning, detail = pdf_line(config)
    assert ok and warning and "Chromium tidak ditemukan" in detail and "pdf = false" in detail
    assert CheckResult(run_checks(config)).failure() is None
    toml = tmp_path / "dip.toml"
    toml.write_text(f'[register]\npath = "{workbook.path}"\n[publish]\nfolder = "situs"\n', encoding="utf-8")
    assert main(["check", "--config", str(toml)]) == 0
    assert "AWAS  PDF daftar (dip.pdf): Chromium tidak ditemukan" in capsys.readouterr().out


def test_check_respects_the_pdf_switched_off(tmp_path: Path, workbook: WorkbookRegister,
                                            chromium_on_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium_on_path.unlink()  # not looked for: no warning
    ok, warning, detail = pdf_line(local(tmp_path, workbook.path, pdf=False))
    assert ok and not warning and "[publish] pdf = false" in detail
    monkeypatch.setenv("DIP_PDF", "0")
    ok, warning, detail = pdf_line(local(tmp_path, workbook.path))
    assert ok and not warning and "DIP_PDF=0" in detail


# ---- the Petunjuk tab's protection on Google -----------------------------------------------------


@pytest.fixture
def google(sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount, tmp_path: Path
           ) -> tuple[SheetsEmulator, str, Office]:
    """A sheet made by ``dip init`` (Petunjuk included) and the office that checks it."""
    sid = sheets_emulator.create_spreadsheet(shared_with=[sheets_account.email])
    settings = SheetsSettings(sid, sheets_account.path, roles=ROLES)
    SheetsRegister(settings, load_credentials(settings)).init(Layout(s.TABS, UNITS, ROLES))
    toml = tmp_path / "dip.toml"
    toml.write_text(
        f'[register]\nbackend = "sheets"\nspreadsheet_id = "{sid}"\ncredentials = "{sheets_account.path}"\n'
        f'[publish]\nfolder = "situs"\n[roles]\nppid = ["{PPID}"]\ndesk = ["{DESK}"]\n'
        'unit = ["group:unit@kpu-contoh.go.id"]\n', encoding="utf-8")
    (config,) = load_configs(toml)
    return sheets_emulator, sid, Office(config)


def warnings(office: Office) -> list[str]:
    result = office.check()
    assert result.failure() is None  # a warning never fails the check
    return [c.detail.id for c in result.checks if c.warning and c.name.en != PDF]


def test_check_audits_the_petunjuk_tabs_protection(google: tuple[SheetsEmulator, str, Office]) -> None:
    emu, sid, office = google
    assert warnings(office) == []
    guide = emu.book(sid).tab(GUIDE_TAB)
    (protection,) = [p for p in guide.protected if str(p["description"]).startswith("[dip-sheets:tab]")]
    protection["editors"]["users"].append("tamu@contoh.id")
    (said,) = warnings(office)
    assert said.startswith(f"'{GUIDE_TAB}'!") and "editor di luar [roles]: tamu@contoh.id" in said
    protection["warningOnly"] = True
    del protection["editors"]
    (said,) = warnings(office)
    assert f"'{GUIDE_TAB}'" in said and "hanya berupa peringatan" in said and "dip init" in said
    guide.protected.remove(protection)
    (said,) = warnings(office)
    assert said.startswith(f"'{GUIDE_TAB}' (tab): perlindungan dip-sheets tidak ada") and "dip init" in said
