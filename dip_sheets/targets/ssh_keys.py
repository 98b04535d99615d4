"""SSH login material for the SFTP target: the settings, the private key and its passphrase.

No message ever contains key material or a passphrase: a setting whose value looks like one (key
text pasted into ``key_file``, a passphrase typed into ``key_passphrase_env``) is refused by naming
the setting, never by showing the value, since messages also go to ``dip.log``.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ..errors import ConfigError
from ..messages import Message
from ..redact import looks_secret


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


class SftpWarning(Message):
    """Something the caller should show but that does not stop publishing (a :class:`Message`)."""


#: what an environment variable's name looks like by convention (``DIP_SFTP_PASSPHRASE``)
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


def check_secrets(settings: SftpSettings) -> None:
    """Refuse settings whose value is probably a secret typed into the wrong field, without showing it.

    ``key_passphrase_env`` must be the *name* of an environment variable; ``key_file`` and
    ``known_hosts`` must be file names. Anything else is reported by naming the setting only.
    """
    env = settings.key_passphrase_env
    if env is not None and not _ENV_NAME.fullmatch(env):
        raise ConfigError(
            "key_passphrase_env di [publish.sftp] harus berisi NAMA variabel lingkungan (huruf"
            " besar, angka dan _, misalnya DIP_SFTP_PASSPHRASE), bukan frasa sandinya; isinya"
            " tidak ditampilkan karena mungkin"
            " frasa sandi itu sendiri. Tulis nama variabelnya di dip.toml dan simpan frasa sandinya"
            " di variabel itu.",
            "key_passphrase_env in [publish.sftp] must hold the NAME of an environment variable"
            " (capitals, digits and _, for example DIP_SFTP_PASSPHRASE), not the passphrase; its"
            " value is not shown since it may"
            " be the passphrase itself. Write the variable's name in dip.toml and keep the"
            " passphrase in that variable.",
        )
    for setting, path in (("key_file", settings.key_file), ("known_hosts", settings.known_hosts)):
        if looks_secret(str(path)):
            raise ConfigError(
                f"{setting} di [publish.sftp] harus berisi lokasi berkas, tetapi isinya tampak seperti"
                " kunci privat; isinya tidak ditampilkan. Simpan kunci itu dalam berkas (chmod 600),"
                f" tulis lokasinya di {setting}, dan buat kunci baru bila isi itu sempat tersebar.",
                f"{setting} in [publish.sftp] must hold a file's path, but its value looks like a"
                " private key; it is not shown. Save the key in a file (chmod 600), write its path in"
                f" {setting}, and make a new key if that text may have been shared.",
            )


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


def load_key(settings: SftpSettings, warn: Callable[[SftpWarning], None]) -> paramiko.PKey:
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
