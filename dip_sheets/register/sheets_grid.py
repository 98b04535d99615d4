"""The Google sheet's grid as the API describes it: tab metadata, A1 ranges and value batches."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from . import Cell

Json = Any
#: largest values:batchUpdate body; Google advises keeping payloads under 2 MB.
MAX_BODY = 1_500_000
NEW_TAB_ROWS = 1000
#: Google refuses a cell holding more characters than this (a whole write with it).
MAX_CELL_CHARS = 50_000


@dataclass
class TabInfo:
    """A tab as the spreadsheet's metadata describes it."""

    title: str
    sheet_id: int
    row_count: int
    col_count: int
    frozen_rows: int
    protections: list[Json]
    #: developer metadata on rows (row index -> entries), where the metadata read asked for it
    #: (see :mod:`.sheets_anchors`).
    row_metadata: dict[int, list[Json]] = field(default_factory=dict)


def tab_infos(data: Json) -> dict[str, TabInfo]:
    """``spreadsheets.get`` (properties, protected ranges, row metadata) -> tabs by title."""
    tabs: dict[str, TabInfo] = {}
    for sheet in data.get("sheets", []):
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        tabs[props["title"]] = TabInfo(
            props["title"], int(props.get("sheetId", 0)), int(grid.get("rowCount", 0)),
            int(grid.get("columnCount", 0)), int(grid.get("frozenRowCount", 0)),
            list(sheet.get("protectedRanges", [])), {
                int(grid_data.get("startRow", 0)) + offset: list(entry["developerMetadata"])
                for grid_data in sheet.get("data", [])
                for offset, entry in enumerate(grid_data.get("rowMetadata", []))
                if entry.get("developerMetadata")})
    return tabs


def parts(ranges: list[Json], limit: int = MAX_BODY) -> list[list[Json]]:
    """Split value ranges into request bodies of about ``limit`` bytes (Google advises < 2 MB).

    A normal sync fits in one; only a first sync of tens of thousands of rows needs several.
    """
    result: list[list[Json]] = []
    size = limit
    for value_range in ranges:
        length = len(json.dumps(value_range, ensure_ascii=False).encode())
        if size + length > limit and (not result or result[-1]):
            result.append([])
            size = 0
        result[-1].append(value_range)
        size += length
    return [p for p in result if p]


def value_ranges(cells: Mapping[tuple[str, int, int], Json]) -> list[Json]:
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
    first = f"{letter(col)}{row + 1}"
    last = f":{letter(col + len(values) - 1)}{row + 1}" if len(values) > 1 else ""
    return {"range": f"{quoted(name)}!{first}{last}", "values": [values]}


def letter(index: int) -> str:
    """A1 letters of a 0-based column index."""
    return str(get_column_letter(index + 1))


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def last_row(a1: str) -> int | None:
    """``'DIP'!A1:Z1000`` -> 1000."""
    match = re.search(r"!\$?[A-Za-z]*\$?\d*:\$?[A-Za-z]*\$?(\d+)$", a1)
    return int(match[1]) if match else None


def encode(value: Cell) -> Json:
    """A cell for a RAW write: text stays text ("DIP-0007", "2024"), numbers stay numbers.

    Text longer than a cell may hold (a ``Catatan Sinkron`` listing many findings) is cut and
    ends with "…", rather than having Google refuse the whole batch.
    """
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return value[:MAX_CELL_CHARS - 1] + "…"
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
