"""The number a draft decision gets without ``--nomor``: the one after the year's last decision in
the ``Keputusan`` tab, when its running number can be recognised; otherwise none (the draft keeps
its blank). The draft's own tests (``tests/test_decision_draft.py``) check what the output says."""

from __future__ import annotations

import datetime as dt

import pytest

from dip_sheets import schema as s
from dip_sheets.decisions import Decision, next_number


def decision(number: str, day: str, establishes: str = s.DECIDES_DIP) -> Decision:
    return Decision(number, dt.date.fromisoformat(day), establishes)


@pytest.mark.parametrize(("numbers", "expected"), [
    (["12/PPID/2026"], "13/PPID/2026"),
    (["1/PP.01-Kpt/2026"], "2/PP.01-Kpt/2026"),  # the digits inside the code are not the count
    (["009/KPTS/PPID/2026"], "010/KPTS/PPID/2026"),  # zero padding kept
    (["PPID-7-2026"], "PPID-8-2026"),  # the only digits besides the year
    (["Nomor 4/PPID/2026"], "Nomor 5/PPID/2026"),
    (["3/PPID/2026", "12/PPID/2026", "5/PPID/2026"], "13/PPID/2026"),  # past every number so written
])
def test_the_next_number_follows_the_years_last(numbers: list[str], expected: str) -> None:
    decisions = [decision(n, f"2026-0{i + 1}-10") for i, n in enumerate(numbers)]
    assert next_number(decisions, 2026).number == expected
    assert next_number(decisions, 2026).after == numbers[-1]


def test_the_latest_by_date_is_the_last_and_other_years_do_not_count() -> None:
    decisions = [decision("40/PPID/2025", "2025-12-30"), decision("2/SK/2026", "2026-03-01"),
                 decision("1/PPID/2026", "2026-01-05")]
    assert next_number(decisions, 2026).number == "3/SK/2026"  # the latest by date, its own series
    assert next_number(decisions, 2027).number is None and next_number(decisions, 2027).after == ""


@pytest.mark.parametrize("number", ["PPID.01/12/2026", "SK-PPID", "12/PPID", "KEP/PPID/XII/2026"])
def test_a_number_without_a_recognisable_running_number_proposes_none(number: str) -> None:
    proposed = next_number([decision(number, "2026-02-01")], 2026)
    assert proposed.number is None and proposed.after == number
