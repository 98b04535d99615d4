"""What a sync costs on Google Sheets (our emulator), against two naive gspread approaches.

For each register size N (default 1,000, 10,000 and 100,000 DIP rows) and each approach: a first sync
of N rows never synced before (IDs to assign, notes to write, the oldest tenth established by the
PPID: fingerprints, history rows, a row lock), then a sync of the unchanged register.

* ``dip-sheets``: :func:`dip_sheets.sync.run` on the Sheets backend.
* ``per-cell``: read every tab with gspread, decide with the same :func:`~dip_sheets.sync.review`,
  then one ``Worksheet.update_cell`` per changed cell. Above 1,000 rows only the first 1,000 cells
  are written and the writes are scaled up (marked extrapolated).
* ``whole-sheet``: the same reads and decisions, then each changed tab (and always the DIP tab)
  written back whole, as ``worksheet.clear()`` + gspread-dataframe's ``set_with_dataframe`` do.
* ``workbook``: :func:`~dip_sheets.sync.run` on the local ``.xlsx`` backend (no requests).

Each scenario runs in a fresh interpreter and the emulator (tests/sheets_emulator.py) in another, so
the client's CPU seconds and peak RSS are its own; the emulator's CPU is reported apart. Requests
and request-body bytes come from the emulator's log (token requests excluded).

Run ``scripts/bench [--sizes 1000,10000]`` (or ``python -m benchmarks.bench_sync`` from the
repository root); results go to ``benchmarks/results/``. Never part of the unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import json
import math
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection
from numbers import Real
from pathlib import Path
from typing import Any, TypeVar

import gspread
import pandas as pd
from google.oauth2 import service_account
from gspread.utils import ValueInputOption, ValueRenderOption, rowcol_to_a1
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from dip_sheets import schema as s
from dip_sheets.register import Cell, Grid, Layout, Snapshot, cell_text
from dip_sheets.register.sheets import SheetsRegister, SheetsSettings, load_credentials
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import review
from dip_sheets.sync import run as sync
from tests.conftest import NOW, UNITS, established, good_row
from tests.sheets_emulator import SheetsEmulator, redirect_gspread

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SIZES = (1_000, 10_000, 100_000)
#: the per-cell loop writes every changed cell up to this many rows; above, this many cells, scaled.
PER_CELL_LIMIT = 1_000
#: unchanged syncs are repeated (median kept) up to this size; once above it.
REPEAT_UP_TO = 10_000
#: dip-sheets' target: an unchanged register of this size syncs with no write in under 1 s of CPU.
TARGET_ROWS, TARGET_CPU_S = 10_000, 1.0
#: Google's per-user quota (TECH-NOTES): 60 read and 60 write requests per minute.
QUOTA_PER_MINUTE = 60
#: Google's advice for the size of one request body.
PAYLOAD_ADVICE = 2_000_000
ROLES = {s.Role.PPID: ("ppid@kpu-contoh.go.id",), s.Role.DESK: ("desk@kpu-contoh.go.id",)}
APPROACHES = ("dip-sheets", "per-cell", "whole-sheet", "workbook")
LATER = NOW + dt.timedelta(hours=1)
T = TypeVar("T")


@dataclass
class Result:
    """One sync of one approach at one size. ``None``: not applicable (no requests to a workbook)."""

    approach: str
    rows: int
    sync: str  # "first" or "unchanged"
    wall_s: float
    cpu_s: float
    peak_rss_mb: float | None = None
    #: RSS when the sync started (the interpreter and libraries already loaded).
    start_rss_mb: float | None = None
    reads: int | None = None
    writes: int | None = None
    #: request bodies sent to the API (as the emulator received them).
    bytes_sent: int | None = None
    largest_body: int | None = None
    #: request lines and headers of those requests, as ``requests`` prepared them.
    header_bytes: int | None = None
    emulator_cpu_s: float | None = None
    #: cells written by dip-sheets, or found changed and written by a naive approach.
    cells: int | None = None
    apis: dict[str, int] = field(default_factory=dict)
    #: naive approaches: rows the decisions flag as edited after establishment, though nobody did.
    false_edits: int | None = None
    extrapolated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int | None:
        return None if self.reads is None or self.writes is None else self.reads + self.writes


def register_rows(count: int) -> list[dict[str, Cell]]:
    """``count`` DIP rows as the units typed them, never synced (no IDs yet).

    The oldest tenth is established by the PPID (one block, so one row lock); of the rest, every
    seventh row lacks its Penanggung Jawab (the sync writes a note) and every third is handed over.
    """
    rows = []
    for n in range(count):
        title = f"Informasi nomor {n + 1}"
        content: dict[str, Cell] = {
            s.CATEGORY: s.CATEGORIES[n % 3], s.UNIT: UNITS[n % len(UNITS)],
            s.SUMMARY: f"Ringkasan informasi nomor {n + 1} untuk pengukuran sinkronisasi.",
            s.LINK: f"https://ppid.example.go.id/dokumen/{n + 1}.pdf"}
        if n < count // 10:
            rows.append(established(title, **content))
        elif n % 7 == 0:
            rows.append(good_row(title, **content, **{s.RESPONSIBLE: ""}))
        else:
            rows.append(good_row(title, **content, **({s.STEP1: s.HANDED_OVER} if n % 3 == 0 else {})))
    return rows


# ---- processes and measuring --------------------------------------------------------------------


def isolated(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a fresh interpreter, so its CPU time and peak memory are its own."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, args))
    process.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"{function.__name__}{args} died (exit code {process.exitcode})") from None
    process.join()
    if not ok:
        raise RuntimeError(f"{function.__name__}{args} failed:\n{value}")
    return value  # type: ignore[no-any-return]


def _child(conn: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send((True, function(*args)))
    except BaseException:
        conn.send((False, traceback.format_exc()))


def _reset_peak_rss() -> bool:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process in MB; ``ru_maxrss`` without /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Timing:
    """What :func:`measured` found; ``usage`` is the emulator's request log summary, if any."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    start_rss_mb: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def result(self, approach: str, rows: int, sync: str, cells: int, **extra: Any) -> Result:
        return Result(approach, rows, sync, self.wall_s, self.cpu_s, self.peak_rss_mb, self.start_rss_mb,
                      cells=cells, notes=list(self.notes), **self.usage, **extra)


@contextmanager
def measured(emulator: Emulator | None = None) -> Iterator[Timing]:
    """Wall and CPU seconds and peak RSS of this process over the ``with`` body, plus the
    emulator's requests and CPU seconds meanwhile."""
    timing = Timing()
    gc.collect()
    if not _reset_peak_rss():
        timing.notes.append("peak RSS since the process started")
    emulator_cpu = emulator.call("reset") if emulator else 0.0
    headers = _HEADER_BYTES[0]
    timing.start_rss_mb = _rss_mb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    yield timing
    timing.wall_s = time.perf_counter() - wall
    timing.cpu_s = time.process_time() - cpu
    timing.peak_rss_mb = _rss_mb("VmHWM")
    if emulator:
        timing.usage = emulator.call("usage")
        timing.usage["emulator_cpu_s"] = timing.usage.pop("cpu_s") - emulator_cpu
        timing.usage["header_bytes"] = _HEADER_BYTES[0] - headers


# ---- the emulator, in a process of its own ------------------------------------------------------

#: request-line and header bytes of every API request this process sent (a one-item list: mutable).
_HEADER_BYTES = [0]


def _count_header_bytes() -> None:
    """Wrap ``HTTPAdapter.send`` to add each API request's request line and headers to the count
    (the Host header and TLS are left out; token requests are not API requests)."""
    send = HTTPAdapter.send

    def counting(self: HTTPAdapter, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        if not (request.path_url or "").startswith("/token"):
            _HEADER_BYTES[0] += len(f"{request.method} {request.path_url} HTTP/1.1\r\n\r\n") + sum(
                len(f"{name}: {value}\r\n") for name, value in request.headers.items())
        return send(self, request, *args, **kwargs)

    HTTPAdapter.send = counting  # type: ignore[method-assign]


class Emulator:
    """Our Sheets API emulator in a separate process, driven over a pipe.

    gspread in this process is pointed at it with ``tests.sheets_emulator.redirect_gspread`` (the
    naive approaches build plain gspread clients, so they cannot be handed the address).
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_emulator, args=(child,), daemon=True,
                                        name="sheets-emulator")
        self._process.start()
        base_url = self._conn.recv()
        _count_header_bytes()
        self._redirect = ExitStack()
        self._redirect.enter_context(redirect_gspread(base_url))

    def call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(f"emulator: {command} failed:\n{value}")
        return value

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._redirect.close()
        self._conn.send(None)
        self._process.join(timeout=60)


def _serve_emulator(conn: Connection) -> None:
    with SheetsEmulator() as emulator:
        conn.send(emulator.base_url)
        while (message := conn.recv()) is not None:
            command, args = message
            try:
                conn.send((True, _COMMANDS[command](emulator, *args)))
            except Exception:
                conn.send((False, traceback.format_exc()))


def _account(emulator: SheetsEmulator, directory: str) -> tuple[str, str]:
    account = emulator.service_account(Path(directory))
    return account.email, str(account.path)


def _create(emulator: SheetsEmulator, email: str) -> str:
    return emulator.create_spreadsheet(shared_with=[email])


def _fill(emulator: SheetsEmulator, spreadsheet_id: str, count: int) -> None:
    """Type :func:`register_rows` into the DIP tab made by ``dip init``, growing its grid (and
    its dropdowns) as a person adding rows does."""
    sheet = emulator.book(spreadsheet_id).tab(s.DIP_TAB)
    columns = {cell.value: c for c, cell in sheet.rows[0].items()}
    if count + 1 > sheet.row_count:
        sheet.insert("ROWS", sheet.row_count, count + 1, inherit_from_before=True)
    for r, row in enumerate(register_rows(count), start=1):
        for header, value in row.items():
            if value not in (None, ""):
                sheet.cell(r, columns[header]).enter(value, "RAW")


def _reset(emulator: SheetsEmulator) -> float:
    """Forget the request log; return the emulator's CPU seconds so far."""
    emulator.reset_log()
    return time.process_time()


def _usage(emulator: SheetsEmulator) -> dict[str, Any]:
    """API requests since the last reset, their body bytes, and the CPU seconds so far."""
    log = [r for r in emulator.log if r.kind != "auth"]
    return {"reads": sum(r.kind == "read" for r in log), "writes": sum(r.kind == "write" for r in log),
            "bytes_sent": sum(r.body_size for r in log),
            "largest_body": max((r.body_size for r in log), default=0),
            "apis": dict(Counter(r.api for r in log)), "cpu_s": time.process_time()}


_COMMANDS: dict[str, Callable[..., Any]] = {
    "account": _account, "create": _create, "fill": _fill, "reset": _reset, "usage": _usage,
}


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet in the emulator, made by ``dip init``, holding fresh DIP rows."""

    settings: SheetsSettings
    credentials: service_account.Credentials

    def register(self) -> SheetsRegister:
        """A new register object, as each cron run makes one (the access token is reused)."""
        return SheetsRegister(self.settings, self.credentials)


def new_sheet(emulator: Emulator, directory: str, rows: int) -> Sheet:
    email, key = emulator.call("account", directory)
    # no client timeout: the emulator takes minutes over a 100,000-row batch that Google does quickly
    settings = SheetsSettings(spreadsheet_id=emulator.call("create", email), credentials_file=Path(key),
                              timeout=3600.0, roles=ROLES)
    sheet = Sheet(settings, load_credentials(settings))
    sheet.register().init(Layout(s.TABS, UNITS, ROLES))
    emulator.call("fill", settings.spreadsheet_id, rows)
    return sheet


# ---- the scenarios (each runs in a process of its own) ------------------------------------------


def bench_dip_sheets(rows: int, repeats: int) -> list[Result]:
    """dip-sheets on the Sheets backend: a first sync, then ``repeats`` syncs of the unchanged sheet."""
    with Emulator() as emulator, tempfile.TemporaryDirectory() as directory:
        sheet = new_sheet(emulator, directory, rows)
        with measured(emulator) as timing:
            summary = sync(sheet.register(), UNITS, NOW).summary()
        first = timing.result("dip-sheets", rows, "first", summary["cells_written"])
        first.notes.append(f"{summary['rows_appended']:,} rows appended")
        again = []
        for _ in range(repeats):
            with measured(emulator) as timing:
                summary = sync(sheet.register(), UNITS, LATER).summary()
            again.append(timing.result("dip-sheets", rows, "unchanged", summary["cells_written"]))
    return [first, median(again)]


def median(results: Sequence[Result]) -> Result:
    """The run with the median wall time, with the highest peak RSS of all."""
    chosen = sorted(results, key=lambda r: r.wall_s)[len(results) // 2]
    chosen = replace(chosen, peak_rss_mb=max(r.peak_rss_mb or 0.0 for r in results), notes=list(chosen.notes))
    if len(results) > 1:
        chosen.notes.append(f"median of {len(results)} runs (wall "
                            + ", ".join(f"{r.wall_s:.3f}" for r in results) + " s)")
    return chosen


@dataclass
class NaivePlan:
    """What a naive gspread script read and decided: each tab's grid before and after."""

    worksheets: dict[str, Any]
    before: dict[str, list[list[Any]]]
    after: dict[str, list[list[Any]]]
    #: the tabs the decisions touch.
    touched: set[str]
    #: established rows whose content no longer matches their fingerprint.
    tampered: int

    def changed(self) -> list[tuple[str, int, int, Any]]:
        """(tab, row, column, value), 0-based, of every cell whose text differs."""
        cells = []
        for name, rows in self.after.items():
            old = self.before[name]
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    was = old[r][c] if r < len(old) and c < len(old[r]) else None
                    if cell_text(value) != cell_text(was):
                        cells.append((name, r, c, value))
        return cells


def naive_plan(sheet: Sheet, now: dt.datetime) -> NaivePlan:
    """Open the sheet with gspread, read each tab, and apply dip-sheets' own decisions in memory.

    Row locks are left out: a script writing cells does not protect rows.
    """
    book = gspread.authorize(sheet.credentials).open_by_key(sheet.settings.spreadsheet_id)
    worksheets = {w.title: w for w in book.worksheets() if w.title in s.TAB_BY_NAME}
    before = {name: w.get_all_values(value_render_option=ValueRenderOption.unformatted)
              for name, w in worksheets.items()}
    decided = review(Snapshot({n: Grid(rows) for n, rows in before.items()}), UNITS, now)
    changes = decided.changes
    after = {name: [list(row) for row in rows] for name, rows in before.items()}
    columns = {name: s.locate_columns(s.TAB_BY_NAME[name], rows[0]) for name, rows in after.items()}
    for write in changes.writes:
        row = after[write.anchor.tab][write.anchor.row]
        column = columns[write.anchor.tab][write.header]
        row.extend([""] * (column + 1 - len(row)))
        row[column] = write.value
    for name, appended in changes.appends.items():
        after[name] += [[values.get(str(h), "") for h in after[name][0]] for values in appended]
    touched = {w.anchor.tab for w in changes.writes} | {n for n, rows in changes.appends.items() if rows}
    return NaivePlan(worksheets, before, after, touched, len(decided.tampered))


def bench_per_cell(rows: int) -> list[Result]:
    """One ``update_cell`` (one ``values.update`` request) per changed cell, after growing a grid
    too small for the appended rows.

    Above :data:`PER_CELL_LIMIT` rows only that many cells are written one by one, and the cell
    writes' requests, bytes and seconds are scaled to all of them (reads and decisions are measured
    in full); the other cells are then written in one unmeasured batch, parsed the same way, so the
    unchanged sync starts from the sheet the whole loop would have left.
    """
    results = []
    with Emulator() as emulator, tempfile.TemporaryDirectory() as directory:
        sheet = new_sheet(emulator, directory, rows)
        for name, now in (("first", NOW), ("unchanged", LATER)):
            with measured(emulator) as reading:
                plan = naive_plan(sheet, now)
                changed = plan.changed()
                for tab, grid in plan.after.items():
                    if len(grid) > plan.worksheets[tab].row_count:
                        plan.worksheets[tab].add_rows(len(grid) - plan.worksheets[tab].row_count)
            sample = changed if rows <= PER_CELL_LIMIT else changed[:PER_CELL_LIMIT]
            with measured(emulator) as writing:
                for tab, r, c, value in sample:
                    plan.worksheets[tab].update_cell(r + 1, c + 1, cell_repr(value))
            results.append(_combined(reading, writing, len(changed) / max(len(sample), 1))
                           .result("per-cell", rows, name, len(changed), false_edits=plan.tampered))
            if len(sample) < len(changed):
                results[-1].extrapolated = True
                results[-1].notes.append(f"{len(sample):,} of {len(changed):,} cell writes measured, scaled")
                _write_at_once(plan, changed[len(sample):])
    return results


def _write_at_once(plan: NaivePlan, cells: Sequence[tuple[str, int, int, Any]]) -> None:
    """The given cells in one ``values.batchUpdate``, parsed as ``update_cell`` has them parsed."""
    data = [{"range": f"'{tab}'!{rowcol_to_a1(r + 1, c + 1)}", "values": [[cell_repr(value)]]}
            for tab, r, c, value in cells]
    plan.worksheets[s.DIP_TAB].spreadsheet.values_batch_update(
        {"valueInputOption": ValueInputOption.user_entered, "data": data})


def _combined(reading: Timing, writing: Timing, scale: float) -> Timing:
    """Reading (with growing the grids) as measured, plus writing multiplied by ``scale``."""
    usage = {key: reading.usage[key] + round(writing.usage[key] * scale)
             for key in ("reads", "writes", "bytes_sent", "header_bytes")}
    usage["largest_body"] = max(reading.usage["largest_body"], writing.usage["largest_body"])
    usage["emulator_cpu_s"] = reading.usage["emulator_cpu_s"] + writing.usage["emulator_cpu_s"] * scale
    usage["apis"] = {api: reading.usage["apis"].get(api, 0) + round(writing.usage["apis"].get(api, 0) * scale)
                     for api in reading.usage["apis"].keys() | writing.usage["apis"].keys()}
    return Timing(reading.wall_s + writing.wall_s * scale, reading.cpu_s + writing.cpu_s * scale,
                  max(reading.peak_rss_mb, writing.peak_rss_mb), reading.start_rss_mb, usage,
                  reading.notes + writing.notes)


def bench_whole_sheet(rows: int) -> list[Result]:
    """The DataFrame round trip: each changed tab, and always the DIP tab, written back whole."""
    results = []
    with Emulator() as emulator, tempfile.TemporaryDirectory() as directory:
        sheet = new_sheet(emulator, directory, rows)
        for name, now in (("first", NOW), ("unchanged", LATER)):
            with measured(emulator) as timing:
                plan = naive_plan(sheet, now)
                for tab in sorted(plan.touched | {s.DIP_TAB}):
                    set_with_dataframe(plan.worksheets[tab], plan.after[tab])
            results.append(timing.result("whole-sheet", rows, name, len(plan.changed()),
                                         false_edits=plan.tampered))
    return results


def set_with_dataframe(worksheet: Any, grid: list[list[Any]]) -> None:
    """What ``worksheet.clear(); set_with_dataframe(worksheet, frame)`` sends (gspread-dataframe 4).

    The frame is built with pandas; then, as gspread-dataframe does: grow the grid if it is too
    small (``_resize_to_minimum``), one ``gspread.Cell`` per header and value (``_cellrepr``), and
    one ``Worksheet.update_cells(cells, "USER_ENTERED")``: one ``values.update`` of the rectangle.
    """
    header = grid[0]
    frame = pd.DataFrame([row + [None] * (len(header) - len(row)) for row in grid[1:]], columns=header)
    worksheet.clear()
    height, width = frame.shape[0] + 1, frame.shape[1]
    if height > worksheet.row_count or width > worksheet.col_count:
        worksheet.resize(max(height, worksheet.row_count), max(width, worksheet.col_count))
    cells = [gspread.Cell(1, c + 1, cell_repr(name)) for c, name in enumerate(frame.columns)]
    for r, values in enumerate(frame.to_numpy(dtype=object), start=2):
        cells += [gspread.Cell(r, c + 1, cell_repr(value)) for c, value in enumerate(values)]
    worksheet.update_cells(cells, value_input_option=ValueInputOption.user_entered)


def cell_repr(value: Any) -> Any:
    """gspread-dataframe's ``_cellrepr`` with its defaults: null as empty, numbers as they are, text
    as text (a leading apostrophe doubled).

    One departure: an infinite number goes as text. The emulator stores text such as ``9e1234``
    typed with ``USER_ENTERED`` as an infinite number and returns it so; Google never returns one,
    and sending it back would stop the run (JSON has no infinity).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Real) and math.isfinite(value):
        return value
    text = str(value)
    return "'" + text if text.startswith("'") else text


def make_workbook(path: str, rows: int) -> None:
    """``dip init --local``, then the units' rows typed in (in a throwaway process)."""
    WorkbookRegister(Path(path)).init(Layout(s.TABS, UNITS))
    append_rows(Path(path), s.DIP_TAB, register_rows(rows))


def bench_workbook(path: str, rows: int, repeats: int) -> list[Result]:
    """dip-sheets on a workbook (made in a throwaway process first): first sync, then unchanged ones."""
    isolated(make_workbook, path, rows)
    with measured() as timing:
        summary = sync(WorkbookRegister(Path(path)), UNITS, NOW).summary()
    first = timing.result("workbook", rows, "first", summary["cells_written"])
    again = []
    for _ in range(repeats):
        with measured() as timing:
            summary = sync(WorkbookRegister(Path(path)), UNITS, LATER).summary()
        again.append(timing.result("workbook", rows, "unchanged", summary["cells_written"]))
    return [first, median(again)]


def collect(sizes: Sequence[int], repeats: int, log: Callable[[str], None]) -> tuple[list[Result], list[str]]:
    """Every approach at every size, each in fresh processes; a failing one is reported, not fatal."""
    results: list[Result] = []
    failures: list[str] = []

    def attempt(what: str, function: Callable[..., list[Result]], *args: Any) -> None:
        log(what)
        try:
            results.extend(isolated(function, *args))
        except RuntimeError as error:
            failures.append(f"{what}: {str(error).strip().splitlines()[-1]}")
            log(f"FAILED: {error}")

    for rows in sizes:
        times = repeats if rows <= REPEAT_UP_TO else 1
        attempt(f"{rows:,} rows: dip-sheets on the emulator", bench_dip_sheets, rows, times)
        attempt(f"{rows:,} rows: per-cell loop", bench_per_cell, rows)
        attempt(f"{rows:,} rows: whole-sheet rewrite", bench_whole_sheet, rows)
        with tempfile.TemporaryDirectory() as directory:
            path = str(Path(directory) / "register.xlsx")
            attempt(f"{rows:,} rows: workbook", bench_workbook, path, rows, times)
    return results, failures


def publish_results(sizes: Sequence[int], log: Callable[[str], None]) -> dict[str, Any]:
    """benchmarks/bench_publish.py's ``run`` (publish over SFTP), or why it could not run."""
    try:
        module = importlib.import_module("benchmarks.bench_publish")
        log(f"publish over SFTP (benchmarks/bench_publish.py) at {', '.join(f'{n:,}' for n in sizes)} rows")
        return {"results": module.run(list(sizes))}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


# ---- reporting ----------------------------------------------------------------------------------

COLUMNS = ("approach", "rows", "sync", "reads", "writes", "request bytes", "largest body", "wall s",
           "client CPU s", "emulator CPU s", "peak RSS MB (+sync)", "quota floor")


def _bytes(count: int | None) -> str:
    if count is None:
        return "n/a"
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


def _quota_floor(result: Result) -> str:
    """The least time Google's 60-a-minute quotas allow for these requests."""
    if result.reads is None or result.writes is None:
        return "n/a"
    worst = max(result.reads, result.writes)
    return "-" if worst <= QUOTA_PER_MINUTE else f"{math.ceil(worst / QUOTA_PER_MINUTE):,} min"


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    """The table's cells; ``~`` marks extrapolated figures, ``!`` a body over Google's 2 MB advice."""
    order = sorted(results, key=lambda r: (r.rows, r.sync != "first", APPROACHES.index(r.approach)))
    rows = []
    for r in order:
        mark = "~" if r.extrapolated else ""

        def number(value: float | None, digits: int = 2, mark: str = mark) -> str:
            return "n/a" if value is None else f"{mark}{value:,.{digits}f}"

        largest = "n/a" if r.largest_body is None else (
            _bytes(r.largest_body) + (" !" if r.largest_body > PAYLOAD_ADVICE else ""))
        rows.append([r.approach, f"{r.rows:,}", r.sync, number(r.reads, 0, ""), number(r.writes, 0),
                     ("" if r.bytes_sent is None else mark) + _bytes(r.bytes_sent), largest,
                     number(r.wall_s), number(r.cpu_s), number(r.emulator_cpu_s),
                     "n/a" if r.peak_rss_mb is None
                     else f"{r.peak_rss_mb:,.0f} (+{max(r.peak_rss_mb - (r.start_rss_mb or 0), 0):,.0f})",
                     ("" if r.reads is None else mark) + _quota_floor(r)])
    return rows


def text_table(results: Sequence[Result]) -> str:
    rows = [list(COLUMNS), *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: Sequence[Result]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * 3 + "---:|" * (len(COLUMNS) - 3)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in table_rows(results)])


def ratios(results: Sequence[Result]) -> list[dict[str, Any]]:
    """Per size and sync: how many times dip-sheets' requests, bytes and seconds each naive approach costs."""
    index = {(r.approach, r.rows, r.sync): r for r in results}

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    out = []
    for rows in sorted({r.rows for r in results}):
        for sync_name in ("first", "unchanged"):
            base = index.get(("dip-sheets", rows, sync_name))
            for approach in ("per-cell", "whole-sheet"):
                other = index.get((approach, rows, sync_name))
                if base is None or other is None:
                    continue
                out.append({"approach": approach, "rows": rows, "sync": sync_name,
                            "extrapolated": other.extrapolated,
                            "requests": ratio(other.requests, base.requests),
                            "bytes": ratio(other.bytes_sent, base.bytes_sent),
                            "bytes_with_headers": ratio(_wire(other), _wire(base)),
                            "wall_s": ratio(other.wall_s, base.wall_s),
                            "cpu_s": ratio(other.cpu_s, base.cpu_s)})
    return out


def _wire(result: Result) -> int | None:
    """Bodies plus request lines and headers."""
    if result.bytes_sent is None or result.header_bytes is None:
        return None
    return result.bytes_sent + result.header_bytes


def ratio_lines(entries: Sequence[dict[str, Any]]) -> list[str]:
    def show(value: float | None) -> str:
        return "n/a (dip-sheets: 0)" if value is None else f"{value:,.1f}x"

    return [f"{e['rows']:>7,} rows, {e['sync']:<9} sync, {e['approach']:<11} / dip-sheets: requests"
            f" {show(e['requests'])}, bytes {show(e['bytes'])} ({show(e['bytes_with_headers'])} with"
            f" headers), wall s {show(e['wall_s'])}, client CPU s {show(e['cpu_s'])}"
            + (" (extrapolated)" if e["extrapolated"] else "") for e in entries]


def target_line(results: Sequence[Result]) -> str:
    """Whether the unchanged 10,000-row sync meets its target: no writes, under 1 s of client CPU."""
    wanted = ("dip-sheets", TARGET_ROWS, "unchanged")
    run = next((r for r in results if (r.approach, r.rows, r.sync) == wanted), None)
    if run is None:
        return f"Unchanged {TARGET_ROWS:,}-row sync: not measured ({TARGET_ROWS:,} not in --sizes)."
    met = run.writes == 0 and run.cpu_s < TARGET_CPU_S
    return (f"Unchanged {TARGET_ROWS:,}-row sync on the Sheets backend: {run.writes} writes,"
            f" {run.reads} reads, {run.cpu_s:.2f} s client CPU ({run.wall_s:.2f} s wall): target"
            f" (0 writes, under {TARGET_CPU_S:g} s CPU) {'met' if met else 'NOT met'}.")


def false_edit_lines(results: Sequence[Result]) -> list[str]:
    """Naive syncs of an unchanged register that found cells to change: their own writes came back
    different (``USER_ENTERED`` read some fingerprints as numbers)."""
    return [f"{r.rows:>7,} rows, {r.approach}: the unchanged sync found {r.cells:,} cells to change and"
            f" {r.false_edits:,} rows edited after establishment that nobody edited (USER_ENTERED turned"
            " their fingerprints into numbers)"
            for r in results
            if r.sync == "unchanged" and r.false_edits is not None and (r.cells or r.false_edits)]


def publish_lines(publish: Mapping[str, Any]) -> list[str]:
    if "error" in publish:
        return [f"Publish benchmark (benchmarks/bench_publish.py) failed: {publish['error']}"]
    return [f"{e['rows']:>7,} rows, publish over SFTP (bench_publish): render alone"
            f" {e['render']['seconds']:.2f} s (index.html {_bytes(e['render']['index_bytes'])});"
            f" first {e['first']['seconds']:.2f} s, {_bytes(e['first']['sent'])} sent; unchanged"
            f" {e['unchanged']['seconds']:.2f} s, {_bytes(e['unchanged']['sent'])} sent"
            for e in publish["results"]]


def plot(results: Sequence[Result], path: Path) -> str | None:
    """Requests, wall seconds and client CPU seconds per sync against rows, log-log; a reason if no
    PNG was written."""
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        return "No PNG: matplotlib is not installed (scripts/bench installs it)."
    matplotlib.use("Agg")
    pyplot = importlib.import_module("matplotlib.pyplot")
    figure, axes = pyplot.subplots(1, 3, figsize=(15, 5))
    colours = dict(zip(APPROACHES, ("tab:green", "tab:red", "tab:orange", "tab:blue"), strict=True))
    metrics: tuple[tuple[str, Callable[[Result], float | None]], ...] = (
        ("API requests per sync", lambda r: r.requests),
        ("wall seconds per sync (emulator included)", lambda r: r.wall_s),
        ("client CPU seconds per sync", lambda r: r.cpu_s))
    for ax, (title, value) in zip(axes, metrics, strict=True):
        for approach in APPROACHES:
            for sync_name, style in (("first", "-"), ("unchanged", ":")):
                points = sorted((r.rows, y, r.extrapolated) for r in results
                                if (r.approach, r.sync) == (approach, sync_name) and (y := value(r)))
                if not points:
                    continue
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                ax.plot(xs, ys, style, color=colours[approach], label=f"{approach}, {sync_name} sync")
                ax.scatter(xs, ys, s=22, edgecolors=colours[approach],
                           facecolors=["none" if p[2] else colours[approach] for p in points])
        ax.set(xscale="log", yscale="log", xlabel="DIP rows", title=title)
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    figure.suptitle("Sync against the Sheets API emulator: dip-sheets, a per-cell gspread loop, a whole-sheet"
                    " rewrite, and the local workbook (hollow markers: extrapolated)", fontsize=10)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated row counts (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3,
                        help=f"unchanged syncs per size up to {REPEAT_UP_TO:,} rows; the median is kept"
                             " (default: 3)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="results folder (default: benchmarks/results)")
    parser.add_argument("--no-publish", action="store_true", help="skip benchmarks/bench_publish.py")
    args = parser.parse_args(argv)
    sizes = sorted({int(n) for n in args.sizes.split(",") if n.strip()})
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    results, failures = collect(sizes, args.repeats, log)
    publish = {"skipped": True} if args.no_publish else publish_results(sizes, log)
    entries = ratios(results)
    args.out.mkdir(parents=True, exist_ok=True)
    notes = [target_line(results), *ratio_lines(entries), *false_edit_lines(results),
             *(f"FAILED {failure}" for failure in failures)]
    if "skipped" not in publish:
        notes += publish_lines(publish)
    if (problem := plot(results, args.out / "bench.png")) is not None:
        notes.append(problem)
    meta = {"date": dt.datetime.now().isoformat(timespec="seconds"), "sizes": sizes, "repeats": args.repeats,
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs",
            "seconds_total": round(time.perf_counter() - started, 1),
            "memory": "peak RSS (Linux VmHWM, reset before each measured sync) of the client process",
            "legend": "~ extrapolated; ! body over Google's 2 MB advice; quota floor: least time at"
                      " 60 read and 60 write requests a minute"}
    (args.out / "bench.json").write_text(json.dumps({
        "meta": meta, "results": [{**asdict(r), "requests": r.requests} for r in results],
        "ratios": entries, "publish": publish, "notes": notes}, indent=2) + "\n")
    (args.out / "bench.md").write_text(
        f"Measured {meta['date']} on {meta['machine']}, Python {meta['python']},"
        f" {meta['seconds_total']:,} s in all. {meta['legend']}.\n\n"
        + markdown_table(results) + "\n\n" + "\n".join(f"- {line.strip()}" for line in notes) + "\n")
    print(text_table(results))
    print(f"\n{meta['legend']}.\n")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
