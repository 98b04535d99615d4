"""Each value of ``dip.toml`` checked at load: its type, its range, and what it may contain.

Each section is read by :func:`section` into its settings dataclass; types come from the
dataclasses' own annotations, so a new key is checked without a line here. A refused value is
named by its section and key with the type expected; the value itself is shown only when it cannot
be a secret (a passphrase typed into ``key_passphrase_env``, key text in ``key_file`` or a
service-account JSON in ``credentials`` must never reach the terminal or the log).
"""

from __future__ import annotations

import ast
import math
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .redact import looks_secret as looks_secret_text
from .schema import Role

#: settings whose value is, or points at, a secret: never echoed
SECRET_KEYS = frozenset({"key_passphrase_env", "key_file", "credentials"})
_SECRET_WORDS = ("secret", "password", "passphrase", "token")

#: numbers that must be above zero (the others may be zero, never negative)
_POSITIVE = frozenset({
    "timeout", "quota_per_window", "quota_window", "connect_timeout", "io_timeout", "retries", "port",
})
_MAXIMUM = {"port": 65535}

_EXPECTED = {
    "str": ("teks", "text"),
    "Path": ("teks berisi path berkas atau folder", "a text holding a file or folder path"),
    "int": ("bilangan bulat", "a whole number"),
    "float": ("angka", "a number"),
    "bool": ("true atau false", "true or false"),
}


def looks_secret(key: str, value: object) -> bool:
    """Whether a refused value might be a secret, so the message must not show it."""
    if key in SECRET_KEYS or any(word in key for word in _SECRET_WORDS):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    # a refused value may also be a password or token: long, with no path separator or space
    return looks_secret_text(value) or (
        len(text) >= 24 and not any(c in text for c in "/\\") and not any(c.isspace() for c in text))


def _kind(value: object) -> tuple[str, str]:
    if isinstance(value, bool):
        return "true/false", "true/false"
    if isinstance(value, int):
        return "bilangan bulat", "a whole number"
    if isinstance(value, float):
        return "angka pecahan", "a fraction"
    if isinstance(value, str):
        return "teks", "text"
    if isinstance(value, list):
        return "daftar", "a list"
    if isinstance(value, dict):
        return "tabel", "a table"
    return "tanggal/waktu", "a date/time"


def refuse(where: str, key: str, value: object, wrong_id: str, wrong_en: str) -> ConfigError:
    """The error for ``where`` ``key``, showing ``value`` only when it cannot be a secret."""
    shown = "" if looks_secret(key, value) or isinstance(value, list | dict) else f" (tertulis: {value!r})"
    shown_en = shown.replace("tertulis", "given")
    return ConfigError(f"{where} {key}: {wrong_id}{shown}. Perbaiki nilainya di berkas konfigurasi.",
                       f"{where} {key}: {wrong_en}{shown_en}. Fix the value in the configuration file.")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def convert(where: str, field: Field[Any], value: object) -> Any:
    """``value`` as the type ``field`` is annotated with (``str``, ``Path``, ``int``, ``float``,
    ``bool``, ``Literal[...]``, each maybe ``| None``), or a :class:`ConfigError`."""
    annotation = str(field.type).replace(" | None", "").strip()
    key = field.name
    if annotation.startswith("Literal["):
        choices = ast.literal_eval(f"({annotation[8:-1]},)")
        if value not in choices:
            listed = ", ".join(f"'{c}'" for c in choices)
            raise refuse(where, key, value, f"harus salah satu dari {listed}",
                         f"must be one of {listed}")
        return value
    if annotation == "tuple[str, ...]":
        return _texts(where, key, value)
    if annotation not in _EXPECTED:  # pragma: no cover - a settings field of a new kind
        raise TypeError(f"no conversion for {key}: {annotation}")
    expected_id, expected_en = _EXPECTED[annotation]
    got_id, got_en = _kind(value)
    ok = {
        "str": isinstance(value, str),
        "Path": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
    }[annotation]
    if not ok:
        raise refuse(where, key, value, f"harus {expected_id}, bukan {got_id}",
                     f"must be {expected_en}, not {got_en}")
    if isinstance(value, str):
        if _has_control(value):
            raise refuse(where, key, value, "berisi karakter kendali yang tidak terlihat",
                         "contains invisible control characters")
        if annotation == "Path":
            if not value.strip():
                raise refuse(where, key, value, "tidak boleh kosong", "must not be empty")
            return Path(value).expanduser()
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(where, key, value, float if annotation == "float" else int)
    return value


def _texts(where: str, key: str, value: object) -> tuple[str, ...]:
    """A list of texts (e.g. ``legal_bases``): at least one, none empty, each on one line."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise refuse(where, key, value, 'harus daftar teks yang tidak kosong, mis. ["…", "…"]',
                     'must be a list of non-empty texts, e.g. ["…", "…"]')
    if any(_has_control(v.replace("\n", " ")) for v in value):
        raise refuse(where, key, value, "berisi karakter kendali yang tidak terlihat",
                     "contains invisible control characters")
    return tuple(" ".join(v.split()) for v in value)


def _number(where: str, key: str, value: float, kind: Callable[[float], float]) -> float:
    if not math.isfinite(value):
        raise refuse(where, key, value, "harus angka biasa (bukan inf atau nan)",
                     "must be an ordinary number (not inf or nan)")
    least = "lebih dari 0" if key in _POSITIVE else "0 atau lebih"
    least_en = "above 0" if key in _POSITIVE else "0 or more"
    if value < 0 or (key in _POSITIVE and value == 0):
        raise refuse(where, key, value, f"harus {least}", f"must be {least_en}")
    if key in _MAXIMUM and value > _MAXIMUM[key]:
        raise refuse(where, key, value, f"harus paling besar {_MAXIMUM[key]}",
                     f"must be at most {_MAXIMUM[key]}")
    return kind(value)


# ---- what a value may contain ---------------------------------------------------------------------

_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_EMAIL = re.compile(r"^[^@\s<>\"'`()]+@[^@\s<>\"'`()]+\.[^@\s<>\"'`()]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_SPREADSHEET_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME = re.compile(r"^\w[\w .()-]{0,63}$")


def check_url(where: str, key: str, value: str) -> None:
    """An address that reaches a page's links: empty, or a full http(s) address."""
    parts = urlsplit(value)
    if value and (parts.scheme.lower() not in ("http", "https") or not parts.hostname
                  or any(c.isspace() for c in value)):
        raise refuse(where, key, value,
                     "harus alamat web lengkap yang diawali http:// atau https://",
                     "must be a full web address starting with http:// or https://")


def check_value(where: str, key: str, value: object) -> None:
    """Rules for particular settings, after their type was checked."""
    if not isinstance(value, str | Path):
        return
    text = str(value)
    if key in ("website", "base_url"):
        check_url(where, key, text)
    elif key == "color" and not _HEX_COLOR.match(text):
        raise refuse(where, key, value, "harus kode warna seperti \"#8a1c1c\"",
                     "must be a colour code such as \"#8a1c1c\"")
    elif key == "email" and text and not _EMAIL.match(text):
        raise refuse(where, key, value, "harus satu alamat email, mis. ppid@kpu-contohkab.go.id",
                     "must be one email address, e.g. ppid@kpu-contohkab.go.id")
    elif key == "key_passphrase_env" and not _ENV_NAME.match(text):
        raise refuse(
            where, key, value,
            "harus NAMA variabel lingkungan (mis. DIP_KEY_PASSPHRASE), bukan frasa sandinya; frasa"
            " sandi tidak pernah ditulis di berkas konfigurasi",
            "must be the NAME of an environment variable (e.g. DIP_KEY_PASSPHRASE), not the"
            " passphrase itself; a passphrase never goes into the configuration file",
        )
    elif key in ("key_file", "credentials") and looks_secret_text(text):
        raise refuse(
            where, key, value,
            "harus path berkas kunci, bukan isi kuncinya; simpan isinya di berkas (izin 600) lalu"
            " tulis path berkas itu di sini",
            "must be the path of the key file, not the key itself; save it in a file (mode 600)"
            " and put that file's path here",
        )
    elif key == "spreadsheet_id" and text and not _SPREADSHEET_ID.match(text):
        raise refuse(where, key, value,
                     "harus ID spreadsheet saja: bagian URL di antara /d/ dan /edit",
                     "must be the spreadsheet ID only: the part of the URL between /d/ and /edit")
    elif key == "host" and (not text.strip() or any(c.isspace() or c in "/@" for c in text)):
        raise refuse(where, key, value, "harus nama host atau alamat IP saja",
                     "must be a host name or IP address only")



def check_name(where: str, value: object) -> str:
    """A register's name becomes part of file names (lock files): plain letters, digits, spaces,
    ``- _ . ( )``, at most 64 characters, never a path."""
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        got = _kind(value)
        plain = isinstance(value, str) and not _has_control(value) and not looks_secret("name", value)
        shown = f" ('{value}')" if plain else f" ({got[0]})"
        shown_en = f" ('{value}')" if plain else f" ({got[1]})"
        raise ConfigError(
            f"{where} name{shown}: nama register harus 1-64 huruf, angka, spasi atau - _ . ( ),"
            " diawali huruf atau angka, tanpa '/', '\\' atau '..' (nama ini menjadi bagian nama"
            " berkas kunci).",
            f"{where} name{shown_en}: a register name must be 1-64 letters, digits, spaces or"
            " - _ . ( ), starting with a letter or digit, without '/', '\\' or '..' (it becomes"
            " part of the lock file's name).",
        )
    return value


def shared_places(names: Sequence[str], places: Sequence[tuple[tuple[object, ...], str]],
                  what_id: str, what_en: str, where: str) -> None:
    """Refuse two registers whose ``places`` (a comparable key and its description) are equal."""
    seen: dict[tuple[object, ...], str] = {}
    for name, (key, shown) in zip(names, places, strict=True):
        if key in seen:
            raise ConfigError(
                f"{where}: register '{seen[key]}' dan '{name}' memakai {what_id} yang sama ({shown});"
                " keduanya akan saling menimpa setiap kali dijalankan. Beri masing-masing miliknya"
                " sendiri.",
                f"{where}: registers '{seen[key]}' and '{name}' use the same {what_en} ({shown});"
                " they would overwrite each other on every run. Give each its own.",
            )
        seen[key] = name


def remote_key(host: str, port: int, username: str, remote_dir: str) -> tuple[object, ...]:
    """One SFTP folder: a relative ``remote_dir`` is under the login's home, so the user counts."""
    folder = posixpath.normpath(remote_dir or ".")
    return (host.casefold().rstrip("."), port, "" if folder.startswith("/") else username, folder)


def unit_editors(roles: Any, units: Sequence[str], where: str) -> tuple[Any, dict[str, tuple[str, ...]]]:
    """``[roles]`` without its ``units`` table, and that table checked: each configured unit's
    editors (Google accounts, or groups written ``group:address``)."""
    if not isinstance(roles, Mapping) or "units" not in roles:
        return roles, {}
    rest = {k: v for k, v in roles.items() if k != "units"}
    table = roles["units"]
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: harus berupa tabel nama unit = [alamat email].",
                          f"{where}: must be a table of unit name = [email addresses].")
    editors: dict[str, tuple[str, ...]] = {}
    for unit, value in table.items():
        if unit not in units:
            raise ConfigError(
                f"{where}: unit '{unit}' tidak ada di [units]; tulis namanya persis seperti di"
                " daftar unit.",
                f"{where}: unit '{unit}' is not in [units]; write its name exactly as in the list"
                " of units.")
        emails = [value] if isinstance(value, str) else value
        if not isinstance(emails, list) or not emails or not all(
                isinstance(e, str) and "@" in e for e in emails):
            raise ConfigError(
                f"{where}: '{unit}' harus daftar alamat email (akun, atau grup Google ditulis"
                " 'group:alamat').",
                f"{where}: '{unit}' must be a list of email addresses (accounts, or Google groups"
                " written 'group:address').")
        editors[unit] = tuple(emails)
    return rest, editors


def section(cls: type[Any], data: Any, where: str,
            check: Callable[[str, dict[str, Any]], None] | None = None) -> Any:
    """Build dataclass ``cls`` from a TOML table, converting paths and rejecting unknown keys;
    ``check`` sees the section's converted values before ``cls`` is built. A field whose metadata
    says ``toml=False`` is not a key of the file."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: harus berupa tabel.", f"{where}: must be a table.")
    known = {f.name: f for f in fields(cls) if f.metadata.get("toml", True)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: kunci tidak dikenal: {', '.join(unknown)}.",
            f"{where}: unknown keys: {', '.join(unknown)}.",
        )
    required = sorted(f.name for f in known.values()
                      if f.default is MISSING and f.default_factory is MISSING and f.name not in data)
    if required:
        raise ConfigError(
            f"{where}: kunci wajib belum diisi: {', '.join(required)}.",
            f"{where}: required keys are missing: {', '.join(required)}.",
        )
    values: dict[str, Any] = {}
    for key, value in data.items():
        values[key] = convert(where, known[key], value)
        check_value(where, key, values[key])
    if check is not None:
        check(where, values)
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - defensive, fields() covers the names
        raise ConfigError(f"{where}: {exc}", f"{where}: {exc}") from None


def read_roles(data: Any, where: str) -> dict[Role, tuple[str, ...]]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: harus berupa tabel.", f"{where}: must be a table.")
    roles: dict[Role, tuple[str, ...]] = {}
    for key, value in data.items():
        try:
            role = Role(key)
        except ValueError:
            raise ConfigError(
                f"{where}: peran '{key}' tidak dikenal; gunakan unit, desk atau ppid.",
                f"{where}: unknown role '{key}'; use unit, desk or ppid.",
            ) from None
        if role is Role.SYSTEM:
            raise ConfigError(
                f"{where}: peran 'system' adalah akun layanan itu sendiri dan tidak diatur di sini.",
                f"{where}: the 'system' role is the service account itself; do not list it.",
            )
        emails = [value] if isinstance(value, str) else value
        if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
            raise ConfigError(
                f"{where}: '{key}' harus daftar alamat email (akun atau grup Google).",
                f"{where}: '{key}' must be a list of email addresses (Google accounts or groups).",
            )
        roles[role] = tuple(emails)
    return roles
