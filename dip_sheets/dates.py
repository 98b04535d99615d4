"""Dates and periods as staff write them in ``Waktu Pembuatan`` and the DIK's date columns. Pure.

Staff write a year (``2024``, ``Tahun 2024``, ``TA 2024``), a month (``Jan 2023``), a date
(``7 Februari 2022``, ``07/02/2022``, ISO, a sheet serial), a part of a year (``Semester I 2023``,
``Triwulan III 2024``) or a range of any of these (``Juli - Desember 2023``, ``1-5 Maret 2024``,
``2022/2023``, ``Maret 2024 s/d April 2024``). Each is read into a :class:`When`: the text shown on
the published list, the year used for filtering, and the date when it names exactly one day.
Schedules (``Setiap tahun``) say how often, not when, and are refused with examples.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass

from . import schema as s
from .findings import Invalid, bad, quoted
from .register import Cell, cell_text

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)
_MONTH_NAMES: dict[str, int] = {}
for _number, _name in enumerate(MONTHS_ID, start=1):
    _MONTH_NAMES[_name.lower()] = _number
    _MONTH_NAMES[_name.lower()[:3]] = _number
for _alias, _number in {
    "agt": 8, "ags": 8, "agu": 8, "agust": 8, "sept": 9, "okt": 10, "nop": 11, "nov": 11,
    "nopember": 11, "des": 12, "january": 1, "february": 2, "march": 3, "may": 5, "june": 6,
    "july": 7, "august": 8, "aug": 8, "october": 10, "oct": 10, "december": 12, "dec": 12,
    "pebruari": 2, "peb": 2, "febr": 2,
}.items():
    _MONTH_NAMES[_alias] = _number

SHEET_EPOCH = dt.date(1899, 12, 30)  # day 0 of Google Sheets / Excel serial dates
YEAR_RANGE = range(1900, 2201)
SERIAL_RANGE = range(20000, 80000)  # 1954-10-03 .. 2119-01-10

#: parts of a year: name as shown, months per part
_PARTS = {
    "semester": ("Semester", 6), "smt": ("Semester", 6), "sem": ("Semester", 6),
    "triwulan": ("Triwulan", 3), "tw": ("Triwulan", 3), "kuartal": ("Triwulan", 3),
    "kwartal": ("Triwulan", 3), "q": ("Triwulan", 3), "caturwulan": ("Caturwulan", 4),
    "cawu": ("Caturwulan", 4),
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ROMAN_TEXT = {v: k.upper() for k, v in _ROMAN.items()}

_YEAR_WORDS = r"(?:(?P<ta>tahun\s+anggaran|t\.?\s?a\.?)\s+|(?:tahun|thn\.?|th\.?)\s+)?"
_YEAR = rf"{_YEAR_WORDS}(?P<year>\d{{4}})"
_PART = rf"(?P<part>{'|'.join(sorted(_PARTS, key=len, reverse=True))})\.?\s*(?P<n>iv|i{{1,3}}|\d)"
_POINTS = (
    ("year", re.compile(rf"^{_YEAR}$")),
    ("iso", re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
                       r"(?:[t ][\d:.]+(?:z|[+-]\d\d:?\d\d)?)?$")),
    ("dmy", re.compile(r"^(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})$")),
    ("part", re.compile(rf"^{_PART}(?:\s+{_YEAR})?$")),
    ("day", re.compile(rf"^(?P<day>\d{{1,2}})\s+(?P<name>[a-z]+)\.?(?:\s+{_YEAR})?$")),
    ("month", re.compile(rf"^(?P<name>[a-z]+)\.?(?:\s+{_YEAR})?$")),
    ("day", re.compile(r"^(?P<day>\d{1,2})$")),
)
_SEPARATORS = re.compile(
    r"\s*(?:\bs\s*[./]\s*d\b\.?|\bsd\b|\bsampai\s+dengan\b|\bsampai\b|\bhingga\b|-)\s*"
)
_YEAR_SLASH = re.compile(r"^(.*?)(\d{4})\s*/\s*(\d{4})$")
_SINCE = re.compile(r"^(?:sejak|mulai)\s+(.+)$|^(.+?)\s*-\s*(?:sekarang|kini)$")
_SCHEDULE = re.compile(r"\b(setiap|tiap|berkala|rutin|sewaktu|menyesuaikan|kebutuhan)\b")

EXAMPLES = ("2024, Tahun Anggaran 2024, Maret 2024, 7 Februari 2022, 07/02/2022, Semester I 2024,"
            " Triwulan III 2024, Juli–Desember 2023, 2022–2023")


def format_date(day: dt.date) -> str:
    """``7 Februari 2022``: the long Indonesian form of every date a person reads (the published
    list, the page's update date, the change log, the DIK's dates)."""
    return f"{_day_and_month(day)} {day.year}"


def _day_and_month(day: dt.date) -> str:
    """``7 Februari``: a date inside a period that names its year once (``1 Maret – 5 April 2024``)."""
    return f"{day.day} {MONTHS_ID[day.month - 1]}"


@dataclass(frozen=True)
class When:
    """A normalised ``Waktu Pembuatan``: the text to show, the year (for filters), the date if any."""

    text: str
    year: int
    date: dt.date | None = None


@dataclass(frozen=True)
class _Point:
    """One year, month, day or part of a year; ``first``/``last`` are the days it spans."""

    kind: str
    year: int
    first: dt.date
    last: dt.date
    label: str  # without the year: "Maret", "7 Maret", "Semester I"; "" for a year
    budget_year: bool = False

    @property
    def text(self) -> str:
        if self.kind == "year":
            return f"Tahun Anggaran {self.year}" if self.budget_year else str(self.year)
        return f"{self.label} {self.year}"


def add_years(day: dt.date, years: int) -> dt.date | None:
    """``day`` plus ``years`` (29 February becomes 28); ``None`` past the calendar's end."""
    year = day.year + years
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    if (day.month, day.day) == (2, 29) and not calendar.isleap(year):
        return day.replace(year=year, day=28)
    return day.replace(year=year)


def _plausible(column: str, year: int, raw: str) -> None:
    if year not in YEAR_RANGE:
        raise bad(
            column,
            f"tahun {year} pada '{quoted(raw)}' tidak masuk akal (harus antara {YEAR_RANGE[0]} dan"
            f" {YEAR_RANGE[-1]}).",
            f"year {year} in '{quoted(raw)}' is implausible (must be between {YEAR_RANGE[0]} and"
            f" {YEAR_RANGE[-1]}).",
        )


def _day(column: str, year: int, month: int, day: int, raw: str) -> dt.date:
    _plausible(column, year, raw)
    if not 1 <= month <= 12:
        raise bad(column, f"bulan tidak ada pada '{quoted(raw)}'.", f"no such month in '{quoted(raw)}'.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise bad(
            column, f"tanggal '{quoted(raw)}' tidak ada di kalender.",
            f"'{quoted(raw)}' is not a calendar date.",
        ) from None


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return following - dt.timedelta(days=1)


def _point(text: str, column: str, raw: str, year: int | None = None, month: int | None = None
           ) -> _Point | None:
    """``text`` as one point in time, the missing year (and month) taken from the given ones.

    ``None`` when no form matches; :class:`Invalid` when a form matches but the values cannot be.
    """
    for kind, pattern in _POINTS:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        number = int(groups["year"]) if groups.get("year") else year
        if number is None:
            continue
        budget = bool(groups.get("ta"))
        if kind == "year":
            _plausible(column, number, raw)
            return _Point(kind, number, dt.date(number, 1, 1), dt.date(number, 12, 31), "", budget)
        if kind in ("iso", "dmy"):
            day = _day(column, number, int(groups["month"]), int(groups["day"]), raw)
            return _Point("day", number, day, day, _day_and_month(day))
        if kind == "part":
            return _part(groups["part"], groups["n"], number, column, raw)
        name = groups.get("name")
        wanted = _MONTH_NAMES.get(name) if name else month
        if wanted is None:
            if kind == "day" and name:
                typed = re.search(re.escape(name), raw, re.IGNORECASE)
                word = typed[0] if typed else name
                raise _unreadable(column, raw, f"'{word}' bukan nama bulan", f"'{word}' is not a month")
            continue
        if kind == "month":
            _plausible(column, number, raw)
            return _Point(kind, number, dt.date(number, wanted, 1), _month_end(number, wanted),
                          MONTHS_ID[wanted - 1])
        day = _day(column, number, wanted, int(groups["day"]), raw)
        return _Point("day", number, day, day, _day_and_month(day))
    return None


def _part(word: str, numeral: str, year: int, column: str, raw: str) -> _Point:
    name, months = _PARTS[word]
    number = int(numeral) if numeral.isdigit() else _ROMAN[numeral]
    count = 12 // months
    if not 1 <= number <= count:
        raise bad(
            column,
            f"{name} {numeral.upper()} tidak ada pada '{quoted(raw)}'; dalam setahun ada {count}"
            f" {name.lower()} (I sampai {_ROMAN_TEXT[count]}).",
            f"there is no {name} {numeral.upper()} in '{quoted(raw)}'; a year has {count}.",
        )
    _plausible(column, year, raw)
    first_month = (number - 1) * months + 1
    last_month = first_month + months - 1
    return _Point("part", year, dt.date(year, first_month, 1), _month_end(year, last_month),
                  f"{name} {_ROMAN_TEXT[number]}")


def _span(a: _Point, b: _Point, column: str, raw: str) -> When:
    if a.first > b.first or a.last > b.last:
        raise bad(
            column,
            f"rentang waktu '{quoted(raw)}' tidak sah: awalnya sesudah akhirnya.",
            f"the period '{quoted(raw)}' is invalid: it starts after it ends.",
        )
    if a.kind == b.kind == "year":
        text = f"{a.year}–{b.year}"
        if a.budget_year or b.budget_year:
            text = f"Tahun Anggaran {text}"
    elif a.year == b.year and a.kind == b.kind == "day" and a.first.month == b.first.month:
        text = f"{a.first.day}–{b.text}"
    elif a.year == b.year and a.kind == b.kind and a.kind in ("month", "part"):
        text = f"{a.label}–{b.text}"
    elif a.year == b.year and a.kind == b.kind == "day":
        text = f"{a.label} – {b.text}"
    else:
        text = f"{a.text} – {b.text}"
    return When(text, b.year)


def _unreadable(column: str, raw: str, why_id: str = "", why_en: str = "") -> Invalid:
    return bad(
        column,
        f"'{quoted(raw)}' tidak dikenali{': ' + why_id if why_id else ''}. Tulis tahun, bulan,"
        f" tanggal atau rentangnya, mis. {EXAMPLES}.",
        f"'{quoted(raw)}' not recognised{': ' + why_en if why_en else ''}. Write a year, month,"
        f" date or a range of them, e.g. {EXAMPLES}.",
    )


def _read_text(raw: str, column: str) -> When:
    text = re.sub(r"[–—‑]", "-", raw.casefold()).rstrip(".")
    if _SCHEDULE.search(text):
        raise bad(
            column,
            f"'{quoted(raw)}' menyebut jadwal, bukan waktu pembuatan; tulis kapan informasi ini"
            f" dibuat (yang terakhir atau rentangnya), mis. {EXAMPLES}.",
            f"'{quoted(raw)}' is a schedule, not a time of creation; write when this information"
            f" was made (the latest, or a range), e.g. {EXAMPLES}.",
        )
    if single := _point(text, column, raw):
        return When(single.text, single.year, single.first if single.kind == "day" else None)
    if m := _SINCE.match(text):
        start = _point((m[1] or m[2]).strip(), column, raw)
        if start is not None:
            return When(f"Sejak {start.text}", start.year)
    if m := _YEAR_SLASH.match(text):
        text = f"{m[1]}{m[2]} - {m[3]}"
    for sep in _SEPARATORS.finditer(text):
        left, right = text[: sep.start()].strip(), text[sep.end():].strip()
        last = _point(right, column, raw)
        if not left or last is None:
            continue
        first = _point(left, column, raw) or _point(left, column, raw, last.year, last.first.month)
        if first is not None:
            return _span(first, last, column, raw)
    raise _unreadable(column, raw)


def parse_when(value: Cell, column: str = s.CREATED) -> When:
    """Accept a year, a month, a date, a part of a year, or a range of these (see the module)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        _plausible(column, value.year, format_date(value))
        return When(format_date(value), value.year, value)
    if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise bad(column, "bukan tahun atau tanggal.", "is not a year or a date.")
    if isinstance(value, int | float):
        if float(value).is_integer() and int(value) in YEAR_RANGE:
            return When(str(int(value)), int(value))
        if int(value) in SERIAL_RANGE:
            day = SHEET_EPOCH + dt.timedelta(days=int(value))
            return When(format_date(day), day.year, day)
        raise bad(
            column, f"angka {cell_text(value)} bukan tahun atau tanggal.",
            f"the number {cell_text(value)} is not a year or a date.",
        )
    raw = " ".join((value or "").split())  # text or empty: the text a cell shows, spaces collapsed
    if not raw:
        raise bad(column, "wajib diisi.", "is required.")
    return _read_text(raw, column)


def parse_date(value: Cell, column: str) -> dt.date:
    """A full date from a date cell, a sheet serial, ISO, ``dd/mm/yyyy`` or ``7 Februari 2022``."""
    when = parse_when(value, column)
    if when.date is None:
        raise bad(
            column,
            f"perlu tanggal lengkap (mis. 7 Februari 2022), bukan '{quoted(when.text)}'.",
            f"needs a full date (e.g. 7 Februari 2022), not '{quoted(when.text)}'.",
        )
    return when.date
