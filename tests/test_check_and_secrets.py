"""``dip check`` says ok only for what it tried; secrets typed into the wrong SFTP setting are never
echoed (messages also go to dip.log)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from dip_sheets.check import run_checks
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.errors import ConfigError
from dip_sheets.publish import publish
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.site import ARCHIVE, CURRENT
from dip_sheets.targets.folder import FolderTarget
from dip_sheets.targets.sftp import connect
from tests.conftest import NOW, add_rows, established
from tests.plugins.sshd import SshdServer


def local(tmp_path: Path, register: Path) -> Config:
    base = default_config(tmp_path)
    return dataclasses.replace(base, register=dataclasses.replace(base.register, path=register),
                               publish=PublishSettings(folder=tmp_path / "situs"))


def test_a_workbook_that_does_not_exist_is_not_ok(tmp_path: Path) -> None:
    results = run_checks(local(tmp_path, tmp_path / "tidak-ada.xlsx"))
    opened = next(c for c in results if c.name.en == "register can be opened")
    assert not opened.ok and "tidak-ada.xlsx" in opened.detail.id and opened.exit_code == 2
    assert "tidak ada" in opened.detail.id and "does not exist" in opened.detail.en


@pytest.mark.parametrize("link", [ARCHIVE, CURRENT])
def test_a_site_whose_archive_or_current_is_a_link_elsewhere_is_not_ok(
    tmp_path: Path, workbook: WorkbookRegister, link: str
) -> None:
    add_rows(workbook, [established("Profil Badan Publik")])
    config = local(tmp_path, workbook.path)
    publish(config, workbook, FolderTarget(config.publish.folder), now=NOW, force=True)
    site = config.publish.folder
    elsewhere = tmp_path / "tempat-lain"
    elsewhere.mkdir()
    os.replace(site / link, site / f"{link}.lama") if link == ARCHIVE else (site / link).unlink()
    os.symlink(elsewhere, site / link)
    results = {c.name.en: c for c in run_checks(config)}
    layout = results["site layout"]
    assert not layout.ok and link in layout.detail.id and "tautan" in layout.detail.id
    assert "site folder writable" not in results  # not claimed: nothing was tried past the layout


def test_check_names_and_details_are_bilingual(tmp_path: Path, workbook: WorkbookRegister) -> None:
    for check in run_checks(local(tmp_path, workbook.path)):
        assert check.name.id and check.name.en and check.name.id != check.name.en
        assert check.ok, check


SECRET = "Rahasia sekali! 9x#Qp"
KEY_TEXT = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
            "-----END OPENSSH PRIVATE KEY-----")


@pytest.mark.parametrize(("setting", "value", "secret"), [
    ("key_passphrase_env", SECRET, SECRET),
    ("key_passphrase_env", "rahasia-ku", "rahasia-ku"),
    ("key_file", Path(KEY_TEXT), "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
    ("key_file", Path("/etc/dip") / "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB",
     "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
])
def test_a_secret_in_the_wrong_setting_is_named_never_shown(
    sshd: SshdServer, sftp_root: Path, setting: str, value: object, secret: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = sshd.sftp_settings(sftp_root, **{setting: value})
    with pytest.raises(ConfigError) as caught:
        connect(settings)
    text = caught.value.message("id") + caught.value.message("en")
    assert setting in text and secret not in text
    out = capfd.readouterr()
    assert secret not in out.out + out.err
