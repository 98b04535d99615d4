"""The register as a local ``.xlsx`` workbook, opened by staff in Excel or LibreOffice.

Reading uses openpyxl's streaming mode (fast, little memory), so an unchanged sync never loads the
whole workbook for editing. Writing loads it, applies the batch, saves to a temporary file in the
same folder and renames it over the original, so a crash leaves either the old or the new file.
While another program has the workbook open (its lock file is present) nothing is read or written:
the other program would overwrite our changes when it saves.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

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
    Snapshot,
    cell_text,
    relocate,
)

LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
#: established rows are shaded, so staff see why they cannot type there (and the default cell
#: style, which is also "locked", is never mistaken for an established row).
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
NO_FILL = PatternFill(fill_type=None)
CHOICES_TAB = "Pilihan"  # hidden tab holding dropdown lists (unit names contain commas)
VALIDATION_ROWS = 100_000
HEADER_FILL = {
    s.Role.SYSTEM: "D9D9D9", s.Role.UNIT: "DDEBF7", s.Role.DESK: "FFF2CC", s.Role.PPID: "E2EFDA",
}
#: tabs staff edit; the others are written only by the sync and fully locked.
STAFF_TABS = (s.DIP_TAB, s.DIK_TAB)


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
        workbook = self._load(read_only=True)
        try:
            tabs: dict[str, Grid] = {}
            for tab in s.TABS:
                if tab.name in workbook.sheetnames:
                    tabs[tab.name] = _read_grid(workbook[tab.name], tab)
            return Snapshot(tabs)
        finally:
            workbook.close()

    def _load(self, read_only: bool) -> Any:
        try:
            return load_workbook(self.path, read_only=read_only, data_only=False)
        except PermissionError:
            raise BackendUnavailable(
                f"Register '{self.path}' tidak dapat dibuka (izin ditolak).",
                f"Cannot open register '{self.path}' (permission denied).",
            ) from None
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ConfigError(
                f"Register '{self.path}' bukan workbook .xlsx yang dapat dibaca ({type(exc).__name__})."
                " Pulihkan dari cadangan atau simpan ulang sebagai .xlsx.",
                f"Register '{self.path}' is not a readable .xlsx workbook ({type(exc).__name__})."
                " Restore it from a backup or save it again as .xlsx.",
            ) from None

    def _refuse_if_open(self) -> None:
        name = self.path.name
        for lock in (f".~lock.{name}#", f"~${name}", f"~${name[2:]}"):
            if (self.path.parent / lock).exists():
                raise BackendUnavailable(
                    f"Register '{name}' sedang dibuka di program lain (ada berkas kunci '{lock}')."
                    " Tutup Excel/LibreOffice lalu jalankan lagi; bila tidak ada yang membukanya,"
                    " hapus berkas kunci itu. Tidak ada yang ditulis.",
                    f"Register '{name}' is open in another program (lock file '{lock}' exists)."
                    " Close Excel/LibreOffice and run again; if nobody has it open, delete that lock"
                    " file. Nothing was written.",
                )

    # ---- writing ---------------------------------------------------------------------------

    def apply(self, changes: Changes) -> ApplyResult:
        if not changes:
            return ApplyResult(0, 0)
        self._refuse_if_open()
        workbook = self._load(read_only=False)
        written, appended = 0, 0
        skipped: list[CellWrite] = []
        locks = changes.locks or {}
        for name in sorted({w.anchor.tab for w in changes.writes} | set(locks)):
            sheet = workbook[name]
            tab = s.TAB_BY_NAME[name]
            grid = _sheet_rows(sheet)
            writes = [w for w in changes.writes if w.anchor.tab == name]
            # Every anchor is resolved against the sheet as it is now, before any write of this
            # batch changes a row's key (assigning an ID does).
            where = relocate(tab, [*(w.anchor for w in writes), *locks.get(name, ())], grid)
            columns = s.locate_columns(tab, grid[0])
            for write in writes:
                row = where[write.anchor]
                if row is None:
                    skipped.append(write)
                    continue
                sheet.cell(row + 1, columns[write.header] + 1, write.value)
                written += 1
            if name in locks:
                wanted = {where[a] for a in locks[name]} - {None}
                _apply_locks(sheet, tab, columns, {i for i in wanted if i is not None},
                             _last_used_row(grid))
        for name, rows in changes.appends.items():
            sheet = workbook[name]
            grid = _sheet_rows(sheet)
            columns = s.locate_columns(s.TAB_BY_NAME[name], grid[0])
            next_row = _last_used_row(grid) + 2
            for values in rows:
                for header, value in values.items():
                    sheet.cell(next_row, columns[header] + 1, value)
                next_row += 1
                appended += 1
        self._save(workbook)
        return ApplyResult(written, appended, tuple(skipped))

    def _save(self, workbook: Any) -> None:
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
                workbook.save(stream)
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
        """Create the workbook, or repair an existing one; report what was done."""
        done: list[Message] = []
        if self.path.exists():
            self._refuse_if_open()
            workbook = self._load(read_only=False)
        else:
            workbook = Workbook()
            workbook.remove(workbook.active)
            done.append(Message(f"Workbook baru dibuat: {self.path}", f"New workbook created: {self.path}"))
        for tab in layout.tabs:
            if tab.name not in workbook.sheetnames:
                workbook.create_sheet(tab.name)
                done.append(Message(f"Tab '{tab.name}' dibuat", f"Tab '{tab.name}' created"))
            sheet = workbook[tab.name]
            added = _ensure_headers(sheet, tab)
            if added:
                columns = ", ".join(added)
                done.append(Message(f"Tab '{tab.name}': kolom ditambahkan: {columns}",
                                    f"Tab '{tab.name}': columns added: {columns}"))
        if _ensure_choices(workbook, layout):
            done.append(Message("Daftar pilihan (dropdown) diperbarui", "Dropdown lists updated"))
        for tab in layout.tabs:
            _format_sheet(workbook[tab.name], tab)
        # Formatting and protection are re-applied every time, which repairs them if removed.
        self._save(workbook)
        return done


# ---- helpers ----------------------------------------------------------------------------------


def _read_grid(sheet: Any, tab: s.Tab) -> Grid:
    rows: list[Row] = []
    locked: set[int] = set()
    title_column: int | None = None
    for index, cells in enumerate(sheet.iter_rows()):
        values: Row = [_value(c.value) for c in cells]
        while values and values[-1] is None:
            values.pop()
        if index == 0 and (probe := _lock_probe(tab)) is not None:
            positions = {s.normalize_header(v): i for i, v in enumerate(values)}
            title_column = positions.get(s.normalize_header(probe))
        elif title_column is not None and title_column < len(cells) and values:
            cell = cells[title_column]
            if getattr(cell, "has_style", False) and cell.protection.locked:
                locked.add(index)
        rows.append(values)
    while rows and len(rows) > 1 and not rows[-1]:
        rows.pop()
    return Grid(rows, frozenset(locked))


def _lock_probe(tab: s.Tab) -> str | None:
    """The column whose cell protection tells whether a row is locked (the first staff column).

    ``None`` for tabs written only by the sync, which are locked as a whole.
    """
    return next((c.header for c in tab.columns if c.owner is not s.Role.SYSTEM), None)


def _value(value: Any) -> Cell:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value  # type: ignore[no-any-return]  # date / datetime / time
    return str(value)


def _sheet_rows(sheet: Any) -> list[Row]:
    return [[_value(v) for v in row] for row in sheet.iter_rows(values_only=True)] or [[]]


def _last_used_row(grid: Sequence[Sequence[Cell]]) -> int:
    """0-based index of the last row holding any value (the header row at least)."""
    for index in range(len(grid) - 1, -1, -1):
        if any(cell_text(v) for v in grid[index]):
            return index
    return 0


def _apply_locks(sheet: Any, tab: s.Tab, columns: dict[str, int], wanted: set[int], last_row: int) -> None:
    """Lock (and shade) the staff-owned cells of exactly the ``wanted`` rows; unlock every other one."""
    staff = [columns[c.header] + 1 for c in tab.columns if c.owner is not s.Role.SYSTEM]
    probe_header = _lock_probe(tab)
    assert probe_header is not None, "only tabs with staff columns have row locks"
    probe = columns[probe_header] + 1
    for index in range(1, last_row + 1):
        should_lock = index in wanted
        current = sheet.cell(index + 1, probe)
        if current.has_style and current.protection.locked == should_lock:
            continue
        for column in staff:
            cell = sheet.cell(index + 1, column)
            cell.protection = LOCKED if should_lock else UNLOCKED
            cell.fill = LOCKED_FILL if should_lock else NO_FILL


def _ensure_headers(sheet: Any, tab: s.Tab) -> list[str]:
    """Write missing headers at the end of row 1; refuse if a header appears twice."""
    present = [sheet.cell(1, c).value for c in range(1, sheet.max_column + 1)]
    try:
        s.locate_columns(tab, present)
        return []
    except LayoutError:
        pass
    s.refuse_duplicated_headers(tab, present)
    normalized = [s.normalize_header(v) for v in present]
    used = len(present)
    while used and not cell_text(present[used - 1]):
        used -= 1
    added = []
    for header in tab.headers:
        if s.normalize_header(header) not in normalized:
            used += 1
            sheet.cell(1, used, header)
            added.append(header)
    return added


def _ensure_choices(workbook: Any, layout: Layout) -> bool:
    """Keep the hidden list tab in step with the schema's choices and the configured units."""
    lists = _choice_lists(layout)
    if CHOICES_TAB not in workbook.sheetnames:
        workbook.create_sheet(CHOICES_TAB)
    sheet = workbook[CHOICES_TAB]
    sheet.sheet_state = "hidden"
    wanted = [[header, *values] for header, values in lists.items()]
    current = [
        [cell_text(v) for v in col if cell_text(v)]
        for col in sheet.iter_cols(values_only=True)
    ]
    if current == wanted:
        return False
    sheet.delete_cols(1, sheet.max_column + 1)
    for column, values in enumerate(wanted, start=1):
        for row, value in enumerate(values, start=1):
            sheet.cell(row, column, value)
    sheet.protection.sheet = True
    return True


def _choice_lists(layout: Layout) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for tab in layout.tabs:
        for column in tab.columns:
            values = layout.units if column.header == s.UNIT else column.choices
            if values and column.header not in lists:
                lists[column.header] = values
    return lists


def _format_sheet(sheet: Any, tab: s.Tab) -> None:
    """Headers, widths, frozen header row, dropdowns, and protection: re-applied idempotently."""
    header_row = [sheet.cell(1, c).value for c in range(1, sheet.max_column + 1)]
    columns = s.locate_columns(tab, header_row)
    workbook = sheet.parent
    choices_sheet = workbook[CHOICES_TAB]
    choice_columns = {
        cell_text(choices_sheet.cell(1, c).value): c for c in range(1, choices_sheet.max_column + 1)
    }
    sheet.freeze_panes = "A2"
    sheet.data_validations.dataValidation = []
    for column in tab.columns:
        index = columns[column.header] + 1
        letter = get_column_letter(index)
        header = sheet.cell(1, index)
        header.font = Font(bold=True)
        header.fill = PatternFill("solid", fgColor=HEADER_FILL[column.owner])
        header.alignment = Alignment(wrap_text=True, vertical="top")
        header.protection = LOCKED
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        editable = tab.name in STAFF_TABS and column.owner is not s.Role.SYSTEM
        dimension.protection = UNLOCKED if editable else LOCKED
        if column.header in choice_columns and tab.name in STAFF_TABS:
            source = get_column_letter(choice_columns[column.header])
            count = len([v for v in choices_sheet[source] if cell_text(v.value)]) - 1
            rule = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(CHOICES_TAB)}!${source}$2:${source}${count + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Nilai tidak sah",
                error=f"Pilih salah satu nilai dari daftar untuk kolom '{column.header}'.",
            )
            rule.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
            sheet.add_data_validation(rule)
        if editable:
            # existing rows without an explicit style follow the column (editable) until locked
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if not cell.has_style:
                    cell.protection = UNLOCKED
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.insertRows = False
    protection.deleteRows = False
    protection.sort = False
    protection.autoFilter = False


def append_rows(path: Path, tab_name: str, rows: Sequence[dict[str, Cell]]) -> None:
    """Add rows as a person would type them (the demo's sample data, and tests).

    This writes staff-owned cells, so the sync never calls it; the cells stay editable.
    """
    register = WorkbookRegister(path)
    register._refuse_if_open()
    workbook = register._load(read_only=False)
    sheet = workbook[tab_name]
    tab = s.TAB_BY_NAME[tab_name]
    grid = _sheet_rows(sheet)
    columns = s.locate_columns(tab, grid[0])
    next_row = _last_used_row(grid) + 2
    for values in rows:
        for column in tab.columns:
            cell = sheet.cell(next_row, columns[column.header] + 1)
            if column.header in values:
                cell.value = values[column.header]
            if column.owner is not s.Role.SYSTEM:
                cell.protection = UNLOCKED
        next_row += 1
    register._save(workbook)
