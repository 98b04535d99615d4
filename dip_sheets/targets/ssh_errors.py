"""What went wrong while logging in over SSH, as one sentence that says what to do next.

Host-key refusals, authentication refusals and network failures each get their own message; only
network trouble is worth another attempt (:func:`is_transient`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import NoReturn

import paramiko

from ..errors import BackendUnavailable, ConfigError, DipError
from .ssh_keys import SftpSettings


class UnknownHostKey(paramiko.SSHException):
    """Raised by :class:`Reject` so we can tell "not in known_hosts" from other SSH errors."""

    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"Server {hostname!r} not found in known_hosts")
        self.hostname = hostname
        self.key = key


class Reject(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, raising an exception that carries the offered key."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> NoReturn:
        raise UnknownHostKey(hostname, key)


def _host_entry(host: str, port: int) -> str:
    """The name OpenSSH and paramiko use in known_hosts for this host and port."""
    return host if port == 22 else f"[{host}]:{port}"


def keyscan(settings: SftpSettings) -> str:
    return f"ssh-keyscan -p {settings.port} {settings.host} >> {settings.known_hosts}"


def _fingerprint(key: paramiko.PKey) -> str:
    return key.fingerprint


def unknown_host(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
    entry = _host_entry(settings.host, settings.port)
    fp = _fingerprint(key)
    return ConfigError(
        f"Server {entry} belum tercatat di {settings.known_hosts}, jadi sambungan ditolak: "
        f"cocokkan sidik jari kuncinya ({fp}) dengan penyedia hosting, lalu tambahkan dengan "
        f"`{keyscan(settings)}`.",
        f"The server {entry} is not listed in {settings.known_hosts}, so the connection was "
        f"refused: check its key fingerprint ({fp}) with the web host, then add it with "
        f"`{keyscan(settings)}`.",
    )


def changed_host(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
    entry = _host_entry(settings.host, settings.port)
    fp = _fingerprint(key)
    kh = settings.known_hosts
    return ConfigError(
        f"PERINGATAN: kunci host server {entry} ({fp}) berbeda dengan yang tercatat di {kh}, "
        "bisa jadi ada serangan penyadapan, jadi tidak ada yang dikirim: tanyakan ke penyedia "
        "hosting apakah kuncinya memang diganti, dan hanya jika ya, hapus baris lama dengan "
        f"`ssh-keygen -R '{entry}' -f {kh}` lalu tambahkan yang baru dengan "
        f"`{keyscan(settings)}`.",
        f"WARNING: the host key of {entry} ({fp}) differs from the one in {kh}, which may be an "
        "attack (someone intercepting the connection), so nothing was sent: ask the web host "
        "whether they changed the key, and only if they did, remove the old line with "
        f"`ssh-keygen -R '{entry}' -f {kh}` and add the new one with `{keyscan(settings)}`.",
    )


def auth_refused(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
    fp = _fingerprint(key)
    user, host, kf = settings.username, settings.host, settings.key_file
    return ConfigError(
        f"Server {host} menolak login {user} dengan kunci {kf} ({fp}): minta penyedia hosting "
        f"menambahkan kunci publiknya ({kf}.pub) ke authorized_keys akun {user}, atau periksa "
        "username dan key_file di dip.toml.",
        f"The server {host} refused the login of {user} with the key {kf} ({fp}): ask the web "
        f"host to add its public key ({kf}.pub) to the authorized_keys of {user}, or check "
        "username and key_file in dip.toml.",
    )


def is_transient(exc: BaseException) -> bool:
    """Network trouble worth another try (not unknown names, host keys, authentication or
    algorithm mismatches: trying again cannot fix those)."""
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN  # "temporary failure in name resolution"
    if isinstance(exc, paramiko.BadHostKeyException | UnknownHostKey):
        return False
    if isinstance(exc, paramiko.AuthenticationException):
        return is_auth_timeout(exc)
    if isinstance(exc, paramiko.SSHException) and "incompatible" in str(exc).lower():
        return False
    return isinstance(exc, OSError | EOFError | paramiko.SSHException)


def is_auth_timeout(exc: BaseException) -> bool:
    """paramiko reports a server too slow to answer the login as AuthenticationException."""
    return isinstance(exc, paramiko.AuthenticationException) and "timeout" in str(exc).lower()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (paramiko wraps socket errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def handshake_error(client: paramiko.SSHClient, exc: BaseException) -> BaseException:
    """The real reason a handshake failed.

    paramiko's ``connect`` raises a vague "No existing session" in two cases: the transport
    thread died (it keeps the original exception, e.g. a banner timeout or a reset), or the
    handshake was still running when ``timeout`` ran out (``start_client`` then returns quietly).
    """
    transport = client.get_transport()
    if transport is None:
        return exc
    saved = transport.get_exception()
    if saved is not None:
        return saved
    if transport.is_active() and "no existing session" in str(exc).lower():
        return TimeoutError("the SSH handshake did not finish in time")
    return exc


def unreachable(settings: SftpSettings, exc: BaseException, attempts: int) -> DipError:
    where = f"{settings.host}:{settings.port}"
    tries_id = f"(dicoba {attempts} kali)"
    tries_en = f"({attempts} attempt{'s' if attempts != 1 else ''})"
    chain = list(_chain(exc))
    if any(isinstance(e, socket.gaierror) for e in chain):
        return BackendUnavailable(
            f"Nama host {settings.host} tidak ditemukan (DNS): periksa ejaan host di dip.toml dan "
            "sambungan internet, lalu coba lagi.",
            f"The host name {settings.host} could not be resolved (DNS): check host in dip.toml "
            "and the internet connection, then try again.",
        )
    if any(isinstance(e, TimeoutError) for e in chain):
        return BackendUnavailable(
            f"Server SFTP {where} tidak menjawab dalam {settings.connect_timeout:g} detik "
            f"{tries_id}: periksa jaringan, firewall, host dan port di dip.toml, lalu coba lagi "
            "nanti.",
            f"The SFTP server {where} did not answer within {settings.connect_timeout:g} s "
            f"{tries_en}: check the network, firewall, host and port in dip.toml, then try again "
            "later.",
        )
    if any(
        isinstance(e, paramiko.ssh_exception.NoValidConnectionsError | ConnectionRefusedError) for e in chain
    ):
        return BackendUnavailable(
            f"Server SFTP {where} menolak sambungan {tries_id}: pastikan host dan port di dip.toml "
            "benar dan servernya menyala, lalu coba lagi nanti.",
            f"The SFTP server {where} refused the connection {tries_en}: check host and port in "
            "dip.toml and that the server is up, then try again later.",
        )
    if "banner" in str(exc).lower():
        return BackendUnavailable(
            f"{where} tidak menjawab sebagai server SSH {tries_id}: periksa port di dip.toml (SFTP "
            "biasanya port 22), lalu coba lagi nanti.",
            f"{where} did not answer as an SSH server {tries_en}: check the port in dip.toml "
            "(SFTP is usually port 22), then try again later.",
        )
    detail = str(exc) or type(exc).__name__
    return BackendUnavailable(
        f"Sambungan SSH ke {where} gagal {tries_id}: {detail}; coba lagi nanti, dan jika terus "
        "gagal, tanyakan ke penyedia hosting.",
        f"The SSH connection to {where} failed {tries_en}: {detail}; try again later, and ask "
        "the web host if it keeps failing.",
    )
