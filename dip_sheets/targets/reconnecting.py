"""A target that opens a new connection when the current one drops, and redoes the operation."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TypeVar

from ..errors import BackendUnavailable
from . import Entry, Target

T = TypeVar("T")


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
