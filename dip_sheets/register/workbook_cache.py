"""The register as the last run that wrote it will read it, kept so the next run need not read the
file again while it has exactly those bytes.

A sync that wrote (IDs, notes, locks) leaves a register the next sync must review in full: its run
memo (:mod:`dip_sheets.run_memo`) is of the bytes before the write. Reading 10,000 rows back with
python-calamine is as long as the review itself; the writer knows what it wrote
(:mod:`.workbook_forecast`), so it keeps that here, keyed on the SHA-256 of the bytes it saved. A
run whose file has other bytes (staff saved it, a backup was restored) reads the file, as always.

The file (``memo-register-<office>.json`` in the state folder) is a header line (format, version,
the dip-sheets and python-calamine that made it, the register's SHA-256), for each tab a line with
its name, its rows in lines of :data:`CHUNK` rows and a line with its locked rows and protection,
and a last line with the SHA-256 of the lines between: a torn, edited or foreign file is ignored
(the register is read). It is written beside its final name before the register is saved, its
header then given the saved bytes' SHA-256 and the file renamed into place, so a reader never sees
half of one, nor one of bytes never saved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import Cell, Grid, Row, Snapshot
from .workbook_book import cell_reader
from .workbook_forecast import TabAfter, Uncertain

log = logging.getLogger(__name__)

FORMAT = "dip-sheets register snapshot"
VERSION = 1
#: rows per line: each line is encoded and decoded by the json module's C code in one call
CHUNK = 1000
#: the header's place for the register's SHA-256, filled in once the register is saved
_UNSAVED = "0" * 64


@dataclass(frozen=True)
class SnapshotCache:
    """Where one register's snapshot is kept, and what made it (``made_by``: the installed
    dip-sheets; a snapshot another version made is never taken). ``made_by`` is asked only when a
    snapshot is read or written: opening the register (``dip init``, ``dip check``) digests nothing."""

    path: Path
    made_by: Callable[[], str]

    def load(self, register_sha256: str) -> Snapshot | None:
        """The snapshot kept for a register of these bytes, or None (read the register)."""
        try:
            with self.path.open("rb") as file:
                header = file.readline()
                if json.loads(header) != self._header(register_sha256):
                    return None
                return _read_tabs(file)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def keep(self, tabs: Sequence[TabAfter]) -> Pending | None:
        """Start keeping the register as ``tabs`` forecast it (it is about to be saved): written now,
        while the rows it is made from are at hand, and put in place by :meth:`Pending.saved` with
        the saved bytes' SHA-256. None when a row turns out not to be certain, or it cannot be
        written."""
        temp = self.path.with_name(f".{self.path.name}.tmp")  # one run of an office at a time
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temp.open("wb") as file:
                _write(file, self._header(_UNSAVED), tabs)
        except Uncertain:
            temp.unlink(missing_ok=True)
            return None
        except (OSError, ValueError) as error:  # without it the next run reads the file, nothing worse
            log.warning("register snapshot not kept (%s): %s", self.path, error)
            temp.unlink(missing_ok=True)
            return None
        return Pending(self, temp)

    def _header(self, register_sha256: str) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "made_by": self.made_by(),
                "calamine": _calamine(), "register_sha256": register_sha256}


@dataclass(frozen=True)
class Pending:
    """A snapshot written beside its place, waiting for the register's save."""

    cache: SnapshotCache
    temp: Path

    def saved(self, register_sha256: str) -> None:
        """The register was saved with these bytes: the snapshot takes its place."""
        try:
            with self.temp.open("r+b") as file:  # the header keeps its length: only the digest changes
                file.write(json.dumps(self.cache._header(register_sha256)).encode())
            os.replace(self.temp, self.cache.path)
        except OSError as error:
            log.warning("register snapshot not kept (%s): %s", self.cache.path, error)
            self.abandon()

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.temp.unlink(missing_ok=True)


@functools.cache
def _calamine() -> str:
    """The python-calamine reading the register: another may read the same bytes otherwise."""
    return importlib.metadata.version("python-calamine")


def _encode(value: object) -> dict[str, str]:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    raise TypeError(f"a cell of type {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Cell:
    return dt.datetime.fromisoformat(value["datetime"])


def _write(file: IO[bytes], header: dict[str, Any], tabs: Sequence[TabAfter]) -> None:
    """The header, then for each tab its name and number of lines, its rows :data:`CHUNK` to a line,
    and the rows it reads as locked with its protection (known once its rows are made)."""
    file.write(json.dumps(header).encode() + b"\n")
    body = hashlib.sha256()

    def line(value: object) -> None:
        data = json.dumps(value, default=_encode, separators=(",", ":")).encode() + b"\n"
        body.update(data)
        file.write(data)

    for tab in tabs:
        chunks = range(0, tab.length, CHUNK)
        line({"tab": tab.name, "lines": len(chunks)})
        candidates, locked = tab.locked, []
        for start in chunks:
            rows = [tab.row(i) for i in range(start, min(start + CHUNK, tab.length))]
            locked += [i for i in range(max(start, 1), start + len(rows))
                       if i in candidates and rows[i - start]]
            line(rows)
        line({"locked": locked, "protected": tab.protected})
    file.write(json.dumps({"sha256": body.hexdigest()}).encode() + b"\n")


def _read_tabs(file: IO[bytes]) -> Snapshot | None:
    """The tabs after the header, checked against the last line's SHA-256 of the lines between."""
    seen = hashlib.sha256()
    decoder = json.JSONDecoder(object_hook=_decode)
    cell = cell_reader()  # a text repeated anywhere held once, as a read of the file holds it
    tabs: dict[str, Grid] = {}
    lines: Iterator[bytes] = iter(file)
    for line in lines:
        head = json.loads(line)
        if "sha256" in head:
            return Snapshot(tabs) if head["sha256"] == seen.hexdigest() else None
        seen.update(line)
        rows: list[Row] = []
        for _ in range(head["lines"]):
            chunk = next(lines, b"")  # none: torn, and not JSON
            seen.update(chunk)
            rows += [list(map(cell, row)) for row in decoder.decode(chunk.decode("ascii"))]
        tail = next(lines, b"")
        seen.update(tail)
        end = json.loads(tail)
        tabs[str(head["tab"])] = Grid(rows or [[]], frozenset(end["locked"]), bool(end["protected"]))
    return None  # no last line: torn
