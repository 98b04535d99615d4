"""E-mail notices against a real SMTP server on loopback (aiosmtpd): STARTTLS and SSL with a login,
one digest per person per change, nothing when nothing changed, a refused login and a dropped
connection reported and never raised."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.message import Message as Mail
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dip_sheets import schema as s
from dip_sheets.config import default_config
from dip_sheets.notify import SENT_FILE, notify
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.states import Review
from dip_sheets.sync import run
from tests.conftest import NOW, UNIT, UNITS, add_rows, good_row

USER, PASSWORD = "dip@kantor.example", "rahasia-smtp-123"
OTHER_UNIT = UNITS[1]


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture(params=["starttls", "ssl"])
def smtp(request: pytest.FixtureRequest,
         certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, dict[str, str]]]:
    inbox, port, context = Inbox(), _free_port(), _server_context(certificate)
    options: dict[str, Any] = {"authenticator": _authenticator, "auth_required": True}
    if request.param == "ssl":
        # the transport is TLS from the first byte; aiosmtpd only looks for STARTTLS before AUTH
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context,
                                server_kwargs={**options, "auth_require_tls": False})
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_kwargs={
            **options, "tls_context": context, "require_starttls": True})
    controller.start()
    env = {"DIP_SMTP_HOST": "127.0.0.1", "DIP_SMTP_PORT": str(port), "DIP_SMTP_SECURITY": request.param,
           "DIP_SMTP_USER": USER, "DIP_SMTP_PASSWORD": PASSWORD, "DIP_SMTP_FROM": "ppid@kantor.example",
           "DIP_SMTP_CAFILE": str(certificate[0]), "DIP_REGISTER_LINK": r"\\server-kantor\DIP\register.xlsx",
           "DIP_NOTIFY_UNITS": json.dumps({UNIT: ["unit-a@kantor.example"],
                                           OTHER_UNIT: ["unit-b@kantor.example"]})}
    yield inbox, env
    controller.stop()


def _config(tmp_path: Path) -> Any:
    return replace(default_config(tmp_path), roles={s.Role.DESK: ("desk@kantor.example",),
                                                    s.Role.PPID: ("ppid@kantor.example",)})


def _review(workbook: WorkbookRegister) -> Review:
    return run(workbook, UNITS, NOW).review


def _by_recipient(inbox: Inbox) -> dict[str, Mail]:
    return {str(m["To"]): m for m in inbox.mails}


def _text(mail: Mail) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_each_person_gets_their_digest_once_per_change(
    smtp: tuple[Inbox, dict[str, str]], workbook: WorkbookRegister, tmp_path: Path
) -> None:
    inbox, env = smtp
    add_rows(workbook, [good_row("Tanpa Tautan", **{s.LINK: ""}),
                        good_row("Siap Desk", **{s.STEP1: "Ya"}),
                        good_row("Siap PPID", **{s.STEP1: "Ya", s.STEP2: "Sudah", s.UNIT: OTHER_UNIT})])
    config, state = _config(tmp_path), tmp_path / "state"
    result = notify(config, _review(workbook), state, NOW, env)
    assert result.failed == [] and sorted(result.sent) == ["desk", "ppid", f"unit:{UNIT}"]
    mails = _by_recipient(inbox)
    assert set(mails) == {"unit-a@kantor.example", "desk@kantor.example", "ppid@kantor.example"}
    unit = _text(mails["unit-a@kantor.example"])
    assert "Tanpa Tautan" in unit and "wajib diisi" in unit and "Siap Desk" not in unit
    assert r"\\server-kantor\DIP\register.xlsx" in unit and "Petunjuk" in unit
    assert "Siap Desk" in _text(mails["desk@kantor.example"])
    assert "Siap PPID" in _text(mails["ppid@kantor.example"])
    assert "Yth." in unit and "baris" in str(mails["desk@kantor.example"]["Subject"])
    # nothing changed: nothing sent
    again = notify(config, _review(workbook), state, NOW, env)
    assert again.sent == [] and again.unchanged == 3 and len(inbox.mails) == 3
    # the Desk classifies: only the Desk's and the PPID's lists changed
    add_rows(workbook, [good_row("Siap Desk Juga", **{s.STEP1: "Ya", s.UNIT: OTHER_UNIT})])
    changed = notify(config, _review(workbook), state, NOW, env)
    assert changed.sent == ["desk"] and len(inbox.mails) == 4
    # credentials never reach the memory of what was sent
    assert PASSWORD not in (state / SENT_FILE).read_text(encoding="utf-8")


def test_a_refused_login_is_reported_and_retried_next_time(
    smtp: tuple[Inbox, dict[str, str]], workbook: WorkbookRegister, tmp_path: Path
) -> None:
    inbox, env = smtp
    add_rows(workbook, [good_row("Siap Desk", **{s.STEP1: "Ya"})])
    config, state, review = _config(tmp_path), tmp_path / "state", _review(workbook)
    refused = notify(config, review, state, NOW, {**env, "DIP_SMTP_PASSWORD": "salah"})
    assert refused.sent == [] and len(refused.failed) == 1 and inbox.mails == []
    assert "SMTPAuthenticationError" in refused.failed[0].id and "salah" not in refused.failed[0].id
    assert notify(config, review, state, NOW, env).sent == ["desk"]


def test_a_dropped_connection_never_raises(workbook: WorkbookRegister, tmp_path: Path) -> None:
    """A server that greets, then hangs up at the first command (as a crashed relay does)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def rude() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            connection.sendall(b"220 siap\r\n")
            connection.recv(1024)
            connection.close()

    threading.Thread(target=rude, daemon=True).start()
    add_rows(workbook, [good_row("Siap Desk", **{s.STEP1: "Ya"})])
    env = {"DIP_SMTP_HOST": "127.0.0.1", "DIP_SMTP_PORT": str(listener.getsockname()[1]),
           "DIP_SMTP_SECURITY": "plain"}
    config, state = _config(tmp_path), tmp_path / "state"
    result = notify(config, _review(workbook), state, NOW, env)
    assert result.sent == [] and result.failed and "SMTPServerDisconnected" in result.failed[0].id
    assert json.loads((state / SENT_FILE).read_text(encoding="utf-8")) == {}
    listener.close()
    closed = notify(config, _review(workbook), state, NOW, env)  # nobody listens any more
    assert closed.sent == [] and closed.failed


def test_without_a_server_nothing_happens(workbook: WorkbookRegister, tmp_path: Path) -> None:
    result = notify(_config(tmp_path), _review(workbook), tmp_path / "state", NOW, {})
    assert result.skipped is not None and result.sent == [] and not (tmp_path / "state").exists()


def test_office_sync_sends_the_digests_and_a_dry_run_does_not(
    smtp: tuple[Inbox, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dip_sheets.office import Office

    inbox, env = smtp
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = replace(_config(tmp_path), units=UNITS)
    office = Office(config)
    office.init()
    add_rows(WorkbookRegister(config.register.path), [good_row("Tanpa Tautan", **{s.LINK: ""})])
    office.sync(dry_run=True)
    assert inbox.mails == []
    office.sync()
    assert "unit-a@kantor.example" in _by_recipient(inbox)  # the row without a link is its unit's
