"""Every validation rule of DIP-SPEC.md, with good and bad values."""

from __future__ import annotations

import datetime as dt

import pytest

from dip_sheets import schema as s
from dip_sheets.register import Cell, cell_text
from dip_sheets.validate import (
    Invalid,
    find_duplicates,
    parse_category,
    parse_form,
    parse_retention,
    parse_url,
    parse_when,
    validate_dik_row,
    validate_dip_row,
)
from tests.conftest import UNITS, good_row


@pytest.mark.parametrize(
    ("raw", "text", "year"),
    [
        ("2024", "2024", 2024),
        (2024, "2024", 2024),
        (2024.0, "2024", 2024),
        ("7 Februari 2022", "7 Februari 2022", 2022),
        ("7 februari 2022", "7 Februari 2022", 2022),
        ("7 Feb 2022", "7 Februari 2022", 2022),
        ("17 Agustus 1945", "17 Agustus 1945", 1945),
        ("1 Des 2023", "1 Desember 2023", 2023),
        ("07/02/2022", "7 Februari 2022", 2022),
        ("7-2-2022", "7 Februari 2022", 2022),
        ("2022-02-07", "7 Februari 2022", 2022),
        ("2022-02-07T10:00:00Z", "7 Februari 2022", 2022),
        (44599, "7 Februari 2022", 2022),  # Sheets / Excel serial date
        (dt.date(2022, 2, 7), "7 Februari 2022", 2022),
        (dt.datetime(2022, 2, 7, 0, 0), "7 Februari 2022", 2022),
        ("Februari 2022", "Februari 2022", 2022),
        ("2020-2024", "2020–2024", 2024),
        ("2020 – 2024", "2020–2024", 2024),
        ("  2024 ", "2024", 2024),
    ],
)
def test_waktu_pembuatan_accepts_listed_formats(raw: Cell, text: str, year: int) -> None:
    when = parse_when(raw)
    assert (when.text, when.year) == (text, year)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("31/02/2024", "tidak ada di kalender"),
        ("2024-13-01", "bulan tidak ada"),
        ("30 Februari 2023", "tidak ada di kalender"),
        ("7 Brumaire 2022", "tidak dikenal"),
        ("kemarin", "tidak dikenali"),
        ("1800", "tidak masuk akal"),
        (12.5, "bukan tahun"),
        (True, "bukan tahun"),
        ("2024-2020", "tidak sah"),
        ("", "wajib diisi"),
    ],
)
def test_waktu_pembuatan_rejects_bad_values(raw: Cell, fragment: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_when(raw)
    assert fragment in caught.value.finding.id
    assert caught.value.finding.en


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5 tahun", "5 tahun"), ("5 Tahun", "5 tahun"), ("5 thn", "5 tahun"), ("10", "10 tahun"),
     (3, "3 tahun"), ("selama berlaku", "Selama Berlaku"), ("Selama Berlaku", "Selama Berlaku"),
     ("PERMANEN", "Permanen")],
)
def test_retensi_is_normalised(raw: Cell, expected: str) -> None:
    """Through the row check, as the sync reads it: a number cell (3) is read as its text."""
    row = good_row()
    row[s.RETENTION] = raw
    item, findings = validate_dip_row(row, UNITS, "DIP-0001")
    assert findings == [] and item is not None and item.retention == expected
    assert parse_retention(cell_text(raw)) == expected


@pytest.mark.parametrize("raw", ["lama", "0 tahun", "5 bulan", "-"])
def test_retensi_rejects_unknown(raw: str) -> None:
    with pytest.raises(Invalid):
        parse_retention(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Softcopy", "Softcopy"), ("hardcopy", "Hardcopy"), ("Hardcopy & Softcopy", "Softcopy dan Hardcopy"),
     ("Cetak dan Online", "Softcopy dan Hardcopy"), ("Soft copy", "Softcopy")],
)
def test_bentuk_accepts_common_spellings(raw: str, expected: str) -> None:
    assert parse_form(raw) == expected


def test_bentuk_rejects_unknown() -> None:
    with pytest.raises(Invalid):
        parse_form("Lisan")


@pytest.mark.parametrize("raw", ["Berkala", "berkala", "Serta-Merta", "serta merta", " Setiap  Saat "])
def test_kategori_allowed(raw: str) -> None:
    assert parse_category(raw) in s.CATEGORIES


def test_kategori_dikecualikan_is_sent_to_the_dik_tab() -> None:
    with pytest.raises(Invalid) as caught:
        parse_category("Dikecualikan")
    assert "DIK" in caught.value.finding.id


def test_kategori_unknown() -> None:
    with pytest.raises(Invalid):
        parse_category("Rahasia")


@pytest.mark.parametrize("raw", ["https://ppid.kpu.go.id/a.pdf", "http://x.id/"])
def test_tautan_http_ok(raw: str) -> None:
    assert parse_url(raw) == raw


@pytest.mark.parametrize(
    "raw", ["javascript:alert(1)", "ftp://x.id/a", "www.kpu.go.id", "https://", "https://a b.id"]
)
def test_tautan_must_be_http(raw: str) -> None:
    with pytest.raises(Invalid):
        parse_url(raw)


def test_good_row_has_no_findings() -> None:
    item, findings = validate_dip_row(good_row(), UNITS, "DIP-0001")
    assert findings == []
    assert item is not None and item.retention == "5 tahun" and item.year == 2024


@pytest.mark.parametrize("header", [c.header for c in s.DIP_COLUMNS if c.required])
def test_every_required_field(header: str) -> None:
    row = good_row()
    row[header] = "  "
    item, findings = validate_dip_row(row, UNITS)
    assert item is None
    assert any(f.column == header and "wajib diisi" in f.id for f in findings)


def test_softcopy_needs_a_link_but_hardcopy_does_not() -> None:
    _, findings = validate_dip_row(good_row(**{s.LINK: ""}), UNITS)
    assert [f.column for f in findings] == [s.LINK]
    item, findings = validate_dip_row(good_row(**{s.LINK: "", s.FORM: "Hardcopy"}), UNITS)
    assert findings == [] and item is not None


def test_unit_must_be_in_configured_list_case_insensitively() -> None:
    item, findings = validate_dip_row(good_row(**{s.UNIT: UNITS[0].upper()}), UNITS)
    assert findings == [] and item is not None and item.unit == UNITS[0]
    _, findings = validate_dip_row(good_row(**{s.UNIT: "Bagian Umum"}), UNITS)
    assert [f.column for f in findings] == [s.UNIT]


def test_control_characters_and_overlong_text_are_findings() -> None:
    _, findings = validate_dip_row(good_row(**{s.SUMMARY: "ok\x07bell"}), UNITS)
    assert any("karakter kendali" in f.id for f in findings)
    _, findings = validate_dip_row(good_row(**{s.SUMMARY: "x" * 6000}), UNITS)
    assert any("terlalu panjang" in f.id for f in findings)


def test_duplicates_flag_all_but_the_lowest_id() -> None:
    a = good_row("Profil KPU")
    b = good_row("  profil   kpu ")
    c = good_row("Profil KPU", **{s.UNIT: UNITS[0]})  # same title, other unit: not a duplicate
    found = find_duplicates([("DIP-0009", a), ("DIP-0002", b), ("DIP-0010", c)])
    assert set(found) == {"DIP-0009"}
    assert "DIP-0002" in found["DIP-0009"].id


def dik_row(**overrides: Cell) -> dict[str, Cell]:
    row: dict[str, Cell] = {
        s.DIK_INFORMATION: "Data pribadi pemilih", s.UNIT: UNITS[0],
        s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h", s.DIK_IF_OPENED: "Privasi terbuka",
        s.DIK_IF_CLOSED: "Privasi terjaga", s.DIK_PERIOD: "5 tahun", s.DIK_TEST_DATE: "1 Maret 2024",
        s.DIK_DECISION: "Keputusan PPID Nomor 1/2024",
    }
    row.update(overrides)
    return row


TODAY = dt.date(2026, 11, 25)


def test_dik_good_row() -> None:
    exclusion, findings = validate_dik_row(dik_row(), UNITS, TODAY, "DIK-0001")
    assert findings == []
    assert exclusion is not None and exclusion.period == "5 tahun"
    assert exclusion.expires == dt.date(2029, 3, 1)


@pytest.mark.parametrize("header", s.DIK_CONTENT_HEADERS)
def test_dik_consequence_test_fields_required(header: str) -> None:
    _, findings = validate_dik_row(dik_row(**{header: ""}), UNITS, TODAY)
    assert any(f.column == header for f in findings)


@pytest.mark.parametrize("basis", ["rahasia negara", "UU 14/2008", "Pasal 17 huruf h"])
def test_dik_legal_basis_names_statute_and_article(basis: str) -> None:
    _, findings = validate_dik_row(dik_row(**{s.DIK_LEGAL_BASIS: basis}), UNITS, TODAY)
    assert [f.column for f in findings] == [s.DIK_LEGAL_BASIS]


def test_dik_expired_exclusion_is_flagged_for_reclassification() -> None:
    _, findings = validate_dik_row(dik_row(**{s.DIK_PERIOD: "sampai 31 Desember 2024"}), UNITS, TODAY)
    assert any("klasifikasikan kembali" in f.id for f in findings)
    _, findings = validate_dik_row(dik_row(**{s.DIK_PERIOD: "1 tahun"}), UNITS, TODAY)
    assert any("berakhir 1 Maret 2025" in f.id for f in findings)


def test_dik_permanent_only_for_pasal_17_g_and_h() -> None:
    _, findings = validate_dik_row(dik_row(**{s.DIK_PERIOD: "Permanen"}), UNITS, TODAY)
    assert findings == []
    _, findings = validate_dik_row(
        dik_row(**{s.DIK_PERIOD: "Permanen", s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf c"}), UNITS, TODAY)
    assert any("permanen" in f.id for f in findings)


def test_dik_unrecognised_period() -> None:
    _, findings = validate_dik_row(dik_row(**{s.DIK_PERIOD: "lama sekali"}), UNITS, TODAY)
    assert [f.column for f in findings] == [s.DIK_PERIOD]


def test_bidirectional_override_characters_are_findings() -> None:
    _, findings = validate_dip_row(good_row("Laporan \u202egnaueK"), UNITS)
    assert any("karakter kendali" in f.id for f in findings)
