"""The ``dip`` command: parses arguments, calls :class:`~dip_sheets.office.Office`, prints.

No rules live here: locks and backends are in :mod:`dip_sheets.office`, the run log, cron's rules
and the loop over offices in :mod:`dip_sheets.offices`, the handling of errors in
:mod:`dip_sheets.error_handler`.

Exit codes: 0 done (row problems are a normal outcome and are reported), 2 bad configuration,
register layout or command line, 3 register or website unreachable or busy, 4 another run holds
the register's lock, 1 anything else.

The common options (``--config``, ``--register``, ``--all``, ``--json``, ``--lang``, ``--debug``)
may be written before or after the command: the main parser holds their defaults and the
commands' copies only set what is written after the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import __version__, demo
from .argparse_id import Parser, argparse_language, requested_lang
from .check import CheckResult
from .config import Config, load_configs
from .decision_draft import DraftResult, check_number
from .decision_scans import ScanResult
from .decision_text import KINDS
from .error_handler import Place, guarded
from .errors import ConfigError
from .messages import Message
from .monev import MonevReport
from .office import InitResult, Office, RollbackResult, check_by
from .offices import Outcome, run_offices, select
from .output import Output, json_text, same
from .publish import PublishResult, human_size
from .redaction import RedactionResult
from .reports import sync_lines
from .status import StatusResult
from .sync import SyncResult

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
                     help="terbitkan walau ada baris ditetapkan yang bermasalah (baris itu dilewati)")
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


# ---- each command: call the office, then print what it says -----------------------------------
# ``act`` runs while the office's run is under way (publish prints its progress then); ``show``
# prints the result once the run is done and returns the ``--json`` document.


def _located(config: Config, args: argparse.Namespace) -> Config:
    """``init --local`` / ``init --sheet``: the register named on the command line."""
    if getattr(args, "local", None):
        return replace(config, register=replace(config.register, backend="workbook",
                                                path=args.local.resolve()))
    if getattr(args, "sheet", None):
        return replace(config, register=replace(config.register, backend="sheets",
                                                spreadsheet_id=args.sheet))
    return config


def show_init(result: InitResult, office: Office, args: argparse.Namespace,
              out: Output) -> dict[str, Any]:
    out.say_all(result.lines())
    out.say(same(f"Register: {result.location}"))
    return result.summary(out.lang)


def show_sync(result: SyncResult, office: Office, args: argparse.Namespace,
              out: Output) -> dict[str, Any]:
    if not (args.cron and result.applied is None):  # under cron, a run that changed nothing is silent
        out.say(same(f"Register: {office.register.location}"))
        out.say_all(sync_lines(result))
    return result.summary()


def act_publish(office: Office, args: argparse.Namespace, out: Output) -> PublishResult | RollbackResult:
    if (args.rollback is not None and args.dry_run) or (args.rollback is None and args.alasan):
        raise ConfigError(
            "--dry-run tidak dapat dipakai bersama --rollback, dan --alasan hanya untuk --rollback;"
            " tidak ada yang diubah.",
            "--dry-run cannot be used with --rollback, and --alasan is for --rollback only; nothing"
            " was changed.")
    if args.rollback is not None:
        return office.rollback(args.rollback or None, by=args.by, reason=args.alasan, adopt=args.adopt,
                               progress=out.progress)
    return office.publish(by=args.by, dry_run=args.dry_run, force=args.force, adopt=args.adopt,
                          progress=out.progress)


def show_publish(result: PublishResult | RollbackResult, office: Office, args: argparse.Namespace,
                 out: Output) -> dict[str, Any]:
    if isinstance(result, RollbackResult):
        out.say_all(result.lines())
        return result.summary()
    if result.sync is not None:
        out.say_all(sync_lines(result.sync))
    if result.status == "published":
        size = human_size(result.bytes_uploaded)
        out.say(Message(f"Terbit: versi {result.version}, {size.id} dikirim, {result.url}",
                        f"Published: version {result.version}, {size.en} sent, {result.url}"))
    return result.summary()


def show_status(result: StatusResult, office: Office, args: argparse.Namespace,
                out: Output) -> dict[str, Any]:
    if args.format == "json" and not out.as_json:
        print(json_text({"register": office.name, **result.summary()}))
    elif args.format == "csv" and not out.as_json:
        out.print_raw(result.csv(office.name))
    elif args.format == "table":
        out.say(same(f"Register: {office.register.location}"))
        out.say_all(result.lines())
    return result.summary()


def act_check(office: Office, args: argparse.Namespace, out: Output) -> CheckResult:
    """Printed as it ends, because a failed check still shows every line before its exit code."""
    result = office.check()
    out.say_all(result.lines())
    failure = result.failure()
    if failure is not None:
        raise failure
    return result


def show_check(result: CheckResult, office: Office, args: argparse.Namespace,
               out: Output) -> dict[str, Any]:
    return result.summary(out.lang)


def act_redact(office: Office, args: argparse.Namespace, out: Output) -> RedactionResult:
    return office.redact(args.item_id, args.alasan, by=args.by, progress=out.progress)


def show_lines(result: RedactionResult, office: Office, args: argparse.Namespace,
               out: Output) -> dict[str, Any]:
    out.say_all(result.lines())
    return result.summary()


def show_monev(result: MonevReport, office: Office, args: argparse.Namespace,
               out: Output) -> dict[str, Any]:
    out.say_all(result.lines())
    return result.summary()


def act_draft(office: Office, args: argparse.Namespace, out: Output) -> DraftResult:
    folder = args.folder.resolve() if args.folder else None
    return office.draft_decision(args.jenis, number=args.nomor, day=args.tanggal, folder=folder)


def show_draft(result: DraftResult, office: Office, args: argparse.Namespace,
               out: Output) -> dict[str, Any]:
    out.say_all(result.lines())
    return result.summary(out.lang)


def act_archive(office: Office, args: argparse.Namespace, out: Output) -> ScanResult:
    return office.archive_decision(args.nomor, args.berkas)


def show_archive(result: ScanResult, office: Office, args: argparse.Namespace,
                 out: Output) -> dict[str, Any]:
    out.say_all(result.lines())
    summary: dict[str, Any] = result.summary()
    return summary


@dataclass(frozen=True)
class Command:
    act: Callable[[Office, argparse.Namespace, Output], Any]
    show: Callable[[Any, Office, argparse.Namespace, Output], dict[str, Any]]


COMMANDS: dict[str, Command] = {
    "init": Command(lambda office, args, out: office.init(), show_init),
    "sync": Command(lambda office, args, out: office.sync(dry_run=args.dry_run), show_sync),
    "publish": Command(act_publish, show_publish),
    "status": Command(lambda office, args, out: office.status(days=args.days), show_status),
    "check": Command(act_check, show_check),
    "tarik": Command(act_redact, show_lines),
    "redaksi": Command(act_redact, show_lines),  # the same command under the name the issue used
    "monev": Command(lambda office, args, out: office.monev(evidence=args.bukti), show_monev),
    "keputusan draf": Command(act_draft, show_draft),
    "keputusan arsipkan": Command(act_archive, show_archive),
}


def cmd_demo(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    result = demo.run(args.folder.resolve(), fresh=args.fresh)
    out.say_all(sync_lines(result.sync))
    out.say(same(""))
    out.say(Message(f"Register (buka dengan Excel/LibreOffice): {result.register}",
                    f"Register (open with Excel/LibreOffice): {result.register}"))
    out.say(Message(f"Halaman DIP: {result.site / 'index.html'}", f"DIP page: {result.site / 'index.html'}"))
    out.say(Message(f"Versi terbit: {result.publish.version} ({result.publish.status})",
                    f"Published version: {result.publish.version} ({result.publish.status})"))
    return {"register": str(result.register), "site": str(result.site),
            "sync": result.sync.summary(), "publish": result.publish.summary()}


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    lang = requested_lang(words)  # before parsing, so argparse's own messages are in it too
    try:
        with argparse_language(lang):
            args = build_parser(lang).parse_args(words)
    except SystemExit as stop:  # --help and --version (0), or a usage error already printed (2)
        return stop.code if isinstance(stop.code, int) else 0
    out = Output(args.lang, args.json, getattr(args, "quiet", False))
    return guarded(lambda place: _run(args, out, place), command=args.command, lang=args.lang,
                   debug=args.debug, as_json=args.json)


def cmd_provinsi(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from .province import raise_if_all_unreachable, run_province  # pandas loads for this command only

    result = run_province(args.config or Path("provinsi.toml"), progress=out.progress)
    for code, name, error in result.unreachable:
        out.warn(Message(f"{code} {name}: tidak terjangkau, {error.id}",
                         f"{code} {name}: unreachable, {error.en}"))
    grid, catalogue = result.output / "kepatuhan.html", result.output / "katalog.html"
    out.say(Message(f"Kisi kepatuhan: {grid} · katalog: {catalogue}",
                    f"Compliance grid: {grid} · catalogue: {catalogue}"))
    raise_if_all_unreachable(result)  # exit 3 when no office answered; the grid is still written
    return result.summary(out.lang)


#: commands that do not run over the offices of a dip.toml
STANDALONE: dict[str, Callable[[argparse.Namespace, Output], dict[str, Any]]] = {
    "demo": cmd_demo,
    "provinsi": cmd_provinsi,
}


def _run(args: argparse.Namespace, out: Output, place: Place) -> int:
    if args.command in STANDALONE:
        document = STANDALONE[args.command](args, out)
        if args.json:
            print(json_text(document))
        return 0
    configs = select(load_configs(args.config), args.register_name, every=args.all)
    offices = [Office(_located(config, args), on_warning=out.warn) for config in configs]
    command = COMMANDS[" ".join(filter(None, (args.command, getattr(args, "subcommand", None))))]
    documents: list[dict[str, Any]] = []

    def start(office: Office) -> None:
        place.folder = office.config.state_dir  # an unexpected error's details go there
        if len(offices) > 1:
            out.heading = same(f"== {office.name}")  # printed before its first line, if any

    def done(outcome: Outcome[Any]) -> None:
        name, error = outcome.office.name, outcome.error
        out.say_all(outcome.notices)
        if error is None:
            documents.append({"register": name, **command.show(outcome.result, outcome.office, args, out)})
        elif outcome.reported and len(offices) == 1:
            raise error
        elif outcome.reported:
            out.warn(Message(f"{name}: {error.msg.id}", f"{name}: {error.msg.en}"))
            documents.append({"register": name, "error": error.message(args.lang),
                              "exit_code": error.exit_code})

    run = run_offices(offices, lambda office: command.act(office, args, out), command=args.command,
                      cron_run=getattr(args, "cron", False), on_start=start, on_done=done)
    if args.json:
        print(json_text(documents[0] if len(documents) == 1 else {"registers": documents}))
    return run.exit_code
