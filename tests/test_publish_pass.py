"""One publish pass: the register is read and reviewed once, and written once when it succeeds.

The sync's changes, step 4 and step 5 go in one batch after the version is live. Earlier batches
are written only when the sync gives IDs to items going live (they are on record before the upload,
with step 4), and when the upload fails (the sync's changes and step 4). ``Register.apply`` returns
where each written row is after the batch (its key changes when an ID is written), so step 5 finds
the rows an earlier batch wrote without reading the register again. The request counts on Google
Sheets are in tests/test_request_counts.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.publish import publish
from dip_sheets.register import (
    Cell,
    CellWrite,
    Changes,
    Register,
    RowAnchor,
    Snapshot,
    cell_text,
    relocate,
    row_key,
)
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.row_watch import watcher
from dip_sheets.sync import Watch, review, run
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, add_rows, established, good_row
from tests.memory_register import MemoryRegister, memory_register
from tests.test_publish import FailingTarget

DIP = s.TAB_BY_NAME[s.DIP_TAB]
ROWS = [established("Profil Badan Publik"), good_row("Draf Unit"),
        established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}), established("Rencana Strategis")]


class CountingRegister(MemoryRegister):
    """A memory register that counts its reads."""

    def __init__(self, rows: list[dict[str, Cell]]) -> None:
        super().__init__()
        self.reads = 0
        blank = memory_register()
        self.tabs, self.locked = blank.tabs, blank.locked
        for row in rows:
            self.add(s.DIP_TAB, row)

    def read(self) -> Snapshot:
        self.reads += 1
        return super().read()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(default_config(tmp_path), publish=PublishSettings(
        folder=tmp_path / "situs", by="PPID Contoh", base_url="https://ppid.example.go.id/dip/"))


def office_watch(config: Config) -> Callable[[Snapshot], Watch]:
    """What the office's own sync watches besides findings (staleness, cached link results): the
    publish writes the same warnings, so a sync after it has nothing left to write."""
    return watcher(config, NOW)


def by_title(register: Register) -> dict[str, dict[str, str]]:
    rows = review(register.read(), UNITS, NOW).dip
    return {cell_text(r.values[s.TITLE]): {h: cell_text(v) for h, v in r.values.items()} for r in rows}


def live_items(config: Config) -> dict[str, dict[str, str]]:
    data = json.loads((config.publish.folder / "dip.json").read_text(encoding="utf-8"))
    return {i["judul"]: i for i in data["item"]}


# ---- the backends say where the rows of a batch are after it ----------------------------------


def assign_ids_then_write_notes(register: Register) -> None:
    """Write an ID into every DIP row (their keys change), then a note through the anchors the first
    batch returned: every note lands, although the anchors as read fit no row any more."""
    rows = register.read().tabs[s.DIP_TAB].rows
    columns = s.locate_columns(DIP, rows[0])
    read = {i: RowAnchor(s.DIP_TAB, i, row_key(DIP, columns, rows[i])) for i in range(1, len(rows))}
    first = register.apply(Changes([CellWrite(a, s.ID, f"DIP-{i:04d}") for i, a in read.items()]))
    assert set(first.anchors) == set(read.values())
    now = register.read().tabs[s.DIP_TAB].rows
    for index, anchor in read.items():
        after = first.anchors[anchor]
        assert after.row == index and after.key == row_key(DIP, columns, now[index]) != anchor.key
        assert relocate(DIP, [anchor], now)[anchor] is None, "the anchor as read no longer fits"
    second = register.apply(Changes([CellWrite(first.anchors[a], s.NOTE, f"catatan {i}")
                                      for i, a in read.items()]))
    assert second.skipped == () and second.cells_written == len(read)
    notes = register.read().tabs[s.DIP_TAB].rows
    assert [cell_text(r[columns[s.NOTE]]) for r in notes[1:]] == [f"catatan {i}" for i in read]


def test_the_memory_register_returns_the_anchors_after_its_batch() -> None:
    assign_ids_then_write_notes(CountingRegister(ROWS))


def test_the_workbook_returns_the_anchors_after_its_batch(workbook: WorkbookRegister) -> None:
    add_rows(workbook, ROWS)
    assign_ids_then_write_notes(workbook)


# ---- a publish reads once and writes once ------------------------------------------------------


def synced(config: Config, rows: list[dict[str, Cell]] = ROWS) -> CountingRegister:
    """A register the office's sync has seen (every row has its ID), its counters at zero."""
    register = CountingRegister(rows)
    run(register, UNITS, NOW, watch=office_watch(config))
    register.reads = register.applies = 0
    return register


def test_a_publish_reads_once_and_writes_once_after_the_version_is_live(config: Config) -> None:
    register = synced(config)
    written: list[bool] = []
    register.before_apply = lambda _: written.append((config.publish.folder / "dip.json").exists())
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert result.status == "published" and result.stamps_written == 3 * 3
    assert (register.reads, register.applies) == (1, 1) and written == [True]
    rows = by_title(register)
    for title in ("Profil Badan Publik", "Laporan Keuangan", "Rencana Strategis"):
        assert result.version in rows[title][s.STEP4]
        assert "https://ppid.example.go.id/dip/" in rows[title][s.STEP5]
        assert rows[title][s.STAGE] == "5 Diunggah · sejak 2026-11-25"
    assert not rows["Draf Unit"][s.STEP4] and not rows["Draf Unit"][s.STEP5]
    assert run(register, UNITS, NOW, watch=office_watch(config)).applied is None


def test_the_ppids_establishment_and_its_stamps_are_one_batch(config: Config) -> None:
    """A row the PPID established since the last sync: the publish's own sync records it (Sidik,
    Riwayat, the lock) in the batch that stamps it."""
    register = synced(config, [*ROWS, good_row("Baru", **{s.STEP1: "Ya", s.STEP2: "Sudah"})])
    row = next(r for r in register.tabs[s.DIP_TAB][1:] if "Baru" in r)
    row[[str(h) for h in register.tabs[s.DIP_TAB][0]].index(s.STEP3)] = s.ESTABLISHED
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert result.status == "published" and register.applies == 1
    new = by_title(register)["Baru"]
    assert result.sync is not None and result.sync.review.newly_established == [new[s.ID]]
    assert new[s.FINGERPRINT] and result.version in new[s.STEP4] and result.version in new[s.STEP5]
    assert run(register, UNITS, NOW, watch=office_watch(config)).applied is None


def test_a_failed_upload_records_the_sync_and_step_4_not_step_5(config: Config) -> None:
    """Staff see that the upload was ordered and did not complete; the re-run completes it."""
    register = synced(config, [*ROWS, good_row("Baru", **{s.STEP1: "Ya", s.STEP2: "Sudah"})])
    row = next(r for r in register.tabs[s.DIP_TAB][1:] if "Baru" in r)
    row[[str(h) for h in register.tabs[s.DIP_TAB][0]].index(s.STEP3)] = s.ESTABLISHED
    with pytest.raises(ConnectionResetError):
        publish(config, register, FailingTarget(config.publish.folder, 2), now=NOW)
    assert register.applies == 1
    rows = by_title(register)
    assert rows["Baru"][s.FINGERPRINT] and rows["Baru"][s.STEP4] and not rows["Baru"][s.STEP5]
    assert rows["Baru"][s.STAGE].startswith("4 Ditetapkan, belum diunggah")
    assert run(register, UNITS, NOW, watch=office_watch(config)).applied is None
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert result.status == "published" and result.version in by_title(register)["Baru"][s.STEP5]


def test_ids_are_on_record_before_the_upload(config: Config) -> None:
    """A sync that gives IDs to items going live writes them (with step 4) before the upload, so no
    published ID is ever given to another row; step 5 follows once the version is live."""
    register = CountingRegister(ROWS)
    with pytest.raises(ConnectionResetError):
        publish(config, register, FailingTarget(config.publish.folder, 1), now=NOW)
    assert register.applies == 1 and review(register.read(), UNITS, NOW).ids_assigned == []
    profile = by_title(register)["Profil Badan Publik"]
    assert profile[s.STEP4] and not profile[s.STEP5]


def test_a_first_publish_gives_ids_with_step_4_then_writes_step_5(config: Config) -> None:
    register = CountingRegister(ROWS)
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert result.status == "published"
    assert (register.reads, register.applies) == (1, 2)
    rows = by_title(register)
    for title in ("Profil Badan Publik", "Laporan Keuangan", "Rencana Strategis"):
        assert rows[title][s.ID].startswith("DIP-") and result.version in rows[title][s.STEP4]
        assert "https://ppid.example.go.id/dip/" in rows[title][s.STEP5]
        assert rows[title][s.STAGE] == "5 Diunggah · sejak 2026-11-25"
    assert not rows["Draf Unit"][s.STEP4] and not rows["Draf Unit"][s.STEP5]
    synced = run(register, UNITS, NOW, watch=office_watch(config))
    assert synced.applied is None, "the publish left nothing for the sync"
    again = CountingRegister([])
    again.tabs, again.locked = register.tabs, register.locked
    assert publish(config, again, FolderTarget(config.publish.folder), now=NOW).status == "unchanged"
    assert (again.reads, again.applies) == (1, 0)


def test_the_sync_part_of_a_publish_reports_what_a_sync_alone_would(config: Config) -> None:
    """Step 4 shares the sync's batch; the summary still tells the sync's writes from the stamps."""
    alone, published = CountingRegister(ROWS), CountingRegister(ROWS)
    synced = run(alone, UNITS, NOW, watch=office_watch(config))
    result = publish(config, published, FolderTarget(config.publish.folder), now=NOW)
    assert result.sync is not None and result.sync.summary() == synced.summary()
    assert result.stamps_written == 3 * 3  # steps 4 and 5 and Posisi SOP of the three live rows


@pytest.mark.parametrize("first", [True, False], ids=["ids-given", "synced"])
def test_rows_sorted_while_a_publish_runs_get_their_own_stamps(config: Config, first: bool) -> None:
    for seed in range(20):
        rng = random.Random(seed)
        register = CountingRegister(ROWS) if first else synced(config)

        def sort_once(reg: MemoryRegister, rng: random.Random = rng) -> None:
            body = reg.tabs[s.DIP_TAB][1:]
            rng.shuffle(body)
            reg.tabs[s.DIP_TAB][1:] = body
            reg.before_apply = None

        register.before_apply = sort_once
        folder = config.publish.folder.parent / f"situs-{seed}"
        publish(dataclasses.replace(config, publish=dataclasses.replace(config.publish, folder=folder)),
                register, FolderTarget(folder), now=NOW)
        assert (register.reads, register.applies) == (1, 2 if first else 1), seed
        rows = by_title(register)
        assert all(bool(rows[t][s.STEP5]) == (t != "Draf Unit") for t in rows), (seed, rows)
        left = run(register, UNITS, NOW, watch=office_watch(config)).review.changes
        # a synced register's rows are locked where they stood when read: sorted, they are locked anew
        assert not left if first else not (left.writes or left.appends), seed


def test_a_row_edited_while_a_publish_runs_is_read_again_and_still_stamped(config: Config) -> None:
    """The edit makes the batch skip that row: the register is read again and the batch written
    once more, the edit flagged, and the site keeps the content the PPID established."""
    register = CountingRegister(ROWS)
    run(register, UNITS, NOW, watch=office_watch(config))

    def edit_once(reg: MemoryRegister) -> None:
        row = next(r for r in reg.tabs[s.DIP_TAB][1:] if "Laporan Keuangan" in r)
        row[[str(h) for h in reg.tabs[s.DIP_TAB][0]].index(s.SUMMARY)] = "Ringkasan yang diubah"
        reg.before_apply = None

    register.before_apply = edit_once
    register.reads = register.applies = 0
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert result.status == "published" and (register.reads, register.applies) == (2, 2)
    assert live_items(config)["Laporan Keuangan"]["ringkasan"] == "Ringkasan Laporan Keuangan"
    rows = by_title(register)
    assert "Koreksi menunggu persetujuan PPID" in rows["Laporan Keuangan"][s.NOTE]
    assert rows["Laporan Keuangan"][s.STAGE].startswith("3 Koreksi menunggu PPID")
    assert rows["Profil Badan Publik"][s.STAGE].startswith("5 Diunggah")
    assert result.version in rows["Laporan Keuangan"][s.STEP5], "the established version is live"
    again = run(register, UNITS, NOW, watch=office_watch(config))
    assert again.applied is None, "the second read's changes were written too"


def test_a_refused_publish_still_writes_the_sync(config: Config) -> None:
    register = CountingRegister([*ROWS, established("Tautan Rusak", **{s.LINK: "bukan alamat"})])
    before = copy.deepcopy(register.tabs)
    with pytest.raises(Exception, match="--force"):
        publish(config, register, FolderTarget(config.publish.folder), now=NOW)
    assert register.tabs != before and register.applies == 1
    assert run(register, UNITS, NOW, watch=office_watch(config)).applied is None
    assert not by_title(register)["Profil Badan Publik"][s.STEP4], "no step 4 for a refused publish"
