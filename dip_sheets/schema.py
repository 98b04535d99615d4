"""The register's layout, defined once: tabs, Indonesian headers, who owns each column, allowed values,
and what each DIP column publishes (its :class:`Field`: open-data key, public label, meaning, parser).

Everything else (init, validation, sync, rendering, the open-data files and their JSON Schema, the
page's table, dropdowns, protections) reads this module, so a header or a label is spelled in exactly
one place. What a tab, a column and a field are, and how columns are found by their header text, is
:mod:`.tabs` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass

# the vocabulary, re-exported: callers spell it s.Column, s.Role, s.locate_columns …
from .tabs import ID as ID
from .tabs import Column as Column
from .tabs import Field as Field
from .tabs import Parse as Parse
from .tabs import Role as Role
from .tabs import Tab as Tab
from .tabs import locate_columns as locate_columns
from .tabs import normalize_header as normalize_header
from .tabs import refuse_duplicated_headers as refuse_duplicated_headers

# ---- values -----------------------------------------------------------------------------------

CATEGORIES = ("Berkala", "Serta Merta", "Setiap Saat")  # legal order: UU 14/2008 Pasal 9, 10, 11
EXCLUDED = "Dikecualikan"
FORMS = ("Softcopy", "Hardcopy", "Softcopy dan Hardcopy")
HANDED_OVER = "Ya"
CLASSIFIED, NOT_CLASSIFIED, NEEDS_FIX = "Sudah", "Belum", "Perlu Perbaikan"
ESTABLISHED, REJECTED, NEEDS_REVISION = "Ditetapkan", "Ditolak", "Perlu Revisi"
# -- corrections (issue 13): the PPID's answer to an edit of an established row --
APPROVE_CORRECTION, REJECT_CORRECTION = "Setujui Koreksi", "Tolak Koreksi"
#: step-3 values that establish an item (a correction is approved by the one its row did not show)
ESTABLISHING = (ESTABLISHED, APPROVE_CORRECTION)
#: step-3 values under which an established item stays established (any other one withdraws it)
KEEPS_ESTABLISHED = (*ESTABLISHING, REJECT_CORRECTION)
# -- end of corrections --

# ---- the DIP tab ------------------------------------------------------------------------------

DIP_TAB = "DIP"
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
#: optional, owned by the unit and not in ``DIP_COLUMNS`` (a register without it stays valid): the
#: day a Berkala item was last updated; when absent or empty, ``Waktu Pembuatan`` stands for it
LAST_UPDATED = "Terakhir Diperbarui"

RETENTION_EXAMPLES = "mis. 5 tahun, Selama Berlaku, Permanen"
NOTE_HELP = "Temuan sinkronisasi pada baris ini; artinya dijelaskan di tab Petunjuk"

DIP_COLUMNS: tuple[Column, ...] = (
    Column(ID, Role.SYSTEM, width=11, help="Diisi otomatis oleh sinkronisasi; jangan diubah.",
           field=Field("id", "id", ID, "Identitas tetap item (mis. DIP-0007); tidak pernah dipakai ulang",
                       json=(("minLength", 1),))),
    Column(CATEGORY, Role.UNIT, True, CATEGORIES, 14, parse=Parse.CATEGORY,
           help="Pilih Berkala, Serta Merta atau Setiap Saat (UU 14/2008 Pasal 9, 10, 11)",
           field=Field("kategori", "category", CATEGORY,
                       "Berkala, Serta Merta atau Setiap Saat (UU 14/2008 Pasal 9, 10, 11)",
                       json=(("enum", CATEGORIES),))),
    Column(SUBCATEGORY, Role.UNIT, width=22,
           help="Kelompok dalam kategori, mis. Laporan Keuangan; boleh kosong",
           field=Field("sub_kategori", "subcategory", SUBCATEGORY,
                       "Judul kelompok dalam kategori; boleh kosong")),
    Column(TITLE, Role.UNIT, True, width=36, help="Nama informasi, mis. Laporan Realisasi Anggaran TA 2024",
           field=Field("judul", "title", TITLE, TITLE.capitalize(), xlsx_width=40)),
    Column(SUMMARY, Role.UNIT, True, width=48, help="Satu-dua kalimat isi informasi, untuk pembaca umum",
           field=Field("ringkasan", "summary", SUMMARY, SUMMARY.capitalize(), xlsx_width=60)),
    # choices come from the configured unit list
    Column(UNIT, Role.UNIT, True, width=30, parse=Parse.UNIT,
           help="Pilih Sub Bagian yang menguasai informasi",
           field=Field("unit_penguasa", "unit", "Pejabat/Unit/Satker yang Menguasai Informasi",
                       "Unit yang menguasai informasi", xlsx_width=36)),
    Column(RESPONSIBLE, Role.UNIT, True, width=26,
           help="Jabatan penanggung jawab, mis. Kepala Sub Bagian Keuangan",
           field=Field("penanggung_jawab", "responsible",
                       "Penanggung Jawab Pembuatan atau Penerbitan Informasi",
                       "Pejabat yang bertanggung jawab atas pembuatan atau penerbitan informasi",
                       xlsx_width=30)),
    Column(CREATED, Role.UNIT, True, width=16, parse=Parse.WHEN,
           help="Tahun, bulan, tanggal atau rentangnya, mis. 2024, TA 2024, Maret 2024, 7 Februari 2022,"
           " Semester I 2024, Juli s.d. Desember 2023",
           field=Field("waktu_pembuatan", "created", CREATED,
                       "Tahun atau tanggal pembuatan, seperti tertulis di daftar")),
    Column(PLACE, Role.UNIT, True, width=16, help="Kota tempat informasi dibuat, mis. Bandung",
           field=Field("tempat_pembuatan", "place", PLACE, PLACE.capitalize())),
    Column(FORM, Role.UNIT, True, FORMS, 20, parse=Parse.FORM,
           help="Pilih Softcopy, Hardcopy atau keduanya; softcopy wajib disertai Tautan",
           field=Field("bentuk", "form", "Bentuk Informasi yang Tersedia",
                       "Softcopy, Hardcopy, atau keduanya")),
    Column(RETENTION, Role.UNIT, True, width=16, help=RETENTION_EXAMPLES, parse=Parse.RETENTION,
           field=Field("retensi", "retention", "Jangka Waktu Penyimpanan atau Retensi Arsip",
                       RETENTION_EXAMPLES)),
    Column(LINK, Role.UNIT, width=34, help="Wajib bila tersedia softcopy; diawali http:// atau https://",
           parse=Parse.LINK,
           field=Field("tautan", "link", LINK, "Alamat softcopy (http/https); kosong bila tidak ada",
                       json=(("pattern", "^([Hh][Tt][Tt][Pp][Ss]?://|$)"),), xlsx_width=40)),
    Column(REMARKS, Role.UNIT, width=24, help="Catatan tambahan; boleh kosong",
           field=Field("keterangan", "remarks", REMARKS, "Keterangan; boleh kosong")),
    Column(STEP1, Role.UNIT, choices=(HANDED_OVER,), width=12,
           help="Langkah 1, unit: pilih Ya bila baris lengkap dan diserahkan ke Desk"),
    Column(STEP2, Role.DESK, choices=(NOT_CLASSIFIED, CLASSIFIED, NEEDS_FIX), width=16,
           help="Langkah 2, Desk: Sudah bila benar, Perlu Perbaikan bila unit harus memperbaiki"),
    Column(STEP3, Role.PPID, choices=(ESTABLISHED, REJECTED, NEEDS_REVISION, APPROVE_CORRECTION,
                                      REJECT_CORRECTION), width=16,
           help="Langkah 3, PPID: Ditetapkan, Ditolak, atau Perlu Revisi (mencabut penetapan); Setujui"
           " Koreksi atau Tolak Koreksi untuk baris yang diubah setelah ditetapkan"),
    Column(STEP4, Role.SYSTEM, width=30, help="Langkah 4: diisi sinkronisasi; jangan diubah"),
    Column(STEP5, Role.SYSTEM, width=30, help="Langkah 5: diisi saat daftar terbit; jangan diubah"),
    Column(STAGE, Role.SYSTEM, width=34, help="Langkah SOP tempat item berada, dan sejak tanggal berapa"),
    Column(NOTE, Role.SYSTEM, width=48, help=NOTE_HELP),
    Column(FINGERPRINT, Role.SYSTEM, width=18, help="Sidik isi baris saat ditetapkan; jangan diubah"),
)

#: the year of ``Waktu Pembuatan``, published beside it so the list can be filtered by year
YEAR_FIELD = Field("tahun", "year", "Tahun", "Tahun pembuatan (angka, untuk penyaringan)", integer=True)

#: The published record of an item, in order: each DIP column's field, the year after the time.
RECORD_FIELDS: tuple[Field, ...] = tuple(
    f for c in DIP_COLUMNS if c.field
    for f in ((c.field, YEAR_FIELD) if c.parse is Parse.WHEN else (c.field,))
)


def dip_field(header: str) -> Field:
    """The published field of the DIP column ``header``."""
    found = next(c.field for c in DIP_COLUMNS if c.header == header)
    assert found is not None, header
    return found


@dataclass(frozen=True)
class PageColumn:
    """A column of the published table (after "No"), named after the field it shows first."""

    field: Field
    heading: str = ""  # when the column shows more than its field

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def label(self) -> str:
        return self.heading or self.field.label


#: the published table, as Perki 1/2021's form lays it out; the title, summary and remarks share a
#: column, as do the time and place of creation
PAGE_COLUMNS: tuple[PageColumn, ...] = (
    PageColumn(dip_field(SUMMARY)),
    PageColumn(dip_field(UNIT)),
    PageColumn(dip_field(RESPONSIBLE)),
    PageColumn(dip_field(CREATED), "Waktu dan Tempat Pembuatan Informasi"),
    PageColumn(dip_field(FORM)),
    PageColumn(dip_field(RETENTION)),
)

#: The content of an item (the columns units fill that are published): what the fingerprint covers
#: and what a change to an established row means.
CONTENT_HEADERS: tuple[str, ...] = tuple(
    c.header for c in DIP_COLUMNS if c.field and c.owner is Role.UNIT
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
    Column(ID, Role.SYSTEM, width=11, help="Diisi otomatis oleh sinkronisasi; jangan diubah."),
    Column(DIK_INFORMATION, Role.PPID, True, width=40,
           help="Informasi yang dikecualikan, mis. Data pribadi pemilih"),
    Column(UNIT, Role.PPID, True, width=30, help="Sub Bagian yang menguasai informasi"),
    Column(DIK_LEGAL_BASIS, Role.PPID, True, width=36,
           help="Undang-undang dan pasalnya, mis. UU 14/2008 Pasal 17 huruf h"),
    Column(DIK_IF_OPENED, Role.PPID, True, width=40, help="Akibat yang timbul bila informasi dibuka"),
    Column(DIK_IF_CLOSED, Role.PPID, True, width=40, help="Akibat bila informasi tetap ditutup"),
    Column(DIK_PERIOD, Role.PPID, True, width=20, help="mis. 5 tahun, sampai 31 Desember 2027, Permanen"),
    Column(DIK_TEST_DATE, Role.PPID, True, width=18, help="Tanggal uji konsekuensi, mis. 7 Februari 2024"),
    Column(DIK_DECISION, Role.PPID, True, width=28, help="Nomor keputusan PPID tentang pengecualian"),
    Column(NOTE, Role.SYSTEM, width=48, help=NOTE_HELP),
)

DIK_CONTENT_HEADERS: tuple[str, ...] = tuple(
    c.header for c in DIK_COLUMNS if c.owner is not Role.SYSTEM
)

# ---- the Keputusan tab (the PPID's decisions establishing the DIP and the DIK; issue 13) -------

DECISION_TAB = "Keputusan"
DECISION_NUMBER = DIK_DECISION  # "Nomor Keputusan", the same words as the DIK's column
DECISION_DATE = "Tanggal Keputusan"
DECISION_ESTABLISHES = "Menetapkan"
DECISION_REMARKS = REMARKS
DECISION_SCAN = "Berkas Pindaian"
DECISION_SCAN_SHA256 = "SHA-256 Pindaian"
#: what a decision establishes: the DIP, the DIK, or both
DECIDES_DIP, DECIDES_DIK, DECIDES_BOTH = "DIP", "DIK", "DIP dan DIK"
DECISION_CHOICES = (DECIDES_DIP, DECIDES_DIK, DECIDES_BOTH)

DECISION_COLUMNS: tuple[Column, ...] = (
    Column(DECISION_NUMBER, Role.PPID, True, width=34,
           help="Nomor Keputusan PPID, mis. 1/PP.01-Kpt/3201/2026; satu baris per keputusan"),
    Column(DECISION_DATE, Role.PPID, True, width=18, help="Tanggal ditetapkan, mis. 5 Januari 2026"),
    Column(DECISION_ESTABLISHES, Role.PPID, True, DECISION_CHOICES, 16,
           help="Yang ditetapkan: DIP, DIK, atau DIP dan DIK"),
    Column(DECISION_REMARKS, Role.PPID, width=30, help="Catatan; boleh kosong"),
    Column(DECISION_SCAN, Role.SYSTEM, width=30,
           help="Diisi oleh 'dip keputusan arsipkan' (pindaian bertanda tangan); jangan diubah"),
    Column(DECISION_SCAN_SHA256, Role.SYSTEM, width=30,
           help="Sidik SHA-256 pindaian yang diarsipkan; jangan diubah"),
    Column(NOTE, Role.SYSTEM, width=48, help=NOTE_HELP),
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


TABS: tuple[Tab, ...] = (
    Tab(DIP_TAB, DIP_COLUMNS),
    Tab(DIK_TAB, DIK_COLUMNS),
    Tab(HISTORY_TAB, HISTORY_COLUMNS),
    Tab(SYSTEM_TAB, SYSTEM_COLUMNS, key_header=SYSTEM_KEY),
    Tab(DECISION_TAB, DECISION_COLUMNS, key_header=DECISION_NUMBER),
)
TAB_BY_NAME = {t.name: t for t in TABS}


# ---- issue 14 (sheet): the Ringkasan tab and the editors of each unit ------------------------------

#: the ``dip status`` report in the register, rewritten by the sync when its content changed
#: (:mod:`dip_sheets.ringkasan`); not in :data:`TABS`: it has no header row and no columns to find
DASHBOARD_TAB = "Ringkasan"
DASHBOARD = Tab(DASHBOARD_TAB, ())
#: the columns a unit owns in a DIP row, which only that unit's editors (and the Desk and PPID) may
#: edit on a Google Sheet once the sync has seen the row (``[roles.units]``)
UNIT_HEADERS: tuple[str, ...] = tuple(c.header for c in DIP_COLUMNS if c.owner is Role.UNIT)
