"""The Google sheet looks like the workbook after ``dip init`` (on the Sheets API emulator): headers
bold, sans-serif, wrapped and coloured by role in a tall row; ID to title frozen with the header
row; ``Catatan Sinkron`` wrapped; rows with a finding shaded by a conditional format rule; readable
``Petunjuk`` and ``Ringkasan`` tabs. A second ``dip init`` sends nothing, and one on a damaged sheet
repairs it in its one batch."""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from dip_sheets import guide_tab as g
from dip_sheets import schema as s
from dip_sheets.errors import DipError
from dip_sheets.register import Layout
from dip_sheets.register.sheets_format import HEADER_HEIGHT, hex_of
from tests.conftest import UNITS
from tests.test_register_sheets import DIP, LAYOUT, Env, env
from tests.test_request_counts import ROLES, Office, office

__all__ = ["env", "office"]  # the fixtures, used by name

DIK = s.TAB_BY_NAME[s.DIK_TAB]


def formula(rule: Any) -> str:
    return str((rule["booleanRule"]["condition"].get("values") or [{}])[0].get("userEnteredValue"))


def finding_rules(env: Env, tab: str) -> list[Any]:
    return [r for r in env.emu.conditional_formats(env.sid, tab) if formula(r).startswith("=LEN(TRIM(")]


def test_init_formats_headers_freezes_id_to_title_and_shades_findings(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    for tab in (DIP, DIK):
        for index, column in enumerate(tab.columns):
            look = emu.cell_format(sid, tab.name, 0, index)
            assert look["textFormat"] == {"bold": True, "fontFamily": "Arial"}, column.header
            assert look["wrapStrategy"] == "WRAP" and look["verticalAlignment"] == "TOP"
            assert hex_of(look["backgroundColor"]) == g.ROLE_COLOURS[column.owner], column.header
        assert emu.row_height(sid, tab.name, 0) == HEADER_HEIGHT
        note = tab.headers.index(s.NOTE)
        assert all(emu.cell_format(sid, tab.name, row, note)["wrapStrategy"] == "WRAP"
                   for row in range(1, 1000))
        [rule] = finding_rules(env, tab.name)
        assert rule["ranges"] == [{"sheetId": emu.book(sid).tab(tab.name).sheet_id,
                                   "startRowIndex": 1, "startColumnIndex": 0,
                                   "endColumnIndex": len(tab.columns)}]  # open-ended: new rows too
        boolean = rule["booleanRule"]
        assert boolean["condition"] == {"type": "CUSTOM_FORMULA", "values": [
            {"userEnteredValue": f"=LEN(TRIM(${get_column_letter(note + 1)}2))>0"}]}
        assert hex_of(boolean["format"]["backgroundColor"]) == g.FINDING_COLOUR
    grid = emu.tab_properties(sid, s.DIP_TAB)["gridProperties"]
    assert grid["frozenRowCount"] == 1 and grid["frozenColumnCount"] == DIP.headers.index(s.TITLE) + 1
    assert "frozenColumnCount" not in emu.tab_properties(sid, s.DIK_TAB)["gridProperties"]
    assert not finding_rules(env, s.HISTORY_TAB)  # the sync's own tabs have no findings to shade


def test_a_second_init_sends_nothing(env: Env) -> None:
    env.register().init(LAYOUT)
    env.emu.reset_log()
    assert env.register().init(LAYOUT) == []
    assert env.emu.writes == 0 and env.emu.reads == 2


def test_init_on_a_damaged_sheet_repairs_the_look_in_its_one_batch(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    sheet = emu.book(sid).tab(s.DIP_TAB)
    staff_rule = {"ranges": [{"sheetId": sheet.sheet_id, "startRowIndex": 1, "endRowIndex": 5}],
                  "booleanRule": {"condition": {"type": "NOT_BLANK"},
                                  "format": {"textFormat": {"italic": True}}}}
    sheet.conditional_formats[:] = [staff_rule]  # a person deleted ours and added one of theirs
    sheet.rows[0][DIP.headers.index(s.TITLE)].look = None  # a paste flattened a header
    sheet.frozen_cols = 0
    sheet.row_heights.clear()
    emu.reset_log()
    done = env.register().init(LAYOUT)
    assert [m.id for m in done] == [
        f"Tab '{s.DIP_TAB}': tampilan diperbaiki (format judul kolom, tinggi baris judul, baris judul"
        " dibekukan dengan kolom ID sampai judul, baris dengan temuan diwarnai)."]
    assert emu.writes == 1 and emu.reads == 2
    assert len(finding_rules(env, s.DIP_TAB)) == 1
    assert staff_rule in emu.conditional_formats(sid, s.DIP_TAB)  # theirs is kept
    assert emu.cell_format(sid, s.DIP_TAB, 0, DIP.headers.index(s.TITLE))["textFormat"]["bold"]
    assert emu.tab_properties(sid, s.DIP_TAB)["gridProperties"]["frozenColumnCount"] == 4
    emu.reset_log()
    assert env.register().init(LAYOUT) == [] and emu.writes == 0


def test_a_moved_findings_column_gets_its_rule_rewritten(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    [rule] = finding_rules(env, s.DIP_TAB)
    rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] = "=LEN(TRIM($A2))>0"
    emu.book(sid).tab(s.DIP_TAB).conditional_formats[:] = [rule]
    env.register().init(LAYOUT)
    [repaired] = finding_rules(env, s.DIP_TAB)
    note = get_column_letter(DIP.headers.index(s.NOTE) + 1)
    assert repaired["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == (
        f"=LEN(TRIM(${note}2))>0")


def test_the_guide_and_the_dashboard_tabs_are_written_and_readable(env: Env) -> None:
    emu, sid = env.emu, env.sid
    env.register().init(LAYOUT)
    titles = emu.tab_titles(sid)
    assert titles.index(g.GUIDE_TAB) == titles.index(s.DASHBOARD_TAB) - 1
    lines = g.lines()
    values = emu.tab_values(sid, g.GUIDE_TAB)
    assert [[c for c in row if c != ""] for row in values] == [
        [c for c in line.cells if c != ""] for line in lines]
    [whole] = emu.protections(sid, g.GUIDE_TAB)
    assert set(whole["range"]) <= {"sheetId"} and whole["editors"] == {"users": [env.account.email]}
    assert emu.column_widths(sid, g.GUIDE_TAB)[:4] == [w * 7 + 12 for w in g.GUIDE_WIDTHS]
    kinds = {line.kind: n for n, line in enumerate(lines)}
    assert emu.cell_format(sid, g.GUIDE_TAB, kinds["title"], 0)["textFormat"]["bold"]
    assert hex_of(emu.cell_format(sid, g.GUIDE_TAB, kinds["heading"], 0)["backgroundColor"]) == (
        g.HEADING_COLOUR)
    assert emu.cell_format(sid, g.GUIDE_TAB, kinds["row"], 1)["wrapStrategy"] == "WRAP"
    legend = {hex_of(emu.cell_format(sid, g.GUIDE_TAB, n, 0).get("backgroundColor"))
              for n in range(len(lines))}
    assert set(g.ROLE_COLOURS.values()) | {g.FINDING_COLOUR, g.LOCKED_COLOUR} <= legend

    assert emu.column_widths(sid, s.DASHBOARD_TAB)[:13] == [w * 7 + 12 for w in g.DASHBOARD_WIDTHS]
    assert emu.cell_format(sid, s.DASHBOARD_TAB, 0, 0)["textFormat"] == {"bold": True,
                                                                        "fontFamily": "Arial"}
    assert all(emu.cell_format(sid, s.DASHBOARD_TAB, row, 0)["wrapStrategy"] == "WRAP"
               for row in range(1000))  # the labels column; the sync writes values only
    [heading] = emu.conditional_formats(sid, s.DASHBOARD_TAB)
    assert heading["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == (
        '=AND(ROW()>2,COUNTA($A1:$M1)=0,$A2<>"")')
    assert heading["booleanRule"]["format"]["textFormat"] == {"bold": True}

    emu.set_cell(sid, g.GUIDE_TAB, "A1", "diubah")  # the owner may edit a protected tab
    emu.reset_log()
    assert [m.id for m in env.register().init(LAYOUT)] == [f"Tab '{g.GUIDE_TAB}' ditulis."]
    assert emu.writes == 1 and emu.tab_values(sid, g.GUIDE_TAB)[0] == [lines[0].cells[0]]


def test_the_emulator_keeps_what_a_field_mask_leaves_out_and_checks_rules(env: Env) -> None:
    """The emulator follows Google: ``userEnteredFormat.textFormat.bold`` sets that part only, a
    rule's index must exist, and a custom formula starts with '='."""
    register = env.register()
    register.init(LAYOUT)
    sheet_id = env.emu.book(env.sid).tab(s.DIP_TAB).sheet_id
    header = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
              "startColumnIndex": 0, "endColumnIndex": 1}
    register.structure([{"repeatCell": {"range": header, "cell": {"userEnteredFormat": {}},
                                        "fields": "userEnteredFormat.textFormat.bold"}}])
    look = env.emu.cell_format(env.sid, s.DIP_TAB, 0, 0)
    assert "bold" not in look["textFormat"] and look["textFormat"]["fontFamily"] == "Arial"
    assert hex_of(look["backgroundColor"]) == g.ROLE_COLOURS[s.Role.SYSTEM]
    [rule] = finding_rules(env, s.DIP_TAB)
    register.structure([{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}])
    assert env.emu.conditional_formats(env.sid, s.DIP_TAB) == []
    with pytest.raises(DipError):
        register.structure([{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}])
    broken = {**rule, "booleanRule": {**rule["booleanRule"], "condition": {
        "type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "LEN($T2)"}]}}}
    with pytest.raises(DipError):
        register.structure([{"addConditionalFormatRule": {"rule": broken, "index": 0}}])
    assert env.register().init(LAYOUT)  # and init puts ours back
    assert len(finding_rules(env, s.DIP_TAB)) == 1


def test_a_publish_keeps_the_look_and_init_afterwards_sends_nothing(office: Office) -> None:
    """A publish writes values only (its request count is test_request_counts'): the look stays
    and a later ``dip init`` has nothing to repair."""
    office.publish()
    emu, sid = office.emu, office.sid
    assert emu.tab_values(sid, s.DIP_TAB)[1][0]  # the sync gave the rows their IDs
    assert emu.cell_format(sid, s.DASHBOARD_TAB, 0, 0)["textFormat"]["bold"]
    assert len([r for r in emu.conditional_formats(sid, s.DIP_TAB)
                if formula(r).startswith("=LEN(TRIM(")]) == 1
    emu.reset_log()
    assert office.register().init(Layout(s.TABS, UNITS, ROLES)) == []
    assert emu.writes == 0
