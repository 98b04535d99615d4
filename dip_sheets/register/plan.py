"""What ``dip init`` wants of any register, as plain data: the backends only translate it.

Which tabs only the sync writes, which headers a tab lacks and where they go, which columns get a
dropdown with which choices, and what is protected for whom are decided here once; the workbook
turns them into XML patches and the Google sheet into ``:batchUpdate`` requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import schema as s
from ..messages import Message
from . import Cell, Layout, cell_text

#: tabs only the sync writes (every column is the system's): locked as a whole.
SYSTEM_TABS = frozenset(t.name for t in (*s.TABS, s.DASHBOARD)
                        if all(c.owner is s.Role.SYSTEM for c in t.columns))


def is_system_tab(name: str) -> bool:
    return name in SYSTEM_TABS


@dataclass(frozen=True)
class MissingHeaders:
    """Headers to add to a tab's header row, written from column ``start`` (0-based) on."""

    start: int
    columns: tuple[s.Column, ...]

    @property
    def names(self) -> str:
        return ", ".join(c.header for c in self.columns)


def missing_headers(tab: s.Tab, header_row: Sequence[Cell]) -> MissingHeaders:
    """The tab's headers absent from ``header_row``, to go after its last used cell.

    Refuses a duplicated header (:class:`~dip_sheets.errors.LayoutError`): which of the two is
    meant cannot be guessed.
    """
    s.refuse_duplicated_headers(tab, header_row)
    present = {s.normalize_header(h) for h in header_row}
    used = len(header_row)
    while used and not cell_text(header_row[used - 1]):
        used -= 1
    return MissingHeaders(used, tuple(c for c in tab.columns
                                      if s.normalize_header(c.header) not in present))


@dataclass(frozen=True)
class Dropdown:
    header: str
    #: empty only for the unit column when no unit is configured (then there is no dropdown).
    choices: tuple[str, ...]


def dropdowns(tab: s.Tab, layout: Layout) -> list[Dropdown]:
    """The strict dropdowns of a tab's staff columns: fixed choices, or the configured units."""
    return [Dropdown(c.header, layout.units if c.header == s.UNIT else c.choices)
            for c in tab.columns
            if c.owner is not s.Role.SYSTEM and (c.choices or c.header == s.UNIT)]


def choice_lists(layout: Layout) -> dict[str, tuple[str, ...]]:
    """Every non-empty dropdown list of the layout, by header (first tab naming it wins)."""
    lists: dict[str, tuple[str, ...]] = {}
    for tab in layout.tabs:
        for dropdown in dropdowns(tab, layout):
            if dropdown.choices:
                lists.setdefault(dropdown.header, dropdown.choices)
    return lists


def no_units_warning(tab: s.Tab) -> Message:
    return Message(
        f"Peringatan: daftar unit kosong; kolom '{s.UNIT}' di tab '{tab.name}' tanpa dropdown.",
        f"Warning: the list of units is empty; column '{s.UNIT}' of tab '{tab.name}' has no"
        " dropdown.")


@dataclass(frozen=True)
class Protection:
    """One protected area of a tab, named by ``key`` (stable, so a backend can find it again)."""

    key: str
    #: who may edit it besides the sync.
    owner: s.Role
    #: the column it covers below the header row; ``None`` with ``whole_tab`` False: the header row.
    column: str | None
    whole_tab: bool
    text: Message


_ROLE_TEXT = {
    s.Role.SYSTEM: Message("diisi oleh sinkronisasi; jangan diubah.",
                           "filled in by the sync; do not change it."),
    s.Role.PPID: Message("hanya untuk PPID.", "for the PPID only."),
    s.Role.DESK: Message("untuk Desk Pelayanan Informasi dan PPID.",
                         "for the Information Desk and the PPID."),
}


def protections(tab: s.Tab) -> list[Protection]:
    """A system tab (or one without columns, the ``Petunjuk`` tab ``dip init`` writes) as a
    whole; else the header row and every column not the units' own."""
    if is_system_tab(tab.name):
        return [Protection("tab", s.Role.SYSTEM, None, True, Message(
            f"Tab '{tab.name}' hanya ditulis oleh sinkronisasi.",
            f"Tab '{tab.name}' is written by the sync only."))]
    if not tab.columns:
        return [Protection("tab", s.Role.SYSTEM, None, True, Message(
            f"Tab '{tab.name}' ditulis ulang oleh 'dip init'; jangan diubah.",
            f"Tab '{tab.name}' is rewritten by 'dip init'; do not change it."))]
    wanted = [Protection("header", s.Role.SYSTEM, None, False, Message(
        "Baris judul kolom: jangan diubah (kolom dicari menurut judulnya).",
        "Header row: do not change it (columns are found by their header)."))]
    for column in tab.columns:
        if column.owner is s.Role.UNIT:
            continue
        text = _ROLE_TEXT[column.owner]
        wanted.append(Protection(f"col:{column.header}", column.owner, column.header, False, Message(
            f"Kolom '{column.header}' {text.id}", f"Column '{column.header}' {text.en}")))
    return wanted


def roles_needed(layout: Layout) -> list[s.Role]:
    """Roles that own a protected staff column but have nobody in them (sorted by name)."""
    needed = {c.owner for t in layout.tabs if not is_system_tab(t.name) for c in t.columns}
    return sorted((r for r in needed & {s.Role.PPID, s.Role.DESK} if not layout.roles.get(r)),
                  key=lambda r: r.value)
