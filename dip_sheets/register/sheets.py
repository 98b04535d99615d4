"""The register as a shared Google Sheet, reached through gspread with a service account.

Google allows 60 read and 60 write requests per minute per user (a service account is one user),
and a batch call counts once whatever it carries, so every operation here costs O(1) requests:

* ``open_sheet``: none (the key file is read, nothing is sent).
* ``read()``: 1 read, one ``spreadsheets.get`` whose ``ranges`` name the schema's tabs and
  whose field mask (:data:`READ_FIELDS`) asks for their properties, protections, the rows'
  developer metadata (which rows carry their anchor) and the cells' ``effectiveValue``: the
  register's one download. Google returns grid data when a mask selects it ("If a field mask is
  set, the includeGridData parameter is ignored", spreadsheets.get reference) and only the
  sheets the ranges name. A tab of the schema missing (a register laid out before it existed)
  is refused by Google (400, "Unable to parse range"): then +2 reads, the tab list and the get
  again without it, until ``dip init`` adds the tab. Each run of ``dip`` makes one object; its
  rows are kept for the run's batches.
* ``apply(changes)``: nothing when ``changes`` is empty; else 1 read, the check before writing
  (:mod:`.sheets_recheck`: one ``values:batchGet`` of the touched tabs' header and last rows and
  of the rows the batch's anchors are on, not the tabs again) + 1 write (one
  ``values:batchUpdateByDataFilter`` with every cell write, through the anchors, the appended
  rows and the ``Ringkasan`` tab; one more per 1.5 MB, which only a first sync of some 10,000
  rows reaches). So an everyday sync costs 2 reads + 1 write and downloads the register once;
  an unchanged one 1 read.
  Only when some rows written to carry no anchor yet (a first sync, new rows, an ID changed):
  +1 write, before the check, that anchors them (:mod:`.sheets_anchors`; one more part per
  1.5 MB): an everyday sync with new rows costs 2 + 2. It cannot ride in the lock batch, which
  must follow the values write so that a run stopped half-way never locks a row that is not yet
  established.
  Only when the rows kept no longer hold (a row added, deleted, sorted or edited in a touched
  tab since the read): +1 read, those tabs whole. Only when rows moved so that an anchor is not
  on its item's row: +1 write (the anchor made again where the row is) and +1 read (read back
  through it).
  Only when a tab's grid has no room for the appended rows: +1 write (append rows) before it,
  and +1 read after it (the anchors checked again, so that no request but the write itself
  follows their last check).
  Only when ``changes.locks`` is not ``None``: +1 read (fresh protections, since staff may have
  moved rows; read before the anchors, which are planned on it), the check reads the locked tabs
  whole (locks are ranges by position, planned on the tab as it is then) and, if the locked
  ranges differ, +1 write after the values (one ``:batchUpdate``; one more per 1.5 MB of
  protection requests, i.e. only with thousands of separate locked runs). So a first sync costs
  3 reads + 3 writes, a first publish (step 5 adds a check and a write) 4 + 4.
* ``init(layout)``: 1 read (metadata), +1 read (header rows and dropdowns) when tabs exist, and at
  most 1 write (one ``:batchUpdate``); none when nothing is missing.

The pieces: :mod:`.sheets_client` (key file, HTTP and the retry policy), :mod:`.sheets_grid`
(metadata and value batches), :mod:`.sheets_protections` (editors and row locks) and
:mod:`.sheets_layout` (``dip init``). Relocating rows is :mod:`.relocating`'s, as for every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import requests
from google.oauth2 import service_account

from .. import schema as s
from ..errors import LayoutError
from ..messages import Message
from ..retry import Transient
from . import ApplyResult, Cell, Changes, Grid, Layout, Row, Snapshot
from . import sheets_anchors as anchors
from . import sheets_layout as layout_
from . import sheets_recheck as recheck
from .relocating import apply_changes
from .sheets_audit import differences
from .sheets_client import SheetsClient, SheetsSettings, load_credentials
from .sheets_grid import (
    MAX_BODY,
    Json,
    TabInfo,
    encode,
    grid_rows,
    letter,
    parse_grid,
    parts,
    quoted,
    tab_infos,
    title_of,
    value_ranges,
)
from .sheets_protections import forget_replaced, lock_editors, lock_requests, locked_rows
from .sheets_units import unit_requests

__all__ = ["SheetsRegister", "SheetsSettings", "load_credentials", "open_sheet"]

#: the run's one read of the register: each tab's properties, protections, rows' anchors and
#: values (``effectiveValue``: numbers and dates as numbers, like ``UNFORMATTED_VALUE`` and
#: ``SERIAL_NUMBER``), in one ``spreadsheets.get`` with ``ranges`` naming the schema's tabs.
READ_FIELDS = ("sheets(properties(sheetId,title,index,gridProperties),protectedRanges,"
               "data(rowMetadata(developerMetadata(metadataId,metadataKey,metadataValue)),"
               "rowData(values(effectiveValue))))")


def open_sheet(settings: SheetsSettings, session: requests.Session | None = None) -> SheetsRegister:
    """Read the key file and prepare the client; nothing is sent until the first call.

    ``session`` replaces google-auth's authorised session (it must authorise requests itself).
    """
    return SheetsRegister(settings, load_credentials(settings), session)


class SheetsRegister:
    """A :class:`~dip_sheets.register.Register` on a Google Sheet (see the module docstring)."""

    def __init__(self, settings: SheetsSettings, credentials: service_account.Credentials,
                 session: requests.Session | None = None) -> None:
        self.settings = settings
        self.location = f"https://docs.google.com/spreadsheets/d/{settings.spreadsheet_id}"
        self.account: str = credentials.service_account_email
        self._http = SheetsClient(credentials, settings, self.account, session)
        self._tabs: dict[str, TabInfo] | None = None
        #: largest request body sent (Google advises < 2 MB).
        self.body_limit = MAX_BODY
        self._expected: list[str] = []
        #: the tabs the batch being applied locks rows of (read whole by its check).
        self._locked: set[str] = set()
        #: the tabs' rows as this object last read and wrote them (None: not read yet).
        self._kept: dict[str, list[Row]] | None = None

    # ---- the API, as the other modules use it -------------------------------------------------

    def metadata(self, refresh: bool = False) -> dict[str, TabInfo]:
        if self._tabs is None or refresh:
            self._tabs = tab_infos(self.get({
                "includeGridData": "false",
                "fields": "sheets(properties(sheetId,title,index,gridProperties),protectedRanges,"
                          f"{anchors.FIELDS})",
            }))
        return self._tabs

    def get(self, params: Json) -> Json:
        return self._http.fetch_sheet_metadata(self.settings.spreadsheet_id, params=params)

    # ---- the register -------------------------------------------------------------------------

    def read(self) -> Snapshot:
        """Every tab of the schema in one ``spreadsheets.get`` (values, protections, the rows'
        anchors), kept for the run's batches (:mod:`.sheets_recheck`)."""
        names = [*(t.name for t in s.TABS), s.DASHBOARD_TAB]
        try:
            answer = self._grid(names)
        except LayoutError:  # Google refuses a range on a missing tab: read the ones there are
            known = self.metadata(refresh=True)
            names = [n for n in names if n in known]
            answer = self._grid(names) if names else {}
        self._tabs = tabs = tab_infos(answer)
        self._kept = {sheet["properties"]["title"]: grid_rows(sheet.get("data", []))
                      for sheet in answer.get("sheets", [])}
        grids: dict[str, Grid] = {}
        for name in names:
            if name not in tabs:
                continue
            rows = self._kept[name]
            locked = locked_rows(tabs[name])
            # per-unit protections out of date count as protection lost: the sync puts it back
            protected = name != s.DIP_TAB or not self._unit_requests(tabs[name], rows)
            grids[name] = Grid(rows, frozenset(i for i in locked if 0 < i < len(rows)), protected)
        return Snapshot(grids)

    def _grid(self, names: Sequence[str]) -> Json:
        """The tabs ``names`` as :data:`READ_FIELDS` asks for them (cells parsed as values)."""
        reply = self._http.request("get", anchors.url_of(self.settings.spreadsheet_id), params={
            "ranges": [quoted(n) for n in names], "fields": READ_FIELDS})
        return parse_grid(reply.text)

    def protection_differences(self) -> list[Message]:
        """Our protections whose editors differ from ``[roles]`` (for ``dip check``; 1 read of
        every tab's protections: :meth:`read` fetches only the register's tabs, not ``Petunjuk``)."""
        return [d.message() for d in differences(self.metadata(refresh=True), self.settings.roles,
                                                 self.settings.unit_editors, self.account)]

    def _unit_requests(self, tab: TabInfo, rows: Sequence[Sequence[Cell]]) -> list[Json]:
        return unit_requests(tab, rows, self.settings.unit_editors, self.settings.roles, self.account)

    def apply(self, changes: Changes) -> ApplyResult:
        # the rows written to are anchored first (only those not yet: see .sheets_anchors); the
        # rows they are on are then checked with the rows kept from read() (see session())
        self._expected = self._prepare(changes) if changes else []
        self._locked = set(changes.locks or ())
        return apply_changes(self, changes)

    def _prepare(self, changes: Changes) -> list[str]:
        """Before the check: make the missing anchors of ``changes``' rows (at most one
        ``:batchUpdate``, none when every row written to is anchored) and return the anchors'
        names. With ``changes.locks`` the metadata is read fresh first (the locks are planned on
        fresh protections, after the values write, as before anchors), and a lock that would shut
        the PPID out is refused before anything is written. Like the row locks, the anchors' batch
        is never resent as it was: if it failed, the metadata is read again and only what is
        still missing is sent.

        The anchors cannot ride in the lock batch: locks go after the values write, so that a run
        stopped half-way never leaves a row locked that is not yet established."""
        locks = changes.locks is not None
        _require([*(w.anchor.tab for w in changes.writes), *(changes.locks or ())], self.metadata())
        state = {"failed": locks}
        names: list[str] = []

        def attempt() -> None:
            tabs = self.metadata(refresh=state["failed"])
            if locks:
                lock_editors(self.settings.roles, tabs, self.account)  # refused before any write
            requests_, names[:] = anchors.plan(changes, tabs)
            state["failed"] = False
            if not requests_:
                return
            try:
                self.structure(requests_, lambda _, reply: anchors.learn(tabs, reply))
            except Transient:
                state["failed"] = True
                raise

        self._http.policy.call(attempt)
        return names

    def session(self, tabs: Sequence[str], locks: bool) -> _Session:
        """The touched tabs as they are now, and the rows of the batch's anchors: 1 read, a
        ``values:batchGet`` of the few rows that show whether the rows kept from :meth:`read`
        still hold (:mod:`.sheets_recheck`; the fresh protections for ``locks`` were read by
        :meth:`_prepare`)."""
        known = self.metadata()
        _require(tabs, known)
        kept, self._kept = self._kept or {}, None  # forgotten until this batch is written
        grids, found = recheck.read(self._http, self.settings.spreadsheet_id, tabs,
                                    self._expected, known, kept, self._locked if locks else set())
        current = {n: (rows, height or known[n].row_count) for n, (rows, height) in grids.items()}
        for name, (_, height) in current.items():
            known[name].row_count = height
        return _Session(self, known, current, found=found, kept=kept)

    def init(self, layout: Layout) -> list[Message]:
        """Repair the layout in one ``:batchUpdate``. Like the row locks, that batch is never resent
        as it was: if its reply is lost Google may have applied it (a tab added twice is refused),
        so each retry reads the sheet again and sends only what is still missing."""
        said: list[list[Message]] = []

        def attempt() -> None:
            requests_, done = layout_.missing(self, layout)
            said.append(done)
            if requests_:
                self.structure(requests_)
                self._tabs = None  # ids of the new tabs and protections are learnt on the next use

        self._http.policy.call(attempt)
        return said[0]  # what was missing when init began, whichever attempt repaired it

    @property
    def http(self) -> SheetsClient:
        return self._http

    # ---- row locks ----------------------------------------------------------------------------

    def replace_locks(self, locks: Mapping[str, frozenset[int]], tabs: dict[str, TabInfo],
                      dip: Sequence[Sequence[Cell]] = ()) -> None:
        """Protect exactly the given rows (coalesced into ranges); unchanged ranges are kept. The
        per-unit protections of the DIP tab (``dip``: its rows as now) go in the same batch.

        This batch is not repeated as it was: if its reply is lost, Google may have applied it, and
        the same batch again would fail (a range already deleted) or protect a row twice. Instead
        each retry reads the protections again and sends only what is still missing.
        """
        state = {"tabs": tabs, "failed": False}

        def attempt() -> None:
            if state["failed"]:
                state["tabs"] = self.metadata(refresh=True)
            tabs_now: dict[str, TabInfo] = state["tabs"]  # type: ignore[assignment]
            requests_ = lock_requests(locks, tabs_now,
                                      lock_editors(self.settings.roles, tabs_now, self.account))
            if dip and s.DIP_TAB in tabs_now:
                requests_ += self._unit_requests(tabs_now[s.DIP_TAB], dip)
            if not requests_:
                return
            try:
                self.structure(requests_, lambda sent, reply: forget_replaced(tabs_now, sent, reply))
            except Transient:
                state["failed"] = True
                raise

        self._http.policy.call(attempt)

    def structure(self, requests_: list[Json],
                  done: Callable[[list[Json], Json], None] | None = None) -> None:
        """Send structure or protection requests, one ``:batchUpdate`` per ``body_limit`` bytes as
        Google advises (one, unless a sheet has thousands of separate locked runs); no retry here:
        the callers re-read and resend only what is still missing. ``done`` hears each batch."""
        for part in parts(requests_, self.body_limit):
            reply = self._http.attempt(
                "post", self._http.batch_update_url(self.settings.spreadsheet_id),
                json={"requests": part}).json()
            if done is not None:
                done(part, reply)


def _require(names: Sequence[str], known: Mapping[str, TabInfo]) -> None:
    """Refuse, before anything is written, a batch for a tab the spreadsheet lacks."""
    absent = [n for n in names if n not in known]
    if absent:
        listed = ", ".join(f"'{n}'" for n in absent)
        raise LayoutError(
            f"Tab {listed} tidak ada di spreadsheet. Jalankan 'dip init'. Tidak ada yang"
            " ditulis.",
            f"Tab {listed} is missing from the spreadsheet. Run 'dip init'. Nothing was"
            " written.",
        )


@dataclass
class _Session:
    """One batch on the sheet (see :mod:`.relocating`): collected, then sent at commit."""

    register: SheetsRegister
    tabs: dict[str, TabInfo]
    current: dict[str, tuple[list[Row], int]]
    cells: dict[tuple[str, int, int], Cell] = field(default_factory=dict)
    appended: dict[tuple[str, int, int], Json] = field(default_factory=dict)
    #: rows or columns to add to a tab's grid first: (tab, "ROWS" or "COLUMNS", how many).
    grow: list[tuple[str, str, int]] = field(default_factory=list)
    locks: dict[str, frozenset[int]] = field(default_factory=dict)
    whole: list[Json] = field(default_factory=list)
    #: what the session's read found of each expected anchor (see :mod:`.sheets_anchors`).
    found: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    #: the rows kept from the run's read and batches (see :mod:`.sheets_recheck`).
    kept: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self, tab: str) -> list[Row]:
        return self.current[tab][0]

    def write(self, tab: str, cells: Mapping[tuple[int, int], Cell]) -> None:
        for (row, column), value in cells.items():
            self.cells[(tab, row, column)] = value

    def append(self, tab: str, rows: Sequence[Mapping[int, Cell]]) -> None:
        present, height = self.current[tab]
        start = len(present)  # trailing empty rows are not returned: this follows the last
        for offset, values in enumerate(rows):
            for column, value in values.items():
                self.appended[(tab, start + offset, column)] = encode(value)
        if start + len(rows) > height:
            # rows are added at the end, wherever it is when Google applies this, so a repeated
            # or late request only leaves blank rows below the history
            self.grow.append((tab, "ROWS", start + len(rows) - height))

    def lock(self, tab: str, rows: frozenset[int]) -> None:
        self.locks[tab] = rows

    def replace(self, tab: str, rows: Sequence[Row]) -> None:
        """One range over the new rows and whatever the tab held before (cleared with "")."""
        present, height = self.current[tab]
        info = self.tabs[tab]
        wide = max([1, *(len(r) for r in (*rows, *present))])
        tall = max(len(rows), len(present), 1)
        padded = [*rows, *([] for _ in range(tall - len(rows)))]
        values = [[encode(r[c]) if c < len(r) else "" for c in range(wide)] for r in padded]
        for dimension, length in (("ROWS", tall - height), ("COLUMNS", wide - info.col_count)):
            if length > 0:  # only when the report outgrew the tab's grid
                self.grow.append((tab, dimension, length))
        self.whole.append({"range": f"{quoted(tab)}!A1:{letter(wide - 1)}{tall}", "values": values})

    def commit(self) -> list[Message]:
        register = self.register
        sid = register.settings.spreadsheet_id
        if self.grow:  # harmless if the write below fails: the sheet just has a few more empty rows
            register._http.batch_update(sid, {"requests": [{"appendDimension": {
                "sheetId": self.tabs[tab].sheet_id, "dimension": dimension, "length": length}}
                for tab, dimension, length in self.grow]})
            for tab, dimension, length in self.grow:
                if dimension == "ROWS":
                    self.tabs[tab].row_count += length
                else:
                    self.tabs[tab].col_count += length
        # Appended rows go first: if a later part fails, a history row may be repeated by the next
        # sync, but never lost.
        # cells of existing rows go where Google finds their row when it writes (see the module)
        current = {name: rows for name, (rows, _) in self.current.items()}
        notices, written = anchors.write(register, sid, self.tabs, current,
                                         anchors.targets(self.cells, current), self.found,
                                         [*value_ranges(self.appended), *self.whole],
                                         recheck=bool(self.grow))
        register._kept = {**self.kept, **self._after(written)}
        if self.locks:
            register.replace_locks(self.locks, self.tabs, self.current.get(s.DIP_TAB, ([], 0))[0])
        return notices

    def _after(self, written: Sequence[anchors.Target]) -> dict[str, list[Row]]:
        """The touched tabs as this batch left them (the rows of a later batch of the run)."""
        rows = {name: list(present) for name, (present, _) in self.current.items()}
        cells = [((t.tab, t.row, c), encode(v)) for t in written for c, v in t.cells.items()]
        for (tab, row, column), value in [*cells, *self.appended.items()]:
            grid = rows[tab]
            grid.extend([] for _ in range(row + 1 - len(grid)))
            line = grid[row] = list(grid[row])
            line.extend("" for _ in range(column + 1 - len(line)))
            line[column] = value
        for whole in self.whole:
            rows[title_of(whole["range"])] = [list(r) for r in whole["values"]]
        return rows
