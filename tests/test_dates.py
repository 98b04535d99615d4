"""``Waktu Pembuatan`` as staff write it, and date arithmetic that never overflows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets.dates import MONTHS_ID, YEAR_RANGE, add_years, parse_date, parse_when
from dip_sheets.findings import Invalid
from dip_sheets.sync import run
from dip_sheets.validate import validate_dik_row
from tests.conftest import NOW, UNITS, established
from tests.memory_register import memory_register


@pytest.mark.parametrize(
    ("raw", "text", "year"),
    [
        ("Tahun 2022", "2022", 2022),
        ("tahun 2022", "2022", 2022),
        ("Th. 2022", "2022", 2022),
        ("TA 2024", "Tahun Anggaran 2024", 2024),
        ("T.A. 2024", "Tahun Anggaran 2024", 2024),
        ("Tahun Anggaran 2024", "Tahun Anggaran 2024", 2024),
        ("Januari 2023", "Januari 2023", 2023),
        ("Jan 2023", "Januari 2023", 2023),
        ("Agt. 2023", "Agustus 2023", 2023),
        ("Nopember Tahun 2023", "November 2023", 2023),
        ("Semester I 2023", "Semester I 2023", 2023),
        ("Semester 2 Tahun 2023", "Semester II 2023", 2023),
        ("Smt II TA 2023", "Semester II 2023", 2023),
        ("Triwulan III 2024", "Triwulan III 2024", 2024),
        ("TW 4 2024", "Triwulan IV 2024", 2024),
        ("Q1 2024", "Triwulan I 2024", 2024),
        ("Caturwulan II 2022", "Caturwulan II 2022", 2022),
        ("Juli - Desember 2023", "Juli–Desember 2023", 2023),
        ("Juli s.d. Desember 2023", "Juli–Desember 2023", 2023),
        ("Juli s/d Desember 2023", "Juli–Desember 2023", 2023),
        ("Juli sampai dengan Desember 2023", "Juli–Desember 2023", 2023),
        ("Juli hingga Desember 2023", "Juli–Desember 2023", 2023),
        ("Juli 2023 – Juni 2024", "Juli 2023 – Juni 2024", 2024),
        ("2022-2023", "2022–2023", 2023),
        ("2022/2023", "2022–2023", 2023),
        ("Tahun 2022 s.d. 2024", "2022–2024", 2024),
        ("TA 2023/2024", "Tahun Anggaran 2023–2024", 2024),
        ("1-5 Maret 2024", "1–5 Maret 2024", 2024),
        ("1 Maret - 5 April 2024", "1 Maret – 5 April 2024", 2024),
        ("Maret 2024 s/d April 2024", "Maret–April 2024", 2024),
        ("01/03/2024 - 05/03/2024", "1–5 Maret 2024", 2024),
        ("Triwulan I - Triwulan II 2024", "Triwulan I–Triwulan II 2024", 2024),
        ("Sejak 2019", "Sejak 2019", 2019),
        ("2019 - sekarang", "Sejak 2019", 2019),
    ],
)
def test_indonesian_periods_are_read_and_shown_normalised(raw: str, text: str, year: int) -> None:
    when = parse_when(raw)
    assert (when.text, when.year, when.date) == (text, year, None)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("Setiap tahun", "menyebut jadwal"),
        ("Tiap bulan", "menyebut jadwal"),
        ("Berkala", "menyebut jadwal"),
        ("Februari", "tidak dikenali"),
        ("Periode 2022", "tidak dikenali"),
        ("7 Brumaire 2022", "'Brumaire' bukan nama bulan"),
        ("Semester III 2023", "Semester III tidak ada"),
        ("Triwulan 5 2024", "Triwulan 5 tidak ada"),
        ("Desember 2023 - Januari 2023", "awalnya sesudah akhirnya"),
        ("Tahun 9999", "tidak masuk akal"),
        ("1 - 40 Maret 2024", "tidak ada di kalender"),
    ],
)
def test_unreadable_periods_name_what_was_typed_and_give_examples(raw: str, fragment: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_when(raw)
    finding = caught.value.finding
    assert fragment in finding.id and finding.en
    assert "nama bulan 'Tahun'" not in finding.id
    if "tidak dikenali" in fragment or "jadwal" in fragment:
        assert f"'{raw}'" in finding.id and "Semester I 2024" in finding.id


def test_tahun_2022_is_no_longer_an_unknown_month() -> None:
    assert parse_when("Tahun 2022").text == "2022"


@given(st.integers(YEAR_RANGE[0], YEAR_RANGE[-1]), st.integers(1, 12),
       st.sampled_from(["{m} {y}", "{m} Tahun {y}", "{m}. {y}"]), st.booleans())
def test_property_every_month_spelling_reads_back(year: int, month: int, form: str, short: bool) -> None:
    name = MONTHS_ID[month - 1][:3] if short else MONTHS_ID[month - 1]
    when = parse_when(form.format(m=name, y=year))
    assert (when.text, when.year) == (f"{MONTHS_ID[month - 1]} {year}", year)


@given(st.integers(YEAR_RANGE[0], YEAR_RANGE[-1]), st.integers(YEAR_RANGE[0], YEAR_RANGE[-1]),
       st.sampled_from([" - ", "-", " s.d. ", " s/d ", " sampai ", "/", " – "]))
def test_property_year_ranges_are_read_or_refused_in_order(a: int, b: int, sep: str) -> None:
    raw = f"{a}{sep}{b}"
    if a <= b:
        assert parse_when(raw).text == f"{a}–{b}"
        assert parse_when(raw).year == b
    else:
        with pytest.raises(Invalid, match="tidak sah"):
            parse_when(raw)


@given(st.text(max_size=40))
def test_property_any_text_is_read_or_refused_with_a_finding(raw: str) -> None:
    try:
        when = parse_when(raw)
    except Invalid as problem:
        assert problem.finding.id.startswith(s.CREATED)
    else:
        assert when.year in YEAR_RANGE and when.text


@given(st.dates(), st.integers(0, 10_000))
def test_property_add_years_never_raises(day: dt.date, years: int) -> None:
    result = add_years(day, years)
    assert result is None or result.year == day.year + years


@pytest.mark.parametrize("tested", [dt.date(9999, 12, 31), "31/12/9999", dt.date(1, 1, 1), "01/01/0001",
                                    dt.datetime(9999, 1, 1)])
@pytest.mark.parametrize("period", ["5 tahun", "999 tahun", "sampai 31/12/9999", "Permanen"])
def test_dik_dates_far_away_are_findings_not_crashes(tested: object, period: str) -> None:
    values = {
        s.DIK_INFORMATION: "Data pemilih", s.UNIT: UNITS[0],
        s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h", s.DIK_IF_OPENED: "x", s.DIK_IF_CLOSED: "y",
        s.DIK_PERIOD: period, s.DIK_TEST_DATE: tested, s.DIK_DECISION: "1/2024",
    }
    exclusion, findings = validate_dik_row(values, UNITS, dt.date(2026, 1, 1))  # type: ignore[arg-type]
    assert exclusion is None and any("tidak masuk akal" in f.id for f in findings)


def test_parse_date_bounds_date_cells_too() -> None:
    with pytest.raises(Invalid, match="tidak masuk akal"):
        parse_date(dt.date(9999, 1, 1), s.DIK_TEST_DATE)


def test_a_dik_date_in_year_9999_does_not_stop_the_sync() -> None:
    register = memory_register()
    register.add(s.DIP_TAB, established("A"))
    register.add(s.DIK_TAB, {
        s.DIK_INFORMATION: "Data pemilih", s.UNIT: UNITS[0], s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h",
        s.DIK_IF_OPENED: "x", s.DIK_IF_CLOSED: "y", s.DIK_PERIOD: "5 tahun",
        s.DIK_TEST_DATE: dt.datetime(9999, 12, 31), s.DIK_DECISION: "1/2024",
    })
    result = run(register, UNITS, NOW)
    assert [i.title for i in result.review.items] == ["A"]
    assert "tidak masuk akal" in result.review.dik[0].findings[0].id
