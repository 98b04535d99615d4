"""What a register tab is made of, and how its columns are found: the vocabulary of :mod:`.schema`.

A tab is a name and its columns; a column has an Indonesian header, the role that owns it, its
dropdown choices and, for the DIP tab, the field it publishes. Columns are found by header text,
never by position (staff may reorder columns): trimmed, inner whitespace collapsed, case-insensitive,
and a missing or duplicated header is an error that names it. :mod:`.schema` holds the register's
actual tabs and re-exports all of this, so callers write ``s.Column``, ``s.locate_columns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .errors import LayoutError

#: the header a tab's rows are keyed by unless it says otherwise: the item's stable ID
ID = "ID"


class Role(StrEnum):
    """Who may edit a column, following the SOP's roles."""

    UNIT = "unit"  # Penyedia Informasi / Tim Penghubung of each Sub Bagian (SOP step 1)
    DESK = "desk"  # Desk Pelayanan Informasi (SOP steps 2 and 5)
    PPID = "ppid"  # PPID (SOP steps 3 and 4)
    SYSTEM = "system"  # written only by dip-sheets


class Parse(StrEnum):
    """How a column's cell becomes its published value (the parsers are in ``parsers.py``; WHEN is
    ``dates.parse_when``)."""

    TEXT = "text"  # whitespace collapsed
    CATEGORY = "category"  # one of CATEGORIES; "Dikecualikan" is sent to the DIK tab
    UNIT = "unit"  # one of the configured units
    WHEN = "when"  # a year, date or period (``dates.parse_when``): its text, and its year
    FORM = "form"  # one of FORMS, common spellings accepted
    RETENTION = "retention"  # "N tahun", "Selama Berlaku" or "Permanen"
    LINK = "link"  # an http(s) address


@dataclass(frozen=True)
class Field:
    """One element of the published record (``dip.json``, ``dip.csv``, ``dip.xlsx``, the page).

    ``key`` is the open-data key, ``attr`` the :class:`~dip_sheets.validate.Item` attribute holding
    the value, ``label`` the public name (the CSV and XLSX heading, the page's column heading),
    ``meaning`` its description in ``dip.schema.json``.
    """

    key: str
    attr: str
    label: str
    meaning: str
    integer: bool = False  # a whole number >= 0 in dip.json (else text)
    #: further JSON Schema keywords for the field, in order
    json: tuple[tuple[str, object], ...] = ()
    xlsx_width: int = 16  # characters, in dip.xlsx


@dataclass(frozen=True)
class Column:
    header: str
    owner: Role
    required: bool = False
    choices: tuple[str, ...] = ()  # shown as a dropdown; empty = free text
    width: int = 18  # characters, for the workbook and the sheet
    help: str = ""  # shown as the header's note / in the README
    field: Field | None = None  # what the column publishes, if anything
    parse: Parse = Parse.TEXT


@dataclass(frozen=True)
class Tab:
    name: str
    columns: tuple[Column, ...]
    #: headers that must be present for the sync to run (system columns are added by init).
    key_header: str = ID

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)


def normalize_header(text: object) -> str:
    """Header text as compared: trimmed, inner whitespace collapsed, case-insensitive."""
    return " ".join(str(text or "").split()).casefold()


def refuse_duplicated_headers(tab: Tab, header_row: Sequence[object]) -> None:
    """``dip init`` repairs missing headers but must not guess which of two equal ones is meant."""
    seen = [normalize_header(h) for h in header_row]
    for header in tab.headers:
        if seen.count(normalize_header(header)) > 1:
            raise LayoutError(
                f"Tab '{tab.name}': kolom '{header}' muncul lebih dari sekali di baris judul; hapus"
                " salah satunya lalu jalankan lagi. Tidak ada yang diubah.",
                f"Tab '{tab.name}': column '{header}' appears more than once in the header row;"
                " remove one and run again. Nothing was changed.",
            )


def locate_columns(tab: Tab, header_row: Sequence[object]) -> dict[str, int]:
    """Map each of the tab's headers to its 0-based column index in ``header_row``.

    Raises :class:`LayoutError` naming every missing or duplicated header, so a renamed column
    stops the sync instead of shifting every write one column over.
    """
    positions: dict[str, list[int]] = {}
    for index, text in enumerate(header_row):
        positions.setdefault(normalize_header(text), []).append(index)
    found: dict[str, int] = {}
    missing: list[str] = []
    doubled: list[str] = []
    for header in tab.headers:
        hits = positions.get(normalize_header(header), [])
        if not hits:
            missing.append(header)
        elif len(hits) > 1:
            doubled.append(header)
        else:
            found[header] = hits[0]
    if missing or doubled:
        parts_id, parts_en = [], []
        if missing:
            names = ", ".join(f"'{h}'" for h in missing)
            parts_id.append(f"kolom {names} tidak ditemukan (terhapus atau diganti namanya?)")
            parts_en.append(f"column {names} not found (deleted or renamed?)")
        if doubled:
            names = ", ".join(f"'{h}'" for h in doubled)
            parts_id.append(f"kolom {names} muncul lebih dari sekali")
            parts_en.append(f"column {names} appears more than once")
        raise LayoutError(
            f"Tab '{tab.name}': " + "; ".join(parts_id)
            + ". Perbaiki baris judul kolom (baris 1), atau jalankan 'dip init' untuk menambah kolom"
            " yang hilang. Tidak ada yang ditulis.",
            f"Tab '{tab.name}': " + "; ".join(parts_en)
            + ". Fix the header row (row 1), or run 'dip init' to add missing columns."
            " Nothing was written.",
        )
    return found
