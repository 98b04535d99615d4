"""Publish to a web host over SFTP (OpenSSH or any server speaking SFTP v3).

Security comes first because this module holds the keys to the public website:

* the server is trusted only if its host key is already in the configured ``known_hosts`` file
  (:class:`paramiko.RejectPolicy`; never the user's or the system's files, never auto-added);
* we log in only with the configured private key (no agent, no ``~/.ssh`` keys), whose passphrase,
  if any, comes from an environment variable named in the settings, never from the config file;
* no message ever contains key material or a passphrase (public fingerprints only).

Every failure becomes one of the project's errors (:mod:`dip_sheets.errors`) with one sentence in
Indonesian and one in English that says what to do next.

This module connects; the parts live beside it: :mod:`.ssh_keys` (settings, the key, secrets never
echoed), :mod:`.ssh_errors` (why a login failed), :mod:`.sftp_session` (the file operations).
"""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Callable

import paramiko

from ..errors import ConfigError, DipError
from ..ratelimit import backoff_delay
from . import POSIX_RENAME
from .sftp_client import Client
from .sftp_session import SftpTarget
from .ssh_errors import (
    Reject,
    UnknownHostKey,
    auth_refused,
    changed_host,
    handshake_error,
    is_auth_timeout,
    is_transient,
    keyscan,
    unknown_host,
    unreachable,
)
from .ssh_keys import SftpSettings, SftpWarning, check_secrets, load_key

__all__ = ["SftpSettings", "SftpTarget", "SftpWarning", "connect"]

log = logging.getLogger(__name__)
# paramiko logs a traceback at ERROR when a handshake fails; without any logging set up Python
# would print it on stderr next to our own one-sentence message. Records still propagate to the
# root logger when the application configures logging (e.g. ``--debug``).
logging.getLogger("paramiko").addHandler(logging.NullHandler())

#: Longest pause between two connection attempts, in seconds.
_MAX_BACKOFF = 30.0


def connect(settings: SftpSettings, *, on_warning: Callable[[SftpWarning], None] | None = None) -> SftpTarget:
    """Open an SFTP session to ``settings.remote_dir``, or raise a :class:`DipError`.

    Transient network failures (refused, timeout, dropped during the handshake) are retried up
    to ``settings.retries`` attempts in all, with exponential backoff and jitter; DNS, host-key
    and authentication failures are final at once, since retrying them cannot help.
    Warnings (loose key permissions now, a non-atomic replace later) go to ``on_warning`` as they
    happen and to the target's ``warnings``.
    """
    warnings: list[SftpWarning] = []

    def warn(w: SftpWarning) -> None:
        log.debug("%s", w.en)  # not warning(): the caller prints it, in the user's language
        warnings.append(w)
        if on_warning is not None:
            on_warning(w)

    check_secrets(settings)
    if not settings.known_hosts.is_file():
        kh = settings.known_hosts
        raise ConfigError(
            f"Berkas known_hosts {kh} tidak ada: buat dengan `{keyscan(settings)}` dan cocokkan "
            "sidik jari kuncinya dengan penyedia hosting sebelum dipakai.",
            f"The known_hosts file {kh} does not exist: create it with `{keyscan(settings)}` "
            "and check the key's fingerprint with the web host before relying on it.",
        )
    pkey = load_key(settings, warn)

    attempts = max(1, settings.retries)
    for attempt in range(1, attempts + 1):
        client = paramiko.SSHClient()
        try:
            try:
                client.load_host_keys(str(settings.known_hosts))
            except (OSError, UnicodeDecodeError) as exc:  # bad lines are skipped by paramiko
                why = exc.strerror if isinstance(exc, OSError) else "not text"
                raise ConfigError(
                    f"Berkas known_hosts {settings.known_hosts} tidak bisa dibaca ({why}): "
                    "periksa hak aksesnya atau buat ulang dengan "
                    f"`{keyscan(settings)}`.",
                    f"The known_hosts file {settings.known_hosts} cannot be read ({why}): check "
                    f"its permissions or create it again with `{keyscan(settings)}`.",
                ) from None
            client.set_missing_host_key_policy(Reject())
            client.connect(
                settings.host,
                port=settings.port,
                username=settings.username,
                pkey=pkey,
                allow_agent=False,
                look_for_keys=False,
                timeout=settings.connect_timeout,
                banner_timeout=settings.connect_timeout,
                auth_timeout=settings.connect_timeout,
                channel_timeout=settings.connect_timeout,
            )
            transport = client.get_transport()
            if transport is None:  # pragma: no cover - connect() always sets it
                raise paramiko.SSHException("no transport after connect")
            transport.set_keepalive(settings.keepalive)
            return _open_sftp(settings, client, warnings, on_warning)
        except UnknownHostKey as exc:
            client.close()
            raise unknown_host(settings, exc.key) from None
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise changed_host(settings, exc.key) from None
        except paramiko.AuthenticationException as exc:
            if not is_auth_timeout(exc):
                client.close()
                raise auth_refused(settings, pkey) from None
            cause: BaseException = TimeoutError(str(exc))
            client.close()
            if attempt == attempts:
                raise unreachable(settings, cause, attempt) from exc
            _pause(settings, attempt, exc)
        except DipError:
            client.close()
            raise
        except Exception as exc:
            cause = handshake_error(client, exc)
            client.close()
            if not is_transient(cause) or attempt == attempts:
                raise unreachable(settings, cause, attempt) from exc
            _pause(settings, attempt, cause)
    raise AssertionError("unreachable")  # pragma: no cover


def _pause(settings: SftpSettings, attempt: int, exc: BaseException) -> None:
    """Exponential backoff with jitter between connection attempts."""
    delay = backoff_delay(attempt - 1, settings.retry_backoff, _MAX_BACKOFF)
    log.info("SFTP connect to %s failed (%s); retrying in %.1f s", settings.host, exc, delay)
    time.sleep(delay)


def _open_sftp(
    settings: SftpSettings,
    client: paramiko.SSHClient,
    warnings: list[SftpWarning],
    on_warning: Callable[[SftpWarning], None] | None,
) -> SftpTarget:
    """Start the SFTP subsystem and check ``remote_dir`` before anything is written."""
    try:
        transport = client.get_transport()
        opened = Client.from_transport(transport) if transport is not None else None
        if opened is None:
            raise paramiko.SSHException("no SFTP channel")
        sftp = opened
    except (paramiko.SSHException, EOFError):
        transport = client.get_transport()
        if transport is None or not transport.is_active():
            raise  # the connection itself dropped: transient, connect() may retry
        # The login worked and the connection is alive, but the SFTP channel was refused or
        # closed at once ("Channel closed." / "EOF during negotiation"): a shell-only account.
        raise ConfigError(
            f"Server {settings.host} menerima login {settings.username} tetapi tidak menyediakan "
            "SFTP: minta penyedia hosting mengaktifkan SFTP untuk akun ini.",
            f"The server {settings.host} accepted the login of {settings.username} but offers no "
            "SFTP: ask the web host to enable SFTP for this account.",
        ) from None
    channel = sftp.get_channel()
    if channel is not None:
        channel.settimeout(settings.io_timeout)
    target = SftpTarget(settings, client, sftp, warnings=warnings, on_warning=on_warning,
                        atomic_replace=POSIX_RENAME in sftp.extensions)
    root = target.root
    try:
        attrs = sftp.stat(root)
    except FileNotFoundError:
        target.close()
        raise ConfigError(
            f"Folder tujuan {root} tidak ada di server {settings.host}. dip tidak membuatnya sendiri "
            "agar salah ketik tidak menerbitkan register ke tempat lain: perbaiki remote_dir di "
            "dip.toml, atau buat folder itu di server bila memang benar.",
            f"The target folder {root} does not exist on {settings.host}. dip does not create it, so "
            "that a typo cannot publish the register somewhere else: fix remote_dir in dip.toml, or "
            "create that folder on the server if it is the right one.",
        ) from None
    except PermissionError:
        target.close()
        raise ConfigError(
            f"Akun {settings.username} tidak boleh membuka folder tujuan {root} di server "
            f"{settings.host}: minta penyedia hosting memberi akses atau perbaiki remote_dir di "
            "dip.toml.",
            f"The account {settings.username} may not open the target folder {root} on "
            f"{settings.host}: ask the web host for access or fix remote_dir in dip.toml.",
        ) from None
    if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
        target.close()
        raise ConfigError(
            f"remote_dir {root} di server {settings.host} adalah berkas, bukan folder: perbaiki "
            "remote_dir di dip.toml.",
            f"remote_dir {root} on {settings.host} is a file, not a folder: fix remote_dir in dip.toml.",
        )
    return target
