"""A tab of a register as the review reads it: header positions resolved once, and each row's
values, texts and anchor taken in as few steps as possible (they run for every row)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from . import schema as s
from .errors import LayoutError
from .register import Cell, Grid, RowAnchor, Snapshot, cell_text, row_keyer, text_key


@dataclass(frozen=True)
class Table:
    """A tab with its header positions resolved."""

    tab: s.Tab
    grid: Grid
    columns: dict[str, int]
    #: every header's cell of a row picked in one C call (:meth:`values` runs for every row)
    _pick: Callable[[Sequence[Cell]], tuple[Cell, ...]] = field(init=False, repr=False)
    _width: int = field(init=False, repr=False)
    _key: Callable[[Sequence[Cell]], str] = field(init=False, repr=False)
    #: the headers of the columns only the sync writes
    system: frozenset[str] = field(init=False, repr=False)
    #: the texts that make a row's key (:func:`~dip_sheets.register.row_key`), in order, of a
    #: row's :meth:`texts`
    _staff: Callable[[Mapping[str, str]], Sequence[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", row_keyer(self.tab, self.columns))
        indexes = tuple(self.columns.values())
        object.__setattr__(self, "_width", max(indexes, default=-1) + 1)
        object.__setattr__(self, "_pick", (lambda row: (row[indexes[0]],)) if len(indexes) == 1
                           else itemgetter(*indexes))
        object.__setattr__(self, "system", frozenset(
            c.header for c in self.tab.columns if c.owner is s.Role.SYSTEM))
        staff = [c.header for c in self.tab.columns if c.owner is not s.Role.SYSTEM]
        object.__setattr__(self, "_staff", itemgetter(*staff) if len(staff) > 1 else
                           lambda texts: [texts[h] for h in staff])

    def value(self, row: Sequence[Cell], header: str) -> Cell:
        index = self.columns[header]
        return row[index] if index < len(row) else None

    def view(self, row: Sequence[Cell]) -> RowValues:
        """A row's cells by header, without a copy (:class:`RowValues`)."""
        return RowValues(row, self.columns)

    def values(self, row: Sequence[Cell]) -> dict[str, Cell]:
        if len(row) < self._width:
            row = [*row, *([None] * (self._width - len(row)))]
        return dict(zip(self.columns, self._pick(row), strict=True))

    @staticmethod
    def texts(values: Mapping[str, Cell]) -> dict[str, str]:
        """Each of a row's :meth:`values` as :func:`~dip_sheets.register.cell_text`, once, for
        every check of the row (a text cell is only trimmed: most are)."""
        return {h: v.strip() if type(v) is str else "" if v is None else cell_text(v)
                for h, v in values.items()}

    def anchor(self, index: int) -> RowAnchor:
        return RowAnchor(self.tab.name, index, self._key(self.grid.rows[index]))

    def text_anchor(self, index: int, texts: Mapping[str, str]) -> RowAnchor:
        """:meth:`anchor` from the row's :meth:`texts` (no cell turned into text again)."""
        return RowAnchor(self.tab.name, index, text_key(texts[self.tab.key_header], self._staff(texts)))

    def data_rows(self) -> list[tuple[int, list[Cell]]]:
        """Rows with anything staff typed; blank rows (also ones left with only an ID) are skipped."""
        staff = [self.columns[c.header] for c in self.tab.columns if c.owner is not s.Role.SYSTEM]
        found = []
        for i, row in enumerate(self.grid.rows[1:], start=1):
            for j in staff:  # usually the first staff cell is filled: one look a row
                if j < len(row) and (value := row[j]) is not None and (
                        value.strip() if type(value) is str else cell_text(value)):
                    found.append((i, row))
                    break
        return found


def table(snapshot: Snapshot, name: str) -> Table:
    tab = s.TAB_BY_NAME[name]
    grid = snapshot.tabs.get(name)
    if grid is None or not grid.rows:
        raise LayoutError(
            f"Tab '{name}' tidak ada di register. Jalankan 'dip init' untuk membuatnya.",
            f"The register has no '{name}' tab. Run 'dip init' to create it.",
        )
    return Table(tab, grid, s.locate_columns(tab, grid.rows[0]))


class RowValues(Mapping[str, Cell]):
    """A row's cells by header (a missing cell is ``None``), read through the tab's header positions
    rather than copied: what ``Riwayat`` keeps per item for the whole review. A dict per row was
    about 1 KB, 90 MB at 100,000 items."""

    __slots__ = ("_columns", "_row")

    def __init__(self, row: Sequence[Cell], columns: Mapping[str, int]) -> None:
        self._row, self._columns = row, columns

    def __getitem__(self, header: str) -> Cell:
        index = self._columns[header]
        return self._row[index] if index < len(self._row) else None

    def get(self, header: str, default: Cell = None) -> Cell:  # type: ignore[override]
        index = self._columns.get(header)
        if index is None:
            return default
        return self._row[index] if index < len(self._row) else None

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)
