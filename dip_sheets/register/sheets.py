"""The register as a shared Google Sheet, reached through gspread with a service account.

Google allows 60 read and 60 write requests per minute per user (a service account is one user),
and a batch call counts once whatever it carries, so every operation here costs O(1) requests:

* ``open_sheet``: none (the key file is read, nothing is sent).
* first use of a register object: 1 read, the spreadsheet's metadata (tab ids, grid sizes,
  protections), kept for the object's life; one object serves one run of ``dip``.
* ``read()``: 1 read, one ``values:batchGet`` for every tab of the schema that exists.
* ``apply(changes)``: nothing when ``changes`` is empty; else 1 read (``values:batchGet``, to
  relocate rows) + 1 write (one ``values:batchUpdate`` with every cell write and appended row;
  one more per 1.5 MB of values, which only a first sync of some 10,000 rows reaches).
  Only when a tab's grid has no room for the appended rows: +1 write (append rows) before it.
  Only when ``changes.locks`` is not ``None``: +1 read (fresh protections, since staff may have
  moved rows) and, if the locked ranges differ, +1 write (one ``:batchUpdate``).
* ``init(layout)``: 1 read (metadata), +1 read (header rows and dropdowns) when tabs exist, and at
  most 1 write (one ``:batchUpdate``); none when nothing is missing.

Transient failures (429, 5xx, timeouts, lost connections) are retried with exponential backoff and
random jitter, bounded by a count and a time budget; every other failure becomes a
:class:`~dip_sheets.errors.DipError` a person can act on. Messages name the service account's
email (not a secret) and never carry the key or a token.

Protections created here are recognised by a marker at the start of their description,
``[dip-sheets:<what>]``; protections without it belong to people and are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from openpyxl.utils import get_column_letter

from .. import schema as s
from ..errors import BackendUnavailable, ConfigError, DipError, LayoutError
from ..messages import Message
from ..ratelimit import backoff_delay, limiter_for
from ..redact import looks_secret
from . import (
    ApplyResult,
    Cell,
    CellWrite,
    Changes,
    Grid,
    Layout,
    Row,
    RowAnchor,
    Snapshot,
    anchors_after,
    relocate,
    tab_of,
)

Json = Any
log = logging.getLogger(__name__)

#: only the Sheets API: the register never needs Drive.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: an editor entry written ``group:ppid@example.go.id`` is a Google Group, not an account.
GROUP_PREFIX = "group:"
MARK = "dip-sheets"
ROWS_KEY = "rows"
NEW_TAB_ROWS = 1000
#: largest values:batchUpdate body; Google advises keeping payloads under 2 MB.
MAX_BODY = 1_500_000
#: tabs only the sync writes: protected as a whole.
SYSTEM_TABS = (s.HISTORY_TAB, s.SYSTEM_TAB)
_MARK_RE = re.compile(r"\[" + MARK + r":([^\]]+)\]")


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
    #: where the quota window shared by every register using the same service account is kept;
    #: ``None``: no shared limit (one register, one process).
    quota_dir: Path | None = None
    #: at most this many read (and this many write) requests per ``quota_window`` seconds.
    quota_per_window: int = 60
    quota_window: float = 60.0


def open_sheet(settings: SheetsSettings) -> SheetsRegister:
    """Read the key file and prepare the client; nothing is sent until the first call."""
    return SheetsRegister(settings, load_credentials(settings))


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


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with a bounded retry and errors a person can act on.

    gspread's own ``BackOffHTTPClient`` (6.2.1) never gives up, has no jitter and does not retry
    timeouts or lost connections, hence this one.
    """

    def __init__(self, credentials: Credentials, settings: SheetsSettings, account: str) -> None:
        super().__init__(credentials)
        self.settings = settings
        self.account = account
        self.set_timeout(settings.timeout)
        #: off for requests that must not be repeated blindly (see ``SheetsRegister._replace_locks``)
        self.retrying = True
        self.limiter = (
            limiter_for(settings.quota_dir, account, settings.quota_per_window, settings.quota_window)
            if settings.quota_dir is not None else None
        )

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        attempt = 0
        method = str(kwargs.get("method", args[0] if args else "GET")).upper()
        while True:
            if self.limiter is not None:  # every attempt, retries included, counts against quota
                self.limiter.acquire("read" if method == "GET" else "write")
            try:
                return super().request(*args, **kwargs)
            except APIError as error:
                status = error.response.status_code
                if status not in RETRY_STATUSES:
                    raise self._explain(status, error) from None
                cause_id = cause_en = f"HTTP {status}"
            except (requests.Timeout, TransportError) as error:
                timed_out = isinstance(error, requests.Timeout) or "timed out" in str(error)
                cause_id = "waktu tunggu habis" if timed_out else "koneksi gagal"
                cause_en = "timed out" if timed_out else "connection failed"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                cause_id, cause_en = "koneksi gagal", "connection failed"
            except RefreshError as error:
                if not error.retryable:
                    raise self._key_rejected() from None
                cause_id = cause_en = "token"
            wait = self.retry_wait(attempt, started) if self.retrying else None
            elapsed = time.monotonic() - started
            if wait is None:
                raise BackendUnavailable(
                    f"Google Sheets sedang sibuk atau tidak dapat dihubungi ({cause_id}); sudah"
                    f" dicoba {attempt + 1} kali dalam {elapsed:.0f} detik. Coba lagi beberapa"
                    " menit lagi.",
                    f"Google Sheets is busy or unreachable ({cause_en}); tried {attempt + 1}"
                    f" times in {elapsed:.0f} s. Try again in a few minutes.",
                ) from None
            log.info("Google Sheets: %s; retrying in %.1f s", cause_en, wait)
            time.sleep(wait)
            attempt += 1

    def retry_wait(self, attempt: int, started: float) -> float | None:
        """The pause before retry ``attempt + 1``, or ``None`` once the count or the time budget
        (measured from ``started``) would be exceeded."""
        settings = self.settings
        wait = backoff_delay(attempt, settings.backoff_base, settings.backoff_cap)
        if attempt >= settings.max_retries or time.monotonic() - started + wait > settings.retry_budget:
            return None
        return wait

    def _explain(self, status: int, error: APIError) -> DipError:
        message = str(error.error.get("message", "")).strip()[:300]  # may be an HTML page
        sheet = self.settings.spreadsheet_id
        if status == 401:
            return self._key_rejected()
        if status == 403 and "protected" in message:
            return ConfigError(
                f"Akun layanan {self.account} tidak boleh menulis ke sel yang dilindungi. Jalankan"
                " 'dip init' untuk memperbaiki perlindungan, atau tambahkan akun itu sebagai editor"
                f" perlindungan tersebut. (Google: {message})",
                f"The service account {self.account} may not write to a protected cell. Run"
                " 'dip init' to repair the protections, or add it as an editor of that protection."
                f" (Google: {message})",
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


@dataclass
class _Tab:
    """A tab as the metadata describes it."""

    title: str
    sheet_id: int
    row_count: int
    col_count: int
    frozen_rows: int
    protections: list[Json]


@dataclass(frozen=True)
class _Editors:
    users: tuple[str, ...]
    groups: tuple[str, ...] = ()

    def as_api(self) -> Json:
        return {"users": list(self.users), "groups": list(self.groups)}

    def missing_from(self, protection: Json) -> bool:
        editors = protection.get("editors") or {}
        return (not set(self.users) <= set(editors.get("users") or ())
                or not set(self.groups) <= set(editors.get("groups") or ()))

    def union(self, protection: Json) -> _Editors:
        editors = protection.get("editors") or {}
        return _Editors(tuple(dict.fromkeys((*editors.get("users", ()), *self.users))),
                        tuple(dict.fromkeys((*editors.get("groups", ()), *self.groups))))


@dataclass(frozen=True)
class _Protection:
    """A protection ``dip init`` wants: identified by ``key`` within its tab."""

    key: str
    range: Json
    editors: _Editors
    #: the description people read in the sheet (Indonesian, like every sheet text)
    text: str
    #: the same in English, for ``dip init --lang en``
    en: str


class SheetsRegister:
    """A :class:`~dip_sheets.register.Register` on a Google Sheet (see the module docstring)."""

    def __init__(self, settings: SheetsSettings, credentials: service_account.Credentials) -> None:
        self.settings = settings
        self.location = f"https://docs.google.com/spreadsheets/d/{settings.spreadsheet_id}"
        self.account: str = credentials.service_account_email
        self._http = RetryingHTTPClient(credentials, settings, self.account)
        self._tabs: dict[str, _Tab] | None = None

    # ---- reading ---------------------------------------------------------------------------

    def read(self) -> Snapshot:
        tabs = self._metadata()
        names = [t.name for t in s.TABS if t.name in tabs]
        grids: dict[str, Grid] = {}
        for name, (rows, _) in self._values(names).items():
            locked = _locked_rows(tabs[name])
            grids[name] = Grid(rows, frozenset(i for i in locked if 0 < i < len(rows)))
        return Snapshot(grids)

    def _metadata(self, refresh: bool = False) -> dict[str, _Tab]:
        if self._tabs is None or refresh:
            data = self._http.fetch_sheet_metadata(self.settings.spreadsheet_id, params={
                "includeGridData": "false",
                "fields": "sheets(properties(sheetId,title,index,gridProperties),protectedRanges)",
            })
            self._tabs = {}
            for sheet in data.get("sheets", []):
                props = sheet.get("properties", {})
                grid = props.get("gridProperties", {})
                self._tabs[props["title"]] = _Tab(
                    props["title"], int(props.get("sheetId", 0)), int(grid.get("rowCount", 0)),
                    int(grid.get("columnCount", 0)), int(grid.get("frozenRowCount", 0)),
                    list(sheet.get("protectedRanges", [])))
        return self._tabs

    def _values(self, names: Sequence[str]) -> dict[str, tuple[list[Row], int]]:
        """Every named tab in one request: its rows (numbers stay numbers) and its grid height."""
        if not names:
            return {}
        data = self._http.values_batch_get(
            self.settings.spreadsheet_id, [_quoted(n) for n in names],
            params={"valueRenderOption": "UNFORMATTED_VALUE",
                    "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
        tabs = self._metadata()
        result: dict[str, tuple[list[Row], int]] = {}
        for name, value_range in zip(names, data.get("valueRanges", []), strict=True):
            rows: list[Row] = [list(r) for r in value_range.get("values", [])]
            # the echoed range is the whole requested range, i.e. the grid as it is now
            result[name] = (rows, _last_row(value_range.get("range", "")) or tabs[name].row_count)
        return result

    # ---- writing ---------------------------------------------------------------------------

    def apply(self, changes: Changes) -> ApplyResult:
        if not changes:
            return ApplyResult(0, 0)
        tabs = self._metadata()
        names = sorted({w.anchor.tab for w in changes.writes}
                       | {name for name, rows in changes.appends.items() if rows}
                       | set(changes.locks or {}))
        absent = [n for n in names if n not in tabs]
        if absent:
            listed = ", ".join(f"'{n}'" for n in absent)
            raise LayoutError(
                f"Tab {listed} tidak ada di spreadsheet. Jalankan 'dip init'. Tidak ada yang"
                " ditulis.",
                f"Tab {listed} is missing from the spreadsheet. Run 'dip init'. Nothing was"
                " written.",
            )
        if changes.locks is not None:
            tabs = self._metadata(refresh=True)
        current = self._values(names)
        cells: dict[tuple[str, int, int], Json] = {}
        appended: dict[tuple[str, int, int], Json] = {}
        written: set[tuple[str, int, int]] = set()
        skipped: list[CellWrite] = []
        anchors: dict[RowAnchor, RowAnchor] = {}
        grow: list[Json] = []
        for name in names:
            rows, height = current[name]
            tab = tab_of(name)
            writes = [w for w in changes.writes if w.anchor.tab == name]
            if writes:
                where = relocate(tab, [w.anchor for w in writes], rows)
                columns = s.locate_columns(tab, rows[0])
                for write in writes:
                    row = where[write.anchor]
                    if row is None:
                        skipped.append(write)
                        continue
                    cells[(name, row, columns[write.header])] = _encode(write.value)
                    written.add((name, row, columns[write.header]))
                anchors.update(anchors_after(tab, rows, where, writes))
            appends = changes.appends.get(name) or []
            if appends:
                columns = s.locate_columns(tab, rows[0] if rows else [])
                start = len(rows)  # trailing empty rows are not returned: this follows the last
                for offset, values in enumerate(appends):
                    for header, value in values.items():
                        appended[(name, start + offset, columns[header])] = _encode(value)
                if start + len(appends) > height:
                    # rows are added at the end, wherever it is when Google applies this, so a
                    # repeated or late request only leaves blank rows below the history
                    grow.append({"appendDimension": {
                        "sheetId": tabs[name].sheet_id, "dimension": "ROWS",
                        "length": start + len(appends) - height}})
        if grow:  # harmless if the write below fails: the sheet just has a few more empty rows
            self._http.batch_update(self.settings.spreadsheet_id, {"requests": grow})
        # Appended rows go first: if a later part fails, a history row may be repeated by the next
        # sync, but never lost.
        for part in _parts([*_value_ranges(appended), *_value_ranges(cells)], MAX_BODY):
            self._http.values_batch_update(self.settings.spreadsheet_id, {
                "valueInputOption": "RAW", "data": part})
        if changes.locks is not None:
            self._replace_locks(changes.locks, current, tabs)
        return ApplyResult(len(written), sum(len(r) for r in changes.appends.values()),
                           tuple(skipped), anchors=anchors)

    def _replace_locks(self, locks: Mapping[str, Iterable[RowAnchor]],
                       current: Mapping[str, tuple[list[Row], int]],
                       tabs: Mapping[str, _Tab]) -> None:
        """Protect exactly the given rows (coalesced into ranges); unchanged ranges are kept.

        This batch is not repeated as it was: if its reply is lost, Google may have applied it, and
        the same batch again would fail (a range already deleted) or protect a row twice. Instead
        the protections are read again and only what is still missing is sent.
        """
        rows_wanted = {name: list(anchors) for name, anchors in locks.items()}
        started, attempt = time.monotonic(), 0
        while True:
            requests_ = self._lock_requests(rows_wanted, current, tabs)
            if not requests_:
                return
            self._http.retrying = False
            try:
                reply = self._http.batch_update(self.settings.spreadsheet_id, {"requests": requests_})
            except BackendUnavailable:
                wait = self._http.retry_wait(attempt, started)
                if wait is None:
                    raise
                attempt += 1
                time.sleep(wait)
                tabs = self._metadata(refresh=True)
                continue
            finally:
                self._http.retrying = True
            break
        deleted = {r["deleteProtectedRange"]["protectedRangeId"]
                   for r in requests_ if "deleteProtectedRange" in r}
        added = [r["addProtectedRange"]["protectedRange"]
                 for r in reply.get("replies", []) if "addProtectedRange" in (r or {})]
        for tab in tabs.values():
            tab.protections = [p for p in tab.protections if p["protectedRangeId"] not in deleted]
            tab.protections += [p for p in added
                                if int(p["range"].get("sheetId", 0)) == tab.sheet_id]

    def _lock_requests(self, locks: Mapping[str, list[RowAnchor]],
                       current: Mapping[str, tuple[list[Row], int]],
                       tabs: Mapping[str, _Tab]) -> list[Json]:
        """The protection changes that make the locked rows exactly ``locks``."""
        editors = self._lock_editors(tabs)
        requests_: list[Json] = []
        for name, anchors in locks.items():
            rows, _ = current[name]
            where = relocate(tab_of(name), anchors, rows) if anchors else {}
            wanted = set(_runs(r for r in where.values() if r is not None))
            kept: set[tuple[int, int]] = set()
            tab = tabs[name]
            for protection in tab.protections:
                if _key_of(protection) != ROWS_KEY:
                    continue
                area = protection["range"]
                span = (int(area.get("startRowIndex", 0)), int(area.get("endRowIndex", -1)))
                whole_width = "startColumnIndex" not in area and "endColumnIndex" not in area
                if (span in wanted and span not in kept and whole_width
                        and not protection.get("warningOnly")
                        and not editors.missing_from(protection)):
                    kept.add(span)
                    continue
                requests_.append({"deleteProtectedRange": {
                    "protectedRangeId": protection["protectedRangeId"]}})
            for start, end in sorted(wanted - kept):
                requests_.append({"addProtectedRange": {"protectedRange": {
                    "range": {"sheetId": tab.sheet_id, "startRowIndex": start, "endRowIndex": end},
                    "description": _describe(ROWS_KEY, "Baris yang sudah ditetapkan PPID: hanya"
                                                       " PPID yang boleh mengubahnya."),
                    "warningOnly": False,
                    "editors": editors.as_api()}}})
        return requests_

    def _lock_editors(self, tabs: Mapping[str, _Tab]) -> _Editors:
        """Who may edit an established row: the PPID and the service account."""
        ppid = self.settings.roles.get(s.Role.PPID, ())
        if ppid:
            return _editors(ppid, self.account)
        dip = tabs.get(s.DIP_TAB)
        for protection in dip.protections if dip else []:
            if _key_of(protection) == f"col:{s.STEP3}":
                return _Editors((self.account,)).union(protection)
        return _editors((), self.account)

    # ---- creating and repairing ------------------------------------------------------------

    def init(self, layout: Layout) -> list[Message]:
        role_editors = self._role_editors(layout)
        tabs = self._metadata(refresh=True)
        present = [t.name for t in layout.tabs if t.name in tabs]
        grids = self._grid_data(present) if present else {}
        ids = {t.sheet_id for t in tabs.values()}
        requests_: list[Json] = []
        done: list[Message] = []
        for tab in layout.tabs:
            info = tabs.get(tab.name)
            created = info is None
            if info is None:
                sheet_id = _free_id(ids)
                ids.add(sheet_id)
                info = _Tab(tab.name, sheet_id, NEW_TAB_ROWS, max(26, len(tab.columns)), 1, [])
                requests_.append({"addSheet": {"properties": {
                    "sheetId": sheet_id, "title": tab.name,
                    "gridProperties": {"rowCount": info.row_count, "columnCount": info.col_count,
                                       "frozenRowCount": 1}}}})
                done.append(Message(f"Tab '{tab.name}' dibuat dengan {len(tab.columns)} kolom.",
                                    f"Tab '{tab.name}' created with {len(tab.columns)} columns."))
                cells: list[list[Json]] = []
            else:
                cells = grids.get(tab.name, [])
            header = [_cell_text(c) for c in (cells[0] if cells else [])]
            columns = self._repair_header(tab, info, header, requests_, [] if created else done)
            if info.frozen_rows < 1:
                requests_.append({"updateSheetProperties": {"properties": {
                    "sheetId": info.sheet_id, "gridProperties": {"frozenRowCount": 1}},
                    "fields": "gridProperties.frozenRowCount"}})
                done.append(Message(f"Tab '{tab.name}': baris judul dibekukan.",
                                    f"Tab '{tab.name}': header row frozen."))
            self._repair_dropdowns(tab, info, columns, cells, layout, requests_, done)
            self._repair_protections(tab, info, columns, role_editors, requests_, done)
        if requests_:
            self._http.batch_update(self.settings.spreadsheet_id, {"requests": requests_})
            self._tabs = None  # ids of the new protections are learnt on the next use
        return done

    def _role_editors(self, layout: Layout) -> dict[s.Role, _Editors]:
        """Who may edit each role's columns; refuses roles without anyone in them."""
        needed = {c.owner for t in layout.tabs if t.name not in SYSTEM_TABS for c in t.columns}
        unset = sorted(r.value for r in needed & {s.Role.PPID, s.Role.DESK}
                       if not layout.roles.get(r))
        if unset:
            names = ", ".join(unset)
            raise ConfigError(
                f"Peran {names} belum diberi alamat email di bagian [roles] dip.toml; tanpa itu"
                " kolomnya hanya dapat diisi akun layanan. Tidak ada yang diubah.",
                f"Role {names} has no email address in the [roles] section of dip.toml; without"
                " it only the service account could fill its columns. Nothing was changed.",
            )
        ppid = layout.roles.get(s.Role.PPID, ())
        return {
            s.Role.SYSTEM: _editors((), self.account),
            s.Role.PPID: _editors(ppid, self.account),
            s.Role.DESK: _editors((*layout.roles.get(s.Role.DESK, ()), *ppid), self.account),
        }

    def _grid_data(self, names: Sequence[str]) -> dict[str, list[list[Json]]]:
        """Cells (value and dropdown rule) of whole tabs, in one request."""
        data = self._http.fetch_sheet_metadata(self.settings.spreadsheet_id, params={
            "includeGridData": "true", "ranges": [_quoted(n) for n in names],
            "fields": "sheets(properties(title),data(rowData(values(effectiveValue,"
                      "dataValidation))))"})
        result: dict[str, list[list[Json]]] = {}
        for sheet in data.get("sheets", []):
            blocks = sheet.get("data") or [{}]
            result[sheet["properties"]["title"]] = [
                row.get("values", []) for row in blocks[0].get("rowData", [])]
        return result

    def _repair_header(self, tab: s.Tab, info: _Tab, header: list[str], requests_: list[Json],
                       done: list[Message]) -> dict[str, int]:
        """Add missing headers after the last used header cell; refuse duplicated headers.

        ``done`` is not told about the headers of a tab that had none (a tab just created).
        """
        s.refuse_duplicated_headers(tab, header)
        seen = [s.normalize_header(h) for h in header]
        while header and not header[-1].strip():
            header.pop()
        missing = [c for c in tab.columns if s.normalize_header(c.header) not in seen]
        if missing:
            start = len(header)
            if start + len(missing) > info.col_count:
                requests_.append({"appendDimension": {
                    "sheetId": info.sheet_id, "dimension": "COLUMNS",
                    "length": start + len(missing) - info.col_count}})
                info.col_count = start + len(missing)
            requests_.append({"updateCells": {
                "start": {"sheetId": info.sheet_id, "rowIndex": 0, "columnIndex": start},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": c.header},
                                      **({"note": c.help} if c.help else {})}
                                     for c in missing]}],
                "fields": "userEnteredValue,note"}})
            for offset, column in enumerate(missing):
                requests_.append({"updateDimensionProperties": {
                    "range": {"sheetId": info.sheet_id, "dimension": "COLUMNS",
                              "startIndex": start + offset, "endIndex": start + offset + 1},
                    "properties": {"pixelSize": column.width * 7 + 12}, "fields": "pixelSize"}})
            header += [c.header for c in missing]
            names = ", ".join(f"'{c.header}'" for c in missing)
            done.append(Message(f"Tab '{tab.name}': kolom {names} ditambahkan di akhir baris judul.",
                                f"Tab '{tab.name}': columns {names} added at the end of the header"
                                " row."))
        return s.locate_columns(tab, header)

    def _repair_dropdowns(self, tab: s.Tab, info: _Tab, columns: Mapping[str, int],
                          cells: Sequence[Sequence[Json]], layout: Layout,
                          requests_: list[Json], done: list[Message]) -> None:
        """A strict dropdown on every row below the header of each column with fixed choices."""
        for column in tab.columns:
            if column.owner is s.Role.SYSTEM:
                continue
            choices = layout.units if column.header == s.UNIT else column.choices
            if not choices:
                if column.header == s.UNIT:
                    done.append(Message(
                        f"Peringatan: daftar unit kosong; kolom '{s.UNIT}' di tab '{tab.name}'"
                        " tanpa dropdown.",
                        f"Warning: the list of units is empty; column '{s.UNIT}' of tab"
                        f" '{tab.name}' has no dropdown."))
                continue
            rule = {"condition": {"type": "ONE_OF_LIST",
                                  "values": [{"userEnteredValue": v} for v in choices]},
                    "strict": True, "showCustomUi": True}
            index = columns[column.header]
            if all(_same_rule(_cell(cells, row, index).get("dataValidation"), rule)
                   for row in range(1, info.row_count)):
                continue
            requests_.append({"setDataValidation": {"range": {
                "sheetId": info.sheet_id, "startRowIndex": 1, "endRowIndex": info.row_count,
                "startColumnIndex": index, "endColumnIndex": index + 1}, "rule": rule}})
            done.append(Message(f"Tab '{tab.name}': dropdown dipasang di kolom '{column.header}'.",
                                f"Tab '{tab.name}': dropdown set on column '{column.header}'."))

    def _repair_protections(self, tab: s.Tab, info: _Tab, columns: Mapping[str, int],
                            role_editors: Mapping[s.Role, _Editors], requests_: list[Json],
                            done: list[Message]) -> None:
        """Add missing protections; repair ours that lost an editor or only warn.

        Editors a person added are kept: Google may also list the owner, who can always edit.
        """
        for wanted in _wanted_protections(tab, info, columns, role_editors):
            existing = next((p for p in info.protections if _key_of(p) == wanted.key), None)
            if existing is None:
                requests_.append({"addProtectedRange": {"protectedRange": {
                    "range": wanted.range, "description": _describe(wanted.key, wanted.text),
                    "warningOnly": False, "editors": wanted.editors.as_api()}}})
                done.append(Message(f"Tab '{tab.name}': perlindungan dipasang: {wanted.text}",
                                    f"Tab '{tab.name}': protection added: {wanted.en}"))
                continue
            fields = []
            if _normal_range(existing["range"], info) != _normal_range(wanted.range, info):
                fields.append("range")
            if existing.get("warningOnly") or wanted.editors.missing_from(existing):
                fields += ["warningOnly", "editors"]
            if fields:
                requests_.append({"updateProtectedRange": {"protectedRange": {
                    "protectedRangeId": existing["protectedRangeId"], "range": wanted.range,
                    "warningOnly": False, "editors": wanted.editors.union(existing).as_api()},
                    "fields": ",".join(fields)}})
                done.append(Message(f"Tab '{tab.name}': perlindungan diperbaiki: {wanted.text}",
                                    f"Tab '{tab.name}': protection repaired: {wanted.en}"))


# ---- helpers ----------------------------------------------------------------------------------


def _wanted_protections(tab: s.Tab, info: _Tab, columns: Mapping[str, int],
                        role_editors: Mapping[s.Role, _Editors]) -> list[_Protection]:
    system = role_editors[s.Role.SYSTEM]
    if tab.name in SYSTEM_TABS:
        return [_Protection("tab", {"sheetId": info.sheet_id}, system,
                            f"Tab '{tab.name}' hanya ditulis oleh sinkronisasi.",
                            f"Tab '{tab.name}' is written by the sync only.")]
    wanted = [_Protection("header", {"sheetId": info.sheet_id, "startRowIndex": 0,
                                     "endRowIndex": 1}, system,
                          "Baris judul kolom: jangan diubah (kolom dicari menurut judulnya).",
                          "Header row: do not change it (columns are found by their header).")]
    texts = {s.Role.SYSTEM: Message("diisi oleh sinkronisasi; jangan diubah.",
                                    "filled in by the sync; do not change it."),
             s.Role.PPID: Message("hanya untuk PPID.", "for the PPID only."),
             s.Role.DESK: Message("untuk Desk Pelayanan Informasi dan PPID.",
                                  "for the Information Desk and the PPID.")}
    for column in tab.columns:
        if column.owner is s.Role.UNIT:
            continue
        index = columns[column.header]
        wanted.append(_Protection(
            f"col:{column.header}",
            {"sheetId": info.sheet_id, "startRowIndex": 1, "startColumnIndex": index,
             "endColumnIndex": index + 1},
            role_editors[column.owner], f"Kolom '{column.header}' {texts[column.owner].id}",
            f"Column '{column.header}' {texts[column.owner].en}"))
    return wanted


def _editors(entries: Iterable[str], account: str) -> _Editors:
    entries = list(dict.fromkeys(entries))
    users = [e for e in entries if not e.startswith(GROUP_PREFIX)]
    groups = [e.removeprefix(GROUP_PREFIX) for e in entries if e.startswith(GROUP_PREFIX)]
    return _Editors(tuple(dict.fromkeys([*users, account])), tuple(groups))


def _describe(key: str, text: str) -> str:
    return f"[{MARK}:{key}] {text}"


def _key_of(protection: Json) -> str | None:
    match = _MARK_RE.match(str(protection.get("description") or ""))
    return match[1] if match else None


def _locked_rows(tab: _Tab) -> set[int]:
    rows: set[int] = set()
    for protection in tab.protections:
        if _key_of(protection) == ROWS_KEY:
            area = protection["range"]
            rows.update(range(int(area.get("startRowIndex", 0)),
                              int(area.get("endRowIndex", tab.row_count))))
    return rows


def _normal_range(area: Json, tab: _Tab) -> tuple[int, int, int, int, int]:
    """A GridRange with Google's omitted zeros and open ends filled in, for comparison."""
    return (int(area.get("sheetId", 0)),
            int(area.get("startRowIndex", 0)), int(area.get("endRowIndex", tab.row_count)),
            int(area.get("startColumnIndex", 0)), int(area.get("endColumnIndex", tab.col_count)))


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Row indexes -> coalesced end-exclusive ranges: {3, 4, 5, 9} -> [(3, 6), (9, 10)]."""
    runs: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if runs and runs[-1][1] == row:
            runs[-1] = (runs[-1][0], row + 1)
        else:
            runs.append((row, row + 1))
    return runs


def _parts(ranges: list[Json], limit: int) -> list[list[Json]]:
    """Split value ranges into request bodies of about ``limit`` bytes (Google advises < 2 MB).

    A normal sync fits in one; only a first sync of tens of thousands of rows needs several.
    """
    parts: list[list[Json]] = []
    size = limit
    for value_range in ranges:
        length = len(json.dumps(value_range, ensure_ascii=False).encode())
        if size + length > limit and (not parts or parts[-1]):
            parts.append([])
            size = 0
        parts[-1].append(value_range)
        size += length
    return [p for p in parts if p]


def _value_ranges(cells: Mapping[tuple[str, int, int], Json]) -> list[Json]:
    """Cells -> ValueRanges, one per run of neighbouring cells in a row."""
    ranges: list[Json] = []
    run: list[Json] = []
    previous: tuple[str, int, int] | None = None
    start: tuple[str, int, int] | None = None
    for key in sorted(cells):
        name, row, col = key
        if not (previous and previous[:2] == (name, row) and previous[2] == col - 1):
            if start is not None:
                ranges.append(_value_range(start, run))
            start, run = key, []
        run.append(cells[key])
        previous = key
    if start is not None:
        ranges.append(_value_range(start, run))
    return ranges


def _value_range(start: tuple[str, int, int], values: list[Json]) -> Json:
    name, row, col = start
    first = f"{_letter(col)}{row + 1}"
    last = f":{_letter(col + len(values) - 1)}{row + 1}" if len(values) > 1 else ""
    return {"range": f"{_quoted(name)}!{first}{last}", "values": [values]}


def _letter(index: int) -> str:
    """A1 letters of a 0-based column index."""
    return str(get_column_letter(index + 1))


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _last_row(a1: str) -> int | None:
    """``'DIP'!A1:Z1000`` -> 1000."""
    match = re.search(r"!\$?[A-Za-z]*\$?\d*:\$?[A-Za-z]*\$?(\d+)$", a1)
    return int(match[1]) if match else None


def _encode(value: Cell) -> Json:
    """A cell for a RAW write: text stays text ("DIP-0007", "2024"), numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cell(cells: Sequence[Sequence[Json]], row: int, col: int) -> Json:
    if row < len(cells) and col < len(cells[row]):
        return cells[row][col] or {}
    return {}


def _cell_text(cell: Json) -> str:
    value = (cell or {}).get("effectiveValue") or {}
    return str(next(iter(value.values()), ""))


def _same_rule(found: Json, wanted: Json) -> bool:
    if not found:
        return False
    condition = found.get("condition") or {}
    return (condition.get("type") == wanted["condition"]["type"]
            and [v.get("userEnteredValue") for v in condition.get("values") or []]
            == [v["userEnteredValue"] for v in wanted["condition"]["values"]]
            and bool(found.get("strict")) == wanted["strict"])


def _free_id(taken: set[int]) -> int:
    while True:
        candidate = random.randint(1, 2**31 - 1)
        if candidate not in taken:
            return candidate
