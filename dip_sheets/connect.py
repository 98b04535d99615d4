"""Open the register backend and the publishing target a configuration names."""

from __future__ import annotations

from .config import Config
from .register import Register
from .register.workbook import WorkbookRegister
from .targets import Target
from .targets.folder import FolderTarget


def open_register(config: Config) -> Register:
    if config.register.backend == "sheets":
        from .register.sheets import SheetsSettings, open_sheet

        return open_sheet(SheetsSettings(
            spreadsheet_id=config.register.spreadsheet_id,
            credentials_file=config.register.credentials,
            timeout=config.register.timeout,
            retry_budget=config.register.retry_budget,
        ))
    return WorkbookRegister(config.register.path)


def open_target(config: Config) -> Target:
    if config.publish.target == "sftp":
        from .targets.sftp import SftpSettings, connect

        sftp = config.publish.sftp
        assert sftp is not None  # checked when the configuration was read
        return connect(SftpSettings(
            host=sftp.host, port=sftp.port, username=sftp.username, key_file=sftp.key_file,
            known_hosts=sftp.known_hosts, remote_dir=sftp.remote_dir,
            key_passphrase_env=sftp.key_passphrase_env, connect_timeout=sftp.connect_timeout,
            io_timeout=sftp.io_timeout,
        ))
    return FolderTarget(config.publish.folder)
