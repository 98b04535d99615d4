"""The HTTP side of the Google Sheets backend: the service account's key, and a gspread client
whose every request goes through one :class:`~dip_sheets.retry.RetryPolicy`.

Transient failures (429, 5xx, timeouts, lost connections, a token that could not be fetched yet)
are retried; a name that does not resolve (DNS) or a refused connection is final at once, since
waiting does not fix a network that is down or a proxy that is wrong. Every other failure becomes
a :class:`~dip_sheets.errors.DipError` a person can act on. Messages name the service account's
email (not a secret) and never carry the key or a token.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread import http_client
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from .. import schema as s
from ..errors import BackendUnavailable, ConfigError, DipError, LayoutError
from ..messages import Message
from ..ratelimit import limiter_for
from ..redact import looks_secret
from ..retry import RetryPolicy, Transient, Wait, log_wait

#: only the Sheets API: the register never needs Drive.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE_API = "https://sheets.googleapis.com"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: a write into a protected cell, in English and in the localised (Indonesian) wording Google uses
#: for an id_ID account; Google answers it 400 INVALID_ARGUMENT (403 is also accepted).
PROTECTED = re.compile(r"protected cell|protected range|dilindungi", re.IGNORECASE)
#: the Sheets API is not enabled in the service account's Cloud project (403).
API_DISABLED = re.compile(r"has not been used in project|it is disabled|SERVICE_DISABLED")
_CONSOLE_URL = re.compile(r"https://console\.(?:developers|cloud)\.google\.com/[^\s\"'<>]*[^\s\"'<>.,)]")
CONNECTION_FAILED = Message("koneksi gagal", "connection failed")
TIMED_OUT = Message("waktu tunggu habis", "timed out")


@dataclass(frozen=True)
class SheetsSettings:
    spreadsheet_id: str
    #: the service account's JSON key; ``None``: the file named by GOOGLE_APPLICATION_CREDENTIALS.
    credentials_file: Path | None = None
    #: seconds to wait for each HTTP request.
    timeout: float = 30.0
    #: seconds of retrying after which a busy or unreachable Google gives up.
    retry_budget: float = 120.0
    max_retries: int = 6
    #: first backoff wait in seconds; it doubles each retry, plus up to this much random jitter.
    backoff_base: float = 1.0
    backoff_cap: float = 32.0
    #: the layout's roles; the PPID entries may edit established rows. When empty, the editors of
    #: the PPID column's protection (written by ``dip init``) are used.
    roles: Mapping[s.Role, tuple[str, ...]] = field(default_factory=dict)
    #: ``[roles.units]``: the editors of each unit's rows (with the Desk and PPID); none: the
    #: rows are not protected per unit.
    unit_editors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: where the quota window shared by every register using the same service account is kept;
    #: ``None``: no shared limit (one register, one process).
    quota_dir: Path | None = None
    #: at most this many read (and this many write) requests per ``quota_window`` seconds.
    quota_per_window: int = 60
    quota_window: float = 60.0
    #: where the API is; tests point it at the emulator (the token URL is the key file's).
    api_url: str = GOOGLE_API
    #: told of every retry wait (by default one warning line in the log, see :mod:`..retry`).
    on_retry: Callable[[Wait], None] = log_wait

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy("Google Sheets", self.max_retries, self.retry_budget, self.backoff_base,
                           self.backoff_cap, self.on_retry)


def load_credentials(settings: SheetsSettings) -> service_account.Credentials:
    """The service account's credentials; every problem with the key file is a ConfigError."""
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    path = settings.credentials_file or (Path(env) if env else None)
    if path is None:
        raise ConfigError(
            "Berkas kunci akun layanan Google belum diatur: isi 'credentials' di bagian [register]"
            " dip.toml, atau variabel GOOGLE_APPLICATION_CREDENTIALS.",
            "The Google service account key file is not set: fill in 'credentials' in the"
            " [register] section of dip.toml, or GOOGLE_APPLICATION_CREDENTIALS.",
        )
    if looks_secret(str(path)):  # key text pasted where its file name belongs: never repeat it
        setting_id, setting_en = (
            ("'credentials' di bagian [register] dip.toml", "'credentials' in the [register] section"
             " of dip.toml") if settings.credentials_file else
            ("variabel GOOGLE_APPLICATION_CREDENTIALS", "the GOOGLE_APPLICATION_CREDENTIALS variable"))
        raise ConfigError(
            f"Isi {setting_id} tampak seperti isi kunci akun layanan (teks JSON atau kunci privat),"
            " bukan nama berkas; isinya tidak ditampilkan. Simpan kunci JSON itu sebagai berkas"
            " (mis. kunci-google.json, chmod 600) dan tulis nama berkasnya di sana.",
            f"The value of {setting_en} looks like the content of a service account"
            " key (JSON text or a private key), not a file name; it is not shown. Save the JSON"
            " key as a file (e.g. kunci-google.json, chmod 600) and put its file name there.",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ConfigError(
            f"Berkas kunci akun layanan '{path}' tidak dapat dibaca ({reason}).",
            f"Cannot read the service account key file '{path}' ({reason}).",
        ) from None
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ConfigError(
            f"Berkas '{path}' bukan kunci JSON akun layanan Google. Unduh kunci baru: Google Cloud"
            " Console > IAM > Akun layanan > Kunci > Tambahkan kunci > JSON.",
            f"'{path}' is not a Google service account JSON key. Download a new one: Google Cloud"
            " Console > IAM > Service accounts > Keys > Add key > JSON.",
        )
    try:
        credentials: service_account.Credentials = (
            service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES))
    except Exception:  # google-auth and cryptography raise many types for a damaged key
        raise ConfigError(
            f"Kunci akun layanan di '{path}' tidak lengkap atau rusak. Unduh kunci JSON baru.",
            f"The service account key in '{path}' is incomplete or damaged. Download a new JSON"
            " key.",
        ) from None
    return credentials


class SheetsClient(HTTPClient):
    """gspread's HTTP client with one retry policy and errors a person can act on.

    gspread's own ``BackOffHTTPClient`` (6.2.1) never gives up, has no jitter and does not retry
    timeouts or lost connections, hence this one. ``session`` replaces the authorised session
    (it must then add the credentials itself); by default one is made for ``settings.api_url``.
    """

    def __init__(self, credentials: service_account.Credentials, settings: SheetsSettings,
                 account: str, session: requests.Session | None = None) -> None:
        super().__init__(credentials, session or RebasedSession(credentials, settings.api_url))
        self.settings = settings
        self.account = account
        self.policy = settings.retry_policy()
        self.set_timeout(settings.timeout)
        self.limiter = (
            limiter_for(settings.quota_dir, account, settings.quota_per_window, settings.quota_window)
            if settings.quota_dir is not None else None
        )

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        return self.policy.call(lambda: self.attempt(*args, **kwargs))

    def attempt(self, *args: Any, **kwargs: Any) -> requests.Response:
        """One request, no retry: a final :class:`DipError` or :class:`Transient` on failure."""
        method = str(kwargs.get("method", args[0] if args else "GET")).upper()
        if self.limiter is not None:  # every attempt, retries included, counts against quota
            self.limiter.acquire("read" if method == "GET" else "write")
        try:
            return super().request(*args, **kwargs)
        except APIError as error:
            status = error.response.status_code
            if status not in RETRY_STATUSES:
                raise self._explain(status, error) from None
            raise Transient(Message(f"HTTP {status}", f"HTTP {status}")) from None
        except (requests.Timeout, TransportError) as error:
            self._refuse_unreachable(error)
            timed_out = isinstance(error, requests.Timeout) or "timed out" in str(error)
            raise Transient(TIMED_OUT if timed_out else CONNECTION_FAILED,
                            may_still_apply=timed_out) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            self._refuse_unreachable(error)
            raise Transient(CONNECTION_FAILED) from None
        except RefreshError as error:
            if not error.retryable:
                raise self._key_rejected() from None
            raise Transient(Message("token", "token")) from None

    def batch_update_url(self, spreadsheet_id: str) -> str:
        """The ``:batchUpdate`` URL, for a request sent once (:meth:`attempt`)."""
        # looked up now, not at import: gspread keeps its URLs in that module
        return str(vars(http_client)["SPREADSHEET_BATCH_UPDATE_URL"] % spreadsheet_id)

    def _refuse_unreachable(self, error: BaseException) -> None:
        """A name that does not resolve or a refused connection: no retry would help."""
        reason = unreachable(error)
        if reason is None:
            return
        raise BackendUnavailable(
            f"Google Sheets tidak dapat dihubungi ({CONNECTION_FAILED.id}: {reason.id}). Periksa"
            " sambungan internet, DNS dan proxy komputer ini, lalu jalankan lagi.",
            f"Google Sheets cannot be reached ({CONNECTION_FAILED.en}: {reason.en}). Check this"
            " computer's internet connection, DNS and proxy, then run again.",
        ) from None

    def _explain(self, status: int, error: APIError) -> DipError:
        message = str(error.error.get("message", "")).strip()[:300]  # may be an HTML page
        sheet = self.settings.spreadsheet_id
        if status == 401:
            return self._key_rejected()
        if status in (400, 403) and PROTECTED.search(message):
            return ConfigError(
                f"Akun layanan {self.account} tidak boleh menulis ke sel yang dilindungi. Jalankan"
                " 'dip init' untuk memperbaiki perlindungan, atau tambahkan akun itu sebagai editor"
                f" perlindungan tersebut. (Google: {message})",
                f"The service account {self.account} may not write to a protected cell. Run"
                " 'dip init' to repair the protections, or add it as an editor of that protection."
                f" (Google: {message})",
            )
        if status == 403 and API_DISABLED.search(json.dumps(error.error)):
            link = enable_link(error.error)
            return ConfigError(
                "Google Sheets API belum diaktifkan di proyek Google Cloud milik akun layanan"
                f" {self.account}. Aktifkan di {link} , tunggu beberapa menit, lalu jalankan lagi.",
                f"The Google Sheets API is not enabled in the Google Cloud project of the service"
                f" account {self.account}. Enable it at {link} , wait a few minutes, then run"
                " again.",
            )
        if status == 403:
            return ConfigError(
                f"Spreadsheet {sheet} belum dibagikan ke akun layanan {self.account}. Buka"
                f" spreadsheet, klik Bagikan, lalu tambahkan {self.account} sebagai Editor.",
                f"Spreadsheet {sheet} is not shared with the service account {self.account}."
                f" Open it, click Share and add {self.account} as Editor.",
            )
        if status == 404:
            return ConfigError(
                f"ID spreadsheet '{sheet}' tidak ditemukan. Periksa 'spreadsheet_id' di dip.toml:"
                " bagian alamat spreadsheet di antara /d/ dan /edit.",
                f"Spreadsheet ID '{sheet}' not found. Check 'spreadsheet_id' in dip.toml: the part"
                " of the spreadsheet's address between /d/ and /edit.",
            )
        if status == 400:
            return LayoutError(
                f"Google Sheets menolak permintaan: {message}. Apakah sebuah tab baru saja"
                " dihapus atau diganti namanya? Jalankan 'dip init' lalu coba lagi.",
                f"Google Sheets refused the request: {message}. Was a tab just deleted or"
                " renamed? Run 'dip init' and try again.",
            )
        return BackendUnavailable(
            f"Google Sheets menjawab dengan galat HTTP {status}: {message}",
            f"Google Sheets answered with HTTP error {status}: {message}",
        )

    def _key_rejected(self) -> ConfigError:
        return ConfigError(
            f"Google menolak kunci akun layanan {self.account} (kunci dihapus, akun dinonaktifkan,"
            " atau jam komputer salah). Buat kunci JSON baru untuk akun itu.",
            f"Google rejected the key of the service account {self.account} (key deleted,"
            " account disabled, or the computer's clock is wrong). Create a new JSON key for it.",
        )


def enable_link(error: Mapping[str, Any]) -> str:
    """The console page that enables the API, as Google's error gives it (its ``Help`` detail,
    else the message); Google's API library page when neither has one."""
    for detail in error.get("details") or ():
        for link in (detail.get("links") or ()) if isinstance(detail, dict) else ():
            url = str(link.get("url", ""))
            if _CONSOLE_URL.fullmatch(url):
                return url
    found = _CONSOLE_URL.search(str(error.get("message", "")))
    return found[0] if found else "https://console.cloud.google.com/apis/library/sheets.googleapis.com"


class RebasedSession(AuthorizedSession):
    """google-auth's authorised session, sending Google's API URLs to ``api_url`` instead."""

    def __init__(self, credentials: service_account.Credentials, api_url: str) -> None:
        super().__init__(credentials)  # type: ignore[no-untyped-call]
        self.api_url = api_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(GOOGLE_API) and self.api_url != GOOGLE_API:
            url = self.api_url + url[len(GOOGLE_API):]
        response: requests.Response = super().request(  # type: ignore[no-untyped-call]
            method, url, *args, **kwargs)
        return response


def unreachable(error: BaseException) -> Message | None:
    """Why ``error`` means the server cannot be reached at all (DNS, refused), if it does.

    requests wraps urllib3's errors, which chain the socket error as their cause.
    """
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror) or type(current).__name__ == "NameResolutionError":
            return Message("nama server tidak ditemukan (DNS)", "the server name does not resolve (DNS)")
        if isinstance(current, ConnectionRefusedError) or (
                isinstance(current, OSError) and current.errno == errno.ECONNREFUSED):
            return Message("sambungan ditolak", "connection refused")
        pending += [e for e in (current.__cause__, current.__context__, getattr(current, "reason", None),
                                *current.args) if isinstance(e, BaseException)]
    return None
