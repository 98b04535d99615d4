"""The ``dip`` command: parses arguments, calls :class:`~dip_sheets.office.Office`, prints.

No rules live here: locks and backends are in :mod:`dip_sheets.office`, the run log, cron's rules
and the loop over offices in :mod:`dip_sheets.offices`, the handling of errors in
:mod:`dip_sheets.error_handler`.

Exit codes: 0 done (row problems are a normal outcome and are reported), 2 bad configuration,
register layout or command line, 3 register or website unreachable or busy, 4 another run holds
the register's lock, 1 anything else.

The commands and their options are in :mod:`dip_sheets.cli_parser`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import demo
from .argparse_id import argparse_language, requested_lang
from .check import CheckResult
from .cli_parser import build_parser
from .config import Config, load_configs
from .decision_draft import DraftResult
from .decision_scans import ScanResult
from .error_handler import Place, guarded
from .errors import ConfigError
from .messages import Message
from .monev import MonevReport
from .office import InitResult, Office, RollbackResult
from .offices import Outcome, run_offices, select
from .output import Output, json_text, same
from .publish import PublishResult, human_size
from .redaction import RedactionResult
from .reports import sync_lines
from .status import StatusResult
from .sync import SyncResult

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
