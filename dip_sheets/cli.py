"""The ``dip`` command: parses arguments, calls the library, prints. No rules live here.

Exit codes: 0 done (row problems are a normal outcome and are reported), 2 bad configuration,
register layout or command line, 3 register or website unreachable or busy, 4 another run holds
the register's lock, 1 anything else (see :mod:`dip_sheets.error_handler`).

The common options (``--config``, ``--register``, ``--all``, ``--json``, ``--lang``, ``--debug``)
may be written before or after the command: the main parser holds their defaults and the
commands' copies only set what is written after the command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__, cron, demo, operations
from .argparse_id import Parser, argparse_language, requested_lang
from .check import run_checks
from .config import Config, load_configs
from .connect import open_register, open_target
from .error_handler import Place, guarded
from .errors import BackendUnavailable, ConfigError, DipError
from .messages import Message
from .output import Output, json_text, same
from .publish import human_size
from .reports import sync_lines
from .runlog import run_logger, summary_line
from .status import status, status_csv, status_lines
from .sync import review

#: common options: name -> (argparse keywords). Defaults live on the main parser only.
COMMON: dict[str, dict[str, Any]] = {
    "--config": {"type": Path, "help": "berkas dip.toml (bawaan: contoh lokal)"},
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


def _by(lang: str) -> Callable[[str], str]:
    """``--by`` checked while parsing: refused (exit 2) without echoing what was typed."""
    def check(text: str) -> str:
        try:
            return operations.check_by(text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(error.message(lang)) from None
    return check


def build_parser(lang: str = "id") -> argparse.ArgumentParser:
    parser = Parser(
        prog="dip", description="Daftar Informasi Publik dari spreadsheet bersama (UU 14/2008, SOP PPID).",
    )
    _common(parser, after_command=False)
    parser.set_defaults(**DEFAULTS)
    parser.add_argument("--version", action="version", version=f"dip-sheets {__version__}",
                        help="tampilkan versi lalu keluar")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
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
    pub.add_argument("--by", type=_by(lang), metavar="NAMA",
                     help="siapa yang memerintahkan unggah (langkah 4)")
    pub.add_argument("--force", action="store_true",
                     help="terbitkan walau ada baris ditetapkan yang bermasalah (baris itu dilewati)")
    pub.add_argument("--rollback", nargs="?", const="", metavar="VERSI",
                     help="aktifkan kembali versi arsip (bawaan: versi sebelumnya)")
    pub.add_argument("--quiet", action="store_true", help="tanpa keluaran kemajuan")
    pub.add_argument("--adopt", action="store_true",
                     help="terbitkan ke folder yang sudah berisi berkas lain (berkas itu tidak disentuh)")

    command("check", "periksa konfigurasi tanpa mengubah apa pun")

    stat = command("status", "posisi setiap item dalam SOP")
    stat.add_argument("--format", choices=("table", "json", "csv"), default="table", help="bentuk keluaran")
    stat.add_argument("--days", type=int, default=14, metavar="N",
                      help="sebutkan item yang menunggu lebih dari N hari di satu langkah (bawaan 14)")

    dem = command("demo", "contoh lengkap di folder lokal")
    dem.add_argument("--folder", type=Path, default=Path("dip-demo"), help="folder kerja")
    dem.add_argument("--fresh", action="store_true",
                     help="hapus berkas contoh sebelumnya dan buat ulang (berkas lain tidak disentuh)")
    return parser


def _select(configs: list[Config], args: argparse.Namespace) -> list[Config]:
    if args.register_name:
        chosen = [c for c in configs if c.name == args.register_name]
        if not chosen:
            names = ", ".join(c.name for c in configs)
            raise ConfigError(
                f"Register '{args.register_name}' tidak ada di konfigurasi (ada: {names}).",
                f"Register '{args.register_name}' is not configured (configured: {names}).",
            )
        return chosen
    if len(configs) > 1 and not args.all:
        names = ", ".join(c.name for c in configs)
        raise ConfigError(
            f"Konfigurasi memuat beberapa register ({names}); pilih dengan --register NAMA atau"
            " gunakan --all.",
            f"The configuration has several registers ({names}); choose one with --register NAME"
            " or use --all.",
        )
    return configs


def cmd_init(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    if args.local:
        config = replace(config, register=replace(config.register, backend="workbook",
                                                  path=args.local.resolve()))
    elif args.sheet:
        config = replace(config, register=replace(config.register, backend="sheets",
                                                  spreadsheet_id=args.sheet))
    register = open_register(config)
    done = operations.init(config, register)
    out.say_all(done or [Message("Register sudah lengkap; tidak ada yang diubah.",
                                   "The register is complete; nothing was changed.")])
    out.say(same(f"Register: {register.location}"))
    return {"location": register.location, "done": [line.text(out.lang) for line in done]}


def cmd_sync(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    register = open_register(config)
    result = operations.sync(config, register, dry_run=args.dry_run)
    if args.cron:
        again = cron.back_to_normal(config.state_dir, config.name)
        if again is not None:
            out.say(again)
        if result.applied is None:
            return result.summary()  # under cron, a run that changed nothing prints nothing
    out.say(same(f"Register: {register.location}"))
    out.say_all(sync_lines(result))
    return result.summary()


def cmd_publish(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    target = open_target(config, on_warning=out.warn)
    try:
        if args.rollback is not None:
            chosen = operations.rollback_site(config, target, args.rollback or None, out.progress,
                                              adopt=args.adopt)
            out.say(Message(f"Versi {chosen.version} aktif kembali di {target.location}.",
                            f"Version {chosen.version} is live again at {target.location}."))
            return {"status": "rolled-back", "version": chosen.version}
        result = operations.publish_site(config, open_register(config), target, by=args.by,
                                         dry_run=args.dry_run, force=args.force,
                                         adopt=args.adopt, progress=out.progress)
    finally:
        target.close()
    if result.sync is not None:
        out.say_all(sync_lines(result.sync))
    if result.status == "published":
        size = human_size(result.bytes_uploaded)
        out.say(Message(f"Terbit: versi {result.version}, {size} dikirim, {result.url}",
                        f"Published: version {result.version}, {size} sent, {result.url}"))
    return result.summary()


def cmd_status(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    register = open_register(config)
    now = config.now()
    report = status(review(register.read(), config.units, now), now.date(), args.days)
    if args.format == "json" and not out.as_json:
        print(json_text({"register": config.name, **report}))
    elif args.format == "csv" and not out.as_json:
        out.print_raw(status_csv(report, config.name))
    elif args.format == "table":
        out.say(same(f"Register: {register.location}"))
        out.say_all(status_lines(report))
    return report


def cmd_check(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    results = run_checks(config)
    for check in results:
        out.say(Message(f"{'ok   ' if check.ok else 'GAGAL'} {check.name.id}: {check.detail.id}",
                        f"{'ok  ' if check.ok else 'FAIL'} {check.name.en}: {check.detail.en}"))
    failed = [c for c in results if not c.ok]
    if failed:  # exit with the most serious failure's code
        kind = {2: ConfigError, 3: BackendUnavailable}.get(max(c.exit_code for c in failed), DipError)
        raise kind(f"{len(failed)} pemeriksaan gagal.", f"{len(failed)} checks failed.")
    return {"checks": [{"name": c.name.text(out.lang), "ok": c.ok, "detail": c.detail.text(out.lang)}
                       for c in results]}


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


COMMANDS: dict[str, Callable[[Config, argparse.Namespace, Output], dict[str, Any]]] = {
    "init": cmd_init, "sync": cmd_sync, "publish": cmd_publish, "status": cmd_status,
    "check": cmd_check,
}


#: commands whose runs leave a line in the run log (read-only ones do not).
LOGGED = ("sync", "publish")


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


def _run(args: argparse.Namespace, out: Output, place: Place) -> int:
    if args.command == "demo":
        document = cmd_demo(args, out)
        if args.json:
            print(json_text(document))
        return 0
    configs = _select(load_configs(args.config), args)
    documents: list[dict[str, Any]] = []
    worst = 0
    for config in configs:
        place.folder = config.state_dir
        if len(configs) > 1:
            out.heading = same(f"== {config.name}")  # printed before its first line, if any
        log = run_logger(config.state_dir) if args.command in LOGGED else None
        try:
            summary = COMMANDS[args.command](config, args, out)
            documents.append({"register": config.name, **summary})
            if log is not None:
                log.info(summary_line(args.command, config.name, summary))
        except DipError as error:
            if log is not None:
                log.warning(f"{args.command} {config.name}: {error.message('id')}")
            if getattr(args, "cron", False) and not cron.worth_reporting(
                    config.state_dir, config.name, error, config.now()):
                worst = max(worst, error.exit_code)
                continue
            if len(configs) == 1:
                raise
            worst = max(worst, error.exit_code)
            out.warn(Message(f"{config.name}: {error.message('id')}",
                             f"{config.name}: {error.message('en')}"))
            documents.append({"register": config.name, "error": error.message(args.lang),
                              "exit_code": error.exit_code})
    if args.json:
        print(json_text(documents[0] if len(documents) == 1 else {"registers": documents}))
    return worst
