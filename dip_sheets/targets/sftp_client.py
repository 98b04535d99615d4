"""paramiko's SFTP client with what dip-sheets needs that paramiko 5.1 does not expose.

* the extensions the server announces in its ``SSH_FXP_VERSION`` reply (paramiko reads the packet
  and drops them), which say whether ``posix-rename@openssh.com`` is there;
* a directory listing that survives names which are not UTF-8 (paramiko's decodes every name
  strictly and stops at the first bad one, leaving the handle open).
"""

from __future__ import annotations

import builtins
import struct
from typing import Any, cast

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_INIT, CMD_OPENDIR, CMD_READDIR, CMD_VERSION, SFTPError


class Client(paramiko.SFTPClient):
    """paramiko's SFTP client, keeping the extensions the server announced at the version exchange.

    paramiko 5.1 reads the server's ``SSH_FXP_VERSION`` packet but drops the extension pairs that
    follow the version number; they say whether ``posix-rename@openssh.com`` is there.
    """

    extensions: dict[str, bytes]

    def _send_version(self) -> int:
        raw = cast(Any, self)
        message = paramiko.Message()
        message.add_int(3)
        raw._send_packet(CMD_INIT, message)
        kind, data = raw._read_packet()
        if kind != CMD_VERSION:
            raise SFTPError("Incompatible sftp protocol")
        self.extensions = _extension_pairs(data[4:])
        return int(struct.unpack(">I", data[:4])[0])

    def entries_raw(self, path: str) -> builtins.list[tuple[str, paramiko.SFTPAttributes]]:
        """``listdir_attr`` that decodes names with ``surrogateescape`` instead of failing."""
        raw = cast(Any, self)
        _, message = raw._request(CMD_OPENDIR, raw._adjust_cwd(path))
        handle = message.get_binary()
        found = []
        try:
            while True:
                try:
                    _, message = raw._request(CMD_READDIR, handle)
                except EOFError:
                    break
                for _ in range(message.get_int()):
                    name = message.get_string().decode("utf-8", "surrogateescape")
                    message.get_string()  # the "longname", ls -l style
                    attrs = cast(Any, paramiko.SFTPAttributes)._from_msg(message, name)
                    if name not in (".", ".."):
                        found.append((name, attrs))
        finally:
            raw._request(CMD_CLOSE, handle)
        return found


def _extension_pairs(data: bytes) -> dict[str, bytes]:
    """The ``name, data`` string pairs after the version number (malformed tails are ignored)."""
    pairs: dict[str, bytes] = {}
    strings: list[bytes] = []
    at = 0
    while at + 4 <= len(data):
        (size,) = struct.unpack(">I", data[at:at + 4])
        if at + 4 + size > len(data):
            break
        strings.append(data[at + 4:at + 4 + size])
        at += 4 + size
    for name, value in zip(strings[::2], strings[1::2], strict=False):
        pairs[name.decode("utf-8", "replace")] = value
    return pairs
