"""The field table: every DIP field named once, in schema.py, and everything else derived from it.

Also the one home of IDs (ids.py) and of Indonesian dates (dates.format_date), and each cell of a
row turned into text once by the row check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

import dip_sheets
from dip_sheets import dates, opendata, parsers, render, validate
from dip_sheets import schema as s
from dip_sheets.ids import format_id, id_number, id_sort, parse_id
from dip_sheets.opendata import json_schema
from dip_sheets.records import FIELDS, LABELS, item_record, sort_items
from dip_sheets.register import Cell, cell_text
from dip_sheets.validate import Item, find_duplicates, validate_dip_row
from tests.conftest import UNITS, good_row
from tests.test_render import item, site

PACKAGE = Path(dip_sheets.__file__).parent
SOURCES = sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.j2")])


def _names() -> list[str]:
    """Every name of a DIP field a person reads: register headers, public labels, page headings.

    One-word names (``Kategori``, ``Tautan``, ``Keterangan``, ``Tahun``, ``ID``) are ordinary words
    that also name other things (a filter's label, the XLSX's explanation sheet), so they are left
    out; the drifted names were all longer.
    """
    names = {c.header for c in s.DIP_COLUMNS if c.field}
    names |= {f.label for f in s.RECORD_FIELDS} | {c.label for c in s.PAGE_COLUMNS}
    return sorted(n for n in names if " " in n)


@pytest.mark.parametrize("name", _names())
def test_each_field_name_is_spelled_once_in_the_package_in_schema_py(name: str) -> None:
    # a whole string or element text, with any case and spacing: "Penanggungjawab …" and
    # "Penanggung jawab" are the same name spelled again
    words = r"\s*".join(re.escape(w) for w in re.split(r"[\s/]+", name))
    words = words.replace(r"\s*", r"\s*/?\s*") if "/" in name else words
    pattern = re.compile(rf"(?<=[\"'>]){words}(?=[\"'<])", re.IGNORECASE)
    found = [(path.relative_to(PACKAGE).as_posix(), m[0])
             for path in SOURCES for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == [("schema.py", name)]


def test_the_published_record_the_item_and_the_json_schema_follow_the_table() -> None:
    keys = [f.key for f in s.RECORD_FIELDS]
    assert [k for k, _, _ in FIELDS] == keys and {f.key: f.label for f in s.RECORD_FIELDS} == LABELS
    assert [f.attr for f in s.RECORD_FIELDS] == [f.name for f in dataclasses.fields(Item)]
    assert list(item_record(item(1))) == keys
    schema = json_schema()["$defs"]["item"]
    assert schema["required"] == keys
    for f in s.RECORD_FIELDS:
        assert (schema["properties"][f.key]["title"], schema["properties"][f.key]["description"]) == (
            f.label, f.meaning)
    # every content column publishes a field and is read by a parser the row check knows
    assert [c.header for c in s.DIP_COLUMNS if c.field] == [s.ID, *s.CONTENT_HEADERS]
    assert {c.parse for c in s.DIP_COLUMNS} == set(s.Parse)


def test_the_page_table_is_built_from_the_page_columns_and_the_search_reads_cells_by_key() -> None:
    files = site([item(n) for n in range(1, 7)])
    page = files["index.html"].decode()
    heads = re.findall(r'<th scope="col" data-field="([a-z_]+)">([^<]+)</th>', page)
    assert heads == [(c.key, c.label) for c in s.PAGE_COLUMNS] * 3  # one table per category
    assert all(key in LABELS for key, _ in heads)
    row = re.search(r'<tr id="DIP-0003"[^\n]*', page)
    assert row is not None and row[0].count("<td>") == len(s.PAGE_COLUMNS) + 1
    # on a phone, each cell is labelled with its column's heading, the same words as the table's
    labels = re.findall(r'\.dip td:nth-child\((\d+)\)::before\{content:"([^"]+)"\}', page)
    assert labels == [(str(i), c.label) for i, c in enumerate(s.PAGE_COLUMNS, start=2)][1:]
    search = (PACKAGE / "templates" / "_search.js.j2").read_text(encoding="utf-8")
    assert "cells[" not in search.replace("row.cells[row.closest", "")  # no cell read by position
    for key in re.findall(r'cell\(row, "([a-z_]+)"\)', search):
        assert key in [c.key for c in s.PAGE_COLUMNS]


def test_a_row_check_turns_each_cell_into_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Cell] = []

    def counting(value: Cell) -> str:
        calls.append(value)
        return cell_text(value)

    for module in (validate, parsers, dates):
        monkeypatch.setattr(module, "cell_text", counting)
    row = good_row(**{s.REMARKS: "Catatan"})
    found, findings = validate_dip_row(row, UNITS, "DIP-0001")
    assert findings == [] and found is not None
    assert sorted(map(str, calls)) == sorted(str(row.get(h)) for h in s.CONTENT_HEADERS)


def test_a_render_makes_each_items_record_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's history, the CSV, the JSON and the XLSX all use the same records."""
    made: list[str] = []

    def counting(one: Item) -> dict[str, object]:
        made.append(one.id)
        return item_record(one)

    for module in (render, opendata):
        monkeypatch.setattr(module, "item_record", counting, raising=False)
    items = [item(n) for n in range(1, 6)]
    files = site(items)
    assert sorted(made) == sorted(i.id for i in items)
    assert [r["id"] for r in json.loads(files["dip.json"])["item"]] == [i.id for i in sort_items(items)]


def test_ids_are_written_read_and_ordered_in_one_place() -> None:
    assert format_id(s.DIP_TAB, 7) == "DIP-0007" and format_id(s.DIK_TAB, 12345) == "DIK-12345"
    assert parse_id(s.DIP_TAB, "DIP-0007") == parse_id(s.DIP_TAB, "DIP-7") == 7
    assert parse_id(s.DIP_TAB, "DIK-0007") is None and parse_id(s.DIP_TAB, "DIP-7a") is None
    assert id_number(" DIP-0010 ") == 10 and id_number("lain") == 0
    ids = ["DIP-0010", "DIP-0009", "DIK-0002", "DIP-0100"]
    assert sorted(ids, key=id_sort) == ["DIK-0002", "DIP-0009", "DIP-0010", "DIP-0100"]
    # the published order and the duplicate check agree with it: the lower number comes first
    items = [item(10, category="Berkala", subcategory="A"), item(9, category="Berkala", subcategory="A")]
    assert [i.id for i in sort_items(items)] == ["DIP-0009", "DIP-0010"]
    rows = [("DIP-0010", good_row("Sama")), ("DIP-0009", good_row("Sama"))]
    assert list(find_duplicates(rows)) == ["DIP-0010"]


def test_indonesian_dates_are_formatted_in_dates_py_only() -> None:
    assert dates.format_date(dt.date(2026, 11, 25)) == "25 November 2026"
    assert validate.parse_when("1 Maret - 5 April 2024").text == "1 Maret – 5 April 2024"
    for path in SOURCES:
        if path.name != "dates.py":
            assert "MONTHS_ID[" not in path.read_text(encoding="utf-8"), path
