"""pytest plugin: real HTTP and HTTPS servers on loopback (``http.server`` in threads).

Load it with ``pytest_plugins = ["tests.plugins.webservers"]`` (or ``pytest -p tests.plugins.webservers``).

A server starts in milliseconds, so every test gets its own. Fixtures:

* ``test_ca`` (function): a :class:`TestCA`, a certificate authority made for the test with the
  ``cryptography`` package; ``.path`` is its PEM file (what a client passes as ``verify=``), and
  :meth:`TestCA.server_context` issues server certificates (optionally expired, self-signed or for
  other host names).
* ``http_server`` (function): a running :class:`WebServer` on ``http://127.0.0.1:<port>``.
* ``https_server`` (function): the same over TLS, with a certificate for 127.0.0.1 and localhost
  issued by ``test_ca``.

A :class:`WebServer` answers each path from its routes (:meth:`WebServer.route`,
:meth:`WebServer.redirect`; unknown paths get 404), logs every request it handled
(``.log``, with the ``Host`` header and the arrival time) and counts requests in flight
(``.max_in_flight``), so tests assert on what the server saw rather than on timing. Answers with a
``delay`` wait on an event that :meth:`WebServer.close` sets, so a deliberately hanging server never
holds up the end of a test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    host: str
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Reply:
    """What a route answers; ``delay`` seconds pass before the status line is sent."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"ok\n"
    delay: float = 0.0


Route = Callable[[Request], Reply]


@dataclass
class WebServer:
    """A threaded HTTP(S) server on a loopback address; a context manager."""

    host: str = LOOPBACK
    tls: ssl.SSLContext | None = None
    log: list[Request] = field(default_factory=list)
    max_in_flight: int = 0
    handler_errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self._closing = threading.Event()
        self._httpd = _Server((self.host, 0), _Handler)
        self._httpd.owner = self
        if self.tls is not None:  # the handshake happens on first read, in the handler's thread
            self._httpd.socket = self.tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, answer: Reply | Route) -> None:
        self._routes[path] = answer if callable(answer) else (lambda _request: answer)

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        self.route(path, Reply(status, (("Location", to),), b""))

    def hits(self, path: str | None = None) -> int:
        """Requests handled so far (for ``path`` only, when given)."""
        with self._lock:
            return sum(1 for r in self.log if path is None or r.path == path)

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.log.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            route = self._routes.get(request.path.split("?", 1)[0])
            reply = route(request) if route else Reply(404, body=b"not found\n")
            if reply.delay:
                self._closing.wait(reply.delay)
            return reply
        finally:
            with self._lock:
                self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: WebServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Failed handshakes and dropped clients are part of the tests; keep them off stderr."""
        error = sys.exc_info()[1]
        if error is not None:
            self.owner.handler_errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        request = Request(self.command, self.path, self.headers.get("Host", ""),
                          dict(self.headers.items()), time.monotonic())
        reply = self.server.owner._answer(request)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if with_body:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the server's own ``log`` is what tests read."""


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class TestCA:
    """A certificate authority for one test, written as PEM under ``folder``."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = _key()
        now = dt.datetime.now(dt.UTC)
        name = _name("dip-sheets test CA")
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / "test-ca.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._issued = 0

    def server_context(self, hosts: tuple[str, ...] = (LOOPBACK, "localhost"), *,
                       expired: bool = False, self_signed: bool = False) -> ssl.SSLContext:
        """A server-side TLS context with a new certificate for ``hosts``, issued by this CA
        (or by its own key when ``self_signed``), valid now unless ``expired``."""
        key = _key()
        now = dt.datetime.now(dt.UTC)
        start, end = ((now - dt.timedelta(days=30), now - dt.timedelta(days=1)) if expired
                      else (now - dt.timedelta(days=1), now + dt.timedelta(days=30)))
        issuer, signer = (_name(hosts[0]), key) if self_signed else (self.cert.subject, self.key)
        builder = (
            x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        cert = builder.sign(signer, hashes.SHA256())
        self._issued += 1
        cert_path = self.folder / f"server-{self._issued}.pem"
        key_path = self.folder / f"server-{self._issued}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


@pytest.fixture
def test_ca(tmp_path: Path) -> TestCA:
    folder = tmp_path / "tls"
    folder.mkdir()
    return TestCA(folder)


@pytest.fixture
def http_server() -> Iterator[WebServer]:
    with WebServer() as server:
        yield server


@pytest.fixture
def https_server(test_ca: TestCA) -> Iterator[WebServer]:
    with WebServer(tls=test_ca.server_context()) as server:
        yield server
