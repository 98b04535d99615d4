"""``dip check``: verify a configuration without changing anything in the register.

Each check is one line, ok or what to fix, so an office's IT person can work down the list. The
only write is a small probe file on the publishing target (created and removed again) to prove the
folder is writable.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from . import schema as s
from .config import Config
from .connect import open_register, open_target
from .errors import ConfigError, DipError
from .register import Register, Snapshot
from .targets import Target


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    exit_code: int = 0


def run_checks(config: Config, lang: str = "id") -> list[Check]:
    """Run every check that applies to ``config``; later checks are skipped when they cannot run."""
    results: list[Check] = []

    def attempt(name: str, action: Callable[[], str]) -> bool:
        try:
            detail = action()
        except DipError as error:
            results.append(Check(name, False, error.message(lang), error.exit_code))
            return False
        except OSError as error:
            results.append(Check(name, False, str(error), 1))
            return False
        results.append(Check(name, True, detail))
        return True

    results.append(Check("konfigurasi", True, f"register '{config.name}'"))
    opened: list[Register] = []
    snapshot: list[Snapshot] = []

    def open_reg() -> str:
        opened.append(open_register(config))
        return opened[0].location

    def read_reg() -> str:
        snapshot.append(opened[0].read())
        return f"{len(snapshot[0].tabs)} tab terbaca"

    def layout() -> str:
        for tab in s.TABS:
            grid = snapshot[0].tabs.get(tab.name)
            if grid is None:
                raise ConfigError(f"tab '{tab.name}' tidak ada; jalankan 'dip init'.",
                                  f"tab '{tab.name}' is missing; run 'dip init'.")
            s.locate_columns(tab, grid.rows[0] if grid.rows else [])
        return "semua tab dan kolom ada"

    if attempt("register dapat dibuka", open_reg) and attempt("register dapat dibaca", read_reg):
        attempt("tata letak register", layout)
    if config.register.backend == "sheets":
        attempt("peran (roles) diisi", lambda: _roles(config))
    target: list[Target] = []

    def open_tgt() -> str:
        target.append(open_target(config))
        return target[0].location

    if attempt("situs tujuan terhubung", open_tgt):
        attempt("folder situs dapat ditulis", lambda: _probe(target[0]))
        target[0].close()
    return results


def _roles(config: Config) -> str:
    missing = [role.value for role in (s.Role.UNIT, s.Role.DESK, s.Role.PPID) if not config.roles.get(role)]
    if missing:
        raise ConfigError(
            f"[roles] belum mengisi: {', '.join(missing)}; tanpa itu kolom SOP tidak dapat dikunci"
            " per peran.",
            f"[roles] is missing: {', '.join(missing)}; without them the SOP columns cannot be locked"
            " by role.",
        )
    return ", ".join(f"{role.value}: {len(emails)}" for role, emails in config.roles.items())


def _probe(target: Target) -> str:
    name = f".dip-check-{secrets.token_hex(4)}.tmp"
    data = b"dip-sheets check\n"
    target.put(name, data)
    try:
        if target.read(name) != data:
            raise ConfigError("berkas uji terbaca berbeda dari yang ditulis.",
                              "the probe file read back differs from what was written.")
    finally:
        target.remove(name)
    return "berkas uji ditulis, dibaca dan dihapus"
