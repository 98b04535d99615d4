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


#: how the values API renders an error cell (``UNFORMATTED_VALUE`` still shows the error's text);
#: a grid read gives ``effectiveValue.errorValue.type`` instead (ErrorValue.ErrorType).
_ERRORS = {"ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!",
           "VALUE": "#VALUE!", "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
           "LOADING": "Loading..."}


def grid_rows(data: Json) -> list[list[Cell]]:
    """A sheet's ``data`` of a masked grid read (``rowData.values.effectiveValue``) as the rows
    ``values:batchGet`` gives with ``UNFORMATTED_VALUE`` and ``SERIAL_NUMBER``: numbers stay
    numbers (dates as serial numbers), empty cells ``""``, trailing empty cells and rows left
    out, an empty row ``[]``."""
    rows: list[list[Cell]] = []
    for grid in data:
        start = int(grid.get("startRow", 0))
        rows.extend([] for _ in range(start - len(rows)))
        for entry in grid.get("rowData", []):
            row = [_effective(cell.get("effectiveValue")) if isinstance(cell, dict) else cell
                   for cell in entry.get("values", [])]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def parse_grid(text: str) -> Json:
    """A masked grid read's JSON with each cell made its value as it is parsed (see
    :func:`grid_rows`): a cell is then a number or a string, not two dicts, which at 10,000 rows
    parses in half the time and a fifth of the memory."""
    return json.loads(text, object_hook=_cell)


def _cell(data: dict[str, Json]) -> Json:
    return _effective(data["effectiveValue"]) if len(data) == 1 and "effectiveValue" in data \
        else data


def _effective(value: Json) -> Cell:
    """ExtendedValue -> the cell as the values API renders it unformatted."""
    if not value:
        return ""
    if "errorValue" in value:
        return _ERRORS.get(str(value["errorValue"].get("type")), "#ERROR!")
    result: Cell = next(iter(value.values()))
    return result


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


def title_of(a1: str) -> str:
    """``'DIP'!A5:Z5`` -> ``DIP``."""
    title = a1.rsplit("!", 1)[0]
    if title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    return title


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
