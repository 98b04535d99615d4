"""Writes that Google, not dip-sheets, puts on the right row: row-level developer metadata.

Between re-reading a tab and writing it, a person may insert, delete or sort rows. A write by
position would then land on another item's row. Instead each row written to carries developer
metadata (key :data:`KEY`, value the row's key as :func:`~dip_sheets.register.row_key` computes
it: its ID plus a digest of what staff own). Google keeps row metadata with its row when rows are
inserted or deleted and deletes it with the row, so ``values:batchUpdateByDataFilter`` with a
``developerMetadataLookup`` writes where the row is *when the write is applied*.

Every write is checked three ways, because what Google does with row metadata on a sort or a
copy-paste is not documented:

1. before writing, one ``values:batchGetByDataFilter`` reads every anchored row through its
   metadata and keeps only anchors found exactly once on a row whose content still has that key
   (a row pasted over, or metadata left behind by a sort, fails this);
2. an anchor missing or failing that check is (re)created on the row where the re-read found the
   item (one ``:batchUpdate``), then read back the same way; what still fails is not written now
   (the next sync writes it);
3. the write asks for the written rows back in the same response (``includeValuesInResponse``)
   and compares their ID cell; a mismatch can only come from a change applied between (1) and the
   write that Google's metadata did not follow, and is reported.

Requests: +1 read (the check) per batch of writes; +1 write and +1 read only for rows not yet
anchored (a first sync, new rows, rows whose key changed); all flat in rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from gspread import http_client

from .. import schema as s
from ..messages import Message
from . import Cell, row_key, tab_of
from .sheets_client import SheetsClient
from .sheets_grid import Json, TabInfo, encode, last_row, parts, quoted

KEY = "dip-sheets:row"
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


def read(api: Api, spreadsheet_id: str, names: Sequence[str], keys: Sequence[str]
         ) -> tuple[dict[str, tuple[list[list[Cell]], int | None]], dict[str, str | None]]:
    """The tabs ``names`` and the anchors of ``keys``, in one request (one per 1.5 MB of keys):
    each tab's rows and grid height as they are now and, per key, whether its anchor is sound
    (see :func:`_found`)."""
    filters = [{"a1Range": quoted(n)} for n in names] + [lookup(k) for k in keys]
    grids: dict[str, tuple[list[list[Cell]], int | None]] = {}
    matched: list[Json] = []
    for part in parts(filters, api.body_limit):
        reply = api.http.request("post", f"{url_of(spreadsheet_id)}/values:batchGetByDataFilter",
                                 json={"dataFilters": part, "majorDimension": "ROWS", **_RENDER}
                                 ).json()
        for entry in reply.get("valueRanges", []):
            a1 = [f["a1Range"] for f in entry.get("dataFilters", []) if "a1Range" in f]
            value_range = entry.get("valueRange", {})
            if a1:  # the echoed range is the whole grid as it is now
                grids[_tab_of_range(a1[0])] = ([list(r) for r in value_range.get("values", [])],
                                               last_row(value_range.get("range", "")))
            else:
                matched.append(entry)
    return grids, _found(matched, {name: rows for name, (rows, _) in grids.items()},
                         {k: k for k in keys})


def write(api: Api, spreadsheet_id: str, tabs: Mapping[str, TabInfo],
          current: Mapping[str, list[list[Cell]]], planned: Sequence[Target],
          found: dict[str, str | None], appended: Sequence[Json]) -> list[Message]:
    """Write ``appended`` (value ranges by position, at the end of history tabs) and ``planned``
    through their anchors (``found``: :func:`read`'s answer) in one request; what could not be
    placed safely is left for the next sync and said."""
    if not planned and not appended:
        return []
    url = url_of(spreadsheet_id)
    # an anchor is named by the row's key once written, so the next sync finds it as it is
    missing = [t for t in planned if found.get(t.key) != t.tab or t.after != t.key]
    if missing:
        checked = _anchor(api, url, tabs, current, missing, found)
        found |= {t.key: checked.get(t.after) for t in missing}
    ready = [t for t in planned if found.get(t.key) == t.tab]
    notices: list[Message] = []
    left = len(planned) - len(ready)
    if left:
        notices.append(Message(
            f"{left} baris berpindah selama sinkronisasi; tulisannya ditunda ke sinkronisasi"
            " berikutnya.",
            f"{left} rows moved during the sync; their writes wait for the next sync."))
    data = [{"dataFilter": {"a1Range": r["range"]}, "majorDimension": "ROWS",
             "values": r["values"]} for r in appended]  # first: a history row is never lost
    for target in ready:
        width = max(target.cells) + 1
        values = [encode(target.cells[c]) if c in target.cells else None for c in range(width)]
        data.append({"dataFilter": lookup(target.after), "majorDimension": "ROWS",
                     "values": [values]})
    misplaced = 0
    for part in parts(data, api.body_limit):
        reply = api.http.request("post", f"{url}/values:batchUpdateByDataFilter", json={
            "valueInputOption": "RAW", "data": part, "includeValuesInResponse": True,
            "responseValueRenderOption": "UNFORMATTED_VALUE",
            "responseDateTimeRenderOption": "SERIAL_NUMBER"}).json()
        misplaced += _misplaced(reply, planned, current)
    if misplaced:
        notices.append(Message(
            f"PERIKSA: {misplaced} baris ditulis setelah berpindah dengan cara yang tidak diikuti"
            " Google (mis. diurutkan); periksa kolom sistem baris-baris itu.",
            f"CHECK: {misplaced} rows were written after moving in a way Google did not follow"
            " (e.g. sorted); check those rows' system columns."))
    return notices


def _anchor(api: Api, url: str, tabs: Mapping[str, TabInfo],
            current: Mapping[str, list[list[Cell]]], missing: Sequence[Target],
            found: Mapping[str, str | None]) -> dict[str, str | None]:
    """Anchor ``missing`` on the rows where the session found them (one ``:batchUpdate``) and
    read the anchors back. Each attempt first reads the anchors (an earlier run or an attempt
    whose reply was lost may have made them) and sends only what is still missing, so the batch
    is never resent as it was; anchors found twice or on a row with other content are replaced."""

    def attempt() -> None:
        checked = _check(api, url, current, missing)
        requests_: list[Json] = []
        for target in missing:
            if checked.get(target.after) == target.tab:
                continue
            if target.key in found and target.key != target.after:  # the row's old anchors
                requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup(target.key)}})
            if target.after in checked:  # duplicated, or left on another row: gone
                requests_.append({"deleteDeveloperMetadata": {"dataFilter": lookup(target.after)}})
            requests_.append({"createDeveloperMetadata": {"developerMetadata": {
                "metadataKey": KEY, "metadataValue": target.after, "visibility": "DOCUMENT",
                "location": {"dimensionRange": {
                    "sheetId": tabs[target.tab].sheet_id, "dimension": "ROWS",
                    "startIndex": target.row, "endIndex": target.row + 1}}}}})
        if requests_:
            api.structure(requests_)

    api.http.policy.call(attempt)
    return _check(api, url, current, missing)


def _check(api: Api, url: str, current: Mapping[str, list[list[Cell]]],
           planned: Sequence[Target]) -> dict[str, str | None]:
    """The anchors just made for ``planned`` (named by their key once written), checked."""
    matched: list[Json] = []
    for part in parts([lookup(t.after) for t in planned], api.body_limit):
        reply = api.http.request("post", f"{url}/values:batchGetByDataFilter",
                                 json={"dataFilters": part, "majorDimension": "ROWS", **_RENDER}
                                 ).json()
        matched += reply.get("valueRanges", [])
    return _found(matched, current, {t.after: t.key for t in planned})


def _found(matched: Sequence[Json], current: Mapping[str, list[list[Cell]]],
           expect: Mapping[str, str]) -> dict[str, str | None]:
    """Anchor name -> the tab where it is found exactly once, on a row whose content has the key
    ``expect`` says (a row pasted over, or an anchor a sort left behind, fails this); ``None``
    for an anchor found but failing; absent for one not found."""
    found: dict[str, str | None] = {}
    seen: dict[str, int] = {}
    for entry in matched:
        for data_filter in entry.get("dataFilters", []):
            key = data_filter["developerMetadataLookup"]["metadataValue"]
            seen[key] = seen.get(key, 0) + 1
            value_range = entry.get("valueRange", {})
            tab = _tab_of_range(value_range.get("range", ""))
            row = (value_range.get("values") or [[]])[0]
            ok = bool(current.get(tab)) and row_key(
                tab_of(tab), s.locate_columns(tab_of(tab), current[tab][0]), row) == expect.get(key)
            found[key] = tab if ok and seen[key] == 1 else None
    return found


def _misplaced(reply: Json, planned: Sequence[Target], current: Mapping[str, list[list[Cell]]]) -> int:
    """Rows the write reached that do not hold the item it was meant for: their key once written
    (the ID and a digest of what staff own, which the sync never writes) is not the anchor's."""
    by_key = {t.after: t for t in planned}
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


def _tab_of_range(a1: str) -> str:
    """``'DIP'!A5:Z5`` -> ``DIP``."""
    title = a1.rsplit("!", 1)[0]
    if title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    return title
