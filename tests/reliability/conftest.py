"""Shared oracles and builders of the reliability suite.

The oracles say, on the bytes actually on disk (a local folder, or the folder the test sshd serves),
what the promises mean: the live site serves one whole version, nothing published is lost, a
marker never shows up where it must not. The builders make registers, configurations and a Sheets
emulator that a whole test module shares (hypothesis cannot use function-scoped fixtures).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.oauth2 import service_account
from openpyxl import load_workbook

from dip_sheets import render
from dip_sheets import schema as s
from dip_sheets.publish import ARCHIVE, MANIFEST
from dip_sheets.register import Cell, Layout
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from tests.conftest import UNITS, readable_parts
from tests.sheets_emulator import Book, ServiceAccount, SheetsEmulator, column_letters

PPID = "ppid@kpu-contoh.go.id"
DESK = "desk@kpu-contoh.go.id"
ROLES = {s.Role.PPID: (PPID,), s.Role.DESK: (DESK,)}
LAYOUT = Layout(s.TABS, UNITS, ROLES)
STAFF_TABS = (s.DIP_TAB, s.DIK_TAB)


def staff_headers(tab: str) -> list[str]:
    """The headers of ``tab`` that people own: the sync must never write them."""
    return [c.header for c in s.TAB_BY_NAME[tab].columns if c.owner is not s.Role.SYSTEM]


@pytest.fixture(scope="module", autouse=True)
def compiled_templates_once() -> Iterator[None]:
    """Keep one Jinja environment per test module of this folder (undone when the module ends).

    ``render.environment()`` builds a new environment, and so compiles every template again, on
    each call (about 70 ms a publish, twice per publish); these tests publish hundreds of times.
    The environment's settings are unchanged, only reused; subprocesses are not affected.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "environment", functools.cache(render.environment))
        yield


# ---- the published site ------------------------------------------------------------------------


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_containing(files: Mapping[str, bytes], token: bytes) -> list[str]:
    return [name for name, body in files.items() if any(token in part for part in readable_parts(body))]


def _manifest(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) and "version" in document else None


def complete_versions(root: Path) -> dict[str, dict[str, Any]]:
    """Archived versions whose manifest is present and whose every file matches it."""
    found: dict[str, dict[str, Any]] = {}
    archive = root / ARCHIVE
    for folder in sorted(archive.iterdir()) if archive.is_dir() else []:
        path = folder / MANIFEST
        document = _manifest(path.read_bytes() if path.is_file() else None)
        if document is None or document["version"] != folder.name:
            continue
        if all((folder / name).is_file() and sha((folder / name).read_bytes()) == meta["sha256"]
               for name, meta in document["files"].items()):
            found[folder.name] = document
    return found


def live_files(root: Path) -> dict[str, bytes]:
    """The files a visitor can fetch from the site's root (temporary dot-files excluded)."""
    return {p.name: p.read_bytes() for p in root.iterdir() if p.is_file() and not p.name.startswith(".")}


def assert_serves_one_version(root: Path) -> str:
    """What must hold even right after a run was cut short; returns the live version.

    The live manifest names a complete archived version, every file it lists is live, and every live
    file is, byte for byte, that file of the live version or of another complete version (the one
    being switched to): a visitor never gets half a file or a file no manifest vouches for.
    """
    live = _manifest((root / MANIFEST).read_bytes() if (root / MANIFEST).is_file() else None)
    assert live is not None, f"no readable live {MANIFEST} in {root}"
    complete = complete_versions(root)
    assert live["version"] in complete, f"live version {live['version']} is not completely archived"
    assert (root / ARCHIVE / live["version"] / MANIFEST).read_bytes() == (root / MANIFEST).read_bytes()
    allowed: dict[str, set[str]] = {}
    for document in complete.values():
        for name, meta in document["files"].items():
            allowed.setdefault(name, set()).add(meta["sha256"])
    served = live_files(root)
    for name in live["files"]:
        assert name in served, f"{name} listed by the live manifest is missing"
    for name, body in served.items():
        if name == MANIFEST:
            continue
        assert sha(body) in allowed.get(name, set()), f"live {name} is not a whole file of any version"
    return str(live["version"])


def assert_fully_live(root: Path) -> str:
    """After a run that completed: every live file is the live version's, nothing left over."""
    version = assert_serves_one_version(root)
    live = json.loads((root / MANIFEST).read_bytes())
    served = live_files(root)
    assert set(served) == {*live["files"], MANIFEST}, "leftover or missing live files"
    for name, meta in live["files"].items():
        assert sha(served[name]) == meta["sha256"], name
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left: {leftovers}"
    archived = {p.name for p in (root / ARCHIVE).iterdir()}
    assert archived == set(complete_versions(root)), "an incomplete archive folder was left"
    return version


# ---- the workbook register ----------------------------------------------------------------------


def workbook_staff_cells(path: Path) -> dict[tuple[str, int, str], Cell]:
    """Every staff-owned cell of the DIP and DIK tabs, by (tab, row index, header)."""
    book = load_workbook(path, read_only=True)
    try:
        cells: dict[tuple[str, int, str], Cell] = {}
        for tab in STAFF_TABS:
            rows = [list(r) for r in book[tab].iter_rows(values_only=True)]
            columns = s.locate_columns(s.TAB_BY_NAME[tab], rows[0])
            for index, row in enumerate(rows[1:], start=1):
                for header in staff_headers(tab):
                    column = columns[header]
                    value = row[column] if column < len(row) else None
                    if value is not None:
                        cells[(tab, index, header)] = value
        return cells
    finally:
        book.close()


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_toml(path: Path, sections: Mapping[str, Mapping[str, object]]) -> Path:
    """A ``dip.toml`` from plain sections (``{"register": {...}, "publish.sftp": {...}}``)."""
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---- the Sheets emulator, shared by a module ---------------------------------------------------


@dataclass
class SheetsWorld:
    """One emulator and service account for a whole module; a fresh spreadsheet per case."""

    emu: SheetsEmulator
    account: ServiceAccount
    #: spreadsheets made by :meth:`once`, by the name of the function that made them
    templates: dict[str, str] = dataclasses.field(default_factory=dict)

    @functools.cached_property
    def credentials(self) -> service_account.Credentials:
        return load_credentials(SheetsSettings("", self.account.path))

    def register(self, sid: str, **settings: Any) -> SheetsRegister:
        """A new register object (no cached metadata), with quick retries unless told otherwise.

        The timeout is long (10 s) so that a busy machine, e.g. one pytest-xdist worker per core
        plus other work, never times a request out by itself; timeout tests set their own."""
        fast: dict[str, Any] = {"timeout": 10.0, "retry_budget": 5.0, "max_retries": 6,
                                "backoff_base": 0.001, "backoff_cap": 0.01, "roles": ROLES,
                                "api_url": self.emu.base_url}
        return SheetsRegister(SheetsSettings(sid, self.account.path, **{**fast, **settings}),
                              self.credentials)

    def new_register(self, rows: int = 60) -> str:
        """A spreadsheet shared with the account and laid out by ``init``.

        Its tabs hold ``rows`` rows (Google's default is 1000): the emulator copies the whole file
        for every ``:batchUpdate``, so small grids keep the suite fast, and appending past the
        end exercises the sync's "grow the grid" path.
        """
        sid = self.emu.create_spreadsheet({t.name: [list(t.headers)] for t in s.TABS}, rows=rows,
                                          shared_with=[self.account.email])
        self.register(sid).init(LAYOUT)
        return sid

    def clone(self, template: str) -> str:
        """A new spreadsheet whose whole state (cells, row metadata, protections, sharing, id
        counters) is a deep copy of ``template``'s, with the request log emptied: cases that each
        need the same prepared register get it without running its layout and sync again."""
        sid = self.emu.create_spreadsheet()
        book, original = self.emu.book(sid), self.emu.book(template)
        for part in dataclasses.fields(Book):
            if part.name != "spreadsheet_id":
                setattr(book, part.name, copy.deepcopy(getattr(original, part.name)))
        self.emu.reset_log()
        return sid

    def once(self, make: Callable[[SheetsWorld], str]) -> str:
        """A :meth:`clone` of the spreadsheet ``make`` prepares, which runs once per world (module):
        for cases that each start from the same prepared register, e.g. one per request position."""
        name = f"{make.__module__}.{make.__qualname__}"
        if name not in self.templates:
            self.templates[name] = make(self)
        return self.clone(self.templates[name])

    def header(self, sid: str, tab: str) -> list[str]:
        return [str(h) for h in self.emu.tab_values(sid, tab)[0]]

    def put_row(self, sid: str, tab: str, row: int, values: Mapping[str, Cell]) -> None:
        """A person types ``values`` into 1-based ``row`` (stored as typed, RAW)."""
        header = self.header(sid, tab)
        for name, value in values.items():
            self.emu.set_cell(sid, tab, f"{column_letters(header.index(name))}{row}", value)

    def state(self, sid: str) -> dict[str, Any]:
        """What a person sees: every tab's values, and the protections by tab (ids left out)."""
        titles = {self.emu.tab_properties(sid, t.name)["sheetId"]: t.name for t in s.TABS}
        protections = []
        for p in self.emu.protections(sid):
            area = p["range"]
            protections.append((
                titles.get(area.get("sheetId", 0), "?"), p.get("description", ""),
                area.get("startRowIndex", 0), area.get("endRowIndex"),
                area.get("startColumnIndex", 0), area.get("endColumnIndex"),
                bool(p.get("warningOnly")), tuple(sorted((p.get("editors") or {}).get("users", []))),
                len(p.get("unprotectedRanges", [])),
            ))
        return {"values": {t.name: self.emu.tab_values(sid, t.name) for t in s.TABS},
                "protections": sorted(protections, key=repr)}


@pytest.fixture(scope="module")
def sheets_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SheetsWorld]:
    """An emulator for the whole module. Registers made by :meth:`SheetsWorld.register` are given
    its address; gspread's module-wide URLs also point at it until the module ends, for the runs
    of ``dip`` from a dip.toml."""
    with SheetsEmulator() as emu, emu.redirect_gspread():
        yield SheetsWorld(emu, emu.service_account(tmp_path_factory.mktemp("akun")))
