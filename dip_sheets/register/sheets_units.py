"""Each unit edits its own rows (``[roles.units]``), on the Google sheet only.

Once the sync has seen a DIP row, the cells its unit owns are protected for that unit's editors,
the Desk, the PPID and the service account, so one Sub Bagian cannot change another's items. The
protections follow the rows: one range per run of neighbouring rows of a unit and run of
neighbouring unit columns, named ``[dip-sheets:unit:<unit>]``. They are planned from the rows as
read, so :meth:`~.sheets.SheetsRegister.read` can tell (without a request) whether they are out of
date, and they are sent in the sync's one protection batch, with the established-row locks. A
workbook has no accounts, so it has nothing of the kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import schema as s
from . import Cell, cell_text
from .sheets_grid import Json, TabInfo
from .sheets_protections import Editors, describe, editors, key_of, normal_range, runs

KEY = "unit:"
Span = tuple[int, int, int, int]  # start row, end row, start column, end column (end-exclusive)


def unit_editors(unit: str, per_unit: Mapping[str, tuple[str, ...]],
                 roles: Mapping[s.Role, tuple[str, ...]], account: str) -> Editors:
    """Who may edit a unit's rows: its editors, the Desk and the PPID (and the sync)."""
    return editors((*per_unit.get(unit, ()), *roles.get(s.Role.DESK, ()), *roles.get(s.Role.PPID, ())),
                   account)


def wanted(rows: Sequence[Sequence[Cell]], per_unit: Mapping[str, tuple[str, ...]]
           ) -> dict[str, set[Span]]:
    """The ranges each configured unit's rows should be protected by, from the tab as read."""
    if not per_unit or not rows:
        return {}
    positions = {s.normalize_header(h): i for i, h in enumerate(rows[0])}
    unit_column = positions.get(s.normalize_header(s.UNIT))
    if unit_column is None:
        return {}
    columns = runs(positions[h] for h in map(s.normalize_header, s.UNIT_HEADERS) if h in positions)
    found: dict[str, list[int]] = {}
    for index, row in enumerate(rows[1:], start=1):
        unit = cell_text(row[unit_column]) if unit_column < len(row) else ""
        if unit in per_unit:
            found.setdefault(unit, []).append(index)
    return {unit: {(r0, r1, c0, c1) for r0, r1 in runs(indexes) for c0, c1 in columns}
            for unit, indexes in found.items()}


def unit_requests(tab: TabInfo, rows: Sequence[Sequence[Cell]], per_unit: Mapping[str, tuple[str, ...]],
                  roles: Mapping[s.Role, tuple[str, ...]], account: str) -> list[Json]:
    """The protection changes that make the per-unit protections of the DIP tab what ``rows`` ask
    for; ranges already right (same unit, range, editors, not warning-only) are kept. Empty when
    nothing is to change (also when no unit has editors and none of ours exists)."""
    want = wanted(rows, per_unit)
    kept: set[tuple[str, Span]] = set()
    requests_: list[Json] = []
    for protection in tab.protections:
        key = key_of(protection) or ""
        if not key.startswith(KEY):
            continue
        unit = key.removeprefix(KEY)
        span = normal_range(protection["range"], tab)[1:]
        if (span in want.get(unit, ()) and (unit, span) not in kept
                and not protection.get("warningOnly")
                and not unit_editors(unit, per_unit, roles, account).missing_from(protection)):
            kept.add((unit, span))
            continue
        requests_.append({"deleteProtectedRange": {"protectedRangeId": protection["protectedRangeId"]}})
    for unit, spans in sorted(want.items()):
        who = unit_editors(unit, per_unit, roles, account)
        for r0, r1, c0, c1 in sorted(spans):
            if (unit, (r0, r1, c0, c1)) in kept:
                continue
            requests_.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": tab.sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                          "startColumnIndex": c0, "endColumnIndex": c1},
                "description": describe(KEY + unit, f"Baris milik {unit}: hanya unit ini, Desk dan"
                                                    " PPID yang boleh mengubahnya."),
                "warningOnly": False, "editors": who.as_api()}}})
    return requests_
