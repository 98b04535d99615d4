"""The Google side of a self-explaining register: after ``dip init`` every header has its help as a
note and every dropdown shows its help as an input message (on the Sheets API emulator)."""

from __future__ import annotations

from dip_sheets import guide_tab as g
from dip_sheets import schema as s
from dip_sheets.register import plan
from tests.test_register_sheets import DIP, LAYOUT, Env, env

__all__ = ["env"]  # the fixture, used by name


def test_init_writes_header_notes_and_dropdown_prompts(env: Env) -> None:
    env.register().init(LAYOUT)
    sheet = env.emu.book(env.sid).tab(s.DIP_TAB)
    for index, column in enumerate(DIP.columns):
        assert sheet.cell(0, index).note == g.column_help(column), column.header
    for dropdown in plan.dropdowns(DIP, LAYOUT):
        index = DIP.headers.index(dropdown.header)
        rule = sheet.cell(1, index).validation
        assert rule is not None and rule["inputMessage"] == g.column_help(DIP.column(dropdown.header))
    env.emu.reset_log()
    assert env.register().init(LAYOUT) == [] and env.emu.writes == 0
