"""How the Google sheet looks after ``dip init``, as requests for the one ``:batchUpdate`` it sends.

The same look as the workbook's (:mod:`.workbook_guide`): headers bold, sans-serif, wrapped and
coloured by the role that fills them, in a row tall enough to read them; the header row and the
columns up to the title frozen; ``Catatan Sinkron`` wrapped; rows with a finding shaded by a
conditional format rule; the ``Petunjuk`` tab written from :mod:`~dip_sheets.guide_tab`; the
``Ringkasan`` tab readable (its title bold, its sections' first rows bold and shaded by a rule,
since the sync rewrites only its values). Each part is compared with what the one grid read of
``dip init`` found, so a second ``dip init`` sends nothing; the sync sends none of this.

Print settings are not part of the Sheets API: docs/PANDUAN.md says what to choose in File > Print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .. import guide_tab as g
from .. import schema as s
from ..messages import Message
from . import trimmed
from .sheets_grid import Json, TabInfo, letter

#: the header row's height in pixels (three wrapped lines; the workbook's 54 points)
HEADER_HEIGHT = 72
#: the rule shading rows with a finding starts so: how ``dip init`` knows it is its own
FINDING_RULE = "=LEN(TRIM($"
#: the rule marking the Ringkasan's section headings (a row after an empty one)
HEADING_RULE = "=AND(ROW()>2,COUNTA("
#: the part of the Ringkasan tab the grid read of ``dip init`` needs (its look, not its content)
DASHBOARD_RANGE = f"A1:{letter(len(g.DASHBOARD_WIDTHS) - 1)}2"
#: what the grid read of ``dip init`` asks for, besides values and dropdowns
FIELDS = ("sheets(properties(title,gridProperties(frozenColumnCount)),conditionalFormats,"
          "data(rowMetadata(pixelSize),columnMetadata(pixelSize),rowData(values(effectiveValue,"
          "dataValidation,userEnteredFormat(backgroundColor,textFormat(bold,fontFamily),"
          "wrapStrategy,verticalAlignment)))))")
_HEADER = {"textFormat": {"bold": True, "fontFamily": g.FONT}, "wrapStrategy": "WRAP",
           "verticalAlignment": "TOP"}
_LOOK_FIELDS = ("userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold,"
                "userEnteredFormat.textFormat.fontFamily,userEnteredFormat.wrapStrategy,"
                "userEnteredFormat.verticalAlignment")
_WRAP = {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
_WRAP_FIELDS = "userEnteredFormat.wrapStrategy,userEnteredFormat.verticalAlignment"


@dataclass
class Found:
    """A tab as the grid read of ``dip init`` found it (empty for a tab just created)."""

    cells: list[list[Json]] = field(default_factory=list)
    heights: list[int] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    frozen_columns: int = 0
    rules: list[Json] = field(default_factory=list)


def found(data: Json) -> dict[str, Found]:
    """``spreadsheets.get`` with grid data (asked with :data:`FIELDS`) -> tabs by title."""
    result: dict[str, Found] = {}
    for sheet in data.get("sheets", []):
        block = (sheet.get("data") or [{}])[0]
        props = sheet["properties"]
        result[props["title"]] = Found(
            [row.get("values", []) for row in block.get("rowData", [])],
            [int(m.get("pixelSize", 0)) for m in block.get("rowMetadata", [])],
            [int(m.get("pixelSize", 0)) for m in block.get("columnMetadata", [])],
            int((props.get("gridProperties") or {}).get("frozenColumnCount", 0)),
            list(sheet.get("conditionalFormats", [])))
    return result


def rgb(hex_colour: str) -> Json:
    """``"FCE4D6"`` -> a Google Color (components from 0 to 1)."""
    return {name: int(hex_colour[i:i + 2], 16) / 255
            for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def hex_of(colour: Json) -> str:
    """A Google Color (which omits zero components) -> ``"FCE4D6"``; white when absent."""
    if not colour:
        return "FFFFFF"
    return "".join(f"{round(float(colour.get(n, 0)) * 255):02X}" for n in ("red", "green", "blue"))


def cell(cells: Sequence[Sequence[Json]], row: int, col: int) -> Json:
    if row < len(cells) and col < len(cells[row]):
        return cells[row][col] or {}
    return {}


def frozen_columns(columns: Mapping[str, int]) -> int:
    """ID to title stay in view (the DIP tab); other tabs freeze the header row only."""
    return max(columns[s.ID], columns[s.TITLE]) + 1 if s.ID in columns and s.TITLE in columns else 0


def tab_requests(tab: s.Tab, info: TabInfo, columns: Mapping[str, int], seen: Found,
                 staff: bool) -> tuple[list[Json], list[Message]]:
    """The look of a register tab: header formats and height, frozen panes, the findings column
    wrapped and (``staff``: a tab people fill) the rule shading rows with a finding."""
    requests_: list[Json] = []
    changed: list[tuple[str, str]] = []
    for column in tab.columns:
        index = columns[column.header]
        wanted = {**_HEADER, "backgroundColor": rgb(g.ROLE_COLOURS[column.owner])}
        if not _same_look(cell(seen.cells, 0, index).get("userEnteredFormat"), wanted):
            requests_.append({"repeatCell": {"range": _area(info, 0, 1, index, index + 1),
                                             "cell": {"userEnteredFormat": wanted},
                                             "fields": _LOOK_FIELDS}})
    if requests_:
        changed.append(("format judul kolom", "header format"))
    if (seen.heights[0] if seen.heights else 0) < HEADER_HEIGHT:
        requests_.append(_size(info, "ROWS", 0, HEADER_HEIGHT))
        changed.append(("tinggi baris judul", "header row height"))
    frozen = frozen_columns(columns)
    if info.frozen_rows < 1 or seen.frozen_columns < frozen:
        grid = {"frozenRowCount": max(info.frozen_rows, 1),
                "frozenColumnCount": max(seen.frozen_columns, frozen)}
        requests_.append({"updateSheetProperties": {
            "properties": {"sheetId": info.sheet_id, "gridProperties": grid},
            "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount"}})
        changed.append(("baris judul dibekukan" + (" dengan kolom ID sampai judul" if frozen else ""),
                        "header row frozen" + (" with the columns ID to title" if frozen else "")))
    if s.NOTE in columns:
        note = columns[s.NOTE]
        if not all(_same_look(cell(seen.cells, row, note).get("userEnteredFormat"), _WRAP)
                   for row in range(1, info.row_count)):
            requests_.append({"repeatCell": {"range": _area(info, 1, None, note, note + 1),
                                             "cell": {"userEnteredFormat": _WRAP},
                                             "fields": _WRAP_FIELDS}})
            changed.append((f"kolom '{s.NOTE}' dilipat", f"column '{s.NOTE}' wrapped"))
        if staff:
            formula = f"{FINDING_RULE}{letter(note)}2))>0"
            rule = {"ranges": [_area(info, 1, None, 0, max(columns.values()) + 1)],
                    "booleanRule": {"condition": {"type": "CUSTOM_FORMULA",
                                                  "values": [{"userEnteredValue": formula}]},
                                    "format": {"backgroundColor": rgb(g.FINDING_COLOUR)}}}
            if _ensure_rule(info, seen.rules, FINDING_RULE, rule, requests_):
                changed.append(("baris dengan temuan diwarnai", "rows with a finding shaded"))
    return requests_, _said(tab.name, changed)


def guide_requests(info: TabInfo, seen: Found) -> tuple[list[Json], list[Message]]:
    """The ``Petunjuk`` tab rewritten when its text differs from what the code says, and its
    column widths."""
    lines = g.lines()
    requests_ = _widths(info, seen, g.GUIDE_WIDTHS)
    said = _said(g.GUIDE_TAB, [("lebar kolom", "column widths")] if requests_ else [])
    if trimmed([[_text(c) for c in row] for row in seen.cells]) == trimmed(
            [list(line.cells) for line in lines]):
        return requests_, said
    if len(lines) > info.row_count:
        requests_.append({"appendDimension": {"sheetId": info.sheet_id, "dimension": "ROWS",
                                              "length": len(lines) - info.row_count}})
        info.row_count = len(lines)
    width = max([len(r) for r in seen.cells] + [len(line.cells) for line in lines])
    rows = [{"values": [_guide_cell(line, i) if i < len(line.cells) else {} for i in range(width)]}
            for line in lines]
    rows += [{"values": [{}] * width} for _ in range(len(seen.cells) - len(lines))]
    requests_.append({"updateCells": {"start": {"sheetId": info.sheet_id, "rowIndex": 0,
                                                "columnIndex": 0},
                                      "rows": rows, "fields": "userEnteredValue,userEnteredFormat"}})
    return requests_, [Message(f"Tab '{g.GUIDE_TAB}' ditulis.", f"Tab '{g.GUIDE_TAB}' written.")]


def dashboard_requests(info: TabInfo, seen: Found) -> tuple[list[Json], list[Message]]:
    """The ``Ringkasan`` tab's look (the sync writes only its values): column widths, the labels
    column wrapped, the title bold, and each section's first row (a row after an empty one) bold
    and shaded by a rule. Only the labels column is wrapped: a format on every cell of the grid
    would weigh on every later request; the other columns' texts run on into their empty
    neighbours. Its first two rows stand for the rest (only the sync writes the tab)."""
    requests_ = _widths(info, seen, g.DASHBOARD_WIDTHS)
    labels = {**_WRAP, "textFormat": {"fontFamily": g.FONT}}
    if not _same_look(cell(seen.cells, 1, 0).get("userEnteredFormat"), labels):
        requests_.append({"repeatCell": {"range": _area(info, 0, None, 0, 1),
                                         "cell": {"userEnteredFormat": labels},
                                         "fields": f"{_WRAP_FIELDS},userEnteredFormat.textFormat"
                                                   ".fontFamily"}})
    title = {"textFormat": {"bold": True}}
    if not _same_look(cell(seen.cells, 0, 0).get("userEnteredFormat"), title):
        requests_.append({"repeatCell": {"range": _area(info, 0, 1, 0, 1),
                                         "cell": {"userEnteredFormat": title},
                                         "fields": "userEnteredFormat.textFormat.bold"}})
    last = letter(len(g.DASHBOARD_WIDTHS) - 1)
    rule = {"ranges": [_area(info, 1, None, 0, len(g.DASHBOARD_WIDTHS))],
            "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [
                {"userEnteredValue": f'{HEADING_RULE}$A1:${last}1)=0,$A2<>"")'}]},
                "format": {"backgroundColor": rgb(g.HEADING_COLOUR), "textFormat": {"bold": True}}}}
    _ensure_rule(info, seen.rules, HEADING_RULE, rule, requests_)
    return requests_, _said(s.DASHBOARD_TAB, [("format", "format")] if requests_ else [])


def guide_cell(text: str, kind: str, colour: str = "") -> Json:
    """One cell of a text tab: the title, a section heading, a table's header, or a row."""
    look: Json = {"textFormat": {"bold": kind != "row", "fontFamily": g.FONT},
                  "wrapStrategy": "OVERFLOW_CELL" if kind == "title" else "WRAP",
                  "verticalAlignment": "TOP"}
    if kind == "heading":
        look["backgroundColor"] = rgb(g.HEADING_COLOUR)
    if colour:
        look["backgroundColor"] = rgb(colour)
    return {"userEnteredValue": {"stringValue": text}, "userEnteredFormat": look}


def _guide_cell(line: g.Line, index: int) -> Json:
    return guide_cell(line.cells[index], line.kind, line.colour if index == 0 else "")


def _ensure_rule(info: TabInfo, rules: Sequence[Json], mark: str, wanted: Json,
                 requests_: list[Json]) -> bool:
    """Add the rule, or replace ours (known by the start of its formula) if it differs; staff's
    own rules are kept. ``True`` if a request was added."""
    index = next((i for i, r in enumerate(rules) if _formula(r).startswith(mark)), None)
    if index is None:
        requests_.append({"addConditionalFormatRule": {"rule": wanted, "index": 0}})
        return True
    if _same_rule(rules[index], wanted, info):
        return False
    requests_.append({"updateConditionalFormatRule": {"sheetId": info.sheet_id, "index": index,
                                                      "rule": wanted}})
    return True


def _formula(rule: Json) -> str:
    values = ((rule.get("booleanRule") or {}).get("condition") or {}).get("values") or [{}]
    return str(values[0].get("userEnteredValue", ""))


def _same_rule(found_rule: Json, wanted: Json, info: TabInfo) -> bool:
    def spans(rule: Json) -> list[tuple[int, int, int, int]]:
        return [(int(r.get("startRowIndex", 0)), int(r.get("endRowIndex", info.row_count)),
                 int(r.get("startColumnIndex", 0)), int(r.get("endColumnIndex", info.col_count)))
                for r in rule.get("ranges", [])]

    look = (found_rule.get("booleanRule") or {}).get("format") or {}
    want = wanted["booleanRule"]["format"]
    return (_formula(found_rule) == _formula(wanted) and spans(found_rule) == spans(wanted)
            and hex_of(look.get("backgroundColor")) == hex_of(want.get("backgroundColor"))
            and bool((look.get("textFormat") or {}).get("bold"))
            == bool((want.get("textFormat") or {}).get("bold")))


def _same_look(found_look: Json, wanted: Json) -> bool:
    """Whether a cell's format already has every part of ``wanted`` (colours compared as RGB)."""
    found_look = found_look or {}
    for name, value in wanted.items():
        if name == "backgroundColor":
            if hex_of(found_look.get(name)) != hex_of(value):
                return False
        elif name == "textFormat":
            text = found_look.get(name) or {}
            if any(text.get(k) != v for k, v in value.items()):
                return False
        elif found_look.get(name) != value:
            return False
    return True


def _widths(info: TabInfo, seen: Found, widths: Sequence[int]) -> list[Json]:
    return [_size(info, "COLUMNS", i, w * 7 + 12) for i, w in enumerate(widths)
            if i >= len(seen.widths) or seen.widths[i] != w * 7 + 12]


def _size(info: TabInfo, dimension: str, index: int, pixels: int) -> Json:
    return {"updateDimensionProperties": {
        "range": {"sheetId": info.sheet_id, "dimension": dimension, "startIndex": index,
                  "endIndex": index + 1},
        "properties": {"pixelSize": pixels}, "fields": "pixelSize"}}


def _area(info: TabInfo, row: int, end_row: int | None, col: int, end_col: int) -> Json:
    """A GridRange; ``end_row`` ``None`` runs to the end, so rows added later are covered."""
    area: Json = {"sheetId": info.sheet_id, "startRowIndex": row, "startColumnIndex": col,
                  "endColumnIndex": end_col}
    if end_row is not None:
        area["endRowIndex"] = end_row
    return area


def _text(value: Json) -> str:
    found_value = (value or {}).get("effectiveValue") or {}
    return str(next(iter(found_value.values()), ""))


def _said(tab: str, changed: Sequence[tuple[str, str]]) -> list[Message]:
    if not changed:
        return []
    return [Message(f"Tab '{tab}': tampilan diperbaiki ({', '.join(c[0] for c in changed)}).",
                    f"Tab '{tab}': look repaired ({', '.join(c[1] for c in changed)}).")]
