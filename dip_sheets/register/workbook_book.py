"""One workbook as read for one call: its zip members, its values, and the sheets being patched.

Values are read with python-calamine; writes are patches of the worksheet parts (:mod:`.xlsx_sheet`),
so every cell and element dip-sheets does not set keeps its bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from .xlsx_sheet import OWN_OR_COLUMN, Restyle, Worksheet
from .xlsx_stream import StoredPart
from .xlsx_styles import Format, Styles

#: Excel's built-in number formats for a date and a date with time.
DATE_FORMAT, DATETIME_FORMAT = 14, 22
#: a sheet part at least this large is never held whole: its rows are read as the stored part is
#: inflated, and it is patched into the saved zip as they pass (a smaller one is read whole, and
#: compared with the original when saved, kept byte for byte if equal)
STREAM_FROM = 4 << 20
#: ... and so is one with this many rows edited or added (the ``Riwayat`` rows of a first sync)
STREAM_ROWS = 2000


@dataclass
class Book:
    """One workbook as read for this call: its zip members, values, and the sheets being patched."""

    package: Package
    #: the values as python-calamine read them; let go once the tabs' rows are taken
    #: (:meth:`release`), read again from :attr:`data` if a tab not taken yet is asked for
    values: python_calamine.CalamineWorkbook | None
    location: Path
    #: the file's bytes as read (the package reads them; a session compares them with the file)
    data: bytes = b""
    paths: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    _styles: Styles | None = None
    grids: dict[str, list[Row]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> Book:
        return cls.from_bytes(read_bytes(path), path)

    @classmethod
    def from_bytes(cls, data: bytes, path: Path, *, values: bool = True) -> Book:
        """The workbook in ``data``; without ``values`` calamine opens it only if a tab's values
        are asked for (a session whose values are known already)."""
        try:
            package = Package(io.BytesIO(data))
            reader = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) if values else None
            book = cls(package, reader, path, data)
            book.paths = package.sheets()
            book.styles  # noqa: B018  # a workbook without styles.xml is not one Excel wrote
        except Exception as exc:  # zipfile, calamine and the XML parts raise many types
            raise unreadable(path, exc) from None
        return book

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            self._styles = Styles(self.package.read("xl/styles.xml"))
        return self._styles

    def sheet(self, name: str) -> Worksheet:
        if name not in self.sheets:
            try:
                self.sheets[name] = self._parse(name)
            except (zipfile.BadZipFile, ValueError) as exc:  # a damaged part: size, CRC-32 or XML
                raise unreadable(self.location, exc) from None
        return self.sheets[name]

    def _parse(self, name: str) -> Worksheet:
        part = StoredPart(self.package, self.paths[name])
        if part.size < STREAM_FROM:
            return Worksheet(part.read())
        # a large part: the lock probe's cell styles noted as its rows pass
        tab, grid = s.TAB_BY_NAME.get(name), self.grids.get(name)
        column = _probe_column(tab, grid) if tab is not None and grid is not None else None
        return Worksheet.streamed(part, () if column is None else (column,))

    def rows(self, name: str) -> list[Row]:
        """The tab's values from A1, trailing empty cells and rows dropped (at least one row)."""
        if name not in self.grids:
            rows: list[Row] = []
            if self.values is None:
                self.values = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            if name in self.values.sheet_names:
                try:
                    self._read_rows(self.values.get_sheet_by_name(name), rows)
                except python_calamine.CalamineError as exc:  # a damaged part (its CRC-32, its XML)
                    raise unreadable(self.location, exc) from None
            while len(rows) > 1 and not rows[-1]:
                rows.pop()
            self.grids[name] = rows or [[]]
        return self.grids[name]

    @staticmethod
    def _read_rows(sheet: python_calamine.CalamineSheet, rows: list[Row]) -> None:
        """The tab's rows appended to ``rows``, row by row, not the whole tab as a list first (the
        tab is held once, not twice)."""
        raws = sheet.iter_rows() if sheet.start in (None, (0, 0)) else sheet.to_python(skip_empty_area=False)
        cell = cell_reader()
        for raw in raws:
            values: Row = list(map(cell, raw))
            while values and values[-1] is None:
                values.pop()
            rows.append(values)

    def release(self) -> None:
        """Let go of what reading needed and a write does not: calamine's copy of the values and
        the worksheet parts held whole (a write reads again those it patches). A large part's
        skeleton stays (a few KB, and the cell styles noted as it was read): a write of the same
        bytes (:meth:`.WorkbookRegister.session`) then patches it without reading it once more."""
        self.values = None
        self.sheets = {name: sheet for name, sheet in self.sheets.items() if sheet.part is not None}

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
        self.sheet(name).set(row, column, value, OWN_OR_COLUMN if style is None else style)

    def base_style(self, name: str, row: int, column: int) -> int:
        return self.sheet(name).base_style(row, column)

    def append(self, name: str, rows: Sequence[Mapping[int, Cell]], staff: bool) -> None:
        """Add rows (0-based column -> value) after the last row holding a value; ``staff`` rows
        stay editable."""
        tab = s.TAB_BY_NAME[name]
        grid = self.rows(name)
        columns = s.locate_columns(tab, grid[0])
        number = layout_.last_used_row(grid) + 2
        editable = {columns[c.header] for c in tab.columns if c.owner is not s.Role.SYSTEM}
        known = set(columns.values())
        for values in rows:
            if not staff and values.keys() <= known and not any(
                    isinstance(v, dt.date) for v in values.values()):
                self.sheet(name).add(number, values)  # the row as given: no copy per cell
                number += 1
                continue
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
        column = _probe_column(tab, rows)
        if column is None:
            return frozenset()
        found = set()
        locked = functools.cache(self.styles.locked)  # asked once per format, not once per row
        for number, style in self.sheet(tab.name).cell_styles(column):
            index = number - 1
            if 0 < index < len(rows) and rows[index] and style and locked(style):
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
        styles = self.styles
        shade = styles.fill(layout_.LOCKED_FILL)
        staff = tuple(columns[c.header] + 1 for c in tab.columns if c.owner is not s.Role.SYSTEM)

        def lock(base: int) -> int:
            return styles.derive(base, Format(locked=True, fill=shade))

        def unlock(base: int) -> int:
            fill = 0 if styles.fill_of(base) == shade else None
            return styles.derive(base, Format(locked=False, fill=fill))

        # each cell's new style is derived when the sheet is written, from the style it has then
        sheet = self.sheet(tab.name)
        sheet.restyle(sorted(i + 1 for i in wanted - locked), Restyle(staff, lock))
        sheet.restyle(sorted(i + 1 for i in locked - wanted), Restyle(staff, unlock))

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
        """Write the workbook: a large patched sheet streamed into the zip piece by piece, and
        ``styles.xml`` after the sheets (writing them may derive the formats of locked cells)."""
        for name, sheet in self.sheets.items():
            if sheet.changed:
                if self.package.has("xl/calcChain.xml") and sheet.overwrites_formula():
                    self.package.forget_calc_chain()
                rows = len(sheet.edits) + len(sheet.added)
                if sheet.part or len(sheet.source) >= STREAM_FROM or rows >= STREAM_ROWS:
                    self.package.stream(self.paths[name], sheet.chunks)
                else:
                    self.package.write(self.paths[name], sheet.xml())
        self.package.make_last("xl/styles.xml", self._changed_styles)
        self.package.save(stream)

    def _changed_styles(self) -> bytes | None:
        return self._styles.xml() if self._styles is not None and self._styles.changed else None


def read_bytes(path: Path) -> bytes:
    """The workbook file's bytes; a file the user may not read is refused in plain words."""
    try:
        return path.read_bytes()
    except PermissionError:
        raise BackendUnavailable(
            f"Register '{path}' tidak dapat dibuka (izin ditolak).",
            f"Cannot open register '{path}' (permission denied).",
        ) from None


def _probe_column(tab: s.Tab, rows: Sequence[Row]) -> int | None:
    """The (1-based) column of the tab's lock probe (:func:`.workbook_layout.lock_probe`)."""
    probe = layout_.lock_probe(tab)
    if probe is None or not rows:
        return None
    positions = {s.normalize_header(v): i + 1 for i, v in enumerate(rows[0])}
    return positions.get(s.normalize_header(probe))


def unreadable(path: Path, exc: Exception) -> ConfigError:
    """What staff read of a register that is not a readable workbook, or has a damaged part."""
    return ConfigError(
        f"Register '{path}' bukan workbook .xlsx yang dapat dibaca ({type(exc).__name__})."
        " Pulihkan dari cadangan atau simpan ulang sebagai .xlsx.",
        f"Register '{path}' is not a readable .xlsx workbook ({type(exc).__name__})."
        " Restore it from a backup or save it again as .xlsx.",
    )


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


def cell_reader() -> Callable[[object], Cell]:
    """A read value -> its cell, by a dictionary look-up (in C) but for the first of each text
    (:class:`_Cells`); also what a snapshot's cells go through (:mod:`.workbook_cache`), which are
    cells already, so that its texts are held once as a read holds them."""
    return _Cells().__getitem__


class _Cells(dict[object, Cell]):
    """A calamine value -> its cell (:func:`_value`), each text remembered as it is first seen: an
    empty text (or none) is ``None``, and a text repeated anywhere in the tab is held once: a unit, a
    category, "Sudah", but also a publish's stamp on every row it put live and the warning the
    ``Ringkasan`` tab lists for each item it names (at 100,000 rows tens of MB). Only texts are
    keys: ``True == 1 == 1.0``, yet each reads as its own cell."""

    def __init__(self) -> None:
        super().__init__({"": None, None: None})

    def __missing__(self, value: object) -> Cell:
        if type(value) is not str:
            return _value(value)
        self[value] = value
        return value


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
