"""The register as a local ``.xlsx`` workbook, opened by staff in Excel or LibreOffice.

The workbook is the staff's file: dip-sheets never re-saves it through a spreadsheet library (which
would drop what the library does not model: rich text, images, comments, tables, ...). A write
patches only the system cells it sets, the rows it appends and the style index of the cells it
locks, inside the zip (:mod:`.xlsx`); every other member and every other cell keeps its bytes.
Text is written as inline strings, so a cell written by dip-sheets is never a formula.

Values are read with python-calamine. A formula cell reads as the value the spreadsheet program
last calculated and shows (empty if it never calculated one), which is also what the Sheets
backend reads; it is stable from one sync to the next, so a formula never looks like an edit.

Saves are atomic (a temporary file in the same folder, renamed over the original). A write also
keeps what the next read will find, so the run after it reviews that instead of reading the file
again while the file has exactly the bytes saved (:mod:`.workbook_cache`). While another
program has the workbook open (its lock file is present) nothing is read or written: the other
program would overwrite our changes when it saves. The refusal names who holds it when the lock
file says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import schema as s
from .. import scratch
from ..errors import BackendUnavailable, ConfigError
from ..messages import Message
from . import ApplyResult, Cell, Changes, Grid, Layout, Row, Snapshot
from . import workbook_layout as layout_
from .relocating import apply_changes
from .workbook_book import Book, read_bytes, refuse_merged
from .workbook_cache import Pending, SnapshotCache
from .workbook_forecast import Forecast
from .workbook_guide import write_dashboard


class WorkbookRegister:
    """A :class:`~dip_sheets.register.Register` on a local workbook."""

    def __init__(self, path: Path, cache: SnapshotCache | None = None) -> None:
        self.path = path
        self.location = str(path)
        #: where the run that writes keeps what the next read will find (:mod:`.workbook_cache`)
        self.cache = cache
        #: the workbook as the last :meth:`read` found it: the next session takes it instead of
        #: reading and parsing the file again, if the file still has the same bytes
        self._last: _Read | None = None

    # ---- reading ---------------------------------------------------------------------------

    def read(self) -> Snapshot:
        self._last = None
        self._refuse_if_open()
        if not self.path.exists():
            raise ConfigError(
                f"Register '{self.path}' tidak ada. Buat dulu dengan: dip init --local {self.path}",
                f"Register '{self.path}' does not exist. Create it with: dip init --local"
                f" {self.path}",
            )
        data = read_bytes(self.path)
        kept = self.cache.load(hashlib.sha256(data).hexdigest()) if self.cache else None
        if kept is not None:  # written by the last run that wrote these bytes
            self._last = _Read(data, kept, None)
            return kept
        book = Book.from_bytes(data, self.path)
        tabs: dict[str, Grid] = {}
        for tab in s.TABS:
            if tab.name in book.paths:
                rows = book.rows(tab.name)
                sheet = book.sheet(tab.name)
                protected = sheet.protected()
                locked = book.locked_rows(tab, rows) if protected else frozenset[int]()
                tabs[tab.name] = Grid(rows, locked, protected)
        if s.DASHBOARD_TAB in book.paths:
            tabs[s.DASHBOARD_TAB] = Grid(book.rows(s.DASHBOARD_TAB), frozenset(),
                                         book.sheet(s.DASHBOARD_TAB).protected())
        book.release()
        snapshot = Snapshot(tabs)
        self._last = _Read(data, snapshot, book)
        return snapshot

    def _refuse_if_open(self) -> None:
        name = self.path.name
        for lock in (f".~lock.{name}#", f"~${name}", f"~${name[2:]}"):
            lock_path = self.path.parent / lock
            if lock_path.exists():
                holder = lock_holder(lock_path)
                by_id = f" oleh {holder}" if holder else ""
                by_en = f" by {holder}" if holder else ""
                raise BackendUnavailable(
                    f"Register '{name}' sedang dibuka{by_id} di program lain (ada berkas kunci"
                    f" '{lock}'). Tutup Excel/LibreOffice lalu jalankan lagi; bila tidak ada yang"
                    " membukanya, hapus berkas kunci itu. Tidak ada yang ditulis.",
                    f"Register '{name}' is open{by_en} in another program (lock file '{lock}'"
                    " exists). Close Excel/LibreOffice and run again; if nobody has it open, delete"
                    " that lock file. Nothing was written.",
                )

    # ---- writing ---------------------------------------------------------------------------

    def apply(self, changes: Changes) -> ApplyResult:
        return apply_changes(self, changes)

    def session(self, tabs: Sequence[str], locks: bool) -> _Session:
        """The workbook as it is now; nothing reaches the file until the session commits."""
        self._refuse_if_open()
        last, self._last = self._last, None
        data = read_bytes(self.path)
        if last is None or data != last.data:  # changed since it was read: seen as it is now
            return _Session(self, Book.from_bytes(data, self.path), locks)
        book = last.book
        if book is None:  # the read was the snapshot kept for these bytes: its rows are the values
            book = Book.from_bytes(data, self.path, values=False)
            book.grids.update((name, grid.rows) for name, grid in last.snapshot.tabs.items())
        forecast = Forecast(last.snapshot, protect=locks) if self.cache else None
        return _Session(self, book, locks, forecast)

    def _refuse_a_mistyped_folder(self) -> None:
        """A new workbook may get its own folder (``dip-kerja/``), but a path whose folder's parent
        does not exist is a typo: nothing is created there."""
        folder = self.path.parent
        if not folder.is_dir() and not folder.parent.is_dir():
            raise ConfigError(
                f"Folder {folder.parent} untuk register {self.path.name} tidak ada. Periksa path-nya"
                " (mungkin salah ketik), atau buat foldernya dulu bila memang benar; tidak ada yang"
                " dibuat.",
                f"The folder {folder.parent} for the register {self.path.name} does not exist. Check"
                " the path (a typo?), or create the folder first if it is right; nothing was created.",
            )

    def _save(self, write: Callable[[BinaryIO], None]) -> str:
        """Save atomically: temp file in the same folder, flushed, then renamed over the original;
        returns the SHA-256 of the bytes saved (taken from the copy before it is renamed: the file
        is the staff's as soon as it is in place).

        The temporary file is ``flock``-ed while it exists, so a later save can tell the copy a
        killed process left behind (no lock) from one being written right now, and remove it.
        """
        folder = self.path.parent
        folder.mkdir(exist_ok=True)
        # saves of one register run one at a time (the run lock): no copy is being made meanwhile
        scratch.sweep(folder.glob(f".{self.path.name}.*.tmp"))
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        guard = scratch.hold(temp)
        try:
            with os.fdopen(handle, "wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
            digest = hashlib.sha256(Path(temp).read_bytes()).hexdigest()
            if self.path.exists():
                os.chmod(temp, self.path.stat().st_mode & 0o777)
            else:
                os.chmod(temp, 0o644)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        finally:
            os.close(guard)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return digest

    # ---- creating ---------------------------------------------------------------------------

    def init(self, layout: Layout) -> list[Message]:
        """Create the workbook, or repair an existing one in place; report what was done."""
        done: list[Message] = []
        if self.path.exists():
            self._refuse_if_open()
            book = Book.open(self.path)
        else:
            self._refuse_a_mistyped_folder()
            book = Book.from_bytes(layout_.new_workbook([t.name for t in layout.tabs]), self.path)
            done.append(Message(f"Workbook baru dibuat: {self.path}", f"New workbook created: {self.path}"))
        done += layout_.repair(book, layout)
        if book.changed or not self.path.exists():
            self._save(book.save)
        return done


@dataclass
class _Read:
    """What :meth:`WorkbookRegister.read` found: the file's bytes, the snapshot it returned, and the
    book it parsed (``None``: the snapshot was the one kept for these bytes)."""

    data: bytes
    snapshot: Snapshot
    book: Book | None


@dataclass
class _Session:
    """One batch on the workbook (see :mod:`.relocating`): patched in memory, saved at commit; with
    a ``forecast``, what the next read will find is kept too (:mod:`.workbook_cache`)."""

    register: WorkbookRegister
    book: Book
    locks: bool
    forecast: Forecast | None = None
    #: the snapshot written, waiting for the save
    pending: Pending | None = None

    def rows(self, tab: str) -> list[Row]:
        return self.book.rows(tab)

    def write(self, tab: str, cells: Mapping[tuple[int, int], Cell]) -> None:
        refuse_merged(tab, self.book.sheet(tab), ((r + 1, c + 1, v) for (r, c), v in cells.items()))
        self._changing()
        for (row, column), value in cells.items():
            self.book.set(tab, row + 1, column + 1, value)

    def append(self, tab: str, rows: Sequence[Mapping[int, Cell]]) -> None:
        self._changing()
        self.book.append(tab, rows, staff=False)

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        definition, grid = s.TAB_BY_NAME[tab], self.book.rows(tab)
        self.book.lock_rows(definition, s.locate_columns(definition, grid[0]), grid, rows)
        if forecast := self._changing():
            forecast.lock(tab, rows)

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        # the forecast is complete with this tab (replaced tabs come last): kept now, while the rows
        # as read are at hand; then they go (at 100,000 rows tens of MB held while the new tab is
        # made and the workbook saved; a tab asked for again is read again)
        if forecast := self._changing():
            forecast.replace(tab, rows)
            self._keep()
        self.book.grids.clear()
        write_dashboard(self.book, rows)

    def commit(self) -> list[Message]:
        self._keep()
        self.book.grids.clear()  # as in replace: every write is queued, saving needs no values
        notices = self.book.protect_all() if self.locks else []
        try:
            digest = self.register._save(self.book.save)
        except BaseException:
            if self.pending:
                self.pending.abandon()
            raise
        if self.pending:
            self.pending.saved(digest)
        return notices

    def _changing(self) -> Forecast | None:
        """The forecast while it runs; a change after its snapshot was written drops the snapshot."""
        if self.forecast is None and self.pending is not None:
            self.pending.abandon()
            self.pending = None
        return self.forecast

    def _keep(self) -> None:
        """Write the snapshot the forecast and the book's queued edits make (:mod:`.workbook_cache`),
        and let go of the rows as read."""
        forecast, self.forecast = self.forecast, None
        tabs = forecast.tabs(self.book) if forecast else None
        cache = self.register.cache
        if cache and tabs is not None:
            self.pending = cache.keep(tabs)


def lock_holder(lock: Path) -> str:
    """Who holds the workbook, as its lock file says ("" when it does not say).

    LibreOffice writes ``Full Name,user,host,date,profile;``; Excel's ``~$`` owner file starts with
    the user name's length and the name (in the ANSI code page), and repeats it in UTF-16 at byte 56.
    """
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return ""
    if lock.name.startswith(".~lock."):
        fields = data.decode("utf-8", "replace").split(",")
        name = fields[0].strip() or (fields[1].strip() if len(fields) > 1 else "")
        extra = [f.strip() for f in fields[2:4] if f.strip()]
        who = f"{name} ({', '.join(extra)})" if name and extra else name
    else:
        size = data[0] if data else 0
        who = ""
        if 0 < size <= 53 and len(data) >= 56 + 2 * size and data[54] == size:
            who = data[56:56 + 2 * size].decode("utf-16-le", "replace")
        elif 0 < size <= 53 and len(data) > size:
            who = data[1:1 + size].decode("cp1252", "replace")
    return re.sub(r"[^\w .,@()'-]", "", who).strip()[:80]


def append_rows(path: Path, tab_name: str, rows: Sequence[dict[str, Cell]]) -> None:
    """Add rows as a person would type them (the demo's sample data, and tests).

    This writes staff-owned cells, so the sync never calls it; the cells stay editable.
    """
    register = WorkbookRegister(path)
    register._refuse_if_open()
    book = Book.open(path)
    tab = s.TAB_BY_NAME[tab_name]
    columns = s.locate_columns(tab, book.rows(tab_name)[0])
    book.append(tab_name, [{columns[h]: v for h, v in values.items() if h in columns}
                           for values in rows], staff=True)
    register._save(book.save)
