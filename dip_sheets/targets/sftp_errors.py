"""What the SFTP target says when a remote operation fails: paramiko's and the socket's errors
turned into the project's, naming the operation, the remote path and what to do next."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator

import paramiko

from ..errors import BackendUnavailable, DipError, PublishFailed
from ..messages import Message
from .ssh_keys import SftpSettings

log = logging.getLogger(__name__)

#: How servers word their SSH_FX_OP_UNSUPPORTED reply (paramiko keeps only the text of the status).
UNSUPPORTED = re.compile(r"unsupported|not supported|unknown extended|unimplemented", re.I)

#: what was being done when a remote operation failed, as messages name it
READ = Message("membaca", "reading")
LIST = Message("membaca isi folder", "listing")
WRITE = Message("menulis", "writing")
MKDIR = Message("membuat folder", "creating the folder")
RENAME = Message("mengganti nama", "renaming")
REMOVE = Message("menghapus", "removing")
LINK = Message("membuat tautan", "creating the link")


def _lost(s: SftpSettings, action: Message, remote: str) -> BackendUnavailable:
    return BackendUnavailable(
        f"Sambungan SFTP ke {s.host} terputus saat {action.id} {remote}: jalankan lagi "
        "perintahnya setelah sambungan pulih.",
        f"The SFTP connection to {s.host} was lost while {action.en} {remote}: run the "
        "command again once the connection is back.",
    )


@contextlib.contextmanager
def translated(s: SftpSettings, root: str, action: Message, remote: str,
               connected: Callable[[], bool]) -> Iterator[None]:
    """Turn paramiko/socket errors while ``action`` on ``remote`` into the project's errors;
    ``connected`` tells a dropped connection from a server's refusal."""
    try:
        yield
    except DipError:
        raise
    except TimeoutError:
        raise BackendUnavailable(
            f"Server {s.host} tidak menjawab dalam {s.io_timeout:g} detik saat {action.id} "
            f"{remote}: periksa sambungan, lalu jalankan lagi perintahnya nanti.",
            f"The server {s.host} did not answer within {s.io_timeout:g} s while "
            f"{action.en} {remote}: check the connection, then run the command again later.",
        ) from None
    except (EOFError, paramiko.SSHException, ConnectionError) as exc:
        log.debug("SFTP connection lost: %r", exc)
        raise _lost(s, action, remote) from None
    except PermissionError:
        raise PublishFailed(
            f"Server {s.host} menolak izin {action.id} {remote}: minta penyedia hosting "
            f"memberi akun {s.username} hak tulis pada {root}.",
            f"The server {s.host} denied permission for {action.en} {remote}: ask the web "
            f"host to give the account {s.username} write access to {root}.",
        ) from None
    except OSError as exc:
        if exc.errno is None and not connected():
            raise _lost(s, action, remote) from None
        if action is WRITE and exc.errno is None:
            # SFTP v3 has no "disk full" status: OpenSSH answers ENOSPC and EDQUOT with the
            # generic SSH2_FX_FAILURE, which is by far the usual cause of a failed write.
            raise PublishFailed(
                f"Server {s.host} gagal menulis {remote} ({exc}); biasanya disk atau kuota "
                "situs penuh: kosongkan ruang atau minta penyedia hosting menambah kuota, "
                "lalu jalankan lagi.",
                f"The server {s.host} could not write {remote} ({exc}); usually the disk or "
                "the site's quota is full: free some space or ask the web host for more, "
                "then run again.",
            ) from None
        raise PublishFailed(
            f"Server {s.host} gagal {action.id} {remote} ({exc}): periksa folder itu di "
            "server, lalu jalankan lagi.",
            f"The server {s.host} failed {action.en} {remote} ({exc}): check that folder on "
            "the server, then run again.",
        ) from None
