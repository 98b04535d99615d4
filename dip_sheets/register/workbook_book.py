"""One workbook as read for one call: its zip members, its values, and the sheets being patched.

Values are read with python-calamine; writes are patches of the worksheet parts (:mod:`.xlsx_sheet`),
so every cell and element dip-sheets does not set keeps its bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import python_calamine

from .. import schema as s
from ..errors import BackendUnavailable, ConfigError, LayoutError
from ..messages import Message
from . import Cell, Row
from . import workbook_layout as layout_
from .xlsx import Package
from .xlsx_sheet import Worksheet
from .xlsx_styles import Format, Styles

#: Excel's built-in number formats for a date and a date with time.
DATE_FORMAT, DATETIME_FORMAT = 14, 22


@dataclass
class Book:
    """One workbook as read for this call: its zip members, values, and the sheets being patched."""

    package: Package
    values: python_calamine.CalamineWorkbook
    location: Path
    paths: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    _styles: Styles | None = None
    grids: dict[str, list[Row]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> Book:
        try:
            data = path.read_bytes()
        except PermissionError:
            raise BackendUnavailable(
                f"Register '{path}' tidak dapat dibuka (izin ditolak).",
                f"Cannot open register '{path}' (permission denied).",
            ) from None
        return cls.from_bytes(data, path)

    @classmethod
    def from_bytes(cls, data: bytes, path: Path) -> Book:
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

    def append(self, name: str, rows: Sequence[Mapping[int, Cell]], staff: bool) -> None:
        """Add rows (0-based column -> value) after the last row holding a value; ``staff`` rows
        stay editable."""
        tab = s.TAB_BY_NAME[name]
        grid = self.rows(name)
        columns = s.locate_columns(tab, grid[0])
        number = layout_.last_used_row(grid) + 2
        editable = {columns[c.header] for c in tab.columns if c.owner is not s.Role.SYSTEM}
        for values in rows:
            for index in columns.values():
                column, value = index + 1, values.get(index)
                if staff and index in editable:
                    style = self.styles.derive(self.base_style(name, number, column), Format(
                        locked=False, number_format=_date_format(value)))
                    self.set(name, number, column, value, style)
                elif index in values:
                    style = None
                    if (date_format := _date_format(value)) is not None:
                        style = self.styles.derive(self.base_style(name, number, column),
                                                   Format(number_format=date_format))
                    self.set(name, number, column, value, style)
            number += 1

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
        for name in (*(t.name for t in s.TABS), layout_.CHOICES_TAB, s.DASHBOARD_TAB):
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


def refuse_merged(name: str, sheet: Worksheet, targets: Iterable[tuple[int, int, Cell]]) -> None:
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
