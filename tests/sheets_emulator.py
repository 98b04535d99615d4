"""A local, stateful emulator of the part of the Google Sheets API v4 that gspread and dip-sheets use.

This is OUR emulator, written for dip-sheets' tests. It is not Google's code, nor endorsed by Google:
its request paths, response shapes, error bodies and A1 rules are modelled on the public Sheets API
v4 reference (developers.google.com/sheets/api/reference/rest) and on responses recorded by
gspread's own tests. Where the reference is silent, the choice made here is said next to the code.

It runs a real HTTP server on 127.0.0.1, so gspread and google-auth are exercised through their real
code paths (``requests``, the service-account JWT grant, ``AuthorizedSession``). Besides the API it
offers what a test needs and Google does not: direct state helpers, a request log classified like
Google's read/write quotas, injected faults (429/5xx, delays, dropped connections) and "staff edits"
applied atomically between two requests.

Developer metadata is emulated on rows only (``createDeveloperMetadata`` on a one-row
``dimensionRange``, ``deleteDeveloperMetadata`` and lookups by key, value, id and exact
location, used by ``values:batchGetByDataFilter`` and ``values:batchUpdateByDataFilter``). As
Google documents, it moves with its row when rows are inserted or deleted and is deleted with its
row. Where Google's docs are silent this emulator ASSUMES: a sort of whole rows moves each row's
metadata with it (``Sheet.metadata_follows_sort``; set it False to emulate the other possibility,
tests/reliability/test_sheets_race.py runs both); a copy-paste copies cells, never metadata.

Known differences from Google, none of which the dip-sheets tests rely on:

- formulas are stored, never evaluated: their value is the formula text;
- numbers are formatted with a '.' decimal point (an id_ID sheet shows a comma);
- ``values.append`` finds the table simply (the contiguous rows below a single-cell range, else
  after the last non-empty row of the range);
- protections are enforced on value writes only, and only ``editors.users`` count (group
  membership is unknown here);
- the ``fields`` mask of ``spreadsheets.get`` is honoured (Google's partial-response syntax,
  ``a(b,c)``, ``a.b``, ``a/b``): a mask selecting ``sheets.data`` returns grid data without
  ``includeGridData``, as Google documents ("If a field mask is set, the includeGridData
  parameter is ignored", spreadsheets.get reference); masked-out empty cells and rows are left
  out at the end of a row or grid as in gspread's recorded masked reads;
- data validation is stored and returned, never enforced on writes;
- cell formats, row heights and conditional format rules are stored and returned as sent (colours
  are not normalised); row heights and rule ranges do not move when rows or columns are inserted;
- error bodies carry ``details`` only where Google's are known (the API not enabled:
  ``Help`` and ``ErrorInfo``); the protected-cell 400 has none, as in public logs;
- the request body size is not limited (Google advises < 2 MB; the backend splits bodies);
- the response shapes of the kinds the backend sends were compared with gspread's recorded real
  responses (tests/test_emulator_replay.py); what still differs is listed there in ``KNOWN``
  with its reason (the ``fields`` mask, features never used, ids numbered differently). The
  ``values:*ByDataFilter`` methods are not in the recordings: they follow Google's reference.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import gspread
import gspread.http_client
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

Json = Any

DEFAULT_ACCOUNT = "dip-sync@dip-test.iam.gserviceaccount.com"
#: the spreadsheet's owner: may always edit, as on Google; staff-edit helpers act as this person.
OWNER = "pemilik@example.org"
#: number format given to dates typed by a person (the spreadsheet's locale is id_ID).
DATE_FORMAT = {"type": "DATE", "pattern": "dd/mm/yyyy"}
EPOCH = dt.date(1899, 12, 30)
DEFAULT_ROW_HEIGHT = 21  # serial day 0 of Google Sheets (and Lotus 1-2-3)

_URL_NAMES = (
    "SPREADSHEET_URL", "SPREADSHEET_BATCH_UPDATE_URL", "SPREADSHEET_VALUES_URL",
    "SPREADSHEET_VALUES_BATCH_URL", "SPREADSHEET_VALUES_BATCH_UPDATE_URL",
    "SPREADSHEET_VALUES_BATCH_CLEAR_URL", "SPREADSHEET_VALUES_APPEND_URL",
    "SPREADSHEET_VALUES_CLEAR_URL", "SPREADSHEET_SHEETS_COPY_TO_URL", "DRIVE_FILES_API_V3_URL",
    "DRIVE_FILES_UPLOAD_API_V2_URL",
)


@contextmanager
def redirect_gspread(base_url: str) -> Iterator[None]:
    """Point gspread's HTTP client at ``base_url`` (its ``*_URL`` names), undone on exit.

    gspread copies the URLs into ``gspread.http_client`` at import, so that is where they are
    replaced; patching ``gspread.urls`` would have no effect. Also used by benchmarks/bench_sync.py,
    whose emulator runs in another process.
    """
    module = gspread.http_client
    saved = {name: getattr(module, name) for name in _URL_NAMES}
    try:
        for name, url in saved.items():
            setattr(module, name, re.sub(r"^https://[^/]+", base_url, url))
        yield
    finally:
        for name, url in saved.items():
            setattr(module, name, url)


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
_FAULT_MESSAGES = {
    429: "Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per minute"
         " per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline exceeded.",
}
_BAD_JSON = object()
_AUTH_HELP = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential."
    " See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """An error the API answers with Google's JSON body ``{"error": {code, message, status}}``."""

    def __init__(self, code: int, message: str, status: str | None = None,
                 details: Sequence[Json] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        #: ``google.rpc`` detail objects (``@type``-tagged), sent only when Google sends them.
        self.details = list(details)

    def body(self) -> Json:
        error = {"code": self.code, "message": self.message, "status": self.status}
        return {"error": {**error, "details": self.details} if self.details else error}


#: Google's answer when the Sheets API is not enabled in the calling account's Cloud project
#: (shape as in home-assistant/core#79744 and gspread#1286).
def api_disabled(project: str) -> ApiError:
    url = f"https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project={project}"
    return ApiError(403, f"Google Sheets API has not been used in project {project} before or it is"
                         f" disabled. Enable it by visiting {url} then retry. If you enabled this"
                         " API recently, wait a few minutes for the action to propagate to our"
                         " systems and retry.", details=[
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Google developers console API activation", "url": url}]},
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
         "domain": "googleapis.com",
         "metadata": {"consumer": f"projects/{project}", "service": "sheets.googleapis.com"}}])


# ---- A1 notation ------------------------------------------------------------------------------


def column_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Letters -> 0-based column index."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number - 1


_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")
_REF = re.compile(r"([A-Za-z]*)([0-9]*)")


def quote_title(title: str) -> str:
    """A sheet title as the API echoes it: quoted only when it needs to be."""
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Rect:
    """A block of cells, 0-based, end-exclusive (as a GridRange)."""

    r0: int
    r1: int
    c0: int
    c1: int

    def a1(self) -> str:
        start = f"{column_letters(self.c0)}{self.r0 + 1}"
        if self.r1 - self.r0 == 1 and self.c1 - self.c0 == 1:
            return start
        return f"{start}:{column_letters(self.c1 - 1)}{self.r1}"

    def intersects(self, other: Rect) -> bool:
        return (self.r0 < other.r1 and other.r0 < self.r1
                and self.c0 < other.c1 and other.c0 < self.c1)

    def inside(self, other: Rect) -> bool:
        return (other.r0 <= self.r0 and self.r1 <= other.r1
                and other.c0 <= self.c0 and self.c1 <= other.c1)


def _split_title(text: str) -> tuple[str | None, str]:
    """``'My Sheet'!A1:B2`` -> ("My Sheet", "A1:B2"); no ``!`` -> (None, text)."""
    if text.startswith("'"):
        title: list[str] = []
        i = 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1:]
                if rest == "" or rest.startswith("!"):
                    return "".join(title), rest[1:]
                raise ValueError(text)
            title.append(text[i])
            i += 1
        raise ValueError(text)
    if "!" in text:
        title_text, _, cells = text.partition("!")
        return title_text, cells
    return None, text


def _parse_cells(cells: str, rows: int, cols: int) -> tuple[Rect, bool] | None:
    """A1 cell part -> (rect, is a single cell); ``None`` when it is not A1 notation."""
    parts = cells.split(":")
    if len(parts) > 2:
        return None
    refs: list[tuple[int | None, int | None]] = []
    for part in parts:
        match = _REF.fullmatch(part.strip())
        if match is None or not (match[1] or match[2]):
            return None
        row = int(match[2]) - 1 if match[2] else None
        if row is not None and row < 0:
            return None
        refs.append((column_index(match[1]) if match[1] else None, row))
    if len(refs) == 1:
        col, row = refs[0]
        if col is None or row is None:
            return None
        return Rect(row, row + 1, col, col + 1), True
    (ca, ra), (cb, rb) = refs
    if ca is None and cb is not None:
        return None
    if ca is not None and cb is not None and cb < ca:
        ca, cb = cb, ca
    if ra is not None and rb is not None and rb < ra:
        ra, rb = rb, ra
    c0 = ca if ca is not None else 0
    c1 = cb + 1 if cb is not None else cols
    r0 = ra if ra is not None else 0
    r1 = rb + 1 if rb is not None else rows
    return Rect(r0, r1, c0, c1), False


# ---- values -----------------------------------------------------------------------------------


def to_serial(day: dt.date) -> int:
    return (day - EPOCH).days


def _json_number(value: int | float) -> int | float:
    """Integral numbers go out as JSON integers, as Google sends them (2024, not 2024.0)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _format_date(serial: float, pattern: str) -> str:
    day = EPOCH + dt.timedelta(days=int(serial))
    tokens = {"yyyy": f"{day.year:04d}", "yy": f"{day.year % 100:02d}", "dd": f"{day.day:02d}",
              "d": str(day.day), "mm": f"{day.month:02d}", "m": str(day.month)}
    return re.sub(r"yyyy|yy|dd|d|mm|m", lambda m: tokens[m[0]], pattern)


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass
class CellData:
    """One cell: what was entered, its number format, data validation and note."""

    value: str | int | float | bool | None = None
    formula: str | None = None
    number_format: dict[str, str] | None = None
    validation: dict[str, Any] | None = None
    note: str | None = None
    #: userEnteredFormat besides numberFormat (text format, colours, wrapping, alignment)
    look: dict[str, Any] | None = None

    def has_value(self) -> bool:
        return self.formula is not None or (self.value is not None and self.value != "")

    def is_blank(self) -> bool:
        return not (self.has_value() or self.number_format or self.validation or self.note
                    or self.look)

    def is_date(self) -> bool:
        return self.number_format is not None and self.number_format.get("type") in (
            "DATE", "DATE_TIME", "TIME")

    def enter(self, value: Json, input_option: str) -> None:
        """Store a value sent by a client; ``USER_ENTERED`` parses it as the UI would."""
        self.formula = None
        if input_option == "RAW" or not isinstance(value, str):
            self.value = value
            return
        if value.startswith("'"):
            self.value = value[1:]
        elif value.startswith("="):
            self.value = self.formula = value
        elif value.strip().upper() in ("TRUE", "FALSE"):
            self.value = value.strip().upper() == "TRUE"
        elif _NUMBER.fullmatch(value.strip()):
            number = float(value)
            self.value = int(number) if number.is_integer() and "." not in value else number
        elif date := _parse_date(value.strip()):
            self.value = to_serial(date)
            if not self.is_date():
                self.number_format = dict(DATE_FORMAT)
        else:
            self.value = value

    def render(self, value_option: str, date_option: str) -> Json:
        if not self.has_value():
            return ""
        if self.formula is not None and value_option == "FORMULA":
            return self.formula
        value = self.value
        if isinstance(value, bool):
            return ("TRUE" if value else "FALSE") if value_option == "FORMATTED_VALUE" else value
        if isinstance(value, int | float):
            if self.is_date() and self.number_format:
                if value_option == "FORMATTED_VALUE" or date_option == "FORMATTED_STRING":
                    return _format_date(value, self.number_format.get("pattern", "dd/mm/yyyy"))
                return _json_number(value)
            if value_option == "FORMATTED_VALUE":
                return str(_json_number(value))
            return _json_number(value)
        return value

    def as_api(self) -> Json:
        """The CellData resource of spreadsheets.get with grid data."""
        out: dict[str, Json] = {}
        if self.has_value():
            if self.formula is not None:
                out["userEnteredValue"] = {"formulaValue": self.formula}
                out["effectiveValue"] = {"stringValue": self.formula}
            else:
                out["userEnteredValue"] = out["effectiveValue"] = _typed_value(self.value)
            out["formattedValue"] = self.render("FORMATTED_VALUE", "FORMATTED_STRING")
        if self.number_format or self.look:
            out["userEnteredFormat"] = _format_out(self)
        if self.validation:
            out["dataValidation"] = copy.deepcopy(self.validation)
        if self.note:
            out["note"] = self.note
        return out

    def inherited(self) -> CellData | None:
        """What a row or column inserted next to this cell takes from it: format and validation."""
        if not (self.number_format or self.validation):
            return None
        return CellData(number_format=copy.deepcopy(self.number_format),
                        validation=copy.deepcopy(self.validation))


def _typed_value(value: Json) -> Json:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": _json_number(value)}
    return {"stringValue": value}


def _parse_date(text: str) -> dt.date | None:
    try:
        if match := _DMY.fullmatch(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))  # id_ID: day first
        if match := _ISO_DATE.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return None


# ---- spreadsheet state ------------------------------------------------------------------------


@dataclass
class Sheet:
    """One tab: cells stored sparsely, one dict per grid row, so rows move as units."""

    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    rows: list[dict[int, CellData]] = field(default_factory=list)
    col_widths: list[int] = field(default_factory=list)
    protected: list[dict[str, Json]] = field(default_factory=list)
    frozen_cols: int = 0
    #: rows whose height was set (pixels by 0-based row); the others are 21 px high
    row_heights: dict[int, int] = field(default_factory=dict)
    conditional_formats: list[dict[str, Json]] = field(default_factory=list)
    #: row-level developer metadata, one list per grid row (kept aligned with ``rows``), so it
    #: moves with its row on insert and delete and is deleted with it, as Google documents.
    row_meta: list[list[dict[str, Json]]] = field(default_factory=list)
    metadata_follows_sort: bool = True

    def __post_init__(self) -> None:
        self.rows += [{} for _ in range(self.row_count - len(self.rows))]
        self.row_meta += [[] for _ in range(self.row_count - len(self.row_meta))]
        self.col_widths += [100] * (self.col_count - len(self.col_widths))

    def full(self) -> Rect:
        return Rect(0, self.row_count, 0, self.col_count)

    def cell(self, row: int, col: int) -> CellData:
        return self.rows[row].setdefault(col, CellData())

    def properties(self) -> Json:
        grid: dict[str, int] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        return {"sheetId": self.sheet_id, "title": self.title, "index": self.index,
                "sheetType": "GRID", "gridProperties": grid}

    def rect_of(self, grid_range: Mapping[str, Json]) -> Rect:
        """A GridRange of this sheet as a Rect; missing bounds are the grid's edges."""
        return Rect(int(grid_range.get("startRowIndex") or 0),
                    int(grid_range.get("endRowIndex", self.row_count)),
                    int(grid_range.get("startColumnIndex") or 0),
                    int(grid_range.get("endColumnIndex", self.col_count)))

    def check(self, rect: Rect) -> None:
        if (rect.r0 < 0 or rect.c0 < 0 or rect.r0 >= rect.r1 or rect.c0 >= rect.c1
                or rect.r1 > self.row_count or rect.c1 > self.col_count):
            raise ApiError(400, f"Range ({quote_title(self.title)}!{rect.a1()}) exceeds grid"
                                f" limits. Max rows: {self.row_count}, max columns: {self.col_count}")

    def last_value_row(self, rect: Rect) -> int:
        """Index of the last row of ``rect`` holding a value, or -1."""
        for row in range(rect.r1 - 1, rect.r0 - 1, -1):
            if any(rect.c0 <= c < rect.c1 and cell.has_value() for c, cell in self.rows[row].items()):
                return row
        return -1

    def read(self, rect: Rect, value_option: str, date_option: str, major: str) -> list[list[Json]]:
        """Values of ``rect`` as the API returns them: trailing empty cells and rows dropped."""
        out: list[list[Json]] = []
        for row in self.rows[rect.r0:rect.r1]:
            used = [c for c, cell in row.items() if rect.c0 <= c < rect.c1 and cell.has_value()]
            if not used:
                out.append([])
                continue
            out.append([row[c].render(value_option, date_option) if c in row else ""
                        for c in range(rect.c0, max(used) + 1)])
        while out and not out[-1]:
            out.pop()
        if major == "COLUMNS" and out:
            width = max(len(r) for r in out)
            columns = [[r[i] if i < len(r) else "" for r in out] for i in range(width)]
            for column in columns:
                while column and column[-1] == "":
                    column.pop()
            out = columns
        return out

    def grid_data(self, rect: Rect, parts: set[str] | None = None) -> Json:
        """GridData of ``rect``; ``parts`` (names of GridData fields a mask selects, ``None``:
        all) spares building cells nobody asked for."""
        data: dict[str, Json] = {}
        if parts is None or "rowData" in parts:
            row_data: list[Json] = []
            for row in self.rows[rect.r0:rect.r1]:
                used = [c for c, cell in row.items()
                        if rect.c0 <= c < rect.c1 and not cell.is_blank()]
                if not used:
                    row_data.append({})
                    continue
                row_data.append({"values": [row[c].as_api() if c in row else {}
                                            for c in range(rect.c0, max(used) + 1)]})
            while row_data and not row_data[-1]:
                row_data.pop()
            data["rowData"] = row_data
        if parts is None or "columnMetadata" in parts:
            data["columnMetadata"] = [{"pixelSize": w} for w in self.col_widths[rect.c0:rect.c1]]
        if parts is None or "rowMetadata" in parts:
            data["rowMetadata"] = [self._row_metadata(r) for r in range(rect.r0, rect.r1)]
        if rect.r0:
            data["startRow"] = rect.r0
        if rect.c0:
            data["startColumn"] = rect.c0
        return data

    def _row_metadata(self, row: int) -> Json:
        """DimensionProperties of a row: its height and its developer metadata."""
        out: dict[str, Json] = {"pixelSize": self.row_heights.get(row, DEFAULT_ROW_HEIGHT)}
        if self.row_meta[row]:
            out["developerMetadata"] = [_metadata_out(self, row, e) for e in self.row_meta[row]]
        return out

    # -- structure: what Sheets does to cells and protected ranges when rows/columns move

    def insert(self, dimension: str, start: int, end: int, inherit_from_before: bool) -> None:
        count = end - start
        source = start - 1 if inherit_from_before else start
        if dimension == "ROWS":
            template = self.rows[source] if 0 <= source < self.row_count else {}
            for _ in range(count):
                fresh = {c: new for c, cell in template.items() if (new := cell.inherited())}
                self.rows.insert(start, fresh)
                self.row_meta.insert(start, [])
            self.row_count += count
        else:
            for row in self.rows:
                shifted = {c + count if c >= start else c: cell for c, cell in row.items()}
                if (cell := row.get(source)) and (new := cell.inherited()):
                    for c in range(start, end):
                        shifted[c] = copy.deepcopy(new)
                row.clear()
                row.update(shifted)
            width = self.col_widths[source] if 0 <= source < self.col_count else 100
            self.col_widths[start:start] = [width] * count
            self.col_count += count
        for protected in self.protected:
            for grid_range in [protected["range"], *protected.get("unprotectedRanges", [])]:
                _shift_inserted(grid_range, dimension, start, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        if dimension == "ROWS":
            del self.rows[start:end]
            del self.row_meta[start:end]
            self.row_count -= end - start
        else:
            for row in self.rows:
                kept = {c - (end - start) if c >= end else c: cell
                        for c, cell in row.items() if not start <= c < end}
                row.clear()
                row.update(kept)
            del self.col_widths[start:end]
            self.col_count -= end - start
        survivors = []
        for protected in self.protected:
            if _shift_deleted(protected["range"], dimension, start, end):
                protected["unprotectedRanges"] = [
                    r for r in protected.get("unprotectedRanges", [])
                    if _shift_deleted(r, dimension, start, end)]
                survivors.append(protected)
        self.protected = survivors

    def sort(self, rect: Rect, specs: Sequence[Mapping[str, Json]]) -> None:
        """Sort the rows of ``rect`` (whole cells move); empty cells sort last either way."""

        def compare(a: dict[int, CellData], b: dict[int, CellData]) -> int:
            for spec in specs:
                column = int(spec.get("dimensionIndex") or 0)
                descending = spec.get("sortOrder") == "DESCENDING"
                ka, kb = _sort_key(a.get(column)), _sort_key(b.get(column))
                if ka is None or kb is None:
                    if ka is None and kb is None:
                        continue
                    return 1 if ka is None else -1
                if ka != kb:
                    return (1 if ka > kb else -1) * (-1 if descending else 1)
            return 0

        block = [{c: cell for c, cell in row.items() if rect.c0 <= c < rect.c1}
                 for row in self.rows[rect.r0:rect.r1]]
        def by_index(a: int, b: int) -> int:
            return compare(block[a], block[b])

        order = sorted(range(len(block)), key=functools.cmp_to_key(by_index))
        if self.metadata_follows_sort and rect.c0 == 0 and rect.c1 >= self.col_count:
            # whole rows moved: their metadata goes with them (ASSUMPTION, see the docstring)
            metas = self.row_meta[rect.r0:rect.r1]
            self.row_meta[rect.r0:rect.r1] = [metas[i] for i in order]
        block = [block[i] for i in order]
        for offset, moved in enumerate(block):
            row = self.rows[rect.r0 + offset]
            for c in [c for c in row if rect.c0 <= c < rect.c1]:
                del row[c]
            row.update(moved)


def _sort_key(cell: CellData | None) -> tuple[int, Any] | None:
    if cell is None or not cell.has_value():
        return None
    value = cell.value
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).casefold())


_KEYS = {"ROWS": ("startRowIndex", "endRowIndex"), "COLUMNS": ("startColumnIndex", "endColumnIndex")}


def _shift_inserted(grid_range: dict[str, Json], dimension: str, at: int, count: int) -> None:
    """Inserting inside a range grows it; inserting at or before its start moves it."""
    start_key, end_key = _KEYS[dimension]
    if grid_range.get(start_key) is not None and grid_range[start_key] >= at:
        grid_range[start_key] += count
    if grid_range.get(end_key) is not None and grid_range[end_key] > at:
        grid_range[end_key] += count


def _shift_deleted(grid_range: dict[str, Json], dimension: str, start: int, end: int) -> bool:
    """Shrink or move a range for deleted rows/columns; ``False`` when nothing of it is left."""
    start_key, end_key = _KEYS[dimension]

    def moved(index: int) -> int:
        return index if index <= start else (start if index <= end else index - (end - start))

    for key in (start_key, end_key):
        if grid_range.get(key) is not None:
            grid_range[key] = moved(grid_range[key])
    low, high = grid_range.get(start_key), grid_range.get(end_key)
    return not (low is not None and high is not None and low >= high)


def _grid_range_out(grid_range: Mapping[str, Json]) -> Json:
    """``sheetId`` 0 is left out (proto3 JSON omits a zero); start indexes set to 0 are kept, as
    Google's responses show (``"startRowIndex": 0``)."""
    return {k: v for k, v in grid_range.items() if v is not None and not (
        v == 0 and k == "sheetId")}


@dataclass
class Book:
    """One spreadsheet file."""

    spreadsheet_id: str
    title: str
    sheets: list[Sheet]
    #: accounts the file is shared with (as editors); ``None`` = every account.
    shared_with: set[str] | None = None
    next_protection_id: int = 1_100_000_001
    next_metadata_id: int = 2_000_001

    def sheet(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        return next((s for s in self.sheets if s.title.casefold() == title.casefold()), None)

    def sheet_by_id(self, sheet_id: Json) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == int(sheet_id or 0):
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def tab(self, title: str) -> Sheet:
        """For the test helpers: the tab or a plain error."""
        sheet = self.sheet(title)
        if sheet is None:
            raise KeyError(f"no tab {title!r} in {self.spreadsheet_id}")
        return sheet

    def resolve(self, text: str) -> tuple[Sheet, Rect, bool]:
        """An A1 range -> (sheet, rect, is a single cell). Raises 400 as the API does."""
        try:
            title, cells = _split_title(text.strip())
        except ValueError:
            raise ApiError(400, f"Unable to parse range: {text}") from None
        if title is None:
            named = self.sheet(cells)
            if named is not None:
                return named, named.full(), False
            sheet = min(self.sheets, key=lambda s: s.index)
        else:
            found = self.sheet(title)
            if found is None:
                raise ApiError(400, f"Unable to parse range: {text}")
            sheet = found
            if cells == "":
                return sheet, sheet.full(), False
        parsed = _parse_cells(cells, sheet.row_count, sheet.col_count)
        if parsed is None:
            raise ApiError(400, f"Unable to parse range: {text}")
        rect, single = parsed
        sheet.check(rect)
        return sheet, rect, single

    def place(self, sheet: Sheet | None = None, index: Json = None) -> None:
        """Renumber the tabs 0..n-1, moving ``sheet`` to ``index`` when one is given."""
        ordered = sorted((s for s in self.sheets if s is not sheet), key=lambda s: s.index)
        if sheet is not None:
            ordered.insert(len(ordered) if index is None else min(int(index), len(ordered)), sheet)
        for number, each in enumerate(ordered):
            each.index = number


PROTECTED_MESSAGE = ("You are trying to edit a protected cell or object. Please contact the"
                     " spreadsheet owner to remove protection if you need to edit.")
#: Google's limits: characters in one cell, and cells in one spreadsheet.
MAX_CELL_CHARS = 50_000
MAX_CELLS = 10_000_000


def _require_editable(sheet: Sheet, rect: Rect, account: str | None,
                      groups: Mapping[str, set[str]] | None = None,
                      blocking: dict[tuple[int, str], list[Json]] | None = None) -> None:
    """Refuse a write into a protected range whose editors (users, or members of its groups) do
    not include ``account``; every protection covering a cell must allow it, as on Google.
    ``blocking`` keeps, for one request, the protections that do not let ``account`` edit (a big
    write into a sheet with thousands of row locks would otherwise take minutes here)."""
    if account is None or account == OWNER:
        return
    memo = blocking if blocking is not None else {}
    key = (id(sheet), account)
    if key not in memo:
        memo[key] = [p for p in sheet.protected if not (
            p.get("warningOnly") or account in p.get("editors", {}).get("users", []) or any(
                account in (groups or {}).get(g, set())
                for g in p.get("editors", {}).get("groups", [])))]
    for protected in memo[key]:
        if not rect.intersects(sheet.rect_of(protected["range"])):
            continue
        if any(rect.inside(sheet.rect_of(r)) for r in protected.get("unprotectedRanges", [])):
            continue
        # Google answers 400, not 403 (public logs; in a values batch "Invalid data[0]: " first)
        raise ApiError(400, PROTECTED_MESSAGE)


# ---- the request log, faults and staff edits --------------------------------------------------


@dataclass
class Request:
    """One request as served. ``kind`` follows Google's quotas: GET = read, POST/PUT = write."""

    position: int  # 1-based among API requests since the last reset_log(); 0 for /token
    method: str
    path: str
    query: dict[str, list[str]]
    api: str  # e.g. "values.batchGet", "spreadsheets.batchUpdate", "token"
    kind: str  # "read", "write" or "auth"
    body_size: int
    body: Json
    account: str | None = None
    status: int | None = None  # None while being served; 0 when the connection was dropped
    arrived: float = field(default_factory=time.monotonic)  # for checking rate limits


Predicate = Callable[[Request], bool]


@dataclass
class _Fault:
    action: str  # "status", "delay" or "drop"
    remaining: int | None  # None = forever
    when: Predicate | None
    at: int | None
    status: int = 0
    seconds: float = 0.0
    after_processing: bool = False

    def matches(self, request: Request) -> bool:
        return ((self.at is None or self.at == request.position)
                and (self.when is None or self.when(request)))


@dataclass
class _Hook:
    action: Callable[[], None]
    at: int | None
    when: Predicate | None


@dataclass(frozen=True)
class ServiceAccount:
    """A throwaway service account the emulator accepts; ``path`` is its JSON key file."""

    email: str
    path: Path


@functools.cache
def _private_key() -> rsa.RSAPrivateKey:
    """One RSA key per test session: generating one per account would cost ~0.1 s each."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("GET", re.compile(r"/v4/spreadsheets/([^/:]+)"), "spreadsheets.get"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+):batchUpdate"), "spreadsheets.batchUpdate"),
    ("GET", re.compile(r"/v4/spreadsheets/([^/:]+)/values:batchGet"), "values.batchGet"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values:batchUpdate"), "values.batchUpdate"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values:batchClear"), "values.batchClear"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values:batchGetByDataFilter"),
     "values.batchGetByDataFilter"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values:batchUpdateByDataFilter"),
     "values.batchUpdateByDataFilter"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values/(.+):append"), "values.append"),
    ("POST", re.compile(r"/v4/spreadsheets/([^/:]+)/values/(.+):clear"), "values.clear"),
    ("GET", re.compile(r"/v4/spreadsheets/([^/:]+)/values/(.+)"), "values.get"),
    ("PUT", re.compile(r"/v4/spreadsheets/([^/:]+)/values/(.+)"), "values.update"),
)


#: POST methods Google counts against the read quota.
_POST_READS = frozenset({"values.batchGetByDataFilter"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front end; needs Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    timeout = 30
    emulator: SheetsEmulator

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.emulator._serve(method, self.path, self.headers.get("Authorization"), body)
        if reply is None:  # injected: drop the connection without a response
            self.close_connection = True
            return
        status, payload = reply
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator keeps its own log."""


class SheetsEmulator:
    """The running emulator: an HTTP server on 127.0.0.1 plus helpers for tests.

    Every helper takes the state lock, so a helper called from a staff-edit hook is applied
    atomically between two requests.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._books: dict[str, Book] = {}
        self._accounts: dict[str, rsa.RSAPublicKey] = {}
        self._tokens: dict[str, str] = {}
        self._log: list[Request] = []
        self._position = 0
        self._faults: list[_Fault] = []
        self._hooks: list[_Hook] = []
        #: Google Groups and their members (a protection may name a group as editor)
        self._groups: dict[str, set[str]] = {}
        #: :func:`_require_editable`'s memo, for the request being answered.
        self._blocking: dict[tuple[int, str], list[Json]] = {}
        self._next_book = 1
        self.require_auth = True
        #: set to a Cloud project number: every API request is answered as when the Sheets API is
        #: not enabled in the caller's project (403 SERVICE_DISABLED).
        self.disabled_in_project: str | None = None
        #: told of every cell a values write is about to set (sheet, 0-based row and column,
        #: value), with the state as it is then: lets a test see which row a write reached.
        self.on_cell_write: Callable[[Sheet, int, int, Json], None] | None = None
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.token_uri = f"{self.base_url}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True, name="sheets-emulator")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SheetsEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- accounts, files and gspread --------------------------------------------------------

    def service_account(self, directory: Path, email: str = DEFAULT_ACCOUNT) -> ServiceAccount:
        """Write a service-account key file whose ``token_uri`` is this emulator."""
        key = _private_key()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        info = {
            "type": "service_account",
            "project_id": "dip-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
            "universe_domain": "googleapis.com",
        }
        path = directory / f"{email.split('@')[0]}.json"
        path.write_text(json.dumps(info, indent=2))
        with self._lock:
            self._accounts[email] = key.public_key()
        return ServiceAccount(email, path)

    def redirect_gspread(self) -> AbstractContextManager[None]:
        """Point gspread's module-wide URLs at this emulator, undone on exit (see
        :func:`redirect_gspread`). Only for code that builds its own gspread client, such as
        ``dip`` run from a dip.toml; a register made in a test takes ``api_url`` instead."""
        return redirect_gspread(self.base_url)

    def gspread_client(self, account: ServiceAccount) -> gspread.Client:
        """A real gspread client (real service-account flow); use inside redirect_gspread()."""
        return gspread.service_account(filename=account.path)

    def revoke_tokens(self) -> None:
        """Forget every access token: the next request answers 401 and google-auth refreshes."""
        with self._lock:
            self._tokens.clear()

    # ---- spreadsheets -----------------------------------------------------------------------

    def create_spreadsheet(
        self,
        tabs: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        title: str = "Register DIP",
        spreadsheet_id: str | None = None,
        shared_with: Iterable[str] | None = None,
        rows: int = 1000,
        cols: int = 26,
    ) -> str:
        """Create a file with the given tabs (title -> rows of values, stored RAW; a ``date``
        becomes a date cell). No tabs: one empty "Sheet1", as Google creates."""
        with self._lock:
            sid = spreadsheet_id or f"emu{self._next_book:03d}" + secrets.token_hex(12)
            self._next_book += 1
            book = Book(sid, title, [], None if shared_with is None else set(shared_with))
            self._books[sid] = book
            for name, values in (tabs or {"Sheet1": []}).items():
                self.add_tab(sid, name, values, rows=rows, cols=cols)
            return sid

    def add_tab(self, spreadsheet_id: str, title: str, values: Sequence[Sequence[Any]] = (),
                *, rows: int = 1000, cols: int = 26) -> int:
        with self._lock:
            book = self._books[spreadsheet_id]
            sheet_id = 0 if not book.sheets else max(s.sheet_id for s in book.sheets) + 101
            sheet = Sheet(sheet_id, title, len(book.sheets), rows, max(cols, *map(len, values), 1))
            book.sheets.append(sheet)
            for r, row in enumerate(values):
                for c, value in enumerate(row):
                    self._put(sheet, r, c, value)
            return sheet_id

    def add_to_group(self, group: str, *emails: str) -> None:
        """Make accounts members of a Google Group (editors of whatever names the group)."""
        with self._lock:
            self._groups.setdefault(group, set()).update(emails)

    def share(self, spreadsheet_id: str, email: str) -> None:
        with self._lock:
            book = self._books[spreadsheet_id]
            if book.shared_with is not None:
                book.shared_with.add(email)

    def unshare(self, spreadsheet_id: str, email: str) -> None:
        with self._lock:
            book = self._books[spreadsheet_id]
            if book.shared_with is None:
                book.shared_with = set(self._accounts)
            book.shared_with.discard(email)

    def book(self, spreadsheet_id: str) -> Book:
        """The raw state, for assertions the helpers below do not cover."""
        return self._books[spreadsheet_id]

    # ---- reading state back -----------------------------------------------------------------

    def tab_values(self, spreadsheet_id: str, tab: str,
                   render: str = "UNFORMATTED_VALUE") -> list[list[Any]]:
        """A tab's values as ``values.get`` would return them (trailing empties dropped)."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            return sheet.read(sheet.full(), render, "SERIAL_NUMBER", "ROWS")

    def tab_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            book = self._books[spreadsheet_id]
            return [s.title for s in sorted(book.sheets, key=lambda s: s.index)]

    def tab_properties(self, spreadsheet_id: str, tab: str) -> Json:
        with self._lock:
            return self._books[spreadsheet_id].tab(tab).properties()

    def protections(self, spreadsheet_id: str, tab: str | None = None) -> list[Json]:
        """Protected ranges as spreadsheets.get returns them, for one tab or all."""
        with self._lock:
            book = self._books[spreadsheet_id]
            sheets = book.sheets if tab is None else [book.tab(tab)]
            return [self._protection_out(p, OWNER) for s in sheets for p in s.protected]

    def validation(self, spreadsheet_id: str, tab: str, a1: str) -> Json | None:
        with self._lock:
            sheet, rect, _ = self._books[spreadsheet_id].resolve(f"{quote_title(tab)}!{a1}")
            cell = sheet.rows[rect.r0].get(rect.c0)
            return copy.deepcopy(cell.validation) if cell else None

    def column_validations(self, spreadsheet_id: str, tab: str, column: int) -> list[Json | None]:
        """The validation rule of every cell of a column (0-based), top to bottom."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            return [copy.deepcopy(c.validation) if (c := row.get(column)) else None
                    for row in sheet.rows]

    def column_widths(self, spreadsheet_id: str, tab: str) -> list[int]:
        with self._lock:
            return list(self._books[spreadsheet_id].tab(tab).col_widths)

    def row_height(self, spreadsheet_id: str, tab: str, row: int) -> int:
        with self._lock:
            return self._books[spreadsheet_id].tab(tab).row_heights.get(row, DEFAULT_ROW_HEIGHT)

    def conditional_formats(self, spreadsheet_id: str, tab: str) -> list[Json]:
        """A tab's conditional format rules as spreadsheets.get returns them, in order."""
        with self._lock:
            return copy.deepcopy(self._books[spreadsheet_id].tab(tab).conditional_formats)

    def cell_format(self, spreadsheet_id: str, tab: str, row: int, col: int) -> Json:
        """A cell's userEnteredFormat (0-based), ``{}`` when it has none."""
        with self._lock:
            cell = self._books[spreadsheet_id].tab(tab).rows[row].get(col)
            return _format_out(cell) if cell else {}

    # ---- staff edits (direct, or queued with before_request / before_next_write) -------------

    def set_cell(self, spreadsheet_id: str, tab: str, a1: str, value: Any,
                 *, user_entered: bool = False) -> None:
        """A person types into one cell (``user_entered``: parsed as the UI would)."""
        with self._lock:
            sheet, rect, _ = self._books[spreadsheet_id].resolve(f"{quote_title(tab)}!{a1}")
            if user_entered:
                sheet.cell(rect.r0, rect.c0).enter(value, "USER_ENTERED")
            else:
                self._put(sheet, rect.r0, rect.c0, value)

    def set_date(self, spreadsheet_id: str, tab: str, a1: str, day: dt.date) -> None:
        """A person typed a date: a serial number with a date format."""
        self.set_cell(spreadsheet_id, tab, a1, day)

    def insert_rows(self, spreadsheet_id: str, tab: str, row: int,
                    values: Sequence[Sequence[Any]] = ((),)) -> None:
        """Insert ``len(values)`` rows before 1-based ``row`` and fill them; protections shift."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            start = row - 1
            sheet.insert("ROWS", start, start + len(values), inherit_from_before=start > 0)
            for r, cells in enumerate(values):
                for c, value in enumerate(cells):
                    self._put(sheet, start + r, c, value)

    def delete_rows(self, spreadsheet_id: str, tab: str, row: int, count: int = 1) -> None:
        """Delete ``count`` rows from 1-based ``row``; protections shrink or move."""
        with self._lock:
            self._books[spreadsheet_id].tab(tab).delete("ROWS", row - 1, row - 1 + count)

    def sort_rows(self, spreadsheet_id: str, tab: str, column: int | str, *,
                  descending: bool = False, header_rows: int = 1) -> None:
        """Sort the rows below the header by a column (0-based index or header text)."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            if isinstance(column, str):
                header = sheet.rows[0]
                column = next(c for c, cell in header.items() if cell.value == column)
            rect = Rect(header_rows, sheet.row_count, 0, sheet.col_count)
            sheet.sort(rect, [{"dimensionIndex": column,
                               "sortOrder": "DESCENDING" if descending else "ASCENDING"}])

    def copy_row(self, spreadsheet_id: str, tab: str, source: int, target: int) -> None:
        """Copy and paste the cells of 1-based row ``source`` over row ``target`` (values and
        formats; row metadata is not copied, see the module docstring)."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            sheet.rows[target - 1] = copy.deepcopy(sheet.rows[source - 1])

    def row_metadata(self, spreadsheet_id: str, tab: str) -> list[tuple[int, Json]]:
        """(0-based row, metadata) of every row-level developer metadata of a tab."""
        with self._lock:
            sheet = self._books[spreadsheet_id].tab(tab)
            return [(row, copy.deepcopy(m)) for row, metas in enumerate(sheet.row_meta)
                    for m in metas]

    def _put(self, sheet: Sheet, row: int, col: int, value: Any) -> None:
        cell = sheet.cell(row, col)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            cell.enter(to_serial(value), "RAW")
            cell.number_format = dict(DATE_FORMAT)
        else:
            cell.enter(value, "RAW")

    def before_request(self, position: int, action: Callable[[], None]) -> None:
        """Run ``action`` on the state just before API request number ``position`` (1-based,
        counted since the last reset_log())."""
        with self._lock:
            self._hooks.append(_Hook(action, position, None))

    def before_next(self, action: Callable[[], None], when: Predicate | None = None) -> None:
        """Run ``action`` before the next API request (matching ``when``, if given)."""
        with self._lock:
            self._hooks.append(_Hook(action, None, when))

    def before_next_write(self, action: Callable[[], None]) -> None:
        self.before_next(action, lambda r: r.kind == "write")

    # ---- faults -----------------------------------------------------------------------------

    def fail(self, status: int = 429, *, times: int | None = 1, when: Predicate | None = None,
             at: int | None = None) -> None:
        """Answer the next ``times`` matching API requests (None = all) with ``status``.

        Faults apply to API requests only, never to the token endpoint.
        """
        with self._lock:
            self._faults.append(_Fault("status", times, when, at, status=status))

    def delay(self, seconds: float, *, times: int | None = 1, when: Predicate | None = None,
              at: int | None = None) -> None:
        """Wait before serving the next matching requests (to trigger client timeouts)."""
        with self._lock:
            self._faults.append(_Fault("delay", times, when, at, seconds=seconds))

    def drop(self, *, times: int | None = 1, when: Predicate | None = None, at: int | None = None,
             after_processing: bool = False) -> None:
        """Close the connection without a response; ``after_processing``: the request was applied
        first (the response was lost, not the request)."""
        with self._lock:
            self._faults.append(_Fault("drop", times, when, at, after_processing=after_processing))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ---- log --------------------------------------------------------------------------------

    @property
    def log(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def count(self, kind: str | None = None, api: str | None = None) -> int:
        """API requests served since reset_log() (token requests only with kind="auth")."""
        with self._lock:
            return sum(1 for r in self._log
                       if ((kind is None and r.kind != "auth") or r.kind == kind)
                       and (api is None or r.api == api))

    @property
    def reads(self) -> int:
        return self.count("read")

    @property
    def writes(self) -> int:
        return self.count("write")

    def apis(self) -> list[str]:
        """The API names of the requests since reset_log(), in order (no token requests)."""
        with self._lock:
            return [r.api for r in self._log if r.kind != "auth"]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every logged request has been answered (e.g. one a client gave up on)."""
        deadline = time.monotonic() + timeout
        while any(r.status is None for r in self.log):
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator is still serving a request")
            time.sleep(0.01)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._position = 0

    # ---- serving ----------------------------------------------------------------------------

    def _serve(self, method: str, target: str, authorization: str | None,
               raw: bytes) -> tuple[int, Json] | None:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        if parts.path == "/token":
            status, payload = self._token(raw)
            with self._lock:
                self._log.append(Request(0, method, parts.path, query, "token", "auth", len(raw),
                                         None, None, status))
            return status, payload
        api, spreadsheet_id, range_text = "unknown", "", None
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(parts.path)
            if match and route_method == method:
                api, spreadsheet_id = name, match[1]
                range_text = unquote(match[2]) if pattern.groups > 1 else None
                break
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = _BAD_JSON
        with self._lock:
            self._position += 1
            request = Request(self._position, method, parts.path, query, api,
                              "read" if method == "GET" or api in _POST_READS else "write",
                              len(raw), body)
            self._log.append(request)  # on arrival; its status is set when it is answered
            for hook in [h for h in self._hooks
                         if (h.at is None or h.at == request.position)
                         and (h.when is None or h.when(request))]:
                self._hooks.remove(hook)
                hook.action()
            delay, outcome = 0.0, None
            for fault in list(self._faults):
                if not fault.matches(request) or (fault.action != "delay" and outcome):
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                if fault.action == "delay":
                    delay += fault.seconds
                else:
                    outcome = fault
        if delay:
            time.sleep(delay)
        if outcome and (outcome.action == "status" or not outcome.after_processing):
            if outcome.action == "drop":
                return self._logged(request, 0, None)
            message = _FAULT_MESSAGES.get(outcome.status, "Error").format(
                kind="Read" if request.kind == "read" else "Write")
            return self._logged(request, outcome.status,
                                ApiError(outcome.status, message).body())
        try:
            with self._lock:
                request.account = self._authenticate(authorization)
                if body is _BAD_JSON or not isinstance(body, dict | None):
                    raise ApiError(400, "Invalid JSON payload received.")
                if api == "unknown":
                    raise ApiError(404, f"Method not found: {method} {parts.path}")
                if self.disabled_in_project is not None:
                    raise api_disabled(self.disabled_in_project)
                book = self._books.get(spreadsheet_id)
                if book is None:
                    raise ApiError(404, "Requested entity was not found.")
                if (book.shared_with is not None and request.account is not None
                        and request.account not in book.shared_with):
                    raise ApiError(403, "The caller does not have permission")
                status, payload = 200, self._dispatch(api, book, range_text, query, body or {},
                                                      request.account)
        except ApiError as error:
            status, payload = error.code, error.body()
        except (AttributeError, KeyError, TypeError, ValueError) as error:  # a malformed body
            status, payload = 400, ApiError(400, f"Invalid request: {error!r}").body()
        if outcome and outcome.action == "drop":
            return self._logged(request, 0, None)
        return self._logged(request, status, payload)

    def _logged(self, request: Request, status: int, payload: Json) -> tuple[int, Json] | None:
        with self._lock:
            request.status = status
        return None if status == 0 else (status, payload)

    def _authenticate(self, authorization: str | None) -> str | None:
        if not self.require_auth:
            return None
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "Request is missing required authentication credential. "
                           + _AUTH_HELP)
        account = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        if account is None:
            raise ApiError(401, "Request had invalid authentication credentials. " + _AUTH_HELP)
        return account

    def _token(self, raw: bytes) -> tuple[int, Json]:
        """OAuth 2.0 JWT-bearer grant, as Google's token endpoint (errors as RFC 6749 bodies)."""
        form = parse_qs(raw.decode(errors="replace"))
        grant = form.get("grant_type", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": f"Invalid grant_type: {grant}"}
        try:
            header, claims_text, signature = form.get("assertion", [""])[0].split(".")
            claims = json.loads(_b64decode(claims_text))
            email = str(claims["iss"])
        except (ValueError, KeyError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
        with self._lock:
            key = self._accounts.get(email)
        if key is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account"
                                                                         " not found"}
        try:
            key.verify(_b64decode(signature), f"{header}.{claims_text}".encode(),
                       padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = email
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    # ---- the API ----------------------------------------------------------------------------

    def _dispatch(self, api: str, book: Book, range_text: str | None,
                  query: dict[str, list[str]], body: Json, account: str | None) -> Json:
        def param(name: str, default: str) -> str:
            return query.get(name, [default])[0] or default

        self._blocking.clear()
        value_option = param("valueRenderOption", "FORMATTED_VALUE")
        date_option = param("dateTimeRenderOption", "SERIAL_NUMBER")
        major = param("majorDimension", "ROWS")
        if api == "spreadsheets.get":
            return self._spreadsheet(book, query, account)
        if api == "values.get":
            assert range_text is not None
            return self._value_range(book, range_text, value_option, date_option, major)
        if api == "values.batchGet":
            ranges = query.get("ranges", [])
            return {"spreadsheetId": book.spreadsheet_id, "valueRanges": [
                self._value_range(book, r, value_option, date_option, major, f"range[{i}]")
                for i, r in enumerate(ranges)]}
        if api == "values.update":
            assert range_text is not None
            option = _input_option(query.get("valueInputOption", [""])[0])
            plan = self._plan_write(book, range_text, body, account, "")
            return {"spreadsheetId": book.spreadsheet_id, **self._write(plan, option)}
        if api == "values.batchUpdate":
            option = _input_option(body.get("valueInputOption", ""))
            plans = [self._plan_write(book, data.get("range", ""), data, account, f"data[{i}]")
                     for i, data in enumerate(body.get("data") or [])]
            responses = [{"spreadsheetId": book.spreadsheet_id, **self._write(p, option)}
                         for p in plans]
            return {"spreadsheetId": book.spreadsheet_id,
                    "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                    "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                    "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                    "totalUpdatedSheets": len({p[0].sheet_id for p in plans}),
                    "responses": responses}
        if api == "values.batchGetByDataFilter":
            index = _metadata_index(book)
            return {"spreadsheetId": book.spreadsheet_id, "valueRanges": [
                {"valueRange": self._value_range(
                    book, a1, body.get("valueRenderOption") or "FORMATTED_VALUE",
                    body.get("dateTimeRenderOption") or "SERIAL_NUMBER",
                    body.get("majorDimension") or "ROWS"), "dataFilters": [data_filter]}
                for data_filter in body.get("dataFilters") or []
                for a1 in _filter_ranges(book, data_filter, index)]}
        if api == "values.batchUpdateByDataFilter":
            return self._update_by_filter(book, body, account)
        if api == "values.append":
            assert range_text is not None
            return self._append(book, range_text, query, body, account)
        if api == "values.clear":
            assert range_text is not None
            return {"spreadsheetId": book.spreadsheet_id,
                    "clearedRange": self._clear(book, [range_text], account)[0]}
        if api == "values.batchClear":
            return {"spreadsheetId": book.spreadsheet_id,
                    "clearedRanges": self._clear(book, body.get("ranges") or [], account)}
        return self._batch_update(book, body, account)

    def _update_by_filter(self, book: Book, body: Json, account: str | None) -> Json:
        """Each value range is written at the top left of every range its filter matches now
        ("applied to all of those ranges", as Google documents); checked fully first."""
        option = _input_option(body.get("valueInputOption", ""))
        plans = []
        index = _metadata_index(book)
        for i, data in enumerate(body.get("data") or []):
            for a1 in _filter_ranges(book, data.get("dataFilter") or {}, index):
                plans.append((data, self._plan_write(book, a1, data, account, f"data[{i}]")))
        responses = []
        for data, plan in plans:
            response = {**self._write(plan, option), "dataFilter": data.get("dataFilter")}
            if body.get("includeValuesInResponse"):
                sheet, r0, c0, values = plan
                width = max((len(v) for v in values), default=1)
                rect = Rect(r0, r0 + max(len(values), 1), c0, c0 + width)
                response["updatedData"] = self._value_range(
                    book, f"{quote_title(sheet.title)}!{rect.a1()}",
                    body.get("responseValueRenderOption") or "FORMATTED_VALUE",
                    body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER", "ROWS")
            responses.append(response)
        return {"spreadsheetId": book.spreadsheet_id,
                "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                "totalUpdatedSheets": len({p[1][0].sheet_id for p in plans}),
                "responses": responses}

    def _spreadsheet(self, book: Book, query: dict[str, list[str]], account: str | None) -> Json:
        """``spreadsheets.get``: with ``ranges`` only the sheets they name (as Google answers:
        gspread's recorded ``ranges='worksheet 2'`` reply lists that sheet alone); grid data when
        the ``fields`` mask selects it, else when ``includeGridData`` is true (Google ignores that
        parameter when a mask is set); the mask is applied to the whole answer (:func:`_mask`)."""
        fields = query.get("fields", [""])[0]
        mask = _parse_mask(fields) if fields else None
        data_mask: Json = _subtree(_subtree(mask, "sheets"), "data") if fields else None
        include = (data_mask is not _ABSENT if fields
                   else query.get("includeGridData", ["false"])[0].lower() == "true")
        wanted: dict[int, list[Rect]] | None = None
        if query.get("ranges"):
            wanted = {}
            for text in query["ranges"]:
                sheet, rect, _ = book.resolve(text)
                wanted.setdefault(sheet.sheet_id, []).append(rect)
        sheets = []
        for sheet in sorted(book.sheets, key=lambda s: s.index):
            if wanted is not None and sheet.sheet_id not in wanted:
                continue
            entry: dict[str, Json] = {"properties": sheet.properties()}
            if sheet.protected:
                entry["protectedRanges"] = [self._protection_out(p, account)
                                            for p in sheet.protected]
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if include:
                rects = wanted[sheet.sheet_id] if wanted is not None else [sheet.full()]
                parts = None if data_mask is None or data_mask is _ABSENT else set(data_mask)
                entry["data"] = [sheet.grid_data(rect, parts) for rect in rects]
            sheets.append(entry)
        answer = {
            "spreadsheetId": book.spreadsheet_id,
            "properties": {"title": book.title, "locale": "id_ID", "autoRecalc": "ON_CHANGE",
                           "timeZone": "Asia/Jakarta"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit",
        }
        return _mask(answer, mask) if fields else answer

    @staticmethod
    def _protection_out(protected: Mapping[str, Json], account: str | None) -> Json:
        out = copy.deepcopy(dict(protected))
        out["range"] = _grid_range_out(protected["range"])
        if protected.get("unprotectedRanges"):
            out["unprotectedRanges"] = [_grid_range_out(r) for r in protected["unprotectedRanges"]]
        users = protected.get("editors", {}).get("users", [])
        out["requestingUserCanEdit"] = bool(
            protected.get("warningOnly") or account in (None, OWNER) or account in users)
        if not out["requestingUserCanEdit"]:
            out.pop("editors", None)  # Google shows the editors only to those who may edit
        return out

    def _value_range(self, book: Book, text: str, value_option: str, date_option: str,
                     major: str, where: str = "") -> Json:
        try:
            sheet, rect, _ = book.resolve(text)
        except ApiError as error:
            raise ApiError(400, f"Invalid {where}: {error.message}" if where
                           else error.message) from None
        out: dict[str, Json] = {"range": f"{quote_title(sheet.title)}!{rect.a1()}",
                                "majorDimension": major}
        values = sheet.read(rect, value_option, date_option, major)
        if values:
            out["values"] = values
        return out

    def _plan_write(self, book: Book, text: str, data: Json, account: str | None,
                    where: str) -> tuple[Sheet, int, int, list[list[Json]]]:
        """Check one write fully before anything is written (a batch is all or nothing)."""
        try:
            sheet, rect, single = book.resolve(text)
            values = data.get("values") or []
            if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
                raise ApiError(400, "Invalid values: expected a list of lists")
            if data.get("majorDimension") == "COLUMNS":
                width = max((len(v) for v in values), default=0)
                values = [[v[i] if i < len(v) else None for v in values] for i in range(width)]
            for row in values:
                for value in row:
                    if isinstance(value, dict | list):
                        raise ApiError(400, "Invalid value: a cell takes a string, number or bool")
                    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                        raise ApiError(400, "Your input contains more than the maximum of 50000"
                                            " characters in a single cell.")
            height = len(values)
            width = max((len(v) for v in values), default=0)
            echo = f"{quote_title(sheet.title)}!{rect.a1()}"
            if not single and height > rect.r1 - rect.r0:
                raise ApiError(400, f"Requested writing within range [{echo}], but tried writing"
                                    f" to row [{rect.r0 + height}]")
            if not single and width > rect.c1 - rect.c0:
                raise ApiError(400, f"Requested writing within range [{echo}], but tried writing"
                                    f" to column [{column_letters(rect.c0 + width - 1)}]")
            if height and width:
                written = Rect(rect.r0, rect.r0 + height, rect.c0, rect.c0 + width)
                sheet.check(written)
                _require_editable(sheet, written, account, self._groups, self._blocking)
        except ApiError as error:
            raise ApiError(error.code, f"Invalid {where}: {error.message}" if where
                           else error.message) from None
        return sheet, rect.r0, rect.c0, values

    def _write(self, plan: tuple[Sheet, int, int, list[list[Json]]], option: str) -> Json:
        sheet, r0, c0, values = plan
        rows, cols, cells = set(), set(), 0
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                if value is None:  # "Null values will be skipped"
                    continue
                if self.on_cell_write is not None:
                    self.on_cell_write(sheet, r0 + r, c0 + c, value)
                sheet.cell(r0 + r, c0 + c).enter(value, option)
                rows.add(r)
                cols.add(c)
                cells += 1
        width = max((len(v) for v in values), default=0)
        out: dict[str, Json] = {"updatedRange": f"{quote_title(sheet.title)}!"
                                + Rect(r0, r0 + max(len(values), 1), c0, c0 + max(width, 1)).a1()}
        if cells:
            out.update(updatedRows=len(rows), updatedColumns=len(cols), updatedCells=cells)
        return out

    def _append(self, book: Book, text: str, query: dict[str, list[str]], body: Json,
                account: str | None) -> Json:
        option = _input_option(query.get("valueInputOption", [""])[0])
        sheet, rect, single = book.resolve(text)
        values = body.get("values") or []
        if single:  # the table is the block of contiguous non-empty rows starting at the cell
            start = rect.r0
            while start < sheet.row_count and any(
                    c >= rect.c0 and cell.has_value() for c, cell in sheet.rows[start].items()):
                start += 1
            table_start = rect.r0
        else:
            last = sheet.last_value_row(rect)
            start = last + 1 if last >= 0 else rect.r0
            table_start = rect.r0
        if query.get("insertDataOption", ["OVERWRITE"])[0] == "INSERT_ROWS" and values:
            sheet.insert("ROWS", start, start + len(values), inherit_from_before=start > 0)
        elif start + len(values) > sheet.row_count:
            sheet.insert("ROWS", sheet.row_count, start + len(values), inherit_from_before=True)
        width = max((len(v) for v in values), default=0)
        if rect.c0 + width > sheet.col_count:
            sheet.insert("COLUMNS", sheet.col_count, rect.c0 + width, inherit_from_before=True)
        plan = self._plan_write(book, f"{quote_title(sheet.title)}!{column_letters(rect.c0)}"
                                      f"{start + 1}", body, account, "")
        out: dict[str, Json] = {"spreadsheetId": book.spreadsheet_id,
                                "updates": {"spreadsheetId": book.spreadsheet_id,
                                            **self._write(plan, option)}}
        if start > table_start:
            out["tableRange"] = (f"{quote_title(sheet.title)}!"
                                 + Rect(table_start, start, rect.c0, rect.c1).a1())
        return out

    def _clear(self, book: Book, ranges: Sequence[str], account: str | None) -> list[str]:
        resolved = []
        for i, text in enumerate(ranges):
            try:
                sheet, rect, _ = book.resolve(text)
                _require_editable(sheet, rect, account, self._groups)
            except ApiError as error:
                raise ApiError(error.code, f"Invalid ranges[{i}]: {error.message}") from None
            resolved.append((sheet, rect))
        for sheet, rect in resolved:
            for row in sheet.rows[rect.r0:rect.r1]:
                for c, cell in row.items():
                    if rect.c0 <= c < rect.c1:
                        cell.value, cell.formula = None, None
        return [f"{quote_title(s.title)}!{r.a1()}" for s, r in resolved]

    # ---- spreadsheets.batchUpdate -----------------------------------------------------------

    def _batch_update(self, book: Book, body: Json, account: str | None) -> Json:
        """All requests apply, or none: they run on a copy that replaces the file on success."""
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "Must specify at least one request.")
        work = copy.deepcopy(book)
        replies = []
        for i, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request expected")
            ((kind, payload),) = request.items()
            handler = getattr(self, f"_req_{kind}", None)
            if handler is None:
                raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{kind}\" at"
                                    f" 'requests[{i}]': Cannot find field.")
            try:
                replies.append(handler(work, payload or {}, account))
                if sum(s.row_count * s.col_count for s in work.sheets) > MAX_CELLS:
                    raise ApiError(400, "This action would increase the number of cells in the"
                                        f" workbook above the limit of {MAX_CELLS} cells.")
            except ApiError as error:
                raise ApiError(error.code, f"Invalid requests[{i}].{kind}: {error.message}",
                               error.status) from None
            except (KeyError, TypeError, ValueError) as error:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: {error!r}") from None
        self._books[book.spreadsheet_id] = work
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _req_addSheet(self, book: Book, payload: Json, account: str | None) -> Json:
        props = payload.get("properties") or {}
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet(title) is not None:
            raise ApiError(400, f'A sheet with the name "{title}" already exists. Please enter'
                                " another name.")
        ids = {s.sheet_id for s in book.sheets}
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = max(ids, default=0) + 1_000_003
        elif int(sheet_id) < 0 or int(sheet_id) in ids:
            raise ApiError(400, f"Sheet with id {sheet_id} already exists or is invalid.")
        grid = props.get("gridProperties") or {}
        sheet = Sheet(int(sheet_id), title, len(book.sheets),
                      int(grid.get("rowCount") or 1000), int(grid.get("columnCount") or 26),
                      int(grid.get("frozenRowCount") or 0),
                      frozen_cols=int(grid.get("frozenColumnCount") or 0))
        book.sheets.append(sheet)
        book.place(sheet, props.get("index"))
        return {"addSheet": {"properties": sheet.properties()}}

    def _req_deleteSheet(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet = book.sheet_by_id(payload.get("sheetId"))
        if len(book.sheets) == 1:
            raise ApiError(400, "You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)
        book.place()
        return {}

    def _req_updateSheetProperties(self, book: Book, payload: Json, account: str | None) -> Json:
        props = payload.get("properties") or {}
        sheet = book.sheet_by_id(props.get("sheetId"))
        fields = _fields(payload)
        grid = props.get("gridProperties") or {}

        def wanted(name: str) -> bool:
            return "*" in fields or name in fields or name.split(".")[0] in fields

        if wanted("title") and props.get("title"):
            other = book.sheet(props["title"])
            if other is not None and other is not sheet:
                raise ApiError(400, f'A sheet with the name "{props["title"]}" already exists.'
                                    " Please enter another name.")
            sheet.title = props["title"]
        if wanted("index") and props.get("index") is not None:
            book.place(sheet, props["index"])
        if wanted("gridProperties.frozenRowCount"):
            sheet.frozen_rows = int(grid.get("frozenRowCount") or 0)
        if wanted("gridProperties.frozenColumnCount"):
            sheet.frozen_cols = int(grid.get("frozenColumnCount") or 0)
        if wanted("gridProperties.rowCount") and grid.get("rowCount"):
            count = int(grid["rowCount"])
            if count > sheet.row_count:
                sheet.insert("ROWS", sheet.row_count, count, inherit_from_before=True)
            elif count < sheet.row_count:
                sheet.delete("ROWS", count, sheet.row_count)
        if wanted("gridProperties.columnCount") and grid.get("columnCount"):
            count = int(grid["columnCount"])
            if count > sheet.col_count:
                sheet.insert("COLUMNS", sheet.col_count, count, inherit_from_before=True)
            elif count < sheet.col_count:
                sheet.delete("COLUMNS", count, sheet.col_count)
        return {}

    def _protected_range(self, book: Book, protected: Json, account: str | None,
                         base: dict[str, Json], fields: set[str]) -> dict[str, Json]:
        out = base
        for name in ("range", "description", "warningOnly", "editors", "unprotectedRanges",
                     "requestingUserCanEdit"):
            if ("*" in fields or name in fields) and name in protected:
                out[name] = copy.deepcopy(protected[name])
        for key in [k for k, v in out.items() if v is None]:
            del out[key]
        sheet = book.sheet_by_id(out.get("range", {}).get("sheetId"))
        sheet.check(sheet.rect_of(out["range"]))
        out["range"]["sheetId"] = sheet.sheet_id
        for unprotected in out.get("unprotectedRanges", []):
            unprotected["sheetId"] = sheet.sheet_id
        if out.get("warningOnly"):
            if out.get("editors"):
                raise ApiError(400, "Editors cannot be set on a warning-only protected range.")
            out.pop("warningOnly")
            out["warningOnly"] = True
            out.pop("editors", None)
        else:
            out.pop("warningOnly", None)
            editors = out.setdefault("editors", {})
            users = list(dict.fromkeys(editors.get("users") or []))
            if account is not None and account not in users:
                users.append(account)  # Google adds the requesting account by itself
            editors["users"] = users
            if not editors.get("groups"):
                editors.pop("groups", None)
        out.pop("requestingUserCanEdit", None)
        return out

    def _find_protected(self, book: Book, protected_id: Json) -> tuple[Sheet, dict[str, Json]]:
        for sheet in book.sheets:
            for protected in sheet.protected:
                if protected["protectedRangeId"] == int(protected_id or 0):
                    return sheet, protected
        raise ApiError(400, f"No protected range with id: {protected_id}")

    def _req_addProtectedRange(self, book: Book, payload: Json, account: str | None) -> Json:
        given = payload.get("protectedRange") or {}
        if "range" not in given:
            raise ApiError(400, "A protected range requires a range.")
        protected = self._protected_range(book, given, account, {}, {"*"})
        protected = {"protectedRangeId": book.next_protection_id, **protected}
        book.next_protection_id += 7
        book.sheet_by_id(protected["range"]["sheetId"]).protected.append(protected)
        return {"addProtectedRange": {"protectedRange": self._protection_out(protected, account)}}

    def _req_updateProtectedRange(self, book: Book, payload: Json, account: str | None) -> Json:
        given = payload.get("protectedRange") or {}
        sheet, current = self._find_protected(book, given.get("protectedRangeId"))
        updated = self._protected_range(book, given, account, copy.deepcopy(current),
                                        _fields(payload))
        sheet.protected.remove(current)
        book.sheet_by_id(updated["range"]["sheetId"]).protected.append(updated)
        return {}

    def _req_deleteProtectedRange(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet, current = self._find_protected(book, payload.get("protectedRangeId"))
        sheet.protected.remove(current)
        return {}

    def _req_setDataValidation(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet, rect = _grid(book, payload.get("range") or {})
        rule = payload.get("rule")
        rule = {k: v for k, v in rule.items() if v is not None} if rule else None
        for row in range(rect.r0, rect.r1):
            for col in range(rect.c0, rect.c1):
                sheet.cell(row, col).validation = copy.deepcopy(rule)
        return {}

    # -- conditional format rules (stored per sheet, in order; the index is the rule's priority)

    def _req_addConditionalFormatRule(self, book: Book, payload: Json, account: str | None) -> Json:
        rule = _checked_rule(book, payload.get("rule"))
        sheet = book.sheet_by_id(rule["ranges"][0].get("sheetId"))
        index = int(payload.get("index") or 0)
        if not 0 <= index <= len(sheet.conditional_formats):
            raise ApiError(400, f"Invalid index {index}: the sheet has"
                                f" {len(sheet.conditional_formats)} rules")
        sheet.conditional_formats.insert(index, rule)
        return {}

    def _req_updateConditionalFormatRule(self, book: Book, payload: Json,
                                         account: str | None) -> Json:
        sheet, index = _rule_at(book, payload)
        old = sheet.conditional_formats[index]
        if payload.get("rule") is not None:
            new, new_index = _checked_rule(book, payload["rule"]), index
            sheet.conditional_formats[index] = new
        else:
            new_index = int(payload.get("newIndex") or 0)
            new = sheet.conditional_formats.pop(index)
            sheet.conditional_formats.insert(new_index, new)
        return {"updateConditionalFormatRule": {"newRule": copy.deepcopy(new), "newIndex": new_index,
                                                "oldRule": copy.deepcopy(old), "oldIndex": index}}

    def _req_deleteConditionalFormatRule(self, book: Book, payload: Json,
                                         account: str | None) -> Json:
        sheet, index = _rule_at(book, payload)
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}

    def _req_updateDimensionProperties(self, book: Book, payload: Json,
                                       account: str | None) -> Json:
        dimension_range = payload.get("range") or {}
        sheet = book.sheet_by_id(dimension_range.get("sheetId"))
        fields = _fields(payload)
        size = (payload.get("properties") or {}).get("pixelSize")
        if dimension_range.get("dimension") == "COLUMNS" and ("pixelSize" in fields
                                                              or "*" in fields) and size:
            start = int(dimension_range.get("startIndex") or 0)
            end = int(dimension_range.get("endIndex", sheet.col_count))
            sheet.check(Rect(0, 1, start, end))
            sheet.col_widths[start:end] = [int(size)] * (end - start)
        _row_heights(sheet, dimension_range, fields, size)
        return {}

    def _req_appendDimension(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet = book.sheet_by_id(payload.get("sheetId"))
        length = int(payload.get("length") or 0)
        if length <= 0:
            raise ApiError(400, "length must be positive")
        dimension = str(payload.get("dimension"))
        end = sheet.row_count if dimension == "ROWS" else sheet.col_count
        sheet.insert(dimension, end, end + length, inherit_from_before=False)
        return {}

    def _req_insertDimension(self, book: Book, payload: Json, account: str | None) -> Json:
        dimension_range = payload.get("range") or {}
        sheet = book.sheet_by_id(dimension_range.get("sheetId"))
        dimension = str(dimension_range.get("dimension"))
        start, end = int(dimension_range.get("startIndex") or 0), int(dimension_range["endIndex"])
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        if not 0 <= start < end or start > size:
            raise ApiError(400, f"Invalid dimension range {start}:{end}")
        inherit = bool(payload.get("inheritFromBefore"))
        if inherit and start == 0:
            raise ApiError(400, "Cannot inherit from before when inserting at the start.")
        sheet.insert(dimension, start, end, inherit)
        return {}

    def _req_deleteDimension(self, book: Book, payload: Json, account: str | None) -> Json:
        dimension_range = payload.get("range") or {}
        sheet = book.sheet_by_id(dimension_range.get("sheetId"))
        dimension = str(dimension_range.get("dimension"))
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        start = int(dimension_range.get("startIndex") or 0)
        end = int(dimension_range.get("endIndex", size))
        if not 0 <= start < end <= size:
            raise ApiError(400, f"Invalid dimension range {start}:{end}")
        if end - start == size:
            raise ApiError(400, f"You can't delete all the {dimension.lower()} on the sheet.")
        sheet.delete(dimension, start, end)
        return {}

    def _req_updateCells(self, book: Book, payload: Json, account: str | None) -> Json:
        if "start" in payload:
            start = payload["start"]
            sheet = book.sheet_by_id(start.get("sheetId"))
            r0, c0 = int(start.get("rowIndex") or 0), int(start.get("columnIndex") or 0)
        else:
            sheet, rect = _grid(book, payload.get("range") or {})
            r0, c0 = rect.r0, rect.c0
        fields = _fields(payload)
        for r, row in enumerate(payload.get("rows") or []):
            for c, data in enumerate(row.get("values") or []):
                sheet.check(Rect(r0 + r, r0 + r + 1, c0 + c, c0 + c + 1))
                _update_cell(sheet.cell(r0 + r, c0 + c), data or {}, fields)
        return {}

    def _req_repeatCell(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet, rect = _grid(book, payload.get("range") or {})
        fields = _fields(payload)
        for row in range(rect.r0, rect.r1):
            for col in range(rect.c0, rect.c1):
                _update_cell(sheet.cell(row, col), payload.get("cell") or {}, fields)
        return {}

    def _req_createDeveloperMetadata(self, book: Book, payload: Json,
                                     account: str | None) -> Json:
        given = payload.get("developerMetadata") or {}
        span = (given.get("location") or {}).get("dimensionRange") or {}
        sheet = book.sheet_by_id(span.get("sheetId"))
        start, end = int(span.get("startIndex") or 0), int(span.get("endIndex") or 0)
        if span.get("dimension") != "ROWS" or end != start + 1 or not 0 <= start < sheet.row_count:
            raise ApiError(400, "This emulator keeps developer metadata on single rows only.")
        if not given.get("metadataKey") or given.get("visibility") not in ("DOCUMENT", "PROJECT"):
            raise ApiError(400, "Developer metadata needs a metadataKey and a visibility.")
        entry = {"metadataId": book.next_metadata_id, "metadataKey": given["metadataKey"],
                 "visibility": given["visibility"]}
        if given.get("metadataValue") is not None:
            entry["metadataValue"] = str(given["metadataValue"])
        book.next_metadata_id += 1
        sheet.row_meta[start].append(entry)
        return {"createDeveloperMetadata": {"developerMetadata": _metadata_out(sheet, start,
                                                                                entry)}}

    def _req_deleteDeveloperMetadata(self, book: Book, payload: Json,
                                     account: str | None) -> Json:
        deleted = []
        for sheet, row, entry in _metadata_matching(book, payload.get("dataFilter") or {}):
            sheet.row_meta[row].remove(entry)
            deleted.append(_metadata_out(sheet, row, entry))
        return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}

    def _req_sortRange(self, book: Book, payload: Json, account: str | None) -> Json:
        sheet, rect = _grid(book, payload.get("range") or {})
        sheet.sort(rect, payload.get("sortSpecs") or [])
        return {}


def _metadata_out(sheet: Sheet, row: int, entry: Json) -> Json:
    return {**entry, "location": {"locationType": "ROW", "dimensionRange": _grid_range_out(
        {"sheetId": sheet.sheet_id, "dimension": "ROWS", "startIndex": row,
         "endIndex": row + 1})}}


def _metadata_matching(book: Book, data_filter: Json,
                       index: Mapping[str | None, list[tuple[Sheet, int, Json]]] | None = None,
                       ) -> list[tuple[Sheet, int, Json]]:
    """Row metadata a ``developerMetadataLookup`` matches (key, value, id, exact location);
    ``index`` (:func:`_metadata_index`) spares a scan per filter of a big request."""
    lookup = data_filter.get("developerMetadataLookup")
    if not isinstance(lookup, dict):
        raise ApiError(400, "Only developerMetadataLookup filters are emulated for metadata.")
    where = (lookup.get("metadataLocation") or {}).get("dimensionRange")
    candidates = (index.get(lookup.get("metadataValue"), [])
                  if index is not None and lookup.get("metadataValue") is not None
                  else list(_metadata_index(book).get(None, [])))
    found = []
    for sheet, row, entry in candidates:
        if all(lookup.get(name) in (None, entry.get(name))
               for name in ("metadataKey", "metadataValue", "metadataId")) and (
                where is None or (int(where.get("sheetId") or 0) == sheet.sheet_id
                                  and int(where.get("startIndex") or 0) == row)):
            found.append((sheet, row, entry))
    return found


def _metadata_index(book: Book) -> dict[str | None, list[tuple[Sheet, int, Json]]]:
    """Every row's metadata by value (``None``: all of it)."""
    index: dict[str | None, list[tuple[Sheet, int, Json]]] = {None: []}
    for sheet in book.sheets:
        for row, entries in enumerate(sheet.row_meta):
            for entry in entries:
                index[None].append((sheet, row, entry))
                index.setdefault(entry.get("metadataValue"), []).append((sheet, row, entry))
    return index


def _filter_ranges(book: Book, data_filter: Json,
                   index: Mapping[str | None, list[tuple[Sheet, int, Json]]] | None = None,
                   ) -> list[str]:
    """The A1 ranges a DataFilter stands for now: its a1Range, or each matched row, whole."""
    if "a1Range" in data_filter:
        return [str(data_filter["a1Range"])]
    return [f"{quote_title(sheet.title)}!{Rect(row, row + 1, 0, sheet.col_count).a1()}"
            for sheet, row, _ in _metadata_matching(book, data_filter, index)]


#: a mask that does not name a field (see :func:`_subtree`).
_ABSENT: Json = object()
_MASK_TOKEN = re.compile(r"\s*([A-Za-z0-9_*]+|[(),./])")
#: lists whose trailing empty entries Google leaves out once a mask has emptied them (gspread's
#: recordings: a tab without notes comes back as ``"data": [{}]``, a row without one as ``{}``).
_TRIMMED = frozenset({"rowData", "values"})


def _parse_mask(text: str) -> Json:
    """A partial-response field mask (``a(b,c.d),e/f``, Google's syntax, used by every method)
    as a tree: field name -> the mask below it, ``None`` where everything below is selected."""
    tokens = [m[1] for m in _MASK_TOKEN.finditer(text)]
    position = 0

    def merge(tree: dict[str, Json], name: str, below: Json) -> None:
        if name in tree and (tree[name] is None or below is None):
            tree[name] = None
        elif name in tree:
            for key, value in below.items():
                merge(tree[name], key, value)
        else:
            tree[name] = below

    def items() -> dict[str, Json]:
        nonlocal position
        tree: dict[str, Json] = {}
        while position < len(tokens) and tokens[position] != ")":
            path = [tokens[position]]
            position += 1
            while position < len(tokens) and tokens[position] in (".", "/"):
                path.append(tokens[position + 1])
                position += 2
            below: Json = None
            if position < len(tokens) and tokens[position] == "(":
                position += 1
                below = items()
                if position >= len(tokens) or tokens[position] != ")":
                    raise ApiError(400, f"Invalid field selection {text}")
                position += 1
            for name in reversed(path[1:]):
                below = {name: below}
            merge(tree, path[0], below)
            if position < len(tokens) and tokens[position] == ",":
                position += 1
        return tree

    tree = items()
    if position != len(tokens) or not tree:
        raise ApiError(400, f"Invalid field selection {text}")
    return tree


def _subtree(mask: Json, name: str) -> Json:
    """The mask below ``name``: ``None`` (all of it), a tree, or ``_ABSENT`` (not selected)."""
    if mask is None or mask is _ABSENT:
        return mask
    if "*" in mask:
        return None
    return mask.get(name, _ABSENT)


def _mask(value: Json, mask: Json, name: str = "") -> Json:
    """``value`` cut to ``mask``: keys it does not name go, and so do keys left empty."""
    if mask is None:
        return value
    if isinstance(value, list):
        items = [_mask(v, mask, name) for v in value]
        while name in _TRIMMED and items and items[-1] in ({}, []):
            items.pop()
        return items
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        below = _subtree(mask, key)
        if below is _ABSENT:
            continue
        kept = _mask(item, below, key)
        if kept not in ({}, []) or not isinstance(kept, dict | list):
            out[key] = kept
    return out


def _input_option(option: str) -> str:
    if option not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, "'valueInputOption' is required but not specified" if not option
                       else f"Invalid value at 'value_input_option' ({option})")
    return option


def _fields(payload: Mapping[str, Json]) -> set[str]:
    """A field mask ("a,b.c" or gspread's "gridProperties/frozenRowCount") as a set of paths."""
    text = payload.get("fields")
    if not text:
        raise ApiError(400, "At least one field must be updated: 'fields' is empty.")
    return {f.strip().replace("/", ".") for f in str(text).split(",")}


def _grid(book: Book, grid_range: Mapping[str, Json]) -> tuple[Sheet, Rect]:
    sheet = book.sheet_by_id(grid_range.get("sheetId"))
    rect = sheet.rect_of(grid_range)
    sheet.check(rect)
    return sheet, rect


def _update_cell(cell: CellData, data: Mapping[str, Json], fields: set[str]) -> None:
    def wanted(name: str) -> bool:
        return "*" in fields or any(f == name or f.startswith(name + ".") for f in fields)

    if wanted("userEnteredValue"):
        entered = data.get("userEnteredValue") or {}
        if "formulaValue" in entered:
            cell.value = cell.formula = entered["formulaValue"]
        else:
            cell.formula = None
            cell.value = next(iter(entered.values()), None)
    if _masked(fields, "userEnteredFormat.numberFormat"):
        number_format = (data.get("userEnteredFormat") or {}).get("numberFormat")
        cell.number_format = dict(number_format) if number_format else None
    _update_look(cell, data.get("userEnteredFormat") or {}, fields)
    if wanted("dataValidation"):
        cell.validation = copy.deepcopy(data.get("dataValidation"))
    if wanted("note"):
        cell.note = data.get("note") or None


# ---- cell formats, row heights and conditional format rules ------------------------------------


def _masked(fields: set[str], path: str) -> bool:
    """Whether a field mask touches ``path`` (the path itself, a parent or a part of it)."""
    return "*" in fields or any(f == path or path.startswith(f + ".") or f.startswith(path + ".")
                                for f in fields)


def _format_out(cell: CellData) -> Json:
    out: dict[str, Json] = copy.deepcopy(cell.look) if cell.look else {}
    if cell.number_format:
        out["numberFormat"] = dict(cell.number_format)
    return out


def _update_look(cell: CellData, given: Mapping[str, Json], fields: set[str]) -> None:
    """Set the parts of userEnteredFormat the mask names (``userEnteredFormat.textFormat.bold``
    sets that part only); a part named but not given is cleared, as on Google."""
    look: dict[str, Json] = copy.deepcopy(cell.look) if cell.look else {}
    for mask in fields:
        if mask in ("*", "userEnteredFormat"):
            look = {k: copy.deepcopy(v) for k, v in given.items() if k != "numberFormat"}
            continue
        path = mask.split(".")
        if path[0] != "userEnteredFormat" or len(path) < 2 or path[1] == "numberFormat":
            continue
        source: Json = given
        target = look
        for name in path[1:-1]:
            source = (source or {}).get(name) if isinstance(source, Mapping) else None
            target = target.setdefault(name, {})
        value = source.get(path[-1]) if isinstance(source, Mapping) else None
        if value is None:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = copy.deepcopy(value)
    cell.look = look or None


def _row_heights(sheet: Sheet, dimension_range: Mapping[str, Json], fields: set[str],
                 size: Json) -> None:
    if dimension_range.get("dimension") != "ROWS" or not _masked(fields, "pixelSize") or not size:
        return
    start = int(dimension_range.get("startIndex") or 0)
    end = int(dimension_range.get("endIndex", sheet.row_count))
    sheet.check(Rect(start, end, 0, 1))
    for row in range(start, end):
        sheet.row_heights[row] = int(size)


def _checked_rule(book: Book, rule: Json) -> Json:
    """A ConditionalFormatRule as Google accepts it: ranges on one sheet, inside its grid, and a
    boolean or a gradient rule; a custom formula must start with '='."""
    if not isinstance(rule, dict) or not rule.get("ranges"):
        raise ApiError(400, "A conditional format rule requires at least one range.")
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise ApiError(400, "A conditional format rule needs exactly one of booleanRule and"
                            " gradientRule.")
    sheets = {book.sheet_by_id(r.get("sheetId")).sheet_id for r in rule["ranges"]}
    if len(sheets) != 1:
        raise ApiError(400, "All ranges of a conditional format rule must be on the same sheet.")
    for grid_range in rule["ranges"]:
        _grid(book, grid_range)
    condition = (rule.get("booleanRule") or {}).get("condition") or {}
    if condition.get("type") == "CUSTOM_FORMULA":
        values = condition.get("values") or []
        if len(values) != 1 or not str(values[0].get("userEnteredValue", "")).startswith("="):
            raise ApiError(400, "Invalid ConditionalValue: a custom formula must be one value"
                                " starting with '='.")
    return copy.deepcopy(rule)


def _rule_at(book: Book, payload: Json) -> tuple[Sheet, int]:
    sheet = book.sheet_by_id(payload.get("sheetId"))
    index = int(payload.get("index") or 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise ApiError(400, f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    return sheet, index
