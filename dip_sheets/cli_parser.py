"""The ``dip`` command line: its commands and options, in Indonesian (see :mod:`dip_sheets.cli`).

The common options (``--config``, ``--register``, ``--all``, ``--json``, ``--lang``, ``--debug``)
may be written before or after the command: the main parser holds their defaults and the
commands' copies only set what is written after the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .argparse_id import Parser
from .decision_draft import check_number
from .decision_text import KINDS
from .errors import ConfigError
from .office import check_by

#: common options: name -> (argparse keywords). Defaults live on the main parser only.
COMMON: dict[str, dict[str, Any]] = {
    "--config": {"type": Path, "metavar": "BERKAS", "help": "berkas dip.toml (bawaan: contoh lokal)"},
    "--register": {"dest": "register_name", "metavar": "NAMA",
                   "help": "nama register bila konfigurasi memuat beberapa [[register]]"},
    "--all": {"action": "store_true", "help": "jalankan untuk semua register"},
    "--json": {"action": "store_true", "help": "ringkasan JSON di stdout"},
    "--lang": {"choices": ("id", "en"), "help": "bahasa pesan (bawaan: id)"},
    "--debug": {"action": "store_true",
                "help": "log rinci dan traceback di stderr (traceback selalu dicatat di dip.log)"},
}
DEFAULTS = {"config": None, "register_name": None, "all": False, "json": False, "lang": "id",
            "debug": False}


def _common(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    for flag, options in COMMON.items():
        if after_command:  # unset unless written here, so it never hides a value given before
            options = {**options, "default": argparse.SUPPRESS}
        parser.add_argument(flag, **options)


def _checked(rule: Callable[[str], Any], lang: str) -> Callable[[str], Any]:
    """An option checked while parsing (``--by``, ``--nomor``, ``--tanggal``): refused (exit 2)
    with the rule's own message, without echoing what was typed."""
    def check(text: str) -> Any:
        try:
            return rule(text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(error.message(lang)) from None
    return check


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError("Tanggal ditulis sebagai TAHUN-BULAN-HARI, mis. 2026-01-05.",
                          "Write the date as YEAR-MONTH-DAY, e.g. 2026-01-05.") from None


def build_parser(lang: str = "id") -> argparse.ArgumentParser:
    parser = Parser(
        prog="dip", description="Daftar Informasi Publik dari spreadsheet bersama (UU 14/2008, SOP PPID).",
    )
    _common(parser, after_command=False)
    parser.set_defaults(**DEFAULTS)
    parser.add_argument("--version", action="version", version=f"dip-sheets {__version__}",
                        help="tampilkan versi lalu keluar")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")

    def command(name: str, help: str, aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, aliases=list(aliases))
        _common(sub, after_command=True)
        return sub

    init = command("init", "buat atau perbaiki register")
    where = init.add_mutually_exclusive_group()
    where.add_argument("--local", type=Path, metavar="BERKAS.xlsx", help="workbook lokal")
    where.add_argument("--sheet", metavar="SPREADSHEET_ID", help="Google Sheet")

    sync = command("sync", "periksa register dan tulis temuan")
    sync.add_argument("--dry-run", action="store_true", help="tampilkan perubahan tanpa menulis")
    sync.add_argument("--cron", action="store_true",
                      help="untuk cron: diam bila tidak ada perubahan; register yang terus sibuk"
                           " dilaporkan sekali; kode 4 bila proses lain berjalan")

    pub = command("publish", "terbitkan DIP (langkah 4-5)")
    pub.add_argument("--dry-run", action="store_true", help="tampilkan tanpa mengunggah/menulis")
    pub.add_argument("--by", "--oleh", dest="by", type=_checked(check_by, lang), metavar="NAMA",
                     help="siapa yang memerintahkan unggah atau pemulihan (langkah 4)")
    pub.add_argument("--force", action="store_true",
                     help="terbitkan walau ada baris ditetapkan yang bermasalah (baris itu dilewati),"
                          " daftar akan kosong, atau belum ada Keputusan PPID tahun ini yang menetapkan"
                          " DIP (dicatat di versi itu dan riwayat.html)")
    pub.add_argument("--rollback", nargs="?", const="", metavar="VERSI",
                     help="aktifkan kembali versi arsip (bawaan: versi sebelumnya)")
    pub.add_argument("--alasan", default="", metavar="TEKS",
                     help="alasan pemulihan (--rollback), dicatat di riwayat.html")
    pub.add_argument("--quiet", action="store_true", help="tanpa keluaran kemajuan")
    pub.add_argument("--adopt", action="store_true",
                     help="terbitkan ke folder yang sudah berisi berkas lain (berkas itu tidak disentuh)")

    take = command("tarik", "tarik satu informasi dari daftar yang tayang dan dari semua versi arsip",
                   aliases=["redaksi"])
    take.add_argument("item_id", metavar="ID", help="ID informasi, mis. DIP-0007")
    take.add_argument("--alasan", required=True, metavar="TEKS",
                      help="mengapa ditarik (mis. dikecualikan menurut uji konsekuensi);"
                           " dicatat di riwayat.html")
    take.add_argument("--oleh", dest="by", type=_checked(check_by, lang), metavar="NAMA",
                      help="siapa yang memerintahkan")

    command("check", "periksa konfigurasi tanpa mengubah apa pun")

    stat = command("status", "posisi setiap item dalam SOP")
    stat.add_argument("--format", choices=("table", "json", "csv"), default="table", help="bentuk keluaran")
    stat.add_argument("--days", type=int, default=14, metavar="N",
                      help="sebutkan item yang menunggu lebih dari N hari di satu langkah (bawaan 14)")

    monev = command("monev", "swanilai e-Monev: apa yang sudah dan belum memenuhi")
    monev.add_argument("--bukti", type=Path, metavar="FOLDER",
                       help="tulis satu PDF bukti per item (masing-masing paling besar 2 MB)")

    command("provinsi", "tampilan provinsi: kisi kepatuhan dan katalog kantor-kantor (provinsi.toml)")

    decisions = command("keputusan", "Keputusan PPID yang menetapkan DIP dan DIK").add_subparsers(
        dest="subcommand", required=True, metavar="PERINTAH")

    def subcommand(name: str, help: str) -> argparse.ArgumentParser:
        """One command of the ``keputusan`` group (``dip keputusan draf``)."""
        sub = decisions.add_parser(name, help=help, description=help)
        _common(sub, after_command=True)
        return sub

    draft = subcommand("draf", "draf Keputusan PPID tentang penetapan DIP dan/atau DIK beserta"
                               " lampirannya (DOCX dan PDF)")
    draft.add_argument("--jenis", choices=KINDS, default="dip",
                       help="yang ditetapkan: dip, dik, atau keduanya dalam satu keputusan (bawaan: dip)")
    draft.add_argument("--nomor", type=_checked(check_number, lang), metavar="NOMOR",
                       help="nomor keputusan (bawaan: dikosongkan untuk diisi sebelum ditandatangani)")
    draft.add_argument("--tanggal", type=_checked(_day, lang), metavar="YYYY-MM-DD",
                       help="tanggal penetapan (bawaan: dikosongkan; tahunnya tahun ini)")
    draft.add_argument("--folder", type=Path, metavar="FOLDER",
                       help="folder keluaran (bawaan: folder 'keputusan' di folder kerja, state_dir)")
    scan = subcommand("arsipkan", "catat pindaian keputusan bertanda tangan (PDF); ikut terbit pada"
                                  " 'dip publish' berikutnya")
    scan.add_argument("nomor", metavar="NOMOR", help="nomor keputusan, seperti di tab Keputusan")
    scan.add_argument("berkas", type=Path, metavar="BERKAS.pdf", help="pindaian bertanda tangan")

    dem = command("demo", "contoh lengkap di folder lokal")
    dem.add_argument("--folder", type=Path, default=Path("dip-demo"), help="folder kerja")
    dem.add_argument("--fresh", action="store_true",
                     help="hapus berkas contoh sebelumnya dan buat ulang (berkas lain tidak disentuh)")
    return parser
