"""A small real SFTP server (paramiko's ``SFTPServer``) on loopback that lacks ``posix-rename``.

OpenSSH always offers ``posix-rename@openssh.com``; many other servers do not. This one serves the
local filesystem like OpenSSH does (absolute paths), announces no such extension, answers it with
SSH_FX_OP_UNSUPPORTED, and renames the way SFTP v3 says: refused when the new name exists. Names
that are not UTF-8 are listed as the bytes they are.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.sftp import SFTP_FAILURE, SFTP_OK

from tests.plugins.sshd import make_key


def _errors(call: Any) -> Any:
    try:
        return call()
    except OSError as exc:
        return paramiko.SFTPServer.convert_errno(exc.errno or 0)


class _Handle(paramiko.SFTPHandle):
    def stat(self) -> Any:
        stream: Any = getattr(self, "readfile", None)
        return _errors(lambda: paramiko.SFTPAttributes.from_stat(os.fstat(stream.fileno())))


class FolderSftp(paramiko.SFTPServerInterface):
    """The local filesystem over SFTP v3, without ``posix-rename`` (the default answer is
    "unsupported", and paramiko announces only ``check-file``)."""

    def list_folder(self, path: str) -> Any:
        def listing() -> list[paramiko.SFTPAttributes]:
            raw = path.encode()
            return [paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(raw, name)), name)  # type: ignore[arg-type]
                    for name in os.listdir(raw)]
        return _errors(listing)

    def stat(self, path: str) -> Any:
        return _errors(lambda: paramiko.SFTPAttributes.from_stat(os.stat(path)))

    def lstat(self, path: str) -> Any:
        return _errors(lambda: paramiko.SFTPAttributes.from_stat(os.lstat(path)))

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> Any:
        def opened() -> paramiko.SFTPHandle:
            fd = os.open(path, flags, 0o644)
            mode = "r+b" if flags & os.O_RDWR else "wb" if flags & os.O_WRONLY else "rb"
            handle = _Handle(flags)
            stream = os.fdopen(fd, mode)
            handle.readfile = stream  # type: ignore[attr-defined]
            handle.writefile = stream  # type: ignore[attr-defined]
            return handle
        return _errors(opened)

    def remove(self, path: str) -> int:
        return int(_errors(lambda: os.remove(path)) or SFTP_OK)

    def rename(self, oldpath: str, newpath: str) -> int:
        if os.path.lexists(newpath):  # SFTP v3: renaming over an existing name fails
            return SFTP_FAILURE
        return int(_errors(lambda: os.rename(oldpath, newpath)) or SFTP_OK)

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return int(_errors(lambda: os.mkdir(path)) or SFTP_OK)

    def rmdir(self, path: str) -> int:
        return int(_errors(lambda: os.rmdir(path)) or SFTP_OK)

    def symlink(self, target_path: str, path: str) -> int:
        return int(_errors(lambda: os.symlink(target_path, path)) or SFTP_OK)

    def readlink(self, path: str) -> Any:
        return _errors(lambda: os.readlink(path))


class _Login(paramiko.ServerInterface):
    def __init__(self, allowed: str) -> None:
        self.allowed = allowed

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = key.get_base64() == self.allowed
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        ok = kind == "session"
        return OPEN_SUCCEEDED if ok else OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


@dataclass
class PlainSftpServer:
    """The running server and what a client needs to reach it."""

    host: str
    port: int
    username: str
    client_key: Path
    known_hosts: Path
    _listener: socket.socket = field(repr=False)
    _transports: list[paramiko.Transport] = field(default_factory=list, repr=False)

    def serve(self, host_key: paramiko.PKey, allowed: str) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(sock)
            transport.add_server_key(host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, FolderSftp)
            self._transports.append(transport)
            with contextlib.suppress(Exception):
                transport.start_server(server=_Login(allowed))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()
        for transport in self._transports:
            transport.close()


@contextlib.contextmanager
def plain_sftp_server(workdir: Path) -> Iterator[PlainSftpServer]:
    workdir.mkdir(parents=True, exist_ok=True)
    host_key_file = make_key(workdir / "host_ed25519")
    host_key = paramiko.Ed25519Key.from_private_key_file(str(host_key_file))
    client_key = make_key(workdir / "client_ed25519")
    allowed = (workdir / "client_ed25519.pub").read_text().split()[1]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(20)
    port = listener.getsockname()[1]
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} ssh-ed25519 {host_key.get_base64()}\n")
    server = PlainSftpServer("127.0.0.1", port, "dip", client_key, known_hosts, listener)
    thread = threading.Thread(target=server.serve, args=(host_key, allowed), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(5)
