"""The compliance grid: what the province can judge about each office from its published files. Pure.

One row per office, one :class:`Check` per column. Each check is "memenuhi" (met), "belum" (not
yet) or "tidak dapat dinilai" (cannot be judged: the office publishes nothing to judge it from),
always with the fact behind it, so a row reads like the report an office would give aloud. An
office whose site did not answer keeps its row: the first check says so with the error, and the
rest are judged from the last copy the province holds (saying from when), never left out.

Dates: a Berkala item's age is taken from ``terakhir_diperbarui`` when the office publishes it, else
from ``waktu_pembuatan``; a period (a year, a semester) counts as its last day, so an item is never
called old before it can be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .dates import format_date, parse_when
from .findings import Invalid
from .province_fetch import OfficeFetch, OfficeState

MET, NOT_YET, UNKNOWN = "memenuhi", "belum", "tidak dapat dinilai"
#: Berkala information is updated at least every six months (UU 14/2008 Pasal 9).
BERKALA_MAX_AGE = dt.timedelta(days=183)
COLUMNS = ("Situs", "Daftar tahun berjalan", "Keputusan PPID", "DIK", "Pengecualian berakhir",
           "Berkala lebih dari 6 bulan", "Tautan rusak", "Terakhir terbit", "Pemeriksaan mandiri")


@dataclass(frozen=True)
class Check:
    state: str  # MET, NOT_YET or UNKNOWN
    detail: str

    @property
    def text(self) -> str:
        return f"{self.state}: {self.detail}" if self.detail else self.state


@dataclass(frozen=True)
class GridRow:
    code: str
    name: str
    url: str
    version: str
    items: int
    fetched_at: str
    checks: tuple[Check, ...]  # in COLUMNS order

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks if c.state == MET)


def grid_rows(outcomes: list[OfficeFetch], now: dt.datetime) -> list[GridRow]:
    return [grid_row(o, now) for o in outcomes]


def grid_row(outcome: OfficeFetch, now: dt.datetime) -> GridRow:
    state, today = outcome.state, now.date()
    if outcome.error is not None:
        since = f"; data terakhir dari {_moment(state.fetched_at)}" if state and state.fetched_at else ""
        site = Check(NOT_YET, f"tidak terjangkau ({outcome.error.id}){since}")
    else:
        site = Check(MET, "terjangkau")
    if state is None or state.version is None:
        none = Check(UNKNOWN, "belum pernah terambil")
        checks: tuple[Check, ...] = (site, *([none] * (len(COLUMNS) - 1)))
        return GridRow(outcome.source.code, outcome.source.name, outcome.source.url, "", 0, "", checks)
    checks = (site, _year(state, today), _decision(state), _dik(state, today), _expired(state, today),
              _berkala(state, today), _links(state), _last_publish(state, today), _selfcheck(state))
    return GridRow(outcome.source.code, outcome.source.name, outcome.source.url, state.version or "",
                   len(state.records), state.fetched_at, checks)


def _moment(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{format_date(moment.date())} {moment:%H.%M}"


def _year(state: OfficeState, today: dt.date) -> Check:
    if state.year == today.year:
        return Check(MET, f"daftar tahun {state.year}")
    return Check(NOT_YET, f"daftar terakhir tahun {state.year or '?'}; terbitkan daftar tahun {today.year}")


def _decision(state: OfficeState) -> Check:
    number, date = state.decision_number.strip(), state.decision_date.strip()
    if number and date:
        return Check(MET, f"Nomor {number} tanggal {date}")
    missing = " dan ".join(w for w, v in (("nomor", number), ("tanggal", date)) if not v)
    return Check(NOT_YET, f"{missing} keputusan tidak dicantumkan")


def _dik(state: OfficeState, today: dt.date) -> Check:
    if state.dik is None:
        return Check(NOT_YET, "dik.html tidak diterbitkan")
    if not state.dik.get("readable", True):
        return Check(UNKNOWN, "dik.html tidak dapat dibaca")
    count, year = len(state.dik.get("exclusions", [])), _date_year(str(state.dik.get("published_at", "")))
    if year != today.year:
        return Check(NOT_YET, f"{count} pengecualian; terakhir dimutakhirkan tahun {year or '?'}")
    return Check(MET, f"{count} pengecualian, dimutakhirkan tahun {year}")


def _date_year(text: str) -> int:
    return int(text[:4]) if text[:4].isdigit() else 0


def _expired(state: OfficeState, today: dt.date) -> Check:
    if state.dik is None:
        return Check(UNKNOWN, "tanpa DIK")
    ended = [x for x in state.dik.get("exclusions", [])
             if x.get("berakhir") and dt.date.fromisoformat(str(x["berakhir"])) < today]
    if not ended:
        return Check(MET, "tidak ada")
    names = "; ".join(f"{x['informasi']} (berakhir {format_date(dt.date.fromisoformat(x['berakhir']))})"
                      for x in ended[:3])
    more = f"; dan {len(ended) - 3} lainnya" if len(ended) > 3 else ""
    return Check(NOT_YET, f"{len(ended)}: {names}{more}; uji ulang atau buka kembali")


def last_day(record: dict[str, Any]) -> dt.date | None:
    """The last day a Berkala item's date can mean, or None when it cannot be read."""
    for key in ("terakhir_diperbarui", "waktu_pembuatan"):
        value = record.get(key)
        if not value:
            continue
        try:
            when = parse_when(str(value))
        except Invalid:
            continue
        return when.date or dt.date(when.year, 12, 31)
    year = record.get("tahun")
    return dt.date(year, 12, 31) if isinstance(year, int) and 0 < year < 10000 else None


def _berkala(state: OfficeState, today: dt.date) -> Check:
    periodic = [r for r in state.records if r.get("kategori") == "Berkala"]
    if not periodic:
        return Check(NOT_YET, "tidak ada informasi berkala")
    old = [r for r in periodic if (day := last_day(r)) is None or today - day > BERKALA_MAX_AGE]
    if not old:
        return Check(MET, f"0 dari {len(periodic)}")
    return Check(NOT_YET, f"{len(old)} dari {len(periodic)} belum dimutakhirkan dalam 6 bulan")


def _links(state: OfficeState) -> Check:
    if state.links is None:
        return Check(UNKNOWN, "hasil cek tautan tidak diterbitkan")
    checked, broken = state.links["checked"], state.links["broken"]
    if checked < 0:
        return Check(UNKNOWN, "hasil cek tautan tidak dapat dibaca")
    return Check(MET if broken == 0 else NOT_YET, f"{broken} dari {checked}")


def _last_publish(state: OfficeState, today: dt.date) -> Check:
    try:
        day = dt.datetime.fromisoformat(state.published_at).date()
    except ValueError:
        return Check(UNKNOWN, f"tanggal terbit '{state.published_at}' tidak terbaca")
    age = (today - day).days
    text = f"{format_date(day)} ({age} hari lalu)" if age > 0 else f"{format_date(day)} (hari ini)"
    return Check(MET if age <= BERKALA_MAX_AGE.days else NOT_YET, text)


def _selfcheck(state: OfficeState) -> Check:
    """Judged when the summary counts items (``N dari M butir memenuhi``); a free text is shown."""
    if state.selfcheck is None:
        return Check(UNKNOWN, "tidak diterbitkan")
    words = state.selfcheck.split()
    if len(words) >= 5 and words[0].isdigit() and words[1:2] == ["dari"] and words[2].isdigit():
        return Check(MET if words[0] == words[2] else NOT_YET, state.selfcheck)
    return Check(UNKNOWN, state.selfcheck)
