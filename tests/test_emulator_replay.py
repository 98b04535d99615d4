"""gspread's recorded real requests, replayed through the emulator: are the answers shaped alike?

gspread's test cassettes (VCR JSON in ../shared/reference/gspread-cassettes/) hold real requests
to the Sheets API and Google's real responses. Each cassette's spreadsheet is created in the
emulator under the same id when the recording creates it (through Drive, which is not emulated),
then every Sheets request of a kind the backend uses is sent as recorded, and the response's
shape (status, keys and JSON types, recursively) is compared with Google's. The differences that
remain are listed in KNOWN, each with its reason; any other difference fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests

from tests.sheets_emulator import SheetsEmulator

CASSETTES = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "gspread-cassettes"
#: the request kinds dip-sheets sends that the recordings contain (the ByDataFilter methods are
#: not in them: their shapes follow Google's reference only).
KINDS = {("GET", r"/v4/spreadsheets/[^/:]+"): "spreadsheets.get",
         ("GET", r"/v4/spreadsheets/[^/:]+/values:batchGet"): "values.batchGet",
         ("POST", r"/v4/spreadsheets/[^/:]+/values:batchUpdate"): "values.batchUpdate",
         ("POST", r"/v4/spreadsheets/[^/:]+:batchUpdate"): "spreadsheets.batchUpdate"}


#: the register's one read: ``spreadsheets.get`` with ``ranges`` and a mask selecting grid data
#: (gspread's recorded notes and formats reads have that shape, e.g.
#: ``fields=sheets.data.rowData.values.note&ranges='Sheet1'``).
MASKED_GRID = "spreadsheets.get (ranges, grid data by field mask)"


def kind_of(method: str, path: str, query: str = "") -> str | None:
    kind = next((k for (m, p), k in KINDS.items() if m == method and re.fullmatch(p, path)), None)
    if kind == "spreadsheets.get" and "ranges=" in query and re.search(
            r"fields=sheets[./]data", unquote(query)):
        return MASKED_GRID
    return kind


def shape(google: Any, ours: Any, where: str) -> Iterator[str]:
    """Where ``ours`` differs from ``google`` in keys or JSON types (list items by position)."""
    if isinstance(google, dict) and isinstance(ours, dict):
        for key in google.keys() | ours.keys():
            if key not in ours:
                yield f"{where}.{key} missing"
            elif key not in google:
                yield f"{where}.{key} extra"
            else:
                yield from shape(google[key], ours[key], f"{where}.{key}")
    elif isinstance(google, list) and isinstance(ours, list):
        for g, o in zip(google, ours, strict=False):
            yield from shape(g, o, f"{where}[]")
    elif type(google) is not type(ours) and not (
            isinstance(google, int | float) and isinstance(ours, int | float)):
        yield f"{where} {type(google).__name__}!={type(ours).__name__}"


def replay(emu: SheetsEmulator) -> tuple[dict[str, int], set[str]]:
    compared: dict[str, int] = {}
    differences: set[str] = set()
    created_ids: set[str] = set()
    for cassette in sorted(CASSETTES.glob("*.json")):
        for interaction in json.loads(cassette.read_text())["interactions"]:
            request, response = interaction["request"], interaction["response"]
            uri = urlsplit(request["uri"])
            text = response["body"]["string"]
            if uri.netloc == "www.googleapis.com" and request["method"] == "POST":
                created = json.loads(text)
                if "id" in created:
                    created_ids.add(created["id"])
                    emu.create_spreadsheet(spreadsheet_id=created["id"],
                                           title=created.get("name", ""))
                continue
            kind = kind_of(request["method"], uri.path, uri.query)
            sid = uri.path.split("/")[3].split(":")[0] if uri.path.count("/") >= 3 else ""
            if sid not in created_ids:  # a spreadsheet the recording did not create: unknown
                continue
            if uri.netloc != "sheets.googleapis.com" or kind is None:
                if uri.netloc == "sheets.googleapis.com":  # keep the state in step
                    requests.request(request["method"], emu.base_url + uri.path + "?" + uri.query,
                                     data=request["body"], timeout=30,
                                     headers={"Content-Type": "application/json"})
                continue
            ours = requests.request(request["method"], emu.base_url + uri.path + "?" + uri.query,
                                    data=request["body"], timeout=30,
                                    headers={"Content-Type": "application/json"})
            status = response["status"]["code"]
            compared[kind] = compared.get(kind, 0) + 1
            if ours.status_code != status:
                inner = ",".join(sorted({next(iter(r)) for r in json.loads(
                    request["body"] or "{}").get("requests", [])}))
                differences.add(f"{kind} status {status}!={ours.status_code}"
                                + (f" ({inner})" if inner else ""))
                continue
            differences.update(f"{kind}{d}" for d in shape(json.loads(text), ours.json(), ""))
    return compared, differences


@pytest.mark.skipif(not CASSETTES.is_dir(), reason="gspread's cassettes are not here")
def test_recorded_requests_get_answers_shaped_like_googles(sheets_api: SheetsEmulator) -> None:
    sheets_api.require_auth = False
    compared, differences = replay(sheets_api)
    print(json.dumps(compared), *sorted(differences), sep="\n")
    assert set(compared) == {*KINDS.values(), MASKED_GRID}
    assert differences <= KNOWN, sorted(differences - KNOWN)


_NOT_EMULATED = ("addDimensionGroup", "addNamedRange", "autoResizeDimensions", "clearBasicFilter",
                 "copyPaste", "cutPaste", "deleteDimensionGroup", "deleteNamedRange",
                 "mergeCells", "setBasicFilter", "unmergeCells", "updateNamedRange",
                 "updateSpreadsheetProperties")
KNOWN: set[str] = {
    # request kinds dip-sheets never sends, so the emulator refuses them (400)
    *(f"spreadsheets.batchUpdate status 200!=400 ({kind})" for kind in _NOT_EMULATED),
    # the emulator numbers sheets and protected ranges its own way, so a recorded request naming
    # Google's sheetId or protectedRangeId finds nothing (or another tab) here
    "spreadsheets.batchUpdate status 200!=400 (deleteProtectedRange)",
    "spreadsheets.batchUpdate status 200!=400 (deleteSheet)",
    "spreadsheets.batchUpdate status 200!=400 (updateCells)",
    "spreadsheets.batchUpdate status 200!=400 (updateSheetProperties)",
    "spreadsheets.batchUpdate status 400!=200 (updateSheetProperties)",
    # Google lists the editors it adds (the caller, the owner) differently from the request; the
    # backend reads editors back instead of assuming them
    "spreadsheets.batchUpdate.replies[].addProtectedRange.protectedRange.editors missing",
    "spreadsheets.batchUpdate.replies[].addProtectedRange.protectedRange.editors.users extra",
    # the `fields` mask is honoured; what stays different are features dip-sheets never reads
    # (named ranges, themes, filters, groups, merges, hidden tabs, tab colours: gspread's
    # `fields=sheets.properties.tabColorStyle` leaves no property here, so `properties` goes too)
    *(f"spreadsheets.get{where} missing" for where in (
        ".namedRanges", ".properties.defaultFormat", ".properties.spreadsheetTheme",
        ".sheets[].basicFilter", ".sheets[].columnGroups", ".sheets[].merges",
        ".sheets[].properties", ".sheets[].properties.gridProperties.columnGroupControlAfter",
        ".sheets[].properties.gridProperties.hideGridlines",
        ".sheets[].properties.gridProperties.rowGroupControlAfter",
        ".sheets[].properties.hidden", ".sheets[].rowGroups")),
    # ...and the ids again: the recorded notes and formats (`updateCells`/`repeatCell` naming
    # Google's sheetId) and a deleted protection (its recorded protectedRangeId) miss their
    # target here, so a masked read finds no `rowData` or one protection too many
    f"{MASKED_GRID}.sheets[].data[].rowData missing",
    "spreadsheets.get.sheets[].protectedRanges extra",
    # some recorded protected ranges come without editors where the emulator lists them (the
    # recordings do not show why; dip-sheets treats absent editors as "not ours to edit")
    "spreadsheets.get.sheets[].protectedRanges[].editors missing",
}
