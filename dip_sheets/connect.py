"""Open the register backend and the publishing target a configuration names."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .config import Config
from .errors import BackendUnavailable
from .register import Register
from .register.workbook import WorkbookRegister
from .targets import Entry, Target
from .targets.folder import FolderTarget

if TYPE_CHECKING:
    from .targets.sftp import SftpWarning

T = TypeVar("T")


def open_register(config: Config) -> Register:
    if config.register.backend == "sheets":
        from .register.sheets import SheetsSettings, open_sheet

        return open_sheet(SheetsSettings(
            spreadsheet_id=config.register.spreadsheet_id,
            credentials_file=config.register.credentials,
            timeout=config.register.timeout,
            retry_budget=config.register.retry_budget,
            roles=config.roles,
            quota_dir=config.state_dir,
            quota_per_window=config.register.quota_per_window,
            quota_window=config.register.quota_window,
        ))
    return WorkbookRegister(config.register.path)


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


class Reconnecting:
    """A target that opens a new connection when the current one drops, and redoes the operation.

    This is where retrying belongs rather than in the publish algorithm: repeating one operation
    is safe for every operation of the protocol (``put`` overwrites, ``remove`` ignores what is
    missing, reads change nothing) except ``replace`` and ``symlink``, which may have gone through
    just before the connection dropped: a repeated ``replace`` whose source is gone while its
    destination exists is done, and so is a repeated ``symlink`` whose link is there as asked.
    ``reconnects`` bounds the reconnections over the target's whole life, so a connection that
    keeps dropping ends in :class:`BackendUnavailable`.
    """

    def __init__(self, open_: Callable[[], Target], reconnects: int,
                 on_reconnect: Callable[[int, int], None] = lambda done, limit: None) -> None:
        self._open, self._limit, self._on_reconnect = open_, max(0, reconnects), on_reconnect
        self._target = open_()
        self.location = self._target.location
        #: how many times the connection was opened again
        self.reconnected = 0

    def _call(self, operation: Callable[[Target, bool], T]) -> T:
        """Run ``operation(target, again)``; ``again`` is True when it is being repeated."""
        again = False
        while True:
            try:
                return operation(self._target, again)
            except BackendUnavailable as exc:
                if self.reconnected >= self._limit:
                    if not self.reconnected:
                        raise
                    raise BackendUnavailable(
                        f"Sambungan sudah {self.reconnected} kali disambung ulang dan terputus lagi."
                        f" {exc.message('id')}",
                        f"The connection was reopened {self.reconnected} times and dropped again."
                        f" {exc.message('en')}",
                    ) from exc
            self._target.close()
            self.reconnected += 1
            self._on_reconnect(self.reconnected, self._limit)
            self._target = self._open()
            again = True

    @property
    def atomic_replace(self) -> bool:
        return self._target.atomic_replace

    def read(self, path: str) -> bytes | None:
        return self._call(lambda target, _: target.read(path))

    def list(self, path: str) -> list[str]:
        return self._call(lambda target, _: target.list(path))

    def entries(self, path: str) -> builtins.list[Entry]:
        return self._call(lambda target, _: target.entries(path))

    def symlink(self, link: str, path: str) -> None:
        def symlink(target: Target, again: bool) -> None:
            folder, _, name = path.rpartition("/")
            if again and Entry(name, "link", link) in target.entries(folder):
                return  # made just before the connection dropped
            target.symlink(link, path)

        self._call(symlink)

    def put(self, path: str, data: bytes) -> None:
        self._call(lambda target, _: target.put(path, data))

    def replace(self, src: str, dst: str) -> None:
        def replace(target: Target, again: bool) -> None:
            if again and not _exists(target, src) and _exists(target, dst):
                return  # renamed just before the connection dropped
            target.replace(src, dst)

        self._call(replace)

    def remove(self, path: str) -> None:
        self._call(lambda target, _: target.remove(path))

    def close(self) -> None:
        self._target.close()


def _exists(target: Target, path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return name in target.list(folder)
