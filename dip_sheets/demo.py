"""``dip demo``: the embedded default in one command, with realistic entries of a KPU Kabupaten.

The sample's dates are counted back from the day the demo is made (:func:`sample_dip`), so its
Berkala items are never older than the six months after which the sync warns that they are stale.
Some sample rows carry the mistakes staff really make (a missing link for a softcopy, a date that
does not exist, an excluded item in the DIP tab, an unknown unit, a duplicate, an item established
before it was classified) so the demo shows what the sync writes back.

The demo only ever touches a folder it made: one that does not exist yet, is empty, or carries its
marker file. ``--fresh`` removes the demo's own files there (see :data:`OWN`) and nothing else, so
``dip demo --fresh --folder ~/Dokumen`` cannot wipe a person's documents.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from . import schema as s
from .config import Config, PublishSettings, default_config
from .dates import format_date
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
#: where the sample items' documents are (their ``Tautan``)
DOCS = "https://ppid.kpu-contohkab.go.id/dokumen"
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


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def sample_dip(today: dt.date) -> tuple[dict[str, Cell], ...]:
    """The demo's DIP rows as of ``today``: every date (and the years in the titles) counted back
    from it, the Berkala items within the last five months, so a demo made on any day shows no
    "not updated for more than 6 months" warning; the same ``today``, the same rows."""
    year = today.year

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    lhkpn, dipa, lkjip, lra = ago(60), ago(25), ago(80), ago(15)
    paslon, rekap, tps, bmn, logistik = ago(100), ago(120), ago(30), ago(200), ago(300)
    return (
        _row("Berkala", "Profil Badan Publik", "Profil KPU Kabupaten Contoh",
             "Kedudukan, tugas, fungsi dan wewenang KPU Kabupaten beserta alamat dan kontak kantor.",
             RENDATIN, year, "Softcopy dan Hardcopy", "Selama Berlaku", f"{DOCS}/profil.pdf"),
        _row("Berkala", "Profil Badan Publik", "Struktur Organisasi Sekretariat KPU Kabupaten Contoh",
             "Bagan struktur organisasi, nama pejabat struktural dan uraian tugasnya.",
             HUKUM, format_date(ago(40)), "Softcopy", "Selama Berlaku", f"{DOCS}/struktur.pdf"),
        _row("Berkala", "Profil Badan Publik",
             "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) Ketua dan Anggota",
             "Ringkasan LHKPN Ketua dan Anggota KPU Kabupaten yang telah diumumkan KPK.",
             HUKUM, _dmy(lhkpn), "Softcopy", "5 Tahun", f"{DOCS}/lhkpn-{lhkpn.year - 1}.pdf"),
        _row("Berkala", "Program dan Kegiatan", f"Rencana Strategis KPU Kabupaten Contoh {year}–{year + 4}",
             "Visi, misi, tujuan, sasaran strategis dan indikator kinerja lima tahunan.", RENDATIN,
             f"{year}-{year + 4}", "Softcopy dan Hardcopy", "Selama Berlaku", f"{DOCS}/renstra.pdf"),
        _row("Berkala", "Laporan Keuangan", f"DIPA Satuan Kerja KPU Kabupaten Contoh Tahun {dipa.year}",
             "Daftar Isian Pelaksanaan Anggaran: pagu per program, kegiatan dan jenis belanja.",
             KEU, _dmy(dipa), "Softcopy dan Hardcopy", "5 thn", f"{DOCS}/dipa-{dipa.year}.pdf"),
        _row("Berkala", "Laporan Kinerja",
             f"Laporan Kinerja Instansi Pemerintah (LKjIP) Tahun {lkjip.year - 1}",
             f"Capaian kinerja atas sasaran strategis Tahun {lkjip.year - 1} dan analisis realisasi"
             " anggaran.",
             RENDATIN, format_date(lkjip), "Softcopy", "10 tahun", f"{DOCS}/lkjip-{lkjip.year - 1}.pdf"),
        _row("Berkala", "Laporan Keuangan", f"Laporan Realisasi Anggaran sampai dengan {format_date(lra)}",
             f"Realisasi belanja pegawai, barang dan modal sampai dengan {format_date(lra)}.",
             KEU, format_date(lra), "Softcopy", "5 tahun", f"{DOCS}/lra-{lra.isoformat()}.pdf",
             steps={s.STEP1: "Ya", s.STEP2: "Sudah"}),
        _row("Berkala", "Informasi Pemilihan",
             f"Keputusan tentang Penetapan Pasangan Calon Bupati dan Wakil Bupati {paslon.year}",
             f"Keputusan KPU Kabupaten yang menetapkan pasangan calon peserta Pemilihan {paslon.year}.",
             TEKNIS, format_date(paslon), "Softcopy dan Hardcopy", "Permanen",
             f"{DOCS}/kpts-paslon-{paslon.year}.pdf"),
        _row("Berkala", "Informasi Pemilihan",
             f"Rekapitulasi Hasil Penghitungan Suara Pemilihan Bupati dan Wakil Bupati {rekap.year}",
             "Berita acara dan sertifikat rekapitulasi hasil penghitungan suara tingkat kabupaten.",
             TEKNIS, rekap.isoformat(), "Softcopy dan Hardcopy", "Permanen",
             f"{DOCS}/rekap-{rekap.year}.pdf"),
        # mistake: softcopy without a link, yet established
        _row("Berkala", "Informasi Pemilihan", "Rekapitulasi Daftar Pemilih Tetap per Kecamatan",
             f"Jumlah pemilih tetap laki-laki dan perempuan per kecamatan, Pemilihan {rekap.year}.",
             RENDATIN, str(year), "Softcopy", "5 tahun"),
        _row("Serta Merta", "", "Informasi Pemindahan Lokasi TPS Akibat Banjir",
             "Daftar TPS yang dipindahkan karena banjir beserta lokasi penggantinya.",
             TEKNIS, format_date(tps), "Softcopy", "1 tahun", f"{DOCS}/tps-banjir.pdf"),
        _row("Setiap Saat", "Aset dan Pengadaan", "Daftar Barang Milik Negara (BMN)",
             f"Daftar aset tetap dan persediaan KPU Kabupaten per {format_date(bmn)}.",
             KEU, _dmy(bmn), "Hardcopy", "5 tahun"),
        _row("Setiap Saat", "Layanan Informasi", "Standar Operasional Prosedur Pelayanan Informasi",
             "SOP permohonan informasi, keberatan, dan penetapan Daftar Informasi Publik.",
             RENDATIN, format_date(ago(900)), "Softcopy dan Hardcopy", "Selama Berlaku",
             f"{DOCS}/sop-ppid.pdf"),
        # mistake: established before the Desk classified it
        _row("Setiap Saat", "Aset dan Pengadaan", f"Dokumen Pengadaan Logistik Pemilihan {logistik.year}",
             "Kontrak, berita acara serah terima dan dokumen pemilihan penyedia logistik.",
             KEU, str(logistik.year), "Hardcopy", "10 tahun", steps={s.STEP1: "Ya", s.STEP3: "Ditetapkan"}),
        # mistake: excluded information in the DIP tab
        _row("Dikecualikan", "", "Data Pribadi Anggota KPPS",
             "NIK, alamat dan nomor telepon anggota KPPS.", HUKUM, str(year), "Hardcopy", "5 tahun",
             steps={s.STEP1: "Ya"}),
        # mistake: unit not in the configured list
        _row("Setiap Saat", "Tata Naskah", "Agenda Surat Masuk dan Surat Keluar",
             "Register surat masuk dan keluar sekretariat.", "Bagian Umum", str(year), "Hardcopy",
             "2 tahun", steps={s.STEP1: "Ya"}),
        # mistake: a date that does not exist
        _row("Berkala", "Informasi Pemilihan", "Jadwal Tahapan Pemilihan Serentak",
             "Jadwal dan tahapan penyelenggaraan pemilihan di tingkat kabupaten.", TEKNIS,
             f"31/02/{year}", "Softcopy", "Selama Berlaku", f"{DOCS}/jadwal.pdf", steps={}),
        # mistake: duplicate of an existing item
        _row("Berkala", "Profil Badan Publik",
             "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) ketua dan anggota",
             "LHKPN.", HUKUM, str(year), "Softcopy", "5 tahun", f"{DOCS}/lhkpn.pdf", steps={}),
        # drafts still with the units
        _row("Berkala", "Sosialisasi", f"Materi Sosialisasi dan Pendidikan Pemilih {year}",
             "Bahan sosialisasi untuk pemilih pemula dan komunitas.", TEKNIS, str(year), "Softcopy",
             "2 tahun", f"{DOCS}/sosialisasi-{year}.pdf", steps={}),
        _row("Setiap Saat", "Kepegawaian", "Daftar Pegawai Sekretariat KPU Kabupaten",
             "Nama, jabatan dan pangkat/golongan pegawai.", HUKUM, str(year), "Hardcopy",
             "Selama Berlaku", steps={s.STEP1: "Ya"}),
    )


def sample_dik(today: dt.date) -> tuple[dict[str, Cell], ...]:
    """The demo's DIK rows as of ``today``: two exclusions in force for years to come, and one that
    ended on 31 December of last year (it must be reclassified into the DIP)."""
    last_year = today.year - 1
    tested = (today - dt.timedelta(days=800), today - dt.timedelta(days=400), dt.date(last_year, 1, 10))
    return (
        {
            s.DIK_INFORMATION: "Data pribadi pemilih (NIK dan Nomor Kartu Keluarga) dalam daftar pemilih",
            s.UNIT: RENDATIN,
            s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h; UU 27/2022 Pasal 4",
            s.DIK_IF_OPENED: "Membuka rahasia pribadi pemilih dan berisiko penyalahgunaan identitas.",
            s.DIK_IF_CLOSED: "Data pribadi terlindungi; rekapitulasi jumlah pemilih tetap terbuka.",
            s.DIK_PERIOD: "Permanen",
            s.DIK_TEST_DATE: _dmy(tested[0]),
            s.DIK_DECISION: f"Keputusan PPID Nomor 12/PP.06-Kpt/{tested[0].year}",
        },
        {
            s.DIK_INFORMATION: "Berkas hasil tes wawancara calon anggota PPK",
            s.UNIT: HUKUM,
            s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h angka 4",
            s.DIK_IF_OPENED: "Mengungkap penilaian kemampuan dan rekam jejak pribadi peserta.",
            s.DIK_IF_CLOSED: "Privasi peserta terjaga; hasil akhir seleksi tetap diumumkan.",
            s.DIK_PERIOD: "5 tahun",
            s.DIK_TEST_DATE: format_date(tested[1]),
            s.DIK_DECISION: f"Keputusan PPID Nomor 5/PP.06-Kpt/{tested[1].year}",
        },
        {  # expired: must be reclassified into the DIP
            s.DIK_INFORMATION: f"Rencana pengamanan distribusi logistik Pemilihan {last_year}",
            s.UNIT: KEU,
            s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf c",
            s.DIK_IF_OPENED: "Rute dan jadwal distribusi dapat dimanfaatkan untuk mengganggu logistik.",
            s.DIK_IF_CLOSED: "Distribusi logistik aman sampai pemungutan suara selesai.",
            s.DIK_PERIOD: f"sampai 31 Desember {last_year}",
            s.DIK_TEST_DATE: _dmy(tested[2]),
            s.DIK_DECISION: f"Keputusan PPID Nomor 2/PP.06-Kpt/{last_year}",
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
        today = config.now().date()
        append_rows(config.register.path, s.DIP_TAB, sample_dip(today))
        append_rows(config.register.path, s.DIK_TAB, sample_dik(today))
        # the year rule: a decision of this year (dated today at the latest) establishes the list
        decided = min(dt.date(today.year, 1, 2), today)
        append_rows(config.register.path, s.DECISION_TAB, [{
            s.DECISION_NUMBER: f"1/PP.01-Kpt/{today.year}", s.DECISION_DATE: format_date(decided),
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
