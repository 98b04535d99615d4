"""The layout ``dip init`` wants, decided once (register/plan.py) for the workbook and the sheet."""

from __future__ import annotations

import pytest

from dip_sheets import schema as s
from dip_sheets.errors import LayoutError
from dip_sheets.register import Layout, plan

DIP = s.TAB_BY_NAME[s.DIP_TAB]


def test_system_tabs_are_those_only_the_sync_writes() -> None:
    assert {s.HISTORY_TAB, s.SYSTEM_TAB, s.DASHBOARD_TAB} == plan.SYSTEM_TABS  # Ringkasan: sync only


def test_missing_headers_go_after_the_last_used_header_cell() -> None:
    header = [h for h in DIP.headers if h not in (s.NOTE, s.SUMMARY)] + ["", " "]
    missing = plan.missing_headers(DIP, [f" {h.upper()} " for h in header])
    assert missing.start == len(header) - 2
    assert [c.header for c in missing.columns] == [h for h in DIP.headers if h in (s.NOTE, s.SUMMARY)]
    with pytest.raises(LayoutError):
        plan.missing_headers(DIP, [*DIP.headers, s.TITLE.lower()])


def test_dropdowns_and_choice_lists() -> None:
    layout = Layout(s.TABS, ("Sub Bagian Umum",))
    dropdowns = {d.header: d.choices for d in plan.dropdowns(DIP, layout)}
    assert dropdowns[s.UNIT] == ("Sub Bagian Umum",)
    assert dropdowns[s.CATEGORY] == DIP.column(s.CATEGORY).choices
    assert all(DIP.column(h).owner is not s.Role.SYSTEM for h in dropdowns)
    assert plan.choice_lists(Layout(s.TABS, ())).get(s.UNIT) is None  # no units: no list
    assert plan.dropdowns(s.TAB_BY_NAME[s.HISTORY_TAB], layout) == []


def test_protections_cover_system_tabs_whole_and_staff_tabs_by_column() -> None:
    [whole] = plan.protections(s.TAB_BY_NAME[s.SYSTEM_TAB])
    assert whole.whole_tab and whole.key == "tab"
    keys = [p.key for p in plan.protections(DIP)]
    assert keys[0] == "header"
    assert keys[1:] == [f"col:{c.header}" for c in DIP.columns if c.owner is not s.Role.UNIT]
    assert plan.roles_needed(Layout(s.TABS, (), {s.Role.PPID: ("p@x.id",)})) == [s.Role.DESK]
