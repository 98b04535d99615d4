"""The register's layout, defined once: tabs, Indonesian headers, who owns each column, allowed values.

Everything else (init, validation, sync, rendering, dropdowns, protections) reads this module, so a
header is spelled in exactly one place. Columns are found by header text, never by position: staff
may reorder columns, and a missing or duplicated header is an error that names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .errors import LayoutError


class Role(StrEnum):
    """Who may edit a column, following the SOP's roles."""

    UNIT = "unit"  # Penyedia Informasi / Tim Penghubung of each Sub Bagian (SOP step 1)
    DESK = "desk"  # Desk Pelayanan Informasi (SOP steps 2 and 5)
    PPID = "ppid"  # PPID (SOP steps 3 and 4)
    SYSTEM = "system"  # written only by dip-sheets


@dataclass(frozen=True)
class Column:
    header: str
    owner: Role
    required: bool = False
    choices: tuple[str, ...] = ()  # shown as a dropdown; empty = free text
    width: int = 18  # characters, for the workbook and the sheet
    help: str = ""  # shown as the header's note / in the README


# ---- values -----------------------------------------------------------------------------------

CATEGORIES = ("Berkala", "Serta Merta", "Setiap Saat")  # legal order: UU 14/2008 Pasal 9, 10, 11
EXCLUDED = "Dikecualikan"
FORMS = ("Softcopy", "Hardcopy", "Softcopy dan Hardcopy")
HANDED_OVER = "Ya"
CLASSIFIED, NOT_CLASSIFIED, NEEDS_FIX = "Sudah", "Belum", "Perlu Perbaikan"
ESTABLISHED, REJECTED, NEEDS_REVISION = "Ditetapkan", "Ditolak", "Perlu Revisi"

# ---- the DIP tab ------------------------------------------------------------------------------

DIP_TAB = "DIP"
ID = "ID"
CATEGORY = "Kategori"
SUBCATEGORY = "Sub Kategori"
TITLE = "Judul Informasi"
SUMMARY = "Ringkasan Isi Informasi"
UNIT = "Unit Penguasa Informasi"
RESPONSIBLE = "Penanggung Jawab"
CREATED = "Waktu Pembuatan"
PLACE = "Tempat Pembuatan"
FORM = "Bentuk Informasi"
RETENTION = "Retensi Arsip"
LINK = "Tautan"
REMARKS = "Keterangan"
STEP1 = "1 Diserahkan"
STEP2 = "2 Klasifikasi & Dokumentasi"
STEP3 = "3 Penetapan PPID"
STEP4 = "4 Perintah Unggah"
STEP5 = "5 Diunggah"
STAGE = "Posisi SOP"
NOTE = "Catatan Sinkron"
FINGERPRINT = "Sidik"

DIP_COLUMNS: tuple[Column, ...] = (
    Column(ID, Role.SYSTEM, width=11, help="Diisi otomatis oleh sinkronisasi; jangan diubah."),
    Column(CATEGORY, Role.UNIT, True, CATEGORIES, 14),
    Column(SUBCATEGORY, Role.UNIT, width=22),
    Column(TITLE, Role.UNIT, True, width=36),
    Column(SUMMARY, Role.UNIT, True, width=48),
    Column(UNIT, Role.UNIT, True, width=30),  # choices come from the configured unit list
    Column(RESPONSIBLE, Role.UNIT, True, width=26),
    Column(CREATED, Role.UNIT, True, width=16,
           help="Tahun, bulan, tanggal atau rentangnya, mis. 2024, TA 2024, Maret 2024, 7 Februari 2022,"
           " Semester I 2024, Juli s.d. Desember 2023"),
    Column(PLACE, Role.UNIT, True, width=16),
    Column(FORM, Role.UNIT, True, FORMS, 20),
    Column(RETENTION, Role.UNIT, True, width=16, help="mis. 5 tahun, Selama Berlaku, Permanen"),
    Column(LINK, Role.UNIT, width=34, help="Wajib bila tersedia softcopy; diawali http:// atau https://"),
    Column(REMARKS, Role.UNIT, width=24),
    Column(STEP1, Role.UNIT, choices=(HANDED_OVER,), width=12),
    Column(STEP2, Role.DESK, choices=(NOT_CLASSIFIED, CLASSIFIED, NEEDS_FIX), width=16),
    Column(STEP3, Role.PPID, choices=(ESTABLISHED, REJECTED, NEEDS_REVISION), width=16),
    Column(STEP4, Role.SYSTEM, width=30),
    Column(STEP5, Role.SYSTEM, width=30),
    Column(STAGE, Role.SYSTEM, width=34, help="Langkah SOP tempat item berada, dan sejak tanggal berapa"),
    Column(NOTE, Role.SYSTEM, width=48),
    Column(FINGERPRINT, Role.SYSTEM, width=18),
)

#: The content of an item: what the fingerprint covers and what a change to an established row means.
CONTENT_HEADERS: tuple[str, ...] = (
    CATEGORY, SUBCATEGORY, TITLE, SUMMARY, UNIT, RESPONSIBLE, CREATED, PLACE, FORM, RETENTION,
    LINK, REMARKS,
)

# ---- the DIK tab (excluded information, never part of the DIP) -------------------------------

DIK_TAB = "DIK"
DIK_INFORMATION = "Informasi yang Dikecualikan"
DIK_LEGAL_BASIS = "Dasar Hukum"
DIK_IF_OPENED = "Konsekuensi Bila Dibuka"
DIK_IF_CLOSED = "Konsekuensi Bila Ditutup"
DIK_PERIOD = "Jangka Waktu Pengecualian"
DIK_TEST_DATE = "Tanggal Uji Konsekuensi"
DIK_DECISION = "Nomor Keputusan"

DIK_COLUMNS: tuple[Column, ...] = (
    Column(ID, Role.SYSTEM, width=11),
    Column(DIK_INFORMATION, Role.PPID, True, width=40),
    Column(UNIT, Role.PPID, True, width=30),
    Column(DIK_LEGAL_BASIS, Role.PPID, True, width=36,
           help="Undang-undang dan pasalnya, mis. UU 14/2008 Pasal 17 huruf h"),
    Column(DIK_IF_OPENED, Role.PPID, True, width=40),
    Column(DIK_IF_CLOSED, Role.PPID, True, width=40),
    Column(DIK_PERIOD, Role.PPID, True, width=20, help="mis. 5 tahun, sampai 31 Desember 2027, Permanen"),
    Column(DIK_TEST_DATE, Role.PPID, True, width=18),
    Column(DIK_DECISION, Role.PPID, True, width=28),
    Column(NOTE, Role.SYSTEM, width=48),
)

DIK_CONTENT_HEADERS: tuple[str, ...] = tuple(
    c.header for c in DIK_COLUMNS if c.owner is not Role.SYSTEM
)

# ---- system tabs ------------------------------------------------------------------------------

HISTORY_TAB = "Riwayat"
HISTORY_TIME = "Waktu"
HISTORY_EVENT = "Peristiwa"
HISTORY_CHANGED = "Kolom Berubah"
HISTORY_COLUMNS: tuple[Column, ...] = (
    Column(HISTORY_TIME, Role.SYSTEM, width=20),
    Column(ID, Role.SYSTEM, width=11),
    Column(HISTORY_EVENT, Role.SYSTEM, width=26),
    Column(FINGERPRINT, Role.SYSTEM, width=18),
    Column(HISTORY_CHANGED, Role.SYSTEM, width=30),
    *(Column(h, Role.SYSTEM, width=20) for h in CONTENT_HEADERS),
)

SYSTEM_TAB = "Sistem"
SYSTEM_KEY = "Kunci"
SYSTEM_VALUE = "Nilai"
SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column(SYSTEM_KEY, Role.SYSTEM, width=24),
    Column(SYSTEM_VALUE, Role.SYSTEM, width=24),
)
LAST_ID_KEYS = {DIP_TAB: "ID DIP terakhir", DIK_TAB: "ID DIK terakhir"}


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


TABS: tuple[Tab, ...] = (
    Tab(DIP_TAB, DIP_COLUMNS),
    Tab(DIK_TAB, DIK_COLUMNS),
    Tab(HISTORY_TAB, HISTORY_COLUMNS),
    Tab(SYSTEM_TAB, SYSTEM_COLUMNS, key_header=SYSTEM_KEY),
)
TAB_BY_NAME = {t.name: t for t in TABS}


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
