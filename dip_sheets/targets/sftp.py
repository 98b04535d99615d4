"""Publish to a web host over SFTP (OpenSSH or any server speaking SFTP v3).

Security comes first because this module holds the keys to the public website:

* the server is trusted only if its host key is already in the configured ``known_hosts`` file
  (:class:`paramiko.RejectPolicy`; never the user's or the system's files, never auto-added);
* we log in only with the configured private key (no agent, no ``~/.ssh`` keys), whose passphrase,
  if any, comes from an environment variable named in the settings, never from the config file;
* no message ever contains key material or a passphrase (public fingerprints only).

Every failure becomes one of the project's errors (:mod:`dip_sheets.errors`) with one sentence in
Indonesian and one in English that says what to do next.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import posixpath
import re
import socket
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from dip_sheets.errors import BackendUnavailable, ConfigError, DipError, PublishFailed
from dip_sheets.ratelimit import backoff_delay

__all__ = ["SftpSettings", "SftpTarget", "SftpWarning", "connect"]

log = logging.getLogger(__name__)
# paramiko logs a traceback at ERROR when a handshake fails; without any logging set up Python
# would print it on stderr next to our own one-sentence message. Records still propagate to the
# root logger when the application configures logging (e.g. ``--debug``).
logging.getLogger("paramiko").addHandler(logging.NullHandler())

#: Longest pause between two connection attempts, in seconds.
_MAX_BACKOFF = 30.0

#: How servers without ``posix-rename@openssh.com`` word their SFTP_OP_UNSUPPORTED reply
#: (paramiko keeps only the text of the status, not its code).
_UNSUPPORTED = re.compile(r"unsupported|not supported|unknown extended|unimplemented", re.I)


@dataclass(frozen=True, kw_only=True)
class SftpSettings:
    """Where and how to log in; built from ``dip.toml`` (no secrets in here, by design)."""

    host: str
    port: int = 22
    username: str
    #: Private key (Ed25519 recommended; RSA and ECDSA also work), OpenSSH or PEM format.
    key_file: Path
    #: The only file host keys are trusted from; entries for a port other than 22 are keyed
    #: ``[host]:port``.
    known_hosts: Path
    #: Folder on the server that receives the site; must already exist (a typo must not publish
    #: the register somewhere else). Absolute, or relative to the login folder.
    remote_dir: str
    #: Name of the environment variable holding the key's passphrase, if the key has one.
    key_passphrase_env: str | None = None
    connect_timeout: float = 15.0
    io_timeout: float = 60.0
    #: Seconds between SSH keepalives, so idle NAT/firewall entries do not drop the session.
    keepalive: int = 30
    #: Connection attempts in all (1 = no retry); only transient network failures are retried.
    retries: int = 3
    #: First pause between attempts in seconds; doubled each time, plus random jitter.
    retry_backoff: float = 1.0
    #: How often one publish may reconnect and carry on after its connection drops (0 = never);
    #: used by the reconnecting wrapper in :mod:`dip_sheets.connect`.
    reconnects: int = 3


@dataclass(frozen=True)
class SftpWarning:
    """Something the caller should show but that does not stop publishing."""

    id: str
    en: str

    def message(self, lang: str = "id") -> str:
        return self.en if lang == "en" else self.id


class _UnknownHostKey(paramiko.SSHException):
    """Raised by :class:`_Reject` so we can tell "not in known_hosts" from other SSH errors."""

    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"Server {hostname!r} not found in known_hosts")
        self.hostname = hostname
        self.key = key


class _Reject(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, raising an exception that carries the offered key."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> NoReturn:
        raise _UnknownHostKey(hostname, key)


def _host_entry(host: str, port: int) -> str:
    """The name OpenSSH and paramiko use in known_hosts for this host and port."""
    return host if port == 22 else f"[{host}]:{port}"


def _keyscan(settings: SftpSettings) -> str:
    return f"ssh-keyscan -p {settings.port} {settings.host} >> {settings.known_hosts}"


def _passphrase(settings: SftpSettings) -> str | None:
    env = settings.key_passphrase_env
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise ConfigError(
            f"Variabel lingkungan {env} (frasa sandi kunci SSH {settings.key_file}) kosong atau "
            "tidak ada: isi variabel itu sebelum menjalankan dip.",
            f"The environment variable {env} (passphrase of the SSH key {settings.key_file}) is "
            "empty or not set: set it before running dip.",
        )
    return value


def _load_key(settings: SftpSettings, warn: Callable[[SftpWarning], None]) -> paramiko.PKey:
    """Load the private key ourselves, so each way it can be wrong gets its own message."""
    path = settings.key_file
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"Kunci privat SSH {path} tidak ditemukan: periksa key_file di dip.toml atau buat "
            f"kuncinya dengan `ssh-keygen -t ed25519 -f {path}`.",
            f"The SSH private key {path} does not exist: check key_file in dip.toml or create "
            f"one with `ssh-keygen -t ed25519 -f {path}`.",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Kunci privat SSH {path} tidak bisa dibaca ({exc.strerror}): periksa key_file di "
            "dip.toml dan hak akses berkasnya bagi pengguna yang menjalankan dip.",
            f"The SSH private key {path} cannot be read ({exc.strerror}): check key_file in "
            "dip.toml and that the user running dip may read the file.",
        ) from None
    if st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        warn(
            SftpWarning(
                f"Peringatan: kunci privat SSH {path} bisa dibaca pengguna lain (mode {mode:o}); "
                f"batasi dengan `chmod 600 {path}`.",
                f"Warning: the SSH private key {path} is readable by other users (mode "
                f"{mode:o}); restrict it with `chmod 600 {path}`.",
            )
        )

    passphrase = _passphrase(settings)
    password = passphrase.encode() if passphrase is not None else None
    openssh_format = b"BEGIN OPENSSH PRIVATE KEY" in data
    loader = serialization.load_ssh_private_key if openssh_format else serialization.load_pem_private_key
    try:
        try:
            parsed = loader(data, password)
        except TypeError:
            if password is None:
                raise ConfigError(
                    f"Kunci privat SSH {path} dilindungi frasa sandi: isi key_passphrase_env di "
                    "dip.toml dengan nama variabel lingkungan yang memuat frasa sandinya.",
                    f"The SSH private key {path} is protected by a passphrase: set "
                    "key_passphrase_env in dip.toml to the name of an environment variable that "
                    "holds it.",
                ) from None
            # A passphrase was configured but the key is not encrypted: harmless, load it as is.
            passphrase = None
            parsed = loader(data, None)
    except ValueError:
        if password is not None:
            raise ConfigError(
                f"Frasa sandi di variabel lingkungan {settings.key_passphrase_env} tidak cocok "
                f"dengan kunci SSH {path}: periksa isi variabel itu.",
                f"The passphrase in the environment variable {settings.key_passphrase_env} does "
                f"not unlock the SSH key {path}: check that variable.",
            ) from None
        raise _unsupported_key(path) from None
    except UnsupportedAlgorithm:
        raise _unsupported_key(path) from None

    key_class: type[paramiko.PKey]
    if isinstance(parsed, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(parsed, rsa.RSAPrivateKey):
        key_class = paramiko.RSAKey
    elif isinstance(parsed, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    else:
        raise _unsupported_key(path)
    try:
        return key_class.from_private_key(io.StringIO(data.decode("ascii")), password=passphrase)
    except (paramiko.SSHException, UnicodeDecodeError, ValueError):
        raise _unsupported_key(path) from None


def _unsupported_key(path: Path) -> ConfigError:
    return ConfigError(
        f"Berkas {path} bukan kunci privat SSH yang bisa dipakai (Ed25519, RSA atau ECDSA): buat "
        f"kunci baru dengan `ssh-keygen -t ed25519 -f {path}`.",
        f"The file {path} is not a usable SSH private key (Ed25519, RSA or ECDSA): create one "
        f"with `ssh-keygen -t ed25519 -f {path}`.",
    )


def _fingerprint(key: paramiko.PKey) -> str:
    return key.fingerprint


def _unknown_host(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
    entry = _host_entry(settings.host, settings.port)
    fp = _fingerprint(key)
    return ConfigError(
        f"Server {entry} belum tercatat di {settings.known_hosts}, jadi sambungan ditolak: "
        f"cocokkan sidik jari kuncinya ({fp}) dengan penyedia hosting, lalu tambahkan dengan "
        f"`{_keyscan(settings)}`.",
        f"The server {entry} is not listed in {settings.known_hosts}, so the connection was "
        f"refused: check its key fingerprint ({fp}) with the web host, then add it with "
        f"`{_keyscan(settings)}`.",
    )


def _changed_host(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
    entry = _host_entry(settings.host, settings.port)
    fp = _fingerprint(key)
    kh = settings.known_hosts
    return ConfigError(
        f"PERINGATAN: kunci host server {entry} ({fp}) berbeda dengan yang tercatat di {kh}, "
        "bisa jadi ada serangan penyadapan, jadi tidak ada yang dikirim: tanyakan ke penyedia "
        "hosting apakah kuncinya memang diganti, dan hanya jika ya, hapus baris lama dengan "
        f"`ssh-keygen -R '{entry}' -f {kh}` lalu tambahkan yang baru dengan "
        f"`{_keyscan(settings)}`.",
        f"WARNING: the host key of {entry} ({fp}) differs from the one in {kh}, which may be an "
        "attack (someone intercepting the connection), so nothing was sent: ask the web host "
        "whether they changed the key, and only if they did, remove the old line with "
        f"`ssh-keygen -R '{entry}' -f {kh}` and add the new one with `{_keyscan(settings)}`.",
    )


def _auth_refused(settings: SftpSettings, key: paramiko.PKey) -> ConfigError:
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


def _is_transient(exc: BaseException) -> bool:
    """Network trouble worth another try (not unknown names, host keys, authentication or
    algorithm mismatches: trying again cannot fix those)."""
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN  # "temporary failure in name resolution"
    if isinstance(exc, paramiko.BadHostKeyException | _UnknownHostKey):
        return False
    if isinstance(exc, paramiko.AuthenticationException):
        return _is_auth_timeout(exc)
    if isinstance(exc, paramiko.SSHException) and "incompatible" in str(exc).lower():
        return False
    return isinstance(exc, OSError | EOFError | paramiko.SSHException)


def _is_auth_timeout(exc: BaseException) -> bool:
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


def _handshake_error(client: paramiko.SSHClient, exc: BaseException) -> BaseException:
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


def _unreachable(settings: SftpSettings, exc: BaseException, attempts: int) -> DipError:
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

    if not settings.known_hosts.is_file():
        kh = settings.known_hosts
        raise ConfigError(
            f"Berkas known_hosts {kh} tidak ada: buat dengan `{_keyscan(settings)}` dan cocokkan "
            "sidik jari kuncinya dengan penyedia hosting sebelum dipakai.",
            f"The known_hosts file {kh} does not exist: create it with `{_keyscan(settings)}` "
            "and check the key's fingerprint with the web host before relying on it.",
        )
    pkey = _load_key(settings, warn)

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
                    f"`{_keyscan(settings)}`.",
                    f"The known_hosts file {settings.known_hosts} cannot be read ({why}): check "
                    f"its permissions or create it again with `{_keyscan(settings)}`.",
                ) from None
            client.set_missing_host_key_policy(_Reject())
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
        except _UnknownHostKey as exc:
            client.close()
            raise _unknown_host(settings, exc.key) from None
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise _changed_host(settings, exc.key) from None
        except paramiko.AuthenticationException as exc:
            if not _is_auth_timeout(exc):
                client.close()
                raise _auth_refused(settings, pkey) from None
            cause: BaseException = TimeoutError(str(exc))
            client.close()
            if attempt == attempts:
                raise _unreachable(settings, cause, attempt) from exc
            _pause(settings, attempt, exc)
        except DipError:
            client.close()
            raise
        except Exception as exc:
            cause = _handshake_error(client, exc)
            client.close()
            if not _is_transient(cause) or attempt == attempts:
                raise _unreachable(settings, cause, attempt) from exc
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
        sftp = client.open_sftp()
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
    target = SftpTarget(settings, client, sftp, warnings=warnings, on_warning=on_warning)
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


@dataclass(frozen=True)
class _Action:
    id: str
    en: str


_READ = _Action("membaca", "reading")
_LIST = _Action("membaca isi folder", "listing")
_WRITE = _Action("menulis", "writing")
_MKDIR = _Action("membuat folder", "creating the folder")
_RENAME = _Action("mengganti nama", "renaming")
_REMOVE = _Action("menghapus", "removing")


@dataclass(eq=False)
class SftpTarget:
    """A :class:`dip_sheets.targets.Target` on an SFTP server; use :func:`connect` to get one."""

    settings: SftpSettings
    _client: paramiko.SSHClient = field(repr=False)
    _sftp: paramiko.SFTPClient = field(repr=False)
    #: Warnings the caller should print (loose key permissions, non-atomic replace).
    warnings: list[SftpWarning] = field(default_factory=list)
    #: Called with each warning as it happens (:func:`connect` passes its ``on_warning``).
    on_warning: Callable[[SftpWarning], None] | None = field(default=None, repr=False)
    #: False once the server turned out not to support ``posix-rename@openssh.com``; from then
    #: on :meth:`replace` briefly leaves ``dst`` missing (see :meth:`replace`).
    atomic_replace: bool = True
    location: str = field(init=False)
    root: str = field(init=False)
    _closed: bool = field(default=False, init=False, repr=False)

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

    @contextlib.contextmanager
    def _errors(self, action: _Action, remote: str) -> Iterator[None]:
        """Turn paramiko/socket errors during an operation into the project's errors."""
        s = self.settings
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
            raise BackendUnavailable(
                f"Sambungan SFTP ke {s.host} terputus saat {action.id} {remote}: jalankan lagi "
                "perintahnya setelah sambungan pulih.",
                f"The SFTP connection to {s.host} was lost while {action.en} {remote}: run the "
                "command again once the connection is back.",
            ) from None
        except PermissionError:
            raise PublishFailed(
                f"Server {s.host} menolak izin {action.id} {remote}: minta penyedia hosting "
                f"memberi akun {s.username} hak tulis pada {self.root}.",
                f"The server {s.host} denied permission for {action.en} {remote}: ask the web "
                f"host to give the account {s.username} write access to {self.root}.",
            ) from None
        except OSError as exc:
            if exc.errno is None and not self._connected():
                raise BackendUnavailable(
                    f"Sambungan SFTP ke {s.host} terputus saat {action.id} {remote}: jalankan "
                    "lagi perintahnya setelah sambungan pulih.",
                    f"The SFTP connection to {s.host} was lost while {action.en} {remote}: run "
                    "the command again once the connection is back.",
                ) from None
            if action is _WRITE and exc.errno is None:
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

    def _connected(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def _lstat(self, remote: str) -> paramiko.SFTPAttributes | None:
        try:
            return self._sftp.lstat(remote)
        except FileNotFoundError:
            return None

    def _stat(self, remote: str) -> paramiko.SFTPAttributes | None:
        try:
            return self._sftp.stat(remote)
        except FileNotFoundError:
            return None

    def _makedirs(self, remote_dir: str) -> None:
        """``mkdir -p`` below the root (the root itself must exist: checked at connect)."""
        rel = posixpath.relpath(remote_dir, self.root)
        current = self.root
        for part in rel.split("/"):
            if part in ("", "."):
                continue
            current = posixpath.join(current, part)
            with self._errors(_MKDIR, current):
                attrs = self._stat(current)  # follows links: a linked folder is fine
                if attrs is None:
                    try:
                        self._sftp.mkdir(current)
                        continue
                    except OSError as exc:  # lost a race, or a file is in the way
                        if isinstance(exc, PermissionError) or exc.errno is not None:
                            raise
                        attrs = self._stat(current)
                        if attrs is None:
                            raise
                if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
                    s = self.settings
                    raise PublishFailed(
                        f"Folder {current} tidak bisa dibuat di server {s.host} karena sudah ada "
                        "berkas dengan nama itu: hapus atau ganti nama berkas itu, lalu jalankan "
                        "lagi.",
                        f"The folder {current} cannot be created on {s.host} because a file with "
                        "that name is in the way: remove or rename that file, then run again.",
                    )

    # -- the Target protocol ---------------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        """Return the file's bytes, or ``None`` when it does not exist."""
        remote = self._path(path)
        buf = io.BytesIO()
        with self._errors(_READ, remote):
            try:
                self._sftp.getfo(remote, buf)
            except FileNotFoundError:
                return None
        return buf.getvalue()

    def list(self, path: str) -> list[str]:
        """Names directly inside ``path`` (sorted); ``[]`` if it is missing."""
        remote = self._path(path, allow_root=True)
        with self._errors(_LIST, remote):
            try:
                return sorted(self._sftp.listdir(remote))
            except FileNotFoundError:
                return []

    def put(self, path: str, data: bytes) -> None:
        """Write ``data``, creating parent folders, then check the size the server reports.

        We stat the file ourselves instead of ``putfo(confirm=True)`` so a short write (a full
        disk on servers that do not report it) gets its own message.
        """
        remote = self._path(path)
        with self._errors(_WRITE, remote):
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

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` over ``dst`` with ``posix-rename@openssh.com`` (atomic).

        A server without that extension gets a fallback (rename ``dst`` aside, rename ``src``,
        delete the old one) that leaves ``dst`` missing for a moment; ``atomic_replace`` turns
        False and a warning is added so the caller can say so.
        """
        rsrc, rdst = self._path(src), self._path(dst)
        with self._errors(_RENAME, f"{rsrc} -> {rdst}"):
            if self.atomic_replace:
                try:
                    self._sftp.posix_rename(rsrc, rdst)
                    return
                except OSError as exc:
                    if exc.errno is not None or not _UNSUPPORTED.search(str(exc)):
                        raise
                self._no_posix_rename()
            self._replace_fallback(rsrc, rdst)

    def _no_posix_rename(self) -> None:
        self.atomic_replace = False
        s = self.settings
        w = SftpWarning(
            f"Peringatan: server {s.host} tidak mendukung penggantian berkas secara atomik "
            "(posix-rename); selama sekejap saat berkas ditukar, halaman bisa tidak ditemukan "
            "pengunjung.",
            f"Warning: the server {s.host} does not support atomic file replacement "
            "(posix-rename); for a moment while files are swapped, visitors may get 'not found'.",
        )
        log.debug("%s", w.en)
        self.warnings.append(w)
        if self.on_warning is not None:
            self.on_warning(w)

    def _replace_fallback(self, rsrc: str, rdst: str) -> None:
        if self._lstat(rdst) is None:
            self._sftp.rename(rsrc, rdst)
            return
        # named like the publish algorithm's temporary files, so a run cut short here leaves
        # something the next run recognises and removes
        folder, name = posixpath.split(rdst)
        backup = posixpath.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.old.tmp")
        self._sftp.rename(rdst, backup)
        try:
            self._sftp.rename(rsrc, rdst)
        except BaseException:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                self._sftp.rename(backup, rdst)
            raise
        self._remove_tree(backup)

    def remove(self, path: str) -> None:
        """Remove a file, or a folder and everything in it; no error if it is missing."""
        remote = self._path(path)
        with self._errors(_REMOVE, remote):
            self._remove_tree(remote)

    def _remove_tree(self, remote: str) -> None:
        attrs = self._lstat(remote)
        if attrs is None:
            return
        if attrs.st_mode is not None and stat.S_ISDIR(attrs.st_mode):
            for child in self._sftp.listdir_attr(remote):
                self._remove_tree(posixpath.join(remote, child.filename))
            with contextlib.suppress(FileNotFoundError):
                self._sftp.rmdir(remote)
        else:
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
    from dip_sheets.targets import Target

    def _satisfies_protocol(target: SftpTarget) -> Target:
        """mypy checks here that SftpTarget implements the Target protocol."""
        return target
