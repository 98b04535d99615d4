"""Publishing targets: where the rendered DIP goes (a local folder, an SFTP server).

The protocol is deliberately narrow and works on plain data (relative POSIX paths and bytes), so
the publish algorithm in :mod:`dip_sheets.publish` is written once and every target is one small
module. Paths are always relative to the target's root and use ``/``.

Nothing a target writes or removes goes through a symbolic link: a link inside the site could
point anywhere on the host (another site, the office's documents), so a write whose path crosses a
link is refused and a removal removes the link itself, never what it points to. Reading follows
links, which is how the live names reach the version they serve.
"""

from __future__ import annotations

import builtins
import re
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import ConfigError, DipError

Kind = Literal["file", "dir", "link", "other"]
#: the SFTP extension that replaces a name in one step (OpenSSH's, not in SFTP v3 itself)
POSIX_RENAME = "posix-rename@openssh.com"


@dataclass(frozen=True)
class Entry:
    """One name in a folder, as ``lstat`` sees it (a link is a link, whatever it points to)."""

    name: str
    kind: Kind
    #: what a link points to, exactly as stored (``None`` for everything else)
    link: str | None = None


class LinksUnsupported(DipError):
    """The host cannot make symbolic links; publishing then switches file by file."""


class Target(Protocol):
    """A place that serves the published files."""

    #: Human-readable location for messages, e.g. ``sftp://web@host:22/var/www/dip``.
    location: str

    @property
    def atomic_replace(self) -> bool:
        """Whether :meth:`replace` is one atomic step (False: an SFTP server without posix-rename)."""

    def read(self, path: str) -> bytes | None:
        """Return the file's bytes (following links), or ``None`` when it does not exist."""

    def list(self, path: str) -> list[str]:
        """Names (not paths) of the entries directly inside ``path``; ``[]`` if it is missing."""

    def entries(self, path: str) -> builtins.list[Entry]:
        """The entries directly inside ``path`` with their kind (``lstat``); ``[]`` if missing.

        A name that is not valid UTF-8 comes back with its bytes escaped (``surrogateescape``).
        """

    def put(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path``, creating parent folders; verified (size) before returning.

        Not atomic by itself: the publish algorithm writes to a temporary name and then calls
        :meth:`replace`. Refused when ``path`` or one of its folders is a link.
        """

    def symlink(self, link: str, path: str) -> None:
        """Create a symbolic link at ``path`` whose content is ``link`` (relative to its folder).

        Raises :class:`LinksUnsupported` when the host cannot make links at all.
        """

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst`` atomically, replacing ``dst`` (a file or a link) if it exists."""

    def remove(self, path: str) -> None:
        """Remove a file, a link (never what it points to) or an empty folder; nothing if missing.

        A folder that still holds something is left as it is: only the caller knows which of its
        entries are its own to remove.
        """

    def close(self) -> None:
        """Release connections."""


def shown(name: str) -> str:
    """A path or name for a message: bytes that are not UTF-8 as ``\\xff`` escapes, never raw."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def link_refused(where: str, points_to: str | None) -> DipError:
    """The error for a write or removal that would go through the link ``where``."""
    target = f" (menunjuk ke {shown(points_to)})" if points_to else ""
    target_en = f" (pointing to {shown(points_to)})" if points_to else ""
    return ConfigError(
        f"{shown(where)} adalah tautan simbolik{target}. dip-sheets tidak menulis atau menghapus"
        " melalui tautan, agar berkas di luar situs tidak tersentuh: ganti tautan itu dengan folder"
        " biasa (atau pindahkan), lalu jalankan lagi.",
        f"{shown(where)} is a symbolic link{target_en}. dip-sheets never writes or removes through a"
        " link, so files outside the site stay untouched: replace that link with a plain folder (or"
        " move it away), then run again.",
    )


_TEMP = re.compile(r"\.(?P<name>.+)\.dip-[0-9a-f]{8}\.(?:new|old)\.tmp")


def temp_name(name: str, kind: Literal["new", "old"] = "new") -> str:
    """A temporary name beside ``name`` that only dip-sheets makes (``.<name>.dip-<random>.new.tmp``):
    ``new`` for what is about to replace ``name``, ``old`` for what was moved out of its way."""
    return f".{name}.dip-{secrets.token_hex(4)}.{kind}.tmp"


def temp_of(name: str) -> str | None:
    """The name a temporary name of :func:`temp_name` stands beside, or None if it is not one."""
    found = _TEMP.fullmatch(name)
    return found["name"] if found else None
