"""The check before a write, without downloading the register again.

The run's one read (``spreadsheets.get``: the tabs' values, protections and the rows' anchors
at one moment) is kept. Before a batch is written, one ``values:batchGet`` reads only what tells
whether that picture still holds: each touched tab's header row, its last row and what follows
(a row added or removed anywhere moves it; the echoed range gives the grid's height), and every
row an anchor of the batch is on. If all of them are as kept, the kept rows are the tab as it is
now, and each anchor's row holds the item the kept read saw there: the writes go through their
anchors (:mod:`.sheets_anchors`), where Google finds the row when it writes.

Anything else (a header moved, rows added or deleted, an anchored row edited, pasted over or
sorted away, an anchor whose row is not known) and that tab is read whole, in one more
``values:batchGet``, and the anchors are checked against it, as before. A tab the batch locks rows
of is read whole at once: locks are ranges by position, planned on the tab as it is now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .. import schema as s
from . import Cell, row_key, tab_of, texts
from .sheets_anchors import KEY
from .sheets_client import SheetsClient
from .sheets_grid import TabInfo, last_row, letter, quoted

Rows = list[list[Cell]]
Found = dict[str, tuple[str, str] | None]
_RENDER: dict[str, str | int | bool | float | list[str] | None] = {
    "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS"}


def read(http: SheetsClient, spreadsheet_id: str, names: Sequence[str], expected: Sequence[str],
         tabs: Mapping[str, TabInfo], kept: Mapping[str, Rows], whole: Collection[str]
         ) -> tuple[dict[str, tuple[Rows, int | None]], Found]:
    """The tabs ``names`` as they are now (rows, grid height) and, per anchor of ``expected``,
    the tab and key of the one row it is on (``None``: on several rows); 1 read, 2 when the
    kept rows of a tab no longer hold (the tabs ``whole`` are read whole at once)."""
    where = _anchored(tabs, expected)
    light = [n for n in names if n not in whole and kept.get(n)]
    ranges: dict[str, str] = {}
    for name in light:
        q, rows, info = quoted(name), kept[name], tabs[name]
        ranges[f"{name}|head"] = f"{q}!1:1"
        ranges[f"{name}|tail"] = f"{q}!A{len(rows)}:{letter(max(info.col_count, 1) - 1)}"
        for row in sorted({r for t, r in where.values() if t == name and r is not None}):
            ranges[f"{name}|{row}"] = f"{q}!{row + 1}:{row + 1}"
    for name in names:
        if name not in light:
            ranges[f"{name}|all"] = quoted(name)
    got = _batch_get(http, spreadsheet_id, ranges)
    current: dict[str, tuple[Rows, int | None]] = {}
    moved: list[str] = []
    for name in names:
        if name not in light:
            current[name] = got[f"{name}|all"]
            continue
        rows = kept[name]
        tail, height = got[f"{name}|tail"]
        rows_at = {r: got[f"{name}|{r}"][0] for t, r in where.values() if t == name and r is not None}
        if (_same(got[f"{name}|head"][0], rows[:1]) and _same(tail, rows[-1:])
                and all(n in where for n in expected if _tab(n) == name)
                and all(_same(now, rows[r:r + 1]) for r, now in rows_at.items())):
            current[name] = (rows, height)
        else:
            moved.append(name)
    if moved:  # the kept rows no longer hold: those tabs as they are now
        again = _batch_get(http, spreadsheet_id, {f"{n}|all": quoted(n) for n in moved})
        current.update({n: again[f"{n}|all"] for n in moved})
    found: Found = {}
    for name, (tab, at) in where.items():
        if tab not in current or not current[tab][0]:
            continue
        if at is None:
            found[name] = None
            continue
        rows = current[tab][0]
        line = rows[at] if at < len(rows) else []
        definition = tab_of(tab)
        found[name] = (tab, row_key(definition, s.locate_columns(definition, rows[0]), line))
    return current, found


def _anchored(tabs: Mapping[str, TabInfo], expected: Sequence[str]) -> dict[str, tuple[str, int | None]]:
    """Anchor name -> its tab and the row the metadata puts it on (``None``: several rows);
    names the metadata does not know are left out."""
    wanted = set(expected)
    rows: dict[str, tuple[str, list[int]]] = {}
    for tab, info in tabs.items():
        for row, entries in info.row_metadata.items():
            for entry in entries:
                value = entry.get("metadataValue")
                if entry.get("metadataKey") == KEY and value in wanted:
                    rows.setdefault(value, (tab, []))[1].append(row)
    return {name: (tab, found[0] if len(found) == 1 else None)
            for name, (tab, found) in rows.items()}


def _batch_get(http: SheetsClient, spreadsheet_id: str, ranges: Mapping[str, str]
               ) -> dict[str, tuple[Rows, int | None]]:
    reply = http.values_batch_get(spreadsheet_id, list(ranges.values()), params=_RENDER)
    result: dict[str, tuple[Rows, int | None]] = {}
    for label, value_range in zip(ranges, reply.get("valueRanges", []), strict=True):
        result[label] = ([list(r) for r in value_range.get("values", [])],
                         last_row(value_range.get("range", "")))
    return result


def _same(now: Sequence[Sequence[Cell]], kept: Sequence[Sequence[Cell]]) -> bool:
    """Two runs of rows alike as a person sees them (trailing empty cells and rows aside)."""
    return texts(now) == texts(kept)


def _tab(name: str) -> str:
    return name.partition("!")[0]

