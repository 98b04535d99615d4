"""Against a real SFTP server that lacks ``posix-rename@openssh.com`` (tests/plain_sftp.py).

Before, every publish failed there with a message blaming write permission while ``dip check``
said ok. Now the missing extension is read from the server's own announcement, the switch falls
back to a safe method that never mixes versions, the user is told exactly what the server lacks,
and ``dip check`` reports it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dip_sheets.check import run_checks
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.connect import open_target
from dip_sheets.errors import ConfigError
from dip_sheets.publish import PublishResult, publish
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.site import ARCHIVE, CURRENT
from dip_sheets.targets.sftp import SftpSettings, SftpWarning, connect
from tests.conftest import NOW, add_rows, established
from tests.plain_sftp import PlainSftpServer, plain_sftp_server
from tests.reliability.conftest import assert_fully_live

LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PlainSftpServer]:
    with plain_sftp_server(tmp_path / "server") as running:
        yield running


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    folder = tmp_path / "www"
    folder.mkdir()
    return folder


@pytest.fixture
def config(tmp_path: Path, workbook: WorkbookRegister, server: PlainSftpServer, remote: Path) -> Config:
    add_rows(workbook, [established("Profil Badan Publik")])
    settings = SftpSettings(host=server.host, port=server.port, username=server.username,
                            key_file=server.client_key, known_hosts=server.known_hosts,
                            remote_dir=str(remote), retries=1, reconnects=0, connect_timeout=5.0)
    base = default_config(tmp_path)
    return dataclasses.replace(base, register=dataclasses.replace(base.register, path=workbook.path),
                               publish=PublishSettings(target="sftp", sftp=settings))


def publish_there(config: Config, register: WorkbookRegister, now: dt.datetime,
                  warnings: list[SftpWarning], adopt: bool = False) -> PublishResult:
    target = open_target(config, on_warning=warnings.append)
    try:
        return publish(config, register, target, now=now, force=True, adopt=adopt)
    finally:
        target.close()


def test_the_missing_extension_is_read_from_the_servers_announcement(config: Config) -> None:
    assert config.publish.sftp is not None
    with connect(config.publish.sftp) as target:
        assert "check-file" in target._sftp.extensions  # what paramiko's server announces
        assert target.atomic_replace is False


def test_publishing_works_and_says_exactly_what_the_server_lacks(
    config: Config, workbook: WorkbookRegister, remote: Path
) -> None:
    warnings: list[SftpWarning] = []
    first = publish_there(config, workbook, NOW, warnings)
    assert first.status == "published" and warnings == []  # nothing had to be replaced yet
    assert_fully_live(remote)
    add_rows(workbook, [established("Informasi Baru")])
    second = publish_there(config, workbook, LATER, warnings)
    assert os.readlink(remote / CURRENT) == f"{ARCHIVE}/{second.version}"
    assert b"Informasi Baru" in (remote / "dip.json").read_bytes()
    assert_fully_live(remote)
    assert len(warnings) == 1
    assert "posix-rename@openssh.com" in warnings[0].text("id")
    assert "posix-rename@openssh.com" in warnings[0].text("en")
    assert "izin" not in warnings[0].text("id")  # not blamed on write permission


def test_check_reports_the_missing_extension(config: Config, remote: Path) -> None:
    results = {c.name.en: c for c in run_checks(config)}
    switch = results["atomic version switch"]
    assert not switch.ok and "posix-rename@openssh.com" in switch.detail.id
    assert results["site folder writable"].ok and results["site layout"].ok
    assert list(remote.iterdir()) == []  # the probes were removed


def test_names_that_are_not_utf8_on_the_server_are_listed_not_crashed_on(
    config: Config, workbook: WorkbookRegister, remote: Path
) -> None:
    with open(os.open(bytes(remote) + b"/foto-\xe9.jpg", os.O_WRONLY | os.O_CREAT, 0o644), "wb") as f:
        f.write(b"jpeg")
    warnings: list[SftpWarning] = []
    with pytest.raises(ConfigError) as caught:
        publish_there(config, workbook, NOW, warnings)
    assert "foto-\\xe9.jpg" in caught.value.message("id")
    assert publish_there(config, workbook, NOW, warnings, adopt=True).status == "published"
    assert os.path.exists(bytes(remote) + b"/foto-\xe9.jpg")
