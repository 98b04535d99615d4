"""The cyclic collector is paused only while a register is read and reviewed, and always resumed."""

from __future__ import annotations

import gc

import pytest

from dip_sheets.gc_pause import collection_paused
from dip_sheets.register import Snapshot
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.sync import run
from tests.conftest import NOW, UNITS, add_rows, established


def test_the_collector_is_paused_during_the_review_and_resumed_after(
    workbook: WorkbookRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_rows(workbook, [established("Profil Badan Publik")])
    seen = []
    read = workbook.read

    def reading() -> Snapshot:
        seen.append(gc.isenabled())
        return read()

    monkeypatch.setattr(workbook, "read", reading)
    assert gc.isenabled()
    result = run(workbook, UNITS, NOW)
    assert seen == [False] and gc.isenabled()
    assert result.applied is not None and result.applied.cells_written  # the sync did its work


def test_the_collector_resumes_after_a_failure_and_stays_off_if_it_was() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("register unreachable")
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
