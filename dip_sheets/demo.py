"""``dip demo``: the embedded default in one command, with realistic entries of a KPU Kabupaten.

Some sample rows carry the mistakes staff really make (a missing link for a softcopy, a date that
does not exist, an excluded item in the DIP tab, an unknown unit, a duplicate, an item established
before it was classified) so the demo shows what the sync writes back.

The demo only ever touches a folder it made: one that does not exist yet, is empty, or carries its
marker file. ``--fresh`` removes the demo's own files there (see :data:`OWN`) and nothing else, so
``dip demo --fresh --folder ~/Dokumen`` cannot wipe a person's documents.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from . import schema as s
from .config import Config, PublishSettings, default_config
from .errors import ConfigError
from .office import Office
from .publish import PublishResult
from .register import Cell
from .register.workbook import append_rows
from .sync import SyncResult

SEKRETARIS = "Sekretaris KPU Kabupaten Contoh"
KEU = "Sub Bagian Keuangan, Umum dan Logistik"
TEKNIS = "Sub Bagian Teknis Penyelenggaraan Pemilu dan Hubungan Partisipasi Masyarakat"
RENDATIN = "Sub Bagian Perencanaan, Data dan Informasi"
HUKUM = "Sub Bagian Hukum dan Sumber Daya Manusia"
SITE = "https://ppid.kpu-contohkab.go.id/dokumen"
DONE = {s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditetapkan"}


def _row(category: str, sub: str, title: str, summary: str, unit: str, when: Cell, form: str,
         retention: str, link: str = "", steps: dict[str, str] | None = None,
         responsible: str = SEKRETARIS, remarks: str = "") -> dict[str, Cell]:
    return {
        s.CATEGORY: category, s.SUBCATEGORY: sub, s.TITLE: title, s.SUMMARY: summary,
        s.UNIT: unit, s.RESPONSIBLE: responsible, s.CREATED: when, s.PLACE: "Contoh",
        s.FORM: form, s.RETENTION: retention, s.LINK: link, s.REMARKS: remarks,
        **(DONE if steps is None else steps),
    }


SAMPLE_DIP: tuple[dict[str, Cell], ...] = (
    _row("Berkala", "Profil Badan Publik", "Profil KPU Kabupaten Contoh",
         "Kedudukan, tugas, fungsi dan wewenang KPU Kabupaten beserta alamat dan kontak kantor.",
         RENDATIN, 2025, "Softcopy dan Hardcopy", "Selama Berlaku", f"{SITE}/profil.pdf"),
    _row("Berkala", "Profil Badan Publik", "Struktur Organisasi Sekretariat KPU Kabupaten Contoh",
         "Bagan struktur organisasi, nama pejabat struktural dan uraian tugasnya.",
         HUKUM, "7 Februari 2022", "Softcopy", "Selama Berlaku", f"{SITE}/struktur.pdf"),
    _row("Berkala", "Profil Badan Publik",
         "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) Ketua dan Anggota",
         "Ringkasan LHKPN Ketua dan Anggota KPU Kabupaten yang telah diumumkan KPK.",
         HUKUM, "31/03/2025", "Softcopy", "5 Tahun", f"{SITE}/lhkpn-2024.pdf"),
    _row("Berkala", "Program dan Kegiatan", "Rencana Strategis KPU Kabupaten Contoh 2025–2029",
         "Visi, misi, tujuan, sasaran strategis dan indikator kinerja lima tahunan.",
         RENDATIN, "2025-2029", "Softcopy dan Hardcopy", "Selama Berlaku", f"{SITE}/renstra.pdf"),
    _row("Berkala", "Laporan Keuangan", "DIPA Satuan Kerja KPU Kabupaten Contoh Tahun 2025",
         "Daftar Isian Pelaksanaan Anggaran: pagu per program, kegiatan dan jenis belanja.",
         KEU, "07/01/2025", "Softcopy dan Hardcopy", "5 thn", f"{SITE}/dipa-2025.pdf"),
    _row("Berkala", "Laporan Kinerja", "Laporan Kinerja Instansi Pemerintah (LKjIP) Tahun 2024",
         "Capaian kinerja atas sasaran strategis Tahun 2024 dan analisis realisasi anggaran.",
         RENDATIN, "28 Februari 2025", "Softcopy", "10 tahun", f"{SITE}/lkjip-2024.pdf"),
    _row("Berkala", "Laporan Keuangan", "Laporan Realisasi Anggaran Semester I Tahun 2025",
         "Realisasi belanja pegawai, barang dan modal sampai dengan 30 Juni 2025.",
         KEU, "15 Juli 2025", "Softcopy", "5 tahun", f"{SITE}/lra-smt1-2025.pdf",
         steps={s.STEP1: "Ya", s.STEP2: "Sudah"}),
    _row("Berkala", "Informasi Pemilihan",
         "Keputusan tentang Penetapan Pasangan Calon Bupati dan Wakil Bupati 2024",
         "Keputusan KPU Kabupaten yang menetapkan pasangan calon peserta Pemilihan 2024.",
         TEKNIS, "22 September 2024", "Softcopy dan Hardcopy", "Permanen",
         f"{SITE}/kpts-paslon-2024.pdf"),
    _row("Berkala", "Informasi Pemilihan",
         "Rekapitulasi Hasil Penghitungan Suara Pemilihan Bupati dan Wakil Bupati 2024",
         "Berita acara dan sertifikat rekapitulasi hasil penghitungan suara tingkat kabupaten.",
         TEKNIS, "2024-12-04", "Softcopy dan Hardcopy", "Permanen", f"{SITE}/rekap-2024.pdf"),
    # mistake: softcopy without a link, yet established
    _row("Berkala", "Informasi Pemilihan", "Rekapitulasi Daftar Pemilih Tetap per Kecamatan",
         "Jumlah pemilih tetap laki-laki dan perempuan per kecamatan, Pemilihan 2024.",
         RENDATIN, "2024", "Softcopy", "5 tahun"),
    _row("Serta Merta", "", "Informasi Pemindahan Lokasi TPS Akibat Banjir",
         "Daftar TPS yang dipindahkan karena banjir beserta lokasi penggantinya.",
         TEKNIS, "26 November 2024", "Softcopy", "1 tahun", f"{SITE}/tps-banjir.pdf"),
    _row("Setiap Saat", "Aset dan Pengadaan", "Daftar Barang Milik Negara (BMN)",
         "Daftar aset tetap dan persediaan KPU Kabupaten per 31 Desember 2024.",
         KEU, "31/12/2024", "Hardcopy", "5 tahun"),
    _row("Setiap Saat", "Layanan Informasi", "Standar Operasional Prosedur Pelayanan Informasi",
         "SOP permohonan informasi, keberatan, dan penetapan Daftar Informasi Publik.",
         RENDATIN, "7 Februari 2022", "Softcopy dan Hardcopy", "Selama Berlaku",
         f"{SITE}/sop-ppid.pdf"),
    # mistake: established before the Desk classified it
    _row("Setiap Saat", "Aset dan Pengadaan", "Dokumen Pengadaan Logistik Pemilihan 2024",
         "Kontrak, berita acara serah terima dan dokumen pemilihan penyedia logistik.",
         KEU, "2024", "Hardcopy", "10 tahun", steps={s.STEP1: "Ya", s.STEP3: "Ditetapkan"}),
    # mistake: excluded information in the DIP tab
    _row("Dikecualikan", "", "Data Pribadi Anggota KPPS",
         "NIK, alamat dan nomor telepon anggota KPPS.", HUKUM, "2024", "Hardcopy", "5 tahun",
         steps={s.STEP1: "Ya"}),
    # mistake: unit not in the configured list
    _row("Setiap Saat", "Tata Naskah", "Agenda Surat Masuk dan Surat Keluar",
         "Register surat masuk dan keluar sekretariat.", "Bagian Umum", "2025", "Hardcopy",
         "2 tahun", steps={s.STEP1: "Ya"}),
    # mistake: a date that does not exist
    _row("Berkala", "Informasi Pemilihan", "Jadwal Tahapan Pemilihan Serentak",
         "Jadwal dan tahapan penyelenggaraan pemilihan di tingkat kabupaten.", TEKNIS,
         "31/02/2024", "Softcopy", "Selama Berlaku", f"{SITE}/jadwal.pdf", steps={}),
    # mistake: duplicate of an existing item
    _row("Berkala", "Profil Badan Publik",
         "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) ketua dan anggota",
         "LHKPN.", HUKUM, "2025", "Softcopy", "5 tahun", f"{SITE}/lhkpn.pdf", steps={}),
    # drafts still with the units
    _row("Berkala", "Sosialisasi", "Materi Sosialisasi dan Pendidikan Pemilih 2025",
         "Bahan sosialisasi untuk pemilih pemula dan komunitas.", TEKNIS, "2025", "Softcopy",
         "2 tahun", f"{SITE}/sosialisasi-2025.pdf", steps={}),
    _row("Setiap Saat", "Kepegawaian", "Daftar Pegawai Sekretariat KPU Kabupaten",
         "Nama, jabatan dan pangkat/golongan pegawai.", HUKUM, "2025", "Hardcopy",
         "Selama Berlaku", steps={s.STEP1: "Ya"}),
)

SAMPLE_DIK: tuple[dict[str, Cell], ...] = (
    {
        s.DIK_INFORMATION: "Data pribadi pemilih (NIK dan Nomor Kartu Keluarga) dalam daftar pemilih",
        s.UNIT: RENDATIN,
        s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h; UU 27/2022 Pasal 4",
        s.DIK_IF_OPENED: "Membuka rahasia pribadi pemilih dan berisiko penyalahgunaan identitas.",
        s.DIK_IF_CLOSED: "Data pribadi terlindungi; rekapitulasi jumlah pemilih tetap terbuka.",
        s.DIK_PERIOD: "Permanen",
        s.DIK_TEST_DATE: "15/03/2023",
        s.DIK_DECISION: "Keputusan PPID Nomor 12/PP.06-Kpt/2023",
    },
    {
        s.DIK_INFORMATION: "Berkas hasil tes wawancara calon anggota PPK",
        s.UNIT: HUKUM,
        s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h angka 4",
        s.DIK_IF_OPENED: "Mengungkap penilaian kemampuan dan rekam jejak pribadi peserta.",
        s.DIK_IF_CLOSED: "Privasi peserta terjaga; hasil akhir seleksi tetap diumumkan.",
        s.DIK_PERIOD: "5 tahun",
        s.DIK_TEST_DATE: "2 Mei 2024",
        s.DIK_DECISION: "Keputusan PPID Nomor 5/PP.06-Kpt/2024",
    },
    {  # expired: must be reclassified into the DIP
        s.DIK_INFORMATION: "Rencana pengamanan distribusi logistik Pemilu 2024",
        s.UNIT: KEU,
        s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf c",
        s.DIK_IF_OPENED: "Rute dan jadwal distribusi dapat dimanfaatkan untuk mengganggu logistik.",
        s.DIK_IF_CLOSED: "Distribusi logistik aman sampai pemungutan suara selesai.",
        s.DIK_PERIOD: "sampai 31 Desember 2024",
        s.DIK_TEST_DATE: "10/01/2024",
        s.DIK_DECISION: "Keputusan PPID Nomor 2/PP.06-Kpt/2024",
    },
)


#: marks a folder as the demo's; written before anything else goes into it.
MARKER = ".dip-demo"
REGISTER = "register.xlsx"
SITE = "situs"
#: what the demo writes into its folder: its register (with the temporary copies of a save), its
#: site, the run log and lock files of its state folder. ``--fresh`` removes these only.
OWN = re.compile(r"register\.xlsx|\.register\.xlsx\..*\.tmp|situs|dip\.log(\.\d+)?|dip-utama\..*")


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    register: Path
    site: Path
    sync: SyncResult
    publish: PublishResult


def demo_config(folder: Path) -> Config:
    config = default_config(folder)
    return replace(
        config,
        register=replace(config.register, path=folder / REGISTER),
        publish=PublishSettings(folder=folder / SITE, by="PPID KPU Kabupaten Contoh"),
        state_dir=folder,
    )


def run(folder: Path, *, fresh: bool = False) -> DemoResult:
    """Create (or reuse) the demo register, sync it and publish it to a local folder."""
    config = demo_config(folder)
    claim(folder, fresh=fresh)
    office = Office(config)
    if not config.register.path.exists():
        office.init()
        append_rows(config.register.path, s.DIP_TAB, SAMPLE_DIP)
        append_rows(config.register.path, s.DIK_TAB, SAMPLE_DIK)
        year = config.now().year  # the year rule: a decision of this year establishes the list
        append_rows(config.register.path, s.DECISION_TAB, [{
            s.DECISION_NUMBER: f"1/PP.01-Kpt/{year}", s.DECISION_DATE: f"2 Januari {year}",
            s.DECISION_ESTABLISHES: s.DECIDES_BOTH}])
    synced = office.sync()
    published = office.publish(force=True)
    return DemoResult(folder, config.register.path, config.publish.folder, synced, published)


def claim(folder: Path, *, fresh: bool) -> None:
    """Make sure ``folder`` is the demo's (refuse a folder holding anything else) and mark it;
    with ``fresh``, remove the demo's own files from it first, never following a link."""
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    if (folder.exists() and not folder.is_dir()) or (entries and not (folder / MARKER).is_file()):
        raise ConfigError(
            f"Folder '{folder}' bukan folder contoh 'dip demo' (berisi berkas lain dan tanpa berkas"
            f" penanda {MARKER}); tidak ada yang diubah atau dihapus. Pilih folder baru atau kosong"
            " dengan --folder.",
            f"'{folder}' is not a 'dip demo' folder (it holds other files and no {MARKER} marker);"
            " nothing was changed or deleted. Choose a new or empty folder with --folder.",
        )
    if fresh:
        for entry in entries:
            if not OWN.fullmatch(entry.name):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(
        "Folder ini dibuat oleh 'dip demo'. 'dip demo --fresh' menghapus berkas contohnya saja.\n",
        encoding="utf-8")
