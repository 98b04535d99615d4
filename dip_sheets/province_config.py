"""The province's configuration (``provinsi.toml``): its name, its folders, and the offices it watches.

A province (or KPU RI) lists each office below it by name, code and the public address of the
folder where the office's dip-sheets publishes (the folder holding ``dip.json``). Paths are relative
to the file's folder. Unknown keys are refused, as in ``dip.toml``: a typo must not fall back
silently to a default. The code names the office's cache file, so it is kept to safe characters.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .records import safe_link

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_PROVINCE_KEYS = {"name", "output", "state_dir", "timeout", "concurrency", "ca_bundle", "color", "timezone"}
_OFFICE_KEYS = {"name", "code", "url"}
#: the cap a dip.json or a page may not exceed: a site serving endless bytes cannot exhaust memory.
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class OfficeSource:
    """One office the province watches: ``url`` is its published folder, ending in ``/``."""

    name: str
    code: str
    url: str


@dataclass(frozen=True)
class ProvinceConfig:
    name: str
    output: Path  # the pages, CSV and XLSX
    state_dir: Path  # the cache: validators and the last copy of each office's list
    offices: tuple[OfficeSource, ...]
    timeout: float = 20.0  # seconds, to connect and for each read
    concurrency: int = 8  # offices fetched at once
    ca_bundle: Path | None = None  # a CA file to trust instead of the system's
    color: str = "#8a1c1c"
    timezone: str = "Asia/Jakarta"  # of the dates on the pages and of "today" in the checks

    def now(self) -> dt.datetime:
        return dt.datetime.now(ZoneInfo(self.timezone)).replace(microsecond=0)

    @property
    def verify(self) -> bool | str:
        return str(self.ca_bundle) if self.ca_bundle is not None else True


def _text(table: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where} {key} harus teks.", f"{where} {key} must be text.")
    if required and not value.strip():
        raise ConfigError(f"{where} {key} wajib diisi.", f"{where} {key} is required.")
    return value.strip()


def _number(table: dict[str, Any], key: str, default: float, low: float, high: float,
            whole: bool = False) -> float:
    value = table.get(key, default)
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        what = ("bilangan bulat", "a whole number") if whole else ("angka", "a number")
        raise ConfigError(f"[province] {key} harus {what[0]} antara {low:g} dan {high:g}.",
                          f"[province] {key} must be {what[1]} between {low:g} and {high:g}.")
    return float(value)


def _unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(f"kunci {', '.join(extra)} di {where} tidak dikenal; yang dikenal:"
                          f" {', '.join(sorted(allowed))}.",
                          f"unknown key {', '.join(extra)} in {where}; known: {', '.join(sorted(allowed))}.")


def _office(entry: Any, index: int) -> OfficeSource:
    where = f"[[office]] ke-{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} harus tabel [[office]].", f"office {index} must be an [[office]] table.")
    _unknown(entry, _OFFICE_KEYS, where)
    name, code, url = (_text(entry, key, where) for key in ("name", "code", "url"))
    if not _CODE.match(code):
        raise ConfigError(f"{where} code '{code}' hanya boleh huruf, angka, titik, garis bawah dan tanda"
                          " hubung (mis. kode wilayah 3201).",
                          f"office {index} code '{code}' may only hold letters, digits, dots, underscores and"
                          " hyphens (e.g. the region code 3201).")
    if not safe_link(url):
        raise ConfigError(f"{where} url '{url}' harus alamat http:// atau https:// folder tempat kantor itu"
                          " menerbitkan dip.json.",
                          f"office {index} url '{url}' must be the http:// or https:// address of the folder"
                          " where that office publishes dip.json.")
    return OfficeSource(name=name, code=code, url=url if url.endswith("/") else url + "/")


def load_province_config(path: Path) -> ProvinceConfig:
    """Read ``provinsi.toml``; every mistake is a :class:`ConfigError` saying what to fix."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Berkas konfigurasi provinsi '{path}' tidak ada; salin provinsi.example.toml.",
                          f"Province configuration '{path}' does not exist; copy provinsi.example.toml.",
                          ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Berkas '{path}' tidak dapat dibaca: {exc}.",
                          f"File '{path}' cannot be read: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Berkas '{path}' bukan TOML yang sah: {exc}.",
                          f"File '{path}' is not valid TOML: {exc}.") from None
    _unknown(document, {"province", "office"}, path.name)
    province = document.get("province")
    if not isinstance(province, dict):
        raise ConfigError(f"{path.name}: tabel [province] (name, output) wajib ada.",
                          f"{path.name}: the [province] table (name, output) is required.")
    _unknown(province, _PROVINCE_KEYS, "[province]")
    offices_raw = document.get("office", [])
    if not isinstance(offices_raw, list) or not offices_raw:
        raise ConfigError(f"{path.name}: belum ada kantor; tambahkan tabel [[office]] dengan name, code"
                          " dan url.",
                          f"{path.name}: no office yet; add [[office]] tables with name, code and url.")
    offices = tuple(_office(entry, n) for n, entry in enumerate(offices_raw, start=1))
    for key in ("code", "url"):
        seen: set[str] = set()
        for office in offices:
            value = getattr(office, key).casefold()
            if value in seen:
                raise ConfigError(f"{key} '{getattr(office, key)}' dipakai dua kantor; setiap kantor harus"
                                  " berbeda.",
                                  f"{key} '{getattr(office, key)}' is used by two offices; each must differ.")
            seen.add(value)
    base = path.parent
    output = base / _text(province, "output", "[province]")
    state = _text(province, "state_dir", "[province]", required=False)
    ca = _text(province, "ca_bundle", "[province]", required=False)
    color = _text(province, "color", "[province]", required=False) or "#8a1c1c"
    if not _COLOR.match(color):
        raise ConfigError(f"[province] color '{color}' harus kode warna seperti #8a1c1c.",
                          f"[province] color '{color}' must be a colour code such as #8a1c1c.")
    timezone = _text(province, "timezone", "[province]", required=False) or "Asia/Jakarta"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[province] timezone '{timezone}' tidak dikenal; contoh: Asia/Jakarta,"
                          " Asia/Makassar.",
                          f"[province] timezone '{timezone}' is unknown; e.g. Asia/Jakarta, Asia/Makassar.",
                          ) from None
    if ca and not (base / ca).is_file():
        raise ConfigError(f"[province] ca_bundle '{ca}' tidak ada; beri jalur berkas PEM atau hapus"
                          " barisnya.",
                          f"[province] ca_bundle '{ca}' does not exist; give a PEM file's path or remove"
                          " the line.")
    return ProvinceConfig(
        name=_text(province, "name", "[province]"),
        output=output,
        state_dir=base / state if state else output.parent / f".{output.name}-data",
        offices=offices,
        timeout=_number(province, "timeout", 20.0, 1.0, 300.0),
        concurrency=int(_number(province, "concurrency", 8, 1, 64, whole=True)),
        ca_bundle=base / ca if ca else None,
        color=color,
        timezone=timezone,
    )
