"""Publishing targets: where the rendered DIP goes (a local folder, an SFTP server).

The protocol is deliberately narrow and works on plain data (relative POSIX paths and bytes), so
the publish algorithm in :mod:`dip_sheets.publish` is written once and every target is one small
module. Paths are always relative to the target's root and use ``/``.
"""

from __future__ import annotations

from typing import Protocol


class Target(Protocol):
    """A place that serves the published files."""

    #: Human-readable location for messages, e.g. ``sftp://web@host:22/var/www/dip``.
    location: str

    def read(self, path: str) -> bytes | None:
        """Return the file's bytes, or ``None`` when it does not exist."""

    def list(self, path: str) -> list[str]:
        """Names (not paths) of the entries directly inside ``path``; ``[]`` if it is missing."""

    def put(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path``, creating parent folders; verified (size) before returning.

        Not atomic by itself: the publish algorithm writes to a temporary name and then calls
        :meth:`replace`.
        """

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst`` atomically, replacing ``dst`` if it exists."""

    def remove(self, path: str) -> None:
        """Remove a file, or a folder with everything in it; no error if it is missing."""

    def close(self) -> None:
        """Release connections."""
