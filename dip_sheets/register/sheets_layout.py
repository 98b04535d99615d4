"""``dip init`` on a Google sheet: the plan of :mod:`.plan` as one ``:batchUpdate``.

Missing tabs are created; missing headers are added after the last used header cell (with their
width and note); every staff column with fixed choices gets a strict dropdown; the look of each tab
(:mod:`.sheets_format`: header format, frozen panes, the finding rule) and the ``Petunjuk`` and
``Ringkasan`` tabs are set again; the plan's protections are added or repaired. Nothing is sent when
nothing is missing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Protocol

from .. import guide_tab
from .. import schema as s
from ..messages import Message
from . import Layout, plan
from . import sheets_format as look
from .sheets_format import Found
from .sheets_grid import NEW_TAB_ROWS, Json, TabInfo, quoted
from .sheets_protections import Editors, layout_requests, role_editors


class _Api(Protocol):
    account: str

    def metadata(self, refresh: bool = False) -> dict[str, TabInfo]: ...
    def get(self, params: Json) -> Json: ...


def missing(api: _Api, layout: Layout) -> tuple[list[Json], list[Message]]:
    """The one ``:batchUpdate`` that repairs the sheet as it is now, and what it does (nothing is
    sent by this function: the caller sends it once and plans again after a lost reply)."""
    who = role_editors(layout, api.account)
    tabs = api.metadata(refresh=True)
    present = [n for n in (*(t.name for t in layout.tabs), guide_tab.GUIDE_TAB, s.DASHBOARD_TAB)
               if n in tabs]
    grids = _grid_data(api, present) if present else {}
    ids = {t.sheet_id for t in tabs.values()}
    requests_: list[Json] = []
    done: list[Message] = []
    for tab in layout.tabs:
        info = tabs.get(tab.name)
        created = info is None
        if info is None:
            info = _add_tab(tab.name, max(26, len(tab.columns)), ids, requests_, frozen=1)
            done.append(Message(f"Tab '{tab.name}' dibuat dengan {len(tab.columns)} kolom.",
                                f"Tab '{tab.name}' created with {len(tab.columns)} columns."))
        seen = Found() if created else grids.get(tab.name, Found())
        cells = seen.cells
        header = [_cell_text(c) for c in (cells[0] if cells else [])]
        columns = _repair_header(tab, info, header, requests_, [] if created else done)
        formats, said = look.tab_requests(tab, info, columns, seen, not plan.is_system_tab(tab.name))
        requests_ += formats
        done += [] if created else said
        _repair_dropdowns(tab, info, columns, cells, layout, requests_, done)
        protect, protected = layout_requests(tab, info, columns, who)
        requests_ += protect
        done += protected
    _guide(tabs.get(guide_tab.GUIDE_TAB), grids, ids, who, requests_, done)
    _dashboard(tabs.get(s.DASHBOARD_TAB), grids, ids, who, requests_, done)
    return requests_, done


def _add_tab(name: str, columns: int, ids: set[int], requests_: list[Json], frozen: int = 0
             ) -> TabInfo:
    sheet_id = _free_id(ids)
    ids.add(sheet_id)
    info = TabInfo(name, sheet_id, NEW_TAB_ROWS, columns, frozen, [])
    requests_.append({"addSheet": {"properties": {
        "sheetId": sheet_id, "title": name,
        "gridProperties": {"rowCount": info.row_count, "columnCount": info.col_count,
                           "frozenRowCount": frozen}}}})
    return info


def _guide(info: TabInfo | None, grids: Mapping[str, Found], ids: set[int],
           who: Mapping[s.Role, Editors], requests_: list[Json], done: list[Message]) -> None:
    """The ``Petunjuk`` tab (written here from the schema), protected as a whole."""
    if info is None:
        info = _add_tab(guide_tab.GUIDE_TAB, 26, ids, requests_)
    written, said = look.guide_requests(info, grids.get(guide_tab.GUIDE_TAB, Found()))
    requests_ += written
    done += said
    protect, protected = layout_requests(s.Tab(guide_tab.GUIDE_TAB, ()), info, {}, who)
    requests_ += protect
    done += protected


def _dashboard(info: TabInfo | None, grids: Mapping[str, Found], ids: set[int],
               who: Mapping[s.Role, Editors], requests_: list[Json], done: list[Message]) -> None:
    """The ``Ringkasan`` tab (the sync fills it), protected as a whole for the sync alone."""
    created = info is None
    if info is None:
        info = _add_tab(s.DASHBOARD_TAB, 26, ids, requests_)
        done.append(Message(f"Tab '{s.DASHBOARD_TAB}' dibuat (diisi oleh sinkronisasi).",
                            f"Tab '{s.DASHBOARD_TAB}' created (the sync fills it)."))
    formats, said = look.dashboard_requests(info, grids.get(s.DASHBOARD_TAB, Found()))
    requests_ += formats
    done += [] if created else said
    protect, protected = layout_requests(s.DASHBOARD, info, {}, who)
    requests_ += protect
    done += protected


def _grid_data(api: _Api, names: Sequence[str]) -> dict[str, Found]:
    """Cells (value, dropdown rule, format), sizes, frozen columns and conditional formats of whole
    tabs, in one request."""
    ranges = [quoted(n) + (f"!{look.DASHBOARD_RANGE}" if n == s.DASHBOARD_TAB else "")
              for n in names]
    return look.found(api.get({"includeGridData": "true", "ranges": ranges, "fields": look.FIELDS}))


def _repair_header(tab: s.Tab, info: TabInfo, header: list[str], requests_: list[Json],
                   done: list[Message]) -> dict[str, int]:
    """Add the missing headers; ``done`` is not told about those of a tab just created."""
    missing = plan.missing_headers(tab, header)
    del header[missing.start:]
    if missing.columns:
        start, count = missing.start, len(missing.columns)
        if start + count > info.col_count:
            requests_.append({"appendDimension": {
                "sheetId": info.sheet_id, "dimension": "COLUMNS",
                "length": start + count - info.col_count}})
            info.col_count = start + count
        requests_.append({"updateCells": {
            "start": {"sheetId": info.sheet_id, "rowIndex": 0, "columnIndex": start},
            "rows": [{"values": [{"userEnteredValue": {"stringValue": c.header},
                                  "note": guide_tab.column_help(c)} for c in missing.columns]}],
            "fields": "userEnteredValue,note"}})
        for offset, column in enumerate(missing.columns):
            requests_.append({"updateDimensionProperties": {
                "range": {"sheetId": info.sheet_id, "dimension": "COLUMNS",
                          "startIndex": start + offset, "endIndex": start + offset + 1},
                "properties": {"pixelSize": column.width * 7 + 12}, "fields": "pixelSize"}})
        header += [c.header for c in missing.columns]
        names = ", ".join(f"'{c.header}'" for c in missing.columns)
        done.append(Message(f"Tab '{tab.name}': kolom {names} ditambahkan di akhir baris judul.",
                            f"Tab '{tab.name}': columns {names} added at the end of the header"
                            " row."))
    return s.locate_columns(tab, header)


def _repair_dropdowns(tab: s.Tab, info: TabInfo, columns: Mapping[str, int],
                      cells: Sequence[Sequence[Json]], layout: Layout,
                      requests_: list[Json], done: list[Message]) -> None:
    """A strict dropdown on every row below the header of each column with fixed choices."""
    for dropdown in plan.dropdowns(tab, layout):
        if not dropdown.choices:
            done.append(plan.no_units_warning(tab))
            continue
        rule = {"condition": {"type": "ONE_OF_LIST",
                              "values": [{"userEnteredValue": v} for v in dropdown.choices]},
                "strict": True, "showCustomUi": True,
                "inputMessage": guide_tab.column_help(tab.column(dropdown.header))}
        index = columns[dropdown.header]
        if all(_same_rule(look.cell(cells, row, index).get("dataValidation"), rule)
               for row in range(1, info.row_count)):
            continue
        requests_.append({"setDataValidation": {"range": {
            "sheetId": info.sheet_id, "startRowIndex": 1, "endRowIndex": info.row_count,
            "startColumnIndex": index, "endColumnIndex": index + 1}, "rule": rule}})
        done.append(Message(f"Tab '{tab.name}': dropdown dipasang di kolom '{dropdown.header}'.",
                            f"Tab '{tab.name}': dropdown set on column '{dropdown.header}'."))


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
            and bool(found.get("strict")) == wanted["strict"]
            and found.get("inputMessage") == wanted["inputMessage"])


def _free_id(taken: set[int]) -> int:
    while True:
        candidate = random.randint(1, 2**31 - 1)
        if candidate not in taken:
            return candidate
