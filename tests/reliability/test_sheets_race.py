"""Staff moving rows while a sync or a publish runs: no write may reach another item's row.

Between every pair of requests of a sync and of a publish, a person inserts a blank row, deletes
a row, sorts the DIP tab or pastes one row over another (the emulator's ``before_request`` hook
applies the edit atomically between two requests). The emulator reports every cell a values write
sets, with the row as it is at that moment: each must land on a row holding the item the clean
run wrote that value for (by title), never on a blank row or another item's row. Cells of existing
rows are written through row-level developer metadata (:mod:`dip_sheets.register.sheets_anchors`);
the emulator's assumptions about sorts and copy-paste are in its module docstring, and the
"metadata stays behind on a sort" case is run too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dip_sheets import schema as s
from dip_sheets.publish import publish
from dip_sheets.register import ApplyResult, Changes, cell_text
from dip_sheets.sync import run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS
from tests.plugins import reliability as counts
from tests.reliability.conftest import SheetsWorld
from tests.reliability.test_sheets_faults import prepared, publish_config
from tests.sheets_emulator import Sheet

NUMBER = re.compile(r"\bDI[PK]-\d{4}\b")
Written = tuple[str, str, str]  # (title of the row reached, header, value)
Seen = list[tuple[int, Written]]  # with the position of the request that wrote it
EDITS = ("sisip", "hapus", "urutkan", "tempel")


@pytest.fixture
def world(sheets_world: SheetsWorld) -> Iterator[SheetsWorld]:
    yield sheets_world
    sheets_world.emu.on_cell_write = None
    sheets_world.emu.wait_idle()
    sheets_world.emu.clear_faults()


def recorder(world: SheetsWorld, sid: str) -> Seen:
    """Every DIP cell the run writes, named by the title of the row it reaches."""
    header = world.header(sid, s.DIP_TAB)
    title = header.index(s.TITLE)
    seen: Seen = []

    def note(sheet: Sheet, row: int, column: int, value: Any) -> None:
        if sheet.title == s.DIP_TAB and row > 0:
            cell = sheet.rows[row].get(title)
            # which new item gets which number depends on the row order the run read (a sort
            # before the first read changes it), so numbers are compared as "an ID"
            seen.append((len(world.emu.log), (cell_text(cell.value if cell else None),
                                               header[column],
                                               NUMBER.sub("<ID>", cell_text(value)))))

    world.emu.on_cell_write = note
    return seen


def edit(world: SheetsWorld, sid: str, kind: str) -> Callable[[], None]:
    emu = world.emu
    return {
        "sisip": lambda: emu.insert_rows(sid, s.DIP_TAB, 3),
        "hapus": lambda: emu.delete_rows(sid, s.DIP_TAB, 4),
        "urutkan": lambda: emu.sort_rows(sid, s.DIP_TAB, s.TITLE, descending=True),
        "tempel": lambda: emu.copy_row(sid, s.DIP_TAB, 5, 6),
    }[kind]


def sync(world: SheetsWorld, sid: str, _: Path) -> list[str]:
    applied = run(world.register(sid), UNITS, NOW).applied
    return [m.en for m in applied.notices] if applied else []


def publish_once(world: SheetsWorld, sid: str, base: Path) -> list[str]:
    register = world.register(sid)
    said: list[str] = []
    apply = register.apply

    def heard(changes: Changes) -> ApplyResult:
        result = apply(changes)
        said.extend(m.en for m in result.notices)
        return result

    register.apply = heard  # type: ignore[method-assign]
    publish(publish_config(base), register, FolderTarget(base / "situs"), now=NOW, force=True)
    return said


def raced(world: SheetsWorld, tmp_path: Path,
          action: Callable[[SheetsWorld, str, Path], list[str]],
          follows_sort: bool = True) -> None:
    sid = prepared(world)
    seen = recorder(world, sid)
    action(world, sid, tmp_path / "bersih")
    clean = {w for _, w in seen}
    total = len(world.emu.log)
    # an edit before a read for review changes what the run plans from that read (a pasted row
    # is a duplicate, a sorted tab numbers new items in another order): such writes need only
    # keep a blank row blank; a write planned from a read made before the edit must be one the
    # clean run made, on the same item's row
    apis = [r.api for r in world.emu.log]
    assert clean, "the clean run writes cells"
    for at in range(2, total + 1):
        for kind in EDITS:
            sid = prepared(world)
            for sheet in world.emu.book(sid).sheets:
                sheet.metadata_follows_sort = follows_sort
            seen = recorder(world, sid)
            world.emu.before_request(at, edit(world, sid, kind))
            said = action(world, sid, tmp_path / f"{kind}{at}")
            world.emu.wait_idle()
            reviews = [r.position for r in world.emu.log if r.api == "values.batchGet"]
            wrong = [w for p, w in seen
                     if (w not in clean if max(r for r in reviews if r < p) < at else not w[0])]
            if (wrong and (kind == "tempel" or not follows_sort)
                    and apis[at - 1] == "values.batchUpdateByDataFilter"):
                # NOT PREVENTED: a row pasted over (or, if Google's metadata stayed behind on a
                # sort, a sort) in the moment between the anchors' last check and the write. The
                # write's own response shows it and the run says so (see sheets_anchors)
                assert any(text.startswith("CHECK:") for text in said), (kind, at, wrong)
                continue
            assert not wrong, (kind, at, apis, wrong)
            counts.cases()


def test_no_sync_write_reaches_another_items_row(world: SheetsWorld, tmp_path: Path) -> None:
    raced(world, tmp_path, sync)


def test_no_publish_write_reaches_another_items_row(world: SheetsWorld, tmp_path: Path) -> None:
    raced(world, tmp_path, publish_once)


def test_a_sort_google_metadata_would_not_follow_is_caught(world: SheetsWorld,
                                                            tmp_path: Path) -> None:
    """Google does not document whether row metadata follows a sort; if it stays behind, the
    anchors' check before the write refuses rows whose content moved away."""
    raced(world, tmp_path, sync, follows_sort=False)
