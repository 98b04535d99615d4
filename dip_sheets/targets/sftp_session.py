"""The SFTP target's file operations (the :class:`~dip_sheets.targets.Target` protocol).

Every paramiko or socket error becomes one of the project's errors naming the remote path
(:mod:`.sftp_errors`). Writes and removals never go through a symbolic link (``lstat``, never
``stat``), and listing survives file names that are not UTF-8 (paramiko's own listing stops at the
first one).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import logging
import posixpath
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import paramiko

from ..errors import PublishFailed
from ..messages import Message
from . import POSIX_RENAME, Entry, Kind, LinksUnsupported, link_refused, temp_name
from .sftp_client import Client
from .sftp_errors import LINK, LIST, MKDIR, READ, REMOVE, RENAME, UNSUPPORTED, WRITE, translated
from .ssh_keys import SftpSettings, SftpWarning

log = logging.getLogger(__name__)

def _raw(path: str) -> bytes:
    """A remote path as the bytes the server knows it by (non-UTF-8 names survive a round trip)."""
    return path.encode("utf-8", "surrogateescape")


def _kind(mode: int | None) -> Kind:
    if mode is None:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


@dataclass(eq=False)
class SftpTarget:
    """A :class:`dip_sheets.targets.Target` on an SFTP server; use :func:`connect` to get one."""

    settings: SftpSettings
    _client: paramiko.SSHClient = field(repr=False)
    _sftp: Client = field(repr=False)
    #: Warnings the caller should print (loose key permissions, non-atomic replace).
    warnings: list[SftpWarning] = field(default_factory=list)
    #: Called with each warning as it happens (:func:`connect` passes its ``on_warning``).
    on_warning: Callable[[SftpWarning], None] | None = field(default=None, repr=False)
    #: False when the server lacks ``posix-rename@openssh.com`` (not announced, or answered
    #: "unsupported"); :meth:`replace` then briefly leaves ``dst`` missing (see :meth:`replace`).
    atomic_replace: bool = True
    location: str = field(init=False)
    root: str = field(init=False)
    _closed: bool = field(default=False, init=False, repr=False)
    _warned_not_atomic: bool = field(default=False, init=False, repr=False)
    #: folders below the root already found not to be links
    _plain_folders: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.root = s.remote_dir.rstrip("/") or "/"
        host = f"[{s.host}]" if ":" in s.host else s.host
        path = self.root if self.root.startswith("/") else "/~/" + self.root
        self.location = f"sftp://{s.username}@{host}:{s.port}{path}"

    # -- helpers ---------------------------------------------------------------------------

    @property
    def local_port(self) -> int | None:
        """Client-side TCP port of the SSH connection (lets tests find the server process)."""
        transport = self._client.get_transport()
        if transport is None:
            return None
        sock = transport.sock
        if isinstance(sock, socket.socket):
            return int(sock.getsockname()[1])
        return None

    def _path(self, path: str, *, allow_root: bool = False) -> str:
        """Map a relative ``/`` path onto the remote root, refusing anything that escapes it."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts and not allow_root:
            raise ValueError(f"empty path {path!r}")
        if path.startswith("/") or ".." in parts:
            raise ValueError(f"path must be relative and stay inside the root: {path!r}")
        return posixpath.join(self.root, *parts)

    def _errors(self, action: Message, remote: str) -> contextlib.AbstractContextManager[None]:
        """Turn paramiko/socket errors during an operation into the project's errors."""
        return translated(self.settings, self.root, action, remote, self._connected)

    def _connected(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def _lstat(self, remote: str) -> paramiko.SFTPAttributes | None:
        try:
            return self._sftp.lstat(remote)
        except FileNotFoundError:
            return None

    def _refuse_link(self, remote: str, attrs: paramiko.SFTPAttributes | None) -> None:
        """Raise if ``attrs`` (of ``remote``) is a link: nothing is written or removed through one."""
        if attrs is not None and _kind(attrs.st_mode) == "link":
            with contextlib.suppress(OSError, UnicodeError):
                raise link_refused(remote, self._readlink(remote))
            raise link_refused(remote, None)

    def _folders_checked(self, remote: str) -> None:
        """Refuse if a folder between the root and ``remote`` is a link (each checked once)."""
        current = self.root
        for part in posixpath.relpath(posixpath.dirname(remote), self.root).split("/"):
            if part in ("", "."):
                continue
            current = posixpath.join(current, part)
            if current not in self._plain_folders:
                attrs = self._lstat(current)
                self._refuse_link(current, attrs)
                if attrs is not None:
                    self._plain_folders.add(current)

    def _makedirs(self, remote_dir: str) -> None:
        """``mkdir -p`` below the root (the root itself must exist: checked at connect)."""
        rel = posixpath.relpath(remote_dir, self.root)
        current = self.root
        for part in rel.split("/"):
            if part in ("", "."):
                continue
            current = posixpath.join(current, part)
            with self._errors(MKDIR, current):
                attrs = self._lstat(current)
                if attrs is None:
                    try:
                        self._sftp.mkdir(current)
                        continue
                    except OSError as exc:  # lost a race, or a file is in the way
                        if isinstance(exc, PermissionError) or exc.errno is not None:
                            raise
                        attrs = self._lstat(current)
                        if attrs is None:
                            raise
                self._refuse_link(current, attrs)
                if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
                    s = self.settings
                    raise PublishFailed(
                        f"Folder {current} tidak bisa dibuat di server {s.host} karena sudah ada "
                        "berkas dengan nama itu: hapus atau ganti nama berkas itu, lalu jalankan "
                        "lagi.",
                        f"The folder {current} cannot be created on {s.host} because a file with "
                        "that name is in the way: remove or rename that file, then run again.",
                    )

    def _readlink(self, remote: str) -> str | None:
        found: str | bytes | None = self._sftp.readlink(_raw(remote))
        return found.decode("utf-8", "surrogateescape") if isinstance(found, bytes) else found

    # -- the Target protocol ---------------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        """Return the file's bytes (following links), or ``None`` when it does not exist."""
        remote = self._path(path)
        buf = io.BytesIO()
        with self._errors(READ, remote):
            try:
                self._sftp.getfo(remote, buf)
            except FileNotFoundError:
                return None
        return buf.getvalue()

    def list(self, path: str) -> builtins.list[str]:
        """Names directly inside ``path`` (sorted); ``[]`` if it is missing."""
        remote = self._path(path, allow_root=True)
        with self._errors(LIST, remote):
            try:
                return sorted(name for name, _ in self._sftp.entries_raw(remote))
            except FileNotFoundError:
                return []

    def entries(self, path: str) -> builtins.list[Entry]:
        """Entries directly inside ``path`` as the server's ``lstat`` sees them, links read."""
        remote = self._path(path, allow_root=True)
        found = []
        with self._errors(LIST, remote):
            try:
                listed = self._sftp.entries_raw(remote)
            except FileNotFoundError:
                return []
            for name, attrs in sorted(listed, key=lambda pair: pair[0]):
                kind = _kind(attrs.st_mode)
                link = None
                if kind == "link":
                    with contextlib.suppress(FileNotFoundError):
                        link = self._readlink(posixpath.join(remote, name))
                found.append(Entry(name, kind, link))
        return found

    def put(self, path: str, data: bytes) -> None:
        """Write ``data``, creating parent folders, then check the size the server reports.

        We stat the file ourselves instead of ``putfo(confirm=True)`` so a short write (a full
        disk on servers that do not report it) gets its own message.
        """
        remote = self._path(path)
        with self._errors(WRITE, remote):
            self._folders_checked(remote)
            self._refuse_link(remote, self._lstat(remote))
            try:
                self._sftp.putfo(io.BytesIO(data), remote, file_size=len(data), confirm=False)
            except FileNotFoundError:
                self._makedirs(posixpath.dirname(remote))
                self._sftp.putfo(io.BytesIO(data), remote, file_size=len(data), confirm=False)
            size = self._sftp.stat(remote).st_size
        if size != len(data):
            s = self.settings
            raise PublishFailed(
                f"Ukuran {remote} di server {s.host} ({size} bita) tidak sama dengan yang dikirim "
                f"({len(data)} bita), mungkin disk atau kuota penuh: periksa ruang di server, "
                "lalu jalankan lagi.",
                f"The size of {remote} on {s.host} ({size} bytes) differs from what was sent "
                f"({len(data)} bytes), maybe the disk or quota is full: check the space on the "
                "server, then run again.",
            )

    def symlink(self, link: str, path: str) -> None:
        """Create a link; a server that answers "unsupported" raises :class:`LinksUnsupported`."""
        remote = self._path(path)
        with self._errors(LINK, remote):
            self._folders_checked(remote)
            try:
                self._sftp.symlink(link, remote)
            except FileNotFoundError:
                self._makedirs(posixpath.dirname(remote))
                self._sftp.symlink(link, remote)
            except OSError as exc:
                if exc.errno is not None or not UNSUPPORTED.search(str(exc)):
                    raise
                s = self.settings
                raise LinksUnsupported(
                    f"Server {s.host} tidak dapat membuat tautan simbolik ({exc}).",
                    f"The server {s.host} cannot make symbolic links ({exc}).",
                ) from None

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` over ``dst`` with ``posix-rename@openssh.com`` (atomic).

        A server without that extension (it is not in the list the server announced, or the server
        answers "unsupported") gets a fallback: rename ``dst`` aside, rename ``src``, remove the old
        one, which leaves ``dst`` missing for a moment but never mixes two contents;
        ``atomic_replace`` turns False and a warning says exactly what the server lacks, once.
        """
        rsrc, rdst = self._path(src), self._path(dst)
        with self._errors(RENAME, f"{rsrc} -> {rdst}"):
            self._folders_checked(rsrc)
            self._folders_checked(rdst)
            if self.atomic_replace:
                try:
                    self._sftp.posix_rename(rsrc, rdst)
                    return
                except OSError as exc:
                    if exc.errno is not None or not UNSUPPORTED.search(str(exc)):
                        raise
                self.atomic_replace = False
            self._replace_fallback(rsrc, rdst)

    def _warn_not_atomic(self) -> None:
        if self._warned_not_atomic:
            return
        self._warned_not_atomic = True
        s = self.settings
        w = SftpWarning(
            f"Peringatan: server {s.host} tidak menyediakan ekstensi SFTP {POSIX_RENAME}, jadi berkas"
            " tidak dapat diganti secara atomik; dip memakai cara aman (yang lama disingkirkan dulu),"
            " sehingga selama sekejap saat penggantian pengunjung bisa mendapat 'tidak ditemukan'."
            " Minta penyedia hosting mengaktifkan ekstensi itu (OpenSSH memilikinya).",
            f"Warning: the server {s.host} lacks the SFTP extension {POSIX_RENAME}, so files cannot be"
            " replaced atomically; dip uses a safe method (the old one is moved aside first), so for a"
            " moment while replacing visitors may get 'not found'. Ask the web host to enable that"
            " extension (OpenSSH has it).",
        )
        log.debug("%s", w.en)
        self.warnings.append(w)
        if self.on_warning is not None:
            self.on_warning(w)

    def _replace_fallback(self, rsrc: str, rdst: str) -> None:
        if self._lstat(rdst) is None:
            self._sftp.rename(rsrc, rdst)
            return
        self._warn_not_atomic()
        # a name the next run recognises as its own and removes, should this run stop here
        folder, name = posixpath.split(rdst)
        backup = posixpath.join(folder, temp_name(name, "old"))
        self._sftp.rename(rdst, backup)
        try:
            self._sftp.rename(rsrc, rdst)
        except BaseException:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                self._sftp.rename(backup, rdst)
            raise
        self._remove_one(backup)

    def remove(self, path: str) -> None:
        """Remove a file or a link (the link itself), or an empty folder; nothing if missing."""
        remote = self._path(path)
        with self._errors(REMOVE, remote):
            self._folders_checked(remote)
            self._remove_one(remote)

    def _remove_one(self, remote: str) -> None:
        attrs = self._lstat(remote)
        if attrs is None:
            return
        if _kind(attrs.st_mode) == "dir":
            if not self._sftp.entries_raw(remote):
                with contextlib.suppress(FileNotFoundError):
                    self._sftp.rmdir(remote)
            return
        with contextlib.suppress(FileNotFoundError):
            self._sftp.remove(remote)

    def close(self) -> None:
        """Close the SFTP session and the SSH connection (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._sftp.close()
        with contextlib.suppress(Exception):
            self._client.close()

    def __enter__(self) -> SftpTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:
    from . import Target

    def _satisfies_protocol(target: SftpTarget) -> Target:
        """mypy checks here that SftpTarget implements the Target protocol."""
        return target
