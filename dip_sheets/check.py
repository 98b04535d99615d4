"""``dip check``: verify a configuration without changing anything in the register.

Each check is one line, ok or what to fix, so an office's IT person can work down the list. A line
says ok only for what was actually tried: the workbook file is opened, the site's layout is read
(a link where a folder of ours belongs fails), and the only writes are a small probe file and a
probe link on the publishing target, removed again, which prove the folder is writable and that
the version can go live in one atomic step. Whether ``dip.pdf`` can be made here (Chromium found,
or the PDF turned off) is an information line, a warning when Chromium is missing: a publish goes
out without the PDF then, it does not fail.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from . import schema as s
from .config import Config
from .connect import open_register, open_target, register_backend
from .errors import BackendUnavailable, ConfigError, DipError
from .evidence import Chromium
from .list_pdf import switched_off
from .messages import Message
from .register import Register, Snapshot
from .register.workbook import WorkbookRegister
from .site import guard, scan
from .switch import links_possible
from .targets import POSIX_RENAME, Target


@dataclass(frozen=True)
class Check:
    name: Message
    ok: bool
    detail: Message
    exit_code: int = 0
    #: something to look at that fails nothing (``AWAS``/``WARN``; ``ok`` stays True)
    warning: bool = False

    def line(self) -> Message:
        """``ok    name: detail``, ``AWAS  name: detail`` or ``GAGAL name: detail``."""
        mark_id, mark_en = ("AWAS ", "WARN") if self.warning else ("ok   ", "ok  ")
        return Message(f"{mark_id if self.ok else 'GAGAL'} {self.name.id}: {self.detail.id}",
                       f"{mark_en if self.ok else 'FAIL'} {self.name.en}: {self.detail.en}")


@runtime_checkable
class Audited(Protocol):
    """A register whose protections name people (Google Sheets), so they can drift from [roles]."""

    def protection_differences(self) -> list[Message]: ...


@dataclass(frozen=True)
class CheckResult:
    """Every check that ran, in order (:meth:`dip_sheets.office.Office.check`)."""

    checks: list[Check]

    def lines(self) -> list[Message]:
        return [check.line() for check in self.checks]

    def failure(self) -> DipError | None:
        """The error to end with when a check failed, of the most serious failure's kind."""
        failed = [c for c in self.checks if not c.ok]
        if not failed:
            return None
        kind = {2: ConfigError, 3: BackendUnavailable}.get(max(c.exit_code for c in failed), DipError)
        return kind(f"{len(failed)} pemeriksaan gagal.", f"{len(failed)} checks failed.")

    def summary(self, lang: str = "id") -> dict[str, Any]:
        return {"checks": [{"name": c.name.text(lang), "ok": c.ok, "detail": c.detail.text(lang),
                            **({"warning": True} if c.warning else {})} for c in self.checks]}


def run_checks(config: Config) -> list[Check]:
    """Run every check that applies to ``config``; later checks are skipped when they cannot run."""
    results: list[Check] = []

    def attempt(name: Message, action: Callable[[], Message]) -> bool:
        try:
            detail = action()
        except DipError as error:
            results.append(Check(name, False, error.msg, error.exit_code))
            return False
        except OSError as error:
            results.append(Check(name, False, Message(str(error), str(error)), 1))
            return False
        results.append(Check(name, True, detail))
        return True

    results.append(Check(Message("konfigurasi", "configuration"), True,
                         Message(f"register '{config.name}'", f"register '{config.name}'")))
    opened: list[Register] = []
    snapshot: list[Snapshot] = []

    def open_reg() -> Message:
        register = open_register(config)
        if isinstance(register, WorkbookRegister) and not register.path.is_file():
            raise ConfigError(
                f"Register '{register.path}' tidak ada. Buat dulu dengan: dip init --local {register.path}",
                f"Register '{register.path}' does not exist. Create it with: dip init --local"
                f" {register.path}",
            )
        opened.append(register)
        return Message(f"{register.location} (belum dibaca)", f"{register.location} (not read yet)")

    def read_reg() -> Message:
        snapshot.append(opened[0].read())
        count = len(snapshot[0].tabs)
        return Message(f"{count} tab terbaca", f"{count} tabs read")

    def layout() -> Message:
        for tab in s.TABS:
            grid = snapshot[0].tabs.get(tab.name)
            if grid is None:
                raise ConfigError(f"tab '{tab.name}' tidak ada; jalankan 'dip init'.",
                                  f"tab '{tab.name}' is missing; run 'dip init'.")
            s.locate_columns(tab, grid.rows[0] if grid.rows else [])
        return Message("semua tab dan kolom ada", "every tab and column is there")

    if (attempt(Message("register dapat dibuka", "register can be opened"), open_reg)
            and attempt(Message("register dapat dibaca", "register can be read"), read_reg)):
        attempt(Message("tata letak register", "register layout"), layout)
    if register_backend(config).needs_roles:
        attempt(Message("peran (roles) diisi", "roles are filled in"), lambda: _roles(config))
    if snapshot and isinstance(opened[0], Audited):
        results += _protections(opened[0])
    target: list[Target] = []

    def open_tgt() -> Message:
        target.append(open_target(config, on_warning=lambda _: None))
        return Message(target[0].location, target[0].location)

    if attempt(Message("situs tujuan terhubung", "publishing target reachable"), open_tgt):
        try:
            if attempt(Message("susunan situs", "site layout"), lambda: _layout(target[0])):
                attempt(Message("folder situs dapat ditulis", "site folder writable"),
                        lambda: _probe(target[0]))
                attempt(Message("pergantian versi atomik", "atomic version switch"),
                        lambda: _atomic(target[0]))
        finally:
            target[0].close()
    results.append(_list_pdf(config))
    return results


def _list_pdf(config: Config) -> Check:
    """Whether a publish can print ``dip.pdf`` here: never a failure (the page goes out without it)."""
    name = Message("PDF daftar (dip.pdf)", "list PDF (dip.pdf)")
    off = switched_off(config)
    if off is not None:
        return Check(name, True, Message(f"{off.id}; penerbitan tidak membuat dip.pdf",
                                         f"{off.en}; a publish makes no dip.pdf"))
    try:
        chromium = Chromium.find()
    except ConfigError:
        return Check(name, True, Message(
            "Chromium tidak ditemukan, jadi penerbitan tidak membuat dip.pdf dan halaman terbit tanpa"
            " tautan PDF. Pasang dengan `sudo apt-get install chromium`, atau tulis pdf = false di"
            " [publish].",
            "Chromium was not found, so a publish makes no dip.pdf and the page goes out without a PDF"
            " link. Install it with `sudo apt-get install chromium`, or set pdf = false in [publish]."),
            warning=True)
    return Check(name, True, Message(f"Chromium ditemukan ({chromium.executable}); dip.pdf dibuat setiap"
                                     " kali daftar diterbitkan",
                                     f"Chromium found ({chromium.executable}); dip.pdf is made with every"
                                     " published list"))


def _roles(config: Config) -> Message:
    missing = [role.value for role in (s.Role.UNIT, s.Role.DESK, s.Role.PPID) if not config.roles.get(role)]
    if missing:
        raise ConfigError(
            f"[roles] belum mengisi: {', '.join(missing)}; tanpa itu kolom SOP tidak dapat dikunci"
            " per peran.",
            f"[roles] is missing: {', '.join(missing)}; without them the SOP columns cannot be locked"
            " by role.",
        )
    listed = ", ".join(f"{role.value}: {len(emails)}" for role, emails in config.roles.items())
    return Message(listed, listed)


def _protections(register: Audited) -> list[Check]:
    """One warning per protection whose editors differ from [roles]; one ok line when none does."""
    name = Message("editor perlindungan sesuai [roles]", "protection editors match [roles]")
    try:
        differing = register.protection_differences()
    except DipError as error:
        return [Check(name, False, error.msg, error.exit_code)]
    if not differing:
        return [Check(name, True, Message("semua perlindungan dip-sheets sesuai",
                                          "every dip-sheets protection matches"))]
    return [Check(name, True, detail, warning=True) for detail in differing]


def _layout(target: Target) -> Message:
    """The site as publishing will find it: links where folders belong and foreign files fail."""
    site = scan(target)
    guard(target, site, set(), adopt=False)
    others_id = f"; {len(site.foreign)} berkas lain dibiarkan" if site.foreign else ""
    others_en = f"; {len(site.foreign)} other files left alone" if site.foreign else ""
    if site.live is None:
        return Message(f"belum ada versi tayang{others_id}", f"no live version yet{others_en}")
    count = len(site.complete)
    return Message(f"versi {site.live.version} tayang, {count} versi di arsip{others_id}",
                   f"version {site.live.version} live, {count} versions archived{others_en}")


def _probe(target: Target) -> Message:
    name = f".dip-check-{secrets.token_hex(4)}.tmp"
    data = b"dip-sheets check\n"
    target.put(name, data)
    try:
        if target.read(name) != data:
            raise ConfigError("berkas uji terbaca berbeda dari yang ditulis.",
                              "the probe file read back differs from what was written.")
    finally:
        target.remove(name)
    return Message("berkas uji ditulis, dibaca dan dihapus", "probe file written, read and removed")


def _atomic(target: Target) -> Message:
    """Links can be made (a probe link) and the server renames over a name in one step."""
    if not links_possible(target, scan(target)):
        raise DipError(
            f"{target.location} tidak dapat memuat tautan simbolik: versi baru akan diaktifkan berkas"
            " demi berkas, dan sesaat pengunjung bisa mendapat berkas dari dua versi. Pakai folder"
            " di sistem berkas yang mendukung tautan bila memungkinkan.",
            f"{target.location} cannot hold symbolic links: a new version will go live file by file,"
            " and for a moment a visitor may get files of two versions. Use a folder on a filesystem"
            " that supports links if you can.",
        )
    if not target.atomic_replace:
        raise DipError(
            f"Server tidak menyediakan ekstensi SFTP {POSIX_RENAME}: penggantian memakai cara aman"
            " yang sesaat membuat halaman tidak ditemukan. Minta penyedia hosting mengaktifkannya"
            " (OpenSSH memilikinya).",
            f"The server lacks the SFTP extension {POSIX_RENAME}: replacing uses a safe method that"
            " leaves the page missing for a moment. Ask the web host to enable it (OpenSSH has it).",
        )
    return Message("tautan uji dibuat dan dihapus; versi diganti dengan satu rename atomik",
                   "probe link made and removed; versions switch with one atomic rename")
