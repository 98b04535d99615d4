"""Why a link does not work, named plainly in Indonesian (and English), as a :class:`Message`.

Pure functions: an HTTP status, a failed request's exception or a redirect problem in, a short
reason out ("halaman tidak ditemukan (404)", "nama host tidak ditemukan (DNS)"). The reason is a
fragment; :func:`dip_sheets.links.link_warning` puts it into a sentence that says what to do.

An exception from ``requests`` hides its cause several layers deep (``ConnectionError`` ->
urllib3's ``MaxRetryError`` -> ``NameResolutionError`` -> ``socket.gaierror``), so the whole chain
is searched, most specific cause first.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import requests

from dip_sheets.messages import Message

NOT_HTTP = Message("bukan alamat http(s)", "not an http(s) address")
INVALID_URL = Message("alamat tautan tidak sah", "not a valid address")
REDIRECT_LOOP = Message("pengalihan berputar tanpa akhir (redirect loop)", "redirect loop")
REDIRECT_NOT_HTTP = Message("dialihkan ke alamat yang bukan http(s)", "redirected to a non-http(s) address")
DNS = Message("nama host tidak ditemukan (DNS)", "host name not found (DNS)")
REFUSED = Message("sambungan ditolak: tidak ada layanan web di alamat ini",
                  "connection refused: no web server at this address")
RESET = Message("sambungan diputus oleh server", "the server dropped the connection")

_OTHER_HOST = Message("sertifikat TLS tidak sah: dibuat untuk nama host lain",
                      "invalid TLS certificate: issued for another host name")
#: OpenSSL's X509_V_ERR_* codes (stable numbers) for the certificate faults sites actually have.
_CERTIFICATE_FAULTS = {
    9: Message("sertifikat TLS belum berlaku", "the TLS certificate is not valid yet"),
    10: Message("sertifikat TLS sudah kedaluwarsa", "the TLS certificate has expired"),
    18: Message("sertifikat TLS tidak sah: ditandatangani sendiri, tidak dipercaya",
                "invalid TLS certificate: self-signed, not trusted"),
    19: Message("sertifikat TLS tidak sah: rantainya berujung pada penerbit yang tidak dipercaya",
                "invalid TLS certificate: its chain ends in an untrusted self-signed issuer"),
    20: Message("sertifikat TLS tidak sah: penerbitnya tidak dipercaya (rantai sertifikat tidak lengkap?)",
                "invalid TLS certificate: issuer not trusted (incomplete certificate chain?)"),
    21: Message("sertifikat TLS tidak sah: penerbitnya tidak dipercaya (rantai sertifikat tidak lengkap?)",
                "invalid TLS certificate: issuer not trusted (incomplete certificate chain?)"),
    62: _OTHER_HOST,
    64: _OTHER_HOST,
}

_STATUS = {
    401: Message("halaman meminta login (401)", "the page requires a login (401)"),
    403: Message("akses ditolak (403)", "access forbidden (403)"),
    404: Message("halaman tidak ditemukan (404)", "page not found (404)"),
    410: Message("halaman sudah dihapus (410)", "page removed (410)"),
    429: Message("server menolak: terlalu banyak permintaan (429)", "too many requests (429)"),
    503: Message("server sedang tidak tersedia (503)", "server unavailable (503)"),
}


def seconds(value: float) -> tuple[str, str]:
    """``value`` seconds written for each language: ``("0,5", "0.5")``, ``("10", "10")``."""
    text = f"{value:g}"
    return text.replace(".", ","), text


def status_reason(status: int) -> Message:
    """Why an answer with HTTP ``status`` (not 2xx) means the link does not work."""
    if status in _STATUS:
        return _STATUS[status]
    if 300 <= status < 400:
        return Message(f"pengalihan tanpa alamat tujuan ({status})", f"redirect without a target ({status})")
    if 400 <= status < 500:
        return Message(f"permintaan ditolak server ({status})", f"the server refused the request ({status})")
    if 500 <= status < 600:
        return Message(f"server bermasalah ({status})", f"server error ({status})")
    return Message(f"jawaban server tidak dikenal ({status})",
                   f"unexpected answer from the server ({status})")


def too_many_redirects(limit: int) -> Message:
    return Message(f"terlalu banyak pengalihan (lebih dari {limit})",
                   f"too many redirects (more than {limit})")


def error_reason(error: BaseException, timeout: float) -> Message:
    """Why a request that raised ``error`` failed; ``timeout`` is the configured limit in seconds."""
    chain = list(_causes(error))
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _certificate_reason(cause)
    in_id, in_en = seconds(timeout)
    checks: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Message], ...] = (
        (ssl.SSLError, Message("sambungan TLS gagal", "TLS handshake failed")),
        (socket.gaierror, DNS),
        (ConnectionRefusedError, REFUSED),
        (requests.ConnectTimeout,
         Message(f"tidak tersambung dalam {in_id} detik", f"no connection within {in_en} seconds")),
        ((requests.Timeout, TimeoutError),
         Message(f"tidak menjawab dalam {in_id} detik", f"no answer within {in_en} seconds")),
        (ConnectionResetError, RESET),
        ((requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, ValueError), INVALID_URL),
    )
    for kind, reason in checks:
        if any(isinstance(cause, kind) for cause in chain):
            return reason
    name = type(error).__name__
    return Message(f"tautan tidak dapat dibuka ({name})", f"the link cannot be opened ({name})")


def _certificate_reason(error: ssl.SSLCertVerificationError) -> Message:
    known = _CERTIFICATE_FAULTS.get(error.verify_code)
    if known is not None:
        return known
    detail = error.verify_message or str(error)
    return Message(f"sertifikat TLS tidak sah ({detail})", f"invalid TLS certificate ({detail})")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: ``__cause__``, ``__context__``, urllib3's ``.reason`` and
    exceptions passed as arguments; each once."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(w for w in wrapped if isinstance(w, BaseException))
