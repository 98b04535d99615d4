"""Validation: every rule of the register, as pure functions (no I/O).

A finding is a plain sentence in Indonesian (and English) that tells the person who owns the cell
what to fix. Values are *normalised* for the published list (``5 Tahun`` -> ``5 tahun``,
``07/02/2022`` -> ``7 Februari 2022``) but the register cell itself is never rewritten: the cell
belongs to staff.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from . import schema as s
from .dates import MONTHS_ID, When, add_years, format_date, parse_date, parse_when
from .findings import Finding, Invalid, quoted
from .ids import id_number
from .parsers import (
    parse_category,
    parse_choice,
    parse_form,
    parse_retention,
    parse_unit,
    parse_url,
    squash,
    visible,
)
from .register import Cell, cell_text

__all__ = [
    "MONTHS_ID", "Exclusion", "Finding", "Invalid", "Item", "When", "find_duplicates",
    "format_date", "id_number", "parse_category", "parse_choice", "parse_date", "parse_form",
    "parse_retention", "parse_unit", "parse_url", "parse_when", "validate_dik_row",
    "validate_dip_row", "visible",
]


# ---- a DIP row ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """A DIP row's content, normalised for publishing. Fields follow Perki 1/2021's elements; each
    attribute is named by a field of :data:`dip_sheets.schema.RECORD_FIELDS` (``Field.attr``)."""

    id: str
    category: str
    subcategory: str
    title: str
    summary: str
    unit: str
    responsible: str
    created: str
    year: int
    place: str
    form: str
    retention: str
    link: str
    remarks: str


_INDEX = {c.header: i for i, c in enumerate(s.DIP_COLUMNS)}


#: the DIP columns that make an item, in register order
_CONTENT = tuple(c for c in s.DIP_COLUMNS if c.header in s.CONTENT_HEADERS)
#: free-text columns checked for invisible control characters and length
_FREE_TEXT = (s.TITLE, s.SUMMARY, s.REMARKS, s.SUBCATEGORY)
_TEXT, _WHEN, _UNIT = s.Parse.TEXT, s.Parse.WHEN, s.Parse.UNIT
#: each content column as a row's check reads it: header, the item's attribute, parser, required
_COLUMNS = tuple((c.header, c.field.attr, c.parse, c.required) for c in _CONTENT if c.field is not None)
MAX_TEXT = 5000
_FORM = s.dip_field(s.FORM).attr
#: the parsers of text cells; ``Waktu Pembuatan`` reads the cell itself (a date or a serial number).
#: A register repeats the same few categories, forms and retentions on every row: those parsers
#: are pure, so each distinct text is parsed once (a rejected text raises again, uncached).
_PARSERS: dict[s.Parse, Callable[[str], str]] = {
    s.Parse.CATEGORY: lru_cache(maxsize=1024)(parse_category),
    s.Parse.FORM: lru_cache(maxsize=1024)(parse_form),
    s.Parse.RETENTION: lru_cache(maxsize=1024)(parse_retention),
    s.Parse.LINK: lambda text: text if _plain_web_address(text) else parse_url(text),
}
#: a typed ``Waktu Pembuatan`` (``2024``, ``Januari 2024``) repeats too; dates and numbers are cheap
_when_of_text = lru_cache(maxsize=4096)(parse_when)


@lru_cache(maxsize=16)
def _unit_names(units: tuple[str, ...]) -> dict[str, str]:
    """Each configured unit by its casefolded name (the first of equal names, as parse_unit)."""
    found: dict[str, str] = {}
    for unit in units:
        found.setdefault(unit.casefold(), unit)
    return found


def _unit(text: str, units: Sequence[str]) -> str:
    """:func:`parse_unit` with a dictionary look-up for a listed unit (the finding from parse_unit)."""
    if units:
        listed = _unit_names(tuple(units)).get(" ".join(text.split()).casefold())
        if listed is not None:
            return listed
    return parse_unit(text, units)


def _plain_web_address(text: str) -> bool:
    """Whether ``text`` is plainly what :func:`parse_url` accepts unchanged: printable ASCII without
    spaces or brackets, ``http://`` or ``https://`` and a host (anything else goes to parse_url)."""
    head = text[:8].lower()
    rest = text[8:] if head == "https://" else text[7:] if head.startswith("http://") else ""
    return (rest[:1] not in ("", "/", "?", "#") and text.isascii() and text.isprintable()
            and " " not in text and "[" not in text and "]" not in text)


def _collapsed(text: str) -> str:
    """Inner whitespace collapsed; the cell's own string when that changes nothing (an item then
    holds no second copy of the text the register already holds)."""
    if text.isascii() and text.isprintable() and "  " not in text and text[:1] != " " != text[-1:]:
        return text  # nothing to collapse (most cells): answered without splitting the text
    collapsed = " ".join(text.split())
    return text if collapsed == text else collapsed


#: a row's content texts, in one C call (:func:`validate_dip_row` runs for every row)
_content_texts = itemgetter(*(header for header, *_ in _COLUMNS))


def _plain(texts: Sequence[str]) -> bool:
    """Whether every one of ``texts`` is printable ASCII, trimmed, without a double space and not
    over :data:`MAX_TEXT` long: one look at the row for what :func:`_shows`, :func:`_collapsed`,
    :func:`_has_control_chars` and the length check would each ask of every cell (``|`` keeps
    the cells' spaces apart)."""
    row = "|".join(texts)
    return (len(row) <= MAX_TEXT and row.isascii() and row.isprintable() and "  " not in row
            and " |" not in row and "| " not in row and row[:1] != " " != row[-1:])


def _shows(text: str) -> bool:
    """:func:`visible`, answered without a look at each character for plain printable ASCII."""
    if text.isascii() and text.isprintable():
        return bool(text) and not text.isspace()
    return visible(text)


def validate_dip_row(
    values: Mapping[str, Cell], units: Sequence[str], item_id: str = "",
    texts: Mapping[str, str] | None = None,
) -> tuple[Item | None, list[Finding]]:
    """Check one DIP row's content. Returns the normalised item (``None`` if unusable).

    Each column is read as its schema says (:class:`~dip_sheets.schema.Parse`); each cell is turned
    into text once (``texts``: the content cells' :func:`cell_text`, when the caller has them).
    """
    findings: list[Finding] = []
    if texts is None:
        texts = {header: cell_text(values.get(header)) for header, *_ in _COLUMNS}
    # most rows are plain (:func:`_plain`): each cell then shows iff it is not empty and is its
    # own collapsed text, and no cell has control characters or is too long
    plain = _plain(_content_texts(texts))
    fields: dict[str, str] = {}
    when: When | None = None
    for header, attr, parse, required in _COLUMNS:
        text = texts[header]
        if parse is _TEXT:  # kept as typed, spacing tidied; checked only for being filled in
            fields[attr] = text if plain else _collapsed(text)
            if required and not (text if plain else _shows(text)):
                findings.append(_missing(header))
            continue
        fields[attr] = ""
        if not (text if plain else _shows(text)):
            if required:
                findings.append(_missing(header))
            continue
        try:
            if parse is _WHEN:
                cell = values.get(header)
                when = (_when_of_text if type(cell) is str else parse_when)(cell, header)
                fields[attr] = when.text
            elif parse is _UNIT:
                fields[attr] = _unit(text, units)
            else:
                fields[attr] = _PARSERS[parse](text)
        except Invalid as problem:
            findings.append(problem.finding)
    if "Softcopy" in fields[_FORM] and not _shows(texts[s.LINK]):
        findings.append(Finding(
            s.LINK,
            f"{s.LINK}: wajib diisi karena informasi tersedia dalam bentuk softcopy.",
            f"{s.LINK}: required because the information is available as softcopy.",
        ))
    for header in () if plain else _FREE_TEXT:
        if _has_control_chars(texts[header]):
            findings.append(Finding(
                header,
                f"{header}: berisi karakter kendali yang tidak terlihat; ketik ulang teksnya.",
                f"{header}: contains invisible control characters; retype the text.",
            ))
        if len(texts[header]) > MAX_TEXT:
            findings.append(Finding(
                header,
                f"{header}: terlalu panjang (lebih dari {MAX_TEXT} karakter); ringkas isinya.",
                f"{header}: too long (over {MAX_TEXT} characters); shorten it.",
            ))
    if findings or when is None:
        return None, findings
    return Item(id=item_id, year=when.year, **fields), findings


#: C0 controls, and the bidirectional overrides that can make a title read differently than it is
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _missing(header: str) -> Finding:
    return Finding(header, f"{header}: wajib diisi.", f"{header}: required.")


def _has_control_chars(text: str) -> bool:
    # printable ASCII (most cells) holds none: the search is left for the rest
    return not (text.isascii() and text.isprintable()) and bool(_CONTROL.search(text))


def duplicate_key(values: Mapping[str, Cell]) -> str:
    """Two rows are the same item when title and holding unit match, ignoring case and spacing."""
    return f"{squash(cell_text(values.get(s.TITLE)))}\x1f{squash(cell_text(values.get(s.UNIT)))}"


def find_duplicates(rows: Iterable[tuple[str, Mapping[str, Cell]]]) -> dict[str, Finding]:
    """For ``(id, values)`` pairs, a finding for every row that repeats an earlier-numbered item.

    The row with the lowest ID keeps its place, so the outcome does not depend on how staff sorted
    the sheet.
    """
    groups: dict[str, list[str]] = {}
    for item_id, values in rows:
        key = duplicate_key(values)
        if not key.startswith("\x1f"):  # a row without a title is nobody's duplicate
            groups.setdefault(key, []).append(item_id)
    findings: dict[str, Finding] = {}
    for ids in groups.values():
        if len(ids) < 2:
            continue
        first, *rest = sorted(ids, key=id_number)
        for other in rest:
            findings[other] = Finding(
                s.TITLE,
                f"Duplikat: judul dan unit sama dengan {first}; hapus salah satu atau bedakan"
                " judulnya.",
                f"Duplicate: same title and unit as {first}; delete one or make the titles"
                " distinct.",
            )
    return findings


# ---- a DIK row (excluded information) --------------------------------------------------------------

_STATUTE = re.compile(
    r"\b(UU|Undang[- ]Undang|PP|Peraturan|Perpres|Permen\w*|PKPU|Perki|Perda|Keputusan)\b",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"\bPasal\s+\d+", re.IGNORECASE)
_PERMANENT_ALLOWED = re.compile(r"Pasal\s+17\s+huruf\s+[gh]\b", re.IGNORECASE)
_PERIOD_YEARS = re.compile(r"^(\d{1,3})\s*(?:tahun|thn|th)\b", re.IGNORECASE)
_PERIOD_UNTIL = re.compile(r"^(?:sampai|hingga|s\.?/?d\.?)\s+(?:dengan\s+)?(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Exclusion:
    """A DIK row, normalised for the public list of excluded information."""

    id: str
    information: str
    unit: str
    legal_basis: str
    if_opened: str
    if_closed: str
    period: str
    tested_on: str
    decision: str
    expires: dt.date | None  # None = permanent


def validate_dik_row(
    values: Mapping[str, Cell], units: Sequence[str], today: dt.date, item_id: str = ""
) -> tuple[Exclusion | None, list[Finding]]:
    """Check the consequence test of one excluded item, and whether its period has ended."""
    findings: list[Finding] = []
    text = {h: " ".join(cell_text(values.get(h)).split()) for h in s.DIK_CONTENT_HEADERS}
    for header in s.DIK_CONTENT_HEADERS:
        if not visible(text[header]):
            findings.append(Finding(header, f"{header}: wajib diisi.", f"{header}: required."))
    unit = ""
    if text[s.UNIT]:
        try:
            unit = parse_unit(text[s.UNIT], units)
        except Invalid as problem:
            findings.append(problem.finding)
    basis = text[s.DIK_LEGAL_BASIS]
    if basis and not (_STATUTE.search(basis) and _ARTICLE.search(basis)):
        findings.append(Finding(
            s.DIK_LEGAL_BASIS,
            f"{s.DIK_LEGAL_BASIS}: sebutkan peraturan dan pasalnya, mis. 'UU 14/2008 Pasal 17"
            " huruf h'.",
            f"{s.DIK_LEGAL_BASIS}: name the statute and its article, e.g. 'UU 14/2008 Pasal 17"
            " huruf h'.",
        ))
    tested: dt.date | None = None
    if text[s.DIK_TEST_DATE]:
        try:
            tested = parse_date(values.get(s.DIK_TEST_DATE), s.DIK_TEST_DATE)
        except Invalid as problem:
            findings.append(problem.finding)
    period = text[s.DIK_PERIOD]
    expires: dt.date | None = None
    period_shown = period
    if period:
        if period.casefold() == "permanen":
            period_shown = "Permanen"
            if basis and not _PERMANENT_ALLOWED.search(basis):
                findings.append(Finding(
                    s.DIK_PERIOD,
                    f"{s.DIK_PERIOD}: pengecualian permanen hanya untuk UU 14/2008 Pasal 17 huruf g"
                    " dan h; tetapkan jangka waktunya.",
                    f"{s.DIK_PERIOD}: a permanent exclusion is only allowed under UU 14/2008"
                    " Pasal 17 g and h; set a period.",
                ))
        elif m := _PERIOD_YEARS.match(period):
            period_shown = f"{int(m[1])} tahun"
            if tested is not None:
                expires = add_years(tested, int(m[1]))
                if expires is None:
                    findings.append(Finding(
                        s.DIK_PERIOD,
                        f"{s.DIK_PERIOD}: '{quoted(period)}' berakhir melewati akhir kalender;"
                        " periksa jangka waktu dan tanggal uji konsekuensi.",
                        f"{s.DIK_PERIOD}: '{quoted(period)}' ends beyond the end of the calendar;"
                        " check the period and the test date.",
                    ))
        elif m := _PERIOD_UNTIL.match(period):
            try:
                expires = parse_date(m[1], s.DIK_PERIOD)
                period_shown = f"sampai {format_date(expires)}"
            except Invalid as problem:
                findings.append(problem.finding)
        else:
            findings.append(Finding(
                s.DIK_PERIOD,
                f"{s.DIK_PERIOD}: '{period}' tidak dikenali; tulis 'N tahun', 'sampai <tanggal>'"
                " atau 'Permanen'.",
                f"{s.DIK_PERIOD}: '{period}' not recognised; write 'N tahun', 'sampai <date>' or"
                " 'Permanen'.",
            ))
    if expires is not None and expires < today:
        findings.append(Finding(
            s.DIK_PERIOD,
            f"Masa pengecualian berakhir {format_date(expires)}: lakukan uji konsekuensi ulang atau"
            " klasifikasikan kembali informasi ini ke DIP.",
            f"The exclusion ended on {format_date(expires)}: repeat the consequence test or"
            " reclassify this item into the DIP.",
        ))
    if findings:
        return None, findings
    assert tested is not None
    return Exclusion(
        id=item_id, information=text[s.DIK_INFORMATION], unit=unit, legal_basis=basis,
        if_opened=text[s.DIK_IF_OPENED], if_closed=text[s.DIK_IF_CLOSED], period=period_shown,
        tested_on=format_date(tested), decision=text[s.DIK_DECISION], expires=expires,
    ), findings
