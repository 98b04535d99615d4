"""Open the register backend and the publishing target a configuration names.

Backends are chosen from one table (:data:`REGISTERS`, a name -> what to open and what it needs),
so a new backend is one entry here plus its module under ``register/``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Config
from .register import Register
from .retry import Wait, log_wait
from .targets import Target
from .targets.folder import FolderTarget
from .targets.reconnecting import Reconnecting

if TYPE_CHECKING:
    from .targets.sftp import SftpWarning

__all__ = ["REGISTERS", "Reconnecting", "RegisterBackend", "open_register", "open_target",
           "print_warning", "register_backend"]


def _workbook(config: Config, on_retry: Callable[[Wait], None]) -> Register:
    from .register.workbook import WorkbookRegister
    from .register.workbook_cache import SnapshotCache
    from .run_memo import memo_path, source_digest

    cache = SnapshotCache(memo_path(config, "register"), functools.partial(source_digest, config.state_dir))
    return WorkbookRegister(config.register.path, cache)


def _sheets(config: Config, on_retry: Callable[[Wait], None]) -> Register:
    from .register.sheets import SheetsSettings, open_sheet

    return open_sheet(SheetsSettings(
        spreadsheet_id=config.register.spreadsheet_id,
        credentials_file=config.register.credentials,
        timeout=config.register.timeout,
        retry_budget=config.register.retry_budget,
        roles=config.roles,
        unit_editors=config.unit_editors,
        quota_dir=config.state_dir,
        quota_per_window=config.register.quota_per_window,
        quota_window=config.register.quota_window,
        on_retry=on_retry,
    ))


@dataclass(frozen=True)
class RegisterBackend:
    open: Callable[[Config, Callable[[Wait], None]], Register]
    #: the backend locks columns per role, so ``[roles]`` must name people (``dip check``).
    needs_roles: bool


#: every register backend, by the name ``[register] backend`` gives it.
REGISTERS: dict[str, RegisterBackend] = {
    "workbook": RegisterBackend(_workbook, needs_roles=False),
    "sheets": RegisterBackend(_sheets, needs_roles=True),
}


def register_backend(config: Config) -> RegisterBackend:
    return REGISTERS[config.register.backend]


def open_register(config: Config, *, on_retry: Callable[[Wait], None] = log_wait) -> Register:
    """The register ``config`` names; ``on_retry`` hears each wait before a retried request."""
    return register_backend(config).open(config, on_retry)


def print_warning(warning: SftpWarning) -> None:
    """The default for :func:`open_target`: the Indonesian text on stderr."""
    print(warning.text("id"), file=sys.stderr)


def open_target(config: Config, *, on_warning: Callable[[SftpWarning], None] = print_warning) -> Target:
    """The target in ``config``; an SFTP one reconnects when its connection drops.

    ``on_warning`` receives what the user must hear but that does not stop publishing: a private
    key other users can read, a server that cannot replace files atomically, a dropped connection
    being resumed. Each is passed on once, however often it recurs on reconnection.
    """
    if config.publish.target != "sftp":
        return FolderTarget(config.publish.folder)
    from .targets.sftp import SftpWarning, connect

    sftp = config.publish.sftp
    assert sftp is not None  # checked when the configuration was read
    seen: set[str] = set()

    def warn_once(warning: SftpWarning) -> None:
        if warning.id not in seen:
            seen.add(warning.id)
            on_warning(warning)

    def resuming(done: int, limit: int) -> None:
        on_warning(SftpWarning(
            f"Sambungan ke {sftp.host} terputus; menyambung ulang ({done} dari paling banyak {limit}"
            " kali) dan melanjutkan dari berkas yang sedang dikerjakan.",
            f"The connection to {sftp.host} dropped; reconnecting ({done} of at most {limit}) and"
            " carrying on from the file in progress.",
        ))

    return Reconnecting(lambda: connect(sftp, on_warning=warn_once), sftp.reconnects, resuming)
