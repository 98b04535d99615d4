"""E-mail notices after a sync: each person is told what waits for them, once per change.

To each unit, its rows with findings (and rows sent back to it); to the Desk, rows waiting for
classification; to the PPID, rows waiting for a decision and corrections waiting for approval. One
Indonesian digest per recipient, with a link to the register; a digest is sent again only when its
content changed (what was sent is remembered in ``state_dir``), and nothing is sent when nothing
changed. Optional: without ``DIP_SMTP_HOST`` nothing happens.

The server and its credentials come from environment variables only (never the config, never a
log): ``DIP_SMTP_HOST``, ``DIP_SMTP_PORT``, ``DIP_SMTP_SECURITY`` (``starttls``, the default, ``ssl``
or ``plain`` for a relay on the office network), ``DIP_SMTP_USER``, ``DIP_SMTP_PASSWORD``,
``DIP_SMTP_FROM``, ``DIP_SMTP_CAFILE`` (a private CA). The Desk and the PPID are ``[roles]``' addresses;
each unit's addresses are ``DIP_NOTIFY_UNITS`` (JSON: unit name -> list of addresses), else the
``unit`` role's. The register's link is the Google Sheet's address, else ``DIP_REGISTER_LINK`` (e.g. the
shared folder's path), else the workbook's path. A failed notice is reported, never raised: the sync
has already succeeded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from . import schema as s
from .config import Config
from .messages import Message
from .stages import Stage
from .states import Review, RowState

SENT_FILE = "notifikasi-terkirim.json"
TIMEOUT = 20.0
SECURITY = ("starttls", "ssl", "plain")


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    sender: str
    user: str = ""
    password: str = field(default="", repr=False)
    cafile: str = ""


@dataclass(frozen=True)
class Digest:
    """One notice: its recipients, subject and body; ``key`` names it in the memory of what was sent."""

    key: str
    to: tuple[str, ...]
    subject: str
    lines: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join((*self.to, *self.lines)).encode()).hexdigest()[:16]


@dataclass
class NotifyResult:
    sent: list[str] = field(default_factory=list)  # digest keys sent now
    unchanged: int = 0  # digests with nothing new since they were sent
    failed: list[Message] = field(default_factory=list)
    skipped: Message | None = None


def server_from(environ: Mapping[str, str]) -> Server | None:
    """The SMTP server the environment names, or ``None`` when notices are not set up."""
    host = environ.get("DIP_SMTP_HOST", "").strip()
    if not host:
        return None
    security = environ.get("DIP_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITY:
        return None
    default_port = {"ssl": "465", "plain": "25"}.get(security, "587")
    return Server(host, int(environ.get("DIP_SMTP_PORT", default_port)), security,
                  environ.get("DIP_SMTP_FROM", "") or environ.get("DIP_SMTP_USER", ""),
                  environ.get("DIP_SMTP_USER", ""), environ.get("DIP_SMTP_PASSWORD", ""),
                  environ.get("DIP_SMTP_CAFILE", ""))


def register_link(config: Config, environ: Mapping[str, str]) -> str:
    if config.register.backend == "sheets":
        return f"https://docs.google.com/spreadsheets/d/{config.register.spreadsheet_id}/edit"
    return environ.get("DIP_REGISTER_LINK", "") or str(config.register.path)


def unit_addresses(config: Config, environ: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    raw = environ.get("DIP_NOTIFY_UNITS", "")
    if raw:
        data = json.loads(raw)
        return {str(unit): tuple(str(a) for a in ([v] if isinstance(v, str) else v))
                for unit, v in data.items()}
    shared = tuple(config.roles.get(s.Role.UNIT, ()))
    return {unit: shared for unit in config.units} if shared else {}


def _line(row: RowState, why: str) -> str:
    title = str(row.values.get(s.TITLE) or "(tanpa judul)")
    return f"- {row.id or '(belum ber-ID)'} (baris {row.row_number}) {title}: {why}"


def _for_unit(row: RowState) -> list[str]:
    """What the unit must fix in a row: a correction waiting is the PPID's to decide, not theirs."""
    waiting = row.correction is not None and not row.correction.rejected
    return [f.id for f in (row.findings[1:] if waiting else row.findings)]


def _correction(row: RowState) -> str:
    assert row.correction is not None
    changed = ", ".join(row.correction.changed) or "isi baris"
    return (f"koreksi menunggu persetujuan (berubah: {changed}; versi yang ditetapkan tetap diterbitkan);"
            f" pilih '{row.correction.approve}' atau '{s.REJECT_CORRECTION}' di kolom '{s.STEP3}'")


def digests(config: Config, review: Review, link: str, units: Mapping[str, Sequence[str]]) -> list[Digest]:
    """Every notice this review calls for (empty ones included: they clear the memory)."""
    office = config.office.short_name
    found: list[Digest] = []
    for unit, to in units.items():
        mine = [r for r in review.dip if str(r.values.get(s.UNIT) or "").strip() == unit]
        lines = [_line(r, "; ".join(fix)) for r in mine if (fix := _for_unit(r))]
        lines += [_line(r, f"dikembalikan ({r.stage.value})") for r in mine
                  if not r.findings and r.stage in (Stage.NEEDS_FIX, Stage.NEEDS_REVISION)]
        found.append(Digest(f"unit:{unit}", tuple(to), f"[DIP {office}] {len(lines)} baris {unit} perlu"
                            " diperbaiki", tuple(lines)))
    desk = [_line(r, "menunggu klasifikasi") for r in review.dip if r.stage is Stage.AWAITING_DESK]
    found.append(Digest("desk", tuple(config.roles.get(s.Role.DESK, ())),
                        f"[DIP {office}] {len(desk)} baris menunggu klasifikasi Desk", tuple(desk)))
    ppid = [_line(r, "menunggu penetapan") for r in review.dip if r.stage is Stage.AWAITING_PPID]
    ppid += [_line(r, _correction(r)) for r in review.corrections()]
    ppid += [_line(r, "ditahan, menunggu penetapan ulang") for r in review.dip if r.id in review.held]
    found.append(Digest("ppid", tuple(config.roles.get(s.Role.PPID, ())),
                        f"[DIP {office}] {len(ppid)} baris menunggu keputusan PPID", tuple(ppid)))
    return [d for d in found if d.to]


def _body(digest: Digest, link: str, now: dt.datetime) -> str:
    return "\n".join(["Yth. Bapak/Ibu,", "",
                      f"Sinkronisasi register DIP pada {now:%d-%m-%Y %H:%M} mencatat baris yang menunggu"
                      " tindakan Anda:", "", *digest.lines, "",
                      f"Buka register: {link}",
                      "Arti setiap catatan dan cara memperbaikinya ada di tab 'Petunjuk' register.", "",
                      "Pesan ini dikirim otomatis oleh dip-sheets; Anda menerimanya lagi hanya bila"
                      " daftarnya berubah."])


def _connect(server: Server) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=server.cafile or None)
    client: smtplib.SMTP
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
        if server.security == "starttls":
            client.starttls(context=context)
    if server.user:
        client.login(server.user, server.password)
    return client


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _failed(what: str, exc: BaseException) -> Message:
    reason = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        reason += f" {exc.smtp_code}"
    return Message(f"Notifikasi email {what} gagal ({reason}); dicoba lagi pada sinkronisasi berikutnya."
                   " Periksa DIP_SMTP_HOST, DIP_SMTP_USER dan DIP_SMTP_PASSWORD.",
                   f"E-mail notice {what} failed ({reason}); it is retried at the next sync."
                   " Check DIP_SMTP_HOST, DIP_SMTP_USER and DIP_SMTP_PASSWORD.")


def _send(server: Server, due: list[Digest], link: str, now: dt.datetime, memory: dict[str, str],
          result: NotifyResult) -> None:
    """Send over one connection; each accepted digest is remembered, each refused one reported."""
    try:
        client = _connect(server)
    except (OSError, smtplib.SMTPException) as exc:
        result.failed.append(_failed("(menghubungi server)", exc))
        return
    for digest in due:
        message = EmailMessage()
        message["Subject"], message["From"] = digest.subject, server.sender
        message["To"] = ", ".join(digest.to)
        message.set_content(_body(digest, link, now))
        try:
            client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            result.failed.append(_failed(f"untuk {digest.key}", exc))
            continue
        memory[digest.key] = digest.fingerprint
        result.sent.append(digest.key)
    with contextlib.suppress(OSError, smtplib.SMTPException):
        client.quit()  # the notices were accepted; a rude goodbye changes nothing


def notify(config: Config, review: Review, state_dir: Path, now: dt.datetime,
           environ: Mapping[str, str] | None = None) -> NotifyResult:
    """Send the digests whose content changed since they were last sent; never raises."""
    env = os.environ if environ is None else environ
    result = NotifyResult()
    server = server_from(env)
    if server is None:
        result.skipped = Message("Notifikasi email tidak diatur (DIP_SMTP_HOST kosong atau"
                                 " DIP_SMTP_SECURITY tidak dikenal).",
                                 "E-mail notices are not set up (DIP_SMTP_HOST empty or"
                                 " DIP_SMTP_SECURITY unknown).")
        return result
    try:
        units = unit_addresses(config, env)
    except (ValueError, AttributeError) as exc:
        result.failed.append(_failed("(DIP_NOTIFY_UNITS bukan JSON unit -> alamat)", exc))
        return result
    link = register_link(config, env)
    memory_path = state_dir / SENT_FILE
    memory = _load(memory_path)
    wanted = digests(config, review, link, units)
    due = [d for d in wanted if d.lines and memory.get(d.key) != d.fingerprint]
    result.unchanged = sum(1 for d in wanted if d.lines and memory.get(d.key) == d.fingerprint)
    for digest in wanted:
        if not digest.lines:
            memory.pop(digest.key, None)  # the next list, even if equal to an older one, is news
    if due:
        _send(server, due, link, now, memory, result)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        memory_path.write_text(json.dumps(memory, ensure_ascii=False, indent=1, sort_keys=True),
                               encoding="utf-8")
    except OSError as exc:
        result.failed.append(_failed("(mencatat yang terkirim)", exc))
    return result
