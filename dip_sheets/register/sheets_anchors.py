"""Writes that Google, not dip-sheets, puts on the right row: row-level developer metadata.

Between re-reading a tab and writing it, a person may insert, delete or sort rows. A write by
position would then land on another item's row. Instead each row written to carries developer
metadata (key :data:`KEY`, value the tab and the row's ID once written: :func:`name_of`; a row
without an ID is named by its whole key). Google keeps row metadata with its row when rows are
inserted or deleted and deletes it with the row, so ``values:batchUpdateByDataFilter`` with a
``developerMetadataLookup`` writes where the row is *when the write is applied*. The name does not
change when staff edit the row, so a row is anchored once in its life (or when its ID changes).

No request is added for that on an everyday sync:

1. the register's read every run makes anyway (``spreadsheets.get``) also returns the rows'
   metadata, so :func:`plan` knows which rows written to lack their anchor;
2. only then, one ``:batchUpdate`` puts the missing anchors on the rows where the run's read found
   them (a first sync, new rows, a changed ID), before the check;
3. the check before writing (:mod:`.sheets_recheck`, one ``values:batchGet``) reads the row each
   anchor is on (by the metadata's position) with the touched tabs' header and last rows; a write
   goes ahead only if its anchor is on exactly one row and that row holds the item the write is
   for (its key: ID and a digest of what staff own). A row pasted over, metadata a sort left
   behind, or an anchor made on a row that moved during the review all fail this, and the row
   is anchored again where it is now (below) or its write waits for the next sync;
4. the write asks for the written rows back in the same response (``includeValuesInResponse``)
   and compares their key; a mismatch can only come from a change made between (3) and the write
   that Google's metadata did not follow (what Google does with row metadata on a sort or a
   copy-paste is not documented), and is reported.

Requests: none of its own on a sync whose rows are anchored; +1 write (2) when some are not.
Only when rows moved during the run so that (3) refuses an anchor: +1 write (the anchor made
again where the check found the row) and +1 read (read back through it: a
``values:batchGetByDataFilter`` with a ``developerMetadataLookup``, Google finding the row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from gspread import http_client

from .. import schema as s
from ..messages import Message
from ..retry import Transient
from . import Cell, Changes, RowAnchor, cell_text, row_key, tab_of
from .sheets_client import SheetsClient
from .sheets_grid import Json, TabInfo, encode, parts, title_of

KEY = "dip-sheets:row"
#: what the metadata read asks for besides the tabs' properties: the rows' developer metadata.
FIELDS = "data(rowMetadata(developerMetadata(metadataId,metadataKey,metadataValue)))"
_RENDER = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}


class Api(Protocol):
    """What this module needs of :class:`~.sheets.SheetsRegister`."""

    body_limit: int

    @property
    def http(self) -> SheetsClient: ...

    def structure(self, requests_: list[Json]) -> None: ...


@dataclass(frozen=True)
class Target:
    """One row to write: where the session's re-read found it, its key then and once written
    (an assigned ID changes it), and the cells."""

    tab: str
    row: int
    key: str
    after: str
    cells: dict[int, Cell]


def name_of(tab: str, key: str) -> str:
    """An anchor's name: the tab and the row's ID (its whole key when it has no ID yet)."""
    ident = key.partition("|")[0]
    return f"{tab}!{ident or key}"


def lookup(key: str) -> Json:
    return {"developerMetadataLookup": {"locationType": "ROW", "metadataKey": KEY,
                                        "metadataValue": key}}


def targets(cells: Mapping[tuple[str, int, int], Cell], current: Mapping[str, list[list[Cell]]]
            ) -> list[Target]:
    """The session's cell writes grouped by row, each with the row's key as re-read."""
    by_row: dict[tuple[str, int], dict[int, Json]] = {}
    for (tab, row, column), value in cells.items():
        by_row.setdefault((tab, row), {})[column] = value
    result = []
    for (tab, row), values in sorted(by_row.items()):
        rows = current[tab]
        definition = tab_of(tab)
        columns = s.locate_columns(definition, rows[0])
        written = list(rows[row]) + [None] * (max(values) + 1 - len(rows[row]))
        for column, value in values.items():
            written[column] = value
        result.append(Target(tab, row, row_key(definition, columns, rows[row]),
                             row_key(definition, columns, written), values))
    return result


def url_of(spreadsheet_id: str) -> str:
    return str(vars(http_client)["SPREADSHEET_URL"] % spreadsheet_id)


def plan(changes: Changes, tabs: Mapping[str, TabInfo]) -> tuple[list[Json], list[str]]:
    """The anchors the writes of ``changes`` go through (their names), and the ``:batchUpdate``
    requests that put the missing ones on the rows where the writes' anchors say they are, as the
    metadata ``tabs`` (read this run) knows them. Anchors of another name on such a row, or of
    the same name on another row, go."""
    after: dict[RowAnchor, str] = {}
    for write in changes.writes:
        anchor = write.anchor
        ident, _, digest = anchor.key.partition("|")
        if write.header == tab_of(anchor.tab).key_header:
            ident = cell_text(write.value)
        elif anchor in after:
            continue
        after[anchor] = name_of(anchor.tab, f"{ident}|{digest}")
    wanted: dict[tuple[str, str], set[int]] = {}
    for anchor, name in after.items():
        if anchor.tab in tabs:
            wanted.setdefault((anchor.tab, name), set()).add(anchor.row)
    requests_: list[Json] = []
    for (tab, name), rows in sorted(wanted.items()):
        info = tabs[tab]
        if len(rows) > 1:  # two rows for one name (a copied ID): neither is written now
            continue
        (row,) = rows
        placed = {r for r, entries in info.row_metadata.items()
                  for e in entries if e.get("metadataKey") == KEY and e.get("metadataValue") == name}
        if placed == {row}:
            continue
        if placed:
            requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup(name)}})
        for entry in info.row_metadata.get(row, ()):
            if entry.get("metadataKey") == KEY and entry.get("metadataValue") != name \
                    and "metadataId" in entry:
                requests_.append({"deleteDeveloperMetadata": {"dataFilter": {
                    "developerMetadataLookup": {"metadataId": entry["metadataId"]}}}})
        requests_.append({"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": KEY, "metadataValue": name, "visibility": "DOCUMENT",
            "location": {"dimensionRange": {"sheetId": info.sheet_id, "dimension": "ROWS",
                                            "startIndex": row, "endIndex": row + 1}}}}})
    return requests_, sorted({name for _, name in wanted})


def learn(tabs: Mapping[str, TabInfo], reply: Json) -> None:
    """Keep the metadata ``tabs`` as a ``:batchUpdate`` of :func:`plan` left them (from its reply),
    so later batches of the same run need not read them again."""
    by_id = {info.sheet_id: info for info in tabs.values()}
    for answer in reply.get("replies", []):
        for metadata in (answer.get("deleteDeveloperMetadata") or {}).get(
                "deletedDeveloperMetadata", []):
            for entries in _rows_of(by_id, metadata).row_metadata.values():
                entries[:] = [e for e in entries if e.get("metadataId") != metadata["metadataId"]]
        created = (answer.get("createDeveloperMetadata") or {}).get("developerMetadata")
        if created:
            row = int(created["location"]["dimensionRange"].get("startIndex", 0))
            _rows_of(by_id, created).row_metadata.setdefault(row, []).append(created)


def _rows_of(by_id: Mapping[int, TabInfo], metadata: Json) -> TabInfo:
    return by_id[int(metadata["location"]["dimensionRange"].get("sheetId", 0))]


def _sound(target: Target, found: Mapping[str, tuple[str, str] | None]) -> bool:
    return found.get(name_of(target.tab, target.after)) == (target.tab, target.key)


def write(api: Api, spreadsheet_id: str, tabs: Mapping[str, TabInfo],
          current: Mapping[str, list[list[Cell]]], planned: Sequence[Target],
          found: dict[str, tuple[str, str] | None], positional: Sequence[Json],
          recheck: bool = False) -> tuple[list[Message], list[Target]]:
    """Write ``positional`` (value ranges by position: appended history rows, a system tab
    rewritten whole) and ``planned`` through their anchors (``found``: :func:`read`'s answer) in
    one request; what could not be placed safely is left for the next sync and said (and the
    targets written are returned). With
    ``recheck`` (another request went out since :func:`read`: the grid grown) the anchors are
    read again first (+1 read), so nothing but the write itself follows their last check."""
    if not planned and not positional:
        return [], []
    url = url_of(spreadsheet_id)
    if recheck and planned:
        found = _check(api, url, current, sorted({name_of(t.tab, t.after) for t in planned}))
    missing = [t for t in planned if not _sound(t, found)]
    if missing:  # rows moved since the anchors were planned: anchored again where they are now
        found |= _again(api, url, tabs, current, missing)
    ready = [t for t in planned if _sound(t, found)]
    notices: list[Message] = []
    left = len(planned) - len(ready)
    if left:
        notices.append(Message(
            f"{left} baris berpindah selama sinkronisasi; tulisannya ditunda ke sinkronisasi"
            " berikutnya.",
            f"{left} rows moved during the sync; their writes wait for the next sync."))
    data = [{"dataFilter": {"a1Range": r["range"]}, "majorDimension": "ROWS",
             "values": r["values"]} for r in positional]  # first: a history row is never lost
    for target in ready:
        width = max(target.cells) + 1
        values = [encode(target.cells[c]) if c in target.cells else None for c in range(width)]
        data.append({"dataFilter": lookup(name_of(target.tab, target.after)),
                     "majorDimension": "ROWS", "values": [values]})
    misplaced = 0
    for part in parts(data, api.body_limit):
        reply = api.http.request("post", f"{url}/values:batchUpdateByDataFilter", json={
            "valueInputOption": "RAW", "data": part, "includeValuesInResponse": True,
            "responseValueRenderOption": "UNFORMATTED_VALUE",
            "responseDateTimeRenderOption": "SERIAL_NUMBER"}).json()
        misplaced += _misplaced(reply, ready, current)
    if misplaced:
        notices.append(Message(
            f"PERIKSA: {misplaced} baris ditulis setelah berpindah dengan cara yang tidak diikuti"
            " Google (mis. diurutkan); periksa kolom sistem baris-baris itu.",
            f"CHECK: {misplaced} rows were written after moving in a way Google did not follow"
            " (e.g. sorted); check those rows' system columns."))
    return notices, ready


def _again(api: Api, url: str, tabs: Mapping[str, TabInfo],
           current: Mapping[str, list[list[Cell]]], missing: Sequence[Target]
           ) -> dict[str, tuple[str, str] | None]:
    """Anchor ``missing`` on the rows where the re-read found them (one ``:batchUpdate``) and read
    them back (1 read), only when rows moved during the run. A retry first reads the anchors (a
    lost reply's batch may have made them) and sends only what is still missing."""
    names = [name_of(t.tab, t.after) for t in missing]
    state = {"failed": False}

    def attempt() -> None:
        checked = _check(api, url, current, names) if state["failed"] else {}
        requests_: list[Json] = []
        for target, name in zip(missing, names, strict=True):
            if _sound(target, checked):
                continue
            requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup(name)}})
            requests_.append({"createDeveloperMetadata": {"developerMetadata": {
                "metadataKey": KEY, "metadataValue": name, "visibility": "DOCUMENT",
                "location": {"dimensionRange": {
                    "sheetId": tabs[target.tab].sheet_id, "dimension": "ROWS",
                    "startIndex": target.row, "endIndex": target.row + 1}}}}})
        try:
            api.structure(requests_)
        except Transient:
            state["failed"] = True
            raise

    api.http.policy.call(attempt)
    return _check(api, url, current, names)


def _check(api: Api, url: str, current: Mapping[str, list[list[Cell]]], names: Sequence[str]
           ) -> dict[str, tuple[str, str] | None]:
    matched: list[Json] = []
    for part in parts([lookup(n) for n in names], api.body_limit):
        reply = api.http.request("post", f"{url}/values:batchGetByDataFilter",
                                 json={"dataFilters": part, "majorDimension": "ROWS", **_RENDER}
                                 ).json()
        matched += reply.get("valueRanges", [])
    return _found(matched, current)


def _found(matched: Sequence[Json], current: Mapping[str, list[list[Cell]]]
           ) -> dict[str, tuple[str, str] | None]:
    """Anchor name -> the tab and the key of the one row it is on (``None``: on several rows)."""
    found: dict[str, tuple[str, str] | None] = {}
    rows: dict[str, set[str]] = {}
    for entry in matched:
        value_range = entry.get("valueRange", {})
        where = value_range.get("range", "")
        tab = title_of(where)
        if not current.get(tab):
            continue
        row = (value_range.get("values") or [[]])[0]
        key = row_key(tab_of(tab), s.locate_columns(tab_of(tab), current[tab][0]), row)
        for data_filter in entry.get("dataFilters", []):
            name = data_filter["developerMetadataLookup"]["metadataValue"]
            rows.setdefault(name, set()).add(where)
            found[name] = (tab, key) if len(rows[name]) == 1 else None
    return found


def _misplaced(reply: Json, planned: Sequence[Target], current: Mapping[str, list[list[Cell]]]) -> int:
    """Rows the write reached that do not hold the item it was meant for: their key once written
    (the ID and a digest of what staff own, which the sync never writes) is not the anchor's."""
    by_key = {name_of(t.tab, t.after): t for t in planned}
    count = 0
    for response in reply.get("responses", []):
        key = response.get("dataFilter", {}).get("developerMetadataLookup", {}).get(
            "metadataValue")
        target = by_key.get(key)
        if target is None:
            continue
        definition = tab_of(target.tab)
        row = ((response.get("updatedData") or {}).get("values") or [[]])[0]
        columns = s.locate_columns(definition, current[target.tab][0])
        if row_key(definition, columns, row) != target.after:
            count += 1
    return count
