"""How a staff-typed cell becomes the value that is published: one parser per kind of column. Pure.

Each parser takes the cell's text (:func:`~dip_sheets.register.cell_text`, computed once per cell by
the caller) and either returns the normalised value (``5 Tahun`` ->
``5 tahun``) or raises :class:`~dip_sheets.findings.Invalid` with a sentence for the person who owns
the cell. Which parser a DIP column uses is declared in the schema (:class:`dip_sheets.schema.Parse`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

from . import schema as s
from .findings import Finding, Invalid
from .findings import bad as _bad
from .register import Cell, cell_text


def squash(text: str) -> str:
    """Text as compared: inner whitespace collapsed, case-insensitive."""
    return " ".join(text.split()).casefold()


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a cell holding only spaces or invisible characters (a
    zero-width space pasted from a web page, a stray control character) counts as empty, so a
    required column is not satisfied by something nobody can read."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc") for c in text)


def parse_choice(value: Cell, column: str, choices: Sequence[str]) -> str:
    """Match a dropdown value case- and space-insensitively; anything else is a finding."""
    return _choose(cell_text(value), column, choices)


def _choose(text: str, column: str, choices: Sequence[str]) -> str:
    wanted = squash(text).replace("-", " ")
    for choice in choices:
        if squash(choice).replace("-", " ") == wanted:
            return choice
    listed = ", ".join(choices)
    raise _bad(
        column,
        f"'{text}' bukan pilihan yang sah; pilih salah satu: {listed}.",
        f"'{text}' is not allowed; choose one of: {listed}.",
    )


def marks_excluded(text: str) -> bool:
    """Whether a ``Kategori`` says the information is excluded (``Dikecualikan``, any spelling)."""
    return squash(text) == s.EXCLUDED.casefold()


def parse_category(text: str) -> str:
    if marks_excluded(text):
        raise Invalid(Finding(
            s.CATEGORY,
            "Kategori: informasi yang dikecualikan bukan bagian dari DIP; pindahkan baris ini ke tab"
            " 'DIK' beserta uji konsekuensinya.",
            "Kategori: excluded information is not part of the DIP; move this row to the 'DIK' tab"
            " with its consequence test.",
        ))
    return _choose(text, s.CATEGORY, s.CATEGORIES)


def parse_form(shown: str) -> str:
    """Accept the common spellings (``Hardcopy & Softcopy``, ``Cetak dan Online``)."""
    text = squash(shown)
    soft = any(w in text for w in ("soft", "online", "digital", "elektronik"))
    hard = any(w in text for w in ("hard", "cetak", "fisik"))
    if soft and hard:
        return "Softcopy dan Hardcopy"
    if soft:
        return "Softcopy"
    if hard:
        return "Hardcopy"
    return _choose(shown, s.FORM, s.FORMS)


_RETENTION = re.compile(r"^(\d{1,3})\s*(?:tahun|thn|th|years?)?\.?$")


def parse_retention(shown: str) -> str:
    """``N tahun``, ``Selama Berlaku`` or ``Permanen``, normalised (a number cell reads as years)."""
    text = squash(shown)
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
        f"'{shown}' tidak dikenali; tulis 'N tahun' (mis. 5 tahun), 'Selama Berlaku' atau"
        " 'Permanen'.",
        f"'{shown}' not recognised; write 'N tahun' (e.g. 5 tahun), 'Selama Berlaku' or"
        " 'Permanen'.",
    )


def parse_url(text: str) -> str:
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


def parse_unit(shown: str, units: Sequence[str], column: str = s.UNIT) -> str:
    text = " ".join(shown.split())
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
