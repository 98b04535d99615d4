"""Configuration: ``dip.toml`` read once into frozen dataclasses, with the embedded default.

With no file at all, dip-sheets runs on the embedded default: a local workbook and a local output
folder under ``./dip-kerja``, no Google account, no server. Paths in a file are relative to the
file's folder. Unknown keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .config_values import (
    check_name,
    convert,
    read_roles,
    refuse,
    remote_key,
    section,
    shared_places,
    unit_editors,
)
from .errors import ConfigError
from .link_settings import LinkSettings, check_links_section
from .monev import MonevSettings
from .schema import Role

if TYPE_CHECKING:
    from .targets.sftp import SftpSettings

DEFAULT_UNITS = (
    "Sub Bagian Keuangan, Umum dan Logistik",
    "Sub Bagian Teknis Penyelenggaraan Pemilu dan Hubungan Partisipasi Masyarakat",
    "Sub Bagian Perencanaan, Data dan Informasi",
    "Sub Bagian Hukum dan Sumber Daya Manusia",
    "Sekretariat",
)


#: the usual abbreviations of a PPID's list, each with what it stands for (see PublicBody.synonyms)
DEFAULT_SYNONYMS = (
    "sk, surat keputusan, keputusan; "
    "lhkpn, laporan harta kekayaan penyelenggara negara, harta kekayaan; "
    "rka, rencana kerja dan anggaran; "
    "dpa, dokumen pelaksanaan anggaran; "
    "dipa, daftar isian pelaksanaan anggaran; "
    "renstra, rencana strategis; "
    "jdih, jaringan dokumentasi dan informasi hukum, produk hukum; "
    "lra, laporan realisasi anggaran"
)


#: the legal bases every public body cites under "Mengingat" in its Keputusan PPID establishing the
#: DIP and the DIK (dip keputusan draf); an office adds its own rules after them (e.g. a PKPU)
DEFAULT_LEGAL_BASES = (
    "Undang-Undang Nomor 14 Tahun 2008 tentang Keterbukaan Informasi Publik",
    "Peraturan Pemerintah Nomor 61 Tahun 2010 tentang Pelaksanaan Undang-Undang Nomor 14 Tahun 2008"
    " tentang Keterbukaan Informasi Publik",
    "Peraturan Komisi Informasi Nomor 1 Tahun 2021 tentang Standar Layanan Informasi Publik",
)


@dataclass(frozen=True)
class PublicBody:
    """The public body (the ``[office]`` section), as shown on the published page and the printed list;
    not :class:`dip_sheets.office.Office`, which runs one register."""

    name: str = "Komisi Pemilihan Umum Kabupaten Contoh"
    short_name: str = "KPU Kabupaten Contoh"
    address: str = ""
    city: str = "Contoh"
    website: str = ""
    email: str = ""
    ppid_title: str = "PPID KPU Kabupaten Contoh"
    ppid_name: str = ""
    logo: str = ""  # path of an image shipped with the page
    color: str = "#8a1c1c"
    #: the signing official's NIP, under the name in the printed list's signature block
    ppid_nip: str = ""
    #: where a citizen asks for information or objects to an answer (shown on every page)
    request_url: str = ""
    objection_url: str = ""
    whatsapp: str = ""  # a number such as 0812-3456-7890 or +62 812 3456 7890
    hours: str = ""  # e.g. "Senin-Jumat 08.00-16.00 WIB"
    #: words the page's search treats as one: groups split by ";", the words of a group by ","
    synonyms: str = DEFAULT_SYNONYMS
    #: "Mengingat" of the draft Keputusan PPID, in order (dip keputusan draf)
    legal_bases: tuple[str, ...] = DEFAULT_LEGAL_BASES


@dataclass(frozen=True)
class RegisterSettings:
    backend: Literal["workbook", "sheets"] = "workbook"
    path: Path = Path("dip-kerja/register.xlsx")
    spreadsheet_id: str = ""
    credentials: Path | None = None
    timeout: float = 30.0
    retry_budget: float = 120.0
    #: Google's per-user quota (60 reads and 60 writes a minute), shared by every register that
    #: uses the same service account through the same state_dir.
    quota_per_window: int = 60
    quota_window: float = 60.0


@dataclass(frozen=True)
class PublishSettings:
    target: Literal["folder", "sftp"] = "folder"
    folder: Path = Path("dip-kerja/situs")
    #: public address of the published folder; recorded in step 5 and used in links.
    base_url: str = ""
    #: who orders the upload (SOP step 4), unless ``--by`` is given.
    by: str = "PPID"
    #: no longer read by the page: decisions are kept in the register's ``Keputusan`` tab; ``dip init``
    #: copies a decision still configured here into that tab once (``decision_scans.adopt_configured``)
    decision_number: str = ""
    decision_date: str = ""
    templates: Path | None = None
    sftp: SftpSettings | None = None
    #: publish the list as a PDF too (``dip.pdf``, printed by Chromium; see :mod:`dip_sheets.list_pdf`)
    pdf: bool = True


@dataclass(frozen=True)
class Config:
    name: str = "utama"
    office: PublicBody = field(default_factory=PublicBody)
    units: tuple[str, ...] = DEFAULT_UNITS
    roles: Mapping[Role, tuple[str, ...]] = field(default_factory=dict)
    register: RegisterSettings = field(default_factory=RegisterSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    #: the e-Monev self-check's own settings (``[monev]``: SOP and form URLs, the higher PPID's DIK)
    monev: MonevSettings = field(default_factory=MonevSettings)
    #: checking the ``Tautan`` of the rows (``[links]``)
    links: LinkSettings = field(default_factory=LinkSettings)
    timezone: str = "Asia/Jakarta"
    #: where state that is not part of the register lives (lock files, logs).
    state_dir: Path = Path("dip-kerja")
    #: ``[roles.units]``: who edits each unit's rows on a Google Sheet (besides the Desk and PPID)
    unit_editors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def now(self) -> dt.datetime:
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo(self.timezone)).replace(microsecond=0)


def default_config(base: Path | None = None) -> Config:
    """The embedded default, rooted at ``base`` (the current folder when omitted)."""
    return _rooted(Config(), base or Path.cwd())


def load_configs(path: Path | None) -> list[Config]:
    """Read ``dip.toml``: one register at top level, or several as ``[[register]]`` tables.

    Each ``[[register]]`` table may override any top-level section; what it leaves out is taken
    from the top level, so offices sharing one service account or one web host say it once.
    """
    if path is None:
        return [default_config()]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"Berkas konfigurasi '{path}' tidak ditemukan.",
            f"Configuration file '{path}' not found.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Berkas konfigurasi '{path}' tidak dapat dibaca: {exc}.",
            f"Cannot read configuration file '{path}': {exc}.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Berkas konfigurasi '{path}' bukan TOML yang sah: {exc}.",
            f"Configuration file '{path}' is not valid TOML: {exc}.",
        ) from None
    base = path.resolve().parent
    registers = data.get("register")
    if not isinstance(registers, list):
        return [_rooted(_parse(data, str(path)), base)]
    return _several(data, registers, path, base)


def _several(data: Mapping[str, Any], registers: list[Any], path: Path, base: Path) -> list[Config]:
    """The ``[[register]]`` tables, each over the top level; no two sharing a name, a register or a
    publish target."""
    shared = {k: v for k, v in data.items() if k != "register"}
    configs = []
    for index, entry in enumerate(registers, start=1):
        where = f"{path} [[register]] ke-{index}"
        if not isinstance(entry, Mapping) or "name" not in entry:
            raise ConfigError(
                f"{where}: setiap [[register]] perlu 'name'.",
                f"{where}: every [[register]] needs a 'name'.",
            )
        sections = {k: v for k, v in entry.items() if k in SECTIONS}
        settings = {k: v for k, v in entry.items() if k not in SECTIONS}
        merged = _merge(shared, {**sections, "register": settings})
        configs.append(_rooted(_parse(merged, where), base))
    names = [c.name for c in configs]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise ConfigError(
            f"{path}: nama register ganda: {', '.join(doubled)}.",
            f"{path}: duplicate register names: {', '.join(doubled)}.",
        )
    shared_places(names, [_register_place(c) for c in configs], "register", "register", str(path))
    shared_places(names, [_target_place(c) for c in configs], "tujuan terbit", "publish target",
                  str(path))
    return configs


def _register_place(config: Config) -> tuple[tuple[object, ...], str]:
    """What identifies the register a configuration works on, and how to name it."""
    settings = config.register
    if settings.backend == "sheets":
        return ("sheets", settings.spreadsheet_id), f"spreadsheet {settings.spreadsheet_id}"
    return ("workbook", str(settings.path.resolve())), str(settings.path)


def _target_place(config: Config) -> tuple[tuple[object, ...], str]:
    """What identifies the place a configuration publishes to, and how to name it."""
    sftp = config.publish.sftp
    if config.publish.target == "sftp" and sftp is not None:
        return (("sftp", *remote_key(sftp.host, sftp.port, sftp.username, sftp.remote_dir)),
                f"{sftp.host}:{sftp.port} {sftp.remote_dir}")
    return ("folder", str(config.publish.folder.resolve())), str(config.publish.folder)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


#: what a ``[[register]]`` table may override; its other keys are the register's own settings.
SECTIONS = {"name", "office", "units", "roles", "publish", "monev", "links", "timezone", "state_dir"}


def _parse(data: Mapping[str, Any], where: str) -> Config:
    unknown = sorted(set(data) - SECTIONS - {"register"})
    if unknown:
        raise ConfigError(
            f"{where}: bagian tidak dikenal: {', '.join(unknown)}.",
            f"{where}: unknown sections: {', '.join(unknown)}.",
        )
    config = Config()
    if "name" in data:
        config = replace(config, name=check_name(where, data["name"]))
    if "office" in data:
        config = replace(config, office=section(PublicBody, data["office"], f"{where} [office]"))
    if "units" in data:
        config = replace(config, units=_units(data["units"], where))
    if "roles" in data:
        roles, per_unit = unit_editors(data["roles"], config.units, f"{where} [roles.units]")
        config = replace(config, roles=read_roles(roles, f"{where} [roles]"), unit_editors=per_unit)
    if "register" in data:
        config = replace(config, register=_register(data["register"], where))
    if "publish" in data:
        config = replace(config, publish=_publish(data["publish"], where))
    if "monev" in data:
        config = replace(config, monev=MonevSettings.from_toml(data["monev"], f"{where} [monev]"))
    if "links" in data:
        config = replace(config, links=_links(data["links"], f"{where} [links]"))
    for key in ("timezone", "state_dir"):
        if key in data:
            config = replace(config, **{key: convert(where, _CONFIG_FIELDS[key], data[key])})
    _check_timezone(config.timezone, where)
    return config


_CONFIG_FIELDS = {f.name: f for f in fields(Config)}


def _units(data: Any, where: str) -> tuple[str, ...]:
    """``[units] list`` (or a bare ``units = [...]``): the units' names, each non-empty."""
    units = data.get("list") if isinstance(data, Mapping) else data
    if not isinstance(units, list) or not all(isinstance(u, str) and u.strip() for u in units):
        raise ConfigError(
            f"{where} [units]: 'list' harus daftar nama unit (teks).",
            f"{where} [units]: 'list' must be a list of unit names (text).",
        )
    return tuple(u.strip() for u in units)


def _register(data: Any, where: str) -> RegisterSettings:
    settings: RegisterSettings = section(RegisterSettings, data, f"{where} [register]")
    if settings.backend not in ("workbook", "sheets"):
        raise ConfigError(
            f"{where} [register]: backend harus 'workbook' atau 'sheets'.",
            f"{where} [register]: backend must be 'workbook' or 'sheets'.",
        )
    if settings.backend == "sheets" and not settings.spreadsheet_id:
        raise ConfigError(
            f"{where} [register]: backend 'sheets' memerlukan spreadsheet_id.",
            f"{where} [register]: the 'sheets' backend needs spreadsheet_id.",
        )
    return settings


def _publish(data: Any, where: str) -> PublishSettings:
    """``[publish]`` with its ``[publish.sftp]`` table."""
    raw = dict(data) if isinstance(data, Mapping) else data
    sftp_raw = raw.pop("sftp", None) if isinstance(raw, dict) else None
    settings: PublishSettings = section(PublishSettings, raw, f"{where} [publish]")
    if sftp_raw is not None:
        from .targets.sftp import SftpSettings  # paramiko is imported only when SFTP is used

        settings = replace(settings, sftp=section(SftpSettings, sftp_raw, f"{where} [publish.sftp]"))
    if settings.target not in ("folder", "sftp"):
        raise ConfigError(
            f"{where} [publish]: target harus 'folder' atau 'sftp'.",
            f"{where} [publish]: target must be 'folder' or 'sftp'.",
        )
    if settings.target == "sftp" and (
        settings.sftp is None or not settings.sftp.host or not settings.sftp.username
    ):
        raise ConfigError(
            f"{where} [publish.sftp]: target 'sftp' memerlukan host, username, key_file,"
            " known_hosts dan remote_dir.",
            f"{where} [publish.sftp]: the 'sftp' target needs host, username, key_file,"
            " known_hosts and remote_dir.",
        )
    return settings


def _links(data: Any, where: str) -> LinkSettings:
    """The ``[links]`` section: its presence turns the check on (see :mod:`.link_settings`)."""
    settings: LinkSettings = section(LinkSettings, {"check": True, **data} if isinstance(data, Mapping)
                                     else data, where, check_links_section)
    return settings


def _check_timezone(name: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(where, "timezone", name, "zona waktu tidak dikenal (contoh: Asia/Jakarta)",
                     "unknown time zone (e.g. Asia/Jakarta)") from None


def _rooted(config: Config, base: Path) -> Config:
    """Resolve relative paths against ``base`` (the config file's folder)."""

    def at(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    register = replace(
        config.register,
        path=at(config.register.path),
        credentials=at(config.register.credentials) if config.register.credentials else None,
    )
    sftp = config.publish.sftp
    if sftp is not None:
        sftp = replace(sftp, key_file=at(sftp.key_file), known_hosts=at(sftp.known_hosts))
    publish = replace(
        config.publish,
        folder=at(config.publish.folder),
        templates=at(config.publish.templates) if config.publish.templates else None,
        sftp=sftp,
    )
    office = config.office
    if office.logo:
        office = replace(office, logo=str(at(Path(office.logo))))
    return replace(
        config, register=register, publish=publish, office=office,
        state_dir=at(config.state_dir),
    )

