"""The ``dip`` command: parses arguments, calls the library, prints. No rules live here.

Exit codes: 0 done (row problems are a normal outcome and are reported), 2 bad configuration or
register layout, 3 register or website unreachable or busy, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__, demo
from . import schema as s
from .check import run_checks
from .config import Config, load_configs
from .connect import open_register, open_target
from .errors import BackendUnavailable, ConfigError, DipError
from .lock import AlreadyRunning, run_lock
from .messages import Message
from .publish import human_size, publish, rollback
from .register import Layout
from .runlog import run_logger, summary_line
from .status import status, status_csv, status_table
from .sync import SyncResult, review
from .sync import run as run_sync


class Output:
    """Prints for people in the chosen language, or collects a JSON document with ``--json``."""

    def __init__(self, lang: str, as_json: bool, quiet: bool = False) -> None:
        self.lang, self.as_json, self.quiet = lang, as_json, quiet
        #: on a terminal, per-file steps redraw one status line; under cron every step is a line.
        self.live = sys.stdout.isatty()
        self._drawn = False
        self._steps = 0

    def say(self, id: str, en: str = "") -> None:
        if not self.as_json and not self.quiet:
            if self._drawn:
                print()
                self._drawn = False
            print(en if self.lang == "en" and en else id)

    def progress(self, message: Message) -> None:
        line = message.text(self.lang)
        if self.live and line.startswith("  ") and not (self.as_json or self.quiet):
            self._steps += 1
            text = f"[{self._steps}] {line.strip()}"[: shutil.get_terminal_size().columns - 1]
            sys.stdout.write(f"\r\x1b[K{text}")
            sys.stdout.flush()
            self._drawn = True
            return
        self.say(line)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="berkas dip.toml (bawaan: contoh lokal)")
    parser.add_argument("--register", dest="register_name", metavar="NAMA",
                        help="nama register bila konfigurasi memuat beberapa [[register]]")
    parser.add_argument("--all", action="store_true", help="jalankan untuk semua register")
    parser.add_argument("--json", action="store_true", help="ringkasan JSON di stdout")
    parser.add_argument("--lang", choices=("id", "en"), default="id", help="bahasa pesan")
    parser.add_argument("--debug", action="store_true", help="tampilkan traceback bila gagal")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common(common)
    parser = argparse.ArgumentParser(
        prog="dip", parents=[common],
        description="Daftar Informasi Publik dari spreadsheet bersama (UU 14/2008, SOP PPID).",
    )
    parser.add_argument("--version", action="version", version=f"dip-sheets {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")

    init = commands.add_parser("init", parents=[common], help="buat atau perbaiki register")
    where = init.add_mutually_exclusive_group()
    where.add_argument("--local", type=Path, metavar="BERKAS.xlsx", help="workbook lokal")
    where.add_argument("--sheet", metavar="SPREADSHEET_ID", help="Google Sheet")

    sync = commands.add_parser("sync", parents=[common], help="periksa register dan tulis temuan")
    sync.add_argument("--dry-run", action="store_true", help="tampilkan perubahan tanpa menulis")
    sync.add_argument("--cron", action="store_true",
                      help="untuk cron: diam bila tidak ada perubahan; kode 4 bila proses lain berjalan")

    pub = commands.add_parser("publish", parents=[common], help="terbitkan DIP (langkah 4-5)")
    pub.add_argument("--dry-run", action="store_true", help="tampilkan tanpa mengunggah/menulis")
    pub.add_argument("--by", help="siapa yang memerintahkan unggah (langkah 4)")
    pub.add_argument("--force", action="store_true",
                     help="terbitkan walau ada baris ditetapkan yang bermasalah (baris itu dilewati)")
    pub.add_argument("--rollback", nargs="?", const="", metavar="VERSI",
                     help="aktifkan kembali versi arsip (bawaan: versi sebelumnya)")
    pub.add_argument("--quiet", action="store_true", help="tanpa keluaran kemajuan")

    commands.add_parser("check", parents=[common], help="periksa konfigurasi tanpa mengubah apa pun")

    stat = commands.add_parser("status", parents=[common], help="posisi setiap item dalam SOP")
    stat.add_argument("--format", choices=("table", "json", "csv"), default="table", help="bentuk keluaran")
    stat.add_argument("--days", type=int, default=14, metavar="N",
                      help="sebutkan item yang menunggu lebih dari N hari di satu langkah (bawaan 14)")

    dem = commands.add_parser("demo", parents=[common], help="contoh lengkap di folder lokal")
    dem.add_argument("--folder", type=Path, default=Path("dip-demo"), help="folder kerja")
    dem.add_argument("--fresh", action="store_true", help="hapus dan buat ulang contoh")
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


def _print_sync(out: Output, result: SyncResult) -> None:
    data = result.summary()
    out.say(
        f"Dibaca {data['rows_read']} baris DIP dan {data['dik_rows_read']} baris DIK;"
        f" {data['publishable']} informasi siap terbit.",
        f"Read {data['rows_read']} DIP rows and {data['dik_rows_read']} DIK rows;"
        f" {data['publishable']} items ready to publish.",
    )
    if data["ids_assigned"]:
        out.say(f"ID baru: {', '.join(data['ids_assigned'])}", f"New IDs: {', '.join(data['ids_assigned'])}")
    if data["newly_established"]:
        ids = ", ".join(data["newly_established"])
        out.say(f"Baru ditetapkan dan dikunci: {ids}", f"Newly established and locked: {ids}")
    if data["tampered"]:
        ids = ", ".join(data["tampered"])
        out.say(f"PERHATIAN: diubah setelah ditetapkan: {ids}", f"WARNING: edited after establishment: {ids}")
    problems = [(r.id, r.anchor.row + 1, r.findings) for r in result.review.problem_rows()]
    if problems:
        out.say(f"Masalah pada {len(problems)} baris (lihat kolom '{s.NOTE}'):",
                f"Problems in {len(problems)} rows (see the '{s.NOTE}' column):")
        for item_id, row, findings in problems:
            for finding in findings:
                out.say(f"  {item_id} (baris {row}): {finding.id}", f"  {item_id} (row {row}): {finding.en}")
    if result.dry_run:
        out.say(
            f"Uji coba: {data['cells_to_write']} sel dan {data['rows_to_append']} baris baru"
            " (tab Riwayat/Sistem) akan ditulis; tidak ada yang ditulis.",
            f"Dry run: {data['cells_to_write']} cells and {data['rows_to_append']} new rows"
            " (Riwayat/Sistem tabs) would be written; nothing was written.",
        )
    elif result.applied is None:
        out.say("Tidak ada yang berubah; register tidak ditulis.", "Nothing changed; nothing written.")
    else:
        out.say(
            f"Ditulis {data['cells_written']} sel dan {data['rows_appended']} baris baru di tab"
            " Riwayat/Sistem.",
            f"Wrote {data['cells_written']} cells and {data['rows_appended']} new rows in the"
            " Riwayat/Sistem tabs.",
        )
        if data["writes_skipped"]:
            out.say(
                f"{data['writes_skipped']} tulisan dilewati karena baris dipindah selama"
                " sinkronisasi; akan diulang pada sinkronisasi berikutnya.",
                f"{data['writes_skipped']} writes skipped because rows moved during the sync;"
                " the next sync redoes them.",
            )


def cmd_init(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    if args.local:
        config = replace(config, register=replace(config.register, backend="workbook",
                                                  path=args.local.resolve()))
    elif args.sheet:
        config = replace(config, register=replace(config.register, backend="sheets",
                                                  spreadsheet_id=args.sheet))
    register = open_register(config)
    done = register.init(Layout(s.TABS, config.units, config.roles))
    for line in done or [Message("Register sudah lengkap; tidak ada yang diubah.",
                                 "The register is complete; nothing was changed.")]:
        out.say(line.id, line.en)
    out.say(f"Register: {register.location}")
    return {"location": register.location, "done": [line.text(out.lang) for line in done]}


def cmd_sync(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    with run_lock(config.state_dir, config.name):
        register = open_register(config)
        result = run_sync(register, config.units, config.now(), dry_run=args.dry_run)
    if args.cron and result.applied is None:
        out.quiet = True  # under cron, a run that changed nothing prints nothing
    out.say(f"Register: {register.location}")
    _print_sync(out, result)
    return result.summary()


def cmd_publish(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    target = open_target(config, on_warning=lambda w: print(w.text(args.lang), file=sys.stderr))
    try:
        if args.rollback is not None:
            chosen = rollback(target, args.rollback or None, out.progress)
            out.say(f"Versi {chosen.version} aktif kembali di {target.location}.",
                    f"Version {chosen.version} is live again at {target.location}.")
            return {"status": "rolled-back", "version": chosen.version}
        with run_lock(config.state_dir, config.name, wait=PUBLISH_LOCK_WAIT):
            register = open_register(config)
            result = publish(config, register, target, by=args.by, dry_run=args.dry_run,
                             force=args.force, progress=out.progress)
    finally:
        target.close()
    if result.sync is not None:
        _print_sync(out, result.sync)
    if result.status == "published":
        size = human_size(result.bytes_uploaded)
        out.say(f"Terbit: versi {result.version}, {size} dikirim, {result.url}",
                f"Published: version {result.version}, {size} sent, {result.url}")
    return result.summary()


def cmd_status(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    register = open_register(config)
    now = config.now()
    report = status(review(register.read(), config.units, now), now.date(), args.days)
    if args.format == "json" and not out.as_json:
        print(json.dumps({"register": config.name, **report}, ensure_ascii=False, indent=1))
        return report
    if args.format == "csv":
        if not out.as_json:
            print(status_csv(report, config.name), end="")
        return report
    out.say(f"Register: {register.location}")
    out.say(status_table(report, out.lang))
    out.say(f"Siap terbit: {report['publishable']}", f"Ready to publish: {report['publishable']}")
    if report["overdue"]:
        out.say(f"Menunggu lebih dari {args.days} hari:", f"Waiting more than {args.days} days:")
        for item in report["overdue"]:
            out.say(f"  {item['id']} (baris {item['row']}, {item['unit']}): {item['stage']},"
                    f" {item['days']} hari", f"  {item['id']} (row {item['row']}, {item['unit']}):"
                    f" {item['stage']}, {item['days']} days")
    if report["blockers"]:
        out.say("Menghambat penerbitan:", "Blocking publication:")
        for blocker in report["blockers"]:
            out.say(f"  {blocker['id']} (baris {blocker['row']}): {'; '.join(blocker['problems'])}")
    for problem in report["dik_problems"]:
        out.say(f"  DIK {problem['id']} (baris {problem['row']}): {'; '.join(problem['problems'])}")
    return report


def cmd_check(config: Config, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    results = run_checks(config, out.lang)
    for check in results:
        mark = "ok   " if check.ok else "GAGAL"
        out.say(f"{mark} {check.name.text(out.lang)}: {check.detail.text(out.lang)}")
    failed = [c for c in results if not c.ok]
    if failed:  # exit with the most serious failure's code
        kind = {2: ConfigError, 3: BackendUnavailable}.get(max(c.exit_code for c in failed), DipError)
        raise kind(f"{len(failed)} pemeriksaan gagal.", f"{len(failed)} checks failed.")
    return {"checks": [{"name": c.name.text(out.lang), "ok": c.ok, "detail": c.detail.text(out.lang)}
                       for c in results]}


def cmd_demo(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    result = demo.run(args.folder.resolve(), fresh=args.fresh)
    _print_sync(out, result.sync)
    out.say("")
    out.say(f"Register (buka dengan Excel/LibreOffice): {result.register}",
            f"Register (open with Excel/LibreOffice): {result.register}")
    out.say(f"Halaman DIP: {result.site / 'index.html'}", f"DIP page: {result.site / 'index.html'}")
    out.say(f"Versi terbit: {result.publish.version} ({result.publish.status})",
            f"Published version: {result.publish.version} ({result.publish.status})")
    return {"register": str(result.register), "site": str(result.site),
            "sync": result.sync.summary(), "publish": result.publish.summary()}


PUBLISH_LOCK_WAIT = 120.0  # a publish waits for a running cron sync rather than failing at once

COMMANDS: dict[str, Callable[[Config, argparse.Namespace, Output], dict[str, Any]]] = {
    "init": cmd_init, "sync": cmd_sync, "publish": cmd_publish, "status": cmd_status,
    "check": cmd_check,
}


#: commands whose runs leave a line in the run log (read-only ones do not).
LOGGED = ("sync", "publish")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output(args.lang, args.json, getattr(args, "quiet", False))
    documents: list[dict[str, Any]] = []
    worst = 0
    try:
        if args.command == "demo":
            documents.append(cmd_demo(args, out))
        else:
            configs = _select(load_configs(args.config), args)
            for config in configs:
                if len(configs) > 1:
                    out.say(f"== {config.name}")
                log = run_logger(config.state_dir) if args.command in LOGGED else None
                try:
                    summary = COMMANDS[args.command](config, args, out)
                    documents.append({"register": config.name, **summary})
                    if log is not None:
                        log.info(summary_line(args.command, config.name, summary))
                except DipError as error:
                    if log is not None:
                        log.warning(f"{args.command} {config.name}: {error.message('id')}")
                    if isinstance(error, AlreadyRunning) and getattr(args, "cron", False):
                        worst = max(worst, error.exit_code)
                        continue
                    if len(configs) == 1:
                        raise
                    worst = max(worst, error.exit_code)
                    print(f"{config.name}: {error.message(args.lang)}", file=sys.stderr)
                    documents.append({"register": config.name, "error": error.message(args.lang),
                                      "exit_code": error.exit_code})
    except DipError as error:
        print(error.message(args.lang), file=sys.stderr)
        if args.json:
            print(json.dumps({"error": error.message(args.lang), "exit_code": error.exit_code},
                             ensure_ascii=False))
        return error.exit_code
    except KeyboardInterrupt:
        print("Dihentikan.", file=sys.stderr)
        return 1
    except Exception as error:  # a bug: say so plainly; the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(
            ("Unexpected error: " if args.lang == "en" else "Kesalahan tak terduga: ")
            + f"{type(error).__name__}: {error}"
            + ("" if args.debug else " (--debug untuk rincian)"),
            file=sys.stderr,
        )
        return 1
    if args.json:
        document = documents[0] if len(documents) == 1 else {"registers": documents}
        print(json.dumps(document, ensure_ascii=False, indent=1, default=str))
    return worst
