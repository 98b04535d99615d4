"""The emulator behaves as the Sheets API does, seen through gspread's real HTTP path.

These pin down the behaviours the register backend and TECH-NOTES rely on, so a wrong emulator
fails here rather than making a backend test pass for the wrong reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import gspread
import pytest
import requests
from gspread.utils import ValidationConditionType, ValueRenderOption

from tests.sheets_emulator import ServiceAccount, SheetsEmulator

SheetFixture = tuple[SheetsEmulator, str, gspread.Spreadsheet]


@pytest.fixture
def book(sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount,
         gspread_client: gspread.Client) -> SheetFixture:
    sid = sheets_emulator.create_spreadsheet({
        "DIP": [["ID", "Judul", "Catatan"], ["DIP-0001", "Satu", ""], [], ["DIP-0003", "", ""]],
        "My Sheet": [],
    }, shared_with=[sheets_account.email])
    spreadsheet = gspread_client.open_by_key(sid)
    sheets_emulator.reset_log()
    return sheets_emulator, sid, spreadsheet


def test_values_drop_trailing_empties_and_echo_the_whole_range(book: SheetFixture) -> None:
    emu, _, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    emu.reset_log()
    assert worksheet.get(return_type=gspread.utils.GridRangeType.ListOfLists) == [
        ["ID", "Judul", "Catatan"], ["DIP-0001", "Satu"], [], ["DIP-0003"]]
    assert worksheet.get_all_values() == [  # gspread pads what the API trimmed
        ["ID", "Judul", "Catatan"], ["DIP-0001", "Satu", ""], ["", "", ""], ["DIP-0003", "", ""]]
    assert emu.apis() == ["values.get", "values.get"]
    assert spreadsheet.values_get("DIP")["range"] == "DIP!A1:Z1000"
    empty = spreadsheet.values_get("'My Sheet'!A1:B2")
    assert empty == {"range": "'My Sheet'!A1:B2", "majorDimension": "ROWS"}  # no "values" key
    assert spreadsheet.values_get("DIP!B:C")["values"] == [["Judul", "Catatan"], ["Satu"]]
    assert spreadsheet.values_get("DIP!2:4")["range"] == "DIP!A2:Z4"


def test_a_typed_date_is_a_serial_number_or_a_formatted_string(book: SheetFixture) -> None:
    emu, sid, spreadsheet = book
    emu.set_date(sid, "DIP", "C2", dt.date(2022, 2, 7))
    worksheet = spreadsheet.worksheet("DIP")
    assert worksheet.acell("C2").value == "07/02/2022"
    assert worksheet.get("C2", value_render_option=ValueRenderOption.unformatted) == [[44599]]
    as_text = spreadsheet.values_get("DIP!C2", params={
        "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"})
    assert as_text["values"] == [["07/02/2022"]]


def test_input_options(book: SheetFixture) -> None:
    _, _, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    worksheet.update([["2024", "'007", "=A1", "07/02/2022", "TRUE"]], "A6", raw=False)
    worksheet.update([["2024", "=A1"]], "A7")  # RAW: stored as given
    unformatted = worksheet.get("A6:E7", value_render_option=ValueRenderOption.unformatted)
    assert unformatted == [[2024, "007", "=A1", 44599, True], ["2024", "=A1"]]
    formatted = worksheet.get("A6:E6")
    assert formatted == [["2024", "007", "=A1", "07/02/2022", "TRUE"]]
    assert worksheet.get("C6", value_render_option=ValueRenderOption.formula) == [["=A1"]]


def test_batch_get_and_batch_update_are_one_request_each(book: SheetFixture) -> None:
    emu, sid, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    emu.reset_log()
    ranges = worksheet.batch_get(["A1:B2", "C1"])
    assert [r for r in ranges] == [[["ID", "Judul"], ["DIP-0001", "Satu"]], [["Catatan"]]]
    data: list[dict[str, Any]] = [{"range": "C2", "values": [["ok"]]},
                                  {"range": "A5:B5", "values": [["DIP-0005", "Lima"]]}]
    reply = worksheet.batch_update(data)
    assert data[0]["range"] == "'DIP'!C2"  # gspread mutates the dicts it is given
    assert reply["totalUpdatedCells"] == 3
    assert reply["responses"][1]["updatedRange"] == "DIP!A5:B5"
    assert emu.apis() == ["values.batchGet", "values.batchUpdate"]
    assert emu.reads == 1 and emu.writes == 1
    assert emu.tab_values(sid, "DIP")[4] == ["DIP-0005", "Lima"]


def test_append_follows_the_table_and_grows_the_grid(sheets_emulator: SheetsEmulator,
                                                     sheets_account: ServiceAccount,
                                                     gspread_client: gspread.Client) -> None:
    sid = sheets_emulator.create_spreadsheet({"T": [["a"], ["b"], ["c"]]}, rows=3, cols=2,
                                             shared_with=[sheets_account.email])
    worksheet = gspread_client.open_by_key(sid).worksheet("T")
    reply = worksheet.append_rows([["d", "e", "f"]])
    assert reply["updates"]["updatedRange"] == "T!A4:C4"
    assert reply["tableRange"] == "T!A1:B3"
    assert sheets_emulator.tab_properties(sid, "T")["gridProperties"] == {
        "rowCount": 4, "columnCount": 3}


def test_bad_ranges_answer_400(book: SheetFixture) -> None:
    _, _, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    with pytest.raises(gspread.exceptions.APIError) as beyond:
        worksheet.update([["x"]], "A1001")
    assert beyond.value.code == 400
    assert "exceeds grid limits. Max rows: 1000, max columns: 26" in str(beyond.value)
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range: Nope!A1"):
        spreadsheet.values_get("Nope!A1")
    with pytest.raises(gspread.exceptions.APIError, match="but tried writing to row"):
        worksheet.update([["x"], ["y"]], "A1:B1")


def test_protected_ranges_round_trip(book: SheetFixture, sheets_account: ServiceAccount) -> None:
    emu, sid, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    worksheet.add_protected_range("A2:C3", ["ppid@example.org"], ["ppid-team@example.org"],
                                  description="ditetapkan")
    [protected] = spreadsheet.list_protected_ranges(worksheet.id)
    # sheetId 0 is left out (proto3 JSON), but a start index set to 0 is kept, as from Google
    assert protected["range"] == {"startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0,
                                  "endColumnIndex": 3}
    assert protected["editors"] == {"users": ["ppid@example.org", sheets_account.email],
                                    "groups": ["ppid-team@example.org"]}  # caller added
    assert "warningOnly" not in protected
    spreadsheet.batch_update({"requests": [{"updateProtectedRange": {
        "protectedRange": {"protectedRangeId": protected["protectedRangeId"],
                           "description": "baru"}, "fields": "description"}}]})
    emu.insert_rows(sid, "DIP", 2, [["DIP-0000"]])  # a person inserts a row above: it moves
    [moved] = emu.protections(sid, "DIP")
    assert (moved["description"], moved["range"]["startRowIndex"],
            moved["range"]["endRowIndex"]) == ("baru", 2, 4)
    worksheet.delete_protected_range(protected["protectedRangeId"])
    assert emu.protections(sid, "DIP") == []


def test_protected_cells_refuse_other_writers(sheets_emulator: SheetsEmulator,
                                              sheets_account: ServiceAccount,
                                              gspread_client: gspread.Client,
                                              tmp_path: Any) -> None:
    other = sheets_emulator.service_account(tmp_path, "staf@dip-test.iam.gserviceaccount.com")
    sid = sheets_emulator.create_spreadsheet({"T": [["a"]]})
    gspread_client.open_by_key(sid).worksheet("T").add_protected_range("A1:A2", [])
    staff = sheets_emulator.gspread_client(other).open_by_key(sid).worksheet("T")
    with pytest.raises(gspread.exceptions.APIError) as refused:
        staff.update([["x"]], "A2")
    # Google answers 400 INVALID_ARGUMENT here, not 403
    assert refused.value.code == 400 and "protected cell" in str(refused.value)
    assert refused.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
    [protection] = staff.spreadsheet.list_protected_ranges(staff.id)
    assert "editors" not in protection and not protection["requestingUserCanEdit"]
    staff.update([["x"]], "B2")


def test_a_cell_over_50000_characters_is_refused(book: SheetFixture) -> None:
    _, _, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    with pytest.raises(gspread.exceptions.APIError, match="maximum of 50000 characters") as refused:
        worksheet.update([["x" * 50_001]], "A2")
    assert refused.value.code == 400
    worksheet.update([["x" * 50_000]], "A2")


def test_a_spreadsheet_holds_at_most_ten_million_cells(book: SheetFixture) -> None:
    _, _, spreadsheet = book
    worksheet = spreadsheet.worksheet("DIP")
    with pytest.raises(gspread.exceptions.APIError, match="above the limit of 10000000") as refused:
        worksheet.add_rows(10_000_000 // worksheet.col_count)
    assert refused.value.code == 400 and worksheet.spreadsheet.fetch_sheet_metadata()


def test_an_api_not_enabled_is_answered_with_googles_details(book: SheetFixture) -> None:
    emu, _, spreadsheet = book
    emu.disabled_in_project = "123456789012"
    with pytest.raises(gspread.exceptions.APIError) as refused:
        spreadsheet.worksheet("DIP").get_all_values()
    error = refused.value.response.json()["error"]
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    assert "has not been used in project 123456789012" in error["message"]
    assert {d["@type"].rsplit(".", 1)[1] for d in error["details"]} == {"Help", "ErrorInfo"}


def test_structure_requests_and_replies(book: SheetFixture) -> None:
    emu, sid, spreadsheet = book
    added = spreadsheet.add_worksheet("Baru", rows=10, cols=3)
    added.freeze(rows=1)
    added.add_validation("A2:A10", ValidationConditionType.one_of_list, ["Ya", "Tidak"],
                         strict=True, showCustomUi=True)
    spreadsheet.batch_update({"requests": [{"updateDimensionProperties": {
        "range": {"sheetId": added.id, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2},
        "properties": {"pixelSize": 240}, "fields": "pixelSize"}}]})
    assert emu.tab_properties(sid, "Baru")["gridProperties"] == {
        "rowCount": 10, "columnCount": 3, "frozenRowCount": 1}
    assert emu.column_widths(sid, "Baru") == [100, 240, 100]
    rule = emu.validation(sid, "Baru", "A5")
    assert rule is not None and rule["condition"]["type"] == "ONE_OF_LIST" and rule["strict"]
    grid = spreadsheet.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Baru!A1:A3"})
    [sheet] = grid["sheets"]
    assert sheet["data"][0]["rowData"][1]["values"][0]["dataValidation"] == rule
    with pytest.raises(gspread.exceptions.APIError, match=r"requests\[1\]\.deleteSheet"):
        spreadsheet.batch_update({"requests": [
            {"updateSheetProperties": {"properties": {"sheetId": added.id, "title": "Ganti"},
                                       "fields": "title"}},
            {"deleteSheet": {"sheetId": 424242}}]})
    assert emu.tab_titles(sid) == ["DIP", "My Sheet", "Baru"]  # all or nothing
    spreadsheet.del_worksheet(added)
    assert emu.tab_titles(sid) == ["DIP", "My Sheet"]


def test_errors_become_gspread_exceptions(sheets_emulator: SheetsEmulator,
                                          sheets_account: ServiceAccount,
                                          gspread_client: gspread.Client) -> None:
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gspread_client.open_by_key("no-such-sheet")
    private = sheets_emulator.create_spreadsheet(shared_with=["someone@example.org"])
    with pytest.raises(PermissionError) as denied:
        gspread_client.open_by_key(private)
    assert isinstance(denied.value.__cause__, gspread.exceptions.APIError)
    assert denied.value.__cause__.error["status"] == "PERMISSION_DENIED"
    anonymous = requests.get(f"{sheets_emulator.base_url}/v4/spreadsheets/{private}", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"


def test_expired_tokens_are_refreshed_by_google_auth(book: SheetFixture) -> None:
    emu, _, spreadsheet = book
    emu.revoke_tokens()
    assert spreadsheet.values_get("DIP!A1")["values"] == [["ID"]]
    assert [r.status for r in emu.log] == [401, 200, 200]
    assert [r.kind for r in emu.log] == ["read", "auth", "read"]


def test_injected_faults(book: SheetFixture) -> None:
    emu, _, spreadsheet = book
    emu.fail(429, times=2)
    for _ in range(2):
        with pytest.raises(gspread.exceptions.APIError) as busy:
            spreadsheet.values_get("DIP")
        assert busy.value.code == 429 and busy.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert spreadsheet.values_get("DIP!A1")["values"] == [["ID"]]
    emu.fail(503, when=lambda r: r.kind == "write")
    spreadsheet.values_get("DIP!A1")  # a read passes
    with pytest.raises(gspread.exceptions.APIError, match="503"):
        spreadsheet.values_update("DIP!A9", {"valueInputOption": "RAW"}, {"values": [["x"]]})
    emu.drop()
    with pytest.raises(requests.ConnectionError):
        spreadsheet.values_get("DIP!A1")
    emu.drop(after_processing=True)  # applied, but the answer is lost
    with pytest.raises(requests.ConnectionError):
        spreadsheet.values_update("DIP!A9", {"valueInputOption": "RAW"}, {"values": [["y"]]})
    assert spreadsheet.values_get("DIP!A9")["values"] == [["y"]]
    spreadsheet.client.set_timeout(0.2)
    emu.delay(0.5)
    with pytest.raises(requests.Timeout):
        spreadsheet.values_get("DIP!A1")
    emu.wait_idle()  # the late answer is still served and logged
    assert [r.status for r in emu.log] == [429, 429, 200, 200, 503, 0, 0, 200, 200]


def test_staff_edits_land_between_two_requests(book: SheetFixture) -> None:
    emu, sid, spreadsheet = book
    emu.before_request(2, lambda: emu.insert_rows(sid, "DIP", 2, [["DIP-0000", "Nol"]]))
    emu.before_next_write(lambda: emu.sort_rows(sid, "DIP", "Judul", descending=True))
    first = spreadsheet.values_get("DIP!A2")["values"]
    second = spreadsheet.values_get("DIP!A2")["values"]
    assert (first, second) == ([["DIP-0001"]], [["DIP-0000"]])
    spreadsheet.values_update("DIP!C2", {"valueInputOption": "RAW"}, {"values": [["ditulis"]]})
    # sorted first (Satu, Nol, then empty titles in their old order), written second
    assert emu.tab_values(sid, "DIP")[1:] == [
        ["DIP-0001", "Satu", "ditulis"], ["DIP-0000", "Nol"], [], ["DIP-0003"]]


def test_log_classifies_like_google_quotas(book: SheetFixture) -> None:
    emu, _, spreadsheet = book
    spreadsheet.values_batch_get(["DIP!A1", "DIP!B1"])
    spreadsheet.fetch_sheet_metadata()
    spreadsheet.values_batch_update({"valueInputOption": "RAW", "data": []})
    spreadsheet.values_clear("DIP!C1")
    assert (emu.reads, emu.writes) == (2, 2)
    assert [(r.method, r.api, r.kind) for r in emu.log] == [
        ("GET", "values.batchGet", "read"), ("GET", "spreadsheets.get", "read"),
        ("POST", "values.batchUpdate", "write"), ("POST", "values.clear", "write")]
    emu.reset_log()
    assert emu.log == [] and emu.count() == 0


def test_row_metadata_is_returned_by_a_field_mask_and_moves_with_its_row(book: SheetFixture) -> None:
    """What the register's metadata read relies on to know which rows carry their anchor."""
    emu, sid, spreadsheet = book
    dip = spreadsheet.worksheet("DIP")
    spreadsheet.batch_update({"requests": [{"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": "dip-sheets:row", "metadataValue": "DIP!DIP-0003", "visibility": "DOCUMENT",
        "location": {"dimensionRange": {"sheetId": dip.id, "dimension": "ROWS",
                                        "startIndex": 3, "endIndex": 4}}}}}]})
    emu.insert_rows(sid, "DIP", 2)
    fields = ("sheets(properties(title),data(rowMetadata(developerMetadata(metadataId,metadataKey,"
              "metadataValue))))")
    got = spreadsheet.fetch_sheet_metadata({"includeGridData": "false", "fields": fields})
    rows = {s["properties"]["title"]: s["data"][0]["rowMetadata"] for s in got["sheets"]}
    placed = [(i, m["metadataValue"]) for i, r in enumerate(rows["DIP"])
              for m in r.get("developerMetadata", [])]
    assert placed == [(4, "DIP!DIP-0003")]  # inserted above: it moved down with its row
    assert len(rows["DIP"]) == emu.tab_properties(sid, "DIP")["gridProperties"]["rowCount"]
    plain = spreadsheet.fetch_sheet_metadata()  # no mask naming rowMetadata: no grid data
    assert all("data" not in s for s in plain["sheets"])
