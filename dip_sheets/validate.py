"""Validation: every rule of the register, as pure functions (no I/O).

A finding is a plain sentence in Indonesian (and English) that tells the person who owns the cell
what to fix. Values are *normalised* for the published list (``5 Tahun`` -> ``5 tahun``,
``07/02/2022`` -> ``7 Februari 2022``) but the register cell itself is never rewritten: the cell
belongs to staff.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import schema as s
from .dates import MONTHS_ID, When, add_years, format_date, parse_date, parse_when
from .findings import Finding, Invalid, quoted
from .findings import bad as _bad
from .register import Cell, cell_text

__all__ = [
    "MONTHS_ID", "Exclusion", "Finding", "Invalid", "Item", "When", "find_duplicates",
    "format_date", "parse_date", "parse_when", "validate_dik_row", "validate_dip_row",
]


# ---- controlled values ---------------------------------------------------------------------------


def _squash(value: Cell) -> str:
    return " ".join(cell_text(value).split()).casefold()


def parse_choice(value: Cell, column: str, choices: Sequence[str]) -> str:
    """Match a dropdown value case- and space-insensitively; anything else is a finding."""
    wanted = _squash(value).replace("-", " ")
    for choice in choices:
        if _squash(choice).replace("-", " ") == wanted:
            return choice
    listed = ", ".join(choices)
    raise _bad(
        column,
        f"'{cell_text(value)}' bukan pilihan yang sah; pilih salah satu: {listed}.",
        f"'{cell_text(value)}' is not allowed; choose one of: {listed}.",
    )


def parse_category(value: Cell) -> str:
    if _squash(value) == s.EXCLUDED.casefold():
        raise Invalid(Finding(
            s.CATEGORY,
            "Kategori: informasi yang dikecualikan bukan bagian dari DIP; pindahkan baris ini ke tab"
            " 'DIK' beserta uji konsekuensinya.",
            "Kategori: excluded information is not part of the DIP; move this row to the 'DIK' tab"
            " with its consequence test.",
        ))
    return parse_choice(value, s.CATEGORY, s.CATEGORIES)


def parse_form(value: Cell) -> str:
    """Accept the common spellings (``Hardcopy & Softcopy``, ``Cetak dan Online``)."""
    text = _squash(value)
    soft = any(w in text for w in ("soft", "online", "digital", "elektronik"))
    hard = any(w in text for w in ("hard", "cetak", "fisik"))
    if soft and hard:
        return "Softcopy dan Hardcopy"
    if soft:
        return "Softcopy"
    if hard:
        return "Hardcopy"
    return parse_choice(value, s.FORM, s.FORMS)


_RETENTION = re.compile(r"^(\d{1,3})\s*(?:tahun|thn|th|years?)?\.?$")


def parse_retention(value: Cell) -> str:
    """``N tahun``, ``Selama Berlaku`` or ``Permanen``, normalised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = cell_text(value)
    text = _squash(value)
    if m := _RETENTION.match(text):
        years = int(m[1])
        if years < 1:
            raise _bad(s.RETENTION, "lama retensi minimal 1 tahun.", "retention must be >= 1 year.")
        return f"{years} tahun"
    if text in ("selama berlaku", "selama masih berlaku", "sampai tidak berlaku"):
        return "Selama Berlaku"
    if text in ("permanen", "permanent", "musnah tidak", "abadi"):
        return "Permanen"
    raise _bad(
        s.RETENTION,
        f"'{cell_text(value)}' tidak dikenali; tulis 'N tahun' (mis. 5 tahun), 'Selama Berlaku' atau"
        " 'Permanen'.",
        f"'{cell_text(value)}' not recognised; write 'N tahun' (e.g. 5 tahun), 'Selama Berlaku' or"
        " 'Permanen'.",
    )


def parse_url(value: Cell) -> str:
    text = cell_text(value)
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
        c.isspace() for c in text
    ):
        raise _bad(
            s.LINK,
            f"'{text}' bukan alamat web; tulis alamat lengkap yang diawali http:// atau https://.",
            f"'{text}' is not a web address; write a full address starting with http:// or"
            " https://.",
        )
    return text


def parse_unit(value: Cell, units: Sequence[str], column: str = s.UNIT) -> str:
    text = " ".join(cell_text(value).split())
    if not units:
        return text
    for unit in units:
        if unit.casefold() == text.casefold():
            return unit
    raise _bad(
        column,
        f"'{text}' tidak ada dalam daftar unit; pilih dari daftar (atau minta admin menambahkannya"
        " di konfigurasi).",
        f"'{text}' is not in the unit list; choose from the list (or ask the admin to add it to"
        " the configuration).",
    )


# ---- a DIP row ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A DIP row's content, normalised for publishing. Fields follow Perki 1/2021's elements."""

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


def validate_dip_row(
    values: Mapping[str, Cell], units: Sequence[str], item_id: str = ""
) -> tuple[Item | None, list[Finding]]:
    """Check one DIP row's content. Returns the normalised item (``None`` if unusable)."""
    findings: list[Finding] = []
    text = {h: " ".join(cell_text(values.get(h)).split()) for h in s.CONTENT_HEADERS}

    def take(header: str, parse: Callable[[Cell], str] | None = None) -> str:
        raw = values.get(header)
        column = s.DIP_COLUMNS[_INDEX[header]]
        if not visible(cell_text(raw)):
            if column.required:
                findings.append(Finding(header, f"{header}: wajib diisi.", f"{header}: required."))
            return ""
        if parse is None:
            return text[header]
        try:
            return parse(raw)
        except Invalid as problem:
            findings.append(problem.finding)
            return ""

    category = take(s.CATEGORY, parse_category)
    title = take(s.TITLE)
    summary = take(s.SUMMARY)
    unit = take(s.UNIT, lambda v: parse_unit(v, units))
    responsible = take(s.RESPONSIBLE)
    when: When | None = None
    if visible(cell_text(values.get(s.CREATED))):
        try:
            when = parse_when(values.get(s.CREATED))
        except Invalid as problem:
            findings.append(problem.finding)
    else:
        take(s.CREATED)
    place = take(s.PLACE)
    form = take(s.FORM, parse_form)
    retention = take(s.RETENTION, parse_retention)
    link = take(s.LINK, parse_url)
    if "Softcopy" in form and not visible(cell_text(values.get(s.LINK))):
        findings.append(Finding(
            s.LINK,
            f"{s.LINK}: wajib diisi karena informasi tersedia dalam bentuk softcopy.",
            f"{s.LINK}: required because the information is available as softcopy.",
        ))
    for header in (s.TITLE, s.SUMMARY, s.REMARKS, s.SUBCATEGORY):
        if _has_control_chars(cell_text(values.get(header))):
            findings.append(Finding(
                header,
                f"{header}: berisi karakter kendali yang tidak terlihat; ketik ulang teksnya.",
                f"{header}: contains invisible control characters; retype the text.",
            ))
        if len(cell_text(values.get(header))) > MAX_TEXT:
            findings.append(Finding(
                header,
                f"{header}: terlalu panjang (lebih dari {MAX_TEXT} karakter); ringkas isinya.",
                f"{header}: too long (over {MAX_TEXT} characters); shorten it.",
            ))
    if findings or when is None:
        return None, findings
    item = Item(
        id=item_id, category=category, subcategory=text[s.SUBCATEGORY], title=title,
        summary=summary, unit=unit, responsible=responsible, created=when.text, year=when.year,
        place=place, form=form, retention=retention, link=link, remarks=text[s.REMARKS],
    )
    return item, findings


MAX_TEXT = 5000


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a cell holding only spaces or invisible characters (a
    zero-width space pasted from a web page, a stray control character) counts as empty, so a
    required column is not satisfied by something nobody can read."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc") for c in text)


#: C0 controls, and the bidirectional overrides that can make a title read differently than it is
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _has_control_chars(text: str) -> bool:
    return bool(_CONTROL.search(text))


def duplicate_key(values: Mapping[str, Cell]) -> str:
    """Two rows are the same item when title and holding unit match, ignoring case and spacing."""
    return f"{_squash(values.get(s.TITLE))}\x1f{_squash(values.get(s.UNIT))}"


def find_duplicates(rows: Iterable[tuple[str, Mapping[str, Cell]]]) -> dict[str, Finding]:
    """For ``(id, values)`` pairs, a finding for every row that repeats an earlier-numbered item.

    The row with the lowest ID keeps its place, so the outcome does not depend on how staff sorted
    the sheet.
    """
    groups: dict[str, list[str]] = {}
    for item_id, values in rows:
        if _squash(values.get(s.TITLE)):
            groups.setdefault(duplicate_key(values), []).append(item_id)
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


def id_number(item_id: str) -> int:
    """The number in ``DIP-0007``; 0 for anything else."""
    m = re.fullmatch(r"[A-Z]+-(\d+)", item_id.strip())
    return int(m[1]) if m else 0


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
            unit = parse_unit(values.get(s.UNIT), units)
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
