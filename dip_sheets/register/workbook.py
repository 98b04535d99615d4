"""The register as a local ``.xlsx`` workbook, opened by staff in Excel or LibreOffice.

The workbook is the staff's file: dip-sheets never re-saves it through a spreadsheet library (which
would drop what the library does not model: rich text, images, comments, tables, ...). A write
patches only the system cells it sets, the rows it appends and the style index of the cells it
locks, inside the zip (:mod:`.xlsx`); every other member and every other cell keeps its bytes.
Text is written as inline strings, so a cell written by dip-sheets is never a formula.

Values are read with python-calamine. A formula cell reads as the value the spreadsheet program
last calculated and shows (empty if it never calculated one), which is also what the Sheets
backend reads; it is stable from one sync to the next, so a formula never looks like an edit.

Saves are atomic (a temporary file in the same folder, renamed over the original). While another
program has the workbook open (its lock file is present) nothing is read or written: the other
program would overwrite our changes when it saves. The refusal names who holds it when the lock
file says so.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import python_calamine

from .. import schema as s
from ..errors import BackendUnavailable, ConfigError, LayoutError
from ..messages import Message
from . import (
    ApplyResult,
    Cell,
    CellWrite,
    Changes,
    Grid,
    Layout,
    Row,
    RowAnchor,
    Snapshot,
    anchors_after,
    relocate,
)
from . import workbook_layout as layout_
from .xlsx import Package
from .xlsx_sheet import Format, Styles, Worksheet

#: Excel's built-in number formats for a date and a date with time.
DATE_FORMAT, DATETIME_FORMAT = 14, 22


class WorkbookRegister:
    """A :class:`~dip_sheets.register.Register` on a local workbook."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    # ---- reading ---------------------------------------------------------------------------

    def read(self) -> Snapshot:
        self._refuse_if_open()
        if not self.path.exists():
            raise ConfigError(
                f"Register '{self.path}' tidak ada. Buat dulu dengan: dip init --local {self.path}",
                f"Register '{self.path}' does not exist. Create it with: dip init --local"
                f" {self.path}",
            )
        book = _Book.open(self.path)
        tabs: dict[str, Grid] = {}
        for tab in s.TABS:
            if tab.name in book.paths:
                rows = book.rows(tab.name)
                sheet = book.sheet(tab.name)
                protected = sheet.protected()
                locked = book.locked_rows(tab, rows) if protected else frozenset[int]()
                tabs[tab.name] = Grid(rows, locked, protected)
        return Snapshot(tabs)

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
        if not changes:
            return ApplyResult(0, 0)
        self._refuse_if_open()
        book = _Book.open(self.path)
        written, appended = 0, 0
        skipped: list[CellWrite] = []
        anchors: dict[RowAnchor, RowAnchor] = {}
        locks = changes.locks or {}
        for name in sorted({w.anchor.tab for w in changes.writes} | set(locks)):
            tab = s.TAB_BY_NAME[name]
            grid = book.rows(name)
            sheet = book.sheet(name)
            writes = [w for w in changes.writes if w.anchor.tab == name]
            # Every anchor is resolved against the sheet as it is now, before any write of this
            # batch changes a row's key (assigning an ID does).
            where = relocate(tab, [*(w.anchor for w in writes), *locks.get(name, ())], grid)
            columns = s.locate_columns(tab, grid[0])
            targets: list[tuple[int, int, Cell]] = []
            for write in writes:
                row = where[write.anchor]
                if row is None:
                    skipped.append(write)
                else:
                    targets.append((row + 1, columns[write.header] + 1, write.value))
            _refuse_merged(name, sheet, targets)
            for row_number, column, value in targets:
                book.set(name, row_number, column, value)
            written += len(targets)
            anchors.update(anchors_after(tab, grid, where, writes))
            if name in locks:
                wanted = frozenset(i for i in (where[a] for a in locks[name]) if i is not None)
                book.lock_rows(tab, columns, grid, wanted)
        for name, rows in changes.appends.items():
            if rows:
                appended += book.append(name, rows, staff=False)
        notices = book.protect_all() if changes.locks is not None else []
        self._save(book.save)
        return ApplyResult(written, appended, tuple(skipped), tuple(notices), anchors)

    def _save(self, write: Callable[[BinaryIO], None]) -> None:
        """Save atomically: temp file in the same folder, flushed, then renamed over the original.

        The temporary file is ``flock``-ed while it exists, so a later save can tell the copy a
        killed process left behind (no lock) from one being written right now, and remove it.
        """
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned_copies()
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        guard = os.open(temp, os.O_RDONLY)
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            with os.fdopen(handle, "wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
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

    def _remove_abandoned_copies(self) -> None:
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                handle = os.open(leftover, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another process is saving right now
            else:
                leftover.unlink(missing_ok=True)
            finally:
                os.close(handle)

    # ---- creating ---------------------------------------------------------------------------

    def init(self, layout: Layout) -> list[Message]:
        """Create the workbook, or repair an existing one in place; report what was done."""
        done: list[Message] = []
        if self.path.exists():
            self._refuse_if_open()
            book = _Book.open(self.path)
        else:
            book = _Book.from_bytes(layout_.new_workbook([t.name for t in layout.tabs]), self.path)
            done.append(Message(f"Workbook baru dibuat: {self.path}", f"New workbook created: {self.path}"))
        done += layout_.repair(book, layout)
        if book.changed or not self.path.exists():
            self._save(book.save)
        return done


# ---- the open workbook ----------------------------------------------------------------------------


@dataclass
class _Book:
    """One workbook as read for this call: its zip members, values, and the sheets being patched."""

    package: Package
    values: python_calamine.CalamineWorkbook
    location: Path
    paths: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    _styles: Styles | None = None
    grids: dict[str, list[Row]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> _Book:
        try:
            data = path.read_bytes()
        except PermissionError:
            raise BackendUnavailable(
                f"Register '{path}' tidak dapat dibuka (izin ditolak).",
                f"Cannot open register '{path}' (permission denied).",
            ) from None
        return cls.from_bytes(data, path)

    @classmethod
    def from_bytes(cls, data: bytes, path: Path) -> _Book:
        try:
            package = Package(io.BytesIO(data))
            book = cls(package, python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)), path)
            book.paths = package.sheets()
            book.styles  # noqa: B018  # a workbook without styles.xml is not one Excel wrote
        except Exception as exc:  # zipfile, calamine and the XML parts raise many types
            raise ConfigError(
                f"Register '{path}' bukan workbook .xlsx yang dapat dibaca ({type(exc).__name__})."
                " Pulihkan dari cadangan atau simpan ulang sebagai .xlsx.",
                f"Register '{path}' is not a readable .xlsx workbook ({type(exc).__name__})."
                " Restore it from a backup or save it again as .xlsx.",
            ) from None
        return book

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            self._styles = Styles(self.package.read("xl/styles.xml"))
        return self._styles

    def sheet(self, name: str) -> Worksheet:
        if name not in self.sheets:
            self.sheets[name] = Worksheet(self.package.read(self.paths[name]))
        return self.sheets[name]

    def rows(self, name: str) -> list[Row]:
        """The tab's values from A1, trailing empty cells and rows dropped (at least one row)."""
        if name not in self.grids:
            rows: list[Row] = []
            if name in self.values.sheet_names:
                sheet = self.values.get_sheet_by_name(name)
                for raw in sheet.to_python(skip_empty_area=False):
                    values: Row = [v if type(v) is str and v else _value(v) for v in raw]
                    while values and values[-1] is None:
                        values.pop()
                    rows.append(values)
            while len(rows) > 1 and not rows[-1]:
                rows.pop()
            self.grids[name] = rows or [[]]
        return self.grids[name]

    def add_sheet(self, name: str, xml: bytes, hidden: bool = False) -> None:
        self.paths[name] = self.package.add_sheet(name, xml, hidden)
        self.grids[name] = [[]]

    @property
    def changed(self) -> bool:
        return bool(self.package.changed) or any(w.changed for w in self.sheets.values()) or (
            self._styles is not None and self._styles.changed)

    # ---- cells -------------------------------------------------------------------------------

    def set(self, name: str, row: int, column: int, value: Cell, style: int | None = None) -> None:
        """Write one cell; a new cell takes its column's style, as Excel does."""
        sheet = self.sheet(name)
        if style is None and sheet.style(row, column) is None:
            style = sheet.column_styles().get(column)
        sheet.set(row, column, value, style)

    def base_style(self, name: str, row: int, column: int) -> int:
        sheet = self.sheet(name)
        found = sheet.style(row, column)
        return found if found is not None else sheet.column_styles().get(column, 0)

    def append(self, name: str, rows: Sequence[Mapping[str, Cell]], staff: bool) -> int:
        """Add rows after the last row holding a value; ``staff`` rows stay editable."""
        tab = s.TAB_BY_NAME[name]
        grid = self.rows(name)
        columns = s.locate_columns(tab, grid[0])
        number = layout_.last_used_row(grid) + 2
        editable = {columns[c.header] + 1 for c in tab.columns if c.owner is not s.Role.SYSTEM}
        for values in rows:
            for header, index in columns.items():
                column = index + 1
                value = values.get(header)
                if staff and column in editable:
                    style = self.styles.derive(self.base_style(name, number, column), Format(
                        locked=False, number_format=_date_format(value)))
                    self.set(name, number, column, value, style)
                elif header in values:
                    style = None
                    if (date_format := _date_format(value)) is not None:
                        style = self.styles.derive(self.base_style(name, number, column),
                                                   Format(number_format=date_format))
                    self.set(name, number, column, value, style)
            number += 1
        return len(rows)

    # ---- locks and protection ----------------------------------------------------------------

    def locked_rows(self, tab: s.Tab, rows: Sequence[Row]) -> frozenset[int]:
        """Rows (0-based) whose first staff cell carries a locked cell format of its own."""
        probe = layout_.lock_probe(tab)
        if probe is None or not rows:
            return frozenset()
        positions = {s.normalize_header(v): i for i, v in enumerate(rows[0])}
        column = positions.get(s.normalize_header(probe))
        if column is None:
            return frozenset()
        found = set()
        for number, style in layout_.column_cell_styles(self.sheet(tab.name), column + 1):
            index = number - 1
            if 0 < index < len(rows) and rows[index] and style and self.styles.locked(style):
                found.add(index)
        return frozenset(found)

    def lock_rows(
        self, tab: s.Tab, columns: Mapping[str, int], grid: Sequence[Row], wanted: frozenset[int]
    ) -> None:
        """Lock (and shade) the staff cells of exactly the ``wanted`` rows; unlock the rest.

        Only rows whose state differs are touched, so the work follows the established rows,
        never the size of the sheet.
        """
        locked = self.locked_rows(tab, grid)
        shade = self.styles.fill(layout_.LOCKED_FILL)
        staff = [columns[c.header] + 1 for c in tab.columns if c.owner is not s.Role.SYSTEM]
        for index in sorted(locked ^ wanted):
            lock = index in wanted
            for column in staff:
                base = self.base_style(tab.name, index + 1, column)
                fill = shade if lock else (0 if self.styles.fill_of(base) == shade else None)
                self.sheet(tab.name).set_style(
                    index + 1, column, self.styles.derive(base, Format(locked=lock, fill=fill)))

    def protect_all(self) -> list[Message]:
        """Put back the protection of every register tab that lost it (staff unprotect to sort)."""
        notices = []
        for name in (*(t.name for t in s.TABS), layout_.CHOICES_TAB):
            if name in self.paths and layout_.protect(self.sheet(name)):
                notices.append(Message(
                    f"Proteksi tab '{name}' dipasang kembali (tadi dilepas, mis. untuk"
                    " mengurutkan). Lepaskan hanya sebentar, lalu jalankan sinkronisasi.",
                    f"Protection of tab '{name}' put back (it had been removed, e.g. to sort)."
                    " Remove it only briefly, then run a sync.",
                ))
        return notices

    # ---- saving ------------------------------------------------------------------------------

    def save(self, stream: BinaryIO) -> None:
        for name, sheet in self.sheets.items():
            if sheet.changed:
                self.package.write(self.paths[name], sheet.xml())
                if sheet.overwrote_formula:
                    self.package.forget_calc_chain()
        if self._styles is not None and self._styles.changed:
            self.package.write("xl/styles.xml", self._styles.xml())
        self.package.save(stream)


def _refuse_merged(name: str, sheet: Worksheet, targets: Iterable[tuple[int, int, Cell]]) -> None:
    """A merged range over a cell dip-sheets writes hides it: refuse, naming the range."""
    ranges = sheet.merged()
    hit = sorted({ref for row, column, _ in targets for ref, r1, c1, r2, c2 in ranges
                  if r1 <= row <= r2 and c1 <= column <= c2})
    if hit:
        names = ", ".join(hit)
        raise LayoutError(
            f"Tab '{name}': sel gabungan (merge) {names} menutupi kolom yang diisi dip-sheets. Pilih"
            " sel itu lalu batalkan penggabungannya (Unmerge / Pisahkan Sel), lalu jalankan lagi."
            " Tidak ada yang ditulis.",
            f"Tab '{name}': merged cells {names} cover a column dip-sheets writes. Select them and"
            " unmerge them, then run again. Nothing was written.",
        )


def _value(value: object) -> Cell:
    """A calamine value as the register's cell type: empty is ``None``, whole numbers are ``int``,
    a date is a ``datetime`` at midnight (as openpyxl read it, so stored fingerprints still match)."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def _date_format(value: object) -> int | None:
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT if value.time() != dt.time() else DATE_FORMAT
    return DATE_FORMAT if isinstance(value, dt.date) else None


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
    book = _Book.open(path)
    book.append(tab_name, rows, staff=True)
    register._save(book.save)
