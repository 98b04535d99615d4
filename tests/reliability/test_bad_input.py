"""Hostile and malformed input (``corpus.json``): each value gets a clear message or is handled.

Every value of the corpus goes into its own otherwise valid, established row; the whole register is
synced and published through the CLI on a workbook, and through the Sheets backend on the emulator.
Nothing may crash: row problems are a normal outcome (exit code 0) and each one is explained in
``Catatan Sinkron``; a broken header row stops with exit code 2 and one clear sentence, having
written nothing. What does get published is checked for the classic injections: HTML/JS must be
escaped, spreadsheet formulas must not come alive in the CSV or XLSX.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from dip_sheets import load_configs, row_watch
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import PublishSettings, default_config
from dip_sheets.publish import publish
from dip_sheets.register import Cell, Grid, Layout, Snapshot, cell_text
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.sync import Review, SyncResult, Watch, review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, established
from tests.plugins import reliability as counts
from tests.reliability.conftest import SheetsWorld, workbook_staff_cells, write_toml

CORPUS: dict[str, Any] = json.loads(Path(__file__).with_name("corpus.json").read_text(encoding="utf-8"))
VALUES: list[dict[str, Any]] = CORPUS["values"]
LAYOUTS: list[dict[str, Any]] = CORPUS["layouts"]
SHEET_EPOCH = dt.date(1899, 12, 30)
#: the staleness rules a configured office's sync applies (``[monev]`` defaults): its notes carry them
OFFICE_RULES = Watch(berkala_months=6, ending_days=30)
#: what must never appear unescaped in a published page
LIVE_MARKUP = (b"<script>alert", b"<img src=x", b"\"><script>")


def decode(value: Any) -> Cell:
    if isinstance(value, dict):
        if "repeat" in value:
            return str(value["repeat"]) * int(value["times"])
        if "float" in value:
            return float(value["float"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        raise ValueError(f"unknown encoding in corpus.json: {value}")
    return value  # type: ignore[no-any-return]


def entries(backend: str) -> list[dict[str, Any]]:
    return [e for e in VALUES if backend in e.get("backends", ["workbook", "sheets"])]


def row_of(number: int, entry: dict[str, Any]) -> dict[str, Cell]:
    """The entry's values in an established row that is otherwise valid."""
    return {**established(f"Korpus {number:03d}"), **{h: decode(v) for h, v in entry["cells"].items()}}


def check_rows(result: Review, chosen: list[dict[str, Any]], published: dict[str, Any]) -> None:
    """Row ``n`` of the register holds ``chosen[n-1]``: check what each one expects."""
    states = {state.anchor.row: state for state in result.dip}
    live = {item["id"] for item in published["item"]}
    for number, entry in enumerate(chosen, start=1):
        state = states[number]
        note = cell_text(state.values.get(s.NOTE))
        assert note == "; ".join(f.id for f in [*state.findings, *state.warnings]), entry["name"]
        if entry["expect"] == "note":
            assert entry["note"] in note, (entry["name"], note)
            assert state.id not in live, entry["name"]
        elif entry["expect"] == "ok":
            assert state.findings == [] and state.id in live, (entry["name"], note)
        counts.cases()


def check_site(site: Path) -> dict[str, Any]:
    """Published files where injected markup or formulas could come alive; returns dip.json."""
    for name in ("index.html", "dik.html", "riwayat.html", "dip-fragment.html"):
        body = (site / name).read_bytes()
        for markup in LIVE_MARKUP:
            assert markup not in body, (name, markup)
    text = (site / "dip.csv").read_bytes().decode("utf-8-sig")
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for value in row:
            assert value[:1] not in ("=", "+", "-", "@"), value[:40]
    book = load_workbook(site / "dip.xlsx")
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            assert all(c.data_type != "f" for c in cells), "a formula in the published XLSX"
    document: dict[str, Any] = json.loads((site / "dip.json").read_bytes())
    return document


def test_every_corpus_value_through_the_workbook_and_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = entries("workbook")
    register = WorkbookRegister(tmp_path / "register.xlsx")
    register.init(Layout(s.TABS, UNITS))
    append_rows(register.path, s.DIP_TAB, [row_of(n, e) for n, e in enumerate(chosen, start=1)])
    toml = write_toml(tmp_path / "dip.toml", {
        "register": {"path": "register.xlsx"}, "publish": {"folder": "situs", "base_url": "https://x.example/"}})
    staff = workbook_staff_cells(register.path)

    assert main(["sync", "--config", str(toml)]) == 0, capsys.readouterr().err
    out = capsys.readouterr()
    assert out.err == "" and "Masalah pada" in out.out
    assert workbook_staff_cells(register.path) == staff
    assert main(["publish", "--config", str(toml), "--force", "--quiet"]) == 0, capsys.readouterr().err
    # the first sync after a publish brings only the Ringkasan tab up to date (the publish's step 5)
    assert main(["sync", "--config", str(toml)]) == 0
    assert "Ditulis 0 sel dan 0 baris baru" in capsys.readouterr().out
    assert main(["sync", "--config", str(toml)]) == 0
    assert "Tidak ada yang berubah" in capsys.readouterr().out
    check_rows(review(register.read(), UNITS, NOW, OFFICE_RULES), chosen, check_site(tmp_path / "situs"))


def to_sheet(value: Cell) -> Cell:
    """How a value typed into Google Sheets reaches the API: a date-time is a serial number."""
    if isinstance(value, dt.datetime):
        return (value.date() - SHEET_EPOCH).days + (value.hour * 60 + value.minute) / 1440
    return value


def test_every_corpus_value_through_the_sheets_backend(sheets_world: SheetsWorld, tmp_path: Path) -> None:
    chosen = entries("sheets")
    sid = sheets_world.new_register(rows=len(chosen) + 20)
    for number, entry in enumerate(chosen, start=1):
        values = {h: to_sheet(v) for h, v in row_of(number, entry).items()}
        sheets_world.put_row(sid, s.DIP_TAB, number + 1, values)
    register = sheets_world.register(sid)
    config = dataclasses.replace(default_config(tmp_path), publish=PublishSettings(folder=tmp_path / "situs"))
    def office_sync() -> SyncResult:  # the office's own sync: the publish writes the same warnings
        return run(register, UNITS, NOW, watch=row_watch.watcher(config, NOW))

    office_sync()
    publish(config, register, FolderTarget(tmp_path / "situs"), now=NOW, force=True)
    assert office_sync().applied is None
    check_rows(review(register.read(), UNITS, NOW, OFFICE_RULES), chosen, check_site(tmp_path / "situs"))


# ---- the header row ------------------------------------------------------------------------------


def layout_workbook(path: Path, layout: str) -> None:
    """A register whose DIP header row was rearranged or damaged by hand, with two items."""
    headers = list(s.TAB_BY_NAME[s.DIP_TAB].headers)
    rng = random.Random(layout)
    shown = {h: h for h in headers}
    if layout == "reversed":
        headers.reverse()
    elif layout == "shuffled":
        rng.shuffle(headers)
    elif layout == "respaced":
        shown = {h: "  " + "   ".join(h.upper().split()) + " " for h in headers}
    rows: list[list[Cell]] = [[shown[h] for h in headers]]
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        values = established(title)
        rows.append([values.get(h) for h in headers])
    if layout == "header-as-data":
        rows.append([*rows[0]])  # someone pasted the header row again below the data
    elif layout == "duplicate-column":
        rows[0].append(s.TITLE)
    elif layout == "title-row-above":
        rows.insert(0, ["Daftar Informasi Publik 2026"])
    elif layout == "missing-column":
        rows[0][headers.index(s.LINK)] = None
    book = Workbook()
    book.remove(book.active)
    for tab in s.TABS:
        sheet = book.create_sheet(tab.name)
        for row in rows if tab.name == s.DIP_TAB else [list(tab.headers)]:
            sheet.append(row)
    book.save(path)


@pytest.mark.parametrize("case", LAYOUTS, ids=[c["layout"] for c in LAYOUTS])
def test_a_rearranged_or_damaged_header_row(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "register.xlsx"
    layout_workbook(path, case["layout"])
    toml = write_toml(tmp_path / "dip.toml", {"register": {"path": "register.xlsx"}})
    before = path.read_bytes()
    code = main(["sync", "--config", str(toml)])
    err = capsys.readouterr().err
    assert code == case["exit"], err
    counts.cases()
    if code:
        assert case["message"] in err and "Tidak ada yang ditulis" in err, err
        assert err.count("\n") == 1, "one sentence, no traceback"
        assert path.read_bytes() == before, "nothing may be written"
        assert main(["sync", "--config", str(toml), "--lang", "en"]) == code
        assert "Nothing was written" in capsys.readouterr().err
        return
    assert err == ""
    register = WorkbookRegister(path)
    result = review(register.read(), UNITS, NOW)
    ids = [state.id for state in result.dip]
    assert len(ids) == len(set(ids)) and all(cell_text(st.values.get(s.ID)) == st.id for st in result.dip)
    assert [st.id for st in result.dip if st.publishable] == ids[:2]
    if case["layout"] == "header-as-data":
        assert result.dip[2].findings  # a pasted header row is a row with problems, nothing more
    assert run(register, UNITS, NOW, watch=row_watch.watcher(load_configs(toml)[0], NOW)).applied is None


# ---- any value at all ------------------------------------------------------------------------------


ANY: st.SearchStrategy[Cell] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.datetimes(),
    st.sampled_from(["2024", "31/02/2024", "Ditetapkan", "Ya", "Sudah", "Berkala", "DIP-0001", "DIK-0001",
                     "5 tahun", "Softcopy", "https://a.example/b", "sampai 31/12/2030", "Permanen",
                     "UU 14/2008 Pasal 17 huruf h", "ID DIP terakhir", "Ditetapkan: Perlu Revisi"]),
)


def any_rows(tab: str, size: int) -> st.SearchStrategy[list[dict[str, Cell]]]:
    headers = s.TAB_BY_NAME[tab].headers
    return st.lists(st.fixed_dictionaries({}, optional={h: ANY for h in headers}), max_size=size)


def grid(tab: str, rows: list[dict[str, Cell]]) -> Grid:
    headers = s.TAB_BY_NAME[tab].headers
    return Grid([[*headers], *[[r.get(h) for h in headers] for r in rows]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_rows(s.DIP_TAB, 4), any_rows(s.DIK_TAB, 3), any_rows(s.HISTORY_TAB, 3), any_rows(s.SYSTEM_TAB, 3))
def test_the_sync_decides_on_any_values_whatsoever(
    dip: list[dict[str, Cell]], dik: list[dict[str, Cell]], history: list[dict[str, Cell]],
    system: list[dict[str, Cell]],
) -> None:
    """Any Python value a backend could hand over, in any cell of any tab (NaN and infinity
    included, which once made the date parser raise): a finding, never an exception."""
    snapshot = Snapshot({
        s.DIP_TAB: grid(s.DIP_TAB, dip), s.DIK_TAB: grid(s.DIK_TAB, dik),
        s.HISTORY_TAB: grid(s.HISTORY_TAB, history), s.SYSTEM_TAB: grid(s.SYSTEM_TAB, system),
    })
    result = review(snapshot, UNITS, NOW)
    for state in result.dip:
        assert state.publishable == (state.item is not None and not state.findings
                                     and state.steps.decision in s.KEEPS_ESTABLISHED and not state.tampered)
    counts.cases()
